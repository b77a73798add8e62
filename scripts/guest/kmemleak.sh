# SPDX-License-Identifier: GPL-2.0
# Guest of the kmemleak check (kmemleak_vm, scripts/lib/kmemleak.sh), on a
# kernel with CONFIG_DEBUG_KMEMLEAK booted with kmemleak=on: load gomem and
# the sample client twice. With leak=0 a scan must report nothing allocated
# through gomem_alloc; with leak=LEAK exactly LEAK objects, each with
# a frame of gomem.ko ([gomem]: gomem_alloc, or the large or slow path it
# tail-calls) and gomem_sample in its backtrace.
#
# Parameter: leak, the objects the sample client drops on purpose.
# Marker: "GOMEM-KMEMLEAK leak0_reports=N leakLEAK_reports=M", between
# "--- kmemleak's reports ..." lines listing the second scan's gomem reports.
kml=/sys/kernel/debug/kmemleak
[ -w $kml ] || { echo "no $kml"; exit 1; }
# A scan prints "N new suspected memory leaks" at info level; the leaks made
# on purpose are checked here, so keep that line off the console (vm-run.sh
# fails on it) and judge the report file instead.
dmesg -n 4
# kmemleak reports an object unreferenced for two scans and 5 s old.
scan() { sleep 6; echo scan >$kml; sleep 1; echo scan >$kml; }
# kmemleak's reports of objects gomem allocated for the sample client, one line each.
gomem_blocks() {
	awk '/^unreferenced object/ { if (blk != "") print blk; blk = $0; next }
	     { blk = blk " |" $0 } END { if (blk != "") print blk }' $kml |
		grep '\[gomem\]' | grep 'gomem_sample'
}
echo clear >$kml
insmod /gomem.ko || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 leak=0 || exit 1
scan
r0=$(gomem_blocks | wc -l)
grep -q '\[gomem\]' $kml && { echo "leak=0: kmemleak reports gomem objects:"; cat $kml; }
rmmod gomem_sample || exit 1
echo clear >$kml
insmod /gomem_sample.ko nr_objects=500 rounds=2 leak="$leak" || exit 1
scan
r1=$(gomem_blocks | wc -l)
echo "--- kmemleak's reports of gomem objects (leak=$leak), one per line:"
gomem_blocks | sed 's/  */ /g'
echo "---"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
echo clear >$kml
dmesg -n 7
echo "GOMEM-KMEMLEAK leak0_reports=$r0 leak${leak}_reports=$r1"
[ "$r0" -eq 0 ] && [ "$r1" -eq "$leak" ]
