#!/usr/bin/env python3
"""Writes tools/serve/pages/openapi.json, the OpenAPI 3.1 document of
`onetrip serve` (compiled into the binary, served at /v1/openapi.json).
Run it after changing a route:  python3 tools/serve/openapi.py > tools/serve/pages/openapi.json
The test http_openapi checks the file is what this writes, and every
route's real answers against it."""
import json
def ref(n): return {"$ref": "#/components/schemas/" + n}
def js(schema, desc): return {"description": desc, "content": {"application/json": {"schema": schema}}}
PROB = {"description": "a problem (RFC 9457)", "content": {"application/problem+json": {"schema": ref("Problem")}}}
def errs(*codes):
    return {str(c): {"$ref": "#/components/responses/Problem"} for c in codes}
def op(summary, desc, responses, security=True, body=None, params=None, tag=None):
    o = {"summary": summary, "description": desc, "responses": responses}
    if not security: o["security"] = []
    if body: o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params: o["parameters"] = params
    return o
def keyed(o):
    """A write: the Idempotency-Key header besides its other parameters."""
    o = dict(o)
    o["parameters"] = o.get("parameters", []) + [idem]
    return o
def q(name, desc, schema=None): return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema or {"type": "string"}}
def p(name, desc): return {"name": name, "in": "path", "required": True, "description": desc, "schema": {"type": "string"}}
idem = {"name": "Idempotency-Key", "in": "header", "required": False, "description": "a retry with the same key answers the first answer (kept --key-ttl seconds)", "schema": {"type": "string", "maxLength": 255}}
officer = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
nstr = {"type": ["string", "null"]}
doc = {
 "openapi": "3.1.0",
 "info": {"title": "onetrip serve", "version": "0.1.0",
          "description": "The onetrip rules engine as an HTTP service: docs/service.md. Every error is application/problem+json (RFC 9457) with the engine's status in engine_status."},
 "servers": [{"url": "/"}],
 "security": [{"bearer": []}],
 "paths": {
  "/healthz": {"get": op("Is the process up", "Always 200 while the server runs.", {"200": js(ref("Status"), "up")}, False)},
  "/readyz": {"get": op("Can it answer", "200 when a worker's engine is open on the store.", {"200": js(ref("Status"), "ready"), **errs(503)}, False)},
  "/metrics": {"get": op("Prometheus metrics", "Requests and latency histograms by route and status, cases by status, overdue steps and cases.", {"200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}}, False)},
  "/v1/openapi.json": {"get": op("This document", "", {"200": js({"type": "object"}, "OpenAPI 3.1")}, False)},
  "/v1/assess": {"post": op("Assess an application", "What the application needs (the one-time notice), nothing stored. Scopes: portal, department, window, supervisor.", {"200": js(ref("Assessment"), "the assessment"), **errs(400, 401, 403, 404, 422, 503)}, body=ref("Application"))},
  "/v1/cases": {
    "post": keyed(op("Submit an application", "Creates a case owned by the client. Scopes: portal, department, window.", {"201": js(ref("Case"), "the case; Location names it"), **errs(400, 401, 403, 404, 413, 422, 503)}, body=ref("Application"))),
    "get": op("List cases, a page at a time", "Supervisor and admin: every case; department and window: their department's. ID numbers masked.", {"200": js(ref("CaseList"), "a page"), **errs(400, 401, 403, 422, 503)},
              params=[q("status", "a case status"), q("item", "an item's name"), q("department", "a department"), q("applicant", "an ID number or credit code"), q("limit", "1..1000", {"type": "integer"}), q("after", "the next of the page before")])},
  "/v1/cases/{id}": {"get": op("A case with its history", "The owner sees it whole; a department with a step of it and supervisors see it with ID numbers masked.", {"200": js(ref("CaseWithHistory"), "the case"), **errs(400, 401, 403, 404, 503)}, params=[p("id", "the case number")])},
  "/v1/cases/{id}/{op}": {"post": keyed(op("Act on a case", "op is supplement or withdraw (the owner), act, suspend, resume, deliver, accept, refuse, extend, procedure_start, procedure_end or pledge_check (a department or window with a step of the case; act only on its own steps). act needs officer {id, name}; client and officer are recorded in the event.",
        {"200": js(ref("Case"), "the case after the operation"), **errs(400, 401, 403, 404, 409, 413, 422, 503)}, body=ref("CaseOperation"),
        params=[p("id", "the case number"), {"name": "op", "in": "path", "required": True, "schema": {"type": "string", "enum": ["supplement", "withdraw", "act", "suspend", "resume", "deliver", "accept", "refuse", "extend", "procedure_start", "procedure_end", "pledge_check"]}}]))},
  "/v1/overdue": {"get": op("Cases and steps past their due date", "Supervisor and admin.", {"200": js(ref("Overdue"), "a page"), **errs(400, 401, 403, 422, 503)}, params=[q("limit", "1..1000", {"type": "integer"}), q("after", "the next of the page before")])},
  "/v1/events": {"get": op("The event feed (long poll)", "Events after the cursor in the order they were recorded; with wait=S an empty answer waits up to S seconds (at most --poll-max) for one. A portal sees its own cases, a department the cases at its steps.", {"200": js(ref("Events"), "a page of the feed"), **errs(400, 401, 403, 422, 503)},
        params=[q("after", "a cursor: the next of the page before (0: from the start)"), q("wait", "seconds to wait when there is nothing yet", {"type": "integer"}), q("limit", "1..1000", {"type": "integer"})])},
  "/v1/items": {"get": op("The items of the rule base", "", {"200": js(ref("Items"), "every item"), **errs(503)}, False)},
  "/v1/items/{name}": {"get": op("One item", "", {"200": js(ref("Item"), "the item"), **errs(400, 404, 503)}, False, params=[p("name", "the item's name")])},
  "/v1/licences": {"post": op("Import licences into the licence library", "Admin.", {"200": js({"type": "object"}, "what was imported"), **errs(400, 401, 403, 422, 503)}, body={"type": "object", "required": ["licences"], "properties": {"licences": {"type": "array", "items": {"type": "object"}}}})},
  "/v1/licences/{holder}": {"get": op("A holder's licences", "Supervisor and admin; ID numbers masked.", {"200": js(ref("Licences"), "the licences"), **errs(400, 401, 403, 422, 503)}, params=[p("holder", "an ID number or credit code")])},
  "/v1/lookup": {"post": op("The applicant's status page (办件查询)", "No token: the case number and the applicant's ID number together. The same answer for a wrong ID number as for no such case. Failed lookups are counted: after 5 within 15 minutes of one case number or one ID number, its lookups are refused with 429 and Retry-After until the 15 minutes end.", {"200": js(ref("Lookup"), "the status: of an item case its steps, of a chain case its stages and their items"), **errs(400, 404, 422, 429, 503)}, False,
        body={"type": "object", "required": ["case", "id_no"], "properties": {"case": {"type": "string"}, "id_no": {"type": "string"}}})},
  "/v1/admin/store-check": {"get": op("Is the store sound", "Admin. The engine's store check (onetrip store check): SQLite's integrity check, every case replayed against its snapshot. Reads the whole store.", {"200": js({"type": "object", "required": ["sound", "schema", "cases", "events", "problems"], "properties": {"sound": {"type": "boolean"}, "schema": {"type": "integer"}, "cases": {"type": "integer"}, "events": {"type": "integer"}, "problems": {"type": "array"}}}, "the report"), **errs(401, 403, 503)})},
  "/v1/admin/reload": {"post": op("Reload the rules and the clients", "Admin (or SIGHUP). New cases use the new version, running cases keep theirs; requests in flight finish.", {"200": js({"type": "object", "required": ["reloaded", "rules"], "properties": {"reloaded": {"const": "ok"}, "rules": {"type": "string"}}}, "reloaded"), **errs(401, 403, 422)})},
 },
 "components": {
  "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a client's token; the clients file keeps its SHA-256"}},
  "responses": {"Problem": PROB},
  "schemas": {
   "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
       "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
       "engine_status": {"type": "string", "enum": ["OT_ERULES", "OT_EIO", "OT_ENOMEM", "OT_EINVAL", "OT_ENOTFOUND", "OT_ESTATE", "OT_EACTOR", "OT_ESTORE", "OT_EHOOK"]}}},
   "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
   "Application": {"type": "object", "required": ["item"], "properties": {
       "item": {"type": "string"}, "applicant": {"type": "object", "properties": {"kind": {"enum": ["person", "company"]}, "id": {"type": "string"}, "name": {"type": "string"}}},
       "form": {"type": "object"}, "materials": {"type": "array", "items": {"type": "string"}}, "channel": {"enum": ["online", "hall"]}, "officer": officer}},
   "CaseOperation": {"type": "object", "properties": {"step": {"type": "string"}, "action": {"enum": ["approve", "return", "deny"]}, "reason": {"type": "string"}, "method": {"enum": ["window", "post", "electronic"]},
       "materials": {"type": "array", "items": {"type": "string"}}, "form": {"type": "object"}, "officer": officer}},
   "Assessment": {"type": "object", "required": ["item", "complete", "materials", "missing", "notice"], "properties": {
       "item": {"type": "string"}, "complete": {"type": "boolean"}, "materials": {"type": "array", "items": {"type": "object"}}, "missing": {"type": "array"}, "notice": {"type": "array"}, "due": {"type": "string"}}},
   "Step": {"type": "object", "required": ["step", "department", "due"], "properties": {"step": {"type": "string"}, "label": {"type": "string"}, "department": {"type": "string"}, "window": nstr, "due": nstr, "started_at": nstr, "state": {"enum": ["waiting", "active", "done"]}, "finished_at": nstr}},
   "Case": {"type": "object", "required": ["id", "item", "rules", "status", "current", "steps", "due", "events"], "properties": {
       "id": {"type": "string"}, "item": {"type": "string"}, "rules": {"type": "string"},
       "status": {"enum": ["needs_supplement", "in_progress", "returned", "suspended", "approved", "denied", "closed", "withdrawn", "received", "refused", "checking", "revoked"]},
       "applicant": {"type": "object", "properties": {"kind": {"type": "string"}, "id": {"type": "string"}, "name": {"type": "string"}}},
       "current": {"type": "array", "items": ref("Step")}, "steps": {"type": "array", "items": ref("Step")}, "due": nstr, "events": {"type": "integer"}, "notice": {"type": ["object", "null"]},
       "warnings": {"type": "array", "description": "the time sweep's warnings, once there is one", "items": ref("Warning")}}},
   "CaseWithHistory": {"allOf": [ref("Case"), {"type": "object", "required": ["history"], "properties": {"history": {"type": "array", "items": {"type": "object", "required": ["op", "at"], "properties": {"op": {"type": "string"}, "at": {"type": "string"}, "client": {"type": "string"}, "officer": officer}}}}}]},
   "CaseList": {"type": "object", "required": ["cases"], "properties": {"cases": {"type": "array", "items": {"type": "object", "required": ["id", "item", "status", "current"], "properties": {"id": {"type": "string"}, "item": {"type": "string"}, "status": {"type": "string"}, "applicant": {"type": "string"}, "applicant_id": {"type": "string"}, "due": nstr, "current": {"type": "array", "items": {"type": "string"}}}}}, "next": {"type": "string"}}},
   "Overdue": {"type": "object", "required": ["at", "cases"], "properties": {"at": {"type": "string"}, "cases": {"type": "array", "items": {"type": "object", "required": ["id", "item", "overdue", "steps"]}}, "next": {"type": "string"}}},
   "Events": {"type": "object", "required": ["events", "next"], "properties": {"next": {"type": "string"}, "events": {"type": "array", "items": {"type": "object", "required": ["cursor", "case", "seq", "at", "op", "item", "status"], "properties": {
       "cursor": {"type": "string"}, "case": {"type": "string"}, "seq": {"type": "integer"}, "at": {"type": "string"}, "op": {"type": "string"}, "actor": nstr, "item": {"type": "string"}, "status": {"type": "string"},
       "warning": {"description": "op warn only: the time sweep's warning (电子监察 预警)", **ref("Warning")}}}}}},
   "Warning": {"type": "object", "required": ["level", "target", "due"], "properties": {"level": {"enum": ["yellow", "red"]}, "target": {"enum": ["case", "legal", "step", "acceptance", "deferred", "pledge_check", "procedure"]}, "due": {"type": "string"}, "at": {"type": "string"}, "department": {"type": "string"}, "step": {"type": "string"}, "material": {"type": "string"}, "procedure": {"type": "string"}}},
   "Item": {"type": "object", "required": ["name", "label", "department", "steps", "materials"], "properties": {"name": {"type": "string"}, "label": {"type": "string"}, "department": {"type": "string"}, "steps": {"type": "array"}, "materials": {"type": "array"}}},
   "Items": {"type": "object", "required": ["rules", "items"], "properties": {"rules": {"type": "string"}, "items": {"type": "array", "items": ref("Item")}}},
   "Licences": {"type": "object", "required": ["holder", "licences"], "properties": {"holder": {"type": "string"}, "licences": {"type": "array", "items": {"type": "object", "required": ["material", "number"]}}}},
   "Lookup": {"description": "an item case's status (kind item) or a chain case's (kind chain, 一件事); ID numbers masked", "oneOf": [ref("ItemLookup"), ref("ChainLookup")]},
   "ItemLookup": {"type": "object", "required": ["kind", "id", "item", "status", "steps", "history"], "properties": {"kind": {"const": "item"}, "id": {"type": "string"}, "item": {"type": "string"}, "item_label": {"type": "string"}, "status": {"type": "string"}, "due": nstr, "note": nstr, "applicant_id": {"type": "string"}, "steps": {"type": "array", "items": {"type": "object", "required": ["step", "state"], "properties": {"step": {"type": "string"}, "label": {"type": "string"}, "state": {"type": "string"}, "due": nstr, "finished_at": nstr}}}, "history": ref("LookupHistory"), "notice": {"type": ["object", "null"]}}},
   "ChainLookup": {"type": "object", "required": ["kind", "id", "chain", "status", "stages", "history"], "properties": {"kind": {"const": "chain"}, "id": {"type": "string"}, "chain": {"type": "string"}, "chain_label": {"type": "string"}, "status": {"type": "string"}, "due": nstr, "note": nstr, "applicant_id": {"type": "string"},
       "stages": {"type": "array", "items": {"type": "object", "required": ["stage", "state", "items"], "properties": {"stage": {"type": "string"}, "label": {"type": "string"}, "state": {"enum": ["waiting", "active", "done", "stopped"]}, "started_at": nstr, "finished_at": nstr, "due": nstr,
           "items": {"type": "array", "items": {"type": "object", "required": ["item", "case", "status"], "properties": {"item": {"type": "string"}, "label": {"type": "string"}, "case": nstr, "status": {"type": "string", "description": "its case's status, or not_opened, not_required"}, "due": nstr, "not_needed": {"type": "boolean"}}}}}}},
       "history": ref("LookupHistory"), "notice": {"type": ["object", "null"]}}},
   "LookupHistory": {"type": "array", "description": "what happened and when, never who nor a reason: an act's action, a chain's item event's item case and its status, the time sweep's warning (op warn: level, target, due and the step, material or procedure)", "items": {"type": "object", "required": ["op", "at"], "properties": {"op": {"type": "string"}, "at": {"type": "string"}, "action": {"enum": ["approve", "return", "deny"]}, "item": {"type": "string", "description": "a chain's item event: the item"}, "case": {"type": "string", "description": "its case"}, "status": {"type": "string", "description": "its case's status"},
       "level": {"enum": ["yellow", "red"], "description": "op warn: the time sweep's warning"}, "target": {"enum": ["case", "legal", "step", "acceptance", "deferred", "pledge_check", "procedure"], "description": "op warn: of what deadline"}, "due": {"type": "string", "description": "op warn: its day"}, "step": {"type": "string"}, "material": {"type": "string"}, "procedure": {"type": "string"}}}},
  }}}
if __name__ == "__main__":
    print(json.dumps(doc, ensure_ascii=False, indent=1))
