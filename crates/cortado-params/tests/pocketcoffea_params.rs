//! PocketCoffea users' parameter files load unchanged and give the same
//! resolved tree as PocketCoffea's own `parameters_dump.yaml` (when the
//! reference material of `../shared` is present, as in CI).

use std::path::{Path, PathBuf};

use cortado_params::{Parameters, Resolvers};
use cortado_yaml::{Node, Value};

/// `../shared/reference`, which the ignored tests need: they fail without it.
fn shared() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference");
    assert!(p.exists(), "this test needs ../shared beside the checkout");
    p
}

/// Compares two trees leaf by leaf; paths into PocketCoffea's package
/// directory are compared from `parameters/` on.
fn compare(path: &str, ours: &Node, theirs: &Node, diffs: &mut Vec<String>) {
    match (&ours.value, &theirs.value) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, v) in b {
                match a.iter().find(|(ka, _)| ka.name == k.name) {
                    Some((_, va)) => compare(&format!("{path}.{}", k.name), va, v, diffs),
                    None => diffs.push(format!("{path}.{}: missing in cortado", k.name)),
                }
            }
            for (k, _) in a {
                if !b.iter().any(|(kb, _)| kb.name == k.name) {
                    diffs.push(format!("{path}.{}: only in cortado", k.name));
                }
            }
        }
        (Value::Seq(a), Value::Seq(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, diffs);
            }
        }
        (Value::Str(a), Value::Str(b))
            if a.contains("/parameters/") || b.contains("pocket_coffea/parameters") =>
        {
            let tail = |s: &str| {
                s.rsplit_once("/parameters/")
                    .map(|x| x.1.to_string())
                    .or_else(|| s.rsplit_once("params-0.1.0/").map(|x| x.1.to_string()))
                    .unwrap_or_default()
            };
            if tail(a) != tail(b) {
                diffs.push(format!("{path}: {a} vs {b}"));
            }
        }
        (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a))
            if (*a as f64) == *b => {}
        (a, b) if a == b => {}
        (a, b) => diffs.push(format!("{path}: cortado {a:?} vs PocketCoffea {b:?}")),
    }
}

#[test]
#[ignore = "needs ../shared"]
fn zmumu_user_params_give_pocketcoffeas_dump() {
    let reference = shared();
    let params_dir = reference.join("pocketcoffea_zmumu/params");
    let mut res = Resolvers::new();
    res.register_dir("config_dir", &params_dir);
    let mut p = Parameters::defaults(&res).unwrap();
    for f in ["object_preselection.yaml", "triggers.yaml", "plotting.yaml"] {
        p.merge_file(&params_dir.join(f)).unwrap();
    }
    let p = p.resolve(&res).unwrap();
    let dump = cortado_yaml::load_file(Path::new(
        &reference.join("zmumu_synthetic/parameters_dump.yaml"),
    ))
    .unwrap();
    let mut diffs = Vec::new();
    compare("", p.root(), &dump, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    // A ??? value of the user's file is kept and fails only when used.
    assert_eq!(p.get("HLT_triggers.2017").unwrap().value, Value::Missing);
    assert!(p.require("HLT_triggers.2017").is_err());
    assert_eq!(
        p.require("HLT_triggers.2018.SingleMuon")
            .unwrap()
            .as_str_list()
            .unwrap(),
        vec!["IsoMu24"]
    );
    // The dump re-loads to the same tree.
    let again = cortado_yaml::load_str(&p.to_yaml(), "dump").unwrap();
    let mut d2 = Vec::new();
    compare("", &again, p.root(), &mut d2);
    assert!(d2.is_empty(), "{d2:?}");
}

#[test]
#[ignore = "needs ../shared"]
fn extended_user_params_load() {
    let reference = shared();
    let params_dir = reference.join("pocketcoffea_extended/params");
    let mut res = Resolvers::new();
    res.register_dir("config_dir", &params_dir);
    let mut p = Parameters::defaults(&res).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&params_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml"))
    {
        p.merge_file(f).unwrap();
    }
    let p = p.resolve(&res).unwrap();
    let dump = cortado_yaml::load_file(&reference.join("extended_synthetic/parameters_dump.yaml"))
        .unwrap();
    let mut diffs = Vec::new();
    compare("", p.root(), &dump, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
