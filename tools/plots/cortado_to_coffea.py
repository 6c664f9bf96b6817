#!/usr/bin/env python3
"""Convert a cortado output folder into the input PocketCoffea's `make-plots` reads.

    python tools/plots/cortado_to_coffea.py OUTDIR -o PCDIR [--cortado target/release/cortado]

Writes PCDIR/output_merged.coffea (coffea.util.save of a dict) and PCDIR/parameters_dump.yaml
(cortado's own dump, copied: its `plotting_style` is PocketCoffea's), so that
`make-plots -inp PCDIR -o PLOTS --overwrite` finds both with its defaults.

What PocketCoffea 0.9.13's make-plots reads from the .coffea dict (scripts/plot/make_plots.py,
utils/plot_utils.py PlotManager/Shape), and all this writes:
  variables:          {histogram: {sample: {dataset: hist.Hist}}}, the hists with axes
                      cat (StrCategory), variation (StrCategory, MC only), the variable axis;
                      here straight from `cortado dump OUTDIR --uhi` (uhi.io.json), MC already
                      scaled to the luminosity, as in PocketCoffea's merged output.
  datasets_metadata:  {"by_datataking_period": {year: {sample: {dataset, ...}}},
                       "by_dataset": {dataset: metadata dict with string "isMC" "True"/"False"}}
                      built from OUTDIR/config.json (each dataset's year and metadata).
cutflow / sumw are not read by make-plots and are not written.

Needs a Python with coffea 0.7 and uhi (bench/work/venv-pocketcoffea*/bin/python).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

import hist
import uhi.io.json as uhi_json
from coffea.util import save


def load_uhi(outdir, cortado):
    """{"hist/sample/dataset": hist.Hist} from `cortado dump OUTDIR --uhi`."""
    out = subprocess.run([cortado, "dump", outdir, "--uhi"], check=True,
                         stdout=subprocess.PIPE).stdout
    raw = json.loads(out, object_hook=uhi_json.object_hook)
    return {key: hist.Hist(h) for key, h in raw.items()}


def build_accumulator(outdir, cortado):
    hists = load_uhi(outdir, cortado)
    with open(os.path.join(outdir, "config.json")) as f:
        config = json.load(f)
    ds_info = {d["name"]: d for d in config["datasets"]}

    variables = defaultdict(lambda: defaultdict(dict))
    by_period = defaultdict(lambda: defaultdict(set))
    by_dataset = {}
    for key, h in hists.items():
        var, sample, dataset = key.split("/")
        variables[var][sample][dataset] = h
        info = ds_info[dataset]
        meta = dict(info.get("metadata", {}))
        meta.setdefault("isMC", str(bool(info.get("isMC"))))
        meta.setdefault("year", info.get("year"))
        by_dataset[dataset] = meta
        by_period[str(meta["year"])][sample].add(dataset)

    return {
        "variables": {v: {s: dict(d) for s, d in sd.items()} for v, sd in variables.items()},
        "datasets_metadata": {
            "by_datataking_period": {y: dict(s) for y, s in by_period.items()},
            "by_dataset": by_dataset,
        },
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="cortado output folder")
    ap.add_argument("-o", "--pcdir", required=True, help="folder to write PocketCoffea's input to")
    ap.add_argument("--cortado", default="target/release/cortado", help="cortado binary")
    args = ap.parse_args(argv)

    acc = build_accumulator(args.outdir, args.cortado)
    os.makedirs(args.pcdir, exist_ok=True)
    save(acc, os.path.join(args.pcdir, "output_merged.coffea"))
    shutil.copy(os.path.join(args.outdir, "parameters_dump.yaml"),
                os.path.join(args.pcdir, "parameters_dump.yaml"))
    nh = sum(len(d) for sd in acc["variables"].values() for d in sd.values())
    print(f"wrote {args.pcdir}/output_merged.coffea: {len(acc['variables'])} histograms, "
          f"{nh} hist objects, years {sorted(acc['datasets_metadata']['by_datataking_period'])}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
