#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job (make run): install what is missing, build the test kernel and
# the modules, boot QEMU, load gomem and the sample client, print /proc/gomem,
# unload both. Exit 0 only if the guest log is clean.
#
# usage: scripts/run.sh [debug|bench]   (the test kernel variant, default debug)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

variant=${1:-debug}
bash "$GOMEM_TOP/scripts/install-deps.sh" --no-distro
kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" "$variant")
out=$(build_modules "$kdir" "$variant")
log="$GOMEM_TOP/build/run-$variant.log"

bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" \
	-s "$GOMEM_TOP/scripts/guest/run.sh" -l "$log" \
	-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300
sed -n '/^--- \/proc\/gomem ---$/,/^--- end ---$/p' "$log"
grep -E "gomem_sample: |gomem: " "$log" | grep -v "taints kernel" || true
if grep -q "gomem: unloading with" "$log"; then
	die "gomem reported leaked objects at unload (log: $log)"
fi
# busybox insmod retries a failed finit_module with init_module: any failure counts.
if grep -q "gomem_sample: failed" "$log"; then
	die "the sample client failed (log: $log)"
fi
grep -q "gomem_sample: unloaded, all objects intact" "$log" ||
	die "the sample client did not report its objects intact (log: $log)"
note "run passed"
