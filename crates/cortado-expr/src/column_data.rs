//! Raw data held as the columns read from a file: what the engine gives
//! the expressions of a chunk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::value::{Arr, Offsets, RawData};

/// A column converted for evaluation: values and, when jagged, offsets.
type Converted = (Arc<Arr>, Option<Offsets>);

/// Raw data held as columns read from a file (branch name → column).
pub struct ColumnData {
    n: usize,
    /// Columns not converted yet (each is moved out on first use).
    columns: Mutex<HashMap<String, cortado_columns::Column>>,
    converted: Mutex<HashMap<String, Converted>>,
}

impl ColumnData {
    /// Wraps columns of `n` events.
    pub fn new(
        n: usize,
        columns: std::collections::HashMap<String, cortado_columns::Column>,
    ) -> ColumnData {
        ColumnData {
            n,
            columns: Mutex::new(columns.into_iter().collect()),
            converted: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, name: &str) -> Result<(Arc<Arr>, Option<Offsets>), String> {
        let mut converted = self.converted.lock().map_err(|_| poisoned())?;
        if let Some(v) = converted.get(name) {
            return Ok(v.clone());
        }
        let c = self
            .columns
            .lock()
            .map_err(|_| poisoned())?
            .remove(name)
            .ok_or_else(|| format!("branch '{name}' was not read (internal planning error)"))?;
        if c.entries() != self.n {
            return Err(format!(
                "branch '{name}' has {} entries where the chunk has {}",
                c.entries(),
                self.n
            ));
        }
        let values =
            Arr::from_values_owned(c.values).map_err(|e| format!("branch '{name}': {e}"))?;
        let v = (Arc::new(values), c.offsets.map(Arc::new));
        converted.insert(name.to_string(), v.clone());
        Ok(v)
    }
}

fn poisoned() -> String {
    "internal error: a thread panicked while holding the column cache".to_string()
}

impl RawData for ColumnData {
    fn len(&self) -> usize {
        self.n
    }

    fn flat(&self, name: &str) -> Result<Arc<Arr>, String> {
        match self.get(name)? {
            (a, None) => Ok(a),
            (_, Some(_)) => Err(format!(
                "branch '{name}' is jagged, a flat branch was expected"
            )),
        }
    }

    fn jagged(&self, name: &str) -> Result<(Arc<Arr>, Offsets), String> {
        match self.get(name)? {
            (a, Some(o)) => Ok((a, o)),
            (_, None) => Err(format!(
                "branch '{name}' is flat, a jagged branch was expected"
            )),
        }
    }
}
