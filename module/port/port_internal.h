/* SPDX-License-Identifier: GPL-2.0 */
/*
 * port_internal.h - what the port's C files share among themselves and the
 * C++ core never calls (port.h is the core's interface).
 */
#ifndef PCPUPOOL_PORT_INTERNAL_H
#define PCPUPOOL_PORT_INTERNAL_H

/* mem.c: @nr backing pages were freed from a page list (vm_x86.c). */
void pcpu_page_freed(unsigned long nr);
/* mem.c: backing pages allocated and not freed yet; 0 after unload. */
long pcpu_pages_outstanding(void);

#endif /* PCPUPOOL_PORT_INTERNAL_H */
