/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The markers gomem_bench.ko runs around a counted loop, and the plugin
 * (bench/plugin/insns.c) recognises: "nopl MAGIC(%rax)" (0f 1f 80 + a
 * 32-bit displacement), a 7-byte NOP that changes nothing on any CPU.
 */
#ifndef _GOMEM_BENCH_MARK_H
#define _GOMEM_BENCH_MARK_H

#define GOMEM_MARK_START	0x676d0001	/* "gm", 1 */
#define GOMEM_MARK_STOP		0x676d0002	/* "gm", 2 */

#ifdef __KERNEL__
#include <linux/stringify.h>

/* A compiler barrier too: the loop stays between the two. */
#define gomem_mark_start()						\
	asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long " __stringify(GOMEM_MARK_START) \
		     ::: "memory")
#define gomem_mark_stop()						\
	asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long " __stringify(GOMEM_MARK_STOP) \
		     ::: "memory")
#endif

#endif /* _GOMEM_BENCH_MARK_H */
