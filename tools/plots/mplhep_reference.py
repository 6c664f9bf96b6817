#!/usr/bin/env python3
# pip install mplhep==0.3.59 mplhep-data matplotlib==3.11.2 hist==2.12.1 uhi==1.2.1 scipy==1.17.1 numpy==1.26.4 pyyaml
# (the venv bench/work/venv-plots; mplhep 0.3.x is the one PocketCoffea 0.9.13's plots need)
"""Draw one data/MC figure of a cortado output with mplhep, as PocketCoffea's make-plots does.

    bench/work/venv-plots/bin/python tools/plots/mplhep_reference.py OUTDIR HIST \
        [--category baseline] [--year 2018] [--log-y] [-o docs/plots/mplhep] \
        [--cortado target/release/cortado] [--lumi-text TEXT]

A reference for comparing cortado's own renderer by eye (docs/plots.md). The numbers come from
reference_numbers.py (PocketCoffea 0.9.13's plot_utils arithmetic); the drawing repeats
plot_utils.Shape.define_figure / plot_datamc / format_figure with the options of the output's
plotting_style (figure 12x12 in, ratio panel 3:1, fonts 22/18, stack by yield, sqrt(N) data
errors, hatched band of weight variations + MC stat, Garwood errors on data/MC, 150 dpi).
One deliberate difference: the top-right text defaults to "59.83 fb$^{-1}$ (13 TeV)" (from
plotting_style.plot_upper_label.by_year) instead of PocketCoffea's "$\\mathcal{L}$ = 59.83/fb";
pass --lumi-text to change it. Writes <out>/[logy_]<hist>_<year>_<category>.png.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import mplhep as hep  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_numbers import compute, load_output  # noqa: E402


def draw(n, style, lumi_text, path):
    fs, fs_leg = style["fontsize"], style["fontsize_legend"]
    edges = np.asarray(n["edges"])
    centers = (edges[:-1] + edges[1:]) / 2
    opts_data = dict(style["opts_data"])
    opts_unc = dict(style["opts_unc"]["total"])
    opts_unc["color"] = tuple(opts_unc["color"])
    opts_unc["facecolor"] = tuple(opts_unc["facecolor"])

    # define_figure
    hep.style.use("CMS")
    plt.rcParams.update({"font.size": fs})
    fig, (ax, rax) = plt.subplots(2, 1, **style["opts_figure"]["datamc_ratio"])
    fig.subplots_adjust(hspace=0.06)
    hep.cms.text(n["cms_text"], fontsize=fs, loc=style["experiment_label_loc"], ax=ax)
    if hasattr(hep.cms, "lumitext"):  # mplhep 0.3.x
        hep.cms.lumitext(text=lumi_text, fontsize=fs, ax=ax)
    else:  # mplhep >= 1: same placement as 0.3.x lumitext
        ax.text(1, 1.005, lumi_text, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=fs * 0.95)

    # MC stack (bottom to top), data, band
    order = n["stack_order_bottom_to_top"]
    hep.histplot([np.asarray(n["mc"][s]["stack_drawn"]) for s in order], edges, ax=ax,
                 stack=True, histtype="fill", color=[n["colors"][s] for s in order],
                 label=order)
    y, yerr = np.asarray(n["data"]["values"]), np.asarray(n["data"]["err"])
    ax.errorbar(centers, y, yerr=yerr, **opts_data)
    up, down = np.asarray(n["band"]["up"]), np.asarray(n["band"]["down"])
    ax.fill_between(edges, np.r_[down, down[-1]], np.r_[up, up[-1]], **opts_unc,
                    label="syst. unc.")

    # ratio points and band
    r = n["ratio"]
    rerr = [np.asarray(r["drawn_err_lo"], float), np.asarray(r["drawn_err_hi"], float)]
    rax.errorbar(centers, np.asarray(r["drawn_values"], float), yerr=rerr, **opts_data)
    # PU's format_figure fixes the ratio range before axhline: with bars of +-1.8e308
    # (PocketCoffea's nan_to_num of infinite errors) autoscaling would break the transform
    rax.set_ylim(*n["ratio_ylim"])
    rax.axhline(1.0, color="black", linestyle="--")
    rup, rdown = np.asarray(n["ratio_band"]["up"]), np.asarray(n["ratio_band"]["down"])
    rax.fill_between(edges, np.r_[rdown, rdown[-1]], np.r_[rup, rup[-1]], **opts_unc,
                     label="syst. unc.")
    rax.hlines(1.0, edges[0], edges[-1], colors="gray", linestyles="dashed")

    # format_figure
    ax.set_ylabel("Counts", fontsize=fs)
    for a in (ax, rax):
        a.tick_params(axis="x", labelsize=fs)
        a.tick_params(axis="y", labelsize=fs)
    ax.set_xlim(edges[0], edges[-1])
    handles, labels = ax.get_legend_handles_labels()
    if n["log_y"]:
        ax.set_yscale("log")
        handles = handles[:-2][::-1] + handles[-2:]
        labels = labels[:-2][::-1] + labels[-2:]
    ax.set_ylim(*n["ylim"])
    labels_mc = style.get("labels_mc") or {}
    labels = [labels_mc.get(lab, lab) for lab in labels]
    ax.legend(handles, labels, fontsize=fs_leg, ncol=2, loc="upper right")
    ax.set_xlabel("")
    rax.set_xlabel(n["xlabel"], fontsize=fs)
    rax.set_ylabel("Data / MC", fontsize=fs)
    rax.yaxis.set_label_coords(-0.075, 1)
    rax.set_ylim(*n["ratio_ylim"])

    fig.savefig(path, dpi=150, format="png", bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", help="cortado output folder")
    ap.add_argument("histogram")
    ap.add_argument("--category", default="baseline")
    ap.add_argument("--year", default="2018")
    ap.add_argument("--log-y", action="store_true")
    ap.add_argument("-o", "--plot-dir", default="docs/plots/mplhep")
    ap.add_argument("--cortado", default="target/release/cortado", help="cortado binary")
    ap.add_argument("--lumi-text", help="top-right text (default: '<lumi> fb$^{-1}$ (13 TeV)'; "
                    "PocketCoffea's is '$\\mathcal{L}$ = <lumi>/fb')")
    args = ap.parse_args(argv)

    hists, config, style = load_output(args.outdir, args.cortado)
    n = compute(hists, config, style, args.histogram, args.category, args.year, args.log_y)
    if "data" not in n:
        sys.exit("this script draws data/MC figures; the output has no data for this year")
    lumi = style["plot_upper_label"]["by_year"][str(args.year)]
    lumi_text = args.lumi_text or f"{lumi:.2f} fb$^{{-1}}$ (13 TeV)"
    os.makedirs(args.plot_dir, exist_ok=True)
    path = os.path.join(args.plot_dir, os.path.basename(n["file"]))
    draw(n, style, lumi_text, path)
    print(path)


if __name__ == "__main__":
    main()
