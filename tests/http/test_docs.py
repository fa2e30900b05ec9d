"""docs/service.md is true: its Python and shell examples run against a
started service; every route of the OpenAPI document is in it; `make run`
(tools/run-service) prints a URL, demo tokens and a curl example that works,
and stops cleanly on Ctrl-C.

Usage: python3 test_docs.py ONETRIP SOURCE_DIR
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOKENS, Server, read, tmpdir  # noqa: E402


def blocks(text, lang):
    return re.findall(r"^```%s\n(.*?)^```" % lang, text, re.S | re.M)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    doc = read(os.path.join(source, "docs", "service.md"))
    failures = []
    s = Server(binary, source)
    try:
        env = dict(os.environ, OT_URL="http://127.0.0.1:%d" % s.port,
                   PORTAL_TOKEN=TOKENS["portal"], WINDOW_TOKEN=TOKENS["window"],
                   SUPERVISOR_TOKEN=TOKENS["supervisor"], ADMIN_TOKEN=TOKENS["admin"])
        runs = [("python", ["python3", "-"], b) for b in blocks(doc, "python")] + \
               [("sh", ["bash", "-eu", "-o", "pipefail", "-s"], b) for b in blocks(doc, "sh")]
        if len(runs) < 2:
            failures.append("service.md has no Python or no shell example")
        for lang, cmd, code in runs:
            p = subprocess.run(cmd, input=code.encode(), env=env, capture_output=True, timeout=60)
            if p.returncode != 0:
                failures.append("a %s example failed (%d): %s" % (lang, p.returncode,
                                                                  (p.stdout + p.stderr).decode()[-800:]))
        spec = s.get("/v1/openapi.json").json
        for path in spec["paths"]:
            shown = re.sub(r"\{op\}$", "", path)
            if shown not in doc:
                failures.append("service.md does not show the route %s" % path)
    finally:
        s.stop()
        s.cleanup()
    failures += make_run(binary, source)
    for f in failures:
        print("docs: " + f)
    print("docs: %d failures" % len(failures))
    return 1 if failures else 0


def make_run(binary, source):
    """tools/run-service, as `make run` starts it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    var = tmpdir("run_")
    env = dict(os.environ, ONETRIP=binary, PORT=str(port), VAR=var)
    p = subprocess.Popen([os.path.join(source, "tools", "run-service")], cwd=source, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, fails = b"", []
    try:
        end = time.time() + 20
        while b"listening on" not in out and time.time() < end and p.poll() is None:
            out += p.stdout.read1(65536)
        text = out.decode()
        if "http://127.0.0.1:%d/" % port not in text:
            fails.append("make run prints no URL: " + text[-500:])
        curl = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("curl ")]
        if not curl:
            fails.append("make run prints no curl example")
        else:
            r = subprocess.run(["sh", "-c", curl[0] + " -f"], capture_output=True, timeout=20)
            if r.returncode != 0 or b'"complete"' not in r.stdout:
                fails.append("make run's curl example failed: %r" % (r.stdout + r.stderr)[-300:])
        if '"token_sha256"' not in read(os.path.join(var, "clients.json")):
            fails.append("make run wrote no clients file")
        for tok in re.findall(r"^\s+\w+\s+([0-9a-f]{48})", text, re.M):
            if tok in read(os.path.join(var, "clients.json")):
                fails.append("the clients file holds a token in clear")
        p.send_signal(signal.SIGINT)
        if p.wait(timeout=20) != 0:
            fails.append("make run did not stop cleanly on Ctrl-C: %d" % p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stdout.close()
        shutil.rmtree(var, ignore_errors=True)
    return fails


if __name__ == "__main__":
    sys.exit(main())
