#!/usr/bin/env python3
"""End-to-end tests of the desk's ingest as an attacker who controls
tipline.fcgi would test it (SPEC 16, issue 22 findings 1 and 9), through
real nginx and the real desk.

The attacker holds what tipline.fcgi holds: the intake store and the
staff PUBLIC key. build/tests/forge (tests/e2e/forge.c) stores tips with
plaintext columns of their choosing, sealed with the library's own
functions so that each blob opens on its own row. The desk must check
every plaintext column against the field table (a tip that fails is
flagged, its bad columns never printed), escape every value it prints,
and never read a sealed blob over max_sealed_bytes:

  forged_concerns_escaped  markup in the concerns column (a form that
                           posts to another tip, an HTML comment that
                           hides the rest of the queue) reaches no page:
                           queue, tip page, search; the other tips are
                           still listed
  forged_columns_dropped   each plaintext column out of its field's
                           choices or range flags its tip, by name, and
                           is shown nowhere
  huge_blobs_bounded       five tips of 20 MiB blobs each: the desk's
                           peak memory (VmHWM) grows by far less than
                           one of them; the tips are flagged

    tests/e2e/trust_ingest.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `trust_ingest: N passed, M failed`;
exits 1 if any test failed. Python standard library (and curl, via
run.py) only.
"""

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

# Real tips, sent through the public API.
TIPS = {
    "victim": {
        "concerns": ["child_exploitation"],
        "description": "A girl is collected from the leisure centre every "
                       "night by men in a grey van.",
        "location": "Leisure centre, Mill Lane",
        "child_at_risk": "yes"},
    "later": {
        "concerns": ["dealing"],
        "description": "Dealing from the leisure centre's back door most "
                       "evenings after eight.",
        "location": "Leisure centre back door"},
}

MIB = 1024 * 1024


class Ctx(e2e.DeskCtx):
    def __init__(self, stack, tmp, build):
        super().__init__(stack, tmp, build)
        self.refs = {}

    def get(self, path, headers=()):
        """A desk page that must answer 200."""
        res = super().get(path, headers)
        check(res.status == 200, "GET %s: %d" % (path, res.status))
        return res

    def forge(self, *pairs):
        """Stores a forged tip (NAME=VALUE pairs, see forge.c) as the
        public side could, and waits until the desk took it in; its
        reference."""
        p = subprocess.run([os.path.join(self.build, "tests", "forge"),
                            self.stack.path("tipline.conf")] + list(pairs),
                           capture_output=True, timeout=120)
        check(p.returncode == 0, "forge: %s" % p.stderr.decode())
        ref = p.stdout.decode().strip()
        self.taken_in(ref, timeout=60)
        return ref

    def fault(self, ref):
        rows = self.stack.desk_query("SELECT fault FROM tips WHERE ref = ?",
                                     (ref,))
        check(rows, "%s is not in the desk" % ref)
        return rows[0][0]


def fill(ctx):
    for name, body in TIPS.items():
        res = ctx.public.post_json(body)
        check(res.status == 201, "submit %s: %d" % (name, res.status))
        ctx.refs[name] = res.json()["ref"]
    for ref in ctx.refs.values():
        ctx.taken_in(ref, timeout=60)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def pages(ctx, ref):
    """The pages a forged tip reaches: the queue, its own page, a search
    that finds every tip here (they all say "leisure centre") and the
    urgent filter of the queue."""
    return {
        "queue": ctx.get("/staff/").text,
        "urgent queue": ctx.get("/staff/?priority=urgent").text,
        "tip page": ctx.get("/staff/tips/" + ref).text,
        "search": ctx.get("/staff/search?q=" +
                          urllib.parse.quote("leisure centre")).text,
    }


@test
def forged_concerns_escaped(ctx):
    victim = ctx.refs["victim"]
    form = ('dealing,<form action="/staff/tips/%s/state" method="post">'
            '<input type="hidden" name="state" value="closed">' % victim)
    forged = [ctx.forge("priority=urgent", "concerns=" + form),
              ctx.forge("priority=urgent", "concerns=weapons,<!--")]
    for ref in forged:
        for name, text in pages(ctx, ref).items():
            check("<form action=" not in text,
                  "%s of %s: the forged form is live" % (name, ref))
            check("<!--" not in text,
                  "%s of %s: the forged comment is live" % (name, ref))
            check('<input type="hidden" name="state"' not in text,
                  "%s of %s: a forged input" % (name, ref))
        fault = ctx.fault(ref)
        check(fault and "concerns" in fault,
              "%s not flagged for its concerns: %r" % (ref, fault))
    # What a browser shows: markup outside comments.
    queue = re.sub(r"<!--.*?(-->|$)", "", ctx.get("/staff/").text,
                   flags=re.S)
    for name, ref in ctx.refs.items():
        check(ref in queue, "the queue hides %s after the forged rows"
              % name)
    # The page still has exactly the desk's own forms.
    tip = ctx.get("/staff/tips/" + forged[0]).text
    actions = re.findall(r'<form [^>]*action="([^"]*)"', tip)
    check(all(a.startswith("/staff/tips/" + forged[0] + "/")
              for a in actions), "a form of the tip page posts elsewhere:"
          " %r" % actions)


@test
def forged_columns_dropped(ctx):
    cases = [
        ("when", "when=<b>now</b>", "<b>now"),
        ("child_at_risk", "child_at_risk=maybe<i>", "maybe<i>"),
        ("concerns", "concerns=dealing,dealing,<u>", "<u>"),
        ("area", "area=<s>", "<s>"),
        ("received_at", "received_at=99999999999", None),
        ("has_people", "has_people=7", None),
    ]
    for column, pair, shown in cases:
        ref = ctx.forge(pair)
        fault = ctx.fault(ref)
        check(fault and column in fault,
              "%s: not flagged for its column: %r" % (pair, fault))
        if shown is None:
            continue
        for name, text in pages(ctx, ref).items():
            check(shown not in text, "%s: %s shows %r" % (pair, name,
                                                          shown))
        tip = ctx.desk.get("/staff/tips/%s.json" % ref,
                           headers=(ctx.auth,)).json()
        check(not tip.get(column), "%s: the JSON has %s: %r" % (
            pair, column, tip.get(column)))
    # A received_at from the future is not believed either.
    rows = ctx.stack.desk_query("SELECT max(received_at) FROM tips")
    check(rows[0][0] < time.time() + 3600, "a future received_at kept")


@test
def huge_blobs_bounded(ctx):
    pid = ctx.stack.pid("tipline-staff.fcgi")
    check(pid, "no pid of the desk")
    before = e2e.proc_bytes(pid, "VmHWM")
    refs = []
    for _ in range(5):
        p = subprocess.run([os.path.join(ctx.build, "tests", "forge"),
                            ctx.stack.path("tipline.conf"),
                            "priority=urgent",
                            "sealed_bytes=%d" % (20 * MIB)],
                           capture_output=True, timeout=120)
        check(p.returncode == 0, "forge: %s" % p.stderr.decode())
        refs.append(p.stdout.decode().strip())
    for ref in refs:
        ctx.taken_in(ref, timeout=60)
    grew = e2e.proc_bytes(pid, "VmHWM") - before
    check(grew < 16 * MIB, "the desk's peak memory grew by %.1f MiB for "
          "five 20 MiB blobs" % (grew / MIB))
    for ref in refs:
        fault = ctx.fault(ref)
        check(fault and "max_sealed_bytes" in fault,
              "%s: not flagged as too large: %r" % (ref, fault))
    queue = ctx.get("/staff/").text
    check(all(ref in queue for ref in refs + list(ctx.refs.values())),
          "the queue lacks a tip")
    return "peak grew %.1f MiB" % (grew / MIB)


def make_ctx(stack, tmp, build):
    ctx = Ctx(stack, tmp, build)
    fill(ctx)
    return ctx


def main():
    return e2e.suite_main("trust_ingest", __doc__, TESTS, make_ctx,
                          env={"TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
