#!/usr/bin/env python3
"""End-to-end tests of SPEC 15, "nothing fails silently", through real
nginx and a real receiver (notify.py's World): the notifier's heartbeat in
/metrics and `tiplinectl check`, an urgent tip waiting too long, dead
deliveries until acknowledged, a flood folded into tips.digest
notifications, and a backup taken under load that restores.

    tests/e2e/watch.py [--build DIR] [--keep] [TEST...]

Prints one line per test and `watch: N passed, M failed`; exits 1 if any
failed. Everything listens on 127.0.0.1.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402
import notify  # noqa: E402

Failure = e2e.Failure
check = e2e.check
wait_until = e2e.wait_until
Action = notify.Action
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def ctl(w, conf, *args):
    """tiplinectl -c conf args: (status, stdout + stderr)."""
    p = subprocess.run([os.path.join(w.run.build, "tiplinectl"), "-c", conf]
                       + list(args), capture_output=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).decode()


def metric(w, name, label=None):
    res = w.client.get("/report/metrics", record=False)
    check(res.status == 200, "metrics: %r" % res)
    pat = re.escape(name) + (r"\{%s\}" % re.escape(label) if label else "")
    m = re.search(r"^%s (\S+)$" % pat, res.text, re.M)
    check(m, "%s%s missing from /metrics" % (name, label or ""))
    return float(m.group(1))


def check_fails(w, conf, words):
    rc, out = ctl(w, conf, "check")
    check(rc == 1 and words in out, "check: exit %d, no %r in:\n%s"
          % (rc, words, out[-600:]))


def check_passes(w, conf):
    rc, out = ctl(w, conf, "check")
    check(rc == 0, "check: exit %d:\n%s" % (rc, out[-600:]))


@test
def heartbeat_stale(w):
    """A running notifier keeps the heartbeat fresh; killed, the age grows
    and check fails naming it once 60 s have passed; back, it passes."""
    conf = w.conf()
    n = w.notifier(conf)
    wait_until(lambda: w.stack.query("SELECT count(*) FROM heartbeats")
               [0][0] == 1, "no heartbeat")
    check(metric(w, "tipline_notifier_heartbeat_age_seconds") <= 11,
          "heartbeat not fresh")
    check_passes(w, conf)
    # At most one write every 10 s, not one a poll (poll_ms 100).
    at = w.stack.query("SELECT at FROM heartbeats")[0][0]
    time.sleep(2)
    check(w.stack.query("SELECT at FROM heartbeats")[0][0] in (at, at + 10),
          "heartbeat written more often than every 10 s")
    n.kill9()
    a = metric(w, "tipline_notifier_heartbeat_age_seconds")
    time.sleep(2.2)
    b = metric(w, "tipline_notifier_heartbeat_age_seconds")
    check(b >= a + 2, "heartbeat age did not grow: %s then %s" % (a, b))
    # 60 s more, without waiting them: the beat moved back in time.
    con = sqlite3.connect(w.stack.path("tipline.db"), timeout=10)
    with con:
        con.execute("UPDATE heartbeats SET at = at - 60")
    con.close()
    check(metric(w, "tipline_notifier_heartbeat_age_seconds") > 60,
          "metric not past 60")
    check_fails(w, conf, "tipline-notify last ran")
    w.notifier(conf)
    wait_until(lambda: ctl(w, conf, "check")[0] == 0,
               "check still fails with the notifier back")


@test
def urgent_waiting(w):
    """An urgent tip pending past alert_urgent_after fails check (and shows
    in tipline_oldest_pending_seconds); delivered, check passes."""
    conf = w.conf(alert_urgent_after="2s")
    w.receiver.policy = lambda req: Action(500)
    n = w.notifier(w.conf(alert_urgent_after="2s", retry_schedule="30s"))
    ref = w.submit(child_at_risk="yes")
    time.sleep(3.2)
    check(metric(w, "tipline_oldest_pending_seconds",
                 'priority="urgent"') >= 3, "oldest urgent not counted")
    check_fails(w, conf, "an urgent tip has waited")
    n.stop()
    w.receiver.policy = lambda req: notify.OK
    check(ctl(w, conf, "redeliver", ref)[0] == 0, "redeliver")
    w.notifier(conf)
    w.wait_states({ref: "delivered"})
    check(metric(w, "tipline_oldest_pending_seconds",
                 'priority="urgent"') == 0, "oldest urgent not 0")
    check_passes(w, conf)


@test
def dead_until_acknowledged(w):
    """A dead delivery fails check until acknowledged, by ref or --all."""
    conf = w.conf()
    w.receiver.policy = lambda req: Action(410)
    a, b = w.submit(), w.submit()
    check(w.once(conf) == 1, "--once after 410 not 1")
    w.wait_states({a: "dead", b: "dead"}, 1)
    check(metric(w, "tipline_dead_unacknowledged") == 2, "dead metric")
    w.notifier(conf)                # a fresh heartbeat: only dead fails
    check_fails(w, conf, "2 dead deliveries not acknowledged")
    rc, out = ctl(w, conf, "deliveries", "--ack", a)
    check(rc == 0 and "acknowledged 1" in out, "--ack REF: %d %s"
          % (rc, out))
    check_fails(w, conf, "1 dead delivery not acknowledged")
    rc, out = ctl(w, conf, "deliveries", "--ack", "TL-0000-0000")
    check(rc == 1, "--ack of an unknown ref: %d" % rc)
    rc, out = ctl(w, conf, "deliveries", "--ack", "--all")
    check(rc == 0 and "acknowledged 1" in out, "--ack --all: %s" % out)
    check(metric(w, "tipline_dead_unacknowledged") == 0, "dead metric")
    check_passes(w, conf)


@test
def flood_digest(w):
    """100 normal tips in a burst with digest_after = 30: 30 one by one
    and the rest in digests (one, so 31 notifications, when the burst
    came within a digest's hold), every ref in exactly one, urgent tips
    one by one; digests signed, with link, no content."""
    conf = w.conf(digest_after=30, staff_url="https://desk.example/staff")
    w.notifier(conf)
    urgent = []
    normal = []
    for i in range(100):
        normal.append(w.submit(description="flood tip %03d: the same car "
                               "again outside" % i, weapons_seen="no"))
        if i % 25 == 0:
            urgent.append(w.submit(child_at_risk="yes"))
    w.wait_states({r: "delivered" for r in normal + urgent},
                  notify.WAIT + 15)
    time.sleep(0.5)
    reqs = w.receiver.requests()
    seen = {}
    digests = 0
    for req in reqs:
        w.check_signed(req)
        doc = req.doc()
        d = doc["data"]
        if doc["type"] == "tips.digest":
            digests += 1
            check(set(d) == {"count", "refs", "from", "to", "link"},
                  "digest data keys %r" % sorted(d))
            check(d["count"] == len(d["refs"]) <= 100, "digest count")
            check(d["link"] == "https://desk.example/staff/", "digest link")
            refs = d["refs"]
            for r in refs:
                w.check_no_text(r, req.body, "a digest")
        else:
            check(doc["type"] == "tip.received", "type %r" % doc["type"])
            check(d["link"] == "https://desk.example/staff/tips/" +
                  d["ref"], "tip link %r" % d.get("link"))
            refs = [d["ref"]]
        for r in refs:
            seen[r] = seen.get(r, 0) + 1
    check(all(seen.get(r) == 1 for r in normal + urgent),
          "refs not each in exactly one notification: %r" %
          {r: seen.get(r) for r in normal + urgent if seen.get(r) != 1})
    for u in urgent:
        check(any(r.ref == u and r.doc()["type"] == "tip.received"
                  for r in reqs), "urgent %s not sent alone" % u)
    n_normal = len(reqs) - len(urgent)
    # A digest gathers for TL_DIGEST_HOLD seconds, then goes, and a tip
    # due later opens the next: a flood slower than that (a loaded
    # machine took 28 s for these) makes more digests. So: the first 30
    # one by one, no digest opened while another gathered, and one
    # digest, 31 notifications in all, when the flood came within the
    # first one's hold.
    held = w.stack.query("SELECT created_at, next_at FROM deliveries"
                         " WHERE kind = 'tips.digest' ORDER BY id")
    first, last = w.stack.query("SELECT min(received_at),"
                                " max(received_at) FROM tips"
                                " WHERE priority = 'normal'")[0]
    check(digests >= 1 and digests == len(held) and
          n_normal - digests <= 30, "%d notifications for 100 normal "
          "tips (%d digests, %d in the store)" % (n_normal, digests,
                                                  len(held)))
    for a, b in zip(held, held[1:]):
        check(b[0] >= a[1], "a digest opened at %d while another gathered "
              "until %d" % (b[0], a[1]))
    if last < held[0][1]:
        check(digests == 1 and n_normal <= 31, "%d notifications for 100 "
              "normal tips within one hold (%d digests)" % (n_normal,
                                                          digests))
    return "%d notifications for 100 normal tips, %d digest(s), the " \
        "flood in %d s" % (n_normal, digests, last - first)


@test
def backup_under_load(w):
    """tiplinectl backup while tips arrive: files 0600, the desk's copy
    sealed (none of its text in the bytes); restore into fresh paths gives
    stores passing integrity_check with every tip acknowledged before the
    backup began, and the desk's rows back (its store in WAL mode, as the
    running desk keeps it)."""
    desk = w.stack.path("staff.db")
    con = sqlite3.connect(desk, timeout=10)
    with con:
        con.executemany("INSERT INTO audit (at, who, action, detail)"
                        " VALUES (1, 'staff', 'note', ?)",
                        [("DESK-PLAINTEXT-%04d seen near the school" % i,)
                         for i in range(500)])
    con.close()
    conf = w.conf()
    before = w.submit_many(20, "before")
    stop = threading.Event()
    during = []

    def load():
        while not stop.is_set():
            during.append(w.submit())
    t = threading.Thread(target=load)
    t.start()
    try:
        time.sleep(0.3)
        bdir = os.path.join(w.dir, "backup")
        rc, out = ctl(w, conf, "backup", bdir)
    finally:
        stop.set()
        t.join(30)
    check(rc == 0, "backup: %d %s" % (rc, out))
    check(len(during) > 0, "no load during the backup")
    for name in ("tipline.db", "staff.db.sealed"):
        st = os.stat(os.path.join(bdir, name))
        check(st.st_mode & 0o777 == 0o600, "%s mode %o" % (name,
                                                          st.st_mode))
    with open(os.path.join(bdir, "staff.db.sealed"), "rb") as f:
        sealed = f.read()
    check(b"DESK-PLAINTEXT" not in sealed and b"SQLite format" not in
          sealed, "the desk's copy is readable")
    # Restore into fresh paths (services stopped: none use them).
    rdir = os.path.join(w.dir, "restored")
    os.makedirs(rdir)
    rconf = w.conf(database=os.path.join(rdir, "tipline.db"),
                   staff_database=os.path.join(rdir, "staff.db"))
    rc, out = ctl(w, rconf, "restore", bdir)
    check(rc == 0, "restore: %d %s" % (rc, out))
    con = sqlite3.connect(os.path.join(rdir, "tipline.db"))
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
          "restored intake store fails integrity_check")
    refs = set(r[0] for r in con.execute("SELECT ref FROM tips"))
    con.close()
    missing = [r for r in before if r not in refs]
    check(not missing, "restored store lacks %r" % missing[:3])
    con = sqlite3.connect(os.path.join(rdir, "staff.db"))
    check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
          "restored desk store fails integrity_check")
    check(con.execute("SELECT count(*) FROM audit WHERE detail LIKE"
                      " 'DESK-PLAINTEXT-%'").fetchone()[0] == 500,
          "desk rows not restored")
    con.close()
    # Without the secret key, the desk's copy stays shut.
    rc, out = ctl(w, w.conf(database=os.path.join(rdir, "tipline.db"),
                            staff_database=os.path.join(rdir, "s2.db"),
                            staff_secret_key_file=os.path.join(w.dir, "no")),
                  "restore", bdir)
    check(rc == 1 and "staff secret key" in out, "restore without key: %s"
          % out)
    return "%d tips stored during the backup" % len(during)


def main():
    args = e2e.parse_args(__doc__)
    env = dict(os.environ, TIPLINE_BUILD=args.build)
    tmp = tempfile.mkdtemp(prefix="tipline-watch-e2e.")
    run = notify.Run(args.build, tmp, env)
    tests = [notify.in_world(run, t) for t in e2e.selected(TESTS,
                                                           args.only)]
    t0 = time.time()
    passed, failed = e2e.run_tests(tests, None, timed=True)
    return e2e.finish("watch", passed, failed, args.keep, tmp, t0)


if __name__ == "__main__":
    sys.exit(main())
