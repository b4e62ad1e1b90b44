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
# Output: the table on stdout and build/bench/results.{csv,md}.
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
rsync -a --delete --exclude=/.git --exclude=/build --exclude='*.o' --exclude='*.ko' \
	--exclude='.*.cmd' --exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order \
	--exclude=Module.symvers "$repo/" "$src/"
make -C "$kdir" M="$src" -j"$(nproc)" modules > "$out/modules.log" 2>&1 ||
	{ cat "$out/modules.log"; exit 1; }
"$here/mkinitramfs.sh" "$out/bench.cpio.gz" bench "$src/pcpupool.ko" "$src/pcpupool_bench.ko" \
	"$src/pcpupool_blk.ko"
"$here/qemu.sh" --kernel "$kdir/arch/x86/boot/bzImage" --initrd "$out/bench.cpio.gz" \
	--log "$out/bench.log" --timeout 900 --smp 2 --mem 2048 \
	--append "${PCPUPOOL_APPEND:-}" || { echo "bench: guest failed (log $out/bench.log)"; exit 1; }
"$here/scan-log.py" "$out/bench.log" || exit 1

grep -a 'pcpupool-bench|' "$out/bench.log" | sed 's/^.*pcpupool-bench|//' | tr -d '\r' > "$out/rows.txt"
{
	echo "workload,metric,pcpupool,kernel,ratio,note"
	awk -F'|' '{ printf "\"%s\",\"%s\",%s,%s,%s,\"%s\"\n", $1, $2, $3, $4, $5, $6 }' "$out/rows.txt"
} > "$out/results.csv"
{
	echo "| workload | metric | pcpupool | kernel | ratio | note |"
	echo "|---|---|---:|---:|---:|---|"
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$out/rows.txt"
} > "$out/results.md"
cat "$out/results.md"
echo
echo "ratio: kernel/pcpupool for times (above 1: pcpupool faster), pcpupool/kernel otherwise"
echo "written: $out/results.csv $out/results.md (log: $out/bench.log)"
