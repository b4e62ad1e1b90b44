// SPDX-License-Identifier: GPL-2.0
/*
 * layout.c - the sizes and alignments of the kernel objects that the C++
 * core stores inline, as the configured kernel lays them out.
 *
 * The C++ core includes no kernel header, so it cannot see
 * sizeof(spinlock_t), which grows with lockdep and spinlock debugging.  Like
 * the kernel's asm-offsets.c, this file is compiled to assembly only, with
 * the kernel's own flags; Kbuild turns its "->SYM value" markers into
 * module/port/generated/pcpupool_layout.h (see Kbuild), which module/sync.h
 * and module/work.h use to reserve storage in the objects that own a lock
 * or a work item: the pool lock beside the fields it guards, a mempool's
 * depot lock beside its depot.  The port's C files check the header against
 * the types they initialize (lock.c, work.c), so a stale header fails the
 * build.  The host build supplies its own sizes (kunit/host/pcpupool_layout.h).
 *
 * It is not linked into any module.
 */
#include <linux/cache.h>
#include <linux/kbuild.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include "port.h"
#include "port_internal.h"

static void __used pcpu_layout(void)
{
	DEFINE(PCPU_SPINLOCK_SIZE, sizeof(spinlock_t));
	DEFINE(PCPU_SPINLOCK_ALIGN, __alignof__(spinlock_t));
	DEFINE(PCPU_MUTEX_SIZE, sizeof(struct mutex));
	DEFINE(PCPU_MUTEX_ALIGN, __alignof__(struct mutex));
	DEFINE(PCPU_WORK_SIZE, sizeof(struct pcpu_work));
	DEFINE(PCPU_WORK_ALIGN, __alignof__(struct pcpu_work));
	DEFINE(PCPU_CACHE_LINE, SMP_CACHE_BYTES);
}
