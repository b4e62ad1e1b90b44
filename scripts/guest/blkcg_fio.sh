#!/bin/sh
# blkcg_fio.sh - the real IO client of the blkcg mode: Debian's fio in
# nested cgroups on /dev/pcpub0, sourced by blkcg.sh (uses its ok, bad, kv,
# ours, theirs, same, alloc, in_cg, $CG, $D, $DEV, $mode).
#
# fio_mix SEED: a fresh pcpupool_blk device in the current queue mode, and
# a cgroup tree
#
#     /fio            no IO of its own
#       j0  j1        leaves
#       n             no IO of its own
#         k           a leaf
#       t             trims only (its own job: fio opens the device
#                     without O_DIRECT when a job's rw includes trim)
#       j3            created after j0 ran and was removed
#
# Each leaf runs one fio process (its jobs are threads, so all are in the
# leaf's cgroup) with one job per online CPU (cpus_allowed_policy=split),
# with an engine (psync, libaio, io_uring), a direction (read, write,
# randread, randwrite, randrw), a block size and a queue depth drawn from
# SEED; j0 runs first and is removed, and j3 is created and runs while the
# others are running.  Then, per cgroup, leaf or parent: pcpupool's line ==
# io.stat == fio's own JSON counts (bytes and ios per direction, trims as
# dbytes/dios; a parent's fio counts are its leaves' sums, j0's included:
# removal folds into the parent, in io.stat as in pcpupool).
#
# The seed is printed; blkcg.sh takes the seeds from the kernel command line
# (pcpupool_guest.fio_seeds=A,B; scripts/run.sh sets it, PCPUPOOL_FIO_SEEDS
# replays a run).

# fio_counts JSON: "rbytes rios wbytes wios dbytes dios" summed over the
# file's jobs (the first io_bytes and total_ios of each read/write/trim
# section; fio prints them before the section's nested objects).
fio_counts() {
	awk '
	/"read" : \{/ { s = 0 }
	/"write" : \{/ { s = 1 }
	/"trim" : \{/ { s = 2 }
	/"sync" : \{/ { s = -1 }
	/"io_bytes" :/ && s >= 0 { v = $3; gsub(/[^0-9]/, "", v); b[s] += v }
	/"total_ios" :/ && s >= 0 { v = $3; gsub(/[^0-9]/, "", v); n[s] += v; s = -1 }
	END { printf "%d %d %d %d %d %d\n", b[0], n[0], b[1], n[1], b[2], n[2] }' "$1"
}

# The seeded generator: rnd N sets R to 0..N-1.
rnd() {
	fio_state=$(( (fio_state * 1103515245 + 12345) & 2147483647 ))
	R=$(( (fio_state >> 16) % $1 ))
}
pick() { # N WORDS...: P = a seeded choice among the N WORDS
	n=$1
	shift
	rnd $n
	shift $R
	P=$1
}

# fio_plan CG INDEX: draw CG's seeded fio arguments into A (in this shell:
# the draws must not happen in a background subshell, or two leaves would
# draw the same).  JSON goes to /tmp/fio-<name>.json.
fio_plan() {
	cg=$1 idx=$2 name=$(echo "$1" | tr / _)
	pick 3 psync libaio io_uring; eng=$P
	pick 5 read write randread randwrite randrw; rw=$P
	pick 5 4k 8k 16k 32k 64k; bs=$P
	pick 3 1 4 16; qd=$P
	[ $eng = psync ] && qd=1
	pick 3 256k 512k 1m; sz=$P
	echo "pcpupool-blkcg:   fio $cg: $eng $rw bs=$bs iodepth=$qd size=$sz x $ncpu jobs"
	A="--name=$name --filename=$DEV --thread --direct=1 --ioengine=$eng --rw=$rw"
	A="$A --bs=$bs --iodepth=$qd --size=$sz --offset=$((idx * 8))m --offset_increment=$sz"
	A="$A --numjobs=$ncpu --cpus_allowed=0-$((ncpu - 1)) --cpus_allowed_policy=split"
	A="$A --randseed=$fio_state --group_reporting --output-format=json --eta=never"
	A="$A --output=/tmp/fio-$name.json"
}

# fio_trim_plan CG INDEX: the trim job's arguments into A.
fio_trim_plan() {
	cg=$1 idx=$2 name=$(echo "$1" | tr / _)
	pick 3 4k 64k 1m; bs=$P
	echo "pcpupool-blkcg:   fio $cg: psync trim bs=$bs size=2m"
	A="--name=$name --filename=$DEV --thread --ioengine=psync --rw=trim --bs=$bs"
	A="$A --size=2m --offset=$((idx * 8))m --output-format=json --eta=never"
	A="$A --output=/tmp/fio-$name.json"
}

# fio_run CG ARGS...: fio in CG.
fio_run() {
	cg=$1
	shift
	# shellcheck disable=SC2068
	in_cg "$cg" fio $@ || bad "$mode seed $seed: fio in $cg failed"
}

# fio_check CG FIO_COUNTS: pcpupool == io.stat (same), and == fio's counts.
fio_check() {
	same "$1" || return
	o=$(ours "$1")
	set -- "$1" $2
	okf=1
	for kn in rbytes:2 rios:3 wbytes:4 wios:5 dbytes:6 dios:7; do
		k=${kn%:*}
		eval "want=\${${kn#*:}}"
		[ "$(kv $k "$o")" = "$want" ] ||
			{ okf=0; bad "$mode seed $seed $1: $k pcpupool $(kv $k "$o"), fio $want"; }
	done
	[ $okf = 1 ] && ok "$mode seed $seed $1: equals io.stat and fio's counts ($2 $3 $4 $5 $6 $7)"
}

add6() { # "a b c d e f" "g h i j k l" -> sum
	echo "$1 $2" | awk '{ printf "%d %d %d %d %d %d\n", $1+$7, $2+$8, $3+$9, $4+$10, $5+$11, $6+$12 }'
}

fio_mix() {
	seed=$1 fio_state=$1
	ncpu=$(grep -c ^processor /proc/cpuinfo)
	echo "pcpupool-blkcg: ---- fio mix, queue_mode=$mode, seed $seed (replay: PCPUPOOL_FIO_SEEDS=$seed)"
	insmod /modules/pcpupool_blk.ko queue_mode=$mode size_mb=64 stats_reserve=8 ||
		{ bad "$mode seed $seed: insmod"; return; }
	mkdir $CG/fio
	echo "+io" > $CG/fio/cgroup.subtree_control
	mkdir $CG/fio/j0 $CG/fio/j1 $CG/fio/n $CG/fio/t
	echo "+io" > $CG/fio/n/cgroup.subtree_control
	mkdir $CG/fio/n/k
	rm -f /tmp/fio-*.json
	# j0 first, alone; then it is removed while the others start
	fio_plan fio/j0 0
	fio_run fio/j0 $A
	c_j0=$(fio_counts /tmp/fio-fio_j0.json)
	fio_check /fio/j0 "$c_j0"
	# The comparison can fail: j0's fio counts with one io more must be
	# refused (in a subshell: its FAIL is expected, not counted).
	if (fio_check /fio/j0 "$(echo $c_j0 | awk '{ $2++; $4++; print }')") | grep -q "FAIL"; then
		ok "$mode seed $seed: control: a count off by one is caught"
	else
		bad "$mode seed $seed: control: a count off by one passed"
	fi
	fio_plan fio/j1 1
	fio_run fio/j1 $A &
	p1=$!
	fio_plan fio/n/k 2
	fio_run fio/n/k $A &
	p2=$!
	fio_trim_plan fio/t 3
	fio_run fio/t $A &
	p3=$!
	rmdir $CG/fio/j0
	mkdir $CG/fio/j3
	fio_plan fio/j3 4
	fio_run fio/j3 $A
	wait $p1 $p2 $p3
	c_j1=$(fio_counts /tmp/fio-fio_j1.json)
	c_k=$(fio_counts /tmp/fio-fio_n_k.json)
	c_t=$(fio_counts /tmp/fio-fio_t.json)
	c_j3=$(fio_counts /tmp/fio-fio_j3.json)
	# j0 folded into /fio: wait for the reaper
	i=0
	while [ $i -lt 50 ] && ours /fio/j0 > /dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
	! ours /fio/j0 > /dev/null && ok "$mode seed $seed: j0 reaped after $((i * 200)) ms" ||
		bad "$mode seed $seed: j0 not reaped"
	fio_check /fio/j1 "$c_j1"
	fio_check /fio/n/k "$c_k"
	fio_check /fio/n "$c_k"
	fio_check /fio/t "$c_t"
	fio_check /fio/j3 "$c_j3"
	fio_check /fio "$(add6 "$(add6 "$(add6 "$c_j0" "$c_j1")" "$(add6 "$c_k" "$c_t")")" "$c_j3")"
	# Control: without the removed j0 (a parent that lost a removed
	# child's counts, as pcpupool's lines did before), /fio must differ.
	if (fio_check /fio "$(add6 "$(add6 "$c_j1" "$c_k")" "$(add6 "$c_t" "$c_j3")")") | grep -q "FAIL"; then
		ok "$mode seed $seed: control: /fio without j0's counts is caught"
	else
		bad "$mode seed $seed: control: /fio without j0's counts passed"
	fi
	[ "$(alloc missed)" = 0 ] && ok "$mode seed $seed: no stats allocation missed" ||
		bad "$mode seed $seed: missed $(alloc missed)"
	echo "pcpupool-blkcg: $mode seed $seed stats file:"
	sed 's/^/pcpupool-blkcg:   /' $D/pcpub0/stats
	for g in j1 n/k n t j3; do rmdir $CG/fio/$g; done
	rmdir $CG/fio
	i=0
	while [ $i -lt 50 ] && [ "$(alloc live)" != 1 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(alloc live)" = 1 ] && ok "$mode seed $seed: every fio cgroup reaped" ||
		bad "$mode seed $seed: live $(alloc live) after removing the fio cgroups"
	rmmod pcpupool_blk || bad "$mode seed $seed: rmmod pcpupool_blk"
}
