// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's reports: the error counters, the one-time warning and rate limit,
 * the KUnit claim, and the description of the object a report is about.
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
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>

#if IS_ENABLED(CONFIG_KUNIT)
#include <kunit/resource.h>
#include <kunit/test.h>
#endif

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
};

static_assert(ARRAY_SIZE(gomem_error_names) == GOMEM_NR_ERRORS);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * A KUnit case that provokes errors on purpose adds a resource named
 * "gomem_errors" whose data is a struct gomem_report_capture; reports made
 * by its task are counted and recorded there instead of printed (as SLUB
 * does for slub_kunit, and kfence_test captures its reports).
 */
static bool gomem_kunit_claims(enum gomem_error err, const void *p, unsigned long caller,
			       long offset)
{
	struct gomem_report_capture *cap;
	struct kunit_resource *res;
	struct kunit *test = current->kunit_test;
	long n;

	if (likely(!test) || !in_task())
		return false;
	/* The lookup takes test->lock, a spinlock_t: it sleeps on PREEMPT_RT. */
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible())
		return false;
	res = kunit_find_named_resource(test, "gomem_errors");
	if (!res)
		return false;
	cap = res->data;
	/* Only the test's own task claims: the records need no lock. */
	n = atomic_long_inc_return(&cap->count) - 1;
	if (n < GOMEM_REPORT_RECORDS) {
		cap->rec[n].err = err;
		cap->rec[n].ptr = p;
		cap->rec[n].caller = caller;
		cap->rec[n].offset = offset;
	}
	kunit_put_resource(res);
	return true;
}
#else
static bool gomem_kunit_claims(enum gomem_error err, const void *p, unsigned long caller,
			       long offset)
{
	return false;
}
#endif

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
	if (state == MSPAN_SMALL && s->spanclass == GOMEM_TINY_SPANCLASS) {
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
 *	    the object; otherwise ignored
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
	if (gomem_kunit_claims(err, p, caller, offset))
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
	else if (p)
		pr_err("  call ignored\n");
	if (p)
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
