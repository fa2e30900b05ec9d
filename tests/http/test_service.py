"""HTTP tests of `onetrip serve`: real requests against a started server.

Usage: python3 test_service.py ONETRIP SOURCE_DIR

Every route, every scope refusal (403, and nothing changed), idempotent
retries (also across a restart and from eight clients at once), the event
feed and its long poll, reload under load, the limits, bad JSON, unknown
routes, masking, and a clean shutdown with requests in flight.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import APPLICATION, CHAIN, COMPANY, ID, Server, read, tmpdir  # noqa: E402

BINARY, SOURCE = sys.argv[1], sys.argv[2]
OFFICER = {"id": "S0012", "name": "王芳"}
MASKED = ID[:4] + "*" * 10 + ID[-4:]


def problem(test, r, status, engine=None):
    test.assertEqual(r.status, status, r.text)
    test.assertEqual(r.headers.get("Content-Type"), "application/problem+json")
    for k in ("type", "title", "status", "detail"):
        test.assertIn(k, r.json)
    test.assertEqual(r.json["status"], status)
    if engine:
        test.assertEqual(r.json.get("engine_status"), engine)


class Service(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(BINARY, SOURCE)

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        cls.s.cleanup()
        assert rc == 0, rc

    def submit(self, who="portal", app=None, **kw):
        r = self.s.post("/v1/cases", app or APPLICATION, who=who, **kw)
        self.assertEqual(r.status, 201, r.text)
        return r

    def cursor(self):
        return int(self.s.get("/v1/events?after=0&limit=1000", who="supervisor").json["next"])

    def new_events(self, before):
        """How many events the feed has after cursor `before` (cursors are
        the store's: on SQLite they count events, on PostgreSQL not)."""
        return len(self.s.get("/v1/events?after=%d&limit=1000" % before,
                              who="supervisor").json["events"])

    def case(self, cid):
        return self.s.get("/v1/cases/" + cid, who="supervisor").json

    # ---- operations ----

    def test_health_ready_metrics(self):
        self.assertEqual(self.s.get("/healthz").json, {"status": "ok"})
        self.assertEqual(self.s.get("/readyz").json, {"status": "ready"})
        self.submit()
        m = self.s.get("/metrics")
        self.assertEqual(m.status, 200)
        self.assertTrue(m.headers["Content-Type"].startswith("text/plain"))
        self.assertIn('onetrip_http_requests_total{route="/v1/cases",status="201"}', m.text)
        self.assertIn('onetrip_http_request_duration_seconds_bucket{route="/v1/cases",status="201",le="+Inf"}',
                      m.text)
        self.assertRegex(m.text, r'onetrip_cases\{status="in_progress"\} [1-9]')
        self.assertIn("onetrip_overdue_steps ", m.text)

    def test_every_answer_is_compact_json_on_one_line(self):
        """docs/service.md §3: a client may read one answer a line -- the
        case's answers, the lists, the feed, the lookup, the operational
        routes and the problems alike."""
        c = self.submit().json
        answers = {
            "submit": self.submit(),
            "show": self.s.get("/v1/cases/" + c["id"], who="supervisor"),
            "list": self.s.get("/v1/cases?status=in_progress&limit=2", who="supervisor"),
            "feed": self.s.get("/v1/events?after=0&limit=3", who="supervisor"),
            "overdue": self.s.get("/v1/overdue", who="supervisor"),
            "items": self.s.get("/v1/items"),
            "lookup": self.s.post("/v1/lookup", {"case": c["id"], "id_no": ID}),
            "healthz": self.s.get("/healthz"),
            "readyz": self.s.get("/readyz"),
            "reload": self.s.post("/v1/admin/reload", who="admin"),
            "problem": self.s.get("/v1/cases/20000101-0001", who="supervisor"),
        }
        for name, r in answers.items():
            self.assertIn(r.status, (200, 201, 404), (name, r.text))
            json.loads(r.text)
            self.assertNotIn("\n", r.text.rstrip("\n"), name)
            self.assertFalse(r.text.startswith("{\n") or ": " in r.text[:40],
                             (name, r.text[:80]))

    # ---- a case through its steps, each client in its own name ----

    def test_case_flow_records_client_and_officer(self):
        r = self.submit()
        c = r.json
        self.assertEqual(r.headers["Location"], "/v1/cases/" + c["id"])
        self.assertEqual(c["applicant"]["id"], ID)  # the portal owns it: not masked
        a = self.s.post("/v1/cases/%s/act" % c["id"], {"step": "intake", "action": "approve",
                                                       "officer": OFFICER}, who="window")
        self.assertEqual(a.status, 200, a.text)
        self.assertEqual(a.json["applicant"]["id"], MASKED)  # the window does not
        self.assertNotIn(ID, a.text)
        self.assertEqual([x["step"] for x in a.json["current"]], ["expert"])
        shown = self.s.get("/v1/cases/" + c["id"], who="portal").json
        act = shown["history"][1]
        self.assertEqual((act["client"], act["officer"], act["actor"]),
                         ("window", OFFICER, "approval_bureau.social"))
        self.assertEqual(shown["history"][0]["client"], "portal")
        # the department's step, by the department
        a = self.s.post("/v1/cases/%s/act" % c["id"], {"step": "expert", "action": "approve",
                                                       "officer": {"id": "M1", "name": "李"}},
                        who="medsec")
        self.assertEqual(a.status, 200, a.text)
        seen = self.s.get("/v1/cases/" + c["id"], who="medsec")
        self.assertEqual(seen.status, 200)
        self.assertNotIn(ID, seen.text)

    def test_act_needs_an_officer(self):
        c = self.submit().json
        before = self.cursor()
        r = self.s.post("/v1/cases/%s/act" % c["id"], {"step": "intake", "action": "approve"},
                        who="window")
        problem(self, r, 422)
        self.assertIn("officer", r.json["detail"])
        self.assertEqual(self.cursor(), before)

    def test_supplement_suspend_resume_withdraw(self):
        app = json.loads(json.dumps(APPLICATION))
        app["materials"] = ["medical_diagnosis"]
        c = self.submit(app=app).json
        self.assertEqual(c["status"], "needs_supplement")
        r = self.s.post("/v1/cases/%s/supplement" % c["id"], {"materials": ["medical_records"]},
                        who="portal")
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["status"], "in_progress")
        r = self.s.post("/v1/cases/%s/suspend" % c["id"], {"reason": "专家评审"}, who="window")
        self.assertEqual(r.json["status"], "suspended", r.text)
        r = self.s.post("/v1/cases/%s/resume" % c["id"], {}, who="window")
        self.assertEqual(r.json["status"], "in_progress", r.text)
        r = self.s.post("/v1/cases/%s/withdraw" % c["id"], {"reason": "不再需要"}, who="portal")
        self.assertEqual(r.json["status"], "withdrawn", r.text)
        r = self.s.post("/v1/cases/%s/deliver" % c["id"], {"method": "window"}, who="window")
        problem(self, r, 409, "OT_ESTATE")

    def test_law_operations_and_a_step_routed_by_the_form(self):
        """The operations of time as the law counts it are routes of their
        own; a step routed by the form goes to the street office the
        corrected form names, and the service knows it after the supplement."""
        app = {"item": "minimum_living", "channel": "online",
               "applicant": {"kind": "person", "id": "210304196508080012", "name": "郑国强"},
               "materials": ["verification_consent", "household_income_proof"],
               "form": {"name": "郑国强", "id_no": "210304196508080012", "phone": "13904120103",
                        "subdistrict": "shuguang", "household_size": 3,
                        "has_disability": False, "has_serious_illness": False}}
        c = self.submit(app=app).json
        self.assertEqual(c["status"], "needs_supplement")
        survey = [s for s in c["steps"] if s["step"] == "survey"][0]
        self.assertEqual(survey["department"], "street_shuguang")
        # no step of the case is 立山街道's yet
        problem(self, self.s.post("/v1/cases/%s/suspend" % c["id"], {"reason": "x"}, who="street"), 403)
        r = self.s.post("/v1/cases/%s/supplement" % c["id"],
                        {"form": {"subdistrict": "lishan", "household_income": 1500}}, who="portal")
        self.assertEqual(r.json["status"], "in_progress", r.text)
        survey = [s for s in r.json["steps"] if s["step"] == "survey"][0]
        self.assertEqual(survey["department"], "street_lishan")
        r = self.s.post("/v1/cases/%s/suspend" % c["id"], {"reason": "入户调查暂停"}, who="street")
        self.assertEqual(r.json["status"], "suspended", r.text)
        r = self.s.post("/v1/cases/%s/resume" % c["id"], {}, who="street")
        self.assertEqual(r.json["status"], "in_progress", r.text)
        # 低保 allows no extension and decides on no acceptance: the engine says so
        problem(self, self.s.post("/v1/cases/%s/extend" % c["id"],
                                  {"workdays": 5, "reason": "r", "approver": "局长"}, who="window"),
                409, "OT_ESTATE")
        problem(self, self.s.post("/v1/cases/%s/accept" % c["id"], {}, who="window"), 409, "OT_ESTATE")
        problem(self, self.s.post("/v1/cases/%s/procedure_start" % c["id"], {"procedure": "x"},
                                  who="window"), 404, "OT_ENOTFOUND")
        r = self.s.post("/v1/cases/%s/frobnicate" % c["id"], {}, who="window")
        problem(self, r, 404)
        self.assertIn("pledge_check", r.json["detail"])

    def test_assess_items_list_overdue_licences(self):
        r = self.s.post("/v1/assess", {"item": "chronic_disease_recognition",
                                       "form": {"has_inpatient": True}}, who="portal")
        self.assertEqual(r.status, 200, r.text)
        self.assertFalse(r.json["complete"])
        items = self.s.get("/v1/items").json["items"]
        self.assertIn("chronic_disease_recognition", [i["name"] for i in items])
        one = self.s.get("/v1/items/chronic_disease_recognition")
        self.assertEqual(one.json["name"], "chronic_disease_recognition")
        problem(self, self.s.get("/v1/items/no_such_item"), 404, "OT_ENOTFOUND")
        sc = self.s.get("/v1/admin/store-check", who="admin")
        self.assertEqual(sc.status, 200, sc.text)
        self.assertTrue(sc.json["sound"])
        self.submit()
        self.submit()
        page = self.s.get("/v1/cases?limit=1&status=in_progress", who="supervisor")
        self.assertEqual(page.status, 200, page.text)
        self.assertEqual(len(page.json["cases"]), 1)
        self.assertNotIn(ID, page.text)
        nxt = self.s.get("/v1/cases?limit=1&status=in_progress&after=" + page.json["next"],
                         who="supervisor").json
        self.assertGreater(nxt["cases"][0]["id"], page.json["cases"][0]["id"])
        work = self.s.get("/v1/cases?limit=1000", who="medsec").json["cases"]
        self.assertTrue(all(c["item"] == "chronic_disease_recognition" for c in work))
        problem(self, self.s.get("/v1/cases?limit=0", who="supervisor"), 422)
        od = self.s.get("/v1/overdue", who="supervisor")
        self.assertEqual(od.status, 200, od.text)
        self.assertIn("cases", od.json)
        imp = self.s.post("/v1/licences", {"licences": [{
            "holder": ID, "material": "id_card", "number": "L-1", "issuer": "公安",
            "valid_from": "2020-01-01"}]}, who="admin")
        self.assertEqual(imp.status, 200, imp.text)
        lic = self.s.get("/v1/licences/" + ID, who="supervisor")
        self.assertEqual(lic.status, 200, lic.text)
        self.assertEqual(lic.json["licences"][0]["number"], "L-1")
        self.assertNotIn(ID, lic.text)
        for _ in range(40):  # the log is flushed four times a second
            log = read(self.s.log)
            if "/v1/licences/" + MASKED in log:
                break
            time.sleep(0.05)
        self.assertIn("/v1/licences/" + MASKED, log)
        self.assertNotIn(ID, log)

    # ---- who may do what ----

    def test_scope_refusals_change_nothing(self):
        c = self.submit().json
        cid = c["id"]
        step = {"step": "intake", "action": "approve", "officer": OFFICER}
        refused = [
            ("portal", "POST", "/v1/cases/%s/act" % cid, step),
            ("supervisor", "POST", "/v1/cases/%s/act" % cid, step),
            ("admin", "POST", "/v1/cases", APPLICATION),
            ("supervisor", "POST", "/v1/cases", APPLICATION),
            ("portal", "GET", "/v1/cases", None),
            ("portal", "GET", "/v1/overdue", None),
            ("window", "GET", "/v1/overdue", None),
            ("medsec", "GET", "/v1/cases?department=housing", None),
            ("portal2", "GET", "/v1/cases/" + cid, None),
            ("housing", "GET", "/v1/cases/" + cid, None),
            ("portal2", "POST", "/v1/cases/%s/withdraw" % cid, {}),
            ("medsec", "POST", "/v1/cases/%s/withdraw" % cid, {}),
            ("housing", "POST", "/v1/cases/%s/suspend" % cid, {"reason": "x"}),
            ("housing", "POST", "/v1/cases/%s/act" % cid, step),   # the engine: not its step
            ("medsec", "POST", "/v1/cases/%s/act" % cid, step),    # intake is the window's
            ("window", "POST", "/v1/admin/reload", {}),
            ("supervisor", "POST", "/v1/admin/reload", {}),
            ("portal", "POST", "/v1/licences", {"licences": []}),
            ("window", "GET", "/v1/licences/" + ID, None),
            ("supervisor", "GET", "/v1/admin/store-check", None),
        ]
        before, state = self.cursor(), self.case(cid)
        for who, method, path, body in refused:
            r = self.s.request(method, path, body, who=who)
            problem(self, r, 403)
            self.assertNotIn(ID, r.text)
        self.assertEqual(self.cursor(), before)
        self.assertEqual(self.case(cid), state)

    def test_no_token_or_an_unknown_one(self):
        problem(self, self.s.post("/v1/cases", APPLICATION), 401)
        r = self.s.post("/v1/cases", APPLICATION, headers={"Authorization": "Bearer nope"})
        problem(self, r, 401)
        self.assertIn("not one of", r.json["detail"])

    def test_server_fields_are_refused(self):
        for field, value in (("client", "admin"), ("now", "2020-01-01T09:00")):
            app = dict(APPLICATION, **{field: value})
            problem(self, self.s.post("/v1/cases", app, who="portal"), 422)
            # an assessment's too, though its body goes to the engine unparsed
            for body in ({"item": "chronic_disease_recognition", field: value},
                         {field: value, "item": 5}):
                r = self.s.post("/v1/assess", body, who="portal")
                problem(self, r, 422)
                self.assertEqual(r.json["type"], "urn:onetrip:problem:server-field", r.text)
                self.assertIn(field, r.json["detail"])
        c = self.submit().json
        r = self.s.post("/v1/cases/%s/act" % c["id"], {"step": "intake", "action": "approve",
                                                       "officer": OFFICER,
                                                       "actor": "medical_security"}, who="window")
        problem(self, r, 422)
        # the department the engine checks a case against is the client's own
        r = self.s.post("/v1/cases/%s/suspend" % c["id"],
                        {"reason": "x", "handled_by": "medical_security"}, who="housing")
        problem(self, r, 422)
        self.assertIn("handled_by", r.json["detail"])

    # ---- bad requests ----

    def test_bad_requests(self):
        before = self.cursor()
        problem(self, self.s.post("/v1/cases", raw=b'{"item": ', who="portal"), 400)
        problem(self, self.s.post("/v1/cases", raw=b'[1, 2]', who="portal"), 400)
        problem(self, self.s.post("/v1/cases", raw=b'', who="portal"), 400)
        r = self.s.post("/v1/cases", dict(APPLICATION, colour="red"), who="portal")
        problem(self, r, 422, "OT_EINVAL")
        self.assertIn("colour", r.json["detail"])
        problem(self, self.s.post("/v1/cases", dict(APPLICATION, item="no_such"), who="portal"),
                404, "OT_ENOTFOUND")
        problem(self, self.s.get("/v1/cases/20990101-0001", who="supervisor"), 404, "OT_ENOTFOUND")
        problem(self, self.s.get("/v1/nothing", who="supervisor"), 404)
        problem(self, self.s.get("/nothing"), 404)
        problem(self, self.s.post("/v1/cases/20990101-0001/explode", {}, who="window"), 404)
        r = self.s.request("DELETE", "/v1/assess", who="portal")
        problem(self, r, 405)
        self.assertEqual(r.headers["Allow"], "POST")
        self.assertEqual(self.cursor(), before)

    def test_paths_and_queries_not_utf8(self):
        """A path or a query argument that is not UTF-8 once decoded is a
        400, whatever the route (JSON, and so the engine, takes only
        UTF-8): not a 503 out of memory, not a filter or a cursor ignored."""
        before = self.cursor()
        refused = [
            ("supervisor", "GET", "/v1/cases/%FF"),
            ("portal", "POST", "/v1/cases/%FF/withdraw"),
            ("supervisor", "GET", "/v1/licences/%FF"),
            ("supervisor", "GET", "/v1/cases?status=%FF"),
            ("supervisor", "GET", "/v1/cases?%FF=in_progress"),
            ("supervisor", "GET", "/v1/events?after=%FF"),
            ("supervisor", "GET", "/v1/events?after=%C3%28"),     # a broken sequence
            ("supervisor", "GET", "/v1/events?after=%ED%A0%80"),  # a surrogate
            ("supervisor", "GET", "/v1/%FF"),
            (None, "GET", "/%FF"),
        ]
        for who, method, path in refused:
            r = self.s.request(method, path, {} if method == "POST" else None, who=who)
            problem(self, r, 400)
            self.assertEqual(r.json["type"], "urn:onetrip:problem:bad-request", path)
            self.assertIn("UTF-8", r.json["detail"])
        problem(self, self.s.get("/v1/events?after=zzz", who="supervisor"), 422)
        self.assertEqual(self.cursor(), before)
        # UTF-8 is taken: a filter in Chinese reaches the engine, which
        # names it as it refuses it (no item of that name: a misspelt
        # filter would list nothing, as if there were no cases)
        r = self.s.get("/v1/cases?item=" + quote("慢性病"), who="supervisor")
        problem(self, r, 422, "OT_EINVAL")
        self.assertIn("there is no item '慢性病'", r.json["detail"])
        # every line of the access log is JSON, the bytes that are not UTF-8 escaped
        for _ in range(40):  # the log is flushed four times a second
            raw = open(self.s.log, "rb").read()
            if b'"/%' in raw or b'"/\\u00ff' in raw:
                break
            time.sleep(0.05)
        paths = [json.loads(line)["path"] for line in raw.decode("utf-8").splitlines()]
        self.assertIn("/v1/cases/\u00ff", paths)

    def test_details_cut_at_a_character(self):
        """A detail that quotes part of a path cuts it between characters:
        the problem is still JSON, not a 404 with an empty body."""
        for who, method, path in (
                ("supervisor", "GET", "/v1/" + "高" * 50),              # no route, %.120s
                (None, "GET", "/v1/items/a" + "高" * 30),               # no item, %.60s
                ("window", "POST", "/v1/cases/1/a" + "高" * 20),        # no operation, %.40s
                ("portal", "DELETE", "/v1/cases/a" + "高" * 40)):       # 405, %.100s
            r = self.s.request(method, quote(path), {} if method == "POST" else None, who=who)
            self.assertIn(r.status, (404, 405), path)
            problem(self, r, r.status)
            self.assertIn("高高", r.json["detail"])
            self.assertNotIn("\ufffd", r.json["detail"])

    # ---- safe retries ----

    def test_idempotent_retry(self):
        k = {"Idempotency-Key": "retry-%f" % time.time()}
        before = self.cursor()
        a = self.s.post("/v1/cases", APPLICATION, who="portal", headers=k)
        b = self.s.post("/v1/cases", APPLICATION, who="portal", headers=k)
        self.assertEqual((a.status, b.status), (201, 201))
        self.assertEqual(a.json, b.json)
        self.assertEqual(b.headers.get("Idempotent-Replayed"), "true")
        self.assertNotIn("Idempotent-Replayed", a.headers)
        self.assertEqual(self.new_events(before), 1)  # one case, one event
        other = dict(APPLICATION, channel="hall")
        problem(self, self.s.post("/v1/cases", other, who="portal", headers=k), 422)
        # another client's key of the same name is its own
        c = self.s.post("/v1/cases", APPLICATION, who="portal2", headers=k)
        self.assertNotEqual(c.json["id"], a.json["id"])

    def test_idempotent_retry_from_eight_at_once(self):
        k = {"Idempotency-Key": "race-%f" % time.time()}
        before = self.cursor()
        answers = []

        def go():
            answers.append(self.s.post("/v1/cases", APPLICATION, who="portal", headers=k))
        ts = [threading.Thread(target=go) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual({r.status for r in answers}, {201})
        self.assertEqual(len({r.json["id"] for r in answers}), 1)
        self.assertEqual(self.new_events(before), 1)

    def test_many_writers_at_once_group_commit(self):
        """Writes that arrive together are committed together (group commit):
        each refused one changes nothing, each acknowledged one is there."""
        before = self.cursor()
        answers = []

        def go(i):
            app = APPLICATION if i % 4 else dict(APPLICATION, item="no_such_item")
            answers.append(self.s.post("/v1/cases", app, who="portal"))
        ts = [threading.Thread(target=go, args=(i,)) for i in range(32)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        made = [r.json["id"] for r in answers if r.status == 201]
        self.assertEqual(len(made), 24)
        self.assertEqual(sorted(r.status for r in answers if r.status != 201), [404] * 8)
        self.assertEqual(len(set(made)), 24)
        self.assertEqual(self.new_events(before), 24)
        for cid in made[:3]:
            self.assertEqual(self.case(cid)["status"], "in_progress")

    def test_different_writes_at_once(self):
        """Acts, withdrawals and deliveries in one batch: each runs as the
        operation it was sent as, on its own case."""
        cases = [self.submit().json["id"] for _ in range(12)]
        answers = {}

        def go(i, cid):
            if i % 2:
                r = self.s.post("/v1/cases/%s/act" % cid, {"step": "intake", "action": "approve",
                                                           "officer": OFFICER}, who="window")
            else:
                r = self.s.post("/v1/cases/%s/withdraw" % cid, {"reason": "撤回"}, who="portal")
            answers[cid] = (i % 2, r)
        ts = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(cases)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for cid, (acted, r) in answers.items():
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(r.json["id"], cid)
            if acted:
                self.assertEqual([c["step"] for c in r.json["current"]], ["expert"])
            else:
                self.assertEqual(r.json["status"], "withdrawn")

    # ---- the feed ----

    def test_event_feed_and_long_poll(self):
        start = self.cursor()
        got = {}

        def poll():
            t = time.time()
            got["r"] = self.s.get("/v1/events?after=%d&wait=10" % start, who="medsec")
            got["t"] = time.time() - t
        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.4)
        c = self.submit().json
        th.join()
        self.assertLess(got["t"], 5)
        evs = got["r"].json["events"]
        self.assertEqual([(e["case"], e["op"]) for e in evs], [(c["id"], "submit")])
        self.assertEqual(got["r"].json["next"], evs[-1]["cursor"])
        # nothing new: the poll waits its time, then answers an empty page
        t = time.time()
        r = self.s.get("/v1/events?after=%s&wait=1" % evs[-1]["cursor"], who="supervisor")
        self.assertGreaterEqual(time.time() - t, 0.9)
        self.assertEqual((r.json["events"], r.json["next"]), ([], evs[-1]["cursor"]))
        # a portal sees only its own cases, a department only its own
        self.s.post("/v1/cases", APPLICATION, who="portal2")
        mine = self.s.get("/v1/events?after=%d" % start, who="portal").json["events"]
        self.assertEqual({e["case"] for e in mine}, {c["id"]})
        self.assertEqual(self.s.get("/v1/events?after=%d" % start, who="housing").json["events"],
                         [])
        problem(self, self.s.get("/v1/events?after=abc", who="supervisor"), 422, "OT_EINVAL")

    # ---- the applicant's status page ----

    def test_lookup(self):
        c = self.submit().json
        r = self.s.post("/v1/lookup", {"case": c["id"], "id_no": ID})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual((r.json["status"], r.json["applicant_id"]), ("in_progress", MASKED))
        self.assertNotIn(ID, r.text)
        wrong = self.s.post("/v1/lookup", {"case": c["id"], "id_no": "11010519491231002X"})
        missing = self.s.post("/v1/lookup", {"case": "20990101-0001", "id_no": ID})
        problem(self, wrong, 404)
        self.assertEqual(wrong.json, missing.json)

    def test_a_chain_case_is_seen_by_its_stages_departments(self):
        """A chain case (一件事) has stages, not steps: a department that
        leads one of them sees the chain as it sees an item case at one of
        its steps, with the applicant's number masked; another does not."""
        chain = self.submit(app=CHAIN).json
        r = self.s.get("/v1/cases/" + chain["id"], who="housing")  # leads 工程建设许可, 竣工验收
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual((r.json["kind"], r.json["id"]), ("chain", chain["id"]))
        self.assertNotIn(COMPANY, r.text)
        problem(self, self.s.get("/v1/cases/" + chain["id"], who="medsec"), 403)

    def test_the_feed_names_a_chain_as_a_chain(self):
        """A chain case's events say "chain": NAME where an item case's say
        "item" -- not the store's "chain:NAME"."""
        chain = self.submit(app=CHAIN).json
        feed = self.s.get("/v1/events?after=0&limit=1000", who="supervisor").json["events"]
        mine = [e for e in feed if e["case"] == chain["id"]]
        self.assertEqual([(e["op"], e["chain"], "item" in e) for e in mine],
                         [("submit", "construction_small", False)])
        opened = chain["stages"][0]["items"][0]["case"]
        self.assertEqual([e["item"] for e in feed if e["case"] == opened], ["investment_filing"])

    def test_lookup_of_a_chain_case(self):
        """A chain case (一件事) is looked up as an item case is: its status,
        its due date, its stages with their items and each item's case and
        status, its history -- masked, and nothing of who or why."""
        chain = self.submit(app=CHAIN).json
        r = self.s.post("/v1/lookup", {"case": chain["id"], "id_no": COMPANY.lower()})
        self.assertEqual(r.status, 200, r.text)
        a = r.json
        self.assertEqual((a["kind"], a["id"], a["chain"], a["chain_label"], a["status"], a["due"]),
                         ("chain", chain["id"], "construction_small", chain["chain_label"],
                          "in_progress", chain["due"]))
        self.assertEqual(a["applicant_id"], COMPANY[:4] + "*" * 10 + COMPANY[-4:])
        self.assertNotIn(COMPANY, r.text)
        self.assertNotIn(CHAIN["form"]["contractor_code"], r.text)
        self.assertNotIn("鞍山市立山建设有限公司", r.text)  # the applicant's name: not asked
        self.assertEqual([(st["stage"], st["state"]) for st in a["stages"]],
                         [(st["stage"], st["state"]) for st in chain["stages"]])
        first = a["stages"][0]["items"]
        self.assertEqual([(i["item"], i["case"], i["status"]) for i in first],
                         [(i["item"], i["case"], i["status"]) for i in chain["stages"][0]["items"]])
        self.assertEqual(first[0]["status"], "in_progress")
        self.assertEqual(first[1]["status"], "not_opened")
        self.assertEqual(a["history"], [{"op": "submit", "at": chain["submitted_at"]}])
        self.assertIn("notice", a["notice"])
        # the item case it opened is looked up with the same number, as an item
        item = self.s.post("/v1/lookup", {"case": first[0]["case"], "id_no": COMPANY})
        self.assertEqual((item.status, item.json["kind"], item.json["item"]),
                         (200, "item", "investment_filing"), item.text)
        # a wrong number: the same answer as for no such case
        wrong = self.s.post("/v1/lookup", {"case": chain["id"], "id_no": ID})
        problem(self, wrong, 404)
        self.assertEqual(wrong.json, self.s.post("/v1/lookup", {"case": "20990101-0001",
                                                              "id_no": COMPANY}).json)

    def test_lookup_shows_the_sweeps_warnings(self):
        """The time sweep's warnings (黄牌, 红牌) are in the lookup's history
        with their level, what they warn of and its day -- not who warned
        nor which department is late."""
        with Server(BINARY, SOURCE, "--trust-now", "--sweep-every", "1", "--timeout", "2") as s:
            c = s.post("/v1/cases", dict(APPLICATION, now="2024-03-04T09:00"), who="portal").json
            for _ in range(100):  # the next sweep: every deadline of the case is past
                history = s.get("/v1/cases/" + c["id"], who="supervisor").json["history"]
                if len([e for e in history if e["op"] == "warn"]) >= 3:
                    break
                time.sleep(0.1)
            r = s.post("/v1/lookup", {"case": c["id"], "id_no": ID})
            self.assertEqual(r.status, 200, r.text)
            warns = [h for h in r.json["history"] if h["op"] == "warn"]
            self.assertEqual(len(warns), len([e for e in history if e["op"] == "warn"]))
            got = {(h.get("level"), h.get("target"), h.get("step"), h.get("due")) for h in warns}
            self.assertIn(("red", "step", "intake", "2024-03-05"), got)
            self.assertIn(("red", "case", None, c["due"]), got)
            for h in warns:
                self.assertLessEqual(set(h), {"op", "at", "level", "target", "due", "step",
                                              "material", "procedure"})
            self.assertEqual(s.stop(), 0)

    def test_lookup_guesses_are_refused(self):
        """Failed lookups count by case number and by ID number: past five
        within 15 minutes, lookups of it are 429 with Retry-After -- even
        with the right ID number -- and other cases are not held up."""
        with Server(BINARY, SOURCE) as s:
            first = s.post("/v1/cases", APPLICATION, who="portal").json["id"]
            second = s.post("/v1/cases", APPLICATION, who="portal").json["id"]
            guesses = ["11010519491231002X", "110105194912310037", "110105194912310045",
                       "110105194912310053", "110105194912310061"]
            for g in guesses:
                problem(self, s.post("/v1/lookup", {"case": first, "id_no": g}), 404)
            r = s.post("/v1/lookup", {"case": first, "id_no": ID})
            problem(self, r, 429)
            self.assertIn("too many failed lookups", r.json["detail"])
            self.assertTrue(600 < int(r.headers["Retry-After"]) <= 900, r.headers)
            self.assertNotIn(ID, r.text)
            self.assertEqual(s.post("/v1/lookup", {"case": second, "id_no": ID}).status, 200)
            # one ID number tried against many case numbers
            for n in range(5):
                missing = {"case": "20990101-%04d" % (n + 1), "id_no": "11010519491231008x"}
                problem(self, s.post("/v1/lookup", missing), 404)
            problem(self, s.post("/v1/lookup", {"case": second, "id_no": "11010519491231008X"}), 429)
            self.assertEqual(s.post("/v1/lookup", {"case": second, "id_no": ID}).status, 200)
            self.assertEqual(s.stop(), 0)

    def test_a_lookup_block_outlasts_a_flood(self):
        """A flood of failed lookups of other numbers -- more than the
        guard's table holds -- forgets no block: the case number and the ID
        number refused stay refused, and a good lookup is still answered."""
        with Server(BINARY, SOURCE) as s:
            first = s.post("/v1/cases", APPLICATION, who="portal").json["id"]
            second = s.post("/v1/cases", APPLICATION, who="portal").json["id"]
            for n in range(5):
                s.post("/v1/lookup", {"case": first, "id_no": "11010519491231%04d" % n})
                s.post("/v1/lookup", {"case": "20990101-%04d" % n, "id_no": "11010519491231008X"})
            problem(self, s.post("/v1/lookup", {"case": first, "id_no": ID}), 429)
            statuses = []

            def flood(k):  # kept-alive connections: 5000 lookups in a second or two
                c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
                for i in range(k, 5000, 4):
                    q = {"case": "20980101-%05d" % i, "id_no": "11010519480101%04d" % i}
                    c.request("POST", "/v1/lookup", json.dumps(q),
                              {"Content-Type": "application/json"})
                    r = c.getresponse()
                    r.read()
                    statuses.append(r.status)
                c.close()
            ts = [threading.Thread(target=flood, args=(k,)) for k in range(4)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            self.assertEqual(set(statuses), {404})
            problem(self, s.post("/v1/lookup", {"case": first, "id_no": ID}), 429)
            problem(self, s.post("/v1/lookup", {"case": second, "id_no": "11010519491231008X"}),
                    429)
            self.assertEqual(s.post("/v1/lookup", {"case": second, "id_no": ID}).status, 200)
            self.assertEqual(s.stop(), 0)

    def test_listens_on_ipv6(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError as e:
            self.skipTest("no IPv6 loopback on this machine: %s" % e)
        with Server(BINARY, SOURCE, "--listen", "[::1]:0") as s:
            self.assertEqual(s.get("/healthz").json["status"], "ok")
            self.assertIn("listening on http://[::1]:%d/" % s.port, s.banner())
            self.assertEqual(s.post("/v1/cases", APPLICATION, who="portal").status, 201)
            self.assertEqual(s.stop(), 0)
            bad = subprocess.run([BINARY, "serve", "--rules", s.rules, "--clients", s.clients,
                                  "--db", s.db, "--listen", "::1:80"],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(bad.returncode, 2)
            self.assertIn("[IPv6-ADDRESS]:PORT", bad.stderr)


class Hostile(unittest.TestCase):
    """Requests no client library would send: each gets an answer or a
    closed connection, the service stays up, the store is unchanged."""

    def raw(self, s, data, timeout=5):
        with socket.create_connection(("127.0.0.1", s.port), timeout=timeout) as c:
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            out = b""
            try:
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    out += b
            except socket.timeout:
                pass
            return out

    def test_hostile_requests(self):
        with Server(BINARY, SOURCE, "--timeout", "2") as s:
            before = s.get("/v1/events", who="supervisor").json["next"]
            auth = b"Authorization: Bearer portal-token-1\r\n"
            nasty = [
                b"GARBAGE\r\n\r\n",
                b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /v1/cases HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Length: 5\r\n\r\n\x00\xff\xfe{}",
                b"POST /v1/cases HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Transfer-Encoding: chunked\r\n\r\n4\r\n{\"it\r\n0\r\n\r\n",
                b"POST /v1/assess HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Length: 3\r\n\r\n{ }",
                b"POST /v1/assess HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Length: 9\r\n\r\n  {\"a\":1",
                b"POST /v1/cases/../../etc/passwd/act HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Length: 2\r\n\r\n{}",
                b"GET /v1/cases/%00/x HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
                b"POST /v1/cases HTTP/1.1\r\nHost: x\r\n" + auth +
                b"Content-Length: 100\r\n\r\n{\"item\":",   # a body that never ends
                b"GET /healthz HTTP/1.1\r\n",                   # a header that never ends
            ]
            for data in nasty:
                answer = self.raw(s, data)
                if answer:  # an answer, never a success; or the connection closed
                    status = answer.split(b"\r\n", 1)[0]
                    self.assertRegex(status, rb"^HTTP/1\.[01] [45]\d\d ", data[:60])
            # bodies that are JSON but not what an operation takes
            for body in (b'{"item": 1}', b'{"item": "chronic_disease_recognition", "form": []}',
                         b'{"' + b"k" * 5000 + b'": 1}', b'[' * 10000 + b']' * 10000,
                         b'{"item": "\\ud800"}', "{\"item\": \"\u9ad8\"}".encode()):
                r = s.post("/v1/cases", raw=body, who="portal")
                self.assertIn(r.status, (400, 404, 413, 422), r.text)
                self.assertEqual(r.headers["Content-Type"], "application/problem+json")
            self.assertEqual(s.get("/healthz").status, 200)
            self.assertEqual(s.get("/v1/events", who="supervisor").json["next"], before)
            self.assertEqual(s.stop(), 0)


class Operations(unittest.TestCase):
    """Servers of their own: limits, reload, restart, shutdown."""

    def feed_next(self, s):
        """The feed's cursor. With --max-connections 3, the connections of
        the refused requests may still count for a moment on a loaded
        machine: a 503 for them is waited out, anything else fails."""
        for _ in range(100):
            r = s.get("/v1/events", who="supervisor")
            if r.status != 503:
                break
            time.sleep(0.05)
        self.assertEqual(r.status, 200, r.text)
        return r.json["next"]

    def test_headers_near_the_limit_and_the_access_log(self):
        # MHD's pool per connection is sized from --max-header (default
        # 8192): a header just under it is the service's to take, one over
        # it the service's to refuse with its own problem+json
        with Server(BINARY, SOURCE) as s:
            r = s.post("/v1/assess", {"item": "chronic_disease_recognition"}, who="portal",
                       headers={"X-Big": "y" * 7800})
            self.assertEqual(r.status, 200, r.text)
            r = s.post("/v1/assess", {"item": "chronic_disease_recognition"}, who="portal",
                       headers={"X-Big": "y" * 9000})
            problem(self, r, 431)
            self.assertEqual(s.get("/v1/licences/" + ID, who="supervisor").status, 200)
            s.get("/v1/items/%22q%5C%01", who="supervisor")  # a path JSON escapes
            self.assertEqual(s.stop(), 0)
            lines = read(s.log).splitlines()
            entries = [json.loads(line) for line in lines]  # every line JSON
            self.assertNotIn(ID, read(s.log))  # ID numbers masked
            lic = [e for e in entries if e["route"] == "/v1/licences/{holder}"]
            self.assertEqual(lic[0]["path"], "/v1/licences/" + MASKED)
            self.assertIn("/v1/items/\"q\\\x01", [e["path"] for e in entries])
            self.assertEqual(lic[0]["client"], "supervisor")
            self.assertEqual(lic[0]["status"], 200)
            self.assertIsInstance(lic[0]["ms"], float)
            self.assertEqual([e["status"] for e in entries if e["path"] == "/v1/assess"],
                             [200, 431])

    def test_limits(self):
        with Server(BINARY, SOURCE, "--max-body", "2048", "--max-header", "1024",
                    "--max-connections", "3") as s:
            before = self.feed_next(s)
            big = dict(APPLICATION, form=dict(APPLICATION["form"], disease_name="x" * 4000))
            r = s.post("/v1/cases", big, who="portal")
            problem(self, r, 413)
            self.assertIn("2048", r.json["detail"])
            r = s.post("/v1/cases", APPLICATION, who="portal", headers={"X-Big": "y" * 2000})
            problem(self, r, 431)
            self.assertEqual(self.feed_next(s), before)
            idle = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(4)]
            time.sleep(0.2)
            r = s.get("/healthz")
            problem(self, r, 503)
            self.assertIn("connections", r.json["detail"])
            for x in idle:
                x.close()
            time.sleep(0.2)
            self.assertEqual(s.get("/healthz").status, 200)
            self.assertEqual(s.stop(), 0)

    def test_a_body_declared_too_large_is_refused_unread(self):
        """A Content-Length over --max-body is answered 413 at once, the
        body never sent and never waited for (not after --timeout), no
        100 Continue first, and the connection closed."""
        with Server(BINARY, SOURCE, "--max-body", "2048", "--timeout", "30") as s:
            for expect in (b"", b"Expect: 100-continue\r\n"):
                with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
                    c.sendall(b"POST /v1/cases HTTP/1.1\r\nHost: x\r\n"
                              b"Authorization: Bearer portal-token-1\r\n"
                              b"Content-Type: application/json\r\n" + expect +
                              b"Content-Length: 1000000000\r\n\r\n")
                    t, answer = time.time(), b""
                    while True:
                        b = c.recv(65536)  # a socket.timeout here: the server waited
                        if not b:
                            break          # closed by the server
                        answer += b
                    self.assertLess(time.time() - t, 5)
                head, body = answer.split(b"\r\n\r\n", 1)
                self.assertRegex(head, rb"^HTTP/1\.1 413 ")
                self.assertIn(b"Connection: close", head)
                self.assertEqual(json.loads(body)["type"], "urn:onetrip:problem:body-too-large")
            self.assertEqual(s.get("/healthz").status, 200)
            self.assertEqual(s.stop(), 0)

    def test_a_chunked_body_too_large(self):
        """A chunked body has no length to be refused by: one a little over
        --max-body is read and answered 413; one without end is not read
        while it lasts -- past twice --max-body the connection is closed."""
        head = (b"POST /v1/cases HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer portal-token-1\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"400\r\n" + b"x" * 1024 + b"\r\n"
        with Server(BINARY, SOURCE, "--max-body", "2048", "--timeout", "30") as s:
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
                c.sendall(head + chunk * 3 + b"0\r\n\r\n")
                answer = b""
                while b"\r\n\r\n" not in answer:
                    answer += c.recv(65536)
                self.assertRegex(answer, rb"^HTTP/1\.1 413 ")
            with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
                c.sendall(head)
                t, sent, closed = time.time(), 0, False
                while time.time() - t < 10 and not closed:
                    try:
                        c.sendall(chunk * 16)
                        sent += 16 * 1024
                    except (BrokenPipeError, ConnectionResetError, socket.timeout):
                        closed = True
                self.assertTrue(closed, "the server read %d bytes of a body without end" % sent)
            self.assertEqual(s.get("/healthz").status, 200)
            self.assertEqual(s.stop(), 0)

    def test_connections_per_address(self):
        """--per-ip-connections: one address holding that many connections
        (idle, or trickling a header) gets no more; the others still do."""
        with Server(BINARY, SOURCE, "--per-ip-connections", "3") as s:
            idle = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(3)]
            idle[0].sendall(b"GET /healthz HTTP/1.1\r\n")  # a header that never ends
            time.sleep(0.2)
            with self.assertRaises((ConnectionError, http.client.HTTPException, socket.timeout)):
                s.get("/healthz", timeout=5)
            for x in idle:
                x.close()
            time.sleep(0.2)
            self.assertEqual(s.get("/healthz").status, 200)
            self.assertEqual(s.stop(), 0)
        bad = subprocess.run([BINARY, "serve", "--per-ip-connections", "-1"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(bad.returncode, 2)

    def test_reload_under_load(self):
        tmp = tmpdir("reload_")
        self.addCleanup(shutil.rmtree, tmp, True)
        rules = os.path.join(tmp, "rules")
        shutil.copytree(os.path.join(SOURCE, "rules"), rules)
        with Server(BINARY, SOURCE, rules=rules, tmp=tmp) as s:
            old = s.post("/v1/cases", APPLICATION, who="portal").json
            stop, answers = threading.Event(), []

            def load():
                while not stop.is_set():
                    r = s.post("/v1/assess", {"item": "chronic_disease_recognition"}, who="portal")
                    answers.append(r.status)
                    r = s.post("/v1/cases", APPLICATION, who="portal")
                    answers.append(r.status)
            ts = [threading.Thread(target=load) for _ in range(4)]
            for t in ts:
                t.start()
            path = os.path.join(rules, "lishan", "items-health.rules")
            text = read(path)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text.replace("promised_limit 10 workdays", "promised_limit 9 workdays", 1))
            time.sleep(0.3)
            r = s.post("/v1/admin/reload", {}, who="admin")
            self.assertEqual(r.status, 200, r.text)
            new_hash = r.json["rules"]
            time.sleep(0.3)
            s.proc.send_signal(signal.SIGHUP)
            time.sleep(0.3)
            with open(path, "a", encoding="utf-8") as f:
                f.write("\nitem broken {\n")
            r = s.post("/v1/admin/reload", {}, who="admin")
            problem(self, r, 422)
            time.sleep(0.2)
            stop.set()
            for t in ts:
                t.join()
            self.assertGreater(len(answers), 20)
            self.assertEqual(set(answers), {200, 201})  # nothing dropped
            self.assertNotEqual(new_hash, old["rules"])
            new = s.post("/v1/cases", APPLICATION, who="portal").json
            self.assertEqual(new["rules"], new_hash)
            # the running case keeps its version
            a = s.post("/v1/cases/%s/act" % old["id"], {"step": "intake", "action": "approve",
                                                        "officer": OFFICER}, who="window")
            self.assertEqual(a.status, 200, a.text)
            self.assertEqual(a.json["rules"], old["rules"])
            self.assertEqual(s.stop(), 0)

    def test_a_hundred_reloads_while_requests_run(self):
        """Every reload reads the clients file again. A request keeps who
        sent it for as long as it runs -- in the access log, in the event
        of a write at the committer -- however many reloads come meanwhile
        (the 65th once freed a table requests were still reading)."""
        with Server(BINARY, SOURCE) as s:
            stop, answers = threading.Event(), []

            def load():
                while not stop.is_set():
                    answers.append(s.post("/v1/assess", {"item": "chronic_disease_recognition"},
                                          who="portal").status)
                    answers.append(s.post("/v1/cases", APPLICATION, who="window").status)
            ts = [threading.Thread(target=load) for _ in range(3)]
            for t in ts:
                t.start()
            for i in range(100):
                if i % 10 == 9:
                    s.proc.send_signal(signal.SIGHUP)  # the same reload, by signal
                r = s.post("/v1/admin/reload", {}, who="admin")
                self.assertEqual(r.status, 200, r.text)
            stop.set()
            for t in ts:
                t.join()
            self.assertEqual(set(answers), {200, 201})
            c = s.post("/v1/cases", APPLICATION, who="portal")
            self.assertEqual(c.status, 201, c.text)
            shown = s.get("/v1/cases/" + c.json["id"], who="portal").json
            self.assertEqual(shown["history"][0]["client"], "portal")
            self.assertEqual(s.stop(), 0)
            entries = [json.loads(line) for line in read(s.log).splitlines()]
            reloads = [e["client"] for e in entries if e["route"] == "/v1/admin/reload"]
            self.assertEqual(reloads, ["admin"] * 100)
            self.assertEqual({e["client"] for e in entries if e["route"] == "/v1/cases"},
                             {"window", "portal"})

    def test_a_wrong_clients_file_is_refused_at_start(self):
        tmp = tmpdir("clients_")
        self.addCleanup(shutil.rmtree, tmp, True)
        h = "a" * 64
        cases = [
            ('{"clients": [{"name": "p", "scope": "portal", "token": "secret"}]}', "token_sha256"),
            ('{"clients": [{"name": "p", "scope": "root", "token_sha256": "%s"}]}' % h, "scope"),
            ('{"clients": [{"name": "w", "scope": "window", "department": "d", '
             '"token_sha256": "%s"}]}' % h, "window"),
            ('{"clients": [{"name": "p", "scope": "portal", "token_sha256": "%s"}, '
             '{"name": "p", "scope": "admin", "token_sha256": "%s"}]}' % (h, "b" * 64), "same name"),
            ('{"clients": [{"name": "a b", "scope": "portal", "token_sha256": "%s"}]}' % h, "name"),
            ('{"clients": ', "clients.json:1:"),
        ]
        for text, needle in cases:
            path = os.path.join(tmp, "clients.json")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([BINARY, "serve", "--rules", os.path.join(SOURCE, "rules"),
                                "--db", os.path.join(tmp, "db"), "--clients", path,
                                "--listen", "127.0.0.1:0"], capture_output=True, timeout=30)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(needle, p.stderr.decode(), text)

    def test_overdue_in_metrics_and_trusted_now(self):
        with Server(BINARY, SOURCE, "--trust-now") as s:
            app = dict(APPLICATION, now="2024-03-04T09:00")
            c = s.post("/v1/cases", app, who="portal")
            self.assertEqual(c.status, 201, c.text)
            self.assertEqual(c.json["submitted_at"], "2024-03-04T09:00:00+08:00")
            od = s.get("/v1/overdue", who="supervisor").json["cases"]
            self.assertEqual([x["id"] for x in od], [c.json["id"]])
            m = s.get("/metrics").text
            self.assertIn("onetrip_overdue_steps 1\n", m)
            self.assertIn("onetrip_overdue_cases 1\n", m)
            self.assertEqual(s.stop(), 0)

    def test_keys_survive_a_restart_and_shutdown_finishes_requests(self):
        tmp = tmpdir("restart_")
        self.addCleanup(shutil.rmtree, tmp, True)
        k = {"Idempotency-Key": "restart-1"}
        with Server(BINARY, SOURCE, tmp=tmp) as s:
            first = s.post("/v1/cases", APPLICATION, who="portal", headers=k)
            self.assertEqual(first.status, 201)
            got = {}

            def poll():
                got["r"] = s.get("/v1/events?after=%s&wait=20" % first.json["events"],
                                 who="supervisor")
            th = threading.Thread(target=poll)
            th.start()
            time.sleep(0.3)
            t = time.time()
            self.assertEqual(s.stop(), 0)
            th.join()
            self.assertLess(time.time() - t, 5)
            self.assertEqual(got["r"].status, 200)  # the poll in flight was answered
        with Server(BINARY, SOURCE, tmp=tmp) as s:
            again = s.post("/v1/cases", APPLICATION, who="portal", headers=k)
            self.assertEqual((again.status, again.json), (201, first.json))
            self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
            self.assertEqual(len(s.get("/v1/cases", who="supervisor").json["cases"]), 1)
            self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=1)
