//! The document tree.

use std::fmt;
use std::sync::Arc;

use crate::diag::ConfigError;

/// Where a node was written: file, line (1-based) and column (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    /// File path (or a label such as `<command line>`).
    pub file: Arc<str>,
    /// Line, 1-based.
    pub line: u32,
    /// Column, 1-based.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A value in the tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string (may contain `${...}` interpolations).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in the order written; keys are strings with their position.
    Map(Vec<(Key, Node)>),
    /// OmegaConf's `???`: a mandatory value that has not been given.
    Missing,
}

/// Where a dotted path leaves a tree ([`Node::lookup`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PathMiss {
    /// The part of the path that exists (empty: the root).
    pub found: String,
    /// The key that does not.
    pub key: String,
    /// The keys that exist there (for suggestions).
    pub known: Vec<String>,
    /// Where the node without the key is.
    pub pos: Option<Pos>,
}

impl PathMiss {
    /// "`root` has no key 'k'", or "'a.b' has no key 'k'".
    pub fn describe(&self, root: &str) -> String {
        if self.found.is_empty() {
            format!("{root} has no key '{}'", self.key)
        } else {
            format!("'{}' has no key '{}'", self.found, self.key)
        }
    }
}

/// A mapping key.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where it was written.
    pub pos: Option<Pos>,
}

/// A node: a value and where it was written (`None` for values made by code).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub pos: Option<Pos>,
}

impl Node {
    /// A node without position.
    pub fn new(value: Value) -> Node {
        Node { value, pos: None }
    }

    /// A node at a position.
    pub fn at(value: Value, pos: Option<Pos>) -> Node {
        Node { value, pos }
    }

    /// An empty mapping.
    pub fn empty_map() -> Node {
        Node::new(Value::Map(Vec::new()))
    }

    /// The kind of value, for messages ("a mapping", "a string", ...).
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Missing => "missing (???)",
        }
    }

    /// An error located at this node.
    pub fn error(&self, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.pos.clone(), message)
    }

    /// The mapping entries, or `None` if this is not a mapping.
    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Mutable mapping entries.
    pub fn entries_mut(&mut self) -> Option<&mut Vec<(Key, Node)>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Mutable value of `key` in a mapping.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries_mut()?
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Sets `key` in a mapping (replacing or appending). No effect on non-mappings.
    pub fn set(&mut self, key: &str, value: Node) {
        if let Some(m) = self.entries_mut() {
            match m.iter_mut().find(|(k, _)| k.name == key) {
                Some((_, v)) => *v = value,
                None => m.push((
                    Key {
                        name: key.to_string(),
                        pos: None,
                    },
                    value,
                )),
            }
        }
    }

    /// The node at a dotted path (`a.b.c`; list elements by index).
    pub fn path(&self, path: &str) -> Option<&Node> {
        self.lookup(path).ok()
    }

    /// The node at a dotted path, or where the path leaves the tree.
    pub fn lookup(&self, path: &str) -> Result<&Node, PathMiss> {
        let mut n = self;
        let mut done: Vec<&str> = Vec::new();
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let next = match &n.value {
                Value::Map(_) => n.get(part),
                Value::Seq(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            n = next.ok_or_else(|| PathMiss {
                found: done.join("."),
                key: part.to_string(),
                known: n.keys().into_iter().map(String::from).collect(),
                pos: n.pos.clone(),
            })?;
            done.push(part);
        }
        Ok(n)
    }

    /// The keys of a mapping.
    pub fn keys(&self) -> Vec<&str> {
        self.entries()
            .map(|m| m.iter().map(|(k, _)| k.name.as_str()).collect())
            .unwrap_or_default()
    }

    /// Required mapping entry, with a "did you mean" when it is misspelt.
    pub fn req(&self, key: &str) -> Result<&Node, ConfigError> {
        match self.get(key) {
            Some(v) => Ok(v),
            None => Err(self.error(format!("missing required key '{key}'"))),
        }
    }

    /// The string value.
    pub fn as_str(&self) -> Result<&str, ConfigError> {
        match &self.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.error(format!("expected a string, found {}", self.kind()))),
        }
    }

    /// A scalar rendered as text (numbers and booleans too), as Python's `str()` would.
    pub fn as_text(&self) -> Result<String, ConfigError> {
        match &self.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(python_float_repr(*f)),
            Value::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
            _ => Err(self.error(format!("expected a scalar, found {}", self.kind()))),
        }
    }

    /// A number (integers convert).
    pub fn as_f64(&self) -> Result<f64, ConfigError> {
        match &self.value {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            Value::Str(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| self.error(format!("expected a number, found the string '{s}'"))),
            _ => Err(self.error(format!("expected a number, found {}", self.kind()))),
        }
    }

    /// An integer.
    pub fn as_i64(&self) -> Result<i64, ConfigError> {
        match &self.value {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
            _ => Err(self.error(format!("expected an integer, found {}", self.kind()))),
        }
    }

    /// A boolean (also the strings "True"/"False", as PocketCoffea's filesets write them).
    pub fn as_bool(&self) -> Result<bool, ConfigError> {
        match &self.value {
            Value::Bool(b) => Ok(*b),
            Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(true),
                "false" | "no" | "off" | "0" => Ok(false),
                _ => Err(self.error(format!("expected true or false, found '{s}'"))),
            },
            _ => Err(self.error(format!("expected true or false, found {}", self.kind()))),
        }
    }

    /// The items of a sequence.
    pub fn as_seq(&self) -> Result<&[Node], ConfigError> {
        match &self.value {
            Value::Seq(s) => Ok(s),
            _ => Err(self.error(format!("expected a list, found {}", self.kind()))),
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Result<&[(Key, Node)], ConfigError> {
        match &self.value {
            Value::Map(m) => Ok(m),
            _ => Err(self.error(format!("expected a mapping, found {}", self.kind()))),
        }
    }

    /// A list of strings; a single string counts as a one-element list.
    pub fn as_str_list(&self) -> Result<Vec<String>, ConfigError> {
        match &self.value {
            Value::Seq(items) => items.iter().map(|n| n.as_text()).collect(),
            Value::Str(s) => Ok(vec![s.clone()]),
            Value::Null => Ok(Vec::new()),
            _ => Err(self.error(format!("expected a list of strings, found {}", self.kind()))),
        }
    }

    /// Checks that a mapping has only the given keys; an unknown key is an
    /// error at its position with the closest valid name.
    pub fn check_keys(&self, allowed: &[&str], what: &str) -> Result<(), ConfigError> {
        for (k, _) in self.as_map()? {
            if !allowed.contains(&k.name.as_str()) {
                return Err(ConfigError::new(
                    k.pos.clone().or_else(|| self.pos.clone()),
                    format!("unknown key '{}' in {what}", k.name),
                )
                .with_suggestions(&k.name, allowed.iter().copied()));
            }
        }
        Ok(())
    }
}

/// Formats a float the way Python's `repr` does (shortest round-trip, `.0` for integers).
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{f:?}");
    // Rust prints 1e21 as "1e21", Python as "1e+21"; match Python's exponent style.
    if let Some((m, e)) = s.split_once('e') {
        let e: i32 = e.parse().unwrap_or(0);
        let m = m.strip_suffix(".0").unwrap_or(m);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_like_python() {
        assert_eq!(python_float_repr(6077.22), "6077.22");
        assert_eq!(python_float_repr(1.0), "1.0");
        assert_eq!(python_float_repr(1e21), "1e+21");
        assert_eq!(python_float_repr(1.5e-7), "1.5e-07");
    }
}
