// SPDX-License-Identifier: GPL-2.0
//
// area_map.h - the area allocator of one chunk: which bytes of a unit are
// allocated, where each allocation starts and ends, which pages are
// populated, and hints that keep a fit search from scanning every bit.
//
// Layout, after mm/percpu.c: a unit is split into 4-byte granules
// (kMinAllocBytes), one bit each in alloc_map (1 = allocated).  bound_map
// has a bit at the first granule of every allocation and one past its last
// granule (bits inside an allocation are clear; a bit on a free granule is
// stale and harmless), so free() learns an allocation's size from the map
// alone and rejects an offset that is not the start of a live allocation:
// a free granule (double free) or one without a start bit (interior or
// foreign pointer).  The unit is cut into blocks of one page; block == page
// so "this page is empty" is "this block is all free", and the populated
// bitmap has one bit per block.
//
// Hints: per block, the exact largest free run inside it (contig, with its
// start), the free run touching its left edge and its right edge, and the
// first free bit.  After every change the touched blocks' hints are
// recomputed exactly from their 16 words, so unlike the kernel's (which may
// go stale and then need a scan_hint) they are never approximate.  Runs that
// span blocks are found by joining right_free, fully free blocks and the
// next left_free; the chunk-wide largest run (contig_bits) and first free
// block are recomputed from the block hints (one pass over 16-64 blocks).
//
// Fit policy: first fit in address order, honouring alignment; with
// populated_only, a fit must lie wholly in populated pages.
//
// Not thread-safe: the allocator's pool lock protects every AreaMap.
#pragma once

#include "bitmap.h"
#include "gfp.h"

namespace pcp {

constexpr u32 kMinAllocBytes = 4;

struct BlockHint {
	u16 contig; // largest free run in the block, bits
	u16 contig_start; // its first bit, block relative
	u16 left_free; // free bits at the block's start
	u16 right_free; // free bits at the block's end
	u16 first_free; // first free bit, block relative (== block bits if none)
};

struct AreaStats {
	u32 free_bytes;
	u32 contig_bytes;
	// As the kernel's percpu_stats: free runs before the last allocation
	// (the tail behind it is not a fragment), summed and largest, bytes.
	u32 sum_frag;
	u32 max_frag;
	u32 nr_allocs;
};

class AreaMap {
public:
	AreaMap() = default;
	~AreaMap();
	PCPU_NO_COPY_NO_MOVE(AreaMap);

	// @unit_bytes and @block_bytes are multiples of kMinAllocBytes;
	// block_bytes divides unit_bytes.  Allocates metadata with @gfp.
	[[nodiscard]] bool init(u32 unit_bytes, u32 block_bytes, Gfp gfp);

	// First aligned fit of @bits, or -1.  @align_bits is a power of two.
	int find_fit(u32 bits, u32 align_bits, bool populated_only) const;
	// Marks [off, off + bits) allocated; it must be free.
	void alloc(u32 off, u32 bits);
	// Frees the allocation starting at @off; returns its size in bits, or
	// 0 if no live allocation starts there (nothing is changed then).
	u32 free(u32 off);
	// Size in bits of the live allocation at @off, or 0.
	u32 alloc_size(u32 off) const;

	void set_populated(u32 block, bool populated);
	bool block_populated(u32 block) const { return bitmap::test(populated_, block); }
	bool block_empty(u32 block) const { return hints_[block].contig == block_bits_; }
	bool range_populated(u32 off, u32 bits) const;
	bool granule_allocated(u32 off) const { return bitmap::test(alloc_map_, off); }

	u32 nr_bits() const { return nr_bits_; }
	u32 block_bits() const { return block_bits_; }
	u32 nr_blocks() const { return nr_blocks_; }
	u32 free_bits() const { return free_bits_; }
	u32 contig_bits() const { return contig_bits_; }
	u32 nr_populated() const { return nr_populated_; }
	u32 nr_empty_populated() const { return nr_empty_pop_; }
	bool all_free() const { return free_bits_ == nr_bits_; }
	const BlockHint& hint(u32 block) const { return hints_[block]; }

	AreaStats stats() const;
	// Debug: recompute everything from the bitmaps and compare with the
	// hints and counters.  Returns nullptr if consistent, else what broke.
	const char* check() const;

private:
	BlockHint compute_block(u32 block) const;
	void refresh(u32 first_block, u32 last_block);
	void refresh_chunk();
	int fit_in_run(u32 start, u32 len, u32 bits, u32 align, bool pop_only) const;

	u32 nr_bits_ = 0;
	u32 block_bits_ = 0;
	u32 nr_blocks_ = 0;
	u64* alloc_map_ = nullptr; // nr_bits_
	u64* bound_map_ = nullptr; // nr_bits_ + 1
	u64* populated_ = nullptr; // nr_blocks_
	BlockHint* hints_ = nullptr; // nr_blocks_, exact (see above)
	u32 free_bits_ = 0; // == zero bits of alloc_map_
	u32 contig_bits_ = 0; // largest free run in the unit
	u32 first_free_block_ = 0; // no free bit before this block
	u32 nr_populated_ = 0; // set bits of populated_
	u32 nr_empty_pop_ = 0; // populated blocks that are all free
};

} // namespace pcp
