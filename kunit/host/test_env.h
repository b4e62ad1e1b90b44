// SPDX-License-Identifier: GPL-2.0
//
// test_env.h - what the host unit tests of the allocator and the mempool
// share: a loaded "module" (Env), the public C API as api.cpp defines it,
// and per-CPU copy helpers.  Core flags, no libstdc++.
#pragma once

#include "../../include/pcpupool/stats.h"
#include "core_api.h"
#include "host_core.h"
#include "ht.h"
#include "types.h"

extern "C" {
void* pcpupool_alloc(unsigned long size, unsigned long align, unsigned int gfp);
void pcpupool_free(void* ptr);
int pcpupool_alloc_bulk(unsigned long size, unsigned long align, unsigned int gfp, unsigned int n,
			void** ptrs);
void pcpupool_free_bulk(unsigned int n, void* const* ptrs);
void pcpupool_get_stats(pcpupool_stats* st);
struct pcpupool_mempool;
pcpupool_mempool* pcpupool_mempool_create(const char* name, unsigned long size,
					  unsigned long align, unsigned int min_nr,
					  unsigned int gfp);
void* pcpupool_mempool_alloc(pcpupool_mempool* pool, unsigned int gfp);
void pcpupool_mempool_free(void* elem, pcpupool_mempool* pool); // mempool_free()'s order
int pcpupool_mempool_resize(pcpupool_mempool* pool, unsigned int min_nr);
void pcpupool_mempool_destroy(pcpupool_mempool* pool);
void pcpupool_mempool_get_stats(pcpupool_mempool* pool, pcpupool_mempool_stats* st);
}

namespace env {

using pcp::u8;
using pcp::u32;
using pcp::u64;

constexpr u32 kUnit = 64 * 1024;

// The module loaded on a fresh port: nr_cpus fake CPUs (possible mask),
// work in manual mode unless @thread.
struct Env {
	int ret;
	explicit Env(int nr_cpus = 4, u32 unit = kUnit, unsigned long long possible = 0,
		     int thread = 0)
	{
		host_config c = {};
		c.nr_cpus = nr_cpus;
		c.possible = possible;
		c.work_thread = thread;
		host_reset(&c);
		ret = host_core_init(unit);
	}
	~Env()
	{
		if (!ret)
			host_core_exit();
		host_quiesce();
	}
	PCPU_NO_COPY_NO_MOVE(Env);
};

inline pcpupool_stats stats()
{
	pcpupool_stats st;
	pcpupool_get_stats(&st);
	return st;
}

inline pcpupool_mempool_stats mstats(pcpupool_mempool* mp)
{
	pcpupool_mempool_stats st;
	pcpupool_mempool_get_stats(mp, &st);
	return st;
}

inline u8* cpu_ptr(void* p, int cpu)
{
	return static_cast<u8*>(p) + pcpupool_unit_off[cpu];
}

inline bool zeroed(void* p, u32 size)
{
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++) {
		if (!pcpu_cpu_possible(cpu))
			continue;
		for (u32 i = 0; i < size; i++)
			if (cpu_ptr(p, cpu)[i])
				return false;
	}
	return true;
}

inline void scribble(void* p, u32 size, u8 v)
{
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++)
		if (pcpu_cpu_possible(cpu))
			for (u32 i = 0; i < size; i++)
				cpu_ptr(p, cpu)[i] = u8(v + cpu + i);
}

inline bool scribbled(void* p, u32 size, u8 v)
{
	for (int cpu = 0; cpu < pcpu_nr_cpu_ids(); cpu++)
		if (pcpu_cpu_possible(cpu))
			for (u32 i = 0; i < size; i++)
				if (cpu_ptr(p, cpu)[i] != u8(v + cpu + i))
					return false;
	return true;
}

inline unsigned long violations()
{
	host_counters c;
	host_get_counters(&c);
	return c.violations;
}

inline host_counters counters()
{
	host_counters c;
	host_get_counters(&c);
	return c;
}

// g_pool.check() after a step: fails the test, at the caller's line, with
// what broke.
inline bool consistent(const char* file, int line)
{
	const char* err = pcpupool_test_check();
	if (err)
		ht_fail(file, line, "g_pool.check(): %s", err);
	return !err;
}
#define CONSISTENT() env::consistent(__FILE__, __LINE__)

} // namespace env
