// SPDX-License-Identifier: GPL-2.0
//
// test_area_map.cpp - host unit tests of the area allocator (suite
// AreaMap): the cases of kunit/area_map_test.cpp on the host, plus
// geometries the kernel build never uses (blocks that are not a multiple
// of 64 bits, one-block units), init failures, stats against the model,
// and seeded random workloads checked against model::GranuleModel after
// every operation.  Core flags; reports through ht.h.
#include "ht.h"
#include "model.h"
#include "rt.h"

using namespace pcp;

namespace {

using model::alloc;
using model::kBits;
using model::kBlock;
using model::kUnit;
using model::Map;
using model::Rng;

model::GranuleModel g_model;

// A seeded workload against the model; returns false at the first
// disagreement (reported).
bool random_workload(u32 unit_bytes, u32 block_bytes, u64 seed, int ops)
{
	Map t(false, unit_bytes, block_bytes);
	if (!t.ok) {
		ht_fail(__FILE__, __LINE__, "init(%u, %u)", unit_bytes, block_bytes);
		return false;
	}
	AreaMap& m = t.m;
	const u32 nr_bits = m.nr_bits(), bb = m.block_bits();
	g_model.init(nr_bits, bb);
	constexpr int kLive = 256;
	struct {
		u32 off, bits;
	} live[kLive];
	int nr_live = 0;
	Rng rng{seed};
	char err[512];
	for (int op = 0; op < ops; op++) {
		if (rng.below(8) == 0) {
			u32 b = rng.below(m.nr_blocks());
			bool on = rng.below(4) != 0;
			m.set_populated(b, on);
			g_model.pop[b] = on;
		}
		if (nr_live == 0 || (nr_live < kLive && rng.below(3) != 0)) {
			u32 bits = 1 + (rng.below(4) ? rng.below(64) : rng.below(nr_bits / 4 + 1));
			u32 align = 1u << rng.below(11);
			bool pop = rng.below(2);
			int want = g_model.first_fit(bits, align, pop);
			int got = alloc(m, bits, align, pop);
			if (got != want) {
				ht_fail(__FILE__, __LINE__,
					"unit %u block %u seed %llu op %d: fit(%u, align %u, pop %d) = %d, model %d",
					unit_bytes, block_bytes, (unsigned long long)seed, op, bits, align,
					pop, got, want);
				return false;
			}
			if (got >= 0) {
				g_model.take(got, bits, 1);
				live[nr_live].off = got;
				live[nr_live++].bits = bits;
			}
		} else {
			int i = rng.below(nr_live);
			u32 got = m.free(live[i].off);
			if (got != live[i].bits) {
				ht_fail(__FILE__, __LINE__, "op %d: free size %u != %u", op, got, live[i].bits);
				return false;
			}
			g_model.release(live[i].off);
			live[i] = live[--nr_live];
		}
		if (const char* e = model::compare(m, g_model, err, sizeof(err))) {
			ht_fail(__FILE__, __LINE__, "unit %u block %u seed %llu op %d: %s", unit_bytes,
				block_bytes, (unsigned long long)seed, op, e);
			return false;
		}
	}
	return true;
}

} // namespace

HT_CASE(AreaMap, Basic)
{
	Map t;
	HT_ASSERT(t.ok, "init");
	AreaMap& m = t.m;
	HT_EXPECT(alloc(m, 2) == 0, "first fit at 0");
	HT_EXPECT(alloc(m, 16) == 2, "second follows");
	HT_EXPECT(m.alloc_size(2) == 16, "size from bound map");
	HT_EXPECT(m.free_bits() == kBits - 18, "free_bits %u", m.free_bits());
	HT_EXPECT(m.free(0) == 2, "free returns size");
	HT_EXPECT(alloc(m, 1) == 0, "hole reused first-fit");
	HT_EXPECT(alloc(m, 2) == 18, "2 bits do not fit the 1-bit hole");
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
	HT_EXPECT(m.nr_empty_populated() == m.nr_blocks() - 1, "empty pages %u", m.nr_empty_populated());
}

HT_CASE(AreaMap, Align)
{
	Map t;
	AreaMap& m = t.m;
	alloc(m, 1);
	for (u32 align_bytes = 4; align_bytes <= kBlock; align_bytes *= 2) {
		u32 a = align_bytes / kMinAllocBytes;
		int off = alloc(m, 3, a);
		HT_EXPECT(off >= 0 && off % a == 0, "align %u got %d", align_bytes, off);
	}
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
}

HT_CASE(AreaMap, Coalesce)
{
	Map t;
	AreaMap& m = t.m;
	int offs[64];
	for (int i = 0; i < 64; i++)
		offs[i] = alloc(m, 32);
	HT_EXPECT(offs[63] == 63 * 32, "packed");
	for (int i = 0; i < 64; i += 2)
		m.free(offs[i]);
	HT_EXPECT(m.contig_bits() == kBits - 64 * 32, "contig %u", m.contig_bits());
	HT_EXPECT(alloc(m, 33) == 64 * 32, "33 bits cannot use a 32-bit hole");
	m.free(64 * 32);
	for (int i = 1; i < 64; i += 2)
		m.free(offs[i]);
	HT_EXPECT(m.all_free() && m.contig_bits() == kBits, "coalesced to %u", m.contig_bits());
	int a = alloc(m, kBlock / 4 - 8);
	int b = alloc(m, 8 + 16);
	HT_EXPECT(a == 0 && b == int(kBlock / 4 - 8), "cross-block fit at %d", b);
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
}

HT_CASE(AreaMap, Largest)
{
	Map t;
	AreaMap& m = t.m;
	HT_EXPECT(alloc(m, kBits) == 0, "whole unit");
	HT_EXPECT(m.find_fit(1, 1, false) < 0, "full map still fits");
	HT_EXPECT(m.nr_empty_populated() == 0, "no empty page");
	HT_EXPECT(m.free(0) == kBits, "free whole unit");
	u32 n = 0;
	while (alloc(m, 7) >= 0)
		n++;
	HT_EXPECT(n == kBits / 7, "filled %u", n);
	HT_EXPECT(m.free_bits() == kBits % 7, "left %u", m.free_bits());
	HT_EXPECT(m.find_fit(kBits + 1, 1, false) < 0, "larger than the unit");
	HT_EXPECT(m.find_fit(0, 1, false) < 0, "zero bits");
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
}

HT_CASE(AreaMap, PopulatedOnly)
{
	Map t(false);
	AreaMap& m = t.m;
	HT_EXPECT(m.find_fit(1, 1, true) < 0, "fit in unpopulated space");
	m.set_populated(3, true);
	HT_EXPECT(m.find_fit(1, 1, true) == int(3 * kBlock / 4), "populated block 3");
	HT_EXPECT(m.find_fit(kBlock / 4 + 1, 1, true) < 0, "spans an unpopulated page");
	m.set_populated(4, true);
	HT_EXPECT(m.find_fit(kBlock / 4 + 1, 1, true) == int(3 * kBlock / 4), "spans 3-4");
	HT_EXPECT(m.nr_empty_populated() == 2, "empty pop %u", m.nr_empty_populated());
	int off = alloc(m, 1, 1, true);
	HT_EXPECT(m.nr_empty_populated() == 1, "after alloc %u", m.nr_empty_populated());
	m.free(off);
	HT_EXPECT(m.nr_empty_populated() == 2, "after free");
	m.set_populated(3, false);
	HT_EXPECT(m.range_populated(4 * kBlock / 4, kBlock / 4), "block 4");
	HT_EXPECT(!m.range_populated(3 * kBlock / 4, 2 * kBlock / 4), "3-4 with 3 off");
	// An aligned fit past an unpopulated hole: the search skips the hole.
	m.set_populated(4, false);
	m.set_populated(6, true);
	HT_EXPECT(m.find_fit(2, 1024, true) == int(6 * kBlock / 4), "aligned past the hole: %d",
		  m.find_fit(2, 1024, true));
	HT_EXPECT(m.find_fit(2, 1, true) == int(6 * kBlock / 4), "past the hole: %d", m.find_fit(2, 1, true));
	HT_EXPECT(m.find_fit(2, 1, false) == 0, "any fit: %d", m.find_fit(2, 1, false));
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
}

HT_CASE(AreaMap, BadFree)
{
	Map t;
	AreaMap& m = t.m;
	int a = alloc(m, 10);
	HT_EXPECT(m.free(a + 1) == 0, "free in the middle accepted");
	HT_EXPECT(m.free(a + 10) == 0, "free of a free offset accepted");
	HT_EXPECT(m.free(kBits + 5) == 0, "free beyond the unit accepted");
	HT_EXPECT(m.free(kBits) == 0, "free at the end marker accepted");
	HT_EXPECT(m.free(0xffffffffu) == 0, "free at ~0 accepted");
	HT_EXPECT(m.free(a) == 10, "real free");
	HT_EXPECT(m.free(a) == 0, "double free accepted");
	HT_EXPECT(m.all_free(), "state changed by bad frees");
	// A stale start bit left by a freed allocation, now inside another.
	int b = alloc(m, 4);
	int c = alloc(m, 4);
	m.free(b);
	m.free(c);
	int d = alloc(m, 8);
	HT_EXPECT(d == 0 && m.free(4) == 0, "free at a stale bound inside a live allocation");
	HT_EXPECT(m.alloc_size(0) == 8, "size %u", m.alloc_size(0));
	const char* err = m.check();
	HT_EXPECT(!err, "%s", err);
}

HT_CASE(AreaMap, Stats)
{
	Map t;
	AreaMap& m = t.m;
	g_model.init(m.nr_bits(), m.block_bits());
	int a = alloc(m, 10), b = alloc(m, 20), c = alloc(m, 5);
	g_model.take(a, 10, 1);
	g_model.take(b, 20, 2);
	g_model.take(c, 5, 3);
	m.free(b);
	g_model.release(b);
	AreaStats s = m.stats(), w = g_model.stats();
	HT_EXPECT(s.nr_allocs == 2 && w.nr_allocs == 2, "allocs %u model %u", s.nr_allocs, w.nr_allocs);
	HT_EXPECT(s.sum_frag == 80 && s.max_frag == 80, "frag %u/%u", s.sum_frag, s.max_frag);
	HT_EXPECT(s.free_bytes == w.free_bytes && s.contig_bytes == w.contig_bytes, "bytes");
	HT_EXPECT(s.sum_frag == w.sum_frag && s.max_frag == w.max_frag, "model frag %u/%u",
		  w.sum_frag, w.max_frag);
}

// The contract allows any block size that is a multiple of 4 bytes and
// divides the unit: hints must stay exact when blocks do not line up
// with 64-bit words.
HT_CASE(AreaMap, OddGeometries)
{
	static const u32 geo[][2] = {
		{4, 4}, {12, 4}, {252, 12}, {260, 260}, {4 * 65 * 7, 4 * 65},
		{4 * 100 * 3, 4 * 100}, {4 * 1000 * 4, 4 * 1000}, {8192, 8192},
	};
	for (auto& g : geo)
		if (!random_workload(g[0], g[1], 0x1234 + g[0], 600))
			return;
}

HT_CASE(AreaMap, RandomPage)
{
	// The kernel's geometry (64 KiB unit, 4 KiB pages), several seeds.
	for (u64 seed = 1; seed <= 4; seed++)
		if (!random_workload(kUnit, kBlock, seed * 0x9e3779b97f4a7c15ull, 1500))
			return;
}

HT_CASE(AreaMap, InitFailure)
{
	// Each of init()'s four allocations failing: false, nothing leaked
	// (LeakSanitizer checks at exit), the destructor copes.
	for (int n = 0; n < 4; n++) {
		AreaMap m;
		host_fail_after(HOST_SITE_KMALLOC, n, 1);
		bool ok = m.init(kUnit, kBlock, Gfp::kernel());
		HT_EXPECT(!ok, "init succeeded with allocation %d failing", n);
		HT_EXPECT(!host_fail_pending(HOST_SITE_KMALLOC), "fault %d not reached", n);
	}
	AreaMap m2;
	HT_EXPECT(m2.init(kUnit, kBlock, Gfp::kernel()), "init after the faults");
	// NOFAIL allocations never fail.
	AreaMap m3;
	host_fail_next(HOST_SITE_KMALLOC, 4);
	HT_EXPECT(m3.init(kUnit, kBlock, Gfp::kernel().with(pcpu_gfp.nofail)), "NOFAIL init failed");
	host_fail_next(HOST_SITE_KMALLOC, 0);
}
