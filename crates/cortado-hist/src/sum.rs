//! Sums that do not depend on the order of their terms (in practice): a
//! double-double accumulator (`hi + lo`, Knuth's two-sum on every addition).
//!
//! Splitting a dataset into chunks changes the order in which weights are
//! added; plain `f64` sums then differ in the last bits with the chunk size.
//! The accumulated error of a [`Sum`] is about `n·ε²` of the sum of the
//! absolute values, so [`Sum::value`] is the correctly rounded exact sum
//! unless that falls within ~1e-26 relative of a rounding boundary: results
//! are the same for every chunk size and thread count.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::json_float::JsonF64;

/// `a + b` as the rounded sum and its exact rounding error.
#[inline]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// A compensated sum: the value is `hi + lo`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sum {
    /// The running sum.
    pub hi: f64,
    /// The rounding errors of the running sum.
    pub lo: f64,
}

impl Sum {
    /// A sum holding `x`.
    pub fn of(x: f64) -> Sum {
        Sum { hi: x, lo: 0.0 }
    }

    /// Adds a term.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        self.hi = s;
        self.lo += e;
    }

    /// Adds another sum.
    #[inline]
    pub fn merge(&mut self, o: &Sum) {
        let (s, e) = two_sum(self.hi, o.hi);
        self.hi = s;
        self.lo += e + o.lo;
    }

    /// The sum, rounded to `f64`.
    #[inline]
    pub fn value(&self) -> f64 {
        self.hi + self.lo
    }

    /// Rounds the sum into `hi` (`lo` becomes 0).
    pub fn settle(&mut self) {
        *self = Sum::of(self.value());
    }
}

impl From<f64> for Sum {
    fn from(x: f64) -> Sum {
        Sum::of(x)
    }
}

/// A plain number when `lo` is 0 (settled sums), else `[hi, lo]`; NaN and
/// infinities as strings ([`crate::json_float`]).
impl Serialize for Sum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.lo == 0.0 {
            JsonF64(self.hi).serialize(s)
        } else {
            [JsonF64(self.hi), JsonF64(self.lo)].serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Sum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sum, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            One(JsonF64),
            Two([JsonF64; 2]),
        }
        Ok(match Repr::deserialize(d)? {
            Repr::One(x) => Sum::of(x.0),
            Repr::Two([hi, lo]) => Sum { hi: hi.0, lo: lo.0 },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights like a NanoAOD sample's: large, of both signs, many digits.
    fn weights(n: usize) -> Vec<f64> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                let sign = if x & 1 == 0 { 1.0 } else { -1.0 };
                sign * 1.0e4 * (0.5 + u) * if x & 6 == 0 { 1e-3 } else { 1.0 }
            })
            .collect()
    }

    #[test]
    fn chunked_sums_equal_the_whole_sum() {
        let w = weights(100_000);
        let mut whole = Sum::default();
        w.iter().for_each(|&x| whole.add(x));
        let naive: f64 = w.iter().sum();
        let mut naive_differs = false;
        for chunk in [1, 7, 100, 999, 4096, 33_333] {
            let mut total = Sum::default();
            let mut naive_total = 0.0;
            for c in w.chunks(chunk) {
                let mut s = Sum::default();
                c.iter().for_each(|&x| s.add(x));
                total.merge(&s);
                naive_total += c.iter().sum::<f64>();
            }
            assert_eq!(total.value(), whole.value(), "chunks of {chunk}");
            naive_differs |= naive_total != naive;
        }
        // The point of it: plain sums do depend on the chunking here.
        assert!(naive_differs);
        // And the result is the exact sum rounded (checked with i128 on a
        // fixed-point copy of the terms: every term is a multiple of 2^-40).
        let fixed: Vec<f64> = w
            .iter()
            .map(|x| (x * 2f64.powi(40)).round() / 2f64.powi(40))
            .collect();
        let mut s = Sum::default();
        fixed.iter().for_each(|&x| s.add(x));
        let exact: i128 = fixed.iter().map(|x| (x * 2f64.powi(40)) as i128).sum();
        assert_eq!(s.value(), exact as f64 / 2f64.powi(40));
    }

    #[test]
    fn serialises_as_a_number_once_settled() {
        let mut s = Sum::of(1.0);
        s.add(1e-17);
        assert_eq!(serde_json::to_string(&s).unwrap(), "[1.0,1e-17]");
        let back: Sum = serde_json::from_str("[1.0,1e-17]").unwrap();
        assert_eq!(back, s);
        s.settle();
        assert_eq!(serde_json::to_string(&s).unwrap(), "1.0");
        assert_eq!(serde_json::from_str::<Sum>("2.5").unwrap(), Sum::of(2.5));
    }
}
