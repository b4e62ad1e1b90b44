// SPDX-License-Identifier: GPL-2.0
/*
 * lockdep.c - port: the IO half of the lockdep proof.
 *
 * The kernel's fs_reclaim map only sees __GFP_FS.  On lockdep kernels every
 * allocation the port makes that may enter reclaim with __GFP_IO also
 * "acquires" pcpupool_io_reclaim, a map of our own, and an IO path
 * annotated with pcpupool_lockdep_io_begin/end() (the IO reclaim may wait
 * for: pcpupool_blk's submission) holds it.  An allocation with __GFP_IO
 * under a lock that such IO also takes, the allocator mutex above all, then
 * closes a cycle lockdep reports.  Without lockdep, nothing here does
 * anything.  (Only in pcpupool.ko: one map for the module and its users.)
 */
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/lockdep.h>
#include <linux/sched/mm.h>
#include <pcpupool/pcpupool.h>
#include "port.h"
#include "port_internal.h"

#ifdef CONFIG_LOCKDEP
static struct lock_class_key pcpu_io_reclaim_key;
static struct lockdep_map pcpu_io_reclaim_map =
	STATIC_LOCKDEP_MAP_INIT("pcpupool_io_reclaim", &pcpu_io_reclaim_key);
#endif

void pcpu_io_reclaim_might_gfp(unsigned int raw)
{
#ifdef CONFIG_LOCKDEP
	gfp_t gfp = current_gfp_context((__force gfp_t)raw);

	if ((gfp & __GFP_IO) && (gfp & __GFP_DIRECT_RECLAIM)) {
		lock_map_acquire(&pcpu_io_reclaim_map);
		lock_map_release(&pcpu_io_reclaim_map);
	}
#endif
}

/**
 * pcpupool_lockdep_io_begin() - enter IO that memory reclaim may wait for
 *
 * A lockdep annotation for block drivers and other IO paths that use
 * pcpupool: between begin and end, the caller is the IO that reclaim with
 * __GFP_IO waits for, so no lock taken here may be held by an allocation
 * that may enter IO reclaim.  No effect without lockdep.
 *
 * Context: any; pair with pcpupool_lockdep_io_end() in the same context.
 */
void pcpupool_lockdep_io_begin(void)
{
#ifdef CONFIG_LOCKDEP
	lock_map_acquire(&pcpu_io_reclaim_map);
#endif
}
EXPORT_SYMBOL_GPL(pcpupool_lockdep_io_begin);

/**
 * pcpupool_lockdep_io_end() - leave the IO entered by pcpupool_lockdep_io_begin()
 *
 * Context: as pcpupool_lockdep_io_begin().
 */
void pcpupool_lockdep_io_end(void)
{
#ifdef CONFIG_LOCKDEP
	lock_map_release(&pcpu_io_reclaim_map);
#endif
}
EXPORT_SYMBOL_GPL(pcpupool_lockdep_io_end);
