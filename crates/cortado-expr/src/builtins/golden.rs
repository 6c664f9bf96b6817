//! `goldenJson`: the certified luminosity sections of data (the golden
//! JSON of the parameters `lumi.goldenJSON`), and its loader.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use super::{expand, param_str, typed_call, Args, Builtin, R};
use crate::check::{CheckError, Checker, TExpr};
use crate::eval::{ee, Env, EvalError};
use crate::types::{Prim, Ty};
use crate::value::{Arr, Val};

/// `goldenJson`: true for data events in a certified luminosity section
/// (always true for simulation); holds the ranges once checked.
#[derive(Default)]
pub(super) struct GoldenJson(Option<Arc<LumiRanges>>);

impl fmt::Debug for GoldenJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            // the ranges by address: one golden JSON is loaded once per path
            Some(m) => write!(f, "goldenJson({} runs at {:p})", m.len(), Arc::as_ptr(m)),
            None => write!(f, "goldenJson"),
        }
    }
}

impl Builtin for GoldenJson {
    fn names(&self) -> &'static [&'static str] {
        &["goldenJson", "golden_json"]
    }
    fn check(&self, c: &mut Checker<'_>, a: &Args<'_>) -> R<TExpr> {
        let (name, span) = (a.name.as_str(), a.span);
        a.only(&[])?;
        if c.meta.is_mc {
            return Ok(super::cuts::always(span));
        }
        let year = c.meta.year.clone();
        let path = param_str(c, &format!("lumi.goldenJSON.{year}"), span)?;
        let mask = load_golden(&path).map_err(|m| CheckError::new(m, span))?;
        let run = expand(c, name, "run", span)?;
        let lumi = expand(c, name, "luminosityBlock", span)?;
        Ok(typed_call(
            GoldenJson(Some(mask)),
            Ty::Event(Prim::Bool),
            vec![run, lumi],
            span,
        ))
    }
    fn eval(&self, args: &[Val], _: &Ty, _: &Env) -> Result<Val, EvalError> {
        let mask = self
            .0
            .as_ref()
            .ok_or_else(|| ee("internal error: golden JSON"))?;
        let (run, lumi) = match (&args[0], &args[1]) {
            (Val::Event(r), Val::Event(l)) => (r.clone(), l.clone()),
            _ => return Err(ee("internal error: golden JSON")),
        };
        if run.len() != lumi.len() {
            return Err(ee("internal error: golden JSON over different events"));
        }
        // a run or lumi section that is not a whole number in u32's
        // range (negative, fractional, NaN) is in no golden JSON
        let whole = |a: &Arr, i: usize| -> Option<u32> {
            match a {
                Arr::Int(v) => u32::try_from(v[i]).ok(),
                a => {
                    let x = a.get_f64(i);
                    let fits = x.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&x);
                    fits.then_some(x as u32)
                }
            }
        };
        let ok: Vec<bool> = (0..run.len())
            .map(|i| {
                let (Some(r), Some(l)) = (whole(&run, i), whole(&lumi, i)) else {
                    return false;
                };
                mask.get(&r)
                    .is_some_and(|ranges| ranges.iter().any(|&(a, b)| a <= l && l <= b))
            })
            .collect();
        Ok(Val::Event(Arc::new(Arr::Bool(ok))))
    }
}

/// Certified luminosity-section ranges (inclusive) by run.
pub type LumiRanges = BTreeMap<u32, Vec<(u32, u32)>>;

/// Loads a golden JSON (`{"run": [[first, last], ...]}`), once per path.
pub fn load_golden(path: &str) -> Result<Arc<LumiRanges>, String> {
    type Cache = Mutex<BTreeMap<String, Arc<LumiRanges>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(m) = cache.lock().expect("golden cache").get(path) {
        return Ok(m.clone());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the golden JSON {path}: {e}"))?;
    let m = parse_golden(&text).map_err(|e| format!("{path}: {e}"))?;
    let m = Arc::new(m);
    cache
        .lock()
        .expect("golden cache")
        .insert(path.to_string(), m.clone());
    Ok(m)
}

/// Parses the golden-JSON format.
pub fn parse_golden(text: &str) -> Result<LumiRanges, String> {
    let node = cortado_yaml::load_str(text, "golden JSON").map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (k, v) in node.as_map().map_err(|e| e.message)? {
        let run: u32 = k
            .name
            .parse()
            .map_err(|_| format!("run '{}' is not a number", k.name))?;
        let mut ranges = Vec::new();
        for r in v.as_seq().map_err(|e| e.message)? {
            let pair = r.as_seq().map_err(|e| e.message)?;
            if pair.len() != 2 {
                return Err(format!("run {run}: a range must be [first, last]"));
            }
            let section = |n: &cortado_yaml::Node| -> Result<u32, String> {
                let x = n.as_i64().map_err(|e| e.message)?;
                u32::try_from(x).map_err(|_| {
                    format!(
                        "run {run}: luminosity section {x} is not between 0 and {}",
                        u32::MAX
                    )
                })
            };
            ranges.push((section(&pair[0])?, section(&pair[1])?));
        }
        ranges.sort_unstable();
        out.insert(run, ranges);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_json() {
        let m = parse_golden("{\"315257\": [[1, 88], [91, 92]], \"1\": []}").unwrap();
        assert_eq!(m[&315257], vec![(1, 88), (91, 92)]);
        assert!(parse_golden("{\"x\": []}").is_err());
        // sections outside u32 are refused, not wrapped (-1 was 4294967295)
        let e = parse_golden("{\"1\": [[-1, 5]]}").unwrap_err();
        assert!(
            e.contains("luminosity section -1 is not between 0 and"),
            "{e}"
        );
        assert!(parse_golden("{\"1\": [[1, 4294967296]]}").is_err());
        assert!(parse_golden("{\"1\": [[0, 4294967295]]}").is_ok());
    }
}
