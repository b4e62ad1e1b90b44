// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - pcpupool_blk.ko: a RAM-backed block device whose IO path keeps
 * blkcg-style per-(cgroup, device) statistics allocated from pcpupool.
 *
 * This file owns the module, the devices and their data path; the
 * statistics live in stats.c (see pcpub.h for the picture).
 *
 *   nr_devices=N     /dev/pcpub0 .. pcpub<N-1> (1..16, default 1)
 *   size_mb=M[,M..]  size of each in MiB (1..4096, default 64), backing
 *                    memory vzalloc'd at creation so that the data path
 *                    allocates nothing; device i takes the i-th value, the
 *                    last value repeats (size_mb=144,16: a 144 MiB pcpub0
 *                    and 16 MiB for the others)
 *   queue_mode=mq    blk-mq (blk_mq_alloc_disk, queue_rq memcpy's to the
 *                    backing memory), the default; or "bio": bio-based
 *                    (submit_bio).  Both count every bio once, as io.stat
 *                    does.  One difference: an empty flush bio (fsync)
 *                    reaches only a bio-based driver; blk-mq's flush
 *                    machinery hands queue_rq a REQ_OP_FLUSH request
 *                    without the bio, so in mq mode io.stat shows one wios
 *                    more per empty flush (flush_reqs below counts it).
 *   stats_reserve=R  per device: stats objects and percpu counter
 *                    elements kept in reserve for the submission path
 *                    (0..1024, default 16)
 *
 * Reads, writes, discards (zero the range) and flushes (the device has a
 * volatile write cache: REQ_PREFLUSH/REQ_FUA reach the driver; for RAM they
 * are no-ops that are counted) work.
 *
 * debugfs, under pcpupool's directory (/sys/kernel/debug/pcpupool/blk/):
 *
 *   <disk>/stats   one line per cgroup with a stats object or a descendant
 *                  with one, keys and order of cgroup v2's io.stat, with
 *                  io.stat's hierarchical totals (the cgroup's own IO, its
 *                  live and its removed descendants'), summed over CPUs
 *                  and over the subtree at read time, parents first:
 *                    <path> rbytes= wbytes= rios= wios= dbytes= dios= flushes=
 *                  (" dying=1" until the reaper folds it), then
 *                    (removed) ...       the own IO of removed cgroups (also
 *                                        in their ancestors' lines)
 *                    (unattributed) ...  bios whose stats allocation missed
 *                    allocs served= missed= retried= reaped= live= reserve=
 *                    device mode= size= bios= requests= flush_reqs=
 *   fail_stats_alloc  test builds: write N, the next N stats allocations
 *                  fail (the bios are still served)
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <pcpupool/pcpupool.h>
#include "pcpub.h"

static unsigned int nr_devices = 1;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "number of devices /dev/pcpubN (1..16)");

static unsigned int size_mb[16] = { 64 };
static unsigned int nr_size_mb;
module_param_array(size_mb, uint, &nr_size_mb, 0444);
MODULE_PARM_DESC(size_mb, "size of each device in MiB (1..4096), preallocated; the last value repeats");

static char *queue_mode = "mq";
module_param(queue_mode, charp, 0444);
MODULE_PARM_DESC(queue_mode, "mq (blk-mq, default) or bio (bio-based)");

static unsigned int stats_reserve = 16;
module_param(stats_reserve, uint, 0444);
MODULE_PARM_DESC(stats_reserve, "per device reserve of stats objects (0..1024)");

struct workqueue_struct *pcpub_wq;
static int pcpub_major;
static DEFINE_IDA(pcpub_ida);
static DEFINE_MUTEX(pcpub_lock);
static LIST_HEAD(pcpub_devices);
static struct dentry *pcpub_dbg_root;

/* ---- data path: never allocates, never sleeps ---- */

static blk_status_t pcpub_rw(struct pcpub_dev *d, struct bio_vec *bv,
			     sector_t sector, bool write)
{
	u64 off = (u64)sector << SECTOR_SHIFT;

	if (off > d->size || bv->bv_len > d->size - off)
		return BLK_STS_IOERR;
	if (write)
		memcpy_from_bvec((char *)d->data + off, bv);
	else
		memcpy_to_bvec(bv, (char *)d->data + off);
	return BLK_STS_OK;
}

static blk_status_t pcpub_transfer_bio(struct pcpub_dev *d, struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter;
	struct bio_vec bv;
	blk_status_t st;

	bio_for_each_segment(bv, bio, iter) {
		st = pcpub_rw(d, &bv, iter.bi_sector, write);
		if (st)
			return st;
	}
	return BLK_STS_OK;
}

static blk_status_t pcpub_discard(struct pcpub_dev *d, sector_t sector,
				  u64 bytes)
{
	u64 off = (u64)sector << SECTOR_SHIFT;

	if (off > d->size || bytes > d->size - off)
		return BLK_STS_IOERR;
	memset(d->data + off, 0, bytes);
	return BLK_STS_OK;
}

static void pcpub_count_flush(struct pcpub_dev *d)
{
	pcpupool_counter_add(pcpub_dev_u64(d, flush_reqs), 1);
}

/*
 * blk-mq: every bio of the request is counted (a request may hold several
 * merged bios, each counted by io.stat when it was submitted; a split bio
 * arrives as its pieces, and io.stat counted one io per piece too).
 */
static blk_status_t pcpub_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct pcpub_dev *d = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	blk_status_t st = BLK_STS_OK;
	struct bio *bio;

	/* lockdep: this is IO that reclaim with __GFP_IO may wait for. */
	pcpupool_lockdep_io_begin();
	blk_mq_start_request(rq);
	pcpupool_counter_add(pcpub_dev_u64(d, rqs), 1);
	__rq_for_each_bio(bio, rq)
		pcpub_account_bio(d, bio);
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		pcpub_count_flush(d);
		break;
	case REQ_OP_DISCARD:
		st = pcpub_discard(d, blk_rq_pos(rq), blk_rq_bytes(rq));
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		__rq_for_each_bio(bio, rq) {
			st = pcpub_transfer_bio(d, bio);
			if (st)
				break;
		}
		break;
	default:
		st = BLK_STS_NOTSUPP;
		break;
	}
	blk_mq_end_request(rq, st);
	pcpupool_lockdep_io_end();
	return BLK_STS_OK;
}

static const struct blk_mq_ops pcpub_mq_ops = {
	.queue_rq = pcpub_queue_rq,
};

/* bio-based: the bio exactly as submitted, flush bios included. */
static void pcpub_submit_bio(struct bio *bio)
{
	struct pcpub_dev *d = bio->bi_bdev->bd_disk->private_data;
	blk_status_t st = BLK_STS_OK;

	pcpupool_lockdep_io_begin();	/* as in pcpub_queue_rq() */
	pcpub_account_bio(d, bio);
	if (bio->bi_opf & REQ_PREFLUSH)
		pcpub_count_flush(d);
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		st = pcpub_transfer_bio(d, bio);
		break;
	case REQ_OP_DISCARD:
		st = pcpub_discard(d, bio->bi_iter.bi_sector,
				   bio->bi_iter.bi_size);
		break;
	default:
		st = BLK_STS_NOTSUPP;
		break;
	}
	bio->bi_status = st;
	bio_endio(bio);
	pcpupool_lockdep_io_end();
}

static const struct block_device_operations pcpub_mq_fops = {
	.owner = THIS_MODULE,
};

static const struct block_device_operations pcpub_bio_fops = {
	.owner = THIS_MODULE,
	.submit_bio = pcpub_submit_bio,
};

/* ---- debugfs ---- */

static void pcpub_seq_sum(struct seq_file *m, const char *name,
			  const struct pcpub_sum *s, const char *tail)
{
	/* cgroup v2 io.stat's keys and order, then ours */
	seq_printf(m, "%s rbytes=%llu wbytes=%llu rios=%llu wios=%llu dbytes=%llu dios=%llu flushes=%llu%s\n",
		   name, s->bytes[PCPUB_READ], s->bytes[PCPUB_WRITE],
		   s->ios[PCPUB_READ], s->ios[PCPUB_WRITE],
		   s->bytes[PCPUB_DISCARD], s->ios[PCPUB_DISCARD], s->flushes,
		   tail);
}

static int pcpub_stats_show(struct seq_file *m, void *v)
{
	struct pcpub_dev *d = m->private;
	struct pcpub_alloc_stats st;
	struct pcpub_line *lines;
	struct pcpub_sum sum;
	unsigned int i, n, max;
	char *path;

	path = kmalloc(PATH_MAX, GFP_KERNEL);
	max = pcpub_tree_bound(d) + 8;
	lines = kvmalloc_array(max, sizeof(*lines), GFP_KERNEL);
	if (!path || !lines) {
		kfree(path);
		kvfree(lines);
		return -ENOMEM;
	}
	rcu_read_lock();
	n = pcpub_tree_fill(d, lines, max);
	for (i = 0; i < n; i++) {
		struct cgroup_subsys_state *css = lines[i].css;

		if (!css || !css->cgroup ||
		    cgroup_path(css->cgroup, path, PATH_MAX) < 0)
			strscpy(path, "/", PATH_MAX);
		pcpub_seq_sum(m, path, &lines[i].sum,
			      lines[i].dying ? " dying=1" : "");
	}
	rcu_read_unlock();
	kvfree(lines);
	kfree(path);
	pcpub_removed_sum(d, &sum);
	pcpub_seq_sum(m, "(removed)", &sum, "");
	pcpub_unattributed_sum(d, &sum);
	pcpub_seq_sum(m, "(unattributed)", &sum, "");
	pcpub_alloc_stats(d, &st);
	seq_printf(m, "allocs served=%llu missed=%llu retried=%llu reaped=%llu live=%llu reserve=%llu\n",
		   st.served, st.missed, st.retried, st.reaped, st.live,
		   st.obj_reserve);
	seq_printf(m, "device mode=%s size=%llu bios=%llu requests=%llu flush_reqs=%llu\n",
		   d->mode == PCPUB_MQ ? "mq" : "bio", d->size, st.bios, st.rqs,
		   st.flush_reqs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pcpub_stats);

#ifdef PCPUPOOL_TEST
static ssize_t pcpub_fail_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 10, &n);
	if (ret)
		return ret;
	if (n > 1000000)
		return -EINVAL;
	pcpub_test_fail_next(n);
	return len;
}

static const struct file_operations pcpub_fail_fops = {
	.owner = THIS_MODULE,
	.write = pcpub_fail_write,
	.llseek = noop_llseek,
};
#endif

static void pcpub_debugfs_init(void)
{
	struct dentry *parent = debugfs_lookup("pcpupool", NULL);

	if (parent) {
		pcpub_dbg_root = debugfs_create_dir("blk", parent);
		dput(parent);
	} else {
		pcpub_dbg_root = debugfs_create_dir("pcpupool_blk", NULL);
	}
#ifdef PCPUPOOL_TEST
	debugfs_create_file("fail_stats_alloc", 0200, pcpub_dbg_root, NULL,
			    &pcpub_fail_fops);
#endif
}

/* ---- devices ---- */

static struct pcpub_dev *pcpub_create(bool test, enum pcpub_queue_mode mode,
				      u64 size, unsigned int reserve)
{
	struct queue_limits lim = {
		.logical_block_size	= SECTOR_SIZE,
		.physical_block_size	= PAGE_SIZE,
		/*
		 * A 1 MiB O_DIRECT bio (256 pages) is not split, and the
		 * bios of one larger O_DIRECT write (up to 1.25 MiB, the
		 * block layer's cap) merge into one request.
		 */
		.max_hw_sectors		= 2560,
		.max_segments		= 2 * BIO_MAX_VECS,
		.max_hw_discard_sectors	= UINT_MAX,
		.max_discard_segments	= 1,
		.discard_granularity	= SECTOR_SIZE,
		.features		= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA,
	};
	struct pcpub_dev *d;
	struct gendisk *disk;
	int err = -ENOMEM;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->test = test;
	d->mode = mode;
	d->size = size;
	d->index = ida_alloc_max(&pcpub_ida, 255, GFP_KERNEL);
	if (d->index < 0) {
		err = d->index;
		goto free_dev;
	}
	d->data = vzalloc(size);
	if (!d->data)
		goto free_index;
	err = pcpub_stats_init(d, reserve);
	if (err)
		goto free_data;

	if (mode == PCPUB_MQ) {
		d->tag_set = kzalloc(sizeof(*d->tag_set), GFP_KERNEL);
		err = -ENOMEM;
		if (!d->tag_set)
			goto free_stats;
		d->tag_set->ops = &pcpub_mq_ops;
		d->tag_set->nr_hw_queues = 1;
		d->tag_set->queue_depth = 128;
		d->tag_set->numa_node = NUMA_NO_NODE;
		d->tag_set->flags = BLK_MQ_F_SHOULD_MERGE;
		d->tag_set->driver_data = d;
		err = blk_mq_alloc_tag_set(d->tag_set);
		if (err) {
			kfree(d->tag_set);
			d->tag_set = NULL;
			goto free_stats;
		}
		disk = blk_mq_alloc_disk(d->tag_set, &lim, d);
	} else {
		lim.features |= BLK_FEAT_NOWAIT;
		disk = blk_alloc_disk(&lim, NUMA_NO_NODE);
	}
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto free_tags;
	}
	d->disk = disk;
	disk->major = pcpub_major;
	disk->first_minor = d->index;
	disk->minors = 1;
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = mode == PCPUB_MQ ? &pcpub_mq_fops : &pcpub_bio_fops;
	disk->private_data = d;
	snprintf(disk->disk_name, DISK_NAME_LEN, "pcpub%s%d", test ? "t" : "",
		 d->index);
	set_capacity(disk, size >> SECTOR_SHIFT);
	err = add_disk(disk);
	if (err)
		goto put_disk;
	if (!test) {
		d->dbg = debugfs_create_dir(disk->disk_name, pcpub_dbg_root);
		debugfs_create_file("stats", 0444, d->dbg, d, &pcpub_stats_fops);
	}
	mutex_lock(&pcpub_lock);
	list_add_tail(&d->list, &pcpub_devices);
	mutex_unlock(&pcpub_lock);
	return d;

put_disk:
	put_disk(disk);
free_tags:
	if (d->tag_set) {
		blk_mq_free_tag_set(d->tag_set);
		kfree(d->tag_set);
	}
free_stats:
	pcpub_stats_exit(d);
free_data:
	vfree(d->data);
free_index:
	ida_free(&pcpub_ida, d->index);
free_dev:
	kfree(d);
	return ERR_PTR(err);
}

static void pcpub_destroy(struct pcpub_dev *d)
{
	mutex_lock(&pcpub_lock);
	list_del(&d->list);
	mutex_unlock(&pcpub_lock);
	debugfs_remove_recursive(d->dbg);
	del_gendisk(d->disk);		/* no bio in flight after this */
	pcpub_stats_exit(d);
	put_disk(d->disk);
	if (d->tag_set) {
		blk_mq_free_tag_set(d->tag_set);
		kfree(d->tag_set);
	}
	vfree(d->data);
	ida_free(&pcpub_ida, d->index);
	kfree(d);
}

#ifdef PCPUPOOL_TEST
struct pcpub_dev *pcpub_test_create(enum pcpub_queue_mode mode, u64 size,
				    unsigned int reserve)
{
	return pcpub_create(true, mode, size, reserve);
}
EXPORT_SYMBOL_GPL(pcpub_test_create);

void pcpub_test_destroy(struct pcpub_dev *d)
{
	pcpub_destroy(d);
}
EXPORT_SYMBOL_GPL(pcpub_test_destroy);

struct pcpupool_mempool *pcpub_test_ctr_pool(struct pcpub_dev *d)
{
	return d->ctr_pool;
}
EXPORT_SYMBOL_GPL(pcpub_test_ctr_pool);
#endif

static void pcpub_destroy_all(void)
{
	struct pcpub_dev *d;

	for (;;) {
		mutex_lock(&pcpub_lock);
		d = list_first_entry_or_null(&pcpub_devices, struct pcpub_dev, list);
		mutex_unlock(&pcpub_lock);
		if (!d)
			break;
		pcpub_destroy(d);
	}
}

static int __init pcpub_init(void)
{
	enum pcpub_queue_mode mode;
	unsigned int i;
	int err;

	if (!strcmp(queue_mode, "mq"))
		mode = PCPUB_MQ;
	else if (!strcmp(queue_mode, "bio"))
		mode = PCPUB_BIO;
	else
		return -EINVAL;
	if (nr_devices < 1 || nr_devices > 16 || stats_reserve > 1024)
		return -EINVAL;
	if (!nr_size_mb)
		nr_size_mb = 1;
	for (i = 0; i < nr_size_mb; i++)
		if (size_mb[i] < 1 || size_mb[i] > 4096)
			return -EINVAL;

	pcpub_wq = alloc_workqueue("pcpupool_blk", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!pcpub_wq)
		return -ENOMEM;
	pcpub_major = register_blkdev(0, "pcpub");
	if (pcpub_major < 0) {
		err = pcpub_major;
		goto free_wq;
	}
	pcpub_debugfs_init();
	for (i = 0; i < nr_devices; i++) {
		u64 mb = size_mb[min(i, nr_size_mb - 1)];
		struct pcpub_dev *d = pcpub_create(false, mode, mb << 20,
						   stats_reserve);

		if (IS_ERR(d)) {
			err = PTR_ERR(d);
			goto destroy;
		}
	}
	pr_info("pcpupool_blk: %u device(s), queue_mode=%s, stats_reserve=%u, major %d\n",
		nr_devices, queue_mode, stats_reserve, pcpub_major);
	return 0;

destroy:
	pcpub_destroy_all();
	debugfs_remove_recursive(pcpub_dbg_root);
	unregister_blkdev(pcpub_major, "pcpub");
free_wq:
	destroy_workqueue(pcpub_wq);
	return err;
}

static void __exit pcpub_exit(void)
{
	pcpub_destroy_all();
	debugfs_remove_recursive(pcpub_dbg_root);
	unregister_blkdev(pcpub_major, "pcpub");
	destroy_workqueue(pcpub_wq);
	ida_destroy(&pcpub_ida);
}

module_init(pcpub_init);
module_exit(pcpub_exit);
MODULE_DESCRIPTION("pcpupool_blk: RAM block device with per-cgroup percpu IO stats from pcpupool");
MODULE_LICENSE("GPL");
