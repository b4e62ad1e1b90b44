// SPDX-License-Identifier: GPL-2.0
//
// test_mempool.cpp - host unit tests of the percpu mempool (suite
// Mempool): the contract cases of kunit/mempool_test.c, and what only the
// host can force: every allocation of create() failing, a migration or an
// interrupt between the magazine check and the depot lock, CPU hotplug.
// White-box: the magazines are read directly (private made public in this
// TU only; the layout is unchanged).  Core flags; reports through ht.h.
#define private public
#include "mempool.h"
#undef private
#include "memalloc.h"
#include "test_env.h"

using namespace env;

namespace {

constexpr int kMinNr = 8;

pcp::Mempool* mp_of(pcpupool_mempool* p) { return reinterpret_cast<pcp::Mempool*>(p); }

// Magazines within bounds, the depot within its array, stats agree.
bool mags_sane(pcpupool_mempool* p, int line)
{
	pcp::Mempool* m = mp_of(p);
	u32 in_mags = 0;
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
		if (!pcpu_cpu_possible(cpu))
			continue;
		pcp::Mempool::Mag* g = m->mag(cpu);
		if (g->count() > pcp::Mempool::kMagSize) {
			ht_fail(__FILE__, line,
				"CPU %d's magazine holds %u elements (max %u): elems[] overflowed",
				cpu, g->count(), pcp::Mempool::kMagSize);
			return false;
		}
		in_mags += g->count();
	}
	if (m->depot_count_ > m->depot_cap_) {
		ht_fail(__FILE__, line, "depot %u > cap %u", m->depot_count_, m->depot_cap_);
		return false;
	}
	pcpupool_mempool_stats st = mstats(p);
	if (st.in_magazines != in_mags || st.reserved != in_mags + m->depot_count_) {
		ht_fail(__FILE__, line,
			"stats in_magazines %llu reserved %llu, counted %u + depot %u",
			st.in_magazines, st.reserved, in_mags, m->depot_count_);
		return false;
	}
	return true;
}
#define MAGS_SANE(p) mags_sane(p, __LINE__)

void fail_allocator(bool on) { host_fail_next(PCPU_SITE_ATOMIC, on ? 1 << 28 : 0); }

} // namespace

// Allocator failing, the allocator mutex held by this very thread (a
// constrained caller that tried to take it would deadlock, which the port
// turns into a BUG): NOIO and atomic callers get exactly min_nr zeroed
// elements, then NULL, without sleeping.
// The "never waits" measurement can fail: with the negative control a NOIO
// caller that finds the reserve empty sleeps for the refill, and both the
// port's sleep count and the pool's "waits" see it.
HT_CASE(Mempool, WaitIsMeasured)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_wait", 64, 8, 2, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	void* p[3];
	fail_allocator(true);
	for (auto& q : p)
		q = pcpupool_mempool_alloc(mp, pcpu_gfp.noio);
	HT_EXPECT(mstats(mp).waits == 0, "waits %llu without the control", mstats(mp).waits);
	HT_EXPECT(!p[2], "more than the reserve");
	host_set_mempool_wait(1);
	unsigned long s0 = host_sleeps();
	void* extra = pcpupool_mempool_alloc(mp, pcpu_gfp.noio);
	host_set_mempool_wait(0);
	HT_EXPECT(host_sleeps() > s0, "the negative control did not sleep");
	HT_EXPECT(mstats(mp).waits == 1, "waits %llu: the wait was not measured", mstats(mp).waits);
	fail_allocator(false);
	for (auto& q : p)
		pcpupool_mempool_free(q, mp);
	pcpupool_mempool_free(extra, mp);
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, ReserveHonoured)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_reserve", 64, 8, kMinNr, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	HT_EXPECT(mstats(mp).reserved == kMinNr, "reserved %llu", mstats(mp).reserved);
	pcp::SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	void* p[kMinNr + 2];
	pcpupool_test_hold_mutex(1);
	fail_allocator(true);
	unsigned long s0 = host_sleeps();
	int got = 0;
	for (int i = 0; i < kMinNr + 2; i++) {
		if (i % 2) {
			pcp::SpinIrqGuard g(lock);
			p[i] = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic);
		} else {
			p[i] = pcpupool_mempool_alloc(mp, pcpu_gfp.noio);
		}
		got += !!p[i];
		if (p[i]) {
			HT_EXPECT(zeroed(p[i], 64), "element %d not zeroed", i);
			scribble(p[i], 64, u8(i));
		}
	}
	HT_EXPECT(host_sleeps() == s0, "a constrained caller slept");
	HT_EXPECT(got == kMinNr, "got %d", got);
	HT_EXPECT(!p[kMinNr] && !p[kMinNr + 1], "more than the reserve");
	pcpupool_mempool_stats st = mstats(mp);
	HT_EXPECT(st.failures == 2 && st.waits == 0 && st.reserved == 0,
		  "failures %llu waits %llu reserved %llu", st.failures, st.waits, st.reserved);
	fail_allocator(false);
	pcpupool_test_hold_mutex(0);
	for (int i = 0; i < kMinNr + 2; i++)
		pcpupool_mempool_free(p[i], mp);
	pcpupool_test_mempool_flush(mp);
	st = mstats(mp);
	HT_EXPECT(st.reserved == kMinNr && st.outstanding == 0, "reserved %llu outstanding %llu",
		  st.reserved, st.outstanding);
	fail_allocator(true);
	void* q = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
	fail_allocator(false);
	HT_EXPECT(q && zeroed(q, 64), "reserve element not zeroed after reuse");
	pcpupool_mempool_free(q, mp);
	MAGS_SANE(mp);
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, AllocatorFirst)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_first", 128, 64, 4, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	pcpupool_test_flush_balance();
	void* a = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
	pcpupool_mempool_stats st = mstats(mp);
	HT_EXPECT(a && st.served_allocator == 1 && st.reserved == 4, "allocator first");
	HT_EXPECT((unsigned long)cpu_ptr(a, 0) % 64 == 0, "alignment");
	pcpupool_mempool_free(a, mp);
	HT_EXPECT(mstats(mp).frees_allocator == 1, "full reserve: back to the allocator");
	HT_ASSERT(pcpupool_mempool_resize(mp, 0) == 0, "resize 0");
	fail_allocator(true);
	unsigned cookie = pcpu_noio_save();
	void* b = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
	pcpu_noio_restore(cookie);
	HT_EXPECT(!b, "GFP_KERNEL in a NOIO scope waited for a direct allocation");
	b = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
	fail_allocator(false);
	HT_EXPECT(b, "unconstrained direct allocation");
	st = mstats(mp);
	HT_EXPECT(st.served_direct == 1 && st.failures == 1, "direct %llu failures %llu",
		  st.served_direct, st.failures);
	pcpupool_mempool_free(b, mp);
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, MagazineLocal)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_mag", 32, 8, 32, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	void* p = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
	HT_EXPECT(p, "first miss");
	pcpupool_mempool_free(p, mp);
	pcpupool_mempool_stats st0 = mstats(mp);
	int i;
	for (i = 0; i < 200; i++) {
		p = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
		if (!p)
			break;
		pcpupool_mempool_free(p, mp);
	}
	pcpupool_mempool_stats st1 = mstats(mp);
	fail_allocator(false);
	HT_EXPECT(i == 200, "only %d", i);
	HT_EXPECT(st1.depot_ops == st0.depot_ops, "depot touched %llu times",
		  st1.depot_ops - st0.depot_ops);
	HT_EXPECT(st1.served_magazine - st0.served_magazine == 200, "served %llu",
		  st1.served_magazine - st0.served_magazine);
	HT_EXPECT(st1.reserved == 32, "reserved %llu", st1.reserved);
	MAGS_SANE(mp);
	pcpupool_mempool_destroy(mp);
}

// The reserve holds on every CPU: with elements parked in CPU 1's
// magazine and the depot drained into CPU 2's, a constrained caller on
// CPU 3 gets all min_nr (the depot's rest, then stolen ones), then NULL;
// nothing is handed out twice.
HT_CASE(Mempool, ReserveFromAnyCpu)
{
	Env e(4);
	constexpr int kMin = 16;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_any", 24, 8, kMin, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	pcpupool_test_hold_mutex(1); // no refill
	for (int cpu = 1; cpu <= 2; cpu++) {
		host_set_cpu(cpu);
		void* p = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic); // half a magazine
		HT_ASSERT(p, "alloc on CPU %d", cpu);
		pcpupool_mempool_free(p, mp);
	}
	HT_EXPECT(mp_of(mp)->depot_count_ == 0, "depot %u", mp_of(mp)->depot_count_);
	host_set_cpu(3);
	void* got[kMin + 2];
	int n = 0;
	for (int i = 0; i < kMin + 2; i++) {
		got[i] = pcpupool_mempool_alloc(mp, pcpu_gfp.noio);
		n += got[i] != nullptr;
		for (int j = 0; got[i] && j < i; j++)
			HT_EXPECT(got[i] != got[j], "element %p twice", got[i]);
	}
	HT_EXPECT(n == kMin, "got %d of %d", n, kMin);
	HT_EXPECT(mstats(mp).failures == 2, "failures %llu", mstats(mp).failures);
	MAGS_SANE(mp);
	for (void* p : got)
		pcpupool_mempool_free(p, mp);
	pcpupool_test_hold_mutex(0);
	fail_allocator(false);
	host_set_cpu(0);
	HT_EXPECT(mstats(mp).reserved == kMin && mstats(mp).outstanding == 0,
		  "reserved %llu outstanding %llu", mstats(mp).reserved, mstats(mp).outstanding);
	MAGS_SANE(mp);
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, CpuOfflineDrains)
{
	Env e(4);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_hp", 32, 8, 16, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	host_set_cpu(2);
	void* p = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic); // half a magazine to CPU 2
	HT_ASSERT(p, "alloc");
	pcpupool_mempool_free(p, mp);
	host_set_cpu(0);
	fail_allocator(false);
	HT_EXPECT(mp_of(mp)->mag(2)->count() > 0, "CPU 2's magazine is empty");
	unsigned long long reserved = mstats(mp).reserved;
	HT_EXPECT(host_cpu_offline(2) == 0, "offline");
	HT_EXPECT(mp_of(mp)->mag(2)->count() == 0, "not drained");
	HT_EXPECT(mstats(mp).reserved == reserved, "drain lost elements: %llu -> %llu", reserved,
		  mstats(mp).reserved);
	host_cpu_online(2);
	MAGS_SANE(mp);
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, Resize)
{
	Env e(3);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_resize", 48, 16, 4, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	unsigned long ipis = counters().ipis;
	static const unsigned sizes[] = {40, 2, 100, 0, 7};
	for (unsigned n : sizes) {
		HT_EXPECT(pcpupool_mempool_resize(mp, n) == 0, "resize %u", n);
		HT_EXPECT(mstats(mp).reserved == n && mstats(mp).min_nr == n,
			  "resize %u: reserved %llu", n, mstats(mp).reserved);
		MAGS_SANE(mp);
	}
	HT_EXPECT(counters().ipis == ipis + 5, "magazines not drained by IPI");
	HT_EXPECT(pcpupool_mempool_resize(mp, (1u << 20) + 1) == -22, "resize beyond 1<<20");
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, DestroyWithElementsOut)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_out", 16, 8, 2, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	void* a = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
	unsigned long w0 = counters().warnings;
	pcpupool_mempool_destroy(mp);
	HT_EXPECT(counters().warnings == w0 + 1, "no warning for an element still out");
	HT_EXPECT(a && stats().nr_cur_alloc == 1, "the element out must stay allocated");
	pcpupool_free(a);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
	HT_EXPECT(!host_debugfs_exists("mempool/t_out"), "debugfs dir left behind");
}

// Misused frees are refused before they can enter a reserve: a pointer
// pcpupool does not own, a plain allocation, an interior pointer, another
// pool's element, a double free (of a reserve element and of one that went
// back to the allocator), and pcpupool_free() of an element held in a
// reserve.  Each is
// counted and warned about; nothing changes, and both pools keep handing
// out distinct, intact elements.
HT_CASE(Mempool, MisuseRefused)
{
	Env e;
	pcpupool_mempool* a = pcpupool_mempool_create("t_a", 64, 8, 4, pcpu_gfp.kernel);
	pcpupool_mempool* b = pcpupool_mempool_create("t_b", 64, 8, 4, pcpu_gfp.kernel);
	HT_ASSERT(a && b, "create");
	HT_EXPECT(mstats(a).id && mstats(b).id && mstats(a).id != mstats(b).id, "ids %llu %llu",
		  mstats(a).id, mstats(b).id);
	void* ea = pcpupool_mempool_alloc(a, pcpu_gfp.kernel);
	void* eb = pcpupool_mempool_alloc(b, pcpu_gfp.kernel);
	void* plain = pcpupool_alloc(64, 8, pcpu_gfp.kernel);
	HT_ASSERT(ea && eb && plain, "allocs");
	scribble(ea, 64, 1);
	scribble(eb, 64, 2);
	static u8 outside[64];
	unsigned long w0 = counters().warnings;

	pcpupool_mempool_free(outside, b); // not pcpupool's
	pcpupool_mempool_free(plain, b); // not an element
	pcpupool_mempool_free(static_cast<u8*>(ea) + 8, b); // interior
	pcpupool_mempool_free(ea, b); // another pool's
	HT_EXPECT(mstats(b).misuse == 4, "b misuse %llu", mstats(b).misuse);
	HT_EXPECT(counters().warnings == w0 + 4, "warnings %lu", counters().warnings - w0);
	HT_EXPECT(mstats(b).outstanding == 1 && mstats(a).outstanding == 1, "outstanding %llu %llu",
		  mstats(b).outstanding, mstats(a).outstanding);
	HT_EXPECT(scribbled(ea, 64, 1) && scribbled(eb, 64, 2), "elements changed");

	// A reserve element: freed, it is back in the reserve; freed again, it
	// is refused, as is pcpupool_free() of it while it sits there.
	fail_allocator(true);
	void* r = pcpupool_mempool_alloc(a, pcpu_gfp.atomic);
	fail_allocator(false);
	HT_ASSERT(r, "reserve element");
	pcpupool_mempool_free(r, a);
	unsigned long long res = mstats(a).reserved, live = stats().nr_cur_alloc;
	pcpupool_mempool_free(r, a);
	HT_EXPECT(mstats(a).misuse == 1, "a misuse %llu", mstats(a).misuse);
	HT_EXPECT(mstats(a).reserved == res, "reserve grew on a double free");
	unsigned long long m0 = stats().nr_misuse;
	pcpupool_free(r);
	HT_EXPECT(stats().nr_misuse == m0 + 1, "pool misuse %llu", stats().nr_misuse - m0);
	HT_EXPECT(stats().nr_cur_alloc == live, "live %llu, was %llu", stats().nr_cur_alloc, live);
	// An allocator element goes back to the allocator (the reserve is
	// full): freed again, it is no element at all.  Before that,
	// pcpupool_free() of it while it is out of live pool a is refused:
	// a's outstanding would be wrong for good (issue 19, item 6).
	m0 = stats().nr_misuse;
	pcpupool_free(ea);
	HT_EXPECT(stats().nr_misuse == m0 + 1 && mstats(a).outstanding == 1,
		  "pcpupool_free of a live pool's element: misuse +%llu, outstanding %llu",
		  stats().nr_misuse - m0, mstats(a).outstanding);
	HT_EXPECT(scribbled(ea, 64, 1), "the refused free changed the element");
	pcpupool_mempool_free(ea, a);
	pcpupool_mempool_free(ea, a);
	HT_EXPECT(mstats(a).misuse == 2, "a misuse %llu", mstats(a).misuse);
	HT_EXPECT(counters().warnings == w0 + 8, "warnings %lu", counters().warnings - w0);

	// Both pools still hand out distinct elements, a's reserve included.
	void* got[8];
	for (int i = 0; i < 8; i++) {
		got[i] = pcpupool_mempool_alloc(a, pcpu_gfp.kernel);
		HT_ASSERT(got[i], "alloc %d", i);
		for (int j = 0; j < i; j++)
			HT_EXPECT(got[i] != got[j], "element %p handed out twice", got[i]);
	}
	for (void* g : got)
		pcpupool_mempool_free(g, a);
	pcpupool_mempool_free(eb, b);
	HT_EXPECT(mstats(a).misuse == 2 && mstats(b).misuse == 4, "good frees counted as misuse");
	pcpupool_free(plain);
	pcpupool_mempool_destroy(a);
	pcpupool_mempool_destroy(b);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
	HT_EXPECT(!pcpu_api_test_check(), "pool check: %s", pcpu_api_test_check());
}

// Element tags carry a 7-bit pool id: the 128th live pool gets id 0 and is
// unchecked, as mempool.h documents (misuse of its elements cannot be told
// from a plain allocation's); it still works.
// Elements taken from the reserve on one CPU and freed on another: the
// reserve comes back to min_nr and never above it, however the frees move
// between CPUs (issue 19, item 5: per-magazine loan counts over-filled it).
HT_CASE(Mempool, ReserveExactAcrossCpus)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_x", 32, 8, 8, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	for (int round = 0; round < 20; round++) {
		void* p[8];
		host_set_cpu(round % 4);
		fail_allocator(true);
		for (auto& q : p)
			q = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
		fail_allocator(false);
		// An allocator element, freed on the CPU that took the reserve
		// after the reserve came back through another CPU: it must go
		// back to the allocator.
		void* extra = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
		host_set_cpu((round + 1) % 4);
		for (auto& q : p)
			pcpupool_mempool_free(q, mp);
		host_set_cpu(round % 4);
		pcpupool_mempool_free(extra, mp);
		HT_EXPECT(mstats(mp).reserved == 8, "round %d: reserve %llu, min_nr 8", round,
			  mstats(mp).reserved);
		pcpupool_test_mempool_flush(mp);
		HT_EXPECT(mstats(mp).reserved == 8, "round %d after the refill: reserve %llu", round,
			  mstats(mp).reserved);
	}
	pcpupool_mempool_destroy(mp);
}

HT_CASE(Mempool, IdsRunOut)
{
	Env e;
	pcpupool_mempool* mp[128];
	for (auto& m : mp) {
		m = pcpupool_mempool_create("t_ids", 16, 8, 1, pcpu_gfp.kernel);
		HT_ASSERT(m, "create");
	}
	HT_EXPECT(mstats(mp[126]).id == 127 && mstats(mp[127]).id == 0, "ids %llu %llu",
		  mstats(mp[126]).id, mstats(mp[127]).id);
	void* p = pcpupool_mempool_alloc(mp[127], pcpu_gfp.kernel);
	HT_EXPECT(p && zeroed(p, 16), "the unchecked pool does not work");
	pcpupool_mempool_free(p, mp[127]);
	for (auto& m : mp)
		pcpupool_mempool_destroy(m);
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
}

HT_CASE(Mempool, BadCreate)
{
	Env e;
	HT_EXPECT(!pcpupool_mempool_create("x", 0, 8, 1, pcpu_gfp.kernel), "size 0");
	HT_EXPECT(!pcpupool_mempool_create("x", kUnit + 1, 8, 1, pcpu_gfp.kernel), "size > unit");
	HT_EXPECT(!pcpupool_mempool_create("x", 8, 3, 1, pcpu_gfp.kernel), "align 3");
	HT_EXPECT(!pcpupool_mempool_create("x", 8, 8192, 1, pcpu_gfp.kernel), "align > page");
	HT_EXPECT(!pcpupool_mempool_create("x", 8, 8, (1u << 20) + 1, pcpu_gfp.kernel), "min_nr");
	HT_EXPECT(stats().nr_cur_alloc == 0, "bad create allocated");
}

// Every allocation create() makes, failing in turn: NULL, no crash, no
// leak, and the pool works afterwards.
HT_CASE(Mempool, CreateFailures)
{
	// kmalloc: the Mempool, its depot array; META/BACKING: the pool
	// allocations of the magazines and the counters (each creates or
	// populates in a fresh pool).  Its lock and refill work are stored
	// inline and cannot fail; the port-object site stays, to show that
	// create() allocates no other port object.
	static const int sites[] = {HOST_SITE_KMALLOC, HOST_SITE_PORT_OBJ, PCPU_SITE_META,
				    PCPU_SITE_BACKING};
	for (int site : sites) {
		for (int skip = 0; skip < 3; skip++) {
			Env e;
			host_fail_after(site, skip, 1);
			pcpupool_mempool* mp =
				pcpupool_mempool_create("t_fail", 32, 8, 4, pcpu_gfp.kernel);
			bool hit = !host_fail_pending(site);
			host_fail_next(site, 0);
			HT_EXPECT(!mp || !hit, "site %d skip %d: created through a failure", site,
				  skip);
			if (mp)
				pcpupool_mempool_destroy(mp);
			HT_EXPECT(stats().nr_cur_alloc == 0,
				  "site %d skip %d: %llu allocations leaked", site, skip,
				  stats().nr_cur_alloc);
			// The pool's per-CPU caches and shrinker; locks and work
			// items are stored inline, not port objects.
			HT_EXPECT(counters().port_objs_live == 2,
				  "site %d skip %d: port objects %ld", site, skip,
				  counters().port_objs_live);
		}
	}
	Env e;
	// The initial refill failing: not enough for min_nr.
	host_fail_next(PCPU_SITE_VM_RANGE, 1);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_fail", 32, 8, 4, pcpu_gfp.kernel);
	HT_EXPECT(!mp, "created without its reserve");
	HT_EXPECT(stats().nr_cur_alloc == 0, "leaked");
}

namespace {
// Takes @n reserve elements on this CPU (allocator failing).
int take(pcpupool_mempool* mp, void** out, int n)
{
	int got = 0;
	for (int i = 0; i < n; i++)
		got += !!(out[i] = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait));
	return got;
}

struct IrqFree {
	pcpupool_mempool* mp;
	void** elems;
	int n;
	int ran;
};

void irq_free(void* a)
{
	IrqFree* f = static_cast<IrqFree*>(a);
	for (int i = 0; i < f->n; i++)
		pcpupool_mempool_free(f->elems[i], f->mp);
	f->ran = 1;
}
} // namespace

// A task that found its magazine empty may be migrated before it takes the
// depot lock; the CPU it lands on may have a full magazine.  take_reserve()
// must not move more than fits.
HT_CASE(Mempool, MigrationBeforeDepot)
{
	Env e(2);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_migrate", 32, 8, 40, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	void* held[18];
	host_set_cpu(1);
	HT_ASSERT(take(mp, held, 18) == 18, "take on CPU 1");
	for (int i = 0; i < 16; i++) // back into CPU 1's magazine (loaned)
		pcpupool_mempool_free(held[i], mp);
	HT_ASSERT(mp_of(mp)->mag(1)->count() == 16, "CPU 1's magazine: %u", mp_of(mp)->mag(1)->count());
	host_set_cpu(0);
	// Transitions: pool lock (atomic path), IrqGuard (CPU 0's magazine,
	// empty), depot lock: migrate to CPU 1 just before the third.
	host_migrate_at(3, 1);
	void* p = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
	HT_EXPECT(host_cpu() == 1, "the migration did not happen");
	host_disarm();
	host_set_cpu(0);
	fail_allocator(false);
	HT_EXPECT(p, "no element");
	if (!MAGS_SANE(mp))
		return; // memory beyond the magazine is corrupt: do not destroy
	pcpupool_mempool_free(p, mp);
	pcpupool_mempool_free(held[16], mp);
	pcpupool_mempool_free(held[17], mp);
	pcpupool_mempool_destroy(mp);
}

// The same window on one CPU: an interrupt frees elements into this CPU's
// magazine between the magazine check and the depot lock.
HT_CASE(Mempool, IrqFreesBeforeDepot)
{
	Env e(1);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_irq", 32, 8, 40, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	void* held[18];
	HT_ASSERT(take(mp, held, 18) == 18, "take");
	HT_ASSERT(mp_of(mp)->mag(0)->count() == 0, "magazine %u", mp_of(mp)->mag(0)->count());
	IrqFree f = {mp, held, 10, 0};
	host_irq_at(3, irq_free, &f);
	void* p = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait);
	host_disarm();
	fail_allocator(false);
	HT_EXPECT(f.ran, "the interrupt did not run");
	HT_EXPECT(p, "no element");
	if (!MAGS_SANE(mp))
		return;
	pcpupool_mempool_free(p, mp);
	for (int i = 10; i < 18; i++)
		pcpupool_mempool_free(held[i], mp);
	pcpupool_mempool_destroy(mp);
}

// Constrained callers never wait, whatever the state: reserve empty and
// allocator failing gives NULL at once and a refill kick.
HT_CASE(Mempool, NeverWaits)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_wait", 32, 8, 1, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	pcpupool_test_hold_mutex(1);
	void* a = pcpupool_mempool_alloc(mp, pcpu_gfp.nofs);
	unsigned long s0 = host_sleeps();
	void* b = pcpupool_mempool_alloc(mp, pcpu_gfp.nofs);
	unsigned cookie = pcpu_nofs_save();
	void* c = pcpupool_mempool_alloc(mp, pcpu_gfp.kernel);
	pcpu_nofs_restore(cookie);
	HT_EXPECT(host_sleeps() == s0, "a constrained caller slept");
	HT_EXPECT(a && !b && !c, "reserve of one: %p %p %p", a, b, c);
	HT_EXPECT(host_work_pending() > 0, "refill not kicked");
	pcpupool_test_hold_mutex(0);
	fail_allocator(false);
	host_work_run(0);
	HT_EXPECT(mstats(mp).reserved == 1 && mstats(mp).waits == 0, "refill");
	pcpupool_mempool_free(a, mp);
	pcpupool_mempool_destroy(mp);
}

// Frees refill the reserve up to min_nr, then go back to the allocator;
// after the refill work the reserve is exactly min_nr.
HT_CASE(Mempool, FreeKeepsMinNr)
{
	Env e(2);
	pcpupool_mempool* mp = pcpupool_mempool_create("t_min", 32, 8, 4, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	fail_allocator(true);
	void* r = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait); // reserve -> 3, CPU 0 loaned 1
	fail_allocator(false);
	host_set_cpu(1);
	pcpupool_mempool_free(r, mp); // CPU 1 owes nothing: to the depot, reserve 4
	host_set_cpu(0);
	HT_EXPECT(mstats(mp).reserved == 4, "reserved %llu", mstats(mp).reserved);
	void* x = pcpupool_mempool_alloc(mp, pcpu_gfp.nowait); // from the allocator
	HT_ASSERT(x && mstats(mp).served_allocator == 1, "allocator");
	pcpupool_mempool_free(x, mp);
	unsigned long long after_free = mstats(mp).reserved;
	pcpupool_test_mempool_flush(mp);
	HT_EXPECT(mstats(mp).reserved == 4, "after the refill work: reserved %llu",
		  mstats(mp).reserved);
	// Documented: "otherwise the element goes back to the allocator".  A
	// magazine that once lent an element takes the next free on its CPU
	// even when the reserve is full; the refill work trims the depot back.
	HT_EXPECT(after_free <= 5, "reserve grew by more than one: %llu", after_free);
	MAGS_SANE(mp);
	pcpupool_mempool_destroy(mp);
}

namespace {
struct PoolsArg {
	pcpupool_mempool* mps[3];
	void* barrier;
	int failures;
};

void pools_thread(int cpu, void* a)
{
	PoolsArg* pa = static_cast<PoolsArg*>(a);
	void* mine[3][12] = {};
	u64 s = 77 + cpu;
	host_barrier_wait(pa->barrier);
	for (int i = 0; i < 2000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int k = (s >> 33) % 3, j = (s >> 40) % 12;
		if (mine[k][j]) {
			if (!scribbled(mine[k][j], 16, u8(cpu)))
				__atomic_add_fetch(&pa->failures, 1, __ATOMIC_RELAXED);
			pcpupool_mempool_free(mine[k][j], pa->mps[k]);
			mine[k][j] = nullptr;
			continue;
		}
		unsigned gfp = (s >> 20) % 4 == 0 ? pcpu_gfp.noio : pcpu_gfp.atomic;
		mine[k][j] = pcpupool_mempool_alloc(pa->mps[k], gfp);
		if (mine[k][j]) {
			if (!zeroed(mine[k][j], 16))
				__atomic_add_fetch(&pa->failures, 1, __ATOMIC_RELAXED);
			scribble(mine[k][j], 16, u8(cpu));
		}
	}
	for (int k = 0; k < 3; k++)
		for (int j = 0; j < 12; j++)
			pcpupool_mempool_free(mine[k][j], pa->mps[k]);
}
} // namespace

// Several pools used from four CPUs with the worker running refills and
// balance (ASan; stress.cpp runs the same under TSan).
HT_CASE(Mempool, PoolsFromThreads)
{
	Env e(4, kUnit, 0, /*thread=*/1);
	PoolsArg pa = {{}, host_barrier_new(4), 0};
	for (int k = 0; k < 3; k++) {
		pa.mps[k] = pcpupool_mempool_create(k == 0   ? "a"
						    : k == 1 ? "b"
							     : "c",
						    16, 8, 8 + 8 * k, pcpu_gfp.kernel);
		HT_ASSERT(pa.mps[k], "create %d", k);
	}
	host_run_on_cpus(4, pools_thread, &pa);
	host_barrier_delete(pa.barrier);
	HT_EXPECT(pa.failures == 0, "%d corrupt or unzeroed elements", pa.failures);
	for (int k = 0; k < 3; k++) {
		HT_EXPECT(mstats(pa.mps[k]).outstanding == 0, "pool %d outstanding %llu", k,
			  mstats(pa.mps[k]).outstanding);
		MAGS_SANE(pa.mps[k]);
		pcpupool_mempool_destroy(pa.mps[k]);
	}
	HT_EXPECT(stats().nr_cur_alloc == 0, "live %llu", stats().nr_cur_alloc);
}

// fail_pcpupool (module/port/fault.c, modelled by host_set_fail_alloc()):
// an injected failure fails the call a user made, once per call, before
// any cache; for a mempool it is the allocator's attempt that fails, so
// the reserve serves the element, as failslab sends mempool_alloc() to its
// reserve.  Sleepable requests are spared (ignore-gfp-wait=Y).
HT_CASE(Mempool, InjectedFailureTakesReserve)
{
	Env e;
	pcpupool_mempool* mp = pcpupool_mempool_create("t_inject", 64, 8, 4, pcpu_gfp.kernel);
	HT_ASSERT(mp, "create");
	// Atomic callers: GFP_NOIO may sleep, so ignore-gfp-wait=Y spares it,
	// as failslab spares it.
	void* warm = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic); // the front end is warm
	HT_ASSERT(warm && mstats(mp).served_allocator == 1, "warm-up from the allocator");
	void* p[3];
	host_set_fail_alloc(3);
	for (auto& q : p)
		q = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic);
	pcpupool_mempool_stats st = mstats(mp);
	HT_EXPECT(p[0] && p[1] && p[2], "an injected failure was not served by the reserve");
	HT_EXPECT(st.served_allocator == 1 && st.served_magazine + st.served_depot == 3 &&
			  st.reserved == 1 && st.failures == 0,
		  "allocator %llu reserve %llu reserved %llu failures %llu", st.served_allocator,
		  st.served_magazine + st.served_depot, st.reserved, st.failures);
	void* after = pcpupool_mempool_alloc(mp, pcpu_gfp.atomic); // injection used up
	HT_EXPECT(after && mstats(mp).served_allocator == 2, "after the injected failures");
	for (auto& q : p)
		pcpupool_mempool_free(q, mp);
	pcpupool_mempool_free(after, mp);
	pcpupool_mempool_free(warm, mp);
	pcpupool_mempool_destroy(mp);

	// pcpupool_alloc(): the atomic call fails, the sleepable one is spared.
	host_set_fail_alloc(1);
	void* k = pcpupool_alloc(64, 8, pcpu_gfp.kernel);
	HT_EXPECT(k, "a sleepable allocation failed (ignore-gfp-wait)");
	void* a = pcpupool_alloc(64, 8, pcpu_gfp.atomic);
	HT_EXPECT(!a, "the injected failure did not fail the atomic allocation");
	void* b = pcpupool_alloc(64, 8, pcpu_gfp.atomic);
	HT_EXPECT(b, "one injection failed two calls");
	pcpupool_free(k);
	pcpupool_free(b);

	// A bulk call is one call: all or nothing.
	void* v[4] = {&v, &v, &v, &v};
	host_set_fail_alloc(1);
	HT_EXPECT(pcpupool_alloc_bulk(64, 8, pcpu_gfp.atomic, 4, v) < 0, "bulk not failed");
	HT_EXPECT(!v[0] && !v[1] && !v[2] && !v[3], "a failed bulk call left pointers");
	HT_EXPECT(pcpupool_alloc_bulk(64, 8, pcpu_gfp.atomic, 4, v) == 0, "bulk after");
	pcpupool_free_bulk(4, v);
	host_set_fail_alloc(0);
}
