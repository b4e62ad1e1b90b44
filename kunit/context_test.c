// SPDX-License-Identifier: GPL-2.0
/*
 * context_test.c - constrained callers (issue: NOFS/NOIO and memalloc
 * scopes), proven with pcpupool's allocation recorder and with lockdep.
 *
 *   pcpupool_context  for each caller context, force chunk creation and
 *                     population and check the effective gfp of every
 *                     internal allocation; killable vs NOFAIL mutex waits.
 *   pcpupool_lockdep  a shrinker takes mutex M inside reclaim, then a
 *                     GFP_NOFS allocation holding M creates a chunk: no
 *                     lockdep report may appear.  Runs in its own boot
 *                     (lockdep_proof=1); booted once more with pcpupool's
 *                     test_unsafe_gfp=1, where lockdep MUST report.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "util.h"

static bool lockdep_proof;
module_param(lockdep_proof, bool, 0444);
MODULE_PARM_DESC(lockdep_proof, "run the lockdep reclaim proof (own boot)");

/* ---- the recorder ---- */
static DEFINE_SPINLOCK(rec_lock);
static struct {
	unsigned int count[PCPU_SITE_NR];
	unsigned int with_fs, with_io, locked_with_fs_or_io, total;
} rec;

static void recorder(enum pcpu_alloc_site site, unsigned int gfp, int held)
{
	unsigned long flags;

	spin_lock_irqsave(&rec_lock, flags);
	rec.count[site]++;
	rec.total++;
	if (gfp & (__force unsigned int)__GFP_FS)
		rec.with_fs++;
	if (gfp & (__force unsigned int)__GFP_IO)
		rec.with_io++;
	if (held && (gfp & (__force unsigned int)(__GFP_FS | __GFP_IO)))
		rec.locked_with_fs_or_io++;
	spin_unlock_irqrestore(&rec_lock, flags);
}

enum ctx { CTX_KERNEL, CTX_NOFS, CTX_NOIO, CTX_SCOPE_NOFS, CTX_SCOPE_NOIO };

/* Whole-unit allocations until one needs a new chunk (free chunks kept as
 * spares are used up first): a chunk is created and all its pages
 * populated on behalf of this caller.
 */
#define MAX_UNITS 8

static void run_in_context(struct kunit *test, enum ctx c)
{
	struct pcpupool_stats st0, st1;
	struct pcpupool_mem p[MAX_UNITS] = {};
	unsigned int cookie = 0;
	gfp_t gfp = c == CTX_NOFS ? GFP_NOFS : c == CTX_NOIO ? GFP_NOIO : GFP_KERNEL;
	int i;

	pcpupool_get_stats(&st0);
	memset(&rec, 0, sizeof(rec));
	pcpupool_test_set_recorder(recorder);
	if (c == CTX_SCOPE_NOFS)
		cookie = memalloc_nofs_save();
	if (c == CTX_SCOPE_NOIO)
		cookie = memalloc_noio_save();
	for (i = 0; i < MAX_UNITS; i++) {
		p[i] = pcpupool_alloc(st0.unit_size, PAGE_SIZE, gfp);
		pcpupool_get_stats(&st1);
		if (pcpupool_is_null(p[i]) || st1.nr_chunk_create > st0.nr_chunk_create)
			break;
	}
	if (c == CTX_SCOPE_NOFS)
		memalloc_nofs_restore(cookie);
	if (c == CTX_SCOPE_NOIO)
		memalloc_noio_restore(cookie);
	pcpupool_test_set_recorder(NULL);
	pcpupool_get_stats(&st1);

	KUNIT_EXPECT_LT(test, i, MAX_UNITS);
	KUNIT_EXPECT_TRUE(test, KT_HAS(p[0]));
	KUNIT_EXPECT_GE(test, st1.nr_chunk_create - st0.nr_chunk_create, 1ULL);
	KUNIT_EXPECT_GT(test, rec.count[PCPU_SITE_META], 0U);
	KUNIT_EXPECT_GT(test, rec.count[PCPU_SITE_VM_RANGE], 0U);
	KUNIT_EXPECT_GT(test, rec.count[PCPU_SITE_PAGES_ARRAY], 0U);
	KUNIT_EXPECT_GT(test, rec.count[PCPU_SITE_BACKING], 0U);
	kunit_info(test, "%u internal allocations (meta %u, vm %u, array %u, pages %u)",
		   rec.total, rec.count[PCPU_SITE_META], rec.count[PCPU_SITE_VM_RANGE],
		   rec.count[PCPU_SITE_PAGES_ARRAY], rec.count[PCPU_SITE_BACKING]);
	/* Nothing made under the mutex may enter FS or IO reclaim, whoever
	 * the caller; with this design that is every internal allocation.
	 */
	KUNIT_EXPECT_EQ(test, rec.locked_with_fs_or_io, 0U);
	if (c != CTX_KERNEL)
		KUNIT_EXPECT_EQ(test, rec.with_fs, 0U);
	if (c == CTX_NOIO || c == CTX_SCOPE_NOIO)
		KUNIT_EXPECT_EQ(test, rec.with_io, 0U);
	for (i = 0; i < MAX_UNITS; i++)
		pcpupool_free(p[i]);
	pcpupool_test_flush_balance();
}

static void test_ctx_kernel(struct kunit *test) { run_in_context(test, CTX_KERNEL); }
static void test_ctx_nofs(struct kunit *test) { run_in_context(test, CTX_NOFS); }
static void test_ctx_noio(struct kunit *test) { run_in_context(test, CTX_NOIO); }
static void test_ctx_scope_nofs(struct kunit *test) { run_in_context(test, CTX_SCOPE_NOFS); }
static void test_ctx_scope_noio(struct kunit *test) { run_in_context(test, CTX_SCOPE_NOIO); }

/* ---- killable vs NOFAIL ---- */
struct waiter {
	gfp_t gfp;
	bool kill_first;
	struct pcpupool_mem p;
	struct completion started, done;
	unsigned long switches;
};

static int waiter_fn(void *arg)
{
	struct waiter *w = arg;

	if (w->kill_first) {
		allow_signal(SIGKILL);
		send_sig(SIGKILL, current, 1);
	}
	complete(&w->started);
	/* Above the per-CPU front end's classes: the locked layer's mutex. */
	w->p = pcpupool_alloc(2048, 8, w->gfp);
	complete(&w->done);
	/* stay until kthread_stop() so the test can read the result */
	while (!kthread_should_stop()) {
		flush_signals(current);
		schedule_timeout_interruptible(HZ / 50);
	}
	return 0;
}

static void test_killable_and_nofail(struct kunit *test)
{
	struct waiter *w = kunit_kzalloc(test, 2 * sizeof(*w), GFP_KERNEL);
	struct pcpupool_stats st0, st1;
	struct task_struct *t0, *t1;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, w);
	for (i = 0; i < 2; i++) {
		init_completion(&w[i].started);
		init_completion(&w[i].done);
	}
	w[0].gfp = GFP_KERNEL;
	w[0].kill_first = true;
	w[1].gfp = GFP_KERNEL | __GFP_NOFAIL;
	pcpupool_get_stats(&st0);

	pcpupool_test_hold_mutex(1);	/* another holder of the mutex */
	t0 = kthread_run(waiter_fn, &w[0], "pcpupool_kill");
	t1 = kthread_run(waiter_fn, &w[1], "pcpupool_nofail");
	if (IS_ERR(t0) || IS_ERR(t1)) {
		pcpupool_test_hold_mutex(0);
		KUNIT_FAIL(test, "kthread_run failed");
		return;
	}
	get_task_struct(t0);
	get_task_struct(t1);
	/* The killed waiter returns NULL promptly, mutex still held... */
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&w[0].done, 10 * HZ), 0UL);
	KUNIT_EXPECT_TRUE(test, pcpupool_is_null(w[0].p));
	/* ...while the NOFAIL waiter is still waiting. */
	wait_for_completion(&w[1].started);
	msleep(200);
	KUNIT_EXPECT_FALSE(test, completion_done(&w[1].done));
	pcpupool_test_hold_mutex(0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&w[1].done, 30 * HZ), 0UL);
	KUNIT_EXPECT_TRUE(test, KT_HAS(w[1].p));
	kthread_stop(t0);
	kthread_stop(t1);
	put_task_struct(t0);
	put_task_struct(t1);
	pcpupool_get_stats(&st1);
	KUNIT_EXPECT_EQ(test, st1.nr_killed - st0.nr_killed, 1ULL);
	pcpupool_free(w[1].p);
}

static struct kunit_case context_cases[] = {
	KUNIT_CASE(test_ctx_kernel),
	KUNIT_CASE(test_ctx_nofs),
	KUNIT_CASE(test_ctx_noio),
	KUNIT_CASE(test_ctx_scope_nofs),
	KUNIT_CASE(test_ctx_scope_noio),
	KUNIT_CASE(test_killable_and_nofail),
	{}
};

struct kunit_suite pcpupool_context_suite = {
	.name = "pcpupool_context",
	.test_cases = context_cases,
};

/* ---- lockdep proof ---- */
static DEFINE_MUTEX(fs_lock_m);		/* "an FS lock" */
static atomic_t shrinker_in_reclaim;

static unsigned long test_count(struct shrinker *s, struct shrink_control *sc)
{
	return 1024;
}

static unsigned long test_scan(struct shrinker *s, struct shrink_control *sc)
{
	/* An FS shrinker: takes the FS lock inside reclaim. */
	mutex_lock(&fs_lock_m);
	if (current->flags & PF_MEMALLOC)
		atomic_inc(&shrinker_in_reclaim);
	mutex_unlock(&fs_lock_m);
	return SHRINK_STOP;
}

/* Allocates pages until the shrinker has run inside reclaim (or memory
 * is exhausted), then frees them.
 */
static void drive_reclaim(struct kunit *test)
{
	LIST_HEAD(pages);
	struct page *page, *tmp;
	unsigned long n = 0, limit = totalram_pages();

	while (!atomic_read(&shrinker_in_reclaim) && n < limit) {
		page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!page)
			break;
		list_add(&page->lru, &pages);
		n++;
		if (n % 4096 == 0)
			cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &pages, lru)
		__free_page(page);
	kunit_info(test, "allocated %lu pages to reach reclaim; shrinker ran in reclaim %d times",
		   n, atomic_read(&shrinker_in_reclaim));
}

/* Whole-unit allocations with @gfp until one made a chunk: how many did. */
static int make_chunk(struct kunit *test, gfp_t gfp, struct pcpupool_mem *p)
{
	struct pcpupool_stats st0, st1;
	int i;

	pcpupool_get_stats(&st0);
	for (i = 0; i < MAX_UNITS; i++) {
		p[i] = pcpupool_alloc(st0.unit_size, PAGE_SIZE, gfp);
		pcpupool_get_stats(&st1);
		if (pcpupool_is_null(p[i]) || st1.nr_chunk_create > st0.nr_chunk_create)
			break;
	}
	KUNIT_EXPECT_TRUE(test, KT_HAS(p[0]));
	return st1.nr_chunk_create - st0.nr_chunk_create;
}

static void test_lockdep_nofs_under_fs_lock(struct kunit *test)
{
	struct shrinker *s;
	struct pcpupool_mem p[MAX_UNITS] = {};
	int i, created;

	if (!lockdep_proof)
		kunit_skip(test, "runs in the lockdep boot (pcpupool_kunit.lockdep_proof=1)");
	s = shrinker_alloc(0, "pcpupool-test");
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->count_objects = test_count;
	s->scan_objects = test_scan;
	s->seeks = 0;
	shrinker_register(s);
	drive_reclaim(test);
	KUNIT_EXPECT_GT(test, atomic_read(&shrinker_in_reclaim), 0);

	mutex_lock(&fs_lock_m);
	created = make_chunk(test, GFP_NOFS, p);
	mutex_unlock(&fs_lock_m);
	KUNIT_EXPECT_GE(test, created, 1);
	for (i = 0; i < MAX_UNITS; i++)
		pcpupool_free(p[i]);
	shrinker_free(s);
	pcpupool_test_flush_balance();
}

/*
 * The IO half.  lockdep's fs_reclaim map sees only __GFP_FS; pcpupool's own
 * map (pcpupool_io_reclaim, port/mem.c) is "acquired" by every internal
 * allocation that may enter IO reclaim and held by IO that reclaim may wait
 * for (pcpupool_lockdep_io_begin/end: pcpupool_blk's submission).  First a
 * GFP_KERNEL caller makes a chunk (under the mutex, everything is NOIO: no
 * mutex -> IO edge), then IO makes one with GFP_NOIO (IO -> mutex).  With
 * test_unsafe_gfp=1 the first step records mutex -> IO and the second
 * closes the cycle: lockdep must report it.
 */
static void test_lockdep_noio_under_io(struct kunit *test)
{
	struct pcpupool_mem a[MAX_UNITS] = {}, b[MAX_UNITS] = {};
	int i;

	if (!lockdep_proof)
		kunit_skip(test, "runs in the lockdep boot (pcpupool_kunit.lockdep_proof=1)");
	KUNIT_EXPECT_GE(test, make_chunk(test, GFP_KERNEL, a), 1);
	pcpupool_lockdep_io_begin();
	KUNIT_EXPECT_GE(test, make_chunk(test, GFP_NOIO, b), 1);
	pcpupool_lockdep_io_end();
	for (i = 0; i < MAX_UNITS; i++) {
		pcpupool_free(a[i]);
		pcpupool_free(b[i]);
	}
	pcpupool_test_flush_balance();
}

static struct kunit_case lockdep_cases[] = {
	KUNIT_CASE_SLOW(test_lockdep_nofs_under_fs_lock),
	KUNIT_CASE_SLOW(test_lockdep_noio_under_io),
	{}
};

struct kunit_suite pcpupool_lockdep_suite = {
	.name = "pcpupool_lockdep",
	.test_cases = lockdep_cases,
};
