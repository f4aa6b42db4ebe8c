#!/usr/bin/env python3
"""End-to-end attacker tests of issue 22 (SPEC 16): ingest trusts no id
of the intake store to rise, no row stops message ingest, no value is
read whole before its size is checked, and a row deleted or renamed
after ingest is flagged. The attacker writes the intake store
(tipline.db) as tipline.fcgi could, with Python's sqlite3 and with bytes
written into the file.

  cursor_jump        a tip given id 5000000, taken in, deleted, and
                     sqlite_sequence set back: the next urgent tip (a
                     low id) is still taken in, the jump counted
                     (tipline_desk_ingest_backwards_total), the deleted
                     row's tip flagged, `tiplinectl check` fails.
  msg_jump           the same with a message row (id 5000000, taken in,
                     deleted, the sequence set back): the next message
                     is still taken in.
  id_moved_below     a new tip's id moved below the desk's cursor (to
                     -5) while the highest id stays: the desk finds it,
                     takes it in flagged and counts it
                     (tipline_desk_ingest_found_total); check fails.
  msg_stall          one message row's overflow chain damaged: it is
                     retried, then skipped and counted
                     (tipline_desk_ingest_skipped_total), its tip has a
                     flagged message, and a later message still arrives.
  huge_values        a tip row with a 20 MiB concerns text and a message
                     with a 20 MiB blob: the desk's peak memory grows by
                     less than 16 MiB, the tip is skipped and flagged,
                     the message flagged, and later ones still arrive.
  deleted_renamed    an ingested tip's intake row deleted, another's ref
                     renamed to an unused one: both flagged changed (the
                     renamed row, a ref the desk lacks, is found and
                     taken in flagged: its blob does not open).

    tests/e2e/trust_cursor.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `trust_cursor: N passed, M failed`;
exits 1 if any test failed. Python standard library only.
"""

import os
import sqlite3
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)
import trust_truth as tt  # noqa: E402  (Ctx, Paused, overflow_pages)

check = e2e.check
MIB = 1024 * 1024

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def metric(ctx, name):
    return ctx.metrics().get(name, 0)


def desk_sql(ctx, sql, args=()):
    con = sqlite3.connect(ctx.stack.path("staff.db"), timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def changed(ctx, ref):
    return ctx.tip_json(ref)["changed"]


def add_message(ctx, ref, blob):
    """A sender's message row for ref's tip, as tipline.fcgi writes one;
    its id."""
    tid = ctx.stack.intake_exec("SELECT id FROM tips WHERE ref = ?", (ref,))[0][0]
    ctx.stack.intake_exec("INSERT INTO messages (tip_id, author, at, kind, sealed)"
               " VALUES (?, 2, strftime('%s', 'now'), 'text', ?)",
               (tid, blob))
    return ctx.stack.intake_exec("SELECT max(id) FROM messages")[0][0]


def desk_message(ctx, intake_id):
    """The desk's copy of message intake_id: [(fault,)] or []."""
    return desk_sql(ctx, "SELECT fault FROM messages WHERE intake_id = ?",
                    (intake_id,))


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise e2e.Failure("no %s for pid %d" % (key, pid))


@test
def cursor_jump(ctx):
    back = metric(ctx, "tipline_desk_ingest_backwards_total")
    a = ctx.submit(dict(tt.URGENT, description="first tip JUMPAqx7 with "
                        "enough words here"))
    ctx.taken_in(a)
    with tt.paused(ctx):
        b = ctx.submit(dict(tt.NORMAL, description="jump tip JUMPBqx7 with "
                            "enough words in it"))
        ctx.stack.intake_exec("UPDATE tips SET id = 5000000 WHERE ref = ?", (b,))
    ctx.taken_in(b)
    mx = ctx.stack.intake_exec("SELECT max(id) FROM tips WHERE id < 5000000")[0][0]
    ctx.stack.intake_exec("DELETE FROM deliveries WHERE tip_id = 5000000")
    ctx.stack.intake_exec("DELETE FROM tips WHERE id = 5000000")
    ctx.stack.intake_exec("UPDATE sqlite_sequence SET seq = ? WHERE name = 'tips'",
               (mx,))
    c = ctx.submit(dict(tt.URGENT, description="real urgent tip JUMPCqx7 "
                        "with enough words here"))
    check(ctx.stack.intake_exec("SELECT id FROM tips WHERE ref = ?", (c,))[0][0] <
          5000000, "the sequence was not set back")
    ctx.taken_in(c, timeout=20)
    check(ctx.tip_json(c)["priority"] == "urgent", "not urgent")
    check(metric(ctx, "tipline_desk_ingest_backwards_total") > back,
          "the jump back was not counted")
    e2e.wait_until(lambda: changed(ctx, b),
                   "the deleted row's tip %s flagged" % b, timeout=20)
    rc, out, _ = ctx.ctl("check")
    check(rc == 1 and "went backwards" in out and b in out,
          "check: %d %s" % (rc, out))


@test
def msg_jump(ctx):
    back = metric(ctx, "tipline_desk_ingest_backwards_total")
    a = ctx.submit(dict(tt.URGENT, description="tip whose messages jump "
                        "MSGJUMPqx7"))
    ctx.taken_in(a)
    tid = ctx.stack.intake_exec("SELECT id FROM tips WHERE ref = ?", (a,))[0][0]
    mx = ctx.stack.intake_exec("SELECT coalesce(max(id), 0) FROM messages")[0][0]
    ctx.stack.intake_exec("INSERT INTO messages (id, tip_id, author, at, kind, sealed)"
               " VALUES (5000000, ?, 2, strftime('%s', 'now'), 'text', ?)",
               (tid, os.urandom(600)))
    e2e.wait_until(lambda: desk_message(ctx, 5000000),
                   "the jumped message taken in", timeout=30)
    ctx.stack.intake_exec("DELETE FROM messages WHERE id = 5000000")
    ctx.stack.intake_exec("UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'",
               (mx,))
    m = add_message(ctx, a, os.urandom(600))
    check(m < 5000000, "the sequence was not set back")
    e2e.wait_until(lambda: desk_message(ctx, m),
                   "the next message taken in", timeout=20)
    check(metric(ctx, "tipline_desk_ingest_backwards_total") > back,
          "the jump back was not counted")


@test
def id_moved_below(ctx):
    found = metric(ctx, "tipline_desk_ingest_found_total")
    with tt.paused(ctx):
        y = ctx.submit(dict(tt.URGENT, description="moved tip MOVEDqx7 "
                            "with enough words in it"))
        ctx.stack.intake_exec("UPDATE tips SET id = -5 WHERE ref = ?", (y,))
        rc, out, _ = ctx.ctl("check")
    check(rc == 1 and "below the desk's ingest cursor" in out,
          "check before: %d %s" % (rc, out))
    ctx.taken_in(y, timeout=20)
    t = ctx.tip_json(y)
    check(t["changed"] and t["priority"] == "urgent" and
          "MOVEDqx7" in t["description"], "found tip: %r" % t)
    check(metric(ctx, "tipline_desk_ingest_found_total") == found + 1,
          "not counted")
    rc, out, _ = ctx.ctl("check")
    check(rc == 1 and "found below the ingest cursor" in out,
          "check after: %d %s" % (rc, out))


@test
def msg_stall(ctx):
    skipped = metric(ctx, "tipline_desk_ingest_skipped_total")
    a = ctx.submit(dict(tt.URGENT, description="tip with a damaged "
                        "message row after it"))
    ctx.taken_in(a)
    blob = os.urandom(10000)
    path = ctx.stack.path("tipline.db")
    with tt.paused(ctx):
        bad = add_message(ctx, a, blob)
        con = sqlite3.connect(path, timeout=10)
        page = con.execute("PRAGMA page_size").fetchone()[0]
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        data, pages = tt.overflow_pages(path, blob, page)
        done = False
        for p in sorted(pages):
            nxt = struct.unpack(">I", data[p * page:p * page + 4])[0]
            if nxt - 1 in pages:
                with open(path, "r+b") as f:
                    f.seek(p * page)
                    f.write(struct.pack(">I", 0x7ffffff0))
                done = True
                break
        check(done, "no overflow chain found")
    later = add_message(ctx, a, os.urandom(600))
    e2e.wait_until(lambda: desk_message(ctx, later),
                   "the later message taken in", timeout=40)
    check(metric(ctx, "tipline_desk_ingest_skipped_total") == skipped + 1,
          "the message row was not skipped and counted")
    f = desk_message(ctx, bad)
    check(f and f[0][0] and "could not be read" in f[0][0],
          "the damaged message: %r" % f)


@test
def huge_values(ctx):
    pid = ctx.stack.pid("tipline-staff.fcgi")
    skipped = metric(ctx, "tipline_desk_ingest_skipped_total")
    a = ctx.submit(dict(tt.NORMAL, description="tip that gets a huge "
                        "message HUGEAqx7"))
    ctx.taken_in(a)
    time.sleep(3)
    before = vm(pid, "VmHWM")
    with tt.paused(ctx):
        h = ctx.submit(dict(tt.URGENT, description="tip whose concerns "
                            "grow HUGEHqx7"))
        ctx.stack.intake_exec("UPDATE tips SET concerns = ? WHERE ref = ?",
                   ("x" * (20 * MIB), h))
        big = add_message(ctx, a, b"\0" * (20 * MIB))
    later = ctx.submit(dict(tt.URGENT, description="after the huge ones "
                            "HUGELqx7"))
    ctx.taken_in(later, timeout=40)
    ctx.taken_in(h, timeout=20)
    small = add_message(ctx, a, os.urandom(600))
    e2e.wait_until(lambda: desk_message(ctx, small),
                   "a later message taken in", timeout=30)
    grew = vm(pid, "VmHWM") - before
    check(grew < 16 * MIB, "the desk's peak memory grew by %.1f MiB for "
          "20 MiB values" % (grew / MIB))
    t = ctx.tip_json(h)
    check(t["fault"] and t["priority"] == "urgent", "huge tip: %r" % t)
    check(metric(ctx, "tipline_desk_ingest_skipped_total") == skipped + 1,
          "the huge tip row was not skipped and counted")
    f = desk_message(ctx, big)
    check(f and f[0][0], "the huge message is not flagged: %r" % f)
    return "peak grew %.1f MiB" % (grew / MIB)


@test
def deleted_renamed(ctx):
    d = ctx.submit(dict(tt.NORMAL, description="tip whose row goes "
                        "DELETEDqx7"))
    r = ctx.submit(dict(tt.NORMAL, description="tip whose ref changes "
                        "RENAMEDqx7"))
    ctx.taken_in(d)
    ctx.taken_in(r)
    with tt.paused(ctx):
        # A valid reference nobody holds: a tip's, deleted before the
        # desk saw it.
        spare = ctx.submit(dict(tt.NORMAL, description="spare reference for a rename"))
        ctx.stack.intake_exec("DELETE FROM deliveries WHERE tip_id ="
                   " (SELECT id FROM tips WHERE ref = ?)", (spare,))
        ctx.stack.intake_exec("DELETE FROM tips WHERE ref = ?", (spare,))
        ctx.stack.intake_exec("DELETE FROM deliveries WHERE tip_id ="
                   " (SELECT id FROM tips WHERE ref = ?)", (d,))
        ctx.stack.intake_exec("DELETE FROM tips WHERE ref = ?", (d,))
        ctx.stack.intake_exec("UPDATE tips SET ref = ? WHERE ref = ?", (spare, r))
    e2e.wait_until(lambda: changed(ctx, d),
                   "the deleted row's tip %s flagged" % d, timeout=30)
    e2e.wait_until(lambda: changed(ctx, r),
                   "the renamed row's tip %s flagged" % r, timeout=30)
    # The renamed row is one the desk lacks: found, and its blob,
    # bound to the old reference, does not open.
    if ctx.on_desk(spare):
        check(ctx.tip_json(spare)["fault"], "the renamed row opened")


def main():
    return e2e.suite_main("trust_cursor", __doc__, TESTS, tt.Ctx,
                          env={"TIPLINE_FOLLOWUP": "off"})

if __name__ == "__main__":
    sys.exit(main())
