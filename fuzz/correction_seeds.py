"""Seeds for the `correction` fuzz target: the hand-written test files and
the small real CMS files as whole documents, their formulas (0x01 + text)
and their content nodes (0x02 + JSON). Run from fuzz/:
python3 correction_seeds.py seeds/correction"""
import gzip, json, os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
data = "../crates/cortado-correction/tests/data"
real = "../../shared/data/corrections/2018_UL"
docs = [open(os.path.join(data, f), "rb").read() for f in sorted(os.listdir(data)) if f.endswith(".json")]
for f in ["puWeights.json.gz", "met.json.gz", "jmar.json.gz"]:
    p = os.path.join(real, f)
    if os.path.exists(p):
        docs.append(gzip.open(p).read())
n = 0
def write(b):
    global n
    open(os.path.join(out, f"seed{n:04d}"), "wb").write(b)
    n += 1
def nodes(node, found):
    if isinstance(node, dict) and "nodetype" in node:
        found.append(node)
        for k in ("content", "flow", "default", "rule", "value"):
            v = node.get(k)
            for c in v if isinstance(v, list) else [v]:
                nodes(c["value"] if isinstance(c, dict) and "key" in c else c, found)
for d in docs:
    write(d)
    doc = json.loads(d)
    for c in doc["corrections"]:
        found = []
        nodes(c["data"], found)
        for node in found[:40]:
            if node["nodetype"] == "formula":
                write(b"\x01" + node["expression"].encode())
            text = json.dumps(node).encode()
            if len(text) < 4000:
                write(b"\x02" + text)
print(n, "seeds in", out)
