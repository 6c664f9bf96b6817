//! PocketCoffea's dataset definition JSON (§2.1): per key, a sample, an
//! output JSON and a list of parts, each with its DAS names (or folders,
//! globs, `root://` directories) and metadata; and the strings PocketCoffea
//! writes for metadata values (`str(v)` in Python).

use std::path::{Path, PathBuf};

use cortado_yaml::{ConfigError, Node, Value};

/// The years PocketCoffea's parameters know.
pub const YEARS: &[&str] = &[
    "2016_PreVFP",
    "2016_PostVFP",
    "2017",
    "2018",
    "2022_preEE",
    "2022_postEE",
    "2023_preBPix",
    "2023_postBPix",
    "2024",
    "2025",
];

/// One key of the definition file.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The key (`DYJetsToLL_M-50`).
    pub key: String,
    /// The sample label.
    pub sample: String,
    /// The fileset JSON to write (relative paths: against the definition file's folder).
    pub json_output: PathBuf,
    /// `storage_prefix`: a local copy's prefix (for `_local.json`).
    pub storage_prefix: Option<String>,
    /// The parts (`files`), each a dataset of the fileset.
    pub parts: Vec<Part>,
}

/// One entry of a definition's `files`.
#[derive(Debug, Clone)]
pub struct Part {
    /// DAS names, folders, globs or `root://` directories.
    pub das_names: Vec<String>,
    /// A DBS instance other than `prod/global`.
    pub dbs_instance: Option<String>,
    /// The metadata as PocketCoffea writes it (`str(v)`), in the file's order.
    pub metadata: Vec<(String, String)>,
}

impl Part {
    /// A metadata value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the part is simulation (`isMC`: true).
    pub fn is_mc(&self) -> bool {
        self.meta("isMC")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The dataset name: `{key}[_{part}]_{year}[_Era{era}]` (the era for data only).
    pub fn dataset_name(&self, key: &str) -> String {
        let year = self.meta("year").unwrap_or_default();
        let mut name = match self.meta("part") {
            Some(p) => format!("{key}_{p}_{year}"),
            None => format!("{key}_{year}"),
        };
        if !self.is_mc() {
            if let Some(era) = self.meta("era") {
                name.push_str(&format!("_Era{era}"));
            }
        }
        name
    }
}

/// The definitions of the file at `path` (strict JSON), in the file's
/// order; an error names the line and what is wrong.
pub fn read(path: &Path) -> Result<Vec<Definition>, ConfigError> {
    let root = cortado_config::read_json(path)?;
    let mut out = Vec::new();
    for (k, v) in root.as_map()? {
        out.push(definition(&k.name, v)?);
    }
    if out.is_empty() {
        return Err(root.error("the dataset definition file has no keys"));
    }
    Ok(out)
}

/// One key.
fn definition(key: &str, n: &Node) -> Result<Definition, ConfigError> {
    let what = format!("dataset definition '{key}'");
    n.check_keys(&["sample", "json_output", "storage_prefix", "files"], &what)?;
    let files = n.req("files")?;
    let mut parts = Vec::new();
    for f in files.as_seq()? {
        parts.push(part(key, f)?);
    }
    if parts.is_empty() {
        return Err(files.error(format!("{what}: 'files' is empty")));
    }
    Ok(Definition {
        key: key.to_string(),
        sample: n.req("sample")?.as_text()?,
        json_output: PathBuf::from(n.req("json_output")?.as_text()?),
        storage_prefix: n
            .get("storage_prefix")
            .filter(|s| s.value != Value::Null)
            .map(Node::as_text)
            .transpose()?,
        parts,
    })
}

/// One entry of `files`, with its metadata checked: MC needs `year`,
/// `isMC`, `xsec`; data `year`, `isMC`, `era`, `primaryDataset`.
fn part(key: &str, n: &Node) -> Result<Part, ConfigError> {
    let what = format!("dataset definition '{key}'");
    n.check_keys(
        &["das_names", "dbs_instance", "metadata", "das_parents_names"],
        &what,
    )?;
    let das = n.req("das_names")?;
    let das_names = das
        .as_seq()?
        .iter()
        .map(Node::as_text)
        .collect::<Result<Vec<_>, _>>()?;
    if das_names.is_empty() {
        return Err(das.error(format!("{what}: 'das_names' is empty")));
    }
    let meta = n.req("metadata")?;
    let metadata: Vec<(String, String)> = meta
        .as_map()?
        .iter()
        .map(|(k, v)| (k.name.clone(), py_str(v)))
        .collect();
    let p = Part {
        das_names,
        dbs_instance: n
            .get("dbs_instance")
            .filter(|s| s.value != Value::Null)
            .map(Node::as_text)
            .transpose()?,
        metadata,
    };
    let required: &[&str] = if p.is_mc() {
        &["year", "isMC", "xsec"]
    } else {
        &["year", "isMC", "era", "primaryDataset"]
    };
    for r in required {
        if p.meta(r).is_none() {
            let kind = if p.is_mc() { "simulation" } else { "data" };
            return Err(meta.error(format!(
                "{what}: the metadata of {kind} need '{r}' ({})",
                required.join(", ")
            )));
        }
    }
    let year = p.meta("year").unwrap_or_default();
    if !YEARS.contains(&year) {
        let at = meta.get("year").unwrap_or(meta);
        return Err(at
            .error(format!("{what}: unknown year '{year}'"))
            .with_suggestions(year, YEARS.iter().copied()));
    }
    Ok(p)
}

/// A value as Python's `str()` writes it: `True`, `6077.22`, `1e-05`,
/// `['a', 'b']`, `{'k': 1}`, `None`.
pub fn py_str(n: &Node) -> String {
    match &n.value {
        Value::Str(s) => s.clone(),
        other => py_repr_value(other),
    }
}

fn py_repr_value(v: &Value) -> String {
    match v {
        Value::Null | Value::Missing => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => py_float(*f),
        Value::Str(s) => py_quote(s),
        Value::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| py_repr_value(&i.value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_quote(&k.name), py_repr_value(&v.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's `repr` of a string: single quotes unless it holds one and no
/// double quote.
pub fn py_quote(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// Python's `repr` of a float: the shortest digits that round-trip, in
/// fixed notation for 1e-4 ≤ |x| < 1e16, otherwise as `1e-05`, `1.5e+16`.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    if (-4..16).contains(&exp) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            s + ".0"
        }
    } else {
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_prints_them() {
        for (x, want) in [
            (6077.22, "6077.22"),
            (1.0, "1.0"),
            (88.29, "88.29"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (123456789012345.0, "123456789012345.0"),
            (-2.5e-7, "-2.5e-07"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(py_float(x), want, "{x}");
        }
    }

    #[test]
    fn values_print_as_python_str() {
        let n = cortado_yaml::load_str(
            r#"{"a": true, "b": 12, "c": ["/A/B/NANOAODSIM", "it's"], "d": null, "e": {"k": 1.5}}"#,
            "t.json",
        )
        .unwrap();
        let got: Vec<String> = n.as_map().unwrap().iter().map(|(_, v)| py_str(v)).collect();
        assert_eq!(
            got,
            [
                "True",
                "12",
                r#"['/A/B/NANOAODSIM', "it's"]"#,
                "None",
                "{'k': 1.5}"
            ]
        );
    }

    fn write(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("cortado-def-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("d{}.json", text.len()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn names_and_required_metadata() {
        let p = write(
            r#"{"DATA_SingleMuon": {"sample": "DATA_SingleMuon", "json_output": "out/data.json",
                "files": [{"das_names": ["/SingleMuon/Run2018A/NANOAOD"],
                           "metadata": {"year": "2018", "isMC": false, "era": "A", "primaryDataset": "SingleMuon"}}]},
               "TT": {"sample": "TTTo2L2Nu", "json_output": "tt.json",
                "files": [{"das_names": ["a"], "metadata": {"year": "2018", "isMC": true, "xsec": 88.29, "part": "HT100"}}]}}"#,
        );
        let d = read(&p).unwrap();
        assert_eq!(d[0].key, "DATA_SingleMuon");
        assert_eq!(
            d[0].parts[0].dataset_name("DATA_SingleMuon"),
            "DATA_SingleMuon_2018_EraA"
        );
        assert_eq!(d[1].parts[0].dataset_name("TT"), "TT_HT100_2018");
        assert_eq!(d[1].parts[0].meta("xsec"), Some("88.29"));
        assert_eq!(d[1].parts[0].meta("isMC"), Some("True"));
        for (text, want) in [
            (
                r#"{"K": {"sample": "s", "json_output": "o.json", "files": [{"das_names": ["a"], "metadata": {"year": "2018", "isMC": true}}]}}"#,
                "need 'xsec'",
            ),
            (
                r#"{"K": {"sample": "s", "json_output": "o.json", "files": [{"das_names": ["a"], "metadata": {"year": "2019", "isMC": true, "xsec": 1}}]}}"#,
                "unknown year '2019'",
            ),
            (
                r#"{"K": {"sample": "s", "json_output": "o.json", "file": []}}"#,
                "unknown key 'file'",
            ),
            (r#"{"K": {"sample": "s",}}"#, "not valid JSON"),
        ] {
            let e = read(&write(text)).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
