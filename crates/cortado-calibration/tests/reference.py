"""Reference jet calibration and type-1 MET, computed with the Python
correctionlib, uproot, awkward and NumPy, for tests/cross_check.rs.

The steps are those of PocketCoffea 0.9.13 (lib/jets.py jet_correction_corrlib,
lib/calibrators/common/common.py JetsCalibrator and METCalibrator), written
again here with cortado's deliberate fixes (docs/pocketcoffea-differences.md):
unmatched jets have GenPt -1 (PocketCoffea PR #571); the JER scale factor gets
its `systematic` input (nom/up/down); rawFactor is recomputed for every
variation (PR #535); the nominal jets are re-sorted too; the unclustered-energy
shift is applied to the recomputed type-1 MET. The NumPy dtypes follow
PocketCoffea's (float32 raw pt, float64 corrected pt).

Usage: python reference.py ROOT JERC OUT.json --start N --stop M [--data TAG]
       [--jec TAG] [--jer TAG] [--sources A,B] [--no-jer] [--l1]
Writes every float as the integer of its IEEE-754 bits.
"""

import argparse
import json

import awkward as ak
import correctionlib
import numpy as np
import uproot
from correctionlib.schemav2 import Correction, CorrectionSet

JERSMEAR = {
    "name": "JERSmear",
    "version": 1,
    "inputs": [
        {"name": "JetPt", "type": "real"},
        {"name": "JetEta", "type": "real"},
        {"name": "GenPt", "type": "real"},
        {"name": "Rho", "type": "real"},
        {"name": "EventID", "type": "int"},
        {"name": "JER", "type": "real"},
        {"name": "JERsf", "type": "real"},
    ],
    "output": {"name": "smear", "type": "real"},
    "data": {
        "nodetype": "binning",
        "input": "GenPt",
        "edges": [-1, 0, 1],
        "flow": "clamp",
        "content": [
            {
                "nodetype": "transform",
                "input": "GenPt",
                "rule": {
                    "nodetype": "hashprng",
                    "inputs": ["JetPt", "JetEta", "Rho", "EventID"],
                    "distribution": "normal",
                },
                "content": {
                    "nodetype": "formula",
                    "expression": "1+sqrt(max(x*x - 1, 0)) * y * z",
                    "parser": "TFormula",
                    "variables": ["JERsf", "JER", "GenPt"],
                },
            },
            {
                "nodetype": "formula",
                "expression": "1+(x-1)*(y-z)/y",
                "parser": "TFormula",
                "variables": ["JERsf", "JetPt", "GenPt"],
            },
        ],
    },
}


def bits(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


def evaluate(corr, values):
    return corr.evaluate(*[values[i.name] for i in corr.inputs])


def read(path, start, stop):
    tree = uproot.open(path)["Events"]
    keys = set(tree.keys())
    want = [
        "Jet_pt", "Jet_mass", "Jet_rawFactor", "Jet_eta", "Jet_phi", "Jet_area",
        "Jet_genJetIdx", "GenJet_pt", "fixedGridRhoFastjetAll", "event", "run",
        "CorrT1METJet_rawPt", "CorrT1METJet_eta", "CorrT1METJet_phi",
        "CorrT1METJet_area", "CorrT1METJet_muonSubtrFactor", "RawMET_pt",
        "RawMET_phi", "MET_MetUnclustEnUpDeltaX", "MET_MetUnclustEnUpDeltaY",
        "Jet_muonSubtrFactor", "Jet_chEmEF", "Jet_neEmEF",
    ]
    return tree.arrays([k for k in want if k in keys], entry_start=start, entry_stop=stop)


class Calib:
    """One collection's calibration (PocketCoffea's jet_correction_corrlib)."""

    def __init__(self, args, cset, smear, ev, coll, is_mc):
        corrected = coll == "Jet"
        pt = ev[f"{coll}_pt" if corrected else f"{coll}_rawPt"]
        self.counts = np.asarray(ak.num(pt))
        flat = lambda name: np.asarray(ak.flatten(ev[f"{coll}_{name}"]))
        if corrected:
            rf = flat("rawFactor")
            # awkward/NumPy: 1 - float32 is float32, times float32 pt
            self.pt_raw = (1 - rf) * flat("pt")
            mass_raw = (1 - rf) * flat("mass")
        else:
            self.pt_raw = flat("rawPt")
            mass_raw = np.zeros_like(self.pt_raw)
        ones = np.ones_like(self.pt_raw)
        rho = np.repeat(np.asarray(ev["fixedGridRhoFastjetAll"]), self.counts)
        values = {
            "JetPt": self.pt_raw,
            "JetEta": flat("eta"),
            "JetPhi": flat("phi"),
            "Rho": rho,
            "JetA": flat("area"),
            "run": ones * np.repeat(np.asarray(ev["run"]), self.counts),
        }
        tag = args.data or args.jec
        name = f"{tag}_{args.level}_{args.jet_type}"
        jec = cset.compound[name] if name in cset.compound else cset[name]
        factor = evaluate(jec, values)
        pt, mass = factor * self.pt_raw, factor * mass_raw
        self.jec_pt, self.jec_mass = pt, mass
        self.l1 = None
        if args.l1:
            self.l1 = evaluate(cset[f"{tag}_L1FastJet_{args.jet_type}"], values)
        self.vars = {}
        if is_mc and not args.no_jer:
            res = evaluate(cset[f"{args.jer}_PtResolution_{args.jet_type}"], {**values, "JetPt": pt})
            gen = -np.ones_like(self.pt_raw)
            if corrected and "Jet_genJetIdx" in ev.fields:
                idx = ev["Jet_genJetIdx"]
                ngen = ak.num(ev["GenJet_pt"])
                valid = (idx >= 0) & (idx < ngen)
                safe = ak.where(valid, idx, 0)
                padded = ak.pad_none(ev["GenJet_pt"], 1)
                matched = ak.where(valid, padded[safe], -1.0)
                gen = np.asarray(ak.flatten(matched)).astype(np.float32)
            gen = np.where(np.abs(pt - gen) < 3 * pt * res, gen, -1.0)
            sm_in = {
                **values, "JetPt": pt, "GenPt": gen, "JER": res,
                "EventID": ones * np.repeat(np.asarray(ev["event"]), self.counts),
            }
            sf_corr = cset[f"{args.jer}_ScaleFactor_{args.jet_type}"]

            def smear_for(syst):
                sf = evaluate(sf_corr, {**sm_in, "systematic": syst})
                return evaluate(smear, {**sm_in, "JERsf": sf})

            s = smear_for("nom")
            for d, syst in (("Up", "up"), ("Down", "down")):
                su = smear_for(syst)
                self.vars[f"{args.jet_type}_JER{d}"] = (pt * su, mass * su)
            pt, mass = pt * s, mass * s
        self.nominal = (pt, mass)
        if is_mc:
            jes = {}
            for src in args.sources:
                delta = evaluate(cset[f"{tag}_{src}_{args.jet_type}"], {**values, "JetPt": pt})
                jes[f"{args.jet_type}_JES_{src}Up"] = (pt * (1 + delta), mass * (1 + delta))
                jes[f"{args.jet_type}_JES_{src}Down"] = (pt * (1 - delta), mass * (1 - delta))
            self.vars = {**jes, **self.vars}

    def out(self, pt, mass):
        """rawFactor, then the stable sort by decreasing pt."""
        rf = np.where(pt != 0, 1 - self.pt_raw / pt, 0)
        local = ak.argsort(ak.unflatten(pt, self.counts), axis=1, ascending=False, stable=True)
        starts = np.repeat(np.cumsum(self.counts) - self.counts, self.counts)
        order = np.asarray(ak.flatten(local)) + starts
        return {"pt": pt[order], "mass": mass[order], "raw_factor": rf[order], "order": order}


def met_sum(ev, coll, jets, fields):
    """Sum over the selected jets of (pt_L1L2L3 - pt_L1) (x, y), per event."""
    o = jets["order"]
    pt, rf = jets["pt"], jets["raw_factor"]
    mu = fields["mu"][o]
    if coll == "Jet":
        raw_nomu = pt * (1.0 - rf) * (1.0 - mu)
    else:
        raw_nomu = (fields["raw"][o] * (np.float32(1.0) - mu)).astype(np.float64)
    l1l2l3 = raw_nomu * (1.0 / (1.0 - rf))
    l1 = raw_nomu * (fields["l1"][o] if fields["l1"] is not None else 1.0)
    mask = l1l2l3 > 15.0
    if fields["em"] is not None:
        mask = mask & (fields["em"][o] < np.float32(0.9))
    phi = fields["phi"][o].astype(np.float64)
    c, s = np.cos(phi), np.sin(phi)
    dx = np.where(mask, l1l2l3 * c - l1 * c, 0.0)
    dy = np.where(mask, l1l2l3 * s - l1 * s, 0.0)
    # awkward sums each list in order (as cortado)
    sx = np.asarray(ak.sum(ak.unflatten(dx, fields["counts"]), axis=1))
    sy = np.asarray(ak.sum(ak.unflatten(dy, fields["counts"]), axis=1))
    return sx, sy


def met(ev, colls, shift):
    raw_pt = np.asarray(ev["RawMET_pt"]).astype(np.float64)
    raw_phi = np.asarray(ev["RawMET_phi"]).astype(np.float64)
    x, y = raw_pt * np.cos(raw_phi), raw_pt * np.sin(raw_phi)
    for coll, jets, fields in colls:
        sx, sy = met_sum(ev, coll, jets, fields)
        x, y = x - sx, y - sy
    if shift:
        dx = np.asarray(ev["MET_MetUnclustEnUpDeltaX"]).astype(np.float64)
        dy = np.asarray(ev["MET_MetUnclustEnUpDeltaY"]).astype(np.float64)
        x, y = x + shift * dx, y + shift * dy
    return {"pt": np.hypot(x, y), "phi": np.arctan2(y, x)}


def met_fields(ev, coll, calib):
    flat = lambda name: np.asarray(ak.flatten(ev[f"{coll}_{name}"]))
    n = len(calib.pt_raw)
    f = {"counts": calib.counts, "phi": flat("phi"), "l1": calib.l1, "em": None}
    if coll == "Jet":
        f["mu"] = flat("muonSubtrFactor") if "Jet_muonSubtrFactor" in ev.fields else np.zeros(n, np.float32)
        if "Jet_chEmEF" in ev.fields:
            f["em"] = flat("chEmEF") + flat("neEmEF")
    else:
        f["mu"] = flat("muonSubtrFactor")
        f["raw"] = flat("rawPt")
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("jerc")
    ap.add_argument("out")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--stop", type=int, default=None)
    ap.add_argument("--data", default=None, help="JEC tag of data (the file is data)")
    ap.add_argument("--jec", default="Summer19UL18_V5_MC")
    ap.add_argument("--jer", default="Summer19UL18_JRV2_MC")
    ap.add_argument("--level", default="L1L2L3Res")
    ap.add_argument("--jet-type", default="AK4PFchs")
    ap.add_argument("--sources", default="Total")
    ap.add_argument("--no-jer", action="store_true")
    ap.add_argument("--l1", action="store_true")
    args = ap.parse_args()
    args.sources = [s for s in args.sources.split(",") if s]
    is_mc = args.data is None
    cset = correctionlib.CorrectionSet.from_file(args.jerc)
    smear = CorrectionSet(
        schema_version=2, corrections=[Correction.model_validate(JERSMEAR)]
    ).to_evaluator()["JERSmear"]
    ev = read(args.root, args.start, args.stop)
    result = {"collections": {}, "met": {}}
    calibs = {}
    for coll in ("Jet", "CorrT1METJet"):
        c = Calib(args, cset, smear, ev, coll, is_mc)
        calibs[coll] = c
        outs = {"nominal": c.out(*c.nominal)}
        for name, (pt, mass) in c.vars.items():
            outs[name] = c.out(pt, mass)
        c.outs = outs
        result["collections"][coll] = {
            name: {k: (v.tolist() if k == "order" else bits(v)) for k, v in o.items()}
            for name, o in outs.items()
        }
    fields = {coll: met_fields(ev, coll, c) for coll, c in calibs.items()}
    names = list(calibs["Jet"].outs)
    for name in names + ["unclust_EnUp", "unclust_EnDown"]:
        key = name if name in names else "nominal"
        colls = [(coll, c.outs[key], fields[coll]) for coll, c in calibs.items()]
        shift = {"unclust_EnUp": 1.0, "unclust_EnDown": -1.0}.get(name, 0.0)
        m = met(ev, colls, shift)
        result["met"][name] = {k: bits(v) for k, v in m.items()}
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
