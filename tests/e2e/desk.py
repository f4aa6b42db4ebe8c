#!/usr/bin/env python3
"""End-to-end tests of the desk, tipline-staff.fcgi (SPEC 12), through
real nginx with auth_basic as deploy/local/up runs it.

Tips go in through the public API; the desk takes them in by itself (its
ingest thread runs from start); then every test drives the desk as staff
would: identity (401 without REMOTE_USER, 403 for a name outside the
pattern), the queue's order, a tip page with every field escaped and bidi
characters as markers, two tips sharing a phone number written two ways
linked both ways and found by a search for it, state changes refused
without the CSRF token or cross-site (403, nothing changed) and accepted
with both (303, audited after the earlier view), assignment, a note and a
grade round-tripping to the JSON, stats, a question to the sender (SPEC
13: refused for a tip without a follow-up code; sealed into the intake
store's messages once, shown on the tip page and in its JSON, opened by
the sender's side with only the code, audited without its text), and
purge removing a tip from both stores and its words from the desk
store's bytes.

    tests/e2e/desk.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `desk: N passed, M failed`; exits 1 if
any test failed. Python standard library (and curl, via run.py) only.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

RLO = "\u202e"
RLO_MARK = "\u27e8U+202E\u27e9"
MARKER = "PURGEDESKzq7xw"
QMARKER = "ASKDESKqz3vk"
CODE = "4921057388162044"

TIPS = {
    "urgent_old": {
        "concerns": ["child_exploitation"],
        "description": "A boy of about twelve is sent out with packages "
                       "after school. <script>alert(1)</script> "
                       "Number reversed: " + RLO + "321009 00770",
        "location": "Corner shop on Mill Lane & Co",
        "child_at_risk": "yes",
        "phones": "07700 900123"},
    "normal_new": {
        "concerns": ["cuckooing"],
        "description": "Strangers moved into the flat of an old man; the "
                       "number on their cards is +44 7700 900123.",
        "location": "Block C, Harbour Estate",
        "vehicles": "Silver Golf AB12 CDE"},
    "purged": {
        "concerns": ["dealing"],
        "description": "Dealing from the bus shelter every evening, "
                       "word " + MARKER + " on the wall.",
        "location": "Bus shelter by the park"},
}


class Ctx(e2e.DeskCtx):
    def __init__(self, stack, tmp, build):
        super().__init__(stack, tmp, build)
        self.refs = {}

    def tip(self, name):
        return self.tip_json(self.refs[name])

    def audit(self, ref):
        rc, out, err = self.ctl("audit", "--ref", ref, "--json")
        check(rc == 0, "tiplinectl audit: %d %s" % (rc, err))
        return json.loads(out)

    def desk_query(self, sql, args=()):
        return self.stack.desk_query(sql, args)


def fill(ctx):
    """Submits the tips in order (the urgent one first, so older) and
    waits until the desk has taken each in."""
    for name, body in TIPS.items():
        res = ctx.public.post_json(body)
        check(res.status == 201, "submit %s: %d" % (name, res.status))
        ctx.refs[name] = res.json()["ref"]
        time.sleep(1.1)     # distinct received_at seconds
    for ref in ctx.refs.values():
        ctx.taken_in(ref)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def identity(ctx):
    res = ctx.desk.get("/staff/")
    check(res.status == 401, "no credentials: %d" % res.status)
    sock = ctx.stack.path("run", "staff.sock")
    if os.path.exists(ctx.stack.path("run", "sockdir")):
        with open(ctx.stack.path("run", "sockdir")) as f:
            sock = os.path.join(f.read().strip(), "staff.sock")
    base = [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/staff/")]
    status, body = e2e.fcgi_request(sock, base)
    check(status == 401 and b"REMOTE_USER" in body,
          "no REMOTE_USER: %d %r" % (status, body[:200]))
    status, body = e2e.fcgi_request(sock, base + [("REMOTE_USER",
                                                   "eve smith")])
    check(status == 403, "a name outside the pattern: %d" % status)
    status, body = e2e.fcgi_request(sock, base + [("REMOTE_USER",
                                                   "x" * 65)])
    check(status == 403, "a name of 65 characters: %d" % status)
    res = ctx.get("/staff/")
    check(res.status == 200, "with credentials: %d" % res.status)
    e2e.check_common_headers(res)
    check(res.header("set-cookie") is None, "a cookie was set")


@test
def queue_order(ctx):
    res = ctx.get("/staff/")
    refs = re.findall(r'href="/staff/tips/(TL-[^"]+)"', res.text)
    order = [r for r in refs if r in ctx.refs.values()]
    check(order[:3] == [ctx.refs["urgent_old"], ctx.refs["purged"],
                        ctx.refs["normal_new"]],
          "urgent unresolved first, then newest: %r" % order)
    res = ctx.get("/staff/?priority=normal")
    check(ctx.refs["urgent_old"] not in res.text, "priority filter")


@test
def tip_page_escaped(ctx):
    res = ctx.get("/staff/tips/" + ctx.refs["urgent_old"])
    check(res.status == 200, "status %d" % res.status)
    e2e.check_html_page(res, 200)
    t = res.text
    check("<script>alert(1)</script>" not in t, "script not escaped")
    check("&lt;script&gt;alert(1)&lt;/script&gt;" in t, "escaped script")
    check("Mill Lane &amp; Co" in t, "ampersand escaped")
    check(RLO not in t, "a raw RIGHT-TO-LEFT OVERRIDE reached the page")
    check(RLO_MARK in t, "no marker for U+202E")
    # Case-insensitive, without prefix: the same tip.
    ref = ctx.refs["urgent_old"].lower().replace("tl-", "")
    check(ctx.get("/staff/tips/" + ref).status == 200, "ref as typed")
    check(ctx.get("/staff/tips/TL-ZZZZ-ZZZZ").status == 404, "unknown ref")


@test
def linked_both_ways(ctx):
    a, b = ctx.tip("urgent_old"), ctx.tip("normal_new")
    la = [(x["ref"], x["kind"], x["value"]) for x in a["linked"]]
    lb = [(x["ref"], x["kind"], x["value"]) for x in b["linked"]]
    check((ctx.refs["normal_new"], "phone", "+447700900123") in la,
          "a links b: %r" % la)
    check((ctx.refs["urgent_old"], "phone", "+447700900123") in lb,
          "b links a: %r" % lb)
    check(all(x[0] != ctx.refs["purged"] for x in la + lb),
          "an unrelated tip is linked")
    page = ctx.get("/staff/tips/" + ctx.refs["urgent_old"]).text
    check(ctx.refs["normal_new"] in page, "the tip page lists the link")
    for q in ("07700 900123", "+44 7700 900123"):
        res = ctx.get("/staff/search?q=" + urllib.parse.quote(q))
        check(res.status == 200, "search %r: %d" % (q, res.status))
        for name in ("urgent_old", "normal_new"):
            check(ctx.refs[name] in res.text, "search %r misses %s" % (
                q, name))
    res = ctx.get("/staff/search?q=" + urllib.parse.quote("ab12cde"))
    check(ctx.refs["normal_new"] in res.text, "search by vehicle")
    res = ctx.get("/staff/entities/phone/%2B447700900123")
    check(res.status == 200 and ctx.refs["urgent_old"] in res.text
          and ctx.refs["normal_new"] in res.text, "entity page")
    res = ctx.get("/staff/search?q=" + urllib.parse.quote("bus shelter"))
    check(ctx.refs["purged"] in res.text, "full-text search")


def state_of(ctx, name):
    return ctx.desk_query("SELECT state FROM tips WHERE ref = ?",
                          (ctx.refs[name],))[0][0]


@test
def csrf_refused(ctx):
    ref = ctx.refs["normal_new"]
    token = ctx.csrf(ref)
    path = "/staff/tips/%s/state" % ref
    same = ("Sec-Fetch-Site: same-origin",)
    cases = [
        ("no token", [("state", "closed")], same),
        ("forged token", [("state", "closed"), ("csrf", "A" * 54)], same),
        ("cross-site", [("state", "closed"), ("csrf", token)],
         ("Sec-Fetch-Site: cross-site",)),
        ("same-site", [("state", "closed"), ("csrf", token)],
         ("Sec-Fetch-Site: same-site",)),
        ("other origin", [("state", "closed"), ("csrf", token)],
         ("Origin: http://evil.example",)),
    ]
    for what, pairs, headers in cases:
        res = ctx.post(path, pairs, headers)
        check(res.status == 403, "%s: %d" % (what, res.status))
        check(state_of(ctx, "normal_new") == "new",
              "%s: the state changed" % what)
    check(not any(e["action"] == "state" for e in ctx.audit(ref)),
          "a refused change was audited as a change")


@test
def state_change_audited(ctx):
    ref = ctx.refs["urgent_old"]
    token = ctx.csrf(ref)               # the view comes first
    res = ctx.post("/staff/tips/%s/state" % ref,
                   [("state", "in_review"), ("note", "on it"),
                    ("csrf", token)], ("Sec-Fetch-Site: same-origin",))
    check(res.status == 303, "state: %d" % res.status)
    check(res.header("location") == "/staff/tips/" + ref,
          "location %r" % res.header("location"))
    check(state_of(ctx, "urgent_old") == "in_review", "state not changed")
    # An Origin equal to staff_url's, without Sec-Fetch-Site, is fine.
    origin = "Origin: http://127.0.0.1:%d" % (ctx.stack.port + 2)
    res = ctx.post("/staff/tips/%s/assign" % ref,
                   [("to", "alice"), ("csrf", token)], (origin,))
    check(res.status == 303, "assign: %d" % res.status)
    res = ctx.post("/staff/tips/%s/notes" % ref,
                   [("text", "Called the school " + RLO + "x"),
                    ("csrf", token)], ("Sec-Fetch-Site: same-origin",))
    check(res.status == 303, "note: %d" % res.status)
    res = ctx.post("/staff/tips/%s/grade" % ref,
                   [("source", "2"), ("intelligence", "B"),
                    ("handling", "P"), ("csrf", token)],
                   ("Sec-Fetch-Site: same-origin",))
    check(res.status == 303, "grade: %d" % res.status)
    res = ctx.post("/staff/tips/%s/grade" % ref,
                   [("source", "9"), ("intelligence", "B"),
                    ("handling", "P"), ("csrf", token)],
                   ("Sec-Fetch-Site: same-origin",))
    check(res.status == 422, "bad grade: %d" % res.status)
    t = ctx.tip("urgent_old")
    check(t["state"] == "in_review" and t["assignee"] == "alice",
          "state/assignee in JSON: %r %r" % (t["state"], t["assignee"]))
    check(t["grade"] == {"source": "2", "intelligence": "B",
                         "handling": "P"}, "grade %r" % t["grade"])
    check(t["notes"][0]["text"].startswith("Called the school"), "note")
    check(t["history"][0]["to"] == "in_review", "history")
    page = ctx.get("/staff/tips/" + ref).text
    check("Called the school " + RLO_MARK in page, "note with marker")
    actions = [(e["who"], e["action"]) for e in ctx.audit(ref)]
    check(("staff", "view") in actions, "view audited: %r" % actions)
    i = actions.index(("staff", "view"))
    for a in ("state", "assign", "note", "grade"):
        check(("staff", a) in actions[i:], "%s audited after the view: %r"
              % (a, actions))
    rc, out, _ = ctx.ctl("audit", "--user", "staff")
    check(rc == 0 and "search" in out and ref in out, "audit text")


def desk_rounds(ctx, n):
    """Waits until the desk's ingest thread has ended n more rounds (its
    heartbeat, written as a round ends, changed n times; rounds are
    seconds apart): the last of them began after the call."""
    def beat():
        return ctx.desk_query("SELECT value FROM meta"
                              " WHERE key = 'heartbeat'")[0][0]
    seen = beat()
    for i in range(n):
        seen = e2e.wait_until(
            lambda: (lambda b: (b,) if b != seen else None)(beat()),
            "the desk ended round %d of %d" % (i + 1, n))[0]


def reminders_of(ctx, ref):
    """The tip.reminder requests the sink received for ref: (record,
    body)."""
    return e2e.sink_requests(ctx.stack, "tip.reminder", ref)


@test
def reminder_until_opened(ctx):
    res = ctx.public.post_json({
        "concerns": ["weapons"], "when": "now",
        "description": "Knife shown outside the shop, REMINDWORD here.",
        "location": "High Street"})
    check(res.status == 201, "submit: %d" % res.status)
    ref = res.json()["ref"]
    got = e2e.wait_until(lambda: reminders_of(ctx, ref),
                         "a tip.reminder for %s" % ref, timeout=40)
    e, body = got[0]
    check(e["headers"].get("webhook-signature", "").startswith("v1,"),
          "reminder not signed")
    check(sorted(body["data"]) == ["link", "priority", "received_at",
                                   "ref"], "reminder data %r" % body)
    check(body["data"]["link"] == "http://127.0.0.1:%d/staff/tips/%s" % (
        ctx.stack.port + 2, ref), "link %r" % body["data"]["link"])
    check("REMINDWORD" not in e["body"], "the reminder holds content")
    # Opening it in the desk stops them. A round that began before the
    # open may still queue one: once a round that began after it is over,
    # every reminder queued is delivered, and the sink has them all.
    check(ctx.get("/staff/tips/" + ref).status == 200, "open")
    desk_rounds(ctx, 2)

    def queued():
        rows = ctx.stack.query(
            "SELECT d.state FROM deliveries d JOIN tips t"
            " ON t.id = d.tip_id WHERE t.ref = ? AND"
            " d.kind = 'tip.reminder'", (ref,))
        return all(r[0] == "delivered" for r in rows) and \
            len(reminders_of(ctx, ref)) >= len(rows) and len(rows)
    e2e.wait_until(queued, "the reminders of %s queued before it was "
                   "opened delivered" % ref)
    n = len(reminders_of(ctx, ref))
    time.sleep(8)       # more than two intervals: none may come
    check(len(reminders_of(ctx, ref)) == n, "reminders after opening")


@test
def ctl_show_export_audited(ctx):
    ref = ctx.refs["normal_new"]
    rc, out, err = ctx.ctl("show", ref)
    check(rc == 0 and "Harbour Estate" in out, "show: %d %s" % (rc, err))
    rc, out, err = ctx.ctl("export")
    check(rc == 0 and ref in out, "export: %d %s" % (rc, err))
    rc, out, _ = ctx.ctl("audit", "--json")
    entries = json.loads(out)
    check(any(e["action"] == "show" and e["ref"] == ref and
              e["who"].startswith("tiplinectl/") for e in entries),
          "show not in the audit log")
    check(any(e["action"] == "export" for e in entries),
          "export not in the audit log")


@test
def stats(ctx):
    res = ctx.get("/staff/stats")
    check(res.status == 200 and "Median" in res.text, "stats page")
    res = ctx.get("/staff/metrics")
    check(res.status == 200 and re.search(
        r"(?m)^tipline_desk_heartbeat_age_seconds [0-9]$", res.text) and
        "tipline_desk_tips{state=\"new\"}" in res.text, "metrics %r" %
        res.text[:300])
    res = ctx.get("/staff/stats.csv")
    check(res.status == 200 and res.text.startswith("section,key,value"),
          "stats.csv")
    check(re.search(r'(?m)^by_priority,"urgent",[1-9]', res.text),
          "csv counts")


def sender(ctx, *args):
    """The sender's side of a follow-up (tests/e2e/sender.c)."""
    p = subprocess.run([os.path.join(ctx.build, "tests", "sender"),
                        ctx.stack.path("tipline.conf")] + list(args),
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@test
def question_to_sender(ctx):
    same = ("Sec-Fetch-Site: same-origin",)
    # A tip whose sender got no follow-up code (a busy moment, or
    # followup = off): refused, nothing sent.
    rc, out, err = sender(ctx, "plant", "-")
    check(rc == 0, "plant: %s" % err)
    ref0 = out.strip()
    e2e.wait_until(lambda: ctx.desk_query(
        "SELECT 1 FROM tips WHERE ref = ?", (ref0,)),
        "the desk took in the planted tip", timeout=30)
    check("did not get a follow-up code" in
          ctx.get("/staff/tips/" + ref0).text,
          "tip page without a code does not say so")
    res = ctx.post("/staff/tips/%s/messages" % ref0,
                   [("text", "hello"), ("csrf", ctx.csrf(ref0))], same)
    check(res.status == 422 and "no follow-up code" in res.text,
          "question without a code: %d" % res.status)
    check(ctx.stack.query("SELECT count(*) FROM messages")[0][0] == 0,
          "a question was stored for a tip without a code")
    # A tip with one (planted as intake stores it; the public follow-up
    # pages are tipline.fcgi's own tests).
    rc, out, err = sender(ctx, "plant", CODE)
    check(rc == 0, "plant: %s" % err)
    ref = out.strip()
    e2e.wait_until(lambda: ctx.desk_query(
        "SELECT 1 FROM tips WHERE ref = ?", (ref,)),
        "the desk took in the planted tip", timeout=30)
    page = ctx.get("/staff/tips/" + ref).text
    check('action="/staff/tips/%s/messages"' % ref in page,
          "no question form on the tip page")
    path = "/staff/tips/%s/messages" % ref
    question = "Which floor is the flat on? " + RLO + " " + QMARKER
    csrf = ctx.csrf(ref)
    res = ctx.post(path, [("text", question), ("csrf", csrf)],
                   ("Sec-Fetch-Site: cross-site",))
    check(res.status == 403, "cross-site question: %d" % res.status)
    res = ctx.post(path, [("text", "x" * 2001), ("csrf", csrf)], same)
    check(res.status == 422, "2001 characters: %d" % res.status)
    res = ctx.post(path, [("text", question), ("csrf", csrf)], same)
    check(res.status == 303 and (res.header("location") or "").endswith(
        "/staff/tips/" + ref), "question: %d" % res.status)
    # The same form again (a double click): one question.
    res = ctx.post(path, [("text", question), ("csrf", csrf)], same)
    check(res.status == 303, "resent question: %d" % res.status)
    rows = ctx.stack.query(
        "SELECT m.author, m.kind, length(m.sealed) FROM messages m"
        " JOIN tips t ON t.id = m.tip_id WHERE t.ref = ?", (ref,))
    check(rows == [(1, "text", rows[0][2] if rows else 0)] and
          rows[0][2] > 0, "intake store's messages: %r" % rows)
    page = ctx.get("/staff/tips/" + ref).text
    check("Which floor is the flat on? " + RLO_MARK in page,
          "the question is not on the tip page with its marker")
    check(RLO not in page, "a bidi character reached the page raw")
    check("Staff (staff)" in page, "the asker is not named")
    msgs = ctx.tip_json(ref)["messages"]
    check([(m["from"], m["text"]) for m in msgs] == [("staff", question)],
          "tip JSON messages: %r" % msgs)
    # The sender opens it with only the code.
    rc, out, err = sender(ctx, "read", ref, CODE)
    check(rc == 0, "sender read: %s" % err)
    check([json.loads(line) for line in out.splitlines()] ==
          [{"from": "staff", "text": question}],
          "the sender read %r" % out)
    acts = [a for a in ctx.audit(ref) if a["action"] == "message"]
    check(len(acts) == 1 and QMARKER not in json.dumps(acts),
          "audit of the question: %r" % acts)
    for f in ("tipline.db", "tipline.db-wal"):
        p = ctx.stack.path(f)
        if os.path.exists(p):
            with open(p, "rb") as fh:
                check(QMARKER.encode() not in fh.read(),
                      "%s holds the question in plaintext" % f)
    check(ctx.get(path).status == 405, "GET messages")


@test
def purge_both_stores(ctx):
    time.sleep(1.1)
    rc, out, err = ctx.ctl("purge", "--older-than", "0")
    check(rc == 0, "purge: %d %s" % (rc, err))
    check(ctx.stack.tip_count() == 0, "intake store still holds tips")
    check(ctx.desk_query("SELECT count(*) FROM tips")[0][0] == 0,
          "desk store still holds tips")
    check(ctx.stack.query("SELECT count(*) FROM messages")[0][0] == 0,
          "intake store still holds messages")
    check(ctx.desk_query("SELECT count(*) FROM messages")[0][0] == 0 and
          ctx.desk_query("SELECT count(*) FROM msg_fts")[0][0] == 0,
          "desk store still holds messages")
    # (Not a search for the marker: the audit log keeps what was
    # searched for, as it should.)
    res = ctx.get("/staff/search?q=shelter")
    check(ctx.refs["purged"] not in res.text, "search still finds it")
    for f in ("staff.db", "staff.db-wal"):
        p = ctx.stack.path(f)
        if os.path.exists(p):
            with open(p, "rb") as fh:
                data = fh.read()
            check(MARKER.encode() not in data and
                  MARKER.lower().encode() not in data,
                  "%s still holds the purged words" % f)
    check(ctx.get("/staff/tips/" + ctx.refs["purged"]).status == 404,
          "purged tip still shown")


def make_ctx(stack, tmp, build):
    ctx = Ctx(stack, tmp, build)
    fill(ctx)
    return ctx


def main():
    # followup off: the tips sent through the API get no follow-up code
    # (question_to_sender plants the one that has; followup.py tests the
    # public side).
    return e2e.suite_main("desk", __doc__, TESTS, make_ctx,
                          env={"TIPLINE_REMIND_AFTER": "3s",
                               "TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
