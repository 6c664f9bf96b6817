#!/usr/bin/env python3
"""The ADL benchmark queries of analysis.yaml computed independently with uproot, awkward and
hist (PyPI), in the conventions of README.md; prints JSON:
{histogram: {"sumw": [...], "underflow": x, "overflow": y}}.

    python3 examples/adl/reference.py FILE.root
"""
import json
import sys

import awkward as ak
import hist
import numpy as np
import uproot


def delta_r(eta1, phi1, eta2, phi2):
    """Delta R as coffea computes it on NanoAOD's float32 values: float32 throughout, with
    delta phi wrapped into [-pi, pi)."""
    deta = eta1 - eta2
    dphi = (phi1 - phi2 + np.float32(np.pi)) % np.float32(2 * np.pi) - np.float32(np.pi)
    return np.hypot(deta, dphi)


def main():
    ev = uproot.open(sys.argv[1])["Events"].arrays(
        ["MET_pt", "Jet_pt", "Jet_eta", "Jet_phi", "Muon_pt", "Muon_eta", "Muon_phi",
         "Electron_pt", "Electron_eta", "Electron_phi"])
    jets = ak.zip({"pt": ev.Jet_pt, "eta": ev.Jet_eta, "phi": ev.Jet_phi})
    mu = ak.zip({"pt": ev.Muon_pt, "eta": ev.Muon_eta, "phi": ev.Muon_phi})
    el = ak.zip({"pt": ev.Electron_pt, "eta": ev.Electron_eta, "phi": ev.Electron_phi})
    leptons = ak.concatenate([mu[mu.pt > 10], el[el.pt > 10]], axis=1)

    # 7: jets above 30 GeV farther than 0.4 from every light lepton above 10 GeV
    pairs = ak.cartesian({"j": jets, "l": leptons}, axis=1, nested=True)
    dr = delta_r(pairs.j.eta, pairs.j.phi, pairs.l.eta, pairs.l.phi)
    away = ak.all(dr > np.float32(0.4), axis=2)  # true for a jet when there is no lepton
    ht = ak.sum(jets.pt[(jets.pt > 30) & away], axis=1)

    n40 = ak.sum(jets.pt > 40, axis=1)
    queries = {
        "q1_met": (ev.MET_pt, 100, 0, 200),
        "q2_jet_pt": (ak.flatten(jets.pt), 100, 15, 60),
        "q3_central_jet_pt": (ak.flatten(jets.pt[abs(jets.eta) < 1]), 100, 15, 60),
        "q4_met_2jets": (ev.MET_pt[n40 >= 2], 100, 0, 200),
        "q7_ht": (ht, 100, 15, 200),
    }
    out = {}
    for name, (values, bins, lo, hi) in queries.items():
        h = hist.Hist(hist.axis.Regular(bins, lo, hi), storage=hist.storage.Double())
        h.fill(ak.to_numpy(values))
        v = h.values(flow=True)
        out[name] = {"sumw": v[1:-1].tolist(), "underflow": float(v[0]), "overflow": float(v[-1])}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
