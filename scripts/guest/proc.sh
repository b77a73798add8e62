# SPDX-License-Identifier: GPL-2.0
# Guest (make check's proc-vm step): /proc/gomem as users meet it. Mode 0400
# owned by root, the header and line count (35 summary lines), a read byte
# by byte and odd dd reads equal to one read, nothing past the end, writes
# refused, no kernel address, gone after unload; then the module parameters
# seen through it: initial_heap_kb kept, retain_kb=0 gives every arena back,
# the shrinker (drop_caches) takes a large retention, tiny=0 makes no tiny
# object.
#
# Markers: "GOMEM-SHRINK heap_sys_before=B heap_sys_after=A released=R",
# then GOMEM-PROC-OK when every check passed ("proc check failed: ..." and
# exit 1 at the first that did not).
fail() { echo "proc check failed: $*"; exit 1; }
insmod /gomem.ko || exit 1
insmod /gomem_sample.ko || exit 1
[ "$(stat -c %a:%u /proc/gomem)" = 400:0 ] || fail "mode $(stat -c %a:%u /proc/gomem)"
[ "$(head -n 1 /proc/gomem)" = "gomem - version: 1" ] || fail "first line"
lines=$(wc -l </proc/gomem)
[ "$lines" -eq $((1 + 35 + 1 + 67)) ] || fail "$lines lines"
# One byte at a time, and odd blocks at odd offsets: the same bytes as one
# read. Nothing allocates now, but the figures settle only once the RCU
# callbacks of the last frees (span structures back in their pools) and the
# scavenger's pass have run: up to 10 tries, a second apart, must give one
# in which all three reads agree.
try=0
while :; do
	cat /proc/gomem >/tmp/whole
	dd if=/proc/gomem of=/tmp/bytes bs=1 2>/dev/null || fail "bs=1 read"
	dd if=/proc/gomem of=/tmp/odd bs=7 skip=13 count=5 2>/dev/null || fail "odd read"
	dd if=/tmp/whole of=/tmp/odd.ref bs=7 skip=13 count=5 2>/dev/null
	cmp -s /tmp/whole /tmp/bytes && cmp -s /tmp/odd /tmp/odd.ref && break
	try=$((try + 1))
	[ $try -lt 10 ] || fail "bs=1 or odd reads differ from a whole read in 10 tries"
	sleep 1
done
echo "GOMEM-PROC-READS tries=$((try + 1))"
dd if=/proc/gomem of=/tmp/past bs=4096 skip=1000 2>/dev/null || fail "read past the end"
[ ! -s /tmp/past ] || fail "bytes past the end"
if echo 1 2>/dev/null >/proc/gomem; then fail "a write succeeded"; fi
grep -q ffff /tmp/whole && fail "a kernel address is printed"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
[ ! -e /proc/gomem ] || fail "/proc/gomem outlives the module"
field() { awk -v f="$1:" '$1 == f { print $2 }' /proc/gomem; }
# initial_heap_kb: the heap is there at load and stays through a workload.
insmod /gomem.ko initial_heap_kb=16384 || exit 1
[ "$(field heap_sys)" -ge 16777216 ] || fail "initial heap $(field heap_sys)"
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
rmmod gomem_sample || exit 1
sleep 2
[ "$(field heap_sys)" -ge 16777216 ] || fail "initial heap not retained: $(field heap_sys)"
rmmod gomem || exit 1
# retain_kb=0: a second after the last free the scavenger returns every arena.
insmod /gomem.ko retain_kb=0 || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
[ "$(field heap_sys)" -gt 0 ] || fail "no heap while objects are live"
rmmod gomem_sample || exit 1
sleep 3
[ "$(field heap_sys)" -eq 0 ] || fail "retain_kb=0 kept $(field heap_sys) bytes"
[ "$(field released_bytes)" -gt 0 ] || fail "nothing released"
rmmod gomem || exit 1
# The shrinker: a large retention keeps the idle heap until reclaim asks.
insmod /gomem.ko retain_kb=262144 || exit 1
insmod /gomem_sample.ko nr_objects=2000 rounds=2 || exit 1
rmmod gomem_sample || exit 1
sleep 2
held=$(field heap_sys)
[ "$held" -gt 4194304 ] || fail "retain_kb kept only $held bytes"
echo 2 >/proc/sys/vm/drop_caches
sleep 2
[ "$(field heap_sys)" -lt "$held" ] || fail "drop_caches left heap_sys at $(field heap_sys)"
[ "$(field released_bytes)" -gt 0 ] || fail "drop_caches released nothing"
echo "GOMEM-SHRINK heap_sys_before=$held heap_sys_after=$(field heap_sys) released=$(field released_bytes)"
rmmod gomem || exit 1
# tiny=0: no tiny object, and the sample still runs.
insmod /gomem.ko tiny=0 || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
[ "$(field tiny_allocs)" -eq 0 ] || fail "tiny=0 made $(field tiny_allocs) tiny objects"
[ "$(field mallocs)" -gt 0 ] || fail "no mallocs counted"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
echo "GOMEM-PROC-OK"
