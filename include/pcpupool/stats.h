/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - pcpupool's statistics snapshot, shared by the C API
 * (pcpupool.h) and the C++ core.  Plain C, includes nothing, so that both
 * sides see one definition.  Field names follow the kernel's percpu_stats
 * (mm/percpu-stats.c) where they exist.
 */
#ifndef PCPUPOOL_STATS_H
#define PCPUPOOL_STATS_H

struct pcpupool_stats {
	unsigned long long nr_alloc;		/* successful allocations */
	unsigned long long nr_dealloc;		/* frees */
	unsigned long long nr_cur_alloc;	/* live allocations */
	unsigned long long nr_max_alloc;	/* peak of nr_cur_alloc */
	unsigned long long nr_chunks;
	unsigned long long nr_max_chunks;
	unsigned long long min_alloc_size;	/* bytes, 0 before the first */
	unsigned long long max_alloc_size;
	unsigned long long empty_pop_pages;	/* populated pages with no allocation */
	unsigned long long populated_pages;	/* unit pages populated, all units */
	unsigned long long atomic_alloc_failed;	/* atomic requests refused */
	unsigned long long nr_atomic_alloc;	/* atomic requests served */
	unsigned long long nr_killed;		/* sleepers that got a fatal signal */
	unsigned long long nr_failed;		/* sleepable requests that failed */
	unsigned long long nr_misuse;		/* bad size/align, bad frees */
	unsigned long long live_bytes;		/* bytes live; a class object: its class */
	unsigned long long nr_populate;		/* unit pages populated, cumulative */
	unsigned long long nr_depopulate;	/* unit pages depopulated, cumulative */
	unsigned long long nr_tlb_flush;	/* all-CPU TLB flushes */
	unsigned long long nr_chunk_create;
	unsigned long long nr_chunk_destroy;
	unsigned long long nr_balance;		/* balance work runs */
	unsigned long long nr_kick;		/* runs asked for at once (allocators, frees) */
	unsigned long long target_low;		/* adaptive watermarks in force */
	unsigned long long target_high;
	unsigned long long unit_size;		/* bytes per CPU per chunk */
	unsigned long long nr_units;		/* nr_cpu_ids */
};

/* A percpu mempool's counters; per-CPU counters summed at read time. */
struct pcpupool_mempool_stats {
	unsigned long long elem_size;
	unsigned long long min_nr;
	unsigned long long reserved;		/* in the depot and magazines now */
	unsigned long long in_magazines;
	unsigned long long served_allocator;	/* allocator tried first, succeeded */
	unsigned long long served_magazine;	/* reserve, from this CPU's magazine */
	unsigned long long served_depot;	/* reserve, from the shared depot */
	unsigned long long served_direct;	/* unconstrained caller's own alloc */
	unsigned long long failures;		/* NULL returned */
	unsigned long long waits;		/* constrained callers that blocked: 0 */
	unsigned long long refills;		/* elements added by the refill work */
	unsigned long long refill_runs;
	unsigned long long frees_magazine;
	unsigned long long frees_depot;
	unsigned long long frees_allocator;
	unsigned long long depot_ops;		/* times the depot lock was taken */
	unsigned long long outstanding;		/* handed out and not freed */
	unsigned long long misuse;		/* bad frees refused (WARN_ONCE) */
	unsigned long long id;			/* element tag id, 0 = unchecked */
};

#endif /* PCPUPOOL_STATS_H */
