// SPDX-License-Identifier: GPL-2.0
//
// fuzz_area_map.cpp - differential fuzz target for the bitmap area
// allocator of one chunk (module/area_map.cpp) against model::GranuleModel,
// a byte per granule.
//
// Input: [#-comment lines] geometry(2 bytes) [init faults(1)] then ops,
// one opcode byte each plus operands (model::Input reads 0 past the end):
//
//   geometry  block_bits from a table (1 .. 2048, page-sized 1024 among
//             them, sizes that are not multiples of 64 included) and 1..64
//             blocks, at most 16384 granules (64 KiB): every geometry the documented
//             contract allows (unit and block multiples of 4 bytes, block
//             divides unit) at a size the model can recount every step.
//   0-2 fit   find_fit(bits, align, populated_only) must equal the model's
//             exhaustive first fit; a fit is then allocated.
//   3   place alloc(off, bits) at the first free range at or after a
//             chosen offset (the API allows any free range).
//   4-5 free  a live allocation: free() returns its size.
//   6   bad   free() of an offset where no live allocation starts (inside
//             one, free, past the unit): returns 0, changes nothing.
//   7   pop   set_populated(block, on/off).
//   8   query alloc_size() and range_populated() at an offset, stats().
//   9   drain free every live allocation: the map is all free again.
//
// After every operation the map is compared with the model: check() (the
// hints against the map's own recount), free bits, the largest free run,
// populated and empty-populated blocks, and every block's hints against
// the model's independent recount; every live allocation's alloc_size().
#include "model.h"
#include "rt.h"

using namespace pcp;

namespace {

constexpr u32 kBlockBits[] = {1, 2, 3, 7, 8, 16, 31, 32, 63, 64, 65, 96,
			      100, 128, 129, 255, 256, 1000, 1024, 2048};
constexpr u32 kFuzzMaxBits = 16384;
constexpr u32 kMaxLive = 1024;
constexpr u32 kMaxOps = 1000;

struct Live {
	u32 off, bits;
};

model::GranuleModel g_model;
Live g_live[kMaxLive];
char g_err[512];

[[noreturn]] void fail(u32 op, const char* what)
{
	host_fail("area_map: op %u: %s", op, what);
}

void verify(const AreaMap& m, u32 nr_live, u32 op)
{
	if (const char* err = model::compare(m, g_model, g_err, sizeof(g_err)))
		fail(op, err);
	for (u32 i = 0; i < nr_live; i++) {
		if (m.alloc_size(g_live[i].off) != g_live[i].bits) {
			host_snprintf(g_err, sizeof(g_err), "alloc_size(%u) = %u, live size %u",
				      g_live[i].off, m.alloc_size(g_live[i].off), g_live[i].bits);
			fail(op, g_err);
		}
	}
}

} // namespace

extern "C" int fuzz_area_map_one(const unsigned char* data, __SIZE_TYPE__ size)
{
	model::Input in(data, size > (1u << 20) ? (1u << 20) : u32(size));
	host_reset(nullptr);
	const u32 block_bits = kBlockBits[in.u8_() % (sizeof(kBlockBits) / sizeof(kBlockBits[0]))];
	u32 max_blocks = min<u32>(64, kFuzzMaxBits / block_bits);
	const u32 nr_blocks = 1 + in.u8_() % max_blocks;
	const u32 nr_bits = block_bits * nr_blocks;
	u8 init_faults = in.u8_();

	// A failing init must leave nothing behind (ASan/LSan check).
	if (init_faults & 0x80) {
		AreaMap bad;
		host_fail_next(HOST_SITE_KMALLOC, 1 + init_faults % 4);
		if (bad.init(nr_bits * kMinAllocBytes, block_bits * kMinAllocBytes, Gfp::kernel()))
			host_fail("area_map: init succeeded with allocation %u failing", 1 + init_faults % 4);
		host_fail_next(HOST_SITE_KMALLOC, 0);
	}

	AreaMap m;
	if (!m.init(nr_bits * kMinAllocBytes, block_bits * kMinAllocBytes, Gfp::kernel()))
		host_fail("area_map: init(%u, %u) failed", nr_bits * 4, block_bits * 4);
	g_model.init(nr_bits, block_bits);
	u32 nr_live = 0;
	u8 id = 0;
	verify(m, nr_live, 0);

	for (u32 op = 1; op <= kMaxOps && !in.done(); op++) {
		switch (in.u8_() % 10) {
		case 0:
		case 1:
		case 2: {
			u32 bits = model::pick_bits(in, nr_bits);
			u32 align = 1u << (in.u8_() % 13);
			bool pop = in.u8_() & 1;
			int want = g_model.first_fit(bits, align, pop);
			int got = m.find_fit(bits, align, pop);
			if (got != want) {
				host_snprintf(g_err, sizeof(g_err),
					      "find_fit(bits %u, align %u, populated_only %d) = %d, model first fit %d",
					      bits, align, pop, got, want);
				fail(op, g_err);
			}
			if (got >= 0 && nr_live < kMaxLive) {
				m.alloc(got, bits);
				g_model.take(got, bits, ++id);
				g_live[nr_live++] = {u32(got), bits};
			}
			break;
		}
		case 3: {
			u32 bits = model::pick_bits(in, nr_bits);
			int at = g_model.free_at_or_after(in.below(nr_bits), bits);
			if (at >= 0 && nr_live < kMaxLive) {
				m.alloc(at, bits);
				g_model.take(at, bits, ++id);
				g_live[nr_live++] = {u32(at), bits};
			}
			break;
		}
		case 4:
		case 5: {
			if (!nr_live)
				break;
			u32 i = in.below(nr_live);
			u32 got = m.free(g_live[i].off);
			if (got != g_live[i].bits) {
				host_snprintf(g_err, sizeof(g_err), "free(%u) = %u, size %u",
					      g_live[i].off, got, g_live[i].bits);
				fail(op, g_err);
			}
			g_model.release(g_live[i].off);
			g_live[i] = g_live[--nr_live];
			break;
		}
		case 6: {
			u32 off;
			u8 how = in.u8_() % 3;
			if (how == 0 && nr_live) {
				Live& l = g_live[in.below(nr_live)];
				off = l.off + 1 + in.below(l.bits + 1); // inside or just past
			} else if (how == 1) {
				off = nr_bits + in.u8_();
			} else {
				off = in.below(nr_bits);
			}
			if (off < nr_bits && g_model.start[off])
				break; // a real allocation starts there
			u32 before_free = m.free_bits();
			if (u32 got = m.free(off)) {
				host_snprintf(g_err, sizeof(g_err), "bad free(%u) accepted, returned %u", off, got);
				fail(op, g_err);
			}
			if (m.free_bits() != before_free)
				fail(op, "bad free changed free_bits");
			break;
		}
		case 7: {
			u32 b = in.below(nr_blocks);
			bool on = in.u8_() % 4 != 0;
			m.set_populated(b, on);
			g_model.pop[b] = on;
			break;
		}
		case 8: {
			u32 off = in.below(nr_bits + 4);
			u32 want = off < nr_bits && g_model.start[off] ? g_model.size[off] : 0;
			if (m.alloc_size(off) != want) {
				host_snprintf(g_err, sizeof(g_err), "alloc_size(%u) = %u, model %u", off,
					      m.alloc_size(off), want);
				fail(op, g_err);
			}
			if (off < nr_bits) {
				u32 bits = 1 + in.below(nr_bits - off);
				if (m.range_populated(off, bits) != g_model.range_pop(off, bits)) {
					host_snprintf(g_err, sizeof(g_err), "range_populated(%u, %u) = %d",
						      off, bits, m.range_populated(off, bits));
					fail(op, g_err);
				}
			}
			AreaStats a = m.stats(), b = g_model.stats();
			if (a.free_bytes != b.free_bytes || a.contig_bytes != b.contig_bytes ||
			    a.sum_frag != b.sum_frag || a.max_frag != b.max_frag ||
			    a.nr_allocs != b.nr_allocs) {
				host_snprintf(g_err, sizeof(g_err),
					      "stats free %u contig %u sum_frag %u max_frag %u allocs %u, model %u %u %u %u %u",
					      a.free_bytes, a.contig_bytes, a.sum_frag, a.max_frag, a.nr_allocs,
					      b.free_bytes, b.contig_bytes, b.sum_frag, b.max_frag, b.nr_allocs);
				fail(op, g_err);
			}
			break;
		}
		case 9:
			while (nr_live) {
				Live l = g_live[--nr_live];
				if (m.free(l.off) != l.bits)
					fail(op, "drain: free returned a wrong size");
				g_model.release(l.off);
			}
			if (!m.all_free() || m.contig_bits() != nr_bits)
				fail(op, "drained map is not one free run");
			break;
		}
		verify(m, nr_live, op);
	}
	return 0;
}

#ifdef HOST_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, __SIZE_TYPE__ size)
{
	return fuzz_area_map_one(data, size);
}
#endif
