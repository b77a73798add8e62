# SPDX-License-Identifier: GPL-2.0
# Guest (make check's reload-vm step): load gomem and the sample client
# (1000 objects, one round) and unload both, 50 times. The kernel's free
# memory must come back: the free pages, those on the page allocator's
# per-CPU lists included, within 1 MiB (an arena left behind would be
# 4 MiB), and the memory no counter of /proc/meminfo accounts for must grow
# by less than 512 KiB (with order-0 frees it moves by -400..+276 KiB from
# run to run; it was 256 KiB when whole arenas went back). MemFree alone leaves out the per-CPU lists, where
# gomem's order-0 frees (it splits its arenas) land: megabytes, moving at
# every run; it is printed, not judged. The second figure leaves out the
# memory loading modules moves (slab, page tables, vmalloc, per-CPU,
# files): what remains is the pages nothing accounts for, where a page gomem
# never gave back would be (Documentation/testing.rst, "The reload loop").
#
# Marker: "GOMEM-RELOAD cycles=50 seconds=S memfree_kb=BEFORE..AFTER
# free_kb=BEFORE..AFTER unaccounted_kb=BEFORE..AFTER".
free_kb() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }
# Free pages with those of the per-CPU lists, in KiB (4 KiB pages, x86-64).
free_all_kb() { awk '$1 == "nr_free_pages" || $1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo; }
unaccounted_kb() {
	awk -v free="$(free_all_kb)" '{ v[$1] = $2 } END { print v["MemTotal:"] - free -
		v["Slab:"] - v["KernelStack:"] - v["PageTables:"] - v["Percpu:"] -
		v["VmallocUsed:"] - v["Cached:"] - v["Buffers:"] - v["AnonPages:"] }' /proc/meminfo
}
insmod /gomem.ko && rmmod gomem || exit 1
before=$(free_kb) all_before=$(free_all_kb) unaccounted_before=$(unaccounted_kb)
t0=$(date +%s)
i=0
while [ $i -lt 50 ]; do
	insmod /gomem.ko || exit 1
	insmod /gomem_sample.ko nr_objects=1000 rounds=1 || exit 1
	rmmod gomem_sample || exit 1
	rmmod gomem || exit 1
	i=$((i + 1))
done
after=$(free_kb) all_after=$(free_all_kb) unaccounted_after=$(unaccounted_kb)
echo "GOMEM-RELOAD cycles=$i seconds=$(($(date +%s) - t0)) memfree_kb=$before..$after free_kb=$all_before..$all_after unaccounted_kb=$unaccounted_before..$unaccounted_after"
[ $((all_before - all_after)) -lt 1024 ] ||
	{ echo "free memory dropped by $((all_before - all_after)) KiB"; exit 1; }
[ $((unaccounted_after - unaccounted_before)) -lt 512 ] ||
	{ echo "unaccounted memory grew by $((unaccounted_after - unaccounted_before)) KiB"; exit 1; }
