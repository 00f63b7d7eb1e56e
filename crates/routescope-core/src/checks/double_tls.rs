//! `double-tls`: a DestinationRule originates TLS to a ServiceEntry port that already carries
//! TLS, so requests are encrypted twice.

use std::ptr;

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Edit, Fix, Severity};
use crate::edits::{insert_one_line_entry, replace_scalar, retype_port};
use crate::model::{
    ClientTls, DestinationRule, Field, Named, PortSpec, PortTrafficPolicy, Protocol, Resource,
    ServiceEntry, Spanned,
};
use crate::resolve::{Mesh, TlsLevel, TlsSetting, fqdn, hosts_intersect};

pub static CHECK: Check = Check {
    id: "double-tls",
    summary: "A DestinationRule originates TLS to a ServiceEntry port declared HTTPS or TLS: requests are encrypted twice.",
    istio_code: None,
    docs: r#"
## What it does
For every ServiceEntry port declared `HTTPS` or `TLS`, finds the DestinationRule that applies
to each of its hosts (exact host before wildcard, the ServiceEntry's namespace first) and
reports each TLS setting of it that originates TLS (`mode: SIMPLE` or `MUTUAL`) for that port:
the top level, a `portLevelSettings` entry for that port number (an entry for another port does
not apply), or a subset's own setting.

When an `http` route of a VirtualService sends to that port (the pre-1.8 way of originating
TLS: clients call `http://host`, a route rewrites the port to 443), the configuration works for
those clients and only a client calling `https://` directly is encrypted twice: that is
reported as info, without a fix.

## Why is this bad?
A port declared `HTTPS` tells the sidecar that the application already sends TLS there; the
DestinationRule makes the sidecar wrap those bytes in TLS once more. The server sees a TLS
handshake inside TLS, and `curl https://httpbin.org` fails with
`SSL routines:ssl3_get_record:wrong version number`.

## Fix
Let the application send plaintext and the sidecar originate TLS: declare the port as `HTTP`
(a `TLS` port as `TCP`), renaming an `https`/`tls` port name to match. The application then
calls `http://httpbin.org:443`. With Istio 1.8 or later the application can instead call port
80: declare `number: 80`, `protocol: HTTP` and `targetPort: 443`.

## Fix safety
Declaring the port as plaintext is safe: it is the edit Istio's troubleshooting guide
prescribes and needs no value from the user; afterwards the applications must send plaintext,
which is what the DestinationRule already expects. The port-80 variant is unsafe: it changes
the port applications and routes use (a VirtualService or DestinationRule naming port 443 of
the host must follow; a port-level setting of the DestinationRule is moved along), and needs
Istio 1.8 or later. It is offered only for HTTPS ports, when the ServiceEntry has no port 80
and the port has no `targetPort` yet.
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
    name: https
    protocol: HTTPS
  resolution: DNS
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: originate-tls
spec:
  host: httpbin.org
  trafficPolicy:
    tls:
      mode: SIMPLE
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
    name: http
    protocol: HTTP
  resolution: DNS
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: originate-tls
spec:
  host: httpbin.org
  trafficPolicy:
    tls:
      mode: SIMPLE
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, entry) in mesh.service_entries() {
        for port in &entry.ports {
            let (Some(number), Some(protocol)) = (&port.value.number, &port.value.protocol) else {
                continue;
            };
            if !protocol.value.is_encrypted() {
                continue;
            }
            // Hosts sharing a (wildcard) DestinationRule would repeat the same conflict.
            let mut reported: Vec<&Field<ClientTls>> = Vec::new();
            for host in entry.host_values() {
                let Some(origination) =
                    mesh.originations(&host.value, &resource.namespace, number.value)
                else {
                    continue;
                };
                for setting in origination.settings {
                    if reported.iter().any(|seen| ptr::eq(*seen, setting.tls)) {
                        continue;
                    }
                    reported.push(setting.tls);
                    let conflict = Conflict {
                        entry_resource: resource,
                        entry,
                        port,
                        number,
                        protocol,
                        host: &host.value,
                        rule_resource: origination.resource,
                        rule: origination.rule,
                        setting,
                    };
                    out.push(conflict.diagnostic(mesh));
                }
            }
        }
    }
}

/// One TLS setting originating TLS to one encrypted ServiceEntry port.
struct Conflict<'m> {
    entry_resource: &'m Resource,
    entry: &'m ServiceEntry,
    port: &'m Spanned<PortSpec>,
    number: &'m Field<u32>,
    protocol: &'m Field<Protocol>,
    host: &'m str,
    rule_resource: &'m Resource,
    rule: &'m DestinationRule,
    setting: TlsSetting<'m>,
}

impl Conflict<'_> {
    fn diagnostic(&self, mesh: &Mesh) -> Diagnostic {
        let (port, number, protocol) = (&self.port.value, self.number.value, self.protocol);
        let tls = &self.setting.tls;
        let origination = format!(
            "{} originates TLS (mode {}{}) to {} port {number}, which {} declares as {}",
            self.rule_resource.label(),
            tls.value.mode_value(),
            self.setting.place(),
            self.host,
            self.entry_resource.label(),
            protocol.value
        );
        let related = format!(
            "{} declares port {number} as {}: the application sends TLS",
            self.entry_resource.label(),
            protocol.value
        );
        let primary = tls.value.mode.as_ref().map_or(tls.key, |mode| mode.span);
        let diagnostic = |severity, message| {
            Diagnostic::new(CHECK.id, severity, primary, message)
                .related(protocol.span, related.clone())
                .resource(self.rule_resource.reference())
        };
        if let Some(route_owner) =
            http_route_to(mesh, self.host, &self.entry_resource.namespace, number)
        {
            return diagnostic(
                Severity::Info,
                format!(
                    "{origination}; {} sends plaintext there from its `http` routes, which \
                     works, but clients calling https:// on port {number} directly are \
                     encrypted twice",
                    route_owner.label()
                ),
            );
        }
        let mut diagnostic = diagnostic(
            Severity::Error,
            format!(
                "{origination}: the application's TLS is encrypted a second time and requests \
                 fail (`wrong version number`)"
            ),
        );
        let plaintext = plaintext_protocol(protocol.value);
        diagnostic = diagnostic.fix(Fix::safe(
            format!("Declare port {number} as {plaintext}; the sidecar originates the TLS"),
            retype_port(
                &mesh.sources,
                port,
                plaintext,
                encrypted_name_prefixes(protocol.value),
                &plaintext.name().to_ascii_lowercase(),
            ),
        ));
        if let Some(edits) = self.port_80_edits(mesh) {
            diagnostic = diagnostic.fix(Fix::unsafe_(
                format!("Expose plain HTTP on port 80 with targetPort {number} (Istio 1.8+)"),
                edits,
            ));
        }
        diagnostic
    }

    /// The Istio ≥ 1.8 variant: applications call port 80, the sidecar originates TLS to the
    /// original port via `targetPort`. `None` when it cannot be done cleanly.
    fn port_80_edits(&self, mesh: &Mesh) -> Option<Vec<Edit>> {
        let sources = &mesh.sources;
        let (port, number, protocol) = (&self.port.value, self.number, self.protocol);
        let port_80_taken = self
            .entry
            .ports
            .iter()
            .any(|other| other.value.number.as_ref().is_some_and(|n| n.value == 80));
        if protocol.value != Protocol::Https || port.target_port.is_some() || port_80_taken {
            return None;
        }
        let mut edits = retype_port(
            sources,
            port,
            Protocol::Http,
            encrypted_name_prefixes(Protocol::Https),
            "http",
        );
        edits.push(replace_scalar(sources, number.span, "80"));
        let port_node = mesh.node_at(self.port.span)?;
        edits.push(insert_one_line_entry(
            sources,
            port_node,
            port_node.entry_index("protocol"),
            &format!("targetPort: {}", number.value),
        )?);
        // A port-level setting keyed on the old number would no longer apply: move it along.
        if let Some(levels) = port_levels(&self.setting, self.rule) {
            let number_of = |level: &PortTrafficPolicy| level.port.as_ref().map(|p| p.value);
            if levels.iter().any(|level| number_of(level) == Some(80)) {
                return None;
            }
            let moved = levels
                .iter()
                .find(|level| number_of(level) == Some(number.value))?;
            edits.push(replace_scalar(sources, moved.port.as_ref()?.span, "80"));
        }
        Some(edits)
    }
}

/// HTTPS becomes HTTP; TLS, whose payload may be any protocol, becomes TCP.
fn plaintext_protocol(encrypted: Protocol) -> Protocol {
    match encrypted {
        Protocol::Https => Protocol::Http,
        _ => Protocol::Tcp,
    }
}

fn encrypted_name_prefixes(encrypted: Protocol) -> &'static [&'static str] {
    match encrypted {
        Protocol::Https => &["https", "tls"],
        _ => &["tls"],
    }
}

/// The first VirtualService with an `http` route (or mirror) to `port` of `host`: plaintext
/// HTTP rewritten to that port, the pre-1.8 way of originating TLS.
fn http_route_to<'m>(
    mesh: &'m Mesh,
    host: &str,
    namespace: &str,
    port: u32,
) -> Option<&'m Resource> {
    let host = fqdn(host, namespace);
    mesh.virtual_services()
        .find(|(resource, service)| {
            service.http_routes().iter().any(|route| {
                route
                    .route
                    .iter()
                    .map(|dest| &dest.destination)
                    .chain(route.mirror.iter())
                    .any(|destination| {
                        destination.port.as_ref().is_some_and(|p| p.value == port)
                            && destination.host.as_ref().is_some_and(|h| {
                                hosts_intersect(&fqdn(&h.value, &resource.namespace), &host)
                            })
                    })
            })
        })
        .map(|(resource, _)| resource)
}

/// The `portLevelSettings` list holding a port-level setting; `None` for other levels.
fn port_levels<'d>(
    setting: &TlsSetting<'d>,
    rule: &'d DestinationRule,
) -> Option<&'d [PortTrafficPolicy]> {
    let policy = match setting.level {
        TlsLevel::Port(_) => &rule.traffic_policy.as_ref()?.value,
        TlsLevel::SubsetPort(_) => {
            &rule
                .subsets
                .iter()
                .find(|s| s.name.as_ref().map(|n| n.value.as_str()) == setting.subset)?
                .traffic_policy
                .as_ref()?
                .value
        }
        TlsLevel::Top | TlsLevel::Subset => return None,
    };
    Some(&policy.port_level)
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};
    use crate::settings::MeshSettings;
    use crate::source::Sources;

    const SERVICE_ENTRY: &str = "apiVersion: networking.istio.io/v1beta1
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
---
";

    const ORIGINATE: &str = "apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: originate-tls
spec:
  host: httpbin.org
  trafficPolicy:
    tls:
      mode: SIMPLE
";

    #[test]
    fn flags_origination_to_an_https_port() {
        check(
            "double-tls",
            &format!(
                "{SERVICE_ENTRY}{}#           ^^^^^^ error: DestinationRule default/originate-tls originates TLS (mode SIMPLE) to httpbin.org port 443, which ServiceEntry default/httpbin declares as HTTPS: the application's TLS is encrypted a second time [fix]\n",
                ORIGINATE
            ),
        );
    }

    #[test]
    fn flags_port_level_and_subset_settings_for_that_port() {
        check(
            "double-tls",
            r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: data}
spec:
  hosts: [db.example.com, api.example.com]
  ports:
  - {number: 5443, name: tls-db, protocol: tls}
  - {number: 8443, name: https-api, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: example, namespace: data}
spec:
  host: "*.example.com"
  trafficPolicy:
    portLevelSettings:
    - port: {number: 5443}
      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem}
#                 ^^^^^^ error: originates TLS (mode MUTUAL for port 5443) to db.example.com port 5443, which ServiceEntry data/db declares as TLS [fix]
    - port: {number: 9000}
      tls: {mode: SIMPLE}
  subsets:
  - name: v2
    trafficPolicy:
      tls:
        mode: SIMPLE
#             ^^^^^^ error: (mode SIMPLE in subset `v2`) to db.example.com port 5443 [fix]
#             ^^^^^^ error: (mode SIMPLE in subset `v2`) to db.example.com port 8443 [fix]
"#,
        );
    }

    #[test]
    fn a_port_rewrite_from_http_routes_is_info() {
        check(
            "double-tls",
            r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: googleapis}
spec:
  hosts: [www.googleapis.com]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: rewrite-port-for-googleapis}
spec:
  hosts: [www.googleapis.com]
  http:
  - match: [{port: 80}]
    route:
    - destination: {host: www.googleapis.com, port: {number: 443}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: originate-tls-for-googleapis}
spec:
  host: www.googleapis.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE}
#                 ^^^^^^ info: VirtualService default/rewrite-port-for-googleapis sends plaintext there from its `http` routes
"#,
        );
    }

    #[test]
    fn plaintext_ports_and_settings_for_other_ports_are_not_flagged() {
        check(
            "double-tls",
            r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP, targetPort: 443}
  - {number: 443, name: https-port, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cnn}
spec:
  host: edition.cnn.com
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    portLevelSettings:
    - port: {number: 80}
      tls: {mode: SIMPLE}
  subsets:
  - name: plain
    trafficPolicy: {tls: {mode: DISABLE}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: other}
spec:
  hosts: [other.org]
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: elsewhere}
spec:
  host: else.org
  trafficPolicy: {tls: {mode: SIMPLE}}
"#,
        );
    }

    #[test]
    fn fix_declares_the_port_as_plaintext() {
        let before = format!("{SERVICE_ENTRY}{ORIGINATE}");
        let after = before
            .replace("name: https", "name: http")
            .replace("protocol: HTTPS", "protocol: HTTP");
        assert_fix("double-tls", 0, &before, &after);
    }

    #[test]
    fn fix_keeps_quotes_case_crlf_and_non_ascii() {
        let before = "# café ☕\r\napiVersion: networking.istio.io/v1\r\nkind: ServiceEntry\r\nmetadata:\r\n  name: db\r\nspec:\r\n  hosts: [db.example.com]\r\n  ports:\r\n  - number: 443 # ☕\r\n    name: \"tls-db\"\r\n    protocol: 'tls'\r\n---\r\napiVersion: networking.istio.io/v1\r\nkind: DestinationRule\r\nmetadata:\r\n  name: db\r\nspec:\r\n  host: db.example.com\r\n  trafficPolicy:\r\n    tls:\r\n      # é\r\n      mode: SIMPLE\r\n";
        let after = before
            .replace("\"tls-db\"", "\"tcp-db\"")
            .replace("'tls'", "'tcp'");
        assert_fix("double-tls", 0, before, &after);
    }

    #[test]
    fn port_80_fix_adds_a_target_port() {
        let before = format!("{SERVICE_ENTRY}{ORIGINATE}");
        let after = before
            .replace("number: 443", "number: 80")
            .replace("name: https", "name: http")
            .replace("protocol: HTTPS", "protocol: HTTP\n    targetPort: 443");
        assert_fix("double-tls", 1, &before, &after);
    }

    #[test]
    fn port_80_fix_keeps_crlf_and_non_ascii() {
        let before = format!("# café ☕\n{SERVICE_ENTRY}{ORIGINATE}").replace('\n', "\r\n");
        let after = before
            .replace("number: 443", "number: 80")
            .replace("name: https", "name: http")
            .replace("protocol: HTTPS", "protocol: HTTP\r\n    targetPort: 443");
        assert_fix("double-tls", 1, &before, &after);
    }

    #[test]
    fn port_80_fix_in_flow_style_moves_the_port_level_setting() {
        let before = r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  ports: [{number: 443, name: https-web, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin.org
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: {mode: SIMPLE}
"#;
        let after = before
            .replace(
                "{number: 443, name: https-web, protocol: HTTPS}",
                "{number: 80, name: http-web, protocol: HTTP, targetPort: 443}",
            )
            .replace("port: {number: 443}", "port: {number: 80}");
        assert_fix("double-tls", 1, before, &after);
    }

    #[test]
    fn port_80_fix_is_not_offered_when_port_80_exists() {
        let text = r#"apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: httpbin}
spec:
  host: httpbin.org
  trafficPolicy: {tls: {mode: SIMPLE}}
"#;
        let analysis = crate::analyze(Sources::single("t.yaml", text), MeshSettings::default());
        let fixes: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.check == "double-tls")
            .flat_map(|d| d.fixes.iter().map(|fix| fix.label.as_str()))
            .collect();
        assert_eq!(
            fixes,
            ["Declare port 443 as HTTP; the sidecar originates the TLS"]
        );
    }
}
