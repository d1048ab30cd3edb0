#!/bin/sh
# Installs what echod needs to build and test (Debian packages, when run as
# root and something is missing), then configures and builds in place.
# Usage: sh tests/setup.sh [configure options]
set -eu
cd "$(dirname "$0")/.."

# Each tests/*/deps.txt lists the Debian packages one part needs, with a
# comment saying why (the README's table says the same).
PACKAGES=$(cat tests/*/deps.txt | sed 's/#.*//')

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing Debian packages:$missing" >&2
		echo "setup: run as root, or: apt-get install$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x configure ] || autoreconf -fi
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
	./configure -q "$@"
fi
make -j"$(nproc)" >/dev/null
echo "setup: built ./echod"
