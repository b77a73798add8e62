#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The longest interrupts-off section of a drain of full caches, in exact
# guest instructions: the debug test kernel's irqsoff tracer in an icount VM
# (scripts/guest/irqsoff.sh). A measurement for Documentation/performance.rst,
# not a test: it fails only when the run itself does.
#
# usage: scripts/irqsoff.sh [NR_OBJECTS]   (make irqsoff; default 20000)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

nr=${1:-20000}
kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" debug | tail -n 1)
out=$(BUILD_DIRS="gomem samples" build_modules "$kdir" debug)
log="$GOMEM_TOP/build/irqsoff-console.log"
bash "$GOMEM_TOP/scripts/vm-run.sh" -i -k "$kdir/arch/x86/boot/bzImage" \
	-s "$GOMEM_TOP/scripts/guest/irqsoff.sh" -p "nr_objects=$nr" -l "$log" \
	-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 900 -a quiet
grep -q GOMEM-IRQSOFF-OK "$log" || die "the irqsoff run did not finish (log: $log)"
sed -n '/^GOMEM-IRQSOFF max_us/,/^GOMEM-IRQSOFF-OK/p' "$log" | grep -E "GOMEM-IRQSOFF|started at|ended at|GOMEM-IRQSOFF-SECTION"
note "max_us is in thousands of guest instructions (icount: 1 ns per instruction); log: $log"
