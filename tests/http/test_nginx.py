"""nginx in front of two `onetrip serve` on one PostgreSQL store, with the
configuration docs/deploy.md shows (examples/deploy/nginx.conf, the one
copy: the doc's block is checked to be the same, tests/docs_examples.sh).

Usage: python3 test_nginx.py ONETRIP SOURCE_DIR NGINX
(OT_TEST_PG: the database of the test suite's PostgreSQL, tests/pg/server.sh)

On loopback only, as whoever runs it, in a temporary directory with
nginx's own pid, log and temporary paths and a self-signed certificate
made here (the example listens with TLS, and so does the test):

- an intake system and a window work through nginx: submit, act, show and
  the event feed, every write with an Idempotency-Key, retried as a real
  client would when nginx answers 502 (a write cut off with a server);
- one server is stopped in the middle of the run: the requests go on,
  served by the other, and afterwards nothing is lost or done twice --
  every acknowledged submission is one case, each approved once;
- both servers run the time sweep every second on the same store: every
  case is warned of its passed deadline once, not once per server;
- nginx waits longer than an engine may take: the example's read timeouts
  are above onetrip serve's default --timeout and --poll-max, and, all
  three scaled down ten times (3 s, 3 s and the example's 60 s as 6 s), a
  long poll at --poll-max through nginx is answered 200 by one server, not
  504 after a round of every server.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import APPLICATION, TOKENS, Server, new_store, read, tmpdir  # noqa: E402

BINARY, SOURCE, NGINX = sys.argv[1], sys.argv[2], sys.argv[3]
OFFICER = {"id": "S0012", "name": "王芳"}
CASES = 24
SCALE = 10  # the servers' --timeout and --poll-max, and nginx's read timeouts, this much shorter
fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
        print("FAIL:", what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_default(option):
    """onetrip serve's default for an option of seconds, as its usage says."""
    usage = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True)
    m = re.search(r"^  %s SECONDS .*\(default (\d+)" % re.escape(option), usage.stdout + usage.stderr,
                  re.M)
    check(m is not None, "onetrip serve --help gives the default of " + option)
    return int(m.group(1)) if m else 0


def read_timeouts(text):
    """The example's proxy_read_timeout of every place, in seconds, each
    made SCALE times shorter in the text."""
    found = [int(m.group(1)) for m in re.finditer(r"proxy_read_timeout (\d+)s;", text)]
    check(found, "the example sets proxy_read_timeout")
    for t in found:
        check(t % SCALE == 0, "a read timeout of %d s scales to whole seconds" % t)
    text = re.sub(r"proxy_read_timeout (\d+)s;",
                  lambda m: "proxy_read_timeout %ds;" % (int(m.group(1)) // SCALE), text)
    return found, text


def nginx_conf(tmp, ports, listen):
    """The example, its hosts and certificate made this test's: each change
    must find what it changes, or the example moved on without the test."""
    text = read(os.path.join(SOURCE, "examples", "deploy", "nginx.conf"))
    # the relation at the servers' defaults; the test's servers and nginx
    # then run it ten times faster
    timeouts, text = read_timeouts(text)
    limits = {o: serve_default(o) for o in ("--timeout", "--poll-max")}
    for t in timeouts:
        for o, d in limits.items():
            check(t > d, "nginx's read timeout (%d s) is above onetrip serve's %s (%d s by default)"
                  % (t, o, d))
            check(d % SCALE == 0, "%s's default %d s scales to whole seconds" % (o, d))
    feed = re.search(r"location = /v1/events \{([^}]*)\}", text)
    check(feed is not None and "proxy_next_upstream_tries 2;" in feed.group(1),
          "the example's feed location sends a long poll that timed out to one more server at most")
    idle = re.findall(r"keepalive_timeout (\d+)s;", text)
    check(len(idle) == 2 and all(int(t) < serve_default("--timeout") for t in idle),
          "nginx lets an idle connection to a server go before the server closes it")
    servers = [line for line in text.splitlines() if line.strip().startswith("server 10.0.1.")]
    hosts = sorted({line.strip().split()[1] for line in servers})
    check(len(hosts) == 3, "the example's upstreams name three engine servers")
    check(len(servers) == 6, "each of the two upstreams lists the three")
    for line in servers:  # the first two hosts are this test's servers, the third goes
        i = hosts.index(line.strip().split()[1])
        new = line.replace(hosts[i], "127.0.0.1:%d" % ports[i]) if i < len(ports) else ""
        text = text.replace(line + "\n", new + "\n" if new else "", 1)
    for old, new in (("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % listen),
                     ("/etc/nginx/tls/onetrip.crt", os.path.join(tmp, "tls.crt")),
                     ("/etc/nginx/tls/onetrip.key", os.path.join(tmp, "tls.key"))):
        check(old in text, "the example has '%s'" % old)
        text = text.replace(old, new)
    paths = "\n".join("    %s_temp_path %s;" % (k, os.path.join(tmp, k))
                      for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return ("daemon off;\nworker_processes 1;\npid %s;\nerror_log %s warn;\n"
            "events { worker_connections 256; }\n"
            "http {\n    access_log %s;\n%s\n%s\n}\n"
            % (os.path.join(tmp, "nginx.pid"), os.path.join(tmp, "error.log"),
               os.path.join(tmp, "access.log"), paths, text))


class Client:
    """HTTPS through nginx, the certificate checked against the one made
    here; a write is sent again with its key when nginx answers 502-504."""

    def __init__(self, port, ca):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=ca)
        self.retries = 0

    def request(self, method, path, body=None, who=None, key=None):
        h = {"Authorization": "Bearer " + TOKENS[who]} if who else {}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            h["Content-Type"] = "application/json"
        if key:
            h["Idempotency-Key"] = key
        for attempt in range(6):
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self.ctx)
            try:
                c.request(method, path, body=data, headers=h)
                r = c.getresponse()
                status, text = r.status, r.read().decode()
            finally:
                c.close()
            if status in (502, 503, 504) and (method == "GET" or key) and attempt < 5:
                self.retries += 1
                time.sleep(0.2)
                continue
            return status, json.loads(text) if text.startswith(("{", "[")) else text
        return status, text


def intake_and_window(cl, out):
    """Submits and approves the cases one after another, as fast as the
    servers answer; records what was acknowledged."""
    for i in range(CASES):
        app = dict(APPLICATION, now="2024-03-04T09:00")
        st, c = cl.request("POST", "/v1/cases", app, "portal", key="sub-%d-%s" % (i, uuid.uuid4()))
        if st != 201:
            out.append(("submit", i, st, c))
            continue
        out.append(("submitted", c["id"]))
        st, a = cl.request("POST", "/v1/cases/%s/act" % c["id"],
                           {"step": "intake", "action": "approve", "officer": OFFICER},
                           "window", key="act-%s" % c["id"])
        out.append(("approved", c["id"]) if st == 200 else ("act", c["id"], st, a))
        st, s = cl.request("GET", "/v1/cases/%s" % c["id"], who="supervisor")
        if st != 200 or s.get("status") != "in_progress":
            out.append(("show", c["id"], st))


def lookups(cl):
    """The status page's lookups all reach one server, so its guard sees
    every wrong guess: the sixth try at a case number is refused, though
    two servers are up (spread over them, each would have seen three).
    Returns the case's id."""
    st, c = cl.request("POST", "/v1/cases", dict(APPLICATION, now="2024-03-04T09:00"), "portal",
                       key="lookup-%s" % uuid.uuid4())
    check(st == 201, "a case to look up: %s %s" % (st, c))
    st, found = cl.request("POST", "/v1/lookup", {"case": c["id"], "id_no": APPLICATION["applicant"]["id"]})
    check(st == 200 and found.get("status") == "in_progress", "a lookup through nginx: %s" % st)
    for g in ("11010519491231002X", "110105194912310037", "110105194912310045",
              "110105194912310053", "110105194912310061"):
        st, _ = cl.request("POST", "/v1/lookup", {"case": c["id"], "id_no": g})
        check(st == 404, "a wrong guess is not found: %s" % st)
    st, _ = cl.request("POST", "/v1/lookup", {"case": c["id"], "id_no": APPLICATION["applicant"]["id"]})
    check(st == 429, "the sixth lookup of the case, five wrong before it on two servers: %s" % st)
    return c.get("id")


def long_polls(cl, servers):
    """Long polls of the feed through nginx, before any case (so no event
    ends them early): at --poll-max, and asking more than it, each is
    answered 200 when its wait is over, by one server, not nginx's 504."""
    poll_max = serve_default("--poll-max") // SCALE
    st, feed = cl.request("GET", "/v1/events?after=0&limit=1000", who="supervisor")
    check(st == 200 and feed.get("events") == [], "an empty feed: %s %s" % (st, feed))
    nxt = feed.get("next", "0") if isinstance(feed, dict) else "0"
    for wait in (poll_max, serve_default("--poll-max")):
        t0 = time.time()
        st, page = cl.request("GET", "/v1/events?after=%s&wait=%d" % (nxt, wait), who="supervisor")
        took = time.time() - t0
        check(st == 200 and isinstance(page, dict) and page.get("events") == [],
              "a long poll with wait=%d through nginx is answered 200: %s %s" % (wait, st, page))
        check(poll_max - 0.5 <= took < poll_max + 1.5,
              "the poll with wait=%d waited --poll-max (%d s): %.1f s" % (wait, poll_max, took))
    check(cl.retries == 0, "no long poll was answered 502-504 by nginx")
    time.sleep(0.5)  # the access logs are written four times a second
    polls = [line for s in servers for line in read(s.log).splitlines()
             if '"route":"/v1/events"' in line and json.loads(line)["ms"] >= poll_max * 1000 - 500]
    check(len(polls) == 2 and all('"status":200' in p for p in polls),
          "each long poll reached one server, which answered it: %s" % polls)


def main():
    if not os.access(NGINX, os.X_OK):
        print("FAIL: no nginx at '%s': tools/setup-deps installs it (nginx-light)" % NGINX)
        print("0 passed, 1 failed")
        return 1
    tmp = tmpdir("nginx_")
    os.chmod(tmp, 0o755)  # nginx's workers may run as another user
    servers, nginx = [], None
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=onetrip-test", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", os.path.join(tmp, "tls.key"),
                        "-out", os.path.join(tmp, "tls.crt")],
                       check=True, capture_output=True)
        store = new_store(tmp)
        check("postgresql" in store, "the test runs on PostgreSQL (OT_TEST_STORE, OT_TEST_PG)")
        for name in ("a", "b"):
            d = os.path.join(tmp, name)
            os.mkdir(d)
            # the sweep runs --timeout (here 3 s) behind the clock
            servers.append(Server(BINARY, SOURCE, "--trust-now", "--sweep-every", "1",
                                  "--timeout", str(serve_default("--timeout") // SCALE),
                                  "--poll-max", str(serve_default("--poll-max") // SCALE),
                                  db=store, tmp=d))
        listen = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(tmp, [s.port for s in servers], listen))
        t = subprocess.run([NGINX, "-t", "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")],
                           capture_output=True, text=True)
        check(t.returncode == 0, "nginx -t accepts the configuration: " + t.stderr)
        nginx = subprocess.Popen([NGINX, "-p", tmp, "-c", conf, "-e",
                                  os.path.join(tmp, "error.log")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=1).close()
                break
            except OSError:
                time.sleep(0.01)
        cl = Client(listen, os.path.join(tmp, "tls.crt"))
        st, body = cl.request("GET", "/readyz")
        check(st == 200, "readyz through nginx: %s %s" % (st, body))

        long_polls(cl, servers)
        looked_up = lookups(cl)

        # the run, and server a stopped in the middle of it
        out = []
        run = threading.Thread(target=intake_and_window, args=(cl, out))
        run.start()
        while len([o for o in out if o[0] == "approved"]) < CASES // 3 and run.is_alive():
            time.sleep(0.01)
        served_a = len(read(servers[0].log).splitlines())
        rc = servers[0].stop()
        check(rc == 0, "server a stopped cleanly (%s)" % rc)
        b_before = len(read(servers[1].log).splitlines())
        run.join(timeout=240)
        check(not run.is_alive(), "the run ended")
        bad = [o for o in out if o[0] not in ("submitted", "approved")]
        check(not bad, "every request through nginx was answered: %s" % bad[:3])
        ids = [o[1] for o in out if o[0] == "submitted"]
        check(len(ids) == CASES and len(set(ids)) == CASES,
              "%d submissions acknowledged, each a case of its own: %d" % (CASES, len(set(ids))))
        check(len(read(servers[1].log).splitlines()) > b_before,
              "server b answered after server a stopped")
        if ids:  # the standby takes the lookups while the first server is down
            st, _ = cl.request("POST", "/v1/lookup", {"case": ids[-1], "id_no": APPLICATION["applicant"]["id"]})
            check(st == 200, "a lookup with server a stopped: %s" % st)

        # nothing lost, nothing done twice: the store as either server sees it
        st, page = cl.request("GET", "/v1/cases?limit=1000", who="supervisor")
        check(st == 200 and sorted(c["id"] for c in page["cases"]) == sorted(ids + [looked_up]),
              "the store has exactly the acknowledged cases")
        for cid in ids:
            st, c = cl.request("GET", "/v1/cases/" + cid, who="supervisor")
            ops = [h["op"] for h in c.get("history", [])]
            acts = [h for h in c.get("history", []) if h["op"] == "act"]
            check(st == 200 and ops.count("submit") == 1 and len(acts) == 1,
                  "case %s: one submission, one approval: %s" % (cid, ops))

        # the time sweep of both servers: each case warned once of its passed
        # due date (the item's, counted from 2024-03-04), however often they swept
        deadline = time.time() + 60
        while True:
            st, feed = cl.request("GET", "/v1/events?limit=1000", who="supervisor")
            warns = [e for e in feed.get("events", []) if e["op"] == "warn"]
            red = {e["case"] for e in warns
                   if e["warning"]["target"] == "case" and e["warning"]["level"] == "red"}
            if red >= set(ids) or time.time() > deadline:
                break
            time.sleep(0.5)
        check(red >= set(ids), "every case was warned red of its due date: %d of %d"
              % (len(red & set(ids)), len(ids)))
        time.sleep(3)  # three more sweeps of server b
        st, feed = cl.request("GET", "/v1/events?limit=1000", who="supervisor")
        keys = [(e["case"], e["warning"]["target"], e["warning"].get("step"),
                 e["warning"]["level"]) for e in feed["events"] if e["op"] == "warn"]
        check(len(keys) == len(set(keys)), "no warning was given twice: %d warnings, %d distinct"
              % (len(keys), len(set(keys))))
        st, chk = cl.request("GET", "/v1/admin/store-check", who="admin")
        check(st == 200 and chk.get("sound") is True, "the store is sound: %s" % chk)
        print("nginx: %d cases through nginx over two servers, server a stopped after %d requests;"
              " %d writes sent again after a 502; %d warnings, each once"
              % (len(ids), served_a, cl.retries, len(keys)))
    finally:
        if nginx and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for s in servers:
            if s.proc.poll() is None:
                rc = s.stop()
                check(rc == 0, "server b stopped cleanly (%s): %s" % (rc, read(s.stderr.name)[-2000:]))
        if fails and os.path.exists(os.path.join(tmp, "error.log")):
            print("nginx error.log:\n" + read(os.path.join(tmp, "error.log"))[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (1 if not fails else 0, 1 if fails else 0))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
