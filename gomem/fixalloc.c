// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's metadata pools (Go's fixalloc) and its boundary with the page
 * allocator.
 *
 * Span structures, arena records and tiny-block masks are fixed-size chunks
 * carved from whole kernel pages that stay in their pool until module exit:
 * a lock-free reader holding a stale pointer to a chunk (gomem_span_of())
 * always finds memory of the same type. Every call gomem makes into the page
 * allocator for its heap or metadata asks this file first which flags to
 * pass (gomem_page_gfp()) and whether it may call at all here
 * (gomem_may_alloc_pages()).
 *
 * Layer 3 (internal.h): calls report.c only.
 */

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "internal.h"

struct gomem_fixalloc gomem_pools[GOMEM_NR_POOLS];

/*
 * Requests gomem turned down because it would have had to call the page
 * allocator where PREEMPT_RT forbids it (gomem_may_alloc_pages()).
 */
static atomic_long_t gomem_nopage_refusals;

/**
 * gomem_may_alloc_pages() - may gomem call the page allocator here?
 *
 * On PREEMPT_RT the page allocator's locks (zone->lock and friends) are
 * sleeping locks: it must not be entered with preemption or interrupts
 * disabled - in hard interrupt context (HRTIMER_MODE_*_HARD timers
 * included), under a raw spinlock or in a preempt_disable() or
 * local_irq_disable() section of the caller - whatever the gfp flags say.
 * There gomem serves only from its caches and the arenas it holds, and fails
 * (NULL) when it would need new pages. Softirqs and threaded interrupt
 * handlers are preemptible on PREEMPT_RT and allocate as anywhere else;
 * without PREEMPT_RT, the gfp flags alone decide.
 *
 * Context: any context; a refusal is counted.
 * Return: true when the page allocator may be called.
 */
bool gomem_may_alloc_pages(void)
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

/**
 * gomem_page_gfp() - the flags gomem passes to the page allocator
 * @gfp: the caller's allocation flags
 *
 * Keeps what says how hard to try and whether to sleep; drops zone and
 * placement modifiers (gomem refuses the zone flags earlier).
 *
 * Context: any context.
 * Return: the flags for alloc_pages().
 */
gfp_t gomem_page_gfp(gfp_t gfp)
{
	gfp_t keep = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH | __GFP_NOWARN |
		     __GFP_NORETRY | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_MEMALLOC |
		     __GFP_NOMEMALLOC;
#ifdef __GFP_ATOMIC
	keep |= __GFP_ATOMIC;
#endif
	return gfp & keep;
}

/**
 * gomem_fixalloc_init() - set up an empty pool
 * @f: the pool
 * @name: its name, for messages
 * @size: bytes of one chunk (rounded up to a pointer)
 *
 * Context: module init.
 */
void gomem_fixalloc_init(struct gomem_fixalloc *f, const char *name, unsigned int size)
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
 * gomem_fixalloc_destroy() - give every page of a pool back
 * @f: the pool; none of its chunks is in use any more
 *
 * Context: process context, module exit (or a failed init).
 */
void gomem_fixalloc_destroy(struct gomem_fixalloc *f)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &f->pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	f->free = NULL;
	f->sys = 0;
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
 * Chunks on their way back (span structures wait for an RCU grace period)
 * are waited for first.
 *
 * Context: process context; may sleep (rcu_barrier()). Takes the pool's
 * lock, a leaf lock.
 */
void gomem_pool_counts(unsigned int pool, unsigned long *inuse, unsigned long *free)
{
	struct gomem_fixalloc *f;
	unsigned long flags;

	*inuse = 0;
	*free = 0;
	if (WARN_ON_ONCE(pool >= GOMEM_NR_POOLS))
		return;
	rcu_barrier();
	f = &gomem_pools[pool];
	raw_spin_lock_irqsave(&f->lock, flags);
	*inuse = f->inuse;
	*free = f->sys / PAGE_SIZE * (PAGE_SIZE / f->size) - f->inuse;
	raw_spin_unlock_irqrestore(&f->lock, flags);
}
EXPORT_SYMBOL_NS_GPL(gomem_pool_counts, GOMEM_INTERNAL);
