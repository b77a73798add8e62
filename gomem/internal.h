/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem internals: spans, the page map, mcentral, mheap and the per-CPU
 * mcache. The allocation and free walks are described at the top of malloc.c.
 *
 * Layers (bottom up). A file uses - calls, or reads the data of - only the
 * files of lower layers, never one above it or beside it; a lower layer that
 * must start work above it is handed a hook or a work item at load.
 * scripts/check-layers.py checks this from the built objects in make check.
 *
 *   1  internal.h, sizeclasses.h, gomem.h  types, invariants, inline helpers
 *   2  report.c    error counters, warn-once and rate limit, the capture for KUnit,
 *                  describing an object (owners: a hook debug.c registers)
 *   3  fixalloc.c  metadata pools; the boundary with the page allocator
 *                  (gomem_page_gfp(), gomem_may_alloc_pages())
 *   4  mheap.c     arenas, free runs, spans, the page map; releases idle
 *                  arenas; schedules the idle work handed to it
 *   5  mcentral.c  the spans of each class, the transfer caches
 *   6  debug.c     debug mode: slots, red zones, poison, owners, leaks
 *                  (below the caches: a fresh span is poisoned at refill)
 *   7  mcache.c    per-CPU caches: refill, flush, tiny blocks, the local and
 *                  all-CPU drains, CPU hotplug
 *   8  scavenge.c  the scavenger's work, retention, pressure, the shrinker
 *   9  client.c    the client modules' table: rows, their per-CPU figures
 *                  summed, modules unloading
 *   9  profile.c   the sampled heap profile: the draw, the stack and object
 *                  tables, /sys/kernel/debug/gomem (beside client.c)
 *  10  malloc.c    the entry points and their fast paths: small, tiny,
 *                  large, debug mode
 *  11  dropin.c    the kmalloc()-compatible entry points (gomem_kmalloc.h),
 *                  forwarding, RCU-deferred frees
 *  12  proc.c, check.c  observers: statistics and /proc/gomem, the
 *                  invariant walker
 *  13  main.c      module parameters, init and exit order, leaks at unload
 *
 * Lock order (outermost first); no path holds two mcentral locks at once, and
 * no path holds an mcentral lock and the mheap lock together:
 *
 *   mcentral.lock   raw, IRQ-safe. Guards one span class: its partial and full
 *                   lists, nspans, nfree, the transfer cache and, for every
 *                   span of the class, alloc_bits, freeindex,
 *                   alloc_count and list.
 *   mheap.lock      raw, IRQ-safe. Guards free runs, arenas, span states and
 *                   page-map writes, the heap byte counters and the idle work.
 *   fixalloc.lock   raw, IRQ-safe, a leaf. Guards one metadata pool.
 *   gomem_clients.lock  raw, IRQ-safe, a leaf (client.c). Guards the client
 *                   table's rows: their module, name and state.
 *   gomem_prof.lock raw, IRQ-safe, a leaf (profile.c). Guards the profile's
 *                   stack and sampled-object tables.
 *
 * The per-CPU caches take no lock: each context (task, softirq, hardirq) of
 * each CPU has its own mcache, used only with preemption disabled.
 * All locks are raw spinlocks so that PREEMPT_RT allows them under
 * preempt_disable(); no page is allocated or freed while one is held. On
 * PREEMPT_RT no page is allocated with preemption or interrupts disabled
 * either (gomem_may_alloc_pages() in fixalloc.c).
 */
#ifndef _GOMEM_INTERNAL_H
#define _GOMEM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/hardirq.h>
#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "gomem.h"
#include "sizeclasses.h"

#define GOMEM_TINY_SIZE		16
/* Span class of the 16-byte blocks the tiny allocator packs; after the size classes. */
#define GOMEM_TINY_SPANCLASS	GOMEM_NUM_SIZE_CLASSES
#define GOMEM_NUM_SPANCLASSES	(GOMEM_NUM_SIZE_CLASSES + 1)
/* Tiny block mask: bits 0-15 live object starts, bits 17-31 object ends. */
#define GOMEM_TINY_HELD		BIT(16)	/* the block is some mcache's current block */
#define GOMEM_TINY_LIVE_MASK	0xffffU
#define GOMEM_BITMAP_LONGS	BITS_TO_LONGS(GOMEM_MAX_OBJS_PER_SPAN)

/* Per-CPU cache contexts: an interrupt never uses the cache it interrupted. */
enum gomem_ctx { GOMEM_CTX_TASK, GOMEM_CTX_SOFTIRQ, GOMEM_CTX_HARDIRQ, GOMEM_NR_CTX };

enum mspan_state {
	MSPAN_DEAD,	/* struct unused (in a fixalloc pool) */
	MSPAN_FREE,	/* a free run of pages in the mheap */
	MSPAN_SMALL,	/* objects of one size class, owned by an mcentral */
	MSPAN_TINY,	/* 16-byte tiny blocks (GOMEM_TINY_SPANCLASS), owned by an mcentral */
	MSPAN_LARGE,	/* one large object */
	MSPAN_FREEING,	/* a large span claimed by gomem_free(), on its way to the mheap */
};

struct gomem_arena;

/*
 * struct mspan - a run of gomem pages.
 *
 * Laid out for the fast paths: the first cache line holds what a free reads
 * and nobody writes while the span is in use; the mcentral's allocation
 * state (written at refill and flush) has a line of its own; the live bytes
 * start on a line of their own, at a fixed offset (a free's store needs no
 * pointer). The structure is cache-line aligned: no two share a line.
 *
 * Invariants (checked by gomem_check_heap()):
 *   alloc_count == popcount(alloc_bits)
 *   live objects == the live bytes set, each of an object whose alloc bit
 *   is set (small spans)
 *   an object is in a per-CPU cache iff its alloc bit is set and its live byte clear
 *   for every page p of an in-use span, page_map[p] == span;
 *   for a free run, page_map[first] == page_map[last] == run, interior pages NULL.
 */
struct mspan {
	/* Constant while the span is in use; read without locks by gomem_free(). */
	unsigned long base;		/* address of the first byte */
	union {
		struct {
			/* enum mspan_state; mheap.lock, or cmpxchg from LARGE */
			u32 state;
			/* this use of the structure, set with the state (mheap.lock) */
			u32 gen;
		};
		u64 state_gen;		/* both, for a large free's cmpxchg64 */
	};
	unsigned int npages;		/* gomem pages */
	u8 spanclass;			/* size class, or GOMEM_TINY_SPANCLASS; 0 for large */
	u8 pool;			/* fixalloc pool this struct came from */
	u8 client;			/* large: the client that allocated it (its owner) */
	u16 nelems;			/* objects in the span */
	u32 elemsize;			/* object size */
	/*
	 * ceil(2^32 / elemsize), Go's divMagic: for an offset off inside the
	 * span, (off * divmagic) >> 32 == off / elemsize, and the low 32 bits
	 * of the product are below divmagic iff elemsize divides off.
	 */
	u32 divmagic;
	struct gomem_arena *arena;	/* arena holding the pages */
	/*
	 * Tiny spans: one mask per 16-byte block (atomics, no lock), set at
	 * carving and kept until the structure goes back to its pool after a
	 * grace period; and the free-run structure its pages become when
	 * freed (mheap.lock).
	 */
	atomic_t *tiny_masks;
	struct mspan *spare;

	/* Go's allocation state: mcentral.lock of spanclass. */
	union {
		/* mcentral list (its lock) or free list (mheap.lock) */
		struct list_head node ____cacheline_aligned_in_smp;
		/* off every list: back to the pool after a grace period (span_free()) */
		struct rcu_head rcu;
	};
	u8 list;			/* mcentral list it is on (mcentral.lock) */
	u16 freeindex;			/* a multiple of 64: the word a take starts at */
	u16 alloc_count;		/* objects handed out of the span */
	unsigned long *alloc_bits;	/* 1: handed out (to a caller or an mcache) */
	/* Free runs: on mheap.scav, oldest first, and since when (mheap.lock). */
	struct list_head lru;
	unsigned long idle_since;	/* jiffies */

	/*
	 * Nonzero: held by a caller, and the id of the client that allocated
	 * it (small spans; a byte per object, room for 64 * longs objects,
	 * followed by the alloc bits). Set by the allocation that hands the
	 * object out (a plain store: nobody else may touch an object in a
	 * cache); cleared by the free that claims it, with one xchg from any
	 * CPU, no lock, which also tells the free whose object it was. Tiny
	 * spans: the client of the block (written by the cache that takes it).
	 */
	u8 live[] ____cacheline_aligned_in_smp;
};

/*
 * struct gomem_arena - one chunk from alloc_pages, split into order-0 pages
 * (split_page()) and carved into spans; free runs inside it go back to the
 * page allocator page by page (released), the rest of it staying.
 * Invariants: inuse_pages == the pages of its in-use spans; released_pages
 * == the bits set in released[]; every gomem page is in exactly one span,
 * one free run or released; an arena with every page released is no
 * longer held (its record is gone).
 */
struct gomem_arena {
	struct list_head node;		/* on mheap.arenas (mheap.lock) */
	unsigned long base;		/* page_address() of the chunk; set before listed */
	unsigned int npages;		/* gomem pages; set before listed */
	unsigned int order;		/* kernel page order; set before listed */
	unsigned int inuse_pages;	/* gomem pages in in-use spans (mheap.lock) */
	unsigned int released_pages;	/* gomem pages given back (mheap.lock) */
	/*
	 * A bit per gomem page given back (mheap.lock). Such an address range
	 * is the page allocator's again - another arena may even hold it - so
	 * nothing of this arena is ever placed there again, and its page-map
	 * entries are not this arena's to write.
	 */
	unsigned long released[];
};

/*
 * Client modules (client.c): a row each, id 1 to GOMEM_MAX_CLIENTS - 1;
 * id 0 is "not registered yet" (a live byte of 0 is a free object), and
 * the last id takes every client past the table's room.
 */
#define GOMEM_MAX_CLIENTS	64
#define GOMEM_CLIENT_OTHER	(GOMEM_MAX_CLIENTS - 1)
/*
 * With a client id in a live byte (or a large span's client byte): the
 * object is in the heap profile (profile.c); its free tells the profile.
 * For a tiny block: some object of the block may be.
 */
#define GOMEM_LIVE_SAMPLED	0x80

/*
 * struct gomem_client_count - one client's counters in one cache context,
 * gomem's only allocation and free counters: the objects that context
 * allocated for the client and the frees it made of the client's objects
 * (whoever allocated them), per span class, so that a class's bytes are
 * its count times its size; tiny and large objects, whose sizes vary, also
 * count their bytes. The global figures are their sums over clients and
 * caches (proc.c), a client's its own (client.c). Made for every cache
 * when the client registers (client.c: the three contexts of a CPU share a
 * page of that CPU's node) and never zeroed: a row given back keeps its
 * counts for the sums, and the id's next client counts from there. Written
 * by its cache's context only, read racily.
 */
struct gomem_client_count {
	u64 mallocs[GOMEM_NUM_SPANCLASSES];	/* [0]: large objects; [TINY]: tiny ones */
	u64 frees[GOMEM_NUM_SPANCLASSES];
	u64 tiny_alloc_bytes;
	u64 tiny_free_bytes;
	u64 large_alloc_bytes;
	u64 large_free_bytes;
};

/* struct gomem_cobj - an object held by a per-CPU cache, with its span. */
struct gomem_cobj {
	void *obj;
	struct mspan *span;
};

/*
 * struct mcache_class - one span class's objects in an mcache (a stack).
 * Owned as its mcache is; statistics read count racily.
 */
struct mcache_class {
	u16 count;			/* objects held */
	u16 cap;			/* room in objs[]; set at load */
	u16 batch;			/* objects moved per refill or flush; set at load */
	struct gomem_cobj *objs;	/* points into mcache.pool; set at load */
};

/*
 * struct mcache - a per-CPU, per-context cache: Go's mcache, holding objects
 * rather than spans (see malloc.c). Touched only by its CPU in its context
 * with preemption disabled, or by the CPU-hotplug "dead" callback and module
 * exit when nobody else can. Invariant per class: 0 <= count <= cap.
 */
struct mcache {
	struct mcache_class cls[GOMEM_NUM_SPANCLASSES];
	/* Tiny allocator: the current 16-byte block. */
	unsigned long tiny;		/* block address, 0 if none */
	atomic_t *tiny_mask;		/* its mask */
	struct mspan *tiny_span;	/* its span */
	unsigned int tiny_offset;	/* next free byte in the block */
	u8 tiny_client;			/* the client of the current tiny block, 0 if none */
	s64 next_sample;		/* bytes to the next profile sample (profile.c) */
	/* Each client's counters in this context, NULL until it registers (client.c). */
	struct gomem_client_count *client[GOMEM_MAX_CLIENTS];
	struct gomem_cobj pool[];
};

/* struct gomem_pcpu - the per-CPU pointers to a CPU's caches. */
struct gomem_pcpu {
	struct mcache *ctx[GOMEM_NR_CTX];	/* set at load, cleared at exit */
};

/*
 * struct mcentral - the spans of one span class.
 * Invariants: nspans == |partial| + |full|; npages == the sum of their
 * npages; nfree == the sum over partial spans of (nelems - alloc_count);
 * every span on full has alloc_count == nelems.
 */
struct mcentral {
	raw_spinlock_t lock;		/* see the lock order above */
	struct list_head partial;	/* spans with free objects (lock) */
	struct list_head full;		/* spans with none (lock) */
	unsigned long nspans;		/* spans of this class (lock; statistics read racily) */
	unsigned long npages;		/* gomem pages of those spans (lock; ditto) */
	unsigned long nfree;		/* objects not handed out, in those spans (lock; ditto) */
	/*
	 * The transfer cache (tcmalloc's): free objects flushed by one CPU's
	 * cache wait here, their alloc bits still set, for another CPU's
	 * refill; a remote free then costs two copies, not two bitmap walks.
	 * Invariant: 0 <= nxfer <= xfer_cap.
	 */
	struct gomem_cobj *xfer;	/* written once at init; entries under lock */
	unsigned int nxfer;		/* objects in xfer[] (lock; statistics read racily) */
	unsigned int xfer_cap;		/* room in xfer[], written once at init */
} ____cacheline_aligned_in_smp;

/*
 * A pool of fixed-size metadata objects, carved from whole kernel pages.
 * Invariant: sys / PAGE_SIZE * (PAGE_SIZE / size) == inuse + |free|.
 */
struct gomem_fixalloc {
	raw_spinlock_t lock;		/* a leaf lock */
	const char *name;		/* set at load */
	unsigned int size;		/* chunk bytes; set at load */
	void *free;			/* free chunks, linked through their first word (lock) */
	struct list_head pages;		/* all pages, for module exit (lock) */
	/* Written under lock with WRITE_ONCE(); statistics READ_ONCE() them without. */
	unsigned long inuse;		/* chunks in use */
	unsigned long sys;		/* bytes of pages held */
};

enum gomem_pool {
	GOMEM_POOL_SPAN0,		/* spans without bitmaps: free runs, large */
	GOMEM_POOL_SPAN1,		/* bitmaps of 1, 2, 4, 8, 16 longs */
	GOMEM_POOL_SPAN2,
	GOMEM_POOL_SPAN4,
	GOMEM_POOL_SPAN8,
	GOMEM_POOL_SPAN16,
	GOMEM_POOL_ARENA,
	GOMEM_POOL_TINYMASK,
	GOMEM_NR_POOLS,
};

/* Free runs of n pages are on free[n - 1], larger ones on the last list. */
#define GOMEM_FREE_LISTS	128

/*
 * struct mheap - the arenas and their free runs.
 * Invariants: heap_sys == the sum of the arenas' bytes; heap_inuse == the
 * sum of their inuse_pages in bytes; heap_released == the sum of their
 * released_pages in bytes; so heap_sys == heap_inuse + heap_released + the
 * bytes of the free runs, and the pages held are heap_sys - heap_released;
 * narenas == |arenas|; scav holds every free run, by idle_since, oldest first;
 * bit i of free_nonempty is set iff free[i] is not empty.
 */
struct mheap {
	raw_spinlock_t lock;		/* see the lock order above */
	struct list_head free[GOMEM_FREE_LISTS];	/* free runs by npages (lock) */
	/* Bit i: free[i] is not empty, for a first fit in a few words (lock). */
	DECLARE_BITMAP(free_nonempty, GOMEM_FREE_LISTS);
	struct list_head arenas;	/* every arena held (lock) */
	struct list_head scav;		/* every free run, oldest first (lock) */
	/* Byte counters (lock; read racily by statistics and the shrinker). */
	unsigned long heap_sys;		/* bytes of the arenas held */
	unsigned long heap_inuse;	/* bytes in in-use spans */
	unsigned long heap_released;	/* bytes of the arenas given back */
	unsigned long released;		/* bytes given back since load */
	unsigned long narenas;		/* arenas held */
	u32 span_gen;			/* the last mspan.gen handed out */
	/* The memory limit: bytes held, 0 for none (WRITE_ONCE(), gomem_heap_set_limit()). */
	unsigned long limit;
	unsigned long limit_refusals;	/* growths refused at the limit */
	unsigned long limit_released;	/* bytes released to stay under it */
	/* The idle work (gomem_heap_set_idle_work(); lock). */
	struct delayed_work *idle_work;	/* scheduled when free runs exceed the threshold */
	unsigned long idle_delay;	/* jiffies */
	unsigned long idle_threshold;	/* free-run bytes */
};

/* Bytes of the free runs: free pages held (mheap.lock, or a racy read). */
static inline unsigned long gomem_heap_free_bytes(const struct mheap *h)
{
	return h->heap_sys - h->heap_inuse - h->heap_released;
}

/*
 * struct gomem_scavenge_req - what gomem_heap_scavenge() is to give back.
 * Free runs go oldest first: while the free bytes exceed @goal, whatever
 * their age; below it, those idle for @min_age or longer; never below
 * @floor, and no more than @max_bytes in one call.
 */
struct gomem_scavenge_req {
	unsigned long floor;		/* free bytes always kept */
	unsigned long goal;		/* free bytes kept of runs younger than min_age */
	unsigned long min_age;		/* jiffies; ULONG_MAX: age alone releases nothing */
	unsigned long max_bytes;	/* at most this much in one call */
	bool may_sleep;			/* free the pages here, after a grace period */
	/* Set by the call: */
	bool more;			/* stopped at max_bytes with more to give */
	unsigned long next_due;		/* when the oldest run kept comes of age (if any) */
	bool any_left;			/* free runs remain above the floor */
	u64 wait_ns;			/* of it, waiting for the grace period */
};

/* Error kinds reported by gomem_report(). */
enum gomem_error {
	GOMEM_ERR_INVALID_FREE,		/* not a gomem object, or an interior pointer */
	GOMEM_ERR_DOUBLE_FREE,		/* an object that is not live */
	GOMEM_ERR_NMI,			/* called from NMI context */
	GOMEM_ERR_CORRUPT,		/* internal inconsistency */
	GOMEM_ERR_REDZONE,		/* debug mode: a red zone or trailer overwritten */
	GOMEM_ERR_POISON,		/* debug mode: a free object written to */
	GOMEM_ERR_KERNEL_FREE,		/* debug mode: gomem memory freed by the kernel */
	GOMEM_NR_ERRORS,
};

/* The first reports a KUnit case claims, as recorded by report.c. */
#define GOMEM_REPORT_RECORDS	16

/* struct gomem_report_record - one report, as gomem_report() was called. */
struct gomem_report_record {
	enum gomem_error err;
	const void *ptr;		/* the pointer reported */
	unsigned long caller;		/* the gomem call's call site, 0 if none */
	long offset;			/* red zone and poison: first bad byte */
};

/*
 * struct gomem_report_capture - reports of a KUnit case's task, counted and
 * recorded here instead of printed (gomem_report_capture_start()). Written
 * only by that task.
 */
struct gomem_report_capture {
	atomic_long_t count;		/* reports claimed */
	struct gomem_report_record rec[GOMEM_REPORT_RECORDS];	/* the first ones */
};

/* Prints what a higher layer knows of a reported object (debug.c's owners). */
typedef void (*gomem_owner_hook_t)(const void *p, struct mspan *s);

extern struct mheap gomem_heap;				/* mheap.c */
extern struct mcentral gomem_central[GOMEM_NUM_SPANCLASSES];	/* mcentral.c */
extern struct gomem_fixalloc gomem_pools[GOMEM_NR_POOLS];	/* fixalloc.c */
DECLARE_PER_CPU(struct gomem_pcpu, gomem_pcpu);		/* mcache.c */
extern atomic_long_t gomem_errors[GOMEM_NR_ERRORS];	/* report.c */
extern bool gomem_tiny_enabled;				/* malloc.c */

/* Where for_each_mcache() is: a possible CPU and a context of it. */
struct gomem_mcache_iter {
	unsigned int cpu;
	unsigned int ctx;
};

/* The cache at @it or the first after it that exists (@it moved to it); NULL past the last. */
static inline struct mcache *gomem_mcache_next(struct gomem_mcache_iter *it)
{
	struct mcache *c;

	for (; it->cpu < nr_cpu_ids;
	     it->cpu = cpumask_next(it->cpu, cpu_possible_mask), it->ctx = 0)
		for (; it->ctx < GOMEM_NR_CTX; it->ctx++) {
			c = per_cpu_ptr(&gomem_pcpu, it->cpu)->ctx[it->ctx];
			if (c)
				return c;
		}
	return NULL;
}

/*
 * for_each_mcache() - @c set to each cache of each possible CPU in turn; a
 * cache not made (a failed load) is skipped. The caller knows what it may
 * touch of another CPU's cache.
 */
#define for_each_mcache(c)							\
	for (struct gomem_mcache_iter __gomem_it = { cpumask_first(cpu_possible_mask) };	\
	     ((c) = gomem_mcache_next(&__gomem_it)); __gomem_it.ctx++)

/* A counter of another CPU's cache, read while that CPU may update it. */
static inline u64 gomem_racy_read(const u64 *counter)
{
	/* An aligned u64 written whole by its one writer: old or new, never torn. */
	return data_race(*counter);
}

/* report.c (layer 2) */
void gomem_report(enum gomem_error err, const void *p, struct mspan *s, unsigned long caller,
		  long offset);
void gomem_report_set_owner_hook(gomem_owner_hook_t hook);
int gomem_report_capture_start(struct gomem_report_capture *cap);
void gomem_report_capture_stop(struct gomem_report_capture *cap);

/* fixalloc.c (layer 3) */
bool gomem_may_alloc_pages(void);
gfp_t gomem_page_gfp(gfp_t gfp);
void gomem_fixalloc_init(struct gomem_fixalloc *f, const char *name, unsigned int size);
void *gomem_fixalloc_alloc(struct gomem_fixalloc *f, gfp_t gfp);
void gomem_fixalloc_free(struct gomem_fixalloc *f, void *p);
void gomem_fixalloc_destroy(struct gomem_fixalloc *f);

/* mheap.c (layer 4) */
int gomem_heap_init(unsigned long initial_bytes);
void gomem_heap_exit(void);
struct mspan *gomem_heap_alloc(unsigned int npages, unsigned int spanclass, gfp_t gfp);
void gomem_heap_free(struct mspan *s);
unsigned long gomem_heap_scavenge(struct gomem_scavenge_req *req);
void gomem_heap_set_idle_work(struct delayed_work *work, unsigned long delay,
			      unsigned long threshold);
void gomem_heap_set_limit(unsigned long bytes);
void gomem_heap_set_page_guard(bool on);
unsigned long gomem_max_large_pages(void);
unsigned long gomem_heap_map_bytes(void);

/* mcentral.c (layer 5) */
int gomem_central_init(void);
void gomem_central_exit(void);
void gomem_central_drain(void);
unsigned long gomem_central_bytes(void);
unsigned int gomem_central_fill(unsigned int sc, struct mcache_class *cc, unsigned int n);
unsigned int gomem_central_add_span(unsigned int sc, struct mspan *s, struct mcache_class *cc,
				    unsigned int n);
void gomem_central_return(unsigned int sc, struct gomem_cobj *objs, unsigned int n);

/* mcache.c (layer 7; debug.c, layer 6, is declared below) */
int gomem_mcache_init(void);
void gomem_mcache_exit(void);
struct mcache *gomem_refill(unsigned int sc, gfp_t gfp);
void gomem_mcache_flush(struct mcache *c, unsigned int sc, unsigned int n);
void gomem_mcache_drain(struct mcache *c);
void gomem_mcache_drain_cpu(unsigned int cpu);
void gomem_tiny_release(struct mcache *c, struct mspan *s, unsigned long block);
void gomem_tiny_retire(struct mcache *c);
unsigned long gomem_mcache_bytes(void);
void gomem_drain_local(void);
void gomem_drain_all(void);
unsigned int gomem_drain_cpus(bool housekeeping, bool idle_only, unsigned int *busy);

/* scavenge.c (layer 8) */
int gomem_scavenger_init(unsigned long retain_bytes, unsigned int permille);
void gomem_scavenger_exit(void);
void gomem_scavenger_counts(unsigned long *passes, unsigned long *drains, u64 *ns);
unsigned long gomem_shrinker_count(void);
unsigned long gomem_shrinker_scan(unsigned long nr_to_scan);

/* client.c (layer 9) */
int gomem_clients_init(void);
void gomem_clients_exit(void);
unsigned int gomem_client_register(struct gomem_client *cl, gfp_t gfp);
unsigned long gomem_clients_bytes(void);
void gomem_clients_reap(void);
typedef void (*gomem_flush_hook_t)(void);
void gomem_clients_set_flush_hook(gomem_flush_hook_t hook);
void gomem_client_gone(struct module *mod);
unsigned int gomem_clients_read(struct gomem_client_stats *st, unsigned int max);

/* The client id of @cl's module, 0 until registered (gomem_client_register()). */
static __always_inline unsigned long gomem_client_id(const struct gomem_client *cl)
{
	return READ_ONCE(cl->id);
}

/*
 * Count an object of span class @sc allocated for client @id in cache @c
 * (registered: its counters exist). Preemption disabled.
 */
static __always_inline void gomem_client_alloc(struct mcache *c, unsigned long id,
					       unsigned int sc)
{
	c->client[id]->mallocs[sc]++;
}

/* Count a free of an object of span class @sc of client @id's in cache @c. Ditto. */
static __always_inline void gomem_client_free(struct mcache *c, unsigned long id, unsigned int sc)
{
	c->client[id]->frees[sc]++;
}

/* The same for a tiny object of @bytes. */
static __always_inline void gomem_client_tiny_alloc(struct mcache *c, unsigned long id, u64 bytes)
{
	struct gomem_client_count *k = c->client[id];

	k->mallocs[GOMEM_TINY_SPANCLASS]++;
	k->tiny_alloc_bytes += bytes;
}

static __always_inline void gomem_client_tiny_free(struct mcache *c, unsigned long id, u64 bytes)
{
	struct gomem_client_count *k = c->client[id];

	k->frees[GOMEM_TINY_SPANCLASS]++;
	k->tiny_free_bytes += bytes;
}

/* The same for a large object of @bytes. */
static __always_inline void gomem_client_large_alloc(struct mcache *c, unsigned long id, u64 bytes)
{
	struct gomem_client_count *k = c->client[id];

	k->mallocs[0]++;
	k->large_alloc_bytes += bytes;
}

static __always_inline void gomem_client_large_free(struct mcache *c, unsigned long id, u64 bytes)
{
	struct gomem_client_count *k = c->client[id];

	k->frees[0]++;
	k->large_free_bytes += bytes;
}

/* Cache @c's counters of client *@id, or the next made (*@id moved to it); NULL past the last. */
static inline struct gomem_client_count *gomem_client_count_next(struct mcache *c,
								 unsigned int *id)
{
	struct gomem_client_count *k;

	for (; *id < GOMEM_MAX_CLIENTS; (*id)++) {
		k = READ_ONCE(c->client[*id]);
		if (k)
			return k;
	}
	return NULL;
}

/*
 * for_each_client_count() - @k set to each client's counters in cache @c
 * (those made); read them with gomem_racy_read().
 */
#define for_each_client_count(c, k)						\
	for (unsigned int __gomem_id = 1; ((k) = gomem_client_count_next(c, &__gomem_id)); \
	     __gomem_id++)

/* profile.c (layer 9) */
#define GOMEM_PROFILE_DEPTH	24		/* frames kept of a sampled call stack */
#define GOMEM_PROFILE_STACKS	4096		/* records (stack and size) the profile holds */
#define GOMEM_PROFILE_OBJECTS	16384		/* sampled objects live at once */
#define GOMEM_PROFILE_MAX_RATE	BIT(30)		/* the largest sampling rate, bytes */

/* struct gomem_profile_rec - one stack of the profile, as gomem_profile_read() copies it. */
#define GOMEM_PROFILE_FRAME_TEXT	96	/* bytes of a frame as text */

struct gomem_profile_rec {
	u64 alloc_objs;
	u64 alloc_bytes;
	u64 inuse_objs;
	u64 inuse_bytes;
	/* its frames as text (a module gone), GOMEM_PROFILE_FRAME_TEXT bytes each; or NULL */
	const char *text;
	unsigned int nr;
	unsigned long frames[GOMEM_PROFILE_DEPTH];
};

DECLARE_STATIC_KEY_FALSE(gomem_profile_key);	/* on while the rate is not 0 */
int gomem_profile_init(unsigned long rate);
void gomem_profile_exit(void);
int gomem_profile_set_rate(unsigned long rate);
unsigned long gomem_profile_rate(void);
s64 gomem_profile_draw(unsigned long rate);
bool gomem_profile_record(const void *obj, u64 bytes);
void gomem_profile_free(const void *obj);
unsigned int gomem_profile_read(struct gomem_profile_rec *recs, unsigned int max,
				unsigned long *dropped);
void gomem_profile_module_gone(struct module *mod);

/* malloc.c (layer 10), for dropin.c and main.c */
void gomem_malloc_init(void);
void gomem_malloc_exit(void);
extern atomic_long_t gomem_frees_forwarded;
void gomem_kfree_caller(const void *ptr, unsigned long caller);
bool gomem_is_zerobase(const void *p);
void *gomem_object_start(const void *p);
size_t gomem_usable_size_at(const void *ptr, unsigned long caller);

/* dropin.c (layer 11) */
void gomem_dropin_init(void);
void gomem_dropin_exit(void);
void gomem_rcu_counts(unsigned long *pending, unsigned long *batches, unsigned long *singles);

/* proc.c, check.c (layer 12) */
int gomem_check_heap(void);
int gomem_proc_init(void);
void gomem_proc_exit(void);

/*
 * Exported for gomem's own KUnit suites only (namespace GOMEM_INTERNAL),
 * besides gomem_drain_local(), gomem_drain_all() and gomem_check_heap().
 */
long gomem_error_count(enum gomem_error err);			/* report.c */
void gomem_pool_counts(unsigned int pool, unsigned long *inuse,
		       unsigned long *free);			/* fixalloc.c */
long gomem_nopage_count(void);					/* fixalloc.c */
unsigned long gomem_heap_held_bytes(void);			/* mheap.c */
void gomem_scavenge(void);					/* scavenge.c */
unsigned long gomem_scavenger_set_floor(unsigned long bytes);	/* scavenge.c */
/* and gomem_heap_set_limit(), gomem_scavenger_counts(), gomem_shrinker_count/scan() */

/*
 * The race window (malloc.c): in a gomem built with -DGOMEM_RACE_WINDOW, the
 * torture module can delay a free between its checks and its claim; in every
 * other build it is nothing.
 */
#ifdef GOMEM_RACE_WINDOW
void gomem_race_window(const void *p);
void gomem_set_race_hook(void (*hook)(const void *p));
#else
static __always_inline void gomem_race_window(const void *p)
{
}
#endif

/* === Debug mode (debug.c, layer 6): red zones, poisoning, owner tracking === */

#define GOMEM_DEBUG_REDZONE	BIT(0)	/* Z: a red zone after every object */
#define GOMEM_DEBUG_POISON	BIT(1)	/* P: free objects poisoned, checked on reuse */
#define GOMEM_DEBUG_USER	BIT(2)	/* U: alloc and free owner of every object */

#define GOMEM_REDZONE_MIN	8	/* smallest red zone, bytes */
#define GOMEM_REDZONE_BYTE	0xbb	/* red zone fill */
#define GOMEM_POISON_BYTE	0x6b	/* free object fill */

/* struct gomem_track - who allocated or freed an object, and when. */
struct gomem_track {
	unsigned long addr;		/* caller's return address, 0 if none */
	unsigned long when;		/* jiffies */
	u32 cpu;
	u32 pid;
};

enum gomem_track_kind { GOMEM_TRACK_ALLOC, GOMEM_TRACK_FREE, GOMEM_NR_TRACKS };

/*
 * struct gomem_trailer - the last bytes of a debug-mode object's slot.
 * A slot is [object: size bytes][red zone: >= GOMEM_REDZONE_MIN with Z]
 * [trailer]; invariant: check == size ^ GOMEM_TRAILER_MAGIC.
 */
struct gomem_trailer {
	u32 size;			/* bytes requested */
	u32 check;			/* size ^ GOMEM_TRAILER_MAGIC */
	struct gomem_track track[];	/* GOMEM_NR_TRACKS of them with U */
};

#define GOMEM_TRAILER_MAGIC	0x60e3de6bU

DECLARE_STATIC_KEY_FALSE(gomem_debug_key);
extern unsigned int gomem_debug_flags;	/* GOMEM_DEBUG_*, set at load */

int gomem_debug_init(const char *opts);
size_t gomem_debug_slot_size(size_t size);
void gomem_debug_enter(void);
void gomem_debug_exit(void);
void gomem_debug_new_span(struct mspan *s);
void gomem_debug_prepare(void *obj, struct mspan *s, size_t size, size_t slot, gfp_t gfp,
			 unsigned long caller);
void gomem_debug_check_live(void *obj, struct mspan *s, size_t slot, unsigned long caller);
void gomem_debug_check_large(void *obj, struct mspan *s, size_t slot, unsigned long caller);
void gomem_debug_release(void *obj, size_t slot, unsigned long caller);
size_t gomem_debug_size(const void *obj, size_t slot);
int gomem_debug_check_slot(const void *obj, struct mspan *s, size_t slot, bool live);
void gomem_debug_report_leaks(void);
void gomem_debug_set_flush_hook(void (*hook)(void));
void gomem_debug_start(void);
void gomem_debug_exit_module(void);
bool gomem_debug_quiet_begin(unsigned long *seq);
bool gomem_debug_quiet_end(unsigned long seq);

/* Exported for gomem's own KUnit suites only (namespace GOMEM_INTERNAL). */
unsigned int gomem_debug_mode(void);
size_t gomem_debug_overhead(void);
int gomem_debug_owner(const void *ptr, enum gomem_track_kind kind, struct gomem_track *t);

/* === The page map (mheap.c, layer 4): gomem page -> span, two levels === */

#define MAP_LEAF_BITS		9
#define MAP_LEAF_LEN		BIT(MAP_LEAF_BITS)
/* Bytes of direct map one leaf covers: 4 MiB. */
#define MAP_LEAF_SHIFT		(GOMEM_PAGE_SHIFT + MAP_LEAF_BITS)

struct map_leaf {
	struct mspan *span[MAP_LEAF_LEN];	/* mheap.lock to write; read lock-free */
};

/*
 * struct map_top - the page map's first level: a leaf per 4 MiB of the
 * direct map, up to the end of memory. Replaced by a larger copy when memory
 * is hot-added beyond it; the tables replaced stay until exit (mheap.c).
 */
struct map_top {
	/* Direct-map offsets below are covered, a leaf each 4 MiB; constant. */
	unsigned long limit;
	struct map_leaf *leaf[];	/* set once, under mheap.lock; read lock-free */
};

extern struct map_top *gomem_map;	/* replaced under mheap.lock, read with READ_ONCE() */
/*
 * What the map holds where there is nothing (mheap.c): a first-level entry
 * with no leaf points to the empty leaf, a page of no span to the no-span
 * structure (state MSPAN_DEAD, never written), so that a lookup tests for
 * nothing but the direct map's end.
 */
extern struct mspan gomem_no_span;
extern struct map_leaf gomem_map_empty_leaf;

/*
 * The map's entry for @p: a span, or &gomem_no_span for an address in no
 * span or outside the direct map. For the fast paths, which test the state
 * anyway; everyone else calls gomem_span_of().
 */
static __always_inline struct mspan *gomem_map_lookup(const void *p)
{
	unsigned long off = (unsigned long)p - PAGE_OFFSET;
	struct map_top *top = READ_ONCE(gomem_map);
	struct map_leaf *leaf;

	if (unlikely(off >= top->limit))
		return &gomem_no_span;
	leaf = READ_ONCE(top->leaf[off >> MAP_LEAF_SHIFT]);
	return READ_ONCE(leaf->span[(off >> GOMEM_PAGE_SHIFT) & (MAP_LEAF_LEN - 1)]);
}

/**
 * gomem_span_of() - find the span holding an address
 * @p: any address
 *
 * Lock-free: the tables it walks are freed only at module exit, and span
 * structures live in pools until then, so it can only ever see NULL or a
 * span structure. An address outside the direct map, or in a page of no
 * gomem span, finds NULL.
 *
 * Context: any context.
 * Return: the span whose page holds @p, or NULL. The caller checks the
 * span's state.
 */
static __always_inline struct mspan *gomem_span_of(const void *p)
{
	struct mspan *s = gomem_map_lookup(p);

	return s == &gomem_no_span ? NULL : s;
}

/* A span's state word (mspan.state_gen): its state and generation. */
union gomem_state_word {
	struct {
		u32 state;
		u32 gen;
	};
	u64 word;
};

/* The state word @word with its state replaced by @state. */
static __always_inline u64 gomem_state_word(u64 word, u32 state)
{
	union gomem_state_word w = { .word = word };

	w.state = state;
	return w.word;
}

/*
 * The size class whose spans a span class uses: tiny blocks are objects of
 * the 16-byte class (class 2, checked at load).
 */
#define GOMEM_TINY_SIZECLASS	2

static inline unsigned int gomem_spanclass_sizeclass(unsigned int sc)
{
	return sc == GOMEM_TINY_SPANCLASS ? GOMEM_TINY_SIZECLASS : sc;
}

/* The object size of a span class. */
static inline unsigned int gomem_spanclass_size(unsigned int sc)
{
	return gomem_class_to_size[gomem_spanclass_sizeclass(sc)];
}

/* The object index of p in s; exact for offsets inside the span. */
static __always_inline unsigned int gomem_obj_index(const struct mspan *s, unsigned long p)
{
	return (unsigned int)(((u64)(p - s->base) * s->divmagic) >> 32);
}

/*
 * Whether @p, an address in small span @s's pages, starts one of its
 * objects; its index in *@idx. One multiply: the product's high half is the
 * index and its low half is below divmagic iff the offset is a multiple of
 * the object size (exact for every offset of every class's span, which
 * scripts/mksizeclasses.py checks).
 */
static __always_inline bool gomem_obj_start(const struct mspan *s, unsigned long p,
					    unsigned int *idx)
{
	u64 prod = (u64)(p - s->base) * s->divmagic;

	*idx = prod >> 32;
	return (u32)prod < s->divmagic && *idx < s->nelems;
}

/*
 * The same without the test against nelems, for the free fast paths (from
 * the offset @off in the span and its divmagic, for the bulk free): the
 * only index past the objects a start in a span's tail can give, nelems,
 * has a live byte too (span_alloc() makes room), never set, so the claim
 * fails there and the free's slow path tells the tail from a double free.
 */
static __always_inline bool gomem_obj_start_off(unsigned long off, u32 divmagic,
						unsigned int *idx)
{
	u64 prod = (u64)off * divmagic;

	*idx = prod >> 32;
	return (u32)prod < divmagic;
}

static __always_inline bool gomem_obj_start_fast(const struct mspan *s, unsigned long p,
						 unsigned int *idx)
{
	return gomem_obj_start_off(p - s->base, s->divmagic, idx);
}

/* Mark object @idx of @s held by client @id's caller: the allocation's plain store. */
static __always_inline void gomem_live_set(struct mspan *s, unsigned int idx, unsigned long id)
{
	WRITE_ONCE(s->live[idx], id);
}

/*
 * Claim object @idx of @s for a free: its client's id for the one free that
 * found it live, 0 for every other.
 */
static __always_inline unsigned long gomem_live_claim(struct mspan *s, unsigned int idx)
{
	return xchg(&s->live[idx], 0);
}

/* Whether object @idx of @s is held by a caller (a racy read outside the claim). */
static __always_inline bool gomem_live_test(const struct mspan *s, unsigned int idx)
{
	return READ_ONCE(s->live[idx]);
}

/* === Per-CPU cache access (mcache.c's caches; malloc.c's fast paths) === */

/*
 * The preempt-count bits that select a cache other than the task one, with
 * NMI's: the fast paths test them all at once, in the count read once. On
 * PREEMPT_RT a softirq runs in a task and its serving bit is the task's.
 */
#ifdef CONFIG_PREEMPT_RT
#define GOMEM_CTX_BITS		(NMI_MASK | HARDIRQ_MASK)
#else
#define GOMEM_CTX_BITS		(NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)
#endif

/* The context of preempt count @pc, outside NMI. */
static __always_inline unsigned int gomem_ctx_of(unsigned int pc)
{
	unsigned int ctx = GOMEM_CTX_TASK;

	if (unlikely(pc & GOMEM_CTX_BITS)) {
		if (pc & HARDIRQ_MASK)
			ctx = GOMEM_CTX_HARDIRQ;
		else if (pc & SOFTIRQ_OFFSET)
			ctx = GOMEM_CTX_SOFTIRQ;
	}
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && ctx == GOMEM_CTX_TASK && in_serving_softirq())
		ctx = GOMEM_CTX_SOFTIRQ;
	return ctx;
}

/* The cache of this CPU for preempt count @pc, read before preemption went off. */
static __always_inline struct mcache *gomem_mcache_of(unsigned int pc)
{
	return this_cpu_read(gomem_pcpu.ctx[gomem_ctx_of(pc)]);
}

/* The cache of this CPU for the current context. Preemption must be off. */
static __always_inline struct mcache *gomem_mcache_current(void)
{
	return gomem_mcache_of(preempt_count());
}

/* Disable preemption and return the current cache; undo with preempt_enable(). */
static __always_inline struct mcache *gomem_mcache_get(void)
{
	unsigned int pc = preempt_count();

	preempt_disable();
	return gomem_mcache_of(pc);
}

#endif /* _GOMEM_INTERNAL_H */
