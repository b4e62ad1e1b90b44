/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - what the C KUnit suites of pcpupool_kunit.ko share (util.c):
 *
 *   canaries  a per-CPU byte pattern written into every CPU's copy of an
 *             allocation and checked before it is freed, so that overlap
 *             between live allocations, or a copy written through the
 *             wrong CPU's offset, shows up as a corruption
 *   gangs     the stress tests' kthreads: started one by one (bound to a
 *             CPU or not), each marking itself done when its work is over,
 *             then reaped together; kthread_stop() is called only after
 *             every member is done, because stopping a thread that has not
 *             run yet would skip its function altogether
 */
#ifndef PCPUPOOL_KUNIT_UTIL_H
#define PCPUPOOL_KUNIT_UTIL_H

#include <linux/atomic.h>
#include <linux/threads.h>
#include <linux/types.h>
#include <pcpupool/pcpupool.h>

struct task_struct;

/*
 * Handles in tests: the null handle, a handle made from a raw address (the
 * misuse cases: foreign memory, a pointer into an allocation), and whether
 * a handle holds memory.
 */
#define KT_NO_MEM	pcpupool_null(struct pcpupool_mem)
#define KT_MEM(addr)	((struct pcpupool_mem){ .__p = (void __pcpupool __force *)(addr) })
#define KT_HAS(h)	(!pcpupool_is_null(h))

/* The allocator's own consistency check (pcpupool_test_check()) passes. */
#define CHECK_CONSISTENT(test)						\
	do {								\
		const char *__err = pcpupool_test_check();		\
		KUNIT_EXPECT_PTR_EQ_MSG(test, __err, NULL, "%s", __err);	\
	} while (0)

/* Byte i of CPU c's copy of @p is @tag ^ (c * 0x3b). */
void kt_fill(struct pcpupool_mem p, size_t size, u8 tag);
bool kt_filled(struct pcpupool_mem p, size_t size, u8 tag);
bool kt_zeroed(struct pcpupool_mem p, size_t size);

struct kt_gang {
	struct task_struct *t[NR_CPUS + 1];
	int n;
	atomic_t done;
};

/*
 * Start @fn(@arg) as a member of @g (zeroed first), bound to @cpu when
 * @bind; @name may use the CPU number once (%d).  Returns false if the
 * thread could not be created (the gang goes on without it).
 */
bool kt_gang_add(struct kt_gang *g, int (*fn)(void *arg), void *arg, int cpu,
		 bool bind, const char *name);
/* The last thing a member does before returning. */
void kt_gang_done(struct kt_gang *g);
/* Wait until every member is done, then reap them all; returns how many. */
int kt_gang_stop(struct kt_gang *g);

/* The area model's messages (area_model.h, C++). */
__printf(3, 4) int model_snprintf(char *buf, unsigned long size, const char *fmt, ...);

#endif
