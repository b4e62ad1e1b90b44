#!/bin/bash
# scan-log-selftest.sh - the log scanner's exact expect-splat regions can
# fail: a synthetic log with two WARN splats from task kunit_try_catch is
# scanned under region specs that are right (must pass) and wrong by count,
# by message and by task (each must fail, for that reason).  No guest.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0

warn() { # TIME MESSAGE
	cat <<EOL
[ $1] ------------[ cut here ]------------
[ $1] pcpupool: $2
[ $1] WARNING: CPU: 1 PID: 160 at module/port/lock.c:288 pcpu_warn_once+0x111/0x13d [pcpupool]
[ $1] Modules linked in: pcpupool_kunit pcpupool
[ $1] CPU: 1 UID: 0 PID: 160 Comm: kunit_try_catch Tainted: G O N 6.12.118-pcpupool-debug #1
[ $1] RIP: 0010:pcpu_warn_once+0x111/0x13d [pcpupool]
[ $1] Call Trace:
[ $1]  <TASK>
[ $1]  pcpu_warn_once+0x111/0x13d [pcpupool]
[ $1]  </TASK>
[ $1] ---[ end trace 0000000000000000 ]---
EOL
}
log() { # SPEC
	echo "[    1.000000] pcpupool-test: expect-splat-begin WARNING$1"
	warn 1.100000 "double free of ffa0000000b4bd80"
	warn 1.200000 "free of a pointer pcpupool does not own: ff11000004963380"
	echo "[    1.300000] pcpupool-test: expect-splat-end"
}
# try NAME pass|REGEX SPEC
try() {
	log "$3" > "$out/$1.log"
	if "$here/scan-log.py" "$out/$1.log" > "$out/$1.out" 2>&1; then
		[ "$2" = pass ] && { pass=$((pass + 1)); echo "scan-log-selftest: ok $1 passes"; return; }
		fail=$((fail + 1)); echo "scan-log-selftest: FAIL $1 passed: the scanner missed it"
	elif [ "$2" = pass ]; then
		fail=$((fail + 1)); echo "scan-log-selftest: FAIL $1 failed:"; cat "$out/$1.out"
	elif grep -qE -- "$2" "$out/$1.out"; then
		pass=$((pass + 1)); echo "scan-log-selftest: ok $1 fails ($2)"
	else
		fail=$((fail + 1)); echo "scan-log-selftest: FAIL $1 failed, but not for '$2':"; cat "$out/$1.out"
	fi
}
try exact pass ' :: task=kunit_try_catch :: double free of :: does not own'
try any-warning pass ''
try count 'splat\(s\), expected exactly 1' ' :: task=kunit_try_catch :: double free of'
try message 'without its message "not a mempool element"' \
	' :: task=kunit_try_catch :: double free of :: not a mempool element'
try task 'not from task kworker' ' :: task=kworker :: double free of :: does not own'
echo "scan-log-selftest: $pass passed, $fail failed"
[ $fail = 0 ]
