// SPDX-License-Identifier: GPL-2.0
//
// cache.cpp - the per-CPU front end: size-class caches of small percpu
// objects in front of the area allocator (allocator.h).
//
// Why: every allocation and free of the area allocator takes the one pool
// spinlock with IRQs off, as Linux's pcpu_lock does; small percpu objects
// (counters, stat blocks) are allocated and freed in the IO path, where
// that lock is the cost.  As FreeBSD's UMA_ZONE_PCPU and Bonwick's
// magazines do, a CPU keeps objects of each size class ready:
//
//  hit      IRQs off, pop from / push to this CPU's CpuCache (itself in
//           pcpupool memory, so each CPU's copy sits in its own unit and
//           shares no cache line with another CPU's), then zero the
//           request on every possible CPU.  No lock, no shared counter.
//           The chunk is found through the RCU chunk index: an IRQs-off
//           section is an RCU read-side section (one RCU flavour since
//           4.20), so the chunk cannot be freed under us.
//  miss     one pool lock acquisition carves half a cache worth of objects
//           out of populated pages (one contiguous run if there is one).
//           An atomic caller never populates: if the carve finds nothing
//           the class is marked exhausted, and later atomic misses fail at
//           once, without the lock, until populated free space grows
//           again (Pool::update clears the mark).  So a failed atomic
//           attempt costs about what a hit costs.  A sleepable caller
//           falls back to the locked slow path for one object.
//  full     a free into a full cache first flushes its older half back to
//           the area map under one lock acquisition.
//
// Zeroing happens at hand-out, for the requested bytes only, in every
// possible CPU's copy: nr_possible memsets per allocation, the same work
// as before the caches, and the only place a stale write through a
// dangling pointer cannot leak into the next user's "zeroed" memory.
//
// A free must tell a class object from any other allocation without the
// lock: the chunk's class byte (Chunk::meta) says so.  It moves from "out"
// to "cached" with one cmpxchg, so a double free (sequential or racing) is
// refused, WARNed and counted like the locked path's.
//
// Cached memory is accounted (debugfs "cache": per class and per CPU) and
// given back: the balance work trims the caches of CPUs that did not use
// them for a while, a shrinker drains every cache under memory pressure,
// the hotplug teardown drains a dead CPU's, and unload drains all.  The
// "cache" tunable switches the front end off (draining it) for
// measurements and for tests that need the area map's exact behaviour.
//
// Context: any, as the atomic path.  The only lock taken is the pool lock,
// with IRQs already off; the drains run on their own CPU by IPI or on a
// dead CPU's cache from the hotplug callback.
#include "allocator.h"
#include "rt.h"

namespace pcp {

namespace {
PCPU_ALWAYS_INLINE u64 rd(const Atomic<u64>& c) { return c.load(mo::relaxed); }

constexpr unsigned long kTrimMs = 2000; // a cache unused this long is trimmed
} // namespace

// Pool lock held, IRQs off, @cc this CPU's (or a dead CPU's).  Carves up
// to @n objects of class @cls out of populated pages into the cache.
u32 Pool::carve_locked(int cls, CpuCache* cc, u32 n, bool atomic)
{
	lock_.assert_held();
	auto& s = cc->cls[cls];
	n = min(n, class_cap(cls) - s.n());
	const u32 bits = class_bytes(cls) / kMinAllocBytes;
	const u32 align_bits = class_align(cls) / kMinAllocBytes;
	u32 got = 0;
	// One run for the whole batch if there is one, else one by one.
	for (u32 want = n; got < n;) {
		Placement pl;
		for (int slot = fls64(want * bits * kMinAllocBytes); slot < nr_slots_ && !pl;
		     slot++) {
			for (Chunk* c = slots_[slot].front(); c; c = slots_[slot].next(c)) {
				int off = c->map.find_fit(want * bits, align_bits, true);
				if (off >= 0) {
					pl = Placement{c, u32(off)};
					break;
				}
			}
		}
		if (!pl) {
			if (want == 1)
				break;
			want = 1;
			continue;
		}
		update_locked(pl.chunk, [&](AreaMap& m) {
			for (u32 i = 0; i < want; i++)
				m.alloc(pl.off + i * bits, bits);
			return 0;
		});
		for (u32 i = 0; i < want; i++) {
			u32 off = (pl.off + i * bits) * kMinAllocBytes;
			pl.chunk->meta(off)->store(u8(meta_out(cls) | kMetaCached), mo::relaxed);
			s.push(reinterpret_cast<void*>(pl.chunk->base() + off));
		}
		got += want;
		want = min(want, n - got);
	}
	if (got) {
		bump(cc->ctr[cls].carved, got);
		if (atomic) {
			atomic_bytes_since_ += u64(got) * class_bytes(cls);
			for (u32 i = s.n() - got; i < s.n(); i++) {
				Chunk* c = lookup_locked(reinterpret_cast<uptr>(s.objs[i]));
				c->atomic_bytes += class_bytes(cls);
			}
		}
	} else if (atomic) {
		exhausted_.fetch_or(1u << cls, mo::relaxed);
	}
	return got;
}

// Pool lock held, IRQs off.  Returns the oldest @n objects of @cls to the
// area map; true if the balance work should look (a chunk went wholly
// free or empty pages are above target).
bool Pool::flush_locked(int cls, CpuCache* cc, u32 n)
{
	lock_.assert_held();
	auto& s = cc->cls[cls];
	n = min(n, s.n());
	bool kick = false;
	for (u32 i = 0; i < n; i++) {
		uptr p = reinterpret_cast<uptr>(s.objs[i]);
		Chunk* c = lookup_locked(p);
		u32 off = p - c->base();
		c->meta(off)->store(u8(0), mo::relaxed);
		u32 bits =
			update_locked(c, [&](AreaMap& m) { return m.free(off / kMinAllocBytes); });
		PCPU_BUG_ON(!bits);
		kick |= c->map.all_free();
	}
	for (u32 i = n; i < s.n(); i++)
		s.objs[i - n] = s.objs[i];
	s.set_count(s.n() - n);
	bump(cc->ctr[cls].flushed, n);
	return kick || nr_empty_pop_ > target_high_;
}

void* Pool::cache_alloc(int cls, u32 bytes, Gfp gfp, u8 tag)
{
	const bool atomic = !gfp.may_sleep();
	void* p;
	int why;
	bool kick = false;
	if (!atomic)
		pcpu_might_sleep(); // as the slow path would, hit or miss
	{
		IrqGuard irq; // this CPU's cache; also an RCU read-side section
		p = hit_irqs_off(cls, bytes, tag, irq.cpu(), atomic, atomic, &why);
		if (!p && why == kAtomicMiss) {
			// The miss: a batch carved under the lock (IRQs are off).
			CpuCache* cc = cache(irq.cpu());
			auto& s = cc->cls[cls];
			{
				SpinGuard g(lock_); // IRQs are off already
				if (carve_locked(cls, cc, class_cap(cls) / 2, atomic)) {
					p = s.pop();
					bump(cc->ctr[cls].misses);
				}
				// Refill before exhaustion (refill_wanted_locked()).
				kick = !p || refill_wanted_locked();
				if (!p && atomic)
					failed_since_balance_.store(true, mo::relaxed);
			}
			if (p)
				hand_out(p, cls, tag, cc, bytes, atomic);
			else if (atomic)
				bump(cc->ctr[cls].fails);
		}
	}
	if (kick)
		kick_balance(/*now=*/true);
	else if (why == kAtomicExhausted)
		atomic_failed(); // no lock, but the balance work must know
	if (p) {
		zero_class(p, bytes);
		return p;
	}
	if (atomic)
		return nullptr;
	// Sleepable: the slow path populates (or creates a chunk) for one
	// class-sized object, which is then a class object like any other.
	AllocCtx ctx = AllocCtx::from_caller(gfp);
	return alloc_sleepable(class_bytes(cls) / kMinAllocBytes, class_align(cls) / kMinAllocBytes,
			       bytes, tag, ctx, cls); // zeroed by alloc_sleepable
}

void Pool::report_refused_free(int why, uptr p, u8 tv)
{
	{
		SpinIrqGuard g(lock_);
		st_.nr_misuse++;
	}
	if (why == kRefusedTag)
		warn_tag_refusal(reinterpret_cast<void*>(p), tv);
	else
		PCPU_WARN_ONCE(true, "double free or never allocated: %px (a cached object)",
			       reinterpret_cast<void*>(p));
}

// ---- bulk: N objects for one IRQs-off section (and few lock rounds) ----

int Pool::alloc_bulk(usize bytes, usize align, Gfp gfp, u32 n, void** out)
{
	int cls = class_of(bytes, align);
	if (cls < 0 || !caching() || (gfp.raw() & pcpu_gfp.account) || !bytes) {
		// Not served by the front end (or misuse, which alloc() reports):
		// one by one, all or nothing.
		for (u32 i = 0; i < n; i++) {
			out[i] = alloc(bytes, align, gfp);
			if (!out[i]) {
				free_bulk(i, out);
				return kENOMEM;
			}
		}
		return 0;
	}
	const bool atomic = !gfp.may_sleep();
	if (!atomic)
		pcpu_might_sleep();
	u32 got = 0;
	bool kick = false;
	{
		IrqGuard irq;
		CpuCache* cc = cache(irq.cpu());
		auto& s = cc->cls[cls];
		if (!(atomic && fault_atomic())) {
			while (got < n) {
				if (!s.n()) {
					if (atomic && exhausted(cls))
						break;
					// One lock round refills the whole cache.
					u32 c;
					{
						SpinGuard g(lock_); // IRQs are off already
						c = carve_locked(cls, cc, class_cap(cls), atomic);
						kick |= !c || refill_wanted_locked();
					}
					if (!c)
						break;
					bump(cc->ctr[cls].misses);
				} else {
					bump(cc->ctr[cls].hits);
				}
				out[got] = s.pop();
				hand_out(out[got++], cls, 0, cc, bytes, atomic);
			}
		}
		if (got < n && atomic)
			bump(cc->ctr[cls].fails);
	}
	if (kick)
		kick_balance(/*now=*/true);
	// What came from the cache is zeroed here; the slow path zeroes its own.
	for (u32 i = 0; i < got; i++)
		zero_class(out[i], bytes);
	for (; got < n && !atomic; got++) {
		out[got] = alloc(bytes, align, gfp);
		if (!out[got])
			break;
	}
	if (got < n) {
		free_bulk(got, out);
		for (u32 i = 0; i < n; i++)
			out[i] = nullptr;
		return kENOMEM;
	}
	return 0;
}

void Pool::free_bulk(u32 n, void* const* ptrs)
{
	bool kick = false;
	u32 i = 0;
	while (i < n) {
		int ret = kNotClass;
		u8 tv = 0;
		{
			// Every class object of the batch in one IRQs-off section;
			// it ends at the first that needs the locked path.
			IrqGuard irq;
			for (; i < n; i++) {
				if (!ptrs[i])
					continue;
				ret = cache_free_irqs_off(reinterpret_cast<uptr>(ptrs[i]), false,
							  irq.cpu(), &kick, &tv);
				if (ret < 0)
					break;
			}
		}
		if (i == n)
			break;
		if (ret == kNotClass)
			free_impl(ptrs[i], false);
		else
			report_refused_free(ret, reinterpret_cast<uptr>(ptrs[i]), tv);
		i++;
	}
	if (kick)
		kick_balance(/*now=*/false);
}

// Pool lock held, IRQs off: everything @cc holds back to the area map.
void Pool::drain_cpu_locked(CpuCache* cc)
{
	for (int cls = 0; cls < int(kNrClasses); cls++)
		flush_locked(cls, cc, cc->cls[cls].n());
}

void Pool::cache_drain_local()
{
	SpinIrqGuard g(lock_);
	drain_cpu_locked(cache(pcpu_this_cpu()));
}

namespace {
void drain_ipi(void* arg) { static_cast<Pool*>(arg)->cache_drain_local(); }
} // namespace

void Pool::drain_caches()
{
	if (!caches_)
		return;
	pcpu_on_each_cpu(drain_ipi, this);
	kick_balance(/*now=*/false);
}

void Pool::cache_cpu_dead(int cpu)
{
	if (!caches_)
		return;
	SpinIrqGuard g(lock_);
	drain_cpu_locked(cache(cpu));
}

u64 Pool::cached_objects() const
{
	if (!caches_)
		return 0;
	u64 n = 0;
	for (u32 cpu : possible_cpus())
		for (const auto& s : cache(cpu)->cls)
			n += s.n();
	return n;
}

void Pool::set_caching(bool on)
{
	cache_on_.store(on, mo::relaxed);
	if (!on)
		drain_caches();
}

// Balance work: drain the caches of CPUs that did not use them since the
// previous trim, at most every kTrimMs; asks to run again while anything
// is cached.
void Pool::trim_idle_caches()
{
	if (!caches_ || !cached_objects())
		return;
	unsigned long now = pcpu_jiffies();
	if (long(now - next_trim_) >= 0) {
		next_trim_ = now + pcpu_msecs_to_jiffies(kTrimMs);
		// On each CPU: a cache used since the last look is kept (and
		// marked unused), an unused one is drained.
		pcpu_on_each_cpu(
			[](void* a) {
				Pool* pool = static_cast<Pool*>(a);
				CpuCache* cc = pool->cache(pcpu_this_cpu());
				if (cc->touched.load(mo::relaxed)) {
					cc->touched.store(0u, mo::relaxed);
					return;
				}
				pool->cache_drain_local();
			},
			this);
	}
	if (cached_objects())
		balance_work_.requeue_delayed(kTrimMs);
}

// The shrinker: under memory pressure every cache goes back to the area
// map, and the balance work then gives empty pages back.
namespace {
unsigned long shrink_count(void* arg) { return static_cast<Pool*>(arg)->cached_objects(); }
unsigned long shrink_scan(void* arg, unsigned long)
{
	Pool* pool = static_cast<Pool*>(arg);
	u64 before = pool->cached_objects();
	pool->drain_caches();
	u64 after = pool->cached_objects();
	return before > after ? before - after : 0;
}
} // namespace

bool Pool::init_cache()
{
	// The caches live in the kernel's own percpu memory (one copy per CPU,
	// each in that CPU's unit), reached through a table of this CPU's
	// address: one load on the fast path, no port call.
	// A failure undoes what was done (types.h, Defer).
	CpuCache** table = new (Gfp::kernel()) CpuCache*[nr_units_]();
	if (!table)
		return false;
	Defer undo_table([table] { delete[] table; });
	void* cache = pcpu_kpercpu_alloc(sizeof(CpuCache), kClassAlignMax);
	if (!cache)
		return false;
	Defer undo_cache([cache] { pcpu_kpercpu_free(cache); });
	for (u32 cpu : possible_cpus())
		table[cpu] = static_cast<CpuCache*>(pcpu_kpercpu_ptr(cache, cpu));
	cache_ = cache;
	caches_ = table; // from here on the front end is usable
	Defer undo_publish([this] {
		caches_ = nullptr;
		cache_ = nullptr;
	});
	// Last: a registered shrinker may run at once.
	shrinker_ = pcpu_shrinker_new("pcpupool", shrink_count, shrink_scan, this);
	if (!shrinker_)
		return false;
	undo_publish.cancel();
	undo_cache.cancel();
	undo_table.cancel();
	return true;
}

// Unload, first step: no more shrinking, every cached object back to its
// chunk.  The counters stay readable for the live-allocation report.
void Pool::exit_cache()
{
	pcpu_shrinker_delete(shrinker_);
	shrinker_ = nullptr;
	drain_caches();
}

// Unload, last step.
void Pool::free_cache()
{
	delete[] caches_;
	caches_ = nullptr;
	pcpu_kpercpu_free(cache_);
	cache_ = nullptr;
}

void Pool::show_cache(void* seq)
{
	using ull = unsigned long long;
	pcpu_seq_printf(seq, "caching %d cached_objects %llu\n", caching(), ull(cached_objects()));
	if (!caches_)
		return;
	pcpu_seq_printf(seq, "%-6s %-4s %6s %10s %8s %8s %8s %10s %8s\n", "class", "cpu", "cached",
			"hits", "misses", "carved", "flushed", "frees", "fails");
	for (int cls = 0; cls < int(kNrClasses); cls++) {
		for (u32 cpu : possible_cpus()) {
			const CpuCache* cc = cache(cpu);
			const ClassCounters& c = cc->ctr[cls];
			u32 cached = cc->cls[cls].n();
			if (!cached && !rd(c.hits) && !rd(c.carved) && !rd(c.frees) && !rd(c.fails))
				continue; // never used on this CPU
			pcpu_seq_printf(seq,
					"%-6u %-4u %6u %10llu %8llu %8llu %8llu %10llu %8llu\n",
					class_bytes(cls), cpu, cached, ull(rd(c.hits)),
					ull(rd(c.misses)), ull(rd(c.carved)), ull(rd(c.flushed)),
					ull(rd(c.frees)), ull(rd(c.fails)));
		}
	}
}

} // namespace pcp
