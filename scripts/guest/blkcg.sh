#!/bin/sh
# blkcg.sh - guest mode "blkcg": pcpupool_blk's tests (make check).
#
#  1. KUnit: pcpupool_blk_kunit.ko (suite pcpupool_blk) runs at load, with
#     cgroup=/kunit, a real cgroup with the io controller; the host parses
#     its KTAP (scripts/kunit-parse.sh) like the kunit mode's.
#  2. Integration, once per queue mode (mq, then bio): cgroups a, b, c, f,
#     m, w on cgroup v2 with the io controller move different volumes through
#     /dev/pcpub0 with O_DIRECT dd.  For each, pcpupool's rbytes wbytes
#     rios wios dbytes dios (/sys/kernel/debug/pcpupool/blk/pcpub0/stats)
#     must equal the kernel's io.stat line for the device exactly, and what
#     dd moved; data read back must match what was written; a discarded
#     range reads back as zeroes.  Special cases, each checked exactly:
#       f  dd conv=fsync: one empty flush bio.  bio mode sees it, like
#          io.stat (a write of 0 bytes); blk-mq's flush machinery hands the
#          driver a REQ_OP_FLUSH request without the bio, so in mq mode
#          io.stat has exactly one wios more and flush_reqs grows.
#       m  first stats allocation made to fail (fail_stats_alloc): the bio
#          is served, counted as unattributed; the next bio retries and
#          succeeds; io.stat - pcpupool == unattributed == that one bio.
#       w  1 MiB of buffered writes, then sync: the flusher writes them
#          back on behalf of w (cgroup writeback: w dirtied the device's
#          page cache first), and both counters charge w.  (Merging of
#          several bios into one request, where per-request counting would
#          go wrong, is shown by the swap test: swap-out bios merge.)
#       d  a discard and nothing else: the kernel's io.stat line for it is
#          the device name without numbers (only rbytes wbytes rios wios
#          count for that rule), so pcpupool's four must be 0 and its
#          dbytes the discard's size.
#       a  removed (rmdir): its counts move to "(removed)", reaped +1.
#  3. fio (Debian's, copied into the initramfs) in nested cgroups, a seeded
#     mix of engines, directions, block sizes and trims on every CPU, the
#     first seed in mq mode and the second in bio mode: every cgroup's
#     line, leaf or parent, equals io.stat and fio's own counts
#     (blkcg_fio.sh).
#       p  a parent that issues no IO itself, with children p/q and p/r
#          that do: pcpupool's line for p, like io.stat's, holds the
#          hierarchical totals (q's and r's IO); after rmdir p/r it still
#          does (r's counts fold into p as the kernel flushes a released
#          blkg into its parent), and both still equal io.stat.
#
# Prints "pcpupool-blkcg: ok|FAIL ..." per check and the summary line
# "pcpupool-blkcg: N passed, N failed" that the host counts.  Unloads
# pcpupool_blk itself (init.sh unloads pcpupool after this script).
. /guest/lib.sh
CG=/sys/fs/cgroup
D=/sys/kernel/debug/pcpupool/blk
DEV=/dev/pcpub0
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "pcpupool-blkcg: ok $*"; }
bad() { fail=$((fail + 1)); echo "pcpupool-blkcg: FAIL $*"; }
KEYS="rbytes wbytes rios wios dbytes dios"

# in_cg CGROUP CMD...: run CMD as a process of CGROUP (stderr dropped).
in_cg() {
	cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" "$@" 2>/dev/null
}
# kv KEY LINE: the value of KEY=... in LINE (empty if absent).
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ours() { grep "^$1 " $D/pcpub0/stats; }
theirs() { grep "^$(cat /sys/block/pcpub0/dev) " "$CG$1/io.stat"; }
# dd quietly; fails if dd fails.
ddq() { dd "$@" 2>/dev/null; }

# same CG: pcpupool's line vs io.stat, all six keys.  The kernel prints a
# cgroup's io.stat numbers for a device only when one of rbytes wbytes rios
# wios is non-zero (blkcg_print_one_stat(): after discards alone the line
# holds the device name only): then pcpupool's four must be 0, and its
# dbytes/dios have nothing to be compared with.
same() {
	o=$(ours "$1") t=$(theirs "$1")
	echo "pcpupool-blkcg:   pcpupool $o"
	echo "pcpupool-blkcg:   io.stat  $1 $t"
	if [ -n "$o" ] && [ -z "$(kv rbytes "$t")" ]; then
		for k in rbytes wbytes rios wios; do
			if [ "$(kv $k "$o")" != 0 ]; then
				bad "$mode $1: io.stat prints no numbers, but pcpupool's $k is '$(kv $k "$o")'"
				return 1
			fi
		done
		ok "$mode $1: io.stat prints no numbers (discards only: the kernel's rule), pcpupool's rbytes wbytes rios wios are 0"
		return 0
	fi
	for k in $KEYS; do
		a=$(kv $k "$o") b=$(kv $k "$t")
		if [ -z "$a" ] || [ "$a" != "$b" ]; then
			bad "$mode $1: $k pcpupool '$a' != io.stat '$b'"
			return 1
		fi
	done
	ok "$mode $1: rbytes wbytes rios wios dbytes dios equal io.stat"
}
# expect CG KEY VALUE: pcpupool's value of KEY for CG.
expect() {
	v=$(kv "$2" "$(ours "$1")")
	[ "$v" = "$3" ] && ok "$mode $1: $2=$3 (what dd moved)" ||
		bad "$mode $1: $2='$v', want $3"
}
alloc() { kv "$1" "$(grep '^allocs ' $D/pcpub0/stats)"; }
dev_kv() { kv "$1" "$(grep '^device ' $D/pcpub0/stats)"; }
line_kv() { kv "$2" "$(grep "^$1 " $D/pcpub0/stats)"; }

# The fio client (blkcg_fio.sh): its seeds from the command line.
. /guest/blkcg_fio.sh
FIO_SEEDS=$(modparams pcpupool_guest | tr ' ' '\n' | sed -n 's/^fio_seeds=//p' | tr ',' ' ')
[ -n "$FIO_SEEDS" ] || FIO_SEEDS="1 2"

mount -t cgroup2 none $CG || { echo "pcpupool-blkcg: cannot mount cgroup2"; exit 1; }
echo "+io +memory" > $CG/cgroup.subtree_control ||
	{ echo "pcpupool-blkcg: cannot enable io: $(cat $CG/cgroup.controllers)"; exit 1; }

echo "pcpupool-guest: insmod pcpupool.ko $(modparams pcpupool)"
# shellcheck disable=SC2046
insmod /modules/pcpupool.ko $(modparams pcpupool) || exit 1

# ---- 1. KUnit ----
mkdir $CG/kunit
insmod /modules/pcpupool_blk.ko size_mb=8 || exit 2
echo "pcpupool-guest: insmod pcpupool_blk_kunit.ko cgroup=/kunit (runs suite pcpupool_blk)"
# shellcheck disable=SC2046
insmod /modules/pcpupool_blk_kunit.ko cgroup=/kunit $(modparams pcpupool_blk_kunit) || exit 3
rmmod pcpupool_blk_kunit || exit 3
rmmod pcpupool_blk || exit 3
rmdir $CG/kunit

# ---- 2. integration, per queue mode ----
head -c 1048576 /dev/urandom > /tmp/pa
head -c 262144 /dev/urandom > /tmp/pb
head -c 1048576 /dev/urandom > /tmp/pz
head -c 4096 /dev/urandom > /tmp/pf
for mode in mq bio; do
	echo "pcpupool-blkcg: ---- queue_mode=$mode"
	insmod /modules/pcpupool_blk.ko queue_mode=$mode size_mb=32 stats_reserve=8 ||
		{ bad "$mode: insmod"; continue; }
	grep -q "mode=$mode " $D/pcpub0/stats && ok "$mode: device up" || bad "$mode: device mode"
	for g in a b c d f m w p; do mkdir $CG/$g; done
	echo "+io" > $CG/p/cgroup.subtree_control || bad "$mode p: cannot enable io below p"
	mkdir $CG/p/q $CG/p/r

	# a: 16 x 64 KiB written at 0, 4 x 64 KiB read
	in_cg a dd if=/tmp/pa of=$DEV bs=64k count=16 oflag=direct conv=notrunc &&
	in_cg a dd if=$DEV of=/dev/null bs=64k count=4 iflag=direct ||
		bad "$mode a: dd failed"
	# b: 2 x 128 KiB written at 2 MiB, read back as 64 x 4 KiB
	in_cg b dd if=/tmp/pb of=$DEV bs=128k count=2 seek=16 oflag=direct conv=notrunc &&
	in_cg b dd if=$DEV of=/tmp/rb bs=4k count=64 skip=512 iflag=direct ||
		bad "$mode b: dd failed"
	# c: 1 MiB at 8 MiB written by root, discarded by c, read by c: zeroes
	ddq if=/tmp/pz of=$DEV bs=64k count=16 seek=128 oflag=direct conv=notrunc
	in_cg c blkdiscard -o 8388608 -l 1048576 $DEV &&
	in_cg c dd if=$DEV of=/tmp/rc bs=32k count=32 skip=256 iflag=direct ||
		bad "$mode c: discard/dd failed"
	# d: a discard and nothing else: io.stat prints no numbers for it
	in_cg d blkdiscard -o 12582912 -l 65536 $DEV || bad "$mode d: discard failed"
	# f: one 4 KiB write and fsync: one empty flush bio
	fr0=$(dev_kv flush_reqs)
	in_cg f dd if=/tmp/pf of=$DEV bs=4k count=1 seek=4096 oflag=direct conv=notrunc,fsync ||
		bad "$mode f: dd failed"
	fr1=$(dev_kv flush_reqs)
	# m: its first stats allocation fails, the next ones retry
	echo 1 > $D/fail_stats_alloc
	u0=$(grep '^(unattributed) ' $D/pcpub0/stats)
	mi0=$(alloc missed) re0=$(alloc retried)
	in_cg m dd if=/tmp/pa of=$DEV bs=64k count=1 seek=64 oflag=direct conv=notrunc &&
	in_cg m dd if=$DEV of=/tmp/rm bs=64k count=3 skip=64 iflag=direct ||
		bad "$mode m: dd failed"
	u1=$(grep '^(unattributed) ' $D/pcpub0/stats)
	# w: buffered, written back by the flusher for w
	b0=$(dev_kv bios) q0=$(dev_kv requests)
	in_cg w dd if=/tmp/pa of=$DEV bs=64k count=16 seek=320 conv=notrunc &&
	in_cg w sync || bad "$mode w: dd/sync failed"
	b1=$(dev_kv bios) q1=$(dev_kv requests)
	# p/q: 8 x 64 KiB written at 25 MiB, 2 read; p/r: 4 x 32 KiB written
	# at 26 MiB, read back as 16 x 4 KiB; p itself: nothing
	in_cg p/q dd if=/tmp/pa of=$DEV bs=64k count=8 seek=400 oflag=direct conv=notrunc &&
	in_cg p/q dd if=$DEV of=/dev/null bs=64k count=2 skip=400 iflag=direct &&
	in_cg p/r dd if=/tmp/pb of=$DEV bs=32k count=4 seek=832 oflag=direct conv=notrunc &&
	in_cg p/r dd if=$DEV of=/dev/null bs=4k count=16 skip=6656 iflag=direct ||
		bad "$mode p: dd failed"

	# exact match with io.stat
	for g in a b c d w p/q p/r p; do same /$g; done
	expect /p wbytes $((8 * 65536 + 4 * 32768)); expect /p wios 12
	expect /p rbytes $((2 * 65536 + 16 * 4096)); expect /p rios 18
	expect /d dbytes 65536
	expect /a wbytes $((16 * 65536)); expect /a wios 16
	expect /a rbytes $((4 * 65536)); expect /a rios 4
	expect /b wbytes 262144; expect /b wios 2
	expect /b rbytes 262144; expect /b rios 64
	expect /c dbytes 1048576; expect /c rios 32; expect /c rbytes 1048576
	[ "$(kv dios "$(ours /c)")" -ge 1 ] && ok "$mode /c: dios >= 1" || bad "$mode /c: no discard counted"
	expect /w wbytes 1048576
	ww=$(kv wios "$(ours /w)")
	[ "$ww" = $((b1 - b0)) ] && ok "$mode /w: wios $ww = the bios the driver saw, in $((q1 - q0)) requests" ||
		bad "$mode /w: wios $ww, bios $((b1 - b0)), requests $((q1 - q0))"

	# f: the flush
	o=$(ours /f) t=$(theirs /f)
	echo "pcpupool-blkcg:   pcpupool $o"
	echo "pcpupool-blkcg:   io.stat  /f $t"
	for k in rbytes wbytes rios dbytes dios; do
		[ "$(kv $k "$o")" = "$(kv $k "$t")" ] || bad "$mode /f: $k differs"
	done
	[ "$(kv wbytes "$o")" = 4096 ] && ok "$mode /f: wbytes 4096" || bad "$mode /f: wbytes"
	[ "$fr1" -gt "$fr0" ] && ok "$mode /f: the flush reached the driver ($fr0 -> $fr1)" ||
		bad "$mode /f: flush_reqs $fr0 -> $fr1"
	if [ $mode = bio ]; then
		same /f
		[ "$(kv flushes "$o")" = 1 ] && [ "$(kv wios "$o")" = 2 ] &&
			ok "$mode /f: flushes=1, wios=2 (data + empty flush bio)" ||
			bad "$mode /f: flushes/wios $(kv flushes "$o")/$(kv wios "$o")"
	else
		[ "$(kv wios "$o")" = 1 ] && [ "$(kv wios "$t")" = 2 ] &&
			ok "$mode /f: wios 1 vs io.stat 2: the empty flush bio never reaches queue_rq" ||
			bad "$mode /f: wios $(kv wios "$o") vs io.stat $(kv wios "$t")"
	fi

	# m: missed once, retried, served; the difference is unattributed
	o=$(ours /m) t=$(theirs /m)
	echo "pcpupool-blkcg:   pcpupool $o"
	echo "pcpupool-blkcg:   io.stat  /m $t"
	echo "pcpupool-blkcg:   $u1"
	[ "$(alloc missed)" = $((mi0 + 1)) ] && [ "$(alloc retried)" = $((re0 + 1)) ] &&
		ok "$mode /m: one miss, one retry" ||
		bad "$mode /m: missed $mi0 -> $(alloc missed), retried $re0 -> $(alloc retried)"
	okm=1
	for k in $KEYS; do
		d1=$(( $(kv $k "$t") - $(kv $k "$o") ))
		d2=$(( $(kv $k "$u1") - $(kv $k "$u0") ))
		[ $d1 = $d2 ] || { okm=0; bad "$mode /m: $k io.stat - pcpupool = $d1, unattributed grew $d2"; }
	done
	[ $okm = 1 ] && ok "$mode /m: io.stat - pcpupool == unattributed delta, for every key"
	[ "$(kv wbytes "$u1")" = $(( $(kv wbytes "$u0") + 65536 )) ] &&
		[ "$(kv rios "$o")" = 3 ] && ok "$mode /m: the missed 64 KiB write was served; 3 reads counted" ||
		bad "$mode /m: unattributed/rios"

	# data
	ddq if=$DEV of=/tmp/ra bs=64k count=16 iflag=direct
	cmp -s /tmp/ra /tmp/pa && ok "$mode: a's 1 MiB reads back" || bad "$mode: a's data differs"
	cmp -s /tmp/rb /tmp/pb && ok "$mode: b's 256 KiB reads back" || bad "$mode: b's data differs"
	ddq if=$DEV of=/tmp/rw bs=64k count=16 skip=320 iflag=direct
	cmp -s /tmp/rw /tmp/pa && ok "$mode: w's 1 MiB (written back) reads back" || bad "$mode: w's data differs"
	head -c 65536 /tmp/pa > /tmp/pm
	head -c 65536 /tmp/rm | cmp -s - /tmp/pm && ok "$mode: m's (unattributed) write reads back" ||
		bad "$mode: m's data differs"
	head -c 1048576 /dev/zero | cmp -s - /tmp/rc && ok "$mode: discarded 1 MiB reads as zeroes" ||
		bad "$mode: discard did not zero"

	# removal: a's counts move to (removed), its object is freed
	oa=$(ours /a)
	r0=$(grep '^(removed) ' $D/pcpub0/stats) rp0=$(alloc reaped)
	rmdir $CG/a
	i=0
	while [ $i -lt 50 ]; do
		r1=$(grep '^(removed) ' $D/pcpub0/stats)
		[ "$(kv wbytes "$r1")" = $(( $(kv wbytes "$r0") + $(kv wbytes "$oa") )) ] && break
		sleep 0.2
		i=$((i + 1))
	done
	okr=1
	for k in $KEYS flushes; do
		[ "$(kv $k "$r1")" = $(( $(kv $k "$r0") + $(kv $k "$oa") )) ] ||
			{ okr=0; bad "$mode rmdir a: removed $k $(kv $k "$r0") -> $(kv $k "$r1"), a had $(kv $k "$oa")"; }
	done
	[ $okr = 1 ] && ok "$mode rmdir a: its counts folded into (removed) after $((i * 200)) ms"
	[ "$(alloc reaped)" = $((rp0 + 1)) ] && ! ours /a > /dev/null &&
		ok "$mode rmdir a: object reaped and freed" || bad "$mode rmdir a: reaped $(alloc reaped)"

	# removal below a parent: r's counts stay in p's line, as in io.stat
	op=$(ours /p) rp0=$(alloc reaped)
	rmdir $CG/p/r
	i=0
	while [ $i -lt 50 ] && [ "$(alloc reaped)" = $rp0 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(alloc reaped)" = $((rp0 + 1)) ] && ! ours /p/r > /dev/null &&
		[ "$(ours /p)" = "$op" ] &&
		ok "$mode rmdir p/r: reaped after $((i * 200)) ms, p's line unchanged: $op" ||
		bad "$mode rmdir p/r: reaped $rp0 -> $(alloc reaped), p was '$op', now '$(ours /p)'"
	same /p

	echo "pcpupool-blkcg: $mode stats file:"
	sed 's/^/pcpupool-blkcg:   /' $D/pcpub0/stats
	for g in b c d f m w p/q p; do rmdir $CG/$g; done
	i=0
	while [ $i -lt 50 ] && [ "$(alloc live)" != 1 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	mp=$(grep -E '^(outstanding|waits) ' /sys/kernel/debug/pcpupool/mempool/pcpub0/stats | tr -s ' ' | tr '\n' ' ')
	# a b c d f m w, p/r, p/q, and p (its object made when r was folded)
	[ "$(alloc live)" = 1 ] && [ "$(alloc reaped)" = 10 ] && [ "$mp" = "waits 0 outstanding 1 " ] &&
		ok "$mode: every cgroup removed: 10 objects reaped, only the root's left (mempool: $mp)" ||
		bad "$mode: after removing every cgroup: live $(alloc live) reaped $(alloc reaped), mempool: $mp"
	rmmod pcpupool_blk && ok "$mode: rmmod pcpupool_blk" || bad "$mode: rmmod pcpupool_blk"

	# ---- 3. a real client: fio in nested cgroups ----
	# The first seed in mq mode, the second in bio mode: both seeds and
	# both modes in one boot, in half the time of every pair (the boot
	# must fit make check's budget).  One seed alone runs in both modes.
	if command -v fio > /dev/null; then
		set -- $FIO_SEEDS
		[ $mode = mq ] || [ $# -lt 2 ] || shift
		fio_mix $1
	else
		bad "$mode: no fio in the guest"
	fi
done

# bad parameters are refused
for p in queue_mode=foo nr_devices=0 nr_devices=17 size_mb=0 stats_reserve=5000; do
	if insmod /modules/pcpupool_blk.ko $p 2>/dev/null; then
		bad "$p accepted"
		rmmod pcpupool_blk
	else
		ok "$p refused"
	fi
done
echo "pcpupool-blkcg: $pass passed, $fail failed"
[ $fail = 0 ]
