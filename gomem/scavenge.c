// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's scavenger (Go's mgcscavenge.go, in spirit): gives idle memory back
 * to the page allocator, in the background and under memory pressure.
 *
 * In the background: when a span free leaves more idle heap than the
 * retention (module parameter retain_kb), the mheap schedules the work item
 * this file handed it at load. The work runs GOMEM_SCAVENGE_DELAY later,
 * has every CPU flush its own caches (objects parked there keep spans, and
 * so arenas, in use), then returns arenas with no span in use while the idle
 * heap still exceeds the retention. It never runs under a lock or in the
 * caller's context.
 *
 * Under pressure: gomem's shrinker. count: the idle heap, in kernel pages.
 * scan: flush this CPU's caches (the only ones reclaim may touch directly),
 * return every arena with no span in use, and start the work at once, with
 * the retention ignored, to have every other CPU flush its own caches and
 * return what they held. Reclaim never waits for another CPU.
 *
 * Layer 8 (internal.h): calls mcache.c, mcentral.c and mheap.c.
 */

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>

#include "internal.h"

/* How long after the first idle span the scavenger runs. */
#define GOMEM_SCAVENGE_DELAY	HZ

static void gomem_scavenge_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gomem_scavenge_work, gomem_scavenge_workfn);

/* Idle heap bytes kept from the page allocator; written once at load. */
static unsigned long gomem_retain_bytes;

/* Clear from init to exit; a kick then finds it set and does nothing. */
static bool gomem_scavenger_stopped = true;

/* Set by the shrinker: the next run ignores the retention (atomic_xchg()). */
static atomic_t gomem_scavenge_pressure = ATOMIC_INIT(0);

static void gomem_scavenge_workfn(struct work_struct *work)
{
	bool all_idle = atomic_xchg(&gomem_scavenge_pressure, 0);

	gomem_drain_all();
	gomem_heap_release(all_idle ? 0 : gomem_retain_bytes);
}

/* Memory is short: run at once, return every idle arena whatever the retention. */
static void gomem_scavenge_pressure_kick(void)
{
	if (READ_ONCE(gomem_scavenger_stopped))
		return;
	atomic_set(&gomem_scavenge_pressure, 1);
	mod_delayed_work(system_wq, &gomem_scavenge_work, 0);
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
	gomem_heap_release(0);
}
EXPORT_SYMBOL_NS_GPL(gomem_scavenge, GOMEM_INTERNAL);

/* === The shrinker === */

static unsigned long gomem_shrink_count(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long sys = READ_ONCE(gomem_heap.heap_sys);
	unsigned long inuse = READ_ONCE(gomem_heap.heap_inuse);

	/* Racy reads: a transient inuse above sys counts as nothing to free. */
	if (sys <= inuse)
		return SHRINK_EMPTY;
	return (sys - inuse) >> PAGE_SHIFT;
}

static unsigned long gomem_shrink_scan(struct shrinker *shrinker, struct shrink_control *sc)
{
	unsigned long freed;

	gomem_drain_local();
	gomem_central_drain();
	freed = gomem_heap_release(0) >> PAGE_SHIFT;
	gomem_scavenge_pressure_kick();
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
