//! Reading an output file piece by piece: its summary (metadata, cutflow)
//! without holding the histograms, and then the histograms one name at a
//! time, so that a consumer (the plots) never has the whole output in
//! memory. The checksums are verified on every pass, as [`super::file`] does.

use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

use cortado_hist::Sum;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

use super::file::{check_header, HEADER_LEN};
use super::{Cutflow, HistSet, Map, FORMAT};

/// The small parts of an output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Format tag.
    pub format: String,
    /// Event counts.
    pub cutflow: Cutflow,
    /// Dataset metadata (PocketCoffea's `datasets_metadata`).
    pub datasets_metadata: Value,
    /// Normalisation applied per dataset, if any.
    pub scaled: Option<Map<f64>>,
    /// Σ weight per category: category → dataset → sample → variation (simulation).
    pub sumw: Map<Map<Map<Map<Sum>>>>,
    /// Names of the histograms, in the file's order.
    pub histograms: Vec<String>,
}

/// The histograms of one name: sample → dataset → histograms.
pub type Histograms = Map<Map<HistSet>>;

struct Hashing<R> {
    inner: R,
    hash: Xxh3,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

type Callback<'a> = &'a mut dyn FnMut(String, Histograms) -> Result<(), String>;

struct Top<'a> {
    summary: &'a mut Summary,
    each: Option<Callback<'a>>,
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cortado output")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<(), A::Error> {
        while let Some(k) = m.next_key::<String>()? {
            match k.as_str() {
                "format" => self.summary.format = m.next_value()?,
                "cutflow" => self.summary.cutflow = m.next_value()?,
                "datasets_metadata" => self.summary.datasets_metadata = m.next_value()?,
                "scaled" => self.summary.scaled = m.next_value()?,
                "sumw" => self.summary.sumw = m.next_value()?,
                "variables" => m.next_value_seed(Variables {
                    names: &mut self.summary.histograms,
                    each: self.each.as_deref_mut(),
                })?,
                _ => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Variables<'a, 'b> {
    names: &'a mut Vec<String>,
    each: Option<&'a mut (dyn FnMut(String, Histograms) -> Result<(), String> + 'b)>,
}

impl<'de> DeserializeSeed<'de> for Variables<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Variables<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("histograms by name")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let mut each = self.each;
        while let Some(name) = m.next_key::<String>()? {
            self.names.push(name.clone());
            match each.as_deref_mut() {
                Some(f) => {
                    let h: Histograms = m.next_value()?;
                    f(name, h).map_err(A::Error::custom)?;
                }
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

fn pass(path: &Path, each: Option<Callback>) -> Result<Summary, String> {
    let what = path.display().to_string();
    let damaged = |why: String| format!("{what}: damaged output file ({why}); it cannot be used");
    let file = std::fs::File::open(path).map_err(|e| format!("{what}: {e}"))?;
    let size = file.metadata().map_err(|e| format!("{what}: {e}"))?.len();
    let mut rd = BufReader::with_capacity(1 << 16, file);
    let mut head = vec![0u8; HEADER_LEN.min(size as usize)];
    rd.read_exact(&mut head)
        .map_err(|e| format!("{what}: {e}"))?;
    let (len, hash) = check_header(&head, size.saturating_sub(HEADER_LEN as u64), &what)?;
    let dec = zstd::stream::read::Decoder::new(rd.take(len)).map_err(|e| damaged(e.to_string()))?;
    let mut hashing = Hashing {
        inner: BufReader::with_capacity(1 << 16, dec),
        hash: Xxh3::new(),
    };
    let mut summary = Summary::default();
    let mut callback_error = None;
    let mut wrapped;
    let each: Option<Callback> = match each {
        Some(f) => {
            wrapped = |name: String, h: Histograms| {
                f(name, h).map_err(|e| {
                    callback_error = Some(e);
                    "stopped".to_string()
                })
            };
            Some(&mut wrapped)
        }
        None => None,
    };
    let parsed = {
        let mut de = serde_json::Deserializer::from_reader(&mut hashing);
        de.deserialize_map(Top {
            summary: &mut summary,
            each,
        })
        .and_then(|_| de.end())
    };
    if let Some(e) = callback_error {
        return Err(e);
    }
    parsed.map_err(|e| damaged(e.to_string()))?;
    // the rest of the frame: its checksum is verified at its end
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| damaged(e.to_string()))?;
    if hashing.hash.digest128() != hash {
        return Err(damaged("the content does not match its checksum".into()));
    }
    if summary.format != FORMAT {
        return Err(format!(
            "{what}: output format '{}' is not supported (expected '{FORMAT}')",
            summary.format
        ));
    }
    Ok(summary)
}

/// Reads and verifies an output file, keeping only its summary.
pub fn read_summary(path: &Path) -> Result<Summary, String> {
    pass(path, None)
}

/// Reads an output file histogram name by histogram name, handing each to
/// `each` and dropping it before the next is read. An error of `each` stops
/// the reading and is returned; a damaged file is an error (possibly after
/// some histograms were handed over: read the summary first to verify it).
pub fn for_each_histogram(
    path: &Path,
    each: &mut dyn FnMut(String, Histograms) -> Result<(), String>,
) -> Result<Summary, String> {
    pass(path, Some(each))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{file, Output};
    use cortado_hist::{Axis, Hist, Storage};

    #[test]
    fn histograms_one_by_one_and_damage_refused() {
        let mut o = Output::new();
        o.cutflow.initial.insert("ds".into(), 7);
        for name in ["a", "b"] {
            let mut set = HistSet::default();
            let h = Hist::new(vec![Axis::regular("x", "x", 3, 0.0, 3.0)], Storage::Weight);
            set.hists
                .entry("cat".into())
                .or_default()
                .insert("nominal".into(), h);
            o.variables
                .entry(name.into())
                .or_default()
                .entry("s".into())
                .or_default()
                .insert("ds".into(), set);
        }
        let dir = std::env::temp_dir().join(format!("cortado-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("o.cortado");
        file::write(&o, &p).unwrap();
        let s = read_summary(&p).unwrap();
        assert_eq!(
            (s.cutflow.initial["ds"], s.histograms.clone()),
            (7, vec!["a".into(), "b".into()])
        );
        let mut seen = Vec::new();
        for_each_histogram(&p, &mut |n, h| {
            seen.push((n, h["s"]["ds"].hists["cat"]["nominal"].sumw.len()));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [("a".to_string(), 5), ("b".to_string(), 5)]);
        let e = for_each_histogram(&p, &mut |_, _| Err("no thanks".into())).unwrap_err();
        assert_eq!(e, "no thanks");
        let mut bytes = std::fs::read(&p).unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x10;
        std::fs::write(&p, &bytes).unwrap();
        assert!(read_summary(&p).unwrap_err().contains("damaged"));
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&p, &bytes).unwrap();
        assert!(read_summary(&p).unwrap_err().contains("truncated"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
