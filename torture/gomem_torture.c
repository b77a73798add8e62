// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_torture - a time-bounded stress test of the gomem allocator.
 *
 * Loading the module runs the test for duration_s seconds, prints one summary
 * line and returns 0 when everything held, -EIO otherwise. The load is:
 *
 *  - workers: a kthread bound to every online CPU but the hotplug victim, plus
 *    one unbound "roaming" kthread that the scheduler also runs on the
 *    victim. Each keeps a table of objects and does a random mix of
 *    gomem_alloc(), gomem_realloc() and gomem_free() of tiny (1-15 bytes),
 *    small (up to 32 KiB) and now and then large (up to 1 MiB) sizes. Every
 *    object holds a pattern derived from its address and a seed, checked
 *    before each realloc or free. Some objects are passed to another
 *    worker's inbox (a spinlock-protected ring) and freed on that CPU.
 *  - interrupts: hrtimers in hardirq mode and hrtimers in softirq mode (one
 *    pair per online CPU, not pinned, so they follow a CPU going down)
 *    allocate with GFP_ATOMIC, check and free objects of their own rings.
 *  - hotplug: with CONFIG_HOTPLUG_CPU and at least 3 online CPUs, a thread
 *    takes the victim (the highest hot-pluggable CPU other than the boot
 *    CPU) down and up about once a second. No bound worker runs there, so no
 *    worker is ever unbound by hotplug; the victim still runs the roaming
 *    worker and the timers until it goes down, and gomem's CPU-dead callback
 *    must flush its caches each time.
 *  - memory pressure: a thread takes pressure_pct percent of RAM from the
 *    page allocator (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, so reclaim
 *    and the shrinkers run but the OOM killer does not) and gives it back.
 *  - statistics: a thread reads gomem_read_memstats() continuously and, every
 *    2 s, asks gomem to scavenge or calls the shrinker's scan for half the
 *    free pages (the background scavenger runs too: gomem's default floor
 *    is 0).
 *
 * At the end every object is checked and freed, gomem_drain_all() flushes
 * the caches and gomem_check_heap() must find no violation.
 */

#define pr_fmt(fmt) "gomem-torture: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "../gomem/internal.h"

static unsigned int duration_s = 60;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s, "Seconds to run, 1-86400 (default: 60)");

static unsigned int objects = 256;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "Objects each worker holds at most, 16-65536 (default: 256)");

static unsigned int large_permille = 4;
module_param(large_permille, uint, 0444);
MODULE_PARM_DESC(large_permille,
		 "Allocations of large objects (32 KiB-1 MiB), per mille, 0-1000 (default: 4)");

static unsigned int handoff_pct = 10;
module_param(handoff_pct, uint, 0444);
MODULE_PARM_DESC(handoff_pct,
		 "Objects passed to another CPU's worker to free, percent, 0-100 (default: 10)");

static unsigned int irq_period_us = 500;
module_param(irq_period_us, uint, 0444);
MODULE_PARM_DESC(irq_period_us,
		 "Period of the hardirq and softirq timers in microseconds, 50-1000000 (default: 500)");

static bool hotplug = true;
module_param(hotplug, bool, 0444);
MODULE_PARM_DESC(hotplug,
		 "Offline and online a CPU about once a second; needs CONFIG_HOTPLUG_CPU and 3 CPUs (default: on)");

static unsigned int pressure_pct = 50;
module_param(pressure_pct, uint, 0444);
MODULE_PARM_DESC(pressure_pct,
		 "RAM the memory-pressure thread takes each round, percent, 0 (off)-90 (default: 50)");

#define GT_TINY_MAX		15
#define GT_LARGE_MAX		(1024 * 1024)
#define GT_IRQ_SLOTS		8
#define GT_IRQ_MAX_SIZE		2048
#define GT_INBOX_LEN		64
#define GT_REPORTS		10

/* An object and what its pattern derives from. */
struct gt_obj {
	void *p;
	size_t size;
	u64 seed;
};

/* A worker's inbox: objects other workers pass it to free. */
struct gt_inbox {
	spinlock_t lock;		/* guards n and obj[] */
	unsigned int n;
	struct gt_obj obj[GT_INBOX_LEN];
};

struct gt_worker {
	struct task_struct *task;
	unsigned int id;
	u64 rng;
	struct gt_inbox inbox;
	struct gt_obj *obj;		/* objects entries */
};

struct gt_timer {
	struct hrtimer timer;
	ktime_t period;
	bool hard;
	u64 rng;
	struct gt_obj obj[GT_IRQ_SLOTS];
};

static struct gt_worker *gt_workers;
static unsigned int gt_nworkers;
static struct gt_timer *gt_timers;
static unsigned int gt_ntimers, gt_timers_started;
static struct task_struct *gt_hotplug_task, *gt_pressure_task, *gt_stats_task;
static unsigned int gt_victim;
static bool gt_stop;

static atomic_long_t gt_ops, gt_mismatches, gt_nomem, gt_handoffs;
static atomic_long_t gt_irq_allocs, gt_softirq_allocs;
static atomic_long_t gt_hotplug_cycles, gt_hotplug_errors;
static atomic_long_t gt_pressure_events, gt_pressure_pages, gt_stats_reads;

/* splitmix64's finaliser: consecutive inputs give unrelated outputs. */
static u64 gt_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: cheap enough for hardirq context, one state per user. */
static u32 gt_rand(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (x * 0x2545f4914f6cdd1dULL) >> 32;
}

static u64 gt_key(const void *p, u64 seed)
{
	return gt_mix((unsigned long)p ^ seed);
}

/* Fill @n bytes at @p with the pattern of address @p and @seed. */
static void gt_fill(void *p, size_t n, u64 seed)
{
	u64 key = gt_key(p, seed), v;
	u8 *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = gt_mix(key + i);
		memcpy(b + i, &v, 8);	/* tiny objects are not 8-byte aligned */
	}
	if (i < n) {
		v = gt_mix(key + i);
		memcpy(b + i, &v, n - i);
	}
}

/*
 * Check the first @n bytes at @p against the pattern written at address
 * @at with @seed (@at differs from @p after a realloc moved the object).
 */
static bool gt_check(const void *p, const void *at, size_t n, u64 seed, const char *what)
{
	u64 key = gt_key(at, seed), v;
	const u8 *b = p;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = gt_mix(key + i);
		if (memcmp(b + i, &v, 8))
			goto bad;
	}
	if (i < n) {
		v = gt_mix(key + i);
		if (memcmp(b + i, &v, n - i))
			goto bad;
	}
	return true;
bad:
	if (atomic_long_inc_return(&gt_mismatches) <= GT_REPORTS)
		pr_err("%s: object %p (size %zu) corrupted at offset %zu\n", what, p, n, i);
	return false;
}

static void gt_check_free(struct gt_obj *o, const char *what)
{
	if (!o->p)
		return;
	gt_check(o->p, o->p, o->size, o->seed, what);
	gomem_free(o->p);
	o->p = NULL;
}

/* A random size: mostly tiny and small, skewed to the small end; rarely large. */
static size_t gt_size(u64 *rng)
{
	u32 r = gt_rand(rng);

	if (large_permille && r % 1000 < large_permille)
		return GOMEM_MAX_SMALL_OBJECT + 1 +
		       gt_rand(rng) % (GT_LARGE_MAX - GOMEM_MAX_SMALL_OBJECT);
	if ((r >> 10) % 100 < 35)
		return 1 + gt_rand(rng) % GT_TINY_MAX;
	/* 16 bytes to 32 KiB, each power of two about as likely. */
	return min_t(size_t, GOMEM_MAX_SMALL_OBJECT,
		     16 + gt_rand(rng) % (16U << ((r >> 20) % 12)));
}

static bool gt_alloc(struct gt_obj *o, size_t size, u64 *rng, gfp_t gfp)
{
	o->p = gomem_alloc(size, gfp);
	if (!o->p) {
		atomic_long_inc(&gt_nomem);
		return false;
	}
	o->size = size;
	o->seed = gt_rand(rng) | (u64)gt_rand(rng) << 32;
	gt_fill(o->p, size, o->seed);
	return true;
}

/* === Workers === */

static void gt_drain_inbox(struct gt_worker *w)
{
	struct gt_obj o[8];
	unsigned int i, n;

	do {
		spin_lock(&w->inbox.lock);
		n = min_t(unsigned int, w->inbox.n, ARRAY_SIZE(o));
		w->inbox.n -= n;
		memcpy(o, &w->inbox.obj[w->inbox.n], n * sizeof(o[0]));
		spin_unlock(&w->inbox.lock);
		for (i = 0; i < n; i++)
			gt_check_free(&o[i], "remote free");
	} while (n);
}

/* Pass @o to another worker; false if its inbox is full. */
static bool gt_handoff(struct gt_worker *w, struct gt_obj *o)
{
	struct gt_worker *to;
	bool ok = false;

	if (gt_nworkers < 2)
		return false;
	to = &gt_workers[(w->id + 1 + gt_rand(&w->rng) % (gt_nworkers - 1)) % gt_nworkers];
	spin_lock(&to->inbox.lock);
	if (to->inbox.n < GT_INBOX_LEN) {
		to->inbox.obj[to->inbox.n++] = *o;
		ok = true;
	}
	spin_unlock(&to->inbox.lock);
	if (ok) {
		o->p = NULL;
		atomic_long_inc(&gt_handoffs);
	}
	return ok;
}

static void gt_realloc(struct gt_worker *w, struct gt_obj *o)
{
	size_t size = gt_size(&w->rng);
	void *old = o->p, *p;

	if (!gt_check(old, old, o->size, o->seed, "before realloc"))
		gt_fill(old, o->size, o->seed);
	p = gomem_realloc(old, size, GFP_KERNEL);
	if (!p) {
		atomic_long_inc(&gt_nomem);
		return;
	}
	gt_check(p, old, min(size, o->size), o->seed, "after realloc");
	o->p = p;
	o->size = size;
	gt_fill(p, size, o->seed);
}

static void gt_step(struct gt_worker *w)
{
	struct gt_obj *o = &w->obj[gt_rand(&w->rng) % objects];
	u32 r = gt_rand(&w->rng) % 100;

	if (!o->p) {
		gt_alloc(o, gt_size(&w->rng), &w->rng, GFP_KERNEL);
	} else if (r < handoff_pct) {
		/* Count a corruption once: the receiver checks it again. */
		if (!gt_check(o->p, o->p, o->size, o->seed, "before handoff"))
			gt_fill(o->p, o->size, o->seed);
		if (!gt_handoff(w, o))
			gt_check_free(o, "free");
	} else if (r < handoff_pct + (100 - handoff_pct) / 4) {
		gt_realloc(w, o);
	} else {
		gt_check_free(o, "free");
	}
	atomic_long_inc(&gt_ops);
}

static int gt_worker_fn(void *data)
{
	struct gt_worker *w = data;
	unsigned int i;

	while (!kthread_should_stop()) {
		if (READ_ONCE(gt_stop)) {
			msleep_interruptible(10);
			continue;
		}
		gt_step(w);
		if (!(atomic_long_read(&gt_ops) & 15))
			gt_drain_inbox(w);
		cond_resched();
	}
	for (i = 0; i < objects; i++)
		gt_check_free(&w->obj[i], "final free");
	return 0;
}

/* === Interrupt context === */

static enum hrtimer_restart gt_timer_fn(struct hrtimer *t)
{
	struct gt_timer *gt = container_of(t, struct gt_timer, timer);
	struct gt_obj *o = &gt->obj[gt_rand(&gt->rng) % GT_IRQ_SLOTS];

	if (READ_ONCE(gt_stop))
		return HRTIMER_NORESTART;
	gt_check_free(o, gt->hard ? "hardirq free" : "softirq free");
	if (gt_alloc(o, 1 + gt_rand(&gt->rng) % GT_IRQ_MAX_SIZE, &gt->rng, GFP_ATOMIC))
		atomic_long_inc(gt->hard ? &gt_irq_allocs : &gt_softirq_allocs);
	hrtimer_forward_now(t, gt->period);
	return HRTIMER_RESTART;
}

/* === Hotplug, memory pressure, statistics === */

static int gt_hotplug_fn(void *data)
{
	int ret;

	while (!kthread_should_stop()) {
		msleep_interruptible(500);
		if (READ_ONCE(gt_stop))
			continue;
		ret = remove_cpu(gt_victim);
		if (ret) {
			atomic_long_inc(&gt_hotplug_errors);
			pr_err("remove_cpu(%u): %d\n", gt_victim, ret);
			continue;
		}
		msleep_interruptible(500);
		ret = add_cpu(gt_victim);
		if (ret) {
			atomic_long_inc(&gt_hotplug_errors);
			pr_err("add_cpu(%u): %d\n", gt_victim, ret);
			continue;
		}
		atomic_long_inc(&gt_hotplug_cycles);
	}
	return 0;
}

static void gt_pressure_round(unsigned long target)
{
	unsigned long got = 0;
	struct page *page, *next;
	unsigned int order = 3;
	LIST_HEAD(pages);

	while (got < target && !READ_ONCE(gt_stop)) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, order);
		if (!page) {
			if (!order)
				break;
			order = 0;
			continue;
		}
		set_page_private(page, order);
		list_add(&page->lru, &pages);
		got += 1UL << order;
		cond_resched();
	}
	list_for_each_entry_safe(page, next, &pages, lru) {
		list_del(&page->lru);
		order = page_private(page);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
	atomic_long_add(got, &gt_pressure_pages);
	atomic_long_inc(&gt_pressure_events);
}

static int gt_pressure_fn(void *data)
{
	unsigned long target = totalram_pages() / 100 * pressure_pct;

	while (!kthread_should_stop()) {
		msleep_interruptible(200);
		if (!READ_ONCE(gt_stop))
			gt_pressure_round(target);
	}
	return 0;
}

static int gt_stats_fn(void *data)
{
	struct gomem_memstats *ms = data;
	unsigned long next = jiffies + 2 * HZ;
	unsigned int rounds = 0;

	while (!kthread_should_stop()) {
		if (READ_ONCE(gt_stop)) {
			msleep_interruptible(10);
			continue;
		}
		gomem_read_memstats(ms);
		atomic_long_inc(&gt_stats_reads);
		if (time_after(jiffies, next)) {
			/* In turn: a full scavenge, and the shrinker's half (RCU-freed pages). */
			if (++rounds & 1)
				gomem_scavenge();
			else
				gomem_shrinker_scan(gomem_shrinker_count() / 2 + 1);
			next = jiffies + 2 * HZ;
		}
		usleep_range(500, 1000);
	}
	return 0;
}

/* === Setup and the run === */

static int gt_check_params(void)
{
	if (duration_s < 1 || duration_s > 86400) {
		pr_err("duration_s=%u out of range 1-86400\n", duration_s);
		return -EINVAL;
	}
	if (objects < 16 || objects > 65536) {
		pr_err("objects=%u out of range 16-65536\n", objects);
		return -EINVAL;
	}
	if (large_permille > 1000) {
		pr_err("large_permille=%u out of range 0-1000\n", large_permille);
		return -EINVAL;
	}
	if (handoff_pct > 100) {
		pr_err("handoff_pct=%u out of range 0-100\n", handoff_pct);
		return -EINVAL;
	}
	if (irq_period_us < 50 || irq_period_us > 1000000) {
		pr_err("irq_period_us=%u out of range 50-1000000\n", irq_period_us);
		return -EINVAL;
	}
	if (pressure_pct > 90) {
		pr_err("pressure_pct=%u out of range 0-90\n", pressure_pct);
		return -EINVAL;
	}
	return 0;
}

/* The hotplug victim: the highest hot-pluggable online CPU but the boot CPU. */
static unsigned int gt_pick_victim(void)
{
	unsigned int cpu, victim = nr_cpu_ids;

	if (!hotplug || !IS_ENABLED(CONFIG_HOTPLUG_CPU) || num_online_cpus() < 3)
		return nr_cpu_ids;
	for_each_online_cpu(cpu)
		if (cpu != cpumask_first(cpu_online_mask) && cpu_is_hotpluggable(cpu))
			victim = cpu;
	return victim;
}

static struct task_struct *gt_start(int (*fn)(void *), void *data, const char *name)
{
	struct task_struct *t = kthread_run(fn, data, "%s", name);

	if (IS_ERR(t)) {
		pr_err("cannot start %s: %ld\n", name, PTR_ERR(t));
		return NULL;
	}
	get_task_struct(t);
	return t;
}

static void gt_reap(struct task_struct **t)
{
	if (!*t)
		return;
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

static int gt_start_workers(void)
{
	struct gt_worker *w;
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu) {
		if (cpu == gt_victim)
			continue;
		w = &gt_workers[n];
		w->task = kthread_create(gt_worker_fn, w, "gomem_torture/%u", cpu);
		if (IS_ERR(w->task))
			goto fail;
		kthread_bind(w->task, cpu);
		get_task_struct(w->task);
		wake_up_process(w->task);
		if (++n == gt_nworkers - 1)
			break;
	}
	/* The last one is not bound: it roams, the hotplug victim included. */
	w = &gt_workers[n];
	w->task = kthread_run(gt_worker_fn, w, "gomem_torture/roam");
	if (IS_ERR(w->task))
		goto fail;
	get_task_struct(w->task);
	return 0;
fail:
	pr_err("cannot start a worker: %ld\n", PTR_ERR(w->task));
	w->task = NULL;
	return -ENOMEM;
}

static void gt_run(void)
{
	unsigned long end = jiffies + duration_s * HZ;

	while (time_before(jiffies, end)) {
		msleep_interruptible(min(jiffies_to_msecs(end - jiffies), 1000U));
		if (signal_pending(current)) {
			pr_warn("interrupted by a signal, stopping early\n");
			break;
		}
	}
}

static void gt_stop_all(void)
{
	unsigned int i;

	WRITE_ONCE(gt_stop, true);
	gt_reap(&gt_hotplug_task);
	gt_reap(&gt_pressure_task);
	gt_reap(&gt_stats_task);
	for (i = 0; i < gt_timers_started; i++)
		hrtimer_cancel(&gt_timers[i].timer);
	for (i = 0; i < gt_nworkers; i++)
		gt_reap(&gt_workers[i].task);
	/* Every worker has stopped: nobody passes objects any more. */
	for (i = 0; i < gt_nworkers; i++)
		gt_drain_inbox(&gt_workers[i]);
	for (i = 0; i < gt_timers_started * GT_IRQ_SLOTS; i++)
		gt_check_free(&gt_timers[i / GT_IRQ_SLOTS].obj[i % GT_IRQ_SLOTS], "final free");
	if (gt_victim < nr_cpu_ids && !cpu_online(gt_victim) && add_cpu(gt_victim)) {
		atomic_long_inc(&gt_hotplug_errors);
		pr_err("cannot bring CPU %u back\n", gt_victim);
	}
}

static void gt_free_all(struct gomem_memstats *ms)
{
	unsigned int i;

	if (gt_workers)
		for (i = 0; i < gt_nworkers; i++)
			kvfree(gt_workers[i].obj);
	kfree(gt_workers);
	kfree(gt_timers);
	kfree(ms);
}

static int gt_setup(struct gomem_memstats *ms)
{
	enum hrtimer_mode mode;
	unsigned int i;
	int ret;

	gt_nworkers = num_online_cpus();
	gt_workers = kcalloc(gt_nworkers, sizeof(*gt_workers), GFP_KERNEL);
	gt_ntimers = 2 * num_online_cpus();
	gt_timers = kcalloc(gt_ntimers, sizeof(*gt_timers), GFP_KERNEL);
	if (!gt_workers || !gt_timers)
		return -ENOMEM;
	for (i = 0; i < gt_nworkers; i++) {
		gt_workers[i].id = i;
		gt_workers[i].rng = get_random_u64() | 1;
		spin_lock_init(&gt_workers[i].inbox.lock);
		gt_workers[i].obj = kvcalloc(objects, sizeof(struct gt_obj), GFP_KERNEL);
		if (!gt_workers[i].obj)
			return -ENOMEM;
	}

	ret = gt_start_workers();
	if (ret)
		return ret;
	for (i = 0; i < gt_ntimers; i++) {
		gt_timers[i].hard = !(i & 1);
		gt_timers[i].rng = get_random_u64() | 1;
		gt_timers[i].period = ns_to_ktime((u64)irq_period_us * NSEC_PER_USEC);
		/*
		 * Without PREEMPT_RT a timer not marked _SOFT expires in hard
		 * interrupt context already; _HARD would tell lockdep
		 * (PROVE_RAW_LOCK_NESTING) that the callback keeps PREEMPT_RT's
		 * hardirq rules, which gomem's page allocations there do not
		 * need to where PREEMPT_RT is off.
		 */
		if (!gt_timers[i].hard)
			mode = HRTIMER_MODE_REL_SOFT;
		else if (IS_ENABLED(CONFIG_PREEMPT_RT))
			mode = HRTIMER_MODE_REL_HARD;
		else
			mode = HRTIMER_MODE_REL;
		hrtimer_init(&gt_timers[i].timer, CLOCK_MONOTONIC, mode);
		gt_timers[i].timer.function = gt_timer_fn;
		hrtimer_start(&gt_timers[i].timer, gt_timers[i].period, mode);
		gt_timers_started++;
	}
	gt_stats_task = gt_start(gt_stats_fn, ms, "gomem_torture/stats");
	if (!gt_stats_task)
		return -ENOMEM;
	if (pressure_pct) {
		gt_pressure_task = gt_start(gt_pressure_fn, NULL, "gomem_torture/mem");
		if (!gt_pressure_task)
			return -ENOMEM;
	}
	if (gt_victim < nr_cpu_ids) {
		gt_hotplug_task = gt_start(gt_hotplug_fn, NULL, "gomem_torture/hp");
		if (!gt_hotplug_task)
			return -ENOMEM;
	}
	return 0;
}

static int __init gt_init(void)
{
	long errs0 = 0, errs = 0, ops, bad, heap;
	struct gomem_memstats *ms;
	enum gomem_error e;
	bool pass;
	int ret;

	ret = gt_check_params();
	if (ret)
		return ret;
	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	if (!ms)
		return -ENOMEM;
	for (e = 0; e < GOMEM_NR_ERRORS; e++)
		errs0 += gomem_error_count(e);
	gt_victim = gt_pick_victim();
	pr_info("%u s, %u CPUs online, hotplug victim %d, pressure %u%% of RAM\n",
		duration_s, num_online_cpus(),
		gt_victim < nr_cpu_ids ? (int)gt_victim : -1, pressure_pct);

	ret = gt_setup(ms);
	if (!ret)
		gt_run();
	gt_stop_all();
	gomem_drain_all();
	heap = gomem_check_heap();
	for (e = 0; e < GOMEM_NR_ERRORS; e++)
		errs += gomem_error_count(e);
	gt_free_all(ms);
	if (ret)
		return ret;

	ops = atomic_long_read(&gt_ops);
	bad = atomic_long_read(&gt_mismatches);
	heap += errs - errs0;
	pass = !bad && !heap && ops > 0 && !atomic_long_read(&gt_hotplug_errors);
	pr_info("handoffs=%ld nomem=%ld stats_reads=%ld pressure_pages=%ld hotplug_errors=%ld gomem_reports=%ld\n",
		atomic_long_read(&gt_handoffs), atomic_long_read(&gt_nomem),
		atomic_long_read(&gt_stats_reads), atomic_long_read(&gt_pressure_pages),
		atomic_long_read(&gt_hotplug_errors), errs - errs0);
	pr_info("ops=%ld mismatches=%ld hotplug_cycles=%ld pressure_events=%ld irq_allocs=%ld softirq_allocs=%ld heap_errors=%ld result=%s\n",
		ops, bad, atomic_long_read(&gt_hotplug_cycles),
		atomic_long_read(&gt_pressure_events), atomic_long_read(&gt_irq_allocs),
		atomic_long_read(&gt_softirq_allocs), heap, pass ? "PASS" : "FAIL");
	return pass ? 0 : -EIO;
}

static void __exit gt_exit(void)
{
}

module_init(gt_init);
module_exit(gt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Time-bounded stress test of the gomem allocator");
MODULE_IMPORT_NS(GOMEM_INTERNAL);
