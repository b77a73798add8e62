# SPDX-License-Identifier: GPL-2.0
# The KUnit suites in QEMU as steps of a test run (make check, make
# check-<variant>): boot, run the guest scripts/guest/fault-inject.sh then
# scripts/guest/kunit.sh, cut the module's KTAP block out of the console,
# parse it with the kernel's kunit.py, count every case. Sourced, never run.
#
# Needs scripts/lib/common.sh and scripts/lib/steps.sh (logs, passed,
# failed), and from the caller KDIR (the kernel build tree, whose bzImage
# boots) and SRC (its source, for tools/testing/kunit/kunit.py).
# KUNIT_BUILD (the modules, default build/debug) and KUNIT_TIMEOUT (seconds,
# default 900) are for variants.sh; KUNIT_KFREE=1 runs debug mode's
# gomem_test_dropin_kernel_kfree (the kernel WARNs on it: set
# GOMEM_VM_LOG_FILTER to scripts/kfree-log-filter.sh with it).

# kunit_vm NAME [normal|debug]: the KUnit suites, gomem loaded normally or
# in debug mode (debug=ZPU, with the checks of scripts/guest/kunit.sh around
# the suites). Every case is counted (in kunit_ran, kunit_pass, kunit_fail,
# kunit_skip). Logs: NAME-console.log, NAME.ktap, NAME-parse.log.
kunit_vm() {
	local name=$1 mode=${2:-normal}
	local out ktap ktap_abs summary vm_rc parse_rc
	out=${KUNIT_BUILD:-$GOMEM_TOP/build/debug}
	bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$KDIR/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/fault-inject.sh" -s "$GOMEM_TOP/scripts/guest/kunit.sh" \
		-p "mode=$mode" -p "kfree=${KUNIT_KFREE:-0}" -l "$logs/$name-console.log" -m "$out/gomem/gomem.ko" \
		-m "$out/kunit/gomem_kunit.ko" -m "$out/samples/gomem_sample.ko" -t "${KUNIT_TIMEOUT:-900}"
	vm_rc=$?
	ktap="$logs/$name.ktap"
	sed -n '/^GOMEM-KTAP-BEGIN$/,/^GOMEM-KTAP-END$/p' "$logs/$name-console.log" |
		sed -n '/KTAP version/,$p' |
		grep -E '^ *(KTAP version|TAP version|[0-9]+\.\.[0-9]+|ok |not ok |# )' >"$ktap"
	ktap_abs=$(readlink -f "$ktap")
	(cd "$SRC" && python3 tools/testing/kunit/kunit.py parse "$ktap_abs") \
		>"$logs/$name-parse.log" 2>&1
	parse_rc=$?
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
	[ "$mode" = debug ] || kunit_fault_ran "$ktap"
}

# kunit_fault_ran KTAP: suite gomem_fault skips itself where page-allocation
# failures cannot be injected; on the debug kernel it must have run and
# passed, no case skipped.
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

# kunit_step NAME [normal|debug]: kunit_vm as a step, each case counted as
# a test (passed and failed); a run that fails with no failed case (the VM,
# the parse, gomem_fault) counts as one failure.
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
