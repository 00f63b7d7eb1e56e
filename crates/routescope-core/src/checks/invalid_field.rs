//! `invalid-field`: a known field holding a value of the wrong shape, or a resource without
//! `kind` or `metadata.name`.

use super::{Check, Run};

pub static CHECK: Check = Check {
    id: "invalid-field",
    summary: "A field has a value of the wrong shape (a string for a list, an unknown TLS mode or protocol), or a resource lacks `kind` or `metadata.name`.",
    istio_code: None,
    docs: r#"
## What it does
Reports a field that Routescope reads whose value has the wrong shape: `hosts: foo` instead of
a list, `number: abc`, a quoted number, an unknown TLS mode or port protocol. Also reports a
document with an `apiVersion` but no `kind`, and an analysed resource without `metadata.name`.
Documents with neither `apiVersion` nor `kind` are no Kubernetes objects and are skipped, as
are kinds Routescope does not analyse. Fields Routescope does not read are not checked. The field is then treated as absent, so the other checks still
run on the rest of the resource.

## Why is this bad?
The API server rejects the resource (`kubectl apply` fails), or, for an unknown enum value in
an older Istio, the setting silently falls back to its default.

## Fix
Write the value in the shape the message names; for enums, one of the listed values (TLS modes
and DestinationRule modes are upper case; protocols are read case-insensitively).

## Fix safety
No automatic fix: the intended value cannot be known.
"#,
    bad_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: reviews\n",
    good_example: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n  - reviews\n",
    run: Run::AtLoad,
};

#[cfg(test)]
mod tests {
    use crate::checks::fixture::check;

    #[test]
    fn flags_wrong_shapes_at_the_value() {
        check(
            "invalid-field",
            r#"apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
  - port:
      number: "443"
#             ^^^^^ error: `number` must be a whole number, found a string
      protocol: HTTPZ
#               ^^^^^ error: unknown protocol `HTTPZ`
    hosts: café.example.com
#          ^^^^^^^^^^^^^^^^ error: `hosts` must be a list, found a string
    tls:
      mode: simple
#           ^^^^^^ error: unknown TLS mode `simple`; expected one of PASSTHROUGH
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {}
#^^^^^^^^ error: DestinationRule has no `metadata.name`
spec:
  host: a
"#,
        );
    }

    #[test]
    fn well_formed_resources_and_other_kinds_are_not_flagged() {
        check(
            "invalid-field",
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 80, protocol: http, name: http}
    hosts: ["*"]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: "three"
"#,
        );
    }
}
