//! The raw branches an analysis reads.

use super::*;

/// Where the objects of a collection value come from: the NanoAOD
/// collections (by branch prefix) whose fields its fields are, and for a
/// collection of tuples, the same for each member.
#[derive(Clone, Debug, Default)]
struct Src {
    prefixes: BTreeSet<String>,
    members: BTreeMap<String, Src>,
}

impl Src {
    fn of(prefixes: impl IntoIterator<Item = String>) -> Src {
        Src {
            prefixes: prefixes.into_iter().collect(),
            members: BTreeMap::new(),
        }
    }

    /// Both sources (the objects of a concatenation or a choice).
    fn union(mut self, other: Src) -> Src {
        self.prefixes.extend(other.prefixes);
        for (name, s) in other.members {
            let merged = match self.members.remove(&name) {
                Some(m) => m.union(s),
                None => s,
            };
            self.members.insert(name, merged);
        }
        self
    }
}

/// Walks typed expressions for the branches they read.
struct Walk<'a> {
    raw: &'a Schema,
    /// defined name -> where its objects come from
    sources: HashMap<String, Src>,
    /// (collection prefix, field) added by definitions (`Coll.field: ...`)
    added: BTreeSet<(String, String)>,
    need: BTreeSet<String>,
}

impl Walk<'_> {
    /// The counter and prefix of a NanoAOD collection of the input.
    fn base_of(&self, name: &str) -> Option<(String, String)> {
        match self.raw.names.get(name) {
            Some(Ty::Coll(id)) => self.raw.base.get(id).cloned(),
            _ => None,
        }
    }

    fn counter_of(&self, prefix: &str) -> Option<String> {
        self.raw
            .base
            .values()
            .find(|(_, p)| p == prefix)
            .map(|(c, _)| c.clone())
    }

    /// Where the objects of a collection value come from.
    fn srcs(&self, e: &TExpr) -> Src {
        match &e.kind {
            TKind::Name(n) => match self.sources.get(n) {
                Some(s) => s.clone(),
                None => Src::of(self.base_of(n).map(|(_, p)| p)),
            },
            TKind::Select(c, _)
            | TKind::Slice(c, _, _)
            | TKind::Pick(c, _)
            | TKind::Field(c, _)
            | TKind::PickValue(c, _) => self.srcs(c),
            TKind::Member(c, m) => self.srcs(c).members.remove(m).unwrap_or_default(),
            TKind::Call(Func::Builtin(b), args) => {
                let mut s =
                    b.0.passes_objects(args)
                        .into_iter()
                        .filter_map(|i| args.get(i))
                        .fold(Src::default(), |acc, a| acc.union(self.srcs(a)));
                for (name, i) in b.0.members(args) {
                    if let Some(a) = args.get(i) {
                        s.members.insert(name, self.srcs(a));
                    }
                }
                s
            }
            _ => Src::default(),
        }
    }

    /// Field `f` of the objects of `x`: the branches it is read from.
    fn field_of(&mut self, x: &TExpr, f: &str) {
        for s in self.srcs(x).prefixes {
            if !self.added.contains(&(s.clone(), f.to_string())) {
                self.need.insert(format!("{s}_{f}"));
            }
            if let Some(c) = self.counter_of(&s) {
                self.need.insert(c);
            }
        }
    }

    /// The branch of field `f` of a record of the input named by `x`.
    fn rec_field(&mut self, x: &TExpr, f: &str) {
        if let TKind::Name(n) = &x.kind {
            if !self.sources.contains_key(n) {
                if let Some(Ty::Rec(id)) = self.raw.names.get(n) {
                    if let Some(prefix) = self.raw.rec_prefix.get(id) {
                        self.need.insert(format!("{prefix}_{f}"));
                    }
                }
            }
        }
    }

    fn walk(&mut self, e: &TExpr) {
        match &e.kind {
            TKind::Branch(n) => {
                self.need.insert(n.clone());
            }
            TKind::JaggedBranch(n, id) => {
                self.need.insert(n.clone());
                if let Some((c, _)) = self.raw.base.get(id) {
                    self.need.insert(c.clone());
                }
            }
            TKind::Name(n) if !self.sources.contains_key(n) => {
                if let Some((c, _)) = self.base_of(n) {
                    self.need.insert(c);
                }
            }
            TKind::Field(x, f) => self.field_of(x, f),
            TKind::RecField(x, f) => self.rec_field(x, f),
            TKind::Call(Func::Builtin(b), args) => {
                for (i, f) in b.0.reads(args) {
                    let Some(a) = args.get(i) else { continue };
                    // a single object per event (a record) reads its own branch
                    self.rec_field(a, &f);
                    self.field_of(a, &f);
                }
            }
            TKind::Call(Func::User(u), args) => {
                self.need.extend(u.1.branches());
                for a in args {
                    for f in u.1.fields() {
                        self.field_of(a, &f);
                    }
                }
            }
            _ => {}
        }
        for c in e.children() {
            self.walk(c);
        }
    }

    /// A definition: what it reads, and where its objects come from.
    fn define(&mut self, d: &PlannedDef) {
        self.walk(&d.expr);
        match &d.field {
            Some(f) => {
                // Coll.field: the collection keeps its sources
                let s = self
                    .sources
                    .get(&d.name)
                    .cloned()
                    .unwrap_or_else(|| Src::of(self.base_of(&d.name).map(|(_, p)| p)));
                for p in &s.prefixes {
                    self.added.insert((p.clone(), f.clone()));
                }
                self.sources.insert(d.name.clone(), s);
            }
            None => {
                let s = self.srcs(&d.expr);
                self.sources.insert(d.name.clone(), s);
            }
        }
    }
}

/// The raw branches an analysis needs: fields of NanoAOD collections reached
/// through definitions (and the members of tuples), counters, event-level
/// branches and records.
pub(super) fn required_branches(
    defs: &[PlannedDef],
    skim: &[&TExpr],
    exprs: &[&TExpr],
    raw: &Schema,
    hook_defs: &[HookDef],
) -> BTreeSet<String> {
    let mut w = Walk {
        raw,
        sources: HashMap::new(),
        added: BTreeSet::new(),
        need: BTreeSet::new(),
    };
    for h in hook_defs {
        let prefixes = h.from.iter().filter_map(|c| w.base_of(c).map(|(_, p)| p));
        let s = Src::of(prefixes.collect::<Vec<_>>());
        w.sources.insert(h.name.clone(), s);
    }
    // the skim runs before every definition: it reads the files' fields
    for e in skim {
        w.walk(e);
    }
    for d in defs {
        w.define(d);
    }
    for e in exprs {
        w.walk(e);
    }
    w.need
}
