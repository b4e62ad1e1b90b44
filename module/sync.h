// SPDX-License-Identifier: GPL-2.0
//
// sync.h - RAII for every scope the core opens: spinlocks, mutexes,
// preemption, IRQ and RCU read-side sections.
//
// The lock objects live in the port (their size depends on lockdep and the
// kernel config); SpinLock/Mutex refer to them, are created by init(),
// which can fail, and are released by their owner's destroy().
// Guards are scoped: they cannot be copied, moved or released early except
// through the explicit unlock() where a function must drop a lock mid-way.
#pragma once

#include "types.h"

namespace pcp {

class SpinLock {
public:
	constexpr SpinLock() = default;
	// Trivially destructible so that it can live in a constinit global
	// (static destructors never run in a module): owners call destroy().
	PCPU_NO_COPY_NO_MOVE(SpinLock);

	[[nodiscard]] bool init(pcpu_lock_class cls)
	{
		lock_ = pcpu_spin_new(cls);
		return lock_ != nullptr;
	}
	void destroy()
	{
		pcpu_spin_delete(lock_);
		lock_ = nullptr;
	}
	void assert_held() const { pcpu_assert_spin_held(lock_); }
	void* raw() const { return lock_; }

private:
	void* lock_ = nullptr;
};

// spin_lock_irqsave: usable from any context, hardirq included.
class SpinIrqGuard {
public:
	PCPU_ALWAYS_INLINE explicit SpinIrqGuard(SpinLock& l) : lock_(&l)
	{
		flags_ = pcpu_spin_lock_irqsave(l.raw());
	}
	PCPU_ALWAYS_INLINE ~SpinIrqGuard()
	{
		if (lock_)
			pcpu_spin_unlock_irqrestore(lock_->raw(), flags_);
	}
	void unlock()
	{
		pcpu_spin_unlock_irqrestore(lock_->raw(), flags_);
		lock_ = nullptr;
	}
	PCPU_NO_COPY_NO_MOVE(SpinIrqGuard);

private:
	SpinLock* lock_;
	unsigned long flags_;
};

// Plain spin_lock: for locks never taken from IRQ context, or always taken
// with IRQs already off.
class SpinGuard {
public:
	explicit SpinGuard(SpinLock& l) : lock_(&l) { pcpu_spin_lock(l.raw()); }
	~SpinGuard() { pcpu_spin_unlock(lock_->raw()); }
	PCPU_NO_COPY_NO_MOVE(SpinGuard);

private:
	SpinLock* lock_;
};

class Mutex {
public:
	constexpr Mutex() = default;
	// Trivially destructible, like SpinLock: owners call destroy().
	PCPU_NO_COPY_NO_MOVE(Mutex);

	[[nodiscard]] bool init(pcpu_lock_class cls)
	{
		mutex_ = pcpu_mutex_new(cls);
		return mutex_ != nullptr;
	}
	void destroy()
	{
		pcpu_mutex_delete(mutex_);
		mutex_ = nullptr;
	}
	void assert_held() const { pcpu_assert_mutex_held(mutex_); }
	void* raw() const { return mutex_; }
	// Whether the calling task holds it through a MutexGuard (the
	// allocation recorder asks; lockdep is not on every test kernel).
	bool held_by_current() const
	{
		return __atomic_load_n(&owner_, __ATOMIC_RELAXED) == pcpu_current();
	}

private:
	friend class MutexGuard;
	void* mutex_ = nullptr;
	void* owner_ = nullptr; // the guard's task while held, else nullptr
};

// A held mutex.  Killable guards may fail to take it: check held().
class MutexGuard {
public:
	enum class Wait { uninterruptible, killable };

	MutexGuard(Mutex& m, Wait wait) : mutex_(&m)
	{
		if (wait == Wait::uninterruptible)
			pcpu_mutex_lock(m.raw());
		else if (pcpu_mutex_lock_killable(m.raw()))
			mutex_ = nullptr;
		if (mutex_)
			__atomic_store_n(&m.owner_, pcpu_current(), __ATOMIC_RELAXED);
	}
	explicit MutexGuard(Mutex& m) : MutexGuard(m, Wait::uninterruptible) {}
	~MutexGuard()
	{
		if (mutex_) {
			__atomic_store_n(&mutex_->owner_, nullptr, __ATOMIC_RELAXED);
			pcpu_mutex_unlock(mutex_->raw());
		}
	}
	[[nodiscard]] bool held() const { return mutex_ != nullptr; }
	PCPU_NO_COPY_NO_MOVE(MutexGuard);

private:
	Mutex* mutex_;
};

class PreemptGuard {
public:
	PreemptGuard() { pcpu_preempt_disable(); }
	~PreemptGuard() { pcpu_preempt_enable(); }
	// Valid while the guard lives.
	int cpu() const { return pcpu_this_cpu(); }
	PCPU_NO_COPY_NO_MOVE(PreemptGuard);
};

// An RCU read-side section: what lock-free readers of RCU-published data
// (the chunk index, allocator.h) hold while they use it.
class RcuReadGuard {
public:
	RcuReadGuard() { pcpu_rcu_read_lock(); }
	~RcuReadGuard() { pcpu_rcu_read_unlock(); }
	PCPU_NO_COPY_NO_MOVE(RcuReadGuard);
};

// IRQs off on this CPU; cpu() is fixed for the guard's life, so it is
// read once, with the save (one port call on the fast path).
class IrqGuard {
public:
	PCPU_ALWAYS_INLINE IrqGuard() : flags_(pcpu_local_irq_save_cpu(&cpu_)) {}
	PCPU_ALWAYS_INLINE ~IrqGuard() { pcpu_local_irq_restore(flags_); }
	int cpu() const { return cpu_; }
	PCPU_NO_COPY_NO_MOVE(IrqGuard);

private:
	unsigned long flags_;
	int cpu_;
};

} // namespace pcp
