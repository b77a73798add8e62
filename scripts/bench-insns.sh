#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-insns: gomem against SLUB in exact guest instructions, and
# locked instructions, per operation.
#
# Boots the bench test kernel in QEMU with -icount shift=0,sleep=off and one
# vCPU (vm-run.sh -i) and the project's TCG plugin (bench/plugin/insns.c,
# built here), and runs gomem_bench marks=1 on the single-CPU scenarios: every
# timed run lies between two markers, the plugin counts the instructions and
# the locked ones between them, and the bench prints which run each region
# was. The bench's own ns figures are instruction counts too (one ns per
# instruction); the plugin's add the locked ones. The plugin's own test comes
# first: 1000 rounds of "lock incl" and "xchg" with memory must count 2000.
# The kernel boots with noreplace-smp: on one possible CPU it would otherwise
# patch the LOCK prefixes of its atomics (and gomem's) into plain prefixes
# (SMP alternatives), and no locked instruction would be left to count.
#
# usage: scripts/bench-insns.sh [gomem_bench parameter=value...]
#   (default only=fast,batch,mixed,tiny,floor,bulk repeats=3 budget_ms=20)
#   GOMEM_BENCH_TRACE=1 in the environment: with the tracepoints gomem:* and
#   kmem:kmalloc, kmem:kfree on (their cost when on).
#   GOMEM_BENCH_GOMEM_PARAMS="profile_rate=524288" in the environment: gomem
#   loaded with those parameters (the heap profile's cost when on).
#   GOMEM_INSNS_PROFILE=N in the environment: also where the instructions
#   went, the N functions that ran most per operation in each run kind
#   (scripts/insns-profile.py; build/bench-insns-profile.txt).
# Writes build/bench-insns.txt (the table: scenario, size, allocator,
# instructions and locked instructions per operation, medians of the
# repeats) and build/bench-insns.log, build/bench-insns-plugin.log.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

params=(only=fast,batch,mixed,tiny,floor,bulk repeats=3 budget_ms=20 "$@" marks=1)
kdir=$(bash "$GOMEM_TOP/scripts/build-kernel.sh" bench | tail -n 1)
out=$(BUILD_DIRS="gomem bench" build_modules "$kdir" bench-build)
build_insns_plugin || die "cannot build the QEMU plugin"
plugin=$GOMEM_TOP/build/plugin/gomem-insns.so

log=$GOMEM_TOP/build/bench-insns.log
plog=$GOMEM_TOP/build/bench-insns-plugin.log
txt=$GOMEM_TOP/build/bench-insns.txt
rm -f "$plog"
pcs= syms=0
if [ -n "${GOMEM_INSNS_PROFILE:-}" ]; then
	pcs=,pcs=on syms=1
fi
note "counting instructions on the bench kernel (${params[*]}), log in $log"
bash "$GOMEM_TOP/scripts/vm-run.sh" -i -x -plugin -x "$plugin$pcs" \
	-x -d -x plugin -x -D -x "$plog" \
	-k "$kdir/arch/x86/boot/bzImage" -s "$GOMEM_TOP/scripts/guest/bench.sh" \
	-p "params=${params[*]}" -p tiny_off=0 -p "trace=${GOMEM_BENCH_TRACE:-0}" \
	-p "gomem_params=${GOMEM_BENCH_GOMEM_PARAMS:-}" -p "syms=$syms" \
	-l "$log" -M 1024 -t 3600 -a "quiet noreplace-smp" \
	-m "$out/gomem/gomem.ko" -m "$out/bench/gomem_bench.ko"
grep -q 'bench-done:' "$log" || die "no bench-done line (log: $log)"

# Region N of the plugin is the N-th bench-region line; medians per run kind.
awk '
FNR == NR {
	if ($1 == "gomem-insns") {
		split($2, a, "="); split($3, b, "="); split($4, c, "=")
		insns[a[2]] = b[2]; locked[a[2]] = c[2]
	}
	next
}
{
	sub(/^\[[ 0-9.]*\] /, "")
	if ($1 != "bench-region") next
	n = $2; sub(/:$/, "", n)
	ops = $NF; sub(/^ops=/, "", ops)
	key = $3 " " $4 " " $5; for (i = 6; i < NF; i++) key = key "_" $i
	if (!(n in insns)) { print "missing region " n > "/dev/stderr"; bad = 1; next }
	k = ++cnt[key]; order[key] = order[key] ? order[key] : ++nkeys; keys[order[key]] = key
	ipo[key, k] = insns[n] / ops; lpo[key, k] = locked[n] / ops
	if ($3 == "selftest" && locked[n] != 2000) {
		print "plugin selftest: " locked[n] " locked instructions, want 2000" > "/dev/stderr"
		bad = 1
	}
}
function med(arr, key, n,   i, j, v, t) {
	for (i = 1; i <= n; i++) v[i] = arr[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((n + 1) / 2)]
}
END {
	printf "%-10s %7s %-18s %12s %10s\n", "scenario", "size", "allocator", "insns/op", "locked/op"
	for (i = 1; i <= nkeys; i++) {
		split(keys[i], f, " ")
		printf "%-10s %7s %-18s %12.1f %10.3f\n", f[1], f[2], f[3], med(ipo, keys[i], cnt[keys[i]]), med(lpo, keys[i], cnt[keys[i]])
	}
	exit bad
}' "$plog" "$log" >"$txt" || die "joining the plugin's regions failed (see $plog, $log)"
cat "$txt"
if [ -n "${GOMEM_INSNS_PROFILE:-}" ]; then
	python3 "$GOMEM_TOP/scripts/insns-profile.py" --top "$GOMEM_INSNS_PROFILE" "$plog" "$log" \
		"$kdir/System.map" >"$GOMEM_TOP/build/bench-insns-profile.txt" ||
		die "summing the profile failed"
	cat "$GOMEM_TOP/build/bench-insns-profile.txt"
fi
note "per operation: an alloc+free pair (fast, floor), one object (batch, mixed); in $txt"
