// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's statistics: gomem_read_memstats() and /proc/gomem.
 *
 * Counters live in the per-CPU caches (no shared cache line is written on
 * a fast path) and are summed here; heap figures come from the mheap, the
 * mcentrals and the metadata pools. Reading takes no lock an allocation waits
 * on but the mheap's, for four loads: every other figure is a racy read of a
 * value its owner writes whole, so a read may mix moments but reflects every
 * allocation and free that completed before it started.
 *
 * Layer 12 (internal.h), an observer: reads every layer below.
 */

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

/*
 * Sum every client's counters (struct gomem_client_count) and the cached
 * objects of every cache of every possible CPU. The free counters are read
 * in a first pass and the allocation counters in a second: an object whose
 * free is counted was allocated before, so its allocation is counted too,
 * and no live figure ever goes below zero.
 */
static void sum_caches(struct gomem_memstats *ms, u64 *tiny_ab, u64 *tiny_fb, u64 *lab,
		       u64 *lfb)
{
	struct gomem_client_count *k;
	unsigned int sc;
	struct mcache *c;

	for_each_mcache(c) {
		for_each_client_count(c, k) {
			for (sc = 0; sc < GOMEM_NUM_SIZE_CLASSES; sc++)
				ms->by_size[sc].frees += gomem_racy_read(&k->frees[sc]);
			ms->tiny_frees += gomem_racy_read(&k->frees[GOMEM_TINY_SPANCLASS]);
			*tiny_fb += gomem_racy_read(&k->tiny_free_bytes);
			*lfb += gomem_racy_read(&k->large_free_bytes);
		}
		for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
			/* A racy read of a u16 its CPU writes whole. */
			unsigned int n = data_race(c->cls[sc].count);

			ms->cached_free_bytes += (u64)n * gomem_spanclass_size(sc);
		}
	}
	smp_rmb();	/* the frees above before the allocations below */
	for_each_mcache(c) {
		for_each_client_count(c, k) {
			for (sc = 0; sc < GOMEM_NUM_SIZE_CLASSES; sc++)
				ms->by_size[sc].mallocs += gomem_racy_read(&k->mallocs[sc]);
			ms->tiny_allocs += gomem_racy_read(&k->mallocs[GOMEM_TINY_SPANCLASS]);
			*tiny_ab += gomem_racy_read(&k->tiny_alloc_bytes);
			*lab += gomem_racy_read(&k->large_alloc_bytes);
		}
	}
}

/**
 * gomem_read_memstats() - fill a snapshot of gomem's statistics
 * @ms: where to write them
 *
 * Counters are summed over every CPU; the snapshot reflects every allocation
 * and free that completed before the call. Fields are described with
 * &struct gomem_memstats and in Documentation/gomem.rst.
 *
 * Context: any context but NMI (it takes the mheap lock, a raw spinlock,
 * with interrupts disabled, for four loads).
 */
void gomem_read_memstats(struct gomem_memstats *ms)
{
	u64 tiny_ab = 0, tiny_fb = 0, lab = 0, lfb = 0;
	unsigned long flags, passes, drains, pending, batches, singles;
	unsigned int sc, i;
	u64 scav_ns;

	memset(ms, 0, sizeof(*ms));
	sum_caches(ms, &tiny_ab, &tiny_fb, &lab, &lfb);
	ms->large_mallocs = ms->by_size[0].mallocs;
	ms->large_frees = ms->by_size[0].frees;
	ms->large_bytes = lab - lfb;
	ms->tiny_bytes = tiny_ab - tiny_fb;
	ms->mallocs = ms->tiny_allocs + ms->large_mallocs;
	ms->frees = ms->tiny_frees + ms->large_frees;
	ms->total_alloc = tiny_ab + lab;
	ms->alloc = ms->tiny_bytes + ms->large_bytes;
	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		struct gomem_class_stats *cs = &ms->by_size[sc];

		cs->size = gomem_class_to_size[sc];
		ms->mallocs += cs->mallocs;
		ms->frees += cs->frees;
		ms->total_alloc += cs->mallocs * cs->size;
		ms->alloc += (cs->mallocs - cs->frees) * cs->size;
	}
	for (sc = 1; sc < GOMEM_NUM_SPANCLASSES; sc++) {
		/* A racy read: nfree is written under the mcentral lock. */
		unsigned long nfree = data_race(gomem_central[sc].nfree);

		/* And the transfer cache's objects, free too, also written under it. */
		nfree += data_race(gomem_central[sc].nxfer);
		ms->central_free_bytes += (u64)nfree * gomem_spanclass_size(sc);
	}
	ms->heap_alloc = ms->alloc;
	ms->heap_objects = ms->mallocs - ms->frees;
	/* One consistent view of the heap: a few loads under its lock. */
	raw_spin_lock_irqsave(&gomem_heap.lock, flags);
	ms->heap_sys = gomem_heap.heap_sys;
	ms->heap_inuse = gomem_heap.heap_inuse;
	ms->heap_released = gomem_heap.heap_released;
	ms->released_bytes = gomem_heap.released;
	ms->arenas = gomem_heap.narenas;
	ms->memory_limit = gomem_heap.limit;
	ms->limit_refusals = gomem_heap.limit_refusals;
	ms->limit_released_bytes = gomem_heap.limit_released;
	raw_spin_unlock_irqrestore(&gomem_heap.lock, flags);
	ms->heap_idle = ms->heap_sys - ms->heap_inuse;
	ms->heap_free_bytes = ms->heap_idle - ms->heap_released;
	for (i = GOMEM_POOL_SPAN0; i <= GOMEM_POOL_SPAN16; i++) {
		ms->mspan_inuse += READ_ONCE(gomem_pools[i].inuse) * gomem_pools[i].size;
		ms->mspan_sys += READ_ONCE(gomem_pools[i].sys);
	}
	ms->mcache_inuse = gomem_mcache_bytes() + gomem_clients_bytes();
	ms->mcache_sys = ms->mcache_inuse;
	ms->other_sys = gomem_heap_map_bytes() + READ_ONCE(gomem_pools[GOMEM_POOL_ARENA].sys) +
			READ_ONCE(gomem_pools[GOMEM_POOL_TINYMASK].sys) + gomem_central_bytes();
	ms->sys = ms->heap_sys - ms->heap_released + ms->mspan_sys + ms->mcache_sys + ms->other_sys;
	ms->invalid_frees = atomic_long_read(&gomem_errors[GOMEM_ERR_INVALID_FREE]);
	ms->double_frees = atomic_long_read(&gomem_errors[GOMEM_ERR_DOUBLE_FREE]);
	ms->nmi_calls = atomic_long_read(&gomem_errors[GOMEM_ERR_NMI]);
	ms->corruptions = atomic_long_read(&gomem_errors[GOMEM_ERR_CORRUPT]);
	ms->redzone_errors = atomic_long_read(&gomem_errors[GOMEM_ERR_REDZONE]);
	ms->poison_errors = atomic_long_read(&gomem_errors[GOMEM_ERR_POISON]);
	ms->kernel_frees = atomic_long_read(&gomem_errors[GOMEM_ERR_KERNEL_FREE]);
	gomem_scavenger_counts(&passes, &drains, &scav_ns);
	ms->scavenger_passes = passes;
	ms->scavenger_cpu_drains = drains;
	ms->scavenger_ns = scav_ns;
	ms->frees_forwarded = atomic_long_read(&gomem_frees_forwarded);
	gomem_rcu_counts(&pending, &batches, &singles);
	ms->rcu_pending = pending;
	ms->rcu_batches = batches + singles;
}
EXPORT_SYMBOL_GPL(gomem_read_memstats);

/* One counter of struct gomem_memstats per kind of enum gomem_error. */
static_assert(GOMEM_NR_ERRORS == 7);

#define FIELD(name)	{ #name, offsetof(struct gomem_memstats, name) }

/* The summary lines of /proc/gomem, in order; named as the struct's fields. */
static const struct {
	const char *name;
	size_t offset;
} gomem_fields[] = {
	FIELD(alloc), FIELD(total_alloc), FIELD(sys), FIELD(mallocs), FIELD(frees),
	FIELD(heap_alloc), FIELD(heap_sys), FIELD(heap_idle), FIELD(heap_inuse),
	FIELD(heap_released), FIELD(heap_objects), FIELD(mspan_inuse), FIELD(mspan_sys),
	FIELD(mcache_inuse), FIELD(mcache_sys), FIELD(other_sys), FIELD(large_mallocs),
	FIELD(large_frees), FIELD(large_bytes), FIELD(tiny_allocs), FIELD(tiny_frees),
	FIELD(tiny_bytes), FIELD(cached_free_bytes), FIELD(central_free_bytes),
	FIELD(heap_free_bytes), FIELD(released_bytes), FIELD(arenas), FIELD(invalid_frees),
	FIELD(double_frees), FIELD(nmi_calls), FIELD(corruptions), FIELD(redzone_errors),
	FIELD(poison_errors), FIELD(scavenger_passes), FIELD(scavenger_cpu_drains),
	FIELD(scavenger_ns), FIELD(memory_limit), FIELD(limit_refusals),
	FIELD(limit_released_bytes), FIELD(frees_forwarded), FIELD(rcu_pending),
	FIELD(rcu_batches), FIELD(kernel_frees),
};

/*
 * The client section (version 2): a row per client module, loaded or
 * unloaded with objects still live, in the order of the client table.
 */
static void gomem_proc_clients(struct seq_file *m, struct gomem_client_stats *st)
{
	unsigned int i, n;

	gomem_clients_reap();
	n = gomem_clients_read(st, GOMEM_MAX_CLIENTS);
	seq_puts(m, "# client name state live_objects live_bytes mallocs frees total_alloc\n");
	for (i = 0; i < n; i++)
		seq_printf(m, "client %s %s %llu %llu %llu %llu %llu\n", st[i].name,
			   st[i].loaded ? "loaded" : "unloaded", st[i].live_objects,
			   st[i].live_bytes, st[i].mallocs, st[i].frees, st[i].total_alloc);
}

static int gomem_proc_show(struct seq_file *m, void *v)
{
	struct gomem_memstats *ms = kmalloc(sizeof(*ms), GFP_KERNEL);
	struct gomem_client_stats *st = kmalloc_array(GOMEM_MAX_CLIENTS, sizeof(*st), GFP_KERNEL);
	unsigned int i, sc;

	if (!ms || !st) {
		kfree(ms);
		kfree(st);
		return -ENOMEM;
	}
	gomem_read_memstats(ms);
	seq_puts(m, "gomem - version: 2\n");
	for (i = 0; i < ARRAY_SIZE(gomem_fields); i++)
		seq_printf(m, "%s: %llu\n", gomem_fields[i].name,
			   *(u64 *)((char *)ms + gomem_fields[i].offset));
	seq_puts(m, "# class size objs_per_span pages_per_span live_objects spans span_bytes live_bytes mallocs frees\n");
	for (sc = 1; sc < GOMEM_NUM_SIZE_CLASSES; sc++) {
		struct gomem_class_stats *cs = &ms->by_size[sc];
		/* A racy read: a figure for display, written under the mcentral lock. */
		unsigned long spans = data_race(gomem_central[sc].nspans);
		/* The same: a class's first spans are smaller than Go's (mcache.c). */
		unsigned long pages = data_race(gomem_central[sc].npages);
		u64 live = cs->mallocs - cs->frees;

		seq_printf(m, "%u %llu %u %u %llu %lu %lu %llu %llu %llu\n", sc, cs->size,
			   gomem_class_to_nelems[sc], gomem_class_to_npages[sc], live, spans,
			   pages * GOMEM_PAGE_SIZE, live * cs->size, cs->mallocs, cs->frees);
	}
	gomem_proc_clients(m, st);
	kfree(st);
	kfree(ms);
	return 0;
}

/**
 * gomem_proc_init() - create /proc/gomem (mode 0400, as /proc/slabinfo)
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int gomem_proc_init(void)
{
	return proc_create_single("gomem", 0400, NULL, gomem_proc_show) ? 0 : -ENOMEM;
}

/**
 * gomem_proc_exit() - remove /proc/gomem
 *
 * Context: process context, module exit.
 */
void gomem_proc_exit(void)
{
	remove_proc_entry("gomem", NULL);
}
