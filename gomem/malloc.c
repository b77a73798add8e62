// SPDX-License-Identifier: GPL-2.0
/*
 * gomem - Go's runtime memory allocator, as a kernel allocator for modules.
 *
 * This file owns the public entry points and their fast paths: small, tiny
 * and large objects, and the debug-mode entry points. The levels of the
 * hierarchy each have a file: mcache.c (per-CPU caches, refill, drains),
 * mcentral.c (per-class span lists), mheap.c (arenas, spans, page map),
 * fixalloc.c (metadata pools), scavenge.c (memory given back), client.c
 * (who allocated what), profile.c (the sampled heap profile); main.c loads
 * and unloads the whole. The layering and the locks are described once, at
 * the top of internal.h. Layer 10: calls client.c, profile.c, mcache.c,
 * debug.c, mheap.c and report.c.
 *
 * Allocation walk, gomem_alloc(size, gfp) - gomem.h's inline wrapper, which
 * passes the calling file's struct gomem_client to __gomem_alloc():
 *
 *  1. Size 0 returns &gomem_zerobase, one shared address, as Go's zerobase.
 *  2. Sizes under 16 bytes (when the tiny allocator is on) are packed into
 *     the CPU's current 16-byte tiny block, aligned as Go aligns them (8 for
 *     multiples of 8, 4 for multiples of 4, 2 for even sizes). A block that
 *     cannot take the object is replaced by a fresh one, taken as an object
 *     of the tiny span class by the steps below.
 *  3. Other sizes up to 32 KiB round up to a size class (gomem_size_to_class).
 *     The CPU's mcache for the current context pops an object of that class;
 *     this fast path takes no lock and no atomic on the cache. The object's
 *     live byte gets the client's id (client.c; a client's first allocation
 *     registers it on the slow path), and the cache counts the allocation
 *     for the client. While the heap profile is on (profile.c), the cache's
 *     countdown to its next sample drops by the object's size; the one that
 *     goes below zero takes the slow path, which records the sample and
 *     flags the object (GOMEM_LIVE_SAMPLED).
 *  4. If the mcache has none, it refills a batch from the class's mcentral,
 *     which hands out objects of its partial spans (ctz on their alloc bits).
 *  5. If the mcentral has no partial span, the mheap carves a span of
 *     class_to_npages pages (fewer for a class's first spans: mcache.c)
 *     from a free run of an arena, the first that fits.
 *  6. If the mheap has no free run large enough, it takes an arena from the
 *     page allocator with the caller's gfp (only now, with preemption
 *     enabled and no lock held, may the call sleep), then retries from 3.
 *     On PREEMPT_RT, where the page allocator's locks sleep, a caller with
 *     preemption or interrupts disabled gets NULL here instead.
 *  7. Sizes over 32 KiB take a span of whole gomem pages straight from the
 *     mheap (steps 5-6).
 *
 * Free walk, gomem_free(ptr) - the reverse way:
 *
 *  1. NULL and &gomem_zerobase are ignored.
 *  2. The page map gives the span of ptr; no span, or a pointer that is not
 *     the start of a live object, is reported and ignored.
 *  3. A small object's live byte is claimed with one xchg (the exact
 *     double-free check), which gives its client's id: the freeing cache
 *     counts the free for that client, whoever frees it; a flagged (sampled)
 *     object first leaves the profile. The object is pushed on the freeing
 *     CPU's mcache, whichever CPU allocated it.
 *  4. A full mcache flushes the newest half (the top of its stack) to the
 *     mcentral, which parks it in its transfer cache or clears the objects'
 *     alloc bits; a span with no object left goes to the mheap.
 *  5. A tiny object clears its bit in its block's mask; the last one out of
 *     a block no cache holds releases the block as in 3.
 *  6. A large object's span goes to the mheap directly.
 *  7. The mheap coalesces free runs. When they exceed the retain_kb module
 *     parameter, the scavenger work item runs a second later: CPUs idle
 *     since its last pass flush their caches, and free runs go back to the
 *     page allocator page by page, oldest first, paced to a share of a CPU
 *     (scavenge.c).
 */

#include <linux/bitops.h>
#include <linux/hardirq.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

#ifdef CONFIG_TRACEPOINTS
static int gomem_trace_reg(void);
static void gomem_trace_unreg(void);
#endif

/*
 * On when an entry point must leave its fast path at once: in debug mode,
 * and while a tracepoint of gomem's has a probe. The entry points test
 * this one key (one nop when off), so that a tracepoint off costs nothing.
 */
static DEFINE_STATIC_KEY_FALSE(gomem_hooked_key);

#define CREATE_TRACE_POINTS
#include "gomem_trace.h"

/* For probes of other modules (gomem's KUnit suite): register_trace_gomem_alloc(). */
EXPORT_TRACEPOINT_SYMBOL_GPL(gomem_alloc);
EXPORT_TRACEPOINT_SYMBOL_GPL(gomem_free);

/* Module parameter tiny (main.c): written before any allocation, then read-only. */
bool gomem_tiny_enabled = true;

/* The address of every zero-size object (Go's zerobase). */
static u64 gomem_zerobase;

/* Requests gomem refuses: it serves only directly mapped normal memory. */
#define GOMEM_GFP_REFUSED	(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)

/* === Heap profile samples (profile.c) === */

/*
 * Whether an allocation of @bytes from cache @c takes it past its next
 * sample: the countdown every allocation of the fast paths pays while the
 * profile's rate is not 0, and nothing else.
 */
static __always_inline bool gomem_sample_due(struct mcache *c, u64 bytes)
{
	if (!static_branch_unlikely(&gomem_profile_key))
		return false;
	/* Its own count: a new rate's draw from another CPU may land meanwhile, either will do. */
	return data_race(c->next_sample -= (s64)bytes) < 0;
}

/*
 * The same for an object of size class @sc: its size is loaded only while
 * the profile is on (a volatile load the compiler does not hoist above the
 * static branch, where it would cost every allocation one).
 */
static __always_inline bool gomem_sample_due_class(struct mcache *c, unsigned int sc)
{
	if (!static_branch_unlikely(&gomem_profile_key))
		return false;
	/* Its own count, as gomem_sample_due()'s. */
	return data_race(c->next_sample -= (s64)READ_ONCE(gomem_class_to_size[sc])) < 0;
}

/*
 * A sample, for an allocation whose countdown may have gone below zero
 * (@counted), or is yet to be counted: a new count for the cache, the
 * record, and the object flagged for its free (GOMEM_LIVE_SAMPLED), before
 * it is returned. Out of line: called only when the count is due, or on
 * the slow paths.
 */
static noinline void gomem_sample(void *obj, u64 bytes, bool counted)
{
	struct mcache *c;
	struct mspan *s;
	unsigned int i;
	u8 *flag = NULL;

	if (!obj)
		return;
	c = gomem_mcache_get();
	if (!counted)
		c->next_sample -= (s64)bytes;
	if (c->next_sample >= 0) {	/* not due, or due on the cache of another CPU */
		preempt_enable();
		return;
	}
	c->next_sample = gomem_profile_draw(gomem_profile_rate());
	if (gomem_profile_record(obj, bytes)) {
		s = gomem_span_of(obj);
		if (READ_ONCE(s->state) == MSPAN_SMALL) {
			flag = &s->live[gomem_obj_index(s, (unsigned long)obj)];
		} else if (READ_ONCE(s->state) == MSPAN_TINY) {
			i = ((unsigned long)obj - s->base) / GOMEM_TINY_SIZE;
			flag = &s->live[i];
		} else {
			flag = &s->client;
		}
		/* The caller's object (a tiny block: its cache's, or its alone). */
		WRITE_ONCE(*flag, READ_ONCE(*flag) | GOMEM_LIVE_SAMPLED);
	}
	preempt_enable();
}

/* === Small objects === */

/*
 * Pop an object from @cc, a class of cache @c, which holds one, and mark it
 * live for client @id (a plain store: nothing else may touch an object in a
 * cache); then enable preemption.
 */
static __always_inline void *gomem_small_pop(struct mcache *c, unsigned int sc,
					     struct mcache_class *cc, unsigned long id)
{
	struct gomem_cobj *e;
	struct mspan *s;
	void *obj;

	e = cc->objs + --cc->count;
	obj = e->obj;
	s = e->span;
	gomem_client_alloc(c, id, sc);
	gomem_live_set(s, gomem_obj_index(s, (unsigned long)obj), id);
	preempt_enable();
	return obj;
}

/*
 * A small object for client @id from the cache of context @ctx, refilled if
 * empty: the debug mode's allocation and the fast path's slow half. Entered
 * with preemption disabled, returns with it enabled.
 */
static __always_inline void *gomem_small_get(unsigned int sc, gfp_t gfp, unsigned int ctx,
					     unsigned long id)
{
	struct mcache *c = this_cpu_read(gomem_pcpu.ctx[ctx]);

	if (unlikely(!c->cls[sc].count)) {
		c = gomem_refill(sc, gfp);
		if (!c)
			return NULL;
	}
	return gomem_small_pop(c, sc, &c->cls[sc], id);
}

/*
 * The fast path's slow half, for client @id: a refill, an object to zero,
 * or a sample due. Preemption disabled.
 */
static noinline void *gomem_small_alloc_slow(unsigned int sc, gfp_t gfp, unsigned int ctx,
					     unsigned long id)
{
	void *obj = gomem_small_get(sc, gfp, ctx, id);

	if (static_branch_unlikely(&gomem_profile_key))
		gomem_sample(obj, gomem_class_to_size[sc], true);
	if (obj && want_init_on_alloc(gfp))
		memset(obj, 0, gomem_class_to_size[sc]);
	kmemleak_alloc(obj, gomem_class_to_size[sc], 1, gfp);
	return obj;
}

/* A client's first allocation: registered, with preemption still as the caller has it. */
static noinline void *gomem_small_alloc_first(unsigned int sc, gfp_t gfp, unsigned int ctx,
					      struct gomem_client *cl)
{
	unsigned long id = gomem_client_register(cl, gfp);

	preempt_disable();
	return gomem_small_alloc_slow(sc, gfp, ctx, id);
}

/*
 * The small-object fast path: pop the cache of context @ctx, mark the
 * object live for @cl's module and count it. No lock, no atomic; preemption
 * disabled around the cache. One exit, into gomem_small_alloc_slow() (or,
 * for a client not registered yet, gomem_small_alloc_first()), which
 * nothing follows: the fast path keeps no value live across a call.
 */
static __always_inline void *gomem_small_alloc(unsigned int sc, gfp_t gfp, unsigned int ctx,
					       struct gomem_client *cl, bool zeroable)
{
	unsigned long id = gomem_client_id(cl);
	struct mcache_class *cc;
	struct mcache *c;
	void *obj;

	if (unlikely(!id))
		return gomem_small_alloc_first(sc, gfp, ctx, cl);
	preempt_disable();
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	cc = &c->cls[sc];
	/* Without @zeroable the caller saw no __GFP_ZERO: only init_on_alloc can ask. */
	if (unlikely(gomem_sample_due_class(c, sc) || !cc->count ||
		     want_init_on_alloc(zeroable ? gfp : 0)))
		return gomem_small_alloc_slow(sc, gfp, ctx, id);
	obj = gomem_small_pop(c, sc, cc, id);
	kmemleak_alloc(obj, gomem_class_to_size[sc], 1, gfp);
	return obj;
}

/* === Reports from a free === */

static noinline void gomem_free_report(enum gomem_error err, const void *p, struct mspan *s,
				       unsigned long caller);

/*
 * A fast free's claim of object @idx failed: a start in the span's tail
 * (index nelems, whose live byte is never set), or an object not live.
 */
static noinline void gomem_free_claim_failed(const void *p, struct mspan *s, unsigned int idx,
					     unsigned long caller)
{
	gomem_free_report(idx < s->nelems ? GOMEM_ERR_DOUBLE_FREE : GOMEM_ERR_INVALID_FREE, p, s,
			  caller);
}

/*
 * Report a bad free found inside the free's RCU read-side section
 * (preemption disabled), and leave the section: the span structure, its
 * masks and its pages stay valid for the report under rcu_read_lock(),
 * which (unlike preemption disabled) lets the report block on PREEMPT_RT.
 */
static noinline void gomem_free_report(enum gomem_error err, const void *p, struct mspan *s,
				       unsigned long caller)
{
	rcu_read_lock();
	preempt_enable();
	gomem_report(err, p, s, caller, 0);
	rcu_read_unlock();
}

/* === Tiny objects === */

/*
 * The mask bits of an object of @size at @off: its start, and its end,
 * none at the block's end, where the 64-bit bit falls off the 32-bit mask
 * (no branch).
 */
static __always_inline unsigned int tiny_bits(unsigned int off, size_t size)
{
	return (u32)((1 | BIT_ULL(16 + size)) << off);
}

/*
 * Size of the tiny object at @off, from its block's mask: the distance to
 * the first end bit above it, the block's end standing in as bit 32.
 */
static __always_inline unsigned int tiny_size(unsigned int mask, unsigned int off)
{
	return __ffs64(((u64)mask | BIT_ULL(32)) >> (16 + off + 1)) + 1;
}

/*
 * Go's alignment for a tiny object of @size bytes, less one: 7, 3 or 1 for
 * a size that 8, 4 or 2 divides, else 0 (a load, no branch).
 */
static const u8 tiny_align_mask[GOMEM_TINY_SIZE] = {
	[1] = 0, [2] = 1, [3] = 0, [4] = 3, [5] = 0, [6] = 1, [7] = 0,
	[8] = 7, [9] = 0, [10] = 1, [11] = 0, [12] = 3, [13] = 0, [14] = 1, [15] = 0,
};

static __always_inline unsigned int tiny_align(unsigned int off, size_t size)
{
	unsigned int mask = tiny_align_mask[size];

	return (off + mask) & ~mask;
}

/*
 * Take a fresh block for an object of @size, the block of client @id; keep
 * the block with more room, when the current one is the same client's.
 */
static noinline void *gomem_tiny_alloc_slow(size_t size, gfp_t gfp, unsigned long id)
{
	struct mcache_class *cc;
	struct mcache *c;
	struct mspan *s;
	atomic_t *mask;
	unsigned long block;
	bool due;

	c = gomem_refill(GOMEM_TINY_SPANCLASS, gfp);
	if (!c)
		return NULL;
	/* Copy the entry out: retiring the old block may push into its slot. */
	cc = &c->cls[GOMEM_TINY_SPANCLASS];
	cc->count--;
	block = (unsigned long)cc->objs[cc->count].obj;
	s = cc->objs[cc->count].span;
	mask = &s->tiny_masks[(block - s->base) / GOMEM_TINY_SIZE];
	WRITE_ONCE(s->live[(block - s->base) / GOMEM_TINY_SIZE], id);
	atomic_set(mask, GOMEM_TINY_HELD | tiny_bits(0, size));
	/*
	 * A sample due keeps its block to itself: as the cache's block, every
	 * later object's free would look for a record there.
	 */
	due = static_branch_unlikely(&gomem_profile_key) && c->next_sample < 0;
	if (!due && (!c->tiny || c->tiny_client != id || size < c->tiny_offset)) {
		gomem_tiny_retire(c);
		c->tiny = block;
		c->tiny_mask = mask;
		c->tiny_span = s;
		c->tiny_offset = size;
		c->tiny_client = id;
	} else {
		/* The old block has more room, or a sample is due: this one alone. */
		atomic_andnot(GOMEM_TINY_HELD, mask);
	}
	gomem_client_tiny_alloc(c, id, size);
	preempt_enable();
	/* A sample due has a fresh block of its own: the flag covers it alone. */
	if (static_branch_unlikely(&gomem_profile_key))
		gomem_sample((void *)block, size, true);
	return (void *)block;
}

/*
 * The tiny fast path: bump the offset in the current block, record the
 * object. A block holds one client's objects: another client's allocation
 * (or a client's first) takes a fresh block.
 */
static __always_inline void *gomem_tiny_bump(size_t size, gfp_t gfp, struct mcache *c,
					     unsigned long id)
{
	unsigned int off = tiny_align(c->tiny_offset, size);
	void *obj;

	/* With no current block the client is 0, never an @id here. */
	if (unlikely(gomem_sample_due(c, size) || c->tiny_client != id))
		return gomem_tiny_alloc_slow(size, gfp, id);
	if (unlikely(off + size > GOMEM_TINY_SIZE)) {
		if ((atomic_read(c->tiny_mask) & GOMEM_TINY_LIVE_MASK) ||
		    IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
			return gomem_tiny_alloc_slow(size, gfp, id);
		/*
		 * The rewind: every object of the full block was freed, so it
		 * starts over, with a mask of nothing but the cache's hold and
		 * this object (a free that raced in found its bit clear; no
		 * free releases a held block): a plain store, no locked op.
		 * Wiped first under init_on_free, as a release is. Not with
		 * kmemleak: another CPU's free clears its object's bit
		 * before it drops the object's kmemleak record, and a new
		 * object there would overlap that record.
		 */
		if (want_init_on_free())
			memset((void *)c->tiny, 0, GOMEM_TINY_SIZE);
		off = 0;
		atomic_set(c->tiny_mask, GOMEM_TINY_HELD | tiny_bits(0, size));
	} else {
		atomic_or(tiny_bits(off, size), c->tiny_mask);
	}
	obj = (void *)(c->tiny + off);
	c->tiny_offset = off + size;
	gomem_client_tiny_alloc(c, id, size);
	preempt_enable();
	return obj;
}

/* A tiny object to zero (__GFP_ZERO, init_on_alloc). Preemption disabled. */
static noinline void *gomem_tiny_alloc_zero(size_t size, gfp_t gfp, struct mcache *c,
					    unsigned long id)
{
	void *obj = gomem_tiny_bump(size, gfp, c, id);

	if (obj)
		memset(obj, 0, size);
	kmemleak_alloc(obj, size, 1, gfp);
	return obj;
}

/*
 * A tiny object for client @id from the cache of context @ctx; without
 * @zeroable the caller saw no __GFP_ZERO in @gfp: only init_on_alloc can
 * ask for zeroes.
 */
static __always_inline void *gomem_tiny_alloc_id(size_t size, gfp_t gfp, unsigned int ctx,
						 unsigned long id, bool zeroable)
{
	struct mcache *c;
	void *obj;

	preempt_disable();
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	if (unlikely(want_init_on_alloc(zeroable ? gfp : 0)))
		return gomem_tiny_alloc_zero(size, gfp, c, id);
	obj = gomem_tiny_bump(size, gfp, c, id);
	kmemleak_alloc(obj, size, 1, gfp);
	return obj;
}

/*
 * A client's first tiny allocation: registered before preemption is
 * disabled (see gomem_client_register()). Apart, so that the entries below
 * keep nothing live across a call.
 */
static noinline void *gomem_tiny_alloc_first(size_t size, gfp_t gfp, unsigned int ctx,
					     struct gomem_client *cl, bool zeroable)
{
	return gomem_tiny_alloc_id(size, gfp, ctx, gomem_client_register(cl, gfp), zeroable);
}

/* The tiny allocator from the cache of context @ctx, @zeroable as for gomem_tiny_alloc_id(). */
static __always_inline void *gomem_tiny_alloc_in(size_t size, gfp_t gfp, unsigned int ctx,
						 struct gomem_client *cl, bool zeroable)
{
	unsigned long id = gomem_client_id(cl);

	if (unlikely(!id))
		return gomem_tiny_alloc_first(size, gfp, ctx, cl, zeroable);
	return gomem_tiny_alloc_id(size, gfp, ctx, id, zeroable);
}

/*
 * The tiny allocator's entries, for flags without __GFP_ZERO and for any.
 * Out of line: inlined, the registers they need would cost the small path
 * a save and a restore of two of them on every call.
 */
static noinline void *gomem_tiny_alloc(size_t size, gfp_t gfp, unsigned int ctx,
				       struct gomem_client *cl)
{
	return gomem_tiny_alloc_in(size, gfp, ctx, cl, false);
}

static noinline void *gomem_tiny_alloc_zeroable(size_t size, gfp_t gfp, unsigned int ctx,
						struct gomem_client *cl)
{
	return gomem_tiny_alloc_in(size, gfp, ctx, cl, true);
}

/*
 * What a tiny pointer @p that starts no live object is: past the span's
 * blocks or inside the live object before it, an interior pointer; else a
 * double free. @mask: its block's mask (0 past the blocks).
 */
static enum gomem_error tiny_error(const struct mspan *s, const void *p, unsigned int mask)
{
	unsigned long off = (unsigned long)p - s->base;
	unsigned int o = off % GOMEM_TINY_SIZE;
	unsigned int below = mask & (BIT(o) - 1);	/* live objects starting below */

	if (off / GOMEM_TINY_SIZE >= s->nelems ||
	    (below && __fls(below) + tiny_size(mask, __fls(below)) > o))
		return GOMEM_ERR_INVALID_FREE;
	return GOMEM_ERR_DOUBLE_FREE;
}

/*
 * Size of the live tiny object at @p, or 0 with *@err set. The caller is
 * inside an RCU read-side section (the masks stay).
 */
static unsigned int tiny_check(const struct mspan *s, const void *p, enum gomem_error *err)
{
	unsigned long off = (unsigned long)p - s->base;
	unsigned int o = off % GOMEM_TINY_SIZE, mask = 0;

	if (off / GOMEM_TINY_SIZE < s->nelems) {
		mask = atomic_read(&s->tiny_masks[off / GOMEM_TINY_SIZE]);
		if (mask & BIT(o))
			return tiny_size(mask, o);
	}
	*err = tiny_error(s, p, mask);
	return 0;
}

/* A tiny free that found no live object at @p (@mask: as tiny_error()'s). */
static noinline void gomem_tiny_free_bad(struct mspan *s, const void *p, unsigned long caller,
					 unsigned int mask)
{
	gomem_free_report(tiny_error(s, p, mask), p, s, caller);
}

/* A tiny free's release of the block it emptied; then preemption is enabled. */
static noinline void gomem_tiny_free_release(struct mcache *c, struct mspan *s,
					     unsigned long block)
{
	gomem_tiny_release(c, s, block);
	preempt_enable();
}

/*
 * The end of a tiny free of @p, for client @id (its sampled flag clear),
 * from the claim, @m the block's mask as last read, @p's bit set in it:
 * only the free that clears the object's bit goes on (the loser of a
 * racing double free touches nothing); its size comes from the mask it
 * claimed from (the ends stay while the object is live); counted in the
 * cache of context @ctx.
 * The free that leaves the block with no live object and no cache holding
 * it releases it. Preemption disabled; enabled on return.
 */
static __always_inline void tiny_free_claim(struct mspan *s, const void *p, unsigned long caller,
					    unsigned int ctx, unsigned int id, unsigned int m)
{
	unsigned long off = (unsigned long)p - s->base;
	atomic_t *mask = &s->tiny_masks[off / GOMEM_TINY_SIZE];
	unsigned int o = off % GOMEM_TINY_SIZE;
	struct mcache *c;

	while (!atomic_try_cmpxchg(mask, &m, m & ~BIT(o))) {
		if (unlikely(!(m & BIT(o)))) {
			gomem_free_report(GOMEM_ERR_DOUBLE_FREE, p, s, caller);
			return;
		}
	}
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	gomem_client_tiny_free(c, id, tiny_size(m, o));
	if (unlikely(!(m & ~BIT(o) & (GOMEM_TINY_LIVE_MASK | GOMEM_TINY_HELD)))) {
		gomem_tiny_free_release(c, s, (unsigned long)p - o);
		return;
	}
	preempt_enable();
}

/*
 * A sampled tiny object's free: its record leaves the profile before the
 * bit, since once the bit is clear the place may hold a new object.
 */
static noinline void gomem_tiny_free_sampled(struct mspan *s, const void *p, unsigned long caller,
					     unsigned int ctx, unsigned int id)
{
	unsigned long off = (unsigned long)p - s->base;
	unsigned int m;

	gomem_profile_free(p);
	m = atomic_read(&s->tiny_masks[off / GOMEM_TINY_SIZE]);
	if (unlikely(!(m & BIT(off % GOMEM_TINY_SIZE)))) {	/* lost to another free of it */
		gomem_free_report(GOMEM_ERR_DOUBLE_FREE, p, s, caller);
		return;
	}
	tiny_free_claim(s, p, caller, ctx, id & ~GOMEM_LIVE_SAMPLED, m);
}

/*
 * Free a tiny object, counted in the cache of context @ctx. Entered with
 * preemption disabled (the RCU read-side section of gomem_free_at()),
 * returns with it enabled. The block is wiped (init_on_free) when it is
 * released, by the free that empties it, or when its cache rewinds it: its
 * freed holes are never handed out before (only a current block is
 * allocated from, past its offset, or from its start once none of its
 * objects is live). Every call out of it is a tail call: it keeps nothing
 * live across one.
 */
static noinline void gomem_tiny_free(struct mspan *s, const void *p, unsigned long caller,
				     unsigned int ctx)
{
	unsigned long off = (unsigned long)p - s->base;
	unsigned int o = off % GOMEM_TINY_SIZE, blk = off / GOMEM_TINY_SIZE;
	unsigned int m, id;

	if (unlikely(blk >= s->nelems)) {
		gomem_tiny_free_bad(s, p, caller, 0);
		return;
	}
	m = atomic_read(&s->tiny_masks[blk]);
	if (unlikely(!(m & BIT(o)))) {
		gomem_tiny_free_bad(s, p, caller, m);
		return;
	}
	/*
	 * kmemleak's record goes before the bit: once the bit is clear the
	 * last free of the block may release it and a new object take the
	 * place. (Only the loser of a racing double free then drops the
	 * record twice, which kmemleak reports.)
	 */
	kmemleak_free(p);
	gomem_race_window(p);
	/* The block's client, stable while the object is live. */
	id = READ_ONCE(s->live[blk]);
	if (unlikely(id & GOMEM_LIVE_SAMPLED)) {
		gomem_tiny_free_sampled(s, p, caller, ctx, id);
		return;
	}
	tiny_free_claim(s, p, caller, ctx, id, m);
}

/* === Large objects === */

/* A large object of whole gomem pages from the mheap (the debug mode's too). */
static noinline void *gomem_large_get(size_t size, gfp_t gfp, struct gomem_client *cl)
{
	unsigned int id = gomem_client_register(cl, gfp);
	unsigned long npages;
	struct mcache *c;
	struct mspan *s;

	if (size > gomem_max_large_pages() << GOMEM_PAGE_SHIFT)
		return NULL;
	npages = DIV_ROUND_UP(size, GOMEM_PAGE_SIZE);
	s = gomem_heap_alloc(npages, 0, gfp);
	if (!s)
		return NULL;
	s->client = id;
	c = gomem_mcache_get();
	gomem_client_large_alloc(c, id, npages << GOMEM_PAGE_SHIFT);
	preempt_enable();
	return (void *)s->base;
}

/* gomem_alloc() of a large object: whole pages, zeroed as @gfp says. */
static noinline void *gomem_large_alloc(size_t size, gfp_t gfp, struct gomem_client *cl)
{
	void *obj = gomem_large_get(size, gfp, cl);
	size_t usable = round_up(size, GOMEM_PAGE_SIZE);

	if (static_branch_unlikely(&gomem_profile_key))
		gomem_sample(obj, usable, false);
	if (obj && want_init_on_alloc(gfp))
		memset(obj, 0, usable);
	kmemleak_alloc(obj, usable, 1, gfp);
	return obj;
}

/*
 * Free a large object. Entered with preemption disabled (the RCU read-side
 * section of gomem_free_at()), returns with it enabled. Large span
 * structures go back to their pool at once and may be reused meanwhile, so
 * the claim is a cmpxchg64 from the state and generation read with the
 * base: a structure reused for another object (a new generation) fails it,
 * and of two racing frees exactly one wins.
 */
static void gomem_large_free(struct mspan *s, const void *p, unsigned long caller)
{
	struct mcache *c;
	u64 seen;
	size_t bytes;

	seen = READ_ONCE(s->state_gen);
	smp_rmb();	/* the generation before the base it goes with */
	if (gomem_state_word(seen, MSPAN_LARGE) != seen || (unsigned long)p != READ_ONCE(s->base)) {
		gomem_free_report(GOMEM_ERR_INVALID_FREE, p, s, caller);
		return;
	}
	gomem_race_window(p);
	if (cmpxchg64(&s->state_gen, seen, gomem_state_word(seen, MSPAN_FREEING)) != seen) {
		gomem_free_report(GOMEM_ERR_INVALID_FREE, p, s, caller);
		return;
	}
	bytes = (size_t)s->npages << GOMEM_PAGE_SHIFT;
	c = gomem_mcache_current();
	gomem_client_large_free(c, s->client & ~GOMEM_LIVE_SAMPLED, bytes);
	preempt_enable();
	if (unlikely(s->client & GOMEM_LIVE_SAMPLED))
		gomem_profile_free(p);
	/* Claimed: the red zone is checked while the pages are still ours. */
	if (static_branch_unlikely(&gomem_debug_key))
		gomem_debug_check_large((void *)p, s, bytes, caller);
	kmemleak_free(p);
	if (want_init_on_free())
		memset((void *)p, 0, bytes);
	gomem_heap_free(s);
}

#ifdef GOMEM_RACE_WINDOW
/* === The race window (torture builds only) === */

static void (*gomem_race_hook)(const void *p);

/* Called by a free between its checks and its claim of the object. */
void gomem_race_window(const void *p)
{
	void (*hook)(const void *p) = READ_ONCE(gomem_race_hook);

	if (hook)
		hook(p);
}

/**
 * gomem_set_race_hook() - widen the window between a free's checks and its claim
 * @hook: called by every gomem_free() (small, tiny, large, debug mode) after
 *	  it has looked the pointer up and checked it, before it claims the
 *	  object; NULL to stop
 *
 * Only in a gomem built with -DGOMEM_RACE_WINDOW (make torture): the torture
 * module's racing-bad-free mode delays some frees there, so that a span can
 * be released and its structure reused inside the window.
 *
 * Context: process context; the caller keeps @hook's code loaded until it
 * has set NULL again (and the frees under way have returned).
 */
void gomem_set_race_hook(void (*hook)(const void *p))
{
	WRITE_ONCE(gomem_race_hook, hook);
}
EXPORT_SYMBOL_NS_GPL(gomem_set_race_hook, GOMEM_INTERNAL);
#endif

/* === The interface === */

/*
 * The call site a report names: @caller, or, for 0, the return address of
 * the entry point these inline paths are part of. Taken only on the paths
 * that report or trace, so that the fast paths never load it.
 */
#define gomem_site(caller)	((caller) ?: _RET_IP_)

/*
 * The small-object free fast path's end: push @ptr on the cache of context @ctx.
 * Preemption is disabled; the caller enables it.
 */
static __always_inline void gomem_cache_push(struct mspan *s, const void *ptr, unsigned int ctx,
					     unsigned long id)
{
	struct mcache_class *cc;
	struct gomem_cobj *e;
	struct mcache *c;
	unsigned int sc;

	sc = s->spanclass;
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	cc = &c->cls[sc];
	if (unlikely(cc->count == cc->cap))
		gomem_mcache_flush(c, sc, cc->batch);
	gomem_client_free(c, id, sc);
	e = &cc->objs[cc->count++];
	e->obj = (void *)ptr;
	e->span = s;
}

/*
 * The end of a free whose cache class is full, or that wipes the object
 * (init_on_free): out of line, so that the fast path keeps nothing live
 * across a call. Preemption is disabled; enabled on return.
 */
static noinline void gomem_free_finish(struct mspan *s, const void *ptr, unsigned int ctx,
				       unsigned long id)
{
	if (want_init_on_free())
		memset((void *)ptr, 0, s->elemsize);
	gomem_cache_push(s, ptr, ctx, id);
	preempt_enable();
}

/*
 * A fast free's claim gave no client id: 0, no live object (reported), or
 * one flagged as sampled, whose record leaves the profile before the object
 * can be allocated again. Preemption is disabled; enabled on return.
 */
static noinline void gomem_free_flagged(struct mspan *s, const void *ptr, unsigned int idx,
					unsigned long id, unsigned long caller, unsigned int ctx)
{
	if (!id) {
		gomem_free_claim_failed(ptr, s, idx, caller);
		return;
	}
	kmemleak_free(ptr);
	gomem_profile_free(ptr);
	gomem_free_finish(s, ptr, ctx, id & ~GOMEM_LIVE_SAMPLED);
}

/*
 * gomem_alloc() in debug mode: the slot of the object, its red zone and
 * trailer from a size class (never a tiny block) or whole pages, then the
 * debug fill (debug.c).
 */
static noinline void *gomem_alloc_debug(size_t size, gfp_t gfp, unsigned long caller,
					void *zero, struct gomem_client *cl)
{
	size_t full, slot;
	struct mspan *s;
	void *obj;

	if (unlikely(in_nmi())) {
		gomem_report(GOMEM_ERR_NMI, NULL, NULL, caller, 0);
		return NULL;
	}
	if (unlikely(gfp & GOMEM_GFP_REFUSED))
		return NULL;
	might_alloc(gfp);
	if (!size)
		return zero;
	if (size > gomem_max_large_pages() << GOMEM_PAGE_SHIFT)
		return NULL;
	full = gomem_debug_slot_size(size);
	gomem_debug_enter();
	if (full <= GOMEM_MAX_SMALL_SIZE) {
		unsigned int sc = gomem_size_to_class(full);

		unsigned int id = gomem_client_register(cl, gfp);

		preempt_disable();
		obj = gomem_small_get(sc, gfp, gomem_ctx_of(preempt_count()), id);
		slot = gomem_class_to_size[sc];
	} else {
		obj = gomem_large_get(full, gfp, cl);
		slot = round_up(full, GOMEM_PAGE_SIZE);
	}
	if (obj) {
		s = gomem_span_of(obj);
		gomem_debug_prepare(obj, s, size, slot, gfp, caller);
		if (static_branch_unlikely(&gomem_profile_key))
			gomem_sample(obj, slot, false);
	}
	gomem_debug_exit();
	kmemleak_alloc(obj, size, 1, gfp);
	return obj;
}

/* gomem_alloc_in() past its test of the flags (@zeroable: __GFP_ZERO may be in @gfp): by size. */
static __always_inline void *gomem_alloc_sized(size_t size, gfp_t gfp, unsigned int ctx,
					       void *zero, struct gomem_client *cl, bool zeroable)
{
	might_alloc(gfp);
	/* 1 to 32 KiB in one test: size 0 wraps around. */
	if (likely(size - 1 < GOMEM_MAX_SMALL_SIZE)) {
		if (size < GOMEM_TINY_SIZE && gomem_tiny_enabled)
			return zeroable ? gomem_tiny_alloc_zeroable(size, gfp, ctx, cl) :
					  gomem_tiny_alloc(size, gfp, ctx, cl);
		return gomem_small_alloc(gomem_size_to_class(size), gfp, ctx, cl, zeroable);
	}
	if (unlikely(!size))
		return zero;
	return gomem_large_alloc(size, gfp, cl);
}

/*
 * gomem_alloc_in() for flags its one test sent here: a zone gomem refuses
 * (NULL), or __GFP_ZERO (the object is zeroed on the slow half of its path).
 */
static noinline void *gomem_alloc_flagged(size_t size, gfp_t gfp, unsigned int ctx, void *zero,
					  struct gomem_client *cl)
{
	if (gfp & GOMEM_GFP_REFUSED)
		return NULL;
	return gomem_alloc_sized(size, gfp, ctx, zero, cl, true);
}

/*
 * gomem_alloc() in context @ctx (not NMI), past the debug-mode test. Size 0
 * gives @zero: &gomem_zerobase, or ZERO_SIZE_PTR for the kmalloc()-compatible
 * entry points. One test of the flags sends refused zones and __GFP_ZERO
 * out of the fast paths.
 */
static __always_inline void *gomem_alloc_in(size_t size, gfp_t gfp, unsigned int ctx, void *zero,
					    struct gomem_client *cl)
{
	if (unlikely(gfp & (GOMEM_GFP_REFUSED | __GFP_ZERO)))
		return gomem_alloc_flagged(size, gfp, ctx, zero, cl);
	return gomem_alloc_sized(size, gfp, ctx, zero, cl, false);
}

/* gomem_alloc() outside task context: an interrupt's cache, or NMI's refusal. */
static noinline void *gomem_alloc_ctx(size_t size, gfp_t gfp, unsigned long caller,
				      unsigned int pc, void *zero, struct gomem_client *cl)
{
	if (pc & NMI_MASK) {
		gomem_report(GOMEM_ERR_NMI, NULL, NULL, caller, 0);
		return NULL;
	}
	return gomem_alloc_in(size, gfp, gomem_ctx_of(pc), zero, cl);
}

/*
 * Whether preempt count @pc is not plain task context: NMI, hard or soft
 * interrupt. One test of the count read once (on PREEMPT_RT, also the
 * task's softirq state).
 */
static __always_inline bool gomem_not_task(unsigned int pc)
{
	return unlikely(pc & GOMEM_CTX_BITS) ||
	       (IS_ENABLED(CONFIG_PREEMPT_RT) && in_serving_softirq());
}

/*
 * gomem_alloc() with the call site to record, size 0 giving @zero. Task
 * context, the common case, is a copy of its own with the task cache chosen
 * at compile time.
 */
static __always_inline void *gomem_alloc_plain(size_t size, gfp_t gfp, unsigned long caller,
					       void *zero, struct gomem_client *cl)
{
	unsigned int pc = preempt_count();

	if (gomem_not_task(pc))
		return gomem_alloc_ctx(size, gfp, gomem_site(caller), pc, zero, cl);
	return gomem_alloc_in(size, gfp, GOMEM_CTX_TASK, zero, cl);
}

/* Debug mode or a probe on the tracepoint gomem:gomem_alloc (gomem_hooked_key). */
static noinline void *gomem_alloc_hooked(size_t size, gfp_t gfp, unsigned long caller,
					 void *zero, int node, struct gomem_client *cl)
{
	void *p;

	if (static_branch_unlikely(&gomem_debug_key))
		p = gomem_alloc_debug(size, gfp, caller, zero, cl);
	else
		p = gomem_alloc_plain(size, gfp, caller, zero, cl);
	trace_gomem_alloc(caller, p, size, gfp, node);
	return p;
}

/* The same, the debug mode's and the tracepoint's one test first. */
static __always_inline void *gomem_alloc_at(size_t size, gfp_t gfp, unsigned long caller,
					    void *zero, int node, struct gomem_client *cl)
{
	if (static_branch_unlikely(&gomem_hooked_key))
		return gomem_alloc_hooked(size, gfp, gomem_site(caller), zero, node, cl);
	return gomem_alloc_plain(size, gfp, caller, zero, cl);
}

/* The same, out of line, for gomem_zalloc() and gomem_realloc(). */
static noinline void *gomem_alloc_from(size_t size, gfp_t gfp, unsigned long caller,
				       struct gomem_client *cl)
{
	return gomem_alloc_at(size, gfp, caller, &gomem_zerobase, NUMA_NO_NODE, cl);
}

/**
 * __gomem_kmalloc_track() - kmalloc_track_caller(): allocate for a given call site
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @caller: the call site to record (the caller's caller, _RET_IP_ of it)
 * @cl: the client module's record (gomem_kmalloc_track() passes its file's)
 *
 * gomem_kmalloc() with the call site given; the drop-in's entry points
 * (dropin.c) allocate through it too.
 *
 * Context: as gomem_alloc().
 * Return: as gomem_kmalloc().
 */
void *__gomem_kmalloc_track(size_t size, gfp_t gfp, unsigned long caller,
			    struct gomem_client *cl)
{
	return gomem_alloc_at(size, gfp, caller, ZERO_SIZE_PTR, NUMA_NO_NODE, cl);
}
EXPORT_SYMBOL_GPL(__gomem_kmalloc_track);

/**
 * __gomem_alloc() - allocate memory: gomem_alloc()
 * @size: bytes wanted
 * @gfp: allocation flags, as for kmalloc(): %GFP_KERNEL may sleep (only when
 *	 gomem must take memory from the page allocator); %GFP_ATOMIC and
 *	 %GFP_NOWAIT never sleep; %__GFP_ZERO zeroes the object; %__GFP_NOWARN,
 *	 %__GFP_NORETRY and %__GFP_RETRY_MAYFAIL are passed to the page allocator.
 *	 %__GFP_DMA, %__GFP_DMA32 and %__GFP_HIGHMEM are refused (NULL).
 * @cl: the client module's record: gomem_alloc(), the inline function of
 *	gomem.h, passes its file's, so that the object counts for the module
 *	(gomem_read_module_stats()); so do all of gomem.h's wrappers
 *
 * Objects under 16 bytes are packed by the tiny allocator (aligned to the
 * largest of 8, 4, 2 dividing their size); others are aligned to the largest
 * power of two dividing their size class, at least 8 bytes; objects over
 * 32 KiB are whole 8 KiB pages. The kernel's init_on_alloc is honoured.
 * In debug mode (module parameter debug) every object is a slot of a size
 * class or of whole pages, holding the object, its red zone and its trailer.
 *
 * Context: any context but NMI, as @gfp allows: task, softirq or hardirq,
 * with or without interrupts disabled for %GFP_ATOMIC and %GFP_NOWAIT.
 * On PREEMPT_RT the page allocator must not be called with preemption or
 * interrupts disabled (hard interrupt, raw spinlock, preempt_disable() or
 * local_irq_disable() sections): there gomem serves only from its caches
 * and the arenas it holds, and returns NULL when it would need new pages.
 * Return: the object; &gomem_zerobase (not to be dereferenced) for @size 0;
 * NULL when memory cannot be had, @size exceeds the largest contiguous
 * allocation of the page allocator, @gfp is refused, in NMI context, or on
 * PREEMPT_RT when new pages would be needed in a non-preemptible context.
 */
void *__gomem_alloc(size_t size, gfp_t gfp, struct gomem_client *cl)
{
	return gomem_alloc_at(size, gfp, 0, &gomem_zerobase, NUMA_NO_NODE, cl);
}
EXPORT_SYMBOL_GPL(__gomem_alloc);

/**
 * __gomem_kmalloc() - allocate memory, as kmalloc(): gomem_kmalloc()
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record, as for __gomem_alloc()
 *
 * gomem_alloc() with kmalloc()'s answer to size 0: ZERO_SIZE_PTR. The
 * drop-in header gomem_kmalloc.h maps kmalloc() here.
 *
 * Context: as gomem_alloc().
 * Return: as gomem_alloc(), but ZERO_SIZE_PTR for @size 0.
 */
void *__gomem_kmalloc(size_t size, gfp_t gfp, struct gomem_client *cl)
{
	return gomem_alloc_at(size, gfp, 0, ZERO_SIZE_PTR, NUMA_NO_NODE, cl);
}
EXPORT_SYMBOL_GPL(__gomem_kmalloc);

/**
 * __gomem_kmalloc_node() - allocate memory, as kmalloc_node(): gomem_kmalloc_node()
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @node: the NUMA node wanted, or %NUMA_NO_NODE
 * @cl: the client module's record, as for __gomem_alloc()
 *
 * As gomem_kmalloc(). gomem does not know nodes yet: @node is accepted,
 * shown by the tracepoint, and not honoured (the memory is the local
 * CPU's cache's or the page allocator's choice).
 *
 * Context: as gomem_alloc().
 * Return: as gomem_kmalloc().
 */
void *__gomem_kmalloc_node(size_t size, gfp_t gfp, int node, struct gomem_client *cl)
{
	return gomem_alloc_at(size, gfp, 0, ZERO_SIZE_PTR, node, cl);
}
EXPORT_SYMBOL_GPL(__gomem_kmalloc_node);

/**
 * __gomem_zalloc() - allocate zeroed memory: gomem_zalloc()
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record, as for __gomem_alloc()
 *
 * Context: as gomem_alloc().
 * Return: as gomem_alloc(), the object zeroed.
 */
void *__gomem_zalloc(size_t size, gfp_t gfp, struct gomem_client *cl)
{
	return gomem_alloc_from(size, gfp | __GFP_ZERO, _RET_IP_, cl);
}
EXPORT_SYMBOL_GPL(__gomem_zalloc);

/* Frees gomem_kfree() handed to kfree() (statistics: frees_forwarded). */
atomic_long_t gomem_frees_forwarded = ATOMIC_LONG_INIT(0);

/*
 * gomem_kfree() of @p, which is outside gomem's spans: kfree() when its page
 * is one kfree() itself takes - a slab page, or a compound page as
 * kmalloc_large() allocates - else a report (a stack, vmalloc or page
 * allocator address would be freed wrongly by kfree()).
 */
static void gomem_forward_free(const void *p, unsigned long caller)
{
	struct folio *folio;

	if (virt_addr_valid(p)) {
		folio = virt_to_folio(p);
		if (folio_test_slab(folio) || folio_test_large(folio)) {
			atomic_long_inc(&gomem_frees_forwarded);
			kfree(p);
			return;
		}
	}
	gomem_report(GOMEM_ERR_INVALID_FREE, p, NULL, caller, 0);
}

/*
 * Free of anything but a small object of a size class: NULL and the zero-size
 * address (ignored), NMI (refused), tiny and large objects, bad pointers.
 * Entered with preemption disabled (an RCU read-side section since the
 * page-map lookup), returns with it enabled.
 */
static noinline void gomem_free_slow(const void *p, struct mspan *s, unsigned long caller,
				     bool forward)
{
	u32 state;

	if (s == &gomem_no_span)	/* what gomem_map_lookup() finds for no span */
		s = NULL;
	state = s ? READ_ONCE(s->state) : MSPAN_DEAD;

	if (ZERO_OR_NULL_PTR(p) || p == &gomem_zerobase) {
		preempt_enable();
	} else if (in_nmi()) {
		preempt_enable();
		gomem_report(GOMEM_ERR_NMI, p, NULL, caller, 0);
	} else if (state == MSPAN_TINY) {
		gomem_tiny_free(s, p, caller, gomem_ctx_of(preempt_count()));
	} else if (state == MSPAN_LARGE) {
		gomem_large_free(s, p, caller);
	} else if (forward && !s) {
		preempt_enable();
		gomem_forward_free(p, caller);
	} else {
		gomem_free_report(GOMEM_ERR_INVALID_FREE, p, s, caller);
	}
}

/*
 * gomem_free() in debug mode: the checks of the fast path, then the red
 * zone's, before the live bit goes; the owner and poison after. The whole
 * is an RCU read-side section (rcu_read_lock(), preemptible where RCU is:
 * the checks may report and repair).
 */
static noinline void gomem_free_debug(const void *ptr, unsigned long caller, bool forward)
{
	unsigned int idx, id;
	struct mspan *s;
	size_t slot;
	u32 state;

	if (unlikely(ZERO_OR_NULL_PTR(ptr) || ptr == &gomem_zerobase))
		return;
	if (unlikely(in_nmi())) {
		gomem_report(GOMEM_ERR_NMI, ptr, NULL, caller, 0);
		return;
	}
	gomem_debug_enter();
	rcu_read_lock();
	s = gomem_span_of(ptr);
	state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	if (state != MSPAN_SMALL) {
		/* Large objects: gomem_large_free() checks them once claimed. */
		preempt_disable();
		gomem_free_slow(ptr, s, caller, forward);
		goto out;
	}
	if (!gomem_obj_start(s, (unsigned long)ptr, &idx)) {
		gomem_report(GOMEM_ERR_INVALID_FREE, ptr, s, caller, 0);
		goto out;
	}
	if (!gomem_live_test(s, idx)) {
		gomem_report(GOMEM_ERR_DOUBLE_FREE, ptr, s, caller, 0);
		goto out;
	}
	slot = s->elemsize;
	gomem_debug_check_live((void *)ptr, s, slot, caller);
	gomem_race_window(ptr);
	id = gomem_live_claim(s, idx);
	if (!id) {	/* lost a race with another free */
		gomem_report(GOMEM_ERR_DOUBLE_FREE, ptr, s, caller, 0);
		goto out;
	}
	kmemleak_free(ptr);
	if (id & GOMEM_LIVE_SAMPLED)
		gomem_profile_free(ptr);
	gomem_debug_release((void *)ptr, slot, caller);
	preempt_disable();
	gomem_cache_push(s, ptr, gomem_ctx_of(preempt_count()), id & ~GOMEM_LIVE_SAMPLED);
	preempt_enable();
out:
	rcu_read_unlock();
	gomem_debug_exit();
}

/*
 * gomem_free() in context @ctx, past the debug-mode test. From the page-map
 * lookup to the claim (the live byte cleared), preemption is disabled: an
 * RCU read-side section, so the span structure found cannot go back to its
 * pool and be reused meanwhile (span_free() in mheap.c waits for a grace
 * period). The same preempt_disable() covers the push on the cache. NULL,
 * the zero-size address and every other address outside gomem's spans find
 * no span in the page map and leave through gomem_free_slow().
 */
static __always_inline void gomem_free_in(const void *ptr, unsigned long caller,
					  unsigned int ctx, bool forward)
{
	unsigned int idx, n, sc, state;
	struct mcache_class *cc;
	struct gomem_cobj *e;
	struct mcache *c;
	unsigned long id;
	struct mspan *s;

	preempt_disable();
	s = gomem_map_lookup(ptr);
	state = READ_ONCE(s->state);
	if (unlikely(state != MSPAN_SMALL)) {
		if (state == MSPAN_TINY)
			gomem_tiny_free(s, ptr, gomem_site(caller), ctx);
		else
			gomem_free_slow(ptr, s, gomem_site(caller), forward);
		return;
	}
	if (unlikely(!gomem_obj_start_fast(s, (unsigned long)ptr, &idx))) {
		gomem_free_report(GOMEM_ERR_INVALID_FREE, ptr, s, gomem_site(caller));
		return;
	}
	gomem_race_window(ptr);
	id = gomem_live_claim(s, idx);
	/*
	 * One test for both, of the byte's sign: 0 (no live object) and a
	 * sampled object's flag, its top bit (ids are below it).
	 */
	BUILD_BUG_ON(GOMEM_LIVE_SAMPLED != 0x80 || GOMEM_MAX_CLIENTS > GOMEM_LIVE_SAMPLED);
	if (unlikely((s8)id <= 0)) {
		gomem_free_flagged(s, ptr, idx, id, gomem_site(caller), ctx);
		return;
	}
	kmemleak_free(ptr);
	if (unlikely(want_init_on_free())) {
		gomem_free_finish(s, ptr, ctx, id);
		return;
	}
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	sc = s->spanclass;
	cc = &c->cls[sc];
	n = cc->count;
	if (unlikely(n == cc->cap)) {
		gomem_free_finish(s, ptr, ctx, id);
		return;
	}
	cc->count = n + 1;
	e = cc->objs + n;
	e->obj = (void *)ptr;
	e->span = s;
	gomem_client_free(c, id, sc);
	preempt_enable();
}

/* gomem_free() outside task context: an interrupt's cache, or NMI's refusal. */
static noinline void gomem_free_ctx(const void *ptr, unsigned long caller, unsigned int pc,
				    bool forward)
{
	if (pc & NMI_MASK) {
		if (!ZERO_OR_NULL_PTR(ptr) && ptr != &gomem_zerobase)
			gomem_report(GOMEM_ERR_NMI, ptr, NULL, caller, 0);
		return;
	}
	gomem_free_in(ptr, caller, gomem_ctx_of(pc), forward);
}

/*
 * gomem_free() with the call site to report, past the debug-mode and
 * tracepoint test; task context has its own copy. @forward: a pointer
 * outside gomem's spans goes to the kernel's allocator (gomem_kfree()).
 */
static __always_inline void gomem_free_plain(const void *ptr, unsigned long caller, bool forward)
{
	unsigned int pc = preempt_count();

	if (gomem_not_task(pc)) {
		gomem_free_ctx(ptr, gomem_site(caller), pc, forward);
		return;
	}
	gomem_free_in(ptr, caller, GOMEM_CTX_TASK, forward);
}

/* Debug mode or a probe on the tracepoint gomem:gomem_free (gomem_hooked_key). */
static noinline void gomem_free_hooked(const void *ptr, unsigned long caller, bool forward)
{
	trace_gomem_free(caller, ptr);
	if (static_branch_unlikely(&gomem_debug_key))
		gomem_free_debug(ptr, caller, forward);
	else
		gomem_free_plain(ptr, caller, forward);
}

static __always_inline void gomem_free_at(const void *ptr, unsigned long caller, bool forward)
{
	if (static_branch_unlikely(&gomem_hooked_key)) {
		gomem_free_hooked(ptr, gomem_site(caller), forward);
		return;
	}
	gomem_free_plain(ptr, caller, forward);
}

/* The same, out of line, for gomem_realloc(). */
static noinline void gomem_free_from(const void *ptr, unsigned long caller)
{
	gomem_free_at(ptr, caller, false);
}

/* gomem_kfree() with the call site given, for the drop-in (dropin.c). */
void gomem_kfree_caller(const void *ptr, unsigned long caller)
{
	gomem_free_at(ptr, caller, true);
}

/**
 * gomem_free() - free memory from gomem_alloc()
 * @ptr: an object from gomem_alloc(), gomem_zalloc() or gomem_realloc()
 *
 * The object goes to the freeing CPU's cache, whichever CPU allocated it.
 * NULL and the zero-size address are ignored. A pointer gomem did not return
 * (another allocator's, an interior pointer, a freed object) is reported
 * with a one-time warning and ignored; the heap is left as it was. The
 * kernel's init_on_free is honoured. In debug mode the red zone is checked
 * (reported and restored when overwritten) and the object poisoned.
 *
 * Context: any context but NMI; never sleeps.
 */
void gomem_free(const void *ptr)
{
	gomem_free_at(ptr, 0, false);
}
EXPORT_SYMBOL_GPL(gomem_free);

/**
 * gomem_kfree() - free memory, as kfree(), whichever allocator owns it
 * @ptr: an object from gomem, or from the kernel's kmalloc(), or NULL
 *
 * gomem_free() for a pointer into gomem's spans (the page map says which,
 * exactly: a page is in gomem's map only while gomem holds it). A pointer
 * outside them goes to kfree() when its page is one kfree() serves - a
 * slab page or a compound page (kmalloc_large()) - and is reported and
 * ignored otherwise; gomem_stats' frees_forwarded counts the first. The
 * drop-in header gomem_kmalloc.h maps kfree() here, so that memory the
 * kernel allocated and handed to a module reaches its owner.
 *
 * Context: any context but NMI; never sleeps.
 */
void gomem_kfree(const void *ptr)
{
	gomem_free_at(ptr, 0, true);
}
EXPORT_SYMBOL_GPL(gomem_kfree);

/* === Bulk allocation and free === */

/*
 * Pop @n objects of class @sc into @ptrs from the task or interrupt cache of
 * context @ctx, refilling it as often as needed. Entered with preemption
 * disabled; returns with it enabled, and the objects taken so far (all of
 * them, or fewer when a refill failed).
 */
static size_t gomem_bulk_pop(unsigned int sc, gfp_t gfp, unsigned int ctx, size_t n,
			     void **ptrs, unsigned long id)
{
	struct mcache *c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	struct mcache_class *cc = &c->cls[sc];
	size_t i = 0;

	for (;;) {
		unsigned int k = min_t(size_t, cc->count, n - i), j;
		struct gomem_cobj *e = cc->objs + cc->count;

		for (j = 0; j < k; j++) {
			struct mspan *s = (--e)->span;

			ptrs[i + j] = e->obj;
			gomem_live_set(s, gomem_obj_index(s, (unsigned long)e->obj), id);
		}
		cc->count -= k;
		c->client[id]->mallocs[sc] += k;
		i += k;
		if (i == n)
			break;
		c = gomem_refill(sc, gfp);
		if (!c)
			return i;
		cc = &c->cls[sc];
	}
	preempt_enable();
	return n;
}

/**
 * __gomem_alloc_bulk() - allocate @n objects of one size at once: gomem_alloc_bulk()
 * @size: bytes of each object
 * @gfp: allocation flags, as for gomem_alloc()
 * @n: objects wanted
 * @ptrs: room for @n pointers, filled with the objects
 * @cl: the client module's record, as for __gomem_alloc()
 *
 * As @n calls of gomem_alloc(), with the per-CPU cache entered once and
 * refilled in batches, in the spirit of kmem_cache_alloc_bulk(): all or
 * nothing. Sizes from 1 byte to 32 KiB come from their size class (objects
 * under 16 bytes too: the tiny allocator packs only single allocations);
 * size 0 gives the zero-size address, and larger sizes large objects, one
 * at a time. Each object is freed with gomem_free() or gomem_free_bulk().
 *
 * Context: as gomem_alloc().
 * Return: @n, with @ptrs filled; 0 when not every object could be had,
 * with nothing allocated and @ptrs' contents undefined.
 */
int __gomem_alloc_bulk(size_t size, gfp_t gfp, size_t n, void **ptrs, struct gomem_client *cl)
{
	unsigned long caller = _RET_IP_;
	unsigned int pc = preempt_count(), sc, id;
	size_t i;

	if (unlikely(!n || n > INT_MAX))
		return 0;
	if (static_branch_unlikely(&gomem_debug_key) || (pc & NMI_MASK) ||
	    (gfp & GOMEM_GFP_REFUSED) || !size || size > GOMEM_MAX_SMALL_SIZE) {
		for (i = 0; i < n; i++) {
			ptrs[i] = gomem_alloc_from(size, gfp, caller, cl);
			if (!ptrs[i]) {
				gomem_free_bulk(i, ptrs);
				return 0;
			}
		}
		return n;
	}
	might_alloc(gfp);
	sc = gomem_size_to_class(size);
	id = gomem_client_register(cl, gfp);
	preempt_disable();
	i = gomem_bulk_pop(sc, gfp, gomem_ctx_of(pc), n, ptrs, id);
	if (unlikely(i < n)) {
		gomem_free_bulk(i, ptrs);
		return 0;
	}
	/* Nothing more to do per object, in the common case: one test. */
	if (unlikely(want_init_on_alloc(gfp) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) ||
		     static_branch_unlikely(&gomem_profile_key)))
		for (i = 0; i < n; i++) {
			if (want_init_on_alloc(gfp))
				memset(ptrs[i], 0, gomem_class_to_size[sc]);
			kmemleak_alloc(ptrs[i], gomem_class_to_size[sc], 1, gfp);
			if (static_branch_unlikely(&gomem_profile_key))
				gomem_sample(ptrs[i], gomem_class_to_size[sc], false);
		}
	if (trace_gomem_alloc_enabled())
		for (i = 0; i < n; i++)
			trace_gomem_alloc(caller, ptrs[i], size, gfp, NUMA_NO_NODE);
	return n;
}
EXPORT_SYMBOL_GPL(__gomem_alloc_bulk);

/**
 * gomem_free_bulk() - free @n objects at once
 * @n: how many
 * @ptrs: the objects, each as gomem_free() takes it
 *
 * As @n calls of gomem_free(), of any sizes and in any order, with the
 * per-CPU cache entered once for the small objects of size classes; every
 * bad pointer among them is reported and skipped as gomem_free() does.
 *
 * Context: as gomem_free().
 */
void gomem_free_bulk(size_t n, void **ptrs)
{
	unsigned long caller = _RET_IP_, base = 0, len = 0;
	unsigned int pc = preempt_count(), ctx, sc = 0;
	struct mcache_class *cc = NULL;
	struct mspan *s = NULL;
	struct mcache *c;
	u32 divmagic = 0;
	void **pp;
	size_t i;

	if (static_branch_unlikely(&gomem_debug_key) || (pc & NMI_MASK)) {
		for (i = 0; i < n; i++)
			gomem_free_from(ptrs[i], caller);
		return;
	}
	if (trace_gomem_free_enabled())
		for (i = 0; i < n; i++)
			trace_gomem_free(caller, ptrs[i]);
	ctx = gomem_ctx_of(pc);
	preempt_disable();
	c = this_cpu_read(gomem_pcpu.ctx[ctx]);
	for (pp = ptrs; pp < ptrs + n; pp++) {
		const void *ptr = *pp;
		unsigned long off = (unsigned long)ptr - base;
		unsigned int idx, id;
		struct gomem_cobj *e;

		/*
		 * The span of the last object freed, while it is one: an
		 * object of it sits in this cache, so it stays (until a flush,
		 * after which the page map is asked again).
		 */
		if (unlikely(off >= len)) {
			s = gomem_map_lookup(ptr);
			if (unlikely(READ_ONCE(s->state) != MSPAN_SMALL)) {
				gomem_free_slow(ptr, s, caller, false);
				goto again;
			}
			base = s->base;
			off = (unsigned long)ptr - base;
			len = (unsigned long)s->npages << GOMEM_PAGE_SHIFT;
			divmagic = s->divmagic;
			sc = s->spanclass;
			cc = &c->cls[sc];
		}
		if (unlikely(!gomem_obj_start_off(off, divmagic, &idx))) {
			gomem_free_report(GOMEM_ERR_INVALID_FREE, ptr, s, caller);
			goto again;
		}
		gomem_race_window(ptr);
		id = gomem_live_claim(s, idx);
		if (unlikely((s8)id <= 0)) {	/* as in gomem_free_in() */
			if (!id) {
				gomem_free_claim_failed(ptr, s, idx, caller);
				goto again;
			}
			gomem_profile_free(ptr);
			id &= ~GOMEM_LIVE_SAMPLED;
		}
		kmemleak_free(ptr);
		if (want_init_on_free())
			memset((void *)ptr, 0, s->elemsize);
		if (unlikely(cc->count == cc->cap)) {
			gomem_mcache_flush(c, sc, cc->batch);
			len = 0;
		}
		e = &cc->objs[cc->count++];
		e->obj = (void *)ptr;
		e->span = s;
		gomem_client_free(c, id, sc);
		continue;
again:
		/* Reported or handed on, with preemption enabled: maybe another CPU now. */
		preempt_disable();
		c = this_cpu_read(gomem_pcpu.ctx[ctx]);
		len = 0;
	}
	preempt_enable();
}
EXPORT_SYMBOL_GPL(gomem_free_bulk);

/*
 * Usable size of a live object; 0 (reported) if @ptr is not one. An RCU
 * read-side section keeps the span structure found what it was.
 */
static size_t gomem_object_size(const void *ptr, unsigned long caller)
{
	bool debug = static_branch_unlikely(&gomem_debug_key);
	enum gomem_error err = GOMEM_ERR_INVALID_FREE;
	size_t size = 0;
	struct mspan *s;
	unsigned int idx;
	u32 state;

	rcu_read_lock();
	s = gomem_span_of(ptr);
	state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	if (state == MSPAN_TINY) {
		size = tiny_check(s, ptr, &err);
	} else if (state == MSPAN_SMALL) {
		if (gomem_obj_start(s, (unsigned long)ptr, &idx)) {
			if (gomem_live_test(s, idx))
				size = debug ? gomem_debug_size(ptr, s->elemsize) : s->elemsize;
			else
				err = GOMEM_ERR_DOUBLE_FREE;
		}
	} else if (state == MSPAN_LARGE && (unsigned long)ptr == s->base) {
		size = (size_t)s->npages << GOMEM_PAGE_SHIFT;
		if (debug)
			size = gomem_debug_size(ptr, size);
	}
	if (!size)
		gomem_report(err, ptr, s, caller, 0);
	rcu_read_unlock();
	return size;
}

/*
 * gomem_usable_size() with the call site to report: for it, for dropin.c,
 * and for the tracepoint gomem:gomem_alloc's bytes_alloc (gomem_trace.h).
 */
size_t gomem_usable_size_at(const void *ptr, unsigned long caller)
{
	if (ZERO_OR_NULL_PTR(ptr) || ptr == &gomem_zerobase)
		return 0;
	return gomem_object_size(ptr, caller);
}

/**
 * gomem_usable_size() - bytes usable in an object
 * @ptr: an object from gomem
 *
 * Context: any context.
 * Return: the object's size class size; for a tiny object its size (rounded
 * up to its alignment, which divides it); for a large object its whole
 * pages; in debug mode the size requested; 0 for NULL and the zero-size
 * address; 0, with a one-time warning, for a pointer that is not a live
 * gomem object.
 */
size_t gomem_usable_size(const void *ptr)
{
	return gomem_usable_size_at(ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_usable_size);

/* Whether @p is the zero-size address, for dropin.c. */
bool gomem_is_zerobase(const void *p)
{
	return p == &gomem_zerobase;
}

/*
 * The start of the live small or large object holding @p (an rcu_head in
 * it, for dropin.c: never in a tiny object, which is under 16 bytes), or
 * @p itself when it is in none (gomem_free() then reports it).
 */
void *gomem_object_start(const void *p)
{
	unsigned long addr = (unsigned long)p, start = addr;
	struct mspan *s;
	u32 state;

	rcu_read_lock();
	s = gomem_span_of(p);
	state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	if (state == MSPAN_SMALL)
		start = s->base + gomem_obj_index(s, addr) * (unsigned long)s->elemsize;
	else if (state == MSPAN_LARGE)
		start = s->base;
	rcu_read_unlock();
	return (void *)start;
}

#ifdef CONFIG_TRACEPOINTS
/*
 * A probe comes on one of gomem's tracepoints, or goes: the entry points
 * follow. Without CONFIG_TRACEPOINTS (a KCSAN test kernel, say) the events
 * expand to nothing and nobody calls these.
 */
static int gomem_trace_reg(void)
{
	static_branch_inc(&gomem_hooked_key);
	return 0;
}

static void gomem_trace_unreg(void)
{
	static_branch_dec(&gomem_hooked_key);
}
#endif

/**
 * gomem_malloc_init() - set the entry points' hook for debug mode
 *
 * Context: process context, module init, after gomem_debug_init().
 */
void gomem_malloc_init(void)
{
	if (static_branch_unlikely(&gomem_debug_key))
		static_branch_inc(&gomem_hooked_key);
}

/**
 * gomem_malloc_exit() - undo gomem_malloc_init()
 *
 * Context: process context, module exit.
 */
void gomem_malloc_exit(void)
{
	if (static_branch_unlikely(&gomem_debug_key))
		static_branch_dec(&gomem_hooked_key);
}

/**
 * __gomem_realloc() - resize an object, as krealloc(): gomem_realloc()
 * @ptr: an object from gomem, NULL, or the zero-size address
 * @new_size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record, as for __gomem_alloc(): a moved object
 *	counts for it
 *
 * NULL (or the zero-size address) allocates; @new_size 0 frees @ptr. An
 * object that already has @new_size usable bytes is returned as it is;
 * otherwise a new object gets the old contents and the old one is freed.
 * In debug mode an object moves whenever its size changes, so that its red
 * zone follows the size requested.
 *
 * Context: as gomem_alloc().
 * Return: the object; the zero-size address for @new_size 0; NULL on failure,
 * with @ptr untouched and still allocated, or for a @ptr that is not a live
 * gomem object (reported with a one-time warning).
 */
void *__gomem_realloc(const void *ptr, size_t new_size, gfp_t gfp, struct gomem_client *cl)
{
	unsigned long caller = _RET_IP_;
	size_t old_size;
	void *p;

	if (ZERO_OR_NULL_PTR(ptr) || ptr == &gomem_zerobase)
		return gomem_alloc_from(new_size, gfp, caller, cl);
	old_size = gomem_object_size(ptr, caller);
	if (!old_size)
		return NULL;
	if (!new_size) {
		gomem_free_from(ptr, caller);
		return &gomem_zerobase;
	}
	if (static_branch_unlikely(&gomem_debug_key) ? new_size == old_size :
	    new_size <= old_size)
		return (void *)ptr;
	p = gomem_alloc_from(new_size, gfp, caller, cl);
	if (!p)
		return NULL;
	memcpy(p, ptr, min(old_size, new_size));
	gomem_free_from(ptr, caller);
	return p;
}
EXPORT_SYMBOL_GPL(__gomem_realloc);

