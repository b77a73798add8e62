#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every test of gomem (make check), ending with "N passed, N failed".
#
# Steps: install what is missing; regenerate the size classes and diff; build
# the debug test kernel (cached); a W=1 build with no warning; sparse (C=2)
# with no warning; checkpatch --strict and kernel-doc on every source; the
# KUnit suites in QEMU, then again with gomem in debug mode (each case counts
# as one test); the sample client in QEMU; the Debian 6.1 smoke test. Logs
# go to build/check/.
#
# usage: scripts/check.sh
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

# scripts/variants.sh sources this file for kunit_vm with GOMEM_CHECK_LOGS set:
# then only the functions are defined, and logs go there.
logs=${GOMEM_CHECK_LOGS:-$GOMEM_TOP/build/check}
rm -rf "$logs"
mkdir -p "$logs"
passed=0
failed=0
start_all=$(date +%s)

# step NAME COMMAND...: run one check, its output in build/check/NAME.log.
step() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	"$@" >"$logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %-14s %4ss\n' "$name" "$(($(date +%s) - t0))"
	else
		failed=$((failed + 1))
		printf 'FAIL %-14s %4ss  (log: %s)\n' "$name" "$(($(date +%s) - t0))" "$logs/$name.log"
		tail -n 15 "$logs/$name.log" | sed 's/^/     | /'
	fi
	return $rc
}

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

check_shell() {
	local f
	for f in "$GOMEM_TOP"/scripts/*.sh "$GOMEM_TOP"/.ci/run; do
		bash -n "$f" || return 1
	done
	python3 -m py_compile "$GOMEM_TOP/scripts/mksizeclasses.py" || return 1
	echo "shell and python syntax: ok"
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

# kunit_vm NAME [GOMEM_PARAMS [GUEST_BEFORE [GUEST_AFTER]]]: the KUnit suites.
# Boot, load gomem with GOMEM_PARAMS, load the suites, extract the module's
# KTAP block, parse it with the kernel's kunit.py; every case is counted (in
# kunit_ran, kunit_pass, kunit_fail, kunit_skip). GUEST_BEFORE runs in the
# guest before gomem is loaded, GUEST_AFTER once the suites are unloaded,
# gomem still loaded. Logs: NAME-console.log, NAME.ktap, NAME-parse.log.
# KUNIT_BUILD (the modules, default build/debug) and KUNIT_TIMEOUT (seconds,
# default 900) are for variants.sh.
kunit_vm() {
	local name=$1 params=${2:-} before=${3:-} after=${4:-}
	local out guest ktap ktap_abs summary
	out=${KUNIT_BUILD:-$GOMEM_TOP/build/debug}
	guest="$logs/$name-guest.sh"
	{
		cat <<'GUEST'
# Suite gomem_fault: page allocations fail for tasks with make_it_fail set,
# and for no other (task-filter goes first; probability, which arms it, last).
fi=/sys/kernel/debug/fail_page_alloc
if [ -d $fi ]; then
	echo Y >$fi/task-filter && echo N >$fi/ignore-gfp-wait &&
		echo N >$fi/ignore-gfp-highmem && echo 0 >$fi/min-order &&
		echo 0 >$fi/verbose && echo 0 >$fi/space && echo 1 >$fi/interval &&
		echo -1 >$fi/times && echo 100 >$fi/probability || exit 1
fi
GUEST
		printf '%s\n' "$before"
		printf 'insmod /gomem.ko %s || exit 1\n' "$params"
		cat <<'GUEST'
echo GOMEM-KTAP-BEGIN
insmod /gomem_kunit.ko || exit 1
echo GOMEM-KTAP-END
rmmod gomem_kunit || exit 1
GUEST
		printf '%s\n' "$after"
		echo '[ ! -d /sys/module/gomem ] || rmmod gomem || exit 1'
	} >"$guest"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" -s "$guest" \
		-l "$logs/$name-console.log" -m "$out/gomem/gomem.ko" \
		-m "$out/kunit/gomem_kunit.ko" -m "$out/samples/gomem_sample.ko" -t "${KUNIT_TIMEOUT:-900}"
	local vm_rc=$?
	ktap="$logs/$name.ktap"
	sed -n '/^GOMEM-KTAP-BEGIN$/,/^GOMEM-KTAP-END$/p' "$logs/$name-console.log" |
		sed -n '/KTAP version/,$p' |
		grep -E '^ *(KTAP version|TAP version|[0-9]+\.\.[0-9]+|ok |not ok |# )' >"$ktap"
	ktap_abs=$(readlink -f "$ktap")
	(cd "$SRC" && python3 tools/testing/kunit/kunit.py parse "$ktap_abs") \
		>"$logs/$name-parse.log" 2>&1
	local parse_rc=$?
	cat "$logs/$name-parse.log"
	summary=$(grep -Eo 'Ran [0-9]+ tests: passed: [0-9]+(, failed: [0-9]+)?(, skipped: [0-9]+)?' \
		"$logs/$name-parse.log" | tail -n 1)
	kunit_ran=$(echo "$summary" | sed -n 's/^Ran \([0-9]*\) tests.*/\1/p')
	kunit_pass=$(echo "$summary" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
	kunit_fail=$(echo "$summary" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	kunit_skip=$(echo "$summary" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
	: "${kunit_ran:=0}" "${kunit_pass:=0}" "${kunit_fail:=0}" "${kunit_skip:=0}"
	[ "$kunit_ran" -gt 0 ] || { echo "no KUnit case ran"; return 1; }
	[ $vm_rc -eq 0 ] && [ $parse_rc -eq 0 ] && [ "$kunit_fail" -eq 0 ] || return 1
	# The fault suite skips itself in debug mode; the normal pass must run it.
	[ -n "$params" ] || kunit_fault_ran "$ktap"
}

# Suite gomem_fault skips itself where page-allocation failures cannot be
# injected; on the debug kernel it must have run and passed, no case skipped.
kunit_fault_ran() {
	local block
	block=$(awk '/^ *# Subtest: gomem_fault$/ { on = 1 } on { print }
		on && /^(not )?ok [0-9]+ gomem_fault( |$)/ { exit }' "$1")
	[ -n "$block" ] || { echo "suite gomem_fault did not run"; return 1; }
	if grep -q '# SKIP' <<<"$block"; then
		echo "suite gomem_fault skipped cases (fault injection not armed?):"
		grep '# SKIP' <<<"$block"
		return 1
	fi
	grep -Eq '^ok [0-9]+ gomem_fault$' <<<"$block" || { echo "suite gomem_fault failed"; return 1; }
	echo "suite gomem_fault ran: $(grep -Ec '^    ok [0-9]+ ' <<<"$block") cases passed, none skipped"
}

# The debug-mode pass: a bad debug letter fails the load; after the suites,
# objects leaked by the sample client are listed with their owner at unload.
KUNIT_DEBUG_BEFORE='if insmod /gomem.ko debug=X; then echo "debug=X loaded"; exit 1; fi
dmesg | grep -q "debug=X: unknown letter" || { echo "no message for debug=X"; exit 1; }'
KUNIT_DEBUG_AFTER='insmod /gomem_sample.ko nr_objects=200 rounds=1 leak=3 || exit 1
rmmod gomem_sample || exit 1
rmmod gomem || exit 1
n=$(dmesg | grep -c "leaked object .* allocated by sample_leak")
echo "GOMEM-DEBUG-LEAKS listed=$n"
[ "$n" -eq 3 ] || exit 1'

# kunit_step NAME [GOMEM_PARAMS [GUEST_BEFORE [GUEST_AFTER]]]: kunit_vm as a
# step of make check, each case counted as a test.
kunit_step() {
	local name=$1 t0 rc
	kunit_ran=0 kunit_pass=0 kunit_fail=0 kunit_skip=0
	if [ ! -f "${KUNIT_BUILD:-$GOMEM_TOP/build/debug}/kunit/gomem_kunit.ko" ]; then
		failed=$((failed + 1))
		printf 'FAIL %-14s no gomem_kunit.ko was built\n' "$name"
		return
	fi
	t0=$(date +%s)
	if kunit_vm "$@" >"$logs/$name.log" 2>&1; then rc=0; else rc=1; fi
	passed=$((passed + kunit_pass))
	failed=$((failed + kunit_fail))
	printf '%s %-14s %4ss  %s cases: %s passed, %s failed, %s skipped\n' \
		"$([ $rc -eq 0 ] && echo PASS || echo FAIL)" "$name" "$(($(date +%s) - t0))" \
		"$kunit_ran" "$kunit_pass" "$kunit_fail" "$kunit_skip"
	if [ $rc -ne 0 ]; then
		[ "$kunit_fail" -gt 0 ] || failed=$((failed + 1))
		grep -E "not ok|FAILED|error" "$logs/$name.log" | head -n 20 | sed 's/^/     | /'
		echo "     | (log: $logs/$name.log, console: $logs/$name-console.log)"
	fi
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

# /proc/gomem as users meet it: mode, header, odd reads, writes, no addresses,
# module parameters (scripts/guest/proc.sh).
proc_vm() {
	local out="$GOMEM_TOP/build/debug"
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/proc.sh" -l "$logs/proc-console.log" \
		-m "$out/gomem/gomem.ko" -m "$out/samples/gomem_sample.ko" -t 300 || return 1
	grep -q GOMEM-PROC-OK "$logs/proc-console.log"
}

[ -z "${GOMEM_CHECK_LOGS:-}" ] || return 0
echo "gomem: make check ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
step deps bash "$GOMEM_TOP/scripts/install-deps.sh" || {
	echo "$passed passed, $((failed)) failed"
	exit 1
}
step sizeclasses python3 "$GOMEM_TOP/scripts/mksizeclasses.py" --check
step gomemstat python3 "$GOMEM_TOP/scripts/test_gomemstat.py"
if step kernel bash "$GOMEM_TOP/scripts/build-kernel.sh" debug; then
	KDIR=$(tail -n 1 "$logs/kernel.log")
	SRC=$(linux_source_dir)
	step build-w1 check_build_w1
	step sparse check_sparse
	step checkpatch check_checkpatch
	step kernel-doc check_kernel_doc
	step scripts check_shell
	kunit_step kunit
	kunit_step kunit-debug debug=ZPU "$KUNIT_DEBUG_BEFORE" "$KUNIT_DEBUG_AFTER"
	step sample-vm bash "$GOMEM_TOP/scripts/run.sh" debug
	step reload-vm reload_vm
	step proc-vm proc_vm
	step torture-60s bash "$GOMEM_TOP/scripts/torture.sh" 60
else
	failed=$((failed + 1))
	echo "FAIL (every kernel-dependent check skipped: the test kernel did not build)"
fi
step distro-6.1 bash "$GOMEM_TOP/scripts/smoke-distro.sh"
step distro-6.1-rt bash "$GOMEM_TOP/scripts/smoke-distro.sh" rt
step dkms check_dkms

echo "gomem: make check took $(($(date +%s) - start_all))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
