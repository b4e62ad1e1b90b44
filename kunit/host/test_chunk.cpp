// SPDX-License-Identifier: GPL-2.0
//
// test_chunk.cpp - host unit tests of Chunk's address arithmetic (suite
// Chunk): a CPU's copy lies at base + cpu * unit_bytes computed in 64 bits.
// Hundreds of CPU ids times a 16 MiB unit pass 4 GiB, where a 32-bit product
// wraps onto a low CPU's page (issue 19, item 1).  The host's fake CPUs stop
// at 64, so the arithmetic is checked on a Chunk directly.
#define private public
#include "chunk.h"
#undef private
#include "ht.h"

using namespace pcp;

HT_CASE(Chunk, AddressesPastFourGiB)
{
	Chunk c;
	c.base_ = 0xffa0000000000000ul;
	c.unit_bytes_ = 16u << 20;
	static const int cpus[] = {0, 1, 255, 256, 300, 4095};
	for (int cpu : cpus) {
		uptr want = c.base_ + uptr(cpu) * (16ul << 20) + 4096;
		HT_EXPECT(c.addr(cpu, 4096) == want, "CPU %d: %#lx, want %#lx", cpu,
			  (unsigned long)c.addr(cpu, 4096), (unsigned long)want);
	}
	HT_EXPECT(c.addr(256, 0) != c.addr(0, 0), "CPU 256's copy is CPU 0's");
}
