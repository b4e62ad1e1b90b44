// SPDX-License-Identifier: GPL-2.0
//
// test_cache.cpp - host unit tests of the per-CPU front end (suite Cache,
// module/cache.cpp): a hit takes no lock (and the same count sees the
// locks of the locked layer: the negative control), frees on another CPU,
// zeroing, double frees, the cheap exhausted failure, and every drain
// (shrinker, CPU offline, idle trim, the tunable).  Core flags; ht.h.
#include "test_env.h"

using namespace env;

namespace {

const unsigned kKernel = pcpu_gfp.kernel;
const unsigned kNowait = pcpu_gfp.nowait | pcpu_gfp.nowarn;


// Spinlocks the calling thread takes over @n atomic 64 B pairs on CPU 0.
unsigned long long locks_over_pairs(int n)
{
	host_set_cpu(0);
	pcpupool_free(pcpupool_alloc(64, 8, kNowait)); // warm: one object cached
	pcpupool_test_count_locks(1);
	for (int i = 0; i < n; i++) {
		void* p = pcpupool_alloc(64, 8, kNowait);
		if (!p)
			return ~0ull;
		pcpupool_free(p);
	}
	unsigned long long n_locks = pcpupool_test_lock_count();
	pcpupool_test_count_locks(0);
	return n_locks;
}

} // namespace

HT_CASE(Cache, HitTakesNoLock)
{
	Env e;
	host_work_run(0); // populate
	unsigned long long locks = locks_over_pairs(10000);
	HT_EXPECT(locks == 0, "10000 cache-hit pairs took %llu spinlocks", locks);
	// Negative control: the same count over the locked layer.
	pcpupool_test_set_caching(0);
	locks = locks_over_pairs(100);
	HT_EXPECT(locks >= 200, "the locked layer took %llu spinlocks for 100 pairs", locks);
	CONSISTENT();
}

HT_CASE(Cache, FreeOnAnotherCpu)
{
	Env e;
	host_work_run(0);
	host_set_cpu(0);
	void* p = pcpupool_alloc(64, 8, kNowait);
	HT_ASSERT(p, "alloc");
	scribble(p, 64, 0x5a);
	host_set_cpu(1);
	pcpupool_free(p); // into CPU 1's cache
	void* q = pcpupool_alloc(64, 8, kNowait);
	HT_EXPECT(q == p, "CPU 1's cache did not hand back the object freed there");
	HT_EXPECT(zeroed(q, 64), "not zeroed on every CPU at hand-out");
	pcpupool_free(q);
	pcpupool_stats st = stats();
	HT_EXPECT(st.nr_cur_alloc == 0 && st.nr_alloc == 2 && st.nr_dealloc == 2,
		  "counts: %llu live, %llu allocs, %llu frees", st.nr_cur_alloc, st.nr_alloc,
		  st.nr_dealloc);
	CONSISTENT();
}

HT_CASE(Cache, DoubleFreeRefused)
{
	Env e;
	host_work_run(0);
	host_set_cpu(0);
	void* p = pcpupool_alloc(32, 8, kNowait);
	HT_ASSERT(p, "alloc");
	pcpupool_free(p);
	unsigned long long m0 = stats().nr_misuse;
	unsigned long w0 = counters().warnings;
	pcpupool_free(p); // p sits in the cache
	HT_EXPECT(stats().nr_misuse == m0 + 1, "double free not counted");
	HT_EXPECT(counters().warnings > w0, "double free not WARNed");
	void* a = pcpupool_alloc(32, 8, kNowait);
	void* b = pcpupool_alloc(32, 8, kNowait);
	HT_EXPECT(a && b && a != b, "one object handed out twice: %p %p", a, b);
	pcpupool_free(a);
	pcpupool_free(b);
	host_clear_violations();
	CONSISTENT();
}

HT_CASE(Cache, ExhaustedFailsWithoutLock)
{
	Env e;
	HT_ASSERT(!pcpupool_test_set_watermarks(1, 1, 1), "watermarks"); // one page
	host_work_run(0);
	host_set_cpu(0);
	void* held[4096];
	int n = 0;
	while (n < 4096 && (held[n] = pcpupool_alloc(64, 8, kNowait)))
		n++;
	HT_ASSERT(n > 0 && n < 4096, "populated memory: %d objects", n);
	// The class is marked exhausted: the next failures take no lock.
	pcpupool_test_count_locks(1);
	for (int i = 0; i < 100; i++)
		HT_EXPECT(!pcpupool_alloc(64, 8, kNowait), "atomic success with nothing populated");
	unsigned long long locks = pcpupool_test_lock_count();
	pcpupool_test_count_locks(0);
	HT_EXPECT(locks == 0, "100 exhausted failures took %llu spinlocks", locks);
	// A free back to the area map lifts the mark.
	pcpupool_test_drain_caches();
	pcpupool_free(held[--n]);
	pcpupool_test_drain_caches();
	void* p = pcpupool_alloc(64, 8, kNowait);
	HT_EXPECT(p, "room came back, the class stayed exhausted");
	pcpupool_free(p);
	while (n)
		pcpupool_free(held[--n]);
	CONSISTENT();
}

HT_CASE(Cache, Drains)
{
	Env e;
	host_work_run(0);
	void* p[32];
	for (int cpu = 0; cpu < 3; cpu++) {
		host_set_cpu(cpu);
		for (auto& q : p)
			q = pcpupool_alloc(16, 8, kNowait);
		for (auto& q : p)
			pcpupool_free(q);
	}
	HT_EXPECT(pcpupool_test_cached_objects() > 0, "nothing cached");
	// Offline: that CPU's cache only.
	unsigned long long before = pcpupool_test_cached_objects();
	HT_ASSERT(host_cpu_offline(2) == 0, "offline");
	unsigned long long after = pcpupool_test_cached_objects();
	HT_EXPECT(after < before, "offline did not drain: %llu -> %llu", before, after);
	// The shrinker: everything, through the registered callbacks.
	HT_EXPECT(host_shrink() == after, "shrinker freed a different count");
	HT_EXPECT(pcpupool_test_cached_objects() == 0, "shrinker left %llu",
		  pcpupool_test_cached_objects());
	// The tunable.
	host_set_cpu(0);
	pcpupool_free(pcpupool_alloc(16, 8, kNowait));
	HT_EXPECT(host_debugfs_write("caching", 0) == 0, "caching=0");
	HT_EXPECT(pcpupool_test_cached_objects() == 0, "caching=0 did not drain");
	HT_EXPECT(host_debugfs_write("caching", 2) == -22, "caching=2 accepted");
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
	CONSISTENT();
}

// Bulk: N objects in one IRQs-off section, distinct and zeroed; a batch
// larger than a cache takes a few lock rounds, not one per object; a
// failure part-way leaves nothing allocated; free_bulk takes everything
// back, non-class objects too.
HT_CASE(Cache, Bulk)
{
	Env e;
	host_work_run(0);
	host_set_cpu(0);
	void* p[64];
	pcpupool_test_count_locks(1);
	HT_ASSERT(pcpupool_alloc_bulk(64, 8, kNowait, 64, p) == 0, "bulk 64");
	unsigned long long locks = pcpupool_test_lock_count();
	pcpupool_test_count_locks(0);
	HT_EXPECT(locks <= 3, "64 objects took %llu lock rounds (cache of 32)", locks);
	for (int i = 0; i < 64; i++) {
		HT_EXPECT(p[i] && zeroed(p[i], 64), "object %d", i);
		scribble(p[i], 64, u8(i));
		for (int j = 0; j < i; j++)
			HT_EXPECT(p[i] != p[j], "object %d handed out twice", i);
	}
	HT_EXPECT(stats().nr_cur_alloc == 64, "live %llu", stats().nr_cur_alloc);
	pcpupool_free_bulk(64, p);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu after free_bulk", stats().nr_cur_alloc);
	// Above the classes: one by one, freed in bulk all the same.
	HT_ASSERT(pcpupool_alloc_bulk(4096, 8, kKernel, 4, p) == 0, "bulk of 4 KiB objects");
	pcpupool_free_bulk(4, p);
	// All or nothing: the atomic path runs out part-way.
	HT_ASSERT(!pcpupool_test_set_watermarks(1, 1, 1), "watermarks");
	pcpupool_test_drain_caches();
	host_work_run(0);
	// A run that saw atomic demand (the bulks above) does not trim; the
	// next, quiet one does.
	pcpupool_test_flush_balance();
	void* many[200];
	HT_EXPECT(pcpupool_alloc_bulk(64, 8, kNowait, 200, many) == -12, "200 with one page");
	bool all_null = true;
	for (void* q : many)
		all_null &= !q;
	HT_EXPECT(all_null, "a failed bulk left pointers");
	HT_EXPECT(stats().nr_cur_alloc == 0, "a failed bulk leaked %llu", stats().nr_cur_alloc);
	CONSISTENT();
}
