#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every test of gomem (make check), ending with "N passed, N failed".
#
# Steps: install what is missing; regenerate the size classes and diff; the
# tests of scripts/gomemstat and scripts/gomem-pprof (fixtures); build
# the debug test kernel (cached); a W=1 build with no warning; the layering
# of gomem/*.c (from its objects); sparse (C=2) with no warning; checkpatch
# --strict and kernel-doc on every source; the scripts' syntax; the KUnit
# suites in QEMU, then again with gomem in debug mode (each case counts as
# one test); the sample client, the reload loop, /proc/gomem, the heap
# profile (converted with scripts/gomem-pprof), real modules
# switched to gomem (ext2, test_printf), a torture and a racing-bad-free run
# in QEMU; the Debian 6.1 smoke tests; DKMS. Logs go
# to build/check/. The step helpers are in scripts/lib/, the guest scripts
# in scripts/guest/.
#
# usage: scripts/check.sh
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$GOMEM_TOP/scripts/lib/steps.sh"
. "$GOMEM_TOP/scripts/lib/kunit.sh"

sources() {
	(cd "$GOMEM_TOP" && ls gomem/*.[ch] kunit/*.[ch] samples/*.[ch] bench/*.[ch] \
		torture/*.[ch] 2>/dev/null |
		grep -v '\.mod\.c$')
}

check_build_w1() {
	local out
	out=$(build_modules "$KDIR" debug W=1) || return 1
	if grep -E "warning:|error:" "$out/build.log"; then
		echo "the W=1 build has warnings"
		return 1
	fi
	ls "$out/gomem/gomem.ko" "$out/kunit/gomem_kunit.ko" "$out/samples/gomem_sample.ko" \
		"$out/bench/gomem_bench.ko"
}

check_sparse() {
	local out
	command -v sparse >/dev/null || { echo "sparse is not installed"; return 1; }
	out=$(build_modules "$KDIR" sparse C=2) || return 1
	if grep -E "warning:|error:" "$out/build.log"; then
		echo "sparse reports warnings"
		return 1
	fi
	echo "sparse: clean"
}

check_checkpatch() {
	local f bad=0
	for f in $(sources); do
		perl "$SRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
			-f "$GOMEM_TOP/$f" || bad=1
	done
	[ $bad -eq 0 ] && echo "checkpatch --strict: clean"
	return $bad
}

check_kernel_doc() {
	local out
	out=$(cd "$GOMEM_TOP" && perl "$SRC/scripts/kernel-doc" -none -Wall \
		gomem/gomem.h gomem/*.c 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
	echo "kernel-doc: clean"
}

# The scripts' syntax: bash -n on the programs and scripts/lib/, busybox sh -n
# on the guest scripts (they run under busybox sh), Python's py_compile on
# scripts/*.py; every lib and guest file opens with its SPDX tag, and the lib
# files say they are sourced.
check_shell() {
	local f bad=0
	for f in "$GOMEM_TOP"/scripts/*.sh "$GOMEM_TOP"/scripts/lib/*.sh "$GOMEM_TOP"/.ci/run; do
		bash -n "$f" || bad=1
	done
	for f in "$GOMEM_TOP"/scripts/guest/*.sh "$GOMEM_TOP"/scripts/guest/init; do
		/bin/busybox sh -n "$f" || bad=1
	done
	for f in "$GOMEM_TOP"/scripts/*.py "$GOMEM_TOP"/scripts/gomemstat; do
		python3 -m py_compile "$f" || bad=1
	done
	for f in "$GOMEM_TOP"/scripts/lib/*.sh "$GOMEM_TOP"/scripts/guest/*.sh; do
		head -n 1 "$f" | grep -qx '# SPDX-License-Identifier: GPL-2.0' ||
			{ echo "$f: line 1 is not the SPDX tag"; bad=1; }
	done
	sed -n 2p "$GOMEM_TOP/scripts/guest/init" | grep -qx '# SPDX-License-Identifier: GPL-2.0' ||
		{ echo "scripts/guest/init: line 2 is not the SPDX tag"; bad=1; }
	for f in "$GOMEM_TOP"/scripts/lib/*.sh; do
		head -n 8 "$f" | grep -q 'Sourced, never run\.' ||
			{ echo "$f: does not say \"Sourced, never run.\""; bad=1; }
	done
	[ $bad -eq 0 ] && echo "shell and python syntax, headers: ok"
	return $bad
}

# make bench-insns's QEMU plugin builds without a warning, and its decoder
# (locked instructions, markers) passes its own test program.
check_plugin() {
	build_insns_plugin && "$GOMEM_TOP/build/plugin/insns-test"
}

# dkms.conf builds gomem.ko for the Debian 6.1 kernel, in a private DKMS tree.
check_dkms() {
	local tmp rel ver rc=0
	rel=$(distro_kernel_release)
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$GOMEM_TOP/dkms.conf")
	tmp=$(mktemp -d)
	mkdir -p "$tmp/src/gomem-$ver" "$tmp/tree"
	(cd "$GOMEM_TOP" && tar -c --exclude=./build --exclude=./.git . | tar -x -C "$tmp/src/gomem-$ver")
	dkms add -m gomem -v "$ver" --sourcetree "$tmp/src" --dkmstree "$tmp/tree" &&
		dkms build -m gomem -v "$ver" -k "$rel" --sourcetree "$tmp/src" \
			--dkmstree "$tmp/tree" || rc=1
	[ $rc -eq 0 ] && find "$tmp/tree" -name 'gomem.ko*' | grep -q . || rc=1
	rm -rf "$tmp"
	return $rc
}

# Load and unload gomem with the sample client 50 times: the kernel's free
# memory must come back (scripts/guest/reload.sh says how it is measured).
reload_vm() {
	local out="$GOMEM_TOP/build/debug"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/reload.sh" -l "$logs/reload-console.log" \
		-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 600 || return 1
	grep GOMEM-RELOAD "$logs/reload-console.log"
	! grep -q "gomem_sample: failed\|gomem: unloading with" "$logs/reload-console.log"
}

# The heap profile in the guest (scripts/guest/heap.sh), then on the host:
# the profile it printed converted by scripts/gomem-pprof (build/check/heap.txt,
# heap.pb.gz; make pprof-check reads it with Go's pprof when it is there).
heap_vm() {
	local out="$GOMEM_TOP/build/debug"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/heap.sh" -l "$logs/heap-console.log" \
		-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300 || return 1
	grep GOMEM-HEAP-OK "$logs/heap-console.log" || return 1
	sed -n '/^GOMEM-HEAP-BEGIN$/,/^GOMEM-HEAP-END$/p' "$logs/heap-console.log" |
		sed '1d;$d' | tr -d '\r' >"$logs/heap.txt"
	python3 "$GOMEM_TOP/scripts/gomem-pprof" -o "$logs/heap.pb.gz" "$logs/heap.txt" || return 1
	echo "heap.txt: $(grep -c ' @ ' "$logs/heap.txt") records; heap.pb.gz: $(stat -c %s "$logs/heap.pb.gz") bytes"
}

# /proc/gomem as users meet it: mode, header, odd reads, writes, no addresses,
# module parameters (scripts/guest/proc.sh).
proc_vm() {
	local out="$GOMEM_TOP/build/debug"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/proc.sh" -l "$logs/proc-console.log" \
		-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300 || return 1
	grep -q GOMEM-PROC-OK "$logs/proc-console.log"
}

steps_start "make check" "$GOMEM_TOP/build/check"
step deps bash "$GOMEM_TOP/scripts/install-deps.sh" || {
	steps_end "make check"
	exit 1
}
step sizeclasses python3 "$GOMEM_TOP/scripts/mksizeclasses.py" --check
step gomemstat python3 "$GOMEM_TOP/scripts/test_gomemstat.py"
step gomem-pprof python3 "$GOMEM_TOP/scripts/test_gomem_pprof.py"
step plugin check_plugin
if step kernel bash "$GOMEM_TOP/scripts/build-kernel.sh" debug; then
	KDIR=$(tail -n 1 "$logs/kernel.log")
	SRC=$(linux_source_dir)
	step build-w1 check_build_w1
	# Each gomem/*.c uses only gomem_ symbols of files below its level: read
	# from the objects the W=1 build left in build/debug/gomem.
	step layers python3 "$GOMEM_TOP/scripts/check-layers.py" "$GOMEM_TOP/build/debug/gomem"
	step sparse check_sparse
	step checkpatch check_checkpatch
	step kernel-doc check_kernel_doc
	step scripts check_shell
	kunit_step kunit
	KUNIT_KFREE=1 GOMEM_VM_LOG_FILTER="bash $GOMEM_TOP/scripts/kfree-log-filter.sh" \
		kunit_step kunit-debug debug
	step sample-vm bash "$GOMEM_TOP/scripts/run.sh" debug
	step reload-vm reload_vm
	step proc-vm proc_vm
	step heap-vm heap_vm
	# Real modules on gomem: ext2 and test_printf from the 6.12 source (scripts/dropin.sh).
	step dropin-vm bash "$GOMEM_TOP/scripts/dropin.sh" 1000
	step torture-60s bash "$GOMEM_TOP/scripts/torture.sh" 60
	step race-20s bash "$GOMEM_TOP/scripts/torture.sh" 20 debug race
else
	step_skipped "every kernel-dependent check skipped: the test kernel did not build"
fi
step distro-6.1 bash "$GOMEM_TOP/scripts/smoke-distro.sh"
step distro-6.1-rt bash "$GOMEM_TOP/scripts/smoke-distro.sh" rt
step dkms check_dkms

steps_end "make check"
