# SPDX-License-Identifier: GPL-2.0
# Guest of make run (scripts/run.sh): load gomem and the sample client,
# print /proc/gomem, unload both. On a kernel booted with "quiet" (Debian's
# stock kernel) the console shows only warnings, so gomem's messages are
# copied to it from the kernel log, with the init_on_alloc state.
#
# Markers: "--- /proc/gomem ---" and "--- end ---" around the statistics; the
# sample client's "gomem_sample: unloaded, all objects intact", which run.sh
# requires.
insmod /gomem.ko || exit 1
insmod /gomem_sample.ko || exit 1
echo "--- /proc/gomem ---"
cat /proc/gomem || exit 1
echo "--- end ---"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
[ "$(awk '{ print $1 }' /proc/sys/kernel/printk)" -ge 7 ] ||
	dmesg | grep -E "gomem|mem auto-init"
