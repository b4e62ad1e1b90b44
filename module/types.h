// SPDX-License-Identifier: GPL-2.0
//
// types.h - the C++ core's vocabulary: fixed-width integers, placement new,
// small utilities.  No libstdc++ header is used anywhere in the core: the
// kernel builds with -nostdinc and libstdc++'s "freestanding" headers still
// reach into glibc.  What the core needs is small enough to own.
#pragma once

#include "port/port.h"

namespace pcp {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using i32 = __INT32_TYPE__;
using i64 = __INT64_TYPE__;
using usize = __SIZE_TYPE__;
using uptr = __UINTPTR_TYPE__;

static_assert(sizeof(uptr) == sizeof(unsigned long), "the port passes addresses as unsigned long");

template <typename T>
constexpr T min(T a, T b)
{
	return a < b ? a : b;
}
template <typename T>
constexpr T max(T a, T b)
{
	return a > b ? a : b;
}
template <typename T>
constexpr T align_up(T v, T a)
{
	return (v + a - 1) & ~(a - 1);
}
template <typename T>
constexpr T align_down(T v, T a)
{
	return v & ~(a - 1);
}
template <typename T>
constexpr bool is_pow2(T v)
{
	return v && !(v & (v - 1));
}
template <typename T>
constexpr T div_round_up(T a, T b)
{
	return (a + b - 1) / b;
}

// The kernel's error numbers the core returns, from the port (port.h,
// checked against the kernel's at build time by mem.c).
constexpr int kEINTR = PCPU_EINTR;
constexpr int kENOMEM = PCPU_ENOMEM;
constexpr int kEINVAL = PCPU_EINVAL;

// Index of the highest set bit, 1-based (fls(0) == 0), like the kernel's.
constexpr int fls64(u64 v) { return v ? 64 - __builtin_clzll(v) : 0; }

template <typename T>
struct remove_reference {
	using type = T;
};
template <typename T>
struct remove_reference<T&> {
	using type = T;
};
template <typename T>
struct remove_reference<T&&> {
	using type = T;
};
template <typename T>
constexpr typename remove_reference<T>::type&& move(T&& t) noexcept
{
	return static_cast<typename remove_reference<T>::type&&>(t);
}

// Disable copy and move of a class whose identity matters (locks, chunks).
#define PCPU_NO_COPY_NO_MOVE(T)          \
	T(const T&) = delete;            \
	T& operator=(const T&) = delete; \
	T(T&&) = delete;                 \
	T& operator=(T&&) = delete

// A construction step's undo, run when the scope is left unless cancel()
// was called: an object is built step by step, each step followed by its
// Defer, and the last step cancels them all, so a failure undoes exactly
// what was done and a destroy() only ever sees whole objects.
template <typename F>
class Defer {
public:
	explicit Defer(F f) : f_(f) {}
	~Defer()
	{
		if (armed_)
			f_();
	}
	void cancel() { armed_ = false; }
	Defer(const Defer&) = delete;
	Defer& operator=(const Defer&) = delete;

private:
	F f_;
	bool armed_ = true;
};

#define PCPU_LIKELY(x) __builtin_expect(!!(x), 1)
#define PCPU_UNLIKELY(x) __builtin_expect(!!(x), 0)
// The fast paths' helpers: inlined whatever the kernel's -O level (the
// test kernels build -Os, where gcc would call a two-instruction helper),
// as the kernel's own hot paths use __always_inline.
#define PCPU_ALWAYS_INLINE inline __attribute__((__always_inline__))

// Unreachable/invariant failure: BUG() in the kernel.
#define PCPU_BUG_ON(cond)                              \
	do {                                           \
		if (PCPU_UNLIKELY(cond)) {             \
			pcpu_bug(__FILE__ ": " #cond); \
			__builtin_trap();              \
		}                                      \
	} while (0)

// WARN once per call site, with a message.
#define PCPU_WARN_ONCE(cond, ...)                             \
	({                                                    \
		bool __c = !!(cond);                          \
		if (PCPU_UNLIKELY(__c)) {                     \
			static int __once;                    \
			pcpu_warn_once(&__once, __VA_ARGS__); \
		}                                             \
		__c;                                          \
	})

} // namespace pcp

// Placement new: the only form of new without a Gfp (see rt.h).  The
// kernel build is freestanding; a hosted build (kunit/host/) gets it from
// the C++ library.
#if __STDC_HOSTED__
#include <new>
#else
inline void* operator new(__SIZE_TYPE__, void* p) noexcept { return p; }
inline void* operator new[](__SIZE_TYPE__, void* p) noexcept { return p; }
#endif
