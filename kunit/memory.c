// SPDX-License-Identifier: GPL-2.0
/*
 * Suite gomem_memory: memory goes back to the page allocator once freed,
 * gomem_read_memstats() counts a known workload exactly, the shrinker
 * counts what it can give, and the scavenger runs only when it can give.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "gomem_test.h"

KUNIT_DEFINE_ACTION_WRAPPER(gt_kvfree, kvfree, const void *);

#define GT_RETURN_BYTES		SZ_16M
#define GT_RETURN_MAX_OBJS	8192

/* Size of the @i-th object of the workload: three tiny/small ones in four. */
static size_t gt_return_size(unsigned int i, u32 r)
{
	if (i % 4)
		return r % 64 + 1;
	if (i % 64)
		return r % (GOMEM_MAX_SMALL_OBJECT - 64) + 65;
	return r % SZ_512K + GOMEM_MAX_SMALL_OBJECT + 1;
}

/*
 * 16 MiB of mixed objects (tiny, every class range, large), all freed:
 * gomem_scavenge() then leaves the heap no larger than before.
 *
 * No tolerance is needed: the starting point is taken with every CPU's
 * caches drained, the workload runs on one CPU (migration disabled) whose
 * caches are drained at the end, and nothing else in the test VM uses
 * gomem, so no span of the workload can stay pinned by a cached object.
 * Were another gomem user running, its objects could keep an arena or two,
 * and this test would report them.
 */
static void gomem_test_memory_returns(struct kunit *test)
{
	unsigned long base, peak, end, bytes = 0;
	unsigned int i, n, bad = 0;
	u32 rng = 0x6b43a9b5;
	size_t *sizes;
	void **objs;

	objs = kvcalloc(GT_RETURN_MAX_OBJS, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_kvfree, objs), 0);
	sizes = kvcalloc(GT_RETURN_MAX_OBJS, sizeof(*sizes), GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_kvfree, sizes), 0);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, sizes);

	base = gt_quiesce_heap();
	migrate_disable();
	for (n = 0; n < GT_RETURN_MAX_OBJS && bytes < GT_RETURN_BYTES; n++) {
		sizes[n] = gt_return_size(n, gt_rand(&rng));
		objs[n] = gomem_alloc(sizes[n], GFP_KERNEL);
		if (!objs[n])
			break;
		gt_stamp(objs[n], sizes[n], n);
		bytes += gomem_usable_size(objs[n]);
	}
	peak = gomem_heap_sys_bytes();
	for (i = 0; i < n; i++) {
		bad += !gt_intact(objs[i], sizes[i], i);
		gomem_free(objs[i]);
	}
	gomem_drain_local();
	migrate_enable();
	gomem_scavenge();
	end = gomem_heap_sys_bytes();

	kunit_info(test, "%u objects, %lu bytes; heap %lu before, %lu at the peak, %lu after",
		   n, bytes, base, peak, end);
	KUNIT_EXPECT_GE_MSG(test, bytes, (unsigned long)GT_RETURN_BYTES, "allocation %u failed", n);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects overlap");
	KUNIT_EXPECT_GE(test, peak, base + bytes);
	KUNIT_EXPECT_LE(test, end, base);
}

/* Equations gomem_read_memstats() documents between its fields. */
static void gt_expect_memstats_sane(struct kunit *test, const struct gomem_memstats *ms)
{
	KUNIT_EXPECT_EQ(test, ms->heap_objects, ms->mallocs - ms->frees);
	KUNIT_EXPECT_EQ(test, ms->heap_alloc, ms->alloc);
	KUNIT_EXPECT_EQ(test, ms->heap_idle, ms->heap_sys - ms->heap_inuse);
	KUNIT_EXPECT_EQ(test, ms->sys, ms->heap_sys + ms->mspan_sys + ms->mcache_sys +
			ms->other_sys);
	KUNIT_EXPECT_LE(test, ms->alloc, ms->heap_inuse);
	KUNIT_EXPECT_LE(test, ms->alloc, ms->total_alloc);
	KUNIT_EXPECT_LE(test, ms->large_bytes, ms->alloc);
}

static const struct {
	size_t size;
	unsigned int count;
} gt_counted[] = {
	{ 0, 3 }, { 1, 10 }, { 7, 5 }, { 8, 9 }, { 15, 4 }, { 16, 20 }, { 17, 7 },
	{ 100, 30 }, { 1024, 8 }, { 4097, 3 }, { 32768, 2 }, { 32769, 2 }, { SZ_1M, 1 },
};

#define GT_COUNTED_MAX	128

/*
 * A known workload moves gomem_read_memstats() by exactly its numbers:
 * objects, bytes (usable sizes), tiny and large objects, and every class's
 * mallocs and frees; size-0 requests count for nothing. The counters are
 * summed over all CPUs, and nothing else in the test VM uses gomem.
 */
static void gomem_test_memstats_exact(struct kunit *test)
{
	u64 n = 0, ntiny = 0, nlarge = 0, large_bytes = 0, bytes = 0;
	struct gomem_memstats *before, *mid, *after;
	bool tiny = gt_tiny_enabled();
	unsigned int i, j, k = 0, sc;
	u64 *per_class;
	size_t usable;
	void **objs;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	mid = kunit_kzalloc(test, sizeof(*mid), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	per_class = kunit_kcalloc(test, GOMEM_NUM_SIZE_CLASSES, sizeof(*per_class), GFP_KERNEL);
	objs = kunit_kcalloc(test, GT_COUNTED_MAX, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, mid);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_NOT_NULL(test, per_class);
	KUNIT_ASSERT_NOT_NULL(test, objs);

	/* What the workload should count, from the documented layout. */
	for (i = 0; i < ARRAY_SIZE(gt_counted); i++) {
		size_t size = gt_counted[i].size;
		unsigned int count = gt_counted[i].count;

		if (!size)
			continue;
		/* Debug mode counts slots: object, red zone and trailer. */
		gt_counted_as(size, tiny, &usable, &sc);
		n += count;
		bytes += count * usable;
		if (sc == GOMEM_TINY_SPANCLASS) {
			ntiny += count;
		} else if (!sc) {
			nlarge += count;
			large_bytes += count * usable;
		} else {
			per_class[sc] += count;
		}
	}

	gomem_read_memstats(before);
	for (i = 0; i < ARRAY_SIZE(gt_counted); i++) {
		for (j = 0; j < gt_counted[i].count && k < GT_COUNTED_MAX; j++) {
			objs[k] = gomem_alloc(gt_counted[i].size, GFP_KERNEL);
			KUNIT_EXPECT_NOT_NULL(test, objs[k]);
			k++;
		}
	}
	gomem_read_memstats(mid);
	for (i = 0; i < k; i++)
		gomem_free(objs[i]);
	gomem_read_memstats(after);

	gt_expect_memstats_sane(test, before);
	gt_expect_memstats_sane(test, mid);
	gt_expect_memstats_sane(test, after);

	KUNIT_EXPECT_EQ(test, mid->mallocs - before->mallocs, n);
	KUNIT_EXPECT_EQ(test, mid->frees - before->frees, 0);
	KUNIT_EXPECT_EQ(test, mid->heap_objects - before->heap_objects, n);
	KUNIT_EXPECT_EQ(test, mid->tiny_allocs - before->tiny_allocs, ntiny);
	KUNIT_EXPECT_EQ(test, mid->large_mallocs - before->large_mallocs, nlarge);
	KUNIT_EXPECT_EQ(test, mid->large_bytes - before->large_bytes, large_bytes);
	KUNIT_EXPECT_EQ(test, mid->alloc - before->alloc, bytes);
	KUNIT_EXPECT_EQ(test, mid->total_alloc - before->total_alloc, bytes);
	KUNIT_EXPECT_GE(test, mid->heap_inuse, mid->alloc);
	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		KUNIT_EXPECT_EQ(test, mid->by_size[sc].size, (u64)gomem_class_to_size[sc]);
		KUNIT_EXPECT_EQ_MSG(test, mid->by_size[sc].mallocs - before->by_size[sc].mallocs,
				    per_class[sc], "class %u", sc);
		KUNIT_EXPECT_EQ_MSG(test, after->by_size[sc].frees - mid->by_size[sc].frees,
				    per_class[sc], "class %u", sc);
	}

	KUNIT_EXPECT_EQ(test, after->mallocs - mid->mallocs, 0);
	KUNIT_EXPECT_EQ(test, after->frees - before->frees, n);
	KUNIT_EXPECT_EQ(test, after->heap_objects, before->heap_objects);
	KUNIT_EXPECT_EQ(test, after->alloc, before->alloc);
	KUNIT_EXPECT_EQ(test, after->large_frees - before->large_frees, nlarge);
	KUNIT_EXPECT_EQ(test, after->large_bytes, before->large_bytes);
	KUNIT_EXPECT_EQ(test, after->total_alloc, mid->total_alloc);
}

/* Relations that hold in every snapshot, even while other CPUs allocate. */
static void gt_expect_memstats_always(struct kunit *test, const struct gomem_memstats *ms)
{
	u64 mallocs = ms->tiny_allocs + ms->large_mallocs, frees = ms->tiny_frees + ms->large_frees;
	unsigned int sc;

	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		KUNIT_EXPECT_LE_MSG(test, ms->by_size[sc].frees, ms->by_size[sc].mallocs,
				    "class %u", sc);
		mallocs += ms->by_size[sc].mallocs;
		frees += ms->by_size[sc].frees;
	}
	KUNIT_EXPECT_EQ(test, mallocs, ms->mallocs);
	KUNIT_EXPECT_EQ(test, frees, ms->frees);
	KUNIT_EXPECT_LE(test, ms->frees, ms->mallocs);
	KUNIT_EXPECT_LE(test, ms->tiny_frees, ms->tiny_allocs);
	KUNIT_EXPECT_LE(test, ms->large_frees, ms->large_mallocs);
	KUNIT_EXPECT_EQ(test, ms->heap_objects, ms->mallocs - ms->frees);
	KUNIT_EXPECT_EQ(test, ms->heap_alloc, ms->alloc);
	KUNIT_EXPECT_LE(test, ms->alloc, ms->total_alloc);
	KUNIT_EXPECT_EQ(test, ms->heap_sys, ms->heap_idle + ms->heap_inuse);
	KUNIT_EXPECT_LE(test, ms->heap_inuse, ms->heap_sys);
	KUNIT_EXPECT_LE(test, ms->heap_released, ms->heap_idle);
	KUNIT_EXPECT_EQ(test, ms->heap_free_bytes, ms->heap_idle);
	KUNIT_EXPECT_GE(test, ms->sys, ms->heap_sys);
	KUNIT_EXPECT_EQ(test, ms->sys, ms->heap_sys + ms->mspan_sys + ms->mcache_sys +
			ms->other_sys);
	KUNIT_EXPECT_LE(test, ms->mspan_inuse, ms->mspan_sys);
	KUNIT_EXPECT_LE(test, ms->mcache_inuse, ms->mcache_sys);
	KUNIT_EXPECT_LE(test, ms->large_bytes, ms->alloc);
}

struct gt_churn {
	atomic_t *stop;
	u32 seed;
	unsigned long ops;
};

/* Allocate and free a mix (tiny, small, large) until told to stop. */
static int gt_churn_fn(struct gt_kthread *kt)
{
	struct gt_churn *ch = kt->data;
	void *live[64] = {};
	unsigned int i;
	u32 r;

	while (!atomic_read(ch->stop)) {
		r = gt_rand(&ch->seed);
		i = r % ARRAY_SIZE(live);
		gomem_free(live[i]);
		live[i] = gomem_alloc(r % 512 ? (r >> 8) % 2048 : (r >> 8) % SZ_128K, GFP_KERNEL);
		ch->ops++;
		if (!(ch->ops % 64))
			cond_resched();
	}
	for (i = 0; i < ARRAY_SIZE(live); i++)
		gomem_free(live[i]);
	return 0;
}

#define GT_SNAPSHOTS	200

/*
 * gomem_read_memstats() while every other CPU allocates and frees: the
 * relations that hold at any moment hold in every snapshot (no live figure
 * below zero, per-class sums equal to the totals, heap_sys split exactly into
 * idle and in use). Once the workers stop and the caches are drained, the
 * heap holds at least the live objects and the free objects it reports.
 */
static void gomem_test_memstats_invariants(struct kunit *test)
{
	struct gomem_memstats *ms;
	struct gt_churn *ch;
	struct gt_kthread *kt;
	unsigned int cpu, self, n = 0, i;
	unsigned long ops = 0;
	atomic_t stop = ATOMIC_INIT(0);

	ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
	ch = kunit_kcalloc(test, nr_cpu_ids, sizeof(*ch), GFP_KERNEL);
	kt = kunit_kcalloc(test, nr_cpu_ids, sizeof(*kt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ms);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_ASSERT_NOT_NULL(test, kt);

	self = get_cpu();
	put_cpu();
	for_each_online_cpu(cpu) {
		if (cpu == self)
			continue;
		ch[n].stop = &stop;
		ch[n].seed = 0x9e3779b9 * (cpu + 1);
		if (!gt_kthread_start(&kt[n], cpu, gt_churn_fn, &ch[n]))
			n++;
	}
	for (i = 0; i < GT_SNAPSHOTS; i++) {
		gomem_read_memstats(ms);
		gt_expect_memstats_always(test, ms);
		cond_resched();
	}
	atomic_set(&stop, 1);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, gt_kthread_wait(&kt[i]), 0);
		ops += ch[i].ops;
	}
	kunit_info(test, "%u snapshots while %u CPUs made %lu allocations and frees\n",
		   GT_SNAPSHOTS, n, ops);

	gt_drain_all();
	gomem_read_memstats(ms);
	gt_expect_memstats_always(test, ms);
	KUNIT_EXPECT_EQ(test, ms->cached_free_bytes, 0);
	KUNIT_EXPECT_LE(test, ms->alloc + ms->central_free_bytes, ms->heap_inuse);
}

/* === The shrinker and the scavenger's passes === */

/* A large object too big to share a 4 MiB arena with another of its size. */
#define GT_ARENA_OBJ		(SZ_2M + GOMEM_PAGE_SIZE)
#define GT_ARENA_OBJS		4

/* From a quiet heap, one GT_ARENA_OBJ object in each of GT_ARENA_OBJS arenas. */
static void gt_alloc_arena_objs(struct kunit *test, void **objs)
{
	unsigned int i;

	gt_quiesce_heap();
	for (i = 0; i < GT_ARENA_OBJS; i++) {
		objs[i] = gomem_alloc(GT_ARENA_OBJ, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
}

static void gt_free_arena_objs(void **objs)
{
	unsigned int i;

	for (i = 0; i < GT_ARENA_OBJS; i++)
		gomem_free(objs[i]);
}

/*
 * The shrinker's count is what a scan can return: the pages of arenas with
 * no span in use, not the free pages inside arenas that still hold one
 * (reclaim would otherwise call scan for ever, for nothing). A scan returns
 * whole arenas until it has returned nr_to_scan pages, and no more.
 */
static void gomem_test_shrinker_counts_releasable(struct kunit *test)
{
	struct gomem_memstats *ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
	unsigned long count, freed, rest;
	void *objs[GT_ARENA_OBJS];

	KUNIT_ASSERT_NOT_NULL(test, ms);
	gt_alloc_arena_objs(test, objs);
	/* Every arena holds a span in use; at least the objects' arenas have free pages. */
	gomem_read_memstats(ms);
	KUNIT_EXPECT_GT(test, ms->heap_idle, 0);
	KUNIT_EXPECT_EQ_MSG(test, gomem_shrinker_count(), 0,
			    "counted with %llu bytes idle inside arenas in use", ms->heap_idle);

	gt_free_arena_objs(objs);
	count = gomem_shrinker_count();
	kunit_info(test, "idle inside arenas in use: %llu bytes; after the frees: %lu pages to give",
		   ms->heap_idle, count);
	/* One arena per object: at least two are idle now. */
	KUNIT_ASSERT_GE(test, count, 2 * (GT_ARENA_OBJ >> PAGE_SHIFT));
	freed = gomem_shrinker_scan(1);
	KUNIT_EXPECT_GE(test, freed, 1);
	KUNIT_EXPECT_LT_MSG(test, freed, count, "asked for 1 page, %lu of %lu went", freed, count);
	rest = gomem_shrinker_count();
	KUNIT_EXPECT_EQ(test, rest, count - freed);
	KUNIT_EXPECT_EQ(test, gomem_shrinker_scan(rest), rest);
	KUNIT_EXPECT_EQ(test, gomem_shrinker_count(), 0);
}

static unsigned int gt_quiet_s = 5;
module_param_named(quiet_s, gt_quiet_s, uint, 0444);
MODULE_PARM_DESC(quiet_s, "Seconds of frees on a fragmented heap in gomem_test_scavenger_quiet_when_fragmented, 1-600 (default: 5)");

/*
 * A fragmented heap - every arena keeps a span in use while much of it is
 * free - and steady frees that empty no arena: one scavenger pass at most
 * (the first free may start one; it returns nothing, and after a pass that
 * returned nothing only an emptied arena starts another). The scavenger
 * used to run every second for as long as the frees went on. Once the
 * arenas empty, a pass runs and releases.
 */
static void gomem_test_scavenger_quiet_when_fragmented(struct kunit *test)
{
	unsigned long passes0, passes1, passes2, drains, held;
	void *objs[GT_ARENA_OBJS], *p;
	unsigned long end;
	unsigned int n = 0;

	gt_alloc_arena_objs(test, objs);
	/* A pass the quiescing scheduled runs now, and finds nothing to do. */
	msleep(1500);
	gomem_scavenger_counts(&passes0, &drains);
	held = gomem_heap_sys_bytes();

	/* Seconds of large frees (straight to the heap) into the arenas in use. */
	end = jiffies + clamp(gt_quiet_s, 1U, 600U) * HZ;
	while (time_before(jiffies, end)) {
		p = gomem_alloc(SZ_64K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_free(p);
		n++;
		usleep_range(5000, 6000);
	}
	gomem_scavenger_counts(&passes1, &drains);
	kunit_info(test, "%u frees on a fragmented heap of %lu bytes: %lu scavenger passes",
		   n, held, passes1 - passes0);
	KUNIT_EXPECT_LE(test, passes1 - passes0, 1);

	/* The arenas empty: a pass follows within about a second, and releases. */
	gt_free_arena_objs(objs);
	msleep(2500);
	gomem_scavenger_counts(&passes2, &drains);
	KUNIT_EXPECT_GE(test, passes2 - passes1, 1);
	KUNIT_EXPECT_LT(test, gomem_heap_sys_bytes(), held);
}

static struct kunit_case gomem_memory_cases[] = {
	KUNIT_CASE_SLOW(gomem_test_memory_returns),
	KUNIT_CASE(gomem_test_memstats_exact),
	KUNIT_CASE_SLOW(gomem_test_memstats_invariants),
	KUNIT_CASE(gomem_test_shrinker_counts_releasable),
	KUNIT_CASE_SLOW(gomem_test_scavenger_quiet_when_fragmented),
	{}
};

static struct kunit_suite gomem_memory_suite = {
	.name = "gomem_memory",
	.exit = gt_suite_exit,
	.test_cases = gomem_memory_cases,
};

kunit_test_suite(gomem_memory_suite);
