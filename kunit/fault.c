// SPDX-License-Identifier: GPL-2.0
/*
 * Suite gomem_fault: gomem when the page allocator fails.
 *
 * The failures are real ones, injected by the kernel's fail_page_alloc
 * (CONFIG_FAIL_PAGE_ALLOC). The guest script arms it with task-filter on
 * (Documentation/testing.rst), so that only tasks with make_it_fail set see
 * their page allocations fail: a case sets current->make_it_fail around the
 * calls that must fail, or current->fail_nth to fail exactly the n-th page
 * allocation of a call. Every case first checks that injection works (an
 * order-0 GFP_KERNEL page allocation fails with make_it_fail set) and is
 * skipped otherwise, so the suite never passes without having failed a
 * page allocation; make check requires that it ran.
 *
 * What each case holds gomem to: a failed request returns NULL, quietly (no
 * report, no warning); the heap and every metadata pool keep their figures
 * (nothing half built stays behind, no span structure leaks); the heap
 * check passes; and once the page allocator works again, the same requests
 * succeed and everything returns to the page allocator.
 */

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "gomem_test.h"

/* === Injection === */

#if IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC)
/* Make every page allocation of this task fail (task-filter is on), or stop. */
static void gt_fail_pages(bool on)
{
	WRITE_ONCE(current->make_it_fail, on);
}

/* Fail the @n-th page allocation this task makes from now on (1 = the next). */
static void gt_fail_nth(unsigned int n)
{
	WRITE_ONCE(current->fail_nth, n);
}

/* Page allocations still to go before the one that fails; 0 once it failed. */
static unsigned int gt_fail_nth_left(void)
{
	return READ_ONCE(current->fail_nth);
}

/* KUnit action: whatever happened in the case, its task fails nothing more. */
static void gt_fault_reset(void *data)
{
	struct task_struct *t = data;

	WRITE_ONCE(t->make_it_fail, 0);
	WRITE_ONCE(t->fail_nth, 0);
	put_task_struct(t);
}

static int gt_fault_init(struct kunit *test)
{
	struct page *page;

	/*
	 * The case runs in this thread; its cleanup runs in another, once this
	 * one is done: the action pins and names this task, not "current".
	 */
	/*
	 * The cases count pages and objects of the normal layout; debug mode
	 * serves the same requests from bigger slots through the same refill
	 * and heap paths, so the normal pass covers them.
	 */
	if (gomem_debug_mode())
		kunit_skip(test, "gomem is in debug mode: the suite runs in the normal pass");
	get_task_struct(current);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_fault_reset, current), 0);
	/*
	 * The cases count pages, runs and pool chunks exactly: the background
	 * scavenger must not release runs meanwhile (their explicit scavenges
	 * still do). Once, on a fresh machine, grow_metadata found 22 free
	 * span structures where it had left 1.
	 */
	gt_hold_scavenger(test);

	gt_fail_pages(true);
	page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
	gt_fail_pages(false);
	if (page) {
		__free_page(page);
		kunit_skip(test, "fail_page_alloc is not armed (see Documentation/testing.rst)");
	}
	/* Only this task was failed: the same request works now. */
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, page, "page allocations fail outside make_it_fail");
	__free_page(page);
	return 0;
}
#else
static void gt_fail_pages(bool on)
{
}

static void gt_fail_nth(unsigned int n)
{
}

static unsigned int gt_fail_nth_left(void)
{
	return 0;
}

static int gt_fault_init(struct kunit *test)
{
	kunit_skip(test, "the kernel has no CONFIG_FAIL_PAGE_ALLOC");
	return 0;
}
#endif

/* === Snapshots of gomem's figures === */

struct gt_snap {
	struct gomem_memstats ms;
	unsigned long pool_inuse[GOMEM_NR_POOLS];
	unsigned long pool_free[GOMEM_NR_POOLS];
	long errors[GOMEM_NR_ERRORS];
};

static struct gt_snap *gt_snap_new(struct kunit *test)
{
	struct gt_snap *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	return s;
}

/* Takes no page: callable with injection on. */
static void gt_snap_take(struct gt_snap *s)
{
	unsigned int i;

	/*
	 * The pools first: gomem_pool_counts() waits for the span structures
	 * on their way back (an RCU grace period), so that the statistics
	 * read next count them back too.
	 */
	for (i = 0; i < GOMEM_NR_POOLS; i++)
		gomem_pool_counts(i, &s->pool_inuse[i], &s->pool_free[i]);
	gomem_read_memstats(&s->ms);
	for (i = 0; i < GOMEM_NR_ERRORS; i++)
		s->errors[i] = gomem_error_count(i);
}

/* The equations gomem_read_memstats() documents, and a consistent heap. */
static void gt_expect_consistent(struct kunit *test, const struct gt_snap *s)
{
	const struct gomem_memstats *ms = &s->ms;

	KUNIT_EXPECT_EQ(test, ms->heap_objects, ms->mallocs - ms->frees);
	KUNIT_EXPECT_EQ(test, ms->heap_alloc, ms->alloc);
	KUNIT_EXPECT_EQ(test, ms->heap_idle, ms->heap_sys - ms->heap_inuse);
	KUNIT_EXPECT_EQ(test, ms->sys, ms->heap_sys - ms->heap_released + ms->mspan_sys +
			ms->mcache_sys + ms->other_sys);
	KUNIT_EXPECT_EQ(test, ms->heap_free_bytes, ms->heap_idle - ms->heap_released);
	KUNIT_EXPECT_LE(test, ms->alloc, ms->heap_inuse);
	KUNIT_EXPECT_LE(test, ms->mspan_inuse, ms->mspan_sys);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

/* No report of any kind between two snapshots. */
static void gt_expect_no_reports(struct kunit *test, const struct gt_snap *a,
				 const struct gt_snap *b)
{
	unsigned int i;

	for (i = 0; i < GOMEM_NR_ERRORS; i++)
		KUNIT_EXPECT_EQ_MSG(test, b->errors[i], a->errors[i], "reports of kind %u", i);
}

/* Every metadata pool has as many chunks in use as at @a. */
static void gt_expect_pools_back(struct kunit *test, const struct gt_snap *a,
				 const struct gt_snap *b)
{
	unsigned int i;

	for (i = 0; i < GOMEM_NR_POOLS; i++)
		KUNIT_EXPECT_EQ_MSG(test, b->pool_inuse[i], a->pool_inuse[i],
				    "chunks in use in metadata pool %u", i);
}

/*
 * Requests that all failed left gomem exactly as it was: same heap, same
 * objects, no request counted, no metadata taken, nothing reported.
 */
static void gt_expect_untouched(struct kunit *test, const struct gt_snap *a,
				const struct gt_snap *b)
{
	KUNIT_EXPECT_EQ(test, b->ms.heap_sys, a->ms.heap_sys);
	KUNIT_EXPECT_EQ(test, b->ms.heap_inuse, a->ms.heap_inuse);
	KUNIT_EXPECT_EQ(test, b->ms.arenas, a->ms.arenas);
	KUNIT_EXPECT_EQ(test, b->ms.released_bytes, a->ms.released_bytes);
	KUNIT_EXPECT_EQ(test, b->ms.mallocs, a->ms.mallocs);
	KUNIT_EXPECT_EQ(test, b->ms.frees, a->ms.frees);
	KUNIT_EXPECT_EQ(test, b->ms.mspan_inuse, a->ms.mspan_inuse);
	KUNIT_EXPECT_EQ(test, b->ms.mspan_sys, a->ms.mspan_sys);
	KUNIT_EXPECT_EQ(test, b->ms.other_sys, a->ms.other_sys);
	gt_expect_pools_back(test, a, b);
	gt_expect_no_reports(test, a, b);
	gt_expect_consistent(test, b);
}

/* Drain and scavenge; the heap must be empty (nothing else uses gomem here). */
static void gt_assert_empty_heap(struct kunit *test)
{
	unsigned long held = gt_quiesce_heap();
	struct gomem_memstats *ms;

	if (held) {
		ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ms);
		gomem_read_memstats(ms);
		KUNIT_FAIL(test,
			   "the heap holds %lu bytes after a scavenge: %llu in use, %llu of %llu released, %llu arenas",
			   held, ms->heap_inuse, ms->heap_released, ms->heap_sys, ms->arenas);
	}
	KUNIT_ASSERT_EQ(test, held, 0);
}

/* === Requests === */

static const gfp_t gt_fault_gfps[] = {
	GFP_KERNEL,
	GFP_ATOMIC,
	GFP_KERNEL | __GFP_NORETRY,
};

#define GT_NR_LARGE	5
static const size_t gt_large_sizes[GT_NR_LARGE] = {
	GOMEM_MAX_SMALL_OBJECT + 1, 40960, SZ_256K, SZ_1M, SZ_4M,
};

/* Requests of the empty-heap cases: tiny sizes, every class size, large sizes. */
#define GT_NR_SIZES	(GOMEM_TINY_SIZE - 1 + GOMEM_NUM_SIZE_CLASSES - 1 + GT_NR_LARGE)

static size_t gt_size(unsigned int i)
{
	if (i < GOMEM_TINY_SIZE - 1)
		return i + 1;
	i -= GOMEM_TINY_SIZE - 1;
	if (i < GOMEM_NUM_SIZE_CLASSES - 1)
		return gomem_class_to_size[i + 1];
	return gt_large_sizes[i - (GOMEM_NUM_SIZE_CLASSES - 1)];
}

/*
 * Every size with every flavour of flags while the page allocator fails;
 * returns how many were served (each freed, with injection off, before
 * returning) and the first size served.
 */
static unsigned int gt_request_all_failing(size_t *served_size)
{
	unsigned int i, g, served = 0;
	void **got;
	void *p;

	got = kcalloc(GT_NR_SIZES * ARRAY_SIZE(gt_fault_gfps), sizeof(*got), GFP_KERNEL);
	if (!got)
		return UINT_MAX;
	gt_fail_pages(true);
	for (g = 0; g < ARRAY_SIZE(gt_fault_gfps); g++) {
		for (i = 0; i < GT_NR_SIZES; i++) {
			p = gomem_alloc(gt_size(i), gt_fault_gfps[g]);
			if (p && !served++)
				*served_size = gt_size(i);
			got[g * GT_NR_SIZES + i] = p;
		}
	}
	gt_fail_pages(false);
	for (i = 0; i < GT_NR_SIZES * ARRAY_SIZE(gt_fault_gfps); i++)
		gomem_free(got[i]);
	kfree(got);
	return served;
}

/*
 * Serve every size once with pages working and free it all: the metadata
 * pools then hold chunks for every kind of span, so that a request that
 * fails afterwards gets as far as growing the heap.
 */
static void gt_warm_pools(struct kunit *test)
{
	unsigned int i;
	void *p;

	for (i = 0; i < GT_NR_SIZES; i++) {
		p = gomem_alloc(gt_size(i), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "%zu bytes", gt_size(i));
		gomem_free(p);
	}
	gt_assert_empty_heap(test);
}

/*
 * From an empty heap (every arena given back), no request can be served
 * without the page allocator: tiny, every size class and large requests,
 * with GFP_KERNEL, GFP_ATOMIC and __GFP_NORETRY, all return NULL. The span
 * pools hold chunks, so each request fails where the heap grows (the
 * arena). gomem reports nothing, counts no allocation, takes no arena and
 * keeps no span structure or arena record of the attempts.
 */
static void gomem_test_fault_empty_heap(struct kunit *test)
{
	struct gt_snap *before = gt_snap_new(test), *after = gt_snap_new(test);
	bool tiny = gt_tiny_enabled();
	size_t first = 0;
	unsigned int served, i;

	gt_warm_pools(test);
	gt_snap_take(before);
	/* With the tiny allocator on, no request reaches class 1 (pool mspan16). */
	for (i = GOMEM_POOL_SPAN0; i <= GOMEM_POOL_SPAN16; i++)
		if (i != GOMEM_POOL_SPAN16 || !tiny)
			KUNIT_EXPECT_GT_MSG(test, before->pool_free[i], 0, "pool %u is empty", i);
	if (tiny)
		KUNIT_EXPECT_GT(test, before->pool_free[GOMEM_POOL_TINYMASK], 0);
	served = gt_request_all_failing(&first);
	gt_snap_take(after);

	KUNIT_EXPECT_EQ_MSG(test, served, 0, "%u requests served, the first of %zu bytes",
			    served, first);
	KUNIT_EXPECT_EQ(test, after->ms.heap_sys, 0);
	gt_expect_untouched(test, before, after);
}

/*
 * Recovery: the requests that failed succeed once the page allocator works
 * again, hold their contents, and every byte goes back to the page
 * allocator after the last free; the metadata pools count what they
 * counted before.
 */
static void gomem_test_fault_recovery(struct kunit *test)
{
	struct gt_snap *base = gt_snap_new(test), *mid = gt_snap_new(test);
	struct gt_snap *end = gt_snap_new(test);
	unsigned int i, g, n = 0, missing = 0, bad = 0, served;
	size_t first = 0, *sizes;
	void **objs;

	objs = kunit_kcalloc(test, GT_NR_SIZES * ARRAY_SIZE(gt_fault_gfps), sizeof(*objs),
			     GFP_KERNEL);
	sizes = kunit_kcalloc(test, GT_NR_SIZES * ARRAY_SIZE(gt_fault_gfps), sizeof(*sizes),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sizes);

	gt_assert_empty_heap(test);
	gt_snap_take(base);
	served = gt_request_all_failing(&first);
	KUNIT_EXPECT_EQ_MSG(test, served, 0, "%u requests served while failing", served);

	for (g = 0; g < ARRAY_SIZE(gt_fault_gfps); g++) {
		for (i = 0; i < GT_NR_SIZES; i++) {
			void *p = gomem_alloc(gt_size(i), gt_fault_gfps[g]);

			if (!p) {
				missing++;
				continue;
			}
			gt_stamp(p, gt_size(i), n);
			sizes[n] = gt_size(i);
			objs[n++] = p;
		}
	}
	gt_snap_take(mid);
	for (i = 0; i < n; i++) {
		bad += !gt_intact(objs[i], sizes[i], i);
		gomem_free(objs[i]);
	}
	KUNIT_EXPECT_EQ(test, gt_quiesce_heap(), 0);
	gt_snap_take(end);

	KUNIT_EXPECT_EQ(test, missing, 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, mid->ms.mallocs - base->ms.mallocs, n);
	KUNIT_EXPECT_GT(test, mid->ms.heap_sys, 0);
	gt_expect_consistent(test, mid);
	KUNIT_EXPECT_EQ(test, end->ms.heap_objects, base->ms.heap_objects);
	KUNIT_EXPECT_EQ(test, end->ms.alloc, base->ms.alloc);
	gt_expect_pools_back(test, base, end);
	gt_expect_no_reports(test, base, end);
	gt_expect_consistent(test, end);
}

/* === The heap runs out under failing pages === */

/*
 * Room for the objects of the fill. What it serves depends on the chunks
 * the metadata pools hold from earlier cases; a few hundred is usual, and
 * no arena holds more than 4 MiB / 8 B.
 */
#define GT_FILL_MAX	(SZ_4M / 8)

KUNIT_DEFINE_ACTION_WRAPPER(gt_fault_kvfree, kvfree, const void *);

/*
 * Descending sizes: each phase fills what the ones before left of the
 * arena, down to tiny objects, so the heap is used up in few requests
 * (about thirty in a run of make check).
 */
static const size_t gt_fill_sizes[] = {
	SZ_256K, 40960, GOMEM_MAX_SMALL_OBJECT, 4096, 1024, 64, 8,
};

/*
 * An arena in use, then the page allocator fails: the heap serves requests
 * from what it holds (free runs, spans of the mcentrals, objects already in
 * the CPU's cache) until a refill or a heap growth needs a page, and that
 * request returns NULL. Each phase of the fill ends with NULL; nothing is
 * half built (no new arena, no span without its pages, the pools count only
 * the spans made); every object keeps its contents and, freed, leaves the
 * heap and pools as they were at the start.
 */
static void gomem_test_fault_heap_runs_out(struct kunit *test)
{
	struct gt_snap *base = gt_snap_new(test), *before = gt_snap_new(test);
	struct gt_snap *after = gt_snap_new(test), *end = gt_snap_new(test);
	unsigned int served[ARRAY_SIZE(gt_fill_sizes)] = {};
	bool ended[ARRAY_SIZE(gt_fill_sizes)] = {};
	unsigned int i, n = 0, bad = 0;
	size_t *sizes;
	void **objs, *seed;

	objs = kvcalloc(GT_FILL_MAX, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_fault_kvfree, objs), 0);
	sizes = kvcalloc(GT_FILL_MAX, sizeof(*sizes), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_fault_kvfree, sizes), 0);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sizes);
	gt_assert_empty_heap(test);
	gt_snap_take(base);
	seed = gomem_alloc(1024, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seed);
	gt_snap_take(before);

	gt_fail_pages(true);
	for (i = 0; i < ARRAY_SIZE(gt_fill_sizes); i++) {
		gfp_t gfp = gt_fault_gfps[i % ARRAY_SIZE(gt_fault_gfps)];

		while (n < GT_FILL_MAX) {
			void *p = gomem_alloc(gt_fill_sizes[i], gfp);

			if (!p) {
				ended[i] = true;
				break;
			}
			gt_stamp(p, gt_fill_sizes[i], n);
			objs[n] = p;
			sizes[n++] = gt_fill_sizes[i];
			served[i]++;
		}
	}
	gt_fail_pages(false);
	gt_snap_take(after);

	kunit_info(test, "heap %llu bytes; served %u x 256K, %u x 40K, %u x 32K, %u x 4K, %u x 1K, %u x 64, %u x 8",
		   after->ms.heap_sys, served[0], served[1], served[2], served[3], served[4],
		   served[5], served[6]);
	for (i = 0; i < ARRAY_SIZE(gt_fill_sizes); i++)
		KUNIT_EXPECT_TRUE_MSG(test, ended[i], "%zu-byte requests never failed",
				      gt_fill_sizes[i]);
	KUNIT_EXPECT_GT_MSG(test, n, 0, "the heap in place served nothing");
	KUNIT_EXPECT_EQ(test, after->ms.heap_sys, before->ms.heap_sys);
	KUNIT_EXPECT_EQ(test, after->ms.arenas, before->ms.arenas);
	KUNIT_EXPECT_EQ(test, after->ms.mspan_sys, before->ms.mspan_sys);
	KUNIT_EXPECT_EQ(test, after->ms.mallocs - before->ms.mallocs, n);
	KUNIT_EXPECT_EQ(test, after->ms.heap_objects - before->ms.heap_objects, n);
	gt_expect_no_reports(test, before, after);
	gt_expect_consistent(test, after);

	for (i = 0; i < n; i++) {
		bad += !gt_intact(objs[i], sizes[i], i);
		gomem_free(objs[i]);
	}
	gomem_free(seed);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, gt_quiesce_heap(), 0);
	gt_snap_take(end);
	KUNIT_EXPECT_EQ(test, end->ms.heap_objects, base->ms.heap_objects);
	gt_expect_pools_back(test, base, end);
	gt_expect_no_reports(test, base, end);
	gt_expect_consistent(test, end);
}

/* === A metadata pool needs a page === */

struct gt_pool_param {
	size_t size;
	const char *desc;
};

static const struct gt_pool_param gt_pool_params[] = {
	{ SZ_64K, "large 64 KiB: span structure of pool mspan0" },
	{ 8192, "class 8192: span structure of pool mspan1" },
};

KUNIT_ARRAY_PARAM_DESC(gt_pool, gt_pool_params, desc);

/* The pool span_alloc() takes a request's span structure from. */
static unsigned int gt_span_pool(size_t size, bool tiny)
{
	unsigned int nelems;

	if (size > GOMEM_MAX_SMALL_OBJECT)
		return GOMEM_POOL_SPAN0;
	if (size < GOMEM_TINY_SIZE && tiny)
		nelems = gomem_class_to_nelems[GOMEM_TINY_SIZECLASS];
	else
		nelems = gomem_class_to_nelems[gt_class_of(size)];
	return GOMEM_POOL_SPAN1 + order_base_2(BITS_TO_LONGS(nelems));
}

#define GT_POOL_MAX	2048

/*
 * Take objects of @size, one per span, into @objs (room for GT_POOL_MAX)
 * until span-structure pool @pool has no free chunk or GT_POOL_MAX are
 * taken. Returns how many; *@free is the pool's free chunks at the end.
 */
static unsigned int gt_empty_pool(struct kunit *test, unsigned int pool, size_t size,
				  void **objs, unsigned long *free)
{
	unsigned long inuse;
	unsigned int n = 0;

	for (;;) {
		gomem_pool_counts(pool, &inuse, free);
		if (!*free || n == GT_POOL_MAX)
			return n;
		objs[n] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[n]);
		n++;
	}
}

/*
 * The span structure cannot be had: the pool it comes from is empty and
 * its new page fails, while the heap has the pages. The request returns
 * NULL; the free run and its arena stay in the heap (same figures, the
 * heap check passes) and serve the same request once pages can be had.
 *
 * The pool is emptied first by taking spans with the page allocator
 * working, the heap growing as it needs. For 64 KiB objects (8 gomem pages,
 * and every arena a multiple of 8 pages) the pool runs dry only after a
 * span was cut from a larger free run: a run of at least 8 pages remains.
 */
static void gomem_test_fault_span_pool(struct kunit *test)
{
	const struct gt_pool_param *pp = test->param_value;
	struct gt_snap *base = gt_snap_new(test), *before = gt_snap_new(test);
	struct gt_snap *after = gt_snap_new(test), *end = gt_snap_new(test);
	unsigned int pool = gt_span_pool(pp->size, false), n = 0, i;
	unsigned long free;
	void **objs, *p, *q;

	objs = kunit_kcalloc(test, GT_POOL_MAX, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	if (pp->size <= GOMEM_MAX_SMALL_OBJECT)
		KUNIT_ASSERT_EQ(test, gomem_class_to_nelems[gt_class_of(pp->size)], 1);
	gt_assert_empty_heap(test);
	gt_snap_take(base);

	/* One object per span: each request takes one chunk of the pool. */
	n = gt_empty_pool(test, pool, pp->size, objs, &free);
	KUNIT_ASSERT_EQ_MSG(test, free, 0, "pool %u still has %lu chunks after %u spans", pool,
			    free, n);
	gt_snap_take(before);

	gt_fail_pages(true);
	p = gomem_alloc(pp->size, GFP_KERNEL);
	gt_fail_pages(false);
	gt_snap_take(after);

	kunit_info(test, "pool %u emptied by %u spans; heap %llu bytes, %llu idle",
		   pool, n, before->ms.heap_sys, before->ms.heap_idle);
	KUNIT_EXPECT_NULL(test, p);
	gomem_free(p);
	if (pool == GOMEM_POOL_SPAN0)
		KUNIT_EXPECT_GE_MSG(test, before->ms.heap_idle, (u64)pp->size,
				    "no free run was left: the case tests nothing");
	KUNIT_EXPECT_EQ(test, after->pool_free[pool], 0);
	gt_expect_untouched(test, before, after);

	/* The run was kept: served from it when pages come back, no new arena. */
	q = gomem_alloc(pp->size, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, q);
	gt_snap_take(end);
	if (before->ms.heap_idle >= pp->size)
		KUNIT_EXPECT_EQ(test, end->ms.heap_sys, before->ms.heap_sys);
	gomem_free(q);
	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
	KUNIT_EXPECT_EQ(test, gt_quiesce_heap(), 0);
	gt_snap_take(end);
	gt_expect_pools_back(test, base, end);
	gt_expect_no_reports(test, base, end);
	gt_expect_consistent(test, end);
}

/* === Every page allocation of a request fails in turn === */

static const size_t gt_nth_sizes[] = {
	8, 100, 1024, GOMEM_MAX_SMALL_OBJECT, 40960, SZ_1M, SZ_4M,
};

/* Beyond any number of page allocations one request makes. */
#define GT_NTH_MAX	64

/*
 * One request of @size from an empty heap, with its @n-th page allocation
 * failing: that one only, or (@from) that one and every later one; @tiny
 * says whether the tiny allocator is on. Checks the outcome; returns whether
 * the request made fewer than @n page allocations (nothing failed), and
 * counts the NULLs in @nulls.
 */
static bool gt_nth_request(struct kunit *test, struct gt_snap *base, struct gt_snap *end,
			   size_t size, bool tiny, unsigned int n, bool from, unsigned int *nulls)
{
	unsigned int left, pool = gt_span_pool(size, tiny);
	bool warm;
	void *p;

	gt_assert_empty_heap(test);
	gt_snap_take(base);
	/* Every structure the request needs is in a pool: its first page is the arena's. */
	tiny = tiny && size < GOMEM_TINY_SIZE;
	warm = base->pool_free[pool] && base->pool_free[GOMEM_POOL_SPAN0] &&
	       base->pool_free[GOMEM_POOL_ARENA] && (!tiny || base->pool_free[GOMEM_POOL_TINYMASK]);
	/* fail_nth counts first; once it fired, make_it_fail fails the rest. */
	gt_fail_nth(n);
	gt_fail_pages(from);
	p = gomem_alloc(size, GFP_KERNEL);
	gt_fail_pages(false);
	left = gt_fail_nth_left();
	gt_fail_nth(0);
	/* Without its 4 MiB arena, a smaller request takes a smaller one. */
	if (!from && n == 1 && warm && size < SZ_4M) {
		KUNIT_EXPECT_NOT_NULL_MSG(test, p, "size %zu: no fallback arena", size);
		KUNIT_EXPECT_LT(test, gomem_heap_held_bytes(), SZ_4M);
	}
	if (p) {
		KUNIT_EXPECT_GE(test, gomem_usable_size(p), size);
		gt_stamp(p, size, n);
		KUNIT_EXPECT_TRUE(test, gt_intact(p, size, n));
		gomem_free(p);
	} else {
		(*nulls)++;
	}
	if (from && n == 1)
		KUNIT_EXPECT_NULL_MSG(test, p, "size %zu served with every page failing", size);
	if (left)
		KUNIT_EXPECT_NOT_NULL_MSG(test, p, "size %zu failed with no fault", size);
	KUNIT_EXPECT_EQ_MSG(test, gomem_check_heap(), 0, "size %zu, n %u", size, n);
	KUNIT_EXPECT_EQ_MSG(test, gt_quiesce_heap(), 0, "size %zu, n %u", size, n);
	gt_snap_take(end);
	gt_expect_pools_back(test, base, end);
	gt_expect_no_reports(test, base, end);
	return left;
}

/*
 * From an empty heap, one request with its n-th page allocation failing,
 * for n = 1, 2, ... until a request makes fewer than n; once with that
 * allocation alone failing (gomem falls back to a smaller arena, or fails
 * for want of a metadata page), once with it and all later ones failing
 * (an arena taken, then its metadata refused). Whatever fails, the request
 * returns a usable object or NULL; gomem reports nothing; the heap check
 * passes; after the free the heap is empty again and every metadata pool
 * counts what it did before.
 */
static void gomem_test_fault_nth(struct kunit *test)
{
	struct gt_snap *base = gt_snap_new(test), *end = gt_snap_new(test);
	bool tiny = gt_tiny_enabled(), done = false;
	unsigned int i, n, mode, nulls;

	for (mode = 0; mode < 2; mode++) {
		for (i = 0; i < ARRAY_SIZE(gt_nth_sizes); i++) {
			size_t size = gt_nth_sizes[i];

			nulls = 0;
			for (n = 1; n <= GT_NTH_MAX; n++) {
				done = gt_nth_request(test, base, end, size, tiny, n, mode,
						      &nulls);
				if (done)
					break;
			}
			KUNIT_EXPECT_TRUE_MSG(test, done, "size %zu: over %u page allocations",
					      size, GT_NTH_MAX);
			/* From an empty heap a request needs at least its arena. */
			KUNIT_EXPECT_GT_MSG(test, n, 1, "size %zu made no page allocation", size);
			kunit_info(test, "size %zu: %u page allocations failed in turn%s, %u NULL",
				   size, n - 1, mode ? " with all after them" : "", nulls);
		}
	}
	gt_expect_consistent(test, end);
}

/*
 * The heap grows, its arena comes, and then the arena's metadata cannot be
 * had: the heap has no free run, the span-structure pool has exactly one
 * chunk left (the new large span takes it) and its next page fails, so
 * the free run the new arena needs gets no structure. The request returns
 * NULL and the arena's pages go back to the page allocator: no arena is
 * added, the pools count what they did, the heap check passes.
 *
 * Set-up, with pages working: 64 KiB objects until pool mspan0 is empty
 * (a run of at least 8 pages is left, see gomem_test_fault_span_pool),
 * then 8 KiB objects (class 8192, one page, pool mspan1) until the heap has
 * no idle page; the last one takes a whole run, whose structure goes back
 * to mspan0: its one free chunk.
 */
static void gomem_test_fault_grow_metadata(struct kunit *test)
{
	struct gt_snap *base = gt_snap_new(test), *before = gt_snap_new(test);
	struct gt_snap *after = gt_snap_new(test);
	unsigned long free, pages_before, pages_after;
	unsigned int n = 0, i, left;
	void **objs, *p;

	objs = kvcalloc(GT_FILL_MAX, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_fault_kvfree, objs), 0);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, gomem_class_to_nelems[gt_class_of(8192)], 1);
	gt_assert_empty_heap(test);
	gt_snap_take(base);

	n = gt_empty_pool(test, GOMEM_POOL_SPAN0, SZ_64K, objs, &free);
	KUNIT_ASSERT_EQ(test, free, 0);
	for (;;) {
		gt_snap_take(before);
		if (!before->ms.heap_idle || n == GT_FILL_MAX)
			break;
		objs[n] = gomem_alloc(8192, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[n]);
		n++;
	}
	KUNIT_ASSERT_EQ(test, before->ms.heap_idle, 0);
	KUNIT_ASSERT_EQ_MSG(test, before->pool_free[GOMEM_POOL_SPAN0], 1,
			    "pool mspan0 does not hold exactly one chunk");

	pages_before = gt_free_pages();
	gt_fail_nth(2);
	gt_fail_pages(true);
	p = gomem_alloc(SZ_64K, GFP_KERNEL);
	gt_fail_pages(false);
	left = gt_fail_nth_left();
	gt_fail_nth(0);
	pages_after = gt_free_pages();
	gt_snap_take(after);

	kunit_info(test, "%u objects; heap %llu bytes in %llu arenas; free pages %lu, then %lu",
		   n, before->ms.heap_sys, before->ms.arenas, pages_before, pages_after);
	KUNIT_EXPECT_NULL(test, p);
	gomem_free(p);
	KUNIT_EXPECT_EQ_MSG(test, left, 0, "the request made fewer than 2 page allocations");
	gt_expect_untouched(test, before, after);
	KUNIT_EXPECT_EQ(test, after->pool_free[GOMEM_POOL_SPAN0], 1);
	/*
	 * A lost arena would be 512 pages (a heap of about 20 MB grows by 2
	 * MiB arenas, 1/16 of it rounded up); the arena the failed request
	 * took went back page by page, to the per-CPU lists too.
	 */
	KUNIT_EXPECT_LT(test, pages_before, pages_after + 512);

	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
	KUNIT_EXPECT_EQ(test, gt_quiesce_heap(), 0);
	gt_snap_take(after);
	gt_expect_pools_back(test, base, after);
	gt_expect_no_reports(test, base, after);
	gt_expect_consistent(test, after);
}

/* === realloc === */

/*
 * gomem_realloc() growing an object into a large one (4 MiB: a new arena,
 * whatever the heap holds) while pages fail returns NULL and leaves the
 * old object live and intact, for a tiny, a small and a large object; a
 * size the object already covers is still served in place. Once pages
 * come back the same realloc moves the contents.
 */
static void gomem_test_fault_realloc(struct kunit *test)
{
	static const size_t sizes[] = { 5, 1000, 40000 };
	struct gt_snap *base = gt_snap_new(test), *before = gt_snap_new(test);
	struct gt_snap *after = gt_snap_new(test);
	void *old[ARRAY_SIZE(sizes)], *grown[ARRAY_SIZE(sizes)], *same[ARRAY_SIZE(sizes)];
	size_t usable[ARRAY_SIZE(sizes)];
	unsigned int i;

	gt_assert_empty_heap(test);
	gt_snap_take(base);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		old[i] = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, old[i]);
		usable[i] = gomem_usable_size(old[i]);
		gt_stamp(old[i], usable[i], i);
	}
	gt_snap_take(before);

	gt_fail_pages(true);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		grown[i] = gomem_realloc(old[i], SZ_4M, GFP_KERNEL);
		same[i] = gomem_realloc(old[i], usable[i], GFP_KERNEL);
	}
	gt_fail_pages(false);
	gt_snap_take(after);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_NULL_MSG(test, grown[i], "%zu bytes -> 4 MiB", sizes[i]);
		KUNIT_EXPECT_PTR_EQ(test, same[i], old[i]);
		KUNIT_EXPECT_EQ(test, gomem_usable_size(old[i]), usable[i]);
		KUNIT_EXPECT_TRUE(test, gt_intact(old[i], usable[i], i));
		if (grown[i])
			gomem_free(grown[i]);
	}
	gt_expect_untouched(test, before, after);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		grown[i] = gomem_realloc(old[i], SZ_4M, GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL(test, grown[i]);
		if (!grown[i]) {
			gomem_free(old[i]);
			continue;
		}
		KUNIT_EXPECT_TRUE(test, gt_check(grown[i], usable[i], gt_seed(old[i], i)));
		gomem_free(grown[i]);
	}
	KUNIT_EXPECT_EQ(test, gt_quiesce_heap(), 0);
	gt_snap_take(after);
	KUNIT_EXPECT_EQ(test, after->ms.heap_objects, base->ms.heap_objects);
	gt_expect_pools_back(test, base, after);
	gt_expect_no_reports(test, base, after);
	gt_expect_consistent(test, after);
}

/*
 * gomem_alloc_bulk() is all or nothing: with the page allocator failing, a
 * bulk request larger than the one idle arena the heap kept is served from
 * that arena until it needs another, then returns 0 with every object it
 * had taken freed again (its mallocs went up, its frees by as many, no
 * object is left live); once the page allocator works, the same request is
 * served whole.
 */
static void gomem_test_fault_bulk(struct kunit *test)
{
	const unsigned int n = 300;	/* 32 KiB objects: more than two 4 MiB arenas */
	struct gt_snap *before = gt_snap_new(test), *after = gt_snap_new(test);
	void **p;
	int got;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gt_assert_empty_heap(test);
	/* One arena and span structures to spare, kept idle (under retain_kb). */
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_32K, GFP_KERNEL, 64, p), 64);
	gomem_free_bulk(64, p);

	gt_snap_take(before);
	gt_fail_pages(true);
	got = gomem_alloc_bulk(SZ_32K, GFP_KERNEL, n, p);
	gt_fail_pages(false);
	gt_snap_take(after);
	KUNIT_EXPECT_EQ(test, got, 0);
	KUNIT_EXPECT_GT_MSG(test, after->ms.mallocs, before->ms.mallocs,
			    "the request failed before it took an object");
	KUNIT_EXPECT_EQ(test, after->ms.mallocs - before->ms.mallocs,
			after->ms.frees - before->ms.frees);
	KUNIT_EXPECT_EQ(test, after->ms.heap_objects, before->ms.heap_objects);
	gt_expect_no_reports(test, before, after);
	gt_expect_consistent(test, after);

	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(SZ_32K, GFP_KERNEL, n, p), n);
	gomem_free_bulk(n, p);
	gt_assert_empty_heap(test);
}

/* === RCU-deferred frees with no batch (issue 14) === */

struct gt_rcu_obj {
	struct rcu_head rcu;
	u8 data[48];
};

/*
 * gomem_free_rcu() when no batch can be had (its GFP_NOWAIT allocation of
 * 512 bytes fails: pages fail and the heap's 512-byte room is taken): an
 * object with an rcu_head goes through call_rcu() alone (rcu_batches
 * counts it, rcu_pending holds it until the grace period), a headless one
 * is freed after synchronize_rcu() before the call returns. Both end freed,
 * nothing reported.
 */
static void gomem_test_fault_rcu_no_batch(struct kunit *test)
{
	struct gt_snap *base = gt_snap_new(test), *before = gt_snap_new(test);
	struct gt_snap *after = gt_snap_new(test);
	struct gt_rcu_obj *a, *b;
	unsigned int n = 0, i;
	void **fill;

	fill = kvcalloc(GT_FILL_MAX, sizeof(*fill), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_fault_kvfree, fill), 0);
	/* No batch anywhere: an empty heap holds none. */
	gt_assert_empty_heap(test);
	gt_snap_take(base);
	a = gomem_alloc(sizeof(*a), GFP_KERNEL);
	b = gomem_alloc(sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b);
	gt_fail_pages(true);
	while (n < GT_FILL_MAX && (fill[n] = gomem_alloc(512, GFP_NOWAIT | __GFP_NOWARN)))
		n++;
	KUNIT_EXPECT_LT_MSG(test, n, GT_FILL_MAX, "512-byte room left after %u objects", n);
	/*
	 * Inside a read-side section no grace period ends: a is still pending
	 * (the statistics alone: gt_snap_take() waits for RCU).
	 */
	rcu_read_lock();
	gomem_read_memstats(&before->ms);
	gomem_free_rcu(a, rcu);
	gomem_read_memstats(&after->ms);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, after->ms.rcu_batches - before->ms.rcu_batches, 1);
	KUNIT_EXPECT_EQ(test, after->ms.rcu_pending - before->ms.rcu_pending, 1);
	KUNIT_EXPECT_EQ(test, after->ms.heap_objects, before->ms.heap_objects);
	rcu_barrier();
	gt_snap_take(after);
	KUNIT_EXPECT_EQ(test, after->ms.rcu_pending, before->ms.rcu_pending);
	KUNIT_EXPECT_EQ(test, before->ms.heap_objects - after->ms.heap_objects, 1);
	/* Headless: freed when the call returns, through no callback. */
	gt_snap_take(before);
	gomem_free_rcu_mightsleep(b);
	gt_snap_take(after);
	gt_fail_pages(false);
	KUNIT_EXPECT_EQ(test, after->ms.rcu_batches, before->ms.rcu_batches);
	KUNIT_EXPECT_EQ(test, after->ms.rcu_pending, before->ms.rcu_pending);
	KUNIT_EXPECT_EQ(test, before->ms.heap_objects - after->ms.heap_objects, 1);
	for (i = 0; i < n; i++)
		gomem_free(fill[i]);
	gt_snap_take(after);
	gt_expect_no_reports(test, base, after);
	gt_assert_empty_heap(test);
}

/*
 * A client's first allocation when no page can be had for its counters:
 * the object is served (from the cache) and counted in "(other)", the
 * client stays unregistered; its next allocation, with pages, registers it
 * and counts there. Both frees count where their objects were counted.
 */
static void gomem_test_fault_client_counters(struct kunit *test)
{
	static struct module mod = { .name = "gt_fault_client" };
	struct gomem_client_stats other0 = {}, other1, st;
	struct gomem_client cl = { .mod = &mod };
	void *a, *b;

	gt_find_row("(other)", &other0);
	migrate_disable();
	/* An object in this CPU's cache: the allocation itself needs no page. */
	gomem_free(gomem_alloc(64, GFP_KERNEL));
	gt_fail_pages(true);
	a = __gomem_alloc(64, GFP_KERNEL, &cl);
	gt_fail_pages(false);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, READ_ONCE(cl.id), 0);
	KUNIT_EXPECT_EQ(test, gomem_read_module_stats(&mod, &st), -ENOENT);
	KUNIT_ASSERT_TRUE(test, gt_find_row("(other)", &other1));
	KUNIT_EXPECT_EQ(test, other1.mallocs - other0.mallocs, 1);
	KUNIT_EXPECT_EQ(test, other1.live_bytes - other0.live_bytes, 64);

	b = __gomem_alloc(64, GFP_KERNEL, &cl);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_NE(test, READ_ONCE(cl.id), 0);
	KUNIT_EXPECT_NE(test, READ_ONCE(cl.id), GOMEM_CLIENT_OTHER);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&mod, &st), 0);
	KUNIT_EXPECT_EQ(test, st.mallocs, 1);
	KUNIT_EXPECT_EQ(test, st.live_objects, 1);
	KUNIT_EXPECT_EQ(test, st.live_bytes, 64);

	gomem_free(a);
	gomem_free(b);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&mod, &st), 0);
	KUNIT_EXPECT_EQ(test, st.frees, 1);
	KUNIT_EXPECT_EQ(test, st.live_objects, 0);
	KUNIT_ASSERT_TRUE(test, gt_find_row("(other)", &other1));
	KUNIT_EXPECT_EQ(test, other1.frees - other0.frees, 1);
	KUNIT_EXPECT_EQ(test, other1.live_objects, other0.live_objects);
	gomem_client_gone(&mod);
	KUNIT_EXPECT_FALSE(test, gt_find_row("gt_fault_client", &st));
}

static struct kunit_case gomem_fault_cases[] = {
	KUNIT_CASE(gomem_test_fault_empty_heap),
	KUNIT_CASE(gomem_test_fault_recovery),
	KUNIT_CASE_SLOW(gomem_test_fault_heap_runs_out),
	KUNIT_CASE_PARAM_ATTR(gomem_test_fault_span_pool, gt_pool_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_SLOW(gomem_test_fault_grow_metadata),
	KUNIT_CASE_SLOW(gomem_test_fault_nth),
	KUNIT_CASE(gomem_test_fault_realloc),
	KUNIT_CASE(gomem_test_fault_bulk),
	KUNIT_CASE(gomem_test_fault_rcu_no_batch),
	KUNIT_CASE(gomem_test_fault_client_counters),
	{}
};

static struct kunit_suite gomem_fault_suite = {
	.name = "gomem_fault",
	.init = gt_fault_init,
	.exit = gt_suite_exit,
	.test_cases = gomem_fault_cases,
};

kunit_test_suite(gomem_fault_suite);
