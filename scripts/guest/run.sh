#!/bin/sh
# run.sh - guest mode "run" (make run): a short demonstration of pcpupool.
# Loads it, shows /sys/kernel/debug/pcpupool/, then holds 3000 atomic 64 B
# allocations (made with GFP_NOWAIT from process context via hold_atomic)
# and shows the stats and chunk map before and after the balance work,
# frees them and shows the allocator trimming back.  Then the consumer
# demo (blkcg_demo.sh): pcpupool_blk's per-cgroup IO stats beside the
# kernel's io.stat.  Unloads at the end.
set -e
d=/sys/kernel/debug/pcpupool
show() {
	echo "---- $1"
	# name=value pairs, wrapped between pairs at 78 columns (never mid-word)
	grep -E "^(nr_alloc|nr_cur_alloc|nr_chunks|empty_pop_pages|populated_pages|atomic_alloc_failed|nr_atomic_alloc|nr_populate|nr_depopulate|nr_tlb_flush|nr_balance|target_low|target_high) " $d/stats |
		tr -s ' ' | awk '{ item = $1 "=" $3
			if (len && len + 2 + length(item) > 78) { print line; line = ""; len = 0 }
			line = line (len ? "  " : "") item; len = length(line) }
			END { if (len) print line }'
	head -1 $d/cache
	cat $d/chunks
}
echo "pcpupool-guest: insmod pcpupool.ko"
insmod /modules/pcpupool.ko
echo "pcpupool-guest: ls -l $d/"
ls -l "$d/"
show "just loaded: the balance work has populated the first pages"
echo 3000 > $d/hold_atomic
show "holding $(cat $d/hold_atomic) of 3000 atomic 64 B allocations (no balance run yet)"
echo 1 > $d/balance
show "after the balance work: empty populated pages back between the watermarks"
echo 0 > $d/hold_atomic
echo 1 > $d/balance; echo 1 > $d/balance
show "all freed, balance run twice: surplus pages depopulated, spare chunks freed"
echo "---- stats"
cat $d/stats
echo "pcpupool-guest: pcpupool_blk demo: per-cgroup IO stats vs io.stat"
sh /guest/blkcg_demo.sh
echo "pcpupool-guest: rmmod pcpupool"
rmmod pcpupool
