#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest log of the racing-bad-free run on stdin, without gomem's own
# one-time report warnings, on stdout (vm-run.sh's GOMEM_VM_LOG_FILTER).
#
# Every bad free of that run is reported on purpose; the first report of
# each kind is a WARN by design (gomem_report() in gomem/report.c). Dropped:
# whole WARN blocks raised at gomem_report, at most one per kind the run
# provokes ("double free", "invalid pointer"), each named on stderr. Any
# other WARN, BUG or splat stays and fails the run; so does a third block.
exec awk '
/WARNING: CPU: [0-9]+ PID: [0-9]+ at .*gomem\/report\.c:[0-9]+ gomem_report/ {
	skip = 1
	if (++dropped > 2) {
		print "gomem: more gomem_report warnings than report kinds" >"/dev/stderr"
		exit 1
	}
	print "gomem: expected report warning dropped: " $0 >"/dev/stderr"
	next
}
skip && /---\[ end trace/ { skip = 0; next }
!skip { print }'
