// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's reports: the error counters, the one-time warning and rate limit,
 * the capture for KUnit, and the description of the object a report is about.
 *
 * A leaf of the layering (internal.h): every file may report, and this file
 * calls nothing of gomem's. What only a higher level knows about an object
 * (debug mode's owner records) reaches a report through a hook that level
 * registers at load (gomem_report_set_owner_hook()).
 */

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/hardirq.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>

#include "internal.h"

/* Reports of each kind since load; read by the statistics (proc.c). */
atomic_long_t gomem_errors[GOMEM_NR_ERRORS];

/* Bit n set: the one-time warning of kind n was given (test_and_set_bit()). */
static unsigned long gomem_warned;

/* Prints the owners of a reported object; set once at load by debug.c. */
static gomem_owner_hook_t gomem_owner_hook;

static const char * const gomem_error_names[] = {
	[GOMEM_ERR_INVALID_FREE]	= "invalid pointer",
	[GOMEM_ERR_DOUBLE_FREE]		= "double free (object not live)",
	[GOMEM_ERR_NMI]			= "call from NMI context",
	[GOMEM_ERR_CORRUPT]		= "internal corruption",
	[GOMEM_ERR_REDZONE]		= "red zone overwritten",
	[GOMEM_ERR_POISON]		= "free object written (use after free)",
	[GOMEM_ERR_KERNEL_FREE]		= "gomem memory freed by the kernel's allocator",
};

static_assert(ARRAY_SIZE(gomem_error_names) == GOMEM_NR_ERRORS);

/*
 * A KUnit case that provokes errors on purpose registers a capture
 * (gomem_report_capture_start()): reports made by its task, in task
 * context, are counted and recorded there instead of printed (as SLUB does
 * for slub_kunit, and kfence_test captures its reports). The claim takes no
 * lock and sleeps nowhere, so it works wherever a report is made: under a
 * caller's raw spinlock or gomem's own, with interrupts off, on PREEMPT_RT.
 *
 * gomem_capture_task: the capturing task, or NULL; written under
 * gomem_capture_mutex, read locklessly by every report. gomem_capture: its
 * records; written under the mutex before the task is set and after it is
 * cleared, read only by a report whose current task matched (program order).
 */
static DEFINE_MUTEX(gomem_capture_mutex);
static struct task_struct *gomem_capture_task;
static struct gomem_report_capture *gomem_capture;

static bool gomem_capture_claims(enum gomem_error err, const void *p, unsigned long caller,
				 long offset)
{
	struct gomem_report_capture *cap;
	long n;

	if (likely(READ_ONCE(gomem_capture_task) != current) || !in_task())
		return false;
	cap = gomem_capture;
	/* Only the capturing task claims: the records need no lock. */
	n = atomic_long_inc_return(&cap->count) - 1;
	if (n < GOMEM_REPORT_RECORDS) {
		cap->rec[n].err = err;
		cap->rec[n].ptr = p;
		cap->rec[n].caller = caller;
		cap->rec[n].offset = offset;
	}
	return true;
}

/**
 * gomem_report_capture_start() - record the current task's reports instead of printing them
 * @cap: where, with its count set; stays in use until gomem_report_capture_stop()
 *
 * For gomem's KUnit suites: one capture at a time. Reports made by other
 * tasks, or by this one in interrupt context, are printed as usual. Every
 * report is still counted (gomem_error_count()).
 *
 * Context: process context; may sleep.
 * Return: 0, or -EBUSY while another capture is registered.
 */
int gomem_report_capture_start(struct gomem_report_capture *cap)
{
	int ret = -EBUSY;

	mutex_lock(&gomem_capture_mutex);
	if (!gomem_capture_task) {
		gomem_capture = cap;
		WRITE_ONCE(gomem_capture_task, current);
		ret = 0;
	}
	mutex_unlock(&gomem_capture_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gomem_report_capture_start, GOMEM_INTERNAL);

/**
 * gomem_report_capture_stop() - end a capture
 * @cap: the capture gomem_report_capture_start() registered; any other is ignored
 *
 * May be called from another task than the one that started it (KUnit
 * cleans a case's resources up in a task of its own).
 *
 * Context: process context; may sleep.
 */
void gomem_report_capture_stop(struct gomem_report_capture *cap)
{
	mutex_lock(&gomem_capture_mutex);
	if (gomem_capture == cap) {
		WRITE_ONCE(gomem_capture_task, NULL);
		gomem_capture = NULL;
	}
	mutex_unlock(&gomem_capture_mutex);
}
EXPORT_SYMBOL_NS_GPL(gomem_report_capture_stop, GOMEM_INTERNAL);

/* The object @p is in, as a report names it. */
static void gomem_describe(const void *p, struct mspan *s)
{
	u32 state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	gomem_owner_hook_t hook;
	unsigned long off;

	if (!s) {
		pr_err("  %p is in no gomem span\n", p);
		return;
	}
	if (state == MSPAN_TINY) {
		off = (unsigned long)p - s->base;
		pr_err("  in tiny block %lu of span %p, offset %lu\n", off / GOMEM_TINY_SIZE,
		       (void *)s->base, off % GOMEM_TINY_SIZE);
	} else if (state == MSPAN_SMALL) {
		unsigned int idx = gomem_obj_index(s, (unsigned long)p);

		off = (unsigned long)p - s->base - (unsigned long)idx * s->elemsize;
		pr_err("  class %u (%u bytes): object %u of %u in span %p, offset %lu\n",
		       s->spanclass, s->elemsize, idx, s->nelems, (void *)s->base, off);
	} else if (state == MSPAN_LARGE || state == MSPAN_FREEING) {
		pr_err("  large object of %u pages at %p (span %s), offset %lu\n", s->npages,
		       (void *)s->base, state == MSPAN_LARGE ? "in use" : "being freed",
		       (unsigned long)p - s->base);
	} else {
		pr_err("  in span %p, state %u (not in use)\n", (void *)s->base, state);
	}
	hook = READ_ONCE(gomem_owner_hook);
	if (hook)
		hook(p, s);
}

/**
 * gomem_report() - count and report a bad call or an inconsistency
 * @err: what went wrong
 * @p: the pointer concerned
 * @s: its span, or NULL
 * @caller: the call site of the gomem call, 0 if unknown
 * @offset: for a red zone or poison report, the first bad byte's offset in
 *	    the object; for a page found without its guard (%GOMEM_ERR_KERNEL_FREE
 *	    with no @caller), its references; otherwise ignored
 *
 * The first report of each kind is a WARN (with a backtrace), later ones are
 * rate-limited errors. Each names the object, its class and span, the caller
 * and, in debug mode with owner tracking, who allocated and last freed it.
 * The caller then ignores the request, or completes it after a repair.
 *
 * Context: any context.
 */
void gomem_report(enum gomem_error err, const void *p, struct mspan *s, unsigned long caller,
		  long offset)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST);

	atomic_long_inc(&gomem_errors[err]);
	if (gomem_capture_claims(err, p, caller, offset))
		return;
	if (!test_and_set_bit(err, &gomem_warned))
		WARN(1, "gomem: %s: %p from %pS\n", gomem_error_names[err], p, (void *)caller);
	else if (__ratelimit(&rs))
		pr_err("%s: %p from %pS\n", gomem_error_names[err], p, (void *)caller);
	else
		return;
	if (err == GOMEM_ERR_REDZONE)
		pr_err("  first bad byte at offset %ld; red zone restored\n", offset);
	else if (err == GOMEM_ERR_POISON)
		pr_err("  first bad byte at offset %ld; object re-initialised\n", offset);
	else if (err == GOMEM_ERR_KERNEL_FREE && caller)
		pr_err("  kfree() of a gomem object: it stays allocated and its page gomem's\n");
	else if (err == GOMEM_ERR_KERNEL_FREE)
		pr_err("  page given back with %ld references, not 2: a kfree() or put_page() of gomem memory took its guard\n",
		       offset);
	else if (p)
		pr_err("  call ignored\n");
	if (p && (err != GOMEM_ERR_KERNEL_FREE || caller))
		gomem_describe(p, s);
}

/**
 * gomem_report_set_owner_hook() - have reports print an object's owners
 * @hook: called with a reported pointer and its span, last in a report;
 *	  NULL to stop
 *
 * Debug mode's owner tracking lives above this file; it hands its printer
 * down here instead of being called up.
 *
 * Context: module init or exit, before or after any report can be made.
 */
void gomem_report_set_owner_hook(gomem_owner_hook_t hook)
{
	WRITE_ONCE(gomem_owner_hook, hook);
}

/**
 * gomem_error_count() - reports of one kind since load
 * @err: the kind
 *
 * Context: any context.
 * Return: the count.
 */
long gomem_error_count(enum gomem_error err)
{
	return atomic_long_read(&gomem_errors[err]);
}
EXPORT_SYMBOL_NS_GPL(gomem_error_count, GOMEM_INTERNAL);
