//! Helpers shared by the end-to-end tests: the repository root, scratch
//! folders, running the `cortado` binary, dumping outputs, damaging files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (tests run the binary from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch folder for one test.
pub fn tmpdir(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cortado-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `cortado ARGS` in the repository root.
pub fn cortado(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run cortado")
}

/// Runs `cortado ARGS`, which must succeed; returns what it printed (stdout, then stderr).
pub fn ok(args: &[&str]) -> String {
    let o = cortado(args);
    assert!(
        o.status.success(),
        "cortado {args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// `cortado dump OUT --json`.
pub fn dump(out: &Path) -> String {
    let o = cortado(&["dump", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Overwrites 8 bytes every 997 in `range` (baskets sit in the middle of
/// the small example files; their metadata at the end stays readable).
pub fn damage(bytes: &mut [u8], range: std::ops::Range<usize>) {
    let mut i = range.start;
    while i + 8 <= range.end.min(bytes.len()) {
        bytes[i..i + 8].fill(0xff);
        i += 997;
    }
}

/// `cortado run --cfg CFG -o OUT --no-progress EXTRA...`.
pub fn run(cfg: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--cfg", cfg, "-o", out, "--no-progress"];
    args.extend_from_slice(extra);
    cortado(&args)
}

/// [`run`], which must succeed; returns what it printed.
pub fn run_ok(cfg: &str, out: &str, extra: &[&str]) -> String {
    let mut args = vec!["run", "--cfg", cfg, "-o", out, "--no-progress"];
    args.extend_from_slice(extra);
    ok(&args)
}

/// Starts [`run`] in the background (its standard error piped when `stderr`).
pub fn spawn_run(cfg: &str, out: &str, extra: &[&str], stderr: bool) -> std::process::Child {
    use std::process::Stdio;
    Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["run", "--cfg", cfg, "-o", out, "--no-progress"])
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(if stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("start cortado")
}

/// Writes `dir/NAME.yaml`: a configuration extending `base` (relative to the
/// repository root) with `body`; returns its path.
pub fn extending(dir: &Path, name: &str, base: &str, body: &str) -> PathBuf {
    let cfg = dir.join(format!("{name}.yaml"));
    let text = format!("extends: {}\n{body}", root().join(base).display());
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// Writes `fileset` (PocketCoffea fileset JSON) into `dir` and a
/// configuration extending `base` (relative to the repository root) that
/// reads it, keeping `samples`; returns the configuration's path.
pub fn config_over(
    dir: &Path,
    name: &str,
    base: &str,
    fileset: &serde_json::Value,
    samples: &[&str],
) -> PathBuf {
    std::fs::write(dir.join("fileset.json"), fileset.to_string()).unwrap();
    let cfg = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &cfg,
        format!(
            "extends: {}\ndatasets:\n  jsons: [fileset.json]\n  filter: {{samples: [{}]}}\n",
            root().join(base).display(),
            samples.join(", ")
        ),
    )
    .unwrap();
    cfg
}

/// Every number of two dumps, pairwise, within `rtol`.
pub fn close(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: &str,
    rtol: f64,
    diffs: &mut Vec<String>,
) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => close(u, v, &format!("{path}/{k}"), rtol, diffs),
                    _ => diffs.push(format!("{path}/{k}: only in one")),
                }
            }
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                close(u, v, &format!("{path}[{i}]"), rtol, diffs);
            }
        }
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > rtol * x.abs().max(y.abs()) {
                diffs.push(format!("{path}: {x} vs {y}"));
            }
        }
        (x, y) if x == y => {}
        _ => diffs.push(format!("{path}: {a} vs {b}")),
    }
}

/// `../shared/tools/compare_outputs.py REFERENCE CANDIDATE EXTRA...`: whether
/// nothing failed, and its last line (`N passed, M failed`) and whole report.
pub fn compare_outputs(
    shared: &Path,
    reference: &Path,
    candidate: &Path,
    extra: &[&str],
) -> (bool, String, String) {
    let cmp = Command::new("python3")
        .arg(shared.join("tools/compare_outputs.py"))
        .args([reference, candidate])
        .args(extra)
        .output()
        .expect("python3 runs compare_outputs.py");
    let text = String::from_utf8_lossy(&cmp.stdout).into_owned();
    let last = text.lines().last().unwrap_or_default().to_string();
    (
        cmp.status.success() && last.ends_with(" 0 failed"),
        last,
        text,
    )
}

/// The numbers of an output folder's dump that do not name the input files
/// (histograms, cutflow, sums of weights), to compare runs of the same
/// analysis on files found in different places.
pub fn numbers(out: &Path) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&dump(out)).unwrap();
    let keys = [
        "histograms",
        "cutflow",
        "sumw",
        "sumw2",
        "sum_genweights",
        "sum_signof_genweights",
    ];
    serde_json::Value::Object(
        keys.iter()
            .map(|k| (k.to_string(), v[*k].clone()))
            .collect(),
    )
}

/// Copies a folder recursively (an example, to change its configuration).
#[allow(dead_code)]
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Runs a reference script with `$CORTADO_TEST_PYTHON` on `file`; its JSON output.
pub fn python_json(script: &str, file: &Path) -> serde_json::Value {
    let python = std::env::var("CORTADO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "CORTADO_TEST_PYTHON is not set: it must name a Python with uproot, awkward and hist"
        )
    });
    let r = Command::new(python)
        .arg(root().join(script))
        .arg(file)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    serde_json::from_slice(&r.stdout).unwrap()
}
