#!/usr/bin/env python3
"""The bundled rule base names, for every item, its legal basis (设定依据, with
the article) and its fee (收费), and for an item a city body carries out, the
capacity it acts in (实施主体性质): issue 11 asks it of every item, and
`onetrip describe` gives them with the rest of each item's guide (办事指南).
Run: rulebase_guides.py ONETRIP RULES"""
import json
import subprocess
import sys

onetrip, rules = sys.argv[1], sys.argv[2]
out = subprocess.run([onetrip, "describe", rules], check=True, capture_output=True, text=True)
described = json.loads(out.stdout)
items = described["items"]
level = {d["name"]: d.get("level") for d in described["departments"]}
problems = []
for it in items:
    guide = it.get("guide") or {}
    bases = guide.get("basis") or []
    if not bases:
        problems.append(f"{it['name']}: no legal basis (guide {{ basis \"LAW\" \"ARTICLE\" }})")
    for b in bases:
        if not b.get("law", "").startswith("《") or not b.get("article"):
            problems.append(f"{it['name']}: basis {b} lacks the law's title in 《》 or the article")
    # a city body is not a district department: the guide says in what
    # capacity it acts (法定, 授权, or 委托 by whom)
    if level.get(it.get("department")) == "city" and not guide.get("body"):
        problems.append(f"{it['name']}: done by a city body, but the guide has no `body`")
    if guide.get("fee") is None:
        problems.append(f"{it['name']}: no fee (guide {{ fee free }} or fee \"AMOUNT\" \"BASIS\")")
if len(items) < 50:
    problems.append(f"only {len(items)} items: the bundled rule base has 53")
for p in problems:
    print(p)
print(f"{len(items)} items, {len(problems)} problems")
sys.exit(1 if problems else 0)
