# SPDX-License-Identifier: GPL-2.0
# Guest of the Debian 6.1 smoke test (scripts/smoke-distro.sh): load gomem
# with a large retention and the sample client, read /proc/gomem, unload the
# client, let reclaim (drop_caches, register_shrinker() on 6.1) take the
# retained heap, unload gomem. The console is quiet ("quiet"), so gomem's
# messages and the init_on_alloc state are copied to it from the kernel log.
#
# Markers: "GOMEM-KERNEL <uname -v>" (smoke-distro.sh rt looks for
# PREEMPT_RT in it), "GOMEM-SHRINK held_before=B held_after=A"
# (heap pages held, heap_sys - heap_released; A must be below B).
echo "GOMEM-KERNEL $(uname -v)"
insmod /gomem.ko retain_kb=262144 || exit 1
insmod /gomem_sample.ko || exit 1
grep -E "^(gomem - version|heap_inuse|heap_objects|mallocs|frees):" /proc/gomem || exit 1
rmmod gomem_sample || exit 1
# The shrinker (register_shrinker() on 6.1): reclaim takes the retained heap.
# Pages held: heap_sys less what went back page by page (heap_released).
held() { awk '$1 == "heap_sys:" { s = $2 } $1 == "heap_released:" { r = $2 } END { print s - r }' /proc/gomem; }
held=$(held)
echo 2 >/proc/sys/vm/drop_caches
sleep 2
after=$(held)
echo "GOMEM-SHRINK held_before=$held held_after=$after"
[ "$after" -lt "$held" ] || exit 1
rmmod gomem || exit 1
# The console is quiet: copy gomem's messages and the init_on_alloc state to it.
dmesg | grep -E "gomem|mem auto-init"
