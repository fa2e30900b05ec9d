#!/usr/bin/env python3
"""Does a block of the docs show the output it claims?  (tests/docs_examples.sh)

    docs_output.py json BLOCK OUTPUT     the block is JSON, one value or several
    docs_output.py lines BLOCK OUTPUT    the block is text: lines of output

Exit 0 when the block shows OUTPUT, else 1 with the first difference.

What legitimately varies is the same on both sides: a rule set hash (64 hex
digits, or the 12 after `rule set `) matches any other.

json: BLOCK and OUTPUT are each a sequence of JSON values (one per answer),
as many in one as in the other.  An object of the block shows some of the
fields of the output's, each equal; an array shows all its elements, in
order, unless its last element is `…`: then the elements before it are the
first of the output's.  A `…` among an object's members stands for the
rest (any text up to the closing brace or bracket is the elision's: `[ …
ten events, see §8 … ]`).

lines: a line of the block that begins and ends with `…` (`…`, `… the rest
of the case …`) stands for any number of lines; inside a line, `…` and the
blanks around it stand for any text.  Trailing white space does not count.
"""
import json
import re
import sys

ELLIPSIS = "…"
HASH64 = re.compile(r"\b[0-9a-f]{64}\b")
HASH12 = re.compile(r"(rule set )[0-9a-f]{12}\b")


def normal(text):
    return HASH12.sub(r"\1<hash>", HASH64.sub("<hash>", text))


class Elided:
    """a `…` in a container: the rest of it"""


class Reader:
    """JSON with `…` where an array's or an object's rest is left out"""

    def __init__(self, text):
        self.s, self.i = text, 0
        self.decoder = json.JSONDecoder()

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def fail(self, what):
        line = self.s.count("\n", 0, self.i) + 1
        raise ValueError(f"line {line} of the block: {what}")

    def elision(self, close):
        """`…` and the text after it, up to the container's end"""
        end = self.s.find(close, self.i)
        if end < 0 or any(c in self.s[self.i:end] for c in "[]{}"):
            self.fail(f"'…' must be the last of its container, before '{close}'")
        self.i = end
        return Elided()

    def value(self):
        self.ws()
        if self.s.startswith("[", self.i):
            self.i += 1
            items = []
            while True:
                self.ws()
                if self.s.startswith("]", self.i) and not items:
                    self.i += 1
                    return items
                if self.s.startswith(ELLIPSIS, self.i):
                    items.append(self.elision("]"))
                else:
                    items.append(self.value())
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
                elif self.s.startswith("]", self.i):
                    self.i += 1
                    return items
                else:
                    self.fail("',' or ']' expected")
        if self.s.startswith("{", self.i):
            self.i += 1
            members = {}
            while True:
                self.ws()
                if self.s.startswith("}", self.i) and not members:
                    self.i += 1
                    return members
                if self.s.startswith(ELLIPSIS, self.i):
                    self.elision("}")
                else:
                    key = self.value()
                    if not isinstance(key, str):
                        self.fail("a key is a string")
                    self.ws()
                    if not self.s.startswith(":", self.i):
                        self.fail("':' expected")
                    self.i += 1
                    members[key] = self.value()
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
                elif self.s.startswith("}", self.i):
                    self.i += 1
                    return members
                else:
                    self.fail("',' or '}' expected")
        try:
            v, self.i = self.decoder.raw_decode(self.s, self.i)
        except json.JSONDecodeError as e:
            self.fail(e.msg)
        return v

    def values(self):
        out = []
        self.ws()
        while self.i < len(self.s):
            out.append(self.value())
            self.ws()
        return out


def show(v):
    return json.dumps(v, ensure_ascii=False)[:200]


def differ(want, got, path):
    """the first place where `want` does not show `got`, or None"""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path}: an object is shown, the output has {show(got)}"
        for k, v in want.items():
            if k not in got:
                return f"{path}.{k}: shown, but not in the output"
            d = differ(v, got[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"{path}: an array is shown, the output has {show(got)}"
        cut = bool(want) and isinstance(want[-1], Elided)
        shown = want[:-1] if cut else want
        if len(got) < len(shown) or (not cut and len(got) != len(shown)):
            return f"{path}: {len(shown)}{' or more' if cut else ''} elements shown, the output has {len(got)}"
        for n, v in enumerate(shown):
            d = differ(v, got[n], f"{path}[{n}]")
            if d:
                return d
        return None
    if type(want) is not type(got) and not (isinstance(want, (int, float)) and
                                           isinstance(got, (int, float)) and
                                           not isinstance(want, bool) and not isinstance(got, bool)):
        return f"{path}: shown {show(want)}, the output has {show(got)}"
    if want != got:
        return f"{path}: shown {show(want)}, the output has {show(got)}"
    return None


def compare_json(block, output):
    try:
        want = Reader(normal(block)).values()
    except ValueError as e:
        return f"the block is not JSON: {e}"
    try:
        got = Reader(normal(output)).values()
    except ValueError as e:
        return f"the output is not JSON ({e}):\n{output[:1000]}"
    if len(want) != len(got):
        return f"{len(want)} JSON values shown, the output has {len(got)}:\n{output[:1000]}"
    for n, (w, g) in enumerate(zip(want, got)):
        d = differ(w, g, f"value {n + 1}" if len(want) > 1 else "")
        if d:
            return d.lstrip(".")
    return None


def compare_lines(block, output):
    want = [l.rstrip() for l in normal(block).split("\n")]
    got = [l.rstrip() for l in normal(output).split("\n")]
    while want and not want[-1]:
        want.pop()
    while got and not got[-1]:
        got.pop()

    def pattern(line):
        return re.compile(".*".join(re.escape(p) for p in re.split(r"\s*" + ELLIPSIS + r"\s*", line)) + r"\Z")

    def gap(line):
        s = line.strip()
        return s.startswith(ELLIPSIS) and s.endswith(ELLIPSIS)

    # the block's lines between gaps, each run matched at the first place it
    # fits after the one before; the first and the last hold at the ends
    runs, run = [], []
    for line in want:
        if gap(line):
            runs.append(run)
            run = []
        else:
            run.append(line)
    runs.append(run)
    at = 0
    for n, run in enumerate(runs):
        first, last = n == 0, n == len(runs) - 1
        pats = [pattern(l) for l in run]
        k = at
        while True:
            if k + len(run) > len(got) or (first and k > 0):
                # the longest start of the run that is there, for the message
                best = max((m for j in range(at, len(got) + 1)
                            for m in [next((m for m in range(len(run))
                                            if j + m >= len(got) or not pats[m].match(got[j + m])),
                                           len(run))]), default=0)
                miss = run[min(best, len(run) - 1)] if run else "(the end of the output)"
                return (f"not in the output as shown (after its first {at} lines): {miss}\n"
                        "  the output:\n" + "\n".join("    " + l for l in got[:40]))
            if all(p.match(got[k + m]) for m, p in enumerate(pats)) and \
                    (not last or k + len(run) == len(got)):
                break
            k += 1
        at = k + len(run)
    return None


def main():
    kind, block, output = sys.argv[1:4]
    with open(block, encoding="utf-8") as f:
        b = f.read()
    with open(output, encoding="utf-8", errors="replace") as f:
        o = f.read()
    d = compare_json(b, o) if kind == "json" else compare_lines(b, o)
    if d:
        print("    " + d.replace("\n", "\n    "))
        sys.exit(1)


if __name__ == "__main__":
    main()
