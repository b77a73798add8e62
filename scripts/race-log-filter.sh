#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest log of the racing-bad-free run on stdin, without gomem's own
# one-time report warnings for the racers' frees, on stdout (vm-run.sh's
# GOMEM_VM_LOG_FILTER).
#
# Every round of that run frees one pointer twice on purpose, and the first
# report of each kind is a WARN by design (gomem_report() in
# gomem/report.c). Dropped: a WARN block ("cut here" to "end trace") whose
# message is gomem's "double free (object not live)" or "invalid pointer"
# for a free called by the racers (gr_racer_fn) and whose WARNING line is
# gomem_report's; at most one block per kind for each load of gomem (the
# flag is gomem's, reset by "gomem: loaded:"); each is named on stderr. Any
# other block stays and fails the run: gomem's warning for a free by a
# recycler, for internal corruption or of any other kind, a second one of a
# kind, every other WARN, BUG and splat. Lines of other CPUs printed inside
# a dropped block are kept if they report an error.
exec awk -f /dev/fd/3 -f "$(dirname "$0")/lib/warn-blocks.awk" 3<<'AWK'
# expected() for warn-blocks.awk: one of gomem's report WARNs for a racer's free.
function expected(msg, kind) {
	msg = strip(buf[2])
	kind = ""
	if (msg ~ /^gomem: double free \(object not live\): [0-9a-f]+ from gr_racer_fn\+/)
		kind = "double"
	else if (msg ~ /^gomem: invalid pointer: [0-9a-f]+ from gr_racer_fn\+/)
		kind = "invalid"
	if (kind == "" || dropped[kind] || strip(buf[3]) !~ /^WARNING: .* gomem_report\+/)
		return ""
	dropped[kind] = 1
	return msg
}
/^(\[[ 0-9.]*\] )?gomem: loaded:/ { delete dropped }
AWK
