#!/bin/sh
# echod under a real service manager: systemd as PID 1 of private PID,
# mount, cgroup, UTS, IPC and network namespaces (so port 7 cannot clash),
# with the safety rules of the project's systemd-testing notes: the manager
# starts only from a private cgroup, /run is a tmpfs of its own, and the
# teardown is kill -KILL of its PID 1.
#
# Usage: service-manager.sh SRCDIR WORKDIR
# Installs SRCDIR's build (its own if configured in place, else one with
# --prefix=/usr) with `make install DESTDIR=WORKDIR/root`, lays that over
# /usr inside the namespace, and checks what an operator relies on.
# Prints "N passed, N failed"; exits 77 when the machine cannot run it
# (not root, no cgroup2).
set -u
src=$(cd "$1" && pwd) work=$2
pass=0 failed=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { failed=$((failed + 1)); echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; echo "0 passed, 0 failed"; exit 77; }
die() { ko "$*"; echo "$pass passed, $failed failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root for namespaces and a manager"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup
elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	cgroot=/sys/fs/cgroup/unified
else
	skip "no cgroup2 hierarchy"
fi
for t in unshare nsenter ip python3 /lib/systemd/systemd; do
	command -v "$t" >/dev/null || die "$t missing (see tests/system/deps.txt)"
done

# Only ever delete a directory this script made.
if [ -e "$work" ]; then
	[ -e "$work/.echod-sm" ] || die "$work exists and is not ours"
	rm -rf "$work"
fi
mkdir -p "$work" && : >"$work/.echod-sm" || exit 1
work=$(cd "$work" && pwd)
cg=$cgroot/echod-test.$$
nspid='' uns=''

teardown() {
	if [ -n "$nspid" ]; then
		kill -KILL "$nspid" 2>/dev/null
		wait "$uns" 2>/dev/null
	fi
	[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
}
trap teardown EXIT
trap 'exit 1' INT TERM HUP

echo "== build and make install DESTDIR=$work/root"
if [ -f "$src/config.status" ]; then
	build=$src	# configured in place (tests/setup.sh): test that build
else
	build=$work/build
	mkdir "$build" && (cd "$build" && "$src/configure" -q --prefix=/usr \
	    --sysconfdir=/etc --localstatedir=/var) >"$work/build.log" 2>&1 ||
		{ tail -30 "$work/build.log"; die "configure"; }
fi
{ make -C "$build" -j2 && make -C "$build" install DESTDIR="$work/root"; } \
    >>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; die "make install"; }
cd "$work" || exit 1
unitdir=$(sed -n 's/^systemdsystemunitdir = //p' "$build/Makefile")
bin=$(sed -n 's/^ExecStart=//p' "root$unitdir/echod.service" 2>/dev/null)
case $bin in
/usr/*) ;;
*) die "the test lays the install over /usr: ExecStart='$bin' is not there" ;;
esac
catalog=$(cd root && find usr -path '*/lib/systemd/catalog/echod.catalog')
for f in "$bin" "$unitdir/echod.socket" "$unitdir/echod.service" \
    "/${catalog:-no catalog}"; do
	[ -f "root$f" ] || die "make install did not install $f"
done
ok "make install put $bin, its units and its catalog in place"

# echod.conf: where the binary looks, readable by the unit's dynamic user,
# and kept by a second make install once an operator has edited it.
conf=$("root$bin" --help |
    sed -n 's|.*(default: \(/.*/echod\.conf\), if it exists)$|\1|p')
[ -n "$conf" ] && [ -f "root$conf" ] ||
	die "make install did not install ${conf:-echod.conf}"
mode=$(stat -c %a "root$conf")
[ "$mode" = 644 ] || ko "$conf is installed with mode $mode, not 644"
printf 'max-connections = 4242\n' >>"root$conf" && cp "root$conf" conf.edited
make -C "$build" install DESTDIR="$work/root" >>"$work/build.log" 2>&1 ||
	die "make install, again"
cmp -s conf.edited "root$conf" &&
	ok "make install put $conf in place, and kept it once edited" ||
	ko "a second make install overwrote the edited $conf"
# Outside /usr, the file is laid over its directory inside the namespace.
case $conf in
/usr/*) confmount=: ;;
*) confmount="mount -t overlay overlay -o lowerdir=$work/root${conf%/*}:${conf%/*},upperdir=$work/ov/etc,workdir=$work/ov/etc.work ${conf%/*}" ;;
esac

# The manager sees only these units: no host services, no generators.
mkdir -p nsunits/sysinit.target.wants nsunits/echod.socket.d \
    nsunits/echod.service.d empty
for u in basic sysinit sockets multi-user network network-pre paths timers \
    slices local-fs local-fs-pre shutdown; do
	cp "/lib/systemd/system/$u.target" nsunits/
done
for u in systemd-journald.service systemd-journald.socket \
    systemd-journald-dev-log.socket; do
	cp "/lib/systemd/system/$u" nsunits/
done
ln -s multi-user.target nsunits/default.target
for u in systemd-journald.socket systemd-journald-dev-log.socket \
    systemd-journald.service; do
	ln -s "../$u" "nsunits/sysinit.target.wants/$u"
done
cp "root/$unitdir/echod.socket" "root/$unitdir/echod.service" nsunits/
# The drop-ins echod(8) shows: UDP on, per-connection lines (info level).
printf '[Socket]\nListenDatagram=7\n' >nsunits/echod.socket.d/udp.conf
printf '[Service]\nExecStart=\nExecStart=%s --log-level info\n' "$bin" \
    >nsunits/echod.service.d/log.conf

mkdir -p ov/usr ov/usr.work ov/etc ov/etc.work
cat >ns-init.sh <<EOF
set -e
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
mount --bind /sys /sys && mount -o remount,bind,ro /sys
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /var/lib/systemd/catalog
# The installed tree, seen where make install meant it to be.
# Writable (into $work/ov only): the reload test installs a new binary.
mount -t overlay overlay -o lowerdir=$work/root/usr:/usr,upperdir=$work/ov/usr,workdir=$work/ov/usr.work /usr
$confmount
mkdir -p /run/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nRateLimitBurst=0\n' \
    >/run/systemd/journald.conf.d/test.conf
: >$work/console.log
mount --bind $work/console.log /dev/console
ip link set lo up
hostname echod-test
export container=echod-test SYSTEMD_UNIT_PATH=$work/nsunits
export SYSTEMD_GENERATOR_PATH=$work/empty
export SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$work/empty
exec /lib/systemd/systemd --log-target=console --log-level=info \
    </dev/null >>$work/console.log 2>&1
EOF

echo "== boot systemd in private namespaces"
mkdir "$cg" && echo $$ >"$cg/cgroup.procs" || die "cannot make $cg"
grep -qx "0::/echod-test.$$" /proc/self/cgroup ||
	die "not in the private cgroup: $(grep '^0::' /proc/self/cgroup)"
unshare --pid --fork --mount --cgroup --uts --ipc --net \
    --propagation private --mount-proc sh "$work/ns-init.sh" &
uns=$!
echo $$ >"$cgroot/cgroup.procs"
for _ in $(seq 100); do
	nspid=$(ps -o pid= --ppid "$uns" | tr -d ' ')
	[ -n "$nspid" ] && break
	sleep 0.1
done
[ -n "$nspid" ] || die "no PID 1 under unshare"
IN="nsenter -t $nspid -m -p -u -n --"
# PID 1 is a shell until it has mounted everything and exec'd systemd.
for _ in $(seq 300); do
	$IN test -S /run/systemd/private 2>/dev/null && break
	sleep 0.1
done
state=$(timeout 60 $IN systemctl is-system-running --wait)
case $state in
running) ok "systemd booted: $state" ;;
*) $IN systemctl --failed --no-pager; tail -20 console.log
   die "systemd did not boot: $state" ;;
esac
# On the dual-stack socket an IPv4 peer may be logged v4-mapped.
peer_match() {
	echo "ECHOD_PEER=$1 ECHOD_PEER=[::ffff:${1%:*}]:${1##*:}"
}
# nsenter keeps the environment: sm_client.py finds the helper library.
PYTHONPATH=$src/tests/lib${PYTHONPATH:+:$PYTHONPATH}
PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH PYTHONDONTWRITEBYTECODE
client() { timeout 120 $IN python3 "$src/tests/system/sm_client.py" "$@"; }
show() { $IN systemctl show -P "$1" echod.service; }

echo "== echod.socket, first client"
$IN systemctl start echod.socket || die "systemctl start echod.socket"
[ "$(show ActiveState)" = inactive ] &&
	ok "echod.socket listening, echod.service not yet started" ||
	ko "echod.service started before any client"
if peer=$(client first); then
	ok "the first client activated echod and got its echo (IPv4, IPv6, UDP)"
else
	ko "first client: no echo"
fi
[ "$(show ActiveState)" = active ] && ok "echod.service active" ||
	ko "echod.service is $(show ActiveState)"
$IN journalctl --sync
if $IN journalctl -u echod.service -o cat --no-pager |
    grep -q 'ready: .* at most 4242 connections'; then
	ok "echod read $conf inside the unit's sandbox (max-connections = 4242)"
else
	ko "echod.service did not apply $conf: $($IN journalctl -u echod.service -o cat --no-pager | grep ready:)"
fi

echo "== privileges"
pid=$(show MainPID)
st=$($IN cat "/proc/$pid/status")
uid=$(echo "$st" | awk '/^Uid:/ {print ($2 && $3 && $4 && $5) ? $2 : 0}')
caps=$(echo "$st" | awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ {printf "%s", $2}')
nnp=$(echo "$st" | awk '/^NoNewPrivs:/ {print $2}')
sec=$(echo "$st" | awk '/^Seccomp:/ {print $2}')
user=$($IN ps -o user= -p "$pid")
echo "MainPID $pid user $user uid $uid caps $caps nnp $nnp seccomp $sec"
if [ -n "$pid" ] && [ "$pid" != 0 ] && [ "$uid" != 0 ] &&
    [ -z "$(echo "$caps" | tr -d 0)" ] && [ "$nnp" = 1 ] && [ "$sec" = 2 ]; then
	ok "echod runs as dynamic user $user with no capabilities, NoNewPrivs, seccomp"
else
	ko "echod's credentials: $(echo "$st" | grep -E '^(Uid|Cap|NoNew|Seccomp)')"
fi
status=$(show StatusText)
case $status in
*"connections open, "*" total, "*" echoed") ok "StatusText: $status" ;;
*) ko "StatusText: '$status'" ;;
esac

echo "== systemctl kill -s HUP"
# SIGHUP's default action ended the service (status 129): it must not.
$IN systemctl kill -s HUP echod.service || ko "systemctl kill -s HUP"
# Wait for echod to say it handled it (or for 10 s), then look.
for _ in $(seq 100); do
	$IN journalctl --sync
	$IN journalctl -u echod.service "_PID=$pid" --no-pager -q -g SIGHUP |
	    grep -q . && break
	sleep 0.1
done
if [ "$(show ActiveState)" = active ] && [ "$(show MainPID)" = "$pid" ] &&
    [ "$(show NRestarts)" = 0 ] && client first >/dev/null; then
	ok "SIGHUP left echod.service active, same MainPID, still echoing"
else
	ko "after SIGHUP: $(show ActiveState), MainPID $(show MainPID) (was $pid)"
fi

echo "== systemctl reload under load"
# A rebuilt binary with another version string, for one of the reloads.
make -C "$build" tests/reload/echod-next >>"$work/build.log" 2>&1 ||
	die "make tests/reload/echod-next"
next=$("$build/tests/reload/echod-next" --version | awk '{print $2}')
timeout 600 $IN python3 "$src/tests/system/sm_client.py" reload \
    "$work/reload.ready" "$work/reload.stop" >reload.out 2>&1 &
rpid=$!
for _ in $(seq 600); do [ -e reload.ready ] && break; sleep 0.1; done
[ -e reload.ready ] || ko "the reload clients did not get going: $(cat reload.out)"
pid0=$(show MainPID)
v0=$($IN "/proc/$pid0/exe" --version)
reloaded() {
	$IN journalctl --sync
	$IN journalctl -u echod.service -o cat --no-pager _PID="$pid0" |
	    grep -c "reloaded: echod $1"
}
nr0=$(reloaded '.* serves on, clients paused')
reloads=0
for i in 1 2 3 4 5; do
	if [ "$i" = 4 ]; then
		$IN sh -c "cp '$build/tests/reload/echod-next' '$bin.new' &&
		    mv -f '$bin.new' '$bin'" || ko "cannot install echod $next"
	fi
	if $IN timeout 120 systemctl reload echod.service; then
		reloads=$((reloads + 1))
	else
		ko "systemctl reload $i failed: $(show StatusText)"
	fi
done
pid1=$(show MainPID)
v1=$($IN "/proc/$pid1/exe" --version)
echo "MainPID $pid0 -> $pid1, $v0 -> $v1, $reloads reloads"
[ "$reloads" = 5 ] && [ "$pid0" = "$pid1" ] && [ "$v1" = "echod $next" ] &&
    [ "$v0" != "$v1" ] &&
	ok "5 reloads under load, MainPID $pid1 kept, version $v0 -> $v1" ||
	ko "reloads: $reloads, MainPID $pid0 -> $pid1, $v0 -> $v1"
$IN sh -c "printf 'hihg-watermark = 1\n' >>'$conf'"
# ExecReload's own echod reads the file first: the reload fails there.
if $IN timeout 120 systemctl reload echod.service; then
	ko "systemctl reload succeeded with a broken $conf"
else
	ok "a broken $conf fails systemctl reload"
fi
$IN sh -c "sed -i '\$d' '$conf'"
[ "$(show MainPID)" = "$pid1" ] && [ "$(show ActiveState)" = active ] ||
	ko "echod did not serve on after the failed reload"
: >reload.stop
wait "$rpid"; rrc=$?
echo "reload clients: $(tail -1 reload.out)"
if [ "$rrc" -eq 0 ] && tail -1 reload.out | python3 -c '
import json, sys
c = json.load(sys.stdin)
sys.exit(0 if c["idle"] == 1000 and c["transfer_in_flight"] and
         c["transfer_bytes"] == 64 << 20 and c["checks"] > 0 else 1)'; then
	ok "every byte came back, no connection closed, no check refused"
else
	ko "the clients saw a loss (rc $rrc): $(tail -5 reload.out)"
fi
nr=$(($(reloaded '.* serves on, clients paused') - nr0))
nn=$(reloaded "$next serves on")
nf=$($IN journalctl -u echod.service -o cat --no-pager | grep -c 'hihg-watermark')
$IN journalctl -u echod.service -o cat --no-pager _PID="$pid1" |
    grep -E 'reloaded:|reload failed:' | sed 's/^/journal: /'
[ "$nr" = 5 ] && [ "$nn" = 2 ] && [ "$nf" -ge 1 ] &&
	ok "the journal shows 5 reloads (2 into $next) and the failed one" ||
	ko "journal: $nr reloads, $nn into $next, $nf failed"
show StatusText

echo "== systemctl stop during a transfer"
client stream "$work/stream.ready" >stream.out 2>&1 &
spid=$!
for _ in $(seq 300); do [ -e stream.ready ] && break; sleep 0.1; done
if [ -e stream.ready ]; then
	$IN systemctl stop echod.service || ko "systemctl stop echod.service"
fi
wait "$spid"; src_rc=$?
echo "stream: $(cat stream.out)"
set -- $(tail -1 stream.out)
speer=${1:-none} sgot=${2:-0}
$IN journalctl --sync
j=$($IN journalctl -u echod.service -o json --no-pager $(peer_match "$speer"))
# The reloads' load may have used the stream's port before: its entry is
# the last one for that peer.
fields=$(echo "$j" | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin if l.strip()][-1]
print(e["ECHOD_BYTES_IN"], e["ECHOD_BYTES_OUT"], e["ECHOD_REASON"])')
echo "journal: bytes in, out, reason: $fields"
set -- $fields
if [ "$src_rc" -eq 0 ] && [ -e stream.ready ] && [ "${1:-}" = "${2:-x}" ] &&
    [ "${2:-}" = "$sgot" ] && [ "$(show ActiveState)" = inactive ]; then
	ok "stop during a transfer: all $sgot bytes echod read came back"
else
	ko "stop during a transfer lost data or failed (client rc $src_rc)"
fi

echo "== systemctl restart while a client connects in a loop"
client loop "$work/loop.mark" "$work/loop.stop" >loop.out 2>&1 &
lpid=$!
for _ in $(seq 300); do [ -e loop.mark ] && break; sleep 0.1; done
pids=$(show MainPID)
for _ in 1 2 3; do
	$IN systemctl restart echod.service || ko "systemctl restart"
	sleep 0.5
	pids="$pids $(show MainPID)"
done
sleep 1
: >loop.stop
wait "$lpid"; lrc=$?
echo "loop: $(cat loop.out); MainPIDs $pids"
counts=$(tail -1 loop.out)
if [ "$lrc" -eq 0 ] && echo "$counts" | python3 -c '
import json, sys
c = json.load(sys.stdin)
sys.exit(0 if c["refused"] == c["reset"] == c["other"] == 0 and c["ok"] > 20
         else 1)' && [ "$(echo "$pids" | tr ' ' '\n' | sort -u | wc -l)" -eq 4 ]
then
	ok "3 restarts refused no connection: $counts"
else
	ko "restart refused or broke connections: $counts (MainPIDs $pids)"
fi

echo "== journalctl -u echod.service"
$IN journalctl --sync
# The loop reuses ephemeral ports: ask the first instance only.  It kept
# its PID across the reloads, whose load may have reused the port too: the
# first entry for that peer is the connection made first.
j=$($IN journalctl -u echod.service -o json --no-pager "_PID=$pid" \
    $(peer_match "$peer"))
if echo "$j" | python3 -c '
import json, sys
e = [json.loads(l) for l in sys.stdin if l.strip()]
assert e, "no entry"
e = e[0]
want = {"SYSLOG_IDENTIFIER": "echod", "_SYSTEMD_UNIT": "echod.service",
        "ECHOD_BYTES_IN": "10", "ECHOD_BYTES_OUT": "10",
        "ECHOD_REASON": "eof", "PRIORITY": "6", "_TRANSPORT": "journal"}
bad = {k: e.get(k) for k in want if e.get(k) != want[k]}
assert not bad, bad
assert e["ECHOD_LISTENER"].endswith(":7"), e["ECHOD_LISTENER"]
assert int(e["ECHOD_CONN_ID"]) >= 1, e["ECHOD_CONN_ID"]
assert int(e["ECHOD_DURATION_USEC"]) > 0
assert e["CODE_FILE"].endswith("conn.c"), e["CODE_FILE"]
'; then
	ok "journalctl -u echod.service ECHOD_PEER=$peer: the connection's fields"
else
	ko "journal fields for $peer: $j"
fi
$IN journalctl --update-catalog
if $IN journalctl -x -u echod.service --no-pager \
    MESSAGE_ID=68f8aac4d8284dd49e65553b183eba05 |
    grep -q 'echod is stopping and draining'; then
	ok "journalctl -x explains the stopping event from the catalog"
else
	ko "no catalog text for the stopping event"
fi

echo "== stop"
$IN systemctl stop echod.socket echod.service
nr=$(show NRestarts) result=$(show Result)
[ "$nr" = 0 ] && [ "$result" = success ] &&
	ok "stopped cleanly, never restarted by the manager" ||
	ko "NRestarts=$nr Result=$result"
$IN journalctl -u echod.service -u echod.socket --no-pager -o short-monotonic |
    tail -15

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
