#!/usr/bin/env python3
"""End-to-end tests of issue 22 (SPEC 16) as an attacker would try them,
through real nginx, the real desk and tiplinectl: findings 6, 7, 10, 11.

- The desk is not dumpable: a process of the same user and the same
  capabilities but CAP_SYS_PTRACE cannot attach to it, while it can to a
  process that is dumpable (the control that shows the check can fail).
- The audit log survives a search with multibyte text past its 200
  bytes, and a row that is not UTF-8: `tiplinectl audit` prints every
  row (U+FFFD for a bad byte) and exits 0.
- Reading never changes state: a cross-site <img> GET, a GET with a
  foreign Origin and the .json view leave an urgent tip unopened and its
  reminders coming; a same-origin navigation opens it.
- A trigger planted in the intake store (as tipline.fcgi could) never
  runs in tiplinectl: purge removes the tip from both stores; and while
  the intake store cannot be purged (another writer holds it), the
  desk's copy is purged all the same and purge exits 1.

    tests/e2e/trust_misc.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `trust_misc: N passed, M failed`;
exits 1 if any test failed. Python standard library (and curl) only.
"""

import ctypes
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

PR_CAPBSET_DROP = 24
CAP_SYS_PTRACE = 19
FFFD = "\ufffd"

# Run by a child: PTRACE_SEIZE (which never stops the process) each pid
# given, printing "pid errno" (0: attached; the exit detaches).
SEIZE = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
for pid in sys.argv[1:]:
    r = libc.ptrace(0x4206, int(pid), None, None)
    print(pid, 0 if r == 0 else ctypes.get_errno())
"""


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# --------------------------------------------------------- finding 11 ---

@test
def desk_not_dumpable(ctx):
    pid = ctx.stack.pid("tipline-staff.fcgi")
    check(pid and e2e.pid_alive(pid), "the desk's pid: %r" % pid)
    control = subprocess.Popen(["sleep", "60"])
    try:
        p = subprocess.run([sys.executable, "-c", SEIZE, str(control.pid),
                            str(pid)], capture_output=True, timeout=30)
    finally:
        control.kill()
        control.wait()
    got = dict(line.split() for line in p.stdout.decode().splitlines())
    if got.get(str(control.pid)) != "0":
        raise e2e.Skip("cannot attach to a dumpable process here (%r)"
                       % got)
    check(got.get(str(pid)) not in (None, "0"),
          "a process of the desk's user attached to the desk: %r" % got)


# ---------------------------------------------------------- finding 6 ---

@test
def audit_survives_multibyte_cut(ctx):
    q = "a" * 199 + "\u00e9" * 20 + " AUDITCUT"
    res = ctx.get("/staff/search?q=" + urllib.parse.quote(q))
    check(res.status == 200, "search: %d" % res.status)
    rc, out, err = ctx.ctl("audit", "--json")
    check(rc == 0, "tiplinectl audit --json: %d %s" % (rc, err))
    rows = [r for r in json.loads(out) if r["action"] == "search" and
            (r["detail"] or "").startswith("a" * 199)]
    check(len(rows) == 1, "the search's row: %r" % rows)
    d = rows[0]["detail"]
    check(len(d.encode()) <= 200 and FFFD not in d,
          "cut inside a character: %r" % d[190:])
    rc, out, err = ctx.ctl("audit", "--user", "staff")
    check(rc == 0 and "a" * 199 in out, "tiplinectl audit: %d %s"
          % (rc, err))


@test
def audit_prints_a_bad_row(ctx):
    # A row that is not UTF-8 (as the old cut left), then a good one.
    ctx.stack.desk_query("INSERT INTO audit (at, who, action, detail)"
                         " VALUES (?, 'staff', 'search',"
                         " CAST(X'4241444DC3' AS TEXT))",
                         (int(time.time()),))
    check(ctx.get("/staff/search?q=AFTERBAD").status == 200, "search")
    rc, out, err = ctx.ctl("audit")
    check(rc == 0, "tiplinectl audit: %d %s" % (rc, err))
    check("BADM" + FFFD in out, "the bad row is not shown with U+FFFD")
    check("AFTERBAD" in out, "the row after the bad one is missing")
    rc, out, err = ctx.ctl("audit", "--json")
    check(rc == 0, "tiplinectl audit --json: %d %s" % (rc, err))
    check(["BADM" + FFFD] == [r["detail"] for r in json.loads(out)
                              if "BADM" in (r["detail"] or "")],
          "the bad row in JSON")


# --------------------------------------------------------- finding 10 ---

def reminders_of(ctx, ref):
    """How many tip.reminder bodies the sink received for ref."""
    return len(e2e.sink_requests(ctx.stack, "tip.reminder", ref))


def opened_at(ctx, ref):
    return ctx.stack.desk_query("SELECT first_opened_at FROM tips"
                                " WHERE ref = ?", (ref,))[0][0]


@test
def reading_is_not_opening(ctx):
    ref = ctx.submit_to_desk({
        "concerns": ["weapons"], "when": "now",
        "description": "A knife shown at the bus stop.",
        "location": "Station Road"})
    page = "/staff/tips/" + ref
    reads = [
        (page, ("Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors",
                "Sec-Fetch-Dest: image")),
        (page, ("Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate",
                "Sec-Fetch-Dest: document")),
        (page, ("Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: navigate")),
        (page, ("Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: cors")),
        (page, ("Origin: https://evil.example",)),
        (page + ".json", ()),
        (page + ".json", ("Sec-Fetch-Site: same-origin",
                          "Sec-Fetch-Mode: navigate")),
    ]
    for path, hdrs in reads:
        res = ctx.get(path, headers=hdrs)
        check(res.status == 200, "%s %r: %d" % (path, hdrs, res.status))
        check(opened_at(ctx, ref) is None,
              "%s with %r counted as opening the tip" % (path, hdrs))
    # Its reminders go on.
    n = reminders_of(ctx, ref)
    e2e.wait_until(lambda: reminders_of(ctx, ref) > n,
                   "a reminder after the readings", timeout=40)
    # A person opening it from the desk stops them.
    res = ctx.get(page, headers=("Sec-Fetch-Site: same-origin",
                                 "Sec-Fetch-Mode: navigate",
                                 "Sec-Fetch-Dest: document"))
    check(res.status == 200 and opened_at(ctx, ref) is not None,
          "a same-origin navigation did not open it")


@test
def typed_in_navigation_opens(ctx):
    ref = ctx.submit_to_desk({
        "concerns": ["weapons"], "when": "now",
        "description": "A gun seen in the car park.",
        "location": "Market Square"})
    res = ctx.get("/staff/tips/" + ref, headers=(
        "Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate"))
    check(res.status == 200 and opened_at(ctx, ref) is not None,
          "a typed-in navigation did not open it")


# ---------------------------------------------------------- finding 7 ---

@test
def planted_trigger_never_runs(ctx):
    ref = ctx.submit_to_desk({
        "concerns": ["dealing"],
        "description": "TRIGGERWORD dealing at the arcade.",
        "location": "Pier Arcade"})
    time.sleep(1.1)     # received before the cutoff of --older-than 0
    ctx.stack.intake_exec("CREATE TRIGGER keep_tips BEFORE DELETE ON tips"
                          " BEGIN SELECT RAISE(ABORT, 'planted'); END;")
    try:
        rc, out, err = ctx.ctl("purge", "--older-than", "0")
        check(not ctx.on_desk(ref),
              "the desk's store still holds the tip: %d %s" % (rc, err))
        check(rc == 0, "purge: %d %s" % (rc, err))
        check(ctx.stack.tips_with_ref(ref) == 0,
              "the intake store still holds the tip")
    finally:
        ctx.stack.intake_exec("DROP TRIGGER IF EXISTS keep_tips;")


def received_by_sink(ctx, ref):
    """Whether the sink received ref's tip.received."""
    return bool(e2e.sink_requests(ctx.stack, "tip.received", ref))


@test
def planted_trigger_stops_no_notification(ctx):
    """A trigger planted in the intake store does not run in
    tipline-notify, which holds the webhook secret: here one that would
    refuse every change to a delivery, so no tip would be announced."""
    ctx.stack.intake_exec("CREATE TRIGGER stop_deliveries BEFORE UPDATE ON"
                          " deliveries BEGIN SELECT RAISE(ABORT, 'planted');"
                          " END;")
    try:
        res = ctx.public.post_json({"concerns": ["weapons"],
                                    "description": "Knife shown outside"
                                    " the chip shop just now.",
                                    "location": "Harbour Road"})
        check(res.status == 201, "submit: %d" % res.status)
        ref = res.json()["ref"]
        e2e.wait_until(lambda: received_by_sink(ctx, ref),
                       "the sink received %s" % ref, timeout=30)
    finally:
        ctx.stack.intake_exec("DROP TRIGGER IF EXISTS stop_deliveries;")


@test
def desk_purged_while_intake_cannot_be(ctx):
    ref = ctx.submit_to_desk({
        "concerns": ["dealing"],
        "description": "LOCKWORD sold from the van.",
        "location": "Quay Street"})
    time.sleep(1.1)
    # Another writer holds the intake store (tipline.fcgi could, for
    # ever): its half of the purge fails after the busy wait.
    con = sqlite3.connect(ctx.stack.path("tipline.db"), timeout=10,
                          isolation_level=None)
    try:
        con.execute("BEGIN EXCLUSIVE")
        rc, out, err = ctx.ctl("purge", "--older-than", "0")
    finally:
        con.close()
    check(not ctx.on_desk(ref),
          "the desk's store still holds the tip: %d %s" % (rc, err))
    check(rc == 1, "purge said it succeeded: %d %s" % (rc, err))
    check(ctx.stack.tips_with_ref(ref) == 1, "the intake store was purged")
    # Once it can be, the intake's half is done too.
    rc, out, err = ctx.ctl("purge", "--older-than", "0")
    check(rc == 0 and ctx.stack.tips_with_ref(ref) == 0,
          "purge again: %d %s" % (rc, err))


def drop_ptrace():
    """As root, takes CAP_SYS_PTRACE out of the bounding set, so that
    nothing started from here (the stack, and the attaching child of
    desk_not_dumpable) holds it: attaching then depends on the target
    being dumpable. An ordinary user has it nowhere already."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0)


def main():
    drop_ptrace()
    return e2e.suite_main("trust_misc", __doc__, TESTS, e2e.DeskCtx,
                          env={"TIPLINE_REMIND_AFTER": "3s",
                               "TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
