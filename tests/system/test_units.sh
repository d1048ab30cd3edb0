#!/bin/sh
# The units as built: `systemd-analyze verify` finds nothing to say about
# them (binary, man page, every key, the UDP drop-in that echod(8) shows),
# the offline security review rates echod.service SAFE and fails an
# unhardened copy, and the catalog explains exactly the MESSAGE_IDs the
# code sends.
set -u
: "${srcdir:=.}" "${ECHOD:=$PWD/echod}"
fail() { echo "FAIL: $*"; exit 1; }
for t in systemd-analyze journalctl; do
	command -v "$t" >/dev/null || fail "$t missing (Debian package systemd)"
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
unit=systemd/echod.service
[ -f "$unit" ] || fail "$unit was not generated"
grep -q '@[a-z]*@' "$unit" && fail "$unit: unsubstituted @...@"
grep -q '^ExecStart=/.*/echod$' "$unit" || fail "$unit: ExecStart is not an absolute path"
grep -q '^ExecReload=/.*/echod --reload \$MAINPID$' "$unit" ||
	fail "$unit: ExecReload is not a synchronous echod --reload \$MAINPID"

# verify checks that ExecStart= is executable: point it at this build.
sed -e "s|^ExecStart=.*|ExecStart=$ECHOD|" \
    -e "s|^ExecReload=[^ ]*|ExecReload=$ECHOD|" "$unit" >"$tmp/echod.service"
cp "$srcdir/systemd/echod.socket" "$tmp/"
mkdir -p "$tmp/man/man8" "$tmp/man/man5" "$tmp/echod.socket.d"
cp man/echod.8 "$tmp/man/man8/"
cp man/echod.conf.5 "$tmp/man/man5/"
verify() {
	out=$(cd "$tmp" && MANPATH="$tmp/man" systemd-analyze verify \
	    echod.socket echod.service 2>&1) || fail "verify $1: $out"
	# Unknown keys and bad values are only warnings: none is allowed.
	[ -z "$out" ] || fail "verify $1: $out"
}
verify units
printf '[Socket]\nListenDatagram=7\n' >"$tmp/echod.socket.d/udp.conf"
verify "with the UDP drop-in"
# The check itself must catch a typo.
printf '[Socket]\nListenDatagramm=7\n' >"$tmp/echod.socket.d/udp.conf"
(verify typo >/dev/null) && fail "verify missed an unknown key"
rm -r "$tmp/echod.socket.d"

review() {
	systemd-analyze security --offline=true --threshold=10 --no-pager "$1"
}
out=$(review "$unit" 2>&1) || fail "security review above 1.0: $out"
echo "$out" | tail -1
echo "$out" | grep -q 'Overall exposure level for echod.service: 0\.[0-9] SAFE' ||
	fail "echod.service not rated SAFE: $(echo "$out" | tail -1)"
mkdir "$tmp/bare"
sed -n '1,/^ExecStart=/p' "$unit" >"$tmp/bare/echod.service"
review "$tmp/bare/echod.service" >/dev/null 2>&1 &&
	fail "the security gate passed an unhardened unit"

# Every MESSAGE_ID the code sends has a catalog entry, and no other.
mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$srcdir/systemd/echod.catalog" "$tmp/root/usr/lib/systemd/catalog/"
journalctl --root="$tmp/root" --update-catalog || fail "catalog does not compile"
journalctl --root="$tmp/root" --list-catalog | cut -d' ' -f1 | sort >"$tmp/cat"
grep -ho 'MESSAGE_ID=[0-9a-f]\{32\}' "$srcdir"/src/*.[ch] | cut -d= -f2 |
	sort -u >"$tmp/code"
[ -s "$tmp/code" ] || fail "no MESSAGE_ID found in src/"
diff -u "$tmp/code" "$tmp/cat" || fail "catalog and code disagree (- code, + catalog)"
echo "PASS test_units.sh"
