//! One output folder, one run, one result: runs into the same folder are
//! refused while one is running; an earlier run's results are never
//! replaced by accident or left beside a new configuration; a resumed run
//! refuses input files that changed; damaged outputs and checkpoints are
//! never read as numbers; merging refuses outputs of different analyses.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{cortado, dump, root};

const CFG: &str = "examples/zmumu/analysis.yaml";

fn tmpdir(name: &str) -> PathBuf {
    common::tmpdir("outdir", name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The example with a tighter skim (two muons): other histograms.
fn other_cuts(dir: &Path) -> PathBuf {
    let cfg = dir.join("tighter.yaml");
    let text = format!(
        "extends: {}\nskim:\n  - get_nPVgood(1)\n  - eventFlags\n  - goldenJson\n  \
         - get_nObj_min(2, 18., \"Muon\")\n  - get_HLTsel(primaryDatasets=[\"SingleMuon\"])\n",
        root().join(CFG).display()
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// The example's Drell-Yan file as `n` datasets: a run long enough to be
/// caught running.
fn long_run(dir: &Path, n: usize) -> PathBuf {
    let dy = root().join("examples/zmumu/data/dy_2018_small.root");
    let fileset: serde_json::Map<String, serde_json::Value> = (0..n)
        .map(|i| {
            let v = serde_json::json!({
                "metadata": {"sample": "DYJetsToLL", "year": "2018", "isMC": "True", "xsec": "6077.22"},
                "files": [dy.to_str().unwrap()]
            });
            (format!("DY{i}_2018"), v)
        })
        .collect();
    common::config_over(
        dir,
        "long",
        CFG,
        &serde_json::Value::Object(fileset),
        &["DYJetsToLL"],
    )
}

#[test]
fn a_second_run_into_a_busy_folder_is_refused_and_names_the_first() {
    let dir = tmpdir("busy");
    let out = dir.join("out");
    let solo = dir.join("solo");
    let cfg = long_run(&dir, 12);
    let cfg = s(&cfg);
    // one chunk per cluster, one thread
    let slow = ["-c", "1", "-e", "iterative"];
    common::run_ok(cfg, s(&solo), &slow);
    let mut first = common::spawn_run(cfg, s(&out), &slow, false);
    let lock = out.join(".cortado.lock");
    let t = Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("process")) {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the first run never locked"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let second = common::run(cfg, s(&out), &["--overwrite"]);
    let first_done = first.try_wait().unwrap().is_some();
    assert!(
        !first_done,
        "the first run ended before the second was refused: the test proves nothing"
    );
    assert!(!second.status.success());
    let err = stderr(&second);
    assert!(
        err.contains("in use by another cortado run")
            && err.contains(&format!("process {}", first.id())),
        "{err}"
    );
    assert!(first.wait().unwrap().success());
    assert!(
        dump(&out) == dump(&solo),
        "the first run's output was disturbed"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn earlier_results_are_kept_replaced_on_request_and_never_left_stale() {
    let dir = tmpdir("rerun");
    let out = dir.join("out");
    common::run_ok(CFG, s(&out), &[]);
    let before = std::fs::read(out.join("output_all.cortado")).unwrap();
    // a rerun is refused and changes nothing
    let o = common::run(CFG, s(&out), &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--overwrite"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("output_all.cortado")).unwrap(),
        before
    );
    // a rerun with --overwrite that fails leaves no old output beside the new configuration
    std::fs::write(
        out.join(".output_all.cortado.tmp4242"),
        b"left by a full disk",
    )
    .unwrap();
    std::fs::write(out.join("my_notes.txt"), b"mine").unwrap();
    let broken = dir.join("broken.yaml");
    let fileset = dir.join("fileset.json");
    // a file that opens but fails part-way: the run fails after it started
    let mut corrupt = std::fs::read(root().join("examples/zmumu/data/dy_2018_small.root")).unwrap();
    common::damage(&mut corrupt, 200_000..450_000);
    std::fs::write(dir.join("corrupt.root"), &corrupt).unwrap();
    std::fs::write(
        &fileset,
        r#"{"DYJetsToLL_M-50_2018": {"metadata": {"sample": "DYJetsToLL", "year": "2018",
           "isMC": "True", "xsec": "6077.22"}, "files": ["corrupt.root"]}}"#,
    )
    .unwrap();
    std::fs::write(
        &broken,
        format!(
            "extends: {}\ndatasets:\n  jsons: [fileset.json]\n  filter: {{samples: [DYJetsToLL]}}\n",
            root().join(CFG).display()
        ),
    )
    .unwrap();
    let o = common::run(s(&broken), s(&out), &["--overwrite"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("corrupt.root"), "{}", stderr(&o));
    assert!(
        !out.join("output_all.cortado").exists(),
        "stale output left"
    );
    assert!(
        !out.join(".output_all.cortado.tmp4242").exists(),
        "stale temporary file left"
    );
    assert!(
        out.join("my_notes.txt").exists(),
        "a file cortado did not write was removed"
    );
    let o = cortado(&["dump", s(&out)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("did not finish"), "{}", stderr(&o));
    // --overwrite then succeeds
    common::run_ok(CFG, s(&out), &["--overwrite"]);
    assert!(out.join("output_all.cortado").exists());
    // --resume of a finished run keeps it
    let log = common::run_ok(CFG, s(&out), &["--resume"]);
    assert!(log.contains("were kept: all"), "{log}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_output_beside_another_runs_configuration_is_refused() {
    let dir = tmpdir("mixed");
    let (a, b) = (dir.join("a"), dir.join("b"));
    common::run_ok(CFG, s(&a), &[]);
    common::run_ok(s(&other_cuts(&dir)), s(&b), &[]);
    std::fs::copy(a.join("output_all.cortado"), b.join("output_all.cortado")).unwrap();
    let o = cortado(&["dump", s(&b)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("mixes two runs"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn damaged_outputs_are_refused() {
    let dir = tmpdir("flips");
    let out = dir.join("out");
    common::run_ok(CFG, s(&out), &[]);
    let file = out.join("output_all.cortado");
    let good = std::fs::read(&file).unwrap();
    let expected = dump(&out);
    let mut refused = 0;
    for k in 0..40 {
        let mut b = good.clone();
        let i = (k * 7919 + 13) % b.len();
        b[i] ^= 1 << (k % 8);
        std::fs::write(&file, &b).unwrap();
        let o = cortado(&["dump", s(&out), "--json"]);
        if o.status.success() {
            assert!(
                String::from_utf8_lossy(&o.stdout) == expected,
                "byte {i} flipped gave other numbers"
            );
        } else {
            assert!(stderr(&o).contains("output_all.cortado"), "{}", stderr(&o));
            refused += 1;
        }
        let merged = dir.join("m.cortado");
        let m = cortado(&["merge-outputs", s(&file), "-o", s(&merged)]);
        assert_eq!(m.status.success(), o.status.success());
    }
    assert!(refused >= 38, "only {refused} of 40 flips refused");
    std::fs::remove_dir_all(&dir).ok();
}

/// A run over a good file and one that fails part-way, stopped with its
/// checkpoints; returns (config, the good file's copy).
fn stopped_run(dir: &Path, out: &Path) -> (PathBuf, PathBuf) {
    let good = dir.join("dy.root");
    std::fs::copy(root().join("examples/zmumu/data/dy_2018_small.root"), &good).unwrap();
    let mut corrupt = std::fs::read(&good).unwrap();
    common::damage(&mut corrupt, 200_000..450_000);
    std::fs::write(dir.join("corrupt.root"), &corrupt).unwrap();
    let fileset = serde_json::json!({"DYJetsToLL_M-50_2018": {"files": ["dy.root", "corrupt.root"],
        "metadata": {"sample": "DYJetsToLL", "year": "2018", "isMC": "True", "xsec": "6077.22"}}});
    let cfg = common::config_over(dir, "analysis", CFG, &fileset, &["DYJetsToLL"]);
    let o = common::run(s(&cfg), s(out), &["-c", "1", "-e", "iterative"]);
    assert!(!o.status.success() && stderr(&o).contains("corrupt.root"));
    (cfg, good)
}

#[test]
fn resume_refuses_a_replaced_input_file() {
    let dir = tmpdir("replaced");
    let out = dir.join("out");
    let (cfg, good) = stopped_run(&dir, &out);
    let resume = ["-c", "1", "-e", "iterative", "--resume", "--skip-bad-files"];
    // same entries and clusters, another file: the UUID differs (time kept)
    let original = std::fs::read(&good).unwrap();
    let mtime = std::fs::metadata(&good).unwrap().modified().unwrap();
    let mut other = original.clone();
    other[50] ^= 0xff; // inside fUUID (bytes 47..63 of a small file)
    std::fs::write(&good, &other).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&good)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let o = common::run(s(&cfg), s(&out), &resume);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("dy.root changed") && stderr(&o).contains("UUID"),
        "{}",
        stderr(&o)
    );
    // the same bytes written again: only the modification time differs
    std::fs::write(&good, &original).unwrap();
    let o = common::run(s(&cfg), s(&out), &resume);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("modification time"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_damaged_checkpoint_is_processed_again_on_resume() {
    let dir = tmpdir("ckpt");
    let out = dir.join("out");
    let (cfg, _) = stopped_run(&dir, &out);
    let whole = dir.join("whole");
    let opts = ["-c", "1", "-e", "iterative", "--skip-bad-files"];
    common::run_ok(s(&cfg), s(&whole), &opts);
    let ck = out.join("checkpoints/chunk-000001.cortado");
    let mut b = std::fs::read(&ck).unwrap();
    let n = b.len();
    b[n / 2] ^= 0x04;
    std::fs::write(&ck, b).unwrap();
    let log = common::run_ok(s(&cfg), s(&out), &[&opts[..], &["--resume"]].concat());
    assert!(
        log.contains("chunk-000001.cortado") && log.contains("processed again"),
        "{log}"
    );
    assert!(dump(&out) == dump(&whole), "resumed output differs");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn resume_without_a_work_list_starts_afresh() {
    let dir = tmpdir("nowork");
    let (out, fresh) = (dir.join("out"), dir.join("fresh"));
    common::run_ok(CFG, s(&fresh), &[]);
    // killed after writing its configuration, before the work list
    std::fs::create_dir_all(&out).unwrap();
    for f in ["config.json", "parameters_dump.yaml", "logfile.log"] {
        std::fs::copy(fresh.join(f), out.join(f)).unwrap();
    }
    let log = common::run_ok(CFG, s(&out), &["--resume"]);
    assert!(log.contains("starting afresh"), "{log}");
    assert!(dump(&out) == dump(&fresh));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn process_separately_outputs_dump_and_merge_but_different_analyses_do_not() {
    let dir = tmpdir("ps");
    let (ps, all, tight) = (dir.join("ps"), dir.join("all"), dir.join("tight"));
    common::run_ok(CFG, s(&ps), &["-ps"]);
    assert!(
        !ps.join("checkpoints").exists(),
        "an empty checkpoints/ is left"
    );
    common::run_ok(CFG, s(&all), &[]);
    // dump of the folder merges the per-dataset outputs
    let text = common::ok(&["dump", s(&ps)]);
    assert!(text.contains("outputs (3, merged)"), "{text}");
    assert!(
        dump(&ps) == dump(&all),
        "merged -ps outputs differ from one run"
    );
    // outputs of another selection are refused
    common::run_ok(
        s(&other_cuts(&dir)),
        s(&tight),
        &["--filter-samples", "DYJetsToLL"],
    );
    let o = cortado(&[
        "merge-outputs",
        s(&ps.join("output_TTTo2L2Nu_2018.cortado")),
        s(&tight.join("output_all.cortado")),
        "-o",
        s(&dir.join("m.cortado")),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("different configurations"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}
