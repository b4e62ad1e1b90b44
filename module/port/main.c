// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - port: module init/exit, module parameters, the exported API and,
 * in test builds (kernels with KUnit), the test hooks.
 *
 * The exported C API (include/pcpupool/pcpupool.h) is a set of thin C
 * wrappers over the core's pcpu_api_*() (module/api.cpp), each followed by
 * its EXPORT_SYMBOL_GPL(), as Rust-for-Linux's helpers wrap C for Rust.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <pcpupool/pcpupool.h>
#include "port.h"
#include "port_internal.h"
#include "../core_api.h"

static unsigned int unit_size = 64 * 1024;
module_param(unit_size, uint, 0444);
MODULE_PARM_DESC(unit_size,
		 "bytes per CPU per chunk: a multiple of PAGE_SIZE, 32 KiB..16 MiB (default 64 KiB)");

const unsigned long *pcpupool_unit_off;
EXPORT_SYMBOL_GPL(pcpupool_unit_off);

/*
 * This CPU's unit offset, in the kernel's own percpu memory: one
 * this_cpu_read() gives the accessors of pcpupool.h their CPU's copy
 * (no smp_processor_id(), no load of the table).
 */
DEFINE_PER_CPU(unsigned long, pcpupool_this_unit_off);
EXPORT_PER_CPU_SYMBOL_GPL(pcpupool_this_unit_off);

/*
 * The public API: thin wrappers over the core (module/api.cpp); each
 * compiles to a tail jump.  The cache hit of pcpu_api_alloc() and
 * pcpu_api_free() is inline there.
 */
static_assert(sizeof(struct pcpupool_mem) == sizeof(void *));

/*
 * A handle is one pointer passed by value (in a register): the wrappers
 * stay tail jumps.  Names in parentheses: pcpupool.h's macros of the same
 * names take any handle type.
 */
struct pcpupool_mem pcpupool_alloc(size_t size, size_t align, gfp_t gfp)
{
	return (struct pcpupool_mem){
		.__p = (void __pcpupool __force *)pcpu_api_alloc(size, align,
								 (__force unsigned int)gfp),
	};
}
EXPORT_SYMBOL_GPL(pcpupool_alloc);

void (pcpupool_free)(struct pcpupool_mem h)
{
	pcpu_api_free((void __force *)h.__p);
}
EXPORT_SYMBOL_GPL(pcpupool_free);

int (pcpupool_alloc_bulk)(size_t size, size_t align, gfp_t gfp, unsigned int n,
			  struct pcpupool_mem *hs)
{
	return pcpu_api_alloc_bulk(size, align, (__force unsigned int)gfp, n,
				   (void **)hs);
}
EXPORT_SYMBOL_GPL(pcpupool_alloc_bulk);

void (pcpupool_free_bulk)(unsigned int n, const struct pcpupool_mem *hs)
{
	pcpu_api_free_bulk(n, (void *const *)hs);
}
EXPORT_SYMBOL_GPL(pcpupool_free_bulk);

void pcpupool_get_stats(struct pcpupool_stats *st)
{
	pcpu_api_get_stats(st);
}
EXPORT_SYMBOL_GPL(pcpupool_get_stats);

struct pcpupool_mempool *pcpupool_mempool_create(const char *name, size_t size,
						 size_t align, unsigned int min_nr,
						 gfp_t gfp)
{
	return pcpu_api_mempool_create(name, size, align, min_nr,
				       (__force unsigned int)gfp);
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_create);

struct pcpupool_mem pcpupool_mempool_alloc(struct pcpupool_mempool *pool, gfp_t gfp)
{
	return (struct pcpupool_mem){
		.__p = (void __pcpupool __force *)pcpu_api_mempool_alloc(pool,
									 (__force unsigned int)gfp),
	};
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_alloc);

void (pcpupool_mempool_free)(struct pcpupool_mem elem, struct pcpupool_mempool *pool)
{
	pcpu_api_mempool_free(pool, (void __force *)elem.__p);
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_free);

int pcpupool_mempool_resize(struct pcpupool_mempool *pool, unsigned int min_nr)
{
	return pcpu_api_mempool_resize(pool, min_nr);
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_resize);

void pcpupool_mempool_destroy(struct pcpupool_mempool *pool)
{
	pcpu_api_mempool_destroy(pool);
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_destroy);

void pcpupool_mempool_get_stats(struct pcpupool_mempool *pool,
				struct pcpupool_mempool_stats *st)
{
	pcpu_api_mempool_get_stats(pool, st);
}
EXPORT_SYMBOL_GPL(pcpupool_mempool_get_stats);

/*
 * The negative controls' switches: in test builds a read-only bool module
 * parameter each, read by the core through pcpu_<name>(); 0 otherwise.
 */
#ifdef PCPUPOOL_TEST
#define PCPU_TEST_SWITCH(name, desc)					\
	static bool name;						\
	module_param(name, bool, 0444);					\
	MODULE_PARM_DESC(name, "TEST ONLY negative control: " desc);	\
	int pcpu_##name(void)						\
	{								\
		return name;						\
	}
#else
#define PCPU_TEST_SWITCH(name, desc)					\
	int pcpu_##name(void)						\
	{								\
		BUILD_BUG_ON(sizeof(desc) < 2); /* described */	\
		return 0;						\
	}
#endif

PCPU_TEST_SWITCH(test_leak_page, "keep one backing page at unload (the unload check must WARN)")
PCPU_TEST_SWITCH(test_no_kmemleak, "populated pages are not registered with kmemleak")
PCPU_TEST_SWITCH(test_unsafe_gfp, "allocate with GFP_KERNEL under the mutex")
PCPU_TEST_SWITCH(test_mempool_wait, "constrained mempool callers sleep waiting for the refill")

#ifdef PCPUPOOL_TEST
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/slab.h>

/*
 * debugfs "kmemleak_probe" (test builds): 1 keeps a kmalloc'd object whose
 * only reference sits in the first possible CPU's copy of a pcpupool
 * allocation, 0 frees both.  A kmemleak scan while it is set must not
 * report the object (populated pages are registered and scanned, as
 * mm/percpu.c registers its areas); with test_no_kmemleak=1 it must.
 */
DEFINE_PCPUPOOL_TYPE(probe_ref_pcpu, void *);
static struct probe_ref_pcpu probe_ref;
static DEFINE_MUTEX(probe_lock);

static noinline void *pcpu_kmemleak_probe_object(void)
{
	return kmalloc(128, GFP_KERNEL);
}

static void probe_free_locked(void)
{
	if (pcpupool_is_null(probe_ref))
		return;
	kfree(*pcpupool_ptr(probe_ref, cpumask_first(cpu_possible_mask)));
	pcpupool_free(probe_ref);
	probe_ref = pcpupool_null(struct probe_ref_pcpu);
}

static int pcpu_kmemleak_probe_set(void *data, u64 val)
{
	void **slot;
	int ret = 0;

	if (val > 1)
		return -EINVAL;
	mutex_lock(&probe_lock);
	if (!val) {
		probe_free_locked();
	} else if (pcpupool_is_null(probe_ref)) {
		probe_ref = pcpupool_new(struct probe_ref_pcpu, GFP_KERNEL);
		if (!pcpupool_is_null(probe_ref)) {
			slot = pcpupool_ptr(probe_ref, cpumask_first(cpu_possible_mask));
			*slot = pcpu_kmemleak_probe_object();
			if (!*slot) {
				pcpupool_free(probe_ref);
				probe_ref = pcpupool_null(struct probe_ref_pcpu);
			}
		}
		if (pcpupool_is_null(probe_ref))
			ret = -ENOMEM;
	}
	mutex_unlock(&probe_lock);
	return ret;
}
DEFINE_DEBUGFS_ATTRIBUTE(probe_fops, NULL, pcpu_kmemleak_probe_set, "%llu\n");

void pcpu_test_debugfs_init(void)
{
	debugfs_create_file_unsafe("kmemleak_probe", 0200, pcpu_debugfs_root(), NULL,
				   &probe_fops);
}

void pcpu_test_debugfs_exit(void)
{
	mutex_lock(&probe_lock);
	probe_free_locked();
	mutex_unlock(&probe_lock);
}

/* Test-only instrumentation: the KUnit module installs a recorder. */
static pcpu_alloc_recorder_fn pcpu_recorder;
static atomic_t pcpu_fail_next[PCPU_SITE_NR];
static atomic_t pcpu_fail_skip[PCPU_SITE_NR];

void pcpupool_test_set_recorder(pcpu_alloc_recorder_fn fn)
{
	WRITE_ONCE(pcpu_recorder, fn);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(pcpupool_test_set_recorder);

/* Set once any fault is armed: until then the core skips the call. */
int pcpu_fault_armed;

void pcpupool_test_fail_next(enum pcpu_alloc_site site, int nr)
{
	if (nr)
		WRITE_ONCE(pcpu_fault_armed, 1);
	atomic_set(&pcpu_fail_skip[site], 0);
	atomic_set(&pcpu_fail_next[site], nr);
}
EXPORT_SYMBOL_GPL(pcpupool_test_fail_next);

/* Let @nth - 1 allocations at @site succeed, then fail one (0 disarms). */
void pcpupool_test_fail_nth(enum pcpu_alloc_site site, int nth)
{
	if (nth)
		WRITE_ONCE(pcpu_fault_armed, 1);
	atomic_set(&pcpu_fail_next[site], 0);
	atomic_set(&pcpu_fail_skip[site], nth > 0 ? nth - 1 : 0);
	atomic_set(&pcpu_fail_next[site], nth > 0);
}
EXPORT_SYMBOL_GPL(pcpupool_test_fail_nth);

void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp,
		       int mutex_held)
{
	pcpu_alloc_recorder_fn fn;

	rcu_read_lock();
	fn = READ_ONCE(pcpu_recorder);
	if (fn)
		fn(site, gfp, mutex_held);
	rcu_read_unlock();
}

int pcpu_fault_should_fail(enum pcpu_alloc_site site)
{
	if (!atomic_read(&pcpu_fail_next[site]))
		return 0;
	if (atomic_add_unless(&pcpu_fail_skip[site], -1, 0))
		return 0;
	return atomic_add_unless(&pcpu_fail_next[site], -1, 0);
}

const char *pcpupool_test_check(void)
{
	return pcpu_api_test_check();
}
EXPORT_SYMBOL_GPL(pcpupool_test_check);

/*
 * Renders the debugfs views (stats, chunks, cache) into a scratch buffer,
 * as reads of the files would.  Returns the bytes rendered, -ENOMEM, or
 * -EFBIG if a view did not fit in 4 MiB.
 */
long pcpupool_test_render_views(void)
{
	static const char *const views[] = { "stats", "chunks", "cache" };
	struct seq_file m = { .size = 4 << 20 };
	long n = 0;
	int i;

	m.buf = kvmalloc(m.size, GFP_KERNEL);
	if (!m.buf)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(views); i++) {
		m.count = 0;
		pcpu_api_test_show(views[i], &m);
		if (seq_has_overflowed(&m)) {
			n = -EFBIG;
			break;
		}
		n += m.count;
	}
	kvfree(m.buf);
	return n;
}
EXPORT_SYMBOL_GPL(pcpupool_test_render_views);

void pcpupool_test_irqoff_measure(int on)
{
	pcpu_irqoff_measure(on);
}
EXPORT_SYMBOL_GPL(pcpupool_test_irqoff_measure);

unsigned long long pcpupool_test_irqoff_max(void **site, unsigned int *walks)
{
	return pcpu_irqoff_max(site, walks);
}
EXPORT_SYMBOL_GPL(pcpupool_test_irqoff_max);

void pcpupool_test_whole_walk(int on)
{
	pcpu_api_test_whole_walk(on);
}
EXPORT_SYMBOL_GPL(pcpupool_test_whole_walk);

void pcpupool_test_flush_balance(void)
{
	pcpu_api_test_flush_balance();
}
EXPORT_SYMBOL_GPL(pcpupool_test_flush_balance);

int pcpupool_test_set_watermarks(unsigned int low, unsigned int high,
				 unsigned int cap)
{
	return pcpu_api_test_set_watermarks(low, high, cap);
}
EXPORT_SYMBOL_GPL(pcpupool_test_set_watermarks);

void pcpupool_test_hold_mutex(int hold)
{
	pcpu_api_test_hold_mutex(hold);
}
EXPORT_SYMBOL_GPL(pcpupool_test_hold_mutex);

void pcpupool_test_mempool_flush(struct pcpupool_mempool *pool)
{
	pcpu_api_test_mempool_flush(pool);
}
EXPORT_SYMBOL_GPL(pcpupool_test_mempool_flush);

int pcpupool_test_kasan_oob(void)
{
	return pcpu_api_test_kasan_oob();
}
EXPORT_SYMBOL_GPL(pcpupool_test_kasan_oob);

void pcpupool_test_drain_caches(void)
{
	pcpu_api_test_drain_caches();
}
EXPORT_SYMBOL_GPL(pcpupool_test_drain_caches);

void pcpupool_test_set_caching(int on)
{
	pcpu_api_test_set_caching(on);
}
EXPORT_SYMBOL_GPL(pcpupool_test_set_caching);

unsigned long long pcpupool_test_cached_objects(void)
{
	return pcpu_api_test_cached_objects();
}
EXPORT_SYMBOL_GPL(pcpupool_test_cached_objects);

void pcpupool_test_count_locks(int on)
{
	pcpu_api_test_count_locks(on);
}
EXPORT_SYMBOL_GPL(pcpupool_test_count_locks);

unsigned long long pcpupool_test_lock_count(void)
{
	return pcpu_api_test_lock_count();
}
EXPORT_SYMBOL_GPL(pcpupool_test_lock_count);
#else
void pcpu_test_debugfs_init(void)
{
}

void pcpu_test_debugfs_exit(void)
{
}


void pcpu_record_alloc(enum pcpu_alloc_site site, unsigned int gfp,
		       int mutex_held)
{
}

int pcpu_fault_should_fail(enum pcpu_alloc_site site)
{
	return 0;
}

int pcpu_fault_armed;	/* stays 0 */
#endif

static int __init pcpupool_init(void)
{
	int ret, cpu;

	if (unit_size < 32 * 1024 || unit_size > 16 * 1024 * 1024 ||
	    unit_size % PAGE_SIZE) {
		pr_err("pcpupool: unit_size=%u invalid: a multiple of %lu in 32 KiB..16 MiB\n",
		       unit_size, PAGE_SIZE);
		return -EINVAL;
	}
	ret = pcpu_vm_init();
	if (ret)
		return ret;
	ret = pcpu_wq_init();
	if (ret)
		goto err_vm;
	ret = pcpu_fail_init();
	if (ret)
		goto err_work;
	ret = pcpupool_core_init(unit_size);
	if (ret)
		goto err_debugfs;
	for_each_possible_cpu(cpu)
		per_cpu(pcpupool_this_unit_off, cpu) = pcpupool_unit_off[cpu];
	/* Files appear only once the core they show is ready. */
	pcpupool_core_debugfs_init();
	pcpu_test_debugfs_init();
	pr_info("pcpupool: loaded, unit_size %u, %u units\n", unit_size,
		nr_cpu_ids);
	return 0;
err_debugfs:
	pcpu_debugfs_exit();
	pcpu_fail_exit();
err_work:
	pcpu_wq_exit();
err_vm:
	pcpu_vm_exit();
	return ret;
}

static void __exit pcpupool_exit(void)
{
	/* Debugfs-made objects, then the tree, then the core (core_api.h). */
	pcpu_test_debugfs_exit();
	pcpupool_core_debugfs_exit();
	pcpu_debugfs_exit();
	pcpu_fail_exit();
	pcpupool_core_exit();
	/*
	 * Every backing page came back (kmemleak tracks no page allocation).
	 * Negative control: one page allocated and kept, the check must fire.
	 */
	if (pcpu_test_leak_page())
		pcpu_page_alloc(first_online_node, (__force unsigned int)GFP_KERNEL);
	WARN(pcpu_pages_outstanding(), "pcpupool: %ld backing pages not freed at unload\n",
	     pcpu_pages_outstanding());
	pcpu_wq_exit();
	pcpu_vm_exit();
}

module_init(pcpupool_init);
module_exit(pcpupool_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcpupool: a percpu allocator IO paths can call");
