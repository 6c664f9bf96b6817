#!/usr/bin/env python3
"""The reference of tests/best_objects.rs: argmin/argmax and any/all over jets, computed with
uproot, awkward and hist. Prints {histogram: {category: values with flow}}."""
import json
import sys

import awkward as ak
import hist
import numpy as np
import uproot

ev = uproot.open(sys.argv[1])["Events"].arrays(["Jet_pt", "Jet_eta", "Jet_mass", "Jet_btagDeepFlavB"])
jets = ak.zip({"pt": ev.Jet_pt, "eta": ev.Jet_eta, "mass": ev.Jet_mass, "btag": ev.Jet_btagDeepFlavB})
best_btag = jets[ak.argmax(jets.btag, axis=1, keepdims=True)]
closest = jets[ak.argmin(abs(jets.mass - np.float32(10)), axis=1, keepdims=True)]
lowest_pt = jets[ak.argmin(jets.pt, axis=1, keepdims=True)]
cats = {
    "all": np.ones(len(ev), bool),
    "forward": ak.to_numpy(ak.any(abs(jets.eta) > 2.4, axis=1)),
    "central": ak.to_numpy(ak.all(abs(jets.eta) < 2.4, axis=1)),
}
values = {
    "best_btag_pt": (best_btag.pt, 50, 0, 200),
    "closest_mass_eta": (closest.eta, 48, -4.8, 4.8),
    "lowest_pt": (lowest_pt.pt, 50, 0, 100),
}
out = {}
for name, (v, n, lo, hi) in values.items():
    out[name] = {}
    for cat, mask in cats.items():
        h = hist.Hist(hist.axis.Regular(n, lo, hi), storage=hist.storage.Double())
        h.fill(ak.to_numpy(ak.flatten(v[mask])))
        out[name][cat] = h.values(flow=True).tolist()
print(json.dumps(out))
