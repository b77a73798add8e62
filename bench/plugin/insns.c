// SPDX-License-Identifier: GPL-2.0
/*
 * gomem-insns: a QEMU TCG plugin (plugin API version 1, QEMU 7.2) that
 * counts the guest instructions, and the locked ones, executed between two
 * markers the guest runs - gomem_bench.ko around each timed loop.
 *
 * A marker is a multi-byte NOP no compiler emits: "nopl MAGIC(%rax)",
 * 0f 1f 80 followed by the 32-bit displacement GOMEM_MARK_START or
 * GOMEM_MARK_STOP (bench/plugin/mark.h). At a start the counts are taken;
 * at the stop the plugin prints one line to QEMU's log (-d plugin -D FILE):
 *
 *   gomem-insns region=N insns=I locked=L
 *
 * N counts regions from 0 in the order they end. With the argument
 * "pcs=on" (-plugin gomem-insns.so,pcs=on) it also prints, before that
 * line, where the region's instructions were: one line per translation
 * block start address that ran in it,
 *
 *   gomem-insns-pc region=N pc=ADDR insns=I
 *
 * which scripts/insns-profile.py sums per function. "Locked" is every
 * instruction with a LOCK prefix (F0, among the legacy and REX prefixes)
 * and every XCHG with a memory operand (86/87 with ModRM mod != 3), which
 * the CPU locks without a prefix. Counting is exact with one vCPU (the
 * counters are plain); "-smp 1" is assumed and checked at install.
 *
 * Debian ships no qemu-plugin.h: the few declarations needed are below,
 * as QEMU 7.2's include/qemu/qemu-plugin.h has them.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"

/* === QEMU 7.2's plugin API, version 1: what this plugin uses === */

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;

typedef struct {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
						enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_outs(const char *string);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* === Counting === */

#ifndef GOMEM_INSNS_TEST
static uint64_t insns;		/* every instruction executed */
static uint64_t locked;		/* locked ones */
static uint64_t start_insns, start_locked, region;
static bool in_region;

/*
 * pcs=on: a record per translated block, its instructions counted while a
 * region runs. A block translated again gets a record of its own; the
 * host's script adds records of one address.
 */
struct tb_rec {
	uint64_t pc;
	uint64_t n;		/* instructions in the block */
	uint64_t insns;		/* of them, executed in the current region */
};

static bool pcs;
static struct tb_rec **recs;
static size_t nrecs, recs_cap;
#endif

/* The ModRM byte after the opcode at @op says: a memory operand (mod != 3). */
static bool modrm_is_mem(const uint8_t *b, size_t n, size_t op)
{
	return op + 1 < n && (b[op + 1] >> 6) != 3;
}

static bool insn_is_locked(const uint8_t *b, size_t n)
{
	bool lock = false;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = b[i];

		if (c == 0xf0)
			lock = true;
		else if (c == 0x66 || c == 0x67 || c == 0xf2 || c == 0xf3 || c == 0x2e ||
			 c == 0x36 || c == 0x3e || c == 0x26 || c == 0x64 || c == 0x65 ||
			 (c >= 0x40 && c <= 0x4f))
			continue;
		else
			break;
	}
	if (lock)
		return true;
	/* XCHG r/m, r: locked whenever it touches memory. */
	return i < n && (b[i] == 0x86 || b[i] == 0x87) && modrm_is_mem(b, n, i);
}

/* A marker: nopl disp32(%rax), 0f 1f 80 + the magic. Returns the magic or 0. */
static uint32_t insn_mark(const uint8_t *b, size_t n)
{
	uint32_t magic;

	if (n != 7 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
		return 0;
	memcpy(&magic, b + 3, sizeof(magic));
	return magic == GOMEM_MARK_START || magic == GOMEM_MARK_STOP ? magic : 0;
}

#ifndef GOMEM_INSNS_TEST
static void mark_start(unsigned int vcpu, void *udata)
{
	start_insns = insns;
	start_locked = locked;
	in_region = true;
}

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct tb_rec *r = udata;

	if (in_region)
		r->insns += r->n;
}

/* The region's blocks, one line each, their counts then reset. */
static void print_pcs(void)
{
	char line[128];
	size_t i;

	for (i = 0; i < nrecs; i++) {
		if (!recs[i]->insns)
			continue;
		snprintf(line, sizeof(line), "gomem-insns-pc region=%" PRIu64 " pc=%#" PRIx64
			 " insns=%" PRIu64 "\n", region, recs[i]->pc, recs[i]->insns);
		qemu_plugin_outs(line);
		recs[i]->insns = 0;
	}
}

static void mark_stop(unsigned int vcpu, void *udata)
{
	char line[128];

	if (!in_region)
		return;
	in_region = false;
	if (pcs)
		print_pcs();
	snprintf(line, sizeof(line), "gomem-insns region=%" PRIu64 " insns=%" PRIu64
		 " locked=%" PRIu64 "\n", region++, insns - start_insns, locked - start_locked);
	qemu_plugin_outs(line);
}

/* A record for a block at @pc of @n instructions; false when out of memory. */
static bool add_rec(uint64_t pc, size_t n)
{
	struct tb_rec *r;

	if (nrecs == recs_cap) {
		size_t cap = recs_cap ? 2 * recs_cap : 4096;
		struct tb_rec **p = realloc(recs, cap * sizeof(*p));

		if (!p)
			return false;
		recs = p;
		recs_cap = cap;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return false;
	r->pc = pc;
	r->n = n;
	recs[nrecs++] = r;
	return true;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, n);
	if (pcs && add_rec(qemu_plugin_tb_vaddr(tb), n))
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS,
						     recs[nrecs - 1]);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *b = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		uint32_t mark = insn_mark(b, len);

		if (insn_is_locked(b, len))
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &locked, 1);
		if (mark)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, mark == GOMEM_MARK_START ?
							       mark_start : mark_stop,
							       QEMU_PLUGIN_CB_NO_REGS, NULL);
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "pcs=on")) {
			pcs = true;
		} else {
			fprintf(stderr, "gomem-insns: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!info->system_emulation || info->system.smp_vcpus != 1) {
		fprintf(stderr, "gomem-insns: needs system emulation with one vCPU\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	return 0;
}
#endif

#ifdef GOMEM_INSNS_TEST
/*
 * The decoder's test (make check, step plugin): built with
 * -DGOMEM_INSNS_TEST as a program, against byte patterns whose answer is
 * known. QEMU itself is not needed.
 */
int main(void)
{
	static const struct {
		const char *what;
		uint8_t b[8];
		size_t n;
		bool locked;
		uint32_t mark;
	} t[] = {
		{ "lock bts %rax,(%rdx)", { 0xf0, 0x48, 0x0f, 0xab, 0x02 }, 5, true, 0 },
		{ "lock btr with a %gs prefix", { 0x65, 0xf0, 0x48, 0x0f, 0xb3, 0x02 }, 6, true, 0 },
		{ "lock cmpxchg16b (%rsi)", { 0xf0, 0x48, 0x0f, 0xc7, 0x0e }, 5, true, 0 },
		{ "cmpxchg16b %gs:(%rsi), no lock", { 0x65, 0x48, 0x0f, 0xc7, 0x0e }, 5, false, 0 },
		{ "xchg %eax,(%rdx)", { 0x87, 0x02 }, 2, true, 0 },
		{ "xchg %al,(%rdx)", { 0x86, 0x02 }, 2, true, 0 },
		{ "xchg %rcx,%rax (registers)", { 0x48, 0x87, 0xc8 }, 3, false, 0 },
		{ "ds-prefixed bts (a patched-out lock)", { 0x3e, 0x48, 0x0f, 0xab, 0x02 }, 5, false, 0 },
		{ "rep movsb", { 0xf3, 0xa4 }, 2, false, 0 },
		{ "start marker", { 0x0f, 0x1f, 0x80, 0x01, 0x00, 0x6d, 0x67 }, 7, false,
		  GOMEM_MARK_START },
		{ "stop marker", { 0x0f, 0x1f, 0x80, 0x02, 0x00, 0x6d, 0x67 }, 7, false,
		  GOMEM_MARK_STOP },
		{ "another nopl", { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 }, 7, false, 0 },
	};
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool l = insn_is_locked(t[i].b, t[i].n);
		uint32_t m = insn_mark(t[i].b, t[i].n);

		if (l != t[i].locked || m != t[i].mark) {
			printf("FAIL %s: locked %d (want %d), mark %#x (want %#x)\n", t[i].what, l,
			       t[i].locked, m, t[i].mark);
			bad++;
		}
	}
	printf("gomem-insns decoder: %u cases, %u failed\n", i, bad);
	return bad != 0;
}
#endif
