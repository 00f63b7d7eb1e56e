//! Whether a rule's match entries take the request: the conditions of an `http` match entry
//! (uri, authority, scheme, method, headers, withoutHeaders, queryParams, port, sourceLabels,
//! sourceNamespace) and of a `tls` or `tcp` one (port, sniHosts, sourceLabels, sourceNamespace,
//! destinationSubnets), as Istio's route and listener builders compare them.

use std::net::IpAddr;

use super::{Origin, Tracer};
use crate::model::{Field, HttpMatch, SourceMatch, Spanned, StringMatch, TlsMatch};
use crate::resolve::host_covers;

impl Tracer<'_, '_> {
    /// Whether an `http` rule's match entries take this request (the first entry's reasons
    /// when none does).
    pub(super) fn http_verdict(&self, items: &[HttpMatch]) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let mut first_reason = None;
        for item in items {
            match self.http_item_verdict(item) {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    first_reason.get_or_insert(reason);
                }
            }
        }
        Err(first_reason.unwrap_or_default())
    }

    fn http_item_verdict(&self, item: &HttpMatch) -> Result<(), String> {
        let request = self.request;
        let url = &request.url;
        if let Some(port) = &item.port
            && port.value != url.port
        {
            return Err(format!("port {} is not {}", port.value, url.port));
        }
        self.source_verdict(&item.source)?;
        let authority = url.authority();
        let (path, query) = url.path.split_once('?').unwrap_or((&url.path, ""));
        let checks = [
            ("uri", &item.uri, Some(path), item.ignore_uri_case),
            (
                "authority",
                &item.authority,
                Some(authority.as_str()),
                false,
            ),
            ("method", &item.method, Some(request.method.as_str()), false),
            ("scheme", &item.scheme, Some(url.scheme.as_str()), false),
        ];
        for (name, condition, value, ignore_case) in checks {
            if let Some(condition) = condition {
                string_verdict(name, &condition.value, value, ignore_case, || {
                    format!("the request has no {name}")
                })?;
            }
        }
        for (name, condition) in &item.headers {
            string_verdict(name, &condition.value, request.header(name), false, || {
                format!("the request has no {name} header")
            })?;
        }
        for (name, condition) in &item.without_headers {
            if let Some(value) = request.header(name)
                && condition.value.matches(value, false) != Some(false)
            {
                return Err(format!(
                    "withoutHeaders {name} {} matches `{value}`",
                    condition.value
                ));
            }
        }
        for (name, condition) in &item.query_params {
            let value = query_param(query, name);
            string_verdict(name, &condition.value, value, false, || {
                format!("the request has no query parameter {name}")
            })?;
        }
        Ok(())
    }

    /// Whether a `tls` or `tcp` rule's match entries take this connection: `sni` is the
    /// client's SNI for `tls` rules, `None` for `tcp` rules. On a sidecar the entries'
    /// sourceLabels, sourceNamespace and destinationSubnets count too (Istio's `matchTCP` /
    /// `matchTLS`); a gateway's filter chains compare port and gateways only.
    pub(super) fn l4_verdict(
        &self,
        items: &[TlsMatch],
        sni: Option<&str>,
        on_sidecar: bool,
    ) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let port = self.request.url.port;
        let mut reasons = Vec::new();
        for item in items {
            let verdict = (|| {
                if let Some(wanted) = &item.port
                    && wanted.value != port
                {
                    return Err(format!("port {} is not {port}", wanted.value));
                }
                if let Some(sni) = sni {
                    let patterns: &[Spanned<String>] =
                        item.sni_hosts.as_ref().map_or(&[], |s| &s.value);
                    if !patterns.is_empty() && !patterns.iter().any(|p| host_covers(&p.value, sni))
                    {
                        let patterns: Vec<&str> =
                            patterns.iter().map(|p| p.value.as_str()).collect();
                        return Err(format!(
                            "SNI {sni} is not in sniHosts {}",
                            patterns.join(", ")
                        ));
                    }
                }
                if on_sidecar {
                    self.source_verdict(&item.source)?;
                    subnet_verdict(item.destination_subnets.as_ref(), &self.request.url.host)?;
                }
                Ok(())
            })();
            match verdict {
                Ok(()) => return Ok(()),
                Err(reason) => reasons.push(reason),
            }
        }
        Err(reasons.join("; "))
    }

    /// `sourceLabels` must all be labels of the client workload, `sourceNamespace` its
    /// namespace.
    fn source_verdict(&self, source: &SourceMatch) -> Result<(), String> {
        let (labels, namespace) = self.source();
        for (key, value) in &source.labels {
            if !labels.iter().any(|(k, v)| k == key && v == value) {
                return Err(format!(
                    "the client has no label {key}={value} (sourceLabels)"
                ));
            }
        }
        if let Some(wanted) = &source.namespace
            && wanted.value != namespace
        {
            return Err(format!(
                "sourceNamespace {} is not the client's namespace {namespace}",
                wanted.value
            ));
        }
        Ok(())
    }

    /// The client workload's labels and namespace: the pod's, or for a gateway the labels its
    /// Gateway selects and that Gateway's namespace.
    fn source(&self) -> (&[(String, String)], &str) {
        match &self.request.origin {
            Origin::Pod { namespace } => (&self.request.source_labels, namespace),
            Origin::Gateway { namespace, name } => {
                let selector = self
                    .mesh
                    .gateways()
                    .find(|(r, _)| r.namespace == *namespace && r.name.value == *name)
                    .map_or(&[][..], |(_, gateway)| gateway.selector.as_slice());
                let labels = if self.request.source_labels.is_empty() {
                    selector
                } else {
                    &self.request.source_labels
                };
                (labels, namespace)
            }
        }
    }
}

/// A string condition on a request value (`None` when the request has none, which
/// `missing` says).
fn string_verdict(
    name: &str,
    condition: &StringMatch,
    value: Option<&str>,
    ignore_case: bool,
    missing: impl FnOnce() -> String,
) -> Result<(), String> {
    let Some(value) = value else {
        return Err(missing());
    };
    match condition.matches(value, ignore_case) {
        Some(true) => Ok(()),
        Some(false) => Err(format!("{name} {condition} does not match `{value}`")),
        None => Err(format!(
            "{name} {condition} is not a regular expression RE2 accepts, so Istio rejects the rule"
        )),
    }
}

/// The first value of query parameter `name` (Envoy compares the raw, undecoded value).
fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// `destinationSubnets`: the connection's destination address must lie in one. The tracer
/// knows an address only when the request names one; a host name's address (a Service's
/// cluster IP) is not in the input.
fn subnet_verdict(subnets: Option<&Field<Vec<Spanned<String>>>>, host: &str) -> Result<(), String> {
    let Some(subnets) = subnets.filter(|s| !s.value.is_empty()) else {
        return Ok(());
    };
    let written: Vec<&str> = subnets.value.iter().map(|s| s.value.as_str()).collect();
    let Ok(address) = host.trim_matches(['[', ']']).parse::<IpAddr>() else {
        return Err(format!(
            "destinationSubnets {} name addresses, and the address of {host} is not in the input",
            written.join(", ")
        ));
    };
    if written
        .iter()
        .any(|subnet| subnet_contains(subnet, address))
    {
        Ok(())
    } else {
        Err(format!(
            "{address} is not in destinationSubnets {}",
            written.join(", ")
        ))
    }
}

/// Whether `address` lies in `subnet` (`10.0.0.0/8`, or one address without a prefix).
fn subnet_contains(subnet: &str, address: IpAddr) -> bool {
    let (network, prefix) = subnet.split_once('/').unwrap_or((subnet, ""));
    let Ok(network) = network.parse::<IpAddr>() else {
        return false;
    };
    let (network, address, bits) = match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(n.to_bits()), u128::from(a.to_bits()), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (n.to_bits(), a.to_bits(), 128),
        _ => return false,
    };
    let prefix = if prefix.is_empty() {
        bits
    } else {
        match prefix.parse::<u32>() {
            Ok(p) if p <= bits => p,
            _ => return false,
        }
    };
    let shift = bits - prefix;
    shift >= bits || (network >> shift) == (address >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_contain_addresses_by_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(subnet_contains("10.0.0.0/8", ip("10.1.2.3")));
        assert!(!subnet_contains("10.0.0.0/8", ip("11.1.2.3")));
        assert!(subnet_contains("192.168.1.7", ip("192.168.1.7")));
        assert!(!subnet_contains("192.168.1.7", ip("192.168.1.8")));
        assert!(subnet_contains("0.0.0.0/0", ip("8.8.8.8")));
        assert!(subnet_contains("fd00::/8", ip("fd12::1")));
        assert!(!subnet_contains("10.0.0.0/8", ip("fd12::1")));
        assert!(!subnet_contains("10.0.0.0/33", ip("10.0.0.1")));
    }

    #[test]
    fn query_parameters_are_found_by_exact_name() {
        assert_eq!(query_param("a=1&b=2", "b"), Some("2"));
        assert_eq!(query_param("a=1&flag", "flag"), Some(""));
        assert_eq!(query_param("A=1", "a"), None);
    }
}
