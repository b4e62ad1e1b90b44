// SPDX-License-Identifier: GPL-2.0
//
// allocator.cpp - allocation and free paths, chunk lifecycle, population.
// See allocator.h for the design; the atomic fast path is alloc_atomic()
// and free(): both hold only the pool lock and never sleep.
#include "allocator.h"
#include "rt.h"

namespace pcp {

constinit Pool g_pool;

// ---- bookkeeping under the pool lock --------------------------------------

int Pool::slot_of_locked(const Chunk* c) const
{
	if (c->map.all_free())
		return nr_slots_ - 1;
	return fls64(c->map.contig_bits() * kMinAllocBytes);
}

void Pool::relocate_locked(Chunk* c)
{
	int slot = slot_of_locked(c);
	if (slot == c->slot)
		return;
	if (c->slot >= 0)
		List<Chunk, &Chunk::slot_node>::remove(c);
	c->slot = slot;
	slots_[slot].push_back(c);
}

Chunk* Pool::lookup_locked(uptr p) const
{
	lock_.assert_held();
	const ChunkIndex* idx = index_.load(mo::relaxed); // stable under the lock
	return idx ? idx->find(p) : nullptr;
}

Placement Pool::find_and_alloc(u32 bits, u32 align_bits, bool pop_only)
{
	lock_.assert_held();
	for (int slot = fls64(bits * kMinAllocBytes); slot < nr_slots_; slot++) {
		for (Chunk* c = slots_[slot].front(); c; c = slots_[slot].next(c)) {
			int off = c->map.find_fit(bits, align_bits, pop_only);
			if (off < 0)
				continue;
			update_locked(c, [&](AreaMap& m) {
				m.alloc(off, bits);
				return 0;
			});
			return Placement{c, u32(off)};
		}
	}
	return Placement{};
}

// @bytes of every possible CPU's copy of @p: the hand-out zeroing of every
// path (unit_off_[cpu] is the same for every chunk).
void Pool::zero_copies(void* p, u32 bytes) const
{
	uptr a = reinterpret_cast<uptr>(p);
	for (u32 cpu : possible_cpus())
		pcpu_memset(reinterpret_cast<void*>(a + unit_off_[cpu]), 0, bytes);
}

void Pool::zero(const Placement& pl, u32 bytes)
{
	zero_copies(reinterpret_cast<void*>(pl.chunk->base() + pl.off * kMinAllocBytes), bytes);
}

// ---- allocation --------------------------------------------------------

// Everything the inline hit of Pool::alloc() does not serve: misuse,
// tracing, fault injection, cache misses, and requests the caches do not
// take.
void* Pool::alloc_slow(usize bytes, usize align, Gfp gfp, u8 tag)
{
	if (PCPU_UNLIKELY(!bytes || bytes > unit_bytes_ || align > page_bytes_ ||
			  !is_pow2(align ? align : 1))) {
		{
			SpinIrqGuard g(lock_);
			st_.nr_misuse++;
		}
		PCPU_WARN_ONCE(!gfp.nowarn(), "bad request: size %lu align %lu (unit %u)",
			       (unsigned long)bytes, (unsigned long)align, unit_bytes_);
		return nullptr;
	}
	PCPU_BUG_ON(tag && align % kTagBytes);
	// Backing pages are not charged to a memcg (the kernel's allocator
	// charges accounted percpu memory per object): refuse rather than
	// silently hand out uncharged memory to a caller that asked for it.
	if (PCPU_UNLIKELY(gfp.raw() & pcpu_gfp.account)) {
		{
			SpinIrqGuard g(lock_);
			st_.nr_misuse++;
		}
		PCPU_WARN_ONCE(true, "__GFP_ACCOUNT is not supported: nothing would be charged to "
				     "the caller's memcg");
		return nullptr;
	}
	bool atomic = !gfp.may_sleep(); // memalloc scopes never add sleeping
	void* p;
	int cls = class_of(bytes, align);
	if (cls >= 0 && PCPU_LIKELY(caching())) {
		p = cache_alloc(cls, bytes, gfp, tag);
	} else {
		u32 bits = div_round_up<u32>(bytes, kMinAllocBytes);
		u32 align_bits = max<u32>(align, kMinAllocBytes) / kMinAllocBytes;
		// The effective constraint, once, at the entry (issue: NOFS/NOIO).
		AllocCtx ctx = AllocCtx::from_caller(gfp);
		p = atomic ? alloc_atomic(bits, align_bits, bytes, tag, ctx)
			   : alloc_sleepable(bits, align_bits, bytes, tag, ctx);
	}
	if (PCPU_UNLIKELY(pcpu_trace_mask)) {
		if (p && (pcpu_trace_mask & PCPU_TRACE_ALLOC))
			pcpu_trace_alloc(p, bytes, align, gfp.raw(), atomic);
		else if (!p && (pcpu_trace_mask & PCPU_TRACE_SLOW))
			pcpu_trace_alloc_fail(bytes, align, gfp.raw(), atomic);
	}
	return p;
}

void* Pool::finish_alloc(Placement pl, u32 bits, u32 bytes, u8 tag, bool atomic, int cls)
{
	lock_.assert_held();
	if (cls >= 0) {
		// A class object made by the sleepable path: it belongs to this
		// CPU's front end (counted there) and goes straight to the user.
		void* p = reinterpret_cast<void*>(pl.chunk->base() + pl.off * kMinAllocBytes);
		CpuCache* cc = cache(pcpu_this_cpu()); // IRQs are off
		bump(cc->ctr[cls].carved);
		hand_out(p, cls, tag, cc, bytes, false);
		return p;
	}
	if (tag)
		pl.chunk->tag(pl.off * kMinAllocBytes)->store(tag, mo::relaxed);
	st_.nr_alloc++;
	st_.nr_cur_alloc++;
	st_.nr_max_alloc = max(st_.nr_max_alloc, st_.nr_cur_alloc);
	st_.live_bytes += bits * kMinAllocBytes;
	if (!st_.min_alloc_size || bytes < st_.min_alloc_size)
		st_.min_alloc_size = bytes;
	st_.max_alloc_size = max<u64>(st_.max_alloc_size, bytes);
	if (atomic) {
		st_.nr_atomic_alloc++;
		atomic_bytes_since_ += bits * kMinAllocBytes;
		pl.chunk->atomic_bytes += bits * kMinAllocBytes;
	}
	return reinterpret_cast<void*>(pl.chunk->base() + pl.off * kMinAllocBytes);
}

// The atomic path: populated memory only, pool lock only, never sleeps.
void* Pool::alloc_atomic(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx)
{
	Placement pl;
	void* p = nullptr;
	bool kick;
	{
		SpinIrqGuard g(lock_);
		if (!pcpu_fault_should_fail(PCPU_SITE_ATOMIC))
			pl = find_and_alloc(bits, align_bits, /*pop_only=*/true);
		if (pl) {
			p = finish_alloc(pl, bits, bytes, tag, /*atomic=*/true);
		} else {
			st_.atomic_alloc_failed++;
			failed_since_balance_.store(true, mo::relaxed);
		}
		// Refill before exhaustion: kick below the low target.
		kick = !pl || refill_wanted_locked();
	}
	if (kick)
		kick_balance(/*now=*/true);
	if (pl)
		zero(pl, bytes);
	return p;
}

// One try under the allocator mutex.  Returns 0 with *@out set, kENOMEM
// when memory or vm space ran out (retrying may help), kEINTR when the
// caller was killed waiting for the mutex, or the port's error when
// mapping failed in a way retrying cannot fix.
int Pool::try_sleepable(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx, int cls,
			void** out)
{
	// NOFAIL must not give up on a signal; everyone else may (seed 003:
	// one small request can need a backing page per CPU, and a chunk).
	MutexGuard held(mutex_, ctx.nofail() ? MutexGuard::Wait::uninterruptible
					     : MutexGuard::Wait::killable);
	if (!held.held())
		return kEINTR;
	MutexCtx m(held, ctx);
	for (;;) {
		Placement pl;
		{
			SpinIrqGuard g(lock_);
			pl = find_and_alloc(bits, align_bits, /*pop_only=*/true);
			if (pl) {
				*out = finish_alloc(pl, bits, bytes, tag, false, cls);
				g.unlock();
				zero(pl, bytes);
				return 0;
			}
			pl = find_and_alloc(bits, align_bits, /*pop_only=*/false);
		}
		if (pl) {
			int err = populate_range(pl.chunk, pl.off, bits, m);
			SpinIrqGuard g(lock_);
			if (err) {
				update_locked(pl.chunk,
					      [&](AreaMap& map) { return map.free(pl.off); });
				return err;
			}
			*out = finish_alloc(pl, bits, bytes, tag, false, cls);
			g.unlock();
			zero(pl, bytes);
			return 0;
		}
		if (!create_chunk(m))
			return kENOMEM;
	}
}

void* Pool::alloc_sleepable(u32 bits, u32 align_bits, u32 bytes, u8 tag, const AllocCtx& ctx,
			    int cls)
{
	pcpu_might_sleep();
	for (u32 attempt = 0;; attempt++) {
		void* p = nullptr;
		int err = try_sleepable(bits, align_bits, bytes, tag, ctx, cls, &p);
		if (!err)
			return p;
		if (err == kEINTR) {
			SpinIrqGuard g(lock_);
			st_.nr_killed++;
			return nullptr;
		}
		// Only running out of memory or vm space is worth a retry; any
		// other error is a bug in the mapping, and looping on it would
		// hang a NOFAIL caller forever.
		if (PCPU_WARN_ONCE(err != kENOMEM, "populating failed with error %d: not retried",
				   err))
			break;
		if (!ctx.nofail())
			break;
		// NOFAIL: the backing pages were asked with __GFP_NOFAIL, so the
		// vm range or metadata failed.  The mutex is dropped (the balance
		// work needs it to free chunks and vm space) and we back off, 1 ms
		// doubling to 100 ms, as the page allocator's NOFAIL loop does.
		pcpu_msleep(min(1u << min(attempt, 7u), 100u));
	}
	SpinIrqGuard g(lock_);
	st_.nr_failed++;
	return nullptr;
}

// ---- free --------------------------------------------------------------

void Pool::free_impl(void* ptr, bool elem)
{
	if (!ptr)
		return;
	// A class object goes back to this CPU's cache, without the lock.
	if (int bytes = cache_free(reinterpret_cast<uptr>(ptr), elem); bytes >= 0) {
		if (bytes && PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_ALLOC))
			pcpu_trace_free(ptr, bytes);
		return;
	}
	unsigned long freed_bytes = free_to_map(ptr, elem);
	if (freed_bytes && PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_ALLOC))
		pcpu_trace_free(ptr, freed_bytes);
}

// Anything but a class object: under the pool lock.  Returns the bytes
// freed, 0 when the free was refused as misuse.
unsigned long Pool::free_to_map(void* ptr, bool elem)
{
	uptr p = reinterpret_cast<uptr>(ptr);
	bool kick = false;
	unsigned long freed_bytes = 0;
	{
		SpinIrqGuard g(lock_);
		Chunk* c = lookup_locked(p);
		if (!c) {
			st_.nr_misuse++;
			g.unlock();
			PCPU_WARN_ONCE(true, "free of a pointer pcpupool does not own: %px", ptr);
			return 0;
		}
		u32 off = p - c->base();
		Atomic<u8>* tag = off % kTagBytes ? nullptr : c->tag(off);
		u8 tv = tag ? tag->load(mo::relaxed) : 0;
		if (PCPU_UNLIKELY(tv && !elem && refuse_tag(tv))) {
			st_.nr_misuse++;
			g.unlock();
			warn_tag_refusal(ptr, tv);
			return 0;
		}
		u32 bits = off % kMinAllocBytes ? 0 : update_locked(c, [&](AreaMap& m) {
			return m.free(off / kMinAllocBytes);
		});
		if (bits && tv)
			tag->store(0, mo::relaxed);
		if (!bits) {
			st_.nr_misuse++;
			u32 g0 = off / kMinAllocBytes;
			bool inside = g0 < c->map.nr_bits() && c->map.granule_allocated(g0);
			u32 id = c->id;
			g.unlock();
			PCPU_WARN_ONCE(true, "%s: %px (chunk %u, unit offset %u)",
				       inside ? "free of a pointer inside an allocation"
					      : "double free or never allocated",
				       ptr, id, off);
			return 0;
		}
		st_.nr_dealloc++;
		st_.nr_cur_alloc--;
		st_.live_bytes -= bits * kMinAllocBytes;
		freed_bytes = bits * kMinAllocBytes;
		// Surplus empty pages or a wholly free chunk: let the balance
		// work trim them, batched a little later.
		kick = c->map.all_free() || nr_empty_pop_ > target_high_;
	}
	if (kick)
		kick_balance(/*now=*/false);
	return freed_bytes;
}

// A plain pcpupool_free() of a mempool element: refused while the element
// sits in a reserve (a user would get it again) and while it is out of a
// pool that is alive (that pool's counts would go wrong for good:
// pcpupool_mempool_free() is the call).  An element left out when its pool
// was destroyed is an ordinary allocation again.
bool Pool::refuse_tag(u8 tv) { return !(tv & kTagOut) || mempool_id_live(tv >> 1); }

void Pool::warn_tag_refusal(const void* p, u8 tv)
{
	if (!(tv & kTagOut))
		PCPU_WARN_ONCE(true,
			       "pcpupool_free of %px, an element in the reserve of mempool #%u: "
			       "it stays there",
			       p, tv >> 1);
	else
		PCPU_WARN_ONCE(true,
			       "pcpupool_free of %px, an element out of live mempool #%u: "
			       "use pcpupool_mempool_free()",
			       p, tv >> 1);
}

// ---- chunks and population (allocator mutex held) -----------------------

ChunkIndex* Pool::new_index(u32 n, const MutexCtx& m)
{
	mutex_.assert_held(); // the index changes only under the mutex
	if (pcpu_fault_should_fail(PCPU_SITE_META))
		return nullptr;
	pcpu_record_alloc(PCPU_SITE_META, m.gfp().raw(), mutex_.held_by_current());
	return static_cast<ChunkIndex*>(
		pcpu_rcu_kmalloc(sizeof(ChunkIndex) + n * sizeof(Chunk*), m.gfp().raw()));
}

// Allocator mutex held: the index and the chunks' retiring flags change
// only under it, so the new index (O(chunks)) is built without the pool
// lock, which covers only the switch, O(1): IRQs are not off for a copy of
// 1000s of chunk pointers.  Lookups under the pool lock see the new index
// at once, lockless ones after their RCU section.
void Pool::publish_index(ChunkIndex* idx, Chunk* add)
{
	mutex_.assert_held();
	const ChunkIndex* cur = index_.load(mo::relaxed); // stable under the mutex
	u32 k = 0;
	for (u32 i = 0; cur && i < cur->n; i++) {
		Chunk* c = cur->c[i];
		if (add && add->base() < c->base()) {
			idx->c[k++] = add;
			add = nullptr;
		}
		if (!c->retiring)
			idx->c[k++] = c;
	}
	if (add)
		idx->c[k++] = add;
	idx->n = k;
	ChunkIndex* old;
	{
		SpinIrqGuard g(lock_);
		old = index_.load(mo::relaxed);
		index_.store(idx, mo::release);
	}
	pcpu_rcu_kfree(old);
}

Chunk* Pool::create_chunk(const MutexCtx& m)
{
	if (pcpu_fault_should_fail(PCPU_SITE_META))
		return nullptr;
	// The metadata below is recorded by operator new (rt.cpp).
	Chunk* c = new (m.gfp()) Chunk;
	if (!c)
		return nullptr;
	c->tags_ = new (m.gfp()) Atomic<u8>[unit_bytes_ / kTagBytes]();
	c->meta_ = new (m.gfp()) Atomic<u8>[unit_bytes_ / kTagBytes]();
	if (!c->tags_ || !c->meta_ || !c->map.init(unit_bytes_, page_bytes_, m.gfp())) {
		delete c;
		return nullptr;
	}
	void* vm;
	{
		// vmap() allocates with GFP_KERNEL internally: narrow it.
		ScopeFor scope(m.gfp());
		vm = pcpu_vm_reserve(uptr(unit_bytes_) * nr_units_, m.gfp().raw());
	}
	if (!vm) {
		delete c;
		return nullptr;
	}
	c->vm_ = vm;
	c->base_ = reinterpret_cast<uptr>(vm);
	c->unit_bytes_ = unit_bytes_;
	ChunkIndex* idx = new_index(nr_chunks() + 1, m);
	if (!idx) {
		pcpu_vm_release(vm);
		delete c;
		return nullptr;
	}
	publish_index(idx, c);
	SpinIrqGuard g(lock_);
	c->id = next_chunk_id_++;
	relocate_locked(c);
	st_.nr_chunk_create++;
	st_.nr_max_chunks = max<u64>(st_.nr_max_chunks, nr_chunks());
	g.unlock();
	if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
		pcpu_trace_chunk(vm, c->id, 1);
	return c;
}

// @c is wholly free, off the slot lists and out of the index for a grace
// period: no reader can reach it.
// @c is unreachable: out of the index (after a grace period) and off the
// slot lists, so nothing but this function touches its pages, its range
// or its map, and no allocator lock is needed (the pool lock covers the
// counters).  Sleeps (TLB flush IPI, vunmap()).
void Pool::destroy_chunk(Chunk* c)
{
	pcpu_page_list pages;
	pcpu_page_list_init(&pages);
	u32 nr = 0;
	for (u32 b = 0; b < c->map.nr_blocks(); b++) {
		if (!c->map.block_populated(b))
			continue;
		unmap_block(c, b, &pages);
		c->map.set_populated(b, false);
		nr++;
	}
	{
		// The caller took the chunk's pages out of nr_populated_ and
		// nr_empty_pop_ when it took the chunk off the slot lists.
		SpinIrqGuard g(lock_);
		st_.nr_chunk_destroy++;
	}
	flush_and_free(&pages, nr);
	if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
		pcpu_trace_chunk(c->vm_, c->id, 0);
	pcpu_vm_release(c->vm_);
	delete c;
}

void Pool::unmap_block(Chunk* c, u32 block, pcpu_page_list* pages)
{
	if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
		pcpu_trace_pages(c->id, block, nr_possible_, 0);
	for (u32 cpu : possible_cpus())
		pcpu_vm_unmap_page(c->addr(cpu, block * page_bytes_), pages);
}

void Pool::flush_and_free(pcpu_page_list* pages, u32 nr_blocks)
{
	if (!nr_blocks)
		return;
	// No CPU may keep a stale translation to a page we free.
	pcpu_vm_flush_tlb_all();
	pcpu_page_list_free(pages);
	SpinIrqGuard g(lock_);
	st_.nr_tlb_flush++;
	st_.nr_depopulate += nr_blocks;
}

int Pool::populate_block(Chunk* c, u32 block, const MutexCtx& m)
{
	mutex_.assert_held();
	if (c->map.block_populated(block))
		return 0;
	Gfp gfp = m.gfp();
	for (u32 cpu : possible_cpus()) {
		void* page = nullptr;
		if (!pcpu_fault_should_fail(PCPU_SITE_BACKING)) {
			pcpu_record_alloc(PCPU_SITE_BACKING, gfp.raw(), mutex_.held_by_current());
			page = pcpu_page_alloc(pcpu_cpu_to_node(cpu), gfp.raw());
		}
		int err =
			page ? pcpu_vm_map_page(c->addr(cpu, block * page_bytes_), page) : kENOMEM;
		if (err) {
			if (page)
				pcpu_page_free(page);
			// Roll back the units mapped so far.  Nobody used them (the
			// block is not marked populated), but a speculative walk may
			// have cached them: flush before freeing.
			pcpu_page_list pages;
			pcpu_page_list_init(&pages);
			for (u32 prev : possible_cpus()) {
				if (prev == cpu)
					break;
				pcpu_vm_unmap_page(c->addr(prev, block * page_bytes_), &pages);
			}
			pcpu_vm_flush_tlb_all();
			pcpu_page_list_free(&pages);
			return err;
		}
	}
	{
		SpinIrqGuard g(lock_);
		update_locked(c, [&](AreaMap& map) {
			map.set_populated(block, true);
			return 0;
		});
		st_.nr_populate++;
	}
	if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
		pcpu_trace_pages(c->id, block, nr_possible_, 1);
	return 0;
}

int Pool::populate_range(Chunk* c, u32 off, u32 bits, const MutexCtx& m)
{
	u32 b0 = off / c->map.block_bits(), b1 = (off + bits - 1) / c->map.block_bits();
	for (u32 b = b0; b <= b1; b++) {
		if (int err = populate_block(c, b, m))
			return err;
		// Pages populated before a failure stay: they are empty populated
		// pages the balance work accounts for and may trim.
	}
	return 0;
}

// ---- init and exit ----------------------------------------------------

static void balance_work_fn(void* arg) { static_cast<Pool*>(arg)->balance(); }
static void reap_work_fn(void* arg) { static_cast<Pool*>(arg)->reap(); }

int Pool::init(u32 unit_bytes)
{
	page_bytes_ = pcpu_page_size();
	if (unit_bytes < 32 * 1024 || unit_bytes % page_bytes_ || unit_bytes > (1u << 24))
		return kEINVAL;
	unit_bytes_ = unit_bytes;
	nr_units_ = pcpu_nr_cpu_ids();
	nr_slots_ = fls64(unit_bytes_) + 2;
	PCPU_BUG_ON(nr_slots_ > kMaxSlots);
	// Step by step, each followed by its undo: a failure undoes exactly
	// what was done, and exit() only ever sees a whole pool.  The locks
	// and work items cannot fail; nothing queues the work before the end.
	lock_.init(PCPU_LOCK_POOL);
	mutex_.init(PCPU_LOCK_ALLOC_MUTEX);
	balance_work_.setup(balance_work_fn, this);
	reap_work_.setup(reap_work_fn, this);
	Defer undo_work([this] {
		balance_work_.cancel_sync();
		reap_work_.cancel_sync();
		mutex_.destroy();
	});
	unit_off_ = new (Gfp::kernel()) unsigned long[nr_units_];
	if (!unit_off_)
		return kENOMEM;
	Defer undo_unit_off([this] {
		delete[] unit_off_;
		unit_off_ = nullptr;
	});
	cpus_ = new (Gfp::kernel()) u32[nr_units_];
	if (!cpus_)
		return kENOMEM;
	Defer undo_cpus([this] {
		delete[] cpus_;
		cpus_ = nullptr;
		nr_possible_ = 0;
	});
	nr_possible_ = 0;
	for (u32 cpu = 0; cpu < nr_units_; cpu++) {
		if (pcpu_cpu_possible(cpu))
			cpus_[nr_possible_++] = cpu;
	}
	for (u32 cpu = 0; cpu < nr_units_; cpu++)
		unit_off_[cpu] = uptr(cpu) * unit_bytes_;
	{
		SpinIrqGuard g(lock_); // nothing else runs yet; for the analysis
		target_low_ = wm_.low;
		target_high_ = wm_.high;
		st_.unit_size = unit_bytes_;
		st_.nr_units = nr_units_;
	}
	if (!init_cache()) // undoes itself
		return kENOMEM;
	undo_cpus.cancel();
	undo_unit_off.cancel();
	undo_work.cancel();
	// Start with the high watermark of populated pages, as the kernel's
	// first chunk has: atomic callers can be served right after load.
	kick_balance(true);
	return 0;
}

void Pool::exit()
{
	// The caches first: their objects go back to the area map, and the
	// shrinker must not run on a pool that is going away.
	exit_cache();
	// No new kicks can come once users are gone; cancel the work first,
	// then destroy what a cancelled reap would have.
	balance_work_.cancel_sync();
	reap_work_.cancel_sync();
	{
		reap();
		pcpupool_stats st;
		get_stats(&st);
		if (st.nr_cur_alloc) {
			pcpu_log(PCPU_LOG_WARN,
				 "unloading with %llu live allocations (%llu bytes): freeing their "
				 "chunks",
				 st.nr_cur_alloc, st.live_bytes);
		}
		ChunkIndex* idx;
		{
			MutexGuard held(mutex_); // the index changes under the mutex
			SpinIrqGuard g(lock_);
			idx = index_.load(mo::relaxed);
			index_.store(nullptr, mo::release);
		}
		// Lock-free readers leave the old index; never under the mutex.
		pcpu_synchronize_rcu();
		for (u32 i = 0; idx && i < idx->n; i++) {
			Chunk* c = idx->c[i];
			{
				SpinIrqGuard g(lock_);
				List<Chunk, &Chunk::slot_node>::remove(c);
				// Live allocations are dropped with the chunk.
				nr_empty_pop_ -= c->map.nr_empty_populated();
				nr_populated_ -= c->map.nr_populated();
			}
			destroy_chunk(c);
		}
		pcpu_rcu_kfree(idx);
	}
	free_cache();
	delete[] unit_off_;
	unit_off_ = nullptr;
	delete[] cpus_;
	cpus_ = nullptr;
	nr_possible_ = 0;
	mutex_.destroy();
}

} // namespace pcp
