// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's invariant walker: checks the equations written on struct mspan,
 * struct mcache and the mheap, each under the lock that makes it hold.
 *
 * Layer 12 (internal.h), an observer: reads every layer below, and calls
 * debug.c for the objects' red zones and poison.
 */

#include <linux/bitmap.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/pfn.h>

#include "internal.h"

#define CHECK(cond, fmt, ...)						\
	do {								\
		if (unlikely(!(cond))) {				\
			pr_err("check: " fmt "\n", ##__VA_ARGS__);	\
			bad++;						\
		}							\
	} while (0)

/* One span of an mcentral list: its bitmaps, counts and page map entries. */
static int check_small_span(struct mspan *s, unsigned int sc, bool full)
{
	unsigned int i, nlive;
	int bad = 0;

	CHECK(READ_ONCE(s->state) == (sc == GOMEM_TINY_SPANCLASS ? MSPAN_TINY : MSPAN_SMALL),
	      "class %u span state %u", sc, s->state);
	CHECK(s->spanclass == sc, "span on class %u list has class %u", sc, s->spanclass);
	CHECK(s->nelems == ((size_t)s->npages << GOMEM_PAGE_SHIFT) / gomem_spanclass_size(sc) &&
	      s->npages <= gomem_class_to_npages[gomem_spanclass_sizeclass(sc)],
	      "class %u span of %u pages holds %u objects", sc, s->npages, s->nelems);
	CHECK(s->alloc_count == bitmap_weight(s->alloc_bits, s->nelems),
	      "class %u span alloc_count %u != popcount(alloc_bits) %u", sc,
	      s->alloc_count, bitmap_weight(s->alloc_bits, s->nelems));
	CHECK(full == (s->alloc_count == s->nelems), "class %u span on the wrong list (%u/%u)",
	      sc, s->alloc_count, s->nelems);
	/* A listed span always has an object out (gomem_central_add_span()). */
	CHECK(s->alloc_count, "class %u span listed with no object handed out", sc);
	if (sc != GOMEM_TINY_SPANCLASS) {
		/*
		 * Racy reads on purpose: other CPUs set and clear live bytes
		 * without this lock, but only of objects whose alloc bit is
		 * set, and alloc bits hold still under the lock. Any byte
		 * read, old or new, is 0 for an object not allocated, so
		 * both checks hold for any mix of moments.
		 */
		nlive = 0;
		for (i = 0; i < s->nelems; i++) {
			if (!gomem_live_test(s, i))
				continue;
			nlive++;
			CHECK(test_bit(i, s->alloc_bits),
			      "class %u span: live object %u is not allocated", sc, i);
		}
		CHECK(nlive <= s->alloc_count, "class %u span: %u live > %u allocated", sc,
		      nlive, s->alloc_count);
	}
	for (i = 0; i < s->npages; i++)
		CHECK(gomem_span_of((void *)(s->base + i * GOMEM_PAGE_SIZE)) == s,
		      "class %u span page %u not mapped to its span", sc, i);
	return bad;
}

static int check_centrals(void)
{
	unsigned int sc;
	int bad = 0;

	for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
		struct mcentral *mc = &gomem_central[sc];
		unsigned long flags, n = 0, nfree = 0, pages = 0;
		unsigned int i, idx;
		struct mspan *s;

		raw_spin_lock_irqsave(&mc->lock, flags);
		list_for_each_entry(s, &mc->partial, node) {
			bad += check_small_span(s, sc, false);
			nfree += s->nelems - s->alloc_count;
			pages += s->npages;
			n++;
		}
		list_for_each_entry(s, &mc->full, node) {
			bad += check_small_span(s, sc, true);
			pages += s->npages;
			n++;
		}
		CHECK(n == mc->nspans, "class %u has %lu spans listed, nspans %lu", sc, n,
		      mc->nspans);
		CHECK(pages == mc->npages, "class %u spans have %lu pages, npages %lu", sc,
		      pages, mc->npages);
		CHECK(mc->nxfer <= mc->xfer_cap, "class %u transfer cache holds %u > %u", sc,
		      mc->nxfer, mc->xfer_cap);
		for (i = 0; i < mc->nxfer && i < mc->xfer_cap; i++) {
			s = mc->xfer[i].span;
			idx = gomem_obj_index(s, (unsigned long)mc->xfer[i].obj);
			CHECK(s->spanclass == sc && idx < s->nelems &&
			      test_bit(idx, s->alloc_bits) &&
			      (sc == GOMEM_TINY_SPANCLASS || !gomem_live_test(s, idx)),
			      "class %u transfer cache holds a bad object", sc);
		}
		CHECK(nfree == mc->nfree, "class %u spans have %lu free objects, nfree %lu", sc,
		      nfree, mc->nfree);
		raw_spin_unlock_irqrestore(&mc->lock, flags);
	}
	return bad;
}

/* Present memory is covered by the page map's first level (mheap.c sizes it at load). */
static int check_map(void)
{
	struct map_top *top = READ_ONCE(gomem_map);
	int bad = 0, nid;

	for_each_online_node(nid) {
		unsigned long end = PFN_PHYS(node_end_pfn(nid));

		CHECK(end <= top->limit, "node %d ends at %#lx, the page map covers %#lx", nid,
		      end, top->limit);
	}
	CHECK(IS_ALIGNED(top->limit, 1UL << MAP_LEAF_SHIFT), "page map limit %#lx", top->limit);
	return bad;
}

/*
 * Every page of every arena belongs to exactly one span or free run, or is
 * released; the byte counters add up; mheap.scav holds every free run,
 * oldest first.
 */
static int check_heap(void)
{
	unsigned long flags, inuse = 0, sys = 0, released = 0, free_bytes = 0, nfree = 0;
	unsigned long nscav = 0, last = 0;
	struct gomem_arena *arena;
	unsigned int i, narenas = 0;
	struct mspan *run;
	int bad = 0;

	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry(arena, &gomem_heap.arenas, node) {
		unsigned int p = 0, arena_inuse = 0, arena_released = 0;

		narenas++;
		sys += PAGE_SIZE << arena->order;
		CHECK(arena->released_pages < arena->npages,
		      "arena %p held with every page released", (void *)arena->base);
		while (p < arena->npages) {
			unsigned long addr = arena->base + (unsigned long)p * GOMEM_PAGE_SIZE;
			struct mspan *s;
			u32 state;

			if (test_bit(p, arena->released)) {
				/* Not this arena's any more: whatever the map says is another's. */
				s = gomem_span_of((void *)addr);
				CHECK(!s || s->arena != arena,
				      "released page %u still mapped to its arena", p);
				arena_released++;
				p++;
				continue;
			}
			s = gomem_span_of((void *)addr);
			if (!s || s->base != addr || !s->npages ||
			    p + s->npages > arena->npages || s->arena != arena) {
				CHECK(0, "arena page %u: no span starts there", p);
				break;
			}
			/* Once: a large free sets its span's state without the lock. */
			state = READ_ONCE(s->state);
			if (state == MSPAN_FREE) {
				CHECK(gomem_span_of((void *)(addr + (s->npages - 1) *
						    GOMEM_PAGE_SIZE)) == s,
				      "free run's last page not mapped to it");
				CHECK(find_next_bit(arena->released, p + s->npages, p) ==
				      p + s->npages, "free run over released pages");
				free_bytes += (unsigned long)s->npages * GOMEM_PAGE_SIZE;
				nfree++;
			} else {
				CHECK(state == MSPAN_SMALL || state == MSPAN_TINY ||
				      state == MSPAN_LARGE || state == MSPAN_FREEING,
				      "span in arena has state %u", state);
				arena_inuse += s->npages;
			}
			p += s->npages;
		}
		CHECK(arena_inuse == arena->inuse_pages, "arena inuse_pages %u, spans hold %u",
		      arena->inuse_pages, arena_inuse);
		CHECK(arena_released == arena->released_pages,
		      "arena released_pages %u, %u pages marked released",
		      arena->released_pages, arena_released);
		inuse += (unsigned long)arena_inuse * GOMEM_PAGE_SIZE;
		released += (unsigned long)arena_released * GOMEM_PAGE_SIZE;
	}
	list_for_each_entry(run, &gomem_heap.scav, lru) {
		CHECK(run->state == MSPAN_FREE, "mheap.scav holds a span in state %u", run->state);
		CHECK(!nscav || !time_before(run->idle_since, last),
		      "mheap.scav out of age order");
		last = run->idle_since;
		if (++nscav > nfree)
			break;
	}
	CHECK(nscav == nfree, "%lu free runs, %lu on mheap.scav", nfree, nscav);
	for (i = 0; i < GOMEM_FREE_LISTS; i++) {
		struct mspan *run;

		CHECK(test_bit(i, gomem_heap.free_nonempty) == !list_empty(&gomem_heap.free[i]),
		      "free list %u is %sempty, its bit says otherwise", i,
		      list_empty(&gomem_heap.free[i]) ? "" : "not ");
		list_for_each_entry(run, &gomem_heap.free[i], node) {
			CHECK(run->state == MSPAN_FREE, "free list %u holds a span in state %u",
			      i, run->state);
			CHECK(min_t(unsigned int, run->npages, GOMEM_FREE_LISTS) == i + 1,
			      "run of %u pages on free list %u", run->npages, i);
		}
	}
	CHECK(narenas == gomem_heap.narenas, "%u arenas listed, narenas %lu", narenas,
	      gomem_heap.narenas);
	CHECK(sys == gomem_heap.heap_sys, "arenas hold %lu bytes, heap_sys %lu", sys,
	      gomem_heap.heap_sys);
	CHECK(inuse == gomem_heap.heap_inuse, "spans hold %lu bytes, heap_inuse %lu", inuse,
	      gomem_heap.heap_inuse);
	CHECK(released == gomem_heap.heap_released,
	      "arenas have %lu bytes released, heap_released %lu", released,
	      gomem_heap.heap_released);
	CHECK(gomem_heap.heap_sys == gomem_heap.heap_inuse + gomem_heap.heap_released + free_bytes,
	      "heap_sys %lu != heap_inuse %lu + heap_released %lu + free runs %lu",
	      gomem_heap.heap_sys, gomem_heap.heap_inuse, gomem_heap.heap_released, free_bytes);
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	return bad;
}

/* This CPU's caches: counts within bounds, each object allocated and not live. */
static int check_local_caches(void)
{
	struct gomem_pcpu *pc;
	unsigned long flags;
	unsigned int ctx, sc, i;
	int bad = 0;

	local_irq_save(flags);
	pc = this_cpu_ptr(&gomem_pcpu);
	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
		struct mcache *c = pc->ctx[ctx];

		for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
			struct mcache_class *cc = &c->cls[sc];

			CHECK(cc->count <= cc->cap, "cache class %u count %u > cap %u", sc,
			      cc->count, cc->cap);
			for (i = 0; i < cc->count && i < cc->cap; i++) {
				struct mspan *s = cc->objs[i].span;
				unsigned long obj = (unsigned long)cc->objs[i].obj;
				unsigned int idx = gomem_obj_index(s, obj);

				CHECK(s->spanclass == sc && idx < s->nelems,
				      "cache class %u holds a foreign object", sc);
				CHECK(test_bit(idx, s->alloc_bits),
				      "cache class %u holds an object not allocated", sc);
				if (sc != GOMEM_TINY_SPANCLASS)
					CHECK(!gomem_live_test(s, idx),
					      "cache class %u holds a live object", sc);
			}
		}
	}
	local_irq_restore(flags);
	return bad;
}

/*
 * Debug mode: every slot of every small span and every large object, under
 * the lock that keeps the span where it is. Live objects must have their
 * trailer and red zone intact; free ones (in a span or a cache) their poison.
 * Skipped, or its findings dropped, when a gomem call ran meanwhile: an
 * object being handed out or freed is half-written.
 */
static int check_objects(void)
{
	unsigned long flags, seq, addr, end;
	struct gomem_arena *arena;
	unsigned int sc, idx;
	struct mspan *s;
	int bad = 0;

	if (!static_branch_unlikely(&gomem_debug_key) || !gomem_debug_quiet_begin(&seq))
		return 0;
	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		struct mcentral *mc = &gomem_central[sc];
		struct list_head *lists[] = { &mc->partial, &mc->full };
		unsigned int l;

		raw_spin_lock_irqsave(&mc->lock, flags);
		for (l = 0; l < ARRAY_SIZE(lists); l++)
			list_for_each_entry(s, lists[l], node)
				for (idx = 0; idx < s->nelems; idx++)
					bad += gomem_debug_check_slot((void *)(s->base +
						(unsigned long)idx * s->elemsize), s, s->elemsize,
						gomem_live_test(s, idx));
		raw_spin_unlock_irqrestore(&mc->lock, flags);
	}
	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry(arena, &gomem_heap.arenas, node) {
		addr = arena->base;
		end = addr + (unsigned long)arena->npages * GOMEM_PAGE_SIZE;
		while (addr < end) {
			if (test_bit((addr - arena->base) >> GOMEM_PAGE_SHIFT, arena->released)) {
				addr += GOMEM_PAGE_SIZE;
				continue;
			}
			s = gomem_span_of((void *)addr);
			if (!s || !s->npages)
				break;
			if (READ_ONCE(s->state) == MSPAN_LARGE)	/* as above */
				bad += gomem_debug_check_slot((void *)s->base, s,
							      (size_t)s->npages << GOMEM_PAGE_SHIFT,
							      true);
			addr += (unsigned long)s->npages * GOMEM_PAGE_SIZE;
		}
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	if (!gomem_debug_quiet_end(seq))
		return 0;
	return bad;
}

/**
 * gomem_check_heap() - check gomem's invariants
 *
 * Walks every mcentral's spans, every arena's pages and this CPU's caches,
 * each under its lock, and prints each violation found. Safe while other
 * CPUs allocate and free. In debug mode, when no gomem call runs meanwhile,
 * also checks every object: the red zone and trailer of live ones, the
 * poison of free ones, and prints the owners of a damaged one.
 *
 * Context: process context; takes every mcentral lock and the mheap lock in turn.
 * Return: the number of violations, 0 when the heap is consistent.
 */
int gomem_check_heap(void)
{
	return check_centrals() + check_map() + check_heap() + check_local_caches() +
	       check_objects();
}
EXPORT_SYMBOL_NS_GPL(gomem_check_heap, GOMEM_INTERNAL);
