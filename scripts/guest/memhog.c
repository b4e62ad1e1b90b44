// SPDX-License-Identifier: GPL-2.0
/*
 * memhog.c - the memory hog of the swap pressure test (scripts/guest/swap.sh).
 *
 * Usage: pcpupool-memhog MIB SECONDS [IO_STAT MAJ:MIN]
 *
 * Maps MIB MiB of anonymous memory and fills every page with a pattern
 * (page index in the first word, a generation in the last).  Then, for
 * SECONDS, touches random pages: checks the pattern and rewrites it with
 * the next generation (kept in a small array).  With MIB larger than the
 * guest's free memory, pages go out to swap (/dev/pcpub0) while filling and
 * come back in and go out again while touching: a mismatch is data
 * corrupted on its way through pcpupool_blk.
 *
 * Every 5 s of its own clock (the shell is too slow to sample under
 * thrashing) it prints one line
 *
 *   memhog-window T SECS MAJFLT PSWPIN PSWPOUT RBYTES WBYTES
 *
 * (T: seconds since the fill, SECS: the window's length; the clock is read
 * every 8 touches, so a window is 5 s plus at most 8 page faults) with the
 * deltas over the window of: its major faults (getrusage), the
 * pswpin/pswpout of /proc/vmstat (-1 without CONFIG_VM_EVENT_COUNTERS), and
 * rbytes/wbytes of line MAJ:MIN of IO_STAT (its cgroup's io.stat: swap-in
 * and swap-out bytes attributed to it; -1 without those arguments).
 * A summary line follows; exit status 0 only if every check passed.
 *
 * Built static on the host (scripts/build-memhog.sh): the guest has only busybox.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long read_vmstat(const char *key)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

/* KEY=value of the MAJ:MIN line of an io.stat file, -1 if absent. */
static long long iostat(const char *path, const char *dev, const char *key)
{
	char line[1024], *p;
	long long v = -1;
	size_t n;
	FILE *f;

	if (!path)
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = strlen(dev);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, dev, n) || line[n] != ' ')
			continue;
		for (p = strtok(line + n + 1, "\n "); p; p = strtok(NULL, "\n "))
			if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == '=')
				v = atoll(p + strlen(key) + 1);
	}
	fclose(f);
	return v;
}

struct sample {
	long long majflt, pswpin, pswpout, rbytes, wbytes;
};

static void sample(struct sample *s, const char *path, const char *dev)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	s->majflt = ru.ru_majflt;
	s->pswpin = read_vmstat("pswpin");
	s->pswpout = read_vmstat("pswpout");
	s->rbytes = iostat(path, dev, "rbytes");
	s->wbytes = iostat(path, dev, "wbytes");
}

static long long delta(long long a, long long b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

int main(int argc, char **argv)
{
	const char *path = argc > 4 ? argv[3] : NULL, *dev = argc > 4 ? argv[4] : NULL;
	unsigned long mib, secs, npages, i, errors = 0, checked = 0, windows = 0;
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	struct sample s0, s1;
	double t0, t, tw, tfill;
	unsigned long *mem;
	uint32_t *gen;
	size_t words;

	if (argc != 3 && argc != 5) {
		fprintf(stderr, "usage: %s MIB SECONDS [IO_STAT MAJ:MIN]\n", argv[0]);
		return 2;
	}
	mib = strtoul(argv[1], NULL, 0);
	secs = strtoul(argv[2], NULL, 0);
	npages = (mib << 20) / psz;
	words = psz / sizeof(unsigned long);
	mem = mmap(NULL, npages * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen = calloc(npages, sizeof(*gen));
	if (mem == MAP_FAILED || !gen) {
		perror("memhog: mmap");
		return 1;
	}
	t0 = now();
	for (i = 0; i < npages; i++) {
		mem[i * words] = i;
		mem[i * words + words - 1] = 0;
	}
	tfill = now();
	printf("memhog: filled %lu MiB in %.0f s\n", mib, tfill - t0);
	fflush(stdout);

	sample(&s0, path, dev);
	tw = tfill;
	for (;;) {
		unsigned long *p;
		int k;

		for (k = 0; k < 8; k++) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			i = rnd % npages;
			p = mem + i * words;
			checked++;
			if (p[0] != i || p[words - 1] != gen[i]) {
				if (errors++ < 10)
					fprintf(stderr, "memhog: page %lu: %lx/%lx, want %lx/%x\n",
						i, p[0], p[words - 1], i, gen[i]);
			}
			gen[i]++;
			p[0] = i;
			p[words - 1] = gen[i];
		}
		if (now() - tw < 5)
			continue;
		sample(&s1, path, dev);
		t = now();
		windows++;
		printf("memhog-window %.0f %.2f %lld %lld %lld %lld %lld\n", t - tfill, t - tw,
		       delta(s0.majflt, s1.majflt), delta(s0.pswpin, s1.pswpin),
		       delta(s0.pswpout, s1.pswpout), delta(s0.rbytes, s1.rbytes),
		       delta(s0.wbytes, s1.wbytes));
		fflush(stdout);
		s0 = s1;
		tw = t;
		if (tw - tfill >= secs)
			break;
	}
	printf("memhog: done: %lu MiB, %lu windows of 5 s, %lu touches checked, %lu errors\n",
	       mib, windows, checked, errors);
	return errors ? 1 : 0;
}
