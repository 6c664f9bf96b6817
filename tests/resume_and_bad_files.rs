//! Nothing is lost: a run killed with SIGKILL resumes to exactly the output of
//! an uninterrupted run; bad files stop a run with a clear error (keeping the
//! finished chunks) or, with --skip-bad-files, are recorded and skipped; runs
//! can be filtered and split per dataset.

mod common;

use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use common::{cortado, damage, dump, ok, root};

fn tmpdir(name: &str) -> PathBuf {
    common::tmpdir("resume", name)
}

fn chunk_files(out: &Path) -> usize {
    std::fs::read_dir(out.join("checkpoints"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("chunk-"))
                .count()
        })
        .unwrap_or(0)
}

/// Starts a run and kills it (SIGKILL) once `after` chunks are checkpointed.
fn kill_after(cfg: &str, out: &Path, extra: &[&str], after: usize) -> bool {
    let mut child = common::spawn_run(cfg, out.to_str().unwrap(), extra, false);
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            return false; // finished before it could be killed
        }
        if chunk_files(out) >= after || t.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_killed_run_resumes_to_the_same_output() {
    // 400,000 events in ~40 chunks when ../shared is there; the shipped
    // example in 16 chunks of one cluster otherwise.
    let shared = root().join("../shared/reference").exists();
    let (cfg, extra): (&str, &[&str]) = if shared {
        (
            "tests/configs/zmumu_synthetic.yaml",
            &["-e", "iterative", "-c", "10000"],
        )
    } else {
        (
            "examples/zmumu/analysis.yaml",
            &["-e", "iterative", "-c", "1"],
        )
    };
    let whole = tmpdir("whole");
    common::run_ok(cfg, whole.to_str().unwrap(), extra);
    assert!(
        !whole.join("checkpoints").exists(),
        "checkpoints are removed after a run"
    );
    let expected = dump(&whole);

    let out = tmpdir("killed");
    let mut resumed_any = false;
    // kill twice at different points, then finish
    for after in [3, 8] {
        // the second start replaces the first's results
        if !kill_after(cfg, &out, &[&["--overwrite"], extra].concat(), after) {
            break;
        }
        let n = chunk_files(&out);
        assert!(n >= after, "{n} checkpoints");
        assert!(!out.join("output_all.cortado").exists());
        if after == 8 {
            continue;
        }
        // resume, and kill the resumed run too
        let mut args = vec!["--resume"];
        args.extend_from_slice(extra);
        if kill_after(cfg, &out, &args, after + 5) {
            resumed_any = true;
        }
    }
    let log = common::run_ok(cfg, out.to_str().unwrap(), &[&["--resume"], extra].concat());
    assert!(log.contains("taken from their checkpoints"), "{log}");
    assert!(
        dump(&out) == expected,
        "the resumed output differs from the uninterrupted one"
    );
    assert!(!out.join("checkpoints").exists());
    let _ = resumed_any;

    // A resume with another configuration is refused.
    let o = common::run(
        "examples/extended/analysis.yaml",
        out.to_str().unwrap(),
        &["--resume"],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("another configuration"), "{err}");
    std::fs::remove_dir_all(&whole).ok();
    std::fs::remove_dir_all(&out).ok();
}

/// A configuration over a fileset with a good, a corrupt, a truncated and a missing file.
fn bad_fileset(dir: &Path) -> PathBuf {
    let good = root().join("examples/zmumu/data/dy_2018_small.root");
    let bytes = std::fs::read(&good).unwrap();
    let mut corrupt = bytes.clone();
    damage(&mut corrupt, 200_000..450_000);
    std::fs::write(dir.join("corrupt.root"), &corrupt).unwrap();
    std::fs::write(dir.join("truncated.root"), &bytes[..300_000]).unwrap();
    let fileset = serde_json::json!({
        "DYJetsToLL_M-50_2018": {
            "metadata": {"sample": "DYJetsToLL", "year": "2018", "isMC": "True", "xsec": "6077.22"},
            "files": [good.to_str().unwrap(), "corrupt.root", "truncated.root", "missing.root"]
        }
    });
    common::config_over(
        dir,
        "analysis",
        "examples/zmumu/analysis.yaml",
        &fileset,
        &["DYJetsToLL"],
    )
}

#[test]
fn bad_files_stop_the_run_or_are_skipped_and_recorded() {
    let dir = tmpdir("bad");
    let cfg = bad_fileset(&dir);
    let out = dir.join("out");
    let cfg_s = cfg.to_str().unwrap();
    let out_s = out.to_str().unwrap();

    // Without --skip-bad-files: a clear error naming the file, nothing written as output.
    let o = common::run(cfg_s, out_s, &["-c", "1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("truncated.root") || err.contains("missing.root"),
        "{err}"
    );
    assert!(err.contains("--skip-bad-files"), "{err}");
    assert!(!out.join("output_all.cortado").exists());

    // With it: the good file's events, and the bad inputs listed.
    let log = common::run_ok(
        cfg_s,
        out_s,
        &["-c", "1", "--skip-bad-files", "--overwrite"],
    );
    assert!(log.contains("SKIPPED"), "{log}");
    let failed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("failed_chunks.json")).unwrap())
            .unwrap();
    let failed = failed.as_array().unwrap();
    let files: Vec<&str> = failed.iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert!(
        files.iter().any(|f| f.ends_with("missing.root")),
        "{files:?}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("truncated.root")),
        "{files:?}"
    );
    // the corrupt file opens; some of its chunks fail, with the basket named
    let corrupt: Vec<&serde_json::Value> = failed
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("corrupt.root"))
        .collect();
    assert!(!corrupt.is_empty(), "{failed:?}");
    assert!(
        corrupt.iter().all(|f| f["entries"].is_array()),
        "{corrupt:?}"
    );
    assert!(
        corrupt
            .iter()
            .any(|f| f["error"].as_str().unwrap().contains("basket")),
        "{corrupt:?}"
    );
    let json: serde_json::Value = serde_json::from_str(&dump(&out)).unwrap();
    let initial = json["cutflow"]["initial"]["DYJetsToLL_M-50_2018"]
        .as_u64()
        .unwrap();
    let bad_chunks = corrupt.len() as u64;
    // 5000 good events + the corrupt file's readable chunks (1000 entries each)
    assert_eq!(initial, 5000 + (5 - bad_chunks) * 1000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_stopped_run_keeps_its_chunks_for_resume() {
    let dir = tmpdir("stopped");
    let cfg = bad_fileset(&dir);
    let out = dir.join("out");
    // Only the good and the corrupt file (which fails part-way).
    let fs = dir.join("fileset.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fs).unwrap()).unwrap();
    let files = v["DYJetsToLL_M-50_2018"]["files"].as_array_mut().unwrap();
    files.truncate(2);
    std::fs::write(&fs, v.to_string()).unwrap();
    let (cfg_s, out_s) = (cfg.to_str().unwrap(), out.to_str().unwrap());
    let o = common::run(cfg_s, out_s, &["-c", "1", "-e", "iterative"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("corrupt.root") && err.contains("--resume"),
        "{err}"
    );
    assert!(
        chunk_files(&out) >= 5,
        "the good file's chunks are checkpointed"
    );
    // Resume skipping the bad chunks: the finished ones are not redone.
    let log = common::run_ok(
        cfg_s,
        out_s,
        &["-c", "1", "-e", "iterative", "--resume", "--skip-bad-files"],
    );
    assert!(log.contains("taken from their checkpoints"), "{log}");
    assert!(out.join("output_all.cortado").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn filters_and_one_output_per_dataset() {
    let dir = tmpdir("ps");
    let (cfg, out) = ("examples/zmumu/analysis.yaml", dir.join("out"));
    let out_s = out.to_str().unwrap();
    let o = common::run(cfg, out_s, &["--filter-samples", "DYJetsToL"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean 'DYJetsToLL'"), "{err}");

    common::run_ok(
        cfg,
        out_s,
        &["--filter-samples", "DYJetsToLL,TTTo2L2Nu", "-ps"],
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("output_"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "output_DYJetsToLL_M-50_2018.cortado",
            "output_TTTo2L2Nu_2018.cortado"
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&dump(&out.join("output_TTTo2L2Nu_2018.cortado"))).unwrap();
    assert_eq!(json["cutflow"]["initial"].as_object().unwrap().len(), 1);

    // merged, the per-dataset outputs are the output of one run over both
    let merged = dir.join("merged.cortado");
    ok(&["merge-outputs", out_s, "-o", merged.to_str().unwrap()]);
    let together = dir.join("together");
    common::run_ok(
        cfg,
        together.to_str().unwrap(),
        &["--filter-samples", "DYJetsToLL,TTTo2L2Nu"],
    );
    assert!(
        dump(&merged) == dump(&together),
        "merged per-dataset outputs differ from one run"
    );
    // an output merged with itself would count twice: refused
    let one = out.join("output_TTTo2L2Nu_2018.cortado");
    let o = cortado(&[
        "merge-outputs",
        one.to_str().unwrap(),
        one.to_str().unwrap(),
        "-o",
        dir.join("twice.cortado").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("count twice"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn run_options_files_are_checked() {
    let dir = tmpdir("ro");
    let ro = dir.join("run_options.yaml");
    std::fs::write(&ro, "chunksize: 1000\nskip-bad-file: true\n").unwrap();
    let o = common::run(
        "examples/zmumu/analysis.yaml",
        dir.join("out").to_str().unwrap(),
        &["--custom-run-options", ro.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("run_options.yaml:2:1") && err.contains("skip-bad-files"),
        "{err}"
    );
    // A PocketCoffea file (the reference's) loads; ignored keys are reported
    std::fs::write(
        &ro,
        "# no grid proxy offline\nignore-grid-certificate: true\nchunksize: 2000\n",
    )
    .unwrap();
    let log = common::run_ok(
        "examples/zmumu/analysis.yaml",
        dir.join("out").to_str().unwrap(),
        &["--custom-run-options", ro.to_str().unwrap()],
    );
    assert!(
        log.contains("9 chunks"),
        "chunksize 2000 of the file is used: {log}"
    );
    assert!(
        log.contains("not used by cortado: ignore-grid-certificate"),
        "{log}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn groups_of_samples_and_resubmitting_failed_groups() {
    let dir = tmpdir("groups");
    let cfg = bad_fileset(&dir);
    // DY (good file) and a second dataset of TT whose only file is corrupt
    let fs = dir.join("fileset.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fs).unwrap()).unwrap();
    v["DYJetsToLL_M-50_2018"]["files"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    let tt = root().join("examples/zmumu/data/tt_2018_small.root");
    let mut broken = std::fs::read(&tt).unwrap();
    damage(&mut broken, 200_000..600_000);
    std::fs::write(dir.join("tt.root"), &broken).unwrap();
    v["TTTo2L2Nu_2018"] = serde_json::json!({
        "metadata": {"sample": "TTTo2L2Nu", "year": "2018", "isMC": "True", "xsec": "88.29"},
        "files": ["tt.root"]
    });
    std::fs::write(&fs, v.to_string()).unwrap();
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("[DYJetsToLL]", "[DYJetsToLL, TTTo2L2Nu]");
    std::fs::write(&cfg, text).unwrap();
    let ro = dir.join("ro.yaml");
    std::fs::write(&ro, "group-samples:\n  top: [TTTo2L2Nu]\n").unwrap();
    let out = dir.join("out");
    let (cfg_s, out_s, ro_s) = (
        cfg.to_str().unwrap(),
        out.to_str().unwrap(),
        ro.to_str().unwrap(),
    );
    let o = common::run(cfg_s, out_s, &["-ps", "-ro", ro_s]);
    assert!(!o.status.success(), "a failed group makes the run fail");
    let failed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("failed_jobs.json")).unwrap())
            .unwrap();
    assert_eq!(
        failed.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["top"]
    );
    assert!(
        out.join("output_DYJetsToLL_M-50_2018.cortado").exists(),
        "the other group is written"
    );
    assert!(!out.join("output_top.cortado").exists());
    // repair the file, rerun only the failed group
    std::fs::copy(&tt, dir.join("tt.root")).unwrap();
    let dy_before = std::fs::metadata(out.join("output_DYJetsToLL_M-50_2018.cortado"))
        .unwrap()
        .modified()
        .unwrap();
    let log = common::run_ok(cfg_s, out_s, &["-ps", "-ro", ro_s, "--resubmit-failed"]);
    assert!(log.contains("resubmitting 1 failed group"), "{log}");
    assert!(out.join("output_top.cortado").exists());
    assert!(!out.join("failed_jobs.json").exists());
    let dy_after = std::fs::metadata(out.join("output_DYJetsToLL_M-50_2018.cortado"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        dy_before, dy_after,
        "the group that had succeeded is not run again"
    );
    std::fs::remove_dir_all(&dir).ok();
}
