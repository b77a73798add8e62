#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pprof-check.sh: check scripts/gomem-pprof with the real `go tool pprof`.
#
# usage: scripts/pprof-check.sh
#
# Converts scripts/testdata/heap-v1.txt with scripts/gomem-pprof and reads the
# profile with `go tool pprof -top`, `-raw` and `-sample_index=alloc_space
# -top`, checking the function names and values each must show; has pprof
# read the same records as Go's legacy text heap profile, which pprof scales
# with its own scaleHeapSample, and checks both give the same samples; and
# reads heap-rate1.txt and a --no-scale profile (raw values).
#
# Installs Debian's golang-go when `go` is missing (apt-get, as root); needs
# no network otherwise. go and pprof run with HOME, GOCACHE, GOPATH,
# PPROF_TMPDIR and PPROF_BINARY_PATH in a temporary directory, removed on
# exit: pprof finds no vmlinux or .ko there and needs none (every mapping says
# has_functions), and -symbolize=none keeps it from trying.
#
# Prints "pprof-check: ok" and exits 0, or says what is missing and exits 1.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
DATA=$TOP/scripts/testdata
FIXTURE=$DATA/heap-v1.txt
CONVERT=$TOP/scripts/gomem-pprof

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pprof-check.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

fail=0
miss() {
	echo "pprof-check: $*"
	fail=1
}

ensure_go() {
	command -v go >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "pprof-check: go is missing: install Debian's golang-go (as root:" \
			"apt-get install --no-install-recommends golang-go)"
		return 1
	fi
	echo "pprof-check: go is missing: apt-get install golang-go"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends golang-go >"$TMP/apt.log" 2>&1; then
		# Package lists too old or absent: refresh them once.
		{ apt-get update && apt-get install -y --no-install-recommends golang-go; } \
			>>"$TMP/apt.log" 2>&1 || {
			tail -n 5 "$TMP/apt.log"
			echo "pprof-check: apt-get install golang-go failed"
			return 1
		}
	fi
	command -v go >/dev/null 2>&1 ||
		{ echo "pprof-check: no go command after installing golang-go"; return 1; }
}

ensure_go || exit 1
mkdir -p "$TMP/home" "$TMP/pprof" "$TMP/binaries"
export HOME=$TMP/home GOCACHE=$TMP/gocache GOPATH=$TMP/gopath GOFLAGS='' GOPROXY=off
export GOTOOLCHAIN=local GOTELEMETRY=off PPROF_TMPDIR=$TMP/pprof PPROF_BINARY_PATH=$TMP/binaries
echo "pprof-check: $(go version)"

# convert NAME ARGS...: run gomem-pprof ARGS... -o $TMP/NAME.
convert() {
	local name=$1
	shift
	python3 "$CONVERT" "$@" -o "$TMP/$name" 2>"$TMP/$name.err" ||
		{ miss "gomem-pprof $*: failed: $(cat "$TMP/$name.err")"; return 1; }
	[ -s "$TMP/$name.err" ] && miss "gomem-pprof $*: said $(cat "$TMP/$name.err")"
	return 0
}

# pp OUT ARGS...: go tool pprof -symbolize=none ARGS... > $TMP/OUT, which must
# work and say nothing on stderr.
pp() {
	local out=$1
	shift
	if ! go tool pprof -symbolize=none "$@" >"$TMP/$out" 2>"$TMP/$out.err"; then
		miss "go tool pprof $*: failed: $(head -n 3 "$TMP/$out.err")"
	elif [ -s "$TMP/$out.err" ]; then
		miss "go tool pprof $*: complained: $(head -n 3 "$TMP/$out.err")"
	fi
}

# expect OUT REGEX...: each extended regex matches a line of $TMP/OUT.
expect() {
	local out=$1 re
	shift
	for re in "$@"; do
		grep -Eq -- "$re" "$TMP/$out" || miss "$out: no line matches '$re'"
	done
}

# absent OUT REGEX...: no line of $TMP/OUT matches.
absent() {
	local out=$1 re
	shift
	for re in "$@"; do
		! grep -Eq -- "$re" "$TMP/$out" || miss "$out: a line matches '$re'"
	done
}

# A -top row: flat, flat%, sum%, cum, cum%, name.
row() {
	echo "^ *$1 +[0-9.]+% +[0-9.]+% +$2 +[0-9.]+% +$3\$"
}

# The four values of each sample of a -raw output, one sample a line, sorted.
raw_values() {
	sed -n 's/^ *\([0-9]\+ \+[0-9]\+ \+[0-9]\+ \+[0-9]\+\):.*/\1/p' "$TMP/$1" | tr -s ' ' | sort
}

convert heap.pb.gz "$FIXTURE" || exit 1
[ "$(head -c 2 "$TMP/heap.pb.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] ||
	miss "heap.pb.gz is not gzipped"

# The values below are those of the tests (scripts/test_gomem_pprof.py,
# V1_SCALED) as pprof prints them: in use 8744016 bytes = 8539.08kB, of which
# gomem_alloc 4147057 + 1579015 + 2425393 = 7960.42kB and gomem_krealloc
# 592551 = 578.66kB; allocated 66341422 bytes = 63.27MB.
pp top.txt -top "$TMP/heap.pb.gz"
expect top.txt '^File: vmlinux$' '^Type: inuse_space$' \
	'^Showing nodes accounting for 8539.08kB, 100% of 8539.08kB total$' \
	"$(row 7960.42kB 7960.42kB gomem_alloc)" \
	"$(row 578.66kB 578.66kB gomem_krealloc)" \
	"$(row 0 4049.86kB gomem_test_large_size)" \
	"$(row 0 4628.52kB kunit_try_run_case)" \
	"$(row 0 1542.01kB sample_leak)" \
	"$(row 0 1542.01kB gomem_sample_init)" \
	"$(row 0 1542.01kB entry_SYSCALL_64_after_hwframe)" \
	"$(row 0 2368.55kB 0xffffffffc0e8a0d4)" \
	"$(row 0 6997.07kB ret_from_fork_asm)"
# All freed: allocated, never in use.
absent top.txt ' gomem_kmalloc$' ' sample_take$' ' gomem_test_every_size$'

pp alloc.txt -sample_index=alloc_space -top "$TMP/heap.pb.gz"
expect alloc.txt '^Type: alloc_space$' \
	'^Showing nodes accounting for 63.27MB, 100% of 63.27MB total$' \
	"$(row 48.18MB 48.18MB gomem_alloc)" \
	"$(row 12.89MB 12.89MB gomem_kmalloc)" \
	"$(row 2.19MB 2.19MB gomem_krealloc)" \
	"$(row 0 20.63MB sample_take)" \
	"$(row 0 12.89MB gomem_test_every_size)" \
	"$(row 0 38.82MB kunit_try_run_case)"

pp raw.txt -raw "$TMP/heap.pb.gz"
expect raw.txt '^PeriodType: space bytes$' '^Period: 524288$' \
	'^alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\[dflt\]$' \
	'^ +47 +24882342 +7 +4147057: 1 2 3 4 5 6 7 *$' \
	'^ +412 +13521066 +0 +0: 8 9 3 4 5 6 7 *$' \
	'^ +23 +2299900 +4 +592551: 21 22 3 4 5 6 7 *$' \
	'^ +bytes:\[524288\]$' \
	'^ +1: 0xffffffffc0a0123b M=2 gomem_alloc gomem\.ko:0( |$)' \
	'^ +3: 0xffffffff8112a35b M=1 kunit_try_run_case vmlinux:0( |$)' \
	'^ +10: 0xffffffffc0c10181 M=4 sample_take gomem_sample\.ko:0( |$)' \
	'^ +23: 0xffffffffc0e8a0d4 M=5 0xffffffffc0e8a0d4 \[unknown\]:0( |$)' \
	'^1: 0xffffffff81001b8a/0xffffffff820001a7/0x0 vmlinux +\[FN\]$' \
	'^4: 0xffffffffc0c1008f/0xffffffffc0c161c5/0x0 gomem_sample\.ko +\[FN\]$'
n=$(raw_values raw.txt | wc -l)
[ "$n" -eq 6 ] || miss "raw.txt: $n samples, not the 6 records of $(basename "$FIXTURE")"

# pprof's own scaling: the records as Go's legacy text heap profile (line 1
# dropped), which pprof reads and scales itself. runtime/pprof writes
# "@ heap/<2 * MemProfileRate>" there and pprof halves it: gomem's R doubled.
rate=$(sed -n '1s/^gomem heap profile: version 1, rate \([0-9]\+\)$/\1/p' "$FIXTURE")
sed -e 1d -e "2s|@ heap/$rate\$|@ heap/$((2 * rate))|" "$FIXTURE" >"$TMP/legacy.txt"
pp legacy.txt.raw -raw "$TMP/legacy.txt"
expect legacy.txt.raw "^Period: $rate\$"
if [ "$(raw_values raw.txt)" != "$(raw_values legacy.txt.raw)" ]; then
	miss "the samples differ from pprof's own scaling of the same records:"
	diff <(raw_values legacy.txt.raw) <(raw_values raw.txt) | sed 's/^/    /'
fi

convert raw.pb.gz --no-scale "$FIXTURE" &&
	pp noscale.txt -raw "$TMP/raw.pb.gz" &&
	expect noscale.txt '^ +30 +15728640 +5 +2621440: 1 2 3 4 5 6 7 *$' \
		'^ +4 +393216 +1 +131072: 21 22 3 4 5 6 7 *$'

convert rate1.pb.gz "$DATA/heap-rate1.txt" &&
	pp rate1.txt -raw "$TMP/rate1.pb.gz" &&
	expect rate1.txt '^Period: 1$' '^ +10 +320 +3 +96: 1 2 3 *$' '^ +7 +57344 +0 +0: 4 5 3 *$'

if [ "$fail" -ne 0 ]; then
	for f in top.txt alloc.txt raw.txt; do
		[ -s "$TMP/$f" ] && { echo "--- go tool pprof output ($f):"; cat "$TMP/$f"; }
	done
	exit 1
fi
echo "pprof-check: ok"
