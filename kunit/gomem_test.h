/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by gomem's KUnit suites (common.c): the heap check every
 * suite runs after each case, the layout gomem promises for a request, data
 * patterns, counting and matching provoked error reports, draining every
 * CPU's caches and running code on a chosen CPU.
 */
#ifndef _GOMEM_TEST_H
#define _GOMEM_TEST_H

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/limits.h>
#include <linux/sched.h>

#include "../gomem/internal.h"

/* The module parameter stress: a multiplier of the concurrency cases' work. */
extern unsigned int gt_stress;

/* @n times the stress multiplier. */
unsigned int gt_scale(unsigned int n);

/*
 * The .exit of every suite, run after each case (also one that failed or
 * skipped itself): gomem_check_heap() must find nothing, on every online
 * CPU (it checks the caches of the CPU it runs on), and a case with a
 * "gomem_errors" resource must have checked every report it claimed
 * (GT_EXPECT_ERRORS() after the last). A case that damages the heap on
 * purpose repairs it before it returns.
 */
void gt_suite_exit(struct kunit *test);

/* === Documented layout of an object === */

/* True when gomem's tiny allocator is on (module parameter tiny, default 1). */
bool gt_tiny_enabled(void);

/*
 * The smallest size class holding @size bytes, found by walking
 * gomem_class_to_size[] (not through gomem_size_to_class()); 0 if none.
 */
unsigned int gt_class_of(size_t size);

/* Alignment every object of class @sc has: its size's lowest set bit, 8..page. */
unsigned long gt_class_align(unsigned int sc);

/* Go's alignment of a tiny object of @size bytes. */
unsigned long gt_tiny_align(size_t size);

/*
 * Usable size and alignment gomem documents for a request of @size bytes
 * (1 <= @size <= 4 MiB), given whether the tiny allocator is on; in debug
 * mode the size itself, aligned as the slot holding it.
 */
void gt_layout(size_t size, bool tiny, size_t *usable, unsigned long *align);

/* Largest request gomem serves: 4 MiB, less the slot overhead in debug mode. */
size_t gt_max_size(void);

/*
 * What the statistics count for a request of @size bytes: *@bytes in class
 * *@sc (0 for a large object, GOMEM_TINY_SPANCLASS for a tiny one); in debug
 * mode, the slot holding the object, its red zone and trailer.
 */
void gt_counted_as(size_t size, bool tiny, size_t *bytes, unsigned int *sc);

/* === Data patterns === */

/* A per-object seed: objects filled with different seeds never match. */
u64 gt_seed(const void *p, u64 tag);

/* Fill @n bytes at @p with the pattern of @seed; any alignment. */
void gt_fill(void *p, size_t n, u64 seed);

/* True when the @n bytes at @p still hold the pattern of @seed. */
bool gt_check(const void *p, size_t n, u64 seed);

/* Same as gt_fill()/gt_check() with the seed derived from @p and @tag. */
static inline void gt_stamp(void *p, size_t n, u64 tag)
{
	gt_fill(p, n, gt_seed(p, tag));
}

static inline bool gt_intact(const void *p, size_t n, u64 tag)
{
	return gt_check(p, n, gt_seed(p, tag));
}

/* A small xorshift generator: deterministic sequences for tests and threads. */
static inline u32 gt_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* === Provoked error reports === */

/**
 * struct gt_errors - reports of a case that frees bad pointers on purpose
 * @res: the named KUnit resource "gomem_errors": ends the capture at the
 *	  case's cleanup, and lets gt_suite_exit() find it
 * @cap: reports gomem counted and recorded for this test instead of
 *	  printing them (gomem_report_capture_start(); the resource's data):
 *	  the first GOMEM_REPORT_RECORDS reports the case's task made, in order
 * @claimed_base: @cap.count at the last gt_errors_mark(), the index of the
 *		  first record since then
 * @base: gomem_error_count() of each kind at the last gt_errors_mark()
 * @checked: bit i set: record i was matched by a GT_EXPECT_REPORT()
 *
 * Reports made from another task or from interrupt context are not
 * claimed: they are printed, and only gomem_error_count() sees them. The
 * case's own reports are claimed in any context of its task: under a raw
 * spinlock, with interrupts off, on PREEMPT_RT.
 */
struct gt_errors {
	struct kunit_resource res;
	struct gomem_report_capture cap;
	long claimed_base;
	long base[GOMEM_NR_ERRORS];
	unsigned long checked;
};

/* Register the resource for @test (as slub_kunit does) and mark the counts. */
struct gt_errors *gt_errors_start(struct kunit *test);

/* Remember the current counts; deltas are taken from here. */
void gt_errors_mark(struct gt_errors *e);

/* Reports of kind @err since the mark, from gomem_error_count(). */
long gt_errors_delta(struct gt_errors *e, enum gomem_error err);

/* Reports of any kind since the mark, from gomem_error_count(). */
long gt_errors_delta_all(struct gt_errors *e);

/* Reports counted through the test's resource since the mark. */
long gt_errors_claimed(struct gt_errors *e);

/* Reports recorded since the mark that no GT_EXPECT_REPORT() matched. */
long gt_errors_unchecked(struct gt_errors *e);

/*
 * Expect exactly @n reports of kind @err and no other since the last mark,
 * all of them claimed by the test (so none printed), each one matched by a
 * GT_EXPECT_REPORT() since the mark (so call those first); then mark again.
 */
#define GT_EXPECT_ERRORS(test, e, err, n)					\
	do {									\
		struct kunit *__test = (test);					\
		struct gt_errors *__e = (e);					\
		enum gomem_error __err = (err);					\
		long __n = (n);							\
										\
		KUNIT_EXPECT_EQ_MSG(__test, gt_errors_delta(__e, __err), __n,	\
				    "reports of kind %s", gt_error_name(__err));	\
		KUNIT_EXPECT_EQ_MSG(__test, gt_errors_delta_all(__e), __n,	\
				    "reports of any kind");			\
		KUNIT_EXPECT_EQ_MSG(__test, gt_errors_claimed(__e), __n,	\
				    "reports counted by the test resource");	\
		KUNIT_EXPECT_EQ_MSG(__test, gt_errors_unchecked(__e), 0,	\
				    "reports whose content no GT_EXPECT_REPORT checked"); \
		gt_errors_mark(__e);						\
	} while (0)

/* The short name of report kind @err, for messages. */
const char *gt_error_name(enum gomem_error err);

/*
 * True when the symbol holding @addr is function @fn: "%ps" of @addr is
 * @fn, alone, with its module ("fn [gomem_kunit]") or a part of it GCC
 * split off ("fn.cold", "fn.isra.0").
 */
bool gt_addr_in(unsigned long addr, const char *fn);

/* For GT_EXPECT_REPORT_AT(): the report's offset is not checked. */
#define GT_ANY_OFFSET	LONG_MIN

/*
 * Find a report recorded since the mark and not matched before with kind
 * @err, pointer @ptr, a caller inside function @fn (NULL: a report with no
 * caller) and (unless @offset is GT_ANY_OFFSET) offset @offset; mark it
 * matched. If there is none, log
 * what was recorded since the mark. For GT_EXPECT_REPORT_AT().
 */
bool gt_report_take(struct kunit *test, struct gt_errors *e, enum gomem_error err,
		    const void *ptr, const char *fn, long offset);

/*
 * Expect a report since the last mark of kind @err about @ptr, made by a
 * gomem call from function @fn (its _RET_IP_ lies in @fn: pass __func__,
 * or the name of the noinline helper that made the call), whose first bad
 * byte is at @offset (red zone and poison reports). Each report is matched
 * once: two expected reports need two records. As kfence_test matches its
 * expected reports; the records are the first GOMEM_REPORT_RECORDS of the
 * case.
 */
#define GT_EXPECT_REPORT_AT(test, e, err, ptr, fn, offset)			\
	do {									\
		struct kunit *__test = (test);					\
		enum gomem_error __err = (err);					\
		const void *__ptr = (ptr);					\
		const char *__fn = (fn);					\
		long __off = (offset);						\
										\
		KUNIT_EXPECT_TRUE_MSG(__test, gt_report_take(__test, (e), __err, __ptr, \
							     __fn, __off),	\
				      "no %s report on %p from %s() since the mark", \
				      gt_error_name(__err), __ptr, __fn);	\
	} while (0)

/* The same, whatever the offset (the kinds that are not about bytes). */
#define GT_EXPECT_REPORT(test, e, err, ptr, fn)				\
	GT_EXPECT_REPORT_AT(test, e, err, ptr, fn, GT_ANY_OFFSET)

/* Free pages of every zone, the per-CPU lists' included (a snapshot). */
unsigned long gt_free_pages(void);

/* === The kernel's allocator, for the drop-in's suite === */

/* kmalloc(@size, GFP_KERNEL), kstrdup() and kfree() of the kernel (SLUB), not gomem's. */
void *gt_kernel_kmalloc(size_t size);
char *gt_kernel_kstrdup(const char *s);
void gt_kernel_kfree(const void *p);

/* === CPUs and threads === */

/* Drain the caches of every online CPU (gomem_drain_local() on each). */
void gt_drain_all(void);

/* Drain the caches of every online CPU but @skip. */
void gt_drain_all_but(unsigned int skip);

/*
 * Until @test ends, the background scavenger releases nothing (its floor at
 * ULONG_MAX); gomem_scavenge() still gives back every free page.
 */
void gt_hold_scavenger(struct kunit *test);

/* The client table (gomem_clients_read()): its rows, and the one named @name. */
unsigned int gt_read_rows(const char *name, struct gomem_client_stats *out, bool *found);
bool gt_find_row(const char *name, struct gomem_client_stats *out);
unsigned int gt_rows(void);

/* Return every idle arena after draining all CPUs; the heap bytes left. */
unsigned long gt_quiesce_heap(void);

/**
 * struct gt_kthread - a kthread bound to one CPU running one function
 * @task: the thread, pinned with get_task_struct()
 * @done: completed when @fn has returned
 * @fn: the work; its return value lands in @ret
 * @data: for @fn
 * @cpu: the CPU it is bound to
 * @ret: @fn's result
 */
struct gt_kthread {
	struct task_struct *task;
	struct completion done;
	int (*fn)(struct gt_kthread *kt);
	void *data;
	unsigned int cpu;
	int ret;
};

/* Start @fn(@kt) on a kthread bound to @cpu. Return: 0 or a -errno. */
int gt_kthread_start(struct gt_kthread *kt, unsigned int cpu,
		     int (*fn)(struct gt_kthread *kt), void *data);

/* Wait for the thread's function to return, reap it; return its result. */
int gt_kthread_wait(struct gt_kthread *kt);

#endif /* _GOMEM_TEST_H */
