#!/bin/sh
# Stress stage (issue 6): 10,000 concurrent connections, a churn of
# 100,000 short ones, and slowloris tricklers, each against a real echod on
# loopback.  Runs echod from $ECHOD; without it, from the tree configured in
# place (as tests/setup.sh leaves it), else from a scratch build.  Prints
# one closing line: "stress: N passed, N failed, N skipped".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scratch=
trap '[ -z "$scratch" ] || rm -rf "$scratch"' EXIT

if [ -z "${ECHOD:-}" ]; then
	if [ -f "$top/Makefile" ]; then
		# configure refuses a second build of a tree configured in place.
		if ! make -C "$top" echod >/dev/null; then
			echo "stress: 0 passed, 1 failed, 0 skipped"
			exit 1
		fi
		ECHOD=$top/echod
	else
		scratch=$(mktemp -d "${TMPDIR:-/tmp}/echod-stress.XXXXXX")
		if ! (cd "$scratch" && "$top/configure" -q &&
		    make -j"$(nproc)" echod) >"$scratch/build.log" 2>&1; then
			cat "$scratch/build.log"
			echo "stress: 0 passed, 1 failed, 0 skipped"
			exit 1
		fi
		ECHOD=$scratch/echod
	fi
fi
PYTHONDONTWRITEBYTECODE=1
# The tests import the helper library by module name (tests/README.md).
PYTHONPATH=$top/tests/lib${PYTHONPATH:+:$PYTHONPATH}
export ECHOD PYTHONDONTWRITEBYTECODE PYTHONPATH

pass=0 fail=0 skip=0
for t in "$here"/test_*.py; do
	start=$(date +%s)
	# SIGINT lets the test's context managers kill their echod.
	timeout -s INT -k 10 300 python3 "$t"
	rc=$?
	echo "   ($(basename "$t"): $(($(date +%s) - start))s)"
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
done
echo "stress: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
