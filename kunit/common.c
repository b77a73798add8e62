// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_kunit: gomem's KUnit suites, one module. This file holds the module
 * information and the helpers the suites share (see gomem_test.h); the
 * suites are in sizes.c, api.c, context.c, smp.c, memory.c, fault.c and
 * debug.c.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/math.h>
#include <linux/mmzone.h>
#include <linux/minmax.h>
#include <linux/sizes.h>
#include <linux/module.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "gomem_test.h"

unsigned int gt_stress = 1;
module_param_named(stress, gt_stress, uint, 0444);
MODULE_PARM_DESC(stress, "Multiply the work of the concurrency cases, 1-1000 (default: 1)");

unsigned int gt_scale(unsigned int n)
{
	return n * clamp(gt_stress, 1U, 1000U);
}

/* === After each case === */

static long gt_check_heap_fn(void *unused)
{
	return gomem_check_heap();
}

void gt_suite_exit(struct kunit *test)
{
	struct kunit_resource *res;
	struct gt_errors *e;
	unsigned int cpu;
	long bad;

	res = kunit_find_named_resource(test, "gomem_errors");
	if (res) {
		e = container_of(res, struct gt_errors, res);
		KUNIT_EXPECT_EQ_MSG(test, gt_errors_claimed(e), 0,
				    "reports after the case's last GT_EXPECT_ERRORS");
		kunit_put_resource(res);
	}
	/* work_on_cpu_safe() holds the CPU online; -ENODEV if it went offline. */
	for_each_online_cpu(cpu) {
		bad = work_on_cpu_safe(cpu, gt_check_heap_fn, NULL);
		if (bad != -ENODEV)
			KUNIT_EXPECT_EQ_MSG(test, bad, 0,
					    "gomem_check_heap() on CPU %u after the case", cpu);
	}
}

/* === Documented layout of an object === */

bool gt_tiny_enabled(void)
{
	void *p;
	bool tiny;

	if (gomem_debug_mode())		/* debug mode never packs objects */
		return false;
	p = gomem_alloc(1, GFP_KERNEL);
	tiny = p && gomem_usable_size(p) == 1;

	gomem_free(p);
	return tiny;
}

unsigned int gt_class_of(size_t size)
{
	unsigned int sc;

	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++)
		if (gomem_class_to_size[sc] >= size)
			return sc;
	return 0;
}

unsigned long gt_class_align(unsigned int sc)
{
	unsigned long size = gomem_class_to_size[sc];

	return clamp(size & -size, 8UL, (unsigned long)GOMEM_PAGE_SIZE);
}

unsigned long gt_tiny_align(size_t size)
{
	if (!(size % 8))
		return 8;
	if (!(size % 4))
		return 4;
	if (!(size % 2))
		return 2;
	return 1;
}

void gt_layout(size_t size, bool tiny, size_t *usable, unsigned long *align)
{
	size_t full = size + gomem_debug_overhead();
	unsigned int sc;

	if (gomem_debug_mode()) {
		/* The size requested, in a slot with its red zone and trailer. */
		*usable = size;
		*align = full <= GOMEM_MAX_SMALL_OBJECT ? gt_class_align(gt_class_of(full)) :
			 GOMEM_PAGE_SIZE;
	} else if (size < GOMEM_TINY_SIZE && tiny) {
		*usable = size;
		*align = gt_tiny_align(size);
	} else if (size <= GOMEM_MAX_SMALL_OBJECT) {
		sc = gt_class_of(size);
		*usable = gomem_class_to_size[sc];
		*align = gt_class_align(sc);
	} else {
		*usable = round_up(size, GOMEM_PAGE_SIZE);
		*align = GOMEM_PAGE_SIZE;
	}
}

size_t gt_max_size(void)
{
	return SZ_4M - gomem_debug_overhead();
}

void gt_counted_as(size_t size, bool tiny, size_t *bytes, unsigned int *sc)
{
	size_t full = size + gomem_debug_overhead();

	if (size < GOMEM_TINY_SIZE && tiny) {
		*bytes = size;
		*sc = GOMEM_TINY_SPANCLASS;
	} else if (full <= GOMEM_MAX_SMALL_OBJECT) {
		*sc = gt_class_of(full);
		*bytes = gomem_class_to_size[*sc];
	} else {
		*bytes = round_up(full, GOMEM_PAGE_SIZE);
		*sc = 0;
	}
}

/* === Data patterns === */

/* splitmix64's finaliser: consecutive inputs give unrelated outputs. */
static u64 gt_mix(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

u64 gt_seed(const void *p, u64 tag)
{
	return gt_mix((unsigned long)p ^ (tag * 0x9e3779b97f4a7c15ULL));
}

/*
 * Word i of a pattern is gt_mix(seed + i): as the seed is itself mixed, two
 * objects' patterns do not line up even where one is shifted over the other.
 */
void gt_fill(void *p, size_t n, u64 seed)
{
	u8 *b = p;
	size_t i;
	u64 v;

	for (i = 0; i + 8 <= n; i += 8)
		put_unaligned(gt_mix(seed + i), (u64 *)(b + i));
	if (i < n) {
		v = gt_mix(seed + i);
		memcpy(b + i, &v, n - i);
	}
}

bool gt_check(const void *p, size_t n, u64 seed)
{
	const u8 *b = p;
	size_t i;
	u64 v;

	for (i = 0; i + 8 <= n; i += 8)
		if (get_unaligned((const u64 *)(b + i)) != gt_mix(seed + i))
			return false;
	if (i < n) {
		v = gt_mix(seed + i);
		return !memcmp(b + i, &v, n - i);
	}
	return true;
}

/* === Provoked error reports === */

/* The resource goes at the case's cleanup: so does the capture. */
static void gt_errors_free(struct kunit_resource *res)
{
	gomem_report_capture_stop(res->data);
}

struct gt_errors *gt_errors_start(struct kunit *test)
{
	struct gt_errors *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, e);
	atomic_long_set(&e->cap.count, 0);
	/* Removed before e itself is freed: resources go in reverse order. */
	ret = kunit_add_named_resource(test, NULL, gt_errors_free, &e->res, "gomem_errors",
				       &e->cap);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_EQ(test, gomem_report_capture_start(&e->cap), 0);
	gt_errors_mark(e);
	return e;
}

void gt_errors_mark(struct gt_errors *e)
{
	unsigned int i;

	for (i = 0; i < GOMEM_NR_ERRORS; i++)
		e->base[i] = gomem_error_count(i);
	e->claimed_base = atomic_long_read(&e->cap.count);
}

long gt_errors_delta(struct gt_errors *e, enum gomem_error err)
{
	return gomem_error_count(err) - e->base[err];
}

long gt_errors_delta_all(struct gt_errors *e)
{
	long n = 0;
	unsigned int i;

	for (i = 0; i < GOMEM_NR_ERRORS; i++)
		n += gt_errors_delta(e, i);
	return n;
}

long gt_errors_claimed(struct gt_errors *e)
{
	return atomic_long_read(&e->cap.count) - e->claimed_base;
}

/* One bit of gt_errors.checked per record. */
static_assert(GOMEM_REPORT_RECORDS <= BITS_PER_LONG);

/* Index past the last record since the mark (the case's task wrote them). */
static long gt_records_end(struct gt_errors *e)
{
	return min_t(long, atomic_long_read(&e->cap.count), GOMEM_REPORT_RECORDS);
}

long gt_errors_unchecked(struct gt_errors *e)
{
	long i, n = 0;

	for (i = e->claimed_base; i < gt_records_end(e); i++)
		n += !(e->checked & BIT(i));
	return n;
}

static const char * const gt_error_names[] = {
	[GOMEM_ERR_INVALID_FREE]	= "INVALID_FREE",
	[GOMEM_ERR_DOUBLE_FREE]		= "DOUBLE_FREE",
	[GOMEM_ERR_NMI]			= "NMI",
	[GOMEM_ERR_CORRUPT]		= "CORRUPT",
	[GOMEM_ERR_REDZONE]		= "REDZONE",
	[GOMEM_ERR_POISON]		= "POISON",
	[GOMEM_ERR_KERNEL_FREE]		= "KERNEL_FREE",
};

static_assert(ARRAY_SIZE(gt_error_names) == GOMEM_NR_ERRORS);

const char *gt_error_name(enum gomem_error err)
{
	return (unsigned int)err < GOMEM_NR_ERRORS ? gt_error_names[err] : "?";
}

bool gt_addr_in(unsigned long addr, const char *fn)
{
	char name[KSYM_NAME_LEN + 8];
	size_t n = strlen(fn);

	if (!addr)
		return false;
	snprintf(name, sizeof(name), "%ps", (void *)addr);
	return !strncmp(name, fn, n) && (!name[n] || name[n] == ' ' || name[n] == '.');
}

static bool gt_record_is(const struct gomem_report_record *r, enum gomem_error err,
			 const void *ptr, const char *fn, long offset)
{
	return r->err == err && r->ptr == ptr && (fn ? gt_addr_in(r->caller, fn) : !r->caller) &&
	       (offset == GT_ANY_OFFSET || r->offset == offset);
}

bool gt_report_take(struct kunit *test, struct gt_errors *e, enum gomem_error err,
		    const void *ptr, const char *fn, long offset)
{
	long i, count = atomic_long_read(&e->cap.count);

	for (i = e->claimed_base; i < gt_records_end(e); i++) {
		if (!(e->checked & BIT(i)) && gt_record_is(&e->cap.rec[i], err, ptr, fn, offset)) {
			e->checked |= BIT(i);
			return true;
		}
	}
	if (offset == GT_ANY_OFFSET)
		kunit_info(test, "expected: %s on %p from %s(), any offset", gt_error_name(err),
			   ptr, fn);
	else
		kunit_info(test, "expected: %s on %p from %s(), offset %ld", gt_error_name(err),
			   ptr, fn, offset);
	for (i = e->claimed_base; i < gt_records_end(e); i++) {
		const struct gomem_report_record *r = &e->cap.rec[i];

		kunit_info(test, "report %ld: %s on %p from %pS, offset %ld%s", i,
			   gt_error_name(r->err), r->ptr, (void *)r->caller, r->offset,
			   e->checked & BIT(i) ? " (matched before)" : "");
	}
	if (count > GOMEM_REPORT_RECORDS && count > e->claimed_base)
		kunit_info(test, "%ld reports in the case: only the first %d are recorded", count,
			   GOMEM_REPORT_RECORDS);
	else if (count == e->claimed_base)
		kunit_info(test, "no report claimed since the mark");
	return false;
}

/* === CPUs and threads === */

static long gt_drain_fn(void *unused)
{
	gomem_drain_local();
	return 0;
}

void gt_drain_all_but(unsigned int skip)
{
	unsigned int cpu;

	/* work_on_cpu_safe() holds the CPU online; it skips a CPU gone offline. */
	for_each_online_cpu(cpu)
		if (cpu != skip)
			work_on_cpu_safe(cpu, gt_drain_fn, NULL);
}

void gt_drain_all(void)
{
	gomem_drain_all();
}

/* KUnit action: put back the floor gt_hold_scavenger() replaced. */
static void gt_floor_back(void *floor)
{
	gomem_scavenger_set_floor((unsigned long)floor);
}

void gt_hold_scavenger(struct kunit *test)
{
	unsigned long floor = gomem_scavenger_set_floor(ULONG_MAX);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gt_floor_back, (void *)floor), 0);
}

unsigned long gt_quiesce_heap(void)
{
	gt_drain_all();
	gomem_scavenge();
	return gomem_heap_held_bytes();
}

static int gt_kthread_main(void *arg)
{
	struct gt_kthread *kt = arg;

	kt->ret = kt->fn(kt);
	complete(&kt->done);
	return 0;
}

int gt_kthread_start(struct gt_kthread *kt, unsigned int cpu,
		     int (*fn)(struct gt_kthread *kt), void *data)
{
	struct task_struct *t;

	init_completion(&kt->done);
	kt->fn = fn;
	kt->data = data;
	kt->cpu = cpu;
	kt->ret = 0;
	t = kthread_create_on_cpu(gt_kthread_main, kt, cpu, "gomem_kunit/%u");
	if (IS_ERR(t)) {
		kt->task = NULL;
		return PTR_ERR(t);
	}
	/* Pinned, so kthread_stop_put() may reap it after it has returned. */
	get_task_struct(t);
	kt->task = t;
	wake_up_process(t);
	return 0;
}

int gt_kthread_wait(struct gt_kthread *kt)
{
	if (!kt->task)
		return -ESRCH;
	wait_for_completion(&kt->done);
	kthread_stop_put(kt->task);
	kt->task = NULL;
	return kt->ret;
}

/*
 * Free pages of every zone: the buddy lists' count with the per-CPU
 * deltas not folded yet, and the pages on the per-CPU lists, where order-0
 * frees (a split arena's pages) land first.
 */
unsigned long gt_free_pages(void)
{
	unsigned long pages = 0;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			if (!populated_zone(zone))
				continue;
			pages += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(cpu)
				pages += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		}
	}
	return pages;
}

/* The kernel's own kmalloc() and kstrdup(), for dropin.c (which has them as gomem's). */
void *gt_kernel_kmalloc(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

char *gt_kernel_kstrdup(const char *s)
{
	return kstrdup(s, GFP_KERNEL);
}

void gt_kernel_kfree(const void *p)
{
	kfree(p);
	/* No tail call: the kfree()'s call site is here (debug mode reports it). */
	asm volatile("");
}

/*
 * Read the client table: how many rows it has, and into @out (when not
 * NULL) the last row named @name, loaded or not; *@found says if there was.
 */
unsigned int gt_read_rows(const char *name, struct gomem_client_stats *out, bool *found)
{
	struct gomem_client_stats *st;
	unsigned int i, n;

	if (found)
		*found = false;
	st = kcalloc(GOMEM_MAX_CLIENTS, sizeof(*st), GFP_KERNEL);
	if (!st)
		return 0;
	n = gomem_clients_read(st, GOMEM_MAX_CLIENTS);
	for (i = 0; name && i < n; i++)
		if (!strcmp(st[i].name, name)) {
			*out = st[i];
			*found = true;
		}
	kfree(st);
	return n;
}

/* The row named @name, loaded or not: false if there is none. */
bool gt_find_row(const char *name, struct gomem_client_stats *out)
{
	bool found;

	gt_read_rows(name, out, &found);
	return found;
}

/* How many rows the client table has. */
unsigned int gt_rows(void)
{
	return gt_read_rows(NULL, NULL, NULL);
}

MODULE_IMPORT_NS(GOMEM_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for gomem, Go's runtime memory allocator for modules");
