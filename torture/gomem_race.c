// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_race - bad frees racing the reuse of span structures (make torture).
 *
 * Loading the module runs the test for duration_s seconds, prints one summary
 * line and returns 0 when everything held, -EIO otherwise. It needs a gomem
 * built with -DGOMEM_RACE_WINDOW (scripts/torture.sh race), whose frees call
 * a hook between their checks and their claim; without it, loading fails.
 *
 *  - a pair of racer kthreads, A and B on two CPUs, repeat rounds: A
 *    allocates an object (a small object alone in its span, a tiny object
 *    alone in its span, or a large object, in turn) and both free it at the
 *    same moment. B's free, once it has looked the pointer up, waits in its
 *    window (the hook); A's free then wins, A drains its caches and the
 *    transfer caches, which releases the object's span, and only then B
 *    goes on (after reuse_us more, at most delay_us in all) with what it
 *    looked up. Neither starts the next round before both frees returned.
 *  - recycler kthreads on the other CPUs allocate and free, in bursts,
 *    objects whose span structures (and tiny masks) come from the same
 *    pools as the racers' (classes with the same bitmap size, other large
 *    sizes, other tiny sizes), and drain their caches, so that a released
 *    span's structure is reused at once. Every recycled object holds a
 *    pattern of its address, checked before its free: a mismatch is an
 *    object freed or handed out twice.
 *
 * Pass: exactly one report per round (B's free, "double free" or "invalid
 * pointer"; each round's are counted, by kind), no other report, no pattern
 * mismatch, gomem_check_heap() clean at the end, no object left. The first
 * report of each kind is gomem's one-time WARN, which scripts/torture.sh
 * expects (and only that).
 *
 * A recycler may be handed the racers' address itself after A's free
 * (counted as aliased): B's free of it is then a double free after a
 * reuse, which no allocator can tell from a valid free. Today's gomem
 * decides a free when it looks the pointer up, so B is still reported; an
 * allocator that decided at its claim could free the recycler's object,
 * and a failure with aliased > 0 would then need a second look.
 */

#define pr_fmt(fmt) "gomem-race: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include "../gomem/internal.h"

static unsigned int duration_s = 30;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s, "Seconds to run, 1-3600 (default: 30)");

static unsigned int delay_us = 200000;
module_param(delay_us, uint, 0444);
MODULE_PARM_DESC(delay_us,
		 "Longest wait of the losing free in its window for the span's release, microseconds, 0-1000000 (default: 200000)");

static unsigned int reuse_us = 200;
module_param(reuse_us, uint, 0444);
MODULE_PARM_DESC(reuse_us,
		 "Further wait of the losing free after the release, for the structure's reuse, microseconds, 0-10000 (default: 200)");

static unsigned int kinds = 7;
module_param(kinds, uint, 0444);
MODULE_PARM_DESC(kinds, "Objects raced: 1 small, 2 tiny, 4 large, or a sum, 1-7 (default: 7)");

#ifdef GOMEM_RACE_WINDOW

#define GR_RECYCLERS_MAX	8
#define GR_BURST		48
/* Tiny rounds: block 1, offset 15 of a span (a tiny span is one gomem page). */
#define GR_TINY_TARGET		(GOMEM_TINY_SIZE + GOMEM_TINY_SIZE - 1)
#define GR_TINY_TURNS		(GOMEM_PAGE_SIZE / GOMEM_TINY_SIZE)
#define GR_WARM_SPANS		4

enum gr_kind { GR_SMALL, GR_TINY, GR_LARGE, GR_NR_KINDS };

/* Racers' sizes: a small class of one object per span, a tiny size, a large size. */
static const size_t gr_racer_nominal[GR_NR_KINDS] = { 32768, 8, 40960 };

/*
 * Recyclers' sizes: classes whose span structures share the racers' pools
 * (one bitmap long: a few objects per span; 16 bytes: 512 per span, the
 * tiny spans' pool), other large sizes (pool mspan0) and 8-byte tiny
 * objects, whose spans take their masks from the pool the racers' tiny
 * spans give theirs back to.
 */
static const size_t gr_recycler_nominal[] = { 8192, 16384, 27264, 16, 49152, 8, 65536 };

/*
 * The sizes requested: in debug mode less the red zone and trailer, so that
 * the slots are of the same classes and page counts (gr_set_sizes()).
 */
static size_t gr_racer_size[GR_NR_KINDS];
static size_t gr_recycler_size[ARRAY_SIZE(gr_recycler_nominal)];

static struct task_struct *gr_a, *gr_b;
static struct task_struct *gr_recyclers[GR_RECYCLERS_MAX];
static unsigned int gr_nrecyclers;
static unsigned int gr_kinds;		/* kinds, less tiny in debug mode */
static bool gr_stop;

/* The round: A publishes the object, both meet, both free, both meet again. */
static void *gr_obj;
static atomic_t gr_round = ATOMIC_INIT(0);
static atomic_t gr_ready = ATOMIC_INIT(0);
static atomic_t gr_done = ATOMIC_INIT(0);
/* B's window: the round B is freeing, B in its window, A's span released. */
static int gr_b_round;
static atomic_t gr_b_window = ATOMIC_INIT(0);
static atomic_t gr_released = ATOMIC_INIT(0);
static atomic_t gr_b_gone = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(gr_wq);
static atomic_long_t gr_rounds[GR_NR_KINDS], gr_kind_reports[GR_NR_KINDS];
static atomic_long_t gr_bad_rounds[GR_NR_KINDS], gr_bad_clean[GR_NR_KINDS];
static atomic_long_t gr_mismatches, gr_nomem, gr_recycled, gr_misplaced, gr_timeouts, gr_timeouts_b;
static atomic_long_t gr_aliased;
/* The racers' pointer from its publication until both frees returned. */
static const void *gr_inflight;

/* A's objects while it places a tiny one (gr_tiny_place()); only A uses it. */
static void *gr_stash[2 * GR_TINY_TURNS];

/* The kind of round @round: the kinds asked for, in turn. */
static enum gr_kind gr_kind_of(int round)
{
	unsigned int k, n = hweight32(gr_kinds), i = round % n;

	for (k = 0; k < GR_NR_KINDS; k++)
		if ((gr_kinds & BIT(k)) && !i--)
			return k;
	return GR_SMALL;
}

static long gr_reports(void)
{
	return gomem_error_count(GOMEM_ERR_DOUBLE_FREE) +
	       gomem_error_count(GOMEM_ERR_INVALID_FREE);
}

/* Reports of every other kind: internal corruption, red zones, poison, NMI. */
static long gr_other_errors(void)
{
	long n = 0;
	enum gomem_error e;

	for (e = 0; e < GOMEM_NR_ERRORS; e++)
		if (e != GOMEM_ERR_DOUBLE_FREE && e != GOMEM_ERR_INVALID_FREE)
			n += gomem_error_count(e);
	return n;
}

/*
 * Rounds, reports, bad rounds and bad rounds with the address handed to no
 * recycler, of each kind, for the summary line.
 */
static void gr_kind_stats(char *buf, size_t len)
{
	static const char * const names[GR_NR_KINDS] = { "small", "tiny", "large" };
	unsigned int k, n = 0;

	for (k = 0; k < GR_NR_KINDS; k++)
		n += scnprintf(buf + n, len - n, "%s%s=%ld/%ld/%ld/%ld", k ? " " : "", names[k],
			       atomic_long_read(&gr_rounds[k]),
			       atomic_long_read(&gr_kind_reports[k]),
			       atomic_long_read(&gr_bad_rounds[k]),
			       atomic_long_read(&gr_bad_clean[k]));
}

static u64 gr_key(const void *p, unsigned int i)
{
	u64 x = (unsigned long)p + i;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void gr_fill(void *p, size_t n)
{
	unsigned int i;

	for (i = 0; i + 8 <= n; i += 8)
		*(u64 *)(p + i) = gr_key(p, i);
}

static bool gr_intact(const void *p, size_t n)
{
	unsigned int i;

	for (i = 0; i + 8 <= n; i += 8)
		if (*(const u64 *)(p + i) != gr_key(p, i))
			return false;
	return true;
}

/* Sleep until @v reaches @want (its writer wakes gr_wq); false when stopping. */
static bool gr_wait(atomic_t *v, int want)
{
	while (!wait_event_timeout(gr_wq, atomic_read_acquire(v) >= want, HZ / 10))
		if (READ_ONCE(gr_stop))
			return false;
	return true;
}

/*
 * A tiny object of 1 byte at offset 15 of block 1 of its span, for A's
 * tiny rounds. A cache hands a fresh span's blocks out from the top of its
 * refill batch (block 31 first), so A walks down: each turn takes a fresh
 * block as its current one with 15 bytes at offset 0 (a request smaller
 * than the room left in the current block gets a new current block), and
 * 1 byte at offset 15 fills it. The turn that reaches block 1 keeps that
 * byte; every other object is freed before the round, so the block and
 * its span hold nothing else. Returns NULL only when gomem has no memory;
 * a walk that never reaches block 1 keeps its last byte (counted).
 */
static void *gr_tiny_place(void)
{
	unsigned int n = 0, turn, i;
	void *q, *p;

	for (turn = 0; turn < GR_TINY_TURNS; turn++) {
		p = NULL;
		q = gomem_alloc(GOMEM_TINY_SIZE - 1, GFP_KERNEL);
		if (!q)
			goto out;
		gr_stash[n++] = q;
		p = gomem_alloc(1, GFP_KERNEL);
		if (!p)
			goto out;
		if (((unsigned long)p & (GOMEM_PAGE_SIZE - 1)) == GR_TINY_TARGET)
			goto out;
		gr_stash[n++] = p;
	}
	p = gr_stash[--n];	/* block 1 never came: the last byte, at offset 15 */
	atomic_long_inc(&gr_misplaced);
out:
	for (i = 0; i < n; i++)
		gomem_free(gr_stash[i]);
	return p;
}

/*
 * A's object for a round, placed where a stale free does the most harm:
 *  - small: right after a span freed just before (its pages a free run), so
 *    that the object's span, once free, merges into that run and its
 *    structure goes back to its pool (at once, without a grace period);
 *  - tiny: at offset 15 of block 1 of its span (gr_tiny_place()), so that a
 *    stale claim clears bit 15 of the block's mask: once the masks go back
 *    to their pool, that word is the upper half of the pool's free-list
 *    link, and its bit 15 is bit 47 of a kernel address, always set;
 *  - large: any; its structure goes back to its pool when it is freed.
 */
static void *gr_racer_alloc(enum gr_kind kind)
{
	void *x, *p;

	gomem_drain_local();
	gomem_scavenge();
	switch (kind) {
	case GR_SMALL:
		x = gomem_alloc(gr_racer_size[GR_SMALL], GFP_KERNEL);
		p = gomem_alloc(gr_racer_size[GR_SMALL], GFP_KERNEL);
		gomem_free(x);
		gomem_drain_local();
		gomem_scavenge();
		return p;
	case GR_TINY:
		return gr_tiny_place();
	default:
		return gomem_alloc(gr_racer_size[kind], GFP_KERNEL);
	}
}

/*
 * Wait until @v reaches @want, at most @us microseconds; false on a timeout.
 * Sleeps where the caller may (a spinning vCPU takes host time from the
 * others under QEMU), spins in a free's non-preemptible window.
 */
static bool gr_wait_us(atomic_t *v, int want, unsigned int us)
{
	u64 end;

	if (preemptible() && !rcu_preempt_depth())
		return wait_event_timeout(gr_wq, atomic_read_acquire(v) >= want,
					  usecs_to_jiffies(us) + 1) > 0;
	end = ktime_get_ns() + (u64)us * NSEC_PER_USEC;
	while (atomic_read_acquire(v) < want) {
		if (ktime_get_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * B's window (the race hook, called by every free between its checks and
 * its claim; it acts only in B): B says it has looked the pointer up, then
 * waits until A's free has won and A has released the span (at most
 * delay_us), then reuse_us more, for the recyclers to take the span
 * structure back from its pool.
 */
static void gr_hook(const void *p)
{
	int round;

	if (current != gr_b)
		return;
	round = READ_ONCE(gr_b_round);
	atomic_set_release(&gr_b_window, round);
	wake_up_all(&gr_wq);
	if (!gr_wait_us(&gr_released, round, delay_us))
		atomic_long_inc(&gr_timeouts_b);
	if (preemptible() && !rcu_preempt_depth())
		usleep_range(reuse_us, reuse_us + reuse_us / 4 + 1);
	else
		udelay(reuse_us);
}

static void gr_set_sizes(void)
{
	size_t extra = gomem_debug_overhead();
	unsigned int i;

	for (i = 0; i < GR_NR_KINDS; i++)
		gr_racer_size[i] = gr_racer_nominal[i] - (i == GR_TINY ? 0 : extra);
	for (i = 0; i < ARRAY_SIZE(gr_recycler_nominal); i++)
		gr_recycler_size[i] = gr_recycler_nominal[i] > 2 * extra ?
				      gr_recycler_nominal[i] - extra : gr_recycler_nominal[i];
}

/*
 * Give the tiny spans' mask pool a few free chunks before the run: with
 * only the chunks in use, the one a tiny round's span gives back would be
 * the last of the pool's free list, its link NULL, and a stale claim on it
 * would find nothing to clear.
 */
static void gr_warm_tiny_pool(void)
{
	unsigned int i, n = GR_WARM_SPANS * GR_TINY_TURNS;
	void **objs = kvmalloc_array(n, sizeof(*objs), GFP_KERNEL);

	if (!objs)
		return;
	for (i = 0; i < n; i++)		/* a block each */
		objs[i] = gomem_alloc(GOMEM_TINY_SIZE - 1, GFP_KERNEL);
	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
	kvfree(objs);
	gomem_drain_all();
	gomem_scavenge();
}

static int gr_racer_fn(void *data)
{
	bool leader = data;
	long reports0 = 0, aliased0 = 0;
	int round = 0;

	while (!READ_ONCE(gr_stop)) {
		enum gr_kind kind = gr_kind_of(round);
		void *p;

		round++;
		if (leader) {
			p = gr_racer_alloc(kind);
			if (!p) {
				atomic_long_inc(&gr_nomem);
				usleep_range(1000, 2000);
				round--;
				continue;
			}
			reports0 = gr_reports();
			aliased0 = atomic_long_read(&gr_aliased);
			WRITE_ONCE(gr_inflight, p);
			WRITE_ONCE(gr_obj, p);
			atomic_set_release(&gr_round, round);
			wake_up_all(&gr_wq);
		} else {
			if (!gr_wait(&gr_round, round)) {
				atomic_set_release(&gr_b_gone, 1);
				wake_up_all(&gr_wq);
				goto out;
			}
			p = READ_ONCE(gr_obj);
			WRITE_ONCE(gr_b_round, round);
		}
		/* Both free the same pointer: start together. */
		atomic_inc(&gr_ready);
		while (atomic_read(&gr_ready) < 2 * round) {
			if (leader && atomic_read_acquire(&gr_b_gone)) {
				gomem_free(p);	/* stopped before B took it */
				goto out;
			}
			cpu_relax();
		}
		/*
		 * A frees once B has looked the pointer up and waits in its
		 * window: A's claim wins, B's checks were made on a live object.
		 * A then releases the span - its caches and the transfer caches
		 * drained - and lets B go on.
		 */
		if (leader && !gr_wait_us(&gr_b_window, round, delay_us))
			atomic_long_inc(&gr_timeouts);
		gomem_free(p);
		if (leader) {
			gomem_drain_local();
			gomem_scavenge();
			atomic_set_release(&gr_released, round);
			wake_up_all(&gr_wq);
			atomic_long_inc(&gr_rounds[kind]);
		}
		atomic_inc(&gr_done);
		wake_up_all(&gr_wq);
		if (!gr_wait(&gr_done, 2 * round))
			break;
		if (leader) {
			/* Only this pair frees badly: the round's reports are B's. */
			long n = gr_reports() - reports0;

			WRITE_ONCE(gr_inflight, NULL);
			atomic_long_add(n, &gr_kind_reports[kind]);
			if (n != 1)
				atomic_long_inc(&gr_bad_rounds[kind]);
			/* A bad round where no recycler got the address is a bug for sure. */
			if (n != 1 && atomic_long_read(&gr_aliased) == aliased0)
				atomic_long_inc(&gr_bad_clean[kind]);
		}
	}
out:
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int gr_recycler_fn(void *data)
{
	void *objs[GR_BURST];
	size_t sizes[GR_BURST];
	unsigned long n = (unsigned long)data;
	unsigned int i;

	while (!READ_ONCE(gr_stop)) {
		for (i = 0; i < GR_BURST; i++) {
			sizes[i] = gr_recycler_size[n++ % ARRAY_SIZE(gr_recycler_size)];
			objs[i] = gomem_alloc(sizes[i], GFP_KERNEL);
			if (!objs[i]) {
				atomic_long_inc(&gr_nomem);
				continue;
			}
			if (objs[i] == READ_ONCE(gr_inflight))
				atomic_long_inc(&gr_aliased);
			gr_fill(objs[i], sizes[i]);
		}
		for (i = 0; i < GR_BURST; i++) {
			if (!objs[i])
				continue;
			if (!gr_intact(objs[i], sizes[i])) {
				if (atomic_long_inc_return(&gr_mismatches) <= 5)
					pr_err("object %p (%zu bytes) overwritten\n", objs[i],
					       sizes[i]);
				continue;	/* not ours any more: leave it */
			}
			gomem_free(objs[i]);
			atomic_long_inc(&gr_recycled);
		}
		gomem_drain_local();
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static struct task_struct *gr_start(int (*fn)(void *), void *data, unsigned int cpu,
				    const char *name)
{
	struct task_struct *t;

	t = kthread_create(fn, data, "%s/%u", name, cpu);
	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

static void gr_reap(struct task_struct **t)
{
	if (IS_ERR_OR_NULL(*t))
		return;
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

static int __init gr_init(void)
{
	long double0, invalid0, rounds = 0, reports, other0, bad = 0;
	unsigned int cpu, a = UINT_MAX, b = UINT_MAX, i;
	struct gomem_memstats *ms;
	char kstats[128];
	u64 objects0;
	int heap_bad, ret = 0;

	if (!duration_s || duration_s > 3600 || delay_us > 1000000 || reuse_us > 10000 ||
	    !kinds || kinds > 7) {
		pr_err("duration_s must be 1-3600, delay_us 0-1000000, reuse_us 0-10000 and kinds 1-7\n");
		return -EINVAL;
	}
	if (num_online_cpus() < 2) {
		pr_err("needs 2 online CPUs\n");
		return -EINVAL;
	}
	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (a == UINT_MAX)
			a = cpu;
		else if (b == UINT_MAX)
			b = cpu;
		else if (gr_nrecyclers < GR_RECYCLERS_MAX)
			gr_nrecyclers++;
	}
	/* Debug mode has no tiny allocator: its tiny requests are small objects. */
	gr_kinds = kinds;
	if (gomem_debug_mode())
		gr_kinds &= ~BIT(GR_TINY);
	if (!gr_kinds) {
		pr_err("kinds=%u: no tiny objects in gomem's debug mode\n", kinds);
		kfree(ms);
		return -EINVAL;
	}
	gr_set_sizes();
	gomem_read_memstats(ms);
	objects0 = ms->heap_objects;
	double0 = gomem_error_count(GOMEM_ERR_DOUBLE_FREE);
	invalid0 = gomem_error_count(GOMEM_ERR_INVALID_FREE);
	other0 = gr_other_errors();

	if (gr_kinds & BIT(GR_TINY))
		gr_warm_tiny_pool();
	gomem_set_race_hook(gr_hook);
	i = 0;
	for_each_online_cpu(cpu) {
		if (cpu == a || cpu == b || i >= gr_nrecyclers)
			continue;
		gr_recyclers[i] = gr_start(gr_recycler_fn, (void *)(unsigned long)i, cpu,
					   "gomem-recycler");
		i++;
	}
	/* With only two CPUs, one recycler roams. */
	if (!gr_nrecyclers) {
		gr_recyclers[0] = kthread_run(gr_recycler_fn, NULL, "gomem-recycler");
		if (!IS_ERR(gr_recyclers[0]))
			get_task_struct(gr_recyclers[0]);
		gr_nrecyclers = 1;
	}
	gr_b = gr_start(gr_racer_fn, (void *)false, b, "gomem-racer-b");
	gr_a = gr_start(gr_racer_fn, (void *)true, a, "gomem-racer-a");
	if (IS_ERR(gr_a) || IS_ERR(gr_b))
		ret = -ENOMEM;
	else
		msleep_interruptible(duration_s * 1000);
	WRITE_ONCE(gr_stop, true);
	gr_reap(&gr_a);
	gr_reap(&gr_b);
	for (i = 0; i < gr_nrecyclers; i++)
		gr_reap(&gr_recyclers[i]);
	gomem_set_race_hook(NULL);
	synchronize_rcu();	/* no free is left inside the hook */

	/* The last round's frees may not both have happened: count whole rounds. */
	for (i = 0; i < GR_NR_KINDS; i++)
		rounds += atomic_long_read(&gr_rounds[i]);
	reports = gr_reports() - double0 - invalid0;
	gomem_drain_all();
	gomem_scavenge();
	heap_bad = gomem_check_heap();
	gomem_read_memstats(ms);
	for (i = 0; i < GR_NR_KINDS; i++)
		bad += atomic_long_read(&gr_bad_rounds[i]);
	gr_kind_stats(kstats, sizeof(kstats));
	pr_info("rounds=%ld %s (rounds/reports/bad/bad_unaliased) reports=%ld double=%ld invalid=%ld other_errors=%ld recycled=%ld mismatches=%ld aliased=%ld nomem=%ld tiny_misplaced=%ld window_timeouts=%ld heap_errors=%d objects_left=%lld debug=%#x delay_us=%u reuse_us=%u\n",
		rounds, kstats, reports, gomem_error_count(GOMEM_ERR_DOUBLE_FREE) - double0,
		gomem_error_count(GOMEM_ERR_INVALID_FREE) - invalid0, gr_other_errors() - other0,
		atomic_long_read(&gr_recycled), atomic_long_read(&gr_mismatches),
		atomic_long_read(&gr_aliased), atomic_long_read(&gr_nomem),
		atomic_long_read(&gr_misplaced),
		atomic_long_read(&gr_timeouts) + atomic_long_read(&gr_timeouts_b), heap_bad,
		(long long)(ms->heap_objects - objects0), gomem_debug_mode(), delay_us, reuse_us);
	if (ret || !rounds || reports != rounds || bad || atomic_long_read(&gr_mismatches) ||
	    gr_other_errors() != other0 || heap_bad || ms->heap_objects != objects0)
		ret = -EIO;
	pr_info("result=%s\n", ret ? "FAIL" : "PASS");
	kfree(ms);
	return ret;
}
#else
static int __init gr_init(void)
{
	pr_err("needs a gomem built with -DGOMEM_RACE_WINDOW (scripts/torture.sh race)\n");
	return -EOPNOTSUPP;
}
#endif

static void __exit gr_exit(void)
{
}

module_init(gr_init);
module_exit(gr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem_race: bad frees racing the reuse of gomem's span structures");
MODULE_IMPORT_NS(GOMEM_INTERNAL);
