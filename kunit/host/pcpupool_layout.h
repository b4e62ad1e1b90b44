/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpupool_layout.h (host) - the sizes of the port objects the C++ core
 * stores inline, for the host build: its locks and work items are
 * port_host.cpp's HostLock and HostWork, which static_assert that they fit.
 * The kernel build generates this header from module/port/layout.c.
 */
#ifndef PCPUPOOL_LAYOUT_H
#define PCPUPOOL_LAYOUT_H

#define PCPU_SPINLOCK_SIZE 64
#define PCPU_SPINLOCK_ALIGN 8
#define PCPU_MUTEX_SIZE 64
#define PCPU_MUTEX_ALIGN 8
#define PCPU_WORK_SIZE 64
#define PCPU_WORK_ALIGN 8
#define PCPU_CACHE_LINE 64

#endif
