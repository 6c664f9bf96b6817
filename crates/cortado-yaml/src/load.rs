//! YAML text to [`Node`] trees, with positions.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diag::ConfigError;
use crate::node::{Key, Node, Pos, Value};

/// The deepest a document may nest (mappings and sequences, aliases included):
/// real configurations stay below ten; the limit keeps every recursive pass over
/// a tree (interpolation, merging, dropping) within a thread's stack.
pub const MAX_DEPTH: usize = 256;

/// The most values aliases (`*name`) may expand to in one document: a billion
/// laughs (`&a [*a, *a, ...]` nested) is refused instead of filling memory.
pub const MAX_ALIAS_VALUES: usize = 1_000_000;

/// Parses a YAML file.
pub fn load_file(path: &Path) -> Result<Node, ConfigError> {
    let text = read_text(path)?;
    load_str(&text, &path.display().to_string())
}

/// The text of a configuration file; a FIFO, device or directory is refused
/// (reading one could block forever or never end).
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    let cannot = |e: &dyn std::fmt::Display| {
        ConfigError::new(None, format!("cannot read {}: {e}", path.display()))
    };
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(cannot(&"not a regular file"));
    }
    std::fs::read_to_string(path).map_err(|e| cannot(&e))
}

/// Parses YAML text; `file` names it in positions and errors.
/// An empty document gives an empty mapping located at the file's first line.
pub fn load_str(text: &str, file: &str) -> Result<Node, ConfigError> {
    let file: Arc<str> = Arc::from(file);
    let mut b = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
        expanded: 0,
    };
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| {
            ConfigError::new(
                Some(Pos {
                    file: file.clone(),
                    line: e.marker().line() as u32,
                    col: e.marker().col() as u32 + 1,
                }),
                format!("YAML syntax error: {}", e.info()),
            )
        })?;
        b.event(ev, span)?;
    }
    match b.docs.len() {
        0 => Ok(Node::at(
            Value::Map(Vec::new()),
            Some(Pos {
                file,
                line: 1,
                col: 1,
            }),
        )),
        1 => Ok(b.docs.pop().expect("one document").node),
        n => Err(ConfigError::new(
            b.docs[1].node.pos.clone(),
            format!("expected one YAML document, found {n}"),
        )),
    }
}

/// A finished node with the number of values in it and its depth.
#[derive(Clone)]
struct Built {
    node: Node,
    size: usize,
    depth: usize,
}

impl Built {
    fn leaf(node: Node) -> Built {
        Built {
            node,
            size: 1,
            depth: 1,
        }
    }
}

enum FrameKind {
    Seq,
    Map(MapState),
}

/// What a mapping being read needs besides its entries.
#[derive(Default)]
struct MapState {
    /// A key waiting for its value.
    pending: Option<Node>,
    /// Where each key is in the entries.
    names: HashMap<String, usize>,
    /// Keys that came from `<<` merges (explicit keys override them).
    merged: HashSet<String>,
    /// Entries overridden (removed when the mapping ends).
    dead: Vec<usize>,
}

impl MapState {
    /// Adds `key: node`, or merges `<<: node`.
    fn add(
        &mut self,
        entries: &mut Vec<(Key, Node)>,
        key: Node,
        node: Node,
    ) -> Result<(), ConfigError> {
        let name = key_name(&key)?;
        if name == "<<" && matches!(key.value, Value::Str(_)) {
            for (k, v) in merge_sources(node)?.into_iter().flatten() {
                if !self.names.contains_key(&k.name) {
                    self.names.insert(k.name.clone(), entries.len());
                    self.merged.insert(k.name.clone());
                    entries.push((k, v));
                }
            }
            return Ok(());
        }
        if self.merged.remove(&name) {
            if let Some(i) = self.names.remove(&name) {
                self.dead.push(i);
            }
        }
        if let Some(&i) = self.names.get(&name) {
            return Err(ConfigError::new(
                key.pos.clone(),
                format!(
                    "duplicate key '{name}'{}",
                    entries[i]
                        .0
                        .pos
                        .as_ref()
                        .map(|p| format!(" (first at line {})", p.line))
                        .unwrap_or_default()
                ),
            ));
        }
        self.names.insert(name.clone(), entries.len());
        entries.push((Key { name, pos: key.pos }, node));
        Ok(())
    }

    /// Removes the overridden entries.
    fn finish(&self, node: &mut Node) {
        if self.dead.is_empty() {
            return;
        }
        let dead: HashSet<usize> = self.dead.iter().copied().collect();
        if let Value::Map(entries) = &mut node.value {
            let mut i = 0;
            entries.retain(|_| {
                i += 1;
                !dead.contains(&(i - 1))
            });
        }
    }
}

/// A mapping or sequence being read: the node so far (size and depth
/// counted), its anchor, and what kind it is.
struct Frame {
    built: Built,
    anchor: usize,
    kind: FrameKind,
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Built>,
    docs: Vec<Built>,
    /// Values copied by aliases so far.
    expanded: usize,
}

impl Builder {
    fn pos(&self, span: Span) -> Option<Pos> {
        Some(Pos {
            file: self.file.clone(),
            line: span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        })
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<(), ConfigError> {
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let value = if style == ScalarStyle::Plain {
                    plain_scalar(&text)
                } else if text == "???" {
                    Value::Missing
                } else {
                    Value::Str(text.into_owned())
                };
                let node = Node::at(value, self.pos(span));
                self.push_value(Built::leaf(node), anchor)?;
            }
            Event::SequenceStart(anchor, _) => self.open(Value::Seq(Vec::new()), anchor, span)?,
            Event::MappingStart(anchor, _) => self.open(Value::Map(Vec::new()), anchor, span)?,
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(mut frame) = self.stack.pop() else {
                    return Err(ConfigError::new(
                        self.pos(span),
                        "unbalanced YAML structure",
                    ));
                };
                if let FrameKind::Map(m) = &frame.kind {
                    m.finish(&mut frame.built.node);
                }
                self.push_value(frame.built, frame.anchor)?;
            }
            Event::Alias(id) => {
                let built = self.anchors.get(&id).ok_or_else(|| {
                    ConfigError::new(self.pos(span), "alias to an unknown anchor")
                })?;
                let size = built.size;
                self.copied(size, self.pos(span))?;
                let built = self.anchors[&id].clone();
                self.push_value(built, 0)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Counts values copied for anchors and aliases; an error past the limit.
    fn copied(&mut self, size: usize, at: Option<Pos>) -> Result<(), ConfigError> {
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded > MAX_ALIAS_VALUES {
            return Err(ConfigError::new(
                at,
                format!(
                    "anchors and aliases copy more than {MAX_ALIAS_VALUES} values \
                     (an alias bomb?)"
                ),
            ));
        }
        Ok(())
    }

    /// Starts a mapping or a sequence.
    fn open(&mut self, value: Value, anchor: usize, span: Span) -> Result<(), ConfigError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ConfigError::new(
                self.pos(span),
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let kind = match value {
            Value::Seq(_) => FrameKind::Seq,
            _ => FrameKind::Map(MapState::default()),
        };
        self.stack.push(Frame {
            built: Built::leaf(Node::at(value, self.pos(span))),
            anchor,
            kind,
        });
        Ok(())
    }

    fn push_value(&mut self, built: Built, anchor: usize) -> Result<(), ConfigError> {
        // an alias may bring a deep tree: the depth it reaches here counts
        if self.stack.len() + built.depth > MAX_DEPTH {
            return Err(ConfigError::new(
                built.node.pos.clone(),
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if anchor > 0 {
            self.copied(built.size, built.node.pos.clone())?;
            self.anchors.insert(anchor, built.clone());
        }
        let Some(frame) = self.stack.last_mut() else {
            self.docs.push(built);
            return Ok(());
        };
        let Built { node, size, depth } = built;
        let parent = &mut frame.built;
        match &mut frame.kind {
            FrameKind::Seq => {
                if let Value::Seq(items) = &mut parent.node.value {
                    items.push(node);
                }
            }
            FrameKind::Map(state) => match state.pending.take() {
                None => state.pending = Some(node),
                Some(key) => {
                    let Value::Map(entries) = &mut parent.node.value else {
                        unreachable!()
                    };
                    state.add(entries, key, node)?;
                }
            },
        }
        parent.size = parent.size.saturating_add(size);
        parent.depth = parent.depth.max(depth + 1);
        Ok(())
    }
}

/// The text of a mapping key.
fn key_name(key: &Node) -> Result<String, ConfigError> {
    Ok(match &key.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => crate::node::python_float_repr(*f),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Null => "null".to_string(),
        Value::Missing => "???".to_string(),
        _ => return Err(key.error("mapping keys must be scalars")),
    })
}

/// The mappings a `<<` merge copies from: `<<: *base` or a list of them.
fn merge_sources(src: Node) -> Result<Vec<Vec<(Key, Node)>>, ConfigError> {
    match src.value {
        Value::Map(m) => Ok(vec![m]),
        Value::Seq(items) => items
            .into_iter()
            .map(|n| match n.value {
                Value::Map(m) => Ok(m),
                _ => Err(ConfigError::new(
                    n.pos,
                    "a '<<' merge list must hold mappings",
                )),
            })
            .collect(),
        _ => Err(ConfigError::new(src.pos, "'<<' must merge a mapping")),
    }
}

/// Types a plain (unquoted) scalar as PyYAML's safe loader with OmegaConf's
/// float rule does.
pub(crate) fn plain_scalar(t: &str) -> Value {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        "???" => return Value::Missing,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(t) {
        return Value::Int(i);
    }
    if is_float(t) {
        if let Ok(f) = t.replace('_', "").parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(t.to_string())
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    let clean = body.replace('_', "");
    let v = if let Some(h) = clean.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = clean.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = clean.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if clean.len() > 1 && clean.starts_with('0') {
        // YAML 1.1 octal
        if !clean.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
            return None;
        }
        i64::from_str_radix(&clean, 8).ok()?
    } else {
        if !clean.bytes().all(|c| c.is_ascii_digit()) || body.starts_with('_') {
            return None;
        }
        clean.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// OmegaConf's float resolver: `[-+]?(digits)(.digits*)?([eE][-+]?digits)?` with
/// a dot or an exponent, or `[-+]?.digits([eE]...)?`.
fn is_float(t: &str) -> bool {
    let s = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(e) = exp {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    match mant.split_once('.') {
        Some((a, b)) => {
            digits(a) && digits(b) && !(a.is_empty() && b.is_empty()) && !a.starts_with('_')
        }
        None => exp.is_some() && !mant.is_empty() && digits(mant) && !mant.starts_with('_'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_typed_like_pyyaml() {
        let n = load_str(
            "a: 1\nb: 1.5\nc: 1e5\nd: yes\ne: '2018'\nf: ~\ng: ???\nh: text\ni: -0.25\nj: 0x1F\nk: \"???\"\nl: 2018_PreVFP\nm: .inf\n",
            "t.yaml",
        )
        .unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Int(1));
        assert_eq!(n.get("b").unwrap().value, Value::Float(1.5));
        assert_eq!(n.get("c").unwrap().value, Value::Float(1e5));
        assert_eq!(n.get("d").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("e").unwrap().value, Value::Str("2018".into()));
        assert_eq!(n.get("f").unwrap().value, Value::Null);
        assert_eq!(n.get("g").unwrap().value, Value::Missing);
        assert_eq!(n.get("h").unwrap().value, Value::Str("text".into()));
        assert_eq!(n.get("i").unwrap().value, Value::Float(-0.25));
        assert_eq!(n.get("j").unwrap().value, Value::Int(31));
        assert_eq!(n.get("k").unwrap().value, Value::Missing);
        assert_eq!(n.get("l").unwrap().value, Value::Str("2018_PreVFP".into()));
        assert_eq!(n.get("m").unwrap().value, Value::Float(f64::INFINITY));
    }

    #[test]
    fn positions_and_nesting() {
        let n = load_str("top:\n  inner: [1, 2]\n  other: {x: y}\n", "f.yaml").unwrap();
        let inner = n.path("top.inner").unwrap();
        assert_eq!(inner.as_seq().unwrap().len(), 2);
        let p = n.path("top.other.x").unwrap().pos.clone().unwrap();
        assert_eq!((p.line, p.col), (3, 14));
        assert_eq!(n.path("top.inner.1").unwrap().value, Value::Int(2));
        assert_eq!(n.get("top").unwrap().keys(), vec!["inner", "other"]);
    }

    #[test]
    fn anchors_merge_keys_and_errors() {
        let n = load_str(
            "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",
            "f.yaml",
        )
        .unwrap();
        assert_eq!(n.path("derived.x").unwrap().value, Value::Int(1));
        assert_eq!(n.path("derived.y").unwrap().value, Value::Int(3));
        let e = load_str("a: 1\na: 2\n", "f.yaml").unwrap_err().to_string();
        assert!(e.starts_with("f.yaml:2:1: duplicate key 'a'"), "{e}");
        let e = load_str("a: [1, 2\nb: 3\n", "bad.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("bad.yaml:") && e.contains("YAML syntax error"),
            "{e}"
        );
        assert_eq!(load_str("", "e.yaml").unwrap().value, Value::Map(vec![]));
    }

    #[test]
    fn check_keys_suggests() {
        let n = load_str("sklm: []\n", "c.yaml").unwrap();
        let e = n
            .check_keys(&["skim", "preselections"], "the configuration")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "c.yaml:1:1: unknown key 'sklm' in the configuration (did you mean 'skim'?)"
        );
    }
}
