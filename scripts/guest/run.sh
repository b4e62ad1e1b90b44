#!/bin/sh
# run.sh - guest mode "run": load pcpupool, show its debugfs files, unload.
set -e
echo "pcpupool-guest: insmod pcpupool.ko"
insmod /modules/pcpupool.ko
d=/sys/kernel/debug/pcpupool
echo "pcpupool-guest: ls -l $d/"
ls -l "$d/"
# Regular files with a read permission bit (root passes [ -r ] on any).
for f in $(find "$d" -type f -perm /0444 | sort); do
	echo "== $f"
	cat "$f"
done
echo "pcpupool-guest: rmmod pcpupool"
rmmod pcpupool
