// SPDX-License-Identifier: GPL-2.0
//
// area_map_test.cpp - KUnit bodies for the area allocator (suite
// pcpupool_area_map): fits, alignment, coalescing, the largest allocation,
// exhaustion, populated-only fits, bad frees, and a seeded random workload
// checked against the reference model the host tests use (area_model.h)
// after every operation.  The area map is compiled into this module as a unit.
#include "../module/area_map.cpp"
#include "area_model.h"
#include "kt.h"

using namespace pcp;

using model::alloc;
using model::kBits;
using model::kBlock;
using model::kUnit;
using model::Map;
using model::Rng;

void cxx_test_area_basic(void* test)
{
	Map t;
	KT_EXPECT(test, t.ok, "init");
	AreaMap& m = t.m;
	KT_EXPECT(test, alloc(m, 2) == 0, "first fit at 0");
	KT_EXPECT(test, alloc(m, 16) == 2, "second follows");
	KT_EXPECT(test, m.alloc_size(2) == 16, "size from bound map");
	KT_EXPECT(test, m.free_bits() == kBits - 18, "free_bits %u", m.free_bits());
	KT_EXPECT(test, m.free(0) == 2, "free returns size");
	KT_EXPECT(test, alloc(m, 1) == 0, "hole reused first-fit");
	KT_EXPECT(test, alloc(m, 2) == 18, "2 bits do not fit the 1-bit hole");
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
	KT_EXPECT(test, m.nr_empty_populated() == m.nr_blocks() - 1, "empty pages %u",
		  m.nr_empty_populated());
}

void cxx_test_area_align(void* test)
{
	Map t;
	AreaMap& m = t.m;
	alloc(m, 1);
	for (u32 align_bytes = 4; align_bytes <= kBlock; align_bytes *= 2) {
		u32 a = align_bytes / kMinAllocBytes;
		int off = alloc(m, 3, a);
		KT_EXPECT(test, off >= 0 && off % a == 0, "align %u got %d", align_bytes, off);
	}
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
}

void cxx_test_area_coalesce(void* test)
{
	Map t;
	AreaMap& m = t.m;
	int offs[64];
	// Fill two blocks with 32-bit allocations, free every other one, then
	// free the rest: the free runs must merge back into one.
	for (int i = 0; i < 64; i++)
		offs[i] = alloc(m, 32);
	KT_EXPECT(test, offs[63] == 63 * 32, "packed");
	for (int i = 0; i < 64; i += 2)
		m.free(offs[i]);
	KT_EXPECT(test, m.contig_bits() == kBits - 64 * 32, "contig %u", m.contig_bits());
	KT_EXPECT(test, alloc(m, 33) == 64 * 32, "33 bits cannot use a 32-bit hole");
	m.free(64 * 32);
	for (int i = 1; i < 64; i += 2)
		m.free(offs[i]);
	KT_EXPECT(test, m.all_free() && m.contig_bits() == kBits, "coalesced to %u",
		  m.contig_bits());
	// A run crossing block boundaries: right_free + left_free joined.
	int a = alloc(m, kBlock / 4 - 8); // leaves 8 bits at block 0's end
	int b = alloc(m, 8 + 16); // crosses into block 1
	KT_EXPECT(test, a == 0 && b == int(kBlock / 4 - 8), "cross-block fit at %d", b);
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
}

void cxx_test_area_largest(void* test)
{
	Map t;
	AreaMap& m = t.m;
	KT_EXPECT(test, alloc(m, kBits) == 0, "whole unit");
	KT_EXPECT(test, m.find_fit(1, 1, false) < 0, "full map still fits");
	KT_EXPECT(test, m.nr_empty_populated() == 0, "no empty page");
	KT_EXPECT(test, m.free(0) == kBits, "free whole unit");
	// Exhaustion by small allocations.
	u32 n = 0;
	while (alloc(m, 7) >= 0)
		n++;
	KT_EXPECT(test, n == kBits / 7, "filled %u", n);
	KT_EXPECT(test, m.free_bits() == kBits % 7, "left %u", m.free_bits());
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
}

void cxx_test_area_populated_only(void* test)
{
	Map t(false);
	AreaMap& m = t.m;
	KT_EXPECT(test, m.find_fit(1, 1, true) < 0, "fit in unpopulated space");
	m.set_populated(3, true);
	KT_EXPECT(test, m.find_fit(1, 1, true) == int(3 * kBlock / 4), "populated block 3");
	KT_EXPECT(test, m.find_fit(kBlock / 4 + 1, 1, true) < 0, "spans an unpopulated page");
	m.set_populated(4, true);
	KT_EXPECT(test, m.find_fit(kBlock / 4 + 1, 1, true) == int(3 * kBlock / 4), "spans 3-4");
	KT_EXPECT(test, m.nr_empty_populated() == 2, "empty pop %u", m.nr_empty_populated());
	int off = alloc(m, 1, 1, true);
	KT_EXPECT(test, m.nr_empty_populated() == 1, "after alloc %u", m.nr_empty_populated());
	m.free(off);
	KT_EXPECT(test, m.nr_empty_populated() == 2, "after free");
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
}

void cxx_test_area_bad_free(void* test)
{
	Map t;
	AreaMap& m = t.m;
	int a = alloc(m, 10);
	KT_EXPECT(test, m.free(a + 1) == 0, "free in the middle accepted");
	KT_EXPECT(test, m.free(a + 10) == 0, "free of a free offset accepted");
	KT_EXPECT(test, m.free(kBits + 5) == 0, "free beyond the unit accepted");
	KT_EXPECT(test, m.free(a) == 10, "real free");
	KT_EXPECT(test, m.free(a) == 0, "double free accepted");
	KT_EXPECT(test, m.all_free(), "state changed by bad frees");
	const char* err = m.check();
	KT_EXPECT(test, !err, "%s", err);
}

// Random alloc/free against the reference model (area_model.h, shared with
// the host tests and fuzz targets): first fit == the model's exhaustive
// first fit, sizes from the bound map, and counters, the largest run,
// population and every block's hints equal a recount after every operation.
void cxx_test_area_random(void* test)
{
	Map t(false);
	AreaMap& m = t.m;
	auto* g = new (Gfp::kernel()) model::GranuleModel;
	constexpr int kLive = 256;
	struct Live {
		int off;
		u32 bits;
	};
	Live* live = new (Gfp::kernel()) Live[kLive];
	char* err = new (Gfp::kernel()) char[256];
	KT_EXPECT(test, g && live && err, "alloc");
	if (!g || !live || !err) {
		delete g;
		delete[] live;
		delete[] err;
		return;
	}
	g->init(kBits, kBlock / kMinAllocBytes);
	Rng rng{0x9e3779b97f4a7c15ull};
	int nr_live = 0;
	for (int op = 0; op < 1500; op++) {
		if (rng.below(8) == 0) {
			u32 b = rng.below(m.nr_blocks());
			m.set_populated(b, true);
			g->pop[b] = true;
		}
		bool do_alloc = nr_live == 0 || (nr_live < kLive && rng.below(3) != 0);
		if (do_alloc) {
			u32 bits = 1 + (rng.below(4) ? rng.below(64) : rng.below(2048));
			u32 align = 1u << rng.below(11);
			bool pop = rng.below(2);
			int want = g->first_fit(bits, align, pop);
			int off = alloc(m, bits, align, pop);
			if (off != want) {
				kt_fail(test, __FILE__, __LINE__,
					"op %d: fit(%u, align %u, pop %d) = %d, model %d", op, bits,
					align, pop, off, want);
				break;
			}
			if (off >= 0) {
				g->take(off, bits, 1);
				live[nr_live++] = {off, bits};
			}
		} else {
			int i = rng.below(nr_live);
			u32 got = m.free(live[i].off);
			if (got != live[i].bits) {
				kt_fail(test, __FILE__, __LINE__, "op %d: free size %u != %u", op,
					got, live[i].bits);
				break;
			}
			g->release(live[i].off);
			live[i] = live[--nr_live];
		}
		if (const char* e = model::compare(m, *g, err, 256)) {
			kt_fail(test, __FILE__, __LINE__, "op %d: %s", op, e);
			break;
		}
	}
	delete g;
	delete[] live;
	delete[] err;
}
