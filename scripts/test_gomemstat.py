#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/gomemstat, the /proc/gomem viewer.

Run from the repository root with either of:

    python3 -m unittest discover -s scripts -p 'test_gomemstat.py'
    python3 scripts/test_gomemstat.py

Fixtures (scripts/testdata/):
  gomem-v1.txt           a real /proc/gomem of `make run` (scripts/run.sh,
                         build/run-debug.log: gomem and gomem_sample loaded)
  gomem-v1-later.txt     the same, edited as if read later: more mallocs and
                         frees in classes 2, 5, 31, 65, 67, more spans in 65
                         and 67, tiny and large counters moved, every total
                         kept consistent
  gomem-v1-errors.txt    gomem-v1.txt with the error counters gomem prints
                         after "arenas" since debug mode (2 invalid frees,
                         1 double free, 3 red zones, 1 poison)
  gomem-v2.txt           gomem-v1.txt as format version 2: the version line
                         changed and a client section appended (gomem,
                         ext2 unloaded, gomem_sample, (other)), its live
                         objects, live bytes, mallocs, frees and total_alloc
                         summing to heap_objects, alloc, mallocs, frees and
                         total_alloc; in file order, not by live bytes
  gomem-v2-later.txt     gomem-v1-later.txt as version 2, clients read 2 s
                         after gomem-v2.txt's: gomem_sample +400 mallocs, +380
                         frees; ext2 +1 free; (other) +120 mallocs, +121 frees;
                         vmlinux new (8 mallocs); the sums kept as above
  gomem-v2-bad-client.txt  gomem-v2.txt with line 99 (ext2) saying 3 live
                         objects where mallocs - frees is 2
  gomem-bad-version.txt  "gomem - version: 3"
  gomem-no-header.txt    the version line removed
  gomem-garbage.txt      line 40 (class 11) ends in "garbage"
  gomem-truncated.txt    cut inside the line of class 51 (no final newline)
"""

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from loadscript import load_script  # noqa: E402
TOP = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, "gomemstat")
DATA = os.path.join(HERE, "testdata")
REAL = os.path.join(DATA, "gomem-v1.txt")
ERRORS = os.path.join(DATA, "gomem-v1-errors.txt")
LATER = os.path.join(DATA, "gomem-v1-later.txt")
V2 = os.path.join(DATA, "gomem-v2.txt")
V2_LATER = os.path.join(DATA, "gomem-v2-later.txt")
CLEAR = "\033[H\033[2J"


gms = load_script(SCRIPT, "gomemstat")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_cli(*args, timeout=30, python=sys.executable, **kwargs):
    return subprocess.run([python, SCRIPT, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=TOP, **kwargs)


def run_cli_with_fields(fields):
    """gomemstat --once --raw on the ERRORS fixture with summary lines added before the table."""
    text = read(ERRORS).replace("\n# class", "\n" + fields + "# class", 1)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tmp:
        tmp.write(text)
    try:
        return run_cli("--once", "--raw", tmp.name)
    finally:
        os.unlink(tmp.name)


def table_rows(output):
    """The class numbers of the table rows of one screen, in order."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("CLASS "))
    return [int(line.split()[0]) for line in lines[start + 1:] if line.strip()]


def table_row(output, cls):
    """The cells of class cls in one screen (human sizes keep their unit)."""
    for line in output.splitlines():
        if re.match(rf"\s*{cls}\s", line):
            return re.split(r"(?<=[0-9B-])\s+(?![KMG]iB|B\b)", line.strip())
    raise AssertionError(f"no row for class {cls} in:\n{output}")


def client_table(output):
    """The rows of a --clients screen: name, state, then the other cells (human
    sizes keep their unit)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("NAME "))
    rows = []
    for line in lines[start + 1:]:
        name, state, rest = line.split(None, 2)
        rows.append([name, state] + re.split(r"(?<=[0-9B-])\s+(?![KMG]iB|B\b)", rest.strip()))
    return rows


def with_clients(rows, base=V2):
    """The text of the base fixture with its client rows replaced by rows (lines)."""
    head = read(base).split("# client ")[0]
    return head + "# client " + " ".join(gms.CLIENT_COLUMNS) + "\n" + \
        "".join(row + "\n" for row in rows)


# The client rows of gomem-v2.txt, in the file's order.
V2_CLIENTS = [
    ("gomem", "loaded", 3, 1536, 120, 117, 61440),
    ("ext2", "unloaded", 2, 64, 3000, 2998, 96000),
    ("gomem_sample", "loaded", 960, 13000000, 25000, 24040, 290000000),
    ("(other)", "loaded", 34, 514130, 90, 56, 18418884),
]


# Every field of the real fixture, as gomem printed it.
REAL_FIELDS = {
    "alloc": 13515730, "total_alloc": 308576324, "sys": 59266176, "mallocs": 28210,
    "frees": 27211, "heap_alloc": 13515730, "heap_sys": 58720256, "heap_idle": 40009728,
    "heap_inuse": 18710528, "heap_released": 0, "heap_objects": 999,
    "mspan_inuse": 95216, "mspan_sys": 167936, "mcache_inuse": 246912,
    "mcache_sys": 246912, "other_sys": 131072, "large_mallocs": 3618,
    "large_frees": 3446, "large_bytes": 10190848, "tiny_allocs": 6097,
    "tiny_frees": 5919, "tiny_bytes": 906, "cached_free_bytes": 1459048,
    "central_free_bytes": 3683656, "heap_free_bytes": 40009728, "released_bytes": 0,
    "arenas": 14,
}

# Go's size classes 1..67 (gomem/sizeclasses.h, gomem_class_to_size).
SIZES = [
    8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152,
    1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376,
    6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336,
    16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
]


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.snap = gms.read_snapshot(REAL)

    def test_version_and_fields_exact(self):
        self.assertEqual(self.snap.version, 1)
        self.assertEqual(self.snap.fields, REAL_FIELDS)
        self.assertEqual(self.snap.clients, [])  # version 1 has no client section

    def test_class_rows_exact(self):
        classes = self.snap.classes
        self.assertEqual([r.cls for r in classes], list(range(1, 68)))
        self.assertEqual([r.size for r in classes], SIZES)
        self.assertEqual(tuple(classes[0]), (1, 8, 1024, 1, 0, 0, 0, 0, 0, 0))
        self.assertEqual(tuple(classes[1]), (2, 16, 512, 1, 2, 1, 8192, 32, 88, 86))
        self.assertEqual(tuple(classes[34]), (35, 1408, 11, 2, 5, 4, 65536, 7040, 211, 206))
        self.assertEqual(tuple(classes[64]),
                         (65, 27264, 3, 10, 12, 11, 901120, 327168, 318, 306))
        self.assertEqual(tuple(classes[66]),
                         (67, 32768, 1, 4, 26, 28, 917504, 851968, 463, 437))
        self.assertEqual(classes[66].live_objects, 26)
        self.assertEqual(classes[66].span_bytes, 917504)

    def test_totals_agree_with_rows(self):
        # gomem's own invariants: a parse that shifted a column breaks them.
        f, rows = self.snap.fields, self.snap.classes
        self.assertEqual(f["mallocs"],
                         f["tiny_allocs"] + f["large_mallocs"] + sum(r.mallocs for r in rows))
        self.assertEqual(f["frees"],
                         f["tiny_frees"] + f["large_frees"] + sum(r.frees for r in rows))
        self.assertEqual(f["alloc"],
                         f["tiny_bytes"] + f["large_bytes"] + sum(r.live_bytes for r in rows))
        for r in rows:
            self.assertEqual(r.live_objects, r.mallocs - r.frees, r)
            self.assertEqual(r.live_bytes, r.live_objects * r.size, r)
            self.assertEqual(r.span_bytes, r.spans * r.pages_per_span * 8192, r)

    def test_sizes_match_sizeclasses_h(self):
        path = os.path.join(TOP, "gomem", "sizeclasses.h")
        if not os.path.exists(path):
            self.skipTest("gomem/sizeclasses.h not found")
        table = re.search(r"gomem_class_to_size\[[^]]*\][^{]*\{([^}]*)\}", read(path))
        self.assertIsNotNone(table)
        sizes = [int(n) for n in re.findall(r"\d+", table.group(1))]
        self.assertEqual(sizes[1:], [r.size for r in self.snap.classes])

    def test_format_matches_proc_c(self):
        """FIELDS and the class header are those gomem/proc.c prints."""
        path = os.path.join(TOP, "gomem", "proc.c")
        if not os.path.exists(path):
            self.skipTest("gomem/proc.c not found")
        src = read(path)
        table = re.search(r"gomem_fields\[\] = \{(.*?)\};", src, re.S).group(1)
        self.assertEqual(tuple(re.findall(r"FIELD\((\w+)\)", table)),
                         gms.FIELDS + tuple(key for _, key in gms.ERROR_FIELDS) +
                         tuple(key for _, key in gms.SCAVENGER_FIELDS) + gms.LIMIT_FIELDS +
                         gms.DROPIN_FIELDS + tuple(key for _, key in gms.KERNEL_FREE_FIELDS))
        header = re.search(r'"# (class [^"\\]*)\\n"', src).group(1)
        self.assertEqual(tuple(header.split()), gms.CLASS_COLUMNS)
        self.assertIn(f'"gomem - version: {gms.VERSION}\\n"', src)
        self.assertEqual(gms.VERSION, 2)
        header = re.search(r'"# (client [^"\\]*)\\n"', src).group(1)
        self.assertEqual(tuple(header.split()), ("client",) + gms.CLIENT_COLUMNS)
        row = re.search(r'seq_printf\(m, "(client [^"\\]*)\\n"', src).group(1)
        self.assertEqual(row.split(), ["client", "%s", "%s"] + ["%llu"] * 5)
        self.assertIn('"loaded" : "unloaded"', src)
        # The fixture's lines come in proc.c's order.
        names = [line.split(":")[0] for line in read(REAL).splitlines()[1:28]]
        self.assertEqual(tuple(names), gms.FIELDS)

    def test_crlf_and_trailing_blanks(self):
        text = read(REAL).replace("\n", " \r\n")
        snap = gms.parse(text, "x")
        self.assertEqual(snap.fields, REAL_FIELDS)
        self.assertEqual(tuple(snap.classes[66]),
                         (67, 32768, 1, 4, 26, 28, 917504, 851968, 463, 437))

    def test_wrapped_differences_read_as_signed(self):
        # A racy read can count a free on one CPU before its malloc on another.
        text = read(REAL).replace("\n2 16 512 1 2 1 8192 32 88 86\n",
                                  "\n2 16 512 1 18446744073709551615 1 8192 "
                                  "18446744073709551600 88 89\n")
        text = text.replace("heap_objects: 999\n", "heap_objects: 18446744073709551614\n")
        snap = gms.parse(text, "x")
        self.assertEqual(snap.classes[1].live_objects, -1)
        self.assertEqual(snap.classes[1].live_bytes, -16)
        self.assertEqual(snap.classes[1].mallocs, 88)
        self.assertEqual(snap.fields["heap_objects"], -2)
        out = "\n".join(gms.render(snap, "x"))
        self.assertEqual(table_row(out, 2)[4], "-1")
        self.assertEqual(table_row(out, 2)[7], "-16 B")

    def assertParseError(self, text, pattern):
        with self.assertRaises(gms.GomemstatError) as cm:
            gms.parse(text, "F")
        self.assertRegex(str(cm.exception), pattern)

    def test_parse_errors(self):
        real = read(REAL)
        lines = real.splitlines(keepends=True)
        self.assertParseError("", r"^F: empty file$")
        self.assertParseError("gomem - version: x\n", r"^F:1: malformed version line")
        self.assertParseError("gomem - version: 10\n", r"unsupported format version 10")
        self.assertParseError("".join(lines[:28]), r"^F: no class table \(truncated\?\)$")
        self.assertParseError("".join(lines[:20]),
                              r"^F: missing field 'tiny_allocs' \(truncated\?\)$")
        self.assertParseError("".join(lines[:-1]), r"^F: 66 of 67 size classes")
        self.assertParseError("".join(lines[:29]), r"^F: 0 of 67 size classes")
        self.assertParseError(real[:-1], r"^F:96: truncated \(the last line has no newline\)")
        self.assertParseError("gomem - ver", r"^F: truncated")
        self.assertParseError(real + "68 36864 1 9 0 0 0 0 0 0\n",
                              r"^F:97: class 68, but version 1 has 67 size classes")
        self.assertParseError(real.replace("\n3 24 ", "\n4 24 ", 1),
                              r"^F:32: class 4 where class 3 was expected")
        self.assertParseError(real.replace("arenas: 14\n", "arenas: 14\nsys: 1\n"),
                              r"^F:29: field 'sys' appears twice")
        self.assertParseError(real.replace("alloc: 13515730", "alloc 13515730", 1),
                              r"^F:2: malformed line 'alloc 13515730'")
        self.assertParseError(real.replace("mallocs: 28210", "mallocs: -3"),
                              r"^F:5: malformed line")
        self.assertParseError(real.replace("# class size", "# class bytes"),
                              r"^F:29: unexpected class table header")
        self.assertParseError(real.replace("\n5 48 170", "\n\n5 48 170"),
                              r"^F:34: malformed line ''")
        self.assertParseError(real.replace(" 8192 32 88 86", " 8192 32 88"),
                              r"^F:31: malformed line '2 16 512 1 2 1 8192 32 88' "
                              r"\(expected 10 integers\)")

    def test_unknown_field_is_kept(self):
        snap = gms.parse(read(REAL).replace("arenas: 14\n", "arenas: 14\nnew_thing: 5\n"), "x")
        self.assertEqual(snap.fields["new_thing"], 5)
        self.assertEqual(snap.fields["arenas"], 14)


class HumanSizeTest(unittest.TestCase):
    def test_human_size(self):
        cases = [
            (0, "0 B"), (1, "1 B"), (1023, "1023 B"), (1024, "1.0 KiB"),
            (1536, "1.5 KiB"), (27264, "26.6 KiB"), (917504, "896.0 KiB"),
            (1048575, "1.0 MiB"), (1048576, "1.0 MiB"), (18710528, "17.8 MiB"),
            (58720256, "56.0 MiB"), (3 << 30, "3.0 GiB"), (5 << 40, "5120.0 GiB"),
            (-16, "-16 B"), (-2048, "-2.0 KiB"),
        ]
        for n, text in cases:
            with self.subTest(n=n):
                self.assertEqual(gms.human_size(n), text)

    def test_raw(self):
        self.assertEqual(gms.format_size(917504, raw=True), "917504")
        self.assertEqual(gms.format_size(917504), "896.0 KiB")

    def test_use_percent(self):
        snap = gms.read_snapshot(REAL)
        self.assertAlmostEqual(gms.use_percent(snap.classes[66]), 100 * 851968 / 917504)
        self.assertIsNone(gms.use_percent(snap.classes[0]))


class SortTest(unittest.TestCase):
    def setUp(self):
        self.snap = gms.read_snapshot(REAL)

    def order(self, key, snap=None):
        return [r.cls for r in gms.visible_rows(snap or self.snap, sort=key)]

    def test_bytes_is_default_and_descending(self):
        order = self.order("bytes")
        self.assertEqual(order[:6], [67, 65, 60, 52, 63, 58])
        self.assertEqual([r.cls for r in gms.visible_rows(self.snap)], order)
        spans = [self.snap.classes[c - 1].span_bytes for c in order]
        self.assertEqual(spans, sorted(spans, reverse=True))
        # Ties (280 KiB: classes 58 and 66; 8 KiB: 2..13, 17) keep class order.
        self.assertLess(order.index(58), order.index(66))
        self.assertEqual(order[-13:], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17])

    def test_live(self):
        self.assertEqual(self.order("live")[:5], [67, 65, 59, 64, 60])

    def test_mallocs(self):
        self.assertEqual(self.order("mallocs")[:5], [5, 4, 3, 6, 44])

    def test_class(self):
        self.assertEqual(self.order("class"), list(range(2, 68)))

    def test_size(self):
        self.assertEqual(self.order("size"), list(range(67, 1, -1)))

    def test_later_snapshot_reorders(self):
        later = gms.read_snapshot(LATER)
        self.assertEqual(self.order("bytes", later)[:3], [65, 67, 60])
        self.assertEqual(self.order("mallocs", later)[:2], [5, 4])

    def test_cli_sort(self):
        for key, first in (("bytes", 67), ("live", 67), ("mallocs", 5), ("class", 2),
                           ("size", 67)):
            with self.subTest(key=key):
                res = run_cli("--once", "-s", key, REAL)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertEqual(table_rows(res.stdout)[0], first)
        res = run_cli("--once", "--sort", "mallocs", REAL)
        self.assertEqual(table_rows(res.stdout)[:3], [5, 4, 3])
        res = run_cli("--once", "-s", "nope", REAL)
        self.assertEqual(res.returncode, 2)
        self.assertIn("invalid choice", res.stderr)


class HideTest(unittest.TestCase):
    def test_empty_classes_hidden(self):
        snap = gms.read_snapshot(REAL)
        self.assertEqual(len(gms.visible_rows(snap)), 66)
        self.assertNotIn(1, [r.cls for r in gms.visible_rows(snap)])
        shown = gms.visible_rows(snap, show_all=True)
        self.assertEqual(len(shown), 67)
        self.assertIn(1, [r.cls for r in shown])

    def test_spans_or_mallocs_keep_a_class(self):
        snap = gms.read_snapshot(REAL)
        classes = list(snap.classes)
        classes[0] = classes[0]._replace(spans=1, span_bytes=8192)  # spans, no malloc
        classes[1] = classes[1]._replace(spans=0, span_bytes=0)  # mallocs, no span
        classes[2] = classes[2]._replace(spans=0, span_bytes=0, mallocs=0, frees=0,
                                         live_objects=0, live_bytes=0)
        shown = [r.cls for r in gms.visible_rows(snap._replace(classes=classes))]
        self.assertIn(1, shown)
        self.assertIn(2, shown)
        self.assertNotIn(3, shown)

    def test_cli_all(self):
        res = run_cli("--once", REAL)
        self.assertEqual(len(table_rows(res.stdout)), 66)
        self.assertNotIn(1, table_rows(res.stdout))
        self.assertIn("1 empty class hidden", res.stdout)
        res = run_cli("--once", "--all", REAL)
        self.assertEqual(len(table_rows(res.stdout)), 67)
        self.assertEqual(table_rows(res.stdout)[-1], 1)  # 0 span bytes: last
        self.assertEqual(table_row(res.stdout, 1)[8], "-")  # USE% of no span
        self.assertNotIn("hidden", res.stdout)


class RatesTest(unittest.TestCase):
    def setUp(self):
        self.prev = gms.read_snapshot(REAL)
        self.cur = gms.read_snapshot(LATER)

    def test_rates_over_interval(self):
        rates = gms.compute_rates(self.prev, self.cur, 2.0)
        self.assertEqual(rates.interval, 2.0)
        self.assertEqual(rates.mallocs, (28738 - 28210) / 2)
        self.assertEqual(rates.frees, (27713 - 27211) / 2)
        self.assertEqual(rates.by_class[5], (150.0, 145.0))
        self.assertEqual(rates.by_class[65], (50.0, 50.0))
        self.assertEqual(rates.by_class[67], (20.0, 15.0))
        self.assertEqual(rates.by_class[31], (12.0, 10.0))
        self.assertEqual(rates.by_class[2], (5.0, 5.0))
        self.assertEqual(rates.by_class[3], (0.0, 0.0))
        self.assertEqual(len(rates.by_class), 67)
        rates = gms.compute_rates(self.prev, self.cur, 0.5)
        self.assertEqual(rates.by_class[5], (600.0, 580.0))

    def test_no_rates(self):
        self.assertIsNone(gms.compute_rates(None, self.cur, 2.0))
        self.assertIsNone(gms.compute_rates(self.prev, self.cur, 0.0))
        # Counters going back: gomem was reloaded between the two reads.
        self.assertIsNone(gms.compute_rates(self.cur, self.prev, 2.0))
        # ... even when the totals still grew (a reload, then much more work).
        classes = list(self.cur.classes)
        classes[4] = classes[4]._replace(mallocs=700, frees=690)  # class 5: was 786/756
        self.assertIsNone(gms.compute_rates(self.prev, self.cur._replace(classes=classes), 2.0))

    def test_rates_rendered(self):
        rates = gms.compute_rates(self.prev, self.cur, 2.0)
        out = "\n".join(gms.render(self.cur, "x", rates=rates, refreshing=True))
        self.assertIn("Rates:    264.0 mallocs/s, 251.0 frees/s over 2.0 s", out)
        self.assertTrue(re.search(r"CLASS .* MALLOCS/S +FREES/S$", out, re.M))
        self.assertEqual(table_row(out, 5)[-2:], ["150.0", "145.0"])
        self.assertEqual(table_row(out, 67)[-2:], ["20.0", "15.0"])
        first = "\n".join(gms.render(self.cur, "x", refreshing=True))
        self.assertIn("Rates:    - (first sample", first)
        self.assertEqual(table_row(first, 5)[-2:], ["-", "-"])

    def test_loop_rereads_the_file(self):
        """-n 3 on a file replaced between reads: the deltas of each interval."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "gomem")
            with open(path, "w", encoding="utf-8") as f:
                f.write(read(REAL))
            clock = iter([100.0, 102.0, 106.0])
            slept = []

            def fake_sleep(seconds):
                slept.append(seconds)
                with open(path, "w", encoding="utf-8") as f:  # the next read
                    f.write(read(LATER))

            out, err = io.StringIO(), io.StringIO()
            with mock.patch.object(gms.time, "monotonic", lambda: next(clock)), \
                    mock.patch.object(gms.time, "sleep", fake_sleep):
                status = gms.main(["-n", "3", "-d", "2", path], out, err)
        self.assertEqual(status, 0, err.getvalue())
        self.assertEqual(err.getvalue(), "")
        self.assertEqual(slept, [2.0, 2.0])  # no sleep after the last refresh
        screens = out.getvalue().split(CLEAR)
        self.assertEqual(screens[0], "")
        self.assertEqual(len(screens), 4)
        self.assertIn("Rates:    - (first sample", screens[1])
        self.assertIn("Rates:    264.0 mallocs/s, 251.0 frees/s over 2.0 s", screens[2])
        self.assertEqual(table_row(screens[2], 5)[-2:], ["150.0", "145.0"])
        self.assertEqual(table_rows(screens[2])[0], 65)
        self.assertIn("Rates:    0.0 mallocs/s, 0.0 frees/s over 4.0 s", screens[3])
        self.assertEqual(table_row(screens[3], 5)[-2:], ["0.0", "0.0"])


class RefreshTest(unittest.TestCase):
    def test_n2_on_a_file(self):
        t0 = time.monotonic()
        res = run_cli("-n", "2", "-d", "0.2", REAL)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        screens = res.stdout.split(CLEAR)
        self.assertEqual(len(screens), 3)
        self.assertEqual(screens[0], "")
        self.assertIn("Rates:    - (first sample", screens[1])
        self.assertRegex(screens[2], r"Rates:    0\.0 mallocs/s, 0\.0 frees/s over 0\.[2-9] s")
        for screen in screens[1:]:
            self.assertRegex(screen, r"(?m)^CLASS .* MALLOCS/S +FREES/S$")
            self.assertEqual(table_rows(screen)[0], 67)
            self.assertEqual(len(table_rows(screen)), 66)
        self.assertEqual(table_row(screens[2], 67)[-2:], ["0.0", "0.0"])

    def test_ctrl_c_exits_0(self):
        proc = subprocess.Popen([sys.executable, SCRIPT, "-d", "0.2", REAL], cwd=TOP,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proc.stdout.readline()  # the first screen is out: the loop runs
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err, "")

    def test_bad_delay_and_iterations(self):
        for args in (["-d", "0"], ["-d", "-1"], ["-d", "nan"], ["-n", "0"], ["-n", "x"]):
            with self.subTest(args=args):
                res = run_cli(*args, REAL)
                self.assertEqual(res.returncode, 2)
                self.assertNotIn("Traceback", res.stderr)
                self.assertRegex(res.stderr.splitlines()[-1], r"^gomemstat: error: argument ")


class ErrorTest(unittest.TestCase):
    def assertFails(self, res, pattern):
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertEqual(res.stdout, "")
        self.assertNotIn("Traceback", res.stderr)
        lines = res.stderr.splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertRegex(lines[0], "^gomemstat: " + pattern)

    def test_bad_version(self):
        path = os.path.join(DATA, "gomem-bad-version.txt")
        self.assertFails(run_cli("--once", path), re.escape(
            f"{path}: unsupported format version 3 (gomemstat reads versions 1 and 2)") + "$")
        self.assertEqual(read(path), read(REAL).replace("version: 1\n", "version: 3\n", 1))

    def test_bad_client_row(self):
        path = os.path.join(DATA, "gomem-v2-bad-client.txt")
        expected = re.escape(f"{path}:99: client 'ext2': live_objects 3 is not "
                             "mallocs - frees (3000 - 2998)") + "$"
        self.assertFails(run_cli("--once", path), expected)
        self.assertFails(run_cli("--once", "--clients", path), expected)

    def test_missing_header(self):
        path = os.path.join(DATA, "gomem-no-header.txt")
        self.assertFails(run_cli("--once", path), re.escape(
            f"{path}:1: not a /proc/gomem file (expected 'gomem - version: 2', "
            "got 'alloc: 13515730')") + "$")

    def test_garbage_line(self):
        path = os.path.join(DATA, "gomem-garbage.txt")
        self.assertFails(run_cli("--once", path), re.escape(
            f"{path}:40: malformed line '11 144 56 1 5 1 8192 720 191 garbage' "
            "(expected 10 integers)") + "$")

    def test_truncated(self):
        path = os.path.join(DATA, "gomem-truncated.txt")
        self.assertFails(run_cli("--once", path),
                         re.escape(f"{path}:80: truncated (the last line has no newline)") + "$")

    def test_errors_in_refresh_mode_too(self):
        path = os.path.join(DATA, "gomem-garbage.txt")
        res = run_cli("-n", "2", "-d", "0.1", path)
        self.assertFails(res, re.escape(f"{path}:40: malformed line"))

    def test_missing_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "nope")
            self.assertFails(run_cli("--once", path), re.escape(f"{path}: no such file") + "$")

    def test_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.assertFails(run_cli("--once", tmp), re.escape(f"{tmp}: is a directory") + "$")

    def test_binary_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bin")
            with open(path, "wb") as f:
                f.write(b"\x7fELF\x02\x01\x01\x00\n\xff\xfe\n")
            self.assertFails(run_cli("--once", path),
                             re.escape(f"{path}:1: not a /proc/gomem file"))

    def test_permission_denied(self):
        """A 0400 file of another user, read by a subprocess that cannot read it."""
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)
            path = os.path.join(tmp, "gomem")
            with open(path, "w", encoding="utf-8") as f:
                f.write(read(REAL))
            res = None
            if os.geteuid() == 0:
                # Root reads any file: run as nobody, with a python3 nobody
                # can execute (sys.executable may sit under /root).
                os.chmod(path, 0o400)  # as /proc/gomem: root only
                for python in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
                    try:
                        res = run_cli("--once", path, python=python, preexec_fn=lambda: (
                            os.setgroups([]), os.setgid(65534), os.setuid(65534)))
                        break
                    except (OSError, subprocess.SubprocessError):
                        continue
                if res is None:
                    self.skipTest("no python3 can run as nobody")
            else:
                os.chmod(path, 0o000)
                res = run_cli("--once", path)
            if res.returncode == 0:
                self.skipTest("the file stayed readable (CAP_DAC_OVERRIDE?)")
            if "Permission denied" in res.stderr and "gomemstat:" not in res.stderr:
                self.skipTest(f"the script itself is unreadable: {res.stderr.strip()}")
        self.assertFails(res, re.escape(f"{path}: permission denied (run as root)") + "$")

    def test_default_path_errors(self):
        """Without FILE, /proc/gomem: missing (module not loaded) or root only."""
        with tempfile.TemporaryDirectory() as tmp:
            proc = os.path.join(tmp, "gomem")
            with mock.patch.object(gms, "PROC_PATH", proc):
                out, err = io.StringIO(), io.StringIO()
                self.assertEqual(gms.main(["--once"], out, err), 1)
                self.assertEqual(err.getvalue(), f"gomemstat: {proc}: no such file "
                                 "(is the gomem module loaded?)\n")
                self.assertEqual(out.getvalue(), "")

                def denied(*args, **kwargs):
                    raise PermissionError(13, "Permission denied")

                out, err = io.StringIO(), io.StringIO()
                with mock.patch.object(gms, "open", denied, create=True):
                    self.assertEqual(gms.main(["--once"], out, err), 1)
                self.assertEqual(err.getvalue(),
                                 f"gomemstat: {proc}: permission denied (run as root)\n")

                # A refresh loop whose file goes away: an error, not a traceback.
                with open(proc, "w", encoding="utf-8") as f:
                    f.write(read(REAL))
                out, err = io.StringIO(), io.StringIO()
                with mock.patch.object(gms.time, "sleep", lambda s: os.unlink(proc)):
                    self.assertEqual(gms.main(["-n", "5"], out, err), 1)
                self.assertEqual(out.getvalue().count(CLEAR), 1)
                self.assertIn("no such file (is the gomem module loaded?)", err.getvalue())

    def test_internal_error_is_one_line(self):
        err = io.StringIO()
        with mock.patch.object(gms, "render", side_effect=ZeroDivisionError("boom")):
            self.assertEqual(gms.main(["--once", REAL], io.StringIO(), err), 1)
        self.assertEqual(err.getvalue(), "gomemstat: internal error: ZeroDivisionError: boom\n")


class OnceOutputTest(unittest.TestCase):
    def test_once_on_the_real_fixture(self):
        res = run_cli("--once", REAL)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        out = res.stdout
        self.assertNotIn("\033", out)
        self.assertNotIn("Rates", out)
        self.assertNotIn("MALLOCS/S", out)
        self.assertIn("Heap:     in use 17.8 MiB, sys 56.0 MiB, idle 38.2 MiB, 14 arenas", out)
        self.assertIn("Objects:  999 live, alloc 12.9 MiB, total alloc 294.3 MiB, "
                      "28210 mallocs, 27211 frees", out)
        self.assertIn("Free:     43.1 MiB: per-CPU caches 1.4 MiB, mcentral spans 3.5 MiB, "
                      "mheap 38.2 MiB", out)
        self.assertIn("Tiny:     6097 allocs, 5919 frees, 906 B live", out)
        self.assertIn("Large:    3618 mallocs, 3446 frees, 9.7 MiB live", out)
        self.assertRegex(out, r"(?m)^CLASS +SIZE +OBJS/SPAN +PAGES +LIVE +SPANS +SPAN-SIZE "
                              r"+LIVE-SIZE +USE% +MALLOCS +FREES$")
        self.assertEqual(table_rows(out)[0], 67)
        self.assertEqual(table_row(out, 67), ["67", "32.0 KiB", "1", "4", "26", "28",
                                              "896.0 KiB", "832.0 KiB", "92.9", "463", "437"])
        self.assertEqual(table_row(out, 2), ["2", "16 B", "512", "1", "2", "1", "8.0 KiB",
                                             "32 B", "0.4", "88", "86"])

    def test_once_raw(self):
        res = run_cli("--once", "--raw", REAL)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("in use 18710528, sys 58720256, idle 40009728", res.stdout)
        self.assertNotIn("KiB", res.stdout)
        self.assertEqual(res.stdout.splitlines()[-66].split(),
                         ["67", "32768", "1", "4", "26", "28", "917504", "851968", "92.9",
                          "463", "437"])

    def test_errors_line(self):
        """The error counters, when the file has them, and only then."""
        res = run_cli("--once", ERRORS)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Errors:   2 invalid frees, 1 double frees, 0 NMI calls, 0 corruptions, "
                      "3 red zones overwritten, 1 free objects written\n", res.stdout)
        self.assertEqual(gms.parse(read(ERRORS), "x").fields["redzone_errors"], 3)
        self.assertNotIn("Errors:", run_cli("--once", REAL).stdout)

    def test_kernel_frees_error(self):
        """Debug mode's count of gomem memory freed by kfree() (issue 14), last on the line."""
        res = run_cli_with_fields("kernel_frees: 2\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"Errors:   .*1 free objects written, "
                         r"2 kfree\(\)s of gomem memory\n")

    def test_scavenger_line(self):
        """The scavenger's counters, when the file has them, and only then."""
        res = run_cli("--once", ERRORS)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Scavenger: 7 passes, 12 CPU flushes\n", res.stdout)
        self.assertNotIn("Scavenger:", run_cli("--once", REAL).stdout)

    def test_limit_line(self):
        """The memory limit's fields (issue 13), when the file has them, and only then."""
        res = run_cli_with_fields("scavenger_ns: 4000\nmemory_limit: 8388608\n"
                                  "limit_refusals: 3\nlimit_released_bytes: 65536\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Limit:    8388608, 3 growths refused, 65536 released at it\n", res.stdout)
        self.assertIn("4000 ns releasing", res.stdout)
        self.assertNotIn("Limit:", run_cli("--once", ERRORS).stdout)

    def test_dropin_line(self):
        """The drop-in's counters (issue 14), when the file has them, and only then."""
        res = run_cli_with_fields("frees_forwarded: 98\nrcu_pending: 7\nrcu_batches: 1642\n")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Drop-in:  98 frees forwarded to kfree(), 7 RCU frees pending "
                      "(1642 callbacks)\n", res.stdout)
        self.assertNotIn("Drop-in:", run_cli("--once", ERRORS).stdout)

    def test_once_on_the_later_fixture(self):
        res = run_cli("--once", LATER)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(table_rows(res.stdout)[:2], [65, 67])

    def test_executable_with_shebang(self):
        with open(SCRIPT, encoding="utf-8") as f:
            head = [f.readline(), f.readline()]
        self.assertEqual(head, ["#!/usr/bin/env python3\n",
                                "# SPDX-License-Identifier: GPL-2.0\n"])
        self.assertTrue(os.access(SCRIPT, os.X_OK))
        res = subprocess.run([SCRIPT, "--once", REAL], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(table_rows(res.stdout)[0], 67)

    def test_help(self):
        res = run_cli("--help")
        self.assertEqual(res.returncode, 0)
        for word in ("--once", "--delay", "--iterations", "--sort", "--all", "--raw",
                     "--clients"):
            self.assertIn(word, res.stdout)


class ClientParseTest(unittest.TestCase):
    def setUp(self):
        self.snap = gms.read_snapshot(V2)

    def test_v2_is_v1_plus_clients(self):
        v1 = gms.read_snapshot(REAL)
        self.assertEqual(self.snap.version, 2)
        self.assertEqual(self.snap.fields, REAL_FIELDS)
        self.assertEqual(self.snap.classes, v1.classes)
        self.assertEqual(read(V2).split("# client ")[0],
                         read(REAL).replace("version: 1\n", "version: 2\n", 1))

    def test_client_rows_exact(self):
        self.assertEqual([tuple(c) for c in self.snap.clients], V2_CLIENTS)
        ext2 = self.snap.clients[1]
        self.assertEqual((ext2.name, ext2.state, ext2.live_bytes, ext2.total_alloc),
                         ("ext2", "unloaded", 64, 96000))

    def test_sums_agree_with_summary(self):
        # The fixtures as a quiet read gives them: every client sum is the total.
        for path in (V2, V2_LATER):
            with self.subTest(path=os.path.basename(path)):
                snap = gms.read_snapshot(path)
                f, rows = snap.fields, snap.clients
                self.assertEqual(sum(c.live_bytes for c in rows), f["alloc"])
                self.assertEqual(sum(c.live_objects for c in rows), f["heap_objects"])
                self.assertEqual(sum(c.mallocs for c in rows), f["mallocs"])
                self.assertEqual(sum(c.frees for c in rows), f["frees"])
                self.assertEqual(sum(c.total_alloc for c in rows), f["total_alloc"])

    def test_empty_client_section(self):
        snap = gms.parse(with_clients([]), "x")
        self.assertEqual(snap.clients, [])
        self.assertEqual(len(snap.classes), 67)

    def test_same_name_twice(self):
        # A module reloaded while objects of its first instance are live.
        snap = gms.parse(with_clients(["client ext2 unloaded 2 64 3000 2998 96000",
                                       "client ext2 loaded 1 32 1 0 32"]), "x")
        self.assertEqual([(c.name, c.state) for c in snap.clients],
                         [("ext2", "unloaded"), ("ext2", "loaded")])

    def test_crlf(self):
        snap = gms.parse(read(V2).replace("\n", " \r\n"), "x")
        self.assertEqual([tuple(c) for c in snap.clients], V2_CLIENTS)

    def test_wrapped_live_figures_read_as_signed(self):
        snap = gms.parse(with_clients(["client m loaded 18446744073709551615 "
                                       "18446744073709551584 5 6 160"]), "x")
        self.assertEqual((snap.clients[0].live_objects, snap.clients[0].live_bytes), (-1, -32))

    def assertParseError(self, text, pattern):
        with self.assertRaises(gms.GomemstatError) as cm:
            gms.parse(text, "F")
        self.assertRegex(str(cm.exception), pattern)

    def test_client_errors(self):
        v2 = read(V2)
        row = "client gomem loaded 3 1536 120 117 61440"  # line 98
        malformed = r" \(expected 'client NAME STATE' and 5 integers\)$"
        for bad in ("client gomem loaded 3 1536 120 117", row + " 7", "module" + row[6:],
                    "client gomem loaded 3 1536 120 117 x", "client gomem loaded -3 1536 1 4 9",
                    "client gomem loaded 3 1.5 120 117 61440", "client", ""):
            with self.subTest(bad=bad):
                self.assertParseError(v2.replace(row, bad),
                                      r"^F:98: malformed client row " + re.escape(repr(bad))
                                      + malformed)
        self.assertParseError(v2.replace("ext2 unloaded", "ext2 gone"),
                              r"^F:99: client 'ext2': unknown state 'gone' "
                              r"\(expected loaded or unloaded\)$")
        self.assertParseError(v2.replace("(other) loaded 34 ", "(other) loaded 35 "),
                              r"^F:101: client '\(other\)': live_objects 35 is not "
                              r"mallocs - frees \(90 - 56\)$")
        self.assertParseError(v2 + "# client name\n", r"^F:102: malformed client row")

    def test_section_errors(self):
        v2 = read(V2)
        lines = v2.splitlines(keepends=True)
        self.assertEqual(lines[96], "# client name state live_objects live_bytes mallocs "
                                    "frees total_alloc\n")
        self.assertParseError("".join(lines[:96]), r"^F: no client section \(truncated\?\)$")
        self.assertParseError(v2[:-1], r"^F:101: truncated \(the last line has no newline\)")
        self.assertParseError(v2.replace("# client name state", "# client state name"),
                              r"^F:97: unexpected client table header")
        self.assertParseError("".join(lines[:95] + lines[96:]),
                              r"^F:96: client section after 66 of 67 size classes$")
        self.assertParseError("".join(lines[:96]) + "68 36864 1 9 0 0 0 0 0 0\n",
                              r"^F:97: class 68, but version 2 has 67 size classes$")
        # Version 1 has no client section: its header is a malformed class row.
        self.assertParseError(v2.replace("version: 2", "version: 1", 1),
                              r"^F:97: malformed line '# client name .*' "
                              r"\(expected 10 integers\)$")


class ClientViewTest(unittest.TestCase):
    def setUp(self):
        self.snap = gms.read_snapshot(V2)

    def test_order_by_live_bytes(self):
        rows = gms.sorted_clients(self.snap)
        self.assertEqual([c.name for c in rows], ["gomem_sample", "(other)", "gomem", "ext2"])
        self.assertEqual([c.live_bytes for c in rows], [13000000, 514130, 1536, 64])
        self.assertEqual(gms.client_order(self.snap.clients), [2, 3, 0, 1])
        later = gms.sorted_clients(gms.read_snapshot(V2_LATER))
        self.assertEqual([c.name for c in later],
                         ["gomem_sample", "(other)", "vmlinux", "gomem", "ext2"])

    def test_ties_by_name_then_file_order(self):
        snap = gms.parse(with_clients(["client b loaded 1 64 1 0 64",
                                       "client c loaded 1 64 1 0 64",
                                       "client a unloaded 1 64 1 0 64",
                                       "client big loaded 1 128 1 0 128",
                                       "client a loaded 1 64 1 0 64"]), "x")
        self.assertEqual([(c.name, c.state) for c in gms.sorted_clients(snap)],
                         [("big", "loaded"), ("a", "unloaded"), ("a", "loaded"),
                          ("b", "loaded"), ("c", "loaded")])

    def test_cli_clients_human(self):
        res = run_cli("--once", "--clients", V2)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        lines = res.stdout.splitlines()
        self.assertEqual(lines[:4], [
            f"gomem {V2} (format version 2)",
            "Clients:  4 (3 loaded, 1 unloaded), by live bytes (LIVE-SIZE), largest first",
            "Live:     999 objects, 12.9 MiB, total alloc 294.3 MiB",
            "",
        ])
        self.assertRegex(lines[4], r"^NAME +STATE +LIVE +LIVE-SIZE +MALLOCS +FREES +TOTAL-ALLOC$")
        self.assertEqual(client_table(res.stdout), [
            ["gomem_sample", "loaded", "960", "12.4 MiB", "25000", "24040", "276.6 MiB"],
            ["(other)", "loaded", "34", "502.1 KiB", "90", "56", "17.6 MiB"],
            ["gomem", "loaded", "3", "1.5 KiB", "120", "117", "60.0 KiB"],
            ["ext2", "unloaded", "2", "64 B", "3000", "2998", "93.8 KiB"],
        ])
        self.assertEqual(lines[-1],
                         "ext2         unloaded    2      64 B    3000  2998    93.8 KiB")
        self.assertNotIn("CLASS", res.stdout)
        self.assertNotIn("Note:", res.stdout)
        self.assertNotIn("MALLOCS/S", res.stdout)

    def test_cli_clients_raw(self):
        res = run_cli("--once", "-c", "--raw", V2)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("Live:     999 objects, 13515730, total alloc 308576324\n", res.stdout)
        self.assertEqual(client_table(res.stdout),
                         [[str(v) for v in V2_CLIENTS[i]] for i in (2, 3, 0, 1)])

    def test_empty(self):
        out = "\n".join(gms.render_clients(gms.parse(with_clients([]), "x"), "x"))
        self.assertIn("Clients:  0 (no module has allocated since load)", out)
        self.assertEqual(client_table(out), [])
        self.assertIn("Note:     heap_objects 999 and alloc 12.9 MiB differ", out)

    def test_note_when_sums_differ(self):
        text = read(V2).replace("heap_objects: 999\n", "heap_objects: 1001\n")
        out = "\n".join(gms.render_clients(gms.parse(text, "x"), "x", raw=True))
        self.assertIn("Note:     heap_objects 1001 and alloc 13515730 differ from these sums "
                      "(a read under load mixes moments)", out)
        self.assertEqual(len(client_table(out)), 4)  # a note, not an error

    def test_clients_on_v1(self):
        for args in (["--once", "--clients"], ["-c", "-n", "2", "-d", "0.1"]):
            with self.subTest(args=args):
                res = run_cli(*args, REAL)
                self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
                self.assertEqual(res.stdout, "")
                self.assertEqual(res.stderr, f"gomemstat: {REAL}: format version 1 has no "
                                 "client section (--clients needs version 2)\n")

    def test_default_view_top_clients(self):
        res = run_cli("--once", V2)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("\nClients:  4, by live bytes: gomem_sample 12.4 MiB, (other) 502.1 KiB, "
                      "gomem 1.5 KiB, ext2 64 B (unloaded)\nClasses:  66 shown", res.stdout)
        v1 = run_cli("--once", REAL).stdout
        self.assertNotIn("Clients:", v1)
        # The rest of the screen is version 1's.
        self.assertEqual([line for line in res.stdout.splitlines()[1:]
                          if not line.startswith("Clients:")], v1.splitlines()[1:])

    def test_default_view_top_clients_only(self):
        rows = [f"client m{i} loaded 1 {i * 8} 1 0 {i * 8}" for i in range(1, 8)]
        out = "\n".join(gms.render(gms.parse(with_clients(rows), "x"), "x", raw=True))
        self.assertIn("Clients:  7, by live bytes: m7 56, m6 48, m5 40, m4 32, m3 24; "
                      "2 more (--clients shows them all)\n", out)
        out = "\n".join(gms.render(gms.parse(with_clients([]), "x"), "x"))
        self.assertIn("\nClients:  none\n", out)


class ClientRatesTest(unittest.TestCase):
    def setUp(self):
        self.prev = gms.read_snapshot(V2)
        self.cur = gms.read_snapshot(V2_LATER)

    def test_rates_by_client(self):
        rates = gms.compute_rates(self.prev, self.cur, 2.0)
        self.assertEqual((rates.mallocs, rates.frees), (264.0, 251.0))
        names = [c.name for c in self.cur.clients]
        self.assertEqual(names, ["gomem", "ext2", "gomem_sample", "vmlinux", "(other)"])
        # vmlinux (index 3) is new: no rate.
        self.assertEqual(rates.by_client, {0: (0.0, 0.0), 1: (0.0, 0.5), 2: (200.0, 190.0),
                                           4: (60.0, 60.5)})
        self.assertEqual(gms.compute_rates(self.prev, self.cur, 0.5).by_client[2],
                         (800.0, 760.0))
        # Version 1 snapshots: no client, no client rate.
        self.assertEqual(gms.compute_rates(gms.read_snapshot(REAL), gms.read_snapshot(LATER),
                                           2.0).by_client, {})

    def test_row_changed_or_reset(self):
        clients = list(self.cur.clients)
        clients[2] = clients[2]._replace(mallocs=10, frees=5, live_objects=5)  # reused row
        clients[0] = clients[0]._replace(state="unloaded")  # gomem unloaded since
        rates = gms.compute_rates(self.prev, self.cur._replace(clients=clients), 2.0)
        self.assertEqual(rates.by_client, {1: (0.0, 0.5), 4: (60.0, 60.5)})

    def test_rates_rendered(self):
        rates = gms.compute_rates(self.prev, self.cur, 2.0)
        out = "\n".join(gms.render_clients(self.cur, "x", rates=rates, refreshing=True))
        self.assertIn("\nRates:    264.0 mallocs/s, 251.0 frees/s over 2.0 s\n", out)
        self.assertRegex(out, r"(?m)^NAME .* TOTAL-ALLOC +MALLOCS/S +FREES/S$")
        self.assertEqual([row[0:1] + row[-2:] for row in client_table(out)],
                         [["gomem_sample", "200.0", "190.0"], ["(other)", "60.0", "60.5"],
                          ["vmlinux", "-", "-"], ["gomem", "0.0", "0.0"],
                          ["ext2", "0.0", "0.5"]])
        first = "\n".join(gms.render_clients(self.cur, "x", refreshing=True))
        self.assertIn("Rates:    - (first sample", first)
        self.assertEqual({tuple(row[-2:]) for row in client_table(first)}, {("-", "-")})

    def test_loop_rereads_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "gomem")
            with open(path, "w", encoding="utf-8") as f:
                f.write(read(V2))
            clock = iter([100.0, 102.0])

            def fake_sleep(seconds):
                with open(path, "w", encoding="utf-8") as f:
                    f.write(read(V2_LATER))

            out, err = io.StringIO(), io.StringIO()
            with mock.patch.object(gms.time, "monotonic", lambda: next(clock)), \
                    mock.patch.object(gms.time, "sleep", fake_sleep):
                status = gms.main(["--clients", "-n", "2", "-d", "2", path], out, err)
        self.assertEqual(status, 0, err.getvalue())
        screens = out.getvalue().split(CLEAR)
        self.assertEqual(len(screens), 3)
        self.assertIn("Rates:    - (first sample", screens[1])
        self.assertEqual(len(client_table(screens[1])), 4)
        self.assertIn("Rates:    264.0 mallocs/s, 251.0 frees/s over 2.0 s", screens[2])
        self.assertEqual(client_table(screens[2])[0],
                         ["gomem_sample", "loaded", "980", "12.7 MiB", "25400", "24420",
                          "280.7 MiB", "200.0", "190.0"])


if __name__ == "__main__":
    unittest.main()
