// SPDX-License-Identifier: GPL-2.0
/*
 * mempool_test.c - suite pcpupool_mempool: the percpu mempool's contract.
 *
 * The allocator is made to fail with pcpupool's atomic fault switch, and the
 * refill work is blocked by holding the allocator mutex (its GFP_KERNEL
 * allocations wait there), so that exactly the reserve is visible.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "util.h"

#define MIN_NR 8

static struct pcpupool_mempool_stats mstats(struct pcpupool_mempool *mp)
{
	struct pcpupool_mempool_stats st;

	pcpupool_mempool_get_stats(mp, &st);
	return st;
}

/* One counter, read out of line (keeps KASAN stack frames small). */
static noinline unsigned long long mst_field(struct pcpupool_mempool *mp, size_t off)
{
	struct pcpupool_mempool_stats st;

	pcpupool_mempool_get_stats(mp, &st);
	return *(unsigned long long *)((char *)&st + off);
}

static noinline unsigned long long pst_field(size_t off)
{
	struct pcpupool_stats st;

	pcpupool_get_stats(&st);
	return *(unsigned long long *)((char *)&st + off);
}

#define MST(mp, f) mst_field(mp, offsetof(struct pcpupool_mempool_stats, f))
#define PST(f) pst_field(offsetof(struct pcpupool_stats, f))




static unsigned long switches(void)
{
	return current->nvcsw + current->nivcsw;
}

static DEFINE_SPINLOCK(mp_lock);

/* Allocator failing, refill blocked: NOIO and atomic callers get exactly
 * MIN_NR elements, zeroed, then NULL -- at once, never sleeping.
 */
static void test_reserve_honoured(struct kunit *test)
{
	struct pcpupool_mempool *mp = pcpupool_mempool_create("t_reserve", 64, 8, MIN_NR, GFP_KERNEL);
	struct pcpupool_mem p[MIN_NR + 2];
	struct pcpupool_mempool_stats st;
	unsigned long flags, sw;
	int i, got = 0;

	KUNIT_ASSERT_NOT_NULL(test, mp);
	KUNIT_EXPECT_EQ(test, mstats(mp).reserved, (u64)MIN_NR);
	/*
	 * The refill is blocked by holding the allocator mutex, which only
	 * the locked layer takes: the per-CPU front end off meanwhile.
	 */
	pcpupool_test_set_caching(0);
	pcpupool_test_hold_mutex(1);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	sw = switches();
	for (i = 0; i < MIN_NR + 2; i++) {
		if (i % 2) {
			spin_lock_irqsave(&mp_lock, flags);
			p[i] = pcpupool_mempool_alloc(mp, GFP_ATOMIC);
			spin_unlock_irqrestore(&mp_lock, flags);
		} else {
			p[i] = pcpupool_mempool_alloc(mp, GFP_NOIO);
		}
		got += KT_HAS(p[i]);
		if (KT_HAS(p[i])) {
			KUNIT_EXPECT_TRUE(test, kt_zeroed(p[i], 64));
			kt_fill(p[i], 64, i);
		}
	}
	KUNIT_EXPECT_EQ(test, switches(), sw);
	KUNIT_EXPECT_EQ(test, got, MIN_NR);
	KUNIT_EXPECT_TRUE(test, pcpupool_is_null(p[MIN_NR]));
	KUNIT_EXPECT_TRUE(test, pcpupool_is_null(p[MIN_NR + 1]));
	st = mstats(mp);
	KUNIT_EXPECT_EQ(test, st.failures, 2ULL);
	KUNIT_EXPECT_EQ(test, st.waits, 0ULL);
	KUNIT_EXPECT_EQ(test, st.reserved, 0ULL);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	pcpupool_test_hold_mutex(0);
	pcpupool_test_set_caching(1);

	/* Frees refill the reserve; the refill work tops it up. */
	for (i = 0; i < MIN_NR + 2; i++)
		pcpupool_mempool_free(p[i], mp);
	pcpupool_test_mempool_flush(mp);
	st = mstats(mp);
	KUNIT_EXPECT_EQ(test, st.reserved, (u64)MIN_NR);
	KUNIT_EXPECT_EQ(test, st.outstanding, 0ULL);
	/* Reserve elements are handed out zeroed again. */
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	p[0] = pcpupool_mempool_alloc(mp, GFP_NOWAIT);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	KUNIT_ASSERT_TRUE(test, KT_HAS(p[0]));
	KUNIT_EXPECT_TRUE(test, kt_zeroed(p[0], 64));
	pcpupool_mempool_free(p[0], mp);
	pcpupool_mempool_destroy(mp);
}

/* The allocator is tried first; an unconstrained caller may fall back to
 * its own sleeping allocation, a constrained one never does.
 */
static void test_allocator_first(struct kunit *test)
{
	struct pcpupool_mempool *mp = pcpupool_mempool_create("t_first", 128, 64, 4, GFP_KERNEL);
	struct pcpupool_mempool_stats st;
	struct pcpupool_mem a, b;
	unsigned int cookie;

	KUNIT_ASSERT_NOT_NULL(test, mp);
	pcpupool_test_flush_balance();
	a = pcpupool_mempool_alloc(mp, GFP_KERNEL);
	st = mstats(mp);
	KUNIT_EXPECT_TRUE(test, KT_HAS(a));
	KUNIT_EXPECT_EQ(test, st.served_allocator, 1ULL);
	KUNIT_EXPECT_EQ(test, st.reserved, 4ULL);
	KUNIT_EXPECT_EQ(test, (unsigned long)pcpupool_ptr(a, 0) % 64, 0UL);
	pcpupool_mempool_free(a, mp);	/* reserve is full: back to the allocator */
	KUNIT_EXPECT_EQ(test, mstats(mp).frees_allocator, 1ULL);

	/* reserve drained, allocator failing: a NOIO scope makes GFP_KERNEL
	 * constrained, so it fails instead of waiting
	 */
	KUNIT_ASSERT_EQ(test, pcpupool_mempool_resize(mp, 0), 0);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	cookie = memalloc_noio_save();
	b = pcpupool_mempool_alloc(mp, GFP_KERNEL);
	memalloc_noio_restore(cookie);
	KUNIT_EXPECT_TRUE(test, pcpupool_is_null(b));
	/* unconstrained: its own direct allocation (which may sleep) */
	b = pcpupool_mempool_alloc(mp, GFP_KERNEL);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	KUNIT_EXPECT_TRUE(test, KT_HAS(b));
	st = mstats(mp);
	KUNIT_EXPECT_EQ(test, st.served_direct, 1ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	pcpupool_mempool_free(b, mp);
	pcpupool_mempool_destroy(mp);
}

/* Magazine hits touch no shared state: the depot lock is not taken. */
static void test_magazine_local(struct kunit *test)
{
	struct pcpupool_mempool *mp = pcpupool_mempool_create("t_mag", 32, 8, 32, GFP_KERNEL);
	struct pcpupool_mempool_stats st0, st1;
	struct pcpupool_mem p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, mp);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	migrate_disable();
	/* first miss moves half a magazine from the depot */
	p = pcpupool_mempool_alloc(mp, GFP_NOWAIT);
	KUNIT_EXPECT_TRUE(test, KT_HAS(p));
	pcpupool_mempool_free(p, mp);
	/*
	 * That miss kicked the refill: let it finish first.  Run during the
	 * loop, it could fill the gap an element out leaves, and that
	 * element's free would then rightly go to the allocator.
	 */
	pcpupool_test_mempool_flush(mp);
	st0 = mstats(mp);
	for (i = 0; i < 200; i++) {
		p = pcpupool_mempool_alloc(mp, GFP_NOWAIT);
		if (pcpupool_is_null(p))
			break;
		pcpupool_mempool_free(p, mp);
	}
	st1 = mstats(mp);
	migrate_enable();
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	KUNIT_EXPECT_EQ(test, i, 200);
	KUNIT_EXPECT_EQ(test, st1.depot_ops, st0.depot_ops);
	KUNIT_EXPECT_EQ(test, st1.served_magazine - st0.served_magazine, 200ULL);
	KUNIT_EXPECT_EQ(test, st1.frees_magazine - st0.frees_magazine, 200ULL);
	KUNIT_EXPECT_EQ(test, st1.reserved, 32ULL);
	pcpupool_mempool_destroy(mp);
}

/* Offlining a CPU drains its magazine into the depot. */
/* Work run on one CPU with smp_call_on_cpu(): a pool and what it got. */
struct on_cpu_arg {
	struct pcpupool_mempool *mp;
	int got;
};

static int fill_magazine(void *arg)
{
	struct on_cpu_arg *a = arg;
	struct pcpupool_mem p[4];
	int i;

	for (i = 0; i < 4; i++)
		p[i] = pcpupool_mempool_alloc(a->mp, GFP_NOWAIT);
	for (i = 0; i < 4; i++)
		pcpupool_mempool_free(p[i], a->mp);
	return 0;
}

static void test_hotplug_drains(struct kunit *test)
{
	struct on_cpu_arg a = { .mp = pcpupool_mempool_create("t_hp", 16, 8, 16, GFP_KERNEL) };
	int cpu = 1, ret;

	KUNIT_ASSERT_NOT_NULL(test, a.mp);
	if (num_online_cpus() < 2 || !cpu_online(cpu)) {
		pcpupool_mempool_destroy(a.mp);
		kunit_skip(test, "needs CPU 1 online");
	}
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	smp_call_on_cpu(cpu, fill_magazine, &a, false);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	KUNIT_EXPECT_GT(test, mstats(a.mp).in_magazines, 0ULL);
	ret = remove_cpu(cpu);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, mstats(a.mp).in_magazines, 0ULL);
	KUNIT_EXPECT_EQ(test, mstats(a.mp).reserved, 16ULL);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	pcpupool_mempool_destroy(a.mp);
}

/*
 * The reserve is a guarantee on every CPU: with most elements parked in
 * CPU 1's magazine, a constrained caller on CPU 2 gets the depot's and
 * then CPU 1's (stolen one by one): every reserved element, then NULL.
 */
static int take_all(void *arg)
{
	struct on_cpu_arg *a = arg;
	struct pcpupool_mem p[20];
	unsigned long flags;
	int i;

	for (i = 0; i < 20; i++) {
		spin_lock_irqsave(&mp_lock, flags);
		p[i] = pcpupool_mempool_alloc(a->mp, GFP_ATOMIC);
		spin_unlock_irqrestore(&mp_lock, flags);
		a->got += KT_HAS(p[i]);
	}
	for (i = 0; i < 20; i++)
		pcpupool_mempool_free(p[i], a->mp);
	return 0;
}

static void test_reserve_any_cpu(struct kunit *test)
{
	struct on_cpu_arg h = { .mp = pcpupool_mempool_create("t_any", 24, 8, 16, GFP_KERNEL) };
	struct on_cpu_arg a = { .mp = h.mp };
	u64 res;

	KUNIT_ASSERT_NOT_NULL(test, h.mp);
	if (!cpu_online(1) || !cpu_online(2)) {
		pcpupool_mempool_destroy(h.mp);
		kunit_skip(test, "needs CPUs 1 and 2 online");
	}
	/*
	 * The refill is blocked below by holding the allocator mutex, which
	 * only the locked layer takes: the per-CPU front end off meanwhile.
	 */
	pcpupool_test_set_caching(0);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	smp_call_on_cpu(1, fill_magazine, &h, false);
	/*
	 * Most elements sit in CPU 1's magazine, the rest in the depot.  The
	 * refill work kicked meanwhile may have added a few (the reserve can
	 * exceed min_nr until it next runs): let it finish, then block it.
	 */
	pcpupool_test_mempool_flush(h.mp);
	pcpupool_test_hold_mutex(1);
	res = MST(h.mp, reserved);
	KUNIT_EXPECT_GE(test, res, 16ULL);
	KUNIT_EXPECT_GT(test, MST(h.mp, in_magazines), 0ULL);
	smp_call_on_cpu(2, take_all, &a, false);
	pcpupool_test_hold_mutex(0);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	pcpupool_test_set_caching(1);
	KUNIT_EXPECT_EQ(test, (u64)a.got, res);
	KUNIT_EXPECT_EQ(test, MST(h.mp, failures), 20 - res);
	KUNIT_EXPECT_EQ(test, MST(h.mp, outstanding), 0ULL);
	KUNIT_EXPECT_GE(test, MST(h.mp, reserved), 16ULL);
	pcpupool_mempool_destroy(h.mp);
}

static void test_resize(struct kunit *test)
{
	struct pcpupool_mempool *mp = pcpupool_mempool_create("t_resize", 200, 8, 4, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, mp);
	KUNIT_EXPECT_EQ(test, pcpupool_mempool_resize(mp, 100), 0);
	KUNIT_EXPECT_EQ(test, mstats(mp).reserved, 100ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_mempool_resize(mp, 3), 0);
	KUNIT_EXPECT_EQ(test, mstats(mp).reserved, 3ULL);
	KUNIT_EXPECT_EQ(test, mstats(mp).in_magazines, 0ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_mempool_resize(mp, 1 << 30), -EINVAL);
	KUNIT_EXPECT_EQ(test, mstats(mp).min_nr, 3ULL);
	pcpupool_mempool_destroy(mp);
}

/* Destroy with elements out WARNs; the elements stay valid allocator
 * memory and are freed with pcpupool_free(): nothing leaks.
 */
static void test_destroy_with_elements_out(struct kunit *test)
{
	struct pcpupool_mempool *mp = pcpupool_mempool_create("t_destroy", 48, 8, 2, GFP_KERNEL);
	struct pcpupool_stats before, after;
	struct pcpupool_mem p[3];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, mp);
	pcpupool_get_stats(&before);
	for (i = 0; i < 3; i++)
		p[i] = pcpupool_mempool_alloc(mp, GFP_KERNEL);
	pr_info("pcpupool-test: expect-splat-begin WARNING :: task=kunit_try_catch :: mempool t_destroy destroyed with 3 elements still out\n");
	pcpupool_mempool_destroy(mp);
	pr_info("pcpupool-test: expect-splat-end\n");
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_TRUE(test, KT_HAS(p[i]));
		pcpupool_free(p[i]);
	}
	pcpupool_get_stats(&after);
	/* destroy returned the reserve (2) and the pool's own percpu state
	 * (magazines, counters: 2); the 3 elements went back with free
	 */
	KUNIT_EXPECT_EQ(test, after.nr_cur_alloc + 4, before.nr_cur_alloc);
}

/*
 * Misused frees never reach a reserve: a pointer pcpupool does not own, a
 * plain allocation, an interior pointer, another pool's element, a double
 * free, and pcpupool_free() of an element sitting in a reserve.  Each is
 * refused and counted (WARN_ONCE per kind: expected splats); both pools
 * then hand out distinct, intact elements and nothing leaks.
 */
static void test_misuse_refused(struct kunit *test)
{
	struct pcpupool_mempool *a = pcpupool_mempool_create("t_mis_a", 64, 8, 4, GFP_KERNEL);
	struct pcpupool_mempool *b = pcpupool_mempool_create("t_mis_b", 64, 8, 4, GFP_KERNEL);
	unsigned long long before;
	struct pcpupool_mem ea, eb, plain, r, got[8];
	unsigned long long res, live, misuse;
	static u64 not_ours[8];
	int i, j;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NE(test, MST(a, id), 0ULL);
	KUNIT_EXPECT_NE(test, MST(a, id), MST(b, id));
	before = PST(nr_cur_alloc);
	ea = pcpupool_mempool_alloc(a, GFP_KERNEL);
	eb = pcpupool_mempool_alloc(b, GFP_KERNEL);
	plain = pcpupool_alloc(64, 8, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, KT_HAS(ea) && KT_HAS(eb) && KT_HAS(plain));
	kt_fill(ea, 64, 1);
	kt_fill(eb, 64, 2);

	pr_info("pcpupool-test: expect-splat-begin WARNING :: task=kunit_try_catch :: which pcpupool did not allocate :: not a mempool element :: an element of mempool #\n");
	pcpupool_mempool_free(KT_MEM(not_ours), b);
	pcpupool_mempool_free(plain, b);
	pcpupool_mempool_free(KT_MEM(pcpupool_addr(ea) + 8), b);
	pcpupool_mempool_free(ea, b);
	pr_info("pcpupool-test: expect-splat-end\n");
	KUNIT_EXPECT_EQ(test, MST(b, misuse), 4ULL);
	KUNIT_EXPECT_EQ(test, MST(a, outstanding), 1ULL);
	KUNIT_EXPECT_EQ(test, MST(b, outstanding), 1ULL);
	KUNIT_EXPECT_TRUE(test, kt_filled(ea, 64, 1));
	KUNIT_EXPECT_TRUE(test, kt_filled(eb, 64, 2));

	/*
	 * A reserve element: back in the reserve, then freed twice.  It must
	 * really go back to the reserve: a refill running between the take
	 * and the free fills the unit of shortfall first, and the free then
	 * rightly sends r to the allocator (the double free below would be
	 * another misuse).  So: no refill pending, r taken from and returned
	 * to this CPU's magazine (which queues no refill) with preemption
	 * off; the first round may prime the magazine from the depot.
	 */
	for (i = 0; i < 10; i++) {
		unsigned long long mag0, fmag0;

		pcpupool_test_mempool_flush(a);
		mag0 = MST(a, served_magazine);
		fmag0 = MST(a, frees_magazine);
		preempt_disable();
		pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1);
		r = pcpupool_mempool_alloc(a, GFP_ATOMIC);
		if (KT_HAS(r))
			pcpupool_mempool_free(r, a);
		preempt_enable();
		KUNIT_ASSERT_TRUE(test, KT_HAS(r));
		if (MST(a, served_magazine) == mag0 + 1 && MST(a, frees_magazine) == fmag0 + 1)
			break;
	}
	KUNIT_ASSERT_LT_MSG(test, i, 10, "no magazine round trip in 10 tries");
	res = MST(a, reserved);
	live = PST(nr_cur_alloc);
	misuse = PST(nr_misuse);
	pr_info("pcpupool-test: expect-splat-begin WARNING :: task=kunit_try_catch :: double free of :: an element in the reserve of mempool #\n");
	pcpupool_mempool_free(r, a);
	pcpupool_free(r);
	pr_info("pcpupool-test: expect-splat-end\n");
	KUNIT_EXPECT_EQ(test, MST(a, misuse), 1ULL);
	KUNIT_EXPECT_EQ(test, MST(a, reserved), res);
	KUNIT_EXPECT_EQ(test, PST(nr_cur_alloc), live);
	KUNIT_EXPECT_EQ(test, PST(nr_misuse), misuse + 1);

	/* both still hand out distinct elements, a's reserve included */
	for (i = 0; i < 8; i++) {
		got[i] = pcpupool_mempool_alloc(a, i % 2 ? GFP_NOIO : GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, KT_HAS(got[i]));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, pcpupool_addr(got[i]), pcpupool_addr(got[j]));
	}
	for (i = 0; i < 8; i++)
		pcpupool_mempool_free(got[i], a);
	pcpupool_mempool_free(ea, a);
	pcpupool_mempool_free(eb, b);
	KUNIT_EXPECT_EQ(test, MST(a, misuse), 1ULL);
	KUNIT_EXPECT_EQ(test, MST(b, misuse), 4ULL);
	KUNIT_EXPECT_EQ(test, MST(a, outstanding), 0ULL);
	pcpupool_free(plain);
	pcpupool_mempool_destroy(a);
	pcpupool_mempool_destroy(b);
	/* each pool held its reserve (4) and its percpu state (2) */
	KUNIT_EXPECT_EQ(test, PST(nr_cur_alloc) + 12, before);
	KUNIT_EXPECT_NULL(test, pcpupool_test_check());
}

/* Several pools at once, and concurrency from threads and hardirqs. */
struct mp_stress {
	struct pcpupool_mempool *mp[3];
	atomic_t corrupt, ops;
	struct kt_gang gang;
	bool stop;
};

static const size_t mp_sizes[3] = { 8, 96, 1000 };

static int mp_thread(void *arg)
{
	struct mp_stress *s = arg;
	struct pcpupool_mem live[24] = {};
	struct rnd_state rnd;
	int i, k, j;

	prandom_seed_state(&rnd, current->pid);
	for (i = 0; i < 1200; i++) {
		k = prandom_u32_state(&rnd) % 24;
		j = k % 3;
		if (KT_HAS(live[k])) {
			if (!kt_filled(live[k], mp_sizes[j], k))
				atomic_inc(&s->corrupt);
			pcpupool_mempool_free(live[k], s->mp[j]);
			live[k] = KT_NO_MEM;
		} else {
			gfp_t g = (i % 3 == 0) ? GFP_NOIO : (i % 3 == 1) ? GFP_ATOMIC : GFP_KERNEL;

			if (i % 7 == 0)
				local_bh_disable();
			live[k] = pcpupool_mempool_alloc(s->mp[j], i % 7 == 0 ? GFP_ATOMIC : g);
			if (i % 7 == 0)
				local_bh_enable();
			if (KT_HAS(live[k])) {
				if (!kt_zeroed(live[k], mp_sizes[j]))
					atomic_inc(&s->corrupt);
				kt_fill(live[k], mp_sizes[j], k);
			}
		}
		atomic_inc(&s->ops);
		if (i % 50 == 0)
			cond_resched();
	}
	for (k = 0; k < 24; k++) {
		if (KT_HAS(live[k]) && !kt_filled(live[k], mp_sizes[k % 3], k))
			atomic_inc(&s->corrupt);
		pcpupool_mempool_free(live[k], s->mp[k % 3]);
	}
	kt_gang_done(&s->gang);
	return 0;
}

struct mp_timer {
	struct hrtimer t;
	struct mp_stress *s;
	struct pcpupool_mem p;
};

static enum hrtimer_restart mp_timer_fn(struct hrtimer *t)
{
	struct mp_timer *mt = container_of(t, struct mp_timer, t);

	if (KT_HAS(mt->p)) {
		if (!kt_filled(mt->p, 8, 0x40))
			atomic_inc(&mt->s->corrupt);
		pcpupool_mempool_free(mt->p, mt->s->mp[0]);
	}
	mt->p = pcpupool_mempool_alloc(mt->s->mp[0], GFP_ATOMIC);
	if (KT_HAS(mt->p))
		kt_fill(mt->p, 8, 0x40);
	if (READ_ONCE(mt->s->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(400 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int start_mp_timer(void *arg)
{
	struct mp_timer *mt = arg;

	hrtimer_start(&mt->t, ns_to_ktime(400 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	return 0;
}

static void test_concurrent_pools(struct kunit *test)
{
	struct mp_stress *s = kzalloc(sizeof(*s), GFP_KERNEL);
	struct mp_timer *mt = kcalloc(nr_cpu_ids, sizeof(*mt), GFP_KERNEL);
	int cpu, i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, mt);
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t_conc%d", i);
		s->mp[i] = pcpupool_mempool_create(name, mp_sizes[i], 8, 16, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s->mp[i]);
	}
	for_each_online_cpu(cpu) {
		mt[cpu].s = s;
		hrtimer_init(&mt[cpu].t, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		mt[cpu].t.function = mp_timer_fn;
		smp_call_on_cpu(cpu, start_mp_timer, &mt[cpu], false);
		kt_gang_add(&s->gang, mp_thread, s, cpu, true, "pcpupool_mp/%u");
	}
	kt_gang_stop(&s->gang);
	WRITE_ONCE(s->stop, true);
	for_each_online_cpu(cpu) {
		hrtimer_cancel(&mt[cpu].t);
		if (KT_HAS(mt[cpu].p) && !kt_filled(mt[cpu].p, 8, 0x40))
			atomic_inc(&s->corrupt);
		pcpupool_mempool_free(mt[cpu].p, s->mp[0]);
	}
	kunit_info(test, "%d ops", atomic_read(&s->ops));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->corrupt), 0);
	for (i = 0; i < 3; i++) {
		struct pcpupool_mempool_stats st = mstats(s->mp[i]);

		KUNIT_EXPECT_EQ(test, st.outstanding, 0ULL);
		KUNIT_EXPECT_EQ(test, st.waits, 0ULL);
		pcpupool_mempool_destroy(s->mp[i]);
	}
	kfree(mt);
	kfree(s);
}

static struct kunit_case mempool_cases[] = {
	KUNIT_CASE(test_reserve_honoured),
	KUNIT_CASE(test_allocator_first),
	KUNIT_CASE(test_magazine_local),
	KUNIT_CASE(test_hotplug_drains),
	KUNIT_CASE(test_reserve_any_cpu),
	KUNIT_CASE(test_resize),
	KUNIT_CASE(test_destroy_with_elements_out),
	KUNIT_CASE(test_misuse_refused),
	KUNIT_CASE_SLOW(test_concurrent_pools),
	{}
};

struct kunit_suite pcpupool_mempool_suite = {
	.name = "pcpupool_mempool",
	.test_cases = mempool_cases,
};
