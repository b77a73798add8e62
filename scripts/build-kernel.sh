#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or find in the cache) gomem's test kernel from Debian's linux-source-6.12.
#
# usage: scripts/build-kernel.sh debug|bench|kasan|kcsan|rt
#
# The kernel is tinyconfig plus scripts/kconfig/base.config plus the variant's
# fragment. It is cached under $GOMEM_CACHE/kernel/<variant>-<source version>-<hash>,
# where <hash> covers the fragments, so a changed fragment means a new build.
# The build happens in a temporary folder that is renamed only when complete:
# a failed or interrupted build is never reused. Prints the build directory.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

variant=${1:-}
case "$variant" in
debug | bench | kasan | kcsan | rt) ;;
*) die "usage: build-kernel.sh debug|bench|kasan|kcsan|rt" ;;
esac

frags=("$GOMEM_TOP/scripts/kconfig/base.config" "$GOMEM_TOP/scripts/kconfig/$variant.config")
ver=$(linux_source_version | tr '~:' '__')
hash=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out="$GOMEM_CACHE/kernel/$variant-$ver-$hash"

if [ -f "$out/arch/x86/boot/bzImage" ] && [ -f "$out/Module.symvers" ]; then
	echo "$out"
	exit 0
fi

src=$(linux_source_dir)
mkdir -p "$GOMEM_CACHE/kernel"
exec 9>"$GOMEM_CACHE/kernel/.lock-$variant"
flock 9
if [ -f "$out/arch/x86/boot/bzImage" ]; then	# built while we waited
	echo "$out"
	exit 0
fi

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
log="$GOMEM_CACHE/kernel/build-$variant.log"
# Measured on 2 CPUs (Documentation/testing.rst): 3.5-8 minutes, more for
# the sanitizers and on a busy machine.
case "$variant" in
kasan | kcsan) minutes=5-10 ;;
*) minutes=4-8 ;;
esac
note "building the $variant test kernel ($ver) in $tmp (about $minutes minutes on 2 CPUs), log in $log"
start=$(date +%s)
{
	make -C "$src" O="$tmp" ARCH=x86_64 tinyconfig &&
	KCONFIG_CONFIG="$tmp/.config" "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$tmp" "$tmp/.config" "${frags[@]}" &&
	make -C "$src" O="$tmp" ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || die "configuring the $variant kernel failed (see $log)"

# merge_config drops silently what Kconfig refuses: check every option asked for.
# A later fragment overrides an earlier one (rt.config turns base's PREEMPT off).
declare -A want=()
while read -r line; do
	case "$line" in
	CONFIG_*=*) want[${line%%=*}]=$line ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		want[${opt%% *}]="!${opt%% *}"
		;;
	esac
done < <(cat "${frags[@]}")
missing=
for opt in "${!want[@]}"; do
	case "${want[$opt]}" in
	!*) grep -q "^$opt=" "$tmp/.config" && missing="$missing ${want[$opt]}" ;;
	*) grep -qxF "${want[$opt]}" "$tmp/.config" || missing="$missing ${want[$opt]}" ;;
	esac
done
[ -z "$missing" ] || die "the $variant kernel config lost:$missing (see $tmp/.config)"

make -C "$src" O="$tmp" ARCH=x86_64 -j"$(($(nproc) + 1))" bzImage modules_prepare \
	>>"$log" 2>&1 || die "building the $variant kernel failed (see $log)"
# A bzImage+modules_prepare tree has only vmlinux.symvers; modpost wants Module.symvers.
cp "$tmp/vmlinux.symvers" "$tmp/Module.symvers"
rm -rf "$out"
mv "$tmp" "$out"
note "$variant kernel built in $(($(date +%s) - start)) s"
echo "$out"
