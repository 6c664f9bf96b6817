//! Reading a batch's columns, through the column cache when there is one:
//! cached columns are taken from it, the others read from ROOT (with the
//! counters of their jagged branches, so that the reader checks that they
//! agree) and stored.

use std::ops::Range;

use cortado_cache::{ColumnCache, FileKey};
use cortado_columns::Column;
use cortado_root::{Error, Tree};

use crate::identity::FileIdentity;

/// How a chunk's columns are read.
pub(crate) struct Reader<'a> {
    cache: Option<(&'a ColumnCache, FileKey)>,
}

impl<'a> Reader<'a> {
    /// A reader of file `file` (as the work list names it), with `identity`,
    /// through `cache` if any.
    pub(crate) fn new(
        cache: Option<&'a ColumnCache>,
        file: &str,
        identity: &FileIdentity,
    ) -> Reader<'a> {
        let cache = cache.map(|c| {
            // a local file by its absolute path; a URL as it is
            let location = std::fs::canonicalize(file)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| file.to_string());
            let key = FileKey {
                location,
                size: identity.size,
                modified_ns: identity.modified_ns,
                uuid: identity.uuid.clone(),
            };
            (c, key)
        });
        Reader { cache }
    }

    /// The columns of `names` for `range` of tree `t`, in order.
    pub(crate) fn read(
        &self,
        t: &Tree,
        names: &[&str],
        range: Range<u64>,
    ) -> Result<Vec<Column>, Error> {
        let Some((cache, key)) = &self.cache else {
            return t.read(names, range);
        };
        let mut out: Vec<Option<Column>> =
            names.iter().map(|n| cache.get(key, &range, n)).collect();
        let mut wanted: Vec<&str> = names
            .iter()
            .zip(&out)
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !wanted.is_empty() {
            // the counters of the jagged branches read now come along
            for n in wanted.clone() {
                let counter = t.branch(n).and_then(|b| t.count_branch(b));
                if let Some(c) = counter.map(|c| c.name.as_str()) {
                    if !wanted.contains(&c) {
                        wanted.push(c);
                    }
                }
            }
            let cols = t.read(&wanted, range.clone())?;
            let mut fresh: Vec<Option<Column>> = Vec::with_capacity(cols.len());
            for (n, c) in wanted.iter().zip(cols) {
                cache.put(key, &range, n, &c);
                fresh.push(Some(c));
            }
            for (i, n) in names.iter().enumerate() {
                if out[i].is_none() {
                    let at = wanted.iter().position(|w| w == n);
                    out[i] = at.and_then(|j| fresh[j].take());
                }
            }
        }
        let cols: Vec<Column> = out.into_iter().flatten().collect();
        if cols.len() != names.len() {
            return Err(Error::corrupt(
                "a column is missing after reading (internal error)",
            ));
        }
        check_counters(t, names, &cols)?;
        Ok(cols)
    }
}

/// A jagged column and its counter, both read, agree (the reader checks it
/// for columns it reads together; cached ones are checked here).
fn check_counters(t: &Tree, names: &[&str], cols: &[Column]) -> Result<(), Error> {
    for (i, n) in names.iter().enumerate() {
        let Some(off) = &cols[i].offsets else {
            continue;
        };
        let Some(c) = t.branch(n).and_then(|b| t.count_branch(b)) else {
            continue;
        };
        let Some(j) = names.iter().position(|m| *m == c.name) else {
            continue;
        };
        let counts = &cols[j].values;
        let agree = counts.len() + 1 == off.len()
            && off
                .windows(2)
                .enumerate()
                .all(|(e, w)| counts.get_f64(e) == Some(f64::from(w[1] - w[0])));
        if !agree {
            return Err(Error::corrupt(format!(
                "the counter {} and the jagged branch disagree (from the column cache: \
                 run `cortado cache clear`)",
                c.name
            ))
            .in_branch(n));
        }
    }
    Ok(())
}
