"""Applies to a PocketCoffea 0.9.13 output with the jet calibration (the JSON layout of
../shared/tools/export_output_json.py) and to cortado's the two documented differences
(docs/pocketcoffea-differences.md), so that compare_outputs.py compares everything else:

- PocketCoffea 0.9.13 rescales only the nominal sumw/sumw2 by 1/sum_genweights in its
  postprocessing; the shape variations' are left unscaled: here they are divided by
  sum_genweights (sumw2 by its square), as cortado does;
- PocketCoffea 0.9.13 does not re-sort the nominal calibrated jets by pt (it re-sorts the varied
  ones), cortado re-sorts both: the histograms of the k-th jet (names ending _1, _2, … of the
  jet collection) in the nominal pass and its weight variations are removed from both files
  (their shape variations are kept and compared).

Usage: python3 pocketcoffea_jes_differences.py REF.json[.gz] CAND.json REF_OUT.json CAND_OUT.json COLL
Plain Python 3. Prints what it changed.
"""
import gzip
import json
import re
import sys


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def main():
    ref_in, cand_in, ref_out, cand_out, coll = sys.argv[1:6]
    ref, cand = load(ref_in), load(cand_in)
    shape = re.compile(r"_JES_|_JER(Up|Down)$")
    rescaled = 0
    for key, power in (("sumw", 1), ("sumw2", 2)):
        for cat, by_ds in ref.get(key, {}).items():
            for ds, by_sample in by_ds.items():
                s = ref["sum_genweights"][ds] ** power
                for sample, by_var in by_sample.items():
                    for var in by_var:
                        if shape.search(var):
                            by_var[var] /= s
                            rescaled += 1
    positional = re.compile(rf"^{coll}_[a-zA-Z]+_[0-9]+$")
    removed = 0
    for out in (ref, cand):
        for name, by_sample in out["histograms"].items():
            if not positional.match(name):
                continue
            for by_ds in by_sample.values():
                for by_cat in by_ds.values():
                    for by_var in by_cat.values():
                        for var in [v for v in by_var if not shape.search(v)]:
                            del by_var[var]
                            removed += 1
    for path, out in ((ref_out, ref), (cand_out, cand)):
        with open(path, "w") as f:
            json.dump(out, f)
    print(f"{rescaled} shape-variation sums rescaled, {removed} nominal-order histograms removed")


if __name__ == "__main__":
    main()
