#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The torture test (make torture): build the test kernel (the debug variant
# unless told otherwise), gomem and torture/gomem_torture.ko, boot QEMU with
# 4 vCPUs, load gomem and run the torture module for DURATION_S seconds while
# a shell loop reads /proc/gomem, unload both (scripts/guest/torture.sh).
# Exit 0 only if the module reports result=PASS and the guest log is clean
# (vm-run.sh fails on WARNING, BUG, lockdep and similar reports).
#
# usage: scripts/torture.sh [DURATION_S [VARIANT [MODE]]]   (default 300 debug;
#        VARIANT is a build-kernel.sh variant: debug, kasan, kcsan, rt;
#        MODE is torture, the default, or race)
#
# MODE race is the racing-bad-free run instead (debug kernel only): gomem
# built with -DGOMEM_RACE_WINDOW and torture/gomem_race.ko, whose racer
# pairs free the same pointer at once while recyclers reuse span structures
# (scripts/guest/race.sh); gomem's one-time report warnings are expected
# there and dropped by scripts/race-log-filter.sh, nothing else.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

duration=${1:-300}
variant=${2:-debug}
mode=${3:-torture}
case "$duration" in
'' | *[!0-9]*) die "usage: torture.sh [DURATION_S [VARIANT [MODE]]]" ;;
esac
case "$mode" in
torture) ;;
race) [ "$variant" = debug ] || die "the race mode runs on the debug kernel only" ;;
*) die "MODE must be torture or race" ;;
esac
[ "$duration" -ge 1 ] || die "DURATION_S must be at least 1"

kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" "$variant")
# Build gomem and the torture module together in their own copy of the
# sources: build_modules() does not know torture/, so add it here.
out="$GOMEM_TOP/build/torture"
[ "$variant" = debug ] || out="$out-$variant"
kcflags=
if [ "$mode" = race ]; then
	out="$GOMEM_TOP/build/torture-race"
	kcflags=-DGOMEM_RACE_WINDOW
fi
mkdir -p "$out"
rsync -a --include='*/' --include='*.[ch]' --include=Kbuild --exclude='*' \
	"$GOMEM_TOP/gomem" "$GOMEM_TOP/torture" "$out/" || die "cannot copy sources to $out"
printf '%s\n' '# SPDX-License-Identifier: GPL-2.0' 'obj-m += gomem/' 'obj-m += torture/' >"$out/Kbuild"
make -C "$kdir" M="$out" W=1 KCFLAGS="$kcflags" modules >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log" >&2; die "building the modules against $kdir failed"; }
if grep -E 'warning:|error:' "$out/build.log" >&2; then
	die "the build has warnings (log: $out/build.log)"
fi
log="$GOMEM_TOP/build/torture-$variant.log"

if [ "$mode" = race ]; then
	log="$GOMEM_TOP/build/torture-race.log"
	start=$(date +%s)
	vmrc=0
	GOMEM_VM_LOG_FILTER="bash $GOMEM_TOP/scripts/race-log-filter.sh" \
		bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" \
		-s "$GOMEM_TOP/scripts/guest/race.sh" -p "duration=$duration" -l "$log" -c 4 \
		-m "$out/gomem/gomem.ko" -m "$out/torture/gomem_race.ko" \
		-t $((2 * duration + 300)) || vmrc=$?
	secs=$(($(date +%s) - start))
	grep -E "gomem-race: |^gomem_race " "$log" || true
	[ "$vmrc" -eq 0 ] || die "the VM run failed (log: $log)"
	! grep -q "gomem-race: result=FAIL" "$log" || die "the race run failed (log: $log)"
	[ "$(grep -c "gomem-race: result=PASS" "$log")" -eq 2 ] ||
		die "the race runs (default and debug=ZPU) did not both finish (log: $log)"
	note "race runs passed in ${secs}s (2 x ${duration}s, log: $log)"
	exit 0
fi

start=$(date +%s)
vmrc=0
bash "$GOMEM_TOP/scripts/vm-run.sh" -k "$kdir/arch/x86/boot/bzImage" \
	-s "$GOMEM_TOP/scripts/guest/torture.sh" -p "duration=$duration" -l "$log" -c 4 \
	-m "$out/gomem/gomem.ko" -m "$out/torture/gomem_torture.ko" \
	-t $((duration + 300)) || vmrc=$?
secs=$(($(date +%s) - start))
grep -E "gomem-torture: |^gomem_torture " "$log" | grep -v -e "taints kernel" -e "ops=" || true
summary=$(grep -Eo 'gomem-torture: ops=.*' "$log" | tail -n 1 || true)
[ "$vmrc" -eq 0 ] || die "the VM run failed (log: $log)"
if grep -q "gomem: unloading with" "$log"; then
	die "gomem reported leaked objects at unload (log: $log)"
fi
# A failed load runs the module again (busybox insmod's init_module()
# fallback): any FAIL counts, not only the last summary's.
! grep -q "gomem-torture: .*result=FAIL" "$log" || die "torture failed (log: $log)"
[[ "$summary" == *result=PASS* ]] || die "torture did not pass: ${summary:-no summary line} (log: $log)"
echo "$summary"
note "torture passed on the $variant kernel in ${secs}s (${duration}s run, log: $log)"
