// SPDX-License-Identifier: GPL-2.0
//
// mempool.cpp - the percpu mempool (see mempool.h for the contract and the
// magazine design).  alloc()/free() may be called from any context; the
// magazine fast path is IrqGuard + one cmpxchg on this CPU's magazine.
#include "mempool.h"
#include "rt.h"

namespace pcp {

namespace {
constinit Mutex mempools_mutex; // the list below, resize/destroy
constinit List<Mempool, &Mempool::node> mempools;
void* mempool_dir;
// Element tag ids in use (bit i: id i), and where the round-robin search
// starts; under mempools_mutex.
constexpr u32 kMaxId = 127;
// Written under the mempools mutex, read without it (mempool_id_live()).
constinit Atomic<u64> ids_used[2];
constinit u32 next_id = 1;

u8 id_get()
{
	for (u32 i = 0; i < kMaxId; i++) {
		u32 id = (next_id - 1 + i) % kMaxId + 1;
		if (!(ids_used[id / 64].load(mo::relaxed) >> (id % 64) & 1)) {
			ids_used[id / 64].fetch_or(1ull << (id % 64), mo::relaxed);
			next_id = id % kMaxId + 1;
			return u8(id);
		}
	}
	return 0;
}

// Frees @id (0: none) for reuse.
void id_put(u8 id)
{
	if (!id)
		return;
	MutexGuard g(mempools_mutex);
	ids_used[id / 64].fetch_and(~(1ull << (id % 64)), mo::relaxed);
}

int cpu_dead_cb(unsigned int cpu);
} // namespace

bool mempool_id_live(u32 id)
{
	return id && id <= kMaxId && (ids_used[id / 64].load(mo::relaxed) >> (id % 64) & 1);
}

namespace {
void refill_work_fn(void* arg) { static_cast<Mempool*>(arg)->refill(); }
void drain_ipi(void* arg) { static_cast<Mempool*>(arg)->drain_local(); }
void show_fn(void* seq, void* arg) { static_cast<Mempool*>(arg)->show(seq); }
} // namespace

// The owner, IRQs off: false when the magazine is full.  The element is
// written above count, where no pop looks, then published by the release
// cmpxchg; a thief that popped meanwhile only moves the slot down.
PCPU_ALWAYS_INLINE bool Mempool::Mag::push(void* e)
{
	u64 s = state.load(mo::relaxed);
	for (;;) {
		u32 c = u32(s);
		if (c == kMagSize)
			return false;
		elems[c].store(e, mo::relaxed);
		if (state.cmpxchg(s, ((s >> 32) + 1) << 32 | (c + 1), mo::release, mo::relaxed))
			return true;
	}
}

// Anyone: the top element, or nullptr.  The element is read between the
// acquire load of the state and an acq_rel cmpxchg that succeeds only if
// no push or pop came in between (gen).
PCPU_ALWAYS_INLINE void* Mempool::Mag::pop()
{
	u64 s = state.load(mo::acquire);
	for (;;) {
		u32 c = u32(s);
		if (!c)
			return nullptr;
		void* e = elems[c - 1].load(mo::relaxed);
		if (state.cmpxchg(s, ((s >> 32) + 1) << 32 | (c - 1), mo::acq_rel, mo::acquire))
			return e;
	}
}
// Per-CPU counters: one writer (their CPU, IRQs off), read by get_stats().
PCPU_ALWAYS_INLINE void inc(Atomic<u64>& c) { c.add_single_writer(1); }
PCPU_ALWAYS_INLINE u64 rd(const Atomic<u64>& c) { return c.load(mo::relaxed); }

Mempool* Mempool::create(const char* name, u32 size, u32 align, u32 min_nr, Gfp gfp)
{
	if (!size || size > g_pool.unit_bytes() || !is_pow2(align ? align : 1) ||
	    align > g_pool.page_bytes() || min_nr > (1u << 20)) {
		PCPU_WARN_ONCE(true, "mempool_create: bad size %u align %u min_nr %u", size, align,
			       min_nr);
		return nullptr;
	}
	Mempool* mp = new (gfp) Mempool;
	if (!mp)
		return nullptr;
	Defer undo_new([mp] { delete mp; });
	// Cannot fail.  The work is queued only once the pool is published.
	mp->depot_lock_.init(PCPU_LOCK_MEMPOOL);
	mp->work_.setup(refill_work_fn, mp);
	Defer undo_work([mp] { mp->work_.cancel_sync(); });
	u32 i = 0;
	for (; name && name[i] && i + 1 < sizeof(mp->name_); i++)
		mp->name_[i] = name[i];
	mp->name_[i] = 0;
	mp->size_ = size;
	mp->align_ = max<u32>(align, kTagBytes);
	mp->cls_ = Pool::class_of(mp->size_, mp->align_);
	mp->min_nr_ = min_nr;
	mp->deficit_.store(i32(min_nr), mo::relaxed); // the reserve starts empty
	{
		MutexGuard g(mempools_mutex);
		mp->id_ = id_get();
	}
	if (!mp->id_)
		pcpu_log(PCPU_LOG_INFO, "mempool %s: all %u element tag ids taken: unchecked",
			 mp->name_, kMaxId);
	Defer undo_id([mp] { id_put(mp->id_); });
	void** depot = new (gfp) void*[min_nr + kMagSize];
	if (!depot)
		return nullptr;
	{
		SpinIrqGuard g(mp->depot_lock_);
		mp->depot_ = depot;
		mp->depot_cap_ = min_nr + kMagSize;
	}
	Defer undo_depot([depot] { delete[] depot; });
	mp->mags_ = g_pool.alloc(sizeof(Mag), 8, gfp);
	if (!mp->mags_)
		return nullptr;
	Defer undo_mags([mp] { g_pool.free(mp->mags_); });
	mp->stats_ = g_pool.alloc(sizeof(CpuStats), 8, gfp);
	if (!mp->stats_)
		return nullptr;
	Defer undo_stats([mp] { g_pool.free(mp->stats_); });
	// Fill the reserve now, as mempool_create does: a pool is useful from
	// its first allocation.
	Defer undo_fill([mp] { mp->release_elements(); });
	int ret;
	while ((ret = mp->refill_rounds(64)) > 0)
		pcpu_cond_resched();
	if (ret)
		return nullptr;
	{
		MutexGuard g(mempools_mutex);
		mempools.push_back(mp);
	}
	mp->files_[0] = {"stats", show_fn, nullptr, nullptr, mp};
	mp->dir_ = pcpu_debugfs_dir(mp->name_, mempool_dir);
	if (mp->dir_)
		pcpu_debugfs_create(mp->dir_, &mp->files_[0]);
	// Whole: from now on destroy() undoes it.
	undo_fill.cancel();
	undo_stats.cancel();
	undo_mags.cancel();
	undo_depot.cancel();
	undo_id.cancel();
	undo_work.cancel();
	undo_new.cancel();
	return mp;
}

// The elements the pool holds (magazines, then the depot) back to the
// allocator.  No user may run concurrently: magazines are read directly.
void Mempool::release_elements()
{
	for (u32 cpu : g_pool.possible_cpus()) {
		Mag* m = mag(cpu);
		while (void* elem = m->pop())
			g_pool.free_elem(elem);
	}
	void** depot;
	u32 n;
	{
		SpinIrqGuard g(depot_lock_);
		depot = depot_;
		n = depot_count_;
		depot_count_ = 0;
	}
	for (u32 i = 0; i < n; i++)
		g_pool.free_elem(depot[i]);
}

// A whole pool (create() undoes a partial one itself).
void Mempool::destroy()
{
	{
		MutexGuard g(mempools_mutex);
		List<Mempool, &Mempool::node>::remove(this);
	}
	pcpu_debugfs_remove(dir_);
	work_.cancel_sync();
	pcpupool_mempool_stats st;
	get_stats(&st);
	PCPU_WARN_ONCE(st.outstanding,
		       "mempool %s destroyed with %llu elements still out: they stay "
		       "allocated; free them with pcpupool_free()",
		       name_, st.outstanding);
	release_elements();
	void** depot;
	{
		SpinIrqGuard g(depot_lock_);
		depot = depot_;
		depot_ = nullptr;
	}
	delete[] depot;
	// Elements still out keep the id in their tags: pcpupool_free()
	// takes them (see allocator.h); the id is reused last.
	id_put(id_);
	g_pool.free(mags_);
	g_pool.free(stats_);
	delete this;
}

// An element is kTagBytes (8) aligned; a size that is a multiple of 8 up
// to the largest class is zeroed with the front end's inline word stores.
PCPU_ALWAYS_INLINE void Mempool::zero(void* elem) const
{
	if (size_ % 8 == 0 && size_ <= kClassMaxBytes) {
		g_pool.zero_class(elem, size_);
		return;
	}
	g_pool.zero_copies(elem, size_);
}

u32 Mempool::present_locked() const
{
	u32 n = depot_count_;
	for (u32 cpu : g_pool.possible_cpus())
		n += mag(cpu)->count();
	return n;
}

void Mempool::kick_refill() { work_.queue(); }

// A reserve element goes out to a user.  IRQs off (an RCU read-side
// section: the chunk index stays).
PCPU_ALWAYS_INLINE void Mempool::mark_out(void* elem) const
{
	if (!id_)
		return;
	if (Atomic<u8>* t = g_pool.tag_of(elem))
		t->store(tag(true), mo::relaxed);
}

// A user gives @elem back: only an element of this pool that is out may
// enter the reserve.  Lock-free; one cmpxchg on the element's tag, so that
// of two racing frees of one element exactly one gets in.  IRQs off on
// @cpu (an RCU read-side section: the chunk index stays).
PCPU_ALWAYS_INLINE bool Mempool::check_free(void* elem, int cpu)
{
	if (!id_)
		return true;
	u8 seen = tag(true);
	Atomic<u8>* t = g_pool.tag_of(elem);
	if (PCPU_LIKELY(t && t->cmpxchg(seen, tag(false), mo::relaxed, mo::relaxed)))
		return true;
	inc(cstats(cpu)->misuse);
	report_bad_free(elem, t, seen);
	return false;
}

// IRQs off: what was wrong with a refused free (WARN_ONCE per kind).
void Mempool::report_bad_free(void* elem, bool ours, u8 seen)
{
	if (!ours)
		PCPU_WARN_ONCE(true, "mempool %s: free of %px, which pcpupool did not allocate",
			       name_, elem);
	else if (seen == 0)
		PCPU_WARN_ONCE(true, "mempool %s: free of %px, not a mempool element", name_, elem);
	else if (seen == tag(false))
		PCPU_WARN_ONCE(true, "mempool %s: double free of %px", name_, elem);
	else
		PCPU_WARN_ONCE(true, "mempool %s: free of %px, an element of mempool #%u", name_,
			       elem, seen >> 1);
}

// The reserve: this CPU's magazine, then the depot, then another CPU's
// magazine.  Never sleeps.  The element leaves marked out (its tag).
void* Mempool::take_reserve(bool* kick)
{
	{
		IrqGuard irq;
		if (void* elem = mag(irq.cpu())->pop()) {
			left_reserve();
			inc(cstats(irq.cpu())->magazine);
			mark_out(elem);
			return elem;
		}
	}
	SpinIrqGuard g(depot_lock_);
	depot_ops_++;
	*kick = true;
	int cpu = pcpu_this_cpu(); // IRQs are off under the depot lock
	if (!depot_count_)
		return steal_locked(cpu);
	Mag* m = mag(cpu);
	// Half a magazine moves over, so that the next misses are local.  This
	// need not be the magazine found empty above (the task migrated), or an
	// interrupt refilled it meanwhile: move only what fits.
	u32 count = m->count();
	u32 room = count < kMagSize / 2 ? kMagSize / 2 - count : 0;
	u32 n = min(depot_count_ - 1, room);
	for (u32 i = 0; i < n && m->push(depot_[depot_count_ - 1]); i++)
		depot_count_--;
	left_reserve();
	inc(cstats(cpu)->depot);
	mark_out(depot_[depot_count_ - 1]);
	return depot_[--depot_count_];
}

// Depot lock held: the top element of the first magazine that has one,
// other than @skip's (-1: any).  A thief's pop: the depot lock serializes
// thieves; owners push and pop with IRQs off.
void* Mempool::pop_any_locked(int skip)
{
	depot_lock_.assert_held();
	for (u32 c : g_pool.possible_cpus())
		if (int(c) != skip)
			if (void* elem = mag(c)->pop())
				return elem;
	return nullptr;
}

// Depot lock held, depot empty: one element from the first other CPU whose
// magazine has one.
void* Mempool::steal_locked(int cpu)
{
	void* elem = pop_any_locked(cpu);
	if (!elem)
		return nullptr;
	left_reserve();
	inc(cstats(cpu)->depot);
	mark_out(elem);
	return elem;
}

// The common cases in one IRQs-off section, for any caller (nothing here
// can sleep): this CPU's front end serves the element (the allocator
// first, as always), or, when the allocator is known to fail at once (the
// class is exhausted; an injected failure; test builds: an armed fault),
// this CPU's magazine does, without a failed locked attempt first.
// nullptr: the full path, *@ask narrowed to what is still worth asking.
PCPU_ALWAYS_INLINE void* Mempool::alloc_fast(Ask* ask)
{
	if (cls_ < 0 || !g_pool.caching() || PCPU_UNLIKELY(pcpu_trace_mask))
		return nullptr;
	void* p = nullptr;
	int why = Pool::kAtomicMiss;
	bool fails = *ask != Ask::kAll; // the allocator fails at once
	{
		IrqGuard irq;
		if (!fails) {
			p = g_pool.hit_irqs_off(cls_, size_, tag(true), irq.cpu(), true, true,
						&why);
			fails = why != Pool::kAtomicMiss; // exhausted, or a test fault
		}
		if (p) {
			inc(cstats(irq.cpu())->allocator);
		} else if (fails && (p = mag(irq.cpu())->pop())) {
			left_reserve();
			inc(cstats(irq.cpu())->magazine);
			mark_out(p);
		}
	}
	if (why == Pool::kAtomicExhausted)
		g_pool.atomic_failed();
	if (fails && *ask == Ask::kAll)
		*ask = Ask::kDirect;
	if (p)
		zero(p);
	return p;
}

void* Mempool::alloc(Gfp gfp, bool injected)
{
	Ask ask = injected ? Ask::kNone : Ask::kAll;
	if (void* p = alloc_fast(&ask))
		return p;
	AllocCtx ctx = AllocCtx::from_caller(gfp);
	const bool may_wait = ctx.effective().unconstrained();
	// "Never waits", measured: a constrained caller that may sleep (an
	// atomic one cannot without a splat) must not block in here; a
	// voluntary context switch across the call is a wait, and is counted.
	const bool watch = !may_wait && ctx.may_sleep();
	unsigned long vcsw = watch ? pcpu_nr_voluntary_switches() : 0;
	void* p = alloc_impl(ctx, gfp, may_wait, ask);
	if (watch && pcpu_nr_voluntary_switches() != vcsw) {
		IrqGuard irq;
		inc(cstats(irq.cpu())->waits);
	}
	return p;
}

void* Mempool::alloc_impl(const AllocCtx& ctx, Gfp gfp, bool may_wait, Ask ask)
{
	// 1. The allocator first, without sleeping: its per-CPU front end;
	// when that class is exhausted the attempt fails at once, without the
	// pool lock, so a reserve hit does not pay a failed locked search.
	Gfp quick = ctx.effective()
			    .without(pcpu_gfp.direct_reclaim | pcpu_gfp.nofail)
			    .with(pcpu_gfp.nowarn);
	void* p = ask == Ask::kAll ? g_pool.alloc(size_, align_, quick, tag(true)) : nullptr;
	if (p) {
		IrqGuard irq;
		inc(cstats(irq.cpu())->allocator);
		return p;
	}
	// 2. The reserve.
	bool kick = false;
	p = take_reserve(&kick);
	if (!p && !may_wait && ctx.may_sleep() && PCPU_UNLIKELY(pcpu_test_mempool_wait())) {
		// Negative control only: what Andrew Morton's objection fears,
		// a NOIO caller sleeping until the refill work brings elements.
		kick_refill();
		pcpu_msleep(20);
		p = take_reserve(&kick);
	}
	if (kick)
		kick_refill();
	if (p) {
		zero(p);
		if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
			pcpu_trace_mempool_reserve(name_, p, kick);
		return p;
	}
	// 3. Constrained callers never wait: NULL now, the refill is kicked.
	if (!may_wait) {
		kick_refill();
		IrqGuard irq;
		inc(cstats(irq.cpu())->failures);
		return nullptr;
	}
	// 4. An unconstrained caller may sleep in its own allocation (unless
	// fail_pcpupool failed this call's allocator attempts).
	p = ask == Ask::kNone ? nullptr : g_pool.alloc(size_, align_, gfp, tag(true));
	IrqGuard irq;
	if (p)
		inc(cstats(irq.cpu())->direct);
	else
		inc(cstats(irq.cpu())->failures);
	return p;
}

// The reserve's shortfall, deficit_ = min_nr - (depot + magazines), is the
// one number that decides whether an element enters the reserve: a free
// or a refill takes one unit of it (only while it is positive) before it
// puts an element in, a reserve hit gives one back.  So the reserve never
// grows past min_nr, whichever CPU frees what (issue: a per-magazine loan
// count, decremented only by a free on the same CPU, let cross-CPU frees
// over-fill it).  One atomic on a shared line per reserve operation; the
// reserve is the path taken when the allocator has already failed.
PCPU_ALWAYS_INLINE bool Mempool::take_deficit()
{
	i32 d = deficit_.load(mo::relaxed);
	while (d > 0) {
		if (deficit_.cmpxchg(d, d - 1, mo::relaxed, mo::relaxed))
			return true;
	}
	return false;
}

PCPU_ALWAYS_INLINE void Mempool::left_reserve() { deficit_.fetch_add(1, mo::relaxed); }

// An element of the reserve moves to the depot (drains, hotplug); if the
// depot has no room it leaves the reserve for the allocator.
void Mempool::to_depot(void* elem)
{
	bool kept;
	{
		SpinIrqGuard g(depot_lock_);
		depot_ops_++;
		kept = depot_count_ < depot_cap_;
		if (kept)
			depot_[depot_count_++] = elem;
	}
	if (!kept) {
		left_reserve();
		g_pool.free_elem(elem);
	}
}

void Mempool::free(void* elem)
{
	if (!elem)
		return;
	bool reserve;
	{
		// One IRQs-off section for the tag check and the magazine.
		IrqGuard irq;
		if (!check_free(elem, irq.cpu()))
			return;
		reserve = take_deficit();
		if (reserve) {
			if (mag(irq.cpu())->push(elem)) {
				inc(cstats(irq.cpu())->frees_magazine);
				return;
			}
		} else {
			inc(cstats(irq.cpu())->frees_allocator);
		}
	}
	if (!reserve) {
		// The reserve is full: back to the allocator.
		g_pool.free_elem(elem);
		return;
	}
	bool kept;
	{
		SpinIrqGuard g(depot_lock_);
		depot_ops_++;
		kept = depot_count_ < depot_cap_;
		if (kept) {
			depot_[depot_count_++] = elem;
			inc(cstats(pcpu_this_cpu())->frees_depot);
		}
	}
	if (!kept) { // cannot happen while depot_cap_ >= min_nr; stay exact anyway
		left_reserve();
		g_pool.free_elem(elem);
		IrqGuard irq;
		inc(cstats(irq.cpu())->frees_allocator);
	}
}

// The refill work: top the depot up to min_nr, allocating with GFP_KERNEL
// and no pool lock held; trim a surplus.  After its rounds it queues itself
// again if the reserve still wants elements.
void Mempool::refill()
{
	if (refill_rounds(64) > 0)
		kick_refill();
}

// Up to @rounds batches.  Returns 0 when the reserve holds min_nr, 1 if it
// still wants elements after @rounds, kENOMEM when an allocation failed.  Users
// taking elements meanwhile only make it go on: that is not a failure.
int Mempool::refill_rounds(int rounds)
{
	for (int round = 0; round < rounds; round++) {
		i32 want = deficit_.load(mo::relaxed);
		if (round == 0) {
			SpinIrqGuard g(depot_lock_);
			refill_runs_++;
		}
		if (want < 0) {
			// A surplus (resize went down): one back from the depot,
			// else from a magazine.  A reserve take moves depot
			// elements into its CPU's magazine, so one that came
			// between the drain and the trim leaves the surplus there
			// (the fuzzer's resize-down-reserve-above-min: the trim
			// stopped at an empty depot, the reserve 8 above min_nr).
			void* surplus;
			{
				SpinIrqGuard g(depot_lock_);
				surplus =
					depot_count_ ? depot_[--depot_count_] : pop_any_locked(-1);
			}
			if (!surplus)
				return 0;
			left_reserve();
			g_pool.free_elem(surplus);
			continue;
		}
		if (!want)
			return 0;
		void* batch[16];
		u32 n = 0;
		for (; n < min(u32(want), 16u); n++) {
			batch[n] = g_pool.alloc(size_, align_, Gfp::kernel().with(pcpu_gfp.nowarn),
						tag(false));
			if (!batch[n])
				break;
		}
		u32 used = 0, reserved;
		{
			SpinIrqGuard g(depot_lock_);
			while (used < n && depot_count_ < depot_cap_ && take_deficit()) {
				depot_[depot_count_++] = batch[used++];
				refills_++;
			}
			reserved = present_locked();
		}
		if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
			pcpu_trace_mempool_refill(name_, used, reserved);
		for (u32 i = used; i < n; i++)
			g_pool.free_elem(batch[i]);
		if (n < min(u32(want), 16u))
			return kENOMEM; // out of memory: the next kick retries
	}
	return 1;
}

// IPI (IRQs off): this CPU's magazine to the depot.
void Mempool::drain_local()
{
	Mag* m = mag(pcpu_this_cpu());
	while (void* elem = m->pop())
		to_depot(elem);
}

// CPU hotplug teardown: @cpu is dead; only a thief may still look at its
// magazine.
void Mempool::cpu_dead(int cpu)
{
	Mag* m = mag(cpu);
	while (void* elem = m->pop())
		to_depot(elem);
}

int Mempool::resize(u32 new_min)
{
	if (new_min > (1u << 20))
		return kEINVAL;
	MutexGuard guard(mempools_mutex);
	void** bigger = nullptr;
	u32 cap;
	{
		SpinIrqGuard g(depot_lock_); // only resize() changes it, under the mutex
		cap = depot_cap_;
	}
	if (new_min + kMagSize > cap) {
		bigger = new (Gfp::kernel()) void*[new_min + kMagSize];
		if (!bigger)
			return kENOMEM;
	}
	void** old = nullptr;
	{
		SpinIrqGuard g(depot_lock_);
		if (bigger) {
			for (u32 i = 0; i < depot_count_; i++)
				bigger[i] = depot_[i];
			old = depot_;
			depot_ = bigger;
			depot_cap_ = new_min + kMagSize;
		}
		deficit_.fetch_add(i32(new_min) - i32(min_nr_), mo::relaxed);
		min_nr_ = new_min;
	}
	delete[] old;
	// Magazines back to the depot, then the refill trims a surplus or
	// tops the reserve up.  -ENOMEM only if memory ran out; users taking
	// elements concurrently just make the refill go on.
	pcpu_on_each_cpu(drain_ipi, this);
	int ret;
	while ((ret = refill_rounds(64)) > 0)
		pcpu_cond_resched();
	return ret;
}

void Mempool::get_stats(pcpupool_mempool_stats* st)
{
	*st = {};
	st->elem_size = size_;
	u64 allocs = 0, frees = 0;
	for (u32 cpu : g_pool.possible_cpus()) {
		const CpuStats* s = cstats(cpu);
		u64 al = rd(s->allocator), ma = rd(s->magazine), de = rd(s->depot);
		u64 di = rd(s->direct), fm = rd(s->frees_magazine);
		u64 fd = rd(s->frees_depot), fa = rd(s->frees_allocator);
		st->served_allocator += al;
		st->served_magazine += ma;
		st->served_depot += de;
		st->served_direct += di;
		st->failures += rd(s->failures);
		st->waits += rd(s->waits);
		st->frees_magazine += fm;
		st->frees_depot += fd;
		st->frees_allocator += fa;
		st->misuse += rd(s->misuse);
		st->in_magazines += mag(cpu)->count();
		allocs += al + ma + de + di;
		frees += fm + fd + fa;
	}
	SpinIrqGuard g(depot_lock_);
	st->min_nr = min_nr_;
	st->reserved = present_locked();
	st->refills = refills_;
	st->refill_runs = refill_runs_;
	st->depot_ops = depot_ops_;
	st->outstanding = allocs - frees;
	st->id = id_;
}

void Mempool::show(void* seq)
{
	pcpupool_mempool_stats st;
	get_stats(&st);
#define P(f) pcpu_seq_printf(seq, "%-18s %llu\n", #f, st.f)
	P(elem_size);
	P(min_nr);
	P(reserved);
	P(in_magazines);
	P(served_allocator);
	P(served_magazine);
	P(served_depot);
	P(served_direct);
	P(failures);
	P(waits);
	P(refills);
	P(refill_runs);
	P(frees_magazine);
	P(frees_depot);
	P(frees_allocator);
	P(depot_ops);
	P(outstanding);
	P(misuse);
	P(id);
#undef P
}

namespace {
// The one hotplug teardown of the module: the mempools' magazines of the
// dead CPU first (their elements may go back to the allocator), then the
// allocator's own per-CPU cache of it.
int cpu_dead_cb(unsigned int cpu)
{
	{
		MutexGuard g(mempools_mutex);
		for (Mempool* mp = mempools.front(); mp; mp = mempools.next(mp))
			mp->cpu_dead(cpu);
	}
	g_pool.cache_cpu_dead(cpu);
	return 0;
}
} // namespace

int mempools_init()
{
	mempools_mutex.init(PCPU_LOCK_MEMPOOL_LIST);
	mempool_dir = pcpu_debugfs_dir("mempool", nullptr);
	int ret = pcpu_cpuhp_init(cpu_dead_cb);
	if (ret)
		mempools_mutex.destroy();
	return ret;
}

void mempools_exit()
{
	pcpu_cpuhp_exit();
	PCPU_WARN_ONCE(!mempools.empty(), "module exit with mempools not destroyed");
	mempools_mutex.destroy();
}

} // namespace pcp
