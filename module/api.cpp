// SPDX-License-Identifier: GPL-2.0
//
// api.cpp - the extern "C" entry points of the core: the public API of
// include/pcpupool/pcpupool.h (same ABI: size_t is unsigned long, gfp_t
// unsigned int, a __percpu pointer a pointer), module init/exit and the
// debugfs files of the allocator.
#include "allocator.h"
#include "core_api.h"
#include "mempool.h"
#include "rt.h"

using namespace pcp;

static Mempool* mp(pcpupool_mempool* p) { return reinterpret_cast<Mempool*>(p); }

// fail_pcpupool (module/port/fault.c): an injected failure fails the call,
// consulted once per call, before any cache.
PCPU_ALWAYS_INLINE static bool fail_injected(unsigned int gfp, unsigned long bytes)
{
	return PCPU_UNLIKELY(pcpu_fail_on) && pcpu_fail_alloc(gfp, bytes);
}

pcpupool_mempool* pcpu_api_mempool_create(const char* name, unsigned long size, unsigned long align,
					  unsigned int min_nr, unsigned int gfp)
{
	if (size > (1ul << 30) || align > (1ul << 30))
		return nullptr;
	return reinterpret_cast<pcpupool_mempool*>(
		Mempool::create(name, size, align, min_nr, Gfp(gfp)));
}

void* pcpu_api_mempool_alloc(pcpupool_mempool* pool, unsigned int gfp)
{
	// Injected: the allocator's attempt fails, the reserve may serve.
	return mp(pool)->alloc(Gfp(gfp), fail_injected(gfp, mp(pool)->size()));
}

void pcpu_api_mempool_free(pcpupool_mempool* pool, void* elem) { mp(pool)->free(elem); }

int pcpu_api_mempool_resize(pcpupool_mempool* pool, unsigned int min_nr)
{
	return mp(pool)->resize(min_nr);
}

void pcpu_api_mempool_destroy(pcpupool_mempool* pool)
{
	if (pool)
		mp(pool)->destroy();
}

void pcpu_api_mempool_get_stats(pcpupool_mempool* pool, pcpupool_mempool_stats* st)
{
	mp(pool)->get_stats(st);
}

// The fast path: Pool::alloc() and Pool::free() inline their cache hit
// here (port/main.c's pcpupool_alloc()/pcpupool_free() jump here).
void* pcpu_api_alloc(unsigned long size, unsigned long align, unsigned int gfp)
{
	if (fail_injected(gfp, size))
		return nullptr;
	return g_pool.alloc(size, align, Gfp(gfp));
}

void pcpu_api_free(void* ptr) { g_pool.free(ptr); }

int pcpu_api_alloc_bulk(unsigned long size, unsigned long align, unsigned int gfp, unsigned int n,
			void** ptrs)
{
	if (fail_injected(gfp, size * n)) {
		for (unsigned int i = 0; i < n; i++)
			ptrs[i] = nullptr;
		return kENOMEM;
	}
	return g_pool.alloc_bulk(size, align, Gfp(gfp), n, ptrs);
}

void pcpu_api_free_bulk(unsigned int n, void* const* ptrs) { g_pool.free_bulk(n, ptrs); }

void pcpu_api_get_stats(pcpupool_stats* st) { g_pool.get_stats(st); }

int pcpu_core_alloc_mutex_held(void) noexcept { return g_pool.mutex_held(); }

int pcpupool_core_init(unsigned int unit_bytes)
{
	int ret = g_pool.init(unit_bytes);
	if (ret)
		return ret;
	pcpupool_unit_off = g_pool.unit_off();
	ret = mempools_init();
	if (ret)
		g_pool.exit();
	return ret;
}

namespace {

void show_stats(void* seq, void*) { g_pool.show_stats(seq); }
void show_cache(void* seq, void*) { g_pool.show_cache(seq); }
unsigned long long get_caching(void*) { return g_pool.caching(); }
// Tunable: 1 turns the per-CPU front end on, 0 off (draining every cache).
int set_caching(void*, unsigned long long v)
{
	if (v > 1)
		return kEINVAL;
	g_pool.set_caching(v);
	return 0;
}
void show_chunks(void* seq, void*) { g_pool.show_chunks(seq); }
unsigned long long get_low(void*) { return g_pool.watermarks().low; }
unsigned long long get_high(void*) { return g_pool.watermarks().high; }
unsigned long long get_cap(void*) { return g_pool.watermarks().cap; }
int set_low(void*, unsigned long long v) { return g_pool.set_low(v); }
int set_high(void*, unsigned long long v) { return g_pool.set_high(v); }
int set_cap(void*, unsigned long long v) { return g_pool.set_cap(v); }
// Trigger: writing 1 runs the balance work now and waits for it.
int set_balance(void*, unsigned long long v)
{
	if (v != 1)
		return kEINVAL;
	g_pool.flush_balance();
	return 0;
}

// irqoff_measure: write 1 to reset and start timing every section in
// which pcpupool turns IRQs off (the port's pcpu_irqoff_measure()), 0 to
// stop; irqoff shows the longest since the reset and the code that began
// it.  Issue 19's "how long may a cat of chunks stall hardirq callers".
unsigned long long get_irqoff_measure(void*) { return pcpu_irqoff_measuring(); }
int set_irqoff_measure(void*, unsigned long long v)
{
	if (v > 1)
		return kEINVAL;
	pcpu_irqoff_measure(int(v));
	return 0;
}
void show_irqoff(void* seq, void*)
{
	void* site;
	unsigned walks;
	unsigned long long ns = pcpu_irqoff_max(&site, &walks);
	pcpu_seq_printf(seq, "longest IRQ-off section: %llu ns, begun at %pS (timing %s)\n", ns,
			site, pcpu_irqoff_measuring() ? "on" : "off");
	pcpu_seq_printf(seq, "most chunk maps walked in one IRQ-off section: %u\n", walks);
}

// hold_atomic: write N to make N atomic (GFP_NOWAIT) 64-byte allocations
// through the public API, as a user would (so fail_pcpupool applies), and
// hold them, replacing what was held; 0 frees them.  Reads the number
// actually served.  For demos and for watching the balance work; what is
// still held at unload shows the live-allocation report.
constexpr u64 kMaxHold = 1 << 16;
constinit Mutex hold_mutex;
void** held;
u64 nr_held;

void drop_held()
{
	for (u64 i = 0; i < nr_held; i++)
		pcpu_api_free(held[i]);
	delete[] held;
	held = nullptr;
	nr_held = 0;
}

unsigned long long get_hold(void*)
{
	MutexGuard g(hold_mutex);
	u64 n = 0;
	for (u64 i = 0; i < nr_held; i++)
		n += held[i] != nullptr;
	return n;
}

int set_hold(void*, unsigned long long n)
{
	if (n > kMaxHold)
		return kEINVAL;
	MutexGuard g(hold_mutex);
	drop_held();
	if (!n)
		return 0;
	held = new (Gfp::kernel()) void*[n];
	if (!held)
		return kENOMEM;
	nr_held = n;
	for (u64 i = 0; i < n; i++)
		held[i] = pcpu_api_alloc(64, 8, Gfp::nowait().with(pcpu_gfp.nowarn).raw());
	return 0;
}

// mempool_demo: write N to (re)create a percpu mempool "demo" of 64-byte
// elements with min_nr N (0 destroys it); its stats appear under
// mempool/demo/.  Reads the min_nr in force.  For demos and for the
// mempool tracepoints.
constexpr u64 kMaxDemoMinNr = 4096;
Mempool* demo_pool;
u64 demo_min_nr;

unsigned long long get_demo(void*)
{
	MutexGuard g(hold_mutex);
	return demo_min_nr;
}

int set_demo(void*, unsigned long long n)
{
	if (n > kMaxDemoMinNr)
		return kEINVAL;
	MutexGuard g(hold_mutex);
	if (demo_pool)
		demo_pool->destroy();
	demo_pool = nullptr;
	demo_min_nr = 0;
	if (!n)
		return 0;
	demo_pool = Mempool::create("demo", 64, 8, n, Gfp::kernel());
	if (!demo_pool)
		return kENOMEM;
	demo_min_nr = n;
	return 0;
}

// Descriptors live as long as the module (debugfs.c keeps pointers).
constinit pcpu_debugfs_file files[] = {
	{"stats", show_stats, nullptr, nullptr, nullptr},
	{"chunks", show_chunks, nullptr, nullptr, nullptr},
	{"cache", show_cache, nullptr, nullptr, nullptr},
	{"caching", nullptr, get_caching, set_caching, nullptr},
	{"low_watermark", nullptr, get_low, set_low, nullptr},
	{"high_watermark", nullptr, get_high, set_high, nullptr},
	{"target_cap", nullptr, get_cap, set_cap, nullptr},
	{"balance", nullptr, nullptr, set_balance, nullptr},
	{"hold_atomic", nullptr, get_hold, set_hold, nullptr},
	{"mempool_demo", nullptr, get_demo, set_demo, nullptr},
	{"irqoff_measure", nullptr, get_irqoff_measure, set_irqoff_measure, nullptr},
	{"irqoff", show_irqoff, nullptr, nullptr, nullptr},
};

} // namespace

void pcpupool_core_debugfs_exit(void)
{
	if (!hold_mutex.raw())
		return;
	// The held allocations stay live on purpose: unloading with live
	// allocations is reported and their chunks freed by g_pool.exit().
	delete[] held;
	held = nullptr;
	nr_held = 0;
	// Its directory sits below the tree the port removes next.
	if (demo_pool)
		demo_pool->destroy();
	demo_pool = nullptr;
	hold_mutex.destroy();
}

void pcpupool_core_exit(void)
{
	mempools_exit();
	g_pool.exit();
	pcpupool_unit_off = nullptr;
}

void pcpupool_core_debugfs_init(void)
{
	hold_mutex.init(PCPU_LOCK_TEST);
	for (auto& f : files)
		pcpu_debugfs_create(nullptr, &f);
}

#ifdef PCPUPOOL_TEST
// Test hooks: exported by port/main.c as pcpupool_test_*().

// The KASAN proof for pcpupool.ko's own C++ objects: reads one byte past a
// 13-byte slab object, from this (instrumented) object file.
int pcpu_api_test_kasan_oob(void)
{
	volatile u8* p = static_cast<u8*>(pcpu_kmalloc(13, pcpu_gfp.kernel));
	if (!p)
		return -1;
	int v = p[13];
	pcpu_kfree(const_cast<u8*>(p));
	return v;
}
const char* pcpu_api_test_check(void) { return g_pool.check(); }

void pcpu_api_test_show(const char* name, void* seq)
{
	for (auto& f : files) {
		u32 i = 0;
		while (name[i] && name[i] == f.name[i])
			i++;
		if (!name[i] && !f.name[i] && f.show)
			f.show(seq, f.arg);
	}
}

void pcpu_api_test_flush_balance(void) { g_pool.flush_balance(); }

void pcpu_api_test_whole_walk(int on) { g_pool.test_whole_walk(on); }

void pcpu_api_test_hold_mutex(int hold) { g_pool.test_hold_mutex(hold); }

void pcpu_api_test_drain_caches(void) { g_pool.drain_caches(); }

void pcpu_api_test_set_caching(int on) { g_pool.set_caching(on); }

unsigned long long pcpu_api_test_cached_objects(void) { return g_pool.cached_objects(); }

void pcpu_api_test_count_locks(int on) { pcpu_test_count_locks(on); }

unsigned long long pcpu_api_test_lock_count(void) { return pcpu_test_lock_count(); }

void pcpu_api_test_mempool_flush(struct pcpupool_mempool* pool) { mp(pool)->flush_refill(); }

int pcpu_api_test_set_watermarks(unsigned int low, unsigned int high, unsigned int cap)
{
	// Order matters for validation: widen first, then narrow (the widest
	// cap depends on the number of possible CPUs: 1024 at 64).
	int ret = g_pool.set_cap(g_pool.cap_limit());
	if (!ret)
		ret = g_pool.set_low(0);
	if (!ret)
		ret = g_pool.set_high(high);
	if (!ret)
		ret = g_pool.set_low(low);
	if (!ret)
		ret = g_pool.set_cap(cap);
	return ret;
}
#endif
