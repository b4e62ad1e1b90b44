// SPDX-License-Identifier: GPL-2.0
//
// allocator.h - the percpu area allocator (the Pool) and its contexts.
//
// The Pool owns every chunk.  A request is served in one of two ways:
//
//  atomic   (gfp cannot sleep)  pool lock only, IRQs off.  First fit over
//           the chunk slots, populated pages only.  Never sleeps, never
//           takes the mutex, never allocates.  On failure: NULL at once,
//           the failure is counted and the balance work is kicked.
//  sleepable                   the allocator mutex (killable unless
//           __GFP_NOFAIL), then: a populated fit, else any fit whose pages
//           are populated now, else a new chunk.  Everything allocated
//           under the mutex uses AllocCtx::under_mutex(): the caller's
//           constraint minus FS and IO.
//
// Chunks sit on slot lists by their largest free run (slot = fls(bytes),
// 0 = full, the last slot = wholly free), so a search starts at the first
// slot that can hold the request and visits partly used chunks before free
// ones.  The chunk index (ChunkIndex below) maps a pointer back to its
// chunk: under the pool lock for free(), and without any lock, inside an
// RCU read-side section, for the mempool's element tags (chunk.h).
//
// The balance work (balance.cpp) runs on an unbound WQ_MEM_RECLAIM
// workqueue under the mutex: it keeps the number of empty populated pages
// between the watermarks, adapting the target to recent atomic demand,
// depopulates surplus pages with one TLB flush per batch, and frees wholly
// free chunks beyond one spare.
//
// Lock order: mutex -> pool lock.  The pool lock is never held across an
// allocation, a PTE change or a TLB flush.
#pragma once

#include "../include/pcpupool/stats.h"
#include "chunk.h"
#include "memalloc.h"
#include "sync.h"

namespace pcp {

// Proof that the allocator mutex is held, and the gfp for everything
// allocated while it is: the caller's constraint without FS and IO.
class MutexCtx {
public:
	MutexCtx(const MutexGuard& held, AllocCtx ctx)
		: gfp_(pcpu_test_unsafe_gfp() ? Gfp::kernel() : ctx.under_mutex()),
		  nofail_(ctx.nofail())
	{
		PCPU_BUG_ON(!held.held());
		if (nofail_)
			gfp_ = gfp_.with(pcpu_gfp.nofail);
	}
	Gfp gfp() const { return gfp_; }
	bool nofail() const { return nofail_; }

private:
	Gfp gfp_;
	bool nofail_;
};

// Every chunk, sorted by base.  Never changed in place: creating or
// destroying chunks (under the allocator mutex) publishes a new copy under
// the pool lock and frees the old one after an RCU grace period; a chunk
// itself is freed only after a grace period once it is out of the index.
// So a reader holds either the pool lock or an RcuReadGuard.
struct ChunkIndex {
	u32 n;
	Chunk* c[]; // [n]

	Chunk* find(uptr p) const;
};

// Element tags (chunk.h): the owning mempool's id << 1 | kTagOut, or 0.
// kTagOut is set while the element is handed out to a user, clear while
// it sits in the mempool's reserve.
constexpr u8 kTagOut = 1;

// The possible CPUs, in order (for range-for); fixed after Pool::init().
struct CpuList {
	const u32* first;
	u32 n;
	const u32* begin() const { return first; }
	const u32* end() const { return first + n; }
};

struct Placement {
	Chunk* chunk = nullptr;
	u32 off = 0; // bits, unit relative
	explicit operator bool() const { return chunk != nullptr; }
};

// Watermarks of empty populated pages and the adaptive target.
struct Watermarks {
	u32 low = 2; // below this the balance work populates...
	u32 high = 4; // ...up to this; above it, it depopulates
	u32 cap = 64; // the adaptive target never exceeds this
};

class Pool {
public:
	constexpr Pool() = default;
	PCPU_NO_COPY_NO_MOVE(Pool);

	// Module init/exit.  @unit_bytes: a multiple of PAGE_SIZE, >= 32 KiB.
	[[nodiscard]] int init(u32 unit_bytes);
	void exit();

	// @tag: a mempool element's tag (see kTagOut); @align is then a
	// multiple of kTagBytes.
	void* alloc(usize bytes, usize align, Gfp gfp, u8 tag = 0);
	// pcpupool_free(): refuses (WARN_ONCE) an element that sits in a
	// mempool's reserve.
	void free(void* p) { free_impl(p, false); }
	// A mempool returning an element it owns: clears the tag.
	void free_elem(void* p) { free_impl(p, true); }
	// The tag byte of the allocation that starts at @p, or nullptr if @p is
	// not inside a chunk at a multiple of kTagBytes.  Takes no lock: the
	// caller holds an RcuReadGuard for as long as it uses the result.
	u8* tag_of(const void* p) const;

	// Balance work (balance.cpp).
	void balance();
	void kick_balance(bool now);
	void flush_balance();

	// Observability (stats.cpp).
	void get_stats(pcpupool_stats* st);
	void show_stats(void* seq);
	void show_chunks(void* seq);
	const char* check();
	int set_low(u64 v);
	int set_high(u64 v);
	int set_cap(u64 v);
	Watermarks watermarks() const { return wm_; }
	void test_hold_mutex(bool hold)
	{
		if (hold)
			pcpu_mutex_lock(mutex_.raw());
		else
			pcpu_mutex_unlock(mutex_.raw());
	}

	u32 unit_bytes() const { return unit_bytes_; }
	const unsigned long* unit_off() const { return unit_off_; }
	u32 nr_units() const { return nr_units_; }
	CpuList possible_cpus() const { return {cpus_, nr_possible_}; }
	u32 page_bytes() const { return page_bytes_; }

private:
	// allocator.cpp
	void* alloc_atomic(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx);
	void* alloc_sleepable(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx);
	Placement find_and_alloc(u32 bits, u32 align_bits, bool pop_only);
	void* finish_alloc(Placement pl, u32 bits, u32 bytes, u8 tag, bool atomic);
	void zero(const Placement& pl, u32 bytes);
	void free_impl(void* p, bool elem);
	Chunk* lookup(uptr p) const;
	u32 nr_chunks() const { return index_ ? index_->n : 0; }
	int slot_of(const Chunk* c) const;
	void relocate(Chunk* c);
	// Runs @fn on @c's area map under the pool lock and keeps the global
	// empty/populated counters and the chunk's slot in step.
	template <typename Fn>
	auto update(Chunk* c, Fn fn);

	[[nodiscard]] Chunk* create_chunk(const MutexCtx& m);
	void destroy_chunk(Chunk* c, const MutexCtx& m);
	// Room for an index of @n chunks, or nullptr.  publish_index() fills
	// it under the pool lock with the current chunks, @add inserted and
	// those off the slot lists (slot -1: being destroyed) left out, and
	// installs it.  Allocator mutex held for both.
	[[nodiscard]] ChunkIndex* new_index(u32 n, const MutexCtx& m);
	void publish_index(ChunkIndex* idx, Chunk* add);
	[[nodiscard]] bool populate_block(Chunk* c, u32 block, const MutexCtx& m);
	[[nodiscard]] bool populate_range(Chunk* c, u32 off, u32 bits, const MutexCtx& m);
	// Unmaps @block's page in every unit onto @pages; the caller flushes
	// the TLB once for a whole batch before freeing them.
	void unmap_block(Chunk* c, u32 block, pcpu_page_list* pages);
	void flush_and_free(pcpu_page_list* pages, u32 nr_blocks);

	// balance.cpp
	void update_target(bool failed);
	void recompute_target();
	void balance_free_chunks(const MutexCtx& m);
	void balance_populate(u32 want, const MutexCtx& m);
	void balance_depopulate(u32 keep, const MutexCtx& m);

	static constexpr int kMaxSlots = 34;

	// Set once by init(), read-only afterwards.
	u32 unit_bytes_ = 0;
	u32 page_bytes_ = 0;
	u32 nr_units_ = 0; // nr_cpu_ids
	u32 nr_possible_ = 0; // possible CPUs: backing pages per unit page
	u32* cpus_ = nullptr; // [nr_possible_], the possible CPUs
	int nr_slots_ = 0; // slots 0..nr_slots_-1, the last = free
	unsigned long* unit_off_ = nullptr; // [nr_units_]
	void* balance_work_ = nullptr;

	Mutex mutex_; // chunk create/destroy, (de)population
	SpinLock lock_; // everything below

	List<Chunk, &Chunk::slot_node> slots_[kMaxSlots];
	ChunkIndex* index_ = nullptr; // RCU-published, see ChunkIndex
	u32 next_chunk_id_ = 0;
	u32 nr_empty_pop_ = 0; // == sum of chunks' nr_empty_populated()
	u32 nr_populated_ = 0; // == sum of chunks' nr_populated() (unit pages)
	bool balance_queued_ = false; // a kick is pending; cleared by balance()
	bool failed_since_balance_ = false;
	u64 atomic_bytes_since_ = 0; // atomic demand since the last balance
	u32 demand_pages_ = 0; // decaying estimate of atomic demand
	Watermarks wm_; // tunables (debugfs), changed under lock_
	u32 target_low_ = 2; // the adaptive target in force
	u32 target_high_ = 4;
	pcpupool_stats st_ = {}; // counters; derived fields filled on read
};

template <typename Fn>
auto Pool::update(Chunk* c, Fn fn)
{
	lock_.assert_held();
	u32 empty = c->map.nr_empty_populated(), pop = c->map.nr_populated();
	auto ret = fn(c->map);
	nr_empty_pop_ += c->map.nr_empty_populated() - empty;
	nr_populated_ += c->map.nr_populated() - pop;
	relocate(c);
	return ret;
}

extern Pool g_pool;

} // namespace pcp
