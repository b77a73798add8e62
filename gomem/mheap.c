// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's mheap: arenas from the page allocator, spans carved from them, free
 * runs coalesced, the page map from address to span, and metadata pools.
 *
 * Go's mheap takes address space from the OS in arenas and keeps a page map
 * (mheap_.spans, then heapArena.spans) from every page to its span. gomem
 * takes arenas with alloc_pages() (4 MiB when it can, the smallest order that
 * fits the span under fragmentation) and keeps a two-level table indexed by
 * the page's offset in the kernel's direct map:
 *
 *   off = addr - PAGE_OFFSET, below gomem_map->limit
 *   span = gomem_map->leaf[off >> 22]->span[(off >> 13) & 511]
 *
 * The first level has a leaf pointer per 4 MiB of the direct map up to the
 * end of memory (8 bytes per 4 MiB: 48 KiB for 24 GiB), sized at load and
 * replaced by a larger copy when memory is hot-added beyond it; leaves
 * (4 KiB) are allocated when an arena first needs them. Both are freed only
 * at module exit (a replaced first level too), so a lookup needs no lock and
 * no RCU: it can only ever see NULL or a span structure (span structures
 * also live until exit, in the pools). An address outside every arena
 * finds NULL, which is how gomem_free() tells a gomem pointer from any
 * other.
 *
 * Memory goes back through gomem_heap_release(), which returns arenas with
 * no span in use (kept at the head of the arena list); when a free leaves an
 * arena with no span in use and more idle heap than the idle threshold,
 * gomem_heap_free() schedules the work item the scavenger handed down at
 * load (gomem_heap_set_idle_work()). This file never calls above itself.
 *
 * Layer 4 (internal.h): calls fixalloc.c and report.c.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/memory.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "internal.h"

/*
 * The largest order the page allocator gives. MAX_ORDER was exclusive up to
 * 6.3, inclusive from 6.4 and became MAX_PAGE_ORDER in 6.8; MAX_ORDER_NR_PAGES
 * means the same pages in all of them.
 */
#define GOMEM_MAX_ORDER		ilog2(MAX_ORDER_NR_PAGES)

/* Kernel pages per gomem page, and the order of one gomem page. */
#define GOMEM_PAGE_ORDER	(GOMEM_PAGE_SHIFT - PAGE_SHIFT)
/* Preferred arena: 4 MiB, or the largest order the page allocator has. */
#define GOMEM_ARENA_ORDER	min(22 - PAGE_SHIFT, GOMEM_MAX_ORDER)

struct mheap gomem_heap;

struct map_top *gomem_map;
struct mspan gomem_no_span = { .state = MSPAN_DEAD };
/* Never written: every entry is &gomem_no_span. */
struct map_leaf gomem_map_empty_leaf = {
	.span = { [0 ... MAP_LEAF_LEN - 1] = &gomem_no_span },
};

static atomic_long_t map_bytes;		/* bytes of first levels and leaves */
/* First levels replaced by larger ones, freed at exit (map_memory_nb's callback; exit). */
static struct map_top *map_old[16];
static unsigned int map_nold;

/*
 * The pool for span structures with bitmaps for @nelems objects: pool
 * GOMEM_POOL_SPAN1 + k has room for 64 << k objects, their live bytes then
 * their alloc bits (span_pool_size()).
 */
static unsigned int span_pool(unsigned int nelems)
{
	unsigned int longs = BITS_TO_LONGS(nelems);

	if (!nelems)
		return GOMEM_POOL_SPAN0;
	return GOMEM_POOL_SPAN1 + order_base_2(longs);
}

static struct mspan *span_alloc(unsigned int nelems, gfp_t gfp)
{
	unsigned int pool = span_pool(nelems);
	unsigned int longs = nelems ? 1U << (pool - GOMEM_POOL_SPAN1) : 0;
	struct mspan *s;

	s = gomem_fixalloc_alloc(&gomem_pools[pool], gfp);
	if (!s)
		return NULL;
	s->pool = pool;
	if (longs)
		s->alloc_bits = (unsigned long *)(s->live + longs * BITS_PER_LONG);
	return s;
}

/* A span structure no reader has seen (an allocation that failed) goes back now. */
static void span_discard(struct mspan *s)
{
	gomem_fixalloc_free(&gomem_pools[s->pool], s);
}

static void span_free_rcu(struct rcu_head *head)
{
	struct mspan *s = container_of(head, struct mspan, rcu);

	if (s->tiny_masks)
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_TINYMASK], s->tiny_masks);
	span_discard(s);
}

/*
 * A structure of a small or tiny span (and of the free runs its pages
 * become) goes back to its pool after a grace period, with a tiny span's
 * masks: a lock-free free (gomem_free() and friends, which look a span up
 * and claim an object inside an RCU read-side section) never sees it or its
 * masks reused, nor its first word become the pool's free-list link. The
 * structures without bitmaps (pool mspan0: large objects, free runs) go back
 * at once, as they churn with every large object: a large free claims its
 * span with a cmpxchg on the state and the generation it read, which a
 * reuse changes (gomem_heap_alloc()).
 */
static void span_free(struct mspan *s)
{
	WRITE_ONCE(s->state, MSPAN_DEAD);
	if (s->pool == GOMEM_POOL_SPAN0)
		span_discard(s);
	else
		call_rcu(&s->rcu, span_free_rcu);
}

/* === The page map === */

static unsigned long map_key(unsigned long addr)
{
	return (addr - PAGE_OFFSET) >> GOMEM_PAGE_SHIFT;
}

/* A leaf of pages of no span. */
static void map_leaf_clear(struct map_leaf *leaf)
{
	unsigned int i;

	for (i = 0; i < MAP_LEAF_LEN; i++)
		leaf->span[i] = &gomem_no_span;
}

/* Leaves of first level @top. */
static unsigned long map_top_len(const struct map_top *top)
{
	return top->limit >> MAP_LEAF_SHIFT;
}

static unsigned int map_top_order(const struct map_top *top, unsigned long len)
{
	return get_order(struct_size(top, leaf, len));
}

/*
 * A first level covering direct-map offsets [0, @limit) at least: whole
 * pages from the page allocator, or, beyond its largest order (a direct map
 * over 2 TiB with 4 KiB pages and order 10), vmalloc'd metadata.
 */
static struct map_top *map_top_alloc(unsigned long limit)
{
	unsigned long len = DIV_ROUND_UP(limit, 1UL << MAP_LEAF_SHIFT);
	struct map_top *top = NULL;
	unsigned int order = map_top_order(top, len);
	unsigned long i;

	if (order > GOMEM_MAX_ORDER)
		top = vmalloc(PAGE_SIZE << order);
	else
		top = (void *)__get_free_pages(GFP_KERNEL, order);
	if (!top)
		return NULL;
	top->limit = len << MAP_LEAF_SHIFT;
	for (i = 0; i < len; i++)
		top->leaf[i] = &gomem_map_empty_leaf;
	atomic_long_add(PAGE_SIZE << order, &map_bytes);
	return top;
}

static void map_top_free(struct map_top *top)
{
	if (is_vmalloc_addr(top))
		vfree(top);
	else
		free_pages((unsigned long)top, map_top_order(top, map_top_len(top)));
}

/*
 * Cover the direct map up to physical address @end: a larger first level,
 * the leaves copied and published under mheap.lock (leaves are installed
 * under it too, so none is lost). Readers holding the old table still find
 * everything it covers; it is freed at exit. Called at load and by the
 * memory-hotplug notifier, which the kernel serializes.
 */
static int map_cover(unsigned long end)
{
	struct map_top *top, *old = READ_ONCE(gomem_map);
	unsigned long flags, i;

	if (old && end <= old->limit)
		return 0;
	if (old && map_nold == ARRAY_SIZE(map_old))
		return -ENOSPC;
	/* Room for hot-added memory to double the end before the next copy. */
	top = map_top_alloc(old ? max(end, 2 * old->limit) : end);
	if (!top)
		return -ENOMEM;
	if (old)
		map_old[map_nold++] = old;
	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	for (i = 0; old && i < map_top_len(old); i++)
		top->leaf[i] = old->leaf[i];
	smp_store_release(&gomem_map, top);	/* the copy before the pointer */
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return 0;
}

/*
 * Make sure the leaves for keys [key, key + n) exist: allocated without a
 * lock, installed under mheap.lock. An address beyond the first level (after
 * a hot-add whose larger first level could not be had) fails.
 */
static int map_ensure(unsigned long key, unsigned long n, gfp_t gfp)
{
	unsigned long k, flags;

	for (k = key & ~(MAP_LEAF_LEN - 1); k < key + n; k += MAP_LEAF_LEN) {
		unsigned long i = k >> MAP_LEAF_BITS;
		struct map_top *top = READ_ONCE(gomem_map);
		struct map_leaf *leaf;
		bool used = false;

		if (i >= map_top_len(top))
			return -ERANGE;
		if (READ_ONCE(top->leaf[i]) != &gomem_map_empty_leaf)
			continue;
		leaf = (void *)__get_free_pages(gfp, get_order(sizeof(*leaf)));
		if (!leaf)
			return -ENOMEM;
		map_leaf_clear(leaf);
		raw_spin_lock_irqsave(&gomem_heap.lock, flags);
		if (gomem_map->leaf[i] == &gomem_map_empty_leaf) {
			/* Its entries before the leaf a lock-free reader finds. */
			smp_store_release(&gomem_map->leaf[i], leaf);
			used = true;
		}
		raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
		if (used)
			atomic_long_add(PAGE_SIZE << get_order(sizeof(*leaf)), &map_bytes);
		else
			free_pages((unsigned long)leaf, get_order(sizeof(*leaf)));
	}
	return 0;
}

/* Point the page of @addr at @s (NULL: at nothing). Its leaf exists (map_ensure()). */
static void map_set_locked(unsigned long addr, struct mspan *s)
	__must_hold(&gomem_heap.lock)
{
	unsigned long key = map_key(addr);
	struct map_leaf *leaf = gomem_map->leaf[key >> MAP_LEAF_BITS];

	lockdep_assert_held(&gomem_heap.lock);
	WRITE_ONCE(leaf->span[key & (MAP_LEAF_LEN - 1)], s ?: &gomem_no_span);
}

static void map_set_range_locked(unsigned long addr, unsigned int npages, struct mspan *s)
	__must_hold(&gomem_heap.lock)
{
	unsigned int i;

	for (i = 0; i < npages; i++)
		map_set_locked(addr + i * GOMEM_PAGE_SIZE, s);
}

/* Memory about to come online gets a first level covering it (a failure: map_ensure()). */
static int map_memory_notify(struct notifier_block *nb, unsigned long action, void *arg)
{
	struct memory_notify *mn = arg;

	if (action == MEM_GOING_ONLINE)
		map_cover(PFN_PHYS(mn->start_pfn + mn->nr_pages));
	return NOTIFY_OK;
}

static struct notifier_block map_memory_nb = { .notifier_call = map_memory_notify };
static bool map_memory_nb_registered;

static void map_destroy(void)
{
	struct map_top *top = gomem_map;
	unsigned long i;

	if (map_memory_nb_registered)
		unregister_memory_notifier(&map_memory_nb);
	map_memory_nb_registered = false;
	if (!top)
		return;
	/* The newest first level holds every leaf. */
	for (i = 0; i < map_top_len(top); i++)
		if (top->leaf[i] != &gomem_map_empty_leaf)
			free_pages((unsigned long)top->leaf[i], get_order(sizeof(struct map_leaf)));
	map_top_free(top);
	while (map_nold)
		map_top_free(map_old[--map_nold]);
	gomem_map = NULL;
	atomic_long_set(&map_bytes, 0);
}

/* === Free runs === */

static struct list_head *free_list(unsigned int npages)
{
	return &gomem_heap.free[min_t(unsigned int, npages, GOMEM_FREE_LISTS) - 1];
}

static void run_insert_locked(struct mspan *run)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	WRITE_ONCE(run->state, MSPAN_FREE);
	map_set_locked(run->base, run);
	map_set_locked(run->base + (run->npages - 1) * GOMEM_PAGE_SIZE, run);
	list_add(&run->node, free_list(run->npages));
}

/* Take a free run out of its list and the page map. */
static void run_remove_locked(struct mspan *run)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	list_del(&run->node);
	map_set_locked(run->base, NULL);
	map_set_locked(run->base + (run->npages - 1) * GOMEM_PAGE_SIZE, NULL);
}

/* Runs of the last free list looked at, at most, for a best fit. */
#define GOMEM_BEST_FIT_SCAN	8

/*
 * First fit by size list; on the last list (runs of GOMEM_FREE_LISTS pages
 * and more), the best fit among the first GOMEM_BEST_FIT_SCAN runs that
 * fit: the walk under the lock stays bounded however many arenas there are.
 */
static struct mspan *run_find_locked(unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	struct mspan *run, *best = NULL;
	unsigned int i, seen = 0;

	lockdep_assert_held(&gomem_heap.lock);
	for (i = npages - 1; i < GOMEM_FREE_LISTS - 1; i++)
		if (!list_empty(&gomem_heap.free[i]))
			return list_first_entry(&gomem_heap.free[i], struct mspan, node);
	list_for_each_entry(run, &gomem_heap.free[GOMEM_FREE_LISTS - 1], node) {
		if (run->npages < npages)
			continue;
		if (!best || run->npages < best->npages)
			best = run;
		if (++seen == GOMEM_BEST_FIT_SCAN)
			break;
	}
	return best;
}

/* === Arenas === */

/* @npages of @arena go into a span; an arena in use leaves the idle head of the list. */
static void arena_use_locked(struct gomem_arena *arena, unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	if (!arena->inuse_pages) {
		list_move_tail(&arena->node, &gomem_heap.arenas);
		gomem_heap.idle_arena_bytes -= PAGE_SIZE << arena->order;
	}
	arena->inuse_pages += npages;
	gomem_heap.heap_inuse += (unsigned long)npages << GOMEM_PAGE_SHIFT;
}

/* A span of @npages left @arena; true when the arena has no span in use any more. */
static bool arena_unuse_locked(struct gomem_arena *arena, unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	arena->inuse_pages -= npages;
	gomem_heap.heap_inuse -= (unsigned long)npages << GOMEM_PAGE_SHIFT;
	if (arena->inuse_pages)
		return false;
	list_move(&arena->node, &gomem_heap.arenas);
	gomem_heap.idle_arena_bytes += PAGE_SIZE << arena->order;
	return true;
}

/*
 * Make @s a span of @arena at @base: map its pages, then publish its state
 * with a new generation (a racing large free compares both).
 */
static void span_publish_locked(struct mspan *s, unsigned long base, struct gomem_arena *arena)
	__must_hold(&gomem_heap.lock)
{
	union gomem_state_word w = {
		.state = s->spanclass == GOMEM_TINY_SPANCLASS ? MSPAN_TINY :
			 s->spanclass ? MSPAN_SMALL : MSPAN_LARGE,
	};

	s->base = base;
	s->arena = arena;
	arena_use_locked(arena, s->npages);
	map_set_range_locked(base, s->npages, s);
	w.gen = ++gomem_heap.span_gen;
	smp_wmb();	/* base and the rest before the state a free reads */
	WRITE_ONCE(s->state_gen, w.word);
}

/*
 * Take an arena of at least @npages from the page allocator. With @s, the
 * span @s is carved from its start before the arena becomes visible to
 * anyone: no release path can take the arena back, and no other caller the
 * pages, between the growth and the caller's use. The rest becomes a free
 * run. Without @s (the initial heap), the whole arena is one free run.
 */
static int heap_grow(struct mspan *s, unsigned int npages, gfp_t gfp)
{
	unsigned int min_order = get_order((unsigned long)npages << GOMEM_PAGE_SHIFT);
	unsigned int order = max_t(unsigned int, min_order, GOMEM_ARENA_ORDER);
	gfp_t pgfp = gomem_page_gfp(gfp);
	struct gomem_arena *arena;
	struct page *page = NULL;
	struct mspan *run;
	unsigned long flags, base;

	if (min_order > GOMEM_MAX_ORDER)
		return -E2BIG;
	if (!gomem_may_alloc_pages())
		return -ENOMEM;
	/* Large chunks only when they come easily; then the order the span needs. */
	for (; order > min_order; order = order >= min_order + 2 ? order - 2 : min_order) {
		page = alloc_pages((pgfp | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL, order);
		if (page)
			break;
	}
	if (!page) {
		order = min_order;
		page = alloc_pages(order > 1 ? pgfp & ~__GFP_NOFAIL : pgfp, order);
		if (!page)
			return -ENOMEM;
	}
	base = (unsigned long)page_address(page);
	arena = gomem_fixalloc_alloc(&gomem_pools[GOMEM_POOL_ARENA], gfp);
	run = span_alloc(0, gfp);
	if (!arena || !run ||
	    map_ensure(map_key(base), 1UL << (order - GOMEM_PAGE_ORDER), pgfp & ~__GFP_NOFAIL)) {
		if (arena)
			gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_ARENA], arena);
		if (run)
			span_discard(run);
		__free_pages(page, order);
		return -ENOMEM;
	}
	arena->base = base;
	arena->order = order;
	arena->npages = 1U << (order - GOMEM_PAGE_ORDER);
	arena->inuse_pages = 0;
	run->base = base;
	run->npages = arena->npages;
	run->arena = arena;
	if (s) {
		run->base += (unsigned long)npages << GOMEM_PAGE_SHIFT;
		run->npages -= npages;
	}

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_add(&arena->node, &gomem_heap.arenas);	/* idle, until a span is carved */
	gomem_heap.idle_arena_bytes += PAGE_SIZE << order;
	gomem_heap.narenas++;
	gomem_heap.heap_sys += PAGE_SIZE << order;
	if (s)
		span_publish_locked(s, base, arena);
	if (run->npages)
		run_insert_locked(run);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	if (!run->npages)
		span_discard(run);	/* the span took the whole arena; never seen */
	return 0;
}

/**
 * gomem_heap_release() - return idle arenas to the page allocator
 * @keep_idle: idle heap bytes to keep; 0 releases every idle arena
 * @max_bytes: stop once this much was released (ULONG_MAX: no limit)
 *
 * Returns arenas with no span in use, one by one, while the idle heap
 * (heap_sys - heap_inuse) still exceeds @keep_idle by the arena's size.
 * Only those arenas are looked at: they head the list of arenas.
 *
 * Context: process context; may sleep (an RCU grace period before the
 * pages go). Takes the mheap lock.
 * Return: bytes returned to the page allocator.
 */
unsigned long gomem_heap_release(unsigned long keep_idle, unsigned long max_bytes)
{
	struct gomem_arena *arena, *tmp;
	unsigned long flags, released = 0;
	LIST_HEAD(victims);

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry_safe(arena, tmp, &gomem_heap.arenas, node) {
		unsigned long bytes = PAGE_SIZE << arena->order;
		unsigned long idle = gomem_heap.heap_sys - gomem_heap.heap_inuse;
		struct mspan *run;

		if (arena->inuse_pages || released >= max_bytes)
			break;		/* the idle arenas come first */
		if (idle < keep_idle + bytes)
			continue;
		run = gomem_span_of((void *)arena->base);
		if (unlikely(!run || run->state != MSPAN_FREE || run->npages != arena->npages)) {
			/* No span in use, yet not one free run: keep it, say so. */
			gomem_report(GOMEM_ERR_CORRUPT, (void *)arena->base, run, 0, 0);
			continue;
		}
		run_remove_locked(run);
		span_free(run);
		list_move(&arena->node, &victims);
		gomem_heap.idle_arena_bytes -= bytes;
		gomem_heap.narenas--;
		gomem_heap.heap_sys -= bytes;
		gomem_heap.released += bytes;
		released += bytes;
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);

	if (list_empty(&victims))
		return 0;
	/*
	 * A lock-free reader that looked up a span of these arenas before they
	 * left the page map may still read the span's pages (debug mode's red
	 * zone and trailer, in an RCU read-side section): wait for it.
	 */
	synchronize_rcu();
	list_for_each_entry_safe(arena, tmp, &victims, node) {
		list_del(&arena->node);
		free_pages(arena->base, arena->order);
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_ARENA], arena);
	}
	return released;
}

/* === Spans === */

/**
 * gomem_heap_alloc() - carve a span from the heap, growing it if needed
 * @npages: gomem pages in the span
 * @spanclass: its span class; 0 for a large object
 * @gfp: allocation flags of the caller
 *
 * Context: any context @gfp allows; no gomem lock held. Takes the mheap
 * lock; sleeps only if @gfp allows, and never under a lock.
 * Return: the span, in state MSPAN_SMALL, MSPAN_TINY or MSPAN_LARGE, or NULL.
 */
struct mspan *gomem_heap_alloc(unsigned int npages, unsigned int spanclass, gfp_t gfp)
{
	unsigned int sizeclass = gomem_spanclass_sizeclass(spanclass);
	unsigned int nelems = spanclass ? gomem_class_to_nelems[sizeclass] : 0;
	struct mspan *s, *run, *spare = NULL;
	struct gomem_arena *arena;
	atomic_t *masks = NULL;
	unsigned long flags, base;

	/*
	 * Live bytes for every index an object start in the span's pages
	 * gives: nelems, and one more when the span has a tail (the fast free's
	 * object-start test does not look at nelems). The same pool either way
	 * for every class.
	 */
	s = span_alloc(nelems ? DIV_ROUND_UP((size_t)npages << GOMEM_PAGE_SHIFT,
					     gomem_class_to_size[sizeclass]) : 0, gfp);
	if (!s)
		return NULL;
	if (spanclass == GOMEM_TINY_SPANCLASS) {
		masks = gomem_fixalloc_alloc(&gomem_pools[GOMEM_POOL_TINYMASK], gfp);
		spare = span_alloc(0, gfp);
		if (!masks || !spare)
			goto fail;
	}
	s->npages = npages;
	s->spanclass = spanclass;
	s->tiny_masks = masks;
	s->spare = spare;
	if (spanclass) {
		s->nelems = nelems;
		s->elemsize = gomem_class_to_size[sizeclass];
		s->divmagic = gomem_class_to_divmagic[sizeclass];
		s->alloc_cache = ~0ULL;
	} else {
		s->nelems = 1;
		s->elemsize = npages << GOMEM_PAGE_SHIFT;
	}

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	run = run_find_locked(npages);
	if (!run) {
		raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
		if (heap_grow(s, npages, gfp))
			goto fail;
		return s;
	}
	run_remove_locked(run);
	base = run->base;
	arena = run->arena;
	if (run->npages > npages) {
		run->base += (unsigned long)npages << GOMEM_PAGE_SHIFT;
		run->npages -= npages;
		run_insert_locked(run);
	} else {
		span_free(run);
	}
	span_publish_locked(s, base, arena);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return s;

fail:	/* nothing was published: everything goes back at once */
	if (masks)
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_TINYMASK], masks);
	if (spare)
		span_discard(spare);
	span_discard(s);
	return NULL;
}

/**
 * gomem_heap_free() - give a span's pages back to the heap
 * @s: a span in state MSPAN_SMALL or MSPAN_TINY with no object handed out, or MSPAN_FREEING
 *
 * Coalesces with free neighbours in the same arena. Schedules the idle work
 * (gomem_heap_set_idle_work()) when the span was its arena's last one in
 * use and the idle heap exceeds the idle threshold by the arena's size, so
 * that a release would return it; or, while the last pass made progress
 * (gomem_heap_idle_pass_done()), when the idle heap exceeds the threshold
 * at all, since a flush of the caches may then empty arenas. A free on a
 * heap where the last pass found nothing to return leaves it alone.
 *
 * Context: any context; no gomem lock held. Takes the mheap lock.
 */
void gomem_heap_free(struct mspan *s)
{
	struct gomem_arena *arena = s->arena;
	unsigned long end = s->base + ((unsigned long)s->npages << GOMEM_PAGE_SHIFT);
	unsigned long arena_end = arena->base + ((unsigned long)arena->npages << GOMEM_PAGE_SHIFT);
	struct mspan *run = s, *prev = NULL, *next = NULL;
	unsigned long flags, idle_bytes;
	struct delayed_work *work;
	bool kick = false, idle;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	map_set_range_locked(s->base, s->npages, NULL);
	idle = arena_unuse_locked(arena, s->npages);
	WRITE_ONCE(s->state, MSPAN_FREE);
	if (s->spare) {
		/*
		 * A tiny span: its structure and masks go back after a grace
		 * period (a stale tiny free may still hold them); its pages
		 * become the free run it brought along.
		 */
		run = s->spare;
		s->spare = NULL;
		run->base = s->base;
		run->npages = s->npages;
		run->arena = arena;
		span_free(s);
	}

	if (run->base > arena->base) {
		prev = gomem_span_of((void *)(run->base - GOMEM_PAGE_SIZE));
		if (prev && prev->state != MSPAN_FREE)
			prev = NULL;
	}
	if (end < arena_end) {
		next = gomem_span_of((void *)end);
		if (next && next->state != MSPAN_FREE)
			next = NULL;
	}
	if (prev) {
		run_remove_locked(prev);
		prev->npages += run->npages;
		span_free(run);
		run = prev;
	}
	if (next) {
		run_remove_locked(next);
		run->npages += next->npages;
		span_free(next);
	}
	run_insert_locked(run);
	work = gomem_heap.idle_work;
	idle_bytes = gomem_heap.heap_sys - gomem_heap.heap_inuse;
	if (work && idle && idle_bytes >= gomem_heap.idle_threshold + (PAGE_SIZE << arena->order)) {
		kick = true;
		gomem_heap.idle_futile = false;
	} else if (work && !gomem_heap.idle_futile && idle_bytes > gomem_heap.idle_threshold) {
		kick = true;
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);

	if (kick)	/* on a housekeeping CPU */
		queue_delayed_work(system_unbound_wq, work, gomem_heap.idle_delay);
}

/**
 * gomem_max_large_pages() - the largest span the page allocator can back
 *
 * Context: any context.
 * Return: gomem pages in the largest possible arena.
 */
unsigned long gomem_max_large_pages(void)
{
	return 1UL << (GOMEM_MAX_ORDER - GOMEM_PAGE_ORDER);
}

/**
 * gomem_heap_init() - set up the page map, pools and an initial heap
 * @initial_bytes: heap to allocate now and retain, 0 for none
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int gomem_heap_init(unsigned long initial_bytes)
{
	unsigned long end;
	unsigned int i, b;
	int nid;

	BUILD_BUG_ON(GOMEM_PAGE_SHIFT < PAGE_SHIFT);
	BUILD_BUG_ON(BITS_PER_LONG != 64);
	if (WARN_ON(gomem_class_to_size[GOMEM_TINY_SIZECLASS] != GOMEM_TINY_SIZE))
		return -EINVAL;

	raw_spin_lock_init(&gomem_heap.lock);
	for (i = 0; i < GOMEM_FREE_LISTS; i++)
		INIT_LIST_HEAD(&gomem_heap.free[i]);
	INIT_LIST_HEAD(&gomem_heap.arenas);

	for (i = GOMEM_POOL_SPAN0, b = 0; i <= GOMEM_POOL_SPAN16; i++) {
		static const char * const names[] = {
			"mspan0", "mspan1", "mspan2", "mspan4", "mspan8", "mspan16",
		};

		/* Cache-line multiples: pages are cut into aligned structures. */
		gomem_fixalloc_init(&gomem_pools[i], names[i],
				    ALIGN(sizeof(struct mspan) + b * BITS_PER_LONG +
					  b * sizeof(unsigned long), SMP_CACHE_BYTES));
		b = b ? 2 * b : 1;
	}
	gomem_fixalloc_init(&gomem_pools[GOMEM_POOL_ARENA], "arena", sizeof(struct gomem_arena));
	gomem_fixalloc_init(&gomem_pools[GOMEM_POOL_TINYMASK], "tinymask",
			    sizeof(atomic_t) * gomem_class_to_nelems[GOMEM_TINY_SIZECLASS]);

	/* The first level for all present memory now, for hot-added memory as it comes. */
	end = __pa(high_memory - 1) + 1;
	for_each_online_node(nid)
		end = max(end, PFN_PHYS(node_end_pfn(nid)));
	if (map_cover(end)) {
		gomem_heap_exit();
		return -ENOMEM;
	}
	if (!register_memory_notifier(&map_memory_nb))
		map_memory_nb_registered = true;

	while (gomem_heap.heap_sys < initial_bytes) {
		unsigned long want = DIV_ROUND_UP(initial_bytes - gomem_heap.heap_sys,
						  GOMEM_PAGE_SIZE);

		if (heap_grow(NULL, min(want, gomem_max_large_pages()), GFP_KERNEL)) {
			gomem_heap_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * gomem_heap_set_idle_work() - what to schedule when the heap grows idle
 * @work: a work item, scheduled after @delay when a span free leaves more
 *	  than @threshold bytes of idle heap; NULL to stop scheduling it
 * @delay: jiffies to wait
 * @threshold: idle heap bytes
 *
 * The scavenger (scavenge.c) hands its work item down here at load, so that
 * the heap can start it without calling up; it sets NULL before it cancels
 * the work at exit.
 *
 * Context: process context; takes the mheap lock.
 */
void gomem_heap_set_idle_work(struct delayed_work *work, unsigned long delay,
			      unsigned long threshold)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	gomem_heap.idle_work = work;
	gomem_heap.idle_delay = delay;
	gomem_heap.idle_threshold = threshold;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
}

/**
 * gomem_heap_idle_pass_done() - what the idle work's last pass achieved
 * @progress: it returned memory
 *
 * After a pass that returned nothing, only a span free that empties an
 * arena schedules the idle work again (gomem_heap_free()).
 *
 * Context: any context; takes the mheap lock.
 */
void gomem_heap_idle_pass_done(bool progress)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	gomem_heap.idle_futile = !progress;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
}

/**
 * gomem_heap_sys_bytes() - bytes of arenas held now
 *
 * Context: any context.
 * Return: the bytes.
 */
unsigned long gomem_heap_sys_bytes(void)
{
	return READ_ONCE(gomem_heap.heap_sys);
}
EXPORT_SYMBOL_NS_GPL(gomem_heap_sys_bytes, GOMEM_INTERNAL);

/**
 * gomem_heap_idle_arena_bytes() - bytes of arenas with no span in use
 *
 * What gomem_heap_release(0, ULONG_MAX) would return now: the shrinker's count.
 *
 * Context: any context; a racy read.
 * Return: the bytes.
 */
unsigned long gomem_heap_idle_arena_bytes(void)
{
	return READ_ONCE(gomem_heap.idle_arena_bytes);
}

/**
 * gomem_heap_exit() - return every arena and all metadata
 *
 * Context: process context, module exit: no other gomem user remains.
 */
void gomem_heap_exit(void)
{
	struct gomem_arena *arena, *tmp;
	unsigned int i;

	/* Span structures, masks and arenas still waiting for a grace period. */
	rcu_barrier();
	list_for_each_entry_safe(arena, tmp, &gomem_heap.arenas, node) {
		list_del(&arena->node);
		free_pages(arena->base, arena->order);
		gomem_heap.heap_sys -= PAGE_SIZE << arena->order;
		gomem_heap.released += PAGE_SIZE << arena->order;
	}
	gomem_heap.narenas = 0;
	gomem_heap.heap_inuse = 0;
	gomem_heap.idle_arena_bytes = 0;
	for (i = 0; i < GOMEM_FREE_LISTS; i++)
		INIT_LIST_HEAD(&gomem_heap.free[i]);
	for (i = 0; i < GOMEM_NR_POOLS; i++)
		gomem_fixalloc_destroy(&gomem_pools[i]);
	map_destroy();
}

/**
 * gomem_heap_map_bytes() - bytes held by the page map
 *
 * Context: any context.
 * Return: bytes of the map's tables.
 */
unsigned long gomem_heap_map_bytes(void)
{
	return atomic_long_read(&map_bytes);
}
