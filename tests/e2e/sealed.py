#!/usr/bin/env python3
"""End-to-end tests of the sealed store (SPEC 11) through real nginx.

Starts the local stack (deploy/local/up --detach) in a temporary state
folder and submits tips carrying unique markers in every field a person
writes, through the form and the API (and a 422 page that echoes them).
Then: no marker is in any byte of the store, its WAL and shared memory, a
log, or any other file under the state folder; tipline.fcgi's memory,
read through /proc/PID/mem (as root), holds none of them either;
`tiplinectl show` and `export` give them back with the staff secret key
and fail, naming the key, without it; tipline.fcgi and tipline-notify
start, take tips and deliver them with the secret key absent.

    tests/e2e/sealed.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `sealed: N passed, M failed`; exits 1
if any test failed. Python standard library (and curl, via run.py) only.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check

# One marker a field, unlike anything else in the stack's files.
FORM = {
    "description": "FORMDESC-Kx7q the flat above the launderette",
    "location": "FORMLOC-Kx7q Mill Lane",
    "times": "FORMTIMES-Kx7q after ten",
    "people": "FORMPEOPLE-Kx7q a tall man",
    "vehicles": "FORMCAR-Kx7q silver estate",
    "phones": "07700 900871",
    "postcode": "so157xq",
    "other_addresses": "FORMADDR-Kx7q 2 Dock Road",
    "handles": "@formhandle_Kx7q",
    "how_known": "saw",
    "reporter": "young_person",
}
API = {
    "description": "APIDESC-Kx7q packages handed over by the bins",
    "location": "APILOC-Kx7q Dock Street",
    "times": "APITIMES-Kx7q mornings",
    "people": "APIPEOPLE-Kx7q two lads",
    "vehicles": "APICAR-Kx7q black hatchback",
    "phones": "07700 900872",
    "postcode": "SO16 4GX",
    "other_addresses": "APIADDR-Kx7q 9 Quay Lane",
    "handles": "@apihandle_Kx7q",
}
ECHO = "ECHODESC-Kx7q typed into a form that came back"
# How each can appear in bytes: as written, and as the store would have
# normalised it (phone numbers, postcodes).
MARKERS = [v for v in list(FORM.values()) + list(API.values())
           if "Kx7q" in v] + [ECHO, "447700900871", "447700900872",
                              "7700 900871", "7700 900872", "SO15 7XQ",
                              "SO16 4GX", "so157xq"]
# In files only: a choice's name is in the program's own memory, but
# "young person" next to an area can identify a child (SPEC 11).
FILE_MARKERS = MARKERS + ["young_person"]


def all_files(top):
    for root, _, files in os.walk(top):
        for n in files:
            p = os.path.join(root, n)
            if os.path.isfile(p) and not os.path.islink(p):
                yield p


def holding(paths):
    """(path, marker) for every file marker in the bytes of paths."""
    found = []
    for p in paths:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            continue
        found += [(p, m) for m in FILE_MARKERS if m.encode() in data]
    return found


class Ctx:
    def __init__(self, stack, client, build):
        self.stack = stack
        self.client = client
        self.build = build
        self.refs = []

    def ctl(self, *args):
        p = subprocess.run([os.path.join(self.build, "tiplinectl"), "-c",
                            self.stack.path("tipline.conf")] + list(args),
                           capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def submit_all(ctx):
    """A form tip, an API tip and a 422 page, all with markers."""
    token = e2e.token_of(ctx.client.get("/report/"))
    time.sleep(e2e.MIN_SECONDS + 0.05)
    pairs = e2e.valid_pairs(token, **FORM)
    res = ctx.client.post_form(pairs, record=False)
    check(res.status == 200, "form: %r" % res)
    ctx.refs.append(e2e.ref_of(res))
    res = ctx.client.post_json(e2e.valid_json(**API), record=False)
    check(res.status == 201, "api: %r %r" % (res, res.body[:200]))
    ctx.refs.append(res.json()["ref"])
    res = ctx.client.post_form(e2e.valid_pairs(None, description=ECHO),
                               record=False)
    check(res.status == 422 and ECHO.encode() in res.body,
          "the 422 page did not echo: %r" % res)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def no_marker_in_any_file(ctx):
    """No byte of the store, its WAL or shared memory, a log, nginx's
    temporary files or anything else under the state folder holds what
    was written."""
    ctx.stack.query("SELECT count(*) FROM tips")     # WAL and shm exist
    files = list(all_files(ctx.stack.state))
    check(any(p.endswith("tipline.db-wal") for p in files), "no WAL seen")
    found = holding(files)
    check(not found, "plaintext in files: %r" % found[:5])
    n = ctx.stack.query("SELECT count(*) FROM tips WHERE ref IN (?, ?)",
                        tuple(ctx.refs))[0][0]
    check(n == 2, "the tips are not stored (%d)" % n)


@test
def process_memory_holds_none(ctx):
    """tipline.fcgi's memory (every readable mapping of /proc/PID/mem)
    holds no marker after the tips and the 422 page: buffers wiped, freed
    memory overwritten (GLIBC_TUNABLES as the units set it)."""
    if os.geteuid() != 0:
        return "SKIPPED: reading another process's memory needs root"
    pid = ctx.stack.pid("tipline.fcgi")
    check(pid and e2e.pid_alive(pid), "tipline.fcgi is not running")
    try:
        found, mapped = e2e.memory_holds(pid, [mk.encode() for mk in
                                               MARKERS])
    except e2e.Skip as e:
        return "SKIPPED: %s" % e
    found = {mk.decode() for mk in found}
    check(mapped > 1 << 20, "read only %d bytes of its memory" % mapped)
    check(not found, "tipline.fcgi's memory holds %r" % sorted(found))
    return "%d MB read" % (mapped >> 20)


@test
def show_and_export_with_the_key(ctx):
    rc, out, err = ctx.ctl("show", ctx.refs[0])
    check(rc == 0, "show: %d %s" % (rc, err))
    for k in ("description", "location", "times", "people", "vehicles",
              "other_addresses", "handles"):
        check(FORM[k] in out, "show lacks %r" % FORM[k])
    check("SO15 7XQ" in out and "+447700900871" in out, "show: %r" % out)
    rc, out, err = ctx.ctl("export")
    check(rc == 0, "export: %d %s" % (rc, err))
    docs = {json.loads(l)["ref"]: json.loads(l) for l in out.splitlines()}
    api = docs[ctx.refs[1]]
    for k in ("description", "location", "times", "people", "vehicles",
              "other_addresses", "handles"):
        check(api[k] == API[k], "export %s: %r" % (k, api[k]))
    check(api["phones"] == ["+447700900872"], "export: %r" % api)


@test
def without_the_key(ctx):
    """Without the secret key: show and export fail naming the key and
    print nothing of the tip; list, stats and deliveries work; and the
    services start, take a tip and deliver it."""
    key = ctx.stack.path("staff.key")
    os.rename(key, key + ".away")
    try:
        for args in (("show", ctx.refs[0]), ("export",)):
            rc, out, err = ctx.ctl(*args)
            check(rc == 1 and "staff.key" in err and out == "",
                  "%s without the key: %d %r %r" % (args[0], rc, out, err))
        for args in (("list",), ("stats",), ("deliveries",)):
            rc, out, err = ctx.ctl(*args)
            check(rc == 0, "%s without the key: %d %s" % (args[0], rc,
                                                         err))
        ctx.stack.down()
        ctx.stack.up()
        res = ctx.client.post_json(e2e.valid_json(), record=False)
        check(res.status == 201, "submit without the key: %r" % res)
        ref = res.json()["ref"]

        def delivered():
            return ref.encode() in open(ctx.stack.path("webhook.log"),
                                        "rb").read()
        e2e.wait_until(delivered, "%s not delivered without the key" % ref)
    finally:
        os.rename(key + ".away", key)
    rc, out, err = ctx.ctl("show", ref)
    check(rc == 0 and "Station forecourt" in out, "show: %d %s" % (rc, err))


@test
def fcgi_refuses_without_public_key(ctx):
    """tipline.fcgi never stores a tip unsealed: no public key, no start."""
    conf = os.path.join(os.path.dirname(ctx.stack.state), "nopub.conf")
    with open(ctx.stack.path("tipline.conf")) as f:
        text = f.read()
    text = re.sub(r"(?m)^staff_public_key_file = .*$",
                  "staff_public_key_file = %s" %
                  ctx.stack.path("missing.pub"), text)
    text = re.sub(r"(?m)^listen = .*$", "listen = %s" % os.path.join(
        os.path.dirname(ctx.stack.state), "nopub.sock"), text)
    with open(conf, "w") as f:
        f.write(text)
    p = subprocess.run([os.path.join(ctx.build, "tipline.fcgi"), "-c",
                        conf], capture_output=True, timeout=30)
    check(p.returncode == 1 and b"missing.pub" in p.stderr,
          "tipline.fcgi without the public key: %d %r" % (p.returncode,
                                                          p.stderr))


def main():
    args = e2e.parse_args(__doc__)
    env = dict(os.environ, TIPLINE_BUILD=args.build)
    tmp = tempfile.mkdtemp(prefix="tipline-sealed.")
    port = e2e.free_port_pair()
    stack = e2e.Stack(os.path.join(tmp, "state"), port, env)
    ctx = Ctx(stack, e2e.Client(port, tmp), args.build)
    tests = e2e.selected(TESTS, args.only)
    t0 = time.time()
    try:
        stack.up()
        submit_all(ctx)
        passed, failed = e2e.run_tests(tests, ctx)
    except Exception as e:
        passed, failed = 0, e2e.no_stack("sealed", tests, e)
    try:
        stack.down()
    except Exception as e:
        print("sealed: down: %s" % e)
        failed += 1
    return e2e.finish("sealed", passed, failed, args.keep, tmp, t0)


if __name__ == "__main__":
    sys.exit(main())
