//! Edits of Istio fields that several checks make.

use super::replace_scalar;
use crate::diagnostic::Edit;
use crate::model::{Named, PortSpec, Protocol};
use crate::source::Sources;

/// The placeholder a fix inserts where the user must name a Kubernetes TLS secret.
pub const CREDENTIAL_PLACEHOLDER: &str = "credentialName: <credential-name>";

/// Edits that declare a ServiceEntry port as `protocol` (written in the case the user wrote
/// the old one) and rename a name starting with one of `name_prefixes` (as a whole or before
/// a `-`) to start with `new_prefix` instead.
pub fn retype_port(
    sources: &Sources,
    port: &PortSpec,
    protocol: Protocol,
    name_prefixes: &[&str],
    new_prefix: &str,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    if let Some(written) = &port.protocol {
        let old = sources.slice(written.span);
        let new = if old.chars().any(|c| c.is_ascii_uppercase()) {
            protocol.name().to_string()
        } else {
            protocol.name().to_ascii_lowercase()
        };
        edits.push(replace_scalar(sources, written.span, &new));
    }
    if let Some(name) = &port.name {
        let lower = name.value.to_ascii_lowercase();
        let rest = name_prefixes.iter().find_map(|prefix| {
            lower
                .strip_prefix(prefix)
                .filter(|rest| rest.is_empty() || rest.starts_with('-'))
        });
        if let Some(rest) = rest {
            let rest = &name.value[name.value.len() - rest.len()..];
            edits.push(replace_scalar(
                sources,
                name.span,
                &format!("{new_prefix}{rest}"),
            ));
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::apply_edits;
    use crate::load::load;
    use crate::model::Spec;

    fn retyped(text: &str, protocol: Protocol, prefixes: &[&str], new_prefix: &str) -> String {
        let sources = Sources::single("t", text);
        let loaded = load(&sources, "default");
        let Spec::ServiceEntry(entry) = &loaded.resources[0].spec else {
            panic!("a ServiceEntry");
        };
        let mut edits = retype_port(
            &sources,
            &entry.ports[0].value,
            protocol,
            prefixes,
            new_prefix,
        );
        edits.sort();
        apply_edits(text, &edits)
    }

    #[test]
    fn retypes_a_port_in_the_case_and_quotes_written() {
        let head = "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: é}\nspec:\n  hosts: [a.org]\n  ports:\n";
        let text = format!("{head}  - {{number: 443, name: \"HTTPS-web\", protocol: 'https'}}\n");
        assert_eq!(
            retyped(&text, Protocol::Http, &["https", "tls"], "http"),
            text.replace("\"HTTPS-web\"", "\"http-web\"")
                .replace("'https'", "'http'")
        );
        let text = format!("{head}  - number: 443\r\n    name: tlsweb\r\n    protocol: TLS\r\n");
        assert_eq!(
            retyped(&text, Protocol::Tcp, &["tls"], "tcp"),
            text.replace("protocol: TLS", "protocol: TCP"),
            "`tlsweb` does not start with `tls-`"
        );
    }
}
