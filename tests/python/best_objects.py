#!/usr/bin/env python3
"""The reference of tests/best_objects.rs: argmin/argmax and any/all over jets, computed with
uproot, awkward and hist. Prints {histogram: {category: values with flow}}."""
import json
import sys

import awkward as ak
import hist
import numpy as np
import uproot

ev = uproot.open(sys.argv[1])["Events"].arrays(["Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_btagDeepFlavB",
                                                 "MET_pt", "MET_phi", "Muon_pt", "Muon_eta", "Muon_phi",
                                                 "Muon_mass"])
jets = ak.zip({"pt": ev.Jet_pt, "eta": ev.Jet_eta, "phi": ev.Jet_phi, "mass": ev.Jet_mass,
               "btag": ev.Jet_btagDeepFlavB})


def p4sum(c):
    """The four-vector sum per event in float64, as cortado's p4sum documents it."""
    return kinematics(*p4sum_components(c))


def p4(pt, eta, phi, m):
    """The float64 components of single objects (None where missing)."""
    f = lambda x: ak.values_astype(x, np.float64)  # noqa: E731
    pt, eta, phi, m = f(pt), f(eta), f(phi), f(m)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return px, py, pz, np.sqrt(px * px + py * py + pz * pz + m * m)


def p4sum_components(c):
    """px, py, pz, E of the objects of each event, summed in float64 in stored order."""
    f = lambda x: ak.values_astype(x, np.float64)  # noqa: E731
    pt, eta, phi, m = f(c.pt), f(c.eta), f(c.phi), f(c.mass)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px * px + py * py + pz * pz + m * m)
    return tuple(ak.sum(v, axis=1) for v in (px, py, pz, e))


def kinematics(px, py, pz, e):
    """pt, eta, mass of float64 vectors, as cortado documents them."""
    spt = np.hypot(px, py)
    eta = ak.where(spt > 0, np.arcsinh(pz / ak.where(spt > 0, spt, 1.0)), 0.0)
    mass = np.sqrt(np.maximum(e * e - (px * px + py * py + pz * pz), 0.0))
    return spt, eta, mass
best_btag = jets[ak.argmax(jets.btag, axis=1, keepdims=True)]
closest = jets[ak.argmin(abs(jets.mass - np.float32(10)), axis=1, keepdims=True)]
lowest_pt = jets[ak.argmin(jets.pt, axis=1, keepdims=True)]
cats = {
    "all": np.ones(len(ev), bool),
    "forward": ak.to_numpy(ak.any(abs(jets.eta) > 2.4, axis=1)),
    "central": ak.to_numpy(ak.all(abs(jets.eta) < 2.4, axis=1)),
}
def mt(pt1, phi1, pt2, phi2):
    """Transverse mass in float64, as cortado's mt documents it."""
    f = lambda x: ak.values_astype(x, np.float64)  # noqa: E731
    return np.sqrt(2.0 * f(pt1) * f(pt2) * (1.0 - np.cos(f(phi1) - f(phi2))))


def dphi(a, b):
    """coffea's float32 delta phi, wrapped into [-pi, pi)."""
    return (a - b + np.float32(np.pi)) % np.float32(2 * np.pi) - np.float32(np.pi)


hardest = jets[ak.argmax(jets.pt, axis=1, keepdims=True)]
mu_eta, mu_phi = ak.firsts(ev.Muon_eta), ak.firsts(ev.Muon_phi)
# a jet of an event without muons: NaN, which hist puts in the overflow
dr = np.hypot(jets.eta - ak.fill_none(mu_eta, 0), dphi(jets.phi, ak.fill_none(mu_phi, 0)))
dr_jets_mu = dr + ak.where(ak.num(ev.Muon_eta) > 0, np.float32(0), np.float32(np.nan))
_, _, mjj = p4sum(jets[:, 0:2])
mu = p4(ak.firsts(ev.Muon_pt), ak.firsts(ev.Muon_eta), ak.firsts(ev.Muon_phi), ak.firsts(ev.Muon_mass))
_, _, jets_mu_mass = kinematics(*(a + b for a, b in zip(p4sum_components(jets), mu)))
jet_p4 = p4(jets.pt, jets.eta, jets.phi, jets.mass)
no_mu = ak.where(ak.num(ev.Muon_pt) > 0, 0.0, np.nan)  # NaN for the jets of events without a muon
_, _, jet_mu_mass = kinematics(*(a + ak.fill_none(b, 0.0) + no_mu for a, b in zip(jet_p4, mu)))
jj_pt, _, _ = kinematics(*(a + b for a, b in zip(p4sum_components(jets[:, 0:1]), p4sum_components(jets[:, 1:2]))))
jpt, jeta, _ = p4sum(jets)
values = {
    "mt_hardest_met": (mt(hardest.pt, hardest.phi, ev.MET_pt, ev.MET_phi), 50, 0, 300),
    "mt_jets_met": (mt(jets.pt, jets.phi, ev.MET_pt, ev.MET_phi), 50, 0, 300),
    "mjj": (mjj, 50, 0, 500),
    "jets_mu_mass": (jets_mu_mass, 50, 0, 1000),  # None without a muon: not filled
    "jets_jets_pt": (jj_pt, 50, 0, 300),
    "jet_mu_mass": (jet_mu_mass, 50, 0, 500),
    "dphi_mu_met": (dphi(mu_phi, ev.MET_phi), 40, -4, 4),  # None without a muon: not filled
    "dphi_jets_met": (dphi(jets.phi, ev.MET_phi), 40, -4, 4),
    "dr_jets_mu": (dr_jets_mu, 30, 0, 6),
    "all_jets_pt": (jpt, 50, 0, 300),
    "all_jets_eta": (jeta, 50, -5, 5),
    "best_btag_pt": (best_btag.pt, 50, 0, 200),
    "closest_mass_eta": (closest.eta, 48, -4.8, 4.8),
    "lowest_pt": (lowest_pt.pt, 50, 0, 100),
}
out = {}
for name, (v, n, lo, hi) in values.items():
    out[name] = {}
    for cat, mask in cats.items():
        h = hist.Hist(hist.axis.Regular(n, lo, hi), storage=hist.storage.Double())
        v_ = v[mask]
        h.fill(ak.to_numpy(ak.drop_none(ak.flatten(v_) if v_.ndim > 1 else v_)))
        out[name][cat] = h.values(flow=True).tolist()
print(json.dumps(out))
