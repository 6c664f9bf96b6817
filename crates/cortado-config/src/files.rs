//! Reading configuration files: YAML, with the files that are not YAML
//! recognised and refused with advice.

use std::path::Path;

use cortado_yaml::{ConfigError, Node, Pos};

/// Reads a YAML configuration file; a PocketCoffea Python configuration
/// (`config.py`) is recognised and refused with a pointer to the porting guide.
pub(crate) fn read_yaml(path: &Path) -> Result<Node, ConfigError> {
    let text = cortado_yaml::read_text(path)?;
    if path.extension().is_some_and(|e| e == "py") || looks_like_python(&text) {
        return Err(ConfigError::new(
            None,
            format!(
                "{} is a PocketCoffea Python configuration; cortado reads YAML: \
                 see docs/porting-from-pocketcoffea.md",
                path.display()
            ),
        ));
    }
    cortado_yaml::load_str(&text, &path.display().to_string())
}

/// Reads a JSON file strictly (as JSON, not as the YAML it also is: YAML
/// accepts trailing commas); the tree keeps positions. A `.yaml` or `.yml`
/// file is read as YAML.
pub fn read_json(path: &Path) -> Result<Node, ConfigError> {
    let name = path.display().to_string();
    let text = cortado_yaml::read_text(path)?;
    let yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if !yaml {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            return Err(ConfigError::new(
                Some(Pos {
                    file: name.as_str().into(),
                    line: e.line() as u32,
                    col: e.column().max(1) as u32,
                }),
                format!("not valid JSON: {}", json_reason(&e)),
            ));
        }
    }
    cortado_yaml::load_str(&text, &name)
}

/// serde_json's message without its own " at line L column C".
fn json_reason(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// Python rather than YAML: its first statement is an import, or it imports
/// PocketCoffea anywhere.
fn looks_like_python(text: &str) -> bool {
    let is_import = |l: &str| {
        let mut w = l.split_whitespace();
        matches!(
            (w.next(), w.next(), w.next()),
            (Some("import"), Some(_), _) | (Some("from"), Some(_), Some("import"))
        )
    };
    let mut lines = text.lines().map(str::trim);
    let first = lines
        .clone()
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("\"\"\""));
    first.is_some_and(is_import) || lines.any(|l| is_import(l) && l.contains(" pocket_coffea"))
}

#[cfg(test)]
mod tests {
    use super::{looks_like_python, read_json};

    #[test]
    fn json_is_strict() {
        let dir = std::env::temp_dir().join(format!("cortado-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fileset.json");
        let bad = [
            (
                "{\"a\": {\"files\": [\"x.root\",]}}",
                "1:27",
                "trailing comma",
            ),
            ("{\n  \"a\": 1,\n}\n", "3:1", "trailing comma"),
            ("{\"a\": 1} # note", "1:10", "trailing characters"),
            ("{a: 1}", "1:2", "key must be a string"),
            ("", "1:1", "EOF"),
        ];
        for (text, at, why) in bad {
            std::fs::write(&path, text).unwrap();
            let e = read_json(&path).unwrap_err().to_string();
            let want = format!("{}:{at}: not valid JSON: ", path.display());
            assert!(e.starts_with(&want) && e.contains(why), "{text:?}: {e}");
        }
        std::fs::write(&path, "{\"a\": {\"files\": [\"x.root\"]}}").unwrap();
        let n = read_json(&path).unwrap();
        assert_eq!(n.path("a.files.0").unwrap().as_str().unwrap(), "x.root");
        // YAML filesets stay YAML
        let path = dir.join("fileset.yaml");
        std::fs::write(&path, "a: {files: [x.root,]}\n").unwrap();
        assert!(read_json(&path).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn python_is_recognised() {
        assert!(looks_like_python("import os\nx = 1\n"));
        assert!(looks_like_python(
            "# config\n\nfrom pocket_coffea.parameters import defaults\n"
        ));
        assert!(looks_like_python(
            "\"\"\"doc\n\"\"\"\nimport os\nfrom pocket_coffea.lib import cut_functions\n"
        ));
        assert!(!looks_like_python("skim: [a]\n# import this\n"));
        assert!(!looks_like_python("imports: [a, b]\nfrom: x\n"));
        assert!(!looks_like_python(""));
    }
}
