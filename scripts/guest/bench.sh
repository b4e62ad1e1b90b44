#!/bin/sh
# bench.sh - guest mode "bench": load pcpupool and pcpupool_bench (its
# workloads run at load and print "pcpupool-bench|..." lines), then measure
# memory: populated bytes per live requested byte after the same mixed
# workload, for pcpupool (its populated_pages) and for the kernel's
# allocator (the Percpu line of /proc/meminfo, before/after).  Last, the
# blkcg burst: pcpupool_blk on a 16 MiB /dev/pcpub0, 256 new cgroups each
# start one O_DIRECT 4 KiB read at once; pcpupool's stats allocations
# served vs missed, beside how many of the cgroups got their own io.stat
# line from the kernel's blk-cgroup (its blkg allocation in the bio path).
. /guest/lib.sh
insmod /modules/pcpupool.ko || exit 1
# shellcheck disable=SC2046
insmod /modules/pcpupool_bench.ko $(modparams pcpupool_bench) || exit 2
B=/sys/kernel/debug/pcpupool_bench
P=/sys/kernel/debug/pcpupool
ncpu=$(cat /sys/devices/system/cpu/possible | awk -F- '{print ($2 == "" ? 1 : $2 + 1)}')
percpu_kb() { awk '/^Percpu:/ {print $2}' /proc/meminfo; }
pop_pages() { awk '/^populated_pages/ {print $3}' $P/stats; }

echo 1 > $P/balance; echo 1 > $P/balance
p0=$(pop_pages)
echo 1 > $B/mix_pcpupool
req=$(cat $B/mix_pcpupool)
echo 1 > $P/balance; echo 1 > $P/balance
p1=$(pop_pages)
echo 0 > $B/mix_pcpupool

sync; k0=$(percpu_kb)
echo 1 > $B/mix_kernel
kreq=$(cat $B/mix_kernel)
sleep 1
k1=$(percpu_kb)
echo 0 > $B/mix_kernel

# ratio x1000: populated bytes / (requested bytes per CPU * possible CPUs)
ours=$(( (p1 - p0) * 4096 * 1000 / (req * ncpu) ))
kern=$(( (k1 - k0) * 1024 * 1000 / (kreq * ncpu) ))
echo "pcpupool-bench|memory, mixed workload ($req B/CPU requested)|populated/requested x1000|$ours|$kern|-|lower is better; growth over the idle state"
rmmod pcpupool_bench || exit 3

N=256 CG=/sys/fs/cgroup
insmod /modules/pcpupool_blk.ko size_mb=16 || exit 5
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || exit 5
echo "+io" > $CG/cgroup.subtree_control || exit 5
majmin=$(cat /sys/block/pcpub0/dev)
alloc() { sed -n "s/^allocs .*$1=\([0-9]*\).*/\1/p" $P/blk/pcpub0/stats; }
s0=$(alloc served) m0=$(alloc missed)
i=0
while [ $i -lt $N ]; do mkdir $CG/b$i; i=$((i + 1)); done
# Every reader blocks on a FIFO line, so that the first IOs come at once.
mkfifo /tmp/go
exec 9<> /tmp/go
i=0
while [ $i -lt $N ]; do
	sh -c 'echo $$ > "$0/cgroup.procs"; read -r _ < /tmp/go
		exec dd if=/dev/pcpub0 of=/dev/null bs=4k count=1 skip="$1" iflag=direct 2>/dev/null' \
		$CG/b$i $i &
	i=$((i + 1))
done
sleep 2
i=0
while [ $i -lt $N ]; do echo; i=$((i + 1)); done >&9
wait
exec 9>&-
served=$(( $(alloc served) - s0 )) missed=$(( $(alloc missed) - m0 ))
kern=0
i=0
while [ $i -lt $N ]; do
	grep -q "^$majmin " $CG/b$i/io.stat && kern=$((kern + 1))
	rmdir $CG/b$i
	i=$((i + 1))
done
echo "pcpupool-bench|blkcg burst: $N new cgroups, first IO at once|stats served (missed)|$served ($missed)|$kern ($((N - kern)))|-|kernel: cgroups with their own io.stat line"
rmmod pcpupool_blk || exit 6
rmmod pcpupool || exit 4
