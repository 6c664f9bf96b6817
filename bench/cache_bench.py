#!/usr/bin/env python3
"""Column cache benchmark: re-running the Z->mumu analysis with one cut changed, on one large
NanoAOD file, with and without `cortado run --cache`.

    python3 bench/cache_bench.py FILE [--repeat 3] [--threads 2] [--cortado BIN]

FILE: a simulated DY NanoAOD file (bench/make_inputs.sh writes 1.6 M events with LZMA-9).
Per repetition, each a fresh process with a warm page cache for FILE:
  first    the example's selection, --cache on an emptied cache (reads ROOT, stores the columns)
  second   the leading-muon cut moved from 25 to 30 GeV, --cache (columns from the cache)
  uncached the same changed selection without the cache
and checks that `second` and `uncached` give byte-identical `cortado dump --json`.
Prints medians, the speed-up of the second run over the first and over an uncached run, the
cache's size and the peak resident memory (Linux wait4).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "cache")
sys.path.insert(0, HERE)
from analysis_bench import prepare, read_through  # noqa: E402  (the same configuration)

CHANGED = """preselections:
  - name: dilepton
    params: {pt_leading_muon: 30, mll: {low: 25, high: 2000}}
    expr: >-
      nLeptonGood == 2 and nMuonGood == 2 and nElectronGood == 0
      and ll.charge == 0
      and first(MuonGood.pt) > params.pt_leading_muon
      and params.mll.low < ll.mass < params.mll.high
"""


def run(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}")
    return dt, usage.ru_maxrss / 1024, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    a = ap.parse_args()
    _, cfg = prepare(os.path.abspath(a.file), a.cortado)
    changed = os.path.join(os.path.dirname(cfg), "zmumu_changed.yaml")
    with open(cfg) as f:
        base = f.read()
    with open(changed, "w") as f:
        f.write(base + CHANGED)
    cache = os.path.join(WORK, "columns")
    times = {"first": [], "second": [], "uncached": []}
    rss = {k: [] for k in times}
    for i in range(a.repeat):
        shutil.rmtree(cache, ignore_errors=True)
        for name, conf, extra in [
            ("first", cfg, ["--cache", cache]),
            ("second", changed, ["--cache", cache]),
            ("uncached", changed, []),
        ]:
            out = os.path.join(WORK, f"out_{name}")
            read_through(a.file)
            dt, mb, log = run([a.cortado, "-j", str(a.threads), "run", "--cfg", conf, "-o", out,
                               "--overwrite", "--no-progress", *extra])
            times[name].append(dt)
            rss[name].append(mb)
            line = next((l for l in log.splitlines() if l.startswith("column cache")), "")
            print(f"  {i + 1}/{a.repeat} {name:9s} {dt:7.2f} s  {mb:6.0f} MB  {line}", flush=True)
        dumps = [subprocess.run([a.cortado, "dump", os.path.join(WORK, f"out_{n}"), "--json"],
                                capture_output=True, check=True).stdout for n in ("second", "uncached")]
        if dumps[0] != dumps[1]:
            sys.exit("the cached run's output differs from the uncached run's")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(cache) for f in fs)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nmedian of {a.repeat}, -j {a.threads}, {os.path.basename(a.file)} "
          f"({os.path.getsize(a.file) / 1e6:.0f} MB; cache {size / 1e6:.0f} MB)")
    print(f"{'run':10s} {'wall s':>8s} {'RSS MB':>8s}")
    for k in times:
        print(f"{k:10s} {med[k]:8.2f} {statistics.median(rss[k]):8.0f}")
    print(f"second run (cut changed, cached) is {med['first'] / med['second']:.1f}x faster than the first "
          f"and {med['uncached'] / med['second']:.1f}x faster than without the cache; outputs identical")


if __name__ == "__main__":
    main()
