#!/usr/bin/env python
"""Check reference_numbers.py's JSON against PocketCoffea's own plot_utils classes.

    bench/work/venv-pocketcoffea-plots/bin/python tools/plots/check_against_pocketcoffea.py \
        PCDIR NUMBERS.json [NUMBERS.json ...]

PCDIR: a folder written by cortado_to_coffea.py (output_merged.coffea + parameters_dump.yaml).
For each JSON (from reference_numbers.py, same output), builds PocketCoffea 0.9.13's
PlotManager/Shape for that histogram and year exactly as make-plots does, and compares stack
order, colours, MC total, data, band, ratio and its errors, bin by bin (exact, NaN == NaN).
Run with the venv whose mplhep is the one the errors should match (0.3.59 -> "err_lo"/"err_hi",
1.x -> "err_lo_mplhep1"/...).
"""
import json
import math
import os
import sys

import numpy as np
from omegaconf import OmegaConf
from pocket_coffea.parameters import defaults



def _offline_cvmfs_resolver(group_tags=None):  # as pocketcoffea_make_plots_offline.py: no /cvmfs
    OmegaConf.register_new_resolver(
        "cvmfs", lambda period, group, file, tag=None: f"/cvmfs/{group}/{period}/{file}", replace=True)


defaults.setup_cvmfs_resolver = _offline_cvmfs_resolver
from coffea.util import load  # noqa: E402
from pocket_coffea.utils.plot_utils import PlotManager  # noqa: E402
import mplhep  # noqa: E402


def arr(x):
    return np.array([np.nan if v is None else (np.inf if v == "inf" else -np.inf if v == "-inf" else v)
                     for v in x], dtype=float)


def same(name, ours, theirs):
    ours, theirs = arr(ours), np.asarray(theirs, dtype=float)
    ok = ours.shape == theirs.shape and np.array_equal(ours, theirs, equal_nan=True)
    if not ok:
        close = ours.shape == theirs.shape and np.allclose(ours, theirs, rtol=1e-12, equal_nan=True)
        print(f"  {'~' if close else 'X'} {name}: {'equal to 1e-12' if close else 'DIFFERENT'}")
        if not close:
            bad = np.flatnonzero(~np.isclose(ours, theirs, equal_nan=True))[:5]
            for i in bad:
                print(f"      bin {i}: ours {ours[i]!r} PocketCoffea {theirs[i]!r}")
        return close
    print(f"  = {name}")
    return True


def main():
    pcdir, files = sys.argv[1], sys.argv[2:]
    acc = load(os.path.join(pcdir, "output_merged.coffea"))
    params = OmegaConf.load(os.path.join(pcdir, "parameters_dump.yaml"))
    suffix = "" if mplhep.__version__.startswith("0.") else "_mplhep1"
    all_ok = True
    for f in files:
        with open(f) as fh:
            ref = json.load(fh)
        var, year, cat = ref["histogram"], ref["year"], ref["category"]
        print(f"{f}: {var} {year} {cat} (mplhep {mplhep.__version__})")
        pm = PlotManager(variables=[var], hist_objs={var: acc["variables"][var]},
                         datasets_metadata=acc["datasets_metadata"], plot_dir="/tmp/unused",
                         style_cfg=params["plotting_style"], only_year=[year], workers=1,
                         log_y=ref["log_y"], save=False, verbose=0)
        shape = pm.shape_objects[f"{var}_{year}"]
        st = shape._get_stacks(cat)
        ok = True
        order = [h.name for h in st["mc_nominal"]]
        ok &= order == ref["stack_order_bottom_to_top"]
        print(f"  {'=' if ok else 'X'} stack order {order}")
        cols = dict(shape.colors)
        c_ok = cols == ref["colors"]
        print(f"  {'=' if c_ok else 'X'} colours {cols}")
        ok &= c_ok
        flow = shape._merge_flow_bins
        ok &= same("mc_total", ref["mc_total"], flow(st["mc_nominal_sum"].values(flow=True)))
        for h in st["mc_nominal"]:
            ok &= same(f"mc[{h.name}].nominal", ref["mc"][h.name]["nominal"], flow(h.values(flow=True)))
        data = flow(st["data_sum"].values(flow=True))
        ok &= same("data", ref["data"]["values"], data)
        ok &= same("data err", ref["data"]["err"], np.sqrt(data))
        tot = shape.syst_manager.total(cat)
        ok &= same("band up", ref["band"]["up"], tot.up)
        ok &= same("band down", ref["band"]["down"], tot.down)
        ok &= same("ratio band up", ref["ratio_band"]["up"], tot.ratio_up)
        ok &= same("ratio band down", ref["ratio_band"]["down"], tot.ratio_down)
        for name, s in shape.syst_manager.syst_dict[cat].items():
            ok &= same(f"syst {name} up", ref["systematics"][name]["err_up"], np.sqrt(s.err2_up))
            ok &= same(f"syst {name} down", ref["systematics"][name]["err_down"], np.sqrt(s.err2_down))
        ratio, unc = shape.get_datamc_ratio(cat)
        ok &= same("ratio", ref["ratio"]["values"], ratio)
        ok &= same("ratio err lo" + suffix, ref["ratio"]["err_lo" + suffix], unc[0])
        ok &= same("ratio err hi" + suffix, ref["ratio"]["err_hi" + suffix], unc[1])
        all_ok &= bool(ok)
    print("ALL MATCH" if all_ok else "MISMATCHES")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
