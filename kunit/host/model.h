// SPDX-License-Identifier: GPL-2.0
//
// model.h - what the host tests and the fuzz targets compare the core
// against, and the fuzz input decoder.  Core flags, no libstdc++.
//
//  GranuleModel, compare()  the area map's reference model, shared with
//                the KUnit suite: ../area_model.h
//  Input         reads the fuzz input as little-endian integers, 0 once
//                exhausted; leading lines starting with '#' are a comment
//                (corpus files describe themselves that way).
#pragma once

#include "../area_model.h"
#include "host.h"

namespace model {

using pcp::u8;
using pcp::u16;
using pcp::u32;
using pcp::u64;

class Input {
public:
	Input(const u8* data, u32 size) : d_(data), n_(size)
	{
		// "# comment\n" lines at the start are not input.
		while (pos_ < n_ && d_[pos_] == '#') {
			while (pos_ < n_ && d_[pos_] != '\n')
				pos_++;
			if (pos_ < n_)
				pos_++;
		}
	}
	bool done() const { return pos_ >= n_; }
	u8 u8_() { return pos_ < n_ ? d_[pos_++] : 0; }
	// Little-endian; each byte read in its own statement (the order of
	// two calls in one expression is unspecified).
	u16 u16_()
	{
		u16 lo = u8_();
		u16 hi = u8_();
		return u16(lo | hi << 8);
	}
	u32 u32_()
	{
		u32 lo = u16_();
		u32 hi = u16_();
		return lo | hi << 16;
	}
	u32 below(u32 n) { return n ? u32_() % n : 0; }
	u32 small_below(u32 n) { return n ? u8_() % n : 0; }

private:
	const u8* d_;
	u32 n_;
	u32 pos_ = 0;
};

// Sizes for the area map fuzzer: mostly small, sometimes a block or more.
inline u32 pick_bits(Input& in, u32 nr_bits)
{
	u8 k = in.u8_();
	u32 v = in.u16_();
	switch (k % 4) {
	case 0:
	case 1:
		return 1 + v % 16;
	case 2:
		return 1 + v % 256;
	default:
		return 1 + v % (nr_bits + 8); // may exceed the unit
	}
}

} // namespace model
