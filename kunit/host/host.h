/* SPDX-License-Identifier: GPL-2.0 */
/*
 * host.h - the test knobs of the userspace port (port_host.cpp).
 *
 * port_host.cpp implements every function of module/port/port.h in
 * userspace so that the C++ core runs as an ordinary program: pages are
 * mprotect()ed slices of an mmap()ed range, locks are std::mutex, a "CPU"
 * is a fake id per thread plus a lock that stands for "IRQs/preemption off
 * on that CPU", work items run when the test says so (or on a worker
 * thread), and debugfs is an in-memory tree.  This header is what tests,
 * fuzz targets and stresses use to steer and observe that port.  It is C
 * and includes only port.h, so both the freestanding core-flag TUs (which
 * must not see libstdc++: module/types.h defines placement new) and the
 * ordinary C++ TUs (gtest glue, the port itself) can include it.
 */
#ifndef PCPUPOOL_HOST_H
#define PCPUPOOL_HOST_H

#include "../../module/port/port.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOST_MAX_CPUS 64

struct host_config {
	int nr_cpus;		/* nr_cpu_ids, 1..HOST_MAX_CPUS (0: 4) */
	unsigned long long possible; /* possible mask (0: all of nr_cpus);
				      * bit nr_cpus-1 is forced, as in Linux */
	int work_thread;	/* 0: work runs when flushed or when the test
				 * calls host_work_run(); 1: a worker thread */
	int worker_cpu;		/* fake CPU of the worker thread */
	int verbose;		/* print pcpu_log/WARN text (default quiet) */
};

/*
 * Reset every piece of port state (CPUs, faults, counters, debugfs, work
 * items).  Returns the number of pages plus vm ranges still live from the
 * previous user (a leak), 0 normally.  The calling thread becomes CPU 0.
 */
long host_reset(const struct host_config *cfg);

/* Stop the worker thread (thread mode); the rest of the state stays for
 * inspection until the next host_reset(). */
void host_quiesce(void);

/* This thread's fake CPU id (what pcpu_this_cpu() returns). */
/* What the tests ask the emulated machine and its vmalloc area (the
 * kernel port has no such functions: the core never asks). */
int pcpu_cpu_online(int cpu) noexcept;
int pcpu_vm_page_node(unsigned long addr) noexcept; /* -1 if unpopulated */
int pcpu_vm_is_mapped(unsigned long addr) noexcept;

void host_set_cpu(int cpu);
int host_cpu(void);
/* CPU hotplug: offline runs the cpuhp teardown callback in this thread
 * (which moves off @cpu first).  Returns the callback's result. */
int host_cpu_offline(int cpu);
void host_cpu_online(int cpu);

/*
 * Preemption and interrupts.  The port counts the transitions of this
 * thread from preemptible to atomic (IRQs or preemption disabled, the
 * first spin_lock_irqsave, ...): the points where, in the kernel, the task
 * could have been migrated or interrupted just before.  After @nth more
 * transitions (1 = the next one), the port either migrates this thread to
 * @cpu, or runs @irq(@arg) as a hardirq on the current CPU, then proceeds.
 * One event may be armed per thread; host_transitions() counts them.
 */
void host_migrate_at(int nth, int cpu);
void host_irq_at(int nth, void (*irq)(void *arg), void *arg);
void host_disarm(void);
unsigned long host_transitions(void);
int host_in_irq(void);
int host_atomic(void);	/* IRQs or preemption disabled, or a spinlock held */

/* Work items. Manual mode: run what is queued (@delayed: also delayed
 * items, as if their timer expired).  Returns how many ran. */
int host_work_run(int delayed);
/* The next pcpu_vm_map_page() fails with @err (a bug-class error: -14). */
void host_set_map_error(int err);
/* Runs the registered shrinker as reclaim would: count, then scan. */
unsigned long host_shrink(void);
int host_work_pending(void);

/*
 * Fault injection: fail the next @nr attempts at @site.  Sites 0 ..
 * PCPU_SITE_NR-1 are the core's (pcpu_fault_should_fail); the others are
 * the port's own.  A __GFP_NOFAIL allocation never fails.
 */
enum host_site {
	HOST_SITE_KMALLOC = PCPU_SITE_NR, /* new (gfp) of the core */
	HOST_SITE_PAGE,		/* pcpu_page_alloc */
	HOST_SITE_MAP,		/* pcpu_vm_map_page */
	HOST_SITE_PORT_OBJ,	/* the port's lock/mutex/work objects */
	HOST_SITE_CPUHP,	/* pcpu_cpuhp_init */
	HOST_SITE_NR,
};
void host_fail_next(int site, int nr);
/* Let @skip attempts at @site succeed, then fail the next @nr. */
void host_fail_after(int site, int skip, int nr);
int host_fail_pending(int site);

/* mutex_lock_killable: 1 = the task has a fatal signal (fails when the
 * mutex is contended, as in Linux); 2 = fails even when it is free. */
void host_set_killed(int how);
/* Tracepoints: enable event groups (PCPU_TRACE_*) and read what fired. */
struct host_trace {
	unsigned long allocs, frees, alloc_fails;
	unsigned long chunk_creates, chunk_destroys, populates, depopulates;
	unsigned long refills, refilled, reserve_takes;
	void *last_ptr;
	unsigned long last_size;
	int last_atomic;
};
void host_set_trace(unsigned int mask);
void host_get_trace(struct host_trace *t);

/* The negative control of the gfp check (module parameter test_unsafe_gfp). */
void host_set_unsafe_gfp(int on);
/* Negative control: constrained mempool callers wait for the refill. */
void host_set_mempool_wait(int on);
// fail_pcpupool (fault.c) modelled: the next @n API allocations that
// cannot sleep fail.
void host_set_fail_alloc(int n);

/*
 * What the port saw.  violations: sleeping in atomic context, this_cpu in
 * preemptible context, unlocking a lock not held, a page freed before the
 * TLB flush, mapping a mapped page, a vm range released with pages mapped,
 * ...; gfp_violations: an allocation that may enter FS/IO reclaim made
 * while the allocator mutex is held (the host's lockdep proof).
 */
struct host_counters {
	long pages_live;	/* pcpu_page_alloc'ed and not freed */
	long pages_mapped;
	long ranges_live;	/* pcpu_vm_reserve'd and not released */
	long port_objs_live;	/* locks, mutexes, work items */
	unsigned long warnings;	/* every WARN (WARN_ONCE counted each time) */
	unsigned long violations;
	unsigned long gfp_violations;
	unsigned long tlb_flushes;
	unsigned long work_runs;
	unsigned long ipis;	/* pcpu_on_each_cpu calls */
	unsigned long record[PCPU_SITE_NR]; /* pcpu_record_alloc per site */
	unsigned long alloc_under_mutex; /* port allocations, mutex held */
};
void host_get_counters(struct host_counters *c);
/* The last violation/warning text ("" if none). */
const char *host_last_violation(void);
/* Forget violations (a negative test that provoked them on purpose). */
void host_clear_violations(void);
const char *host_last_warning(void);
/* Sleep events of this thread: mutex acquisitions, might_sleep,
 * cond_resched, sleepable allocations, flushes.  Also what
 * pcpu_nr_voluntary_switches() returns. */
unsigned long host_sleeps(void);

/* debugfs: read a file under /sys/kernel/debug/pcpupool/ ("stats",
 * "mempool/<name>/stats"); returns its length (NUL-terminated, truncated
 * to @size - 1) or -2 (ENOENT).  Writes call the file's setter. */
long host_debugfs_read(const char *path, char *buf, unsigned long size);
int host_debugfs_write(const char *path, unsigned long long val);
int host_debugfs_exists(const char *path);

/* For the @nr_pages pages from @base (a reserved range): 1 if mapped. */
void host_vm_mapped(const void *base, unsigned long nr_pages, unsigned char *out);

/* Threads: run @fn(cpu, @arg) on @nr threads pinned to CPUs 0..nr-1, join. */
void host_run_on_cpus(int nr, void (*fn)(int cpu, void *arg), void *arg);
void *host_barrier_new(int nr);
void host_barrier_wait(void *barrier);
void host_barrier_delete(void *barrier);
void host_yield(void);

/* The allocations behind the core's new (gfp) (rt_host.cpp). */
void *host_new(unsigned long bytes, unsigned int gfp, int array);

/* Tests and fuzz targets: print and abort (a crash libFuzzer records). */
void host_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void host_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int host_snprintf(char *buf, unsigned long size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int host_strcmp(const char *a, const char *b);
/* An environment variable ("" when unset). */
const char *host_env_str(const char *name);
const char *host_strstr(const char *hay, const char *needle);

#ifdef __cplusplus
}
#endif
#endif /* PCPUPOOL_HOST_H */
