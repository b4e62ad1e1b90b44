// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - port: instantiates pcpupool's tracepoints (pcpupool_trace.h)
 * and gives the C++ core one out-of-line function per event.  The core
 * tests pcpu_trace_mask first, which the events' reg/unreg callbacks keep
 * up to date, so a disabled event costs the core one load and one branch.
 */
#include <linux/atomic.h>
#include "port.h"

#define CREATE_TRACE_POINTS
#include "pcpupool_trace.h"

unsigned int pcpu_trace_mask;
static atomic_t pcpu_trace_users[2];

static int pcpu_trace_reg(int which, unsigned int bit)
{
	if (atomic_inc_return(&pcpu_trace_users[which]) == 1)
		WRITE_ONCE(pcpu_trace_mask, READ_ONCE(pcpu_trace_mask) | bit);
	return 0;
}

static void pcpu_trace_unreg(int which, unsigned int bit)
{
	if (atomic_dec_and_test(&pcpu_trace_users[which]))
		WRITE_ONCE(pcpu_trace_mask, READ_ONCE(pcpu_trace_mask) & ~bit);
}

int pcpu_trace_reg_alloc(void) { return pcpu_trace_reg(0, PCPU_TRACE_ALLOC); }
void pcpu_trace_unreg_alloc(void) { pcpu_trace_unreg(0, PCPU_TRACE_ALLOC); }
int pcpu_trace_reg_slow(void) { return pcpu_trace_reg(1, PCPU_TRACE_SLOW); }
void pcpu_trace_unreg_slow(void) { pcpu_trace_unreg(1, PCPU_TRACE_SLOW); }

void pcpu_trace_alloc(void *ptr, unsigned long size, unsigned long align,
		      unsigned int gfp, int atomic)
{
	trace_pcpupool_alloc(ptr, size, align, gfp, atomic);
}

void pcpu_trace_free(void *ptr, unsigned long bytes)
{
	trace_pcpupool_free(ptr, bytes);
}

void pcpu_trace_alloc_fail(unsigned long size, unsigned long align,
			   unsigned int gfp, int atomic)
{
	trace_pcpupool_alloc_fail(size, align, gfp, atomic);
}

void pcpu_trace_chunk(void *base, unsigned int id, int create)
{
	if (create)
		trace_pcpupool_create_chunk(base, id);
	else
		trace_pcpupool_destroy_chunk(base, id);
}

void pcpu_trace_pages(unsigned int chunk, unsigned int page,
		      unsigned int nr_units, int populate)
{
	if (populate)
		trace_pcpupool_populate(chunk, page, nr_units);
	else
		trace_pcpupool_depopulate(chunk, page, nr_units);
}

void pcpu_trace_mempool_refill(const char *pool, unsigned int added,
			       unsigned int reserved)
{
	trace_pcpupool_mempool_refill(pool, added, reserved);
}

void pcpu_trace_mempool_reserve(const char *pool, void *elem, int from_depot)
{
	trace_pcpupool_mempool_reserve(pool, elem, from_depot);
}
