#!/usr/bin/env python3
"""End-to-end tests of issue 23's operations (SPEC 17): the desk is
never down silently, urgent deliveries retry sooner, backups rotate.

  desk_stopped      the desk stopped (SIGSTOP) with a tip waiting:
                    `tiplinectl check` fails naming the desk and what to
                    run, both with the desk's store readable and as
                    tipline-check.service sees it (the status file only);
                    continued (SIGCONT), it takes the tip in and check
                    passes.
  desk_status_stale a status file older than a minute, or none: check
                    says the desk is not running (or has never run).
  promtool_rules    the alert rules pass `promtool check rules
                    --lint-fatal` and `promtool test rules`
                    (TiplineDeskDown).
  urgent_retry      with the receiver answering 500, an urgent tip's next
                    attempt follows retry_schedule_urgent, a normal tip's
                    retry_schedule.
  backup_rotate     `tiplinectl backup --rotate` makes a dated folder in
                    backup_dir and keeps the newest backup_keep it made;
                    nothing else in backup_dir is touched.

    tests/e2e/ops_ops.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `ops_ops: N passed, M failed`; exits 1
if any test failed. Python standard library only.
"""

import http.server
import os
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

URGENT = {"concerns": ["weapons"], "when": "now",
          "location": "High Street by the bank"}
NORMAL = {"concerns": ["dealing"], "location": "Bus shelter by the park"}
RUN = "systemctl status tipline-staff"


class Ctx(e2e.DeskCtx):
    def keys(self):
        keys = {}
        with open(self.stack.path("tipline.conf")) as f:
            for line in f:
                if "=" in line and not line.lstrip().startswith("#"):
                    k, v = line.split("=", 1)
                    keys[k.strip()] = v.strip()
        return keys

    def conf(self, name, **over):
        """A copy of the stack's config with these keys set."""
        keys = self.keys()
        keys.update({k: str(v) for k, v in over.items()})
        path = os.path.join(self.tmp, name + ".conf")
        with open(path, "w") as f:
            for k, v in keys.items():
                f.write("%s = %s\n" % (k, v))
        return path


def tipline_view(ctx, name, **over):
    """A config as tipline-check.service sees the desk: its store cannot
    even be looked at (here: a path under a file, ENOTDIR, as root could
    stat anything), only the status file."""
    return ctx.conf(name, staff_database=ctx.stack.path("tipline.conf",
                                                         "staff.db"), **over)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def failed_naming_desk(rc, out, what):
    check(rc == 1 and "tipline-staff.fcgi" in out and RUN in out,
          "%s: check did not fail naming the desk: %d %s" % (what, rc, out))


@test
def desk_stopped(ctx):
    full = ctx.conf("full", alert_urgent_after="2s")
    view = tipline_view(ctx, "view", alert_urgent_after="2s")
    e2e.wait_until(lambda: ctx.ctl("check", conf=full)[0] == 0,
                   "check passing with the desk running", timeout=20)
    rc, out, err = ctx.ctl("check", conf=view)
    check(rc == 0 and "the desk ran" in out,
          "tipline's view, desk running: %d %s %s" % (rc, out, err))
    st = os.stat(ctx.stack.path("desk.status"))
    check(st.st_mode & 0o777 == 0o640, "status file mode %o" % st.st_mode)
    with e2e.Stopped(ctx.stack, "tipline-staff.fcgi"):
        ref = ctx.submit(dict(URGENT, description="Knife shown outside "
                              "the bank, DESKSTOPPEDqx7 now."))
        time.sleep(4)
        rc, out, _ = ctx.ctl("check", conf=full)
        failed_naming_desk(rc, out, "the desk's store readable")
        check("has not taken in a tip or message waiting" in out,
              "no lag said: %s" % out)
        rc, out, _ = ctx.ctl("check", conf=view)
        failed_naming_desk(rc, out, "as tipline-check.service")
        check("has not taken in a tip or message waiting" in out,
              "no lag said as tipline: %s" % out)
    ctx.taken_in(ref)
    e2e.wait_until(lambda: ctx.ctl("check", conf=view)[0] == 0,
                   "check passing again", timeout=20)


@test
def desk_status_stale(ctx):
    with open(ctx.stack.path("desk.status")) as f:
        lines = f.read().splitlines()
    old = os.path.join(ctx.tmp, "old.status")
    with open(old, "w") as f:
        for line in lines:
            k, v = line.split(" ")
            if k == "heartbeat":
                v = str(int(time.time()) - 120)
            f.write("%s %s\n" % (k, v))
    rc, out, _ = ctx.ctl("check", conf=tipline_view(
        ctx, "stale", desk_status_file=old))
    failed_naming_desk(rc, out, "stale")
    check("is not running" in out, "stale: %s" % out)
    rc, out, _ = ctx.ctl("check", conf=tipline_view(
        ctx, "none", desk_status_file=os.path.join(ctx.tmp, "none.status")))
    failed_naming_desk(rc, out, "none")
    check("has never run" in out, "none: %s" % out)
    # No desk at all (no store, no status file): nothing said of it.
    rc, out, _ = ctx.ctl("check", conf=ctx.conf(
        "nodesk", staff_database=os.path.join(ctx.tmp, "no", "staff.db"),
        desk_status_file=os.path.join(ctx.tmp, "no", "status")))
    check("tipline-staff" not in out, "no desk: %d %s" % (rc, out))


def promtool():
    path = shutil.which("promtool")
    if path is None:
        raise Failure("promtool not found (run scripts/deps)")
    return path


@test
def promtool_rules(ctx):
    d = os.path.join(e2e.REPO, "deploy", "prometheus")
    for args in (["check", "rules", "--lint-fatal", "tipline-alerts.yml"],
                 ["test", "rules", "tipline-alerts.test.yml"]):
        p = subprocess.run([promtool()] + args, cwd=d, capture_output=True,
                           timeout=60)
        check(p.returncode == 0, "promtool %s: %s" % (
            " ".join(args), (p.stdout + p.stderr).decode()))
    with open(os.path.join(d, "tipline-alerts.test.yml")) as f:
        check("TiplineDeskDown" in f.read(), "no case for TiplineDeskDown")


class Always500(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@test
def urgent_retry(ctx):
    srv = http.server.HTTPServer(("127.0.0.1", 0), Always500)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    conf = ctx.conf("retry", webhook_url="http://127.0.0.1:%d/hook" %
                    srv.server_address[1], retry_schedule="1h",
                    retry_schedule_urgent="2s,2s", digest_after="0")
    try:
        with e2e.Stopped(ctx.stack, "tipline-notify"):
            urgent = ctx.submit(dict(URGENT, description="Knife, now, "
                                     "URGENTRETRYqx7."))
            normal = ctx.submit(dict(NORMAL, description="Dealing, "
                                     "NORMALRETRYqx7."))
            p = subprocess.run([os.path.join(ctx.build, "tipline-notify"),
                                "-c", conf, "--once"], capture_output=True,
                               timeout=60)
            check(p.returncode == 1, "--once: %d %s" % (
                p.returncode, p.stderr.decode()))
            now = time.time()
            rows = dict((r[0], r[1:]) for r in ctx.stack.query(
                "SELECT t.ref, d.attempts, d.next_at FROM deliveries d"
                " JOIN tips t ON t.id = d.tip_id WHERE t.ref IN (?, ?)"
                " AND d.kind = 'tip.received'", (urgent, normal)))
            check(rows.get(urgent, (0,))[0] == 1 and
                  rows.get(normal, (0,))[0] == 1, "attempts %r" % rows)
            check(rows[urgent][1] - now <= 5, "urgent next in %ds" %
                  (rows[urgent][1] - now))
            check(rows[normal][1] - now >= 3000, "normal next in %ds" %
                  (rows[normal][1] - now))
            # Due again: the urgent one only.
            time.sleep(max(0, rows[urgent][1] - time.time()) + 1)
            subprocess.run([os.path.join(ctx.build, "tipline-notify"),
                            "-c", conf, "--once"], capture_output=True,
                           timeout=60)
            n = dict(ctx.stack.query(
                "SELECT t.ref, d.attempts FROM deliveries d JOIN tips t"
                " ON t.id = d.tip_id WHERE t.ref IN (?, ?)"
                " AND d.kind = 'tip.received'", (urgent, normal)))
            check(n == {urgent: 2, normal: 1}, "second round %r" % n)
    finally:
        srv.shutdown()
        srv.server_close()
    # Leave them to the stack's notifier and sink.
    ctx.stack.intake_exec("UPDATE deliveries SET next_at = 0 WHERE state ="
                          " 'pending'")


@test
def backup_rotate(ctx):
    bdir = os.path.join(ctx.tmp, "backups")
    os.makedirs(bdir, mode=0o700)
    other = os.path.join(bdir, "tipline-mine")
    os.makedirs(other)
    # Made by an earlier run: three, the oldest first.
    made = []
    for stamp in ("20200101T000000Z", "20200102T000000Z",
                  "20200103T000000Z"):
        made.append(os.path.join(bdir, "tipline-" + stamp))
        os.makedirs(made[-1])
        with open(os.path.join(made[-1], "tipline.db"), "w") as f:
            f.write("old")
    conf = ctx.conf("rotate", backup_dir=bdir, backup_keep=2)
    rc, out, err = ctx.ctl("backup", "--rotate", conf=conf)
    check(rc == 0, "backup --rotate: %d %s %s" % (rc, out, err))
    names = sorted(os.listdir(bdir))
    new = [n for n in names if n.startswith("tipline-2") and
           n > "tipline-2021"]
    check(len(new) == 1, "no new dated folder: %r" % names)
    check(os.path.exists(os.path.join(bdir, new[0], "tipline.db")),
          "the new backup holds no tipline.db: %r" %
          os.listdir(os.path.join(bdir, new[0])))
    check(names == sorted(["tipline-mine", "tipline-20200103T000000Z",
                           new[0]]), "kept %r" % names)
    rc, out, err = ctx.ctl("backup", "--rotate", bdir, conf=conf)
    check(rc == 2 and "--rotate names the folder itself" in err,
          "--rotate with DIR: %d %s" % (rc, err))


def main():
    return e2e.suite_main("ops_ops", __doc__, TESTS, Ctx,
                          env={"TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
