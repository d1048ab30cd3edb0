#!/bin/sh
# CI stage for tests/run-all.sh: echod under a real service manager
# (systemd as PID 1 in private namespaces), too heavy for `make check`.
# Works in build-system-sm/ (ignored by git); the last line says
# "N passed, N failed".  A machine that cannot run it (not root, no
# cgroup2) counts as a skip, not a failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
sh tests/system/service-manager.sh . "$PWD/build-system-sm"
rc=$?
[ "$rc" -eq 77 ] && exit 0
exit "$rc"
