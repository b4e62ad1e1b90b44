#!/bin/sh
# swap.sh - guest mode "swap": pcpupool_blk under memory pressure, as swap
# (make check; boot with little RAM, PCPUPOOL_MEM=384).
#
# /dev/pcpub0 (144 MiB, preallocated) is the swap device, /dev/pcpub1
# (16 MiB) takes ordinary IO (a device in use as swap refuses other
# writers).  A memory hog (pcpupool-memhog, a static binary added to the
# initramfs by scripts/build-memhog.sh) in cgroup /hog maps more memory than is
# available and walks it for HOG_SECS, checking a pattern in every page, so
# pages are swapped out (kswapd, direct reclaim: bios submitted from
# reclaim, attributed by memcg) and in (faults) the whole time.  Meanwhile
# new cgroups g0, g1, ... keep being created, each issuing its first IO --
# O_DIRECT reads of the swap device, a write + read-back of its own 8 KiB on
# pcpub1 -- so stats objects are allocated in the submission path of both
# devices under pressure; the oldest cgroups are removed as it goes (the
# reaper runs under pressure too).
#
# Swap traffic is sampled by the hog itself every 5 s (the shell is too
# slow under thrashing): pswpin/pswpout of /proc/vmstat when the kernel has
# CONFIG_VM_EVENT_COUNTERS, otherwise the kernel's io.stat of /hog on the
# swap device (rbytes: swap-in, wbytes: swap-out; the hog does no other IO).
#
# Checks: swap-in and swap-out both grow in windows of the hog's random-
# touch phase (after it filled its memory) that add up to 60 s or more; the
# hog finds every page intact; every cgroup's data reads back; no dd fails;
# and, on each device, the statistics stay consistent:
#   - per cgroup, io.stat - pcpupool >= 0 for every key (misses only);
#   - summed over all cgroups (live ones now, removed ones as captured just
#     before rmdir): io.stat - pcpupool == (unattributed), every key;
#   - (removed) == the sum of the removed cgroups' pcpupool counts;
#   - with no miss, every live cgroup (hog included) equals io.stat exactly,
#     although blk-mq merges the swap bios into fewer requests (the
#     device's bios/requests counters must show it).
# The log scanner adds: no splat (lockdep, KASAN, sleeping in atomic, hung
# task); the runner's timeout: no hang.
#
# Prints "pcpupool-swap: ok|FAIL ..." per check and the summary line
# "pcpupool-swap: N passed, N failed".  Unloads pcpupool_blk itself.
. /guest/lib.sh
CG=/sys/fs/cgroup
D=/sys/kernel/debug/pcpupool/blk
DEV=/dev/pcpub0 IODEV=/dev/pcpub1
SWAP_MB=144 IO_MB=16
HOG_SECS=${HOG_SECS:-90}
KEYS="rbytes wbytes rios wios dbytes dios"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "pcpupool-swap: ok $*"; }
bad() { fail=$((fail + 1)); echo "pcpupool-swap: FAIL $*"; }
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
kv0() { v=$(kv "$1" "$2"); echo "${v:-0}"; }
in_cg() {
	cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" "$@" 2>/dev/null
}
vmstat() { sed -n "s/^$1 //p" /proc/vmstat; }
meminfo() { sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo; }
# stats_line DEV LINE-NAME, alloc DEV KEY, iostat DEV CGROUP
stats_line() { grep "^$2 " $D/$1/stats; }
alloc() { kv "$2" "$(grep '^allocs ' $D/$1/stats)"; }
iostat() { grep "^$(cat /sys/block/$1/dev) " $CG/$2/io.stat; }
# swapio: "IN OUT", cumulative
swapio() {
	if grep -q '^pswpin ' /proc/vmstat; then
		echo "$(vmstat pswpin) $(vmstat pswpout)"
	else
		t=$(iostat pcpub0 hog)
		echo "$(kv0 rbytes "$t") $(kv0 wbytes "$t")"
	fi
}
# acc PREFIX LINE: add LINE's six keys to variables PREFIX_<key>
acc() {
	for k in $KEYS; do
		v=$(kv $k "$2")
		eval "$1_$k=\$(( \${$1_$k:-0} + ${v:-0} ))"
	done
}

echo "pcpupool-guest: insmod pcpupool.ko $(modparams pcpupool)"
# shellcheck disable=SC2046
insmod /modules/pcpupool.ko $(modparams pcpupool) || exit 1
# shellcheck disable=SC2046
insmod /modules/pcpupool_blk.ko nr_devices=2 size_mb=$SWAP_MB,$IO_MB $(modparams pcpupool_blk) || exit 2
[ -x /guest/pcpupool-memhog ] || { echo "pcpupool-swap: no /guest/pcpupool-memhog"; rmmod pcpupool_blk; exit 3; }
mount -t cgroup2 none $CG || exit 4
echo "+io +memory" > $CG/cgroup.subtree_control || exit 4

mkswap $DEV > /dev/null && swapon $DEV &&
	ok "swapon $DEV ($SWAP_MB MiB)" || { bad "mkswap/swapon"; rmmod pcpupool_blk; exit 5; }
grep . /proc/swaps
avail=$(( $(meminfo MemAvailable) / 1024 ))
hog=$(( avail + 32 ))
echo "pcpupool-swap: MemTotal $(( $(meminfo MemTotal) / 1024 )) MiB, MemAvailable $avail MiB: hog $hog MiB for $HOG_SECS s"
head -c 8192 /dev/urandom > /tmp/pat
mkdir $CG/hog
sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' $CG/hog /guest/pcpupool-memhog \
	$hog $HOG_SECS $CG/hog/io.stat "$(cat /sys/block/pcpub0/dev)" > /tmp/hog.out 2>&1 &
hogpid=$!

# New cgroups, each with its first IO, while the hog runs.
i=0 ddfail=0 datafail=0 removed=0
while kill -0 $hogpid 2>/dev/null; do
	g=g$i
	mkdir $CG/$g
	blk=$(( (i % 2000) * 2 ))
	in_cg $g dd if=$DEV of=/dev/null bs=4k count=2 skip=$(( (i * 37) % (SWAP_MB * 256 - 2) )) iflag=direct || ddfail=$((ddfail + 1))
	in_cg $g dd if=/tmp/pat of=$IODEV bs=4k count=2 seek=$blk oflag=direct conv=notrunc || ddfail=$((ddfail + 1))
	in_cg $g dd if=$IODEV of=/tmp/back bs=4k count=2 skip=$blk iflag=direct || ddfail=$((ddfail + 1))
	cmp -s /tmp/pat /tmp/back || datafail=$((datafail + 1))
	# remove the cgroup from 4 rounds ago, capturing its numbers first
	if [ $i -ge 4 ]; then
		old=g$((i - 4))
		for dv in pcpub0 pcpub1; do
			acc rm_ours_$dv "$(stats_line $dv /$old)"
			acc rm_kern_$dv "$(iostat $dv $old)"
		done
		rmdir $CG/$old && removed=$((removed + 1))
	fi
	i=$((i + 1))
done
wait $hogpid
hogrc=$?
cat /tmp/hog.out
# memhog-window T SECS MAJFLT PSWPIN PSWPOUT RBYTES WBYTES (deltas per window)
if grep -q '^pswpin ' /proc/vmstat; then
	src="pswpin and pswpout" fin=5 fout=6
else
	src="/hog's io.stat rbytes and wbytes on pcpub0 (no CONFIG_VM_EVENT_COUNTERS)" fin=7 fout=8
fi
busy=$(awk -v i=$fin -v o=$fout '$1 == "memhog-window" && $i > 0 && $o > 0 { s += $3; n++ }
	END { printf "%d %d\n", s, n }' /tmp/hog.out)
set -- $busy
[ $hogrc = 0 ] && ok "memhog: every page intact after swapping ($(tail -1 /tmp/hog.out))" ||
	bad "memhog exited $hogrc"
[ "$1" -ge 60 ] && ok "swap-in and swap-out going on for $1 s ($2 windows of ~5 s), from $src" ||
	bad "swap-in and swap-out for only $1 s ($2 windows), from $src"
[ $i -ge 3 ] && ok "$i cgroups created under pressure, $removed removed" || bad "only $i cgroups"
[ $ddfail = 0 ] && ok "no dd failed" || bad "$ddfail dd failed"
[ $datafail = 0 ] && ok "every cgroup's 8 KiB read back intact" || bad "$datafail data mismatches"

sync
for dv in pcpub0 pcpub1; do
	echo "pcpupool-swap: $dv stats after the run:"
	sed 's/^/pcpupool-swap:   /' $D/$dv/stats
	missed=$(alloc $dv missed)
	neg=0
	for c in $(cd $CG && ls -d g* hog 2>/dev/null); do
		o=$(stats_line $dv /$c) t=$(iostat $dv $c)
		acc live_ours_$dv "$o"
		acc live_kern_$dv "$t"
		for k in $KEYS; do
			d=$(( $(kv0 $k "$t") - $(kv0 $k "$o") ))
			[ $d -ge 0 ] || { neg=1; bad "$dv /$c: $k io.stat - pcpupool = $d"; }
			[ "$missed" != 0 ] || [ $d = 0 ] || { neg=1; bad "$dv /$c: $k differs by $d without a miss"; }
		done
	done
	[ $neg = 0 ] && ok "$dv: every live cgroup: pcpupool == io.stat$([ "$missed" = 0 ] || echo " minus its misses")"
	u=$(stats_line $dv '(unattributed)') r=$(stats_line $dv '(removed)')
	okc=1 okr=1
	for k in $KEYS; do
		eval "kern=\$(( \${live_kern_${dv}_$k:-0} + \${rm_kern_${dv}_$k:-0} ))"
		eval "ours=\$(( \${live_ours_${dv}_$k:-0} + \${rm_ours_${dv}_$k:-0} ))"
		[ $((kern - ours)) = "$(kv $k "$u")" ] ||
			{ okc=0; bad "$dv $k: io.stat - pcpupool = $((kern - ours)), unattributed $(kv $k "$u")"; }
		eval "want=\${rm_ours_${dv}_$k:-0}"
		[ "$want" = "$(kv $k "$r")" ] || { okr=0; bad "$dv $k: removed $(kv $k "$r"), want $want"; }
	done
	[ $okc = 1 ] && ok "$dv: all cgroups: io.stat - pcpupool == unattributed ($missed misses, $(alloc $dv served) served, $(alloc $dv retried) retried)"
	[ $okr = 1 ] && ok "$dv: (removed) == the $removed removed cgroups' counts"
done
dl=$(grep '^device ' $D/pcpub0/stats)
nb=$(kv bios "$dl") nr=$(kv requests "$dl")
[ "$nr" -lt "$nb" ] && ok "pcpub0: $nb bios in $nr requests: blk-mq merged bios, each was counted" ||
	bad "pcpub0: no merging seen ($nb bios, $nr requests)"
echo "pcpupool-swap:   /hog pcpupool $(stats_line pcpub0 /hog)"
echo "pcpupool-swap:   /hog io.stat  $(iostat pcpub0 hog)"
[ "$(kv0 wbytes "$(stats_line pcpub0 /hog)")" -gt 0 ] && [ "$(kv0 rbytes "$(stats_line pcpub0 /hog)")" -gt 0 ] &&
	ok "/hog's swap-out and swap-in are attributed to it" || bad "/hog has no swap IO counted"

swapoff $DEV && ok "swapoff" || bad "swapoff"
for c in $(cd $CG && ls -d g* hog 2>/dev/null); do rmdir $CG/$c; done
rmmod pcpupool_blk && ok "rmmod pcpupool_blk" || bad "rmmod pcpupool_blk"
echo "pcpupool-swap: $pass passed, $fail failed"
[ $fail = 0 ]
