//! Configuration errors that say where (file:line:col) and suggest the
//! closest valid name for a typo.

use std::fmt;

use crate::node::Pos;

/// An error in a configuration or parameter file.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// Where the offending text is, when known.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
    /// Known alternatives / hints, appended to the message.
    pub hint: Option<String>,
}

impl ConfigError {
    /// A new error.
    pub fn new(pos: Option<Pos>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            pos,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds "did you mean ...?" (or the list of valid names when few) for `name`.
    pub fn with_suggestions<'a>(
        mut self,
        name: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> ConfigError {
        let known: Vec<&str> = known.into_iter().collect();
        let close = closest(name, known.iter().copied(), 3);
        self.hint = if !close.is_empty() {
            Some(format!("did you mean {}?", quote_list(&close)))
        } else if !known.is_empty() && known.len() <= 12 {
            Some(format!("known: {}", quote_list(&known)))
        } else {
            self.hint
        };
        self
    }

    /// Adds a free-form hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> ConfigError {
        self.hint = Some(hint.into());
        self
    }

    /// Prefixes the message with context ("in cut 'dilepton': ...").
    pub fn context(mut self, ctx: impl fmt::Display) -> ConfigError {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// Sets the position if none is known yet.
    pub fn or_at(mut self, pos: Option<&Pos>) -> ConfigError {
        if self.pos.is_none() {
            self.pos = pos.cloned();
        }
        self
    }
}

fn quote_list(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|s| format!("'{s}'")).collect();
    q.join(", ")
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.pos {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Levenshtein edit distance between two strings (by characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to `max` known names closest to `name` (case-insensitive), best first;
/// names too far away to be a typo are left out.
pub fn closest<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), k))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    // Only names about as close as the best one: an exact case-insensitive
    // match hides names that are merely similar.
    let best = scored.first().map_or(0, |s| s.0);
    let slack = usize::from(best >= 2);
    scored
        .into_iter()
        .filter(|&(d, _)| d <= best + slack)
        .take(max)
        .map(|(_, k)| k)
        .collect()
}

/// " (did you mean 'a', 'b'?)" or an empty string.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let c = closest(name, known, 3);
    if c.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", quote_list(&c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        let known = ["Muon_pt", "Muon_eta", "Jet_pt", "nMuon"];
        assert_eq!(closest("Muon_pT", known, 2), vec!["Muon_pt"]);
        assert_eq!(closest("Muon_et", known, 2), vec!["Muon_eta", "Muon_pt"]);
        assert_eq!(closest("Muon_ptt", known, 2), vec!["Muon_pt"]);
        assert_eq!(
            did_you_mean("muon_eta", known),
            " (did you mean 'Muon_eta'?)"
        );
        assert_eq!(did_you_mean("Electron_dxy", known), "");
        let e = ConfigError::new(None, "unknown weight 'genWeigth'")
            .with_suggestions("genWeigth", ["genWeight", "lumi", "XS"]);
        assert_eq!(
            e.to_string(),
            "unknown weight 'genWeigth' (did you mean 'genWeight'?)"
        );
        let e = ConfigError::new(None, "unknown x 'zzz'").with_suggestions("zzz", ["a", "b"]);
        assert_eq!(e.to_string(), "unknown x 'zzz' (known: 'a', 'b')");
    }
}
