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
 * Kernel objects whose layout depends on the kernel config are opaque to
 * C++.  Locks and work items are stored inline in their C++ owners, in
 * storage sized by the generated pcpupool_layout.h (layout.c), and reach
 * the port as pointers to that storage; pages and vm areas live behind
 * pointers owned by the port.  This header is shared by C and C++ and
 * includes nothing.
 */
#ifndef PCPUPOOL_PORT_H
#define PCPUPOOL_PORT_H

#ifdef __cplusplus
extern "C" {
#define PCPU_PORT_NOEXCEPT noexcept
#else
#define PCPU_PORT_NOEXCEPT
#endif

/*
 * printf-format checking for both languages (kernel __printf in C).  The
 * declarations below put it on its own line, above their kernel-doc
 * comment: scripts/kernel-doc recognizes __printf only.
 */
#ifdef __cplusplus
#include "port_cxx.h"
#else
#define PCPU_PRINTF(fmt, args) __printf(fmt, args)
#define PCPU_NORETURN __noreturn
#endif

/*
 * ---- the kernel's error numbers the core returns, negated as the kernel
 * returns them.  uapi errno values (a stable ABI), so constants the C++
 * core can use at compile time; mem.c checks each against the kernel's
 * own at build time. ----
 */
#define PCPU_EINTR	(-4)
#define PCPU_ENOMEM	(-12)
#define PCPU_EINVAL	(-22)

/* ---- GFP bits of the running kernel (values differ between configs) ---- */
struct pcpu_gfp_bits {
	unsigned int kernel, nowait, atomic, noio, nofs;
	unsigned int io, fs, direct_reclaim, nofail, nowarn, zero, norety,
		     high, nomemalloc, account;
};
extern const struct pcpu_gfp_bits pcpu_gfp;

/**
 * pcpu_current_gfp_context() - the caller's gfp with memalloc scopes applied
 * @gfp: GFP flags (pcpu_gfp bits)
 *
 * current_gfp_context(): clears __GFP_IO and/or __GFP_FS inside the calling
 * task's memalloc_noio/nofs scope.
 *
 * Context: Any context.
 * Return: @gfp as an allocation by the calling task would really use it.
 */
unsigned int pcpu_current_gfp_context(unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_noio_save() - enter a memalloc_noio scope (memalloc_noio_save())
 *
 * Until the matching pcpu_noio_restore(), every allocation of the calling
 * task behaves as if __GFP_IO and __GFP_FS were clear.
 *
 * Context: Process context.
 * Return: a cookie for pcpu_noio_restore().
 */
unsigned int pcpu_noio_save(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_noio_restore() - leave a memalloc_noio scope (memalloc_noio_restore())
 * @cookie: what the matching pcpu_noio_save() returned
 *
 * Context: Process context, the task that called pcpu_noio_save().
 */
void pcpu_noio_restore(unsigned int cookie) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_nofs_save() - enter a memalloc_nofs scope (memalloc_nofs_save())
 *
 * Until the matching pcpu_nofs_restore(), every allocation of the calling
 * task behaves as if __GFP_FS were clear.
 *
 * Context: Process context.
 * Return: a cookie for pcpu_nofs_restore().
 */
unsigned int pcpu_nofs_save(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_nofs_restore() - leave a memalloc_nofs scope (memalloc_nofs_restore())
 * @cookie: what the matching pcpu_nofs_save() returned
 *
 * Context: Process context, the task that called pcpu_nofs_save().
 */
void pcpu_nofs_restore(unsigned int cookie) PCPU_PORT_NOEXCEPT;


/* ---- slab and pages (mem.c) ---- */
/**
 * pcpu_kmalloc() - slab memory for the core, under the caller's constraint
 * @bytes: size
 * @gfp: GFP flags (pcpu_gfp bits); the task's memalloc scope applies on top
 *
 * kmalloc(); an allocation that may enter IO reclaim also tells lockdep so
 * (lockdep.c).
 *
 * Context: Any context if @gfp cannot sleep; otherwise process context.
 * Return: the memory, or NULL on failure.
 */
void *pcpu_kmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kfree() - free memory from pcpu_kmalloc()
 * @p: the memory, or NULL
 *
 * Context: Any context.
 */
void pcpu_kfree(const void *p) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kvmalloc() - slab or vmalloc memory for the core (kvmalloc())
 * @bytes: size
 * @gfp: GFP flags (pcpu_gfp bits); the task's memalloc scope applies on top
 *
 * Slab, or vmalloc for large sizes when @gfp may block.
 *
 * Context: Any context if @gfp cannot sleep; otherwise process context.
 * Return: the memory, or NULL on failure.
 */
void *pcpu_kvmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kvfree() - free memory from pcpu_kvmalloc() (kvfree())
 * @p: the memory, or NULL
 *
 * Context: Preemptible process context, or interrupt context but NMI.
 */
void pcpu_kvfree(const void *p) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_rcu_kmalloc() - slab memory freed only after an RCU grace period
 * @bytes: size
 * @gfp: GFP flags (pcpu_gfp bits); the task's memalloc scope applies on top
 *
 * Memory freed after an RCU grace period (kfree_rcu): for data that
 * lock-free readers inside pcpu_rcu_read_lock() may still be reading.
 * The header holding the rcu_head is hidden in front of what is returned.
 *
 * Context: Any context if @gfp cannot sleep; otherwise process context.
 * Return: the memory (after the hidden header), or NULL on failure.
 */
void *pcpu_rcu_kmalloc(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_rcu_kfree() - free memory from pcpu_rcu_kmalloc() after a grace period
 * @p: what pcpu_rcu_kmalloc() returned, or NULL
 *
 * Context: Any context; returns at once, without waiting for the grace period.
 */
void pcpu_rcu_kfree(void *p) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_page_alloc() - one order-0 page on @node
 * @node: NUMA node of the page
 * @gfp: GFP flags (pcpu_gfp bits); the task's memalloc scope applies on top
 *
 * The page counts as outstanding until it is freed (checked at unload).
 *
 * Context: Any context if @gfp cannot sleep; otherwise process context.
 * Return: an opaque struct page pointer, or NULL on failure.
 */
void *pcpu_page_alloc(int node, unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_page_free() - free a page from pcpu_page_alloc()
 * @page: the page (not NULL)
 *
 * Context: Any context.
 */
void pcpu_page_free(void *page) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_memset() - memset()
 * @p: memory to fill
 * @c: byte value
 * @bytes: how many bytes
 *
 * Context: Any context.
 */
void pcpu_memset(void *p, int c, unsigned long bytes) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_page_size() - the running kernel's page size
 *
 * Context: Any context.
 * Return: PAGE_SIZE.
 */
unsigned long pcpu_page_size(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kpercpu_alloc() - the kernel's own percpu memory
 * @bytes: size of each CPU's copy
 * @align: alignment of each copy
 *
 * The kernel's own percpu memory (alloc_percpu: zeroed, GFP_KERNEL, sleeps)
 * for pcpupool's per-CPU bookkeeping.
 *
 * Context: Process context, may sleep.
 * Return: a percpu pointer for pcpu_kpercpu_ptr(), or NULL on failure.
 */
void *pcpu_kpercpu_alloc(unsigned long bytes, unsigned long align) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kpercpu_free() - free memory from pcpu_kpercpu_alloc()
 * @p: the percpu pointer, or NULL
 *
 * Context: Any context (free_percpu() may be called from atomic context).
 */
void pcpu_kpercpu_free(void *p) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_kpercpu_ptr() - CPU @cpu's copy of the kernel's percpu memory
 * @p: a percpu pointer from pcpu_kpercpu_alloc()
 * @cpu: a possible CPU
 *
 * Context: Any context.
 * Return: the address of @cpu's copy of @p.
 */
void *pcpu_kpercpu_ptr(void *p, int cpu) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_shrinker_new() - register a shrinker (not memcg- or NUMA-aware)
 * @name: the shrinker's name
 * @count: says how many objects could be freed (0: none)
 * @scan: frees up to @nr objects and returns how many it freed
 * @arg: passed to @count and @scan
 *
 * @count and @scan may run in reclaim from any sleepable context.
 *
 * Context: Process context, may sleep.
 * Return: a handle for pcpu_shrinker_delete(), or NULL if it could not be
 * registered.
 */
void *pcpu_shrinker_new(const char *name, unsigned long (*count)(void *arg),
			unsigned long (*scan)(void *arg, unsigned long nr),
			void *arg) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_shrinker_delete() - unregister and free a shrinker
 * @shrinker: what pcpu_shrinker_new() returned; NULL is a no-op
 *
 * Context: Process context, may sleep (waits for running callbacks).
 */
void pcpu_shrinker_delete(void *shrinker) PCPU_PORT_NOEXCEPT;

/*
 * Test builds only: every allocation the port makes on behalf of the core
 * (slab, pages, vm range) reports its effective gfp through
 * pcpu_record_alloc(), with whether the allocator mutex was held.  The
 * recorder lives in the KUnit module.
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
/**
 * pcpu_core_alloc_mutex_held() - whether the caller holds the allocator mutex
 *
 * Defined by the C++ core (module/api.cpp), for the port's own
 * pcpu_record_alloc() calls.
 *
 * Context: Any context.
 * Return: nonzero if the calling task holds the allocator mutex, else 0.
 */
int pcpu_core_alloc_mutex_held(void) PCPU_PORT_NOEXCEPT;
/**
 * typedef pcpu_alloc_recorder_fn - the KUnit module's allocation recorder
 * @site: where the allocation is made
 * @effective_gfp: the gfp the allocation really gets
 * @mutex_held: nonzero if the allocating task holds the allocator mutex
 *
 * Installed with pcpupool_test_set_recorder() (test builds).
 *
 * Context: Any context the allocation runs in, under rcu_read_lock(); must
 * not sleep.
 */
typedef void (*pcpu_alloc_recorder_fn)(enum pcpu_alloc_site site,
				       unsigned int effective_gfp,
				       int mutex_held);
/**
 * pcpu_record_alloc() - report an allocation to the test builds' recorder
 * @site: where the allocation is made
 * @gfp: its effective gfp
 * @mutex_held: nonzero if the allocator mutex is held
 *
 * Calls the installed pcpu_alloc_recorder_fn, if any; a no-op in production
 * builds.
 *
 * Context: Any context.
 */
void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp,
		       int mutex_held) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_fault_should_fail() - fault switch (test builds): must this one fail?
 * @site: where the allocation is made
 *
 * Fails the allocations at @site that pcpupool_test_fail_next() or
 * pcpupool_test_fail_nth() armed, one per call.
 *
 * Context: Any context.
 * Return: nonzero if the caller must fail the allocation; always 0 in
 * production builds.
 */
int pcpu_fault_should_fail(enum pcpu_alloc_site site) PCPU_PORT_NOEXCEPT;
/*
 * Nonzero once a test armed any fault site (never in production builds):
 * the front end's fast path calls pcpu_fault_should_fail() only then.
 */
extern int pcpu_fault_armed;
/**
 * pcpu_fail_alloc() - fail_pcpupool: must a caller's allocation fail?
 * @gfp: the caller's GFP flags
 * @bytes: the size asked for
 *
 * fail_pcpupool (fault.c), the users' standard fault attribute: whether an
 * allocation of @bytes with @gfp asked by a caller must fail.  Consulted
 * once per API call, only when pcpu_fail_on (1 on kernels with
 * CONFIG_FAULT_INJECTION, else 0).  With ignore-gfp-wait (the default),
 * only a @gfp that cannot sleep fails.
 *
 * Context: Any context.
 * Return: nonzero if the allocation must fail; always 0 without
 * CONFIG_FAULT_INJECTION.
 */
int pcpu_fail_alloc(unsigned int gfp, unsigned long bytes) PCPU_PORT_NOEXCEPT;
extern int pcpu_fail_on;
/**
 * pcpu_test_unsafe_gfp() - negative control: GFP_KERNEL under the mutex
 *
 * Negative control (test builds, module parameter test_unsafe_gfp): make the
 * slow path allocate with plain GFP_KERNEL under the mutex, as Linux 6.12's
 * own percpu allocator does, so that the lockdep test can show it fails.
 *
 * Context: Any context.
 * Return: nonzero if test_unsafe_gfp is set; always 0 in production builds.
 */
int pcpu_test_unsafe_gfp(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_test_mempool_wait() - negative control: mempool callers wait
 *
 * Negative control (test builds, module parameter test_mempool_wait): a
 * constrained mempool caller that finds the reserve empty sleeps waiting
 * for the refill, as Andrew Morton's objection fears; the mempool's
 * "waits" measurement and the never-wait tests must then fail.
 *
 * Context: Any context.
 * Return: nonzero if test_mempool_wait is set; always 0 in production builds.
 */
int pcpu_test_mempool_wait(void) PCPU_PORT_NOEXCEPT;

/* ---- NUMA and CPUs (lock.c) ---- */
/**
 * pcpu_nr_cpu_ids() - nr_cpu_ids
 *
 * Context: Any context.
 * Return: one more than the highest possible CPU number.
 */
int pcpu_nr_cpu_ids(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_cpu_possible() - whether @cpu is a possible CPU
 * @cpu: CPU number, below pcpu_nr_cpu_ids()
 *
 * Context: Any context.
 * Return: nonzero if @cpu is in cpu_possible_mask.
 */
int pcpu_cpu_possible(int cpu) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_cpu_to_node() - NUMA node of a CPU
 * @cpu: a possible CPU
 *
 * Context: Any context.
 * Return: the node of @cpu (cpu_to_node()).
 */
int pcpu_cpu_to_node(int cpu) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_this_cpu() - the CPU the caller runs on (smp_processor_id())
 *
 * Only meaningful with preemption disabled.
 *
 * Context: Preemption or IRQs disabled.
 * Return: the current CPU number.
 */
int pcpu_this_cpu(void) PCPU_PORT_NOEXCEPT;

/* ---- locks, preemption, IRQs (lock.c) ---- */
enum pcpu_lock_class {
	PCPU_LOCK_POOL,		/* the allocator's area/chunk spinlock */
	PCPU_LOCK_ALLOC_MUTEX,	/* the allocator's population mutex */
	PCPU_LOCK_MEMPOOL,	/* a mempool depot */
	PCPU_LOCK_MEMPOOL_LIST,	/* the list of mempools (mutex) */
	PCPU_LOCK_BLK,		/* blkcg stats of a disk */
	PCPU_LOCK_TEST,		/* KUnit */
	PCPU_LOCK_NR,
};
/**
 * pcpu_spin_init() - spin_lock_init() with a lockdep class per role
 * @lock: PCPU_SPINLOCK_SIZE bytes aligned to PCPU_SPINLOCK_ALIGN
 *        (pcpupool_layout.h), not in use
 * @cls: its role, which is its lockdep class
 *
 * A spinlock needs no destruction: its storage dies with its owner.
 *
 * Context: Any context.
 */
void pcpu_spin_init(void *lock, enum pcpu_lock_class cls) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_spin_lock_irqsave() - spin_lock_irqsave()
 * @lock: a lock set up by pcpu_spin_init()
 *
 * Context: Any context.
 * Return: the saved IRQ flags, for pcpu_spin_unlock_irqrestore().
 */
unsigned long pcpu_spin_lock_irqsave(void *lock) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_spin_unlock_irqrestore() - spin_unlock_irqrestore()
 * @lock: the lock
 * @flags: what pcpu_spin_lock_irqsave() returned
 *
 * Context: @lock held, taken with pcpu_spin_lock_irqsave().
 */
void pcpu_spin_unlock_irqrestore(void *lock, unsigned long flags) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_spin_lock() - spin_lock()
 * @lock: a lock set up by pcpu_spin_init()
 *
 * For locks never taken from IRQ context, or always taken with IRQs off.
 *
 * Context: Any context that honours the rule above.
 */
void pcpu_spin_lock(void *lock) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_spin_unlock() - spin_unlock()
 * @lock: the lock
 *
 * Context: @lock held, taken with pcpu_spin_lock().
 */
void pcpu_spin_unlock(void *lock) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_assert_spin_held() - lockdep_assert_held()
 * @lock: the lock the caller must hold
 *
 * Warns if lockdep knows @lock is not held; does nothing without lockdep.
 *
 * Context: Any context.
 */
void pcpu_assert_spin_held(void *lock) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_test_count_locks() - count the calling task's spinlocks (test builds)
 * @on: 1 starts counting for the calling task, 0 stops
 *
 * Test builds: count every spinlock the calling task takes from now on
 * (pcpu_spin_lock() and pcpu_spin_lock_irqsave()), and read the count with
 * pcpu_test_lock_count().  For the front end's proof that a cache hit takes
 * no lock.  Either call resets the count to 0.  Defined only in test builds.
 *
 * Context: Process context.
 */
void pcpu_test_count_locks(int on) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_test_lock_count() - the count pcpu_test_count_locks() started
 *
 * Defined only in test builds.
 *
 * Context: Process context, the counting task.
 * Return: the spinlocks taken since pcpu_test_count_locks().
 */
unsigned long long pcpu_test_lock_count(void) PCPU_PORT_NOEXCEPT;

/**
 * pcpu_mutex_init() - mutex_init() with a lockdep class per role
 * @mutex: PCPU_MUTEX_SIZE bytes aligned to PCPU_MUTEX_ALIGN
 *         (pcpupool_layout.h), not in use
 * @cls: its role, which is its lockdep class
 *
 * Context: Any context.
 */
void pcpu_mutex_init(void *mutex, enum pcpu_lock_class cls) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_mutex_destroy() - mutex_destroy()
 * @mutex: a mutex set up by pcpu_mutex_init(), not held
 *
 * Context: Any context.
 */
void pcpu_mutex_destroy(void *mutex) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_mutex_lock() - mutex_lock()
 * @mutex: a mutex set up by pcpu_mutex_init()
 *
 * Context: Process context, may sleep (uninterruptibly).
 */
void pcpu_mutex_lock(void *mutex) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_mutex_lock_killable() - mutex_lock_killable()
 * @mutex: a mutex set up by pcpu_mutex_init()
 *
 * Context: Process context, may sleep.
 * Return: 0 when taken, -EINTR on a fatal signal.
 */
int pcpu_mutex_lock_killable(void *mutex) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_mutex_unlock() - mutex_unlock()
 * @mutex: the mutex
 *
 * Context: Process context, @mutex held by the caller.
 */
void pcpu_mutex_unlock(void *mutex) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_mutex_is_locked() - mutex_is_locked() (test builds)
 * @mutex: a mutex set up by pcpu_mutex_init()
 *
 * The core never asks; the guard tests do.  Defined only in test builds.
 *
 * Context: Any context.
 * Return: nonzero if some task holds @mutex.
 */
int pcpu_mutex_is_locked(void *mutex) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_assert_mutex_held() - lockdep_assert_held()
 * @mutex: the mutex the caller must hold
 *
 * Warns if lockdep knows @mutex is not held; does nothing without lockdep.
 *
 * Context: Any context.
 */
void pcpu_assert_mutex_held(void *mutex) PCPU_PORT_NOEXCEPT;

/**
 * pcpu_preempt_disable() - preempt_disable()
 *
 * Context: Any context.
 */
void pcpu_preempt_disable(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_preempt_enable() - preempt_enable()
 *
 * Context: Any context, after pcpu_preempt_disable().
 */
void pcpu_preempt_enable(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_local_irq_save_cpu() - disable IRQs and say which CPU the caller is on
 * @cpu: set to the CPU number
 *
 * local_irq_save() and smp_processor_id() in one call (the fast path's).
 *
 * Context: Any context.
 * Return: the saved IRQ flags, for pcpu_local_irq_restore().
 */
unsigned long pcpu_local_irq_save_cpu(int *cpu) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_local_irq_restore() - local_irq_restore()
 * @flags: what pcpu_local_irq_save_cpu() returned
 *
 * Context: Any context, IRQs disabled by pcpu_local_irq_save_cpu().
 */
void pcpu_local_irq_restore(unsigned long flags) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_irqoff_measure() - start or stop timing pcpupool's IRQ-off sections
 * @on: 1 resets the longest section seen and starts timing, 0 stops
 *
 * Timed: each section that pcpu_spin_lock_irqsave() or
 * pcpu_local_irq_save_cpu() began with IRQs on, to its release, with
 * local_clock().  Off: a patched-out static branch.
 *
 * Context: Process context, may sleep.
 */
void pcpu_irqoff_measure(int on) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_irqoff_measuring() - whether pcpu_irqoff_measure(1) is in force
 *
 * Context: Any context.
 * Return: 1 if IRQ-off sections are being timed, else 0.
 */
int pcpu_irqoff_measuring(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_irqoff_note_walk() - count a walk of a chunk's map with IRQs off
 *
 * While timing is on, adds one to the walks of the current timed section;
 * otherwise (or outside a timed section) does nothing.
 *
 * Context: IRQs off, inside pcpupool's own IRQ-off section.
 */
void pcpu_irqoff_note_walk(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_irqoff_max() - the longest IRQ-off section since the last reset
 * @site: set to the code address that began it (print with %pS), or NULL
 * @walks: set to the most chunk-map walks seen in one section
 *
 * Context: Any context.
 * Return: its length in nanoseconds (0: none timed yet).
 */
unsigned long long pcpu_irqoff_max(void **site, unsigned int *walks) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_might_sleep() - might_sleep()
 *
 * With CONFIG_DEBUG_ATOMIC_SLEEP, warns if called where sleeping is not
 * allowed.
 *
 * Context: Process context; may reschedule.
 */
void pcpu_might_sleep(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_rcu_read_lock() - begin an RCU read-side section (rcu_read_lock())
 *
 * Context: Any context.
 */
void pcpu_rcu_read_lock(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_rcu_read_unlock() - end an RCU read-side section (rcu_read_unlock())
 *
 * Context: Any context, inside pcpu_rcu_read_lock().
 */
void pcpu_rcu_read_unlock(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_synchronize_rcu() - wait for an RCU grace period (synchronize_rcu())
 *
 * Context: Process context, sleeps.
 */
void pcpu_synchronize_rcu(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_cond_resched() - cond_resched()
 *
 * Context: Process context, may sleep.
 */
void pcpu_cond_resched(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_msleep() - msleep()
 * @ms: milliseconds
 *
 * Sleep at least @ms milliseconds, uninterruptibly.
 *
 * Context: Process context, sleeps.
 */
void pcpu_msleep(unsigned int ms) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_on_each_cpu() - run a function on every online CPU and wait
 * @fn: the function, run with IRQs disabled
 * @arg: passed to @fn
 *
 * on_each_cpu(): @fn runs from an IPI (hardirq context) on the other CPUs
 * and directly, with IRQs disabled, on the calling CPU.
 *
 * Context: Process context with IRQs enabled; busy-waits, does not sleep.
 */
void pcpu_on_each_cpu(void (*fn)(void *arg), void *arg) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_nr_voluntary_switches() - the calling task's voluntary switches
 *
 * Voluntary ones only (nvcsw): the task blocked, i.e. it waited.
 *
 * Context: Process context.
 * Return: current->nvcsw.
 */
unsigned long pcpu_nr_voluntary_switches(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_jiffies() - jiffies
 *
 * Context: Any context.
 * Return: the current value of jiffies.
 */
unsigned long pcpu_jiffies(void) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_msecs_to_jiffies() - msecs_to_jiffies()
 * @ms: milliseconds
 *
 * Context: Any context.
 * Return: @ms in jiffies, rounded up.
 */
unsigned long pcpu_msecs_to_jiffies(unsigned long ms) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_current() - the running task, as an opaque identity
 *
 * For recording who holds the allocator mutex.
 *
 * Context: Any context (in an interrupt, the interrupted task).
 * Return: current.
 */
void *pcpu_current(void) PCPU_PORT_NOEXCEPT;

/* ---- diagnostics ---- */
PCPU_PRINTF(2, 3)
/**
 * pcpu_log() - print a "pcpupool: " message
 * @level: PCPU_LOG_ERR, PCPU_LOG_WARN, PCPU_LOG_INFO or PCPU_LOG_DEBUG
 * @fmt: printf format, without the trailing newline
 * @...: arguments for @fmt
 *
 * Any other @level prints as PCPU_LOG_INFO.
 *
 * Context: Any context.
 */
void pcpu_log(int level, const char *fmt, ...) PCPU_PORT_NOEXCEPT;

PCPU_PRINTF(2, 3)
/**
 * pcpu_warn_once() - WARN once per call site
 * @once: the call site's identity, a static flag owned by the caller
 * @fmt: printf format, without the trailing newline
 * @...: arguments for @fmt
 *
 * WARN_ONCE per call site identity @once.
 *
 * Context: Any context.
 */
void pcpu_warn_once(int *once, const char *fmt, ...) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_bug() - print @what and BUG()
 * @what: what went wrong
 *
 * Does not return.  (C++ sees no noreturn attribute: its callers follow
 * the call with __builtin_trap(), see port_cxx.h.)
 *
 * Context: Any context.
 */
PCPU_NORETURN void pcpu_bug(const char *what) PCPU_PORT_NOEXCEPT;
#define PCPU_LOG_ERR 3
#define PCPU_LOG_WARN 4
#define PCPU_LOG_INFO 6
#define PCPU_LOG_DEBUG 7

/* ---- virtual range of a chunk, x86 page tables (vm_x86.c) ---- */
/**
 * pcpu_vm_reserve() - reserve a chunk's virtual range
 * @bytes: size of the range, a multiple of the page size
 * @gfp: GFP flags (pcpu_gfp bits) of the temporary page array
 *
 * Reserve @bytes of vmalloc space, every page mapped PROT_NONE to a shared
 * placeholder page, so that its page tables exist and are never allocated
 * again.  Sleeps; internal allocations follow the caller's memalloc scope.
 *
 * Context: Process context, sleeps.
 * Return: the base address of the range, or NULL on failure.
 */
void *pcpu_vm_reserve(unsigned long bytes, unsigned int gfp) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_vm_release() - release a range from pcpu_vm_reserve() (vunmap())
 * @base: its base address; every page unmapped (the placeholder) again
 *
 * Context: Process context, may sleep.
 */
void pcpu_vm_release(void *base) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_vm_map_page() - map a backing page into a reserved range
 * @addr: page address in a range from pcpu_vm_reserve(), not mapped yet
 * @page: a page from pcpu_page_alloc()
 *
 * Point the PTE at @addr to @page, PAGE_KERNEL.  Not-present -> present:
 * no TLB flush needed.  The page is registered with kmemleak.
 *
 * Context: Process context, under the allocator mutex; may sleep (kmemleak).
 * Return: 0; -EFAULT if @addr has no 4K PTE, -EBUSY if a page is mapped
 * there already, -ENOMEM if the fault switch (test builds) fails it.
 */
int pcpu_vm_map_page(unsigned long addr, void *page) PCPU_PORT_NOEXCEPT;
/* A list of pages (the kernel's list_head, linked through page->lru). */
struct pcpu_page_list {
	void *next, *prev;
};
/**
 * pcpu_page_list_init() - make @l an empty page list
 * @l: the list
 *
 * Context: Any context.
 */
void pcpu_page_list_init(struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_page_list_free() - free every page on @l
 * @l: pages unmapped by pcpu_vm_unmap_page(), TLBs flushed since
 *
 * Context: Any context.
 * Return: how many pages were freed.
 */
unsigned long pcpu_page_list_free(struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_vm_unmap_page() - unmap a backing page from a reserved range
 * @addr: page address in a range from pcpu_vm_reserve()
 * @l: where the page that was mapped there goes
 *
 * Restore the placeholder PTE at @addr and put the page that was mapped
 * there on @l.  The caller must pcpu_vm_flush_tlb_all() before freeing @l.
 *
 * Context: Process context, under the allocator mutex.
 * Return: 0; -EFAULT if @addr has no 4K PTE, -ENOENT if no page was mapped
 * there.
 */
int pcpu_vm_unmap_page(unsigned long addr, struct pcpu_page_list *l) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_vm_flush_tlb_all() - flush every CPU's TLB
 *
 * IPI every CPU to flush its TLB (kernel mappings included), and wait.
 *
 * Context: Process context with IRQs enabled.
 */
void pcpu_vm_flush_tlb_all(void) PCPU_PORT_NOEXCEPT;

/* ---- work items (work.c) ---- */
/**
 * typedef pcpu_work_fn - a work item's function
 * @arg: what was given to pcpu_work_setup()
 *
 * Context: Process context (a worker of pcpupool's workqueue), may sleep.
 */
typedef void (*pcpu_work_fn)(void *arg);
/**
 * pcpu_work_setup() - INIT_DELAYED_WORK() for an item on pcpupool's workqueue
 * @work: PCPU_WORK_SIZE bytes aligned to PCPU_WORK_ALIGN
 *        (pcpupool_layout.h), not in use
 * @fn: its function
 * @arg: passed to @fn
 *
 * A work item on pcpupool's WQ_MEM_RECLAIM workqueue.  Queueing puts it on
 * another online CPU than the caller's (if there is one), so that a CPU
 * that keeps allocating never starves its own refill.
 *
 * Context: Any context.
 */
void pcpu_work_setup(void *work, pcpu_work_fn fn, void *arg) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_work_cancel_sync() - cancel_delayed_work_sync()
 * @work: set up by pcpu_work_setup()
 *
 * Cancels @work and waits for a running call of its function to return;
 * the storage may then be reused or freed.
 *
 * Context: Process context, may sleep; not from @work's own function.
 */
void pcpu_work_cancel_sync(void *work) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_work_queue() - run a work item now
 * @work: set up by pcpu_work_setup()
 *
 * Queues @work on another online CPU (if there is one) with no delay; a
 * delayed run already pending is brought forward to now.
 *
 * Context: Any context, hardirq included.
 */
void pcpu_work_queue(void *work) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_work_queue_delayed() - run a work item after a delay
 * @work: set up by pcpu_work_setup()
 * @delay_ms: delay in milliseconds
 *
 * Queues @work on another online CPU (if there is one); if it is pending
 * already, nothing changes (its run is pulled neither earlier nor later).
 *
 * Context: Any context, hardirq included.
 */
void pcpu_work_queue_delayed(void *work, unsigned long delay_ms) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_work_requeue_delayed() - run a work item again, on its CPU
 * @work: the work item whose function is running
 * @delay_ms: delay in milliseconds
 *
 * From the item's own function: again after @delay_ms, on the CPU it runs
 * on now (a CPU that was not allocating when it was kicked), instead of
 * moving to another one.
 *
 * Context: @work's own function (process context).
 */
void pcpu_work_requeue_delayed(void *work, unsigned long delay_ms) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_work_flush() - wait for a work item's pending run
 * @work: set up by pcpu_work_setup()
 *
 * flush_delayed_work(): a pending delayed run starts at once; waits until
 * it has returned.
 *
 * Context: Process context, may sleep.
 */
void pcpu_work_flush(void *work) PCPU_PORT_NOEXCEPT;

/**
 * typedef pcpu_cpu_dead_fn - CPU hotplug teardown callback
 * @cpu: the CPU that went offline
 *
 * CPU hotplug (work.c): runs on a control CPU after @cpu went offline
 * (CPUHP_BP_PREPARE_DYN teardown).
 *
 * Context: Process context, may sleep.
 * Return: 0; an error makes the hotplug core warn (teardown cannot fail).
 */
typedef int (*pcpu_cpu_dead_fn)(unsigned int cpu);
/**
 * pcpu_cpuhp_init() - register the CPU hotplug callback
 * @dead: called for each CPU that goes offline from now on
 *
 * One registration at a time; @dead is not called for CPUs already offline.
 *
 * Context: Process context, may sleep.
 * Return: 0, or a negative errno.
 */
int pcpu_cpuhp_init(pcpu_cpu_dead_fn dead) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_cpuhp_exit() - unregister what pcpu_cpuhp_init() registered
 *
 * A no-op if nothing is registered.
 *
 * Context: Process context, may sleep.
 */
void pcpu_cpuhp_exit(void) PCPU_PORT_NOEXCEPT;

/* ---- tracepoints (trace.c, pcpupool_trace.h) ---- */
/* Which event groups are enabled; test before calling pcpu_trace_*(). */
extern unsigned int pcpu_trace_mask;
#define PCPU_TRACE_ALLOC 1u	/* pcpupool_alloc, pcpupool_free */
#define PCPU_TRACE_SLOW 2u	/* failures, chunks, pages, mempool */
/**
 * pcpu_trace_alloc() - emit pcpupool_alloc
 * @ptr: the allocation
 * @size: bytes asked for
 * @align: alignment asked for
 * @gfp: the caller's GFP flags
 * @atomic: nonzero if the allocation could not sleep
 *
 * Context: Any context.
 */
void pcpu_trace_alloc(void *ptr, unsigned long size, unsigned long align,
		      unsigned int gfp, int atomic) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_free() - emit pcpupool_free
 * @ptr: the allocation freed
 * @bytes: its size
 *
 * Context: Any context.
 */
void pcpu_trace_free(void *ptr, unsigned long bytes) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_alloc_fail() - emit pcpupool_alloc_fail
 * @size: bytes asked for
 * @align: alignment asked for
 * @gfp: the caller's GFP flags
 * @atomic: nonzero if the allocation could not sleep
 *
 * Context: Any context.
 */
void pcpu_trace_alloc_fail(unsigned long size, unsigned long align,
			   unsigned int gfp, int atomic) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_chunk() - emit pcpupool_create_chunk or pcpupool_destroy_chunk
 * @base: the chunk's base address
 * @id: the chunk's id
 * @create: nonzero for pcpupool_create_chunk, 0 for pcpupool_destroy_chunk
 *
 * Context: Any context.
 */
void pcpu_trace_chunk(void *base, unsigned int id, int create) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_pages() - emit pcpupool_populate or pcpupool_depopulate
 * @chunk: the chunk's id
 * @page: index of the page within each CPU's unit
 * @nr_units: how many units (CPUs) the page is populated in
 * @populate: nonzero for pcpupool_populate, 0 for pcpupool_depopulate
 *
 * Context: Any context.
 */
void pcpu_trace_pages(unsigned int chunk, unsigned int page,
		      unsigned int nr_units, int populate) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_mempool_refill() - emit pcpupool_mempool_refill
 * @pool: the mempool's name
 * @added: elements the refill added to the reserve
 * @reserved: elements in the reserve afterwards
 *
 * Context: Any context.
 */
void pcpu_trace_mempool_refill(const char *pool, unsigned int added,
			       unsigned int reserved) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_trace_mempool_reserve() - emit pcpupool_mempool_reserve
 * @pool: the mempool's name
 * @elem: the element the reserve served
 * @from_depot: nonzero if it came from the depot (or another CPU's
 *	magazine), 0 if from this CPU's magazine
 *
 * Context: Any context.
 */
void pcpu_trace_mempool_reserve(const char *pool, void *elem,
				int from_depot) PCPU_PORT_NOEXCEPT;

/* ---- debugfs and seq_file (debugfs.c) ---- */
PCPU_PRINTF(2, 3)
/**
 * pcpu_seq_printf() - seq_printf()
 * @seq: the seq_file a pcpu_show_fn was given
 * @fmt: printf format
 * @...: arguments for @fmt
 *
 * Context: A pcpu_show_fn (process context).
 */
void pcpu_seq_printf(void *seq, const char *fmt, ...) PCPU_PORT_NOEXCEPT;
/**
 * typedef pcpu_show_fn - prints a read-only debugfs file
 * @seq: the seq_file, for pcpu_seq_printf()
 * @arg: the file descriptor's @arg
 *
 * Context: Process context (a read of the file), may sleep.
 */
typedef void (*pcpu_show_fn)(void *seq, void *arg);
/**
 * typedef pcpu_get_fn - reads a u64 tunable
 * @arg: the file descriptor's @arg
 *
 * Context: Process context (a read of the file), may sleep.
 * Return: the value, printed in decimal.
 */
typedef unsigned long long (*pcpu_get_fn)(void *arg);
/**
 * typedef pcpu_set_fn - writes a u64 tunable
 * @arg: the file descriptor's @arg
 * @val: the value written
 *
 * Writes parse a decimal u64 and call this, which validates (-EINVAL)
 * before changing anything.
 *
 * Context: Process context (a write to the file), may sleep.
 * Return: 0, or a negative errno (nothing changed).
 */
typedef int (*pcpu_set_fn)(void *arg, unsigned long long val);
/*
 * A debugfs file described by its owner, who keeps this descriptor alive
 * until the file's directory is removed (removal waits for reads and
 * writes in progress).  @show set: a read-only seq_file view; otherwise a
 * u64 file, readable when @get is set and writable when @set is set.
 */
struct pcpu_debugfs_file {
	const char *name;
	pcpu_show_fn show;
	pcpu_get_fn get;
	pcpu_set_fn set;
	void *arg;
};
/**
 * pcpu_debugfs_dir() - create a debugfs directory
 * @name: its name
 * @parent: parent directory; NULL = /sys/kernel/debug/pcpupool/
 *
 * Failures are never fatal to the allocator.
 *
 * Context: Process context, may sleep.
 * Return: the directory, or NULL on failure.
 */
void *pcpu_debugfs_dir(const char *name, void *parent) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_debugfs_create() - create the debugfs file @f describes
 * @parent: from pcpu_debugfs_dir(); NULL = /sys/kernel/debug/pcpupool/
 * @f: the descriptor, kept alive by the caller until @parent is removed
 *
 * A failure leaves the file out, silently.
 *
 * Context: Process context, may sleep.
 */
void pcpu_debugfs_create(void *parent, struct pcpu_debugfs_file *f) PCPU_PORT_NOEXCEPT;
/**
 * pcpu_debugfs_remove() - remove a debugfs directory
 * @dir: from pcpu_debugfs_dir(), or NULL
 *
 * Removes @dir and everything below it; waits for reads and writes in
 * progress on its files.
 *
 * Context: Process context, may sleep.
 */
void pcpu_debugfs_remove(void *dir) PCPU_PORT_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif /* PCPUPOOL_PORT_H */
