/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ht.h - host unit test cases written against the core with the core's
 * own flags (no libstdc++: module/types.h defines placement new, which
 * clashes with <new>).  A case is registered by HT_CASE and reports with
 * HT_EXPECT/HT_ASSERT; gtest_main.cpp registers every case with GoogleTest
 * (testing::RegisterTest) and turns ht_fail() into a gtest failure.  The
 * same split as kunit/kt.h uses between KUnit and C++ bodies.
 */
#ifndef PCPUPOOL_HT_H
#define PCPUPOOL_HT_H

#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*ht_fn)(void);
struct ht_case {
	const char *suite;
	const char *name;
	ht_fn fn;
	const char *file;
	int line;
	struct ht_case *next;
};
void ht_register(struct ht_case *c);
struct ht_case *ht_cases(void);
void ht_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ht_failed(void); /* has the running case failed yet? */

#ifdef __cplusplus
}
#endif

/* Test-case registration runs from a constructor: fine in a test binary,
 * never in the core (whose objects are checked for constructors). */
#define HT_CASE(suite, name)                                                   \
	static void ht_##suite##_##name(void);                                 \
	static struct ht_case ht_case_##suite##_##name = {                     \
		#suite, #name, ht_##suite##_##name, __FILE__, __LINE__, 0};    \
	__attribute__((constructor)) static void ht_reg_##suite##_##name(void) \
	{                                                                      \
		ht_register(&ht_case_##suite##_##name);                        \
	}                                                                      \
	static void ht_##suite##_##name(void)

#define HT_EXPECT(cond, fmt, ...)                                              \
	do {                                                                   \
		if (!(cond))                                                   \
			ht_fail(__FILE__, __LINE__, "expected %s: " fmt, #cond,  \
				##__VA_ARGS__);                                 \
	} while (0)

#define HT_ASSERT(cond, fmt, ...)                                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			ht_fail(__FILE__, __LINE__, "expected %s: " fmt, #cond,  \
				##__VA_ARGS__);                                 \
			return;                                                \
		}                                                              \
	} while (0)

#endif
