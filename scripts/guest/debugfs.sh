#!/bin/sh
# debugfs.sh - guest mode "debugfs": every writable file under
# /sys/kernel/debug/pcpupool/ and the module parameters get malformed,
# huge, negative, empty and binary input.  Each must be refused with
# EINVAL and change nothing; good values must be taken.  Prints one
# "pcpupool-debugfs: ok|FAIL ..." line per check and a summary line
# "pcpupool-debugfs: N passed, N failed" that the host counts.
D=/sys/kernel/debug/pcpupool
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "pcpupool-debugfs: ok $*"; }
bad() { fail=$((fail + 1)); echo "pcpupool-debugfs: FAIL $*"; }

# kmemleak sees pcpupool memory: a kmalloc'd object referenced only from a
# pcpupool allocation (debugfs kmemleak_probe, test builds) is not reported
# by a scan while pcpupool is loaded, since populated pages are registered
# and scanned.  The write runs in its own process (dd), whose stack is gone
# by the scan, so no stale copy of the pointer can hide a leak.  kmemleak
# reports an object at least 5 s old that two scans found unreferenced.
# The negative control (pcpupool.test_no_kmemleak=1: pages not registered)
# runs this alone and must report it, as "FAIL kmemleak reported the probe".
K=/sys/kernel/debug/kmemleak
kmemleak_check() {
	if [ ! -e $K ] || [ ! -e $D/kmemleak_probe ]; then
		bad "kmemleak check impossible: no $K or no $D/kmemleak_probe"
		return
	fi
	echo clear > $K
	echo 1 | dd of=$D/kmemleak_probe 2> /dev/null || { bad "kmemleak_probe 1 refused"; return; }
	sleep 6
	echo scan > $K
	echo scan > $K
	if grep -q pcpu_kmemleak_probe $K; then
		bad "kmemleak reported the probe object, referenced only from pcpupool memory"
		grep -B8 -A12 pcpu_kmemleak_probe $K | head -14 | sed 's/^/pcpupool-debugfs: kmemleak: /'
	else
		ok "kmemleak scans pcpupool memory: an object referenced only from it is not a leak"
	fi
	echo 0 | dd of=$D/kmemleak_probe 2> /dev/null && ok "kmemleak_probe 0 frees it" ||
		bad "kmemleak_probe 0 refused"
}
# The unload check counts backing pages (kmemleak tracks none): with
# pcpupool.test_leak_page=1 one page stays allocated, and the unload must
# WARN "backing pages not freed at unload" (the negative control's boot).
if grep -q 'pcpupool.test_leak_page=1' /proc/cmdline; then
	insmod /modules/pcpupool.ko test_leak_page=1 || exit 1
	rmmod pcpupool
	echo "pcpupool-debugfs: $pass passed, $fail failed"
	exit 0
fi
if grep -q 'pcpupool.test_no_kmemleak=1' /proc/cmdline; then
	insmod /modules/pcpupool.ko test_no_kmemleak=1 || exit 1
	kmemleak_check
	rmmod pcpupool
	echo "pcpupool-debugfs: $pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi

# Module parameter validation: bad unit sizes are refused at load.
for us in 0 4096 12345 999999999 -1 abc; do
	if insmod /modules/pcpupool.ko unit_size=$us 2>/dev/null; then
		bad "unit_size=$us was accepted"
		rmmod pcpupool
	else
		ok "unit_size=$us refused"
	fi
done
insmod /modules/pcpupool.ko unit_size=32768 || { bad "unit_size=32768 refused"; exit 1; }
ok "unit_size=32768 accepted"
grep -q "unit_size *: 32768" $D/stats && ok "stats show unit_size 32768" || bad "stats unit_size"
rmmod pcpupool
insmod /modules/pcpupool.ko || exit 1
kmemleak_check

# write VALUE FILE: succeeds if the write succeeded.  A refused write must
# be refused with EINVAL: any other error (EFAULT, ENOMEM, ...) is reported
# and counts as a success here, so that the caller's "refused" check fails.
# "NL" stands for a lone newline (an empty write is no write(2) at all).
# (dd does the write: busybox's printf says nothing when a write fails,
# dd names the error.)
try_write() {
	if [ "$1" = NL ]; then
		printf '\n' | dd of="$2" bs=4096 2> /tmp/werr
	else
		printf '%s' "$1" | dd of="$2" bs=4096 2> /tmp/werr
	fi && return 0
	grep -q "Invalid argument" /tmp/werr && return 1
	echo "pcpupool-debugfs: write of '$1' to $2 failed, but not with EINVAL: $(cat /tmp/werr)"
	return 0
}

for f in low_watermark high_watermark target_cap caching irqoff_measure; do
	before=$(cat $D/$f)
	for v in NL "-1" "+3" "abc" "1x" "0x10" " 3" "99999999999999999999999" "1 2" \
		 "$(printf '\001\002\377')" "18446744073709551616"; do
		if try_write "$v" $D/$f; then
			bad "$f accepted '$v'"
		elif [ "$(cat $D/$f)" != "$before" ]; then
			bad "$f changed by refused '$v'"
		else
			ok "$f refused '$(printf '%s' "$v" | od -An -c | tr -s ' ' | head -c 40)'"
		fi
	done
done
# Ordering constraints: low <= high <= cap <= 4096.
try_write 5 $D/low_watermark && bad "low 5 > high 4 accepted" || ok "low above high refused"
try_write 1 $D/high_watermark && bad "high 1 < low 2 accepted" || ok "high below low refused"
try_write 5000 $D/target_cap && bad "cap 5000 accepted" || ok "cap above 4096 refused"
try_write 3 $D/target_cap && bad "cap 3 < high 4 accepted" || ok "cap below high refused"
# Good values are taken, with or without a newline.
echo 8 > $D/high_watermark && [ "$(cat $D/high_watermark)" = 8 ] && ok "high 8 taken" || bad "high 8"
printf 3 > $D/low_watermark && [ "$(cat $D/low_watermark)" = 3 ] && ok "low 3 taken" || bad "low 3"
echo 2 > $D/low_watermark; echo 4 > $D/high_watermark
# A NUL ends what kstrtoull reads: "3\0" and "3\0xyz" must be refused too,
# on every writable file (the shell cannot hold a NUL in a variable).
for f in low_watermark high_watermark target_cap caching balance hold_atomic mempool_demo irqoff_measure; do
	for nul in '3\000' '3\000xyz' '1\000'; do
		if printf "$nul" | dd of=$D/$f bs=4096 2> /tmp/werr; then
			bad "$f accepted '$nul'"
		elif grep -q "Invalid argument" /tmp/werr; then
			ok "$f refused '$nul' with EINVAL"
		else
			bad "$f refused '$nul', but not with EINVAL: $(cat /tmp/werr)"
		fi
	done
done
# Trigger: only "1".
for v in 0 2 x NL; do
	try_write "$v" $D/balance && bad "balance accepted '$v'" || ok "balance refused '$v'"
done
echo 1 > $D/balance && ok "balance 1 runs the work" || bad "balance 1"
# Read-only files refuse writes.
for f in stats chunks irqoff; do
	try_write 1 $D/$f && bad "$f writable" || ok "$f read-only"
done
# The IRQ-off measurement: off by default, 2 refused, on it times the
# sections of a read of chunks, off it keeps the longest.
[ "$(cat $D/irqoff_measure)" = 0 ] && ok "irqoff_measure off by default" || bad "irqoff_measure not 0"
try_write 2 $D/irqoff_measure && bad "irqoff_measure accepted 2" || ok "irqoff_measure refused 2"
echo 1 > $D/irqoff_measure && cat $D/chunks > /dev/null && echo 0 > $D/irqoff_measure
# (0 ns is possible: under TCG local_clock() can stand still across a
# short section; the site proves the section was timed.)
if grep -q "^longest IRQ-off section: [0-9]* ns, begun at .*Pool.* (timing off)$" $D/irqoff; then
	ok "irqoff timed a section: $(cat $D/irqoff)"
else
	bad "irqoff: $(cat $D/irqoff)"
fi
# Counted, not only timed: the read walked one chunk map per section.
if grep -qx "most chunk maps walked in one IRQ-off section: 1" $D/irqoff; then
	ok "irqoff: one chunk map per IRQ-off section in a read of chunks"
else
	bad "irqoff walks: $(tail -1 $D/irqoff)"
fi
try_write 70000 $D/hold_atomic && bad "hold_atomic 70000 accepted" || ok "hold_atomic above 65536 refused"
for v in 4097 -1 x NL; do
	try_write "$v" $D/mempool_demo && bad "mempool_demo accepted '$v'" || ok "mempool_demo refused '$v'"
done
# fail_pcpupool, the standard fault attribute (kernels with
# CONFIG_FAULT_INJECTION, as this one): hold_atomic's 64 B GFP_NOWAIT
# allocations go through pcpupool_alloc(), as a user's would, so each
# injected failure is one object fewer held.
F=/sys/kernel/debug/fail_pcpupool
held() { cat $D/hold_atomic; }
if [ -d $F ]; then
	echo 0 > $F/verbose				# no stack dump per failure
	echo 100 > $F/probability; echo 3 > $F/times
	echo 20 > $D/hold_atomic
	[ "$(held)" = 17 ] && ok "fail_pcpupool times 3: 3 of 20 failed" ||
		bad "fail_pcpupool times 3: $(held) of 20 held, 17 expected"
	echo -1 > $F/times; echo 2 > $F/interval		# every second call
	echo 20 > $D/hold_atomic
	[ "$(held)" = 10 ] && ok "fail_pcpupool interval 2: 10 of 20 failed" ||
		bad "fail_pcpupool interval 2: $(held) of 20 held, 10 expected"
	echo 1 > $F/interval; echo 0 > $D/hold_atomic
	# ignore-gfp-wait (default Y): a sleepable allocation (the kmemleak
	# probe's GFP_KERNEL pcpupool_alloc()) is not failed; with N it is.
	[ "$(cat $F/ignore-gfp-wait)" = Y ] && ok "fail_pcpupool ignore-gfp-wait defaults to Y" ||
		bad "fail_pcpupool ignore-gfp-wait default: $(cat $F/ignore-gfp-wait)"
	echo 1 > $D/kmemleak_probe && echo 0 > $D/kmemleak_probe &&
		ok "fail_pcpupool spares GFP_KERNEL with ignore-gfp-wait Y" ||
		bad "fail_pcpupool failed a GFP_KERNEL allocation with ignore-gfp-wait Y"
	echo N > $F/ignore-gfp-wait
	if printf 1 | dd of=$D/kmemleak_probe bs=4096 2> /tmp/werr; then
		bad "fail_pcpupool spared GFP_KERNEL with ignore-gfp-wait N"
		echo 0 > $D/kmemleak_probe
	elif grep -q "Cannot allocate memory" /tmp/werr; then
		ok "fail_pcpupool fails GFP_KERNEL with ignore-gfp-wait N (ENOMEM)"
	else
		bad "kmemleak_probe failed, but not with ENOMEM: $(cat /tmp/werr)"
	fi
	echo Y > $F/ignore-gfp-wait; echo 0 > $F/probability
	echo 20 > $D/hold_atomic
	[ "$(held)" = 20 ] && ok "fail_pcpupool probability 0: none failed" ||
		bad "fail_pcpupool probability 0: $(held) of 20 held"
	echo 0 > $D/hold_atomic
else
	bad "no $F on a kernel with CONFIG_FAULT_INJECTION"
fi
# Unloading with live allocations reports them and frees the chunks (the
# kmemleak scan after this script checks nothing is left behind).
echo 50 > $D/hold_atomic
[ "$(cat $D/hold_atomic)" = 50 ] && ok "hold_atomic holds 50" || bad "hold_atomic 50"
rmmod pcpupool
dmesg | grep -q "unloading with 50 live allocations" && ok "live allocations reported at unload" ||
	bad "no live-allocation report at unload"
# Tracepoints: enable the pcpupool events through tracefs, drive the
# allocator, and check every event appears with its fields.
T=/sys/kernel/tracing
[ -d $T/events ] || T=/sys/kernel/debug/tracing
insmod /modules/pcpupool.ko
if [ -d $T/events/pcpupool ]; then
	echo 0 > $T/tracing_on; echo > $T/trace
	echo 1 > $T/events/pcpupool/enable; echo 1 > $T/tracing_on
	echo 3000 > $D/hold_atomic		# chunks created and populated
	echo 0 > $D/hold_atomic
	echo 1 > $D/balance; echo 1 > $D/balance	# depopulated, chunks freed
	echo 0 > $D/low_watermark; echo 0 > $D/high_watermark; echo 0 > $D/target_cap
	# Cached objects pin their chunks, and a run that saw atomic demand
	# keeps its headroom: drain the caches, then two runs with nothing
	# kept, so wholly free chunks are destroyed (the reap is flushed too).
	echo 0 > $D/caching; echo 1 > $D/caching
	echo 1 > $D/balance; echo 1 > $D/balance
	echo 20000 > $D/hold_atomic		# a burst with nothing populated: failures
	echo 0 > $D/hold_atomic
	echo 2 > $D/low_watermark; echo 64 > $D/target_cap; echo 4 > $D/high_watermark
	echo 16 > $D/mempool_demo		# created and refilled
	[ "$(awk '/^reserved/ {print $2}' $D/mempool/demo/stats)" = 16 ] && ok "mempool_demo reserve 16" ||
		bad "mempool_demo reserve"
	echo 0 > $D/mempool_demo
	echo 0 > $T/tracing_on; echo 0 > $T/events/pcpupool/enable
	cat $T/trace > /tmp/trace.txt
	for ev in "pcpupool_alloc: ptr=[0-9a-f]* size=64 align=8 gfp=GFP_NOWAIT.* atomic=1" \
		  "pcpupool_free: ptr=[0-9a-f]* bytes=64" \
		  "pcpupool_alloc_fail: size=64 align=8 gfp=GFP_NOWAIT.* atomic=1" \
		  "pcpupool_create_chunk: base=[0-9a-f]* chunk=[0-9]" \
		  "pcpupool_destroy_chunk: base=[0-9a-f]* chunk=[0-9]" \
		  "pcpupool_populate: chunk=[0-9]* page=[0-9]* units=[0-9]" \
		  "pcpupool_depopulate: chunk=[0-9]* page=[0-9]* units=[0-9]" \
		  "pcpupool_mempool_refill: pool=demo added=[0-9]* reserved=[0-9]"; do
		if grep -q "$ev" /tmp/trace.txt; then
			ok "trace event: ${ev%%:*}"
		else
			bad "trace event missing: $ev"
		fi
	done
	echo "pcpupool-debugfs: trace has $(grep -c pcpupool_ /tmp/trace.txt) pcpupool events"
	echo > $T/trace
else
	bad "no pcpupool trace events in $T/events"
fi
rmmod pcpupool

# Unload with a live demo pool (its directory below ours), held allocations
# and tracepoints on: the demo pool goes before the debugfs tree (issue 19,
# item 0: this oopsed when the tree went first).
insmod /modules/pcpupool.ko
[ -d $T/events/pcpupool ] && echo 1 > $T/events/pcpupool/enable
echo 16 > $D/mempool_demo && echo 50 > $D/hold_atomic
rmmod pcpupool && ok "unload with a demo pool, held allocations, tracepoints on" ||
	bad "unload with a demo pool, held allocations, tracepoints on"
echo > $T/trace

# fail_pcpupool= at load (the boot parameter's form): interval 1,
# probability 100, space 0, times 2: the first two atomic calls fail.  A
# malformed value refuses the load.
if insmod /modules/pcpupool.ko fail_pcpupool=1,100,0,2; then
	echo 0 > /sys/kernel/debug/fail_pcpupool/verbose
	# Populated pages first (the balance work, not atomic: the fault
	# attribute leaves it alone): right after load the atomic calls
	# could find none and fail for that reason.
	echo 1 > $D/balance
	echo 10 > $D/hold_atomic
	[ "$(held)" = 8 ] && ok "fail_pcpupool=1,100,0,2 at load: 2 of 10 failed" ||
		bad "fail_pcpupool=1,100,0,2 at load: $(held) of 10 held"
	rmmod pcpupool
else
	bad "insmod with fail_pcpupool=1,100,0,2 failed"
fi
insmod /modules/pcpupool.ko fail_pcpupool=bogus 2>/dev/null &&
	{ bad "fail_pcpupool=bogus accepted"; rmmod pcpupool; } || ok "fail_pcpupool=bogus refused"

# Unload safety: a module using pcpupool's API pins it (module refcount).
# The host boots this mode with kunit.filter_glob=none, so loading
# pcpupool_kunit runs no suite; it only holds references.
insmod /modules/pcpupool.ko
if insmod /modules/pcpupool_kunit.ko; then
	rmmod pcpupool 2>/dev/null && bad "pcpupool unloaded under a user" || ok "rmmod refused while pcpupool_kunit uses it"
	rmmod pcpupool_kunit
else
	bad "the user module did not load: rmmod-under-a-user not checked"
fi
rmmod pcpupool
# Load/unload 100 times: no vmap area, no vmalloc space, nothing left.
# Thread stacks (kernel_clone) come and go with the kworkers the module's
# workqueue starts, and freed areas wait for a lazy purge: not ours.
# The kernel's own percpu allocator (pcpu_create_chunk, pcpu_get_pages,
# pcpu_get_vm_areas) serves pcpupool's per-CPU caches and its workqueue and
# keeps a spare chunk once it made one: not ours either, so it is judged by
# the Percpu line of /proc/meminfo instead (a leak of 4.7 KB per CPU per
# cycle would be 1.9 MB here).
ours() { cut -d' ' -f2- /proc/vmallocinfo |
	grep -v -e kernel_clone -e unpurged -e pcpu_create_chunk -e pcpu_get_pages -e pcpu_get_vm_areas |
	sort; }
percpu_kb() { awk '/^Percpu:/ {print $2}' /proc/meminfo; }
insmod /modules/pcpupool.ko && echo 20 > $D/hold_atomic && rmmod pcpupool
pc0=$(percpu_kb)
vm0=$(ours | grep -c .)
ours > /tmp/vm0
used0=$(ours | awk '{ s += $1 } END { print int(s / 1024) }')
i=0
while [ $i -lt 100 ]; do
	insmod /modules/pcpupool.ko || { bad "load $i failed"; break; }
	echo 20 > $D/hold_atomic
	rmmod pcpupool || { bad "unload $i failed"; break; }
	i=$((i + 1))
done
vm1=$(ours | grep -c .)
ours > /tmp/vm1
diff /tmp/vm0 /tmp/vm1 | sed 's/^/pcpupool-debugfs: vmallocinfo diff: /' | head -20
used1=$(ours | awk '{ s += $1 } END { print int(s / 1024) }')
echo "pcpupool-debugfs: 100 load/unload cycles: vmalloc areas $vm0 -> $vm1, $used0 -> $used1 kB (thread stacks excluded)"
[ $i = 100 ] && ok "100 load/unload cycles" || bad "load/unload cycles: $i"
[ "$vm1" -le "$vm0" ] && ok "no vmalloc area left behind" || bad "vmalloc areas grew $vm0 -> $vm1"
[ "$used1" -le "$used0" ] && ok "vmalloc bytes back ($used0 -> $used1 kB)" || bad "vmalloc bytes grew $used0 -> $used1 kB"
pc1=$(percpu_kb)
[ "$pc1" -le $((pc0 + 512)) ] && ok "kernel percpu memory back ($pc0 -> $pc1 kB)" ||
	bad "kernel percpu memory grew $pc0 -> $pc1 kB over 100 cycles"
echo "pcpupool-debugfs: $pass passed, $fail failed"
[ $fail = 0 ]
