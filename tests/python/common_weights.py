#!/usr/bin/env python3
"""PocketCoffea 0.9.13's common weights computed independently of cortado, with
uproot, awkward and the Python correctionlib, following PocketCoffea's
`lib/scale_factors.py`, `lib/weights/common/common.py` and
`lib/weights/common/weights_run2_UL.py` and coffea 0.7's `Weights` (which stores
a variation as the modifier up/nominal, computed in place in the variation's
dtype, the value itself where the nominal is 0). Compares them with the weights
cortado stored as columns for `tests/configs/weights/syst.yaml` (one category
per weight, so a category's weight is that weight alone).

Usage: common_weights.py DUMP.json SHARED_DIR TOY_TRIGGER.json
Prints one line per (dataset, weight) and exits 1 on any difference.
"""

import json
import sys

import awkward as ak
import correctionlib
import numpy as np
import uproot

BTAG_SOURCES = ["hf", "lf", "hfstats1", "hfstats2", "lfstats1", "lfstats2", "cferr1", "cferr2"]
RTOL = 0.0  # cortado gives the same float64 numbers, to the last bit


def flat(x):
    return ak.to_numpy(ak.flatten(x))


def prod(values, counts):
    return ak.to_numpy(ak.prod(ak.unflatten(values, counts), axis=1))


def ele_sf(corr, era, wp, ele, key):
    """(sf, sfup, sfdown) per event, PocketCoffea's get_ele_sf for one working point."""
    eta, pt, counts = flat(ele.eta + ele.deltaEtaSC), flat(ele.pt), ak.num(ele.pt)
    return [ak.unflatten(corr.evaluate(era, v, wp, eta, pt), counts) for v in ("sf", "sfup", "sfdown")]


def sf_ele_reco(corr, ele):
    # Run 2: RecoBelow20 below 20 GeV, RecoAbove20 from 20 GeV, concatenated per event
    parts = [ele_sf(corr, "2018", wp, ele[mask], "reco")
             for wp, mask in (("RecoBelow20", ele.pt < 20), ("RecoAbove20", ele.pt >= 20))]
    return [ak.to_numpy(ak.prod(ak.concatenate([p[i] for p in parts], axis=1), axis=1)) for i in range(3)]


def sf_ele_id(corr, ele):
    return [ak.to_numpy(ak.prod(x, axis=1)) for x in ele_sf(corr, "2018", "wp80iso", ele, "id")]


def sf_ele_trigger(corr, ele):
    pt = np.clip(flat(ele.pt), 25.0, 9999.0)
    eta, counts = flat(ele.etaSC), ak.num(ele.pt)
    return [prod(corr.evaluate("2018", v, "HLT_SF_Ele32_WPTight", eta, pt), counts)
            for v in ("sf", "sfup", "sfdown")]


def sf_btag(corr, jets):
    flavour = flat(jets.hadronFlavour)
    abseta = np.abs(flat(jets.eta))
    pt = flat(jets.pt)
    discr = flat(jets.btagDeepFlavB)
    njets = ak.num(jets.pt)
    central = corr.evaluate("central", flavour, abseta, pt, discr)

    def varied(key, mask):
        sf = np.copy(central)
        sf[mask] = corr.evaluate(key, flavour[mask], abseta[mask], pt[mask], discr[mask])
        return prod(sf, njets)

    out = {}
    for s in BTAG_SOURCES:
        mask = flavour == 4 if "cferr" in s else flavour != 4
        out[s] = (varied(f"up_{s}", mask), varied(f"down_{s}", mask))
    return prod(central, njets), out


def sf_jet_puId(corr, jets, maxpt=50.0, value=4, wp="L"):
    pt, eta, puId = flat(jets.pt), flat(jets.eta), flat(jets.puId)
    mask = (pt < maxpt) & (puId >= value) & flat(jets.genJetIdx >= 0)
    out = []
    for v in ("nom", "up", "down"):
        sf = np.ones_like(pt, dtype=float)
        sf[mask] = corr.evaluate(eta[mask], pt[mask], v, wp)
        out.append(prod(sf, ak.num(jets.pt)))
    return out


def modifier(nominal, varied):
    """coffea 0.7 Weights.__add_variation: in place, in the variation's dtype."""
    nominal = np.asarray(nominal)
    m = np.array(varied, copy=True)
    nz = nominal != 0.0
    m[nz] /= nominal[nz]
    return m


def expected_weights(ev, corrections):
    """category -> {column: per-event values} for one dataset."""
    etaSC = ev.Electron_eta + ev.Electron_deltaEtaSC
    emask = (ev.Electron_pt > 10) & (abs(etaSC) < 2.5)
    ele = ak.zip({"pt": ev.Electron_pt[emask], "eta": ev.Electron_eta[emask],
                  "deltaEtaSC": ev.Electron_deltaEtaSC[emask], "etaSC": etaSC[emask]})
    jmask = (ev.Jet_pt > 20) & (abs(ev.Jet_eta) < 2.5) & (ev.Jet_jetId >= 2)
    jets = ak.zip({f: ev[f"Jet_{f}"][jmask] for f in
                   ("pt", "eta", "hadronFlavour", "btagDeepFlavB", "puId", "genJetIdx")})
    ps, lhe, l1 = ev.PSWeight, ev.LHEScaleWeight, ev.L1PreFiringWeight_Nom
    one = ak.to_numpy(ak.ones_like(ps[:, 0]))
    simple = {
        "ele_reco": ("sf_ele_reco", sf_ele_reco(corrections["ele"], ele)),
        "ele_id": ("sf_ele_id", sf_ele_id(corrections["ele"], ele)),
        "ele_trigger": ("sf_ele_trigger", sf_ele_trigger(corrections["trigger"], ele)),
        "jet_puId": ("sf_jet_puId", sf_jet_puId(corrections["puId"], jets)),
        "L1prefiring": ("sf_L1prefiring", [ak.to_numpy(x) for x in
                        (l1, ev.L1PreFiringWeight_Up, ev.L1PreFiringWeight_Dn)]),
        "isr": ("sf_partonshower_isr", [one, ak.to_numpy(ps[:, 2]), ak.to_numpy(ps[:, 0])]),
        "fsr": ("sf_partonshower_fsr", [one, ak.to_numpy(ps[:, 3]), ak.to_numpy(ps[:, 1])]),
        "renorm": ("sf_qcd_renorm_scale", [one, ak.to_numpy(lhe[:, 7] / lhe[:, 4]),
                                           ak.to_numpy(lhe[:, 1] / lhe[:, 4])]),
        "factor": ("sf_qcd_factor_scale", [one, ak.to_numpy(lhe[:, 5] / lhe[:, 4]),
                                           ak.to_numpy(lhe[:, 3] / lhe[:, 4])]),
    }
    out = {}
    for cat, (name, (nom, up, down)) in simple.items():
        total = np.ones(len(nom)) * nom
        out[cat] = {
            "weight": total,
            f"weight_variation_{name}Up": total * modifier(nom, up),
            f"weight_variation_{name}Down": total * modifier(nom, down),
        }
    central, sources = sf_btag(corrections["btag"], jets)
    total = np.ones(len(central)) * central
    out["btag"] = {"weight": total}
    for s, (up, down) in sources.items():
        out["btag"][f"weight_variation_sf_btag_{s}Up"] = total * modifier(central, up)
        out["btag"][f"weight_variation_sf_btag_{s}Down"] = total * modifier(central, down)
    return out


def main(dump, shared, toy_trigger):
    out = json.load(open(dump))
    corr_dir = f"{shared}/data/corrections/2018_UL"
    corrections = {
        "ele": correctionlib.CorrectionSet.from_file(f"{corr_dir}/electron.json.gz")["UL-Electron-ID-SF"],
        "btag": correctionlib.CorrectionSet.from_file(f"{corr_dir}/btagging.json.gz")["deepJet_shape"],
        "puId": correctionlib.CorrectionSet.from_file(f"{corr_dir}/jmar.json.gz")["PUJetID_eff"],
        "trigger": correctionlib.CorrectionSet.from_file(toy_trigger)["toy_ele_hlt"],
    }
    datasets = [("TTTo2L2Nu", "TTTo2L2Nu_2018", "tt_2018_syst.root"),
                ("DYJetsToLL", "DYJetsToLL_M-50_2018", "dy_2018_syst.root")]
    failed = 0
    checked = 0
    for sample, ds, fname in datasets:
        ev = uproot.open(f"{shared}/data/synthetic/{fname}")["Events"].arrays(library="ak")
        index = {int(e): i for i, e in enumerate(ak.to_numpy(ev.event))}
        expected = expected_weights(ev, corrections)
        got = out["columns"][sample][ds]
        for cat, columns in expected.items():
            cols = got[cat]["nominal"]
            rows = np.array([index[e] for e in cols["events_event"]])
            if len(rows) < 1000:
                print(f"{ds} {cat}: only {len(rows)} events")
                failed += 1
            missing = sorted(set(columns) ^ (set(cols) - {"events_event"}))
            if missing:
                print(f"{ds} {cat}: columns only on one side: {missing}")
                failed += 1
            for col, want in columns.items():
                have = np.asarray(cols.get(col, []), dtype=float)
                want = want[rows]
                if have.shape != want.shape:
                    print(f"{ds} {cat} {col}: {have.shape} values, expected {want.shape}")
                    failed += 1
                    continue
                diff = np.abs(have - want)
                bad = diff > RTOL * np.abs(want)
                exact = int(np.sum(have == want))
                rel = float(np.max(diff / np.maximum(np.abs(want), 1e-300)))
                varied = int(np.sum(want != 1.0))
                checked += len(want)
                status = "ok" if not bad.any() else f"FAILED ({int(bad.sum())} differ)"
                print(f"{ds} {cat} {col}: {len(want)} events ({varied} != 1), {exact} identical, "
                      f"max rel. diff {rel:.2e}: {status}")
                if bad.any():
                    i = int(np.argmax(bad))
                    print(f"    first: event {cols['events_event'][i]}: cortado {have[i]!r}, "
                          f"PocketCoffea {want[i]!r}")
                    failed += 1
    print(f"{checked} values checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
