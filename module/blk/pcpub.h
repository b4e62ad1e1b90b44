/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcpub.h - pcpupool_blk's internals, shared by its files (main.c: module,
 * devices, data path, debugfs; stats.c: the per-(cgroup, device) IO stats)
 * and, in test builds, by its KUnit suite (kunit/blk_test.c, built as
 * pcpupool_blk_kunit.ko).
 *
 * pcpupool_blk is an ordinary C block driver that consumes pcpupool's
 * exported API (include/pcpupool/pcpupool.h), as blk-cgroup would: a RAM
 * disk whose submission path keeps blkcg-style statistics per (cgroup,
 * device).  The stats object of a cgroup is looked up under RCU for every
 * bio and allocated lazily on the cgroup's first bio, in the IO issue path,
 * inside a memalloc_noio scope and without sleeping: the object from a
 * preallocated reserve (refilled by a work item) or kmalloc(GFP_NOWAIT),
 * its percpu counters from a pcpupool mempool with GFP_NOWAIT.  When that
 * fails the bio is served anyway, counted as "unattributed", and the next
 * bio of that cgroup tries again.
 *
 * Counting rule (the kernel's io.stat, blk_cgroup_bio_start()): one io per
 * bio, bytes = bi_size, discards apart from writes, a bio with
 * REQ_PREFLUSH is also a flush.  Each bio is counted once, with
 * bio_blkcg_css(): in submit_bio (queue_mode=bio) or for every bio of a
 * request in queue_rq (queue_mode=mq, the default).
 */
#ifndef PCPUPOOL_BLK_H
#define PCPUPOOL_BLK_H

#include <linux/blk_types.h>
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <asm/local64.h>

struct gendisk;
struct dentry;
struct pcpupool_mempool;

enum pcpub_type {
	PCPUB_READ,
	PCPUB_WRITE,
	PCPUB_DISCARD,
	PCPUB_NR_TYPES,
};

enum pcpub_queue_mode {
	PCPUB_MQ,		/* blk-mq, queue_rq per request */
	PCPUB_BIO,		/* bio-based, submit_bio per bio */
};

/* One CPU's counters: a pcpupool percpu element (from the mempool). */
struct pcpub_ctr {
	local64_t ios[PCPUB_NR_TYPES];
	local64_t bytes[PCPUB_NR_TYPES];
	local64_t flushes;
};

/* Counters summed over CPUs. */
struct pcpub_sum {
	u64 ios[PCPUB_NR_TYPES];
	u64 bytes[PCPUB_NR_TYPES];
	u64 flushes;
};

/* Per-device percpu state (pcpupool_alloc at creation). */
struct pcpub_dev_pcpu {
	struct pcpub_ctr removed;	/* folded from removed cgroups */
	struct pcpub_ctr unattributed;	/* bios whose stats alloc missed */
	u64 flush_reqs;			/* flushes the driver executed */
	u64 bios;			/* bios counted */
	u64 rqs;			/* blk-mq requests (merged bios) */
};

/* pcpupool handles of the two (pcpupool.h: not __percpu memory). */
DEFINE_PCPUPOOL_TYPE(pcpub_ctr_pcpu, struct pcpub_ctr);
DEFINE_PCPUPOOL_TYPE(pcpub_dev_pcpu_h, struct pcpub_dev_pcpu);
/* A u64 counter of a device's percpu state, as a handle of its own. */
#define pcpub_dev_u64(d, member) pcpupool_member(struct pcpupool_u64, (d)->pcpu, member)

#define PCPUB_STAT_KICKED	0	/* dying css seen: reaper kicked */

/* The stats of one cgroup on one device. */
struct pcpub_stat {
	struct hlist_node hnode;		/* dev->hash, RCU */
	struct list_head node;			/* dev->stats (RCU) or obj_free */
	struct list_head reap;			/* reaper's private batch */
	struct cgroup_subsys_state *css;	/* referenced (css_tryget) */
	struct pcpub_ctr_pcpu ctr;		/* from dev->ctr_pool */
	unsigned long flags;
	/*
	 * Removed descendants, folded in: their own counts, added when the
	 * reaper frees their objects or when IO of a dying descendant without
	 * an object is submitted.  Atomics: both add without a lock.
	 */
	atomic64_t dead_ios[PCPUB_NR_TYPES];
	atomic64_t dead_bytes[PCPUB_NR_TYPES];
	atomic64_t dead_flushes;
};

#define PCPUB_HASH_BITS	6
#define PCPUB_MISS_LOG	16

struct pcpub_dev {
	struct list_head list;			/* pcpub_devices */
	int index;
	bool test;				/* KUnit device: no debugfs */
	enum pcpub_queue_mode mode;
	u64 size;				/* bytes */
	u8 *data;				/* vzalloc'd at creation */
	struct gendisk *disk;
	struct blk_mq_tag_set *tag_set;		/* PCPUB_MQ only */

	/* the stats: lookup under RCU, changes under @lock */
	spinlock_t lock;
	DECLARE_HASHTABLE(hash, PCPUB_HASH_BITS);
	struct list_head stats;			/* creation order, RCU */
	struct pcpub_stat *root;		/* preallocated at creation */
	struct pcpub_dev_pcpu_h pcpu;
	struct pcpupool_mempool *ctr_pool;
	u64 served, missed, retried, reaped;	/* under @lock */
	unsigned int live;			/* objects in @stats */
	unsigned long miss_log[PCPUB_MISS_LOG];	/* css that missed, 0 = free */
	unsigned int miss_pos;

	/* reserve of stats objects (the non-percpu part) */
	spinlock_t obj_lock;
	struct list_head obj_free;
	unsigned int obj_nr, obj_min;
	struct work_struct refill_work;
	struct delayed_work reap_work;		/* every 500 ms, and on demand */

	struct dentry *dbg;
};

/* stats.c */
int pcpub_stats_init(struct pcpub_dev *d, unsigned int reserve);
void pcpub_stats_exit(struct pcpub_dev *d);
void pcpub_account(struct pcpub_dev *d, struct cgroup_subsys_state *css,
		   enum pcpub_type type, u64 bytes, bool flush);
void pcpub_account_bio(struct pcpub_dev *d, struct bio *bio);
void pcpub_reap(struct pcpub_dev *d);
void pcpub_ctr_sum(struct pcpub_ctr_pcpu ctr, struct pcpub_sum *sum);
bool pcpub_css_sum(struct pcpub_dev *d, struct cgroup_subsys_state *css,
		   struct pcpub_sum *sum);
bool pcpub_css_tree_sum(struct pcpub_dev *d, struct cgroup_subsys_state *css,
			struct pcpub_sum *sum);
/* A cgroup's io.stat-style line: css, hierarchical sums, dying. */
struct pcpub_line {
	struct cgroup_subsys_state *css;
	struct pcpub_sum sum;
	bool dying;
};
unsigned int pcpub_tree_bound(struct pcpub_dev *d);
unsigned int pcpub_tree_fill(struct pcpub_dev *d, struct pcpub_line *lines,
			     unsigned int max);
void pcpub_removed_sum(struct pcpub_dev *d, struct pcpub_sum *sum);
void pcpub_unattributed_sum(struct pcpub_dev *d, struct pcpub_sum *sum);
extern struct workqueue_struct *pcpub_wq;

struct pcpub_alloc_stats {
	u64 served, missed, retried, reaped, live;
	u64 obj_reserve;
	u64 flush_reqs, bios, rqs;
};
void pcpub_alloc_stats(struct pcpub_dev *d, struct pcpub_alloc_stats *st);

#ifdef PCPUPOOL_TEST
/*
 * Test builds: fail the next @nr stats allocations (both parts skipped, as
 * if both failed); a probe called inside the NOIO scope of every stats
 * allocation attempt.
 */
void pcpub_test_fail_next(int nr);
typedef void (*pcpub_probe_fn)(void *arg);
void pcpub_test_set_probe(pcpub_probe_fn fn, void *arg);
bool pcpub_should_fail(void);
void pcpub_probe(void);
/* A private device for KUnit (disk "pcpubt<N>", no debugfs). */
struct pcpub_dev *pcpub_test_create(enum pcpub_queue_mode mode, u64 size,
				    unsigned int reserve);
void pcpub_test_destroy(struct pcpub_dev *d);
struct pcpupool_mempool *pcpub_test_ctr_pool(struct pcpub_dev *d);
#endif

#endif /* PCPUPOOL_BLK_H */
