# SPDX-License-Identifier: GPL-2.0
# Guest of the racing-bad-free run (scripts/torture.sh DURATION debug race):
# load a gomem built with the race window, run gomem_race.ko for duration
# seconds (it runs at load and fails its load when a bad free was not
# reported exactly once, an object was overwritten or the heap is damaged),
# unload both; then the same with gomem in debug mode (debug=ZPU: small and
# large objects only, debug mode has no tiny allocator).
#
# Parameter: duration, each run's length in seconds.
# Markers: "gomem_race insmod rc=RC gomem=ARGS" after each run; the module
# prints "gomem-race: rounds=... " and "gomem-race: result=PASS|FAIL". A
# failed load runs the module a second time (busybox insmod falls back to
# init_module() when finit_module() fails): judge every result line.
for args in "" debug=ZPU; do
	insmod /gomem.ko $args || exit 1
	insmod /gomem_race.ko duration_s="$duration"
	rc=$?
	echo "gomem_race insmod rc=$rc gomem=${args:-default}"
	[ $rc -eq 0 ] || exit 1
	rmmod gomem_race || exit 1
	rmmod gomem || exit 1
done
