#!/bin/sh
# kunit.sh - guest mode "kunit": load pcpupool, then pcpupool_kunit.  KUnit
# runs the suites while pcpupool_kunit loads and prints KTAP to the console;
# the host judges the results from the log (scripts/kunit-parse.sh).  This
# script only fails when a module does not load or unload.  Suites are
# selected with kunit.filter_glob= and module parameters taken from the
# kernel command line (see lib.sh).
. /guest/lib.sh
arm_fault_injection
echo "pcpupool-guest: insmod pcpupool.ko $(modparams pcpupool)"
# shellcheck disable=SC2046
insmod /modules/pcpupool.ko $(modparams pcpupool) || exit 1
echo "pcpupool-guest: insmod pcpupool_kunit.ko $(modparams pcpupool_kunit) (runs the KUnit suites)"
# shellcheck disable=SC2046
insmod /modules/pcpupool_kunit.ko $(modparams pcpupool_kunit) || exit 2
echo "pcpupool-guest: KUnit suites done"
rc=0
rmmod pcpupool_kunit || rc=3
rmmod pcpupool || rc=4
exit $rc
