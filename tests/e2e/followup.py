#!/usr/bin/env python3
"""End-to-end tests of the follow-up (SPEC 13), through real nginx as
deploy/local/up runs it, with the desk (SPEC 12) on the other side.

A tip sent through the API gets a follow-up code; staff ask a question in
the desk (through its nginx, with its CSRF token); the sender reads it
with only the reference and the code, on the page and through the API,
and answers both ways; the desk shows the answers, and each answer
reaches the bundled sink as a `tip.updated` delivery, signed like
`tip.received`, holding no content. Then: a wrong code and an unknown
reference answer byte for byte the same apart from the form token (and
the reference typed); the 11th failure on a reference is 429, known or
not, and then even the right code is refused; a resent /follow-up/add
stores one message; the form's receipt shows the code, again on a
resend of the same token; a tip stored with `followup = off` (a second
tipline.fcgi behind a second nginx, the shipped files with their rate
limits) gets no code, and that nginx limits the follow-up routes more
tightly than the form; ending the conversation closes the code and the
desk says so. Last, markers written by both sides are in no byte of the
intake store, its WAL or any log.

    tests/e2e/followup.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `followup: N passed, M failed`; exits
1 if any test failed. Python standard library (and curl, via run.py)
only.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

BASE = "/report"
CODE_RE = re.compile(r"^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$")
PAGE_CODE_RE = re.compile(r'<p class="code" id="followup-code"><strong>'
                          r'([0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4})</strong>')
SAME = ("Sec-Fetch-Site: same-origin",)

# Unique strings in what each side writes: they must never be found in
# the intake store's bytes or in a log.
QMARKER = "QUESTIONqz7vk"       # staff's question
AMARKER = "ANSWERFORMxw3jd"     # the sender's answer on the page
BMARKER = "ANSWERAPIpt8nf"      # the sender's answer through the API
RMARKER = "RESENDrk2hq"         # the resent /follow-up/add
EMARKER = "ENDEDem5zc"          # a message before the end


class Ctx(e2e.DeskCtx):
    def __init__(self, stack, tmp, build):
        super().__init__(stack, tmp, build)
        with open(stack.path("webhook.secret"), "rb") as f:
            secret = f.read().strip().decode()
        check(secret.startswith("whsec_"), "webhook.secret: no whsec_")
        self.hook_key = base64.b64decode(secret[6:], validate=True)
        self.aged = []
        self.codes = []         # every code handed out (none in a log)
        self.extra_logs = []    # folders of logs of further nginx/fcgi
        self.main = None        # (ref, code) of the round trip

    # -- the public side

    def aged_token(self):
        check(self.aged, "the pool of aged form tokens is empty")
        return self.aged.pop()

    def submit(self, **extra):
        """A tip through the API: (ref, code)."""
        res = self.public.post_json(e2e.valid_json(**extra))
        check(res.status == 201, "submit: %r %r" % (res, res.body[:300]))
        j = res.json()
        code = j.get("followup_code")
        check(isinstance(code, str) and CODE_RE.match(code),
              "followup_code %r" % code)
        self.codes.append(code)
        return j["ref"], code

    def api(self, path, obj, headers=()):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        return self.public.request("POST", BASE + "/api/v1/" + path,
                                   body=body, ctype=e2e.JSON_TYPE,
                                   headers=headers)

    def fu_token(self, base=BASE):
        res = self.public.get(base + "/follow-up")
        e2e.check_html_page(res, 200)
        return e2e.token_of(res)

    def fu_open(self, ref, code, base=BASE):
        return self.public.post_form(
            [("ref", ref), ("code", code), ("token", self.fu_token(base))],
            path=base + "/follow-up")

    def conversation(self, ref, code):
        """The conversation page (200), opened with ref and code."""
        res = self.fu_open(ref, code)
        check(res.status == 200, "open %s: %r %r" % (ref, res,
                                                     res.text[:300]))
        e2e.check_html_page(res, 200)
        return res

    # -- the desk

    def dpost(self, path, pairs, headers=SAME):
        return self.post(path, pairs, headers)

    def ask(self, ref, text):
        res = self.dpost("/staff/tips/%s/messages" % ref,
                         [("text", text), ("csrf", self.csrf(ref))])
        check(res.status == 303, "question: %d %r" % (res.status,
                                                      res.text[:300]))

    # -- the intake store and the sink

    def messages(self, ref, author=None):
        sql = ("SELECT m.author, m.kind FROM messages m JOIN tips t"
               " ON t.id = m.tip_id WHERE t.ref = ?")
        args = (ref,)
        if author is not None:
            sql += " AND m.author = ?"
            args += (author,)
        return self.stack.query(sql + " ORDER BY m.id", args)

    def hooks(self, kind, ref):
        """(record, body) of the sink's requests of type kind for ref."""
        return e2e.sink_requests(self.stack, kind, ref)

    def check_signed(self, rec):
        """SPEC 6.1: a valid Standard Webhooks signature (as notify.py)."""
        h = rec["headers"]
        check(h.get("content-type") == "application/json",
              "content-type %r" % h.get("content-type"))
        wid, ts, sig = (h.get("webhook-id"), h.get("webhook-timestamp"),
                        h.get("webhook-signature"))
        check(wid and re.fullmatch(r"[\x21-\x7e]{1,100}", wid),
              "webhook-id %r" % wid)
        check(ts and ts.isdigit(), "webhook-timestamp %r" % ts)
        mac = hmac.new(self.hook_key, ("%s.%s." % (wid, ts)).encode() +
                       rec["body"].encode(), hashlib.sha256).digest()
        want = "v1," + base64.b64encode(mac).decode()
        check(sig and want in sig.split(" "),
              "webhook-signature %r, expected %r" % (sig, want))


def wrong_code(code):
    """code with its last digit changed."""
    last = str((int(code[-1]) + 1) % 10)
    return code[:-1] + last


def without_token(text):
    return re.sub(r'(name="token" value=")[^"]*(")', r"\1TOKEN\2", text)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def receipt_code_form(ctx):
    """The form's receipt shows the code; the same form sent again within
    five minutes (a double click) shows the same reference and code."""
    pairs = e2e.valid_pairs(ctx.aged_token())
    first = ctx.public.post_form(pairs)
    e2e.check_html_page(first, 200)
    m = PAGE_CODE_RE.search(first.text)
    check(m, "no follow-up code on the receipt")
    ctx.codes.append(m.group(1))
    ref = e2e.ref_of(first)
    count = ctx.stack.tip_count()
    again = ctx.public.post_form(pairs)
    e2e.check_html_page(again, 200)
    check(e2e.ref_of(again) == ref, "the resend gave another reference")
    m2 = PAGE_CODE_RE.search(again.text)
    check(m2 and m2.group(1) == m.group(1),
          "the resend shows %r, first %r" % (m2 and m2.group(1),
                                             m.group(1)))
    check(ctx.stack.tip_count() == count, "the resend stored a tip")
    # The code opens that tip's conversation.
    ctx.conversation(ref, m.group(1))


@test
def api_submit_code(ctx):
    """The API's 201 carries followup_code; an Idempotency-Key retry
    within five minutes carries the same."""
    body = json.dumps(e2e.valid_json(description="Packages handed over "
                                     "at the bus stop every night.")).encode()
    key = "Idempotency-Key: fu-%d" % random.randrange(1 << 30)
    a = ctx.public.post_json(body, headers=[key])
    b = ctx.public.post_json(body, headers=[key])
    check(a.status == 201 and b.status == 201, "%r %r" % (a, b))
    ja, jb = a.json(), b.json()
    check(CODE_RE.match(ja.get("followup_code", "")), "code %r" % ja)
    check(ja == jb, "the retry answered %r, first %r" % (jb, ja))
    ctx.codes.append(ja["followup_code"])
    ref, code = ctx.submit(description="A car waits outside the school "
                           "gates and boys run errands for the driver.")
    check(code != ja["followup_code"], "two tips got the same code")
    ctx.main = (ref, code)


@test
def round_trip(ctx):
    """A desk question, read by the sender on the page and through the
    API, answered both ways, shown in the desk, announced by tip.updated
    deliveries that are signed and hold no content."""
    ref, code = ctx.main or ctx.submit()
    # A later tip, above it in the queue until the answers come.
    later, _ = ctx.submit()
    ctx.taken_in(ref)
    ctx.taken_in(later)
    question = "Which floor is the flat on? <b>" + QMARKER + "</b>"
    ctx.ask(ref, question)
    # The page, with only the reference and the code.
    res = ctx.conversation(ref, code)
    check("Which floor is the flat on? &lt;b&gt;" + QMARKER +
          "&lt;/b&gt;" in res.text, "the question is not on the page")
    check("<b>" + QMARKER not in res.text, "the question is not escaped")
    # The API.
    res = ctx.api("follow-up", {"ref": ref, "code": code})
    check(res.status == 200, "api read: %r %r" % (res, res.body[:300]))
    msgs = res.json()["messages"]
    check([(m["from"], m["text"]) for m in msgs] == [("staff", question)],
          "api messages %r" % msgs)
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", msgs[0]["at"]),
          "at %r" % msgs[0]["at"])
    # The queue orders by the second (a tip's receipt, a sender's newest
    # message), and a tie puts the newer tip first: the answers must come
    # in a later second than the later tip, or its place above them is
    # the clock's doing. On a quick machine they came in the same one.
    later_at = ctx.stack.query("SELECT received_at FROM tips WHERE ref = ?",
                               (later,))[0][0]
    e2e.wait_until(lambda: time.time() >= later_at + 1,
                   "the clock passed %s's second" % later, timeout=5)
    # The answer on the page.
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/add")
    check(sorted(n for n, _ in pairs) == ["code", "ref", "token"],
          "hidden fields %r" % [n for n, _ in pairs])
    answer1 = "Third floor, the door with the red tape " + AMARKER
    res = ctx.public.post_form(pairs + [("message", answer1)],
                               path=BASE + "/follow-up/add")
    check(res.status == 200, "add: %r %r" % (res, res.text[:300]))
    e2e.check_html_page(res, 200)
    check(AMARKER in res.text, "the answer is not on the confirmation")
    # The answer through the API.
    answer2 = "The car comes at six " + BMARKER
    res = ctx.api("follow-up/messages", {"ref": ref, "code": code,
                                         "message": answer2},
                  headers=("Idempotency-Key: fu-msg-%s" % ref,))
    check(res.status == 201 and res.json() == {},
          "api add: %r %r" % (res, res.body[:300]))
    res = ctx.api("follow-up", {"ref": ref, "code": code})
    got = [(m["from"], m["text"]) for m in res.json()["messages"]]
    check(got == [("staff", question), ("sender", answer1),
                  ("sender", answer2)], "the sender's view %r" % got)
    # The desk, once it has taken them in (read from its store, since
    # opening the tip is seeing its new information): back at the top of
    # the queue, above the later tip, marked; then the tip's JSON and page.
    e2e.wait_until(lambda: ctx.stack.desk_query(
        "SELECT count(*) FROM messages m JOIN tips t ON t.id = m.tip_id"
        " WHERE t.ref = ? AND m.author = 2", (ref,))[0][0] == 2,
        "the desk took in both answers", timeout=30)
    queue = ctx.get("/staff/").text
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>', queue)
    mine = [r for r in rows if ref in r or later in r]
    check(len(mine) == 2 and ref in mine[0] and "New information" in
          mine[0] and "New information" not in mine[1],
          "the queue: %r" % mine)
    want = [("staff", question), ("sender", answer1), ("sender", answer2)]
    t = ctx.tip_json(ref)
    check([(m["from"], m["text"]) for m in t["messages"]] == want,
          "the desk's messages %r" % t["messages"])
    page = ctx.get("/staff/tips/" + ref).text
    check(AMARKER in page and BMARKER in page, "answers not on the tip page")
    # Two tip.updated deliveries reach the sink.
    got = e2e.wait_until(lambda: (lambda h: h if len(h) >= 2 else None)(
        ctx.hooks("tip.updated", ref)), "two tip.updated for %s" % ref,
        timeout=30)
    check(len(got) == 2, "%d tip.updated deliveries" % len(got))
    check(got[0][0]["headers"]["webhook-id"] !=
          got[1][0]["headers"]["webhook-id"], "one webhook-id for both")
    link = "http://127.0.0.1:%d/staff/tips/%s" % (ctx.stack.port + 2, ref)
    digits = code.replace(" ", "")
    for rec, body in got:
        ctx.check_signed(rec)
        check(sorted(body) == ["data", "timestamp", "type"], "%r" % body)
        d = body["data"]
        check(sorted(d) == ["link", "priority", "ref", "updated_at"],
              "tip.updated data %r" % d)
        check(d["link"] == link and d["priority"] == "normal",
              "tip.updated data %r" % d)
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                           d["updated_at"]), "updated_at %r" % d)
        raw = json.dumps(rec, ensure_ascii=False)
        for word in (QMARKER, AMARKER, BMARKER, code, digits,
                     "red tape", "Station forecourt", "cyclists"):
            check(word not in raw, "a tip.updated holds %r" % word)


@test
def resent_add_stores_once(ctx):
    ref, code = ctx.submit()
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/add") + [
        ("message", "They changed the door " + RMARKER)]
    for i in range(2):
        res = ctx.public.post_form(pairs, path=BASE + "/follow-up/add")
        check(res.status == 200, "send %d: %r" % (i + 1, res))
    check(ctx.messages(ref, 2) == [(2, "text")],
          "the intake store holds %r" % ctx.messages(ref))
    res = ctx.api("follow-up", {"ref": ref, "code": code})
    texts = [m["text"] for m in res.json()["messages"]]
    check(texts == ["They changed the door " + RMARKER], "read %r" % texts)
    # The API: the same Idempotency-Key twice, one message.
    key = ("Idempotency-Key: fu-once-%s" % ref,)
    for i in range(2):
        res = ctx.api("follow-up/messages", {"ref": ref, "code": code,
                                             "message": "api " + RMARKER},
                      headers=key)
        check(res.status == 201, "api send %d: %r" % (i + 1, res))
    check(len(ctx.messages(ref, 2)) == 2, "the API resend stored %r"
          % ctx.messages(ref))


@test
def wrong_code_like_unknown_ref(ctx):
    """A wrong code for a known reference and any code for an unknown one:
    the same status and bytes (the page's token and the reference typed
    aside), on the page and through both API routes."""
    known, code = ctx.submit()
    unknown = e2e.unknown_ref(ctx.stack)
    bad = wrong_code(code)
    a = ctx.fu_open(known, bad)
    b = ctx.fu_open(unknown, bad)
    check(a.status == 422 and b.status == 422, "%r %r" % (a, b))
    e2e.check_html_page(a, 422)
    ta = without_token(a.text).replace(known, "REF")
    tb = without_token(b.text).replace(unknown, "REF")
    check(ta != a.text and tb != b.text, "no token or reference on the page")
    check(ta == tb, "the 422 pages differ")
    check(a.header("content-type") == b.header("content-type"), "types")
    check(e2e.token_of(a) != e2e.token_of(b), "one token for both")
    for path, extra in (("follow-up", {}),
                        ("follow-up/messages", {"message": "hello"})):
        x = ctx.api(path, dict(ref=known, code=bad, **extra))
        y = ctx.api(path, dict(ref=unknown, code=bad, **extra))
        check(x.status == 422 and y.status == 422, "%s: %r %r" % (path, x, y))
        check(x.body == y.body, "%s: %r != %r" % (path, x.body, y.body))
        check([(e["field"], e["code"]) for e in x.json()["errors"]] ==
              [("code", "no_match")], "%s: %r" % (path, x.body))
    # The page's add route too.
    page = ctx.conversation(known, code)
    pairs = dict(e2e.hidden_of(page, BASE + "/follow-up/add"))
    outs = []
    for ref in (known, unknown):
        outs.append(ctx.public.post_form(
            [("ref", ref), ("code", bad), ("token", pairs["token"]),
             ("message", "hello")], path=BASE + "/follow-up/add"))
    check([r.status for r in outs] == [422, 422], "add: %r" % outs)
    check(without_token(outs[0].text).replace(known, "REF") ==
          without_token(outs[1].text).replace(unknown, "REF"),
          "the add route's 422 pages differ")
    check(ctx.messages(known) == [], "a failed attempt stored a message")


@test
def eleventh_failure_429(ctx):
    """Ten failures on a reference in an hour are answered 422; the 11th
    429, known reference or not, page or API; then even the right code
    is refused for that reference, while another opens."""
    known, code = ctx.submit()
    other, other_code = ctx.submit()
    unknown = e2e.unknown_ref(ctx.stack)
    bad = wrong_code(code)
    for ref in (known, unknown):
        for i in range(10):
            # Alternating routes: the counter is the reference's.
            res = ctx.api("follow-up", {"ref": ref, "code": bad}) \
                if i % 2 else ctx.fu_open(ref, bad)
            check(res.status == 422, "%s failure %d: %r" % (ref, i + 1, res))
        res = ctx.fu_open(ref, bad)
        check(res.status == 429, "%s 11th (page): %r" % (ref, res))
        e2e.check_html_page(res, 429)
        res = ctx.api("follow-up", {"ref": ref, "code": bad})
        check(res.status == 429, "%s 11th (api): %r" % (ref, res))
        check([e["code"] for e in res.json()["errors"]] ==
              ["too_many_attempts"], "429 body %r" % res.body)
    res = ctx.fu_open(known, code)
    check(res.status == 429, "the right code after the limit: %r" % res)
    res = ctx.api("follow-up/messages", {"ref": known, "code": code,
                                         "message": "hello"})
    check(res.status == 429, "api add after the limit: %r" % res)
    check(ctx.api("follow-up", {"ref": unknown, "code": bad}).body ==
          ctx.api("follow-up", {"ref": known, "code": bad}).body,
          "the 429 bodies of a known and an unknown reference differ")
    ctx.conversation(other, other_code)


@test
def end_conversation(ctx):
    """/follow-up/end with confirm=yes: the code no longer opens (422,
    page and API), and the desk says the conversation ended."""
    ref, code = ctx.submit()
    ctx.taken_in(ref)
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/add")
    res = ctx.public.post_form(pairs + [("message", "One more thing " +
                                         EMARKER)],
                               path=BASE + "/follow-up/add")
    check(res.status == 200, "add: %r" % res)
    # Without confirm: refused, nothing ended.
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/end")
    res = ctx.public.post_form(pairs, path=BASE + "/follow-up/end")
    check(res.status == 422, "end without confirm: %r" % res)
    ctx.conversation(ref, code)
    page = ctx.conversation(ref, code)
    pairs = e2e.hidden_of(page, BASE + "/follow-up/end")
    res = ctx.public.post_form(pairs + [("confirm", "yes")],
                               path=BASE + "/follow-up/end")
    check(res.status == 200, "end: %r %r" % (res, res.text[:300]))
    e2e.check_html_page(res, 200)
    check(ctx.stack.query("SELECT sender_pk IS NULL FROM tips WHERE ref = ?",
                          (ref,)) == [(1,)], "the sender's key is kept")
    res = ctx.fu_open(ref, code)
    check(res.status == 422, "the code still opens: %r" % res)
    res = ctx.api("follow-up", {"ref": ref, "code": code})
    check(res.status == 422 and [e["code"] for e in res.json()["errors"]]
          == ["no_match"], "api after the end: %r %r" % (res, res.body))
    res = ctx.api("follow-up/messages", {"ref": ref, "code": code,
                                         "message": "still there?"})
    check(res.status == 422, "api add after the end: %r" % res)
    e2e.wait_until(lambda: ctx.tip_json(ref).get("follow_up") == "ended",
                   "the desk shows the conversation ended", timeout=30)
    t = ctx.tip_json(ref)
    check([(m["from"], m["text"]) for m in t["messages"]] ==
          [("sender", "One more thing " + EMARKER)],
          "messages before the end %r" % t["messages"])
    page = ctx.get("/staff/tips/" + ref).text
    check("The sender ended the conversation" in page,
          "the tip page does not say the conversation ended")
    check('action="/staff/tips/%s/messages"' % ref not in page,
          "the tip page still offers a question")
    res = ctx.dpost("/staff/tips/%s/messages" % ref,
                    [("text", "Are you there?"), ("csrf", ctx.csrf(ref))])
    check(res.status == 422, "a question after the end: %d" % res.status)


@test
def welsh_follow_up(ctx):
    """The Welsh pages open the same conversation."""
    ref, code = ctx.submit()
    res = ctx.fu_open(ref, code, base=BASE + "/cy")
    check(res.status == 200, "cy open: %r" % res)
    e2e.check_html_page(res, 200)
    check('lang="cy"' in res.text, "not the Welsh page")
    check('action="%s/cy/follow-up/add"' % BASE in res.text,
          "the Welsh page posts elsewhere")


class SecondFcgi:
    """A second tipline.fcgi on the stack's store with config changes,
    listening on its own socket; stack-like for production_nginx_conf."""

    def __init__(self, ctx, name, **over):
        self.dir = os.path.join(ctx.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "t.sock")
        keys = []
        with open(ctx.stack.path("tipline.conf")) as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = (x.strip() for x in line.split("=", 1))
                    if k == "listen":
                        v = self.sock
                    keys.append((k, over.pop(k, v)))
        keys += list(over.items())
        self.conf = os.path.join(self.dir, "tipline.conf")
        with open(self.conf, "w") as f:
            for k, v in keys:
                f.write("%s = %s\n" % (k, v))
        self.log = os.path.join(self.dir, "tipline.fcgi.log")
        self.build = ctx.build
        self.p = None

    def path(self, name):
        check(name == "tipline.conf", "SecondFcgi.path(%r)" % name)
        return self.conf

    def __enter__(self):
        self.out = open(self.log, "ab")
        env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.perturb=165")
        self.p = subprocess.Popen([os.path.join(self.build, "tipline.fcgi"),
                                   "-c", self.conf], stdin=subprocess.DEVNULL,
                                  stdout=self.out, stderr=self.out, env=env)

        def ready():
            e2e.check_now(self.p.poll() is None, "tipline.fcgi exited "
                          "(%s)" % self.log)
            return os.path.exists(self.sock)
        try:
            e2e.wait_until(ready, "the second tipline.fcgi made its socket")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(timeout=e2e.WAIT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(timeout=e2e.WAIT)
        self.out.close()


@test
def followup_off_no_code(ctx):
    """With followup = off the receipt (page and API) has no code; and
    the shipped nginx files, limits kept, refuse a burst of follow-up
    requests while the form goes on."""
    with SecondFcgi(ctx, "fu-off", followup="off") as fc:
        ctx.extra_logs.append(fc.dir)
        with e2e.ProductionNginx(fc, ctx.tmp, "fu-off-nginx") as ng:
            ctx.extra_logs.append(ng.prefix)
            client = e2e.Client(ng.port, ctx.tmp)
            res = client.post_form(e2e.valid_pairs(ctx.aged_token()))
            e2e.check_html_page(res, 200)
            ref = e2e.ref_of(res)
            check('id="followup-code"' not in res.text and
                  not re.search(r"\b\d{4} \d{4} \d{4} \d{4}\b", res.text),
                  "a code on the receipt with followup = off")
            check(ctx.stack.query("SELECT sender_pk IS NULL FROM tips"
                                  " WHERE ref = ?", (ref,)) == [(1,)],
                  "a sender key stored with followup = off")
            res = client.post_json(e2e.valid_json())
            check(res.status == 201 and "followup_code" not in res.json(),
                  "api with followup = off: %r %r" % (res, res.body[:200]))
            # Task of the nginx files: the follow-up routes allow a burst
            # of 5 beyond 10 a minute; the form's 20 beyond 30. So of 12
            # quick requests, the follow-up page refuses some, the form
            # none.
            # The nginx files (limits kept): the follow-up routes share a
            # zone of 10 a minute with a burst of 5; the form's is 30 and
            # 20. Twelve quick requests for the follow-up page: the first
            # six pass, then 429; the Welsh page and the API are then
            # refused too (the same zone), the form is not.
            codes = [client.get(BASE + "/follow-up").status
                     for _ in range(12)]
            check(codes[:6] == [200] * 6 and codes[-1] == 429,
                  "/follow-up: %r" % codes)
            res = client.get(BASE + "/cy/follow-up")
            check(res.status == 429, "/cy/follow-up: %r" % res)
            check('lang="cy"' in res.text, "the 429 page is not Welsh")
            for path in ("/api/v1/follow-up", "/api/v1/follow-up/messages"):
                res = client.request("POST", BASE + path, body=b"{}",
                                     ctype=e2e.JSON_TYPE)
                check(res.status == 429 and res.header("content-type") ==
                      "application/json", "%s: %r" % (path, res))
            codes = [client.get(BASE + "/").status for _ in range(8)]
            check(codes == [200] * 8, "the form was limited too: %r" % codes)


def files_under(d):
    for root, _, names in os.walk(d):
        for n in names:
            yield os.path.join(root, n)


@test
def markers_nowhere(ctx):
    """What both sides wrote, and every code handed out, are in no byte of
    the intake store, its WAL or any log."""
    files = [ctx.stack.path(f) for f in ("tipline.db", "tipline.db-wal")]
    files = [f for f in files if os.path.exists(f)]
    check(ctx.stack.path("tipline.db") in files, "no intake store")
    logs = list(files_under(ctx.stack.path("log")))
    for d in ctx.extra_logs:
        logs += [f for f in files_under(d) if f.endswith((".log", ".out"))]
    check(any(f.endswith("tipline.fcgi.log") for f in logs),
          "no tipline.fcgi log found: %r" % logs)
    words = [QMARKER, AMARKER, BMARKER, RMARKER, EMARKER]
    codes = [c for c in ctx.codes] + [c.replace(" ", "") for c in ctx.codes]
    check(len(codes) >= 10, "too few codes collected: %r" % codes)
    for f in files + logs:
        with open(f, "rb") as fh:
            data = fh.read()
        for w in words:
            check(w.encode() not in data and w.lower().encode() not in data,
                  "%s holds %s" % (f, w))
        for c in codes:
            check(c.encode() not in data, "%s holds a follow-up code" % f)


def make_ctx(stack, tmp, build):
    ctx = Ctx(stack, tmp, build)
    ctx.aged = [e2e.token_of(ctx.public.get(BASE + "/"))
                for _ in range(4)]
    time.sleep(e2e.MIN_SECONDS + 0.05)
    return ctx


def main():
    return e2e.suite_main("followup", __doc__, TESTS, make_ctx)


if __name__ == "__main__":
    sys.exit(main())
