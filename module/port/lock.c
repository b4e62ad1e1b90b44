// SPDX-License-Identifier: GPL-2.0
/*
 * lock.c - port: spinlocks, mutexes, preemption, IRQs, CPUs and time.
 *
 * Lock objects live inline in their C++ owners, in storage of the size and
 * alignment layout.c publishes (it depends on the kernel config, e.g.
 * lockdep); they are initialized here and reach C++ as opaque pointers to
 * that storage, which the C++ side wraps in RAII guards (module/sync.h).  Each lock role has its own lockdep
 * class so lockdep reasons about pcpupool's lock order by role.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hardirq.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include "port.h"
#include "pcpupool_layout.h"

static struct lock_class_key pcpu_lock_keys[PCPU_LOCK_NR];
static const char *const pcpu_lock_names[PCPU_LOCK_NR] = {
	[PCPU_LOCK_POOL] = "pcpupool_lock",
	[PCPU_LOCK_ALLOC_MUTEX] = "pcpupool_alloc_mutex",
	[PCPU_LOCK_MEMPOOL] = "pcpupool_mempool_depot",
	[PCPU_LOCK_MEMPOOL_LIST] = "pcpupool_mempools_mutex",
	[PCPU_LOCK_BLK] = "pcpupool_blk",
	[PCPU_LOCK_TEST] = "pcpupool_test",
};

int pcpu_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}

int pcpu_cpu_possible(int cpu)
{
	return cpu_possible(cpu);
}

int pcpu_cpu_to_node(int cpu)
{
	return cpu_to_node(cpu);
}

int pcpu_this_cpu(void)
{
	return smp_processor_id();
}

/* The C++ owners reserve the storage (module/sync.h). */
static_assert(sizeof(spinlock_t) == PCPU_SPINLOCK_SIZE &&
	      __alignof__(spinlock_t) == PCPU_SPINLOCK_ALIGN &&
	      sizeof(struct mutex) == PCPU_MUTEX_SIZE &&
	      __alignof__(struct mutex) == PCPU_MUTEX_ALIGN,
	      "generated pcpupool_layout.h is stale");

void pcpu_spin_init(void *lock, enum pcpu_lock_class cls)
{
	spin_lock_init((spinlock_t *)lock);
	lockdep_set_class_and_name((spinlock_t *)lock, &pcpu_lock_keys[cls],
				   pcpu_lock_names[cls]);
}

#ifdef PCPUPOOL_TEST
/* Test builds: spinlock acquisitions by one task (pcpu_test_count_locks). */
static struct task_struct *pcpu_count_task;
static unsigned long long pcpu_count_locks;

static inline void pcpu_note_lock(void)
{
	if (unlikely(READ_ONCE(pcpu_count_task) == current))
		pcpu_count_locks++;
}

void pcpu_test_count_locks(int on)
{
	WRITE_ONCE(pcpu_count_task, on ? current : NULL);
	pcpu_count_locks = 0;
}

unsigned long long pcpu_test_lock_count(void)
{
	return pcpu_count_locks;
}
#else
static inline void pcpu_note_lock(void)
{
}
#endif

/*
 * The IRQ-off measurement (debugfs irqoff_measure, irqoff): every section
 * in which pcpupool turned IRQs off (a lock taken with spin_lock_irqsave
 * while IRQs were on, from acquisition to release; a front-end
 * local_irq_save section) is timed with local_clock(), and the longest is
 * kept with the code address that began it.  Sections entered with IRQs
 * already off (hardirq callers, nested locks) belong to their caller's
 * section and are not timed alone.  Off by default: a static key, so the
 * cost is a patched-out jump; on, two local_clock() reads per section.
 * The core also reports each walk of a chunk's map it makes with IRQs off
 * (pcpu_irqoff_note_walk()), and the most walks in one section are kept:
 * the count that says whether a section grows with the number of chunks,
 * where times under emulation say little.
 */
static DEFINE_STATIC_KEY_FALSE(pcpu_irqoff_key);
static DEFINE_PER_CPU(u64, pcpu_irqoff_since);
static DEFINE_PER_CPU(unsigned long, pcpu_irqoff_ip);
static DEFINE_PER_CPU(unsigned int, pcpu_irqoff_walks);
static DEFINE_RAW_SPINLOCK(pcpu_irqoff_lock);	/* the three below */
static u64 pcpu_irqoff_max_ns;
static unsigned long pcpu_irqoff_max_ip;
static unsigned int pcpu_irqoff_max_walks;
static DEFINE_MUTEX(pcpu_irqoff_mutex);	/* turning it on and off */

static __always_inline void irqoff_begin(unsigned long flags, unsigned long ip)
{
	if (static_branch_unlikely(&pcpu_irqoff_key) && !irqs_disabled_flags(flags)) {
		__this_cpu_write(pcpu_irqoff_since, local_clock());
		__this_cpu_write(pcpu_irqoff_ip, ip);
		__this_cpu_write(pcpu_irqoff_walks, 0);
	}
}

/* IRQs still off. */
static __always_inline void irqoff_end(unsigned long flags)
{
	unsigned int walks;
	u64 since, d;

	if (!static_branch_unlikely(&pcpu_irqoff_key) || irqs_disabled_flags(flags))
		return;
	since = __this_cpu_read(pcpu_irqoff_since);
	if (!since)	/* began before the measurement did */
		return;
	__this_cpu_write(pcpu_irqoff_since, 0);
	walks = __this_cpu_read(pcpu_irqoff_walks);
	__this_cpu_write(pcpu_irqoff_walks, 0);
	d = local_clock() - since;
	/*
	 * Under emulation local_clock() can stand still across a short
	 * section: a 0 ns section still names its site when none is known.
	 */
	if (d <= READ_ONCE(pcpu_irqoff_max_ns) && READ_ONCE(pcpu_irqoff_max_ip) &&
	    walks <= READ_ONCE(pcpu_irqoff_max_walks))
		return;
	raw_spin_lock(&pcpu_irqoff_lock);
	if (d > pcpu_irqoff_max_ns || !pcpu_irqoff_max_ip) {
		WRITE_ONCE(pcpu_irqoff_max_ns, d);
		pcpu_irqoff_max_ip = __this_cpu_read(pcpu_irqoff_ip);
	}
	if (walks > pcpu_irqoff_max_walks)
		WRITE_ONCE(pcpu_irqoff_max_walks, walks);
	raw_spin_unlock(&pcpu_irqoff_lock);
}

void pcpu_irqoff_note_walk(void)
{
	/* Only inside a timed section: IRQs are off, the CPU is fixed. */
	if (static_branch_unlikely(&pcpu_irqoff_key) &&
	    __this_cpu_read(pcpu_irqoff_since))
		__this_cpu_inc(pcpu_irqoff_walks);
}

void pcpu_irqoff_measure(int on)
{
	int cpu;

	mutex_lock(&pcpu_irqoff_mutex);
	if (static_key_enabled(&pcpu_irqoff_key))
		static_branch_disable(&pcpu_irqoff_key);
	if (on) {
		/* No section is timed now: a stale start cannot survive. */
		for_each_possible_cpu(cpu) {
			per_cpu(pcpu_irqoff_since, cpu) = 0;
			per_cpu(pcpu_irqoff_walks, cpu) = 0;
		}
		raw_spin_lock_irq(&pcpu_irqoff_lock);
		pcpu_irqoff_max_ns = 0;
		pcpu_irqoff_max_ip = 0;
		pcpu_irqoff_max_walks = 0;
		raw_spin_unlock_irq(&pcpu_irqoff_lock);
		static_branch_enable(&pcpu_irqoff_key);
	}
	mutex_unlock(&pcpu_irqoff_mutex);
}

int pcpu_irqoff_measuring(void)
{
	return static_key_enabled(&pcpu_irqoff_key);
}

unsigned long long pcpu_irqoff_max(void **site, unsigned int *walks)
{
	unsigned long long ns;

	raw_spin_lock_irq(&pcpu_irqoff_lock);
	ns = pcpu_irqoff_max_ns;
	*site = (void *)pcpu_irqoff_max_ip;
	*walks = pcpu_irqoff_max_walks;
	raw_spin_unlock_irq(&pcpu_irqoff_lock);
	return ns;
}

unsigned long pcpu_spin_lock_irqsave(void *lock)
{
	unsigned long flags;

	spin_lock_irqsave((spinlock_t *)lock, flags);
	irqoff_begin(flags, _RET_IP_);
	pcpu_note_lock();
	return flags;
}

void pcpu_spin_unlock_irqrestore(void *lock, unsigned long flags)
{
	irqoff_end(flags);
	spin_unlock_irqrestore((spinlock_t *)lock, flags);
}

void pcpu_spin_lock(void *lock)
{
	spin_lock((spinlock_t *)lock);
	pcpu_note_lock();
}

void pcpu_spin_unlock(void *lock)
{
	spin_unlock((spinlock_t *)lock);
}

void pcpu_assert_spin_held(void *lock)
{
	lockdep_assert_held((spinlock_t *)lock);
}

void pcpu_mutex_init(void *mutex, enum pcpu_lock_class cls)
{
	mutex_init((struct mutex *)mutex);
	lockdep_set_class_and_name((struct mutex *)mutex, &pcpu_lock_keys[cls],
				   pcpu_lock_names[cls]);
}

void pcpu_mutex_destroy(void *mutex)
{
	mutex_destroy((struct mutex *)mutex);
}

void pcpu_mutex_lock(void *mutex)
{
	mutex_lock((struct mutex *)mutex);
}

int pcpu_mutex_lock_killable(void *mutex)
{
	return mutex_lock_killable((struct mutex *)mutex);
}

void pcpu_mutex_unlock(void *mutex)
{
	mutex_unlock((struct mutex *)mutex);
}

#ifdef PCPUPOOL_TEST
int pcpu_mutex_is_locked(void *mutex)
{
	return mutex_is_locked((struct mutex *)mutex);
}
#endif

void pcpu_assert_mutex_held(void *mutex)
{
	lockdep_assert_held((struct mutex *)mutex);
}

void pcpu_rcu_read_lock(void)
{
	rcu_read_lock();
}

void pcpu_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void pcpu_synchronize_rcu(void)
{
	synchronize_rcu();
}

void pcpu_preempt_disable(void)
{
	preempt_disable();
}

void pcpu_preempt_enable(void)
{
	preempt_enable();
}

unsigned long pcpu_local_irq_save_cpu(int *cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	irqoff_begin(flags, _RET_IP_);
	*cpu = smp_processor_id();
	return flags;
}

void pcpu_local_irq_restore(unsigned long flags)
{
	irqoff_end(flags);
	local_irq_restore(flags);
}

void pcpu_might_sleep(void)
{
	might_sleep();
}

void pcpu_cond_resched(void)
{
	cond_resched();
}

void pcpu_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	on_each_cpu(fn, arg, 1);
}

unsigned long pcpu_nr_voluntary_switches(void)
{
	return current->nvcsw;
}

unsigned long pcpu_jiffies(void)
{
	return jiffies;
}

void pcpu_msleep(unsigned int ms)
{
	msleep(ms);
}

void *pcpu_current(void)
{
	return current;
}

unsigned long pcpu_msecs_to_jiffies(unsigned long ms)
{
	return msecs_to_jiffies(ms);
}

void pcpu_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case PCPU_LOG_ERR:
		pr_err("pcpupool: %pV\n", &vaf);
		break;
	case PCPU_LOG_WARN:
		pr_warn("pcpupool: %pV\n", &vaf);
		break;
	case PCPU_LOG_DEBUG:
		pr_debug("pcpupool: %pV\n", &vaf);
		break;
	default:
		pr_info("pcpupool: %pV\n", &vaf);
		break;
	}
	va_end(args);
}

void pcpu_warn_once(int *once, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (READ_ONCE(*once))
		return;
	WRITE_ONCE(*once, 1);
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	WARN(1, "pcpupool: %pV\n", &vaf);
	va_end(args);
}

void pcpu_bug(const char *what)
{
	pr_crit("pcpupool: %s\n", what);
	BUG();
}
