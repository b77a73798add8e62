# SPDX-License-Identifier: GPL-2.0
# Guest of the Debian 6.1 smoke test (scripts/smoke-distro.sh): load gomem
# with a large retention and the sample client, read /proc/gomem, unload the
# client, let reclaim (drop_caches, register_shrinker() on 6.1) take the
# retained heap, unload gomem. The console is quiet ("quiet"), so gomem's
# messages and the init_on_alloc state are copied to it from the kernel log.
#
# Markers: "GOMEM-KERNEL <uname -v>" (smoke-distro.sh rt looks for
# PREEMPT_RT in it), "GOMEM-SHRINK heap_sys_before=B heap_sys_after=A"
# (A must be below B).
echo "GOMEM-KERNEL $(uname -v)"
insmod /gomem.ko retain_kb=262144 || exit 1
insmod /gomem_sample.ko || exit 1
grep -E "^(gomem - version|heap_inuse|heap_objects|mallocs|frees):" /proc/gomem || exit 1
rmmod gomem_sample || exit 1
# The shrinker (register_shrinker() on 6.1): reclaim takes the retained heap.
held=$(awk '$1 == "heap_sys:" { print $2 }' /proc/gomem)
echo 2 >/proc/sys/vm/drop_caches
sleep 2
after=$(awk '$1 == "heap_sys:" { print $2 }' /proc/gomem)
echo "GOMEM-SHRINK heap_sys_before=$held heap_sys_after=$after"
[ "$after" -lt "$held" ] || exit 1
rmmod gomem || exit 1
# The console is quiet: copy gomem's messages and the init_on_alloc state to it.
dmesg | grep -E "gomem|mem auto-init"
