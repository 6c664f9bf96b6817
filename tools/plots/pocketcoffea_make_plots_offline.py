#!/usr/bin/env python
"""PocketCoffea's `make-plots` CLI, usable without /cvmfs. Arguments as `make-plots`:

    bench/work/venv-pocketcoffea-plots/bin/python tools/plots/pocketcoffea_make_plots_offline.py \
        -inp PCDIR -o PLOTDIR -j 2 --overwrite

pocket_coffea 0.9.13 calls parameters.defaults.get_default_parameters() when
utils/plot_utils.py is imported, and that lists /cvmfs/cms-griddata.cern.ch/cat/metadata
(FileNotFoundError without CVMFS). As ../../../shared/tools/pocket_coffea_offline.py does for
`pocket-coffea run`, this swaps setup_cvmfs_resolver for a stub registering the `cvmfs`
OmegaConf resolver as a pure path formatter, then runs the unmodified make-plots entry point
(pocket_coffea.scripts.plot.make_plots:make_plots). The plotting code is untouched.

Use the venv with mplhep 0.3.x (bench/work/venv-pocketcoffea-plots): PocketCoffea's
plot_utils calls hep.cms.lumitext, which mplhep 1.x no longer has.
"""
import sys

from omegaconf import OmegaConf
from pocket_coffea.parameters import defaults


def _offline_cvmfs_resolver(group_tags=None):
    def cvmfs_path_resolver(period, group, file, tag=None):
        return f"/cvmfs/cms-griddata.cern.ch/cat/metadata/{group}/{period}/{tag or 'latest'}/{file}"

    OmegaConf.register_new_resolver("cvmfs", cvmfs_path_resolver, replace=True)


defaults.setup_cvmfs_resolver = _offline_cvmfs_resolver

from pocket_coffea.scripts.plot.make_plots import make_plots  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "make-plots"
    sys.exit(make_plots())
