// SPDX-License-Identifier: GPL-2.0
//
// bitmap.h - word-at-a-time bitmap helpers over u64 arrays (the kernel's
// find_next_bit family, which the core cannot include).  Pure functions;
// callers hold whatever lock protects the map.  No popcount: without
// -mpopcnt g++ emits a libgcc call the kernel does not have.
#pragma once

#include "types.h"

namespace pcp::bitmap {

constexpr u32 kWordBits = 64;

inline u32 words_for(u32 bits) { return div_round_up(bits, kWordBits); }

inline bool test(const u64* map, u32 bit)
{
	return (map[bit / kWordBits] >> (bit % kWordBits)) & 1;
}
inline void set(u64* map, u32 bit) { map[bit / kWordBits] |= 1ull << (bit % kWordBits); }
inline void clear(u64* map, u32 bit) { map[bit / kWordBits] &= ~(1ull << (bit % kWordBits)); }

// Mask of bits [lo, hi) within one word, 0 <= lo < hi <= 64.
inline u64 range_mask(u32 lo, u32 hi)
{
	u64 m = hi == 64 ? ~0ull : (1ull << hi) - 1;
	return m & ~((1ull << lo) - 1);
}

// Set or clear bits [start, start + nr).
inline void assign_range(u64* map, u32 start, u32 nr, bool value)
{
	u32 end = start + nr;
	while (start < end) {
		u32 w = start / kWordBits, lo = start % kWordBits;
		u32 hi = min<u32>(kWordBits, lo + (end - start));
		u64 m = range_mask(lo, hi);
		if (value)
			map[w] |= m;
		else
			map[w] &= ~m;
		start += hi - lo;
	}
}

// First bit in [start, end) equal to @value, or @end.
inline u32 find_next(const u64* map, u32 end, u32 start, bool value)
{
	while (start < end) {
		u32 w = start / kWordBits, lo = start % kWordBits;
		u64 word = value ? map[w] : ~map[w];
		word &= range_mask(lo, kWordBits);
		if (word) {
			u32 bit = w * kWordBits + __builtin_ctzll(word);
			return min(bit, end);
		}
		start = (w + 1) * kWordBits;
	}
	return end;
}

inline u32 find_next_set(const u64* map, u32 end, u32 start)
{
	return find_next(map, end, start, true);
}
inline u32 find_next_zero(const u64* map, u32 end, u32 start)
{
	return find_next(map, end, start, false);
}

// Are all bits of [start, start + nr) equal to @value?
inline bool range_is(const u64* map, u32 start, u32 nr, bool value)
{
	return find_next(map, start + nr, start, !value) == start + nr;
}

} // namespace pcp::bitmap
