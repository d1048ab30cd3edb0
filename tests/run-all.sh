#!/bin/sh
# Sets up (packages, build) and runs every test suite: unit and end-to-end
# tests in the plain build, then `make distcheck`, whose build runs the
# whole suite again under AddressSanitizer and UBSan.  Prints one closing
# line: "tests: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
sh tests/setup.sh || exit 1

pass=0 fail=0 skip=0
tally() {	# adds up automake's summary lines from a make log
	for k in PASS FAIL ERROR XPASS SKIP; do
		n=$(sed -n "s/^# $k: *\([0-9]*\)$/\1/p" "$1" | awk '{s+=$1} END {print s+0}')
		case $k in
		PASS) pass=$((pass + n)) ;;
		SKIP) skip=$((skip + n)) ;;
		*) fail=$((fail + n)) ;;
		esac
	done
}

# Each stage ends with its wall time, so that a slow CI shows where it went.
t0=$(date +%s)
took() {
	echo "   (took $(($(date +%s) - t0)) s)"
	t0=$(date +%s)
}

# The tests are parallel-safe (the plain run has always used -j): every
# run of the suite, distcheck's included, uses every CPU.
jobs=$(nproc)
status=0
log=$(mktemp)
echo "== make check (plain build)"
make -j"$jobs" check >"$log" 2>&1 || status=1
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' "$log"
[ "$status" -eq 0 ] || { cat test-suite.log 2>/dev/null; tail -40 "$log"; }
tally "$log"
took

# The end-to-end suite again with one event loop and with four: limits,
# counters and shutdown must not depend on how connections are spread.
e2e=$(ls tests/e2e/test_*.py | tr '\n' ' ')
for threads in 1 4; do
	echo "== end-to-end tests with --threads $threads"
	make -j"$jobs" check TESTS="$e2e" ECHOD_ARGS="--threads $threads" \
	    >"$log" 2>&1 ||
		{ status=1; cat test-suite.log 2>/dev/null; }
	grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' "$log"
	tally "$log"
	took
done

echo "== make distcheck (sanitizers: ASan + UBSan)"
if ! make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-sanitizers \
    >"$log" 2>&1; then
	status=1
	find echod-*/_build -name test-suite.log -exec cat {} + 2>/dev/null
	tail -60 "$log"
fi
grep -E '^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):' "$log"
tally "$log"
took

# Further stages (static analysis, fuzzing, system tests) each print their
# own "N passed, N failed" line.
for stage in tests/*/ci-stage.sh; do
	[ -f "$stage" ] || continue
	echo "== $stage"
	sh "$stage" >"$log" 2>&1 || status=1
	cat "$log"
	set -- $(sed -n 's/^.*\b\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*$/\1 \2/p' "$log" | tail -1)
	pass=$((pass + ${1:-0})) fail=$((fail + ${2:-0}))
	took
done
rm -f "$log"

[ "$fail" -eq 0 ] || status=1
echo "tests: $pass passed, $fail failed, $skip skipped"
exit "$status"
