//! Stored columns (`columns:`) of a chunk.

use cortado_expr::value::{Arr, Val};

use crate::output::ColumnValues;
use crate::plan::ColumnPlan;

type R<T> = Result<T, String>;

pub(super) fn column_values(v: &Val, mask: &[bool], cp: &ColumnPlan) -> R<ColumnValues> {
    let co = &cp.colout;
    let pick_range = |a: u32, b: u32| -> (u32, u32) {
        let n = (b - a) as i64;
        let s = co
            .pos_start
            .map_or(0, |x| if x < 0 { (n + x).max(0) } else { x.min(n) });
        let e = co
            .pos_end
            .map_or(n, |x| if x < 0 { (n + x).max(0) } else { x.min(n) });
        (a + s as u32, a + e.max(s) as u32)
    };
    let push_from = |arr: &Arr, idx: &[usize], missing: &[bool]| -> ColumnValues {
        match arr {
            Arr::Bool(v) => ColumnValues::Bool(idx.iter().map(|&i| v[i]).collect()),
            Arr::Int(v) => ColumnValues::Int(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value as i64 } else { v[i] })
                    .collect(),
            ),
            Arr::F32(v) => ColumnValues::Float(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value } else { v[i] as f64 })
                    .collect(),
            ),
            Arr::F64(v) => ColumnValues::Float(
                idx.iter()
                    .zip(missing)
                    .map(|(&i, &m)| if m { co.fill_value } else { v[i] })
                    .collect(),
            ),
        }
    };
    Ok(match v {
        Val::Event(a) => {
            let idx: Vec<usize> = (0..mask.len()).filter(|&e| mask[e]).collect();
            push_from(a, &idx, &vec![false; idx.len()])
        }
        Val::Opt(a, valid) => {
            let idx: Vec<usize> = (0..mask.len()).filter(|&e| mask[e]).collect();
            let missing: Vec<bool> = idx.iter().map(|&e| !valid[e]).collect();
            push_from(a, &idx, &missing)
        }
        Val::Obj(a, off) => {
            if cp.counts {
                ColumnValues::Int(
                    (0..mask.len())
                        .filter(|&e| mask[e])
                        .map(|e| {
                            let (s, t) = pick_range(off[e], off[e + 1]);
                            (t - s) as i64
                        })
                        .collect(),
                )
            } else {
                let mut idx = Vec::new();
                for e in (0..mask.len()).filter(|&e| mask[e]) {
                    let (s, t) = pick_range(off[e], off[e + 1]);
                    idx.extend(s as usize..t as usize);
                }
                push_from(a, &idx, &vec![false; idx.len()])
            }
        }
        _ => return Err(format!("column '{}': not values", cp.name)),
    })
}
