//! Hostname intersection of listeners and routes, as Istio computes it.

/// Istio's `host.Name.Matches` (`pkg/config/host/name.go`): exact names compare as strings; a
/// leftmost wildcard matches by suffix, so `*.example.com` takes `a.example.com` and
/// `a.b.example.com` but not `example.com`; two wildcards match when one's suffix ends the
/// other's; `*` matches everything.
pub fn hostnames_intersect(a: &str, b: &str) -> bool {
    match (a.strip_prefix('*'), b.strip_prefix('*')) {
        (Some(a_suffix), Some(b_suffix)) => {
            if a_suffix.len() < b_suffix.len() {
                b_suffix.ends_with(a_suffix)
            } else {
                a_suffix.ends_with(b_suffix)
            }
        }
        (Some(suffix), None) => b.ends_with(suffix),
        (None, Some(suffix)) => a.ends_with(suffix),
        (None, None) => a == b,
    }
}

/// Whether Istio's suffix match accepts a pair that the Gateway API specification's label
/// rule does not: the specification lets a wildcard route hostname attach to a wildcard
/// listener only when the route's is at least as specific (`*.a.example.com` under
/// `*.example.com`), never the other way round.
pub fn wildcard_differs_from_spec(listener: &str, route: &str) -> bool {
    match (listener.strip_prefix('*'), route.strip_prefix('*')) {
        (Some(listener_suffix), Some(route_suffix)) => {
            !listener_suffix.is_empty()
                && route_suffix.len() < listener_suffix.len()
                && listener_suffix.ends_with(route_suffix)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersection_follows_istio() {
        assert!(hostnames_intersect("foo.com", "foo.com"));
        assert!(!hostnames_intersect("foo.com", "bar.com"));
        assert!(hostnames_intersect("*.com", "foo.com"));
        assert!(hostnames_intersect("bar.com", "*.com"));
        assert!(!hostnames_intersect("*.foo.com", "foo.com"));
        assert!(hostnames_intersect("*", "foo.com"));
        assert!(hostnames_intersect("*", "*.com"));
        assert!(hostnames_intersect("*.example.com", "a.b.example.com"));
        assert!(hostnames_intersect("*.example.com", "*.a.example.com"));
        assert!(hostnames_intersect("*.a.example.com", "*.example.com"));
        assert!(!hostnames_intersect("*.a.example.com", "b.example.com"));
    }

    #[test]
    fn only_a_broader_wildcard_route_differs_from_the_spec() {
        assert!(wildcard_differs_from_spec(
            "*.a.example.com",
            "*.example.com"
        ));
        assert!(!wildcard_differs_from_spec(
            "*.example.com",
            "*.a.example.com"
        ));
        assert!(!wildcard_differs_from_spec(
            "*.example.com",
            "a.example.com"
        ));
        assert!(!wildcard_differs_from_spec("*", "*.example.com"));
    }
}
