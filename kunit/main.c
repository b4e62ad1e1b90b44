// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - pcpupool_kunit.ko: the KUnit suites of pcpupool.
 *
 *   pcpupool_runtime   the freestanding C++ runtime and RAII guards
 *   pcpupool_port      memalloc scopes through the port
 *   pcpupool_kasan     proof that C++ objects are KASAN-instrumented (runs
 *                      in its own boot: a KASAN report turns lockdep off)
 *   pcpupool_area_map  the bitmap area allocator as a unit
 *   pcpupool_alloc     the allocator through its exported API
 *                      (allocator_test.c)
 *   pcpupool_cache     the per-CPU front end (cache_test.c)
 *   pcpupool_context   NOFS/NOIO callers and memalloc scopes, killable
 *                      vs NOFAIL waits (context_test.c)
 *   pcpupool_mempool   the percpu mempool's contract (mempool_test.c)
 *   pcpupool_fault    fault injection at every internal allocation site
 *   pcpupool_stress   all CPUs, all contexts, hotplug, tunables (fault_test.c)
 *   pcpupool_hotplug  CPUs online for the first time (scale boot,
 *                      hotplug_test.c)
 *   pcpupool_lockdep   the reclaim/FS-lock proof (own boot, context_test.c)
 *
 * C++ bodies report through kt_fail() (kt.h).  Tests that must provoke a
 * splat print "pcpupool-test: expect-splat-begin <pattern> :: task=<comm> ::
 * <message> :: ..." / "-end" around it; the runner's log scanner allows
 * there exactly one <pattern> splat per message, each with its message and
 * from that task, and requires them (scripts/scan-log.py).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sched/mm.h>
#include "../module/core_api.h"
#include "kt.h"

static char *negative;
module_param(negative, charp, 0444);
MODULE_PARM_DESC(negative, "runner self-test: fail|warn|leak (own boot, must fail)");

static bool kasan_proof;
module_param(kasan_proof, bool, 0444);
MODULE_PARM_DESC(kasan_proof, "run the KASAN instrumentation proof (own boot)");

void kt_fail(void *opaque, const char *file, int line, const char *fmt, ...)
{
	struct kunit *test = opaque;
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	KUNIT_FAIL(test, "%s:%d: %pV", kbasename(file), line, &vaf);
	va_end(args);
}

void kt_set_make_it_fail(int on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
#endif
}

int kt_irqs_disabled(void)
{
	return irqs_disabled();
}

int kt_preempt_count(void)
{
	return preempt_count();
}

int kt_context_may_io(void)
{
	return !!(current_gfp_context(GFP_KERNEL) & __GFP_IO);
}

int kt_context_may_fs(void)
{
	return !!(current_gfp_context(GFP_KERNEL) & __GFP_FS);
}

unsigned int kt_gfp_kernel(void)
{
	return (__force unsigned int)GFP_KERNEL;
}

#define CXX_CASE(name)                                  \
	static void name(struct kunit *test)            \
	{                                               \
		cxx_##name(test);                       \
	}

CXX_CASE(test_new_delete)
CXX_CASE(test_new_fails)
CXX_CASE(test_spin_guard)
CXX_CASE(test_preempt_guard)
CXX_CASE(test_mutex_guard)
CXX_CASE(test_noio_scope)
CXX_CASE(test_nofs_scope_nested)
CXX_CASE(test_scope_for)
CXX_CASE(test_area_basic)
CXX_CASE(test_area_align)
CXX_CASE(test_area_coalesce)
CXX_CASE(test_area_largest)
CXX_CASE(test_area_populated_only)
CXX_CASE(test_area_random)
CXX_CASE(test_area_bad_free)

static struct kunit_case runtime_cases[] = {
	KUNIT_CASE(test_new_delete),
	KUNIT_CASE(test_new_fails),
	KUNIT_CASE(test_spin_guard),
	KUNIT_CASE(test_preempt_guard),
	KUNIT_CASE(test_mutex_guard),
	{}
};

static struct kunit_suite runtime_suite = {
	.name = "pcpupool_runtime",
	.test_cases = runtime_cases,
};

/* The port seen from C: memalloc scopes as the kernel applies them. */
static void test_port_noio_plain_c(struct kunit *test)
{
	unsigned int a = memalloc_noio_save();
	unsigned int b = memalloc_nofs_save();

	KUNIT_EXPECT_FALSE(test, current_gfp_context(GFP_KERNEL) & __GFP_IO);
	memalloc_nofs_restore(b);
	KUNIT_EXPECT_FALSE(test, current_gfp_context(GFP_KERNEL) & __GFP_IO);
	memalloc_noio_restore(a);
	KUNIT_EXPECT_TRUE(test, current_gfp_context(GFP_KERNEL) & __GFP_IO);
}

static struct kunit_case port_cases[] = {
	KUNIT_CASE(test_noio_scope),
	KUNIT_CASE(test_nofs_scope_nested),
	KUNIT_CASE(test_scope_for),
	KUNIT_CASE(test_port_noio_plain_c),
	{}
};

static struct kunit_suite port_suite = {
	.name = "pcpupool_port",
	.test_cases = port_cases,
};

struct kasan_arg {
	int (*read)(void);
	struct completion done;
};

static int kasan_oob_thread(void *arg)
{
	struct kasan_arg *a = arg;

	a->read();
	complete(&a->done);
	return 0;
}

/*
 * Runs @read (an out-of-bounds read) in a kthread, because KASAN fails the
 * KUnit test whose thread triggers a report, and waits for it to finish:
 * a read that is not reported returns at once and the case fails then.
 */
static void kasan_oob(struct kunit *test, int (*read)(void))
{
	struct kasan_arg a = { .read = read };
	struct task_struct *t;

	init_completion(&a.done);
	t = kthread_run(kasan_oob_thread, &a, "pcpupool_kasan");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_GT_MSG(test, wait_for_completion_timeout(&a.done, 30 * HZ), 0UL,
			    "the out-of-bounds read did not return");
	msleep(100);	/* the report is printed before the read returns */
}

/*
 * The C++ objects are built with the kernel's KASAN flags; prove the
 * instrumentation is really there, in pcpupool.ko's own core first and
 * then in this module's C++: an out-of-bounds read from each must produce
 * a KASAN report naming that function (the runner's expect-splat regions
 * require exactly that report).  The first report also taints the kernel,
 * which this case checks itself.  The runner boots with kasan_multi_shot,
 * so that one report cannot hide a later one.
 */
static void test_kasan_cxx_oob(struct kunit *test)
{
	if (!kasan_proof)
		kunit_skip(test, "runs in the kasan boot (pcpupool_kunit.kasan_proof=1)");
	KUNIT_ASSERT_FALSE_MSG(test, test_taint(TAINT_BAD_PAGE),
			       "kernel already has a bad-page taint");
	pr_info("pcpupool-test: expect-splat-begin KASAN: slab-out-of-bounds in pcpu_api_test_kasan_oob :: task=pcpupool_kasan :: slab-out-of-bounds in pcpu_api_test_kasan_oob\n");
	kasan_oob(test, pcpupool_test_kasan_oob);
	pr_info("pcpupool-test: expect-splat-end\n");
	KUNIT_EXPECT_TRUE_MSG(test, test_taint(TAINT_BAD_PAGE),
			      "no KASAN report for an out-of-bounds read in pcpupool.ko");
	pr_info("pcpupool-test: expect-splat-begin KASAN: slab-out-of-bounds in cxx_kasan_oob_read :: task=pcpupool_kasan :: slab-out-of-bounds in cxx_kasan_oob_read\n");
	kasan_oob(test, cxx_kasan_oob_read);
	pr_info("pcpupool-test: expect-splat-end\n");
}

static struct kunit_case kasan_cases[] = {
	KUNIT_CASE(test_kasan_cxx_oob),
	{}
};

static struct kunit_suite kasan_suite = {
	.name = "pcpupool_kasan",
	.test_cases = kasan_cases,
};

static struct kunit_case area_cases[] = {
	KUNIT_CASE(test_area_basic),
	KUNIT_CASE(test_area_align),
	KUNIT_CASE(test_area_coalesce),
	KUNIT_CASE(test_area_largest),
	KUNIT_CASE(test_area_populated_only),
	KUNIT_CASE(test_area_bad_free),
	KUNIT_CASE_SLOW(test_area_random),
	{}
};

static struct kunit_suite area_suite = {
	.name = "pcpupool_area_map",
	.test_cases = area_cases,
};

/*
 * Runner self-test: with pcpupool_kunit.negative=fail|warn|leak the boot
 * must fail (a failing case, a WARN, a kmemleak leak).  check.sh boots each
 * and counts it as passed only if the runner reports the failure.
 */
static void test_negative_fail(struct kunit *test)
{
	if (!negative || strcmp(negative, "fail"))
		kunit_skip(test, "runner self-test (negative=fail)");
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "deliberate failure");
}

static void test_negative_warn(struct kunit *test)
{
	if (!negative || strcmp(negative, "warn"))
		kunit_skip(test, "runner self-test (negative=warn)");
	WARN(1, "pcpupool: deliberate WARN for the runner self-test\n");
}

static void *negative_leak;

static void test_negative_leak(struct kunit *test)
{
	if (!negative || strcmp(negative, "leak"))
		kunit_skip(test, "runner self-test (negative=leak)");
	negative_leak = kmalloc(200, GFP_KERNEL);
	/* lose the only reference: kmemleak must report it */
	WRITE_ONCE(negative_leak, NULL);
}

static struct kunit_case negative_cases[] = {
	KUNIT_CASE(test_negative_fail),
	KUNIT_CASE(test_negative_warn),
	KUNIT_CASE(test_negative_leak),
	{}
};

static struct kunit_suite negative_suite = {
	.name = "pcpupool_negative",
	.test_cases = negative_cases,
};

kunit_test_suites(&runtime_suite, &port_suite, &kasan_suite, &area_suite,
		  &pcpupool_alloc_suite, &pcpupool_cache_suite, &pcpupool_context_suite,
		  &pcpupool_mempool_suite, &pcpupool_fault_suite,
		  &pcpupool_stress_suite, &pcpupool_hotplug_suite, &pcpupool_lockdep_suite,
		  &negative_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcpupool KUnit suites");
