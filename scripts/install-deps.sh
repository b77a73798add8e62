#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages gomem's commands need, when they are missing.
#
# usage: scripts/install-deps.sh [--no-distro]
#
# Needs root (or sudo) only when something is missing. --no-distro skips the
# packages for the Debian 6.1 smoke tests. Also fetches the stock and the
# PREEMPT_RT 6.1 kernel images matching the installed headers into the cache
# (apt-get download + dpkg -x).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

pkgs=(make gcc bc flex bison libelf-dev libssl-dev python3 rsync cpio kmod xz-utils
	qemu-system-x86 busybox-static linux-source-6.12 sparse perl dkms)
[ "${1:-}" = "--no-distro" ] || pkgs+=(linux-headers-amd64 linux-headers-rt-amd64)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ ${#missing[@]} -gt 0 ]; then
	note "installing missing packages: ${missing[*]}"
	$sudo apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
fi

[ "${1:-}" = "--no-distro" ] && exit 0

# The Debian kernel images matching the installed 6.1 headers, stock and
# PREEMPT_RT, for the smoke tests.
for flavour in stock rt; do
	rel=$(distro_kernel_release $flavour)
	dir="$GOMEM_CACHE/distro/$rel"
	[ -f "$dir/vmlinuz" ] && continue
	pkg="linux-image-$rel-unsigned"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/gomem-distro.XXXXXX")
	note "fetching $pkg"
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
