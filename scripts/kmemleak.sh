#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gomem's kmemleak hooks in QEMU, on a kernel with CONFIG_DEBUG_KMEMLEAK (the
# kasan variant; automatic scans off).
#
# usage: scripts/kmemleak.sh KDIR [BUILD_NAME]
#
# Builds the modules against the kernel build tree KDIR (into build/BUILD_NAME,
# default kmemleak), boots KDIR's bzImage and, in the guest
# (scripts/guest/kmemleak.sh), loads gomem and the sample client twice: with
# leak=0 a kmemleak scan must find nothing allocated by gomem; with leak=5 it
# must find the 5 objects dropped, each with gomem_alloc and the sample module
# in its backtrace. The guest prints "GOMEM-KMEMLEAK leak0_reports=0
# leak5_reports=N". Exit 0 when that holds and vm-run.sh finds the log clean.
# make check-kasan runs the same check (kmemleak_vm, scripts/lib/kmemleak.sh).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/kmemleak.sh"

[ $# -ge 1 ] || die "usage: scripts/kmemleak.sh KDIR [BUILD_NAME]"
kmemleak_vm "$1" "${2:-kmemleak}" "$GOMEM_TOP/build/kmemleak-logs"
