// SPDX-License-Identifier: GPL-2.0
//
// chunk.h - a chunk: one contiguous range of the vmalloc area holding one
// unit per possible CPU, and the AreaMap that allocates inside a unit.
//
//   base ............ unit 0 (CPU 0) | unit 1 (CPU 1) | ... | unit N-1
//
// Every unit has the same layout, so one AreaMap describes all of them and
// an allocation at unit offset `off` is `base + off` (the percpu pointer
// handed out) plus `unit_off[cpu] = cpu * unit_bytes` for CPU cpu's copy.
// A page of the unit is populated in every unit at once, each CPU's copy
// from that CPU's NUMA node.
//
// Locking: the area map, slot and list membership are protected by the
// pool lock (spinlock, IRQ-safe).  Creating, populating, depopulating and
// destroying a chunk need the allocator mutex (sleepable context); the
// populated bit of a block changes under both, so the atomic path, which
// holds only the spinlock, sees a page either fully mapped or not usable.
//
// Element tags: one byte per kTagBytes of the unit, nonzero only at the
// start of a live allocation that a mempool owns (mempool.h gives them
// their meaning).  They are written under the pool lock when the
// allocation is made or freed, and read and changed with atomics by the
// mempool without the lock: a chunk is found without the lock through the
// RCU-published chunk index and freed only after a grace period.
//
// Class bytes (meta): the same granularity, nonzero only at the start of a
// class object of the per-CPU front end (allocator.h): its size class and
// whether it sits in a CPU's cache.  Set under the pool lock when a batch
// is carved, moved between "cached" and "out" without it (a free does it
// with one cmpxchg, so a double free is seen), cleared under the lock when
// the object goes back to the area map.
#pragma once

#include "area_map.h"
#include "atomic.h"
#include "list.h"

namespace pcp {

// Granularity of element tags: mempool elements are aligned to this.
constexpr u32 kTagBytes = 8;

class Chunk {
public:
	Chunk() = default;
	~Chunk()
	{
		delete[] tags_;
		delete[] meta_;
	}
	PCPU_NO_COPY_NO_MOVE(Chunk);

	uptr base() const { return base_; }
	uptr end() const { return base_ + unit_bytes_; } // of unit 0
	bool contains(uptr p) const { return p >= base_ && p < end(); }
	// Address of CPU @cpu's copy of unit offset @off.
	// 64-bit: nr_cpu_ids * unit_bytes may exceed 4 GiB (256 CPUs x 16 MiB).
	uptr addr(int cpu, u32 off) const { return base_ + uptr(cpu) * unit_bytes_ + off; }
	// The tag byte of the allocation at unit offset @off (a multiple of
	// kTagBytes).
	Atomic<u8>* tag(u32 off) const { return &tags_[off / kTagBytes]; }
	// The class byte of the allocation at @off (allocator.h, kMetaCached):
	// 0 unless a per-CPU cache's class object starts there.
	Atomic<u8>* meta(u32 off) const { return &meta_[off / kTagBytes]; }

	AreaMap map; // protected by the pool lock
	ListNode slot_node; // in Pool::slots_[slot], under the pool lock
	// The slot list this chunk is on; -1 while it is on none: created and
	// not yet placed, or chosen by the balance work for destruction.
	int slot = -1;
	// Chosen for destruction, leaving the index: written and read under
	// the allocator mutex only (Pool::publish_index()).
	bool retiring = false;
	u32 id = 0; // creation number, for debugfs
	u64 atomic_bytes = 0; // bytes served to atomic callers (stats)

private:
	friend class Pool;
	uptr base_ = 0; // unit 0; the whole range is nr_units * unit
	u32 unit_bytes_ = 0;
	void* vm_ = nullptr; // what pcpu_vm_reserve returned
	// Read and written without the pool lock (cmpxchg, relaxed stores).
	Atomic<u8>* tags_ = nullptr; // unit_bytes_ / kTagBytes element tags
	Atomic<u8>* meta_ = nullptr; // unit_bytes_ / kTagBytes class bytes
};

} // namespace pcp
