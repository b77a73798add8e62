#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of scripts/gomem-pprof, the heap profile to pprof converter.

Run from the repository root with either of:

    python3 -m unittest discover -s scripts -p 'test_gomem_pprof.py'
    python3 scripts/test_gomem_pprof.py

The profile.proto it writes is read back with the small protobuf decoder
below (not with gomem-pprof's own code); scripts/pprof-check.sh reads it
with the real `go tool pprof`.

Fixtures (scripts/testdata/, hand-written as /sys/kernel/debug/gomem/heap
prints them, every address the symbol's start plus its offset):
  heap-v1.txt             rate 524288, six records: 512 KiB objects of the
                          KUnit test gomem_test_large_size, a record all
                          freed (inuse 0: 0) through gomem_kmalloc, two
                          stacks of gomem_sample (since unloaded: its frames
                          keep their text) from its init through
                          finit_module, a gomem_krealloc stack, and one with
                          two frames %pS could not name (bare addresses)
  heap-rate1.txt          rate 1 (every allocation recorded), two records
  heap-bad-version.txt    heap-v1.txt with "version 2" in line 1
  heap-no-header.txt      heap-v1.txt without line 1
  heap-bad-record.txt     line 11 (the second record) reads "[25 819200]"
  heap-frame-mismatch.txt the third record (line 19) lists 10 addresses but
                          has 9 "#" lines (gomem_sample_init's removed)
"""

import gzip
import io
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
from loadscript import load_script  # noqa: E402
TOP = os.path.dirname(HERE)
SCRIPT = os.path.join(HERE, "gomem-pprof")
DATA = os.path.join(HERE, "testdata")
V1 = os.path.join(DATA, "heap-v1.txt")
RATE1 = os.path.join(DATA, "heap-rate1.txt")


gp = load_script(SCRIPT, "gomem_pprof")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_cli(*args, timeout=30, **kwargs):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True,
                          timeout=timeout, cwd=TOP, **kwargs)


# A protobuf decoder for what profile.proto uses: varints (wire type 0) and
# length-delimited fields (wire type 2). Anything else, an unknown field or a
# field of the wrong wire type fails the test.

def read_varint(data, pos):
    value = shift = 0
    while True:
        if pos >= len(data):
            raise AssertionError("varint runs past the end of the message")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise AssertionError("varint longer than ten bytes")


def fields_of(data):
    """[(field number, wire type, int or bytes)] of one encoded message."""
    fields, pos = [], 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            size, pos = read_varint(data, pos)
            if pos + size > len(data):
                raise AssertionError(f"field {number} runs past the end of the message")
            value, pos = bytes(data[pos:pos + size]), pos + size
        else:
            raise AssertionError(f"field {number}: unexpected wire type {wire}")
        fields.append((number, wire, value))
    return fields


# Schemas: field number -> (name, kind); kinds "int" (a varint), "str"
# (bytes as UTF-8), "ints" (a repeated varint, packed or not), "str*" (a
# repeated string), a schema (a message) or [schema] (a repeated message).
VALUE_TYPE = {1: ("type", "int"), 2: ("unit", "int")}
LABEL = {1: ("key", "int"), 2: ("str", "int"), 3: ("num", "int"), 4: ("num_unit", "int")}
SAMPLE = {1: ("location_id", "ints"), 2: ("value", "ints"), 3: ("label", [LABEL])}
MAPPING = {
    1: ("id", "int"), 2: ("memory_start", "int"), 3: ("memory_limit", "int"),
    4: ("file_offset", "int"), 5: ("filename", "int"), 6: ("build_id", "int"),
    7: ("has_functions", "int"), 8: ("has_filenames", "int"),
    9: ("has_line_numbers", "int"), 10: ("has_inline_frames", "int"),
}
LINE = {1: ("function_id", "int"), 2: ("line", "int")}
LOCATION = {1: ("id", "int"), 2: ("mapping_id", "int"), 3: ("address", "int"),
            4: ("line", [LINE]), 5: ("is_folded", "int")}
FUNCTION = {1: ("id", "int"), 2: ("name", "int"), 3: ("system_name", "int"),
            4: ("filename", "int"), 5: ("start_line", "int")}
PROFILE = {
    1: ("sample_type", [VALUE_TYPE]), 2: ("sample", [SAMPLE]), 3: ("mapping", [MAPPING]),
    4: ("location", [LOCATION]), 5: ("function", [FUNCTION]), 6: ("string_table", "str*"),
    7: ("drop_frames", "int"), 8: ("keep_frames", "int"), 9: ("time_nanos", "int"),
    10: ("duration_nanos", "int"), 11: ("period_type", VALUE_TYPE), 12: ("period", "int"),
    13: ("comment", "ints"), 14: ("default_sample_type", "int"),
}


def decode(data, schema):
    """A dict of every field of schema (proto3 defaults for absent ones)."""
    out = {}
    for name, kind in schema.values():
        out[name] = [] if kind in ("ints", "str*") or isinstance(kind, list) else \
            ({} if isinstance(kind, dict) else 0)
    for number, wire, value in fields_of(data):
        if number not in schema:
            raise AssertionError(f"unknown field {number}")
        name, kind = schema[number]
        if kind == "int":
            if wire != 0:
                raise AssertionError(f"{name}: wire type {wire}, not a varint")
            out[name] = value
        elif kind == "ints":
            if wire == 0:
                out[name].append(value)
            else:
                pos = 0
                while pos < len(value):
                    v, pos = read_varint(value, pos)
                    out[name].append(v)
        elif wire != 2:
            raise AssertionError(f"{name}: wire type {wire}, not length-delimited")
        elif kind == "str*":
            out[name].append(value.decode("utf-8"))
        elif isinstance(kind, list):
            out[name].append(decode(value, kind[0]))
        else:
            out[name] = decode(value, kind)
    return out


class Profile:
    """A decoded profile.proto and look-ups by id and through the string table."""

    def __init__(self, gz):
        self.raw = gzip.decompress(gz)
        self.p = decode(self.raw, PROFILE)
        self.strings = self.p["string_table"]
        self.samples = self.p["sample"]
        self.locations = {loc["id"]: loc for loc in self.p["location"]}
        self.functions = {f["id"]: f for f in self.p["function"]}
        self.mappings = {m["id"]: m for m in self.p["mapping"]}

    def s(self, index):
        return self.strings[index]

    def function_of(self, location_id):
        lines = self.locations[location_id]["line"]
        assert len(lines) == 1, lines
        return self.functions[lines[0]["function_id"]]

    def names(self, sample):
        """The function names of a sample's stack, in the stored order."""
        return [self.s(self.function_of(i)["name"]) for i in sample["location_id"]]

    def addresses(self, sample):
        return [self.locations[i]["address"] for i in sample["location_id"]]


def convert(path, scale=True, time_nanos=0):
    data, warnings = gp.convert(read(path), path, scale, time_nanos)
    return Profile(data), warnings


# The records of heap-v1.txt: raw counts, and the values Go's scaleHeapSample
# gives them at rate 524288 ([alloc_objects, alloc_space, inuse_objects,
# inuse_space]; the same as `go tool pprof -raw` shows for the records read as
# Go's legacy text format, as scripts/pprof-check.sh checks).
V1_RAW = [
    [30, 15728640, 5, 2621440],
    [25, 819200, 0, 0],
    [40, 1310720, 0, 0],
    [3, 12288, 3, 12288],
    [4, 393216, 1, 131072],
    [2, 2097152, 2, 2097152],
]
V1_SCALED = [
    [47, 24882342, 7, 4147057],
    [412, 13521066, 0, 0],
    [660, 21633706, 0, 0],
    [385, 1579015, 385, 1579015],
    [23, 2299900, 4, 592551],
    [2, 2425393, 2, 2425393],
]
KTHREAD_TAIL = ["kunit_try_run_case", "kunit_generic_run_threadfn_adapter", "kthread",
                "ret_from_fork", "ret_from_fork_asm"]
INIT_TAIL = ["do_one_initcall", "do_init_module", "load_module", "init_module_from_file",
             "__x64_sys_finit_module", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"]
V1_STACKS = [
    ["gomem_alloc", "gomem_test_large_size"] + KTHREAD_TAIL,
    ["gomem_kmalloc", "gomem_test_every_size"] + KTHREAD_TAIL,
    ["gomem_alloc", "sample_take", "gomem_sample_init"] + INIT_TAIL,
    ["gomem_alloc", "sample_leak", "gomem_sample_init"] + INIT_TAIL,
    ["gomem_krealloc", "gomem_test_realloc_moves"] + KTHREAD_TAIL,
    ["gomem_alloc", "0xffffffffc0e8a0d4", "0xffffffffc0e8a2b1", "kthread",
     "ret_from_fork", "ret_from_fork_asm"],
]


class ParseTest(unittest.TestCase):
    def setUp(self):
        self.heap = gp.parse(read(V1), "F")

    def test_header_and_totals(self):
        self.assertEqual(self.heap.version, 1)
        self.assertEqual(self.heap.rate, 524288)
        self.assertEqual(self.heap.totals, (11, 4861952, 104, 20361216))
        self.assertEqual(self.heap.warnings, [])
        self.assertEqual(len(self.heap.records), 6)
        self.assertEqual([r.line for r in self.heap.records], [3, 11, 19, 30, 41, 49])

    def test_records_exact(self):
        raw = [[r.alloc_objects, r.alloc_bytes, r.inuse_objects, r.inuse_bytes]
               for r in self.heap.records]
        self.assertEqual(raw, V1_RAW)
        self.assertEqual([[f.name for f in r.frames] for r in self.heap.records], V1_STACKS)

    def test_first_record_frames_leaf_first(self):
        frames = self.heap.records[0].frames
        self.assertEqual(frames[0], gp.Frame(0xffffffffc0a0123b, "gomem_alloc+0x1b/0x60 [gomem]",
                                             "gomem_alloc", "gomem", ""))
        self.assertEqual(frames[1].module, "gomem_kunit")
        self.assertEqual(frames[2], gp.Frame(0xffffffff8112a35b, "kunit_try_run_case+0x5b/0x1a0",
                                             "kunit_try_run_case", "vmlinux", ""))
        self.assertEqual([f.address for f in frames][-1], 0xffffffff81001b8a)

    def test_unloaded_module_and_bare_frames(self):
        take = self.heap.records[2].frames
        self.assertEqual((take[1].name, take[1].module), ("sample_take", "gomem_sample"))
        bare = self.heap.records[5].frames[1]
        self.assertEqual(bare, gp.Frame(0xffffffffc0e8a0d4, "0xffffffffc0e8a0d4",
                                        "0xffffffffc0e8a0d4", "[unknown]", ""))

    def test_fixture_symbols_consistent(self):
        """Every function of the fixture starts at one address (address - offset)."""
        starts = {}
        for r in self.heap.records:
            for f in r.frames:
                m = re.match(r"(\S+)\+0x([0-9a-f]+)/0x([0-9a-f]+)", f.text)
                if m:
                    self.assertLess(int(m.group(2), 16), int(m.group(3), 16), f)
                    starts.setdefault(f.name, set()).add(f.address - int(m.group(2), 16))
        self.assertEqual({n: len(s) for n, s in starts.items() if len(s) != 1}, {})

    def test_symbol_forms(self):
        cases = [
            ("gomem_alloc+0x1b/0x60 [gomem]", ("gomem_alloc", "gomem", "")),
            ("kunit_try_run_case+0x5b/0x1a0", ("kunit_try_run_case", "vmlinux", "")),
            ("site_a+0x20/0x40 [gomem_kunit]", ("site_a", "gomem_kunit", "")),
            ("gomem_alloc+0x1b/0x60 [gomem 4c2a0b9e]", ("gomem_alloc", "gomem", "4c2a0b9e")),
            ("foo.cold+0x0/0x1c [gomem]", ("foo.cold", "gomem", "")),
            ("gomem_alloc [gomem]", ("gomem_alloc", "gomem", "")),  # %ps
            ("0xffffffffc0e8a0d4", ("0xffffffffc0e8a0d4", "[unknown]", "")),
            ("what ever", ("what ever", "[unknown]", "")),
        ]
        for text, want in cases:
            with self.subTest(text=text):
                self.assertEqual(gp.parse_symbol(text), want)

    def test_blank_comment_and_crlf_lines(self):
        text = read(V1).replace("\n0: 0 [25:", "\n\n# a comment\n#\n0: 0 [25:", 1)
        text = text.replace("\n", " \r\n")
        heap = gp.parse(text, "F")
        # Three lines more before the second record; the text is the same.
        self.assertEqual(heap.records, self.heap.records[:1] +
                         [r._replace(line=r.line + 3) for r in self.heap.records[1:]])

    def test_header_only(self):
        heap = gp.parse("gomem heap profile: version 1, rate 524288\n"
                        "heap profile: 0: 0 [0: 0] @ heap/524288\n", "F")
        self.assertEqual((heap.records, heap.warnings), ([], []))

    def test_totals_mismatch_is_a_warning(self):
        heap = gp.parse(read(V1).replace("[104: 20361216]", "[105: 20361216]"), "F")
        self.assertEqual(len(heap.records), 6)
        self.assertEqual(heap.warnings, [
            "F:2: the totals 11: 4861952 [105: 20361216] are not the sums of the records "
            "11: 4861952 [104: 20361216]"])

    def assertParseError(self, text, pattern):
        with self.assertRaises(gp.PprofError) as cm:
            gp.parse(text, "F")
        self.assertRegex(str(cm.exception), pattern)

    def test_parse_errors(self):
        v1 = read(V1)
        lines = v1.splitlines(keepends=True)
        self.assertParseError("", r"^F: empty input$")
        self.assertParseError(read(os.path.join(DATA, "heap-no-header.txt")),
                              r"^F:1: not a gomem heap profile \(expected 'gomem heap profile: "
                              r"version 1, rate R', got 'heap profile: 11: ")
        self.assertParseError(read(os.path.join(DATA, "heap-bad-version.txt")),
                              r"^F:1: unsupported format version 2 \(gomem-pprof reads "
                              r"version 1\)$")
        self.assertParseError("gomem heap profile: version one\n", r"^F:1: malformed header")
        self.assertParseError(lines[0], r"^F: no totals line after the header")
        self.assertParseError(v1.rstrip("\n"), r"^F:55: truncated \(the last line has no newline")
        self.assertParseError(v1.replace("heap profile: 11:", "heap profile: x:"),
                              r"^F:2: malformed totals line")
        self.assertParseError(v1.replace("@ heap/524288", "@ heap/1048576"),
                              r"^F:2: rate 1048576 in the totals line, 524288 in line 1$")
        self.assertParseError(read(os.path.join(DATA, "heap-bad-record.txt")),
                              r"^F:11: malformed line '0: 0 \[25 819200\] @ 0xffffffffc0a013aa")
        self.assertParseError(read(os.path.join(DATA, "heap-frame-mismatch.txt")),
                              r"^F:19: the record has 10 addresses but 9 '#' frame lines$")
        # One "#" line too many: a frame repeated.
        self.assertParseError("".join(lines[:4] + lines[3:]),
                              r"^F:3: the record has 7 addresses but 8 '#' frame lines$")
        # The right count, but the frames out of the record's order.
        self.assertParseError("".join(lines[:3] + [lines[4], lines[3]] + lines[5:]),
                              r"^F:4: frame 1 is 0xffffffffc0b4512e but the record at line 3 "
                              r"lists 0xffffffffc0a0123b$")
        # A frame before the first record belongs to no record.
        self.assertParseError("".join(lines[:2] + [lines[3]] + lines[2:]),
                              r"^F:3: frame line outside a record$")
        # A blank line ends a record: the frames after it are cut off.
        self.assertParseError("".join(lines[:5] + ["\n"] + lines[5:]),
                              r"^F:3: the record has 7 addresses but 2 '#' frame lines$")
        self.assertParseError(v1.replace("#\t0xffffffffc0a013aa\t", "#\tffffffffc0a013aa\t"),
                              r"^F:12: malformed frame line")
        self.assertParseError(v1.replace("\n0: 0 [25: 819200]", "\n0: 4096 [25: 819200]"),
                              r"^F:11: inuse count was 0 but inuse bytes was 4096$")
        self.assertParseError(v1.replace("\n5: 2621440 [30:", "\n5: 2621440 [0:"),
                              r"^F:3: alloc count was 0 but alloc bytes was 15728640$")
        self.assertParseError(v1.replace("[30: 15728640]", "[30: 9223372036854775808]"),
                              r"^F:3: count 9223372036854775808 does not fit in 64 bits")
        # A record needs a stack (pprof would drop a sample without one).
        self.assertParseError(lines[0] + lines[1] + "1: 10 [1: 10] @\n",
                              r"^F:3: malformed line '1: 10 \[1: 10\] @'")
        frame = "\n#\t0xffffffffc0a013aa"
        self.assertParseError(v1.replace(frame, "\njunk" + frame),
                              r"^F:11: the record has 7 addresses but 0 '#' frame lines$")


class ScaleTest(unittest.TestCase):
    def test_hand_computation(self):
        # 30 samples of 15728640 bytes at R = 524288: avg = 524288 = R, so each
        # was sampled with probability 1 - e^-1 and scale = 1/(1 - e^-1) =
        # 1.5819767068693265; 30 * scale = 47.459..., 15728640 * scale =
        # 24882342.27..., truncated as Go's int64() does.
        self.assertAlmostEqual(1 / (1 - math.exp(-1)), 1.5819767068693265, places=15)
        self.assertEqual(gp.scale_heap_sample(30, 15728640, 524288), (47, 24882342))
        self.assertEqual(gp.scale_heap_sample(5, 2621440, 524288), (7, 4147057))

    def test_small_objects_truncated_not_rounded(self):
        # avg 4096 = R/128: scale = 1/(1 - e^(-1/128)) = 128.5016...; 3 * scale =
        # 385.505 -> 385 (rounding would say 386); 12288 * scale = 1579015.4.
        self.assertEqual(gp.scale_heap_sample(3, 12288, 524288), (385, 1579015))

    def test_large_objects_barely_scaled(self):
        # avg 1 MiB = 2R: scale = 1/(1 - e^-2) = 1.15652...: 2 -> 2.31 -> 2.
        self.assertEqual(gp.scale_heap_sample(2, 2097152, 524288), (2, 2425393))

    def test_unscaled(self):
        self.assertEqual(gp.scale_heap_sample(30, 15728640, 1), (30, 15728640))
        self.assertEqual(gp.scale_heap_sample(30, 15728640, 0), (30, 15728640))
        self.assertEqual(gp.scale_heap_sample(0, 0, 524288), (0, 0))
        # Go: a count with no bytes is (0, 0), not a division by zero.
        self.assertEqual(gp.scale_heap_sample(4, 0, 524288), (0, 0))

    def test_alloc_and_inuse_scaled_separately(self):
        # Allocated 4: 393216, avg 98304: scale 1/(1 - e^-0.1875) = 5.8489...,
        # 23.39 -> 23 and 2299900.4; in use 1: 131072, avg 131072: scale
        # 1/(1 - e^-0.25) = 4.5208..., 4 and 592551.8 (the alloc scale would
        # make them 5 and 766633).
        record = gp.parse(read(V1), "F").records[4]
        self.assertEqual(gp.sample_values(record, 524288), V1_SCALED[4])
        self.assertEqual(gp.sample_values(record, 524288, scale=False), V1_RAW[4])


class ProtoTest(unittest.TestCase):
    def setUp(self):
        self.prof, self.warnings = convert(V1, time_nanos=1764748800123456789)

    def test_header_fields(self):
        p, s = self.prof.p, self.prof.s
        self.assertEqual(self.warnings, [])
        self.assertEqual(self.prof.strings[0], "")
        self.assertEqual([(s(t["type"]), s(t["unit"])) for t in p["sample_type"]],
                         [("alloc_objects", "count"), ("alloc_space", "bytes"),
                          ("inuse_objects", "count"), ("inuse_space", "bytes")])
        self.assertEqual(s(p["default_sample_type"]), "inuse_space")
        self.assertEqual((s(p["period_type"]["type"]), s(p["period_type"]["unit"])),
                         ("space", "bytes"))
        self.assertEqual(p["period"], 524288)
        self.assertEqual(p["time_nanos"], 1764748800123456789)
        self.assertEqual([s(c) for c in p["comment"]],
                         [f"gomem heap profile version 1 from {V1}, rate 524288"])
        self.assertEqual((p["drop_frames"], p["keep_frames"], p["duration_nanos"]), (0, 0, 0))
        self.assertEqual(len(set(self.prof.strings)), len(self.prof.strings))

    def test_scaled_values(self):
        self.assertEqual([smp["value"] for smp in self.prof.samples], V1_SCALED)

    def test_no_scale(self):
        prof, _ = convert(V1, scale=False)
        self.assertEqual([smp["value"] for smp in prof.samples], V1_RAW)
        self.assertEqual(prof.p["period"], 524288)
        self.assertIn("values not scaled (--no-scale): raw sampled counts and bytes",
                      [prof.s(c) for c in prof.p["comment"]])

    def test_rate_1_unscaled(self):
        prof, warnings = convert(RATE1)
        self.assertEqual(warnings, [])
        self.assertEqual(prof.p["period"], 1)
        self.assertEqual([smp["value"] for smp in prof.samples],
                         [[10, 320, 3, 96], [7, 57344, 0, 0]])
        self.assertEqual([prof.names(smp) for smp in prof.samples],
                         [["gomem_alloc", "gomem_test_tiny_size", "kunit_try_run_case"],
                          ["gomem_kmalloc", "gomem_test_class_boundaries",
                           "kunit_try_run_case"]])

    def test_stacks_leaf_first(self):
        self.assertEqual([self.prof.names(smp) for smp in self.prof.samples], V1_STACKS)
        heap = gp.parse(read(V1), "F")
        for smp, record in zip(self.prof.samples, heap.records):
            self.assertEqual(self.prof.addresses(smp), [f.address for f in record.frames])
        self.assertEqual(self.prof.addresses(self.prof.samples[0])[0], 0xffffffffc0a0123b)

    def test_shared_frames_share_location_and_function(self):
        ids = [smp["location_id"] for smp in self.prof.samples]
        alloc = ids[0][0]  # gomem_alloc+0x1b, the leaf of records 1, 3, 4 and 6
        self.assertEqual([stack[0] for stack in ids], [alloc, ids[1][0], alloc, alloc,
                                                      ids[4][0], alloc])
        self.assertEqual(len({ids[1][0], ids[4][0], alloc}), 3)
        # kunit_try_run_case+0x5b, the third frame of records 1, 2 and 5.
        self.assertEqual(ids[0][2], ids[1][2])
        self.assertEqual(ids[0][2], ids[4][2])
        # One Location per distinct address: 24 in heap-v1.txt.
        heap = gp.parse(read(V1), "F")
        addresses = {f.address for r in heap.records for f in r.frames}
        self.assertEqual(len(addresses), 24)
        self.assertEqual(len(self.prof.locations), 24)
        self.assertEqual(sorted(loc["address"] for loc in self.prof.locations.values()),
                         sorted(addresses))
        # One Function per name: gomem_sample_init has two Locations (+0x9a and
        # +0x1c4) and one Function.
        names = [self.prof.s(f["name"]) for f in self.prof.functions.values()]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(len(names), 23)
        self.assertEqual(self.prof.function_of(ids[2][2]), self.prof.function_of(ids[3][2]))
        self.assertNotEqual(ids[2][2], ids[3][2])

    def test_ids(self):
        for table in (self.prof.locations, self.prof.functions, self.prof.mappings):
            self.assertEqual(sorted(table), list(range(1, len(table) + 1)))
        # Ids in order of first appearance, leaf first.
        self.assertEqual(self.prof.samples[0]["location_id"], [1, 2, 3, 4, 5, 6, 7])

    def test_functions(self):
        want = {
            "gomem_alloc": "gomem.ko", "gomem_test_large_size": "gomem_kunit.ko",
            "kunit_try_run_case": "vmlinux", "sample_take": "gomem_sample.ko",
            "0xffffffffc0e8a0d4": "[unknown]", "entry_SYSCALL_64_after_hwframe": "vmlinux",
        }
        got = {}
        for f in self.prof.functions.values():
            self.assertEqual(f["name"], f["system_name"])
            self.assertEqual(f["start_line"], 0)
            got[self.prof.s(f["name"])] = self.prof.s(f["filename"])
        self.assertEqual({n: got[n] for n in want}, want)
        for loc in self.prof.locations.values():
            self.assertEqual(len(loc["line"]), 1)
            self.assertEqual(loc["line"][0]["line"], 0)
            self.assertEqual(loc["is_folded"], 0)

    def test_mappings(self):
        prof, s = self.prof, self.prof.s
        self.assertEqual([s(m["filename"]) for m in prof.p["mapping"]],
                         ["vmlinux", "gomem.ko", "gomem_kunit.ko", "gomem_sample.ko",
                          "[unknown]"])
        for m in prof.mappings.values():
            self.assertEqual(m["has_functions"], 1)
            self.assertEqual((m["has_filenames"], m["has_line_numbers"], m["file_offset"]),
                             (0, 0, 0))
            self.assertEqual(m["build_id"], 0)
        vmlinux = prof.mappings[1]
        self.assertEqual((vmlinux["memory_start"], vmlinux["memory_limit"]),
                         (0xffffffff81001b8a, 0xffffffff820001a7))
        for loc in prof.locations.values():
            m = prof.mappings[loc["mapping_id"]]
            self.assertLessEqual(m["memory_start"], loc["address"])
            self.assertLess(loc["address"], m["memory_limit"])
            self.assertEqual(s(m["filename"]), s(prof.function_of(loc["id"])["filename"]))

    def test_bytes_label(self):
        labels = []
        for smp in self.prof.samples:
            self.assertEqual(len(smp["label"]), 1)
            label = smp["label"][0]
            self.assertEqual((self.prof.s(label["key"]), label["str"], label["num_unit"]),
                             ("bytes", 0, 0))
            labels.append(label["num"])
        self.assertEqual(labels, [524288, 32768, 32768, 4096, 98304, 1048576])

    def test_build_id_and_reloaded_module(self):
        text = ("gomem heap profile: version 1, rate 524288\n"
                "heap profile: 2: 64 [2: 64] @ heap/524288\n"
                "1: 32 [1: 32] @ 0xffffffffc0a0123b 0xffffffffc0b40010\n"
                "#\t0xffffffffc0a0123b\tgomem_alloc+0x1b/0x60 [gomem 4c2a0b9e77]\n"
                "#\t0xffffffffc0b40010\tsite_a+0x10/0x40 [gomem_kunit]\n"
                "1: 32 [1: 32] @ 0xffffffffc0a0123b 0xffffffffc0b40010\n"
                "#\t0xffffffffc0a0123b\tgomem_alloc+0x1b/0x60 [gomem 4c2a0b9e77]\n"
                "#\t0xffffffffc0b40010\tsite_b+0x10/0x80 [gomem_other]\n")
        prof = Profile(gp.convert(text, "F", time_nanos=0)[0])
        self.assertEqual([(prof.s(m["filename"]), prof.s(m["build_id"]))
                          for m in prof.p["mapping"]],
                         [("gomem.ko", "4c2a0b9e77"), ("gomem_kunit.ko", ""),
                          ("gomem_other.ko", "")])
        # The same address under another module (one unloaded, another loaded
        # there): two Locations, two Functions.
        self.assertEqual([prof.names(smp) for smp in prof.samples],
                         [["gomem_alloc", "site_a"], ["gomem_alloc", "site_b"]])
        self.assertEqual(len(prof.locations), 3)
        self.assertEqual(prof.p["time_nanos"], 0)

    def test_varint(self):
        self.assertEqual(gp._varint(0), b"\x00")
        self.assertEqual(gp._varint(1), b"\x01")
        self.assertEqual(gp._varint(300), b"\xac\x02")
        self.assertEqual(gp._varint(-1), b"\xff" * 9 + b"\x01")
        for n in (127, 128, 524288, 0xffffffffc0a0123b, (1 << 64) - 1):
            with self.subTest(n=n):
                encoded = gp._varint(n)
                self.assertEqual(read_varint(encoded, 0), (n, len(encoded)))
        self.assertEqual(len(gp._varint(0xffffffffc0a0123b)), 10)

    def test_deterministic(self):
        a = gp.convert(read(V1), "F", time_nanos=5)[0]
        b = gp.convert(read(V1), "F", time_nanos=5)[0]
        self.assertEqual(a, b)
        self.assertEqual(a[:2], b"\x1f\x8b")


class CliTest(unittest.TestCase):
    def test_header_lines(self):
        with open(SCRIPT, encoding="utf-8") as f:
            head = [f.readline() for _ in range(3)]
        self.assertEqual(head[:2], ["#!/usr/bin/env python3\n",
                                    "# SPDX-License-Identifier: GPL-2.0\n"])
        self.assertTrue(head[2].startswith('"""'))
        self.assertTrue(os.access(SCRIPT, os.X_OK))
        with open(SCRIPT, encoding="utf-8") as f:
            long = [n for n, line in enumerate(f, 1) if len(line.rstrip("\n")) > 100]
        self.assertEqual(long, [])

    def test_file_to_stdout(self):
        before = time.time_ns()
        res = run_cli(V1)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, b"")
        prof = Profile(res.stdout)
        self.assertEqual([smp["value"] for smp in prof.samples], V1_SCALED)
        self.assertLessEqual(before, prof.p["time_nanos"])
        self.assertLessEqual(prof.p["time_nanos"], time.time_ns())

    def test_stdin_to_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "heap.pb.gz")
            with open(V1, "rb") as f:
                res = run_cli("-o", out, stdin=f)
            self.assertEqual((res.returncode, res.stdout, res.stderr), (0, b"", b""))
            with open(out, "rb") as f:
                prof = Profile(f.read())
        self.assertEqual([prof.names(smp) for smp in prof.samples], V1_STACKS)
        self.assertIn("gomem heap profile version 1 from <stdin>, rate 524288",
                      [prof.s(c) for c in prof.p["comment"]])

    def test_no_scale_option(self):
        res = run_cli("--no-scale", "-", input=read(V1).encode())
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual([smp["value"] for smp in Profile(res.stdout).samples], V1_RAW)

    def test_errors_exit_1_and_write_nothing(self):
        cases = [
            ("heap-bad-version.txt", r":1: unsupported format version 2 "),
            ("heap-no-header.txt", r":1: not a gomem heap profile "),
            ("heap-bad-record.txt", r":11: malformed line '0: 0 \[25 819200\] @ "),
            ("heap-frame-mismatch.txt", r":19: the record has 10 addresses but 9 '#' frame "),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "heap.pb.gz")
            for name, pattern in cases:
                path = os.path.join(DATA, name)
                with self.subTest(name=name):
                    res = run_cli(path)
                    self.assertEqual(res.returncode, 1)
                    self.assertEqual(res.stdout, b"")
                    err = res.stderr.decode()
                    self.assertRegex(err, "^gomem-pprof: " + re.escape(path) + pattern)
                    self.assertEqual(err.count("\n"), 1, err)
                    res = run_cli("-o", out, path)
                    self.assertEqual(res.returncode, 1)
                    self.assertFalse(os.path.exists(out))
                    with open(path, "rb") as f:
                        res = run_cli(stdin=f)
                    self.assertEqual((res.returncode, res.stdout), (1, b""))
                    self.assertRegex(res.stderr.decode(), "^gomem-pprof: <stdin>" + pattern)

    def test_missing_file_and_usage(self):
        res = run_cli("/nonexistent/heap")
        self.assertEqual((res.returncode, res.stdout), (1, b""))
        self.assertEqual(res.stderr, b"gomem-pprof: /nonexistent/heap: no such file\n")
        res = run_cli("--bogus", V1)
        self.assertEqual((res.returncode, res.stdout), (2, b""))
        res = run_cli("--help")
        self.assertEqual(res.returncode, 0)
        self.assertIn(b"--no-scale", res.stdout)

    def test_totals_warning_keeps_going(self):
        text = read(V1).replace("heap profile: 11:", "heap profile: 12:")
        res = run_cli(input=text.encode())
        self.assertEqual(res.returncode, 0)
        self.assertEqual(res.stderr.decode(),
                         "gomem-pprof: warning: <stdin>:2: the totals 12: 4861952 "
                         "[104: 20361216] are not the sums of the records 11: 4861952 "
                         "[104: 20361216]\n")
        self.assertEqual([smp["value"] for smp in Profile(res.stdout).samples], V1_SCALED)

    def test_main_in_process(self):
        """main() with an unwritable -o: one error line, exit 1."""
        err = io.StringIO()
        self.assertEqual(gp.main(["-o", "/nonexistent/dir/heap.pb.gz", V1], err=err), 1)
        self.assertEqual(err.getvalue(),
                         "gomem-pprof: /nonexistent/dir/heap.pb.gz: No such file or directory\n")


if __name__ == "__main__":
    unittest.main()
