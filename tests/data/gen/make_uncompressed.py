"""Writes tests/data/synthetic/dy_small_none.root: the events of dy_small_zstd5.root
(the first 3000) re-written by ROOT without compression (setting 0, clusters of 1000 entries),
for tests that damage basket bytes directly (no checksum can catch those changes).

    python make_uncompressed.py ../synthetic/dy_small_zstd5.root ../synthetic/dy_small_none.root

Needs PyROOT (ROOT 6.40 from PyPI: pip install root).
"""
import sys

import ROOT

src, dst = sys.argv[1], sys.argv[2]
fin = ROOT.TFile.Open(src)
tree = fin.Get("Events")
fout = ROOT.TFile(dst, "RECREATE", "", 0)
fout.SetCompressionSettings(0)
tree.SetBranchStatus("*", 1)
copy = tree.CloneTree(0)
copy.SetAutoFlush(1000)
for i in range(min(3000, tree.GetEntries())):
    tree.GetEntry(i)
    copy.Fill()
copy.Write()
for name in ("Runs", "LuminosityBlocks"):
    other = fin.Get(name)
    fout.cd()
    other.CloneTree(-1).Write()
fout.Close()
