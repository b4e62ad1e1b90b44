// SPDX-License-Identifier: GPL-2.0
/*
 * port_link.c - the KUnit module's own copy of the port files the C++ test
 * bodies need (memory, locks).  The C++ runtime and area map are compiled
 * into this module too (rt_link.cpp, area_map_test.cpp), so that they are
 * tested as units, without reaching into pcpupool.ko's internals; the
 * allocator itself is tested through pcpupool.ko's exported API.
 */
#include "../module/port/mem.c"
#include "../module/port/lock.c"

/* pcpu_record_alloc/fault are pcpupool.ko's; the unit copies never use them. */
void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp,
		       int mutex_held)
{
}

int pcpu_fault_should_fail(enum pcpu_alloc_site site)
{
	return 0;
}

/* pcpupool.ko's too: the unit copies hold no allocator mutex, no lockdep map. */
int pcpu_core_alloc_mutex_held(void)
{
	return 0;
}

void pcpu_io_reclaim_might_gfp(unsigned int gfp)
{
}
