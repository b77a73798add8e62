# SPDX-License-Identifier: GPL-2.0
# Guest: the KUnit suites (make check's kunit and kunit-debug steps, see
# kunit_vm in scripts/lib/kunit.sh). Loads gomem, then gomem_kunit.ko, whose
# suites run at load and print KTAP on the console; unloads both.
#
# gomem is loaded with retain_kb=4096, the floor the suites were written for
# (gomem_memory's scavenger cases lower it for themselves).
#
# Parameter: mode=normal, or mode=debug: gomem is loaded with debug=ZPU, and
# around the suites come the debug-mode checks: before, a bad debug letter
# (debug=X) must fail the load with its error; after, three objects leaked by
# the sample client (leak=3) must be listed with their allocation site,
# sample_leak, when gomem unloads.
#
# Parameter kfree=1 (debug mode only): gomem_kunit.ko gets kernel_kfree=1,
# so that gomem_test_dropin_kernel_kfree runs (the kernel WARNs once on it;
# make check's kunit-debug step drops that WARN with
# scripts/kfree-log-filter.sh).
#
# Markers: GOMEM-KTAP-BEGIN and GOMEM-KTAP-END around the suites' KTAP
# block; in debug mode "GOMEM-DEBUG-LEAKS listed=N" (N must be 3).
case "$mode" in
normal) params= ;;
debug) params=debug=ZPU ;;
*) echo "kunit.sh: bad mode '$mode'"; exit 1 ;;
esac
if [ "$mode" = debug ]; then
	if insmod /gomem.ko debug=X; then echo "debug=X loaded"; exit 1; fi
	dmesg | grep -q "debug=X: unknown letter" || { echo "no message for debug=X"; exit 1; }
fi
insmod /gomem.ko retain_kb=4096 $params || exit 1
echo GOMEM-KTAP-BEGIN
kparams=
[ "$mode" = debug ] && [ "${kfree:-0}" = 1 ] && kparams=kernel_kfree=1
insmod /gomem_kunit.ko $kparams || exit 1
echo GOMEM-KTAP-END
rmmod gomem_kunit || exit 1
if [ "$mode" = debug ]; then
	insmod /gomem_sample.ko nr_objects=200 rounds=1 leak=3 || exit 1
	rmmod gomem_sample || exit 1
	rmmod gomem || exit 1
	n=$(dmesg | grep -c "leaked object .* allocated by sample_leak")
	echo "GOMEM-DEBUG-LEAKS listed=$n"
	[ "$n" -eq 3 ] || exit 1
	# Its kept objects freed through RCU at unload are not leaks.
	dmesg | grep -q "module gomem_sample unloads with 3 objects" || exit 1
fi
[ ! -d /sys/module/gomem ] || rmmod gomem || exit 1
