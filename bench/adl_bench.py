#!/usr/bin/env python3
"""ADL benchmark queries (examples/adl): cortado against ROOT RDataFrame, one thread, per query,
on the same file, same machine, same run.

    python3 bench/adl_bench.py FILE [FILE ...] [--repeat 3] [--queries q5_met_zmumu ...]
                               [--cortado BIN] [--root-python PY]

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
TRIJET = ("  objects:\n    Trijet: combinations(Jet, 3, names=[j1, j2, j3])\n"
          "    Trijet.mass: (Trijet.j1 + Trijet.j2 + Trijet.j3).mass\n"
          "    Trijet.pt: (Trijet.j1 + Trijet.j2 + Trijet.j3).pt\n"
          "    Trijet.btag: max(max(Trijet.j1.btagDeepFlavB, Trijet.j2.btagDeepFlavB), Trijet.j3.btagDeepFlavB)\n"
          "    BestTrijet: argmin(Trijet, abs(Trijet.mass - 172.5))\n"
          "  variables:\n    trijet_pt: BestTrijet.pt\n    trijet_btag: BestTrijet.btag\n")
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
    "q5_met_zmumu": ("  objects:\n    MuonPair: combinations(Muon, 2, names=[m1, m2])\n"
                     "    MuonPair.mass: (MuonPair.m1 + MuonPair.m2).mass\n"
                     "    ZToMuMu: MuonPair[(MuonPair.m1.charge != MuonPair.m2.charge) and (60 < MuonPair.mass < 120)]\n",
                     "'count(ZToMuMu) >= 1'", ("MET", "pt"), (100, 0, 200),
                     lambda df: df.Filter("adl::zmumu(Muon_pt, Muon_eta, Muon_phi, Muon_mass, Muon_charge)")
                     .Histo1D(("h", "", 100, 0.0, 200.0), "MET_pt")),
    "q6_trijet_pt": (TRIJET, "'count(Jet) >= 3'", ("events", "trijet_pt"), (100, 15, 300),
                     lambda df: df.Define("v", "adl::trijet(Jet_pt, Jet_eta, Jet_phi, Jet_mass, Jet_btagDeepFlavB, 0)")
                     .Histo1D(("h", "", 100, 15.0, 300.0), "v")),
    "q6_trijet_btag": (TRIJET, "'count(Jet) >= 3'", ("events", "trijet_btag"), (100, 0, 1),
                       lambda df: df.Define("v", "adl::trijet(Jet_pt, Jet_eta, Jet_phi, Jet_mass, Jet_btagDeepFlavB, 1)")
                       .Histo1D(("h", "", 100, 0.0, 1.0), "v")),
    "q8_mt": ("  objects:\n    Muon.flavour: 13\n    Electron.flavour: 11\n    Lepton: concat(Muon, Electron)\n"
              "    Lepton.idx: local_index(Lepton)\n    LeptonPair: combinations(Lepton, 2, names=[l1, l2])\n"
              "    SFOS: LeptonPair[(LeptonPair.l1.flavour == LeptonPair.l2.flavour) and (LeptonPair.l1.charge != LeptonPair.l2.charge)]\n"
              "    SFOS.mass: (SFOS.l1 + SFOS.l2).mass\n    BestSFOS: argmin(SFOS, abs(SFOS.mass - 91.2))\n"
              "    OtherLepton: Lepton[(Lepton.idx != fill_none(BestSFOS.l1.idx, -1)) and (Lepton.idx != fill_none(BestSFOS.l2.idx, -1))]\n"
              "    LeadingOther: argmax(OtherLepton, OtherLepton.pt)\n"
              "  variables:\n    mt_other: mt(LeadingOther, MET)\n",
              "'count(Lepton) >= 3', 'count(SFOS) >= 1'", ("events", "mt_other"), (100, 0, 200),
              lambda df: df.Define("v", "adl::mt_other(Muon_pt, Muon_eta, Muon_phi, Muon_mass, Muon_charge,"
                                   " Electron_pt, Electron_eta, Electron_phi, Electron_mass, Electron_charge,"
                                   " MET_pt, MET_phi)")
              .Histo1D(("h", "", 100, 0.0, 200.0), "v")),
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
// float64 four-vectors from float32 (pt, eta, phi, mass), as cortado's `a + b` of objects
struct V { double x, y, z, e; };
inline V p4(float pt, float eta, float phi, float m) {
  double x = double(pt) * std::cos(double(phi)), y = double(pt) * std::sin(double(phi));
  double z = double(pt) * std::sinh(double(eta));
  return {x, y, z, std::sqrt(x * x + y * y + z * z + double(m) * double(m))};
}
inline V add(V a, V b) { return {a.x + b.x, a.y + b.y, a.z + b.z, a.e + b.e}; }
inline double mass(V v) { return std::sqrt(std::max(v.e * v.e - (v.x * v.x + v.y * v.y + v.z * v.z), 0.0)); }
bool zmumu(const RVecF &pt, const RVecF &eta, const RVecF &phi, const RVecF &m, const ROOT::RVecI &q) {
  for (size_t i = 0; i < pt.size(); ++i)
    for (size_t j = i + 1; j < pt.size(); ++j) {
      if (q[i] == q[j]) continue;
      double mm = mass(add(p4(pt[i], eta[i], phi[i], m[i]), p4(pt[j], eta[j], phi[j], m[j])));
      if (mm > 60 && mm < 120) return true;
    }
  return false;
}
// the trijet closest to 172.5 GeV: its pT (what = 0) or its largest b-tag (1); none below 3 jets
ROOT::RVecD trijet(const RVecF &pt, const RVecF &eta, const RVecF &phi, const RVecF &m, const RVecF &btag, int what) {
  size_t n = pt.size();
  if (n < 3) return {};
  std::vector<V> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = p4(pt[i], eta[i], phi[i], m[i]);
  double best = 0, out = 0; bool found = false;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      for (size_t k = j + 1; k < n; ++k) {
        V s = add(add(v[i], v[j]), v[k]);
        double d = std::abs(mass(s) - 172.5);
        if (!found || d < best) {
          found = true; best = d;
          out = what == 0 ? std::hypot(s.x, s.y) : double(std::max(std::max(btag[i], btag[j]), btag[k]));
        }
      }
  return {out};
}
// mT of MET and the leading light lepton outside the same-flavour opposite-charge pair closest to
// 91.2 GeV, in events with at least three light leptons and such a pair
ROOT::RVecD mt_other(const RVecF &mpt, const RVecF &meta, const RVecF &mphi, const RVecF &mm, const ROOT::RVecI &mq,
                     const RVecF &ept, const RVecF &eeta, const RVecF &ephi, const RVecF &em, const ROOT::RVecI &eq,
                     float met, float metphi) {
  RVecF pt = Concatenate(mpt, ept), eta = Concatenate(meta, eeta), phi = Concatenate(mphi, ephi), m = Concatenate(mm, em);
  ROOT::RVecI q = Concatenate(mq, eq);
  size_t n = pt.size(), nm = mpt.size();
  if (n < 3) return {};
  long bi = -1, bj = -1; double best = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if ((i < nm) != (j < nm) || q[i] == q[j]) continue;
      double d = std::abs(mass(add(p4(pt[i], eta[i], phi[i], m[i]), p4(pt[j], eta[j], phi[j], m[j]))) - 91.2);
      if (bi < 0 || d < best) { bi = i; bj = j; best = d; }
    }
  if (bi < 0) return {};
  long lead = -1;
  for (size_t k = 0; k < n; ++k)
    if ((long)k != bi && (long)k != bj && (lead < 0 || pt[k] > pt[lead])) lead = k;
  if (lead < 0) return {};
  double dphi = double(phi[lead]) - double(metphi);
  return {std::sqrt(2 * double(pt[lead]) * double(met) * (1 - std::cos(dphi)))};
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
    ap.add_argument("--queries", nargs="*", default=list(QUERIES), help="only these queries")
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--root-python", default=os.path.join(HERE, "work/venv-root/bin/python"))
    a = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    rows = []
    for file in a.files:
        info = json.loads(subprocess.run([a.cortado, "inspect", file, "--json"], capture_output=True,
                                         check=True, text=True).stdout)
        events = info["entries"]
        for q in a.queries:
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
