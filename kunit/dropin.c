// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's KUnit suite gomem_dropin: the kmalloc() family through
 * gomem_kmalloc.h, included here after the kernel headers as a module
 * would: every kmalloc, kfree, krealloc, kvmalloc, kfree_rcu below is
 * gomem's. The kernel's own allocator is reached through common.c's
 * gt_kernel_*() helpers, compiled without the header.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gomem_test.h"
#include "../gomem/gomem_trace.h"
#include "../gomem/gomem_kmalloc.h"

static struct gomem_memstats *gt_stats(struct kunit *test)
{
	struct gomem_memstats *ms = kunit_kzalloc(test, sizeof(*ms), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ms);
	gomem_read_memstats(ms);
	return ms;
}

/* The kmalloc() names allocate from gomem, with kmalloc()'s answers. */
static void gomem_test_dropin_kmalloc_family(struct kunit *test)
{
	static const size_t sizes[] = { 1, 8, 15, 16, 100, 1000, 4096, 32768, 40000 };
	char *s, *d;
	u8 *p;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i], j;

		p = kmalloc(n, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, gomem_owns(p));
		KUNIT_EXPECT_GE(test, ksize(p), n);
		KUNIT_EXPECT_EQ(test, ksize(p), gomem_usable_size(p));
		KUNIT_EXPECT_EQ(test, ksize(p), kmalloc_size_roundup(n));
		kfree(p);
		p = kzalloc(n, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		for (j = 0; j < n && !p[j]; j++)
			;
		KUNIT_EXPECT_EQ_MSG(test, j, n, "kzalloc(%zu) not zeroed", n);
		kfree(p);
	}
	/* Size 0 is kmalloc()'s ZERO_SIZE_PTR, freed and sized as the kernel's. */
	p = kmalloc(0, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, (void *)p, ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, ksize(p), 0);
	kfree(p);
	kfree(NULL);
	/* Products that overflow fail cleanly. */
	KUNIT_EXPECT_NULL(test, kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kcalloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	p = kcalloc(10, 30, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, gomem_owns(p) && !memchr_inv(p, 0, 300));
	kfree(p);
	p = kmalloc_node(200, GFP_KERNEL, 0);
	KUNIT_EXPECT_TRUE(test, p && gomem_owns(p));
	kfree(p);
	/* The string and copy helpers. */
	s = kstrdup("gomem drop-in", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_TRUE(test, gomem_owns(s));
	KUNIT_EXPECT_STREQ(test, s, "gomem drop-in");
	d = kstrndup(s, 5, GFP_KERNEL);
	KUNIT_EXPECT_STREQ(test, d, "gomem");
	kfree(d);
	d = kmemdup_nul(s + 6, 4, GFP_KERNEL);
	KUNIT_EXPECT_STREQ(test, d, "drop");
	kfree(d);
	d = kmemdup(s, 14, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, d && gomem_owns(d) && !memcmp(d, s, 14));
	kfree(d);
	kfree(s);
	KUNIT_EXPECT_NULL(test, kstrdup(NULL, GFP_KERNEL));
	/* kfree_sensitive() frees gomem's objects too. */
	p = kmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kfree_sensitive(p);
}

/*
 * Memory of the kernel's, freed through the drop-in's kfree(), reaches the
 * kernel's kfree() (frees_forwarded); memory of nobody's allocator is
 * reported and left alone.
 */
static void gomem_test_dropin_forwards_kernel_memory(struct kunit *test)
{
	struct gt_errors *e = gt_errors_start(test);
	struct gomem_memstats *ms0 = gt_stats(test), *ms1;
	void *small = gt_kernel_kmalloc(96), *large = gt_kernel_kmalloc(3 * PAGE_SIZE);
	char *str = gt_kernel_kstrdup("from the kernel"), *moved;
	struct page *page;
	u64 on_stack = 0;

	KUNIT_ASSERT_TRUE(test, small && large && str);
	KUNIT_EXPECT_FALSE(test, gomem_owns(small) || gomem_owns(large) || gomem_owns(str));
	/* ksize() and krealloc() of the kernel's memory are the kernel's. */
	KUNIT_EXPECT_GE(test, ksize(small), 96);
	moved = krealloc(str, 200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, moved);
	str = moved;
	KUNIT_EXPECT_FALSE(test, gomem_owns(str));
	KUNIT_EXPECT_STREQ(test, str, "from the kernel");
	kfree(small);
	kvfree(large);
	kfree(str);
	ms1 = gt_stats(test);
	KUNIT_EXPECT_EQ(test, ms1->frees_forwarded - ms0->frees_forwarded, 3);
	KUNIT_EXPECT_EQ(test, ms1->frees - ms0->frees, 0);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 0);

	/* A page of the page allocator and a stack address: reported, not freed. */
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	kfree(page_address(page));
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, page_address(page), __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_page(page);
	kfree(&on_stack);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, &on_stack, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	gomem_read_memstats(ms0);
	KUNIT_EXPECT_EQ(test, ms0->frees_forwarded, ms1->frees_forwarded);
}

/* krealloc(): in place when it fits, moved when not, ZERO_SIZE_PTR for 0. */
static void gomem_test_dropin_krealloc(struct kunit *test)
{
	struct gomem_memstats *ms0 = gt_stats(test), *ms1;
	u8 *p, *q, copy[50];

	p = krealloc(NULL, 50, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, gomem_owns(p));
	gt_stamp(p, 50, 1);
	memcpy(copy, p, 50);
	if (!gomem_debug_mode()) {
		q = krealloc(p, ksize(p), GFP_KERNEL);
		KUNIT_EXPECT_PTR_EQ(test, q, p);
		q = krealloc(p, 20, GFP_KERNEL);
		KUNIT_EXPECT_PTR_EQ(test, q, p);
	}
	q = krealloc(p, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, gomem_owns(q) && !memcmp(q, copy, 20));
	p = krealloc(q, 0, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, (void *)p, ZERO_SIZE_PTR);
	q = krealloc_array(NULL, SIZE_MAX / 2, 3, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, q);
	ms1 = gt_stats(test);
	KUNIT_EXPECT_EQ(test, ms1->heap_objects, ms0->heap_objects);
}

/* kvmalloc(): gomem's memory, then vmalloc()'s beyond what gomem serves. */
static void gomem_test_dropin_kvmalloc(struct kunit *test)
{
	size_t big = 2 * gt_max_size();
	u8 *p, *v, copy[100];

	p = kvmalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, gomem_owns(p) && !is_vmalloc_addr(p));
	v = kvzalloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v) && !gomem_owns(v));
	KUNIT_EXPECT_EQ(test, v[big - 1], 0);
	/* Not when the caller may not sleep. */
	KUNIT_EXPECT_NULL(test, kvmalloc(big, GFP_NOWAIT | __GFP_NOWARN));
	gt_stamp(p, 100, 2);
	memcpy(copy, p, 100);
#ifdef vrealloc
	p = kvrealloc(p, 70000, GFP_KERNEL);
#else
	p = kvrealloc(p, 100, 70000, GFP_KERNEL);
#endif
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, gomem_owns(p) && !memcmp(p, copy, 100));
	kvfree(p);
	kvfree(v);
	kvfree(NULL);
}

struct gt_rcu_obj {
	u64 payload[4];
	struct rcu_head rcu;
};

/* Wait until no object queued for RCU is left, at most 5 s. */
static u64 gt_rcu_settle(struct kunit *test, struct gomem_memstats *ms)
{
	unsigned long end = jiffies + 5 * HZ;

	do {
		msleep(20);
		rcu_barrier();
		gomem_read_memstats(ms);
	} while (ms->rcu_pending && time_before(jiffies, end));
	return ms->rcu_pending;
}

/*
 * kfree_rcu(): objects wait for a grace period, in batches of a CPU (far
 * fewer RCU callbacks than objects); the kernel's objects go to the
 * kernel's kfree_rcu(); bad pointers are reported and not queued.
 */
static void gomem_test_dropin_kfree_rcu(struct kunit *test)
{
	struct gomem_memstats *ms0 = gt_stats(test), *ms1 = gt_stats(test);
	struct gt_errors *e = gt_errors_start(test);
	struct gt_rcu_obj *k, **objs;
	unsigned int i, n = 500;
	u64 on_stack;
	void *h;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_EQ(test, gt_rcu_settle(test, ms0), 0);
	for (i = 0; i < n; i++) {
		objs[i] = kmalloc(sizeof(*objs[i]), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/*
	 * Queued inside a read-side section, which no grace period can end:
	 * all n are pending when counted, however slow the kernel (on a KASAN
	 * kernel in debug mode the loop outlasted grace periods).
	 */
	rcu_read_lock();
	for (i = 0; i < n; i++)
		kfree_rcu(objs[i], rcu);
	gomem_read_memstats(ms1);
	rcu_read_unlock();
	KUNIT_EXPECT_GE(test, ms1->rcu_pending, n);
	h = kmalloc(24, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	/* The headless one may wait alone (no batch), after the others. */
	kfree_rcu_mightsleep(h);
	gomem_read_memstats(ms1);
	KUNIT_EXPECT_EQ(test, gt_rcu_settle(test, ms1), 0);
	/* Each object, and each batch (a gomem object too). */
	KUNIT_EXPECT_EQ(test, ms1->frees - ms0->frees,
			n + 1 + (ms1->rcu_batches - ms0->rcu_batches));
	KUNIT_EXPECT_GE(test, ms1->rcu_batches - ms0->rcu_batches, 1);
	KUNIT_EXPECT_LE(test, ms1->rcu_batches - ms0->rcu_batches, n / 16);

	/* The kernel's object: the kernel's RCU free, nothing queued here. */
	k = gt_kernel_kmalloc(sizeof(*k));
	KUNIT_ASSERT_NOT_NULL(test, k);
	kfree_rcu(k, rcu);
	gomem_read_memstats(ms0);
	KUNIT_EXPECT_EQ(test, ms0->rcu_pending, 0);
	KUNIT_EXPECT_EQ(test, ms0->rcu_batches, ms1->rcu_batches);
	rcu_barrier();

	/* gomem_free_rcu() of a pointer that is not a live gomem object. */
	__gomem_free_rcu(&on_stack, NULL);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_INVALID_FREE, &on_stack, __func__);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_INVALID_FREE, 1);
	gomem_read_memstats(ms0);
	KUNIT_EXPECT_EQ(test, ms0->rcu_pending, 0);
}

#ifdef DEFINE_FREE
/* __free(kfree) (scope-based cleanup) frees through gomem. */
static void gomem_test_dropin_cleanup(struct kunit *test)
{
	struct gomem_memstats *ms0 = gt_stats(test), *ms1 = gt_stats(test);

	{
		void *p __free(kfree) = kmalloc(48, GFP_KERNEL);

		KUNIT_ASSERT_TRUE(test, p && gomem_owns(p));
	}
	gomem_read_memstats(ms1);
	KUNIT_EXPECT_EQ(test, ms1->heap_objects, ms0->heap_objects);
	KUNIT_EXPECT_EQ(test, ms1->frees_forwarded, ms0->frees_forwarded);
}
#endif

/* What a probe of the tracepoints saw, of the case's own task. */
struct gt_trace_seen {
	struct task_struct *task;
	unsigned int allocs, frees;
	unsigned long alloc_site, free_site;
	const void *alloc_ptr, *free_ptr;
	size_t bytes_req;
	unsigned long gfp;
	int node;
};

static void gt_probe_alloc(void *data, unsigned long call_site, const void *ptr,
			   size_t bytes_req, gfp_t gfp, int node)
{
	struct gt_trace_seen *t = data;

	if (current != t->task)
		return;
	t->allocs++;
	t->alloc_site = call_site;
	t->alloc_ptr = ptr;
	t->bytes_req = bytes_req;
	t->gfp = (__force unsigned long)gfp;
	t->node = node;
}

static void gt_probe_free(void *data, unsigned long call_site, const void *ptr)
{
	struct gt_trace_seen *t = data;

	if (current != t->task)
		return;
	t->frees++;
	t->free_site = call_site;
	t->free_ptr = ptr;
}

/*
 * The tracepoints gomem:gomem_alloc and gomem:gomem_free fire once per
 * call, with kmem:kmalloc's and kmem:kfree's fields: the caller's site.
 */
static void gomem_test_dropin_tracepoints(struct kunit *test)
{
	struct gt_trace_seen *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	void *p;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "the kernel has no tracepoints");
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->task = current;
	KUNIT_ASSERT_EQ(test, register_trace_gomem_alloc(gt_probe_alloc, t), 0);
	KUNIT_ASSERT_EQ(test, register_trace_gomem_free(gt_probe_free, t), 0);
	p = kmalloc_node(100, GFP_KERNEL | __GFP_NOWARN, 0);
	kfree(p);
	unregister_trace_gomem_alloc(gt_probe_alloc, t);
	unregister_trace_gomem_free(gt_probe_free, t);
	tracepoint_synchronize_unregister();

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, t->allocs, 1);
	KUNIT_EXPECT_EQ(test, t->frees, 1);
	KUNIT_EXPECT_PTR_EQ(test, t->alloc_ptr, p);
	KUNIT_EXPECT_PTR_EQ(test, t->free_ptr, p);
	KUNIT_EXPECT_EQ(test, t->bytes_req, 100);
	KUNIT_EXPECT_EQ(test, t->gfp, (__force unsigned long)(GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, t->node, 0);
	KUNIT_EXPECT_TRUE(test, gt_addr_in(t->alloc_site, __func__));
	KUNIT_EXPECT_TRUE(test, gt_addr_in(t->free_site, __func__));
}

/* === gomem memory freed by the kernel's allocator (debug mode's page guard) === */

static bool gt_kernel_kfree_ok;
module_param_named(kernel_kfree, gt_kernel_kfree_ok, bool, 0444);
MODULE_PARM_DESC(kernel_kfree,
		 "Run gomem_test_dropin_kernel_kfree, which makes the kernel WARN once (default: off)");

/*
 * Debug mode: core code handed a gomem object frees it with the kernel's
 * kfree(). gomem reports it as it happens, naming the kfree()'s call site;
 * the page keeps both its references (the guard and gomem's own), so the
 * kernel frees nothing, and the object stays allocated and usable (freed
 * here by gomem, as its module would not). The kernel's free_large_kmalloc()
 * WARNs once for an order-0 page: make check's kunit-debug step passes
 * kernel_kfree=1 and drops that one WARN from the log.
 */
static void gomem_test_dropin_kernel_kfree(struct kunit *test)
{
	struct gomem_memstats *ms0, *ms1;
	struct gt_errors *e;
	struct page *page;
	u8 *p;

	if (!gomem_debug_mode())
		kunit_skip(test, "debug mode only (the page guard)");
	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "no tracepoints: kfree() is not watched");
	if (IS_ENABLED(CONFIG_KASAN) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "KASAN and kmemleak report such a kfree() themselves");
	if (!gt_kernel_kfree_ok)
		kunit_skip(test, "kernel_kfree=0: the kernel WARNs (kunit-debug runs it)");
	e = gt_errors_start(test);
	ms0 = gt_stats(test);
	p = gomem_alloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = virt_to_page(p);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	gt_kernel_kfree(p);
	GT_EXPECT_REPORT(test, e, GOMEM_ERR_KERNEL_FREE, p, "gt_kernel_kfree");
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_KERNEL_FREE, 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	ms1 = gt_stats(test);
	KUNIT_EXPECT_EQ(test, ms1->kernel_frees - ms0->kernel_frees, 1);
	KUNIT_EXPECT_EQ(test, ms1->heap_objects, ms0->heap_objects + 1);
	KUNIT_EXPECT_GE(test, gomem_usable_size(p), 100);
	memset(p, 0x5a, 100);
	gomem_free(p);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_KERNEL_FREE, 0);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

/*
 * Debug mode, any kernel: an arena page that lost gomem's guard reference
 * (a put_page() of gomem memory: what kfree() does where it is not watched)
 * is reported when it goes back - the page and its count - and freed once,
 * by gomem's last reference.
 */
static void gomem_test_dropin_page_guard(struct kunit *test)
{
	struct gt_errors *e;
	struct page *page;
	void *p;

	if (!gomem_debug_mode())
		kunit_skip(test, "debug mode only (the page guard)");
	e = gt_errors_start(test);
	/* Only the scavenge below gives pages back: the background one keeps them. */
	gt_hold_scavenger(test);
	p = gomem_alloc(64 << 10, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	page = virt_to_page(p);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	put_page(page);
	gomem_free(p);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_KERNEL_FREE, 0);
	gomem_scavenge();
	GT_EXPECT_REPORT_AT(test, e, GOMEM_ERR_KERNEL_FREE, page_address(page), NULL, 1);
	GT_EXPECT_ERRORS(test, e, GOMEM_ERR_KERNEL_FREE, 1);
	KUNIT_EXPECT_EQ(test, gomem_check_heap(), 0);
}

static struct kunit_case gomem_dropin_cases[] = {
	KUNIT_CASE(gomem_test_dropin_kmalloc_family),
	KUNIT_CASE(gomem_test_dropin_forwards_kernel_memory),
	KUNIT_CASE(gomem_test_dropin_krealloc),
	KUNIT_CASE(gomem_test_dropin_kvmalloc),
	KUNIT_CASE(gomem_test_dropin_kfree_rcu),
#ifdef DEFINE_FREE
	KUNIT_CASE(gomem_test_dropin_cleanup),
#endif
	KUNIT_CASE(gomem_test_dropin_tracepoints),
	KUNIT_CASE(gomem_test_dropin_kernel_kfree),
	KUNIT_CASE(gomem_test_dropin_page_guard),
	{}
};

static struct kunit_suite gomem_dropin_suite = {
	.name = "gomem_dropin",
	.exit = gt_suite_exit,
	.test_cases = gomem_dropin_cases,
};

kunit_test_suite(gomem_dropin_suite);
