#!/usr/bin/env python3
"""End-to-end attacker tests of the conversation with the sender (issue
22, SPEC 16), through real nginx and the real desk as deploy/local/up
runs them.

As someone who can write the intake store (what a takeover of
tipline.fcgi gives): end rows written into its messages table, bare,
of random bytes, or another tip's real end replayed, leave the
conversation open on the desk (the question form stays, each is
flagged). As anyone on the internet: guesses sprayed over random
references do not lock the sender of a real tip out. And as root on
the machine: a follow-up code held for a resend is gone from
tipline.fcgi's memory (/proc/PID/mem) at its expiry with no further
request, and after "forget this code" the sender's key and salt are in
no byte of the intake store or its WAL.

The stack runs with the test-only keys test_followup_remember (codes
held 4 s instead of 5 minutes) and test_followup_fail_slots (a failure
table of 8 entries, so a few guesses fill it).

    tests/e2e/trust_conv.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `trust_conv: N passed, M failed`;
exits 1 if any test failed. Python standard library (and curl, via
run.py) only.
"""

import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

BASE = "/report"
REMEMBER = 4            # test_followup_remember, seconds
FAIL_SLOTS = 8          # test_followup_fail_slots
SAME = ("Sec-Fetch-Site: same-origin",)
ENDED = "The sender ended the conversation"


class Ctx(e2e.DeskCtx):
    def submit(self, headers=()):
        """A tip through the API: (ref, code)."""
        res = self.public.post_json(e2e.valid_json(), headers=headers)
        check(res.status == 201, "submit: %r %r" % (res, res.body[:300]))
        j = res.json()
        check(j.get("followup_code"), "no followup_code: %r" % j)
        return j["ref"], j["followup_code"]

    def api(self, path, obj):
        return self.public.request("POST", BASE + "/api/v1/" + path,
                                   body=json.dumps(obj).encode(),
                                   ctype=e2e.JSON_TYPE)

    def conversation(self, ref, code):
        res = self.public.get(BASE + "/follow-up")
        e2e.check_html_page(res, 200)
        res = self.public.post_form(
            [("ref", ref), ("code", code), ("token", e2e.token_of(res))],
            path=BASE + "/follow-up")
        check(res.status == 200, "open %s: %r" % (ref, res))
        return res


def end_conversation(ctx, ref, code):
    """The sender ends the conversation ("forget this code")."""
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/end")
    res = ctx.public.post_form(pairs + [("confirm", "yes")],
                               path=BASE + "/follow-up/end")
    check(res.status == 200, "end: %r %r" % (res, res.text[:300]))


def unknown_refs(ctx, n):
    """n well-formed references no tip has."""
    out = set()
    while len(out) < n:
        out.add(e2e.unknown_ref(ctx.stack))
    return sorted(out)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def forged_end_ignored(ctx):
    """End rows a store writer adds (no blob, random bytes, another
    tip's real end replayed) do not end the conversation: the desk keeps
    the question form, says nothing ended, and flags each row."""
    ref, code = ctx.submit()
    other, other_code = ctx.submit()
    ctx.taken_in(ref)
    ctx.taken_in(other)
    end_conversation(ctx, other, other_code)
    e2e.wait_until(lambda: ctx.stack.desk_query(
        "SELECT ended_at FROM tips WHERE ref = ?", (other,))[0][0],
        "the desk took in the real end of %s" % other, timeout=30)
    (tip_id,), = ctx.stack.query("SELECT id FROM tips WHERE ref = ?",
                                 (ref,))
    (real, at), = ctx.stack.query(
        "SELECT m.sealed, m.at FROM messages m JOIN tips t"
        " ON t.id = m.tip_id WHERE t.ref = ? AND m.kind = 'end'", (other,))
    now = int(time.time())
    for blob, when in ((None, now), (os.urandom(len(real)), now),
                       (real, at)):
        ctx.stack.intake_exec("INSERT INTO messages (tip_id, author, at, kind,"
                         " sealed) VALUES (?, 2, ?, 'end', ?)",
                         (tip_id, when, blob))
    e2e.wait_until(lambda: ctx.stack.desk_query(
        "SELECT count(*) FROM messages m JOIN tips t ON t.id = m.tip_id"
        " WHERE t.ref = ?", (ref,))[0][0] == 3,
        "the desk took in the three end rows", timeout=30)
    page = ctx.get("/staff/tips/" + ref)
    check(page.status == 200, "tip page: %r" % page)
    check(ENDED not in page.text, "a forged end ended the conversation")
    check('action="/staff/tips/%s/messages"' % ref in page.text,
          "the question form is gone")
    t = ctx.get("/staff/tips/%s.json" % ref).json()
    check(t.get("follow_up") == "open", "follow_up %r" % t.get("follow_up"))
    check([m.get("fault") for m in t["messages"]] == [True] * 3,
          "the forged ends are not flagged: %r" % t["messages"])
    # The sender can still be asked, and still read the conversation.
    ctx.conversation(ref, code)


@test
def held_code_gone_at_expiry(ctx):
    """A code held for an Idempotency-Key retry is in tipline.fcgi's
    memory at first, and in no byte of it once its time is up, with no
    request in between."""
    if os.geteuid() != 0:
        raise e2e.Skip("reading another process's memory needs root")
    pid = ctx.stack.pid("tipline.fcgi")
    check(pid and e2e.pid_alive(pid), "tipline.fcgi is not running")
    key = "Idempotency-Key: held-%d" % random.randrange(1 << 30)
    t0 = time.monotonic()
    ref, code = ctx.submit(headers=[key])
    needles = {code.encode(), code.replace(" ", "").encode()}
    found, _ = e2e.memory_holds(pid, needles)
    if time.monotonic() - t0 < REMEMBER - 0.5:
        check(code.encode() in found,
              "the held code was not seen in memory before its expiry")
    time.sleep(max(0.0, t0 + REMEMBER + 1.5 - time.monotonic()))
    found, mapped = e2e.memory_holds(pid, needles)
    check(mapped > 1 << 20, "read only %d bytes of its memory" % mapped)
    check(not found, "%.1f s after the receipt (held %d s), tipline.fcgi's "
          "memory still holds the code" % (time.monotonic() - t0,
                                           REMEMBER))
    return "%d MB read" % (mapped >> 20)


@test
def forgotten_code_leaves_the_disk(ctx):
    """After "forget this code" the sender's key and salt are in no
    byte of the intake store or its WAL."""
    ref, code = ctx.submit()
    (pk, salt), = ctx.stack.query("SELECT sender_pk, sender_salt FROM tips"
                                  " WHERE ref = ?", (ref,))
    check(pk and salt, "the tip has no sender key")
    files = [ctx.stack.path("tipline.db"), ctx.stack.path("tipline.db-wal")]

    def holding():
        out = []
        for p in files:
            try:
                with open(p, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            out += [(os.path.basename(p), n) for n, v in
                    (("key", pk), ("salt", salt)) if v in data]
        return out
    check(holding(), "the key is not on disk before the end (test broken)")
    end_conversation(ctx, ref, code)
    check(ctx.stack.query("SELECT sender_pk IS NULL FROM tips WHERE ref = ?",
                          (ref,)) == [(1,)], "the sender's key is kept")
    found = holding()
    check(not found, "after the end, on disk: %r" % found)


@test
def spraying_locks_no_sender_out(ctx):
    """(Last: it fills the failure table.) Wrong codes sprayed over more random references than the failure
    table holds are each answered as a wrong code, and then the sender
    of a real tip still gets in with theirs."""
    ref, code = ctx.submit()
    guesses = [ctx.api("follow-up", {"ref": u, "code": "1111 2222 3333 4444"})
               for u in unknown_refs(ctx, 3 * FAIL_SLOTS)]
    res = ctx.api("follow-up", {"ref": ref, "code": code})
    check(res.status == 200, "the sender after the spray: %r %r" % (
        res, res.body[:200]))
    bad = [g for g in guesses if g.status != 422 or
           b'"no_match"' not in g.body]
    check(not bad, "guesses not answered as a wrong code: %r" % bad[:3])


def main():
    return e2e.suite_main("trust_conv", __doc__, TESTS, Ctx, env={
        "TIPLINE_TEST_FOLLOWUP_REMEMBER": str(REMEMBER),
        "TIPLINE_TEST_FOLLOWUP_FAIL_SLOTS": str(FAIL_SLOTS)})


if __name__ == "__main__":
    sys.exit(main())
