// SPDX-License-Identifier: GPL-2.0
//
// test_pool.cpp - host unit tests of the allocator through its public C
// API (suite Pool): the cases of kunit/allocator_test.c and
// kunit/context_test.c that need no real kernel, plus what only the host
// can force: every fault site, kills, CPU-possible holes, the negative
// control of the gfp check, and g_pool.check() after each step.  Core
// flags; reports through ht.h.
#include "memalloc.h"
#include "sync.h"
#include "test_env.h"

using namespace env;
using pcp::Gfp;

namespace {

const unsigned kKernel = pcpu_gfp.kernel;

// With the per-CPU front end off, one whole-unit allocation per element of
// @p: a chunk each.  False if one failed.
template <int N>
bool whole_units(void* (&p)[N])
{
	pcpupool_test_set_caching(0);
	for (auto& x : p) {
		x = pcpupool_alloc(kUnit, 8, kKernel);
		if (!x)
			return false;
	}
	return true;
}


} // namespace

HT_CASE(Pool, InitRejectsBadUnit)
{
	static const unsigned bad[] = {0, 4096, 16 * 1024, 32 * 1024 + 4, 48 * 1024 + 2048,
				       (16u << 20) + 4096, 1u << 25};
	for (unsigned u : bad) {
		host_reset(nullptr);
		int ret = host_core_init(u);
		HT_EXPECT(ret == -22, "unit %u: init returned %d", u, ret);
		if (!ret)
			host_core_exit();
	}
	static const unsigned good[] = {32 * 1024, 36 * 1024, 64 * 1024, 16u << 20};
	for (unsigned u : good) {
		Env e(2, u);
		HT_EXPECT(e.ret == 0, "unit %u: init returned %d", u, e.ret);
		void* p = pcpupool_alloc(u, 4096, kKernel);
		HT_EXPECT(p && zeroed(p, 64), "unit %u: whole-unit allocation", u);
		pcpupool_free(p);
	}
}

HT_CASE(Pool, InitFailures)
{
	// Every allocation of init failing in turn: -ENOMEM, nothing leaked,
	// and a later init works.
	static const int sites[] = {HOST_SITE_KMALLOC, HOST_SITE_PORT_OBJ, HOST_SITE_CPUHP};
	for (int site : sites) {
		for (int skip = 0; skip < 4; skip++) {
			host_reset(nullptr);
			host_fail_after(site, skip, 1);
			int ret = host_core_init(kUnit);
			bool hit = !host_fail_pending(site);
			host_fail_next(site, 0);
			if (!ret) {
				HT_EXPECT(!hit, "site %d skip %d: init succeeded through the fault", site, skip);
				host_core_exit();
			} else {
				HT_EXPECT(ret == -12 || ret == -28, "site %d skip %d: ret %d", site, skip, ret);
			}
			host_counters c = counters();
			HT_EXPECT(c.port_objs_live == 0 && c.pages_live == 0 && c.ranges_live == 0,
				  "site %d skip %d: leaked objs %ld pages %ld ranges %ld", site, skip,
				  c.port_objs_live, c.pages_live, c.ranges_live);
		}
	}
	Env e;
	HT_EXPECT(e.ret == 0, "init after failures: %d", e.ret);
}

HT_CASE(Pool, ZeroedOnEveryCpu)
{
	Env e;
	HT_ASSERT(!e.ret, "init %d", e.ret);
	for (int round = 0; round < 4; round++) {
		void* p = pcpupool_alloc(256, 8, round % 2 ? kKernel : pcpu_gfp.nowait);
		if (!p) {
			host_work_run(0);
			p = pcpupool_alloc(256, 8, kKernel);
		}
		HT_ASSERT(p, "alloc");
		HT_EXPECT(zeroed(p, 256), "round %d: not zeroed", round);
		scribble(p, 256, 0x40);
		pcpupool_free(p);
	}
	CONSISTENT();
}

HT_CASE(Pool, Alignment)
{
	Env e;
	void* ps[13 * 5];
	int n = 0;
	for (unsigned align = 1; align <= 4096; align *= 2) {
		static const unsigned sizes[] = {1, 3, 4, 100, 4096};
		for (unsigned size : sizes) {
			void* p = pcpupool_alloc(size, align, kKernel);
			HT_ASSERT(p, "size %u align %u", size, align);
			HT_EXPECT((unsigned long)p % align == 0, "size %u align %u: %p", size, align, p);
			HT_EXPECT(zeroed(p, size), "not zeroed");
			ps[n++] = p;
		}
	}
	CONSISTENT();
	for (int i = 0; i < n; i++)
		pcpupool_free(ps[i]);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
}

HT_CASE(Pool, UnitLayoutAndNuma)
{
	Env e(4);
	void* p = pcpupool_alloc(64, 8, kKernel);
	HT_ASSERT(p, "alloc");
	for (int cpu = 0; cpu < 4; cpu++) {
		HT_EXPECT(pcpupool_unit_off[cpu] == (unsigned long)cpu * kUnit, "unit_off[%d] = %lu", cpu,
			  pcpupool_unit_off[cpu]);
		HT_EXPECT(pcpu_vm_page_node((unsigned long)cpu_ptr(p, cpu)) == cpu % 2,
			  "CPU %d's copy is on node %d", cpu, pcpu_vm_page_node((unsigned long)cpu_ptr(p, cpu)));
	}
	pcpupool_free(p);
}

HT_CASE(Pool, PossibleHoles)
{
	// CPUs 1 and 2 not possible: their units are never populated (an
	// access would fault), zeroing and population skip them.
	Env e(4, kUnit, 0x9);
	HT_ASSERT(!e.ret, "init");
	void* p = pcpupool_alloc(4096 + 8, 8, kKernel);
	HT_ASSERT(p, "alloc");
	HT_EXPECT(zeroed(p, 4096 + 8), "zeroed");
	scribble(p, 4096 + 8, 3);
	HT_EXPECT(!pcpu_vm_is_mapped((unsigned long)cpu_ptr(p, 1)) && !pcpu_vm_is_mapped((unsigned long)cpu_ptr(p, 2)),
		  "impossible CPU's unit populated");
	pcpupool_stats st = stats();
	HT_EXPECT(st.populated_pages % 2 == 0 && st.populated_pages > 0, "populated %llu", st.populated_pages);
	HT_EXPECT(scribbled(p, 4096 + 8, 3), "pattern");
	pcpupool_free(p);
	CONSISTENT();
}

HT_CASE(Pool, LargestAndBadSizes)
{
	Env e;
	void* p = pcpupool_alloc(kUnit, 4096, kKernel);
	HT_ASSERT(p, "whole unit");
	HT_EXPECT(zeroed(p, kUnit), "zeroed");
	scribble(p, kUnit, 1);
	HT_EXPECT(scribbled(p, kUnit, 1), "pattern");
	pcpupool_free(p);
	unsigned long w0 = counters().warnings;
	u64 m0 = stats().nr_misuse;
	HT_EXPECT(!pcpupool_alloc(0, 8, kKernel), "size 0");
	HT_EXPECT(!pcpupool_alloc(kUnit + 1, 8, kKernel), "size > unit");
	HT_EXPECT(!pcpupool_alloc(8, 8192, kKernel), "align > page");
	HT_EXPECT(!pcpupool_alloc(8, 3, kKernel), "align 3");
	HT_EXPECT(!pcpupool_alloc(8, 24, kKernel | pcpu_gfp.nowarn), "align 24");
	HT_EXPECT(!pcpupool_alloc(~0ul, 8, pcpu_gfp.nowait), "size ~0");
	HT_EXPECT(stats().nr_misuse == m0 + 6, "misuse %llu", stats().nr_misuse - m0);
	HT_EXPECT(counters().warnings == w0 + 5, "warnings %lu (NOWARN must not warn)",
		  counters().warnings - w0);
	CONSISTENT();
}

HT_CASE(Pool, BadFrees)
{
	Env e;
	void* p = pcpupool_alloc(64, 8, kKernel);
	void* q = pcpupool_alloc(64, 8, kKernel);
	HT_ASSERT(p && q, "alloc");
	scribble(q, 64, 9);
	u64 m0 = stats().nr_misuse;
	pcpupool_free(nullptr);
	pcpupool_free(static_cast<u8*>(p) + 4); // interior, aligned
	pcpupool_free(static_cast<u8*>(p) + 1); // interior, unaligned
	pcpupool_free(cpu_ptr(p, 1));          // another CPU's copy
	int local;
	pcpupool_free(&local);                 // foreign
	pcpupool_free(p);
	pcpupool_free(p);                      // double
	HT_EXPECT(stats().nr_misuse == m0 + 5, "misuse %llu", stats().nr_misuse - m0);
	HT_EXPECT(stats().nr_cur_alloc == 1 && scribbled(q, 64, 9), "state changed by bad frees");
	pcpupool_free(q);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
	CONSISTENT();
}

HT_CASE(Pool, Isolation)
{
	Env e(3);
	constexpr int kN = 200;
	void* ps[kN];
	u32 sizes[kN];
	u64 seed = 0x243F6A8885A308D3ull;
	for (int i = 0; i < kN; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		sizes[i] = 1 + (seed >> 33) % (i % 10 == 0 ? 9000 : 300);
		ps[i] = pcpupool_alloc(sizes[i], 1u << ((seed >> 20) % 7), i % 3 ? kKernel : pcpu_gfp.nofs);
		HT_ASSERT(ps[i], "alloc %d", i);
		HT_EXPECT(zeroed(ps[i], sizes[i]), "alloc %d not zeroed", i);
		scribble(ps[i], sizes[i], u8(i));
	}
	for (int i = 0; i < kN; i += 2) {
		HT_EXPECT(scribbled(ps[i], sizes[i], u8(i)), "alloc %d overwritten", i);
		pcpupool_free(ps[i]);
	}
	CONSISTENT();
	for (int i = 1; i < kN; i += 2) {
		HT_EXPECT(scribbled(ps[i], sizes[i], u8(i)), "alloc %d overwritten", i);
		pcpupool_free(ps[i]);
	}
	HT_EXPECT(stats().nr_cur_alloc == 0 && stats().live_bytes == 0, "live");
	CONSISTENT();
}

HT_CASE(Pool, AtomicFailsThenRefill)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	// Nothing populated before the balance work's first run.
	HT_EXPECT(host_work_pending() == 1, "init does not kick the balance work");
	void* p = pcpupool_alloc(64, 8, pcpu_gfp.atomic);
	HT_EXPECT(!p, "atomic allocation with nothing populated");
	HT_EXPECT(stats().atomic_alloc_failed == 1, "failure not counted");
	unsigned long s0 = host_sleeps();
	HT_EXPECT(host_sleeps() == s0, "the atomic path slept");
	HT_EXPECT(host_work_run(0) >= 1, "balance work not queued");
	pcpupool_stats st = stats();
	HT_EXPECT(st.empty_pop_pages >= st.target_low && st.empty_pop_pages <= st.target_high,
		  "empty %llu target %llu..%llu", st.empty_pop_pages, st.target_low, st.target_high);
	p = pcpupool_alloc(64, 8, pcpu_gfp.atomic);
	HT_EXPECT(p && zeroed(p, 64), "atomic allocation after the refill");
	pcpupool_free(p);
	CONSISTENT();
}

HT_CASE(Pool, AtomicUnderSpinlock)
{
	Env e;
	host_work_run(0);
	pcp::SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	unsigned long s0 = host_sleeps();
	void* ps[16] = {};
	{
		pcp::SpinIrqGuard g(lock);
		for (auto& p : ps)
			p = pcpupool_alloc(32, 8, pcpu_gfp.atomic);
		for (auto& p : ps)
			pcpupool_free(p);
	}
	{
		pcp::PreemptGuard g;
		void* p = pcpupool_alloc(8, 8, pcpu_gfp.nowait);
		HT_EXPECT(p, "nowait under preempt_disable");
		pcpupool_free(p);
	}
	HT_EXPECT(host_sleeps() == s0, "slept in atomic context");
	HT_EXPECT(ps[15], "atomic allocations failed with pages populated");
	CONSISTENT();
}

HT_CASE(Pool, SleepableInAtomicIsCaught)
{
	Env e;
	pcp::SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	{
		pcp::SpinIrqGuard g(lock);
		void* p = pcpupool_alloc(32, 8, kKernel);
		pcpupool_free(p);
	}
	HT_EXPECT(violations() > 0, "GFP_KERNEL under a spinlock not caught");
	host_clear_violations();
}

HT_CASE(Pool, WatermarksAndTrim)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	HT_ASSERT(!pcpupool_test_set_watermarks(4, 8, 32), "watermarks");
	host_work_run(0);
	pcpupool_stats st = stats();
	HT_EXPECT(st.empty_pop_pages >= 4 && st.empty_pop_pages <= 8, "empty %llu", st.empty_pop_pages);
	// A burst of atomic demand: the target grows (capped), failures refill.
	void* ps[400];
	int n = 0, failed = 0;
	for (int i = 0; i < 400; i++) {
		ps[n] = pcpupool_alloc(512, 8, pcpu_gfp.atomic);
		if (ps[n])
			n++;
		else if (++failed % 4 == 0)
			host_work_run(0);
	}
	host_work_run(0);
	st = stats();
	HT_EXPECT(st.target_high > 8 && st.target_high <= 32, "target_high %llu", st.target_high);
	HT_EXPECT(st.empty_pop_pages >= st.target_low || st.empty_pop_pages >= 32,
		  "after the burst: empty %llu target %llu..%llu", st.empty_pop_pages, st.target_low,
		  st.target_high);
	for (int i = 0; i < n; i++)
		pcpupool_free(ps[i]);
	// Frees kick a delayed trim; the demand decays run by run.
	for (int i = 0; i < 40; i++)
		host_work_run(1);
	st = stats();
	HT_EXPECT(st.empty_pop_pages <= st.target_high, "not trimmed: empty %llu > %llu",
		  st.empty_pop_pages, st.target_high);
	HT_EXPECT(st.target_high == 8, "demand did not decay: target_high %llu", st.target_high);
	HT_EXPECT(st.nr_chunks <= 2, "free chunks kept: %llu", st.nr_chunks);
	HT_EXPECT(st.nr_tlb_flush > 0 && st.nr_depopulate > 0, "no depopulation");
	CONSISTENT();
}

HT_CASE(Pool, SpareChunksFreed)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	void* big[4];
	HT_ASSERT(whole_units(big), "whole-unit allocations");
	HT_EXPECT(stats().nr_chunks >= 4, "chunks %llu", stats().nr_chunks);
	for (auto& p : big)
		pcpupool_free(p);
	host_work_run(1);
	pcpupool_stats st = stats();
	HT_EXPECT(st.nr_chunks == 1, "free chunks beyond one spare kept: %llu", st.nr_chunks);
	HT_EXPECT(counters().ranges_live == 1, "vm ranges %ld", counters().ranges_live);
	CONSISTENT();
}

HT_CASE(Pool, Killed)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	host_set_killed(2);
	u64 k0 = stats().nr_killed;
	HT_EXPECT(!pcpupool_alloc(64, 8, kKernel), "a killed task waited for the mutex");
	HT_EXPECT(stats().nr_killed == k0 + 1, "nr_killed");
	void* p = pcpupool_alloc(64, 8, kKernel | pcpu_gfp.nofail);
	HT_EXPECT(p, "NOFAIL gave up on a signal");
	host_set_killed(0);
	pcpupool_free(p);
	CONSISTENT();
}

namespace {
struct KillArg {
	void* barrier;
	void* got;
	pcpupool_stats st;
};

void kill_thread(int cpu, void* a)
{
	KillArg* k = static_cast<KillArg*>(a);
	if (cpu == 1) {
		pcpupool_test_hold_mutex(1);
		host_barrier_wait(k->barrier);
		host_barrier_wait(k->barrier);
		pcpupool_test_hold_mutex(0);
		return;
	}
	host_barrier_wait(k->barrier);
	host_set_killed(1); // fatal signal pending: gives up waiting
	k->got = pcpupool_alloc(64, 8, pcpu_gfp.noio);
	host_set_killed(0);
	k->st = stats();
	host_barrier_wait(k->barrier);
}
} // namespace

HT_CASE(Pool, KilledWaiterContended)
{
	Env e(2);
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	KillArg k = {host_barrier_new(2), nullptr, {}};
	host_run_on_cpus(2, kill_thread, &k);
	host_barrier_delete(k.barrier);
	HT_EXPECT(!k.got && k.st.nr_killed == 1, "killed waiter: %p, nr_killed %llu", k.got, k.st.nr_killed);
	// With the mutex free, a task with a signal pending still gets it.
	host_set_killed(1);
	void* p = pcpupool_alloc(64, 8, pcpu_gfp.noio);
	host_set_killed(0);
	HT_EXPECT(p, "uncontended killable allocation failed");
	pcpupool_free(p);
}

HT_CASE(Pool, NofailRetriesVmRange)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	host_fail_next(PCPU_SITE_VM_RANGE, 3);
	void* p = pcpupool_alloc(64, 8, kKernel | pcpu_gfp.nofail);
	HT_EXPECT(p && !host_fail_pending(PCPU_SITE_VM_RANGE), "NOFAIL did not retry through the vm range");
	host_fail_next(PCPU_SITE_VM_RANGE, 1);
	void* big = pcpupool_alloc(kUnit, 8, kKernel); // needs a second chunk
	HT_EXPECT(!big && stats().nr_failed == 1, "failed vm range: %p, nr_failed %llu", big,
		  stats().nr_failed);
	pcpupool_free(p);
	CONSISTENT();
}

// Empty populated memory is bounded in bytes of the whole chunk: at 64
// possible CPUs the adaptive target stops at 32 unit pages (8 MiB), at 4 it
// reaches the 64-page cap (1 MiB); the cap tunable is bounded likewise
// (issue 19, item 9).
static unsigned long long target_after_failures(int cpus)
{
	Env e(cpus);
	for (int round = 0; round < 8; round++) {
		host_work_run(0);
		pcpupool_test_drain_caches();
		while (void* p = pcpupool_alloc(64, 8, pcpu_gfp.nowait | pcpu_gfp.nowarn))
			(void)p; // held until the Env unloads
		host_work_run(0);
	}
	return stats().target_high;
}

HT_CASE(Pool, EmptyTargetBoundedInBytes)
{
	unsigned long long t4 = target_after_failures(4), t64 = target_after_failures(64);
	HT_EXPECT(t4 == 64, "4 CPUs: target_high %llu, want the 64-page cap", t4);
	HT_EXPECT(t64 == 32, "64 CPUs: target_high %llu, want 32 (8 MiB)", t64);
	Env e(64);
	HT_EXPECT(host_debugfs_write("target_cap", 1024) == 0, "64 CPUs: cap 1024 (256 MiB) refused");
	HT_EXPECT(host_debugfs_write("target_cap", 1025) == -22, "64 CPUs: cap 1025 accepted");
	host_clear_violations();
}

// __GFP_ACCOUNT is refused (nothing would be charged): NULL, a WARN, misuse.
HT_CASE(Pool, AccountRefused)
{
	Env e;
	unsigned long w0 = counters().warnings;
	unsigned long long m0 = stats().nr_misuse;
	HT_EXPECT(!pcpupool_alloc(64, 8, kKernel | pcpu_gfp.account), "__GFP_ACCOUNT served");
	HT_EXPECT(counters().warnings > w0 && stats().nr_misuse == m0 + 1, "not refused loudly");
	host_clear_violations();
}

// A mapping error that retrying cannot fix (not -ENOMEM) is a bug: even a
// NOFAIL caller gets NULL at once, with a WARN, instead of looping forever
// under the allocator mutex (issue 19, item 2: the old loop hung here).
HT_CASE(Pool, NofailDoesNotLoopOnBugs)
{
	Env e;
	pcpupool_test_set_caching(0);
	unsigned long w0 = counters().warnings;
	host_set_map_error(-14);
	void* p = pcpupool_alloc(64, 8, kKernel | pcpu_gfp.nofail);
	HT_EXPECT(!p, "NOFAIL through a -EFAULT mapping returned %p", p);
	HT_EXPECT(counters().warnings > w0, "no WARN for the mapping bug");
	HT_EXPECT(stats().nr_failed == 1, "nr_failed %llu", stats().nr_failed);
	host_clear_violations();
	p = pcpupool_alloc(64, 8, kKernel | pcpu_gfp.nofail);
	HT_EXPECT(p, "the next NOFAIL request failed");
	pcpupool_free(p);
	CONSISTENT();
}

// Each fault site on the slow path: the request fails cleanly (or retries
// with NOFAIL), the pool stays consistent, nothing leaks, and the next
// request works.
HT_CASE(Pool, FaultEverySite)
{
	static const int sites[] = {PCPU_SITE_META, PCPU_SITE_VM_RANGE, PCPU_SITE_PAGES_ARRAY,
				    PCPU_SITE_BACKING, HOST_SITE_KMALLOC, HOST_SITE_PAGE,
				    HOST_SITE_MAP};
	for (int site : sites) {
		for (int skip = 0; skip < 6; skip++) {
			Env e(4);
			HT_ASSERT(!e.ret, "init");
			host_fail_after(site, skip, 1);
			void* p = pcpupool_alloc(6000, 8, kKernel);
			bool hit = !host_fail_pending(site);
			host_fail_next(site, 0);
			HT_EXPECT(p || hit, "site %d skip %d: failed without a fault", site, skip);
			if (p) {
				HT_EXPECT(zeroed(p, 6000), "site %d skip %d: not zeroed", site, skip);
				scribble(p, 6000, 7);
			}
			if (!consistent(__FILE__, __LINE__))
				return;
			void* q = pcpupool_alloc(6000, 8, kKernel);
			HT_EXPECT(q && zeroed(q, 6000), "site %d skip %d: no recovery", site, skip);
			pcpupool_free(q);
			pcpupool_free(p);
			host_work_run(1);
			HT_EXPECT(violations() == 0, "site %d skip %d: %s", site, skip, host_last_violation());
		}
	}
}

// The effective constraint reaches every internal allocation, and nothing
// allocated under the mutex may enter FS/IO reclaim (the host's lockdep
// proof: check_alloc in port_host.cpp).
HT_CASE(Pool, GfpContexts)
{
	for (int kind = 0; kind < 6; kind++) {
		Env e;
		unsigned gfp = kind == 1 ? pcpu_gfp.nofs : kind == 2 ? pcpu_gfp.noio : kKernel;
		if (kind == 5)
			gfp |= pcpu_gfp.nofail;
		void* p;
		{
			unsigned cookie = 0;
			if (kind == 3)
				cookie = pcpu_noio_save();
			if (kind == 4)
				cookie = pcpu_nofs_save();
			p = pcpupool_alloc(3 * 4096, 8, gfp); // a chunk and 3 pages
			if (kind == 3)
				pcpu_noio_restore(cookie);
			if (kind == 4)
				pcpu_nofs_restore(cookie);
		}
		HT_ASSERT(p, "kind %d", kind);
		host_counters c = counters();
		HT_EXPECT(c.gfp_violations == 0, "kind %d: %s", kind, host_last_violation());
		HT_EXPECT(c.record[PCPU_SITE_META] && c.record[PCPU_SITE_VM_RANGE] &&
			  c.record[PCPU_SITE_PAGES_ARRAY] && c.record[PCPU_SITE_BACKING] >= 3,
			  "kind %d: chunk creation/population not recorded", kind);
		HT_EXPECT(c.alloc_under_mutex > 0, "kind %d: nothing allocated under the mutex", kind);
		HT_EXPECT(pcpu_current_gfp_context(kKernel) == kKernel, "kind %d: scope leaked", kind);
		pcpupool_free(p);
		host_work_run(1);
	}
}

// The negative control: with test_unsafe_gfp the slow path allocates with
// GFP_KERNEL under its mutex (as Linux 6.12 does); the check must fire.
HT_CASE(Pool, UnsafeGfpNegativeControl)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	host_set_unsafe_gfp(1);
	void* p = pcpupool_alloc(64, 8, pcpu_gfp.noio);
	host_set_unsafe_gfp(0);
	HT_EXPECT(p, "alloc");
	HT_EXPECT(counters().gfp_violations > 0, "GFP_KERNEL under the mutex not caught");
	pcpupool_free(p);
	host_clear_violations();
}

HT_CASE(Pool, StatsCounters)
{
	Env e;
	void* a = pcpupool_alloc(10, 4, kKernel);
	void* b = pcpupool_alloc(1000, 4, kKernel);
	pcpupool_stats st = stats();
	HT_EXPECT(st.nr_alloc == 2 && st.nr_cur_alloc == 2 && st.nr_max_alloc == 2, "alloc counts");
	HT_EXPECT(st.min_alloc_size == 10 && st.max_alloc_size == 1000, "sizes %llu..%llu",
		  st.min_alloc_size, st.max_alloc_size);
	// Class objects of the per-CPU front end count their class: 16, 1024.
	HT_EXPECT(st.live_bytes == 16 + 1024, "live_bytes %llu", st.live_bytes);
	HT_EXPECT(st.unit_size == kUnit && st.nr_units == 4, "geometry");
	pcpupool_free(a);
	pcpupool_free(b);
	st = stats();
	HT_EXPECT(st.nr_dealloc == 2 && st.nr_cur_alloc == 0 && st.live_bytes == 0, "free counts");
}

HT_CASE(Pool, Debugfs)
{
	Env e;
	char buf[8192];
	HT_EXPECT(host_debugfs_read("stats", buf, sizeof(buf)) > 0 &&
		  host_strstr(buf, "nr_alloc") && host_strstr(buf, "target_high"), "stats view");
	void* p = pcpupool_alloc(64, 8, kKernel);
	HT_EXPECT(host_debugfs_read("chunks", buf, sizeof(buf)) > 0 && host_strstr(buf, "chunk 0"),
		  "chunks view: %s", buf);
	HT_EXPECT(host_strstr(buf, "#"), "the used page is not shown: %s", buf);
	pcpupool_free(p);
	// Tunables: low <= high <= cap <= 4096, else -EINVAL and no change.
	HT_EXPECT(host_debugfs_write("low_watermark", 5) == -22, "low above high");
	HT_EXPECT(host_debugfs_write("high_watermark", 65) == -22, "high above cap");
	HT_EXPECT(host_debugfs_write("target_cap", 4097) == -22, "cap above 4096");
	HT_EXPECT(host_debugfs_write("target_cap", 3) == -22, "cap below high");
	HT_EXPECT(host_debugfs_write("high_watermark", 1) == -22, "high below low");
	HT_EXPECT(host_debugfs_write("target_cap", 4096) == 0 && host_debugfs_write("high_watermark", 100) == 0 &&
		  host_debugfs_write("low_watermark", 50) == 0, "valid writes");
	host_debugfs_read("low_watermark", buf, sizeof(buf));
	HT_EXPECT(!host_strcmp(buf, "50\n"), "low reads %s", buf);
	HT_EXPECT(host_debugfs_write("balance", 2) == -22 && host_debugfs_write("balance", 1) == 0, "balance");
	HT_EXPECT(stats().empty_pop_pages >= 50, "balance did not populate: %llu", stats().empty_pop_pages);
	HT_EXPECT(host_debugfs_write("hold_atomic", 65537) == -22, "hold beyond the limit");
	HT_EXPECT(host_debugfs_write("hold_atomic", 100) == 0, "hold");
	host_debugfs_read("hold_atomic", buf, sizeof(buf));
	HT_EXPECT(!host_strcmp(buf, "100\n"), "held %s", buf);
	HT_EXPECT(stats().nr_cur_alloc == 100, "live %llu", stats().nr_cur_alloc);
	HT_EXPECT(host_debugfs_write("hold_atomic", 0) == 0 && stats().nr_cur_alloc == 0, "drop");
	// Held at unload: reported and freed with their chunks.
	HT_EXPECT(host_debugfs_write("hold_atomic", 10) == 0, "hold again");
	CONSISTENT();
}

// The views and the check walk one chunk map per IRQ-off section, counted
// by the port's measurement; the control (the walk in one section, as the
// views were before) must show every chunk's map in one.
HT_CASE(Pool, ViewsWalkOneChunkPerSection)
{
	Env e;
	void* big[8];
	HT_ASSERT(whole_units(big), "whole-unit allocations");
	const unsigned n = stats().nr_chunks;
	HT_EXPECT(n >= 8, "chunks %u", n);
	static char buf[1 << 16];
	void* site;
	unsigned walks[2];
	for (int control = 0; control < 2; control++) {
		pcpupool_test_whole_walk(control);
		pcpu_irqoff_measure(1);
		HT_EXPECT(host_debugfs_read("chunks", buf, sizeof(buf)) > 0, "chunks view");
		HT_EXPECT(host_debugfs_read("stats", buf, sizeof(buf)) > 0, "stats view");
		HT_EXPECT(!pcpupool_test_check(), "check");
		pcpu_irqoff_max(&site, &walks[control]);
		pcpu_irqoff_measure(0);
	}
	pcpupool_test_whole_walk(0);
	HT_EXPECT(walks[0] == 1, "a section walked %u chunk maps", walks[0]);
	HT_EXPECT(walks[1] >= n, "control: %u maps in one section, %u chunks", walks[1], n);
	for (auto& p : big)
		pcpupool_free(p);
	CONSISTENT();
}

HT_CASE(Pool, ExitWithLiveAllocations)
{
	{
		Env e;
		for (int i = 0; i < 50; i++)
			HT_EXPECT(pcpupool_alloc(100 + i * 97, 8, kKernel), "alloc %d", i);
	}
	host_counters c = counters();
	HT_EXPECT(c.pages_live == 0 && c.ranges_live == 0, "unload leaked pages %ld ranges %ld",
		  c.pages_live, c.ranges_live);
}

namespace {
struct Mixed {
	void* barrier;
	int failures;
};

void mixed_thread(int cpu, void* a)
{
	Mixed* m = static_cast<Mixed*>(a);
	void* mine[32] = {};
	u32 sizes[32] = {};
	u64 s = 0x1234567 + cpu;
	host_barrier_wait(m->barrier);
	for (int i = 0; i < 3000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int k = (s >> 40) % 32;
		if (mine[k]) {
			if (!scribbled(mine[k], sizes[k], u8(cpu * 32 + k)))
				__atomic_add_fetch(&m->failures, 1, __ATOMIC_RELAXED);
			pcpupool_free(mine[k]);
			mine[k] = nullptr;
			continue;
		}
		sizes[k] = 1 + (s >> 20) % 700;
		unsigned gfp = (s >> 10) % 3 ? pcpu_gfp.atomic : (s >> 12) % 2 ? pcpu_gfp.noio : kKernel;
		mine[k] = pcpupool_alloc(sizes[k], 8, gfp);
		if (mine[k]) {
			if (!zeroed(mine[k], sizes[k]))
				__atomic_add_fetch(&m->failures, 1, __ATOMIC_RELAXED);
			scribble(mine[k], sizes[k], u8(cpu * 32 + k));
		}
	}
	for (int k = 0; k < 32; k++)
		pcpupool_free(mine[k]);
}
} // namespace

// Four CPUs and the balance worker, under ASan: patterns survive, frees
// from every CPU, consistent afterwards.  (stress.cpp does this under TSan.)
HT_CASE(Pool, ThreadsWithWorker)
{
	Env e(4, kUnit, 0, /*thread=*/1);
	Mixed m = {host_barrier_new(4), 0};
	host_run_on_cpus(4, mixed_thread, &m);
	host_barrier_delete(m.barrier);
	HT_EXPECT(m.failures == 0, "%d corrupted or unzeroed allocations", m.failures);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
	CONSISTENT();
}

// With nothing happening, a second balance run must change nothing: it
// neither destroys the chunks the first run populated for the target nor
// creates them again.  (A target above one chunk's pages needs several
// wholly free chunks, and balance_free_chunks() keeps only one spare.)
HT_CASE(Pool, BalanceIsStable)
{
	Env e;
	HT_ASSERT(!pcpupool_test_set_watermarks(20, 35, 64), "watermarks");
	host_work_run(1);
	pcpupool_stats a = stats();
	HT_EXPECT(a.empty_pop_pages >= 20 && a.empty_pop_pages <= 35, "empty %llu", a.empty_pop_pages);
	pcpupool_test_flush_balance();
	pcpupool_test_flush_balance();
	pcpupool_stats b = stats();
	HT_EXPECT(b.nr_chunk_create == a.nr_chunk_create && b.nr_chunk_destroy == a.nr_chunk_destroy,
		  "balance churns chunks: created %llu -> %llu, destroyed %llu -> %llu",
		  a.nr_chunk_create, b.nr_chunk_create, a.nr_chunk_destroy, b.nr_chunk_destroy);
	HT_EXPECT(b.nr_populate == a.nr_populate && b.nr_depopulate == a.nr_depopulate &&
		  b.nr_tlb_flush == a.nr_tlb_flush,
		  "balance churns pages: populated %llu -> %llu, depopulated %llu -> %llu, flushes %llu -> %llu",
		  a.nr_populate, b.nr_populate, a.nr_depopulate, b.nr_depopulate, a.nr_tlb_flush,
		  b.nr_tlb_flush);
	HT_EXPECT(b.empty_pop_pages >= 20, "empty populated pages after rebalancing: %llu", b.empty_pop_pages);
	CONSISTENT();
}

HT_CASE(Pool, Tracepoints)
{
	Env e;
	// The locked layer's behaviour: the per-CPU front end off.
	pcpupool_test_set_caching(0);
	host_set_trace(PCPU_TRACE_ALLOC | PCPU_TRACE_SLOW);
	void* p = pcpupool_alloc(100, 8, kKernel);
	host_trace t;
	host_get_trace(&t);
	HT_EXPECT(t.allocs == 1 && t.last_ptr == p && t.last_size == 100 && !t.last_atomic, "alloc event");
	HT_EXPECT(t.chunk_creates == 1 && t.populates == 1, "chunk +%lu pages +%lu", t.chunk_creates,
		  t.populates);
	pcpupool_free(p);
	host_get_trace(&t);
	HT_EXPECT(t.frees == 1 && t.last_ptr == p && t.last_size == 100, "free event: %lu bytes", t.last_size);
	host_fail_next(PCPU_SITE_ATOMIC, 1);
	HT_EXPECT(!pcpupool_alloc(64, 8, pcpu_gfp.atomic), "atomic fault");
	host_get_trace(&t);
	HT_EXPECT(t.alloc_fails == 1 && t.last_atomic, "fail event");
	host_set_trace(0);
	pcpupool_free(pcpupool_alloc(8, 8, kKernel));
	host_trace off;
	host_get_trace(&off);
	HT_EXPECT(off.allocs == t.allocs && off.frees == t.frees, "events with tracing off");
}
