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
// In front of all this sits the per-CPU front end (cache.cpp): small
// requests (8 B .. 1 KiB, power-of-two size classes) are served from and
// freed to this CPU's cache of class objects with IRQs off and no lock;
// misses carve a batch out of populated pages, and an overfull cache
// flushes half of it, each under one pool lock acquisition.  A class
// object is an ordinary allocation of the area map whose chunk metadata
// byte (Chunk::meta) names its class and whether it sits in a cache.
//
// The balance work (balance.cpp) runs on pcpupool's WQ_MEM_RECLAIM
// workqueue, queued on another CPU than the allocating one, under the mutex: it keeps the number of empty populated pages
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
#include "work.h"

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

	// Binary search: the chunk whose range holds @p, or nullptr.
	PCPU_ALWAYS_INLINE Chunk* find(uptr p) const
	{
		u32 lo = 0, hi = n;
		while (lo < hi) {
			u32 mid = (lo + hi) / 2;
			Chunk* ch = c[mid];
			if (p < ch->base())
				hi = mid;
			else if (p >= ch->end())
				lo = mid + 1;
			else
				return ch;
		}
		return nullptr;
	}
};

// mempool.cpp: whether a mempool with element tag id @id exists now (read
// without its lock: a pool being created or destroyed may be seen either way).
bool mempool_id_live(u32 id);

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

// ---- the per-CPU front end (cache.cpp) ----
//
// Classes are powers of two from 8 B to 1 KiB: percpu objects are mostly
// counters and small stat blocks (u64, a few u64s), a power-of-two class
// is found with one fls, and the rounding loses at most half of an object
// (2 % on the bench's mixed workload, where most sizes are 8 B or powers
// of two).  A class object is aligned to min(class, 64 B), so a request
// with a larger alignment bypasses the caches.
constexpr u32 kNrClasses = 8;
constexpr u32 kClassMinBytes = 8;
constexpr u32 kClassMaxBytes = kClassMinBytes << (kNrClasses - 1);
constexpr u32 kClassAlignMax = 64;
constexpr u32 kCacheMax = 64; // objects per class per CPU, at most
// Chunk::meta of a class object: (class + 1) << 1, | kMetaCached while it
// sits in a cache rather than with a user.
constexpr u8 kMetaCached = 1;

PCPU_ALWAYS_INLINE constexpr u32 class_bytes(int cls) { return kClassMinBytes << cls; }
PCPU_ALWAYS_INLINE constexpr u32 class_align(int cls)
{
	return min(class_bytes(cls), kClassAlignMax);
}
// How many objects a CPU keeps per class: about 2 KiB of each unit, at
// least 4 and at most kCacheMax, so a CPU's caches hold at most ~16 KiB
// per unit (the figure that multiplies by CPUs twice: README).
PCPU_ALWAYS_INLINE constexpr u32 class_cap(int cls)
{
	return min(kCacheMax, max(4u, 2048u / class_bytes(cls)));
}

// A single-writer counter (the owning CPU with IRQs off): a relaxed store,
// so that a reader on another CPU (stats) never sees a torn value.
PCPU_ALWAYS_INLINE void bump(Atomic<u64>& c, u64 by = 1) { c.add_single_writer(by); }
PCPU_ALWAYS_INLINE u8 meta_out(int cls) { return u8((cls + 1) << 1); }
PCPU_ALWAYS_INLINE int meta_class(u8 m) { return (m >> 1) - 1; }

// One CPU's counters of one class.  Single writer: the owning CPU with
// IRQs off (or the hotplug callback once it is dead); summed on read.
struct ClassCounters {
	Atomic<u64> hits; // allocations served from the cache
	Atomic<u64> misses; // allocations that refilled it
	Atomic<u64> carved; // objects taken from the area map into this CPU's class
	Atomic<u64> flushed; // objects returned from the cache to the area map
	Atomic<u64> allocs; // objects handed to users
	Atomic<u64> frees; // objects users gave back
	Atomic<u64> atomic; // of allocs: atomic requests
	Atomic<u64> fails; // atomic requests refused
};

// One CPU's front end, in the kernel's percpu memory (Pool::init_cache).
struct CpuCache {
	struct Class {
		// objs[0..count) are ready, zeroing pending.  Written by its
		// CPU (IRQs off, or the hotplug callback once it is dead), read
		// by cached_objects() on any CPU.
		Atomic<u32> count;
		void* objs[kCacheMax];

		PCPU_ALWAYS_INLINE u32 n() const { return count.load(mo::relaxed); }
		PCPU_ALWAYS_INLINE void set_count(u32 v) { count.store(v, mo::relaxed); }
		PCPU_ALWAYS_INLINE void* pop()
		{
			set_count(n() - 1);
			return objs[n()];
		}
		PCPU_ALWAYS_INLINE void push(void* p)
		{
			objs[n()] = p;
			set_count(n() + 1);
		}
	} cls[kNrClasses];
	ClassCounters ctr[kNrClasses];
	// Requested sizes seen (stats), and used since the idle trim last
	// looked: written by its CPU, read (touched: cleared) by others.
	Atomic<u64> min_size, max_size;
	Atomic<u32> touched;
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
	// The hit of this CPU's cache is inline (below); the rest is
	// alloc_slow().
	PCPU_ALWAYS_INLINE void* alloc(usize bytes, usize align, Gfp gfp, u8 tag = 0);
	// IRQs off on @cpu: the cache hit of a request of class @cls, the one
	// copy every path uses, without a lock: an object (handed out with
	// @tag; the caller zeroes it), or nullptr and *@why: kAtomicMiss (only
	// the locked path can tell), or, for an @atomic request only,
	// kAtomicExhausted (the class is out of populated memory:
	// atomic_failed() once IRQs are on again) or, with @fault, kAtomicFault
	// (test builds: an armed fault failed it).  Pool::alloc()'s inline hit
	// runs only with no fault site armed and passes @fault false, a
	// constant: no second load of pcpu_fault_armed on the hot path.
	static constexpr int kAtomicMiss = 0, kAtomicExhausted = 1, kAtomicFault = 2;
	PCPU_ALWAYS_INLINE void* hit_irqs_off(int cls, u32 bytes, u8 tag, int cpu, bool atomic,
					      bool fault, int* why);
	// After kAtomicExhausted: the balance work must know.
	void atomic_failed()
	{
		if (!queued()) {
			failed_since_balance_.store(true, mo::relaxed);
			kick_balance(/*now=*/true);
		}
	}
	void* alloc_slow(usize bytes, usize align, Gfp gfp, u8 tag);
	// The class of a request the per-CPU caches serve, or -1.
	PCPU_ALWAYS_INLINE static int class_of(usize bytes, usize align)
	{
		if (bytes > kClassMaxBytes)
			return -1;
		int cls = bytes <= kClassMinBytes ? 0 : fls64(bytes - 1) - 3;
		if (align > class_align(cls))
			return -1;
		return cls;
	}
	// @n objects at once, all or nothing (kENOMEM, every out[] nullptr);
	// a batch of class objects takes this CPU's cache once.
	[[nodiscard]] int alloc_bulk(usize bytes, usize align, Gfp gfp, u32 n, void** out);
	void free_bulk(u32 n, void* const* ptrs);
	// pcpupool_free(): refuses (WARN_ONCE) an element that sits in a
	// mempool's reserve.
	PCPU_ALWAYS_INLINE void free(void* p) { free_fast(p, false); }
	// A mempool returning an element it owns: clears the tag.
	PCPU_ALWAYS_INLINE void free_elem(void* p) { free_fast(p, true); }
	// The tag byte of the allocation that starts at @p, or nullptr if @p is
	// not inside a chunk at a multiple of kTagBytes.  Takes no lock: the
	// caller holds an RcuReadGuard for as long as it uses the result.
	PCPU_ALWAYS_INLINE Atomic<u8>* tag_of(const void* ptr) const
	{
		uptr p = reinterpret_cast<uptr>(ptr);
		const ChunkIndex* idx = index_.load(mo::acquire);
		Chunk* c = idx ? idx->find(p) : nullptr;
		if (!c || (p - c->base()) % kTagBytes)
			return nullptr;
		return c->tag(p - c->base());
	}

	// Per-CPU front end (cache.cpp).  drain_caches(): every online CPU's
	// cache back to the area map (IPI; process context).  cache_cpu_dead():
	// the hotplug teardown of a CPU that is gone.  cached_objects(): what
	// the caches hold now (the shrinker's count).
	void drain_caches();
	void cache_drain_local(); // IRQs off, this CPU
	void cache_cpu_dead(int cpu);
	u64 cached_objects() const;
	void set_caching(bool on);
	PCPU_ALWAYS_INLINE bool caching() const { return cache_on_.load(mo::relaxed); }
	void show_cache(void* seq);

	// Balance work (balance.cpp).
	void balance();
	void reap();
	void kick_balance(bool now);
	void flush_balance();

	// Observability (stats.cpp).
	void get_stats(pcpupool_stats* st);
	void show_stats(void* seq);
	void show_chunks(void* seq);
	const char* check();
	// Test builds: the negative control of the views' one-chunk-per-IRQ-off
	// -section rule: walk_chunks() holds the pool lock for the whole walk,
	// as the views did before (the IRQ-off walk count must catch it).
	void test_whole_walk(bool on) { test_whole_walk_.store(on, mo::relaxed); }
	int set_low(u64 v);
	int set_high(u64 v);
	int set_cap(u64 v);
	// The largest cap set_cap() accepts on this machine.
	u64 cap_limit() const;
	Watermarks watermarks()
	{
		SpinIrqGuard g(lock_);
		return wm_;
	}
	void test_hold_mutex(bool hold)
	{
		if (hold)
			pcpu_mutex_lock(mutex_.raw());
		else
			pcpu_mutex_unlock(mutex_.raw());
	}

	// The allocator mutex is held by the calling task (allocation recorder).
	bool mutex_held() const { return mutex_.held_by_current(); }
	u32 unit_bytes() const { return unit_bytes_; }
	PCPU_ALWAYS_INLINE const unsigned long* unit_off() const { return unit_off_; }
	u32 nr_units() const { return nr_units_; }
	PCPU_ALWAYS_INLINE CpuList possible_cpus() const { return {cpus_, nr_possible_}; }
	// The hand-out zeroing of every possible CPU's copy: @bytes with
	// memset(); zero_class(): a class object (or any 8-aligned object
	// whose size rounded up to 8 B is its own), inline word stores.
	void zero_copies(void* p, u32 bytes) const;
	PCPU_ALWAYS_INLINE void zero_class(void* p, u32 bytes) const;
	u32 page_bytes() const { return page_bytes_; }

private:
	// allocator.cpp
	void* alloc_atomic(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx);
	// @cls >= 0: the object is a class object of the front end.
	void* alloc_sleepable(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx,
			      int cls = -1);
	[[nodiscard]] int try_sleepable(u32 bits, u32 align_bits, u32 bytes, u8 tag,
					const AllocCtx& ctx, int cls, void** out);
	Placement find_and_alloc(u32 bits, u32 align_bits, bool pop_only);
	void* finish_alloc(Placement pl, u32 bits, u32 bytes, u8 tag, bool atomic, int cls = -1);
	// cache.cpp
	PCPU_ALWAYS_INLINE CpuCache* cache(int cpu) const { return caches_[cpu]; }
	void* cache_alloc(int cls, u32 bytes, Gfp gfp, u8 tag);
	[[nodiscard]] PCPU_ALWAYS_INLINE int cache_free(uptr p, bool elem);
	static constexpr int kNotClass = -1, kRefusedDouble = -2, kRefusedTag = -3;
	PCPU_ALWAYS_INLINE int cache_free_irqs_off(uptr p, bool elem, int cpu, bool* kick, u8* tv);
	void report_refused_free(int why, uptr p, u8 tv);
	PCPU_ALWAYS_INLINE void hand_out(void* p, int cls, u8 tag, CpuCache* cc, u32 bytes,
					 bool atomic);
	u32 carve_locked(int cls, CpuCache* cc, u32 n, bool atomic) PCPU_REQUIRES(lock_);
	bool flush_locked(int cls, CpuCache* cc, u32 n) PCPU_REQUIRES(lock_);
	void drain_cpu_locked(CpuCache* cc) PCPU_REQUIRES(lock_);
	void trim_idle_caches();
	[[nodiscard]] bool init_cache();
	void exit_cache();
	void free_cache();
	PCPU_ALWAYS_INLINE bool exhausted(int cls) const
	{
		return exhausted_.load(mo::relaxed) & (1u << cls);
	}
	PCPU_ALWAYS_INLINE bool queued() const { return balance_queued_.load(mo::relaxed); }
	PCPU_ALWAYS_INLINE void set_queued(bool v) { balance_queued_.store(v, mo::relaxed); }
	void zero(const Placement& pl, u32 bytes);
	PCPU_ALWAYS_INLINE static bool fault_atomic();
	// A class object back to this CPU's cache inline; the rest (and a
	// traced free) through free_impl().
	PCPU_ALWAYS_INLINE void free_fast(void* p, bool elem);
	void free_impl(void* p, bool elem);
	// The area map's free (takes the pool lock): what is not a class object.
	unsigned long free_to_map(void* p, bool elem);
	static bool refuse_tag(u8 tv);
	static void warn_tag_refusal(const void* p, u8 tv);
	Chunk* lookup_locked(uptr p) const PCPU_REQUIRES(lock_);
	// Under the pool lock or the allocator mutex (either keeps it stable).
	u32 nr_chunks() const
	{
		const ChunkIndex* idx = index_.load(mo::relaxed);
		return idx ? idx->n : 0;
	}
	int slot_of_locked(const Chunk* c) const PCPU_REQUIRES(lock_);
	void relocate_locked(Chunk* c) PCPU_REQUIRES(lock_);
	// Runs @fn on @c's area map under the pool lock and keeps the global
	// empty/populated counters and the chunk's slot in step.
	template <typename Fn>
	auto update_locked(Chunk* c, Fn fn) PCPU_REQUIRES(lock_);

	[[nodiscard]] Chunk* create_chunk(const MutexCtx& m);
	void destroy_chunk(Chunk* c); // unreachable: no mutex needed
	// Room for an index of @n chunks, or nullptr.  publish_index() fills
	// it with the current chunks, @add inserted and the retiring ones
	// left out, and installs it (only that under the pool lock).
	// Allocator mutex held for both.
	[[nodiscard]] ChunkIndex* new_index(u32 n, const MutexCtx& m);
	void publish_index(ChunkIndex* idx, Chunk* add);
	// 0, kENOMEM, or the port's mapping error.
	[[nodiscard]] int populate_block(Chunk* c, u32 block, const MutexCtx& m);
	[[nodiscard]] int populate_range(Chunk* c, u32 off, u32 bits, const MutexCtx& m);
	// Unmaps @block's page in every unit onto @pages; the caller flushes
	// the TLB once for a whole batch before freeing them.
	void unmap_block(Chunk* c, u32 block, pcpu_page_list* pages);
	void flush_and_free(pcpu_page_list* pages, u32 nr_blocks);

	// stats.cpp: @locked(c) for every chunk of the index, each under the
	// pool lock on its own, then @unlocked(c) without it; stops at the
	// first non-null string @locked returns and returns it.
	template <typename Locked, typename Unlocked>
	const char* walk_chunks(Locked locked, Unlocked unlocked);

	// balance.cpp
	bool update_target_locked(bool failed) PCPU_REQUIRES(lock_);
	void recompute_target_locked() PCPU_REQUIRES(lock_);
	u32 adaptive_cap_locked() const PCPU_REQUIRES(lock_);
	void balance_pass(List<Chunk, &Chunk::slot_node>* victims);
	void balance_free_chunks(const MutexCtx& m, List<Chunk, &Chunk::slot_node>* out);
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
	void* cache_ = nullptr; // the kernel's percpu CpuCache, set by init()
	CpuCache** caches_ = nullptr; // [nr_units_]: each possible CPU's copy

	// Read without a lock by every front-end hit and free, written
	// rarely: apart from the pool lock's cache line, which bounces
	// between CPUs on every miss.
	// RCU-published (see ChunkIndex); replaced under the allocator mutex
	// and the pool lock, so either one keeps it stable.
	Atomic<ChunkIndex*> index_;
	Atomic<bool> cache_on_{true}; // debugfs "cache"; read without the lock
	// Classes whose populated-only carve found nothing (bit per class):
	// set under the pool lock, cleared under it when populated free space
	// grows (update_locked()), read without it by atomic callers, who then fail
	// at once instead of searching every chunk again.
	Atomic<u32> exhausted_;

	WorkItem balance_work_; // balance()
	WorkItem reap_work_; // reap()
	Atomic<u64> nr_kick_; // immediate runs queued by kick_balance()
	// Chunks out of the index, waiting for the reap work: pool lock.
	List<Chunk, &Chunk::slot_node> dying_ PCPU_GUARDED_BY(lock_);
	Mutex mutex_; // chunk create/destroy, (de)population

	// The pool lock and the fields it guards, from a cache line of their
	// own (the lock is stored inline: sync.h).
	alignas(PCPU_CACHE_LINE) SpinLock lock_; // everything below

	List<Chunk, &Chunk::slot_node> slots_[kMaxSlots] PCPU_GUARDED_BY(lock_);
	u32 next_chunk_id_ PCPU_GUARDED_BY(lock_) = 0;
	// == sum of chunks' nr_empty_populated()
	u32 nr_empty_pop_ PCPU_GUARDED_BY(lock_) = 0;
	// == sum of chunks' nr_populated() (unit pages)
	u32 nr_populated_ PCPU_GUARDED_BY(lock_) = 0;
	// Written under the pool lock and by the front end's lock-free failure
	// path, so always through atomics (relaxed: a lost or doubled kick is
	// harmless, the work item is idempotent).
	Atomic<bool> balance_queued_; // an immediate run is pending; cleared by balance()
	Atomic<bool> lazy_queued_; // a delayed (lazy) run is pending
	Atomic<bool> failed_since_balance_;
	// atomic demand since the last balance
	u64 atomic_bytes_since_ PCPU_GUARDED_BY(lock_) = 0;
	u32 demand_pages_ PCPU_GUARDED_BY(lock_) = 0; // decaying estimate of atomic demand
	u32 burst_pages_ PCPU_GUARDED_BY(lock_) = 0; // atomic demand of the runs since a quiet one
	// nr_empty_pop_ as the last balance run ended
	u32 empty_after_run_ PCPU_GUARDED_BY(lock_) = 0;
	// Pool lock held: the atomic path should kick the balance work.  Below
	// the low target, or below the high one once atomic callers used up two
	// pages of the headroom the last run left: a burst is under way, and
	// the refill starts while there is headroom left to cover its start-up
	// latency.
	bool refill_wanted_locked() const PCPU_REQUIRES(lock_)
	{
		return nr_empty_pop_ < target_low_ ||
		       (nr_empty_pop_ < target_high_ && headroom_used_locked() >= 2 &&
			atomic_bytes_since_ >= page_bytes_);
	}
	// Empty populated pages used up since the last balance run ended: net
	// consumption, so that atomic alloc/free pairs (which give their page
	// back) are not mistaken for a burst.
	u32 headroom_used_locked() const PCPU_REQUIRES(lock_)
	{
		return empty_after_run_ > nr_empty_pop_ ? empty_after_run_ - nr_empty_pop_ : 0;
	}
	Watermarks wm_ PCPU_GUARDED_BY(lock_); // tunables (debugfs)
	u32 target_low_ PCPU_GUARDED_BY(lock_) = 2; // the adaptive target in force
	u32 target_high_ PCPU_GUARDED_BY(lock_) = 4;
	// Counters of the locked paths; the caches' per-CPU counters are added
	// on read.
	pcpupool_stats st_ PCPU_GUARDED_BY(lock_) = {};

	// Per-CPU front end.
	unsigned long next_trim_ = 0; // jiffies of the next idle trim
	Atomic<bool> test_whole_walk_; // test_whole_walk()
	void* shrinker_ = nullptr;
};

template <typename Fn>
auto Pool::update_locked(Chunk* c, Fn fn)
{
	lock_.assert_held();
	u32 empty = c->map.nr_empty_populated(), pop = c->map.nr_populated();
	u32 free = c->map.free_bits();
	auto ret = fn(c->map);
	nr_empty_pop_ += c->map.nr_empty_populated() - empty;
	nr_populated_ += c->map.nr_populated() - pop;
	// Populated free space grew: atomic carves may find room again.
	if (exhausted_.load(mo::relaxed) &&
	    (c->map.free_bits() > free || c->map.nr_populated() > pop))
		exhausted_.store(0u, mo::relaxed);
	relocate_locked(c);
	return ret;
}

// ---- the front end's fast path, inlined where it is used ----

// Test builds: the fault switch of the atomic path, consulted only once a
// test armed one (a load, not a call, on the fast path).
bool Pool::fault_atomic()
{
	return PCPU_UNLIKELY(load_shared(&pcpu_fault_armed, mo::relaxed)) &&
	       pcpu_fault_should_fail(PCPU_SITE_ATOMIC);
}

// IRQs off.  @p leaves the front end for a user: its class byte says
// "out", a mempool element gets its tag, and the counters move.
void Pool::hand_out(void* p, int cls, u8 tag, CpuCache* cc, u32 bytes, bool atomic)
{
	uptr a = reinterpret_cast<uptr>(p);
	const ChunkIndex* idx = index_.load(mo::acquire);
	Chunk* c = idx->find(a);
	u32 off = a - c->base();
	c->meta(off)->store(meta_out(cls), mo::relaxed);
	if (tag)
		c->tag(off)->store(tag, mo::relaxed);
	ClassCounters& ctr = cc->ctr[cls];
	bump(ctr.allocs);
	if (atomic)
		bump(ctr.atomic);
	u64 lo = cc->min_size.load(mo::relaxed);
	if (PCPU_UNLIKELY(bytes < lo || !lo))
		cc->min_size.store(u64(bytes), mo::relaxed);
	if (PCPU_UNLIKELY(bytes > cc->max_size.load(mo::relaxed)))
		cc->max_size.store(u64(bytes), mo::relaxed);
	if (PCPU_UNLIKELY(!cc->touched.load(mo::relaxed)))
		cc->touched.store(1u, mo::relaxed);
}

// The hand-out zeroing of a class object, in every possible CPU's copy.
// A class object is 8-aligned and its class a multiple of 8 B, so the
// request rounded up to 8 B is zeroed with word stores, inline: for the
// small classes a memset() call (and on x86 its rep stosb start-up) costs
// more than the stores (up to the 1 KiB class: 128 stores per CPU, about
// what rep stosb costs for that size on current x86).  Relaxed atomic
// stores, so gcc cannot fold the loop back into a memset() call.
void Pool::zero_class(void* p, u32 bytes) const
{
	const uptr a = reinterpret_cast<uptr>(p);
	const u32 words = (bytes + 7) / 8;
	for (u32 cpu : possible_cpus()) {
		u64* w = reinterpret_cast<u64*>(a + unit_off_[cpu]);
		for (u32 i = 0; i < words; i++)
			store_shared(&w[i], u64(0), mo::relaxed);
	}
}

void* Pool::hit_irqs_off(int cls, u32 bytes, u8 tag, int cpu, bool atomic, bool fault, int* why)
{
	CpuCache* cc = cache(cpu);
	auto& s = cc->cls[cls];
	*why = kAtomicMiss;
	if (fault && PCPU_UNLIKELY(fault_atomic())) {
		*why = kAtomicFault;
	} else if (PCPU_LIKELY(s.n())) {
		void* p = s.pop();
		bump(cc->ctr[cls].hits);
		hand_out(p, cls, tag, cc, bytes, atomic);
		return p;
	} else if (atomic && exhausted(cls)) {
		*why = kAtomicExhausted;
	}
	if (*why != kAtomicMiss)
		bump(cc->ctr[cls].fails);
	return nullptr;
}

// The cache hit of an allocation, inline at every call site: IRQs off,
// pop from this CPU's cache, hand out, IRQs on, zero.  Anything else (a
// miss, a request the caches do not serve, misuse, tracing, an armed test
// fault site, so that a site is consulted once per allocation) goes to
// alloc_slow(), which decides it all again.
void* Pool::alloc(usize bytes, usize align, Gfp gfp, u8 tag)
{
	const int cls = class_of(bytes, align);
	if (PCPU_LIKELY(cls >= 0 && bytes && !(align & (align - 1)) &&
			!(gfp.raw() & pcpu_gfp.account) && caching() && !pcpu_trace_mask &&
			!load_shared(&pcpu_fault_armed, mo::relaxed))) {
		const bool atomic = !gfp.may_sleep();
		if (!atomic)
			pcpu_might_sleep(); // as the slow path would, hit or miss
		void* p;
		int why;
		{
			IrqGuard irq; // this CPU's cache; also an RCU read-side section
			p = hit_irqs_off(cls, bytes, tag, irq.cpu(), atomic, false, &why);
		}
		if (PCPU_LIKELY(p)) {
			zero_class(p, bytes);
			return p;
		}
		if (why == kAtomicExhausted)
			atomic_failed(); // known out of populated memory: no lock
		if (why != kAtomicMiss)
			return nullptr;
	}
	return alloc_slow(bytes, align, gfp, tag);
}

// IRQs off on @cpu.  A class object back from a user into @cpu's cache:
// its class bytes, or kRefusedDouble / kRefusedTag (nothing changed), or
// kNotClass if @p is not a class object.  *@kick: the balance work should
// look (a flush freed a chunk); *@tv: the element tag seen.
int Pool::cache_free_irqs_off(uptr p, bool elem, int cpu, bool* kick, u8* tv)
{
	const ChunkIndex* idx = index_.load(mo::acquire);
	Chunk* c = idx ? idx->find(p) : nullptr;
	if (!c)
		return kNotClass;
	u32 off = p - c->base();
	if (off % kTagBytes)
		return kNotClass;
	Atomic<u8>* mb = c->meta(off);
	u8 mv = mb->load(mo::relaxed);
	if (!mv)
		return kNotClass;
	int cls = meta_class(mv);
	Atomic<u8>* t = c->tag(off);
	*tv = t->load(mo::relaxed);
	if (mv & kMetaCached)
		return kRefusedDouble;
	if (*tv && !elem && refuse_tag(*tv))
		return kRefusedTag;
	if (!mb->cmpxchg(mv, u8(mv | kMetaCached), mo::relaxed, mo::relaxed))
		return kRefusedDouble; // a racing free won
	if (*tv)
		t->store(u8(0), mo::relaxed);
	CpuCache* cc = cache(cpu);
	auto& s = cc->cls[cls];
	if (PCPU_UNLIKELY(s.n() == class_cap(cls))) {
		SpinGuard g(lock_); // IRQs are off already
		*kick |= flush_locked(cls, cc, class_cap(cls) / 2);
	}
	s.push(reinterpret_cast<void*>(p));
	bump(cc->ctr[cls].frees);
	if (PCPU_UNLIKELY(!cc->touched.load(mo::relaxed)))
		cc->touched.store(1u, mo::relaxed);
	return class_bytes(cls);
}

// A class object back from a user, without a lock: returns its class
// bytes (0 when the free was refused as misuse, reported here), or -1 if
// @p is not a class object (free_to_map() then frees it or reports it).
int Pool::cache_free(uptr p, bool elem)
{
	bool kick = false;
	u8 tv = 0;
	int ret;
	{
		IrqGuard irq; // RCU read-side: the index and the chunk stay
		ret = cache_free_irqs_off(p, elem, irq.cpu(), &kick, &tv);
	}
	if (PCPU_UNLIKELY(kick))
		kick_balance(/*now=*/false);
	if (PCPU_LIKELY(ret >= 0))
		return ret;
	if (ret == kNotClass)
		return -1;
	report_refused_free(ret, p, tv);
	return 0;
}

// A free: a class object goes back to this CPU's cache inline; anything
// else, and every free while tracing is on, goes through free_impl().
void Pool::free_fast(void* ptr, bool elem)
{
	if (PCPU_UNLIKELY(!ptr || pcpu_trace_mask))
		free_impl(ptr, elem);
	else if (PCPU_UNLIKELY(cache_free(reinterpret_cast<uptr>(ptr), elem) < 0))
		free_to_map(ptr, elem);
}

extern Pool g_pool;

} // namespace pcp
