// SPDX-License-Identifier: GPL-2.0
/*
 * fault.c - port: fail_pcpupool, the kernel's standard fault attribute for
 * pcpupool's users, beside failslab and fail_page_alloc.
 *
 * A user of pcpupool tests its own NULL handling, or its mempool's reserve
 * path, the way it does for slab and page allocations: on a kernel with
 * CONFIG_FAULT_INJECTION, /sys/kernel/debug/fail_pcpupool/ has the files
 * of every fault attribute (probability, interval, times, space, verbose,
 * task-filter; Documentation/fault-injection/fault-injection.rst) and
 * ignore-gfp-wait (default Y, as fail_page_alloc's: only allocations that
 * cannot sleep fail); the module parameter fail_pcpupool= takes the boot
 * parameter's <interval>,<probability>,<space>,<times>, and a task's
 * /proc/<pid>/fail-nth counts pcpupool's decisions too.
 *
 * What fails: the allocation a caller asked for, consulted once per call
 * (pcpupool_alloc(), once per pcpupool_alloc_bulk() batch), before any
 * cache.  For pcpupool_mempool_alloc() it is the allocator's attempt that
 * fails, so the reserve serves the element (or, empty, the call fails),
 * as failslab makes mempool_alloc() fall back to its reserve.
 *
 * Cost: on a kernel with fault injection every allocation calls
 * pcpu_fail_alloc() (pcpu_fail_on is 1), as every slab allocation asks
 * failslab; fail-nth needs that call even at probability 0.  Without
 * fault injection (Debian's kernels, the bench kernel) pcpu_fail_on is 0
 * and the fast path pays one load.
 *
 * The test builds' own fault sites (pcpupool_test_fail_next(), main.c)
 * are a different tool: deterministic, per internal site, for KUnit.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/moduleparam.h>
#include "port.h"
#include "port_internal.h"

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(fail_pcpupool);
static bool fail_ignore_gfp_wait = true;
static char *fail_setup;
module_param_named(fail_pcpupool, fail_setup, charp, 0444);
MODULE_PARM_DESC(fail_pcpupool,
		 "fault injection at load: <interval>,<probability>,<space>,<times> (as the failslab= boot parameter)");

int pcpu_fail_on = 1;

int pcpu_fail_alloc(unsigned int gfp, unsigned long bytes)
{
	if (fail_ignore_gfp_wait && gfpflags_allow_blocking((__force gfp_t)gfp))
		return 0;
	return should_fail(&fail_pcpupool, bytes);
}

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
static struct dentry *fail_dir;
#endif

int pcpu_fail_init(void)
{
	if (fail_setup && !setup_fault_attr(&fail_pcpupool, fail_setup)) {
		pr_err("pcpupool: fail_pcpupool=%s invalid: <interval>,<probability>,<space>,<times>\n",
		       fail_setup);
		return -EINVAL;
	}
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fail_dir = fault_create_debugfs_attr("fail_pcpupool", NULL, &fail_pcpupool);
	if (IS_ERR(fail_dir)) {
		fail_dir = NULL;
		return 0;	/* no debugfs: the parameter still works */
	}
	debugfs_create_bool("ignore-gfp-wait", 0600, fail_dir, &fail_ignore_gfp_wait);
#endif
	return 0;
}

void pcpu_fail_exit(void)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	debugfs_remove_recursive(fail_dir);
	fail_dir = NULL;
#endif
}
#else
int pcpu_fail_on;	/* stays 0: the fast path never calls in */

int pcpu_fail_alloc(unsigned int gfp, unsigned long bytes)
{
	return 0;
}

int pcpu_fail_init(void)
{
	return 0;
}

void pcpu_fail_exit(void)
{
}
#endif
