#!/usr/bin/env python3
"""Plotting benchmark: `cortado make-plots` against PocketCoffea 0.9.13's `make-plots` on the
same histograms, data/MC figures of every histogram x category x year, PNG at 150 dpi.

    python3 bench/plots_bench.py [--repeat 3] [-j 2] [--only zmumu,many] [--skip cortado,pocketcoffea]
        [--cortado BIN] [--pocketcoffea-python PY]

Contents (each made by cortado itself, then given to both tools):
  zmumu  examples/zmumu/analysis.yaml: 19 histograms x 1 category x 2018 = 19 plots.
  many   bench/plots_many/analysis.yaml: the same with 53 categories = 1,007 plots.

Per content: `cortado run` -> OUT; tools/plots/cortado_to_coffea.py converts OUT into
PocketCoffea's input (output_merged.coffea: `variables`, `datasets_metadata`; plus OUT's
parameters_dump.yaml, whose plotting_style is PocketCoffea's); then, `--repeat` times each:
  cortado:      cortado make-plots -i OUT -o PLOTDIR -j N --overwrite
  PocketCoffea: tools/plots/pocketcoffea_make_plots_offline.py -inp PCDIR -o PLOTDIR -j N --overwrite
                (PocketCoffea's unmodified make-plots, with a stub for its /cvmfs listing), in
                bench/work/venv-pocketcoffea-plots (mplhep 0.3.59: PocketCoffea's plot_utils
                calls hep.cms.lumitext, gone in mplhep 1.x, so the 1.3.3 venv fails).
cortado is skipped with a message when its binary has no `make-plots` subcommand.

Measured per run (fresh process, start-up and Python imports included, page cache warm):
wall time; peak RSS of the main process or any child it waited for (Linux wait4, as
/usr/bin/time -v); peak PSS summed over the whole process tree (sampled every 50 ms from
/proc/*/smaps_rollup: counts PocketCoffea's -j worker processes, shared pages once). Prints
medians, the number of plot files each tool wrote, and how many times faster cortado is.
Work files, and each tool's plots of the last run: bench/work/plots/.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTDIR = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "plots")
CONTENTS = {
    "zmumu": os.path.join(ROOTDIR, "examples/zmumu/analysis.yaml"),
    "many": os.path.join(HERE, "plots_many/analysis.yaml"),
}


def tree_pss_kb(pid):
    """PSS (kB) of a process and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total


def run(cmd, cwd=None, check=True):
    """Runs cmd; returns (wall s, peak RSS MB via wait4, peak tree PSS MB, output)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(p.pid))
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    done.set()
    th.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{out[-4000:]}")
    return dt, usage.ru_maxrss / 1024, peak[0] / 1024, out


def count_files(d, ext=".png"):
    return sum(f.endswith(ext) for _, _, fs in os.walk(d) for f in fs)


def expected_plots(outdir):
    """histograms x categories x years from the output's config.json (1D data/MC plots)."""
    with open(os.path.join(outdir, "config.json")) as f:
        ds = json.load(f)["datasets"]
    keys = {(h, c, str(d["year"])) for d in ds for h in d["histograms"] for c in d["categories"]}
    return len(keys)


def cortado_has_make_plots(cortado):
    p = subprocess.run([cortado, "make-plots", "--help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return p.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("-j", "--workers", type=int, default=2, help="plotting processes/threads of both tools")
    ap.add_argument("--only", default="zmumu,many", help="comma-separated contents: zmumu, many")
    ap.add_argument("--skip", default="", help="comma-separated: cortado, pocketcoffea")
    ap.add_argument("--cortado", default=os.path.join(ROOTDIR, "target/release/cortado"))
    ap.add_argument("--pocketcoffea-python",
                    default=os.path.join(HERE, "work/venv-pocketcoffea-plots/bin/python"))
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    if not os.path.exists(a.cortado):
        sys.exit(f"{a.cortado} missing: cargo build --release")
    if "cortado" not in skip and not cortado_has_make_plots(a.cortado):
        print(f"{a.cortado} has no `make-plots` subcommand yet: cortado is skipped", flush=True)
        skip.add("cortado")
    if "pocketcoffea" not in skip and not os.path.exists(a.pocketcoffea_python):
        sys.exit(f"{a.pocketcoffea_python} missing (see tools/plots/pocketcoffea_make_plots_offline.py)")
    os.makedirs(WORK, exist_ok=True)
    tools_dir = os.path.join(ROOTDIR, "tools/plots")

    rows = []
    for name in filter(None, a.only.split(",")):
        cfg = CONTENTS[name]
        out = os.path.join(WORK, f"{name}_out")
        pcdir = os.path.join(WORK, f"{name}_pocketcoffea_input")
        print(f"[{name}] cortado run --cfg {os.path.relpath(cfg, ROOTDIR)}", flush=True)
        run([a.cortado, "run", "--cfg", cfg, "-o", out, "--overwrite", "--no-progress"], cwd=ROOTDIR)
        expected = expected_plots(out)
        if "pocketcoffea" not in skip:
            run([a.pocketcoffea_python, "-W", "ignore", os.path.join(tools_dir, "cortado_to_coffea.py"),
                 out, "-o", pcdir, "--cortado", a.cortado])

        cmds = {}
        if "cortado" not in skip:
            cmds["cortado"] = lambda d: [a.cortado, "make-plots", "-i", out, "-o", d,
                                         "-j", str(a.workers), "--overwrite"]
        if "pocketcoffea" not in skip:
            cmds["PocketCoffea"] = lambda d: [a.pocketcoffea_python, "-W", "ignore",
                                              os.path.join(tools_dir, "pocketcoffea_make_plots_offline.py"),
                                              "-inp", pcdir, "-o", d, "-j", str(a.workers), "--overwrite"]
        res = {tool: [] for tool in cmds}
        for rep in range(a.repeat):
            for tool, mk in cmds.items():
                d = os.path.join(WORK, f"{name}_plots_{tool.lower()}")
                shutil.rmtree(d, ignore_errors=True)
                dt, rss, pss, log = run(mk(d), cwd=ROOTDIR)
                n = count_files(d)
                res[tool].append((dt, rss, pss, n))
                print(f"  [{name}] {rep + 1}/{a.repeat} {tool:<12} {dt:8.2f} s  {rss:7.0f} MB RSS"
                      f"  {pss:7.0f} MB tree PSS  {n} png", flush=True)
        for tool, r in res.items():
            rows.append((name, expected, tool, statistics.median(x[0] for x in r),
                         statistics.median(x[1] for x in r), statistics.median(x[2] for x in r),
                         r[-1][3]))

    print(f"\nmedian of {a.repeat} runs, -j {a.workers}, wall time includes start-up; "
          f"{os.cpu_count()} cores")
    print(f"{'content':<8} {'plots':>6} {'tool':<13} {'wall s':>8} {'ms/plot':>8} {'files':>6}"
          f" {'RSS MB':>7} {'tree PSS MB':>12} {'cortado is':>11}")
    for name, expected, tool, dt, rss, pss, n in rows:
        base = next((r[3] for r in rows if r[0] == name and r[2] == "cortado"), None)
        faster = f"{dt / base:9.1f}x" if base and tool != "cortado" else ""
        print(f"{name:<8} {expected:>6} {tool:<13} {dt:8.2f} {1000 * dt / max(n, 1):8.1f} {n:>6}"
              f" {rss:7.0f} {pss:12.0f} {faster:>11}")


if __name__ == "__main__":
    main()
