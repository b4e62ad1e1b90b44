// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - canaries and kthread gangs for the C KUnit suites (util.h), and
 * the snprintf of the area map's reference model (area_model.h).
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/percpu.h>
#include <linux/sched/task.h>
#include <linux/sprintf.h>
#include <pcpupool/pcpupool.h>
#include "util.h"

static u8 kt_pattern(u8 tag, int cpu)
{
	return tag ^ (u8)(cpu * 0x3b);
}

void kt_fill(struct pcpupool_mem p, size_t size, u8 tag)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(pcpupool_ptr(p, cpu), kt_pattern(tag, cpu), size);
}

bool kt_filled(struct pcpupool_mem p, size_t size, u8 tag)
{
	int cpu;
	size_t i;

	for_each_possible_cpu(cpu) {
		u8 *b = pcpupool_ptr(p, cpu);

		for (i = 0; i < size; i++)
			if (b[i] != kt_pattern(tag, cpu))
				return false;
	}
	return true;
}

bool kt_zeroed(struct pcpupool_mem p, size_t size)
{
	int cpu;
	size_t i;

	for_each_possible_cpu(cpu) {
		u8 *b = pcpupool_ptr(p, cpu);

		for (i = 0; i < size; i++)
			if (b[i])
				return false;
	}
	return true;
}

bool kt_gang_add(struct kt_gang *g, int (*fn)(void *arg), void *arg, int cpu,
		 bool bind, const char *name)
{
	struct task_struct *t;

	if (g->n >= ARRAY_SIZE(g->t))
		return false;
	if (bind)
		t = kthread_create_on_cpu(fn, arg, cpu, name);
	else
		t = kthread_create(fn, arg, name, cpu);
	if (IS_ERR(t))
		return false;
	get_task_struct(t);
	wake_up_process(t);
	g->t[g->n++] = t;
	return true;
}

void kt_gang_done(struct kt_gang *g)
{
	atomic_inc(&g->done);
}

int kt_gang_stop(struct kt_gang *g)
{
	int i, n = g->n;

	while (atomic_read(&g->done) < g->n)
		msleep(20);
	for (i = 0; i < g->n; i++) {
		kthread_stop(g->t[i]);
		put_task_struct(g->t[i]);
	}
	g->n = 0;
	return n;
}

/* For kunit/area_model.h (C++), which cannot include kernel headers. */
int model_snprintf(char *buf, unsigned long size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
