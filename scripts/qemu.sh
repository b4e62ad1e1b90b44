#!/bin/bash
# qemu.sh - boot a pcpupool test guest under QEMU (TCG) and report its verdict.
#
# Usage: scripts/qemu.sh --kernel BZIMAGE --initrd CPIO --log LOGFILE
#                        --timeout SECS [--mem MB] [--smp N] [--shape scale|wide]
#                        [--append "extra cmdline"] [--interactive]
#
# The guest has two NUMA nodes (ACPI SRAT): half the memory each, the first
# half of the CPUs on node 0 and the rest on node 1 (default 4 CPUs, 2048 MB:
# node 0 = cpus 0-1, node 1 = cpus 2-3).  --shape scale: 64 CPUs in 8
# sockets of 8 and 8 nodes: nodes 0-5 a socket each with memory, node 6
# memory and no CPU, node 7 two sockets (CPUs 48-63) and no memory; with
# maxcpus= on the command line most of them are present, possible and
# offline at boot.  --shape wide: 8 CPUs on 8 nodes, one each, every one
# online (the shape issue 19 found hangs on).  The serial console is written to
# LOGFILE (and to the terminal with --interactive, which also connects the
# terminal to the guest console; Ctrl-A x quits QEMU).
#
# Exit status: 0 if the log has "PCPUPOOL-VERDICT: PASS", 1 otherwise (FAIL
# verdict, no verdict, timeout), 2 on usage errors.  QEMU never outlives this
# script.
set -euo pipefail

usage() { sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
kernel='' initrd='' log='' tmo='' mem=2048 smp=4 append='' interactive=0 shape=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--shape) shape=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	-h|--help) usage ;;
	*) echo "$0: unknown argument: $1" >&2; usage ;;
	esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$log" ] && [ -n "$tmo" ] || usage
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ ]] || usage
[ "$smp" -ge 1 ] && [ "$mem" -ge 256 ] || usage
case "$shape" in ''|scale|wide) ;; *) usage ;; esac
for f in "$kernel" "$initrd"; do
	[ -r "$f" ] || { echo "$0: cannot read $f" >&2; exit 2; }
done

# Two NUMA nodes.  With one CPU, node 1 is a memory-only node.  Each node
# is its own socket (own LLC) when the CPUs split evenly, else every CPU is a
# socket: an LLC shared across nodes makes the kernel WARN at boot
# ("llc-sibling CPU #0 is not on the same node").
mem0=$(( mem / 2 )); mem1=$(( mem - mem0 ))
cpus0=$(( (smp + 1) / 2 ))
if [ $(( smp % 2 )) = 0 ]; then
	topology="$smp,sockets=2,cores=$(( smp / 2 )),threads=1"
else
	topology="$smp,sockets=$smp,cores=1,threads=1"
fi
numa=(-object "memory-backend-ram,id=mem0,size=${mem0}M"
      -object "memory-backend-ram,id=mem1,size=${mem1}M"
      -numa "node,nodeid=0,cpus=0-$(( cpus0 - 1 )),memdev=mem0")
if [ "$smp" -gt "$cpus0" ]; then
	numa+=(-numa "node,nodeid=1,cpus=$cpus0-$(( smp - 1 )),memdev=mem1")
else
	numa+=(-numa "node,nodeid=1,memdev=mem1")
fi

if [ "$shape" = scale ]; then
	smp=64 topology="64,sockets=8,cores=8,threads=1" numa=()
	per=$(( mem / 8 ))
	for n in 0 1 2 3 4 5; do
		numa+=(-object "memory-backend-ram,id=mem$n,size=${per}M"
		       -numa "node,nodeid=$n,cpus=$(( n * 8 ))-$(( n * 8 + 7 )),memdev=mem$n")
	done
	numa+=(-object "memory-backend-ram,id=mem6,size=$(( mem - 6 * per ))M"
	       -numa "node,nodeid=6,memdev=mem6" -numa "node,nodeid=7,cpus=48-63")
fi
if [ "$shape" = wide ]; then
	smp=8 topology="8,sockets=8,cores=1,threads=1" numa=()
	per=$(( mem / 8 ))
	for n in 0 1 2 3 4 5 6 7; do
		size=$per; [ $n != 7 ] || size=$(( mem - 7 * per ))
		numa+=(-object "memory-backend-ram,id=mem$n,size=${size}M"
		       -numa "node,nodeid=$n,cpus=$n,memdev=mem$n")
	done
fi
case $shape in scale|wide) nodes=8 ;; *) nodes=2 ;; esac

cmdline="console=ttyS0 panic=-1 kasan_multi_shot kmemleak=on loglevel=7 printk.time=1"
[ -z "$append" ] || cmdline+=" $append"

mkdir -p "$(dirname "$log")"
: > "$log"
if [ "$interactive" = 1 ]; then
	# Console on the terminal (raw, Ctrl-C goes to the guest), logged.
	console=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$log"
		 -serial chardev:con -mon "chardev=con,mode=readline")
else
	console=(-chardev "file,id=con,path=$log" -serial chardev:con -monitor none)
fi

tmpd=$(mktemp -d "${TMPDIR:-/tmp}/pcpupool-qemu.XXXXXX")
pidfile=$tmpd/qemu.pid
runner=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	local pid=''
	[ -z "$runner" ] || kill -TERM "$runner" 2>/dev/null || true
	if [ -s "$pidfile" ]; then pid=$(cat "$pidfile" 2>/dev/null || true); fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	   grep -q qemu "/proc/$pid/comm" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmpd"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# 4-level paging (-cpu max without LA57).  With LA57 the debug kernel
# hits a race of its own in early boot: identify_cpu() clears
# boot_cpu_data's feature words (arch/x86/kernel/cpu/common.c) with IRQs on,
# so a timer IRQ in that window sees pgtable_l5_enabled() false (6.12 reads
# the LA57 feature bit before alternatives are patched) and KASAN reports
# the IRQ's direct-map accesses as wild-memory-access in do_raw_spin_lock,
# ~1.8 s into boot, before any pcpupool code.  Under TCG the window is
# wide: seen in a CI run and twice in a row in one local boot.
# PCPUPOOL_QEMU_CPU=max boots 5-level paging by hand (the port's page-table
# walks are level-generic kernel helpers).
qemu=(qemu-system-x86_64 -accel tcg -cpu "${PCPUPOOL_QEMU_CPU:-max,la57=off}" -smp "$topology" -m "${mem}M"
      "${numa[@]}" -nographic -nodefaults -no-reboot
      "${console[@]}" -pidfile "$pidfile"
      -kernel "$kernel" -initrd "$initrd" -append "$cmdline")

echo "qemu.sh: booting $kernel, $smp cpus, ${mem} MB, $nodes nodes, log $log, timeout ${tmo}s" >&2
# A splat or hang before the guest's init prints its first line is the
# kernel's own boot under TCG: no pcpupool code has run (the modules are
# loaded by init): e.g. the LA57 race above, when PCPUPOOL_QEMU_CPU turns
# LA57 on.  Such a boot is stopped as soon as the splat shows and booted
# once more; the first log is kept and the retry is printed.
# Anything after init's first line counts as it is.
boot_splat='^\[ *[0-9]+\.[0-9]+\] (BUG:|WARNING:|Oops|Kernel panic|general protection fault)'
init_ran() { grep -aq 'pcpupool-guest:' "$log"; }
boot() {
	: > "$log"
	set +e
	if [ "$interactive" = 1 ]; then
		# --foreground: QEMU must be able to read the terminal.
		timeout --foreground --kill-after=10 "$tmo" "${qemu[@]}"
		rc=$?
		set -e
		return
	fi
	timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null &
	runner=$!
	while kill -0 "$runner" 2>/dev/null; do
		sleep 2
		if ! init_ran && grep -aqE "$boot_splat" "$log"; then
			sleep 5 # the rest of the report
			kill -TERM "$runner" 2>/dev/null
			break
		fi
	done
	wait "$runner"
	rc=$?
	runner=
	set -e
}
first_splat() { tr -d '\r' < "$log" | grep -aE "$boot_splat" | head -1 | sed 's/^\[[^]]*\] //'; }
start=$SECONDS
boot
if [ "$interactive" = 0 ] && ! init_ran; then
	cp "$log" "$log.boot1"
	echo "qemu.sh: the guest kernel failed before init ran ($(first_splat || true)," \
		"status $rc; no pcpupool code had run; log kept as $log.boot1): booting once more" >&2
	boot
	if ! init_ran; then
		echo "qemu.sh: the guest kernel failed before init ran again ($(first_splat || true)," \
			"status $rc; log: $log)" >&2
		exit 1
	fi
fi
elapsed=$(( SECONDS - start ))
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "qemu.sh: guest timed out after ${tmo}s (log: $log)" >&2
	exit 1
fi
[ "$rc" = 0 ] || echo "qemu.sh: qemu exited with status $rc after ${elapsed}s" >&2
verdict=$(tr -d '\r' < "$log" | grep -a -o 'PCPUPOOL-VERDICT: .*' | tail -1 || true)
if [ -z "$verdict" ]; then
	echo "qemu.sh: no verdict in $log (guest crashed or hung?) after ${elapsed}s" >&2
	exit 1
fi
echo "qemu.sh: $verdict (${elapsed}s)" >&2
case "$verdict" in
"PCPUPOOL-VERDICT: PASS") exit 0 ;;
*) exit 1 ;;
esac
