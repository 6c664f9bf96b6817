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
