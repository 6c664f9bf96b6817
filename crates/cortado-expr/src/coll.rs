//! Collections at run time: per-event offsets into objects whose fields are
//! read or computed on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::types::Prim;
use crate::value::{offsets_from_counts, Arr, Offsets, RawData};

/// A collection at run time: per-event offsets and lazily computed fields.
pub struct CollVal {
    /// Offsets of the objects of each event.
    pub offsets: Offsets,
    src: CollSrc,
    cache: Mutex<HashMap<String, Arc<Arr>>>,
    views: Mutex<HashMap<String, Arc<CollVal>>>,
}

/// A member of a collection of tuples: its name, the collection its
/// objects are taken from, and per tuple the flat index of its object there.
pub type Member = (String, Arc<CollVal>, Arc<Vec<u32>>);

impl std::fmt::Debug for CollVal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CollVal({} events, {} objects)",
            self.offsets.len() - 1,
            self.offsets.last().unwrap_or(&0)
        )
    }
}

enum CollSrc {
    /// A NanoAOD collection: field `f` is branch `prefix_f`.
    Base {
        prefix: String,
        raw: Arc<dyn RawData>,
    },
    /// Some objects of a parent collection, by flat index.
    Gather {
        parent: Arc<CollVal>,
        index: Arc<Vec<u32>>,
    },
    /// Several collections, event by event one after the other.
    Concat { parts: Vec<Arc<CollVal>> },
    /// A collection with extra (or replaced) fields.
    With {
        base: Arc<CollVal>,
        fields: BTreeMap<String, Arc<Arr>>,
    },
    /// Objects made by the expression: tuples of objects of other
    /// collections (`combinations`, `cartesian`), and computed fields (a
    /// four-vector sum; the ΔR of `nearest`'s pairs), some derived from
    /// the others on first use.
    Made {
        members: Vec<Member>,
        fields: BTreeMap<String, Arc<Arr>>,
        derive: Option<Derive>,
    },
}

/// Computes a field of made objects from their other fields (`mass` of a
/// four-vector sum from its components); `None` for a field it does not make.
pub type Derive = fn(&str, &BTreeMap<String, Arc<Arr>>) -> Option<Arr>;

/// The float64 cartesian components of every object's four-vector
/// ([`crate::math::p4_cartesian`] of its pt, eta, phi, mass), as fields
/// that no configuration can name. A collection computes them once from
/// its own fields; its subsets and tuple members gather them.
pub const P4_COMPONENTS: [&str; 4] = ["@px", "@py", "@pz", "@e"];

impl CollVal {
    /// A NanoAOD collection of the raw data.
    pub fn base(prefix: &str, raw: Arc<dyn RawData>, offsets: Offsets) -> CollVal {
        CollVal::new(
            offsets,
            CollSrc::Base {
                prefix: prefix.to_string(),
                raw,
            },
        )
    }

    /// Objects made by the expression, `offsets` grouping them by event:
    /// tuples whose members are objects of other collections (each with
    /// one flat index per tuple into its collection) and computed fields
    /// (one value per object). Checked by [`CollVal::check`].
    pub fn made(
        offsets: Offsets,
        members: Vec<Member>,
        fields: BTreeMap<String, Arc<Arr>>,
    ) -> CollVal {
        CollVal::new(
            offsets,
            CollSrc::Made {
                members,
                fields,
                derive: None,
            },
        )
    }

    /// Made objects ([`CollVal::made`]) without members, whose fields
    /// beyond `fields` are computed by `derive` when first asked for.
    pub fn derived(
        offsets: Offsets,
        fields: BTreeMap<String, Arc<Arr>>,
        derive: Derive,
    ) -> CollVal {
        CollVal::new(
            offsets,
            CollSrc::Made {
                members: Vec::new(),
                fields,
                derive: Some(derive),
            },
        )
    }

    fn new(offsets: Offsets, src: CollSrc) -> CollVal {
        CollVal {
            offsets,
            src,
            cache: Mutex::new(HashMap::new()),
            views: Mutex::new(HashMap::new()),
        }
    }

    /// Member `name` of these tuples: a collection with one object per
    /// tuple (the same offsets), the member's object.
    pub fn member(self: &Arc<Self>, name: &str) -> Result<Arc<CollVal>, String> {
        if let Some(v) = self.views.lock().expect("views lock").get(name) {
            return Ok(v.clone());
        }
        let view = match &self.src {
            CollSrc::Made { members, .. } => {
                let Some((_, parent, index)) = members.iter().find(|m| m.0 == name) else {
                    return Err(format!("internal error: no member '{name}'"));
                };
                CollVal::new(
                    self.offsets.clone(),
                    CollSrc::Gather {
                        parent: parent.clone(),
                        index: index.clone(),
                    },
                )
            }
            CollSrc::Gather { parent, index } => CollVal::new(
                self.offsets.clone(),
                CollSrc::Gather {
                    // the parent's view has the parent's objects, one for one
                    parent: parent.member(name)?,
                    index: index.clone(),
                },
            ),
            CollSrc::With { base, .. } => return base.member(name),
            CollSrc::Concat { parts } => CollVal::concat(
                parts
                    .iter()
                    .map(|p| p.member(name))
                    .collect::<Result<_, _>>()?,
            )?,
            CollSrc::Base { .. } => return Err(format!("internal error: no member '{name}'")),
        };
        let view = Arc::new(view);
        self.views
            .lock()
            .expect("views lock")
            .insert(name.to_string(), view.clone());
        Ok(view)
    }

    /// Number of events.
    pub fn events(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        *self.offsets.last().unwrap_or(&0) as usize
    }

    /// True without objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values of a field, one per object.
    pub fn field(&self, name: &str) -> Result<Arc<Arr>, String> {
        if let Some(a) = self.cache.lock().expect("cache lock").get(name) {
            return Ok(a.clone());
        }
        if P4_COMPONENTS.contains(&name) && self.computes_components() {
            return self.components(name);
        }
        let a: Arc<Arr> = match &self.src {
            CollSrc::Base { prefix, raw } => {
                // a plain jagged array (PSWeight) is its own only field
                let branch = if name == prefix {
                    prefix.clone()
                } else {
                    format!("{prefix}_{name}")
                };
                let (values, offsets) = raw.jagged(&branch)?;
                // the collection's offsets come from its counter branch
                if offsets != self.offsets {
                    return Err(format!(
                        "branch '{branch}' has {} values in {} events, which disagree with \
                         the counts of its collection's counter ({} objects in {} events)",
                        offsets.last().unwrap_or(&0),
                        offsets.len().saturating_sub(1),
                        self.len(),
                        self.events()
                    ));
                }
                values
            }
            CollSrc::Gather { parent, index } => Arc::new(parent.field(name)?.gather(index)),
            CollSrc::Concat { parts } => {
                let cols = parts
                    .iter()
                    .map(|p| p.field(name))
                    .collect::<Result<Vec<_>, _>>()?;
                Arc::new(interleave(&cols, parts))
            }
            CollSrc::With { base, fields } => match fields.get(name) {
                Some(a) => a.clone(),
                None => base.field(name)?,
            },
            CollSrc::Made { fields, derive, .. } => match fields.get(name) {
                Some(a) => a.clone(),
                None => Arc::new(
                    derive
                        .and_then(|d| d(name, fields))
                        .ok_or_else(|| format!("internal error: no field '{name}'"))?,
                ),
            },
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(name.to_string(), a.clone());
        Ok(a)
    }

    /// Whether this collection computes the four-vector components from its
    /// own fields: a gather or concatenation takes them from its parts, and
    /// added fields take them from the base unless they replace one of
    /// pt, eta, phi, mass (calibrated jets).
    fn computes_components(&self) -> bool {
        match &self.src {
            CollSrc::Base { .. } | CollSrc::Made { .. } => true,
            CollSrc::With { fields, .. } => ["pt", "eta", "phi", "mass"]
                .iter()
                .any(|f| fields.contains_key(*f)),
            CollSrc::Gather { .. } | CollSrc::Concat { .. } => false,
        }
    }

    /// Computes the four components ([`P4_COMPONENTS`]) at once, keeps
    /// them, and returns the one asked for.
    fn components(&self, name: &str) -> Result<Arc<Arr>, String> {
        let mut cols = Vec::with_capacity(4);
        for f in ["pt", "eta", "phi", "mass"] {
            let Arr::F64(v) = self.field(f)?.cast(Prim::F64) else {
                unreachable!("a cast to float64")
            };
            cols.push(v);
        }
        let n = self.len();
        if cols.iter().any(|c| c.len() != n) {
            return Err(format!(
                "four-vector fields of {} values for {n} objects",
                cols[0].len()
            ));
        }
        let mut out: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::with_capacity(n));
        let objects = cols[0].iter().zip(&cols[1]).zip(&cols[2]).zip(&cols[3]);
        for (((&pt, &eta), &phi), &mass) in objects {
            let v = crate::math::p4_cartesian(pt, eta, phi, mass);
            for (o, x) in out.iter_mut().zip(v) {
                o.push(x);
            }
        }
        let mut cache = self.cache.lock().expect("cache lock");
        let mut asked = None;
        for (k, v) in P4_COMPONENTS.iter().zip(out) {
            let a = Arc::new(Arr::F64(v));
            if *k == name {
                asked = Some(a.clone());
            }
            cache.insert(k.to_string(), a);
        }
        asked.ok_or_else(|| format!("internal error: no component '{name}'"))
    }

    /// The objects at flat indices `index`, grouped by `offsets`.
    pub fn gather(self: &Arc<Self>, index: Vec<u32>, offsets: Vec<u32>) -> CollVal {
        CollVal::new(
            Arc::new(offsets),
            CollSrc::Gather {
                parent: self.clone(),
                index: Arc::new(index),
            },
        )
    }

    /// The objects where `mask` (one per object) is true.
    pub fn select(self: &Arc<Self>, mask: &[bool]) -> CollVal {
        let mut index = Vec::new();
        let mut offsets = Vec::with_capacity(self.offsets.len());
        offsets.push(0u32);
        for w in self.offsets.windows(2) {
            for i in w[0]..w[1] {
                if mask[i as usize] {
                    index.push(i);
                }
            }
            offsets.push(index.len() as u32);
        }
        self.gather(index, offsets)
    }

    /// The objects of the events where `mask` (one per event) is true.
    pub fn filter_events(self: &Arc<Self>, mask: &[bool]) -> CollVal {
        let mut index = Vec::with_capacity(self.len());
        let mut offsets = Vec::with_capacity(mask.len() + 1);
        offsets.push(0u32);
        for (w, &m) in self.offsets.windows(2).zip(mask) {
            if m {
                index.extend(w[0]..w[1]);
                offsets.push(index.len() as u32);
            }
        }
        self.gather(index, offsets)
    }

    /// Event by event, the objects of every part (which must have the same
    /// events; an error otherwise, or when there are too many objects).
    pub fn concat(parts: Vec<Arc<CollVal>>) -> Result<CollVal, String> {
        let n = parts.first().map_or(0, |p| p.events());
        if let Some(p) = parts.iter().find(|p| p.events() != n) {
            return Err(format!(
                "concatenated collections have {n} and {} events",
                p.events()
            ));
        }
        let offsets = offsets_from_counts((0..n).map(|e| {
            parts
                .iter()
                .map(|p| p.offsets[e + 1] - p.offsets[e])
                .fold(0u32, u32::saturating_add)
        }))?;
        Ok(CollVal::new(Arc::new(offsets), CollSrc::Concat { parts }))
    }

    /// Checks what the objects are taken from (see [`CollVal::check`]).
    pub(crate) fn check_source(&self) -> Result<(), String> {
        match &self.src {
            // its fields are compared with the counter when they are read
            CollSrc::Base { .. } => Ok(()),
            CollSrc::Gather { parent, index } => {
                parent.check(parent.events())?;
                if index.len() != self.len() {
                    return Err(format!(
                        "{} object indices for {} objects",
                        index.len(),
                        self.len()
                    ));
                }
                let n = parent.len();
                match index.iter().find(|&&i| i as usize >= n) {
                    Some(i) => Err(format!("object index {i} in a collection of {n} objects")),
                    None => Ok(()),
                }
            }
            CollSrc::Concat { parts } => parts.iter().try_for_each(|p| p.check(self.events())),
            CollSrc::Made {
                members, fields, ..
            } => {
                for (name, parent, index) in members {
                    parent.check(self.events())?;
                    if index.len() != self.len() {
                        return Err(format!(
                            "member '{name}': {} indices for {} tuples",
                            index.len(),
                            self.len()
                        ));
                    }
                    let n = parent.len();
                    if let Some(i) = index.iter().find(|&&i| i as usize >= n) {
                        return Err(format!(
                            "member '{name}': object index {i} in a collection of {n} objects"
                        ));
                    }
                }
                check_fields(fields, self.len())
            }
            CollSrc::With { base, fields } => {
                base.check(self.events())?;
                check_fields(fields, self.len())
            }
        }
    }

    /// This collection with extra fields.
    pub fn with_fields(self: &Arc<Self>, fields: BTreeMap<String, Arc<Arr>>) -> CollVal {
        CollVal::new(
            self.offsets.clone(),
            CollSrc::With {
                base: self.clone(),
                fields,
            },
        )
    }
}

/// Checks that every field has one value per object.
fn check_fields(fields: &BTreeMap<String, Arc<Arr>>, objects: usize) -> Result<(), String> {
    match fields.iter().find(|(_, a)| a.len() != objects) {
        Some((name, a)) => Err(format!(
            "a field '{name}' of {} values for {objects} objects",
            a.len()
        )),
        None => Ok(()),
    }
}

fn interleave(cols: &[Arc<Arr>], parts: &[Arc<CollVal>]) -> Arr {
    let n = parts[0].events();
    macro_rules! go {
        ($var:ident) => {{
            let mut out = Vec::new();
            for e in 0..n {
                for (c, p) in cols.iter().zip(parts) {
                    let Arr::$var(v) = &**c else { unreachable!() };
                    out.extend_from_slice(&v[p.offsets[e] as usize..p.offsets[e + 1] as usize]);
                }
            }
            Arr::$var(out)
        }};
    }
    // Parts of different float widths are widened to the wider type first.
    let widest = cols.iter().map(|c| c.prim()).max().unwrap_or(Prim::F64);
    if cols.iter().any(|c| c.prim() != widest) {
        let cast: Vec<Arc<Arr>> = cols.iter().map(|c| Arc::new(c.cast(widest))).collect();
        return interleave(&cast, parts);
    }
    match widest {
        Prim::Bool => go!(Bool),
        Prim::Int => go!(Int),
        Prim::F32 => go!(F32),
        Prim::F64 => go!(F64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Raw;
    impl RawData for Raw {
        fn len(&self) -> usize {
            3
        }
        fn flat(&self, _: &str) -> Result<Arc<Arr>, String> {
            Err("no".into())
        }
        fn jagged(&self, name: &str) -> Result<(Arc<Arr>, Offsets), String> {
            match name {
                "Muon_pt" => Ok((
                    Arc::new(Arr::F32(vec![10.0, 20.0, 30.0, 40.0])),
                    Arc::new(vec![0, 2, 2, 4]),
                )),
                _ => Err(format!("no {name}")),
            }
        }
    }

    #[test]
    fn collections_select_gather_concat() {
        let raw: Arc<dyn RawData> = Arc::new(Raw);
        let m = Arc::new(CollVal::base("Muon", raw, Arc::new(vec![0, 2, 2, 4])));
        let good = Arc::new(m.select(&[false, true, true, true]));
        assert_eq!(*good.offsets, vec![0, 1, 1, 3]);
        assert_eq!(*good.field("pt").unwrap(), Arr::F32(vec![20.0, 30.0, 40.0]));
        let both = CollVal::concat(vec![good.clone(), m.clone()]).unwrap();
        assert_eq!(*both.offsets, vec![0, 3, 3, 7]);
        assert_eq!(
            *both.field("pt").unwrap(),
            Arr::F32(vec![20.0, 10.0, 20.0, 30.0, 40.0, 30.0, 40.0])
        );
        let kept = Arc::new(good.filter_events(&[true, false, true]));
        assert_eq!(*kept.offsets, vec![0, 1, 3]);
        assert_eq!(*kept.field("pt").unwrap(), Arr::F32(vec![20.0, 30.0, 40.0]));
        assert!(kept.field("eta").is_err());
    }

    #[test]
    fn concat_needs_the_same_events() {
        let raw: Arc<dyn RawData> = Arc::new(Raw);
        let a = Arc::new(CollVal::base(
            "Muon",
            raw.clone(),
            Arc::new(vec![0, 2, 2, 4]),
        ));
        let b = Arc::new(CollVal::base("Muon", raw, Arc::new(vec![0, 4])));
        assert!(CollVal::concat(vec![a.clone(), a.clone()]).is_ok());
        assert!(CollVal::concat(vec![a, b]).is_err());
    }
}
