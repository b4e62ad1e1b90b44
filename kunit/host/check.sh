#!/bin/bash
# check.sh - run the host build of the core (built by kunit/host/host.mk)
# and count the results; the last line is "N passed, N failed".
#
#   check.sh          `make host-check`: every unit test (one process each,
#                     so a crash fails one case), every TSan stress, every
#                     fuzz target for FUZZ_SECONDS from its corpus
#   check.sh fuzz     `make fuzz`: only the fuzz targets (FUZZ_SECONDS,
#                     FUZZ_JOBS parallel workers per target)
#   check.sh unit|stress   only those (development)
#   check.sh cov      `make host-cov`: replay the corpora in the coverage
#                     build and report line coverage of module/*.cpp
#
# Each unit test, each stress and each fuzz target counts one.  Logs and
# crash artifacts go to $HOST_OUT (build/host/); the fuzzers' new inputs
# go to $HOST_OUT/corpus/<target>/, never into the repository.  The seed
# corpus is kunit/host/corpus/<target>/; a crash found by the fuzzer is
# kept by copying its artifact there (see kunit/host/README.md).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
HOST_OUT=${HOST_OUT:-$repo/build/host}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-area_map pool pool_cache}
FUZZ_JOBS=${FUZZ_JOBS:-1}
mode=${1:-check}
passed=0 failed=0
summary=()
mkdir -p "$HOST_OUT/logs"

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); summary+=("FAIL $1"); }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:exitcode=66}

# max_len per target: the pool target's operations are longer.
max_len() { case $1 in pool|pool_cache) echo 4096 ;; *) echo 2048 ;; esac; }
# pool_cache is fuzz_pool with the per-CPU front end on (its first-fit
# oracles then apply to the locked layer's requests only), from the pool
# corpus: its binary, its corpus and its environment.
bin_of() { case $1 in pool_cache) echo fuzz_pool ;; *) echo "fuzz_$1" ;; esac; }
corpus_of() { case $1 in pool_cache) echo pool ;; *) echo "$1" ;; esac; }
env_of() { case $1 in pool_cache) echo PCPUPOOL_FUZZ_CACHING=1 ;; *) echo PCPUPOOL_FUZZ_CACHING=0 ;; esac; }

unit_tests() {
	local bin=$HOST_OUT/asan/unit_tests suite= line name log rc t0
	echo "=== host unit tests (ASan+UBSan, one process per case)"
	if [ ! -x "$bin" ]; then
		fail "unit tests: $bin not built"
		return
	fi
	while IFS= read -r line; do
		case "$line" in
		"  "*) name=$suite${line#  }; name=${name%% *} ;;
		*.) suite=$line; continue ;;
		*) continue ;;
		esac
		log=$HOST_OUT/logs/unit-$name.log
		timeout 300 "$bin" --gtest_filter="$name" > "$log" 2>&1
		rc=$?
		if [ $rc = 0 ] && grep -q '^\[  PASSED  \] 1 test' "$log"; then
			pass
			echo "  PASS $name"
		else
			fail "$name (rc $rc, $log)"
			echo "  FAIL $name (rc $rc)"
			grep -E 'Failure|expected|BUG|ERROR|runtime error|VIOLATION|FAIL:' "$log" | head -8 | sed 's/^/       /'
		fi
	done < <("$bin" --gtest_list_tests)
	# An empty list would read "0 passed, 0 failed": a broken build, not a pass.
	[ "$("$bin" --gtest_list_tests | grep -c '^  ')" -gt 0 ] || fail "unit: no test listed by $bin"
}

stresses() {
	local bin=$HOST_OUT/tsan/stress name log rc
	echo "=== ThreadSanitizer stresses"
	if [ ! -x "$bin" ]; then
		fail "stresses: $bin not built"
		return
	fi
	local names
	names=$("$bin" --list)
	[ -n "$names" ] || fail "stresses: $bin lists none"
	for name in $names; do
		log=$HOST_OUT/logs/stress-$name.log
		TSAN_OPTIONS="$TSAN_OPTIONS${TSAN_SUPP:+:suppressions=$TSAN_SUPP}" \
			timeout 600 "$bin" "$name" > "$log" 2>&1
		rc=$?
		if [ $rc = 0 ]; then
			pass
			echo "  PASS $name: $(tail -1 "$log")"
		else
			fail "stress $name (rc $rc, $log)"
			echo "  FAIL $name (rc $rc)"
			grep -E 'WARNING: ThreadSanitizer|FAIL|BUG|SUMMARY' "$log" | head -6 | sed 's/^/       /'
		fi
	done
}

# Each regress-* input of the corpus is a test of its own; the ones that
# still fail are left out of the fuzzing seeds (a known crash at start-up
# would end the run before it explores anything).
regressions() {
	local t=$1 bin=$HOST_OUT/fuzz/$(bin_of "$1") seeds=$HOST_OUT/seeds/$1 f name log
	local c=$here/corpus/$(corpus_of "$1")
	rm -rf "$seeds"
	mkdir -p "$seeds"
	cp "$c/"* "$seeds/" 2>/dev/null
	for f in "$c"/regress-*; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		log=$HOST_OUT/logs/regress-$t-$name.log
		if env "$(env_of "$t")" timeout 120 "$bin" "$f" > "$log" 2>&1; then
			pass
			echo "  PASS $t/$name"
		else
			fail "$t/$name ($log)"
			rm -f "$seeds/$name"
			echo "  FAIL $t/$name: $(head -c 200 "$f" | sed -n '1s/^# //p' | cut -c1-90)..."
			grep -E 'FAIL:|BUG:|runtime error|ERROR: (Address|libFuzzer)' "$log" | head -2 | sed 's/^/       /'
		fi
	done
}

fuzz_one() {
	local t=$1 secs=$2 bin=$HOST_OUT/fuzz/$(bin_of "$1") work=$HOST_OUT/corpus/$1
	local seeds=$HOST_OUT/seeds/$1 arts=$HOST_OUT/artifacts/$1/ log=$HOST_OUT/logs/fuzz-$1.log rc
	local runs cov ft extra=()
	if [ ! -x "$bin" ]; then
		fail "fuzz $t: $bin not built"
		return
	fi
	mkdir -p "$work" "$arts"
	echo "=== regression inputs of $t"
	regressions "$t"
	[ "$FUZZ_JOBS" -gt 1 ] && extra=(-fork="$FUZZ_JOBS" -ignore_crashes=0)
	echo "=== fuzz $t: ${secs}s, seeds $here/corpus/$(corpus_of "$t") (+ $work)"
	env "$(env_of "$t")" timeout $((secs + 120)) "$bin" "$work" "$seeds" -max_total_time="$secs" -timeout=30 \
		-rss_limit_mb=3072 -max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$arts" "${extra[@]}" > "$log" 2>&1
	rc=$?
	local secs_run done_line
	done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' <<<"$done_line")
	secs_run=$(sed -n 's/.* runs in \([0-9]*\) second.*/\1/p' <<<"$done_line")
	# After a crash: the last status line, and the time it took.
	[ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	[ -n "$secs_run" ] || secs_run="<=$secs"
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
	local line="fuzz $t: ${runs:-?} executions in ${secs_run}s, cov: ${cov:-?} edges, ft: ${ft:-?} features (in the core), corpus $(ls "$work" | wc -l) files"
	echo "$line" >> "$HOST_OUT/fuzz-summary.txt"
	if [ $rc = 0 ] && [ -n "$done_line" ]; then
		pass
		echo "  PASS $line"
	else
		fail "fuzz $t (rc $rc, $log)"
		echo "  FAIL $line (rc $rc)"
		grep -E 'FAIL:|BUG:|ERROR: (Address|Undefined|libFuzzer)|runtime error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/       /'
		local a
		for a in $(ls -t "$arts" 2>/dev/null | head -3); do
			echo "       reproduce: $(env_of "$t") $bin $arts$a"
			echo "       keep as a regression input: cp $arts$a $here/corpus/$(corpus_of "$t")/regress-<what>"
		done
		# The newest crash input, printed whole when small: a run on a
		# machine whose build directory is gone (CI) still leaves it in
		# the log (base64 -d > input, then reproduce as above).
		a=$(ls -t "$arts" 2>/dev/null | head -1)
		if [ -n "$a" ] && [ "$(stat -c %s "$arts$a")" -le 1024 ]; then
			base64 -w 120 "$arts$a" | sed "s/^/  FAIL-INPUT $t: /"
		fi
	fi
}

# The cache oracles can fail: with PCPUPOOL_FUZZ_BREAK=leak-cached the
# harness loses one cached object, and replaying a seed must report it.
break_cache() {
	local log=$HOST_OUT/logs/fuzz-break-leak-cached.log
	echo "=== negative control: a lost cached object must be reported"
	PCPUPOOL_FUZZ_CACHING=1 PCPUPOOL_FUZZ_BREAK=leak-cached timeout 120 \
		"$HOST_OUT/fuzz/fuzz_pool" "$here/corpus/pool/basic" > "$log" 2>&1
	# The lost object is in a chunk and owned by no one: reported as a
	# leak, or as the first place the chunks and the owners differ.
	if grep -qE 'has no owner \(leak\)|chunks hold .* where the owners have' "$log"; then
		pass
		echo "  PASS fuzz_pool caught the lost cached object: $(grep -oE 'FAIL: .*' "$log" | head -1)"
	else
		fail "negative control: the lost cached object was not reported ($log)"
		echo "  FAIL the lost cached object was not reported ($log)"
	fi
}

# The thread-safety analysis can fail: module/stats.cpp with
# PCPUPOOL_TSA_NEGATIVE_CONTROL reads a field guarded by the pool lock
# without it, and clang -Wthread-safety must refuse it for that reason.
tsa_negative_control() {
	local log=$HOST_OUT/logs/tsa-negative-control.log
	if ${HOST_CLANGXX:-clang++} -std=gnu++20 -fno-exceptions -fno-rtti -ffreestanding \
		-Imodule -Iinclude -I"$here" -DPCPUPOOL_TEST -DPCPUPOOL_TSA_NEGATIVE_CONTROL \
		-Wthread-safety -Werror -fsyntax-only "$repo/module/stats.cpp" > "$log" 2>&1; then
		fail "tsa-negative-control: a guarded field read without its lock compiled"
	elif grep -q "reading variable 'nr_empty_pop_' requires holding spinlock 'lock_'" "$log"; then
		pass
		echo "  PASS tsa-negative-control: $(grep -m1 "requires holding" "$log" | sed 's/^.*error: //')"
	else
		fail "tsa-negative-control: refused for another reason ($log)"
		head -5 "$log"
	fi
}

fuzzers() {
	local t
	: > "$HOST_OUT/fuzz-summary.txt"
	for t in $FUZZ_TARGETS; do
		fuzz_one "$t" "$FUZZ_SECONDS"
	done
	case " $FUZZ_TARGETS " in *" pool_cache "*) break_cache ;; esac
}

coverage() {
	local t profs=() objs=() bin
	mkdir -p "$HOST_OUT/cov"
	for t in area_map pool; do
		bin=$HOST_OUT/cov/fuzz_$t
		mkdir -p "$HOST_OUT/corpus/$t"
		# A crashing input would end the run before the profile is
		# written: the seeds check.sh kept (regressions that pass).
		local seeds=$HOST_OUT/seeds/$t
		[ -d "$seeds" ] || seeds=$here/corpus/$t
		LLVM_PROFILE_FILE=$HOST_OUT/cov/$t.profraw "$bin" -runs=0 -max_len="$(max_len "$t")" \
			"$HOST_OUT/corpus/$t" "$seeds" > "$HOST_OUT/logs/cov-$t.log" 2>&1
		profs+=("$HOST_OUT/cov/$t.profraw")
		objs+=(-object "$bin")
	done
	llvm-profdata merge -o "$HOST_OUT/cov/all.profdata" "${profs[@]}" || return 1
	llvm-cov report -instr-profile="$HOST_OUT/cov/all.profdata" "${objs[@]:1}" \
		"$repo"/module/*.cpp | tee "$HOST_OUT/cov/report.txt"
	llvm-cov show -format=html -output-dir="$HOST_OUT/cov/html" \
		-instr-profile="$HOST_OUT/cov/all.profdata" "${objs[@]:1}" "$repo"/module/*.cpp > /dev/null &&
		echo "html: $HOST_OUT/cov/html/index.html"
}

start=$SECONDS
case "$mode" in
check)
	unit_tests
	tsa_negative_control
	stresses
	fuzzers
	;;
fuzz)
	fuzzers
	;;
unit)
	unit_tests
	tsa_negative_control
	;;
stress)
	stresses
	;;
cov)
	coverage
	exit $?
	;;
*)
	echo "usage: $0 [check|fuzz|cov]" >&2
	exit 2
	;;
esac
echo
[ -s "$HOST_OUT/fuzz-summary.txt" ] && cat "$HOST_OUT/fuzz-summary.txt"
[ ${#summary[@]} -gt 0 ] && printf '%s\n' "${summary[@]}"
echo "host: $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
