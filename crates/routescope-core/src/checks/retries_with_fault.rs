//! `retries-with-fault`: an HTTP rule that injects faults and also sets retries.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::delete_entries;
use crate::resolve::Mesh;

pub static CHECK: Check = Check {
    id: "retries-with-fault",
    summary: "An HTTP rule sets `retries` together with `fault`; the retry policy does not take effect.",
    istio_code: None,
    docs: r#"
## What it does
Reports an HTTP rule of a VirtualService that has both `fault` (injected delays or aborts)
and `retries` (other than `attempts: 0`, which turns retries off).

## Why is this bad?
Istio does not support fault injection together with retry or timeout policies on the same
VirtualService: with both on one rule the retry configuration does not take effect. A
service with `abort` at 50% and five retries still fails half of its requests, so a resilience
test seems to show that retries do not work.

## Fix
Remove the `fault` from the VirtualService and inject the fault into the upstream proxy with
an EnvoyFilter instead: the retry policy then runs in the client's proxy and the fault in the
server's. Or test faults and retries separately.

## Fix safety
Unsafe: the fix removes the `fault` block, which is what the Istio troubleshooting guide
prescribes, but the injected faults then disappear until they are configured again with an
EnvoyFilter. No fix when the `fault` entry shares its lines with other keys in a way a line
edit cannot remove cleanly.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts: ["*"]
  gateways: [helloworld-gateway]
  http:
  - match:
    - uri: {exact: /hello}
    fault:
      abort:
        httpStatus: 500
        percentage: {value: 50}
    retries:
      attempts: 5
      retryOn: 5xx
    route:
    - destination: {host: helloworld, port: {number: 5000}}
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: helloworld
spec:
  hosts: ["*"]
  gateways: [helloworld-gateway]
  http:
  - match:
    - uri: {exact: /hello}
    retries:
      attempts: 5
      retryOn: 5xx
    route:
    - destination: {host: helloworld, port: {number: 5000}}
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        for (index, rule) in service.http_routes().iter().enumerate() {
            let (Some(fault), Some(retries)) = (&rule.fault, &rule.retries) else {
                continue;
            };
            let attempts = retries.value.attempts.as_ref().map(|a| a.value);
            if attempts == Some(0) {
                continue;
            }
            let tries = attempts.map_or(String::new(), |n| format!(" ({n} attempts)"));
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                retries.key,
                format!(
                    "rule http[{index}] of {} injects faults and sets retries{tries}: Istio does \
                     not apply the retry policy together with fault injection, so the injected \
                     errors reach the client; inject the fault with an EnvoyFilter on the \
                     upstream proxy instead",
                    resource.label()
                ),
            )
            .related(fault.key, "fault injection on the same rule")
            .resource(resource.reference());
            let deletion = mesh.node_at(rule.span).and_then(|node| {
                delete_entries(&mesh.sources, node, &[node.entry_index("fault")?])
            });
            if let Some(edits) = deletion {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    "Remove the fault injection (inject it with an EnvoyFilter instead)",
                    edits,
                ));
            }
            out.push(diagnostic);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const VS: &str = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n  hosts: [helloworld]\n  http:\n";

    #[test]
    fn flags_retries_next_to_a_fault() {
        check(
            "retries-with-fault",
            &format!(
                r#"{VS}  - fault:
      abort: {{httpStatus: 500, percentage: {{value: 50}}}}
    # café ☕
    retries:
#   ^^^^^^^ warning: rule http[0] of VirtualService default/vs injects faults and sets retries (5 attempts): Istio does not apply the retry policy together with fault injection
      attempts: 5
    route:
    - destination: {{host: helloworld}}
  - {{fault: {{delay: {{fixedDelay: 5s}}}}, route: [{{destination: {{host: helloworld}}}}], retries: {{perTryTimeout: 2s}}}}
#                                                                                  ^^^^^^^ warning: rule http[1] of VirtualService default/vs injects faults and sets retries: [fix]
"#
            ),
        );
    }

    #[test]
    fn faults_or_retries_alone_are_not_flagged() {
        check(
            "retries-with-fault",
            &format!(
                r#"{VS}  - fault:
      abort: {{httpStatus: 555, percentage: {{value: 100}}}}
    retries: {{attempts: 0}}
    route:
    - destination: {{host: helloworld}}
  - retries: {{attempts: 3}}
    route:
    - destination: {{host: helloworld}}
  - fault: {{delay: {{fixedDelay: 5s}}}}
    route:
    - destination: {{host: helloworld}}
"#
            ),
        );
    }

    #[test]
    fn fix_removes_the_fault_block() {
        let before = format!(
            "{VS}  - match:\r\n    - uri: {{exact: /hello}}\r\n    fault: # café ☕\r\n      abort:\r\n        httpStatus: 500\r\n    retries:\r\n      attempts: 5\r\n    route:\r\n    - destination: {{host: helloworld}}\r\n"
        );
        let after = before.replace(
            "    fault: # café ☕\r\n      abort:\r\n        httpStatus: 500\r\n",
            "",
        );
        assert_fix("retries-with-fault", 0, &before, &after);
    }

    #[test]
    fn fix_removes_a_fault_that_follows_the_list_marker() {
        let before = format!(
            "{VS}  - fault:\n      abort:\n        httpStatus: 500\n    retries: {{attempts: 5}}\n    route:\n    - destination: {{host: helloworld}}\n"
        );
        let after = before.replace(
            "  - fault:\n      abort:\n        httpStatus: 500\n    retries:",
            "  - retries:",
        );
        assert_fix("retries-with-fault", 0, &before, &after);
    }

    #[test]
    fn fix_removes_a_flow_fault() {
        let before = format!(
            "{VS}  - {{fault: {{abort: {{httpStatus: 500}}}},  retries: {{attempts: 5}}, route: [{{destination: {{host: helloworld}}}}]}}\n"
        );
        let after = before.replace("fault: {abort: {httpStatus: 500}},  ", "");
        assert_fix("retries-with-fault", 0, &before, &after);
    }
}
