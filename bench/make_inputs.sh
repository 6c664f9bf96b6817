#!/usr/bin/env bash
# Makes the benchmark inputs: synthetic DY NanoAOD (1.6 M events) written by ROOT 6.40
# with LZMA-9 (CMS's setting) and ZSTD-5, using ../shared/tools/gen_synthetic_nanoaod.py.
# Needs a Python with PyROOT: ROOTPY=/path/to/venv/bin/python (made by setup_peers.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${SHARED:-$here/../../shared}
out=${BENCH_DATA:-$here/work/data}
events=${EVENTS:-1600000}
ROOTPY=${ROOTPY:-$here/work/venv-root/bin/python}
mkdir -p "$out"
for c in lzma9 zstd5; do
  f="$out/dy_${events}_$c.root"
  [ -s "$f" ] && { echo "exists: $f"; continue; }
  echo "writing $f"
  "$ROOTPY" -W ignore "$shared/tools/gen_synthetic_nanoaod.py" --process dy --events "$events" \
      --seed 21 --compression "$c" --autoflush 10000 --out "$f.tmp.root"
  mv "$f.tmp.root" "$f"
done
ls -l "$out"
# the systematics benchmark (syst_bench.py): simulated tt̄ with the systematics branches and the
# type-1 MET inputs, from this repository's copy of the generator
tt_events=${TT_EVENTS:-100000}
f="$out/tt_syst_${tt_events}_zstd5.root"
if [ -s "$f" ]; then echo "exists: $f"; else
  echo "writing $f"
  "$ROOTPY" -W ignore "$here/../tools/gen_synthetic_nanoaod.py" --process tt --events "$tt_events" \
      --seed 202 --compression zstd5 --autoflush 10000 --systematics-branches --met-branches --out "$f.tmp.root"
  mv "$f.tmp.root" "$f"
fi
