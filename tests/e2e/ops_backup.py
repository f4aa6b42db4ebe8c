#!/usr/bin/env python3
"""End-to-end tests of SPEC 17's backups that restore (issue 23), on the
stack deploy/local/up runs (tipline.fcgi, tipline-notify and the desk):

    running_refused     a backup, more tips, then a restore while the
                        programs run: refused (exit 1) naming what to
                        stop, nothing changed, every tip still on the desk
    stop_restore_start  the stack stopped, the backup restored, started:
                        every tip of the backup opens on the desk, and a
                        tip sent after the restart reaches it
    intake_only_cursor  an --intake-only backup restored under a desk
                        that has taken in tips since: the next tip still
                        reaches the desk (the desk's cursor is never
                        ahead of the intake store's ids)
    desk_fresh_paths    a backup (the desk's WAL store too) restores into
                        fresh paths: both stores whole, every tip there
    truncated_nothing   a backup with a file cut short restores nothing:
                        the stores are byte for byte as they were
    nonempty_refused    a backup into a folder that holds a file: refused
    desk_unreadable     a backup run by a user who cannot read the desk's
                        store fails naming it, unless --intake-only

    tests/e2e/ops_backup.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `ops_backup: N passed, M failed`;
exits 1 if any test failed. Python standard library only.
"""

import hashlib
import os
import shutil
import sqlite3
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure

NOBODY = 65534


class Ctx(e2e.DeskCtx):
    def __init__(self, stack, tmp, build):
        super().__init__(stack, tmp, build)
        self.n = 0

    def submit(self, word):
        """A tip whose description holds word: its ref."""
        self.n += 1
        return super().submit({
            "concerns": ["dealing"], "location": "Bus shelter %d" % self.n,
            "description": "Dealing every evening, %s on the wall." % word})

    def opens(self, ref, word):
        """The desk shows ref with its words."""
        res = self.get("/staff/tips/%s.json" % ref)
        return res.status == 200 and \
            word in (res.json().get("description") or "")

    def wait_desk(self, ref, word, timeout=30):
        e2e.wait_until(lambda: self.opens(ref, word),
                       "the desk shows %s with its words" % ref,
                       timeout=timeout)

    def conf(self, path, **over):
        """The stack's config with keys changed, written to path."""
        with open(self.stack.path("tipline.conf")) as f:
            lines = [ln for ln in f.read().splitlines()
                     if ln.split("=")[0].strip() not in over]
        lines += ["%s = %s" % kv for kv in over.items()]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def backup(self, name, *extra):
        d = os.path.join(self.tmp, name)
        rc, out, err = self.ctl("backup", d, *extra)
        check(rc == 0, "backup: %d %s%s" % (rc, out, err))
        return d

    def restart(self):
        self.stack.down()
        self.stack.up()
        self.connect()


def digest(path):
    """sha256 of the file at path, or None when there is none."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


def store_files(db):
    """The files of a store, with their digests (None: not there)."""
    return {p: digest(p) for p in (db, db + "-wal", db + "-shm",
                                   db + ".restore", db + ".old",
                                   db + ".old-wal")}


def refs_in(db):
    con = sqlite3.connect(db, timeout=10)
    try:
        return set(r[0] for r in con.execute("SELECT ref FROM tips"))
    finally:
        con.close()


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def running_refused(ctx):
    before = {ctx.submit("RUNA%dqz" % i): "RUNA%dqz" % i for i in range(3)}
    for ref, word in before.items():
        ctx.wait_desk(ref, word)
    ctx.saved = (ctx.backup("b-running"), before)
    after = {ctx.submit("RUNB%dqz" % i): "RUNB%dqz" % i for i in range(2)}
    for ref, word in after.items():
        ctx.wait_desk(ref, word)
    intake = ctx.stack.path("tipline.db")
    desk = ctx.stack.path("staff.db")
    rc, out, err = ctx.ctl("restore", ctx.saved[0])
    check(rc == 1, "restore while running: exit %d %s%s" % (rc, out, err))
    for words in ("in use", "stop tipline, tipline-notify and "
                  "tipline-staff", "systemctl stop", "Nothing was changed"):
        check(words in err, "no %r in: %s" % (words, err))
    for path in (intake, desk):
        for p in (".restore", ".old", ".old-wal"):
            check(not os.path.exists(path + p), "%s left" % (path + p))
    check(set(after) <= refs_in(intake), "tips sent after the backup are "
          "gone from the intake store")
    for ref, word in list(before.items()) + list(after.items()):
        check(ctx.opens(ref, word), "%s is no longer on the desk" % ref)
    # Another new tip still reaches the desk.
    ref = ctx.submit("RUNCqz")
    ctx.wait_desk(ref, "RUNCqz")


@test
def stop_restore_start(ctx):
    if not hasattr(ctx, "saved"):
        running_refused(ctx)
    bdir, before = ctx.saved
    ctx.stack.down()
    try:
        rc, out, err = ctx.ctl("restore", bdir)
    finally:
        ctx.stack.up()
        ctx.connect()
    check(rc == 0, "restore: %d %s%s" % (rc, out, err))
    check("desk store restored" in out, "restore said: %s" % out)
    for ref, word in before.items():
        check(ctx.opens(ref, word), "%s does not open on the desk after "
              "the restore" % ref)
    ref = ctx.submit("RESTARTqz")
    ctx.wait_desk(ref, "RESTARTqz")


@test
def intake_only_cursor(ctx):
    a = ctx.submit("IOAqz")
    ctx.wait_desk(a, "IOAqz")
    bdir = ctx.backup("b-intake-only", "--intake-only")
    check(sorted(os.listdir(bdir)) == ["tipline.db"], "the backup holds "
          "%r" % os.listdir(bdir))
    # The desk takes in more: its cursor goes past the backup's last id.
    later = [ctx.submit("IOB%dqz" % i) for i in range(3)]
    for i, ref in enumerate(later):
        ctx.wait_desk(ref, "IOB%dqz" % i)
    ctx.stack.down()
    try:
        rc, out, err = ctx.ctl("restore", bdir)
    finally:
        ctx.stack.up()
        ctx.connect()
    check(rc == 0, "restore: %d %s%s" % (rc, out, err))
    check("kept as it is" in out, "restore said: %s" % out)
    ref = ctx.submit("IOCqz")
    ctx.wait_desk(ref, "IOCqz")
    for i, r in enumerate(later):
        check(ctx.opens(r, "IOB%dqz" % i), "the desk lost %s" % r)


def fresh(ctx, name):
    d = os.path.join(ctx.tmp, name)
    os.makedirs(d)
    return ctx.conf(os.path.join(d, "tipline.conf"),
                    database=os.path.join(d, "tipline.db"),
                    staff_database=os.path.join(d, "staff.db")), d


@test
def desk_fresh_paths(ctx):
    ref = ctx.submit("FRESHqz")
    ctx.wait_desk(ref, "FRESHqz")
    mode = ctx.stack.desk_query("PRAGMA journal_mode")[0][0]
    check(mode == "wal", "the desk's store is in %s mode" % mode)
    bdir = ctx.backup("b-fresh")
    conf, d = fresh(ctx, "fresh")
    rc, out, err = ctx.ctl("restore", bdir, conf=conf)
    check(rc == 0, "restore into fresh paths: %d %s%s" % (rc, out, err))
    for db in ("tipline.db", "staff.db"):
        con = sqlite3.connect(os.path.join(d, db))
        try:
            check(con.execute("PRAGMA integrity_check").fetchone()[0] ==
                  "ok", "%s fails integrity_check" % db)
            check(con.execute("SELECT 1 FROM tips WHERE ref = ?",
                              (ref,)).fetchall(), "%s lacks %s" % (db, ref))
        finally:
            con.close()
    ctx.fresh = (conf, d)


def cut(src, dst, name):
    """A copy of backup src in dst with file name cut to half."""
    shutil.copytree(src, dst)
    p = os.path.join(dst, name)
    size = os.path.getsize(p)
    with open(p, "r+b") as f:
        f.truncate(size // 2)


@test
def truncated_nothing(ctx):
    if not hasattr(ctx, "fresh"):
        desk_fresh_paths(ctx)
    conf, d = ctx.fresh
    # A later backup, so a whole one would change the fresh stores.
    ctx.submit("TRUNCqz")
    bdir = ctx.backup("b-trunc")
    files = {}
    for db in ("tipline.db", "staff.db"):
        files.update(store_files(os.path.join(d, db)))
    for name in ("staff.db.sealed", "tipline.db"):
        bad = os.path.join(ctx.tmp, "b-cut-" + name)
        cut(bdir, bad, name)
        rc, out, err = ctx.ctl("restore", bad, conf=conf)
        check(rc == 1, "restore of a cut %s: %d %s%s" % (name, rc, out,
                                                         err))
        check("nothing was changed" in err, "said: %s" % err)
        now = {}
        for db in ("tipline.db", "staff.db"):
            now.update(store_files(os.path.join(d, db)))
        changed = [p for p in files if files[p] != now[p]]
        check(not changed, "a cut %s changed %r" % (name, changed))
    # The whole backup does restore there.
    rc, out, err = ctx.ctl("restore", bdir, conf=conf)
    check(rc == 0, "restore: %d %s%s" % (rc, out, err))


@test
def nonempty_refused(ctx):
    d = os.path.join(ctx.tmp, "nonempty")
    os.makedirs(d)
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("mine\n")
    rc, out, err = ctx.ctl("backup", d)
    check(rc == 1 and "not empty" in err and d in err,
          "backup into a folder with a file: %d %s%s" % (rc, out, err))
    check(os.listdir(d) == ["notes.txt"], "it wrote %r" % os.listdir(d))
    # An empty folder is fine.
    e = os.path.join(ctx.tmp, "empty")
    os.makedirs(e)
    rc, out, err = ctx.ctl("backup", e)
    check(rc == 0, "backup into an empty folder: %d %s" % (rc, err))


@test
def desk_unreadable(ctx):
    """As the README once said: a user who can read the intake store but
    not the desk's (`runuser -u tipline`)."""
    top = tempfile.mkdtemp(prefix="tipline-ops-backup-nobody.")
    try:
        os.chmod(top, 0o777)
        src = ctx.backup("b-nobody")
        conf, d = fresh(ctx, "nobody-src")
        rc, out, err = ctx.ctl("restore", src, conf=conf)
        check(rc == 0, "restore: %d %s" % (rc, err))
        pub = os.path.join(top, "staff.pub")
        shutil.copy(ctx.stack.path("staff.pub"), pub)
        intake = os.path.join(top, "i")
        os.makedirs(intake)
        shutil.copy(os.path.join(d, "tipline.db"), intake)
        desk = os.path.join(top, "d")
        os.makedirs(desk, mode=0o700)
        shutil.copy(os.path.join(d, "staff.db"), desk)
        for p in (top, pub, intake, os.path.join(intake, "tipline.db")):
            os.chmod(p, 0o777 if os.path.isdir(p) else 0o666)
        nconf = ctx.conf(os.path.join(top, "tipline.conf"),
                         database=os.path.join(intake, "tipline.db"),
                         staff_database=os.path.join(desk, "staff.db"),
                         staff_public_key_file=pub)
        os.chmod(nconf, 0o644)
        out_dir = os.path.join(top, "b1")
        rc, out, err = ctx.ctl("backup", out_dir, conf=nconf, user=NOBODY)
        check(rc == 1, "backup without the desk's store: %d %s%s"
              % (rc, out, err))
        check(os.path.join(desk, "staff.db") in err and
              "--intake-only" in err, "the error does not name the "
              "desk's store and --intake-only: %s" % err)
        left = os.listdir(out_dir) if os.path.exists(out_dir) else []
        check(not left, "a failed backup left %r" % left)
        rc, out, err = ctx.ctl("backup", os.path.join(top, "b2"),
                               "--intake-only", conf=nconf, user=NOBODY)
        check(rc == 0, "--intake-only: %d %s%s" % (rc, out, err))
        check(os.listdir(os.path.join(top, "b2")) == ["tipline.db"],
              "--intake-only wrote %r" % os.listdir(os.path.join(top,
                                                                 "b2")))
    finally:
        shutil.rmtree(top, ignore_errors=True)


def main():
    return e2e.suite_main("ops_backup", __doc__, TESTS, Ctx,
                          env={"TIPLINE_FOLLOWUP": "off"})


if __name__ == "__main__":
    sys.exit(main())
