/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpupool.h - pcpupool's C API for other modules.
 *
 * A percpu allocator IO paths can call.  pcpupool_alloc() behaves like
 * alloc_percpu_gfp():
 *
 *  - @gfp without __GFP_DIRECT_RECLAIM (GFP_NOWAIT, GFP_ATOMIC): the atomic
 *    path.  Served only from already populated memory, under a spinlock
 *    with IRQs off, never sleeps; callable in hardirq/softirq context and
 *    with spinlocks held.  On failure returns NULL at once and kicks the
 *    balance work, which repopulates in the background.
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
#include <asm/local64.h>
#include "stats.h"

void __percpu *pcpupool_alloc(size_t size, size_t align, gfp_t gfp);
void pcpupool_free(void __percpu *ptr);
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

/*
 * lockdep annotation for IO paths that use pcpupool (a block driver's
 * submission): the code between begin and end is IO that memory reclaim
 * with __GFP_IO may wait for.  On lockdep kernels pcpupool's internal
 * allocations that may enter IO reclaim are checked against it, so an
 * allocation with __GFP_IO under a lock such IO takes is reported as a
 * circular dependency.  No-ops without lockdep.
 */
void pcpupool_lockdep_io_begin(void);
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
struct pcpupool_mempool *pcpupool_mempool_create(const char *name, size_t size,
						 size_t align, unsigned int min_nr,
						 gfp_t gfp);
void __percpu *pcpupool_mempool_alloc(struct pcpupool_mempool *pool, gfp_t gfp);
void pcpupool_mempool_free(struct pcpupool_mempool *pool, void __percpu *elem);
int pcpupool_mempool_resize(struct pcpupool_mempool *pool, unsigned int min_nr);
void pcpupool_mempool_destroy(struct pcpupool_mempool *pool);
void pcpupool_mempool_get_stats(struct pcpupool_mempool *pool,
				struct pcpupool_mempool_stats *st);

/* unit_off[cpu]: the same for every chunk; set at module load. */
extern const unsigned long *pcpupool_unit_off;

/* CPU @cpu's copy of @ptr: one load and one add. */
static inline void *pcpupool_ptr(const void __percpu *ptr, int cpu)
{
	return (void *)((unsigned long)(__force const void *)ptr +
			pcpupool_unit_off[cpu]);
}

#define pcpupool_typed_ptr(ptr, cpu) \
	((typeof(*(ptr)) *)pcpupool_ptr((const void __percpu *)(ptr), cpu))

/*
 * A u64 percpu counter: pcpupool_alloc(sizeof(u64), sizeof(u64), gfp).
 * Adding is IRQ-safe on the local CPU (local64_add is one non-locked RMW
 * instruction on x86) with preemption disabled around it; no shared atomic.
 */
static inline void pcpupool_counter_add(void __percpu *ctr, s64 delta)
{
	preempt_disable();
	local64_add(delta, (local64_t *)pcpupool_ptr(ctr, smp_processor_id()));
	preempt_enable();
}

static inline u64 pcpupool_counter_sum(void __percpu *ctr)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += local64_read((local64_t *)pcpupool_ptr(ctr, cpu));
	return sum;
}

#endif /* PCPUPOOL_H */
