// SPDX-License-Identifier: GPL-2.0
//
// thread_safety.h - which lock guards which field, said to the compiler.
//
// Clang's thread-safety analysis (-Wthread-safety, an error in the clang
// host builds: kunit/host/host.mk) checks these annotations; under gcc,
// which builds the kernel module, they are empty.  The rules they encode:
//
//  - SpinLock and Mutex (sync.h) are capabilities; their guards acquire in
//    the constructor and release in the destructor or unlock().
//  - A field written under a lock is PCPU_GUARDED_BY(that lock).  A field
//    that is also read or written without the lock (a racy hint, an atomic
//    flag) is typed or accessed as shared instead, and says so where it is
//    declared.
//  - A helper that runs with a lock held is named ..._locked() and is
//    PCPU_REQUIRES(that lock); it may assert it (assert_held()) for
//    lockdep on top.
//  - Code the analysis cannot follow (a lambda run under a lock by its
//    caller, a lock taken through a raw port call) is marked
//    PCPU_NO_THREAD_SAFETY_ANALYSIS with the reason beside it.
#pragma once

#if defined(__clang__)
#define PCPU_TSA(x) __attribute__((x))
#else
#define PCPU_TSA(x)
#endif

#define PCPU_CAPABILITY(name) PCPU_TSA(capability(name))
#define PCPU_SCOPED_CAPABILITY PCPU_TSA(scoped_lockable)
#define PCPU_GUARDED_BY(x) PCPU_TSA(guarded_by(x))
#define PCPU_PT_GUARDED_BY(x) PCPU_TSA(pt_guarded_by(x))
#define PCPU_REQUIRES(...) PCPU_TSA(requires_capability(__VA_ARGS__))
#define PCPU_ACQUIRE(...) PCPU_TSA(acquire_capability(__VA_ARGS__))
#define PCPU_RELEASE(...) PCPU_TSA(release_capability(__VA_ARGS__))
#define PCPU_ASSERT_CAPABILITY(x) PCPU_TSA(assert_capability(x))
#define PCPU_EXCLUDES(...) PCPU_TSA(locks_excluded(__VA_ARGS__))
#define PCPU_NO_THREAD_SAFETY_ANALYSIS PCPU_TSA(no_thread_safety_analysis)
