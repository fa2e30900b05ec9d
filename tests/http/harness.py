"""A real `onetrip serve` on a loopback port for the HTTP tests.

Server(...) starts the binary on the bundled rules with a new SQLite store
in a temporary directory and a clients file of one client per scope; the
tests talk to it with urllib (the standard library only) and stop it with
SIGTERM, as an operator would.  tmpdir() gives every directory the tests
make, inside one of the process's that goes when it ends.
"""
import atexit
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOKENS = {
    "portal": "portal-token-1",
    "portal2": "portal-token-2",
    "window": "window-token-1",      # approval_bureau.social
    "medsec": "medsec-token-1",      # department medical_security
    "housing": "housing-token-1",    # department housing
    "street": "street-token-1",      # department street_lishan (立山街道办事处)
    "supervisor": "supervisor-token-1",
    "admin": "admin-token-1",
}

CLIENTS = [
    {"name": "portal", "scope": "portal"},
    {"name": "portal2", "scope": "portal"},
    {"name": "window", "scope": "window", "department": "approval_bureau", "window": "social"},
    {"name": "medsec", "scope": "department", "department": "medical_security"},
    {"name": "housing", "scope": "department", "department": "housing"},
    {"name": "street", "scope": "department", "department": "street_lishan"},
    {"name": "supervisor", "scope": "supervisor"},
    {"name": "admin", "scope": "admin"},
]

ID = "210304195903120024"
APPLICATION = {
    "item": "chronic_disease_recognition",
    "materials": ["medical_diagnosis", "medical_records"],
    "applicant": {"kind": "person", "id": ID, "name": "赵秀兰"},
    "form": {"name": "赵秀兰", "id_no": ID, "disease_name": "高血压",
             "insured_kind": "resident_scheme", "has_inpatient": True},
}

# the small low-risk chain of docs/engine.md §13.6 (一件事): a chain case
# and the case of its first item, investment_filing
COMPANY = "91350100M000100Y43"
CHAIN = {
    "chain": "construction_small",
    "applicant": {"kind": "company", "id": COMPANY, "name": "鞍山市立山建设有限公司"},
    "form": {"project_name": "立山区社区便民服务站", "builder_code": COMPANY,
             "location": "鞍山市立山区友好街", "total_investment": 28, "floor_area": 280,
             "project_kind": "public_building", "land_supply": "granted",
             "contractor_code": "91210304MA0000001L"},
    "materials": ["filing_commitment", "topographic_map", "construction_contract",
                  "funds_commitment", "quality_safety_commitment", "completion_report",
                  "survey_results"],
}


_root = None
_watched = None


def tmpdir(prefix):
    """A new directory for a test, inside the process's own, which is removed
    when the process ends, as tests/unit/tmpdir.h does for the C tests: at
    exit, and after anything else (a signal, ctest's SIGKILL at a timeout) by
    a watcher outside the test's process tree, a shell that removes it once
    the pipe only this process holds is closed."""
    global _root, _watched
    if _root is None:
        name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
        _root = tempfile.mkdtemp(prefix="ot_%s_" % name)
        os.chmod(_root, 0o755)  # nginx's workers may run as another user
        atexit.register(shutil.rmtree, _root, True)
        r, _watched = os.pipe()  # neither end is inherited by what the tests start
        subprocess.run(["sh", "-c", 'exec 3<&0; (cat <&3 >/dev/null; rm -rf -- "$1") &',
                        "sh", _root], stdin=r, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True, check=True)
        os.close(r)
    return tempfile.mkdtemp(prefix=prefix, dir=_root)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def clients_file(path):
    entries = []
    for c in CLIENTS:
        e = dict(c)
        e["token_sha256"] = hashlib.sha256(TOKENS[c["name"]].encode()).hexdigest()
        entries.append(e)
    with open(path, "w") as f:
        json.dump({"clients": entries}, f)


def new_store(tmp):
    """A new store: a SQLite file in tmp, or with OT_TEST_STORE=postgresql a
    new schema of the database OT_TEST_PG names (tests/pg/server.sh)."""
    pg = os.environ.get("OT_TEST_PG")
    if os.environ.get("OT_TEST_STORE") == "postgresql" and pg:
        # the same tmp, the same store (a server started again on it)
        name = hashlib.sha256(os.path.abspath(tmp).encode()).hexdigest()[:20]
        return "%s%cschema=http_%s" % (pg, "&" if "?" in pg else "?", name)
    return os.path.join(tmp, "cases.db")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        ctype = headers.get("Content-Type", "")
        self.json = json.loads(self.text) if "json" in ctype and body else None


class Server:
    def __init__(self, binary, source, *extra, rules=None, db=None, tmp=None):
        self.binary = binary
        self.source = source
        self.own_tmp = tmp is None
        self.tmp = tmp or tmpdir("http_")
        self.db = db or new_store(self.tmp)
        self.rules = rules or os.path.join(source, "rules")
        self.clients = os.path.join(self.tmp, "clients.json")
        self.log = os.path.join(self.tmp, "access.log")
        clients_file(self.clients)
        portf = os.path.join(self.tmp, "port")
        if os.path.exists(portf):
            os.unlink(portf)
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w")
        self.stdout = open(os.path.join(self.tmp, "stdout"), "w")
        # the time sweep runs on the wall clock: off unless a test asks,
        # so it adds no event to the cases of tests that count them
        sweep = [] if "--sweep-every" in extra else ["--sweep-every", "0"]
        # a --listen of the test's own comes after ours and wins
        listen = extra[extra.index("--listen") + 1] if "--listen" in extra else "127.0.0.1:0"
        self.host = listen.rsplit(":", 1)[0].strip("[]")
        self.proc = subprocess.Popen(
            [binary, "serve", "--rules", self.rules, "--db", self.db, "--clients", self.clients,
             "--listen", "127.0.0.1:0", "--port-file", portf, "--access-log", self.log,
             "--threads", "4", *sweep, *extra],
            stdout=self.stdout, stderr=self.stderr)
        for _ in range(500):
            port = read(portf).strip() if os.path.exists(portf) else ""
            if port:
                self.port = int(port)
                return
            if self.proc.poll() is not None:
                raise RuntimeError("onetrip serve ended: " + read(self.stderr.name))
            time.sleep(0.01)
        raise RuntimeError("onetrip serve did not start")

    def banner(self):
        """What the server printed: its \"listening on\" line."""
        return read(os.path.join(self.tmp, "stdout"))

    def request(self, method, path, body=None, who=None, headers=None, raw=None, timeout=30):
        h = dict(headers or {})
        if who:
            h["Authorization"] = "Bearer " + TOKENS[who]
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Response(r.status, dict(r.getheaders()), r.read())
        finally:
            c.close()

    def get(self, path, who=None, **kw):
        return self.request("GET", path, who=who, **kw)

    def post(self, path, body=None, who=None, **kw):
        return self.request("POST", path, body, who=who, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.stderr.close()
        self.stdout.close()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *a):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.cleanup()

    def cleanup(self):
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
