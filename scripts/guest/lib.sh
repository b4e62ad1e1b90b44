#!/bin/sh
# lib.sh - helpers shared by the guest mode scripts (sourced).
#
# Module parameters come from the kernel command line, as modprobe would
# take them: "pcpupool.unit_size=65536 pcpupool_kunit.lockdep_proof=1".
# The host sets them with PCPUPOOL_APPEND (scripts/check.sh).
modparams() {
	tr ' ' '\n' < /proc/cmdline | grep "^$1\." | sed "s/^$1\.//" | tr '\n' ' '
}

# Fault injection for the tests that ask for it: failslab and
# fail_page_alloc fail every allocation of a task with make_it_fail set,
# and only of such a task (task-filter), silently.  The page-pressure boot
# sets pcpupool_guest.fail_probability=P on the kernel command line: then
# such a task's allocations fail at random, P% of them.
arm_fault_injection() {
	p=$(modparams pcpupool_guest | tr ' ' '\n' | sed -n 's/^fail_probability=//p')
	for f in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$f
		[ -d "$d" ] || continue
		echo Y > $d/task-filter
		echo "${p:-100}" > $d/probability
		echo -1 > $d/times
		echo 0 > $d/verbose
		[ -f $d/ignore-gfp-wait ] && echo N > $d/ignore-gfp-wait
		[ -f $d/ignore-gfp-highmem ] && echo N > $d/ignore-gfp-highmem
		[ -f $d/min-order ] && echo 0 > $d/min-order
	done
}
