#!/usr/bin/env python3
"""Read benchmark: the ~30 branches of the Z->mumu analysis from one NanoAOD file, read
and decompressed by cortado, uproot and ROOT on the same machine in the same run.

    python3 bench/read_bench.py FILE [--repeat 5] [--threads 1 2]
        [--uproot-python PY] [--root-python PY] [--cortado BIN]

Each measurement is a fresh process (warm page cache: the file is read once first).
Prints the median wall time and events/s of each, and the ratios to cortado.
- cortado: `cortado -j N inspect FILE --sum BRANCHES` (reads every value, sums it);
  process wall time, start-up included.
- uproot: `tree.arrays(BRANCHES)` (awkward arrays), timed inside the process
  (import and file opening excluded, which favours uproot).
- ROOT: a compiled C++ `TTree::GetEntry` loop over the same active branches, timed inside the
  process (JIT and start-up excluded); N > 1 uses ROOT's implicit multithreading.
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

# What the Z->mumu analysis of the tutorial reads (PocketCoffea reads 89 branches; these suffice).
BRANCHES = [
    "run", "luminosityBlock", "event", "genWeight", "HLT_IsoMu24", "PV_npvsGood",
    "Flag_goodVertices", "Flag_globalSuperTightHalo2016Filter", "Flag_HBHENoiseFilter",
    "Flag_HBHENoiseIsoFilter", "Flag_EcalDeadCellTriggerPrimitiveFilter", "Flag_BadPFMuonFilter",
    "Flag_BadPFMuonDzFilter", "Flag_eeBadScFilter", "Flag_ecalBadCalibFilter",
    "nMuon", "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge", "Muon_tightId",
    "Muon_pfRelIso04_all", "nElectron", "Electron_pt", "Electron_eta", "Electron_phi",
    "Electron_mass", "Electron_charge", "Electron_cutBased", "Electron_pfRelIso03_all",
    "Electron_deltaEtaSC", "Electron_mvaFall17V2Iso_WP80", "nJet", "Jet_pt", "Jet_eta", "Jet_phi",
    "Jet_mass", "Jet_jetId", "Jet_puId", "Jet_btagDeepFlavB",
]

UPROOT_CODE = r'''
import sys, time, json, uproot, awkward as ak
f, branches = sys.argv[1], sys.argv[2].split(",")
t = uproot.open(f)["Events"]
t0 = time.perf_counter()
arrs = t.arrays(branches)
n = sum(int(ak.count(arrs[b])) for b in branches)
print(json.dumps({"seconds": time.perf_counter() - t0, "entries": t.num_entries, "values": n}))
'''

ROOT_CODE = r'''
import sys, json, ROOT
f, branches, threads = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
if threads > 1:
    ROOT.EnableImplicitMT(threads)
ROOT.gInterpreter.Declare("""
#include <TFile.h>
#include <TTree.h>
#include <TStopwatch.h>
#include <string>
#include <vector>
double read_loop(const char* fname, const std::vector<std::string>& branches, long long* nbytes, long long* nent) {
  TFile* f = TFile::Open(fname);
  TTree* t = (TTree*)f->Get("Events");
  t->SetBranchStatus("*", 0);
  for (auto& b : branches) t->SetBranchStatus(b.c_str(), 1);
  TStopwatch w; w.Start();
  long long n = t->GetEntries(), bytes = 0;
  for (long long i = 0; i < n; ++i) bytes += t->GetEntry(i);
  w.Stop();
  *nbytes = bytes; *nent = n;
  delete f;
  return w.RealTime();
}
""")
v = ROOT.std.vector("std::string")()
for b in branches:
    v.push_back(b)
import ctypes
nb, ne = ctypes.c_longlong(0), ctypes.c_longlong(0)
secs = ROOT.read_loop(f, v, nb, ne)
print(json.dumps({"seconds": secs, "entries": ne.value, "bytes": nb.value}))
'''


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:3])} ...\n{p.stderr[-2000:]}")
    return wall, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--uproot-python", default=os.path.join(HERE, "work/venv-uproot/bin/python"))
    ap.add_argument("--root-python", default=os.path.join(HERE, "work/venv-root/bin/python"))
    ap.add_argument("--json", help="also write the results to this JSON file")
    a = ap.parse_args()
    with open(a.file, "rb") as fh:  # warm the page cache
        while fh.read(1 << 24):
            pass
    br = ",".join(BRANCHES)
    results = []

    def measure(tool, threads, fn):
        times = [fn() for _ in range(a.repeat)]
        results.append({"tool": tool, "threads": threads, "median_s": statistics.median(times), "runs": times})
        print(f"  {tool:<28} threads={threads}  median {statistics.median(times):7.3f} s   runs {' '.join(f'{t:.3f}' for t in times)}", flush=True)

    entries = None
    for t in a.threads:
        def cortado(t=t):
            wall, out = run([a.cortado, "-j", str(t), "inspect", a.file, "--sum", *BRANCHES])
            nonlocal entries
            entries = json.loads(out)["entries"]
            return wall
        measure("cortado", t, cortado)
    if os.path.exists(a.uproot_python):
        measure("uproot (arrays)", 1, lambda: json.loads(run([a.uproot_python, "-c", UPROOT_CODE, a.file, br])[1])["seconds"])
    if os.path.exists(a.root_python):
        for t in a.threads:
            measure("ROOT (TTree::GetEntry loop)", t, lambda t=t: json.loads(
                run([a.root_python, "-W", "ignore", "-c", ROOT_CODE, a.file, br, str(t)])[1])["seconds"])

    print(f"\nfile: {a.file}\nentries: {entries}, branches: {len(BRANCHES)}, repeats: {a.repeat} (medians)\n")
    base = {r["threads"]: r["median_s"] for r in results if r["tool"] == "cortado"}
    print(f"{'tool':<28} {'threads':>7} {'median s':>9} {'events/s':>12} {'ev/s/thread':>12} {'cortado x faster':>17}")
    for r in results:
        eps = entries / r["median_s"]
        ref = base.get(r["threads"], base.get(1))
        print(f"{r['tool']:<28} {r['threads']:>7} {r['median_s']:>9.3f} {eps:>12,.0f} {eps / r['threads']:>12,.0f} {r['median_s'] / ref:>17.2f}")
        r["events_per_s"] = eps
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"file": a.file, "entries": entries, "branches": BRANCHES, "results": results}, fh, indent=1)


if __name__ == "__main__":
    main()
