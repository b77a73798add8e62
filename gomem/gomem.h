/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem - Go's runtime memory allocator as a kernel allocator for modules.
 *
 * The public interface. Link a client module against gomem's Module.symvers
 * (KBUILD_EXTRA_SYMBOLS) and include this header. See Documentation/gomem.rst.
 */
#ifndef _GOMEM_H
#define _GOMEM_H

#include <linux/types.h>
#include <linux/gfp.h>

/* Largest object size served from a size class; larger ones take whole pages. */
#define GOMEM_MAX_SMALL_OBJECT	32768

/* Number of size classes, class 0 (large objects) included. */
#define GOMEM_NUM_CLASSES	68

void *gomem_alloc(size_t size, gfp_t gfp) __malloc;
void *gomem_zalloc(size_t size, gfp_t gfp) __malloc;
void gomem_free(const void *ptr);
size_t gomem_usable_size(const void *ptr);
void *gomem_realloc(const void *ptr, size_t new_size, gfp_t gfp);
int gomem_alloc_bulk(size_t size, gfp_t gfp, size_t n, void **ptrs);
void gomem_free_bulk(size_t n, void **ptrs);

struct rcu_head;
void __gomem_free_rcu(const void *p, struct rcu_head *head);

/**
 * gomem_free_rcu() - free a gomem object after an RCU grace period, as kfree_rcu()
 * @ptr: the object (a pointer to a structure), or NULL
 * @rhf: the name of a struct rcu_head field of it
 *
 * Context: any context but NMI.
 */
#define gomem_free_rcu(ptr, rhf)	__gomem_rcu_head_call(__gomem_free_rcu, ptr, rhf)

/* @fn(@ptr, the address of its field @rhf), @ptr evaluated once. */
#define __gomem_rcu_head_call(fn, ptr, rhf)					\
	do {									\
		typeof(ptr) ___p = (ptr);					\
										\
		fn(___p, (void *)___p + offsetof(typeof(*___p), rhf));		\
	} while (0)

/**
 * gomem_free_rcu_mightsleep() - the same without an rcu_head: may sleep
 * @ptr: the object, or NULL
 *
 * Context: process context; may wait for a grace period.
 */
#define gomem_free_rcu_mightsleep(ptr)	__gomem_free_rcu(ptr, NULL)

/* The kmalloc()-compatible entry points (dropin.c); see gomem_kmalloc.h. */
void *gomem_kmalloc(size_t size, gfp_t gfp) __malloc;
void *gomem_kmalloc_node(size_t size, gfp_t gfp, int node) __malloc;
void *gomem_kmalloc_track(size_t size, gfp_t gfp, unsigned long caller) __malloc;
void gomem_kfree(const void *ptr);
bool gomem_owns(const void *p);
size_t gomem_ksize(const void *p);
size_t gomem_kmalloc_size_roundup(size_t size);
void *gomem_krealloc(const void *p, size_t new_size, gfp_t gfp);
void gomem_kfree_sensitive(const void *p);
void *gomem_kmemdup(const void *src, size_t len, gfp_t gfp) __malloc;
char *gomem_kmemdup_nul(const char *s, size_t len, gfp_t gfp) __malloc;
char *gomem_kstrdup(const char *s, gfp_t gfp) __malloc;
char *gomem_kstrndup(const char *s, size_t max, gfp_t gfp) __malloc;
void *gomem_kvmalloc_node(size_t size, gfp_t gfp, int node) __malloc;
void gomem_kvfree(const void *p);
void gomem_kvfree_sensitive(const void *p, size_t len);
void *gomem_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp);
void __gomem_kfree_rcu(const void *p, struct rcu_head *head);

/**
 * struct gomem_class_stats - counters of one size class
 * @size: object size of the class in bytes (0 for class 0, large objects)
 * @mallocs: objects of this class allocated since load
 * @frees: objects of this class freed since load
 */
struct gomem_class_stats {
	u64 size;
	u64 mallocs;
	u64 frees;
};

/**
 * struct gomem_memstats - allocator statistics, after Go's runtime.MemStats
 * @alloc: bytes of live objects, each counted at its usable size
 * @total_alloc: bytes allocated since load (same measure, never decreases)
 * @sys: bytes obtained from the page allocator and still held, metadata
 *	included (the heap's part is @heap_sys - @heap_released)
 * @mallocs: objects allocated since load (tiny objects included)
 * @frees: objects freed since load
 * @heap_alloc: same as @alloc
 * @heap_sys: bytes of the heap arenas' address ranges, released parts included
 *	(Go's meaning): @heap_inuse + @heap_free_bytes + @heap_released
 * @heap_idle: bytes of the arenas in no span: @heap_free_bytes + @heap_released
 * @heap_inuse: bytes of heap arenas in spans
 * @heap_released: bytes of @heap_idle whose pages went back to the page
 *	allocator while the rest of their arena stays; the heap holds
 *	@heap_sys - @heap_released bytes of pages
 * @heap_objects: live objects (@mallocs - @frees)
 * @mspan_inuse: bytes of span structures in use
 * @mspan_sys: bytes obtained for span structures
 * @mcache_inuse: bytes of per-CPU caches in use
 * @mcache_sys: bytes obtained for per-CPU caches
 * @other_sys: bytes of other metadata (page map, arena records, tiny masks,
 *	transfer caches)
 * @large_mallocs: large objects (> %GOMEM_MAX_SMALL_OBJECT) allocated
 * @large_frees: large objects freed
 * @large_bytes: bytes of live large objects
 * @tiny_allocs: tiny objects (under 16 bytes) allocated
 * @tiny_frees: tiny objects freed
 * @tiny_bytes: bytes of live tiny objects
 * @cached_free_bytes: bytes of free objects held by the per-CPU caches
 * @central_free_bytes: bytes of free objects in the mcentrals (spans and transfer caches)
 * @heap_free_bytes: bytes of free pages held in the mheap's arenas
 *	(@heap_idle - @heap_released): what the scavenger and the shrinker can give back
 * @released_bytes: bytes of pages returned to the page allocator since load
 * @arenas: arenas held
 * @invalid_frees: reports of a pointer that is no gomem object or not its start
 * @double_frees: reports of an object that is not live (double free, use after free)
 * @nmi_calls: calls refused in NMI context
 * @corruptions: internal inconsistencies found
 * @redzone_errors: debug mode: red zones (or trailers) found overwritten
 * @poison_errors: debug mode: free objects found written to
 * @scavenger_passes: scavenger runs since load (background and pressure; a
 *	paced pass runs once per chunk)
 * @scavenger_cpu_drains: per-CPU cache flushes those passes had CPUs do
 * @scavenger_ns: ns the background scavenger spent releasing pages (its lock
 *	sections and page frees, not the grace periods it waits for)
 * @memory_limit: the memory limit on the heap's pages in bytes, 0 for none
 *	(module parameter memory_limit_kb)
 * @limit_refusals: heap growths refused at the memory limit
 * @limit_released_bytes: bytes released at once to stay under the limit
 * @frees_forwarded: gomem_kfree() (the drop-in's kfree()) calls given to the
 *	kernel's kfree(): memory gomem did not allocate
 * @rcu_pending: objects queued by gomem_free_rcu() (the drop-in's
 *	kfree_rcu()) and not freed yet
 * @rcu_batches: batches of such objects handed to RCU since load, one RCU
 *	callback each (and objects handed alone, when no batch could be had)
 * @by_size: per-class counters; index 0 holds nothing (large objects are above)
 */
struct gomem_memstats {
	u64 alloc;
	u64 total_alloc;
	u64 sys;
	u64 mallocs;
	u64 frees;
	u64 heap_alloc;
	u64 heap_sys;
	u64 heap_idle;
	u64 heap_inuse;
	u64 heap_released;
	u64 heap_objects;
	u64 mspan_inuse;
	u64 mspan_sys;
	u64 mcache_inuse;
	u64 mcache_sys;
	u64 other_sys;
	u64 large_mallocs;
	u64 large_frees;
	u64 large_bytes;
	u64 tiny_allocs;
	u64 tiny_frees;
	u64 tiny_bytes;
	u64 cached_free_bytes;
	u64 central_free_bytes;
	u64 heap_free_bytes;
	u64 released_bytes;
	u64 arenas;
	u64 invalid_frees;
	u64 double_frees;
	u64 nmi_calls;
	u64 corruptions;
	u64 redzone_errors;
	u64 poison_errors;
	u64 scavenger_passes;
	u64 scavenger_cpu_drains;
	u64 scavenger_ns;
	u64 memory_limit;
	u64 limit_refusals;
	u64 limit_released_bytes;
	u64 frees_forwarded;
	u64 rcu_pending;
	u64 rcu_batches;
	struct gomem_class_stats by_size[GOMEM_NUM_CLASSES];
};

void gomem_read_memstats(struct gomem_memstats *ms);

#endif /* _GOMEM_H */
