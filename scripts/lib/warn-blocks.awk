# SPDX-License-Identifier: GPL-2.0
# The WARN blocks of a guest log, for the log filters that drop warnings a
# run provokes on purpose (scripts/race-log-filter.sh,
# scripts/kfree-log-filter.sh: vm-run.sh's GOMEM_VM_LOG_FILTER).
#
# Lines outside a block ("cut here" to "end trace") pass. A block is held
# until it ends, then handed to the filter's expected(), which sees buf[1..n]
# and returns "" to keep the block or what it is, to drop it (named on
# stderr). From a dropped block only the lines of other CPUs that report
# an error are kept (every line matching bad but the block's own WARNING
# line). strip() removes a line's timestamp.
function strip(s) { sub(/^\[[ 0-9.]*\] /, "", s); return s }
function flush(i, why, own) {
	why = expected()
	if (why == "") {
		for (i = 1; i <= n; i++)
			print buf[i]
	} else {
		print "gomem: expected warning dropped: " why >"/dev/stderr"
		own = 0
		for (i = 2; i <= n; i++) {
			if (!own && strip(buf[i]) ~ /^WARNING: /) {
				own = 1
				continue
			}
			if (strip(buf[i]) ~ bad)
				print buf[i]
		}
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
END { if (inblock) for (i = 1; i <= n; i++) print buf[i] }
