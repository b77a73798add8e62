# SPDX-License-Identifier: GPL-2.0
# Guest of scripts/irqsoff.sh: the interrupts-off sections while gomem
# drains full caches, in an icount VM (one vCPU, one nanosecond per
# instruction: a section's microseconds count thousands of instructions).
#
# Twice, the sample client's working set (nr_objects, a mix of tiny, small
# and large objects) is allocated; then, traced, the set is freed on the one
# CPU, which leaves its caches full, and reclaim (drop_caches, twice) makes
# gomem flush them. The first time the kernel's irqsoff tracer finds the
# longest interrupts-off section; the second the preemptirq events record
# every section, and the longest are listed by where interrupts went off. The guest clock jumps ahead
# whenever the CPU idles (icount, sleep=off), so a background pass may come
# first: every drain in the window is measured, whoever starts it.
# Parameter: nr_objects.
#
# Markers: "GOMEM-IRQSOFF max_us=N" (the tracer's longest section, its
# "started at" and "ended at" lines after it); "GOMEM-IRQSOFF-SECTION us=N
# off=FN on=FN" for the longest sections by where interrupts went off, the
# longest of gomem's own first ("gomem=1"); "GOMEM-IRQSOFF-OK".
T=/sys/kernel/tracing
mount -t tracefs nodev $T 2>/dev/null
[ -f $T/tracing_max_latency ] || { echo "no irqsoff tracer in this kernel"; exit 1; }
insmod /gomem.ko || exit 1
# One round: the sample's set allocated, then, traced, freed and drained.
round() {
	insmod /gomem_sample.ko nr_objects="$nr_objects" rounds=1 || exit 1
	echo >$T/trace
	echo 0 >$T/tracing_max_latency
	echo 1 >$T/tracing_on
	rmmod gomem_sample || exit 1	# the working set goes into the caches
	grep -E "^(cached_free_bytes|central_free_bytes|scavenger_passes):" /proc/gomem
	echo 2 >/proc/sys/vm/drop_caches
	sleep 2
	echo 2 >/proc/sys/vm/drop_caches
	sleep 2
	echo 0 >$T/tracing_on
	grep -E "^(cached_free_bytes|central_free_bytes|scavenger_passes):" /proc/gomem
}
# Round 1, the irqsoff tracer: the longest section, wherever it is.
echo irqsoff >$T/current_tracer || exit 1
round
echo "GOMEM-IRQSOFF max_us=$(cat $T/tracing_max_latency)"
grep -E "started at|ended at" $T/trace | head -2
# Round 2, the preemptirq events: every section, attributed.
echo nop >$T/current_tracer
echo 65536 >$T/buffer_size_kb
echo 1 >$T/events/preemptirq/irq_disable/enable || exit 1
echo 1 >$T/events/preemptirq/irq_enable/enable || exit 1
# Whose raw_spin_lock_irqsave()? A stack trace says (gomem's mcentral and mheap locks).
sym() { grep -m1 " $1\$" /proc/kallsyms | cut -d' ' -f1; }
off=$((0x$(sym _raw_spin_lock_irqsave) - 0x$(sym _stext)))
echo "stacktrace if caller_offs >= $off && caller_offs < $((off + 128))" >$T/events/preemptirq/irq_disable/trigger || exit 1
round
# Pair each irq_disable with the next irq_enable; the longest per place
# (the first gomem function of a lock's stack trace, else the caller).
awk '
function fn(s) { sub(/^(caller|parent)=/, "", s); sub(/\+0x.*/, "", s); return s }
/^ => / {
	if (open && who == "" && $0 ~ /gomem_|\[gomem\]/) { who = $2; sub(/\+0x.*/, "", who) }
	next
}
/ irq_(disable|enable): / {
	ts = ""; c = ""; p = ""
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^[0-9]+\.[0-9]+:$/) ts = substr($i, 1, length($i) - 1)
		else if ($i ~ /^caller=/) c = fn($i)
		else if ($i ~ /^parent=/) p = fn($i)
	}
	if (ts == "") next
	if ($0 ~ / irq_disable: /) { t0 = ts; off = c; who = ""; open = 1; next }
	if (!open) next
	open = 0; n++
	us = (ts - t0) * 1000000; key = (who == "" ? off : off "/" who) " " c
	if (us > max[key]) max[key] = us
}
END {
	for (k in max) {
		split(k, f, " ")
		g = (f[1] ~ /gomem/) ? 1 : 0
		printf "%d %d GOMEM-IRQSOFF-SECTION us=%d off=%s on=%s gomem=%d\n", g, max[k], max[k], f[1], f[2], g
	}
	printf "0 -1 GOMEM-IRQSOFF-SECTIONS %d\n", n
}' $T/trace | sort -k1,1nr -k2,2nr | awk '$1 == 1 && ng++ < 8 { print; next } $1 == 0 && no++ < 8 { print }' |
	cut -d' ' -f3-
echo '!stacktrace' >$T/events/preemptirq/irq_disable/trigger
echo 0 >$T/events/preemptirq/enable
rmmod gomem || exit 1
echo GOMEM-IRQSOFF-OK
