// SPDX-License-Identifier: GPL-2.0
//
// rt.cpp - the freestanding C++ runtime (see rt.h for the policy).
#include "rt.h"

// Every core allocation from the slab is reported to the test builds'
// recorder with whether the allocator mutex is held (port.h).
static void* core_kmalloc(__SIZE_TYPE__ bytes, pcp::Gfp gfp)
{
	pcpu_record_alloc(PCPU_SITE_META, gfp.raw(), pcpu_core_alloc_mutex_held());
	return pcpu_kmalloc(bytes, gfp.raw());
}

void* operator new(__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept { return core_kmalloc(bytes, gfp); }

void* operator new[](__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept
{
	return core_kmalloc(bytes, gfp);
}

void operator delete(void* p) noexcept { pcpu_kfree(p); }
void operator delete[](void* p) noexcept { pcpu_kfree(p); }
void operator delete(void* p, __SIZE_TYPE__) noexcept { pcpu_kfree(p); }
void operator delete[](void* p, __SIZE_TYPE__) noexcept { pcpu_kfree(p); }
void operator delete(void* p, pcp::Gfp) noexcept { pcpu_kfree(p); }
void operator delete[](void* p, pcp::Gfp) noexcept { pcpu_kfree(p); }

extern "C" void __cxa_pure_virtual()
{
	pcpu_bug("pure virtual call");
	__builtin_trap();
}
