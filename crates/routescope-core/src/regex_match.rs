//! Regular-expression conditions as Envoy evaluates them: `safe_regex` is RE2, and a route or
//! header match with it must match the whole value (RE2's `FullMatch`), not a part of it.
//! `regex-lite` reads RE2's syntax (it has no look-around or backreferences either).

/// Whether `pattern` matches all of `text`; `None` when `pattern` is not a regular expression
/// the engine accepts (Istio rejects such a VirtualService).
pub fn full_match(pattern: &str, text: &str, ignore_case: bool) -> Option<bool> {
    let flags = if ignore_case { "(?i)" } else { "" };
    let anchored = format!("{flags}^(?:{pattern})$");
    regex_lite::Regex::new(&anchored)
        .ok()
        .map(|regex| regex.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::full_match;

    #[test]
    fn the_whole_value_must_match() {
        assert_eq!(full_match("/v[0-9]+/.*", "/v2/items", false), Some(true));
        assert_eq!(full_match("/v[0-9]+", "/v2/items", false), Some(false));
        assert_eq!(full_match("v2", "/v2/", false), Some(false));
        assert_eq!(full_match("a|b", "b", false), Some(true));
        assert_eq!(full_match("(?:a|b)c", "ac", false), Some(true));
        assert_eq!(full_match("/API", "/api", true), Some(true));
        assert_eq!(full_match("/API", "/api", false), Some(false));
    }

    #[test]
    fn expressions_re2_rejects_are_not_evaluated() {
        assert_eq!(full_match("(?=a)a", "a", false), None);
        assert_eq!(full_match("(a)\\1", "aa", false), None);
        assert_eq!(full_match("[", "[", false), None);
    }
}
