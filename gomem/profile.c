// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's sampled heap profile: Go's MemProfileRate, for the kernel.
 *
 * Sampling, as Go's mcache.nextSample: each cache context counts down the
 * bytes to its next sample, a draw from an exponential distribution of
 * mean profile_rate; the allocation that takes the count below zero is
 * sampled and a new count drawn. The count is memoryless, so an object of
 * s bytes is sampled with probability 1 - exp(-s / rate), whatever came
 * before it: Go's estimator (scripts/gomem-pprof) divides by that and the
 * profile is unbiased by object size. The fast paths pay for this only
 * while the rate is not 0 (gomem_profile_key): a subtraction and a test.
 *
 * A sampled allocation's call stack (stack_trace_save(), gomem's own
 * frames dropped) goes into a table of records, one per distinct stack and
 * object size (as Go's buckets), each with the objects and bytes allocated
 * and freed; the object into a side table by
 * address, and its free finds it again through a flag where gomem keeps
 * the object's liveness - the live byte of a small object, the byte of a
 * tiny block, the client byte of a large span (GOMEM_LIVE_SAMPLED): frees
 * of other objects pay nothing. Both tables have a fixed room, allocated
 * when sampling is first turned on; a sample past it is dropped and
 * counted. A module that goes keeps its stacks printable: their frames are
 * put into text before its symbols go (and those of its init code once
 * the init is done, before that code goes).
 *
 * /sys/kernel/debug/gomem/heap prints the table in Go's legacy text form
 * with symbolized frames (Documentation/gomem.rst);
 * /sys/kernel/debug/gomem/profile_rate and the module parameter
 * profile_rate (main.c) set the rate.
 *
 * Layer 9 (internal.h), beside client.c (neither uses the other): writes
 * the per-CPU caches' countdowns (layer 7) when sampling is turned on.
 */

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "internal.h"

/* On while the rate is not 0 (gomem_profile_rate() tells). */
DEFINE_STATIC_KEY_FALSE(gomem_profile_key);

#define STACK_BUCKETS		1024
#define OBJ_BUCKETS		4096
/* Bytes of one frame put into text ("%pS" of it). */

/*
 * struct gomem_stack - one distinct call stack and object size, as Go's
 * memory profile buckets are: every sample of a record has one size, so
 * that Go's estimator, which scales a record by its average size, is
 * exact for it. The frames and size are written before the record is
 * published (gomem_prof.nstacks) and never change; the counts and the text
 * pointer are written under gomem_prof.lock.
 */
struct gomem_stack {
	struct gomem_stack *next;	/* hash chain (lock) */
	u32 hash;
	u32 nr;				/* frames */
	u64 size;			/* the usable size of its objects */
	u64 alloc_objs;
	u64 alloc_bytes;
	u64 free_objs;
	u64 free_bytes;
	/* nr * GOMEM_PROFILE_FRAME_TEXT bytes, once a module of its frames went */
	char *text;
	unsigned long frames[GOMEM_PROFILE_DEPTH];
};

/* struct gomem_sampled - a sampled object still live (gomem_prof.lock). */
struct gomem_sampled {
	struct gomem_sampled *next;	/* hash chain, or the free list */
	unsigned long addr;
	struct gomem_stack *stack;
	u64 bytes;
};

static struct {
	raw_spinlock_t lock;		/* a leaf: see the lock order in internal.h */
	struct mutex rate_mutex;	/* serializes rate changes and the tables' allocation */
	unsigned long rate;		/* bytes; 0: off (rate_mutex; READ_ONCE elsewhere) */
	struct gomem_stack *stacks;	/* GOMEM_PROFILE_STACKS of them, set once */
	unsigned int nstacks;		/* in use: written under lock, release/acquire */
	struct gomem_sampled *objs;	/* GOMEM_PROFILE_OBJECTS of them, set once */
	struct gomem_sampled *free;	/* unused entries (lock) */
	unsigned long dropped;		/* samples the tables had no room for (lock) */
	unsigned long samples;		/* samples recorded (lock) */
	struct gomem_stack *stack_bucket[STACK_BUCKETS];	/* lock */
	struct gomem_sampled *obj_bucket[OBJ_BUCKETS];		/* lock */
	struct dentry *dir;
} gomem_prof = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(gomem_prof.lock),
	.rate_mutex = __MUTEX_INITIALIZER(gomem_prof.rate_mutex),
};

/* log2(1 + i / 64) in 16.16 fixed point, i = 0..64. */
static const u32 log2_table[65] = {
	0, 1466, 2909, 4331, 5732, 7112, 8473, 9814, 11136, 12440, 13727, 14996, 16248,
	17484, 18704, 19909, 21098, 22272, 23433, 24579, 25711, 26830, 27936, 29029, 30109,
	31178, 32234, 33279, 34312, 35334, 36346, 37346, 38336, 39316, 40286, 41246, 42196,
	43137, 44068, 44990, 45904, 46809, 47705, 48593, 49472, 50344, 51207, 52063, 52911,
	53751, 54584, 55410, 56229, 57040, 57845, 58643, 59434, 60219, 60997, 61769, 62534,
	63294, 64047, 64794, 65536,
};

/* log2(@x) in 16.16 fixed point, @x >= 1: a table of 64 steps, interpolated. */
static u64 log2_q16(u64 x)
{
	unsigned int k = ilog2(x), i;
	u64 m = k >= 22 ? x >> (k - 22) : x << (22 - k);	/* 1.22: 2^22 <= m < 2^23 */
	u64 f = m - BIT_ULL(22);			/* the fraction, 22 bits */
	u64 lo, hi;

	i = f >> 16;					/* its top 6 bits */
	lo = log2_table[i];
	hi = log2_table[i + 1];
	return ((u64)k << 16) + lo + (((hi - lo) * (f & 0xffff)) >> 16);
}

/* ln 2 in 16.16 fixed point. */
#define LN2_Q16		45426

/*
 * The draws' generator, per CPU and context, as Go's per-M cheaprand: a
 * lockless LFSR (prandom_u32_state()) a draw may use with preemption
 * disabled in any context, where get_random_u32() takes a lock that
 * sleeps on PREEMPT_RT. Fixed seeds until the first rate is set
 * (profile_rnd_seed()); each context of a CPU has its own state, so an
 * interrupt never finds one half updated.
 */
struct profile_rnd {
	struct rnd_state s[GOMEM_NR_CTX];
};

#define PROFILE_RND_FIXED { .s1 = 0x6a09e667, .s2 = 0xbb67ae85, .s3 = 0x3c6ef372, .s4 = 0xa54ff53a }

static DEFINE_PER_CPU(struct profile_rnd, profile_rnd) = {
	.s = { [0 ... GOMEM_NR_CTX - 1] = PROFILE_RND_FIXED },
};

/* Seed every generator from the kernel's entropy, once. Context: process, rate_mutex held. */
static void profile_rnd_seed(void)
{
	static bool seeded;
	unsigned int cpu, ctx;

	if (seeded)
		return;
	for_each_possible_cpu(cpu)
		for (ctx = 0; ctx < GOMEM_NR_CTX; ctx++)
			prandom_seed_state(&per_cpu_ptr(&profile_rnd, cpu)->s[ctx],
					   get_random_u64());
	seeded = true;
}

/**
 * gomem_profile_draw() - bytes to the next sample: an exponential draw of mean @rate
 * @rate: the sampling rate, bytes (1: every allocation)
 *
 * -ln(U) * @rate for U uniform in (0, 1], as Go's fastexprand(), U from
 * this CPU's and context's generator (struct profile_rnd).
 *
 * Context: any context but NMI, preemption disabled or not.
 * Return: the count to start from.
 */
s64 gomem_profile_draw(unsigned long rate)
{
	struct rnd_state *st;
	u64 neg_ln, u;

	preempt_disable();
	st = &this_cpu_ptr(&profile_rnd)->s[gomem_ctx_of(preempt_count())];
	u = (u64)prandom_u32_state(st) + 1;	/* U * 2^32, in [1, 2^32] */
	preempt_enable();

	if (rate <= 1)
		return 0;
	/* -log2(U) = 32 - log2(U * 2^32), then times ln 2: 16.16. */
	neg_ln = ((((u64)32 << 16) - log2_q16(u)) * LN2_Q16) >> 16;
	return (s64)((neg_ln * rate) >> 16);
}
EXPORT_SYMBOL_NS_GPL(gomem_profile_draw, GOMEM_INTERNAL);

/*
 * The unwinder's buffer, per CPU and context: not on the stack, where
 * CONFIG_UNWINDER_GUESS would find the return addresses it holds.
 */
#define GOMEM_PROFILE_SKIP	16

struct profile_walk {
	unsigned long entries[GOMEM_PROFILE_DEPTH + GOMEM_PROFILE_SKIP];
};

static DEFINE_PER_CPU(struct profile_walk[GOMEM_NR_CTX], profile_walks);

/*
 * The frames of this call, gomem's own dropped; how many. Preemption
 * disabled. Dropped: every frame up to the last of gomem's among the first
 * GOMEM_PROFILE_SKIP - with CONFIG_UNWINDER_GUESS, stale return addresses
 * (of functions gomem called) come between gomem's frames.
 */
static unsigned int profile_stack(unsigned long *frames)
{
	unsigned long *entries = this_cpu_ptr(profile_walks)[gomem_ctx_of(preempt_count())].entries;
	unsigned int n, i, skip = 0;

	n = stack_trace_save(entries, GOMEM_PROFILE_DEPTH + GOMEM_PROFILE_SKIP, 0);
	for (i = 0; i < n && i < GOMEM_PROFILE_SKIP; i++)
		if (within_module(entries[i], THIS_MODULE))
			skip = i + 1;
	n = min_t(unsigned int, n - skip, GOMEM_PROFILE_DEPTH);
	memcpy(frames, entries + skip, n * sizeof(*frames));
	return n;
}

static unsigned int obj_bucket(unsigned long addr)
{
	return hash_long(addr, ilog2(OBJ_BUCKETS));
}

/**
 * gomem_profile_record() - record a sampled allocation
 * @obj: the object
 * @bytes: its usable size
 *
 * Context: any context but NMI, preemption disabled (the caller flags the
 * object before it returns it).
 * Return: true when recorded: the caller flags @obj (GOMEM_LIVE_SAMPLED)
 * so that its free calls gomem_profile_free(); false when the tables are
 * full (counted as dropped) or not there.
 */
bool gomem_profile_record(const void *obj, u64 bytes)
{
	unsigned long frames[GOMEM_PROFILE_DEPTH];
	struct gomem_sampled *e;
	struct gomem_stack *st;
	unsigned long flags;
	unsigned int nr, b;
	u32 hash;

	if (!READ_ONCE(gomem_prof.stacks))
		return false;
	nr = profile_stack(frames);
	hash = jhash(frames, nr * sizeof(*frames), nr ^ (u32)bytes);
	b = hash % STACK_BUCKETS;
	raw_spin_lock_irqsave(&gomem_prof.lock, flags);
	for (st = gomem_prof.stack_bucket[b]; st; st = st->next)
		if (st->hash == hash && st->nr == nr && st->size == bytes &&
		    !memcmp(st->frames, frames, nr * sizeof(*frames)))
			break;
	e = gomem_prof.free;
	if (!e || (!st && gomem_prof.nstacks == GOMEM_PROFILE_STACKS)) {
		gomem_prof.dropped++;
		raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
		return false;
	}
	if (!st) {
		st = &gomem_prof.stacks[gomem_prof.nstacks];
		memset(st, 0, sizeof(*st));
		st->hash = hash;
		st->nr = nr;
		st->size = bytes;
		memcpy(st->frames, frames, nr * sizeof(*frames));
		st->next = gomem_prof.stack_bucket[b];
		gomem_prof.stack_bucket[b] = st;
		/* The frames before the count that lets readers see them. */
		smp_store_release(&gomem_prof.nstacks, gomem_prof.nstacks + 1);
	}
	st->alloc_objs++;
	st->alloc_bytes += bytes;
	gomem_prof.samples++;
	gomem_prof.free = e->next;
	e->addr = (unsigned long)obj;
	e->stack = st;
	e->bytes = bytes;
	b = obj_bucket(e->addr);
	e->next = gomem_prof.obj_bucket[b];
	gomem_prof.obj_bucket[b] = e;
	raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
	return true;
}

/**
 * gomem_profile_free() - a flagged object is freed: its record leaves the in-use counts
 * @obj: the object, claimed by its free and not yet in any cache
 *
 * A tiny object of a flagged block may have no record (the block's other
 * objects): nothing is done for it.
 *
 * Context: any context but NMI.
 */
void gomem_profile_free(const void *obj)
{
	struct gomem_sampled **pp, *e;
	unsigned long flags;

	raw_spin_lock_irqsave(&gomem_prof.lock, flags);
	for (pp = &gomem_prof.obj_bucket[obj_bucket((unsigned long)obj)]; (e = *pp);
	     pp = &e->next)
		if (e->addr == (unsigned long)obj)
			break;
	if (e) {
		*pp = e->next;
		e->stack->free_objs++;
		e->stack->free_bytes += e->bytes;
		e->next = gomem_prof.free;
		gomem_prof.free = e;
	}
	raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
}

/* The tables, at the first start: process context. */
static int profile_tables(void)
{
	struct gomem_sampled *objs;
	struct gomem_stack *stacks;
	unsigned long flags;
	unsigned int i;

	if (gomem_prof.stacks)
		return 0;
	stacks = vzalloc(array_size(GOMEM_PROFILE_STACKS, sizeof(*stacks)));
	objs = vzalloc(array_size(GOMEM_PROFILE_OBJECTS, sizeof(*objs)));
	if (!stacks || !objs) {
		vfree(stacks);
		vfree(objs);
		return -ENOMEM;
	}
	for (i = 0; i + 1 < GOMEM_PROFILE_OBJECTS; i++)
		objs[i].next = &objs[i + 1];
	raw_spin_lock_irqsave(&gomem_prof.lock, flags);
	gomem_prof.objs = objs;
	gomem_prof.free = objs;
	raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
	WRITE_ONCE(gomem_prof.stacks, stacks);
	return 0;
}

/**
 * gomem_profile_set_rate() - start, change or stop sampling
 * @rate: bytes between samples on average (Go's MemProfileRate); 1 records
 *	  every allocation; 0 stops (the profile stays readable, frees of
 *	  sampled objects are still found)
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a rate over %GOMEM_PROFILE_MAX_RATE; -ENOMEM
 * when the tables cannot be had.
 */
int gomem_profile_set_rate(unsigned long rate)
{
	unsigned long old;
	struct mcache *c;
	int ret = 0;

	if (rate > GOMEM_PROFILE_MAX_RATE)
		return -EINVAL;
	mutex_lock(&gomem_prof.rate_mutex);
	if (rate) {
		ret = profile_tables();
		if (ret)
			goto out;
	}
	old = gomem_prof.rate;
	if (rate)
		profile_rnd_seed();	/* before the draws below, and before any sample */
	WRITE_ONCE(gomem_prof.rate, rate);
	/*
	 * Each cache starts from a draw of its own. A racy write of another
	 * CPU's count: whichever value it keeps is a count to its next sample.
	 */
	if (rate) {
		for_each_mcache(c)
			WRITE_ONCE(c->next_sample, gomem_profile_draw(rate));
	}
	if (rate && !old)
		static_branch_enable(&gomem_profile_key);
	else if (!rate && old)
		static_branch_disable(&gomem_profile_key);
out:
	mutex_unlock(&gomem_prof.rate_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(gomem_profile_set_rate, GOMEM_INTERNAL);

/**
 * gomem_profile_rate() - the sampling rate in bytes, 0 when off
 *
 * Context: any context.
 * Return: the rate.
 */
unsigned long gomem_profile_rate(void)
{
	/* Written under rate_mutex with the key: nonzero iff the key is on. */
	return READ_ONCE(gomem_prof.rate);
}
EXPORT_SYMBOL_NS_GPL(gomem_profile_rate, GOMEM_INTERNAL);

/**
 * gomem_profile_read() - copy the profile's records
 * @recs: room for @max records
 * @max: how many fit
 * @dropped: set to the samples dropped for want of room, if not NULL
 *
 * Each record is copied whole under the profile's lock: its counts belong
 * to one moment (a read while allocations run sees no torn record).
 *
 * Context: any context but NMI.
 * Return: the records written, in the order their stacks were first seen.
 */
unsigned int gomem_profile_read(struct gomem_profile_rec *recs, unsigned int max,
				unsigned long *dropped)
{
	/* The count, then the records it covers: their frames were written before it. */
	unsigned int i, n = smp_load_acquire(&gomem_prof.nstacks);
	unsigned long flags;

	n = min(n, max);
	for (i = 0; i < n; i++) {
		struct gomem_stack *st = &gomem_prof.stacks[i];

		raw_spin_lock_irqsave(&gomem_prof.lock, flags);
		recs[i].alloc_objs = st->alloc_objs;
		recs[i].alloc_bytes = st->alloc_bytes;
		recs[i].inuse_objs = st->alloc_objs - st->free_objs;
		recs[i].inuse_bytes = st->alloc_bytes - st->free_bytes;
		recs[i].text = st->text;
		raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
		recs[i].nr = st->nr;
		memcpy(recs[i].frames, st->frames, st->nr * sizeof(st->frames[0]));
	}
	if (dropped)
		*dropped = READ_ONCE(gomem_prof.dropped);
	return n;
}
EXPORT_SYMBOL_NS_GPL(gomem_profile_read, GOMEM_INTERNAL);

/* Whether @addr is in @mod's code that goes: its init code only, or all of it. */
static bool profile_in(unsigned long addr, struct module *mod, bool init)
{
	return init ? within_module_init(addr, mod) : within_module(addr, mod);
}

/*
 * Put the frames of the stacks with frames in @mod (its init code, for
 * @init) into text, while its symbols are there.
 */
static void profile_symbolize(struct module *mod, bool init)
{
	/* The count, then the records it covers: their frames were written before it. */
	unsigned int i, j, n = smp_load_acquire(&gomem_prof.nstacks);
	unsigned long flags;

	for (i = 0; i < n; i++) {
		struct gomem_stack *st = &gomem_prof.stacks[i];
		char *text;

		if (READ_ONCE(st->text))
			continue;
		for (j = 0; j < st->nr; j++)
			if (profile_in(st->frames[j], mod, init))
				break;
		if (j == st->nr)
			continue;
		text = kmalloc_array(st->nr, GOMEM_PROFILE_FRAME_TEXT, GFP_KERNEL);
		if (!text)
			continue;	/* its frames stay addresses */
		for (j = 0; j < st->nr; j++)
			snprintf(text + j * GOMEM_PROFILE_FRAME_TEXT, GOMEM_PROFILE_FRAME_TEXT,
				 "%pS", (void *)st->frames[j]);
		raw_spin_lock_irqsave(&gomem_prof.lock, flags);
		if (!st->text) {
			st->text = text;
			text = NULL;
		}
		raw_spin_unlock_irqrestore(&gomem_prof.lock, flags);
		kfree(text);
	}
}

/**
 * gomem_profile_module_gone() - put the frames of a going module's stacks into text
 * @mod: the module, its symbols still there
 *
 * Called for every module going away; exported for gomem's KUnit suites.
 *
 * Context: process context; may sleep.
 */
void gomem_profile_module_gone(struct module *mod)
{
	profile_symbolize(mod, false);
}
EXPORT_SYMBOL_NS_GPL(gomem_profile_module_gone, GOMEM_INTERNAL);

/*
 * A module live, its init done but its init symbols still there: the frames
 * of its init code, which then goes, into text. A module going: all of its.
 */
static int profile_module_going(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == MODULE_STATE_LIVE)
		profile_symbolize(data, true);
	else if (action == MODULE_STATE_GOING)
		profile_symbolize(data, false);
	return NOTIFY_DONE;
}

static struct notifier_block profile_module_nb = {
	.notifier_call = profile_module_going,
};

/* /sys/kernel/debug/gomem/heap: version 1 of the text form (gomem.rst). */
static int heap_show(struct seq_file *m, void *v)
{
	u64 inuse = 0, inuse_bytes = 0, alloc = 0, alloc_bytes = 0;
	unsigned long rate = gomem_profile_rate(), dropped;
	struct gomem_profile_rec *recs;
	unsigned int i, j, n;

	recs = vmalloc(array_size(GOMEM_PROFILE_STACKS, sizeof(*recs)));
	if (!recs)
		return -ENOMEM;
	n = gomem_profile_read(recs, GOMEM_PROFILE_STACKS, &dropped);
	for (i = 0; i < n; i++) {
		inuse += recs[i].inuse_objs;
		inuse_bytes += recs[i].inuse_bytes;
		alloc += recs[i].alloc_objs;
		alloc_bytes += recs[i].alloc_bytes;
	}
	seq_printf(m, "gomem heap profile: version 1, rate %lu\n", rate);
	seq_printf(m, "heap profile: %llu: %llu [%llu: %llu] @ heap/%lu\n", inuse, inuse_bytes,
		   alloc, alloc_bytes, rate);
	for (i = 0; i < n; i++) {
		struct gomem_profile_rec *r = &recs[i];

		seq_printf(m, "%llu: %llu [%llu: %llu] @", r->inuse_objs, r->inuse_bytes,
			   r->alloc_objs, r->alloc_bytes);
		for (j = 0; j < r->nr; j++)
			seq_printf(m, " 0x%p", (void *)r->frames[j]);
		seq_putc(m, '\n');
		for (j = 0; j < r->nr; j++) {
			if (r->text)
				seq_printf(m, "#\t0x%p\t%s\n", (void *)r->frames[j],
					   r->text + j * GOMEM_PROFILE_FRAME_TEXT);
			else
				seq_printf(m, "#\t0x%p\t%pS\n", (void *)r->frames[j],
					   (void *)r->frames[j]);
		}
	}
	if (dropped)
		seq_printf(m, "# dropped %lu samples: the tables were full\n", dropped);
	vfree(recs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(heap);

static int rate_get(void *data, u64 *val)
{
	*val = gomem_profile_rate();
	return 0;
}

static int rate_set(void *data, u64 val)
{
	return gomem_profile_set_rate(val);
}
DEFINE_DEBUGFS_ATTRIBUTE(rate_fops, rate_get, rate_set, "%llu\n");

/**
 * gomem_profile_init() - the debugfs files and the module notifier
 * @rate: the module parameter profile_rate: sampling starts at once unless 0
 *
 * Context: process context, module init.
 * Return: 0, or -EINVAL, -ENOMEM or the notifier's error.
 */
int gomem_profile_init(unsigned long rate)
{
	int ret = register_module_notifier(&profile_module_nb);

	if (ret)
		return ret;
	ret = gomem_profile_set_rate(rate);
	if (ret) {
		unregister_module_notifier(&profile_module_nb);
		return ret;
	}
	gomem_prof.dir = debugfs_create_dir("gomem", NULL);
	debugfs_create_file("heap", 0400, gomem_prof.dir, NULL, &heap_fops);
	debugfs_create_file_unsafe("profile_rate", 0600, gomem_prof.dir, NULL, &rate_fops);
	return 0;
}

/**
 * gomem_profile_exit() - stop sampling, free the tables
 *
 * Also for a failed load, whatever was made (the module parameter may
 * have made the tables before gomem_profile_init()).
 *
 * Context: process context, module exit, once no allocation can run.
 */
void gomem_profile_exit(void)
{
	unsigned int i;

	debugfs_remove_recursive(gomem_prof.dir);
	gomem_prof.dir = NULL;
	gomem_profile_set_rate(0);
	unregister_module_notifier(&profile_module_nb);
	if (!gomem_prof.stacks)
		return;
	for (i = 0; i < gomem_prof.nstacks; i++)
		kfree(gomem_prof.stacks[i].text);
	vfree(gomem_prof.stacks);
	vfree(gomem_prof.objs);
	gomem_prof.stacks = NULL;
	gomem_prof.objs = NULL;
}
