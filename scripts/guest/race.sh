# SPDX-License-Identifier: GPL-2.0
# Guest of the racing-bad-free run (scripts/torture.sh DURATION debug race):
# load a gomem built with the race window, run gomem_race.ko for duration
# seconds (it runs at load and fails its load when a bad free was not
# reported exactly once, an object was overwritten or the heap is damaged),
# unload both.
#
# Parameter: duration, the run's length in seconds.
# Markers: "gomem_race insmod rc=RC"; the module prints
# "gomem-race: rounds=... " and "gomem-race: result=PASS|FAIL".
insmod /gomem.ko || exit 1
insmod /gomem_race.ko duration_s="$duration"
rc=$?
echo "gomem_race insmod rc=$rc"
[ $rc -eq 0 ] || exit 1
rmmod gomem_race || exit 1
rmmod gomem || exit 1
