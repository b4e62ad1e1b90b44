/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpupool.h - pcpupool's C API for other modules.
 *
 * A percpu allocator IO paths can call.  pcpupool_alloc() behaves like
 * alloc_percpu_gfp():
 *
 *  - 8 B..1 KiB requests are served first from this CPU's cache of objects
 *    of their size class, with IRQs off and no lock (any gfp);
 *  - @gfp without __GFP_DIRECT_RECLAIM (GFP_NOWAIT, GFP_ATOMIC): the atomic
 *    path.  Served only from already populated memory, never sleeps;
 *    callable in hardirq/softirq context and with spinlocks held.  On
 *    failure returns NULL at once and kicks the balance work, which
 *    repopulates in the background.
 *  - sleepable gfp: may take the allocator mutex and create/populate
 *    chunks.  The task's memalloc_noio/nofs scope and the gfp's own
 *    NOIO/NOFS are honoured by every internal allocation, and allocations
 *    made under the mutex never enter FS/IO reclaim.  A fatal signal while
 *    waiting for the mutex returns NULL; __GFP_NOFAIL waits and retries.
 *
 * Memory comes back zeroed on every CPU.  @size is 1..unit size, @align a
 * power of two up to PAGE_SIZE; a bad size or alignment WARNs once (unless
 * __GFP_NOWARN) and returns NULL.  pcpupool_free(NULL) is a no-op; freeing a
 * pointer pcpupool did not return, or twice, WARNs once and changes nothing.
 * pcpupool_free() may be called from any context.
 */
#ifndef PCPUPOOL_H
#define PCPUPOOL_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <asm/local.h>
#include <asm/local64.h>
#include "stats.h"

/**
 * pcpupool_alloc() - allocate percpu memory, like alloc_percpu_gfp()
 * @size: bytes, 1..unit size
 * @align: a power of two up to PAGE_SIZE
 * @gfp: GFP flags; without __GFP_DIRECT_RECLAIM the request never sleeps
 *
 * Context: any if @gfp cannot sleep; otherwise process context, and the
 * caller's GFP_NOIO/GFP_NOFS and memalloc scope are honoured throughout.
 * Return: memory zeroed on every CPU, or NULL (at once for an atomic @gfp).
 */
void __percpu *pcpupool_alloc(size_t size, size_t align, gfp_t gfp);

/**
 * pcpupool_free() - free memory from pcpupool_alloc(), like free_percpu()
 * @ptr: the allocation, or NULL (a no-op)
 *
 * A pointer pcpupool did not return, a double free, an element of a live
 * mempool or one in a reserve is refused with a WARN_ONCE.
 *
 * Context: any.
 */
void pcpupool_free(void __percpu *ptr);

/**
 * pcpupool_get_stats() - a snapshot of the allocator's counters
 * @st: filled in (see stats.h)
 *
 * Context: any; takes the pool lock briefly.
 */
void pcpupool_get_stats(struct pcpupool_stats *st);

/**
 * pcpupool_alloc_bulk() - allocate @n objects of one size at once
 * @size: bytes of each object, as pcpupool_alloc()
 * @align: alignment of each object, as pcpupool_alloc()
 * @gfp: as pcpupool_alloc()
 * @n: how many
 * @ptrs: receives the @n objects
 *
 * For consumers that want several percpu objects per instance (the four
 * rss counters of an mm_struct): small objects come from this CPU's cache
 * in one IRQs-off section, refilled with few pool-lock rounds.  All or
 * nothing: on failure nothing stays allocated and every @ptrs[i] is NULL.
 *
 * Context: as pcpupool_alloc() for @gfp.
 * Return: 0, or -ENOMEM.
 */
int pcpupool_alloc_bulk(size_t size, size_t align, gfp_t gfp, unsigned int n,
			void __percpu **ptrs);

/**
 * pcpupool_free_bulk() - free @n objects from pcpupool_alloc() or _bulk()
 * @n: how many
 * @ptrs: the objects (NULL entries are skipped)
 *
 * Context: any, as pcpupool_free().
 */
void pcpupool_free_bulk(unsigned int n, void __percpu *const *ptrs);

/**
 * pcpupool_lockdep_io_begin() - enter IO that memory reclaim may wait for
 *
 * A lockdep annotation for IO paths that use pcpupool (a block driver's
 * submission).  On lockdep kernels pcpupool's internal allocations that may
 * enter IO reclaim are checked against it, so an allocation with __GFP_IO
 * under a lock such IO takes is reported as a circular dependency.
 *
 * Context: any; pair with pcpupool_lockdep_io_end().  No-op without lockdep.
 */
void pcpupool_lockdep_io_begin(void);

/**
 * pcpupool_lockdep_io_end() - leave the IO entered by pcpupool_lockdep_io_begin()
 *
 * Context: as pcpupool_lockdep_io_begin().
 */
void pcpupool_lockdep_io_end(void);

/*
 * A percpu mempool: fixed-size, fixed-alignment percpu elements with at
 * least @min_nr kept in reserve, refilled asynchronously from GFP_KERNEL
 * context.  The contract:
 *
 *  - alloc tries the allocator first without sleeping, then the reserve;
 *  - a caller whose gfp cannot sleep, or that is NOIO/NOFS by gfp or by a
 *    memalloc scope, NEVER waits for the refill work or for other users'
 *    frees: it gets an element or NULL at once, and the refill is kicked.
 *    (Andrew Morton's objection: waiting on a refill thread from NOIO
 *    context hides a GFP_KERNEL dependency and can deadlock.);
 *  - only an unconstrained sleepable caller (GFP_KERNEL, no scope) may then
 *    sleep, in its own direct allocation, as mempool_alloc() does;
 *  - elements come back zeroed on every CPU;
 *  - free puts an element into the reserve while it is below @min_nr, else
 *    returns it to the allocator.  alloc/free work from any context; a hit
 *    in the CPU's magazine takes only that magazine's own lock and touches
 *    no shared cache line;
 *  - a free that is not an element of @pool out with a user (foreign or
 *    plain pointer, another pool's element, double free) is refused with
 *    a WARN_ONCE and counted in the pool's misuse.
 *
 * create/resize/destroy sleep (GFP_KERNEL); the caller serializes destroy
 * with every other use.  resize returns -ENOMEM only when memory ran out
 * while filling the reserve (users may take elements meanwhile).  Elements
 * still out at destroy stay allocated (WARN): free them with
 * pcpupool_free().
 */
struct pcpupool_mempool;

/**
 * pcpupool_mempool_create() - create a percpu mempool and fill its reserve
 * @name: for debugfs (mempool/<name>/stats)
 * @size: element size in bytes
 * @align: element alignment (at least 8 is used)
 * @min_nr: elements kept in reserve
 * @gfp: for the pool's own memory and the initial fill
 *
 * Context: process context, may sleep.
 * Return: the pool, or NULL (bad arguments WARN once).
 */
struct pcpupool_mempool *pcpupool_mempool_create(const char *name, size_t size,
						 size_t align, unsigned int min_nr,
						 gfp_t gfp);

/**
 * pcpupool_mempool_alloc() - an element, zeroed on every CPU
 * @pool: the pool
 * @gfp: the caller's constraint; atomic or NOIO/NOFS callers never wait
 *
 * Context: any if @gfp cannot sleep or is constrained; an unconstrained
 * sleepable caller may sleep in its own allocation.
 * Return: an element, or NULL (at once for a constrained caller).
 */
void __percpu *pcpupool_mempool_alloc(struct pcpupool_mempool *pool, gfp_t gfp);

/**
 * pcpupool_mempool_free() - give an element back (to the reserve if short)
 * @pool: the pool it came from
 * @elem: the element (NULL is a no-op)
 *
 * Context: any.
 */
void pcpupool_mempool_free(struct pcpupool_mempool *pool, void __percpu *elem);

/**
 * pcpupool_mempool_resize() - change the reserve's size
 * @pool: the pool
 * @min_nr: the new reserve
 *
 * Context: process context, may sleep.
 * Return: 0, -EINVAL for an absurd @min_nr, -ENOMEM if memory ran out.
 */
int pcpupool_mempool_resize(struct pcpupool_mempool *pool, unsigned int min_nr);

/**
 * pcpupool_mempool_destroy() - free the pool and its reserve
 * @pool: the pool, or NULL
 *
 * Elements still out stay allocated (WARN): free them with pcpupool_free().
 *
 * Context: process context; no other use of @pool may run concurrently.
 */
void pcpupool_mempool_destroy(struct pcpupool_mempool *pool);

/**
 * pcpupool_mempool_get_stats() - a snapshot of a pool's counters
 * @pool: the pool
 * @st: filled in (see stats.h)
 *
 * Context: any.
 */
void pcpupool_mempool_get_stats(struct pcpupool_mempool *pool,
				struct pcpupool_mempool_stats *st);

/* unit_off[cpu]: the same for every chunk; set at module load. */
extern const unsigned long *pcpupool_unit_off;

/**
 * pcpupool_ptr() - CPU @cpu's copy of @ptr: one load and one add
 * @ptr: pcpupool memory
 * @cpu: a possible CPU
 *
 * Context: any.
 * Return: the address of @cpu's copy.
 */
static inline void *pcpupool_ptr(const void __percpu *ptr, int cpu)
{
	return (void *)((unsigned long)(__force const void *)ptr +
			pcpupool_unit_off[cpu]);
}

#define pcpupool_typed_ptr(ptr, cpu) \
	((typeof(*(ptr)) *)pcpupool_ptr((const void __percpu *)(ptr), cpu))

/* This CPU's unit offset (set at module load), for the accessors below. */
DECLARE_PER_CPU(unsigned long, pcpupool_this_unit_off);

/**
 * pcpupool_this_ptr() - this CPU's copy of pcpupool memory
 * @ptr: pcpupool memory (any element type)
 *
 * One this_cpu_read() of the unit offset and one add.  The result is this
 * CPU's only while the caller cannot migrate (preemption or IRQs off).
 *
 * Context: any, with preemption disabled.
 * Return: a pointer of @ptr's type to this CPU's copy.
 */
#define pcpupool_this_ptr(ptr)						\
	((typeof(*(ptr)) *)((unsigned long)(__force const void *)(ptr) +	\
			    raw_cpu_read(pcpupool_this_unit_off)))

/**
 * pcpupool_this_cpu_read() - read this CPU's copy
 * @ptr: pcpupool memory of a scalar type
 *
 * Context: any.
 * Return: the value.
 */
#define pcpupool_this_cpu_read(ptr)					\
({									\
	typeof(*(ptr)) __v;						\
	preempt_disable_notrace();					\
	__v = READ_ONCE(*pcpupool_this_ptr(ptr));			\
	preempt_enable_notrace();					\
	__v;								\
})

/**
 * pcpupool_this_cpu_write() - write this CPU's copy
 * @ptr: pcpupool memory of a scalar type
 * @val: the value
 *
 * Context: any.
 */
#define pcpupool_this_cpu_write(ptr, val)				\
do {									\
	preempt_disable_notrace();					\
	WRITE_ONCE(*pcpupool_this_ptr(ptr), (val));			\
	preempt_enable_notrace();					\
} while (0)

/**
 * pcpupool_this_cpu_add() - add to this CPU's copy, IRQ-safe on this CPU
 * @ptr: pcpupool memory of an integer type
 * @val: what to add
 *
 * The add is one instruction on x86 for the common sizes (as this_cpu_add
 * is), with IRQs off around it otherwise; preemption is off so that the
 * copy stays this CPU's.  No shared atomic.
 *
 * Context: any.
 */
#define pcpupool_this_cpu_add(ptr, val)					\
do {									\
	typeof(*(ptr)) *__p;						\
	unsigned long __flags;						\
	preempt_disable_notrace();					\
	__p = pcpupool_this_ptr(ptr);					\
	if (sizeof(*__p) == sizeof(long)) {				\
		local_add((val), (local_t *)__p);			\
	} else {							\
		raw_local_irq_save(__flags);				\
		*__p += (val);						\
		raw_local_irq_restore(__flags);				\
	}								\
	preempt_enable_notrace();					\
} while (0)

#define pcpupool_this_cpu_inc(ptr) pcpupool_this_cpu_add(ptr, 1)
#define pcpupool_this_cpu_dec(ptr) pcpupool_this_cpu_add(ptr, -1)

/**
 * pcpupool_sum() - the sum of every possible CPU's copy
 * @ptr: pcpupool memory of an integer type
 *
 * Context: any.
 * Return: the sum, in @ptr's type (not a snapshot: others may add meanwhile).
 */
#define pcpupool_sum(ptr)						\
({									\
	typeof(*(ptr)) __s = 0;						\
	int __cpu;							\
	for_each_possible_cpu(__cpu)					\
		__s += READ_ONCE(*(typeof(*(ptr)) *)pcpupool_ptr(	\
			(const void __percpu *)(ptr), __cpu));		\
	__s;								\
})

/**
 * pcpupool_counter_add() - add to this CPU's copy of a u64 counter
 * @ctr: pcpupool_alloc(sizeof(u64), sizeof(u64), gfp)
 * @delta: what to add
 *
 * As pcpupool_this_cpu_add() for a u64 (local64_add: one non-locked RMW
 * instruction on x86).
 *
 * Context: any.
 */
static inline void pcpupool_counter_add(void __percpu *ctr, s64 delta)
{
	preempt_disable_notrace();
	local64_add(delta, (local64_t *)pcpupool_this_ptr((u64 __percpu *)ctr));
	preempt_enable_notrace();
}

/**
 * pcpupool_counter_sum() - the sum of a u64 counter over the possible CPUs
 * @ctr: as pcpupool_counter_add()
 *
 * Context: any.
 * Return: the sum (not a snapshot: others may add meanwhile).
 */
static inline u64 pcpupool_counter_sum(void __percpu *ctr)
{
	return pcpupool_sum((u64 __percpu *)ctr);
}

#endif /* PCPUPOOL_H */
