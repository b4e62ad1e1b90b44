// SPDX-License-Identifier: GPL-2.0
/*
 * hotplug_test.c - CPUs that come online for the first time (issue 19).
 *
 *   pcpupool_hotplug  "one unit per possible CPU" with CPUs that were never
 *                     online when pcpupool loaded: the scale boot has many
 *                     present CPUs and boots with maxcpus=4, so possible is
 *                     large and most CPUs, some on memory-less nodes, come
 *                     online here for the first time, with allocations
 *                     live.  The new CPU's copies of older allocations are
 *                     intact, what it allocates is zeroed in every CPU's
 *                     copy, its front-end cache and mempool magazine work,
 *                     and taking it offline again drains both.  Skipped
 *                     where every possible CPU is online (the other boots).
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/topology.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "util.h"

#define NOWAIT (GFP_NOWAIT | __GFP_NOWARN)

struct newcpu_arg {
	struct pcpupool_mempool *mp;
	struct pcpupool_mem obj[16];	/* 64 B, from the new CPU's cache */
	struct pcpupool_mem big;	/* 3000 B, the locked layer */
	struct pcpupool_u64 ctr;
	int cpu_seen;
	bool zeroed, this_ptr_ok, elem_ok;
	unsigned long long served_magazine;
};

/* On the new CPU: allocate through every layer, check, keep the objects. */
static int on_new_cpu(void *arg)
{
	struct newcpu_arg *a = arg;
	struct pcpupool_mempool_stats ms;
	struct pcpupool_mem e;
	int i;

	a->cpu_seen = raw_smp_processor_id();
	a->zeroed = true;
	for (i = 0; i < ARRAY_SIZE(a->obj); i++) {
		a->obj[i] = pcpupool_alloc(64, 8, NOWAIT);
		if (pcpupool_is_null(a->obj[i]) || !kt_zeroed(a->obj[i], 64))
			a->zeroed = false;
		else
			kt_fill(a->obj[i], 64, i);
	}
	a->big = pcpupool_alloc(3000, 64, GFP_KERNEL);
	if (pcpupool_is_null(a->big) || !kt_zeroed(a->big, 3000))
		a->zeroed = false;
	pcpupool_counter_add(a->ctr, 7);
	preempt_disable();
	a->this_ptr_ok = (void *)pcpupool_this_ptr(a->ctr) ==
			 (void *)pcpupool_ptr(a->ctr, smp_processor_id());
	preempt_enable();
	/*
	 * Mempool elements: from the allocator first, then (the allocator
	 * made to fail) from the reserve: the first take fills this CPU's
	 * empty magazine from the depot, the free puts the element in the
	 * magazine, and the next take is a magazine hit.
	 */
	e = pcpupool_mempool_alloc(a->mp, GFP_NOIO);
	a->elem_ok = !pcpupool_is_null(e) && kt_zeroed(e, 48);
	pcpupool_mempool_free(e, a->mp);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 20);
	for (i = 0; i < 3; i++) {
		e = pcpupool_mempool_alloc(a->mp, GFP_ATOMIC);
		a->elem_ok &= !pcpupool_is_null(e) && kt_zeroed(e, 48);
		pcpupool_mempool_free(e, a->mp);
	}
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	pcpupool_mempool_get_stats(a->mp, &ms);
	a->served_magazine = ms.served_magazine;
	return 0;
}

/* On the new CPU: free half of the objects into its cache. */
static int free_on_new_cpu(void *arg)
{
	struct newcpu_arg *a = arg;
	int i;

	for (i = 0; i < ARRAY_SIZE(a->obj); i += 2)
		pcpupool_free(a->obj[i]);
	return 0;
}

/* The possible CPU that is offline and has the highest number. */
static int never_online_cpu(void)
{
	int cpu, found = -1;

	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			found = cpu;
	return found;
}

static void test_first_online(struct kunit *test)
{
	struct newcpu_arg *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct pcpupool_mem old;
	struct pcpupool_mempool_stats ms;
	struct pcpupool_stats st;
	unsigned long long cached;
	int cpu = never_online_cpu(), node, i;

	if (cpu < 0)
		kunit_skip(test, "every possible CPU is online: runs in the scale boot (maxcpus=)");
	KUNIT_ASSERT_NOT_NULL(test, a);
	node = cpu_to_node(cpu);
	kunit_info(test, "CPU %d of %u possible (%u online), node %d%s", cpu, num_possible_cpus(),
		   num_online_cpus(), node, node_state(node, N_MEMORY) ? "" : " (memory-less)");

	/* Live before: an allocation whose new-CPU copy already exists. */
	old = pcpupool_alloc(200, 8, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, KT_HAS(old));
	kt_fill(old, 200, 0x3c);
	a->ctr = pcpupool_new(struct pcpupool_u64, GFP_KERNEL);
	a->mp = pcpupool_mempool_create("hotplug", 48, 8, 8, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, KT_HAS(a->ctr));
	KUNIT_ASSERT_NOT_NULL(test, a->mp);
	pcpupool_test_drain_caches();

	KUNIT_ASSERT_EQ_MSG(test, add_cpu(cpu), 0, "CPU %d did not come online", cpu);
	KUNIT_EXPECT_EQ(test, smp_call_on_cpu(cpu, on_new_cpu, a, false), 0);
	KUNIT_EXPECT_EQ(test, a->cpu_seen, cpu);
	KUNIT_EXPECT_TRUE_MSG(test, a->zeroed, "allocations on CPU %d not all zeroed", cpu);
	KUNIT_EXPECT_TRUE(test, a->this_ptr_ok);
	KUNIT_EXPECT_TRUE_MSG(test, a->elem_ok, "mempool element on CPU %d", cpu);
	KUNIT_EXPECT_GT_MSG(test, a->served_magazine, 0ULL, "CPU %d's magazine served nothing",
			    cpu);
	KUNIT_EXPECT_EQ(test, *pcpupool_ptr(a->ctr, cpu), 7ULL);
	KUNIT_EXPECT_EQ(test, pcpupool_counter_sum(a->ctr), 7ULL);
	KUNIT_EXPECT_TRUE(test, kt_filled(old, 200, 0x3c));
	for (i = 0; i < ARRAY_SIZE(a->obj); i++)
		KUNIT_EXPECT_TRUE(test, KT_HAS(a->obj[i]) && kt_filled(a->obj[i], 64, i));
	/* What the new CPU frees stays in its cache until... */
	KUNIT_EXPECT_EQ(test, smp_call_on_cpu(cpu, free_on_new_cpu, a, false), 0);
	cached = pcpupool_test_cached_objects();
	KUNIT_EXPECT_GE(test, cached, ARRAY_SIZE(a->obj) / 2ULL);

	/* ...it goes offline: its cache and its magazine are drained. */
	KUNIT_EXPECT_EQ(test, remove_cpu(cpu), 0);
	KUNIT_EXPECT_LE_MSG(test, pcpupool_test_cached_objects(), cached - ARRAY_SIZE(a->obj) / 2,
			    "CPU %d's cache was not drained", cpu);
	pcpupool_mempool_get_stats(a->mp, &ms);
	KUNIT_EXPECT_EQ(test, ms.in_magazines, 0ULL);
	KUNIT_EXPECT_EQ(test, ms.reserved, 8ULL);
	KUNIT_EXPECT_TRUE(test, kt_filled(old, 200, 0x3c));

	for (i = 1; i < ARRAY_SIZE(a->obj); i += 2)
		pcpupool_free(a->obj[i]);
	pcpupool_free(a->big);
	pcpupool_free(a->ctr);
	pcpupool_free(old);
	pcpupool_mempool_destroy(a->mp);
	pcpupool_get_stats(&st);
	/* populated_pages counts the pages of every unit. */
	kunit_info(test, "pcpupool: %llu chunks, %llu KiB populated per possible CPU, %llu KiB in all (%llu units)",
		   st.nr_chunks, st.populated_pages * PAGE_SIZE / 1024 / st.nr_units,
		   st.populated_pages * PAGE_SIZE / 1024, st.nr_units);
	CHECK_CONSISTENT(test);
}

/*
 * A measurement, printed on every shape: an atomic burst right after the
 * balance work settled.  Populating one unit page costs one page per
 * possible CPU, so the burst a settled pool absorbs shrinks as possible
 * CPUs grow (issue 19 item 9); the burst is held, then freed.
 */
#define BURST 1024

static void test_burst_served(struct kunit *test)
{
	struct pcpupool_mem *p = kunit_kcalloc(test, BURST, sizeof(*p), GFP_KERNEL);
	struct pcpupool_stats st0, st1;
	int i, served = 0, served2;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pcpupool_test_drain_caches();
	pcpupool_test_flush_balance();
	pcpupool_test_flush_balance();
	pcpupool_get_stats(&st0);
	for (i = 0; i < BURST; i++) {
		p[i] = pcpupool_alloc(64, 8, NOWAIT);
		served += KT_HAS(p[i]);
	}
	pcpupool_get_stats(&st1);
	kunit_info(test, "%u possible CPUs: a %d x 64 B atomic burst after settling: %d served; empty populated unit pages before %llu, balance runs during %llu",
		   num_possible_cpus(), BURST, served, st0.empty_pop_pages,
		   st1.nr_balance - st0.nr_balance);
	for (i = 0; i < BURST; i++)
		pcpupool_free(p[i]);
	KUNIT_EXPECT_GT(test, served, 0);

	/*
	 * The same burst again once the balance work has run: it populates
	 * ahead by the demand it measured (target_high = 2 x the unit pages
	 * the burst took, within target_cap), so a repeated burst is served
	 * from pages populated before it, whatever a unit page costs.
	 */
	pcpupool_test_drain_caches();
	pcpupool_test_flush_balance();
	pcpupool_get_stats(&st0);
	served2 = 0;
	for (i = 0; i < BURST; i++) {
		p[i] = pcpupool_alloc(64, 8, NOWAIT);
		served2 += KT_HAS(p[i]);
	}
	kunit_info(test, "%u possible CPUs: the burst again after one balance run: %d served; empty populated unit pages before %llu (target %llu..%llu)",
		   num_possible_cpus(), served2, st0.empty_pop_pages, st0.target_low,
		   st0.target_high);
	for (i = 0; i < BURST; i++)
		pcpupool_free(p[i]);
	/*
	 * It learned the demand (the target rose above the high watermark,
	 * 4) and populated for it.
	 */
	KUNIT_EXPECT_GT(test, st0.target_high, 4ULL);
	KUNIT_EXPECT_GE(test, st0.empty_pop_pages, st0.target_low);
	CHECK_CONSISTENT(test);
}

static struct kunit_case hotplug_cases[] = {
	KUNIT_CASE_SLOW(test_first_online),
	KUNIT_CASE(test_burst_served),
	{}
};

struct kunit_suite pcpupool_hotplug_suite = {
	.name = "pcpupool_hotplug",
	.test_cases = hotplug_cases,
};
