#!/bin/sh
# install.sh — tests `make install` and `make uninstall` (SPEC 8):
#
#   tests/install.sh [BUILD]
#
# Installs the already-built binaries of BUILD (default: build) into a
# temporary DESTDIR, checks every installed file and its mode, then runs the
# installed programs with the installed templates: `tiplinectl init` and
# `check`, tipline.fcgi on its own socket and on an inherited fd 0 (as
# systemd's tipline.socket hands it over), each answering one FastCGI
# request and stopping cleanly on SIGTERM, and `tipline-notify --once`.
# An install with another PREFIX must rewrite the paths of the units, the
# nginx files and the example config; where systemd-analyze exists, the
# installed units must verify clean. `make uninstall` must leave no file.
# Prints "install: N passed, M failed"; exits 1 on any failure.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd -P)
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
make=${MAKE:-make}
pass=0
fail=0

ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "install: FAIL: $*" >&2
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

for b in tipline.fcgi tiplinectl tipline-notify; do
	if [ ! -x "$build/$b" ]; then
		echo "install: $build/$b not found: run make first" >&2
		echo "install: 0 passed, 1 failed"
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/tl-inst.XXXXXX)
fcgi_pid=""
cleanup() {
	[ -z "$fcgi_pid" ] || kill "$fcgi_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
dest=$tmp/dest
log=$tmp/make.log
# The make variable BUILD is relative to the repository, or absolute.
mk() {
	"$make" -s -C "$repo" BUILD="$build" "$@" >>"$log" 2>&1
}

# --- install into DESTDIR --------------------------------------------------
if mk DESTDIR="$dest" install; then
	ok
else
	bad "make install DESTDIR=$dest"
	cat "$log" >&2
fi

root=$dest/usr/local
share=$root/share/tipline
# expect MODE PATH: PATH (under the DESTDIR prefix) is a file with MODE.
expected=$tmp/expected
: >"$expected"
expect() {
	printf '%s\n' "$2" >>"$expected"
	if [ ! -f "$root/$2" ]; then
		bad "missing $2"
		return
	fi
	m=$(stat -c %a "$root/$2")
	if [ "$m" = "$1" ]; then ok; else bad "$2 has mode $m, not $1"; fi
}
for b in tipline.fcgi tipline-notify tiplinectl tipline-staff.fcgi; do
	expect 755 "bin/$b"
	check "bin/$b differs from $build/$b" cmp -s "$build/$b" "$root/bin/$b"
done
for f in $(cd "$repo/templates" && find . -type f ! -name '.*' | sort); do
	f=${f#./}
	expect 644 "share/tipline/templates/$f"
	check "templates/$f differs" \
	    cmp -s "$repo/templates/$f" "$share/templates/$f"
done
for f in static/tipline.css errors/413.html errors/429.html errors/502.html \
    errors/503.html errors/504.html; do
	check "templates/$f not installed" test -f "$share/templates/$f"
done
expect 644 share/man/man5/tipline.conf.5
for m in tipline.fcgi tipline-notify tiplinectl tipline-staff.fcgi; do
	expect 644 "share/man/man8/$m.8"
done
expect 644 share/tipline/tipline.conf.example
for u in tipline.socket tipline.service tipline-notify.service \
    tipline-purge.service tipline-purge.timer tipline-check.service \
    tipline-check.timer tipline-staff.service tipline-staff-nginx.service \
    tipline-backup.service tipline-backup.timer; do
	expect 644 "lib/systemd/system/$u"
done
expect 644 lib/sysusers.d/tipline.conf
expect 644 lib/tmpfiles.d/tipline.conf
expect 644 share/tipline/nginx/tipline-http.conf
expect 644 share/tipline/nginx/tipline-server.conf
for n in tipline-staff-http.conf tipline-staff-server.conf \
    tipline-staff-nginx.conf; do
	expect 644 "share/tipline/nginx/$n"
done
expect 644 share/tipline/nginx/tipline-onion.conf
expect 644 share/tipline/tor/tipline.torrc
expect 644 share/tipline/prometheus/tipline-alerts.yml

# Nothing else was installed.
sort "$expected" >"$tmp/expected.sorted"
(cd "$root" 2>/dev/null && find . ! -type d) | sed 's|^\./||' | sort \
    >"$tmp/installed.sorted"
extra=$(comm -23 "$tmp/installed.sorted" "$tmp/expected.sorted")
check "unexpected files installed: $extra" test -z "$extra"
check "files installed outside PREFIX" \
    test -z "$(cd "$dest" && find . ! -type d ! -path './usr/local/*')"

# The installed files name the installed paths.
unitdir=$root/lib/systemd/system
for p in tipline.fcgi tipline-notify tiplinectl; do
	check "no unit runs /usr/local/bin/$p" \
	    grep -q "^ExecStart=/usr/local/bin/$p\\b" \
	    "$unitdir/tipline.service" "$unitdir/tipline-notify.service" \
	    "$unitdir/tipline-purge.service"
done
# SPEC 17: the daily backup, its folder and the desk's status folder.
check "tipline-backup.service does not run tiplinectl backup --rotate" \
    grep -qx 'ExecStart=/usr/local/bin/tiplinectl backup --rotate' \
    "$unitdir/tipline-backup.service"
check "tipline-backup.timer is not daily and persistent" sh -c \
    "grep -qx 'OnCalendar=daily' '$unitdir/tipline-backup.timer' &&
    grep -qx 'Persistent=true' '$unitdir/tipline-backup.timer' &&
    grep -q '^RandomizedDelaySec=' '$unitdir/tipline-backup.timer'"
check "tmpfiles does not make /var/backups/tipline 0700 root" grep -Eq \
    '^d +/var/backups/tipline +0700 +root +root' \
    "$root/lib/tmpfiles.d/tipline.conf"
check "tmpfiles does not make the desk's status folder for group tipline" \
    grep -Eq '^d +/var/lib/tipline-desk +0750 +tipline-staff +tipline ' \
    "$root/lib/tmpfiles.d/tipline.conf"
check "tipline-staff.service cannot write its status folder" grep -Eq \
    '^ReadWritePaths=.*/var/lib/tipline-desk' \
    "$unitdir/tipline-staff.service"
check "nginx snippet does not serve the installed templates" \
    grep -q 'alias /usr/local/share/tipline/templates/static/;' \
    "$share/nginx/tipline-server.conf"
check "tipline.socket is not /run/tipline/tipline.sock" \
    grep -q '^ListenStream=/run/tipline/tipline.sock$' \
    "$unitdir/tipline.socket"
check "nginx upstream does not pass to the socket unit's path" \
    grep -q 'server unix:/run/tipline/tipline.sock;' \
    "$share/nginx/tipline-http.conf"
check "nginx snippet does not pass to the upstream" \
    grep -q 'fastcgi_pass tipline;' "$share/nginx/tipline-server.conf"

# --- run the installed programs --------------------------------------------
st=$tmp/state
mkdir -p "$st"
conf=$st/tipline.conf
sock=$st/fcgi.sock
# The example is a valid config: every key commented, so every default.
check "example config has an uncommented key" \
    test -z "$(grep -v '^[[:space:]]*#' "$share/tipline.conf.example" |
    grep -v '^[[:space:]]*$')"
{
	cat "$share/tipline.conf.example"
	echo "database = $st/store/tipline.db"
	echo "templates = $share/templates"
	echo "form_key_file = $st/form.key"
	echo "webhook_secret_file = $st/webhook.secret"
	echo "staff_public_key_file = $st/staff.pub"
	echo "staff_secret_key_file = $st/staff.key"
	echo "staff_database = $st/staff.db"
} >"$conf"

out=$tmp/out
"$root/bin/tiplinectl" -c "$conf" init >"$out" 2>&1
rc=$?
check "installed tiplinectl init failed: $(cat "$out")" test $rc -eq 0
check "init did not print the webhook secret's path" \
    grep -qF "$st/webhook.secret" "$out"
"$root/bin/tiplinectl" -c "$conf" check >"$out" 2>&1
rc=$?
check "installed tiplinectl check failed: $(cat "$out")" test $rc -eq 0
"$root/bin/tiplinectl" >/dev/null 2>&1
check "tiplinectl without a command does not exit 2" test $? -eq 2
"$root/bin/tiplinectl" -c "$st/missing.conf" check >/dev/null 2>"$out"
check "a missing config does not exit 1" test $? -eq 1
check "a missing config is not named" grep -qF "$st/missing.conf" "$out"
"$root/bin/tipline-notify" -c "$conf" --once >"$out" 2>&1
rc=$?
check "installed tipline-notify --once failed: $(cat "$out")" test $rc -eq 0

# fcgi_get SOCKET PATH: the response (headers and body) of a FastCGI GET.
fcgi_get() {
	python3 - "$1" "$2" <<'EOF'
import socket, struct, sys

def rec(t, body):
    return struct.pack(">BBHHBx", 1, t, 1, len(body), 0) + body

def pair(k, v):
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v

params = b"".join(pair(k, v) for k, v in (("REQUEST_METHOD", "GET"),
    ("DOCUMENT_URI", sys.argv[2]), ("CONTENT_LENGTH", "")))
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(rec(1, struct.pack(">HB5x", 1, 0)) + rec(4, params) + rec(4, b"")
    + rec(5, b""))
buf, out = b"", b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    while len(buf) >= 8:
        _, t, _, n, pad = struct.unpack(">BBHHBx", buf[:8])
        if len(buf) < 8 + n + pad:
            break
        if t == 6:
            out += buf[8:8 + n]
        buf = buf[8 + n + pad:]
        if t == 3:
            sys.stdout.buffer.write(out)
            sys.exit(0)
sys.exit(1)
EOF
}

# wait_sock SOCKET PID: waits up to 5 s for SOCKET while PID runs.
wait_sock() {
	i=0
	while [ $i -lt 50 ]; do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_fcgi WHAT: SIGTERM, then its exit status must be 0.
stop_fcgi() {
	kill -TERM "$fcgi_pid"
	wait "$fcgi_pid"
	rc=$?
	fcgi_pid=""
	check "$1: exit status $rc after SIGTERM, not 0" test "$rc" -eq 0
}

# serve_checks WHAT: the form and /healthz answer through the socket.
serve_checks() {
	fcgi_get "$sock" /report/ >"$out" 2>&1
	check "$1: GET /report/ got no answer" test $? -eq 0
	check "$1: GET /report/ is not 200" grep -q '^Status: 200' "$out"
	check "$1: the form is not from the installed templates" \
	    grep -q 'name="description"' "$out"
	fcgi_get "$sock" /report/healthz >"$out" 2>&1
	check "$1: GET /report/healthz is not 200" grep -q '^Status: 200' "$out"
}

# tipline.fcgi on its own socket (`listen`).
cp "$conf" "$conf.listen"
echo "listen = $sock" >>"$conf.listen"
"$root/bin/tipline.fcgi" -c "$conf.listen" 2>"$tmp/fcgi.log" &
fcgi_pid=$!
if wait_sock "$sock" "$fcgi_pid"; then
	ok
	serve_checks "tipline.fcgi (listen)"
	stop_fcgi "tipline.fcgi (listen)"
	check "tipline.fcgi left its socket behind" test ! -e "$sock"
else
	bad "installed tipline.fcgi did not listen: $(cat "$tmp/fcgi.log")"
fi

# tipline.fcgi on a listening socket inherited on fd 0, as with systemd's
# StandardInput=socket (tipline.socket, Accept=no).
rm -f "$sock"
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(16)
os.dup2(s.fileno(), 0)
os.execv(sys.argv[2], sys.argv[2:])
' "$sock" "$root/bin/tipline.fcgi" -c "$conf" 2>"$tmp/fcgi.log" &
fcgi_pid=$!
if wait_sock "$sock" "$fcgi_pid"; then
	ok
	serve_checks "tipline.fcgi (fd 0)"
	stop_fcgi "tipline.fcgi (fd 0)"
else
	bad "installed tipline.fcgi on fd 0 did not start: $(cat "$tmp/fcgi.log")"
fi

# --- another PREFIX ---------------------------------------------------------
pre=$tmp/prefix
if mk PREFIX="$pre" install; then
	ok
	check "PREFIX: units do not run $pre/bin" grep -q \
	    "^ExecStart=$pre/bin/tipline.fcgi$" \
	    "$pre/lib/systemd/system/tipline.service"
	check "PREFIX: units or nginx files still use /usr/local" test -z \
	    "$(cat "$pre/lib/systemd/system/"* "$pre/share/tipline/nginx/"* |
	    grep -v '^[[:space:]]*#' | grep /usr/local)"
	check "PREFIX: example config does not set templates" grep -qx \
	    "templates = $pre/share/tipline/templates" \
	    "$pre/share/tipline/tipline.conf.example"
	check "PREFIX: nginx snippet does not serve $pre templates" grep -q \
	    "alias $pre/share/tipline/templates/static/;" \
	    "$pre/share/tipline/nginx/tipline-server.conf"
	if command -v systemd-analyze >/dev/null 2>&1; then
		(cd "$pre/lib/systemd/system" && MANPATH=$pre/share/man \
		    systemd-analyze verify --man=no tipline.socket tipline.service \
		    tipline-notify.service tipline-purge.service \
		    tipline-purge.timer tipline-backup.service \
		    tipline-backup.timer) >"$out" 2>&1
		rc=$?
		check "systemd-analyze verify: $(cat "$out")" \
		    test $rc -eq 0 -a ! -s "$out"
	else
		echo "install: systemd-analyze not found; units not verified"
	fi
	if mk PREFIX="$pre" uninstall; then ok; else bad "PREFIX uninstall"; fi
	check "PREFIX uninstall left files: $(find "$pre" ! -type d)" \
	    test -z "$(find "$pre" ! -type d)"
else
	bad "make install PREFIX=$pre"
	cat "$log" >&2
fi

# --- uninstall ---------------------------------------------------------------
if mk DESTDIR="$dest" uninstall; then
	ok
else
	bad "make uninstall DESTDIR=$dest"
	cat "$log" >&2
fi
left=$(find "$dest" ! -type d)
check "uninstall left files: $left" test -z "$left"
check "uninstall left share/tipline" test ! -e "$share"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
