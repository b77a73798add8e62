// SPDX-License-Identifier: GPL-2.0
/*
 * Suite gomem_profile: the sampled heap profile. The rate's bad values are
 * refused; two call sites allocating 3:1 are attributed 3:1 by Go's
 * estimator, in use while live and in the totals after; the estimate of a
 * known mixed workload is within 5 %; a read while another CPU samples
 * sees whole records; a module gone keeps its stacks printable.
 *
 * The estimate is Go's (scaleHeapSample, as scripts/gomem-pprof computes
 * it): a record of c samples and b bytes stands for b / (1 - exp(-(b/c)/R)),
 * here in 32.32 fixed point.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gomem_test.h"

#define GT_RATE		4096
#define GT_ONE		BIT_ULL(32)

/* exp(-@x) for @x >= 1 in 32.32 fixed point: a Taylor series of x / 64, squared six times. */
static u64 gt_exp_neg(u64 x)
{
	u64 y, e, t;
	unsigned int i;

	if (x >= 40 * GT_ONE)
		return 0;
	y = x >> 6;					/* < 0.625 */
	e = GT_ONE;
	t = GT_ONE;
	for (i = 1; i <= 10; i++) {			/* e = sum (-y)^i / i! */
		t = div_u64(mul_u64_u64_shr(t, y, 32), i);
		e = i % 2 ? e - t : e + t;
	}
	for (i = 0; i < 6; i++)
		e = mul_u64_u64_shr(e, e, 32);
	return e;
}

/* 1 - exp(-@x) in 32.32 fixed point: its own series below 1, where exp(-x) is near 1. */
static u64 gt_one_minus_exp_neg(u64 x)
{
	u64 t = x, d = x;
	unsigned int i;

	if (x >= GT_ONE)
		return GT_ONE - gt_exp_neg(x);
	for (i = 2; i <= 16; i++) {			/* d = sum -(-x)^i / i! */
		t = div_u64(mul_u64_u64_shr(t, x, 32), i);
		d = i % 2 ? d + t : d - t;
	}
	return d;
}

/* Go's estimate of the bytes a record of @count samples of @bytes stands for. */
static u64 gt_estimate(u64 count, u64 bytes, u64 rate)
{
	u64 x;

	if (!count || !bytes || rate <= 1)
		return bytes;
	x = div64_u64(bytes << 20, count * rate) << 12;	/* (bytes / count) / rate, 32.32 */
	return mul_u64_u64_div_u64(bytes, GT_ONE, max_t(u64, gt_one_minus_exp_neg(x), 1));
}

struct gt_site_sum {
	u64 alloc;	/* estimated bytes allocated */
	u64 inuse;	/* estimated bytes in use */
	u64 alloc_samples;
	u64 inuse_samples;
};

/*
 * Which frame of record @r says it was allocated from function @fn, or -1:
 * its first frame, if in @fn. With CONFIG_UNWINDER_GUESS (the debug test kernel's), one of its
 * first three: the guessing unwinder also reports stale return addresses
 * left in the frames gomem's calls reuse (such as gt_site()'s own, called
 * at the same depth before), and which of them remain depends on the
 * stack's layout.
 */
static int gt_rec_in(const struct gomem_profile_rec *r, const char *fn)
{
	unsigned int i, n = IS_ENABLED(CONFIG_UNWINDER_GUESS) ? 3 : 1;

	for (i = 0; i < n && i < r->nr; i++)
		if (gt_addr_in(r->frames[i], fn))
			return i;
	return -1;
}

/* The estimates over the records allocated from function @fn (gt_rec_in()). */
static void gt_site(struct kunit *test, const char *fn, struct gt_site_sum *sum)
{
	struct gomem_profile_rec *recs;
	unsigned long dropped;
	unsigned int i, n;

	memset(sum, 0, sizeof(*sum));
	recs = vmalloc(array_size(GOMEM_PROFILE_STACKS, sizeof(*recs)));
	KUNIT_ASSERT_NOT_NULL(test, recs);
	n = gomem_profile_read(recs, GOMEM_PROFILE_STACKS, &dropped);
	KUNIT_EXPECT_EQ(test, dropped, 0);
	for (i = 0; i < n; i++) {
		if (fn && gt_rec_in(&recs[i], fn) < 0)
			continue;
		sum->alloc += gt_estimate(recs[i].alloc_objs, recs[i].alloc_bytes, GT_RATE);
		sum->inuse += gt_estimate(recs[i].inuse_objs, recs[i].inuse_bytes, GT_RATE);
		sum->alloc_samples += recs[i].alloc_objs;
		sum->inuse_samples += recs[i].inuse_objs;
	}
	vfree(recs);
}

/* @got within @pct percent of @want. */
static bool gt_within(u64 got, u64 want, unsigned int pct)
{
	return got * 100 >= want * (100 - pct) && got * 100 <= want * (100 + pct);
}

static void gt_profile_off(void *unused)
{
	gomem_profile_set_rate(0);
}

static int gt_profile_on(struct kunit *test)
{
	int ret = gomem_profile_set_rate(GT_RATE);

	if (!ret)
		ret = kunit_add_action_or_reset(test, gt_profile_off, NULL);
	return ret;
}

/* Rates: 0 is off, the largest is taken, one more is refused and changes nothing. */
static void gt_profile_rate(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, gomem_profile_set_rate(0), 0);
	KUNIT_EXPECT_EQ(test, gomem_profile_rate(), 0);
	KUNIT_EXPECT_EQ(test, gomem_profile_set_rate(GOMEM_PROFILE_MAX_RATE + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, gomem_profile_rate(), 0);
	KUNIT_EXPECT_EQ(test, gomem_profile_set_rate(ULONG_MAX), -EINVAL);
	KUNIT_ASSERT_EQ(test, gomem_profile_set_rate(GOMEM_PROFILE_MAX_RATE), 0);
	KUNIT_EXPECT_EQ(test, gomem_profile_set_rate(GOMEM_PROFILE_MAX_RATE + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, gomem_profile_rate(), GOMEM_PROFILE_MAX_RATE);
	KUNIT_ASSERT_EQ(test, gomem_profile_set_rate(0), 0);
}

/* The draw: its mean is the rate (within 2 % over 200000 draws). */
static void gt_profile_draw(struct kunit *test)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < 200000; i++)
		sum += gomem_profile_draw(GT_RATE);
	KUNIT_EXPECT_TRUE_MSG(test, gt_within(div_u64(sum, 200000), GT_RATE, 2),
			      "mean draw %llu for a rate of %u", div_u64(sum, 200000), GT_RATE);
	KUNIT_EXPECT_EQ(test, gomem_profile_draw(1), 0);
}

#define GT_SITE_SIZE	4096
#define GT_SITE_B	4096			/* 16 MiB */
#define GT_SITE_A	(3 * GT_SITE_B)		/* 48 MiB */

static noinline int gt_site_a(void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		objs[i] = gomem_alloc(GT_SITE_SIZE, GFP_KERNEL);
		if (!objs[i])
			return -ENOMEM;
	}
	return 0;
}

/* Not gt_site_a()'s code, which the compiler would fold into one function. */
static noinline int gt_site_b(void **objs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		objs[i] = gomem_alloc(GT_SITE_SIZE, GFP_KERNEL | __GFP_NOWARN);
		if (!objs[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * 64 MiB from two call sites, 3:1: the estimates of the bytes in use
 * attribute them 3:1 within 10 %, and each is within 10 % of the truth;
 * once freed, nothing is in use and the allocated totals stay.
 */
static void gt_profile_sites(struct kunit *test)
{
	struct gt_site_sum a0, b0, a1, b1, a2, b2;
	unsigned int i, sc;
	size_t each;		/* what the profile counts for each: a slot in debug mode */
	void **objs;

	gt_counted_as(GT_SITE_SIZE, gt_tiny_enabled(), &each, &sc);

	objs = vzalloc(array_size(GT_SITE_A + GT_SITE_B, sizeof(*objs)));
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, gt_profile_on(test), 0);
	gt_site(test, "gt_site_a", &a0);
	gt_site(test, "gt_site_b", &b0);
	KUNIT_ASSERT_EQ(test, gt_site_a(objs, GT_SITE_A), 0);
	KUNIT_ASSERT_EQ(test, gt_site_b(objs + GT_SITE_A, GT_SITE_B), 0);
	gt_site(test, "gt_site_a", &a1);
	gt_site(test, "gt_site_b", &b1);
	kunit_info(test, "in use: site a %llu bytes (%llu samples), site b %llu (%llu)\n",
		   a1.inuse - a0.inuse, a1.inuse_samples - a0.inuse_samples,
		   b1.inuse - b0.inuse, b1.inuse_samples - b0.inuse_samples);
	KUNIT_EXPECT_TRUE(test, gt_within(a1.inuse - a0.inuse, (u64)GT_SITE_A * each, 10));
	KUNIT_EXPECT_TRUE(test, gt_within(b1.inuse - b0.inuse, (u64)GT_SITE_B * each, 10));
	KUNIT_EXPECT_TRUE(test, gt_within(a1.inuse - a0.inuse, 3 * (b1.inuse - b0.inuse), 10));
	for (i = 0; i < GT_SITE_A + GT_SITE_B; i++)
		gomem_free(objs[i]);
	gt_site(test, "gt_site_a", &a2);
	gt_site(test, "gt_site_b", &b2);
	KUNIT_EXPECT_EQ(test, a2.inuse_samples, a0.inuse_samples);
	KUNIT_EXPECT_EQ(test, b2.inuse_samples, b0.inuse_samples);
	KUNIT_EXPECT_EQ(test, a2.alloc, a1.alloc);
	KUNIT_EXPECT_EQ(test, b2.alloc, b1.alloc);
	KUNIT_EXPECT_TRUE(test, gt_within(a2.alloc - a0.alloc, 3 * (b2.alloc - b0.alloc), 10));
	vfree(objs);
}

#define GT_RING		256

/* The size of the @i-th object of the mixed workload: tiny, every class, some large. */
static size_t gt_mixed_size(unsigned int i)
{
	u32 r = (u32)(i * 2654435761U);

	switch (i % 8) {
	case 0:
		return r % 15 + 1;				/* tiny */
	case 7:
		return i % 64 == 7 ? r % SZ_64K + GOMEM_MAX_SMALL_OBJECT + 1 :
		       r % GOMEM_MAX_SMALL_OBJECT + 1;	/* up to 32 KiB; large */
	default:
		return r % 1024 + 16;
	}
}

static noinline int gt_site_mixed(struct kunit *test, u64 *truth)
{
	bool tiny = gt_tiny_enabled();
	void **ring;
	unsigned int i;
	u64 total = 0;

	ring = kcalloc(GT_RING, sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	for (i = 0; total < SZ_256M; i++) {
		size_t bytes, size = gt_mixed_size(i);
		unsigned int sc;

		gomem_free(ring[i % GT_RING]);
		ring[i % GT_RING] = gomem_alloc(size, GFP_KERNEL);
		if (!ring[i % GT_RING]) {
			total = 0;
			break;
		}
		gt_counted_as(size, tiny, &bytes, &sc);
		total += bytes;
	}
	for (i = 0; i < GT_RING; i++)
		gomem_free(ring[i]);
	kfree(ring);
	*truth = total;
	return total ? 0 : -ENOMEM;
}

/* 256 MiB of mixed sizes: Go's estimate of the bytes allocated is within 5 %. */
static void gt_profile_estimate(struct kunit *test)
{
	struct gt_site_sum s0, s1;
	u64 truth;

	KUNIT_ASSERT_EQ(test, gt_profile_on(test), 0);
	gt_site(test, "gt_site_mixed", &s0);
	KUNIT_ASSERT_EQ(test, gt_site_mixed(test, &truth), 0);
	gt_site(test, "gt_site_mixed", &s1);
	kunit_info(test, "allocated %llu bytes, estimated %llu from %llu samples\n", truth,
		   s1.alloc - s0.alloc, s1.alloc_samples - s0.alloc_samples);
	KUNIT_EXPECT_TRUE(test, gt_within(s1.alloc - s0.alloc, truth, 5));
	KUNIT_EXPECT_EQ(test, s1.inuse_samples, s0.inuse_samples);
}

static int gt_churn_fn(void *arg)
{
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		void *p = gomem_alloc(gt_mixed_size(i++), GFP_KERNEL);

		gomem_free(p);
		if (!(i % 1024))
			cond_resched();
	}
	return 0;
}

/*
 * Reads while another thread samples: every record whole (in use within
 * what was allocated, at least a byte a sample, frames there).
 */
static void gt_profile_consistent(struct kunit *test)
{
	struct gomem_profile_rec *recs;
	struct task_struct *t;
	unsigned int round, i, j, n, bad = 0;

	KUNIT_ASSERT_EQ(test, gt_profile_on(test), 0);
	recs = vmalloc(array_size(GOMEM_PROFILE_STACKS, sizeof(*recs)));
	KUNIT_ASSERT_NOT_NULL(test, recs);
	t = kthread_run(gt_churn_fn, NULL, "gt_churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 200; round++) {
		n = gomem_profile_read(recs, GOMEM_PROFILE_STACKS, NULL);
		for (i = 0; i < n; i++) {
			struct gomem_profile_rec *r = &recs[i];

			if (r->inuse_objs > r->alloc_objs || r->inuse_bytes > r->alloc_bytes ||
			    r->alloc_bytes < r->alloc_objs || !r->nr ||
			    r->nr > GOMEM_PROFILE_DEPTH)
				bad++;
			for (j = 0; j < r->nr && j < GOMEM_PROFILE_DEPTH; j++)
				if (!r->frames[j])
					bad++;
		}
		usleep_range(100, 200);
	}
	kthread_stop(t);
	KUNIT_EXPECT_EQ(test, bad, 0);
	vfree(recs);
}

#ifdef for_each_mod_mem_type		/* struct module's mem[], 6.4 on */
static struct module gt_gone_mod = { .name = "gt_gone" };

/*
 * A module going: the stacks with frames of it get their frames as text,
 * symbols and module name, printed after its symbols are gone. Here the
 * "module" is one whose text is this suite's module's.
 */
static void gt_profile_module_gone(struct kunit *test)
{
	struct gomem_profile_rec *recs;
	unsigned int i, n, found = 0;
	void *p[8];

	KUNIT_ASSERT_EQ(test, gomem_profile_set_rate(1), 0);	/* every allocation */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_profile_off, NULL), 0);
	KUNIT_ASSERT_EQ(test, gt_site_b(p, ARRAY_SIZE(p)), 0);
	gt_gone_mod.mem[MOD_TEXT] = THIS_MODULE->mem[MOD_TEXT];
	gomem_profile_module_gone(&gt_gone_mod);
	recs = vmalloc(array_size(GOMEM_PROFILE_STACKS, sizeof(*recs)));
	KUNIT_ASSERT_NOT_NULL(test, recs);
	n = gomem_profile_read(recs, GOMEM_PROFILE_STACKS, NULL);
	for (i = 0; i < n; i++) {
		const char *text;
		int k = gt_rec_in(&recs[i], "gt_site_b");

		if (k < 0)
			continue;
		KUNIT_EXPECT_NOT_NULL(test, recs[i].text);
		if (!recs[i].text)
			continue;
		text = recs[i].text + k * GOMEM_PROFILE_FRAME_TEXT;
		KUNIT_EXPECT_TRUE_MSG(test, !strncmp(text, "gt_site_b+0x", 12),
				      "frame %d as text: %s", k, text);
		KUNIT_EXPECT_NOT_NULL(test, strstr(text, "[gomem_kunit]"));
		found++;
	}
	KUNIT_EXPECT_GT(test, found, 0);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		gomem_free(p[i]);
	vfree(recs);
}
#else
static void gt_profile_module_gone(struct kunit *test)
{
	kunit_skip(test, "struct module has no mem[] before 6.4");
}
#endif

static struct kunit_case gomem_profile_cases[] = {
	KUNIT_CASE(gt_profile_rate),
	KUNIT_CASE(gt_profile_draw),
	KUNIT_CASE(gt_profile_sites),
	KUNIT_CASE(gt_profile_estimate),
	KUNIT_CASE(gt_profile_consistent),
	KUNIT_CASE(gt_profile_module_gone),
	{}
};

static struct kunit_suite gomem_profile_suite = {
	.name = "gomem_profile",
	.exit = gt_suite_exit,
	.test_cases = gomem_profile_cases,
};

kunit_test_suites(&gomem_profile_suite);
