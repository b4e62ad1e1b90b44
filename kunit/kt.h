/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kt.h - glue between C KUnit suites and C++ test bodies.
 *
 * KUnit is C macros; a C++ test body receives the struct kunit as an
 * opaque pointer and reports failures through kt_fail(), which the C side
 * turns into a KUnit failure.  Shared by C and C++.
 */
#ifndef PCPUPOOL_KT_H
#define PCPUPOOL_KT_H

#include "../module/port/port.h"

#ifdef __cplusplus
extern "C" {
#endif

PCPU_PRINTF(4, 5)
void kt_fail(void *test, const char *file, int line, const char *fmt, ...);
/* The current task's make_it_fail (fault injection task filter). */
void kt_set_make_it_fail(int on);
int kt_irqs_disabled(void);
int kt_preempt_count(void);
/* Is __GFP_IO / __GFP_FS in current_gfp_context(GFP_KERNEL)? */
int kt_context_may_io(void);
int kt_context_may_fs(void);
unsigned int kt_gfp_kernel(void);

/* The suites defined in the other C files of the module. */
struct kunit_suite;
extern struct kunit_suite pcpupool_alloc_suite;
extern struct kunit_suite pcpupool_cache_suite;
extern struct kunit_suite pcpupool_context_suite;
extern struct kunit_suite pcpupool_lockdep_suite;
extern struct kunit_suite pcpupool_mempool_suite;
extern struct kunit_suite pcpupool_fault_suite;
extern struct kunit_suite pcpupool_stress_suite;
extern struct kunit_suite pcpupool_hotplug_suite;

/* C++ test bodies (cxx_test.cpp, area_map_test.cpp). */
void cxx_test_new_delete(void *test);
void cxx_test_new_fails(void *test);
void cxx_test_spin_guard(void *test);
void cxx_test_preempt_guard(void *test);
void cxx_test_mutex_guard(void *test);
void cxx_test_noio_scope(void *test);
void cxx_test_nofs_scope_nested(void *test);
void cxx_test_scope_for(void *test);
/* An out-of-bounds read from C++ on a 16-byte object; returns the byte. */
int cxx_kasan_oob_read(void);
void cxx_test_area_basic(void *test);
void cxx_test_area_align(void *test);
void cxx_test_area_coalesce(void *test);
void cxx_test_area_largest(void *test);
void cxx_test_area_populated_only(void *test);
void cxx_test_area_random(void *test);
void cxx_test_area_bad_free(void *test);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
#define KT_EXPECT(test, cond, fmt, ...)                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			kt_fail(test, __FILE__, __LINE__, "expected %s: " fmt, \
				#cond, ##__VA_ARGS__);                          \
	} while (0)
#endif

#endif
