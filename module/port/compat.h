/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the differences between the kernel lines pcpupool supports
 * (6.12, the reference, and 6.1), in one place.  Only port files include
 * it; the C++ core never sees a version.
 */
#ifndef PCPUPOOL_COMPAT_H
#define PCPUPOOL_COMPAT_H

#include <linux/version.h>

/*
 * 6.10 dropped __assign_str()'s source argument (it is taken from
 * __string()).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define pcpu_assign_str(field, src) __assign_str(field, src)
#else
#define pcpu_assign_str(field, src) __assign_str(field)
#endif

/* 6.7 replaced register_shrinker() with shrinker_alloc()/shrinker_register(). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define PCPU_HAVE_SHRINKER_ALLOC 1
#else
#define PCPU_HAVE_SHRINKER_ALLOC 0
#endif

#endif /* PCPUPOOL_COMPAT_H */
