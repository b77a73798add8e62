#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gomem on the heavy test kernels (make check-kasan, check-kcsan, check-rt),
# ending with "N passed, N failed" like make check. Logs go to build/check-<variant>/.
#
#   kasan  generic KASAN, kmemleak and lockdep: the KUnit suites and a 60 s torture
#   kcsan  KCSAN: a 60 s torture and the KUnit suites; every data race it
#          reports fails the run, except the kernel-internal ones allowed below
#   rt     PREEMPT_RT with lockdep and PROVE_RAW_LOCK_NESTING: the KUnit suites,
#          a 30 s torture and the Debian 6.1 PREEMPT_RT smoke test
#
# usage: scripts/variants.sh kasan|kcsan|rt
set -uo pipefail

# KCSAN reports allowed in make check-kcsan: races entirely inside the
# kernel. A report stays (and fails the run) whenever its title names a
# function of gomem, its KUnit suites or the torture module ([gomem],
# [gomem_kunit], [gomem_torture]), or such a function is the first or second
# frame of either racing access (gomem calling an out-of-line helper such as
# memcmp() on its own data). Deeper gomem frames do not count: the torture
# calling add_cpu() does not make a race inside the CPU-hotplug core gomem's.
# One extended regex per line, matched against the title
# "BUG: KCSAN: data-race in A / B"; each says why the race is not gomem's.
kcsan_allowed=(
	# The scheduler tick's hrtimer_active() reads base->running locklessly,
	# validated by the base's seqcount, while __hrtimer_run_queues() on the
	# timer's CPU sets it around a callback (kernel/time/hrtimer.c).
	'data-race in __hrtimer_run_queues / hrtimer_active$'
	# An hrtimer sleeper: hrtimer_wakeup() clears t->task in the interrupt
	# while schedule_hrtimeout_range_clock() polls it (the sleep of usleep_range()).
	'data-race in hrtimer_wakeup / schedule_hrtimeout_range_clock$'
	# CPU hotplug: __cpuhp_kick_ap() sets st->should_run for the CPU's hotplug
	# thread, which reads it in cpuhp_should_run() (kernel/cpu.c, smpboot).
	'data-race in __cpuhp_kick_ap / cpuhp_should_run$'
	# Timekeeping: ktime_get() reads the timekeeper under its seqcount and
	# retries, while the tick's timekeeping_advance() rewrites it (kernel/time).
	'data-race in timekeeping_advance / timekeeping_cycles_to_ns$'
	# Page flags: kmap_local_page() reads folio->flags in a page fault while
	# lru_add() sets PG_lru with an atomic bitop on another CPU (mm/swap.c).
	'data-race in kmap_local_page / lru_add$'
	# The same flags word read (marked) by __handle_mm_fault() in a page
	# fault while lru_add() sets PG_lru during the LRU drain of another
	# fault (mm/memory.c, mm/swap.c); seen at /init's first fork, before
	# gomem was loaded (8 December 2026).
	'data-race in __handle_mm_fault / lru_add$'
	# Workqueue: wq_worker_running(), the scheduler's hook as a kworker runs
	# again, reads its pool's state; the other access was not caught ("race
	# at unknown origin"; kernel/workqueue.c).
	'data-race in wq_worker_running\+'
	# The same at the tick: wq_worker_tick() reads the running worker's
	# state from the timer interrupt ("race at unknown origin").
	'data-race in wq_worker_tick\+'
	# A kthread exiting: do_exit() sets PF_EXITING in tsk->flags while
	# kthread_stop()'s to_kthread() reads the flags for PF_KTHREAD
	# (kernel/exit.c, kernel/kthread.c).
	'data-race in do_exit / to_kthread$'
	# The PS/2 mouse at probe and power-off: a command being sent
	# (__ps2_command(), ps2_do_sendbyte()) while i8042's interrupt handler
	# (ps2_interrupt(), ps2_handle_response()) updates the same ps2dev state
	# (drivers/input/serio/libps2.c).
	'data-race in (__ps2_command|ps2_do_sendbyte) / (ps2_interrupt|ps2_handle_response)$'
)

# Kernel-internal races seen through a kernel helper gomem's code calls: the
# racing variable is the kernel's own, so they are allowed even with a gomem
# frame second on one side.
kcsan_allowed_helper=(
	# hrtimer_forward(), called by the torture's timer callback, reads the
	# global hrtimer_resolution, which hrtimer_run_queues() rewrites when a
	# CPU coming online switches to high resolution (kernel/time/hrtimer.c).
	'data-race in hrtimer_forward / hrtimer_run_queues$'
	# mod_delayed_work_on(), which gomem's shrinker count calls to kick its
	# idle work, from kswapd and a direct reclaim at once: the workqueue's
	# clear_pending_if_disabled() reads work->data plainly while the other
	# call's work_grab_pending() cmpxchg's it (kernel/workqueue.c; the call
	# is documented safe from any context).
	'data-race in clear_pending_if_disabled / work_grab_pending$'
)

# variants.sh --kcsan-filter: the guest log on stdin, without the allowed
# KCSAN reports, on stdout (vm-run.sh's GOMEM_VM_LOG_FILTER); each report
# dropped is named on stderr.
if [ "${1:-}" = --kcsan-filter ]; then
	allow=$(IFS='|'; echo "${kcsan_allowed[*]}")
	helper=$(IFS='|'; echo "${kcsan_allowed_helper[*]}")
	exec awk -v allow="${allow:-x^}" -v helper="${helper:-x^}" '
	function flush(i) {
		if (kcsan && ((!ours && title ~ allow) || title ~ helper)) {
			sub(/^.*BUG: /, "", title)
			print "gomem: allowed kernel-internal report: " title >"/dev/stderr"
		} else {
			for (i = 1; i <= n; i++)
				print buf[i]
		}
		n = 0; inblock = 0; kcsan = 0; ours = 0; title = ""; frame = 99
	}
	/^(\[[ 0-9.]*\] )?=================================================+$/ {
		buf[++n] = $0
		if (inblock)
			flush()
		else
			inblock = 1
		next
	}
	!inblock { print; next }
	{ buf[++n] = $0 }
	/BUG: KCSAN:/ {
		kcsan = 1; title = $0
		if ($0 ~ /\[gomem(_kunit|_torture)?\]/)
			ours = 1
		next
	}
	/^(read|write).* by (task|interrupt)|race at unknown origin/ {
		frame = 0
		next
	}
	/^ [A-Za-z_][A-Za-z_.0-9]*\+0x/ {
		if (++frame <= 2 && $0 ~ /\[gomem(_kunit|_torture)?\]/)
			ours = 1
		next
	}
	{ frame = 99 }
	END { if (n) { kcsan = 0; flush() } }'
fi

variant=${1:-}
case "$variant" in
kasan | kcsan | rt) ;;
*) echo "usage: variants.sh kasan|kcsan|rt" >&2; exit 2 ;;
esac
. "$(dirname "$0")/lib/common.sh"
. "$GOMEM_TOP/scripts/lib/steps.sh"
. "$GOMEM_TOP/scripts/lib/kunit.sh"
. "$GOMEM_TOP/scripts/lib/kmemleak.sh"

steps_start "make check-$variant" "$GOMEM_TOP/build/check-$variant"

check_build() {
	local out
	out=$(build_modules "$KDIR" "$variant" W=1) || return 1
	if grep -E "warning:|error:" "$out/build.log"; then
		echo "the W=1 build has warnings"
		return 1
	fi
	ls "$out/gomem/gomem.ko" "$out/kunit/gomem_kunit.ko"
}

# run_kunit TIMEOUT NAME [normal|debug]: kunit_step (scripts/lib/kunit.sh)
# on this variant's kernel and modules, each case counted.
run_kunit() {
	local tmo=$1
	shift
	KUNIT_BUILD="$GOMEM_TOP/build/$variant" KUNIT_TIMEOUT=$tmo kunit_step "$@"
}

if step kernel bash "$GOMEM_TOP/scripts/build-kernel.sh" "$variant"; then
	KDIR=$(tail -n 1 "$logs/kernel.log")
	SRC=$(linux_source_dir)
	if step build-w1 check_build; then
		case "$variant" in
		kasan)
			# KASAN makes TCG 2-3 times slower: room for the KUnit suites.
			run_kunit 2400 kunit
			run_kunit 2400 kunit-debug debug
			step torture-60s bash "$GOMEM_TOP/scripts/torture.sh" 60 kasan
			# Objects leaked through gomem show up in kmemleak, nothing else does.
			step kmemleak kmemleak_vm "$KDIR" "$variant" "$logs"
			;;
		kcsan)
			# A watchpoint every ~100 accesses instead of ~4000: under TCG the
			# default sampling saw no race at all in a 60 s torture.
			export GOMEM_VM_ARGS="kcsan.skip_watch=100"
			export GOMEM_VM_LOG_FILTER="bash $GOMEM_TOP/scripts/variants.sh --kcsan-filter"
			step torture-60s bash "$GOMEM_TOP/scripts/torture.sh" 60 kcsan
			run_kunit 2400 kunit
			run_kunit 2400 kunit-debug debug
			;;
		rt)
			run_kunit 900 kunit
			run_kunit 900 kunit-debug debug
			step torture-30s bash "$GOMEM_TOP/scripts/torture.sh" 30 rt
			;;
		esac
	fi
else
	step_skipped "every kernel-dependent check skipped: the $variant kernel did not build"
fi
[ "$variant" = rt ] && step distro-6.1-rt bash "$GOMEM_TOP/scripts/smoke-distro.sh" rt

steps_end "make check-$variant"
