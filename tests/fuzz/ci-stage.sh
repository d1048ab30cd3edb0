#!/bin/sh
# Builds the libFuzzer targets (clang, with ASan and UBSan) and runs each
# for FUZZ_SECONDS (default 30) from its seed corpus in corpus/<target>/,
# FUZZ_JOBS (default: the number of CPUs) targets at a time: each fuzzer is
# one process on one CPU, so running them side by side keeps every
# target's time and halves the stage on two CPUs.
# A crash, a hang or a broken property fails the stage; the input that did
# it is printed in base64 and kept in FUZZ_OUT/crashes/ (FUZZ_OUT defaults
# to build-fuzz/ at the top of the tree), with the fuzzers, so that
# FUZZ_OUT/fuzz_TARGET FILE reproduces it (FUZZ_KEEP=1 keeps them always).
# Run from anywhere, configured or not: sh tests/fuzz/ci-stage.sh
# Prints one closing line: "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/fuzz
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-$(nproc)}
out=${FUZZ_OUT:-$top/build-fuzz}
work=$(mktemp -d "${TMPDIR:-/tmp}/echod-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
targets="addr units options srclimit proxy range conffile"

# config.h: the tree's own when it is configured in place, else a scratch one.
configure_header() {
	if [ -f "$top/config.h" ]; then
		echo "$top"
		return 0
	fi
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) >&2 || return 1
	mkdir -p "$work/conf" &&
	    (cd "$work/conf" && "$top/configure" -q CC=clang) >&2 &&
	    echo "$work/conf"
}

# Every daemon source but main() goes in, so a target links whatever the
# code under test grows to need.
build() {
	confdir=$(configure_header) || return 1
	cflags="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
	    -D_GNU_SOURCE -DSYSCONFDIR=\"$work/etc\" -I$top/src -I$confdir
	    $(pkg-config --cflags libevent_core libevent_extra libsystemd)"
	mkdir -p "$work/obj" || return 1
	# The client's range parser too: a parser of user input like the rest.
	# $jobs compilers at a time; a failed one leaves no object behind.
	n=0 objs=
	for src in "$top"/src/*.c "$top"/src/client/range.c; do
		case $src in */echod.c | */confsample.c) continue ;; esac
		obj=$work/obj/$(basename "$src" .c).o
		objs="$objs $obj"
		# shellcheck disable=SC2086
		(clang $cflags -fsanitize=fuzzer-no-link,address,undefined \
		    -c "$src" -o "$obj" || rm -f "$obj") &
		n=$((n + 1))
		[ "$n" -lt "$jobs" ] || { wait; n=0; }
	done
	wait
	for obj in $objs; do
		[ -f "$obj" ] || return 1
	done
	for t in $targets; do
		# shellcheck disable=SC2046,SC2086
		clang $cflags -fsanitize=fuzzer,address,undefined \
		    "$here/fuzz_$t.c" "$work"/obj/*.o \
		    $(pkg-config --libs libevent_core libevent_extra libsystemd) \
		    -o "$work/fuzz_$t" || return 1
	done
}

# New inputs go to a scratch corpus listed first; the seeds are only read.
# The fuzzer's own output is in $work/$t.log.  stdin is /dev/null, so that
# an input such as --config /dev/stdin reads nothing rather than waits.
run() {
	t=$1
	mkdir -p "$work/corpus/$t" "$work/art/$t" || return 1
	flags=
	[ "$t" = options ] && flags=-close_fd_mask=3
	# shellcheck disable=SC2086
	"$work/fuzz_$t" $flags -max_total_time="$seconds" -timeout=10 \
	    -print_final_stats=1 -artifact_prefix="$work/art/$t/" \
	    "$work/corpus/$t" "$here/corpus/$t" >"$work/$t.log" 2>&1 </dev/null
	rc=$?
	for f in "$work/art/$t"/*; do
		[ -f "$f" ] || continue
		mkdir -p "$out/crashes" && cp "$f" "$out/crashes/$t-${f##*/}"
		echo "input kept in $out/crashes/$t-${f##*/}, base64:"
		base64 "$f"
		rc=1
	done
	return "$rc"
}

report() {
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS: $2"
	else
		fail=$((fail + 1))
		echo "FAIL: $2"
	fi
}

# Runs the targets, $jobs at a time; each one's output and status go to
# $work/$t.out and $work/$t.rc, for the report in the targets' order.
run_all() {
	n=0
	for t in $targets; do
		(run "$t" >"$work/$t.out" 2>&1; echo $? >"$work/$t.rc") &
		n=$((n + 1))
		[ "$n" -lt "$jobs" ] || { wait; n=0; }
	done
	wait
}

echo "== fuzz: building $targets"
if build >"$work/build.log" 2>&1; then
	report 0 "fuzz targets build"
	echo "== fuzz: each target for ${seconds}s, $jobs at a time"
	run_all
	for t in $targets; do
		echo "== fuzz_$t for ${seconds}s"
		cat "$work/$t.out"
		rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
		if [ "$rc" -eq 0 ]; then
			grep -E '^(Done|stat::number_of_executed_units)' \
			    "$work/$t.log"
		else
			tail -n 80 "$work/$t.log"
		fi
		report "$rc" "fuzz_$t"
	done
else
	cat "$work/build.log"
	report 1 "fuzz targets build"
fi
if [ "${FUZZ_KEEP:-0}" = 1 ] || [ "$fail" -gt 0 ]; then
	mkdir -p "$out" && cp "$work"/fuzz_* "$out/"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
