// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's scavenger (Go's mgcscavenge.go, in spirit): gives idle memory back
 * to the page allocator, in the background and under memory pressure.
 *
 * In the background: when a span free leaves its arena with no span in use
 * and more idle heap than the retention (module parameter retain_kb) plus
 * that arena, the mheap schedules the work item this file handed it at
 * load; so does any span free leaving more idle heap than the retention,
 * as long as the last pass returned something (a flush of the caches may
 * empty arenas), but not after a pass that returned nothing: on a
 * fragmented heap, where no arena empties, one pass finds that out and no
 * other follows. A pass runs GOMEM_SCAVENGE_DELAY later, on an
 * unbound worker (a housekeeping CPU): the CPUs whose caches hold objects -
 * isolated CPUs excepted, and none with empty caches - flush them, each from
 * a work item of its own (objects parked there keep spans, and so arenas, in
 * use); then the transfer caches; then arenas with no span in use go back
 * while the idle heap still exceeds the retention. Arenas the pass's own
 * flushes empty are released by the same pass; their frees schedule one
 * more pass, which finds nothing and schedules none.
 *
 * Under pressure: gomem's shrinker. count: the pages of arenas with no span
 * in use - exactly what a scan can return - and, at most once per
 * GOMEM_SCAVENGE_DELAY, a pass with the retention ignored, so that objects
 * parked in caches do not keep more arenas for ever. scan: return idle
 * arenas until @nr_to_scan pages went back. Reclaim never waits for another
 * CPU.
 *
 * Layer 8 (internal.h): calls mcache.c, mcentral.c and mheap.c.
 */

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>

#include "internal.h"

/* How long after an arena empties the scavenger runs; its pressure passes' spacing. */
#define GOMEM_SCAVENGE_DELAY	HZ

static void gomem_scavenge_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gomem_scavenge_work, gomem_scavenge_workfn);

/* Idle heap bytes kept from the page allocator; written once at load. */
static unsigned long gomem_retain_bytes;

/* Clear from init to exit; a kick then finds it set and does nothing. */
static bool gomem_scavenger_stopped = true;

/* Set by the shrinker: the next run ignores the retention (atomic_xchg()). */
static atomic_t gomem_scavenge_pressure = ATOMIC_INIT(0);

/* jiffies of the last pressure kick (racy: two kicks at once are harmless). */
static unsigned long gomem_pressure_stamp;

/*
 * Passes run and CPUs they had drain their caches, since load: written by
 * the work only (one work item never runs twice at once), read racily by
 * gomem_scavenger_counts().
 */
static unsigned long gomem_scavenge_passes;
static unsigned long gomem_scavenge_drains;

static void gomem_scavenge_workfn(struct work_struct *work)
{
	bool all_idle = atomic_xchg(&gomem_scavenge_pressure, 0);
	unsigned long released;
	unsigned int drained;

	drained = gomem_drain_cpus(true);
	gomem_central_drain();
	released = gomem_heap_release(all_idle ? 0 : gomem_retain_bytes, ULONG_MAX);
	gomem_heap_idle_pass_done(released);
	WRITE_ONCE(gomem_scavenge_passes, gomem_scavenge_passes + 1);
	WRITE_ONCE(gomem_scavenge_drains, gomem_scavenge_drains + drained);
}

/* Memory is short: a pass at once, with the retention ignored; one per delay at most. */
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
 * gomem_scavenge() - return every idle arena to the page allocator now
 *
 * The transfer caches are drained first; the per-CPU caches are not (see
 * gomem_drain_all()).
 *
 * Context: process context.
 */
void gomem_scavenge(void)
{
	gomem_central_drain();
	gomem_heap_release(0, ULONG_MAX);
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenge, GOMEM_INTERNAL);

/**
 * gomem_scavenger_counts() - the scavenger's work since load
 * @passes: set to the passes run, background and pressure
 * @drains: set to the per-CPU cache drains those passes asked for
 *
 * Context: any context; racy reads.
 */
void gomem_scavenger_counts(unsigned long *passes, unsigned long *drains)
{
	*passes = READ_ONCE(gomem_scavenge_passes);
	*drains = READ_ONCE(gomem_scavenge_drains);
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenger_counts, GOMEM_INTERNAL);

/* === The shrinker === */

/**
 * gomem_shrinker_count() - what a scan could return now
 *
 * The shrinker's count without its side effect (the pressure pass).
 *
 * Context: any context; a racy read.
 * Return: kernel pages of the arenas with no span in use.
 */
unsigned long gomem_shrinker_count(void)
{
	return gomem_heap_idle_arena_bytes() >> PAGE_SHIFT;
}
EXPORT_SYMBOL_NS_GPL(gomem_shrinker_count, GOMEM_INTERNAL);

/**
 * gomem_shrinker_scan() - return idle arenas until @nr_to_scan pages went back
 * @nr_to_scan: kernel pages wanted; whole arenas go, so the last one may
 *		overshoot
 *
 * The shrinker's scan. The retention is ignored: memory is short.
 *
 * Context: process context; may sleep.
 * Return: kernel pages returned to the page allocator.
 */
unsigned long gomem_shrinker_scan(unsigned long nr_to_scan)
{
	return gomem_heap_release(0, nr_to_scan << PAGE_SHIFT) >> PAGE_SHIFT;
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
 * gomem_scavenger_init() - start giving idle memory back
 * @retain_bytes: idle heap to keep from the page allocator
 *
 * Hands the work item to the mheap and registers the shrinker.
 *
 * Context: process context, module init, once the heap and caches exist.
 * Return: 0, or -ENOMEM when the shrinker cannot be registered.
 */
int gomem_scavenger_init(unsigned long retain_bytes)
{
	int ret;

	gomem_retain_bytes = retain_bytes;
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
