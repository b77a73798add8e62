#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages gomem's commands need, when they are missing,
# and fetch the Debian 6.1 kernel images matching the installed headers into
# the cache (apt-get download + dpkg -x, no installation).
#
# usage: scripts/install-deps.sh [--run|--no-distro]
#
#   (none)       everything: make check, make bench, the heavy variants
#                (QEMU, the test kernel's source and build tools, sparse,
#                dkms, the stock and PREEMPT_RT 6.1 headers and images)
#   --run        what make run on Debian's stock kernel needs: QEMU,
#                busybox-static, cpio, kmod, make, gcc, rsync and
#                linux-headers-amd64, and the stock image; no linux-source-6.12
#                (about 150 MB), no PREEMPT_RT packages
#   --no-distro  what make run KERNEL=debug|bench needs: QEMU and the test
#                kernel's source and build tools, no Debian 6.1 package
#
# Needs root (or sudo) only when something is missing. Prints a line before
# each download, with its size.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

mode=${1:-all}
vm=(make gcc rsync cpio kmod qemu-system-x86 busybox-static)
test_kernel=(bc flex bison libelf-dev libssl-dev python3 perl xz-utils linux-source-6.12)
case "$mode" in
--run) pkgs=("${vm[@]}" linux-headers-amd64) flavours=(stock) ;;
--no-distro) pkgs=("${vm[@]}" "${test_kernel[@]}") flavours=() ;;
all)
	pkgs=("${vm[@]}" "${test_kernel[@]}" sparse dkms linux-headers-amd64 linux-headers-rt-amd64)
	flavours=(stock rt)
	;;
*) die "usage: install-deps.sh [--run|--no-distro]" ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt_flags=(-y -qq --no-install-recommends)
if [ ${#missing[@]} -gt 0 ]; then
	note "updating the package lists (apt-get update)"
	$sudo apt-get update -qq || die "apt-get update failed"
	# What apt will fetch: "'URI' FILE SIZE HASH" per package not in its cache.
	mb=$(apt-get install --print-uris "${apt_flags[@]}" "${missing[@]}" 2>/dev/null |
		awk '{ s += $3 } END { printf "%d", (s + 524288) / 1048576 }')
	note "installing ${#missing[@]} packages (${mb:-?} MB to download): ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install "${apt_flags[@]}" \
		"${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
fi

# The Debian kernel images matching the installed 6.1 headers, for make run
# and the smoke tests.
for flavour in "${flavours[@]}"; do
	rel=$(distro_kernel_release "$flavour")
	dir="$GOMEM_CACHE/distro/$rel"
	[ -f "$dir/vmlinuz" ] && continue
	pkg="linux-image-$rel-unsigned"
	size=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
		awk '/^Size:/ { printf "%d", ($2 + 524288) / 1048576; exit }')
	note "downloading the kernel image $pkg (${size:-?} MB) into $dir"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/gomem-distro.XXXXXX")
	(cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null) || {
		$sudo apt-get update -qq
		(cd "$tmp" && apt-get download -qq "$pkg" 2>/dev/null)
	} || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	dpkg -x "$tmp"/*.deb "$tmp/x" || { rm -rf "$tmp"; die "unpacking $pkg failed"; }
	mkdir -p "$dir.tmp"
	cp "$tmp/x/boot/vmlinuz-$rel" "$dir.tmp/vmlinuz"
	rm -rf "$tmp" "$dir"
	mv "$dir.tmp" "$dir"
done
