// SPDX-License-Identifier: GPL-2.0
//
// port_cxx.h - the C++ spelling of the attributes port.h puts on its
// declarations (C uses the kernel's __printf/__noreturn).  Included by
// port.h under __cplusplus only.
#pragma once

#define PCPU_PRINTF(fmt, args) [[gnu::format(printf, fmt, args)]]
// pcpu_bug() does not return, but C++ callers follow it with
// __builtin_trap() instead of relying on the attribute: older objtool
// (6.1) does not know the function and would see a fall-through.
#define PCPU_NORETURN
