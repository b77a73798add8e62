#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job (make run): gomem loading and serving a client. Installs what
# is missing, builds gomem and the sample client, boots QEMU, loads both,
# prints /proc/gomem, unloads both (scripts/guest/run.sh). Exit 0 only if the
# guest log is clean and the sample client found its objects intact.
#
# usage: scripts/run.sh [stock|debug|bench]   (make run [KERNEL=...])
#
#   stock  the default: Debian's stock 6.1 kernel, no kernel build. The
#          modules build against its headers (linux-headers-amd64), the
#          matching image is fetched once into the cache (about 70 MB);
#          install-deps.sh --run installs only what this needs.
#   debug  the debug test kernel of make check (lockdep, atomic-sleep and
#   bench  preemption checks), or the bench one, built once from
#          linux-source-6.12 into the cache: 4-8 minutes the first time.
#
# Each long step is announced on stderr; the last line is the time taken.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kernel=${1:-stock}
t_start=$(date +%s)
trap 'note "make run took $(($(date +%s) - t_start)) s"' EXIT
case "$kernel" in
stock)
	bash "$GOMEM_TOP/scripts/install-deps.sh" --run
	rel=$(distro_kernel_release stock)
	kdir=/usr/src/linux-headers-$rel
	image=$GOMEM_CACHE/distro/$rel/vmlinuz
	[ -f "$image" ] || die "no stock kernel image for $rel at $image"
	build=run-$rel
	# The stock kernel's boot messages are many: the guest copies gomem's.
	args=(-a quiet)
	what="Debian's stock kernel $rel"
	;;
debug | bench)
	bash "$GOMEM_TOP/scripts/install-deps.sh" --no-distro
	kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" "$kernel")
	image=$kdir/arch/x86/boot/bzImage
	build=run-$kernel
	args=()
	what="the $kernel test kernel $(cat "$kdir/include/config/kernel.release")"
	;;
*) die "usage: scripts/run.sh [stock|debug|bench]" ;;
esac
note "building gomem and the sample client against $kdir"
out=$(BUILD_DIRS="gomem samples" build_modules "$kdir" "$build")
log="$GOMEM_TOP/build/run-$kernel.log"

note "booting $what in QEMU (10-20 s), console in $log"
bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$image" -s "$GOMEM_TOP/scripts/guest/run.sh" \
	-l "$log" -m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300 "${args[@]}"
sed -n '/^--- \/proc\/gomem ---$/,/^--- end ---$/p' "$log"
grep -E "gomem_sample: |gomem: |mem auto-init" "$log" |
	grep -v -e "taints kernel" -e "tainting kernel" || true
if grep -q "gomem: unloading with" "$log"; then
	die "gomem reported leaked objects at unload (log: $log)"
fi
# busybox insmod retries a failed finit_module with init_module: any failure counts.
if grep -q "gomem_sample: failed" "$log"; then
	die "the sample client failed (log: $log)"
fi
grep -q "gomem_sample: unloaded, all objects intact" "$log" ||
	die "the sample client did not report its objects intact (log: $log)"
note "run passed on $what"
