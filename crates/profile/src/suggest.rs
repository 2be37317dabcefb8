//! "Did you mean" suggestions for misspelt field and variant names.

/// Edit distance (insertions, deletions, substitutions, adjacent swaps).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[k][j]: distance between a[..i-k] and b[..j], for the last 3 rows.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a typo
/// (at most one edit per three characters, and at least one allowed).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (distance(&word.to_lowercase(), c), *c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// The names between backticks in a serde message such as
/// "unknown field `gatway`, expected one of `version`, `uuid`": the first
/// is the offending name, the rest are the expected ones.
pub(crate) fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let fields = ["version", "gateway", "remote_id", "local_id"];
        assert_eq!(closest("gatway", &fields), Some("gateway"));
        assert_eq!(closest("remoteid", &fields), Some("remote_id"));
        assert_eq!(closest("Version", &fields), Some("version"));
        assert_eq!(closest("gaetway", &fields), Some("gateway"));
        assert_eq!(closest("colour", &fields), None);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn backticks() {
        let m = "unknown field `gatway`, expected one of `version`, `gateway`";
        assert_eq!(backticked(m), ["gatway", "version", "gateway"]);
        assert!(backticked("no names").is_empty());
    }
}
