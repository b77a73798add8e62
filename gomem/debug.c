// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's debug mode, chosen at load with the module parameter debug (letters
 * as slub_debug's): Z red zones, P poisoning, U owner tracking.
 *
 * With any letter set, the static key gomem_debug_key sends gomem_alloc() and
 * gomem_free() from their first line into the noinline debug paths of
 * malloc.c, which call the helpers here; with none, the fast paths pay only a
 * patched-out branch. The mode never changes after load, so no object made
 * without a red zone is ever checked for one.
 *
 * A debug object is served from the size class of its slot: the requested
 * size, the red zone and the trailer (struct gomem_trailer) rounded up to a
 * class, or whole pages over 32 KiB; never by the tiny allocator. The caller's
 * pointer is the slot's start, so the usual object checks still apply:
 *
 *   [ object: size bytes | red zone: 0xbb ... | trailer: size, owners ]
 *
 * Free objects are filled with 0x6b up to the trailer (P), and so are fresh
 * spans when they are carved; the fill is checked when an object is handed
 * out again. The trailer survives a free: it names the last free's owner.
 *
 * With any letter, gomem's arena pages hold a guard reference and a probe
 * on the kernel's kmem:kfree tracepoint reports gomem memory freed there
 * (gomem_debug_start(), below).
 *
 * Layer 6 (internal.h): calls mcentral.c's and mheap.c's structures (the
 * leak walk, the page guard), report.c; reports print owners through the
 * hook this file registers (gomem_report_set_owner_hook()).
 */

#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include <trace/events/kmem.h>

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(gomem_debug_key);
unsigned int gomem_debug_flags __read_mostly;

/* Trailer bytes, and red zone plus trailer: the least a slot adds. */
static unsigned int trailer_bytes __read_mostly;
static unsigned int overhead_bytes __read_mostly;

/*
 * Debug-path calls started and finished: the object walk of
 * gomem_check_heap() trusts what it sees only when none ran meanwhile.
 */
static atomic_long_t calls_started;
static atomic_long_t calls_finished;

/* Lists a going module's leaks (with U); defined with the leak reports below. */
static struct notifier_block module_nb;

/* Prints a reported object's owners; registered as report.c's hook with U. */
static void debug_describe(const void *p, struct mspan *s);

/* Leaked objects listed by name at unload before the rest are only counted. */
#define GOMEM_LEAKS_LISTED	16

/**
 * gomem_debug_init() - parse the debug parameter and switch the mode on
 * @opts: the parameter: letters Z, P, U (either case), "1" or "all" for all
 *	  three; NULL, empty, "0" or "-" for none
 *
 * Context: module init, before any allocation.
 * Return: 0, or -EINVAL for an unknown letter.
 */
int gomem_debug_init(const char *opts)
{
	unsigned int flags = 0;
	const char *c;

	if (!opts || !*opts || !strcmp(opts, "0") || !strcmp(opts, "-"))
		return 0;
	if (!strcmp(opts, "1") || !strcasecmp(opts, "all")) {
		flags = GOMEM_DEBUG_REDZONE | GOMEM_DEBUG_POISON | GOMEM_DEBUG_USER;
	} else {
		for (c = opts; *c; c++) {
			switch (*c) {
			case 'Z': case 'z':
				flags |= GOMEM_DEBUG_REDZONE;
				break;
			case 'P': case 'p':
				flags |= GOMEM_DEBUG_POISON;
				break;
			case 'U': case 'u':
				flags |= GOMEM_DEBUG_USER;
				break;
			default:
				pr_err("debug=%s: unknown letter '%c' (Z red zones, P poisoning, U owner tracking, 1 or all)\n",
				       opts, *c);
				return -EINVAL;
			}
		}
	}
	gomem_debug_flags = flags;
	gomem_heap_set_page_guard(true);
	trailer_bytes = sizeof(struct gomem_trailer);
	if (flags & GOMEM_DEBUG_USER)
		trailer_bytes += GOMEM_NR_TRACKS * sizeof(struct gomem_track);
	overhead_bytes = trailer_bytes + (flags & GOMEM_DEBUG_REDZONE ? GOMEM_REDZONE_MIN : 0);
	if (flags & GOMEM_DEBUG_USER) {
		int ret = register_module_notifier(&module_nb);

		if (ret)
			return ret;
		gomem_report_set_owner_hook(debug_describe);
	}
	static_branch_enable(&gomem_debug_key);
	pr_info("debug mode:%s%s%s, %u bytes added per object at least\n",
		flags & GOMEM_DEBUG_REDZONE ? " red zones" : "",
		flags & GOMEM_DEBUG_POISON ? " poisoning" : "",
		flags & GOMEM_DEBUG_USER ? " owners" : "", overhead_bytes);
	return 0;
}

/* Slot bytes for @size requested bytes; @size is at most the largest object. */
size_t gomem_debug_slot_size(size_t size)
{
	return size + overhead_bytes;
}

/* The trailer of the object at @obj in a slot of @slot bytes. */
static struct gomem_trailer *trailer_of(const void *obj, size_t slot)
{
	return (struct gomem_trailer *)((unsigned long)obj + slot - trailer_bytes);
}

/* Bytes of a slot before its trailer: object and red zone, poisoned when free. */
static size_t body_of(size_t slot)
{
	return slot - trailer_bytes;
}

/* Largest requested size a slot can hold. */
static size_t max_size_of(size_t slot)
{
	return slot - overhead_bytes;
}

/* === Quiescence, for the object walk === */

void gomem_debug_enter(void)
{
	atomic_long_inc(&calls_started);
	smp_mb__after_atomic();	/* counted before the object is touched */
}

void gomem_debug_exit(void)
{
	smp_mb__before_atomic();	/* the object written before counted done */
	atomic_long_inc(&calls_finished);
}

/*
 * Begin an object walk: true when no debug-path call is running now (read
 * finished, then started: equal means every call started had finished).
 */
bool gomem_debug_quiet_begin(unsigned long *seq)
{
	long done = atomic_long_read(&calls_finished);

	smp_mb();	/* finished read before started; pairs with gomem_debug_exit() */
	*seq = atomic_long_read(&calls_started);
	return *seq == done;
}

/* End it: true when no call started during the walk, so what it saw holds. */
bool gomem_debug_quiet_end(unsigned long seq)
{
	smp_mb();	/* the walk's reads before this one; pairs with gomem_debug_enter() */
	return atomic_long_read(&calls_started) == seq;
}

/* === Owners === */

static void set_track(struct gomem_trailer *t, enum gomem_track_kind kind,
		      unsigned long caller)
{
	struct gomem_track *tr;

	if (!(gomem_debug_flags & GOMEM_DEBUG_USER))
		return;
	tr = &t->track[kind];
	tr->addr = caller;
	tr->when = jiffies;
	tr->cpu = raw_smp_processor_id();
	tr->pid = in_task() ? current->pid : 0;
}

static void print_track(const char *what, const struct gomem_track *tr)
{
	/* A racy read for a report: the object may be in use elsewhere. */
	struct gomem_track t = data_race(*tr);

	if (!t.addr) {
		pr_err("  %s: (no record)\n", what);
		return;
	}
	pr_err("  %s by %pS on cpu %u pid %u, %lu jiffies ago\n", what, (void *)t.addr,
	       t.cpu, t.pid, jiffies - t.when);
}

/* Span and slot of the object holding @p, or NULL; *@obj its start. */
static struct gomem_trailer *trailer_at(const void *p, struct mspan *s, void **obj,
					size_t *slot)
{
	u32 state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	unsigned int idx;

	if (state == MSPAN_SMALL) {
		idx = gomem_obj_index(s, (unsigned long)p);
		if (idx >= s->nelems)
			return NULL;
		*obj = (void *)(s->base + (unsigned long)idx * s->elemsize);
		*slot = s->elemsize;
	} else if (state == MSPAN_LARGE || state == MSPAN_FREEING) {
		/*
		 * FREEING: claimed by a free that reports its red zone before
		 * the pages go; or, in a racing double free, pages on their way
		 * to the heap - still gomem's mapped arena memory.
		 */
		*obj = (void *)s->base;
		*slot = (size_t)s->npages << GOMEM_PAGE_SHIFT;
	} else {
		return NULL;
	}
	return trailer_of(*obj, *slot);
}

/*
 * Print the owners of the object holding @p (span @s, or NULL): the last
 * part of a report, through the hook registered with report.c when U is on;
 * and of the heap walker's findings. Any context.
 */
static void debug_describe(const void *p, struct mspan *s)
{
	struct gomem_trailer *t;
	size_t slot;
	void *obj;

	if (!static_branch_unlikely(&gomem_debug_key) ||
	    !(gomem_debug_flags & GOMEM_DEBUG_USER))
		return;
	t = trailer_at(p, s, &obj, &slot);
	if (!t)
		return;
	/* A racy read for a report, as the tracks below. */
	pr_err("  object %p: %u bytes requested, slot of %zu\n", obj, data_race(t->size), slot);
	print_track("allocated", &t->track[GOMEM_TRACK_ALLOC]);
	print_track("last freed", &t->track[GOMEM_TRACK_FREE]);
}

/* === The object's life === */

/**
 * gomem_debug_new_span() - poison a span carved for a size class
 * @s: the span, not yet in its mcentral
 *
 * Context: any context; the span is the caller's alone.
 */
void gomem_debug_new_span(struct mspan *s)
{
	if (gomem_debug_flags & GOMEM_DEBUG_POISON)
		memset((void *)s->base, GOMEM_POISON_BYTE, (size_t)s->npages << GOMEM_PAGE_SHIFT);
}

/**
 * gomem_debug_prepare() - make a slot just taken into a debug object
 * @obj: the slot, live (its live bit set or its large span in use)
 * @s: its span
 * @size: bytes requested
 * @slot: bytes of the slot
 * @gfp: the allocation's flags (__GFP_ZERO, init_on_alloc)
 * @caller: the allocation's call site
 *
 * With P, checks the poison of a small object first: a byte changed is a
 * write after free, reported with the last free's owner; the object is
 * handed out anyway, re-initialised. Then writes the trailer, the red zone
 * and the owner; zeroes the @size bytes when @gfp asks.
 *
 * Context: any context; the caller counted itself in (gomem_debug_enter()).
 */
void gomem_debug_prepare(void *obj, struct mspan *s, size_t size, size_t slot, gfp_t gfp,
			 unsigned long caller)
{
	struct gomem_trailer *t = trailer_of(obj, slot);
	size_t body = body_of(slot);
	u8 *bad;

	if ((gomem_debug_flags & GOMEM_DEBUG_POISON) && READ_ONCE(s->state) == MSPAN_SMALL) {
		bad = memchr_inv(obj, GOMEM_POISON_BYTE, body);
		if (bad)
			gomem_report(GOMEM_ERR_POISON, obj, s, caller, bad - (u8 *)obj);
	}
	t->size = size;
	t->check = size ^ GOMEM_TRAILER_MAGIC;
	if (gomem_debug_flags & GOMEM_DEBUG_USER) {
		memset(&t->track[GOMEM_TRACK_FREE], 0, sizeof(t->track[0]));
		set_track(t, GOMEM_TRACK_ALLOC, caller);
	}
	if (gomem_debug_flags & GOMEM_DEBUG_REDZONE)
		memset(obj + size, GOMEM_REDZONE_BYTE, body - size);
	if (want_init_on_alloc(gfp))
		memset(obj, 0, size);
}

/* Check the trailer and red zone of a live object; @repair them, and report. */
static int check_live(void *obj, struct mspan *s, size_t slot, unsigned long caller,
		      bool repair)
{
	struct gomem_trailer *t = trailer_of(obj, slot);
	size_t size = t->size, body = body_of(slot);
	u8 *bad;

	if (t->check != (t->size ^ GOMEM_TRAILER_MAGIC) || size > max_size_of(slot)) {
		/* The trailer itself was overwritten: the size is lost. */
		if (repair) {
			gomem_report(GOMEM_ERR_REDZONE, obj, s, caller, body);
			t->size = max_size_of(slot);
			t->check = t->size ^ GOMEM_TRAILER_MAGIC;
		}
		return 1;
	}
	if (!(gomem_debug_flags & GOMEM_DEBUG_REDZONE))
		return 0;
	bad = memchr_inv(obj + size, GOMEM_REDZONE_BYTE, body - size);
	if (!bad)
		return 0;
	if (repair) {
		gomem_report(GOMEM_ERR_REDZONE, obj, s, caller, bad - (u8 *)obj);
		memset(obj + size, GOMEM_REDZONE_BYTE, body - size);
	}
	return 1;
}

/**
 * gomem_debug_check_live() - check a live object's red zone before its free
 * @obj: the object
 * @s: its span
 * @slot: bytes of its slot
 * @caller: the free's call site
 *
 * A red zone or trailer overwritten is reported (%GOMEM_ERR_REDZONE) and
 * repaired; the free then goes on.
 *
 * Context: any context.
 */
void gomem_debug_check_live(void *obj, struct mspan *s, size_t slot, unsigned long caller)
{
	check_live(obj, s, slot, caller, true);
}

/**
 * gomem_debug_check_large() - check a large object's red zone at its free
 * @obj: the object, its span claimed by this free
 * @s: its span
 * @slot: bytes of its pages
 * @caller: the free's call site
 *
 * Reported like gomem_debug_check_live(); nothing to repair, the pages go
 * back to the heap.
 *
 * Context: any context.
 */
void gomem_debug_check_large(void *obj, struct mspan *s, size_t slot, unsigned long caller)
{
	check_live(obj, s, slot, caller, true);
}

/**
 * gomem_debug_release() - record a free and poison the object
 * @obj: the object, no longer live and in no cache yet
 * @slot: bytes of its slot
 * @caller: the free's call site
 *
 * With P the body (object and red zone) is poisoned, which also stands for
 * init_on_free; without P, init_on_free zeroes it.
 *
 * Context: any context.
 */
void gomem_debug_release(void *obj, size_t slot, unsigned long caller)
{
	set_track(trailer_of(obj, slot), GOMEM_TRACK_FREE, caller);
	if (gomem_debug_flags & GOMEM_DEBUG_POISON)
		memset(obj, GOMEM_POISON_BYTE, body_of(slot));
	else if (want_init_on_free())
		memset(obj, 0, body_of(slot));
}

/**
 * gomem_debug_size() - the size requested for a live debug object
 * @obj: the object
 * @slot: bytes of its slot
 *
 * Context: any context.
 * Return: the size from its trailer, bounded by what the slot can hold.
 */
size_t gomem_debug_size(const void *obj, size_t slot)
{
	return min_t(size_t, trailer_of(obj, slot)->size, max_size_of(slot));
}

/**
 * gomem_debug_check_slot() - the heap walker's check of one slot
 * @obj: the slot
 * @s: its span
 * @slot: its bytes
 * @live: whether a caller holds it
 *
 * A live object's trailer and red zone, a free small object's poison;
 * each damage found is printed with the object's owners.
 *
 * Context: under the lock of the span's mcentral or the mheap's, with no
 * debug-path call running (gomem_debug_quiet_begin()).
 * Return: 1 when the slot is damaged, else 0.
 */
int gomem_debug_check_slot(const void *obj, struct mspan *s, size_t slot, bool live)
{
	u8 *bad;

	if (live) {
		if (!check_live((void *)obj, s, slot, 0, false))
			return 0;
		pr_err("check: object %p of %zu-byte slot: red zone or trailer overwritten\n",
		       obj, slot);
	} else {
		if (!(gomem_debug_flags & GOMEM_DEBUG_POISON))
			return 0;
		bad = memchr_inv(obj, GOMEM_POISON_BYTE, body_of(slot));
		if (!bad)
			return 0;
		pr_err("check: free object %p of %zu-byte slot written at offset %ld\n",
		       obj, slot, (long)(bad - (u8 *)obj));
	}
	debug_describe(obj, s);
	return 1;
}

/* === Leaks at unload === */

struct leak {
	const void *obj;
	u32 size;
	struct gomem_track alloc;
};

struct leak_list {
	struct leak first[GOMEM_LEAKS_LISTED];
	unsigned long n;
};

static void note_leak(struct leak_list *l, const void *obj, size_t slot, struct module *mod)
{
	const struct gomem_trailer *t = trailer_of(obj, slot);

	if (mod && !within_module(t->track[GOMEM_TRACK_ALLOC].addr, mod))
		return;
	if (l->n < GOMEM_LEAKS_LISTED) {
		l->first[l->n].obj = obj;
		l->first[l->n].size = t->size;
		l->first[l->n].alloc = t->track[GOMEM_TRACK_ALLOC];
	}
	l->n++;
}

/*
 * List the objects still live, allocated from @mod's code (any code for
 * NULL), with their owners: the first GOMEM_LEAKS_LISTED, then a count.
 * Process context; takes the mcentral and mheap locks.
 */
static void report_leaks(struct module *mod)
{
	struct leak_list *l;
	struct gomem_arena *arena;
	unsigned long flags, i;
	unsigned int sc, idx;
	struct mspan *s;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return;
	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		struct mcentral *mc = &gomem_central[sc];
		struct list_head *lists[] = { &mc->partial, &mc->full };

		raw_spin_lock_irqsave(&mc->lock, flags);
		for (i = 0; i < ARRAY_SIZE(lists); i++)
			list_for_each_entry(s, lists[i], node)
				for (idx = 0; idx < s->nelems; idx++)
					if (gomem_live_test(s, idx))
						note_leak(l, (void *)(s->base +
							  (unsigned long)idx * s->elemsize),
							  s->elemsize, mod);
		raw_spin_unlock_irqrestore(&mc->lock, flags);
	}
	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	list_for_each_entry(arena, &gomem_heap.arenas, node) {
		unsigned long addr = arena->base, end = addr + arena->npages * GOMEM_PAGE_SIZE;

		while (addr < end) {
			s = gomem_span_of((void *)addr);
			if (!s || !s->npages)
				break;
			/* Once: a large free sets its span's state without the lock. */
			if (READ_ONCE(s->state) == MSPAN_LARGE)
				note_leak(l, (void *)s->base, (size_t)s->npages << GOMEM_PAGE_SHIFT,
					  mod);
			addr += (unsigned long)s->npages * GOMEM_PAGE_SIZE;
		}
	}
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	if (mod && l->n)
		pr_warn("module %s unloads with %lu objects it allocated still live\n",
			mod->name, l->n);
	for (i = 0; i < min_t(unsigned long, l->n, GOMEM_LEAKS_LISTED); i++)
		pr_warn("leaked object %p (%u bytes) allocated by %pS on cpu %u pid %u\n",
			l->first[i].obj, l->first[i].size, (void *)l->first[i].alloc.addr,
			l->first[i].alloc.cpu, l->first[i].alloc.pid);
	if (l->n > GOMEM_LEAKS_LISTED)
		pr_warn("... and %lu more leaked objects\n", l->n - GOMEM_LEAKS_LISTED);
	kfree(l);
}

/* Set by dropin.c at load: frees every object queued for RCU, and waits. */
static void (*gomem_debug_flush_hook)(void);

/**
 * gomem_debug_set_flush_hook() - what a leak scan runs first
 * @hook: hands every RCU-deferred free over and waits for it (dropin.c), or NULL
 *
 * Context: process context, module init and exit.
 */
void gomem_debug_set_flush_hook(void (*hook)(void))
{
	WRITE_ONCE(gomem_debug_flush_hook, hook);
}

/*
 * A module going away: list the objects its code allocated and left live,
 * while its symbols can still name the call sites. Objects it freed through
 * RCU just before are freed first, not listed.
 */
static int module_going(struct notifier_block *nb, unsigned long action, void *data)
{
	typeof(gomem_debug_flush_hook) flush = READ_ONCE(gomem_debug_flush_hook);

	if (action == MODULE_STATE_GOING) {
		if (flush)
			flush();
		report_leaks(data);
	}
	return NOTIFY_DONE;
}

static struct notifier_block module_nb = {
	.notifier_call = module_going,
};

/**
 * gomem_debug_report_leaks() - list every object still live, with its owner
 *
 * With U, at gomem's unload: names the first %GOMEM_LEAKS_LISTED live
 * objects and their allocation sites (a raw address when the caller's module
 * is gone: its own unload listed them by name), then counts the rest.
 *
 * Context: module exit, nobody else allocating; takes the mcentral and mheap locks.
 */
void gomem_debug_report_leaks(void)
{
	if (gomem_debug_flags & GOMEM_DEBUG_USER)
		report_leaks(NULL);
}

/* === gomem memory freed by the kernel's allocator === */

/*
 * A module that hands gomem memory to core code which frees it with the
 * kernel's kfree() breaks the one rule of two owners (gomem-dropin.rst).
 * In debug mode every arena page holds gomem's guard reference
 * (gomem_heap_set_page_guard()), so such a free cannot give the page away;
 * and where the kernel has tracepoints, this probe on kmem:kfree sees the
 * free as it happens: it reports it with the kfree()'s call site and gives
 * the page back the reference free_large_kmalloc() is about to drop. The
 * object stays allocated (a leak: the module's unload lists it with U).
 */
static bool kfree_watched;

static void debug_kfree_probe(void *data, unsigned long call_site, const void *ptr)
{
	struct mspan *s;
	u32 state;

	if (ZERO_OR_NULL_PTR(ptr))
		return;
	/* Pages are freed after a grace period: a span found here keeps them. */
	rcu_read_lock();
	s = gomem_span_of(ptr);
	state = s ? READ_ONCE(s->state) : MSPAN_DEAD;
	if (state == MSPAN_SMALL || state == MSPAN_TINY || state == MSPAN_LARGE) {
		page_ref_inc(virt_to_page(ptr));
		gomem_report(GOMEM_ERR_KERNEL_FREE, ptr, s, call_site, 0);
	}
	rcu_read_unlock();
}

/**
 * gomem_debug_start() - watch the kernel's kfree() for gomem memory
 *
 * In debug mode, once the page map exists: the probe above on kmem:kfree.
 * A kernel without tracepoints keeps only the page guard's check.
 *
 * Context: process context, module init, after gomem_heap_init().
 */
void gomem_debug_start(void)
{
	int ret;

	if (!gomem_debug_flags)
		return;
	ret = register_trace_kfree(debug_kfree_probe, NULL);
	if (ret)
		pr_info("debug mode: kfree() not watched (%d): gomem memory it frees is found when its page goes back\n",
			ret);
	kfree_watched = !ret;
}

/**
 * gomem_debug_exit_module() - undo gomem_debug_init()
 *
 * Context: module exit (or a failed init).
 */
void gomem_debug_exit_module(void)
{
	if (kfree_watched) {
		unregister_trace_kfree(debug_kfree_probe, NULL);
		tracepoint_synchronize_unregister();	/* no probe runs into a gone module */
		kfree_watched = false;
	}
	if (gomem_debug_flags & GOMEM_DEBUG_USER) {
		gomem_report_set_owner_hook(NULL);
		unregister_module_notifier(&module_nb);
	}
}

/* === Hooks for gomem's own KUnit suites (namespace GOMEM_INTERNAL) === */

/**
 * gomem_debug_mode() - the debug letters gomem was loaded with
 *
 * Context: any context.
 * Return: GOMEM_DEBUG_* flags, 0 when debug mode is off.
 */
unsigned int gomem_debug_mode(void)
{
	return gomem_debug_flags;
}
EXPORT_SYMBOL_NS_GPL(gomem_debug_mode, GOMEM_INTERNAL);

/**
 * gomem_debug_overhead() - bytes debug mode adds to every object at least
 *
 * Context: any context.
 * Return: the smallest red zone plus the trailer; 0 when debug mode is off.
 */
size_t gomem_debug_overhead(void)
{
	return gomem_debug_flags ? overhead_bytes : 0;
}
EXPORT_SYMBOL_NS_GPL(gomem_debug_overhead, GOMEM_INTERNAL);

/**
 * gomem_debug_owner() - the allocation or last free record of an object
 * @ptr: an object's start, live or freed (its span still in use)
 * @kind: %GOMEM_TRACK_ALLOC or %GOMEM_TRACK_FREE
 * @t: where to copy the record
 *
 * Context: any context.
 * Return: 0, or -EINVAL when debug mode has no owners or @ptr is in no
 * object of a span in use.
 */
int gomem_debug_owner(const void *ptr, enum gomem_track_kind kind, struct gomem_track *t)
{
	struct gomem_trailer *tr;
	size_t slot;
	void *obj;

	if (!(gomem_debug_flags & GOMEM_DEBUG_USER) || kind >= GOMEM_NR_TRACKS)
		return -EINVAL;
	rcu_read_lock();	/* the span found stays what it is */
	tr = trailer_at(ptr, gomem_span_of(ptr), &obj, &slot);
	if (tr && obj == ptr)
		/* A racy read: a test reads records no other CPU is writing. */
		*t = data_race(tr->track[kind]);
	rcu_read_unlock();
	return tr && obj == ptr ? 0 : -EINVAL;
}
EXPORT_SYMBOL_NS_GPL(gomem_debug_owner, GOMEM_INTERNAL);
