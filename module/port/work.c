// SPDX-License-Identifier: GPL-2.0
/*
 * work.c - port: pcpupool's workqueue and its work items.
 *
 * One workqueue, per-CPU and WQ_MEM_RECLAIM (a rescuer: the IO path depends
 * on it making progress under memory pressure).  Policy, stated here
 * because it lives here: an item is queued on another online CPU than the
 * one queueing it.  The CPU that kicks the balance or refill work is the
 * one allocating; the kernel's own pcpu_balance_work sits on system_wq,
 * bound to that very CPU, and an unbound workqueue with 6.12's default
 * affinity scope ("cache") wakes its worker back on it whenever the CPU is
 * alone in its LLC, so a burst never sees its refill.  Another CPU's bound
 * worker runs while the burst goes on.  (With one CPU online, the local one
 * is all there is.)  An item re-queueing itself (the balance work's decay
 * and trim runs) stays on its CPU: moving it would put it, sooner or later,
 * on the CPU that bursts next, where a run preempted at a sleeping point
 * waits, bound, for the burst to end.  Every item is a delayed_work so
 * that one type serves both immediate kicks and periodic balancing;
 * queueing is safe from any context, hardirq included.  Items are stored
 * inline in their C++ owners (module/work.h), in the size and alignment
 * layout.c publishes.
 */
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include "port.h"
#include "port_internal.h"
#include "pcpupool_layout.h"

static struct workqueue_struct *pcpu_wq;

/* The C++ owners reserve PCPU_WORK_SIZE bytes (module/work.h). */
static_assert(sizeof(struct pcpu_work) == PCPU_WORK_SIZE &&
	      __alignof__(struct pcpu_work) == PCPU_WORK_ALIGN,
	      "generated pcpupool_layout.h is stale");

static void pcpu_work_run(struct work_struct *work)
{
	struct pcpu_work *w = container_of(to_delayed_work(work),
					   struct pcpu_work, dwork);

	w->fn(w->arg);
}

int pcpu_wq_init(void)
{
	pcpu_wq = alloc_workqueue("pcpupool", WQ_MEM_RECLAIM, 0);
	return pcpu_wq ? 0 : -ENOMEM;
}

void pcpu_wq_exit(void)
{
	if (pcpu_wq)
		destroy_workqueue(pcpu_wq);
	pcpu_wq = NULL;
}

void pcpu_work_setup(void *work, pcpu_work_fn fn, void *arg)
{
	struct pcpu_work *w = work;

	INIT_DELAYED_WORK(&w->dwork, pcpu_work_run);
	w->fn = fn;
	w->arg = arg;
}

void pcpu_work_cancel_sync(void *work)
{
	struct pcpu_work *w = work;

	cancel_delayed_work_sync(&w->dwork);
}

/*
 * Another online CPU than this one, or WORK_CPU_UNBOUND (the local CPU of a
 * per-CPU workqueue) if there is none.  A CPU that goes offline after being
 * chosen is harmless: the workqueue then runs the item on an unbound worker.
 */
static int pcpu_work_cpu(void)
{
	unsigned int cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());

	return cpu < nr_cpu_ids ? cpu : WORK_CPU_UNBOUND;
}

void pcpu_work_queue(void *work)
{
	struct pcpu_work *w = work;

	mod_delayed_work_on(pcpu_work_cpu(), pcpu_wq, &w->dwork, 0);
}

void pcpu_work_queue_delayed(void *work, unsigned long delay_ms)
{
	struct pcpu_work *w = work;

	/* Does not pull an already pending item earlier or later. */
	queue_delayed_work_on(pcpu_work_cpu(), pcpu_wq, &w->dwork,
			      msecs_to_jiffies(delay_ms));
}

void pcpu_work_requeue_delayed(void *work, unsigned long delay_ms)
{
	struct pcpu_work *w = work;

	queue_delayed_work_on(raw_smp_processor_id(), pcpu_wq, &w->dwork,
			      msecs_to_jiffies(delay_ms));
}

void pcpu_work_flush(void *work)
{
	struct pcpu_work *w = work;

	flush_delayed_work(&w->dwork);
}

/* ---- CPU hotplug ---- */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>

static int pcpu_hp_state = -1;
static pcpu_cpu_dead_fn pcpu_hp_dead;

static int pcpu_hp_teardown(unsigned int cpu)
{
	return pcpu_hp_dead ? pcpu_hp_dead(cpu) : 0;
}

int pcpu_cpuhp_init(pcpu_cpu_dead_fn dead)
{
	int ret;

	pcpu_hp_dead = dead;
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "pcpupool:dead",
					NULL, pcpu_hp_teardown);
	if (ret < 0)
		return ret;
	pcpu_hp_state = ret;
	return 0;
}

void pcpu_cpuhp_exit(void)
{
	if (pcpu_hp_state >= 0)
		cpuhp_remove_state_nocalls(pcpu_hp_state);
	pcpu_hp_state = -1;
}
