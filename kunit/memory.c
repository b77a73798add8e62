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
	peak = gomem_heap_held_bytes();
	for (i = 0; i < n; i++) {
		bad += !gt_intact(objs[i], sizes[i], i);
		gomem_free(objs[i]);
	}
	gomem_drain_local();
	migrate_enable();
	gomem_scavenge();
	end = gomem_heap_held_bytes();

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
	KUNIT_EXPECT_EQ(test, ms->sys, ms->heap_sys - ms->heap_released + ms->mspan_sys +
			ms->mcache_sys + ms->other_sys);
	KUNIT_EXPECT_EQ(test, ms->heap_free_bytes, ms->heap_idle - ms->heap_released);
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
	KUNIT_EXPECT_GE(test, ms->sys, ms->heap_sys - ms->heap_released);
	KUNIT_EXPECT_EQ(test, ms->sys, ms->heap_sys - ms->heap_released + ms->mspan_sys +
			ms->mcache_sys + ms->other_sys);
	KUNIT_EXPECT_EQ(test, ms->heap_free_bytes, ms->heap_idle - ms->heap_released);
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

/* Run with the scavenger's floor at @bytes; the floor gomem was loaded with comes back at exit. */
static unsigned long gt_floor_saved = ULONG_MAX;

static void gt_set_floor(unsigned long bytes)
{
	unsigned long old = gomem_scavenger_set_floor(bytes);

	if (gt_floor_saved == ULONG_MAX)
		gt_floor_saved = old;
}

static void gt_memory_exit(struct kunit *test)
{
	if (gt_floor_saved != ULONG_MAX)
		gomem_scavenger_set_floor(gt_floor_saved);
	gt_floor_saved = ULONG_MAX;
	gomem_heap_set_limit(0);
	gt_suite_exit(test);
}

/* Pages the heap holds but has nothing in: what a scavenge could still give back. */
static u64 gt_free_held(const struct gomem_memstats *ms)
{
	return ms->heap_sys - ms->heap_released - ms->heap_inuse;
}

#define GT_FRAG_OBJ	(40 * SZ_1K)	/* a large object: 5 gomem pages, its own span */
#define GT_FRAG_OBJS	16

/*
 * A class with few objects gets small spans: with no span of its own, a
 * 27264-byte object takes a span of 4 pages (one object, a sixth of it
 * unused), not Go's 10 pages of 3 objects; the class's fifth span has Go's
 * size. Each allocation here takes a new span (none has a free object),
 * and heap_inuse counts its pages.
 */
static void gomem_test_small_first_spans(struct kunit *test)
{
	unsigned int sc = gt_class_of(27264), i, go_pages = gomem_class_to_npages[sc];
	struct gomem_memstats *ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
	u64 inuse, grew[5];
	void *objs[5];

	KUNIT_ASSERT_NOT_NULL(test, ms);
	if (gomem_debug_mode())
		kunit_skip(test, "debug mode: objects are slots of other classes");
	KUNIT_ASSERT_EQ(test, gomem_class_to_size[sc], 27264);
	KUNIT_ASSERT_EQ(test, go_pages, 10);
	gt_drain_all();		/* the class's empty spans, if any, go to the heap */
	gomem_read_memstats(ms);
	inuse = ms->heap_inuse;
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = gomem_alloc(27264, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gomem_read_memstats(ms);
		grew[i] = ms->heap_inuse - inuse;
		inuse = ms->heap_inuse;
	}
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ_MSG(test, grew[i], 4 * GOMEM_PAGE_SIZE, "span %u", i + 1);
	KUNIT_EXPECT_EQ_MSG(test, grew[4], (u64)go_pages * GOMEM_PAGE_SIZE, "span 5");
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		gomem_free(objs[i]);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

/*
 * Free runs between spans in use go back page by page while the arena stays:
 * every other one of 16 large objects freed, the heap scavenged. Nothing free
 * is held afterwards, the arena still is, its released pages are no longer
 * mapped to it (gomem_check_heap()), the other objects are intact, and the
 * same size is allocated again from fresh pages.
 */
static void gomem_test_release_fragmented_arena(struct kunit *test)
{
	struct gomem_memstats *ms0, *ms1;
	void *objs[GT_FRAG_OBJS], *p;
	unsigned int i, bad = 0;
	u64 span, half;

	ms0 = kunit_kzalloc(test, sizeof(*ms0), GFP_KERNEL);
	ms1 = kunit_kzalloc(test, sizeof(*ms1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ms0);
	KUNIT_ASSERT_NOT_NULL(test, ms1);
	gt_set_floor(ULONG_MAX);	/* no background pass meanwhile */
	gt_quiesce_heap();
	gomem_read_memstats(ms1);
	for (i = 0; i < GT_FRAG_OBJS; i++) {
		objs[i] = gomem_alloc(GT_FRAG_OBJ, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		gt_stamp(objs[i], GT_FRAG_OBJ, i);
	}
	gomem_read_memstats(ms0);
	/* A span's bytes (debug mode's red zone and trailer take one more page). */
	span = (ms0->heap_inuse - ms1->heap_inuse) / GT_FRAG_OBJS;
	half = GT_FRAG_OBJS / 2 * span;
	KUNIT_EXPECT_GE(test, span, GT_FRAG_OBJ);
	for (i = 0; i < GT_FRAG_OBJS; i += 2)
		gomem_free(objs[i]);
	gomem_scavenge();
	gomem_read_memstats(ms1);

	kunit_info(test, "held %llu -> %llu bytes, released %llu -> %llu, arenas %llu -> %llu",
		   ms0->heap_sys - ms0->heap_released, ms1->heap_sys - ms1->heap_released,
		   ms0->heap_released, ms1->heap_released, ms0->arenas, ms1->arenas);
	KUNIT_EXPECT_EQ(test, gt_free_held(ms1), 0);
	KUNIT_EXPECT_GE(test, ms1->heap_released, ms0->heap_released + half);
	KUNIT_EXPECT_LE(test, ms1->heap_sys - ms1->heap_released,
			ms0->heap_sys - ms0->heap_released - half);
	KUNIT_EXPECT_EQ(test, ms1->arenas, ms0->arenas);
	KUNIT_EXPECT_EQ(test, ms1->heap_inuse, ms0->heap_inuse - half);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
	for (i = 1; i < GT_FRAG_OBJS; i += 2)
		bad += !gt_intact(objs[i], GT_FRAG_OBJ, i);
	KUNIT_EXPECT_EQ(test, bad, 0);

	p = gomem_alloc(GT_FRAG_OBJ, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	if (p) {
		gt_stamp(p, GT_FRAG_OBJ, 99);
		KUNIT_EXPECT_TRUE(test, gt_intact(p, GT_FRAG_OBJ, 99));
		gomem_free(p);
	}
	for (i = 1; i < GT_FRAG_OBJS; i += 2)
		gomem_free(objs[i]);
	gomem_scavenge();
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

/*
 * The shrinker's count is what a scan can return: the free pages of the
 * heap, inside arenas that still hold a span too. A scan gives back what it
 * is asked for, rounded up to a gomem page, oldest runs first, the last in
 * part; then the count is what is left.
 */
static void gomem_test_shrinker_counts_releasable(struct kunit *test)
{
	struct gomem_memstats *ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
	/* Past each object, its arena is free (less a page for debug mode's trailer). */
	unsigned long count, freed, rest, tail = SZ_4M - GT_ARENA_OBJ - GOMEM_PAGE_SIZE;
	void *objs[GT_ARENA_OBJS];

	KUNIT_ASSERT_NOT_NULL(test, ms);
	gt_set_floor(ULONG_MAX);
	gt_alloc_arena_objs(test, objs);
	count = gomem_shrinker_count();
	gomem_read_memstats(ms);
	kunit_info(test, "%lu pages to give with %u arenas in use", count, GT_ARENA_OBJS);
	KUNIT_EXPECT_EQ(test, count, gt_free_held(ms) >> PAGE_SHIFT);
	KUNIT_EXPECT_GE(test, count, GT_ARENA_OBJS * (tail >> PAGE_SHIFT));
	freed = gomem_shrinker_scan(1);
	KUNIT_EXPECT_EQ(test, freed, GOMEM_PAGE_SIZE >> PAGE_SHIFT);
	rest = gomem_shrinker_count();
	KUNIT_EXPECT_EQ(test, rest, count - freed);
	KUNIT_EXPECT_EQ(test, gomem_shrinker_scan(rest), rest);
	KUNIT_EXPECT_EQ(test, gomem_shrinker_count(), 0);
	gomem_read_memstats(ms);
	KUNIT_EXPECT_EQ(test, gt_free_held(ms), 0);
	KUNIT_EXPECT_GE(test, ms->arenas, GT_ARENA_OBJS);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);

	/* The objects' pages are next; their arenas go with them. */
	gt_free_arena_objs(objs);
	count = gomem_shrinker_count();
	KUNIT_EXPECT_GE(test, count, GT_ARENA_OBJS * ((unsigned long)GT_ARENA_OBJ >> PAGE_SHIFT));
	KUNIT_EXPECT_EQ(test, gomem_shrinker_scan(count), count);
	gomem_read_memstats(ms);
	KUNIT_EXPECT_EQ(test, gt_free_held(ms), 0);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

#define GT_LIMIT_OBJ	SZ_64K
#define GT_LIMIT_OBJS	16

/*
 * memory_limit_kb: with the limit 16 objects' pages above what the heap
 * holds, 16 large objects fit and the 17th fails cleanly (NULL, counted,
 * nothing reported); a free makes room again. A limit below what is held is
 * taken: a growth fails until frees bring the heap under it. (An object's
 * pages are measured: debug mode adds one for its red zone and trailer.)
 */
static void gomem_test_memory_limit(struct kunit *test)
{
	struct gomem_memstats *ms0, *ms1;
	void *objs[GT_LIMIT_OBJS + 1] = {}, *p;
	struct gt_errors *e = gt_errors_start(test);
	unsigned long held, per;
	unsigned int i, n = 0;

	ms0 = kunit_kzalloc(test, sizeof(*ms0), GFP_KERNEL);
	ms1 = kunit_kzalloc(test, sizeof(*ms1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ms0);
	KUNIT_ASSERT_NOT_NULL(test, ms1);
	gt_set_floor(ULONG_MAX);
	held = gt_quiesce_heap();
	gomem_read_memstats(ms0);
	/* Near the limit an arena is no larger than its span: measure one. */
	gomem_heap_set_limit(held + GT_LIMIT_OBJS * (GT_LIMIT_OBJ + GOMEM_PAGE_SIZE));
	objs[0] = gomem_alloc(GT_LIMIT_OBJ, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	per = gomem_heap_held_bytes() - held;
	KUNIT_EXPECT_LE(test, per, GT_LIMIT_OBJ + GOMEM_PAGE_SIZE);
	gomem_heap_set_limit(held + GT_LIMIT_OBJS * per);
	for (i = 0; i <= GT_LIMIT_OBJS; i++) {
		if (!objs[i])
			objs[i] = gomem_alloc(GT_LIMIT_OBJ, GFP_KERNEL | __GFP_NOWARN);
		n += !!objs[i];
	}
	gomem_read_memstats(ms1);
	kunit_info(test, "limit %llu bytes: %u objects of %lu bytes of pages, held %llu",
		   ms1->memory_limit, n, per, ms1->heap_sys - ms1->heap_released);
	KUNIT_EXPECT_EQ(test, ms1->memory_limit, held + GT_LIMIT_OBJS * per);
	KUNIT_EXPECT_EQ(test, n, GT_LIMIT_OBJS);
	KUNIT_EXPECT_NULL(test, objs[GT_LIMIT_OBJS]);
	KUNIT_EXPECT_GT(test, ms1->limit_refusals, ms0->limit_refusals);
	KUNIT_EXPECT_LE(test, ms1->heap_sys - ms1->heap_released, ms1->memory_limit);
	KUNIT_EXPECT_EQ(test, gt_errors_delta_all(e), 0);

	/* A free makes room: its pages serve the next allocation. */
	gomem_free(objs[0]);
	objs[0] = gomem_alloc(GT_LIMIT_OBJ, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NOT_NULL(test, objs[0]);

	/* Below what is held: taken; a growth fails, frees bring it back. */
	gomem_heap_set_limit(held + 2 * per);
	p = gomem_alloc(2 * GT_LIMIT_OBJ, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, p);
	gomem_free(p);
	for (i = 0; i < GT_LIMIT_OBJS; i++) {
		gomem_free(objs[i]);
		objs[i] = NULL;
	}
	/* Free runs the limit releases itself, at once: the growth fits again. */
	p = gomem_alloc(2 * GT_LIMIT_OBJ, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NOT_NULL(test, p);
	gomem_free(p);
	gomem_read_memstats(ms1);
	KUNIT_EXPECT_GT(test, ms1->limit_released_bytes, ms0->limit_released_bytes);
	gomem_heap_set_limit(0);
	KUNIT_EXPECT_EQ(test, gt_errors_delta_all(e), 0);
	gt_quiesce_heap();
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

static unsigned int gt_quiet_s = 5;
module_param_named(quiet_s, gt_quiet_s, uint, 0444);
MODULE_PARM_DESC(quiet_s, "Seconds of frees in gomem_test_scavenger_paced, 1-600 (default: 5)");

/* Wait up to @s seconds for the heap to hold no free page; the ms it took, or -1. */
static long gt_wait_settled(struct gomem_memstats *ms, unsigned int s)
{
	unsigned long start = jiffies, end = start + s * HZ;

	for (;;) {
		gomem_read_memstats(ms);
		if (!gt_free_held(ms))
			return jiffies_to_msecs(jiffies - start);
		if (time_after(jiffies, end)) {
			pr_info("gomem_kunit: not settled in %u s: %llu bytes free, %llu in use, %llu released, %llu passes\n",
				s, gt_free_held(ms), ms->heap_inuse, ms->heap_released,
				ms->scavenger_passes);
			return -1;
		}
		msleep(50);
	}
}

/*
 * The background scavenger with no floor: free runs inside arenas in use go
 * back on their own within a few seconds (no gomem_scavenge() call), and the
 * scavenger then stops running. Steady frees keep it to a few passes a
 * second (not one per free), and it settles again once they stop.
 */
static void gomem_test_scavenger_paced(struct kunit *test)
{
	unsigned long passes0, passes1, passes2, drains;
	struct gomem_memstats *ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);
	unsigned int n = 0, secs = clamp(gt_quiet_s, 1U, 600U);
	void *objs[GT_ARENA_OBJS], *p;
	u64 ns0, ns1;
	long ms_settled;
	unsigned long end;

	KUNIT_ASSERT_NOT_NULL(test, ms);
	gt_set_floor(ULONG_MAX);
	gt_alloc_arena_objs(test, objs);
	gomem_scavenger_counts(&passes0, &drains, &ns0);
	gomem_read_memstats(ms);
	KUNIT_ASSERT_GT(test, gt_free_held(ms), 0);
	/* The floor goes: the next span free starts a pass. */
	gt_set_floor(0);
	gomem_free(gomem_alloc(SZ_64K, GFP_KERNEL));
	ms_settled = gt_wait_settled(ms, 10);
	gomem_scavenger_counts(&passes1, &drains, &ns1);
	kunit_info(test, "settled in %ld ms: %lu passes, %llu us releasing", ms_settled,
		   passes1 - passes0, (ns1 - ns0) / 1000);
	KUNIT_EXPECT_GE(test, ms_settled, 0);
	KUNIT_EXPECT_GT(test, passes1, passes0);
	KUNIT_EXPECT_GT(test, ns1, ns0);
	KUNIT_EXPECT_GE(test, ms->arenas, GT_ARENA_OBJS);
	/* Nothing left: no pass runs. */
	msleep(2500);
	gomem_scavenger_counts(&passes2, &drains, &ns1);
	KUNIT_EXPECT_LE_MSG(test, passes2 - passes1, 1, "passes with nothing to do");

	/* Seconds of large frees (straight to the heap) into the arenas in use. */
	gomem_scavenger_counts(&passes1, &drains, &ns1);
	end = jiffies + secs * HZ;
	while (time_before(jiffies, end)) {
		p = gomem_alloc(SZ_64K, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gomem_free(p);
		n++;
		usleep_range(5000, 6000);
	}
	gomem_scavenger_counts(&passes2, &drains, &ns1);
	kunit_info(test, "%u frees in %u s: %lu scavenger passes", n, secs, passes2 - passes1);
	/* A pass when a run comes of age, and its paced chunks: a few a second, not one a free. */
	KUNIT_EXPECT_LE(test, passes2 - passes1, 4 * secs + 4);
	gt_free_arena_objs(objs);
	KUNIT_EXPECT_GE(test, gt_wait_settled(ms, 10), 0);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

static struct kunit_case gomem_memory_cases[] = {
	KUNIT_CASE_SLOW(gomem_test_memory_returns),
	KUNIT_CASE(gomem_test_memstats_exact),
	KUNIT_CASE_SLOW(gomem_test_memstats_invariants),
	KUNIT_CASE(gomem_test_small_first_spans),
	KUNIT_CASE(gomem_test_release_fragmented_arena),
	KUNIT_CASE(gomem_test_shrinker_counts_releasable),
	KUNIT_CASE(gomem_test_memory_limit),
	KUNIT_CASE_SLOW(gomem_test_scavenger_paced),
	{}
};

static struct kunit_suite gomem_memory_suite = {
	.name = "gomem_memory",
	.exit = gt_memory_exit,
	.test_cases = gomem_memory_cases,
};

kunit_test_suite(gomem_memory_suite);
