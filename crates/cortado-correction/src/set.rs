//! A correction set (one file): loading (plain or gzipped JSON), lookup by
//! name with suggestions, and the process-wide cache of loaded sets.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use crate::compound::CompoundCorrection;
use crate::correction::Correction;
use crate::error::{Error, Result};
use crate::eval::{Column, Value};
use crate::json;
use crate::schema::{Builder, Variable};

/// Largest decompressed size of a `.json.gz` file (the largest CMS file, the
/// b-tagging one, is 25 MB).
const MAX_DECOMPRESSED: u64 = 1 << 30;

/// The corrections of one file.
#[derive(Debug)]
pub struct CorrectionSet {
    origin: String,
    description: String,
    corrections: Vec<Arc<Correction>>,
    compounds: Vec<Arc<CompoundCorrection>>,
    index: HashMap<String, usize>,
    compound_index: HashMap<String, usize>,
}

/// A correction or a compound correction, as [`CorrectionSet::any`] finds it.
#[derive(Debug, Clone, Copy)]
pub enum AnyCorrection<'a> {
    /// A correction.
    Single(&'a Correction),
    /// A compound correction.
    Compound(&'a CompoundCorrection),
}

impl AnyCorrection<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            AnyCorrection::Single(c) => c.name(),
            AnyCorrection::Compound(c) => c.name(),
        }
    }

    /// Its inputs.
    pub fn inputs(&self) -> &[Variable] {
        match self {
            AnyCorrection::Single(c) => c.inputs(),
            AnyCorrection::Compound(c) => c.inputs(),
        }
    }

    /// See [`Correction::evaluate`].
    pub fn evaluate(&self, args: &[Value]) -> Result<f64> {
        match self {
            AnyCorrection::Single(c) => c.evaluate(args),
            AnyCorrection::Compound(c) => c.evaluate(args),
        }
    }

    /// See [`Correction::evaluate_columns`].
    pub fn evaluate_columns(&self, cols: &[Column]) -> Result<Vec<f64>> {
        match self {
            AnyCorrection::Single(c) => c.evaluate_columns(cols),
            AnyCorrection::Compound(c) => c.evaluate_columns(cols),
        }
    }
}

impl CorrectionSet {
    /// Reads a correction file (`.json`, or gzipped JSON whatever its name),
    /// without the cache (see [`crate::load`]).
    pub fn from_file(path: impl AsRef<Path>) -> Result<CorrectionSet> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Io {
            path: origin.clone(),
            message: e.to_string(),
        })?;
        Self::from_slice(&bytes, &origin)
    }

    /// Reads a correction set from JSON text (gzipped or not); `origin`
    /// names it in error messages.
    pub fn from_slice(bytes: &[u8], origin: &str) -> Result<CorrectionSet> {
        let unzipped;
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            unzipped = gunzip(bytes, origin)?;
            &unzipped[..]
        } else {
            bytes
        };
        let doc = json::parse(text).map_err(|e| {
            let (line, column) = json::line_column(text, e.offset);
            Error::Json {
                origin: origin.to_string(),
                line,
                column,
                message: e.message,
            }
        })?;
        let (description, corrections, compounds) = Builder::new(origin).document(&doc)?;
        let index = corrections
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name().to_string(), i))
            .collect();
        let compound_index = compounds
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name().to_string(), i))
            .collect();
        Ok(CorrectionSet {
            origin: origin.to_string(),
            description,
            corrections,
            compounds,
            index,
            compound_index,
        })
    }

    /// The file (or origin) it was read from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Its description (empty if none).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The schema version (always 2).
    pub fn schema_version(&self) -> u32 {
        2
    }

    /// The corrections, in file order.
    pub fn corrections(&self) -> impl Iterator<Item = &Correction> {
        self.corrections.iter().map(|c| &**c)
    }

    /// The compound corrections, in file order.
    pub fn compound_corrections(&self) -> impl Iterator<Item = &CompoundCorrection> {
        self.compounds.iter().map(|c| &**c)
    }

    /// The correction called `name`; the error suggests close names.
    pub fn get(&self, name: &str) -> Result<&Correction> {
        self.get_arc(name).map(|c| &**c)
    }

    /// The correction called `name`, shared (to keep it without the set).
    pub fn get_arc(&self, name: &str) -> Result<&Arc<Correction>> {
        match self.index.get(name) {
            Some(&i) => Ok(&self.corrections[i]),
            None if self.compound_index.contains_key(name) => Err(self.unknown(
                name,
                " (it is a compound correction: use CorrectionSet::compound)".into(),
            )),
            None => Err(self.unknown(name, self.hint(name))),
        }
    }

    /// The compound correction called `name`.
    pub fn compound(&self, name: &str) -> Result<&Arc<CompoundCorrection>> {
        match self.compound_index.get(name) {
            Some(&i) => Ok(&self.compounds[i]),
            None if self.index.contains_key(name) => Err(self.unknown(
                name,
                " (it is a plain correction, not a compound one: use CorrectionSet::get)".into(),
            )),
            None => Err(self.unknown(name, self.hint(name))),
        }
    }

    /// The correction or compound correction called `name`.
    pub fn any(&self, name: &str) -> Result<AnyCorrection<'_>> {
        if let Some(&i) = self.index.get(name) {
            return Ok(AnyCorrection::Single(&self.corrections[i]));
        }
        if let Some(&i) = self.compound_index.get(name) {
            return Ok(AnyCorrection::Compound(&self.compounds[i]));
        }
        Err(self.unknown(name, self.hint(name)))
    }

    fn unknown(&self, name: &str, hint: String) -> Error {
        Error::UnknownCorrection {
            origin: self.origin.clone(),
            name: name.to_string(),
            hint,
        }
    }

    /// " (did you mean …?)", or the names the file holds.
    fn hint(&self, name: &str) -> String {
        let names: Vec<&str> = self
            .corrections
            .iter()
            .map(|c| c.name())
            .chain(self.compounds.iter().map(|c| c.name()))
            .collect();
        let close = cortado_yaml::did_you_mean(name, names.iter().copied());
        if !close.is_empty() {
            close
        } else if names.is_empty() {
            " (the file holds no corrections)".into()
        } else if names.len() <= 12 {
            format!(" (the file holds: {})", names.join(", "))
        } else {
            format!(
                " (the file holds {} corrections; `cortado correction summary FILE` lists them)",
                names.len()
            )
        }
    }
}

/// Decompresses gzip data, refusing more than [`MAX_DECOMPRESSED`] bytes.
fn gunzip(bytes: &[u8], origin: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(MAX_DECOMPRESSED + 1);
    dec.read_to_end(&mut out).map_err(|e| Error::Io {
        path: origin.to_string(),
        message: format!("gzip data: {e}"),
    })?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(Error::Io {
            path: origin.to_string(),
            message: format!("decompresses to more than {MAX_DECOMPRESSED} bytes"),
        });
    }
    Ok(out)
}

/// What identifies a version of a file in the cache.
type Stamp = (u64, Option<SystemTime>);

type Cache = Mutex<HashMap<PathBuf, (Stamp, Arc<CorrectionSet>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Loads a correction file once per process: later calls with the same file
/// (by canonical path, size and modification time) share the parsed set.
pub fn load(path: impl AsRef<Path>) -> Result<Arc<CorrectionSet>> {
    let path = path.as_ref();
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let canonical = std::fs::canonicalize(path).map_err(io)?;
    let meta = std::fs::metadata(&canonical).map_err(io)?;
    let stamp = (meta.len(), meta.modified().ok());
    {
        let map = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, set)) = map.get(&canonical) {
            if *s == stamp {
                return Ok(set.clone());
            }
        }
    }
    let set = Arc::new(CorrectionSet::from_file(path)?);
    let mut map = cache().lock().unwrap_or_else(|p| p.into_inner());
    let entry = map.entry(canonical).or_insert_with(|| (stamp, set.clone()));
    if entry.0 != stamp {
        *entry = (stamp, set.clone());
    }
    Ok(entry.1.clone())
}

/// Empties the cache of [`load`] (sets still in use stay alive).
pub fn clear_cache() {
    cache().lock().unwrap_or_else(|p| p.into_inner()).clear();
}
