# SPDX-License-Identifier: GPL-2.0
# Guest (scripts/dropin.sh, make check's dropin-vm step): real modules on
# gomem through gomem_kmalloc.h. Parameter files: files of the ext2 workload.
#
#  1. test_printf: its self-test passes; each case frees a string the
#     kernel's kvasprintf() allocated, so frees_forwarded grows.
#  2. ext2 on /dev/ram0 (brd), formatted by busybox's mke2fs, with the
#     tracepoints gomem:gomem_alloc and gomem:gomem_free on while it is
#     mounted: $files files written in 20 directories, read back, half
#     renamed, a third deleted, unmounted, mounted again and every file
#     left read back; unmounted, unloaded. The events equal the allocation
#     and free counts of /proc/gomem over the same time, and name ext2's
#     functions as call sites.
#  3. Nothing is left: gomem's live objects are what they were before.
#
# Markers: "GOMEM-DROPIN test_printf ...", "GOMEM-DROPIN ext2 ...",
# "GOMEM-DROPIN trace ...", then GOMEM-DROPIN-OK ("dropin check failed: ..."
# and exit 1 at the first check that did not pass).
fail() { echo "dropin check failed: $*"; exit 1; }
field() { sed -n "s/^$1: //p" /proc/gomem; }
# Live objects once RCU callbacks and caches settled: up to 10 tries a second apart.
settled_live() {
	n=0
	while [ $n -lt 10 ]; do
		[ "$(field rcu_pending)" = 0 ] && break
		sleep 1
		n=$((n + 1))
	done
	field heap_objects
}
insmod /gomem.ko || exit 1
live0=$(settled_live)

# 1. test_printf
m0=$(field mallocs) fw0=$(field frees_forwarded)
insmod /test_printf.ko || fail "test_printf's self-test failed"
dmesg | grep -q "test_printf: all [0-9]* tests passed" || fail "test_printf: no pass line"
rmmod test_printf || fail "rmmod test_printf"
m1=$(field mallocs) fw1=$(field frees_forwarded)
echo "GOMEM-DROPIN test_printf $(dmesg | sed -n 's/.*test_printf: \(all [0-9]* tests passed\).*/\1/p'): allocations=$((m1 - m0)) forwarded_frees=$((fw1 - fw0))"
[ $((m1 - m0)) -gt 0 ] || fail "test_printf allocated nothing from gomem"
[ $((fw1 - fw0)) -gt 0 ] || fail "test_printf forwarded no free"

# 2. ext2
insmod /ext2.ko || fail "insmod ext2"
mke2fs -q -b 1024 -i 1024 /dev/ram0 >/dev/null || mke2fs -b 1024 -i 1024 /dev/ram0 ||
	fail "mke2fs"
t=/sys/kernel/tracing
mkdir -p $t
mount -t tracefs nodev $t 2>/dev/null
[ -d $t/events/gomem/gomem_alloc ] || fail "no event gomem:gomem_alloc in tracefs"
echo 8192 >$t/buffer_size_kb
echo >$t/trace
a0=$(field mallocs) f0=$(field frees) fw0=$(field frees_forwarded)
echo 1 >$t/events/gomem/gomem_alloc/enable
echo 1 >$t/events/gomem/gomem_free/enable
mkdir -p /mnt
mount -t ext2 /dev/ram0 /mnt || fail "mount"
d=0
while [ $d -lt 20 ]; do
	mkdir /mnt/d$d || fail "mkdir d$d"
	d=$((d + 1))
done
i=0
while [ $i -lt "$files" ]; do
	echo "gomem file $i $((i * 7919))" >/mnt/d$((i % 20))/f$i || fail "write f$i"
	i=$((i + 1))
done
i=0
while [ $i -lt "$files" ]; do
	read -r line </mnt/d$((i % 20))/f$i || fail "read f$i"
	[ "$line" = "gomem file $i $((i * 7919))" ] || fail "f$i reads '$line'"
	[ $((i % 2)) -eq 0 ] && { mv /mnt/d$((i % 20))/f$i /mnt/d$(((i + 1) % 20))/r$i || fail "mv f$i"; }
	[ $((i % 3)) -eq 1 ] && { rm /mnt/d$((i % 20))/f$i /mnt/d$(((i + 1) % 20))/r$i 2>/dev/null; }
	i=$((i + 1))
done
umount /mnt || fail "umount"
mount -t ext2 /dev/ram0 /mnt || fail "mount again"
i=0 left=0
while [ $i -lt "$files" ]; do
	if [ $((i % 2)) -eq 0 ]; then f=/mnt/d$(((i + 1) % 20))/r$i; else f=/mnt/d$((i % 20))/f$i; fi
	if [ $((i % 3)) -eq 1 ]; then
		[ -e $f ] && fail "$f was deleted, still there"
	else
		read -r line <$f || fail "read $f after remount"
		[ "$line" = "gomem file $i $((i * 7919))" ] || fail "$f reads '$line' after remount"
		left=$((left + 1))
	fi
	i=$((i + 1))
done
[ "$(ls /mnt/d*/ | grep -c '^[fr][0-9]')" -eq $left ] || fail "directory listing differs"
umount /mnt || fail "umount again"
echo 0 >$t/events/gomem/gomem_alloc/enable
echo 0 >$t/events/gomem/gomem_free/enable
a1=$(field mallocs) f1=$(field frees) fw1=$(field frees_forwarded)
ea=$(grep -c ' gomem_alloc: ' $t/trace)
ef=$(grep -c ' gomem_free: ' $t/trace)
ext2_sites=$(grep ' gomem_alloc: ' $t/trace | grep -c 'call_site=[a-z0-9_]*+0x[0-9a-f]*/0x[0-9a-f]* \[ext2\]')
grep -q 'lost events' $t/trace && fail "the trace buffer overflowed"
echo "GOMEM-DROPIN ext2 files=$files kept=$left allocations=$((a1 - a0)) frees=$((f1 - f0)) forwarded_frees=$((fw1 - fw0))"
echo "GOMEM-DROPIN trace gomem_alloc=$ea gomem_free=$ef ext2_call_sites=$ext2_sites"
grep -m 2 ' gomem_alloc: .*\[ext2\]' $t/trace
[ $((a1 - a0)) -gt "$files" ] || fail "ext2 made only $((a1 - a0)) allocations from gomem"
[ "$ea" -eq $((a1 - a0)) ] || fail "$ea gomem_alloc events for $((a1 - a0)) allocations"
# A forwarded free is traced too (gomem_kfree() is entered), and not counted as a gomem free.
[ "$ef" -eq $((f1 - f0 + fw1 - fw0)) ] || fail "$ef gomem_free events for $((f1 - f0)) frees and $((fw1 - fw0)) forwarded"
[ "$ext2_sites" -gt 0 ] || fail "no allocation from ext2 in the trace"
grep ' gomem_alloc: ' $t/trace | grep -qv 'bytes_req=[0-9]* bytes_alloc=[0-9]* gfp_flags=[A-Z_|]* node=-1$' &&
	fail "a gomem_alloc event without kmem:kmalloc's fields"
echo >$t/trace
rmmod ext2 || fail "rmmod ext2"

# 3. Nothing left.
live1=$(settled_live)
[ "$live1" = "$live0" ] || fail "$live1 live objects after unload, $live0 before"
dmesg | grep -q "unloads with" && fail "gomem reported objects left at a module's unload"
echo GOMEM-DROPIN-OK
