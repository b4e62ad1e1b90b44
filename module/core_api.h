/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core_api.h - what the C++ core offers the C side of the module: module
 * init/exit, debugfs registration, and the test hooks of test builds.
 * The public API (pcpupool_alloc, ...) is declared in
 * include/pcpupool/pcpupool.h for C and defined in api.cpp with the same
 * ABI.  Shared by C and C++; includes only port.h.
 */
#ifndef PCPUPOOL_CORE_API_H
#define PCPUPOOL_CORE_API_H

#include "port/port.h"

#ifdef __cplusplus
extern "C" {
#endif

int pcpupool_core_init(unsigned int unit_bytes);
void pcpupool_core_exit(void);
void pcpupool_core_debugfs_init(void);
extern const unsigned long *pcpupool_unit_off;

/* Test builds: hooks for pcpupool_kunit.ko. */
const char *pcpupool_test_check(void);
void pcpupool_test_flush_balance(void);
int pcpupool_test_set_watermarks(unsigned int low, unsigned int high,
				 unsigned int cap);
void pcpupool_test_set_recorder(pcpu_alloc_recorder_fn fn);
/* Take (1) or release (0) the allocator mutex, as another holder would. */
void pcpupool_test_hold_mutex(int hold);
struct pcpupool_mempool;
/* Run a mempool's refill work now and wait for it. */
void pcpupool_test_mempool_flush(struct pcpupool_mempool *pool);
void pcpupool_test_fail_next(enum pcpu_alloc_site site, int nr);
void pcpupool_test_fail_nth(enum pcpu_alloc_site site, int nth);

#ifdef __cplusplus
}
#endif
#endif
