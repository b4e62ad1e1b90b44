// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - pcpupool_bench.ko: pcpupool side by side with the kernel's own
 * percpu allocator and mempool, in one boot, on the same CPUs.
 *
 * Loaded by the "bench" guest mode (scripts/guest/bench.sh) on the bench
 * kernel (scripts/bench.config: the debug config without KASAN, lockdep,
 * kmemleak and the other debug options that distort timings).  Each
 * workload runs in a kthread pinned to CPU 0 (CPU 1 too for scalability)
 * and prints one line
 *
 *   pcpupool-bench|<workload>|<metric>|<pcpupool>|<kernel>|<ratio>|<note>
 *
 * that scripts/bench.sh turns into the table and build/bench/results.csv.
 * ratio = kernel / pcpupool for times (higher is better for pcpupool) and
 * pcpupool / kernel for throughputs and failure counts as noted.
 *
 * Memory (populated bytes per live requested byte) needs /proc/meminfo's
 * Percpu line, so it is driven from the guest script through debugfs:
 * /sys/kernel/debug/pcpupool_bench/mix_{kernel,pcpupool}: write 1 to
 * allocate the mixed workload and hold it, 0 to free it; read the bytes
 * requested (per CPU) by what is held.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/prandom.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <pcpupool/pcpupool.h>
#include "../module/core_api.h"
#include "util.h"

#define RUNS 101	/* timed runs per workload: median and p99 over these */
#define BATCH 100	/* pairs per timed run */

static char *workloads = "all";
module_param(workloads, charp, 0444);
MODULE_PARM_DESC(workloads, "all, or a comma list: pairs,mempool,exhaust,bulk,counters,sleepable,scale,burst");

static bool want(const char *w)
{
	return !strcmp(workloads, "all") || strstr(workloads, w);
}

static void row(const char *wl, const char *metric, u64 ours, u64 kern,
		bool kernel_over_ours, const char *note)
{
	u64 num = kernel_over_ours ? kern : ours, den = kernel_over_ours ? ours : kern;

	pr_info("pcpupool-bench|%s|%s|%llu|%llu|%llu.%02llu|%s\n", wl, metric,
		ours, kern, den ? num / den : 0, den ? (num * 100 / den) % 100 : 0, note);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- 1. atomic pairs ---- */
/*
 * Both allocators through one token type: the kernel's percpu pointer, or
 * the address in a pcpupool handle (pcpupool memory is not __percpu).
 */
#define TOKEN(h)	((void __percpu __force *)pcpupool_addr(h))

typedef void __percpu *(*alloc_fn)(size_t size, gfp_t gfp);
typedef void (*free_fn)(void __percpu *p);

static void __percpu *ours_alloc(size_t size, gfp_t gfp) { return TOKEN(pcpupool_alloc(size, 8, gfp)); }
static void ours_free(void __percpu *p) { pcpupool_free(KT_MEM(p)); }
static void __percpu *kern_alloc(size_t size, gfp_t gfp) { return __alloc_percpu_gfp(size, 8, gfp); }
static void kern_free(void __percpu *p) { free_percpu(p); }

/* ns per pair for RUNS runs of BATCH pairs; returns failures */
static int time_pairs(alloc_fn a, free_fn f, size_t size, gfp_t gfp, u64 *ns)
{
	int r, i, fails = 0;

	for (i = 0; i < BATCH; i++)	/* warm up */
		f(a(size, gfp));
	for (r = 0; r < RUNS; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < BATCH; i++) {
			void __percpu *p = a(size, gfp);

			fails += !p;
			f(p);
		}
		ns[r] = (ktime_get_ns() - t0) / BATCH;
		if (r % 8 == 0)
			cond_resched();
	}
	sort(ns, RUNS, sizeof(u64), cmp_u64, NULL);
	return fails;
}

static void bench_pairs(void)
{
	static const size_t sizes[] = { 8, 64, 512, 4096 };
	u64 *a = kmalloc_array(2 * RUNS, sizeof(u64), GFP_KERNEL), *b = a + RUNS;
	char name[32];
	int i, fa, fb;

	if (!a)
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		pcpupool_test_flush_balance();
		fa = time_pairs(ours_alloc, ours_free, sizes[i], GFP_NOWAIT | __GFP_NOWARN, a);
		fb = time_pairs(kern_alloc, kern_free, sizes[i], GFP_NOWAIT | __GFP_NOWARN, b);
		snprintf(name, sizeof(name), "atomic pair %zu B", sizes[i]);
		row(name, "median ns/op", a[RUNS / 2], b[RUNS / 2], true,
		    fa || fb ? "some attempts failed" : "");
		row(name, "p99 ns/op", a[RUNS * 99 / 100], b[RUNS * 99 / 100], true, "");
	}
	kfree(a);
}

/* ---- 2. mempools ---- */
static void *kmp_alloc(gfp_t gfp, void *data)
{
	return (void __force *)__alloc_percpu_gfp(64, 8, gfp);
}

static void kmp_free(void *elem, void *data)
{
	free_percpu((void __percpu __force *)elem);
}

static void *kmp_alloc_fail(gfp_t gfp, void *data)
{
	/* after the reserve was filled: the allocator "fails" */
	return READ_ONCE(*(bool *)data) ? NULL : kmp_alloc(gfp, data);
}

static struct pcpupool_mempool *bench_ours_mp;
static mempool_t *bench_kern_mp;
static void __percpu *mp_ours_alloc(size_t size, gfp_t gfp) { return TOKEN(pcpupool_mempool_alloc(bench_ours_mp, gfp)); }
static void mp_ours_free(void __percpu *p) { pcpupool_mempool_free(KT_MEM(p), bench_ours_mp); }
static void __percpu *mp_kern_alloc(size_t size, gfp_t gfp) { return (void __percpu __force *)mempool_alloc(bench_kern_mp, gfp); }
static void mp_kern_free(void __percpu *p) { mempool_free((void __force *)p, bench_kern_mp); }

static void bench_mempool(void)
{
	u64 *a = kmalloc_array(2 * RUNS, sizeof(u64), GFP_KERNEL), *b = a + RUNS;
	static bool kern_fail;
	int fa, fb;

	if (!a)
		return;
	bench_ours_mp = pcpupool_mempool_create("bench", 64, 8, 64, GFP_KERNEL);
	kern_fail = false;
	bench_kern_mp = mempool_create(64, kmp_alloc_fail, kmp_free, &kern_fail);
	if (!bench_ours_mp || !bench_kern_mp)
		goto out;
	fa = time_pairs(mp_ours_alloc, mp_ours_free, 64, GFP_NOWAIT, a);
	fb = time_pairs(mp_kern_alloc, mp_kern_free, 64, GFP_NOWAIT, b);
	row("mempool 64 B, served by the allocator", "median ns/op", a[RUNS / 2], b[RUNS / 2], true,
	    fa || fb ? "some attempts failed" : "");
	/* reserve path: both allocators made to fail */
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 1 << 30);
	WRITE_ONCE(kern_fail, true);
	fa = time_pairs(mp_ours_alloc, mp_ours_free, 64, GFP_NOWAIT, a);
	fb = time_pairs(mp_kern_alloc, mp_kern_free, 64, GFP_NOWAIT, b);
	pcpupool_test_fail_next(PCPU_SITE_ATOMIC, 0);
	WRITE_ONCE(kern_fail, false);
	row("mempool 64 B, reserve (magazine) hits", "median ns/op", a[RUNS / 2], b[RUNS / 2], true,
	    fa || fb ? "some attempts failed" : "");
	row("mempool 64 B, reserve (magazine) hits", "p99 ns/op", a[RUNS * 99 / 100], b[RUNS * 99 / 100], true, "");
out:
	if (bench_ours_mp)
		pcpupool_mempool_destroy(bench_ours_mp);
	mempool_destroy(bench_kern_mp);
	kfree(a);
}

/*
 * ---- 2b. exhaustion: a failed atomic attempt, and a mempool reserve hit
 * when the allocator really has no populated memory left ----
 *
 * pcpupool: its balance work is held off (the allocator mutex held, as by
 * another holder) and the caches drained; 64 B atomic allocations are
 * held until one fails.  The kernel: the same until alloc_percpu_gfp()
 * fails; its balance work is queued on this CPU, which does not yield
 * while failures are timed.  Both then time RUNS x BATCH failed attempts,
 * and reserve hits of a 64 B mempool whose allocator really fails.
 */
#define NEXHAUST (1 << 18)

static int exhaust(alloc_fn a, void __percpu **held)
{
	int n = 0;

	while (n < NEXHAUST && (held[n] = a(64, GFP_NOWAIT | __GFP_NOWARN)))
		n++;
	return n;
}

static u64 time_failures(alloc_fn a, free_fn f, u64 *ns, int *successes)
{
	int r, i;

	for (r = 0; r < RUNS; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < BATCH; i++) {
			void __percpu *p = a(64, GFP_NOWAIT | __GFP_NOWARN);

			if (p) {	/* refilled meanwhile: count it, keep it out */
				(*successes)++;
				f(p);
			}
		}
		ns[r] = (ktime_get_ns() - t0) / BATCH;
	}
	sort(ns, RUNS, sizeof(u64), cmp_u64, NULL);
	return ns[RUNS / 2];
}

static void bench_exhausted(void)
{
	void __percpu **held = vmalloc(NEXHAUST * sizeof(*held));
	u64 *a = kmalloc_array(4 * RUNS, sizeof(u64), GFP_KERNEL), *b = a + RUNS;
	u64 *pa = b + RUNS, *pb = pa + RUNS, fo, fk, so = 0, sk = 0;
	int n, i, extra_o = 0, extra_k = 0;

	if (!held || !a)
		goto out;
	/* the successful pairs, measured now, for the failure/success ratio */
	pcpupool_test_flush_balance();
	time_pairs(ours_alloc, ours_free, 64, GFP_NOWAIT | __GFP_NOWARN, a);
	so = a[RUNS / 2];
	time_pairs(kern_alloc, kern_free, 64, GFP_NOWAIT | __GFP_NOWARN, b);
	sk = b[RUNS / 2];

	bench_ours_mp = pcpupool_mempool_create("bench_x", 64, 8, 64, GFP_KERNEL);
	bench_kern_mp = mempool_create(64, kmp_alloc, kmp_free, NULL);
	if (!bench_ours_mp || !bench_kern_mp)
		goto out;

	pcpupool_test_hold_mutex(1);
	pcpupool_test_drain_caches();
	n = exhaust(ours_alloc, held);
	fo = time_failures(ours_alloc, ours_free, a, &extra_o);
	time_pairs(mp_ours_alloc, mp_ours_free, 64, GFP_NOWAIT, pa);
	for (i = 0; i < n; i++)
		pcpupool_free(KT_MEM(held[i]));
	pcpupool_test_hold_mutex(0);
	pr_info("pcpupool-bench: exhausted pcpupool after %d x 64 B\n", n);

	n = exhaust(kern_alloc, held);
	fk = time_failures(kern_alloc, kern_free, b, &extra_k);
	time_pairs(mp_kern_alloc, mp_kern_free, 64, GFP_NOWAIT, pb);
	for (i = 0; i < n; i++)
		free_percpu(held[i]);
	pr_info("pcpupool-bench: exhausted the kernel after %d x 64 B\n", n);

	row("a failed 64 B atomic attempt", "median ns/op", fo, fk, true,
	    extra_o || extra_k ? "some attempts succeeded (refilled)" : "");
	row("failed attempt / successful pair", "x100", so ? fo * 100 / so : 0,
	    sk ? fk * 100 / sk : 0, false, "target <= 100 for pcpupool");
	row("mempool 64 B reserve hits, allocator exhausted", "median ns/op", pa[RUNS / 2],
	    pb[RUNS / 2], true, "both allocators really out of populated memory");
out:
	if (bench_ours_mp)
		pcpupool_mempool_destroy(bench_ours_mp);
	bench_ours_mp = NULL;
	mempool_destroy(bench_kern_mp);
	bench_kern_mp = NULL;
	kfree(a);
	vfree(held);
}

/*
 * ---- 2c. bulk: N counters per object (an mm_struct's rss counters),
 * pcpupool_alloc_bulk() + pcpupool_free_bulk() vs N single calls ----
 */
static u64 time_bulk(unsigned int n, bool bulk, u64 *ns)
{
	struct pcpupool_mem p[64];
	unsigned int i;
	int r, b;

	for (r = 0; r < RUNS; r++) {
		u64 t0 = ktime_get_ns();

		for (b = 0; b < BATCH / 10; b++) {
			if (bulk) {
				if (pcpupool_alloc_bulk(8, 8, GFP_KERNEL, n, p))
					return 0;
				pcpupool_free_bulk(n, p);
				continue;
			}
			for (i = 0; i < n; i++)
				p[i] = pcpupool_alloc(8, 8, GFP_KERNEL);
			for (i = 0; i < n; i++)
				pcpupool_free(p[i]);
		}
		ns[r] = (ktime_get_ns() - t0) / (BATCH / 10);
		cond_resched();
	}
	sort(ns, RUNS, sizeof(u64), cmp_u64, NULL);
	return ns[RUNS / 2];
}

static void bench_bulk(void)
{
	static const unsigned int ns[] = { 4, 64 };
	u64 *a = kmalloc_array(RUNS, sizeof(u64), GFP_KERNEL), bulk, single;
	char name[48];
	int i;

	if (!a)
		return;
	pcpupool_test_flush_balance();
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		bulk = time_bulk(ns[i], true, a);
		single = time_bulk(ns[i], false, a);
		snprintf(name, sizeof(name), "%u x 8 B counters: bulk vs single calls", ns[i]);
		row(name, "median ns per batch", bulk, single, true,
		    "kernel column: pcpupool one by one");
	}
	kfree(a);
}

/*
 * ---- 2d. counters: pcpupool_counter_add() vs this_cpu_add() on a kernel
 * percpu u64, and pcpupool_counter_sum() vs a for_each_possible_cpu sum ----
 */
static u64 bench_sink;

static void bench_counters(void)
{
	u64 __percpu *kc = alloc_percpu(u64);
	struct pcpupool_u64 pc = pcpupool_new(struct pcpupool_u64, GFP_KERNEL);
	u64 *a = kmalloc_array(2 * RUNS, sizeof(u64), GFP_KERNEL), *b = a + RUNS;
	u64 sink = 0;
	int r, i, cpu;

	if (!kc || pcpupool_is_null(pc) || !a)
		goto out;
	for (r = 0; r < RUNS; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < 10 * BATCH; i++)
			pcpupool_counter_add(pc, 1);
		a[r] = (ktime_get_ns() - t0) * 10 / BATCH;	/* x100 per op */
		t0 = ktime_get_ns();
		for (i = 0; i < 10 * BATCH; i++)
			this_cpu_add(*kc, 1);
		b[r] = (ktime_get_ns() - t0) * 10 / BATCH;
	}
	sort(a, RUNS, sizeof(u64), cmp_u64, NULL);
	sort(b, RUNS, sizeof(u64), cmp_u64, NULL);
	row("u64 counter add vs this_cpu_add", "median ns/op x100", a[RUNS / 2], b[RUNS / 2],
	    true, "target >= 0.8");
	for (r = 0; r < RUNS; r++) {
		u64 t0 = ktime_get_ns();

		for (i = 0; i < BATCH; i++)
			sink += pcpupool_counter_sum(pc);
		a[r] = (ktime_get_ns() - t0) / BATCH;
		t0 = ktime_get_ns();
		for (i = 0; i < BATCH; i++) {
			u64 s = 0;

			for_each_possible_cpu(cpu)
				s += *per_cpu_ptr(kc, cpu);
			sink += s;
		}
		b[r] = (ktime_get_ns() - t0) / BATCH;
	}
	sort(a, RUNS, sizeof(u64), cmp_u64, NULL);
	sort(b, RUNS, sizeof(u64), cmp_u64, NULL);
	row("u64 counter sum vs kernel percpu sum", "median ns/op", a[RUNS / 2], b[RUNS / 2], true,
	    "target >= 0.8");
	WRITE_ONCE(bench_sink, sink);	/* the sums are used */
out:
	free_percpu(kc);
	pcpupool_free(pc);
	kfree(a);
}

/* ---- 3. sleepable: 100 000 live allocations, freed in random order ---- */
#define NLIVE 100000

static void sleepable_one(alloc_fn a, free_fn f, void __percpu **p, u32 *order,
			  u64 *alloc_ns, u64 *free_ns)
{
	u64 t0;
	int i;

	t0 = ktime_get_ns();
	for (i = 0; i < NLIVE; i++) {
		p[i] = a(64, GFP_KERNEL);
		if ((i & 1023) == 0)
			cond_resched();
	}
	*alloc_ns = (ktime_get_ns() - t0) / NLIVE;
	t0 = ktime_get_ns();
	for (i = 0; i < NLIVE; i++) {
		f(p[order[i]]);
		if ((i & 1023) == 0)
			cond_resched();
	}
	*free_ns = (ktime_get_ns() - t0) / NLIVE;
}

static void bench_sleepable(void)
{
	void __percpu **p = vmalloc(NLIVE * sizeof(*p));
	u32 *order = vmalloc(NLIVE * sizeof(*order));
	struct rnd_state rnd;
	u64 oa, of, ka, kf;
	int i;

	if (!p || !order)
		goto out;
	prandom_seed_state(&rnd, 1);
	for (i = 0; i < NLIVE; i++)
		order[i] = i;
	for (i = NLIVE - 1; i > 0; i--) {
		u32 j = prandom_u32_state(&rnd) % (i + 1);	/* swap() evaluates twice */

		swap(order[i], order[j]);
	}
	sleepable_one(ours_alloc, ours_free, p, order, &oa, &of);
	sleepable_one(kern_alloc, kern_free, p, order, &ka, &kf);
	row("GFP_KERNEL 64 B x 100000 live", "ns per alloc", oa, ka, true, "chunk growth");
	row("GFP_KERNEL 64 B x 100000 live", "ns per free (random order)", of, kf, true, "chunk shrink");
out:
	vfree(p);
	vfree(order);
}

/* ---- 4. scalability: 64 B atomic pairs, 1 CPU vs 2 CPUs at once ---- */
struct scale_arg {
	alloc_fn a;
	free_fn f;
	u64 deadline, ops;
	struct completion done;
};

static int scale_thread(void *arg)
{
	struct scale_arg *s = arg;
	u64 ops = 0;

	while (ktime_get_ns() < s->deadline) {
		int i;

		for (i = 0; i < 64; i++)
			s->f(s->a(64, GFP_NOWAIT | __GFP_NOWARN));
		ops += 64;
		cond_resched();
	}
	s->ops = ops;
	complete(&s->done);
	return 0;
}

static u64 scale_run(alloc_fn a, free_fn f, int ncpus)
{
	struct scale_arg s[2];
	struct task_struct *t[2];
	u64 total = 0, dur = 400 * NSEC_PER_MSEC;
	int i;

	for (i = 0; i < ncpus; i++) {
		s[i] = (struct scale_arg){ .a = a, .f = f };
		init_completion(&s[i].done);
		t[i] = kthread_create_on_cpu(scale_thread, &s[i], i, "pcpupool_scale/%u");
		if (IS_ERR(t[i]))
			return 0;
	}
	for (i = 0; i < ncpus; i++) {
		s[i].deadline = ktime_get_ns() + dur;
		wake_up_process(t[i]);
	}
	for (i = 0; i < ncpus; i++) {
		wait_for_completion(&s[i].done);
		total += s[i].ops;
	}
	return total * 1000 / (dur / NSEC_PER_MSEC);	/* ops per second */
}

static void bench_scale(void)
{
	u64 o1, o2, k1, k2;

	if (num_online_cpus() < 2) {
		pr_info("pcpupool-bench: scalability needs 2 CPUs\n");
		return;
	}
	pcpupool_test_flush_balance();
	o1 = scale_run(ours_alloc, ours_free, 1);
	k1 = scale_run(kern_alloc, kern_free, 1);
	o2 = scale_run(ours_alloc, ours_free, 2);
	k2 = scale_run(kern_alloc, kern_free, 2);
	row("64 B atomic pairs, 1 CPU", "pairs/s", o1, k1, false, "ratio pcpupool/kernel");
	row("64 B atomic pairs, 2 CPUs", "pairs/s", o2, k2, false, "ratio pcpupool/kernel");
	row("2-CPU / 1-CPU throughput", "x100", o1 ? o2 * 100 / o1 : 0,
	    k1 ? k2 * 100 / k1 : 0, false, "target >= 180 for pcpupool");
}

/* ---- 5. atomic burst: failures among N back-to-back 64 B allocations ---- */
static int burst(alloc_fn a, free_fn f, int n, void __percpu **p)
{
	int i, fails = 0;

	for (i = 0; i < n; i++) {
		p[i] = a(64, GFP_NOWAIT | __GFP_NOWARN);
		fails += !p[i];
	}
	for (i = 0; i < n; i++)
		f(p[i]);
	return fails;
}

static void burst_row(int n, const char *when, void __percpu **p)
{
	struct pcpupool_stats s0, s1;
	char name[64], note[128];
	u64 t0, t1;
	int fo, fk;

	/*
	 * The note says what the refill did while pcpupool's burst ran: the
	 * balance runs and unit pages populated, against the burst's length
	 * and the headroom it started with (empty populated unit pages).
	 */
	pcpupool_get_stats(&s0);
	t0 = ktime_get_ns();
	fo = burst(ours_alloc, ours_free, n, p);
	t1 = ktime_get_ns();
	pcpupool_get_stats(&s1);
	snprintf(note, sizeof(note),
		 "0 is best; pcpupool: %llu us, headroom %llu pages, refill %llu kicks %llu runs %llu pages",
		 (t1 - t0) / 1000, s0.empty_pop_pages, s1.nr_kick - s0.nr_kick,
		 s1.nr_balance - s0.nr_balance, s1.nr_populate - s0.nr_populate);
	if (strcmp(when, "cold"))
		msleep(2000);
	fk = burst(kern_alloc, kern_free, n, p);
	snprintf(name, sizeof(name), "atomic burst %d x 64 B, %s", n, when);
	row(name, "failures", fo, fk, false, note);
}

/*
 * Cold: right after load, the 4096 burst first (no warm-up burst before
 * it), then the series.  Settled: after a balance run and 2 s of quiet.
 */
static void bench_burst(bool settled)
{
	void __percpu **p = vmalloc(16384 * sizeof(*p));
	int n;

	if (!p)
		return;
	if (!settled)
		burst_row(4096, "right after load", p);
	for (n = 64; n <= 16384; n *= 4) {
		if (settled) {
			pcpupool_test_flush_balance();
			msleep(2000);
		}
		burst_row(n, settled ? "settled" : "cold", p);
	}
	vfree(p);
}

/* ---- 6. memory: the mixed workload, held through debugfs ---- */
#define NMIX 20000
static void __percpu **mix[2];
static u64 mix_bytes[2];

static int mix_set(void *data, u64 val)
{
	int which = (long)data, i;
	struct rnd_state rnd;

	if (val > 1)
		return -EINVAL;
	if (!val) {
		if (mix[which]) {
			for (i = 0; i < NMIX; i++)
				which ? free_percpu(mix[which][i]) : pcpupool_free(KT_MEM(mix[which][i]));
			vfree(mix[which]);
			mix[which] = NULL;
			mix_bytes[which] = 0;
		}
		return 0;
	}
	if (mix[which])
		return -EBUSY;
	mix[which] = vzalloc(NMIX * sizeof(void *));
	if (!mix[which])
		return -ENOMEM;
	prandom_seed_state(&rnd, 7);	/* the same sizes for both */
	for (i = 0; i < NMIX; i++) {
		/* mostly small counters, some larger structures */
		u32 r = prandom_u32_state(&rnd) % 100;
		size_t size = r < 60 ? 8 : r < 85 ? 16 + 8 * (r % 6) : r < 97 ? 256 : 2048;

		mix[which][i] = which ? __alloc_percpu_gfp(size, 8, GFP_KERNEL)
				      : TOKEN(pcpupool_alloc(size, 8, GFP_KERNEL));
		if (mix[which][i])
			mix_bytes[which] += size;
	}
	return 0;
}

static int mix_get(void *data, u64 *val)
{
	*val = mix_bytes[(long)data];
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mix_fops, mix_get, mix_set, "%llu\n");
static struct dentry *bench_dir;

static int __init bench_init(void)
{
	pr_info("pcpupool-bench: begin (%u CPUs online, %u possible)\n",
		num_online_cpus(), num_possible_cpus());
	/* cold first: right after pcpupool was loaded */
	if (want("burst"))
		bench_burst(false);
	if (want("pairs"))
		bench_pairs();
	if (want("mempool"))
		bench_mempool();
	if (want("exhaust"))
		bench_exhausted();
	if (want("bulk"))
		bench_bulk();
	if (want("counters"))
		bench_counters();
	if (want("sleepable"))
		bench_sleepable();
	if (want("scale"))
		bench_scale();
	if (want("burst"))
		bench_burst(true);
	bench_dir = debugfs_create_dir("pcpupool_bench", NULL);
	debugfs_create_file("mix_pcpupool", 0600, bench_dir, (void *)0L, &mix_fops);
	debugfs_create_file("mix_kernel", 0600, bench_dir, (void *)1L, &mix_fops);
	pr_info("pcpupool-bench: end\n");
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove(bench_dir);
	mix_set((void *)0L, 0);
	mix_set((void *)1L, 0);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pcpupool vs the kernel's percpu allocator and mempool");
