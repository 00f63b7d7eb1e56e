//! Edits of Istio fields that several checks make.

use super::replace_scalar;
use crate::diagnostic::Edit;
use crate::model::gateway_api::ObjectRef;
use crate::model::{Named, PortSpec, Protocol};
use crate::source::Sources;

/// A Gateway API reference respelled to one of the `accepted` (group, kind) pairs it misses
/// only by letter case (`service` for `Service`) or by naming the core group `core`: the
/// respelled reference, and the edits of its `group` and `kind` values. `None` when it names
/// no accepted pair that way (or one exactly).
pub fn respell_group_kind(
    sources: &Sources,
    reference: &ObjectRef,
    defaults: (&str, &str),
    accepted: &[(&str, &str)],
) -> Option<(ObjectRef, Vec<Edit>)> {
    let group = reference.group_or(defaults.0);
    let kind = reference.kind_or(defaults.1);
    let &(new_group, new_kind) = accepted.iter().find(|(g, k)| {
        let group_close =
            group.eq_ignore_ascii_case(g) || (g.is_empty() && group.eq_ignore_ascii_case("core"));
        (group, kind) != (*g, *k) && group_close && kind.eq_ignore_ascii_case(k)
    })?;
    let mut respelled = reference.clone();
    let mut edits = Vec::new();
    if let Some(written) = respelled.group.as_mut().filter(|g| g.value != new_group) {
        edits.push(
            if new_group.is_empty() && !sources.slice(written.span).starts_with(['"', '\'']) {
                Edit::replace(written.span, "\"\"")
            } else {
                replace_scalar(sources, written.span, new_group)
            },
        );
        written.value = new_group.to_string();
    }
    if let Some(written) = respelled.kind.as_mut().filter(|k| k.value != new_kind) {
        edits.push(replace_scalar(sources, written.span, new_kind));
        written.value = new_kind.to_string();
    }
    Some((respelled, edits))
}

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
