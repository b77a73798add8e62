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
exec awk '
function strip(s) { sub(/^\[[ 0-9.]*\] /, "", s); return s }
function flush(i, msg, kind, keep) {
	msg = strip(buf[2])
	kind = ""
	if (msg ~ /^gomem: double free \(object not live\): [0-9a-f]+ from gr_racer_fn\+/)
		kind = "double"
	else if (msg ~ /^gomem: invalid pointer: [0-9a-f]+ from gr_racer_fn\+/)
		kind = "invalid"
	keep = kind == "" || dropped[kind] || strip(buf[3]) !~ /^WARNING: .* gomem_report\+/
	if (keep) {
		for (i = 1; i <= n; i++)
			print buf[i]
	} else {
		dropped[kind] = 1
		print "gomem: expected report warning dropped: " msg >"/dev/stderr"
		for (i = 4; i <= n; i++)
			if (strip(buf[i]) ~ bad)
				print buf[i]
	}
	n = 0
	inblock = 0
}
BEGIN {
	bad = "BUG:|WARNING:|Oops|Kernel panic|general protection fault|lockdep|"
	bad = bad "circular locking|possible recursive|inconsistent lock state|"
	bad = bad "Invalid wait context|sleeping function called|scheduling while atomic|"
	bad = bad "UBSAN:|KASAN:|KCSAN:|RCU stall|soft lockup|blocked for more than"
}
/^(\[[ 0-9.]*\] )?gomem: loaded:/ { delete dropped }
/^(\[[ 0-9.]*\] )?------------\[ cut here \]------------$/ {
	if (inblock)
		flush()
	inblock = 1
	buf[n = 1] = $0
	next
}
!inblock { print; next }
{ buf[++n] = $0 }
/^(\[[ 0-9.]*\] )?---\[ end trace [0-9a-f]+ \]---$/ { flush() }
END { if (inblock) for (i = 1; i <= n; i++) print buf[i] }'
