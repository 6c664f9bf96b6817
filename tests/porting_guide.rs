//! Every YAML block of `docs/porting-from-pocketcoffea.md` whose fence reads
//! ```` ```yaml check ```` is accepted by `cortado check`: the block replaces
//! the top-level sections of the same names in `examples/zmumu/analysis.yaml`
//! (the rest of the example is kept), in a copy of the example's folder.

mod common;

use std::process::Command;

use common::root;

const GUIDE: &str = "docs/porting-from-pocketcoffea.md";

/// The checked YAML blocks of a Markdown text: (line of the fence, content).
fn checked_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let fence = line.trim();
        match current.as_mut() {
            None if fence == "```yaml check" => current = Some((i + 1, String::new())),
            None => {}
            Some(_) if fence == "```" => out.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "{GUIDE}: a ```yaml check block is not closed"
    );
    out
}

/// The top-level key a line opens, if it opens one (`key:` at column 0).
fn top_key(line: &str) -> Option<&str> {
    let first = line.chars().next()?;
    if first.is_whitespace() || first == '#' || first == '-' {
        return None;
    }
    line.split_once(':').map(|(k, _)| k.trim())
}

/// `base` with the top-level sections that `block` defines replaced by the block.
fn replace_sections(base: &str, block: &str) -> String {
    let keys: Vec<&str> = block.lines().filter_map(top_key).collect();
    let mut kept = String::new();
    let mut skipping = false;
    for line in base.lines() {
        if let Some(k) = top_key(line) {
            skipping = keys.contains(&k);
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    format!("{kept}\n# ---- from {GUIDE}\n{block}")
}

#[test]
fn section_replacement_keeps_the_rest() {
    let base = "a: 1\nb:\n  x: 2\n  # z\nc: [3]\n";
    let out = replace_sections(base, "b:\n  y: 4\n");
    assert!(out.starts_with("a: 1\nc: [3]\n"), "{out}");
    assert!(
        out.ends_with("b:\n  y: 4\n") && !out.contains("x: 2"),
        "{out}"
    );
    let blocks = checked_blocks("x\n```yaml check\nskim: []\n```\n```yaml\nno: 1\n```\n");
    assert_eq!(blocks, vec![(2, "skim: []\n".to_string())]);
}

#[test]
fn every_checked_yaml_block_of_the_porting_guide_is_accepted() {
    let guide = std::fs::read_to_string(root().join(GUIDE)).unwrap();
    let blocks = checked_blocks(&guide);
    assert!(
        blocks.len() >= 12,
        "{GUIDE}: only {} ```yaml check blocks",
        blocks.len()
    );
    let dir = std::env::temp_dir().join(format!("cortado-guide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    common::copy_dir(&root().join("examples/zmumu"), &dir);
    let base = std::fs::read_to_string(dir.join("analysis.yaml")).unwrap();
    let mut failures = Vec::new();
    for (line, block) in &blocks {
        let path = dir.join(format!("block_{line}.yaml"));
        std::fs::write(&path, replace_sections(&base, block)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_cortado"))
            .args(["check", "--cfg", path.to_str().unwrap()])
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{GUIDE}:{line}: cortado check refuses the block:\n{block}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
