// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's mcache: per-CPU caches of free objects, one per context.
 *
 * Go gives each P an mcache holding one span per span class. gomem keeps
 * Go's per-CPU cache but fills it with objects, as tcmalloc's per-CPU caches
 * and SLAB's array caches do: with explicit frees from any CPU, a cache that
 * owned spans would have other CPUs writing into them. Here a free always
 * goes to the freeing CPU's own cache, and a span is only written under its
 * mcentral lock.
 *
 * Each CPU has three caches: task, softirq and hardirq context. An interrupt
 * therefore never sees a cache halfway through an update by the code it
 * interrupted, and the fast paths need only preempt_disable() (no IRQ
 * disabling, no atomic read-modify-write on the cache). The caches are
 * allocated for every possible CPU at load; a CPU that goes offline has its
 * caches flushed back to the mcentrals by the CPU-hotplug "dead" callback,
 * which runs once nothing can use them.
 *
 * Layer 7 (internal.h): calls debug.c, mcentral.c and mheap.c.
 */

#include <linux/bottom_half.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/irqflags.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/isolation.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "internal.h"

DEFINE_PER_CPU(struct gomem_pcpu, gomem_pcpu);

/* Bytes of objects a task-context cache holds at most per class, roughly. */
#define GOMEM_MCACHE_CLASS_BYTES	(32 * 1024)
#define GOMEM_MCACHE_MAX_OBJS		64

static unsigned int mcache_caps[GOMEM_NR_CTX][GOMEM_NUM_SPANCLASSES];
static size_t mcache_size[GOMEM_NR_CTX];
static unsigned long mcache_total;		/* bytes of all caches */
static int gomem_cpuhp_state = -1;

static unsigned int class_cap(unsigned int sc, enum gomem_ctx ctx)
{
	unsigned int size = gomem_spanclass_size(sc);
	unsigned int cap = clamp_t(unsigned int, GOMEM_MCACHE_CLASS_BYTES / size, 2,
				   GOMEM_MCACHE_MAX_OBJS);

	/* Interrupt contexts allocate less: a quarter of the room. */
	if (ctx != GOMEM_CTX_TASK)
		cap = max(cap / 4, 2U);
	return cap;
}

static void mcache_compute_caps(void)
{
	unsigned int ctx, sc;

	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
		size_t n = 0;

		for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
			mcache_caps[ctx][sc] = class_cap(sc, ctx);
			n += mcache_caps[ctx][sc];
		}
		mcache_size[ctx] = sizeof(struct mcache) + n * sizeof(struct gomem_cobj);
	}
}

static struct mcache *mcache_create(enum gomem_ctx ctx)
{
	struct mcache *c;
	unsigned int sc, off = 0;

	c = alloc_pages_exact(mcache_size[ctx], GFP_KERNEL | __GFP_ZERO);
	if (!c)
		return NULL;
	for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
		c->cls[sc].cap = mcache_caps[ctx][sc];
		c->cls[sc].batch = max(c->cls[sc].cap / 2, 1);
		c->cls[sc].objs = c->pool + off;
		off += c->cls[sc].cap;
	}
	mcache_total += mcache_size[ctx];
	return c;
}

/*
 * Spans a class has before its new spans get Go's size, class_to_npages:
 * until then, the fewest pages that hold one object and waste at most a
 * quarter at the tail. A class with few objects - a module's handful of
 * 27 KiB buffers - then holds 32 KiB a buffer, not an 80 KiB span of
 * three that one buffer pins; a class with many keeps Go's spans, whose
 * tail waste is under 12.5 %.
 */
#define GOMEM_SMALL_SPANS	4

/* The pages of a new span of class @sc. */
static unsigned int span_npages(unsigned int sc)
{
	unsigned int szc = gomem_spanclass_sizeclass(sc);
	unsigned int npages = gomem_class_to_npages[szc];
	unsigned int size = gomem_class_to_size[szc], n;

	/* Racy: the count may change meanwhile; either answer makes a good span. */
	if (npages == 1 || data_race(gomem_central[sc].nspans) >= GOMEM_SMALL_SPANS)
		return npages;
	/* The fewest pages whose tail wastes at most a quarter. */
	for (n = DIV_ROUND_UP(size, GOMEM_PAGE_SIZE); n < npages; n++)
		if (((n * GOMEM_PAGE_SIZE) % size) * 4 <= n * GOMEM_PAGE_SIZE)
			break;
	return n;
}

/**
 * gomem_refill() - refill one class of the current cache: the fast paths' exit
 * @sc: span class
 * @gfp: the allocation's flags
 *
 * Takes a batch from the class's mcentral; when it has no partial span, a
 * fresh span from the mheap (which may take an arena from the page
 * allocator; the class's first GOMEM_SMALL_SPANS spans are smaller than
 * Go's, span_npages()), and the batch from that span as it is listed - into
 * the cache
 * of whatever CPU and context the task runs on by then. Steps 4-6 of the
 * allocation walk (malloc.c).
 *
 * Context: entered with preemption disabled; may sleep if @gfp allows, with
 * preemption enabled.
 * Return: the current cache, holding at least one object of @sc, with
 * preemption still disabled; or NULL, with preemption enabled.
 */
noinline struct mcache *gomem_refill(unsigned int sc, gfp_t gfp)
{
	struct mcache_class *cc;
	unsigned int room, npages;
	struct mcache *c;
	struct mspan *s;

	c = gomem_mcache_current();
	cc = &c->cls[sc];
	if (cc->count || gomem_central_fill(sc, cc, cc->batch))
		return c;
	npages = span_npages(sc);
	preempt_enable();
	s = gomem_heap_alloc(npages, sc, gfp);
	if (!s)
		return NULL;
	if (static_branch_unlikely(&gomem_debug_key))
		gomem_debug_new_span(s);
	preempt_disable();
	c = gomem_mcache_current();
	cc = &c->cls[sc];
	/* Another CPU's cache, maybe, after a migration: fill only its room. */
	room = min(cc->batch, cc->cap - cc->count);
	if (room)
		gomem_central_add_span(sc, s, cc, room);
	else
		gomem_heap_free(s);	/* that cache is full of the class: unused */
	return c;
}

/**
 * gomem_mcache_flush() - hand the @n newest objects of a class back to its mcentral
 * @c: the cache
 * @sc: span class
 * @n: objects to flush, at most the class's count
 *
 * The top of the class's stack goes, as a tcmalloc per-CPU cache's overflow
 * does: the objects kept stay where they are (no copy).
 *
 * Context: the cache's owner with preemption disabled, or nobody else can use @c.
 */
void gomem_mcache_flush(struct mcache *c, unsigned int sc, unsigned int n)
{
	struct mcache_class *cc = &c->cls[sc];

	if (!n)
		return;
	cc->count -= n;
	gomem_central_return(sc, cc->objs + cc->count, n);
}

/**
 * gomem_tiny_release() - a tiny block with no live object goes back to the cache
 * @c: the cache of the current context
 * @s: the block's span
 * @block: the block's address
 *
 * The caller made the block empty and not held: it is the block's only
 * user. With init_on_free the block is zeroed here, not at each tiny free.
 *
 * Context: the cache's owner with preemption disabled.
 */
void gomem_tiny_release(struct mcache *c, struct mspan *s, unsigned long block)
{
	struct mcache_class *cc = &c->cls[GOMEM_TINY_SPANCLASS];

	/* The block's objects are wiped now, by the one who empties it. */
	if (want_init_on_free())
		memset((void *)block, 0, GOMEM_TINY_SIZE);

	if (cc->count == cc->cap)
		gomem_mcache_flush(c, GOMEM_TINY_SPANCLASS, cc->batch);
	cc->objs[cc->count].obj = (void *)block;
	cc->objs[cc->count].span = s;
	cc->count++;
}

/**
 * gomem_tiny_retire() - give up the cache's current tiny block
 * @c: the cache
 *
 * The block is released if nothing in it is live; otherwise its last free does it.
 *
 * Context: the cache's owner with preemption disabled, or nobody else can use @c.
 */
void gomem_tiny_retire(struct mcache *c)
{
	int old;

	if (!c->tiny)
		return;
	old = atomic_fetch_andnot(GOMEM_TINY_HELD, c->tiny_mask);
	if (!(old & GOMEM_TINY_LIVE_MASK))
		gomem_tiny_release(c, c->tiny_span, c->tiny);
	c->tiny = 0;
	c->tiny_mask = NULL;
	c->tiny_span = NULL;
	c->tiny_client = 0;	/* the fast path's test for a block: no client has id 0 */
}

/* Step @sc of a drain of @c: 0 retires its tiny block, 1 on flush class @sc. */
static void mcache_drain_step(struct mcache *c, unsigned int sc)
{
	if (!sc)
		gomem_tiny_retire(c);
	else
		gomem_mcache_flush(c, sc, c->cls[sc].count);
}

/**
 * gomem_mcache_drain() - return everything a cache holds to the mcentrals
 * @c: the cache
 *
 * Context: the cache's owner with preemption disabled, or nobody else can use @c.
 */
void gomem_mcache_drain(struct mcache *c)
{
	unsigned int sc;

	for (sc = 0; sc < GOMEM_NUM_SPANCLASSES; sc++)
		mcache_drain_step(c, sc);
}

/**
 * gomem_mcache_drain_cpu() - drain every cache of a CPU that cannot run gomem code
 * @cpu: an offline CPU, or any CPU at module exit
 *
 * Context: process context; @cpu's caches must be unused.
 */
void gomem_mcache_drain_cpu(unsigned int cpu)
{
	struct gomem_pcpu *pc = per_cpu_ptr(&gomem_pcpu, cpu);
	unsigned int ctx;

	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++)
		if (pc->ctx[ctx])
			gomem_mcache_drain(pc->ctx[ctx]);
}

/*
 * Each cache of this CPU is flushed one step at a time - its tiny block,
 * then one class - under only what excludes that cache's users: the task
 * cache's with preemption off, the softirq cache's with softirqs (and
 * preemption) off, the hardirq cache's with interrupts off. A step moves
 * at most one class's objects (GOMEM_MCACHE_MAX_OBJS) to the mcentral and
 * frees the spans they empty.
 */
static void drain_step(enum gomem_ctx ctx, unsigned int sc)
{
	unsigned long flags = 0;

	if (ctx == GOMEM_CTX_HARDIRQ)
		local_irq_save(flags);
	else if (ctx == GOMEM_CTX_SOFTIRQ)
		local_bh_disable();
	preempt_disable();
	mcache_drain_step(this_cpu_read(gomem_pcpu.ctx[ctx]), sc);
	preempt_enable();
	if (ctx == GOMEM_CTX_HARDIRQ)
		local_irq_restore(flags);
	else if (ctx == GOMEM_CTX_SOFTIRQ)
		local_bh_enable();
}

/* True when no cache of @cpu holds an object or a tiny block: a racy read, a hint. */
static bool mcache_cpu_empty(unsigned int cpu)
{
	struct gomem_pcpu *pc = per_cpu_ptr(&gomem_pcpu, cpu);
	unsigned int ctx, sc;

	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
		struct mcache *c = pc->ctx[ctx];

		/* Racy: the owner may change it meanwhile; a hint either way. */
		if (data_race(c->tiny))
			return false;
		for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
			/* The same racy read, of each class's count. */
			if (data_race(c->cls[sc].count))
				return false;
		}
	}
	return true;
}

/*
 * The gomem calls @cpu's caches served since load: a racy sum of their
 * counters, which only tells whether the CPU used gomem between two reads.
 */
static u64 mcache_cpu_ops(unsigned int cpu)
{
	struct gomem_pcpu *pc = per_cpu_ptr(&gomem_pcpu, cpu);
	struct gomem_client_count *k;
	unsigned int ctx, sc;
	u64 ops = 0;

	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
		struct mcache *c = pc->ctx[ctx];

		/* Racy: the owner counts on meanwhile; any change says "busy". */
		for_each_client_count(c, k)
			for (sc = 0; sc < GOMEM_NUM_SPANCLASSES; sc++)
				ops += gomem_racy_read(&k->mallocs[sc]) +
				       gomem_racy_read(&k->frees[sc]);
	}
	return ops;
}

/* Each CPU's mcache_cpu_ops() at the last idle-only drain (that caller's only). */
static DEFINE_PER_CPU(u64, mcache_seen_ops);

/**
 * gomem_drain_local() - flush this CPU's caches, all contexts, to the mcentrals
 *
 * One class of one cache at a time, each under only what excludes that
 * cache's users (preemption, softirqs or interrupts off), so no section is
 * longer than one class's flush. A caller not bound to its CPU may move
 * between steps: then it drains part of each CPU it ran on. Used through
 * gomem_drain_cpus() (the scavenger, gomem_drain_all()); exported for
 * gomem's KUnit suites and torture modules too.
 *
 * Context: process context, preemptible or not but with interrupts and
 * softirqs enabled.
 */
void gomem_drain_local(void)
{
	unsigned int ctx, sc;

	for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++)
		for (sc = 0; sc < GOMEM_NUM_SPANCLASSES; sc++)
			drain_step(ctx, sc);
}
EXPORT_SYMBOL_NS_GPL(gomem_drain_local, GOMEM_INTERNAL);

static long gomem_drain_fn(void *arg)
{
	gomem_drain_local();
	return 0;
}

/**
 * gomem_drain_cpus() - have CPUs flush their own caches
 * @housekeeping: skip isolated CPUs (isolcpus, nohz_full): the background
 *		  scavenger never disturbs them
 * @idle_only: drain only the CPUs that made no gomem call since the last
 *	       call with @idle_only (the scavenger's rule: a cache in use
 *	       recycles its objects; one left idle would pin their spans)
 * @busy: if not NULL, set to the CPUs skipped as busy with something cached
 *
 * Each online CPU whose caches hold something drains them from a work item
 * on that CPU: no CPU ever touches another's cache while it may be in use.
 * A CPU with empty caches is not woken. Offline CPUs were drained when they
 * went down. Only one caller may pass @idle_only (the scavenger's work).
 *
 * Context: process context; may sleep.
 * Return: the CPUs drained.
 */
unsigned int gomem_drain_cpus(bool housekeeping, bool idle_only, unsigned int *busy)
{
	unsigned int cpu, n = 0, nbusy = 0;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (housekeeping && cpu_is_isolated(cpu))
			continue;
		if (idle_only) {
			u64 ops = mcache_cpu_ops(cpu), *seen = per_cpu_ptr(&mcache_seen_ops, cpu);

			if (ops != *seen) {
				*seen = ops;
				nbusy += !mcache_cpu_empty(cpu);
				continue;
			}
		}
		if (mcache_cpu_empty(cpu))
			continue;
		work_on_cpu(cpu, gomem_drain_fn, NULL);
		n++;
	}
	cpus_read_unlock();
	if (busy)
		*busy = nbusy;
	return n;
}

/**
 * gomem_drain_all() - flush every cache, per-CPU and transfer, to the spans
 *
 * gomem_drain_cpus() on every CPU with something cached, isolated ones
 * included, then the transfer caches. Exported for gomem's own KUnit suites
 * and torture modules.
 *
 * Context: process context; may sleep.
 */
void gomem_drain_all(void)
{
	gomem_drain_cpus(false, false, NULL);
	gomem_central_drain();
}
EXPORT_SYMBOL_NS_GPL(gomem_drain_all, GOMEM_INTERNAL);

static int gomem_cpu_dead(unsigned int cpu)
{
	gomem_mcache_drain_cpu(cpu);
	return 0;
}

/**
 * gomem_mcache_bytes() - bytes of all per-CPU caches
 *
 * Context: any context.
 * Return: the bytes, fixed after load.
 */
unsigned long gomem_mcache_bytes(void)
{
	return mcache_total;
}

/**
 * gomem_mcache_init() - allocate the caches of every possible CPU
 *
 * Context: process context, module init.
 * Return: 0, -ENOMEM, or an error from CPU-hotplug registration.
 */
int gomem_mcache_init(void)
{
	unsigned int cpu, ctx;
	int ret;

	mcache_compute_caps();
	for_each_possible_cpu(cpu) {
		struct gomem_pcpu *pc = per_cpu_ptr(&gomem_pcpu, cpu);

		for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
			pc->ctx[ctx] = mcache_create(ctx);
			if (!pc->ctx[ctx]) {
				gomem_mcache_exit();
				return -ENOMEM;
			}
		}
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "gomem:dead", NULL,
					gomem_cpu_dead);
	if (ret < 0) {
		gomem_mcache_exit();
		return ret;
	}
	gomem_cpuhp_state = ret;
	return 0;
}

/**
 * gomem_mcache_exit() - drain and free every cache
 *
 * Context: process context, module exit or failed init; no gomem user left.
 */
void gomem_mcache_exit(void)
{
	unsigned int cpu, ctx;

	if (gomem_cpuhp_state >= 0)
		cpuhp_remove_state_nocalls(gomem_cpuhp_state);
	gomem_cpuhp_state = -1;
	for_each_possible_cpu(cpu) {
		struct gomem_pcpu *pc = per_cpu_ptr(&gomem_pcpu, cpu);

		gomem_mcache_drain_cpu(cpu);
		for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
			if (pc->ctx[ctx])
				free_pages_exact(pc->ctx[ctx], mcache_size[ctx]);
			pc->ctx[ctx] = NULL;
		}
	}
	mcache_total = 0;
}
