# SPDX-License-Identifier: GPL-2.0
# The steps of a test run (make check, make check-<variant>): each step's
# output in its own log, a PASS or FAIL line per step, and the closing line
# "N passed, N failed". Sourced, never run.
#
#   steps_start TITLE LOGDIR   once, first: empties LOGDIR, starts the clock
#   step NAME COMMAND...       one check, its output in LOGDIR/NAME.log
#   step_skipped WHY           one failure for checks that could not run
#   steps_end TITLE            the time taken and the counts; status 0 only
#                              if nothing failed
#
# Globals for the other steps (scripts/lib/kunit.sh): logs (LOGDIR), passed
# and failed (the counts).

# steps_start TITLE LOGDIR: start counting; every log goes to LOGDIR, emptied.
steps_start() {
	logs=$2
	rm -rf "$logs"
	mkdir -p "$logs"
	passed=0
	failed=0
	steps_t0=$(date +%s)
	echo "gomem: $1 ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
}

# step NAME COMMAND...: run one check, its output in $logs/NAME.log; on a
# failure, the log's last lines are shown. Returns the command's status.
step() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %-14s %4ss\n' "$name" "$(($(date +%s) - t0))"
	else
		failed=$((failed + 1))
		printf 'FAIL %-14s %4ss  (log: %s)\n' "$name" "$(($(date +%s) - t0))" "$logs/$name.log"
		tail -n 15 "$logs/$name.log" | sed 's/^/     | /'
	fi
	return $rc
}

# step_skipped WHY: the checks that depended on a failed step count as one failure.
step_skipped() {
	failed=$((failed + 1))
	echo "FAIL ($*)"
}

# steps_end TITLE: the closing lines; status 0 only if no step failed.
steps_end() {
	echo "gomem: $1 took $(($(date +%s) - steps_t0))s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
