// SPDX-License-Identifier: GPL-2.0
//
// area_map.cpp - the bitmap area allocator of one chunk (see area_map.h).
// Called with the pool lock held, any context; never allocates except in
// init().
#include "area_map.h"
#include "rt.h"

namespace pcp {

using namespace bitmap;

AreaMap::~AreaMap()
{
	delete[] alloc_map_;
	delete[] bound_map_;
	delete[] populated_;
	delete[] hints_;
}

bool AreaMap::init(u32 unit_bytes, u32 block_bytes, Gfp gfp)
{
	nr_bits_ = unit_bytes / kMinAllocBytes;
	block_bits_ = block_bytes / kMinAllocBytes;
	nr_blocks_ = nr_bits_ / block_bits_;
	// Test builds: the metadata site of the fault switch (issue 8 sweep).
	if (pcpu_fault_should_fail(PCPU_SITE_META))
		return false;
	alloc_map_ = new (gfp) u64[words_for(nr_bits_)];
	bound_map_ = new (gfp) u64[words_for(nr_bits_ + 1)];
	populated_ = new (gfp) u64[words_for(nr_blocks_)];
	hints_ = new (gfp) BlockHint[nr_blocks_];
	if (!alloc_map_ || !bound_map_ || !populated_ || !hints_)
		return false;
	pcpu_memset(alloc_map_, 0, words_for(nr_bits_) * 8);
	pcpu_memset(bound_map_, 0, words_for(nr_bits_ + 1) * 8);
	pcpu_memset(populated_, 0, words_for(nr_blocks_) * 8);
	// The end of the unit closes the last allocation.
	set(bound_map_, nr_bits_);
	for (u32 b = 0; b < nr_blocks_; b++)
		hints_[b] = compute_block(b);
	free_bits_ = nr_bits_;
	refresh_chunk();
	return true;
}

BlockHint AreaMap::compute_block(u32 block) const
{
	const u32 base = block * block_bits_, end = base + block_bits_;
	BlockHint h = {};
	u32 first = find_next_zero(alloc_map_, end, base);
	h.first_free = first - base;
	if (first == end)
		return h;
	u32 pos = first;
	while (pos < end) {
		u32 z = find_next_zero(alloc_map_, end, pos);
		if (z == end)
			break;
		u32 o = find_next_set(alloc_map_, end, z);
		u32 len = o - z;
		if (len > h.contig) {
			h.contig = len;
			h.contig_start = z - base;
		}
		if (z == base)
			h.left_free = len;
		if (o == end)
			h.right_free = len;
		pos = o;
	}
	return h;
}

// Recompute hints of blocks [first, last] and the chunk-wide summary,
// keeping nr_empty_pop_ in step.
void AreaMap::refresh(u32 first, u32 last)
{
	for (u32 b = first; b <= last; b++) {
		bool was_empty = block_empty(b);
		hints_[b] = compute_block(b);
		bool is_empty = block_empty(b);
		if (block_populated(b) && was_empty != is_empty)
			nr_empty_pop_ += is_empty ? 1 : -1;
	}
	refresh_chunk();
}

void AreaMap::refresh_chunk()
{
	u32 run = 0, best = 0;
	first_free_block_ = nr_blocks_;
	for (u32 b = 0; b < nr_blocks_; b++) {
		const BlockHint& h = hints_[b];
		if (h.contig && first_free_block_ == nr_blocks_)
			first_free_block_ = b;
		if (h.contig == block_bits_) {
			run += block_bits_;
			best = max(best, run);
			continue;
		}
		run += h.left_free;
		best = max(best, max<u32>(run, h.contig));
		run = h.right_free;
	}
	contig_bits_ = max(best, run);
}

bool AreaMap::range_populated(u32 off, u32 bits) const
{
	return range_is(populated_, off / block_bits_,
			(off + bits - 1) / block_bits_ - off / block_bits_ + 1, true);
}

// First aligned start of @bits inside the free run [start, start + len),
// skipping unpopulated pages when @pop_only.
int AreaMap::fit_in_run(u32 start, u32 len, u32 bits, u32 align, bool pop_only) const
{
	const u32 end = start + len;
	u32 s = align_up(start, align);
	while (s + bits <= end) {
		if (!pop_only)
			return s;
		u32 b0 = s / block_bits_, b1 = (s + bits - 1) / block_bits_;
		u32 hole = find_next_zero(populated_, b1 + 1, b0);
		if (hole > b1)
			return s;
		s = align_up((hole + 1) * block_bits_, align);
	}
	return -1;
}

int AreaMap::find_fit(u32 bits, u32 align, bool pop_only) const
{
	if (bits == 0 || bits > contig_bits_)
		return -1;
	u32 carry_start = 0, carry_len = 0;
	for (u32 b = first_free_block_; b < nr_blocks_; b++) {
		const BlockHint& h = hints_[b];
		const u32 base = b * block_bits_;
		if (h.contig == block_bits_) {
			// Wholly free: extends the run; tested when it ends.
			if (!carry_len)
				carry_start = base;
			carry_len += block_bits_;
			continue;
		}
		// The run reaching into this block from the left ends here.
		if (carry_len + h.left_free >= bits) {
			u32 s = carry_len ? carry_start : base;
			int r = fit_in_run(s, carry_len + h.left_free, bits, align, pop_only);
			if (r >= 0)
				return r;
		}
		// Runs strictly inside the block: only if the hint allows.
		if (h.contig >= bits) {
			u32 lo = base + h.left_free, hi = base + block_bits_ - h.right_free;
			u32 pos = lo;
			while (pos < hi) {
				u32 z = find_next_zero(alloc_map_, hi, pos);
				if (z >= hi)
					break;
				u32 o = find_next_set(alloc_map_, hi, z);
				if (o - z >= bits) {
					int r = fit_in_run(z, o - z, bits, align, pop_only);
					if (r >= 0)
						return r;
				}
				pos = o;
			}
		}
		carry_start = base + block_bits_ - h.right_free;
		carry_len = h.right_free;
	}
	if (carry_len >= bits)
		return fit_in_run(carry_start, carry_len, bits, align, pop_only);
	return -1;
}

void AreaMap::alloc(u32 off, u32 bits)
{
	PCPU_BUG_ON(off + bits > nr_bits_ || !range_is(alloc_map_, off, bits, false));
	assign_range(alloc_map_, off, bits, true);
	set(bound_map_, off);
	if (bits > 1)
		assign_range(bound_map_, off + 1, bits - 1, false);
	set(bound_map_, off + bits);
	free_bits_ -= bits;
	refresh(off / block_bits_, (off + bits - 1) / block_bits_);
}

u32 AreaMap::alloc_size(u32 off) const
{
	if (off >= nr_bits_ || !test(bound_map_, off) || !test(alloc_map_, off))
		return 0;
	return find_next_set(bound_map_, nr_bits_ + 1, off + 1) - off;
}

u32 AreaMap::free(u32 off)
{
	u32 bits = alloc_size(off);
	if (!bits || !range_is(alloc_map_, off, bits, true))
		return 0;
	// The start bit stays, as in mm/percpu.c: it may be the end marker of
	// the allocation before, and a later allocation covering it clears it.
	// A set bound bit on an allocated granule always marks a start.
	assign_range(alloc_map_, off, bits, false);
	free_bits_ += bits;
	refresh(off / block_bits_, (off + bits - 1) / block_bits_);
	return bits;
}

void AreaMap::set_populated(u32 block, bool populated)
{
	if (block_populated(block) == populated)
		return;
	if (populated) {
		set(populated_, block);
		nr_populated_++;
		nr_empty_pop_ += block_empty(block);
	} else {
		clear(populated_, block);
		nr_populated_--;
		nr_empty_pop_ -= block_empty(block);
	}
}

AreaStats AreaMap::stats() const
{
	AreaStats st = {};
	st.free_bytes = free_bits_ * kMinAllocBytes;
	st.contig_bytes = contig_bits_ * kMinAllocBytes;
	// The last allocated bit bounds the fragments, as in percpu-stats.
	u32 last = 0;
	for (u32 w = words_for(nr_bits_); w-- > 0;) {
		if (alloc_map_[w]) {
			last = w * kWordBits + fls64(alloc_map_[w]);
			break;
		}
	}
	u32 pos = 0;
	while (pos < last) {
		if (test(alloc_map_, pos)) {
			st.nr_allocs++;
			pos = find_next_set(bound_map_, nr_bits_ + 1, pos + 1);
			continue;
		}
		u32 end = find_next_set(alloc_map_, last, pos);
		u32 bytes = (end - pos) * kMinAllocBytes;
		st.sum_frag += bytes;
		st.max_frag = max(st.max_frag, bytes);
		pos = end;
	}
	return st;
}

const char* AreaMap::check() const
{
	u32 free = 0, empty_pop = 0, pop = 0;
	for (u32 b = 0; b < nr_blocks_; b++) {
		BlockHint h = compute_block(b);
		const BlockHint& k = hints_[b];
		if (h.contig != k.contig || h.left_free != k.left_free ||
		    h.right_free != k.right_free || h.first_free != k.first_free ||
		    (h.contig && h.contig_start != k.contig_start))
			return "block hint differs from recount";
		for (u32 i = b * block_bits_; i < (b + 1) * block_bits_; i++)
			free += !test(alloc_map_, i);
		if (block_populated(b)) {
			pop++;
			empty_pop += h.contig == block_bits_;
		}
	}
	if (free != free_bits_)
		return "free_bits differs from recount";
	if (pop != nr_populated_)
		return "nr_populated differs from recount";
	if (empty_pop != nr_empty_pop_)
		return "nr_empty_populated differs from recount";
	// Chunk-wide largest run, bit by bit.
	u32 run = 0, best = 0, first_free = nr_bits_;
	for (u32 i = 0; i < nr_bits_; i++) {
		if (test(alloc_map_, i)) {
			run = 0;
			continue;
		}
		first_free = min(first_free, i);
		best = max(best, ++run);
	}
	if (best != contig_bits_)
		return "contig_bits differs from recount";
	if (first_free != nr_bits_ && first_free / block_bits_ != first_free_block_)
		return "first_free_block differs from recount";
	// Every allocation is bounded: a set alloc bit after a clear one or
	// at 0 must start with a bound bit.
	for (u32 i = 0; i < nr_bits_; i++) {
		bool a = test(alloc_map_, i);
		bool prev = i ? test(alloc_map_, i - 1) : false;
		if (a && !prev && !test(bound_map_, i))
			return "allocation without a start bound";
	}
	return nullptr;
}

} // namespace pcp
