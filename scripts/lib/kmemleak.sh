# SPDX-License-Identifier: GPL-2.0
# gomem's kmemleak hooks in QEMU: kmemleak_vm, for scripts/kmemleak.sh and
# make check-kasan (scripts/variants.sh). Sourced, never run. Needs
# scripts/lib/common.sh.

KMEMLEAK_LEAK=5

# kmemleak_vm KDIR BUILD_NAME LOG_DIR: on the kernel build tree KDIR, which
# must have CONFIG_DEBUG_KMEMLEAK, build the modules into build/BUILD_NAME,
# boot KDIR's bzImage with kmemleak=on and run scripts/guest/kmemleak.sh
# with leak=KMEMLEAK_LEAK: status 0 when its check holds and vm-run.sh finds
# the log clean. Logs in LOG_DIR (kmemleak-console.log).
kmemleak_vm() {
	local kdir=$1 name=$2 logdir=$3 out
	grep -q '^CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config" ||
		{ echo "$kdir has no CONFIG_DEBUG_KMEMLEAK"; return 1; }
	out=$(build_modules "$kdir" "$name") || return 1
	mkdir -p "$logdir"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/kmemleak.sh" -p "leak=$KMEMLEAK_LEAK" \
		-l "$logdir/kmemleak-console.log" -m "$out/gomem/gomem.ko" \
		-m "$out/samples/gomem_sample.ko" -t 900 -a "kmemleak=on" || return 1
	grep GOMEM-KMEMLEAK "$logdir/kmemleak-console.log"
}
