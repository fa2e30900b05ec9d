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
names = {"type": "array", "items": {"type": "string"}}
applicant = {"type": "object", "properties": {"kind": {"enum": ["person", "company"]}, "id": {"type": "string"}, "name": {"type": "string"}}}
app_props = {"applicant": applicant, "form": {"type": "object"}, "materials": names, "channel": {"enum": ["online", "hall"]}, "officer": officer}
item_status = ["needs_supplement", "in_progress", "returned", "suspended", "approved", "denied", "closed", "withdrawn", "received", "refused", "checking", "revoked"]
chain_status = ["needs_supplement", "in_progress", "returned", "suspended", "approved", "denied", "closed", "withdrawn"]
item_cases = {"type": "array", "description": "the item cases the event opened, reached (a supplement) or closed, each with its status then", "items": {"type": "object", "required": ["item", "case", "status"], "properties": {"item": {"type": "string"}, "case": {"type": "string"}, "status": {"type": "string"}}}}
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
  "/v1/assess": {"post": op("Assess an application", "What the application needs (the one-time notice), nothing stored; of a chain (一件事) the combined notice, of one stage with stage. Scopes: portal, department, window, supervisor.", {"200": js(ref("Assessment"), "the assessment"), **errs(400, 401, 403, 404, 422, 503)}, body=ref("Application"))},
  "/v1/cases": {
    "post": keyed(op("Submit an application", "Creates a case owned by the client: an item case, or with chain a chain case (一件事), which opens the item cases of its first stages. Scopes: portal, department, window.", {"201": js(ref("Case"), "the case; Location names it"), **errs(400, 401, 403, 404, 413, 422, 503)}, body=ref("Submission"))),
    "get": op("List cases, a page at a time", "Supervisor and admin: every case; department and window: their department's. ID numbers masked. A chain case's entry has chain where an item case's has item, and its running stages as current.", {"200": js(ref("CaseList"), "a page"), **errs(400, 401, 403, 422, 503)},
              params=[q("status", "a case status"), q("item", "an item's name"), q("chain", "a chain's name: its chain cases (not with item)"), q("department", "a department"), q("applicant", "an ID number or credit code"), q("limit", "1..1000", {"type": "integer"}), q("after", "the next of the page before")])},
  "/v1/cases/{id}": {"get": op("A case with its history", "The owner sees it whole; a department with a step of it and supervisors see it with ID numbers masked. A chain case (kind chain) has its stages, each item's case, status, current steps and due date, and the chain's history.", {"200": js(ref("CaseWithHistory"), "the case"), **errs(400, 401, 403, 404, 503)}, params=[p("id", "the case number")])},
  "/v1/cases/{id}/{op}": {"post": keyed(op("Act on a case", "op is supplement or withdraw (the owner), act, suspend, resume, deliver, accept, refuse, extend, procedure_start, procedure_end or pledge_check (a department or window with a step of the case; act only on its own steps). act needs officer {id, name}; client and officer are recorded in the event. On a chain case (一件事) only supplement and withdraw, which reach its open item cases; the others are for its item cases (422), and an item case of a chain is not withdrawn alone (422).",
        {"200": js(ref("Case"), "the case after the operation"), **errs(400, 401, 403, 404, 409, 413, 422, 503)}, body=ref("CaseOperation"),
        params=[p("id", "the case number"), {"name": "op", "in": "path", "required": True, "schema": {"type": "string", "enum": ["supplement", "withdraw", "act", "suspend", "resume", "deliver", "accept", "refuse", "extend", "procedure_start", "procedure_end", "pledge_check"]}}]))},
  "/v1/overdue": {"get": op("Cases and steps past their due date", "Supervisor and admin. A chain case is listed when it is past its due date (overdue) or a running stage is past its within (stages).", {"200": js(ref("Overdue"), "a page"), **errs(400, 401, 403, 422, 503)}, params=[q("limit", "1..1000", {"type": "integer"}), q("after", "the next of the page before")])},
  "/v1/events": {"get": op("The event feed (long poll)", "Events after the cursor in the order they were recorded; with wait=S an empty answer waits up to S seconds (at most --poll-max) for one. A portal sees its own cases, a department the cases at its steps. A chain case's events (submit, supplement, item, withdraw) name the chain in chain instead of an item.", {"200": js(ref("Events"), "a page of the feed"), **errs(400, 401, 403, 422, 503)},
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
   "Application": {"description": "an application for an item (item) or a chain (一件事, chain: docs/engine.md §13), never both; stage (a chain's stage: its notice only) is for POST /v1/assess, which needs no applicant", "oneOf": [ref("ItemApplication"), ref("ChainApplication")]},
   "ItemApplication": {"type": "object", "required": ["item"], "additionalProperties": False, "properties": {"item": {"type": "string"}, **app_props}},
   "ChainApplication": {"type": "object", "required": ["chain"], "additionalProperties": False, "properties": {"chain": {"type": "string", "description": "a chain's name (一件事)"}, "stage": {"type": "string", "description": "assess only: the notice of this stage alone"}, **app_props}},
   "Submission": {"description": "POST /v1/cases: an application with its applicant; a chain's channel is hall unless given", "allOf": [ref("Application"), {"type": "object", "required": ["applicant"], "not": {"required": ["stage"]}}]},
   "CaseOperation": {"type": "object", "properties": {"step": {"type": "string"}, "action": {"enum": ["approve", "return", "deny"]}, "reason": {"type": "string"}, "method": {"enum": ["window", "post", "electronic"]},
       "materials": {"type": "array", "items": {"type": "string"}}, "form": {"type": "object"}, "officer": officer}},
   "Assessment": {"description": "an item's assessment (item) or a chain's combined notice (chain, docs/engine.md §13.2)", "oneOf": [ref("ItemAssessment"), ref("ChainAssessment")]},
   "ItemAssessment": {"type": "object", "required": ["item", "complete", "materials", "missing", "notice"], "properties": {
       "item": {"type": "string"}, "complete": {"type": "boolean"}, "materials": {"type": "array", "items": {"type": "object"}}, "missing": {"type": "array"}, "notice": {"type": "array"}, "due": {"type": "string"}}},
   "ChainAssessment": {"type": "object", "required": ["chain", "label", "stage", "complete", "materials", "missing", "deferred", "provided", "shared", "reused", "from_chain", "form_errors", "stages", "critical_path", "critical_days", "max_trips", "items_not_required", "total_limit", "notice"], "properties": {
       "chain": {"type": "string"}, "label": {"type": "string"}, "stage": {**nstr, "description": "the stage assessed; null: the whole chain"}, "complete": {"type": "boolean", "description": "nothing the first stages need is missing and the form has no error"},
       "materials": {"type": "array", "items": {"type": "object", "required": ["material", "status", "items"], "properties": {"material": {"type": "string"}, "label": {"type": "string"}, "status": {"enum": ["provided", "shared", "reused", "from_chain", "missing", "deferred", "optional"]}, "issued_by": {"type": "string", "description": "from_chain: the earlier item that issues it"},
           "items": {"type": "array", "items": {"type": "object", "required": ["item", "stage", "reason"], "properties": {"item": {"type": "string"}, "stage": {"type": "string"}, "reason": {"type": "string"}}}}}}},
       **{k: names for k in ("missing", "deferred", "provided", "shared", "reused", "from_chain", "items_not_required")}, "form_errors": {"type": "array"},
       "stages": {"type": "array", "items": {"type": "object", "required": ["stage", "items"], "properties": {"stage": {"type": "string"}, "label": {"type": "string"}, "department": nstr, "days": {"type": "integer"}, "within": {"type": ["integer", "null"]}, "items": names}}},
       "critical_path": names, "critical_days": {"type": "integer"}, "max_trips": {"type": "integer"}, "total_limit": {"type": ["integer", "null"]}, "notice": {"type": "array", "items": {"type": "string"}}, "due": {"type": "string", "description": "when complete: the chain's due date if accepted now"}}},
   "Step": {"type": "object", "required": ["step", "department", "due"], "properties": {"step": {"type": "string"}, "label": {"type": "string"}, "department": {"type": "string"}, "window": nstr, "due": nstr, "started_at": nstr, "state": {"enum": ["waiting", "active", "done"]}, "finished_at": nstr}},
   "Case": {"description": "an item case, or a chain case (kind chain, 一件事): the case's snapshot as the store keeps it. An item case has no kind; one a chain opened names its chain case in chain", "oneOf": [ref("ItemCase"), ref("ChainCase")]},
   "ItemCase": {"type": "object", "required": ["id", "item", "rules", "status", "current", "steps", "due", "events"], "not": {"required": ["kind"]}, "properties": {
       "id": {"type": "string"}, "item": {"type": "string"}, "item_label": {"type": "string"}, "chain": {"type": "string", "description": "an item case a chain opened: its chain case"}, "rules": {"type": "string"},
       "status": {"enum": item_status},
       "applicant": applicant,
       "current": {"type": "array", "items": ref("Step")}, "steps": {"type": "array", "items": ref("Step")}, "due": nstr, "events": {"type": "integer"}, "notice": {"type": ["object", "null"]},
       "warnings": {"type": "array", "description": "the time sweep's warnings, once there is one", "items": ref("Warning")}}},
   "ChainCase": {"type": "object", "required": ["id", "kind", "chain", "rules", "status", "applicant", "form", "materials", "current", "stages", "submitted_at", "accepted_at", "decided_at", "closed_at", "due", "total_limit", "critical_days", "trips", "max_trips", "notice", "note", "events"], "properties": {
       "id": {"type": "string"}, "kind": {"const": "chain"}, "chain": {"type": "string"}, "chain_label": {"type": "string"}, "rules": {"type": "string"},
       "status": {"enum": chain_status, "description": "follows its items (docs/engine.md §13.3)"},
       "applicant": applicant, "form": {"type": "object"}, "materials": {"type": "object", "additionalProperties": {"type": "string"}, "description": "what the chain holds, by material: provided, shared, reused, deferred"},
       "current": {"type": "array", "description": "the running stages", "items": {"type": "object", "required": ["stage", "department", "started_at", "due"], "properties": {"stage": {"type": "string"}, "department": nstr, "started_at": nstr, "due": nstr}}},
       "stages": {"type": "array", "items": ref("ChainStage")},
       "submitted_at": {"type": "string"}, "accepted_at": nstr, "decided_at": nstr, "closed_at": nstr, "due": nstr, "total_limit": {"type": ["integer", "null"]}, "critical_days": {"type": "integer"},
       "trips": {"type": "integer", "description": "the applicant's visits: to the chain's window and those its item cases needed"}, "max_trips": {"type": "integer"},
       "notice": {"description": "the chain's combined notice", "oneOf": [ref("ChainAssessment"), {"type": "null"}]}, "note": {**nstr, "description": "why it stopped: a denied item's reason, a refusal's written reasons"}, "events": {"type": "integer"}}},
   "ChainStage": {"type": "object", "required": ["stage", "state", "department", "started_at", "finished_at", "due", "items"], "properties": {
       "stage": {"type": "string"}, "label": {"type": "string"}, "state": {"enum": ["waiting", "active", "done", "stopped"], "description": "stopped: running when the chain was denied or withdrawn"}, "department": {**nstr, "description": "the stage's lead department"},
       "started_at": nstr, "finished_at": nstr, "due": nstr,
       "items": {"type": "array", "items": {"type": "object", "required": ["item", "case", "status"], "properties": {
           "item": {"type": "string"}, "label": {"type": "string"}, "case": {**nstr, "description": "its item case, once opened"},
           "status": {"enum": item_status + ["not_opened", "not_required"], "description": "its case's status; not_opened (its stage or the items it waits for are not done), not_required (its when does not hold)"},
           "not_needed": {"const": True, "description": "closed because the chain stopped"},
           "current": {"type": "array", "items": ref("Step"), "description": "GET /v1/cases/{id} only: its case's current steps"}, "due": {**nstr, "description": "GET /v1/cases/{id} only: its case's due date"}}}}}},
   "CaseWithHistory": {"description": "an item case or a chain case (kind chain) with its history", "oneOf": [ref("ItemCaseWithHistory"), ref("ChainCaseWithHistory")]},
   "ItemCaseWithHistory": {"allOf": [ref("ItemCase"), {"type": "object", "required": ["history"], "properties": {"history": {"type": "array", "items": {"type": "object", "required": ["op", "at"], "properties": {"op": {"type": "string"}, "at": {"type": "string"}, "client": {"type": "string"}, "officer": officer}}}}}]},
   "ChainCaseWithHistory": {"allOf": [ref("ChainCase"), {"type": "object", "required": ["history"], "properties": {"history": {"type": "array", "items": ref("ChainEvent")}}}]},
   "ChainEvent": {"type": "object", "required": ["op", "at", "actor"], "description": "an event of a chain case: submit and supplement (the chain assessed again), item (one of its item cases changed status), withdraw", "properties": {
       "op": {"enum": ["submit", "supplement", "item", "withdraw"]}, "at": {"type": "string"}, "actor": nstr, "client": {"type": "string"}, "officer": officer,
       "channel": {"enum": ["online", "hall"]}, "form": {"type": "object"}, "have": {"type": "object"}, "complete": {"type": "boolean"}, "notice": ref("ChainAssessment"), "applicant": applicant, "reason": {"type": "string"},
       "item": {"type": "string", "description": "op item: the item"}, "case": {"type": "string", "description": "op item: its case"}, "status": {"type": "string", "description": "op item: its case's status now"}, "trips": {"type": "integer"},
       "opened": item_cases, "reached": item_cases, "closed": item_cases}},
   "CaseList": {"type": "object", "required": ["cases"], "properties": {"cases": {"type": "array", "items": {"oneOf": [ref("ItemCaseEntry"), ref("ChainCaseEntry")]}}, "next": {"type": "string"}}},
   "ItemCaseEntry": {"type": "object", "required": ["id", "item", "status", "current"], "properties": {"id": {"type": "string"}, "item": {"type": "string"}, "status": {"type": "string"}, "applicant": {"type": "string"}, "applicant_id": {"type": "string"}, "due": nstr, "current": {"type": "array", "items": {"type": "string"}, "description": "its current steps"}}},
   "ChainCaseEntry": {"type": "object", "required": ["id", "chain", "status", "current"], "properties": {"id": {"type": "string"}, "chain": {"type": "string"}, "status": {"type": "string"}, "applicant": {"type": "string"}, "applicant_id": {"type": "string"}, "due": nstr, "current": {"type": "array", "items": {"type": "string"}, "description": "its running stages"}}},
   "Overdue": {"type": "object", "required": ["at", "cases"], "properties": {"at": {"type": "string"}, "cases": {"type": "array", "items": {"oneOf": [ref("ItemOverdue"), ref("ChainOverdue")]}}, "next": {"type": "string"}}},
   "ItemOverdue": {"type": "object", "required": ["id", "item", "overdue", "steps"], "properties": {"id": {"type": "string"}, "item": {"type": "string"}, "due": nstr, "overdue": {"type": "boolean"}, "passed": names, "steps": {"type": "array", "items": {"type": "object", "required": ["step", "department", "due"]}}, "deferred": {"type": "array"}}},
   "ChainOverdue": {"type": "object", "required": ["id", "chain", "due", "overdue", "stages"], "description": "a chain past its due date (overdue true) or with a running stage past its within (stages)", "properties": {"id": {"type": "string"}, "chain": {"type": "string"}, "due": nstr, "overdue": {"type": "boolean"},
       "stages": {"type": "array", "items": {"type": "object", "required": ["stage", "department", "due"], "properties": {"stage": {"type": "string"}, "department": nstr, "due": {"type": "string"}}}}}},
   "Events": {"type": "object", "required": ["events", "next"], "properties": {"next": {"type": "string"}, "events": {"type": "array", "items": {"oneOf": [ref("ItemFeedEvent"), ref("ChainFeedEvent")]}}}},
   "ChainFeedEvent": {"type": "object", "required": ["cursor", "case", "seq", "at", "op", "actor", "chain", "status"], "not": {"required": ["item"]}, "description": "an event of a chain case (一件事): the chain, where an item case's event has its item", "properties": {
       "cursor": {"type": "string"}, "case": {"type": "string"}, "seq": {"type": "integer"}, "at": {"type": "string"}, "op": {"enum": ["submit", "supplement", "item", "withdraw"]}, "actor": nstr, "chain": {"type": "string"}, "status": {"enum": chain_status}}},
   "ItemFeedEvent": {"type": "object", "required": ["cursor", "case", "seq", "at", "op", "item", "status"], "not": {"required": ["chain"]}, "properties": {
       "cursor": {"type": "string"}, "case": {"type": "string"}, "seq": {"type": "integer"}, "at": {"type": "string"}, "op": {"type": "string"}, "actor": nstr, "item": {"type": "string", "pattern": "^[^:]*$"}, "status": {"type": "string"},
       "warning": {"description": "op warn only: the time sweep's warning (电子监察 预警)", **ref("Warning")}}},
   "Warning": {"type": "object", "required": ["level", "target", "due"], "properties": {"level": {"enum": ["yellow", "red"]}, "target": {"enum": ["case", "legal", "step", "acceptance", "deferred", "pledge_check", "procedure", "step_legal"]}, "due": {"type": "string"}, "at": {"type": "string"}, "department": {"type": "string"}, "step": {"type": "string"}, "material": {"type": "string"}, "procedure": {"type": "string"}}},
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
       "level": {"enum": ["yellow", "red"], "description": "op warn: the time sweep's warning"}, "target": {"enum": ["case", "legal", "step", "acceptance", "deferred", "pledge_check", "procedure", "step_legal"], "description": "op warn: of what deadline"}, "due": {"type": "string", "description": "op warn: its day"}, "step": {"type": "string"}, "material": {"type": "string"}, "procedure": {"type": "string"}}}},
  }}}
if __name__ == "__main__":
    print(json.dumps(doc, ensure_ascii=False, indent=1))
