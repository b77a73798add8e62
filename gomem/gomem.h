/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem - Go's runtime memory allocator as a kernel allocator for modules.
 *
 * The public interface. Link a client module against gomem's Module.symvers
 * (KBUILD_EXTRA_SYMBOLS) and include this header. See Documentation/gomem.rst.
 */
#ifndef _GOMEM_H
#define _GOMEM_H

#include <linux/compiler.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/types.h>

/* Largest object size served from a size class; larger ones take whole pages. */
#define GOMEM_MAX_SMALL_OBJECT	32768

/* Number of size classes, class 0 (large objects) included. */
#define GOMEM_NUM_CLASSES	68

/*
 * Every allocating entry point takes the calling module's client record,
 * which the wrappers below pass: each file of a client module has its own
 * copy, and gomem maps them all to one row of per-client figures (the
 * module's) at their first allocation. See gomem_read_module_stats().
 */
struct module;

/**
 * struct gomem_client - a client module's record, one per file that includes this header
 * @id: the module's row in gomem's client table, 0 until the file's first
 *	allocation (written once by gomem, then read by every allocation)
 * @mod: the module (THIS_MODULE; NULL for built-in code)
 */
struct gomem_client {
	unsigned int id;
	struct module *mod;
};

static struct gomem_client __gomem_client __maybe_unused = { .mod = THIS_MODULE };

void *__gomem_alloc(size_t size, gfp_t gfp, struct gomem_client *cl) __malloc;
void *__gomem_zalloc(size_t size, gfp_t gfp, struct gomem_client *cl) __malloc;
void *__gomem_realloc(const void *ptr, size_t new_size, gfp_t gfp, struct gomem_client *cl);
int __gomem_alloc_bulk(size_t size, gfp_t gfp, size_t n, void **ptrs, struct gomem_client *cl);
void gomem_free(const void *ptr);
size_t gomem_usable_size(const void *ptr);
void gomem_free_bulk(size_t n, void **ptrs);

/* The entry points, for this file's module (__gomem_alloc() and the rest). */
static __always_inline __malloc void *gomem_alloc(size_t size, gfp_t gfp)
{
	return __gomem_alloc(size, gfp, &__gomem_client);
}

static __always_inline __malloc void *gomem_zalloc(size_t size, gfp_t gfp)
{
	return __gomem_zalloc(size, gfp, &__gomem_client);
}

static __always_inline void *gomem_realloc(const void *ptr, size_t new_size, gfp_t gfp)
{
	return __gomem_realloc(ptr, new_size, gfp, &__gomem_client);
}

static __always_inline int gomem_alloc_bulk(size_t size, gfp_t gfp, size_t n, void **ptrs)
{
	return __gomem_alloc_bulk(size, gfp, n, ptrs, &__gomem_client);
}

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

/* The kmalloc()-compatible entry points (malloc.c, dropin.c); see gomem_kmalloc.h. */
void *__gomem_kmalloc(size_t size, gfp_t gfp, struct gomem_client *cl) __malloc;
void *__gomem_kmalloc_node(size_t size, gfp_t gfp, int node, struct gomem_client *cl) __malloc;
void *__gomem_kmalloc_track(size_t size, gfp_t gfp, unsigned long caller,
			    struct gomem_client *cl) __malloc;
void gomem_kfree(const void *ptr);
bool gomem_owns(const void *p);
size_t gomem_ksize(const void *p);
size_t gomem_kmalloc_size_roundup(size_t size);
void *__gomem_krealloc(const void *p, size_t new_size, gfp_t gfp, struct gomem_client *cl);
void gomem_kfree_sensitive(const void *p);
void *__gomem_kmemdup(const void *src, size_t len, gfp_t gfp, struct gomem_client *cl) __malloc;
char *__gomem_kmemdup_nul(const char *s, size_t len, gfp_t gfp, struct gomem_client *cl) __malloc;
char *__gomem_kstrdup(const char *s, gfp_t gfp, struct gomem_client *cl) __malloc;
char *__gomem_kstrndup(const char *s, size_t max, gfp_t gfp, struct gomem_client *cl) __malloc;
void *__gomem_kvmalloc_node(size_t size, gfp_t gfp, int node, struct gomem_client *cl) __malloc;
void gomem_kvfree(const void *p);
void gomem_kvfree_sensitive(const void *p, size_t len);
void *__gomem_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp,
			struct gomem_client *cl);
void __gomem_kfree_rcu(const void *p, struct rcu_head *head);

static __always_inline __malloc void *gomem_kmalloc(size_t size, gfp_t gfp)
{
	return __gomem_kmalloc(size, gfp, &__gomem_client);
}

static __always_inline __malloc void *gomem_kmalloc_node(size_t size, gfp_t gfp, int node)
{
	return __gomem_kmalloc_node(size, gfp, node, &__gomem_client);
}

static __always_inline __malloc void *gomem_kmalloc_track(size_t size, gfp_t gfp,
							  unsigned long caller)
{
	return __gomem_kmalloc_track(size, gfp, caller, &__gomem_client);
}

static __always_inline void *gomem_krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	return __gomem_krealloc(p, new_size, gfp, &__gomem_client);
}

static __always_inline __malloc void *gomem_kmemdup(const void *src, size_t len, gfp_t gfp)
{
	return __gomem_kmemdup(src, len, gfp, &__gomem_client);
}

static __always_inline __malloc char *gomem_kmemdup_nul(const char *s, size_t len, gfp_t gfp)
{
	return __gomem_kmemdup_nul(s, len, gfp, &__gomem_client);
}

static __always_inline __malloc char *gomem_kstrdup(const char *s, gfp_t gfp)
{
	return __gomem_kstrdup(s, gfp, &__gomem_client);
}

static __always_inline __malloc char *gomem_kstrndup(const char *s, size_t max, gfp_t gfp)
{
	return __gomem_kstrndup(s, max, gfp, &__gomem_client);
}

static __always_inline __malloc void *gomem_kvmalloc_node(size_t size, gfp_t gfp, int node)
{
	return __gomem_kvmalloc_node(size, gfp, node, &__gomem_client);
}

static __always_inline void *gomem_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp)
{
	return __gomem_kvrealloc(p, old, size, gfp, &__gomem_client);
}

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
 * @kernel_frees: debug mode: gomem memory found freed by the kernel's
 *	allocator - a kfree() of a gomem object (seen at the call where the
 *	kernel has tracepoints), or an arena page that lost gomem's guard
 *	reference (seen when the page goes back)
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
	u64 kernel_frees;
	struct gomem_class_stats by_size[GOMEM_NUM_CLASSES];
};

void gomem_read_memstats(struct gomem_memstats *ms);

/**
 * struct gomem_client_stats - one client module's figures
 * @name: the module's name ("vmlinux" for built-in code, "(other)" for the
 *	clients past the table's room)
 * @loaded: false once the module has unloaded (its row stays while objects
 *	it allocated are live)
 * @mallocs: objects it allocated since it first called gomem
 * @frees: of those, objects freed (by anyone)
 * @live_objects: @mallocs - @frees
 * @total_alloc: bytes it allocated, each object at its usable size (as
 *	&struct gomem_memstats' @total_alloc)
 * @live_bytes: bytes of its live objects (the same measure)
 */
struct gomem_client_stats {
	char name[56];
	bool loaded;
	u64 mallocs;
	u64 frees;
	u64 live_objects;
	u64 total_alloc;
	u64 live_bytes;
};

int gomem_read_module_stats(struct module *mod, struct gomem_client_stats *st);

#endif /* _GOMEM_H */
