// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's mheap: arenas from the page allocator, spans carved from them, free
 * runs coalesced, the page map from address to span, and metadata pools.
 *
 * Go's mheap takes address space from the OS in arenas and keeps a page map
 * (mheap_.spans, then heapArena.spans) from every page to its span. gomem
 * takes arenas with alloc_pages() (4 MiB when it can, the smallest order that
 * fits the span under fragmentation) and keeps a three-level table indexed by
 * the page's offset in the kernel's direct map:
 *
 *   key = (addr - PAGE_OFFSET) >> GOMEM_PAGE_SHIFT
 *   span = gomem_map_l1[key >> 21][(key >> 9) & 4095][key & 511]
 *
 * Leaves and middle tables are allocated when an arena first needs them and
 * freed only at module exit, so a lookup needs no lock and no RCU: it can
 * only ever see NULL or a span structure (span structures also live until
 * exit, in the pools). An address outside every arena finds NULL, which is
 * how gomem_free() tells a gomem pointer from any other.
 *
 * The scavenger (Go's idea, a delayed work item) gives memory back: when a
 * span is freed while the idle heap exceeds gomem_retain_bytes, it runs a
 * second later, has every CPU flush its own caches (objects parked there keep
 * spans, and so arenas, in use), then returns arenas with no span in use to
 * the page allocator while the idle heap still exceeds the retention. It
 * never runs under a lock or in the caller's context.
 */

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/log2.h>
#include <linux/mmzone.h>
#include <linux/module.h>
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
struct gomem_fixalloc gomem_pools[GOMEM_NR_POOLS];

struct map_l2 **gomem_map_l1;		/* entries set once, by cmpxchg */
unsigned long gomem_map_limit;		/* first direct-map offset not covered */
static unsigned long map_l1_len;	/* entries of gomem_map_l1 */
static atomic_long_t map_bytes;		/* bytes of middle tables and leaves */

/* How long after the first idle span the scavenger runs. */
#define GOMEM_SCAVENGE_DELAY	HZ

static void gomem_scavenge_workfn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gomem_scavenge_work, gomem_scavenge_workfn);
static bool gomem_scavenger_stopped;	/* set once at exit, before the caches go */

/*
 * Requests gomem turned down because it would have had to call the page
 * allocator where PREEMPT_RT forbids it (gomem_may_alloc_pages()).
 */
static atomic_long_t gomem_nopage_refusals;

/*
 * May gomem take pages from the page allocator here? On PREEMPT_RT the page
 * allocator's locks (zone->lock and friends) are sleeping locks: it must not
 * be entered with preemption or interrupts disabled - in hard interrupt
 * context (HRTIMER_MODE_*_HARD timers included), under a raw spinlock or in a
 * preempt_disable() or local_irq_disable() section of the caller - whatever
 * the gfp flags say. There gomem serves only from its caches and the arenas
 * it holds, and fails (NULL) when it would need new pages. Softirqs and
 * threaded interrupt handlers are preemptible on PREEMPT_RT and allocate as
 * anywhere else; without PREEMPT_RT, @gfp alone decides.
 */
static bool gomem_may_alloc_pages(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible())
		return true;
	atomic_long_inc(&gomem_nopage_refusals);
	return false;
}

/**
 * gomem_nopage_count() - requests refused for want of the page allocator
 *
 * Always 0 without PREEMPT_RT; see gomem_may_alloc_pages().
 *
 * Context: any context.
 * Return: refusals since load.
 */
long gomem_nopage_count(void)
{
	return atomic_long_read(&gomem_nopage_refusals);
}
EXPORT_SYMBOL_NS_GPL(gomem_nopage_count, GOMEM_INTERNAL);

/* The flags gomem passes to the page allocator for a caller's @gfp. */
static gfp_t gomem_page_gfp(gfp_t gfp)
{
	gfp_t keep = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH | __GFP_NOWARN |
		     __GFP_NORETRY | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_MEMALLOC |
		     __GFP_NOMEMALLOC;
#ifdef __GFP_ATOMIC
	keep |= __GFP_ATOMIC;
#endif
	return gfp & keep;
}

/* === Metadata pools (Go's fixalloc) === */

static void fixalloc_init(struct gomem_fixalloc *f, const char *name, unsigned int size)
{
	raw_spin_lock_init(&f->lock);
	f->name = name;
	f->size = ALIGN(size, sizeof(void *));
	INIT_LIST_HEAD(&f->pages);
}

/**
 * gomem_fixalloc_alloc() - take one zeroed chunk of a metadata pool
 * @f: the pool
 * @gfp: allocation flags, for a new page when the pool is empty
 *
 * Context: any context @gfp allows; takes f->lock, a leaf lock.
 * Return: the chunk, or NULL when no page could be had.
 */
void *gomem_fixalloc_alloc(struct gomem_fixalloc *f, gfp_t gfp)
{
	unsigned long flags;
	struct page *page;
	void *p = NULL;
	unsigned int i, n;

	for (;;) {
		raw_spin_lock_irqsave(&f->lock, flags);
		if (f->free) {
			p = f->free;
			f->free = *(void **)p;
			/* WRITE_ONCE: gomem_read_memstats() reads it without the lock. */
			WRITE_ONCE(f->inuse, f->inuse + 1);
		}
		raw_spin_unlock_irqrestore(&f->lock, flags);
		if (p) {
			memset(p, 0, f->size);
			return p;
		}
		if (!gomem_may_alloc_pages())
			return NULL;
		page = alloc_page(gomem_page_gfp(gfp) & ~__GFP_NOFAIL);
		if (!page)
			return NULL;
		n = PAGE_SIZE / f->size;
		raw_spin_lock_irqsave(&f->lock, flags);
		list_add(&page->lru, &f->pages);
		WRITE_ONCE(f->sys, f->sys + PAGE_SIZE);	/* read without the lock too */
		for (i = 0; i < n; i++) {
			void **chunk = page_address(page) + i * f->size;

			*chunk = f->free;
			f->free = chunk;
		}
		raw_spin_unlock_irqrestore(&f->lock, flags);
	}
}

/**
 * gomem_fixalloc_free() - give a chunk back to its pool
 * @f: the pool
 * @p: a chunk from gomem_fixalloc_alloc(@f)
 *
 * Context: any context; takes f->lock, a leaf lock.
 */
void gomem_fixalloc_free(struct gomem_fixalloc *f, void *p)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&f->lock, flags);
	*(void **)p = f->free;
	f->free = p;
	WRITE_ONCE(f->inuse, f->inuse - 1);	/* read without the lock by statistics */
	raw_spin_unlock_irqrestore(&f->lock, flags);
}

/**
 * gomem_pool_counts() - chunks of one metadata pool in use and free
 * @pool: an &enum gomem_pool
 * @inuse: where to store the chunks handed out
 * @free: where to store the chunks the pool holds ready (no page needed)
 *
 * For gomem's own KUnit suites (namespace GOMEM_INTERNAL): a failure path
 * that loses a chunk shows as @inuse above its earlier value once
 * everything is freed. Every page of a pool is carved whole when it is
 * added, so the free chunks are the pages' chunks minus those in use.
 *
 * Context: any context; takes the pool's lock, a leaf lock.
 */
void gomem_pool_counts(unsigned int pool, unsigned long *inuse, unsigned long *free)
{
	struct gomem_fixalloc *f;
	unsigned long flags;

	*inuse = 0;
	*free = 0;
	if (WARN_ON_ONCE(pool >= GOMEM_NR_POOLS))
		return;
	f = &gomem_pools[pool];
	raw_spin_lock_irqsave(&f->lock, flags);
	*inuse = f->inuse;
	*free = f->sys / PAGE_SIZE * (PAGE_SIZE / f->size) - f->inuse;
	raw_spin_unlock_irqrestore(&f->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(gomem_pool_counts, GOMEM_INTERNAL);

static void fixalloc_destroy(struct gomem_fixalloc *f)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &f->pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	f->free = NULL;
	f->sys = 0;
}

/* The pool for span structures with bitmaps for @nelems objects. */
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
	if (longs) {
		s->alloc_bits = s->bits;
		s->live_bits = s->bits + longs;
	}
	return s;
}

static void span_free(struct mspan *s)
{
	WRITE_ONCE(s->state, MSPAN_DEAD);
	gomem_fixalloc_free(&gomem_pools[s->pool], s);
}

/* === The page map === */

static unsigned long map_key(unsigned long addr)
{
	return (addr - PAGE_OFFSET) >> GOMEM_PAGE_SHIFT;
}

/* Make sure the tables for keys [key, key + n) exist. No lock needed. */
static int map_ensure(unsigned long key, unsigned long n, gfp_t gfp)
{
	unsigned long k;

	for (k = key & ~(MAP_LEAF_LEN - 1); k < key + n; k += MAP_LEAF_LEN) {
		struct map_l2 **l2p = &gomem_map_l1[k >> (MAP_LEAF_BITS + MAP_L2_BITS)];
		struct map_leaf **leafp;
		struct map_leaf *leaf;
		struct map_l2 *l2;

		l2 = READ_ONCE(*l2p);
		if (!l2) {
			l2 = (void *)__get_free_pages(gfp | __GFP_ZERO, get_order(sizeof(*l2)));
			if (!l2)
				return -ENOMEM;
			if (cmpxchg(l2p, NULL, l2)) {
				free_pages((unsigned long)l2, get_order(sizeof(*l2)));
				l2 = READ_ONCE(*l2p);
			} else {
				atomic_long_add(PAGE_SIZE << get_order(sizeof(*l2)), &map_bytes);
			}
		}
		leafp = &l2->leaf[(k >> MAP_LEAF_BITS) & (MAP_L2_LEN - 1)];
		if (READ_ONCE(*leafp))
			continue;
		leaf = (void *)__get_free_pages(gfp | __GFP_ZERO, get_order(sizeof(*leaf)));
		if (!leaf)
			return -ENOMEM;
		if (cmpxchg(leafp, NULL, leaf))
			free_pages((unsigned long)leaf, get_order(sizeof(*leaf)));
		else
			atomic_long_add(PAGE_SIZE << get_order(sizeof(*leaf)), &map_bytes);
	}
	return 0;
}

/* Point the page of @addr at @s. Its tables exist (map_ensure()). */
static void map_set_locked(unsigned long addr, struct mspan *s)
	__must_hold(&gomem_heap.lock)
{
	unsigned long key = map_key(addr);
	struct map_l2 *l2 = gomem_map_l1[key >> (MAP_LEAF_BITS + MAP_L2_BITS)];
	struct map_leaf *leaf = l2->leaf[(key >> MAP_LEAF_BITS) & (MAP_L2_LEN - 1)];

	lockdep_assert_held(&gomem_heap.lock);
	WRITE_ONCE(leaf->span[key & (MAP_LEAF_LEN - 1)], s);
}

static void map_set_range_locked(unsigned long addr, unsigned int npages, struct mspan *s)
	__must_hold(&gomem_heap.lock)
{
	unsigned int i;

	for (i = 0; i < npages; i++)
		map_set_locked(addr + i * GOMEM_PAGE_SIZE, s);
}

static void map_destroy(void)
{
	unsigned long i, j;

	if (!gomem_map_l1)
		return;
	for (i = 0; i < map_l1_len; i++) {
		struct map_l2 *l2 = gomem_map_l1[i];

		if (!l2)
			continue;
		for (j = 0; j < MAP_L2_LEN; j++)
			if (l2->leaf[j])
				free_pages((unsigned long)l2->leaf[j],
					   get_order(sizeof(struct map_leaf)));
		free_pages((unsigned long)l2, get_order(sizeof(*l2)));
	}
	free_pages((unsigned long)gomem_map_l1, get_order(map_l1_len * sizeof(*gomem_map_l1)));
	gomem_map_l1 = NULL;
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

/* First fit by size list; best fit among the runs on the last list. */
static struct mspan *run_find_locked(unsigned int npages)
	__must_hold(&gomem_heap.lock)
{
	struct mspan *run, *best = NULL;
	unsigned int i;

	for (i = npages - 1; i < GOMEM_FREE_LISTS - 1; i++)
		if (!list_empty(&gomem_heap.free[i]))
			return list_first_entry(&gomem_heap.free[i], struct mspan, node);
	list_for_each_entry(run, &gomem_heap.free[GOMEM_FREE_LISTS - 1], node)
		if (run->npages >= npages && (!best || run->npages < best->npages))
			best = run;
	return best;
}

/* === Arenas === */

static int heap_grow(unsigned int npages, gfp_t gfp)
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
			span_free(run);
		__free_pages(page, order);
		return -ENOMEM;
	}
	arena->base = base;
	arena->order = order;
	arena->npages = 1U << (order - GOMEM_PAGE_ORDER);
	run->base = base;
	run->npages = arena->npages;
	run->arena = arena;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_add(&arena->node, &gomem_heap.arenas);
	gomem_heap.narenas++;
	gomem_heap.heap_sys += PAGE_SIZE << order;
	run_insert_locked(run);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return 0;
}

/* Release arenas with no span in use while the idle heap exceeds the retention. */
static unsigned long heap_release(bool all_idle)
{
	struct gomem_arena *arena, *tmp;
	unsigned long flags, released = 0;
	LIST_HEAD(victims);

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry_safe(arena, tmp, &gomem_heap.arenas, node) {
		unsigned long bytes = PAGE_SIZE << arena->order;
		unsigned long idle = gomem_heap.heap_sys - gomem_heap.heap_inuse;
		struct mspan *run;

		if (arena->inuse_pages)
			continue;
		if (!all_idle && idle < gomem_retain_bytes + bytes)
			continue;
		run = gomem_span_of((void *)arena->base);
		if (WARN_ON_ONCE(!run || run->state != MSPAN_FREE ||
				 run->npages != arena->npages))
			continue;
		run_remove_locked(run);
		span_free(run);
		list_move(&arena->node, &victims);
		gomem_heap.narenas--;
		gomem_heap.heap_sys -= bytes;
		gomem_heap.released += bytes;
		released += bytes;
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);

	list_for_each_entry_safe(arena, tmp, &victims, node) {
		list_del(&arena->node);
		free_pages(arena->base, arena->order);
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_ARENA], arena);
	}
	return released;
}

/* Set by the shrinker: the next scavenger run ignores the retention. */
static atomic_t gomem_heap_pressure = ATOMIC_INIT(0);

static void gomem_scavenge_workfn(struct work_struct *work)
{
	bool all_idle = atomic_xchg(&gomem_heap_pressure, 0);

	gomem_drain_all();
	heap_release(all_idle);
}

/**
 * gomem_heap_scavenge() - return idle arenas to the page allocator now
 * @all_idle: release every idle arena, ignoring gomem_retain_bytes
 *
 * Context: process context; takes the mheap lock.
 * Return: bytes returned to the page allocator.
 */
unsigned long gomem_heap_scavenge(bool all_idle)
{
	return heap_release(all_idle);
}

/**
 * gomem_heap_pressure_kick() - memory is short: scavenge everything idle, soon
 *
 * The scavenger runs at once, has every CPU flush its caches and returns
 * every idle arena, whatever the retention.
 *
 * Context: any context but NMI.
 */
void gomem_heap_pressure_kick(void)
{
	if (READ_ONCE(gomem_scavenger_stopped))
		return;
	atomic_set(&gomem_heap_pressure, 1);
	mod_delayed_work(system_wq, &gomem_scavenge_work, 0);
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
 * Return: the span, in state MSPAN_SMALL or MSPAN_LARGE, or NULL.
 */
struct mspan *gomem_heap_alloc(unsigned int npages, unsigned int spanclass, gfp_t gfp)
{
	unsigned int sizeclass = gomem_spanclass_sizeclass(spanclass);
	unsigned int nelems = spanclass ? gomem_class_to_nelems[sizeclass] : 0;
	struct mspan *s, *run;
	atomic_t *masks = NULL;
	unsigned long flags;

	s = span_alloc(nelems, gfp);
	if (!s)
		return NULL;
	if (spanclass == GOMEM_TINY_SPANCLASS) {
		masks = gomem_fixalloc_alloc(&gomem_pools[GOMEM_POOL_TINYMASK], gfp);
		if (!masks) {
			span_free(s);
			return NULL;
		}
	}
	s->npages = npages;
	s->spanclass = spanclass;
	s->tiny_masks = masks;
	if (spanclass) {
		s->nelems = nelems;
		s->elemsize = gomem_class_to_size[sizeclass];
		s->divmagic = gomem_class_to_divmagic[sizeclass];
		s->alloc_cache = ~0ULL;
	} else {
		s->nelems = 1;
		s->elemsize = npages << GOMEM_PAGE_SHIFT;
	}

	for (;;) {
		raw_spin_lock_irqsave(&gomem_heap.lock, flags);
		run = run_find_locked(npages);
		if (run)
			break;
		raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
		if (heap_grow(npages, gfp)) {
			if (masks)
				gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_TINYMASK], masks);
			span_free(s);
			return NULL;
		}
	}
	run_remove_locked(run);
	s->base = run->base;
	s->arena = run->arena;
	if (run->npages > npages) {
		run->base += (unsigned long)npages << GOMEM_PAGE_SHIFT;
		run->npages -= npages;
		run_insert_locked(run);
	} else {
		span_free(run);
	}
	s->arena->inuse_pages += npages;
	gomem_heap.heap_inuse += (unsigned long)npages << GOMEM_PAGE_SHIFT;
	map_set_range_locked(s->base, npages, s);
	WRITE_ONCE(s->state, spanclass ? MSPAN_SMALL : MSPAN_LARGE);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return s;
}

/**
 * gomem_heap_free() - give a span's pages back to the heap
 * @s: a span in state MSPAN_SMALL with no object handed out, or MSPAN_FREEING
 *
 * Coalesces with free neighbours in the same arena; kicks the scavenger when
 * the idle heap exceeds the retention.
 *
 * Context: any context; no gomem lock held. Takes the mheap lock.
 */
void gomem_heap_free(struct mspan *s)
{
	struct gomem_arena *arena = s->arena;
	unsigned long end = s->base + ((unsigned long)s->npages << GOMEM_PAGE_SHIFT);
	unsigned long arena_end = arena->base + ((unsigned long)arena->npages << GOMEM_PAGE_SHIFT);
	atomic_t *masks = s->tiny_masks;
	struct mspan *run = s, *prev = NULL, *next = NULL;
	bool kick = false;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	map_set_range_locked(s->base, s->npages, NULL);
	arena->inuse_pages -= s->npages;
	gomem_heap.heap_inuse -= (unsigned long)s->npages << GOMEM_PAGE_SHIFT;
	WRITE_ONCE(s->state, MSPAN_FREE);
	s->tiny_masks = NULL;

	if (s->base > arena->base) {
		prev = gomem_span_of((void *)(s->base - GOMEM_PAGE_SIZE));
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
		prev->npages += s->npages;
		span_free(s);
		run = prev;
	}
	if (next) {
		run_remove_locked(next);
		run->npages += next->npages;
		span_free(next);
	}
	run_insert_locked(run);
	if (gomem_heap.heap_sys - gomem_heap.heap_inuse > gomem_retain_bytes)
		kick = true;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);

	if (masks)
		gomem_fixalloc_free(&gomem_pools[GOMEM_POOL_TINYMASK], masks);
	if (kick && !READ_ONCE(gomem_scavenger_stopped))
		schedule_delayed_work(&gomem_scavenge_work, GOMEM_SCAVENGE_DELAY);
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
	unsigned int i, b;

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

		fixalloc_init(&gomem_pools[i], names[i],
			      sizeof(struct mspan) + 2 * b * sizeof(unsigned long));
		b = b ? 2 * b : 1;
	}
	fixalloc_init(&gomem_pools[GOMEM_POOL_ARENA], "arena", sizeof(struct gomem_arena));
	fixalloc_init(&gomem_pools[GOMEM_POOL_TINYMASK], "tinymask",
		      sizeof(atomic_t) * gomem_class_to_nelems[GOMEM_TINY_SIZECLASS]);

	gomem_map_limit = 1UL << MAX_PHYSMEM_BITS;
	map_l1_len = DIV_ROUND_UP(gomem_map_limit >> GOMEM_PAGE_SHIFT, MAP_L2_LEN * MAP_LEAF_LEN);
	gomem_map_l1 = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					  get_order(map_l1_len * sizeof(*gomem_map_l1)));
	if (!gomem_map_l1)
		return -ENOMEM;
	atomic_long_set(&map_bytes, PAGE_SIZE << get_order(map_l1_len * sizeof(*gomem_map_l1)));

	while (gomem_heap.heap_sys < initial_bytes) {
		unsigned long want = DIV_ROUND_UP(initial_bytes - gomem_heap.heap_sys,
						  GOMEM_PAGE_SIZE);

		if (heap_grow(min(want, gomem_max_large_pages()), GFP_KERNEL)) {
			gomem_heap_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * gomem_heap_stop_scavenger() - wait for the scavenger and keep it stopped
 *
 * Context: process context, module exit, before the caches go away; no
 * gomem user is left to kick it again.
 */
void gomem_heap_stop_scavenger(void)
{
	WRITE_ONCE(gomem_scavenger_stopped, true);
	cancel_delayed_work_sync(&gomem_scavenge_work);
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

	list_for_each_entry_safe(arena, tmp, &gomem_heap.arenas, node) {
		list_del(&arena->node);
		free_pages(arena->base, arena->order);
		gomem_heap.heap_sys -= PAGE_SIZE << arena->order;
		gomem_heap.released += PAGE_SIZE << arena->order;
	}
	gomem_heap.narenas = 0;
	gomem_heap.heap_inuse = 0;
	for (i = 0; i < GOMEM_FREE_LISTS; i++)
		INIT_LIST_HEAD(&gomem_heap.free[i]);
	for (i = 0; i < GOMEM_NR_POOLS; i++)
		fixalloc_destroy(&gomem_pools[i]);
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
