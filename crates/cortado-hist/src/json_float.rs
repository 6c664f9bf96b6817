//! Floats in JSON, NaN and infinities included.
//!
//! JSON has no NaN or infinity: serde_json writes them as `null`, which
//! does not read back as a number, so one such value would make a whole
//! output file unreadable. Here a finite float is written as a JSON number
//! (as serde_json writes any float: the shortest text that reads back to
//! the same bits) and a non-finite one as the string `"NaN"`, `"inf"` or
//! `"-inf"`, which reads back to it.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A float that round-trips through JSON, non-finite values included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JsonF64(pub f64);

impl Serialize for JsonF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

struct F64Visitor;

impl Visitor<'_> for F64Visitor {
    type Value = JsonF64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or \"NaN\", \"inf\" or \"-inf\"")
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<JsonF64, E> {
        Ok(JsonF64(x))
    }
    fn visit_i64<E: de::Error>(self, x: i64) -> Result<JsonF64, E> {
        Ok(JsonF64(x as f64))
    }
    fn visit_u64<E: de::Error>(self, x: u64) -> Result<JsonF64, E> {
        Ok(JsonF64(x as f64))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<JsonF64, E> {
        match s {
            "NaN" => Ok(JsonF64(f64::NAN)),
            "inf" => Ok(JsonF64(f64::INFINITY)),
            "-inf" => Ok(JsonF64(f64::NEG_INFINITY)),
            _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for JsonF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonF64, D::Error> {
        d.deserialize_any(F64Visitor)
    }
}

/// `#[serde(with = "cortado_hist::json_float::vec")]` for a `Vec<f64>`.
pub mod vec {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the floats, non-finite ones as strings.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| JsonF64(x)))
    }

    /// Reads floats written by [`serialize`] (or plain JSON numbers).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v = Vec::<JsonF64>::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Col(#[serde(with = "vec")] Vec<f64>);

    #[test]
    fn non_finite_values_read_back() {
        let v = vec![
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e-310,
            3.0,
        ];
        let text = serde_json::to_string(&Col(v.clone())).unwrap();
        assert_eq!(text, r#"[1.5,"NaN","inf","-inf",-0.0,1e-310,3.0]"#);
        let back: Col = serde_json::from_str(&text).unwrap();
        for (a, b) in v.iter().zip(&back.0) {
            assert_eq!(a.to_bits(), b.to_bits(), "{a} read back as {b}");
        }
        // integers, as an older file or another tool may write them
        let ints: Col = serde_json::from_str("[1, -2, 18446744073709551615]").unwrap();
        assert_eq!(ints.0, vec![1.0, -2.0, 18446744073709551615.0]);
        let bad = serde_json::from_str::<Col>(r#"[1.0, "nan"]"#).unwrap_err();
        assert!(bad.to_string().contains("\"NaN\""), "{bad}");
    }
}
