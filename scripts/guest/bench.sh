#!/bin/sh
# bench.sh - guest mode "bench": load pcpupool and pcpupool_bench (its
# workloads run at load and print "pcpupool-bench|..." lines), then measure
# memory: populated bytes per live requested byte after the same mixed
# workload, for pcpupool (its populated_pages) and for the kernel's
# allocator (the Percpu line of /proc/meminfo, before/after).
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
rmmod pcpupool || exit 4
