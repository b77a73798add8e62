// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's scavenger (Go's mgcscavenge.go, in spirit): gives free pages back
 * to the page allocator, in the background and under memory pressure.
 *
 * In the background, paced. A span free that leaves more free-run bytes
 * than the floor (module parameter retain_kb) schedules a pass
 * GOMEM_SCAVENGE_DELAY later, on an unbound worker (a housekeeping CPU).
 * A pass:
 *
 *   1. flushes the per-CPU caches of CPUs that hold objects and made no
 *      gomem call since the previous pass (idle caches pin spans; a busy
 *      one recycles its objects), isolated CPUs excepted; then the
 *      transfer caches;
 *   2. releases free runs, oldest first (gomem_heap_scavenge()): any run
 *      while the free runs exceed the goal - the floor, or
 *      GOMEM_SCAVENGE_GOAL_PCT of the heap in use if that is more (Go keeps
 *      10 % over its heap goal) - and, below the goal, the runs idle for
 *      GOMEM_SCAVENGE_AGE; never below the floor;
 *   3. spends about scavenge_permille of one CPU (Go: 1 %): it releases a
 *      chunk of GOMEM_SCAVENGE_CHUNK at most, measures the time that took,
 *      and waits (1000 / permille - 1) times as long before the next chunk;
 *   4. schedules the next pass when the oldest run kept comes of age (at
 *      most GOMEM_SCAVENGE_RECHECK later: a busy heap frees more runs
 *      meanwhile, and the goal is kept by releasing them), or a delay later
 *      while busy CPUs hold cached objects; otherwise none: a span free or a
 *      growth starts the next one. A scavenger with nothing to do never
 *      runs. Step 1 is done at most once per GOMEM_SCAVENGE_DELAY.
 *
 * Under pressure: the shrinker. count: the free pages of the heap; scan:
 * release them, oldest first, page by page, without waiting (an RCU
 * callback frees them); and, at most once per GOMEM_SCAVENGE_DELAY, a pass
 * with the floor ignored and every CPU's caches flushed. Reclaim never
 * waits for another CPU.
 *
 * At the memory limit (gomem_heap_set_limit(), module parameter
 * memory_limit_kb) the heap releases synchronously itself and kicks a pass.
 *
 * Layer 8 (internal.h): calls mcache.c, mcentral.c and mheap.c.
 */

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>

#include "internal.h"

/* How long after a span free a pass runs; the pressure passes' spacing. */
#define GOMEM_SCAVENGE_DELAY	HZ
/* Free runs idle this long go back even under the goal. */
#define GOMEM_SCAVENGE_AGE	HZ
/* Free bytes kept, as a share of the heap in use, before age decides. */
#define GOMEM_SCAVENGE_GOAL_PCT	10
/* Bytes released between two measurements of the CPU time spent. */
#define GOMEM_SCAVENGE_CHUNK	SZ_1M
/* While runs wait to come of age, a pass at least this often (a busy heap frees more). */
#define GOMEM_SCAVENGE_RECHECK	(HZ / 4)

static void gomem_scavenge_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gomem_scavenge_work, gomem_scavenge_workfn);

/* Free-run bytes always kept (the floor; gomem_scavenger_set_floor()), and the CPU share. */
static unsigned long gomem_retain_bytes;
static unsigned int gomem_scavenge_permille = 10;

/* Clear from init to exit; a kick then finds it set and does nothing. */
static bool gomem_scavenger_stopped = true;

/* Set by the shrinker: the next run ignores the floor (atomic_xchg()). */
static atomic_t gomem_scavenge_pressure = ATOMIC_INIT(0);

/* jiffies of the last pressure kick (racy: two kicks at once are harmless). */
static unsigned long gomem_pressure_stamp;

/*
 * Written by the work only (one work item never runs twice at once), read
 * racily by gomem_scavenger_counts(): runs, CPUs they had drain their
 * caches, ns spent releasing, and when the caches were last flushed.
 */
static unsigned long gomem_scavenge_passes;
static unsigned long gomem_scavenge_drains;
static u64 gomem_scavenge_ns;
static unsigned long gomem_scavenge_drained_at;	/* jiffies of the last cache flushes */

static void gomem_scavenge_workfn(struct work_struct *work)
{
	bool pressure = atomic_xchg(&gomem_scavenge_pressure, 0);
	struct gomem_scavenge_req req = {
		.floor = pressure ? 0 : READ_ONCE(gomem_retain_bytes),
		.min_age = pressure ? 0 : GOMEM_SCAVENGE_AGE,
		.max_bytes = GOMEM_SCAVENGE_CHUNK,
		.may_sleep = true,
	};
	unsigned int drained = 0, busy = 0;
	unsigned long delay = 0;
	u64 t0, ns;

	/* The caches at most once a delay (a pass may come every RECHECK). */
	if (pressure || time_after_eq(jiffies, gomem_scavenge_drained_at + GOMEM_SCAVENGE_DELAY)) {
		drained = gomem_drain_cpus(true, !pressure, &busy);
		gomem_central_drain();
		gomem_scavenge_drained_at = jiffies;
	}
	req.goal = max(req.floor, READ_ONCE(gomem_heap.heap_inuse) / 100 *
				  GOMEM_SCAVENGE_GOAL_PCT);
	if (pressure)
		req.goal = 0;
	t0 = local_clock();
	gomem_heap_scavenge(&req);
	ns = local_clock() - t0 - req.wait_ns;

	if (req.more) {
		/* Pace: ns of work, then (1000 / permille - 1) times as long of rest. */
		delay = nsecs_to_jiffies(ns * (1000 / gomem_scavenge_permille - 1)) ?: 1;
	} else if (req.any_left) {
		delay = time_after(req.next_due, jiffies) ? req.next_due - jiffies : 1;
		delay = min_t(unsigned long, delay, GOMEM_SCAVENGE_RECHECK);
	} else if (busy) {
		delay = GOMEM_SCAVENGE_DELAY;
	}
	WRITE_ONCE(gomem_scavenge_passes, gomem_scavenge_passes + 1);
	WRITE_ONCE(gomem_scavenge_drains, gomem_scavenge_drains + drained);
	WRITE_ONCE(gomem_scavenge_ns, gomem_scavenge_ns + ns);
	if (delay && !READ_ONCE(gomem_scavenger_stopped))
		mod_delayed_work(system_unbound_wq, &gomem_scavenge_work, delay);
}

/* Memory is short: a pass at once, with the floor ignored; one per delay at most. */
static void gomem_scavenge_pressure_kick(void)
{
	unsigned long now = jiffies;

	if (READ_ONCE(gomem_scavenger_stopped) ||
	    time_before(now, READ_ONCE(gomem_pressure_stamp) + GOMEM_SCAVENGE_DELAY))
		return;
	WRITE_ONCE(gomem_pressure_stamp, now);
	atomic_set(&gomem_scavenge_pressure, 1);
	mod_delayed_work(system_unbound_wq, &gomem_scavenge_work, 0);
}

/**
 * gomem_scavenge() - give every free page back to the page allocator now
 *
 * The transfer caches are drained first; the per-CPU caches are not (see
 * gomem_drain_all()). The pages are freed before it returns.
 *
 * Context: process context; may sleep.
 */
void gomem_scavenge(void)
{
	struct gomem_scavenge_req req = {
		.min_age = ULONG_MAX,
		.max_bytes = ULONG_MAX,
		.may_sleep = true,
	};

	gomem_central_drain();
	do {
		gomem_heap_scavenge(&req);
		cond_resched();
	} while (req.more);
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenge, GOMEM_INTERNAL);

/**
 * gomem_scavenger_counts() - the scavenger's work since load
 * @passes: set to the passes (chunks) run, background and pressure
 * @drains: set to the per-CPU cache drains those passes asked for
 * @ns: set to the ns they spent releasing pages (grace periods not counted)
 *
 * Context: any context; racy reads.
 */
void gomem_scavenger_counts(unsigned long *passes, unsigned long *drains, u64 *ns)
{
	*passes = READ_ONCE(gomem_scavenge_passes);
	*drains = READ_ONCE(gomem_scavenge_drains);
	*ns = READ_ONCE(gomem_scavenge_ns);
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenger_counts, GOMEM_INTERNAL);

/**
 * gomem_scavenger_set_floor() - change the free-run bytes always kept
 * @bytes: the new floor (the retain_kb module parameter sets it at load)
 *
 * For gomem's KUnit suites, which load gomem with a floor and lower it to
 * watch the background scavenger.
 *
 * Context: process context.
 * Return: the floor it replaces.
 */
unsigned long gomem_scavenger_set_floor(unsigned long bytes)
{
	unsigned long old = xchg(&gomem_retain_bytes, bytes);

	gomem_heap_set_idle_work(READ_ONCE(gomem_scavenger_stopped) ? NULL : &gomem_scavenge_work,
				 GOMEM_SCAVENGE_DELAY, bytes);
	return old;
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenger_set_floor, GOMEM_INTERNAL);

/* === The shrinker === */

/**
 * gomem_shrinker_count() - what a scan could return now
 *
 * The shrinker's count without its side effect (the pressure pass).
 *
 * Context: any context; a racy read.
 * Return: kernel pages of the heap's free runs.
 */
unsigned long gomem_shrinker_count(void)
{
	return gomem_heap_free_bytes(&gomem_heap) >> PAGE_SHIFT;
}
EXPORT_SYMBOL_NS_GPL(gomem_shrinker_count, GOMEM_INTERNAL);

/**
 * gomem_shrinker_scan() - give back @nr_to_scan pages of free runs
 * @nr_to_scan: kernel pages wanted, rounded up to whole gomem pages
 *
 * The shrinker's scan: free runs oldest first, the last one in part, with
 * the floor ignored (memory is short). The pages are freed by an RCU
 * callback after a grace period: reclaim does not wait.
 *
 * Context: any context but NMI.
 * Return: kernel pages released.
 */
unsigned long gomem_shrinker_scan(unsigned long nr_to_scan)
{
	struct gomem_scavenge_req req = {
		.min_age = ULONG_MAX,
		.max_bytes = ALIGN(nr_to_scan << PAGE_SHIFT, GOMEM_PAGE_SIZE),
	};
	unsigned long released = 0, got;

	do {
		got = gomem_heap_scavenge(&req);
		released += got;
		req.max_bytes -= got;
	} while (req.more && req.max_bytes);
	return released >> PAGE_SHIFT;
}
EXPORT_SYMBOL_NS_GPL(gomem_shrinker_scan, GOMEM_INTERNAL);

static unsigned long gomem_shrink_count(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long pages = gomem_shrinker_count();

	/* Objects parked in caches may keep more arenas: have the CPUs flush them. */
	gomem_scavenge_pressure_kick();
	return pages ? pages : SHRINK_EMPTY;
}

static unsigned long gomem_shrink_scan(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long freed = gomem_shrinker_scan(sc->nr_to_scan);

	sc->nr_scanned = freed;
	return freed ? freed : SHRINK_STOP;
}

#ifdef SHRINKER_ALLOCATED	/* 6.7+: shrinker_alloc() and shrinker_register() */
static struct shrinker *gomem_shrinker;

static int gomem_shrinker_init(void)
{
	gomem_shrinker = shrinker_alloc(0, "gomem");
	if (!gomem_shrinker)
		return -ENOMEM;
	gomem_shrinker->count_objects = gomem_shrink_count;
	gomem_shrinker->scan_objects = gomem_shrink_scan;
	shrinker_register(gomem_shrinker);
	return 0;
}

static void gomem_shrinker_exit(void)
{
	shrinker_free(gomem_shrinker);
	gomem_shrinker = NULL;
}
#else				/* up to 6.6: a static shrinker, register_shrinker() */
static struct shrinker gomem_shrinker = {
	.count_objects = gomem_shrink_count,
	.scan_objects = gomem_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int gomem_shrinker_init(void)
{
	return register_shrinker(&gomem_shrinker, "gomem");
}

static void gomem_shrinker_exit(void)
{
	unregister_shrinker(&gomem_shrinker);
}
#endif

/* === Start and stop === */

/**
 * gomem_scavenger_init() - start giving free pages back
 * @retain_bytes: free-run bytes always kept from the page allocator (the floor)
 * @permille: the share of one CPU a background pass may spend, 1-1000
 *
 * Hands the work item to the mheap and registers the shrinker.
 *
 * Context: process context, module init, once the heap and caches exist.
 * Return: 0, or -ENOMEM when the shrinker cannot be registered.
 */
int gomem_scavenger_init(unsigned long retain_bytes, unsigned int permille)
{
	int ret;

	gomem_retain_bytes = retain_bytes;
	gomem_scavenge_permille = clamp(permille, 1U, 1000U);
	ret = gomem_shrinker_init();
	if (ret)
		return ret;
	WRITE_ONCE(gomem_scavenger_stopped, false);
	gomem_heap_set_idle_work(&gomem_scavenge_work, GOMEM_SCAVENGE_DELAY, retain_bytes);
	return 0;
}

/**
 * gomem_scavenger_exit() - stop the scavenger and the shrinker for good
 *
 * After it returns, neither runs nor can be started again: the shrinker is
 * gone, the mheap no longer has the work item, a late kick sees the stop
 * flag, and the work is cancelled and waited for (a run that schedules
 * itself again meanwhile cannot: the cancel holds its pending bit).
 *
 * Context: process context, module exit, before the caches go away.
 */
void gomem_scavenger_exit(void)
{
	gomem_shrinker_exit();
	WRITE_ONCE(gomem_scavenger_stopped, true);
	gomem_heap_set_idle_work(NULL, 0, 0);
	cancel_delayed_work_sync(&gomem_scavenge_work);
}
