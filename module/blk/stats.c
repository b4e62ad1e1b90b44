// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - pcpupool_blk's per-(cgroup, device) IO statistics, the consumer
 * pcpupool's seeds were written for: blk-cgroup style percpu stats that are
 * allocated lazily, from the IO issue path, where sleeping and IO reclaim
 * are not allowed.
 *
 * Submission path, every bio (pcpub_account()):
 *
 *   rcu_read_lock
 *     lookup css in dev->hash (RCU hlist, keyed by css pointer)  lock-free
 *     hit  -> add to the object's percpu counters (local64, preemption off)
 *     miss -> dying css: add to dev "removed"
 *             else allocate, inside a memalloc_noio scope, never sleeping:
 *               object: dev reserve (refilled by a work item) or
 *                       kmalloc(GFP_NOWAIT)
 *               counters: pcpupool_mempool_alloc(dev->ctr_pool, GFP_NOWAIT)
 *             take a css reference, insert under dev->lock (short,
 *             IRQ-safe), add.  If anything failed: add to dev
 *             "unattributed", count the miss; the next bio retries.
 *
 * The bio itself never fails or waits because of its statistics.  The
 * root cgroup's object is created with the device (GFP_KERNEL), so root IO
 * never misses.  Allocation counters: served (objects created), missed
 * (failed attempts), retried (creations for a css that had missed before,
 * remembered in a small miss log), reaped.
 *
 * Lifecycle: a reaper (delayed work every 500 ms, kicked at once when a
 * lookup sees a dying css) unlinks the objects of dying cgroups from the
 * hash and list, waits for an RCU grace period (no submitter can still be
 * adding to them), folds their counters into the device's "removed" total,
 * drops the css reference and frees them.  Device teardown frees every
 * object.
 *
 * Object memory: dev->obj_free holds up to obj_min preallocated objects
 * (GFP_KERNEL in refill_work); frees go back there first.
 */
#include <linux/blk-cgroup.h>
#include <linux/bio.h>
#include <linux/cleanup.h>
#include <linux/preempt.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <pcpupool/pcpupool.h>
#include "pcpub.h"

#define PCPUB_REAP_PERIOD	msecs_to_jiffies(500)

/*
 * The memalloc_noio scope as a C RAII class: the scope ends (the previous
 * PF_MEMALLOC_NOIO state is restored) whenever the block is left.
 */
DEFINE_CLASS(pcpub_noio, unsigned int, memalloc_noio_restore(_T),
	     memalloc_noio_save(), void)

/* The kernel's io.stat classification (block/blk-cgroup.h, private). */
static enum pcpub_type pcpub_type_of(blk_opf_t opf)
{
	if (op_is_discard(opf))
		return PCPUB_DISCARD;
	if (op_is_write(opf))
		return PCPUB_WRITE;
	return PCPUB_READ;
}

static void pcpub_ctr_add(struct pcpub_ctr_pcpu ctr, enum pcpub_type type,
			  u64 bytes, bool flush)
{
	struct pcpub_ctr *c;

	guard(preempt)();
	c = pcpupool_this_ptr(ctr);
	local64_inc(&c->ios[type]);
	local64_add(bytes, &c->bytes[type]);
	if (flush)
		local64_inc(&c->flushes);
}

void pcpub_ctr_sum(struct pcpub_ctr_pcpu ctr, struct pcpub_sum *sum)
{
	int cpu, t;

	for_each_possible_cpu(cpu) {
		struct pcpub_ctr *c = pcpupool_ptr(ctr, cpu);

		for (t = 0; t < PCPUB_NR_TYPES; t++) {
			sum->ios[t] += local64_read(&c->ios[t]);
			sum->bytes[t] += local64_read(&c->bytes[t]);
		}
		sum->flushes += local64_read(&c->flushes);
	}
}

/* Add @sum to this CPU's copy of @ctr (the reaper's fold). */
static void pcpub_ctr_add_sum(struct pcpub_ctr_pcpu ctr,
			      const struct pcpub_sum *sum)
{
	struct pcpub_ctr *c;
	int t;

	guard(preempt)();
	c = pcpupool_this_ptr(ctr);
	for (t = 0; t < PCPUB_NR_TYPES; t++) {
		local64_add(sum->ios[t], &c->ios[t]);
		local64_add(sum->bytes[t], &c->bytes[t]);
	}
	local64_add(sum->flushes, &c->flushes);
}

/*
 * Add @sum to @s's removed descendants (the reaper's fold, or a dying
 * descendant's IO without an object).
 */
static void pcpub_dead_add(struct pcpub_stat *s, const struct pcpub_sum *sum)
{
	int t;

	for (t = 0; t < PCPUB_NR_TYPES; t++) {
		atomic64_add(sum->ios[t], &s->dead_ios[t]);
		atomic64_add(sum->bytes[t], &s->dead_bytes[t]);
	}
	atomic64_add(sum->flushes, &s->dead_flushes);
}

static void pcpub_dead_sum(struct pcpub_stat *s, struct pcpub_sum *sum)
{
	int t;

	for (t = 0; t < PCPUB_NR_TYPES; t++) {
		sum->ios[t] += atomic64_read(&s->dead_ios[t]);
		sum->bytes[t] += atomic64_read(&s->dead_bytes[t]);
	}
	sum->flushes += atomic64_read(&s->dead_flushes);
}

/* The device-level counters, as handles of their own. */
static struct pcpub_ctr_pcpu pcpub_removed(struct pcpub_dev *d)
{
	return pcpupool_member(struct pcpub_ctr_pcpu, d->pcpu, removed);
}

static struct pcpub_ctr_pcpu pcpub_unattributed(struct pcpub_dev *d)
{
	return pcpupool_member(struct pcpub_ctr_pcpu, d->pcpu, unattributed);
}

static void pcpub_dead_init(struct pcpub_stat *s)
{
	int t;

	for (t = 0; t < PCPUB_NR_TYPES; t++) {
		atomic64_set(&s->dead_ios[t], 0);
		atomic64_set(&s->dead_bytes[t], 0);
	}
	atomic64_set(&s->dead_flushes, 0);
}

static struct pcpub_stat *pcpub_lookup(struct pcpub_dev *d,
				       struct cgroup_subsys_state *css)
{
	struct pcpub_stat *s;

	hash_for_each_possible_rcu(d->hash, s, hnode, (unsigned long)css)
		if (s->css == css)
			return s;
	return NULL;
}

#ifdef PCPUPOOL_TEST
static atomic_t pcpub_fail_nr = ATOMIC_INIT(0);
static pcpub_probe_fn pcpub_probe_fn_cur;
static void *pcpub_probe_arg;

void pcpub_test_fail_next(int nr)
{
	atomic_set(&pcpub_fail_nr, nr);
}
EXPORT_SYMBOL_GPL(pcpub_test_fail_next);

bool pcpub_should_fail(void)
{
	return atomic_add_unless(&pcpub_fail_nr, -1, 0);
}

void pcpub_test_set_probe(pcpub_probe_fn fn, void *arg)
{
	WRITE_ONCE(pcpub_probe_arg, arg);
	WRITE_ONCE(pcpub_probe_fn_cur, fn);
}
EXPORT_SYMBOL_GPL(pcpub_test_set_probe);

void pcpub_probe(void)
{
	pcpub_probe_fn fn = READ_ONCE(pcpub_probe_fn_cur);

	if (fn)
		fn(READ_ONCE(pcpub_probe_arg));
}
#else
static inline bool pcpub_should_fail(void) { return false; }
static inline void pcpub_probe(void) { }
#endif

/* ---- the object reserve (non-percpu part) ---- */

static struct pcpub_stat *pcpub_obj_get(struct pcpub_dev *d)
{
	struct pcpub_stat *s = NULL;
	unsigned long flags;
	bool low;

	spin_lock_irqsave(&d->obj_lock, flags);
	if (d->obj_nr) {
		s = list_first_entry(&d->obj_free, struct pcpub_stat, node);
		list_del(&s->node);
		d->obj_nr--;
	}
	low = d->obj_nr < d->obj_min / 2 + 1 && d->obj_min;
	spin_unlock_irqrestore(&d->obj_lock, flags);
	if (low)
		queue_work(pcpub_wq, &d->refill_work);
	if (!s)
		s = kmalloc(sizeof(*s), GFP_NOWAIT | __GFP_NOWARN);
	return s;
}

static void pcpub_obj_put(struct pcpub_dev *d, struct pcpub_stat *s)
{
	unsigned long flags;

	spin_lock_irqsave(&d->obj_lock, flags);
	if (d->obj_nr < d->obj_min) {
		list_add(&s->node, &d->obj_free);
		d->obj_nr++;
		s = NULL;
	}
	spin_unlock_irqrestore(&d->obj_lock, flags);
	kfree(s);
}

static void pcpub_refill_workfn(struct work_struct *work)
{
	struct pcpub_dev *d = container_of(work, struct pcpub_dev, refill_work);
	struct pcpub_stat *s;

	for (;;) {
		spin_lock_irq(&d->obj_lock);
		if (d->obj_nr >= d->obj_min) {
			spin_unlock_irq(&d->obj_lock);
			return;
		}
		spin_unlock_irq(&d->obj_lock);
		/* Nothing waits for this: plain GFP_KERNEL is fine. */
		s = kmalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			return;
		pcpub_obj_put(d, s);
	}
}

/* ---- lazy allocation in the submission path ---- */

/* Under d->lock. */
static bool pcpub_miss_log_take(struct pcpub_dev *d,
				struct cgroup_subsys_state *css)
{
	int i;

	for (i = 0; i < PCPUB_MISS_LOG; i++) {
		if (d->miss_log[i] == (unsigned long)css) {
			d->miss_log[i] = 0;
			return true;
		}
	}
	return false;
}

static void pcpub_miss(struct pcpub_dev *d, struct cgroup_subsys_state *css)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&d->lock, flags);
	d->missed++;
	for (i = 0; i < PCPUB_MISS_LOG; i++)
		if (d->miss_log[i] == (unsigned long)css)
			break;
	if (i == PCPUB_MISS_LOG) {
		d->miss_log[d->miss_pos] = (unsigned long)css;
		d->miss_pos = (d->miss_pos + 1) % PCPUB_MISS_LOG;
	}
	spin_unlock_irqrestore(&d->lock, flags);
}

/*
 * Allocate and publish the stats object of @css.  Any context, called under
 * rcu_read_lock(); never sleeps, never enters IO reclaim.  Returns the
 * object (possibly one another CPU published first) or NULL.
 */
static struct pcpub_stat *pcpub_stat_create(struct pcpub_dev *d,
					    struct cgroup_subsys_state *css)
{
	struct pcpub_ctr_pcpu ctr = pcpupool_null(struct pcpub_ctr_pcpu);
	struct pcpub_stat *s = NULL, *old;
	unsigned long flags;

	scoped_class(pcpub_noio, noio) {
		if (!pcpub_should_fail()) {
			s = pcpub_obj_get(d);
			if (s)
				ctr = pcpupool_cast(struct pcpub_ctr_pcpu,
						    pcpupool_mempool_alloc(d->ctr_pool,
									   GFP_NOWAIT | __GFP_NOWARN));
		}
		pcpub_probe();
	}
	if (!s || pcpupool_is_null(ctr) || !css_tryget(css)) {
		pcpupool_mempool_free(ctr, d->ctr_pool);	/* null: no-op */
		if (s)
			pcpub_obj_put(d, s);
		pcpub_miss(d, css);
		return NULL;
	}
	s->css = css;
	s->ctr = ctr;
	s->flags = 0;
	pcpub_dead_init(s);

	spin_lock_irqsave(&d->lock, flags);
	old = pcpub_lookup(d, css);
	if (!old) {
		hash_add_rcu(d->hash, &s->hnode, (unsigned long)css);
		list_add_tail_rcu(&s->node, &d->stats);
		d->served++;
		d->live++;
		if (pcpub_miss_log_take(d, css))
			d->retried++;
	}
	spin_unlock_irqrestore(&d->lock, flags);
	if (old) {
		/* Another CPU published one first: use it. */
		css_put(css);
		pcpupool_mempool_free(ctr, d->ctr_pool);
		pcpub_obj_put(d, s);
		return old;
	}
	return s;
}

/*
 * Where the counts of a removed @css go in the hierarchy: the object of its
 * nearest ancestor that is not dying, created (like any first IO's) if it
 * has none; the root's if it has no such ancestor (or the creation
 * failed).  Under rcu_read_lock(), any context; @css holds its parents.
 */
static struct pcpub_stat *pcpub_fold_target(struct pcpub_dev *d,
					    struct cgroup_subsys_state *css)
{
	struct cgroup_subsys_state *a;
	struct pcpub_stat *s;

	for (a = css->parent; a; a = a->parent) {
		if (a == d->root->css)
			break;
		if (css_is_dying(a))
			continue;
		s = pcpub_lookup(d, a);
		if (!s)
			s = pcpub_stat_create(d, a);
		if (s)
			return s;
		break;
	}
	return d->root;
}

void pcpub_account(struct pcpub_dev *d, struct cgroup_subsys_state *css,
		   enum pcpub_type type, u64 bytes, bool flush)
{
	struct pcpub_stat *s;

	guard(rcu)();
	s = css ? pcpub_lookup(d, css) : d->root;
	if (unlikely(!s)) {
		if (css_is_dying(css)) {
			/*
			 * Counted as removed, and in the hierarchy as the
			 * kernel keeps it: in the nearest surviving
			 * ancestor's io.stat (the rare case of writeback
			 * charged to a removed cgroup).
			 */
			struct pcpub_sum one = {};

			pcpub_ctr_add(pcpub_removed(d), type, bytes, flush);
			one.ios[type] = 1;
			one.bytes[type] = bytes;
			one.flushes = flush;
			s = pcpub_fold_target(d, css);
			if (s)
				pcpub_dead_add(s, &one);
			return;
		}
		s = pcpub_stat_create(d, css);
		if (!s) {
			pcpub_ctr_add(pcpub_unattributed(d), type, bytes, flush);
			return;
		}
	} else if (unlikely(css && css_is_dying(css)) &&
		   !test_and_set_bit(PCPUB_STAT_KICKED, &s->flags)) {
		/* rmdir'ed: have the reaper fold it now */
		mod_delayed_work(pcpub_wq, &d->reap_work, 0);
	}
	pcpub_ctr_add(s->ctr, type, bytes, flush);
}
#ifdef PCPUPOOL_TEST
EXPORT_SYMBOL_GPL(pcpub_account);
#endif

/*
 * One bio, as blk_cgroup_bio_start() counts it for io.stat: called with the
 * bio unprocessed (bi_iter as submitted).  The root's object is keyed by
 * blkcg_root_css, which bio_blkcg_css() returns for a bio without a blkg.
 */
void pcpub_account_bio(struct pcpub_dev *d, struct bio *bio)
{
	pcpupool_counter_add(pcpub_dev_u64(d, bios), 1);
	pcpub_account(d, bio_blkcg_css(bio), pcpub_type_of(bio->bi_opf),
		      bio->bi_iter.bi_size, bio->bi_opf & REQ_PREFLUSH);
}

/* ---- removal ---- */

static void pcpub_stat_free(struct pcpub_dev *d, struct pcpub_stat *s)
{
	css_put(s->css);
	pcpupool_mempool_free(s->ctr, d->ctr_pool);
	pcpub_obj_put(d, s);
}

/* Fold and free the objects of dying cgroups.  Process context. */
void pcpub_reap(struct pcpub_dev *d)
{
	struct pcpub_stat *s, *tmp;
	LIST_HEAD(batch);
	unsigned int n = 0;

	spin_lock_irq(&d->lock);
	list_for_each_entry_safe(s, tmp, &d->stats, node) {
		if (s == d->root || !css_is_dying(s->css))
			continue;
		hash_del_rcu(&s->hnode);
		list_del_rcu(&s->node);
		list_add_tail(&s->reap, &batch);
		d->live--;
		n++;
	}
	spin_unlock_irq(&d->lock);
	if (!n)
		return;
	/* Every submitter that could still see them has left its section. */
	synchronize_rcu();
	list_for_each_entry_safe(s, tmp, &batch, reap) {
		struct pcpub_sum sum = {};

		pcpub_ctr_sum(s->ctr, &sum);
		pcpub_ctr_add_sum(pcpub_removed(d), &sum);
		/*
		 * Its own counts and its removed descendants' move up to the
		 * nearest surviving ancestor, as the kernel flushes a released
		 * blkg's stats into its parent: that ancestor's io.stat-style
		 * line keeps them.  (A dying ancestor is skipped: it will be
		 * folded up the same way.)
		 */
		pcpub_dead_sum(s, &sum);
		rcu_read_lock();
		pcpub_dead_add(pcpub_fold_target(d, s->css), &sum);
		rcu_read_unlock();
		list_del(&s->reap);
		pcpub_stat_free(d, s);
	}
	spin_lock_irq(&d->lock);
	d->reaped += n;
	spin_unlock_irq(&d->lock);
}
EXPORT_SYMBOL_GPL(pcpub_reap);

static void pcpub_reap_workfn(struct work_struct *work)
{
	struct pcpub_dev *d = container_of(to_delayed_work(work),
					   struct pcpub_dev, reap_work);

	pcpub_reap(d);
	queue_delayed_work(pcpub_wq, &d->reap_work, PCPUB_REAP_PERIOD);
}

/* ---- readers ---- */

bool pcpub_css_sum(struct pcpub_dev *d, struct cgroup_subsys_state *css,
		   struct pcpub_sum *sum)
{
	struct pcpub_stat *s;

	memset(sum, 0, sizeof(*sum));
	guard(rcu)();
	s = pcpub_lookup(d, css);
	if (s)
		pcpub_ctr_sum(s->ctr, sum);
	return s;
}
EXPORT_SYMBOL_GPL(pcpub_css_sum);

static void pcpub_sum_add(struct pcpub_sum *to, const struct pcpub_sum *from)
{
	int t;

	for (t = 0; t < PCPUB_NR_TYPES; t++) {
		to->ios[t] += from->ios[t];
		to->bytes[t] += from->bytes[t];
	}
	to->flushes += from->flushes;
}

static bool pcpub_css_within(struct cgroup_subsys_state *css,
			     struct cgroup_subsys_state *top)
{
	for (; css; css = css->parent)
		if (css == top)
			return true;
	return false;
}

/*
 * @css's io.stat-style totals: its own IO, its live descendants' and its
 * removed descendants', as io.stat's rstat flush gives a parent.  Summed at
 * read time over the objects below @css: the IO path never walks the
 * hierarchy (except for a dying cgroup's IO, pcpub_fold_target()).
 * Returns whether any object below @css (or its own) was found.
 */
bool pcpub_css_tree_sum(struct pcpub_dev *d, struct cgroup_subsys_state *css,
			struct pcpub_sum *sum)
{
	struct pcpub_stat *s;
	bool found = false;

	memset(sum, 0, sizeof(*sum));
	guard(rcu)();
	list_for_each_entry_rcu(s, &d->stats, node) {
		if (!pcpub_css_within(s->css, css))
			continue;
		pcpub_ctr_sum(s->ctr, sum);
		pcpub_dead_sum(s, sum);
		found = true;
	}
	return found;
}
EXPORT_SYMBOL_GPL(pcpub_css_tree_sum);

/* Lines pcpub_tree_fill() may need now: each object and its ancestors. */
unsigned int pcpub_tree_bound(struct pcpub_dev *d)
{
	struct cgroup_subsys_state *c;
	struct pcpub_stat *s;
	unsigned int n = 0;

	guard(rcu)();
	list_for_each_entry_rcu(s, &d->stats, node)
		for (c = s->css, n++; c && c->parent; c = c->parent)
			n++;
	return n;
}

static struct pcpub_line *pcpub_line_of(struct pcpub_line *lines,
					unsigned int *n, unsigned int max,
					struct cgroup_subsys_state *css)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (lines[i].css == css)
			return &lines[i];
	if (*n == max)
		return NULL;
	lines[*n] = (struct pcpub_line){ .css = css,
					 .dying = css && css_is_dying(css) };
	return &lines[(*n)++];
}

/*
 * Under rcu_read_lock(): one line per cgroup that has an object or a
 * descendant with one (a parent that issued no IO itself has a line, as in
 * io.stat), each with its hierarchical totals, parents before children.
 * Adds each object's counts to itself and every ancestor: O(objects x
 * depth x lines), the reader's cost.  At most @max lines (an object
 * created since pcpub_tree_bound() may be left out); returns the number.
 */
unsigned int pcpub_tree_fill(struct pcpub_dev *d, struct pcpub_line *lines,
			     unsigned int max)
{
	struct cgroup_subsys_state *chain[16], *c;
	struct pcpub_line *l;
	struct pcpub_stat *s;
	unsigned int n = 0;
	int depth, i;

	list_for_each_entry_rcu(s, &d->stats, node) {
		struct pcpub_sum sum = {};

		pcpub_ctr_sum(s->ctr, &sum);
		pcpub_dead_sum(s, &sum);
		/* the top 16 levels first, so that parents are listed first */
		for (depth = 0, c = s->css; c; c = c->parent)
			depth++;
		for (i = 0, c = s->css; c; c = c->parent, i++)
			if (depth - 1 - i < ARRAY_SIZE(chain))
				chain[depth - 1 - i] = c;
		for (i = 0; i < depth; i++) {
			c = i < ARRAY_SIZE(chain) ? chain[i] : NULL;
			if (!c)
				break;
			pcpub_line_of(lines, &n, max, c);
		}
		for (c = s->css; c; c = c->parent) {
			l = pcpub_line_of(lines, &n, max, c);
			if (l)
				pcpub_sum_add(&l->sum, &sum);
		}
		if (!s->css) {	/* a root object without a css (no blkcg) */
			l = pcpub_line_of(lines, &n, max, NULL);
			if (l)
				pcpub_sum_add(&l->sum, &sum);
		}
	}
	return n;
}

void pcpub_removed_sum(struct pcpub_dev *d, struct pcpub_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	pcpub_ctr_sum(pcpub_removed(d), sum);
}
EXPORT_SYMBOL_GPL(pcpub_removed_sum);

void pcpub_unattributed_sum(struct pcpub_dev *d, struct pcpub_sum *sum)
{
	memset(sum, 0, sizeof(*sum));
	pcpub_ctr_sum(pcpub_unattributed(d), sum);
}
EXPORT_SYMBOL_GPL(pcpub_unattributed_sum);

void pcpub_alloc_stats(struct pcpub_dev *d, struct pcpub_alloc_stats *st)
{
	spin_lock_irq(&d->lock);
	st->served = d->served;
	st->missed = d->missed;
	st->retried = d->retried;
	st->reaped = d->reaped;
	st->live = d->live;
	spin_unlock_irq(&d->lock);
	spin_lock_irq(&d->obj_lock);
	st->obj_reserve = d->obj_nr;
	spin_unlock_irq(&d->obj_lock);
	st->flush_reqs = pcpupool_counter_sum(pcpub_dev_u64(d, flush_reqs));
	st->bios = pcpupool_counter_sum(pcpub_dev_u64(d, bios));
	st->rqs = pcpupool_counter_sum(pcpub_dev_u64(d, rqs));
}
EXPORT_SYMBOL_GPL(pcpub_alloc_stats);

/* ---- setup and teardown ---- */

int pcpub_stats_init(struct pcpub_dev *d, unsigned int reserve)
{
	char name[32];

	spin_lock_init(&d->lock);
	spin_lock_init(&d->obj_lock);
	hash_init(d->hash);
	INIT_LIST_HEAD(&d->stats);
	INIT_LIST_HEAD(&d->obj_free);
	INIT_WORK(&d->refill_work, pcpub_refill_workfn);
	INIT_DELAYED_WORK(&d->reap_work, pcpub_reap_workfn);
	d->obj_min = reserve;

	d->pcpu = pcpupool_new(struct pcpub_dev_pcpu_h, GFP_KERNEL);
	if (pcpupool_is_null(d->pcpu))
		return -ENOMEM;
	snprintf(name, sizeof(name), "pcpub%s%d", d->test ? "t" : "", d->index);
	d->ctr_pool = pcpupool_mempool_create(name, sizeof(struct pcpub_ctr),
					      __alignof__(struct pcpub_ctr),
					      reserve, GFP_KERNEL);
	if (!d->ctr_pool)
		goto err;

	/* The root cgroup's object exists from the start. */
	d->root = kmalloc(sizeof(*d->root), GFP_KERNEL);
	if (!d->root)
		goto err;
	d->root->ctr = pcpupool_cast(struct pcpub_ctr_pcpu,
				     pcpupool_mempool_alloc(d->ctr_pool, GFP_KERNEL));
	if (pcpupool_is_null(d->root->ctr))
		goto err;
	d->root->css = blkcg_root_css;	/* CSS_NO_REF: no reference */
	d->root->flags = 0;
	pcpub_dead_init(d->root);
	if (d->root->css)
		hash_add(d->hash, &d->root->hnode, (unsigned long)d->root->css);
	else
		INIT_HLIST_NODE(&d->root->hnode);
	list_add_tail(&d->root->node, &d->stats);
	d->live = 1;

	pcpub_refill_workfn(&d->refill_work);
	queue_delayed_work(pcpub_wq, &d->reap_work, PCPUB_REAP_PERIOD);
	return 0;
err:
	if (d->root)
		pcpupool_mempool_free(d->root->ctr, d->ctr_pool);
	kfree(d->root);
	d->root = NULL;
	if (d->ctr_pool)
		pcpupool_mempool_destroy(d->ctr_pool);
	d->ctr_pool = NULL;
	pcpupool_free(d->pcpu);
	d->pcpu = pcpupool_null(struct pcpub_dev_pcpu_h);
	return -ENOMEM;
}

/* No submitter left (del_gendisk done). */
void pcpub_stats_exit(struct pcpub_dev *d)
{
	struct pcpub_stat *s, *tmp;

	cancel_delayed_work_sync(&d->reap_work);
	cancel_work_sync(&d->refill_work);
	synchronize_rcu();	/* debugfs readers, lookups of test callers */
	list_for_each_entry_safe(s, tmp, &d->stats, node) {
		list_del(&s->node);
		if (s != d->root) {
			pcpub_stat_free(d, s);	/* into obj_free, freed below */
			continue;
		}
		pcpupool_mempool_free(s->ctr, d->ctr_pool);
		kfree(s);
	}
	list_for_each_entry_safe(s, tmp, &d->obj_free, node) {
		list_del(&s->node);
		kfree(s);
	}
	d->obj_nr = 0;
	pcpupool_mempool_destroy(d->ctr_pool);
	pcpupool_free(d->pcpu);
}
