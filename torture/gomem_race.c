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
 *    allocates an object (a small object alone in its span, a tiny object,
 *    or a large object, in turn) and both free it at the same moment. B is
 *    delayed delay_us inside its free's window (the hook), so A's free wins;
 *    A then drains its caches and the transfer caches, which releases the
 *    object's span, while B still holds what it looked up. Neither starts
 *    the next round before both frees returned: the address cannot be
 *    handed out again legitimately meanwhile.
 *  - recycler kthreads on the other CPUs allocate and free, in bursts,
 *    objects whose span structures come from the same pools as the racers'
 *    (classes with the same bitmap size, other large sizes), and drain
 *    their caches, so that a released span's structure is reused at once.
 *    Every recycled object holds a pattern of its address, checked before
 *    its free: a mismatch is an object freed or handed out twice.
 *
 * Pass: exactly one report per round (B's free, "double free" or "invalid
 * pointer"), no pattern mismatch, gomem_check_heap() clean at the end, no
 * object left. The first report of each kind is gomem's one-time WARN,
 * which scripts/torture.sh expects (and only that).
 */

#define pr_fmt(fmt) "gomem-race: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "../gomem/internal.h"

static unsigned int duration_s = 30;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s, "Seconds to run, 1-3600 (default: 30)");

static unsigned int delay_us = 200;
module_param(delay_us, uint, 0444);
MODULE_PARM_DESC(delay_us,
		 "Delay of the losing free inside its window, microseconds, 0-10000 (default: 200)");

static unsigned int kinds = 7;
module_param(kinds, uint, 0444);
MODULE_PARM_DESC(kinds, "Objects raced: 1 small, 2 tiny, 4 large, or a sum, 1-7 (default: 7)");

#ifdef GOMEM_RACE_WINDOW

#define GR_RECYCLERS_MAX	8
#define GR_BURST		48

enum gr_kind { GR_SMALL, GR_TINY, GR_LARGE, GR_NR_KINDS };

/* Racers' sizes: a small class of one object per span, a tiny size, a large size. */
static const size_t gr_racer_size[GR_NR_KINDS] = { 32768, 8, 40960 };

/*
 * Recyclers' sizes: classes whose span structures share the racers' pools
 * (one bitmap long: a few objects per span; 16 bytes: 512 per span, the
 * tiny spans' pool) and other large sizes (pool mspan0).
 */
static const size_t gr_recycler_size[] = { 8192, 16384, 27264, 16, 49152, 65536 };

static struct task_struct *gr_a, *gr_b;
static struct task_struct *gr_recyclers[GR_RECYCLERS_MAX];
static unsigned int gr_nrecyclers;
static bool gr_stop;

/* The round: A publishes the object, both meet, both free, both meet again. */
static void *gr_obj;
static atomic_t gr_round = ATOMIC_INIT(0);
static atomic_t gr_ready = ATOMIC_INIT(0);
static atomic_t gr_done = ATOMIC_INIT(0);
static atomic_long_t gr_rounds[GR_NR_KINDS];
static atomic_long_t gr_mismatches, gr_nomem, gr_recycled;

/* The kind of round @round: the kinds asked for, in turn. */
static enum gr_kind gr_kind_of(int round)
{
	unsigned int k, n = hweight32(kinds), i = round % n;

	for (k = 0; k < GR_NR_KINDS; k++)
		if ((kinds & BIT(k)) && !i--)
			return k;
	return GR_SMALL;
}

static void gr_hook(const void *p)
{
	if (current == gr_b)
		udelay(delay_us);
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

/* Spin until @v reaches @want; false when the run is stopping. */
static bool gr_wait(atomic_t *v, int want)
{
	while (atomic_read(v) < want) {
		if (READ_ONCE(gr_stop))
			return false;
		cpu_relax();
	}
	return true;
}

/*
 * A's object for a round, placed where a stale free does the most harm:
 *  - small: right after a span freed just before (its pages a free run), so
 *    that the object's span, once free, merges into that run and its
 *    structure goes back to its pool (at once, without a grace period);
 *  - tiny: at offset 12 of the first block of a fresh tiny span (the caches
 *    drained first), so that a stale claim clears bit 12 of the block's
 *    mask - a set bit of the pool's free-list link once the masks go back;
 *  - large: any; its structure goes back to its pool when it is freed.
 */
static void *gr_racer_alloc(enum gr_kind kind)
{
	void *x, *y, *p;

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
		x = gomem_alloc(8, GFP_KERNEL);		/* offset 0 */
		y = gomem_alloc(4, GFP_KERNEL);		/* offset 8 */
		p = gomem_alloc(1, GFP_KERNEL);		/* offset 12 */
		gomem_free(x);
		gomem_free(y);
		return p;
	default:
		return gomem_alloc(gr_racer_size[kind], GFP_KERNEL);
	}
}

static int gr_racer_fn(void *data)
{
	bool leader = data;
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
			WRITE_ONCE(gr_obj, p);
			atomic_set_release(&gr_round, round);
		} else {
			while (atomic_read_acquire(&gr_round) < round)
				if (READ_ONCE(gr_stop))
					goto out;
			p = READ_ONCE(gr_obj);
		}
		atomic_inc(&gr_ready);
		if (!gr_wait(&gr_ready, 2 * round)) {
			if (leader)	/* stopped before B took it: free it alone */
				gomem_free(p);
			break;
		}
		/* B looks the pointer up first, then waits in its window. */
		if (leader)
			udelay(min(delay_us / 4, 20U));
		gomem_free(p);
		if (leader) {
			/* Release the span while B is still in its window. */
			gomem_drain_local();
			gomem_scavenge();
			atomic_long_inc(&gr_rounds[kind]);
		}
		atomic_inc(&gr_done);
		if (!gr_wait(&gr_done, 2 * round))
			break;
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
			if (objs[i])
				gr_fill(objs[i], sizes[i]);
			else
				atomic_long_inc(&gr_nomem);
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

static long gr_reports(void)
{
	return gomem_error_count(GOMEM_ERR_DOUBLE_FREE) +
	       gomem_error_count(GOMEM_ERR_INVALID_FREE);
}

static int __init gr_init(void)
{
	long double0, invalid0, rounds = 0, reports, other0;
	unsigned int cpu, a = UINT_MAX, b = UINT_MAX, i;
	struct gomem_memstats *ms;
	u64 objects0;
	int heap_bad, ret = 0;

	if (!duration_s || duration_s > 3600 || delay_us > 10000 || !kinds || kinds > 7) {
		pr_err("duration_s must be 1-3600, delay_us 0-10000 and kinds 1-7\n");
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
	gomem_read_memstats(ms);
	objects0 = ms->heap_objects;
	double0 = gomem_error_count(GOMEM_ERR_DOUBLE_FREE);
	invalid0 = gomem_error_count(GOMEM_ERR_INVALID_FREE);
	other0 = gomem_error_count(GOMEM_ERR_CORRUPT);

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
	pr_info("rounds=%ld small=%ld tiny=%ld large=%ld reports=%ld double=%ld invalid=%ld corrupt=%ld recycled=%ld mismatches=%ld nomem=%ld heap_errors=%d objects_left=%lld delay_us=%u\n",
		rounds, atomic_long_read(&gr_rounds[GR_SMALL]),
		atomic_long_read(&gr_rounds[GR_TINY]), atomic_long_read(&gr_rounds[GR_LARGE]),
		reports, gomem_error_count(GOMEM_ERR_DOUBLE_FREE) - double0,
		gomem_error_count(GOMEM_ERR_INVALID_FREE) - invalid0,
		gomem_error_count(GOMEM_ERR_CORRUPT) - other0,
		atomic_long_read(&gr_recycled), atomic_long_read(&gr_mismatches),
		atomic_long_read(&gr_nomem), heap_bad,
		(long long)(ms->heap_objects - objects0), delay_us);
	if (ret || !rounds || reports != rounds || atomic_long_read(&gr_mismatches) ||
	    gomem_error_count(GOMEM_ERR_CORRUPT) != other0 || heap_bad ||
	    ms->heap_objects != objects0)
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
