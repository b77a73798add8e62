# SPDX-License-Identifier: GPL-2.0
# Guest (before kunit.sh): arm the kernel's fail_page_alloc for suite
# gomem_fault (kunit/fault.c). Page allocations fail for tasks with
# make_it_fail set, and for no other: task-filter goes first; probability,
# which arms it, last. On a kernel without CONFIG_FAIL_PAGE_ALLOC (no
# debugfs directory) it does nothing and the suite skips itself.
#
# Markers: none; the guest stops (exit 1) if a write fails.
fi=/sys/kernel/debug/fail_page_alloc
if [ -d $fi ]; then
	echo Y >$fi/task-filter && echo N >$fi/ignore-gfp-wait &&
		echo N >$fi/ignore-gfp-highmem && echo 0 >$fi/min-order &&
		echo 0 >$fi/verbose && echo 0 >$fi/space && echo 1 >$fi/interval &&
		echo -1 >$fi/times && echo 100 >$fi/probability || exit 1
fi
