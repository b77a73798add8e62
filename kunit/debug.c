// SPDX-License-Identifier: GPL-2.0
/*
 * Suite gomem_debug: gomem's debug mode (module parameter debug=ZPU) catches
 * what it promises. Each case breaks a rule on purpose - a write past the
 * requested size or at the end of the red zone, a write after free, a double
 * free, an interior or foreign pointer, a realloc of a freed object - and
 * checks the exact reports counted and what each says (kind, pointer,
 * calling function, first bad byte), that the heap walker sees the damage
 * while it is there, that gomem_check_heap() passes once gomem repaired it
 * (the suite's exit checks that after each case), and that the owners
 * recorded are the calling function. Skipped when gomem was loaded without
 * debug mode.
 */

#include <kunit/test.h>
#include <linux/preempt.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gomem_test.h"

static int gt_debug_suite_init(struct kunit *test)
{
	if (!gomem_debug_mode())
		kunit_skip(test, "gomem was loaded without debug mode (debug=ZPU)");
	return 0;
}

static void gt_need(struct kunit *test, unsigned int flag, const char *letter)
{
	if (!(gomem_debug_mode() & flag))
		kunit_skip(test, "gomem was loaded without debug letter %s", letter);
}

/* Bytes of the trailer at the end of every slot. */
static size_t gt_trailer_bytes(void)
{
	size_t rz = gomem_debug_mode() & GOMEM_DEBUG_REDZONE ? GOMEM_REDZONE_MIN : 0;

	return gomem_debug_overhead() - rz;
}

/* Bytes of the slot gomem takes for @size requested bytes in debug mode. */
static size_t gt_slot_bytes(size_t size)
{
	size_t full = size + gomem_debug_overhead();

	if (full <= GOMEM_MAX_SMALL_OBJECT)
		return gomem_class_to_size[gt_class_of(full)];
	return round_up(full, GOMEM_PAGE_SIZE);
}

/* True when record @kind of @p names function @fn. */
static bool gt_owner_is(struct kunit *test, const void *p, enum gomem_track_kind kind,
			const char *fn)
{
	struct gomem_track t;

	KUNIT_ASSERT_EQ(test, gomem_debug_owner(p, kind, &t), 0);
	kunit_info(test, "%s of %p: %ps", kind == GOMEM_TRACK_ALLOC ? "alloc" : "free", p,
		   (void *)t.addr);
	return gt_addr_in(t.addr, fn) && t.pid == current->pid;
}

static const size_t gt_debug_sizes[] = { 1, 8, 100, 4000, 32768, 40000 };

static void gt_debug_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%zu bytes", *size);
}

KUNIT_ARRAY_PARAM(gt_debug_sizes, gt_debug_sizes, gt_debug_size_desc);

/*
 * One byte written just past the requested size: the heap walker sees it on
 * the live object, the free reports it once and restores the red zone, and
 * the heap is consistent after.
 */
static void gomem_test_redzone_past_end(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct gt_errors *e;
	u8 *p;

	gt_need(test, GOMEM_DEBUG_REDZONE, "Z");
	e = gt_errors_start(test);
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), size);
	memset(p, 0x5a, size);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	p[size] = 0;
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 1);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_REDZONE, 0);
	gomem_free(p);
	GT_EXPECT_REPORT_AT(test, e, GOMEM_ERR_REDZONE, p, __func__, size);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_REDZONE, 1);
}

/* The last byte of the red zone, just before the trailer: caught the same way. */
static void gomem_test_redzone_end(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	size_t last = gt_slot_bytes(size) - gt_trailer_bytes() - 1;
	struct gt_errors *e;
	u8 *p;

	gt_need(test, GOMEM_DEBUG_REDZONE, "Z");
	e = gt_errors_start(test);
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_GE(test, last, size + GOMEM_REDZONE_MIN - 1);
	KUNIT_EXPECT_EQ(test, p[last], GOMEM_REDZONE_BYTE);
	p[last] ^= 0xff;
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 1);
	gomem_free(p);
	GT_EXPECT_REPORT_AT(test, e, GOMEM_ERR_REDZONE, p, __func__, last);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_REDZONE, 1);
}

/* An overflow that reaches the trailer (its size field) is one red-zone report too. */
static void gomem_test_trailer_overwritten(struct kunit *test)
{
	size_t size = 100, slot = gt_slot_bytes(size);
	struct gt_errors *e = gt_errors_start(test);
	u8 *p;

	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p + slot - gt_trailer_bytes(), 0, 4);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 1);
	gomem_free(p);
	/* The size is lost: the report names the trailer's first byte. */
	GT_EXPECT_REPORT_AT(test, e, GOMEM_ERR_REDZONE, p, __func__, slot - gt_trailer_bytes());
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_REDZONE, 1);
}

/*
 * A write into a freed object: the walker sees it in the free object, the
 * allocation that hands the object out again reports it once (poison), and
 * the object comes back re-initialised with an intact red zone.
 */
static void gomem_test_write_after_free(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct gt_errors *e;
	void *again[64];
	unsigned int n = 0, i;
	bool found = false;
	u8 *p;

	gt_need(test, GOMEM_DEBUG_POISON, "P");
	if (gt_slot_bytes(size) > GOMEM_MAX_SMALL_OBJECT)
		kunit_skip(test, "a large object's pages go back to the heap, unpoisoned");
	e = gt_errors_start(test);
	/* Stay on this CPU: its cache hands the object freed last out first. */
	migrate_disable();
	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	p[size / 2] = 0x42;		/* the bug */
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 1);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_POISON, 0);
	while (n < ARRAY_SIZE(again)) {
		again[n] = gomem_alloc(size, GFP_KERNEL);
		if (!again[n])
			break;
		if (again[n++] == p) {
			found = true;
			break;
		}
	}
	migrate_enable();
	KUNIT_EXPECT_TRUE(test, found);
	if (found)
		GT_EXPECT_REPORT_AT(test, e, GOMEM_ERR_POISON, p, __func__, size / 2);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_POISON, found ? 1 : 0);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	for (i = 0; i < n; i++)
		gomem_free(again[i]);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_REDZONE, 0);
}

/* A freed object is poisoned up to its trailer, whatever init_on_free says. */
static void gomem_test_free_poisons(struct kunit *test)
{
	size_t size = 200, slot = gt_slot_bytes(size);
	u8 *p;

	gt_need(test, GOMEM_DEBUG_POISON, "P");
	p = gomem_zalloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, size));
	gomem_free(p);
	/* Reading a freed object is the point here: it stays in gomem's span. */
	KUNIT_EXPECT_NULL(test, memchr_inv(p, GOMEM_POISON_BYTE, slot - gt_trailer_bytes()));
}

/* Double free, small and large: one report each, the second call ignored. */
static void gomem_test_debug_double_free(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	struct gt_errors *e = gt_errors_start(test);
	enum gomem_error err;
	void *p;

	p = gomem_alloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 0);
	gomem_free(p);
	/* A freed large object's pages are a free run: no gomem object at all. */
	err = gt_slot_bytes(size) > GOMEM_MAX_SMALL_OBJECT ? GOMEM_ERR_INVALID_FREE :
	      GOMEM_ERR_DOUBLE_FREE;
	GT_EXPECT_REPORT(test, e, err, p, __func__);
	GT_EXPECT_ERRORS(test, e, err, 1);
}

/* Interior pointers and a kmalloc() pointer: reported, ignored, nothing changed. */
static void gomem_test_debug_invalid_free(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	u8 *small, *large, *k;

	small = gomem_alloc(200, GFP_KERNEL);
	large = gomem_alloc(SZ_64K, GFP_KERNEL);
	k = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, k);
	gt_stamp(small, 200, 1);
	gt_stamp(large, SZ_64K, 2);
	gomem_free(small + 8);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, small + 8, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	gomem_free(large + GOMEM_PAGE_SIZE);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, large + GOMEM_PAGE_SIZE, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	gomem_free(k);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, k, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	KUNIT_EXPECT_TRUE(test, gt_intact(small, 200, 1));
	KUNIT_EXPECT_TRUE(test, gt_intact(large, SZ_64K, 2));
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	kfree(k);
	gomem_free(small);
	gomem_free(large);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);
}

/* gomem_realloc() of a freed object: one double-free report, NULL, nothing else. */
static void gomem_test_realloc_freed(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	void *p;

	p = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	KUNIT_EXPECT_NULL(test, gomem_realloc(p, 300, GFP_KERNEL));
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_DOUBLE_FREE, p, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_DOUBLE_FREE, 1);
}

/*
 * The owners recorded are this function, through every entry point: alloc,
 * zalloc and realloc record their caller, free and realloc the freer.
 */
static void gomem_test_owner(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	void *p, *q, *r;

	gt_need(test, GOMEM_DEBUG_USER, "U");
	p = gomem_alloc(size, GFP_KERNEL);
	q = gomem_zalloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, gt_owner_is(test, p, GOMEM_TRACK_ALLOC, __func__));
	KUNIT_EXPECT_TRUE(test, gt_owner_is(test, q, GOMEM_TRACK_ALLOC, __func__));
	r = gomem_realloc(q, size + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_PTR_NE(test, r, q);
	KUNIT_EXPECT_TRUE(test, gt_owner_is(test, r, GOMEM_TRACK_ALLOC, __func__));
	gomem_free(p);
	gomem_free(r);
	if (size + gomem_debug_overhead() <= GOMEM_MAX_SMALL_OBJECT) {
		/* Still in their spans, freed: the free records are readable. */
		KUNIT_EXPECT_TRUE(test, gt_owner_is(test, p, GOMEM_TRACK_FREE, __func__));
		KUNIT_EXPECT_TRUE(test, gt_owner_is(test, q, GOMEM_TRACK_FREE, __func__));
	}
}

/*
 * Debug mode's interface promises: the usable size is the size requested,
 * realloc moves whenever the size changes (keeping the contents) and keeps
 * the object for the same size, zalloc zeroes the size requested.
 */
static void gomem_test_debug_sizes(struct kunit *test)
{
	size_t size = *(const size_t *)test->param_value;
	u8 *p, *q;

	p = gomem_zalloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, size));
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), size);
	KUNIT_EXPECT_PTR_EQ(test, gomem_realloc(p, size, GFP_KERNEL), (void *)p);
	gt_stamp(p, size, 3);
	q = gomem_realloc(p, size + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(q), size + 1);
	KUNIT_EXPECT_TRUE(test, gt_check(q, size, gt_seed(p, 3)));
	p = gomem_realloc(q, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), size);
	gomem_free(p);
}

static struct kunit_case gomem_debug_cases[] = {
	KUNIT_CASE_PARAM(gomem_test_redzone_past_end, gt_debug_sizes_gen_params),
	KUNIT_CASE_PARAM(gomem_test_redzone_end, gt_debug_sizes_gen_params),
	KUNIT_CASE(gomem_test_trailer_overwritten),
	KUNIT_CASE_PARAM(gomem_test_write_after_free, gt_debug_sizes_gen_params),
	KUNIT_CASE(gomem_test_free_poisons),
	KUNIT_CASE_PARAM(gomem_test_debug_double_free, gt_debug_sizes_gen_params),
	KUNIT_CASE(gomem_test_debug_invalid_free),
	KUNIT_CASE(gomem_test_realloc_freed),
	KUNIT_CASE_PARAM(gomem_test_owner, gt_debug_sizes_gen_params),
	KUNIT_CASE_PARAM(gomem_test_debug_sizes, gt_debug_sizes_gen_params),
	{}
};

static struct kunit_suite gomem_debug_suite = {
	.name = "gomem_debug",
	.init = gt_debug_suite_init,
	.exit = gt_suite_exit,
	.test_cases = gomem_debug_cases,
};

kunit_test_suites(&gomem_debug_suite);
