"""PocketCoffea 0.9.13 configuration for bench/syst_bench.py: a tt̄ → ℓℓ analysis (the objects of
workflow.py, the selection ttbar_presel of custom_cut_functions.py, categories by b-jet
multiplicity) with pileup, muon ID/isolation, b-tag shape (sources hf, lf, cferr1) and pileup
jet ID weights and their variations; with BENCH_JES=1 also the jet calibration (JEC, no JER:
0.9.13 cannot evaluate the 2018 JRV2 scale factor) and four JES sources as shape variations
(params/jets_bench.yaml). Runnable without /cvmfs; environment as config.py (ZMUMU_FILESET,
ZMUMU_SAMPLES, ZMUMU_CORRECTIONS).
"""
import os

import cloudpickle
from omegaconf import OmegaConf
from pocket_coffea.parameters import defaults

HERE = os.path.dirname(os.path.abspath(__file__))


def _cvmfs_paths_only(group_tags=None):
    def cvmfs_path(period, group, file, tag=None):
        return "/".join(["/cvmfs/cms-griddata.cern.ch/cat/metadata", group, period, tag or "latest", file])

    OmegaConf.register_new_resolver("cvmfs", cvmfs_path, replace=True)


defaults.setup_cvmfs_resolver = _cvmfs_paths_only

from pocket_coffea.lib.calibrators.common.common import JetsCalibrator  # noqa: E402
from pocket_coffea.lib.cut_functions import (  # noqa: E402
    eventFlags, get_HLTsel, get_nObj_eq, get_nObj_min, get_nObj_min as _min, get_nPVgood, goldenJson,
)
from pocket_coffea.lib.hist_manager import Axis, HistConf  # noqa: E402
from pocket_coffea.lib.weights.common import common_weights  # noqa: E402
from pocket_coffea.utils.configurator import Configurator  # noqa: E402

import custom_cut_functions  # noqa: E402
import workflow  # noqa: E402
from custom_cut_functions import ttbar_presel  # noqa: E402
from workflow import ZmumuBaseProcessor  # noqa: E402

for _module in (workflow, custom_cut_functions):
    cloudpickle.register_pickle_by_value(_module)

CORRECTIONS_DIR = os.path.abspath(os.environ["ZMUMU_CORRECTIONS"])
OmegaConf.register_new_resolver("zmumu_corrections", lambda: CORRECTIONS_DIR, replace=True)
defaults.register_configuration_dir("config_dir", os.path.join(HERE, "params"))
parameters = defaults.merge_parameters_from_files(
    defaults.get_default_parameters(),
    *[os.path.join(HERE, "params", name) for name in ("object_preselection.yaml", "triggers.yaml", "plotting.yaml",
                                                       "corrections_2018_UL.yaml", "jets_bench.yaml",
                                                       "btag_bench.yaml")],
    update=True,
)

JES = os.environ.get("BENCH_JES", "0") == "1"
corrections = ["pileup", "sf_mu_id", "sf_mu_iso", "sf_btag", "sf_jet_puId"]
variations = {"weights": {"common": {"inclusive": list(corrections), "bycategory": {}}, "bysample": {}}}
if JES:
    variations["shape"] = {"common": {"inclusive": ["jet_calibration"], "bycategory": {}}, "bysample": {}}


def one_axis(coll, field, bins, start, stop, label, pos=None):
    return HistConf([Axis(coll=coll, field=field, pos=pos, bins=bins, start=start, stop=stop, label=label)])


cfg = Configurator(
    parameters=parameters,
    datasets={
        "jsons": [os.environ["ZMUMU_FILESET"]],
        "filter": {"samples": os.environ.get("ZMUMU_SAMPLES", "TTTo2L2Nu").split(","), "samples_exclude": [],
                   "year": ["2018"]},
    },
    workflow=ZmumuBaseProcessor,
    calibrators=[JetsCalibrator] if JES else [],
    skim=[get_nPVgood(1), eventFlags, goldenJson, get_nObj_min(1, 18.0, "Muon"),
          get_HLTsel(primaryDatasets=["SingleMuon"])],
    preselections=[ttbar_presel],
    categories={
        "0b": [get_nObj_eq(0, coll="BJetGood")],
        "1b": [get_nObj_eq(1, coll="BJetGood")],
        "2b": [_min(2, coll="BJetGood")],
    },
    weights_classes=common_weights,
    weights={"common": {"inclusive": ["genWeight", "lumi", "XS"] + corrections, "bycategory": {}}, "bysample": {}},
    variations=variations,
    variables={
        "nJetGood": one_axis("events", "nJetGood", 8, 2, 10, "N jets"),
        "nBJetGood": one_axis("events", "nBJetGood", 5, 0, 5, "N b jets"),
        "JetGood_pt_1": one_axis("JetGood", "pt", 50, 0, 500, "leading jet pt", pos=0),
        "jets_pt": one_axis("JetGood", "pt", 50, 0, 500, "good jets pt"),
        "JetGood_Ht": one_axis("events", "JetGood_Ht", 50, 0, 1000, "HT"),
        "met_pt": one_axis("MET", "pt", 40, 0, 400, "MET"),
        "mll": one_axis("ll", "mass", 50, 0, 300, "mll"),
        "lep1_pt": one_axis("LeptonGood", "pt", 50, 0, 300, "leading lepton pt", pos=0),
    },
)
