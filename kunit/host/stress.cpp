// SPDX-License-Identifier: GPL-2.0
//
// stress.cpp - ThreadSanitizer stresses of the concurrent parts of the
// core, with threads pinned as fake CPUs (port_host.cpp) and the work
// items (balance, mempool refills) on the port's worker thread.
//
//   stress --list        the stress names, one a line
//   stress <name>        run one; exit 0 and a one-line summary when it
//                        passed, else the failure (TSan reports exit 66)
//
//   mempool_exchange  four CPUs allocate and free elements of two percpu
//                     mempools, hand a share of them to another CPU to
//                     free (magazine <-> depot traffic on every path),
//                     with allocator-failure bursts (reserve only), a
//                     resize (IPI drain of every magazine) and a CPU going
//                     offline and online (cpuhp drain) under way, and a
//                     reader of the stats/debugfs views.
//   pool_mixed        four CPUs allocate and free (atomic and sleepable,
//                     NOIO/NOFS scopes) while the worker balances and a
//                     thread rewrites the watermarks.
//
// Each checks per-CPU patterns, zeroing, the pool's consistency and the
// mempools' accounting at the end, and that the port saw no violation.
// Core flags, no libstdc++.
#include "memalloc.h"
#include "sync.h"
#include "test_env.h"

using namespace env;

namespace {

constexpr int kCpus = 4;

int g_failures;

void failure(const char* what, const void* p)
{
	if (__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED) <= 5)
		host_print("FAIL: %s %p\n", what, p);
}

u64 next(u64& s)
{
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545F4914F6CDD1Dull;
}

// ---- mempool_exchange ----------------------------------------------------

constexpr int kPools = 2;
constexpr int kSlots = 16;
constexpr u32 kElem = 48;

struct Handoff {
	pcp::SpinLock lock;
	void* elem[kCpus][kSlots]; // elements handed to CPU i, to free
	int pool[kCpus][kSlots];
};

struct Exchange {
	pcpupool_mempool* mp[kPools];
	Handoff h;
	void* barrier;
	int iters;
	int stop_reader;
};

// Only the owning CPU writes its own copy; the pattern is per element.
void mark(void* e, u8 v)
{
	for (int cpu = 0; cpu < kCpus; cpu++)
		cpu_ptr(e, cpu)[0] = v, cpu_ptr(e, cpu)[kElem - 1] = v;
}

bool marked(void* e, u8 v)
{
	for (int cpu = 0; cpu < kCpus; cpu++)
		if (cpu_ptr(e, cpu)[0] != v || cpu_ptr(e, cpu)[kElem - 1] != v)
			return false;
	return true;
}

void exchange_reader(Exchange* x)
{
	static char buf[8192];
	while (!__atomic_load_n(&x->stop_reader, __ATOMIC_ACQUIRE)) {
		for (int k = 0; k < kPools; k++)
			(void)mstats(x->mp[k]);
		host_debugfs_read("mempool/x0/stats", buf, sizeof(buf));
		host_debugfs_read("stats", buf, sizeof(buf));
		host_yield();
	}
}

void exchange_cpu(int cpu, void* arg)
{
	Exchange* x = static_cast<Exchange*>(arg);
	if (cpu == kCpus) { // the reader (runs as CPU 0's sibling thread)
		host_set_cpu(0);
		exchange_reader(x);
		return;
	}
	void* mine[24] = {};
	int pool_of[24] = {};
	u8 tag[24] = {};
	u64 s = 0x9e3779b97f4a7c15ull * (cpu + 1);
	host_barrier_wait(x->barrier);
	for (int it = 0; it < x->iters; it++) {
		u64 r = next(s);
		// Phases: CPU 0 drives the disturbances between barriers.
		if (it && it % (x->iters / 4) == 0) {
			host_barrier_wait(x->barrier);
			int phase = it / (x->iters / 4);
			if (cpu == 0 && phase == 1)
				host_fail_next(PCPU_SITE_ATOMIC, 1 << 28); // reserve only
			if (cpu == 0 && phase == 2) {
				host_fail_next(PCPU_SITE_ATOMIC, 0);
				if (host_cpu_offline(3))
					failure("offline", nullptr);
			}
			if (cpu == 0 && phase == 3)
				host_cpu_online(3);
			host_barrier_wait(x->barrier);
		}
		bool parked = cpu == 3 && it >= x->iters / 2 && it < 3 * x->iters / 4;
		if (parked) // CPU 3 is offline: nothing runs there
			continue;
		if (cpu == 1 && it == x->iters / 3) {
			if (pcpupool_mempool_resize(x->mp[0], 48))
				failure("resize up", nullptr);
		}
		if (cpu == 2 && it == 2 * x->iters / 3) {
			if (pcpupool_mempool_resize(x->mp[0], 16))
				failure("resize down", nullptr);
		}
		// Free what other CPUs handed over.
		{
			void* todo[kSlots];
			int pools[kSlots], n = 0;
			{
				pcp::SpinIrqGuard g(x->h.lock);
				for (int i = 0; i < kSlots; i++) {
					if (x->h.elem[cpu][i]) {
						todo[n] = x->h.elem[cpu][i];
						pools[n++] = x->h.pool[cpu][i];
						x->h.elem[cpu][i] = nullptr;
					}
				}
			}
			for (int i = 0; i < n; i++)
				pcpupool_mempool_free(todo[i], x->mp[pools[i]]);
		}
		int j = r % 24;
		if (mine[j]) {
			if (!marked(mine[j], tag[j]))
				failure("element overwritten", mine[j]);
			int to = (r >> 8) % kCpus;
			bool handed = false;
			if (to != cpu && (r >> 12) % 3 == 0) {
				pcp::SpinIrqGuard g(x->h.lock);
				for (int i = 0; i < kSlots && !handed; i++) {
					if (!x->h.elem[to][i]) {
						x->h.elem[to][i] = mine[j];
						x->h.pool[to][i] = pool_of[j];
						handed = true;
					}
				}
			}
			if (!handed)
				pcpupool_mempool_free(mine[j], x->mp[pool_of[j]]);
			mine[j] = nullptr;
			continue;
		}
		int k = (r >> 16) % kPools;
		unsigned gfp = (r >> 20) % 8 == 0 ? pcpu_gfp.noio : (r >> 20) % 8 == 1 ? pcpu_gfp.kernel
										       : pcpu_gfp.atomic;
		void* e = pcpupool_mempool_alloc(x->mp[k], gfp);
		if (!e)
			continue;
		if (!zeroed(e, kElem))
			failure("element not zeroed", e);
		mine[j] = e;
		pool_of[j] = k;
		tag[j] = u8(r >> 24) | 1;
		mark(e, tag[j]);
	}
	for (int j = 0; j < 24; j++)
		if (mine[j])
			pcpupool_mempool_free(mine[j], x->mp[pool_of[j]]);
	host_barrier_wait(x->barrier);
	if (cpu == 0)
		__atomic_store_n(&x->stop_reader, 1, __ATOMIC_RELEASE);
}

int mempool_exchange()
{
	Env e(kCpus, kUnit, 0, /*thread=*/1);
	if (e.ret)
		return 1;
	static Exchange x; // one run per process
	x.h.lock.init(PCPU_LOCK_TEST);
	for (int k = 0; k < kPools; k++) {
		x.mp[k] = pcpupool_mempool_create(k ? "x1" : "x0", kElem, 16, 24, pcpu_gfp.kernel);
		if (!x.mp[k])
			return 1;
	}
	x.barrier = host_barrier_new(kCpus);
	x.iters = 40000;
	host_run_on_cpus(kCpus + 1, exchange_cpu, &x);
	host_barrier_delete(x.barrier);
	// Leftover hand-offs.
	for (int c = 0; c < kCpus; c++)
		for (int i = 0; i < kSlots; i++)
			if (x.h.elem[c][i])
				pcpupool_mempool_free(x.h.elem[c][i], x.mp[x.h.pool[c][i]]);
	u64 allocs = 0;
	for (int k = 0; k < kPools; k++) {
		pcpupool_test_mempool_flush(x.mp[k]);
		pcpupool_mempool_stats st = mstats(x.mp[k]);
		allocs += st.served_allocator + st.served_magazine + st.served_depot + st.served_direct;
		if (st.outstanding)
			failure("elements outstanding", x.mp[k]);
		if (st.reserved < st.min_nr)
			failure("reserve below min_nr after the refill", x.mp[k]);
		if (st.waits)
			failure("a constrained caller waited", x.mp[k]);
		pcpupool_mempool_destroy(x.mp[k]);
	}
	if (const char* err = pcpupool_test_check())
		failure(err, nullptr);
	if (stats().nr_cur_alloc)
		failure("allocations leaked", nullptr);
	host_quiesce();
	if (violations())
		failure(host_last_violation(), nullptr);
	host_print("%llu mempool allocations on %d CPUs, %d failures\n", (unsigned long long)allocs, kCpus,
		   g_failures);
	return g_failures != 0;
}

// ---- pool_mixed -------------------------------------------------------------

struct Mixed {
	void* barrier;
	int iters;
	int stop;
};

void mixed_cpu(int cpu, void* arg)
{
	Mixed* m = static_cast<Mixed*>(arg);
	if (cpu == kCpus) { // the tunables writer
		host_set_cpu(1);
		u64 s = 5;
		while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
			u64 r = next(s);
			static const char* const files[] = {"low_watermark", "high_watermark", "target_cap"};
			host_debugfs_write(files[r % 3], (r >> 8) % 24);
			host_yield();
		}
		return;
	}
	void* mine[32] = {};
	u32 size[32] = {};
	u64 s = 0x12345 + cpu;
	host_barrier_wait(m->barrier);
	for (int it = 0; it < m->iters; it++) {
		u64 r = next(s);
		int j = r % 32;
		if (mine[j]) {
			if (!scribbled(mine[j], size[j], u8(cpu * 32 + j)))
				failure("allocation overwritten", mine[j]);
			pcpupool_free(mine[j]);
			mine[j] = nullptr;
			continue;
		}
		size[j] = 1 + (r >> 8) % ((r >> 40) % 16 ? 256 : 6000);
		int kind = (r >> 20) % 6;
		unsigned gfp = kind < 3 ? pcpu_gfp.atomic : kind == 3 ? pcpu_gfp.noio : pcpu_gfp.kernel;
		if (kind == 5) {
			pcp::NofsScope scope;
			mine[j] = pcpupool_alloc(size[j], 1u << ((r >> 30) % 7), gfp);
		} else {
			mine[j] = pcpupool_alloc(size[j], 1u << ((r >> 30) % 7), gfp);
		}
		if (!mine[j])
			continue;
		if (!zeroed(mine[j], size[j]))
			failure("not zeroed", mine[j]);
		scribble(mine[j], size[j], u8(cpu * 32 + j));
	}
	for (int j = 0; j < 32; j++)
		pcpupool_free(mine[j]);
	host_barrier_wait(m->barrier);
	if (cpu == 0)
		__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
}

int pool_mixed()
{
	Env e(kCpus, kUnit, 0, /*thread=*/1);
	if (e.ret)
		return 1;
	Mixed m = {host_barrier_new(kCpus), 30000, 0};
	host_run_on_cpus(kCpus + 1, mixed_cpu, &m);
	host_barrier_delete(m.barrier);
	pcpupool_test_flush_balance();
	if (const char* err = pcpupool_test_check())
		failure(err, nullptr);
	pcpupool_stats st = stats();
	if (st.nr_cur_alloc)
		failure("allocations leaked", nullptr);
	host_quiesce();
	if (violations())
		failure(host_last_violation(), nullptr);
	host_print("%llu allocations (%llu atomic, %llu atomic failures), %llu balance runs, %d failures\n",
		   st.nr_alloc, st.nr_atomic_alloc, st.atomic_alloc_failed, st.nr_balance, g_failures);
	return g_failures != 0;
}

struct Stress {
	const char* name;
	int (*fn)();
} const kStresses[] = {
	{"mempool_exchange", mempool_exchange},
	{"pool_mixed", pool_mixed},
};

} // namespace

// The stress binary has no gtest: ht.h's failure hook prints.
extern "C" void ht_fail(const char* file, int line, const char* fmt, ...)
{
	host_print("FAIL: %s:%d\n", file, line);
	__atomic_add_fetch(&g_failures, 1, __ATOMIC_RELAXED);
}

int main(int argc, char** argv)
{
	if (argc == 2 && !host_strcmp(argv[1], "--list")) {
		for (const Stress& s : kStresses)
			host_print("%s\n", s.name);
		return 0;
	}
	for (const Stress& s : kStresses)
		if (argc == 2 && !host_strcmp(argv[1], s.name))
			return s.fn();
	host_print("usage: %s --list | <stress>\n", argv[0]);
	return 2;
}
