#!/bin/sh
# The quality gate: a clang build with -Wall -Wextra -Werror (gcc's is the
# plain build), cppcheck, clang-tidy (clang-tidy.yaml), mandoc's lint of the
# man pages, and the core end-to-end scenarios with echod under valgrind.
# Builds in a scratch directory; run from anywhere, configured or not:
#   sh tests/quality/ci-stage.sh [CHECK...]
# where CHECK is clang-build, cppcheck, clang-tidy, mandoc-lint or
# valgrind-e2e (default: all).  Prints one closing line: "N passed,
# N failed" (a check counts as one).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/quality
work=$(mktemp -d "${TMPDIR:-/tmp}/echod-quality.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Some tests run echod as nobody: it must reach the build.
chmod 755 "$work"
trap 'exit 1' INT TERM
pass=0 fail=0

# The scenarios valgrind watches: echo with half-close, backpressure, the
# SIGTERM drain, and the command line's exits (help, errors).  In each,
# echod exits by itself or on SIGTERM, never killed, so that valgrind gets
# to check for leaks at exit.
VG_TESTS="halfclose backpressure sigterm_drain usage"
VALGRIND="valgrind --error-exitcode=1 --leak-check=full
    --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --num-callers=30"

# Runs a check in a subshell.  Its output is shown only when it fails: the
# diagnostics first, then the end of the log.
check() {
	name=$1
	shift
	t0=$(date +%s)
	if ("$@") >"$work/$name.log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS: $name ($(($(date +%s) - t0)) s)"
		sed -n 's/^summary: /  /p' "$work/$name.log"
	else
		fail=$((fail + 1))
		echo "FAIL: $name ($(($(date +%s) - t0)) s)"
		grep -E '(error|warning|ERROR SUMMARY):' "$work/$name.log" |
		    grep -v 'warnings generated' | head -n 40
		echo "-- end of the $name log:"
		tail -n 80 "$work/$name.log"
	fi
}

# A clean source tree to build from: the tree itself, or when it is
# configured in place (where VPATH builds refuse to run), its distdir.
source_tree() {
	if [ ! -f "$top/config.status" ]; then
		[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) ||
		    return 1
		echo "$top"
		return 0
	fi
	[ -d "$work/tree" ] ||
	    make -C "$top" distdir distdir="$work/tree" >&2 || return 1
	echo "$work/tree"
}

# Configures and builds in $work/$1 with the rest as configure arguments.
build() {
	dir=$work/$1
	shift
	src=$(source_tree) || return 1
	mkdir -p "$dir" && cd "$dir" && "$src/configure" -q "$@" &&
	    make -j2 && make -j2 check TESTS=
}

# The analyzers' config.h: the clang build's, configured here if need be.
config_header() {
	[ -f "$work/clang/config.h" ] && return 0
	src=$(source_tree) || return 1
	mkdir -p "$work/clang" &&
	    (cd "$work/clang" && "$src/configure" -q CC=clang)
}

# The C sources the analyzers read.
sources() {
	for f in "$top"/src/*.c "$top"/src/client/*.c "$top"/tests/fuzz/*.c; do
		[ -f "$f" ] && echo "$f"
	done
}

run_cppcheck() {
	config_header || return 1
	queue=$(printf '#include <sys/queue.h>\n' | cc -M -x c - |
	    grep -o '/[^ ]*sys/queue\.h')
	# Only sys/queue.h of the system headers: its macros declare types.
	# shellcheck disable=SC2046
	cppcheck --enable=warning,performance,portability --error-exitcode=1 \
	    --std=c11 --quiet --inline-suppr --library=posix -D_GNU_SOURCE \
	    -DSYSCONFDIR='"/etc"' \
	    -I"$top/src" -I"$work/clang" --include="$queue" $(sources)
}

# One process per file: several in one process trip LLVM bug 41311.  One
# per CPU, the largest files first, so that no big one starts last alone.
run_clang_tidy() {
	config_header || return 1
	# shellcheck disable=SC2046
	sources | xargs ls -S | xargs -P "$(nproc)" -I '{}' clang-tidy --quiet \
	    --config-file="$here/clang-tidy.yaml" '{}' -- -D_GNU_SOURCE \
	    -DSYSCONFDIR='"/etc"' \
	    -I"$top/src" -I"$work/clang" \
	    $(pkg-config --cflags libevent_core libevent_extra libsystemd)
}

run_mandoc() {
	mandoc -Tlint -W warning "$top"/man/*.[1-8] "$top"/man/*.[1-8].in
}

# Each echod run leaves a valgrind log; a run that found an error, or that
# never reached valgrind's summary (killed), fails the check even if the
# test itself passed.
valgrind_logs() {
	n=0
	for f in "$work"/vg-logs/*.log; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		grep -q 'ERROR SUMMARY: 0 errors' "$f" && continue
		echo "valgrind found errors in an echod run:"
		cat "$f"
		return 1
	done
	if [ "$n" -eq 0 ]; then
		echo "no valgrind logs: is ECHOD_WRAPPER honoured?"
		return 1
	fi
	echo "summary: $n echod runs under valgrind, all clean"
}

# Warnings are the other builds' business: -O1 only has to be debuggable.
run_valgrind() {
	build vg CFLAGS="-g -O1" --disable-werror || return 1
	mkdir -p "$work/vg-logs" && chmod 1777 "$work/vg-logs"
	tests=
	for t in $VG_TESTS; do
		tests="$tests tests/e2e/test_$t.py"
	done
	ECHOD_WRAPPER="$VALGRIND --log-file='$work/vg-logs/%p.log'" \
	    make -j2 check TESTS="$tests"
	rc=$?
	[ "$rc" -eq 0 ] || cat test-suite.log
	valgrind_logs || rc=1
	return "$rc"
}

[ "$#" -gt 0 ] ||
    set -- clang-build cppcheck clang-tidy mandoc-lint valgrind-e2e
for c in "$@"; do
	case $c in
	clang-build)	check "$c" build clang CC=clang --enable-werror ;;
	cppcheck)	check "$c" run_cppcheck ;;
	clang-tidy)	check "$c" run_clang_tidy ;;
	mandoc-lint)	check "$c" run_mandoc ;;
	valgrind-e2e)	check "$c" run_valgrind ;;
	*)		check "$c" false ;;
	esac
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
