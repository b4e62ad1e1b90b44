// SPDX-License-Identifier: GPL-2.0
//
// area_model.h - the trivially correct reference model of one chunk's area
// allocator (module/area_map.h), shared by the KUnit random workload
// (area_map_test.cpp) and the host tests and fuzz targets (host/model.h).
// Freestanding core C++: fixed-size arrays, O(n) brute force.
//
//  GranuleModel  one byte per granule of a unit (0 free, else an owner
//                id) and one bool per block (populated).  first_fit() is
//                the AreaMap's documented policy by exhaustion: the lowest
//                offset that is a multiple of the alignment, free for the
//                whole size, and (populated_only) wholly in populated
//                blocks.  block_hint() recounts a block's hints.
//  compare()     an AreaMap against the model: counters, the largest run,
//                population and every block's hints.
//  Map, alloc(), Rng  the fixtures both test suites build on: a map of
//                the default geometry (64 KiB unit, 4 KiB blocks), a
//                find_fit + alloc step, a seeded xorshift64* generator.
//
// About 320 KiB: the KUnit test allocates one, the host keeps globals.
#pragma once

#include "area_map.h"

// snprintf for compare()'s messages: the host's and the kernel's (each
// test build defines it).
extern "C" PCPU_PRINTF(3, 4) int model_snprintf(char* buf, unsigned long size, const char* fmt,
						...);

namespace model {

using pcp::u32;
using pcp::u64;

constexpr u32 kUnit = 64 * 1024;
constexpr u32 kBlock = 4096;
constexpr u32 kBits = kUnit / pcp::kMinAllocBytes;

// An AreaMap of @unit bytes in @block-byte blocks, all populated unless not
// @populate; ok says whether init() succeeded.
struct Map {
	pcp::AreaMap m;
	bool ok;
	explicit Map(bool populate = true, u32 unit = kUnit, u32 block = kBlock)
		: ok(m.init(unit, block, pcp::Gfp::kernel()))
	{
		if (ok && populate)
			for (u32 b = 0; b < m.nr_blocks(); b++)
				m.set_populated(b, true);
	}
};

// First fit, then allocate: the offset, or -1.
inline int alloc(pcp::AreaMap& m, u32 bits, u32 align = 1, bool pop = false)
{
	int off = m.find_fit(bits, align, pop);
	if (off >= 0)
		m.alloc(off, bits);
	return off;
}

// A tiny deterministic PRNG (xorshift64*), seeded per test.
struct Rng {
	u64 s;
	u64 next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	u32 below(u32 n) { return next() % n; }
};
using pcp::u8;

constexpr u32 kMaxBits = 1 << 15;
constexpr u32 kMaxBlocks = 256;

struct GranuleModel {
	u32 nr_bits = 0, block_bits = 0, nr_blocks = 0;
	u8 owner[kMaxBits]; // 0 = free
	u8 start[kMaxBits]; // 1 = a live allocation starts here
	u32 size[kMaxBits]; // its size, at its start
	bool pop[kMaxBlocks];
	mutable u32 run_[kMaxBits + 1];

	void init(u32 bits, u32 bbits)
	{
		nr_bits = bits;
		block_bits = bbits;
		nr_blocks = bits / bbits;
		for (u32 i = 0; i < nr_bits; i++)
			owner[i] = start[i] = 0, size[i] = 0;
		for (u32 b = 0; b < nr_blocks; b++)
			pop[b] = false;
	}
	bool range_free(u32 off, u32 bits) const
	{
		if (off + bits > nr_bits || off + bits < off)
			return false;
		for (u32 i = off; i < off + bits; i++)
			if (owner[i])
				return false;
		return true;
	}
	bool range_pop(u32 off, u32 bits) const
	{
		for (u32 b = off / block_bits; b <= (off + bits - 1) / block_bits; b++)
			if (!pop[b])
				return false;
		return true;
	}
	// run_[i]: usable granules from i on (free, and populated when
	// @pop_only), so that the exhaustive search is O(nr_bits).
	void runs(bool pop_only) const
	{
		run_[nr_bits] = 0;
		for (u32 i = nr_bits; i-- > 0;) {
			bool ok = !owner[i] && (!pop_only || pop[i / block_bits]);
			run_[i] = ok ? run_[i + 1] + 1 : 0;
		}
	}
	// The documented policy, by exhaustion: the lowest aligned offset
	// whose whole range is usable.
	int first_fit(u32 bits, u32 align, bool pop_only) const
	{
		if (!bits || bits > nr_bits)
			return -1;
		runs(pop_only);
		for (u64 s = 0; s + bits <= nr_bits; s += align)
			if (run_[s] >= bits)
				return int(s);
		return -1;
	}
	// The first offset >= @from (any alignment) where @bits are free.
	int free_at_or_after(u32 from, u32 bits) const
	{
		if (!bits || bits > nr_bits)
			return -1;
		runs(false);
		for (u32 s = from; s + bits <= nr_bits; s++)
			if (run_[s] >= bits)
				return int(s);
		return -1;
	}
	void take(u32 off, u32 bits, u8 id)
	{
		for (u32 i = off; i < off + bits; i++)
			owner[i] = id ? id : 1;
		start[off] = 1;
		size[off] = bits;
	}
	void release(u32 off)
	{
		for (u32 i = off; i < off + size[off]; i++)
			owner[i] = 0;
		start[off] = 0;
		size[off] = 0;
	}
	u32 free_bits() const
	{
		u32 n = 0;
		for (u32 i = 0; i < nr_bits; i++)
			n += !owner[i];
		return n;
	}
	u32 largest_run() const
	{
		u32 run = 0, best = 0;
		for (u32 i = 0; i < nr_bits; i++) {
			run = owner[i] ? 0 : run + 1;
			best = run > best ? run : best;
		}
		return best;
	}
	bool block_empty(u32 b) const { return range_free(b * block_bits, block_bits); }
	u32 nr_pop() const
	{
		u32 n = 0;
		for (u32 b = 0; b < nr_blocks; b++)
			n += pop[b];
		return n;
	}
	u32 nr_empty_pop() const
	{
		u32 n = 0;
		for (u32 b = 0; b < nr_blocks; b++)
			n += pop[b] && block_empty(b);
		return n;
	}
	// Recount of one block's hints.
	pcp::BlockHint block_hint(u32 b) const
	{
		pcp::BlockHint h = {};
		const u32 base = b * block_bits;
		h.first_free = block_bits;
		u32 run = 0, run_start = 0;
		for (u32 i = 0; i <= block_bits; i++) {
			bool is_free = i < block_bits && !owner[base + i];
			if (is_free) {
				if (!run)
					run_start = i;
				run++;
				if (h.first_free == block_bits)
					h.first_free = i;
				continue;
			}
			if (run) {
				if (run > h.contig) {
					h.contig = run;
					h.contig_start = run_start;
				}
				if (run_start == 0)
					h.left_free = run;
				if (i == block_bits)
					h.right_free = run;
			}
			run = 0;
		}
		return h;
	}
	// stats() by the percpu_stats definition: fragments are the free runs
	// before the last allocated granule.
	pcp::AreaStats stats() const
	{
		pcp::AreaStats st = {};
		st.free_bytes = free_bits() * pcp::kMinAllocBytes;
		st.contig_bytes = largest_run() * pcp::kMinAllocBytes;
		u32 last = 0;
		for (u32 i = 0; i < nr_bits; i++)
			if (owner[i])
				last = i + 1;
		u32 run = 0;
		for (u32 i = 0; i < last; i++) {
			if (start[i])
				st.nr_allocs++;
			if (!owner[i]) {
				run++;
				continue;
			}
			if (run) {
				st.sum_frag += run * pcp::kMinAllocBytes;
				if (run * pcp::kMinAllocBytes > st.max_frag)
					st.max_frag = run * pcp::kMinAllocBytes;
			}
			run = 0;
		}
		return st;
	}
};

// Compare an AreaMap with the model; nullptr if they agree, else what
// differs (written to @buf).
inline const char* compare(const pcp::AreaMap& m, const GranuleModel& g, char* buf, u32 size)
{
	if (const char* err = m.check()) {
		model_snprintf(buf, size, "AreaMap::check(): %s", err);
		return buf;
	}
	if (m.free_bits() != g.free_bits()) {
		model_snprintf(buf, size, "free_bits %u, model %u", m.free_bits(), g.free_bits());
		return buf;
	}
	if (m.contig_bits() != g.largest_run()) {
		model_snprintf(buf, size, "contig_bits %u, model %u", m.contig_bits(),
			       g.largest_run());
		return buf;
	}
	if (m.nr_populated() != g.nr_pop() || m.nr_empty_populated() != g.nr_empty_pop()) {
		model_snprintf(buf, size, "populated %u/%u empty, model %u/%u", m.nr_populated(),
			       m.nr_empty_populated(), g.nr_pop(), g.nr_empty_pop());
		return buf;
	}
	if (m.all_free() != (g.free_bits() == g.nr_bits)) {
		model_snprintf(buf, size, "all_free %d", m.all_free());
		return buf;
	}
	for (u32 b = 0; b < g.nr_blocks; b++) {
		pcp::BlockHint h = g.block_hint(b), k = m.hint(b);
		if (h.contig != k.contig || h.left_free != k.left_free ||
		    h.right_free != k.right_free || h.first_free != k.first_free ||
		    (h.contig && h.contig_start != k.contig_start)) {
			model_snprintf(buf, size,
				       "block %u hint contig %u@%u left %u right %u first %u, "
				       "recount %u@%u %u %u %u",
				       b, k.contig, k.contig_start, k.left_free, k.right_free,
				       k.first_free, h.contig, h.contig_start, h.left_free,
				       h.right_free, h.first_free);
			return buf;
		}
		if (m.block_empty(b) != g.block_empty(b) || m.block_populated(b) != g.pop[b]) {
			model_snprintf(buf, size, "block %u empty %d populated %d, model %d %d", b,
				       m.block_empty(b), m.block_populated(b), g.block_empty(b),
				       g.pop[b]);
			return buf;
		}
	}
	return nullptr;
}

} // namespace model
