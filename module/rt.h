// SPDX-License-Identifier: GPL-2.0
//
// rt.h - the freestanding C++ runtime of pcpupool.
//
// Policy:
//  - allocation: `new (gfp) T(...)` and `new (gfp) T[n]` only.  They take a
//    Gfp, return nullptr on failure (noexcept allocation functions make g++
//    check the result before constructing), and never throw.  The plain
//    forms are declared deleted-by-absence: using them fails to link.
//    `delete p` returns memory to the slab.
//  - global constructors are forbidden: the build rejects any object with
//    .init_array/.ctors (Kbuild), because they run only on kernels with
//    CONFIG_CONSTRUCTORS.  Globals are constinit or set up in module init.
//  - static destructors never run in a module; -fno-use-cxa-atexit makes a
//    function-local static with a destructor fail to link.
//  - __cxa_pure_virtual BUG()s.
#pragma once

#include "gfp.h"

void* operator new(__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept;
void* operator new[](__SIZE_TYPE__ bytes, pcp::Gfp gfp) noexcept;
void operator delete(void* p) noexcept;
void operator delete[](void* p) noexcept;
void operator delete(void* p, __SIZE_TYPE__) noexcept;
void operator delete[](void* p, __SIZE_TYPE__) noexcept;
// Matching placement-delete, used only if a constructor could throw (never).
void operator delete(void* p, pcp::Gfp) noexcept;
void operator delete[](void* p, pcp::Gfp) noexcept;

extern "C" void __cxa_pure_virtual();
