//! "Did you mean ...?": the closest known names to a misspelt one.

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
    scored.into_iter().take(max).map(|(_, k)| k).collect()
}

/// " (did you mean 'a', 'b'?)" or an empty string.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let c = closest(name, known, 3);
    if c.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = c.iter().map(|s| format!("'{s}'")).collect();
        format!(" (did you mean {}?)", quoted.join(", "))
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
        assert_eq!(
            did_you_mean("muon_eta", known),
            " (did you mean 'Muon_eta'?)"
        );
        assert_eq!(did_you_mean("Electron_dxy", known), "");
    }
}
