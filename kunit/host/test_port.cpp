// SPDX-License-Identifier: GPL-2.0
//
// test_port.cpp - host unit tests of the C++ runtime, the RAII guards and
// the gfp context (suites Runtime, Port): the cases of kunit/cxx_test.cpp,
// and the host port's own checks, each shown to fire (a check that cannot
// fail proves nothing).  Core flags; reports through ht.h.
#include "gfp.h"
#include "ht.h"
#include "memalloc.h"
#include "rt.h"
#include "sync.h"
#include "test_env.h"

using namespace pcp;

namespace {
struct Obj {
	u64 a = 0x1122334455667788ull;
	u32 b[7] = {1, 2, 3, 4, 5, 6, 7};
};

bool may_io() { return pcpu_current_gfp_context(pcpu_gfp.kernel) & pcpu_gfp.io; }
bool may_fs() { return pcpu_current_gfp_context(pcpu_gfp.kernel) & pcpu_gfp.fs; }
} // namespace

HT_CASE(Runtime, NewDelete)
{
	Obj* o = new (Gfp::kernel()) Obj;
	HT_ASSERT(o, "new(GFP_KERNEL) failed");
	HT_EXPECT(o->a == 0x1122334455667788ull && o->b[6] == 7, "not constructed");
	delete o;
	u32* arr = new (Gfp::atomic()) u32[100];
	HT_EXPECT(arr, "new[](GFP_ATOMIC) failed");
	delete[] arr;
}

HT_CASE(Runtime, NewFails)
{
	host_fail_next(HOST_SITE_KMALLOC, 2);
	Obj* o = new (Gfp::kernel()) Obj;
	Obj* arr = new (Gfp::kernel()) Obj[4];
	HT_EXPECT(!o && !arr, "new returned %p/%p under fault injection", (void*)o, (void*)arr);
	delete o;
	delete[] arr;
	o = new (Gfp::kernel()) Obj;
	HT_EXPECT(o, "new failed after the faults");
	delete o;
}

HT_CASE(Runtime, SpinGuard)
{
	SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	HT_EXPECT(!host_atomic(), "atomic at start");
	{
		SpinIrqGuard g(lock);
		HT_EXPECT(host_atomic(), "SpinIrqGuard leaves the CPU preemptible");
		lock.assert_held();
	}
	HT_EXPECT(!host_atomic(), "not restored");
	{
		IrqGuard outer;
		{
			SpinIrqGuard g(lock);
		}
		HT_EXPECT(host_atomic(), "nested guard re-enabled irqs");
	}
	{
		SpinIrqGuard g(lock);
		g.unlock();
		HT_EXPECT(!host_atomic(), "unlock() did not restore");
	}
	HT_EXPECT(env::violations() == 0, "%s", host_last_violation());
}

HT_CASE(Runtime, PreemptGuard)
{
	{
		PreemptGuard g;
		int cpu = g.cpu();
		HT_EXPECT(cpu >= 0 && cpu < pcpu_nr_cpu_ids(), "cpu %d", cpu);
		{
			PreemptGuard g2;
			HT_EXPECT(host_atomic(), "nested");
		}
		HT_EXPECT(host_atomic(), "inner guard ended the outer section");
	}
	HT_EXPECT(!host_atomic(), "not restored");
}

HT_CASE(Runtime, MutexGuard)
{
	Mutex m;
	m.init(PCPU_LOCK_TEST);
	{
		MutexGuard g(m, MutexGuard::Wait::killable);
		HT_EXPECT(g.held(), "killable lock not taken");
		HT_EXPECT(pcpu_mutex_is_locked(m.raw()), "not locked");
		m.assert_held();
	}
	HT_EXPECT(!pcpu_mutex_is_locked(m.raw()), "not released");
	host_set_killed(2);
	{
		MutexGuard g(m, MutexGuard::Wait::killable);
		HT_EXPECT(!g.held(), "a killed task took the mutex killably");
	}
	{
		MutexGuard g(m, MutexGuard::Wait::uninterruptible);
		HT_EXPECT(g.held(), "uninterruptible lock");
	}
	host_set_killed(0);
	m.destroy();
}

HT_CASE(Port, NoioScope)
{
	HT_EXPECT(may_io() && may_fs(), "test starts constrained");
	{
		NoioScope s;
		HT_EXPECT(!may_io() && !may_fs(), "NoioScope keeps IO/FS");
		Gfp eff = AllocCtx::from_caller(Gfp::kernel()).effective();
		HT_EXPECT(!eff.may_io() && !eff.may_fs() && eff.may_sleep(),
			  "AllocCtx ignores the scope: %x", eff.raw());
	}
	HT_EXPECT(may_io() && may_fs(), "NoioScope not restored");
}

HT_CASE(Port, NofsScopeNested)
{
	{
		NofsScope fs;
		HT_EXPECT(may_io() && !may_fs(), "NofsScope");
		{
			NoioScope io;
			HT_EXPECT(!may_io() && !may_fs(), "inner noio");
			{
				NoioScope io2;
				HT_EXPECT(!may_io(), "double noio");
			}
			HT_EXPECT(!may_io(), "inner restore dropped outer noio");
		}
		HT_EXPECT(may_io() && !may_fs(), "noio restore lost the outer nofs");
	}
	HT_EXPECT(may_io() && may_fs(), "nofs not restored");
}

HT_CASE(Port, ScopeFor)
{
	{
		ScopeFor s(Gfp::nofs());
		HT_EXPECT(may_io() && !may_fs(), "ScopeFor(NOFS)");
	}
	{
		ScopeFor s(Gfp::noio());
		HT_EXPECT(!may_io() && !may_fs(), "ScopeFor(NOIO)");
	}
	{
		ScopeFor s(Gfp::kernel());
		HT_EXPECT(may_io() && may_fs(), "ScopeFor(KERNEL)");
	}
	HT_EXPECT(may_io() && may_fs(), "restored");
	Gfp m = AllocCtx::from_caller(Gfp::kernel()).under_mutex();
	HT_EXPECT(m.may_sleep() && !m.may_io() && !m.may_fs() && m.nowarn(), "under_mutex %x", m.raw());
	Gfp nf = AllocCtx::from_caller(Gfp::kernel().with(pcpu_gfp.nofail)).under_mutex();
	HT_EXPECT(!nf.nofail(), "under_mutex keeps NOFAIL: %x", nf.raw());
	HT_EXPECT(!AllocCtx::worker().effective().may_io(), "the worker may do IO");
}

HT_CASE(Port, GfpKinds)
{
	HT_EXPECT(Gfp::kernel().unconstrained(), "GFP_KERNEL");
	HT_EXPECT(!Gfp::nowait().may_sleep() && !Gfp::atomic().may_sleep(), "NOWAIT/ATOMIC sleep");
	HT_EXPECT(Gfp::noio().may_sleep() && !Gfp::noio().may_io() && !Gfp::noio().may_fs(), "NOIO");
	HT_EXPECT(Gfp::nofs().may_io() && !Gfp::nofs().may_fs(), "NOFS");
	HT_EXPECT(!Gfp::nofs().unconstrained() && !Gfp::noio().unconstrained(), "constrained");
}

// The port's checks must be able to fail.
HT_CASE(Port, ChecksFire)
{
	SpinLock lock;
	lock.init(PCPU_LOCK_TEST);
	Mutex mu;
	mu.init(PCPU_LOCK_ALLOC_MUTEX);
	unsigned long v0 = env::violations();
	{
		SpinIrqGuard g(lock);
		pcpu_might_sleep();
	}
	HT_EXPECT(env::violations() == v0 + 1, "might_sleep under a spinlock not caught");
	pcpu_this_cpu();
	HT_EXPECT(env::violations() == v0 + 2, "this_cpu while preemptible not caught");
	{
		MutexGuard g(mu);
		delete new (Gfp::kernel()) u32;
	}
	host_counters c = env::counters();
	HT_EXPECT(c.gfp_violations == 1, "GFP_KERNEL under the allocator mutex not caught");
	{
		MutexGuard g(mu);
		delete new (Gfp::kernel()) u32;
		{
			NoioScope s;
			delete new (Gfp::kernel()) u32;
		}
		delete new (Gfp::nofs()) u32;
	}
	c = env::counters();
	// GFP_KERNEL and GFP_NOFS (IO reclaim) are flagged, NOIO scope not.
	HT_EXPECT(c.gfp_violations == 3, "gfp violations %lu, want 3", c.gfp_violations);
	pcpu_page_list l;
	pcpu_page_list_init(&l);
	void* base = pcpu_vm_reserve(2 * 4096, pcpu_gfp.kernel);
	HT_ASSERT(base, "reserve");
	void* page = pcpu_page_alloc(0, pcpu_gfp.kernel);
	HT_ASSERT(page && !pcpu_vm_map_page((unsigned long)base, page), "map");
	*(volatile u32*)base = 1;
	HT_EXPECT(pcpu_vm_is_mapped((unsigned long)base) && !pcpu_vm_is_mapped((unsigned long)base + 4096), "mapped");
	pcpu_vm_unmap_page((unsigned long)base, &l);
	unsigned long v1 = env::violations();
	pcpu_page_list_free(&l);
	HT_EXPECT(env::violations() == v1 + 1, "page freed before the TLB flush not caught");
	pcpu_vm_release(base);
	mu.destroy();
	host_clear_violations();
}
