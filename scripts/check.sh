#!/bin/bash
# check.sh - `make check`: every test of pcpupool, one guest boot per group,
# and the closing line "N passed, N failed".
#
#   host          the C++ core built for userspace (kunit/host/): gtest
#                 unit tests under ASan+UBSan, ThreadSanitizer stresses of
#                 the magazines, regression inputs, 60 s of libFuzzer per
#                 target (differential against a byte-per-granule model)
#   kunit         all KUnit suites on the debug kernel (KASAN, lockdep,
#                 kmemleak); log scanned for splats
#   kasan         pcpupool_kasan in its own boot: a C++ out-of-bounds read
#                 must produce a KASAN report (a report turns lockdep off,
#                 so it cannot share a boot with the lockdep proofs)
#   lockdep       pcpupool_lockdep in a 512 MB guest: a shrinker takes an
#                 "FS lock" inside reclaim, a GFP_NOFS allocation under that
#                 lock creates a chunk: no lockdep report
#   lockdep-neg   the same with pcpupool.test_unsafe_gfp=1 (GFP_KERNEL under
#                 the mutex, as Linux 6.12 does): lockdep MUST report a
#                 circular dependency, proving the proof can fail; one boot
#                 for the FS half (fs_reclaim), one for the IO half
#                 (pcpupool_io_reclaim)
#   context-negative-control, mempool-wait-negative-control
#                 the recorder's and the never-wait proofs with their
#                 deliberately broken variants: each must fail, for its
#                 stated reason
#   debugfs       malformed input to every debugfs file and module parameter;
#                 a kmemleak scan while loaded does not report an object
#                 referenced only from pcpupool memory
#   kmemleak-negative-control
#                 the same scan with populated pages not registered
#                 (pcpupool.test_no_kmemleak=1): it MUST report the object
#   backing-pages-negative-control
#                 one backing page kept at unload (pcpupool.test_leak_page=1):
#                 the unload's page-count check MUST warn
#   runner-selftest-{fail,warn,leak}
#                 a failing KUnit case, a WARN, a kmemleak leak: each boot
#                 must be judged failed (counted as passed when it is)
#   runner-selftest-early-boot
#                 a kernel that panics before the guest's init runs: the
#                 runner must boot it once more (the retry that absorbs the
#                 kernel's rare pre-init splats under TCG), then fail it
#   stock         pcpupool.ko built against Debian's stock 6.12 headers,
#                 loaded on that kernel, debugfs read, unloaded
#   stock-6.1     the same on Debian's 6.1 LTS kernel (the second line)
#   scale         64 CPUs on 8 nodes (a CPU-less and a memory-less one),
#                 maxcpus=4: every KUnit suite with 60 possible CPUs offline;
#                 a never-online CPU brought up mid-run (pcpupool_hotplug)
#   wide          8 CPUs, one per node, all online: every KUnit suite
#   page-pressure the stress suite for 90 s with the workers' slab and page
#                 allocations failing at random (failslab, fail_page_alloc,
#                 5%): failures seen, no corruption, no leak, stats
#                 consistent, clean unload
#   blkcg         pcpupool_blk: its KUnit suite, then per-cgroup stats on
#                 /dev/pcpub0 equal the kernel's io.stat exactly, in both
#                 queue modes, leaves and parents, with dd and with fio
#                 mixes of two random seeds, one per queue mode
#                 (printed by run.sh)
#                 (scripts/guest/blkcg.sh, blkcg_fio.sh)
#   swap          pcpupool_blk as swap in a 384 MB guest: a memory hog
#                 swaps for over 60 s while new cgroups issue first IOs;
#                 no hang, no splat, stats consistent (scripts/guest/swap.sh)
#   style         clang-format (C++) and checkpatch.pl (C), no guest
#   dkms          dkms build against the stock 6.12 headers, no guest
#   compile-fail  API misuse that must not build (the kernel's percpu
#                 accessors on a pcpupool handle and the reverse, handles of
#                 another element type, pcpupool_mempool_free() with the
#                 pool first), each beside a twin that must build
#   scan-log-selftest
#                 exact expect-splat regions (count, message, task) that
#                 are wrong must fail the scan; synthetic logs, no guest
#
# KUnit cases count one each (from kunit.py parse), as do the debugfs,
# blkcg and swap checks; every other group counts as one test.
# Logs: build/<group>.log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$repo/build}
mkdir -p "$BUILD"
passed=0 failed=0 skipped=0
summary=() table=()

count_line() { # "N passed, N failed[, N skipped]" -> adds to totals
	local line=$1 p f s
	p=$(sed -n 's/.*\b\([0-9]\+\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.*\b\([0-9]\+\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.*\b\([0-9]\+\) skipped.*/\1/p' <<<"$line")
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

# group NAME MODE COUNT [VAR=VALUE...]: one boot of scripts/run.sh MODE;
# COUNT says how it counts: kunit (its cases), debugfs (its checks),
# guest:PREFIX (the guest's "PREFIX: N passed, N failed" line), kunit+guest:
# PREFIX (both), one, must-fail:REGEX (one, passed when the boot is judged
# failed and REGEX is found in its output or log: the reason it must fail).
# PCPUPOOL_MIN_PASS=N among the VAR=VALUE arguments: the group fails (one
# more failure) when fewer than N of its cases passed, so that a proof whose
# one case skipped, or a boot that ran fewer cases, cannot read as green.
group() {
	local name=$1 mode=$2 how=$3 out rc line min p0=$passed f0=$failed s0=$skipped t0=$SECONDS
	shift 3
	min=$(printf '%s\n' "$@" | sed -n 's/^PCPUPOOL_MIN_PASS=//p')
	out=$BUILD/check-$name.out
	echo "=== $name"
	env PCPUPOOL_TAG="$name" "$@" "$here/run.sh" "$mode" > "$out" 2>&1
	rc=$?
	grep -E "^(    )?(ok|not ok) |^# [a-z_]+: pass|passed, .* failed|FAIL|PASS|splat|expected|guest timed out|failed before init ran" "$out" | tail -60
	case "$how" in
	kunit)
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
		if [ -n "$line" ]; then
			count_line "$line"
			# A clean KUnit count with a failed boot (splat, guest) is a failure.
			if [ $rc != 0 ] && ! grep -q '[1-9][0-9]* failed' <<<"$line"; then
				failed=$((failed + 1))
			fi
		else
			failed=$((failed + 1))
		fi
		;;
	debugfs)
		line=$(grep -a 'pcpupool-debugfs: [0-9]* passed' "$BUILD/$name.log" | tail -1)
		[ -n "$line" ] && count_line "$line" || failed=$((failed + 1))
		[ $rc = 0 ] || grep -q '[1-9][0-9]* failed' <<<"$line" || failed=$((failed + 1))
		;;
	guest:*|kunit+guest:*)
		local lines=() l missing=0 counted=0
		[ "${how%%:*}" != kunit+guest ] ||
			lines+=("$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)")
		lines+=("$(grep -a "${how#*guest:}: [0-9]* passed" "$BUILD/$name.log" | tail -1)")
		for l in "${lines[@]}"; do
			if [ -z "$l" ]; then missing=1; continue; fi
			count_line "$l"
			! grep -q '[1-9][0-9]* failed' <<<"$l" || counted=1
		done
		# A missing count, or clean counts with a failed boot (splat, timeout).
		if [ $missing = 1 ] || { [ $rc != 0 ] && [ $counted = 0 ]; }; then
			failed=$((failed + 1))
		fi
		;;
	must-fail:*)
		# Judged failed, and for the stated reason: a build failure, a
		# crash or a timeout is not the failure the control is about.
		if [ $rc != 0 ] && grep -qaE -- "${how#must-fail:}" "$out" "$BUILD/$name.log" 2>/dev/null; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
		;;
	*)
		# PCPUPOOL_REASON=REGEX: the log must also show why (e.g. which
		# lock a negative control's report names).
		local why
		why=$(printf '%s\n' "$@" | sed -n 's/^PCPUPOOL_REASON=//p')
		if [ -n "$why" ] && [ $rc = 0 ] && ! grep -qaE -- "$why" "$BUILD/$name.log"; then
			echo "$name: the log does not show '$why'"
			rc=1
		fi
		if [ $rc = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
		;;
	esac
	if [ -n "$min" ] && [ $((passed - p0)) -lt "$min" ]; then
		echo "$name: $((passed - p0)) cases passed, fewer than the $min it declares"
		failed=$((failed + 1))
		rc=1
	fi
	table+=("$(printf '%-30s %7d %7d %8d %9s %7ds' "$name" $((passed - p0)) $((failed - f0)) \
		$((skipped - s0)) "${min:--}" $((SECONDS - t0)))")
	if [ "${how%%:*}" = must-fail ]; then
		if [ $rc != 0 ] && grep -qaE -- "${how#must-fail:}" "$out" "$BUILD/$name.log" 2>/dev/null; then
			summary+=("$name: PASS (failed, as it must, for its reason: ${how#must-fail:})")
		elif [ $rc != 0 ]; then
			summary+=("$name: FAIL (failed, but not for its reason '${how#must-fail:}': $BUILD/$name.log)")
		else
			summary+=("$name: FAIL (the runner missed it: $BUILD/$name.log)")
		fi
	else
		summary+=("$name: $([ $rc = 0 ] && echo PASS || echo "FAIL (see $out, $BUILD/$name.log)")")
	fi
}

"$here/deps.sh" || exit 1
PCPUPOOL_STOCK=1 PCPUPOOL_STOCK61=1 PCPUPOOL_DKMS=1 "$here/deps.sh" || exit 1

# The C++ core on the host first (kunit/host, no guest, ~2 minutes): unit
# tests under ASan+UBSan, TSan stresses, regression inputs and a bounded
# fuzz run; each counts in the totals.  HOST_FUZZ_SECONDS per fuzz target.
echo "=== host"
hp0=$passed hf0=$failed ht0=$SECONDS
make -s --no-print-directory -C "$repo" host-check FUZZ_SECONDS="${HOST_FUZZ_SECONDS:-60}" \
	> "$BUILD/check-host.out" 2>&1
rc=$?
grep -E "^  FAIL|^fuzz |^host:|passed, .* failed" "$BUILD/check-host.out" | tail -30
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$BUILD/check-host.out" | tail -1)
if [ -n "$line" ]; then
	count_line "$line"
	[ $rc = 0 ] || grep -q '[1-9][0-9]* failed' <<<"$line" || failed=$((failed + 1))
else
	failed=$((failed + 1))
fi
summary+=("host: $([ $rc = 0 ] && echo PASS || echo "FAIL (see $BUILD/check-host.out)")")
table+=("$(printf '%-30s %7d %7d %8d %9s %7ds' host $((passed - hp0)) $((failed - hf0)) 0 - $((SECONDS - ht0)))")

"$here/kernel.sh" "$here/debug.config" > /dev/null || exit 1

lockdep_args="kunit.filter_glob=pcpupool_lockdep pcpupool_kunit.lockdep_proof=1"
group kunit kunit kunit PCPUPOOL_MIN_PASS=54
group kasan kunit kunit PCPUPOOL_MIN_PASS=1 \
	PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_kasan pcpupool_kunit.kasan_proof=1"
group lockdep kunit kunit PCPUPOOL_MIN_PASS=2 PCPUPOOL_MEM=512 PCPUPOOL_APPEND="$lockdep_args"
# One boot per half: lockdep reports the first cycle only, then turns off.
# Each must report its own cycle (fs_reclaim, or pcpupool_io_reclaim).
group lockdep-negative-control kunit one PCPUPOOL_MEM=512 \
	PCPUPOOL_APPEND="${lockdep_args/pcpupool_lockdep/pcpupool_lockdep.test_lockdep_nofs*} pcpupool.test_unsafe_gfp=1" \
	PCPUPOOL_EXPECT="possible circular locking dependency" PCPUPOOL_REASON="fs_reclaim"
group lockdep-negative-control-io kunit one PCPUPOOL_MEM=512 \
	PCPUPOOL_APPEND="${lockdep_args/pcpupool_lockdep/pcpupool_lockdep.test_lockdep_noio*} pcpupool.test_unsafe_gfp=1" \
	PCPUPOOL_EXPECT="possible circular locking dependency" PCPUPOOL_REASON="pcpupool_io_reclaim"
group debugfs debugfs debugfs PCPUPOOL_MIN_PASS=110 PCPUPOOL_APPEND="kunit.filter_glob=none"
# kmemleak's scan must see pcpupool memory: without the registration the
# debugfs boot's probe object is reported.
group kmemleak-negative-control debugfs 'must-fail:pcpupool-debugfs: FAIL kmemleak reported the probe' \
	PCPUPOOL_APPEND="kunit.filter_glob=none pcpupool.test_no_kmemleak=1"
# The unload check of backing pages must fire when one is kept.
group backing-pages-negative-control debugfs 'must-fail:backing pages not freed at unload' \
	PCPUPOOL_APPEND="kunit.filter_glob=none pcpupool.test_leak_page=1"
declare -A neg_reason=([fail]='not ok [0-9]+ test_negative_fail'
	    [warn]='WARNING: .*deliberate WARN for the runner self-test|deliberate WARN for the runner self-test'
	    [leak]='unreferenced object 0x[0-9a-f]+ \(size 256\)')	# kmalloc(200): kmalloc-256
for neg in fail warn leak; do
	group "runner-selftest-$neg" kunit "must-fail:${neg_reason[$neg]}" \
		PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_negative pcpupool_kunit.negative=$neg"
done
# A boot that fails before init (here: no init, the kernel panics) is booted
# once more and then judged failed: the retry of pre-init splats is bounded.
group runner-selftest-early-boot kunit \
	'must-fail:failed before init ran \(Kernel panic.*booting once more' \
	PCPUPOOL_APPEND="rdinit=/nonexistent-init"
# The allocation recorder's proof can fail: with test_unsafe_gfp=1 the slow
# path allocates with GFP_KERNEL under the mutex, and the recorder (which
# asks whether this task really holds the mutex) must see it.
group context-negative-control kunit 'must-fail:rec.locked_with_fs_or_io' \
	PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_context pcpupool.test_unsafe_gfp=1"
# "Constrained callers never wait" can fail: with test_mempool_wait=1 a NOIO
# caller sleeps for the refill, and test_reserve_honoured must catch it.
group mempool-wait-negative-control kunit 'must-fail:not ok [0-9]+ test_reserve_honoured' \
	PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_mempool.test_reserve_honoured pcpupool.test_mempool_wait=1"
# Scale and hotplug: 64 present CPUs on 8 nodes (one without CPUs, one
# without memory) and maxcpus=4, so 60 possible CPUs are offline when
# pcpupool loads.  Every KUnit suite; pcpupool_hotplug brings a never-online
# CPU of the memory-less node up with allocations live.
group scale kunit kunit PCPUPOOL_MIN_PASS=55 PCPUPOOL_SHAPE=scale PCPUPOOL_TIMEOUT=1200 PCPUPOOL_MEM=4096 \
	PCPUPOOL_APPEND="maxcpus=4"
grep -a -h -o "percpu: Embedded.*\|pcpupool: [0-9]* chunks, .*" "$BUILD/scale.log" 2>/dev/null | tr -d '\r'
# The shape issue 19 found a hang and two wrong expectations on: 8 CPUs,
# each on a node of its own, all online.  Every KUnit suite.
group wide kunit kunit PCPUPOOL_MIN_PASS=54 PCPUPOOL_SHAPE=wide PCPUPOOL_TIMEOUT=1500
# Memory pressure by fault injection: for 90 s the stress workers' slab and
# page allocations fail at random (5%), hotplug and the hardirq load on.
group page-pressure kunit kunit PCPUPOOL_MIN_PASS=1 \
	PCPUPOOL_APPEND="kunit.filter_glob=pcpupool_stress pcpupool_kunit.stress_ms=90000 pcpupool_kunit.stress_fail=1 pcpupool_guest.fail_probability=5"
group blkcg blkcg kunit+guest:pcpupool-blkcg PCPUPOOL_MIN_PASS=140
group swap swap guest:pcpupool-swap PCPUPOOL_MIN_PASS=16 PCPUPOOL_MEM=384
group stock smoke one
group stock-6.1 smoke one PCPUPOOL_SERIES=6.1

# Host-side checks (no guest).
hostcheck() { # NAME COMMAND...: one test, passed when COMMAND succeeds
	local name=$1 out=$BUILD/check-$1.out t0=$SECONDS
	shift
	echo "=== $name"
	if "$@" > "$out" 2>&1; then
		passed=$((passed + 1)); summary+=("$name: PASS")
		table+=("$(printf '%-30s %7d %7d %8d %9s %7ds' "$name" 1 0 0 1 $((SECONDS - t0)))")
	else
		failed=$((failed + 1)); summary+=("$name: FAIL (see $out)")
		table+=("$(printf '%-30s %7d %7d %8d %9s %7ds' "$name" 0 1 0 1 $((SECONDS - t0)))")
	fi
	tail -5 "$out"
}
hostcheck style "$here/style.sh"
hostcheck dkms "$here/dkms-check.sh"
# API misuse the compiler must refuse (and its correct twin must build).
hostcheck compile-fail "$here/compile-fail.sh"
# The log scanner's exact expect-splat regions, wrong by count, message
# and task, must fail (synthetic logs).
hostcheck scan-log-selftest "$here/scan-log-selftest.sh"

echo
printf '%s\n' "${summary[@]}"
echo
# What the closing line is made of: KUnit cases, guest checks, host tests
# and whole boots are different units; each group says which it counts.
printf '%-30s %7s %7s %8s %9s %8s\n' group passed failed skipped "min pass" time
printf '%s\n' "${table[@]}"
echo
# What failed, in a few lines each, right above the closing line: a CI
# report often keeps only the tail of the output.
digest=()
for s in "${summary[@]}"; do
	name=${s%%: *}
	case "${s#*: }" in FAIL*) ;; *) continue ;; esac
	digest+=("FAILED $s")
	while IFS= read -r l; do digest+=("  $name| ${l:0:150}"); done < <(
		cat "$BUILD/check-$name.out" "$BUILD/$name.log" 2>/dev/null |
		grep -aE '^ *not ok |\[(FAILED|CRASHED|ERROR)\]|kunit-parse: failed|^  FAIL|FAIL[ :-]|ERROR: (Address|libFuzzer|Undefined)|BUG:|WARNING:|KASAN|circular|timed out|hung task|invalid context|unreferenced object|fewer than' |
		grep -av '^ *# \|scan-log: expected splat' | head -16)
done
[ ${#digest[@]} = 0 ] || { echo; printf '%s\n' "${digest[@]}" | head -40; }
echo
# Skipped cases are the proof cases of other boots (see the table); the
# closing line is the plain one CI reads.
[ $skipped = 0 ] || echo "($skipped KUnit cases skipped: each runs in its own boot above)"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
