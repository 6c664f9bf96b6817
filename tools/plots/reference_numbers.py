#!/usr/bin/env python3
"""The numbers in one PocketCoffea data/MC plot of a cortado output, computed independently.

    bench/work/venv-plots/bin/python tools/plots/reference_numbers.py OUTDIR HIST \
        [--category baseline] [--year 2018] [--log-y] [--cortado target/release/cortado]

Prints JSON with what PocketCoffea 0.9.13's make-plots (pocket_coffea/utils/plot_utils.py,
"PU" below) would draw for histogram HIST, category, year: per-sample MC yields, the stack
order and colours, MC total, data and its sqrt(N) errors, the band of weight variations + MC
stat, data/MC with Garwood error bars and the ratio band, y limits, labels, file name; plus a
table of unweighted Garwood intervals. Nothing here imports mplhep or PocketCoffea: each step
is PU's, rewritten in numpy/scipy, in PU's order of summation.

JSON encoding: NaN -> null, +-inf -> "inf" / "-inf". Arrays are per bin, flow already merged.

Semantics followed (PU = plot_utils.py):
- collapse_datasets: a sample's histogram = sum of its datasets (in dump order); then
  samples_groups, only_samples/exclude_samples, rescale_samples as in Shape.__init__.
- Missing variations of an MC sample are filled with its nominal (replace_missing_variations).
- _merge_flow_bins: underflow added to the first bin, overflow to the last, unconditionally
  (opts_mc.flow == "sum"). Used for data, MC total, band and ratio.
- The drawn stack goes through mplhep's histplot(flow="sum"), which adds a flow bin only
  when it is > 0: "stack_drawn" holds those values (differs from "nominal" only for negative
  flow content).
- Stack order (_get_stacks): yield = round(sum(nominal, no flow), 1); descending for linear y,
  ascending for log y (stable sort); order_mc moves samples to the bottom (linear) / top (log).
  Colours: CMAP_6 (<= 6 MC samples) else CMAP_10, given in input order before sorting;
  colors_mc overrides (aliases CMS_blue...).
- Band (SystManager/SystUnc): per systematic, per sample (stack order), one-sided rules,
  samples in quadrature; mcstat = sum of nominal variances; systematics in quadrature.
- Ratio (get_datamc_ratio): r = data/mc, var = data_var/mc^2, err = |poisson_interval(r, var) - r|,
  NaN -> inf; drawn after np.nan_to_num (NaN -> 0, inf -> 1.797e308).
  poisson_interval as in mplhep 0.3.59 (the version PU needs, for hep.cms.lumitext): zero
  bins borrow the scale of the FIRST non-zero bin (its `np.sum([...]).argmin(axis=0)` sums the
  distance matrix to a scalar, so argmin is 0), lo stays NaN for n = 0. The mplhep >= 1.x
  variant (nearest non-zero bin, ties to the first; lo NaN -> 0) is given as "*_mplhep1".
- y limits (format_figure): linear (0, 2 * max(MC nominal sum WITHOUT flow));
  log (opts_ylim.datamc.ylim_log.lo, 10**(floor(log(M, 10)) * 1.75)), M = max of data and MC
  maxima without flow (0 -> 100), unless ylim_log.hi is set.
Not covered: --density, signal overlays, 2D histograms, split eras.

pip install mplhep==0.3.59 mplhep-data matplotlib==3.11.2 hist==2.12.1 uhi==1.2.1 scipy==1.17.1 numpy==1.26.4 pyyaml
(only hist, uhi, scipy, pyyaml are used here; that is the venv bench/work/venv-plots)
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

import hist
import numpy as np
import scipy.stats
import uhi.io.json as uhi_json
import yaml

CMAP_6 = ["#5790fc", "#f89c20", "#e42536", "#964a8b", "#9c9ca1", "#7a21dd"]
CMAP_10 = ["#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
           "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd"]
COLOR_ALIASES = dict(zip(
    ["CMS_blue", "CMS_orange", "CMS_red", "CMS_gray", "CMS_purple", "CMS_brown",
     "CMS_dark_orange", "CMS_beige", "CMS_dark_gray", "CMS_light_blue"], CMAP_10))
COVERAGE_1SD = scipy.stats.norm.cdf(1) - scipy.stats.norm.cdf(-1)


# ---------------------------------------------------------------- inputs

def load_output(outdir, cortado="target/release/cortado"):
    """(hists {"hist/sample/dataset": hist.Hist}, config.json dict, plotting_style dict)."""
    dump = subprocess.run([cortado, "dump", outdir, "--uhi"], check=True,
                          stdout=subprocess.PIPE).stdout
    raw = json.loads(dump, object_hook=uhi_json.object_hook)
    hists = {k: hist.Hist(v) for k, v in raw.items()}
    with open(os.path.join(outdir, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(outdir, "parameters_dump.yaml")) as f:
        style = yaml.safe_load(f)["plotting_style"]
    return hists, config, style


def collect_samples(hists, config, style, histogram, year):
    """{sample: hist.Hist} and {sample: is_mc} for one histogram and year (Shape.__init__)."""
    ds = {d["name"]: d for d in config["datasets"]}
    per_sample, is_mc = {}, {}
    for key, h in hists.items():
        var, sample, dataset = key.split("/")
        if var != histogram or str(ds[dataset]["year"]) != str(year):
            continue
        per_sample[sample] = h if sample not in per_sample else per_sample[sample] + h
        is_mc[sample] = str(ds[dataset]["metadata"].get("isMC", ds[dataset]["isMC"])) == "True"
    if not per_sample:
        sys.exit(f"no histogram {histogram!r} for year {year}")
    if style.get("samples_groups"):  # PU group_samples: groups first, then the others
        grouped, used = {}, []
        for new, olds in style["samples_groups"].items():
            olds = [s for s in olds if s in per_sample]
            if olds:
                hs = [per_sample[s] for s in olds]
                grouped[new] = sum(hs[1:], hs[0])
                is_mc[new] = is_mc[olds[0]]
                used += olds
        grouped.update({s: h for s, h in per_sample.items() if s not in used})
        per_sample = grouped
    only, excl = style.get("only_samples"), style.get("exclude_samples")
    if only is not None or excl is not None:
        per_sample = {s: h for s, h in per_sample.items()
                      if (only is None or s in only) and (excl is None or s not in excl)}
    for s, scale in (style.get("rescale_samples") or {}).items():
        if s in per_sample:
            per_sample[s] = per_sample[s] * scale
    return per_sample, is_mc


# ---------------------------------------------------------------- PU arithmetic

def merge_flow(values_with_flow):
    """PU Shape._merge_flow_bins: flow folded into the edge bins, unconditionally."""
    v = np.array(values_with_flow, dtype=float)
    v[1] += v[0]
    v[-2] += v[-1]
    return v[1:-1]


def mplhep_flow_sum(values_with_flow):
    """mplhep histplot(flow="sum"): a flow bin is added only when it is > 0."""
    v = np.array(values_with_flow, dtype=float)
    out = v[1:-1].copy()
    if v[0] > 0:
        out[0] += v[0]
    if v[-1] > 0:
        out[-1] += v[-1]
    return out


def poisson_interval(sumw, sumw2, version="0.3", coverage=COVERAGE_1SD):
    """Garwood interval [lo, hi] as mplhep's (coffea's) poisson_interval.

    version "0.3" (mplhep 0.3.59): zero bins take the scale of the first non-zero bin, and
    lo stays NaN where the count is 0. version "1" (mplhep 1.x): zero bins take the scale of
    the nearest non-zero bin (ties to the first), NaN -> 0.
    """
    sumw = np.asarray(sumw, dtype=float)
    sumw2 = np.asarray(sumw2, dtype=float)
    scale = np.empty_like(sumw)
    nz = sumw != 0  # NaN counts as non-zero, as in numpy
    with np.errstate(divide="ignore", invalid="ignore"):
        scale[nz] = sumw2[nz] / sumw[nz]
    missing = np.flatnonzero(~nz)
    available = np.flatnonzero(nz)
    if len(missing):
        if len(available) == 0:
            return np.vstack([sumw, sumw])  # mplhep warns "All sumw are zero!"
        if version == "0.3":
            scale[missing] = scale[available[0]]
        else:
            dist = (available[:, None] - missing[None, :]) ** 2
            scale[missing] = scale[available[dist.argmin(axis=0)]]
    with np.errstate(divide="ignore", invalid="ignore"):
        counts = sumw / scale
        lo = scale * scipy.stats.chi2.ppf((1 - coverage) / 2, 2 * counts) / 2.0
        hi = scale * scipy.stats.chi2.ppf((1 + coverage) / 2, 2 * (counts + 1)) / 2.0
    interval = np.array([lo, hi])
    if version != "0.3":
        interval[np.isnan(interval)] = 0.0
    return interval


def garwood_table(ns=(0, 1, 2, 3, 5, 10, 100)):
    """Unweighted intervals (scale 1). Each n sits in a two-bin histogram [n, 1] so that n = 0
    has a non-zero bin (scale 1) to borrow from."""
    out = {"n": list(ns)}
    for version in ("0.3", "1"):
        iv = [poisson_interval(np.array([k, 1.0]), np.array([k, 1.0]), version)[:, 0] for k in ns]
        out["mplhep" + version] = {"lo": [x[0] for x in iv], "hi": [x[1] for x in iv]}
    return out


def one_sided_err2(nom, up, down):
    """PU SystUnc._get_err2 for one sample: (err2_up, err2_down)."""
    eu, ed = up - nom, down - nom
    up_is_up, down_is_down = eu > 0, ed < 0
    one_sided = up_is_up ^ down_is_down
    up2_two = np.where(up_is_up, eu ** 2, ed ** 2)
    dn2_two = np.where(up_is_up, ed ** 2, eu ** 2)
    m = np.maximum(up2_two, dn2_two)
    up2 = np.where(one_sided, np.where(one_sided & up_is_up, m, 0), up2_two)
    dn2 = np.where(one_sided, np.where(one_sided & down_is_down, m, 0), dn2_two)
    return up2, dn2


def stack_order(nevents, style, log_y):
    order = sorted(nevents, key=lambda s: nevents[s], reverse=not log_y)
    order_mc = style.get("order_mc")
    if order_mc:
        if log_y:
            order = [s for s in order if s not in order_mc] + [s for s in order if s in order_mc]
        else:
            for s in reversed(order_mc):
                if s in order:
                    order = [s] + [x for x in order if x != s]
    return order


def compute(hists, config, style, histogram, category, year, log_y=False):
    per_sample, is_mc = collect_samples(hists, config, style, histogram, year)
    mc_in = [s for s in per_sample if is_mc[s]]
    data_in = [s for s in per_sample if not is_mc[s]]
    h0 = per_sample[(mc_in or data_in)[0]]
    xaxis = h0.axes[-1]
    edges = xaxis.edges

    # MC: slice the category, fill missing variations with nominal
    variations = []
    for s in mc_in:
        for v in per_sample[s].axes["variation"]:
            if v not in variations:
                variations.append(v)
    if any(len(per_sample[s].axes["variation"]) != len(variations) for s in mc_in):
        variations = ["nominal"] + sorted(v for v in variations if v != "nominal")
    mc = {}
    for s in mc_in:
        h = per_sample[s][{"cat": category}]
        have = list(h.axes["variation"])
        mc[s] = {v: (h[{"variation": v if v in have else "nominal"}]) for v in variations}

    nevents = {s: round(sum(mc[s]["nominal"].values()), 1) for s in mc_in}
    cmap = CMAP_6 if len(mc_in) <= 6 else CMAP_10
    colors = {s: cmap[i % len(cmap)] for i, s in enumerate(mc_in)}
    for s, c in (style.get("colors_mc") or {}).items():
        if s in colors:
            colors[s] = COLOR_ALIASES.get(c, c)
    order = stack_order(nevents, style, log_y)

    res = {"histogram": histogram, "category": category, "year": str(year), "log_y": log_y,
           "edges": edges, "xlabel": xaxis.label,
           "mc_samples_input_order": mc_in, "data_samples": data_in,
           "nevents_rounded": nevents,
           "stack_order_bottom_to_top": order,
           "colors": {s: colors[s] for s in order}}

    # per-sample nominal, stack as drawn, MC total (summed in stack order)
    mc_total = None
    mc_total_noflow = None
    res["mc"] = {}
    tops, cum = [], np.zeros(len(edges) - 1)
    for s in order:
        h = mc[s]["nominal"]
        nom = merge_flow(h.values(flow=True))
        drawn = mplhep_flow_sum(h.values(flow=True))
        cum = cum + drawn
        tops.append(cum.copy())
        res["mc"][s] = {"nominal": nom, "stack_drawn": drawn,
                        "variance": merge_flow(h.variances(flow=True))}
        mc_total = h.copy() if mc_total is None else mc_total + h
    res["stack_tops_bottom_to_top"] = tops
    mc_nom = merge_flow(mc_total.values(flow=True))
    res["mc_total"] = mc_nom

    # data
    blind = blind_mask(style, histogram, year, category, edges)
    data_tot = None
    for s in data_in:
        h = per_sample[s][{"cat": category}]
        data_tot = h.copy() if data_tot is None else data_tot + h
    if data_tot is not None:
        y = merge_flow(data_tot.values(flow=True))
        y[blind] = 0
        res["data"] = {"values": y, "err": np.sqrt(y)}

    # band
    systs = [v[: v.index("Up")] for v in variations if v.endswith("Up")]  # PU: s.split("Up")[0]
    systs.append("mcstat")
    err2_up_tot, err2_dn_tot = 0.0, 0.0
    res["systematics"] = {}
    for name in systs:
        err2_up, err2_dn = 0.0, 0.0
        for s in order:
            nom = merge_flow(mc[s]["nominal"].values(flow=True))
            if name == "mcstat":
                var = merge_flow(mc[s]["nominal"].variances(flow=True))
                err2_up, err2_dn = err2_up + var, err2_dn + var
                continue
            up = merge_flow(mc[s][name + "Up"].values(flow=True))
            dn = merge_flow(mc[s][name + "Down"].values(flow=True))
            u2, d2 = one_sided_err2(nom, up, dn)
            err2_up, err2_dn = err2_up + u2, err2_dn + d2
        res["systematics"][name] = {"err_up": np.sqrt(err2_up), "err_down": np.sqrt(err2_dn)}
        err2_up_tot, err2_dn_tot = err2_up_tot + err2_up, err2_dn_tot + err2_dn
    up = mc_nom + np.sqrt(err2_up_tot)
    down = mc_nom - np.sqrt(err2_dn_tot)
    res["band"] = {"up": up, "down": down}
    with np.errstate(divide="ignore", invalid="ignore"):
        res["ratio_band"] = {"up": np.where(mc_nom != 0, up / mc_nom, 1),
                             "down": np.where(mc_nom != 0, down / mc_nom, 1)}

    # ratio
    if data_tot is not None:
        num = merge_flow(data_tot.values(flow=True))
        num_var = merge_flow(data_tot.variances(flow=True))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = num / mc_nom
            r[blind] = 0
            r_var = num_var * np.power(mc_nom, -2)
        ratio = {"values": r}
        for version, suffix in (("0.3", ""), ("1", "_mplhep1")):
            err = np.abs(poisson_interval(r, r_var, version) - r)
            err[np.isnan(err)] = np.inf
            ratio["err_lo" + suffix], ratio["err_hi" + suffix] = err[0], err[1]
        ratio["drawn_values"] = np.nan_to_num(r)
        ratio["drawn_err_lo"] = np.nan_to_num(ratio["err_lo"])
        ratio["drawn_err_hi"] = np.nan_to_num(ratio["err_hi"])
        res["ratio"] = ratio

    # limits, labels, file
    mc_max = max(mc_total.values())
    if log_y:
        m = max(max(data_tot.values()), mc_max) if data_tot is not None else mc_max
        if m == 0:
            m = 100
        ylog = style["opts_ylim"]["datamc"]["ylim_log"]
        res["ylim"] = [ylog["lo"], ylog.get("hi", 10 ** (math.floor(math.log(m, 10)) * 1.75))]
    else:
        res["ylim"] = [0, 2.0 * (mc_max if mc_max != 0 else 1)]
    res["ratio_ylim"] = [0.5, 1.5]
    res["cms_text"] = style.get("cms_label") or ("Preliminary" if data_in else "Simulation Preliminary")
    lumi_fb = style["plot_upper_label"]["by_year"][str(year)]
    res["lumi_text"] = f"$\\mathcal{{L}}$ = {lumi_fb:.2f}/fb"
    labels = style.get("labels_mc") or {}
    res["legend"] = ([labels.get(s, s) for s in order[::-1]] if not log_y
                     else [labels.get(s, s) for s in order]) + ["syst. unc.", "Data"]
    prefix = "logy_" if log_y else ""
    res["file"] = f"{category}/{prefix}{histogram}_{year}_{category}.png"
    return res


def blind_mask(style, histogram, year, category, edges):
    mask = np.zeros(len(edges) - 1, dtype=bool)
    b = style.get("blind_hists") or {}
    if category in (b.get("categories") or []):
        for name, rng in (b.get("histograms") or {}).items():
            if f"{histogram}_{year}".startswith(name) and len(rng) == 2:
                mask |= (edges[:-1] >= rng[0]) & (edges[:-1] < rng[1])
    return mask


# ---------------------------------------------------------------- JSON

def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [plain(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    return x


def to_json(obj):
    text = json.dumps(plain(obj), indent=2)
    # one line per array of numbers
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]",
                  lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="cortado output folder")
    ap.add_argument("histogram")
    ap.add_argument("--category", default="baseline")
    ap.add_argument("--year", default="2018")
    ap.add_argument("--log-y", action="store_true")
    ap.add_argument("--cortado", default="target/release/cortado")
    args = ap.parse_args(argv)
    hists, config, style = load_output(args.outdir, args.cortado)
    res = compute(hists, config, style, args.histogram, args.category, args.year, args.log_y)
    res["garwood_unweighted"] = garwood_table()
    print(to_json(res))


if __name__ == "__main__":
    main()
