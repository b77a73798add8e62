# SPDX-License-Identifier: GPL-2.0
# Guest of make bench (scripts/bench.sh): gomem_bench with every scenario
# asked for, then (tiny_off=1) the tiny scenarios with gomem's tiny allocator
# off and the 8-byte fast path without it; then the kernel log, since the
# console is quiet ("quiet": no time is lost to it).
#
# Parameters: params, gomem_bench's module parameters (host_cpus=N and the
# caller's); tiny_off, 1 for the tiny=0 pass, 0 when the caller chose
# scenarios without tiny; trace, 1 to run with the tracepoints gomem:* and
# kmem:kmalloc, kmem:kfree on (recorded in tracefs' ring buffer), to measure
# what they cost on; gomem_params, gomem's own (e.g. profile_rate=524288, to
# measure the heap profile on); syms, 1 to print gomem's symbols ("ksym:"
# lines from /proc/kallsyms) and its /proc/modules line ("kmod:", its size
# and address) for make bench-insns's profile.
# Markers: gomem_bench's "bench-header:", "bench: ", "bench-failed:" and
# "bench-done:" lines (Documentation/performance.rst), copied with dmesg.
insmod /gomem.ko ${gomem_params:-} || exit 1
if [ "${syms:-0}" = 1 ]; then
	grep '\[gomem\]' /proc/kallsyms | sed 's/^/ksym: /'
	grep '^gomem ' /proc/modules | sed 's/^/kmod: /'
fi
if [ "${trace:-0}" = 1 ]; then
	mkdir -p /sys/kernel/tracing
	mount -t tracefs nodev /sys/kernel/tracing || exit 1
	for e in gomem/gomem_alloc gomem/gomem_free kmem/kmalloc kmem/kfree; do
		echo 1 >/sys/kernel/tracing/events/$e/enable || exit 1
	done
fi
insmod /gomem_bench.ko $params || exit 1
rmmod gomem_bench || exit 1
rmmod gomem || exit 1
if [ "$tiny_off" = 1 ]; then
	insmod /gomem.ko tiny=0 || exit 1
	# The fast path at 8 B without the tiny allocator, too.
	insmod /gomem_bench.ko $params only=tiny,floor fast_max=8 || exit 1
	rmmod gomem_bench || exit 1
	rmmod gomem || exit 1
fi
dmesg
