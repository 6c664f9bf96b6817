"""PocketCoffea 0.9.13 configuration for bench/syst_bench.py: the Z->mumu reference analysis with
pileup and muon scale-factor weights (../../../shared/reference/pocketcoffea_zmumu_sf/config.py,
copied), plus, with BENCH_JES=1, the jet calibration (JetsCalibrator: JEC, no JER — 0.9.13 cannot
apply the 2018 JRV2 scale factor) with four JES sources as shape variations
(params/jets_bench.yaml). Runnable without /cvmfs.

Physics (see the README next to the recorded outputs for the full definition):
  skim          PV_npvsGood >= 1, MET filters, golden JSON (data only),
                >= 1 NanoAOD Muon with pt >= 18, HLT_IsoMu24
  preselection  "dilepton" (custom_cut_functions.py), category "baseline"
  objects       workflow.py with params/object_preselection.yaml
  weights       MC only. Variant "sf" (default here): genWeight x lumi x XS x pileup x sf_mu_id x sf_mu_iso,
                weight variations pileup, sf_mu_id, sf_mu_iso (Up/Down each), corrections read from the
                local 2018 UL correctionlib files (params/corrections_2018_UL.yaml). No calibrators.
                Variants "official" / "loose": genWeight x lumi x XS only, "nominal" the only variation
                (as in ../zmumu_config).

Environment variables:
  ZMUMU_VARIANT      "sf" (default): official selection + pileup / muon SF weights and their variations;
                     "official": the same selection without them; "loose": skim = PV + MET filters +
                     golden JSON only, no preselection, categories baseline / 1mu / dimuon / 2jets
  ZMUMU_FILESET      fileset JSON (file paths are opened relative to the working directory);
                     default: datasets/fileset_small.json, or else fileset_nanoaod.json, next to this file
  ZMUMU_SAMPLES      comma-separated samples to process, default "DATA_SingleMuon,DYJetsToLL"
  ZMUMU_COLUMNS      "1": also store per-event columns (PocketCoffea ColOut); default "0"
  ZMUMU_CORRECTIONS  folder holding puWeights.json.gz and muon_Z.json.gz (2018 UL); default: the first of
                     ../../shared/data/corrections/2018_UL and ../../data/corrections/2018_UL (relative to
                     this file) that exists
"""
import os

import cloudpickle
from omegaconf import OmegaConf
from pocket_coffea.parameters import defaults

HERE = os.path.dirname(os.path.abspath(__file__))


# pocket_coffea.parameters.defaults.setup_cvmfs_resolver scans /cvmfs/cms-griddata.cern.ch
# and raises without it. This replacement registers the same `cvmfs` OmegaConf resolver
# as a plain string formatter; this configuration never opens any of those files.
def _cvmfs_paths_only(group_tags=None):
    def cvmfs_path(period, group, file, tag=None):
        return "/".join(["/cvmfs/cms-griddata.cern.ch/cat/metadata", group, period, tag or "latest", file])

    OmegaConf.register_new_resolver("cvmfs", cvmfs_path, replace=True)


defaults.setup_cvmfs_resolver = _cvmfs_paths_only

from pocket_coffea.lib.calibrators.common.common import JetsCalibrator  # noqa: E402
from pocket_coffea.lib.columns_manager import ColOut  # noqa: E402
from pocket_coffea.lib.cut_functions import (  # noqa: E402
    eventFlags, get_HLTsel, get_nObj_min, get_nPVgood, goldenJson,
)
from pocket_coffea.lib.hist_manager import Axis, HistConf  # noqa: E402
from pocket_coffea.lib.weights.common import common_weights  # noqa: E402
from pocket_coffea.parameters.cuts import passthrough  # noqa: E402
from pocket_coffea.parameters.histograms import count_hist, jet_hists, muon_hists  # noqa: E402
from pocket_coffea.utils.configurator import Configurator  # noqa: E402

import custom_cut_functions  # noqa: E402
import workflow  # noqa: E402
from custom_cut_functions import dimuon_presel  # noqa: E402
from workflow import ZmumuBaseProcessor  # noqa: E402

# ship the two local modules inside the pickled processor (futures workers cannot import them)
for _module in (workflow, custom_cut_functions):
    cloudpickle.register_pickle_by_value(_module)


# ---- correction files (local copies of the CMS jsonpog-integration 2018 UL files) ----------
def _corrections_dir():
    chosen = os.environ.get("ZMUMU_CORRECTIONS")
    candidates = [chosen] if chosen else [
        os.path.join(HERE, "..", "..", "shared", "data", "corrections", "2018_UL"),  # oracle/zmumu_sf_config
        os.path.join(HERE, "..", "..", "data", "corrections", "2018_UL"),            # shared/reference/pocketcoffea_zmumu_sf
    ]
    for path in candidates:
        if os.path.exists(os.path.join(path, "puWeights.json.gz")):
            return os.path.normpath(os.path.abspath(path))
    raise FileNotFoundError(f"no puWeights.json.gz in {candidates}: set ZMUMU_CORRECTIONS")


# used as ${zmumu_corrections:} in params/corrections_2018_UL.yaml (resolved at load time)
CORRECTIONS_DIR = _corrections_dir()
OmegaConf.register_new_resolver("zmumu_corrections", lambda: CORRECTIONS_DIR, replace=True)


# ---- parameters: package defaults + the four YAML files of params/ ---------------------
defaults.register_configuration_dir("config_dir", os.path.join(HERE, "params"))
parameters = defaults.merge_parameters_from_files(
    defaults.get_default_parameters(),
    *[os.path.join(HERE, "params", name) for name in ("object_preselection.yaml", "triggers.yaml", "plotting.yaml",
                                                       "corrections_2018_UL.yaml", "jets_bench.yaml")],
    update=True,
)


# ---- inputs -------------------------------------------------------------------------------
def _fileset_path():
    chosen = os.environ.get("ZMUMU_FILESET")
    if chosen:
        return chosen
    for candidate in ("datasets/fileset_small.json", "fileset_nanoaod.json"):
        path = os.path.join(HERE, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError("no default fileset next to config.py: set ZMUMU_FILESET")


samples = os.environ.get("ZMUMU_SAMPLES", "DATA_SingleMuon,DYJetsToLL").split(",")


# ---- selection ----------------------------------------------------------------------------
base_skim = [get_nPVgood(1), eventFlags, goldenJson]
variant = os.environ.get("ZMUMU_VARIANT", "sf")
if variant in ("official", "sf"):
    # muon-triggered events: one raw muon above 18 GeV and the SingleMuon paths of
    # triggers.yaml (OR of the paths present in the file), applied to data and MC alike
    skim = base_skim + [get_nObj_min(1, 18.0, "Muon"), get_HLTsel(primaryDatasets=["SingleMuon"])]
    preselections = [dimuon_presel]
    categories = {"baseline": [passthrough]}
elif variant == "loose":
    # not part of the official example: a looser selection that keeps far more events
    # in the histograms, for dense bin-by-bin comparisons
    skim = base_skim
    preselections = [passthrough]
    categories = {
        "baseline": [passthrough],
        "1mu": [get_nObj_min(1, coll="MuonGood")],
        "dimuon": [dimuon_presel],
        "2jets": [get_nObj_min(2, coll="JetGood")],
    }
else:
    raise ValueError(f"ZMUMU_VARIANT must be 'sf', 'official' or 'loose', not {variant!r}")


# ---- per-event columns (optional; PocketCoffea adds the raw "weight" column itself) ---------
def _columns():
    if os.environ.get("ZMUMU_COLUMNS", "0") != "1":
        return None
    event_fields = ["run", "luminosityBlock", "event", "nMuonGood", "nElectronGood",
                    "nJetGood", "nBJetGood", "JetGood_Ht"]
    stored = [
        ColOut("events", event_fields, store_size=False),
        ColOut("ll", ["mass", "pt", "eta", "phi", "charge", "deltaR"], store_size=False),
        ColOut("MuonGood", ["pt", "eta", "phi", "mass", "charge", "pfRelIso04_all"]),
        ColOut("JetGood", ["pt", "eta", "phi", "jetId", "puId", "btagDeepFlavB"]),
    ]
    return {"common": {"inclusive": stored, "bycategory": {}}, "bysample": {}}


# ---- histograms ---------------------------------------------------------------------------
def _histograms():
    hists = {}
    hists.update(muon_hists(coll="MuonGood", pos=0))                  # MuonGood_{pt,eta,phi}_1
    for name, coll, nbins in (("nElectronGood", "ElectronGood", 3), ("nMuonGood", "MuonGood", 3),
                              ("nJets", "JetGood", 8), ("nBJets", "BJetGood", 8)):
        hists.update(count_hist(name=name, coll=coll, bins=nbins, start=0, stop=nbins))
    for pos in (0, 1):
        hists.update(jet_hists(coll="JetGood", pos=pos))               # JetGood_{pt,eta,phi}_{1,2}

    def one_axis(coll, field, bins, start, stop, label, pos=None):
        return HistConf([Axis(coll=coll, field=field, pos=pos, bins=bins, start=start, stop=stop, label=label)])

    mll_label = r"$M_{\ell\ell}$ [GeV]"
    hists["mll"] = one_axis("ll", "mass", 100, 0, 200, mll_label)
    hists["mll_50_150"] = one_axis("ll", "mass", 100, 50, 150, mll_label)
    hists["mu1_pt"] = one_axis("MuonGood", "pt", 50, 0, 200, r"leading $\mu$ $p_T$ [GeV]", pos=0)
    hists["mu1_eta"] = one_axis("MuonGood", "eta", 48, -2.4, 2.4, r"leading $\mu$ $\eta$", pos=0)
    hists["nJetGood"] = one_axis("events", "nJetGood", 10, 0, 10, r"$N_{jets}$")
    hists["jets_pt"] = one_axis("JetGood", "pt", 50, 0, 500, r"all good jets $p_T$ [GeV]")
    return hists


# ---- weights (MC only; data events get weight 1) -------------------------------------------
base_weights = ["genWeight", "lumi", "XS"]
if variant == "sf":
    # pileup: Collisions18_UltraLegacy_goldenJSON(Pileup_nTrueInt); sf_mu_id / sf_mu_iso: product over
    # MuonGood of the muon_Z.json.gz SFs at (|eta|, pt); each with Up/Down variations
    corrections = ["pileup", "sf_mu_id", "sf_mu_iso"]
else:
    corrections = []
weights = {"common": {"inclusive": base_weights + corrections, "bycategory": {}}, "bysample": {}}
weight_variations = {"weights": {"common": {"inclusive": list(corrections), "bycategory": {}}, "bysample": {}}}
JES = os.environ.get("BENCH_JES", "0") == "1"
if JES:
    weight_variations["shape"] = {"common": {"inclusive": ["jet_calibration"], "bycategory": {}}, "bysample": {}}

cfg = Configurator(
    parameters=parameters,
    datasets={
        "jsons": [_fileset_path()],
        "filter": {"samples": samples, "samples_exclude": [], "year": ["2018"]},
    },
    workflow=ZmumuBaseProcessor,
    calibrators=[JetsCalibrator] if JES else [],
    skim=skim,
    preselections=preselections,
    categories=categories,
    weights_classes=common_weights,
    weights=weights,
    variations=weight_variations,
    columns=_columns(),
    variables=_histograms(),
)
