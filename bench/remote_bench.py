#!/usr/bin/env python3
"""Remote-read benchmark: the ~40 branches of the Z->mumu analysis from one NanoAOD file,
read locally, over root:// and over http:// from the same XRootD server on this machine
(Debian xrootd-server, `.ci/xrootd_start.sh`), by cortado and by uproot, in the same run.

    eval "$(.ci/xrootd_start.sh)"
    python3 bench/remote_bench.py FILE [--repeat 3] [--threads 1 2]
        [--uproot-python PY] [--cortado BIN]

FILE is copied into the server's folder ($CORTADO_TEST_XROOTD_DIR).
- cortado: `cortado -j N inspect URL --sum BRANCHES` (reads and decodes every value of the
  branches, sums them), process wall time, start-up and opening included; the number of
  remote requests comes from a `cortado run` of the same branches (its summary line).
- uproot: `tree.arrays(BRANCHES)` timed inside the process (import and opening excluded, which
  favours uproot); over root:// with the XRootD Python bindings (PyPI `xrootd`), over http://
  with uproot's HTTP source.
Prints medians of `--repeat` runs, events/s, and the ratios remote/local and uproot/cortado.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from read_bench import BRANCHES  # noqa: E402  (the same branches as the read benchmark)

UPROOT_CODE = r'''
import sys, time, json, uproot, awkward as ak
f, branches = sys.argv[1], sys.argv[2].split(",")
t0 = time.perf_counter()
t = uproot.open(f)["Events"]
t1 = time.perf_counter()
arrs = t.arrays(branches)
n = sum(int(ak.count(arrs[b])) for b in branches)
print(json.dumps({"seconds": time.perf_counter() - t1, "open": t1 - t0, "entries": t.num_entries}))
'''


def median_of(fn, repeat):
    times = [fn() for _ in range(repeat)]
    return statistics.median(times)


def run_cortado(binary, url, threads):
    t0 = time.perf_counter()
    r = subprocess.run(
        [binary, "-j", str(threads), "inspect", url, "--sum", *BRANCHES],
        capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cortado failed on {url}: {r.stderr}")
    return time.perf_counter() - t0


def run_uproot(py, url):
    r = subprocess.run([py, "-c", UPROOT_CODE, url, ",".join(BRANCHES)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"uproot failed on {url}: {r.stderr[-2000:]}")
    return json.loads(r.stdout)["seconds"]


def requests_per_chunk(binary, url, workdir, entries):
    """`cortado run` of a configuration reading BRANCHES from `url`: its summary's remote line."""
    fileset = os.path.join(workdir, "fileset.json")
    with open(fileset, "w") as f:
        json.dump({"bench_2018": {"metadata": {"sample": "bench", "year": "2018", "isMC": "False",
                                               "primaryDataset": "SingleMuon"},
                                  "files": [url]}}, f)
    cfg = os.path.join(workdir, "bench.yaml")
    sums = " + ".join(f"sum({b})" if b.startswith(("Muon_", "Electron_", "Jet_")) else b
                      for b in BRANCHES if b not in ("run", "luminosityBlock", "event"))
    with open(cfg, "w") as f:
        f.write(f"""datasets: {{jsons: [fileset.json]}}
workflow: {{variables: {{total: "{sums}"}}}}
categories: {{all: [passthrough]}}
weights: {{common: {{inclusive: []}}}}
histograms:
  total: {{axes: [{{coll: events, field: total, bins: 10, start: 0, stop: 1e6}}]}}
""")
    out = os.path.join(workdir, "out")
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([binary, "run", "--cfg", cfg, "-o", out, "--no-progress", "-s", "1"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cortado run failed on {url}: {r.stderr}")
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("remote reads:"):
            return line
    return "(no remote line)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--uproot-python", default=sys.executable)
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    a = ap.parse_args()
    for v in ("CORTADO_TEST_XROOTD", "CORTADO_TEST_XROOTD_HTTP", "CORTADO_TEST_XROOTD_DIR"):
        if v not in os.environ:
            sys.exit(f'{v} is not set: eval "$(.ci/xrootd_start.sh)" first')
    name = "bench-" + os.path.basename(a.file)
    shutil.copy(a.file, os.path.join(os.environ["CORTADO_TEST_XROOTD_DIR"], name))
    urls = {
        "local": os.path.abspath(a.file),
        "root://": f'{os.environ["CORTADO_TEST_XROOTD"]}/{name}',
        "http://": f'{os.environ["CORTADO_TEST_XROOTD_HTTP"]}/{name}',
    }
    entries = json.loads(subprocess.run([a.cortado, "inspect", a.file, "--json"],
                                        capture_output=True, text=True).stdout)["trees"][0]["entries"]
    print(f"{a.file}: {entries} events, {len(BRANCHES)} branches, median of {a.repeat}")
    print(f"{'reader':<28} {'seconds':>8} {'events/s':>12} {'vs local':>9}")
    results = {}
    for threads in a.threads:
        for where, url in urls.items():
            s = median_of(lambda: run_cortado(a.cortado, url, threads), a.repeat)
            results[("cortado", threads, where)] = s
            base = results[("cortado", threads, "local")]
            print(f"{f'cortado -j {threads} {where}':<28} {s:>8.3f} {entries / s:>12.0f} {s / base:>9.2f}")
    for where, url in urls.items():
        s = median_of(lambda: run_uproot(a.uproot_python, url), a.repeat)
        results[("uproot", 1, where)] = s
        base = results[("uproot", 1, "local")]
        ratio = s / results[("cortado", 1, where)]
        print(f"{f'uproot {where}':<28} {s:>8.3f} {entries / s:>12.0f} {s / base:>9.2f}"
              f"   uproot/cortado-j1 {ratio:.2f}")
    work = os.path.join(ROOTDIR, "bench/work/remote")
    os.makedirs(work, exist_ok=True)
    for where in ("root://", "http://"):
        print(f"cortado run over {where}: {requests_per_chunk(a.cortado, urls[where], work, entries)}")


if __name__ == "__main__":
    main()
