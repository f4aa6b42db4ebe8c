#!/usr/bin/env python3
"""Checks of the shipped deployment files (SPEC 15): the Prometheus rules
(promtool check rules --lint-fatal), the torrc snippet (tor
--verify-config), and nginx with the files the README's guide creates: a
TLS site (a self-signed certificate made here by openssl, standing in for
certbot's) and the onion service's server block, both including the
shipped snippet, pass `nginx -t` and serve: HSTS on HTTPS; over the onion
socket, with a PROXY protocol header as tor sends it, the form, a
submission, /report/metrics refused, and a rate limit per circuit.

    tests/e2e/deploy.py [--build DIR] [--keep] [TEST...]

promtool (Debian's prometheus) and tor are test tools: scripts/deps
installs them; a missing one fails the test that needs it.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as e2e  # noqa: E402

Failure = e2e.Failure
check = e2e.check
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def tool(name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        raise Failure("%s not found (run scripts/deps)" % name)
    return path


@test
def prometheus_rules(tmp):
    """deploy/prometheus/tipline-alerts.yml passes promtool --lint-fatal
    and alerts on the three readings of /metrics."""
    rules = os.path.join(REPO, "deploy/prometheus/tipline-alerts.yml")
    p = subprocess.run([tool("promtool"), "check", "rules", "--lint-fatal",
                        rules], capture_output=True, timeout=60)
    check(p.returncode == 0, "promtool: %s" % (p.stdout + p.stderr)
          .decode()[-500:])
    text = open(rules).read()
    for m in ("tipline_notifier_heartbeat_age_seconds > 60",
              'tipline_oldest_pending_seconds{priority="urgent"}',
              "tipline_dead_unacknowledged > 0",
              "tipline_desk_ingest_lag_seconds > 300",
              "tipline_desk_ingest_skipped_total > 0"):
        check(m in text, "no rule on %s" % m)


@test
def tor_snippet(tmp):
    """deploy/tor/tipline.torrc passes tor --verify-config, with the
    options SPEC 15 asks for."""
    d = os.path.join(tmp, "tor")
    os.makedirs(os.path.join(d, "data"), mode=0o700)
    text = open(os.path.join(REPO, "deploy/tor/tipline.torrc")).read()
    for opt in ("HiddenServicePoWDefensesEnabled 1",
                "HiddenServiceExportCircuitID haproxy",
                "HiddenServicePort 80 unix:"):
        check(opt in text, "torrc lacks %s" % opt)
    text = text.replace("/var/lib/tor/tipline/", d + "/hs/")
    with open(os.path.join(d, "torrc"), "w") as f:
        f.write("DataDirectory %s/data\nSocksPort 0\n%s" % (d, text))
    p = subprocess.run([tool("tor"), "--verify-config", "-f",
                        os.path.join(d, "torrc"), "--defaults-torrc",
                        "/dev/null"], capture_output=True, timeout=60)
    check(p.returncode == 0, "tor --verify-config: %s"
          % p.stdout.decode()[-600:])


def http_over(sock_path, raw, proxy_src=None):
    """Sends raw (bytes) over the unix socket, after a PROXY v1 header
    from the circuit proxy_src (as tor does); returns (status, head,
    body)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    if proxy_src is not None:
        s.sendall(("PROXY TCP6 %s ::1 %d 80\r\n" % proxy_src).encode())
    s.sendall(raw)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head.decode("latin-1").lower(), body


def req(method, path, body=b"", ctype=None):
    h = "%s %s HTTP/1.1\r\nHost: x.onion\r\nConnection: close\r\n" % (
        method, path)
    if ctype:
        h += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype,
                                                              len(body))
    return h.encode() + b"\r\n" + body


def readme_site(port, crt, key, snippet, d):
    """The README's site file (section 5 of its deployment guide) with
    the paths the guide's certbot step creates pointed at crt and key,
    listening on 127.0.0.1 (port 80 on port + 1)."""
    text = open(os.path.join(REPO, "README.md")).read()
    m = re.search(r"\n(    server \{\n        # Port 80 .*?\n    \}\n\n"
                  r"    server \{\n.*?\n    \}\n)", text, re.S)
    check(m, "README: the site file not found")
    site_text = "\n".join(ln[4:] for ln in m.group(1).splitlines())
    for a, b in (("/etc/letsencrypt/live/tips.example.org/fullchain.pem",
                  crt),
                 ("/etc/letsencrypt/live/tips.example.org/privkey.pem",
                  key),
                 ("/etc/nginx/snippets/tipline.conf", snippet),
                 ("/var/log/nginx/error.log", os.path.join(d, "error.log")),
                 ("listen 80 default_server;",
                  "listen 127.0.0.1:%d;" % (port + 1)),
                 ("listen 443 ssl default_server;",
                  "listen 127.0.0.1:%d ssl;" % port)):
        check(a in site_text, "README's site file lacks %s" % a)
        site_text = site_text.replace(a, b)
    return re.sub(r"(?m)^\s*listen \[::\]:.*\n", "", site_text) + "\n"


def site(tmp, build):
    """A local stack, and a second nginx (its config: up's http block with
    the README's TLS site and the onion block). Returns (stack, conf,
    https port, onion socket)."""
    port = e2e.free_port_pair()
    env = dict(os.environ, TIPLINE_BUILD=build)
    stack = e2e.Stack(os.path.join(tmp, "state"), port, env)
    stack.up()
    d = os.path.join(tmp, "nginx")
    os.makedirs(d)
    key, crt = os.path.join(d, "privkey.pem"), os.path.join(d,
                                                            "fullchain.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", key, "-out", crt], check=True,
                   capture_output=True, timeout=60)
    base = open(stack.path("nginx.conf")).read()
    sock = os.path.join(d, "onion.sock")
    tls_port = e2e.free_port_pair()
    # The shipped files with up's paths but, unlike up's, their limits.
    fcgi = [ln.split("=", 1)[1].strip() for ln in
            open(stack.path("tipline.conf")) if ln.startswith("listen")][0]
    for name in ("tipline-http.conf", "tipline-server.conf"):
        text = open(os.path.join(REPO, "deploy/nginx", name)).read()
        text = text.replace("/run/tipline/tipline.sock", fcgi).replace(
            "/usr/local/share/tipline/templates",
            os.path.join(REPO, "templates")).replace(
            "/var/log/nginx/error.log", os.path.join(d, "error.log"))
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    base = base.replace(stack.path("nginx/tipline-http.conf"),
                        os.path.join(d, "tipline-http.conf"))
    snippet = os.path.join(d, "tipline-server.conf")
    onion = open(os.path.join(REPO, "deploy/nginx/tipline-onion.conf")).read()
    onion = onion.replace("/run/tipline-onion/nginx.sock", sock).replace(
        "/etc/nginx/snippets/tipline.conf", snippet)
    tls = readme_site(tls_port, crt, key, snippet, d)
    # Only the second nginx's own servers, pid and log.
    start = base.index("\tserver {")
    end = base.rindex("}")
    conf = base[:start] + tls + onion + base[end:]
    conf = conf.replace(stack.path("run", "nginx.pid"),
                        os.path.join(d, "nginx.pid"))
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return stack, path, tls_port, sock


@test
def nginx_tls_and_onion(tmp, build):
    """nginx -t passes on the TLS site and the onion block; HTTPS sends
    HSTS; the onion socket serves the form and a submission, refuses
    /report/metrics, sends no HSTS, and rate-limits per circuit."""
    stack, conf, tls_port, sock = site(tmp, build)
    nginx = tool("nginx")
    pfx = ["-p", os.path.dirname(conf), "-c", conf]
    try:
        p = subprocess.run([nginx, "-t"] + pfx, capture_output=True,
                           timeout=60)
        check(p.returncode == 0, "nginx -t: %s" % p.stderr.decode()[-800:])
        p = subprocess.run([nginx] + pfx, capture_output=True, timeout=60)
        check(p.returncode == 0, "nginx: %s" % p.stderr.decode()[-800:])
        e2e.wait_until(lambda: os.path.exists(sock), "no onion socket")
        out = subprocess.run(["curl", "-sk", "-D", "-", "-o", "/dev/null",
                              "https://127.0.0.1:%d/report/" % tls_port],
                             capture_output=True, timeout=30).stdout
        check(b"strict-transport-security: max-age=63072000"
              in out.lower(), "no HSTS over HTTPS: %r" % out[:400])
        c1 = ("fc00:dead:beef:4dad::0:1", 1)
        st, head, body = http_over(sock, req("GET", "/report/"), c1)
        check(st == 200 and b'name="token"' in body, "onion form: %d" % st)
        check("strict-transport-security" not in head, "HSTS over onion")
        tip = json.dumps(e2e.valid_json()).encode()
        st, head, body = http_over(sock, req(
            "POST", "/report/api/v1/tips", tip, "application/json"), c1)
        check(st == 201 and b"TL-" in body, "onion submit: %d %r"
              % (st, body[:200]))
        st, _, _ = http_over(sock, req("GET", "/report/metrics"), c1)
        check(st == 404, "onion /metrics: %d" % st)
        st, _, _ = http_over(sock, req("GET", "/report/metrics"))
        check(st in (0, 400), "no PROXY header: %d" % st)
        # Burst 20 then 30/min: circuit 2 runs out, circuit 3 does not.
        c2, c3 = ("fc00:dead:beef:4dad::0:2", 2), ("fc00:dead:beef:4dad::0:3",
                                                   3)
        codes = [http_over(sock, req("GET", "/report/"), c2)[0]
                 for _ in range(30)]
        check(429 in codes, "no 429 for one circuit: %r" % codes)
        check(http_over(sock, req("GET", "/report/"), c3)[0] == 200,
              "another circuit was limited too")
    finally:
        subprocess.run([nginx, "-s", "stop"] + pfx, capture_output=True,
                       timeout=30)
        stack.down()


def main():
    args = e2e.parse_args(__doc__)
    tmp = tempfile.mkdtemp(prefix="tipline-deploy-e2e.")
    os.chmod(tmp, 0o755)

    def wrap(t):
        def f(_):
            d = os.path.join(tmp, t.__name__)
            os.makedirs(d)
            if t.__code__.co_argcount == 2:
                return t(d, args.build)
            return t(d)
        f.__name__ = t.__name__
        return f
    tests = [wrap(t) for t in e2e.selected(TESTS, args.only)]
    t0 = time.time()
    passed, failed = e2e.run_tests(tests, None, timed=True)
    return e2e.finish("deploy", passed, failed, args.keep, tmp, t0)


if __name__ == "__main__":
    sys.exit(main())
