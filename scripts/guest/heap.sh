# SPDX-License-Identifier: GPL-2.0
# Guest (make check's heap-vm step): the heap profile as users meet it.
# Absurd rates refused at load, through the module parameter and through
# debugfs, the rate unchanged; with profile_rate=4096 and the sample client
# loaded, /sys/kernel/debug/gomem/heap (mode 0400) opens with its version
# line and names the sample's frames with its module; printed between
# GOMEM-HEAP-BEGIN and GOMEM-HEAP-END for the host (scripts/gomem-pprof);
# after the sample unloads, its frames still print as symbols with its
# module's name; rate 0 stops sampling. GOMEM-HEAP-OK when every check
# passed ("heap check failed: ..." and exit 1 at the first that did not).
fail() { echo "heap check failed: $*"; exit 1; }
mkdir -p /sys/kernel/debug
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
if insmod /gomem.ko profile_rate=1073741825 2>/dev/null; then fail "an absurd profile_rate loaded"; fi
insmod /gomem.ko profile_rate=4096 || exit 1
d=/sys/kernel/debug/gomem
p=/sys/module/gomem/parameters/profile_rate
[ "$(cat $d/profile_rate)" = 4096 ] && [ "$(cat $p)" = 4096 ] || fail "rate $(cat $d/profile_rate), $(cat $p)"
if echo 1073741825 2>/dev/null >$d/profile_rate; then fail "an absurd rate taken through debugfs"; fi
if echo 1073741825 2>/dev/null >$p; then fail "an absurd rate taken through the parameter"; fi
[ "$(cat $d/profile_rate)" = 4096 ] || fail "the rate changed to $(cat $d/profile_rate)"
[ "$(stat -c %a:%u $d/heap)" = 400:0 ] || fail "heap mode $(stat -c %a:%u $d/heap)"
insmod /gomem_sample.ko || exit 1
cat $d/heap >/tmp/heap
[ "$(head -n 1 /tmp/heap)" = "gomem heap profile: version 1, rate 4096" ] || fail "line 1: $(head -n 1 /tmp/heap)"
grep -q '^heap profile: [0-9]*: [0-9]* \[[0-9]*: [0-9]*\] @ heap/4096$' /tmp/heap || fail "line 2"
frame='	[a-z_0-9.]*+0x[0-9a-f]*/0x[0-9a-f]* \[gomem_sample\]$'
grep -q "$frame" /tmp/heap || { head -n 30 /tmp/heap; fail "no frame of gomem_sample's"; }
# Quiet while the profile goes out: no kernel message inside it.
dmesg -n 1
echo GOMEM-HEAP-BEGIN
cat /tmp/heap
echo GOMEM-HEAP-END
rmmod gomem_sample || exit 1
grep -q "$frame" $d/heap || fail "the unloaded sample's frames lost their names"
echo 0 >$p || fail "rate 0 refused"
[ "$(cat $d/profile_rate)" = 0 ] || fail "rate 0 not taken"
before=$(grep -c ' @ ' $d/heap)
insmod /gomem_sample.ko nr_objects=500 rounds=1 || exit 1
rmmod gomem_sample || exit 1
[ "$(grep -c ' @ ' $d/heap)" -eq "$before" ] || fail "records added with the rate at 0"
rmmod gomem || exit 1
echo "GOMEM-HEAP-OK records=$before"
