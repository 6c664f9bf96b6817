"""Input points for every correction of a correctionlib file, and their values
according to the Python `correctionlib` (the reference cortado-correction is
compared with, in tests/cross_check.rs).

    python make_points.py FILE OUT.json [--validate]

For each correction the points are:
  * a walk of its node tree: every category key (and an unknown key, to reach
    the default or the refusal), every bin (its middle), every formula leaf
    at a few values of its free variables;
  * at every binning node met on the way: each edge exactly, the doubles just
    below and above it, values below and above the whole range, +-inf and NaN;
  * random combinations of all these values, input by input.
Compound corrections get random combinations of their components' values.

OUT.json: {"corrections": [{"name", "compound", "types", "points", "results"}]}
with real inputs and results as the integer bit pattern of the double (exact,
NaN and infinities included) and a refused point's result as {"error": msg}.
`--validate` also checks the file against correctionlib's pydantic schema.
"""

import gzip
import json
import math
import random
import struct
import sys
import zlib

import correctionlib._core as core

WALK_PER_LEAF = 3
MAX_WALK = 150_000
MAX_EDGE_POINTS = 150_000
RANDOM_POINTS = 2_000
COMPOUND_POINTS = 5_000
GENERIC_REALS = [-1000.0, -2.5, -1.0, 0.0, 0.25, 1.0, 2.0, 10.0, 30.5, 100.0, 1000.0, 5000.0]
UNKNOWN_STRING = "no-such-key"
UNKNOWN_INT = 987654


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def edge_value(e):
    if isinstance(e, str):
        return -math.inf if e.startswith("-") else math.inf
    return float(e)


def axis_edges(edges):
    """The edges of a binning axis as floats (uniform binnings expanded)."""
    if isinstance(edges, dict):
        n, lo, hi = edges["n"], float(edges["low"]), float(edges["high"])
        return [lo + (hi - lo) * i / n for i in range(n + 1)], True
    return [edge_value(e) for e in edges], False


def inside(lo, hi):
    """A value inside [lo, hi), finite."""
    if math.isinf(lo) and math.isinf(hi):
        return 0.0
    if math.isinf(lo):
        return hi - 1.0
    if math.isinf(hi):
        return lo + 1.0
    return lo + (hi - lo) / 2


def around(edges):
    """On, just below and just above every edge, and outside the range."""
    out = []
    for e in edges:
        if math.isfinite(e):
            out += [e, math.nextafter(e, -math.inf), math.nextafter(e, math.inf)]
    lo, hi = edges[0], edges[-1]
    if math.isfinite(lo):
        out.append(lo - 1.0 - abs(lo))
    if math.isfinite(hi):
        out.append(hi + 1.0 + abs(hi))
    return out


class Gen:
    def __init__(self, corr, uniform_inputs, seed):
        self.corr = corr
        self.inputs = [v["name"] for v in corr["inputs"]]
        self.types = {v["name"]: v["type"] for v in corr["inputs"]}
        self.rng = random.Random(seed)
        self.cands = {n: set() for n in self.inputs}
        self.uniform = uniform_inputs
        self.walk = []
        self.edge_points = []

    def add(self, name, values):
        c = self.cands[name]
        for v in values:
            if self.types[name] == "real":
                v = float(v)
                if not math.isfinite(v) and name in self.uniform:
                    continue  # correctionlib's behaviour is undefined there
            elif self.types[name] == "int" and isinstance(v, float):
                if math.isfinite(v):
                    c.update([math.floor(v), math.ceil(v)])
                continue
            c.add(v)

    def collect(self, node):
        """Candidate values of every input, from the whole tree."""
        if not isinstance(node, dict):
            return
        t = node["nodetype"]
        if t in ("binning", "multibinning"):
            names = [node["input"]] if t == "binning" else node["inputs"]
            edge_lists = [node["edges"]] if t == "binning" else node["edges"]
            for name, edges in zip(names, edge_lists):
                es, _ = axis_edges(edges)
                self.add(name, es)
                self.add(name, [inside(a, b) for a, b in zip(es, es[1:])])
                self.add(name, around(es))
                self.add(name, [math.inf, -math.inf, math.nan])
            for c in node["content"]:
                self.collect(c)
            if isinstance(node["flow"], dict):
                self.collect(node["flow"])
        elif t == "category":
            unknown = UNKNOWN_STRING if self.types[node["input"]] == "string" else UNKNOWN_INT
            self.add(node["input"], [it["key"] for it in node["content"]] + [unknown])
            for it in node["content"]:
                self.collect(it["value"])
            if node.get("default") is not None:
                self.collect(node["default"])
        elif t == "formula":
            for v in node["variables"]:
                self.add(v, GENERIC_REALS)
        elif t == "transform":
            self.collect(node["rule"])
            self.collect(node["content"])
        elif t == "hashprng":
            for v in node["inputs"]:
                if self.types[v] == "int":
                    self.add(v, [0, 1, -1, 7, 123456789, -(2**40), 2**62])
                else:
                    self.add(v, [self.rng.uniform(-500, 500) for _ in range(20)] + [0.0, -0.0])

    def fill(self, assign):
        out = []
        for name in self.inputs:
            if name in assign:
                out.append(assign[name])
            else:
                c = self.sorted_cands[name]
                out.append(self.rng.choice(c) if c else self.default_value(name))
        return out

    def allowed(self, name, v):
        """Whether v can be a value of input `name` (finite for an int input,
        and for a real input of a uniform binning)."""
        if math.isfinite(v):
            return True
        return self.types[name] == "real" and name not in self.uniform

    def typed(self, name, v):
        """v as the input's type (an int input gets the integer below v)."""
        return math.floor(v) if self.types[name] == "int" else v

    def default_value(self, name):
        return {"real": 1.0, "int": 0, "string": "x"}[self.types[name]]

    def walk_node(self, node, assign):
        if len(self.walk) > MAX_WALK * 2:
            return
        if not isinstance(node, dict):
            self.walk.append(self.fill(assign))
            return
        t = node["nodetype"]
        if t in ("binning", "multibinning"):
            self.walk_binning(node, assign, t)
        elif t == "category":
            name = node["input"]
            for it in node["content"]:
                self.walk_node(it["value"], {**assign, name: it["key"]})
            unknown = UNKNOWN_STRING if self.types[name] == "string" else UNKNOWN_INT
            if node.get("default") is not None:
                self.walk_node(node["default"], {**assign, name: unknown})
            else:
                self.walk.append(self.fill({**assign, name: unknown}))
        elif t in ("formula", "formularef", "hashprng"):
            for _ in range(WALK_PER_LEAF):
                self.walk.append(self.fill(assign))
        elif t == "transform":
            for _ in range(WALK_PER_LEAF):
                self.walk.append(self.fill(assign))
            self.walk_node(node["rule"], assign)
            self.walk_node(node["content"], assign)

    def walk_binning(self, node, assign, t):
        names = [node["input"]] if t == "binning" else node["inputs"]
        edge_lists = [node["edges"]] if t == "binning" else node["edges"]
        axes = [axis_edges(e)[0] for e in edge_lists]
        # On, around and outside the edges of each axis, the others in the middle.
        for d, name in enumerate(names):
            for v in around(axes[d]) + [math.inf, -math.inf, math.nan]:
                if not self.allowed(name, v):
                    continue
                a = dict(assign)
                for k, other in enumerate(names):
                    a[other] = self.typed(other, inside(axes[k][0], axes[k][1]) if k != d else v)
                self.edge_points.append(self.fill(a))
        # Every bin: its middle; then into its content.
        strides, n = [], 1
        for es in reversed(axes):
            strides.insert(0, n)
            n *= len(es) - 1
        for i, content in enumerate(node["content"]):
            a = dict(assign)
            for k, name in enumerate(names):
                j = (i // strides[k]) % (len(axes[k]) - 1)
                a[name] = self.typed(name, inside(axes[k][j], axes[k][j + 1]))
            self.walk_node(content, a)
        if isinstance(node["flow"], dict) or isinstance(node["flow"], (int, float)):
            a = dict(assign)
            for k, name in enumerate(names):
                hi, lo = axes[k][-1], axes[k][0]
                a[name] = self.typed(name, hi + 1.0 + abs(hi) if math.isfinite(hi) else lo - 1.0 - abs(lo))
            self.walk_node(node["flow"], a)

    def points(self):
        self.collect(self.corr["data"])
        for g in self.corr.get("generic_formulas") or []:
            self.collect(g)
        self.sorted_cands = {n: sorted(c, key=repr) for n, c in self.cands.items()}
        self.walk_node(self.corr["data"], {})
        walk = self.sample(self.walk, MAX_WALK)
        edges = self.sample(self.edge_points, MAX_EDGE_POINTS)
        rand = [self.fill({}) for _ in range(RANDOM_POINTS)]
        return walk + edges + rand

    def sample(self, pts, n):
        return pts if len(pts) <= n else self.rng.sample(pts, n)


def uniform_inputs(corr):
    found = set()

    def visit(node):
        if not isinstance(node, dict):
            return
        t = node["nodetype"]
        if t == "binning":
            if isinstance(node["edges"], dict):
                found.add(node["input"])
        elif t == "multibinning":
            for name, e in zip(node["inputs"], node["edges"]):
                if isinstance(e, dict):
                    found.add(name)
        for key in ("content", "flow", "default", "rule"):
            v = node.get(key)
            if isinstance(v, list):
                for c in v:
                    visit(c["value"] if isinstance(c, dict) and "key" in c else c)
            elif isinstance(v, dict):
                visit(v)

    visit(corr["data"])
    return found


def evaluate(ev, types, pts):
    results = []
    for p in pts:
        try:
            results.append(bits(ev.evaluate(*p)))
        except Exception as e:  # a refusal: the message, for the record
            results.append({"error": str(e)})
    enc = [[bits(v) if t == "real" else v for v, t in zip(p, types)] for p in pts]
    return enc, results


def main():
    path, out = sys.argv[1], sys.argv[2]
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    doc = json.load(opener(path, "rt"))
    if "--validate" in sys.argv:
        import correctionlib.schemav2 as s2

        s2.CorrectionSet.model_validate(doc)
    cset = core.CorrectionSet.from_file(path)
    res = []
    gens = {}
    for corr in doc["corrections"]:
        g = Gen(corr, uniform_inputs(corr), zlib.crc32(corr["name"].encode()))
        gens[corr["name"]] = g
        types = [v["type"] for v in corr["inputs"]]
        pts, results = evaluate(cset[corr["name"]], types, g.points())
        res.append({"name": corr["name"], "compound": False, "types": types, "points": pts, "results": results})
    for comp in doc.get("compound_corrections") or []:
        rng = random.Random(zlib.crc32(comp["name"].encode()))
        cands = {v["name"]: set() for v in comp["inputs"]}
        for part in comp["stack"]:
            for name, c in gens[part].sorted_cands.items():
                cands.setdefault(name, set()).update(c)
        types = [v["type"] for v in comp["inputs"]]
        lists = [sorted(cands[v["name"]], key=repr) or [1.0] for v in comp["inputs"]]
        pts = [[rng.choice(c) for c in lists] for _ in range(COMPOUND_POINTS)]
        pts, results = evaluate(cset.compound[comp["name"]], types, pts)
        res.append({"name": comp["name"], "compound": True, "types": types, "points": pts, "results": results})
    with open(out, "w") as f:
        json.dump({"corrections": res}, f)


if __name__ == "__main__":
    main()
