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
/*
 * Unload, first step: what the debugfs triggers made (the mempool_demo
 * pool, with its own directory; the hold_atomic array) goes while the
 * debugfs tree still exists.  Then the port removes the tree (waiting for
 * readers), then pcpupool_core_exit() frees the core.
 */
void pcpupool_core_debugfs_exit(void);
/* Defined and exported by port/main.c; set by the core at init. */
extern const unsigned long *pcpupool_unit_off;

/*
 * The core's side of the public API (include/pcpupool/pcpupool.h): C types
 * only.  port/main.c defines each exported pcpupool_*() function as a thin
 * wrapper followed by its EXPORT_SYMBOL_GPL().
 */
struct pcpupool_stats;
struct pcpupool_mempool;
struct pcpupool_mempool_stats;
void *pcpu_api_alloc(unsigned long size, unsigned long align, unsigned int gfp);
void pcpu_api_free(void *ptr);
int pcpu_api_alloc_bulk(unsigned long size, unsigned long align, unsigned int gfp,
			unsigned int n, void **ptrs);
void pcpu_api_free_bulk(unsigned int n, void *const *ptrs);
void pcpu_api_get_stats(struct pcpupool_stats *st);
struct pcpupool_mempool *pcpu_api_mempool_create(const char *name,
						 unsigned long size,
						 unsigned long align,
						 unsigned int min_nr,
						 unsigned int gfp);
void *pcpu_api_mempool_alloc(struct pcpupool_mempool *pool, unsigned int gfp);
void pcpu_api_mempool_free(struct pcpupool_mempool *pool, void *elem);
int pcpu_api_mempool_resize(struct pcpupool_mempool *pool, unsigned int min_nr);
void pcpu_api_mempool_destroy(struct pcpupool_mempool *pool);
void pcpu_api_mempool_get_stats(struct pcpupool_mempool *pool,
				struct pcpupool_mempool_stats *st);
const char *pcpu_api_test_check(void);
void pcpu_api_test_flush_balance(void);
void pcpu_api_test_whole_walk(int on);
void pcpu_api_test_hold_mutex(int hold);
void pcpu_api_test_mempool_flush(struct pcpupool_mempool *pool);
int pcpu_api_test_set_watermarks(unsigned int low, unsigned int high,
				 unsigned int cap);
void pcpu_api_test_drain_caches(void);
int pcpu_api_test_kasan_oob(void);
void pcpu_api_test_set_caching(int on);
unsigned long long pcpu_api_test_cached_objects(void);
void pcpu_api_test_count_locks(int on);
unsigned long long pcpu_api_test_lock_count(void);
/* Prints the top-level debugfs view @name into @seq (unknown: nothing). */
void pcpu_api_test_show(const char *name, void *seq);

/* Test builds: hooks for pcpupool_kunit.ko. */
const char *pcpupool_test_check(void);
void pcpupool_test_flush_balance(void);
long pcpupool_test_render_views(void);
void pcpupool_test_irqoff_measure(int on);
unsigned long long pcpupool_test_irqoff_max(void **site, unsigned int *walks);
/* The negative control of the views' walk: one IRQ-off section for all. */
void pcpupool_test_whole_walk(int on);
int pcpupool_test_set_watermarks(unsigned int low, unsigned int high,
				 unsigned int cap);
void pcpupool_test_set_recorder(pcpu_alloc_recorder_fn fn);
/* Take (1) or release (0) the allocator mutex, as another holder would. */
void pcpupool_test_hold_mutex(int hold);
/* Run a mempool's refill work now and wait for it. */
void pcpupool_test_mempool_flush(struct pcpupool_mempool *pool);
void pcpupool_test_fail_next(enum pcpu_alloc_site site, int nr);
void pcpupool_test_fail_nth(enum pcpu_alloc_site site, int nth);
/* KASAN proof: an out-of-bounds read from pcpupool.ko's own C++. */
int pcpupool_test_kasan_oob(void);
/* The per-CPU front end: drain every cache (IPI); switch it on/off. */
void pcpupool_test_drain_caches(void);
void pcpupool_test_set_caching(int on);
unsigned long long pcpupool_test_cached_objects(void);
/*
 * Count the pool lock acquisitions the calling task makes from now (1),
 * or stop (0); read the count.
 */
void pcpupool_test_count_locks(int on);
unsigned long long pcpupool_test_lock_count(void);

#ifdef __cplusplus
}
#endif
#endif
