#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest log of make check's kunit-debug step on stdin, without the one
# WARN the kernel prints for KUnit case gomem_test_dropin_kernel_kfree, on
# stdout (vm-run.sh's GOMEM_VM_LOG_FILTER).
#
# That case hands a gomem object to the kernel's kfree() on purpose (debug
# mode's page guard reports it, kunit/dropin.c); the kernel's
# free_large_kmalloc() WARNs once for an order-0 page. Dropped: at most one
# WARN block ("cut here" to "end trace") whose WARNING line is
# free_large_kmalloc's and whose trace passes through gt_kernel_kfree, the
# case's helper; it is named on stderr. Every other block stays and fails
# the run, and lines of other CPUs printed inside the dropped block are kept
# if they report an error.
exec awk -f /dev/fd/3 -f "$(dirname "$0")/lib/warn-blocks.awk" 3<<'AWK'
# expected() for warn-blocks.awk: the first free_large_kmalloc() WARN from gt_kernel_kfree().
function expected(i, ours) {
	for (i = 1; i <= n; i++)
		if (strip(buf[i]) ~ /^ *(\? )?gt_kernel_kfree\+/)
			ours = 1
	if (dropped || !ours || strip(buf[2]) !~ /^WARNING: .* free_large_kmalloc\+/)
		return ""
	dropped = 1
	return strip(buf[2])
}
AWK
