// SPDX-License-Identifier: GPL-2.0
/*
 * gomem's module: its parameters, the order in which the layers start and
 * stop, and the leak report at unload.
 *
 * Init goes bottom up (internal.h lists the layers): debug mode, the
 * mcentrals, the mheap, the per-CPU caches, /proc/gomem, then the scavenger
 * and its shrinker, the last because it may run at once. Exit goes top down:
 * nothing can report leaks into, kick, or read a layer that is gone.
 *
 * Layer 13 (internal.h), the top: calls any layer.
 */

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/slab.h>

#include "internal.h"

module_param_named(tiny, gomem_tiny_enabled, bool, 0444);
MODULE_PARM_DESC(tiny, "Pack objects under 16 bytes into 16-byte blocks (default: on)");

static unsigned long initial_heap_kb;
module_param(initial_heap_kb, ulong, 0444);
MODULE_PARM_DESC(initial_heap_kb,
		 "Heap to take from the page allocator at load and retain, in KiB (default: 0)");

static unsigned long retain_kb;
module_param(retain_kb, ulong, 0444);
MODULE_PARM_DESC(retain_kb,
		 "Free heap pages always kept from the page allocator, in KiB: the scavenger's floor (default: 0)");

static unsigned int scavenge_permille = 10;
module_param(scavenge_permille, uint, 0444);
MODULE_PARM_DESC(scavenge_permille,
		 "Share of one CPU the background scavenger may spend, in 1/1000, 1-1000 (default: 10, Go's 1 %)");

static unsigned long memory_limit_kb;

/* A limit beyond all memory is a mistake; one below what is held is taken as it is. */
static int memory_limit_set(const char *val, const struct kernel_param *kp)
{
	unsigned long kb;
	int ret;

	ret = kstrtoul(val, 0, &kb);
	if (ret)
		return ret;
	if (kb > (totalram_pages() << (PAGE_SHIFT - 10)))
		return -EINVAL;
	*(unsigned long *)kp->arg = kb;
	gomem_heap_set_limit(kb * 1024);
	return 0;
}

static const struct kernel_param_ops memory_limit_ops = {
	.set = memory_limit_set,
	.get = param_get_ulong,
};

module_param_cb(memory_limit_kb, &memory_limit_ops, &memory_limit_kb, 0644);
MODULE_PARM_DESC(memory_limit_kb,
		 "Heap pages gomem may hold, in KiB, 0 for no limit; writable at runtime (default: 0)");

static unsigned long profile_rate;

/* The heap profile's rate: 0 off, up to GOMEM_PROFILE_MAX_RATE; at load or at runtime. */
static int profile_rate_set(const char *val, const struct kernel_param *kp)
{
	unsigned long rate;
	int ret;

	ret = kstrtoul(val, 0, &rate);
	if (ret)
		return ret;
	ret = gomem_profile_set_rate(rate);
	if (ret)
		return ret;
	*(unsigned long *)kp->arg = rate;
	return 0;
}

static int profile_rate_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lu\n", gomem_profile_rate());
}

static const struct kernel_param_ops profile_rate_ops = {
	.set = profile_rate_set,
	.get = profile_rate_get,
};

module_param_cb(profile_rate, &profile_rate_ops, &profile_rate, 0644);
MODULE_PARM_DESC(profile_rate,
		 "Heap profile: sample one allocation per this many bytes on average (Go's MemProfileRate), 1 for every one, 0 for none, at most 1073741824; writable at runtime, also as /sys/kernel/debug/gomem/profile_rate (default: 0)");

static char *debug;
module_param(debug, charp, 0444);
MODULE_PARM_DESC(debug,
		 "Debug mode, as slub_debug: Z red zones, P poisoning, U owner tracking, 1 or all for ZPU (default: off)");

/* Objects still allocated at unload: counted, and with U listed by owner. */
static void gomem_report_leaks(void)
{
	struct gomem_memstats *ms = kzalloc(sizeof(*ms), GFP_KERNEL);

	if (!ms)
		return;
	gomem_read_memstats(ms);
	if (ms->heap_objects) {
		pr_warn("unloading with %llu objects (%llu bytes) still allocated, freed now\n",
			ms->heap_objects, ms->heap_alloc);
		gomem_debug_report_leaks();
	}
	kfree(ms);
}

static int __init gomem_init(void)
{
	int ret;

	if (!scavenge_permille || scavenge_permille > 1000)
		return -EINVAL;
	ret = gomem_debug_init(debug);
	if (ret)
		return ret;
	ret = gomem_central_init();
	if (ret)
		goto out_debug;
	ret = gomem_heap_init(initial_heap_kb * 1024);
	if (ret)
		goto out_central;
	ret = gomem_mcache_init();
	if (ret)
		goto out_heap;
	ret = gomem_clients_init();
	if (ret)
		goto out_mcache;
	ret = gomem_profile_init(profile_rate);
	if (ret)
		goto out_clients;
	ret = gomem_proc_init();
	if (ret)
		goto out_clients;
	ret = gomem_scavenger_init(max(retain_kb, initial_heap_kb) * 1024, scavenge_permille);
	if (ret)
		goto out_proc;
	gomem_malloc_init();
	gomem_dropin_init();
	gomem_debug_start();
	pr_info("loaded: %u size classes, %lu KiB per-CPU caches, tiny %s\n",
		GOMEM_NUM_SIZE_CLASSES - 1, gomem_mcache_bytes() / 1024,
		gomem_debug_flags ? "off (debug mode)" : gomem_tiny_enabled ? "on" : "off");
	return 0;

out_proc:
	gomem_proc_exit();
out_clients:
	gomem_clients_exit();
out_mcache:
	gomem_mcache_exit();
out_heap:
	gomem_central_drain();
	gomem_heap_exit();
out_central:
	gomem_central_exit();
out_debug:
	gomem_debug_exit_module();
	/* Also the tables the rate's module parameter may have made. */
	gomem_profile_exit();
	return ret;
}

static void __exit gomem_exit(void)
{
	gomem_dropin_exit();
	gomem_malloc_exit();
	gomem_scavenger_exit();
	gomem_proc_exit();
	gomem_profile_exit();
	/* Read every client's counters: before they go. */
	gomem_report_leaks();
	gomem_clients_exit();
	gomem_debug_exit_module();
	gomem_mcache_exit();
	gomem_central_drain();
	gomem_heap_exit();
	gomem_central_exit();
}

module_init(gomem_init);
module_exit(gomem_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem: Go's runtime memory allocator for kernel modules");
