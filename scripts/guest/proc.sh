# SPDX-License-Identifier: GPL-2.0
# Guest (make check's proc-vm step): /proc/gomem as users meet it. Mode 0400
# owned by root, the header and line count (43 summary lines, 67 classes,
# a client row per module), the client rows (the sample's live objects, the
# rows summing to the totals, an unloaded module's row kept while its
# objects live, and going with them), a read byte
# by byte and odd dd reads equal to one read, nothing past the end, writes
# refused, no kernel address, gone after unload; then the module parameters
# seen through it: initial_heap_kb kept, retain_kb=0 gives every page back,
# the shrinker (drop_caches) takes a large retention, memory_limit_kb refuses
# absurd values and refuses growth under it, tiny=0 makes no tiny object.
#
# Markers: "GOMEM-CLIENTS rows=N sample_live=L", "GOMEM-SCAVENGE settled_s=S passes=P ns=N", "GOMEM-SHRINK
# held_before=B held_after=A released=R", "GOMEM-LIMIT refusals=N
# released=R", then GOMEM-PROC-OK when every check passed ("proc check failed: ..." and
# exit 1 at the first that did not).
fail() { echo "proc check failed: $*"; exit 1; }
insmod /gomem.ko || exit 1
insmod /gomem_sample.ko || exit 1
[ "$(stat -c %a:%u /proc/gomem)" = 400:0 ] || fail "mode $(stat -c %a:%u /proc/gomem)"
[ "$(head -n 1 /proc/gomem)" = "gomem - version: 2" ] || fail "first line"
lines=$(wc -l </proc/gomem)
rows=$(grep -c '^client ' /proc/gomem)
hdr=$((1 + 43 + 1 + 67 + 1))	# version, summary, class header, classes, client header
[ "$lines" -eq $((hdr + rows)) ] || fail "$lines lines, $rows client rows"
sed -n "${hdr}p" /proc/gomem | grep -qx '# client name state live_objects live_bytes mallocs frees total_alloc' ||
	fail "client header: $(sed -n "${hdr}p" /proc/gomem)"
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
# The client rows of that settled read: the sample holds what it says it
# kept ("N objects kept", about a quarter of nr_objects, 4000 by default)
# until unload, every row has live = mallocs - frees, and the rows sum to
# the totals.
row() { awk -v m="$1" '$1 == "client" && $2 == m { print $3, $4, $5, $6, $7, $8, $9 }' /tmp/whole; }
kept=$(dmesg | sed -n 's/.*gomem_sample: ok: .*, \([0-9]*\) objects kept$/\1/p' | tail -n 1)
set -- $(row gomem_sample)
[ -n "$kept" ] && [ "$1" = loaded ] && [ "$2" -eq "$kept" ] || { grep -E '^(client|alloc:|heap_objects:|tiny_|large_)' /tmp/whole; fail "gomem_sample row: $* (it kept $kept)"; }
awk '$1 == "client" && $4 != $6 - $7 { bad = 1 } END { exit bad }' /tmp/whole ||
	fail "a client row whose live objects are not mallocs - frees"
sum_objs=$(awk '$1 == "client" { n += $4 } END { print n + 0 }' /tmp/whole)
sum_bytes=$(awk '$1 == "client" { n += $5 } END { print n + 0 }' /tmp/whole)
tot_objs=$(awk '$1 == "heap_objects:" { print $2 }' /tmp/whole)
tot_bytes=$(awk '$1 == "alloc:" { print $2 }' /tmp/whole)
[ "$sum_objs" -eq "$tot_objs" ] && [ "$sum_bytes" -eq "$tot_bytes" ] ||
	fail "client rows sum to $sum_objs objects, $sum_bytes bytes; totals $tot_objs, $tot_bytes"
echo "GOMEM-CLIENTS rows=$rows sample_live=$2"
dd if=/proc/gomem of=/tmp/past bs=4096 skip=1000 2>/dev/null || fail "read past the end"
[ ! -s /tmp/past ] || fail "bytes past the end"
if echo 1 2>/dev/null >/proc/gomem; then fail "a write succeeded"; fi
grep -q ffff /tmp/whole && fail "a kernel address is printed"
rmmod gomem_sample || exit 1
grep -q '^client gomem_sample ' /proc/gomem && fail "the sample's row outlives it with nothing live"
# A module unloading with objects live (leak=5): reported, its row kept as
# unloaded with those 5, until gomem goes.
dmesg -c >/dev/null
insmod /gomem_sample.ko nr_objects=100 rounds=1 leak=5 || exit 1
rmmod gomem_sample || exit 1
set -- $(awk '$1 == "client" && $2 == "gomem_sample" { print $3, $4 }' /proc/gomem)
[ "$1" = unloaded ] && [ "$2" -eq 5 ] || fail "unloaded sample's row: $*"
dmesg | grep -q 'module gomem_sample unloaded with 5 objects' || fail "no report of the unloaded module"
rmmod gomem || exit 1
[ ! -e /proc/gomem ] || fail "/proc/gomem outlives the module"
field() { awk -v f="$1:" '$1 == f { print $2 }' /proc/gomem; }
# Heap pages held: heap_sys less what went back page by page.
held() { echo $(($(field heap_sys) - $(field heap_released))); }
# initial_heap_kb: the heap is there at load and stays through a workload.
insmod /gomem.ko initial_heap_kb=16384 || exit 1
[ "$(field heap_sys)" -ge 16777216 ] || fail "initial heap $(field heap_sys)"
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
rmmod gomem_sample || exit 1
sleep 2
[ "$(held)" -ge 16777216 ] || fail "initial heap not retained: $(held) held"
rmmod gomem || exit 1
# retain_kb=0 (the default): within seconds of the last free the scavenger
# returns every page, and with them every arena.
insmod /gomem.ko retain_kb=0 || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
[ "$(field heap_sys)" -gt 0 ] || fail "no heap while objects are live"
rmmod gomem_sample || exit 1
t=0
while [ "$(field heap_sys)" -ne 0 ] && [ $t -lt 20 ]; do sleep 1; t=$((t + 1)); done
[ "$(field heap_sys)" -eq 0 ] || fail "retain_kb=0 kept $(field heap_sys) bytes after ${t} s"
[ "$(field released_bytes)" -gt 0 ] || fail "nothing released"
[ "$(field scavenger_ns)" -gt 0 ] || fail "the scavenger counted no time"
echo "GOMEM-SCAVENGE settled_s=$t passes=$(field scavenger_passes) ns=$(field scavenger_ns)"
rmmod gomem || exit 1
# The shrinker: a large retention keeps the idle heap until reclaim asks.
insmod /gomem.ko retain_kb=262144 || exit 1
insmod /gomem_sample.ko nr_objects=2000 rounds=2 || exit 1
rmmod gomem_sample || exit 1
sleep 2
before=$(held)
[ "$before" -gt 4194304 ] || fail "retain_kb kept only $before bytes"
echo 2 >/proc/sys/vm/drop_caches
sleep 2
[ "$(held)" -lt "$before" ] || fail "drop_caches left $(held) bytes held"
[ "$(field heap_free_bytes)" -lt 4194304 ] || fail "drop_caches left $(field heap_free_bytes) bytes free"
[ "$(field released_bytes)" -gt 0 ] || fail "drop_caches released nothing"
echo "GOMEM-SHRINK held_before=$before held_after=$(held) released=$(field released_bytes)"
rmmod gomem || exit 1
# memory_limit_kb: absurd values refused at load and at runtime; a limit
# below what is held is taken (allocations fail until frees bring the heap
# under it); 0 lifts it.
if insmod /gomem.ko memory_limit_kb=999999999999; then fail "an absurd memory_limit_kb loaded"; rmmod gomem; fi
insmod /gomem.ko memory_limit_kb=65536 || exit 1
[ "$(field memory_limit)" -eq 67108864 ] || fail "memory_limit $(field memory_limit)"
lim=/sys/module/gomem/parameters/memory_limit_kb
if echo 999999999999 >$lim 2>/dev/null; then fail "an absurd limit was taken at runtime"; fi
[ "$(cat $lim)" -eq 65536 ] || fail "the limit changed to $(cat $lim)"
echo 16 >$lim || fail "a limit below the heap refused"
[ "$(field memory_limit)" -eq 16384 ] || fail "memory_limit $(field memory_limit)"
insmod /gomem_sample.ko nr_objects=500 rounds=1 2>/dev/null && rmmod gomem_sample
[ "$(field limit_refusals)" -gt 0 ] || fail "no growth refused under a 16 KiB limit"
echo 0 >$lim || fail "lifting the limit failed"
insmod /gomem_sample.ko nr_objects=500 rounds=1 || fail "the sample fails with no limit"
rmmod gomem_sample || exit 1
echo "GOMEM-LIMIT refusals=$(field limit_refusals) released=$(field limit_released_bytes)"
rmmod gomem || exit 1
# tiny=0: no tiny object, and the sample still runs.
insmod /gomem.ko tiny=0 || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 || exit 1
[ "$(field tiny_allocs)" -eq 0 ] || fail "tiny=0 made $(field tiny_allocs) tiny objects"
[ "$(field mallocs)" -gt 0 ] || fail "no mallocs counted"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
echo "GOMEM-PROC-OK"
