#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Real modules nobody here wrote, switched to gomem with one line, both
# ways gomem_kmalloc.h offers, from Debian's linux-source-6.12, built
# against the debug test kernel:
#
#  - ext2 (fs/ext2, 10 files untouched) with a Kbuild that includes its own
#    Makefile and adds  ccflags-y += -include $(GOMEM_DIR)/gomem_kmalloc.h
#  - test_printf (lib/test_printf.c) with one line added after its
#    includes,  #include "gomem_kmalloc.h"  (the -include way does not suit
#    a file that defines pr_fmt before its includes, as this one does:
#    Documentation/gomem-dropin.rst), and a Kbuild naming its object;
#
# then run in QEMU on top of gomem (scripts/guest/dropin.sh): test_printf's
# self-test (every case frees a kvasprintf() string of the kernel's: the
# forwarding path), and a file workload on ext2 over a brd RAM disk
# formatted by busybox's mke2fs, with the tracepoints counted in tracefs.
# Exit 0 when the guest printed GOMEM-DROPIN-OK and its log is clean.
#
# usage: scripts/dropin.sh [FILES]   (FILES: files of the ext2 workload, default 1000)
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

files=${1:-1000}
kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" debug)
src=$(linux_source_dir)
out="$GOMEM_TOP/build/debug"
if [ ! -f "$out/gomem/gomem.ko" ] || [ ! -f "$out/Module.symvers" ]; then
	out=$(BUILD_DIRS="gomem" build_modules "$kdir" debug W=1)
fi
top="$GOMEM_TOP/build/dropin"
rm -rf "$top"
mkdir -p "$top/ext2" "$top/printf/lib" "$top/printf/tools/testing/selftests"

# ext2: fs/ext2 as it is, its Makefile included (obj-$(CONFIG_EXT2_FS), m in
# the debug kernel's config, which never builds it).
cp "$src"/fs/ext2/*.[ch] "$src/fs/ext2/Makefile" "$top/ext2/"
cat >"$top/ext2/Kbuild" <<'EOF'
# SPDX-License-Identifier: GPL-2.0
# fs/ext2's own Makefile, and the one line that switches it to gomem.
include $(src)/Makefile
ccflags-y += -include $(GOMEM_DIR)/gomem_kmalloc.h
EOF
# test_printf: lib/test_printf.c, one line added after its last #include,
# and the selftest header it includes by a relative path, in the same places.
last=$(grep -n '^#include' "$src/lib/test_printf.c" | tail -n 1 | cut -d: -f1)
sed "${last}a #include \"gomem_kmalloc.h\"" "$src/lib/test_printf.c" >"$top/printf/lib/test_printf.c"
cp "$src/tools/testing/selftests/kselftest_module.h" "$top/printf/tools/testing/selftests/"
cat >"$top/printf/lib/Kbuild" <<'EOF'
# SPDX-License-Identifier: GPL-2.0
# lib/Makefile's line for test_printf, and where gomem_kmalloc.h lies.
obj-m += test_printf.o
ccflags-y += -I$(GOMEM_DIR)
EOF
for d in "$top/ext2" "$top/printf/lib"; do
	make -C "$kdir" M="$d" GOMEM_DIR="$GOMEM_TOP/gomem" \
		KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" -j"$(($(nproc) + 1))" modules \
		>"$d/build.log" 2>&1 || { cat "$d/build.log" >&2; die "building $d failed"; }
	if grep -E "warning:|error:" "$d/build.log"; then
		die "building $d has warnings"
	fi
done
# The sources are the kernel's, byte for byte.
for f in "$src"/fs/ext2/*.[ch] "$src/fs/ext2/Makefile"; do
	cmp -s "$f" "$top/ext2/${f##*/}" || die "${f##*/} differs from fs/ext2's"
done
changed=$(diff "$src/lib/test_printf.c" "$top/printf/lib/test_printf.c" | grep -c '^[<>]' || true)
[ "$changed" -eq 1 ] || die "test_printf.c differs from lib's by $changed lines, not the one include"
echo "ext2: 0 source lines changed (Kbuild: -include); test_printf.c: $changed line added"
# Every allocation call they make reaches gomem: no kmalloc-family symbol of
# the kernel is left in their objects (kmem_cache_*() and vmalloc stay).
for ko in "$top/ext2/ext2.ko" "$top/printf/lib/test_printf.ko"; do
	left=$(nm -u "$ko" | awk '{print $2}' |
		grep -E '^(__)?(kmalloc|kzalloc|kcalloc|krealloc|kmemdup|kstrdup|kstrndup|kfree|kvmalloc|kvzalloc|kvfree|ksize|kmalloc_trace|__kmalloc|__kvmalloc|kvrealloc|kfree_sensitive)' |
		grep -v '^kfree_const$' || true)
	[ -z "$left" ] || die "${ko##*/} still calls the kernel's: $left"
	echo "${ko##*/}: $(nm -u "$ko" | grep -c ' gomem_\| __gomem_') gomem symbols used, none of kmalloc's"
done

log="$GOMEM_TOP/build/dropin-console.log"
bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" \
	-s "$GOMEM_TOP/scripts/guest/dropin.sh" -p "files=$files" -l "$log" \
	-a "brd.rd_nr=1 brd.rd_size=16384" \
	-m "$out/gomem/gomem.ko" -m "$top/ext2/ext2.ko" -m "$top/printf/lib/test_printf.ko" \
	-t 600
grep GOMEM-DROPIN "$log"
grep -q GOMEM-DROPIN-OK "$log"
