#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gomem's kmemleak hooks in QEMU, on a kernel with CONFIG_DEBUG_KMEMLEAK (the
# kasan variant; automatic scans off).
#
# usage: scripts/kmemleak.sh KDIR [BUILD_NAME]
#
# Builds the modules against the kernel build tree KDIR (into build/BUILD_NAME,
# default kmemleak), boots KDIR's bzImage and, in the guest, loads gomem and
# the sample client twice: with leak=0 a kmemleak scan must find nothing
# allocated by gomem; with leak=5 it must find the 5 objects dropped, each
# with gomem_alloc and the sample module in its backtrace. The guest prints
# "GOMEM-KMEMLEAK leak0_reports=0 leak5_reports=N". Exit 0 when that holds
# and vm-run.sh finds the log clean.
#
# Sourced by another script (". scripts/kmemleak.sh" with no argument), it
# only defines kmemleak_vm KDIR BUILD_NAME LOG_DIR, with the same checks.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

KMEMLEAK_LEAK=5

# kmemleak_vm KDIR BUILD_NAME LOG_DIR: the check above; logs in LOG_DIR.
kmemleak_vm() {
	local kdir=$1 name=$2 logdir=$3 out guest
	grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config" ||
		{ echo "$kdir has no CONFIG_DEBUG_KMEMLEAK"; return 1; }
	out=$(build_modules "$kdir" "$name") || return 1
	mkdir -p "$logdir"
	guest="$logdir/kmemleak-guest.sh"
	cat >"$guest" <<GUEST
LEAK=$KMEMLEAK_LEAK
GUEST
	cat >>"$guest" <<'GUEST'
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
		grep 'gomem_alloc' | grep 'gomem_sample'
}
echo clear >$kml
insmod /gomem.ko || exit 1
insmod /gomem_sample.ko nr_objects=500 rounds=2 leak=0 || exit 1
scan
r0=$(gomem_blocks | wc -l)
grep -q gomem_alloc $kml && { echo "leak=0: kmemleak reports gomem objects:"; cat $kml; }
rmmod gomem_sample || exit 1
echo clear >$kml
insmod /gomem_sample.ko nr_objects=500 rounds=2 leak=$LEAK || exit 1
scan
r1=$(gomem_blocks | wc -l)
echo "--- kmemleak's reports of gomem objects (leak=$LEAK), one per line:"
gomem_blocks | sed 's/  */ /g'
echo "---"
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
echo clear >$kml
dmesg -n 7
echo "GOMEM-KMEMLEAK leak0_reports=$r0 leak${LEAK}_reports=$r1"
[ "$r0" -eq 0 ] && [ "$r1" -eq "$LEAK" ]
GUEST
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" -s "$guest" \
		-l "$logdir/kmemleak-console.log" -m "$out/gomem/gomem.ko" \
		-m "$out/samples/gomem_sample.ko" -t 900 -a "kmemleak=on" || return 1
	grep GOMEM-KMEMLEAK "$logdir/kmemleak-console.log"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -ge 1 ] || die "usage: scripts/kmemleak.sh KDIR [BUILD_NAME]"
	kmemleak_vm "$1" "${2:-kmemleak}" "$GOMEM_TOP/build/kmemleak-logs"
fi
