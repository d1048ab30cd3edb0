#!/bin/sh
# The installed docs and units name the paths configure chose: a tree
# configured with --prefix=/opt/echod-paths installs an echod(8) whose
# drop-in and an echod.service whose ExecStart= say /opt/echod-paths/sbin,
# man pages that name /opt/echod-paths/etc/echod.conf,
# and nothing installed names /usr/sbin/echod (the docs once did, and the
# drop-in they showed failed with status=203/EXEC).  A real install (no
# DESTDIR) rebuilds journald's catalog database so that journalctl -x
# explains echod's events: checked as root in a private mount namespace,
# with /usr/local and the database on tmpfs.
set -u
: "${srcdir:=.}"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
top=$(pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/echod-paths

# A fresh tree configured elsewhere: the distributed sources, no build.
make -s -C "$top" distdir distdir="$tmp/src" >"$tmp/log" 2>&1 ||
	fail "make distdir: $(tail -5 "$tmp/log")"
mkdir "$tmp/build" && cd "$tmp/build" || exit 1
"$tmp/src/configure" -q --prefix="$prefix" --with-plugindir=no \
    --with-systemdsystemunitdir='${prefix}/lib/systemd/system' \
    >>"$tmp/log" 2>&1 || fail "configure: $(tail -5 "$tmp/log")"
make -s install-data DESTDIR="$tmp/dest" >>"$tmp/log" 2>&1 ||
	fail "make install-data: $(tail -5 "$tmp/log")"

man="$tmp/dest$prefix/share/man/man8/echod.8"
unit="$tmp/dest$prefix/lib/systemd/system/echod.service"
for f in "$man" "$unit" \
    "$tmp/dest$prefix/lib/systemd/catalog/echod.catalog"; do
	[ -f "$f" ] || fail "not installed: ${f#"$tmp/dest"}"
done
grep -q "^ExecStart=$prefix/sbin/echod --log-level info\$" "$man" ||
	fail "echod(8)'s drop-in does not name $prefix/sbin/echod"
grep -q "^ExecStart=$prefix/sbin/echod\$" "$unit" ||
	fail "echod.service does not run $prefix/sbin/echod"
conf5="$tmp/dest$prefix/share/man/man5/echod.conf.5"
for f in "$man" "$conf5"; do
	grep -q "^\.\(It \)\{0,1\}Pa $prefix/etc/echod.conf" "$f" ||
		fail "${f##*/} does not name $prefix/etc/echod.conf"
done
if grep -rl '/usr/sbin/echod\|@[a-z]*dir@' "$tmp/dest"; then
	fail "installed files name a path configure did not choose"
fi
echo "ok: echod(8) and echod.service name $prefix/sbin/echod"

# The catalog database: root, and a namespace of our own, or skip.
if [ "$(id -u)" -ne 0 ] || ! command -v journalctl >/dev/null ||
    ! unshare --mount --propagation private \
    mount -t tmpfs tmpfs /mnt >/dev/null 2>&1; then
	skip "the catalog update needs root, journalctl and mount namespaces"
fi
id=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$tmp/src/systemd/echod.catalog" |
    head -1)
[ -n "$id" ] || fail "no MESSAGE_ID in echod.catalog"
unshare --mount --propagation private sh -eu -s >"$tmp/ns" 2>&1 <<XEOF ||
mount -t tmpfs tmpfs /usr/local
mkdir -p /var/lib/systemd/catalog
mount -t tmpfs tmpfs /var/lib/systemd/catalog
make -s -C "$tmp/build" install-data prefix=/usr/local
journalctl --list-catalog | grep -q "^$id "
XEOF
	fail "after make install, journalctl -x has no text for $id: $(tail -5 "$tmp/ns")"
grep -q "journalctl --update-catalog" "$tmp/ns" ||
	fail "make install did not run journalctl --update-catalog"
echo "ok: make install rebuilt the catalog database"
