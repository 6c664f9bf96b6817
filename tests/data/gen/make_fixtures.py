"""Writes the small ROOT files of tests/data/gen/ with real ROOT (PyPI `root`, 6.40)
and uproot, to exercise what the CMS NanoAOD files do not: every leaf type, fixed-size
arrays, variable arrays with fixed inner dimensions, uncompressed and ZSTD/LZ4 files,
baskets embedded in the TTree metadata, multi-leaf and string branches, subdirectories.

Usage (from this folder):
  ROOTPY=/path/to/venv-with-root/bin/python UPPY=/path/to/venv-with-uproot/bin/python
  $ROOTPY -W ignore make_fixtures.py root      # the ROOT-written files
  $UPPY make_fixtures.py uproot                # the uproot-written file
Then regenerate the expected values: $UPPY ../../fixtures/make_expected.py (see there).
"""
import sys

CODE = r'''
#include <TFile.h>
#include <TTree.h>
#include <TDirectory.h>
#include <TRandom3.h>
#include <cstring>

void write_alltypes(const char* out, int compress, long n, int basket_size, long autoflush, bool flush) {
  TFile f(out, "RECREATE", "cortado test fixture: every leaf type", compress);
  TTree t("Events", "all NanoAOD leaf types");
  if (autoflush) t.SetAutoFlush(autoflush);
  const int M = 8;
  Bool_t o; Char_t B; UChar_t b; Short_t S; UShort_t s; Int_t I; UInt_t i; Long64_t L; ULong64_t l; Float_t F; Double_t D;
  UInt_t n1; Int_t n2;
  Bool_t jo[M]; Char_t jB[M]; UChar_t jb[M]; Short_t jS[M]; UShort_t js[M]; Int_t jI[M]; UInt_t ji[M];
  Long64_t jL[M]; ULong64_t jl[M]; Float_t jF[M]; Double_t jD[M];
  Float_t fixF[3]; Int_t fixI[2]; Float_t inner[M][2]; Char_t str[32];
  t.Branch("o", &o, "o/O"); t.Branch("B", &B, "B/B"); t.Branch("b", &b, "b/b");
  t.Branch("S", &S, "S/S"); t.Branch("s", &s, "s/s"); t.Branch("I", &I, "I/I"); t.Branch("i", &i, "i/i");
  t.Branch("L", &L, "L/L"); t.Branch("l", &l, "l/l"); t.Branch("F", &F, "F/F"); t.Branch("D", &D, "D/D");
  t.Branch("n1", &n1, "n1/i"); t.Branch("n2", &n2, "n2/I");
  t.Branch("jo", jo, "jo[n1]/O"); t.Branch("jB", jB, "jB[n1]/B"); t.Branch("jb", jb, "jb[n1]/b");
  t.Branch("jS", jS, "jS[n1]/S"); t.Branch("js", js, "js[n1]/s"); t.Branch("jI", jI, "jI[n2]/I");
  t.Branch("ji", ji, "ji[n2]/i"); t.Branch("jL", jL, "jL[n2]/L"); t.Branch("jl", jl, "jl[n2]/l");
  t.Branch("jF", jF, "jF[n1]/F"); t.Branch("jD", jD, "jD[n2]/D");
  t.Branch("fixF", fixF, "fixF[3]/F"); t.Branch("fixI", fixI, "fixI[2]/I");
  t.Branch("inner", inner, "inner[n1][2]/F");
  t.Branch("str", str, "str/C");
  t.Branch("multi", &F, "x/F:y/F");
  for (auto* br : *t.GetListOfBranches()) ((TBranch*)br)->SetBasketSize(basket_size);
  TRandom3 r(7);
  for (long e = 0; e < n; ++e) {
    o = r.Rndm() < 0.3; B = (Char_t)(r.Integer(256) - 128); b = (UChar_t)r.Integer(256);
    S = (Short_t)(r.Integer(65536) - 32768); s = (UShort_t)r.Integer(65536);
    I = (Int_t)(r.Integer(2000000) - 1000000) * 1000; i = 4000000000u - r.Integer(1000000);
    L = (Long64_t)(r.Rndm() * 1e15) - 500000000000000LL; l = 18000000000000000000ULL + r.Integer(1000000);
    F = (Float_t)r.Gaus(0, 100); D = r.Gaus(0, 1e6);
    n1 = r.Poisson(2.0); if (n1 > M) n1 = M; n2 = r.Poisson(1.0); if (n2 > M) n2 = M;
    for (UInt_t k = 0; k < (UInt_t)M; ++k) {
      jo[k] = r.Rndm() < 0.5; jB[k] = (Char_t)(r.Integer(200) - 100); jb[k] = (UChar_t)r.Integer(256);
      jS[k] = (Short_t)(r.Integer(60000) - 30000); js[k] = (UShort_t)r.Integer(65536);
      jI[k] = (Int_t)r.Integer(100000) - 50000; ji[k] = r.Integer(4000000000u);
      jL[k] = (Long64_t)(r.Rndm() * 1e12) - 400000000000LL; jl[k] = 10000000000000000000ULL + r.Integer(1000);
      jF[k] = (Float_t)r.Exp(30); jD[k] = r.Gaus(5, 2); inner[k][0] = (Float_t)r.Rndm(); inner[k][1] = (Float_t)-r.Rndm();
    }
    for (int k = 0; k < 3; ++k) fixF[k] = (Float_t)(e + 0.25 * k);
    fixI[0] = (Int_t)e; fixI[1] = -(Int_t)e;
    snprintf(str, sizeof(str), "entry%ld", e);
    t.Fill();
  }
  if (flush) { t.Write(); }
  else { t.Write("", TObject::kOverwrite); }
  TDirectory* d = f.mkdir("sub");
  d->cd();
  TTree t2("Inner", "tree in a subdirectory");
  Int_t v; t2.Branch("v", &v, "v/I");
  for (int e = 0; e < 10; ++e) { v = e * e; t2.Fill(); }
  t2.Write();
  f.Close();
}

// A small tree kept in memory (no basket written) and saved with its TTree,
// so that every basket is embedded in the TBranch objects.
void write_embedded(const char* out) {
  TFile f(out, "RECREATE", "cortado test fixture: embedded baskets", 101);
  TTree t("Events", "embedded baskets");
  UInt_t n; Float_t pt[8]; Int_t q;
  t.Branch("nMuon", &n, "nMuon/i"); t.Branch("Muon_pt", pt, "Muon_pt[nMuon]/F"); t.Branch("q", &q, "q/I");
  TRandom3 r(3);
  for (int e = 0; e < 57; ++e) { n = r.Poisson(1.5); if (n > 8) n = 8; for (UInt_t k = 0; k < n; ++k) pt[k] = (Float_t)r.Exp(20); q = e - 20; t.Fill(); }
  f.WriteTObject(&t);
  f.Close();
}
'''

def root():
    import ROOT
    ROOT.gInterpreter.Declare(CODE)
    # many baskets and clusters, ZLIB-1 (ROOT's default), LZMA-9, ZSTD-5, LZ4 and uncompressed
    ROOT.write_alltypes("alltypes_zlib.root", 101, 3000, 2000, 700, True)
    ROOT.write_alltypes("alltypes_lzma.root", 209, 1500, 4000, 0, True)
    ROOT.write_alltypes("alltypes_zstd.root", 505, 1500, 4000, 500, True)
    ROOT.write_alltypes("alltypes_lz4.root", 404, 1500, 4000, 500, True)
    ROOT.write_alltypes("alltypes_none.root", 0, 1200, 8000, 400, True)
    ROOT.write_embedded("embedded.root")

def up():
    import numpy as np, awkward as ak, uproot
    rng = np.random.default_rng(11)
    n = 2500
    counts = rng.poisson(1.3, n)
    with uproot.recreate("uproot_zstd.root", compression=uproot.ZSTD(5)) as f:
        t = f.mktree("Events", {"run": "uint32", "event": "uint64", "genWeight": "float32", "HLT_IsoMu24": "bool",
                                "Muon": ak.types.from_datashape('var * {"pt": float32, "charge": int32, "tightId": bool}', highlevel=False)})
        for start in range(0, n, 1000):
            c = counts[start:start + 1000]
            m = len(c)
            tot = int(c.sum())
            muon = ak.zip({"pt": ak.unflatten(rng.exponential(25, tot).astype(np.float32), c),
                           "charge": ak.unflatten(rng.choice([-1, 1], tot).astype(np.int32), c),
                           "tightId": ak.unflatten(rng.random(tot) < 0.7, c)})
            t.extend({"run": np.full(m, 1, np.uint32), "event": np.arange(start, start + m, dtype=np.uint64) + 2**33,
                      "genWeight": rng.choice([-1.0, 1.0], m).astype(np.float32) * 26331.2,
                      "HLT_IsoMu24": rng.random(m) < 0.3, "Muon": muon})
    # Uncompressed and NanoAOD-like, for tests that patch bytes (a negative
    # counter, counts shifted between entries, an entry offset table zeroed,
    # event numbers above 2^63): 3 baskets of 1000 entries per branch.
    rng = np.random.default_rng(12)
    n = 3000
    counts = rng.poisson(1.5, n)
    with uproot.recreate("uproot_none.root", compression=None) as f:
        t = f.mktree("Events", {"run": "uint32", "luminosityBlock": "uint32", "event": "uint64",
                                "genWeight": "float32",
                                "Muon": ak.types.from_datashape('var * {"pt": float32, "eta": float32, "charge": int32}', highlevel=False)})
        for start in range(0, n, 1000):
            c = counts[start:start + 1000]
            m = len(c)
            tot = int(c.sum())
            muon = ak.zip({"pt": ak.unflatten(rng.exponential(25, tot).astype(np.float32), c),
                           "eta": ak.unflatten(rng.normal(0, 1.5, tot).astype(np.float32), c),
                           "charge": ak.unflatten(rng.choice([-1, 1], tot).astype(np.int32), c)})
            t.extend({"run": np.full(m, 1, np.uint32), "luminosityBlock": np.arange(start, start + m, dtype=np.uint32) // 100 + 1,
                      "event": np.arange(start, start + m, dtype=np.uint64) + 2**40,
                      "genWeight": rng.choice([-1.0, 1.0], m).astype(np.float32), "Muon": muon})

if __name__ == "__main__":
    {"root": root, "uproot": up}[sys.argv[1]]()
