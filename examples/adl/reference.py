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


def p4(obj):
    """The float64 four-vector (px, py, pz, E) of objects with float32 pt, eta, phi, mass."""
    pt, eta, phi, m = (ak.values_astype(obj[f], np.float64) for f in ("pt", "eta", "phi", "mass"))
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return {"px": px, "py": py, "pz": pz, "e": np.sqrt(px * px + py * py + pz * pz + m * m)}


def add(a, b):
    return {k: a[k] + b[k] for k in a}


def mass(v):
    return np.sqrt(np.maximum(v["e"] * v["e"] - (v["px"] ** 2 + v["py"] ** 2 + v["pz"] ** 2), 0))


def pt_of(v):
    return np.hypot(v["px"], v["py"])


def closest(values, target):
    """Per event, the index of the value closest to target (the first on ties; None if empty)."""
    return ak.argmin(abs(values - target), axis=1, keepdims=True)


def main():
    ev = uproot.open(sys.argv[1])["Events"].arrays(
        ["MET_pt", "MET_phi"]
        + [f"{c}_{f}" for c in ("Jet", "Muon", "Electron") for f in ("pt", "eta", "phi", "mass")]
        + ["Jet_btagDeepFlavB", "Muon_charge", "Electron_charge"])
    jets = ak.zip({f: ev[f"Jet_{f}"] for f in ("pt", "eta", "phi", "mass", "btagDeepFlavB")})
    mu = ak.zip({f: ev[f"Muon_{f}"] for f in ("pt", "eta", "phi", "mass", "charge")})
    el = ak.zip({f: ev[f"Electron_{f}"] for f in ("pt", "eta", "phi", "mass", "charge")})
    leptons = ak.concatenate([mu[mu.pt > 10], el[el.pt > 10]], axis=1)

    # 5: an opposite-charge muon pair with 60 < mass < 120 GeV
    mm = ak.combinations(mu, 2, fields=["a", "b"])
    m_mm = mass(add(p4(mm.a), p4(mm.b)))
    has_z = ak.any((mm.a.charge != mm.b.charge) & (m_mm > 60) & (m_mm < 120), axis=1)

    # 6: the trijet with the mass closest to 172.5 GeV, in events with at least three jets
    tri = ak.combinations(jets, 3, fields=["a", "b", "c"])
    v3 = add(add(p4(tri.a), p4(tri.b)), p4(tri.c))
    best = closest(mass(v3), 172.5)
    ge3 = ak.num(jets) >= 3
    tri_pt = ak.flatten(pt_of(v3)[best][ge3])
    btag = np.maximum(np.maximum(tri.a.btagDeepFlavB, tri.b.btagDeepFlavB), tri.c.btagDeepFlavB)
    tri_btag = ak.flatten(btag[best][ge3])

    # 8: all light leptons; the same-flavour opposite-charge pair closest to 91.2 GeV; the
    #    leading lepton outside it, with MET
    lep = ak.concatenate([
        ak.with_field(mu, 13, "flavour"), ak.with_field(el, 11, "flavour")], axis=1)
    lep = ak.with_field(lep, ak.local_index(lep, axis=1), "idx")
    ll = ak.combinations(lep, 2, fields=["a", "b"])
    ll = ll[(ll.a.flavour == ll.b.flavour) & (ll.a.charge != ll.b.charge)]
    zbest = ll[closest(mass(add(p4(ll.a), p4(ll.b))), 91.2)]
    sel8 = (ak.num(lep) >= 3) & (ak.num(ll) >= 1)
    ia = ak.fill_none(ak.firsts(zbest.a.idx), -1)
    ib = ak.fill_none(ak.firsts(zbest.b.idx), -1)
    other = lep[(lep.idx != ia) & (lep.idx != ib)]
    lead = ak.firsts(other[ak.argmax(other.pt, axis=1, keepdims=True)])
    dphi = ak.values_astype(lead.phi, np.float64) - ak.values_astype(ev.MET_phi, np.float64)
    mt = np.sqrt(2 * ak.values_astype(lead.pt, np.float64)
                 * ak.values_astype(ev.MET_pt, np.float64) * (1 - np.cos(dphi)))
    mt8 = mt[sel8]

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
        "q5_met_zmumu": (ev.MET_pt[has_z], 100, 0, 200),
        "q6_trijet_pt": (tri_pt, 100, 15, 300),
        "q6_trijet_btag": (tri_btag, 100, 0, 1),
        "q8_mt": (mt8, 100, 0, 200),
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
