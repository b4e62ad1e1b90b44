// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - port: files under /sys/kernel/debug/pcpupool/.
 *
 * Two kinds of file: read-only seq_file views whose content the C++ core
 * prints through pcpu_seq_printf(), and u64 tunables/triggers whose writes
 * are parsed here (decimal, optional trailing newline, nothing else) and
 * validated by the core's setter before anything changes.  Malformed input
 * gets -EINVAL and changes nothing.  Process context only.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "port.h"
#include "port_internal.h"

static struct dentry *pcpu_debugfs_top;

void pcpu_seq_printf(void *seq, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	seq_vprintf(seq, fmt, args);
	va_end(args);
}

void *pcpu_debugfs_root(void)
{
	if (!pcpu_debugfs_top) {
		pcpu_debugfs_top = debugfs_create_dir("pcpupool", NULL);
		if (IS_ERR(pcpu_debugfs_top))
			pcpu_debugfs_top = NULL;
	}
	return pcpu_debugfs_top;
}

void *pcpu_debugfs_dir(const char *name, void *parent)
{
	struct dentry *d;

	if (!parent)
		parent = pcpu_debugfs_root();
	if (!parent)
		return NULL;
	d = debugfs_create_dir(name, parent);
	return IS_ERR(d) ? NULL : d;
}

static int pcpu_show_seq(struct seq_file *m, void *unused)
{
	struct pcpu_debugfs_file *f = m->private;

	f->show(m, f->arg);
	return 0;
}

static int pcpu_show_open(struct inode *inode, struct file *file)
{
	return single_open(file, pcpu_show_seq, inode->i_private);
}

static const struct file_operations pcpu_show_fops = {
	.owner = THIS_MODULE,
	.open = pcpu_show_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t pcpu_u64_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct pcpu_debugfs_file *f = file->private_data;
	char tmp[24];
	int len;

	if (!f->get)
		return -EINVAL;
	len = scnprintf(tmp, sizeof(tmp), "%llu\n", f->get(f->arg));
	return simple_read_from_buffer(buf, count, ppos, tmp, len);
}

static ssize_t pcpu_u64_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct pcpu_debugfs_file *f = file->private_data;
	unsigned long long val;
	char tmp[22];
	size_t i, digits;
	int ret;

	if (!f->set)
		return -EINVAL;
	if (*ppos != 0 || count == 0 || count >= sizeof(tmp))
		return -EINVAL;
	if (copy_from_user(tmp, buf, count))
		return -EFAULT;
	/*
	 * Decimal digits and at most one trailing newline, nothing else: no
	 * sign (kstrtoull takes '+'), no NUL (kstrtoull stops at one, so
	 * "5\0xyz" would pass), no base prefix.
	 */
	digits = count - (tmp[count - 1] == '\n');
	if (!digits)
		return -EINVAL;
	for (i = 0; i < digits; i++)
		if (tmp[i] < '0' || tmp[i] > '9')
			return -EINVAL;
	tmp[digits] = '\0';
	if (kstrtoull(tmp, 10, &val))	/* overflow */
		return -EINVAL;
	ret = f->set(f->arg, val);
	return ret ? ret : count;
}

static const struct file_operations pcpu_u64_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = pcpu_u64_read,
	.write = pcpu_u64_write,
	.llseek = default_llseek,
};

void pcpu_debugfs_create(void *parent, struct pcpu_debugfs_file *f)
{
	umode_t mode;

	if (!parent)
		parent = pcpu_debugfs_root();
	if (!parent)
		return;
	if (f->show) {
		debugfs_create_file(f->name, 0444, parent, f, &pcpu_show_fops);
		return;
	}
	mode = (f->get ? 0444 : 0) | (f->set ? 0200 : 0);
	debugfs_create_file(f->name, mode, parent, f, &pcpu_u64_fops);
}

void pcpu_debugfs_remove(void *dir)
{
	debugfs_remove(dir);
	if (dir == pcpu_debugfs_top)
		pcpu_debugfs_top = NULL;
}

void pcpu_debugfs_exit(void)
{
	debugfs_remove(pcpu_debugfs_top);
	pcpu_debugfs_top = NULL;
}
