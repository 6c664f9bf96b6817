#!/usr/bin/env python3
"""ADL benchmark queries (examples/adl): cortado against ROOT RDataFrame, one thread, per query,
on the same file, same machine, same run.

    python3 bench/adl_bench.py FILE [FILE ...] [--repeat 3] [--cortado BIN] [--root-python PY]

FILE: simulated DY NanoAOD (bench/make_inputs.sh: 1.6 M events, LZMA-9 and ZSTD-5).
Per query and file, each a fresh process, page cache warm, median of --repeat:
  cortado   `cortado -j 1 run` of a configuration holding only that query (examples/adl's
            definitions); rate = events / wall time of the whole process (start-up, configuration,
            reading, writing the output).
  RDF       the same query as one RDataFrame event loop (single-threaded, ROOT from PyPI); rate =
            events / event-loop time (RunGraphs: JIT and loop), without `import ROOT` and booking,
            which are reported apart.
Prints the rates, cortado's ratio to RDF's, and whether both filled the same histogram (bins,
underflow, overflow).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "adl")
sys.path.insert(0, HERE)
from analysis_bench import read_through  # noqa: E402

LEPTONS = "    LightLepton: concat(Muon[Muon.pt > 10], Electron[Electron.pt > 10])\n"
# query: (workflow objects/counts/variables it needs, category cut, (collection, field),
#         binning, RDataFrame chain)
QUERIES = {
    "q1_met": ("", "passthrough", ("MET", "pt"), (100, 0, 200),
               lambda df: df.Histo1D(("h", "", 100, 0.0, 200.0), "MET_pt")),
    "q2_jet_pt": ("", "passthrough", ("Jet", "pt"), (100, 15, 60),
                  lambda df: df.Histo1D(("h", "", 100, 15.0, 60.0), "Jet_pt")),
    "q3_central_jet_pt": ("  objects:\n    JetCentral: Jet[abs(Jet.eta) < 1]\n", "passthrough",
                          ("JetCentral", "pt"), (100, 15, 60),
                          lambda df: df.Define("jc", "Jet_pt[abs(Jet_eta) < 1.f]")
                          .Histo1D(("h", "", 100, 15.0, 60.0), "jc")),
    "q4_met_2jets": ("  counts:\n    nJet40: count(Jet[Jet.pt > 40])\n", "'nJet40 >= 2'", ("MET", "pt"),
                     (100, 0, 200),
                     lambda df: df.Filter("Sum(Jet_pt > 40.f) >= 2")
                     .Histo1D(("h", "", 100, 0.0, 200.0), "MET_pt")),
    "q7_ht": ("  objects:\n" + LEPTONS
              + "    JetAway: Jet[(Jet.pt > 30) and delta_r_clean(Jet, LightLepton, 0.4)]\n"
              "  variables:\n    HT: sum(JetAway.pt)\n", "passthrough", ("events", "HT"), (100, 15, 200),
              lambda df: df.Define("ht", "adl::ht(Jet_pt, Jet_eta, Jet_phi, Muon_pt, Muon_eta, Muon_phi,"
                                   " Electron_pt, Electron_eta, Electron_phi)")
              .Histo1D(("h", "", 100, 15.0, 200.0), "ht")),
}

CPP = r'''
#include <ROOT/RVec.hxx>
#include <cmath>
namespace adl {
using ROOT::RVecF;
// coffea's float32 delta R (delta phi wrapped into [-pi, pi))
inline float dr(float e1, float p1, float e2, float p2) {
  double d = double(p1 - p2) + M_PI;
  double m = std::fmod(d, 2 * M_PI); if (m < 0) m += 2 * M_PI;
  float dphi = float(m - M_PI);
  return std::hypot(e1 - e2, dphi);
}
double ht(const RVecF &jpt, const RVecF &jeta, const RVecF &jphi, const RVecF &mpt, const RVecF &meta,
          const RVecF &mphi, const RVecF &ept, const RVecF &eeta, const RVecF &ephi) {
  float s = 0;
  for (size_t i = 0; i < jpt.size(); ++i) {
    if (!(jpt[i] > 30.f)) continue;
    bool away = true;
    for (size_t j = 0; j < mpt.size(); ++j) if (mpt[j] > 10.f && !(dr(jeta[i], jphi[i], meta[j], mphi[j]) > 0.4f)) away = false;
    for (size_t j = 0; j < ept.size(); ++j) if (ept[j] > 10.f && !(dr(jeta[i], jphi[i], eeta[j], ephi[j]) > 0.4f)) away = false;
    if (away) s += jpt[i];
  }
  return s;
}
}
'''

RDF_SCRIPT = r'''
import json, sys, time
t0 = time.perf_counter()
import ROOT
sys.path.insert(0, sys.argv[3])
from adl_bench import QUERIES, CPP
ROOT.gInterpreter.Declare(CPP)
df = ROOT.RDataFrame("Events", sys.argv[1])
h = QUERIES[sys.argv[2]][4](df)
t1 = time.perf_counter()
h.GetValue()
t2 = time.perf_counter()
v = [h.GetBinContent(i) for i in range(h.GetNbinsX() + 2)]
print(json.dumps({"setup": t1 - t0, "loop": t2 - t1, "flow": v}))
'''


def config(query, file):
    workflow, cut, (coll, field), (n, lo, hi) = QUERIES[query][:4]
    fileset = os.path.join(WORK, f"fileset_{os.path.basename(file)}.json")
    with open(fileset, "w") as f:
        json.dump({"DY_2018": {"metadata": {"sample": "DY", "year": "2018", "isMC": "True", "xsec": "1"},
                               "files": [os.path.abspath(file)]}}, f)
    cfg = os.path.join(WORK, f"{query}_{os.path.basename(file)}.yaml")
    with open(cfg, "w") as f:
        f.write(f"datasets:\n  jsons: [{fileset}]\n  filter: {{samples: [DY], samples_exclude: [], year: ['2018']}}\n")
        f.write("workflow:\n" + workflow if workflow else "")
        f.write("skim: []\npreselections: []\n")
        f.write(f"categories:\n  c: [{cut}]\n")
        f.write("weights:\n  common: {inclusive: []}\n  bysample: {}\n"
                "variations:\n  weights:\n    common: {inclusive: []}\n")
        f.write(f"histograms:\n  {query}: {{axes: [{{coll: {coll}, field: {field}, bins: {n}, start: {lo}, stop: {hi}}}]}}\n")
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--root-python", default=os.path.join(HERE, "work/venv-root/bin/python"))
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    rows = []
    for file in a.files:
        info = json.loads(subprocess.run([a.cortado, "inspect", file, "--json"], capture_output=True,
                                         check=True, text=True).stdout)
        events = info["entries"]
        for q in QUERIES:
            cfg = config(q, file)
            out = os.path.join(WORK, "out")
            ct, rl, rs = [], [], []
            for _ in range(a.repeat):
                read_through(file)
                t = time.perf_counter()
                subprocess.run([a.cortado, "-j", "1", "run", "--cfg", cfg, "-o", out, "--overwrite",
                                "--no-progress"], check=True, capture_output=True)
                ct.append(time.perf_counter() - t)
                read_through(file)
                r = subprocess.run([a.root_python, "-W", "ignore", "-c", RDF_SCRIPT, file, q, HERE],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(r.stderr)
                res = json.loads(r.stdout.strip().splitlines()[-1])
                rl.append(res["loop"])
                rs.append(res["setup"])
            d = json.loads(subprocess.run([a.cortado, "dump", out, "--json"], capture_output=True, check=True,
                                          text=True).stdout)
            h = d["histograms"][q]["DY"]["DY_2018"]["c"]["nominal"]
            mine = [h["underflow_sumw"], *h["sumw"], h["overflow_sumw"]]
            same = mine == res["flow"]
            c, l = statistics.median(ct), statistics.median(rl)
            rows.append((os.path.basename(file), q, events / c, events / l, statistics.median(rs), same))
            print(f"  {rows[-1][0]} {q}: cortado {c:.2f} s, RDF loop {l:.2f} s (+{rows[-1][4]:.1f} s setup),"
                  f" same histogram: {same}", flush=True)
    print(f"\nmedian of {a.repeat}, one thread; cortado: whole process; RDF: event loop (JIT included)")
    print(f"{'file':24s} {'query':18s} {'cortado ev/s':>13s} {'RDF ev/s':>11s} {'ratio':>6s}  same")
    for f, q, cr, rr, _, same in rows:
        print(f"{f:24s} {q:18s} {cr:13,.0f} {rr:11,.0f} {cr / rr:6.1f}  {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
