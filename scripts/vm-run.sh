#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in QEMU with a busybox initramfs holding modules and a guest
# script, capture the console, and judge the log.
#
# usage: scripts/vm-run.sh -k BZIMAGE -s GUEST_SCRIPT [-s GUEST_SCRIPT]...
#                          [-p NAME=VALUE]... -l LOG [-m MODULE.ko]...
#                          [-c CPUS] [-M MEM_MB] [-t TIMEOUT_S] [-a "kernel args"] [-i]
#                          [-x QEMU_ARG]...
#
# -i counts instructions: QEMU runs one vCPU with -icount shift=0,sleep=off,
# so the guest clock advances one nanosecond per guest instruction and any
# time the guest measures is an exact, repeatable instruction count.
# -x adds one argument to QEMU's command line (e.g. -x -plugin -x FILE.so).
#
# GOMEM_VM_ARGS in the environment adds kernel arguments to every run (-a adds
# its own after them).
# The guest script is made of one line NAME='VALUE' per -p (the guest files'
# parameters), then the -s files in order (usually from scripts/guest/); a
# copy is kept next to the log as LOG without .log plus .guest.sh. The
# guest's /init (scripts/guest/init) runs it with /bin/sh (busybox) from /
# where the modules lie, then prints "GOMEM-VM-DONE rc=<status>" and powers off.
# Exit 0 only when the marker shows rc=0, QEMU ended in time and the log holds
# none of the kernel's error reports (BUG:, WARNING:, Call Trace, Oops, panic,
# lockdep and atomic-sleep reports). Reused by check, run, bench and torture.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kernel= log= cpus=${GOMEM_VM_CPUS:-4} mem=1024 tmo=600 args=${GOMEM_VM_ARGS:-}
modules=() scripts=() params=() accel=(-accel tcg,thread=multi) extra=()
while getopts "k:s:p:l:m:c:M:t:a:ix:" o; do
	case "$o" in
	k) kernel=$OPTARG ;;
	s) scripts+=("$OPTARG") ;;
	p) params+=("$OPTARG") ;;
	l) log=$OPTARG ;;
	m) modules+=("$OPTARG") ;;
	c) cpus=$OPTARG ;;
	M) mem=$OPTARG ;;
	t) tmo=$OPTARG ;;
	a) args="$args $OPTARG" ;;
	i) accel=(-accel tcg -icount shift=0,sleep=off) ;;
	x) extra+=("$OPTARG") ;;
	*) die "vm-run.sh: bad option" ;;
	esac
done
[ -f "$kernel" ] || die "vm-run.sh: no kernel image '$kernel'"
[ "${accel[2]:-}" != -icount ] || cpus=1	# icount is exact with one vCPU only
[ ${#scripts[@]} -gt 0 ] || die "vm-run.sh: no guest script given (-s)"
for s in "${scripts[@]}"; do
	[ -f "$s" ] || die "vm-run.sh: no guest script '$s'"
done
for p in "${params[@]}"; do
	[[ "$p" =~ ^[a-z_][a-z0-9_]*= ]] || die "vm-run.sh: bad guest parameter '$p' (want name=value)"
done
[ -n "$log" ] || die "vm-run.sh: no log file given (-l)"
busybox=/bin/busybox
[ -x "$busybox" ] || die "busybox-static is not installed (run scripts/install-deps.sh)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86 is not installed"

work=$(mktemp -d /tmp/gomem-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "vm-run.sh: no module '$m'"
	cp "$m" "$root/"
done
# The parameters single-quoted for the guest's sh, then the files.
{
	for p in "${params[@]}"; do
		v=${p#*=}
		printf "%s='%s'\n" "${p%%=*}" "${v//\'/\'\\\'\'}"
	done
	cat "${scripts[@]}"
} >"$root/test.sh"
cp "$root/test.sh" "${log%.log}.guest.sh"
cp "$GOMEM_TOP/scripts/guest/init" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

start=$(date +%s)
rc=0
timeout -k 10 "$tmo" qemu-system-x86_64 "${accel[@]}" ${extra[@]+"${extra[@]}"} -cpu max \
	-smp "$cpus" -m "$mem" -nographic -no-reboot -monitor none \
	-kernel "$kernel" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 panic=-1 oops=panic $args" \
	</dev/null >"$log" 2>&1 || rc=$?
secs=$(($(date +%s) - start))
tr -d '\r' <"$log" >"$work/log" && cp "$work/log" "$log"

[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] ||
	die "QEMU timed out after ${tmo}s (log: $log)"
[ "$rc" -eq 0 ] || die "QEMU exited with status $rc (log: $log)"
bad='BUG:|WARNING:|Call Trace|Oops|Kernel panic|kernel BUG at|general protection fault'
bad="$bad|possible recursive locking|inconsistent lock state|circular locking dependency"
bad="$bad|possible circular|INFO: possible|lock held when returning|Invalid wait context"
bad="$bad|sleeping function called from invalid context|scheduling while atomic"
bad="$bad|UBSAN:|KASAN:|KCSAN:|kmemleak:.*new suspected|RCU stall|soft lockup|blocked for more than"
# GOMEM_VM_LOG_FILTER: a command the log goes through before it is judged
# (make check-kcsan drops kernel-internal KCSAN reports with it); the log file
# itself keeps everything.
judged=$log
if [ -n "${GOMEM_VM_LOG_FILTER:-}" ]; then
	$GOMEM_VM_LOG_FILTER <"$log" >"$work/judged" || die "the log filter failed (log: $log)"
	judged=$work/judged
fi
if grep -En "$bad" "$judged" >"$work/bad"; then
	echo "gomem: error: the guest log reports a kernel error (log: $log):" >&2
	head -n 20 "$work/bad" >&2
	exit 1
fi
grep -q '^GOMEM-VM-DONE rc=0$' "$log" || {
	grep -q '^GOMEM-VM-DONE' "$log" &&
		die "the guest script failed: $(grep '^GOMEM-VM-DONE' "$log") (log: $log)"
	die "the guest never finished: no GOMEM-VM-DONE marker (log: $log)"
}
note "VM run passed in ${secs}s ($cpus vCPUs, log: $log)"
