/* SPDX-License-Identifier: GPL-2.0 */
/*
 * port_internal.h - what the port's C files share among themselves and the
 * C++ core never calls (port.h is the core's interface).
 */
#ifndef PCPUPOOL_PORT_INTERNAL_H
#define PCPUPOOL_PORT_INTERNAL_H

#include <linux/workqueue.h>

/*
 * A work item (work.c), stored inline in its C++ owner (module/work.h):
 * layout.c publishes its size and alignment.
 */
struct pcpu_work {
	struct delayed_work dwork;
	pcpu_work_fn fn;
	void *arg;
};

/*
 * lockdep, IO half (lockdep.c): an allocation with @gfp may enter IO
 * reclaim.  The port's own allocation functions call it; vm_x86.c calls it
 * for vmap()'s internal allocations.
 */
void pcpu_io_reclaim_might_gfp(unsigned int gfp);
/* Module init/exit (main.c) of the parts below. */
int pcpu_vm_init(void);
void pcpu_vm_exit(void);
int pcpu_wq_init(void);
void pcpu_wq_exit(void);
/* debugfs.c: /sys/kernel/debug/pcpupool/ (created on first use); module
 * exit removes it and all below.
 */
void *pcpu_debugfs_root(void);
void pcpu_debugfs_exit(void);

/* fault.c: the fail_pcpupool fault attribute, set up and torn down. */
int pcpu_fail_init(void);
void pcpu_fail_exit(void);

/* mem.c: @nr backing pages were freed from a page list (vm_x86.c). */
void pcpu_page_freed(unsigned long nr);
/* mem.c: backing pages allocated and not freed yet; 0 after unload. */
long pcpu_pages_outstanding(void);

/*
 * main.c, test builds: the negative control of the kmemleak proof
 * (pcpupool.test_no_kmemleak=1): vm_x86.c then registers no populated page
 * with kmemleak, and the debugfs boot's probe must be reported.
 */
int pcpu_test_no_kmemleak(void);
/* main.c, test builds: the unload page-count check's negative control. */
int pcpu_test_leak_page(void);
/* main.c, test builds: the debugfs kmemleak probe, set up and torn down. */
void pcpu_test_debugfs_init(void);
void pcpu_test_debugfs_exit(void);

#endif /* PCPUPOOL_PORT_INTERNAL_H */
