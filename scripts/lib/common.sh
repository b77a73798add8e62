# SPDX-License-Identifier: GPL-2.0
# Shared helpers for gomem's scripts: cache locations, the kernel source, the
# Debian 6.1 kernels, module builds, errors. Sourced, never run.

GOMEM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GOMEM_CACHE=${GOMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gomem}
LINUX_SOURCE_TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}

die() {
	echo "gomem: error: $*" >&2
	exit 1
}

note() {
	echo "gomem: $*" >&2
}

# The Debian package version of linux-source-6.12, e.g. 6.12.57-1~deb12u1.
linux_source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed (run scripts/install-deps.sh)"
}

# Print the extracted kernel source directory, extracting it once.
# Extraction goes to a temporary folder renamed when complete.
linux_source_dir() {
	local ver dir tmp
	ver=$(linux_source_version) || exit 1
	dir="$GOMEM_CACHE/src/linux-${ver//[~:]/_}"
	if [ ! -f "$dir/Makefile" ]; then
		[ -f "$LINUX_SOURCE_TARBALL" ] || die "missing $LINUX_SOURCE_TARBALL"
		mkdir -p "$GOMEM_CACHE/src"
		tmp=$(mktemp -d "$GOMEM_CACHE/src/.extract.XXXXXX")
		note "extracting $LINUX_SOURCE_TARBALL (about 20 s)"
		tar -C "$tmp" -xf "$LINUX_SOURCE_TARBALL" ||
			{ rm -rf "$tmp"; die "extracting $LINUX_SOURCE_TARBALL failed"; }
		rm -rf "$dir"
		mv "$tmp"/linux-source-6.12 "$dir" || die "cannot move source into $dir"
		rm -rf "$tmp"
	fi
	echo "$dir"
}

# Debian's 6.1 kernel of flavour $1 (stock, the default, or rt for PREEMPT_RT):
# the version whose headers are installed, e.g. 6.1.0-56-amd64 or 6.1.0-56-rt-amd64.
distro_kernel_release() {
	local d
	if [ "${1:-stock}" = rt ]; then
		d=$(ls -d /usr/src/linux-headers-*-rt-amd64 2>/dev/null | sort -V | tail -n 1)
	else
		d=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | grep -v -- '-rt-' |
			sort -V | tail -n 1)
	fi
	[ -n "$d" ] || die "no linux-headers-*-amd64 (${1:-stock}) installed (run scripts/install-deps.sh)"
	basename "$d" | sed 's/^linux-headers-//'
}

# Build gomem's modules for the kernel build tree $1 in $GOMEM_TOP/build/$2,
# a copy of the sources (so builds for several kernels do not mix). Extra
# make arguments follow. Prints the build directory.
build_modules() {
	local kdir=$1 name=$2 out
	shift 2
	out="$GOMEM_TOP/build/$name"
	mkdir -p "$out"
	# Sources only: an in-tree build's *.mod or *.cmd files would point at its objects.
	rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
		"$GOMEM_TOP/Kbuild" "$GOMEM_TOP/gomem" "$GOMEM_TOP/kunit" "$GOMEM_TOP/samples" \
		"$GOMEM_TOP/bench" "$GOMEM_TOP/torture" \
		"$out/" || die "cannot copy sources to $out"
	make -C "$kdir" M="$out" "$@" modules >"$out/build.log" 2>&1 ||
		{ cat "$out/build.log" >&2; die "building the modules against $kdir failed"; }
	echo "$out"
}
