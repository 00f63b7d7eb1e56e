//! Kubernetes object names: the API server's rules (`k8s.io/apimachinery`'s
//! `IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`), which Istio's webhook applies to
//! references too. A name that breaks them never resolves, so no fix may propose one.

/// An RFC 1123 label: 1–63 lowercase letters, digits and `-`, starting and ending with a
/// letter or digit. Namespaces are labels.
pub fn is_dns1123_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// An RFC 1123 subdomain: at most 253 characters, labels joined by `.`. Most objects' names.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns1123_label)
}

/// An RFC 1035 label: an RFC 1123 label that starts with a letter. Services' names.
pub fn is_dns1035_label(name: &str) -> bool {
    is_dns1123_label(name) && name.as_bytes()[0].is_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_subdomains_and_rfc1035() {
        for valid in ["a", "gw", "istio-system", "a1", "1a", &"a".repeat(63)] {
            assert!(is_dns1123_label(valid), "{valid}");
        }
        for invalid in ["", "-a", "a-", "A", "a_b", "a.b", "./gw", &"a".repeat(64)] {
            assert!(!is_dns1123_label(invalid), "{invalid}");
        }
        assert!(is_dns1123_subdomain("reviews.v1"));
        assert!(!is_dns1123_subdomain("reviews..v1"));
        assert!(!is_dns1123_subdomain(".gw"));
        assert!(!is_dns1123_subdomain(&"a.".repeat(127)));
        assert!(is_dns1035_label("reviews"));
        assert!(!is_dns1035_label("1reviews"));
    }
}
