// SPDX-License-Identifier: GPL-2.0
/*
 * Suites gomem_gfp and gomem_irq: allocation flags (atomic requests with
 * interrupts off, zeroing, refused zones, requests that must fail quietly)
 * and allocation from hardirq and softirq context interleaved with the
 * task context of the same CPU.
 */

#include <kunit/test.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "gomem_test.h"

/* === gomem_gfp === */

static const size_t gt_ctx_sizes[] = {
	1, 3, 8, 13, 16, 24, 100, 512, 1000, 4096, 9000, 32768, 40000, SZ_1M,
};

/*
 * GFP_ATOMIC and GFP_NOWAIT work with interrupts disabled, for every kind of
 * object, including ones that need a new span or arena; so do frees. On
 * PREEMPT_RT gomem may not call the page allocator with interrupts off:
 * there exactly the requests that needed new pages fail, each one counted
 * by gomem_nopage_count() (always 0 without PREEMPT_RT).
 */
static void gomem_test_irqs_disabled(struct kunit *test)
{
	unsigned int i, n = 2 * ARRAY_SIZE(gt_ctx_sizes), bad = 0, nomem = 0;
	unsigned long flags;
	long refused;
	size_t *sizes;
	void **objs;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	sizes = kunit_kcalloc(test, n, sizeof(*sizes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sizes);
	for (i = 0; i < n; i++)
		sizes[i] = gt_ctx_sizes[i % ARRAY_SIZE(gt_ctx_sizes)];

	refused = gomem_nopage_count();
	local_irq_save(flags);
	for (i = 0; i < n; i++) {
		objs[i] = gomem_alloc(sizes[i], i & 1 ? GFP_NOWAIT | __GFP_NOWARN : GFP_ATOMIC);
		if (objs[i])
			gt_stamp(objs[i], sizes[i], i);
		else
			nomem++;
	}
	/* Free half with interrupts still off. */
	for (i = 0; i < n; i += 2) {
		if (objs[i] && !gt_intact(objs[i], sizes[i], i))
			bad++;
		gomem_free(objs[i]);
		objs[i] = NULL;
	}
	local_irq_restore(flags);
	refused = gomem_nopage_count() - refused;

	if (refused)
		kunit_info(test, "%ld of %u requests needed new pages (PREEMPT_RT: refused)",
			   refused, n);
	KUNIT_EXPECT_EQ_MSG(test, nomem, refused, "atomic allocations failed");
	for (i = 1; i < n; i += 2) {
		if (objs[i] && !gt_intact(objs[i], sizes[i], i))
			bad++;
		gomem_free(objs[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects overlap");
}

/*
 * gomem_zalloc() and __GFP_ZERO zero the whole usable size, also when the
 * object is memory just dirtied and freed: on one CPU the next request of
 * the same class gets the object freed last.
 */
static void gomem_test_zalloc_zeroes(struct kunit *test)
{
	unsigned int i, dirty = 0, reused = 0;
	size_t size, usable;
	u8 *p, *q, *r;

	for (i = 0; i < ARRAY_SIZE(gt_ctx_sizes); i++) {
		size = gt_ctx_sizes[i];
		migrate_disable();
		p = gomem_alloc(size, GFP_KERNEL);
		if (p)
			memset(p, 0xa5, gomem_usable_size(p));
		gomem_free(p);
		q = gomem_zalloc(size, GFP_KERNEL);
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_NOT_NULL(test, q);
		reused += p == q;
		usable = gomem_usable_size(q);
		dirty += !!memchr_inv(q, 0, usable);
		memset(q, 0x5a, usable);
		gomem_free(q);

		r = gomem_alloc(size, GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, r);
		dirty += !!memchr_inv(r, 0, gomem_usable_size(r));
		gomem_free(r);
	}
	KUNIT_EXPECT_EQ_MSG(test, dirty, 0, "zeroed objects with non-zero bytes");
	KUNIT_EXPECT_GT_MSG(test, reused, 0, "no zeroed object was a dirtied one");
}

/* gomem serves only directly mapped normal memory: DMA zones and highmem get NULL. */
static void gomem_test_refused_zones(struct kunit *test)
{
	static const gfp_t zones[] = { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM };
	struct gt_errors *e = gt_errors_start(test);
	unsigned int i, z;

	for (z = 0; z < ARRAY_SIZE(zones); z++) {
		for (i = 0; i < ARRAY_SIZE(gt_ctx_sizes); i++) {
			size_t size = gt_ctx_sizes[i];

			KUNIT_EXPECT_NULL(test, gomem_alloc(size, GFP_KERNEL | zones[z]));
			KUNIT_EXPECT_NULL(test, gomem_zalloc(size, GFP_ATOMIC | zones[z]));
			KUNIT_EXPECT_NULL(test, gomem_realloc(NULL, size, GFP_KERNEL | zones[z]));
		}
	}
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
}

/* Sizes no flag can satisfy fail at once, with every flavour of flags, quietly. */
static void gomem_test_impossible_sizes(struct kunit *test)
{
	static const size_t sizes[] = {
		SZ_4M + 1, SZ_16M, SZ_1G, SIZE_MAX / 2, SIZE_MAX,
	};
	static const gfp_t gfps[] = {
		GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
		GFP_KERNEL | __GFP_NORETRY,
		GFP_KERNEL | __GFP_RETRY_MAYFAIL,
		GFP_ATOMIC,
		GFP_NOWAIT,
	};
	struct gt_errors *e = gt_errors_start(test);
	unsigned int i, g;
	void *p;

	for (g = 0; g < ARRAY_SIZE(gfps); g++)
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			KUNIT_EXPECT_NULL_MSG(test, gomem_alloc(sizes[i], gfps[g]),
					      "size %zu, gfp %pGg", sizes[i], &gfps[g]);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
	/* The largest possible size still works with the same flags. */
	p = gomem_alloc(gt_max_size(), GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	KUNIT_EXPECT_NOT_NULL(test, p);
	gomem_free(p);
}

/*
 * A request the page allocator refuses: 4 MiB objects (an arena each) with
 * __GFP_NORETRY | __GFP_NOWARN until memory runs out of 4 MiB blocks. The
 * failing request returns NULL without a warning or an OOM kill and leaves
 * the heap consistent; everything allocated frees and returns.
 */
static void gomem_test_noretry_exhaustion(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	unsigned long max = totalram_pages() / (SZ_4M / PAGE_SIZE) + 8;
	size_t size = gt_max_size();	/* 4 MiB, or a little less in debug mode */
	unsigned long i, n, sys;
	void **objs, *p;

	if (max > 1024)
		kunit_skip(test, "%lu MiB of RAM: too much to exhaust in a test",
			   totalram_pages() >> (20 - PAGE_SHIFT));
	objs = kunit_kcalloc(test, max, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (n = 0; n < max; n++) {
		objs[n] = gomem_alloc(size, gfp);
		if (!objs[n])
			break;
		/* Touch the ends: the pages are really there. */
		*(u8 *)objs[n] = 1;
		*((u8 *)objs[n] + size - 1) = 2;
	}
	sys = gomem_heap_held_bytes();
	KUNIT_EXPECT_LT_MSG(test, n, max, "%lu objects of 4 MiB and no failure", n);
	KUNIT_EXPECT_GE(test, sys, n * SZ_4M);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);

	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
	gomem_drain_local();
	gomem_scavenge();
	KUNIT_EXPECT_LE(test, gomem_heap_held_bytes() + n * SZ_4M, sys);
	/* Memory came back: the request that failed succeeds. */
	p = gomem_alloc(size, gfp);
	KUNIT_EXPECT_NOT_NULL(test, p);
	gomem_free(p);
}

/* === gomem_irq === */

#define GT_IRQ_SLOTS		8
#define GT_IRQ_QUICK		4	/* allocate-and-free pairs per callback */
#define GT_IRQ_PERIOD_NS	(100 * NSEC_PER_USEC)
#define GT_IRQ_TARGET		2000	/* callbacks wanted per context */
#define GT_TASK_SLOTS		64
#define GT_TASK_BATCH		16

/**
 * struct gt_irq_src - an hrtimer allocating from interrupt context
 * @timer: the timer, pinned to @cpu, hard or soft
 * @hard: its callback runs in hardirq (else softirq) context
 * @stop: set by the task: do not re-arm
 * @cpu: the CPU the task and the timer share
 * @slot: objects the callback holds, replaced round robin
 * @slot_size: their sizes
 * @calls: callbacks run
 * @allocs: successful allocations (GFP_ATOMIC)
 * @nomem: failed ones
 * @bad_pattern: objects found overwritten
 * @bad_ctx: callbacks in the wrong context or on another CPU
 *
 * The fields after @stop are written only by the callback, which never
 * runs concurrently with itself, and read by the task once it is cancelled
 * (or racily, as a progress hint).
 */
struct gt_irq_src {
	struct hrtimer timer;
	bool hard;
	bool stop;
	unsigned int cpu;
	void *slot[GT_IRQ_SLOTS];
	size_t slot_size[GT_IRQ_SLOTS];
	unsigned long calls;
	unsigned long allocs;
	unsigned long nomem;
	unsigned long bad_pattern;
	unsigned long bad_ctx;
};

/* Tiny and small sizes first: the quick pairs use only those. */
static const size_t gt_irq_sizes[] = {
	1, 3, 8, 12, 16, 32, 48, 64, 96, 128, 256, 512,
	1024, 2048, 4096, 8192, 16384, 32768, 40000,
};

#define GT_IRQ_QUICK_SIZES	12

/* One allocation in interrupt context; the object is stamped (its first 16 bytes if @head). */
static void *gt_irq_alloc(struct gt_irq_src *src, size_t size, bool head)
{
	void *p = gomem_alloc(size, GFP_ATOMIC | __GFP_NOWARN);

	if (p) {
		gt_stamp(p, head ? min_t(size_t, size, 16) : size, src->hard);
		WRITE_ONCE(src->allocs, src->allocs + 1);
	} else {
		WRITE_ONCE(src->nomem, src->nomem + 1);
	}
	return p;
}

static void gt_irq_free(struct gt_irq_src *src, void *p, size_t size)
{
	if (!gt_intact(p, size, src->hard))
		WRITE_ONCE(src->bad_pattern, src->bad_pattern + 1);
	gomem_free(p);
}

static enum hrtimer_restart gt_irq_timer_fn(struct hrtimer *t)
{
	struct gt_irq_src *src = container_of(t, struct gt_irq_src, timer);
	unsigned long n = src->calls;
	unsigned int i = n % GT_IRQ_SLOTS, j;
	size_t size = gt_irq_sizes[n % ARRAY_SIZE(gt_irq_sizes)];
	bool right_ctx = src->hard ? in_hardirq() : in_serving_softirq() && !in_hardirq();
	void *p;

	if (!right_ctx || smp_processor_id() != src->cpu)
		WRITE_ONCE(src->bad_ctx, src->bad_ctx + 1);
	/* Objects held across callbacks, then freed here. */
	if (src->slot[i])
		gt_irq_free(src, src->slot[i], src->slot_size[i]);
	src->slot[i] = gt_irq_alloc(src, size, false);
	src->slot_size[i] = size;
	/* Objects taken and given back at once: the fast paths, over and over. */
	for (j = 0; j < GT_IRQ_QUICK; j++) {
		size = gt_irq_sizes[(n + j) % GT_IRQ_QUICK_SIZES];
		p = gt_irq_alloc(src, size, true);
		if (p)
			gt_irq_free(src, p, min_t(size_t, size, 16));
	}
	WRITE_ONCE(src->calls, n + 1);

	if (READ_ONCE(src->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(GT_IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

/*
 * Without PREEMPT_RT every hrtimer not marked _SOFT expires in hard
 * interrupt context; only PREEMPT_RT needs _HARD to keep one there. _HARD
 * also tells lockdep (PROVE_RAW_LOCK_NESTING) that the callback follows
 * PREEMPT_RT's hardirq rules, which forbid the page allocator's locks; on
 * PREEMPT_RT gomem takes no page there, elsewhere it may, as kmalloc may.
 */
#define GT_HRTIMER_HARD	(IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL_PINNED_HARD : \
			 HRTIMER_MODE_REL_PINNED)

static void gt_irq_start(struct gt_irq_src *src, bool hard, unsigned int cpu)
{
	enum hrtimer_mode mode = hard ? GT_HRTIMER_HARD : HRTIMER_MODE_REL_PINNED_SOFT;

	src->hard = hard;
	src->cpu = cpu;
	hrtimer_init(&src->timer, CLOCK_MONOTONIC, mode);
	src->timer.function = gt_irq_timer_fn;
	hrtimer_start(&src->timer, ns_to_ktime(GT_IRQ_PERIOD_NS), mode);
}

static void gt_irq_stop(struct gt_irq_src *src)
{
	WRITE_ONCE(src->stop, true);
	hrtimer_cancel(&src->timer);
}

/* Free what a callback still holds, from task context; count damaged objects. */
static unsigned int gt_irq_release(struct gt_irq_src *src)
{
	unsigned int i, bad = 0;

	for (i = 0; i < GT_IRQ_SLOTS; i++) {
		if (!src->slot[i])
			continue;
		bad += !gt_intact(src->slot[i], src->slot_size[i], src->hard);
		gomem_free(src->slot[i]);
	}
	return bad;
}

/**
 * struct gt_task_objs - the task side of gomem_test_irq_interleave
 * @slot: objects held for a while, fully stamped
 * @slot_size: their sizes
 * @batch: objects allocated and freed in bursts, head stamped
 * @batch_size: their sizes
 */
struct gt_task_objs {
	void *slot[GT_TASK_SLOTS];
	size_t slot_size[GT_TASK_SLOTS];
	void *batch[GT_TASK_BATCH];
	size_t batch_size[GT_TASK_BATCH];
};

/*
 * One round of the task: a burst of tiny and small allocations and frees
 * (mostly inside gomem's fast paths, where an interrupt must not touch the
 * task's cache), and one longer-lived object replaced.
 */
static unsigned int gt_task_round(struct gt_task_objs *t, u32 r, unsigned int *nomem)
{
	unsigned int i, bad = 0;
	size_t size;

	for (i = 0; i < GT_TASK_BATCH; i++) {
		size = (r >> i) & 1 ? (r + i) % 15 + 1 : ((r >> 4) + i * 8) % 512 + 1;
		t->batch[i] = gomem_alloc(size, GFP_KERNEL);
		t->batch_size[i] = min_t(size_t, size, 16);
		if (t->batch[i])
			gt_stamp(t->batch[i], t->batch_size[i], 3);
		else
			(*nomem)++;
	}
	for (i = 0; i < GT_TASK_BATCH; i++) {
		if (t->batch[i] && !gt_intact(t->batch[i], t->batch_size[i], 3))
			bad++;
		gomem_free(t->batch[i]);
	}

	i = r % GT_TASK_SLOTS;
	if (t->slot[i]) {
		bad += !gt_intact(t->slot[i], t->slot_size[i], 3);
		gomem_free(t->slot[i]);
	}
	size = r % 4096 + 1;
	t->slot[i] = gomem_alloc(size, GFP_KERNEL);
	t->slot_size[i] = size;
	if (t->slot[i])
		gt_stamp(t->slot[i], size, 3);
	else
		(*nomem)++;
	return bad;
}

/*
 * A hardirq hrtimer and a softirq hrtimer allocate (GFP_ATOMIC), check and
 * free objects on the CPU where the test task allocates and frees in a
 * loop, so that interrupts land in the middle of the task's fast paths.
 * Each context has its own per-CPU cache; none may see another's half-done
 * update: every object keeps its contents, none is handed out twice, none
 * is lost (once all is freed and drained, the heap shrinks back to where
 * it was). What the callbacks hold at the end is freed by the task:
 * objects of the interrupt caches go to the task cache. On PREEMPT_RT the
 * hardirq callback fails exactly the requests that needed new pages
 * (gomem_nopage_count()); the softirq one runs in a preemptible thread there.
 */
static void gomem_test_irq_interleave(struct kunit *test)
{
	unsigned long deadline, base, end, iters = 0, bad = 0;
	struct gt_irq_src *hard, *soft;
	struct gt_task_objs *t;
	unsigned int cpu, i, nomem = 0;
	u32 rng = 0x9e3779b9;
	long refused;

	hard = kunit_kzalloc(test, sizeof(*hard), GFP_KERNEL);
	soft = kunit_kzalloc(test, sizeof(*soft), GFP_KERNEL);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hard);
	KUNIT_ASSERT_NOT_NULL(test, soft);
	KUNIT_ASSERT_NOT_NULL(test, t);

	base = gt_quiesce_heap();
	refused = gomem_nopage_count();
	migrate_disable();
	cpu = smp_processor_id();
	gt_irq_start(hard, true, cpu);
	gt_irq_start(soft, false, cpu);
	/* Until both contexts ran enough; the deadline is a guard, not a check. */
	deadline = jiffies + gt_scale(30) * HZ;
	while (iters < 3000 || READ_ONCE(hard->calls) < gt_scale(GT_IRQ_TARGET) ||
	       READ_ONCE(soft->calls) < gt_scale(GT_IRQ_TARGET)) {
		bad += gt_task_round(t, gt_rand(&rng), &nomem);
		if (++iters % 64 == 0 && time_after(jiffies, deadline))
			break;
	}
	gt_irq_stop(hard);
	gt_irq_stop(soft);
	migrate_enable();
	refused = gomem_nopage_count() - refused;

	for (i = 0; i < GT_TASK_SLOTS; i++) {
		if (t->slot[i])
			bad += !gt_intact(t->slot[i], t->slot_size[i], 3);
		gomem_free(t->slot[i]);
	}
	KUNIT_EXPECT_EQ(test, gt_irq_release(hard), 0);
	KUNIT_EXPECT_EQ(test, gt_irq_release(soft), 0);
	end = gt_quiesce_heap();
	kunit_info(test, "cpu %u: %lu task rounds; hardirq %lu calls, %lu allocations, %ld refused; softirq %lu, %lu",
		   cpu, iters, hard->calls, hard->allocs, refused, soft->calls, soft->allocs);
	KUNIT_EXPECT_EQ(test, nomem, 0);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "task objects overwritten");
	KUNIT_EXPECT_GT(test, hard->allocs, 0);
	KUNIT_EXPECT_GT(test, soft->allocs, 0);
	KUNIT_EXPECT_EQ(test, hard->nomem, refused);
	KUNIT_EXPECT_EQ(test, soft->nomem, 0);
	KUNIT_EXPECT_EQ(test, hard->bad_ctx, 0);
	KUNIT_EXPECT_EQ(test, soft->bad_ctx, 0);
	KUNIT_EXPECT_EQ(test, hard->bad_pattern, 0);
	KUNIT_EXPECT_EQ(test, soft->bad_pattern, 0);
	KUNIT_EXPECT_LE_MSG(test, end, base, "objects lost: the heap keeps %lu bytes more",
			    end - base);
}

static struct kunit_case gomem_gfp_cases[] = {
	KUNIT_CASE(gomem_test_irqs_disabled),
	KUNIT_CASE(gomem_test_zalloc_zeroes),
	KUNIT_CASE(gomem_test_refused_zones),
	KUNIT_CASE(gomem_test_impossible_sizes),
	KUNIT_CASE_SLOW(gomem_test_noretry_exhaustion),
	{}
};

static struct kunit_suite gomem_gfp_suite = {
	.name = "gomem_gfp",
	.exit = gt_suite_exit,
	.test_cases = gomem_gfp_cases,
};

static struct kunit_case gomem_irq_cases[] = {
	KUNIT_CASE_SLOW(gomem_test_irq_interleave),
	{}
};

static struct kunit_suite gomem_irq_suite = {
	.name = "gomem_irq",
	.exit = gt_suite_exit,
	.test_cases = gomem_irq_cases,
};

kunit_test_suites(&gomem_gfp_suite, &gomem_irq_suite);
