// SPDX-License-Identifier: GPL-2.0
/*
 * cache_test.c - suite pcpupool_cache: the per-CPU front end
 * (module/cache.cpp) on the real kernel.
 *
 *  - 10 000 cache-hit pairs on one CPU take no spinlock at all (counted
 *    per task by the port in test builds); the same count over the locked
 *    layer (caching off) sees at least two per pair: the negative control;
 *  - an object freed on another CPU than the one that allocated it is
 *    served again there, zeroed in every CPU's copy;
 *  - a double free of a cached object is refused (WARN, misuse counted);
 *  - offlining a CPU drains its cache;
 *  - the shrinker drains every cache when the kernel asks it to, through
 *    /proc/sys/vm/drop_caches (drop_slab(): the shrinker machinery);
 *  - pcpupool_alloc_bulk()/pcpupool_free_bulk(): all or nothing.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/smp.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "kt.h"
#include "util.h"

#define NOWAIT (GFP_NOWAIT | __GFP_NOWARN)

struct pairs_arg {
	int n;
	unsigned long long locks;
	int failed;
};

/* On one CPU (smp_call_on_cpu): @n 64 B pairs after a warm one. */
static int count_pairs(void *arg)
{
	struct pairs_arg *a = arg;
	int i;

	pcpupool_free(pcpupool_alloc(64, 8, NOWAIT));
	pcpupool_test_count_locks(1);
	for (i = 0; i < a->n; i++) {
		struct pcpupool_mem p = pcpupool_alloc(64, 8, NOWAIT);

		a->failed += pcpupool_is_null(p);
		pcpupool_free(p);
	}
	a->locks = pcpupool_test_lock_count();
	pcpupool_test_count_locks(0);
	return 0;
}

static void test_hit_takes_no_lock(struct kunit *test)
{
	struct pairs_arg a = { .n = 10000 };
	int cpu = cpumask_last(cpu_online_mask);

	pcpupool_test_flush_balance();
	smp_call_on_cpu(cpu, count_pairs, &a, false);
	KUNIT_EXPECT_EQ(test, a.failed, 0);
	KUNIT_EXPECT_EQ_MSG(test, a.locks, 0ULL, "10000 cache-hit pairs took spinlocks");
	/* Negative control: the same count over the locked layer. */
	pcpupool_test_set_caching(0);
	a = (struct pairs_arg){ .n = 100 };
	smp_call_on_cpu(cpu, count_pairs, &a, false);
	pcpupool_test_set_caching(1);
	KUNIT_EXPECT_GE_MSG(test, a.locks, 200ULL, "the count did not see the locked layer");
}

struct xcpu_arg {
	struct pcpupool_mem p;
	bool same, zeroed;
};

static int xcpu_alloc(void *arg)
{
	struct xcpu_arg *a = arg;

	a->p = pcpupool_alloc(64, 8, NOWAIT);
	if (KT_HAS(a->p))
		kt_fill(a->p, 64, 0x5a);
	return 0;
}

static int xcpu_free_realloc(void *arg)
{
	struct xcpu_arg *a = arg;
	struct pcpupool_mem q;

	pcpupool_free(a->p);
	q = pcpupool_alloc(64, 8, NOWAIT);
	a->same = pcpupool_addr(q) == pcpupool_addr(a->p);
	a->zeroed = KT_HAS(q) && kt_zeroed(q, 64);
	pcpupool_free(q);
	return 0;
}

static void test_free_on_another_cpu(struct kunit *test)
{
	struct xcpu_arg a = {};

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 CPUs");
	pcpupool_test_flush_balance();
	smp_call_on_cpu(cpumask_first(cpu_online_mask), xcpu_alloc, &a, false);
	KUNIT_ASSERT_TRUE(test, KT_HAS(a.p));
	smp_call_on_cpu(cpumask_last(cpu_online_mask), xcpu_free_realloc, &a, false);
	KUNIT_EXPECT_TRUE_MSG(test, a.same, "the freeing CPU's cache did not serve it again");
	KUNIT_EXPECT_TRUE_MSG(test, a.zeroed, "not zeroed in every CPU's copy");
	CHECK_CONSISTENT(test);
}

static void test_double_free_refused(struct kunit *test)
{
	struct pcpupool_stats st0, st1;
	struct pcpupool_mem p = pcpupool_alloc(32, 8, GFP_KERNEL), a, b;

	KUNIT_ASSERT_TRUE(test, KT_HAS(p));
	pcpupool_free(p);
	pcpupool_get_stats(&st0);
	/*
	 * The WARN_ONCE of this site fired already, inside the expect-splat
	 * markers of pcpupool_alloc's test_misuse (its double free is of a
	 * 64 B class object); here the refusal is checked by its effects.
	 */
	pcpupool_free(p);
	pcpupool_get_stats(&st1);
	KUNIT_EXPECT_EQ(test, st1.nr_misuse, st0.nr_misuse + 1);
	KUNIT_EXPECT_EQ(test, st1.nr_cur_alloc, st0.nr_cur_alloc);
	preempt_disable();	/* one CPU's cache for both */
	a = pcpupool_alloc(32, 8, NOWAIT);
	b = pcpupool_alloc(32, 8, NOWAIT);
	preempt_enable();
	KUNIT_EXPECT_TRUE_MSG(test, KT_HAS(a) && KT_HAS(b) && pcpupool_addr(a) != pcpupool_addr(b),
			      "one object handed out twice");
	pcpupool_free(a);
	pcpupool_free(b);
	CHECK_CONSISTENT(test);
}

static int fill_cache(void *arg)
{
	struct pcpupool_mem p[32];
	int i;

	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = pcpupool_alloc(16, 8, NOWAIT);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		pcpupool_free(p[i]);
	return 0;
}

static void test_offline_drains(struct kunit *test)
{
	int cpu = cpumask_last(cpu_online_mask);

	if (num_online_cpus() < 2 || !cpu)
		kunit_skip(test, "needs a second CPU");
	pcpupool_test_drain_caches();
	pcpupool_test_flush_balance();
	smp_call_on_cpu(cpu, fill_cache, NULL, false);
	KUNIT_ASSERT_GT(test, pcpupool_test_cached_objects(), 0ULL);
	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, pcpupool_test_cached_objects(), 0ULL);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	CHECK_CONSISTENT(test);
}

static void test_shrinker_drains(struct kunit *test)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t ret;

	pcpupool_test_flush_balance();
	fill_cache(NULL);
	KUNIT_ASSERT_GT(test, pcpupool_test_cached_objects(), 0ULL);
	f = filp_open("/proc/sys/vm/drop_caches", O_WRONLY, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(f), "no /proc/sys/vm/drop_caches");
	ret = kernel_write(f, "2\n", 2, &pos);	/* 2: slab objects: shrinkers */
	filp_close(f, NULL);
	KUNIT_ASSERT_EQ(test, ret, 2);
	KUNIT_EXPECT_EQ(test, pcpupool_test_cached_objects(), 0ULL);
	CHECK_CONSISTENT(test);
}

/* Bulk: all objects distinct and zeroed; a refused batch leaves nothing. */
static void test_bulk(struct kunit *test)
{
	static const unsigned int ns[] = { 4, 64 };
	struct pcpupool_mem *p = kunit_kcalloc(test, 64, sizeof(*p), GFP_KERNEL);
	struct pcpupool_stats st0, st1;
	unsigned int k, i, j;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pcpupool_get_stats(&st0);
	for (k = 0; k < ARRAY_SIZE(ns); k++) {
		KUNIT_ASSERT_EQ(test, pcpupool_alloc_bulk(8, 8, GFP_KERNEL, ns[k], p), 0);
		for (i = 0; i < ns[k]; i++) {
			KUNIT_EXPECT_TRUE(test, kt_zeroed(p[i], 8));
			for (j = 0; j < i; j++)
				KUNIT_EXPECT_NE(test, pcpupool_addr(p[i]), pcpupool_addr(p[j]));
			kt_fill(p[i], 8, i);
		}
		for (i = 0; i < ns[k]; i++)
			KUNIT_EXPECT_TRUE(test, kt_filled(p[i], 8, i));
		pcpupool_free_bulk(ns[k], p);
	}
	/* an atomic batch the allocator refuses: -ENOMEM, nothing allocated */
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1);
	KUNIT_EXPECT_EQ(test, pcpupool_alloc_bulk(8, 8, NOWAIT, 4, p), -ENOMEM);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE(test, pcpupool_is_null(p[i]));
	pcpupool_get_stats(&st1);
	KUNIT_EXPECT_EQ(test, st1.nr_cur_alloc, st0.nr_cur_alloc);
	CHECK_CONSISTENT(test);
}

/* The this_cpu-style accessors, on one CPU, for several element types. */
DEFINE_PCPUPOOL_TYPE(u32_pcpu, u32);
DEFINE_PCPUPOOL_TYPE(u8_pcpu, u8);
struct acc_io {
	u32 flags;
	u64 ios, bytes;
};
DEFINE_PCPUPOOL_TYPE(acc_io_pcpu, struct acc_io);

struct acc_arg {
	struct pcpupool_u64 c64;
	struct u32_pcpu c32;
	struct u8_pcpu c8;
	struct acc_io_pcpu io;	/* members through pcpupool_field/_member */
	bool same_ptr;
};

static int acc_on_cpu(void *arg)
{
	struct acc_arg *a = arg;
	int i;

	for (i = 0; i < 10; i++) {
		pcpupool_this_cpu_inc(a->c64);
		pcpupool_this_cpu_add(a->c32, 3);
		pcpupool_this_cpu_inc(a->c8);
	}
	pcpupool_this_cpu_dec(a->c64);
	pcpupool_counter_add(a->c64, 100);
	pcpupool_this_cpu_inc(pcpupool_field(a->io, ios));
	pcpupool_this_cpu_add(pcpupool_field(a->io, bytes), 4096);
	pcpupool_counter_add(pcpupool_member(struct pcpupool_u64, a->io, bytes), 512);
	preempt_disable();
	a->same_ptr = pcpupool_this_ptr(a->c64) ==
		      pcpupool_ptr(a->c64, smp_processor_id());
	preempt_enable();
	return 0;
}

static void test_accessors(struct kunit *test)
{
	struct acc_arg a = {
		.c64 = pcpupool_new(struct pcpupool_u64, GFP_KERNEL),
		.c32 = pcpupool_new(struct u32_pcpu, GFP_KERNEL),
		.c8 = pcpupool_new(struct u8_pcpu, GFP_KERNEL),
		.io = pcpupool_new(struct acc_io_pcpu, GFP_KERNEL),
	};
	int cpu = cpumask_last(cpu_online_mask), c, me;

	KUNIT_ASSERT_TRUE(test, KT_HAS(a.c64) && KT_HAS(a.c32) && KT_HAS(a.c8) && KT_HAS(a.io));
	smp_call_on_cpu(cpu, acc_on_cpu, &a, false);
	KUNIT_EXPECT_TRUE(test, a.same_ptr);
	for_each_possible_cpu(c) {
		KUNIT_EXPECT_EQ(test, *pcpupool_ptr(a.c64, c), c == cpu ? 109ULL : 0ULL);
		KUNIT_EXPECT_EQ(test, *pcpupool_ptr(a.c32, c), c == cpu ? 30U : 0U);
		KUNIT_EXPECT_EQ(test, *pcpupool_ptr(a.c8, c), c == cpu ? 10 : 0);
		KUNIT_EXPECT_EQ(test, pcpupool_ptr(a.io, c)->ios, c == cpu ? 1ULL : 0ULL);
		KUNIT_EXPECT_EQ(test, pcpupool_ptr(a.io, c)->bytes, c == cpu ? 4608ULL : 0ULL);
		KUNIT_EXPECT_EQ(test, pcpupool_ptr(a.io, c)->flags, 0U);
	}
	KUNIT_EXPECT_EQ(test, pcpupool_sum(pcpupool_field(a.io, ios)), 1ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_counter_sum(pcpupool_member(struct pcpupool_u64, a.io, bytes)),
			4608ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_counter_sum(a.c64), 109ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_sum(a.c32), 30U);
	preempt_disable();
	me = smp_processor_id();
	pcpupool_this_cpu_write(a.c32, 7);
	KUNIT_EXPECT_EQ(test, pcpupool_this_cpu_read(a.c32), 7U);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, pcpupool_sum(a.c32), me == cpu ? 7U : 37U);
	pcpupool_free(a.c64);
	pcpupool_free(a.c32);
	pcpupool_free(a.c8);
	pcpupool_free(a.io);
}

static struct kunit_case cache_cases[] = {
	KUNIT_CASE(test_accessors),
	KUNIT_CASE(test_bulk),
	KUNIT_CASE(test_hit_takes_no_lock),
	KUNIT_CASE(test_free_on_another_cpu),
	KUNIT_CASE(test_double_free_refused),
	KUNIT_CASE(test_offline_drains),
	KUNIT_CASE(test_shrinker_drains),
	{}
};

struct kunit_suite pcpupool_cache_suite = {
	.name = "pcpupool_cache",
	.test_cases = cache_cases,
};
