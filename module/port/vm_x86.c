// SPDX-License-Identifier: GPL-2.0
/*
 * vm_x86.c - port: a chunk's virtual range in the vmalloc area, and mapping
 * single pages into it, using only symbols the stock kernel exports.
 *
 * 6.12 exports neither get_vm_area() nor init_mm, so the range cannot be
 * reserved empty and filled with apply_to_page_range().  Instead:
 *
 *  - reserve: vmap() one zeroed placeholder page repeated over the whole
 *    range with PAGE_NONE.  vmap() allocates the vm area and every page
 *    table of the range now, in the caller's (memalloc-scoped) context;
 *    the PTEs are PROT_NONE, so any access to an unpopulated page faults
 *    exactly as an unmapped one would.
 *  - populate: find the PTE with the exported x86 lookup_address() and
 *    rewrite it to the backing page with PAGE_KERNEL.  A not-present to
 *    present change needs no TLB flush on x86 (no negative caching).
 *  - depopulate: restore the PROT_NONE placeholder PTE, then flush every
 *    CPU's TLB by IPI before the page is freed.  The flush is the expensive
 *    part; callers unmap a batch and flush once.
 *  - release: vunmap() the range; every PTE is the placeholder by then.
 *
 * vmap() uses PAGE_SHIFT mappings only, so every page of the range has its
 * own PTE.  Sleepable context only (reserve/release/flush); map/unmap run
 * under the allocator mutex.  This is the only x86-specific file.
 *
 * Unlike the rest of the port, this file carries policy: the mapping scheme
 * above is a design decision, kept here because it is made of x86 page
 * table operations the C++ core cannot express.  What to populate, when
 * to flush and how to batch stays in the core (allocator.cpp).
 */
#include <linux/gfp.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include "port.h"
#include "port_internal.h"

static struct page *pcpu_placeholder;

int pcpu_vm_init(void)
{
	pcpu_placeholder = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return pcpu_placeholder ? 0 : -ENOMEM;
}

void pcpu_vm_exit(void)
{
	if (pcpu_placeholder)
		__free_page(pcpu_placeholder);
	pcpu_placeholder = NULL;
}

void *pcpu_vm_reserve(unsigned long bytes, unsigned int gfp)
{
	unsigned int nr = bytes >> PAGE_SHIFT, i;
	struct page **pages;
	void *base;

	if (pcpu_fault_should_fail(PCPU_SITE_PAGES_ARRAY))
		return NULL;
	pcpu_record_alloc(PCPU_SITE_PAGES_ARRAY, gfp, pcpu_core_alloc_mutex_held());
	pcpu_io_reclaim_might_gfp(gfp);
	pages = kvmalloc_array(nr, sizeof(*pages), (__force gfp_t)gfp);
	if (!pages)
		return NULL;
	for (i = 0; i < nr; i++)
		pages[i] = pcpu_placeholder;
	/*
	 * vmap() allocates the vm_struct, the vmap_area and the page tables
	 * with GFP_KERNEL; the caller's memalloc scope (module/memalloc.h)
	 * narrows them.  Report the gfp those allocations really get.
	 */
	if (pcpu_fault_should_fail(PCPU_SITE_VM_RANGE)) {
		base = NULL;
	} else {
		pcpu_record_alloc(PCPU_SITE_VM_RANGE,
				  (__force unsigned int)current_gfp_context(GFP_KERNEL),
				  pcpu_core_alloc_mutex_held());
		pcpu_io_reclaim_might_gfp((__force unsigned int)GFP_KERNEL);
		base = vmap(pages, nr, VM_MAP, PAGE_NONE);
	}
	kvfree(pages);
	return base;
}

void pcpu_vm_release(void *base)
{
	vunmap(base);
}

static pte_t *pcpu_vm_pte(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	if (WARN_ON_ONCE(!pte || level != PG_LEVEL_4K))
		return NULL;
	return pte;
}

int pcpu_vm_map_page(unsigned long addr, void *pagep)
{
	struct page *page = pagep;
	pte_t *pte = pcpu_vm_pte(addr);

	if (pcpu_fault_should_fail(PCPU_SITE_MAP))
		return -ENOMEM;
	if (!pte)
		return -EFAULT;
	if (WARN_ON_ONCE(pte_page(*pte) != pcpu_placeholder))
		return -EBUSY;
	set_pte(pte, mk_pte(page, PAGE_KERNEL));
	/*
	 * kmemleak neither tracks nor scans vmap()ed pages: register each
	 * populated page as an object that is scanned (pointers to slab
	 * objects kept in percpu memory count as references) and never
	 * reported itself (min_count 0), as mm/percpu.c does with
	 * kmemleak_alloc_percpu().  The mutex is held: NOIO.
	 */
	if (!pcpu_test_no_kmemleak())
		kmemleak_alloc((void *)addr, PAGE_SIZE, 0, GFP_NOIO | __GFP_NOWARN);
	return 0;
}

static_assert(sizeof(struct pcpu_page_list) == sizeof(struct list_head));

void pcpu_page_list_init(struct pcpu_page_list *l)
{
	INIT_LIST_HEAD((struct list_head *)l);
}

int pcpu_vm_unmap_page(unsigned long addr, struct pcpu_page_list *l)
{
	pte_t *pte = pcpu_vm_pte(addr);
	struct page *page;

	if (!pte)
		return -EFAULT;
	page = pte_page(*pte);
	if (WARN_ON_ONCE(page == pcpu_placeholder))
		return -ENOENT;
	if (!pcpu_test_no_kmemleak())
		kmemleak_free((void *)addr);
	set_pte(pte, mk_pte(pcpu_placeholder, PAGE_NONE));
	list_add(&page->lru, (struct list_head *)l);
	return 0;
}

unsigned long pcpu_page_list_free(struct pcpu_page_list *l)
{
	struct page *page, *tmp;
	unsigned long nr = 0;

	list_for_each_entry_safe(page, tmp, (struct list_head *)l, lru) {
		list_del(&page->lru);
		__free_page(page);
		nr++;
	}
	pcpu_page_freed(nr);
	return nr;
}

static void pcpu_vm_flush_local(void *unused)
{
	__flush_tlb_all();
}

void pcpu_vm_flush_tlb_all(void)
{
	on_each_cpu(pcpu_vm_flush_local, NULL, 1);
}
