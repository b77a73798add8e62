// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's client modules: who holds the memory.
 *
 * Every allocating entry point takes the calling file's struct gomem_client
 * (gomem.h's wrappers pass it). Its first allocation registers it here: the
 * module gets a row of the table and the record its id, read by every later
 * allocation. The id goes where the object's liveness is kept - the small
 * object's live byte, the tiny block's, the large span's client field - so
 * that the free, whoever calls it, knows whose object it frees: the claim
 * that clears the live byte returns it. Each cache context counts, per
 * client and span class, the objects it allocated and freed (struct
 * gomem_client_count: one load of the client's counters and one add, the
 * bytes being the count times the class size); a read sums them over every
 * cache, as the global counters are (proc.c). A client's counters are made
 * for every cache before its id is published, outside any lock, a zeroed
 * page per possible CPU; an allocation that finds no page for them counts
 * in the row "(other)", and the next allocation of the client tries again.
 *
 * A module going away (its exit has run) is marked unloaded; when objects
 * it allocated are still live it is reported, and its row stays, with its
 * name, until they are freed. A row with nothing live is given back after
 * a grace period: the counter updates of frees under way (preemption
 * disabled) are over by then, and no object carries the id any more.
 *
 * Layer 9 (internal.h): reads the per-CPU caches (layer 7).
 */

#include <linux/module.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "internal.h"

enum gomem_client_state { CLIENT_FREE, CLIENT_LOADED, CLIENT_UNLOADED };

/* One client's counters, summed over the caches. */
struct client_sum {
	u64 mallocs;
	u64 frees;
	u64 alloc_bytes;
	u64 free_bytes;
};

/* struct gomem_client_row - one client module (gomem_clients.lock). */
struct gomem_client_row {
	struct module *mod;		/* NULL once unloaded (and for built-in code) */
	u8 state;			/* enum gomem_client_state */
	char name[MODULE_NAME_LEN];	/* kept after the module is gone */
	bool counted;			/* its counters are in every cache, kept for good */
	struct client_sum base;		/* the counters' sums when the row was last given back */
};

static struct {
	raw_spinlock_t lock;		/* see the lock order in internal.h */
	struct gomem_client_row row[GOMEM_MAX_CLIENTS];
	gomem_flush_hook_t flush;	/* frees deferred by RCU: done before a count */
	struct list_head pages;		/* of the counters, by page->lru (lock) */
	unsigned long npages;		/* their number (lock; read racily) */
} gomem_clients = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(gomem_clients.lock),
	.pages = LIST_HEAD_INIT(gomem_clients.pages),
};

/* Add @n objects of span class @sc to @objs and their bytes to @bytes. */
static void client_add(u64 *objs, u64 *bytes, unsigned int sc, u64 n)
{
	*objs += n;
	if (sc && sc < GOMEM_NUM_SIZE_CLASSES)	/* tiny and large ones count their bytes */
		*bytes += n * gomem_class_to_size[sc];
}

/*
 * Sum the counters of id @id over every cache, since load (its clients
 * before the current one included): the frees in a first pass and the
 * allocations in a second, so that live figures never go below zero.
 */
static void client_sum(unsigned int id, struct client_sum *sum)
{
	struct gomem_client_count *k;
	struct mcache *c;
	unsigned int sc;

	memset(sum, 0, sizeof(*sum));
	for_each_mcache(c) {
		k = READ_ONCE(c->client[id]);
		if (!k)
			continue;
		for (sc = 0; sc < GOMEM_NUM_SPANCLASSES; sc++)
			client_add(&sum->frees, &sum->free_bytes, sc,
				   gomem_racy_read(&k->frees[sc]));
		sum->free_bytes += gomem_racy_read(&k->tiny_free_bytes) +
				   gomem_racy_read(&k->large_free_bytes);
	}
	smp_rmb();	/* the frees above before the allocations below */
	for_each_mcache(c) {
		k = READ_ONCE(c->client[id]);
		if (!k)
			continue;
		for (sc = 0; sc < GOMEM_NUM_SPANCLASSES; sc++)
			client_add(&sum->mallocs, &sum->alloc_bytes, sc,
				   gomem_racy_read(&k->mallocs[sc]));
		sum->alloc_bytes += gomem_racy_read(&k->tiny_alloc_bytes) +
				    gomem_racy_read(&k->large_alloc_bytes);
	}
}

/*
 * Make client @id's counters in every cache, unless they are there: a
 * zeroed page per possible CPU, from its node, holding its contexts'
 * counters. Taken with @gfp where the page allocator may be called.
 * Context: no lock held (pages are allocated); not NMI.
 * Return: 0 once they exist, or -ENOMEM.
 */
static int client_counts_make(unsigned int id, gfp_t gfp)
{
	const size_t size = sizeof(struct gomem_client_count);
	struct page *page, *next;
	unsigned int cpu, ctx, n = 0;
	unsigned long flags;
	int ret = -ENOMEM;
	LIST_HEAD(made);
	struct mcache *c;

	BUILD_BUG_ON(GOMEM_NR_CTX * sizeof(struct gomem_client_count) > PAGE_SIZE);
	if (!gomem_may_alloc_pages())
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu),
					gomem_page_gfp(gfp) | __GFP_ZERO | __GFP_NOWARN, 0);
		if (!page)
			goto fail;
		list_add_tail(&page->lru, &made);
		n++;
	}
	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	if (gomem_clients.row[id].counted) {	/* another registration made them meanwhile */
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
		ret = 0;
		goto fail;
	}
	page = list_first_entry(&made, struct page, lru);
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++) {
			c = per_cpu_ptr(&gomem_pcpu, cpu)->ctx[ctx];
			/* Not yet read by anyone: the id is not published. */
			if (c)
				WRITE_ONCE(c->client[id], page_address(page) + ctx * size);
		}
		page = list_next_entry(page, lru);
	}
	list_splice_tail(&made, &gomem_clients.pages);
	WRITE_ONCE(gomem_clients.npages, gomem_clients.npages + n);
	gomem_clients.row[id].counted = true;
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	return 0;
fail:
	list_for_each_entry_safe(page, next, &made, lru)
		__free_page(page);
	return ret;
}

/* The row of loaded module @mod, or 0. Context: gomem_clients.lock held. */
static unsigned int client_find(struct module *mod)
{
	unsigned int id;

	lockdep_assert_held(&gomem_clients.lock);
	for (id = 1; id < GOMEM_CLIENT_OTHER; id++)
		if (gomem_clients.row[id].state == CLIENT_LOADED &&
		    gomem_clients.row[id].mod == mod)
			return id;
	return 0;
}

/* A free row, else the overflow row. Context: gomem_clients.lock held. */
static unsigned int client_free_row(void)
{
	unsigned int id;

	lockdep_assert_held(&gomem_clients.lock);
	for (id = 1; id < GOMEM_CLIENT_OTHER; id++)
		if (gomem_clients.row[id].state == CLIENT_FREE)
			break;
	return id;
}

/*
 * Register the module of @cl: its row (a new one for a module not seen, or
 * the overflow row when the table is full), with its counters in every
 * cache; its id is written to @cl. When the counters of a new row cannot
 * be made (no page with @gfp, or none allowed here), this allocation is
 * counted in the overflow row and @cl stays unregistered, to try again.
 * Context: any but NMI, before the allocation disables preemption (pages
 * for the counters are taken as @gfp allows); a client's first allocation
 * in each of its files.
 * Return: the id.
 */
unsigned int gomem_client_register(struct gomem_client *cl, gfp_t gfp)
{
	struct gomem_client_row *r;
	unsigned long flags;
	bool publish = true;
	unsigned int id;

	id = READ_ONCE(cl->id);
	if (id)
		return id;
	for (;;) {
		raw_spin_lock_irqsave(&gomem_clients.lock, flags);
		id = client_find(cl->mod);
		if (!id)
			id = client_free_row();
		if (gomem_clients.row[id].counted)
			break;
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
		if (client_counts_make(id, gfp)) {
			/* The overflow row's counters were made at load. */
			raw_spin_lock_irqsave(&gomem_clients.lock, flags);
			id = GOMEM_CLIENT_OTHER;
			publish = false;
			break;
		}
	}
	r = &gomem_clients.row[id];
	if (r->state == CLIENT_FREE) {
		r->state = CLIENT_LOADED;
		r->mod = id == GOMEM_CLIENT_OTHER ? NULL : cl->mod;
		strscpy(r->name, id == GOMEM_CLIENT_OTHER ? "(other)" :
			cl->mod ? module_name(cl->mod) : "vmlinux", sizeof(r->name));
	}
	if (publish) {
		/*
		 * Release: the counters' pointers before the id; a reader of
		 * the id finds them through it (an address dependency).
		 */
		smp_store_release(&cl->id, id);
	}
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	return id;
}

/**
 * gomem_clients_reap() - give back the rows of unloaded clients with nothing live
 *
 * Context: process context; waits for a grace period when it finds one.
 */
void gomem_clients_reap(void)
{
	DECLARE_BITMAP(gone, GOMEM_MAX_CLIENTS) = { 0 };
	struct client_sum sum;
	unsigned int id;
	unsigned long flags;

	for (id = 1; id < GOMEM_CLIENT_OTHER; id++) {
		if (READ_ONCE(gomem_clients.row[id].state) != CLIENT_UNLOADED)
			continue;
		client_sum(id, &sum);
		if (sum.mallocs == sum.frees)
			__set_bit(id, gone);
	}
	if (bitmap_empty(gone, GOMEM_MAX_CLIENTS))
		return;
	/* The frees that counted last are over, their counters written. */
	synchronize_rcu();
	for_each_set_bit(id, gone, GOMEM_MAX_CLIENTS) {
		/* Kept for the sums; the id's next client counts from here. */
		client_sum(id, &sum);
		raw_spin_lock_irqsave(&gomem_clients.lock, flags);
		gomem_clients.row[id].base = sum;
		gomem_clients.row[id].state = CLIENT_FREE;
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	}
}
EXPORT_SYMBOL_NS_GPL(gomem_clients_reap, GOMEM_INTERNAL);

/* Fill @st with row @id's figures; false for a free row. */
static bool client_read(unsigned int id, struct gomem_client_stats *st)
{
	struct gomem_client_row *r = &gomem_clients.row[id];
	struct client_sum sum, base;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	if (r->state == CLIENT_FREE) {
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
		return false;
	}
	strscpy(st->name, r->name, sizeof(st->name));
	st->loaded = r->state == CLIENT_LOADED;
	base = r->base;
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	client_sum(id, &sum);
	st->mallocs = sum.mallocs - base.mallocs;
	st->frees = sum.frees - base.frees;
	st->live_objects = sum.mallocs - sum.frees;
	st->total_alloc = sum.alloc_bytes - base.alloc_bytes;
	st->live_bytes = sum.alloc_bytes - sum.free_bytes;
	return true;
}

/**
 * gomem_clients_read() - every client's figures, in the order of their rows
 * @st: room for @max of them
 * @max: how many fit
 *
 * Context: any context but NMI.
 * Return: how many were written.
 */
unsigned int gomem_clients_read(struct gomem_client_stats *st, unsigned int max)
{
	unsigned int id, n = 0;

	for (id = 1; id < GOMEM_MAX_CLIENTS && n < max; id++)
		if (client_read(id, &st[n]))
			n++;
	return n;
}
EXPORT_SYMBOL_NS_GPL(gomem_clients_read, GOMEM_INTERNAL);

/**
 * gomem_read_module_stats() - how much a module holds of gomem's memory
 * @mod: the module (THIS_MODULE for the caller's own; NULL for built-in code)
 * @st: where to write its figures
 *
 * Every object is counted for the module whose code allocated it, at its
 * usable size, whoever frees it. Counters are summed over every CPU: the
 * figures reflect every allocation and free that completed before the
 * call. A module past the client table's room (63 modules) is counted in
 * the row "(other)", which this function does not give.
 *
 * Context: any context but NMI.
 * Return: 0, or -ENOENT when @mod has not allocated from gomem since it
 * loaded (or is counted in "(other)").
 */
int gomem_read_module_stats(struct module *mod, struct gomem_client_stats *st)
{
	unsigned int found;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	found = client_find(mod);
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	if (!found || !client_read(found, st))
		return -ENOENT;
	return 0;
}
EXPORT_SYMBOL_GPL(gomem_read_module_stats);

/**
 * gomem_clients_set_flush_hook() - what finishes deferred frees before a count
 * @hook: called before a going module's objects are counted (the drop-in's
 *	  RCU batches: dropin.c), or NULL
 *
 * Context: process context, module init and exit.
 */
void gomem_clients_set_flush_hook(gomem_flush_hook_t hook)
{
	WRITE_ONCE(gomem_clients.flush, hook);
}

/**
 * gomem_client_gone() - a client module has gone: its row is kept while it holds objects
 * @mod: the module, its exit done
 *
 * Called for every module going away (MODULE_STATE_GOING, after its exit):
 * the row of a client is marked unloaded, its name kept; when objects it
 * allocated are still live it is reported, and stays until they are freed.
 * Exported for gomem's KUnit suites, which call it for modules of their own.
 *
 * Context: process context; may wait for a grace period.
 */
void gomem_client_gone(struct module *mod)
{
	gomem_flush_hook_t flush = READ_ONCE(gomem_clients.flush);
	struct gomem_client_stats st;
	unsigned int found;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	found = client_find(mod);
	if (found) {
		gomem_clients.row[found].state = CLIENT_UNLOADED;
		gomem_clients.row[found].mod = NULL;
	}
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	if (!found)
		return;
	if (flush)
		flush();
	if (client_read(found, &st) && st.live_objects)
		pr_warn("module %s unloaded with %llu objects (%llu bytes) of gomem's still allocated\n",
			st.name, st.live_objects, st.live_bytes);
	gomem_clients_reap();
}
EXPORT_SYMBOL_NS_GPL(gomem_client_gone, GOMEM_INTERNAL);

static int client_module_going(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == MODULE_STATE_GOING)
		gomem_client_gone(data);
	return NOTIFY_DONE;
}

static struct notifier_block client_module_nb = {
	.notifier_call = client_module_going,
};

/* Give back the counters' pages. Context: process context, nothing counts any more. */
static void client_counts_free(void)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &gomem_clients.pages, lru)
		__free_page(page);
	INIT_LIST_HEAD(&gomem_clients.pages);
	gomem_clients.npages = 0;
	memset(gomem_clients.row, 0, sizeof(gomem_clients.row));
}

/**
 * gomem_clients_init() - the overflow row's counters; watch modules unloading
 *
 * Context: process context, module init, after the caches are made.
 * Return: 0, -ENOMEM or the notifier's error.
 */
int gomem_clients_init(void)
{
	int ret = client_counts_make(GOMEM_CLIENT_OTHER, GFP_KERNEL);

	if (!ret)
		ret = register_module_notifier(&client_module_nb);
	if (ret)
		client_counts_free();
	return ret;
}

/**
 * gomem_clients_exit() - stop watching; the rows and their counters go with gomem
 *
 * Context: process context, module exit, once nothing allocates or frees.
 */
void gomem_clients_exit(void)
{
	unregister_module_notifier(&client_module_nb);
	client_counts_free();
}

/**
 * gomem_clients_bytes() - bytes of the clients' counters
 *
 * Context: any context.
 * Return: the bytes of the pages they take.
 */
unsigned long gomem_clients_bytes(void)
{
	return READ_ONCE(gomem_clients.npages) * PAGE_SIZE;
}
