// SPDX-License-Identifier: GPL-2.0
//
// work.h - a work item on pcpupool's workqueue, stored inline in its owner.
//
// The balance and reap work of the pool and each mempool's refill work are
// the kernel's delayed_work (module/port/work.c), kept in storage of the
// size the configured kernel gives it (pcpupool_layout.h).  setup() cannot
// fail, so an owner sets its items up before anything that can, and its
// teardown cancels whatever was set up: cancel_sync() of an item never set
// up does nothing.  Queueing is safe from any context; see port.h for where
// each kind of queueing runs the item.
#pragma once

#include "atomic.h"
#include "pcpupool_layout.h"
#include "types.h"

namespace pcp {

class WorkItem {
public:
	constexpr WorkItem() = default;
	PCPU_NO_COPY_NO_MOVE(WorkItem);

	void setup(pcpu_work_fn fn, void* arg)
	{
		pcpu_work_setup(storage_, fn, arg);
		set_up_.store(true, mo::release);
	}
	// Whether setup() ran: kicks that can come before it (the atomic path
	// of a pool still initializing) are dropped.
	bool set_up() const { return set_up_.load(mo::acquire); }
	// Cancels and waits for a running call; the item may be set up again.
	void cancel_sync()
	{
		// Kicks from now on are dropped; the cancel catches earlier ones.
		if (set_up_.exchange(false, mo::acq_rel))
			pcpu_work_cancel_sync(storage_);
	}
	void queue() { pcpu_work_queue(storage_); }
	void queue_delayed(unsigned long ms) { pcpu_work_queue_delayed(storage_, ms); }
	void requeue_delayed(unsigned long ms) { pcpu_work_requeue_delayed(storage_, ms); }
	void flush() { pcpu_work_flush(storage_); }

private:
	alignas(PCPU_WORK_ALIGN) unsigned char storage_[PCPU_WORK_SIZE] = {};
	Atomic<bool> set_up_;
};

} // namespace pcp
