#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Smoke test on a kernel users run: build gomem against Debian's 6.1
# headers, boot the matching image in QEMU, load gomem and the sample
# client, read /proc/gomem, let reclaim take the retained heap, unload both
# (scripts/guest/smoke-distro.sh). FLAVOUR is stock (the default) or
# rt, Debian's PREEMPT_RT kernel (linux-image-rt-amd64).
#
# usage: scripts/smoke-distro.sh [stock|rt]
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

flavour=${1:-stock}
case "$flavour" in
stock | rt) ;;
*) die "usage: smoke-distro.sh [stock|rt]" ;;
esac
bash "$GOMEM_TOP/scripts/install-deps.sh"
rel=$(distro_kernel_release "$flavour")
kdir=/usr/src/linux-headers-$rel
image="$GOMEM_CACHE/distro/$rel/vmlinuz"
[ -f "$image" ] || die "no stock kernel image for $rel at $image"
out=$(build_modules "$kdir" "distro-$rel")
log="$GOMEM_TOP/build/smoke-distro-$rel.log"

bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$image" -s "$GOMEM_TOP/scripts/guest/smoke-distro.sh" \
	-l "$log" -m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300 -a quiet
if grep -q "gomem_sample: failed\|gomem: unloading with" "$log"; then
	die "the sample client failed on $rel (log: $log)"
fi
grep -q "gomem_sample: unloaded, all objects intact" "$log" ||
	die "the sample client did not finish on $rel (log: $log)"
if [ "$flavour" = rt ] && ! grep -q "^GOMEM-KERNEL .*PREEMPT_RT" "$log"; then
	die "the $rel kernel is not a PREEMPT_RT kernel (log: $log)"
fi
note "smoke test on Debian $rel passed"
