"""The histograms of tests/configs/shape/*.yaml computed independently: every jet
calibration and variation (and the type-1 MET with --met) from the Python correctionlib
(crates/cortado-calibration/tests/reference.py, PocketCoffea's steps with cortado's
documented fixes), then each pass's selection and histograms with NumPy and hist
(boost-histogram), unweighted. tests/shape_variations.rs compares them with cortado's.

Usage: python shape_histograms.py ROOT JERC OUT.json --sources A,B [--met | --btag BTV_FILE]
"""

import argparse
import importlib.util
import json
import os

import awkward as ak
import correctionlib
import hist
import numpy as np
import uproot
from correctionlib.schemav2 import Correction, CorrectionSet

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "..", "crates", "cortado-calibration", "tests", "reference.py")
spec = importlib.util.spec_from_file_location("reference", REF)
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)


def values(h):
    return np.asarray(h.values(flow=True), dtype=float).tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("jerc")
    ap.add_argument("out")
    ap.add_argument("--sources", default="Total")
    ap.add_argument("--met", action="store_true")
    ap.add_argument("--btag", default=None, help="BTV file: weight with sf_btag over the good jets")
    a = ap.parse_args()
    args = argparse.Namespace(
        data=None, jec="Summer19UL18_V5_MC", jer="Summer19UL18_JRV2_MC", level="L1L2L3Res",
        jet_type="AK4PFchs", sources=[s for s in a.sources.split(",") if s], no_jer=False, l1=False,
    )
    cset = correctionlib.CorrectionSet.from_file(a.jerc)
    smear = CorrectionSet(
        schema_version=2, corrections=[Correction.model_validate(reference.JERSMEAR)]
    ).to_evaluator()["JERSmear"]
    ev = reference.read(a.root, 0, None)
    extra = uproot.open(a.root)["Events"].arrays(["Muon_pt", "Jet_hadronFlavour", "Jet_btagDeepFlavB"])
    btag = correctionlib.CorrectionSet.from_file(a.btag)["deepJet_shape"] if a.btag else None
    calibs = {}
    for coll in ("Jet", "CorrT1METJet") if a.met else ("Jet",):
        c = reference.Calib(args, cset, smear, ev, coll, True)
        c.outs = {"nominal": c.out(*c.nominal)}
        for name, (pt, mass) in c.vars.items():
            c.outs[name] = c.out(pt, mass)
        calibs[coll] = c
    jet = calibs["Jet"]
    eta = np.asarray(ak.flatten(ev["Jet_eta"]))
    n_mu = np.asarray(ak.sum(extra["Muon_pt"] > 15, axis=1))
    names = list(jet.outs)
    if a.met:
        fields = {coll: reference.met_fields(ev, coll, c) for coll, c in calibs.items()}
        names += ["unclust_EnUp", "unclust_EnDown"]
    result = {"presel": {}, "hists": {}}

    def put(hname, cat, var, h):
        result["hists"].setdefault(hname, {}).setdefault(cat, {})[var] = values(h)

    for var in names:
        key = var if var in jet.outs else "nominal"
        o = jet.outs[key]
        pt = ak.unflatten(o["pt"], jet.counts)
        mass = ak.unflatten(o["mass"], jet.counts)
        jeta = ak.unflatten(eta[o["order"]], jet.counts)
        good = (pt > 30) & (abs(jeta) < 2.4)
        n_good = np.asarray(ak.sum(good, axis=1))
        presel = n_good >= 1
        result["presel"][var] = int(presel.sum())
        cats = {"inclusive": presel, "twojets": presel & (n_good >= 2), "muon": presel & (n_mu >= 1)}
        weight = None
        if btag is not None:
            # sf_btag: product over the good jets; in a JES pass the non-c jets take the
            # JES-varied central SF (PocketCoffea's sf_btag with up_jes*/down_jes*)
            flav = np.asarray(ak.flatten(extra["Jet_hadronFlavour"]))[o["order"]]
            discr = np.asarray(ak.flatten(extra["Jet_btagDeepFlavB"]))[o["order"]]
            g = np.asarray(ak.flatten(good))
            fpt, feta = np.asarray(o["pt"])[g], np.abs(eta[o["order"]][g])
            ff, fd = flav[g], discr[g]
            sf = btag.evaluate("central", ff, feta, fpt, fd)
            if "_JES_" in var:
                src = var.split("_JES_")[1]
                d, src = ("up", src[:-2]) if src.endswith("Up") else ("down", src[:-4])
                bkey = f"{d}_jes" if src == "Total" else f"{d}_jes{src}"
                nc = ff != 4
                sf[nc] = btag.evaluate(bkey, ff[nc], feta[nc], fpt[nc], fd[nc])
            weight = np.asarray(ak.prod(ak.unflatten(sf, n_good), axis=1))
        if a.met:
            colls = [(coll, c.outs[key], fields[coll]) for coll, c in calibs.items()]
            shift = {"unclust_EnUp": 1.0, "unclust_EnDown": -1.0}.get(var, 0.0)
            met_pt = reference.met(ev, colls, shift)["pt"]
        for cat, m in cats.items():
            if a.met:
                h = hist.Hist(hist.axis.Regular(500, 0, 500))
                h.fill(met_pt[m])
                put("met_pt", cat, var, h)
                continue
            if weight is not None:
                h = hist.Hist(hist.axis.Regular(12, 0, 12), storage=hist.storage.Weight())
                h.fill(n_good[m], weight=weight[m])
                put("nJetGood", cat, var, h)
                continue
            h = hist.Hist(hist.axis.Regular(2000, 0, 1000))
            h.fill(np.asarray(ak.flatten(pt[m])))
            put("jet_pt", cat, var, h)
            h = hist.Hist(hist.axis.Regular(400, 0, 200))
            h.fill(np.asarray(ak.flatten(mass[m])))
            put("jet_mass", cat, var, h)
            lead = ak.firsts(pt[good][m])
            h = hist.Hist(hist.axis.Regular(2000, 0, 1000))
            h.fill(np.asarray(ak.drop_none(lead)))
            put("jet1_pt", cat, var, h)
            h = hist.Hist(hist.axis.Regular(12, 0, 12))
            h.fill(n_good[m])
            put("nJetGood", cat, var, h)

    with open(a.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
