"""The two pages in a real browser: headless Chromium driven through the
WebDriver protocol (chromedriver) with Python's standard library.

  - the status page (办件查询): a case submitted through the portal, looked
    up by its number and the applicant's ID number, shows the same status
    as the service; a wrong ID number shows the service's problem; a chain
    case (一件事) shows its stages, their items and each item's case, whose
    number looks that case up;
  - the window page: an officer of the social window loads the work list
    of the department, acts on the intake step, and the case moves on in
    the store, recorded in the officer's name; the list holds every case in
    progress, more than a page of the service's list, but no chain case (a
    window acts on its item cases); the next case picked starts
    from nothing of the one before (its action, its reason); a case submitted meanwhile
    appears by itself (the event feed), and with the server's time sweep
    running every second its yellow card (黄牌: its intake is due the next
    working day) comes to the list through the feed too, and to the
    status page's history of the case.

Usage: python3 test_pages.py ONETRIP SOURCE_DIR
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import APPLICATION, CHAIN, COMPANY, ID, TOKENS, Server, tmpdir  # noqa: E402

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Browser:
    """A WebDriver session on a chromedriver of its own."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # the profile, and what chromedriver and Chromium put in TMPDIR
        # (org.chromium.Chromium.scoped_dir.*), in a directory of its own
        self.tmp = tmpdir("chromium_")
        self.profile = os.path.join(self.tmp, "profile")
        self.driver = subprocess.Popen(["chromedriver", "--port=%d" % port],
                                       env=dict(os.environ, TMPDIR=self.tmp),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % port
        try:
            for _ in range(200):
                try:
                    self._call("GET", "/status")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.05)
            caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--user-data-dir=" + self.profile,
                         "--window-size=1200,900"]}}}}
            self.session = self._call("POST", "/session", caps)["sessionId"]
        except BaseException:  # no session: no close() comes to stop chromedriver
            self.driver.terminate()
            self.driver.wait()
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError("webdriver %s %s: %s" % (method, path, e.read()[:500])) from None

    def s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def type(self, css, text):
        el = self.find(css)
        self.s("POST", "/element/%s/clear" % el, {})
        self.s("POST", "/element/%s/value" % el, {"text": text})

    def click(self, css):
        """Clicks what css finds now: the window page redraws its list when
        the event feed brings news, so an element found a moment before may
        be gone (\"stale\"); a person would click the new one."""
        for attempt in range(5):
            try:
                return self.s("POST", "/element/%s/click" % self.find(css), {})
            except RuntimeError as e:
                if "stale element" not in str(e) or attempt == 4:
                    raise
                time.sleep(0.1)

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script, timeout=10):
        """Waits until the script returns something true; returns it."""
        end = time.time() + timeout
        while time.time() < end:
            v = self.js(script)
            if v:
                return v
            time.sleep(0.1)
        raise AssertionError("timed out waiting for: " + script)

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait()
            shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    binary, source = sys.argv[1], sys.argv[2]
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    # the time sweep every second, --timeout (its lag behind the clock) 5 s
    s = Server(binary, source, "--sweep-every", "1", "--timeout", "5", "--poll-max", "4")
    b = None
    try:
        b = Browser()
        url = "http://127.0.0.1:%d" % s.port
        case = s.post("/v1/cases", APPLICATION, who="portal").json
        # ---- the status page ----
        b.go(url + "/")
        b.type("#case", case["id"])
        b.type("#id_no", ID)
        b.click("#go")
        status = b.wait("var r = document.getElementById('result');"
                        " return r.hidden ? null : document.getElementById('status').dataset.status;")
        check(status == case["status"] == "in_progress", "status page shows the service's status")
        page = b.js("return document.body.innerText;")
        check(case["id"] in page and "门诊慢特病待遇资格认定" in page, "status page names the case and item")
        check(ID not in page and (ID[:4] + "*" * 10 + ID[-4:]) in page,
              "status page shows the ID number masked")
        steps = b.js("return Array.from(document.querySelectorAll('#steps tr')).length;")
        check(steps == len(case["steps"]), "status page lists every step")
        b.type("#id_no", "11010519491231002X")
        b.click("#go")
        shown = b.wait("var e = document.getElementById('error');"
                       " return e.hidden ? null : e.dataset.status + ' ' + e.textContent;")
        check(shown.startswith("404 "), "a wrong ID number shows the service's problem: " + shown)
        # a chain case (一件事): its stages and items, no steps
        chain = s.post("/v1/cases", CHAIN, who="portal").json
        b.type("#case", chain["id"])
        b.type("#id_no", COMPANY)
        b.click("#go")
        shown = b.wait("var e = document.getElementById('error'), r = document.getElementById('result');"
                       " return !e.hidden ? 'error ' + e.textContent : r.hidden ? null"
                       " : document.getElementById('r_case').textContent;")
        check(shown == chain["id"], "status page shows a chain case: " + shown)
        page = b.js("return document.body.innerText;")
        check(chain["chain_label"] in page and "企业投资项目备案" in page and "建设工程竣工联合验收" in page,
              "status page names the chain, its stages' items")
        check(COMPANY not in page and (COMPANY[:4] + "*" * 10 + COMPANY[-4:]) in page,
              "status page shows the chain's credit code masked")
        rows = b.js("return Array.from(document.querySelectorAll('#stages tr'))"
                    ".map((r) => [r.dataset.stage, r.dataset.item, r.cells[5].textContent]);")
        want = [[st["stage"], it["item"]] for st in chain["stages"] for it in st["items"]]
        check([r[:2] for r in rows] == want and rows[0][2] == "办理中" and rows[1][2] == "未开始",
              "status page lists each stage's items with their status: %s" % rows)
        check(b.js("return document.getElementById('item_part').hidden"
                   " && !document.getElementById('chain_part').hidden;"), "and no steps")
        filing = chain["stages"][0]["items"][0]["case"]
        b.click("#stages button.case-link")
        shown = b.wait("var r = document.getElementById('result');"
                       " return r.hidden ? null : document.getElementById('r_case').textContent;")
        check(shown == filing and b.js("return document.getElementById('chain_part').hidden;"),
              "an item's case number looks its case up: " + shown)
        # ---- the window page ----
        # more cases than a page of the service's list (200)
        for _ in range(205):
            s.post("/v1/cases", APPLICATION, who="portal")
        b.go(url + "/window.html")
        b.type("#token", TOKENS["window"])
        b.type("#officer_id", "S0012")
        b.type("#officer_name", "王芳")
        b.click("#load")
        row = 'tr[data-case="%s"]' % case["id"]
        b.wait("return document.querySelector('%s');" % row.replace("'", "\\'"))
        check(True, "the window's work list shows the case")
        work, after = [], ""
        while True:  # what the service lists for the window, every page
            page = s.get("/v1/cases?status=in_progress&limit=1000" + after, who="window").json
            work += page["cases"]
            if not page.get("next"):
                break
            after = "&after=" + page["next"]
        items = [c["id"] for c in work if "item" in c]
        check(len(items) > 200 and chain["id"] in [c["id"] for c in work],
              "the service lists %d item cases and the chain case" % len(items))
        try:
            b.wait("return document.getElementById('count').textContent === '(%d)';" % len(items),
                   timeout=15)
        except AssertionError:
            pass
        shown = b.js("return document.getElementById('count').textContent;")
        rows = b.js("return Array.from(document.querySelectorAll('#cases tr')).map((r) => r.dataset.case);")
        check(shown == "(%d)" % len(items) and sorted(rows) == sorted(items),
              "the work list holds every item case: %s, %d rows" % (shown, len(rows)))
        check(chain["id"] not in rows and filing in rows,
              "and no chain case, but its item case")
        b.click('button.pick[data-case="%s"]' % case["id"])
        b.wait("return !document.getElementById('act').hidden;")
        check(b.js("return document.getElementById('act_step').value;") == "intake",
              "the case's current step is offered")
        b.click("#act_go")
        msg = b.wait("var d = document.getElementById('done'); return d.hidden ? null : d.textContent;")
        check("expert" in msg, "the page says the case moved on: " + msg)
        after = s.get("/v1/cases/" + case["id"], who="supervisor").json
        check([c["step"] for c in after["current"]] == ["expert"], "the store has the step done")
        ev = after["history"][-1]
        check((ev.get("client"), ev.get("officer")) == ("window", {"id": "S0012", "name": "王芳"}),
              "the event records the window and the officer")
        # a case returned with a reason, then the next one picked: its action
        # and reason are its own, never the case before's
        first, second = (s.post("/v1/cases", APPLICATION, who="portal").json["id"] for _ in range(2))
        b.wait("return document.querySelector('button.pick[data-case=\"%s\"]');" % second, timeout=15)
        b.click('button.pick[data-case="%s"]' % first)
        b.wait("return document.getElementById('act_case').textContent === '%s';" % first)
        b.js("document.getElementById('act_action').value = 'return';")
        b.type("#act_reason", "请补交赵秀兰的住院病历")
        b.click("#act_go")
        msg = b.wait("var d = document.getElementById('done'); return d.hidden ? null : d.textContent;")
        check(first in msg and s.get("/v1/cases/" + first, who="supervisor").json["status"] == "returned",
              "the first case is returned: " + msg)
        b.click('button.pick[data-case="%s"]' % second)
        b.wait("return !document.getElementById('act').hidden"
               " && document.getElementById('act_case').textContent === '%s';" % second)
        form = b.js("return [document.getElementById('act_action').value,"
                    " document.getElementById('act_reason').value, document.getElementById('done').hidden];")
        check(form == ["approve", "", True],
              "the next case picked starts at approve, no reason, no result shown: %s" % form)
        b.click("#act_go")
        msg = b.wait("var d = document.getElementById('done');"
                     " return d.hidden || d.textContent.indexOf('%s') < 0 ? null : d.textContent;" % second)
        ev = s.get("/v1/cases/" + second, who="supervisor").json["history"][-1]
        check((ev.get("action"), ev.get("reason")) == ("approve", None),
              "the next case is approved, without the reason of the one before: %s" % ev)
        # the feed: a case submitted elsewhere appears without reloading the page
        other = s.post("/v1/cases", APPLICATION, who="portal").json
        b.wait("return document.querySelector('tr[data-case=\"%s\"]');" % other["id"], timeout=15)
        check(True, "the work list follows the event feed")
        # its intake is due the next working day: the sweep warns it yellow,
        # and the card comes to the window through the feed
        card = b.wait("var c = document.querySelector('tr[data-case=\"%s\"] .card.yellow');"
                      " return c ? c.textContent : null;" % other["id"], timeout=30)
        check(card.startswith("黄牌 intake "), "the window shows the yellow card: " + card)
        # and the status page shows it in the case's history
        b.go(url + "/")
        b.type("#case", other["id"])
        b.type("#id_no", ID)
        b.click("#go")
        warned = b.wait("var r = document.getElementById('result'); return r.hidden ? null :"
                        " {w: Array.from(document.querySelectorAll('#history li'))"
                        ".map((l) => l.textContent).filter((t) => t.indexOf('时限预警') >= 0)};")["w"]
        due = other["steps"][0]["due"]
        check(any(("黄牌 受理 " + due) in w for w in warned),
              "the status page's history shows the yellow card of intake (受理): %s" % warned)
        metrics = s.get("/metrics").text
        check('onetrip_sweep_warnings_total{level="yellow"} ' in metrics
              and 'onetrip_sweep_warnings_total{level="yellow"} 0\n' not in metrics
              and 'onetrip_sweeps_total{outcome="done"} 0\n' not in metrics,
              "/metrics counts the sweeps and their warnings")
    finally:
        if b:
            b.close()
        rc = s.stop()
        s.cleanup()
    check(rc == 0, "the service stopped cleanly")
    print("pages: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
