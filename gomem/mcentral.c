// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's mcentral: the spans of one span class, shared by all CPUs.
 *
 * Each mcentral keeps its spans on two lists, as Go 1.5 did (nonempty and
 * empty, later partial and full): spans with objects left to hand out, and
 * spans without. A per-CPU cache refills by taking a batch of objects found
 * in the alloc bits a word at a time (count-trailing-zeros on the word's
 * complement, as Go's nextFreeIndex does on alloc_cache) and flushes by
 * handing a batch back, clearing their alloc bits. A span whose last object
 * comes back goes to the mheap.
 *
 * Between the caches and the spans sits a transfer cache per class, as in
 * tcmalloc: a flush parks its batch there (a copy under the lock) and a
 * refill takes a parked batch first, so objects freed by one CPU and
 * allocated by another do not go through the span bitmaps at all. The
 * transfer caches are drained to the spans by gomem_central_drain() (the
 * scavenger's passes, gomem_scavenge(), gomem_drain_all()).
 *
 * Go finds freed objects again when the sweeper rebuilds allocBits; gomem
 * clears alloc bits at flush time, so a take's scan, which starts at
 * freeindex's word (where the last one stopped), wraps around to word 0 to
 * find the objects freed below it (the sweep).
 *
 * Layer 5 (internal.h): calls mheap.c and report.c.
 */

#include <linux/bitops.h>
#include <linux/gfp.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "internal.h"

struct mcentral gomem_central[GOMEM_NUM_SPANCLASSES];

/* Partial spans a refill looks at for a wholly free line of live bytes. */
#define GOMEM_LINE_SPANS	4

/* About 64 KiB of objects per class in a transfer cache, 2 to 128 objects. */
#define GOMEM_XFER_BYTES	(64 * 1024)
#define GOMEM_XFER_MAX		128

static struct gomem_cobj *xfer_pool;	/* all transfer caches, one block */
static size_t xfer_pool_size;

enum { MCENTRAL_PARTIAL, MCENTRAL_FULL };

/**
 * gomem_central_init() - set up every mcentral and its transfer cache
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int gomem_central_init(void)
{
	unsigned int i, n = 0;

	for (i = 1; i < GOMEM_NUM_SPANCLASSES; i++) {
		unsigned int size = gomem_spanclass_size(i);

		gomem_central[i].xfer_cap = clamp_t(unsigned int, GOMEM_XFER_BYTES / size, 2,
						    GOMEM_XFER_MAX);
		n += gomem_central[i].xfer_cap;
	}
	xfer_pool_size = n * sizeof(struct gomem_cobj);
	xfer_pool = alloc_pages_exact(xfer_pool_size, GFP_KERNEL);
	if (!xfer_pool)
		return -ENOMEM;
	for (i = 0, n = 0; i < GOMEM_NUM_SPANCLASSES; i++) {
		raw_spin_lock_init(&gomem_central[i].lock);
		INIT_LIST_HEAD(&gomem_central[i].partial);
		INIT_LIST_HEAD(&gomem_central[i].full);
		gomem_central[i].xfer = xfer_pool + n;
		n += gomem_central[i].xfer_cap;
	}
	return 0;
}

/**
 * gomem_central_exit() - free the transfer caches
 *
 * Context: process context, module exit, after gomem_central_drain().
 */
void gomem_central_exit(void)
{
	free_pages_exact(xfer_pool, xfer_pool_size);
	xfer_pool = NULL;
}

/**
 * gomem_central_bytes() - bytes of the transfer caches
 *
 * Context: any context.
 * Return: the bytes, fixed after load.
 */
unsigned long gomem_central_bytes(void)
{
	return PAGE_ALIGN(xfer_pool_size);
}

/* The free objects of word @w of @s's alloc bits: its clear bits below nelems. */
static u64 span_free_word(const struct mspan *s, unsigned int w)
{
	u64 free = ~(u64)s->alloc_bits[w];
	unsigned int past = s->nelems - w * BITS_PER_LONG;

	return past < BITS_PER_LONG ? free & (BIT_ULL(past) - 1) : free;
}

/*
 * Take up to @max free objects of word @w of @s's alloc bits, lowest first
 * (count-trailing-zeros: Go's nextFreeIndex, on a whole word), into the
 * entries at @e, and set their bits at once. Return: objects taken.
 */
static __always_inline unsigned int span_take_word(struct mspan *s, unsigned int w,
						   struct gomem_cobj *e, unsigned int max)
{
	unsigned long size = s->elemsize, base = s->base + w * BITS_PER_LONG * size;
	struct gomem_cobj *p = e, *end = e + max;
	u64 free = span_free_word(s, w), rest = free;

	while (rest && p < end) {
		unsigned int bit = __ffs64(rest);

		rest &= rest - 1;
		p->obj = (void *)(base + bit * size);
		p->span = s;
		p++;
	}
	s->alloc_bits[w] |= free & ~rest;	/* the bits taken */
	return p - e;
}

/* @moved objects of @s went into @cc: the counts, and the full list if none is left. */
static void span_took_locked(struct mcentral *mc, struct mspan *s, struct mcache_class *cc,
			     unsigned int moved)
	__must_hold(&mc->lock)
{
	cc->count += moved;
	s->alloc_count += moved;
	mc->nfree -= moved;
	if (s->alloc_count == s->nelems) {
		list_move(&s->node, &mc->full);
		s->list = MCENTRAL_FULL;
	}
}

/*
 * Move up to @n objects of partial span @s into @cc, a word of alloc bits at
 * a time. The scan starts at freeindex's word, where the last take stopped,
 * and wraps around (objects freed below it are found again: Go's sweep).
 * Past @n, while @cc has room, the take finishes its word: the 64 objects
 * whose live bytes share a cache line then start out in one cache, so two
 * CPUs allocating and freeing their own objects do not write the same line.
 */
static unsigned int span_take_locked(struct mcentral *mc, struct mspan *s,
				     struct mcache_class *cc, unsigned int n)
	__must_hold(&mc->lock)
{
	unsigned int moved = 0, room = cc->cap - cc->count, left = s->nelems - s->alloc_count;
	unsigned int words = BITS_TO_LONGS(s->nelems), w = s->freeindex / BITS_PER_LONG;
	struct gomem_cobj *e = cc->objs + cc->count;

	lockdep_assert_held(&mc->lock);
	room = min(room, left);
	n = min(n, room);
	while (moved < n) {
		moved += span_take_word(s, w, e + moved, room - moved);
		if (moved < n && ++w == words)
			w = 0;
	}
	s->freeindex = w * BITS_PER_LONG;
	span_took_locked(mc, s, cc, moved);
	return moved;
}

/*
 * Move the objects of one wholly free word of partial span @s's alloc bits -
 * 64 objects whose live bytes fill one cache line - into @cc, as many as it
 * has room for: no other cache holds an object of that line, so this CPU's
 * allocations and frees of them write a line no other CPU writes. Return:
 * objects moved; 0 when no word is wholly free.
 */
static unsigned int span_take_line_locked(struct mcentral *mc, struct mspan *s,
					  struct mcache_class *cc)
	__must_hold(&mc->lock)
{
	unsigned int w, moved = 0;

	lockdep_assert_held(&mc->lock);
	for (w = 0; w * BITS_PER_LONG < s->nelems; w++) {
		if (!s->alloc_bits[w]) {
			moved = span_take_word(s, w, cc->objs + cc->count, cc->cap - cc->count);
			break;
		}
	}
	span_took_locked(mc, s, cc, moved);
	return moved;
}

/**
 * gomem_central_fill() - move up to @n objects of class @sc into a cache
 * @sc: span class
 * @cc: the cache's class stack, with room for @n more objects
 * @n: objects wanted
 *
 * Context: any context, preemption disabled; takes the mcentral lock.
 * Return: objects moved; 0 if the class has no partial span.
 */
unsigned int gomem_central_fill(unsigned int sc, struct mcache_class *cc, unsigned int n)
{
	struct mcentral *mc = &gomem_central[sc];
	unsigned int moved = 0, tried = 0;
	unsigned long flags;
	struct mspan *s;

	raw_spin_lock_irqsave(&mc->lock, flags);
	/*
	 * A wholly free line of live bytes first, then objects another CPU
	 * flushed (whose lines that CPU may still be using), then any.
	 */
	list_for_each_entry(s, &mc->partial, node) {
		moved = span_take_line_locked(mc, s, cc);
		if (moved || ++tried == GOMEM_LINE_SPANS)
			break;
	}
	if (moved < n && mc->nxfer) {
		unsigned int k = min(n - moved, mc->nxfer);

		mc->nxfer -= k;
		memcpy(cc->objs + cc->count, mc->xfer + mc->nxfer, k * sizeof(*mc->xfer));
		cc->count += k;
		moved += k;
	}
	while (moved < n && !list_empty(&mc->partial)) {
		s = list_first_entry(&mc->partial, struct mspan, node);
		moved += span_take_locked(mc, s, cc, n - moved);
	}
	raw_spin_unlock_irqrestore(&mc->lock, flags);
	return moved;
}

/**
 * gomem_central_add_span() - give a fresh span to its mcentral and fill a cache from it
 * @sc: span class
 * @s: a span in state MSPAN_SMALL or MSPAN_TINY with no object handed out
 * @cc: the cache's class stack, with room for @n more objects
 * @n: objects to move into @cc, at least 1
 *
 * The objects are taken under the same lock hold that lists the span: a
 * partial span always has an object handed out, so no drain can take a
 * fresh span back before the refill that grew it had its batch.
 *
 * Context: any context, preemption disabled; takes the mcentral lock.
 * Return: objects moved.
 */
unsigned int gomem_central_add_span(unsigned int sc, struct mspan *s, struct mcache_class *cc,
				    unsigned int n)
{
	struct mcentral *mc = &gomem_central[sc];
	unsigned int moved;
	unsigned long flags;

	raw_spin_lock_irqsave(&mc->lock, flags);
	list_add(&s->node, &mc->partial);
	s->list = MCENTRAL_PARTIAL;
	mc->nspans++;
	mc->npages += s->npages;
	mc->nfree += s->nelems;
	moved = span_take_locked(mc, s, cc, n);
	raw_spin_unlock_irqrestore(&mc->lock, flags);
	return moved;
}

/* Put objects back in their spans; spans left with no object go on @empty. */
static void central_release_locked(struct mcentral *mc, struct gomem_cobj *objs, unsigned int n,
				   struct list_head *empty)
	__must_hold(&mc->lock)
{
	struct mspan *s;
	unsigned int i;

	lockdep_assert_held(&mc->lock);
	for (i = 0; i < n; i++) {
		unsigned int idx;

		s = objs[i].span;
		idx = gomem_obj_index(s, (unsigned long)objs[i].obj);
		if (!__test_and_clear_bit(idx, s->alloc_bits)) {
			gomem_report(GOMEM_ERR_CORRUPT, objs[i].obj, s, 0, 0);
			continue;
		}
		mc->nfree++;
		if (s->alloc_count-- == s->nelems) {
			list_move(&s->node, &mc->partial);
			s->list = MCENTRAL_PARTIAL;
		}
		if (!s->alloc_count) {
			list_move(&s->node, empty);
			mc->nspans--;
			mc->npages -= s->npages;
			mc->nfree -= s->nelems;
		}
	}
}

static void central_free_spans(struct list_head *empty)
{
	struct mspan *s, *tmp;

	list_for_each_entry_safe(s, tmp, empty, node) {
		list_del(&s->node);
		gomem_heap_free(s);
	}
}

/**
 * gomem_central_return() - take objects back from a cache (a flush)
 * @sc: span class
 * @objs: the objects, each with its span
 * @n: how many
 *
 * Parks them in the transfer cache when it has room; otherwise clears their
 * alloc bits, and a span left with no object goes to the mheap.
 *
 * Context: any context; takes the mcentral lock, then (without it) the mheap lock.
 */
void gomem_central_return(unsigned int sc, struct gomem_cobj *objs, unsigned int n)
{
	struct mcentral *mc = &gomem_central[sc];
	unsigned long flags;
	LIST_HEAD(empty);

	raw_spin_lock_irqsave(&mc->lock, flags);
	if (n <= mc->xfer_cap - mc->nxfer) {
		memcpy(mc->xfer + mc->nxfer, objs, n * sizeof(*objs));
		mc->nxfer += n;
		raw_spin_unlock_irqrestore(&mc->lock, flags);
		return;
	}
	central_release_locked(mc, objs, n, &empty);
	raw_spin_unlock_irqrestore(&mc->lock, flags);
	central_free_spans(&empty);
}

/**
 * gomem_central_drain() - put every transfer cache's objects back in their spans
 *
 * Spans left with no object go to the mheap. Each class is one lock hold
 * of at most a transfer cache's objects (128) and no list walk: a partial
 * span always has an object handed out (gomem_central_add_span()).
 *
 * Context: any context but NMI; takes each mcentral lock in turn, then the mheap lock.
 */
void gomem_central_drain(void)
{
	unsigned int sc;

	for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
		struct mcentral *mc = &gomem_central[sc];
		unsigned long flags;
		LIST_HEAD(empty);

		raw_spin_lock_irqsave(&mc->lock, flags);
		central_release_locked(mc, mc->xfer, mc->nxfer, &empty);
		mc->nxfer = 0;
		raw_spin_unlock_irqrestore(&mc->lock, flags);
		central_free_spans(&empty);
	}
}
