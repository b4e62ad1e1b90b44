#!/bin/sh
# init.sh - /init of the pcpupool test guest (busybox sh, PID 1).
#
# Mounts the pseudo file systems, runs /guest/<mode>.sh (mode from
# /guest/mode, written by scripts/mkinitramfs.sh) and turns its exit status
# into the verdict line the host looks for:
#
#   PCPUPOOL-VERDICT: PASS           mode script exited 0
#   PCPUPOOL-VERDICT: FAIL rc=N      otherwise
#
# On kernels with kmemleak (the debug test kernel) the pcpupool modules still
# loaded are unloaded first and kmemleak's report is printed between
# PCPUPOOL-KMEMLEAK-BEGIN and PCPUPOOL-KMEMLEAK-END; scripts/scan-log.py on
# the host fails the run on any "unreferenced object" in there.  Then the
# guest powers off (the host runs qemu with -no-reboot).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
[ -c /dev/console ] || mknod /dev/console c 5 1
[ -c /dev/null ] || mknod /dev/null c 1 3
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /tmp /run
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /tmp
mounted() { grep -q " $1 " /proc/mounts; }
mounted /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
if grep -qw tracefs /proc/filesystems && [ -d /sys/kernel/tracing ]; then
	mounted /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
fi

# /proc/uptime in centiseconds ("12.34 ..." -> 1234).
uptime_cs() {
	read -r up _ < /proc/uptime
	echo $(( ${up%.*} * 100 + 1${up#*.} - 100 ))
}

mode=$(cat /guest/mode 2>/dev/null)
echo "pcpupool-guest: kernel $(uname -r), mode '$mode', $(grep -c ^processor /proc/cpuinfo) cpus," \
	"nodes: $(cat /sys/devices/system/node/online 2>/dev/null || echo none)," \
	"paging: $(grep -qw la57 /proc/cpuinfo && echo 5-level || echo 4-level)"

if [ -n "$mode" ] && [ -f "/guest/$mode.sh" ]; then
	sh "/guest/$mode.sh"
	rc=$?
	echo "pcpupool-guest: mode '$mode' exited with status $rc"
else
	echo "pcpupool-guest: no mode script /guest/$mode.sh"
	rc=127
fi

case "$(uname -r)" in
*pcpupool-debug*)
	[ -e /sys/kernel/debug/kmemleak ] || {
		echo "pcpupool-guest: the debug kernel has no kmemleak file: no leak check possible"
		rc=1
	} ;;
esac
if [ -e /sys/kernel/debug/kmemleak ]; then
	# Reverse load order; only what is still loaded.
	for m in pcpupool_kunit pcpupool; do
		if grep -q "^$m " /proc/modules; then
			echo "pcpupool-guest: rmmod $m (still loaded)"
			if ! rmmod "$m"; then
				echo "pcpupool-guest: rmmod $m failed"
				[ "$rc" != 0 ] || rc=1
			fi
		fi
	done
	# kmemleak reports an object only if it was at least 5 s old
	# (MSECS_MIN_AGE) when the scan started and its checksum did not
	# change since the previous scan: two scans, the second starting 6 s
	# after the first (under TCG a scan itself takes several seconds).
	echo "pcpupool-guest: kmemleak scan"
	t0=$(uptime_cs)
	# A kmemleak that disabled itself (e.g. its early log overflowed in a
	# small guest) refuses "scan" with EPERM and reports nothing: an empty
	# report from it would read as clean, so it fails the run.
	if ! echo scan > /sys/kernel/debug/kmemleak; then
		echo "pcpupool-guest: kmemleak is not active: no leak check possible"
		rc=1
	fi
	left=$(( 600 - ($(uptime_cs) - t0) ))
	[ "$left" -le 0 ] || sleep $(( (left + 99) / 100 ))
	echo scan > /sys/kernel/debug/kmemleak
	echo "PCPUPOOL-KMEMLEAK-BEGIN"
	cat /sys/kernel/debug/kmemleak
	echo "PCPUPOOL-KMEMLEAK-END"
fi

if [ "$rc" = 0 ]; then
	echo "PCPUPOOL-VERDICT: PASS"
else
	echo "PCPUPOOL-VERDICT: FAIL rc=$rc"
fi
sync
poweroff -f
# Not reached; PID 1 must not exit.
while :; do sleep 1000; done
