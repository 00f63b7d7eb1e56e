//! `retries-with-fault`: PLACEHOLDER, being written.

use super::{Check, Run};
use crate::diagnostic::Diagnostic;
use crate::resolve::Mesh;

pub static CHECK: Check = Check {
    id: "retries-with-fault",
    summary: "",
    istio_code: None,
    docs: "",
    bad_example: "",
    good_example: "",
    run: Run::OnMesh(run),
};

fn run(_mesh: &Mesh, _out: &mut Vec<Diagnostic>) {}
