// SPDX-License-Identifier: GPL-2.0
/*
 * mem.c - port: slab and page allocation, GFP bits, memalloc scopes.
 *
 * Called from any context the gfp allows; nothing here sleeps unless the
 * gfp passed in does.  Every allocation made for the core reports its
 * effective gfp through pcpu_record_alloc() in test builds (see port.h).
 * Every allocation that may enter IO reclaim also tells lockdep so
 * (lockdep.c).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "port.h"
#include "port_internal.h"

/* port.h's error numbers are the kernel's. */
static_assert(PCPU_EINTR == -EINTR && PCPU_ENOMEM == -ENOMEM && PCPU_EINVAL == -EINVAL);

const struct pcpu_gfp_bits pcpu_gfp = {
	.kernel = (__force unsigned int)GFP_KERNEL,
	.nowait = (__force unsigned int)GFP_NOWAIT,
	.atomic = (__force unsigned int)GFP_ATOMIC,
	.noio = (__force unsigned int)GFP_NOIO,
	.nofs = (__force unsigned int)GFP_NOFS,
	.io = (__force unsigned int)__GFP_IO,
	.fs = (__force unsigned int)__GFP_FS,
	.direct_reclaim = (__force unsigned int)__GFP_DIRECT_RECLAIM,
	.nofail = (__force unsigned int)__GFP_NOFAIL,
	.nowarn = (__force unsigned int)__GFP_NOWARN,
	.zero = (__force unsigned int)__GFP_ZERO,
	.norety = (__force unsigned int)__GFP_NORETRY,
	.high = (__force unsigned int)__GFP_HIGH,
	.nomemalloc = (__force unsigned int)__GFP_NOMEMALLOC,
	.account = (__force unsigned int)__GFP_ACCOUNT,
};

/* An allocation with @gfp may enter IO reclaim (lockdep.c). */
static void pcpu_io_reclaim_might(gfp_t gfp)
{
	pcpu_io_reclaim_might_gfp((__force unsigned int)gfp);
}

unsigned int pcpu_current_gfp_context(unsigned int gfp)
{
	return (__force unsigned int)current_gfp_context((__force gfp_t)gfp);
}

unsigned int pcpu_noio_save(void)
{
	return memalloc_noio_save();
}

void pcpu_noio_restore(unsigned int cookie)
{
	memalloc_noio_restore(cookie);
}

unsigned int pcpu_nofs_save(void)
{
	return memalloc_nofs_save();
}

void pcpu_nofs_restore(unsigned int cookie)
{
	memalloc_nofs_restore(cookie);
}

void *pcpu_kmalloc(unsigned long bytes, unsigned int gfp)
{
	pcpu_io_reclaim_might((__force gfp_t)gfp);
	return kmalloc(bytes, (__force gfp_t)gfp);
}

void pcpu_kfree(const void *p)
{
	kfree(p);
}

void *pcpu_kvmalloc(unsigned long bytes, unsigned int gfp)
{
	pcpu_io_reclaim_might((__force gfp_t)gfp);
	return kvmalloc(bytes, (__force gfp_t)gfp);
}

void pcpu_kvfree(const void *p)
{
	kvfree(p);
}

struct pcpu_rcu_obj {
	struct rcu_head rcu;
	unsigned long data[];
};

void *pcpu_rcu_kmalloc(unsigned long bytes, unsigned int gfp)
{
	struct pcpu_rcu_obj *o;

	pcpu_io_reclaim_might((__force gfp_t)gfp);
	o = kmalloc(struct_size(o, data, DIV_ROUND_UP(bytes, sizeof(long))),
		    (__force gfp_t)gfp);
	return o ? o->data : NULL;
}

void pcpu_rcu_kfree(void *p)
{
	struct pcpu_rcu_obj *o;

	if (!p)
		return;
	o = container_of(p, struct pcpu_rcu_obj, data[0]);
	kfree_rcu(o, rcu);
}

/* Backing pages the port handed out and not freed yet: 0 after unload. */
static atomic_long_t pcpu_pages_live = ATOMIC_LONG_INIT(0);

void *pcpu_page_alloc(int node, unsigned int gfp)
{
	struct page *page;

	pcpu_io_reclaim_might((__force gfp_t)gfp);
	page = alloc_pages_node(node, (__force gfp_t)gfp, 0);
	if (page)
		atomic_long_inc(&pcpu_pages_live);
	return page;
}

void pcpu_page_free(void *page)
{
	atomic_long_dec(&pcpu_pages_live);
	__free_page(page);
}

void pcpu_page_freed(unsigned long nr)
{
	atomic_long_sub(nr, &pcpu_pages_live);
}

long pcpu_pages_outstanding(void)
{
	return atomic_long_read(&pcpu_pages_live);
}

void pcpu_memset(void *p, int c, unsigned long bytes)
{
	memset(p, c, bytes);
}

unsigned long pcpu_page_size(void)
{
	return PAGE_SIZE;
}

/* ---- the kernel's percpu memory ---- */
#include <linux/percpu.h>

void *pcpu_kpercpu_alloc(unsigned long bytes, unsigned long align)
{
	pcpu_io_reclaim_might(GFP_KERNEL);
	return (void __force *)__alloc_percpu(bytes, align);
}

void pcpu_kpercpu_free(void *p)
{
	free_percpu((void __percpu __force *)p);
}

void *pcpu_kpercpu_ptr(void *p, int cpu)
{
	return per_cpu_ptr((void __percpu __force *)p, cpu);
}

/* ---- shrinker ---- */
#include <linux/shrinker.h>
#include "compat.h"

struct pcpu_shrinker {
	unsigned long (*count)(void *arg);
	unsigned long (*scan)(void *arg, unsigned long nr);
	void *arg;
#if !PCPU_HAVE_SHRINKER_ALLOC
	struct shrinker s;
#else
	struct shrinker *s;
#endif
};

static struct pcpu_shrinker *pcpu_shrinker_of(struct shrinker *s)
{
#if !PCPU_HAVE_SHRINKER_ALLOC
	return container_of(s, struct pcpu_shrinker, s);
#else
	return s->private_data;
#endif
}

static unsigned long pcpu_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	struct pcpu_shrinker *ps = pcpu_shrinker_of(s);
	unsigned long n = ps->count(ps->arg);

	return n ? n : SHRINK_EMPTY;
}

static unsigned long pcpu_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct pcpu_shrinker *ps = pcpu_shrinker_of(s);

	return ps->scan(ps->arg, sc->nr_to_scan);
}

void *pcpu_shrinker_new(const char *name, unsigned long (*count)(void *arg),
			unsigned long (*scan)(void *arg, unsigned long nr), void *arg)
{
	struct pcpu_shrinker *ps = kzalloc(sizeof(*ps), GFP_KERNEL);

	if (!ps)
		return NULL;
	ps->count = count;
	ps->scan = scan;
	ps->arg = arg;
#if !PCPU_HAVE_SHRINKER_ALLOC
	ps->s.count_objects = pcpu_shrink_count;
	ps->s.scan_objects = pcpu_shrink_scan;
	ps->s.seeks = DEFAULT_SEEKS;
	if (register_shrinker(&ps->s, "%s", name)) {
		kfree(ps);
		return NULL;
	}
#else
	ps->s = shrinker_alloc(0, "%s", name);
	if (!ps->s) {
		kfree(ps);
		return NULL;
	}
	ps->s->count_objects = pcpu_shrink_count;
	ps->s->scan_objects = pcpu_shrink_scan;
	ps->s->private_data = ps;
	shrinker_register(ps->s);
#endif
	return ps;
}

void pcpu_shrinker_delete(void *shrinker)
{
	struct pcpu_shrinker *ps = shrinker;

	if (!ps)
		return;
#if !PCPU_HAVE_SHRINKER_ALLOC
	unregister_shrinker(&ps->s);
#else
	shrinker_free(ps->s);
#endif
	kfree(ps);
}
