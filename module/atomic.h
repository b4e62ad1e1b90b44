// SPDX-License-Identifier: GPL-2.0
//
// atomic.h - fields shared between CPUs, typed as shared.
//
// A field that is read or written by one CPU while another may write it
// without a common lock is an Atomic<T>: every access names its memory
// order, and a plain access does not compile.  The orders the core uses:
//
//  relaxed  counters and hints: a stale or torn-in-time value is harmless
//           (statistics, the exhausted mask, kick flags, tags checked by
//           cmpxchg), or the field has a single writer (a CPU's own cache
//           counters, read by others for statistics).
//  acquire/release  publication: the RCU chunk index pointer (written
//           release after the index is filled, read acquire before it is
//           searched), a magazine's state word.
//
// Atomic<T> has the size and alignment of T (static_asserts below), so an
// array of them can be laid over memory allocated as T (the chunk's tag and
// class bytes).  load_shared()/store_shared() are the same operations on
// memory the core does not own as a field: a C global of the port, or a
// user's object zeroed with word stores that the compiler must not turn
// into a memset() call.
#pragma once

#include "types.h"

namespace pcp {

namespace mo {
constexpr int relaxed = __ATOMIC_RELAXED;
constexpr int acquire = __ATOMIC_ACQUIRE;
constexpr int release = __ATOMIC_RELEASE;
constexpr int acq_rel = __ATOMIC_ACQ_REL;
} // namespace mo

template <typename T>
class Atomic {
public:
	constexpr Atomic() = default;
	constexpr Atomic(T v) : v_(v) {}
	PCPU_NO_COPY_NO_MOVE(Atomic);

	PCPU_ALWAYS_INLINE T load(int order) const { return __atomic_load_n(&v_, order); }
	PCPU_ALWAYS_INLINE void store(T v, int order) { __atomic_store_n(&v_, v, order); }
	PCPU_ALWAYS_INLINE T exchange(T v, int order) { return __atomic_exchange_n(&v_, v, order); }
	// Strong compare-and-exchange; on failure @expected is the value seen.
	PCPU_ALWAYS_INLINE bool cmpxchg(T& expected, T desired, int ok, int fail)
	{
		return __atomic_compare_exchange_n(&v_, &expected, desired, false, ok, fail);
	}
	PCPU_ALWAYS_INLINE T fetch_add(T v, int order) { return __atomic_fetch_add(&v_, v, order); }
	PCPU_ALWAYS_INLINE T fetch_and(T v, int order) { return __atomic_fetch_and(&v_, v, order); }
	PCPU_ALWAYS_INLINE T fetch_or(T v, int order) { return __atomic_fetch_or(&v_, v, order); }
	// A single writer's increment: a plain read-modify-write published
	// with one relaxed store (no locked instruction), for per-CPU counters
	// that only their own CPU writes, with IRQs off.
	PCPU_ALWAYS_INLINE void add_single_writer(T v)
	{
		__atomic_store_n(&v_, __atomic_load_n(&v_, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
	}

private:
	T v_{};
};

static_assert(sizeof(Atomic<u8>) == 1 && alignof(Atomic<u8>) == 1);
static_assert(sizeof(Atomic<u64>) == 8 && alignof(Atomic<u64>) == alignof(u64));

template <typename T>
PCPU_ALWAYS_INLINE T load_shared(const T* p, int order)
{
	return __atomic_load_n(p, order);
}

template <typename T>
PCPU_ALWAYS_INLINE void store_shared(T* p, T v, int order)
{
	__atomic_store_n(p, v, order);
}

} // namespace pcp
