//! "Did you mean": how far a written name is from the names that exist.

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Whether `candidate` is close enough to `written` to be a typo of it: a third of its
/// letters at most (one for short names).
pub fn is_close(written: &str, candidate: &str) -> bool {
    edit_distance(written, candidate) <= (written.chars().count() / 3).max(1)
}

/// `candidates` nearest first by edit distance to `written` (ties keep their order).
pub fn nearest_first<T>(written: &str, mut candidates: Vec<(String, T)>) -> Vec<(String, T)> {
    crate::order::sort_by_key(&mut candidates, |(text, _)| edit_distance(written, text));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("htps", "https"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ratngs", "ratings"), 1);
        assert!(is_close("ratngs", "ratings"));
        assert!(!is_close("web", "api"));
    }
}
