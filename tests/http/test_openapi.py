"""The OpenAPI document served at /v1/openapi.json is true: every route's
real answers (successes and problems) match it, every path and method it
lists is called, and every status answered is documented.

Usage: python3 test_openapi.py ONETRIP SOURCE_DIR
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import APPLICATION, CHAIN, COMPANY, ID, Server  # noqa: E402


class Invalid(Exception):
    pass


def validate(doc, schema, value, where):
    """The subset of JSON Schema (2020-12) the document uses."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return validate(doc, doc["components"]["schemas"][name], value, where)
    for sub in schema.get("allOf", []):
        validate(doc, sub, value, where)
    if "oneOf" in schema:
        why = []
        for sub in schema["oneOf"]:
            try:
                validate(doc, sub, value, where)
            except Invalid as e:
                why.append(str(e))
        if len(why) != len(schema["oneOf"]) - 1:
            raise Invalid("%s: matches %d of oneOf, not 1 (%s)" % (
                where, len(schema["oneOf"]) - len(why), "; ".join(why)))
    if "not" in schema:
        try:
            validate(doc, schema["not"], value, where)
        except Invalid:
            pass
        else:
            raise Invalid("%s: matches what it must not (%s)" % (where, json.dumps(schema["not"])))
    if "const" in schema and value != schema["const"]:
        raise Invalid("%s: %r is not %r" % (where, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid("%s: %r is not one of %s" % (where, value, schema["enum"]))
    types = schema.get("type")
    if types:
        types = types if isinstance(types, list) else [types]
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool,
                 "null": type(None)}
        ok = any((t == "integer" and isinstance(value, int) and not isinstance(value, bool)) or
                 (t == "number" and isinstance(value, (int, float)) and not isinstance(value, bool))
                 or (t in kinds and isinstance(value, kinds[t])) for t in types)
        if not ok:
            raise Invalid("%s: %r is not %s" % (where, value, "/".join(types)))
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        raise Invalid("%s: %r does not match %s" % (where, value, schema["pattern"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                raise Invalid("%s: \"%s\" is missing" % (where, k))
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                validate(doc, sub, value[k], where + "." + k)
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(schema.get("properties", {})))
            if extra:
                raise Invalid("%s: %s not in the document" % (where, ", ".join(extra)))
    if isinstance(value, list) and "items" in schema:
        for i, x in enumerate(value):
            validate(doc, schema["items"], x, "%s[%d]" % (where, i))


def template_of(doc, path):
    path = path.split("?", 1)[0]
    for t in doc["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", t), path):
            return t
    return None


def main():
    binary, source = sys.argv[1], sys.argv[2]
    s = Server(binary, source, "--trust-now")  # a chain submitted in the past, for overdue
    called, failures = set(), []
    try:
        doc = s.get("/v1/openapi.json").json
        assert doc["openapi"] == "3.1.0", doc.get("openapi")
        gen = subprocess.run([sys.executable, os.path.join(source, "tools", "serve", "openapi.py")],
                             capture_output=True, check=True).stdout
        if json.loads(gen) != doc:
            failures.append("tools/serve/pages/openapi.json is not what tools/serve/openapi.py "
                            "writes: run it again")

        def check(method, path, body=None, who=None, **kw):
            r = s.request(method, path, body, who=who, **kw)
            t = template_of(doc, path)
            where = "%s %s -> %d" % (method, path, r.status)
            op = doc["paths"].get(t, {}).get(method.lower()) if t else None
            if not op:
                failures.append(where + ": not in the document")
                return r
            called.add((t, method.lower()))
            # path parameters with values listed: the value is one of them
            names = re.findall(r"\{([^}]+)\}", t)
            values = re.fullmatch(re.sub(r"\{[^}]+\}", "([^/]+)", t), path.split("?", 1)[0]).groups()
            for prm in op.get("parameters", []):
                if prm["in"] == "path" and "enum" in prm["schema"] and prm["name"] in names:
                    v = values[names.index(prm["name"])]
                    if v not in prm["schema"]["enum"] and r.status != 404:
                        failures.append("%s: %s=%s is not in the document's list" % (where, prm["name"], v))
            # a request the service took is one the document allows
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body is not None and 200 <= r.status < 300 and "schema" in schema:
                try:
                    validate(doc, schema["schema"], body, where + " (request)")
                except Invalid as e:
                    failures.append(str(e))
            resp = op["responses"].get(str(r.status))
            if not resp:
                failures.append(where + ": status not documented")
                return r
            if "$ref" in resp:
                resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
            ctype = r.headers.get("Content-Type", "").split(";")[0]
            content = resp.get("content", {})
            if ctype not in content:
                failures.append("%s: %s not documented (%s)" % (where, ctype, list(content)))
                return r
            if r.json is not None:
                try:
                    validate(doc, content[ctype]["schema"], r.json, where)
                except Invalid as e:
                    failures.append(str(e))
            return r

        officer = {"id": "S1", "name": "王芳"}
        check("GET", "/healthz")
        check("GET", "/readyz")
        check("GET", "/metrics")
        check("GET", "/v1/openapi.json")
        check("POST", "/v1/assess", {"item": "chronic_disease_recognition"}, "portal")
        check("POST", "/v1/assess", {"item": "nope"}, "portal")
        check("POST", "/v1/assess", {"item": "chronic_disease_recognition"}, "admin")
        c = check("POST", "/v1/cases", APPLICATION, "portal").json
        check("POST", "/v1/cases", APPLICATION, "portal", headers={"Idempotency-Key": "a"})
        check("POST", "/v1/cases", dict(APPLICATION, x=1), "portal")
        check("POST", "/v1/cases", raw=b"{", who="portal")
        check("POST", "/v1/cases", APPLICATION)
        check("GET", "/v1/cases?limit=1", who="supervisor")
        check("GET", "/v1/cases?limit=5000", who="supervisor")
        check("GET", "/v1/cases", who="portal")
        check("GET", "/v1/cases/" + c["id"], who="portal")
        check("GET", "/v1/cases/" + c["id"], who="supervisor")
        check("GET", "/v1/cases/20990101-0001", who="supervisor")
        check("POST", "/v1/cases/%s/act" % c["id"],
              {"step": "intake", "action": "approve", "officer": officer}, "window")
        check("POST", "/v1/cases/%s/act" % c["id"],
              {"step": "intake", "action": "approve", "officer": officer}, "window")
        check("POST", "/v1/cases/%s/act" % c["id"],
              {"step": "expert", "action": "approve", "officer": officer}, "window")
        check("POST", "/v1/cases/%s/suspend" % c["id"], {"reason": "评审"}, "medsec")
        check("POST", "/v1/cases/%s/withdraw" % c["id"], {}, "portal")
        check("GET", "/v1/overdue", who="supervisor")
        check("GET", "/v1/overdue", who="window")
        check("GET", "/v1/events?after=0", who="supervisor")
        check("GET", "/v1/events?after=x", who="supervisor")
        check("GET", "/v1/items")
        check("GET", "/v1/items/chronic_disease_recognition")
        check("GET", "/v1/items/nope")
        check("POST", "/v1/licences", {"licences": [{"holder": ID, "material": "id_card",
                                                     "number": "N1", "issuer": "公安",
                                                     "valid_from": "2020-01-01"}]}, "admin")
        check("GET", "/v1/licences/" + ID, who="supervisor")
        check("POST", "/v1/lookup", {"case": c["id"], "id_no": ID})
        check("POST", "/v1/lookup", {"case": c["id"], "id_no": "11010519491231002X"})

        # a chain case (一件事, docs/engine.md §13): every answer it gets
        def chain_answer(r, what, test):
            """r is the answer of a chain case (test), not a problem: the
            check of r was about a chain and not something else."""
            try:
                ok = 200 <= r.status < 300 and test(r.json)
            except (AttributeError, KeyError, IndexError, TypeError):
                ok = False
            if not ok:
                text = json.dumps(r.json, ensure_ascii=False) if r.json is not None else r.text
                failures.append("%s: not a chain's answer: %d %s" % (what, r.status, text[:300]))
        kind = lambda j: j["kind"] == "chain"
        chain_assess = {"chain": "construction_small", "form": CHAIN["form"],
                        "materials": CHAIN["materials"]}
        chain_answer(check("POST", "/v1/assess", chain_assess, "portal"), "assess a chain",
                     lambda j: j["chain"] == "construction_small" and j["stage"] is None)
        chain_answer(check("POST", "/v1/assess", dict(chain_assess, stage="permits"), "portal"),
                     "assess a stage", lambda j: j["stage"] == "permits")
        check("POST", "/v1/cases", dict(CHAIN, stage="permits"), "portal")  # assess only: 422
        r = check("POST", "/v1/cases", CHAIN, "portal")
        chain_answer(r, "submit a chain", kind)
        chain = r.json
        item_case = chain["stages"][0]["items"][0]["case"]
        chain_answer(check("GET", "/v1/cases/" + chain["id"], who="portal"), "show a chain",
                     lambda j: kind(j) and j["stages"][0]["items"][0]["current"] and j["history"])
        chain_answer(check("GET", "/v1/cases/" + chain["id"], who="supervisor"),
                     "show a chain, masked", lambda j: "*" in j["applicant"]["id"])
        chain_answer(check("GET", "/v1/cases/" + item_case, who="portal"), "show a chain's item case",
                     lambda j: j["chain"] == chain["id"] and "kind" not in j)
        chain_answer(check("GET", "/v1/cases?limit=1000", who="supervisor"), "list",
                     lambda j: any(c.get("chain") for c in j["cases"]))
        chain_answer(check("GET", "/v1/cases?chain=construction_small", who="supervisor"),
                     "list a chain's cases",
                     lambda j: j["cases"] and all(c.get("chain") == "construction_small"
                                                  for c in j["cases"]))
        chain_answer(check("POST", "/v1/cases/%s/supplement" % chain["id"],
                           {"materials": ["design_scheme"]}, "portal"), "supplement a chain", kind)
        # an item case suspended: the chain follows it, with an item event
        check("POST", "/v1/cases/%s/suspend" % item_case, {"reason": "现场核查"}, "window")
        chain_answer(check("GET", "/v1/cases/" + chain["id"], who="portal"), "a chain's item event",
                     lambda j: j["status"] == "suspended" and j["history"][-1]["op"] == "item")
        check("POST", "/v1/cases/%s/resume" % item_case, {}, "window")
        check("POST", "/v1/cases/%s/act" % chain["id"],  # on its item cases only: 422
              {"step": "intake", "action": "approve", "officer": officer}, "window")
        check("POST", "/v1/cases/%s/withdraw" % item_case, {}, "portal")  # the chain only: 422
        # a chain submitted in 2019 (--trust-now) is past its due dates now
        late = s.post("/v1/cases", dict(CHAIN, now="2019-12-02T09:00"), who="portal").json
        chain_answer(check("GET", "/v1/overdue?limit=1000", who="supervisor"), "overdue",
                     lambda j: any(c.get("chain") and c["stages"] for c in j["cases"]))
        chain_answer(check("POST", "/v1/cases/%s/withdraw" % late["id"], {}, "portal"),
                     "withdraw a chain", lambda j: kind(j) and j["status"] == "withdrawn")
        chain_answer(check("GET", "/v1/events?after=0&limit=1000", who="supervisor"), "events",
                     lambda j: {e["op"] for e in j["events"] if e["case"] in (chain["id"], late["id"])}
                     >= {"submit", "supplement", "item", "withdraw"})
        chain_answer(check("GET", "/v1/events?after=0&limit=1000", who="portal"),
                     "a portal's events", lambda j: any(e["case"] == chain["id"] for e in j["events"]))
        chain_answer(check("POST", "/v1/lookup", {"case": chain["id"], "id_no": COMPANY}),
                     "look a chain up", kind)
        check("GET", "/v1/admin/store-check", who="admin")
        check("GET", "/v1/admin/store-check", who="supervisor")
        check("POST", "/v1/admin/reload", {}, "admin")
        check("POST", "/v1/admin/reload", {}, "supervisor")
        listed = {(t, m) for t, ops in doc["paths"].items() for m in ops}
        for t, m in sorted(listed - called):
            failures.append("%s %s: listed but never called" % (m.upper(), t))
    finally:
        rc = s.stop()
        s.cleanup()
    if rc != 0:
        failures.append("onetrip serve exited %d" % rc)
    for f in failures:
        print("openapi: " + f)
    print("openapi: %d operations checked, %d failures" % (len(called), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
