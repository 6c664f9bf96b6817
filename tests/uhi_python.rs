//! Histograms written by cortado load in Python's `hist` through the UHI
//! serialisation (`cortado dump OUT --uhi`), with the same contents.
//! Uses `$CORTADO_TEST_PYTHON` (CI sets it to a venv with `hist` and `uhi`),
//! else `python3` if it has them. Ignored by default (`.ci/run` runs it
//! with `--include-ignored`); it fails when no such Python is found.

use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<String> {
    if let Ok(p) = std::env::var("CORTADO_TEST_PYTHON") {
        return Some(p);
    }
    let ok = Command::new("python3")
        .args(["-c", "import hist, uhi.io.json"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then(|| "python3".to_string())
}

#[test]
#[ignore = "needs Python with hist and uhi (CORTADO_TEST_PYTHON)"]
fn histograms_load_in_python_hist() {
    let py = python().expect("no Python with hist and uhi: set CORTADO_TEST_PYTHON");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("cortado-uhi-{}", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args([
            "run",
            "--cfg",
            "examples/extended/analysis.yaml",
            "-o",
            out.to_str().unwrap(),
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let dump = |flag: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_cortado"))
            .args(["dump", out.to_str().unwrap(), flag])
            .output()
            .unwrap();
        assert!(o.status.success());
        o.stdout
    };
    std::fs::write(out.join("hists.uhi.json"), dump("--uhi")).unwrap();
    std::fs::write(out.join("output.json"), dump("--json")).unwrap();
    let script = r#"
import json, sys
import hist, uhi.io.json
d = sys.argv[1]
hs = json.load(open(d + "/hists.uhi.json"), object_hook=uhi.io.json.object_hook)
ref = json.load(open(d + "/output.json"))["histograms"]
checked = 0
for key, obj in hs.items():
    name, sample, dataset = key.split("/")
    h = hist.Hist(obj)
    names = [a.name for a in h.axes]
    assert names[0] == "cat", names
    payloads = ref[name][sample][dataset]
    for cat, byvar in payloads.items():
        for var, p in byvar.items():
            sel = {"cat": cat}
            if p["has_variation_axis"]:
                assert names[1] == "variation", names
                sel["variation"] = var
            sub = h[sel]
            if len(p["axes"]) == 1:
                vals = list(sub.values())
                assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(vals, p["sumw"])), (key, cat, var)
                assert abs(sub.values(flow=True)[-1] - p["overflow_sumw"]) <= 1e-9 * max(1.0, abs(p["overflow_sumw"]))
                assert all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(sub.variances(), p["sumw2"]))
            else:
                flat = [x for row in sub.values(flow=True).tolist() for x in row]
                want = [x for row in p["sumw_with_flow"] for x in row]
                assert flat == want, key
            checked += 1
assert checked > 500, checked
print("checked", checked, "histograms")
"#;
    let o = Command::new(&py)
        .args(["-c", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("{}", String::from_utf8_lossy(&o.stdout));
    std::fs::remove_dir_all(&out).ok();
}
