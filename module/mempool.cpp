// SPDX-License-Identifier: GPL-2.0
//
// mempool.cpp - the percpu mempool (see mempool.h for the contract and the
// magazine design).  alloc()/free() may be called from any context; the
// magazine fast path is IrqGuard + this CPU's magazine, nothing shared.
#include "mempool.h"
#include "rt.h"

namespace pcp {

namespace {
constinit Mutex mempools_mutex; // the list below, resize/destroy
constinit List<Mempool, &Mempool::node> mempools;
void* mempool_dir;

int cpu_dead_cb(unsigned int cpu);
void refill_work_fn(void* arg) { static_cast<Mempool*>(arg)->refill(); }
void drain_ipi(void* arg) { static_cast<Mempool*>(arg)->drain_local(); }
void show_fn(void* seq, void* arg) { static_cast<Mempool*>(arg)->show(seq); }
} // namespace

// A magazine's count is written by its own CPU (IRQs off) and read by
// present_locked() and get_stats() on other CPUs: WRITE_ONCE/READ_ONCE.
template <typename M>
static void set_count(M* m, u32 v)
{
	__atomic_store_n(&m->count, v, __ATOMIC_RELAXED);
}
// Per-CPU counters: one writer (their CPU, IRQs off), read by get_stats().
static void inc(u64& c) { __atomic_store_n(&c, c + 1, __ATOMIC_RELAXED); }
static u64 rd(const u64& c) { return __atomic_load_n(&c, __ATOMIC_RELAXED); }

template <typename T>
static T* cpu_ptr(void* pcpu, int cpu)
{
	return reinterpret_cast<T*>(reinterpret_cast<uptr>(pcpu) + g_pool.unit_off()[cpu]);
}

Mempool::Mag* Mempool::mag(int cpu) const { return cpu_ptr<Mag>(mags_, cpu); }
Mempool::CpuStats* Mempool::cstats(int cpu) const { return cpu_ptr<CpuStats>(stats_, cpu); }

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
	// First: destroy() takes this lock whatever else failed below.
	if (!mp->depot_lock_.init(PCPU_LOCK_MEMPOOL)) {
		delete mp;
		return nullptr;
	}
	u32 i = 0;
	for (; name && name[i] && i + 1 < sizeof(mp->name_); i++)
		mp->name_[i] = name[i];
	mp->name_[i] = 0;
	mp->size_ = size;
	mp->align_ = align;
	mp->min_nr_ = min_nr;
	mp->depot_cap_ = min_nr + kMagSize;
	mp->depot_ = new (gfp) void*[mp->depot_cap_];
	mp->mags_ = g_pool.alloc(sizeof(Mag), 8, gfp);
	mp->stats_ = g_pool.alloc(sizeof(CpuStats), 8, gfp);
	mp->work_ = pcpu_work_new(refill_work_fn, mp);
	if (!mp->depot_ || !mp->mags_ || !mp->stats_ || !mp->work_) {
		mp->destroy();
		return nullptr;
	}
	// Fill the reserve now, as mempool_create does: a pool is useful from
	// its first allocation.
	mp->refill();
	if (mp->present_locked() < min_nr) {
		mp->destroy();
		return nullptr;
	}
	{
		MutexGuard g(mempools_mutex);
		mempools.push_back(mp);
	}
	mp->files_[0] = {"stats", show_fn, nullptr, nullptr, mp};
	mp->dir_ = pcpu_debugfs_dir(mp->name_, mempool_dir);
	if (mp->dir_)
		pcpu_debugfs_create(mp->dir_, &mp->files_[0]);
	return mp;
}

void Mempool::destroy()
{
	if (node.linked()) {
		MutexGuard g(mempools_mutex);
		List<Mempool, &Mempool::node>::remove(this);
	}
	pcpu_debugfs_remove(dir_);
	pcpu_work_delete(work_);
	work_ = nullptr;
	if (stats_ && mags_) { // get_stats() reads both
		pcpupool_mempool_stats st;
		get_stats(&st);
		PCPU_WARN_ONCE(st.outstanding,
			       "mempool %s destroyed with %llu elements still out: they stay "
			       "allocated; free them with pcpupool_free()",
			       name_, st.outstanding);
	}
	// No user may run concurrently with destroy: magazines are read
	// directly.
	if (mags_) {
		for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
			if (!pcpu_cpu_possible(cpu))
				continue;
			Mag* m = mag(cpu);
			for (u32 i = 0; i < m->count; i++)
				g_pool.free(m->elems[i]);
			m->count = 0;
		}
	}
	for (u32 i = 0; i < depot_count_; i++)
		g_pool.free(depot_[i]);
	delete[] depot_;
	g_pool.free(mags_);
	g_pool.free(stats_);
	depot_lock_.destroy();
	delete this;
}

void Mempool::zero(void* elem) const
{
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
		if (pcpu_cpu_possible(cpu))
			pcpu_memset(cpu_ptr<u8>(elem, cpu), 0, size_);
	}
}

u32 Mempool::present_locked() const
{
	u32 n = depot_count_;
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
		if (pcpu_cpu_possible(cpu))
			n += __atomic_load_n(&mag(cpu)->count, __ATOMIC_RELAXED);
	}
	return n;
}

void Mempool::kick_refill() { pcpu_work_queue(work_); }

// The reserve: this CPU's magazine, then the depot.  Never sleeps.
void* Mempool::take_reserve(bool* kick)
{
	{
		IrqGuard irq;
		Mag* m = mag(irq.cpu());
		if (m->count) {
			m->loaned++;
			inc(cstats(irq.cpu())->magazine);
			set_count(m, m->count - 1);
			return m->elems[m->count];
		}
	}
	SpinIrqGuard g(depot_lock_);
	depot_ops_++;
	*kick = true;
	if (!depot_count_)
		return nullptr;
	int cpu = pcpu_this_cpu(); // IRQs are off under the depot lock
	Mag* m = mag(cpu);
	// Half a magazine moves over, so that the next misses are local.  This
	// need not be the magazine found empty above (the task migrated), or an
	// interrupt refilled it meanwhile: move only what fits.
	u32 room = m->count < kMagSize / 2 ? kMagSize / 2 - m->count : 0;
	u32 n = min(depot_count_ - 1, room);
	for (u32 i = 0; i < n; i++) {
		m->elems[m->count] = depot_[--depot_count_];
		set_count(m, m->count + 1);
	}
	m->loaned++;
	inc(cstats(cpu)->depot);
	return depot_[--depot_count_];
}

void* Mempool::alloc(Gfp gfp)
{
	AllocCtx ctx = AllocCtx::from_caller(gfp);
	const bool may_wait = ctx.effective().unconstrained();
	// 1. The allocator first, without sleeping.
	Gfp quick = ctx.effective()
			    .without(pcpu_gfp.direct_reclaim | pcpu_gfp.nofail)
			    .with(pcpu_gfp.nowarn);
	void* p = g_pool.alloc(size_, align_, quick);
	if (p) {
		IrqGuard irq;
		inc(cstats(irq.cpu())->allocator);
		return p;
	}
	// 2. The reserve.
	bool kick = false;
	p = take_reserve(&kick);
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
	// 4. An unconstrained caller may sleep in its own allocation.
	p = g_pool.alloc(size_, align_, gfp);
	IrqGuard irq;
	if (p)
		inc(cstats(irq.cpu())->direct);
	else
		inc(cstats(irq.cpu())->failures);
	return p;
}

// @user: a caller's free (counted); otherwise an internal move (drains).
void Mempool::free_to_depot_or_allocator(void* elem, bool user)
{
	bool keep;
	{
		SpinIrqGuard g(depot_lock_);
		depot_ops_++;
		keep = present_locked() < min_nr_ && depot_count_ < depot_cap_;
		if (keep)
			depot_[depot_count_++] = elem;
		CpuStats* s = cstats(pcpu_this_cpu());
		if (user && keep)
			inc(s->frees_depot);
		else if (user)
			inc(s->frees_allocator);
	}
	if (!keep)
		g_pool.free(elem);
}

void Mempool::free(void* elem)
{
	if (!elem)
		return;
	{
		IrqGuard irq;
		Mag* m = mag(irq.cpu());
		if (m->loaned && m->count < kMagSize) {
			m->loaned--;
			m->elems[m->count] = elem;
			set_count(m, m->count + 1);
			inc(cstats(irq.cpu())->frees_magazine);
			return;
		}
	}
	free_to_depot_or_allocator(elem, true);
}

// The refill work: top the depot up to min_nr, allocating with GFP_KERNEL
// and no pool lock held; trim a surplus.
void Mempool::refill()
{
	for (int round = 0; round < 64; round++) {
		u32 want;
		void* surplus = nullptr;
		{
			SpinIrqGuard g(depot_lock_);
			refill_runs_ += round == 0;
			u32 present = present_locked();
			want = present < min_nr_ ? min_nr_ - present : 0;
			if (!want && present > min_nr_ && depot_count_)
				surplus = depot_[--depot_count_];
		}
		if (surplus) {
			g_pool.free(surplus);
			continue;
		}
		if (!want)
			return;
		void* batch[16];
		u32 n = 0;
		for (; n < min(want, 16u); n++) {
			batch[n] = g_pool.alloc(size_, align_, Gfp::kernel().with(pcpu_gfp.nowarn));
			if (!batch[n])
				break;
		}
		u32 used = 0, reserved;
		{
			SpinIrqGuard g(depot_lock_);
			while (used < n && present_locked() < min_nr_ &&
			       depot_count_ < depot_cap_) {
				depot_[depot_count_++] = batch[used++];
				refills_++;
			}
			reserved = present_locked();
		}
		if (PCPU_UNLIKELY(pcpu_trace_mask & PCPU_TRACE_SLOW))
			pcpu_trace_mempool_refill(name_, used, reserved);
		for (u32 i = used; i < n; i++)
			g_pool.free(batch[i]);
		if (n < min(want, 16u))
			return; // out of memory: the next kick retries
	}
}

void Mempool::drain_local()
{
	Mag* m = mag(pcpu_this_cpu());
	while (m->count) {
		set_count(m, m->count - 1);
		free_to_depot_or_allocator(m->elems[m->count], false);
	}
	m->loaned = 0;
}

// CPU hotplug teardown: @cpu is dead, nobody touches its magazine.
void Mempool::cpu_dead(int cpu)
{
	Mag* m = mag(cpu);
	while (m->count) {
		set_count(m, m->count - 1);
		free_to_depot_or_allocator(m->elems[m->count], false);
	}
	m->loaned = 0;
}

int Mempool::resize(u32 new_min)
{
	if (new_min > (1u << 20))
		return -22;
	MutexGuard guard(mempools_mutex);
	void** bigger = nullptr;
	if (new_min + kMagSize > depot_cap_) {
		bigger = new (Gfp::kernel()) void*[new_min + kMagSize];
		if (!bigger)
			return -12;
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
		min_nr_ = new_min;
	}
	delete[] old;
	// Magazines back to the depot (or the allocator), then fix the depot.
	pcpu_on_each_cpu(drain_ipi, this);
	for (;;) {
		void* surplus = nullptr;
		{
			SpinIrqGuard g(depot_lock_);
			if (present_locked() > min_nr_ && depot_count_)
				surplus = depot_[--depot_count_];
		}
		if (!surplus)
			break;
		g_pool.free(surplus);
	}
	refill();
	SpinIrqGuard g(depot_lock_);
	return present_locked() >= min_nr_ ? 0 : -12;
}

void Mempool::get_stats(pcpupool_mempool_stats* st)
{
	*st = {};
	st->elem_size = size_;
	u64 allocs = 0, frees = 0;
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
		if (!pcpu_cpu_possible(cpu))
			continue;
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
		st->in_magazines += __atomic_load_n(&mag(cpu)->count, __ATOMIC_RELAXED);
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
#undef P
}

namespace {
int cpu_dead_cb(unsigned int cpu)
{
	MutexGuard g(mempools_mutex);
	for (Mempool* mp = mempools.front(); mp; mp = mempools.next(mp))
		mp->cpu_dead(cpu);
	return 0;
}
} // namespace

int mempools_init()
{
	if (!mempools_mutex.init(PCPU_LOCK_MEMPOOL_LIST))
		return -12;
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
