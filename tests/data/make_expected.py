"""Computes tests/data/expected.json with uproot: for every file, every tree and every
branch that holds plain numbers, the number of values, their sum and SHA-256 digests of
the values and of the per-entry counts. The Rust tests read the same files with cortado
and must reproduce every number exactly.

Usage (uproot 5 with awkward, numpy, xxhash, zstandard, lz4 installed):
  python make_expected.py SHARED_DATA_DIR > expected.json
Files are looked up relative to this folder (tests/data) first, then SHARED_DATA_DIR
(../shared/data); the keys are the relative paths.
"""
import hashlib, json, math, os, sys

import awkward as ak
import numpy as np
import uproot

SHIPPED = ["nanoaod/nano_dy.root", "nanoaod/nano_dimuon.root", "nanoaod/pfnano.root",
           "nanoaod/nanoAOD_2015_CMS_Open_Data_ttbar.root",
           "synthetic/dy_small_lzma9.root", "synthetic/dy_small_zstd5.root",
           "synthetic/dy_small_zlib1.root", "synthetic/dy_small_lz4.root",
           "gen/alltypes_zlib.root", "gen/alltypes_lzma.root", "gen/alltypes_zstd.root",
           "gen/alltypes_lz4.root", "gen/alltypes_none.root", "gen/embedded.root", "gen/uproot_zstd.root",
           "gen/uproot_none.root"]
SHARED_ONLY = ["synthetic/dy_2018.root", "synthetic/tt_2018.root", "synthetic/data_2018_SingleMuon.root"]
TREES = ["Events", "Runs", "LuminosityBlocks", "sub/Inner"]


def branch_record(branch):
    interp = branch.interpretation
    if isinstance(interp, uproot.AsJagged):
        inner = interp.content
    elif isinstance(interp, uproot.AsDtype):
        inner = interp
    else:
        return None
    if len(branch.member("fLeaves")) != 1:
        return None
    dt = inner.from_dtype
    if dt.subdtype is not None:
        base = dt.subdtype[0]
    else:
        base = dt
    if base.kind not in "biuf":
        return None
    arr = branch.array(library="ak")
    layout = ak.to_layout(arr)
    flat = np.asarray(ak.flatten(arr, axis=None)).astype(base.newbyteorder("<"))
    n = len(arr)
    if isinstance(interp, uproot.AsJagged) or dt.subdtype is not None:
        counts = np.asarray(ak.num(ak.flatten(arr, axis=None) if False else arr, axis=1)) if isinstance(interp, uproot.AsJagged) else np.full(n, int(np.prod(dt.subdtype[1])))
        if isinstance(interp, uproot.AsJagged) and dt.subdtype is not None:
            counts = counts * int(np.prod(dt.subdtype[1]))
        counts_hash = hashlib.sha256(counts.astype("<u4").tobytes()).hexdigest()
    else:
        counts_hash = None
    if base.kind == "b":
        s = int(np.count_nonzero(flat))
        data = flat.astype("u1").tobytes()
    elif base.kind in "iu":
        s = int(sum(int(x) for x in flat)) if base.itemsize == 8 else int(flat.astype(np.int64).sum())
        data = flat.tobytes()
    else:
        s = math.fsum(flat.astype(np.float64)) if np.all(np.isfinite(flat)) else float(np.sum(flat.astype(np.float64)))
        if not math.isfinite(s):
            s = str(s)  # JSON has no NaN/inf: "nan", "inf", "-inf"
        data = flat.tobytes()
    if isinstance(s, int) and not (-2**63 <= s < 2**64):
        s = str(s)  # beyond what JSON readers keep exact
    return {"dtype": base.name, "count": int(len(flat)), "sum": s,
            "values_sha256": hashlib.sha256(data).hexdigest(), "counts_sha256": counts_hash}


def main(shared):
    here = os.path.dirname(os.path.abspath(__file__))
    out = {"_about": {"tool": "tests/data/make_expected.py", "uproot": uproot.__version__,
                       "awkward": ak.__version__, "numpy": np.__version__}}
    for rel in SHIPPED + SHARED_ONLY:
        path = os.path.join(here, rel)
        if not os.path.exists(path):
            path = os.path.join(shared, rel)
        f = uproot.open(path)
        rec = {"shipped": rel in SHIPPED, "trees": {}}
        for tname in TREES:
            if tname not in f:
                continue
            t = f[tname]
            branches = {}
            unreadable = []
            for b in t.itervalues(recursive=True):
                r = branch_record(b)
                if r is None:
                    unreadable.append(b.name)
                else:
                    branches[b.name] = r
            rec["trees"][tname] = {"entries": int(t.num_entries), "branches": branches, "not_numeric": unreadable}
        out[rel] = rec
        print(rel, file=sys.stderr)
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
