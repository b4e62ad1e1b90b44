// SPDX-License-Identifier: GPL-2.0
//
// port_host.cpp - module/port/port.h implemented in userspace, so that the
// C++ core (module/*.cpp) runs as an ordinary program under ASan, UBSan,
// TSan and libFuzzer.  The knobs and observations are declared in host.h.
//
// How each kernel area is emulated:
//
//  gfp      distinct bit values with the kernel's meaning (6.12 layout);
//           memalloc scopes are thread_local flags, current_gfp_context()
//           applies them as the kernel does.
//  slab     the core's new (gfp) is ::operator new(nothrow) (rt_host.cpp),
//           so ASan pairs it with the core's delete; fault injection can
//           fail it (never __GFP_NOFAIL).
//  pages    a HostPage token per page.  A chunk's range is mmap(PROT_NONE);
//           mapping a page mprotect()s its 4 KiB read-write and fills it
//           with garbage (a fresh page is not zeroed); unmapping
//           MADV_DONTNEEDs it and makes it PROT_NONE again, so a stray
//           access to an unpopulated page faults as in the kernel.  The
//           page list is an intrusive list through the token (the kernel's
//           page->lru).  A page freed before the TLB flush that follows its
//           unmap is a violation.
//  CPUs     a fake id per thread (host_set_cpu), nr_cpu_ids and a possible
//           mask from host_reset, CPU i on NUMA node i % 2.  Each fake CPU
//           has a mutex that stands for "this CPU runs with IRQs or
//           preemption off": a thread holds its CPU's mutex while it is
//           atomic, so two threads sharing a fake CPU (a test thread and
//           the worker, or an emulated IPI) never overlap there, as tasks
//           and IRQs on one CPU cannot.  The preemptible->atomic
//           transitions are where a migration or an interrupt can be
//           injected (host_migrate_at, host_irq_at).
//  locks    std::mutex with an owner, so recursion, unlocking a lock not
//           held and assert_held are checked.  Sleeping (mutex, might_sleep,
//           a sleepable allocation, flush, cond_resched) while atomic is a
//           violation, like CONFIG_DEBUG_ATOMIC_SLEEP; an allocation that
//           may enter FS/IO reclaim while the allocator mutex is held is a
//           gfp violation, the host's version of the lockdep proof.
//  IPIs     pcpu_on_each_cpu runs fn for each online CPU in the caller's
//           thread, holding that CPU's mutex, with this_cpu set to it.
//  work     manual mode (default): queued items run when flushed or when
//           the test calls host_work_run(); they run in the caller's thread
//           with its memalloc scopes cleared (a kworker has none).  Thread
//           mode: one worker thread runs them, delayed items after their
//           delay, for the TSan stresses.
//  hotplug  pcpu_cpuhp_init stores the teardown callback;
//           host_cpu_offline() calls it.
//  debugfs  an in-memory tree; host_debugfs_read() renders a file.
//  exports  the public pcpupool_*() API and pcpupool_unit_off, as
//           port/main.c defines them over the core's pcpu_api_*().
//  trace    pcpu_trace_mask is off unless a test sets it (host_set_trace);
//           the events are counted (host_get_trace).
//  WARN     counted (each WARN_ONCE call too) and kept; BUG() aborts.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "host.h"
#include "pcpupool_layout.h"
#include "../../module/core_api.h"

// ---- gfp ------------------------------------------------------------------

namespace {
constexpr unsigned kHigh = 0x20, kIo = 0x40, kFs = 0x80, kZero = 0x100,
		   kDirect = 0x400, kKswapd = 0x800, kNowarn = 0x2000,
		   kNofail = 0x8000, kNoretry = 0x10000, kNomemalloc = 0x80000,
		   kAccount = 0x400000;
constexpr unsigned kReclaim = kDirect | kKswapd;
constexpr unsigned kPfNoio = 1, kPfNofs = 2;
constexpr unsigned long kPage = 4096;
} // namespace

extern "C" const struct pcpu_gfp_bits pcpu_gfp = {
	.kernel = kReclaim | kIo | kFs,
	.nowait = kKswapd,
	.atomic = kHigh | kKswapd,
	.noio = kReclaim,
	.nofs = kReclaim | kIo,
	.io = kIo,
	.fs = kFs,
	.direct_reclaim = kDirect,
	.nofail = kNofail,
	.nowarn = kNowarn,
	.zero = kZero,
	.norety = kNoretry,
	.high = kHigh,
	.nomemalloc = kNomemalloc,
	.account = kAccount,
};

// ---- state ------------------------------------------------------------------

namespace {

struct Cpu {
	std::mutex m; // held while a thread runs atomic on this CPU
};
Cpu g_cpus[HOST_MAX_CPUS];
std::atomic<int> g_nr_cpus{4};
std::atomic<unsigned long long> g_possible{0xf};
std::atomic<unsigned long long> g_online{0xf};
std::atomic<int> g_verbose{0};
std::atomic<int> g_unsafe_gfp{0};
std::atomic<int> g_fail[HOST_SITE_NR];
std::atomic<int> g_skip[HOST_SITE_NR];
std::atomic<long> g_tid_next{1};

std::atomic<long> g_pages_live, g_pages_mapped, g_ranges_live, g_objs_live;
std::atomic<unsigned long> g_warnings, g_violations, g_gfp_violations,
	g_tlb_flushes, g_work_runs, g_ipis, g_alloc_under_mutex;
std::atomic<unsigned long> g_record[PCPU_SITE_NR];

std::mutex g_text_mu;
char g_last_violation[512];
char g_last_warning[512];

enum { kEvNone, kEvMigrate, kEvIrq };
struct Event {
	int kind = kEvNone;
	unsigned long at = 0;
	int cpu = 0;
	void (*irq)(void*) = nullptr;
	void* arg = nullptr;
};

thread_local long t_tid = g_tid_next.fetch_add(1);
thread_local int t_cpu = 0;
thread_local int t_irqs = 0;    // IRQs-off depth (irqsave, hardirq)
thread_local int t_preempt = 0; // preempt-off depth (plain spin_lock)
thread_local int t_spins = 0;   // spinlocks held
thread_local int t_owned = -1;  // the CPU whose mutex this thread holds
thread_local int t_in_irq = 0;
thread_local unsigned t_pf = 0; // PF_MEMALLOC_NOIO/NOFS
thread_local int t_alloc_mutex = 0;
thread_local int t_killed = 0;
thread_local int t_rcu = 0; // RCU read-side nesting
// RCU: readers share g_rcu, a grace period takes it exclusively once;
// pcpu_rcu_kfree() defers to the next grace period (or host_reset).
std::shared_mutex g_rcu;
std::mutex g_rcu_mu;
// Never destroyed: what is pending at exit stays reachable for LeakSanitizer.
std::vector<void*>& g_rcu_deferred = *new std::vector<void*>;
thread_local unsigned long t_sleeps = 0;
thread_local unsigned long t_transitions = 0;
thread_local Event t_event;

void vtext(char* dst, unsigned long size, const char* fmt, va_list ap)
{
	// The kernel's %px is a raw pointer; printf's %p is the same.
	std::string f;
	for (const char* p = fmt; *p; p++) {
		f += *p;
		if (p[0] == '%' && p[1] == 'p' && p[2] == 'x') {
			f += 'p';
			p += 2;
		}
	}
	vsnprintf(dst, size, f.c_str(), ap);
}

void violation(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void violation(const char* fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vtext(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g_violations++;
	{
		std::lock_guard<std::mutex> g(g_text_mu);
		memcpy(g_last_violation, buf, sizeof(buf));
	}
	if (g_verbose)
		fprintf(stderr, "pcpupool-host: VIOLATION: %s\n", buf);
}

bool should_fail(int site)
{
	if (!g_fail[site].load())
		return false;
	int k = g_skip[site].load();
	while (k > 0) {
		if (g_skip[site].compare_exchange_weak(k, k - 1))
			return false;
	}
	int v = g_fail[site].load();
	while (v > 0) {
		if (g_fail[site].compare_exchange_weak(v, v - 1))
			return true;
	}
	return false;
}

bool cpu_online(int cpu)
{
	return cpu >= 0 && cpu < g_nr_cpus && (g_online.load() >> cpu & 1);
}

// A hardirq on this thread's CPU, at a point where the thread is preemptible.
void run_irq(void (*fn)(void*), void* arg)
{
	g_cpus[t_cpu].m.lock();
	t_owned = t_cpu;
	t_irqs++;
	t_in_irq++;
	fn(arg);
	t_in_irq--;
	t_irqs--;
	t_owned = -1;
	g_cpus[t_cpu].m.unlock();
}

// Preemptible -> atomic: a migration or an interrupt may come first.
void transition()
{
	t_transitions++;
	if (t_event.kind == kEvNone || t_transitions != t_event.at)
		return;
	Event ev = t_event;
	t_event = Event();
	if (ev.kind == kEvMigrate && cpu_online(ev.cpu))
		t_cpu = ev.cpu;
	else if (ev.kind == kEvIrq)
		run_irq(ev.irq, ev.arg);
}

void atomic_enter()
{
	if (t_irqs + t_preempt == 0) {
		transition();
		g_cpus[t_cpu].m.lock();
		t_owned = t_cpu;
	}
}

void atomic_exit()
{
	if (t_irqs < 0 || t_preempt < 0) {
		violation("IRQ/preempt count underflow");
		t_irqs = t_preempt = 0;
	}
	if (t_irqs + t_preempt == 0 && t_owned >= 0) {
		int c = t_owned;
		t_owned = -1;
		g_cpus[c].m.unlock();
	}
}

void might_sleep(const char* what)
{
	t_sleeps++;
	if (t_irqs || t_preempt || t_spins)
		violation("sleeping function called from invalid context: %s "
			  "(irqs off %d, preempt %d, spinlocks %d, in_irq %d)",
			  what, t_irqs, t_preempt, t_spins, t_in_irq);
}

unsigned context(unsigned gfp)
{
	if (t_pf & kPfNoio)
		return gfp & ~(kIo | kFs);
	if (t_pf & kPfNofs)
		return gfp & ~kFs;
	return gfp;
}

// Every allocation the port makes for the core.
void check_alloc(unsigned gfp, const char* what)
{
	unsigned eff = context(gfp);
	if (gfp & kDirect)
		might_sleep(what);
	if ((gfp & kNofail) && !(gfp & kDirect))
		violation("%s: __GFP_NOFAIL without __GFP_DIRECT_RECLAIM (gfp %#x)", what, gfp);
	if (t_alloc_mutex) {
		g_alloc_under_mutex++;
		if (eff & (kIo | kFs)) {
			g_gfp_violations++;
			violation("%s under the allocator mutex may enter %s reclaim (gfp %#x, effective %#x)",
				  what, eff & kFs ? "FS" : "IO", gfp, eff);
		}
	}
}

// ---- pages and vm ranges ----------------------------------------------------

constexpr unsigned kPageMagic = 0x9a6e5eed;

struct HostPage {
	pcpu_page_list lru; // first: list nodes are HostPages
	unsigned magic;
	int node;
	unsigned long mapped_at;
	unsigned long unmap_gen;
	bool pending_flush;
};

struct Range {
	unsigned long base;
	unsigned long bytes;
	std::vector<HostPage*> pages;
};

constexpr long kMaxRanges = 4096; // the "vmalloc space"

std::mutex g_mm;
std::map<unsigned long, Range*> g_ranges;
unsigned long g_flush_gen = 1;

HostPage* page_of(const void* p, const char* what)
{
	HostPage* hp = static_cast<HostPage*>(const_cast<void*>(p));
	if (!hp || hp->magic != kPageMagic)
		pcpu_bug(what);
	return hp;
}

Range* range_of(unsigned long addr)
{
	auto it = g_ranges.upper_bound(addr);
	if (it == g_ranges.begin())
		return nullptr;
	--it;
	Range* r = it->second;
	return addr < r->base + r->bytes ? r : nullptr;
}

void free_page(HostPage* p)
{
	if (p->mapped_at)
		violation("freeing page %p still mapped at %#lx", (void*)p, p->mapped_at);
	p->magic = 0;
	g_pages_live--;
	delete p;
}

// ---- work items -------------------------------------------------------------

constexpr unsigned kWorkMagic = 0x3007c0de;

struct HostWork {
	unsigned magic = kWorkMagic;
	pcpu_work_fn fn = nullptr;
	void* arg = nullptr;
	bool pending = false;
	bool delayed = false;
	bool running = false;
	long runner = 0;
	unsigned long done = 0;
	std::chrono::steady_clock::time_point due;
};

std::mutex g_wmu;
std::condition_variable g_wcv;
std::vector<HostWork*> g_works;
std::thread g_worker;
bool g_worker_stop;
bool g_thread_mode;
int g_worker_cpu;

HostWork* work_of(void* w)
{
	HostWork* hw = static_cast<HostWork*>(w);
	if (!hw || hw->magic != kWorkMagic)
		pcpu_bug("bad work item");
	return hw;
}

// Runs @w in this thread as a kworker would: no memalloc scope, no signal.
// g_wmu is held on entry and exit, dropped around the function.
void run_work_locked(std::unique_lock<std::mutex>& lk, HostWork* w)
{
	w->pending = false;
	w->running = true;
	w->runner = t_tid;
	unsigned pf = t_pf;
	int killed = t_killed;
	t_pf = 0;
	t_killed = 0;
	lk.unlock();
	w->fn(w->arg);
	lk.lock();
	t_pf = pf;
	t_killed = killed;
	w->running = false;
	w->runner = 0;
	w->done++;
	g_work_runs++;
	g_wcv.notify_all();
}

void worker_main()
{
	t_cpu = g_worker_cpu;
	std::unique_lock<std::mutex> lk(g_wmu);
	while (!g_worker_stop) {
		auto now = std::chrono::steady_clock::now();
		auto next = now + std::chrono::milliseconds(50);
		HostWork* run = nullptr;
		for (HostWork* w : g_works) {
			if (!w->pending || w->running)
				continue;
			if (w->due <= now) {
				run = w;
				break;
			}
			if (w->due < next)
				next = w->due;
		}
		if (run)
			run_work_locked(lk, run);
		else
			g_wcv.wait_until(lk, next);
	}
}

void stop_worker()
{
	{
		std::lock_guard<std::mutex> g(g_wmu);
		g_worker_stop = true;
		g_wcv.notify_all();
	}
	if (g_worker.joinable())
		g_worker.join();
}

// A test that ends with the worker running must not take the process down
// (std::thread's destructor terminates when still joinable).
struct WorkerReaper {
	~WorkerReaper() { stop_worker(); }
} g_reaper;

// ---- debugfs ----------------------------------------------------------------

struct Dfs {
	std::string name;
	Dfs* parent = nullptr;
	pcpu_debugfs_file* file = nullptr;
	std::vector<Dfs*> children;
};

std::mutex g_dfs_mu;
Dfs* g_dfs_root;

void dfs_free(Dfs* d)
{
	for (Dfs* c : d->children)
		dfs_free(c);
	delete d;
}

Dfs* dfs_find(const char* path)
{
	Dfs* d = g_dfs_root;
	std::string p(path);
	size_t pos = 0;
	while (d && pos <= p.size()) {
		size_t slash = p.find('/', pos);
		std::string part = p.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
		Dfs* next = nullptr;
		for (Dfs* c : d->children)
			if (c->name == part)
				next = c;
		d = next;
		if (slash == std::string::npos)
			break;
		pos = slash + 1;
	}
	return d;
}

// ---- hotplug ----------------------------------------------------------------

std::shared_mutex g_hotplug;
std::atomic<pcpu_cpu_dead_fn> g_dead{nullptr};

} // namespace

// ============================================================================
// port.h
// ============================================================================

extern "C" {

unsigned int pcpu_current_gfp_context(unsigned int gfp) noexcept { return context(gfp); }

unsigned int pcpu_noio_save(void) noexcept
{
	unsigned old = t_pf & kPfNoio;
	t_pf |= kPfNoio;
	return old;
}

void pcpu_noio_restore(unsigned int cookie) noexcept { t_pf = (t_pf & ~kPfNoio) | cookie; }

unsigned int pcpu_nofs_save(void) noexcept
{
	unsigned old = t_pf & kPfNofs;
	t_pf |= kPfNofs;
	return old;
}

void pcpu_nofs_restore(unsigned int cookie) noexcept { t_pf = (t_pf & ~kPfNofs) | cookie; }

// ---- slab and pages ----

void* pcpu_kmalloc(unsigned long bytes, unsigned int gfp) noexcept
{
	check_alloc(gfp, "kmalloc");
	if (!(gfp & kNofail) && should_fail(HOST_SITE_KMALLOC))
		return nullptr;
	return malloc(bytes ? bytes : 1);
}

void pcpu_kfree(const void* p) noexcept { free(const_cast<void*>(p)); }

void* pcpu_rcu_kmalloc(unsigned long bytes, unsigned int gfp) noexcept
{
	return pcpu_kmalloc(bytes, gfp);
}

void pcpu_rcu_kfree(void* p) noexcept
{
	if (!p)
		return;
	std::lock_guard<std::mutex> g(g_rcu_mu);
	g_rcu_deferred.push_back(p);
}

void* pcpu_page_alloc(int node, unsigned int gfp) noexcept
{
	check_alloc(gfp, "alloc_pages_node");
	if (!(gfp & kNofail) && should_fail(HOST_SITE_PAGE))
		return nullptr;
	HostPage* p = new HostPage();
	p->lru.next = p->lru.prev = &p->lru;
	p->magic = kPageMagic;
	p->node = node < 0 ? 0 : node;
	g_pages_live++;
	return p;
}

void pcpu_page_free(void* page) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	free_page(page_of(page, "pcpu_page_free: not a page"));
}

void pcpu_memset(void* p, int c, unsigned long bytes) noexcept { memset(p, c, bytes); }
unsigned long pcpu_page_size(void) noexcept { return kPage; }

void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp, int mutex_held) noexcept
{
	if (site < PCPU_SITE_NR)
		g_record[site]++;
	if (mutex_held && (gfp & (kIo | kFs))) {
		g_gfp_violations++;
		violation("recorded allocation at site %d with gfp %#x under the mutex", site, gfp);
	}
}

int pcpu_fault_should_fail(enum pcpu_alloc_site site) noexcept { return should_fail(site); }
int pcpu_fault_armed = 1; // the host checks its fault sites always
int pcpu_test_unsafe_gfp(void) noexcept { return g_unsafe_gfp; }
std::atomic<int> g_mempool_wait{0};
int pcpu_test_mempool_wait(void) noexcept { return g_mempool_wait; }
void host_set_mempool_wait(int on) { g_mempool_wait = on; }
// fail_pcpupool's model: the next n API allocations that cannot sleep fail
// (ignore-gfp-wait=Y, probability 100, times n).
std::atomic<int> g_fail_alloc{0};
int pcpu_fail_on = 1;
int pcpu_fail_alloc(unsigned int gfp, unsigned long) noexcept
{
	if (gfp & kDirect)
		return 0;
	for (int n = g_fail_alloc.load(); n > 0;)
		if (g_fail_alloc.compare_exchange_weak(n, n - 1))
			return 1;
	return 0;
}
void host_set_fail_alloc(int n) { g_fail_alloc = n; }

// ---- CPUs ----

int pcpu_nr_cpu_ids(void) noexcept { return g_nr_cpus; }

int pcpu_cpu_possible(int cpu) noexcept
{
	return cpu >= 0 && cpu < g_nr_cpus && (g_possible.load() >> cpu & 1);
}

int pcpu_cpu_online(int cpu) noexcept { return cpu_online(cpu); }
int pcpu_cpu_to_node(int cpu) noexcept { return cpu % 2; }

int pcpu_this_cpu(void) noexcept
{
	if (!t_irqs && !t_preempt)
		violation("smp_processor_id() in preemptible code");
	return t_cpu;
}

// ---- locks ----

// Stored inline in the core's SpinLock/Mutex (kunit/host/pcpupool_layout.h):
// placement-constructed by init, never destructed (std::mutex holds no
// resource on glibc); the magic catches a lock used before init() or
// after destroy().
constexpr unsigned kLockMagic = 0x10c4ed;

struct HostLock {
	unsigned magic;
	bool spin;
	int cls;
	std::atomic<long> owner{0};
	std::mutex m;
};
static_assert(sizeof(HostLock) <= PCPU_SPINLOCK_SIZE && alignof(HostLock) <= PCPU_SPINLOCK_ALIGN &&
		      sizeof(HostLock) <= PCPU_MUTEX_SIZE && alignof(HostLock) <= PCPU_MUTEX_ALIGN,
	      "kunit/host/pcpupool_layout.h: HostLock does not fit");

static HostLock* lock_of(void* l, bool spin)
{
	HostLock* h = static_cast<HostLock*>(l);
	if (!h || h->magic != kLockMagic)
		pcpu_bug(spin ? "spinlock: bad magic (never initialized?)"
			      : "mutex: bad magic (never initialized, or destroyed?)");
	if (h->spin != spin)
		pcpu_bug("lock used as the wrong kind");
	return h;
}

static void lock_init(void* l, pcpu_lock_class cls, bool spin)
{
	HostLock* h = new (l) HostLock();
	h->cls = cls;
	h->spin = spin;
	h->magic = kLockMagic;
}

void pcpu_spin_init(void* lock, enum pcpu_lock_class cls) noexcept { lock_init(lock, cls, true); }

static void spin_acquire(HostLock* h)
{
	if (h->owner.load(std::memory_order_relaxed) == t_tid)
		pcpu_bug("spinlock recursion (deadlock)");
	h->m.lock();
	h->owner.store(t_tid, std::memory_order_relaxed);
	t_spins++;
}

static void spin_release(HostLock* h)
{
	if (h->owner.load(std::memory_order_relaxed) != t_tid) {
		violation("spin_unlock of a lock this thread does not hold");
		return;
	}
	h->owner.store(0, std::memory_order_relaxed);
	t_spins--;
	h->m.unlock();
}

// Spinlock acquisitions by the counting thread (pcpu_test_count_locks).
thread_local bool t_count_locks;
thread_local unsigned long long t_lock_count;

void pcpu_test_count_locks(int on) noexcept
{
	t_count_locks = on;
	t_lock_count = 0;
}

unsigned long long pcpu_test_lock_count(void) noexcept { return t_lock_count; }

// The IRQ-off measurement as lock.c's: outermost sections, steady_clock.
static std::atomic<bool> g_irqoff_on;
static std::atomic<unsigned long long> g_irqoff_max;
static std::atomic<void*> g_irqoff_site;
static std::atomic<unsigned> g_irqoff_walks;
thread_local unsigned t_irqoff_walks;
thread_local std::chrono::steady_clock::time_point t_irqoff_since;
thread_local void* t_irqoff_ip;

static void irqoff_begin(unsigned long flags, void* ip)
{
	if (g_irqoff_on.load(std::memory_order_relaxed) && !flags) {
		t_irqoff_since = std::chrono::steady_clock::now();
		t_irqoff_ip = ip;
		t_irqoff_walks = 0;
	}
}

static void irqoff_end(unsigned long flags)
{
	if (!g_irqoff_on.load(std::memory_order_relaxed) || flags || !t_irqoff_ip)
		return;
	unsigned long long d = std::chrono::duration_cast<std::chrono::nanoseconds>(
				       std::chrono::steady_clock::now() - t_irqoff_since)
				       .count();
	unsigned long long seen = g_irqoff_max.load();
	while (d > seen && !g_irqoff_max.compare_exchange_weak(seen, d))
		;
	if (d > seen)
		g_irqoff_site.store(t_irqoff_ip);
	unsigned w = g_irqoff_walks.load();
	while (t_irqoff_walks > w && !g_irqoff_walks.compare_exchange_weak(w, t_irqoff_walks))
		;
	t_irqoff_walks = 0;
	t_irqoff_ip = nullptr;
}

void pcpu_irqoff_note_walk(void) noexcept
{
	if (!t_irqs)
		violation("pcpu_irqoff_note_walk with IRQs on");
	if (g_irqoff_on.load(std::memory_order_relaxed) && t_irqoff_ip)
		t_irqoff_walks++;
}

void pcpu_irqoff_measure(int on) noexcept
{
	g_irqoff_on.store(false);
	if (on) {
		g_irqoff_max.store(0);
		g_irqoff_site.store(nullptr);
		g_irqoff_walks.store(0);
		g_irqoff_on.store(true);
	}
}

int pcpu_irqoff_measuring(void) noexcept { return g_irqoff_on.load(); }

unsigned long long pcpu_irqoff_max(void** site, unsigned* walks) noexcept
{
	*site = g_irqoff_site.load();
	*walks = g_irqoff_walks.load();
	return g_irqoff_max.load();
}

unsigned long pcpu_spin_lock_irqsave(void* lock) noexcept
{
	t_lock_count += t_count_locks;
	HostLock* h = lock_of(lock, true);
	unsigned long flags = t_irqs;
	atomic_enter();
	t_irqs++;
	spin_acquire(h);
	irqoff_begin(flags, __builtin_return_address(0));
	return flags;
}

void pcpu_spin_unlock_irqrestore(void* lock, unsigned long flags) noexcept
{
	irqoff_end(flags);
	spin_release(lock_of(lock, true));
	t_irqs--;
	if ((unsigned long)t_irqs != flags)
		violation("spin_unlock_irqrestore: flags of another section (nesting %d, flags %lu)",
			  t_irqs, flags);
	atomic_exit();
}

void pcpu_spin_lock(void* lock) noexcept
{
	t_lock_count += t_count_locks;
	HostLock* h = lock_of(lock, true);
	atomic_enter();
	t_preempt++;
	spin_acquire(h);
}

void pcpu_spin_unlock(void* lock) noexcept
{
	spin_release(lock_of(lock, true));
	t_preempt--;
	atomic_exit();
}

void pcpu_assert_spin_held(void* lock) noexcept
{
	if (lock_of(lock, true)->owner.load(std::memory_order_relaxed) != t_tid)
		violation("lockdep_assert_held: spinlock not held");
}

void pcpu_mutex_init(void* mutex, enum pcpu_lock_class cls) noexcept
{
	lock_init(mutex, cls, false);
}

void pcpu_mutex_destroy(void* mutex) noexcept
{
	HostLock* h = lock_of(mutex, false);
	if (h->owner)
		violation("mutex_destroy of a held mutex");
	h->magic = 0;
}

static void mutex_acquired(HostLock* h)
{
	h->owner.store(t_tid, std::memory_order_relaxed);
	if (h->cls == PCPU_LOCK_ALLOC_MUTEX)
		t_alloc_mutex++;
}

void pcpu_mutex_lock(void* mutex) noexcept
{
	HostLock* h = lock_of(mutex, false);
	might_sleep("mutex_lock");
	if (h->owner.load(std::memory_order_relaxed) == t_tid)
		pcpu_bug("mutex_lock of a mutex this thread holds (deadlock)");
	h->m.lock();
	mutex_acquired(h);
}

int pcpu_mutex_lock_killable(void* mutex) noexcept
{
	HostLock* h = lock_of(mutex, false);
	might_sleep("mutex_lock_killable");
	if (h->owner.load(std::memory_order_relaxed) == t_tid)
		pcpu_bug("mutex_lock_killable of a mutex this thread holds (deadlock)");
	if (t_killed == 2)
		return -4;
	if (t_killed == 1) {
		// Linux takes a free mutex even with a fatal signal pending; a
		// waiter gives up.
		if (!h->m.try_lock())
			return -4;
	} else {
		h->m.lock();
	}
	mutex_acquired(h);
	return 0;
}

void pcpu_mutex_unlock(void* mutex) noexcept
{
	HostLock* h = lock_of(mutex, false);
	if (h->owner.load(std::memory_order_relaxed) != t_tid) {
		violation("mutex_unlock of a mutex this thread does not hold");
		return;
	}
	if (h->cls == PCPU_LOCK_ALLOC_MUTEX)
		t_alloc_mutex--;
	h->owner.store(0, std::memory_order_relaxed);
	h->m.unlock();
}

int pcpu_mutex_is_locked(void* mutex) noexcept
{
	return lock_of(mutex, false)->owner.load(std::memory_order_relaxed) != 0;
}

void pcpu_assert_mutex_held(void* mutex) noexcept
{
	if (lock_of(mutex, false)->owner.load(std::memory_order_relaxed) != t_tid)
		violation("lockdep_assert_held: mutex not held");
}

void pcpu_preempt_disable(void) noexcept
{
	atomic_enter();
	t_preempt++;
}

void pcpu_preempt_enable(void) noexcept
{
	t_preempt--;
	atomic_exit();
}

// An IRQs-off section is an RCU read-side section, as in the kernel since
// RCU's flavours were consolidated (4.20): the per-CPU front end relies on
// it to look up chunks without rcu_read_lock().
static unsigned long host_irq_save(void) noexcept
{
	unsigned long flags = t_irqs;
	atomic_enter();
	t_irqs++;
	if (t_rcu++ == 0)
		g_rcu.lock_shared();
	return flags;
}

unsigned long pcpu_local_irq_save_cpu(int* cpu) noexcept
{
	unsigned long flags = host_irq_save();
	irqoff_begin(flags, __builtin_return_address(0));
	*cpu = pcpu_this_cpu();
	return flags;
}

void pcpu_local_irq_restore(unsigned long flags) noexcept
{
	irqoff_end(flags);
	if (--t_rcu == 0)
		g_rcu.unlock_shared();
	t_irqs--;
	if ((unsigned long)t_irqs != flags)
		violation("local_irq_restore: flags of another section (nesting %d, flags %lu)",
			  t_irqs, flags);
	atomic_exit();
}

void pcpu_might_sleep(void) noexcept { might_sleep("might_sleep"); }

// A read-side section may not sleep (non-preemptible RCU): it holds the
// fake CPU, as preempt_disable does.
void pcpu_rcu_read_lock(void) noexcept
{
	atomic_enter();
	t_preempt++;
	if (t_rcu++ == 0)
		g_rcu.lock_shared();
}

void pcpu_rcu_read_unlock(void) noexcept
{
	if (--t_rcu == 0)
		g_rcu.unlock_shared();
	t_preempt--;
	atomic_exit();
}

void pcpu_synchronize_rcu(void) noexcept
{
	might_sleep("synchronize_rcu");
	// A grace period under the allocator mutex stalls every sleepable
	// caller, GFP_NOIO IO paths included (issue 19, item 3).
	if (t_alloc_mutex)
		violation("synchronize_rcu() with the allocator mutex held");
	std::vector<void*> done;
	{
		std::lock_guard<std::mutex> g(g_rcu_mu);
		done.swap(g_rcu_deferred);
	}
	// Every reader that began before this point has left.
	g_rcu.lock();
	g_rcu.unlock();
	for (void* p : done)
		free(p);
}

void pcpu_msleep(unsigned int ms) noexcept
{
	might_sleep("msleep");
	std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

void pcpu_cond_resched(void) noexcept
{
	might_sleep("cond_resched");
	std::this_thread::yield();
}

void pcpu_on_each_cpu(void (*fn)(void* arg), void* arg) noexcept
{
	g_ipis++;
	if (t_irqs)
		violation("on_each_cpu with IRQs disabled (IPI deadlock)");
	int self = t_cpu, owned = t_owned;
	for (int c = 0; c < g_nr_cpus; c++) {
		if (!cpu_online(c))
			continue;
		bool lock = owned != c;
		if (lock)
			g_cpus[c].m.lock();
		t_cpu = c;
		t_owned = c;
		t_irqs++;
		t_in_irq++;
		fn(arg);
		t_in_irq--;
		t_irqs--;
		t_cpu = self;
		t_owned = owned;
		if (lock)
			g_cpus[c].m.unlock();
	}
}

// The host has no scheduler: every might-sleep point counts as a switch.
unsigned long pcpu_nr_voluntary_switches(void) noexcept { return t_sleeps; }

unsigned long pcpu_jiffies(void) noexcept
{
	using namespace std::chrono;
	return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

unsigned long pcpu_msecs_to_jiffies(unsigned long ms) noexcept { return ms; }

void* pcpu_current(void) noexcept
{
	static thread_local char self;
	return &self;
}

// The kernel's percpu memory: one zeroed copy per possible CPU id, in one
// block (as alloc_percpu, but without units); the size is kept in front.
void* pcpu_kpercpu_alloc(unsigned long bytes, unsigned long align) noexcept
{
	check_alloc(pcpu_gfp.kernel, "alloc_percpu");
	if (should_fail(HOST_SITE_KMALLOC))
		return nullptr;
	unsigned long stride = (bytes + align - 1) / align * align;
	auto* p = static_cast<unsigned long*>(
		std::aligned_alloc(64, 64 + ((stride * g_nr_cpus + 63) / 64) * 64));
	if (!p)
		return nullptr;
	std::memset(p, 0, 64 + stride * g_nr_cpus);
	p[0] = stride;
	g_objs_live++;
	return reinterpret_cast<char*>(p) + 64;
}

void pcpu_kpercpu_free(void* p) noexcept
{
	if (!p)
		return;
	std::free(static_cast<char*>(p) - 64);
	g_objs_live--;
}

void* pcpu_kpercpu_ptr(void* p, int cpu) noexcept
{
	unsigned long stride = *reinterpret_cast<unsigned long*>(static_cast<char*>(p) - 64);
	return static_cast<char*>(p) + stride * cpu;
}

// Shrinkers: one registered at a time; host_shrink() runs it as reclaim
// would (count, then scan what it counted).
namespace {
struct HostShrinker {
	unsigned long (*count)(void*);
	unsigned long (*scan)(void*, unsigned long);
	void* arg;
};
HostShrinker* g_shrinker;
} // namespace

void* pcpu_shrinker_new(const char*, unsigned long (*count)(void*),
			unsigned long (*scan)(void*, unsigned long), void* arg) noexcept
{
	check_alloc(pcpu_gfp.kernel, "shrinker_new");
	if (should_fail(HOST_SITE_PORT_OBJ))
		return nullptr;
	auto* s = new HostShrinker{count, scan, arg};
	g_shrinker = s;
	g_objs_live++;
	return s;
}

void pcpu_shrinker_delete(void* shrinker) noexcept
{
	if (!shrinker)
		return;
	if (g_shrinker == shrinker)
		g_shrinker = nullptr;
	delete static_cast<HostShrinker*>(shrinker);
	g_objs_live--;
}

unsigned long host_shrink(void)
{
	if (!g_shrinker)
		return 0;
	unsigned long n = g_shrinker->count(g_shrinker->arg);
	return n ? g_shrinker->scan(g_shrinker->arg, n) : 0;
}

// ---- diagnostics ----

void pcpu_log(int level, const char* fmt, ...) noexcept
{
	if (!g_verbose)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vtext(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pcpupool: <%d> %s\n", level, buf);
}

static void warn(const char* fmt, va_list ap, bool print)
{
	char buf[512];
	vtext(buf, sizeof(buf), fmt, ap);
	g_warnings++;
	{
		std::lock_guard<std::mutex> g(g_text_mu);
		memcpy(g_last_warning, buf, sizeof(buf));
	}
	if (print && g_verbose)
		fprintf(stderr, "WARNING: pcpupool: %s\n", buf);
}

void pcpu_warn_once(int* once, const char* fmt, ...) noexcept
{
	va_list ap;
	va_start(ap, fmt);
	// Counted every time (tests observe each), printed once.
	warn(fmt, ap, !__atomic_exchange_n(once, 1, __ATOMIC_RELAXED));
	va_end(ap);
}

void pcpu_bug(const char* what) noexcept
{
	fprintf(stderr, "pcpupool-host: BUG: %s\n", what);
	fflush(stderr);
	abort();
}

// ---- vm ranges ----

void* pcpu_vm_reserve(unsigned long bytes, unsigned int gfp) noexcept
{
	might_sleep("vmap");
	if (pcpu_fault_should_fail(PCPU_SITE_PAGES_ARRAY))
		return nullptr;
	pcpu_record_alloc(PCPU_SITE_PAGES_ARRAY, gfp, t_alloc_mutex > 0);
	check_alloc(gfp, "kvmalloc_array (vmap page array)");
	if (pcpu_fault_should_fail(PCPU_SITE_VM_RANGE))
		return nullptr;
	// vmap() allocates with GFP_KERNEL; the memalloc scope narrows it.
	pcpu_record_alloc(PCPU_SITE_VM_RANGE, context(pcpu_gfp.kernel), t_alloc_mutex > 0);
	check_alloc(pcpu_gfp.kernel, "vmap (vm_struct, page tables)");
	if (!bytes || bytes % kPage)
		pcpu_bug("pcpu_vm_reserve: size not a multiple of the page size");
	std::lock_guard<std::mutex> g(g_mm);
	if (g_ranges_live >= kMaxRanges)
		return nullptr;
	void* base = mmap(nullptr, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return nullptr;
	Range* r = new Range{reinterpret_cast<unsigned long>(base), bytes, {}};
	r->pages.assign(bytes / kPage, nullptr);
	g_ranges[r->base] = r;
	g_ranges_live++;
	return base;
}

void pcpu_vm_release(void* base) noexcept
{
	might_sleep("vunmap");
	std::lock_guard<std::mutex> g(g_mm);
	auto it = g_ranges.find(reinterpret_cast<unsigned long>(base));
	if (it == g_ranges.end()) {
		violation("pcpu_vm_release of %p: not a reserved range", base);
		return;
	}
	Range* r = it->second;
	for (HostPage*& p : r->pages) {
		if (!p)
			continue;
		violation("vm range %#lx released with a populated page at %#lx", r->base, p->mapped_at);
		p->mapped_at = 0;
		g_pages_mapped--;
		free_page(p);
		p = nullptr;
	}
	munmap(base, r->bytes);
	g_ranges.erase(it);
	g_ranges_live--;
	delete r;
}

std::atomic<int> g_map_error; // host_set_map_error(): the next map fails so

void host_set_map_error(int err) { g_map_error = err; }

int pcpu_vm_map_page(unsigned long addr, void* page) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	HostPage* p = page_of(page, "pcpu_vm_map_page: not a page");
	Range* r = range_of(addr);
	if (!r || addr % kPage) {
		violation("pcpu_vm_map_page(%#lx): not a page of a reserved range", addr);
		return -14;
	}
	if (should_fail(HOST_SITE_MAP))
		return -12;
	if (int err = g_map_error.exchange(0))
		return err;
	HostPage*& slot = r->pages[(addr - r->base) / kPage];
	if (slot) {
		violation("pcpu_vm_map_page(%#lx): already populated", addr);
		return -16;
	}
	if (p->mapped_at) {
		violation("pcpu_vm_map_page(%#lx): page already mapped at %#lx", addr, p->mapped_at);
		return -16;
	}
	void* a = reinterpret_cast<void*>(addr);
	if (mprotect(a, kPage, PROT_READ | PROT_WRITE))
		pcpu_bug("mprotect(PROT_READ|PROT_WRITE) failed");
	// A fresh page holds garbage: the core must zero what it hands out.
	memset(a, 0xa5, kPage);
	slot = p;
	p->mapped_at = addr;
	p->pending_flush = false;
	g_pages_mapped++;
	return 0;
}

static_assert(sizeof(pcpu_page_list) == 2 * sizeof(void*), "list_head");

void pcpu_page_list_init(struct pcpu_page_list* l) noexcept { l->next = l->prev = l; }

unsigned long pcpu_page_list_free(struct pcpu_page_list* l) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	unsigned long nr = 0;
	for (void* n = l->next; n != l;) {
		HostPage* p = page_of(n, "pcpu_page_list_free: not a page");
		n = p->lru.next;
		if (p->pending_flush && p->unmap_gen == g_flush_gen)
			violation("page freed before the TLB flush that must follow its unmap");
		free_page(p);
		nr++;
	}
	l->next = l->prev = l;
	return nr;
}

int pcpu_vm_unmap_page(unsigned long addr, struct pcpu_page_list* l) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	Range* r = range_of(addr);
	if (!r || addr % kPage) {
		violation("pcpu_vm_unmap_page(%#lx): not a page of a reserved range", addr);
		return -14;
	}
	HostPage*& slot = r->pages[(addr - r->base) / kPage];
	if (!slot) {
		violation("pcpu_vm_unmap_page(%#lx): not populated", addr);
		return -2;
	}
	HostPage* p = slot;
	void* a = reinterpret_cast<void*>(addr);
	madvise(a, kPage, MADV_DONTNEED);
	if (mprotect(a, kPage, PROT_NONE))
		pcpu_bug("mprotect(PROT_NONE) failed");
	slot = nullptr;
	p->mapped_at = 0;
	p->pending_flush = true;
	p->unmap_gen = g_flush_gen;
	g_pages_mapped--;
	// list_add(&page->lru, l)
	pcpu_page_list* head = l;
	pcpu_page_list* next = static_cast<pcpu_page_list*>(head->next);
	p->lru.next = next;
	p->lru.prev = head;
	next->prev = &p->lru;
	head->next = &p->lru;
	return 0;
}

int pcpu_vm_page_node(unsigned long addr) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	Range* r = range_of(addr);
	HostPage* p = r ? r->pages[(addr - r->base) / kPage] : nullptr;
	return p ? p->node : -1;
}

int pcpu_vm_is_mapped(unsigned long addr) noexcept
{
	std::lock_guard<std::mutex> g(g_mm);
	Range* r = range_of(addr);
	return r && r->pages[(addr - r->base) / kPage];
}

void pcpu_vm_flush_tlb_all(void) noexcept
{
	if (t_irqs)
		violation("flush_tlb_all (an IPI to every CPU) with IRQs disabled");
	std::lock_guard<std::mutex> g(g_mm);
	g_flush_gen++;
	g_tlb_flushes++;
}

// ---- work items ----

static_assert(sizeof(HostWork) <= PCPU_WORK_SIZE && alignof(HostWork) <= PCPU_WORK_ALIGN,
	      "kunit/host/pcpupool_layout.h: HostWork does not fit");

void pcpu_work_setup(void* work, pcpu_work_fn fn, void* arg) noexcept
{
	HostWork* w = new (work) HostWork();
	w->fn = fn;
	w->arg = arg;
	std::lock_guard<std::mutex> g(g_wmu);
	g_works.push_back(w);
}

void pcpu_work_cancel_sync(void* work) noexcept
{
	might_sleep("cancel_delayed_work_sync");
	HostWork* w = work_of(work);
	std::unique_lock<std::mutex> lk(g_wmu);
	w->pending = false;
	if (w->running && w->runner == t_tid)
		pcpu_bug("a work item cancels itself synchronously (deadlock)");
	g_wcv.wait(lk, [w] { return !w->running; });
	for (size_t i = 0; i < g_works.size(); i++) {
		if (g_works[i] == w) {
			g_works.erase(g_works.begin() + i);
			break;
		}
	}
	w->magic = 0;
}

void pcpu_work_queue(void* work) noexcept
{
	HostWork* w = work_of(work);
	std::lock_guard<std::mutex> g(g_wmu);
	// mod_delayed_work(.., 0): pending or not, due now.
	w->pending = true;
	w->delayed = false;
	w->due = std::chrono::steady_clock::now();
	g_wcv.notify_all();
}

void pcpu_work_queue_delayed(void* work, unsigned long delay_ms) noexcept
{
	HostWork* w = work_of(work);
	std::lock_guard<std::mutex> g(g_wmu);
	// queue_delayed_work: a pending item keeps its time.
	if (w->pending)
		return;
	w->pending = true;
	w->delayed = true;
	w->due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
	g_wcv.notify_all();
}

// The host has no CPUs to stay on: the same as pcpu_work_queue_delayed().
void pcpu_work_requeue_delayed(void* work, unsigned long delay_ms) noexcept
{
	pcpu_work_queue_delayed(work, delay_ms);
}

void pcpu_work_flush(void* work) noexcept
{
	might_sleep("flush_delayed_work");
	HostWork* w = work_of(work);
	std::unique_lock<std::mutex> lk(g_wmu);
	if (w->running && w->runner == t_tid)
		pcpu_bug("a work item flushes itself (deadlock)");
	if (!g_thread_mode) {
		if (w->pending)
			run_work_locked(lk, w);
		return;
	}
	unsigned long want = w->done + (w->running ? 1 : 0) + (w->pending ? 1 : 0);
	if (w->pending) {
		w->delayed = false;
		w->due = std::chrono::steady_clock::now();
		g_wcv.notify_all();
	}
	g_wcv.wait(lk, [w, want] { return w->done >= want || (!w->pending && !w->running); });
}

// ---- hotplug ----

int pcpu_cpuhp_init(pcpu_cpu_dead_fn dead) noexcept
{
	if (should_fail(HOST_SITE_CPUHP))
		return -28;
	g_dead = dead;
	return 0;
}

void pcpu_cpuhp_exit(void) noexcept { g_dead = nullptr; }

// ---- tracepoints: counted, last values kept (host_trace) ----

unsigned int pcpu_trace_mask = 0;

namespace {
std::mutex g_trace_mu;
host_trace g_trace;
} // namespace

void pcpu_trace_alloc(void* ptr, unsigned long size, unsigned long align, unsigned int gfp,
		      int atomic) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	g_trace.allocs++;
	g_trace.last_ptr = ptr;
	g_trace.last_size = size;
	g_trace.last_atomic = atomic;
}

void pcpu_trace_free(void* ptr, unsigned long bytes) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	g_trace.frees++;
	g_trace.last_ptr = ptr;
	g_trace.last_size = bytes;
}

void pcpu_trace_alloc_fail(unsigned long size, unsigned long align, unsigned int gfp,
			   int atomic) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	g_trace.alloc_fails++;
	g_trace.last_size = size;
	g_trace.last_atomic = atomic;
}

void pcpu_trace_chunk(void* base, unsigned int id, int create) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	(create ? g_trace.chunk_creates : g_trace.chunk_destroys)++;
}

void pcpu_trace_pages(unsigned int chunk, unsigned int page, unsigned int nr_units,
		      int populate) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	(populate ? g_trace.populates : g_trace.depopulates)++;
}

void pcpu_trace_mempool_refill(const char* pool, unsigned int added, unsigned int reserved) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	g_trace.refills++;
	g_trace.refilled += added;
}

void pcpu_trace_mempool_reserve(const char* pool, void* elem, int from_depot) noexcept
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	g_trace.reserve_takes++;
}

// ---- debugfs ----

void pcpu_seq_printf(void* seq, const char* fmt, ...) noexcept
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vtext(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	static_cast<std::string*>(seq)->append(buf);
}

void* pcpu_debugfs_root(void) noexcept
{
	std::lock_guard<std::mutex> g(g_dfs_mu);
	if (!g_dfs_root)
		g_dfs_root = new Dfs{"pcpupool", nullptr, nullptr, {}};
	return g_dfs_root;
}

void* pcpu_debugfs_dir(const char* name, void* parent) noexcept
{
	if (!parent)
		parent = pcpu_debugfs_root();
	std::lock_guard<std::mutex> g(g_dfs_mu);
	Dfs* p = static_cast<Dfs*>(parent);
	Dfs* d = new Dfs{name, p, nullptr, {}};
	p->children.push_back(d);
	return d;
}

void pcpu_debugfs_create(void* parent, struct pcpu_debugfs_file* f) noexcept
{
	if (!parent)
		parent = pcpu_debugfs_root();
	std::lock_guard<std::mutex> g(g_dfs_mu);
	Dfs* p = static_cast<Dfs*>(parent);
	p->children.push_back(new Dfs{f->name, p, f, {}});
}

void pcpu_debugfs_remove(void* dir) noexcept
{
	if (!dir)
		return;
	std::lock_guard<std::mutex> g(g_dfs_mu);
	Dfs* d = static_cast<Dfs*>(dir);
	if (d->parent) {
		auto& v = d->parent->children;
		for (size_t i = 0; i < v.size(); i++) {
			if (v[i] == d) {
				v.erase(v.begin() + i);
				break;
			}
		}
	} else {
		g_dfs_root = nullptr;
	}
	dfs_free(d);
}

} // extern "C"

// ============================================================================
// port/main.c: the exported API, thin wrappers over the core (api.cpp)
// ============================================================================

extern "C" {

const unsigned long* pcpupool_unit_off;

void* pcpupool_alloc(unsigned long size, unsigned long align, unsigned int gfp)
{
	return pcpu_api_alloc(size, align, gfp);
}

void pcpupool_free(void* ptr) { pcpu_api_free(ptr); }
int pcpupool_alloc_bulk(unsigned long size, unsigned long align, unsigned int gfp, unsigned int n,
			void** ptrs)
{
	return pcpu_api_alloc_bulk(size, align, gfp, n, ptrs);
}
void pcpupool_free_bulk(unsigned int n, void* const* ptrs) { pcpu_api_free_bulk(n, ptrs); }
void pcpupool_get_stats(struct pcpupool_stats* st) { pcpu_api_get_stats(st); }

struct pcpupool_mempool* pcpupool_mempool_create(const char* name, unsigned long size,
						 unsigned long align, unsigned int min_nr,
						 unsigned int gfp)
{
	return pcpu_api_mempool_create(name, size, align, min_nr, gfp);
}

void* pcpupool_mempool_alloc(struct pcpupool_mempool* pool, unsigned int gfp)
{
	return pcpu_api_mempool_alloc(pool, gfp);
}

void pcpupool_mempool_free(void* elem, struct pcpupool_mempool* pool)
{
	pcpu_api_mempool_free(pool, elem);
}

int pcpupool_mempool_resize(struct pcpupool_mempool* pool, unsigned int min_nr)
{
	return pcpu_api_mempool_resize(pool, min_nr);
}

void pcpupool_mempool_destroy(struct pcpupool_mempool* pool) { pcpu_api_mempool_destroy(pool); }

void pcpupool_mempool_get_stats(struct pcpupool_mempool* pool, struct pcpupool_mempool_stats* st)
{
	pcpu_api_mempool_get_stats(pool, st);
}

const char* pcpupool_test_check(void) { return pcpu_api_test_check(); }
void pcpupool_test_flush_balance(void) { pcpu_api_test_flush_balance(); }

int pcpupool_test_set_watermarks(unsigned int low, unsigned int high, unsigned int cap)
{
	return pcpu_api_test_set_watermarks(low, high, cap);
}

void pcpupool_test_hold_mutex(int hold) { pcpu_api_test_hold_mutex(hold); }
void pcpupool_test_mempool_flush(struct pcpupool_mempool* pool) { pcpu_api_test_mempool_flush(pool); }
void pcpupool_test_drain_caches(void) { pcpu_api_test_drain_caches(); }
int pcpupool_test_kasan_oob(void) { return 0; } // ASan covers the host
void pcpupool_test_set_caching(int on) { pcpu_api_test_set_caching(on); }
unsigned long long pcpupool_test_cached_objects(void) { return pcpu_api_test_cached_objects(); }
void pcpupool_test_count_locks(int on) { pcpu_api_test_count_locks(on); }
void pcpupool_test_whole_walk(int on) { pcpu_api_test_whole_walk(on); }
unsigned long long pcpupool_test_lock_count(void) { return pcpu_api_test_lock_count(); }

} // extern "C"

// ============================================================================
// host.h
// ============================================================================

extern "C" {

long host_reset(const struct host_config* cfg)
{
	stop_worker();
	long leaked = 0;
	{
		std::lock_guard<std::mutex> g(g_mm);
		for (auto& it : g_ranges) {
			Range* r = it.second;
			for (HostPage* p : r->pages) {
				if (p) {
					p->mapped_at = 0;
					free_page(p);
				}
			}
			munmap(reinterpret_cast<void*>(r->base), r->bytes);
			delete r;
			leaked++;
		}
		g_ranges.clear();
		leaked += g_pages_live;
		g_pages_live = 0;
		g_pages_mapped = 0;
		g_ranges_live = 0;
	}
	{
		std::lock_guard<std::mutex> g(g_wmu);
		for (HostWork* w : g_works) {
			w->magic = 0;
			delete w;
		}
		g_works.clear();
		g_worker_stop = false;
	}
	{
		std::lock_guard<std::mutex> g(g_rcu_mu);
		for (void* p : g_rcu_deferred)
			free(p);
		g_rcu_deferred.clear();
	}
	if (t_rcu)
		leaked++;
	t_rcu = 0;
	{
		std::lock_guard<std::mutex> g(g_dfs_mu);
		if (g_dfs_root)
			dfs_free(g_dfs_root);
		g_dfs_root = nullptr;
	}
	host_config def = {};
	if (!cfg)
		cfg = &def;
	int nr = cfg->nr_cpus > 0 && cfg->nr_cpus <= HOST_MAX_CPUS ? cfg->nr_cpus : 4;
	unsigned long long all = nr == 64 ? ~0ull : (1ull << nr) - 1;
	unsigned long long possible = cfg->possible ? cfg->possible & all : all;
	possible |= 1ull | 1ull << (nr - 1); // the boot CPU and nr_cpu_ids - 1
	g_nr_cpus = nr;
	g_possible = possible;
	g_online = possible;
	g_verbose = cfg->verbose;
	g_unsafe_gfp = 0;
	g_mempool_wait = 0;
	for (auto& f : g_fail)
		f = 0;
	for (auto& k : g_skip)
		k = 0;
	g_warnings = g_violations = g_gfp_violations = g_tlb_flushes = 0;
	g_work_runs = g_ipis = g_alloc_under_mutex = 0;
	for (auto& r : g_record)
		r = 0;
	g_objs_live = 0;
	g_dead = nullptr;
	g_last_violation[0] = g_last_warning[0] = 0;
	pcpu_trace_mask = 0;
	{
		std::lock_guard<std::mutex> g(g_trace_mu);
		g_trace = host_trace();
	}
	if (t_irqs || t_preempt || t_spins || t_alloc_mutex)
		leaked++;
	t_cpu = 0;
	t_irqs = t_preempt = t_spins = t_in_irq = t_alloc_mutex = t_killed = 0;
	t_owned = -1;
	t_pf = 0;
	t_sleeps = 0;
	t_transitions = 0;
	t_event = Event();
	g_thread_mode = cfg->work_thread;
	g_worker_cpu = cfg->worker_cpu >= 0 && cfg->worker_cpu < nr ? cfg->worker_cpu : nr - 1;
	if (g_thread_mode)
		g_worker = std::thread(worker_main);
	return leaked;
}

void host_quiesce(void)
{
	stop_worker();
	g_thread_mode = false;
	pcpu_synchronize_rcu(); // frees what waited for a grace period
}

void host_set_cpu(int cpu)
{
	if (t_irqs || t_preempt)
		pcpu_bug("host_set_cpu while atomic");
	t_cpu = cpu;
}

int host_cpu(void) { return t_cpu; }

int host_cpu_offline(int cpu)
{
	if (!cpu_online(cpu))
		return -22;
	std::unique_lock<std::shared_mutex> hp(g_hotplug);
	g_online &= ~(1ull << cpu);
	if (t_cpu == cpu) {
		for (int c = 0; c < g_nr_cpus; c++)
			if (cpu_online(c)) {
				t_cpu = c;
				break;
			}
	}
	pcpu_cpu_dead_fn dead = g_dead;
	return dead ? dead(cpu) : 0;
}

void host_cpu_online(int cpu)
{
	if (pcpu_cpu_possible(cpu))
		g_online |= 1ull << cpu;
}

void host_migrate_at(int nth, int cpu)
{
	t_event = Event{kEvMigrate, t_transitions + (nth > 0 ? nth : 1), cpu, nullptr, nullptr};
}

void host_irq_at(int nth, void (*irq)(void*), void* arg)
{
	t_event = Event{kEvIrq, t_transitions + (nth > 0 ? nth : 1), 0, irq, arg};
}

void host_disarm(void) { t_event = Event(); }
unsigned long host_transitions(void) { return t_transitions; }
int host_in_irq(void) { return t_in_irq; }
int host_atomic(void) { return t_irqs || t_preempt || t_spins; }

int host_work_run(int delayed)
{
	int ran = 0;
	if (g_thread_mode) {
		std::vector<HostWork*> ws;
		{
			std::lock_guard<std::mutex> g(g_wmu);
			ws = g_works;
		}
		for (HostWork* w : ws)
			pcpu_work_flush(w);
		return 0;
	}
	std::unique_lock<std::mutex> lk(g_wmu);
	for (int round = 0; round < 256; round++) {
		HostWork* run = nullptr;
		for (HostWork* w : g_works)
			if (w->pending && !w->running && (delayed || !w->delayed)) {
				run = w;
				break;
			}
		if (!run)
			break;
		run_work_locked(lk, run);
		ran++;
	}
	return ran;
}

int host_work_pending(void)
{
	std::lock_guard<std::mutex> g(g_wmu);
	int n = 0;
	for (HostWork* w : g_works)
		n += w->pending;
	return n;
}

void host_fail_next(int site, int nr) { host_fail_after(site, 0, nr); }

void host_fail_after(int site, int skip, int nr)
{
	if (site >= 0 && site < HOST_SITE_NR) {
		g_skip[site] = skip;
		g_fail[site] = nr;
	}
}

int host_fail_pending(int site) { return site >= 0 && site < HOST_SITE_NR ? g_fail[site].load() : 0; }

void host_set_killed(int how) { t_killed = how; }

void host_set_trace(unsigned int mask)
{
	__atomic_store_n(&pcpu_trace_mask, mask, __ATOMIC_RELAXED);
}

void host_get_trace(struct host_trace* t)
{
	std::lock_guard<std::mutex> g(g_trace_mu);
	*t = g_trace;
}
void host_set_unsafe_gfp(int on) { g_unsafe_gfp = on; }

void host_get_counters(struct host_counters* c)
{
	*c = {};
	c->pages_live = g_pages_live;
	c->pages_mapped = g_pages_mapped;
	c->ranges_live = g_ranges_live;
	c->port_objs_live = g_objs_live;
	c->warnings = g_warnings;
	c->violations = g_violations;
	c->gfp_violations = g_gfp_violations;
	c->tlb_flushes = g_tlb_flushes;
	c->work_runs = g_work_runs;
	c->ipis = g_ipis;
	for (int i = 0; i < PCPU_SITE_NR; i++)
		c->record[i] = g_record[i];
	c->alloc_under_mutex = g_alloc_under_mutex;
}

const char* host_last_violation(void) { return g_last_violation; }

void host_clear_violations(void)
{
	g_violations = 0;
	g_gfp_violations = 0;
	std::lock_guard<std::mutex> g(g_text_mu);
	g_last_violation[0] = 0;
}
const char* host_last_warning(void) { return g_last_warning; }
unsigned long host_sleeps(void) { return t_sleeps; }

long host_debugfs_read(const char* path, char* buf, unsigned long size)
{
	pcpu_debugfs_file* f;
	{
		std::lock_guard<std::mutex> g(g_dfs_mu);
		Dfs* d = dfs_find(path);
		if (!d || !d->file)
			return -2;
		f = d->file;
	}
	std::string out;
	if (f->show) {
		f->show(&out, f->arg);
	} else if (f->get) {
		out = std::to_string(f->get(f->arg)) + "\n";
	} else {
		return -13;
	}
	if (size) {
		size_t n = out.size() < size - 1 ? out.size() : size - 1;
		memcpy(buf, out.data(), n);
		buf[n] = 0;
	}
	return out.size();
}

int host_debugfs_write(const char* path, unsigned long long val)
{
	pcpu_debugfs_file* f;
	{
		std::lock_guard<std::mutex> g(g_dfs_mu);
		Dfs* d = dfs_find(path);
		if (!d || !d->file)
			return -2;
		f = d->file;
	}
	return f->set ? f->set(f->arg, val) : -13;
}

int host_debugfs_exists(const char* path)
{
	std::lock_guard<std::mutex> g(g_dfs_mu);
	return dfs_find(path) != nullptr;
}

void host_vm_mapped(const void* base, unsigned long nr_pages, unsigned char* out)
{
	std::lock_guard<std::mutex> g(g_mm);
	unsigned long a = reinterpret_cast<unsigned long>(base);
	Range* r = range_of(a);
	for (unsigned long i = 0; i < nr_pages; i++) {
		unsigned long idx = r ? (a - r->base) / kPage + i : 0;
		out[i] = r && idx < r->pages.size() && r->pages[idx];
	}
}

void host_run_on_cpus(int nr, void (*fn)(int cpu, void* arg), void* arg)
{
	std::vector<std::thread> ts;
	for (int i = 0; i < nr; i++)
		ts.emplace_back([=] {
			t_cpu = i;
			fn(i, arg);
		});
	for (auto& t : ts)
		t.join();
}

namespace {
struct Barrier {
	std::mutex m;
	std::condition_variable cv;
	int nr, count = 0;
	unsigned long gen = 0;
};
} // namespace

void* host_barrier_new(int nr)
{
	Barrier* b = new Barrier();
	b->nr = nr;
	return b;
}

void host_barrier_wait(void* barrier)
{
	Barrier* b = static_cast<Barrier*>(barrier);
	std::unique_lock<std::mutex> lk(b->m);
	unsigned long gen = b->gen;
	if (++b->count == b->nr) {
		b->count = 0;
		b->gen++;
		b->cv.notify_all();
		return;
	}
	b->cv.wait(lk, [b, gen] { return b->gen != gen; });
}

void host_barrier_delete(void* barrier) { delete static_cast<Barrier*>(barrier); }
void host_yield(void) { std::this_thread::yield(); }

void* host_new(unsigned long bytes, unsigned int gfp, int array)
{
	check_alloc(gfp, "kmalloc (new)");
	if (!(gfp & kNofail) && should_fail(HOST_SITE_KMALLOC))
		return nullptr;
	return array ? ::operator new[](bytes, std::nothrow) : ::operator new(bytes, std::nothrow);
}

void host_fail(const char* fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pcpupool-host: FAIL: %s\n", buf);
	if (g_violations)
		fprintf(stderr, "pcpupool-host: last violation: %s\n", g_last_violation);
	fflush(stderr);
	abort();
}

void host_print(const char* fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

int host_snprintf(char* buf, unsigned long size, const char* fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

// The area model's messages (kunit/area_model.h): host_snprintf itself.
extern "C" int model_snprintf(char* buf, unsigned long size, const char* fmt, ...) noexcept
	__attribute__((alias("host_snprintf")));

int host_strcmp(const char* a, const char* b) { return strcmp(a, b); }

const char* host_env_str(const char* name)
{
	const char* v = getenv(name);
	return v ? v : "";
}
const char* host_strstr(const char* hay, const char* needle) { return strstr(hay, needle); }

} // extern "C"
