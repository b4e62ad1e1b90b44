#!/bin/sh
# smoke.sh - guest mode "smoke" (Debian's stock kernel): load pcpupool, read
# every file of its debugfs directory, unload.  Fails if any step fails.
set -e
echo "pcpupool-guest: insmod pcpupool.ko"
insmod /modules/pcpupool.ko
d=/sys/kernel/debug/pcpupool
[ -d "$d" ] || { echo "pcpupool-guest: $d missing"; exit 1; }
# Regular files with a read permission bit (root passes [ -r ] on any).
for f in $(find "$d" -type f -perm /0444 | sort); do
	echo "== $f"
	cat "$f"
done
echo "pcpupool-guest: rmmod pcpupool"
rmmod pcpupool
