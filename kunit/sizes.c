// SPDX-License-Identifier: GPL-2.0
/*
 * Suites gomem_sizes, gomem_tiny and gomem_large: every request size gets
 * the usable size, size class and alignment gomem documents, the tiny
 * allocator packs as Go's does, and large objects take whole pages.
 */

#include <kunit/test.h>
#include <linux/align.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "gomem_test.h"

/* Failures reported one by one before a loop only counts them. */
#define GT_MAX_REPORTS	5

/*
 * Allocate @size bytes and check what gomem documents for them: usable size
 * (the smallest class that fits), alignment, every usable byte writable.
 * Return: 0, or 1 after reporting a mismatch (the first few only).
 */
static int gt_check_size(struct kunit *test, size_t size, bool tiny, unsigned int *reported)
{
	size_t usable = 0, got = 0;
	unsigned long align = 0;
	const char *what;
	u8 *p;

	p = gomem_alloc(size, GFP_KERNEL);
	what = "allocation failed";
	if (!p)
		goto bad;
	got = gomem_usable_size(p);
	if (!size) {
		/* The zero-size address: no usable byte, nothing to write. */
		what = "size 0 has usable bytes";
		if (got)
			goto bad;
		return 0;
	}
	gt_layout(size, tiny, &usable, &align);
	what = "usable size is not the documented one (smallest class that fits)";
	if (got != usable || got < size)
		goto bad;
	what = "object is misaligned";
	if (!IS_ALIGNED((unsigned long)p, align))
		goto bad;
	memset(p, (u8)size | 1, usable);
	what = "usable bytes do not read back";
	if (memchr_inv(p, (u8)size | 1, usable))
		goto bad;
	gomem_free(p);
	return 0;

bad:
	if ((*reported)++ < GT_MAX_REPORTS)
		KUNIT_FAIL(test,
			   "size %zu: %s (usable %zu, expected %zu, align %lu, page offset %lu)",
			   size, what, got, usable, align, (unsigned long)p % GOMEM_PAGE_SIZE);
	gomem_free(p);
	return 1;
}

/* === gomem_sizes === */

struct gt_size_range {
	size_t first, last, step;
	const char *desc;
};

/*
 * Every size. A size costs an allocation, a free and a memset of its usable
 * size, several microseconds under QEMU TCG with lockdep; on a KCSAN kernel
 * many times that, and the large range outlasted KUnit's 300 s per case on
 * a loaded host (3 December 2026): there, above 4 KiB, a prime stride of 13,
 * which still lands on every residue of the classes' alignments
 * (gomem_sizes.class_boundaries covers each class's edges exactly).
 */
static const struct gt_size_range gt_size_ranges[] = {
	{ 0, 15, 1, "0-15 (zero, tiny)" },
	{ 16, 1024, 1, "16-1024 (8-byte steps of classes)" },
	{ 1025, 4096, 1, "1025-4096" },
	{ 4097, GOMEM_MAX_SMALL_OBJECT, 1, "4097-32768" },
	{ GOMEM_MAX_SMALL_OBJECT + 1, SZ_64K, 1, "32769-65536 (large)" },
};

KUNIT_ARRAY_PARAM_DESC(gt_size_ranges, gt_size_ranges, desc);

static void gomem_test_every_size(struct kunit *test)
{
	const struct gt_size_range *r = test->param_value;
	unsigned int reported = 0, bad = 0, n = 0;
	bool tiny = gt_tiny_enabled();
	size_t size, step = r->step;

	if (IS_ENABLED(CONFIG_KCSAN) && r->first > SZ_4K)
		step = 13;
	for (size = r->first; size <= r->last; size += step, n++) {
		bad += gt_check_size(test, size, tiny, &reported);
		cond_resched();
	}
	/* The last size of the range, when the stride skipped it. */
	if ((r->last - r->first) % step) {
		bad += gt_check_size(test, r->last, tiny, &reported);
		n++;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "%u of %u sizes wrong", bad, n);
}

/* Parameters: each size class, as a pointer into gomem_class_to_size[]. */
static const void *gt_class_gen(const void *prev, char *desc)
{
	const u16 *c = prev ? (const u16 *)prev + 1 : &gomem_class_to_size[1];
	unsigned int sc = c - gomem_class_to_size;

	if (sc >= GOMEM_NUM_SIZE_CLASSES)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "class %u, %u bytes, %u per span", sc, *c,
		 gomem_class_to_nelems[sc]);
	return c;
}

/*
 * A class's edges: its size and one byte less go to it, one byte more to the
 * next class (or large pages), one more than the previous class to it. Then
 * a whole span and one more object: all distinct, aligned, not overlapping.
 */
static void gomem_test_class_boundaries(struct kunit *test)
{
	const u16 *c = test->param_value;
	unsigned int sc = c - gomem_class_to_size, nelems = gomem_class_to_nelems[sc];
	size_t size = *c, prev = gomem_class_to_size[sc - 1];
	size_t edges[] = { size, size - 1, size + 1, prev + 1 };
	unsigned int i, reported = 0, bad = 0, n = nelems + 1;
	bool tiny = gt_tiny_enabled();
	unsigned long align;
	size_t usable;
	void **objs;

	gt_layout(size, tiny, &usable, &align);	/* debug mode: another class */
	KUNIT_EXPECT_EQ(test, gt_class_of(size), sc);
	KUNIT_EXPECT_EQ(test, gt_class_of(prev + 1), sc);
	for (i = 0; i < ARRAY_SIZE(edges); i++)
		bad += gt_check_size(test, edges[i], tiny, &reported);
	KUNIT_EXPECT_EQ(test, bad, 0);

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0, bad = 0; i < n; i++) {
		objs[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		bad += !IS_ALIGNED((unsigned long)objs[i], align);
		gt_stamp(objs[i], size, sc);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects misaligned");
	for (i = 0, bad = 0; i < n; i++)
		bad += !gt_intact(objs[i], size, sc);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects overlap");
	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
}

/* Sort pointers ascending (sort()'s comparison). */
static int gt_ptr_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * The objects a refill hands out are the span's own and handed out once:
 * each a start of one of its objects, below nelems (a span's last word of
 * alloc bits is partly past nelems for most classes), and none twice. Three
 * spans and one more object; then four rounds of: a random third freed, the
 * caches and transfer caches drained (their alloc bits cleared, in words
 * before and after the one where the span's scan stopped), and as many
 * allocated again, which the scans must find, wrapping around.
 */
static void gomem_test_class_refill_exact(struct kunit *test)
{
	const u16 *c = test->param_value;
	unsigned int sc = c - gomem_class_to_size, nelems = gomem_class_to_nelems[sc];
	unsigned int i, r, n = 3 * nelems + 1, bad = 0, dup = 0;
	u32 rnd = 0x9e3779b9 ^ sc;
	size_t size = *c;
	void **objs;

	if (gomem_debug_mode())
		kunit_skip(test, "debug mode: objects are slots of other classes");
	if (size < GOMEM_TINY_SIZE && gt_tiny_enabled())
		kunit_skip(test, "tiny objects: blocks of the 16-byte class");
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	gt_drain_all();
	for (i = 0; i < n; i++) {
		objs[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (r = 0; r < 4; r++) {
		for (i = 0; i < n; i++) {
			if (gt_rand(&rnd) % 3)
				continue;
			gomem_free(objs[i]);
			objs[i] = NULL;
		}
		gt_drain_all();
		for (i = 0; i < n; i++) {
			if (objs[i])
				continue;
			objs[i] = gomem_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		}
	}
	/* A start past nelems, or inside an object, is no live object: size 0, reported. */
	for (i = 0; i < n; i++) {
		if (gomem_usable_size(objs[i]) != size && !bad++)
			kunit_err(test, "%p is no live object of %zu bytes (%u per span)",
				  objs[i], size, nelems);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "of %u objects", n);
	sort(objs, n, sizeof(*objs), gt_ptr_cmp, NULL);
	for (i = 1; i < n; i++)
		dup += objs[i] == objs[i - 1];
	KUNIT_EXPECT_EQ_MSG(test, dup, 0, "objects handed out twice, of %u", n);
	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
}

/* Size 0 has one address, Go's zerobase: never NULL, never written, never freed. */
static void gomem_test_zero_size(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	void *zero = gomem_alloc(0, GFP_KERNEL);
	unsigned long align;
	size_t usable;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, zero);
	KUNIT_EXPECT_FALSE(test, ZERO_OR_NULL_PTR(zero));
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(0, GFP_KERNEL), zero);
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(0, GFP_ATOMIC), zero);
	KUNIT_EXPECT_PTR_EQ(test, gomem_zalloc(0, GFP_KERNEL), zero);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(zero), 0);
	gomem_free(zero);
	gomem_free(zero);
	KUNIT_EXPECT_PTR_EQ(test, gomem_alloc(0, GFP_KERNEL), zero);

	/* realloc of the zero address allocates; to size 0 it gives the address back. */
	p = gomem_realloc(zero, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, zero);
	gt_layout(40, gt_tiny_enabled(), &usable, &align);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), usable);
	memset(p, 0xab, usable);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(zero, 0, GFP_KERNEL), zero);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(p, 0, GFP_KERNEL), zero);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(NULL, 0, GFP_KERNEL), zero);
	gomem_free(NULL);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(NULL), 0);

	/* None of it is a bad call: nothing reported. */
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
}

/* === gomem_tiny === */

static int gomem_tiny_init(struct kunit *test)
{
	if (!gt_tiny_enabled())
		kunit_skip(test, "the tiny allocator is off (gomem loaded with tiny=0)");
	return 0;
}

static const void *gt_tiny_size_gen(const void *prev, char *desc)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	const size_t *s = prev ? (const size_t *)prev + 1 : sizes;

	if (s >= sizes + ARRAY_SIZE(sizes))
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes, aligned to %lu", *s, gt_tiny_align(*s));
	return s;
}

#define GT_TINY_RUN	48

/*
 * Objects of one tiny size: usable size is the size, Go's alignment, packed
 * as tightly as that alignment allows, not overlapping.
 */
static void gomem_test_tiny_size(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	size_t stride = round_up(size, gt_tiny_align(size));
	unsigned int i, j, blocks = 0, bad = 0, misaligned = 0, wrong_size = 0;
	void **objs;

	objs = kunit_kcalloc(test, GT_TINY_RUN, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	/* One CPU's cache: the run packs into its current blocks. */
	migrate_disable();
	for (i = 0; i < GT_TINY_RUN; i++) {
		objs[i] = gomem_alloc(size, GFP_KERNEL);
		if (!objs[i])
			break;
		gt_stamp(objs[i], size, size);
	}
	migrate_enable();
	KUNIT_ASSERT_EQ(test, i, GT_TINY_RUN);

	for (i = 0; i < GT_TINY_RUN; i++) {
		unsigned long block = (unsigned long)objs[i] & ~(GOMEM_TINY_SIZE - 1UL);

		misaligned += !IS_ALIGNED((unsigned long)objs[i], gt_tiny_align(size));
		wrong_size += gomem_usable_size(objs[i]) != size;
		bad += !gt_intact(objs[i], size, size);
		for (j = 0; j < i; j++)
			if (((unsigned long)objs[j] & ~(GOMEM_TINY_SIZE - 1UL)) == block)
				break;
		blocks += j == i;
	}
	KUNIT_EXPECT_EQ(test, misaligned, 0);
	KUNIT_EXPECT_EQ_MSG(test, wrong_size, 0, "usable size is not the size");
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "tiny objects overlap");
	/* 16 / stride objects share a block; the first block may be partly used. */
	KUNIT_EXPECT_LE(test, blocks, DIV_ROUND_UP(GT_TINY_RUN, GOMEM_TINY_SIZE / stride) + 1);
	for (i = 0; i < GT_TINY_RUN; i++)
		gomem_free(objs[i]);
}

static unsigned long gt_block(const void *p)
{
	return (unsigned long)p & ~(GOMEM_TINY_SIZE - 1UL);
}

/*
 * Put this CPU's task cache at the end of a full tiny block: allocate 8-byte
 * objects until one lands at offset 8, which only the fast path does, in the
 * current block, which it fills. The next tiny request takes a fresh block.
 * Call with migration disabled. Return: objects allocated (kept in @objs),
 * 0 if none landed at offset 8.
 */
static unsigned int gt_tiny_fill_block(void **objs)
{
	unsigned int n = 0;

	while (n < 4) {
		objs[n] = gomem_alloc(8, GFP_KERNEL);
		if (!objs[n])
			break;
		if (((unsigned long)objs[n++] & (GOMEM_TINY_SIZE - 1)) == 8)
			return n;
	}
	while (n)
		gomem_free(objs[--n]);
	return 0;
}

#define GT_TINY_SEQ	256

/*
 * Random tiny sizes land exactly where Go's tiny allocator puts them: at the
 * next aligned offset of the current block when they fit; otherwise at the
 * start of a new block, which becomes the current one only when it has more
 * room left than the old (size < old offset).
 */
static void gomem_test_tiny_packing(struct kunit *test)
{
	unsigned int i, j, n, bad = 0, mismatch = 0, failed = 0;
	unsigned long cur, off, at = 0, p = 0;
	size_t size = 0, *sizes;
	u32 rng = 0x2545f491;
	void **objs;

	objs = kunit_kcalloc(test, GT_TINY_SEQ + 4, sizeof(*objs), GFP_KERNEL);
	sizes = kunit_kcalloc(test, GT_TINY_SEQ + 4, sizeof(*sizes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sizes);

	migrate_disable();
	n = gt_tiny_fill_block(objs);
	for (i = 0; i < n; i++)
		sizes[i] = 8;
	cur = n ? gt_block(objs[n - 1]) : 0;
	off = GOMEM_TINY_SIZE;
	for (i = 0; n && i < GT_TINY_SEQ; i++) {
		size = gt_rand(&rng) % (GOMEM_TINY_SIZE - 1) + 1;
		at = ALIGN(off, gt_tiny_align(size));
		p = (unsigned long)gomem_alloc(size, GFP_KERNEL);
		if (!p) {
			failed = 1;
			break;
		}
		if (at + size <= GOMEM_TINY_SIZE) {
			mismatch = p != cur + at;
			off = at + size;
		} else {
			/* The start of a block none of our live objects is in. */
			mismatch = p & (GOMEM_TINY_SIZE - 1);
			for (j = 0; j < n; j++)
				mismatch |= gt_block(objs[j]) == p;
			if (!mismatch && size < off) {
				cur = p;
				off = size;
			}
		}
		objs[n] = (void *)p;
		sizes[n++] = size;
		if (mismatch)
			break;
	}
	migrate_enable();

	KUNIT_ASSERT_GT_MSG(test, n, 0, "no 8-byte object at offset 8 in 4 tries");
	KUNIT_EXPECT_EQ_MSG(test, failed, 0, "allocation %u failed", i);
	KUNIT_EXPECT_EQ_MSG(test, mismatch, 0,
			    "object %u (%zu bytes) at %lx, expected block %lx offset %lu", i,
			    size, p, cur, at);
	for (j = 0; j < n; j++)
		gt_stamp(objs[j], sizes[j], j);
	for (j = 0; j < n; j++) {
		bad += !gt_intact(objs[j], sizes[j], j);
		KUNIT_EXPECT_EQ(test, gomem_usable_size(objs[j]), sizes[j]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "tiny objects overlap");
	for (j = 0; j < n; j++)
		gomem_free(objs[j]);
}

/*
 * Two 4-byte objects share a block. A block whose objects are all freed is
 * reused: when it was no longer the current block, for the next block
 * request (released by its last free; each CPU's cache of blocks is a
 * stack); when it still is, from its start (Go's rewind), once an object
 * no longer fits at its offset.
 */
static void gomem_test_tiny_block_reuse(struct kunit *test)
{
	void *pad[4], *a, *b, *c, *d, *g, *h, *i, *x, *y;
	unsigned int npad, k;

	migrate_disable();
	npad = gt_tiny_fill_block(pad);
	x = gomem_alloc(4, GFP_KERNEL);		/* fresh block, offset 0 */
	y = gomem_alloc(4, GFP_KERNEL);		/* same block, offset 4 */
	g = gomem_alloc(8, GFP_KERNEL);		/* same block, offset 8: full */
	a = gomem_alloc(8, GFP_KERNEL);		/* B1, offset 0 */
	b = gomem_alloc(8, GFP_KERNEL);		/* B1, offset 8 */
	c = gomem_alloc(4, GFP_KERNEL);		/* B2, the current block */
	gomem_free(a);
	gomem_free(b);				/* B1 has nothing live: released */
	d = gomem_alloc(13, GFP_KERNEL);	/* does not fit B2 at 4: takes B1 */
	gomem_free(g);
	g = gomem_alloc(8, GFP_KERNEL);		/* B2 at offset 8: full */
	gomem_free(c);
	gomem_free(g);				/* B2 empty but current: kept */
	h = gomem_alloc(2, GFP_KERNEL);		/* B2 full, nothing live: rewound */
	/* (Without the rewind, with kmemleak: a new block; B2 released.) */
	i = gomem_alloc(15, GFP_KERNEL);	/* does not fit at 2: a block of its own */
	migrate_enable();

	KUNIT_ASSERT_GT(test, npad, 0);
	KUNIT_ASSERT_NOT_NULL(test, x);
	KUNIT_EXPECT_EQ(test, gt_block(x), (unsigned long)x);
	KUNIT_EXPECT_PTR_EQ(test, y, x + 4);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(x), 4);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(y), 4);
	KUNIT_EXPECT_PTR_EQ(test, d, a);
	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK)) {
		KUNIT_EXPECT_PTR_EQ(test, h, c);
		KUNIT_EXPECT_EQ(test, gt_block(i), (unsigned long)i);
		KUNIT_EXPECT_NE(test, gt_block(i), gt_block(h));
	} else {
		/* No rewind with kmemleak (malloc.c): a new block, and i takes B2. */
		KUNIT_EXPECT_PTR_EQ(test, i, c);
		KUNIT_EXPECT_EQ(test, gt_block(h), (unsigned long)h);
		KUNIT_EXPECT_NE(test, gt_block(h), gt_block(c));
	}
	KUNIT_EXPECT_EQ(test, gomem_usable_size(d), 13);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(i), 15);

	gomem_free(x);
	gomem_free(y);
	gomem_free(d);
	gomem_free(h);
	gomem_free(i);
	for (k = 0; k < npad; k++)
		gomem_free(pad[k]);
}

#define GT_TINY_SPREAD	600	/* blocks: more than a tiny span's 512 */

static unsigned long gt_tiny_span(const void *p)
{
	return (unsigned long)p & ~(GOMEM_PAGE_SIZE - 1UL);
}

/*
 * A cache's blocks come from several spans, and each block must travel
 * with its own span through release, reuse and retirement. Make the
 * current block C and the block Y on top of the cache's stack belong to
 * different spans, then have each retire, with an object still live, while
 * the other is taken, and be released by that object's free: the cache must
 * hold each with its own span (gomem_check_heap() checks every cached block
 * against its span).
 */
static void gomem_test_tiny_blocks_of_two_spans(struct kunit *test)
{
	void *pad[4], *c, *y = NULL, *p2 = NULL, *p8 = NULL, *p4 = NULL, *p15 = NULL;
	unsigned int npad, k, n;
	int bad = -1;
	void **objs;

	/* Tiny blocks are objects of class 2, in single-page spans. */
	KUNIT_ASSERT_EQ(test, gomem_class_to_npages[2], 1);
	objs = kunit_kcalloc(test, GT_TINY_SPREAD, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);

	migrate_disable();
	npad = gt_tiny_fill_block(pad);
	/* The first takes a fresh current block C; each later one a block alone. */
	for (n = 0; n < GT_TINY_SPREAD; n++) {
		objs[n] = gomem_alloc(15, GFP_KERNEL);
		if (!objs[n])
			break;
	}
	c = objs[0];
	for (k = 1; k < n && !y; k++)
		if (gt_tiny_span(objs[k]) != gt_tiny_span(c))
			y = objs[k];
	if (npad && n == GT_TINY_SPREAD && y) {
		gomem_free(y);				/* Y: released, on top */
		p2 = gomem_alloc(2, GFP_KERNEL);	/* C full: takes Y; C retired */
		gomem_free(c);				/* C: released by its last free */
		p8 = gomem_alloc(8, GFP_KERNEL);	/* Y at 8: full */
		gomem_free(p2);
		p4 = gomem_alloc(4, GFP_KERNEL);	/* takes C; Y retired */
		gomem_free(p8);				/* Y: released by its last free */
		bad = gomem_check_heap();
		p15 = gomem_alloc(15, GFP_KERNEL);	/* does not fit C at 4: takes Y */
		objs[0] = p4;
		objs[k - 1] = p15;
	}
	migrate_enable();

	KUNIT_ASSERT_GT(test, npad, 0);
	KUNIT_ASSERT_EQ(test, n, GT_TINY_SPREAD);
	KUNIT_ASSERT_NOT_NULL_MSG(test, y, "%u blocks all in one span", GT_TINY_SPREAD);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "a cached block is filed under another span");
	KUNIT_EXPECT_PTR_EQ(test, p2, y);
	KUNIT_EXPECT_PTR_EQ(test, p8, y + 8);
	KUNIT_EXPECT_PTR_EQ(test, p4, c);
	KUNIT_EXPECT_PTR_EQ(test, p15, y);
	for (k = 0; k < n; k++)
		gomem_free(objs[k]);
	for (k = 0; k < npad; k++)
		gomem_free(pad[k]);
}

/*
 * Freeing a tiny object twice is one DOUBLE_FREE; its neighbour is still
 * freed normally, and the block is released once, not twice (a second
 * release would hand the same block to two later requests).
 */
static void gomem_test_tiny_double_free(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	void *pad[4], *a, *b, *x, *y, *z;
	unsigned int npad, k;

	migrate_disable();
	npad = gt_tiny_fill_block(pad);
	a = gomem_alloc(8, GFP_KERNEL);		/* B1 at 0 */
	b = gomem_alloc(8, GFP_KERNEL);		/* B1 at 8 */
	x = gomem_alloc(9, GFP_KERNEL);		/* B2 becomes current */
	if (a && b) {
		gt_stamp(b, 8, 2);
		gomem_free(a);
		gomem_free(a);			/* the double free */
	}
	migrate_enable();

	KUNIT_ASSERT_GT(test, npad, 0);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, x);
	KUNIT_EXPECT_PTR_EQ(test, b, a + 8);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_DOUBLE_FREE, a, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 1);

	/* The freed object is not live for the other calls either. */
	KUNIT_EXPECT_EQ(test, gomem_usable_size(a), 0);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_DOUBLE_FREE, a, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 1);
	KUNIT_EXPECT_NULL(test, gomem_realloc(a, 4, GFP_KERNEL));
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_DOUBLE_FREE, a, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 1);

	/* The neighbour is intact and frees normally; B1 is released. */
	KUNIT_EXPECT_TRUE(test, gt_intact(b, 8, 2));
	KUNIT_EXPECT_EQ(test, gomem_usable_size(b), 8);
	migrate_disable();
	gomem_free(b);
	y = gomem_alloc(8, GFP_KERNEL);		/* not in B2 at 9: takes B1 */
	z = gomem_alloc(9, GFP_KERNEL);		/* not in B1 at 8: another block */
	migrate_enable();
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 0);
	KUNIT_EXPECT_PTR_EQ(test, y, a);
	KUNIT_EXPECT_NE(test, gt_block(z), gt_block(a));
	KUNIT_EXPECT_NE(test, gt_block(z), gt_block(x));

	gomem_free(x);
	gomem_free(y);
	gomem_free(z);
	for (k = 0; k < npad; k++)
		gomem_free(pad[k]);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 0);
}

/* === gomem_large === */

struct gt_large_param {
	size_t size;
	const char *desc;
};

static const struct gt_large_param gt_large_sizes[] = {
	{ GOMEM_MAX_SMALL_OBJECT + 1, "32 KiB + 1" },
	{ 40000, "40000" },
	{ SZ_64K, "64 KiB" },
	{ SZ_64K + 1, "64 KiB + 1" },
	{ SZ_1M - 1, "1 MiB - 1" },
	{ SZ_1M, "1 MiB" },
	{ SZ_4M - GOMEM_PAGE_SIZE + 1, "4 MiB - 8191" },
	{ SZ_4M, "4 MiB, the largest" },
};

KUNIT_ARRAY_PARAM_DESC(gt_large_sizes, gt_large_sizes, desc);

/* A large object: whole 8 KiB pages, page aligned, every byte writable. */
static void gomem_test_large_size(struct kunit *test)
{
	size_t size = ((const struct gt_large_param *)test->param_value)->size;
	unsigned long align;
	size_t usable;
	u8 *p;

	if (size > gt_max_size())
		kunit_skip(test, "over the largest object in debug mode, %zu bytes", gt_max_size());
	gt_layout(size, false, &usable, &align);
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), usable);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, GOMEM_PAGE_SIZE));
	memset(p, 0x3c, usable);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x3c, usable));
	gomem_free(p);
}

/* Above 4 MiB (the page allocator's largest block) gomem says NULL, quietly. */
static void gomem_test_large_too_big(struct kunit *test)
{
	static const size_t sizes[] = {
		SZ_4M + 1, SZ_4M + GOMEM_PAGE_SIZE, SZ_8M, SZ_1G, SIZE_MAX / 2,
		SIZE_MAX - GOMEM_PAGE_SIZE + 1, SIZE_MAX,
	};
	struct gt_errors *e = gt_errors_start(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_NULL_MSG(test, gomem_alloc(sizes[i], GFP_KERNEL),
				      "size %zu", sizes[i]);
		KUNIT_EXPECT_NULL_MSG(test, gomem_zalloc(sizes[i], GFP_KERNEL),
				      "size %zu", sizes[i]);
	}
	/* Not a bad call: nothing reported. */
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
}

/*
 * Large objects coexist without overlapping, and their arenas go back to
 * the page allocator: a 4 MiB object fills an arena (gomem's largest) by
 * itself, so once it is freed its arena is idle and gomem_scavenge()
 * returns it.
 */
static void gomem_test_large_returns_memory(struct kunit *test)
{
	static const size_t sizes[] = {
		SZ_4M, SZ_4M, SZ_4M, SZ_4M, SZ_1M, SZ_1M, 40000, 40000, SZ_64K, 32769,
	};
	unsigned long held, after, bytes = 0;
	void *objs[ARRAY_SIZE(sizes)];
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t size = min(sizes[i], gt_max_size()), counted;
		unsigned int sc;

		objs[i] = gomem_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gt_stamp(objs[i], size, i);
		gt_counted_as(size, false, &counted, &sc);
		bytes += counted;
	}
	held = gomem_heap_held_bytes();
	KUNIT_EXPECT_GE(test, held, bytes);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		bad += !gt_intact(objs[i], min(sizes[i], gt_max_size()), i);
		gomem_free(objs[i]);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "large objects overlap");
	gomem_drain_local();
	gomem_scavenge();
	after = gomem_heap_held_bytes();
	KUNIT_EXPECT_LE_MSG(test, after + 4 * SZ_4M, held,
			    "heap %lu bytes with the objects, %lu after freeing them", held, after);
}

static struct kunit_case gomem_sizes_cases[] = {
	KUNIT_CASE_PARAM_ATTR(gomem_test_every_size, gt_size_ranges_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE_PARAM(gomem_test_class_boundaries, gt_class_gen),
	KUNIT_CASE_PARAM(gomem_test_class_refill_exact, gt_class_gen),
	KUNIT_CASE(gomem_test_zero_size),
	{}
};

static struct kunit_suite gomem_sizes_suite = {
	.name = "gomem_sizes",
	.exit = gt_suite_exit,
	.test_cases = gomem_sizes_cases,
};

static struct kunit_case gomem_tiny_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_tiny_size, gt_tiny_size_gen),
	KUNIT_CASE(gomem_test_tiny_packing),
	KUNIT_CASE(gomem_test_tiny_block_reuse),
	KUNIT_CASE(gomem_test_tiny_blocks_of_two_spans),
	KUNIT_CASE(gomem_test_tiny_double_free),
	{}
};

static struct kunit_suite gomem_tiny_suite = {
	.name = "gomem_tiny",
	.init = gomem_tiny_init,
	.exit = gt_suite_exit,
	.test_cases = gomem_tiny_cases,
};

static struct kunit_case gomem_large_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_large_size, gt_large_sizes_gen_params),
	KUNIT_CASE(gomem_test_large_too_big),
	KUNIT_CASE(gomem_test_large_returns_memory),
	{}
};

static struct kunit_suite gomem_large_suite = {
	.name = "gomem_large",
	.exit = gt_suite_exit,
	.test_cases = gomem_large_cases,
};

kunit_test_suites(&gomem_sizes_suite, &gomem_tiny_suite, &gomem_large_suite);
