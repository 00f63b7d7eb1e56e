//! `https-to-http-port`: a ServiceEntry declares the conventional HTTPS port as plaintext HTTP
//! while nothing originates TLS there, so clients that call `https://` fail.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{column_of, indent_before, line_break, retype_port};
use crate::model::{Protocol, Resource, ServiceEntry};
use crate::resolve::Mesh;
use crate::yaml::split_documents;

/// Ports that by convention carry HTTPS.
const TLS_PORTS: [u32; 2] = [443, 8443];

pub static CHECK: Check = Check {
    id: "https-to-http-port",
    summary: "A ServiceEntry declares port 443 or 8443 as plaintext HTTP and no DestinationRule originates TLS there.",
    istio_code: None,
    docs: r#"
## What it does
Reports a ServiceEntry port numbered 443 or 8443 whose protocol is a plaintext HTTP protocol
(`HTTP`, `HTTP2`, `GRPC`, `GRPC-WEB`) when no DestinationRule originates TLS for it: for none
of the entry's hosts does the DestinationRule that applies (exact host before wildcard, the
ServiceEntry's namespace first) set `mode: SIMPLE` or `MUTUAL` at a level that applies to that
port (the top level, a port level for that number, or a subset). A port that some hosts
originate TLS to and others do not is left alone: the author evidently uses origination.

## Why is this bad?
Port 443 is where clients send HTTPS. The sidecar parses what arrives on an `HTTP` port as
plaintext HTTP, so `curl https://httpbin.org` fails with
`SSL routines:ssl3_get_record:wrong version number`, and the access log shows `400 DPE`.
Plaintext on port 443 (`curl http://httpbin.org:443`) can be intended, which is why this is a
warning.

## Fix
Declare the port as `HTTPS` (renaming an `http` or `http-…` port name to `https…`), as Istio's
troubleshooting guide prescribes. Alternatively keep the port plaintext and let the sidecar
originate TLS with a DestinationRule `tls: {mode: SIMPLE}` for the port; applications then call
`http://httpbin.org:443`.

## Fix safety
Declaring the port `HTTPS` is safe: it is the documented edit, needs no value from the user and
matches what clients of port 443 send. Adding a DestinationRule that originates TLS is unsafe:
it changes what applications must send (plaintext instead of TLS) and adds a resource; it is
offered only when the ServiceEntry is a top-level document, declares the port number once, none
of its hosts is a wildcard and none has a DestinationRule yet (a second rule for a host would
conflict with the first).
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: http
    protocol: HTTP
  resolution: DNS
"#,
    good_example: r#"apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, entry) in mesh.service_entries() {
        let hosts: Vec<&str> = entry.host_values().map(|h| h.value.as_str()).collect();
        if hosts.is_empty() {
            continue;
        }
        for port in &entry.ports {
            let (Some(number), Some(protocol)) = (&port.value.number, &port.value.protocol) else {
                continue;
            };
            if !TLS_PORTS.contains(&number.value) || !protocol.value.is_http() {
                continue;
            }
            let originated = hosts.iter().any(|host| {
                mesh.originations(host, &resource.namespace, number.value)
                    .is_some()
            });
            if originated {
                continue;
            }
            let number = number.value;
            let mut diagnostic = Diagnostic::new(
                CHECK.id,
                Severity::Warning,
                protocol.span,
                format!(
                    "{} declares port {number} of {} as {}, and no DestinationRule originates \
                     TLS there: clients calling https://{} send TLS that the sidecar parses as \
                     HTTP, and fail (`400 DPE`, `wrong version number`)",
                    resource.label(),
                    hosts.join(", "),
                    protocol.value,
                    hosts[0]
                ),
            )
            .related(
                port.value.number.as_ref().map_or(port.span, |n| n.span),
                format!("port {number} conventionally carries HTTPS"),
            )
            .resource(resource.reference())
            .fix(Fix::safe(
                format!("Declare port {number} as HTTPS"),
                retype_port(
                    &mesh.sources,
                    &port.value,
                    Protocol::Https,
                    &["http"],
                    "https",
                ),
            ));
            // A port number declared twice (which Istio's validation refuses) would have TLS
            // originated on both: no origination fix then.
            let declared_once = entry
                .ports
                .iter()
                .filter(|p| p.value.number.as_ref().is_some_and(|n| n.value == number))
                .count()
                == 1;
            if declared_once && let Some(edit) = origination_rules(mesh, resource, entry, number) {
                diagnostic = diagnostic.fix(Fix::unsafe_(
                    format!(
                        "Keep port {number} plaintext and originate TLS with a DestinationRule"
                    ),
                    vec![edit],
                ));
            }
            out.push(diagnostic);
        }
    }
}

/// Inserts, after the ServiceEntry's document, one DestinationRule per host that originates
/// TLS for `port`. `None` when that cannot be done cleanly (see the docs' fix safety).
fn origination_rules(
    mesh: &Mesh,
    resource: &Resource,
    entry: &ServiceEntry,
    port: u32,
) -> Option<Edit> {
    let file = resource.span.file;
    let text = mesh.sources.text(file);
    let start = resource.span.start as usize;
    if column_of(text, start) != 0 {
        return None;
    }
    let hosts: Vec<&str> = entry.host_values().map(|h| h.value.as_str()).collect();
    let needs_rule = |host: &&str| {
        !host.contains('*')
            && mesh
                .destination_rule_for(host, &resource.namespace, &resource.namespace)
                .is_none()
    };
    if !hosts.iter().all(needs_rule) {
        return None;
    }
    let document = split_documents(text)
        .into_iter()
        .find(|range| range.contains(&start))?;
    let newline = line_break(text);
    // Indent like the user's own `metadata.name`.
    let step = indent_before(text, resource.name.key.start as usize)
        .filter(|indent| !indent.is_empty() && !indent.contains('\t'))
        .map_or(2, str::len);
    // The new rules take the ServiceEntry's `apiVersion` as written (same API group).
    let api_version = mesh.sources.slice(resource.node.get("apiVersion")?.span);
    let mut inserted = String::new();
    if !text[..document.end].ends_with('\n') {
        inserted.push_str(newline);
    }
    // Columns: `- port:` items sit at the list key's column, their entries two further.
    let item = 2 * step + 2;
    for host in hosts {
        let name = format!("{}-tls", host.to_ascii_lowercase().replace('.', "-"));
        let mut lines: Vec<(usize, String)> = vec![
            (0, "---".into()),
            (0, format!("apiVersion: {api_version}")),
            (0, "kind: DestinationRule".into()),
            (0, "metadata:".into()),
            (step, format!("name: {name}")),
        ];
        if let Some(namespace) = &resource.namespace_field {
            lines.push((
                step,
                format!("namespace: {}", mesh.sources.slice(namespace.span)),
            ));
        }
        lines.extend([
            (0, "spec:".into()),
            (step, format!("host: {host}")),
            (step, "trafficPolicy:".into()),
            (2 * step, "portLevelSettings:".into()),
            (2 * step, "- port:".into()),
            (item + step, format!("number: {port}")),
            (item, "tls:".into()),
            (item + step, "mode: SIMPLE".into()),
        ]);
        for (column, line) in lines {
            inserted.push_str(&" ".repeat(column));
            inserted.push_str(&line);
            inserted.push_str(newline);
        }
    }
    Some(Edit::insert(file, document.end, inserted))
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const SEED: &str = "apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 443
    name: http
    protocol: HTTP
  resolution: DNS
";

    #[test]
    fn flags_plaintext_on_the_https_port() {
        let fixture = SEED.replace(
            "protocol: HTTP\n",
            "protocol: HTTP\n#             ^^^^ warning: ServiceEntry default/httpbin declares port 443 of httpbin.org as HTTP, and no DestinationRule originates TLS there [fix]\n",
        );
        check("https-to-http-port", &fixture);
    }

    #[test]
    fn flags_flow_style_http2_and_grpc_on_8443() {
        check(
            "https-to-http-port",
            r#"# café ☕
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: shop}
spec:
  hosts: [api.example.com, "*.cdn.example.com"]
  ports:
  - {number: 8443, name: http2-api, protocol: http2}
#                                             ^^^^^ warning: declares port 8443 of api.example.com, *.cdn.example.com as HTTP2 [fix]
  - {number: 443, name: grpc, protocol: GRPC}
#                                       ^^^^ warning: clients calling https://api.example.com [fix]
  - {number: 80, name: http, protocol: HTTP}
  - {number: 9443, name: http, protocol: HTTP}
"#,
        );
    }

    #[test]
    fn origination_https_ports_and_other_hosts_rules_are_not_flagged() {
        check(
            "https-to-http-port",
            r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  ports:
  - {number: 443, name: http, protocol: HTTP}
  - {number: 8443, name: https, protocol: HTTPS}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls}
spec:
  host: httpbin.org
  trafficPolicy: {tls: {mode: SIMPLE}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn}
spec:
  hosts: [edition.cnn.com]
  ports: [{number: 443, name: http-port, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cnn}
spec:
  host: edition.cnn.com
  subsets:
  - name: tls
    trafficPolicy:
      portLevelSettings:
      - port: {number: 443}
        tls: {mode: MUTUAL, credentialName: client}
"#,
        );
    }

    #[test]
    fn origination_for_another_port_does_not_count() {
        check(
            "https-to-http-port",
            r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  ports: [{number: 443, name: http, protocol: HTTP}]
#                                             ^^^^ warning: no DestinationRule originates TLS there [fix]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls}
spec:
  host: httpbin.org
  trafficPolicy:
    tls: {mode: DISABLE}
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
"#,
        );
    }

    #[test]
    fn the_double_tls_scenario_and_its_fix_are_not_flagged() {
        let double_tls = &crate::checks::double_tls::CHECK;
        check("https-to-http-port", double_tls.bad_example);
        check("https-to-http-port", double_tls.good_example);
    }

    #[test]
    fn fix_declares_https() {
        let after = SEED
            .replace("name: http\n", "name: https\n")
            .replace("protocol: HTTP", "protocol: HTTPS");
        assert_fix("https-to-http-port", 0, SEED, &after);
    }

    #[test]
    fn fix_keeps_crlf_quotes_and_name_suffix() {
        let before = "# café ☕\r\napiVersion: networking.istio.io/v1\r\nkind: ServiceEntry\r\nmetadata:\r\n    name: web\r\nspec:\r\n    hosts: ['web.example.com']\r\n    ports:\r\n    -   number: 8443 # é\r\n        name: \"http-web\"\r\n        protocol: 'http'";
        let after = before
            .replace("\"http-web\"", "\"https-web\"")
            .replace("'http'", "'https'");
        assert_fix("https-to-http-port", 0, before, &after);
    }

    #[test]
    fn origination_fix_adds_a_destination_rule_per_host() {
        let before = "# café ☕\r\napiVersion: networking.istio.io/v1beta1\r\nkind: ServiceEntry\r\nmetadata:\r\n    name: web\r\n    namespace: \"shop\"\r\nspec:\r\n    hosts: [web.example.com, Api.Example.com]\r\n    ports:\r\n    -   number: 443\r\n        name: http\r\n        protocol: HTTP\r\n\r\n---\r\napiVersion: v1\r\nkind: Service\r\nmetadata: {name: other}\r\n";
        let rule = |name: &str, host: &str| {
            format!(
                "---\r\napiVersion: networking.istio.io/v1beta1\r\nkind: DestinationRule\r\nmetadata:\r\n    name: {name}\r\n    namespace: \"shop\"\r\nspec:\r\n    host: {host}\r\n    trafficPolicy:\r\n        portLevelSettings:\r\n        - port:\r\n              number: 443\r\n          tls:\r\n              mode: SIMPLE\r\n"
            )
        };
        let after = before.replace(
            "\r\n\r\n---\r\napiVersion: v1\r\n",
            &format!(
                "\r\n\r\n{}{}---\r\napiVersion: v1\r\n",
                rule("web-example-com-tls", "web.example.com"),
                rule("api-example-com-tls", "Api.Example.com")
            ),
        );
        assert_fix("https-to-http-port", 1, before, &after);
    }

    #[test]
    fn origination_fix_at_the_end_without_namespace() {
        let before = SEED.trim_end();
        let after = format!(
            "{before}\n---\napiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata:\n  name: httpbin-org-tls\nspec:\n  host: httpbin.org\n  trafficPolicy:\n    portLevelSettings:\n    - port:\n        number: 443\n      tls:\n        mode: SIMPLE\n"
        );
        assert_fix("https-to-http-port", 1, before, &after);
    }
}
