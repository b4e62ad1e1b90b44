#!/bin/sh
# shell.sh - guest mode "shell": load the modules present in /modules
# (pcpupool first), then an interactive shell on the console.  The verdict
# follows when the shell exits (init.sh unloads the modules and runs kmemleak).
rc=0
for m in pcpupool pcpupool_kunit; do
	[ -f "/modules/$m.ko" ] || continue
	echo "pcpupool-guest: insmod $m.ko"
	insmod "/modules/$m.ko" || { rc=1; echo "pcpupool-guest: insmod $m.ko failed"; }
done
for ko in /modules/*.ko; do
	[ -f "$ko" ] || continue
	# the benchmark runs at load: `make bench` is its place
	case "${ko##*/}" in pcpupool.ko|pcpupool_kunit.ko|pcpupool_bench.ko) continue ;; esac
	echo "pcpupool-guest: insmod ${ko##*/}"
	insmod "$ko" || { rc=1; echo "pcpupool-guest: insmod ${ko##*/} failed"; }
done
echo "pcpupool-guest: interactive shell; 'exit' (or Ctrl-D) powers off"
setsid cttyhack sh
exit $rc
