//! BackendTLSPolicy: the Services it targets, and the `ancestors` status Istio writes for it.

use super::status::{Condition, ParentReference, ParentStatus};
use crate::model::Spec;
use crate::model::gateway_api::ObjectRef;
use crate::resolve::Mesh;

/// `status.ancestors` of the BackendTLSPolicy at resource `index`: one entry per targetRef
/// (controller `istio.io/mesh-controller`), with no namespace, as Istio writes them.
pub fn ancestors(mesh: &Mesh, index: usize) -> Vec<ParentStatus> {
    let policy = &mesh.resources[index];
    let Spec::BackendTlsPolicy(spec) = &policy.spec else {
        return Vec::new();
    };
    spec.target_refs()
        .iter()
        .map(|target| ParentStatus {
            parent_ref: target_reference(target),
            controller_name: "istio.io/mesh-controller".to_string(),
            conditions: vec![
                Condition::new("Accepted", true, "Accepted", "Configuration is valid"),
                Condition::new(
                    "ResolvedRefs",
                    true,
                    "ResolvedRefs",
                    "Configuration is valid",
                ),
            ],
        })
        .collect()
}

fn target_reference(target: &ObjectRef) -> ParentReference {
    ParentReference {
        group: target.group_or("").to_string(),
        kind: target.kind_or("").to_string(),
        namespace: None,
        name: target.name_value().to_string(),
        section_name: target.section_name.as_ref().map(|s| s.value.clone()),
        port: None,
    }
}
