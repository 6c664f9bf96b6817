#!/usr/bin/env python
"""Synthetic CMS NanoAOD-like ROOT files (TTree `Events`, NanoAOD v9 branch names/types).

Run with a Python that has PyROOT (here: ROOT 6.40.00 from PyPI, $ROOTVENV):

    python -W ignore gen_synthetic_nanoaod.py --process dy   --events 200000 --seed 1 \
        --compression lzma9 --out dy_2018.root
    python -W ignore gen_synthetic_nanoaod.py --process data --events 150000 --seed 3 \
        --compression lzma9 --golden-json Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt \
        --out data_2018_SingleMuon.root

Layout written (as CMS NanoAOD):
  * `Events`: flat branches (`run/i`, `luminosityBlock/i`, `event/l`, `HLT_*/O`, `Flag_*/O`,
    `PV_npvs/I`, `MET_pt/F`, ...) and leaf-count jagged arrays: `nMuon/i` (UInt_t counter) and
    `Muon_pt[nMuon]/F`, `Muon_charge[nMuon]/I`, `Muon_tightId[nMuon]/O`, `Muon_pfIsoId[nMuon]/b`, ...
    Floats carry NanoAOD-like reduced mantissas (CMSSW MiniFloatConverter rounding).
    MC-only branches (absent in data, as in real NanoAOD): genWeight, Pileup_*, *_genPartFlav,
    Jet_hadronFlavour, Jet_partonFlavour.
  * `Runs`: MC: one entry, run/i, genEventCount/L, genEventSumw/D, genEventSumw2/D;
    data: one entry per run, run/i only.
  * `LuminosityBlocks`: run/i, luminosityBlock/i, one entry per distinct (run, lumi).
Compression: lzma9 = 209 (ROOT kLZMA=2, level 9; CMS NanoAOD setting), zstd5 = 505,
zlib1 = 101, lz4 = 404 (level 4). `--autoflush N` = TTree::SetAutoFlush(N entries) = cluster size.
The TFile is opened with the bare file name inside the output directory, so the name stored
in the file is only the base name of --out (no directory); its title is the generator command.

Physics model (simple, deterministic given --seed; TRandom3 with seed+1000):
  dy   : Z/gamma* -> mumu 45 %, ee 45 %, tautau 10 %. Mass: 90 % Breit-Wigner(91.19, 2.495),
         10 % power-law continuum m^-4 from 50 GeV (both truncated to [50, 3000]); Z pT
         exponential (75 % mean 7 GeV, 25 % mean 25 GeV); rapidity Gaussian(0, 2.0); isotropic
         2-body decay; taus decay leptonically (17.4 % mu, 17.8 % e, collinear, V-A energy
         fraction) or hadronically (visible jet); hadronic recoil jets balancing the Z pT;
         pileup jets Poisson(2.5), pT power law from 15 GeV, flat |eta| < 4.7, light b-tag.
         genWeight = +-26331.2 (15 % negative, aMC@NLO-like).
  tt   : dileptonic ttbar: top BW(172.5, 1.42), W BW(80.38, 2.085), isotropic decays, W -> e/mu/tau
         (1/3 each), 2 b jets (high DeepFlavB), Poisson(1) extra jets (0-3), pileup jets, MET from
         neutrinos. genWeight = +-72.97 (0.4 % negative, Powheg-like).
  data : 90 % dy-like + 10 % tt-like events (no MC-only branches); run/lumi from the 2018 eras
         A-D: 90 % inside the golden JSON, 10 % outside (golden run with a lumi outside its
         ranges, or a run not in the JSON); events sorted by (run, lumi); event numbers
         lumi*2000003 + offset (> 2^32 for lumi >= 2148).
  Reconstruction: |eta| < 2.5 for leptons; muons stored if pt > 3 (eff. 98 %), electrons
  if pt > 5 (eff. 93 %, 50 % in 1.4442-1.566); pT resolution muons 1.5-2.5 %, electrons
  2.5 % (barrel) / 4 % (endcap), jets 5 % (+) 90 %/sqrt(pT); charge flips; isolation from
  exponentials; non-prompt/fake muons and electrons (Poisson, soft, mostly non-isolated);
  leptons often also clustered as jets (exercise dR cleaning); HLT_IsoMu24 fires with 92 %
  if a reco muon has pt > 26 and |eta| < 2.4; HLT_Ele32_WPTight_Gsf 90 % for an electron
  pt > 34, |eta| < 2.1; each Flag_* true with 99.5 %; 0.3 % of events have PV_npvsGood = 0.

--systematics-branches appends (after all other branches) Jet_area, MET_MetUnclustEnUpDeltaX/Y,
nCorrT1METJet + CorrT1METJet_rawPt/eta/phi/area/muonSubtrFactor and, MC only, Jet_genJetIdx,
nGenJet + GenJet_pt/eta/phi/mass, nPSWeight + PSWeight[4], nLHEScaleWeight + LHEScaleWeight[9],
L1PreFiringWeight_Dn/Nom/Up (NanoAOD v9 types). They are drawn from a separate TRandom3 reseeded
per event from (--seed, entry index); reconstruct() only records bookkeeping (true-jet index of each
stored jet, jets smeared below 15 GeV, the unclustered MET term) without extra draws, so every other
branch has exactly the same content with and without the option. Models: see fillSyst() below.
--met-branches (cortado's addition to the generator of ../shared/tools, with --systematics-branches) appends
Jet_muonSubtrFactor, Jet_chEmEF and Jet_neEmEF, which the type-1 MET needs, from a third random stream reseeded
per event; every other branch keeps exactly the same content. Model (per jet): a jet made from a lepton
(Jet_truth -1) is a muon jet or an electron jet with probability 1/2 each: muon jets have muonSubtrFactor
Uniform(0.6, 0.98) and small EM fractions, electron jets chEmEF Uniform(0.85, 0.99); other jets have
muonSubtrFactor 0 (97 %) or Uniform(0.02, 0.3), chEmEF Uniform(0, 0.35) and neEmEF Uniform(0, 0.45)
(6-bit mantissas, as NanoAOD stores them).
Note: Jet_pt/Jet_rawFactor keep their existing model (raw/corrected = 1 - rawFactor), which is
NOT the real Summer19UL18 JEC: re-applying L1L2L3 to the raw pt gives ~0.88x Jet_pt (median).
"""
import argparse
import json
import os
import sys
import time

COMPRESSION = {"lzma9": 209, "zstd5": 505, "zlib1": 101, "lz4": 404}
PROCESS = {"dy": 0, "tt": 1, "data": 2}

CPP = r'''
#include <TFile.h>
#include <TTree.h>
#include <TRandom3.h>
#include <TLorentzVector.h>
#include <TVector3.h>
#include <TString.h>
#include <vector>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <set>
#include <utility>

namespace synth {

const double PI = M_PI;
const double MMU = 0.1056583745, MEL = 0.000510998950, MTAU = 1.77686;

// CMSSW PhysicsTools/NanoAOD MiniFloatConverter::reduceMantissaToNbitsRounding
static inline float rmant(double d, int bits) {
  float f = (float)d;
  if (bits <= 0 || bits >= 23) return f;
  const uint32_t shift = 23 - bits;
  const uint32_t mask = (0xFFFFFFFFu >> shift) << shift;
  const uint32_t test = 1u << (shift - 1);
  const uint32_t low23 = 0x007FFFFFu, hi9 = 0xFF800000u;
  uint32_t i; std::memcpy(&i, &f, 4);
  if (i & test) {
    uint32_t mantissa = (i & low23) >> shift;
    if (mantissa < (low23 >> shift)) mantissa++;
    i = (i & hi9) | (mantissa << shift);
  }
  i &= mask;
  float o; std::memcpy(&o, &i, 4);
  return o;
}

static inline double dphi(double a) { while (a > PI) a -= 2 * PI; while (a <= -PI) a += 2 * PI; return a; }

struct TrueLep { TLorentzVector p; int flav; int charge; int origin; };   // origin 1 = W/Z, 15 = tau decay
struct TrueJet { TLorentzVector p; int hflav; int pflav; int kind; };    // kind 0 recoil/ISR, 1 b(top), 2 pileup, 4 tau_h
struct TrueEv { std::vector<TrueLep> leps; std::vector<TrueJet> jets; double nux = 0, nuy = 0; bool isTT = false; };

struct RMu { float pt, eta, phi, mass, iso04, iso03, dxy, dz; int charge; bool tight, medium, loose; UChar_t pfIsoId, highPtId, genFlav; };
struct REl { float pt, eta, phi, mass, detaSC, iso03, dxy, dz; int charge, cutBased; bool wp80, wp90; UChar_t lostHits, genFlav; };
struct RJet { float pt, eta, phi, mass, btag, rawFactor; int jetId, puId, hflav, pflav; UChar_t nConst; int truth; };  // truth: index in TrueEv::jets, -1 lepton jet
// Bookkeeping of reconstruct() for --systematics-branches (filled without any random draw)
struct LowJet { int truth; double pt, eta, phi; };   // true jet reconstructed below the Jet threshold
struct SystInfo { std::vector<LowJet> low; double ux = 0, uy = 0; };  // ux/uy: unclustered MET term

class Gen {
 public:
  TRandom3 r;
  explicit Gen(unsigned seed) : r(seed) {}

  double bw(double m0, double g, double lo, double hi) {
    for (;;) { double m = m0 + 0.5 * g * std::tan(PI * (r.Rndm() - 0.5)); if (m > lo && m < hi) return m; }
  }
  // density ~ x^-(a+1) for x >= xmin
  double powlaw(double xmin, double a, double xmax) {
    for (;;) { double x = xmin * std::pow(r.Rndm(), -1.0 / a); if (x < xmax) return x; }
  }
  TLorentzVector ptyphim(double pt, double y, double phi, double m) {
    double mt = std::sqrt(m * m + pt * pt); TLorentzVector v;
    v.SetPxPyPzE(pt * std::cos(phi), pt * std::sin(phi), mt * std::sinh(y), mt * std::cosh(y)); return v;
  }
  void decay2(const TLorentzVector& P, double m1, double m2, TLorentzVector& d1, TLorentzVector& d2) {
    double M = P.M();
    double a = (M * M - (m1 + m2) * (m1 + m2)), b = (M * M - (m1 - m2) * (m1 - m2));
    double p = (a > 0 && b > 0) ? std::sqrt(a * b) / (2 * M) : 0.0;
    double cth = r.Uniform(-1, 1), sth = std::sqrt(std::max(0.0, 1 - cth * cth)), ph = r.Uniform(-PI, PI);
    d1.SetXYZM(p * sth * std::cos(ph), p * sth * std::sin(ph), p * cth, m1);
    d2.SetXYZM(-p * sth * std::cos(ph), -p * sth * std::sin(ph), -p * cth, m2);
    TVector3 bv = P.BoostVector(); d1.Boost(bv); d2.Boost(bv);
  }
  int lightPflav() { double u = r.Rndm(); if (u < 0.55) return 21; int q = 1 + (int)(r.Rndm() * 3); return r.Rndm() < 0.5 ? q : -q; }
  void flavours(double pb, double pc, int& h, int& p) {
    double u = r.Rndm();
    if (u < pb) { h = 5; p = r.Rndm() < 0.5 ? 5 : -5; } else if (u < pb + pc) { h = 4; p = r.Rndm() < 0.5 ? 4 : -4; } else { h = 0; p = lightPflav(); }
  }
  // tau -> mu/e (collinear, unpolarised V-A energy fraction) or hadrons (visible jet)
  void tauDecay(const TLorentzVector& tau, int charge, TrueEv& ev) {
    double u = r.Rndm();
    if (u < 0.352) {
      int flav = (u < 0.174) ? 13 : 11;
      double x;
      for (;;) { x = r.Rndm(); double f = (5 - 9 * x * x + 4 * x * x * x) / 5.0; if (r.Rndm() < f) break; }
      TLorentzVector l; double m = flav == 13 ? MMU : MEL;
      l.SetXYZM(x * tau.Px(), x * tau.Py(), x * tau.Pz(), m);
      ev.leps.push_back({l, flav, charge, 15});
      ev.nux += (1 - x) * tau.Px(); ev.nuy += (1 - x) * tau.Py();
    } else {
      double x = r.Uniform(0.25, 1.0);
      TLorentzVector j; j.SetXYZM(x * tau.Px(), x * tau.Py(), x * tau.Pz(), r.Uniform(0.14, 1.5));
      ev.jets.push_back({j, 0, 0, 4});
      ev.nux += (1 - x) * tau.Px(); ev.nuy += (1 - x) * tau.Py();
    }
  }
  void pileupJets(TrueEv& ev) {
    int n = r.Poisson(2.5);
    for (int k = 0; k < n; ++k) {
      double pt = powlaw(15.0, 3.0, 1000.0), eta = r.Uniform(-4.7, 4.7), phi = r.Uniform(-PI, PI);
      TLorentzVector j; j.SetPtEtaPhiM(pt, eta, phi, pt * std::fabs(0.10 + 0.04 * r.Gaus()));
      ev.jets.push_back({j, 0, 0, 2});
    }
  }
  TrueEv dy() {
    TrueEv ev;
    double m = (r.Rndm() < 0.10) ? powlaw(50.0, 3.0, 3000.0) : bw(91.19, 2.495, 50.0, 3000.0);
    double pt = (r.Rndm() < 0.75) ? r.Exp(7.0) : r.Exp(25.0);
    double y = r.Gaus(0, 2.0), phi = r.Uniform(-PI, PI);
    TLorentzVector Z = ptyphim(pt, y, phi, m);
    double u = r.Rndm(); int ch = u < 0.45 ? 13 : (u < 0.90 ? 11 : 15);
    double ml = ch == 13 ? MMU : (ch == 11 ? MEL : MTAU);
    TLorentzVector l1, l2; decay2(Z, ml, ml, l1, l2);
    if (ch != 15) { ev.leps.push_back({l1, ch, -1, 1}); ev.leps.push_back({l2, ch, +1, 1}); }
    else { tauDecay(l1, -1, ev); tauDecay(l2, +1, ev); }
    // hadronic recoil balancing the Z pT
    if (pt > 8.0) {
      int nj = 1 + std::min(2, (int)r.Poisson(0.3));
      double w[3], ws = 0; for (int k = 0; k < nj; ++k) { w[k] = r.Exp(1.0); ws += w[k]; }
      for (int k = 0; k < nj; ++k) {
        double jpt = pt * w[k] / ws, jphi = dphi(phi + PI + r.Gaus(0, nj == 1 ? 0.15 : 0.5));
        double jeta = std::max(-4.69, std::min(4.69, y + r.Gaus(0, 1.8)));
        TLorentzVector j; j.SetPtEtaPhiM(jpt, jeta, jphi, jpt * std::fabs(0.12 + 0.04 * r.Gaus()));
        int h, p; flavours(0.06, 0.08, h, p); ev.jets.push_back({j, h, p, 0});
      }
    }
    pileupJets(ev);
    return ev;
  }
  void wDecay(const TLorentzVector& W, int wcharge, TrueEv& ev) {
    double u = r.Rndm(); int fl = u < 1.0 / 3 ? 11 : (u < 2.0 / 3 ? 13 : 15);
    double ml = fl == 13 ? MMU : (fl == 11 ? MEL : MTAU);
    TLorentzVector l, nu; decay2(W, ml, 0.0, l, nu);
    ev.nux += nu.Px(); ev.nuy += nu.Py();
    if (fl == 15) tauDecay(l, wcharge, ev); else ev.leps.push_back({l, fl, wcharge, 1});
  }
  TrueEv tt() {
    TrueEv ev; ev.isTT = true;
    double mt1 = bw(172.5, 1.42, 150, 195), mt2 = bw(172.5, 1.42, 150, 195);
    double pt = r.Exp(50.0) + r.Exp(50.0), phi = r.Uniform(-PI, PI);
    double kpt = r.Exp(30.0), kphi = r.Uniform(-PI, PI);   // ISR kick
    TLorentzVector t1 = ptyphim(pt, r.Gaus(0, 1.1), phi, mt1);
    double px2 = -pt * std::cos(phi) + kpt * std::cos(kphi), py2 = -pt * std::sin(phi) + kpt * std::sin(kphi);
    TLorentzVector t2 = ptyphim(std::hypot(px2, py2), r.Gaus(0, 1.1), std::atan2(py2, px2), mt2);
    const TLorentzVector* tops[2] = {&t1, &t2};
    for (int k = 0; k < 2; ++k) {
      double mw = bw(80.38, 2.085, 60.0, std::min(100.0, tops[k]->M() - 5.0));
      TLorentzVector b, W; decay2(*tops[k], 4.8, mw, b, W);
      ev.jets.push_back({b, 5, k == 0 ? 5 : -5, 1});
      wDecay(W, k == 0 ? +1 : -1, ev);
    }
    // extra (ISR) jets: Poisson(1) capped at 3; the first one balances the kick
    int nx = std::min(3, (int)r.Poisson(1.0));
    for (int k = 0; k < nx; ++k) {
      double jpt = (k == 0 && kpt > 20) ? kpt * (0.8 + 0.2 * r.Rndm()) : powlaw(20.0, 2.2, 1500.0);
      double jphi = (k == 0 && kpt > 20) ? dphi(kphi + PI + r.Gaus(0, 0.2)) : r.Uniform(-PI, PI);
      TLorentzVector j; j.SetPtEtaPhiM(jpt, std::max(-4.69, std::min(4.69, r.Gaus(0, 2.0))), jphi, jpt * std::fabs(0.12 + 0.04 * r.Gaus()));
      int h, p; flavours(0.05, 0.10, h, p); ev.jets.push_back({j, h, p, 0});
    }
    pileupJets(ev);
    return ev;
  }
  float btag(int hflav, double absEta) {
    double v;
    if (absEta > 2.5) v = r.Exp(0.01);
    else if (hflav == 5) v = (r.Rndm() < 0.78) ? 1.0 - r.Exp(0.06) : r.Exp(0.10);
    else if (hflav == 4) v = (r.Rndm() < 0.15) ? 1.0 - r.Exp(0.25) : r.Exp(0.06);
    else v = (r.Rndm() < 0.01) ? r.Rndm() : r.Exp(0.02);
    return (float)std::max(0.0005, std::min(0.9995, v));
  }
};

struct Writer {
  // Event branches (NanoAOD v9 names/types)
  static const int M = 64;
  UInt_t run, luminosityBlock; ULong64_t event;
  Bool_t HLT_IsoMu24, HLT_IsoMu27, HLT_Mu50, HLT_Ele32_WPTight_Gsf;
  Bool_t Flag_goodVertices, Flag_globalSuperTightHalo2016Filter, Flag_HBHENoiseFilter, Flag_HBHENoiseIsoFilter,
      Flag_EcalDeadCellTriggerPrimitiveFilter, Flag_BadPFMuonFilter, Flag_BadPFMuonDzFilter, Flag_eeBadScFilter, Flag_ecalBadCalibFilter;
  Int_t PV_npvs, PV_npvsGood, Pileup_nPU; Float_t Pileup_nTrueInt, genWeight, fixedGridRhoFastjetAll;
  Float_t MET_pt, MET_phi, RawMET_pt, RawMET_phi;
  UInt_t nMuon; Float_t Muon_pt[M], Muon_eta[M], Muon_phi[M], Muon_mass[M], Muon_pfRelIso04_all[M], Muon_pfRelIso03_all[M], Muon_dxy[M], Muon_dz[M];
  Int_t Muon_charge[M]; Bool_t Muon_tightId[M], Muon_mediumId[M], Muon_looseId[M]; UChar_t Muon_pfIsoId[M], Muon_highPtId[M], Muon_genPartFlav[M];
  UInt_t nElectron; Float_t Electron_pt[M], Electron_eta[M], Electron_phi[M], Electron_mass[M], Electron_deltaEtaSC[M], Electron_pfRelIso03_all[M], Electron_dxy[M], Electron_dz[M];
  Int_t Electron_charge[M], Electron_cutBased[M]; Bool_t Electron_mvaFall17V2Iso_WP80[M], Electron_mvaFall17V2Iso_WP90[M]; UChar_t Electron_lostHits[M], Electron_genPartFlav[M];
  UInt_t nJet; Float_t Jet_pt[M], Jet_eta[M], Jet_phi[M], Jet_mass[M], Jet_btagDeepFlavB[M], Jet_rawFactor[M];
  Int_t Jet_jetId[M], Jet_puId[M], Jet_hadronFlavour[M], Jet_partonFlavour[M]; UChar_t Jet_nConstituents[M];
  // --systematics-branches (separate random stream)
  Int_t Jet_truth[M];   // not written: index of the true jet of each stored jet (-1: lepton jet)
  Float_t Jet_area[M]; Int_t Jet_genJetIdx[M];
  UInt_t nGenJet; Float_t GenJet_pt[M], GenJet_eta[M], GenJet_phi[M], GenJet_mass[M];
  Float_t MET_MetUnclustEnUpDeltaX, MET_MetUnclustEnUpDeltaY;
  UInt_t nPSWeight; Float_t PSWeight[4];
  UInt_t nLHEScaleWeight; Float_t LHEScaleWeight[9];
  Float_t L1PreFiringWeight_Dn, L1PreFiringWeight_Nom, L1PreFiringWeight_Up;
  UInt_t nCorrT1METJet; Float_t CorrT1METJet_area[M], CorrT1METJet_eta[M], CorrT1METJet_muonSubtrFactor[M], CorrT1METJet_phi[M], CorrT1METJet_rawPt[M];
  // --met-branches (a third random stream)
  Float_t Jet_muonSubtrFactor[M], Jet_chEmEF[M], Jet_neEmEF[M];
  void bookMet(TTree& t) {
    t.Branch("Jet_muonSubtrFactor", Jet_muonSubtrFactor, "Jet_muonSubtrFactor[nJet]/F");
    t.Branch("Jet_chEmEF", Jet_chEmEF, "Jet_chEmEF[nJet]/F");
    t.Branch("Jet_neEmEF", Jet_neEmEF, "Jet_neEmEF[nJet]/F");
  }

  void book(TTree& t, bool isMC) {
#define B(name, type) t.Branch(#name, &name, #name "/" type)
#define A(name, cnt, type) t.Branch(#name, name, #name "[" #cnt "]/" type)
    B(run, "i"); B(luminosityBlock, "i"); B(event, "l");
    B(HLT_IsoMu24, "O"); B(HLT_IsoMu27, "O"); B(HLT_Mu50, "O"); B(HLT_Ele32_WPTight_Gsf, "O");
    B(Flag_goodVertices, "O"); B(Flag_globalSuperTightHalo2016Filter, "O"); B(Flag_HBHENoiseFilter, "O");
    B(Flag_HBHENoiseIsoFilter, "O"); B(Flag_EcalDeadCellTriggerPrimitiveFilter, "O"); B(Flag_BadPFMuonFilter, "O");
    B(Flag_BadPFMuonDzFilter, "O"); B(Flag_eeBadScFilter, "O"); B(Flag_ecalBadCalibFilter, "O");
    B(PV_npvs, "I"); B(PV_npvsGood, "I");
    if (isMC) { B(Pileup_nTrueInt, "F"); B(Pileup_nPU, "I"); B(genWeight, "F"); }
    B(fixedGridRhoFastjetAll, "F");
    B(MET_pt, "F"); B(MET_phi, "F"); B(RawMET_pt, "F"); B(RawMET_phi, "F");
    B(nMuon, "i");
    A(Muon_pt, nMuon, "F"); A(Muon_eta, nMuon, "F"); A(Muon_phi, nMuon, "F"); A(Muon_mass, nMuon, "F");
    A(Muon_charge, nMuon, "I"); A(Muon_tightId, nMuon, "O"); A(Muon_mediumId, nMuon, "O"); A(Muon_looseId, nMuon, "O");
    A(Muon_pfRelIso04_all, nMuon, "F"); A(Muon_pfRelIso03_all, nMuon, "F"); A(Muon_dxy, nMuon, "F"); A(Muon_dz, nMuon, "F");
    A(Muon_pfIsoId, nMuon, "b"); A(Muon_highPtId, nMuon, "b");
    if (isMC) A(Muon_genPartFlav, nMuon, "b");
    B(nElectron, "i");
    A(Electron_pt, nElectron, "F"); A(Electron_eta, nElectron, "F"); A(Electron_phi, nElectron, "F"); A(Electron_mass, nElectron, "F");
    A(Electron_charge, nElectron, "I"); A(Electron_deltaEtaSC, nElectron, "F"); A(Electron_pfRelIso03_all, nElectron, "F");
    A(Electron_mvaFall17V2Iso_WP80, nElectron, "O"); A(Electron_mvaFall17V2Iso_WP90, nElectron, "O"); A(Electron_cutBased, nElectron, "I");
    A(Electron_dxy, nElectron, "F"); A(Electron_dz, nElectron, "F"); A(Electron_lostHits, nElectron, "b");
    if (isMC) A(Electron_genPartFlav, nElectron, "b");
    B(nJet, "i");
    A(Jet_pt, nJet, "F"); A(Jet_eta, nJet, "F"); A(Jet_phi, nJet, "F"); A(Jet_mass, nJet, "F");
    A(Jet_jetId, nJet, "I"); A(Jet_puId, nJet, "I"); A(Jet_btagDeepFlavB, nJet, "F");
    if (isMC) { A(Jet_hadronFlavour, nJet, "I"); A(Jet_partonFlavour, nJet, "I"); }
    A(Jet_rawFactor, nJet, "F"); A(Jet_nConstituents, nJet, "b");
#undef B
#undef A
  }
  // appended after all branches of book(); data: only what data NanoAOD has
  void bookSyst(TTree& t, bool isMC) {
#define B(name, type) t.Branch(#name, &name, #name "/" type)
#define A(name, cnt, type) t.Branch(#name, name, #name "[" #cnt "]/" type)
    A(Jet_area, nJet, "F");
    if (isMC) {
      A(Jet_genJetIdx, nJet, "I");
      B(nGenJet, "i"); A(GenJet_pt, nGenJet, "F"); A(GenJet_eta, nGenJet, "F"); A(GenJet_phi, nGenJet, "F"); A(GenJet_mass, nGenJet, "F");
    }
    B(MET_MetUnclustEnUpDeltaX, "F"); B(MET_MetUnclustEnUpDeltaY, "F");
    if (isMC) {
      B(nPSWeight, "i"); A(PSWeight, nPSWeight, "F");
      B(nLHEScaleWeight, "i"); A(LHEScaleWeight, nLHEScaleWeight, "F");
      B(L1PreFiringWeight_Dn, "F"); B(L1PreFiringWeight_Nom, "F"); B(L1PreFiringWeight_Up, "F");
    }
    B(nCorrT1METJet, "i");
    A(CorrT1METJet_area, nCorrT1METJet, "F"); A(CorrT1METJet_eta, nCorrT1METJet, "F");
    A(CorrT1METJet_muonSubtrFactor, nCorrT1METJet, "F"); A(CorrT1METJet_phi, nCorrT1METJet, "F"); A(CorrT1METJet_rawPt, nCorrT1METJet, "F");
#undef B
#undef A
  }
};

// Reconstruct + fill the branch buffers of one event
void reconstruct(Gen& g, const TrueEv& ev, Writer& w, SystInfo* sx = nullptr) {
  TRandom3& r = g.r;
  double metx = ev.nux, mety = ev.nuy;   // true MET; reco-true differences subtracted below
  double tt = ev.isTT ? 1.0 : 0.0;
  std::vector<RMu> mus; std::vector<REl> els; std::vector<RJet> jets;
  // ---- pileup / vertices
  double nTrue = 0; for (;;) { nTrue = r.Gaus(32.0, 11.0); if (nTrue > 1 && nTrue < 99) break; }
  w.Pileup_nTrueInt = (float)nTrue;
  w.Pileup_nPU = r.Poisson(nTrue);
  w.PV_npvs = std::max(1, (int)r.Poisson(0.72 * nTrue));
  w.PV_npvsGood = (r.Rndm() < 0.003) ? 0 : std::max(1, w.PV_npvs - (int)r.Binomial(w.PV_npvs, 0.04));
  w.fixedGridRhoFastjetAll = rmant(std::max(0.0, 0.55 * nTrue + r.Gaus(0, 2.5)), 10);
  // ---- true leptons -> reco
  for (const auto& L : ev.leps) {
    double eta = L.p.Eta(), pt = L.p.Pt(), phi = L.p.Phi();
    if (std::fabs(eta) > 2.5) continue;
    if (L.flav == 13) {
      if (r.Rndm() > 0.98) continue;
      double s = 0.015 + 0.01 * std::fabs(eta) / 2.5;
      double rpt = pt * (1 + s * r.Gaus());
      if (rpt < 3.0) continue;
      RMu m; m.pt = rmant(rpt, 23); m.eta = rmant(eta + r.Gaus(0, 0.0005), 12); m.phi = rmant(dphi(phi + r.Gaus(0, 0.0005)), 12);
      m.mass = (float)MMU; m.charge = (r.Rndm() < 0.0005) ? -L.charge : L.charge;
      double iso = (r.Rndm() < 0.90) ? r.Exp(0.015 * (1 + 0.5 * tt)) : r.Exp(0.08 * (1 + 0.5 * tt));
      m.iso04 = rmant(iso, 10); m.iso03 = rmant(iso * (0.75 + 0.1 * r.Rndm()), 10);
      double u = r.Rndm(); m.loose = u < 0.995; m.medium = u < 0.985; m.tight = u < 0.97;
      m.dxy = rmant(r.Gaus(0, 0.0015), 10); m.dz = rmant(r.Gaus(0, 0.004), 10);
      m.genFlav = L.origin == 15 ? 15 : 1;
      metx -= (rpt - pt) * std::cos(phi); mety -= (rpt - pt) * std::sin(phi);
      mus.push_back(m);
    } else {
      double aeta = std::fabs(eta);
      double eff = (aeta > 1.4442 && aeta < 1.566) ? 0.5 : 0.93;
      if (r.Rndm() > eff) continue;
      double s = aeta < 1.479 ? 0.025 : 0.04;
      double rpt = pt * (1 + s * r.Gaus());
      if (rpt < 5.0) continue;
      REl e; e.pt = rmant(rpt, 23); e.eta = rmant(eta + r.Gaus(0, 0.001), 12); e.phi = rmant(dphi(phi + r.Gaus(0, 0.001)), 12);
      e.mass = rmant(MEL + std::fabs(r.Gaus(0, 0.004)), 10);
      e.charge = (r.Rndm() < (aeta < 1.479 ? 0.002 : 0.006)) ? -L.charge : L.charge;
      e.detaSC = rmant(r.Gaus(0, 0.012), 10);
      double iso = (r.Rndm() < 0.90) ? r.Exp(0.012 * (1 + 0.5 * tt)) : r.Exp(0.06 * (1 + 0.5 * tt));
      e.iso03 = rmant(iso, 10);
      double u = r.Rndm(); e.wp90 = u < 0.96; e.wp80 = u < 0.90;
      double c = r.Rndm(); e.cutBased = c < 0.78 ? 4 : (c < 0.87 ? 3 : (c < 0.93 ? 2 : (c < 0.97 ? 1 : 0)));
      e.dxy = rmant(r.Gaus(0, 0.003), 10); e.dz = rmant(r.Gaus(0, 0.006), 10);
      double lh = r.Rndm(); e.lostHits = lh < 0.93 ? 0 : (lh < 0.99 ? 1 : 2);
      e.genFlav = L.origin == 15 ? 15 : 1;
      metx -= (rpt - pt) * std::cos(phi); mety -= (rpt - pt) * std::sin(phi);
      els.push_back(e);
    }
  }
  // ---- leptons also clustered as jets (for the dR cleaning)
  std::vector<RJet> lepJets;
  auto lepJet = [&](double pt, double eta, double phi, double prob, double pLepVeto) {
    if (pt < 10 || r.Rndm() > prob) return;
    RJet j; double jpt = pt * (1 + r.Exp(0.10));
    j.pt = jpt; j.eta = eta + r.Gaus(0, 0.02); j.phi = dphi(phi + r.Gaus(0, 0.02));
    j.mass = jpt * std::fabs(0.05 + 0.03 * r.Gaus());
    j.jetId = r.Rndm() < pLepVeto ? 2 : 6; j.puId = 7; j.hflav = 0; j.pflav = 0; j.btag = g.btag(0, std::fabs(eta)); j.truth = -1;
    lepJets.push_back(j);
  };
  for (const auto& m : mus) if (m.genFlav == 1 || m.genFlav == 15) lepJet(m.pt, m.eta, m.phi, 0.35, 0.75);
  for (const auto& e : els) if (e.genFlav == 1 || e.genFlav == 15) lepJet(e.pt, e.eta, e.phi, 0.85, 0.80);
  // ---- fake / non-prompt muons and electrons
  int nfm = r.Poisson(ev.isTT ? 0.5 : 0.15);
  for (int k = 0; k < nfm; ++k) {
    RMu m; double pt = 3 + r.Exp(6.0);
    m.pt = rmant(pt, 23); m.eta = rmant(r.Uniform(-2.5, 2.5), 12); m.phi = rmant(r.Uniform(-PI, PI), 12); m.mass = (float)MMU;
    m.charge = r.Rndm() < 0.5 ? -1 : 1;
    double iso = 0.08 + r.Exp(0.4); m.iso04 = rmant(iso, 10); m.iso03 = rmant(iso * (0.7 + 0.2 * r.Rndm()), 10);
    double u = r.Rndm(); m.loose = u < 0.9; m.medium = u < 0.7; m.tight = u < 0.5;
    m.dxy = rmant(r.Gaus(0, 0.02), 10); m.dz = rmant(r.Gaus(0, 0.05), 10);
    double f = r.Rndm(); m.genFlav = f < 0.4 ? 5 : (f < 0.7 ? 4 : (f < 0.9 ? 3 : 0));
    mus.push_back(m);
  }
  int nfe = r.Poisson(ev.isTT ? 0.4 : 0.15);
  for (int k = 0; k < nfe; ++k) {
    REl e; double pt = 5 + r.Exp(7.0);
    e.pt = rmant(pt, 23); e.eta = rmant(r.Uniform(-2.5, 2.5), 12); e.phi = rmant(r.Uniform(-PI, PI), 12);
    e.mass = rmant(MEL + std::fabs(r.Gaus(0, 0.01)), 10); e.charge = r.Rndm() < 0.5 ? -1 : 1;
    e.detaSC = rmant(r.Gaus(0, 0.02), 10); e.iso03 = rmant(0.05 + r.Exp(0.3), 10);
    double u = r.Rndm(); e.wp90 = u < 0.18; e.wp80 = u < 0.08;
    double c = r.Rndm(); e.cutBased = c < 0.5 ? 0 : (c < 0.75 ? 1 : (c < 0.9 ? 2 : (c < 0.97 ? 3 : 4)));
    e.dxy = rmant(r.Gaus(0, 0.03), 10); e.dz = rmant(r.Gaus(0, 0.06), 10);
    double lh = r.Rndm(); e.lostHits = lh < 0.6 ? 0 : (lh < 0.9 ? 1 : 2);
    double f = r.Rndm(); e.genFlav = f < 0.3 ? 0 : (f < 0.6 ? 3 : (f < 0.8 ? 22 : (f < 0.9 ? 4 : 5)));
    els.push_back(e);
  }
  // ---- jets
  for (size_t ti = 0; ti < ev.jets.size(); ++ti) {
    const TrueJet& J = ev.jets[ti];
    double pt = J.p.Pt(); if (pt <= 0) continue;
    double eta = J.p.Eta(), phi = J.p.Phi();
    if (std::fabs(eta) > 4.7) continue;
    double s = std::sqrt(0.05 * 0.05 + 0.81 / pt);
    double rpt = pt * (1 + s * r.Gaus());
    metx -= (rpt - pt) * std::cos(phi); mety -= (rpt - pt) * std::sin(phi);
    if (rpt < 15.0) { if (sx) sx->low.push_back({(int)ti, rpt, eta, phi}); continue; }
    RJet j; j.pt = rpt; j.truth = (int)ti; j.eta = eta + r.Gaus(0, 0.01); j.phi = dphi(phi + r.Gaus(0, 0.01));
    j.mass = (J.kind == 1) ? rpt * std::fabs(0.12 + 0.04 * r.Gaus()) : std::max(0.0, J.p.M() * (1 + 0.1 * r.Gaus()));
    j.hflav = J.hflav; j.pflav = J.pflav;
    double u = r.Rndm();
    if (J.kind == 2) {  // pileup jet
      j.jetId = u < 0.85 ? 6 : (u < 0.95 ? 2 : 0);
      double p = r.Rndm(); j.puId = p < 0.70 ? 0 : (p < 0.85 ? 4 : (p < 0.93 ? 6 : 7));
    } else {
      j.jetId = u < 0.95 ? 6 : (u < 0.98 ? 2 : 0);
      double p = r.Rndm(); j.puId = p < 0.85 ? 7 : (p < 0.93 ? 6 : (p < 0.97 ? 4 : 0));
    }
    j.btag = g.btag(J.hflav, std::fabs(j.eta));
    jets.push_back(j);
  }
  for (auto& j : lepJets) jets.push_back(j);
  double sumHT = 0;
  for (auto& j : jets) {
    j.rawFactor = rmant(std::max(-0.1, std::min(0.6, 0.05 + 0.6 / std::sqrt(j.pt) + r.Gaus(0, 0.03))), 6);
    j.nConst = (UChar_t)std::min(255, 2 + (int)r.Poisson(4 + j.pt / 8.0));
    j.pt = rmant(j.pt, 10); j.eta = rmant(j.eta, 12); j.phi = rmant(j.phi, 12); j.mass = rmant(j.mass, 10);
    sumHT += j.pt;
  }
  // ---- MET: true neutrinos - reco mismeasurement + unclustered/pileup resolution
  double su = 8.0 + 0.3 * w.Pileup_nPU + 0.02 * sumHT;
  const double ux = r.Gaus(0, su); metx += ux;
  const double uy = r.Gaus(0, su); mety += uy;
  if (sx) { sx->ux = ux; sx->uy = uy; }
  w.MET_pt = (float)std::hypot(metx, mety); w.MET_phi = rmant(std::atan2(mety, metx), 12);
  double rmx = metx, rmy = mety;
  for (const auto& j : jets) { rmx += j.pt * j.rawFactor * std::cos(j.phi); rmy += j.pt * j.rawFactor * std::sin(j.phi); }
  w.RawMET_pt = (float)std::hypot(rmx, rmy); w.RawMET_phi = rmant(std::atan2(rmy, rmx), 12);
  // ---- sort (NanoAOD collections are pT ordered) and fill
  std::stable_sort(mus.begin(), mus.end(), [](const RMu& a, const RMu& b) { return a.pt > b.pt; });
  std::stable_sort(els.begin(), els.end(), [](const REl& a, const REl& b) { return a.pt > b.pt; });
  std::stable_sort(jets.begin(), jets.end(), [](const RJet& a, const RJet& b) { return a.pt > b.pt; });
  w.nMuon = std::min<size_t>(mus.size(), Writer::M);
  bool trgMu = false, trgMu27 = false, trgMu50 = false, trgEle = false;
  for (UInt_t k = 0; k < w.nMuon; ++k) {
    const RMu& m = mus[k];
    w.Muon_pt[k] = m.pt; w.Muon_eta[k] = m.eta; w.Muon_phi[k] = m.phi; w.Muon_mass[k] = m.mass; w.Muon_charge[k] = m.charge;
    w.Muon_tightId[k] = m.tight; w.Muon_mediumId[k] = m.medium; w.Muon_looseId[k] = m.loose;
    w.Muon_pfRelIso04_all[k] = m.iso04; w.Muon_pfRelIso03_all[k] = m.iso03; w.Muon_dxy[k] = m.dxy; w.Muon_dz[k] = m.dz;
    double iso = m.iso04;
    w.Muon_pfIsoId[k] = iso < 0.05 ? 6 : (iso < 0.10 ? 5 : (iso < 0.15 ? 4 : (iso < 0.20 ? 3 : (iso < 0.25 ? 2 : (iso < 0.40 ? 1 : 0)))));
    w.Muon_highPtId[k] = (m.pt > 50 && m.tight) ? 2 : 0;
    w.Muon_genPartFlav[k] = m.genFlav;
    if (m.pt > 26 && std::fabs(m.eta) < 2.4) trgMu = true;
    if (m.pt > 29 && std::fabs(m.eta) < 2.4) trgMu27 = true;
    if (m.pt > 52 && std::fabs(m.eta) < 2.4) trgMu50 = true;
  }
  w.nElectron = std::min<size_t>(els.size(), Writer::M);
  for (UInt_t k = 0; k < w.nElectron; ++k) {
    const REl& e = els[k];
    w.Electron_pt[k] = e.pt; w.Electron_eta[k] = e.eta; w.Electron_phi[k] = e.phi; w.Electron_mass[k] = e.mass;
    w.Electron_charge[k] = e.charge; w.Electron_deltaEtaSC[k] = e.detaSC; w.Electron_pfRelIso03_all[k] = e.iso03;
    w.Electron_mvaFall17V2Iso_WP80[k] = e.wp80; w.Electron_mvaFall17V2Iso_WP90[k] = e.wp90; w.Electron_cutBased[k] = e.cutBased;
    w.Electron_dxy[k] = e.dxy; w.Electron_dz[k] = e.dz; w.Electron_lostHits[k] = e.lostHits; w.Electron_genPartFlav[k] = e.genFlav;
    if (e.pt > 34 && std::fabs(e.eta) < 2.1) trgEle = true;
  }
  w.nJet = std::min<size_t>(jets.size(), Writer::M);
  for (UInt_t k = 0; k < w.nJet; ++k) {
    const RJet& j = jets[k];
    w.Jet_pt[k] = j.pt; w.Jet_eta[k] = j.eta; w.Jet_phi[k] = j.phi; w.Jet_mass[k] = j.mass;
    w.Jet_jetId[k] = j.jetId; w.Jet_puId[k] = j.puId; w.Jet_btagDeepFlavB[k] = rmant(j.btag, 10);
    w.Jet_hadronFlavour[k] = j.hflav; w.Jet_partonFlavour[k] = j.pflav; w.Jet_rawFactor[k] = j.rawFactor; w.Jet_nConstituents[k] = j.nConst;
    w.Jet_truth[k] = j.truth;
  }
  w.HLT_IsoMu24 = trgMu && r.Rndm() < 0.92;
  w.HLT_IsoMu27 = w.HLT_IsoMu24 && trgMu27 && r.Rndm() < 0.97;
  w.HLT_Mu50 = trgMu50 && r.Rndm() < 0.95;
  w.HLT_Ele32_WPTight_Gsf = trgEle && r.Rndm() < 0.90;
  Bool_t* flags[9] = {&w.Flag_goodVertices, &w.Flag_globalSuperTightHalo2016Filter, &w.Flag_HBHENoiseFilter, &w.Flag_HBHENoiseIsoFilter,
                      &w.Flag_EcalDeadCellTriggerPrimitiveFilter, &w.Flag_BadPFMuonFilter, &w.Flag_BadPFMuonDzFilter,
                      &w.Flag_eeBadScFilter, &w.Flag_ecalBadCalibFilter};
  for (int k = 0; k < 9; ++k) *flags[k] = r.Rndm() < 0.995;
}

// ---- --systematics-branches: extra MC/data branches from a separate random stream (one TRandom3 reseeded
// per event from (--seed, entry index)), so that the main stream and every other branch stay unchanged.
static unsigned systSeed(unsigned seed, long i) {   // splitmix64 of (seed, entry); never 0 (TRandom3 seed 0 = time)
  uint64_t z = ((uint64_t)seed << 32) ^ (uint64_t)i ^ 0x53595354ULL;
  z += 0x9E3779B97F4A7C15ULL; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL; z ^= z >> 31;
  unsigned s = (unsigned)(z & 0xFFFFFFFFu); return s ? s : 1u;
}
// AK4 catchment area: core around pi*0.4^2 (~0.50) plus a wider low tail (real NanoAOD: median 0.51, 16-84 % 0.47-0.54)
static float drawArea(TRandom3& q) {
  double a = (q.Rndm() < 0.85) ? q.Gaus(0.505, 0.030) : q.Gaus(0.47, 0.08);
  return rmant(std::max(0.15, std::min(0.75, a)), 10);
}
void fillSyst(TRandom3& q, const TrueEv& ev, const SystInfo& sx, Writer& w, bool isMC) {
  for (UInt_t k = 0; k < w.nJet; ++k) w.Jet_area[k] = drawArea(q);
  if (isMC) {
    // GenJet: true hadronic jets (recoil/ISR, b, tau_h visible; not pileup jets, not leptons) with pt > 10, pt ordered
    std::vector<int> gi;
    for (size_t ti = 0; ti < ev.jets.size(); ++ti) if (ev.jets[ti].kind != 2 && ev.jets[ti].p.Pt() > 10.0) gi.push_back((int)ti);
    std::stable_sort(gi.begin(), gi.end(), [&](int a, int b) { return ev.jets[a].p.Pt() > ev.jets[b].p.Pt(); });
    w.nGenJet = std::min<size_t>(gi.size(), Writer::M);
    std::vector<int> gmap(ev.jets.size(), -1);
    for (UInt_t k = 0; k < w.nGenJet; ++k) {
      const TLorentzVector& p = ev.jets[gi[k]].p; gmap[gi[k]] = (int)k;
      w.GenJet_pt[k] = (float)p.Pt(); w.GenJet_eta[k] = rmant(p.Eta(), 12); w.GenJet_phi[k] = rmant(p.Phi(), 12);
      w.GenJet_mass[k] = rmant(std::max(0.0, p.M()), 10);
    }
    // reco jet -> gen jet of its own true jet (-1: pileup jet, lepton jet, or true jet with pt <= 10)
    for (UInt_t k = 0; k < w.nJet; ++k) w.Jet_genJetIdx[k] = w.Jet_truth[k] >= 0 ? gmap[w.Jet_truth[k]] : -1;
  }
  // unclustered energy up: 10 % of the unclustered MET term of reconstruct() + per-candidate resolution
  const double s0 = 1.0 + 0.08 * w.Pileup_nPU;
  const double ex = q.Gaus(0, s0); w.MET_MetUnclustEnUpDeltaX = rmant(0.10 * sx.ux + ex, 10);
  const double ey = q.Gaus(0, s0); w.MET_MetUnclustEnUpDeltaY = rmant(0.10 * sx.uy + ey, 10);
  if (isMC) {
    // PSWeight (NanoAOD v9 order): [0] ISR=2 FSR=1, [1] ISR=1 FSR=2, [2] ISR=0.5 FSR=1, [3] ISR=1 FSR=0.5
    int nisr = 0; for (const auto& J : ev.jets) if (J.kind == 0 && J.p.Pt() > 20) ++nisr;
    const double dI = (q.Rndm() < 0.05) ? q.Gaus(0, 0.15) : 0.02 * (nisr - 0.5) + q.Gaus(0, 0.02 + 0.015 * nisr);
    const double dF = (q.Rndm() < 0.05) ? q.Gaus(0, 0.10) : q.Gaus(0, 0.02);
    const double nI = q.Gaus(0, 0.005), nF = q.Gaus(0, 0.005);
    w.nPSWeight = 4;
    w.PSWeight[0] = rmant(std::exp(dI), 14); w.PSWeight[1] = rmant(std::exp(dF), 14);
    w.PSWeight[2] = rmant(std::exp(-0.9 * dI + nI), 14); w.PSWeight[3] = rmant(std::exp(-0.9 * dF + nF), 14);
    // LHEScaleWeight[9]: [3*iR + iF], muR, muF in (0.5, 1, 2); w = exp(a lR + 0.01 lR^2 + b lF + c lR lF), lX = log2(muX);
    // [4] = 1 exactly
    const double a = q.Gaus(-0.12, 0.04), b = q.Gaus(0.0, 0.06), c = q.Gaus(0.0, 0.01);
    w.nLHEScaleWeight = 9;
    for (int m = 0; m < 9; ++m) {
      const int lR = m / 3 - 1, lF = m % 3 - 1;
      w.LHEScaleWeight[m] = (m == 4) ? 1.0f : rmant(std::exp(a * lR + 0.01 * lR * lR + b * lF + c * lR * lF), 14);
    }
    // L1 prefiring (no random draw): product of (1 - p) over stored muons (p = 0.10 % |eta| < 1.24, 0.35 % above,
    // halved below 20 GeV) and jets with 2 < |eta| < 3, pt > 30 (p = 0.002 * min(pt, 200) / 100);
    // uncertainty max(20 % p, 0.0005); as in CMSSW, Up = higher prefiring rate, so Up <= Nom <= Dn <= 1
    double nom = 1, up = 1, dn = 1;
    auto addP = [&](double p) { const double s = std::max(0.2 * p, 0.0005); nom *= 1 - p; up *= 1 - std::min(1.0, p + s); dn *= 1 - std::max(0.0, p - s); };
    for (UInt_t k = 0; k < w.nMuon; ++k) if (w.Muon_pt[k] > 5) addP((std::fabs(w.Muon_eta[k]) < 1.24 ? 0.0010 : 0.0035) * (w.Muon_pt[k] > 20 ? 1.0 : 0.5));
    for (UInt_t k = 0; k < w.nJet; ++k) {
      const double ae = std::fabs(w.Jet_eta[k]);
      if (ae > 2.0 && ae < 3.0 && w.Jet_pt[k] > 30) addP(0.002 * std::min(200.0, (double)w.Jet_pt[k]) / 100.0);
    }
    w.L1PreFiringWeight_Nom = (float)nom; w.L1PreFiringWeight_Up = (float)up; w.L1PreFiringWeight_Dn = (float)dn;
  }
  // CorrT1METJet: jets with corrected pt 10-15 GeV (below the Jet threshold): the true jets that reconstruct() smeared
  // below 15 GeV plus soft pileup jets Poisson(0.15 nPU); raw pt from the same rawFactor model as the Jet collection
  struct CJ { double cpt; float raw, eta, phi, area, msf; };
  std::vector<CJ> cj;
  auto addCJ = [&](double cpt, double eta, double phi) {
    CJ o; o.cpt = cpt;
    const double rf = std::max(-0.1, std::min(0.6, 0.05 + 0.6 / std::sqrt(cpt) + q.Gaus(0, 0.03)));
    o.raw = rmant(cpt * (1 - rf), 10); o.eta = rmant(eta, 12); o.phi = rmant(phi, 12); o.area = drawArea(q);
    o.msf = (q.Rndm() < 0.03) ? rmant(q.Uniform(0.02, 0.4), 6) : 0.0f;
    cj.push_back(o);
  };
  for (const auto& L : sx.low) {
    if (L.pt <= 10.0) continue;
    const double de = q.Gaus(0, 0.01), dp = q.Gaus(0, 0.01);
    addCJ(L.pt, L.eta + de, dphi(L.phi + dp));
  }
  const int nsoft = q.Poisson(0.15 * w.Pileup_nPU);
  for (int k = 0; k < nsoft; ++k) {
    double cpt; do { cpt = 10.0 * std::pow(q.Rndm(), -1.0 / 3.0); } while (cpt >= 15.0);
    const double eta = q.Uniform(-5.0, 5.0), phi = q.Uniform(-PI, PI);
    addCJ(cpt, eta, phi);
  }
  std::stable_sort(cj.begin(), cj.end(), [](const CJ& x, const CJ& y) { return x.cpt > y.cpt; });
  w.nCorrT1METJet = std::min<size_t>(cj.size(), Writer::M);
  for (UInt_t k = 0; k < w.nCorrT1METJet; ++k) {
    w.CorrT1METJet_rawPt[k] = cj[k].raw; w.CorrT1METJet_eta[k] = cj[k].eta; w.CorrT1METJet_phi[k] = cj[k].phi;
    w.CorrT1METJet_area[k] = cj[k].area; w.CorrT1METJet_muonSubtrFactor[k] = cj[k].msf;
  }
}

// --met-branches: muon subtraction and EM fractions of the jets (model in the header)
void fillMet(TRandom3& q, Writer& w) {
  for (UInt_t k = 0; k < w.nJet; ++k) {
    float msf = 0, ch, ne;
    if (w.Jet_truth[k] < 0) {
      if (q.Rndm() < 0.5) { msf = q.Uniform(0.6, 0.98); ch = q.Uniform(0, 0.1); ne = q.Uniform(0, 0.1); }
      else { ch = q.Uniform(0.85, 0.99); ne = q.Uniform(0, 0.1); }
    } else {
      if (q.Rndm() < 0.03) msf = q.Uniform(0.02, 0.3);
      ch = q.Uniform(0, 0.35); ne = q.Uniform(0, 0.45);
    }
    w.Jet_muonSubtrFactor[k] = rmant(msf, 6); w.Jet_chEmEF[k] = rmant(ch, 6); w.Jet_neEmEF[k] = rmant(ne, 6);
  }
}

// process: 0 dy, 1 tt, 2 data
long generate(const char* out, int process, long N, unsigned seed, int compress, long autoflush, const char* title,
              double ttFracData, double goldenFrac,
              const std::vector<unsigned>& gRun, const std::vector<unsigned>& gLo, const std::vector<unsigned>& gHi,
              bool syst, bool met) {
  Gen g(seed + 1000u);
  TRandom3& r = g.r;
  const bool isMC = process != 2;
  TFile f(out, "RECREATE", title, compress);
  if (f.IsZombie()) return -1;
  TTree t("Events", "Events");
  t.SetAutoFlush(autoflush);
  Writer w; w.book(t, isMC);
  if (syst) w.bookSyst(t, isMC);
  if (met) w.bookMet(t);
  TRandom3 q(1);   // separate stream of --systematics-branches, reseeded per event
  TRandom3 qm(1);  // and of --met-branches
  // ---- run / lumi / event numbers
  std::vector<std::pair<unsigned, unsigned>> rl(N);
  std::vector<ULong64_t> evno(N);
  if (isMC) {
    for (long i = 0; i < N; ++i) { rl[i] = {1u, (unsigned)(seed * 1000u + 1 + i / 500)}; evno[i] = (ULong64_t)seed * 100000000ULL + (ULong64_t)i + 1; }
  } else {
    const unsigned eraLo[4] = {315252, 317080, 319337, 320673}, eraHi[4] = {316995, 319310, 320065, 325175};
    std::vector<double> cum; double tot = 0;
    for (size_t k = 0; k < gRun.size(); ++k) { tot += gHi[k] - gLo[k] + 1; cum.push_back(tot); }
    std::set<unsigned> gset(gRun.begin(), gRun.end());
    std::vector<unsigned> uruns(gset.begin(), gset.end());
    double eraW[4]; double eraTot = 0;
    for (int e = 0; e < 4; ++e) { eraW[e] = eraHi[e] - eraLo[e] + 1; eraTot += eraW[e]; }
    auto inGolden = [&](unsigned run, unsigned lumi) {
      for (size_t k = 0; k < gRun.size(); ++k) if (gRun[k] == run && lumi >= gLo[k] && lumi <= gHi[k]) return true;
      return false;
    };
    for (long i = 0; i < N; ++i) {
      if (r.Rndm() < goldenFrac) {
        double u = r.Rndm() * tot; size_t k = std::lower_bound(cum.begin(), cum.end(), u) - cum.begin();
        if (k >= gRun.size()) k = gRun.size() - 1;
        unsigned lumi = gLo[k] + (unsigned)(r.Rndm() * (gHi[k] - gLo[k] + 1)); if (lumi > gHi[k]) lumi = gHi[k];
        rl[i] = {gRun[k], lumi};
      } else if (r.Rndm() < 0.5) {   // golden run, lumi outside its certified ranges
        unsigned run = uruns[(size_t)(r.Rndm() * uruns.size()) % uruns.size()];
        unsigned maxL = 0; for (size_t k = 0; k < gRun.size(); ++k) if (gRun[k] == run) maxL = std::max(maxL, gHi[k]);
        unsigned lumi = 0;
        for (int tries = 0; tries < 1000; ++tries) { unsigned l = 1 + (unsigned)(r.Rndm() * (maxL + 50)); if (!inGolden(run, l)) { lumi = l; break; } }
        if (lumi == 0) lumi = maxL + 1 + (unsigned)(r.Rndm() * 50);
        rl[i] = {run, lumi};
      } else {                          // run of the 2018 eras that is not in the golden JSON
        unsigned run;
        for (;;) {
          double u = r.Rndm() * eraTot; int e = 0; while (e < 3 && u > eraW[e]) { u -= eraW[e]; ++e; }
          run = eraLo[e] + (unsigned)(r.Rndm() * (eraHi[e] - eraLo[e] + 1)); if (run > eraHi[e]) run = eraHi[e];
          if (!gset.count(run)) break;
        }
        rl[i] = {run, 1 + (unsigned)(r.Rndm() * (50 + 400 * r.Rndm()))};
      }
    }
    std::sort(rl.begin(), rl.end());
    ULong64_t base = 0; size_t k0 = 0;
    for (long i = 0; i < N; ++i) {
      if (i == 0 || rl[i] != rl[i - 1]) { base = (ULong64_t)rl[i].second * 2000003ULL + (ULong64_t)(r.Rndm() * 1000000); k0 = i; }
      evno[i] = base + (ULong64_t)(i - k0);
    }
  }
  // ---- events
  double sumw = 0, sumw2 = 0;
  for (long i = 0; i < N; ++i) {
    TrueEv ev;
    if (process == 0) ev = g.dy();
    else if (process == 1) ev = g.tt();
    else ev = (r.Rndm() < ttFracData) ? g.tt() : g.dy();
    w.run = rl[i].first; w.luminosityBlock = rl[i].second; w.event = evno[i];
    if (process == 0) w.genWeight = (r.Rndm() < 0.15 ? -1.f : 1.f) * 26331.2f;
    else if (process == 1) w.genWeight = (r.Rndm() < 0.004 ? -1.f : 1.f) * 72.97f;
    else w.genWeight = 1.f;
    sumw += w.genWeight; sumw2 += (double)w.genWeight * w.genWeight;
    SystInfo sx;
    reconstruct(g, ev, w, syst ? &sx : nullptr);
    if (syst) { q.SetSeed(systSeed(seed, i)); fillSyst(q, ev, sx, w, isMC); }
    if (met) { qm.SetSeed(systSeed(seed + 0x5bd1e995u, i)); fillMet(qm, w); }
    t.Fill();
  }
  t.Write("", TObject::kOverwrite);
  // ---- Runs and LuminosityBlocks trees
  {
    TTree runs("Runs", "Runs");
    UInt_t rrun; Long64_t cnt; Double_t sw, sw2;
    runs.Branch("run", &rrun, "run/i");
    if (isMC) { runs.Branch("genEventCount", &cnt, "genEventCount/L"); runs.Branch("genEventSumw", &sw, "genEventSumw/D"); runs.Branch("genEventSumw2", &sw2, "genEventSumw2/D"); }
    std::set<unsigned> rs; for (auto& p : rl) rs.insert(p.first);
    for (unsigned x : rs) { rrun = x; cnt = N; sw = sumw; sw2 = sumw2; runs.Fill(); }
    runs.Write("", TObject::kOverwrite);
    TTree lbs("LuminosityBlocks", "LuminosityBlocks");
    UInt_t lrun, llumi; lbs.Branch("run", &lrun, "run/i"); lbs.Branch("luminosityBlock", &llumi, "luminosityBlock/i");
    std::set<std::pair<unsigned, unsigned>> ls(rl.begin(), rl.end());
    for (auto& p : ls) { lrun = p.first; llumi = p.second; lbs.Fill(); }
    lbs.Write("", TObject::kOverwrite);
  }
  f.Close();
  return N;
}

}  // namespace synth
'''


def load_golden(path):
    with open(path) as fh:
        d = json.load(fh)
    runs, lo, hi = [], [], []
    for run in sorted(d, key=int):
        for a, b in d[run]:
            runs.append(int(run)); lo.append(int(a)); hi.append(int(b))
    return runs, lo, hi


def default_golden():
    here = os.path.dirname(os.path.abspath(__file__))
    for p in (os.path.join(here, "..", "data", "Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt"),
              "$REF/venv/lib/python3.11/site-packages/pocket_coffea/parameters/datacert/"
              "Cert_314472-325175_13TeV_Legacy2018_Collisions18_JSON.txt"):
        if os.path.exists(p):
            return os.path.abspath(p)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--process", choices=sorted(PROCESS), required=True)
    ap.add_argument("--events", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True, help="non-negative integer; TRandom3 seed = seed + 1000")
    ap.add_argument("--compression", choices=sorted(COMPRESSION), default="lzma9")
    ap.add_argument("--autoflush", type=int, default=10000, help="entries per cluster (TTree::SetAutoFlush)")
    ap.add_argument("--golden-json", default=None, help="2018 golden JSON (data only)")
    ap.add_argument("--data-tt-fraction", type=float, default=0.10)
    ap.add_argument("--golden-fraction", type=float, default=0.90)
    ap.add_argument("--systematics-branches", action="store_true",
                    help="also write Jet_area, GenJet/Jet_genJetIdx, MET_MetUnclustEnUpDelta*, PSWeight, LHEScaleWeight, "
                         "L1PreFiringWeight_*, CorrT1METJet_* (MC; data: Jet_area, MET_MetUnclustEnUpDelta*, CorrT1METJet_*) "
                         "from a separate random stream; all other branches keep exactly the same content")
    ap.add_argument("--met-branches", action="store_true",
                    help="with --systematics-branches: also write Jet_muonSubtrFactor, Jet_chEmEF, Jet_neEmEF "
                         "(type-1 MET inputs) from a third random stream")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.seed < 0:
        ap.error("--seed must be >= 0")

    import ROOT  # noqa: E402  (slow import; after argument parsing)
    ROOT.gROOT.SetBatch(True)
    ROOT.gInterpreter.Declare(CPP)
    runs, lo, hi = [], [], []
    if a.process == "data":
        gj = a.golden_json or default_golden()
        if not gj:
            ap.error("data needs --golden-json")
        runs, lo, hi = load_golden(gj)
    vec = ROOT.std.vector["unsigned int"]
    cmd = "gen_synthetic_nanoaod.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in (("process", a.process), ("events", a.events), ("seed", a.seed),
                                                      ("compression", a.compression), ("autoflush", a.autoflush)))
    if a.systematics_branches:
        cmd += " --systematics-branches"
    if a.met_branches:
        if not a.systematics_branches:
            ap.error("--met-branches needs --systematics-branches")
        cmd += " --met-branches"
    title = f"synthetic NanoAOD-like (not CMS data): {cmd}"
    t0 = time.time()
    # ROOT stores the name the TFile was opened with (TFile/TDirectory fName, in the top key and the
    # directory record). Open it with the bare file name from inside the output directory, so that no
    # directory of the writing machine ends up in the file; the working directory is restored after.
    out_dir, out_name = os.path.split(os.path.abspath(a.out))
    cwd = os.getcwd()
    os.chdir(out_dir)
    try:
        n = ROOT.synth.generate(out_name, PROCESS[a.process], a.events, a.seed, COMPRESSION[a.compression], a.autoflush,
                                title, a.data_tt_fraction, a.golden_fraction, vec(runs), vec(lo), vec(hi),
                                bool(a.systematics_branches), bool(a.met_branches))
    finally:
        os.chdir(cwd)
    if n != a.events:
        sys.exit(f"generation failed ({n})")
    dt = time.time() - t0
    f = ROOT.TFile.Open(a.out)
    t = f.Get("Events")
    it = t.GetClusterIterator(0)
    nclus = 0
    while it() < t.GetEntries():
        nclus += 1
    print(f"wrote {a.out}: {t.GetEntries()} events, {t.GetListOfBranches().GetEntries()} branches, {nclus} clusters, "
          f"compression {f.GetCompressionSettings()}, {os.path.getsize(a.out)} bytes, {dt:.1f} s")
    f.Close()


if __name__ == "__main__":
    main()
