#!/bin/bash
# kernel.sh - scripts/build-kernel.sh for people: its output (tens of
# thousands of lines, hundreds of compiler warnings from the kernel's own
# code) goes to a log file, and the terminal shows one progress line: the
# step, the elapsed time and where the log is.  On failure the log's tail
# is shown and the exit status is non-zero.  Prints KDIR as its last line,
# as build-kernel.sh does.  (build-kernel.sh itself is unchanged: its
# content keys the kernel cache.)
#
# Usage: scripts/kernel.sh <fragment.config>
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
name=$(basename "$1" .config)
logdir=${BUILD:-$repo/build}
mkdir -p "$logdir"
log=$logdir/kernel-$name.log
"$here/build-kernel.sh" "$1" > "$log.kdir" 2> "$log" &
pid=$!
t0=$SECONDS
shown=0
while kill -0 $pid 2>/dev/null; do
	sleep 2
	el=$((SECONDS - t0))
	[ $el -ge 4 ] || continue
	step=$(grep -E '^(installing|unpacking|building kernel)' "$log" | tail -1 | cut -d' ' -f1)
	if [ -t 2 ]; then
		printf '\r%s kernel: %s, %dm%02ds (log: %s) ' "$name" "${step:-preparing}" \
			$((el / 60)) $((el % 60)) "$log" >&2
		shown=1
	elif [ $((el % 60)) -lt 2 ]; then
		echo "$name kernel: ${step:-preparing}, $((el / 60)) min (log: $log)" >&2
	fi
done
wait $pid
rc=$?
[ $shown = 1 ] && echo >&2
if [ $rc != 0 ]; then
	echo "$name kernel: build FAILED (exit $rc); the end of $log:" >&2
	tail -40 "$log" >&2
	exit $rc
fi
[ $((SECONDS - t0)) -lt 4 ] || echo "$name kernel: built in $((SECONDS - t0)) s (log: $log)" >&2
tail -1 "$log.kdir"
