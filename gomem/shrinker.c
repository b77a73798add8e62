// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's shrinker: when the kernel reclaims memory, gomem's idle heap goes
 * back to the page allocator whatever retain_kb says.
 *
 * count: the idle heap, in kernel pages. scan: flush this CPU's caches (the
 * only ones reclaim may touch directly), return every arena with no span in
 * use, and start the scavenger at once to have every other CPU flush its own
 * caches and return what they held. Reclaim never waits for another CPU.
 */

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/shrinker.h>

#include "internal.h"

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
	freed = gomem_heap_scavenge(true) >> PAGE_SHIFT;
	gomem_heap_pressure_kick();
	return freed ? freed : SHRINK_STOP;
}

#ifdef SHRINKER_ALLOCATED	/* 6.7+: shrinker_alloc() and shrinker_register() */
static struct shrinker *gomem_shrinker;

int gomem_shrinker_init(void)
{
	gomem_shrinker = shrinker_alloc(0, "gomem");
	if (!gomem_shrinker)
		return -ENOMEM;
	gomem_shrinker->count_objects = gomem_shrink_count;
	gomem_shrinker->scan_objects = gomem_shrink_scan;
	shrinker_register(gomem_shrinker);
	return 0;
}

void gomem_shrinker_exit(void)
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

int gomem_shrinker_init(void)
{
	return register_shrinker(&gomem_shrinker, "gomem");
}

void gomem_shrinker_exit(void)
{
	unregister_shrinker(&gomem_shrinker);
}
#endif
