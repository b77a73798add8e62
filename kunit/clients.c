// SPDX-License-Identifier: GPL-2.0
/*
 * Suite gomem_clients: per-client accounting. Every object counts for the
 * module that allocated it, exactly, whoever frees it; a module that goes
 * with objects live keeps its row, as unloaded, until they are freed; the
 * table's overflow row takes the modules past its room.
 *
 * The other clients are modules of this suite's own: struct module records
 * that only name themselves, handed to __gomem_alloc() through client
 * records, and "unloaded" with gomem_client_gone(), which the module
 * notifier calls for real modules.
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gomem_test.h"

/* The sizes of the exact-count workload: tiny, two size classes, large. */
static const size_t gt_client_sizes[] = { 8, 48, 1000, 100 * 1024 };
static const unsigned int gt_client_counts[] = { 40, 300, 100, 5 };
#define GT_CLIENT_OBJS	(40 + 300 + 100 + 5)

/* A module of the suite's own: a name and nothing else. */
static struct module gt_mod_a = { .name = "gt_client_a" };
static struct module gt_mod_b = { .name = "gt_client_b" };

#define GT_FAKES	GOMEM_MAX_CLIENTS
static struct module gt_fakes[GT_FAKES];

/*
 * This module's figures, zero before its first allocation. Frees of its
 * objects that other suites deferred through RCU are finished first.
 */
static void gt_my_stats(struct kunit *test, struct gomem_client_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (gomem_read_module_stats(THIS_MODULE, st))
		KUNIT_EXPECT_EQ(test, st->mallocs, 0);
}

/*
 * A known workload counts exactly for this module: objects and bytes (each
 * at the usable size the statistics use) when allocated, and back to where
 * they were when freed, total_alloc kept.
 */
static void gt_client_exact(struct kunit *test)
{
	struct gomem_client_stats st0, st1, st2;
	bool tiny = gt_tiny_enabled();	/* an allocation of its own: before the counts */
	void **objs;
	u64 bytes = 0;
	unsigned int i, j, n = 0;

	objs = kcalloc(GT_CLIENT_OBJS, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	rcu_barrier();
	gt_my_stats(test, &st0);
	for (i = 0; i < ARRAY_SIZE(gt_client_sizes); i++)
		for (j = 0; j < gt_client_counts[i]; j++) {
			size_t counted;
			unsigned int sc;

			gt_counted_as(gt_client_sizes[i], tiny, &counted, &sc);
			bytes += counted;
			objs[n] = gomem_alloc(gt_client_sizes[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[n]);
			n++;
		}
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(THIS_MODULE, &st1), 0);
	KUNIT_EXPECT_STREQ(test, st1.name, "gomem_kunit");
	KUNIT_EXPECT_TRUE(test, st1.loaded);
	KUNIT_EXPECT_EQ(test, st1.mallocs - st0.mallocs, (u64)GT_CLIENT_OBJS);
	KUNIT_EXPECT_EQ(test, st1.frees, st0.frees);
	KUNIT_EXPECT_EQ(test, st1.live_objects - st0.live_objects, (u64)GT_CLIENT_OBJS);
	KUNIT_EXPECT_EQ(test, st1.total_alloc - st0.total_alloc, bytes);
	KUNIT_EXPECT_EQ(test, st1.live_bytes - st0.live_bytes, bytes);
	for (i = 0; i < n; i++)
		gomem_free(objs[i]);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(THIS_MODULE, &st2), 0);
	KUNIT_EXPECT_EQ(test, st2.frees - st1.frees, (u64)GT_CLIENT_OBJS);
	KUNIT_EXPECT_EQ(test, st2.live_objects, st0.live_objects);
	KUNIT_EXPECT_EQ(test, st2.live_bytes, st0.live_bytes);
	KUNIT_EXPECT_EQ(test, st2.total_alloc, st1.total_alloc);
	kfree(objs);
}

/*
 * Objects of another module freed by this one - tiny, small, large, through
 * gomem_free() and gomem_free_bulk() - count as that module's frees; the
 * tiny objects of two modules never share a block (the free could not
 * tell whose it was).
 */
static void gt_client_foreign_free(struct kunit *test)
{
	struct gomem_client cl = { .mod = &gt_mod_a };
	struct gomem_client_stats a0, a1, a2, me0, me1;
	bool tiny = gt_tiny_enabled();	/* an allocation of its own: before the counts */
	void *p[5], *mine;
	unsigned int i;

	gt_my_stats(test, &me0);
	p[0] = __gomem_alloc(8, GFP_KERNEL, &cl);
	mine = gomem_alloc(8, GFP_KERNEL);
	p[1] = __gomem_alloc(4, GFP_KERNEL, &cl);
	p[2] = __gomem_alloc(64, GFP_KERNEL, &cl);
	p[3] = __gomem_alloc(SZ_64K, GFP_KERNEL, &cl);
	KUNIT_ASSERT_EQ(test, __gomem_alloc_bulk(128, GFP_KERNEL, 1, &p[4], &cl), 1);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	KUNIT_ASSERT_NOT_NULL(test, mine);
	if (tiny) {
		KUNIT_EXPECT_NE(test, (unsigned long)p[0] / GOMEM_TINY_SIZE,
				(unsigned long)mine / GOMEM_TINY_SIZE);
		KUNIT_EXPECT_NE(test, (unsigned long)p[1] / GOMEM_TINY_SIZE,
				(unsigned long)mine / GOMEM_TINY_SIZE);
	}
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&gt_mod_a, &a0), 0);
	KUNIT_EXPECT_STREQ(test, a0.name, "gt_client_a");
	KUNIT_EXPECT_EQ(test, a0.live_objects, 5);
	gomem_free(p[0]);
	gomem_free(p[1]);
	gomem_free(p[2]);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&gt_mod_a, &a1), 0);
	KUNIT_EXPECT_EQ(test, a1.frees - a0.frees, 3);
	KUNIT_EXPECT_EQ(test, a1.live_objects, 2);
	gomem_free_bulk(2, &p[3]);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&gt_mod_a, &a2), 0);
	KUNIT_EXPECT_EQ(test, a2.live_objects, 0);
	KUNIT_EXPECT_EQ(test, a2.live_bytes, 0);
	KUNIT_EXPECT_EQ(test, a2.mallocs, a0.mallocs);
	/* This module: its one object, none of the frees. */
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(THIS_MODULE, &me1), 0);
	KUNIT_EXPECT_EQ(test, me1.mallocs - me0.mallocs, 1);
	KUNIT_EXPECT_EQ(test, me1.frees, me0.frees);
	gomem_free(mine);
	gomem_client_gone(&gt_mod_a);
	KUNIT_EXPECT_FALSE(test, gt_find_row("gt_client_a", &a2));
}

/*
 * A module gone with objects live: its row stays, unloaded, its counts
 * going down as the objects are freed, and goes with the last. The module
 * coming back gets a row of its own.
 */
static void gt_client_unloaded(struct kunit *test)
{
	struct gomem_client cl = { .mod = &gt_mod_b }, again = { .mod = &gt_mod_b };
	struct gomem_client_stats st;
	void *p[3], *q;
	unsigned int i;

	p[0] = __gomem_alloc(8, GFP_KERNEL, &cl);
	p[1] = __gomem_alloc(200, GFP_KERNEL, &cl);
	p[2] = __gomem_alloc(SZ_128K, GFP_KERNEL, &cl);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	gomem_client_gone(&gt_mod_b);
	KUNIT_EXPECT_EQ(test, gomem_read_module_stats(&gt_mod_b, &st), -ENOENT);
	KUNIT_ASSERT_TRUE(test, gt_find_row("gt_client_b", &st));
	KUNIT_EXPECT_FALSE(test, st.loaded);
	KUNIT_EXPECT_EQ(test, st.live_objects, 3);
	KUNIT_EXPECT_EQ(test, st.mallocs, 3);

	/* Back again: a new row, loaded, while the old one stays. */
	q = __gomem_alloc(24, GFP_KERNEL, &again);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&gt_mod_b, &st), 0);
	KUNIT_EXPECT_TRUE(test, st.loaded);
	KUNIT_EXPECT_EQ(test, st.mallocs, 1);
	gomem_free(q);
	gomem_client_gone(&gt_mod_b);

	gomem_free(p[2]);
	gomem_free(p[0]);
	gomem_clients_reap();
	KUNIT_ASSERT_TRUE(test, gt_find_row("gt_client_b", &st));
	KUNIT_EXPECT_FALSE(test, st.loaded);
	KUNIT_EXPECT_EQ(test, st.live_objects, 1);
	KUNIT_EXPECT_EQ(test, st.frees, 2);
	gomem_free(p[1]);
	gomem_clients_reap();
	KUNIT_EXPECT_FALSE(test, gt_find_row("gt_client_b", &st));
}

/*
 * A row given back keeps its counts in the global figures (nothing is
 * zeroed: the global counters are the rows' sums), and the next module to
 * take the id counts from zero.
 */
static void gt_client_reused(struct kunit *test)
{
	static struct module mod_c = { .name = "gt_client_c" }, mod_d = { .name = "gt_client_d" };
	struct gomem_client c1 = { .mod = &mod_c }, d1 = { .mod = &mod_d };
	struct gomem_memstats *ms0, *ms1;
	size_t b100, b64k, b200;
	struct gomem_client_stats st;
	unsigned int id, sc;
	void *p;

	gt_counted_as(100, false, &b100, &sc);	/* at the usable size the statistics use */
	gt_counted_as(SZ_64K, false, &b64k, &sc);
	gt_counted_as(200, false, &b200, &sc);
	ms0 = kunit_kzalloc(test, sizeof(*ms0), GFP_KERNEL);
	ms1 = kunit_kzalloc(test, sizeof(*ms1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ms0);
	KUNIT_ASSERT_NOT_NULL(test, ms1);
	gomem_read_memstats(ms0);
	p = __gomem_alloc(100, GFP_KERNEL, &c1);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	p = __gomem_alloc(SZ_64K, GFP_KERNEL, &c1);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomem_free(p);
	id = READ_ONCE(c1.id);
	gomem_client_gone(&mod_c);	/* nothing live: the row goes at once */
	KUNIT_EXPECT_FALSE(test, gt_find_row("gt_client_c", &st));

	p = __gomem_alloc(200, GFP_KERNEL, &d1);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, READ_ONCE(d1.id), id);	/* the first free row */
	KUNIT_ASSERT_EQ(test, gomem_read_module_stats(&mod_d, &st), 0);
	KUNIT_EXPECT_EQ(test, st.mallocs, 1);
	KUNIT_EXPECT_EQ(test, st.frees, 0);
	KUNIT_EXPECT_EQ(test, st.live_objects, 1);
	KUNIT_EXPECT_EQ(test, st.live_bytes, b200);
	KUNIT_EXPECT_EQ(test, st.total_alloc, b200);
	gomem_free(p);
	gomem_read_memstats(ms1);
	/* Only this case allocates meanwhile (frees deferred by other suites may land). */
	KUNIT_EXPECT_EQ(test, ms1->mallocs - ms0->mallocs, 3);
	KUNIT_EXPECT_EQ(test, ms1->total_alloc - ms0->total_alloc, b100 + b64k + b200);
	KUNIT_EXPECT_EQ(test, ms1->large_mallocs - ms0->large_mallocs, 1);
	gomem_client_gone(&mod_d);
	KUNIT_EXPECT_FALSE(test, gt_find_row("gt_client_d", &st));
}

/*
 * More modules than rows: those past the room count in "(other)", which
 * gomem_read_module_stats() does not give; their rows go with them.
 */
static void gt_client_overflow(struct kunit *test)
{
	struct gomem_client *cl;
	struct gomem_client_stats other0 = {}, other1, st;
	unsigned int i, rows0 = gt_rows(), named = 0, others = 0;
	bool had_other = gt_find_row("(other)", &other0);
	void **objs;

	cl = kcalloc(GT_FAKES, sizeof(*cl), GFP_KERNEL);
	objs = kcalloc(GT_FAKES, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cl);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < GT_FAKES; i++) {
		snprintf(gt_fakes[i].name, sizeof(gt_fakes[i].name), "gt_fake_%u", i);
		cl[i].mod = &gt_fakes[i];
		objs[i] = __gomem_alloc(32, GFP_KERNEL, &cl[i]);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		if (!gomem_read_module_stats(&gt_fakes[i], &st)) {
			KUNIT_EXPECT_EQ(test, st.live_objects, 1);
			named++;
		} else {
			others++;
		}
	}
	/* Rows 1 to 62 are modules' (those in use before, then the fakes). */
	KUNIT_EXPECT_EQ(test, rows0 - had_other + named, GOMEM_CLIENT_OTHER - 1);
	KUNIT_EXPECT_EQ(test, named + others, GT_FAKES);
	KUNIT_ASSERT_TRUE(test, gt_find_row("(other)", &other1));
	KUNIT_EXPECT_EQ(test, other1.mallocs - other0.mallocs, others);
	KUNIT_EXPECT_EQ(test, other1.live_objects - other0.live_objects, others);
	for (i = 0; i < GT_FAKES; i++) {
		gomem_free(objs[i]);
		gomem_client_gone(&gt_fakes[i]);
	}
	KUNIT_EXPECT_EQ(test, gt_rows(), rows0 + !had_other);
	KUNIT_ASSERT_TRUE(test, gt_find_row("(other)", &other1));
	KUNIT_EXPECT_EQ(test, other1.live_objects, other0.live_objects);
	kfree(objs);
	kfree(cl);
}

static struct kunit_case gomem_clients_cases[] = {
	KUNIT_CASE(gt_client_exact),
	KUNIT_CASE(gt_client_foreign_free),
	KUNIT_CASE(gt_client_unloaded),
	KUNIT_CASE(gt_client_reused),
	KUNIT_CASE(gt_client_overflow),
	{}
};

static struct kunit_suite gomem_clients_suite = {
	.name = "gomem_clients",
	.exit = gt_suite_exit,
	.test_cases = gomem_clients_cases,
};

kunit_test_suites(&gomem_clients_suite);
