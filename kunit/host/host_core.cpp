// SPDX-License-Identifier: GPL-2.0
//
// host_core.cpp - module init/exit on the host (see host_core.h).  Compiled
// with the core's flags: it reaches into the core's globals.
#include "allocator.h"
#include "core_api.h"
#include "host_core.h"

int host_core_init(unsigned int unit_bytes)
{
	int ret = pcpupool_core_init(unit_bytes);
	if (ret) {
		// init() undid its own steps; start the next init afresh.
		new (&pcp::g_pool) pcp::Pool();
		return ret;
	}
	pcpupool_core_debugfs_init();
	return 0;
}

void host_core_exit(void)
{
	pcpupool_core_debugfs_exit();
	pcpupool_core_exit();
	// A module's globals start zeroed at every load; the Pool's counters,
	// tunables and demand estimate would otherwise survive.
	new (&pcp::g_pool) pcp::Pool();
}
