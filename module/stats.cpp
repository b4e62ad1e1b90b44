// SPDX-License-Identifier: GPL-2.0
//
// stats.cpp - what the allocator shows: the stats snapshot, the debugfs
// views (stats, chunks), the watermark tunables and the consistency check.
// Process context.  No view holds the IRQ-safe pool lock for more than
// one chunk's map at a time (debugfs irqoff shows the longest section).
#include "allocator.h"

namespace pcp {

// The views' walk.  One chunk at a time under the pool lock: IRQs are off
// for one chunk's map, not for every chunk's (a cat of a view must not
// stall hardirq allocations for O(chunks x unit)).  The index and its
// chunks stay valid inside the RCU read-side section.  Each locked visit
// is reported to the port's IRQ-off measurement as one map walk, so the
// rule is counted, not only timed (KUnit test_irqoff_many_chunks).
template <typename Locked, typename Unlocked>
const char* Pool::walk_chunks(Locked locked, Unlocked unlocked)
{
	RcuReadGuard rcu;
	const ChunkIndex* idx = index_.load(mo::acquire);
	auto visit = [&](bool lock_each) -> const char* {
		for (u32 i = 0; idx && i < idx->n; i++) {
			const Chunk* c = idx->c[i];
			auto walk = [&] {
				pcpu_irqoff_note_walk();
				return locked(c);
			};
			const char* err;
			if (lock_each) {
				SpinIrqGuard g(lock_);
				err = walk();
			} else {
				err = walk();
			}
			if (err)
				return err;
			unlocked(c);
		}
		return nullptr;
	};
	if (PCPU_UNLIKELY(test_whole_walk_.load(mo::relaxed))) {
		SpinIrqGuard g(lock_); // the negative control: every chunk in one section
		return visit(false);
	}
	return visit(true);
}

void Pool::get_stats(pcpupool_stats* st)
{
	{
		SpinIrqGuard g(lock_);
		*st = st_;
		st->nr_chunks = nr_chunks();
		st->empty_pop_pages = nr_empty_pop_;
		st->populated_pages = u64(nr_populated_) * nr_possible_;
		st->target_low = target_low_;
		st->target_high = target_high_;
	}
#ifdef PCPUPOOL_TSA_NEGATIVE_CONTROL
	// Never built into a module: kunit/host/check.sh compiles this file
	// with it and requires clang's thread-safety analysis to refuse it.
	st->empty_pop_pages = nr_empty_pop_;
#endif
	st->nr_kick = nr_kick_.load(mo::relaxed);
	// st_ counts what the locked paths gave users; class objects are
	// counted per CPU by the front end (single writers, summed here, so
	// a snapshot taken while others allocate may be off by a few).
	if (!caches_)
		return;
	for (u32 cpu : possible_cpus()) {
		const CpuCache* cc = cache(cpu);
		for (int cls = 0; cls < int(kNrClasses); cls++) {
			const ClassCounters& c = cc->ctr[cls];
			u64 allocs = c.allocs.load(mo::relaxed);
			u64 frees = c.frees.load(mo::relaxed);
			st->nr_alloc += allocs;
			st->nr_dealloc += frees;
			st->live_bytes += (allocs - frees) * class_bytes(cls);
			st->nr_atomic_alloc += c.atomic.load(mo::relaxed);
			st->atomic_alloc_failed += c.fails.load(mo::relaxed);
		}
		u64 lo = cc->min_size.load(mo::relaxed);
		u64 hi = cc->max_size.load(mo::relaxed);
		if (lo && (!st->min_alloc_size || lo < st->min_alloc_size))
			st->min_alloc_size = lo;
		st->max_alloc_size = max<u64>(st->max_alloc_size, hi);
	}
	st->nr_cur_alloc = st->nr_alloc - st->nr_dealloc;
	// The peak is exact for the locked paths; with the front end it is
	// the largest count any reader or locked path has seen.
	st->nr_max_alloc = max(st->nr_max_alloc, st->nr_cur_alloc);
}

void Pool::show_stats(void* seq)
{
	pcpupool_stats st;
	get_stats(&st);
	Watermarks wm = watermarks();
#define P(field) pcpu_seq_printf(seq, "%-20s: %llu\n", #field, st.field)
	pcpu_seq_printf(seq, "Percpu Memory Statistics\nAllocation Info:\n");
	P(nr_alloc);
	P(nr_dealloc);
	P(nr_cur_alloc);
	P(nr_max_alloc);
	P(nr_chunks);
	P(nr_max_chunks);
	P(min_alloc_size);
	P(max_alloc_size);
	P(empty_pop_pages);
	P(populated_pages);
	P(atomic_alloc_failed);
	P(nr_atomic_alloc);
	P(nr_failed);
	P(nr_killed);
	P(nr_misuse);
	P(live_bytes);
	P(nr_populate);
	P(nr_depopulate);
	P(nr_tlb_flush);
	P(nr_chunk_create);
	P(nr_chunk_destroy);
	P(nr_balance);
	P(nr_kick);
	P(unit_size);
	P(nr_units);
#undef P
	pcpu_seq_printf(seq,
			"Balance:\n%-20s: %u\n%-20s: %u\n%-20s: %u\n%-20s: %llu\n%-20s: %llu\n",
			"low_watermark", wm.low, "high_watermark", wm.high, "target_cap", wm.cap,
			"target_low", st.target_low, "target_high", st.target_high);
	pcpu_seq_printf(seq, "Chunks:\n");
	struct {
		AreaStats as;
		u32 empty, pop;
	} v;
	walk_chunks(
		[&](const Chunk* c) -> const char* {
			v.as = c->map.stats();
			v.empty = c->map.nr_empty_populated();
			v.pop = c->map.nr_populated();
			return nullptr;
		},
		[&](const Chunk* c) {
			pcpu_seq_printf(
				seq,
				"chunk %-4u nr_alloc %-6u free_bytes %-7u contig_bytes %-7u "
				"sum_frag %-7u max_frag %-7u empty_pop_pages %-3u populated "
				"%-3u\n",
				c->id, v.as.nr_allocs, v.as.free_bytes, v.as.contig_bytes,
				v.as.sum_frag, v.as.max_frag, v.empty, v.pop);
		});
}

// The largest unit is 16 MiB: 4096 pages; a line shows the first 256.
constexpr u32 kMaxPagesShown = 256;

// One line per chunk, one character per page of the unit:
//   '.' not populated   'o' populated, empty   '#' populated, in use
//   '!' in use but not populated (only transiently, under the mutex)
void Pool::show_chunks(void* seq)
{
	pcpu_seq_printf(seq, "# unit_size %u, %u units, pages: . unpopulated  o empty  # used\n",
			unit_bytes_, nr_units_);
	char line[kMaxPagesShown + 1];
	u32 n = 0;
	int slot = 0;
	walk_chunks(
		[&](const Chunk* c) -> const char* {
			n = min(c->map.nr_blocks(), kMaxPagesShown);
			slot = c->slot;
			for (u32 b = 0; b < n; b++) {
				bool pop = c->map.block_populated(b), empty = c->map.block_empty(b);
				line[b] = pop ? (empty ? 'o' : '#') : (empty ? '.' : '!');
			}
			return nullptr;
		},
		[&](const Chunk* c) {
			line[n] = 0;
			pcpu_seq_printf(seq, "chunk %-4u base %px slot %-2d %s%s\n", c->id,
					reinterpret_cast<void*>(c->base()), slot, line,
					n < c->map.nr_blocks() ? "..." : "");
		});
}

// Two passes, so that IRQs are never off for O(chunks x unit): each
// chunk's map and tags under the lock on their own (as the views), then
// the global counts, the order and the slot lists in one section that
// does constant work per chunk.
const char* Pool::check()
{
	const char* err = walk_chunks(
		[&](const Chunk* c) -> const char* {
			if (const char* e = c->map.check())
				return e;
			// Tags only at the start of live allocations.
			for (u32 off = 0; off < unit_bytes_; off += kTagBytes) {
				u8 t = c->tag(off)->load(mo::relaxed);
				if (t && !c->map.alloc_size(off / kMinAllocBytes))
					return "element tag on no live allocation";
			}
			return nullptr;
		},
		[](const Chunk*) {});
	if (err)
		return err;
	SpinIrqGuard g(lock_);
	u32 empty = 0, pop = 0, off_slots = 0;
	const ChunkIndex* idx = index_.load(mo::relaxed); // stable under the lock
	for (u32 i = 0; i < nr_chunks(); i++) {
		const Chunk* c = idx->c[i];
		if (i && idx->c[i - 1]->base() >= c->base())
			return "chunk index not sorted";
		// Created and not yet placed, or being destroyed: not in the
		// global counts.
		if (c->slot < 0) {
			off_slots++;
			continue;
		}
		empty += c->map.nr_empty_populated();
		pop += c->map.nr_populated();
		if (c->slot != slot_of_locked(c))
			return "chunk on the wrong slot";
	}
	if (empty != nr_empty_pop_)
		return "global empty_pop_pages differs from the chunks' sum";
	if (pop != nr_populated_)
		return "global populated pages differ from the chunks' sum";
	u32 listed = 0;
	for (int s = 0; s < nr_slots_; s++)
		listed += slots_[s].size();
	if (listed + off_slots != nr_chunks())
		return "slot lists do not hold every chunk once";
	return nullptr;
}

// Tunables: low <= high <= cap <= kMaxCap, and cap no more than
// kMaxEmptyBytes of empty populated memory over all units (4096 unit pages
// at 4 CPUs, 1024 at 64); anything else is -EINVAL and changes nothing.
constexpr u64 kMaxCap = 4096;
constexpr u64 kMaxEmptyBytes = 256ull << 20;

int Pool::set_low(u64 v)
{
	{
		SpinIrqGuard g(lock_);
		if (v > wm_.high)
			return kEINVAL;
		wm_.low = v;
		recompute_target_locked();
	}
	kick_balance(true);
	return 0;
}

int Pool::set_high(u64 v)
{
	{
		SpinIrqGuard g(lock_);
		if (v < wm_.low || v > wm_.cap)
			return kEINVAL;
		wm_.high = v;
		recompute_target_locked();
	}
	kick_balance(true);
	return 0;
}

u64 Pool::cap_limit() const
{
	return min<u64>(kMaxCap, kMaxEmptyBytes / (u64(nr_possible_) * page_bytes_));
}

int Pool::set_cap(u64 v)
{
	{
		SpinIrqGuard g(lock_);
		if (v < wm_.high || v > cap_limit())
			return kEINVAL;
		wm_.cap = v;
		recompute_target_locked();
	}
	kick_balance(true);
	return 0;
}

} // namespace pcp
