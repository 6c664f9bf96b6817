#!/usr/bin/env python3
"""Analysis benchmark: the Z->mumu analysis of examples/zmumu on one large NanoAOD file, run by
cortado, PocketCoffea 0.9.13 and ROOT RDataFrame on the same machine in the same session.

    python3 bench/analysis_bench.py FILE [--repeat 3] [--threads 1 2] [--skip pocketcoffea,rdf]
        [--cortado BIN] [--pocketcoffea-python PY] [--root-python PY] [--shared DIR]

FILE: a simulated DY NanoAOD file (bench/make_inputs.sh writes 1.6 M events with LZMA-9).
Each measurement is a fresh process; wall time includes start-up, configuration and writing
the outputs (the peers' start-up is larger: Python imports, RDataFrame's JIT). The page cache is
warm (the file is read again before every run, untimed). Prints the median wall time of every tool and thread
count, events/s and events/s per core, how many times faster cortado is, the median peak
resident memory of each line (Linux wait4: the process or any child it waited for) and
cortado's start-up (configuration, parameters and planning, from its summary line).

Also checks that the three agree: PocketCoffea's output (exported with
../shared/tools/export_output_json.py) against cortado's `dump --json` and against
RDataFrame's, with ../shared/tools/compare_outputs.py (histograms, cutflow, sumw).

- cortado: `cortado -j N run --cfg <zmumu config on FILE>` (release build, futures executor);
  with 1 thread also `-e iterative`; and cortado's floor, `--read-only`: the same run reading and
  decompressing the branches the analysis needs and processing nothing.
- PocketCoffea: ../shared/tools/pocket_coffea_offline.py run with the reference configuration
  ../shared/reference/pocketcoffea_zmumu (iterative executor for 1 core, futures -s N for N).
- RDataFrame: ../shared/tools/rdf_zmumu.py --threads N (the same selection and histograms
  written as one RDataFrame event loop; N >= 2 uses implicit multithreading).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "analysis")

DY_METADATA = {
    "sample": "DYJetsToLL",
    "year": "2018",
    "isMC": "True",
    "xsec": "6077.22",
}


PEAK_RSS = {}  # last command's peak resident memory (MB), by the command's first two words


def sh(cmd, cwd=None, env=None, check=True):
    """Runs a command; returns (wall seconds, stdout+stderr). Records its peak RSS in PEAK_RSS."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)  # the child's own rusage: ru_maxrss in kB on Linux
    dt = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    PEAK_RSS["last"] = usage.ru_maxrss / 1024
    if check and p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return dt, out


def read_through(path):
    """Reads a file (untimed) so that every measurement starts from a warm page cache: this
    machine's kernel reclaims idle page cache (DAMON), and a peer's long run could leave the
    next one reading from disk."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def prepare(file, cortado):
    os.makedirs(WORK, exist_ok=True)
    _, info = sh([cortado, "inspect", file, "--json"])
    meta = dict(DY_METADATA, nevents=str(json.loads(info)["entries"]), size=str(os.path.getsize(file)))
    fileset = os.path.join(WORK, "fileset.json")
    with open(fileset, "w") as f:
        json.dump({"DYJetsToLL_M-50_2018": {"metadata": meta, "files": [os.path.abspath(file)]}}, f, indent=1)
    cfg = os.path.join(WORK, "zmumu.yaml")
    with open(cfg, "w") as f:
        f.write(
            f"extends: {os.path.join(ROOTDIR, 'examples/zmumu/analysis.yaml')}\n"
            "datasets:\n"
            "  jsons: [fileset.json]\n"
            "  filter: {samples: [DYJetsToLL], samples_exclude: [], year: ['2018']}\n"
            # PocketCoffea's reference configuration (pocketcoffea_zmumu) weights with
            # genWeight x lumi x XS only: the example's corrections are left out here
            "weights:\n  common: {inclusive: [genWeight, lumi, XS]}\n"
            "variations:\n  weights:\n    common: {inclusive: []}\n"
        )
    return fileset, cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--skip", default="", help="comma-separated: pocketcoffea, rdf")
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--pocketcoffea-python", default=os.path.join(HERE, "work/venv-pocketcoffea/bin/python"))
    ap.add_argument("--root-python", default=os.path.join(HERE, "work/venv-root/bin/python"))
    ap.add_argument("--shared", default=os.path.join(ROOTDIR, "..", "shared"))
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    shared = os.path.abspath(a.shared)
    if not os.path.exists(a.cortado):
        sys.exit(f"{a.cortado} missing: cargo build --release")
    fileset, cfg = prepare(a.file, a.cortado)
    def warm():
        read_through(a.file)

    results = {}  # (tool, threads) -> [wall seconds]
    events = None
    outputs = {}

    rss = {}  # (tool, threads) -> [peak RSS MB]; for Python tools, of the main process
    startup = []  # cortado's configuration + planning time (s), from its summary line

    def timed(cmd, **kw):
        warm()
        return sh(cmd, **kw)

    def record(tool, n, dt):
        results.setdefault((tool, n), []).append(dt)
        rss.setdefault((tool, n), []).append(PEAK_RSS["last"])
        print(f"  {tool:<13} {n} thread(s): {dt:7.2f} s  {PEAK_RSS['last']:6.0f} MB", flush=True)

    for rep in range(a.repeat):
        print(f"round {rep + 1}/{a.repeat}", flush=True)
        for n in a.threads:
            out = os.path.join(WORK, f"cortado_j{n}")
            dt, log = timed([a.cortado, "-j", str(n), "run", "--cfg", cfg, "-o", out, "--no-progress", "--overwrite"])
            record("cortado", n, dt)
            m = re.search(r"configuration and planning ([0-9.]+) s", log)
            if m:
                startup.append(float(m.group(1)))
            outputs[("cortado", n)] = out
            if n == 1:
                dt, _ = timed([a.cortado, "run", "--cfg", cfg, "-o", out + "_it", "-e", "iterative", "--no-progress", "--overwrite"])
                record("cortado iter.", n, dt)
            dt, _ = timed([a.cortado, "-j", str(n), "run", "--cfg", cfg, "-o", out + "_floor", "--read-only", "--overwrite",
                        "--no-progress"])
            record("cortado floor", n, dt)
            if "pocketcoffea" not in skip:
                out = os.path.join(WORK, f"pocketcoffea_j{n}")
                env = dict(os.environ, ZMUMU_FILESET=fileset, ZMUMU_SAMPLES="DYJetsToLL", COLUMNS="160")
                ex = ["--executor", "iterative"] if n == 1 else ["--executor", "futures", "-s", str(n)]
                dt, _ = timed(
                    [a.pocketcoffea_python, "-W", "ignore", os.path.join(shared, "tools/pocket_coffea_offline.py"),
                     "run", "--cfg", "config.py", "-ro", "run_options.yaml", "-o", out, *ex],
                    cwd=os.path.join(shared, "reference/pocketcoffea_zmumu"), env=env)
                record("PocketCoffea", n, dt)
                outputs[("pocketcoffea", n)] = out
            if "rdf" not in skip:
                out = os.path.join(WORK, f"rdf_j{n}.json")
                dt, _ = timed([a.root_python, "-W", "ignore", os.path.join(shared, "tools/rdf_zmumu.py"), fileset,
                            "-o", out, "--threads", str(n), "--samples", "DYJetsToLL", "--no-rdf-log"])
                record("RDataFrame", n, dt)
                outputs[("rdf", n)] = out

    # events processed (from cortado's output)
    n0 = a.threads[0]
    _, dump = sh([a.cortado, "dump", outputs[("cortado", n0)], "--json"])
    cortado_json = os.path.join(WORK, "cortado.json")
    with open(cortado_json, "w") as f:
        f.write(dump)
    events = sum(json.loads(dump)["cutflow"]["initial"].values())

    # agreement
    print("\nagreement (compare_outputs.py, default tolerance 1e-6, at most 2 bin-edge migrations):")
    compare = os.path.join(shared, "tools/compare_outputs.py")
    ref = None
    if ("pocketcoffea", n0) in outputs:
        ref = os.path.join(WORK, "pocketcoffea.json")
        sh([a.pocketcoffea_python, "-W", "ignore", os.path.join(shared, "tools/export_output_json.py"),
            os.path.join(outputs[("pocketcoffea", n0)], "output_all.coffea"), ref])
        _, txt = sh([sys.executable, compare, ref, cortado_json, "--allow-migrations", "2"], check=False)
        print(f"  cortado vs PocketCoffea:    {txt.strip().splitlines()[-1]}")
        if ("rdf", n0) in outputs:
            _, txt = sh([sys.executable, compare, ref, outputs[("rdf", n0)], "--allow-migrations", "2"], check=False)
            print(f"  RDataFrame vs PocketCoffea: {txt.strip().splitlines()[-1]}")

    # table
    print(f"\n{events:,} events, {os.path.getsize(a.file) / 1e6:.0f} MB, file {a.file}")
    print(f"median of {a.repeat} wall-clock runs per line (fresh process, start-up included)\n")
    print(f"{'tool':<13} {'threads':>7} {'wall s':>8} {'events/s':>11} {'ev/s/core':>10} {'cortado is':>11}"
          f" {'peak RSS':>9}")
    for n in a.threads:
        base = statistics.median(results[("cortado", n)])
        for tool in ("cortado", "cortado iter.", "cortado floor", "PocketCoffea", "RDataFrame"):
            if (tool, n) not in results:
                continue
            m = statistics.median(results[(tool, n)])
            ratio = "" if tool.startswith("cortado") else f"{m / base:9.1f}x"
            if tool == "cortado floor":
                ratio = f"{base / m:8.2f}x fl."
            mem = statistics.median(rss[(tool, n)])
            print(f"{tool:<13} {n:>7} {m:8.2f} {events / m:11,.0f} {events / m / n:10,.0f} {ratio:>11}"
                  f" {mem:6.0f} MB")
    if len(a.threads) > 1:
        t1, t2 = a.threads[0], a.threads[1]
        s1 = statistics.median(results[("cortado", t1)]) / statistics.median(results[("cortado", t2)])
        print(f"\ncortado speed-up from {t1} to {t2} threads: {s1:.2f}x")
    if startup:
        print(f"cortado start-up (configuration, parameters, planning; median): "
              f"{statistics.median(startup) * 1000:.0f} ms")
    print("(peak RSS: the largest resident size of the process started or of any child process it waited"
          " for, as Linux's wait4 reports it)")
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"events": events, "file": a.file,
                   "wall_s": {f"{t}/{n}": v for (t, n), v in results.items()},
                   "peak_rss_mb": {f"{t}/{n}": v for (t, n), v in rss.items()},
                   "startup_s": startup}, f, indent=1)


if __name__ == "__main__":
    main()
