//! `routescope status`: the `status` Istio's Gateway API controller would write for every
//! Gateway API object of the input, shaped as the Kubernetes API shapes it, so it can be held
//! against `kubectl get … -o yaml`. The core predicts it
//! (`routescope_core::resolve::gateway_api::status`); this file only writes it out, as JSON or
//! as YAML documents.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use routescope_core::analyze;
use routescope_core::model::Resource;
use routescope_core::resolve::Mesh;
use routescope_core::resolve::gateway_api::status::{
    Condition, ListenerStatus, ObjectStatus, ParentReference, ParentStatus, Status, statuses,
};
use serde_json::{Map, Value, json};

use crate::{MeshArgs, output, read_or_exit};

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// Files, directories or `-` for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Yaml)]
    format: StatusFormat,
    #[command(flatten)]
    mesh: MeshArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StatusFormat {
    Yaml,
    Json,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let sources = match read_or_exit(&args.paths) {
        Ok(sources) => sources,
        Err(code) => return code,
    };
    let analysis = analyze(sources, args.mesh.settings());
    let resources = resources_json(&analysis.mesh);
    match args.format {
        StatusFormat::Json => output::print(
            &(serde_json::to_string_pretty(&json!({"version": 1, "resources": resources}))
                .expect("JSON values serialise")
                + "\n"),
        ),
        StatusFormat::Yaml => output::print(&yaml_documents(&resources)),
    }
    ExitCode::SUCCESS
}

/// One `{apiVersion, kind, metadata, status}` object per Gateway API object, in input order.
pub fn resources_json(mesh: &Mesh) -> Vec<Value> {
    statuses(mesh).iter().map(object_json).collect()
}

fn object_json(object: &ObjectStatus) -> Value {
    let resource = object.resource;
    let api_version = resource.api_version.as_ref().map_or_else(
        || "gateway.networking.k8s.io/v1".to_string(),
        |v| v.value.clone(),
    );
    let generation = generation(resource);
    json!({
        "apiVersion": api_version,
        "kind": resource.kind.name(),
        "metadata": {"namespace": resource.namespace, "name": resource.name.value},
        "status": status_json(&object.status, generation),
    })
}

/// `metadata.generation` as written: the model leaves it out, so it is read from the
/// resource's YAML tree. Istio stamps it on every condition as `observedGeneration`.
fn generation(resource: &Resource) -> Option<i64> {
    let scalar = resource
        .node
        .get("metadata")?
        .get("generation")?
        .as_scalar()?;
    scalar.text.parse().ok()
}

/// `status` with the keys and omissions of the Gateway API's Go types: route `parents` and
/// policy `ancestors` are always written, a Gateway's `listeners` only when there are some.
fn status_json(status: &Status, generation: Option<i64>) -> Value {
    let conditions = |list: &[Condition]| conditions_json(list, generation);
    match status {
        Status::Empty => json!({}),
        Status::Conditions(list) => json!({"conditions": conditions(list)}),
        Status::Listeners {
            conditions: list,
            listeners,
        } => {
            let mut status = Map::new();
            status.insert("conditions".into(), conditions(list));
            if !listeners.is_empty() {
                let listeners = listeners
                    .iter()
                    .map(|l| listener_json(l, generation))
                    .collect();
                status.insert("listeners".into(), Value::Array(listeners));
            }
            Value::Object(status)
        }
        Status::Parents(parents) => {
            json!({"parents": parents_json(parents, "parentRef", generation)})
        }
        Status::Ancestors(ancestors) => {
            json!({"ancestors": parents_json(ancestors, "ancestorRef", generation)})
        }
    }
}

fn listener_json(listener: &ListenerStatus, generation: Option<i64>) -> Value {
    let kinds: Vec<Value> = listener
        .supported_kinds
        .iter()
        .map(|kind| json!({"group": routescope_core::model::gateway_api::GROUP, "kind": kind.kind()}))
        .collect();
    json!({
        "name": listener.name,
        "supportedKinds": kinds,
        "attachedRoutes": listener.attached_routes,
        "conditions": conditions_json(&listener.conditions, generation),
    })
}

fn parents_json(parents: &[ParentStatus], reference_key: &str, generation: Option<i64>) -> Value {
    parents
        .iter()
        .map(|parent| {
            let mut entry = Map::new();
            entry.insert(reference_key.into(), reference_json(&parent.parent_ref));
            entry.insert("controllerName".into(), json!(parent.controller_name));
            entry.insert(
                "conditions".into(),
                conditions_json(&parent.conditions, generation),
            );
            Value::Object(entry)
        })
        .collect()
}

/// A `ParentReference` in the Go type's field order; unset optional fields are left out.
fn reference_json(reference: &ParentReference) -> Value {
    let mut out = Map::new();
    out.insert("group".into(), json!(reference.group));
    out.insert("kind".into(), json!(reference.kind));
    if let Some(namespace) = &reference.namespace {
        out.insert("namespace".into(), json!(namespace));
    }
    out.insert("name".into(), json!(reference.name));
    if let Some(section) = &reference.section_name {
        out.insert("sectionName".into(), json!(section));
    }
    if let Some(port) = reference.port {
        out.insert("port".into(), json!(port));
    }
    Value::Object(out)
}

/// Conditions in the core's order, which is Istio's (`setConditions` walks the sorted keys of
/// its map), each as a `metav1.Condition` without its `lastTransitionTime` (a time the
/// cluster decides).
fn conditions_json(conditions: &[Condition], generation: Option<i64>) -> Value {
    conditions
        .iter()
        .map(|condition| {
            let mut out = Map::new();
            out.insert("type".into(), json!(condition.type_));
            let status = if condition.status { "True" } else { "False" };
            out.insert("status".into(), json!(status));
            if let Some(generation) = generation {
                out.insert("observedGeneration".into(), json!(generation));
            }
            out.insert("reason".into(), json!(condition.reason));
            out.insert("message".into(), json!(condition.message));
            Value::Object(out)
        })
        .collect()
}

/// The objects as YAML documents, `---` between them.
fn yaml_documents(objects: &[Value]) -> String {
    let documents: Vec<String> = objects
        .iter()
        .map(|object| {
            let mut out = String::new();
            write_yaml(&mut out, object, 0);
            out
        })
        .collect();
    documents.join("---\n")
}

/// Block-style YAML of a JSON value, keys in their order, sequences not indented under their
/// key (as `kubectl -o yaml` writes them). `value` is a mapping at `indent`.
fn write_yaml(out: &mut String, value: &Value, indent: usize) {
    let Value::Object(map) = value else {
        return;
    };
    for (index, (key, value)) in map.iter().enumerate() {
        // The first key of a sequence item follows its `- `.
        if index > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_scalar(&Value::String(key.clone())));
        out.push(':');
        write_yaml_value(out, value, indent, indent + 2);
    }
}

/// The value of a key (after its `:`): inline when it is a scalar or empty, else on the next
/// lines, a mapping at `nested`, a sequence's dashes at `dashes`.
fn write_yaml_value(out: &mut String, value: &Value, dashes: usize, nested: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_yaml(out, value, nested);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(dashes));
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => write_yaml(out, item, dashes + 2),
                    _ => {
                        out.push_str(&yaml_scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_scalar(value));
            out.push('\n');
        }
    }
}

/// A scalar as YAML. Strings stay plain only when YAML 1.1 and 1.2 both read them back as
/// the same string; everything else is written as JSON, which YAML reads alike (double-quoted
/// strings share JSON's escapes; `{}`, `[]` and a sequence inside a sequence, which no status
/// has, are flow collections).
fn yaml_scalar(value: &Value) -> String {
    match value {
        Value::String(text) if plain_is_safe(text) => text.clone(),
        other => other.to_string(),
    }
}

fn plain_is_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let special_word = matches!(
        text.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null"
    );
    // A leading letter or `/` rules out numbers, indicators (`-`, `?`, `:`, `[`, `&`, `!`, `%`,
    // `@`, quotes…) and leading spaces; `.inf`, `.nan` and times start otherwise too.
    (first.is_ascii_alphabetic() || first == '/')
        && !special_word
        && !text.ends_with([' ', ':'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(value: Value) -> String {
        let mut out = String::new();
        write_yaml(&mut out, &value, 0);
        out
    }

    #[test]
    fn nested_mappings_and_sequences_are_written_as_kubectl_does() {
        let value = json!({
            "status": {"parents": [{"parentRef": {"name": "gw"}, "conditions": [{"type": "A"}]}]},
            "empty": {},
            "none": [],
        });
        assert_eq!(
            yaml(value),
            "status:\n  parents:\n  - parentRef:\n      name: gw\n    conditions:\n    - type: A\nempty: {}\nnone: []\n"
        );
    }

    #[test]
    fn strings_that_would_read_back_differently_are_quoted() {
        for (text, written) in [
            ("Route was valid", "Route was valid"),
            ("istio.io/gateway-controller", "istio.io/gateway-controller"),
            (
                r#"no hostnames matched parent hostname """#,
                r#"no hostnames matched parent hostname """#,
            ),
            ("", r#""""#),
            ("True", r#""True""#),
            ("no", r#""no""#),
            ("80", r#""80""#),
            ("1.5", r#""1.5""#),
            ("*.example.com", r#""*.example.com""#),
            ("- a", r#""- a""#),
            ("invalid: key", r#""invalid: key""#),
            ("a #b", r#""a #b""#),
            ("line\nbreak", r#""line\nbreak""#),
            ("trailing ", r#""trailing ""#),
        ] {
            assert_eq!(yaml_scalar(&json!(text)), written, "{text:?}");
        }
        assert_eq!(yaml_scalar(&json!(3)), "3");
        assert_eq!(yaml_scalar(&json!(true)), "true");
    }
}
