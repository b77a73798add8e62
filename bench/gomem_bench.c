// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_bench - gomem against SLUB, side by side, in one boot.
 *
 * Loading the module runs the benchmark from a kthread and returns from init
 * once every object is freed; rmmod unloads it. Each scenario times
 * gomem_alloc()/gomem_free() and kmalloc()/kfree(), and a kmem_cache of its
 * own where a case has a single size:
 *
 *  1. fast      alloc+free of one size in a tight loop
 *  2. batch     allocate batch_objects objects, then free them all, in LIFO
 *               and in random order
 *  3. mixed     log-uniform sizes 8 B-32 KiB: each operation frees a random
 *               object of a live set of mixed_live and allocates its
 *               replacement; one precomputed sequence for every allocator
 *  4. remote    allocated by a kthread on CPU A, freed by one on CPU B,
 *               handed over through a ring
 *  5. parallel  the fast (parallel_size, 64 B) and mixed loops on 1, 2,
 *               4... CPUs at once, one bound kthread each, started by a
 *               barrier
 *  6. tiny      bytes held for tiny_objects objects of 1-15 B, then of
 *               1-8 B; the tiny allocator is gomem.ko's "tiny" parameter, so
 *               scripts/bench.sh loads gomem twice, this module with each
 *  7. memory    bytes held for mem_objects log-uniform objects
 *  8. floor     a per-CPU array pop/push with preemption off: the least a
 *               per-CPU cache can do, timed with the loop of 1.
 *  9. bulk      gomem_alloc_bulk() of 16 and 64 objects, then
 *               gomem_free_bulk(), against a kmem_cache's bulk calls
 * 10. churn     bytes held after churn, log-uniform sizes: frag, churn_mb
 *               MiB allocated, a random 90 % freed, then the rest; small,
 *               about 512 KiB held; steady, a live set of churn_live_mb MiB
 *               whose random objects are replaced until 10 times it was
 *               allocated, sampled as it goes
 * 11. rcu       rcu_objects objects of 64 B freed through gomem_free_rcu()
 *               against kfree_rcu() of kmalloc()'s: ns per call, bytes held
 *               with the grace periods pending (the objects and the
 *               queues' own), and for gomem the ms until every object was
 *               freed (rcu_pending back to 0)
 *
 * Method. A measurement runs a loop for a number of iterations calibrated to
 * last about budget_ms (a short run, doubled until it lasts budget_ms / 16,
 * then scaled). Each case is measured repeats times, the allocators
 * interleaved so that a slow moment of the host hits all of them; the median
 * is reported. Single-CPU loops run in a kthread bound to the first online
 * CPU; remote and parallel loops in kthreads bound to the first CPUs.
 *
 * The memory scenarios (tiny, memory, churn) run first and hold one
 * allocator's population at a time, gomem's before SLUB's. gomem's figures
 * are deltas of gomem_read_memstats(), SLUB's of its slab pages (kmalloc's
 * large pages included): tiny and memory read those 2.5 s after the
 * allocations (vmstat's per-CPU deltas folded), churn adds the deltas not
 * folded yet. churn's "held" (gomem: heap_sys - heap_released) comes from a
 * settle poll, a reading every 100 ms until one holds within 1 % for 1 s
 * (at most 30 s), before each case (the base of its deltas) and after each
 * step; its deltas are signed in the table, clamped at 0 in the
 * machine-readable lines.
 *
 * Output. A human table per scenario (lines "gomem_bench: ...") and one
 * machine-readable line per result:
 *
 *   bench: <scenario> size=<bytes> gomem_ns=<n> slub_ns=<n> ratio=<g/s> kernel=<release>
 *
 * with "floor_ns" for the floor, "gomem_bytes"/"slub_bytes" for the memory
 * scenarios, "gomem_x"/"slub_x" (or "floor_x") for parallel speedups and
 * churn's held/live, and "gomem_ms"/"slub_ms" (3 decimals) for churn's
 * settle and churn times; ratio is always gomem's figure over the other,
 * with 3 decimals. When gomem.ko was loaded with tiny=0, scenario names but
 * tiny's end in "-tiny-off". A "bench-header:" line comes first,
 * "bench-failed:" marks a scenario ended by a failed allocation and
 * "bench-done:" comes last. See Documentation/performance.rst.
 */

/* No prefix: machine-readable lines start with "bench"; bench_pr() adds one. */
#define pr_fmt(fmt) fmt

#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <linux/vmstat.h>

#include "../gomem/gomem.h"
#include "plugin/mark.h"

#define bench_pr(fmt, ...) pr_info(KBUILD_MODNAME ": " fmt, ##__VA_ARGS__)

/* === Parameters === */

static char *only = "all";
module_param(only, charp, 0444);
MODULE_PARM_DESC(only,
		 "Scenarios to run, comma-separated: fast,batch,mixed,remote,parallel,tiny,memory,floor,bulk,churn,rcu or all (default: all)");

static unsigned int budget_ms = 50;
module_param(budget_ms, uint, 0444);
MODULE_PARM_DESC(budget_ms, "Target duration of one measurement in ms, 1-2000 (default: 50)");

static unsigned int repeats = 5;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "Measurements of each case, the median is reported, 1-15 (default: 5)");

static unsigned int batch_objects = 10000;
module_param(batch_objects, uint, 0444);
MODULE_PARM_DESC(batch_objects, "Objects allocated, then freed, by the batch scenario, 1-1000000 (default: 10000)");

static unsigned int mixed_live = 4096;
module_param(mixed_live, uint, 0444);
MODULE_PARM_DESC(mixed_live, "Live objects of the mixed scenarios, 1-65536 (default: 4096)");

static unsigned int tiny_objects = 100000;
module_param(tiny_objects, uint, 0444);
MODULE_PARM_DESC(tiny_objects, "Objects of each tiny population (1-15 B, 1-8 B), 1-2000000 (default: 100000)");

static unsigned int mem_objects = 20000;
module_param(mem_objects, uint, 0444);
MODULE_PARM_DESC(mem_objects, "Objects of 8 B-32 KiB held by the memory scenario, 1-100000 (default: 20000)");

static unsigned int churn_mb = 64;
module_param(churn_mb, uint, 0444);
MODULE_PARM_DESC(churn_mb, "MiB requested by the churn scenario's fragmentation case, 1-256 (default: 64)");

static unsigned int churn_live_mb = 8;
module_param(churn_live_mb, uint, 0444);
MODULE_PARM_DESC(churn_live_mb, "MiB of the live set of the churn scenario's steady case, 1-64 (default: 8)");

static unsigned int rcu_objects = 100000;
module_param(rcu_objects, uint, 0444);
MODULE_PARM_DESC(rcu_objects, "Objects the rcu scenario frees through RCU, 1000-1000000 (default: 100000)");

static unsigned int churn_steady_ms = 5000;
module_param(churn_steady_ms, uint, 0444);
MODULE_PARM_DESC(churn_steady_ms, "Least ms the steady churn lasts, for the scavenger's CPU share, 0-600000 (default: 5000)");

static unsigned int fast_max = 65536;
module_param(fast_max, uint, 0444);
MODULE_PARM_DESC(fast_max, "Largest object size of the fast and floor scenarios, 8-65536 (default: 65536)");

static unsigned int parallel_size = 64;
module_param(parallel_size, uint, 0444);
MODULE_PARM_DESC(parallel_size, "Object size of the parallel fast loop, 8-32768 (default: 64)");

static unsigned int host_cpus;
module_param(host_cpus, uint, 0444);
MODULE_PARM_DESC(host_cpus, "Host CPUs behind the guest's, only printed, 0-65536 (default: 0, unknown)");

static bool marks;
module_param(marks, bool, 0444);
MODULE_PARM_DESC(marks,
		 "Run the plugin markers around every timed run and print a bench-region line for each (make bench-insns; default: off)");

/* === Scenarios, allocators, results === */

enum bench_scenario {
	SC_FAST, SC_BATCH, SC_MIXED, SC_REMOTE, SC_PARALLEL, SC_TINY, SC_MEMORY, SC_FLOOR,
	SC_BULK, SC_CHURN, SC_RCU, SC_NR,
};

static const char * const scenario_names[] = {
	[SC_FAST] = "fast", [SC_BATCH] = "batch", [SC_MIXED] = "mixed",
	[SC_REMOTE] = "remote", [SC_PARALLEL] = "parallel", [SC_TINY] = "tiny",
	[SC_MEMORY] = "memory", [SC_FLOOR] = "floor", [SC_BULK] = "bulk",
	[SC_CHURN] = "churn", [SC_RCU] = "rcu",
};

static_assert(ARRAY_SIZE(scenario_names) == SC_NR);

enum bench_alloc {
	BA_GOMEM, BA_KMALLOC, BA_CACHE, BA_FLOOR, BA_FLOOR_IRQ, BA_FLOOR_ATOMIC, BA_NONE, BA_NR,
};

static const char * const alloc_names[] = {
	[BA_GOMEM] = "gomem", [BA_KMALLOC] = "kmalloc", [BA_CACHE] = "kmem_cache",
	[BA_FLOOR] = "floor", [BA_FLOOR_IRQ] = "floor, irqs off",
	[BA_FLOOR_ATOMIC] = "floor + 2 atomics", [BA_NONE] = "ring only",
};

static_assert(ARRAY_SIZE(alloc_names) == BA_NR);

/* Machine-readable results: what the two figures are. */
enum bench_unit { BU_NS, BU_FLOOR, BU_CTX, BU_ATOMIC, BU_BYTES, BU_X, BU_XFLOOR, BU_MS, BU_NR };

static const char * const unit_keys[][2] = {
	[BU_NS]		= { "gomem_ns", "slub_ns" },
	[BU_FLOOR]	= { "gomem_ns", "floor_ns" },
	[BU_CTX]	= { "percontext_ns", "irqsave_ns" },
	[BU_ATOMIC]	= { "floor_ns", "atomics_ns" },
	[BU_BYTES]	= { "gomem_bytes", "slub_bytes" },
	[BU_X]		= { "gomem_x", "slub_x" },
	[BU_XFLOOR]	= { "gomem_x", "floor_x" },
	[BU_MS]		= { "gomem_ms", "slub_ms" },
};

static_assert(ARRAY_SIZE(unit_keys) == BU_NR);

static const unsigned int fast_sizes[] = {
	8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 32768, 65536,
};

static const unsigned int batch_sizes[] = { 64, 256 };
static const unsigned int bulk_sizes[] = { 64, 256 };
static const unsigned int bulk_counts[] = { 16, 64 };
static const unsigned int remote_sizes[] = { 64, 256 };
/* Operations of the mixed sequence; a measurement cycles through it. */
#define MIXED_OPS		65536
#define MIXED_MAX_SIZE		32768
#define RING_SIZE		512
#define FLOOR_SLOTS		16
#define FLOOR_OBJ_SIZE		65536
/* Per-CPU vmstat deltas are folded within about 2 s (vmstat_shepherd, 1 s period). */
#define VMSTAT_SETTLE_MS	2500
/* A group run stops after this many times budget_ms. */
#define GROUP_STALL_BUDGETS	10
/* Room for a formatted u64 with decimals. */
#define NUMBUF			24

/* One step of the mixed scenarios: free the object in @slot, allocate @size. */
struct bench_op {
	u32 size;
	u32 slot;
};

/* The state of a ring between a producer and a consumer kthread. */
struct bench_ring {
	void *slot[RING_SIZE];		/* written by the producer before head */
	u64 head ____cacheline_aligned;	/* objects pushed: producer, release */
	u64 tail ____cacheline_aligned;	/* objects popped: consumer, release */
};

/*
 * struct bench_case - what a timed loop works on. Each loop uses some of the
 * fields; a parallel or remote run has one per kthread, in an array.
 */
struct bench_case {
	const char *name;		/* scenario, for failure lines */
	size_t size;			/* object size (largest for mixed) */
	struct kmem_cache *cache;	/* BA_CACHE: a cache of @size */
	enum bench_alloc alloc;		/* group runs: the allocator */
	u64 n;				/* group runs: iterations */
	u64 min_iters;			/* calibration starts here (0: 1) */
	u64 done;			/* iterations the last run did (< n if stopped) */
	unsigned int nr_cpus;		/* parallel runs: kthreads (first case) */
	bool mixed;			/* parallel runs: the mixed loop, not fast */
	bool consumer;			/* remote runs: frees, the other allocates */
	unsigned int nobjs;		/* batch: objects per round */
	void **objs;			/* batch: the objects */
	const u32 *order;		/* batch: free order, NULL for LIFO */
	void **live;			/* mixed: the live set, mixed_live long */
	struct bench_ring *ring;	/* remote: the shared ring */
};

/* One measured case: iterations per measurement, median ps per operation. */
struct bench_meas {
	u64 iters;
	u64 ps;
};

static unsigned long scenarios;		/* BIT(enum bench_scenario) to run */
static const char *kernel_release;	/* init_utsname()->release */
static bool gomem_tiny;			/* gomem.ko was loaded with tiny=1 */
static unsigned int *bench_cpus;	/* online CPUs, the driver's first */
static unsigned int nr_bench_cpus;
static struct bench_op *mixed_ops;	/* the mixed sequence, MIXED_OPS long */

/*
 * Timed loops of a group run stop at this time (0: never), see
 * bench_group_run(); written by the driver while no such loop runs.
 */
static u64 bench_deadline;

/* Totals for the "bench-done:" line; written by the driver kthread only. */
static unsigned int nr_results, nr_failures, nr_stopped;
static u64 nr_measurements, nr_iterations;

typedef s64 (*bench_run_t)(struct bench_case *bc, enum bench_alloc a, u64 n);

static bool want(enum bench_scenario sc)
{
	return scenarios & BIT(sc);
}

/* === Small helpers === */

/* splitmix64: the same sequence on every kernel and for every allocator. */
static u64 bench_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u32 bench_below(u64 *state, u32 ceil)
{
	return (u32)(((bench_rand(state) & 0xffffffffULL) * ceil) >> 32);
}

/* Log-uniform by octave: an octave of 8 B-32 KiB, then a size inside it. */
static u32 bench_loguniform(u64 *state)
{
	u32 shift = 3 + bench_below(state, 12);

	return (1U << shift) + bench_below(state, 1U << shift);
}

/* thousandths of @a / @b, rounded */
static u64 ratio_milli(u64 a, u64 b)
{
	return b ? div64_u64(a * 1000 + b / 2, b) : 0;
}

/* @ps in ns with one decimal, into @buf. */
static const char *fmt_ns(char *buf, size_t len, u64 ps)
{
	u64 tenths = div_u64(ps + 50, 100);

	snprintf(buf, len, "%llu.%llu", div_u64(tenths, 10), tenths % 10);
	return buf;
}

/* @milli thousandths as a decimal, into @buf. */
static const char *fmt_milli(char *buf, size_t len, u64 milli)
{
	snprintf(buf, len, "%llu.%03llu", div_u64(milli, 1000), milli % 1000);
	return buf;
}

/* @a / @b with 3 decimals, into @buf (NUMBUF bytes). */
static const char *fmt_ratio(char *buf, u64 a, u64 b)
{
	return fmt_milli(buf, NUMBUF, ratio_milli(a, b));
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Bytes of slab pages (kmalloc_large pages included) once per-CPU deltas are folded. */
static u64 slab_bytes_settled(void)
{
	msleep(VMSTAT_SETTLE_MS);
	return (u64)global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) << PAGE_SHIFT;
}

/*
 * Bytes of slab pages now, the per-CPU deltas not yet folded included, as
 * zone_page_state_snapshot() sums a zone's: exact enough to poll every
 * 100 ms. A fold racing with the sum can count a delta twice or not at all.
 */
static u64 slab_bytes_now(void)
{
	long pages = atomic_long_read(&vm_node_stat[NR_SLAB_UNRECLAIMABLE_B]);
	struct per_cpu_nodestat *pcp;
	int nid, cpu;

	for_each_online_node(nid) {
		for_each_online_cpu(cpu) {
			pcp = per_cpu_ptr(NODE_DATA(nid)->per_cpu_nodestats, cpu);
			pages += READ_ONCE(pcp->vm_node_stat_diff[NR_SLAB_UNRECLAIMABLE_B]);
		}
	}
	return pages > 0 ? (u64)pages << PAGE_SHIFT : 0;
}

/*
 * Print one machine-readable line. @g and @o: ps (BU_NS, BU_FLOOR, BU_CTX,
 * BU_ATOMIC), thousandths (BU_X, BU_XFLOOR), us (BU_MS, printed as ms with 3
 * decimals) or bytes.
 */
static void bench_emit(const char *name, u64 size, enum bench_unit unit, u64 g, u64 o)
{
	u64 r = ratio_milli(g, o);
	char gb[24], ob[24];
	/* Results of a load of gomem with tiny=0 are named apart (but tiny's own). */
	const char *suffix = gomem_tiny || !strncmp(name, "tiny", 4) ? "" : "-tiny-off";

	switch (unit) {
	case BU_NS:
	case BU_FLOOR:
	case BU_CTX:
	case BU_ATOMIC:
		snprintf(gb, sizeof(gb), "%llu", div_u64(g + 500, 1000));
		snprintf(ob, sizeof(ob), "%llu", div_u64(o + 500, 1000));
		break;
	case BU_X:
	case BU_XFLOOR:
	case BU_MS:
		fmt_milli(gb, sizeof(gb), g);
		fmt_milli(ob, sizeof(ob), o);
		break;
	default:
		snprintf(gb, sizeof(gb), "%llu", g);
		snprintf(ob, sizeof(ob), "%llu", o);
		break;
	}
	pr_info("bench: %s%s size=%llu %s=%s %s=%s ratio=%llu.%03llu kernel=%s\n", name, suffix,
		size, unit_keys[unit][0], gb, unit_keys[unit][1], ob, div_u64(r, 1000), r % 1000,
		kernel_release);
	nr_results++;
}

static void bench_failed(const char *name, u64 size, const char *who, int err)
{
	pr_info("bench-failed: %s size=%llu allocator=%s error=%d: scenario ended, its objects freed\n",
		name, size, who, err);
	nr_failures++;
}

/* Wait without tripping the hung-task detector: the benchmark takes minutes. */
static void bench_wait(struct completion *done)
{
	while (!wait_for_completion_timeout(done, 10 * HZ))
		;
}

/* === The floor: a per-CPU array, preemption off === */

struct bench_floor {
	unsigned int count;
	void *objs[FLOOR_SLOTS];
};

static DEFINE_PER_CPU(struct bench_floor, bench_floor);
static void *floor_mem;			/* FLOOR_OBJ_SIZE per possible CPU */

/* The least a per-CPU cache does: pop with preemption off (and init_on_alloc). */
static noinline void *floor_alloc(size_t size)
{
	struct bench_floor *f;
	void *p = NULL;

	preempt_disable();
	f = this_cpu_ptr(&bench_floor);
	if (likely(f->count))
		p = f->objs[--f->count];
	preempt_enable();
	if (p && want_init_on_alloc(GFP_KERNEL))
		memset(p, 0, size);
	return p;
}

static noinline void floor_free(void *p)
{
	struct bench_floor *f;

	preempt_disable();
	f = this_cpu_ptr(&bench_floor);
	if (likely(f->count < FLOOR_SLOTS))
		f->objs[f->count++] = p;
	preempt_enable();
}

/*
 * The other way to keep interrupts out of a per-CPU cache: one cache per CPU
 * with interrupts disabled around each operation (gomem uses a cache per
 * context with preemption disabled instead).
 */
static noinline void *floor_irq_alloc(size_t size)
{
	struct bench_floor *f;
	unsigned long flags;
	void *p = NULL;

	local_irq_save(flags);
	f = this_cpu_ptr(&bench_floor);
	if (likely(f->count))
		p = f->objs[--f->count];
	local_irq_restore(flags);
	if (p && want_init_on_alloc(GFP_KERNEL))
		memset(p, 0, size);
	return p;
}

static noinline void floor_irq_free(void *p)
{
	struct bench_floor *f;
	unsigned long flags;

	local_irq_save(flags);
	f = this_cpu_ptr(&bench_floor);
	if (likely(f->count < FLOOR_SLOTS))
		f->objs[f->count++] = p;
	local_irq_restore(flags);
}

/*
 * Two locked bit operations, one on each side: what gomem's exact
 * double-free check cost until its live bits became live bytes (now one
 * xchg at free); kept as a measure of what a locked operation costs.
 */
static DEFINE_PER_CPU(unsigned long, bench_floor_bits);

static noinline void *floor_atomic_alloc(size_t size)
{
	void *p = floor_alloc(size);

	set_bit(0, raw_cpu_ptr(&bench_floor_bits));
	return p;
}

static noinline void floor_atomic_free(void *p)
{
	if (!test_and_clear_bit(0, raw_cpu_ptr(&bench_floor_bits)))
		pr_err_once("floor + atomics: bit not set\n");
	floor_free(p);
}

static int floor_init(void)
{
	unsigned int cpu, i;

	floor_mem = kvmalloc_array(nr_cpu_ids, FLOOR_OBJ_SIZE, GFP_KERNEL);
	if (!floor_mem)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct bench_floor *f = per_cpu_ptr(&bench_floor, cpu);

		/* A CPU's slots all point to its own chunk: CPUs share no line. */
		for (i = 0; i < FLOOR_SLOTS; i++)
			f->objs[i] = floor_mem + (size_t)cpu * FLOOR_OBJ_SIZE;
		f->count = FLOOR_SLOTS;
	}
	return 0;
}

/* === Allocators: @a is a constant where it matters, so each loop is specialised === */

static u64 bench_dummy;			/* the "object" of BA_NONE */

static __always_inline void *ba_alloc(enum bench_alloc a, size_t size, struct kmem_cache *cache)
{
	switch (a) {
	case BA_GOMEM:
		return gomem_alloc(size, GFP_KERNEL);
	case BA_KMALLOC:
		return kmalloc(size, GFP_KERNEL);
	case BA_CACHE:
		return kmem_cache_alloc(cache, GFP_KERNEL);
	case BA_FLOOR:
		return floor_alloc(size);
	case BA_FLOOR_IRQ:
		return floor_irq_alloc(size);
	case BA_FLOOR_ATOMIC:
		return floor_atomic_alloc(size);
	default:
		return &bench_dummy;
	}
}

static __always_inline void ba_free(enum bench_alloc a, void *p, struct kmem_cache *cache)
{
	switch (a) {
	case BA_GOMEM:
		gomem_free(p);
		break;
	case BA_KMALLOC:
		kfree(p);
		break;
	case BA_CACHE:
		kmem_cache_free(cache, p);
		break;
	case BA_FLOOR:
		floor_free(p);
		break;
	case BA_FLOOR_IRQ:
		floor_irq_free(p);
		break;
	case BA_FLOOR_ATOMIC:
		floor_atomic_free(p);
		break;
	default:
		break;
	}
}

/* === Timed loops === */

/* Past bench_deadline? Looked at every 1024 iterations, so it costs nothing. */
static __always_inline bool bench_stop(u64 i)
{
	u64 deadline;

	if (likely((i & 1023) != 1023))
		return false;
	deadline = READ_ONCE(bench_deadline);
	return deadline && ktime_get_ns() > deadline;
}

/* 1. fast: alloc+free of one size. Returns ns, or -ENOMEM (nothing held). */
static __always_inline s64 fast_loop(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	size_t size = bc->size;
	struct kmem_cache *cache = bc->cache;
	u64 t0 = ktime_get_ns(), i;
	void *p;

	for (i = 0; i < n && !bench_stop(i); i++) {
		p = ba_alloc(a, size, cache);
		if (unlikely(!p))
			return -ENOMEM;
		ba_free(a, p, cache);
	}
	bc->done = i;
	return ktime_get_ns() - t0;
}

static noinline s64 fast_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	switch (a) {
	case BA_GOMEM:
		return fast_loop(bc, BA_GOMEM, n);
	case BA_KMALLOC:
		return fast_loop(bc, BA_KMALLOC, n);
	case BA_CACHE:
		return fast_loop(bc, BA_CACHE, n);
	case BA_FLOOR:
		return fast_loop(bc, BA_FLOOR, n);
	case BA_FLOOR_IRQ:
		return fast_loop(bc, BA_FLOOR_IRQ, n);
	case BA_FLOOR_ATOMIC:
		return fast_loop(bc, BA_FLOOR_ATOMIC, n);
	default:
		return -EINVAL;
	}
}

/* 2. batch: @n rounds of nobjs allocations, then nobjs frees in LIFO or random order. */
static __always_inline s64 batch_loop(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	unsigned int i, nobjs = bc->nobjs;
	struct kmem_cache *cache = bc->cache;
	const u32 *order = bc->order;
	void **objs = bc->objs;
	u64 t0 = ktime_get_ns(), r;

	for (r = 0; r < n; r++) {
		for (i = 0; i < nobjs; i++) {
			objs[i] = ba_alloc(a, bc->size, cache);
			if (unlikely(!objs[i])) {
				while (i--)
					ba_free(a, objs[i], cache);
				return -ENOMEM;
			}
		}
		if (order) {
			for (i = 0; i < nobjs; i++)
				ba_free(a, objs[order[i]], cache);
		} else {
			for (i = nobjs; i--;)
				ba_free(a, objs[i], cache);
		}
	}
	return ktime_get_ns() - t0;
}

static noinline s64 batch_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	switch (a) {
	case BA_GOMEM:
		return batch_loop(bc, BA_GOMEM, n);
	case BA_KMALLOC:
		return batch_loop(bc, BA_KMALLOC, n);
	case BA_CACHE:
		return batch_loop(bc, BA_CACHE, n);
	default:
		return -EINVAL;
	}
}

/*
 * 9. bulk: @n rounds of one bulk allocation of nobjs objects and one bulk
 * free of them: gomem_alloc_bulk()/gomem_free_bulk() against
 * kmem_cache_alloc_bulk()/kmem_cache_free_bulk() (kmalloc has no bulk
 * interface in 6.1).
 */
static noinline s64 bulk_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	unsigned int nobjs = bc->nobjs;
	void **objs = bc->objs;
	u64 t0 = ktime_get_ns(), r;

	for (r = 0; r < n; r++) {
		if (a == BA_GOMEM) {
			if (unlikely(!gomem_alloc_bulk(bc->size, GFP_KERNEL, nobjs, objs)))
				return -ENOMEM;
			gomem_free_bulk(nobjs, objs);
		} else {
			if (unlikely(!kmem_cache_alloc_bulk(bc->cache, GFP_KERNEL, nobjs, objs)))
				return -ENOMEM;
			kmem_cache_free_bulk(bc->cache, nobjs, objs);
		}
	}
	return ktime_get_ns() - t0;
}

/* 3. mixed: fill the live set (untimed), replace @n objects (timed), free the set. */
static int mixed_fill(struct bench_case *bc, enum bench_alloc a)
{
	unsigned int i;

	for (i = 0; i < mixed_live; i++) {
		bc->live[i] = ba_alloc(a, mixed_ops[i % MIXED_OPS].size, NULL);
		if (!bc->live[i])
			return -ENOMEM;
	}
	return 0;
}

static void mixed_drain(struct bench_case *bc, enum bench_alloc a)
{
	unsigned int i;

	for (i = 0; i < mixed_live; i++) {
		if (bc->live[i])
			ba_free(a, bc->live[i], NULL);
		bc->live[i] = NULL;
	}
}

/* Returns ns, or -ENOMEM; the live set stays for mixed_drain() either way. */
static __always_inline s64 mixed_loop(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	const struct bench_op *op = mixed_ops, *end = mixed_ops + MIXED_OPS;
	void **live = bc->live;
	u64 t0 = ktime_get_ns(), i;
	void *p;

	for (i = 0; i < n && !bench_stop(i); i++) {
		ba_free(a, live[op->slot], NULL);
		p = ba_alloc(a, op->size, NULL);
		live[op->slot] = p;
		if (unlikely(!p))
			return -ENOMEM;
		if (++op == end)
			op = mixed_ops;
	}
	bc->done = i;
	return ktime_get_ns() - t0;
}

static noinline s64 mixed_steady(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	switch (a) {
	case BA_GOMEM:
		return mixed_loop(bc, BA_GOMEM, n);
	case BA_KMALLOC:
		return mixed_loop(bc, BA_KMALLOC, n);
	default:
		return -EINVAL;
	}
}

static s64 mixed_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	s64 ret = mixed_fill(bc, a);

	if (!ret)
		ret = mixed_steady(bc, a, n);
	mixed_drain(bc, a);
	return ret;
}

/* === kthread groups: one bound kthread per CPU, a start barrier === */

/*
 * One step of a busy-wait. Not cpu_relax(): under QEMU TCG, PAUSE leaves the
 * translated code and takes QEMU's global lock on every iteration, so two
 * vCPUs spinning with it stall each other (and the vCPU they wait for) for
 * milliseconds. A compiler barrier keeps the wait in translated code.
 */
static __always_inline void bench_spin(void)
{
	barrier();
}

struct bench_group {
	unsigned int nr;		/* kthreads */
	atomic_t arrived;		/* kthreads at the barrier */
	int go;				/* 1 once all arrived: release, acquire */
	atomic_t running;		/* kthreads not done yet */
	struct completion done;		/* when running reaches 0 */
	u64 t0;				/* barrier opened; written before go */
};

struct bench_worker {
	struct bench_group *g;
	struct task_struct *task;
	void (*fn)(struct bench_worker *w);	/* must call bench_sync() once */
	struct bench_case *bc;
	u64 end;			/* when its timed part ended */
	int err;
};

/* The start barrier: the last kthread to arrive opens it and takes the time. */
static void bench_sync(struct bench_worker *w)
{
	struct bench_group *g = w->g;

	if (atomic_inc_return(&g->arrived) == g->nr) {
		g->t0 = ktime_get_ns();
		/* Pairs with the acquire below: t0 is written before go. */
		smp_store_release(&g->go, 1);
		return;
	}
	/* Pairs with the release above. */
	while (!smp_load_acquire(&g->go))
		bench_spin();
}

static int bench_worker_main(void *data)
{
	struct bench_worker *w = data;

	w->fn(w);
	if (atomic_dec_and_test(&w->g->running))
		complete(&w->g->done);
	/* Stay until kthread_stop(): the driver reads the results first. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/*
 * Run @fn in @nr kthreads, the i-th bound to bench_cpus[i] with @bcs[i] (or
 * NULL). Returns the ns from the barrier to the last end, or the first error.
 *
 * With @bcs, the loops stop at a deadline of GROUP_STALL_BUDGETS times
 * budget_ms: under QEMU TCG a contended spinlock can stall vCPUs for
 * milliseconds per acquisition, and a run expected to last budget_ms could
 * take minutes. A run that stopped early reports its time scaled to the
 * iterations asked for (its throughput is what was measured).
 */
static s64 bench_group_run(void (*fn)(struct bench_worker *w), struct bench_case *bcs,
			   unsigned int nr)
{
	u64 end = 0, asked = 0, done = 0;
	struct bench_worker *w;
	struct bench_group g;
	unsigned int i, created = 0;
	s64 ret = 0;

	w = kcalloc(nr, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	g.nr = nr;
	atomic_set(&g.arrived, 0);
	g.go = 0;
	atomic_set(&g.running, nr);
	init_completion(&g.done);
	g.t0 = 0;
	for (i = 0; i < nr; i++) {
		w[i].g = &g;
		w[i].fn = fn;
		w[i].bc = bcs ? &bcs[i] : NULL;
		w[i].task = kthread_create(bench_worker_main, &w[i], "gomem_bench/%u",
					   bench_cpus[i]);
		if (IS_ERR(w[i].task)) {
			ret = PTR_ERR(w[i].task);
			goto stop;
		}
		kthread_bind(w[i].task, bench_cpus[i]);
		created++;
	}
	if (bcs)
		WRITE_ONCE(bench_deadline, ktime_get_ns() +
			   (u64)GROUP_STALL_BUDGETS * budget_ms * NSEC_PER_MSEC);
	for (i = 0; i < nr; i++)
		wake_up_process(w[i].task);
	bench_wait(&g.done);
	WRITE_ONCE(bench_deadline, 0);
	for (i = 0; i < nr; i++) {
		if (w[i].err && !ret)
			ret = w[i].err;
		end = max(end, w[i].end);
		if (bcs) {
			asked += bcs[i].n;
			done += bcs[i].done;
		}
	}
	if (!ret)
		ret = end - g.t0;
	if (ret > 0 && done < asked) {
		ret = done ? mul_u64_u64_div_u64(ret, asked, done) : -ETIMEDOUT;
		nr_stopped++;
	}
stop:
	/* A kthread never woken is stopped before it runs @fn. */
	for (i = 0; i < created; i++)
		kthread_stop(w[i].task);
	kfree(w);
	return ret;
}

/* === Measurement === */

/* Find the iterations that make one measurement last about budget_ms. */
static int bench_calibrate(bench_run_t run, struct bench_case *bc, enum bench_alloc a,
			   u64 *iters)
{
	u64 budget = (u64)budget_ms * NSEC_PER_MSEC, n = max_t(u64, bc->min_iters, 1);
	s64 t;

	for (;;) {
		t = run(bc, a, n);
		if (t < 0)
			return t;
		if (t >= budget / 16 || n >= (1ULL << 32))
			break;
		n *= 2;
	}
	*iters = max_t(u64, 1, mul_u64_u64_div_u64(n, budget, max_t(u64, t, 1)));
	return 0;
}

/*
 * Measure @run for the @nr allocators of @allocs: calibrate each (unless
 * @out[i].iters is set already), then `repeats` rounds each timing every
 * allocator once. @ops: operations per iteration, for the time per
 * operation. On a failed allocation, prints a "bench-failed:" line and
 * returns the error.
 */
/*
 * With marks=1, a timed run between the markers of the instruction-counting
 * plugin (bench/plugin/insns.c), and a line naming the region: the plugin's
 * region N is the N-th "bench-region" line.
 */
static u64 nr_regions;

static s64 marked_run(bench_run_t run, struct bench_case *bc, enum bench_alloc a, u64 iters,
		      unsigned int ops)
{
	s64 ns;

	if (!marks)
		return run(bc, a, iters);
	gomem_mark_start();
	ns = run(bc, a, iters);
	gomem_mark_stop();
	pr_info("bench-region %llu: %s %zu %s ops=%llu\n", nr_regions++, bc->name, bc->size,
		alloc_names[a], iters * ops);
	return ns;
}

/*
 * The plugin's test: 1000 rounds of one "lock incl", one "xchg" with memory
 * and one plain add, between the markers: region 0 must count exactly 2000
 * locked instructions (bench-insns.sh checks it).
 */
static void marks_selftest(void)
{
	unsigned int v = 0, x = 0, i;

	gomem_mark_start();
	for (i = 0; i < 1000; i++)
		asm volatile("lock incl %0\n\txchgl %1, %0\n\taddl $1, %1"
			     : "+m" (v), "+r" (x) :: "memory");
	gomem_mark_stop();
	pr_info("bench-region %llu: selftest 0 locked-2000 ops=1000\n", nr_regions++);
}

static int bench_measure(bench_run_t run, struct bench_case *bc, const enum bench_alloc *allocs,
			 unsigned int nr, unsigned int ops, struct bench_meas *out)
{
	unsigned int i, r;
	int ret = 0;
	u64 *t;
	s64 ns;

	t = kcalloc(nr * repeats, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (out[i].iters)
			continue;
		ret = bench_calibrate(run, bc, allocs[i], &out[i].iters);
		if (ret)
			goto fail;
		cond_resched();
	}
	for (r = 0; r < repeats; r++) {
		for (i = 0; i < nr; i++) {
			ns = marked_run(run, bc, allocs[i], out[i].iters, ops);
			if (ns < 0) {
				ret = ns;
				goto fail;
			}
			t[i * repeats + r] = ns;
			nr_measurements++;
			nr_iterations += out[i].iters;
			cond_resched();
		}
	}
	for (i = 0; i < nr; i++)
		out[i].ps = mul_u64_u64_div_u64(median(&t[i * repeats], repeats), 1000,
						out[i].iters * ops);
	kfree(t);
	return 0;
fail:
	bench_failed(bc->name, bc->size, alloc_names[allocs[i]], ret);
	kfree(t);
	return ret;
}

static struct kmem_cache *bench_cache_create(size_t size)
{
	char name[32];

	snprintf(name, sizeof(name), "gomem_bench_%zu", size);
	return kmem_cache_create(name, size, 0, 0, NULL);
}

/* === 1. fast path and 8. floor === */

/*
 * What design choices cost on the floor: interrupts disabled around the
 * cache instead of a cache per context, and two locked bit operations (the
 * exact double-free check's cost before it became one xchg at free).
 */
static void bench_floor_variants(void)
{
	enum bench_alloc allocs[] = { BA_FLOOR, BA_FLOOR_IRQ, BA_FLOOR_ATOMIC };
	struct bench_case bc = { .name = "floor-variants", .size = 8 };
	struct bench_meas m[ARRAY_SIZE(allocs)] = {};
	char b[3][NUMBUF];

	if (bench_measure(fast_run, &bc, allocs, ARRAY_SIZE(allocs), 1, m))
		return;
	bench_pr("floor, 8 B, ns per pair: preemption off %s, irqs off %s, + 2 atomics %s\n",
		 fmt_ns(b[0], NUMBUF, m[0].ps), fmt_ns(b[1], NUMBUF, m[1].ps),
		 fmt_ns(b[2], NUMBUF, m[2].ps));
	bench_emit("ctx-irqsave", bc.size, BU_CTX, m[0].ps, m[1].ps);
	bench_emit("floor-atomics", bc.size, BU_ATOMIC, m[0].ps, m[2].ps);
}

static void bench_fast(void)
{
	enum bench_alloc allocs[4];
	struct bench_meas m[4] = {};
	struct bench_case bc = { .name = "fast" };
	unsigned int nr = 0, i, k, kc = 0, fl = 0;
	char b[7][NUMBUF];

	allocs[nr++] = BA_GOMEM;
	if (want(SC_FAST)) {
		k = nr;
		allocs[nr++] = BA_KMALLOC;
		kc = nr;
		allocs[nr++] = BA_CACHE;
	}
	if (want(SC_FLOOR)) {
		fl = nr;
		allocs[nr++] = BA_FLOOR;
	}
	bench_pr("== 1. fast path, 8. floor: alloc+free of one size in a loop, ns per pair ==\n");
	bench_pr("   size    gomem  kmalloc    cache    floor g/kmallc  g/cache  g/floor  iters\n");
	for (i = 0; i < ARRAY_SIZE(fast_sizes) && fast_sizes[i] <= fast_max; i++) {
		bc.size = fast_sizes[i];
		bc.cache = NULL;
		if (want(SC_FAST)) {
			bc.cache = bench_cache_create(bc.size);
			if (!bc.cache) {
				bench_failed("fast-cache", bc.size, "kmem_cache_create", -ENOMEM);
				return;
			}
		}
		memset(m, 0, sizeof(m));
		if (bench_measure(fast_run, &bc, allocs, nr, 1, m)) {
			kmem_cache_destroy(bc.cache);
			return;
		}
		kmem_cache_destroy(bc.cache);
		bench_pr("%7zu %8s %8s %8s %8s %8s %8s %8s  %llu %llu %llu %llu\n", bc.size,
			 fmt_ns(b[0], NUMBUF, m[0].ps),
			 want(SC_FAST) ? fmt_ns(b[1], NUMBUF, m[k].ps) : "-",
			 want(SC_FAST) ? fmt_ns(b[2], NUMBUF, m[kc].ps) : "-",
			 want(SC_FLOOR) ? fmt_ns(b[3], NUMBUF, m[fl].ps) : "-",
			 want(SC_FAST) ? fmt_ratio(b[4], m[0].ps, m[k].ps) : "-",
			 want(SC_FAST) ? fmt_ratio(b[5], m[0].ps, m[kc].ps) : "-",
			 want(SC_FLOOR) ? fmt_ratio(b[6], m[0].ps, m[fl].ps) : "-",
			 m[0].iters, want(SC_FAST) ? m[k].iters : 0,
			 want(SC_FAST) ? m[kc].iters : 0, want(SC_FLOOR) ? m[fl].iters : 0);
		if (want(SC_FAST)) {
			bench_emit("fast", bc.size, BU_NS, m[0].ps, m[k].ps);
			bench_emit("fast-cache", bc.size, BU_NS, m[0].ps, m[kc].ps);
		}
		if (want(SC_FLOOR))
			bench_emit("floor", bc.size, BU_FLOOR, m[0].ps, m[fl].ps);
	}
	bench_pr("(cache: a kmem_cache of the size; floor: per-CPU array pop/push%s)\n",
		 want_init_on_alloc(GFP_KERNEL) ? " + memset" : "");
	if (want(SC_FLOOR))
		bench_floor_variants();
}

/* === 2. batch === */

static void bench_batch(void)
{
	static const enum bench_alloc allocs[] = { BA_GOMEM, BA_KMALLOC, BA_CACHE };
	struct bench_meas m[ARRAY_SIZE(allocs)];
	struct bench_case bc = { .nobjs = batch_objects };
	unsigned int i, j, o;
	u64 seed = 2;
	u32 *perm;
	char b[5][NUMBUF], name[32];

	bc.objs = kvmalloc_array(batch_objects, sizeof(*bc.objs), GFP_KERNEL);
	perm = kvmalloc_array(batch_objects, sizeof(*perm), GFP_KERNEL);
	if (!bc.objs || !perm) {
		bench_failed("batch", 0, "kvmalloc", -ENOMEM);
		goto out;
	}
	/* Fisher-Yates, fixed seed: the same order for every allocator. */
	for (i = 0; i < batch_objects; i++)
		perm[i] = i;
	for (i = batch_objects - 1; i > 0; i--) {
		j = bench_below(&seed, i + 1);	/* swap() evaluates its arguments twice */
		swap(perm[i], perm[j]);
	}

	bench_pr("== 2. batch: %u allocations, then %u frees; ns per object ==\n",
		 batch_objects, batch_objects);
	bench_pr("  order   size    gomem  kmalloc    cache g/kmallc  g/cache  rounds\n");
	for (o = 0; o < 2; o++) {
		bc.order = o ? perm : NULL;
		for (j = 0; j < ARRAY_SIZE(batch_sizes); j++) {
			snprintf(name, sizeof(name), "batch-%s", o ? "random" : "lifo");
			bc.name = name;
			bc.size = batch_sizes[j];
			bc.cache = bench_cache_create(bc.size);
			if (!bc.cache) {
				bench_failed(name, bc.size, "kmem_cache_create", -ENOMEM);
				goto out;
			}
			memset(m, 0, sizeof(m));
			if (bench_measure(batch_run, &bc, allocs, ARRAY_SIZE(allocs),
					  batch_objects, m)) {
				kmem_cache_destroy(bc.cache);
				goto out;
			}
			kmem_cache_destroy(bc.cache);
			bench_pr("  %-6s %5zu %8s %8s %8s %8s %8s  %llu %llu %llu\n",
				 o ? "random" : "lifo", bc.size, fmt_ns(b[0], NUMBUF, m[0].ps),
				 fmt_ns(b[1], NUMBUF, m[1].ps), fmt_ns(b[2], NUMBUF, m[2].ps),
				 fmt_ratio(b[3], m[0].ps, m[1].ps),
				 fmt_ratio(b[4], m[0].ps, m[2].ps),
				 m[0].iters, m[1].iters, m[2].iters);
			bench_emit(name, bc.size, BU_NS, m[0].ps, m[1].ps);
			strlcat(name, "-cache", sizeof(name));
			bench_emit(name, bc.size, BU_NS, m[0].ps, m[2].ps);
		}
	}
out:
	kvfree(perm);
	kvfree(bc.objs);
}

/* === 9. bulk === */

static void bench_bulk(void)
{
	static const enum bench_alloc allocs[] = { BA_GOMEM, BA_CACHE };
	struct bench_meas m[ARRAY_SIZE(allocs)];
	struct bench_case bc = { .name = "bulk" };
	void *objs[64];
	unsigned int i, j;
	char b[3][NUMBUF], name[32];

	static_assert(ARRAY_SIZE(objs) >= 64);
	bc.objs = objs;
	bench_pr("== 9. bulk: one bulk allocation of n objects, one bulk free; ns per object ==\n");
	bench_pr("      n   size    gomem    cache  g/cache  rounds\n");
	for (i = 0; i < ARRAY_SIZE(bulk_counts); i++) {
		for (j = 0; j < ARRAY_SIZE(bulk_sizes); j++) {
			bc.nobjs = bulk_counts[i];
			bc.size = bulk_sizes[j];
			snprintf(name, sizeof(name), "bulk-%u", bc.nobjs);
			bc.name = name;
			bc.cache = bench_cache_create(bc.size);
			if (!bc.cache) {
				bench_failed(name, bc.size, "kmem_cache_create", -ENOMEM);
				return;
			}
			memset(m, 0, sizeof(m));
			if (bench_measure(bulk_run, &bc, allocs, ARRAY_SIZE(allocs), bc.nobjs, m)) {
				kmem_cache_destroy(bc.cache);
				return;
			}
			kmem_cache_destroy(bc.cache);
			bench_pr("  %5u %5zu %8s %8s %8s  %llu %llu\n", bc.nobjs, bc.size,
				 fmt_ns(b[0], NUMBUF, m[0].ps), fmt_ns(b[1], NUMBUF, m[1].ps),
				 fmt_ratio(b[2], m[0].ps, m[1].ps), m[0].iters, m[1].iters);
			strlcat(name, "-cache", sizeof(name));
			bench_emit(name, bc.size, BU_NS, m[0].ps, m[1].ps);
		}
	}
}

/* === 3. mixed === */

static void bench_mixed(void)
{
	static const enum bench_alloc allocs[] = { BA_GOMEM, BA_KMALLOC };
	struct bench_meas m[ARRAY_SIZE(allocs)] = {};
	struct bench_case bc = { .name = "mixed", .size = MIXED_MAX_SIZE };
	char b[3][NUMBUF];

	bc.live = kvcalloc(mixed_live, sizeof(*bc.live), GFP_KERNEL);
	if (!bc.live) {
		bench_failed("mixed", MIXED_MAX_SIZE, "kvmalloc", -ENOMEM);
		return;
	}
	bench_pr("== 3. mixed: log-uniform 8 B-32 KiB, %u live; ns per free+alloc ==\n",
		 mixed_live);
	bench_pr("     gomem  kmalloc g/kmallc  operations\n");
	if (!bench_measure(mixed_run, &bc, allocs, ARRAY_SIZE(allocs), 1, m)) {
		bench_pr("  %8s %8s %8s  %llu %llu\n", fmt_ns(b[0], NUMBUF, m[0].ps),
			 fmt_ns(b[1], NUMBUF, m[1].ps), fmt_ratio(b[2], m[0].ps, m[1].ps),
			 m[0].iters, m[1].iters);
		bench_emit("mixed", MIXED_MAX_SIZE, BU_NS, m[0].ps, m[1].ps);
	}
	kvfree(bc.live);
}

/* === 4. remote free === */

static __always_inline void remote_produce(struct bench_worker *w, enum bench_alloc a)
{
	struct bench_case *bc = w->bc;
	struct bench_ring *r = bc->ring;
	u64 i, head = 0;
	bool stop;
	void *p;

	bench_sync(w);
	for (i = 0; i < bc->n; i++) {
		stop = bench_stop(i);
		p = stop ? NULL : ba_alloc(a, bc->size, bc->cache);
		/* The consumer read the slot before its release of tail. */
		while (head - smp_load_acquire(&r->tail) >= RING_SIZE)
			bench_spin();
		r->slot[head % RING_SIZE] = p;
		/* Publish the slot; a NULL tells the consumer to stop. */
		smp_store_release(&r->head, ++head);
		if (unlikely(!p)) {
			if (!stop)
				w->err = -ENOMEM;
			break;
		}
	}
	bc->done = i;
	w->end = ktime_get_ns();
}

static __always_inline void remote_consume(struct bench_worker *w, enum bench_alloc a)
{
	struct bench_case *bc = w->bc;
	struct bench_ring *r = bc->ring;
	u64 i, tail = 0;
	void *p;

	bench_sync(w);
	for (i = 0; i < bc->n; i++) {
		/* Pairs with the producer's release of head. */
		while (smp_load_acquire(&r->head) == tail)
			bench_spin();
		p = r->slot[tail % RING_SIZE];
		/* The slot is read: the producer may reuse it. */
		smp_store_release(&r->tail, ++tail);
		if (unlikely(!p))
			break;
		ba_free(a, p, bc->cache);
	}
	bc->done = i;
	w->end = ktime_get_ns();
}

static noinline void remote_worker(struct bench_worker *w)
{
	bool producer = !w->bc->consumer;

	switch (w->bc->alloc) {
	case BA_GOMEM:
		producer ? remote_produce(w, BA_GOMEM) : remote_consume(w, BA_GOMEM);
		break;
	case BA_KMALLOC:
		producer ? remote_produce(w, BA_KMALLOC) : remote_consume(w, BA_KMALLOC);
		break;
	case BA_CACHE:
		producer ? remote_produce(w, BA_CACHE) : remote_consume(w, BA_CACHE);
		break;
	default:
		producer ? remote_produce(w, BA_NONE) : remote_consume(w, BA_NONE);
		break;
	}
}

/* @bc: two cases, the producer's and the consumer's, sharing a ring. */
static s64 remote_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	unsigned int i;

	bc->ring->head = 0;
	bc->ring->tail = 0;
	for (i = 0; i < 2; i++) {
		bc[i].alloc = a;
		bc[i].n = n;
	}
	return bench_group_run(remote_worker, bc, 2);
}

static void bench_remote(void)
{
	static const enum bench_alloc allocs[] = { BA_GOMEM, BA_KMALLOC, BA_CACHE, BA_NONE };
	struct bench_meas m[ARRAY_SIZE(allocs)];
	struct bench_case *bc;
	unsigned int i, j;
	char b[6][NUMBUF];

	if (nr_bench_cpus < 2) {
		bench_pr("== 4. remote: skipped, one CPU online ==\n");
		return;
	}
	bc = kcalloc(2, sizeof(*bc), GFP_KERNEL);
	if (bc)
		bc->ring = kzalloc(sizeof(*bc->ring), GFP_KERNEL);
	if (!bc || !bc->ring) {
		bench_failed("remote", 0, "kmalloc", -ENOMEM);
		kfree(bc);
		return;
	}
	bench_pr("== 4. remote: allocated on CPU %u, freed on CPU %u (ring %u); ns per object ==\n",
		 bench_cpus[0], bench_cpus[1], RING_SIZE);
	bench_pr("   size    gomem  kmalloc    cache     ring g/kmallc  g/cache  objects\n");
	for (j = 0; j < ARRAY_SIZE(remote_sizes); j++) {
		for (i = 0; i < 2; i++) {
			bc[i].name = "remote";
			bc[i].size = remote_sizes[j];
			bc[i].ring = bc->ring;
			bc[i].consumer = i;
			/* Many ring turns, so that the start is a small part of a run. */
			bc[i].min_iters = 16 * RING_SIZE;
		}
		bc->cache = bench_cache_create(bc->size);
		bc[1].cache = bc->cache;
		if (!bc->cache) {
			bench_failed("remote-cache", bc->size, "kmem_cache_create", -ENOMEM);
			break;
		}
		memset(m, 0, sizeof(m));
		if (bench_measure(remote_run, bc, allocs, ARRAY_SIZE(allocs), 1, m)) {
			kmem_cache_destroy(bc->cache);
			break;
		}
		kmem_cache_destroy(bc->cache);
		bench_pr("%7zu %8s %8s %8s %8s %8s %8s  %llu %llu %llu %llu\n", bc->size,
			 fmt_ns(b[0], NUMBUF, m[0].ps), fmt_ns(b[1], NUMBUF, m[1].ps),
			 fmt_ns(b[2], NUMBUF, m[2].ps), fmt_ns(b[3], NUMBUF, m[3].ps),
			 fmt_ratio(b[4], m[0].ps, m[1].ps), fmt_ratio(b[5], m[0].ps, m[2].ps),
			 m[0].iters, m[1].iters, m[2].iters, m[3].iters);
		bench_emit("remote", bc->size, BU_NS, m[0].ps, m[1].ps);
		bench_emit("remote-cache", bc->size, BU_NS, m[0].ps, m[2].ps);
	}
	bench_pr("(ring: the handoff alone, no allocation)\n");
	kfree(bc->ring);
	kfree(bc);
}

/* === 5. parallel === */

static noinline void parallel_worker(struct bench_worker *w)
{
	struct bench_case *bc = w->bc;
	enum bench_alloc a = bc->alloc;
	s64 t;

	if (bc->mixed) {
		t = mixed_fill(bc, a);
		bench_sync(w);
		if (!t)
			t = mixed_steady(bc, a, bc->n);
		w->end = ktime_get_ns();
		mixed_drain(bc, a);
	} else {
		bench_sync(w);
		t = fast_run(bc, a, bc->n);
		w->end = ktime_get_ns();
	}
	if (t < 0)
		w->err = t;
}

/* @bc: one case per kthread, bc->nr_cpus of them; every kthread runs @n iterations. */
static s64 parallel_run(struct bench_case *bc, enum bench_alloc a, u64 n)
{
	unsigned int i;

	for (i = 0; i < bc->nr_cpus; i++) {
		bc[i].alloc = a;
		bc[i].n = n;
	}
	return bench_group_run(parallel_worker, bc, bc->nr_cpus);
}

/* Thousandths of operations per microsecond, from picoseconds per operation. */
static u64 ops_per_us_milli(u64 ps)
{
	return div64_u64(1000000000ULL, max_t(u64, ps, 1));
}

/* One line of the parallel table: wall ns per op over all CPUs, and ops/us. */
static void parallel_row(unsigned int cpus, const struct bench_meas *m, unsigned int nr)
{
	char b[7][NUMBUF];

	bench_pr("  %4u %8s %7s %8s %7s %8s %7s %8s  %llu %llu %llu\n", cpus,
		 fmt_ns(b[0], NUMBUF, m[0].ps), fmt_milli(b[1], NUMBUF, ops_per_us_milli(m[0].ps)),
		 fmt_ns(b[2], NUMBUF, m[1].ps), fmt_milli(b[3], NUMBUF, ops_per_us_milli(m[1].ps)),
		 nr > 2 ? fmt_ns(b[4], NUMBUF, m[2].ps) : "-",
		 nr > 2 ? fmt_milli(b[5], NUMBUF, ops_per_us_milli(m[2].ps)) : "-",
		 fmt_ratio(b[6], m[0].ps, m[1].ps), m[0].iters, m[1].iters,
		 nr > 2 ? m[2].iters : 0);
}

/* Speedups of @cpus over one CPU (throughput ratios), one line each. */
static void parallel_speedup(const char *loop, size_t size, unsigned int cpus,
			     const struct bench_meas *m, const struct bench_meas *base,
			     unsigned int nr)
{
	u64 g = ratio_milli(base[0].ps, m[0].ps), k = ratio_milli(base[1].ps, m[1].ps);
	u64 f = nr > 2 ? ratio_milli(base[2].ps, m[2].ps) : 0;
	char name[48], b[3][NUMBUF];

	bench_pr("        speedup %u/1 CPUs: gomem %s, kmalloc %s, floor %s\n", cpus,
		 fmt_milli(b[0], NUMBUF, g), fmt_milli(b[1], NUMBUF, k),
		 nr > 2 ? fmt_milli(b[2], NUMBUF, f) : "-");
	snprintf(name, sizeof(name), "parallel-%s-speedup-%ucpu", loop, cpus);
	bench_emit(name, size, BU_X, g, k);
	if (nr > 2) {
		snprintf(name, sizeof(name), "parallel-%s-floor-speedup-%ucpu", loop, cpus);
		bench_emit(name, size, BU_XFLOOR, g, f);
	}
}

/* Point the first @cpus cases of @bc at one parallel loop. */
static void parallel_setup(struct bench_case *bc, unsigned int cpus, bool mixed, const char *name)
{
	unsigned int j;

	bc->nr_cpus = cpus;
	for (j = 0; j < cpus; j++) {
		bc[j].name = name;
		bc[j].mixed = mixed;
		bc[j].size = mixed ? MIXED_MAX_SIZE : parallel_size;
	}
}

/*
 * Run one loop (@mixed or fast) on the CPU counts of @counts with the
 * allocators of @allocs. Every CPU does the iterations one CPU did in
 * budget_ms (calibrating on N CPUs would let a stalled vCPU shrink the
 * work). The speedups compare CPU counts, so each round of the `repeats`
 * times every count and every allocator once: a slow spell of the host
 * hits them all.
 */
static int parallel_loop(struct bench_case *bc, bool mixed, const enum bench_alloc *allocs,
			 unsigned int nr, const unsigned int *counts, unsigned int nc)
{
	const char *loop = mixed ? "mixed" : "fast";
	struct bench_meas m[3] = {}, base[3];
	unsigned int c, i, j, r;
	char name[48];
	int ret = 0;
	u64 *t;
	s64 ns;

	t = kcalloc(nc * nr * repeats, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	snprintf(name, sizeof(name), "parallel-%s", loop);
	parallel_setup(bc, 1, mixed, name);
	for (j = 0; j < nr; j++) {
		ret = bench_calibrate(parallel_run, bc, allocs[j], &m[j].iters);
		if (ret)
			goto fail;
	}
	for (r = 0; r < repeats; r++) {
		for (i = 0; i < nc; i++) {
			parallel_setup(bc, counts[i], mixed, name);
			for (j = 0; j < nr; j++) {
				ns = parallel_run(bc, allocs[j], m[j].iters);
				if (ns < 0) {
					ret = ns;
					goto fail;
				}
				t[(i * nr + j) * repeats + r] = ns;
				nr_measurements++;
				nr_iterations += m[j].iters * counts[i];
				cond_resched();
			}
		}
	}

	if (mixed)
		bench_pr("  mixed (8 B-32 KiB, free+alloc): ns per op of all CPUs, ops/us\n");
	else
		bench_pr("  fast (%u B): ns per op of all CPUs, ops/us\n", parallel_size);
	bench_pr("  cpus    gomem  ops/us  kmalloc  ops/us    floor  ops/us g/kmallc  iters/CPU\n");
	for (i = 0; i < nc; i++) {
		c = counts[i];
		for (j = 0; j < nr; j++)
			m[j].ps = mul_u64_u64_div_u64(median(&t[(i * nr + j) * repeats], repeats),
						      1000, m[j].iters * c);
		snprintf(name, sizeof(name), "parallel-%s-%ucpu", loop, c);
		parallel_row(c, m, nr);
		bench_emit(name, bc->size, BU_NS, m[0].ps, m[1].ps);
		if (c == 1)
			memcpy(base, m, sizeof(base));
		else
			parallel_speedup(loop, bc->size, c, m, base, nr);
	}
	kfree(t);
	return 0;
fail:
	bench_failed(name, bc->size, alloc_names[allocs[j]], ret);
	kfree(t);
	return ret;
}

static void bench_parallel(void)
{
	static const enum bench_alloc fast_allocs[] = { BA_GOMEM, BA_KMALLOC, BA_FLOOR };
	static const enum bench_alloc mixed_allocs[] = { BA_GOMEM, BA_KMALLOC };
	unsigned int counts[16], nc = 0, c, i;
	struct bench_case *bc;

	for (c = 1; c <= nr_bench_cpus && nc < ARRAY_SIZE(counts) - 1; c *= 2)
		counts[nc++] = c;
	if (counts[nc - 1] != nr_bench_cpus)
		counts[nc++] = nr_bench_cpus;
	bc = kcalloc(nr_bench_cpus, sizeof(*bc), GFP_KERNEL);
	if (!bc) {
		bench_failed("parallel", 0, "kmalloc", -ENOMEM);
		return;
	}
	for (i = 0; i < nr_bench_cpus; i++) {
		bc[i].live = kvcalloc(mixed_live, sizeof(*bc[i].live), GFP_KERNEL);
		if (!bc[i].live) {
			bench_failed("parallel", 0, "kvmalloc", -ENOMEM);
			goto out;
		}
	}
	bench_pr("== 5. parallel: N CPUs run one loop at once; %u guest CPUs, host CPUs %u ==\n",
		 nr_bench_cpus, host_cpus);
	if (!parallel_loop(bc, false, fast_allocs, ARRAY_SIZE(fast_allocs), counts, nc))
		parallel_loop(bc, true, mixed_allocs, ARRAY_SIZE(mixed_allocs), counts, nc);
	bench_pr("(floor shares nothing between CPUs: its speedup is what the machine allows)\n");
out:
	for (i = 0; i < nr_bench_cpus; i++)
		kvfree(bc[i].live);
	kfree(bc);
}

/* === 6. tiny and 7. memory: bytes held === */

/* Bytes of memory held for one population, by both allocators. */
struct bench_held {
	u64 requested;		/* sum of the sizes asked for */
	u64 g_usable;		/* gomem: alloc delta (usable bytes of the objects) */
	u64 g_inuse;		/* gomem: heap_inuse delta (bytes of spans) */
	u64 g_sys;		/* gomem: sys delta (pages from the page allocator) */
	u64 s_ksize;		/* SLUB: sum of ksize() */
	s64 s_slab;		/* SLUB: slab pages delta (kmalloc_large included) */
};

static u64 delta(u64 after, u64 before)
{
	return after > before ? after - before : 0;
}

/*
 * Allocate the @n objects of @sizes with gomem, read its statistics, free
 * them; then the same with kmalloc and the kernel's slab page count.
 */
static int bench_hold(const char *name, const u32 *sizes, unsigned int n, void **objs,
		      struct bench_held *h)
{
	struct gomem_memstats *ms0, *ms1;
	unsigned int i;
	u64 slab0;
	int ret = 0;

	ms0 = kmalloc(sizeof(*ms0), GFP_KERNEL);
	ms1 = kmalloc(sizeof(*ms1), GFP_KERNEL);
	if (!ms0 || !ms1) {
		bench_failed(name, 0, "kmalloc", -ENOMEM);
		ret = -ENOMEM;
		goto out;
	}
	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++)
		h->requested += sizes[i];

	gomem_read_memstats(ms0);
	for (i = 0; i < n; i++) {
		objs[i] = gomem_alloc(sizes[i], GFP_KERNEL);
		if (!objs[i]) {
			bench_failed(name, h->requested, "gomem", -ENOMEM);
			ret = -ENOMEM;
			break;
		}
	}
	gomem_read_memstats(ms1);
	while (i--)
		gomem_free(objs[i]);
	if (ret)
		goto out;
	h->g_usable = delta(ms1->alloc, ms0->alloc);
	h->g_inuse = delta(ms1->heap_inuse, ms0->heap_inuse);
	h->g_sys = delta(ms1->sys, ms0->sys);

	slab0 = slab_bytes_settled();
	for (i = 0; i < n; i++) {
		objs[i] = kmalloc(sizes[i], GFP_KERNEL);
		if (!objs[i]) {
			bench_failed(name, h->requested, "kmalloc", -ENOMEM);
			ret = -ENOMEM;
			break;
		}
		h->s_ksize += ksize(objs[i]);
	}
	if (!ret)
		h->s_slab = (s64)slab_bytes_settled() - (s64)slab0;
	while (i--)
		kfree(objs[i]);
out:
	kfree(ms1);
	kfree(ms0);
	return ret;
}

static void held_row(const char *what, u64 bytes, u64 requested)
{
	char b[NUMBUF];

	bench_pr("  %-30s %12llu %8s\n", what, bytes,
		 fmt_milli(b, sizeof(b), ratio_milli(bytes, requested)));
}

static void held_table(const struct bench_held *h)
{
	bench_pr("  %-30s %12s %8s\n", "", "bytes", "/request");
	held_row("requested", h->requested, h->requested);
	held_row("gomem usable (alloc delta)", h->g_usable, h->requested);
	held_row("gomem spans (heap_inuse delta)", h->g_inuse, h->requested);
	held_row("gomem pages (sys delta)", h->g_sys, h->requested);
	held_row("SLUB usable (sum of ksize)", h->s_ksize, h->requested);
	held_row("SLUB slab pages (delta)", max_t(s64, h->s_slab, 0), h->requested);
}

/* Is gomem's tiny allocator on? A 1-byte object then has 1 usable byte, not 8. */
static bool gomem_tiny_on(void)
{
	void *p = gomem_alloc(1, GFP_KERNEL);
	bool on = p && gomem_usable_size(p) == 1;

	gomem_free(p);
	return on;
}

/* One tiny population: tiny_objects objects of 1 to @max bytes. */
static void bench_tiny_one(bool tiny, unsigned int max, const char *name, u32 *sizes,
			   void **objs)
{
	struct bench_held h;
	unsigned int i;
	u64 seed = 6;

	for (i = 0; i < tiny_objects; i++)
		sizes[i] = 1 + bench_below(&seed, max);
	if (bench_hold(name, sizes, tiny_objects, objs, &h))
		return;
	bench_pr("== 6. tiny: %u objects of 1-%u B held, gomem's tiny allocator %s ==\n",
		 tiny_objects, max, tiny ? "on" : "off (gomem.ko tiny=0)");
	held_table(&h);
	bench_emit(name, h.requested, BU_BYTES, h.g_inuse, max_t(s64, h.s_slab, 0));
}

/*
 * 1-15 B, the case, then 1-8 B, where two or more objects share a
 * 16-byte block more often.
 */
static void bench_tiny(void)
{
	bool tiny = gomem_tiny;
	void **objs;
	u32 *sizes;

	sizes = kvmalloc_array(tiny_objects, sizeof(*sizes), GFP_KERNEL);
	objs = kvmalloc_array(tiny_objects, sizeof(*objs), GFP_KERNEL);
	if (!sizes || !objs) {
		bench_failed(tiny ? "tiny-on" : "tiny-off", 0, "kvmalloc", -ENOMEM);
		goto out;
	}
	bench_tiny_one(tiny, 15, tiny ? "tiny-on" : "tiny-off", sizes, objs);
	bench_tiny_one(tiny, 8, tiny ? "tiny-small-on" : "tiny-small-off", sizes, objs);
out:
	kvfree(objs);
	kvfree(sizes);
}

static void bench_memory(void)
{
	struct bench_held h;
	unsigned int i;
	u64 seed = 7;
	void **objs;
	u32 *sizes;

	sizes = kvmalloc_array(mem_objects, sizeof(*sizes), GFP_KERNEL);
	objs = kvmalloc_array(mem_objects, sizeof(*objs), GFP_KERNEL);
	if (!sizes || !objs) {
		bench_failed("memory", 0, "kvmalloc", -ENOMEM);
		goto out;
	}
	for (i = 0; i < mem_objects; i++)
		sizes[i] = bench_loguniform(&seed);
	if (bench_hold("memory", sizes, mem_objects, objs, &h))
		goto out;
	bench_pr("== 7. memory: %u objects, log-uniform 8 B-32 KiB, held at once ==\n",
		 mem_objects);
	held_table(&h);
	bench_emit("memory", h.requested, BU_BYTES, h.g_inuse, max_t(s64, h.s_slab, 0));
	bench_emit("memory-usable", h.requested, BU_BYTES, h.g_usable, h.s_ksize);
	bench_emit("memory-sys", h.requested, BU_BYTES, h.g_sys, max_t(s64, h.s_slab, 0));
out:
	kvfree(objs);
	kvfree(sizes);
}

/* === 11. rcu: frees after a grace period === */

struct bench_rcu_obj {
	u64 payload[6];
	struct rcu_head rcu;
};

/* gomem's held bytes (heap_sys - heap_released) or SLUB's slab pages, now. */
static s64 bench_rcu_held(enum bench_alloc a, struct gomem_memstats *ms)
{
	if (a != BA_GOMEM)
		return slab_bytes_now();
	gomem_read_memstats(ms);
	return ms->heap_inuse + ms->mspan_inuse;
}

/*
 * One allocator: allocate the objects, free each through RCU (timed), read
 * what is held then; for gomem, time until rcu_pending is 0 again.
 */
static int bench_rcu_one(enum bench_alloc a, struct bench_rcu_obj **objs, struct gomem_memstats *ms,
			 u64 *queue_ps, s64 *held, u64 *drain_us, u64 *batches)
{
	unsigned int i, n = rcu_objects;
	u64 t0, b0 = 0;
	s64 base;

	rcu_barrier();
	msleep(VMSTAT_SETTLE_MS);
	base = bench_rcu_held(a, ms);
	if (a == BA_GOMEM)
		b0 = ms->rcu_batches;
	for (i = 0; i < n; i++) {
		objs[i] = ba_alloc(a, sizeof(**objs), NULL);
		if (!objs[i]) {
			while (i--)
				ba_free(a, objs[i], NULL);
			return -ENOMEM;
		}
	}
	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		if (a == BA_GOMEM)
			gomem_free_rcu(objs[i], rcu);
		else
			kfree_rcu(objs[i], rcu);
	}
	*queue_ps = div_u64((ktime_get_ns() - t0) * 1000, n);
	*held = bench_rcu_held(a, ms) - base;
	*drain_us = 0;
	*batches = 0;
	if (a != BA_GOMEM)
		return 0;
	while (ms->rcu_pending && ktime_get_ns() - t0 < 30ULL * NSEC_PER_SEC) {
		usleep_range(1000, 2000);
		gomem_read_memstats(ms);
	}
	*drain_us = div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
	*batches = ms->rcu_batches - b0;
	return 0;
}

static void bench_rcu(void)
{
	struct gomem_memstats *ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	struct bench_rcu_obj **objs = kvmalloc_array(rcu_objects, sizeof(*objs), GFP_KERNEL);
	u64 queue[2], drain[2], batches[2];
	char b[2][NUMBUF];
	s64 held[2];

	if (!ms || !objs) {
		bench_failed("rcu", sizeof(**objs), "kvmalloc", -ENOMEM);
		goto out;
	}
	if (bench_rcu_one(BA_GOMEM, objs, ms, &queue[0], &held[0], &drain[0], &batches[0]) ||
	    bench_rcu_one(BA_KMALLOC, objs, ms, &queue[1], &held[1], &drain[1], &batches[1])) {
		bench_failed("rcu", sizeof(**objs), "alloc", -ENOMEM);
		goto out;
	}
	bench_pr("== 11. rcu: %u objects of %zu B freed after a grace period ==\n", rcu_objects,
		 sizeof(**objs));
	bench_pr("                                     gomem_free_rcu   kfree_rcu\n");
	bench_pr("  ns per call                        %14s %11s\n",
		 fmt_ns(b[0], NUMBUF, queue[0]), fmt_ns(b[1], NUMBUF, queue[1]));
	bench_pr("  bytes held, grace periods pending  %14lld %11lld\n", held[0], held[1]);
	bench_pr("  ms until all freed                 %14llu %11s\n", div_u64(drain[0], 1000),
		 "-");
	bench_pr("  RCU callbacks (batches)            %14llu %11s\n", batches[0], "-");
	bench_emit("rcu-queue", sizeof(**objs), BU_NS, queue[0], queue[1]);
	bench_emit("rcu-held", sizeof(**objs), BU_BYTES, max_t(s64, held[0], 0),
		   max_t(s64, held[1], 0));
	bench_emit("rcu-drain-ms", sizeof(**objs), BU_MS, drain[0], 0);
out:
	kvfree(objs);
	kfree(ms);
}

/* === 10. churn: memory held after churn === */

/* A settle poll: a reading every CHURN_POLL_MS until one holds within 1 % for CHURN_STABLE_MS. */
#define CHURN_POLL_MS		100
#define CHURN_STABLE_MS		1000
#define CHURN_TIMEOUT_MS	30000
/* frag: the part of the objects freed first, in percent */
#define CHURN_FREE_PCT		90
/* small: bytes requested */
#define CHURN_SMALL_BYTES	(512U << 10)
/* steady: bytes the churn allocates, in live sets; samples in its first tenth are not counted */
#define CHURN_TURNS		10
#define CHURN_WARMUP_DIV	10
/*
 * steady: the clock is read every CHURN_CHECK_OPS operations, for a sample
 * every CHURN_POLL_MS; and a sample is taken every 1/CHURN_MARKS of the
 * churn's bytes as well, since a churn of 10 live sets can take less than
 * 100 ms.
 */
#define CHURN_CHECK_OPS		64
#define CHURN_MARKS		50

/* What an allocator holds, in bytes; for SLUB all three are its slab pages. */
struct churn_reading {
	s64 held;		/* gomem: heap_sys - heap_released */
	s64 inuse;		/* gomem: heap_inuse (spans) */
	s64 sys;		/* gomem: sys - heap_released (all pages, metadata included) */
	s64 passes;		/* gomem: scavenger passes run since load; SLUB: 0 */
	s64 scav_ns;		/* gomem: ns the scavenger spent releasing; SLUB: 0 */
	s64 cached;		/* gomem: free bytes in per-CPU caches; SLUB: 0 */
	s64 central;		/* gomem: free bytes in the mcentrals; SLUB: 0 */
};

/* What a settle poll found. */
struct churn_settled {
	struct churn_reading r;	/* the last reading */
	u64 ms;			/* from the start to the first reading of the stable run */
	bool timeout;		/* CHURN_TIMEOUT_MS passed first (@ms is then the timeout) */
};

/* gomem's statistics, read into this buffer; bench_churn() allocates it. */
static struct gomem_memstats *churn_ms;

static void churn_read(enum bench_alloc a, struct churn_reading *r)
{
	if (a != BA_GOMEM) {
		r->held = slab_bytes_now();
		r->inuse = r->held;
		r->sys = r->held;
		r->passes = 0;
		r->scav_ns = 0;
		r->cached = 0;
		r->central = 0;
		return;
	}
	gomem_read_memstats(churn_ms);
	r->held = churn_ms->heap_sys - churn_ms->heap_released;
	r->inuse = churn_ms->heap_inuse;
	r->sys = churn_ms->sys - churn_ms->heap_released;
	r->passes = churn_ms->scavenger_passes;
	r->scav_ns = churn_ms->scavenger_ns;
	r->cached = churn_ms->cached_free_bytes;
	r->central = churn_ms->central_free_bytes;
}

static void churn_sub(struct churn_reading *r, const struct churn_reading *base)
{
	r->held -= base->held;
	r->inuse -= base->inuse;
	r->sys -= base->sys;
	r->passes -= base->passes;
	r->scav_ns -= base->scav_ns;
}

/* "Unchanged": within 1 % of @ref (equal to it when it is 0). */
static bool churn_same(s64 v, s64 ref)
{
	return abs(v - ref) * 100 <= abs(ref);
}

/*
 * Poll @a's held figure every CHURN_POLL_MS until it stays within 1 % of one
 * reading for CHURN_STABLE_MS, or until CHURN_TIMEOUT_MS passed.
 */
static void churn_settle(enum bench_alloc a, struct churn_settled *st)
{
	u64 t0 = ktime_get_ns(), tref = t0, now;
	struct churn_reading ref;

	churn_read(a, &ref);
	st->r = ref;
	st->timeout = false;
	for (;;) {
		now = ktime_get_ns();
		if (now - tref >= (u64)CHURN_STABLE_MS * NSEC_PER_MSEC)
			break;
		if (now - t0 >= (u64)CHURN_TIMEOUT_MS * NSEC_PER_MSEC) {
			st->timeout = true;
			break;
		}
		msleep(CHURN_POLL_MS);
		churn_read(a, &st->r);
		if (!churn_same(st->r.held, ref.held)) {
			ref = st->r;
			tref = ktime_get_ns();
		}
	}
	st->ms = st->timeout ? CHURN_TIMEOUT_MS : div_u64(tref - t0, NSEC_PER_MSEC);
}

/* A settled reading to take deltas from: earlier frees may still be scavenged. */
static void churn_before(enum bench_alloc a, struct churn_reading *before)
{
	struct churn_settled st;

	churn_settle(a, &st);
	*before = st.r;
}

static s64 churn_clamp(s64 v)
{
	return max_t(s64, v, 0);
}

/* @a / @b with 3 decimals, @a signed; "-" without a @b. */
static const char *fmt_sratio(char *buf, s64 a, u64 b)
{
	if (!b)
		return "-";
	if (a >= 0)
		return fmt_ratio(buf, a, b);
	buf[0] = '-';
	fmt_milli(buf + 1, NUMBUF - 1, ratio_milli(-a, b));
	return buf;
}

static void churn_head(const char *what, const char *per)
{
	bench_pr("  %-38s %12s %8s %12s %8s\n", what, "gomem", per, "SLUB", per);
}

/* One row: gomem's and (with @slub) SLUB's bytes, each over @base (none if 0). */
static void churn_row(const char *what, s64 g, s64 s, bool slub, u64 base)
{
	char b[2][NUMBUF], sv[NUMBUF] = "-";

	if (slub)
		snprintf(sv, sizeof(sv), "%lld", s);
	bench_pr("  %-38s %12lld %8s %12s %8s\n", what, g, fmt_sratio(b[0], g, base), sv,
		 slub ? fmt_sratio(b[1], s, base) : "-");
}

/* One row of ratios in thousandths, in the ratio columns. */
static void churn_ratio_row(const char *what, u64 g, u64 s)
{
	char b[2][NUMBUF];

	bench_pr("  %-38s %12s %8s %12s %8s\n", what, "", fmt_milli(b[0], NUMBUF, g), "",
		 fmt_milli(b[1], NUMBUF, s));
}

static void churn_settle_row(const char *what, const struct churn_settled *g,
			     const struct churn_settled *s)
{
	bench_pr("  %-38s %12llu %8s %12llu %8s\n", what, g->ms, g->timeout ? "timeout" : "",
		 s->ms, s->timeout ? "timeout" : "");
}

/* frag, one allocator: the readings after @before are deltas from it. */
struct churn_frag {
	struct churn_reading before;	/* settled, absolute */
	struct churn_reading peak;	/* right after the allocations */
	struct churn_settled part;	/* CHURN_FREE_PCT % freed */
	struct churn_settled all;	/* everything freed */
};

static int churn_frag_one(enum bench_alloc a, const u32 *sizes, const u32 *order,
			  unsigned int n, void **objs, struct churn_frag *f)
{
	unsigned int i, nfree = n / 100 * CHURN_FREE_PCT + n % 100 * CHURN_FREE_PCT / 100;

	churn_before(a, &f->before);
	for (i = 0; i < n; i++) {
		objs[i] = ba_alloc(a, sizes[i], NULL);
		if (!objs[i]) {
			while (i--)
				ba_free(a, objs[i], NULL);
			return -ENOMEM;
		}
		cond_resched();
	}
	churn_read(a, &f->peak);
	churn_sub(&f->peak, &f->before);
	for (i = 0; i < nfree; i++)
		ba_free(a, objs[order[i]], NULL);
	churn_settle(a, &f->part);
	churn_sub(&f->part.r, &f->before);
	for (; i < n; i++)
		ba_free(a, objs[order[i]], NULL);
	churn_settle(a, &f->all);
	churn_sub(&f->all.r, &f->before);
	return 0;
}

/*
 * frag: a population of at least churn_mb MiB requested, a random 90 %
 * freed (one shuffle for both allocators), then the rest.
 */
static void churn_frag(void)
{
	u64 seed = 10, requested = 0, target = (u64)churn_mb << 20;
	u32 *sizes = NULL, *order = NULL;
	unsigned int n = 0, i, j;
	struct churn_frag f[2];
	void **objs = NULL;
	char name[32];

	for (; requested < target; n++)
		requested += bench_loguniform(&seed);
	sizes = kvmalloc_array(n, sizeof(*sizes), GFP_KERNEL);
	order = kvmalloc_array(n, sizeof(*order), GFP_KERNEL);
	objs = kvmalloc_array(n, sizeof(*objs), GFP_KERNEL);
	if (!sizes || !order || !objs) {
		bench_failed("churn-frag", requested, "kvmalloc", -ENOMEM);
		goto out;
	}
	seed = 10;
	for (i = 0; i < n; i++) {
		sizes[i] = bench_loguniform(&seed);
		order[i] = i;
	}
	seed = 11;
	for (i = n - 1; i > 0; i--) {
		j = bench_below(&seed, i + 1);	/* swap() evaluates its arguments twice */
		swap(order[i], order[j]);
	}
	if (churn_frag_one(BA_GOMEM, sizes, order, n, objs, &f[0])) {
		bench_failed("churn-frag", requested, "gomem", -ENOMEM);
		goto out;
	}
	if (churn_frag_one(BA_KMALLOC, sizes, order, n, objs, &f[1])) {
		bench_failed("churn-frag", requested, "kmalloc", -ENOMEM);
		goto out;
	}

	bench_pr("  frag: %u objects, %llu B requested; a random %u %% freed, then the rest\n",
		 n, requested, CHURN_FREE_PCT);
	churn_head("bytes", "/request");
	churn_row("held before (absolute)", f[0].before.held, f[1].before.held, true, 0);
	churn_row("peak: all allocated", f[0].peak.held, f[1].peak.held, true, requested);
	snprintf(name, sizeof(name), "%u %% freed: held", CHURN_FREE_PCT);
	churn_row(name, f[0].part.r.held, f[1].part.r.held, true, requested);
	churn_row("  spans in use (heap_inuse)", f[0].part.r.inuse, 0, false, requested);
	churn_row("  all pages (sys - heap_released)", f[0].part.r.sys, 0, false, requested);
	churn_settle_row("  settled after (ms)", &f[0].part, &f[1].part);
	churn_row("  scavenger passes (since before)", f[0].part.r.passes, 0, false, 0);
	churn_row("all freed: held", f[0].all.r.held, f[1].all.r.held, true, requested);
	churn_ratio_row("  held / peak held",
			ratio_milli(churn_clamp(f[0].all.r.held), churn_clamp(f[0].peak.held)),
			ratio_milli(churn_clamp(f[1].all.r.held), churn_clamp(f[1].peak.held)));
	churn_row("  all pages (sys - heap_released)", f[0].all.r.sys, 0, false, requested);
	churn_settle_row("  settled after (ms)", &f[0].all, &f[1].all);
	churn_row("  scavenger passes (since before)", f[0].all.r.passes, 0, false, 0);

	bench_emit("churn-frag-peak", requested, BU_BYTES, churn_clamp(f[0].peak.held),
		   churn_clamp(f[1].peak.held));
	snprintf(name, sizeof(name), "churn-frag-%u", CHURN_FREE_PCT);
	bench_emit(name, requested, BU_BYTES, churn_clamp(f[0].part.r.held),
		   churn_clamp(f[1].part.r.held));
	strlcat(name, "-inuse", sizeof(name));
	bench_emit(name, requested, BU_BYTES, churn_clamp(f[0].part.r.inuse),
		   churn_clamp(f[1].part.r.held));
	snprintf(name, sizeof(name), "churn-frag-%u-sys", CHURN_FREE_PCT);
	bench_emit(name, requested, BU_BYTES, churn_clamp(f[0].part.r.sys),
		   churn_clamp(f[1].part.r.held));
	bench_emit("churn-frag-settle-ms", requested, BU_MS, f[0].part.ms * USEC_PER_MSEC,
		   f[1].part.ms * USEC_PER_MSEC);
	bench_emit("churn-frag-all", requested, BU_BYTES, churn_clamp(f[0].all.r.held),
		   churn_clamp(f[1].all.r.held));
	bench_emit("churn-frag-all-settle-ms", requested, BU_MS, f[0].all.ms * USEC_PER_MSEC,
		   f[1].all.ms * USEC_PER_MSEC);
out:
	kvfree(objs);
	kvfree(order);
	kvfree(sizes);
}

/* small, one allocator: @st's reading is a delta from @before; all freed after. */
static int churn_small_one(enum bench_alloc a, const u32 *sizes, unsigned int n, void **objs,
			   struct churn_reading *before, struct churn_settled *st)
{
	unsigned int i;
	int ret = 0;

	churn_before(a, before);
	for (i = 0; i < n; i++) {
		objs[i] = ba_alloc(a, sizes[i], NULL);
		if (!objs[i]) {
			ret = -ENOMEM;
			break;
		}
	}
	if (!ret) {
		churn_settle(a, st);
		churn_sub(&st->r, before);
	}
	while (i--)
		ba_free(a, objs[i], NULL);
	return ret;
}

/* small: a live set of about CHURN_SMALL_BYTES requested, kept until settled. */
static void churn_small(void)
{
	u64 seed = 12, requested = 0;
	struct churn_reading before[2];
	struct churn_settled st[2];
	unsigned int n = 0, i;
	u32 *sizes = NULL;
	void **objs = NULL;

	for (; requested < CHURN_SMALL_BYTES; n++)
		requested += bench_loguniform(&seed);
	sizes = kvmalloc_array(n, sizeof(*sizes), GFP_KERNEL);
	objs = kvmalloc_array(n, sizeof(*objs), GFP_KERNEL);
	if (!sizes || !objs) {
		bench_failed("churn-small", requested, "kvmalloc", -ENOMEM);
		goto out;
	}
	seed = 12;
	for (i = 0; i < n; i++)
		sizes[i] = bench_loguniform(&seed);
	if (churn_small_one(BA_GOMEM, sizes, n, objs, &before[0], &st[0])) {
		bench_failed("churn-small", requested, "gomem", -ENOMEM);
		goto out;
	}
	if (churn_small_one(BA_KMALLOC, sizes, n, objs, &before[1], &st[1])) {
		bench_failed("churn-small", requested, "kmalloc", -ENOMEM);
		goto out;
	}

	bench_pr("  small: %u objects, %llu B requested, held until settled\n", n, requested);
	churn_head("bytes", "/request");
	churn_row("held before (absolute)", before[0].held, before[1].held, true, 0);
	churn_row("held", st[0].r.held, st[1].r.held, true, requested);
	churn_row("  absolute", before[0].held + st[0].r.held, before[1].held + st[1].r.held, true,
		  0);
	churn_row("  all pages (sys - heap_released)", st[0].r.sys, 0, false, requested);
	churn_settle_row("  settled after (ms)", &st[0], &st[1]);
	churn_row("  scavenger passes (since before)", st[0].r.passes, 0, false, 0);
	bench_emit("churn-small", requested, BU_BYTES, churn_clamp(st[0].r.held),
		   churn_clamp(st[1].r.held));
out:
	kvfree(objs);
	kvfree(sizes);
}

/* steady: the live set, the same slots and sizes for both allocators. */
struct churn_set {
	unsigned int n;		/* slots */
	void **objs;		/* NULL after a failed allocation */
	u32 *sizes;		/* requested size of each slot's object */
	u64 live;		/* sum of @sizes */
	u64 seed;		/* the churn's sequence */
};

/* steady, one allocator: held figures are deltas from @before. */
struct churn_steady {
	struct churn_reading before;	/* settled, absolute */
	u64 live_end;			/* requested bytes live at the end */
	s64 held_end;			/* held at the end of the churn */
	s64 passes;			/* gomem: scavenger passes, from before to the end */
	s64 scav_ns;			/* gomem: the scavenger's ns, over the same */
	struct churn_reading end;	/* at the end of the churn, absolute */
	s64 held_sum, held_max;		/* over the samples counted */
	u64 live_sum;
	u64 ratio_sum, ratio_max;	/* held / live of those samples, thousandths */
	unsigned int samples;
	u64 ops;			/* replacements */
	u64 ns;				/* the churn, samples excluded */
	u64 sample_ns;
};

static void churn_sample(enum bench_alloc a, struct churn_steady *cs, u64 live)
{
	u64 t0 = ktime_get_ns(), ratio;
	struct churn_reading r;
	s64 held;

	churn_read(a, &r);
	held = r.held - cs->before.held;
	ratio = ratio_milli(churn_clamp(held), live);
	cs->held_sum += held;
	cs->held_max = cs->samples ? max(cs->held_max, held) : held;
	cs->live_sum += live;
	cs->ratio_sum += ratio;
	cs->ratio_max = max(cs->ratio_max, ratio);
	cs->samples++;
	cond_resched();
	cs->sample_ns += ktime_get_ns() - t0;
}

/*
 * Replace random objects until CHURN_TURNS live sets were allocated and at
 * least churn_steady_ms went by.
 */
static __always_inline int churn_steady_loop(struct churn_set *set, struct churn_steady *cs,
					     enum bench_alloc a)
{
	u64 total = ((u64)CHURN_TURNS * churn_live_mb) << 20, step = total / CHURN_MARKS;
	u64 warmup = total / CHURN_WARMUP_DIV, mark = warmup, allocated = 0, ops = 0;
	u64 t0 = ktime_get_ns(), last = t0, now;
	u32 slot, size;
	void *p;

	while (allocated < total ||
	       ktime_get_ns() - t0 < (u64)churn_steady_ms * NSEC_PER_MSEC) {
		slot = bench_below(&set->seed, set->n);
		size = bench_loguniform(&set->seed);
		ba_free(a, set->objs[slot], NULL);
		set->live -= set->sizes[slot];
		set->sizes[slot] = 0;
		p = ba_alloc(a, size, NULL);
		set->objs[slot] = p;
		if (unlikely(!p))
			return -ENOMEM;
		set->sizes[slot] = size;
		set->live += size;
		allocated += size;
		if (++ops % CHURN_CHECK_OPS || allocated < warmup)
			continue;
		now = ktime_get_ns();
		if (allocated >= mark || now - last >= (u64)CHURN_POLL_MS * NSEC_PER_MSEC) {
			churn_sample(a, cs, set->live);
			while (mark <= allocated)
				mark += step;
			last = now;
		}
	}
	cs->ops = ops;
	cs->ns = ktime_get_ns() - t0 - cs->sample_ns;
	return 0;
}

static noinline int churn_steady_run(struct churn_set *set, struct churn_steady *cs,
				     enum bench_alloc a)
{
	if (a == BA_GOMEM)
		return churn_steady_loop(set, cs, BA_GOMEM);
	return churn_steady_loop(set, cs, BA_KMALLOC);
}

static int churn_steady_one(enum bench_alloc a, struct churn_set *set, struct churn_steady *cs)
{
	struct churn_reading r;
	unsigned int i, filled;
	int ret = 0;

	memset(cs, 0, sizeof(*cs));
	churn_before(a, &cs->before);
	set->seed = 13;
	set->live = 0;
	for (i = 0; i < set->n; i++) {
		set->sizes[i] = bench_loguniform(&set->seed);
		set->objs[i] = ba_alloc(a, set->sizes[i], NULL);
		if (!set->objs[i]) {
			ret = -ENOMEM;
			break;
		}
		set->live += set->sizes[i];
		cond_resched();
	}
	filled = i;
	if (!ret)
		ret = churn_steady_run(set, cs, a);
	if (!ret) {
		churn_read(a, &r);
		cs->held_end = r.held - cs->before.held;
		cs->passes = r.passes - cs->before.passes;
		cs->scav_ns = r.scav_ns - cs->before.scav_ns;
		cs->end = r;
		cs->live_end = set->live;
	}
	for (i = 0; i < filled; i++) {
		if (set->objs[i])
			ba_free(a, set->objs[i], NULL);
		set->objs[i] = NULL;
	}
	return ret;
}

/*
 * steady: a live set of churn_live_mb MiB requested; then each operation
 * frees a random object and allocates a new size in its slot, until
 * CHURN_TURNS times the live set was allocated.
 */
static void churn_steady(void)
{
	u64 seed = 13, live = 0, target = (u64)churn_live_mb << 20;
	struct churn_set set = {};
	struct churn_steady cs[2];
	char b[2][NUMBUF], what[48];
	unsigned int i;

	for (; live < target; set.n++)
		live += bench_loguniform(&seed);
	set.sizes = kvmalloc_array(set.n, sizeof(*set.sizes), GFP_KERNEL);
	set.objs = kvmalloc_array(set.n, sizeof(*set.objs), GFP_KERNEL);
	if (!set.sizes || !set.objs) {
		bench_failed("churn-steady", live, "kvmalloc", -ENOMEM);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (churn_steady_one(i ? BA_KMALLOC : BA_GOMEM, &set, &cs[i])) {
			bench_failed("churn-steady", live, i ? "kmalloc" : "gomem", -ENOMEM);
			goto out;
		}
		cs[i].samples = max(cs[i].samples, 1U);	/* a divisor from here on */
	}

	bench_pr("  steady: %u objects, %llu B requested; %u x that allocated\n",
		 set.n, live, CHURN_TURNS);
	bench_pr("  by replacing random objects, %llu operations\n", cs[0].ops);
	churn_head("bytes", "/live");
	churn_row("held before (absolute)", cs[0].before.held, cs[1].before.held, true, 0);
	churn_row("live at the end (requested)", cs[0].live_end, cs[1].live_end, true,
		  cs[0].live_end);
	churn_row("held at the end", cs[0].held_end, cs[1].held_end, true, cs[0].live_end);
	churn_row("  absolute", cs[0].before.held + cs[0].held_end,
		  cs[1].before.held + cs[1].held_end, true, 0);
	/* Where gomem's held bytes are: spans (their free objects), free runs. */
	churn_row("  gomem: spans in use (absolute)", cs[0].end.inuse, 0, false, cs[0].live_end);
	churn_row("    free objects in per-CPU caches", cs[0].end.cached, 0, false, cs[0].live_end);
	churn_row("    free objects in mcentrals", cs[0].end.central, 0, false, cs[0].live_end);
	churn_row("  gomem: free pages held (absolute)", cs[0].end.held - cs[0].end.inuse, 0,
		  false, cs[0].live_end);
	snprintf(what, sizeof(what), "samples after the first 1/%u", CHURN_WARMUP_DIV);
	bench_pr("  %-38s %12u %8s %12u\n", what, cs[0].samples, "", cs[1].samples);
	churn_row("  live mean", div_u64(cs[0].live_sum, cs[0].samples),
		  div_u64(cs[1].live_sum, cs[1].samples), true, 0);
	churn_row("  held mean", div_s64(cs[0].held_sum, cs[0].samples),
		  div_s64(cs[1].held_sum, cs[1].samples), true, 0);
	churn_row("  held max", cs[0].held_max, cs[1].held_max, true, 0);
	churn_ratio_row("  held / live: mean of the samples",
			div_u64(cs[0].ratio_sum, cs[0].samples),
			div_u64(cs[1].ratio_sum, cs[1].samples));
	churn_ratio_row("  held / live: max", cs[0].ratio_max, cs[1].ratio_max);
	bench_pr("  %-38s %12s %8s %12s\n", "churn wall time (ms, samples excluded)",
		 fmt_milli(b[0], NUMBUF, div_u64(cs[0].ns, NSEC_PER_USEC)), "",
		 fmt_milli(b[1], NUMBUF, div_u64(cs[1].ns, NSEC_PER_USEC)));
	churn_row("  scavenger passes (fill and churn)", cs[0].passes, 0, false, 0);
	/* The scavenger's CPU time over the churn's: its share of one CPU. */
	churn_row("  scavenger CPU time (us)", div_s64(cs[0].scav_ns, NSEC_PER_USEC), 0, false, 0);
	bench_pr("  %-38s %12s\n", "  scavenger CPU, % of the churn's time",
		 fmt_ratio(b[0], cs[0].scav_ns * 100, cs[0].ns + cs[0].sample_ns));
	bench_emit("churn-steady-scavenger-pct", cs[0].live_end, BU_X,
		   ratio_milli(cs[0].scav_ns * 100, cs[0].ns + cs[0].sample_ns), 0);

	bench_emit("churn-steady", cs[0].live_end, BU_BYTES, churn_clamp(cs[0].held_end),
		   churn_clamp(cs[1].held_end));
	bench_emit("churn-steady-mean", cs[0].live_end, BU_BYTES,
		   churn_clamp(div_s64(cs[0].held_sum, cs[0].samples)),
		   churn_clamp(div_s64(cs[1].held_sum, cs[1].samples)));
	bench_emit("churn-steady-max", cs[0].live_end, BU_BYTES, churn_clamp(cs[0].held_max),
		   churn_clamp(cs[1].held_max));
	bench_emit("churn-steady-ratio", cs[0].live_end, BU_X,
		   div_u64(cs[0].ratio_sum, cs[0].samples),
		   div_u64(cs[1].ratio_sum, cs[1].samples));
	bench_emit("churn-steady-ratio-max", cs[0].live_end, BU_X, cs[0].ratio_max,
		   cs[1].ratio_max);
	bench_emit("churn-steady-ms", cs[0].live_end, BU_MS, div_u64(cs[0].ns, NSEC_PER_USEC),
		   div_u64(cs[1].ns, NSEC_PER_USEC));
out:
	kvfree(set.objs);
	kvfree(set.sizes);
}

/*
 * 10. churn: what each allocator still holds after a population is mostly
 * or wholly freed (frag), for a small live set (small) and during a steady
 * churn (steady); gomem's whole run of a case before SLUB's.
 */
static void bench_churn(void)
{
	u64 t0 = ktime_get_ns();

	churn_ms = kmalloc(sizeof(*churn_ms), GFP_KERNEL);
	if (!churn_ms) {
		bench_failed("churn", 0, "kmalloc", -ENOMEM);
		return;
	}
	bench_pr("== 10. churn: memory held after churn, log-uniform 8 B-32 KiB ==\n");
	bench_pr("  gomem's run of a case, then SLUB's; held: gomem's heap_sys - heap_released,\n");
	bench_pr("  SLUB's slab pages; signed deltas from a settled reading before each case\n");
	bench_pr("  settled: a reading every %u ms, within 1 %% of one for %u ms (timeout %u ms)\n",
		 CHURN_POLL_MS, CHURN_STABLE_MS, CHURN_TIMEOUT_MS);
	churn_frag();
	churn_small();
	churn_steady();
	bench_pr("  (the churn scenario took %llu ms)\n",
		 div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
	kfree(churn_ms);
	churn_ms = NULL;
}

/* === The driver, module load and unload === */

static void bench_header(void)
{
	char counts[160];

	snprintf(counts, sizeof(counts),
		 "budget_ms=%u repeats=%u batch_objects=%u mixed_live=%u mixed_ops=%u",
		 budget_ms, repeats, batch_objects, mixed_live, MIXED_OPS);
	pr_info("bench-header: cpus=%u host_cpus=%u kernel=%s init_on_alloc=%d gomem_tiny=%d only=%s %s tiny_objects=%u mem_objects=%u churn_mb=%u churn_live_mb=%u\n",
		nr_bench_cpus, host_cpus, kernel_release, want_init_on_alloc(GFP_KERNEL),
		gomem_tiny, only, counts, tiny_objects, mem_objects, churn_mb, churn_live_mb);
	bench_pr("%u guest CPUs (host CPUs: %u, 0 if unknown), kernel %s, init_on_alloc %s\n",
		 nr_bench_cpus, host_cpus, kernel_release,
		 want_init_on_alloc(GFP_KERNEL) ? "on (every object zeroed)" : "off");
	bench_pr("each figure: median of %u measurements of about %u ms each\n", repeats,
		 budget_ms);
	bench_pr("the iterations of one measurement are at the end of each row\n");
}

/* Runs everything, in a kthread bound to bench_cpus[0]. */
static void bench_driver(struct bench_worker *w)
{
	u64 t0 = ktime_get_ns();
	char totals[96];

	bench_sync(w);
	gomem_tiny = gomem_tiny_on();
	bench_header();
	if (marks)
		marks_selftest();
	/* Memory first, while gomem holds nothing else. */
	if (want(SC_TINY))
		bench_tiny();
	if (want(SC_MEMORY))
		bench_memory();
	if (want(SC_CHURN))
		bench_churn();
	if (want(SC_RCU))
		bench_rcu();
	if (want(SC_FAST) || want(SC_FLOOR))
		bench_fast();
	if (want(SC_BATCH))
		bench_batch();
	if (want(SC_BULK))
		bench_bulk();
	if (want(SC_MIXED))
		bench_mixed();
	if (want(SC_REMOTE))
		bench_remote();
	if (want(SC_PARALLEL))
		bench_parallel();
	snprintf(totals, sizeof(totals), "measurements=%llu iterations=%llu elapsed_ms=%llu",
		 nr_measurements, nr_iterations, div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
	pr_info("bench-done: results=%u failures=%u stopped_runs=%u %s kernel=%s\n",
		nr_results, nr_failures, nr_stopped, totals, kernel_release);
	w->end = ktime_get_ns();
}

static int bench_parse_only(void)
{
	char *buf, *s, *tok;
	int i, ret = 0;

	buf = kstrdup(only ? only : "", GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = buf;
	while ((tok = strsep(&s, ","))) {
		if (!strcmp(tok, "all")) {
			scenarios |= BIT(SC_NR) - 1;
			continue;
		}
		i = match_string(scenario_names, SC_NR, tok);
		if (i < 0) {
			pr_err(KBUILD_MODNAME ": only=%s: unknown scenario '%s' (see modinfo)\n",
			       only, tok);
			ret = -EINVAL;
			break;
		}
		scenarios |= BIT(i);
	}
	kfree(buf);
	return ret;
}

static int bench_check(const char *name, unsigned int v, unsigned int lo, unsigned int hi)
{
	if (v >= lo && v <= hi)
		return 0;
	pr_err(KBUILD_MODNAME ": %s=%u is out of range %u-%u\n", name, v, lo, hi);
	return -EINVAL;
}

static int bench_check_params(void)
{
	return bench_check("budget_ms", budget_ms, 1, 2000) ?:
	       bench_check("repeats", repeats, 1, 15) ?:
	       bench_check("batch_objects", batch_objects, 1, 1000000) ?:
	       bench_check("mixed_live", mixed_live, 1, 65536) ?:
	       bench_check("tiny_objects", tiny_objects, 1, 2000000) ?:
	       bench_check("mem_objects", mem_objects, 1, 100000) ?:
	       bench_check("churn_mb", churn_mb, 1, 256) ?:
	       bench_check("churn_live_mb", churn_live_mb, 1, 64) ?:
	       bench_check("churn_steady_ms", churn_steady_ms, 0, 600000) ?:
	       bench_check("rcu_objects", rcu_objects, 1000, 1000000) ?:
	       bench_check("fast_max", fast_max, 8, 65536) ?:
	       bench_check("parallel_size", parallel_size, 8, 32768) ?:
	       bench_check("host_cpus", host_cpus, 0, 65536) ?:
	       bench_parse_only();
}

static int bench_setup(void)
{
	unsigned int cpu, i;
	u64 seed = 3;
	int ret;

	ret = floor_init();
	if (ret)
		return ret;
	cpus_read_lock();
	bench_cpus = kcalloc(num_online_cpus(), sizeof(*bench_cpus), GFP_KERNEL);
	if (bench_cpus) {
		for_each_online_cpu(cpu) {
			if (nr_bench_cpus < num_online_cpus())
				bench_cpus[nr_bench_cpus++] = cpu;
		}
	}
	cpus_read_unlock();
	if (!bench_cpus)
		return -ENOMEM;
	if (want(SC_MIXED) || want(SC_PARALLEL)) {
		mixed_ops = kvmalloc_array(MIXED_OPS, sizeof(*mixed_ops), GFP_KERNEL);
		if (!mixed_ops)
			return -ENOMEM;
		for (i = 0; i < MIXED_OPS; i++) {
			mixed_ops[i].size = bench_loguniform(&seed);
			mixed_ops[i].slot = bench_below(&seed, mixed_live);
		}
	}
	return 0;
}

static void bench_teardown(void)
{
	kvfree(mixed_ops);
	kfree(bench_cpus);
	kvfree(floor_mem);
}

static int __init gomem_bench_init(void)
{
	s64 ret;

	ret = bench_check_params();
	if (ret)
		return ret;
	kernel_release = init_utsname()->release;
	ret = bench_setup();
	if (!ret)
		ret = bench_group_run(bench_driver, NULL, 1);
	bench_teardown();
	if (ret < 0) {
		pr_err(KBUILD_MODNAME ": cannot run: %lld\n", ret);
		return ret;
	}
	return 0;
}

/* Everything was freed before init returned. */
static void __exit gomem_bench_exit(void)
{
}

module_init(gomem_bench_init);
module_exit(gomem_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem_bench: gomem against SLUB (kmalloc, kmem_cache), timings and memory held");
