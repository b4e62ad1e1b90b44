#!/bin/sh
# blkcg_demo.sh - the pcpupool_blk part of `make run`, called by
# scripts/guest/run.sh while pcpupool.ko is loaded.
#
# Loads pcpupool_blk (one 32 MiB /dev/pcpub0, blk-mq), mounts cgroup v2,
# enables the io controller and creates cgroups that each move a
# different mix of O_DIRECT reads and writes through /dev/pcpub0 with dd:
# web (a parent: its children web/api and web/static do its IO), db, backup.
# Then prints, per cgroup (web with its children's totals, as io.stat
# has them), pcpupool's statistics (allocated lazily by the
# driver's submission path from pcpupool's percpu mempool) beside the
# kernel's own io.stat line for the device, and the raw debugfs file.
# Finally removes the cgroups, shows their counts folded into "(removed)",
# and unloads pcpupool_blk.  Exits 1 if any number differs from io.stat.
CG=/sys/fs/cgroup
D=/sys/kernel/debug/pcpupool/blk
DEV=/dev/pcpub0
KEYS="rbytes wbytes rios wios dbytes dios"
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
in_cg() {
	cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG/$cg" "$@" 2>/dev/null
}

echo "pcpupool-guest: insmod pcpupool_blk.ko size_mb=32"
insmod /modules/pcpupool_blk.ko size_mb=32 || exit 1
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || exit 1
echo "+io" > $CG/cgroup.subtree_control || exit 1
majmin=$(cat /sys/block/pcpub0/dev)
echo "---- cgroup v2 with the io controller; /dev/pcpub0 is $majmin"
for g in web db backup; do mkdir -p $CG/$g; done
echo "+io" > $CG/web/cgroup.subtree_control || exit 1
mkdir -p $CG/web/api $CG/web/static
GROUPS="web web/api web/static db backup"

echo "---- web/api: 256 x 4 KiB reads; web/static: 16 x 4 KiB writes"
in_cg web/api dd if=$DEV of=/dev/null bs=4k count=256 iflag=direct
in_cg web/static dd if=/dev/urandom of=$DEV bs=4k count=16 seek=1024 oflag=direct conv=notrunc
echo "---- db: 64 x 16 KiB writes, 32 x 16 KiB reads"
in_cg db dd if=/dev/urandom of=$DEV bs=16k count=64 seek=512 oflag=direct conv=notrunc
in_cg db dd if=$DEV of=/dev/null bs=16k count=32 skip=512 iflag=direct
echo "---- backup: 4 x 1 MiB reads, 8 x 256 KiB writes, a 1 MiB discard"
in_cg backup dd if=$DEV of=/dev/null bs=1M count=4 iflag=direct
in_cg backup dd if=/dev/zero of=$DEV bs=256k count=8 seek=64 oflag=direct conv=notrunc
in_cg backup blkdiscard -o 25165824 -l 1048576 $DEV

echo "---- per-cgroup IO on $majmin: pcpupool (debugfs) | kernel (io.stat)"
printf '%-11s %-8s %10s %10s %6s %6s %8s %5s\n' cgroup source rbytes wbytes rios wios dbytes dios
rc=0
for g in $GROUPS; do
	o=$(grep "^/$g " $D/pcpub0/stats)
	t=$(grep "^$majmin " $CG/$g/io.stat)
	for src in pcpupool io.stat; do
		[ $src = pcpupool ] && l=$o || l=$t
		printf '%-11s %-8s %10s %10s %6s %6s %8s %5s\n' "/$g" "$src" \
			"$(kv rbytes "$l")" "$(kv wbytes "$l")" "$(kv rios "$l")" \
			"$(kv wios "$l")" "$(kv dbytes "$l")" "$(kv dios "$l")"
	done
	same=yes
	for k in $KEYS; do
		[ -n "$(kv $k "$o")" ] && [ "$(kv $k "$o")" = "$(kv $k "$t")" ] || same=no
	done
	[ $same = yes ] && echo "                     -> equal" || { echo "                     -> DIFFERENT"; rc=1; }
done
echo "---- $CG/*/io.stat"
for g in $GROUPS; do echo "/$g: $(grep "^$majmin " $CG/$g/io.stat)"; done
echo "---- $D/pcpub0/stats"
cat $D/pcpub0/stats

echo "---- rmdir the cgroups: their stats objects are folded into (removed) and freed"
for g in web/api web/static web db backup; do rmdir $CG/$g; done
i=0
while [ $i -lt 50 ] && ! grep -q "live=1 " $D/pcpub0/stats; do
	sleep 0.2
	i=$((i + 1))
done
cat $D/pcpub0/stats
grep -E 'outstanding|waits|failures' /sys/kernel/debug/pcpupool/mempool/pcpub0/stats 2>/dev/null |
	tr -s ' ' | tr '\n' ' '
echo
echo "pcpupool-guest: rmmod pcpupool_blk"
rmmod pcpupool_blk || rc=1
[ $rc = 0 ] || echo "pcpupool-guest: pcpupool and io.stat DIFFER"
exit $rc
