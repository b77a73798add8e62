#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate gomem/sizeclasses.h, the small-object size class tables.

This re-implements the algorithm of Go's src/runtime/mksizeclasses.go (the
version with 68 classes and a 32-bit division magic) so that gomem uses
exactly the size classes of the Go runtime.

Algorithm
---------
1. Candidate object sizes start at 8 bytes and grow by an alignment step.
   The step is 8 bytes at first; whenever the candidate reaches a power of
   two it is raised: to 16 from 32 bytes on, to size/8 from 128 bytes on
   (16, 32, 64, 128) and to 256 from 2048 bytes on.  The last candidate is
   32768 bytes (maxSmallSize).  Since consecutive candidates differ by at most
   1/8 of the size, rounding a request up to its class wastes at most 12.5 %.

2. For each candidate, the span length (npages, 8 KiB pages) is the smallest
   number of pages such that the bytes left over after cutting the span into
   objects (the tail waste) are at most 1/8 of the span.

3. When a candidate gets the same npages and the same number of objects per
   span as the previous class, it replaces that class (the larger size is
   kept): a smaller class would not save any memory.

4. Every class is then enlarged to the biggest size that still fits the same
   number of objects in its span, rounded down to a multiple of 128 bytes
   (largeSizeDiv) so the size-to-class lookup tables stay exact.

5. Checks, each of which aborts the script when it fails:
   - there are exactly 68 classes (class 0 being the "no class" dummy) and
     no span is longer than 10 pages;
   - every class wastes at most 1/8 of its span at the tail;
   - the division by the object size can be done with 32 bits of
     fixed-point precision (Lemire, Kaser and Kurz, "Faster Remainder by
     Direct Computation", arXiv:1902.01961, algorithm 2), and, by brute
     force, (off * divmagic) >> 32 == off / size for every offset
     0 <= off <= span bytes, where divmagic = 0xffffffff / size + 1, and
     (off * divmagic) mod 2^32 < divmagic exactly when size divides off
     (the object-start test of a free);
   - the values fit the C types of the tables, and the two size-to-class
     lookup tables give the smallest class that holds every size from 1 to
     32768 bytes.

The header also carries, as a comment, the table Go prints at the top of its
sizeclasses.go (bytes/obj, bytes/span, objects, tail waste, max waste and
min align of every class) with the same numbers.

Usage: scripts/mksizeclasses.py [-o OUTPUT] [--check]
  -o OUTPUT  file to write or check (default: gomem/sizeclasses.h in the
             repository holding this script; "-" writes to stdout)
  --check    do not write; exit 0 if OUTPUT matches the generated text,
             else print a unified diff on stderr and exit 1
A failed self-check exits with status 2.
"""

import argparse
import difflib
import os
import sys
import tempfile

PAGE_SHIFT = 13
PAGE_SIZE = 1 << PAGE_SHIFT
MIN_HEAP_ALIGN = 8
MAX_SMALL_SIZE = 32 << 10
SMALL_SIZE_DIV = 8
SMALL_SIZE_MAX = 1024
LARGE_SIZE_DIV = 128

# Go panics if the number of classes changes; so do we.
EXPECTED_NUM_CLASSES = 68
# Longest span of any class (Go's MaxSizeClassNPages).
MAX_SPAN_PAGES = 10

U8_MAX = 0xff
U16_MAX = 0xffff
U32_MAX = 0xffffffff

# Longest line of the generated C, tabs counting 8 columns.
MAX_LINE = 100

DEFAULT_OUTPUT = os.path.join("gomem", "sizeclasses.h")


class SelfCheckError(Exception):
    """The computed classes break one of the invariants the allocator needs."""


def fail(msg):
    raise SelfCheckError(msg)


def is_pow2(x):
    return x > 0 and x & (x - 1) == 0


class SizeClass:
    def __init__(self, size, npages):
        self.size = size      # object size in bytes (0 for class 0)
        self.npages = npages  # span length in pages (0 for class 0)

    @property
    def span_bytes(self):
        return self.npages * PAGE_SIZE

    @property
    def nelems(self):
        return self.span_bytes // self.size if self.size else 0

    @property
    def tail_waste(self):
        return self.span_bytes - self.nelems * self.size if self.size else 0

    @property
    def divmagic(self):
        return U32_MAX // self.size + 1 if self.size else 0


def next_align(size, align):
    """Alignment step from candidate @size on (step 1 of the docstring)."""
    if not is_pow2(size):
        return align
    if size >= 2048:
        return 256
    if size >= 128:
        return size // 8
    if size >= 32:
        return 16
    return align


def span_pages(size):
    """Fewest pages whose tail waste, cut in @size objects, is <= 1/8."""
    span = PAGE_SIZE
    while span % size > span // 8:
        span += PAGE_SIZE
    return span // PAGE_SIZE


def make_classes():
    classes = [SizeClass(0, 0)]

    align = MIN_HEAP_ALIGN
    size = align
    while size <= MAX_SMALL_SIZE:
        align = next_align(size, align)
        if not is_pow2(align):
            fail("alignment %d for size %d is not a power of two" % (align, size))

        npages = span_pages(size)
        span = npages * PAGE_SIZE
        prev = classes[-1]
        if (len(classes) > 1 and prev.npages == npages and
                span // prev.size == span // size):
            # Same span, same object count: keep only the larger size.
            prev.size = size
        else:
            classes.append(SizeClass(size, npages))
        size += align

    # Grow each class to fill its span with the same number of objects,
    # staying a multiple of LARGE_SIZE_DIV.
    for c in classes[1:]:
        grown = (c.span_bytes // c.nelems) & ~(LARGE_SIZE_DIV - 1)
        if grown > c.size:
            c.size = grown

    return classes


def fractional_bits(size, max_off):
    """Fixed-point bits needed to divide 0..max_off by size (Lemire et al.)."""
    if is_pow2(size):
        return size.bit_length() - 1
    n = max_off.bit_length()
    extra = 0
    while size > (1 << (n + extra)) % size + (1 << extra):
        extra += 1
    return n + extra


def check_divmagic(c):
    max_off = c.span_bytes
    bits = fractional_bits(c.size, max_off)
    if bits > 32:
        fail("size %d with a %d-byte span needs %d bits of precision, more than 32"
             % (c.size, max_off, bits))

    # Brute force, exactly as the allocator computes it.
    magic = c.divmagic
    if magic > U32_MAX:
        fail("divmagic of size %d does not fit in 32 bits" % c.size)
    size = c.size
    for off in range(max_off + 1):
        prod = off * magic
        if (prod >> 32) & U32_MAX != off // size:
            fail("divmagic %d of size %d gives (%d * magic) >> 32 = %d, not %d"
                 % (magic, size, off, prod >> 32, off // size))
        # The object-start test of gomem_obj_start(): the low half of the
        # same product is below magic exactly at multiples of the size.
        if ((prod & U32_MAX) < magic) != (off % size == 0):
            fail("divmagic %d of size %d: low half of %d * magic says %s"
                 % (magic, size, off, "start" if off % size else "interior"))


def class_for(classes, size):
    """Smallest class whose objects hold @size bytes (0 if none)."""
    for i, c in enumerate(classes):
        if c.size >= size:
            return i
    return 0


def lookup_tables(classes):
    class8 = [class_for(classes, i * SMALL_SIZE_DIV)
              for i in range(SMALL_SIZE_MAX // SMALL_SIZE_DIV + 1)]
    class128 = [class_for(classes, SMALL_SIZE_MAX + i * LARGE_SIZE_DIV)
                for i in range((MAX_SMALL_SIZE - SMALL_SIZE_MAX) // LARGE_SIZE_DIV + 1)]
    return class8, class128


def check_classes(classes, class8, class128):
    if len(classes) != EXPECTED_NUM_CLASSES:
        fail("%d size classes instead of %d: the algorithm changed"
             % (len(classes), EXPECTED_NUM_CLASSES))
    if len(classes) - 1 > U8_MAX:
        fail("class numbers do not fit in u8")
    if classes[-1].size != MAX_SMALL_SIZE:
        fail("the last class is %d bytes, not %d" % (classes[-1].size, MAX_SMALL_SIZE))

    prev = 0
    for i, c in enumerate(classes[1:], 1):
        if c.size <= prev:
            fail("class %d (%d bytes) is not larger than class %d" % (i, c.size, i - 1))
        prev = c.size
        if c.size > U16_MAX or c.nelems > U16_MAX:
            fail("class %d: size or object count does not fit in u16" % i)
        if not 1 <= c.npages <= MAX_SPAN_PAGES:
            fail("class %d: %d pages per span, the limit is %d" % (i, c.npages, MAX_SPAN_PAGES))
        if c.tail_waste > c.span_bytes // 8:
            fail("class %d: tail waste %d is more than 1/8 of its %d-byte span"
                 % (i, c.tail_waste, c.span_bytes))
        check_divmagic(c)

    if max(c.npages for c in classes) != MAX_SPAN_PAGES:
        fail("the longest span is no longer %d pages" % MAX_SPAN_PAGES)

    # The lookup tables, indexed as gomem_size_to_class() does, must give
    # the smallest class holding every small size.
    for size in range(1, MAX_SMALL_SIZE + 1):
        if size <= SMALL_SIZE_MAX:
            got = class8[(size + SMALL_SIZE_DIV - 1) // SMALL_SIZE_DIV]
        else:
            got = class128[(size - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) // LARGE_SIZE_DIV]
        if got != class_for(classes, size):
            fail("size %d maps to class %d instead of %d" % (size, got, class_for(classes, size)))


def table_comment(classes):
    """The per-class table Go writes at the top of sizeclasses.go."""
    lines = ["%-5s  %-9s  %-10s  %-7s  %-10s  %-9s  %-9s"
             % ("class", "bytes/obj", "bytes/span", "objects", "tail waste",
                "max waste", "min align")]
    prev_size = 0
    min_aligns = [0] * (PAGE_SHIFT + 1)
    for i, c in enumerate(classes[1:], 1):
        # Worst case: every object holds one byte more than the previous
        # class, plus the tail.
        max_waste = ((c.size - prev_size - 1) * c.nelems + c.tail_waste) / c.span_bytes
        align_bits = min((c.size & -c.size).bit_length() - 1, PAGE_SHIFT)
        for b in range(len(min_aligns)):
            if b > align_bits:
                min_aligns[b] = 0
            elif min_aligns[b] == 0:
                min_aligns[b] = c.size
        prev_size = c.size
        lines.append("%5d  %9d  %10d  %7d  %10d  %8.2f%%  %9d"
                     % (i, c.size, c.span_bytes, c.nelems, c.tail_waste,
                        100 * max_waste, 1 << align_bits))

    lines.append("")
    lines.append("%-9s  %-4s  %-12s" % ("alignment", "bits", "min obj size"))
    for b, size in enumerate(min_aligns):
        if size == 0:
            break
        if b + 1 < len(min_aligns) and size == min_aligns[b + 1]:
            continue
        lines.append("%9d  %4d  %12d" % (1 << b, b, size))
    return lines


def c_comment(lines):
    out = ["/*"]
    out += [(" * " + line).rstrip() for line in lines]
    out.append(" */")
    return out


def tabs_to(col):
    """Indentation reaching column @col with tabs, then spaces."""
    return "\t" * (col // 8) + " " * (col % 8)


def c_array(ctype, name, dim, values, hex_digits=0):
    """A static const table in rows of 16, 8 or 4 right-aligned values.

    With @hex_digits, values are written as zero-padded hexadecimal.
    """
    if hex_digits:
        cells = ["0x%0*x," % (hex_digits, v) for v in values]
    else:
        cells = ["%d," % v for v in values]
    width = max(len(s) for s in cells)
    for per_row in (16, 8, 4, 2, 1):
        if 8 + per_row * (width + 1) - 1 <= MAX_LINE:
            break
    out = ["static const %s %s[%s] __maybe_unused = {" % (ctype, name, dim)]
    if len(out[0]) > MAX_LINE:
        # Break the dimension after its last " / ", aligned after the '['.
        head = "static const %s %s[" % (ctype, name)
        cut = dim.rindex(" / ") + 2
        out = [head + dim[:cut],
               tabs_to(len(head)) + dim[cut + 1:] + "] __maybe_unused = {"]
    for i in range(0, len(cells), per_row):
        out.append("\t" + " ".join(s.rjust(width) for s in cells[i:i + per_row]))
    out.append("};")
    return out


def render(classes, class8, class128):
    max_objs = max(c.nelems for c in classes)
    max_pages = max(c.npages for c in classes)

    out = [
        "/* SPDX-License-Identifier: GPL-2.0 */",
        "/* Generated by scripts/mksizeclasses.py: do not edit by hand, run the script. */",
        "#ifndef _GOMEM_SIZECLASSES_H",
        "#define _GOMEM_SIZECLASSES_H",
        "",
        "#include <linux/bits.h>",
        "#include <linux/compiler.h>",
        "#include <linux/types.h>",
        "",
    ]
    out += c_comment([
        "Small-object size classes of gomem, computed with the algorithm of Go's",
        "src/runtime/mksizeclasses.go: they are the Go runtime's size classes.",
        "",
        "Rounding a request up to its class wastes at most 12.5 %, and each span",
        "of a class (gomem_class_to_npages[] pages) is cut into",
        "gomem_class_to_nelems[] objects leaving at most 12.5 % of it unused at",
        "the tail. Class 0 is not a size class: it stands for large objects.",
        "",
        "For each class: its object size, span size and objects per span; the",
        "tail waste in bytes; the max waste, the share of the span lost when",
        "every object holds the smallest request of its class; and the min",
        "align, the largest power of two (at most a page) dividing the object",
        "size, which every object of the class is aligned to as spans are page",
        "aligned.",
        "",
    ] + table_comment(classes))
    out += [
        "",
        "#define GOMEM_PAGE_SHIFT\t\t%d" % PAGE_SHIFT,
        "#define GOMEM_PAGE_SIZE\t\t\tBIT(GOMEM_PAGE_SHIFT)",
        "#define GOMEM_NUM_SIZE_CLASSES\t\t%d" % len(classes),
        "#define GOMEM_MAX_SMALL_SIZE\t\t%d" % MAX_SMALL_SIZE,
        "#define GOMEM_SMALL_SIZE_DIV\t\t%d" % SMALL_SIZE_DIV,
        "#define GOMEM_SMALL_SIZE_MAX\t\t%d" % SMALL_SIZE_MAX,
        "#define GOMEM_LARGE_SIZE_DIV\t\t%d" % LARGE_SIZE_DIV,
        "/* Most objects in the span of any class, and longest span in pages. */",
        "#define GOMEM_MAX_OBJS_PER_SPAN\t\t%d" % max_objs,
        "#define GOMEM_MAX_SPAN_PAGES\t\t%d" % max_pages,
        "",
        "/* Object size of each class, in bytes. */",
    ]
    out += c_array("u16", "gomem_class_to_size", "GOMEM_NUM_SIZE_CLASSES",
                   [c.size for c in classes])
    out += ["", "/* Span length of each class, in pages of GOMEM_PAGE_SIZE bytes. */"]
    out += c_array("u8", "gomem_class_to_npages", "GOMEM_NUM_SIZE_CLASSES",
                   [c.npages for c in classes])
    out += ["", "/* Objects in a span of each class. */"]
    out += c_array("u16", "gomem_class_to_nelems", "GOMEM_NUM_SIZE_CLASSES",
                   [c.nelems for c in classes])
    out += [""]
    out += c_comment([
        "Division magic of each class, 0xffffffff / size + 1: for every offset",
        "0 <= off <= the span's bytes, computing in 64 bits,",
        "(off * gomem_class_to_divmagic[class]) >> 32 == off / size, and the",
        "product's low 32 bits are below the magic iff size divides off.",
    ])
    out += c_array("u32", "gomem_class_to_divmagic", "GOMEM_NUM_SIZE_CLASSES",
                   [c.divmagic for c in classes], hex_digits=8)
    out += ["", "/* Class of sizes up to GOMEM_SMALL_SIZE_MAX, indexed by (size + 7) / 8. */"]
    out += c_array("u8", "gomem_size_to_class8",
                   "GOMEM_SMALL_SIZE_MAX / GOMEM_SMALL_SIZE_DIV + 1", class8)
    out += ["", "/* Class of larger sizes, indexed by (size - 1024 + 127) / 128. */"]
    out += c_array("u8", "gomem_size_to_class128",
                   "(GOMEM_MAX_SMALL_SIZE - GOMEM_SMALL_SIZE_MAX) / GOMEM_LARGE_SIZE_DIV + 1",
                   class128)
    out += [
        "",
        "/**",
        " * gomem_size_to_class() - size class of a small allocation",
        " * @size: bytes requested; the caller must ensure",
        " *        1 <= @size <= GOMEM_MAX_SMALL_SIZE (0 would give class 0 and",
        " *        larger sizes would read past the tables).",
        " *",
        " * Return: the smallest class whose objects hold @size bytes.",
        " */",
        "static inline u8 gomem_size_to_class(size_t size)",
        "{",
        "\tif (size <= GOMEM_SMALL_SIZE_MAX)",
        "\t\treturn gomem_size_to_class8[(size + GOMEM_SMALL_SIZE_DIV - 1) /",
        "\t\t\t\t\t    GOMEM_SMALL_SIZE_DIV];",
        "\treturn gomem_size_to_class128[(size - GOMEM_SMALL_SIZE_MAX +",
        "\t\t\t\t       GOMEM_LARGE_SIZE_DIV - 1) / GOMEM_LARGE_SIZE_DIV];",
        "}",
        "",
        "#endif /* _GOMEM_SIZECLASSES_H */",
    ]

    for line in out:
        if len(line.expandtabs(8)) > MAX_LINE:
            fail("generated line longer than %d columns: %s" % (MAX_LINE, line))
    return "\n".join(out) + "\n"


def generate():
    classes = make_classes()
    class8, class128 = lookup_tables(classes)
    check_classes(classes, class8, class128)
    return render(classes, class8, class128)


def write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".sizeclasses.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(
        description="Generate gomem's size class tables (Go's mksizeclasses.go algorithm).")
    parser.add_argument("-o", "--output", default=os.path.join(top, DEFAULT_OUTPUT),
                        help="header to write or check (default: %(default)s; - for stdout)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 with a diff on stderr if OUTPUT is not up to date")
    args = parser.parse_args()
    prog = os.path.basename(sys.argv[0])

    try:
        text = generate()
    except SelfCheckError as e:
        print("%s: self-check failed: %s" % (prog, e), file=sys.stderr)
        return 2

    if args.check:
        if args.output == "-":
            parser.error("--check needs a file, not -")
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except OSError as e:
            print("%s: cannot read %s: %s" % (prog, args.output, e.strerror), file=sys.stderr)
            return 1
        if current == text:
            return 0
        sys.stderr.writelines(difflib.unified_diff(
            current.splitlines(keepends=True), text.splitlines(keepends=True),
            fromfile=args.output, tofile=args.output + " (generated)"))
        print("%s: %s is out of date; regenerate it with scripts/mksizeclasses.py"
              % (prog, args.output), file=sys.stderr)
        return 1

    if args.output == "-":
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
