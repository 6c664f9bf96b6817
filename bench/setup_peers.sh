#!/usr/bin/env bash
# Creates the Python environments of the peers the benchmarks compare cortado with:
#   work/venv-pocketcoffea  PocketCoffea 0.9.13 (coffea 0.7.29), as ../shared/reference/README.md
#   work/venv-root          ROOT 6.40 from PyPI (RDataFrame, TTree loops, writing the inputs)
#   work/venv-uproot        uproot 5 + awkward (read benchmark), with the XRootD Python
#                           bindings and aiohttp (remote-read benchmark)
# Needs python3.11 (PocketCoffea 0.9.13 needs numpy < 2). Existing environments are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3.11}
mkdir -p "$here/work"
mk() {
  local dir=$here/work/venv-$1; shift
  if [ -x "$dir/bin/python" ]; then echo "exists: $dir"; return; fi
  "$py" -m venv "$dir"
  "$dir/bin/pip" install -q --upgrade pip
  "$dir/bin/pip" install -q "$@"
  echo "made: $dir"
}
mk pocketcoffea pocket-coffea==0.9.13 'pyarrow<18' zstandard xxhash correctionlib
mk root root
mk uproot uproot awkward zstandard xxhash xrootd fsspec-xrootd aiohttp
