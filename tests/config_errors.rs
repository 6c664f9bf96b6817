//! A mistake in a configuration is reported before any event is read, with
//! the file, line and column, and the closest valid name.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes a configuration extending the Z->mumu example and runs `cortado check`.
fn check(name: &str, body: &str) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("cortado-cfg-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("analysis.yaml");
    let base = root().join("examples/zmumu/analysis.yaml");
    std::fs::write(&path, format!("extends: {}\n{body}", base.display())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["check", "--cfg", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fails_with(name: &str, body: &str, needles: &[&str]) {
    let (ok, _, err) = check(name, body);
    assert!(!ok, "{name}: expected an error");
    for n in needles {
        assert!(err.contains(n), "{name}: missing {n:?} in:\n{err}");
    }
}

#[test]
fn the_example_is_valid_and_reads_only_what_it_needs() {
    let (ok, out, err) = check("valid", "");
    assert!(ok, "{err}");
    assert!(out.contains("branches read (34)"), "{out}");
    assert!(out.contains("branches read (35)"), "{out}");
    assert!(!out.contains("Electron_cutBased"), "{out}");
}

#[test]
fn unknown_top_level_key() {
    fails_with(
        "topkey",
        "skimm: []\n",
        &[
            "analysis.yaml:2:1",
            "unknown key 'skimm'",
            "did you mean 'skim'",
        ],
    );
}

#[test]
fn misspelt_field_in_an_expression() {
    fails_with(
        "field",
        "workflow:\n  variables:\n    lead_pt: fill_none(first(MuonGood.ptt), 0)\n",
        &[
            "analysis.yaml:4:30",
            "collection MuonGood has no field 'ptt' (did you mean 'pt'?)",
            "^^^",
        ],
    );
}

#[test]
fn misspelt_collection_and_function() {
    fails_with(
        "coll",
        "workflow:\n  variables:\n    x: count(Muonn)\n",
        &["analysis.yaml:4:", "unknown name 'Muonn'", "'Muon'"],
    );
    fails_with(
        "func",
        "workflow:\n  objects:\n    MuonGood: lepton_selectio(Muon)\n",
        &[
            "unknown function 'lepton_selectio'",
            "did you mean 'lepton_selection'",
            "docs/configuration.md, section Functions",
        ],
    );
    fails_with(
        "argsort",
        "workflow:\n  variables:\n    x: count(argsort(Jet.pt))\n",
        &[
            "unknown function 'argsort'",
            "sort_by, argmin and argmax order and choose them",
            "UserFunction",
        ],
    );
    fails_with(
        "combinations_n",
        "workflow:\n  variables:\n    x: count(combinations(Jet, 1))\n",
        &["analysis.yaml:4:", "n is a whole number from 2 to 8"],
    );
    fails_with(
        "tuple_sum",
        "workflow:\n  objects:\n    P: combinations(Jet, 2)\n  variables:\n    x: count(P[(P.0 + Muon).mass > 3])\n",
        &["'+' of objects takes two members of the same tuples"],
    );
    fails_with(
        "argmin_key",
        "workflow:\n  variables:\n    x: argmin(Jet, Muon.pt).pt\n",
        &["argmin(C, key): the key is a number per object of C"],
    );
    fails_with(
        "any_cond",
        "workflow:\n  variables:\n    x: any(Jet, Jet.pt)\n",
        &["any(C, condition): the condition is one boolean per object of C"],
    );
}

#[test]
fn unknown_weight_category_and_sample() {
    fails_with(
        "weight",
        "weights:\n  common:\n    inclusive: [genWeigth, lumi, XS]\n",
        &[
            "analysis.yaml:4:17",
            "unknown weight 'genWeigth'",
            "did you mean 'genWeight'",
        ],
    );
    fails_with(
        "cat",
        "weights:\n  common:\n    inclusive: [genWeight]\n    bycategory: {baselin: [lumi]}\n",
        &["unknown category 'baselin'", "did you mean 'baseline'"],
    );
    fails_with("sample", "weights:\n  common: {inclusive: [genWeight]}\n  bysample: {DYJetsToL: {inclusive: [XS]}}\n", &["unknown sample 'DYJetsToL'", "did you mean 'DYJetsToLL'"]);
}

#[test]
fn type_errors() {
    fails_with(
        "types",
        "workflow:\n  variables:\n    bad: MuonGood.pt + JetGood.pt\n",
        &["different numbers of objects"],
    );
    fails_with(
        "cutbool",
        "skim: [\"nMuon + 1\"]\n",
        &["a cut must give one boolean per event"],
    );
    fails_with("and", "skim: [\"nMuon and True\"]\n", &["needs booleans"]);
}

#[test]
fn parameters_and_histograms() {
    fails_with(
        "param",
        "workflow:\n  variables:\n    x: count(Muon[Muon.pt > ${object_preselection.Muon.ptt}])\n",
        &[
            "parameter 'object_preselection.Muon.ptt' not found",
            "did you mean 'pt'",
        ],
    );
    fails_with(
        "hist",
        "histograms:\n  h: {axes: [{coll: ll, field: mass, bins: 10, start: 0, stop: 1}], only_categories: [baselin]}\n",
        &["only_categories names unknown 'baselin'", "did you mean 'baseline'"],
    );
    fails_with(
        "factory",
        "histograms:\n  h: {factory: muon_histz}\n",
        &["did you mean 'muon_hists'"],
    );
    fails_with(
        "intcat_float",
        "histograms:\n  h: {axes: [{coll: ll, field: mass, type: intcat, growth: true}]}\n",
        &["the integer axis 'll.mass' needs integer values"],
    );
    fails_with(
        "intcat_empty",
        "histograms:\n  h: {axes: [{coll: events, field: nJetGood, type: intcat}]}\n",
        &["an intcat axis needs its categories (bins: [0, 1, 2, ...]) or growth: true"],
    );
    fails_with(
        "intcat_half",
        "histograms:\n  h: {axes: [{coll: events, field: nJetGood, type: intcat, bins: [0, 1.5]}]}\n",
        &["the category 1.5 is not an integer"],
    );
    fails_with(
        "strcat",
        "histograms:\n  h: {axes: [{coll: events, field: nJetGood, type: strcat, growth: true}]}\n",
        &["strcat axes are not supported"],
    );
    // Factories name histograms after the collection (as PocketCoffea), not
    // after the key: a second call for MuonGood collides with the example's.
    fails_with(
        "factory_twice",
        "histograms:\n  leading_muon: {factory: muon_hists, coll: MuonGood, pos: 0}\n",
        &[
            "histogram 'MuonGood_eta_1' is defined twice",
            "give `name:` to tell two calls apart",
        ],
    );
}

#[test]
fn datasets() {
    fails_with(
        "filter",
        "datasets:\n  filter: {samples: [DYJetsToLLL]}\n",
        &["sample 'DYJetsToLLL'", "did you mean 'DYJetsToLL'"],
    );
    fails_with(
        "json",
        "datasets:\n  jsons: [no/such/fileset.json]\n",
        &["fileset", "does not exist"],
    );
}

#[test]
fn rust_functions_need_the_binary_that_registers_them() {
    // The custom_workflow example runs with its own binary; plain cortado
    // says which name (defined by the example's Rust hooks) it does not know, where.
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["check", "--cfg", "examples/custom_workflow/analysis.yaml"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("analysis.yaml:27:"), "{err}");
    assert!(err.contains("unknown name 'MuonTightIso'"), "{err}");
    fails_with(
        "userfn",
        "histograms:\n  cs:\n    axes: [{expr: \"cos_theta_cs(MuonGood)\", name: cs, bins: 4, start: -1, stop: 1}]\n",
        &["analysis.yaml:4:", "unknown function 'cos_theta_cs'"],
    );
}

#[test]
fn a_histogram_without_autofill_needs_no_values() {
    // Declared for a workflow's fill_histograms_extra: the axes need no
    // field that exists; without autofill: false they do.
    let (ok, _, err) = check(
        "noautofill",
        "histograms:\n  extra:\n    autofill: false\n    axes: [{coll: custom, field: x, bins: 4, start: 0, stop: 1}]\n",
    );
    assert!(ok, "{err}");
    fails_with(
        "autofill",
        "histograms:\n  extra:\n    axes: [{coll: custom, field: x, bins: 4, start: 0, stop: 1}]\n",
        &[
            "analysis.yaml:4:",
            "declare the histogram with autofill: false",
        ],
    );
}

/// `cortado run --help` names every executor (slurm and condor were missing).
#[test]
fn run_help_lists_every_executor() {
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for e in [
        "iterative",
        "futures",
        "slurm",
        "condor",
        "--overwrite",
        "--resume",
    ] {
        assert!(help.contains(e), "{e} missing in:\n{help}");
    }
}

#[test]
fn errors_in_multi_line_expressions_point_at_the_file_line() {
    // a folded expression: the unknown name is on its third line
    fails_with(
        "folded",
        "preselections:\n  - name: dilepton\n    expr: >-\n      nLeptonGood == 2\n      and first(MuonGood.pt) > 25\n      and ll.mas < 200\n",
        &[
            "analysis.yaml:7:11:",
            "has no field 'mas' (did you mean 'mass'?)",
            "\n    and ll.mas < 200\n        ^^^^^^\n",
        ],
    );
    // a literal block, indented further on its second line
    fails_with(
        "literal",
        "preselections:\n  - name: dilepton\n    expr: |\n      nLeptonGood == 2 and\n        first(MuonGoood.pt) > 25\n",
        &[
            "analysis.yaml:6:15:",
            "unknown name 'MuonGoood'",
            "\n    first(MuonGoood.pt) > 25\n          ^^^^^^^^^\n",
        ],
    );
    // a quoted one-line expression: the column counts the quote
    fails_with(
        "quoted",
        "workflow:\n  variables:\n    x: \"count(Muonn)\"\n",
        &["analysis.yaml:4:15:", "unknown name 'Muonn'"],
    );
}

#[test]
fn too_deep_an_expression_is_an_error_with_a_caret() {
    let n = 300;
    let body = format!(
        "workflow:\n  variables:\n    x: {}MET_pt{}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    fails_with(
        "deep",
        &body,
        &[
            "analysis.yaml:4:264:",
            "nested too deeply (more than 256 levels",
            "^",
        ],
    );
    let body = format!(
        "workflow:\n  variables:\n    x: {}\n",
        vec!["MET_pt"; 20_000].join(" + ")
    );
    fails_with("chain", &body, &["analysis.yaml:4:", "nested too deeply"]);
}

/// Runs `cortado check --cfg FILE` on a file with the given name and text.
fn check_file(name: &str, text: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("cortado-cfgf-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
        .args(["check", "--cfg", path.to_str().unwrap()])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_pocketcoffea_python_configuration_is_recognised() {
    let py = "from pocket_coffea.utils.configurator import Configurator\nimport os\n\ncfg = Configurator(workflow=None)\n";
    for name in ["config.py", "config.yaml"] {
        let (ok, err) = check_file(name, py);
        assert!(!ok);
        assert!(
            err.contains(&format!(
                "{name} is a PocketCoffea Python configuration; cortado reads YAML: see docs/porting-from-pocketcoffea.md"
            )),
            "{err}"
        );
        assert!(!err.contains("YAML syntax error"), "{err}");
    }
}

#[test]
fn an_empty_configuration_names_its_file() {
    let (ok, err) = check_file("empty.yaml", "");
    assert!(!ok);
    assert!(
        err.contains("empty.yaml:1:1: missing required key 'datasets'"),
        "{err}"
    );
}

#[test]
fn a_fileset_json_must_be_strict_json() {
    let dir = std::env::temp_dir().join(format!("cortado-cfg-{}-jsonc", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = root().join("examples/zmumu/datasets/fileset.json");
    let text = std::fs::read_to_string(&good).unwrap();
    // a trailing comma after the last dataset
    let end = text.rfind('}').unwrap();
    let bad = format!("{},\n}}\n", text[..end].trim_end());
    let line = bad.lines().count() - 1;
    std::fs::write(dir.join("fileset.json"), &bad).unwrap();
    let (ok, _, err) = check(
        "jsonc",
        &format!(
            "datasets:\n  jsons: [{}]\n",
            dir.join("fileset.json").display()
        ),
    );
    std::fs::remove_dir_all(&dir).ok();
    assert!(!ok);
    assert!(
        err.contains(&format!(
            "fileset.json:{}:1: not valid JSON: trailing comma",
            line + 1
        )),
        "{err}"
    );
}

#[test]
fn histograms_too_large_for_memory_are_refused_before_reading() {
    // 10^9 bins, and 10^5 × 10^5: refused at the histogram's line, with what it would take
    fails_with(
        "huge1d",
        "histograms:\n  huge:\n    axes: [{coll: ll, field: mass, bins: 1000000000, start: 0, stop: 200}]\n",
        &[
            "analysis.yaml:4:5:",
            "the histograms would take 447.0 GiB of memory, more than the limit of 16.0 GiB",
            // data once; DY and tt once per variation (nominal and 6 weight variations)
            "'huge', has 1,000,000,002 cells of 32 bytes, held 15 times",
            "workflow_options: {max_histogram_memory: 448GiB}",
        ],
    );
    fails_with(
        "huge2d",
        "histograms:\n  mll: {axes: [{coll: ll, field: mass, bins: 10, start: 0, stop: 200}]}\n  huge2d:\n    storage: double\n    axes:\n      - {coll: ll, field: mass, bins: 100000, start: 0, stop: 200}\n      - {coll: ll, field: pt, bins: 100000, start: 0, stop: 200}\n",
        &[
            "analysis.yaml:5:5:",
            "'huge2d', has 10,000,400,004 cells of 16 bytes",
        ],
    );
    // axes whose cells cannot even be counted in 64 bits
    let axes = ["{coll: ll, field: mass, bins: 100000000, start: 0, stop: 1}"; 4].join(", ");
    fails_with(
        "overflow",
        &format!("histograms:\n  h: {{axes: [{axes}]}}\n"),
        &["analysis.yaml:3:6:", "more than the limit"],
    );
    // the limit can be raised (planning allocates nothing)
    let (ok, _, err) = check(
        "raised",
        "workflow_options: {max_histogram_memory: 100TiB}\nhistograms:\n  huge:\n    axes: [{coll: ll, field: mass, bins: 1000000000, start: 0, stop: 200}]\n",
    );
    assert!(ok, "{err}");
    fails_with(
        "badlimit",
        "workflow_options: {max_histogram_memory: lots}\n",
        &["analysis.yaml:2:42:", "must be a size in bytes"],
    );
}

/// Objects taken from a collection keep the fields it had then (as in
/// awkward): a field defined afterwards is an error at check time, with the
/// fix, not a failure in the middle of the run.
#[test]
fn a_field_defined_after_objects_were_taken_from_the_collection() {
    let later =
        "'Muon.flavour' is defined after these objects were taken from Muon: define it first";
    fails_with(
        "later_tuples",
        "workflow:\n  objects:\n    P: combinations(Muon, 2)\n    Muon.flavour: 13\n\
         \x20 variables:\n    x: sum(P.0.flavour)\n",
        &[
            "analysis.yaml:7:12",
            "collection P.0 has no field 'flavour'",
            later,
        ],
    );
    fails_with(
        "later_single",
        "workflow:\n  objects:\n    B: Muon[0]\n    Muon.flavour: 13\n\
         \x20 variables:\n    x: fill_none(B.flavour, 0)\n",
        &["collection Muon has no field 'flavour'", later],
    );
    let (ok, _, err) = check(
        "before",
        "workflow:\n  objects:\n    Muon.flavour: 13\n    P: combinations(Muon, 2)\n\
         \x20 variables:\n    x: sum(P.0.flavour)\n",
    );
    assert!(ok, "{err}");
}

#[test]
fn a_field_named_as_a_member_of_tuples() {
    fails_with(
        "member_field",
        "workflow:\n  objects:\n    P: combinations(Jet, 2, names=[a, b])\n    P.a: 1\n",
        &["'P.a': 'a' is a member of the tuples P"],
    );
}

#[test]
fn an_unused_custom_weight_is_checked_too() {
    fails_with(
        "unused_weight",
        "custom_weights:\n  w_unused: count(Muonn)\n",
        &["custom weight 'w_unused'", "unknown name 'Muonn'"],
    );
}

#[test]
fn an_error_in_a_histogram_axis_expression_points_at_it() {
    fails_with(
        "axis_expr",
        "histograms:\n  h2: {axes: [{expr: MuonGood.ptt, name: x, bins: 10, start: 0, stop: 100}]}\n",
        &[
            "analysis.yaml:3:22",
            "axis 'x': collection MuonGood has no field 'ptt'",
            "                     ^^^^^^^^^^^^",
        ],
    );
}
