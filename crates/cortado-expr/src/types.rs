//! The type system: element types, shapes, and the schema of what names exist.

use std::collections::BTreeMap;
use std::fmt;

/// Element type of values. Integers of every width are held as `i64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prim {
    /// Boolean.
    Bool,
    /// Integer (any NanoAOD integer width, held as 64-bit).
    Int,
    /// 32-bit float (NanoAOD's `Float_t`).
    F32,
    /// 64-bit float.
    F64,
}

impl Prim {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Prim::Bool => "bool",
            Prim::Int => "int",
            Prim::F32 => "float32",
            Prim::F64 => "float64",
        }
    }

    /// True for numbers (booleans count as numbers in arithmetic, as in NumPy).
    pub fn is_float(self) -> bool {
        matches!(self, Prim::F32 | Prim::F64)
    }

    /// From a column type.
    pub fn from_dtype(d: cortado_columns::DType) -> Prim {
        use cortado_columns::DType::*;
        match d {
            Bool => Prim::Bool,
            F32 => Prim::F32,
            F64 => Prim::F64,
            _ => Prim::Int,
        }
    }
}

/// Identifies a collection (objects sharing one set of per-event counts).
pub type CollId = usize;
/// Identifies a per-event record type.
pub type RecId = usize;

/// The type of an expression: element type and shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// A constant written in the expression (Python scalar semantics).
    Lit(Prim),
    /// A string constant.
    Str,
    /// A list of constants.
    List,
    /// One value per event.
    Event(Prim),
    /// One value per event that may be missing (`first(MuonGood.pt)`).
    Opt(Prim),
    /// One value per object of a collection.
    Obj(Prim, CollId),
    /// A collection of objects.
    Coll(CollId),
    /// At most one object per event (`MuonGood[0]`).
    OptObj(CollId),
    /// A per-event record (`MET`, `PV`, `ll`).
    Rec(RecId),
}

impl Ty {
    /// The element type of a value type.
    pub fn prim(&self) -> Option<Prim> {
        match self {
            Ty::Lit(p) | Ty::Event(p) | Ty::Opt(p) | Ty::Obj(p, _) => Some(*p),
            _ => None,
        }
    }
}

/// Description of a collection: its fields and where it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CollInfo {
    /// Name for messages (`Muon`, `MuonGood`, or a description).
    pub name: String,
    /// Fields and their element types.
    pub fields: BTreeMap<String, Prim>,
    /// For a collection of tuples (`combinations(Jet, 3)`): its members by
    /// name (`0`, `1`, … or the names given), each an object of the
    /// collection type given here.
    pub members: BTreeMap<String, CollId>,
    /// For a view of another collection's objects, one for one (a member
    /// `t.j1` of tuples `t`, the four-vector sums `t.j1 + t.j2`): that
    /// collection. Values per object of a view are values per object of
    /// the collection it views ([`Schema::root`]), so `t[t.j1.pt > 30]`
    /// type-checks.
    pub view_of: Option<CollId>,
}

/// Description of a record type.
#[derive(Clone, Debug, PartialEq)]
pub struct RecInfo {
    /// Name for messages.
    pub name: String,
    /// Fields and their element types.
    pub fields: BTreeMap<String, Prim>,
}

/// Everything a name can refer to: branches of the input, collections and
/// records built from them, and values defined by the analysis.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Event-level branches (flat) and their types.
    pub branches: BTreeMap<String, Prim>,
    /// Collections by id.
    pub colls: Vec<CollInfo>,
    /// Records by id.
    pub recs: Vec<RecInfo>,
    /// Named values: collections, records, defined variables.
    pub names: BTreeMap<String, Ty>,
    /// For base collections: the counter branch and the branch prefix.
    pub base: BTreeMap<CollId, (String, String)>,
    /// For records made of branches: the branch prefix.
    pub rec_prefix: BTreeMap<RecId, String>,
}

impl Schema {
    /// Builds the schema of a NanoAOD tree from its readable branches:
    /// `nX` + `X_f[nX]` → collection `X` with field `f`; flat `X_f` → record
    /// `X` (`MET.pt`, `PV.npvsGood`, `Flag.goodVertices`, `HLT.IsoMu24`);
    /// every branch is also reachable by its own name.
    pub fn from_branches(branches: &[(String, Prim, Option<String>)]) -> Schema {
        let mut s = Schema::default();
        let counters: BTreeMap<&str, &str> = branches
            .iter()
            .filter_map(|(n, _, c)| c.as_deref().map(|c| (n.as_str(), c)))
            .collect();
        // collections, keyed by counter
        let mut by_counter: BTreeMap<String, CollId> = BTreeMap::new();
        for (name, prim, counter) in branches {
            let Some(counter) = counter else { continue };
            let coll = counter.strip_prefix('n').unwrap_or(counter).to_string();
            let id = *by_counter.entry(counter.clone()).or_insert_with(|| {
                s.colls.push(CollInfo {
                    name: coll.clone(),
                    ..CollInfo::default()
                });
                let id = s.colls.len() - 1;
                s.base.insert(id, (counter.clone(), coll.clone()));
                id
            });
            let field = name.strip_prefix(&format!("{coll}_")).unwrap_or(name);
            s.colls[id].fields.insert(field.to_string(), *prim);
        }
        for &id in by_counter.values() {
            let info = &s.colls[id];
            // A plain jagged array (`PSWeight[nPSWeight]`) is values per
            // object by its own name ([`Schema::plain_array`]), not a collection.
            if info.fields.len() == 1 && info.fields.contains_key(&info.name) {
                continue;
            }
            s.names.insert(info.name.clone(), Ty::Coll(id));
        }
        // flat branches, and records by prefix
        let mut recs: BTreeMap<String, RecId> = BTreeMap::new();
        for (name, prim, counter) in branches {
            if counter.is_some() {
                continue;
            }
            s.branches.insert(name.clone(), *prim);
            if counters.values().any(|c| c == name) {
                continue; // counters stay plain branches
            }
            if let Some((prefix, field)) = name.split_once('_') {
                if prefix.is_empty()
                    || field.is_empty()
                    || s.names.contains_key(prefix) && !recs.contains_key(prefix)
                {
                    continue;
                }
                let id = *recs.entry(prefix.to_string()).or_insert_with(|| {
                    s.recs.push(RecInfo {
                        name: prefix.to_string(),
                        fields: BTreeMap::new(),
                    });
                    let id = s.recs.len() - 1;
                    s.rec_prefix.insert(id, prefix.to_string());
                    id
                });
                s.recs[id].fields.insert(field.to_string(), *prim);
            }
        }
        for (prefix, id) in recs {
            s.names.entry(prefix).or_insert(Ty::Rec(id));
        }
        s
    }

    /// A plain jagged array of the input (`PSWeight[nPSWeight]`,
    /// `LHEScaleWeight[nLHEScaleWeight]`: a branch named like its counter
    /// without the `n`, with no `X_` fields beside it), as coffea's NanoAOD
    /// schema exposes it: `PSWeight` is one value per entry, `PSWeight[2]`
    /// the third entry of each event. Its element type and collection id.
    pub fn plain_array(&self, name: &str) -> Option<(Prim, CollId)> {
        if self.names.contains_key(name) {
            return None;
        }
        self.base.iter().find_map(|(&id, (_, prefix))| {
            let info = &self.colls[id];
            (prefix == name && info.fields.len() == 1)
                .then(|| info.fields.get(name).map(|p| (*p, id)))
                .flatten()
        })
    }

    /// Whether `branch` is a jagged branch of the input: `X_f` of a
    /// collection `X`, or a plain jagged array ([`Schema::plain_array`]).
    pub fn has_jagged_branch(&self, branch: &str) -> bool {
        self.plain_array(branch).is_some()
            || self.colls.iter().enumerate().any(|(id, info)| {
                self.base.get(&id).is_some_and(|(_, prefix)| {
                    branch
                        .strip_prefix(&format!("{prefix}_"))
                        .is_some_and(|f| info.fields.contains_key(f))
                })
            })
    }

    /// Adds a collection type and returns its id.
    pub fn add_coll(&mut self, name: &str, fields: BTreeMap<String, Prim>) -> CollId {
        self.add_coll_info(CollInfo {
            name: name.to_string(),
            fields,
            ..CollInfo::default()
        })
    }

    /// Adds a collection type described in full (tuples, views) and returns its id.
    pub fn add_coll_info(&mut self, info: CollInfo) -> CollId {
        self.colls.push(info);
        self.colls.len() - 1
    }

    /// The counter branch and branch prefix of the input collection that
    /// collection `id` is, or is a version of ([`Schema::with_field`]).
    pub fn base_of(&self, id: CollId) -> Option<&(String, String)> {
        self.base.get(&self.root(id))
    }

    /// Collection `id` with `field` added, as a new collection type that
    /// views the same objects ([`CollInfo::view_of`]); returns its id. The
    /// caller binds the collection's name to it, so values taken from the
    /// collection before (`combinations(Muon, 2)`, `Muon[0]`, a filtered
    /// `Muon[...]`) keep the fields they were made with, as they do at run
    /// time (and in awkward).
    pub fn with_field(&mut self, id: CollId, field: &str, prim: Prim) -> CollId {
        let mut info = self.colls[id].clone();
        info.fields.insert(field.to_string(), prim);
        info.view_of = Some(id);
        self.add_coll_info(info)
    }

    /// For a field that collection `id` lacks: the name of a collection
    /// that a later definition gave it (`Muon` after `Muon.flavour: 13`)
    /// and that `id`'s objects were taken from before (`id` is an earlier
    /// version of it, or has that version's fields: a member of
    /// `combinations(Muon, 2)`, a filtered `Muon[...]`).
    pub fn field_added_later(&self, id: CollId, field: &str) -> Option<&str> {
        let fields = &self.colls[id].fields;
        self.names.iter().find_map(|(name, t)| {
            let Ty::Coll(mut c) = *t else { return None };
            if !self.colls[c].fields.contains_key(field) {
                return None;
            }
            // earlier versions ([`Schema::with_field`]) come first
            while let Some(v) = self.colls[c].view_of.filter(|&v| v < c) {
                if v == id || self.colls[v].fields == *fields {
                    return Some(name.as_str());
                }
                c = v;
            }
            None
        })
    }

    /// The collection whose objects collection `id` holds one for one: `id`
    /// itself, or for a view ([`CollInfo::view_of`]) the collection viewed.
    /// Values per object are typed by it, so values of a collection and of
    /// its views combine.
    pub fn root(&self, mut id: CollId) -> CollId {
        // views are made of earlier collections: the chain ends
        while let Some(v) = self.colls.get(id).and_then(|c| c.view_of) {
            if v >= id {
                break;
            }
            id = v;
        }
        id
    }

    /// Whether collections `a` and `b` hold the same objects one for one
    /// (the same collection, or views of it).
    pub fn same_objects(&self, a: CollId, b: CollId) -> bool {
        self.root(a) == self.root(b)
    }

    /// Adds a collection type with the fields of collection `like` (a
    /// NanoAOD collection such as `Muon`) and returns its type.
    pub fn add_coll_like(&mut self, name: &str, like: &str) -> Result<Ty, String> {
        match self.names.get(like) {
            Some(Ty::Coll(id)) => {
                let fields = self.colls[*id].fields.clone();
                Ok(Ty::Coll(self.add_coll(name, fields)))
            }
            _ => Err(format!("'{like}' is not a collection of the input files")),
        }
    }

    /// Adds a record type and returns its id.
    pub fn add_rec(&mut self, name: &str, fields: BTreeMap<String, Prim>) -> RecId {
        self.recs.push(RecInfo {
            name: name.to_string(),
            fields,
        });
        self.recs.len() - 1
    }

    /// Human description of a type.
    pub fn describe(&self, t: &Ty) -> String {
        match t {
            Ty::Lit(p) => format!("a {} constant", p.name()),
            Ty::Str => "a string".into(),
            Ty::List => "a list".into(),
            Ty::Event(p) => format!("one {} per event", p.name()),
            Ty::Opt(p) => format!("an optional {} per event", p.name()),
            Ty::Obj(p, c) => format!("one {} per {} object", p.name(), self.colls[*c].name),
            Ty::Coll(c) => format!("the collection {}", self.colls[*c].name),
            Ty::OptObj(c) => format!("one optional {} object per event", self.colls[*c].name),
            Ty::Rec(r) => format!("the record {}", self.recs[*r].name),
        }
    }

    /// All names an expression can start with (for suggestions).
    pub fn all_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.names.keys().map(String::as_str).collect();
        v.extend(self.branches.keys().map(String::as_str));
        v.extend(
            self.base
                .values()
                .map(|(_, prefix)| prefix.as_str())
                .filter(|p| self.plain_array(p).is_some()),
        );
        v
    }
}

impl fmt::Display for Prim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoaod_schema() {
        let b = |n: &str, p, c: Option<&str>| (n.to_string(), p, c.map(String::from));
        let s = Schema::from_branches(&[
            b("nMuon", Prim::Int, None),
            b("Muon_pt", Prim::F32, Some("nMuon")),
            b("Muon_tightId", Prim::Bool, Some("nMuon")),
            b("MET_pt", Prim::F32, None),
            b("HLT_IsoMu24", Prim::Bool, None),
            b("genWeight", Prim::F32, None),
            b("PV_npvsGood", Prim::Int, None),
        ]);
        let Some(Ty::Coll(m)) = s.names.get("Muon") else {
            panic!("{:?}", s.names)
        };
        assert_eq!(s.colls[*m].fields.get("pt"), Some(&Prim::F32));
        assert!(matches!(s.names.get("MET"), Some(Ty::Rec(_))));
        assert!(matches!(s.names.get("HLT"), Some(Ty::Rec(_))));
        assert_eq!(s.branches.get("genWeight"), Some(&Prim::F32));
        assert_eq!(s.branches.get("nMuon"), Some(&Prim::Int));
    }
}
