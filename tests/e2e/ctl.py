#!/usr/bin/env python3
"""End-to-end tests of tiplinectl's commands (SPEC 7) on a real store.

Starts the local stack (deploy/local/up --detach) in a temporary state
folder, fills its store through the real intake path (POST
/report/api/v1/tips), ages some tips by rewriting tips.received_at with
sqlite3, then drives every tiplinectl command: outputs, JSON shapes,
filters, exit codes and usage errors, purge (the purged text is gone from
the bytes of the database file and its WAL), and the deliveries/redeliver
round trip through tipline-notify and the webhook sink.

    tests/e2e/ctl.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `ctl: N passed, M failed`; exits 1 if
any test failed. Python standard library (and curl, via run.py) only.
"""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

DAY = 86400
MARKER = "PURGE-MARKER-7fq2Zx"
EXPORT_KEYS = ["ref", "received_at", "priority", "concerns", "description",
               "how_known", "location", "other_addresses", "postcode",
               "when", "times", "people", "vehicles", "phones", "handles",
               "child_at_risk", "weapons_seen", "vulnerable_adult",
               "reporter"]
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
USAGES = {
    "init": "init",
    "check": "check",
    "list": "list [--since DATE] [--priority urgent|normal] [--limit N] "
            "[--json]",
    "show": "show REF [--json]",
    "export": "export [--since DATE]",
    "purge": "purge [--older-than DAYS] [--dry-run]",
    "deliveries": "deliveries [--state pending|delivered|dead] | "
                  "--ack REF|WEBHOOK-ID | --ack --all",
    "redeliver": "redeliver REF | --dead",
    "stats": "stats [--json]",
    "backup": "backup DIR [--intake-only] | --rotate",
    "restore": "restore DIR",
}

# The tips the tests submit: (name, JSON body, age in days).
TIPS = [
    ("old_marker", {
        "concerns": ["dealing"],
        "description": "A grey van parks by the garages every night. "
                       + MARKER,
        "location": "Garages behind Elm Road",
        "postcode": "so143jj",
        "phones": "07700 900123, 07700 900456",
        "vulnerable_adult": "no"}, 400),
    ("month_old", {
        "concerns": ["cuckooing", "other"],
        "description": "Strangers have moved into the flat of an old man "
                       "who lives alone upstairs.",
        "location": "Block C, Harbour Estate",
        "vulnerable_adult": "yes", "when": "this_month"}, 40),
    ("urgent_child", {
        "concerns": ["child_exploitation", "dealing"],
        "description": "A boy of about twelve is sent out with small "
                       "packages every evening after school.",
        "location": "Corner shop on Mill Lane",
        "postcode": "SO15",
        "child_at_risk": "yes",
        "people": "Older lad called \"T\", red jacket",
        "vehicles": "Black Audi A3"}, 2),
    ("urgent_now", {
        "concerns": ["weapons"],
        "description": "Two men outside the chip shop, one showed a "
                       "knife to the other right now.",
        "location": "High Street chip shop",
        "when": "now"}, 0),
    ("normal_new", {
        "concerns": ["dealing"],
        "description": "People come and go from the house all day, only "
                       "staying a few minutes each time.",
        "location": "14 Station Road",
        "times": "Weekday afternoons"}, 0),
]


class Ctx:
    """The stack, the tips submitted (name -> ref) and tiplinectl."""

    def __init__(self, stack, client, build):
        self.stack = stack
        self.client = client
        self.ctl_path = os.path.join(build, "tiplinectl")
        self.redate_path = os.path.join(build, "tests", "redate")
        self.conf = stack.path("tipline.conf")
        self.tmp = os.path.dirname(os.path.normpath(stack.state))
        self.refs = {}

    def ctl(self, *args, conf=True):
        cmd = [self.ctl_path] + (["-c", self.conf] if conf else [])
        p = subprocess.run(cmd + list(args), capture_output=True,
                           timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def ok(self, *args):
        rc, out, err = self.ctl(*args)
        check(rc == 0, "tiplinectl %s: exit %d: %s"
              % (" ".join(args), rc, err.strip()))
        return out

    def redate(self, ref, at):
        """Gives ref the time received at (tests/e2e/redate.c)."""
        p = subprocess.run([self.redate_path, self.conf, ref, str(at)],
                           capture_output=True, timeout=60)
        check(p.returncode == 0, "redate %s: %s" % (ref, p.stderr))

    def exec(self, sql, params=()):
        con = e2e.sqlite3.connect(self.stack.path("tipline.db"), timeout=10)
        try:
            con.execute(sql, params)
            con.commit()
        finally:
            con.close()

    def delivery(self, ref):
        rows = self.stack.query(
            "SELECT d.state, d.attempts, d.webhook_id FROM deliveries d"
            " JOIN tips t ON t.id = d.tip_id WHERE t.ref = ?", (ref,))
        return rows[0] if rows else None

    def wait_state(self, ref, state):
        def reached():
            d = self.delivery(ref)
            return d if d and d[0] == state else None
        try:
            return e2e.wait_until(reached, "")
        except Failure:
            raise Failure("delivery of %s not %s after %d s: %r"
                          % (ref, state, e2e.WAIT, self.delivery(ref)))

    def notify_runs(self):
        pid = self.stack.pid("tipline-notify")
        return bool(pid and e2e.pid_alive(pid))


def desk_has(ctx, ref):
    """Whether the desk's store holds ref."""
    try:
        con = sqlite3.connect(ctx.stack.path("staff.db"), timeout=10)
    except sqlite3.Error:
        return False
    try:
        return con.execute("SELECT 1 FROM tips WHERE ref = ?",
                           (ref,)).fetchall()
    except sqlite3.Error:
        return False
    finally:
        con.close()


def fill(ctx):
    """Submits TIPS through the API and ages them in the store."""
    now = int(time.time())
    for i, (name, body, age) in enumerate(TIPS):
        res = ctx.client.post_json(body, record=False)
        check(res.status == 201, "submit %s: %r %r" % (name, res,
                                                       res.body[:300]))
        ref = res.json()["ref"]
        ctx.refs[name] = ref
        # The desk takes it in first: show and export read the desk's
        # copy (SPEC 16), which the helper then changes with the row.
        e2e.wait_until(lambda: desk_has(ctx, ref), "the desk took in %s"
                       % name, timeout=30)
        # Distinct times, in TIPS order, the aged ones days ago. The
        # seal binds the time: a helper seals the tip again for it.
        ctx.redate(ref, now - age * DAY - (len(TIPS) - i))


# --------------------------------------------------------------- tests ---

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def tip_lines(out):
    """The lines of `list` output that are tips (not the heading)."""
    return [l for l in out.splitlines() if e2e.REF_RE.match(l)]


@test
def list_newest_first(ctx):
    out = ctx.ok("list")
    lines = tip_lines(out)
    check(len(lines) == len(TIPS), "%d tip lines: %r" % (len(lines), out))
    order = [l.split()[0] for l in lines]
    want = [ctx.refs[n] for n, _, _ in reversed(TIPS)]
    check(order == want, "order %r, expected %r" % (order, want))
    for line in lines:
        ref, at, prio = line.split()[:3]
        check(RFC3339_UTC.match(at), "time %r" % at)
        urgent = ref in (ctx.refs["urgent_child"], ctx.refs["urgent_now"])
        check(prio == ("URGENT" if urgent else "normal"),
              "%s: priority %r" % (ref, prio))
    line = [l for l in lines if l.startswith(ctx.refs["urgent_child"])][0]
    check("child_exploitation" in line and "SO15" in line,
          "concerns or area missing: %r" % line)
    check(line.split()[-1] in ("pending", "delivered"),
          "delivery state: %r" % line)


@test
def list_filters(ctx):
    lines = tip_lines(ctx.ok("list", "--priority", "urgent"))
    check(sorted(l.split()[0] for l in lines) ==
          sorted([ctx.refs["urgent_child"], ctx.refs["urgent_now"]]),
          "--priority urgent: %r" % lines)
    check(all("URGENT" in l for l in lines), "not all URGENT")
    lines = tip_lines(ctx.ok("list", "--priority=normal", "--limit", "2"))
    check([l.split()[0] for l in lines] ==
          [ctx.refs["normal_new"], ctx.refs["month_old"]],
          "--priority normal --limit 2: %r" % lines)
    since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 10 * DAY))
    lines = tip_lines(ctx.ok("list", "--since", since))
    check(len(lines) == 3, "--since %s: %r" % (since, lines))
    since = time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                          time.gmtime(time.time() - 100 * DAY))
    lines = tip_lines(ctx.ok("list", "--since=" + since))
    check(len(lines) == 4, "--since %s: %r" % (since, lines))


@test
def list_json(ctx):
    doc = json.loads(ctx.ok("list", "--json"))
    check(isinstance(doc, list) and len(doc) == len(TIPS), "%r" % doc)
    for o in doc:
        for k in ("ref", "received_at", "priority", "concerns", "area",
                  "delivery"):
            check(k in o, "list --json: no %r in %r" % (k, o))
        check(isinstance(o["concerns"], list), "concerns %r" % o)
        check(RFC3339_UTC.match(o["received_at"]), "%r" % o)
    by = {o["ref"]: o for o in doc}
    o = by[ctx.refs["old_marker"]]
    check(o["area"] == "SO14" and o["priority"] == "normal"
          and o["concerns"] == ["dealing"], "old tip %r" % o)
    check(by[ctx.refs["urgent_now"]]["area"] is None, "area not null")
    check(by[ctx.refs["urgent_now"]]["priority"] == "urgent", "priority")
    doc = json.loads(ctx.ok("list", "--json", "--since", "2999-01-01"))
    check(doc == [], "empty list --json: %r" % doc)


@test
def show_text(ctx):
    ref = ctx.refs["urgent_child"]
    typed = ref.lower().replace("-", "").replace("0", "o")
    out = ctx.ok("show", typed)
    # Staff read the field table's short names (issue 16: the public's
    # words are in the catalogues).
    for want in (ref, "URGENT", "Description",
                 "A boy of about twelve", "Child at risk",
                 "Older lad called \"T\"", "Black Audi A3",
                 "Child exploitation", "How they know",
                 "(not answered)"):
        check(want in out, "show: %r missing in %r" % (want, out))
    rc, out, err = ctx.ctl("show", "TL-0000-0000")
    check(rc == 1 and "no tip TL-0000-0000" in err and not out,
          "unknown ref: %d %r %r" % (rc, out, err))


@test
def show_json_keys(ctx):
    ref = ctx.refs["old_marker"]
    o = json.loads(ctx.ok("show", ref, "--json"))
    check(list(o) == EXPORT_KEYS, "keys %r" % list(o))
    check(o["phones"] == ["+447700900123", "+447700900456"],
          "phones %r" % o["phones"])
    check(o["postcode"] == "SO14 3JJ" and o["when"] is None, "%r" % o)


@test
def export_lines(ctx):
    out = ctx.ok("export")
    lines = out.splitlines()
    check(len(lines) == len(TIPS), "%d lines" % len(lines))
    docs = [json.loads(l) for l in lines]
    for o in docs:
        check(list(o) == EXPORT_KEYS, "keys %r" % list(o))
        check(isinstance(o["concerns"], list) and o["concerns"],
              "concerns %r" % o["concerns"])
        check(o["phones"] is None or isinstance(o["phones"], list),
              "phones %r" % o["phones"])
        check(RFC3339_UTC.match(o["received_at"]), "%r" % o)
        check(o["priority"] in ("urgent", "normal"), "%r" % o)
    check([o["ref"] for o in docs] == [ctx.refs[n] for n, _, _ in TIPS],
          "export is not oldest first")
    o = docs[3]
    check(o["when"] == "now" and o["priority"] == "urgent"
          and o["times"] is None and o["weapons_seen"] is None
          and o["phones"] is None, "urgent_now %r" % o)
    since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 10 * DAY))
    lines = ctx.ok("export", "--since", since).splitlines()
    check(len(lines) == 3, "--since: %d lines" % len(lines))


@test
def usage_errors(ctx):
    for cmd, usage in USAGES.items():
        rc, out, err = ctx.ctl(cmd, "--bogus")
        check(rc == 2, "%s --bogus: exit %d" % (cmd, rc))
        check(err.startswith("tiplinectl: ") and "--bogus" in err,
              "%s --bogus: %r" % (cmd, err))
        check("usage: tiplinectl [-c FILE] " + usage in err,
              "%s: no usage line in %r" % (cmd, err))
        check(not out, "%s --bogus wrote %r" % (cmd, out))
    bad = [
        ("list", "--since", "yesterday"), ("list", "--since", "2026-02-30"),
        ("list", "--since"), ("list", "--priority", "high"),
        ("list", "--limit", "0"), ("list", "--limit", "ten"),
        ("list", "--limit", "99999999999999999999"), ("list", "extra"),
        ("list", "--json", "--json"), ("show",), ("show", "not-a-ref!"),
        ("show", "TL-0000-0000", "TL-1111-1111"),
        ("export", "--since", "2026-01-01T10:00:00"),
        ("purge", "--older-than", "-1"), ("purge", "--older-than", "x"),
        ("purge", "--dry-run=yes"), ("deliveries", "--state", "lost"),
        ("redeliver",), ("redeliver", "--dead", "TL-0000-0000"),
        ("stats", "--json=1"), ("init", "x"), ("check", "x"),
    ]
    for args in bad:
        rc, out, err = ctx.ctl(*args)
        check(rc == 2 and err.startswith("tiplinectl: ")
              and "usage: tiplinectl" in err,
              "%s: exit %d, %r" % (" ".join(args), rc, err))
    rc, _, err = ctx.ctl("frobnicate")
    check(rc == 2 and "unknown command" in err, "unknown command: %d" % rc)
    rc, _, err = ctx.ctl(conf=False)
    check(rc == 2 and "usage:" in err, "no command: %d" % rc)
    # A usage error is found before the config is read.
    rc, _, err = ctx.ctl("-c", "/nonexistent/tipline.conf", "list", "-x",
                         conf=False)
    check(rc == 2, "usage error without config: %d %r" % (rc, err))
    rc, _, err = ctx.ctl("-c", "/nonexistent/tipline.conf", "list",
                         conf=False)
    check(rc == 1 and "/nonexistent/tipline.conf" in err,
          "missing config: %d %r" % (rc, err))


def scratch(ctx, templates=e2e.TEMPLATES):
    """A fresh folder with a config whose store and keys are in it (none
    exist yet); returns (folder, config path)."""
    d = tempfile.mkdtemp(prefix="scratch.", dir=ctx.tmp)
    conf = os.path.join(d, "tipline.conf")
    with open(conf, "w") as f:
        f.write("database = %s\ntemplates = %s\nform_key_file = %s\n"
                "webhook_secret_file = %s\nstaff_public_key_file = %s\n"
                "staff_secret_key_file = %s\n"
                % (os.path.join(d, "db", "tipline.db"), templates,
                   os.path.join(d, "form.key"),
                   os.path.join(d, "webhook.secret"),
                   os.path.join(d, "staff.pub"),
                   os.path.join(d, "staff.key")))
    return d, conf


def listing(d):
    return sorted(os.path.relpath(os.path.join(r, n), d)
                  for r, ds, fs in os.walk(d) for n in ds + fs)


@test
def check_creates_nothing(ctx):
    """check on a deployment without a store says so and creates none
    (nor its folder, nor a -wal or -shm beside it)."""
    d, conf = scratch(ctx)
    os.mkdir(os.path.join(d, "db"))
    before = listing(d)
    rc, out, err = ctx.ctl("-c", conf, "check", conf=False)
    check(rc == 1, "check without a store: exit %d" % rc)
    check(re.search(r"^error: store .*tipline\.db: No such file", out,
                    re.M), "check did not say the store is missing: %r"
          % out)
    check(listing(d) == before, "check created %r"
          % sorted(set(listing(d)) - set(before)))


def nginx_error_pages():
    """Every file under templates/errors/ that an error_page of the
    shipped nginx config names (through a location's alias if it has
    one), with $tipline_errors (tipline-http.conf's map) taking each of
    its values."""
    with open(os.path.join(e2e.REPO, "deploy", "nginx",
                           "tipline-server.conf")) as f:
        conf = f.read()
    with open(os.path.join(e2e.REPO, "deploy", "nginx",
                           "tipline-http.conf")) as f:
        http = f.read()
    m = re.search(r"^map \$request \$tipline_errors \{(.*?)^\}", http,
                  re.M | re.S)
    check(m, "tipline-http.conf: no map for $tipline_errors")
    folders = set(re.findall(r"\s(/report/_errors\S*);", m.group(1)))
    check(folders, "no folders in the map of $tipline_errors")
    aliased = dict(re.findall(r"location = /report/_errors/(\S+) \{[^}]*"
                              r"alias [^;]*/templates/errors/([^;]+);",
                              conf))
    named = set()
    for uri in re.findall(r"^\s*error_page [^;]* (\S+);", conf, re.M):
        if uri.startswith("$tipline_errors/"):
            named |= set(f + uri[len("$tipline_errors"):] for f in folders)
        else:
            named.add(uri)
    check(all(n.startswith("/report/_errors/") for n in named),
          "error_page outside /report/_errors/: %r" % sorted(named))
    named = set(n[len("/report/_errors/"):] for n in named)
    return sorted(aliased.get(n, n) for n in named)


@test
def check_error_pages(ctx):
    """check finds each static error page nginx answers with missing."""
    pages = nginx_error_pages()
    check(len(pages) >= 8, "error pages in the nginx config: %r" % pages)
    # Each English HTML page has its Welsh one (SPEC 14).
    for page in pages:
        if "/" not in page and page.endswith(".html"):
            check("cy/" + page in pages, "no Welsh %s among %r"
                  % (page, pages))
    d = tempfile.mkdtemp(prefix="templates.", dir=ctx.tmp)
    templates = os.path.join(d, "templates")
    shutil.copytree(e2e.TEMPLATES, templates)
    _, conf = scratch(ctx, templates)
    rc, out, err = ctx.ctl("-c", conf, "init", conf=False)
    check(rc == 0, "init: %d %r" % (rc, err))
    rc, out, err = ctx.ctl("-c", conf, "check", conf=False)
    check(rc == 0, "check of a whole deployment: %d %r" % (rc, out))
    for page in pages:
        path = os.path.join(templates, "errors", page)
        check(os.path.isfile(path), "templates/errors/%s missing" % page)
        os.rename(path, path + ".away")
        try:
            rc, out, err = ctx.ctl("-c", conf, "check", conf=False)
        finally:
            os.rename(path + ".away", path)
        check(rc == 1 and re.search(r"^error: .*%s" % re.escape(path),
                                    out, re.M),
              "check without errors/%s: exit %d %r" % (page, rc, out))
    # The static pages hold the phone numbers: a number changed in the
    # config and not in them is named, for each HTML page (SPEC 9, 14).
    with open(conf, "a") as f:
        f.write("textphone = 18001 0300 123 4567\n")
    rc, out, err = ctx.ctl("-c", conf, "check", conf=False)
    html = [p for p in pages if p.endswith(".html")]
    named = re.findall(r"^error: error page \S*/errors/(\S+) does not give "
                       r"textphone 18001 0300 123 4567", out, re.M)
    check(rc == 1 and sorted(named) == sorted(html),
          "check with another textphone: exit %d, named %r of %r: %r"
          % (rc, named, html, out))


@test
def init_refuses_symlinks(ctx):
    """init runs as root in a folder the service users can write to: a
    symbolic link where the store, a file beside it or a key file should
    be, pointing at a file that does not exist, is refused (exit 1, the
    link named) and its target never created."""
    names = {"store": os.path.join("db", "tipline.db"),
             "store's WAL": os.path.join("db", "tipline.db-wal"),
             "form key": "form.key", "webhook secret": "webhook.secret"}
    for what, name in names.items():
        d, conf = scratch(ctx)
        os.mkdir(os.path.join(d, "db"))
        link, target = os.path.join(d, name), os.path.join(d, "target")
        os.symlink(target, link)
        rc, out, err = ctx.ctl("-c", conf, "init", conf=False)
        check(rc == 1, "init with the %s a link: exit %d %r" % (what, rc,
                                                              out))
        check("%s is a symbolic link: refused" % link in err,
              "init with the %s a link said %r" % (what, err))
        check(not os.path.lexists(target),
              "init created the %s's link target" % what)
        check(os.path.islink(link), "the %s's link was replaced" % what)


@test
def help_options(ctx):
    """-h and --help print the usage on stdout and exit 0, for all three
    programs (Debian's convention); after a command, its usage line."""
    build = os.path.dirname(ctx.ctl_path)
    for prog, want in (("tiplinectl", "usage: tiplinectl [-c FILE] command"),
                       ("tipline.fcgi", "usage: tipline.fcgi [-c FILE]"),
                       ("tipline-notify",
                        "usage: tipline-notify [-c FILE] [--once]")):
        for opt in ("-h", "--help"):
            p = subprocess.run([os.path.join(build, prog), opt],
                               capture_output=True, timeout=30)
            out, err = p.stdout.decode(), p.stderr.decode()
            check(p.returncode == 0 and out.startswith(want) and not err,
                  "%s %s: exit %d, out %r, err %r"
                  % (prog, opt, p.returncode, out, err))
    for cmd, usage in USAGES.items():
        rc, out, err = ctx.ctl(cmd, "--help")
        check(rc == 0 and out == "usage: tiplinectl [-c FILE] %s\n" % usage
              and not err, "%s --help: exit %d, %r %r" % (cmd, rc, out, err))


@test
def deliveries_listed(ctx):
    if ctx.notify_runs():
        for name, _, _ in TIPS:
            ctx.wait_state(ctx.refs[name], "delivered")
        state = "delivered"
    else:
        state = "pending"
    out = ctx.ok("deliveries")
    check(out.splitlines()[0].startswith("REF"), "no heading: %r" % out)
    # Each tip's own delivery; the desk may have queued a reminder for an
    # aged urgent tip nobody opened (SPEC 12), a delivery of that tip too.
    want = set(ctx.refs.values())
    lines = tip_lines(out)
    check({l.split()[0] for l in lines} == want and
          len(lines) >= len(TIPS), "%d deliveries: %r" % (len(lines), out))
    check(all(l.split()[2] in (state, "pending") for l in lines),
          "states: %r" % lines)
    check(tip_lines(ctx.ok("deliveries", "--state", "dead")) == [],
          "dead deliveries listed")
    lines = tip_lines(ctx.ok("deliveries", "--state=" + state))
    check({l.split()[0] for l in lines} == want, "--state %s: %r"
          % (state, lines))


def sink_ids(ctx, ref):
    """webhook-id of every request the sink got about ref."""
    ids = []
    try:
        with open(ctx.stack.path("webhook.log")) as f:
            for line in f:
                entry = json.loads(line)
                if ref in entry.get("body", ""):
                    ids.append(entry["headers"].get("webhook-id"))
    except FileNotFoundError:
        pass
    return ids


@test
def redeliver_round_trip(ctx):
    ref = ctx.refs["month_old"]
    # Its first delivery over first: one the notifier holds while it is
    # marked dead below would come back delivered, and nothing be dead.
    before = ctx.wait_state(ref, "delivered") if ctx.notify_runs() else \
        ctx.delivery(ref)
    ctx.exec("UPDATE deliveries SET state = 'dead', attempts = 8,"
             " last_status = 410, last_error = 'gone' WHERE tip_id ="
             " (SELECT id FROM tips WHERE ref = ?)", (ref,))
    lines = tip_lines(ctx.ok("deliveries", "--state", "dead"))
    check(len(lines) == 1 and lines[0].split()[:4] ==
          [ref, "tip.received", "dead", "8"]
          and "410" in lines[0] and "gone" in lines[0],
          "dead list: %r" % lines)
    out = ctx.ok("redeliver", "--dead")
    check("queued 1 " in out, "redeliver --dead said %r" % out)
    d = ctx.delivery(ref)
    check(d[2] == before[2], "webhook id changed")
    if ctx.notify_runs():
        d = ctx.wait_state(ref, "delivered")
        check(d[1] == 1, "attempts after redelivery: %r" % (d,))
        e2e.wait_until(lambda: len(sink_ids(ctx, ref)) >= 2,
                       "the sink did not get %s a second time" % ref)
        ids = sink_ids(ctx, ref)
        check(len(ids) >= 2 and len(set(ids)) == 1 and ids[0] == before[2],
              "sink got %r for %s (webhook id %s)" % (ids, ref, before[2]))
    else:
        check(d[0] == "pending" and d[1] == 0, "after redeliver: %r" % (d,))
    out = ctx.ok("redeliver", ref.lower())
    check("queued 1 " in out, "redeliver REF said %r" % out)
    if ctx.notify_runs():
        ctx.wait_state(ref, "delivered")
    out = ctx.ok("redeliver", "--dead")
    check("queued 0 " in out, "nothing dead: %r" % out)
    rc, _, err = ctx.ctl("redeliver", "TL-0000-0000")
    check(rc == 1 and "no tip" in err, "unknown ref: %d %r" % (rc, err))


@test
def stats_counts(ctx):
    o = json.loads(ctx.ok("stats", "--json"))
    check(o["total"] == len(TIPS), "total %r" % o)
    check(o["by_priority"] == {"urgent": 2, "normal": 3}, "%r" % o)
    c = o["by_concern"]
    check(c["dealing"] == 3 and c["weapons"] == 1 and c["cuckooing"] == 1
          and c["child_exploitation"] == 1 and c["other"] == 1, "%r" % c)
    check(sum(o["by_day"].values()) == len(TIPS), "by_day %r" % o)
    check(all(re.match(r"^\d{4}-\d\d-\d\d$", k) for k in o["by_day"]),
          "by_day keys %r" % o["by_day"])
    out = ctx.ok("stats")
    check("tips %d" % len(TIPS) in out and "by concern" in out
          and "by day" in out, "stats text %r" % out)


def store_bytes(ctx):
    """The bytes of the database file and of its WAL."""
    data = {}
    for suffix in ("", "-wal"):
        path = ctx.stack.path("tipline.db" + suffix)
        try:
            with open(path, "rb") as f:
                data["tipline.db" + suffix] = f.read()
        except FileNotFoundError:
            data["tipline.db" + suffix] = b""
    return data


@test
def purge_dry_run_deletes_nothing(ctx):
    count = ctx.stack.tip_count()
    out = ctx.ok("purge", "--older-than", "30", "--dry-run")
    check(out.startswith("would delete 2 tips"), "dry run said %r" % out)
    out = ctx.ok("purge", "--dry-run")   # retention_days: 365
    check(out.startswith("would delete 1 tip "), "dry run said %r" % out)
    check(ctx.stack.tip_count() == count, "the dry run deleted tips")


@test
def purge_removes_content(ctx):
    old = [ctx.refs["old_marker"], ctx.refs["month_old"]]
    # Sealed (SPEC 11): the words are never in the store's files; the
    # sealed blob's bytes are, until the purge removes them.
    check(not any(MARKER.encode() in b for b in store_bytes(ctx).values()),
          "the marker is in the store in plaintext")
    runs = [ctx.stack.query("SELECT substr(sealed, 200, 48) FROM tips"
                            " WHERE ref = ?", (ref,))[0][0] for ref in old]
    check(all(any(r in b for b in store_bytes(ctx).values()) for r in runs),
          "the sealed tips are not in the store to begin with")
    out = ctx.ok("purge", "--older-than", "30")
    check(out.startswith("deleted 2 tips"), "purge said %r" % out)
    for ref in old:
        check(ctx.stack.tips_with_ref(ref) == 0, "%s still stored" % ref)
        check(ctx.delivery(ref) is None, "%s: delivery left" % ref)
    n = ctx.stack.query("SELECT count(*) FROM deliveries d LEFT JOIN tips t"
                        " ON t.id = d.tip_id WHERE t.id IS NULL")[0][0]
    check(n == 0, "%d orphan deliveries" % n)
    for name, data in store_bytes(ctx).items():
        check(not any(r in data for r in runs), "%s still holds a purged"
              " tip's sealed bytes" % name)
    rc, _, err = ctx.ctl("show", old[0])
    check(rc == 1, "show of a purged tip: exit %d" % rc)
    check(ctx.stack.tip_count() == len(TIPS) - 2, "others deleted too")
    out = ctx.ok("purge", "--older-than", "0")
    check(out.startswith("deleted %d tips" % (len(TIPS) - 2)),
          "purge 0 said %r" % out)
    check(ctx.stack.tip_count() == 0, "purge 0 left tips")
    check(ctx.ok("export") == "", "export after purge not empty")


@test
def bidi_shown_not_obeyed(ctx):
    """A tip whose number would read reversed (U+202E) and that holds
    U+2028, sent through the real API: kept as written (export gives it
    back), shown as markers by show, and exported as one line."""
    body = {"concerns": ["dealing"],
            "description": "Ring \u202e321 009 00770\u202c about it"
                           "\u2028then\u200bmore",
            "location": "Flat \u20662\u2069, Dock Street"}
    res = ctx.client.post_json(body, record=False)
    check(res.status == 201, "submit: %r %r" % (res, res.body[:300]))
    ref = res.json()["ref"]
    out = ctx.ok("show", ref)
    for want in ("Ring \u27e8U+202E\u27e9321 009 00770\u27e8U+202C\u27e9",
                 "\u27e8U+2028\u27e9then\u27e8U+200B\u27e9more",
                 "Flat \u27e8U+2066\u27e92\u27e8U+2069\u27e9, Dock"):
        check(want in out, "show: %r missing in %r" % (want, out))
    for raw in "\u202e\u202c\u2028\u200b\u2066\u2069":
        check(raw not in out, "show printed U+%04X raw" % ord(raw))
    out = ctx.ok("export")
    # str.splitlines() also splits on U+2028 and U+2029.
    check(out.splitlines() == out.split("\n")[:-1], "export split: %r"
          % out)
    line = [l for l in out.splitlines() if ref in l]
    check(len(line) == 1 and "\\u2028" in line[0]
          and "\u2028" not in line[0], "export: %r" % out)
    check(json.loads(line[0])["description"] == body["description"],
          "export changed the text: %r" % line[0])


# -------------------------------------------------------------- runner ---

def main():
    args = e2e.parse_args(__doc__)
    env = dict(os.environ, TIPLINE_BUILD=args.build)
    tmp = tempfile.mkdtemp(prefix="tipline-ctl.")
    port = e2e.free_port_pair()
    stack = e2e.Stack(os.path.join(tmp, "state"), port, env)
    ctx = Ctx(stack, e2e.Client(port, tmp), args.build)
    # The tests depend on each other's order (purge last): a filter only
    # skips tests, it does not reorder them.
    tests = e2e.selected(TESTS, args.only)
    t0 = time.time()
    try:
        stack.up()
        fill(ctx)
        passed, failed = e2e.run_tests(tests, ctx)
    except Exception as e:
        passed, failed = 0, e2e.no_stack("ctl", tests, e)
    try:
        stack.down()
    except Exception as e:
        print("ctl: down: %s" % e)
        failed += 1
    return e2e.finish("ctl", passed, failed, args.keep, tmp, t0)


if __name__ == "__main__":
    sys.exit(main())
