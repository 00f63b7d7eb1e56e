//! Routescope's analysis engine: Istio networking YAML in, diagnostics with fixes out.
//!
//! Data flows one way: text → [`load`] (YAML with spans, typed resources) → [`resolve`]
//! (namespaces, references, bindings) → [`checks`] (diagnostics with fixes as text edits).

pub mod diagnostic;
pub mod limits;
pub mod load;
pub mod model;
pub mod settings;
pub mod source;
pub mod yaml;
