# SPDX-License-Identifier: GPL-2.0
# Guest of the torture test (scripts/torture.sh): load gomem, run
# gomem_torture.ko for duration seconds (it runs at load and fails its load
# on any mismatch or heap error) while a shell loop reads /proc/gomem,
# unload both.
#
# Parameter: duration, the torture's length in seconds.
# Markers: "gomem_torture /proc/gomem reads=N", "gomem_torture insmod rc=RC";
# the module prints "gomem-torture: ops=... result=PASS|FAIL".
insmod /gomem.ko || exit 1
(n=0; while [ ! -e /tmp/stop ] && cat /proc/gomem >/dev/null; do n=$((n + 1)); done
 echo "gomem_torture /proc/gomem reads=$n") &
reader=$!
insmod /gomem_torture.ko duration_s="$duration"
rc=$?
touch /tmp/stop
wait $reader
echo "gomem_torture insmod rc=$rc"
[ $rc -eq 0 ] || exit 1
rmmod gomem_torture || exit 1
rmmod gomem || exit 1
