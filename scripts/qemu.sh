#!/bin/bash
# qemu.sh - boot a pcpupool test guest under QEMU (TCG) and report its verdict.
#
# Usage: scripts/qemu.sh --kernel BZIMAGE --initrd CPIO --log LOGFILE
#                        --timeout SECS [--mem MB] [--smp N]
#                        [--append "extra cmdline"] [--interactive]
#
# The guest has two NUMA nodes (ACPI SRAT): half the memory each, the first
# half of the CPUs on node 0 and the rest on node 1 (default 4 CPUs, 2048 MB:
# node 0 = cpus 0-1, node 1 = cpus 2-3).  The serial console is written to
# LOGFILE (and to the terminal with --interactive, which also connects the
# terminal to the guest console; Ctrl-A x quits QEMU).
#
# Exit status: 0 if the log has "PCPUPOOL-VERDICT: PASS", 1 otherwise (FAIL
# verdict, no verdict, timeout), 2 on usage errors.  QEMU never outlives this
# script.
set -euo pipefail

usage() { sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
kernel='' initrd='' log='' tmo='' mem=2048 smp=4 append='' interactive=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	-h|--help) usage ;;
	*) echo "$0: unknown argument: $1" >&2; usage ;;
	esac
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$log" ] && [ -n "$tmo" ] || usage
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ ]] || usage
[ "$smp" -ge 1 ] && [ "$mem" -ge 256 ] || usage
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

# -cpu max includes LA57, so the debug kernel runs with 5-level paging.  An
# early version of this runner used la57=off after KASAN wild-memory-access
# reports in early boot; they came with a flat -smp 4 and have not been seen
# with the socket/NUMA topology above (every boot of make check runs LA57).
# PCPUPOOL_QEMU_CPU overrides the model, e.g. max,la57=off.
qemu=(qemu-system-x86_64 -accel tcg -cpu "${PCPUPOOL_QEMU_CPU:-max}" -smp "$topology" -m "${mem}M"
      "${numa[@]}" -nographic -nodefaults -no-reboot
      "${console[@]}" -pidfile "$pidfile"
      -kernel "$kernel" -initrd "$initrd" -append "$cmdline")

echo "qemu.sh: booting $kernel, $smp cpus, ${mem} MB, 2 nodes, log $log, timeout ${tmo}s" >&2
start=$SECONDS
set +e
if [ "$interactive" = 1 ]; then
	# --foreground: QEMU must be able to read the terminal.
	timeout --foreground --kill-after=10 "$tmo" "${qemu[@]}"
	rc=$?
else
	timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null &
	runner=$!
	wait "$runner"
	rc=$?
	runner=
fi
set -e
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
