//! Checks that a value has the shape it claims, where values enter the
//! engine from code it does not control: the results of user functions
//! ([`crate::user::UserFunction`]) and the definitions of workflow hooks.
//! Inside the engine, values are consistent by construction; a wrong length
//! from outside would otherwise be truncated silently by the kernels, or
//! make them index out of bounds.

use crate::types::{Prim, Ty};
use crate::value::{Arr, CollVal, RecVal, Val};

/// What a value is, for messages.
fn describe(v: &Val) -> &'static str {
    match v {
        Val::Lit(_) => "a constant",
        Val::Str(_) => "a string",
        Val::List(_) => "a list",
        Val::Event(_) => "one value per event",
        Val::Opt(..) => "one optional value per event",
        Val::Obj(..) => "one value per object",
        Val::Coll(_) => "a collection",
        Val::OptObj(..) => "at most one object per event",
        Val::Rec(_) => "a record",
    }
}

/// What a type promises, for messages.
fn promise(t: &Ty) -> &'static str {
    match t {
        Ty::Lit(_) => "a constant",
        Ty::Str => "a string",
        Ty::List => "a list",
        Ty::Event(_) => "one value per event",
        Ty::Opt(_) => "one optional value per event",
        Ty::Obj(..) => "one value per object",
        Ty::Coll(_) => "a collection",
        Ty::OptObj(_) => "at most one object per event",
        Ty::Rec(_) => "a record",
    }
}

/// Checks `offsets` as the offsets of `events` events into `len` values.
fn check_offsets(offsets: &[u32], events: usize, len: usize) -> Result<(), String> {
    if offsets.len() != events + 1 {
        return Err(format!(
            "{} offsets for {events} events (needs {})",
            offsets.len(),
            events + 1
        ));
    }
    if offsets[0] != 0 || offsets.windows(2).any(|w| w[1] < w[0]) {
        return Err("offsets that do not rise from 0".into());
    }
    let last = offsets[events] as usize;
    if last != len {
        return Err(format!("offsets that end at {last} for {len} values"));
    }
    Ok(())
}

fn values(a: &Arr, n: usize, what: &str) -> Result<(), String> {
    if a.len() != n {
        return Err(format!("{} values for {n} {what}", a.len()));
    }
    Ok(())
}

impl CollVal {
    /// Checks that this collection is consistent over `events` events: its
    /// offsets, and what its objects are taken from (indices inside their
    /// parent collection, fields with one value per object, parts with the
    /// same events).
    pub fn check(&self, events: usize) -> Result<(), String> {
        check_offsets(&self.offsets, events, self.len())?;
        self.check_source()
    }
}

impl Val {
    /// Checks that this value is consistent and has the shape of type `ty`
    /// (when given) over `events` events: one value (and flag) per event,
    /// offsets that cut its values into `events` lists, element types as
    /// declared. The message says what is wrong; the caller names the
    /// function or hook that made the value.
    pub fn check(&self, ty: Option<&Ty>, events: usize) -> Result<(), String> {
        if let Some(t) = ty {
            check_kind(self, t)?;
        }
        match self {
            Val::Lit(_) | Val::Str(_) | Val::List(_) => Ok(()),
            Val::Event(a) => values(a, events, "events"),
            Val::Opt(a, valid) => {
                values(a, events, "events")?;
                if valid.len() != events {
                    return Err(format!("{} flags for {events} events", valid.len()));
                }
                Ok(())
            }
            Val::Obj(a, offsets) => check_offsets(offsets, events, a.len()),
            Val::Coll(c) => c.check(events),
            Val::OptObj(c, idx) => {
                c.check(events)?;
                if idx.len() != events {
                    return Err(format!("{} indices for {events} events", idx.len()));
                }
                let bad = idx
                    .iter()
                    .enumerate()
                    .find(|(e, k)| k.is_some_and(|k| k >= c.offsets[e + 1] - c.offsets[*e]));
                match bad {
                    Some((e, k)) => Err(format!(
                        "object {} of event {e}, which has {}",
                        k.unwrap_or(0),
                        c.offsets[e + 1] - c.offsets[e]
                    )),
                    None => Ok(()),
                }
            }
            Val::Rec(r) => match &**r {
                RecVal::Branches(_) => Ok(()),
                RecVal::Fields(fields) | RecVal::Over(_, fields) => {
                    for (name, v) in fields {
                        v.check(None, events)
                            .map_err(|e| format!("a record field '{name}' with {e}"))?;
                    }
                    Ok(())
                }
            },
        }
    }
}

/// Checks that value `v` is of the kind (and element type) `t` promises.
fn check_kind(v: &Val, t: &Ty) -> Result<(), String> {
    let prim = |a: &Arr, p: Prim| {
        if a.prim() == p {
            Ok(())
        } else {
            Err(format!(
                "{} values where its type says {}",
                a.prim().name(),
                p.name()
            ))
        }
    };
    match (t, v) {
        (Ty::Event(p), Val::Event(a)) | (Ty::Opt(p), Val::Opt(a, _)) => prim(a, *p),
        (Ty::Obj(p, _), Val::Obj(a, _)) => prim(a, *p),
        (Ty::Event(_) | Ty::Lit(_), Val::Lit(_))
        | (Ty::Str, Val::Str(_))
        | (Ty::List, Val::List(_))
        | (Ty::Coll(_), Val::Coll(_))
        | (Ty::OptObj(_), Val::OptObj(..))
        | (Ty::Rec(_), Val::Rec(_)) => Ok(()),
        _ => Err(format!(
            "{} where its type says {}",
            describe(v),
            promise(t)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ev(v: Vec<f64>) -> Val {
        Val::Event(Arc::new(Arr::F64(v)))
    }

    #[test]
    fn per_event_values_need_one_value_per_event() {
        assert!(ev(vec![1.0, 2.0]).check(None, 2).is_ok());
        let e = ev(vec![1.0]).check(None, 2).unwrap_err();
        assert_eq!(e, "1 values for 2 events");
        assert!(ev(vec![1.0, 2.0, 3.0]).check(None, 2).is_err());
        let opt = Val::Opt(Arc::new(Arr::F64(vec![1.0, 2.0])), Arc::new(vec![true]));
        assert_eq!(opt.check(None, 2).unwrap_err(), "1 flags for 2 events");
    }

    #[test]
    fn per_object_values_need_offsets_over_the_events() {
        let obj = |off: Vec<u32>, n: usize| {
            Val::Obj(Arc::new(Arr::Int((0..n as i64).collect())), Arc::new(off))
        };
        assert!(obj(vec![0, 2, 3], 3).check(None, 2).is_ok());
        assert!(obj(vec![0, 2, 3], 4).check(None, 2).is_err());
        assert!(obj(vec![0, 3], 3).check(None, 2).is_err());
        assert!(obj(vec![0, 3, 2], 3).check(None, 2).is_err());
        assert!(obj(vec![1, 2, 3], 3).check(None, 2).is_err());
    }

    #[test]
    fn declared_types_are_checked() {
        let t = Ty::Event(Prim::Bool);
        let e = ev(vec![1.0]).check(Some(&t), 1).unwrap_err();
        assert_eq!(e, "float64 values where its type says bool");
        let e = ev(vec![1.0])
            .check(Some(&Ty::Opt(Prim::F64)), 1)
            .unwrap_err();
        assert!(e.contains("one value per event where its type says one optional"));
        assert!(Val::Lit(crate::value::Lit::Int(1))
            .check(Some(&Ty::Event(Prim::Int)), 5)
            .is_ok());
    }
}
