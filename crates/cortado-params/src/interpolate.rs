//! OmegaConf-style interpolation: `${path}`, `${.relative}`, `${resolver:args}`.

use std::collections::HashMap;

use cortado_yaml::{ConfigError, Node, Pos, Value};

use crate::pieces::{parse_key_path, split_args, split_pieces, split_resolver, Piece};
use crate::Resolvers;

/// References followed inside one another before the innermost is set aside
/// and resolved first (keeps the recursion shallow for long chains).
const MAX_HOPS: usize = 64;

/// The most values resolution may produce (references copy what they point
/// to: `b: [${a}, ${a}]`, `c: [${b}, ${b}]`, ... doubles at each step).
pub(crate) const MAX_VALUES: usize = 1_000_000;

/// Resolves every interpolation in the tree.
///
/// Each referenced node is resolved once (memoised), so a chain of references
/// costs its length; references nested deeper than [`MAX_HOPS`] are resolved
/// innermost-first from a loop, never by deep recursion.
pub(crate) fn resolve_tree(root: &Node, res: &Resolvers) -> Result<Node, ConfigError> {
    let mut ctx = Ctx {
        root,
        res,
        stack: Vec::new(),
        memo: HashMap::new(),
        produced: 0,
        index: HashMap::new(),
    };
    match ctx.resolve_node(root, &mut Vec::new()) {
        Ok((n, _)) => Ok(n),
        Err(Stop::Error(e)) => Err(e),
        // set-aside references are resolved by the outermost reference
        Err(Stop::Defer(t)) => Err(ConfigError::new(
            root.pos.clone(),
            format!("interpolation of '{}' could not be resolved", t.join(".")),
        )),
    }
}

/// Why resolution stopped.
enum Stop {
    /// A real error.
    Error(ConfigError),
    /// This path is to be resolved first, from the outermost reference.
    Defer(Vec<String>),
}

impl From<ConfigError> for Stop {
    fn from(e: ConfigError) -> Stop {
        Stop::Error(e)
    }
}

type R<T> = Result<T, Stop>;

/// Number of values in a resolved node and its depth.
#[derive(Clone, Copy)]
struct Shape {
    size: usize,
    depth: usize,
}

struct Ctx<'a> {
    root: &'a Node,
    res: &'a Resolvers,
    /// Paths being resolved (cycle detection).
    stack: Vec<Vec<String>>,
    /// Resolved referenced nodes by path.
    memo: HashMap<Vec<String>, (Node, Shape)>,
    /// Values produced so far.
    produced: usize,
    /// Keys of the large mappings looked into, by the mapping's address.
    index: HashMap<*const Node, HashMap<&'a str, &'a Node>>,
}

impl<'a> Ctx<'a> {
    /// Counts values produced; an error past [`MAX_VALUES`] or when the
    /// result nests deeper than the YAML limit.
    fn produce(&mut self, shape: Shape, pos: Option<&Pos>) -> R<Shape> {
        self.produced = self.produced.saturating_add(shape.size);
        if self.produced > MAX_VALUES {
            return Err(ConfigError::new(
                pos.cloned(),
                format!("interpolations expand to more than {MAX_VALUES} values"),
            )
            .into());
        }
        if shape.depth > cortado_yaml::MAX_DEPTH {
            return Err(ConfigError::new(
                pos.cloned(),
                format!(
                    "interpolations nest values deeper than {} levels",
                    cortado_yaml::MAX_DEPTH
                ),
            )
            .into());
        }
        Ok(shape)
    }

    fn resolve_node(&mut self, n: &Node, path: &mut Vec<String>) -> R<(Node, Shape)> {
        let leaf = Shape { size: 1, depth: 1 };
        let (node, shape) = match &n.value {
            Value::Str(s) if s.contains("${") => {
                return self.resolve_string(s, path, n.pos.as_ref());
            }
            Value::Map(m) => {
                let mut out = Vec::with_capacity(m.len());
                let mut shape = leaf;
                for (k, v) in m {
                    path.push(k.name.clone());
                    let r = self.resolve_node(v, path);
                    path.pop();
                    let (r, s) = r?;
                    shape = grow(shape, s);
                    out.push((k.clone(), r));
                }
                (Node::at(Value::Map(out), n.pos.clone()), shape)
            }
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut shape = leaf;
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let r = self.resolve_node(v, path);
                    path.pop();
                    let (r, s) = r?;
                    shape = grow(shape, s);
                    out.push(r);
                }
                (Node::at(Value::Seq(out), n.pos.clone()), shape)
            }
            _ => (n.clone(), leaf),
        };
        // children were counted as they were made: count this one, check the depth
        self.produce(
            Shape {
                size: 1,
                depth: shape.depth,
            },
            n.pos.as_ref(),
        )?;
        Ok((node, shape))
    }

    /// A string with interpolations: a lone `${...}` keeps the referenced
    /// value's type; otherwise the pieces are joined as text.
    fn resolve_string(&mut self, s: &str, path: &[String], pos: Option<&Pos>) -> R<(Node, Shape)> {
        let pieces = split_pieces(s).map_err(|m| ConfigError::new(pos.cloned(), m))?;
        if let [Piece::Interp(expr)] = pieces.as_slice() {
            let (mut v, shape) = self.eval(expr, path, pos)?;
            if v.pos.is_none() {
                v.pos = pos.cloned();
            }
            return Ok((v, shape));
        }
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Text(t) => out.push_str(&t),
                Piece::Interp(expr) => {
                    let (v, _) = self.eval(&expr, path, pos)?;
                    out.push_str(&v.as_text().map_err(|_| {
                        ConfigError::new(
                            pos.cloned(),
                            format!(
                                "'${{{expr}}}' is {} and cannot be part of a string",
                                v.kind()
                            ),
                        )
                    })?);
                }
            }
        }
        let shape = self.produce(Shape { size: 1, depth: 1 }, pos)?;
        Ok((Node::at(Value::Str(out), pos.cloned()), shape))
    }

    fn eval(&mut self, expr: &str, path: &[String], pos: Option<&Pos>) -> R<(Node, Shape)> {
        let expr = expr.trim();
        if let Some((name, args)) = split_resolver(expr) {
            let n = self.call_resolver(name, args, path, pos)?;
            let shape = self.produce(Shape { size: 1, depth: 1 }, pos)?;
            return Ok((n, shape));
        }
        self.reference(expr, path, pos)
    }

    /// `${a.b}` or `${.x}`/`${..x}` relative to the node containing the value.
    fn reference(&mut self, expr: &str, path: &[String], pos: Option<&Pos>) -> R<(Node, Shape)> {
        let dots = expr.chars().take_while(|&c| c == '.').count();
        let rest = &expr[dots..];
        let mut target: Vec<String> = if dots == 0 {
            Vec::new()
        } else {
            // the container of the value, then one level up per extra dot
            let up = dots; // path includes the value's own key
            if up > path.len() {
                return Err(ConfigError::new(
                    pos.cloned(),
                    format!("'${{{expr}}}' goes above the top of the parameters"),
                )
                .into());
            }
            path[..path.len() - up].to_vec()
        };
        target.extend(parse_key_path(rest));
        if let Some((n, shape)) = self.memo.get(&target) {
            let (n, shape) = (n.clone(), *shape);
            return Ok((n, self.produce(shape, pos)?));
        }
        let node = self.target(&target, expr, pos)?;
        if self.stack.contains(&target) {
            return Err(cycle(expr, pos));
        }
        if self.stack.is_empty() {
            return self.outermost(target, expr, pos);
        }
        if self.stack.len() >= MAX_HOPS {
            return Err(Stop::Defer(target));
        }
        self.resolve_target(node, target)
    }

    /// The node a reference points to (not resolved yet).
    fn target(&mut self, target: &[String], expr: &str, pos: Option<&Pos>) -> R<&'a Node> {
        let node = self.lookup(target).map_err(|(done, missing, keys)| {
            ConfigError::new(
                pos.cloned(),
                format!(
                    "interpolation '${{{expr}}}': {} has no key '{missing}'",
                    if done.is_empty() {
                        "the top level".to_string()
                    } else {
                        format!("'{}'", done.join("."))
                    }
                ),
            )
            .with_suggestions(&missing, keys.iter().map(String::as_str))
        })?;
        if node.value == Value::Missing {
            return Err(ConfigError::new(
                pos.cloned(),
                format!("interpolation '${{{expr}}}' points to '{}', a mandatory value (???) that is not set", target.join(".")),
            ).into());
        }
        Ok(node)
    }

    /// The node at `path`, or (the part found, the missing key, the keys there).
    fn lookup(&mut self, path: &[String]) -> Result<&'a Node, (Vec<String>, String, Vec<String>)> {
        let mut n: &'a Node = self.root;
        for (i, part) in path.iter().enumerate() {
            let next = match &n.value {
                Value::Map(m) if m.len() > 16 => self
                    .index
                    .entry(n as *const Node)
                    .or_insert_with(|| {
                        let mut keys = HashMap::with_capacity(m.len());
                        for (k, v) in m {
                            keys.entry(k.name.as_str()).or_insert(v);
                        }
                        keys
                    })
                    .get(part.as_str())
                    .copied(),
                Value::Map(_) => n.get(part),
                Value::Seq(items) => part.parse::<usize>().ok().and_then(|k| items.get(k)),
                _ => None,
            };
            n = next.ok_or_else(|| {
                (
                    path[..i].to_vec(),
                    part.clone(),
                    n.keys().iter().map(|s| s.to_string()).collect(),
                )
            })?;
        }
        Ok(n)
    }

    /// Resolves the node at `target` and remembers the result.
    fn resolve_target(&mut self, node: &Node, target: Vec<String>) -> R<(Node, Shape)> {
        self.stack.push(target.clone());
        let mut tpath = target.clone();
        let r = self.resolve_node(node, &mut tpath);
        self.stack.pop();
        let (n, shape) = r?;
        self.memo.insert(target, (n.clone(), shape));
        Ok((n, shape))
    }

    /// The outermost reference: references set aside by the ones it leads
    /// to are resolved here, innermost first, from a loop.
    fn outermost(
        &mut self,
        target: Vec<String>,
        expr: &str,
        pos: Option<&Pos>,
    ) -> R<(Node, Shape)> {
        let mut pending = vec![target];
        loop {
            let t = pending.last().expect("pending").clone();
            let node = self.target(&t, expr, pos)?;
            match self.resolve_target(node, t) {
                Ok(r) => {
                    pending.pop();
                    if pending.is_empty() {
                        return Ok(r);
                    }
                }
                Err(Stop::Defer(next)) => {
                    if pending.contains(&next) {
                        return Err(cycle(expr, pos));
                    }
                    pending.push(next);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn call_resolver(
        &mut self,
        name: &str,
        args: &str,
        path: &[String],
        pos: Option<&Pos>,
    ) -> R<Node> {
        let mut vals = Vec::new();
        for a in split_args(args) {
            let a = a.trim();
            let v = if a.contains("${") {
                self.resolve_string(a, path, pos)?.0
            } else if let Some(q) = a
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .or_else(|| a.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
            {
                Node::new(Value::Str(q.to_string()))
            } else {
                cortado_yaml::load_str(&format!("v: {a}"), "")
                    .ok()
                    .and_then(|n| n.get("v").cloned())
                    .unwrap_or_else(|| Node::new(Value::Str(a.to_string())))
            };
            vals.push(v);
        }
        Ok(self.apply_resolver(name, &vals, pos)?)
    }

    /// A resolver applied to its (resolved) arguments.
    fn apply_resolver(
        &self,
        name: &str,
        vals: &[Node],
        pos: Option<&Pos>,
    ) -> Result<Node, ConfigError> {
        let text = |i: usize| vals.get(i).map(|v| v.as_text()).transpose();
        let err = |m: String| ConfigError::new(pos.cloned(), m);
        match name {
            "default_params_dir" => {
                let d = crate::defaults::default_params_dir().map_err(|e| {
                    err(format!(
                        "cannot prepare the default parameters directory: {e}"
                    ))
                })?;
                Ok(Node::at(Value::Str(d.display().to_string()), pos.cloned()))
            }
            "pico_to_femto" => {
                let x = vals
                    .first()
                    .ok_or_else(|| err("pico_to_femto needs one argument".into()))?;
                let x = x
                    .as_f64()
                    .map_err(|e| err(format!("pico_to_femto: {}", e.message)))?;
                Ok(Node::at(Value::Float(x / 1000.0), pos.cloned()))
            }
            "cvmfs" => {
                let (period, group, file) = match (text(0)?, text(1)?, text(2)?) {
                    (Some(p), Some(g), Some(f)) => (p, g, f),
                    _ => return Err(err("cvmfs needs period, group and file".into())),
                };
                let tag = text(3)?.unwrap_or_else(|| "latest".to_string());
                Ok(Node::at(
                    Value::Str(format!(
                        "/cvmfs/cms-griddata.cern.ch/cat/metadata/{group}/{period}/{tag}/{file}"
                    )),
                    pos.cloned(),
                ))
            }
            "oc.env" => {
                let var = text(0)?.ok_or_else(|| err("oc.env needs a variable name".into()))?;
                match std::env::var(&var) {
                    Ok(v) => Ok(Node::at(Value::Str(v), pos.cloned())),
                    Err(_) => match vals.get(1) {
                        Some(d) => Ok(d.clone()),
                        None => Err(err(format!("environment variable '{var}' is not set"))),
                    },
                }
            }
            other => match self.res.dir(other) {
                Some(d) => Ok(Node::at(Value::Str(d.display().to_string()), pos.cloned())),
                None => {
                    let names = self.res.names();
                    Err(err(format!("unknown resolver '{other}'"))
                        .with_suggestions(other, names.iter().map(String::as_str)))
                }
            },
        }
    }
}

fn cycle(expr: &str, pos: Option<&Pos>) -> Stop {
    ConfigError::new(
        pos.cloned(),
        format!("interpolation '${{{expr}}}' refers to itself (cycle)"),
    )
    .into()
}

/// A container's shape after adding a child.
fn grow(parent: Shape, child: Shape) -> Shape {
    Shape {
        size: parent.size.saturating_add(child.size),
        depth: parent.depth.max(child.depth + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str) -> Result<Node, ConfigError> {
        let mut res = Resolvers::new();
        res.register_dir("config_dir", "/analysis/params");
        resolve_tree(&cortado_yaml::load_str(text, "p.yaml").unwrap(), &res)
    }

    #[test]
    fn references_keep_types_and_strings_concatenate() {
        let n = resolve("a: {b: 2.5, l: [1, 2]}\nc: ${a.b}\nd: x_${a.b}_y\ne: ${a.l}\nf: ${config_dir:}/sf.json\n").unwrap();
        assert_eq!(n.get("c").unwrap().value, Value::Float(2.5));
        assert_eq!(n.get("d").unwrap().value, Value::Str("x_2.5_y".into()));
        assert_eq!(n.get("e").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(
            n.get("f").unwrap().as_str().unwrap(),
            "/analysis/params/sf.json"
        );
    }

    #[test]
    fn relative_references() {
        let n = resolve("years:\n  '2016_PreVFP': {wp: 0.1}\n  '2016_PostVFP': ${.2016_PreVFP}\n  nested: {up: '${..2016_PreVFP.wp}'}\n").unwrap();
        assert_eq!(
            n.path("years.2016_PostVFP.wp").unwrap().value,
            Value::Float(0.1)
        );
        assert_eq!(n.path("years.nested.up").unwrap().value, Value::Float(0.1));
    }

    #[test]
    fn resolvers_and_chains() {
        let n = resolve("lumi: {tot: 59832.47534}\nfb: ${pico_to_femto:${lumi.tot}}\nchain: ${alias}\nalias: ${lumi.tot}\npath: ${cvmfs:2018_UL,LUM,puWeights.json.gz}\nenv: ${oc.env:CORTADO_SURELY_UNSET_VAR,fallback}\n").unwrap();
        assert!((n.get("fb").unwrap().as_f64().unwrap() - 59.83247534).abs() < 1e-12);
        assert_eq!(n.get("chain").unwrap().as_f64().unwrap(), 59832.47534);
        assert_eq!(
            n.get("path").unwrap().as_str().unwrap(),
            "/cvmfs/cms-griddata.cern.ch/cat/metadata/LUM/2018_UL/latest/puWeights.json.gz"
        );
        assert_eq!(n.get("env").unwrap().as_str().unwrap(), "fallback");
    }

    #[test]
    fn errors_point_at_the_interpolation() {
        let e = resolve("lumi: {tot: 1}\nx: ${lumi.to}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.yaml:2:4:")
                && e.contains("has no key 'to'")
                && e.contains("did you mean 'tot'"),
            "{e}"
        );
        let e = resolve("a: ${b}\nb: ${a}\n").unwrap_err().to_string();
        assert!(e.contains("cycle"), "{e}");
        let e = resolve("a: ${nope:}\n").unwrap_err().to_string();
        assert!(e.contains("unknown resolver 'nope'"), "{e}");
        let e = resolve("m: ???\nx: ${m}\n").unwrap_err().to_string();
        assert!(e.contains("mandatory"), "{e}");
        let e = resolve("x: ${a.b\n").unwrap_err().to_string();
        assert!(e.contains("unterminated"), "{e}");
        // ??? itself is kept, not an error, until it is used
        assert_eq!(
            resolve("m: ???\n").unwrap().get("m").unwrap().value,
            Value::Missing
        );
    }
}
