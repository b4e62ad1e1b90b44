// SPDX-License-Identifier: GPL-2.0
//
// gfp.h - GFP flags as small strong types.
//
// Gfp is what a caller passed.  AllocCtx is the *effective* constraint of a
// request: current_gfp_context(gfp), taken once at the API entry, so that a
// memalloc_noio/nofs scope is honoured even by code that passed GFP_KERNEL.
// Every internal allocation of the slow path takes an AllocCtx, never a raw
// Gfp, so forgetting the caller's constraint is a compile error.  Under the
// allocator mutex the context is narrowed further to NOIO (UnderMutex()):
// nothing allocated while holding the mutex may recurse into FS/IO reclaim,
// whoever the caller is (seed 003).
#pragma once

#include "types.h"

namespace pcp {

class Gfp {
public:
	constexpr Gfp() : raw_(0) {}
	constexpr explicit Gfp(unsigned int raw) : raw_(raw) {}

	PCPU_ALWAYS_INLINE static Gfp kernel() { return Gfp(pcpu_gfp.kernel); }
	PCPU_ALWAYS_INLINE static Gfp nowait() { return Gfp(pcpu_gfp.nowait); }
	PCPU_ALWAYS_INLINE static Gfp atomic() { return Gfp(pcpu_gfp.atomic); }
	PCPU_ALWAYS_INLINE static Gfp noio() { return Gfp(pcpu_gfp.noio); }
	PCPU_ALWAYS_INLINE static Gfp nofs() { return Gfp(pcpu_gfp.nofs); }

	constexpr unsigned int raw() const { return raw_; }
	PCPU_ALWAYS_INLINE bool may_sleep() const { return raw_ & pcpu_gfp.direct_reclaim; }
	PCPU_ALWAYS_INLINE bool may_io() const { return raw_ & pcpu_gfp.io; }
	PCPU_ALWAYS_INLINE bool may_fs() const { return raw_ & pcpu_gfp.fs; }
	PCPU_ALWAYS_INLINE bool nofail() const { return raw_ & pcpu_gfp.nofail; }
	PCPU_ALWAYS_INLINE bool nowarn() const { return raw_ & pcpu_gfp.nowarn; }
	// Sleepable and free to enter FS and IO reclaim: GFP_KERNEL-like.
	PCPU_ALWAYS_INLINE bool unconstrained() const
	{
		return may_sleep() && may_io() && may_fs();
	}

	PCPU_ALWAYS_INLINE Gfp with(unsigned int bits) const { return Gfp(raw_ | bits); }
	PCPU_ALWAYS_INLINE Gfp without(unsigned int bits) const { return Gfp(raw_ & ~bits); }

private:
	unsigned int raw_;
};

class AllocCtx {
public:
	// The only way to make one: at the API entry, from what the caller
	// passed and the task's memalloc scope.
	static AllocCtx from_caller(Gfp caller)
	{
		return AllocCtx(Gfp(pcpu_current_gfp_context(caller.raw())), caller);
	}
	// The balance/refill workers: sleepable, but they run while IO paths
	// may depend on them, so they never enter FS/IO reclaim either; and
	// __GFP_NORETRY, as Linux's pcpu_balance_workfn: the balance work holds
	// the allocator mutex while it populates, so it must not sit in full
	// direct reclaim (and its retries, or the OOM killer) with every
	// sleepable caller queued behind it.  Populating ahead is an
	// optimisation; a page it cannot get cheaply is left for the next run.
	static AllocCtx worker()
	{
		return AllocCtx(Gfp::noio().with(pcpu_gfp.norety), Gfp::kernel());
	}

	PCPU_ALWAYS_INLINE Gfp effective() const { return eff_; }
	PCPU_ALWAYS_INLINE Gfp caller() const { return caller_; }
	PCPU_ALWAYS_INLINE bool may_sleep() const { return eff_.may_sleep(); }
	PCPU_ALWAYS_INLINE bool nofail() const { return eff_.nofail(); }
	PCPU_ALWAYS_INLINE bool nowarn() const { return eff_.nowarn(); }

	// What allocations made while holding the allocator mutex use: the
	// caller's constraint, further stripped of FS and IO.  NOFAIL is not
	// passed down: one percpu request may need many backing pages and the
	// allocator handles NOFAIL itself (retrying the whole request).
	Gfp under_mutex() const
	{
		return eff_.without(pcpu_gfp.io | pcpu_gfp.fs | pcpu_gfp.nofail)
			.with(pcpu_gfp.nowarn);
	}

private:
	AllocCtx(Gfp eff, Gfp caller) : eff_(eff), caller_(caller) {}
	Gfp eff_;
	Gfp caller_;
};

} // namespace pcp
