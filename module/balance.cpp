// SPDX-License-Identifier: GPL-2.0
//
// balance.cpp - the balance work: keeps populated-but-empty pages between
// the watermarks so the atomic path finds memory, and gives back what is
// not needed.  Tejun Heo's 2014 design (seed 001), with two changes:
//
//  - it runs on pcpupool's unbound WQ_MEM_RECLAIM workqueue, so a CPU that
//    allocates in a tight loop cannot starve its own refill (the kernel's
//    balance work is queued on that very CPU), and it is kicked as soon as
//    the empty pages fall below the low target, before they run out;
//  - the target adapts: the atomic bytes served since a burst began, over
//    the back-to-back runs its kicks queue, are the demand; demand_pages_
//    jumps to it, and on a failure, and decays by a quarter per run that
//    saw no atomic demand; target_high = clamp(2 * demand, high, cap) and
//    target_low = max(low, target_high / 2).
//
// Runs in process context under the allocator mutex; every allocation it
// makes is GFP_NOIO (AllocCtx::worker()).  Depopulation marks pages
// unpopulated under the pool lock (so the atomic path stops using them),
// then unmaps a batch and flushes the TLB once for the whole batch.
#include "allocator.h"

namespace pcp {

constexpr unsigned long kLazyBalanceMs = 100; // batch trims after frees
constexpr unsigned long kDecayMs = 1000; // re-run while demand decays
constexpr u32 kDepopBatch = 32;

// Kicks are deduplicated here: an immediate run that is pending
// (balance_queued_) absorbs every later kick, a lazy one (lazy_queued_)
// every later lazy kick; an immediate kick pulls a pending lazy run to now.
// balance() clears both as it starts, so kicks during a run queue another.
// A plain load first: an allocating CPU hitting the same condition again
// and again writes nothing shared.
void Pool::kick_balance(bool now)
{
	if (!balance_work_.set_up())
		return;
	Atomic<bool>* flag = now ? &balance_queued_ : &lazy_queued_;
	if (flag->load(mo::relaxed) || flag->exchange(true, mo::relaxed))
		return;
	if (now) {
		nr_kick_.fetch_add(1, mo::relaxed); // once per run at most
		balance_work_.queue();
	} else
		balance_work_.queue_delayed(kLazyBalanceMs);
}

void Pool::flush_balance()
{
	set_queued(false); // queue for sure: the caller waits for a run
	kick_balance(true);
	balance_work_.flush();
	reap_work_.flush(); // and for the chunks it freed to be gone
}

// Returns whether atomic callers took memory since the last run.
bool Pool::update_target_locked(bool failed)
{
	lock_.assert_held();
	// Atomic demand: the atomic bytes served since the last run.  (Bounding
	// it by the headroom used up, to discount alloc/free pairs, kept too
	// little headroom for the next burst: measured in make bench.)
	u32 demand = div_round_up<u64>(atomic_bytes_since_, page_bytes_);
	atomic_bytes_since_ = 0;
	if (demand) {
		// A burst outlives one run (its kicks queue back-to-back runs):
		// what it took since it began is the demand, not this run's
		// share, and it does not decay while it lasts.
		// (Bounded by the cap: more says nothing, the target is capped,
		// and a long churn must not take longer to decay.)
		burst_pages_ = min(adaptive_cap_locked(), burst_pages_ + demand);
		demand_pages_ = max(demand_pages_, burst_pages_);
	} else {
		burst_pages_ = 0;
		demand_pages_ -= demand_pages_ / 4 + (demand_pages_ && demand_pages_ < 4);
	}
	if (failed)
		demand_pages_ = min(adaptive_cap_locked(),
				    demand_pages_ + max<u32>(demand_pages_, wm_.high));
	recompute_target_locked();
	return demand || failed;
}

// Empty populated memory is paid in every unit: a unit page is a page per
// possible CPU.  The adaptive part of the target (what demand adds above
// the high watermark) is bounded in bytes of the whole chunk, so that it
// does not grow with the machine: 1 MiB at 4 CPUs (the 64-page cap binds),
// 8 MiB at 64 CPUs (32 unit pages instead of 64), and never above the
// watermarks the user set.
constexpr u64 kAdaptiveEmptyBytes = 8ull << 20;

u32 Pool::adaptive_cap_locked() const
{
	u64 per_page = u64(nr_possible_) * page_bytes_;
	return u32(min<u64>(wm_.cap, max<u64>(wm_.high, kAdaptiveEmptyBytes / per_page)));
}

void Pool::recompute_target_locked()
{
	lock_.assert_held();
	target_high_ = min(adaptive_cap_locked(), max(wm_.high, 2 * demand_pages_));
	target_low_ = max(wm_.low, target_high_ / 2);
	st_.target_low = target_low_;
	st_.target_high = target_high_;
}

void Pool::balance()
{
	List<Chunk, &Chunk::slot_node> victims;
	balance_pass(&victims);
	if (!victims.empty()) {
		// Out of the index; the reap work destroys them after a grace
		// period.  Not here: a CPU bursting in a non-preemptible loop
		// holds the grace period off for as long as the burst lasts,
		// and the next balance run, the one that burst needs, would
		// wait behind it.
		{
			SpinIrqGuard g(lock_);
			while (Chunk* c = victims.front()) {
				List<Chunk, &Chunk::slot_node>::remove(c);
				dying_.push_back(c);
			}
		}
		reap_work_.queue();
	}
	trim_idle_caches();
}

// The reap work: chunks the balance work took out of the index wait for
// lock-free readers (the front end, Pool::tag_of) to leave it, without the
// mutex, so that no sleepable caller (GFP_NOIO IO paths included) waits a
// grace period behind it; then they are destroyed, still without it (they
// are unreachable).  Chunks that die while it waits are the next run's.
void Pool::reap()
{
	List<Chunk, &Chunk::slot_node> batch;
	{
		SpinIrqGuard g(lock_);
		while (Chunk* c = dying_.front()) {
			List<Chunk, &Chunk::slot_node>::remove(c);
			batch.push_back(c);
		}
	}
	if (batch.empty())
		return;
	pcpu_synchronize_rcu();
	// Unreachable now: destroyed without the allocator mutex, so that a
	// balance run a burst needs never waits behind a destruction.
	while (Chunk* c = batch.front()) {
		List<Chunk, &Chunk::slot_node>::remove(c);
		destroy_chunk(c);
	}
}

void Pool::balance_pass(List<Chunk, &Chunk::slot_node>* victims)
{
	MutexGuard held(mutex_);
	MutexCtx m(held, AllocCtx::worker());
	bool failed, busy;
	u32 empty, lo, hi, demand;
	{
		SpinIrqGuard g(lock_);
		set_queued(false);
		lazy_queued_.store(false, mo::relaxed);
		failed = failed_since_balance_.exchange(false, mo::relaxed);
		st_.nr_balance++;
		busy = update_target_locked(failed);
	}
	balance_free_chunks(m, victims);
	{
		SpinIrqGuard g(lock_);
		empty = nr_empty_pop_;
		lo = target_low_;
		hi = target_high_;
		demand = demand_pages_;
	}
	if ((failed || empty < lo) && empty < hi)
		balance_populate(hi - empty, m);
	else if (empty > hi && !busy) // never while a burst is under way
		balance_depopulate(hi, m);
	{
		SpinIrqGuard g(lock_);
		empty_after_run_ = nr_empty_pop_;
	}
	if (demand)
		balance_work_.requeue_delayed(kDecayMs);
}

// Picks wholly free chunks beyond one spare, keeping the best populated,
// and takes them out of the index; balance() destroys them after a grace
// period.
void Pool::balance_free_chunks(const MutexCtx& m, List<Chunk, &Chunk::slot_node>* out)
{
	List<Chunk, &Chunk::slot_node> victims;
	{
		SpinIrqGuard g(lock_);
		auto& free_list = slots_[nr_slots_ - 1];
		u32 empty_pop = nr_empty_pop_;
		while (free_list.size() > 1) {
			Chunk* victim = nullptr;
			for (Chunk* c = free_list.front(); c; c = free_list.next(c)) {
				if (!victim || c->map.nr_populated() < victim->map.nr_populated())
					victim = c;
			}
			// Its empty pages count towards the target: destroying them
			// below target_high would make balance_populate() create
			// and populate a chunk again, on every run.
			if (victim->map.nr_populated() &&
			    empty_pop - victim->map.nr_populated() < target_high_)
				break;
			empty_pop -= victim->map.nr_populated();
			List<Chunk, &Chunk::slot_node>::remove(victim);
			victim->slot = -1;
			victim->retiring = true; // leaves the index below
			// Its pages leave the counts now, not when it is destroyed
			// after a grace period: the rest of this run (and check())
			// must not count them as empty populated pages.
			nr_empty_pop_ -= victim->map.nr_empty_populated();
			nr_populated_ -= victim->map.nr_populated();
			victims.push_back(victim);
		}
	}
	if (victims.empty())
		return;
	ChunkIndex* idx = new_index(nr_chunks(), m);
	if (!idx) {
		// No memory for the smaller index: keep them for the next run.
		SpinIrqGuard g(lock_);
		while (Chunk* c = victims.front()) {
			List<Chunk, &Chunk::slot_node>::remove(c);
			c->retiring = false;
			nr_empty_pop_ += c->map.nr_empty_populated();
			nr_populated_ += c->map.nr_populated();
			relocate_locked(c);
		}
		return;
	}
	publish_index(idx, nullptr);
	while (Chunk* c = victims.front()) {
		List<Chunk, &Chunk::slot_node>::remove(c);
		out->push_back(c);
	}
}

// Populates @want empty pages, in partly used chunks first, then in the
// spare, then in a new chunk.
void Pool::balance_populate(u32 want, const MutexCtx& m)
{
	while (want > 0) {
		Chunk* chunk = nullptr;
		u32 block = 0;
		{
			SpinIrqGuard g(lock_);
			for (int slot = 1; slot < nr_slots_ && !chunk; slot++) {
				for (Chunk* c = slots_[slot].front(); c && !chunk;
				     c = slots_[slot].next(c)) {
					// O(1) skip of a chunk with nothing
					// to populate: the walk under the
					// IRQ-safe lock stays short at 1000s
					// of chunks (debugfs irqoff).
					if (c->map.nr_populated() == c->map.nr_blocks())
						continue;
					for (u32 b = 0; b < c->map.nr_blocks(); b++) {
						if (!c->map.block_populated(b) &&
						    c->map.block_empty(b)) {
							chunk = c;
							block = b;
							break;
						}
					}
				}
			}
		}
		if (!chunk) {
			if (!create_chunk(m))
				return;
			continue;
		}
		if (populate_block(chunk, block, m))
			return;
		want--;
	}
}

// Depopulates empty pages until @keep remain, most free chunks first and
// from the end of a chunk backwards, so that live data packs low.
void Pool::balance_depopulate(u32 keep, const MutexCtx& m)
{
	for (;;) {
		struct {
			Chunk* chunk;
			u32 block;
		} batch[kDepopBatch];
		u32 n = 0;
		{
			SpinIrqGuard g(lock_);
			u32 surplus = nr_empty_pop_ > keep ? nr_empty_pop_ - keep : 0;
			surplus = min(surplus, kDepopBatch);
			for (int slot = nr_slots_ - 1; slot > 0 && n < surplus; slot--) {
				for (Chunk* c = slots_[slot].front(); c && n < surplus;
				     c = slots_[slot].next(c)) {
					if (!c->map.nr_empty_populated())
						continue; // nothing to take back
					for (u32 b = c->map.nr_blocks(); b-- > 0 && n < surplus;) {
						if (!c->map.block_populated(b) ||
						    !c->map.block_empty(b))
							continue;
						update_locked(c, [&](AreaMap& map) {
							map.set_populated(b, false);
							return 0;
						});
						batch[n++] = {c, b};
					}
				}
			}
		}
		if (!n)
			return;
		pcpu_page_list pages;
		pcpu_page_list_init(&pages);
		for (u32 i = 0; i < n; i++)
			unmap_block(batch[i].chunk, batch[i].block, &pages);
		flush_and_free(&pages, n);
	}
}

} // namespace pcp
