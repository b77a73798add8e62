// SPDX-License-Identifier: GPL-2.0
/*
 * gomem_sample - a client module: allocates and frees a realistic mix of
 * objects through gomem, checks every byte it wrote, and keeps a share of
 * them alive until it is unloaded, so /proc/gomem has something to show.
 */

#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "../gomem/gomem.h"

static unsigned int nr_objects = 4000;
module_param(nr_objects, uint, 0444);
MODULE_PARM_DESC(nr_objects, "Objects in the working set, 1-1000000 (default: 4000)");

static unsigned int rounds = 8;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Times each working-set slot is replaced, 1-1000 (default: 8)");

static unsigned int leak;
module_param(leak, uint, 0444);
MODULE_PARM_DESC(leak,
		 "Demonstration only: objects to allocate and lose on purpose, for kmemleak and gomem's debug=U leak list, 0-1000 (default: 0)");

struct sample_obj {
	u8 *p;
	u32 size;
	u8 seed;
};

static struct sample_obj *objs;

/*
 * The leak parameter: objects of a few sizes (small classes and a large
 * one, no tiny ones) whose pointers are dropped at once, so that kmemleak
 * and gomem's unload report in debug mode have something to find.
 */
static noinline int sample_leak(unsigned int n)
{
	static const u32 sizes[] = { 32, 200, 3000, 40000 };
	unsigned int i;

	for (i = 0; i < n; i++) {
		u8 *p = gomem_alloc(sizes[i % ARRAY_SIZE(sizes)], GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		memset(p, 0x11, sizes[i % ARRAY_SIZE(sizes)]);
	}
	if (n)
		pr_info("leaked %u objects on purpose (leak=%u)\n", n, n);
	return 0;
}

/* Sizes log-uniform from 1 byte to 64 KiB: many small objects, a few large. */
static u32 sample_size(void)
{
	u32 bits = get_random_u32_below(17);

	return (1U << bits) + get_random_u32_below(1U << bits);
}

static void fill(struct sample_obj *o)
{
	u32 i;

	for (i = 0; i < o->size; i++)
		o->p[i] = o->seed + i;
}

static bool intact(const struct sample_obj *o)
{
	u32 i;

	for (i = 0; i < o->size; i++) {
		if (o->p[i] != (u8)(o->seed + i)) {
			pr_err("object of %u bytes (usable %zu) corrupted at byte %u\n",
			       o->size, gomem_usable_size(o->p), i);
			return false;
		}
	}
	return true;
}

static int sample_take(struct sample_obj *o)
{
	o->size = min_t(u32, sample_size(), 65536);
	o->seed = get_random_u32();
	o->p = gomem_alloc(o->size, GFP_KERNEL);
	if (!o->p)
		return -ENOMEM;
	if (gomem_usable_size(o->p) < o->size) {
		pr_err("object of %u bytes has only %zu usable\n", o->size,
		       gomem_usable_size(o->p));
		return -EFAULT;
	}
	fill(o);
	return 0;
}

static int __init gomem_sample_init(void)
{
	unsigned long allocs = 0, reallocs = 0;
	unsigned int r, i, kept = 0;
	int ret = 0;

	if (!nr_objects || nr_objects > 1000000 || !rounds || rounds > 1000 || leak > 1000) {
		pr_err("nr_objects must be 1-1000000, rounds 1-1000 and leak 0-1000\n");
		return -EINVAL;
	}
	objs = kvcalloc(nr_objects, sizeof(*objs), GFP_KERNEL);
	if (!objs)
		return -ENOMEM;

	for (r = 0; r < rounds && !ret; r++) {
		for (i = 0; i < nr_objects && !ret; i++) {
			struct sample_obj *o = &objs[get_random_u32_below(nr_objects)];

			if (o->p) {
				if (!intact(o)) {
					ret = -EFAULT;
					break;
				}
				if (get_random_u32_below(4) == 0) {
					/* Grow or shrink in place or by moving. */
					u32 size = min_t(u32, sample_size(), 65536);
					u8 *p = gomem_realloc(o->p, size, GFP_KERNEL);

					if (!p) {
						ret = -ENOMEM;
						break;
					}
					o->p = p;
					if (size > o->size)
						memset(p + o->size, 0, size - o->size);
					o->size = size;
					fill(o);
					reallocs++;
					continue;
				}
				gomem_free(o->p);
				o->p = NULL;
			}
			ret = sample_take(o);
			allocs++;
		}
	}
	/* Free three quarters; the rest stays until unload. */
	for (i = 0; i < nr_objects; i++) {
		if (!objs[i].p)
			continue;
		if (!intact(&objs[i]) && !ret)
			ret = -EFAULT;
		if (i % 4 || ret) {
			gomem_free(objs[i].p);
			objs[i].p = NULL;
		} else {
			kept++;
		}
	}
	if (ret) {
		pr_err("failed: %d after %lu allocations\n", ret, allocs);
		for (i = 0; i < nr_objects; i++)
			gomem_free(objs[i].p);
		kvfree(objs);
		return ret;
	}
	ret = sample_leak(leak);
	if (ret) {
		for (i = 0; i < nr_objects; i++)
			gomem_free(objs[i].p);
		kvfree(objs);
		return ret;
	}
	pr_info("ok: %lu allocations, %lu reallocations, %u objects kept\n", allocs, reallocs,
		kept);
	return 0;
}

static void __exit gomem_sample_exit(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < nr_objects; i++) {
		if (objs[i].p && !intact(&objs[i]))
			bad++;
		gomem_free(objs[i].p);
	}
	kvfree(objs);
	/*
	 * Objects freed after a grace period as the module goes: still pending
	 * when it is gone, they are not its leaks (gomem frees them first).
	 */
	for (i = 0; i < 5; i++)
		gomem_free_rcu_mightsleep(gomem_alloc(64, GFP_KERNEL));
	if (bad)
		pr_err("%u objects corrupted at unload\n", bad);
	else
		pr_info("unloaded, all objects intact\n");
}

module_init(gomem_sample_init);
module_exit(gomem_sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem sample client: a realistic mix of allocations");
