#!/usr/bin/env python3
"""End-to-end attacker tests of issue 22 (SPEC 16): the desk's copy is
the truth, and ingest never stalls on one row. The attacker holds the
public side: it writes the intake store (tipline.db) as tipline.fcgi
could, with Python's sqlite3 and with bytes written into the file.

  changed_after_ingest  an ingested urgent tip's row changed in place
                        (priority made normal, its blob swapped with
                        another tip's): the desk flags it and keeps
                        showing the original, `tiplinectl check` fails
                        naming it, `tiplinectl show` prints the desk's
                        original.
  changed_before_ingest an urgent tip's priority column made normal
                        before the desk took it in (the desk is paused
                        with SIGSTOP): it is flagged, shown urgent, and
                        reminded.
  lag_checked           a tip the desk has not taken in for an hour:
                        `tiplinectl check` fails on the ingest lag.
  corrupt_row           one tip's overflow page damaged in the file
                        ("database disk image is malformed"): later tips
                        still reach the desk, the row is skipped and
                        counted (tipline_desk_ingest_skipped_total 1),
                        /healthz and the heartbeat are honest, and the
                        lag is exported.

    tests/e2e/trust_truth.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `trust_truth: N passed, M failed`;
exits 1 if any test failed. Python standard library only.
"""

import json
import os
import sqlite3
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

URGENT = {"concerns": ["weapons"], "when": "now",
          "location": "High Street by the bank"}
NORMAL = {"concerns": ["dealing"], "location": "Bus shelter by the park"}


class Ctx(e2e.DeskCtx):
    def metrics(self):
        res = self.get("/staff/metrics")
        check(res.status == 200, "metrics: %d" % res.status)
        out = {}
        for line in res.text.splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.rpartition(" ")
                out[k] = float(v)
        return out


def paused(ctx):
    """The desk stopped (SIGSTOP) for the block, so the intake store can
    be changed before it takes a tip in; always continued after."""
    return e2e.Stopped(ctx.stack, "tipline-staff.fcgi")


def reminders_of(ctx, ref):
    """The tip.reminder requests the sink received for ref."""
    return e2e.sink_requests(ctx.stack, "tip.reminder", ref)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def changed_after_ingest(ctx):
    a = ctx.submit(dict(URGENT, description="A man showed a knife outside "
                        "the bank, ORIGWORDSqx7 on his jacket."))
    b = ctx.submit(dict(NORMAL, description="Dealing from the shelter, "
                        "OTHERWORDSqx7 on the wall."))
    ctx.taken_in(a)
    ctx.taken_in(b)
    check(ctx.tip_json(a)["priority"] == "urgent", "not urgent at first")
    # In place, as tipline.fcgi could: the urgent tip made normal, and
    # its blob replaced with the other tip's.
    ctx.stack.intake_exec("UPDATE tips SET priority = 'normal',"
                          " sealed = (SELECT sealed FROM tips WHERE ref = ?2)"
                          " WHERE ref = ?1", (a, b))
    t = e2e.wait_until(lambda: (lambda j: j if j["changed"] else None)(
        ctx.tip_json(a)), "the desk flagged %s as changed" % a, timeout=30)
    check(t["priority"] == "urgent", "priority now %r" % t["priority"])
    check("ORIGWORDSqx7" in t["description"], "desk copy %r" % t)
    page = ctx.get("/staff/tips/" + a).text
    check("changed after it was taken in" in page, "no flag on the page")
    check("ORIGWORDSqx7" in page and "OTHERWORDSqx7" not in page,
          "the page does not show the original")
    queue = ctx.get("/staff/").text
    check(a in queue and "Check" in queue, "no flag in the queue")
    rc, out, err = ctx.ctl("check")
    check(rc == 1 and a in out and b not in out,
          "check: %d, %s named: %s" % (rc, a, out))
    rc, out, err = ctx.ctl("show", a)
    check(rc == 0, "show: %d %s" % (rc, err))
    check("ORIGWORDSqx7" in out and "URGENT" in out and
          "OTHERWORDSqx7" not in out, "show printed %r" % out)
    check("changed after" in err, "show said nothing: %r" % err)
    rc, out, err = ctx.ctl("export")
    check(rc == 0, "export: %d %s" % (rc, err))
    line = [json.loads(x) for x in out.splitlines()
            if json.loads(x)["ref"] == a]
    check(line and line[0]["priority"] == "urgent" and
          "ORIGWORDSqx7" in line[0]["description"], "export %r" % line)


@test
def changed_before_ingest(ctx):
    with paused(ctx):
        ref = ctx.submit(dict(URGENT, description="Knife shown outside "
                              "the shop, BEFOREWORDqx7 here."))
        ctx.stack.intake_exec("UPDATE tips SET priority = 'normal'"
                              " WHERE ref = ?", (ref,))
    ctx.taken_in(ref)
    # Reminded while nobody opens it (its page, or its JSON while an
    # opening still counts there, would stop them).
    e2e.wait_until(lambda: reminders_of(ctx, ref),
                   "a tip.reminder for %s" % ref, timeout=40)
    t = ctx.tip_json(ref)
    check(t["fault"] is not None, "not flagged: %r" % t)
    check(t["priority"] == "urgent", "shown as %r" % t["priority"])


@test
def lag_checked(ctx):
    with paused(ctx):
        ref = ctx.submit(dict(NORMAL, description="Dealing behind the "
                              "library every night, LAGWORDqx7."))
        ctx.stack.intake_exec("UPDATE tips SET received_at ="
                              " received_at - 3600 WHERE ref = ?", (ref,))
        rc, out, err = ctx.ctl("check")
    check(rc == 1 and "has not taken in a tip or message waiting" in out,
          "check: %d %s" % (rc, out))
    ctx.taken_in(ref)
    e2e.wait_until(lambda: ctx.metrics().get(
        "tipline_desk_ingest_lag_seconds", 1e9) < 60,
        "the lag back under a minute")


def overflow_pages(path, blob, page):
    """The 0-based page indexes of the file at path holding parts of
    blob."""
    with open(path, "rb") as f:
        data = f.read()
    pages = set()
    for off in range(0, len(blob) - 32, 256):
        i = data.find(blob[off:off + 32])
        if i >= 0:
            pages.add(i // page)
    return data, pages


def corrupt(ctx, ref):
    """Damages the overflow chain of ref's row in tipline.db: the first
    overflow page's pointer to the next made to point past the file.
    The WAL is emptied into the file first."""
    path = ctx.stack.path("tipline.db")
    con = sqlite3.connect(path, timeout=10)
    try:
        blob = con.execute("SELECT sealed FROM tips WHERE ref = ?",
                           (ref,)).fetchone()[0]
        page = con.execute("PRAGMA page_size").fetchone()[0]
        busy = e2e.wait_until(lambda: (lambda r: r if r[0] == 0 and
                              r[1] == r[2] else None)(con.execute(
                                  "PRAGMA wal_checkpoint(TRUNCATE)"
                              ).fetchone()), "a complete checkpoint")
        check(busy, "checkpoint")
    finally:
        con.close()
    data, pages = overflow_pages(path, blob, page)
    for p in sorted(pages):
        nxt = struct.unpack(">I", data[p * page:p * page + 4])[0]
        if nxt - 1 in pages:
            with open(path, "r+b") as f:
                f.seek(p * page)
                f.write(struct.pack(">I", 0x7ffffff0))
            return
    raise Failure("no overflow chain of %d bytes found in %d pages"
                  % (len(blob), len(pages)))


@test
def corrupt_row(ctx):
    # Three overflow pages: 4000 characters of three bytes each.
    with paused(ctx):
        bad = ctx.submit(dict(URGENT, description="Big " + "\u20ac" * 4000))
        corrupt(ctx, bad)
        later = ctx.submit(dict(URGENT, description="After the damaged "
                                "row, LATERWORDqx7 came in."))
    ctx.taken_in(later, timeout=40)
    m = ctx.metrics()
    check(m.get("tipline_desk_ingest_skipped_total") == 1,
          "skipped: %r" % m.get("tipline_desk_ingest_skipped_total"))
    check(m.get("tipline_desk_heartbeat_age_seconds", 99) < 10,
          "heartbeat age %r" % m.get("tipline_desk_heartbeat_age_seconds"))
    check("tipline_desk_ingest_lag_seconds" in m, "no lag metric")
    t = ctx.tip_json(bad)
    check(t["fault"] is not None and t["priority"] == "urgent",
          "the damaged row: %r" % t)
    check(ctx.get("/staff/healthz").status == 200, "healthz")
    rc, out, _ = ctx.ctl("check")
    check(rc == 1 and "could not be read and was skipped" in out,
          "check: %d %s" % (rc, out))
    check("the desk ran" in out, "heartbeat: %s" % out)


def main():
    return e2e.suite_main("trust_truth", __doc__, TESTS, Ctx,
                          env={"TIPLINE_REMIND_AFTER": "3s",
                               "TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
