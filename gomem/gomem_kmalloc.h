/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem_kmalloc.h - switch a module's kmalloc() family to gomem, in one line.
 *
 * In the module's Kbuild (every file of the module, no source changed):
 *
 *	ccflags-y += -include $(GOMEM_DIR)/gomem_kmalloc.h
 *	KBUILD_EXTRA_SYMBOLS += $(GOMEM_DIR)/Module.symvers
 *
 * or "#include <gomem_kmalloc.h>" after the kernel headers in each file.
 * Deleting the line switches back. The header first includes the kernel's
 * allocation headers, then replaces their names: a later use of kmalloc,
 * kfree and the rest - a call, or the name taken as a function pointer -
 * is gomem's. 6.1 (inline functions) and 6.12 (alloc_hooks() macros over
 * *_noprof functions) alike.
 *
 * What changes (Documentation/gomem-dropin.rst):
 *  - kmalloc(0) gives ZERO_SIZE_PTR, as the kernel's; kmalloc_node() and
 *    the *_node() forms accept the node and do not honour it yet;
 *  - kfree(), kvfree(), ksize(), krealloc(), kfree_sensitive(), kfree_rcu()
 *    take memory of gomem's and of the kernel's alike: the page map tells
 *    gomem's apart exactly, and the rest goes to its owner;
 *  - kvmalloc() takes gomem's memory first, then vmalloc()'s;
 *  - kmem_cache_*() calls, vmalloc(), and the kernel's own allocations
 *    stay as they were.
 * What must not be done: hand gomem memory to core code that frees it
 * with the kernel's kfree() (e.g. a buffer whose ownership passes to the
 * kernel). Nothing in this header can catch that.
 */
#ifndef _GOMEM_KMALLOC_H
#define _GOMEM_KMALLOC_H

#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gomem.h"

static inline void *gomem_kzalloc(size_t size, gfp_t gfp)
{
	return gomem_kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *gomem_kzalloc_node(size_t size, gfp_t gfp, int node)
{
	return gomem_kmalloc_node(size, gfp | __GFP_ZERO, node);
}

static inline void *gomem_kmalloc_array_node(size_t n, size_t size, gfp_t gfp, int node)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gomem_kmalloc_node(bytes, gfp, node);
}

static inline void *gomem_kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return gomem_kmalloc_array_node(n, size, gfp, NUMA_NO_NODE);
}

static inline void *gomem_kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return gomem_kmalloc_array_node(n, size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}

static inline void *gomem_kcalloc_node(size_t n, size_t size, gfp_t gfp, int node)
{
	return gomem_kmalloc_array_node(n, size, gfp | __GFP_ZERO, node);
}

static inline void *gomem_krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gomem_krealloc(p, bytes, gfp);
}

static inline void *gomem_kvmalloc(size_t size, gfp_t gfp)
{
	return gomem_kvmalloc_node(size, gfp, NUMA_NO_NODE);
}

static inline void *gomem_kvzalloc(size_t size, gfp_t gfp)
{
	return gomem_kvmalloc_node(size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}

static inline void *gomem_kvzalloc_node(size_t size, gfp_t gfp, int node)
{
	return gomem_kvmalloc_node(size, gfp | __GFP_ZERO, node);
}

static inline void *gomem_kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gomem_kvmalloc_node(bytes, gfp, NUMA_NO_NODE);
}

static inline void *gomem_kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return gomem_kvmalloc_array(n, size, gfp | __GFP_ZERO);
}

/* The names. #undef first: on 6.12 most are alloc_hooks() macros. */
#undef kmalloc
#define kmalloc			gomem_kmalloc
#undef kzalloc
#define kzalloc			gomem_kzalloc
#undef kmalloc_node
#define kmalloc_node		gomem_kmalloc_node
#undef kzalloc_node
#define kzalloc_node		gomem_kzalloc_node
#undef kmalloc_array
#define kmalloc_array		gomem_kmalloc_array
#undef kmalloc_array_node
#define kmalloc_array_node	gomem_kmalloc_array_node
#undef kcalloc
#define kcalloc			gomem_kcalloc
#undef kcalloc_node
#define kcalloc_node		gomem_kcalloc_node
#undef kmalloc_track_caller
#define kmalloc_track_caller(size, gfp)	gomem_kmalloc_track(size, gfp, _RET_IP_)
#undef kmalloc_node_track_caller
#define kmalloc_node_track_caller(size, gfp, node) \
	gomem_kmalloc_track(size, gfp, ((void)(node), _RET_IP_))
#undef krealloc
#define krealloc		gomem_krealloc
#undef krealloc_array
#define krealloc_array		gomem_krealloc_array
#undef kmemdup
#define kmemdup			gomem_kmemdup
#undef kmemdup_nul
#define kmemdup_nul		gomem_kmemdup_nul
#undef kstrdup
#define kstrdup			gomem_kstrdup
#undef kstrndup
#define kstrndup		gomem_kstrndup
#undef kfree
#define kfree			gomem_kfree
#undef kfree_sensitive
#define kfree_sensitive		gomem_kfree_sensitive
#undef ksize
#define ksize			gomem_ksize
#undef kmalloc_size_roundup
#define kmalloc_size_roundup	gomem_kmalloc_size_roundup
#undef kvmalloc
#define kvmalloc		gomem_kvmalloc
#undef kvzalloc
#define kvzalloc		gomem_kvzalloc
#undef kvmalloc_node
#define kvmalloc_node		gomem_kvmalloc_node
#undef kvzalloc_node
#define kvzalloc_node		gomem_kvzalloc_node
#undef kvmalloc_array
#define kvmalloc_array		gomem_kvmalloc_array
#undef kvcalloc
#define kvcalloc		gomem_kvcalloc
#undef kvfree
#define kvfree			gomem_kvfree
#undef kvfree_sensitive
#define kvfree_sensitive	gomem_kvfree_sensitive
/* kvrealloc(p, size, gfp) since vrealloc() came (6.12), (p, old, size, gfp) before. */
#ifdef vrealloc
#undef kvrealloc
#define kvrealloc(p, size, gfp)	gomem_kvrealloc(p, 0, size, gfp)
#else
#undef kvrealloc
#define kvrealloc		gomem_kvrealloc
#endif

/*
 * kfree_rcu(ptr, rhf) and kvfree_rcu(ptr, rhf); before 6.3 also the
 * headless kfree_rcu(ptr), told apart by the kernel's KVFREE_GET_MACRO().
 */
#define __gomem_kfree_rcu_2(ptr, rhf)	__gomem_rcu_head_call(__gomem_kfree_rcu, ptr, rhf)
#define __gomem_kfree_rcu_1(ptr)	__gomem_kfree_rcu(ptr, NULL)
#undef kfree_rcu
#undef kvfree_rcu
#ifdef KVFREE_GET_MACRO
#define kfree_rcu(...)	\
	KVFREE_GET_MACRO(__VA_ARGS__, __gomem_kfree_rcu_2, __gomem_kfree_rcu_1)(__VA_ARGS__)
#else
#define kfree_rcu	__gomem_kfree_rcu_2
#endif
#define kvfree_rcu	kfree_rcu
#undef kfree_rcu_mightsleep
#define kfree_rcu_mightsleep(ptr)	__gomem_kfree_rcu(ptr, NULL)
#undef kvfree_rcu_mightsleep
#define kvfree_rcu_mightsleep(ptr)	__gomem_kfree_rcu(ptr, NULL)

/*
 * The scope-based cleanups of <linux/slab.h> (6.5+): __free(kfree) and
 * __free(kvfree) name __free_kfree() and __free_kvfree(), defined there to
 * call the kernel's; these names now call gomem's.
 */
#ifdef DEFINE_FREE
static inline void __gomem_free_kfree(void *p)
{
	void *_T = *(void **)p;

	if (!IS_ERR_OR_NULL(_T))
		gomem_kfree(_T);
}

static inline void __gomem_free_kvfree(void *p)
{
	void *_T = *(void **)p;

	if (!IS_ERR_OR_NULL(_T))
		gomem_kvfree(_T);
}

#define __free_kfree		__gomem_free_kfree
#define __free_kvfree		__gomem_free_kvfree
#endif

#endif /* _GOMEM_KMALLOC_H */
