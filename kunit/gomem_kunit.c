// SPDX-License-Identifier: GPL-2.0
/* placeholder */
#include <kunit/test.h>
#include <linux/module.h>
#include "../gomem/gomem.h"

static void gomem_test_basic(struct kunit *test)
{
	void *p = gomem_alloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomem_usable_size(p), (size_t)112);
	gomem_free(p);
}

static struct kunit_case gomem_basic_cases[] = {
	KUNIT_CASE(gomem_test_basic),
	{}
};

static struct kunit_suite gomem_basic_suite = {
	.name = "gomem_basic",
	.test_cases = gomem_basic_cases,
};
kunit_test_suite(gomem_basic_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gomem KUnit suites");
