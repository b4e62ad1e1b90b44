/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpupool_trace.h - pcpupool's tracepoints, like the kernel's percpu ones
 * (percpu_alloc_percpu, percpu_free_percpu, percpu_alloc_percpu_fail,
 * percpu_create_chunk, percpu_destroy_chunk) plus population, mempool and
 * blkcg events.  Defined here in the port (trace.c instantiates them);
 * the C++ core calls them through pcpu_trace_*() in port.h, guarded by
 * pcpu_trace_mask so that a disabled event costs one load and a branch.
 * Read them with `trace-cmd record -e pcpupool` or through tracefs:
 * /sys/kernel/tracing/events/pcpupool/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM pcpupool

#if !defined(_PCPUPOOL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PCPUPOOL_TRACE_H

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>
#include "compat.h"

int pcpu_trace_reg_alloc(void);
void pcpu_trace_unreg_alloc(void);
int pcpu_trace_reg_slow(void);
void pcpu_trace_unreg_slow(void);

TRACE_EVENT_FN(pcpupool_alloc,
	TP_PROTO(void *ptr, unsigned long size, unsigned long align,
		 unsigned int gfp, bool atomic),
	TP_ARGS(ptr, size, align, gfp, atomic),
	TP_STRUCT__entry(
		__field(void *, ptr)
		__field(unsigned long, size)
		__field(unsigned long, align)
		__field(unsigned int, gfp)
		__field(bool, atomic)
	),
	TP_fast_assign(
		__entry->ptr = ptr;
		__entry->size = size;
		__entry->align = align;
		__entry->gfp = gfp;
		__entry->atomic = atomic;
	),
	TP_printk("ptr=%p size=%lu align=%lu gfp=%s atomic=%d",
		  __entry->ptr, __entry->size, __entry->align,
		  show_gfp_flags(__entry->gfp), __entry->atomic),
	pcpu_trace_reg_alloc, pcpu_trace_unreg_alloc);

TRACE_EVENT_FN(pcpupool_free,
	TP_PROTO(void *ptr, unsigned long bytes),
	TP_ARGS(ptr, bytes),
	TP_STRUCT__entry(
		__field(void *, ptr)
		__field(unsigned long, bytes)
	),
	TP_fast_assign(
		__entry->ptr = ptr;
		__entry->bytes = bytes;
	),
	TP_printk("ptr=%p bytes=%lu", __entry->ptr, __entry->bytes),
	pcpu_trace_reg_alloc, pcpu_trace_unreg_alloc);

TRACE_EVENT_FN(pcpupool_alloc_fail,
	TP_PROTO(unsigned long size, unsigned long align, unsigned int gfp,
		 bool atomic),
	TP_ARGS(size, align, gfp, atomic),
	TP_STRUCT__entry(
		__field(unsigned long, size)
		__field(unsigned long, align)
		__field(unsigned int, gfp)
		__field(bool, atomic)
	),
	TP_fast_assign(
		__entry->size = size;
		__entry->align = align;
		__entry->gfp = gfp;
		__entry->atomic = atomic;
	),
	TP_printk("size=%lu align=%lu gfp=%s atomic=%d", __entry->size,
		  __entry->align, show_gfp_flags(__entry->gfp),
		  __entry->atomic),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

DECLARE_EVENT_CLASS(pcpupool_chunk,
	TP_PROTO(void *base, unsigned int id),
	TP_ARGS(base, id),
	TP_STRUCT__entry(
		__field(void *, base)
		__field(unsigned int, id)
	),
	TP_fast_assign(
		__entry->base = base;
		__entry->id = id;
	),
	TP_printk("base=%p chunk=%u", __entry->base, __entry->id)
);

DEFINE_EVENT_FN(pcpupool_chunk, pcpupool_create_chunk,
	TP_PROTO(void *base, unsigned int id), TP_ARGS(base, id),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

DEFINE_EVENT_FN(pcpupool_chunk, pcpupool_destroy_chunk,
	TP_PROTO(void *base, unsigned int id), TP_ARGS(base, id),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

DECLARE_EVENT_CLASS(pcpupool_pages,
	TP_PROTO(unsigned int chunk, unsigned int page, unsigned int nr_units),
	TP_ARGS(chunk, page, nr_units),
	TP_STRUCT__entry(
		__field(unsigned int, chunk)
		__field(unsigned int, page)
		__field(unsigned int, nr_units)
	),
	TP_fast_assign(
		__entry->chunk = chunk;
		__entry->page = page;
		__entry->nr_units = nr_units;
	),
	TP_printk("chunk=%u page=%u units=%u", __entry->chunk, __entry->page,
		  __entry->nr_units)
);

DEFINE_EVENT_FN(pcpupool_pages, pcpupool_populate,
	TP_PROTO(unsigned int chunk, unsigned int page, unsigned int nr_units),
	TP_ARGS(chunk, page, nr_units),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

DEFINE_EVENT_FN(pcpupool_pages, pcpupool_depopulate,
	TP_PROTO(unsigned int chunk, unsigned int page, unsigned int nr_units),
	TP_ARGS(chunk, page, nr_units),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

TRACE_EVENT_FN(pcpupool_mempool_refill,
	TP_PROTO(const char *pool, unsigned int added, unsigned int reserved),
	TP_ARGS(pool, added, reserved),
	TP_STRUCT__entry(
		__string(pool, pool)
		__field(unsigned int, added)
		__field(unsigned int, reserved)
	),
	TP_fast_assign(
		pcpu_assign_str(pool, pool);
		__entry->added = added;
		__entry->reserved = reserved;
	),
	TP_printk("pool=%s added=%u reserved=%u", __get_str(pool),
		  __entry->added, __entry->reserved),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

TRACE_EVENT_FN(pcpupool_mempool_reserve,
	TP_PROTO(const char *pool, void *elem, bool from_depot),
	TP_ARGS(pool, elem, from_depot),
	TP_STRUCT__entry(
		__string(pool, pool)
		__field(void *, elem)
		__field(bool, from_depot)
	),
	TP_fast_assign(
		pcpu_assign_str(pool, pool);
		__entry->elem = elem;
		__entry->from_depot = from_depot;
	),
	TP_printk("pool=%s elem=%p from=%s", __get_str(pool), __entry->elem,
		  __entry->from_depot ? "depot" : "magazine"),
	pcpu_trace_reg_slow, pcpu_trace_unreg_slow);

#endif /* _PCPUPOOL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE pcpupool_trace
#include <trace/define_trace.h>
