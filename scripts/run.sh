#!/bin/bash
# run.sh - build pcpupool, boot it in a QEMU guest and judge the run.
#
# Usage: scripts/run.sh MODE
#
#   run    debug test kernel: load pcpupool, show /sys/kernel/debug/pcpupool/,
#          then the pcpupool_blk demo (per-cgroup IO stats beside io.stat,
#          scripts/guest/blkcg_demo.sh), unload (timeout 240 s)
#   kunit  debug test kernel: load pcpupool and pcpupool_kunit (the KUnit
#          suites run at load), judged by scripts/kunit-parse.sh (300 s)
#   shell  debug test kernel: modules loaded, interactive shell on the
#          terminal; `exit` powers the guest off (3600 s)
#   smoke  Debian's stock kernel (newest /lib/modules/6.12.*+deb12-amd64):
#          pcpupool.ko built against its headers in $BUILD/stock-src, loaded,
#          debugfs files read, unloaded (120 s)
#
# The debug kernel comes from scripts/build-kernel.sh scripts/debug.config
# (cached), its modules from `make -C $KDIR M=<repo> modules`.  Every mode
# scans the serial log with scripts/scan-log.py.  Files go to $BUILD
# (default <repo>/build): MODE.cpio.gz, MODE.log, modules.log.
# PCPUPOOL_APPEND adds to the guest kernel command line (module parameters
# too: see scripts/guest/lib.sh), PCPUPOOL_MEM sets its memory (MB),
# PCPUPOOL_EXPECT names a splat the log must contain (negative controls),
# PCPUPOOL_TAG names the log and initramfs files, PCPUPOOL_SHAPE=scale boots
# 64 CPUs on 8 nodes, =wide 8 CPUs on 8 nodes (scripts/qemu.sh),
# PCPUPOOL_TIMEOUT the kunit timeout, PCPUPOOL_FIO_SEEDS=A,B the blkcg
# mode's fio seeds (random by default, printed).
#   debugfs  debug kernel: bad input to every debugfs file and parameter
#   blkcg    debug kernel: pcpupool_blk's KUnit suite (pcpupool_blk_kunit.ko,
#            judged by scripts/kunit-parse.sh) and its cgroup/io.stat
#            integration test, scripts/guest/blkcg.sh (600 s)
#   swap     debug kernel: /dev/pcpub0 as swap under a memory hog, new
#            cgroups issuing first IOs (scripts/guest/swap.sh), 384 MB
#            unless PCPUPOOL_MEM says otherwise (900 s)
#
# Exit status: 0 if the guest passed and the log is clean (and, for kunit,
# every test passed), 1 otherwise, 2 on usage errors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$repo/build}
mode=${1:-}
case "$mode" in
run|kunit|smoke|debugfs) tmo=120; [ "$mode" != run ] || tmo=240; [ "$mode" != kunit ] || tmo=${PCPUPOOL_TIMEOUT:-400}; [ "$mode" != debugfs ] || tmo=400 ;;
shell) tmo=3600 ;;
blkcg) tmo=${PCPUPOOL_TIMEOUT:-600} ;;
swap) tmo=${PCPUPOOL_TIMEOUT:-900}; PCPUPOOL_MEM=${PCPUPOOL_MEM:-384} ;;
*) echo "usage: $0 run|kunit|shell|smoke|debugfs|blkcg|swap" >&2; exit 2 ;;
esac
# PCPUPOOL_TAG names this boot's files (several kunit boots in one check).
tag=${PCPUPOOL_TAG:-$mode}
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
log=$BUILD/$tag.log
initrd=$BUILD/$tag.cpio.gz

say() { echo "run.sh: $*" >&2; }

# make -C KDIR M=SRC modules, output in $BUILD/modules.log, shown on failure.
build_modules() {
	local kdir=$1 src=$2
	say "building modules in $src against $kdir"
	if ! make -C "$kdir" M="$src" -j"$(nproc)" modules > "$BUILD/modules.log" 2>&1; then
		cat "$BUILD/modules.log" >&2
		say "module build failed"
		exit 1
	fi
	grep -E 'warning|error' "$BUILD/modules.log" >&2 || true
}

# The .ko files of the last build of SRC, from its modules.order.
built_modules() {
	local src=$1 o
	[ -f "$src/modules.order" ] || return 0
	while read -r o; do
		case "$o" in /*) ;; *) o=$src/$o ;; esac
		[ -f "${o%.o}.ko" ] && echo "${o%.o}.ko"
	done < "$src/modules.order"
}

if [ "$mode" = smoke ]; then
	# PCPUPOOL_SERIES=6.1: Debian's 6.1 LTS kernel instead of 6.12.
	if [ "${PCPUPOOL_SERIES:-6.12}" = 6.1 ]; then
		PCPUPOOL_STOCK61=1 "$here/deps.sh"
		hdr=$(ls -d /lib/modules/6.1.0-*-amd64/build 2>/dev/null | sort -V | tail -1)
	else
		PCPUPOOL_STOCK=1 "$here/deps.sh"
		hdr=$(ls -d /lib/modules/6.12.*+deb12-amd64/build 2>/dev/null | sort -V | tail -1)
	fi
	[ -n "$hdr" ] || { say "no Debian ${PCPUPOOL_SERIES:-6.12} kernel headers in /lib/modules"; exit 1; }
	kver=$(basename "$(dirname "$hdr")")
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || { say "no $kernel"; exit 1; }
	src=$BUILD/stock-src-${PCPUPOOL_SERIES:-6.12}
	# Build products stay behind, the generated layout header and its
	# assembly too: they belong to the kernel they were built for.
	excl=(--exclude=/.git --exclude='*.o' --exclude='*.s' --exclude='*.ko' --exclude='.*.cmd'
	      --exclude=/module/port/generated --exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order
	      --exclude=Module.symvers)
	case "$BUILD" in "$repo"/*) excl+=(--exclude="/${BUILD#"$repo"/}") ;; esac
	excl+=(--exclude=/build)
	mkdir -p "$src"
	rsync -a --delete "${excl[@]}" "$repo/" "$src/"
	build_modules "$hdr" "$src"
	mods=("$src/pcpupool.ko")
	[ -f "${mods[0]}" ] || { say "no ${mods[0]} after the build"; exit 1; }
else
	kdir=$("$here/kernel.sh" "$here/debug.config" | tail -1)
	kernel=$kdir/arch/x86/boot/bzImage
	build_modules "$kdir" "$repo"
	mapfile -t mods < <(built_modules "$repo")
	need=(pcpupool)
	case "$mode" in
	kunit) need+=(pcpupool_kunit) ;;
	run|swap) need+=(pcpupool_blk) ;;
	blkcg) need+=(pcpupool_blk pcpupool_blk_kunit) ;;
	esac
	for m in "${need[@]}"; do
		printf '%s\n' "${mods[@]}" | grep -q "/$m\.ko$" ||
			{ say "$m.ko was not built (see $BUILD/modules.log)"; exit 1; }
	done
	# run/debugfs/blkcg/swap load these; kunit and shell load what was built.
	case "$mode" in
	run|swap) mods=("$repo/pcpupool.ko" "$repo/pcpupool_blk.ko") ;;
	blkcg) mods=("$repo/pcpupool.ko" "$repo/pcpupool_blk.ko" "$repo/pcpupool_blk_kunit.ko") ;;
	debugfs) mods=("$repo/pcpupool.ko" "$repo/pcpupool_kunit.ko") ;;
	esac
fi

"$here/mkinitramfs.sh" "$initrd" "$mode" "${mods[@]}"
# The swap test's memory hog: a static binary appended as a second cpio.
if [ "$mode" = swap ]; then
	"$here/build-memhog.sh" "$BUILD" "$initrd" || { say "memhog build failed"; exit 1; }
fi
qargs=(--kernel "$kernel" --initrd "$initrd" --log "$log" --timeout "$tmo")
append=${PCPUPOOL_APPEND:-}
# The blkcg mode's fio mixes: two seeds, random unless PCPUPOOL_FIO_SEEDS
# (comma-separated) replays a run; printed, and in the guest's log.
if [ "$mode" = blkcg ]; then
	seeds=${PCPUPOOL_FIO_SEEDS:-$((RANDOM * 32768 + RANDOM)),$((RANDOM * 32768 + RANDOM))}
	say "fio seeds $seeds (replay with PCPUPOOL_FIO_SEEDS=$seeds)"
	append="$append pcpupool_guest.fio_seeds=$seeds"
fi
[ -z "$append" ] || qargs+=(--append "$append")
[ -z "${PCPUPOOL_MEM:-}" ] || qargs+=(--mem "$PCPUPOOL_MEM")
# PCPUPOOL_SHAPE=scale: 64 CPUs, 8 nodes; wide: 8 CPUs, 8 nodes (scripts/qemu.sh).
[ -z "${PCPUPOOL_SHAPE:-}" ] || qargs+=(--shape "$PCPUPOOL_SHAPE")
# PCPUPOOL_EXPECT: a splat this boot must show (negative controls).
scan=()
[ -z "${PCPUPOOL_EXPECT:-}" ] || scan+=(--expect "$PCPUPOOL_EXPECT")
[ "$mode" != shell ] || qargs+=(--interactive)

failed=()
"$here/qemu.sh" "${qargs[@]}" || failed+=(guest)
"$here/scan-log.py" "${scan[@]}" "$log" || failed+=(splats)
if [ "$mode" = kunit ] || [ "$mode" = blkcg ]; then
	"$here/kunit-parse.sh" "$log" "$kdir" || failed+=(kunit)
fi
if [ "$mode" = run ]; then
	# The demo's own output: the guest's user-space lines (no timestamp).
	sed -n '/pcpupool-guest: ls/,/PCPUPOOL-VERDICT/p' "$log" | grep -av '^\[ *[0-9]*\.[0-9]*\]' | tr -d '\r'
fi
if [ ${#failed[@]} = 0 ]; then
	say "$mode: PASS (log: $log)"
	exit 0
fi
say "$mode: FAIL (${failed[*]}; log: $log)"
exit 1
