// SPDX-License-Identifier: GPL-2.0
//
// rt.cpp - the freestanding C++ runtime (see rt.h for the policy).
#include "rt.h"

// Every core allocation is reported to the test builds' recorder with
// whether the allocator mutex is held (port.h).  kvmalloc, as Linux's
// pcpu_mem_zalloc: a chunk's metadata grows with the unit (a 16 MiB unit
// has 2 MiB of tags and 512 KiB of bitmap), which kmalloc would serve only
// as high-order pages, and __GFP_NOFAIL must not ask for those.  kvmalloc
// honours the caller's NOIO/NOFS and NOFAIL and falls back to kmalloc for
// small sizes and non-blocking gfp.
static void* core_kmalloc(__SIZE_TYPE__ bytes, pcp::Gfp gfp)
{
	pcpu_record_alloc(PCPU_SITE_META, gfp.raw(), pcpu_core_alloc_mutex_held());
	return pcpu_kvmalloc(bytes, gfp.raw());
}

void* operator new(__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept { return core_kmalloc(bytes, gfp); }

void* operator new[](__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept
{
	return core_kmalloc(bytes, gfp);
}

void operator delete(void* p) noexcept { pcpu_kvfree(p); }
void operator delete[](void* p) noexcept { pcpu_kvfree(p); }
void operator delete(void* p, __SIZE_TYPE__) noexcept { pcpu_kvfree(p); }
void operator delete[](void* p, __SIZE_TYPE__) noexcept { pcpu_kvfree(p); }
void operator delete(void* p, pcp::Gfp) noexcept { pcpu_kvfree(p); }
void operator delete[](void* p, pcp::Gfp) noexcept { pcpu_kvfree(p); }

extern "C" void __cxa_pure_virtual()
{
	pcpu_bug("pure virtual call");
	__builtin_trap();
}
