#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check gomem's layering from the built objects: no arrow up.

The layers are read from the table at the top of gomem/internal.h (the one
place they are written). For every object file of gomem.ko, `nm` tells which
global symbols it defines and which it uses; a use of a symbol defined by
another gomem file - a call, or a read of its data (a static key, a per-CPU
variable, a table) - must point to a file of a lower layer. Files of one
layer may not use each other.

usage: scripts/check-layers.py [--list] [OBJDIR]
  OBJDIR  the built gomem/ directory (default: build/debug/gomem, which
          make check's W=1 build leaves)
  --list  print every cross-file use, grouped by file, with its direction
Exit status 0 when every use points down, 1 otherwise (each offence named).
"""

import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE_ROW = re.compile(r'^ \*\s+(\d+)\s+((?:[\w-]+\.[ch](?:,\s*)?)+)')


def read_layers(header):
    """Map each file named in internal.h's layer table to its layer number."""
    layers = {}
    in_table = False
    with open(header, encoding='utf-8') as f:
        for line in f:
            if line.startswith(' * Layers'):
                in_table = True
                continue
            if not in_table:
                continue
            if line.startswith(' * Lock order'):
                break
            m = TABLE_ROW.match(line)
            if m:
                for name in re.split(r',\s*', m.group(2).strip().rstrip(',')):
                    layers[name] = int(m.group(1))
    return layers


def symbols(obj):
    """Global symbols an object defines and those it leaves undefined."""
    out = subprocess.run(['nm', obj], check=True, capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'U':
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBRGSVW' and parts[1].isupper():
            defined.add(parts[2])
    return defined, used


def main(argv):
    listing = '--list' in argv
    args = [a for a in argv if a != '--list']
    objdir = args[0] if args else os.path.join(TOP, 'build', 'debug', 'gomem')
    layers = read_layers(os.path.join(TOP, 'gomem', 'internal.h'))
    if not layers:
        print('check-layers: no layer table found in gomem/internal.h')
        return 1
    sources = sorted(f for f in os.listdir(os.path.join(TOP, 'gomem')) if f.endswith('.c'))
    bad = 0
    for src in sources:
        if src not in layers:
            print(f'check-layers: gomem/{src} is in no layer of internal.h\'s table')
            bad += 1
    for name in layers:
        if name.endswith('.c') and name not in sources:
            print(f'check-layers: internal.h names {name}, which does not exist')
            bad += 1
    objs = {}
    for src in sources:
        obj = os.path.join(objdir, src[:-2] + '.o')
        if not os.path.exists(obj):
            print(f'check-layers: {obj} is missing (build gomem first)')
            return 1
        objs[src] = symbols(obj)
    definer = {}
    for src, (defined, _) in objs.items():
        for sym in defined:
            definer[sym] = src
    edges = 0
    for src in sources:
        if src not in layers:
            continue
        uses = {}
        for sym in sorted(objs[src][1]):
            dst = definer.get(sym)
            if dst and dst != src:
                uses.setdefault(dst, []).append(sym)
        for dst in sorted(uses, key=lambda d: (layers.get(d, 99), d)):
            edges += len(uses[dst])
            down = layers.get(dst, 99) < layers[src]
            if listing:
                arrow = 'down' if down else 'UP  '
                print(f'{arrow} {src} ({layers[src]}) -> {dst} ({layers.get(dst)}): '
                      + ', '.join(uses[dst]))
            if not down:
                print(f'check-layers: {src} (layer {layers[src]}) uses {dst} '
                      f'(layer {layers.get(dst)}): ' + ', '.join(uses[dst]))
                bad += 1
    if bad:
        print(f'check-layers: {bad} problem(s)')
        return 1
    print(f'check-layers: {len(sources)} files, {edges} cross-file uses, every one points down')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
