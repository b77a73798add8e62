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
 * client, the objects and bytes it allocated and freed; a read sums them
 * over every cache, as the global counters are (proc.c).
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

/* struct gomem_client_row - one client module (gomem_clients.lock). */
struct gomem_client_row {
	struct module *mod;		/* NULL once unloaded (and for built-in code) */
	u8 state;			/* enum gomem_client_state */
	char name[MODULE_NAME_LEN];	/* kept after the module is gone */
};

static struct {
	raw_spinlock_t lock;		/* see the lock order in internal.h */
	struct gomem_client_row row[GOMEM_MAX_CLIENTS];
	gomem_flush_hook_t flush;	/* frees deferred by RCU: done before a count */
} gomem_clients = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(gomem_clients.lock),
};

/* One client's counters, summed over the caches. */
struct client_sum {
	u64 mallocs;
	u64 frees;
	u64 alloc_bytes;
	u64 free_bytes;
};

/*
 * Sum client @id's counters over every cache: the frees in a first pass and
 * the allocations in a second, so that live figures never go below zero.
 */
static void client_sum(unsigned int id, struct client_sum *sum)
{
	struct mcache *c;

	memset(sum, 0, sizeof(*sum));
	for_each_mcache(c) {
		sum->frees += gomem_racy_read(&c->client.frees[id]);
		sum->free_bytes += gomem_racy_read(&c->client.free_bytes[id]);
	}
	smp_rmb();	/* the frees above before the allocations below */
	for_each_mcache(c) {
		sum->mallocs += gomem_racy_read(&c->client.mallocs[id]);
		sum->alloc_bytes += gomem_racy_read(&c->client.alloc_bytes[id]);
	}
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

/*
 * Register the module of @cl: its row (a new one for a module not seen, or
 * the overflow row when the table is full); its id is written to @cl.
 * Context: any but NMI; the slow path of a client's first allocation in
 * each of its files.
 * Return: the id.
 */
unsigned int gomem_client_register(struct gomem_client *cl)
{
	struct gomem_client_row *r;
	unsigned int id;
	unsigned long flags;

	id = READ_ONCE(cl->id);
	if (id)
		return id;
	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	id = client_find(cl->mod);
	if (id)
		goto found;
	/* The first free row, else the overflow row. */
	for (id = 1; id < GOMEM_CLIENT_OTHER; id++)
		if (gomem_clients.row[id].state == CLIENT_FREE)
			break;
	r = &gomem_clients.row[id];
	if (r->state == CLIENT_FREE) {
		r->state = CLIENT_LOADED;
		r->mod = id == GOMEM_CLIENT_OTHER ? NULL : cl->mod;
		strscpy(r->name, id == GOMEM_CLIENT_OTHER ? "(other)" :
			cl->mod ? module_name(cl->mod) : "vmlinux", sizeof(r->name));
	}
found:
	WRITE_ONCE(cl->id, id);
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
	struct mcache *c;
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
		for_each_mcache(c) {
			c->client.mallocs[id] = 0;
			c->client.frees[id] = 0;
			c->client.alloc_bytes[id] = 0;
			c->client.free_bytes[id] = 0;
		}
		raw_spin_lock_irqsave(&gomem_clients.lock, flags);
		gomem_clients.row[id].state = CLIENT_FREE;
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	}
}
EXPORT_SYMBOL_NS_GPL(gomem_clients_reap, GOMEM_INTERNAL);

/* Fill @st with row @id's figures; false for a free row. */
static bool client_read(unsigned int id, struct gomem_client_stats *st)
{
	struct gomem_client_row *r = &gomem_clients.row[id];
	struct client_sum sum;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_clients.lock, flags);
	if (r->state == CLIENT_FREE) {
		raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
		return false;
	}
	strscpy(st->name, r->name, sizeof(st->name));
	st->loaded = r->state == CLIENT_LOADED;
	raw_spin_unlock_irqrestore(&gomem_clients.lock, flags);
	client_sum(id, &sum);
	st->mallocs = sum.mallocs;
	st->frees = sum.frees;
	st->live_objects = sum.mallocs - sum.frees;
	st->total_alloc = sum.alloc_bytes;
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

/**
 * gomem_clients_init() - watch modules unloading
 *
 * Context: process context, module init.
 * Return: 0 or the notifier's error.
 */
int gomem_clients_init(void)
{
	return register_module_notifier(&client_module_nb);
}

/**
 * gomem_clients_exit() - stop watching; the rows go with gomem
 *
 * Context: process context, module exit.
 */
void gomem_clients_exit(void)
{
	unregister_module_notifier(&client_module_nb);
}
