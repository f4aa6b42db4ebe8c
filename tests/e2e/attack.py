#!/usr/bin/env python3
"""Attack tests of tipline through the real stack (SPEC 2, 4, 5, 8, 10).

What a careful adversary, a crashing machine or a full disk does to the
tip line, end to end through nginx with the shipped configuration:

  crash        kill -9 tipline.fcgi at random moments under 8 concurrent
               clients; every reference a client got is stored, intact.
  disk_full    the store's file system is full (a small tmpfs, as root):
               503 with the phone numbers, nothing partial, recovers alone.
  read_only    the database file cannot be written (chmod 0444, or as
               root chattr +i): 503, nothing partial, recovers alone.
  deleted      tipline.db removed while running: 503, /healthz 503; after
               `tiplinectl init` intake works without a restart.
  privacy      markers in the source address, User-Agent, X-Forwarded-For,
               X-Real-IP, Referer, Cookie, an unknown header and the query
               string are in no byte tipline or nginx wrote.
  hostile_*    slow, partial, lying and oversized bodies, field floods,
               deep and huge JSON, invalid UTF-8, every method on every
               route: only the codes of SPEC 4, never a 5xx, same pid.

    tests/e2e/attack.py [--build DIR] [--keep] [TEST...]

--build DIR  the binaries to test (exported as TIPLINE_BUILD; default build/)
--keep       leave the temporary folder behind (always kept on failure)
TEST...      run only the tests whose names contain one of these words

Prints one line per test and then `attack: N passed, M failed`; exits 1 if
any test failed. Everything runs on 127.0.0.0/8; every loop is bounded in
count and in time. Python standard library, curl, and (for the disk tests,
as root) mount and chattr.
"""

import errno
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True     # no __pycache__ in tests/e2e
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

Failure = e2e.Failure
check = e2e.check

FORM_TYPE = e2e.FORM_TYPE
JSON_TYPE = e2e.JSON_TYPE
MAX_BODY = e2e.MAX_BODY
NGINX_MAX_BODY = e2e.NGINX_MAX_BODY
SRC = "127.0.0.2"          # hostile and privacy clients connect from here
WAIT = e2e.WAIT            # bound of every wait for something to happen
ALLOWED = {200, 201, 301, 400, 404, 405, 413, 415, 422}
ROUTES = ["/report", "/report/", "/report/api/v1/tips", "/report/healthz",
          "/report/metrics", "/report/static/tipline.css", "/report/nope"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


Skip = e2e.Skip


wait_until = e2e.wait_until   # (cond, what, timeout=WAIT): polls cond()


def note(msg):
    """A measured figure or an observation, printed under its test."""
    print("     %s" % msg)
    sys.stdout.flush()


# ------------------------------------------------------- raw HTTP/1.1 ---

def http_bytes(method, path, body=None, ctype=None, headers=(), cl=None,
               close=True):
    """One request as bytes; cl overrides Content-Length (a lie)."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    if ctype:
        lines.append("Content-Type: " + ctype)
    if cl is not None:
        lines.append("Content-Length: %s" % cl)
    elif body is not None:
        lines.append("Content-Length: %d" % len(body))
    lines += list(headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def raw_exchange(port, chunks, pause=0.0, close_early=False, timeout=20):
    """Connects from SRC to nginx, sends chunks (pausing between them),
    and reads until the server closes. With close_early the connection is
    closed right after sending. Returns the bytes received. Bounded by
    timeout and by 8 MiB."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        s.bind((SRC, 0))
        s.connect(("127.0.0.1", port))
        for i, c in enumerate(chunks):
            try:
                s.sendall(c)
            except OSError:
                break           # nginx answered early and closed
            if pause and i + 1 < len(chunks):
                time.sleep(pause)
        if close_early:
            return b""
        deadline = time.monotonic() + timeout
        while len(data) < (8 << 20) and time.monotonic() < deadline:
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not got:
                break
            data += got
    finally:
        s.close()
    return data


def dechunk(data):
    """The body of a chunked message and what follows it."""
    out = b""
    for _ in range(100000):
        eol = data.find(b"\r\n")
        if eol < 0:
            return out, b""
        size = int(data[:eol].split(b";")[0].strip() or b"0", 16)
        data = data[eol + 2:]
        if size == 0:
            end = data.find(b"\r\n")
            return out, data[end + 2:] if end >= 0 else b""
        out += data[:size]
        data = data[size + 2:]
    return out, data


def parse_responses(data, methods, path):
    """The HTTP responses in data, as e2e.Response objects; methods[i] is
    the method of the i-th request (HEAD answers carry no body)."""
    out = []
    for i in range(16):
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        lines = data[:end].decode("latin-1").split("\r\n")
        data = data[end + 4:]
        status = int(lines[0].split()[1])
        hdrs = []
        for line in lines[1:]:
            if ":" in line:
                n, v = line.split(":", 1)
                hdrs.append((n.strip().lower(), v.strip()))
        h = dict(hdrs)
        method = methods[i] if i < len(methods) else "GET"
        label = path if i == 0 else "(request %d on the connection)" % (
            i + 1)
        if method == "HEAD" or status in (204, 304) or status < 200:
            body = b""
        elif "chunked" in h.get("transfer-encoding", "").lower():
            body, data = dechunk(data)
        elif "content-length" in h:
            n = int(h["content-length"])
            body, data = data[:n], data[n:]
        else:
            body, data = data, b""
        res = e2e.Response(method, label, status, hdrs, body)
        e2e.RESPONSES.append(res)
        out.append(res)
    return out


def raw(port, method, path, body=None, **kw):
    """One raw request from SRC; its single response."""
    pause = kw.pop("pause", 0.0)
    piece = kw.pop("piece", 0)
    req = http_bytes(method, path, body=body, **kw)
    if piece:
        head = req[:len(req) - len(body or b"")]
        chunks = [head] + [body[i:i + piece]
                           for i in range(0, len(body), piece)]
    else:
        chunks = [req]
    rs = parse_responses(raw_exchange(port, chunks, pause), [method], path)
    check(rs, "%s %s: no HTTP response at all" % (method, path))
    return rs[0]


# ------------------------------------------------------------- context ---

class Ctx:
    """What the tests share: the main stack, clients, aged form tokens."""

    def __init__(self, env, tmp):
        self.env = env
        self.tmp = tmp
        self.build = env["TIPLINE_BUILD"]
        self.stack = e2e.Stack(os.path.join(tmp, "state"),
                               e2e.free_port_pair(), env)
        self.client = e2e.Client(self.stack.port, tmp)
        self.aged = []
        self.procs = []         # tipline.fcgi processes this script started
        self.mounts = []        # tmpfs mounts to undo

    @property
    def port(self):
        return self.stack.port

    def ctl(self, stack, *args):
        return subprocess.run([os.path.join(self.build, "tiplinectl"), "-c",
                               stack.path("tipline.conf")] + list(args),
                              capture_output=True, timeout=30)

    def aged_token(self):
        """A form token old enough to be accepted (fetched at start-up
        from the main stack)."""
        check(self.aged, "the pool of aged tokens is empty")
        return self.aged.pop()

    def fcgi_pid(self, stack=None):
        pid = (stack or self.stack).pid("tipline.fcgi")
        check(pid and e2e.pid_alive(pid), "tipline.fcgi is not running")
        return pid

    def restart_fcgi(self, stack=None):
        """Starts tipline.fcgi as deploy/local/up does (own session, log
        appended to DIR/log, pid in DIR/run) and waits for /healthz."""
        stack = stack or self.stack
        log = open(stack.path("log", "tipline.fcgi.log"), "ab")
        p = subprocess.Popen([os.path.join(self.build, "tipline.fcgi"), "-c",
                              stack.path("tipline.conf")],
                             stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=True)
        log.close()
        self.procs.append(p)
        pidf = stack.path("run", "tipline.fcgi.pid")
        with open(pidf + ".tmp", "w") as f:
            f.write("%d\n" % p.pid)
        os.replace(pidf + ".tmp", pidf)
        client = e2e.Client(stack.port, self.tmp)

        def healthy():
            e2e.check_now(p.poll() is None, "restarted tipline.fcgi "
                          "exited: %s" % p.returncode)
            try:
                return client.get("/report/healthz",
                                  record=False).status == 200
            except Failure:
                return False
        wait_until(healthy, "restarted tipline.fcgi not healthy")
        return p.pid


def fill_pool(ctx, stack, n):
    client = e2e.Client(stack.port, ctx.tmp)
    toks = []
    for _ in range(n):
        res = client.get("/report/")
        check(res.status == 200, "%r" % res)
        toks.append(e2e.token_of(res))
    return toks


def tip_rows(stack, where="1"):
    return stack.query("SELECT * FROM tips WHERE %s ORDER BY id" % where)


def outbox_consistent(stack):
    """Counts of tips and deliveries; fails on a tip without exactly one
    delivery or a delivery without its tip."""
    tips = stack.tip_count()
    # A tips.digest (SPEC 15) is a delivery of no one tip: count each
    # tip's own, and no digest may be left without tips.
    dels = stack.query("SELECT count(*) FROM deliveries"
                       " WHERE tip_id IS NOT NULL")[0][0]
    empty = stack.query(
        "SELECT count(*) FROM deliveries g WHERE g.tip_id IS NULL AND NOT"
        " EXISTS (SELECT 1 FROM deliveries d WHERE d.digest_id = g.id)")[0][0]
    check(empty == 0, "%d digests without tips" % empty)
    orphans = stack.query(
        "SELECT count(*) FROM tips t WHERE (SELECT count(*) FROM"
        " deliveries d WHERE d.tip_id = t.id) != 1")[0][0]
    check(orphans == 0, "%d tips without exactly one delivery" % orphans)
    check(dels == tips, "%d deliveries for %d tips" % (dels, tips))
    return tips


def integrity_ok(stack):
    rows = stack.query("PRAGMA integrity_check")
    check(rows == [("ok",)], "integrity_check: %r" % rows[:5])


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# ------------------------------------------------------------- privacy ---

def markers():
    tag = "%08x" % random.randrange(1 << 32)
    return {
        "ua": "mkUA%s" % tag, "xff": "198.51.100.%d" % random.randrange(
            2, 250), "xrip": "203.0.113.%d" % random.randrange(2, 250),
        "ref": "mkREF%s" % tag, "cookie": "mkCOOKIE%s" % tag,
        "hname": "mkHN%s" % tag, "hval": "mkHV%s" % tag,
        "query": "mkQS%s" % tag, "src": SRC,
    }


def marked_headers(m):
    return ["User-Agent: " + m["ua"],
            "X-Forwarded-For: " + m["xff"],
            "X-Real-IP: " + m["xrip"],
            "Referer: https://" + m["ref"] + ".example/page",
            "Cookie: sid=" + m["cookie"] + "; other=" + m["cookie"],
            "X-Marker-%s: %s" % (m["hname"], m["hval"])]


def tree_state(root):
    """(path, size, mtime) of every regular file under root."""
    out = []
    for d, _, files in os.walk(root):
        for n in files:
            try:
                st = os.lstat(os.path.join(d, n))
            except OSError:
                continue
            out.append((os.path.join(d, n), st.st_size, st.st_mtime_ns))
    return sorted(out)


def wait_quiet(root, period=0.5):
    """Waits until no file under root has changed for period seconds
    (bounded by WAIT)."""
    last = [tree_state(root), time.monotonic()]

    def quiet():
        now = tree_state(root)
        if now != last[0]:
            last[:] = [now, time.monotonic()]
        return time.monotonic() - last[1] >= period
    wait_until(quiet, "files under %s kept changing" % root)


def search_tree(root, needles):
    """{needle: [files holding it]} over every regular file under root."""
    hits = {n: [] for n in needles}
    nfiles = nbytes = 0
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            try:
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                with open(p, "rb") as f:
                    data = f.read(256 << 20)
            except OSError:
                continue
            nfiles += 1
            nbytes += len(data)
            low = data.lower()
            for n in needles:
                if n.encode() in data or n.lower().encode() in low:
                    hits[n].append(os.path.relpath(p, root))
    return hits, nfiles, nbytes


@test
def privacy_markers_nowhere(ctx):
    m = markers()
    client = ctx.client
    hdrs = marked_headers(m)
    path = "/report/?q=" + m["query"]
    got = client.get(path, headers=hdrs, interface=SRC)
    e2e.check_html_page(got, 200)
    token = e2e.token_of(got)
    time.sleep(e2e.MIN_SECONDS + 0.1)
    pairs = e2e.valid_pairs(token, times="Privacy check, form")
    form = client.post_form(pairs, path=path, headers=hdrs, interface=SRC)
    e2e.check_html_page(form, 200)
    refs = [e2e.ref_of(form)]
    api = client.post_json(e2e.valid_json(times="Privacy check, API"),
                           headers=hdrs, interface=SRC)
    check(api.status == 201, "API: %r %r" % (api, api.body[:200]))
    refs.append(api.json()["ref"])
    for r in refs:
        check(ctx.stack.tips_with_ref(r) == 1, "%s not stored" % r)
    wait_until(lambda: all(ctx.stack.delivery_states(r) == ["delivered"]
                           for r in refs),
               "the notifier did not deliver %s" % refs)

    def sink_has_all():
        try:
            with open(ctx.stack.path("webhook.log"), "rb") as f:
                data = f.read()
        except OSError:
            return False
        return all(r.encode() in data for r in refs)
    wait_until(sink_has_all, "the sink did not log %s" % refs)
    # Let nginx, tipline and the notifier finish writing their logs.
    wait_quiet(ctx.stack.path("log"))
    needles = [v for v in m.values()]
    hits, nfiles, nbytes = search_tree(ctx.stack.state, needles)
    note("searched %d files, %d bytes under the state folder for %d "
         "markers; refs %s delivered" % (nfiles, nbytes, len(needles),
                                         ", ".join(refs)))
    bad = ["%s in %s" % (n, ", ".join(f)) for n, f in hits.items() if f]
    check(not bad, "markers found: " + "; ".join(bad))
    for res in (got, form, api):
        e2e.check_common_headers(res)


# -------------------------------------------------------- hostile HTTP ---

def json_body(**extra):
    return json.dumps(e2e.valid_json(**extra)).encode()


def api_error_code(res):
    try:
        return res.json()["error"]["code"]
    except (Failure, KeyError, TypeError):
        return None


@test
def hostile_slow_body(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    body = json_body(times="slow body, in pieces")
    t0 = time.monotonic()
    res = raw(ctx.port, "POST", "/report/api/v1/tips", body, ctype=JSON_TYPE,
              piece=max(1, len(body) // 12), pause=0.25)
    took = time.monotonic() - t0
    check(res.status == 201, "slow API body: %r %r" % (res, res.body[:200]))
    ref = res.json()["ref"]
    check(ctx.stack.tips_with_ref(ref) == 1, "%s not stored" % ref)
    form = urllib.parse.urlencode(e2e.valid_pairs(
        ctx.aged_token(), times="slow form body")).encode()
    res = raw(ctx.port, "POST", "/report/", form, ctype=FORM_TYPE,
              piece=max(1, len(form) // 10), pause=0.2)
    e2e.check_html_page(res, 200)
    e2e.ref_of(res)
    check(ctx.stack.tip_count() == before + 2, "not two new tips")
    note("slow API body: %d bytes in 12 pieces over %.1f s" % (len(body),
                                                               took))
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_chunked_body(ctx):
    body = json_body(times="chunked transfer encoding")
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 50]),
                                           body[i:i + 50])
                      for i in range(0, len(body), 50)) + b"0\r\n\r\n"
    req = http_bytes("POST", "/report/api/v1/tips", ctype=JSON_TYPE,
                     headers=["Transfer-Encoding: chunked"]) + chunks
    rs = parse_responses(raw_exchange(ctx.port, [req]), ["POST"],
                         "/report/api/v1/tips")
    check(rs and rs[0].status == 201, "chunked body: %r" % rs)


@test
def hostile_disconnects(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    body = json_body(times="half a body")
    # A partial body, then the client goes away; repeated, with pauses.
    for i in range(20):
        req = http_bytes("POST", "/report/api/v1/tips", body=body,
                         ctype=JSON_TYPE)
        cut = len(req) - len(body) + random.randrange(0, len(body))
        raw_exchange(ctx.port, [req[:cut]], close_early=True)
    # Content-Length larger than what is sent, then close (write side
    # shut first, so nginx sees the end of the body early).
    for i in range(10):
        req = http_bytes("POST", "/report/api/v1/tips", body=body,
                         ctype=JSON_TYPE, cl=len(body) + 1000)
        s = socket.create_connection(("127.0.0.1", ctx.port), timeout=30,
                                     source_address=(SRC, 0))
        try:
            s.sendall(req)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except OSError:
                pass
        finally:
            s.close()
    time.sleep(0.3)
    check(e2e.pid_alive(pid) and ctx.fcgi_pid() == pid,
          "tipline.fcgi died or was replaced")
    check(ctx.stack.tip_count() == before, "a cut-off body was stored")
    res = ctx.client.post_json(e2e.valid_json())
    check(res.status == 201, "after disconnects: %r" % res)


@test
def hostile_short_content_length(ctx):
    """Content-Length smaller than the body: nginx reads the rest as the
    next request on the connection."""
    pid = ctx.fcgi_pid()
    body = json_body(times="short length")
    cases = [(body, 10), (body + b"GET /report/healthz HTTP/1.1\r\n"
                          b"Host: x\r\nConnection: close\r\n\r\n",
                          len(body)),
             (body, 0)]
    seen = []
    for data, cl in cases:
        req = http_bytes("POST", "/report/api/v1/tips", ctype=JSON_TYPE,
                         cl=cl, close=False) + data
        rs = parse_responses(raw_exchange(ctx.port, [req], timeout=30),
                             ["POST", "GET"], "/report/api/v1/tips")
        check(rs, "no answer for Content-Length %d" % cl)
        seen.append([r.status for r in rs])
        for r in rs:
            check(r.status < 500, "Content-Length %d: %r" % (cl, r))
    note("statuses per case: %r" % seen)
    check(seen[1][:2] == [201, 200], "a body then a pipelined GET: %r"
          % seen[1])
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_content_length_zeros(ctx):
    """Content-Length is a number, not a count of digits: with leading
    zeros (nginx passes them on) a small body is stored, and a claim over
    max_body_bytes is still 413."""
    path = "/report/api/v1/tips"
    body = json_body(times="leading zeros")
    res = raw(ctx.port, "POST", path, body, ctype=JSON_TYPE,
              cl="%012d" % len(body))
    check(res.status == 201, "Content-Length %012d: %r %r"
          % (len(body), res, res.body[:200]))
    base = json.dumps(e2e.valid_json(people="")).encode()
    over = base.replace(b'"people": ""', b'"people": "' + b"x" * (
        MAX_BODY + 1 - len(base)) + b'"')
    res = raw(ctx.port, "POST", path, over, ctype=JSON_TYPE,
              cl="%020d" % len(over))
    check(res.status == 413 and api_error_code(res) == "body_too_large",
          "Content-Length %020d: %r" % (len(over), res))


@test
def hostile_body_limits(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    path = "/report/api/v1/tips"
    # JSON: the people field fills the body to an exact size.
    base = json.dumps(e2e.valid_json(people="")).encode()
    pad = lambda n: base.replace(b'"people": ""', b'"people": "' + b"x" * (
        n - len(base)) + b'"')
    exact, over = pad(MAX_BODY), pad(MAX_BODY + 1)
    check(len(exact) == MAX_BODY and len(over) == MAX_BODY + 1, "sizes")
    res = raw(ctx.port, "POST", path, exact, ctype=JSON_TYPE)
    check(res.status == 422 and any(
        e.get("code") == "too_long" for e in res.json().get("errors", [])),
        "API body of exactly max_body_bytes: %r %r" % (res, res.body[:200]))
    res = raw(ctx.port, "POST", path, over, ctype=JSON_TYPE)
    check(res.status == 413 and api_error_code(res) == "body_too_large",
          "API max+1: %r %r" % (res, res.body[:200]))
    # The form: tipline's own 413 page, not nginx's static one.
    fbase = urllib.parse.urlencode(e2e.valid_pairs("x")).encode() + \
        b"&people="
    fexact = fbase + b"y" * (MAX_BODY - len(fbase))
    res = raw(ctx.port, "POST", "/report/", fexact, ctype=FORM_TYPE)
    check(res.status == 422, "form of exactly max_body_bytes: %r" % res)
    res = raw(ctx.port, "POST", "/report/", fexact + b"y", ctype=FORM_TYPE)
    e2e.check_html_page(res, 413)
    static413 = e2e.static_page("413.html")
    check(res.body != static413, "max+1 got nginx's page, not tipline's")
    check(b"Nothing was saved" in res.body, "tipline's 413 page?")
    # Beyond nginx's client_max_body_size: nginx's static page, and for
    # the API its static JSON body.
    big = b"people=" + b"z" * (NGINX_MAX_BODY + 100)
    res = raw(ctx.port, "POST", "/report/", big, ctype=FORM_TYPE)
    e2e.check_html_page(res, 413)
    check(res.body == static413, "/report/: not templates/errors/413")
    res = raw(ctx.port, "POST", path, big, ctype=FORM_TYPE)
    e2e.check_static_answer(res, 413, "api-413.json")
    # An overlong description: 70000 characters is over the body limit,
    # 6000 within it is too_long.
    res = raw(ctx.port, "POST", path, json_body(description="d" * 70000),
              ctype=JSON_TYPE)
    check(res.status == 413, "70000-character description: %r" % res)
    res = raw(ctx.port, "POST", path, json_body(description="d" * 6000),
              ctype=JSON_TYPE)
    codes = {(e.get("field"), e.get("code"))
             for e in res.json().get("errors", [])} \
        if res.status == 422 else set()
    check(("description", "too_long") in codes,
          "6000-character description: %r %r" % (res, res.body[:200]))
    form = urllib.parse.urlencode(e2e.valid_pairs(
        ctx.aged_token(), description="d" * 6000)).encode()
    res = raw(ctx.port, "POST", "/report/", form, ctype=FORM_TYPE)
    e2e.check_html_page(res, 422)
    check(ctx.stack.tip_count() == before, "an oversized report was stored")
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_field_floods(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    flood = b"a=1&" * 5000
    check(len(flood) <= MAX_BODY, "flood size")
    res = raw(ctx.port, "POST", "/report/", flood, ctype=FORM_TYPE)
    e2e.check_html_page(res, 400)
    flood = b"&".join(b"concerns=dealing" for _ in range(3000))
    res = raw(ctx.port, "POST", "/report/", flood[:MAX_BODY],
              ctype=FORM_TYPE)
    e2e.check_html_page(res, 400)
    empty = b"&" * 60000
    res = raw(ctx.port, "POST", "/report/", empty, ctype=FORM_TYPE)
    check(res.status in (400, 422), "60000 '&': %r" % res)
    # The API: thousands of unknown keys, and a concerns array of
    # thousands of items.
    keys = json.dumps(dict(e2e.valid_json(), **{"k%d" % i: 1
                                                for i in range(5000)}),
                      separators=(",", ":")).encode()
    check(len(keys) < MAX_BODY, "JSON key flood is %d bytes" % len(keys))
    res = raw(ctx.port, "POST", "/report/api/v1/tips", keys,
              ctype=JSON_TYPE)
    check(res.status in (201, 400, 422), "5000 JSON keys: %r" % res)
    first = res.status
    many = json_body(concerns=["dealing"] * 5000)
    res = raw(ctx.port, "POST", "/report/api/v1/tips", many,
              ctype=JSON_TYPE)
    check(res.status in (201, 400, 422), "5000 concerns: %r" % res)
    note("5000 JSON keys: %d; 5000 concerns: %d" % (first, res.status))
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")
    check(ctx.stack.tip_count() - before <= 2, "floods stored tips")


@test
def hostile_json(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    path = "/report/api/v1/tips"
    deep = b"[" * 10000 + b"]" * 10000
    deep_obj = b'{"a":' * 10000 + b"1" + b"}" * 10000
    deep_in = json_body(people="x")[:-1] + b', "x": ' + b"[" * 5000 + \
        b"]" * 5000 + b"}"
    cases = [("10000 nested arrays", deep, {400}, "invalid_json"),
             ("10000 nested objects", deep_obj, {400}, "invalid_json"),
             ("5000 nested arrays in a field", deep_in, {400, 422}, None)]
    for n in (b"1" * 5000, b"1e999999", b"-1e999999", b"1" * 400 + b".5",
              b"18446744073709551616", b"-9223372036854775809", b"NaN",
              b"Infinity", b"1e-999999"):
        for key in ("description", "concerns", "x"):
            body = json_body(people="x")[:-1] + b', "%s": %s}' % (
                key.encode(), n)
            body = body.replace(b'"description": "', b'"d0": "') \
                if key == "description" else body
            body = body.replace(b'"concerns": [', b'"c0": [') \
                if key == "concerns" else body
            # An unknown key is ignored (SPEC 5.1), so its number may
            # be accepted; a known field given a number is 422 or 400.
            ok = {400, 422} if key != "x" else {201, 400, 422}
            cases.append(("number %s… as %s" % (n[:20].decode(), key), body,
                          ok, None))
    stored = 0
    seen = {}
    for what, body, ok, code in cases:
        res = raw(ctx.port, "POST", path, body, ctype=JSON_TYPE)
        check(res.status in ok, "%s: %r %r" % (what, res, res.body[:200]))
        if code:
            check(api_error_code(res) == code, "%s: error code %r"
                  % (what, api_error_code(res)))
        stored += res.status == 201
        seen[res.status] = seen.get(res.status, 0) + 1
    note("%d deep/huge JSON bodies: %r" % (len(cases), seen))
    check(ctx.stack.tip_count() == before + stored,
          "a hostile JSON body was stored")
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_invalid_utf8(ctx):
    pid = ctx.fcgi_pid()
    before = ctx.stack.tip_count()
    good = urllib.parse.urlencode(e2e.valid_pairs(ctx.aged_token()))
    bads = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]
    n = 0
    for bad in bads:
        enc = urllib.parse.quote_from_bytes(bad).encode()
        form_cases = [
            ("raw in name", good.encode() + b"&x" + bad + b"=1"),
            ("encoded in name", good.encode() + b"&x" + enc + b"=1"),
            ("raw in value", good.encode() + b"&times=a" + bad),
            ("encoded in value", good.encode() + b"&times=a" + enc),
            ("in known value", good.encode().replace(
                b"location=", b"location=" + enc, 1)),
        ]
        for what, body in form_cases:
            res = raw(ctx.port, "POST", "/report/", body, ctype=FORM_TYPE)
            check(res.status == 400, "form, %r %s: %r" % (bad, what, res))
            n += 1
        base = json_body()[:-1]
        json_cases = [
            ("JSON key", base + b', "x' + bad + b'": "1"}'),
            ("JSON string", base + b', "times": "a' + bad + b'"}'),
            ("JSON known key", base.replace(b'"location"',
                                            b'"loc' + bad + b'"') + b"}"),
            ("JSON array item", base.replace(b'"dealing"',
                                             b'"deal' + bad + b'"') + b"}"),
        ]
        for what, body in json_cases:
            res = raw(ctx.port, "POST", "/report/api/v1/tips", body,
                      ctype=JSON_TYPE)
            check(res.status == 400 and api_error_code(res) ==
                  "invalid_utf8",
                "%r in %s: %r %r" % (bad, what, res, res.body[:200]))
            n += 1
    note("%d invalid UTF-8 bodies: all 400" % n)
    check(ctx.stack.tip_count() == before, "invalid UTF-8 was stored")
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_methods_routes(ctx):
    pid = ctx.fcgi_pid()
    table = {}
    bad = []
    for path in ROUTES:
        for method in METHODS:
            body = b"" if method in ("POST", "PUT", "PATCH") else None
            res = raw(ctx.port, method, path, body,
                      ctype=JSON_TYPE if body is not None else None)
            table.setdefault(res.status, []).append("%s %s" % (method, path))
            if res.status not in ALLOWED:
                bad.append("%s %s -> %d" % (method, path, res.status))
            elif res.status == 405 and not res.header("allow"):
                bad.append("%s %s -> 405 without Allow%s" % (
                    method, path, " (nginx's built-in page)"
                    if b"<center>nginx</center>" in res.body else ""))
    note("statuses: %s" % ", ".join("%d×%d" % (s, len(v))
                                    for s, v in sorted(table.items())))
    check(not bad, "; ".join(bad))
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


@test
def hostile_headers_and_paths(ctx):
    pid = ctx.fcgi_pid()
    cases = [
        ("GET", "/report/%2e%2e/%2e%2e/etc/passwd", None, None, ()),
        ("GET", "/report/..%2f..%2fetc%2fpasswd", None, None, ()),
        ("GET", "/report/static/../../../etc/passwd", None, None, ()),
        ("GET", "/report/static/%2e%2e/form.html", None, None, ()),
        ("GET", "/report/%00", None, None, ()),
        ("GET", "/report//api/v1/tips", None, None, ()),
        ("GET", "/report/" + "a" * 6000, None, None, ()),
        ("POST", "/report/api/v1/tips", json_body(), JSON_TYPE,
         ["Idempotency-Key: " + "k" * 4000]),
        ("POST", "/report/api/v1/tips", json_body(),
         "application/json; charset=" + "x" * 3000, ()),
        ("POST", "/report/", b"a=b", "Application/X-WWW-Form-Urlencoded",
         ()),
        ("POST", "/report/api/v1/tips", json_body(), "application/jsonx",
         ()),
    ]
    statuses = []
    for method, path, body, ctype, hdrs in cases:
        res = raw(ctx.port, method, path, body, ctype=ctype, headers=hdrs)
        statuses.append(res.status)
        check(res.status in ALLOWED or res.status == 400 or
              (res.status == 414 and len(path) > 4000),
              "%s %s: %r" % (method, path[:60], res))
        check(b"root:" not in res.body, "%s leaked /etc/passwd" % path)
    note("statuses: %r" % statuses)
    check(ctx.fcgi_pid() == pid, "tipline.fcgi pid changed")


# ---------------------------------------------------------- durability ---

class Submitter(threading.Thread):
    """Posts API tips until told to stop (bounded in count and time) and
    records every reference it got with 201, with what it sent."""

    def __init__(self, port, n, deadline):
        super().__init__(daemon=True)
        self.port = port
        self.n = n
        self.deadline = deadline
        self.stop = threading.Event()
        self.acked = {}          # ref -> body sent
        self.failed = 0          # answers other than 201, or no answer
        self.other = {}          # status -> count, for non-201 answers

    def run(self):
        for seq in range(100000):
            if self.stop.is_set() or time.monotonic() > self.deadline:
                break
            doc = e2e.valid_json(
                description="Crash round tip from thread %d number %d: "
                            "%08x" % (self.n, seq,
                                      random.randrange(1 << 32)),
                location="Crash Lane %d-%d" % (self.n, seq),
                times="thread %d seq %d" % (self.n, seq),
                postcode="so14 3jj")
            body = json.dumps(doc).encode()
            status = None
            try:
                c = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=e2e.REQUEST_TIMEOUT)
                c.request("POST", "/report/api/v1/tips", body,
                          {"Content-Type": JSON_TYPE})
                r = c.getresponse()
                data = r.read()
                status = r.status
                c.close()
            except (OSError, http.client.HTTPException):
                pass
            if status == 201:
                self.acked[json.loads(data)["ref"]] = doc
            else:
                self.failed += 1
                self.other[status] = self.other.get(status, 0) + 1
                time.sleep(0.02)


@test
def crash_kill9_durability(ctx):
    stack = ctx.stack
    rounds = 3
    deadline = time.monotonic() + 3 * WAIT
    subs = [Submitter(ctx.port, i, deadline) for i in range(8)]
    for s in subs:
        s.start()
    pids = []
    try:
        for r in range(rounds):
            time.sleep(random.uniform(0.4, 1.2))
            pid = ctx.fcgi_pid()
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not e2e.pid_alive(pid),
                       "tipline.fcgi %d survived SIGKILL" % pid)
            time.sleep(random.uniform(0.0, 0.3))
            pids.append(ctx.restart_fcgi())
        time.sleep(0.8)
    finally:
        for s in subs:
            s.stop.set()
        for s in subs:
            s.join(e2e.REQUEST_TIMEOUT + 5)
    check(not any(s.is_alive() for s in subs), "a client thread hangs")
    acked = {}
    for s in subs:
        acked.update(s.acked)
    other = {}
    for s in subs:
        for k, v in s.other.items():
            other[k] = other.get(k, 0) + v
    missing, wrong = [], []
    # Every acknowledged tip is there and opens with the staff secret key
    # (tiplinectl export fails on a tip whose seal does not open).
    exported = {}
    p = subprocess.run([os.path.join(ctx.build, "tiplinectl"), "-c",
                        stack.path("tipline.conf"), "export"],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, "export after the crashes: %s" % p.stderr)
    for line in p.stdout.decode().splitlines():
        o = json.loads(line)
        exported[o["ref"]] = o
    for ref, doc in acked.items():
        o = exported.get(ref)
        if o is None:
            missing.append(ref)
            continue
        row = (o["description"], o["location"], o["times"], o["postcode"])
        want = (doc["description"], doc["location"], doc["times"],
                "SO14 3JJ")
        if row != want or set(o["concerns"]) != set(doc["concerns"]):
            wrong.append("%s: %r != %r" % (ref, row, want))
    total = outbox_consistent(stack)
    note("%d rounds of kill -9 (pids %s); %d references acknowledged and "
         "checked, %d tips in the store; non-201 answers %r"
         % (rounds, pids, len(acked), total, other))
    check(len(acked) >= 50, "only %d tips acknowledged" % len(acked))
    check(not missing, "%d acknowledged refs missing: %s"
          % (len(missing), missing[:5]))
    check(not wrong, "%d stored tips differ: %s" % (len(wrong), wrong[:3]))
    integrity_ok(stack)
    res = ctx.client.post_json(e2e.valid_json())
    check(res.status == 201, "after the crashes: %r" % res)
    check(ctx.client.get("/report/").status == 200, "form after crashes")
    check(ctx.client.get("/report/healthz").status == 200, "healthz")


# --------------------------------------------------------- store faults ---

def check_503(res, json_api):
    if json_api:
        e2e.check_api_error(res, 503, "store_unavailable")
        return
    e2e.check_html_page(res, 503)
    text = res.text.lower()
    check("nothing" in text and "saved" in text,
          "the 503 page does not say nothing was saved")
    check("999" in res.text and "101" in res.text,
          "the 503 page lacks the phone numbers")


def submit_pair(client, token, tag):
    """A form post (with token) and an API post; both responses."""
    form = client.post_form(e2e.valid_pairs(token, times=tag + " form"))
    api = client.post_json(e2e.valid_json(times=tag + " API"))
    return form, api


def fault_scenario(ctx, stack, tokens, what, break_fn, fix_fn,
                   healthz_must_fail):
    """Breaks the store with break_fn, checks 503s, nothing partial,
    existing tips intact, then fix_fn and intake recovers by itself (same
    tipline.fcgi process). Submissions acknowledged despite the fault are
    reported (and looked for in the store) before the test fails."""
    client = e2e.Client(stack.port, ctx.tmp)
    pid = ctx.fcgi_pid(stack)
    res = client.post_json(e2e.valid_json(times="before " + what))
    check(res.status == 201, "before: %r" % res)
    sent = e2e.valid_pairs(tokens.pop(), times="sent before " + what)
    first = client.post_form(sent)
    e2e.check_html_page(first, 200)
    before = tip_rows(stack)
    count = outbox_consistent(stack)
    break_fn()
    errors, acked, statuses = [], [], []
    try:
        # Several rounds so that every worker thread meets the fault.
        for i in range(3):
            for json_api, res in zip((False, True), submit_pair(
                    client, tokens.pop(), what)):
                statuses.append(res.status)
                if res.status in (200, 201):
                    acked.append(res.json()["ref"] if json_api
                                 else e2e.ref_of(res))
                try:
                    check_503(res, json_api)
                except Failure as e:
                    errors.append(str(e))
        # A form sent again is still recognised (SPEC 5.4): its receipt,
        # not a page saying that nothing was saved.
        again = client.post_form(sent)
        if again.status != 200 or e2e.ref_of(again) != e2e.ref_of(first):
            errors.append("form sent again while %s: %r" % (what, again))
        health = client.get("/report/healthz")
        note("%s: submissions %r, /healthz %d" % (what, statuses,
                                                   health.status))
        if healthz_must_fail and health.status != 503:
            errors.append("/healthz %d while %s" % (health.status, what))
    finally:
        fix_fn()
    if acked:
        found = sum(stack.tips_with_ref(r) for r in acked)
        note("%d submissions acknowledged during the fault; %d of them "
             "in the store once it was fixed" % (len(acked), found))
    check(not errors, "; ".join(errors[:3]))
    check(outbox_consistent(stack) == count, "tips stored while " + what)
    check(tip_rows(stack, "id <= %d" % before[-1][0]) == before,
          "existing tips changed")
    form, api = submit_pair(client, tokens.pop(), "after " + what)
    e2e.check_html_page(form, 200)
    check(api.status == 201, "after %s: %r %r" % (what, api, api.body[:200]))
    for ref in (e2e.ref_of(form), api.json()["ref"]):
        check(stack.tips_with_ref(ref) == 1, "%s not stored" % ref)
    check(client.get("/report/healthz").status == 200, "healthz after")
    check(ctx.fcgi_pid(stack) == pid, "tipline.fcgi was restarted")
    integrity_ok(stack)


def fill_fs(path, limit):
    """Writes path until the file system is full (bounded by limit
    bytes); returns the bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 16, 4096, 512, 1):
            chunk = b"\0" * size
            for _ in range(limit // size + 1):
                if n >= limit:
                    break
                try:
                    f.write(chunk)
                    n += size
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return n


@test
def disk_full(ctx):
    if os.geteuid() != 0:
        raise Skip("not root: cannot mount a size-limited tmpfs")
    state = os.path.join(ctx.tmp, "full")
    os.makedirs(state)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700",
                        "tmpfs", state], capture_output=True)
    if p.returncode != 0:
        raise Skip("mount tmpfs failed: %s" % p.stderr.decode().strip())
    ctx.mounts.append(state)
    stack = e2e.Stack(state, e2e.free_port_pair(), ctx.env)
    stack.up()
    try:
        tokens = fill_pool(ctx, stack, 6)
        time.sleep(e2e.MIN_SECONDS + 0.1)
        client = e2e.Client(stack.port, ctx.tmp)
        for i in range(5):
            check(client.post_json(e2e.valid_json()).status == 201,
                  "warm-up")
        filler = os.path.join(state, "filler")

        def fill():
            st = os.statvfs(state)
            n = fill_fs(filler, st.f_blocks * st.f_frsize)
            st = os.statvfs(state)
            note("filled the tmpfs with %d bytes; %d bytes free" % (
                n, st.f_bavail * st.f_frsize))
        fault_scenario(ctx, stack, tokens, "disk full", fill,
                       lambda: os.unlink(filler), False)
    finally:
        if os.path.exists(os.path.join(state, "filler")):
            os.unlink(os.path.join(state, "filler"))
        stack.down()


@test
def read_only_db(ctx):
    stack = ctx.stack
    db = stack.path("tipline.db")
    if os.geteuid() != 0:
        how = "chmod 0444"
        mode = os.stat(db).st_mode & 0o7777
        brk = lambda: os.chmod(db, 0o444)
        fix = lambda: os.chmod(db, mode)
    else:
        how = "chattr +i"
        p = subprocess.run(["chattr", "+i", db], capture_output=True)
        if p.returncode != 0:
            raise Skip("root, and chattr +i failed: %s"
                       % p.stderr.decode().strip())
        subprocess.run(["chattr", "-i", db], check=True)
        brk = lambda: subprocess.run(["chattr", "+i", db], check=True)
        fix = lambda: subprocess.run(["chattr", "-i", db], check=True)
    note("read-only by %s" % how)
    tokens = ctx.aged[-6:]
    del ctx.aged[-6:]
    try:
        fault_scenario(ctx, stack, tokens, "read-only database", brk, fix,
                       True)
    finally:
        if how == "chattr +i":
            subprocess.run(["chattr", "-i", db], capture_output=True)


def concurrent_posts(port, n):
    """n API posts at once (one thread each, each bounded by
    REQUEST_TIMEOUT); statuses."""
    out = [None] * n

    def one(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port,
                                           timeout=e2e.REQUEST_TIMEOUT)
            c.request("POST", "/report/api/v1/tips", json_body(
                times="concurrent %d" % i), {"Content-Type": JSON_TYPE})
            r = c.getresponse()
            r.read()
            out[i] = r.status
            c.close()
        except (OSError, http.client.HTTPException) as e:
            out[i] = repr(e)
    ts = [threading.Thread(target=one, args=(i,), daemon=True)
          for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(e2e.REQUEST_TIMEOUT + 5)
    return out


@test
def deleted_db(ctx):
    stack = ctx.stack
    client = ctx.client
    # A fresh tipline.fcgi: its worker threads have not all opened the
    # store yet, so the file's absence meets both kinds of worker.
    old = ctx.fcgi_pid()
    os.kill(old, signal.SIGTERM)
    wait_until(lambda: not e2e.pid_alive(old), "SIGTERM ignored")
    pid = ctx.restart_fcgi()
    res = client.post_json(e2e.valid_json(times="before the delete"))
    check(res.status == 201, "before: %r" % res)
    os.unlink(stack.path("tipline.db"))
    statuses = concurrent_posts(stack.port, 8)
    errors = ["concurrent API posts: %r" % statuses] \
        if any(st != 503 for st in statuses) else []
    try:
        for i in range(3):
            for json_api, res in zip((False, True), submit_pair(
                    client, ctx.aged_token(), "deleted")):
                statuses.append(res.status)
                try:
                    check_503(res, json_api)
                except Failure as e:
                    errors.append(str(e))
        health = client.get("/report/healthz")
        if health.status != 503:
            errors.append("/healthz %d with the file deleted"
                          % health.status)
    finally:
        made = os.path.exists(stack.path("tipline.db"))
        note("deleted: submissions %r; files now %r%s" % (
            statuses, sorted(n for n in os.listdir(stack.state)
                             if n.startswith("tipline")),
            "; tipline.db was made again by tipline.fcgi" if made else ""))
    check(not errors, "; ".join(errors[:3]))
    p = ctx.ctl(stack, "init")
    check(p.returncode == 0, "tiplinectl init: %s" % p.stderr.decode())
    check(os.path.exists(stack.path("tipline.db")), "init made no file")
    refs = []
    for i in range(3):
        form, api = submit_pair(client, ctx.aged_token(), "recreated")
        e2e.check_html_page(form, 200)
        check(api.status == 201, "after init: %r %r" % (api, api.body[:200]))
        refs += [e2e.ref_of(form), api.json()["ref"]]
    for ref in refs:
        check(stack.tips_with_ref(ref) == 1, "%s not in the new file" % ref)
    integrity_ok(stack)
    outbox_consistent(stack)
    check(stack.tip_count() == len(refs), "the new file holds %d tips, "
          "%d were sent after init" % (stack.tip_count(), len(refs)))
    check(client.get("/report/healthz").status == 200, "healthz after init")
    check(ctx.fcgi_pid() == pid, "tipline.fcgi was restarted")
    note("after init: %d tips in the new file" % stack.tip_count())


# ------------------------------------------------------------- headers ---

@test
def every_response_headers(ctx):
    """No response ever sets a cookie; every HTML response carries the
    exact CSP (over every answer this run received)."""
    n = len(e2e.RESPONSES)
    check(n > 100, "only %d responses recorded" % n)
    bad = []
    builtin = 0
    for res in e2e.RESPONSES:
        if res.header_all("set-cookie"):
            bad.append("%r sets a cookie" % res)
        if e2e.is_html(res) and res.header_all(
                "content-security-policy") != [e2e.CSP]:
            # nginx's compiled-in error pages end "<center>nginx</center>".
            own = b"<center>nginx</center>" in res.body
            builtin += own
            bad.append("%r: CSP %r%s" % (res, res.header_all(
                "content-security-policy"),
                " (nginx's built-in page)" if own else ""))
    note("%d responses checked; %d HTML without the CSP, %d of them "
         "nginx's built-in error pages" % (n, len(bad), builtin))
    check(not bad, "%d bad: %s" % (len(bad), "; ".join(bad[:4])))


@test
def no_client_address_after_all(ctx):
    """After every attack from 127.0.0.2, no file under the state folder
    holds that address (nginx logs "client: <IP>" at most levels)."""
    hits, nfiles, nbytes = search_tree(ctx.stack.state, [SRC, "client:"])
    note("searched %d files, %d bytes" % (nfiles, nbytes))
    # The nginx configuration's comments mention "client:"; logs must not.
    hits["client:"] = [f for f in hits["client:"] if not f.endswith(".conf")]
    bad = ["%s in %s" % (n, ", ".join(f)) for n, f in hits.items() if f]
    check(not bad, "; ".join(bad))


# -------------------------------------------------------------- runner ---

ORDER = ["privacy_markers_nowhere", "hostile_", "crash_", "every_response",
         "no_client_address", "disk_full", "read_only", "deleted"]


def ordered(tests):
    key = lambda t: next(i for i, p in enumerate(ORDER)
                         if t.__name__.startswith(p))
    return sorted(tests, key=key)


def cleanup(ctx):
    for p in ctx.procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    for m in ctx.mounts:
        subprocess.run(["umount", m], capture_output=True)


def main():
    args = e2e.parse_args(__doc__)
    env = dict(os.environ, TIPLINE_BUILD=args.build)
    tmp = tempfile.mkdtemp(prefix="tipline-attack.")
    ctx = Ctx(env, tmp)
    tests = ordered(e2e.selected(TESTS, args.only))
    t0 = time.time()
    try:
        ctx.stack.up()
        ctx.aged = fill_pool(ctx, ctx.stack, 24)
        time.sleep(e2e.MIN_SECONDS + 0.1)
        passed, failed = e2e.run_tests(tests, ctx, timed=True)
    except Exception as e:
        passed, failed = 0, e2e.no_stack("attack", tests, e)
    try:
        ctx.stack.down()
    except Exception as e:
        print("attack: down: %s" % e)
        failed += 1
    cleanup(ctx)
    return e2e.finish("attack", passed, failed, args.keep, tmp, t0)


if __name__ == "__main__":
    sys.exit(main())
