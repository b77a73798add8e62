// SPDX-License-Identifier: GPL-2.0
/*
 * Suites gomem_smp and gomem_hotplug: objects allocated on one CPU and freed
 * on another, every online CPU allocating and freeing at once, and CPUs
 * going offline and online while others allocate.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "gomem_test.h"

static int gomem_smp_init(struct kunit *test)
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, %u online", num_online_cpus());
	return 0;
}

/* Request sizes of a mixed workload: mostly tiny and small, a few large. */
static size_t gt_mixed_size(u32 r)
{
	u32 s = r >> 8;

	switch (r % 100) {
	case 0 ... 34:
		return s % 15 + 1;
	case 35 ... 74:
		return s % 512 + 16;
	case 75 ... 93:
		return s % 4096 + 513;
	case 94 ... 98:
		return s % GOMEM_MAX_SMALL_OBJECT + 1;
	default:
		return s % (3 * GOMEM_MAX_SMALL_OBJECT) + GOMEM_MAX_SMALL_OBJECT + 1;
	}
}

/* === Allocate on one CPU, free on another === */

#define GT_BATCH	96

/**
 * struct gt_batch - objects handed from one CPU to another
 * @obj: the objects
 * @size: their sizes
 * @seed: xorshift state choosing the sizes
 * @nomem: failed allocations
 * @bad: objects found overwritten
 */
struct gt_batch {
	void *obj[GT_BATCH];
	size_t size[GT_BATCH];
	u32 seed;
	unsigned int nomem;
	unsigned int bad;
};

static long gt_batch_alloc(void *arg)
{
	struct gt_batch *b = arg;
	unsigned int i;

	for (i = 0; i < GT_BATCH; i++) {
		b->size[i] = gt_mixed_size(gt_rand(&b->seed));
		b->obj[i] = gomem_alloc(b->size[i], GFP_KERNEL);
		if (b->obj[i])
			gt_stamp(b->obj[i], b->size[i], raw_smp_processor_id());
		else
			b->nomem++;
	}
	return 0;
}

/* Check and free a batch whose objects were stamped with @tag (the allocating CPU). */
static void gt_batch_free(struct gt_batch *b, unsigned int tag)
{
	unsigned int i;

	for (i = 0; i < GT_BATCH; i++) {
		if (b->obj[i] && !gt_intact(b->obj[i], b->size[i], tag))
			b->bad++;
		gomem_free(b->obj[i]);
		b->obj[i] = NULL;
	}
}

struct gt_remote {
	struct gt_batch *batch;
	unsigned int tag;
};

static long gt_batch_free_fn(void *arg)
{
	struct gt_remote *r = arg;

	gt_batch_free(r->batch, r->tag);
	return 0;
}

/*
 * For every ordered pair of online CPUs, a batch of mixed objects allocated
 * on the first is checked and freed on the second: frees go to the freeing
 * CPU's cache and from there back to spans the other CPU allocated from.
 */
static void gomem_test_remote_free(struct kunit *test)
{
	struct gt_batch *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int a, f, pairs = 0, nomem = 0, bad = 0;
	struct gt_remote r = { .batch = b };

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->seed = 0x1234567;
	for_each_online_cpu(a) {
		for_each_online_cpu(f) {
			if (a == f)
				continue;
			b->nomem = 0;
			b->bad = 0;
			if (work_on_cpu_safe(a, gt_batch_alloc, b))
				continue;
			r.tag = a;
			if (work_on_cpu_safe(f, gt_batch_free_fn, &r))
				gt_batch_free(b, a);	/* f went offline: free here */
			else
				pairs++;
			nomem += b->nomem;
			bad += b->bad;
		}
	}
	KUNIT_EXPECT_GT(test, pairs, 0);
	KUNIT_EXPECT_EQ(test, nomem, 0);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects overwritten between CPUs");
}

/* === Every CPU at once === */

#define GT_RING		32
#define GT_WORKER_SLOTS	64

/**
 * struct gt_exchange - objects passed between the workers of all CPUs
 * @lock: guards the ring
 * @obj: a ring of objects, each freed by whichever worker pops it
 * @size: their sizes
 * @cpu: the CPU that allocated each
 * @head: next slot to pop
 * @count: objects in the ring
 * @remote_frees: objects freed on another CPU than their allocation's
 * @bad: objects found overwritten
 * @nomem: failed allocations
 */
struct gt_exchange {
	spinlock_t lock;		/* the ring: obj, size, cpu, head, count */
	void *obj[GT_RING];
	size_t size[GT_RING];
	unsigned int cpu[GT_RING];
	unsigned int head;
	unsigned int count;
	atomic_long_t remote_frees;
	atomic_long_t bad;
	atomic_long_t nomem;
};

/**
 * struct gt_worker - one CPU's share of a concurrent workload
 * @kt: the thread
 * @ex: the exchange shared by all workers
 * @stop: if set, run until *@stop is true rather than @iters times
 * @iters: iterations to run
 * @ops: iterations run
 * @slot: objects held
 * @size: their sizes
 */
struct gt_worker {
	struct gt_kthread kt;
	struct gt_exchange *ex;
	bool *stop;
	unsigned long iters;
	unsigned long ops;
	void *slot[GT_WORKER_SLOTS];
	size_t size[GT_WORKER_SLOTS];
};

/* Pass @p to the ring; free the object it displaces (likely another CPU's). */
static void gt_exchange_put(struct gt_exchange *ex, void *p, size_t size, unsigned int cpu)
{
	unsigned int old_cpu = 0, tail;
	size_t old_size = 0;
	void *old = NULL;

	spin_lock(&ex->lock);
	if (ex->count == GT_RING) {
		old = ex->obj[ex->head];
		old_size = ex->size[ex->head];
		old_cpu = ex->cpu[ex->head];
		ex->head = (ex->head + 1) % GT_RING;
		ex->count--;
	}
	tail = (ex->head + ex->count) % GT_RING;
	ex->obj[tail] = p;
	ex->size[tail] = size;
	ex->cpu[tail] = cpu;
	ex->count++;
	spin_unlock(&ex->lock);

	if (!old)
		return;
	if (!gt_intact(old, old_size, 5))
		atomic_long_inc(&ex->bad);
	if (old_cpu != cpu)
		atomic_long_inc(&ex->remote_frees);
	gomem_free(old);
}

static int gt_worker_fn(struct gt_kthread *kt)
{
	struct gt_worker *w = kt->data;
	struct gt_exchange *ex = w->ex;
	u32 rng = 0x5bd1e995 + kt->cpu * 7919;
	unsigned int i;

	for (w->ops = 0; w->stop ? !READ_ONCE(*w->stop) : w->ops < w->iters; w->ops++) {
		u32 r = gt_rand(&rng);

		i = r % GT_WORKER_SLOTS;
		if (w->slot[i]) {
			if (!gt_intact(w->slot[i], w->size[i], 5))
				atomic_long_inc(&ex->bad);
			if (r & 0x40000000)
				gt_exchange_put(ex, w->slot[i], w->size[i], kt->cpu);
			else
				gomem_free(w->slot[i]);
			w->slot[i] = NULL;
		} else {
			w->size[i] = gt_mixed_size(r);
			w->slot[i] = gomem_alloc(w->size[i], GFP_KERNEL);
			if (w->slot[i])
				gt_stamp(w->slot[i], w->size[i], 5);
			else
				atomic_long_inc(&ex->nomem);
		}
		if (w->ops % 64 == 0)
			cond_resched();
	}
	for (i = 0; i < GT_WORKER_SLOTS; i++) {
		if (w->slot[i] && !gt_intact(w->slot[i], w->size[i], 5))
			atomic_long_inc(&ex->bad);
		gomem_free(w->slot[i]);
		w->slot[i] = NULL;
	}
	return 0;
}

static struct gt_exchange *gt_exchange_new(struct kunit *test)
{
	struct gt_exchange *ex = kunit_kzalloc(test, sizeof(*ex), GFP_KERNEL);

	if (ex)
		spin_lock_init(&ex->lock);
	return ex;
}

/* Free what is left in the ring; count damaged objects. */
static void gt_exchange_drain(struct gt_exchange *ex)
{
	while (ex->count) {
		if (!gt_intact(ex->obj[ex->head], ex->size[ex->head], 5))
			atomic_long_inc(&ex->bad);
		gomem_free(ex->obj[ex->head]);
		ex->head = (ex->head + 1) % GT_RING;
		ex->count--;
	}
}

#define GT_WORKER_ITERS	5000

/*
 * A worker bound to each online CPU allocates, checks and frees mixed
 * objects, and passes some through a shared ring so that others free them.
 * Every object keeps its contents, and gomem's counters agree afterwards:
 * as many frees as allocations.
 */
static void gomem_test_all_cpus(struct kunit *test)
{
	struct gomem_memstats *before, *after;
	struct gt_exchange *ex;
	struct gt_worker *w;
	unsigned int cpu, n = 0, started = 0, k;
	unsigned long ops = 0;

	w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	ex = gt_exchange_new(test);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_NOT_NULL(test, ex);

	gomem_read_memstats(before);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w[n].ex = ex;
		w[n].iters = gt_scale(GT_WORKER_ITERS);
		if (!gt_kthread_start(&w[n].kt, cpu, gt_worker_fn, &w[n]))
			started++;
		n++;
	}
	cpus_read_unlock();
	for (k = 0; k < n; k++) {
		gt_kthread_wait(&w[k].kt);
		ops += w[k].ops;
	}
	gt_exchange_drain(ex);
	gomem_read_memstats(after);

	KUNIT_EXPECT_EQ(test, started, n);
	KUNIT_EXPECT_EQ(test, ops, (unsigned long)started * gt_scale(GT_WORKER_ITERS));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ex->nomem), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&ex->bad), 0, "objects overwritten");
	KUNIT_EXPECT_GT(test, atomic_long_read(&ex->remote_frees), 0);
	KUNIT_EXPECT_GT(test, after->mallocs, before->mallocs);
	KUNIT_EXPECT_EQ(test, after->mallocs - before->mallocs, after->frees - before->frees);
	KUNIT_EXPECT_EQ(test, after->heap_objects, before->heap_objects);
	KUNIT_EXPECT_EQ(test, after->alloc, before->alloc);
}

/* === Tiny objects freed by another CPU while their block is in use === */

#define GT_PIPE_RING	256
#define GT_PIPE_OBJS	20000

/**
 * struct gt_pipe - tiny objects streamed from a producer CPU to a consumer CPU
 * @lock: guards the ring
 * @obj: the ring
 * @size: the objects' sizes
 * @head: next slot to pop
 * @count: objects in the ring
 * @done: the producer has pushed its last object (release/acquire)
 * @passed: objects the consumer freed
 * @bad: objects found overwritten
 * @nomem: failed allocations
 */
struct gt_pipe {
	spinlock_t lock;		/* the ring: obj, size, head, count */
	void *obj[GT_PIPE_RING];
	u8 size[GT_PIPE_RING];
	unsigned int head;
	unsigned int count;
	bool done;
	unsigned long passed;
	atomic_long_t bad;
	atomic_long_t nomem;
};

static int gt_pipe_producer(struct gt_kthread *kt)
{
	struct gt_pipe *pp = kt->data;
	u32 rng = 0x3c6ef372;
	unsigned int i;
	bool pushed;
	void *p;

	for (i = 0; i < gt_scale(GT_PIPE_OBJS); i++) {
		size_t size = gt_rand(&rng) % (GOMEM_TINY_SIZE - 1) + 1;

		p = gomem_alloc(size, GFP_KERNEL);
		if (!p) {
			atomic_long_inc(&pp->nomem);
			continue;
		}
		gt_stamp(p, size, 13);
		do {
			spin_lock(&pp->lock);
			pushed = pp->count < GT_PIPE_RING;
			if (pushed) {
				unsigned int tail = (pp->head + pp->count++) % GT_PIPE_RING;

				pp->obj[tail] = p;
				pp->size[tail] = size;
			}
			spin_unlock(&pp->lock);
			if (!pushed)
				cond_resched();
		} while (!pushed);
	}
	/* Pairs with the consumer's acquire: it sees every push once it sees done. */
	smp_store_release(&pp->done, true);
	return 0;
}

static int gt_pipe_consumer(struct gt_kthread *kt)
{
	struct gt_pipe *pp = kt->data;
	size_t size = 0;
	bool done;
	void *p;

	for (;;) {
		/* Read before the ring: done and empty means no more objects. */
		done = smp_load_acquire(&pp->done);
		p = NULL;
		spin_lock(&pp->lock);
		if (pp->count) {
			p = pp->obj[pp->head];
			size = pp->size[pp->head];
			pp->head = (pp->head + 1) % GT_PIPE_RING;
			pp->count--;
		}
		spin_unlock(&pp->lock);
		if (!p && done)
			break;
		if (!p) {
			cond_resched();
			continue;
		}
		if (!gt_intact(p, size, 13))
			atomic_long_inc(&pp->bad);
		gomem_free(p);
		pp->passed++;
	}
	return 0;
}

/*
 * One CPU allocates tiny objects and another frees each one soon after,
 * mostly while the producer still packs into the same 16-byte block: the
 * last free of a block races with the producer moving to a new block, and
 * exactly one of them must release it. Every object keeps its contents,
 * and the tiny counters balance.
 */
static void gomem_test_tiny_cross_cpu(struct kunit *test)
{
	struct gomem_memstats *before, *after;
	struct gt_kthread prod, cons;
	unsigned int a, b;
	struct gt_pipe *pp;
	int ret;

	if (!gt_tiny_enabled())
		kunit_skip(test, "the tiny allocator is off (tiny=0 or debug mode)");
	pp = kunit_kzalloc(test, sizeof(*pp), GFP_KERNEL);
	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pp);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	spin_lock_init(&pp->lock);

	gomem_read_memstats(before);
	cpus_read_lock();
	a = cpumask_first(cpu_online_mask);
	b = cpumask_next(a, cpu_online_mask);
	ret = gt_kthread_start(&cons, b, gt_pipe_consumer, pp);
	if (!ret) {
		ret = gt_kthread_start(&prod, a, gt_pipe_producer, pp);
		if (ret)	/* no producer: let the consumer end */
			smp_store_release(&pp->done, true);
	}
	cpus_read_unlock();
	KUNIT_ASSERT_EQ(test, ret, 0);
	gt_kthread_wait(&prod);
	gt_kthread_wait(&cons);
	gomem_read_memstats(after);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&pp->nomem), 0);
	KUNIT_EXPECT_EQ(test, pp->passed, gt_scale(GT_PIPE_OBJS));
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&pp->bad), 0, "tiny objects overwritten");
	KUNIT_EXPECT_EQ(test, after->tiny_allocs - before->tiny_allocs, gt_scale(GT_PIPE_OBJS));
	KUNIT_EXPECT_EQ(test, after->heap_objects, before->heap_objects);
	KUNIT_EXPECT_EQ(test, after->alloc, before->alloc);
}

/* === gomem_hotplug === */

/**
 * struct gt_hotplug - the CPUs of a hotplug case
 * @victim: a hot-pluggable CPU other than the first online one, taken down
 * @steady: the first online CPU, which stays up and runs a worker
 */
struct gt_hotplug {
	unsigned int victim;
	unsigned int steady;
};

static void gt_cpu_up_action(void *arg)
{
	unsigned int cpu = (unsigned long)arg;

	if (!cpu_online(cpu))
		add_cpu(cpu);
}

static int gomem_hotplug_init(struct kunit *test)
{
	struct gt_hotplug *hp;
	unsigned int cpu;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU))
		kunit_skip(test, "CONFIG_HOTPLUG_CPU is off");
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs 2 online CPUs, %u online", num_online_cpus());
	hp = kunit_kzalloc(test, sizeof(*hp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hp);
	hp->steady = cpumask_first(cpu_online_mask);
	hp->victim = nr_cpu_ids;
	for_each_online_cpu(cpu)
		if (cpu != hp->steady && cpu_is_hotpluggable(cpu))
			hp->victim = cpu;
	if (hp->victim >= nr_cpu_ids)
		kunit_skip(test, "no hot-pluggable CPU besides CPU %u", hp->steady);
	/* Whatever happens in the case, the CPU comes back. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_cpu_up_action,
							(void *)(unsigned long)hp->victim), 0);
	test->priv = hp;
	return 0;
}

/**
 * struct gt_hp_set - objects allocated on the CPU about to go down
 * @obj: live objects, freed by the test once the CPU is down
 * @size: their sizes
 * @nomem: failed allocations
 */
struct gt_hp_set {
	void *obj[GT_BATCH];
	size_t size[GT_BATCH];
	unsigned int nomem;
};

/*
 * On the victim: allocate a live set, and allocate and free as much again
 * so that its caches hold free objects and a current tiny block.
 */
static long gt_hp_fill(void *arg)
{
	struct gt_hp_set *set = arg;
	u32 rng = 0xdeadbeef;
	unsigned int i;
	void *p;

	for (i = 0; i < GT_BATCH; i++) {
		size_t size = gt_mixed_size(gt_rand(&rng));

		p = gomem_alloc(size, GFP_KERNEL);
		if (p)
			gt_stamp(p, size, 11);
		else
			set->nomem++;
		set->obj[i] = gomem_alloc(gt_mixed_size(gt_rand(&rng)), GFP_KERNEL);
		set->size[i] = set->obj[i] ? gomem_usable_size(set->obj[i]) : 0;
		if (set->obj[i])
			gt_stamp(set->obj[i], set->size[i], 11);
		else
			set->nomem++;
		gomem_free(p);
	}
	return 0;
}

#define GT_HOTPLUG_ROUNDS	5

/*
 * While a worker on a steady CPU allocates and frees, the victim CPU
 * allocates objects and goes offline (its caches are flushed by gomem's
 * CPU-dead callback) and online again, a few times. Its objects are freed
 * by the test once it is down; all of them are intact.
 */
static void gomem_test_hotplug_while_allocating(struct kunit *test)
{
	struct gt_hotplug *hp = test->priv;
	struct gt_exchange *ex = gt_exchange_new(test);
	unsigned int round, i, bad = 0, nomem = 0, downs = 0;
	struct gt_hp_set *set;
	struct gt_worker *w;
	bool stop = false;
	int ret;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	set = kunit_kzalloc(test, sizeof(*set), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ex);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, set);
	w->ex = ex;
	w->stop = &stop;
	KUNIT_ASSERT_EQ(test, gt_kthread_start(&w->kt, hp->steady, gt_worker_fn, w), 0);

	for (round = 0; round < gt_scale(GT_HOTPLUG_ROUNDS); round++) {
		memset(set, 0, sizeof(*set));
		ret = work_on_cpu_safe(hp->victim, gt_hp_fill, set);
		KUNIT_EXPECT_EQ(test, ret, 0);
		nomem += set->nomem;
		ret = remove_cpu(hp->victim);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "remove_cpu(%u)", hp->victim);
		if (!ret) {
			downs++;
			KUNIT_EXPECT_FALSE(test, cpu_online(hp->victim));
			KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
		}
		for (i = 0; i < GT_BATCH; i++) {
			if (set->obj[i] && !gt_intact(set->obj[i], set->size[i], 11))
				bad++;
			gomem_free(set->obj[i]);
		}
		if (!ret) {
			ret = add_cpu(hp->victim);
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "add_cpu(%u)", hp->victim);
		}
		if (ret)
			break;
	}

	WRITE_ONCE(stop, true);
	gt_kthread_wait(&w->kt);
	gt_exchange_drain(ex);
	kunit_info(test, "CPU %u down and up %u times, worker on CPU %u ran %lu iterations",
		   hp->victim, downs, hp->steady, w->ops);
	KUNIT_EXPECT_EQ(test, downs, gt_scale(GT_HOTPLUG_ROUNDS));
	KUNIT_EXPECT_EQ(test, nomem, 0);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "objects of the offlined CPU overwritten");
	KUNIT_EXPECT_GT(test, w->ops, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ex->nomem), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&ex->bad), 0);
}

static long gt_dirty_caches(void *unused)
{
	static const size_t sizes[] = { 5, 8, 24, 100, 1000, 4096, 9000, 32768 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		gomem_free(gomem_alloc(sizes[i], GFP_KERNEL));
	return 0;
}

/*
 * What a CPU's caches hold pins spans; going offline releases it. With all
 * other CPUs drained, the heap gomem_scavenge() leaves is larger while the
 * victim's caches hold objects, and back to what it was once the victim is
 * down: the CPU-dead callback flushed its caches.
 */
static void gomem_test_hotplug_drains_caches(struct kunit *test)
{
	struct gt_hotplug *hp = test->priv;
	unsigned long base, pinned, after;
	int ret;

	base = gt_quiesce_heap();
	KUNIT_ASSERT_EQ(test, work_on_cpu_safe(hp->victim, gt_dirty_caches, NULL), 0);
	gt_drain_all_but(hp->victim);
	gomem_scavenge();
	pinned = gomem_heap_held_bytes();

	ret = remove_cpu(hp->victim);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "remove_cpu(%u)", hp->victim);
	gt_drain_all();
	gomem_scavenge();
	after = gomem_heap_held_bytes();
	KUNIT_EXPECT_EQ_MSG(test, add_cpu(hp->victim), 0, "add_cpu(%u)", hp->victim);

	kunit_info(test, "heap: %lu bytes idle, %lu with CPU %u's caches, %lu once it is down",
		   base, pinned, hp->victim, after);
	/*
	 * The victim's caches pin at least one span while it is up, nothing once
	 * it is down. (Compared with @after, not @base: runs used to see @base
	 * at one arena, pinned by a fresh span a refill had added but not used;
	 * a refill now takes its batch from a fresh span as it lists it, and
	 * @after <= @base checks that no such span is left.)
	 */
	KUNIT_EXPECT_GT(test, pinned, after);
	KUNIT_EXPECT_LE(test, after, base);
}

/* === Two CPUs' caches and the lines of live bytes === */

#define GT_LINE_OBJS	128	/* two lines' worth of 16-byte objects */

struct gt_lines {
	void *a[GT_LINE_OBJS];	/* CPU A's, freed again on A */
	void *b;		/* CPU B's, taken after A's frees */
};

/* The line of live bytes of a small object: its span's base and index / 64. */
static unsigned long gt_line_of(const void *p)
{
	unsigned long span = (unsigned long)p & ~(GOMEM_PAGE_SIZE - 1UL);

	return span + ((unsigned long)p - span) / 16 / 64;
}

static long gt_lines_a(void *arg)
{
	struct gt_lines *l = arg;
	unsigned int i;

	for (i = 0; i < GT_LINE_OBJS; i++)
		l->a[i] = gomem_alloc(16, GFP_KERNEL);
	for (i = 0; i < GT_LINE_OBJS; i++)
		gomem_free(l->a[i]);	/* the cache fills, then flushes half */
	return 0;
}

static long gt_lines_b(void *arg)
{
	struct gt_lines *l = arg;

	l->b = gomem_alloc(16, GFP_KERNEL);
	return 0;
}

/*
 * A CPU whose cache refills while a span has a wholly free line of live
 * bytes gets that line, not objects another CPU flushed from lines it still
 * uses: CPU A takes two lines of 16-byte objects and frees them, which
 * leaves half in its cache and half in the transfer cache; CPU B's first
 * object must be in neither line, so that the two CPUs' allocations and
 * frees write different cache lines. (Before, a refill took the transfer
 * cache first, and B's object was one of A's lines.)
 */
static void gomem_test_refill_own_line(struct kunit *test)
{
	struct gt_lines *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	unsigned int a = cpumask_first(cpu_online_mask), b, i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	if (gomem_debug_mode())
		kunit_skip(test, "debug mode: objects are slots of other classes");
	b = cpumask_next(a, cpu_online_mask);
	if (b >= nr_cpu_ids)
		kunit_skip(test, "one CPU online");
	gt_drain_all();
	KUNIT_ASSERT_EQ(test, work_on_cpu_safe(a, gt_lines_a, l), 0);
	KUNIT_ASSERT_EQ(test, work_on_cpu_safe(b, gt_lines_b, l), 0);
	KUNIT_ASSERT_NOT_NULL(test, l->b);
	for (i = 0; i < GT_LINE_OBJS; i++) {
		KUNIT_ASSERT_NOT_NULL(test, l->a[i]);
		KUNIT_EXPECT_NE_MSG(test, gt_line_of(l->b), gt_line_of(l->a[i]),
				    "CPU %u's object shares a line with CPU %u's object %u",
				    b, a, i);
	}
	gomem_free(l->b);
}

static struct kunit_case gomem_smp_cases[] = {
	KUNIT_CASE(gomem_test_remote_free),
	KUNIT_CASE(gomem_test_refill_own_line),
	KUNIT_CASE_SLOW(gomem_test_all_cpus),
	KUNIT_CASE_SLOW(gomem_test_tiny_cross_cpu),
	{}
};

static struct kunit_suite gomem_smp_suite = {
	.name = "gomem_smp",
	.init = gomem_smp_init,
	.exit = gt_suite_exit,
	.test_cases = gomem_smp_cases,
};

static struct kunit_case gomem_hotplug_cases[] = {
	KUNIT_CASE_SLOW(gomem_test_hotplug_while_allocating),
	KUNIT_CASE(gomem_test_hotplug_drains_caches),
	{}
};

static struct kunit_suite gomem_hotplug_suite = {
	.name = "gomem_hotplug",
	.init = gomem_hotplug_init,
	.exit = gt_suite_exit,
	.test_cases = gomem_hotplug_cases,
};

kunit_test_suites(&gomem_smp_suite, &gomem_hotplug_suite);
