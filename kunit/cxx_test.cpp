// SPDX-License-Identifier: GPL-2.0
//
// cxx_test.cpp - KUnit bodies for the C++ runtime and the RAII guards
// (suite pcpupool_runtime, registered in main.c).  Each function gets the
// struct kunit as an opaque pointer and reports through KT_EXPECT.
#include "kt.h"
#include "memalloc.h"
#include "rt.h"
#include "sync.h"

using namespace pcp;

namespace {
struct Obj {
	u64 a = 0x1122334455667788ull;
	u32 b[7] = {1, 2, 3, 4, 5, 6, 7};
};
} // namespace

void cxx_test_new_delete(void* test)
{
	Obj* o = new (Gfp::kernel()) Obj;
	KT_EXPECT(test, o != nullptr, "new(GFP_KERNEL) failed");
	if (!o)
		return;
	KT_EXPECT(test, o->a == 0x1122334455667788ull && o->b[6] == 7, "not constructed");
	delete o;
	u32* arr = new (Gfp::atomic()) u32[100];
	KT_EXPECT(test, arr != nullptr, "new[](GFP_ATOMIC) failed");
	delete[] arr;
}

// Runs with failslab armed for this task (main.c): every slab allocation
// fails, and new must return nullptr without touching it.
void cxx_test_new_fails(void* test)
{
	kt_set_make_it_fail(1);
	Obj* o = new (Gfp::kernel()) Obj;
	Obj* arr = new (Gfp::kernel()) Obj[4];
	kt_set_make_it_fail(0);
	KT_EXPECT(test, o == nullptr, "new returned %px under failslab", o);
	KT_EXPECT(test, arr == nullptr, "new[] returned %px under failslab", arr);
	delete o;
	delete[] arr;
	// And the allocator works again afterwards.
	o = new (Gfp::kernel()) Obj;
	KT_EXPECT(test, o != nullptr, "new failed after failslab");
	delete o;
}

void cxx_test_spin_guard(void* test)
{
	// Stored inline, in the kernel's own size (pcpupool_layout.h).
	static_assert(sizeof(SpinLock) == PCPU_SPINLOCK_SIZE);
	SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	KT_EXPECT(test, lock.raw() == static_cast<void*>(&lock), "lock not inline");
	KT_EXPECT(test, !kt_irqs_disabled(), "irqs off at start");
	{
		SpinIrqGuard g(lock);
		KT_EXPECT(test, kt_irqs_disabled(), "SpinIrqGuard leaves irqs on");
		lock.assert_held();
	}
	KT_EXPECT(test, !kt_irqs_disabled(), "irqs not restored");
	{
		IrqGuard outer;
		{
			SpinIrqGuard g(lock);
		}
		KT_EXPECT(test, kt_irqs_disabled(), "nested guard re-enabled irqs");
	}
	KT_EXPECT(test, !kt_irqs_disabled(), "IrqGuard did not restore");
	{
		SpinIrqGuard g(lock);
		g.unlock();
		KT_EXPECT(test, !kt_irqs_disabled(), "unlock() did not restore");
	}
}

void cxx_test_preempt_guard(void* test)
{
	int base = kt_preempt_count();
	{
		PreemptGuard g;
		KT_EXPECT(test, kt_preempt_count() == base + 1, "count %d", kt_preempt_count());
		int cpu = g.cpu();
		KT_EXPECT(test, cpu >= 0 && cpu < pcpu_nr_cpu_ids(), "cpu %d", cpu);
		{
			PreemptGuard g2;
			KT_EXPECT(test, kt_preempt_count() == base + 2, "nested");
		}
	}
	KT_EXPECT(test, kt_preempt_count() == base, "not restored");
}

void cxx_test_mutex_guard(void* test)
{
	Mutex m;
	m.init(PCPU_LOCK_TEST);
	KT_EXPECT(test, m.raw() == static_cast<void*>(&m), "mutex not inline");
	{
		MutexGuard g(m, MutexGuard::Wait::killable);
		KT_EXPECT(test, g.held(), "killable lock not taken");
		KT_EXPECT(test, pcpu_mutex_is_locked(m.raw()), "not locked");
		m.assert_held();
	}
	KT_EXPECT(test, !pcpu_mutex_is_locked(m.raw()), "not released");
	m.destroy();
}

void cxx_test_noio_scope(void* test)
{
	KT_EXPECT(test, kt_context_may_io() && kt_context_may_fs(), "test starts constrained");
	{
		NoioScope s;
		KT_EXPECT(test, !kt_context_may_io(), "__GFP_IO kept in NoioScope");
		KT_EXPECT(test, !kt_context_may_fs(), "__GFP_FS kept in NoioScope");
		Gfp eff = AllocCtx::from_caller(Gfp::kernel()).effective();
		KT_EXPECT(test, !eff.may_io() && !eff.may_fs() && eff.may_sleep(),
			  "AllocCtx ignores the scope: %x", eff.raw());
	}
	KT_EXPECT(test, kt_context_may_io() && kt_context_may_fs(), "NoioScope not restored");
}

void cxx_test_nofs_scope_nested(void* test)
{
	{
		NofsScope fs;
		KT_EXPECT(test, kt_context_may_io() && !kt_context_may_fs(), "NofsScope");
		{
			NoioScope io;
			KT_EXPECT(test, !kt_context_may_io() && !kt_context_may_fs(), "inner noio");
			{
				NoioScope io2;
				KT_EXPECT(test, !kt_context_may_io(), "double noio");
			}
			KT_EXPECT(test, !kt_context_may_io(), "inner restore dropped outer noio");
		}
		KT_EXPECT(test, kt_context_may_io() && !kt_context_may_fs(),
			  "noio restore lost the outer nofs");
	}
	KT_EXPECT(test, kt_context_may_io() && kt_context_may_fs(), "nofs not restored");
}

void cxx_test_scope_for(void* test)
{
	{
		ScopeFor s(Gfp::nofs());
		KT_EXPECT(test, kt_context_may_io() && !kt_context_may_fs(), "ScopeFor(NOFS)");
	}
	{
		ScopeFor s(Gfp::noio());
		KT_EXPECT(test, !kt_context_may_io() && !kt_context_may_fs(), "ScopeFor(NOIO)");
	}
	{
		ScopeFor s(Gfp::kernel());
		KT_EXPECT(test, kt_context_may_io() && kt_context_may_fs(), "ScopeFor(KERNEL)");
	}
	KT_EXPECT(test, kt_context_may_io() && kt_context_may_fs(), "restored");
	// Under the mutex the context drops FS and IO whatever the caller.
	Gfp m = AllocCtx::from_caller(Gfp::kernel()).under_mutex();
	KT_EXPECT(test, m.may_sleep() && !m.may_io() && !m.may_fs(), "under_mutex %x", m.raw());
}

// Reads one byte past a 13-byte object.  KASAN must catch it: this object
// file is instrumented like the kernel's C (see Kbuild).
int cxx_kasan_oob_read(void)
{
	volatile u8* p = static_cast<u8*>(pcpu_kmalloc(13, pcpu_gfp.kernel));
	if (!p)
		return -1;
	int v = p[13]; // in the slab object, past the 13 bytes asked for
	pcpu_kfree(const_cast<u8*>(p));
	return v;
}
