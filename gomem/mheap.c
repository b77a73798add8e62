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
 * An arena is split into order-0 pages when it is taken (split_page()), so
 * that memory goes back page by page: gomem_heap_scavenge() releases free
 * runs, oldest first (mheap.scav), while the rest of their arena stays.
 * A released range leaves the page map and is marked in its arena's
 * released[] bitmap; it is the page allocator's again, and nothing of its
 * arena is placed there again (a span needs contiguous pages behind it).
 * An arena whose pages are all released is dropped. Go's meaning of the
 * counters is kept: heap_sys counts the arenas' address ranges, released
 * ones included; heap_released the part whose pages went back; the pages
 * held are heap_sys - heap_released. Pages are freed after an RCU grace
 * period (a lock-free free may still be reading a run it looked up): by the
 * caller that may sleep, or by an RCU callback. In debug mode each page
 * also holds gomem's guard reference (gomem_heap_set_page_guard()).
 *
 * When a span free leaves more free-run bytes than the idle threshold,
 * gomem_heap_free() schedules the work item the scavenger handed down at
 * load (gomem_heap_set_idle_work()). The memory limit
 * (gomem_heap_set_limit()) is enforced where the heap grows: free runs are
 * released first, then the growth refused. This file never calls above
 * itself.
 *
 * Layer 4 (internal.h): calls fixalloc.c and report.c.
 */

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/memory.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
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
/* Largest preferred arena: 4 MiB, or the largest order the page allocator has. */
#define GOMEM_ARENA_ORDER	min(22 - PAGE_SHIFT, GOMEM_MAX_ORDER)
/* Smallest preferred arena: 1 MiB. */
#define GOMEM_ARENA_MIN_ORDER	min(20 - PAGE_SHIFT, GOMEM_ARENA_ORDER)
/*
 * An arena grows the heap by about 1/GOMEM_ARENA_GROWTH_DIV of what is in
 * use, between those two (the largest while nothing is in use): the free
 * rest of a new arena stays under the scavenger's goal (10 % of the heap in
 * use), so that a heap that churns does not take 4 MiB, give most of it
 * back, and take it again.
 */
#define GOMEM_ARENA_GROWTH_DIV	16

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

/*
 * In debug mode every page of an arena holds a second reference, gomem's
 * guard (gomem_heap_set_page_guard()): a gomem object that reaches the
 * kernel's kfree() (free_large_kmalloc()'s folio_put()), or a stray
 * put_page(), then takes the guard instead of the page, which stays
 * gomem's. Written once, before the first arena.
 */
static bool heap_page_guard __read_mostly;

/**
 * gomem_heap_set_page_guard() - hold a guard reference on every arena page
 * @on: whether to
 *
 * Debug mode's check for gomem memory freed by the kernel's allocator:
 * with the guard, such a free loses no page, and a page found without its
 * guard when it goes back is reported (%GOMEM_ERR_KERNEL_FREE).
 *
 * Context: module init, before gomem_heap_init().
 */
void gomem_heap_set_page_guard(bool on)
{
	heap_page_guard = on;
}

/*
 * Free kernel pages [@addr, @addr + @bytes): order-0 pages of a split arena.
 * A guarded page must have its two references; one that lost its guard is
 * reported and freed all the same (its last reference is gomem's).
 */
static void pages_put(unsigned long addr, unsigned long bytes)
{
	unsigned long end = addr + bytes;

	for (; addr < end; addr += PAGE_SIZE) {
		struct page *page = virt_to_page((void *)addr);

		if (heap_page_guard) {
			int refs = page_ref_count(page);

			if (refs != 2)
				gomem_report(GOMEM_ERR_KERNEL_FREE, (void *)addr, NULL, 0, refs);
			if (refs >= 2)
				page_ref_dec(page);
		}
		__free_page(page);
	}
}

/* A released run's pages and structure, after a grace period. */
static void run_put_rcu(struct rcu_head *head)
{
	struct mspan *run = container_of(head, struct mspan, rcu);

	pages_put(run->base, (unsigned long)run->npages << GOMEM_PAGE_SHIFT);
	span_discard(run);
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

static unsigned int free_list_index(unsigned int npages)
{
	return min_t(unsigned int, npages, GOMEM_FREE_LISTS) - 1;
}

static void run_insert_locked(struct mspan *run)
	__must_hold(&gomem_heap.lock)
{
	unsigned int i = free_list_index(run->npages);

	lockdep_assert_held(&gomem_heap.lock);
	WRITE_ONCE(run->state, MSPAN_FREE);
	map_set_locked(run->base, run);
	map_set_locked(run->base + (run->npages - 1) * GOMEM_PAGE_SIZE, run);
	list_add(&run->node, &gomem_heap.free[i]);
	__set_bit(i, gomem_heap.free_nonempty);
}

/* Take a free run out of its list and the page map. */
static void run_remove_locked(struct mspan *run)
	__must_hold(&gomem_heap.lock)
{
	unsigned int i = free_list_index(run->npages);

	lockdep_assert_held(&gomem_heap.lock);
	list_del(&run->node);
	if (list_empty(&gomem_heap.free[i]))
		__clear_bit(i, gomem_heap.free_nonempty);
	map_set_locked(run->base, NULL);
	map_set_locked(run->base + (run->npages - 1) * GOMEM_PAGE_SIZE, NULL);
}

/* A new free run @run, idle from now: the young end of mheap.scav. */
static void run_lru_add_locked(struct mspan *run)
	__must_hold(&gomem_heap.lock)
{
	run->idle_since = jiffies;
	list_add_tail(&run->lru, &gomem_heap.scav);
}

/*
 * Free run @run took in @part (which leaves mheap.scav): @run is as old as
 * the older of the two, in that one's place; the list stays in age order.
 */
static void run_lru_merge_locked(struct mspan *run, struct mspan *part)
	__must_hold(&gomem_heap.lock)
{
	if (time_before(part->idle_since, run->idle_since)) {
		list_del(&run->lru);
		list_replace(&part->lru, &run->lru);
		run->idle_since = part->idle_since;
	} else {
		list_del(&part->lru);
	}
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
	i = find_next_bit(gomem_heap.free_nonempty, GOMEM_FREE_LISTS - 1, npages - 1);
	if (i < GOMEM_FREE_LISTS - 1)
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

/* @npages of @arena go into a span. */
static void arena_use_locked(struct gomem_arena *arena, unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	arena->inuse_pages += npages;
	gomem_heap.heap_inuse += (unsigned long)npages << GOMEM_PAGE_SHIFT;
}

/* A span of @npages left @arena. */
static void arena_unuse_locked(struct gomem_arena *arena, unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	arena->inuse_pages -= npages;
	gomem_heap.heap_inuse -= (unsigned long)npages << GOMEM_PAGE_SHIFT;
}

/* Pages held: the arenas' bytes less those given back (mheap.lock, or a racy read). */
static unsigned long heap_held(void)
{
	return READ_ONCE(gomem_heap.heap_sys) - READ_ONCE(gomem_heap.heap_released);
}

/* Would holding @bytes more pass the memory limit? */
static bool heap_over_limit(unsigned long bytes)
{
	unsigned long limit = READ_ONCE(gomem_heap.limit);

	return limit && heap_held() + bytes > limit;
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
 * The idle work, when the free runs exceed its threshold (a span free and a
 * growth both ask), for the caller to queue once the lock is dropped.
 */
static struct delayed_work *heap_idle_work_due_locked(void)
	__must_hold(&gomem_heap.lock)
{
	lockdep_assert_held(&gomem_heap.lock);
	if (gomem_heap_free_bytes(&gomem_heap) > gomem_heap.idle_threshold)
		return gomem_heap.idle_work;
	return NULL;
}

/* Scavenger's pass at the memory limit, without waiting for it (mheap.lock not held). */
static void heap_kick_idle_work(void)
{
	struct delayed_work *work;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	work = gomem_heap.idle_work;
	if (work)
		mod_delayed_work(system_unbound_wq, work, 0);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
}

/*
 * Make room under the memory limit for @bytes more: release free runs,
 * oldest first, with their pages freed after a grace period by RCU (any
 * context). True when the growth may go on.
 */
static bool heap_limit_room(unsigned long bytes)
{
	struct gomem_scavenge_req req = { .min_age = ULONG_MAX };
	unsigned long released, flags;

	if (!heap_over_limit(bytes))
		return true;
	req.max_bytes = ALIGN(heap_held() + bytes - READ_ONCE(gomem_heap.limit),
			      GOMEM_PAGE_SIZE);
	released = gomem_heap_scavenge(&req);
	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	gomem_heap.limit_released += released;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return !heap_over_limit(bytes);
}

/* Count a growth refused at the limit, and have the scavenger flush the caches. */
static void heap_limit_refuse(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	gomem_heap.limit_refusals++;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	heap_kick_idle_work();
}

/*
 * Take an arena of at least @npages from the page allocator and split it
 * into order-0 pages. With @s, the span @s is carved from its start before
 * the arena becomes visible to anyone: no release path can take the arena
 * back, and no other caller the pages, between the growth and the caller's
 * use. The rest becomes a free run (and, above the idle threshold,
 * schedules the idle work as a span free does). Without @s (the initial
 * heap), the whole arena is one free run. Near the memory limit the arena is no
 * larger than the span: the pages past it go back at once (released from
 * the start); a growth the limit has no room for fails.
 */
static int heap_grow(struct mspan *s, unsigned int npages, gfp_t gfp)
{
	unsigned int min_order = get_order((unsigned long)npages << GOMEM_PAGE_SHIFT);
	unsigned long grow = READ_ONCE(gomem_heap.heap_inuse) / GOMEM_ARENA_GROWTH_DIV;
	/* An empty heap (nothing in use) takes the largest arena, as it always did. */
	unsigned int order = grow ? clamp_t(unsigned int, get_order(grow), GOMEM_ARENA_MIN_ORDER,
					    GOMEM_ARENA_ORDER) : GOMEM_ARENA_ORDER;
	gfp_t pgfp = gomem_page_gfp(gfp);
	unsigned long flags, base, bytes, trim = 0;
	struct delayed_work *work = NULL;
	struct gomem_arena *arena;
	struct page *page = NULL;
	struct mspan *run;

	if (min_order > GOMEM_MAX_ORDER)
		return -E2BIG;
	order = max(order, min_order);
	if (!gomem_may_alloc_pages())
		return -ENOMEM;
	bytes = PAGE_SIZE << order;
	if (heap_over_limit(bytes)) {
		order = min_order;
		bytes = s ? (unsigned long)npages << GOMEM_PAGE_SHIFT : PAGE_SIZE << order;
		if (!heap_limit_room(bytes)) {
			heap_limit_refuse();
			return -ENOMEM;
		}
		trim = s ? (1UL << (order - GOMEM_PAGE_ORDER)) - npages : 0;
	}
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
	/* Each page its own, so that any of them can go back alone. */
	split_page(page, order);
	if (heap_page_guard) {
		unsigned long i;

		for (i = 0; i < 1UL << order; i++)
			page_ref_inc(page + i);
	}
	base = (unsigned long)page_address(page);
	arena = gomem_fixalloc_alloc(&gomem_pools[GOMEM_POOL_ARENA], gfp);
	run = span_alloc(0, gfp);
	if (!arena || !run ||
	    map_ensure(map_key(base), 1UL << (order - GOMEM_PAGE_ORDER), pgfp & ~__GFP_NOFAIL))
		goto fail;
	arena->base = base;
	arena->order = order;
	arena->npages = 1U << (order - GOMEM_PAGE_ORDER);
	arena->inuse_pages = 0;
	arena->released_pages = trim;
	bitmap_zero(arena->released, arena->npages);
	bitmap_set(arena->released, arena->npages - trim, trim);
	run->base = base;
	run->npages = arena->npages - trim;
	run->arena = arena;
	if (s) {
		run->base += (unsigned long)npages << GOMEM_PAGE_SHIFT;
		run->npages -= npages;
	}

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	if (heap_over_limit(bytes)) {
		/* Others grew the heap meanwhile. */
		gomem_heap.limit_refusals++;
		raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
		goto fail;
	}
	list_add(&arena->node, &gomem_heap.arenas);
	gomem_heap.narenas++;
	gomem_heap.heap_sys += PAGE_SIZE << order;
	gomem_heap.heap_released += trim << GOMEM_PAGE_SHIFT;
	gomem_heap.released += trim << GOMEM_PAGE_SHIFT;
	if (s)
		span_publish_locked(s, base, arena);
	if (run->npages) {
		run_insert_locked(run);
		run_lru_add_locked(run);
	}
	/* The rest of a new arena is free: the scavenger must know of it too. */
	work = heap_idle_work_due_locked();
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	if (work)
		queue_delayed_work(system_unbound_wq, work, gomem_heap.idle_delay);
	if (!run->npages)
		span_discard(run);	/* the span took the whole arena; never seen */
	/* Pages past the span, never seen by anyone: back at once. */
	pages_put(base + ((unsigned long)(arena->npages - trim) << GOMEM_PAGE_SHIFT),
		  trim << GOMEM_PAGE_SHIFT);
	return 0;

fail:
	if (arena)
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_ARENA], arena);
	if (run)
		span_discard(run);
	pages_put(base, PAGE_SIZE << order);
	return -ENOMEM;
}

/*
 * Take free run @run, or its last @npages pages into @tail, out of the heap
 * for good: off the lists and the page map, counted released in its arena.
 * An arena left with every page released is dropped. The pages are the
 * caller's to free after a grace period, with the structure returned.
 */
static struct mspan *run_release_locked(struct mspan *run, unsigned int npages,
					struct mspan *tail)
	__must_hold(&gomem_heap.lock)
{
	struct gomem_arena *arena = run->arena;
	unsigned long bytes = (unsigned long)npages << GOMEM_PAGE_SHIFT;
	struct mspan *gone = run;

	lockdep_assert_held(&gomem_heap.lock);
	run_remove_locked(run);
	if (npages < run->npages) {
		run->npages -= npages;
		run_insert_locked(run);	/* its head stays, as old as it was */
		gone = tail;
		gone->base = run->base + ((unsigned long)run->npages << GOMEM_PAGE_SHIFT);
		gone->npages = npages;
	} else {
		list_del(&run->lru);
	}
	WRITE_ONCE(gone->state, MSPAN_DEAD);
	gone->arena = NULL;
	bitmap_set(arena->released, (gone->base - arena->base) >> GOMEM_PAGE_SHIFT, npages);
	arena->released_pages += npages;
	gomem_heap.heap_released += bytes;
	gomem_heap.released += bytes;
	if (arena->released_pages == arena->npages) {
		list_del(&arena->node);
		gomem_heap.narenas--;
		gomem_heap.heap_sys -= PAGE_SIZE << arena->order;
		gomem_heap.heap_released -= PAGE_SIZE << arena->order;
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_ARENA], arena);
	}
	return gone;
}

/* Free runs released in one gomem_heap_scavenge() call, at most: the lock's hold. */
#define GOMEM_SCAVENGE_BATCH	32

/**
 * gomem_heap_scavenge() - give free pages back to the page allocator
 * @req: what to give back (struct gomem_scavenge_req); its results are set
 *
 * Walks the free runs oldest first and releases whole runs, or the tail of
 * the last one so as to stop exactly at the floor, the goal or @max_bytes
 * (page-granular). No more than GOMEM_SCAVENGE_BATCH runs go in one call
 * (@req->more then says there is more). With @req->may_sleep the pages are
 * freed here after a grace period; otherwise an RCU callback frees them,
 * and they are counted released at once.
 *
 * Context: with @req->may_sleep, process context; otherwise any context
 * but NMI. Takes the mheap lock.
 * Return: bytes released.
 */
unsigned long gomem_heap_scavenge(struct gomem_scavenge_req *req)
{
	struct mspan *run, *tmp, *gone, *tail;
	unsigned long flags, now = jiffies, released = 0;
	unsigned int nruns = 0;
	LIST_HEAD(victims);
	u64 t0;

	req->more = false;
	req->any_left = false;
	req->next_due = 0;
	req->wait_ns = 0;
	if (!req->max_bytes)
		return 0;
	/* A structure for the tail of a run released in part; no allocation under the lock. */
	tail = span_alloc(0, GFP_NOWAIT | __GFP_NOWARN);

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry_safe(run, tmp, &gomem_heap.scav, lru) {
		unsigned long free = gomem_heap_free_bytes(&gomem_heap), want;
		bool old = req->min_age != ULONG_MAX &&
			   time_after_eq(now, run->idle_since + req->min_age);

		if (free <= req->floor)
			break;
		if (released >= req->max_bytes || nruns == GOMEM_SCAVENGE_BATCH) {
			req->more = true;
			break;
		}
		want = min(free - req->floor, req->max_bytes - released);
		if (!old)
			want = free > req->goal ? min(want, free - req->goal) : 0;
		want >>= GOMEM_PAGE_SHIFT;
		if (!want) {
			/* Under the goal (or the floor) but for less than a page. */
			if (!old && free > req->floor) {
				req->any_left = true;
				if (req->min_age != ULONG_MAX)
					req->next_due = run->idle_since + req->min_age;
			}
			break;
		}
		if (want < run->npages && !tail) {
			req->more = true;
			break;
		}
		if (want >= run->npages) {
			want = run->npages;
			gone = run_release_locked(run, want, NULL);
		} else {
			gone = run_release_locked(run, want, tail);
			tail = NULL;
		}
		released += want << GOMEM_PAGE_SHIFT;
		nruns++;
		if (req->may_sleep)
			list_add(&gone->lru, &victims);
		else
			call_rcu(&gone->rcu, run_put_rcu);
		if (gone != run) {
			/* Its head stays, and is where the next call starts. */
			if (released >= req->max_bytes) {
				req->more = true;
			} else if (!old && req->min_age != ULONG_MAX) {
				req->any_left = true;
				req->next_due = run->idle_since + req->min_age;
			}
			break;
		}
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	if (tail)
		span_discard(tail);

	if (list_empty(&victims))
		return released;
	/*
	 * A lock-free reader that looked up one of these runs before it left
	 * the page map may still read its structure, or debug mode's red zone
	 * and trailer in its pages, in an RCU read-side section: wait for it.
	 */
	t0 = local_clock();
	synchronize_rcu();
	req->wait_ns = local_clock() - t0;
	list_for_each_entry_safe(gone, tmp, &victims, lru) {
		pages_put(gone->base, (unsigned long)gone->npages << GOMEM_PAGE_SHIFT);
		span_discard(gone);
	}
	return released;
}

/* === Spans === */

/**
 * gomem_heap_alloc() - carve a span from the heap, growing it if needed
 * @npages: gomem pages in the span: for a small span, at most its class's
 *	    class_to_npages, and room for one object at least
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
	/* As many objects as fit: Go's count for the class's own span size. */
	unsigned int nelems = spanclass ? ((size_t)npages << GOMEM_PAGE_SHIFT) /
					  gomem_class_to_size[sizeclass] : 0;
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
		list_del(&run->lru);
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
 * Coalesces with free neighbours in the same arena (a released neighbour's
 * pages are no longer the arena's; another arena may even hold them). The
 * run is as old as its oldest part. Schedules the idle work
 * (gomem_heap_set_idle_work()) when the free runs exceed the idle
 * threshold; a pass already scheduled stays as it is.
 *
 * Context: any context; no gomem lock held. Takes the mheap lock.
 */
void gomem_heap_free(struct mspan *s)
{
	struct gomem_arena *arena = s->arena;
	unsigned long end = s->base + ((unsigned long)s->npages << GOMEM_PAGE_SHIFT);
	unsigned long arena_end = arena->base + ((unsigned long)arena->npages << GOMEM_PAGE_SHIFT);
	struct mspan *run = s, *prev = NULL, *next = NULL;
	struct delayed_work *work;
	bool listed = false;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	map_set_range_locked(s->base, s->npages, NULL);
	arena_unuse_locked(arena, s->npages);
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

	/*
	 * A neighbour's state is read once: a large object's free claims its
	 * span without this lock (cmpxchg from MSPAN_LARGE), but a state
	 * becomes MSPAN_FREE only under it, so either value read says "not
	 * free" there.
	 */
	if (run->base > arena->base) {
		prev = gomem_span_of((void *)(run->base - GOMEM_PAGE_SIZE));
		if (prev && (READ_ONCE(prev->state) != MSPAN_FREE || prev->arena != arena))
			prev = NULL;
	}
	if (end < arena_end) {
		next = gomem_span_of((void *)end);
		if (next && (READ_ONCE(next->state) != MSPAN_FREE || next->arena != arena))
			next = NULL;
	}
	if (prev) {
		run_remove_locked(prev);
		prev->npages += run->npages;
		span_free(run);
		run = prev;		/* listed on mheap.scav, with its age */
		listed = true;
	}
	if (next) {
		run_remove_locked(next);
		run->npages += next->npages;
		if (listed) {
			run_lru_merge_locked(run, next);
		} else {
			list_replace(&next->lru, &run->lru);
			run->idle_since = next->idle_since;
			listed = true;
		}
		span_free(next);
	}
	run_insert_locked(run);
	if (!listed)
		run_lru_add_locked(run);
	work = heap_idle_work_due_locked();
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);

	if (work)	/* on a housekeeping CPU */
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
	INIT_LIST_HEAD(&gomem_heap.scav);

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
	gomem_fixalloc_init(&gomem_pools[GOMEM_POOL_ARENA], "arena",
			    struct_size_t(struct gomem_arena, released,
					  BITS_TO_LONGS(gomem_max_large_pages())));
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
 * gomem_heap_set_limit() - the memory limit
 * @bytes: pages the heap may hold (heap_sys - heap_released), 0 for no limit
 *
 * A growth that would pass the limit first releases free runs, then fails.
 * A limit below what is held now is taken as it is: growths fail until
 * frees and releases bring the heap under it.
 *
 * Context: any context, before gomem_heap_init() too.
 */
void gomem_heap_set_limit(unsigned long bytes)
{
	WRITE_ONCE(gomem_heap.limit, bytes);
}
EXPORT_SYMBOL_NS_GPL(gomem_heap_set_limit, GOMEM_INTERNAL);

/**
 * gomem_heap_held_bytes() - bytes of pages the heap holds now
 *
 * The arenas' bytes less those released: heap_sys - heap_released.
 *
 * Context: any context; a racy read.
 * Return: the bytes.
 */
unsigned long gomem_heap_held_bytes(void)
{
	return heap_held();
}
EXPORT_SYMBOL_NS_GPL(gomem_heap_held_bytes, GOMEM_INTERNAL);

/**
 * gomem_heap_exit() - return every arena and all metadata
 *
 * Context: process context, module exit: no other gomem user remains.
 */
void gomem_heap_exit(void)
{
	struct gomem_arena *arena, *tmp;
	unsigned int i;

	/* Span structures, masks and released pages still waiting for a grace period. */
	rcu_barrier();
	list_for_each_entry_safe(arena, tmp, &gomem_heap.arenas, node) {
		unsigned int p;

		list_del(&arena->node);
		for_each_clear_bit(p, arena->released, arena->npages)
			pages_put(arena->base + (unsigned long)p * GOMEM_PAGE_SIZE,
				  GOMEM_PAGE_SIZE);
		gomem_heap.released += (unsigned long)(arena->npages - arena->released_pages) <<
				       GOMEM_PAGE_SHIFT;
	}
	gomem_heap.narenas = 0;
	gomem_heap.heap_sys = 0;
	gomem_heap.heap_inuse = 0;
	gomem_heap.heap_released = 0;
	for (i = 0; i < GOMEM_FREE_LISTS; i++)
		INIT_LIST_HEAD(&gomem_heap.free[i]);
	bitmap_zero(gomem_heap.free_nonempty, GOMEM_FREE_LISTS);
	INIT_LIST_HEAD(&gomem_heap.scav);
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
