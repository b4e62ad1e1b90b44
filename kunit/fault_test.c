// SPDX-License-Identifier: GPL-2.0
/*
 * fault_test.c - reliability under faults, load and hotplug (issue 8).
 *
 *   pcpupool_fault   every internal allocation site of the slow path is
 *                    made to fail at its 1st, 2nd, ... Nth use (pcpupool's
 *                    fault switch, which also reaches the sites failslab and
 *                    fail_page_alloc cannot: the vm range and the PTE map),
 *                    and then failslab and fail_page_alloc fail everything
 *                    the task allocates.  Every call returns a valid
 *                    allocation or NULL; afterwards the counters are back
 *                    at their baseline and kmemleak (the runner) finds
 *                    nothing.
 *   pcpupool_stress  all CPUs allocate and free random sizes through the
 *                    allocator and a mempool from process, softirq-off and
 *                    hardirq context with canaries, while the balance work
 *                    populates/depopulates, the watermarks change and CPUs
 *                    go offline and online.  stress_ms= sets the length.
 *                    With stress_fail=1 (the page-pressure boot) every
 *                    worker is a make_it_fail task: failslab and
 *                    fail_page_alloc, armed by the guest with a low
 *                    probability, fail its slab and page allocations (the
 *                    backing pages it populates, chunk metadata) at random
 *                    for the whole run; the run must see such failures and
 *                    end with nothing leaked and the stats consistent.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "kt.h"
#include "util.h"

static unsigned int stress_ms = 4000;
module_param(stress_ms, uint, 0444);
MODULE_PARM_DESC(stress_ms, "length of the pcpupool_stress run (make stress: longer)");
static bool stress_fail;
module_param(stress_fail, bool, 0444);
MODULE_PARM_DESC(stress_fail, "pcpupool_stress workers are make_it_fail tasks (page-pressure boot)");

#define UNITS 8

static struct pcpupool_stats st(void)
{
	struct pcpupool_stats s;

	pcpupool_get_stats(&s);
	return s;
}

/* Whole-unit allocations until one creates a chunk; returns how many
 * calls returned NULL.  Frees everything.
 */
static int unit_round(struct kunit *test, gfp_t gfp)
{
	struct pcpupool_stats s0 = st(), s1;
	struct pcpupool_mem p[UNITS] = {};
	int i, nulls = 0;

	for (i = 0; i < UNITS; i++) {
		p[i] = pcpupool_alloc(s0.unit_size, PAGE_SIZE, gfp | __GFP_NOWARN);
		nulls += pcpupool_is_null(p[i]);
		s1 = st();
		if (pcpupool_is_null(p[i]) || s1.nr_chunk_create > s0.nr_chunk_create)
			break;
	}
	for (i = 0; i < UNITS; i++) {
		if (KT_HAS(p[i])) {
			int cpu;

			/* a returned allocation is whole and usable */
			for_each_possible_cpu(cpu)
				memset(pcpupool_ptr(p[i], cpu), 0x5a, s0.unit_size);
		}
		pcpupool_free(p[i]);
	}
	KUNIT_EXPECT_PTR_EQ(test, pcpupool_test_check(), NULL);
	return nulls;
}

static void test_fault_sweep(struct kunit *test)
{
	static const struct { enum pcpu_alloc_site site; const char *name; int max; } sites[] = {
		{ PCPU_SITE_META, "metadata", 4 },
		{ PCPU_SITE_PAGES_ARRAY, "pages array", 2 },
		{ PCPU_SITE_VM_RANGE, "vm range", 2 },
		{ PCPU_SITE_BACKING, "backing page", 70 },
		{ PCPU_SITE_MAP, "pte map", 70 },
	};
	struct pcpupool_stats base, end;
	int s, n, injected, total = 0, calls = 0;

	pcpupool_test_set_watermarks(0, 0, 0);
	pcpupool_test_flush_balance();
	pcpupool_test_flush_balance();
	base = st();
	for (s = 0; s < ARRAY_SIZE(sites); s++) {
		injected = 0;
		for (n = 1; n <= sites[s].max; n++) {
			pcpupool_test_fail_nth(sites[s].site, n);
			injected += unit_round(test, GFP_KERNEL);
			pcpupool_test_fail_nth(sites[s].site, 0);
			pcpupool_test_flush_balance();
			calls++;
		}
		kunit_info(test, "site %s: failed at uses 1..%d, %d calls returned NULL",
			   sites[s].name, sites[s].max, injected);
		KUNIT_EXPECT_GT_MSG(test, injected, 0, "site %s never failed", sites[s].name);
		total += injected;
	}
	/* failslab and fail_page_alloc (armed for tasks with make_it_fail by
	 * the guest): everything this task allocates fails
	 */
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = 1;
	injected = unit_round(test, GFP_KERNEL);
	current->make_it_fail = 0;
	kunit_info(test, "failslab+fail_page_alloc: %d NULL", injected);
	KUNIT_EXPECT_GT(test, injected, 0);
#endif

	pcpupool_test_flush_balance();
	pcpupool_test_flush_balance();
	end = st();
	kunit_info(test, "%d rounds, %d NULLs; chunks %llu -> %llu, populated %llu -> %llu",
		   calls, total, base.nr_chunks, end.nr_chunks, base.populated_pages,
		   end.populated_pages);
	KUNIT_EXPECT_EQ(test, end.nr_cur_alloc, base.nr_cur_alloc);
	KUNIT_EXPECT_EQ(test, end.live_bytes, base.live_bytes);
	KUNIT_EXPECT_LE(test, end.nr_chunks, base.nr_chunks + 1);
	KUNIT_EXPECT_LE(test, end.populated_pages, base.populated_pages);
	KUNIT_EXPECT_PTR_EQ(test, pcpupool_test_check(), NULL);
	pcpupool_test_set_watermarks(2, 4, 64);
	pcpupool_test_flush_balance();
}

static struct kunit_case fault_cases[] = {
	KUNIT_CASE_SLOW(test_fault_sweep),
	{}
};

struct kunit_suite pcpupool_fault_suite = {
	.name = "pcpupool_fault",
	.test_cases = fault_cases,
};

/* ---- stress ---- */
struct stress {
	struct pcpupool_mempool *mp;
	atomic_t corrupt, ops, irq_ops, hotplug, tunes;
	atomic_t sleepable_nulls;	/* NULL for GFP_KERNEL/GFP_NOIO */
	struct kt_gang gang;
	unsigned long deadline;
};



static int stress_worker(void *arg)
{
	struct stress *s = arg;
	struct pcpupool_mem *live = kcalloc(48, sizeof(*live), GFP_KERNEL);
	size_t *sz = kcalloc(48, sizeof(*sz), GFP_KERNEL);
	struct rnd_state rnd;
	int i = 0, k;

	if (!live || !sz) {
		kfree(live);
		kfree(sz);
		atomic_inc(&s->corrupt);
		return 0;
	}
	prandom_seed_state(&rnd, current->pid * 31);
	if (stress_fail)
		kt_set_make_it_fail(1);	/* after its own kcalloc()s */
	while (time_before(jiffies, s->deadline)) {
		k = prandom_u32_state(&rnd) % 48;
		if (KT_HAS(live[k])) {
			if (!kt_filled(live[k], sz[k], k))
				atomic_inc(&s->corrupt);
			if (k < 8)
				pcpupool_mempool_free(live[k], s->mp);
			else
				pcpupool_free(live[k]);
			live[k] = KT_NO_MEM;
		} else if (k < 8) {
			sz[k] = 40;
			live[k] = pcpupool_mempool_alloc(s->mp, i & 1 ? GFP_NOIO : GFP_ATOMIC);
		} else {
			u32 r = prandom_u32_state(&rnd);
			gfp_t gfp = r & 1 ? GFP_KERNEL : r & 2 ? GFP_NOIO : GFP_NOWAIT;

			sz[k] = 1 + (r >> 8) % (r & 4 ? 2000 : 120);
			/*
			 * Page pressure: slots 40..47 hold 4..16 KiB sleepable
			 * allocations, which populate pages in this task (the
			 * caches and the balance work's headroom serve the
			 * small ones without a page allocation).
			 */
			if (stress_fail && k >= 40) {
				sz[k] = 4096 + (r >> 8) % 12288;
				gfp = r & 2 ? GFP_NOIO : GFP_KERNEL;
				r |= 24;
			}
			if ((r & 24) == 0)
				local_bh_disable();
			live[k] = pcpupool_alloc(sz[k], 1 << ((r >> 20) % 6),
						 ((r & 24) == 0 ? GFP_ATOMIC : gfp) | __GFP_NOWARN);
			if ((r & 24) == 0)
				local_bh_enable();
			else if (gfp != GFP_NOWAIT && pcpupool_is_null(live[k]))
				atomic_inc(&s->sleepable_nulls);
		}
		if (KT_HAS(live[k]))
			kt_fill(live[k], sz[k], k);
		atomic_inc(&s->ops);
		if (++i % 32 == 0)
			cond_resched();
	}
	kt_set_make_it_fail(0);
	for (k = 0; k < 48; k++) {
		if (KT_HAS(live[k]) && !kt_filled(live[k], sz[k], k))
			atomic_inc(&s->corrupt);
		if (k < 8)
			pcpupool_mempool_free(live[k], s->mp);
		else
			pcpupool_free(live[k]);
	}
	kfree(live);
	kfree(sz);
	kt_gang_done(&s->gang);
	return 0;
}

struct stress_timer {
	struct hrtimer t;
	struct stress *s;
	struct pcpupool_mem p, q;
	bool stop;
};

static enum hrtimer_restart stress_irq(struct hrtimer *t)
{
	struct stress_timer *st = container_of(t, struct stress_timer, t);

	if (KT_HAS(st->p)) {
		if (!kt_filled(st->p, 24, 0x66))
			atomic_inc(&st->s->corrupt);
		pcpupool_free(st->p);
	}
	if (KT_HAS(st->q)) {
		if (!kt_filled(st->q, 40, 0x77))
			atomic_inc(&st->s->corrupt);
		pcpupool_mempool_free(st->q, st->s->mp);
	}
	st->p = pcpupool_alloc(24, 8, GFP_ATOMIC | __GFP_NOWARN);
	st->q = pcpupool_mempool_alloc(st->s->mp, GFP_ATOMIC);
	if (KT_HAS(st->p))
		kt_fill(st->p, 24, 0x66);
	if (KT_HAS(st->q))
		kt_fill(st->q, 40, 0x77);
	atomic_inc(&st->s->irq_ops);
	if (READ_ONCE(st->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Changes the watermarks and offlines/onlines CPUs while the workers run. */
static int stress_chaos(void *arg)
{
	struct stress *s = arg;
	int round = 0;

	while (time_before(jiffies, s->deadline)) {
		int cpu = 1 + round % (num_possible_cpus() - 1);

		pcpupool_test_set_watermarks(round % 3, 2 + round % 5, 16 + round % 32);
		atomic_inc(&s->tunes);
		if (num_possible_cpus() > 1 && cpu_online(cpu) && !remove_cpu(cpu)) {
			msleep(50);
			if (!add_cpu(cpu))
				atomic_inc(&s->hotplug);
		}
		msleep(100);
		round++;
	}
	pcpupool_test_set_watermarks(2, 4, 64);
	kt_gang_done(&s->gang);
	return 0;
}

static void test_stress(struct kunit *test)
{
	struct stress *s = kzalloc(sizeof(*s), GFP_KERNEL);
	struct stress_timer *tm = kcalloc(nr_cpu_ids, sizeof(*tm), GFP_KERNEL);
	struct pcpupool_stats before, after;
	int cpu, i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, tm);
	pcpupool_test_flush_balance();
	before = st();
	s->mp = pcpupool_mempool_create("stress", 40, 8, 32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->mp);
	s->deadline = jiffies + msecs_to_jiffies(stress_ms);
	for_each_online_cpu(cpu) {
		tm[cpu].s = s;
		hrtimer_init(&tm[cpu].t, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		tm[cpu].t.function = stress_irq;
		hrtimer_start(&tm[cpu].t, ns_to_ktime((cpu + 1) * 300 * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_HARD);
		/* not bound: CPUs go offline under them */
		kt_gang_add(&s->gang, stress_worker, s, cpu, false, "pcpupool_stress/%d");
	}
	kt_gang_add(&s->gang, stress_chaos, s, -1, false, "pcpupool_chaos");
	kt_gang_stop(&s->gang);
	for_each_possible_cpu(cpu) {
		if (!tm[cpu].s)
			continue;
		WRITE_ONCE(tm[cpu].stop, true);
		hrtimer_cancel(&tm[cpu].t);
		if (KT_HAS(tm[cpu].p) && !kt_filled(tm[cpu].p, 24, 0x66))
			atomic_inc(&s->corrupt);
		if (KT_HAS(tm[cpu].q) && !kt_filled(tm[cpu].q, 40, 0x77))
			atomic_inc(&s->corrupt);
		pcpupool_free(tm[cpu].p);
		pcpupool_mempool_free(tm[cpu].q, s->mp);
	}
	pcpupool_mempool_destroy(s->mp);
	/* Cached objects keep their pages until trimmed: give them back. */
	pcpupool_test_drain_caches();
	for (i = 0; i < 20; i++)
		pcpupool_test_flush_balance();
	after = st();
	kunit_info(test, "%d ms: %d ops, %d hardirq ops, %d hotplug cycles, %d tunable changes; populated pages %llu -> %llu (empty %llu, target %llu..%llu, chunks %llu)",
		   stress_ms, atomic_read(&s->ops), atomic_read(&s->irq_ops),
		   atomic_read(&s->hotplug), atomic_read(&s->tunes),
		   before.populated_pages, after.populated_pages, after.empty_pop_pages,
		   after.target_low, after.target_high, after.nr_chunks);
	kunit_info(test, "sleepable allocations that failed: %d%s", atomic_read(&s->sleepable_nulls),
		   stress_fail ? " (failslab and fail_page_alloc armed for the workers)" : "");
	KUNIT_EXPECT_EQ(test, atomic_read(&s->corrupt), 0);
	/* The page-pressure boot proves something only if allocations failed. */
	if (stress_fail)
		KUNIT_EXPECT_GT_MSG(test, atomic_read(&s->sleepable_nulls), 0,
				    "no sleepable allocation failed: fault injection not armed?");
	/* everything allocated since "before" (the pool included) is freed */
	KUNIT_EXPECT_EQ(test, after.nr_cur_alloc, before.nr_cur_alloc);
	KUNIT_EXPECT_EQ(test, after.nr_alloc - before.nr_alloc,
			after.nr_dealloc - before.nr_dealloc);
	KUNIT_EXPECT_LE(test, after.populated_pages, before.populated_pages + 16 * num_possible_cpus());
	KUNIT_EXPECT_GT(test, atomic_read(&s->hotplug), 0);
	KUNIT_EXPECT_PTR_EQ(test, pcpupool_test_check(), NULL);
	kfree(tm);
	kfree(s);
}

static struct kunit_case stress_cases[] = {
	KUNIT_CASE_SLOW(test_stress),
	{}
};

struct kunit_suite pcpupool_stress_suite = {
	.name = "pcpupool_stress",
	.test_cases = stress_cases,
};
