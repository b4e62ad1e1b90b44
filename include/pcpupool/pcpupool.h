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

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <asm/local.h>
#include <asm/local64.h>
#include "stats.h"

/*
 * pcpupool memory is not the kernel's percpu memory, so it has a type of
 * its own.  A handle is a struct holding the address of the first CPU's
 * copy; it is passed by value (one register).  The kernel's accessors
 * (per_cpu_ptr(), this_cpu_*(), free_percpu()) do not compile on it, with
 * gcc: they need a pointer, and a struct is none.  pcpupool's own do, and
 * keep the element type:
 *
 *	DEFINE_PCPUPOOL_TYPE(my_stats_pcpu, struct my_stats);  (file scope)
 *	struct my_stats_pcpu s = pcpupool_new(struct my_stats_pcpu, GFP_NOIO);
 *
 * struct pcpupool_mem is the untyped handle of pcpupool_alloc(); struct
 * pcpupool_u64 is the handle of a u64 counter.  Under sparse the address
 * in a handle is in an address space of its own (__pcpupool), neither
 * __percpu nor __kernel.  The field __p is the handle's implementation:
 * use the macros below, not the field.
 */
#ifdef __CHECKER__
# define __pcpupool	__attribute__((noderef, address_space(__pcpupool)))
#else
# define __pcpupool
#endif

/* The untyped handle (any size). */
struct pcpupool_mem {
	void __pcpupool *__p;
};

/**
 * DEFINE_PCPUPOOL_TYPE() - declare a handle type of pcpupool memory of @T
 * @name: the handle type is struct @name
 * @T: the element type
 *
 * Context: a declaration (a type, no code).
 */
#define DEFINE_PCPUPOOL_TYPE(name, T)	struct name { T __pcpupool *__p; }

/* The handle of a u64 counter. */
DEFINE_PCPUPOOL_TYPE(pcpupool_u64, u64);

/**
 * pcpupool_is_null() - true if @h holds no memory (a failed allocation)
 * @h: a handle of any pcpupool type
 *
 * Context: any.
 */
#define pcpupool_is_null(h)	(!(h).__p)

/**
 * pcpupool_null() - a handle of type @type that holds no memory
 * @type: a handle type, e.g. struct pcpupool_u64
 *
 * Context: any.
 */
#define pcpupool_null(type)	((type) { .__p = NULL })

/**
 * pcpupool_cast() - the untyped handle @h as a handle of type @type
 * @type: a handle type
 * @h: a struct pcpupool_mem, or a handle of @type
 *
 * A handle of another element type is refused at build time.
 *
 * Context: any; checked at build time.
 */
#define pcpupool_cast(type, h)						\
	((type) { .__p = (typeof(((type *)NULL)->__p))((h).__p) +	\
		 BUILD_BUG_ON_ZERO(!__same_type((h).__p, void __pcpupool *) && \
				   !__same_type((h).__p, ((type *)NULL)->__p)) })

/**
 * pcpupool_mem_of() - any handle @h as the untyped handle
 * @h: a handle of any pcpupool type
 *
 * Context: any.
 */
#define pcpupool_mem_of(h)	((struct pcpupool_mem) { .__p = (h).__p })

/**
 * pcpupool_addr() - the address in @h, for printing and comparing handles
 * @h: a handle of any pcpupool type
 *
 * Not an address to access: that is pcpupool_ptr().
 *
 * Context: any.
 */
#define pcpupool_addr(h)	((unsigned long)(__force const void *)(h).__p)

/**
 * pcpupool_field() - a handle of one member of @h's struct elements
 * @h: a handle of a struct element type
 * @member: the member
 *
 * Every CPU's copy of the member sits at the same offset in that CPU's copy
 * of the struct, so the member is pcpupool memory of its own.  The handle's
 * type is unnamed: pass it straight to the accessor macros, e.g.
 * pcpupool_this_cpu_inc(pcpupool_field(ctr, ios)).
 *
 * Context: any; no memory is touched.
 */
#define pcpupool_field(h, member)					\
	((struct { typeof(((typeof(*(h).__p) *)NULL)->member) __pcpupool *__p; }) { \
		.__p = (__force void __pcpupool *)(pcpupool_addr(h) +	\
				offsetof(typeof(*(h).__p), member)) })

/**
 * pcpupool_member() - pcpupool_field() as a handle of a named type
 * @type: a handle type of the member's type (another type does not build)
 * @h: a handle of a struct element type
 * @member: the member
 *
 * Context: any; the member type is checked at build time.
 */
#define pcpupool_member(type, h, member)				\
	((type) { .__p = pcpupool_field(h, member).__p })

/**
 * pcpupool_alloc() - allocate percpu memory, like alloc_percpu_gfp()
 * @size: bytes, 1..unit size
 * @align: a power of two up to PAGE_SIZE
 * @gfp: GFP flags; without __GFP_DIRECT_RECLAIM the request never sleeps
 *
 * Context: any if @gfp cannot sleep; otherwise process context, and the
 * caller's GFP_NOIO/GFP_NOFS and memalloc scope are honoured throughout.
 * Return: a handle of memory zeroed on every CPU, or a null handle
 * (pcpupool_is_null(); at once for an atomic @gfp).
 */
struct pcpupool_mem pcpupool_alloc(size_t size, size_t align, gfp_t gfp);

/**
 * pcpupool_new() - allocate one element of a handle type
 * @type: the handle type (DEFINE_PCPUPOOL_TYPE()), e.g. struct pcpupool_u64
 * @gfp: as pcpupool_alloc()
 *
 * pcpupool_alloc() of the element's size and alignment.
 *
 * Context: as pcpupool_alloc().
 * Return: a handle of @type, null on failure.
 */
#define pcpupool_new(type, gfp)						\
	pcpupool_cast(type, pcpupool_alloc(sizeof(*((type *)NULL)->__p),	\
					   __alignof__(*((type *)NULL)->__p), (gfp)))

/**
 * pcpupool_free() - free memory from pcpupool, like free_percpu()
 * @h: a handle of any pcpupool type, or a null handle (a no-op)
 *
 * Memory pcpupool did not hand out, a double free, an element of a live
 * mempool or one in a reserve is refused with a WARN_ONCE.
 *
 * Context: any.
 */
void pcpupool_free(struct pcpupool_mem h);
#define pcpupool_free(h)	((pcpupool_free)(pcpupool_mem_of(h)))

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
 * @hs: receives the @n handles (an array of any one handle type)
 *
 * For consumers that want several percpu objects per instance (the four
 * rss counters of an mm_struct): small objects come from this CPU's cache
 * in one IRQs-off section, refilled with few pool-lock rounds.  All or
 * nothing: on failure nothing stays allocated and every @hs[i] is null.
 *
 * Context: as pcpupool_alloc() for @gfp.
 * Return: 0, or -ENOMEM.
 */
int pcpupool_alloc_bulk(size_t size, size_t align, gfp_t gfp, unsigned int n,
			struct pcpupool_mem *hs);

/**
 * pcpupool_free_bulk() - free @n objects from pcpupool_alloc() or _bulk()
 * @n: how many
 * @hs: the handles (an array of any one handle type; null ones are skipped)
 *
 * Context: any, as pcpupool_free().
 */
void pcpupool_free_bulk(unsigned int n, const struct pcpupool_mem *hs);

/* Every handle type is one pointer: an array of one is an array of any. */
#define __pcpupool_mems(hs)						\
	((struct pcpupool_mem *)(hs) +					\
	 BUILD_BUG_ON_ZERO(sizeof(*(hs)) != sizeof(struct pcpupool_mem) ||	\
			   sizeof((hs)->__p) != sizeof(void *)))
#define pcpupool_alloc_bulk(size, align, gfp, n, hs)			\
	((pcpupool_alloc_bulk)((size), (align), (gfp), (n), __pcpupool_mems(hs)))
#define pcpupool_free_bulk(n, hs)					\
	((pcpupool_free_bulk)((n), (const struct pcpupool_mem *)__pcpupool_mems(hs)))

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
 *    in the CPU's magazine takes no lock (an IRQs-off pop on that CPU's
 *    own magazine) and one atomic on the pool's shared reserve count;
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
 * Return: an element (untyped: pcpupool_cast() gives it its type), or a
 * null handle (at once for a constrained caller).
 */
struct pcpupool_mem pcpupool_mempool_alloc(struct pcpupool_mempool *pool, gfp_t gfp);

/**
 * pcpupool_mempool_free() - give an element back (to the reserve if short)
 * @elem: the element, a handle of any pcpupool type (null is a no-op)
 * @pool: the pool it came from
 *
 * The kernel's mempool_free() order: element first.  An element is a
 * handle and the pool a pointer, so the two swapped do not compile.
 *
 * Context: any.
 */
void pcpupool_mempool_free(struct pcpupool_mem elem, struct pcpupool_mempool *pool);
#define pcpupool_mempool_free(elem, pool)				\
	((pcpupool_mempool_free)(pcpupool_mem_of(elem), (pool)))

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

/* The element type of a handle's memory, and a kernel pointer to it. */
#define __pcpupool_elem_ptr(h, off)					\
	((typeof(*(h).__p) __kernel __force *)				\
	 ((unsigned long)(__force const void *)(h).__p + (off)))

/**
 * pcpupool_ptr() - CPU @cpu's copy: one load and one add
 * @h: a handle of any pcpupool type
 * @cpu: a possible CPU
 *
 * Context: any.
 * Return: a pointer of the handle's element type (void * for struct
 * pcpupool_mem) to @cpu's copy.
 */
#define pcpupool_ptr(h, cpu)	__pcpupool_elem_ptr(h, pcpupool_unit_off[(cpu)])

/* This CPU's unit offset (set at module load), for the accessors below. */
DECLARE_PER_CPU(unsigned long, pcpupool_this_unit_off);

/**
 * pcpupool_this_ptr() - this CPU's copy of pcpupool memory
 * @h: a handle of any pcpupool type
 *
 * One this_cpu_read() of the unit offset and one add.  The result is this
 * CPU's only while the caller cannot migrate (preemption or IRQs off).
 *
 * Context: any, with preemption disabled.
 * Return: a pointer of the handle's element type to this CPU's copy.
 */
#define pcpupool_this_ptr(h)						\
	__pcpupool_elem_ptr(h, raw_cpu_read(pcpupool_this_unit_off))

/**
 * pcpupool_this_cpu_read() - read this CPU's copy
 * @h: a handle of a scalar element type
 *
 * Context: any.
 * Return: the value.
 */
#define pcpupool_this_cpu_read(h)					\
({									\
	typeof(*(h).__p) __v;						\
	preempt_disable_notrace();					\
	__v = READ_ONCE(*pcpupool_this_ptr(h));				\
	preempt_enable_notrace();					\
	__v;								\
})

/**
 * pcpupool_this_cpu_write() - write this CPU's copy
 * @h: a handle of a scalar element type
 * @val: the value
 *
 * Context: any.
 */
#define pcpupool_this_cpu_write(h, val)					\
do {									\
	preempt_disable_notrace();					\
	WRITE_ONCE(*pcpupool_this_ptr(h), (val));			\
	preempt_enable_notrace();					\
} while (0)

/**
 * pcpupool_this_cpu_add() - add to this CPU's copy, IRQ-safe on this CPU
 * @h: a handle of an integer element type
 * @val: what to add
 *
 * The add is one instruction on x86 for long-sized elements (as
 * this_cpu_add is), with IRQs off around it otherwise; preemption is off so
 * that the copy stays this CPU's.  No shared atomic.
 *
 * Context: any.
 */
#define pcpupool_this_cpu_add(h, val)					\
do {									\
	typeof(*(h).__p) __kernel *__pp;				\
	unsigned long __flags;						\
	preempt_disable_notrace();					\
	__pp = pcpupool_this_ptr(h);					\
	if (sizeof(*__pp) == sizeof(long)) {				\
		local_add((val), (local_t *)__pp);			\
	} else {							\
		raw_local_irq_save(__flags);				\
		*__pp += (val);						\
		raw_local_irq_restore(__flags);				\
	}								\
	preempt_enable_notrace();					\
} while (0)

#define pcpupool_this_cpu_inc(h) pcpupool_this_cpu_add(h, 1)
#define pcpupool_this_cpu_dec(h) pcpupool_this_cpu_add(h, -1)

/**
 * pcpupool_sum() - the sum of every possible CPU's copy
 * @h: a handle of an integer element type
 *
 * Context: any.
 * Return: the sum, in the element type (not a snapshot: others may add
 * meanwhile).
 */
#define pcpupool_sum(h)							\
({									\
	typeof(*(h).__p) __s = 0;					\
	int __cpu;							\
	for_each_possible_cpu(__cpu)					\
		__s += READ_ONCE(*pcpupool_ptr(h, __cpu));		\
	__s;								\
})

/**
 * pcpupool_counter_add() - add to this CPU's copy of a u64 counter
 * @ctr: pcpupool_new(struct pcpupool_u64, gfp)
 * @delta: what to add
 *
 * As pcpupool_this_cpu_add() for a u64 (local64_add: one non-locked RMW
 * instruction on x86).
 *
 * Context: any.
 */
static inline void pcpupool_counter_add(struct pcpupool_u64 ctr, s64 delta)
{
	preempt_disable_notrace();
	local64_add(delta, (local64_t *)pcpupool_this_ptr(ctr));
	preempt_enable_notrace();
}

/**
 * pcpupool_counter_sum() - the sum of a u64 counter over the possible CPUs
 * @ctr: as pcpupool_counter_add()
 *
 * Context: any.
 * Return: the sum (not a snapshot: others may add meanwhile).
 */
static inline u64 pcpupool_counter_sum(struct pcpupool_u64 ctr)
{
	return pcpupool_sum(ctr);
}

#endif /* PCPUPOOL_H */
