#!/usr/bin/env python3
"""What systematics cost: cortado and PocketCoffea 0.9.13 on the same simulated tt̄ file, with and
without jet-energy-scale shape variations, on the same machine in the same session.

    python3 bench/syst_bench.py FILE [--repeat 3] [--skip pocketcoffea] [--cortado BIN]
        [--pocketcoffea-python PY] [--shared DIR]

FILE: a simulated tt̄ file with the systematics branches and the type-1 MET inputs
(bench/make_inputs.sh writes tt_syst_100000_zstd5.root with tools/gen_synthetic_nanoaod.py).
Every measurement is a fresh process on one core (cortado -j 1; PocketCoffea's iterative
executor), wall time including start-up and writing the outputs, page cache warm; medians.

The analyses:
- `weights`: the Z→μμ analysis with pileup and muon ID/isolation SFs and their 6 weight
  variations (PocketCoffea: ../shared/reference/pocketcoffea_zmumu_sf, copied to
  bench/pocketcoffea_syst; cortado: tests/configs/zmumu_sf_synthetic.yaml), no calibrator;
- `jes4`: the same plus the jet calibration (JEC of AK4 jets, no JER: PocketCoffea 0.9.13
  cannot evaluate the 2018 JRV2 scale factor) and four JES sources as shape variations
  (8 passes more): PocketCoffea's `calibrators=[JetsCalibrator]`, cortado's
  `calibrators: [jet_calibration]` (params: bench/pocketcoffea_syst/params/jets_bench.yaml);
- `ttbar-weights`, `ttbar-jes4`: a tt̄ → ℓℓ analysis (the tt̄ example's objects and selection
  without its MET cut, categories 0b/1b/2b, 8 histograms) with pileup, muon ID/isolation, b-tag
  shape (sources hf, lf, cferr1) and pileup jet ID weights and their 12 variations, without and
  with the JEC and the same four JES sources (PocketCoffea:
  bench/pocketcoffea_syst/ttbar_config.py; cortado: the tt̄ example with these settings);
- cortado only, the tt̄ example (examples/ttbar: 15 weights, 28 weight variations, JEC + JER,
  type-1 MET): `ttbar-nominal` without `variations.shape`, `ttbar-full` with its 12 shape
  variations (4 JES sources, JER, unclustered energy).
Prints events/s, the cost of the systematics (time with / time without) for each tool, and how
many times faster cortado is.
"""
import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "syst")
sys.path.insert(0, HERE)
from analysis_bench import PEAK_RSS, read_through, sh  # noqa: E402

TT = {"sample": "TTTo2L2Nu", "year": "2018", "isMC": "True", "xsec": "88.29"}

JETS_PARAMS = """\
jets_calibration:
  jet_types:
    AK4PFchs:
      "2018":
        json_path: {jerc}
        jer: Summer19UL18_JRV2_MC
  collection:
    "2018":
      AK8PFPuppi: null
      AK4CorrT1METJetchs: null
  apply_jer_MC:
    "2018":
      AK4PFchs: false
  variations:
    AK4PFchs:
      "2018": [JES_Total, JES_FlavorQCD, JES_RelativeBal, JES_AbsoluteMPFBias]
"""


def prepare(file, cortado, shared):
    """The fileset and the cortado configurations; returns (fileset, {name: cfg}, events)."""
    os.makedirs(WORK, exist_ok=True)
    _, info = sh([cortado, "inspect", file, "--json"])
    events = json.loads(info)["entries"]
    fileset = os.path.join(WORK, "fileset.json")
    with open(fileset, "w") as f:
        meta = dict(TT, nevents=str(events))
        json.dump({"TTTo2L2Nu_2018": {"metadata": meta, "files": [os.path.abspath(file)]}}, f, indent=1)
    jets = os.path.join(WORK, "jets_bench.yaml")
    with open(jets, "w") as f:
        f.write(JETS_PARAMS.format(jerc=os.path.join(shared, "data/corrections/2018_UL/jet_jerc.json.gz")))
    zmumu = os.path.join(ROOTDIR, "tests/configs/zmumu_sf_synthetic.yaml")
    params = [os.path.join(ROOTDIR, p) for p in (
        "examples/zmumu/params/object_preselection.yaml", "examples/zmumu/params/triggers.yaml",
        "examples/zmumu/params/plotting.yaml", "tests/configs/params/corrections_2018_UL.yaml")]
    ds = "datasets:\n  jsons: [fileset.json]\n  filter: {samples: [TTTo2L2Nu], samples_exclude: [], year: ['2018']}\n"
    cfgs = {}

    def write(name, text):
        path = os.path.join(WORK, f"{name}.yaml")
        with open(path, "w") as f:
            f.write(text)
        cfgs[name] = path

    write("weights", f"extends: {zmumu}\n{ds}")
    write("jes4", f"extends: {zmumu}\n{ds}"
          "parameters:\n  dirs: {config_dir: " + os.path.join(ROOTDIR, "tests/configs/params") + "}\n"
          f"  files: [{', '.join(params + [jets])}]\n"
          "calibrators: [jet_calibration]\n"
          "variations:\n  shape:\n    common: {inclusive: [jet_calibration]}\n")
    ttbar = os.path.join(ROOTDIR, "examples/ttbar/analysis.yaml")
    ex = os.path.join(ROOTDIR, "examples/ttbar/params")
    weights = "[pileup, sf_mu_id, sf_mu_iso, sf_btag, sf_jet_puId]"
    tt_common = (
        f"extends: {ttbar}\n{ds}"
        "parameters:\n  dirs: {config_dir: " + ex + "}\n"
        f"  files: [{ex}/object_preselection.yaml, {ex}/lumi.yaml, {ex}/corrections.yaml, {jets}]\n"
        "preselections:\n  - name: dilepton_2jets\n    expr: >-\n"
        "      nLeptonGood == 2 and nMuonGood >= 1 and ll.charge == 0\n"
        "      and first(LeptonGood.pt) > 25 and ll.mass > 20 and nJetGood >= 2\n"
        f"weights:\n  common:\n    inclusive: [genWeight, lumi, XS, {weights[1:]}\n"
        f"variations:\n  weights:\n    common:\n      inclusive: {weights}\n"
    )
    write("ttbar-weights", tt_common + "  shape: null\ncalibrators: []\n")
    write("ttbar-jes4", tt_common + "  shape:\n    common: {inclusive: [jet_calibration]}\n"
          "calibrators: [jet_calibration]\n")
    write("ttbar-nominal", f"extends: {ttbar}\n{ds}variations:\n  shape: null\n")
    write("ttbar-full", f"extends: {ttbar}\n{ds}")
    return fileset, cfgs, events


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated: pocketcoffea")
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--pocketcoffea-python", default=os.path.join(HERE, "work/venv-pocketcoffea/bin/python"))
    ap.add_argument("--shared", default=os.path.join(ROOTDIR, "..", "shared"))
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    shared = os.path.abspath(a.shared)
    if not os.path.exists(a.cortado):
        sys.exit(f"{a.cortado} missing: cargo build --release")
    fileset, cfgs, events = prepare(a.file, a.cortado, shared)

    def warm():
        read_through(a.file)

    times, rss = {}, {}

    def record(key, dt):
        times.setdefault(key, []).append(dt)
        rss.setdefault(key, []).append(PEAK_RSS["last"])
        print(f"  {key[0]:<13} {key[1]:<14} {dt:7.2f} s  {PEAK_RSS['last']:6.0f} MB", flush=True)

    pc_dir = os.path.join(HERE, "pocketcoffea_syst")
    for rep in range(a.repeat):
        print(f"round {rep + 1}/{a.repeat}", flush=True)
        for name, cfg in cfgs.items():
            warm()
            out = os.path.join(WORK, f"cortado_{name}")
            dt, _ = sh([a.cortado, "-j", "1", "run", "--cfg", cfg, "-o", out, "--no-progress", "--overwrite"])
            record(("cortado", name), dt)
        if "pocketcoffea" in skip:
            continue
        for name, jes, config in (("weights", "0", "config.py"), ("jes4", "1", "config.py"),
                                  ("ttbar-weights", "0", "ttbar_config.py"), ("ttbar-jes4", "1", "ttbar_config.py")):
            warm()
            out = os.path.join(WORK, f"pocketcoffea_{name}")
            env = dict(os.environ, ZMUMU_FILESET=fileset, ZMUMU_SAMPLES="TTTo2L2Nu", BENCH_JES=jes,
                       ZMUMU_CORRECTIONS=os.path.join(shared, "data/corrections/2018_UL"), COLUMNS="160")
            dt, _ = sh([a.pocketcoffea_python, "-W", "ignore", os.path.join(shared, "tools/pocket_coffea_offline.py"),
                        "run", "--cfg", config, "-ro", "run_options.yaml", "-o", out,
                        "--executor", "iterative"], cwd=pc_dir, env=env)
            record(("PocketCoffea", name), dt)

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n{events} events, 1 core, median of {a.repeat}")
    print(f"{'tool':<13} {'analysis':<14} {'wall s':>8} {'events/s':>10} {'peak MB':>8}")
    for (tool, name), t in med.items():
        print(f"{tool:<13} {name:<14} {t:8.2f} {events / t:10.0f} {statistics.median(rss[(tool, name)]):8.0f}")
    print("\ncost of the systematics (wall time with / without):")
    pairs = [(tool, pair) for pair in (("weights", "jes4"), ("ttbar-weights", "ttbar-jes4"))
             for tool in ("cortado", "PocketCoffea")] + [("cortado", ("ttbar-nominal", "ttbar-full"))]
    for tool, (without, with_) in pairs:
        if (tool, with_) in med and (tool, without) in med:
            print(f"  {tool:<13} {with_} / {without}: {med[(tool, with_)] / med[(tool, without)]:.2f}x")
    for name in ("weights", "jes4", "ttbar-weights", "ttbar-jes4"):
        if ("PocketCoffea", name) in med:
            print(f"cortado is {med[('PocketCoffea', name)] / med[('cortado', name)]:.1f}x faster than "
                  f"PocketCoffea on '{name}'")


if __name__ == "__main__":
    main()
