//! What an input held: the objects analysed, by kind, and those that were not (other kinds,
//! groups or versions), so that a clean report never reads as an all-clear for input that was
//! never looked at.

use super::Mesh;

/// Kinds with how many objects of each, in the order they first appear.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    pub read: Vec<(String, usize)>,
    pub not_read: Vec<(String, usize)>,
}

impl Mesh {
    pub fn inventory(&self) -> Inventory {
        let mut inventory = Inventory::default();
        for resource in &self.resources {
            count(&mut inventory.read, resource.kind.name());
        }
        for object in &self.skipped {
            count(&mut inventory.not_read, &object.kind.value);
        }
        inventory
    }
}

fn count(counts: &mut Vec<(String, usize)>, kind: &str) {
    match counts.iter_mut().find(|(k, _)| k == kind) {
        Some((_, n)) => *n += 1,
        None => counts.push((kind.to_string(), 1)),
    }
}

impl Inventory {
    /// One line: `read 1 Gateway, 2 VirtualServices; not read: 2 Deployments`, or what to do
    /// when nothing was read.
    pub fn summary(&self) -> String {
        let list = |counts: &[(String, usize)]| {
            counts
                .iter()
                .map(|(kind, n)| match n {
                    1 => format!("1 {kind}"),
                    n => format!("{n} {}", plural(kind)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let read = if self.read.is_empty() {
            "read no Istio or Gateway API resource".to_string()
        } else {
            format!("read {}", list(&self.read))
        };
        if self.not_read.is_empty() {
            read
        } else {
            format!("{read}; not read: {}", list(&self.not_read))
        }
    }
}

/// English plurals of Kubernetes kinds: `BackendTLSPolicies`, `Ingresses`, `Endpoints`.
fn plural(kind: &str) -> String {
    if let Some(stem) = kind.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else if kind.ends_with("ss") || kind.ends_with('x') {
        format!("{kind}es")
    } else if kind.ends_with('s') {
        kind.to_string()
    } else {
        format!("{kind}s")
    }
}

#[cfg(test)]
mod tests {
    use crate::analyze;
    use crate::settings::MeshSettings;
    use crate::source::Sources;

    fn summary(text: &str) -> String {
        analyze(Sources::single("in.yaml", text), MeshSettings::default())
            .mesh
            .inventory()
            .summary()
    }

    #[test]
    fn counts_what_was_read_and_what_was_not() {
        let text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: a}\n---\n\
                    apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b}\n---\n\
                    apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: c}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: e}\n---\n\
                    apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: f}\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: g}\n---\n\
                    apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: h}\n";
        assert_eq!(
            summary(text),
            "read 1 Gateway, 2 VirtualServices; not read: 2 Deployments, 1 AuthorizationPolicy, 2 Ingresses"
        );
    }

    #[test]
    fn says_when_nothing_was_read() {
        assert_eq!(summary(""), "read no Istio or Gateway API resource");
        assert_eq!(
            summary(
                "apiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata: {name: a}\n"
            ),
            "read no Istio or Gateway API resource; not read: 1 VirtualServce"
        );
        assert_eq!(super::plural("BackendTLSPolicy"), "BackendTLSPolicies");
        assert_eq!(super::plural("Endpoints"), "Endpoints");
        assert_eq!(super::plural("Gateway"), "Gateways");
    }
}
