// SPDX-License-Identifier: GPL-2.0
//
// mempool.h - a percpu mempool: a reserve of preallocated percpu elements
// that constrained callers can draw from without waiting (seeds 000, 002).
//
// Contract (also in include/pcpupool/pcpupool.h):
//  - alloc tries the allocator first, without sleeping (its atomic path);
//    when that fails it takes an element from the reserve;
//  - a caller that cannot sleep, or is NOIO/NOFS by gfp or memalloc scope,
//    never waits: it gets an element or NULL at once and the refill work is
//    kicked.  Andrew Morton's objection to a percpu mempool was that
//    waiting on a refill thread from NOIO context is a hidden GFP_KERNEL
//    dependency; here nothing constrained ever waits on it;
//  - only an unconstrained sleepable caller (GFP_KERNEL outside scopes) may
//    then sleep, in its own direct allocation, as mempool_alloc does;
//  - elements come back zeroed on every CPU;
//  - free puts an element into the reserve while the reserve is below
//    min_nr, otherwise returns it to the allocator.
//
// The reserve is per-CPU magazines in front of a shared depot (Bonwick's
// magazines; SLUB's sheaves).  A CPU's magazine takes no lock: its owner
// pushes and pops with IRQs off, and a pop (owner or thief) is one
// cmpxchg on a (generation, count) word (Mag, below).  Alloc and free that
// hit it take no lock at all; they update one shared counter, the
// reserve's shortfall (deficit_ = min_nr - elements in the reserve), with
// one atomic.  A free puts its element into the reserve (this CPU's
// magazine, or the depot when that is full) only if it can take a unit of
// the shortfall, else it goes back to the allocator: the reserve never
// exceeds min_nr, whichever CPU frees what.  A magazine that runs empty
// takes half a magazine of elements from the depot under the depot
// spinlock.  When the depot is empty too, the caller steals one element
// from another CPU's magazine (under the depot lock, which serializes
// thieves; the owner needs nothing): every element of the reserve is
// reachable from every CPU, so min_nr is a guarantee wherever the caller
// runs, not only on the CPU that freed the elements.  The refill work
// (GFP_KERNEL, on another CPU) fills the shortfall into the depot, or
// trims a surplus after a resize; it allocates with no pool lock held.  A
// CPU that goes offline has its magazine drained by the cpuhp teardown
// callback; resize() drains all of them by IPI.
//
// Misuse of free() is caught before an element enters the reserve, where
// it would otherwise be handed out again: every element carries a tag in
// its chunk's metadata (chunk.h) naming its mempool (an id, 1..127) and
// whether it is out with a user.  free() finds the tag without a lock
// (RCU chunk index) and moves it from out to reserved with one cmpxchg;
// a pointer pcpupool does not own, a plain pcpupool_alloc() pointer, an
// element of another mempool or an element already freed fails that
// step, WARNs once, is counted as misuse and is left alone.  Ids are
// handed out round-robin, so an id comes back only after 126 other pools;
// a pool created while all 127 are taken works unchecked.  Elements are
// aligned to at least kTagBytes (8).
//
// Per-CPU state (magazines, counters) is itself allocated from pcpupool.
#pragma once

#include "allocator.h"
#include "work.h"

namespace pcp {

class Mempool {
public:
	static constexpr u32 kMagSize = 16;

	[[nodiscard]] static Mempool* create(const char* name, u32 size, u32 align, u32 min_nr,
					     Gfp gfp);
	void destroy();
	void release_elements();
	// @injected: fail_pcpupool failed this call's allocator attempts (the
	// reserve may still serve it).
	void* alloc(Gfp gfp, bool injected = false);
	void free(void* elem);
	u32 size() const { return size_; }
	int resize(u32 min_nr);
	void cpu_dead(int cpu);
	void drain_local(); // IPI: this CPU's magazine to depot/allocator
	void refill(); // the refill work
	int refill_rounds(int rounds);
	void flush_refill()
	{
		work_.queue();
		work_.flush();
	}
	void get_stats(pcpupool_mempool_stats* st);
	void show(void* seq);

	ListNode node; // on the global list, under the mempools mutex

private:
	Mempool() = default;
	~Mempool() = default;
	PCPU_NO_COPY_NO_MOVE(Mempool);

	// A CPU's magazine, without a lock: elems[0..count) are ready, and
	// state = gen << 32 | count changes only by cmpxchg, each change
	// bumping gen, so a pop whose cmpxchg succeeds read an element that
	// nobody replaced meanwhile.  Pushes: the owning CPU only, IRQs off
	// (frees, the depot moving half a magazine over).  Pops: the owner
	// (IRQs off), a thief under the depot lock, the hotplug teardown of
	// a dead owner, in any number at once.
	struct Mag {
		Atomic<u64> state;
		Atomic<void*> elems[kMagSize];

		u32 count() const { return u32(state.load(mo::relaxed)); }
		[[nodiscard]] PCPU_ALWAYS_INLINE bool push(void* e);
		PCPU_ALWAYS_INLINE void* pop();
	};
	// One writer each (their CPU, IRQs off), read by get_stats().
	struct CpuStats {
		Atomic<u64> allocator, magazine, depot, direct, failures, waits;
		Atomic<u64> frees_magazine, frees_depot, frees_allocator, outstanding_delta;
		Atomic<u64> misuse;
	};

	// @cpu's magazine and counters (pcpupool memory).
	PCPU_ALWAYS_INLINE Mag* mag(int cpu) const
	{
		return reinterpret_cast<Mag*>(uptr(mags_) + g_pool.unit_off()[cpu]);
	}
	PCPU_ALWAYS_INLINE CpuStats* cstats(int cpu) const
	{
		return reinterpret_cast<CpuStats*>(uptr(stats_) + g_pool.unit_off()[cpu]);
	}
	// What one alloc() may still ask of the allocator: kAll, its quick
	// attempt and then an unconstrained caller's own; kDirect, only the
	// caller's own (the quick one fails at once: the class is exhausted,
	// or a test fault is armed); kNone, nothing (fail_pcpupool failed
	// this call's allocator attempts).
	enum class Ask : u8 { kAll, kDirect, kNone };
	void* alloc_fast(Ask* ask);
	void* alloc_impl(const AllocCtx& ctx, Gfp gfp, bool may_wait, Ask ask);
	void* take_reserve(bool* kick);
	void* steal_locked(int cpu) PCPU_REQUIRES(depot_lock_);
	void* pop_any_locked(int skip) PCPU_REQUIRES(depot_lock_);
	u8 tag(bool out) const { return id_ ? u8(id_ << 1 | (out ? kTagOut : 0)) : 0; }
	void mark_out(void* elem) const;
	[[nodiscard]] bool check_free(void* elem, int cpu);
	void report_bad_free(void* elem, bool ours, u8 seen);
	void zero(void* elem) const;
	u32 present_locked() const PCPU_REQUIRES(depot_lock_); // depot + magazines
	void kick_refill();
	[[nodiscard]] bool take_deficit();
	void left_reserve();
	void to_depot(void* elem);

	char name_[32] = {};
	u32 size_ = 0;
	u32 align_ = 0;
	u32 min_nr_ = 0; // changed by resize() under depot_lock_
	// min_nr_ - (depot + magazines): atomics only (mempool.cpp).
	Atomic<i32> deficit_;
	u8 id_ = 0; // element tag id, 0 = unchecked
	int cls_ = -1; // the front end's class of an element, or -1
	void* mags_ = nullptr; // percpu Mag (pcpupool memory)
	void* stats_ = nullptr; // percpu CpuStats
	SpinLock depot_lock_; // depot_, depot_count_, depot_cap_, counters below
	// depot_[0..depot_count_) are ready elements
	void** depot_ PCPU_GUARDED_BY(depot_lock_) = nullptr;
	u32 depot_count_ PCPU_GUARDED_BY(depot_lock_) = 0;
	u32 depot_cap_ PCPU_GUARDED_BY(depot_lock_) = 0;
	u64 refills_ PCPU_GUARDED_BY(depot_lock_) = 0;
	u64 refill_runs_ PCPU_GUARDED_BY(depot_lock_) = 0;
	u64 depot_ops_ PCPU_GUARDED_BY(depot_lock_) = 0;
	WorkItem work_; // refill()
	void* dir_ = nullptr;
	pcpu_debugfs_file files_[1] = {};
};

// Module-wide: the list of mempools (for CPU hotplug) and its mutex.
[[nodiscard]] int mempools_init();
void mempools_exit();

} // namespace pcp
