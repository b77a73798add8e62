// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's drop-in for kmalloc(): the entry points gomem_kmalloc.h maps the
 * kmalloc family to, and RCU-deferred frees.
 *
 * Ownership. A module switched to gomem frees with gomem_kfree() whatever
 * it frees: its own objects, and memory the kernel allocated and handed to
 * it. gomem tells them apart exactly, by the page map: an address is
 * gomem's while its page belongs to one of gomem's spans, and nothing else
 * is in the map. Anything else goes to its owner - kfree(), vfree(),
 * krealloc(), ksize() - when kfree() itself would take it (malloc.c,
 * gomem_forward_free()), and is reported otherwise. The reverse cannot be
 * caught: gomem memory the module hands to core code that frees it with
 * kfree() (Documentation/gomem-dropin.rst).
 *
 * RCU-deferred free, gomem_free_rcu(ptr, rhf), as kvfree_rcu() batches:
 *
 *  1. The object's pointer goes into this CPU's batch, a gomem object of
 *     GOMEM_RCU_BATCH pointers, under the CPU's batch lock.
 *  2. A full batch is handed to call_rcu() at once; a partial one by the
 *     flush work, GOMEM_RCU_DELAY after its first object. One RCU callback
 *     frees a whole batch, then the batch.
 *  3. When no batch can be had (GFP_NOWAIT failed): an object with an
 *     rcu_head goes through call_rcu() on it alone; a headless one waits
 *     for a grace period (synchronize_rcu(): the headless form may sleep).
 *  4. At gomem's unload every batch is handed over and rcu_barrier() waits
 *     for all of them: nothing is freed once gomem is gone. A client's
 *     pending objects are gomem's to free and call nothing of the client,
 *     so a client may unload with frees pending; in debug mode, its leak
 *     scan frees them first (gomem_debug_set_flush_hook()).
 *
 * Lock order: a CPU's batch lock (raw, IRQ-safe) is a leaf: gomem_alloc()
 * and gomem_free() are called outside it.
 *
 * Layer 11 (internal.h): calls malloc.c, and client.c for its hook.
 */

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "internal.h"

/*
 * The kernel's own kvrealloc() and kfree_rcu(), for memory that is not
 * gomem's. kvrealloc() takes the new size only since vrealloc() came (6.12),
 * the old size too before (6.1); kvfree_call_rcu() takes the object's
 * pointer since kfree_rcu_mightsleep() came (6.3), the rcu_head's offset in
 * the object (or the object, headless) before.
 */
#ifdef vrealloc
static void *gomem_kernel_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp)
{
	return kvrealloc(p, size, gfp);
}
#else
static void *gomem_kernel_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp)
{
	return kvrealloc(p, old, size, gfp);
}
#endif

#ifdef kfree_rcu_mightsleep
static void gomem_kernel_kfree_rcu(const void *p, struct rcu_head *head)
{
	kvfree_call_rcu(head, (void *)p);
}
#else
static void gomem_kernel_kfree_rcu(const void *p, struct rcu_head *head)
{
	if (head)
		kvfree_call_rcu(head, (rcu_callback_t)((unsigned long)head - (unsigned long)p));
	else
		kvfree_call_rcu(NULL, (rcu_callback_t)p);
}
#endif

/* === Ownership === */

/**
 * gomem_owns() - whether memory is gomem's
 * @p: any address
 *
 * Exact, from the page map: true while @p's page belongs to one of gomem's
 * spans (an object, live or free, or a page of a free run gomem still
 * holds), and for gomem's zero-size address; false for everything else,
 * NULL and ZERO_SIZE_PTR included. How the drop-in's kfree() and the rest
 * tell gomem's memory from the kernel's.
 *
 * Context: any context.
 * Return: true for gomem's memory.
 */
bool gomem_owns(const void *p)
{
	bool owns;

	if (ZERO_OR_NULL_PTR(p))
		return false;
	rcu_read_lock();
	owns = gomem_span_of(p);
	rcu_read_unlock();
	return owns || gomem_is_zerobase(p);
}
EXPORT_SYMBOL_GPL(gomem_owns);

/**
 * gomem_ksize() - ksize(): bytes usable in an object, whichever allocator owns it
 * @p: an object of gomem's or of kmalloc(), NULL or ZERO_SIZE_PTR
 *
 * Context: any context.
 * Return: gomem_usable_size() of a gomem object, ksize() of another; 0 for
 * NULL and ZERO_SIZE_PTR.
 */
size_t gomem_ksize(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return 0;
	return gomem_owns(p) ? gomem_usable_size(p) : ksize(p);
}
EXPORT_SYMBOL_GPL(gomem_ksize);

/**
 * gomem_kmalloc_size_roundup() - kmalloc_size_roundup() for gomem
 * @size: bytes a caller means to ask for
 *
 * Context: any context.
 * Return: the usable size gomem_kmalloc(@size) gives: @size itself under
 * 16 bytes with the tiny allocator on, and in debug mode; the size class;
 * whole 8 KiB pages over 32 KiB; 0 for 0; @size when no allocation of it
 * can succeed.
 */
size_t gomem_kmalloc_size_roundup(size_t size)
{
	if (!size)
		return 0;
	if (static_branch_unlikely(&gomem_debug_key) ||
	    (size < GOMEM_TINY_SIZE && gomem_tiny_enabled))
		return size;
	if (size <= GOMEM_MAX_SMALL_SIZE)
		return gomem_class_to_size[gomem_size_to_class(size)];
	if (size > gomem_max_large_pages() << GOMEM_PAGE_SHIFT)
		return size;
	return round_up(size, GOMEM_PAGE_SIZE);
}
EXPORT_SYMBOL_GPL(gomem_kmalloc_size_roundup);

/**
 * __gomem_krealloc() - krealloc(): resize an object, whichever allocator owns it
 * @p: an object of gomem's or of kmalloc(), NULL or ZERO_SIZE_PTR
 * @new_size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record (gomem_krealloc() passes its file's)
 *
 * NULL and ZERO_SIZE_PTR allocate from gomem; @new_size 0 frees @p and
 * gives ZERO_SIZE_PTR; a gomem object with room enough is returned as it
 * is, otherwise moved into a new gomem object; an object of kmalloc()'s
 * stays with its owner (krealloc()).
 *
 * Context: as gomem_alloc().
 * Return: the object; ZERO_SIZE_PTR for @new_size 0; NULL on failure, with
 * @p untouched and still allocated.
 */
void *__gomem_krealloc(const void *p, size_t new_size, gfp_t gfp, struct gomem_client *cl)
{
	unsigned long caller = _RET_IP_;
	size_t old;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return __gomem_kmalloc_track(new_size, gfp, caller, cl);
	if (!gomem_owns(p))
		return krealloc(p, new_size, gfp);
	if (!new_size) {
		gomem_kfree_caller(p, caller);
		return ZERO_SIZE_PTR;
	}
	old = gomem_usable_size_at(p, caller);
	if (!old)			/* not a live object: reported */
		return NULL;
	if (new_size <= old && !static_branch_unlikely(&gomem_debug_key))
		return (void *)p;
	n = __gomem_kmalloc_track(new_size, gfp, caller, cl);
	if (!n)
		return NULL;
	memcpy(n, p, min(old, new_size));
	gomem_kfree_caller(p, caller);
	return n;
}
EXPORT_SYMBOL_GPL(__gomem_krealloc);

/**
 * gomem_kfree_sensitive() - kfree_sensitive(): wipe an object, then free it
 * @p: an object of gomem's or of kmalloc(), or NULL
 *
 * Context: as gomem_kfree().
 */
void gomem_kfree_sensitive(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!gomem_owns(p)) {
		kfree_sensitive(p);
		return;
	}
	memzero_explicit((void *)p, gomem_usable_size(p));
	gomem_kfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_kfree_sensitive);

/**
 * __gomem_kmemdup() - kmemdup(): a gomem copy of a buffer
 * @src: the bytes
 * @len: how many
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record (gomem_kmemdup() passes its file's)
 *
 * Context: as gomem_alloc().
 * Return: the copy, or NULL.
 */
void *__gomem_kmemdup(const void *src, size_t len, gfp_t gfp, struct gomem_client *cl)
{
	void *p = __gomem_kmalloc_track(len, gfp, _RET_IP_, cl);

	if (!ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}
EXPORT_SYMBOL_GPL(__gomem_kmemdup);

/**
 * __gomem_kmemdup_nul() - kmemdup_nul(): a gomem copy of @len bytes, NUL-terminated
 * @s: the bytes, or NULL
 * @len: how many
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record (gomem_kmemdup_nul() passes its file's)
 *
 * Context: as gomem_alloc().
 * Return: the string, or NULL (also for @s NULL).
 */
char *__gomem_kmemdup_nul(const char *s, size_t len, gfp_t gfp, struct gomem_client *cl)
{
	char *p;

	if (!s)
		return NULL;
	p = __gomem_kmalloc_track(len + 1, gfp, _RET_IP_, cl);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
EXPORT_SYMBOL_GPL(__gomem_kmemdup_nul);

/**
 * __gomem_kstrdup() - kstrdup(): a gomem copy of a string
 * @s: the string, or NULL
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record (gomem_kstrdup() passes its file's)
 *
 * Context: as gomem_alloc().
 * Return: the copy, or NULL (also for @s NULL).
 */
char *__gomem_kstrdup(const char *s, gfp_t gfp, struct gomem_client *cl)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = __gomem_kmalloc_track(len, gfp, _RET_IP_, cl);
	if (p)
		memcpy(p, s, len);
	return p;
}
EXPORT_SYMBOL_GPL(__gomem_kstrdup);

/**
 * __gomem_kstrndup() - kstrndup(): a gomem copy of at most @max bytes of a string
 * @s: the string, or NULL
 * @max: longest copy, the NUL not counted
 * @gfp: allocation flags, as for gomem_alloc()
 * @cl: the client module's record (gomem_kstrndup() passes its file's)
 *
 * Context: as gomem_alloc().
 * Return: the copy, NUL-terminated, or NULL (also for @s NULL).
 */
char *__gomem_kstrndup(const char *s, size_t max, gfp_t gfp, struct gomem_client *cl)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = __gomem_kmalloc_track(len + 1, gfp, _RET_IP_, cl);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
EXPORT_SYMBOL_GPL(__gomem_kstrndup);

/**
 * __gomem_kvmalloc_node() - kvmalloc_node(): gomem, else vmalloc
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_alloc()
 * @node: the NUMA node wanted (accepted, not honoured, as gomem_kmalloc_node())
 * @cl: the client module's record (gomem_kvmalloc_node() passes its file's)
 *
 * As kvmalloc(): gomem first (over a page without retries or warnings,
 * unless %__GFP_RETRY_MAYFAIL), then, for a caller that may sleep and a
 * size over a page, __vmalloc().
 *
 * Context: as gomem_alloc(); the vmalloc() fallback only where it may sleep.
 * Return: the memory, free it with gomem_kvfree(); NULL on failure.
 */
void *__gomem_kvmalloc_node(size_t size, gfp_t gfp, int node, struct gomem_client *cl)
{
	gfp_t kgfp = gfp;
	void *p;

	if (size > PAGE_SIZE) {
		kgfp |= __GFP_NOWARN;
		if (!(kgfp & __GFP_RETRY_MAYFAIL))
			kgfp |= __GFP_NORETRY;
	}
	p = __gomem_kmalloc_track(size, kgfp, _RET_IP_, cl);
	if (p || size <= PAGE_SIZE || !gfpflags_allow_blocking(gfp) || size > INT_MAX)
		return p;
	return __vmalloc(size, gfp);
}
EXPORT_SYMBOL_GPL(__gomem_kvmalloc_node);

/**
 * gomem_kvfree() - kvfree(): free memory from gomem_kvmalloc_node() or anyone's kvmalloc()
 * @p: the memory, or NULL
 *
 * vfree() for a vmalloc address, gomem_kfree() for anything else.
 *
 * Context: as gomem_kfree(); a vmalloc address as vfree() allows.
 */
void gomem_kvfree(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		gomem_kfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomem_kvfree);

/**
 * gomem_kvfree_sensitive() - kvfree_sensitive(): wipe @len bytes, then gomem_kvfree()
 * @p: the memory, or NULL
 * @len: bytes to wipe
 *
 * Context: as gomem_kvfree().
 */
void gomem_kvfree_sensitive(const void *p, size_t len)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	memzero_explicit((void *)p, len);
	gomem_kvfree(p);
}
EXPORT_SYMBOL_GPL(gomem_kvfree_sensitive);

/**
 * __gomem_kvrealloc() - kvrealloc(): resize memory from gomem_kvmalloc_node()
 * @p: the memory, or NULL
 * @old: its size, as 6.1's kvrealloc() takes it (unused on 6.12 and for gomem's)
 * @size: bytes wanted
 * @gfp: allocation flags, as for gomem_kvmalloc_node()
 * @cl: the client module's record (gomem_kvrealloc() passes its file's)
 *
 * A gomem object (or NULL) is resized as gomem_krealloc() does, and moved
 * to gomem_kvmalloc_node()'s memory when that fails; memory of the
 * kernel's (vmalloc or kmalloc) stays with it (kvrealloc()).
 *
 * Context: as gomem_kvmalloc_node().
 * Return: the memory; NULL on failure, with @p untouched.
 */
void *__gomem_kvrealloc(const void *p, size_t old, size_t size, gfp_t gfp,
			struct gomem_client *cl)
{
	void *n;

	if (!ZERO_OR_NULL_PTR(p) && !gomem_owns(p))
		return gomem_kernel_kvrealloc(p, old, size, gfp);
	n = __gomem_krealloc(p, size, gfp | __GFP_NOWARN | __GFP_NORETRY, cl);
	if (n || !size)
		return n;
	old = ZERO_OR_NULL_PTR(p) ? 0 : gomem_usable_size(p);
	n = __gomem_kvmalloc_node(size, gfp, NUMA_NO_NODE, cl);
	if (!n)
		return NULL;
	memcpy(n, p, min(old, size));
	gomem_kfree_caller(p, _RET_IP_);
	return n;
}
EXPORT_SYMBOL_GPL(__gomem_kvrealloc);

/* === RCU-deferred frees === */

/* Pointers per batch: a batch is a 512-byte gomem object. */
#define GOMEM_RCU_BATCH		((512 - sizeof(struct rcu_head) - sizeof(long)) / sizeof(void *))
/* How long a partial batch waits before it is handed to RCU. */
#define GOMEM_RCU_DELAY		(HZ / 50)

struct gomem_rcu_batch {
	struct rcu_head rcu;
	unsigned long n;			/* pointers in ptrs[] */
	const void *ptrs[GOMEM_RCU_BATCH];
};

struct gomem_rcu_cpu {
	raw_spinlock_t lock;			/* a leaf; guards cur */
	struct gomem_rcu_batch *cur;		/* filling, or NULL */
};

static DEFINE_PER_CPU(struct gomem_rcu_cpu, gomem_rcu_cpus);

/* Objects queued and not yet freed; batches and single callbacks handed to RCU. */
static atomic_long_t gomem_rcu_pending = ATOMIC_LONG_INIT(0);
static atomic_long_t gomem_rcu_batches = ATOMIC_LONG_INIT(0);
static atomic_long_t gomem_rcu_singles = ATOMIC_LONG_INIT(0);

static void gomem_rcu_flush_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gomem_rcu_flush_work, gomem_rcu_flush_fn);

/* Clear from init to exit: a queue outside finds it set and frees after a grace period. */
static bool gomem_rcu_stopped = true;

static void gomem_rcu_batch_fn(struct rcu_head *head)
{
	struct gomem_rcu_batch *b = container_of(head, struct gomem_rcu_batch, rcu);
	unsigned long i;

	for (i = 0; i < b->n; i++)
		gomem_free(b->ptrs[i]);
	atomic_long_sub(b->n, &gomem_rcu_pending);
	gomem_free(b);
}

/* One object through its own rcu_head (no batch could be had). */
static void gomem_rcu_single_fn(struct rcu_head *head)
{
	gomem_free(gomem_object_start(head));
	atomic_long_dec(&gomem_rcu_pending);
}

static void gomem_rcu_submit(struct gomem_rcu_batch *b)
{
	atomic_long_inc(&gomem_rcu_batches);
	call_rcu(&b->rcu, gomem_rcu_batch_fn);
}

/* Hand every CPU's partial batch to RCU. */
static void gomem_rcu_flush_all(void)
{
	struct gomem_rcu_batch *b;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct gomem_rcu_cpu *rc = per_cpu_ptr(&gomem_rcu_cpus, cpu);

		raw_spin_lock_irqsave(&rc->lock, flags);
		b = rc->cur;
		rc->cur = NULL;
		raw_spin_unlock_irqrestore(&rc->lock, flags);
		if (b)
			gomem_rcu_submit(b);
	}
}

static void gomem_rcu_flush_fn(struct work_struct *work)
{
	gomem_rcu_flush_all();
}

/* Before a leak scan (debug mode, a client unloading): every queued object freed. */
static void gomem_rcu_drain(void)
{
	gomem_rcu_flush_all();
	rcu_barrier();
}

/*
 * Queue @p on this CPU's batch. Return: false when no batch could be had.
 * A fresh batch is allocated outside the lock, so gomem's own locks are
 * never taken under it.
 */
static bool gomem_rcu_queue(const void *p)
{
	struct gomem_rcu_batch *fresh = NULL, *full = NULL, *b;
	struct gomem_rcu_cpu *rc;
	unsigned long flags;
	bool first = false;

	for (;;) {
		local_irq_save(flags);
		rc = this_cpu_ptr(&gomem_rcu_cpus);
		raw_spin_lock(&rc->lock);
		b = rc->cur;
		if (b || fresh)
			break;
		raw_spin_unlock_irqrestore(&rc->lock, flags);
		fresh = gomem_alloc(sizeof(*fresh), GFP_NOWAIT | __GFP_NOWARN);
		if (!fresh)
			return false;
	}
	if (!b) {
		b = fresh;
		fresh = NULL;
		b->n = 0;
		rc->cur = b;
		first = true;
	}
	b->ptrs[b->n++] = p;
	if (b->n == GOMEM_RCU_BATCH) {
		rc->cur = NULL;
		full = b;
	}
	raw_spin_unlock_irqrestore(&rc->lock, flags);
	if (fresh)
		gomem_free(fresh);
	if (full)
		gomem_rcu_submit(full);
	else if (first)
		queue_delayed_work(system_unbound_wq, &gomem_rcu_flush_work, GOMEM_RCU_DELAY);
	return true;
}

/**
 * __gomem_free_rcu() - free a gomem object after an RCU grace period
 * @p: a live gomem object, or NULL
 * @head: an rcu_head inside it, or NULL (then the call may sleep)
 *
 * Use gomem_free_rcu(ptr, rhf) or gomem_free_rcu_mightsleep(ptr). The
 * object is freed with gomem_free() once every RCU reader that might see
 * it is done, in a batch of this CPU's with one RCU callback. A pointer
 * that is not a live gomem object is reported and not queued.
 *
 * Context: any context but NMI when @head is given; process context, where
 * it may sleep, when it is NULL.
 */
void __gomem_free_rcu(const void *p, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(p) || gomem_is_zerobase(p))
		return;
	if (!gomem_usable_size_at(p, _RET_IP_))	/* not a live gomem object: reported */
		return;
	atomic_long_inc(&gomem_rcu_pending);
	if (!READ_ONCE(gomem_rcu_stopped) && gomem_rcu_queue(p))
		return;
	if (head) {
		atomic_long_inc(&gomem_rcu_singles);
		call_rcu(head, gomem_rcu_single_fn);
		return;
	}
	might_sleep();
	synchronize_rcu();
	gomem_free(p);
	atomic_long_dec(&gomem_rcu_pending);
}
EXPORT_SYMBOL_GPL(__gomem_free_rcu);

/**
 * __gomem_kfree_rcu() - kfree_rcu() for the drop-in: gomem's or the kernel's
 * @p: an object of gomem's or of kmalloc(), or NULL
 * @head: an rcu_head inside it, or NULL (then the call may sleep)
 *
 * __gomem_free_rcu() for a gomem object; an object of the kernel's goes to
 * kvfree_call_rcu(), as kfree_rcu() would have sent it.
 *
 * Context: as __gomem_free_rcu().
 */
void __gomem_kfree_rcu(const void *p, struct rcu_head *head)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	if (gomem_owns(p))
		__gomem_free_rcu(p, head);
	else
		gomem_kernel_kfree_rcu(p, head);
}
EXPORT_SYMBOL_GPL(__gomem_kfree_rcu);

/**
 * gomem_rcu_counts() - the RCU-deferred frees' counters
 * @pending: objects queued, not freed yet
 * @batches: batches handed to RCU since load
 * @singles: objects handed to RCU alone (no batch could be had) since load
 *
 * Context: any context.
 */
void gomem_rcu_counts(unsigned long *pending, unsigned long *batches, unsigned long *singles)
{
	*pending = atomic_long_read(&gomem_rcu_pending);
	*batches = atomic_long_read(&gomem_rcu_batches);
	*singles = atomic_long_read(&gomem_rcu_singles);
}

/**
 * gomem_dropin_init() - make the RCU batches ready
 *
 * Context: process context, module init, after the allocator.
 */
void gomem_dropin_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(&gomem_rcu_cpus, cpu)->lock);
	WRITE_ONCE(gomem_rcu_stopped, false);
	gomem_debug_set_flush_hook(gomem_rcu_drain);
	gomem_clients_set_flush_hook(gomem_rcu_drain);
}

/**
 * gomem_dropin_exit() - free every object queued for RCU, and wait for it
 *
 * Context: process context, module exit, before the allocator goes; sleeps.
 */
void gomem_dropin_exit(void)
{
	gomem_debug_set_flush_hook(NULL);
	gomem_clients_set_flush_hook(NULL);
	WRITE_ONCE(gomem_rcu_stopped, true);
	cancel_delayed_work_sync(&gomem_rcu_flush_work);
	gomem_rcu_flush_all();
	rcu_barrier();
}
