// SPDX-License-Identifier: GPL-2.0
//
// sync.h - RAII for every scope the core opens: spinlocks, mutexes,
// preemption, IRQ and RCU read-side sections.
//
// The lock objects are stored inline, where their data is: a SpinLock or
// Mutex is the kernel's spinlock_t or struct mutex, in storage of the size
// and alignment the configured kernel gives it (pcpupool_layout.h, generated
// at build time by module/port/layout.c; the host build has its own).  The
// port initializes it (init(), which cannot fail; Mutex::destroy() for
// mutex debugging) and is handed a pointer to it.
// Guards are scoped: they cannot be copied, moved or released early except
// through the explicit unlock() where a function must drop a lock mid-way.
#pragma once

#include "atomic.h"
#include "pcpupool_layout.h"
#include "thread_safety.h"
#include "types.h"

namespace pcp {

class PCPU_CAPABILITY("spinlock") SpinLock {
public:
	constexpr SpinLock() = default;
	// Trivially destructible so that it can live in a constinit global
	// (static destructors never run in a module): owners call destroy().
	PCPU_NO_COPY_NO_MOVE(SpinLock);

	void init(pcpu_lock_class cls) { pcpu_spin_init(raw(), cls); }
	void assert_held() const PCPU_ASSERT_CAPABILITY(this) { pcpu_assert_spin_held(raw()); }
	void* raw() const { return storage_; }

private:
	// spinlock_t; mutable: taking a lock changes it, observing the
	// object does not.
	alignas(PCPU_SPINLOCK_ALIGN) mutable unsigned char storage_[PCPU_SPINLOCK_SIZE] = {};
};

// spin_lock_irqsave: usable from any context, hardirq included.
class PCPU_SCOPED_CAPABILITY SpinIrqGuard {
public:
	PCPU_ALWAYS_INLINE explicit SpinIrqGuard(SpinLock& l) PCPU_ACQUIRE(l) : lock_(&l)
	{
		flags_ = pcpu_spin_lock_irqsave(l.raw());
	}
	PCPU_ALWAYS_INLINE ~SpinIrqGuard() PCPU_RELEASE()
	{
		if (lock_)
			pcpu_spin_unlock_irqrestore(lock_->raw(), flags_);
	}
	void unlock() PCPU_RELEASE()
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
class PCPU_SCOPED_CAPABILITY SpinGuard {
public:
	explicit SpinGuard(SpinLock& l) PCPU_ACQUIRE(l) : lock_(&l) { pcpu_spin_lock(l.raw()); }
	~SpinGuard() PCPU_RELEASE() { pcpu_spin_unlock(lock_->raw()); }
	PCPU_NO_COPY_NO_MOVE(SpinGuard);

private:
	SpinLock* lock_;
};

class PCPU_CAPABILITY("mutex") Mutex {
public:
	constexpr Mutex() = default;
	// Trivially destructible, like SpinLock: owners call destroy().
	PCPU_NO_COPY_NO_MOVE(Mutex);

	void init(pcpu_lock_class cls) { pcpu_mutex_init(raw(), cls); }
	void destroy() { pcpu_mutex_destroy(raw()); }
	void assert_held() const PCPU_ASSERT_CAPABILITY(this) { pcpu_assert_mutex_held(raw()); }
	void* raw() const { return storage_; }
	// Whether the calling task holds it through a MutexGuard (the
	// allocation recorder asks; lockdep is not on every test kernel).
	bool held_by_current() const { return owner_.load(mo::relaxed) == pcpu_current(); }

private:
	friend class MutexGuard;
	alignas(PCPU_MUTEX_ALIGN) mutable unsigned char storage_[PCPU_MUTEX_SIZE] = {};
	Atomic<void*> owner_; // the guard's task while held, else nullptr
};

// A held mutex.  Killable guards may fail to take it: check held() (the
// analysis assumes it was taken: the caller returns when it was not).
class PCPU_SCOPED_CAPABILITY MutexGuard {
public:
	enum class Wait { uninterruptible, killable };

	MutexGuard(Mutex& m, Wait wait) PCPU_ACQUIRE(m) : mutex_(&m)
	{
		if (wait == Wait::uninterruptible)
			pcpu_mutex_lock(m.raw());
		else if (pcpu_mutex_lock_killable(m.raw()))
			mutex_ = nullptr;
		if (mutex_)
			m.owner_.store(pcpu_current(), mo::relaxed);
	}
	explicit MutexGuard(Mutex& m) PCPU_ACQUIRE(m) : MutexGuard(m, Wait::uninterruptible) {}
	~MutexGuard() PCPU_RELEASE()
	{
		if (mutex_) {
			mutex_->owner_.store(nullptr, mo::relaxed);
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
