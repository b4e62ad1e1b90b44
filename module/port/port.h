/* SPDX-License-Identifier: GPL-2.0 */
/*
 * port.h - the narrow C port between pcpupool's C++ core and the kernel.
 *
 * The C++ core never includes a kernel header.  Everything it needs from the
 * kernel is declared here as a plain extern "C" function or constant and is
 * implemented by the C files beside this header, one kernel area per file:
 *
 *   mem.c      page and slab allocation, memalloc scopes, GFP bits, NUMA,
 *              the kernel's percpu memory, the shrinker
 *   lockdep.c  the IO half of the lockdep proof (pcpupool_io_reclaim)
 *   vm_x86.c   reserving a chunk's virtual range, mapping/unmapping pages
 *   lock.c     spinlocks, mutexes, preemption, IRQs, CPU masks, schedule
 *   work.c     the balance workqueue, delayed and plain work items
 *   debugfs.c  debugfs files and seq_file output
 *   trace.c    tracepoints (pcpupool_trace.h)
 *   main.c     module init/exit, parameters, exported C API
 *
 * A port function is thin: it translates and calls, it holds no policy.
 * Kernel objects whose layout depends on the kernel config (locks, work
 * items, pages) are opaque to C++ and live behind pointers owned by the port.
 * This header is shared by C and C++ and includes nothing.
 */
#ifndef PCPUPOOL_PORT_H
#define PCPUPOOL_PORT_H

#ifdef __cplusplus
extern "C" {
#define PCPU_PORT_NOEXCEPT noexcept
#else
#define PCPU_PORT_NOEXCEPT
#endif

/* printf-format checking for both languages (kernel __printf in C). */
#ifdef __cplusplus
#include "port_cxx.h"
#else
#define PCPU_PRINTF(fmt, args) __printf(fmt, args)
#define PCPU_NORETURN __noreturn
#endif

/* ---- GFP bits of the running kernel (values differ between configs) ---- */
struct pcpu_gfp_bits {
	unsigned int kernel, nowait, atomic, noio, nofs;
	unsigned int io, fs, direct_reclaim, nofail, nowarn, zero, norety,
		     high, nomemalloc, account;
};
extern const struct pcpu_gfp_bits pcpu_gfp;

/* current_gfp_context(): the caller's gfp with memalloc scopes applied. */
unsigned int pcpu_current_gfp_context(unsigned int gfp) PCPU_PORT_NOEXCEPT;
/* memalloc_{noio,nofs}_save/restore; the returned cookie goes to restore. */
unsigned int pcpu_noio_save(void) PCPU_PORT_NOEXCEPT;
void pcpu_noio_restore(unsigned int cookie) PCPU_PORT_NOEXCEPT;
unsigned int pcpu_nofs_save(void) PCPU_PORT_NOEXCEPT;
void pcpu_nofs_restore(unsigned int cookie) PCPU_PORT_NOEXCEPT;

/*
 * lockdep, IO half (lockdep.c): an allocation with @gfp may enter IO
 * reclaim.  The port's own allocation functions call it; vm_x86.c calls it
 * for vmap()'s internal allocations.
 */
void pcpu_io_reclaim_might_gfp(unsigned int gfp) PCPU_PORT_NOEXCEPT;

/* ---- slab and pages (mem.c) ---- */
void *pcpu_kmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
void *pcpu_kzalloc_node(unsigned long bytes, unsigned int gfp, int node) PCPU_PORT_NOEXCEPT;
void pcpu_kfree(const void *p) PCPU_PORT_NOEXCEPT;
/* kvmalloc/kvfree: slab, or vmalloc for large sizes when @gfp may block. */
void *pcpu_kvmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
void pcpu_kvfree(const void *p) PCPU_PORT_NOEXCEPT;
/*
 * Memory freed after an RCU grace period (kfree_rcu): for data that
 * lock-free readers inside pcpu_rcu_read_lock() may still be reading.
 * The header holding the rcu_head is hidden in front of what is returned.
 */
void *pcpu_rcu_kmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
void pcpu_rcu_kfree(void *p) PCPU_PORT_NOEXCEPT;
/* One order-0 page on @node; returns an opaque struct page pointer. */
void *pcpu_page_alloc(int node, unsigned int gfp) PCPU_PORT_NOEXCEPT;
void pcpu_page_free(void *page) PCPU_PORT_NOEXCEPT;
int pcpu_page_node(const void *page) PCPU_PORT_NOEXCEPT;
void *pcpu_page_address(void *page) PCPU_PORT_NOEXCEPT;
/* The page mapped at a kernel virtual address (vmalloc_to_page). */
void *pcpu_vmalloc_to_page(const void *addr) PCPU_PORT_NOEXCEPT;
void pcpu_memset(void *p, int c, unsigned long bytes) PCPU_PORT_NOEXCEPT;
void pcpu_memcpy(void *d, const void *s, unsigned long bytes) PCPU_PORT_NOEXCEPT;
unsigned long pcpu_page_size(void) PCPU_PORT_NOEXCEPT;
/*
 * The kernel's own percpu memory (alloc_percpu: zeroed, GFP_KERNEL, sleeps)
 * for pcpupool's per-CPU bookkeeping, and CPU @cpu's copy of it.
 */
void *pcpu_kpercpu_alloc(unsigned long bytes, unsigned long align) PCPU_PORT_NOEXCEPT;
void pcpu_kpercpu_free(void *p) PCPU_PORT_NOEXCEPT;
void *pcpu_kpercpu_ptr(void *p, int cpu) PCPU_PORT_NOEXCEPT;
/*
 * A shrinker (not memcg- or NUMA-aware): @count says how many objects could
 * be freed, @scan frees up to @nr and returns how many it freed.  Either
 * may run in reclaim from any sleepable context.  NULL if it could not be
 * registered; delete(NULL) is a no-op.
 */
void *pcpu_shrinker_new(const char *name, unsigned long (*count)(void *arg),
			unsigned long (*scan)(void *arg, unsigned long nr),
			void *arg) PCPU_PORT_NOEXCEPT;
void pcpu_shrinker_delete(void *shrinker) PCPU_PORT_NOEXCEPT;

/*
 * Test builds only: every allocation the port makes on behalf of the core
 * (slab, pages, vm range) reports its effective gfp here, with whether the
 * allocator mutex was held.  The recorder lives in the KUnit module.
 */
enum pcpu_alloc_site {
	PCPU_SITE_META,		/* chunk metadata (kmalloc) */
	PCPU_SITE_VM_RANGE,	/* vmap() of the chunk's range + page tables */
	PCPU_SITE_PAGES_ARRAY,	/* temporary page array for the vmap */
	PCPU_SITE_BACKING,	/* a backing page */
	PCPU_SITE_MAP,		/* fault switch only: mapping a page (PTE) */
	PCPU_SITE_ATOMIC,	/* fault switch only: the atomic path finds no fit */
	PCPU_SITE_NR,
};
/*
 * Defined by the core: whether the calling task holds the allocator mutex,
 * for the port's own pcpu_record_alloc() calls.
 */
int pcpu_core_alloc_mutex_held(void) PCPU_PORT_NOEXCEPT;
typedef void (*pcpu_alloc_recorder_fn)(enum pcpu_alloc_site site,
				       unsigned int effective_gfp,
				       int mutex_held);
void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp,
		       int mutex_held) PCPU_PORT_NOEXCEPT;
/* Fault switch (test builds): fail the next @n allocations at @site. */
int pcpu_fault_should_fail(enum pcpu_alloc_site site) PCPU_PORT_NOEXCEPT;
/*
 * Nonzero once a test armed any fault site (never in production builds):
 * the front end's fast path calls pcpu_fault_should_fail() only then.
 */
extern int pcpu_fault_armed;
/*
 * Negative control (test builds, module parameter test_unsafe_gfp): make the
 * slow path allocate with plain GFP_KERNEL under the mutex, as Linux 6.12's
 * own percpu allocator does, so that the lockdep test can show it fails.
 */
int pcpu_test_unsafe_gfp(void) PCPU_PORT_NOEXCEPT;
/*
 * Negative control (test builds, module parameter test_mempool_wait): a
 * constrained mempool caller that finds the reserve empty sleeps waiting
 * for the refill, as Andrew Morton's objection fears; the mempool's
 * "waits" measurement and the never-wait tests must then fail.
 */
int pcpu_test_mempool_wait(void) PCPU_PORT_NOEXCEPT;

/* ---- NUMA and CPUs (lock.c) ---- */
int pcpu_nr_cpu_ids(void) PCPU_PORT_NOEXCEPT;
int pcpu_cpu_possible(int cpu) PCPU_PORT_NOEXCEPT;
int pcpu_cpu_online(int cpu) PCPU_PORT_NOEXCEPT;
int pcpu_cpu_to_node(int cpu) PCPU_PORT_NOEXCEPT;
/* Only meaningful with preemption disabled. */
int pcpu_this_cpu(void) PCPU_PORT_NOEXCEPT;

/* ---- locks, preemption, IRQs (lock.c) ---- */
enum pcpu_lock_class {
	PCPU_LOCK_POOL,		/* the allocator's area/chunk spinlock */
	PCPU_LOCK_ALLOC_MUTEX,	/* the allocator's population mutex */
	PCPU_LOCK_MEMPOOL,	/* a mempool depot */
	PCPU_LOCK_MEMPOOL_MAG,	/* a CPU's magazine of a mempool */
	PCPU_LOCK_MEMPOOL_LIST,	/* the list of mempools (mutex) */
	PCPU_LOCK_BLK,		/* blkcg stats of a disk */
	PCPU_LOCK_TEST,		/* KUnit */
	PCPU_LOCK_NR,
};
void *pcpu_spin_new(enum pcpu_lock_class cls) PCPU_PORT_NOEXCEPT;
void pcpu_spin_delete(void *lock) PCPU_PORT_NOEXCEPT;
unsigned long pcpu_spin_lock_irqsave(void *lock) PCPU_PORT_NOEXCEPT;
void pcpu_spin_unlock_irqrestore(void *lock, unsigned long flags) PCPU_PORT_NOEXCEPT;
void pcpu_spin_lock(void *lock) PCPU_PORT_NOEXCEPT;
void pcpu_spin_unlock(void *lock) PCPU_PORT_NOEXCEPT;
void pcpu_assert_spin_held(void *lock) PCPU_PORT_NOEXCEPT;
/*
 * Test builds: count every spinlock the calling task takes from now on
 * (@on = 1; 0 stops), and read the count.  For the front end's proof that
 * a cache hit takes no lock.
 */
void pcpu_test_count_locks(int on) PCPU_PORT_NOEXCEPT;
unsigned long long pcpu_test_lock_count(void) PCPU_PORT_NOEXCEPT;

void *pcpu_mutex_new(enum pcpu_lock_class cls) PCPU_PORT_NOEXCEPT;
void pcpu_mutex_delete(void *mutex) PCPU_PORT_NOEXCEPT;
void pcpu_mutex_lock(void *mutex) PCPU_PORT_NOEXCEPT;
/* 0 when taken, -EINTR on a fatal signal. */
int pcpu_mutex_lock_killable(void *mutex) PCPU_PORT_NOEXCEPT;
int pcpu_mutex_trylock(void *mutex) PCPU_PORT_NOEXCEPT;
void pcpu_mutex_unlock(void *mutex) PCPU_PORT_NOEXCEPT;
int pcpu_mutex_is_locked(void *mutex) PCPU_PORT_NOEXCEPT;
void pcpu_assert_mutex_held(void *mutex) PCPU_PORT_NOEXCEPT;

void pcpu_preempt_disable(void) PCPU_PORT_NOEXCEPT;
void pcpu_preempt_enable(void) PCPU_PORT_NOEXCEPT;
unsigned long pcpu_local_irq_save(void) PCPU_PORT_NOEXCEPT;
void pcpu_local_irq_restore(unsigned long flags) PCPU_PORT_NOEXCEPT;
void pcpu_might_sleep(void) PCPU_PORT_NOEXCEPT;
/* RCU: read-side sections (any context) and a grace period (sleeps). */
void pcpu_rcu_read_lock(void) PCPU_PORT_NOEXCEPT;
void pcpu_rcu_read_unlock(void) PCPU_PORT_NOEXCEPT;
void pcpu_synchronize_rcu(void) PCPU_PORT_NOEXCEPT;
void pcpu_cond_resched(void) PCPU_PORT_NOEXCEPT;
/* Sleep at least @ms milliseconds, uninterruptibly (msleep). */
void pcpu_msleep(unsigned int ms) PCPU_PORT_NOEXCEPT;
int pcpu_fatal_signal_pending(void) PCPU_PORT_NOEXCEPT;
/* Run @fn(@arg) on every online CPU in hardirq context and wait. */
void pcpu_on_each_cpu(void (*fn)(void *arg), void *arg) PCPU_PORT_NOEXCEPT;
/* Number of context switches of current (nvcsw + nivcsw). */
unsigned long pcpu_nr_switches(void) PCPU_PORT_NOEXCEPT;
/* Voluntary ones only (nvcsw): the task blocked, i.e. it waited. */
unsigned long pcpu_nr_voluntary_switches(void) PCPU_PORT_NOEXCEPT;
unsigned long pcpu_jiffies(void) PCPU_PORT_NOEXCEPT;
unsigned long pcpu_msecs_to_jiffies(unsigned long ms) PCPU_PORT_NOEXCEPT;
/* The running task, as an opaque identity (who holds the allocator mutex). */
void *pcpu_current(void) PCPU_PORT_NOEXCEPT;
unsigned long long pcpu_ktime_ns(void) PCPU_PORT_NOEXCEPT;

/* ---- diagnostics ---- */
PCPU_PRINTF(2, 3) void pcpu_log(int level, const char *fmt, ...) PCPU_PORT_NOEXCEPT;
/* WARN_ONCE per call site identity @once (a static flag owned by the caller). */
PCPU_PRINTF(2, 3) void pcpu_warn_once(int *once, const char *fmt, ...) PCPU_PORT_NOEXCEPT;
PCPU_PRINTF(1, 2) void pcpu_warn(const char *fmt, ...) PCPU_PORT_NOEXCEPT;
PCPU_NORETURN void pcpu_bug(const char *what) PCPU_PORT_NOEXCEPT;
#define PCPU_LOG_ERR 3
#define PCPU_LOG_WARN 4
#define PCPU_LOG_INFO 6
#define PCPU_LOG_DEBUG 7

/* ---- virtual range of a chunk, x86 page tables (vm_x86.c) ---- */
/*
 * Reserve @bytes of vmalloc space, every page mapped PROT_NONE to a shared
 * placeholder page, so that its page tables exist and are never allocated
 * again.  Sleeps; internal allocations follow the caller's memalloc scope.
 */
void *pcpu_vm_reserve(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
void pcpu_vm_release(void *base) PCPU_PORT_NOEXCEPT;
/* Point the PTE at @addr to @page, PAGE_KERNEL.  Not-present -> present. */
int pcpu_vm_map_page(unsigned long addr, void *page) PCPU_PORT_NOEXCEPT;
/* A list of pages (the kernel's list_head, linked through page->lru). */
struct pcpu_page_list {
	void *next, *prev;
};
void pcpu_page_list_init(struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/* Frees every page on @l; returns how many. */
unsigned long pcpu_page_list_free(struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/* Restore the placeholder PTE at @addr and put the page that was mapped
 * there on @l.  The caller must pcpu_vm_flush_tlb_all() before freeing @l.
 */
int pcpu_vm_unmap_page(unsigned long addr, struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/* NUMA node of the page mapped at @addr, or -1 if unpopulated. */
int pcpu_vm_page_node(unsigned long addr) PCPU_PORT_NOEXCEPT;
int pcpu_vm_is_mapped(unsigned long addr) PCPU_PORT_NOEXCEPT;
/* IPI every CPU to flush its TLB (kernel mappings included). */
void pcpu_vm_flush_tlb_all(void) PCPU_PORT_NOEXCEPT;
int pcpu_vm_init(void) PCPU_PORT_NOEXCEPT;
void pcpu_vm_exit(void) PCPU_PORT_NOEXCEPT;

/* ---- work items (work.c) ---- */
typedef void (*pcpu_work_fn)(void *arg);
/*
 * A work item on pcpupool's WQ_MEM_RECLAIM workqueue.  Queueing puts it on
 * another online CPU than the caller's (if there is one), so that a CPU
 * that keeps allocating never starves its own refill.
 */
void *pcpu_work_new(pcpu_work_fn fn, void *arg) PCPU_PORT_NOEXCEPT;
void pcpu_work_delete(void *work) PCPU_PORT_NOEXCEPT; /* cancels, syncs */
/* Safe from any context, hardirq included. */
void pcpu_work_queue(void *work) PCPU_PORT_NOEXCEPT;
void pcpu_work_queue_delayed(void *work, unsigned long delay_ms) PCPU_PORT_NOEXCEPT;
void pcpu_work_flush(void *work) PCPU_PORT_NOEXCEPT;
int pcpu_work_init(void) PCPU_PORT_NOEXCEPT;
void pcpu_work_exit(void) PCPU_PORT_NOEXCEPT;

/* CPU hotplug (work.c): @dead runs in process context on a control CPU
 * after @cpu went offline (CPUHP_BP_PREPARE_DYN teardown).
 */
typedef int (*pcpu_cpu_dead_fn)(unsigned int cpu);
int pcpu_cpuhp_init(pcpu_cpu_dead_fn dead) PCPU_PORT_NOEXCEPT;
void pcpu_cpuhp_exit(void) PCPU_PORT_NOEXCEPT;
/* Keep CPUs from going away (cpus_read_lock) while walking them. */
void pcpu_cpus_read_lock(void) PCPU_PORT_NOEXCEPT;
void pcpu_cpus_read_unlock(void) PCPU_PORT_NOEXCEPT;

/* ---- tracepoints (trace.c, pcpupool_trace.h) ---- */
/* Which event groups are enabled; test before calling pcpu_trace_*(). */
extern unsigned int pcpu_trace_mask;
#define PCPU_TRACE_ALLOC 1u	/* pcpupool_alloc, pcpupool_free */
#define PCPU_TRACE_SLOW 2u	/* failures, chunks, pages, mempool */
void pcpu_trace_alloc(void *ptr, unsigned long size, unsigned long align,
		      unsigned int gfp, int atomic) PCPU_PORT_NOEXCEPT;
void pcpu_trace_free(void *ptr, unsigned long bytes) PCPU_PORT_NOEXCEPT;
void pcpu_trace_alloc_fail(unsigned long size, unsigned long align,
			   unsigned int gfp, int atomic) PCPU_PORT_NOEXCEPT;
void pcpu_trace_chunk(void *base, unsigned int id, int create) PCPU_PORT_NOEXCEPT;
void pcpu_trace_pages(unsigned int chunk, unsigned int page,
		      unsigned int nr_units, int populate) PCPU_PORT_NOEXCEPT;
void pcpu_trace_mempool_refill(const char *pool, unsigned int added,
			       unsigned int reserved) PCPU_PORT_NOEXCEPT;
void pcpu_trace_mempool_reserve(const char *pool, void *elem,
				int from_depot) PCPU_PORT_NOEXCEPT;

/* ---- debugfs and seq_file (debugfs.c) ---- */
PCPU_PRINTF(2, 3) void pcpu_seq_printf(void *seq, const char *fmt, ...) PCPU_PORT_NOEXCEPT;
typedef void (*pcpu_show_fn)(void *seq, void *arg);
/* Reads a u64 tunable; writes parse a decimal u64 and call @set, which
 * validates (-EINVAL) before changing anything.
 */
typedef unsigned long long (*pcpu_get_fn)(void *arg);
typedef int (*pcpu_set_fn)(void *arg, unsigned long long val);
/*
 * A debugfs file described by its owner, who keeps this descriptor alive
 * until the file's directory is removed (removal waits for open readers).
 * @show set: a read-only seq_file view; otherwise a u64 file, readable
 * when @get is set and writable when @set is set.
 */
struct pcpu_debugfs_file {
	const char *name;
	pcpu_show_fn show;
	pcpu_get_fn get;
	pcpu_set_fn set;
	void *arg;
};
/* NULL parent = /sys/kernel/debug/pcpupool/.  Failures return NULL and
 * are never fatal to the allocator.
 */
void *pcpu_debugfs_dir(const char *name, void *parent) PCPU_PORT_NOEXCEPT;
void pcpu_debugfs_create(void *parent, struct pcpu_debugfs_file *f) PCPU_PORT_NOEXCEPT;
/* Removes @dir and everything below it. */
void pcpu_debugfs_remove(void *dir) PCPU_PORT_NOEXCEPT;
/* Module exit: removes /sys/kernel/debug/pcpupool/ and all below. */
void pcpu_debugfs_exit(void) PCPU_PORT_NOEXCEPT;
void *pcpu_debugfs_root(void) PCPU_PORT_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif /* PCPUPOOL_PORT_H */
