//! The events being processed: the raw chunk, the selected events, and the
//! values defined for them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::eval::{ee, R};
use crate::types::{Schema, Ty};
use crate::value::{offsets_from_counter, Arr, CollVal, RawData, RecVal, Val};

/// The events being processed: the raw chunk, the events still selected,
/// and the values defined so far.
#[derive(Clone)]
pub struct Env {
    raw: Arc<dyn RawData>,
    pub(crate) schema: Arc<Schema>,
    /// Selected events as indices into the raw chunk (`None`: all).
    sel: Option<Arc<Vec<u32>>>,
    n: usize,
    vars: HashMap<String, Arc<Defined>>,
    cache: Arc<Mutex<HashMap<String, Val>>>,
    /// Names defined since the last [`Env::check_definitions`].
    defined: Vec<String>,
}

/// A defined value and the event filters applied since it was defined: it
/// is filtered on first use only, so that values nobody reads after a
/// selection are never filtered.
struct Defined {
    value: Val,
    /// Event masks, each over the events the previous one kept.
    masks: Vec<Arc<Vec<bool>>>,
    filtered: OnceLock<Val>,
}

impl Defined {
    fn new(value: Val) -> Defined {
        Defined {
            value: value.clone(),
            masks: Vec::new(),
            filtered: OnceLock::from(value),
        }
    }

    /// The value for the current events.
    fn get(&self) -> &Val {
        self.filtered.get_or_init(|| match self.masks.as_slice() {
            [] => self.value.clone(),
            [m] => self.value.filter_events(m),
            [first, rest @ ..] => {
                // one mask over the original events: each later mask
                // decides among the events still kept
                let mut keep = first.to_vec();
                for m in rest {
                    let mut next = m.iter();
                    for k in keep.iter_mut().filter(|k| **k) {
                        *k = *next.next().unwrap_or(&false);
                    }
                }
                self.value.filter_events(&keep)
            }
        })
    }

    /// This value after one more event filter.
    fn then(&self, mask: &Arc<Vec<bool>>) -> Defined {
        let (value, mut masks) = match self.filtered.get() {
            Some(v) => (v.clone(), Vec::new()),
            None => (self.value.clone(), self.masks.clone()),
        };
        masks.push(mask.clone());
        Defined {
            value,
            masks,
            filtered: OnceLock::new(),
        }
    }
}

impl Env {
    /// All events of a raw chunk.
    pub fn new(raw: Arc<dyn RawData>, schema: Arc<Schema>) -> Env {
        let n = raw.len();
        Env {
            raw,
            schema,
            sel: None,
            n,
            vars: HashMap::new(),
            cache: Arc::new(Mutex::new(HashMap::new())),
            defined: Vec::new(),
        }
    }

    /// Number of selected events.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when no event is selected.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Indices of the selected events in the raw chunk.
    pub fn selection(&self) -> Vec<u32> {
        match &self.sel {
            Some(s) => s.to_vec(),
            None => (0..self.n as u32).collect(),
        }
    }

    /// Defines (or replaces) a named value. Values from outside the engine
    /// (workflow hooks) are checked afterwards: [`Env::check_definitions`].
    pub fn define(&mut self, name: &str, v: Val) {
        self.vars
            .insert(name.to_string(), Arc::new(Defined::new(v)));
        self.defined.push(name.to_string());
    }

    /// Forgets which values were defined so far (they need no check: the
    /// engine's own definitions); see [`Env::check_definitions`].
    pub fn forget_definitions(&mut self) {
        self.defined.clear();
    }

    /// The names defined since the last [`Env::forget_definitions`] or
    /// [`Env::check_definitions`].
    pub fn defined_names(&self) -> impl Iterator<Item = &String> {
        self.defined.iter()
    }

    /// Checks the values defined since the last call (by a workflow hook):
    /// each must have the shape of the selected events and, when the
    /// schema declares its name, that type ([`Val::check`]). The error names
    /// the value.
    pub fn check_definitions(&mut self) -> Result<(), String> {
        for name in std::mem::take(&mut self.defined) {
            let Some(d) = self.vars.get(&name) else {
                continue;
            };
            d.get()
                .check(self.schema.names.get(&name), self.n)
                .map_err(|e| format!("'{name}' has {e} ({} events selected)", self.n))?;
        }
        Ok(())
    }

    /// A defined value.
    pub fn var(&self, name: &str) -> Option<&Val> {
        self.vars.get(name).map(|d| d.get())
    }

    /// Keeps only the events where `mask` (one flag per selected event) is
    /// true; a mask of another length is an error.
    pub fn filter(&self, mask: &[bool]) -> R<Env> {
        if mask.len() != self.n {
            return Err(ee(format!(
                "an event mask of {} flags for {} events",
                mask.len(),
                self.n
            )));
        }
        let sel: Vec<u32> = match &self.sel {
            Some(s) => s
                .iter()
                .zip(mask)
                .filter(|(_, &m)| m)
                .map(|(&i, _)| i)
                .collect(),
            None => mask
                .iter()
                .enumerate()
                .filter(|(_, &m)| m)
                .map(|(i, _)| i as u32)
                .collect(),
        };
        let n = sel.len();
        let mask = Arc::new(mask.to_vec());
        let vars = self
            .vars
            .iter()
            .map(|(k, d)| (k.clone(), Arc::new(d.then(&mask))))
            .collect();
        Ok(Env {
            raw: self.raw.clone(),
            schema: self.schema.clone(),
            sel: Some(Arc::new(sel)),
            n,
            vars,
            cache: Arc::new(Mutex::new(HashMap::new())),
            defined: Vec::new(),
        })
    }

    fn cached(&self, key: &str, make: impl FnOnce() -> R<Val>) -> R<Val> {
        if let Some(v) = self.cache.lock().expect("env cache").get(key) {
            return Ok(v.clone());
        }
        let v = make()?;
        self.cache
            .lock()
            .expect("env cache")
            .insert(key.to_string(), v.clone());
        Ok(v)
    }

    /// An event-level branch of the selected events.
    pub fn branch(&self, name: &str) -> R<Arc<Arr>> {
        let v = self.cached(&format!("b:{name}"), || {
            let a = self.raw.flat(name).map_err(ee)?;
            Ok(Val::Event(match &self.sel {
                Some(s) => Arc::new(a.gather(s)),
                None => a,
            }))
        })?;
        match v {
            Val::Event(a) => Ok(a),
            _ => Err(ee("internal error: branch cache")),
        }
    }

    /// A NanoAOD collection (by its branch prefix and counter) for the selected events.
    pub fn base_coll(&self, prefix: &str, counter: &str) -> R<Arc<CollVal>> {
        let v = self.cached(&format!("c:{prefix}"), || {
            let counts = self.raw.flat(counter).map_err(ee)?;
            let all = offsets_from_counter(counter, &counts).map_err(ee)?;
            let c = Arc::new(CollVal::base(prefix, self.raw.clone(), Arc::new(all)));
            Ok(Val::Coll(match &self.sel {
                None => c,
                Some(s) => {
                    let mut mask = vec![false; self.raw.len()];
                    for &i in s.iter() {
                        mask[i as usize] = true;
                    }
                    Arc::new(c.filter_events(&mask))
                }
            }))
        })?;
        match v {
            Val::Coll(c) => Ok(c),
            _ => Err(ee("internal error: collection cache")),
        }
    }

    /// Resolves a name: defined values first, then the input's collections and records.
    pub fn get(&self, name: &str) -> R<Val> {
        if let Some(d) = self.vars.get(name) {
            return Ok(d.get().clone());
        }
        match self.schema.names.get(name) {
            Some(Ty::Coll(id)) => {
                let (counter, prefix) = self
                    .schema
                    .base_of(*id)
                    .ok_or_else(|| ee(format!("'{name}' has not been defined yet")))?;
                Ok(Val::Coll(self.base_coll(prefix, counter)?))
            }
            Some(Ty::Rec(id)) => {
                let prefix = self
                    .schema
                    .rec_prefix
                    .get(id)
                    .ok_or_else(|| ee(format!("'{name}' has not been defined yet")))?;
                Ok(Val::Rec(Arc::new(RecVal::Branches(prefix.clone()))))
            }
            Some(_) => Err(ee(format!("'{name}' has not been defined yet"))),
            None => Ok(Val::Event(self.branch(name)?)),
        }
    }
}
