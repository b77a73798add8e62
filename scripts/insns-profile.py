#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where make bench-insns's instructions went: instructions per operation by
function, for each run kind (scenario, size, allocator).

usage: insns-profile.py [--top N] PLUGIN_LOG BENCH_LOG SYSTEM_MAP

PLUGIN_LOG has the plugin's "gomem-insns-pc region=R pc=ADDR insns=I" lines
(pcs=on, bench/plugin/insns.c); BENCH_LOG the bench's "bench-region R: NAME
SIZE ALLOCATOR ... ops=N" lines and the guest's "ksym: ADDR TYPE NAME [gomem]"
lines (gomem's symbols from /proc/kallsyms); SYSTEM_MAP the kernel's symbols
(the test kernels have no KASLR), and its "kmod: gomem SIZE ... ADDR" line
(gomem's /proc/modules line: where its text ends). A block is charged to the
function its first address lies in: a block never crosses a function's end
unless the code falls through into the next one, which kernel code does not
do. Addresses past the kernel's text and outside gomem's module (the bench
module's loop) count as "(bench module)".
"""

import argparse
import bisect
import re
import sys
from collections import defaultdict

PC = re.compile(r"gomem-insns-pc region=(\d+) pc=(0x[0-9a-f]+) insns=(\d+)")
REGION = re.compile(r"bench-region (\d+): (.*) ops=(\d+)\s*$")
KSYM = re.compile(r"ksym: ([0-9a-f]+) [tT] (\S+)")
KMOD = re.compile(r"kmod: gomem (\d+) .* 0x([0-9a-f]+)")


def read_symbols(system_map, bench_log):
    """Sorted (address, name) of text symbols, the kernel's and gomem's; the
    kernel's last symbol; the end of gomem's module (None if not printed)."""
    syms = []
    gomem_end = None
    with open(system_map) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tT":
                syms.append((int(parts[0], 16), parts[2]))
    kernel_end = max(a for a, _ in syms) if syms else 0
    with open(bench_log, errors="replace") as f:
        for line in f:
            m = KSYM.search(line)
            if m:
                syms.append((int(m.group(1), 16), "gomem:" + m.group(2)))
            m = KMOD.search(line)
            if m:
                gomem_end = int(m.group(2), 16) + int(m.group(1))
    syms.sort()
    return syms, kernel_end, gomem_end


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("plugin_log")
    ap.add_argument("bench_log")
    ap.add_argument("system_map")
    a = ap.parse_args()

    syms, kernel_end, gomem_end = read_symbols(a.system_map, a.bench_log)
    addrs = [s[0] for s in syms]

    def name_of(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        if i < 0:
            return "(unknown)"
        name = syms[i][1]
        # Past the kernel's text, in no gomem function: another module.
        if not name.startswith("gomem:") and pc > kernel_end + (1 << 20):
            return "(bench module)"
        if name.startswith("gomem:") and gomem_end is not None and pc >= gomem_end:
            return "(bench module)"
        return name

    per_region = defaultdict(lambda: defaultdict(int))
    with open(a.plugin_log, errors="replace") as f:
        for line in f:
            m = PC.match(line)
            if m:
                per_region[int(m.group(1))][name_of(int(m.group(2), 16))] += int(m.group(3))

    kinds = {}
    order = []
    with open(a.bench_log, errors="replace") as f:
        for line in f:
            m = REGION.search(line)
            if not m:
                continue
            key = " ".join(m.group(2).split())
            if key not in kinds:
                kinds[key] = [defaultdict(int), 0]
                order.append(key)
            k = kinds[key]
            k[1] += int(m.group(3))
            for fn, n in per_region.get(int(m.group(1)), {}).items():
                k[0][fn] += n

    if not per_region:
        print("no gomem-insns-pc lines: was the plugin run with pcs=on?", file=sys.stderr)
        return 1
    for key in order:
        funcs, ops = kinds[key]
        total = sum(funcs.values())
        if not ops or not total:
            continue
        print(f"{key}: {total / ops:.1f} insns/op")
        for fn, n in sorted(funcs.items(), key=lambda x: -x[1])[: a.top]:
            print(f"  {n / ops:9.2f}  {fn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
