// SPDX-License-Identifier: GPL-2.0
/*
 * Suites gomem_realloc and gomem_bad_input: gomem_realloc() keeps
 * krealloc()'s promises, and a pointer that is not a live gomem object is
 * reported, counted and ignored by gomem_free(), gomem_usable_size() and
 * gomem_realloc(), leaving the heap as it was.
 */

#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gomem_test.h"

/* The report a call on @p gets once @p, from a request of @size bytes, is freed. */
static enum gomem_error gt_freed_error(size_t size)
{
	/*
	 * A freed small or tiny object is still in its span, not live: a
	 * double free. A freed large object's pages are a free run (or back
	 * in the page allocator), which gomem cannot tell from any pointer it
	 * never returned: an invalid pointer.
	 */
	return size + gomem_debug_overhead() > GOMEM_MAX_SMALL_OBJECT ? GOMEM_ERR_INVALID_FREE :
	       GOMEM_ERR_DOUBLE_FREE;
}

/* === gomem_realloc === */

struct gt_realloc_param {
	size_t from, to;
	const char *desc;
};

/* New sizes the old object's usable size already covers. */
static const struct gt_realloc_param gt_in_place[] = {
	{ 5, 5, "tiny 5 -> 5" },
	{ 5, 1, "tiny 5 -> 1" },
	{ 100, 112, "100 -> 112 (its class size)" },
	{ 100, 1, "100 -> 1 (tiny size)" },
	{ 112, 97, "112 -> 97 (same class)" },
	{ 32768, 16385, "32768 -> 16385" },
	{ 40000, 40960, "large 40000 -> 40960 (its pages)" },
	{ 40000, 16, "large 40000 -> 16" },
	{ SZ_1M + 1, SZ_1M + 8192, "large 1 MiB + 1 -> 1 MiB + 8192" },
};

KUNIT_ARRAY_PARAM_DESC(gt_in_place, gt_in_place, desc);

/* A new size within the usable size returns the same object, contents kept. */
static void gomem_test_realloc_in_place(struct kunit *test)
{
	const struct gt_realloc_param *r = test->param_value;
	size_t usable;
	void *p, *q;

	if (gomem_debug_mode() && r->from != r->to)
		kunit_skip(test, "debug mode moves an object whose size changes (see gomem_debug)");
	p = gomem_alloc(r->from, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	usable = gomem_usable_size(p);
	gt_stamp(p, usable, 1);
	q = gomem_realloc(p, r->to, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), usable);
	KUNIT_EXPECT_TRUE(test, gt_intact(p, usable, 1));
	gomem_free(p);
}

/*
 * Growing beyond the usable size moves the object through every kind
 * (tiny, small classes, large pages): the old usable bytes come along and
 * the old object is freed (a later call on it is reported).
 */
static void gomem_test_realloc_moves(struct kunit *test)
{
	static const size_t chain[] = {
		1, 7, 15, 16, 100, 1000, 5000, 32768, 32769, SZ_1M, SZ_4M,
	};
	struct gt_errors *e = gt_errors_start(test);
	bool tiny = gt_tiny_enabled();
	size_t usable, want;
	unsigned long align;
	unsigned int i;
	void *p, *q;

	p = gomem_alloc(chain[0], GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 1; i < ARRAY_SIZE(chain); i++) {
		size_t size = min(chain[i], gt_max_size());

		usable = gomem_usable_size(p);
		if (usable >= size)
			continue;	/* tiny off: 1, 7 and 15 share a class */
		/* A seed of its own: the contents move to another address. */
		gt_fill(p, usable, i);
		q = gomem_realloc(p, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL_MSG(test, q, "%zu -> %zu", chain[i - 1], size);
		KUNIT_EXPECT_PTR_NE(test, q, p);
		gt_layout(size, tiny, &want, &align);
		KUNIT_EXPECT_EQ(test, gomem_usable_size(q), want);
		KUNIT_EXPECT_TRUE_MSG(test, gt_check(q, usable, i), "%zu -> %zu lost contents",
				      chain[i - 1], chain[i]);
		GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
		/* The old object is freed. */
		KUNIT_EXPECT_EQ(test, gomem_usable_size(p), 0);
		GT_EXPECT_REPORT(test, e, gt_freed_error(chain[i - 1]), p, __func__);
		GT_EXPECT_ERRORS(test, e, gt_freed_error(chain[i - 1]), 1);
		p = q;
	}
	gomem_free(p);
}

/* NULL allocates; size 0 frees and returns the zero-size address. */
static void gomem_test_realloc_null_and_zero(struct kunit *test)
{
	static const size_t sizes[] = { 5, 100, 40000 };
	struct gt_errors *e = gt_errors_start(test);
	void *zero = gomem_alloc(0, GFP_KERNEL);
	unsigned int i;
	void *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomem_realloc(NULL, sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_GE(test, gomem_usable_size(p), sizes[i]);
		gt_stamp(p, sizes[i], i);
		KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(p, 0, GFP_KERNEL), zero);
		GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
		/* It was freed. */
		KUNIT_EXPECT_EQ(test, gomem_usable_size(p), 0);
		GT_EXPECT_REPORT(test, e, gt_freed_error(sizes[i]), p, __func__);
		GT_EXPECT_ERRORS(test, e, gt_freed_error(sizes[i]), 1);
	}
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(NULL, 0, GFP_KERNEL), zero);
}

/* On failure realloc returns NULL and the old object is untouched and live. */
static void gomem_test_realloc_failure(struct kunit *test)
{
	static const size_t sizes[] = { 5, 100, 32768, 40000 };
	static const struct {
		size_t size;
		gfp_t gfp;
	} fails[] = {
		{ SIZE_MAX, GFP_KERNEL },
		{ SZ_4M + 1, GFP_KERNEL },
		{ SZ_8M, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN },
		{ SZ_4M, GFP_KERNEL | __GFP_DMA },
		{ SZ_4M, GFP_KERNEL | __GFP_DMA32 },
	};
	struct gt_errors *e = gt_errors_start(test);
	unsigned int i, j;
	size_t usable;
	void *p, *q;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = gomem_usable_size(p);
		gt_fill(p, usable, i);
		for (j = 0; j < ARRAY_SIZE(fails); j++)
			KUNIT_EXPECT_NULL_MSG(test, gomem_realloc(p, fails[j].size, fails[j].gfp),
					      "%zu -> %zu", sizes[i], fails[j].size);
		KUNIT_EXPECT_EQ(test, gomem_usable_size(p), usable);
		KUNIT_EXPECT_TRUE(test, gt_check(p, usable, i));
		/* Still a live object: it can grow, and be freed once. */
		q = gomem_realloc(p, usable + 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_TRUE(test, gt_check(q, usable, i));
		gomem_free(q);
		GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
	}
}

/* === gomem_bad_input === */

#define GT_BAD_KEEP	2

/**
 * struct gt_bad - what a bad pointer was made from
 * @keep: live gomem objects next to it, stamped, freed at the end
 * @keep_size: their sizes
 * @nkeep: how many
 * @foreign: another allocator's memory, stamped, checked untouched
 * @foreign_size: its size
 * @page: the page of @foreign when it came from alloc_page()
 * @vmem: @foreign came from vmalloc()
 * @stack: a variable on the test's stack, stamped, checked untouched
 */
struct gt_bad {
	void *keep[GT_BAD_KEEP];
	size_t keep_size[GT_BAD_KEEP];
	unsigned int nkeep;
	void *foreign;
	size_t foreign_size;
	struct page *page;
	bool vmem;
	u64 *stack;
};

struct gt_bad_param {
	const char *desc;
	void *(*make)(struct gt_bad *b);
	enum gomem_error err;
};

static void *gt_bad_keep(struct gt_bad *b, size_t size)
{
	void *p = gomem_alloc(size, GFP_KERNEL);

	if (p) {
		gt_stamp(p, size, b->nkeep);
		b->keep_size[b->nkeep] = size;
		b->keep[b->nkeep++] = p;
	}
	return p;
}

static void *gt_bad_freed(size_t size)
{
	void *p = gomem_alloc(size, GFP_KERNEL);

	gomem_free(p);
	return p;
}

static void *gt_bad_kmalloc(struct gt_bad *b)
{
	b->foreign_size = 64;
	b->foreign = kmalloc(b->foreign_size, GFP_KERNEL);
	return b->foreign;
}

static void *gt_bad_vmalloc(struct gt_bad *b)
{
	b->foreign_size = 2 * GOMEM_PAGE_SIZE;
	b->foreign = vmalloc(b->foreign_size);
	b->vmem = true;
	return b->foreign;
}

static void *gt_bad_page(struct gt_bad *b)
{
	b->page = alloc_page(GFP_KERNEL);
	if (!b->page)
		return NULL;
	b->foreign_size = PAGE_SIZE;
	b->foreign = page_address(b->page);
	return b->foreign;
}

static void *gt_bad_stack(struct gt_bad *b)
{
	return b->stack;
}

static void *gt_bad_small_interior(struct gt_bad *b)
{
	u8 *p = gt_bad_keep(b, 64);

	return p ? p + 8 : NULL;
}

static void *gt_bad_tiny_interior(struct gt_bad *b)
{
	u8 *p = gt_bad_keep(b, 8);

	return p ? p + 1 : NULL;
}

static void *gt_bad_large_interior(struct gt_bad *b)
{
	u8 *p = gt_bad_keep(b, 40000);

	return p ? p + GOMEM_PAGE_SIZE : NULL;
}

/* Past the last object of a span of 24-byte objects (341 fill 8184 of 8192 bytes). */
static void *gt_bad_span_tail(struct gt_bad *b)
{
	unsigned int sc = gt_class_of(24);
	u8 *p = gt_bad_keep(b, 24);

	if (!p || gomem_class_to_npages[sc] != 1)
		return NULL;
	return (u8 *)ALIGN_DOWN((unsigned long)p, GOMEM_PAGE_SIZE) +
	       gomem_class_to_nelems[sc] * gomem_class_to_size[sc];
}

static void *gt_bad_small_freed(struct gt_bad *b)
{
	return gt_bad_freed(64);
}

static void *gt_bad_tiny_freed(struct gt_bad *b)
{
	void *p = gomem_alloc(4, GFP_KERNEL);

	gt_bad_keep(b, 4);		/* a live neighbour, likely in the same block */
	gomem_free(p);
	return p;
}

static void *gt_bad_large_freed(struct gt_bad *b)
{
	return gt_bad_freed(SZ_64K);
}

static const struct gt_bad_param gt_bad_params[] = {
	{ "kmalloc() object", gt_bad_kmalloc, GOMEM_ERR_INVALID_FREE },
	{ "vmalloc() memory", gt_bad_vmalloc, GOMEM_ERR_INVALID_FREE },
	{ "alloc_page() page", gt_bad_page, GOMEM_ERR_INVALID_FREE },
	{ "stack address", gt_bad_stack, GOMEM_ERR_INVALID_FREE },
	{ "64-byte object + 8", gt_bad_small_interior, GOMEM_ERR_INVALID_FREE },
	{ "8-byte tiny object + 1", gt_bad_tiny_interior, GOMEM_ERR_INVALID_FREE },
	{ "large object + 8 KiB", gt_bad_large_interior, GOMEM_ERR_INVALID_FREE },
	{ "tail of a span, past its last object", gt_bad_span_tail, GOMEM_ERR_INVALID_FREE },
	{ "freed 64-byte object", gt_bad_small_freed, GOMEM_ERR_DOUBLE_FREE },
	{ "freed 4-byte tiny object", gt_bad_tiny_freed, GOMEM_ERR_DOUBLE_FREE },
	{ "freed 64 KiB large object", gt_bad_large_freed, GOMEM_ERR_INVALID_FREE },
};

KUNIT_ARRAY_PARAM_DESC(gt_bad_params, gt_bad_params, desc);

/*
 * gomem_free(), gomem_usable_size() and gomem_realloc() (growing and to
 * size 0) of the bad pointer: each is one report of the expected kind,
 * counted by this test rather than printed, and does nothing else: the
 * memory the pointer is in and the objects next to it are untouched, and
 * those objects, and new ones of their sizes, are freed normally after.
 */
static void gomem_test_bad_pointer(struct kunit *test)
{
	const struct gt_bad_param *bp = test->param_value;
	struct gt_errors *e = gt_errors_start(test);
	struct gt_bad *b;
	unsigned int i;
	u64 on_stack;
	void *p, *q;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->stack = &on_stack;
	gt_stamp(&on_stack, sizeof(on_stack), 7);
	p = bp->make(b);
	KUNIT_ASSERT_NOT_NULL(test, p);
	if (b->foreign)
		gt_stamp(b->foreign, b->foreign_size, 9);
	GT_EXPECT_ERRORS(test, e, bp->err, 0);

	gomem_free(p);
	GT_EXPECT_REPORT(test, e, bp->err, p, __func__);
	GT_EXPECT_ERRORS(test, e, bp->err, 1);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), 0);
	GT_EXPECT_REPORT(test, e, bp->err, p, __func__);
	GT_EXPECT_ERRORS(test, e, bp->err, 1);
	KUNIT_EXPECT_NULL(test, gomem_realloc(p, 100, GFP_KERNEL));
	GT_EXPECT_REPORT(test, e, bp->err, p, __func__);
	GT_EXPECT_ERRORS(test, e, bp->err, 1);
	KUNIT_EXPECT_NULL(test, gomem_realloc(p, 0, GFP_KERNEL));
	GT_EXPECT_REPORT(test, e, bp->err, p, __func__);
	GT_EXPECT_ERRORS(test, e, bp->err, 1);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);

	/* Nothing was written or freed. */
	KUNIT_EXPECT_TRUE(test, gt_intact(&on_stack, sizeof(on_stack), 7));
	if (b->foreign)
		KUNIT_EXPECT_TRUE(test, gt_intact(b->foreign, b->foreign_size, 9));
	for (i = 0; i < b->nkeep; i++) {
		KUNIT_EXPECT_TRUE(test, gt_intact(b->keep[i], b->keep_size[i], i));
		KUNIT_EXPECT_GE(test, gomem_usable_size(b->keep[i]), b->keep_size[i]);
		gomem_free(b->keep[i]);
	}
	/* The sizes concerned still allocate and free normally. */
	for (i = 0; i < b->nkeep; i++) {
		q = gomem_alloc(b->keep_size[i], GFP_KERNEL);
		KUNIT_EXPECT_NOT_NULL(test, q);
		gomem_free(q);
	}
	q = gomem_alloc(SZ_64K, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, q);
	gomem_free(q);
	GT_EXPECT_ERRORS(test, e, bp->err, 0);

	if (b->vmem)
		vfree(b->foreign);
	else if (b->page)
		__free_page(b->page);
	else
		kfree(b->foreign);
}

static DEFINE_RAW_SPINLOCK(gt_caller_lock);

/*
 * Bad frees made while the caller holds a raw spinlock with interrupts off
 * (as a driver may, on any kernel including PREEMPT_RT): each is reported
 * once, and the report itself takes no lock a raw spinlock may not nest
 * (the debug test kernel has PROVE_RAW_LOCK_NESTING: a spinlock_t here is
 * an "Invalid wait context" splat, which fails make check).
 */
static void gomem_test_bad_free_atomic(struct kunit *test)
{
	static const size_t sizes[] = { 4, 64, SZ_64K };
	struct gt_errors *e = gt_errors_start(test);
	void *foreign = kmalloc(64, GFP_KERNEL);
	unsigned long flags;
	unsigned int i;
	void *dead;

	KUNIT_ASSERT_NOT_NULL(test, foreign);
	raw_spin_lock_irqsave(&gt_caller_lock, flags);
	gomem_free(foreign);
	raw_spin_unlock_irqrestore(&gt_caller_lock, flags);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, foreign, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	kfree(foreign);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		dead = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, dead);
		gomem_free(dead);
		raw_spin_lock_irqsave(&gt_caller_lock, flags);
		gomem_free(dead);
		raw_spin_unlock_irqrestore(&gt_caller_lock, flags);
		GT_EXPECT_REPORT(test, e, gt_freed_error(sizes[i]), dead, __func__);
		GT_EXPECT_ERRORS(test, e, gt_freed_error(sizes[i]), 1);
	}
}

/* Double frees of each kind, interleaved with live objects of the same classes. */
static void gomem_test_double_free_kinds(struct kunit *test)
{
	static const size_t sizes[] = { 3, 8, 64, 1024, 32768, 40000, SZ_1M };
	struct gt_errors *e = gt_errors_start(test);
	void *live[ARRAY_SIZE(sizes)], *dead;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		live[i] = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, live[i]);
		gt_stamp(live[i], sizes[i], i);
		dead = gomem_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, dead);
		gomem_free(dead);
		gomem_free(dead);
		GT_EXPECT_REPORT(test, e, gt_freed_error(sizes[i]), dead, __func__);
		GT_EXPECT_ERRORS(test, e, gt_freed_error(sizes[i]), 1);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_TRUE(test, gt_intact(live[i], sizes[i], i));
		gomem_free(live[i]);
	}
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 0);
}

/* === Bulk allocation and free === */

struct gt_bulk_param {
	size_t size;
	unsigned int n;
	const char *desc;
};

static const struct gt_bulk_param gt_bulk[] = {
	{ 1, 64, "1 B x 64" },		/* under the tiny size: a size class */
	{ 64, 1, "64 B x 1" },
	{ 64, 16, "64 B x 16" },
	{ 64, 1000, "64 B x 1000 (refills)" },
	{ 1024, 200, "1 KiB x 200" },
	{ 32768, 40, "32 KiB x 40" },
	{ 40000, 8, "40000 B x 8 (large)" },
	{ 0, 4, "0 B x 4 (zero-size address)" },
};

KUNIT_ARRAY_PARAM_DESC(gt_bulk, gt_bulk, desc);

/* Objects live in gomem; U64_MAX if the snapshot (too large for a stack) cannot be had. */
static u64 gt_live_objects(void)
{
	struct gomem_memstats *ms = kmalloc(sizeof(*ms), GFP_KERNEL);
	u64 live;

	if (!ms)
		return U64_MAX;
	gomem_read_memstats(ms);
	live = ms->mallocs - ms->frees;
	kfree(ms);
	return live;
}

/*
 * gomem_alloc_bulk() gives n distinct objects of the size asked, each
 * usable, aligned as gomem_alloc()'s and counted; gomem_free_bulk() takes
 * them all back, in any order, with the heap consistent after each.
 */
static void gomem_test_bulk(struct kunit *test)
{
	const struct gt_bulk_param *b = test->param_value;
	u64 live = gt_live_objects();
	unsigned long align = 1;
	unsigned int i, j;
	size_t usable = 0;
	void **p;

	/* A bulk allocation never packs tiny objects: their size class's layout. */
	if (b->size)
		gt_layout(b->size, false, &usable, &align);
	p = kunit_kcalloc(test, b->n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(b->size, GFP_KERNEL, b->n, p), b->n);
	KUNIT_EXPECT_EQ(test, gt_live_objects(), live + (b->size ? b->n : 0));
	for (i = 0; i < b->n; i++) {
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		if (!b->size)
			continue;
		KUNIT_EXPECT_EQ(test, gomem_usable_size(p[i]), usable);
		KUNIT_EXPECT_EQ(test, (unsigned long)p[i] % align, 0);
		gt_stamp(p[i], b->size, i);
	}
	/* Distinct: no object was handed out twice (each stamp still intact). */
	for (i = 0; i < b->n && b->size; i++)
		KUNIT_EXPECT_TRUE_MSG(test, gt_intact(p[i], b->size, i), "object %u", i);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	/* Free in an order unlike allocation's: odd ones first, then even. */
	for (i = 0, j = 0; i < b->n; i += 2, j++)
		swap(p[j], p[i]);	/* swap() evaluates its arguments twice */
	gomem_free_bulk(b->n, p);
	KUNIT_EXPECT_EQ(test, gt_live_objects(), live);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

/* __GFP_ZERO zeroes every object of a bulk allocation, recycled ones too. */
static void gomem_test_bulk_zero(struct kunit *test)
{
	void *p[48];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(200, GFP_KERNEL, ARRAY_SIZE(p), p),
			ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		memset(p[i], 0xa5, 200);
	gomem_free_bulk(ARRAY_SIZE(p), p);
	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(200, GFP_KERNEL | __GFP_ZERO, ARRAY_SIZE(p), p),
			ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_NULL_MSG(test, memchr_inv(p[i], 0, 200), "object %u", i);
	gomem_free_bulk(ARRAY_SIZE(p), p);
}

/*
 * What gomem_alloc_bulk() refuses it refuses whole (nothing allocated), and
 * gomem_free_bulk() reports each bad pointer as gomem_free() does - a
 * foreign one, an interior one, one given twice - frees the rest and
 * leaves the heap consistent.
 */
static void gomem_test_bulk_bad(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	void *foreign = kmalloc(64, GFP_KERNEL);
	u64 live = gt_live_objects();
	void *p[8], *q[8];

	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL | __GFP_DMA, 8, p), 0);
	KUNIT_EXPECT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, 0, p), 0);
	KUNIT_EXPECT_EQ(test, gt_live_objects(), live);

	KUNIT_ASSERT_EQ(test, gomem_alloc_bulk(64, GFP_KERNEL, 4, p), 4);
	q[0] = p[0];
	q[1] = foreign;
	q[2] = p[1];
	q[3] = (char *)p[2] + 8;	/* interior */
	q[4] = p[1];			/* twice */
	q[5] = NULL;
	q[6] = p[3];
	gomem_free_bulk(7, q);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, foreign, __func__);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, q[3], __func__);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_DOUBLE_FREE, p[1], __func__);
	KUNIT_EXPECT_EQ(test, gt_errors_delta(e, GOMEM_ERR_INVALID_FREE), 2);
	KUNIT_EXPECT_EQ(test, gt_errors_delta(e, GOMEM_ERR_DOUBLE_FREE), 1);
	KUNIT_EXPECT_EQ(test, gt_errors_delta_all(e), 3);
	KUNIT_EXPECT_EQ(test, gt_errors_claimed(e), 3);
	KUNIT_EXPECT_EQ(test, gt_errors_unchecked(e), 0);
	gt_errors_mark(e);
	/* Only p[2] is left, still live. */
	KUNIT_EXPECT_EQ(test, gt_live_objects(), live + 1);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p[2]), 64);
	gomem_free(p[2]);
	KUNIT_EXPECT_EQ(test, gt_live_objects(), live);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	kfree(foreign);
}

/* Frees of objects of @size bytes (their class's, or debug mode's slots') in snapshot @ms. */
static u64 gt_class_frees(const struct gomem_memstats *ms, size_t size)
{
	unsigned int sc;
	size_t bytes;

	gt_counted_as(size, false, &bytes, &sc);
	return ms->by_size[sc].frees;
}

/*
 * gomem_free_bulk() of objects of three sizes, interleaved, so that every
 * pointer is in another span than the one before: each goes back to its
 * own class, counted there, and a later allocation of each size gets an
 * object of that size's class (none went to another class's cache).
 */
static void gomem_test_bulk_mixed(struct kunit *test)
{
	static const size_t sizes[] = { 64, 256, 4096 };
	const unsigned int per_size = 48 / ARRAY_SIZE(sizes);
	struct gomem_memstats *before, *after;
	u64 live = gt_live_objects();
	unsigned int i, round;
	unsigned long align;
	size_t usable;
	void *p[48];

	before = kunit_kmalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kmalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < ARRAY_SIZE(p); i++) {
			size_t size = sizes[i % ARRAY_SIZE(sizes)];

			p[i] = gomem_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i]);
			gt_layout(size, false, &usable, &align);
			KUNIT_EXPECT_EQ_MSG(test, gomem_usable_size(p[i]), usable,
					    "round %u, object %u", round, i);
		}
		gomem_read_memstats(before);
		gomem_free_bulk(ARRAY_SIZE(p), p);
		gomem_read_memstats(after);
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			KUNIT_EXPECT_EQ_MSG(test, gt_class_frees(after, sizes[i]) -
					    gt_class_frees(before, sizes[i]), per_size,
					    "%zu bytes", sizes[i]);
		KUNIT_EXPECT_EQ(test, gt_live_objects(), live);
		KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	}
}

static struct kunit_case gomem_bulk_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_bulk, gt_bulk_gen_params),
	KUNIT_CASE(gomem_test_bulk_zero),
	KUNIT_CASE(gomem_test_bulk_bad),
	KUNIT_CASE(gomem_test_bulk_mixed),
	{}
};

static struct kunit_suite gomem_bulk_suite = {
	.name = "gomem_bulk",
	.exit = gt_suite_exit,
	.test_cases = gomem_bulk_cases,
};

static struct kunit_case gomem_realloc_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_realloc_in_place, gt_in_place_gen_params),
	KUNIT_CASE(gomem_test_realloc_moves),
	KUNIT_CASE(gomem_test_realloc_null_and_zero),
	KUNIT_CASE(gomem_test_realloc_failure),
	{}
};

static struct kunit_suite gomem_realloc_suite = {
	.name = "gomem_realloc",
	.exit = gt_suite_exit,
	.test_cases = gomem_realloc_cases,
};

static struct kunit_case gomem_bad_input_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_bad_pointer, gt_bad_params_gen_params),
	KUNIT_CASE(gomem_test_double_free_kinds),
	KUNIT_CASE(gomem_test_bad_free_atomic),
	{}
};

static struct kunit_suite gomem_bad_input_suite = {
	.name = "gomem_bad_input",
	.exit = gt_suite_exit,
	.test_cases = gomem_bad_input_cases,
};

kunit_test_suites(&gomem_realloc_suite, &gomem_bad_input_suite, &gomem_bulk_suite);
