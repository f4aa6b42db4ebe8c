#!/usr/bin/env python3
"""An admin following the README (issue 23, bullets 5 and 6): what
tiplinectl prints, and whether the deployment guide's steps hold.

On the local stack: `list` shows an urgent tip with a reminder once;
`deliveries` shows each delivery's type and webhook id, and that id is
what `--ack` takes. Without a stack: every error says what to do (a
missing config names -c and TIPLINE_CONFIG; notifications not sent name
systemctl status and journalctl -u tipline-notify; a backup folder it
cannot write names the folder and its owner). As root in a mount
namespace of its own (the host's users are never changed): the README's
by-hand user steps make the users of the shipped sysusers file, and
`tiplinectl init` leaves staff.key 0400 tipline-staff, readable by the
desk's user, also when the keys were made before the users. The README's
install table, "Upgrading" and firewall step against deploy/ and the
Makefile.

    tests/e2e/ops_guide.py [--build DIR] [--keep] [TEST...]

Prints one line per test and then `ops_guide: N passed, M failed`.
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402  (helpers: Stack, Client, check, ...)

check = e2e.check
Failure = e2e.Failure
REPO = e2e.REPO
README = os.path.join(REPO, "README.md")
WHID = re.compile(r"\bmsg_[0-9a-z]{24}\b")
NOBODY = 65534


class Ctx:
    """The stack (started by the first test that needs it), tiplinectl
    and a scratch folder."""

    def __init__(self, stack, tmp, build):
        self.stack = stack
        self.tmp = tmp
        self.build = build
        self.ctl_path = os.path.join(build, "tiplinectl")
        self.started = False

    def up(self):
        if not self.started:
            self.started = True
            self.stack.up()
            self.client = e2e.Client(self.stack.port, self.tmp)
        return self.stack

    def ctl(self, *args, conf=None, env=None, pre=()):
        e = dict(os.environ)
        e.pop("TIPLINE_CONFIG", None)
        e.update(env or {})
        return e2e.tiplinectl(self.build, *args, conf=conf, pre=pre, env=e)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def readme_section(title):
    """The text of the README's section whose heading ends with title,
    up to the next heading of the same or a higher level."""
    text = open(README).read()
    m = re.search(r"(?m)^(#+) [^\n]*%s\n" % re.escape(title), text)
    check(m, "README has no section %r" % title)
    level = len(m.group(1))
    rest = text[m.end():]
    end = re.search(r"(?m)^#{1,%d} " % level, rest)
    return rest[:end.start()] if end else rest


def root_commands(text):
    """The `# command` lines of an indented block in text, joined across
    backslash continuations."""
    cmds, cur = [], None
    for ln in text.splitlines():
        s = ln.strip()
        if cur is not None:
            cur += " " + s.rstrip("\\").strip()
            if not s.endswith("\\"):
                cmds.append(cur)
                cur = None
        elif ln.startswith("    ") and s.startswith("# "):
            c = s[2:]
            if c.endswith("\\"):
                cur = c.rstrip("\\").strip()
            else:
                cmds.append(c)
    return cmds


# ----------------------------------------------------------- the CLI ---

def urgent_tip_with_reminder(ctx):
    """An urgent tip, delivered or not, with a tip.reminder delivery as
    the desk queues it. Returns its ref."""
    stack = ctx.up()
    res = ctx.client.post_json(e2e.valid_json(
        concerns=["weapons"], when="now",
        description="A man showed a knife outside the shop, now."))
    check(res.status == 201, "submit: %r" % res)
    ref = res.json()["ref"]
    now = int(time.time())
    stack.intake_exec("INSERT INTO deliveries (tip_id, kind, webhook_id,"
                      " urgent, next_at, created_at) SELECT id,"
                      " 'tip.reminder', 'msg_remindzzzzzzzzzzzzzzzzzz', 1,"
                      " ?2, ?2 FROM tips WHERE ref = ?1", (ref, now + 3600))
    return ref


@test
def list_shows_a_tip_once(ctx):
    """An urgent tip with a tip.reminder as well as its tip.received
    delivery is one line of `list` and one element of `list --json`."""
    ref = urgent_tip_with_reminder(ctx)
    conf = ctx.stack.path("tipline.conf")
    n = ctx.stack.query("SELECT count(*) FROM deliveries d JOIN tips t ON"
                        " t.id = d.tip_id WHERE t.ref = ?", (ref,))[0][0]
    check(n >= 2, "the tip has %d deliveries" % n)
    rc, out, err = ctx.ctl("list", conf=conf)
    check(rc == 0, "list: %d %r" % (rc, err))
    lines = [ln for ln in out.splitlines() if ln.startswith(ref)]
    check(len(lines) == 1, "list shows %s %d times: %r"
          % (ref, len(lines), out))
    check("URGENT" in lines[0], "not urgent: %r" % lines[0])
    rc, out, err = ctx.ctl("list", "--json", conf=conf)
    check(rc == 0 and out.count('"%s"' % ref) == 1, "list --json: %r"
          % out)


@test
def deliveries_type_and_webhook_id(ctx):
    """`deliveries` names each delivery's type and webhook id; a dead
    reminder's id from that listing is what --ack takes."""
    stack = ctx.up()
    conf = stack.path("tipline.conf")
    rows = stack.query("SELECT t.ref, d.kind, d.webhook_id FROM"
                       " deliveries d JOIN tips t ON t.id = d.tip_id"
                       " WHERE d.kind = 'tip.reminder'")
    if not rows:
        urgent_tip_with_reminder(ctx)
        rows = stack.query("SELECT t.ref, d.kind, d.webhook_id FROM"
                           " deliveries d JOIN tips t ON t.id = d.tip_id"
                           " WHERE d.kind = 'tip.reminder'")
    ref, _, whid = rows[0]
    rc, out, err = ctx.ctl("deliveries", conf=conf)
    check(rc == 0, "deliveries: %d %r" % (rc, err))
    head = out.splitlines()[0]
    check("TYPE" in head and "WEBHOOK-ID" in head, "heading %r" % head)
    mine = [ln.split() for ln in out.splitlines() if ln.startswith(ref)]
    kinds = sorted(w[1] for w in mine)
    check(kinds == ["tip.received", "tip.reminder"], "types of %s: %r"
          % (ref, mine))
    for w in mine:
        check(any(WHID.fullmatch(x) for x in w) or whid in w,
              "no webhook id in %r" % w)
    # The reminder dies; the id the listing shows acknowledges it.
    stack.intake_exec("UPDATE deliveries SET state = 'dead', attempts = 8"
                      " WHERE webhook_id = ?", (whid,))
    rc, out, _ = ctx.ctl("deliveries", "--state", "dead", conf=conf)
    dead = [ln.split() for ln in out.splitlines() if ln.startswith(ref)]
    check(len(dead) == 1 and dead[0][1] == "tip.reminder" and whid in
          dead[0], "dead listing: %r" % out)
    rc, out, err = ctx.ctl("deliveries", "--ack", whid, conf=conf)
    check(rc == 0 and "acknowledged 1" in out, "--ack %s: %d %r %r"
          % (whid, rc, out, err))
    rc, _, err = ctx.ctl("deliveries", "--ack", "msg_nosuchdeliveryatall00",
                         conf=conf)
    check(rc == 1 and "tiplinectl deliveries" in err,
          "an unknown id says where ids are: %r" % err)


@test
def missing_config_names_c_and_env(ctx):
    """No config at the default path, at -c's or at TIPLINE_CONFIG's:
    each error names -c and TIPLINE_CONFIG."""
    if os.path.exists("/etc/tipline/tipline.conf"):
        raise e2e.Skip("/etc/tipline/tipline.conf exists here")
    nope = os.path.join(ctx.tmp, "nope.conf")
    for how in ({}, {"conf": nope}, {"env": {"TIPLINE_CONFIG": nope}}):
        rc, out, err = ctx.ctl("list", **how)
        check(rc == 1 and "No such file or directory" in err and
              "-c FILE" in err and "TIPLINE_CONFIG" in err,
              "%r: %d %r" % (how, rc, err))
    rc, _, err = ctx.ctl("list")
    check("/etc/tipline/tipline.conf" in err, "default path: %r" % err)


def scratch_conf(ctx, name, extra=""):
    """A config in a fresh folder: its store, keys and templates there."""
    d = os.path.join(ctx.tmp, name)
    os.makedirs(d)
    path = os.path.join(d, "tipline.conf")
    with open(path, "w") as f:
        f.write("database = %s/db/tipline.db\n"
                "templates = %s\n"
                "form_key_file = %s/form.key\n"
                "webhook_secret_file = %s/webhook.secret\n"
                "staff_public_key_file = %s/staff.pub\n"
                "staff_secret_key_file = %s/staff.key\n%s"
                % (d, e2e.TEMPLATES, d, d, d, d, extra))
    return d, path


@test
def check_names_notify_unit(ctx):
    """A webhook set and tipline-notify never run: check says
    notifications are not being sent and names systemctl status and
    journalctl -u tipline-notify."""
    d, conf = scratch_conf(ctx, "nonotify",
                           "webhook_url = https://hooks.example.org/x\n")
    rc, out, err = ctx.ctl("init", conf=conf)
    check(rc == 0, "init: %d %r" % (rc, err))
    rc, out, err = ctx.ctl("check", conf=conf)
    lines = [ln for ln in out.splitlines()
             if "notifications are not being sent" in ln]
    check(rc == 1 and lines, "check: %d %r" % (rc, out))
    check("systemctl status tipline-notify" in lines[0] and
          "journalctl -u tipline-notify" in lines[0], "%r" % lines[0])


def as_nobody():
    if os.geteuid() != 0:
        raise e2e.Skip("not root: cannot run as another user")
    return e2e.as_user(NOBODY)


@test
def backup_denied_names_folder_and_user(ctx):
    """A backup into the 0700 root folder as another user: the error
    names the folder and the user to run it as, and nothing is made."""
    pre = as_nobody()
    d, conf = scratch_conf(ctx, "bkdenied")
    os.chmod(d, 0o755)
    os.chmod(conf, 0o644)
    folder = os.path.join(d, "backups")
    os.makedirs(folder, mode=0o700)
    rc, out, err = ctx.ctl("backup", os.path.join(folder, "2026-11-28"),
                           conf=conf, pre=pre)
    check(rc == 1, "backup: exit %d %r %r" % (rc, out, err))
    check("Permission denied" in err and folder in err and "root" in err,
          "backup's error: %r" % err)
    check(os.listdir(folder) == [], "made %r" % os.listdir(folder))


@test
def store_denied_names_user(ctx):
    """`list` as a user who cannot read the store names the user to run
    it as (runuser -u tipline)."""
    pre = as_nobody()
    d, conf = scratch_conf(ctx, "storedenied")
    rc, _, err = ctx.ctl("init", conf=conf)
    check(rc == 0, "init: %r" % err)
    os.chmod(d, 0o755)
    os.chmod(conf, 0o644)
    os.chmod(os.path.join(d, "db"), 0o755)
    os.chmod(os.path.join(d, "db", "tipline.db"), 0o600)
    rc, _, err = ctx.ctl("list", conf=conf, pre=pre)
    check(rc == 1 and "runuser -u tipline -- tiplinectl list" in err,
          "list: %d %r" % (rc, err))
    os.chmod(conf, 0o600)
    rc, _, err = ctx.ctl("stats", conf=conf, pre=pre)
    check(rc == 1 and "Permission denied" in err and
          "runuser -u tipline -- tiplinectl stats" in err,
          "unreadable config: %d %r" % (rc, err))


# ------------------------------------------------ users, init, staff.key ---

def namespace(ctx, name, script):
    """Runs the shell script as root in a mount namespace of its own
    where /etc is a copy and /var/lib, /var/backups and /run are
    empty: the host's users and folders are never changed. Returns
    (rc, output)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise e2e.Skip("needs root and unshare")
    d = os.path.join(ctx.tmp, name)
    os.makedirs(os.path.join(d, "varlib"))
    os.makedirs(os.path.join(d, "varbackups"))
    os.makedirs(os.path.join(d, "run"))
    subprocess.run(["cp", "-a", "/etc", os.path.join(d, "etc")],
                   check=True, timeout=120)
    wrapper = ("set -e\nmount --make-rprivate /\n"
               "mount --bind %s/etc /etc\n"
               "mount --bind %s/varlib /var/lib\n"
               "mount --bind %s/varbackups /var/backups\n"
               "mount --bind %s/run /run\n"
               "%s\n" % (d, d, d, d, script))
    p = subprocess.run(["unshare", "-m", "sh", "-c", wrapper],
                       capture_output=True, timeout=300)
    return p.returncode, (p.stdout + p.stderr).decode()


def sysusers_entries():
    """(users, {user: group}, [(member, group)]) of the shipped sysusers
    file."""
    users, primary, members = [], {}, []
    for ln in open(os.path.join(REPO, "deploy/systemd/"
                                "tipline.sysusers.conf")):
        w = ln.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "u":
            users.append(w[1])
            primary[w[1]] = w[2].split(":")[1] if ":" in w[2] else w[1]
        elif w[0] == "m":
            members.append((w[1], w[2]))
    return users, primary, members


@test
def readme_users_by_hand(ctx):
    """The README's by-hand user and folder steps make every user of
    deploy/systemd/tipline.sysusers.conf, with its primary group and
    memberships (tipline-staff and tipline-staff-web included)."""
    text = readme_section("Users and folders")
    by_hand = text[text.index("by hand"):]
    cmds = [c for c in root_commands(by_hand)
            if c.split()[0] in ("addgroup", "adduser", "install")]
    check(cmds, "no by-hand commands in the README")
    users, primary, members = sysusers_entries()
    report = "\n".join(["echo USERS"] + [
        "id -gn %s; id -Gn %s" % (u, u) for u in users])
    rc, out = namespace(ctx, "byhand", "\n".join(cmds) + "\n" + report)
    check(rc == 0, "the README's steps failed: %s" % out[-800:])
    got = out[out.index("USERS\n") + 6:].splitlines()
    for i, u in enumerate(users):
        check(got[2 * i] == primary[u], "%s: primary group %r, not %r"
              % (u, got[2 * i], primary[u]))
        for m, g in members:
            if m == u:
                check(g in got[2 * i + 1].split(), "%s not in group %s"
                      % (u, g))


@test
def init_gives_staff_key_to_desk(ctx):
    """As root with the shipped sysusers' users: init leaves staff.key
    0400 tipline-staff and readable by that user; keys made before the
    users existed are given to them by running init again."""
    d = os.path.join(ctx.tmp, "initns")
    sysusers = os.path.join(REPO, "deploy/systemd/tipline.sysusers.conf")
    conf = os.path.join(ctx.tmp, "initns.conf")
    with open(conf, "w") as f:
        f.write("database = /var/lib/tipline/tipline.db\n"
                "templates = %s\n" % e2e.TEMPLATES)
    os.chmod(conf, 0o644)
    ctl = os.path.abspath(ctx.ctl_path)
    script = """
install -d -m 0750 /etc/tipline
{ctl} -c {conf} init >/dev/null       # before the users: root's keys
systemd-sysusers {sysusers}
chgrp tipline /etc/tipline
install -d -m 2770 -o tipline -g tipline /var/lib/tipline
{ctl} -c {conf} init
echo STAT; stat -c '%a %U %G' /etc/tipline/staff.key \
    /etc/tipline/form.key /etc/tipline/webhook.secret
echo READ; runuser -u tipline-staff -- head -c 0 /etc/tipline/staff.key \
    && echo staff-reads
{ctl} -c {conf} check | grep -i 'staff secret key' || true
""".format(ctl=ctl, conf=conf, sysusers=sysusers)
    rc, out = namespace(ctx, "initns", script)
    check(rc == 0, "init in a namespace: %s" % out[-800:])
    st = out[out.index("STAT\n") + 5:].splitlines()[:3]
    check(st[0] == "400 tipline-staff tipline", "staff.key: %r" % st[0])
    check(st[1] == "400 tipline tipline", "form.key: %r" % st[1])
    check(st[2] == "400 tipline-notify tipline", "webhook.secret: %r"
          % st[2])
    check("staff-reads" in out, "tipline-staff cannot read staff.key: %s"
          % out[-400:])
    check(os.path.isdir(d), d)


# ------------------------------------------------------- the README ---

def installed(ctx):
    """The files `make install` puts under PREFIX (relative paths)."""
    dest = os.path.join(ctx.tmp, "dest")
    if not os.path.isdir(dest):
        p = subprocess.run(["make", "-s", "-C", REPO, "BUILD=" +
                            os.path.abspath(ctx.build), "DESTDIR=" + dest,
                            "install"], capture_output=True, timeout=300)
        check(p.returncode == 0, "make install: %s" % p.stderr[-600:])
    root = os.path.join(dest, "usr/local")
    out = []
    for dp, _, fs in os.walk(root):
        for f in fs:
            out.append(os.path.relpath(os.path.join(dp, f), root))
    return out


@test
def install_table_lists_what_is_installed(ctx):
    """Every program, unit, man page and deploy file `make install` puts
    is named in the README's install table."""
    text = readme_section("Build and install")
    table = "\n".join(ln for ln in text.splitlines() if ln.startswith("|"))
    for f in installed(ctx):
        if f.startswith("share/tipline/templates/"):
            continue
        base = os.path.basename(f)
        name = re.sub(r"\.[1-8]$", "", base)
        if f.startswith("share/man/"):
            want = "%s(%s)" % (name, base[-1])
        elif f.startswith(("lib/sysusers.d", "lib/tmpfiles.d")):
            want = "/usr/local/" + f
        else:
            want = base
        check(want in table, "the install table does not name %s (%s)"
              % (want, f))


@test
def upgrading_restarts_every_service(ctx):
    """"Upgrading" restarts every long-running unit: tipline,
    tipline-notify, tipline-staff and tipline-staff-nginx."""
    cmds = root_commands(readme_section("Upgrading"))
    restart = " ".join(c for c in cmds if "systemctl restart" in c)
    units = sorted(u for u in os.listdir(os.path.join(REPO,
                                                      "deploy/systemd"))
                   if u.endswith(".service") and "Type=oneshot" not in
                   open(os.path.join(REPO, "deploy/systemd", u)).read())
    for u in units:
        check(u in restart or u[:-len(".service")] + " " in restart + " ",
              "Upgrading does not restart %s: %r" % (u, restart))


@test
def firewall_step(ctx):
    """The README's firewall is nftables, lets 80 and 443 in from
    anywhere and the desk's port only from the staff network, and
    parses (nft -c)."""
    text = readme_section("Firewall")
    m = re.search(r"(?ms)^    table inet filter \{.*?^    \}\n", text)
    check(m, "no nftables table in the firewall step")
    rules = "\n".join(ln[4:] for ln in m.group(0).splitlines())
    check(re.search(r"tcp dport \{ 80, 443 \} accept", rules),
          "80 and 443 not open: %s" % rules)
    desk = re.search(r"listen 10\.0\.0\.5:(\d+) ssl", open(os.path.join(
        REPO, "deploy/nginx/tipline-staff-nginx.conf")).read())
    check(desk, "the desk's nginx listens on no port")
    check(re.search(r"ip saddr 10\.0\.0\.0/24 tcp dport %s accept"
                    % desk.group(1), rules),
          "the desk's port %s not limited to the staff network: %s"
          % (desk.group(1), rules))
    check("policy drop" in rules, "input policy not drop")
    nft = shutil.which("nft") or shutil.which("nft", path="/usr/sbin")
    if nft is None:
        raise Failure("nft not found (run scripts/deps)")
    path = os.path.join(ctx.tmp, "nft.conf")
    with open(path, "w") as f:
        f.write(rules + "\n")
    p = subprocess.run([nft, "-c", "-f", path], capture_output=True,
                       timeout=60)
    check(p.returncode == 0, "nft -c: %s" % p.stderr.decode()[-400:])


@test
def desk_and_public_ports_apart(ctx):
    """The public site listens on every address's 443; the desk's nginx,
    on the same machine, must use another port, or it cannot bind."""
    site = readme_section("5. nginx")
    check("listen 443 ssl default_server;" in site, "public site")
    desk = open(os.path.join(REPO, "deploy/nginx/"
                             "tipline-staff-nginx.conf")).read()
    ports = re.findall(r"listen [0-9.]+:(\d+)", desk)
    check(ports and "443" not in ports and "80" not in ports,
          "the desk's nginx listens on %r, which the public site holds"
          % ports)
    text = open(README).read()
    check(re.search(r"staff_url = https://desk\.example\.org:%s/staff"
                    % ports[0], text), "staff_url without port %s"
          % ports[0])


# -------------------------------------------------------------- runner ---

def make_ctx(stack, tmp, build):
    os.chmod(tmp, 0o755)
    return Ctx(stack, tmp, build)


def main():
    return e2e.suite_main("ops_guide", __doc__, TESTS, make_ctx, up=False,
                          timed=True)


if __name__ == "__main__":
    sys.exit(main())
