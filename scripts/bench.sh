#!/bin/bash
# bench.sh - `make bench`: pcpupool vs the kernel's percpu allocator and
# mempool, side by side in one boot of the bench kernel.
#
# The bench kernel is scripts/bench.config: the debug test kernel's config
# without KASAN, lockdep, kmemleak, DEBUG_VM, SLUB_DEBUG and fault
# injection, which distort timings.  It keeps KUnit so that pcpupool's test
# hooks can force the mempool's reserve path.  (Debian's stock kernel has no
# KUnit, hence no hooks, and NR_CPUS=8192 sizes things differently from the
# test kernel.)  It is cached like the debug kernel.  The guest has 2 CPUs
# (scalability is 1 vs 2 CPUs), TCG: absolute times are meaningless, the
# ratios measured in the same boot are what counts.
#
# Output: the table on stdout and build/bench/results.{csv,md,png}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$repo/build}
out=$BUILD/bench
mkdir -p "$out"
"$here/deps.sh"
kdir=$("$here/kernel.sh" "$here/bench.config" | tail -1)
src=$BUILD/bench-src
mkdir -p "$src"
rsync -a --delete --exclude=/.git --exclude=/build --exclude='*.o' --exclude='*.s' --exclude='*.ko' \
	--exclude=/module/port/generated \
	--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order \
	--exclude=Module.symvers "$repo/" "$src/"
make -C "$kdir" M="$src" -j"$(nproc)" modules > "$out/modules.log" 2>&1 ||
	{ cat "$out/modules.log"; exit 1; }
"$here/mkinitramfs.sh" "$out/bench.cpio.gz" bench "$src/pcpupool.ko" "$src/pcpupool_bench.ko" \
	"$src/pcpupool_blk.ko"
# BENCH_BOOTS boots (default 3): the whole table from the first; from the
# others, the bursts right after load and settled, which depend on where
# the refill work runs and so are shown boot by boot.
boots=${BENCH_BOOTS:-3}
: > "$out/rows.txt"
for ((b = 1; b <= boots; b++)); do
	log=$out/bench.log
	[ $b = 1 ] || log=$out/bench-$b.log
	"$here/qemu.sh" --kernel "$kdir/arch/x86/boot/bzImage" --initrd "$out/bench.cpio.gz" \
		--log "$log" --timeout 900 --smp 2 --mem 2048 \
		--append "${PCPUPOOL_APPEND:-}" || { echo "bench: guest failed (log $log)"; exit 1; }
	"$here/scan-log.py" "$log" || exit 1
	if [ $b = 1 ]; then
		grep -a 'pcpupool-bench|' "$log" | sed 's/^.*pcpupool-bench|//' | tr -d '\r' >> "$out/rows.txt"
	else
		grep -a 'pcpupool-bench|atomic burst \(4096 x 64 B, right after load\|4096 x 64 B, settled\|16384 x 64 B, settled\)' "$log" |
			sed 's/^.*pcpupool-bench|//; s/|failures|/ (boot '$b')|failures|/' | tr -d '\r' >> "$out/rows.txt"
	fi
done
{
	echo "workload,metric,pcpupool,kernel,ratio,note"
	awk -F'|' '{ printf "\"%s\",\"%s\",%s,%s,%s,\"%s\"\n", $1, $2, $3, $4, $5, $6 }' "$out/rows.txt"
} > "$out/results.csv"
{
	echo "| workload | metric | pcpupool | kernel | ratio | note |"
	echo "|---|---|---:|---:|---:|---|"
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$out/rows.txt"
} > "$out/results.md"
"$here/bench-plot.sh" "$out/rows.txt" "$out/results.png" || echo "bench: no picture"
cat "$out/results.md"
echo
echo "ratio: kernel/pcpupool for times (above 1: pcpupool faster), pcpupool/kernel otherwise"
echo "written: $out/results.csv $out/results.md $out/results.png (log: $out/bench.log)"
