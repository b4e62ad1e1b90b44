// SPDX-License-Identifier: GPL-2.0
//
// fuzz_pool.cpp - differential fuzz target for the whole core: the Pool
// (allocator.cpp, balance.cpp, stats.cpp) and percpu mempools on top of it
// (mempool.cpp), driven through the public C API (api.cpp) on the
// userspace port, single-threaded and deterministic.  Interrupts and
// migrations are injected at the preemptible->atomic transitions (host.h).
//
// Input: [#-comment lines] config(3 bytes) then ops, one opcode byte each
// plus operands (model::Input reads 0 past the end):
//
//   config   nr_cpu_ids 1..4, a possible mask (holes allowed), unit size
//            32, 36 or 64 KiB, flags (bit 0: tracepoints on)
//   alloc    size (mostly small, some pages, whole units, invalid ones),
//            align (0..4096 and invalid), gfp (ATOMIC, NOWAIT, KERNEL,
//            NOIO, NOFS, KERNEL|NOFAIL, KERNEL in a NOIO/NOFS scope), CPU
//   free     a live allocation (its pattern verified on every CPU)
//   bad      free of an interior, unaligned, other-CPU, foreign or freed
//            pointer: refused, counted as misuse, nothing changes
//   work     run the queued work items (balance, refills), or also the
//            delayed ones (time passes)
//   wm       write the watermarks through debugfs (valid or not)
//   fault    for the next operation only: fail allocations at a site
//            (skip k, then n), or a fatal signal
//   event    for the next operation only: migrate to a CPU, or take an
//            interrupt that allocates/frees, at its nth transition
//   mp-*     mempool create, alloc, free, resize, destroy; CPU offline and
//            online; debugfs reads
//
// The model: every live allocation (the fuzzer's, and the mempools'
// elements, magazines, counters) with a per-CPU pattern.  Oracles, from
// the chunks' own bitmaps before each request (white-box: brute force,
// independent of the hints and the slot lists):
//   atomic    succeeds iff some chunk has a fit in populated pages; the
//             fit is that chunk's first one, in the lowest slot that has
//             one (allocator.h's documented policy);
//   sleepable succeeds (no fault, no kill); a populated fit first, else
//             the first fit of the lowest slot, else a new chunk at 0;
//   any       aligned, zeroed on every possible CPU;
//   mempool   constrained callers never sleep and get NULL only when the
//             allocator has no fit and the depot and their magazine are
//             empty; a free below min_nr grows the reserve by one, at or
//             above it leaves it; the reserve never exceeds min_nr; create
//             and resize leave exactly min_nr.
// After every operation: g_pool.check(); the set of allocations in the
// chunks equals the model's owners exactly (nothing leaked, nothing owned
// twice) and nr_cur_alloc/live_bytes agree; a block is populated iff it
// is mapped on every possible CPU; magazines within bounds and the
// mempool stats agree; no port violation (sleeping in atomic context,
// FS/IO allocation under the allocator mutex, a page freed before its TLB
// flush, ...).  At the end everything is freed, the balance work trims,
// the module unloads, and no page, range or lock is left.
#define private public
#include "allocator.h"
#include "mempool.h"
#undef private
#include "host_core.h"
#include "memalloc.h"
#include "model.h"
#include "test_env.h"

using namespace pcp;

namespace {

constexpr u32 kMaxLive = 160;
constexpr u32 kMaxPools = 3;
constexpr u32 kMaxOut = 64;
constexpr u32 kMaxOps = 400;
constexpr u32 kMaxSpans = 2048;

struct Live {
	void* p;
	u32 size;
	u8 tag;
	u32 align;
};

struct Pool_ {
	pcpupool_mempool* mp;
	u32 size, align, min_nr;
	Live out[kMaxOut];
	u32 nr_out;
};

struct Span {
	uptr addr;
	u32 bits;
};

struct State {
	int nr_cpus;
	u32 unit;
	bool trace;
	bool caching; // the per-CPU front end on (PCPUPOOL_FUZZ_CACHING=1)
	Live live[kMaxLive];
	u32 nr_live;
	Pool_ pools[kMaxPools];
	u8 next_tag;
	// armed for the next operation only
	bool faults;
	bool killed;
	bool event;
	u32 op;
	// the interrupt handler's plan
	u8 irq_action;
	u32 irq_arg;
	Span have[kMaxSpans], want[kMaxSpans];
	u32 nr_have, nr_want;
	char err[1024];
};

State S;
// PCPUPOOL_FUZZ_AVOID=create,reserve,balance steers around the bugs found
// so far (see README.md), so that a long run can look for others.
bool g_avoid_create, g_avoid_reserve, g_avoid_balance;

[[noreturn]] void fail(const char* what) { host_fail("pool: op %u: %s", S.op, what); }

#define FAILF(...)                                                \
	do {                                                      \
		host_snprintf(S.err, sizeof(S.err), __VA_ARGS__); \
		fail(S.err);                                      \
	} while (0)

u8 pat(u8 tag, int cpu, u32 i) { return u8(tag * 7 + cpu * 31 + i * 3 + 1); }

bool possible(int cpu) { return pcpu_cpu_possible(cpu); }

// Negative control of the cache oracles (PCPUPOOL_FUZZ_BREAK=leak-cached):
// the harness loses one object from a CPU's cache, as a front-end bug
// would; verify() must report the leak.
bool g_break_leak_cached;

void break_leak_cached()
{
	static bool done;
	for (int cpu = 0; !done && cpu < S.nr_cpus; cpu++) {
		if (!possible(cpu))
			continue;
		CpuCache* cc = g_pool.cache(cpu);
		for (int c = 0; !done && c < int(kNrClasses); c++) {
			if (cc->cls[c].n()) {
				cc->cls[c].set_count(cc->cls[c].n() - 1);
				done = true;
			}
		}
	}
}

void write_pattern(void* p, u32 size, u8 tag)
{
	for (int cpu = 0; cpu < S.nr_cpus; cpu++)
		if (possible(cpu))
			for (u32 i = 0; i < size; i++)
				env::cpu_ptr(p, cpu)[i] = pat(tag, cpu, i);
}

void check_pattern(void* p, u32 size, u8 tag, const char* what)
{
	for (int cpu = 0; cpu < S.nr_cpus; cpu++)
		if (possible(cpu))
			for (u32 i = 0; i < size; i++)
				if (env::cpu_ptr(p, cpu)[i] != pat(tag, cpu, i))
					FAILF("%s %p (size %u): CPU %d byte %u is %#x, written %#x",
					      what, p, size, cpu, i, env::cpu_ptr(p, cpu)[i],
					      pat(tag, cpu, i));
}

void check_zeroed(void* p, u32 size, const char* what)
{
	for (int cpu = 0; cpu < S.nr_cpus; cpu++)
		if (possible(cpu))
			for (u32 i = 0; i < size; i++)
				if (env::cpu_ptr(p, cpu)[i])
					FAILF("%s %p (size %u): CPU %d byte %u not zeroed (%#x)",
					      what, p, size, cpu, i, env::cpu_ptr(p, cpu)[i]);
}

void add_live(void* p, u32 size, u32 align)
{
	if (S.nr_live == kMaxLive) {
		pcpupool_free(p);
		return;
	}
	S.live[S.nr_live++] = {p, size, ++S.next_tag, align};
	write_pattern(p, size, S.next_tag);
}

// ---- the oracle: brute force over a chunk's own bitmaps -------------------

u32 g_run[model::kMaxBits + 1];

int brute_fit(const AreaMap& m, u32 bits, u32 align, bool pop_only)
{
	const u32 n = m.nr_bits_;
	if (!bits || bits > n)
		return -1;
	g_run[n] = 0;
	for (u32 i = n; i-- > 0;) {
		bool ok = !bitmap::test(m.alloc_map_, i) &&
			  (!pop_only || bitmap::test(m.populated_, i / m.block_bits_));
		g_run[i] = ok ? g_run[i + 1] + 1 : 0;
	}
	for (u64 s = 0; s + bits <= n; s += align)
		if (g_run[s] >= bits)
			return int(s);
	return -1;
}

struct Fit {
	Chunk* chunk;
	int slot;
	int pop_fit, any_fit;
};
Fit g_fits[256];
u32 g_nr_fits;

// Per chunk, before a request: its slot and first fits.
void snapshot_fits(u32 bits, u32 align)
{
	g_nr_fits = 0;
	for (u32 i = 0; i < g_pool.nr_chunks() && g_nr_fits < 256; i++) {
		Chunk* c = g_pool.index_.load(mo::relaxed)->c[i];
		g_fits[g_nr_fits++] = {c, c->slot, brute_fit(c->map, bits, align, true),
				       brute_fit(c->map, bits, align, false)};
	}
}

const Fit* best(bool pop)
{
	const Fit* b = nullptr;
	for (u32 i = 0; i < g_nr_fits; i++) {
		const Fit& f = g_fits[i];
		if ((pop ? f.pop_fit : f.any_fit) >= 0 && (!b || f.slot < b->slot))
			b = &f;
	}
	return b;
}

const Fit* fit_of(Chunk* c)
{
	for (u32 i = 0; i < g_nr_fits; i++)
		if (g_fits[i].chunk == c)
			return &g_fits[i];
	return nullptr;
}

// ---- the global invariants ----------------------------------------------

void sort_spans(Span* a, u32 n)
{
	// Heap sort: no libstdc++ here.
	auto sift = [&](u32 i, u32 len) {
		for (;;) {
			u32 l = 2 * i + 1, big = i;
			if (l < len && a[l].addr > a[big].addr)
				big = l;
			if (l + 1 < len && a[l + 1].addr > a[big].addr)
				big = l + 1;
			if (big == i)
				return;
			Span t = a[i];
			a[i] = a[big];
			a[big] = t;
			i = big;
		}
	};
	for (u32 i = n / 2; i-- > 0;)
		sift(i, n);
	for (u32 end = n; end-- > 1;) {
		Span t = a[0];
		a[0] = a[end];
		a[end] = t;
		sift(0, end);
	}
}

// The bytes an allocation of @size/@align occupies in the area map: its
// size class's with the front end on (a class object), else its own.
u32 area_bytes(u32 size, u32 align)
{
	int cls = S.caching ? Pool::class_of(size, align) : -1;
	return cls >= 0 ? class_bytes(cls) : size;
}

// Is a request of @size/@align served by the front end (class object)?
bool class_served(u32 size, u32 align) { return S.caching && Pool::class_of(size, align) >= 0; }

void want(const void* p, u32 bytes)
{
	if (S.nr_want == kMaxSpans)
		fail("model overflow");
	S.want[S.nr_want++] = {reinterpret_cast<uptr>(p), div_round_up<u32>(bytes, kMinAllocBytes)};
}

void verify()
{
	if (const char* err = pcpupool_test_check())
		FAILF("g_pool.check(): %s", err);
	host_counters hc;
	host_get_counters(&hc);
	if (hc.violations)
		FAILF("port violation: %s", host_last_violation());

	// What the chunks hold.
	S.nr_have = 0;
	u64 bytes = 0;
	for (u32 i = 0; i < g_pool.nr_chunks(); i++) {
		Chunk* c = g_pool.index_.load(mo::relaxed)->c[i];
		const AreaMap& m = c->map;
		u32 pos = 0;
		while ((pos = bitmap::find_next_set(m.alloc_map_, m.nr_bits_, pos)) < m.nr_bits_) {
			u32 bits = m.alloc_size(pos);
			if (!bits)
				FAILF("chunk %u: granule %u allocated but no allocation starts "
				      "there",
				      c->id, pos);
			if (S.nr_have == kMaxSpans)
				fail("too many allocations");
			S.have[S.nr_have++] = {c->base() + pos * kMinAllocBytes, bits};
			bytes += bits * kMinAllocBytes;
			pos += bits;
		}
		// Populated <=> mapped in every possible unit; impossible units never.
		static u8 mapped[HOST_MAX_CPUS * 64];
		const u32 per_unit = S.unit / g_pool.page_bytes_;
		host_vm_mapped(reinterpret_cast<void*>(c->base()), S.nr_cpus * per_unit, mapped);
		for (u32 b = 0; b < m.nr_blocks_; b++) {
			bool pop = m.block_populated(b);
			for (int cpu = 0; cpu < S.nr_cpus; cpu++) {
				if (bool(mapped[cpu * per_unit + b]) != (pop && possible(cpu)))
					FAILF("chunk %u block %u CPU %d: populated %d, mapped %d",
					      c->id, b, cpu, pop, mapped[cpu * per_unit + b]);
			}
		}
	}
	// Who should own them.
	S.nr_want = 0;
	for (u32 i = 0; i < S.nr_live; i++)
		want(S.live[i].p, area_bytes(S.live[i].size, S.live[i].align));
	// Objects in the CPUs' front-end caches are allocated in the map.
	u64 cached = 0, cached_bytes = 0;
	for (int cpu = 0; S.caching && cpu < S.nr_cpus; cpu++) {
		if (!possible(cpu))
			continue;
		const CpuCache* cc = g_pool.cache(cpu);
		for (int c = 0; c < int(kNrClasses); c++) {
			if (cc->cls[c].n() > class_cap(c))
				FAILF("CPU %d class %d: %u cached, cap %u", cpu, c,
				      cc->cls[c].n(), class_cap(c));
			for (u32 o = 0; o < cc->cls[c].n(); o++)
				want(cc->cls[c].objs[o], class_bytes(c));
			cached += cc->cls[c].n();
			cached_bytes += u64(cc->cls[c].n()) * class_bytes(c);
		}
	}
	if (cached != g_pool.cached_objects())
		FAILF("%llu objects in the caches, cached_objects() %llu",
		      (unsigned long long)cached, (unsigned long long)g_pool.cached_objects());
	for (u32 k = 0; k < kMaxPools; k++) {
		Pool_& P = S.pools[k];
		if (!P.mp)
			continue;
		Mempool* mp = reinterpret_cast<Mempool*>(P.mp);
		want(mp->mags_, area_bytes(sizeof(Mempool::Mag), 8));
		want(mp->stats_, area_bytes(sizeof(Mempool::CpuStats), 8));
		const u32 elem = S.caching && mp->cls_ >= 0 ? class_bytes(mp->cls_) : P.size;
		if (mp->depot_count_ > mp->depot_cap_)
			FAILF("mempool %u: depot %u > cap %u", k, mp->depot_count_, mp->depot_cap_);
		for (u32 d = 0; d < mp->depot_count_; d++)
			want(mp->depot_[d], elem);
		u32 in_mags = 0;
		for (int cpu = 0; cpu < S.nr_cpus; cpu++) {
			if (!possible(cpu))
				continue;
			Mempool::Mag* g = mp->mag(cpu);
			if (g->count() > Mempool::kMagSize)
				FAILF("mempool %u: CPU %d's magazine holds %u elements (max %u): "
				      "elems[] overflowed",
				      k, cpu, g->count(), Mempool::kMagSize);
			for (u32 e = 0; e < g->count(); e++)
				want(g->elems[e].load(mo::relaxed), elem);
			in_mags += g->count();
		}
		for (u32 o = 0; o < P.nr_out; o++)
			want(P.out[o].p, elem);
		pcpupool_mempool_stats st = env::mstats(P.mp);
		if (st.reserved > P.min_nr)
			FAILF("mempool %u: reserve %llu above min_nr %u", k, st.reserved, P.min_nr);
		if (st.outstanding != P.nr_out || st.in_magazines != in_mags ||
		    st.reserved != in_mags + mp->depot_count_)
			FAILF("mempool %u stats: outstanding %llu (model %u) in_magazines %llu "
			      "(%u) reserved %llu (%u)",
			      k, st.outstanding, P.nr_out, st.in_magazines, in_mags, st.reserved,
			      in_mags + mp->depot_count_);
	}
	sort_spans(S.have, S.nr_have);
	sort_spans(S.want, S.nr_want);
	for (u32 i = 0; i < S.nr_have || i < S.nr_want; i++) {
		if (i >= S.nr_have)
			FAILF("owned allocation %#lx (%u granules) is not allocated in any chunk",
			      S.want[i].addr, S.want[i].bits);
		if (i >= S.nr_want)
			FAILF("allocation %#lx (%u granules) in a chunk has no owner (leak)",
			      S.have[i].addr, S.have[i].bits);
		if (S.have[i].addr != S.want[i].addr || S.have[i].bits != S.want[i].bits)
			FAILF("chunks hold %#lx (%u granules) where the owners have %#lx (%u "
			      "granules)",
			      S.have[i].addr, S.have[i].bits, S.want[i].addr, S.want[i].bits);
	}
	// Users hold what the chunks hold, but for the cached objects.
	pcpupool_stats st = env::stats();
	if (st.nr_cur_alloc != S.nr_have - cached || st.live_bytes != bytes - cached_bytes)
		FAILF("nr_cur_alloc %llu live_bytes %llu, chunks hold %u allocations of %lu bytes, "
		      "%llu of %llu bytes cached",
		      st.nr_cur_alloc, st.live_bytes, S.nr_have, bytes, (unsigned long long)cached,
		      (unsigned long long)cached_bytes);
	if (S.trace) {
		// Every event fired once, where the counters say.
		host_trace t;
		host_get_trace(&t);
		if (t.allocs != st.nr_alloc || t.frees != st.nr_dealloc ||
		    t.alloc_fails != st.atomic_alloc_failed + st.nr_failed + st.nr_killed ||
		    t.chunk_creates != st.nr_chunk_create ||
		    t.chunk_destroys != st.nr_chunk_destroy || t.populates != st.nr_populate ||
		    t.depopulates != st.nr_depopulate)
			FAILF("trace events alloc %lu free %lu fail %lu chunk +%lu -%lu pages +%lu "
			      "-%lu; counters %llu %llu %llu %llu %llu %llu %llu",
			      t.allocs, t.frees, t.alloc_fails, t.chunk_creates, t.chunk_destroys,
			      t.populates, t.depopulates, st.nr_alloc, st.nr_dealloc,
			      st.atomic_alloc_failed + st.nr_failed + st.nr_killed,
			      st.nr_chunk_create, st.nr_chunk_destroy, st.nr_populate,
			      st.nr_depopulate);
	}
}

// ---- operations -----------------------------------------------------------

enum GfpKind { kAtomic, kNowait, kKernel, kNoio, kNofs, kNofail, kScopeNoio, kScopeNofs, kNr };

unsigned gfp_of(int kind)
{
	switch (kind) {
	case kAtomic:
		return pcpu_gfp.atomic;
	case kNowait:
		return pcpu_gfp.nowait | pcpu_gfp.nowarn;
	case kNoio:
		return pcpu_gfp.noio;
	case kNofs:
		return pcpu_gfp.nofs;
	case kNofail:
		return pcpu_gfp.kernel | pcpu_gfp.nofail;
	default:
		return pcpu_gfp.kernel;
	}
}

bool sleepable(int kind) { return kind != kAtomic && kind != kNowait; }
bool constrained(int kind) { return kind != kKernel && kind != kNofail; }

// Calls @fn inside the memalloc scope of @kind.
template <typename Fn>
auto in_scope(int kind, Fn fn)
{
	if (kind == kScopeNoio) {
		NoioScope s;
		return fn();
	}
	if (kind == kScopeNofs) {
		NofsScope s;
		return fn();
	}
	return fn();
}

u32 pick_size(model::Input& in)
{
	u8 k = in.u8_();
	u32 v = in.u16_();
	switch (k % 16) {
	case 0:
		return S.unit - v % 64; // about a whole unit
	case 1:
		return 4096 * (1 + v % 3) + v % 8; // a few pages
	case 2:
		return v % 2 ? 0 : S.unit + 1 + v % 100; // invalid
	case 3:
	case 4:
		return 1 + v % 2048;
	default:
		return 1 + v % 128;
	}
}

u32 pick_align(model::Input& in)
{
	u8 a = in.u8_();
	if (a % 32 == 31)
		return a % 2 ? 8192 : 24; // invalid
	return a % 14 == 13 ? 0 : 1u << (a % 13);
}

Chunk* chunk_of(void* p)
{
	uptr a = reinterpret_cast<uptr>(p);
	for (u32 i = 0; i < g_pool.nr_chunks(); i++)
		if (g_pool.index_.load(mo::relaxed)->c[i]->contains(a))
			return g_pool.index_.load(mo::relaxed)->c[i];
	return nullptr;
}

void op_alloc(model::Input& in)
{
	u32 size = pick_size(in);
	u32 align = pick_align(in);
	int kind = in.u8_() % kNr;
	bool invalid = !size || size > S.unit || align > 4096 || (align & (align - 1));
	u32 bits = div_round_up<u32>(size, kMinAllocBytes);
	u32 abits = max<u32>(align, kMinAllocBytes) / kMinAllocBytes;
	bool oracle = !S.faults && !S.killed && !S.event && !invalid;
	if (oracle)
		snapshot_fits(bits, abits);
	pcpupool_stats before = env::stats();
	unsigned long sleeps = host_sleeps();
	void* p = in_scope(kind, [&] { return pcpupool_alloc(size, align, gfp_of(kind)); });
	pcpupool_stats after = env::stats();
	if (!sleepable(kind) && host_sleeps() != sleeps)
		fail("an atomic allocation slept");
	if (invalid) {
		if (p || after.nr_misuse != before.nr_misuse + 1)
			FAILF("invalid request size %u align %u: %p, misuse +%llu", size, align, p,
			      after.nr_misuse - before.nr_misuse);
		return;
	}
	// A killed task fails where it would wait for the allocator mutex; a
	// front-end hit (or a carve from populated pages) takes no mutex and
	// serves it, as it would anyone.
	if (S.killed && kind != kNofail && sleepable(kind) && !(p && class_served(size, align))) {
		if (p || after.nr_killed != before.nr_killed + 1)
			FAILF("killed task: %p, nr_killed +%llu", p,
			      after.nr_killed - before.nr_killed);
		return;
	}
	if (p) {
		if (reinterpret_cast<uptr>(p) % (align ? align : 1))
			FAILF("%p not aligned to %u", p, align);
		check_zeroed(p, size, "new allocation");
	}
	// The first-fit oracles are the locked layer's: a class object comes
	// from a CPU's cache (any populated object of its class, carved in
	// batches), so only "a sleepable request gets memory" holds for it.
	if (oracle && class_served(size, align)) {
		if (sleepable(kind) && !p)
			FAILF("sleepable size %u align %u (gfp kind %d) failed without a fault",
			      size, align, kind);
	} else if (oracle) {
		const Fit* pop = best(true);
		const Fit* any = best(false);
		Chunk* c = p ? chunk_of(p) : nullptr;
		u32 off = c ? u32(reinterpret_cast<uptr>(p) - c->base()) / kMinAllocBytes : 0;
		const Fit* got = c ? fit_of(c) : nullptr;
		if (!sleepable(kind)) {
			if (!p != !pop)
				FAILF("atomic size %u align %u: %p, but a populated fit %s", size,
				      align, p, pop ? "exists" : "does not exist");
		} else if (!p) {
			FAILF("sleepable size %u align %u (gfp kind %d) failed without a fault",
			      size, align, kind);
		}
		if (p && (pop || any)) {
			const Fit* exp = pop ? pop : any;
			if (!got)
				FAILF("size %u align %u: a new chunk, but chunk %u had a fit", size,
				      align, exp->chunk->id);
			int want_off = pop ? got->pop_fit : got->any_fit;
			if (got->slot != exp->slot || int(off) != want_off)
				FAILF("size %u align %u: chunk %u slot %d offset %u; expected slot "
				      "%d, that chunk's first %s fit %d",
				      size, align, c->id, got->slot, off, exp->slot,
				      pop ? "populated" : "any", want_off);
		} else if (p && (got || off != 0)) {
			FAILF("size %u align %u: no chunk had a fit, but got offset %u of an old "
			      "chunk",
			      size, align, off);
		}
	}
	if (p)
		add_live(p, size, align);
}

void op_free(model::Input& in)
{
	if (!S.nr_live)
		return;
	u32 i = in.below(S.nr_live);
	Live l = S.live[i];
	S.live[i] = S.live[--S.nr_live];
	check_pattern(l.p, l.size, l.tag, "live allocation");
	u64 before = env::stats().nr_dealloc;
	pcpupool_free(l.p);
	// (An injected interrupt may free more.)
	if (!S.event && env::stats().nr_dealloc != before + 1)
		FAILF("free of %p counted %llu times", l.p, env::stats().nr_dealloc - before);
}

void op_bad_free(model::Input& in)
{
	void* p;
	int local = 0;
	u8 how = in.u8_() % 5;
	if (how == 3) {
		p = &local;
	} else if (how == 4) {
		p = reinterpret_cast<void*>(uptr(0x1000) + in.u16_());
	} else {
		if (!S.nr_live)
			return;
		Live& l = S.live[in.below(S.nr_live)];
		if (how == 0 && l.size > 4)
			p = static_cast<u8*>(l.p) + 4 * (1 + in.below((l.size - 1) / 4));
		else if (how == 1)
			p = static_cast<u8*>(l.p) + 1 + in.below(3);
		else if (S.nr_cpus > 1)
			p = env::cpu_ptr(l.p, 1 + in.below(S.nr_cpus - 1));
		else
			return;
	}
	// Not the start of anything owned (a pointer inside another CPU's unit
	// may be the start of nothing in unit 0's terms: always refused).
	uptr a = reinterpret_cast<uptr>(p);
	for (u32 i = 0; i < S.nr_want; i++)
		if (S.want[i].addr == a)
			return;
	pcpupool_stats before = env::stats();
	unsigned long w = env::counters().warnings;
	pcpupool_free(p);
	pcpupool_stats after = env::stats();
	if (after.nr_misuse != before.nr_misuse + 1 ||
	    (!S.event && after.nr_cur_alloc != before.nr_cur_alloc))
		FAILF("bad free %p accepted (misuse +%llu, live %llu -> %llu)", p,
		      after.nr_misuse - before.nr_misuse, before.nr_cur_alloc, after.nr_cur_alloc);
	if (env::counters().warnings != w + 1)
		fail("bad free did not WARN");
}

void op_watermarks(model::Input& in)
{
	static const char* const files[] = {"low_watermark", "high_watermark", "target_cap"};
	u32 f = in.u8_() % 3;
	// Small values, and 4097 (always refused).  A cap in the thousands is
	// valid but makes the balance work populate thousands of pages.
	u32 v = in.u8_() % 8 == 0 ? 4097 : in.u8_() % 64;
	Watermarks wm = g_pool.watermarks();
	bool ok = f == 0   ? v <= wm.high
		  : f == 1 ? v >= wm.low && v <= wm.cap
			   : v >= wm.high && v <= 4096;
	int ret = host_debugfs_write(files[f], v);
	if (ret != (ok ? 0 : -22))
		FAILF("write %u to %s (low %u high %u cap %u): %d", v, files[f], wm.low, wm.high,
		      wm.cap, ret);
	Watermarks now = g_pool.watermarks();
	if (!ok && (now.low != wm.low || now.high != wm.high || now.cap != wm.cap))
		fail("a refused watermark write changed something");
}

void op_arm(model::Input& in)
{
	u8 k = in.u8_();
	if (k % 5 == 0) {
		S.killed = true;
		host_set_killed(2);
		return;
	}
	static const int sites[] = {PCPU_SITE_META,    PCPU_SITE_VM_RANGE, PCPU_SITE_PAGES_ARRAY,
				    PCPU_SITE_BACKING, PCPU_SITE_ATOMIC,   HOST_SITE_KMALLOC,
				    HOST_SITE_PAGE,    HOST_SITE_MAP,      HOST_SITE_PORT_OBJ};
	int site = sites[in.u8_() % (sizeof(sites) / sizeof(sites[0]))];
	int skip = in.u8_() % 8;
	int nr = site == PCPU_SITE_ATOMIC && k % 2 ? 1 << 20 : 1 + in.u8_() % 4;
	host_fail_after(site, skip, nr);
	S.faults = true;
}

// ---- mempools ---------------------------------------------------------------

Mempool* mp_of(Pool_& P) { return reinterpret_cast<Mempool*>(P.mp); }

void op_mp_create(model::Input& in)
{
	u32 k = in.u8_() % kMaxPools;
	Pool_& P = S.pools[k];
	u32 raw = in.u16_();
	u32 size = 1 + raw % (in.u8_() % 8 ? 128 : 4096);
	u32 align = 1u << (in.u8_() % 8);
	u32 min_nr = in.u8_() % 49;
	if (P.mp)
		return;
	char name[8] = {'m', 'p', char('0' + k), 0};
	pcpupool_mempool* mp = pcpupool_mempool_create(name, size, align, min_nr, pcpu_gfp.kernel);
	if (!mp) {
		if (!S.faults && !S.killed)
			FAILF("mempool_create(%u, %u, %u) failed without a fault", size, align,
			      min_nr);
		return;
	}
	P = {};
	P.mp = mp;
	P.size = size;
	P.align = align;
	P.min_nr = min_nr;
	if (env::mstats(mp).reserved != min_nr)
		FAILF("new mempool reserve %llu, min_nr %u", env::mstats(mp).reserved, min_nr);
}

void mp_alloc(Pool_& P, int kind, bool oracle)
{
	Mempool* mp = mp_of(P);
	u32 depot = mp->depot_count_, mag = 0;
	bool alloc_fit = false;
	int cpu = host_cpu();
	// With the front end on, a class element comes from the CPU's cache
	// first: the first-fit oracle is the locked layer's.
	if (oracle)
		mag = mp->mag(cpu)->count();
	if (oracle && !(S.caching && mp->cls_ >= 0)) {
		// Elements are at least kTagBytes-aligned (one tag byte per 8 B,
		// include/pcpupool/pcpupool.h): a 4-aligned fit is no fit.
		snapshot_fits(div_round_up<u32>(P.size, kMinAllocBytes),
			      max<u32>(P.align, kTagBytes) / kMinAllocBytes);
		alloc_fit = best(true) != nullptr;
	}
	pcpupool_mempool_stats before = env::mstats(P.mp);
	unsigned long sleeps = host_sleeps();
	void* p = in_scope(kind, [&] { return pcpupool_mempool_alloc(P.mp, gfp_of(kind)); });
	pcpupool_mempool_stats after = env::mstats(P.mp);
	bool never_wait = constrained(kind);
	if (never_wait && host_sleeps() != sleeps)
		FAILF("mempool: a constrained caller (gfp kind %d) slept", kind);
	if (oracle) {
		if (alloc_fit && (!p || after.served_allocator != before.served_allocator + 1))
			FAILF("mempool: the allocator had a fit but was not used (%p)", p);
		if (!p && never_wait && (depot || mag))
			FAILF("mempool: NULL with %u in the depot and %u in CPU %d's magazine",
			      depot, mag, cpu);
		if (!p && !never_wait)
			fail("mempool: an unconstrained caller got NULL without a fault");
	}
	if (!p)
		return;
	check_zeroed(p, P.size, "mempool element");
	if (reinterpret_cast<uptr>(p) % (P.align ? P.align : 1))
		FAILF("mempool element %p not aligned to %u", p, P.align);
	if (P.nr_out == kMaxOut) {
		pcpupool_mempool_free(p, P.mp);
		return;
	}
	P.out[P.nr_out++] = {p, P.size, ++S.next_tag};
	write_pattern(p, P.size, S.next_tag);
}

void mp_free(Pool_& P, u32 i, bool oracle)
{
	Live l = P.out[i];
	P.out[i] = P.out[--P.nr_out];
	check_pattern(l.p, P.size, l.tag, "mempool element");
	u64 before = env::mstats(P.mp).reserved;
	pcpupool_mempool_free(l.p, P.mp);
	u64 after = env::mstats(P.mp).reserved;
	if (!oracle)
		return;
	// "A free puts the element into the reserve while the reserve is below
	// min_nr", and never above it.
	if (before < P.min_nr ? after != before + 1 : after != before)
		FAILF("mempool free: reserve %llu -> %llu with min_nr %u",
		      (unsigned long long)before, (unsigned long long)after, P.min_nr);
}

void op_mp(model::Input& in, u8 what)
{
	u32 k = in.u8_() % kMaxPools;
	Pool_& P = S.pools[k];
	if (!P.mp)
		return;
	bool oracle = !S.faults && !S.killed && !S.event;
	switch (what) {
	case 0:
		mp_alloc(P, in.u8_() % kNr, oracle);
		break;
	case 1:
		if (P.nr_out)
			mp_free(P, in.below(P.nr_out), oracle);
		break;
	case 2: {
		u32 n = in.u8_() % 49;
		int ret = pcpupool_mempool_resize(P.mp, n);
		if (oracle && (ret || env::mstats(P.mp).reserved != n))
			FAILF("resize(%u): %d, reserved %llu", n, ret, env::mstats(P.mp).reserved);
		if (!ret)
			P.min_nr = n;
		else
			P.min_nr = env::mstats(P.mp).min_nr;
		break;
	}
	case 3: {
		// Elements still out stay allocated: they become the fuzzer's.
		bool keep = in.u8_() % 2;
		unsigned long w = env::counters().warnings;
		while (!keep && P.nr_out)
			mp_free(P, P.nr_out - 1, false);
		u32 out = P.nr_out;
		for (u32 o = 0; o < P.nr_out; o++) {
			if (S.nr_live < kMaxLive) {
				// At the pool's own alignment: its elements' class.
				S.live[S.nr_live] = P.out[o];
				S.live[S.nr_live++].align = max<u32>(P.align, kTagBytes);
			} else {
				check_pattern(P.out[o].p, P.size, P.out[o].tag, "mempool element");
				pcpupool_free(P.out[o].p);
			}
		}
		// The caller serializes destroy with every other use: an
		// interrupt of this operation must not see the pool.
		pcpupool_mempool* mp = P.mp;
		P = {};
		pcpupool_mempool_destroy(mp);
		if ((env::counters().warnings != w) != (out != 0))
			FAILF("destroy with %u elements out: %lu warnings", out,
			      env::counters().warnings - w);
		break;
	}
	}
}

void op_hotplug(model::Input& in)
{
	int cpu = in.u8_() % S.nr_cpus;
	if (!possible(cpu))
		return;
	if (!pcpu_cpu_online(cpu)) {
		host_cpu_online(cpu);
		return;
	}
	int online = 0;
	for (int c = 0; c < S.nr_cpus; c++)
		online += pcpu_cpu_online(c);
	if (online < 2)
		return;
	u64 reserved[kMaxPools] = {};
	for (u32 k = 0; k < kMaxPools; k++)
		if (S.pools[k].mp)
			reserved[k] = env::mstats(S.pools[k].mp).reserved;
	if (host_cpu_offline(cpu))
		fail("CPU offline callback failed");
	for (u32 k = 0; k < kMaxPools; k++) {
		Pool_& P = S.pools[k];
		if (!P.mp)
			continue;
		Mempool::Mag* m = mp_of(P)->mag(cpu);
		u64 now = env::mstats(P.mp).reserved;
		if (m->count())
			FAILF("mempool %u: dead CPU %d's magazine not drained (%u)", k, cpu,
			      m->count());
		if (!S.event && (now > reserved[k] || now < min<u64>(reserved[k], P.min_nr)))
			FAILF("mempool %u: CPU %d offline: reserve %llu -> %llu (min_nr %u)", k,
			      cpu, (unsigned long long)reserved[k], (unsigned long long)now,
			      P.min_nr);
	}
}

// The interrupt handler: runs in hardirq context on the current CPU at the
// armed transition of the next operation.
void irq_handler(void*)
{
	switch (S.irq_action % 4) {
	case 0: {
		u32 size = 1 + S.irq_arg % 200;
		void* p = pcpupool_alloc(size, 8, pcpu_gfp.atomic);
		if (p) {
			check_zeroed(p, size, "allocation in an interrupt");
			add_live(p, size, 8);
		}
		break;
	}
	case 1:
		if (S.nr_live) {
			u32 i = S.irq_arg % S.nr_live;
			Live l = S.live[i];
			S.live[i] = S.live[--S.nr_live];
			check_pattern(l.p, l.size, l.tag, "live allocation");
			pcpupool_free(l.p);
		}
		break;
	case 2:
	case 3: {
		Pool_& P = S.pools[S.irq_arg % kMaxPools];
		if (!P.mp)
			break;
		if (S.irq_action % 4 == 2) // a burst of frees
			for (u32 n = 1 + (S.irq_arg >> 12) % 12; n-- && P.nr_out;)
				mp_free(P, (S.irq_arg >> 4) % P.nr_out, false);
		else if (S.irq_action % 4 == 3)
			mp_alloc(P, kAtomic, false);
		break;
	}
	}
}

void op_event(model::Input& in)
{
	u8 k = in.u8_();
	int nth = 1 + in.u8_() % 5;
	if (k % 2) {
		host_migrate_at(nth, in.u8_() % S.nr_cpus);
	} else {
		S.irq_action = in.u8_();
		S.irq_arg = in.u16_();
		host_irq_at(nth, irq_handler, nullptr);
	}
	S.event = true;
}

void op_debugfs(model::Input& in)
{
	static char buf[16384];
	u8 k = in.u8_() % 4;
	if (k == 0)
		host_debugfs_read("stats", buf, sizeof(buf));
	else if (k == 1)
		host_debugfs_read("chunks", buf, sizeof(buf));
	else if (k == 2)
		host_debugfs_read("mempool/mp0/stats", buf, sizeof(buf));
	else if (host_debugfs_write("balance", 1))
		fail("balance trigger refused");
}

int first_online()
{
	for (int c = 0; c < S.nr_cpus; c++)
		if (pcpu_cpu_online(c))
			return c;
	return 0;
}

void teardown()
{
	for (u32 k = 0; k < kMaxPools; k++) {
		Pool_& P = S.pools[k];
		if (!P.mp)
			continue;
		while (P.nr_out)
			mp_free(P, P.nr_out - 1, false);
		pcpupool_mempool_destroy(P.mp);
		P = {};
	}
	while (S.nr_live) {
		Live l = S.live[--S.nr_live];
		check_pattern(l.p, l.size, l.tag, "live allocation");
		pcpupool_free(l.p);
	}
	verify();
	// Let the demand decay to nothing: the delayed runs re-queue while it
	// lasts.
	for (int i = 0; i < 8 && host_work_pending(); i++)
		host_work_run(1);
	pcpupool_test_flush_balance();
	verify();
	pcpupool_stats st = env::stats();
	if (st.nr_cur_alloc)
		FAILF("after freeing everything: %llu live", st.nr_cur_alloc);
	if (st.empty_pop_pages > st.target_high || st.empty_pop_pages < st.target_low)
		FAILF("after balancing: %llu empty populated pages, target %llu..%llu",
		      st.empty_pop_pages, st.target_low, st.target_high);
	// A fixed point: balancing again changes nothing.
	if (!g_avoid_balance) { // bug 3: balance_free_chunks() vs the target
		pcpupool_test_flush_balance();
		pcpupool_stats again = env::stats();
		if (again.nr_chunk_create != st.nr_chunk_create ||
		    again.nr_chunk_destroy != st.nr_chunk_destroy ||
		    again.nr_populate != st.nr_populate || again.nr_depopulate != st.nr_depopulate)
			FAILF("balance is not stable: chunks created %llu -> %llu, destroyed %llu "
			      "-> %llu, pages populated %llu -> %llu, depopulated %llu -> %llu "
			      "(target %llu..%llu, unit %u)",
			      st.nr_chunk_create, again.nr_chunk_create, st.nr_chunk_destroy,
			      again.nr_chunk_destroy, st.nr_populate, again.nr_populate,
			      st.nr_depopulate, again.nr_depopulate, st.target_low, st.target_high,
			      S.unit);
	}
	host_core_exit();
	host_counters c;
	host_get_counters(&c);
	if (c.pages_live || c.ranges_live || c.port_objs_live || c.violations)
		FAILF("after unload: %ld pages, %ld ranges, %ld locks/work items, violation: %s",
		      c.pages_live, c.ranges_live, c.port_objs_live,
		      c.violations ? host_last_violation() : "none");
}

} // namespace

extern "C" int fuzz_pool_one(const unsigned char* data, __SIZE_TYPE__ size)
{
	static const u32 units[] = {32 * 1024, 36 * 1024, 64 * 1024};
	model::Input in(data, size > (1u << 20) ? (1u << 20) : u32(size));
	const char* avoid = host_env_str("PCPUPOOL_FUZZ_AVOID");
	g_avoid_create = host_strstr(avoid, "create");
	g_avoid_reserve = host_strstr(avoid, "reserve");
	g_avoid_balance = host_strstr(avoid, "balance");
	g_break_leak_cached = host_strstr(host_env_str("PCPUPOOL_FUZZ_BREAK"), "leak-cached");
	host_config cfg = {};
	cfg.nr_cpus = 1 + in.u8_() % 4;
	cfg.possible = in.u8_();
	host_reset(&cfg);
	S.nr_cpus = cfg.nr_cpus;
	S.unit = units[in.u8_() % 3];
	S.trace = in.u8_() & 1;
	S.caching = host_strstr(host_env_str("PCPUPOOL_FUZZ_CACHING"), "1");
	S.nr_live = 0;
	S.next_tag = 0;
	for (auto& P : S.pools)
		P = {};
	S.op = 0;
	if (int ret = host_core_init(S.unit))
		FAILF("init(%u): %d", S.unit, ret);
	// The oracles above are exact for the locked layer (first fit, the
	// populated-only rule, every allocation owned): the per-CPU front end
	// (cache.cpp) is off here; test_cache.cpp and the TSan stresses cover it.
	pcpupool_test_set_caching(S.caching);
	if (S.trace)
		host_set_trace(PCPU_TRACE_ALLOC | PCPU_TRACE_SLOW);
	verify();
	for (S.op = 1; S.op <= kMaxOps && !in.done(); S.op++) {
		u8 op = in.u8_();
		// A CPU for this operation (an online one).
		int cpu = (op >> 5) % S.nr_cpus;
		host_set_cpu(pcpu_cpu_online(cpu) ? cpu : first_online());
		switch (op % 20) {
		case 0:
		case 1:
		case 2:
		case 3:
			op_alloc(in);
			break;
		case 4:
		case 5:
			op_free(in);
			break;
		case 6:
			op_bad_free(in);
			break;
		case 7:
			host_work_run(in.u8_() % 2);
			break;
		case 8:
			op_watermarks(in);
			break;
		case 9:
			if (!S.faults && !S.killed)
				op_arm(in);
			continue; // armed for the next operation
		case 10:
			if (!S.event)
				op_event(in);
			continue;
		case 11:
			if (g_avoid_create && (S.faults || S.killed))
				break; // Mempool::create's failure path (bug 1)
			op_mp_create(in);
			break;
		case 12:
		case 13:
			if (g_avoid_reserve && S.event)
				break; // take_reserve() after a migration/IRQ (bug 2)
			op_mp(in, 0);
			break;
		case 14:
		case 15:
			op_mp(in, 1);
			break;
		case 16:
			op_mp(in, 2);
			break;
		case 17:
			op_mp(in, 3);
			break;
		case 18:
			op_hotplug(in);
			break;
		case 19:
			op_debugfs(in);
			break;
		}
		if (S.caching && g_break_leak_cached)
			break_leak_cached();
		// Faults, kills and events last one operation.
		for (int s = 0; s < HOST_SITE_NR; s++)
			host_fail_next(s, 0);
		host_set_killed(0);
		host_disarm();
		S.faults = S.killed = S.event = false;
		host_set_cpu(first_online());
		verify();
	}
	for (int s = 0; s < HOST_SITE_NR; s++)
		host_fail_next(s, 0);
	host_set_killed(0);
	host_disarm();
	S.faults = S.killed = S.event = false;
	teardown();
	return 0;
}

#ifdef HOST_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, __SIZE_TYPE__ size)
{
	return fuzz_pool_one(data, size);
}
#endif
