//! `tls-route-behind-terminating-gateway`: a VirtualService routes a Gateway's hosts only with
//! `tls` rules, but the Gateway server terminates TLS, so the rules never match.
//!
//! This file also holds what the gateway-side checks share: which Gateway servers the rules
//! of a VirtualService reach ([`reached_servers`]) and node-level YAML edits ([`yaml_edit`])
//! that `edits.rs` does not offer yet.

use super::{Check, Run};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::edits::replace_scalar;
use crate::model::{Field, Protocol, Resource, Server, ServerTlsMode, Spanned, TlsRoute};
use crate::model::{TlsMatch, VirtualService};
use crate::resolve::{GatewayTarget, Mesh};
use crate::yaml::Node;
use yaml_edit::{delete_entries, entry_index, node_at};

pub static CHECK: Check = Check {
    id: "tls-route-behind-terminating-gateway",
    summary: "A VirtualService routes with `tls` rules through a Gateway server that terminates TLS.",
    istio_code: None,
    docs: r#"
## What it does
Finds VirtualServices that have `tls` rules and no `http` or `tcp` rules, bound to a Gateway
server whose TLS mode terminates TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL). The
servers considered are those accepting one of the VirtualService's hosts, narrowed by each
rule's `match` (`port`, `gateways`). A VirtualService that also reaches a PASSTHROUGH server,
is bound to `mesh` as well, or names a Gateway that is not in the input is left alone: its
`tls` rules may be meant for those.

## Why is this bad?
A terminating server decrypts the connection and hands the requests to `http` routes (for an
HTTPS server) or `tcp` routes (for a TLS server). `tls` rules match the SNI of connections that
are still encrypted, so they never apply there: the gateway finds no route and answers 404
(`istioctl proxy-config routes` shows no route for the host).

## Fix
Route with `http` rules instead (the Istio troubleshooting guide's fix): rename `tls:` to
`http:` and drop the `sniHosts` conditions, which the `hosts` of the VirtualService already
express; `port` and `gateways` conditions stay. For a server with protocol TLS the rules
become `tcp` rules. Alternatively, if the backend should terminate TLS itself, switch the
Gateway server to `mode: PASSTHROUGH`; its `credentialName` then goes unused.

## Fix safety
Rewriting into `http` rules is safe when every dropped `sniHosts` list covers all hosts of
the VirtualService: routing stays what it was meant to be. When the SNI matches told hosts
apart, dropping them merges those rules, so the fix is unsafe. It is not offered when a match
has conditions with no HTTP equivalent (such as `destinationSubnets`) or the layout cannot be
edited cleanly. Switching the server to PASSTHROUGH is unsafe: it changes how every
VirtualService bound to that server is routed.
"#,
    bad_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "*"
    tls:
      mode: SIMPLE
      credentialName: sds-credential
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  tls:
  - match:
    - sniHosts:
      - "*.example.com"
    route:
    - destination:
        host: httpbin.org
"#,
    good_example: r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gateway
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 443
      name: https
      protocol: HTTPS
    hosts:
    - "*"
    tls:
      mode: SIMPLE
      credentialName: sds-credential
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "*.example.com"
  gateways:
  - istio-system/gateway
  http:
  - route:
    - destination:
        host: httpbin.org
"#,
    run: Run::OnMesh(run),
};

fn run(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for (resource, service) in mesh.virtual_services() {
        let Some(tls) = &service.tls else {
            continue;
        };
        if tls.value.is_empty()
            || !service.http_routes().is_empty()
            || !service.tcp_routes().is_empty()
        {
            continue;
        }
        let rules: Vec<Vec<MatchScope>> = tls
            .value
            .iter()
            .map(|rule| rule.match_items().iter().map(MatchScope::of_tls).collect())
            .collect();
        let Some(reached) = reached_servers(mesh, resource, service, &rules) else {
            continue;
        };
        if reached.iter().any(|s| s.routes_with() == RouteKind::Tls) {
            continue;
        }
        let terminating: Vec<&ReachedServer> = reached
            .iter()
            .filter(|s| s.server.tls_mode().is_some_and(ServerTlsMode::terminates))
            .collect();
        if terminating.is_empty() {
            continue;
        }
        let servers: Vec<String> = terminating
            .iter()
            .map(|s| {
                format!(
                    "{} terminates TLS and hands the requests to `{}` rules",
                    s.describe(),
                    s.routes_with().key()
                )
            })
            .collect();
        let mut diagnostic = Diagnostic::new(
            CHECK.id,
            Severity::Error,
            tls.key,
            format!(
                "{} routes only with `tls` rules, but {}: the `tls` rules never match and \
                 requests get 404",
                resource.label(),
                servers.join("; ")
            ),
        )
        .resource(resource.reference());
        for server in &terminating {
            if let Some(span) = server.server.tls_mode_span() {
                diagnostic =
                    diagnostic.related(span, format!("TLS terminated here: {}", server.describe()));
            }
        }
        if let Some(fix) = rewrite_fix(mesh, service, tls, &reached) {
            diagnostic = diagnostic.fix(fix);
        }
        if let Some(fix) = passthrough_fix(mesh, &terminating) {
            diagnostic = diagnostic.fix(fix);
        }
        out.push(diagnostic);
    }
}

/// Renames `tls:` to the rule kind the servers route with and drops the `sniHosts`
/// conditions, keeping the conditions that kind also has.
fn rewrite_fix(
    mesh: &Mesh,
    service: &VirtualService,
    tls: &Field<Vec<TlsRoute>>,
    reached: &[ReachedServer],
) -> Option<Fix> {
    let kind = reached.first()?.routes_with();
    if reached.iter().any(|s| s.routes_with() != kind) {
        return None;
    }
    let kept_conditions: &[&str] = match kind {
        RouteKind::Http => &["port", "gateways", "sourceLabels", "sourceNamespace"],
        RouteKind::Tcp => &[
            "port",
            "gateways",
            "sourceLabels",
            "sourceNamespace",
            "destinationSubnets",
        ],
        RouteKind::Tls => return None,
    };
    let sources = &mesh.sources;
    let rules = node_at(sources, tls.span)?;
    let mut edits = vec![replace_scalar(sources, tls.key, kind.key())];
    let mut keeps_meaning = true;
    for rule in rules.as_sequence()? {
        let Some(match_at) = entry_index(rule, "match") else {
            continue;
        };
        let items = rule.as_mapping()?[match_at].value.as_sequence()?;
        let mut unconditional = false;
        let mut deletions = Vec::new();
        for item in items {
            let conditions = item.as_mapping()?;
            let unknown = conditions.iter().any(|condition| {
                condition
                    .key
                    .as_str()
                    .is_none_or(|key| key != "sniHosts" && !kept_conditions.contains(&key))
            });
            if unknown {
                return None;
            }
            let Some(sni_at) = entry_index(item, "sniHosts") else {
                unconditional |= conditions.is_empty();
                continue;
            };
            keeps_meaning &= sni_hosts_cover(&conditions[sni_at].value, service);
            if conditions.len() == 1 {
                unconditional = true;
            } else {
                deletions.extend(delete_entries(sources, item, &[sni_at])?);
            }
        }
        // An empty match entry matches everything, which makes the whole `match` moot.
        if unconditional {
            edits.extend(delete_entries(sources, rule, &[match_at])?);
        } else {
            edits.extend(deletions);
        }
    }
    let label = format!("Route with `{}` rules instead of `tls`", kind.key());
    Some(if keeps_meaning {
        Fix::safe(
            format!("{label} (the SNI matches only repeat the hosts)"),
            edits,
        )
    } else {
        Fix::unsafe_(
            format!("{label}, dropping SNI matches that told hosts apart (review the rules)"),
            edits,
        )
    })
}

/// Whether a `sniHosts` list matches every host of the VirtualService, so dropping it
/// changes nothing.
fn sni_hosts_cover(sni_hosts: &Node, service: &VirtualService) -> bool {
    let Some(patterns) = sni_hosts.as_sequence() else {
        return false;
    };
    service.host_values().all(|host| {
        patterns
            .iter()
            .filter_map(Node::as_str)
            .any(|pattern| host_covers(pattern, &host.value))
    })
}

/// Whether host pattern `pattern` matches every name `host` matches (leftmost wildcards).
fn host_covers(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    pattern == host
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| host.len() > suffix.len() && host.ends_with(suffix))
}

fn passthrough_fix(mesh: &Mesh, terminating: &[&ReachedServer]) -> Option<Fix> {
    let mut edits = Vec::new();
    let mut names = Vec::new();
    for server in terminating {
        let mode = server.server.tls.as_ref()?.value.mode.as_ref()?;
        edits.push(replace_scalar(&mesh.sources, mode.span, "PASSTHROUGH"));
        names.push(server.describe());
    }
    Some(Fix::unsafe_(
        format!(
            "Pass TLS through at {} instead (mode PASSTHROUGH; the credential goes unused)",
            names.join(", ")
        ),
        edits,
    ))
}

/// The kind of VirtualService rule a Gateway server hands its traffic to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RouteKind {
    Http,
    Tls,
    Tcp,
}

impl RouteKind {
    pub(super) fn key(self) -> &'static str {
        match self {
            RouteKind::Http => "http",
            RouteKind::Tls => "tls",
            RouteKind::Tcp => "tcp",
        }
    }
}

/// A Gateway server that rules of a VirtualService reach.
pub(super) struct ReachedServer<'m> {
    pub gateway: &'m Resource,
    pub server: &'m Server,
}

impl ReachedServer<'_> {
    /// PASSTHROUGH servers route still-encrypted connections with `tls` rules; HTTP and HTTPS
    /// servers (terminating or plain) with `http` rules; other servers (TLS terminated, TCP)
    /// with `tcp` rules.
    pub(super) fn routes_with(&self) -> RouteKind {
        if self
            .server
            .tls_mode()
            .is_some_and(|mode| !mode.terminates())
        {
            return RouteKind::Tls;
        }
        match self.server.protocol() {
            Some(protocol) if !protocol.is_http() && protocol != Protocol::Https => RouteKind::Tcp,
            _ => RouteKind::Http,
        }
    }

    /// `Gateway ns/name port 443 (mode SIMPLE)`, for messages.
    pub(super) fn describe(&self) -> String {
        let port = self
            .server
            .port_number()
            .map_or_else(|| "?".to_string(), |number| number.to_string());
        let tls = self.server.tls.as_ref();
        let mode = match (
            self.server.tls_mode(),
            tls.and_then(|t| t.value.mode.as_ref()),
        ) {
            (Some(mode), Some(_)) => format!(" (mode {mode})"),
            (Some(mode), None) => format!(" (mode {mode}: a `tls` block without `mode`)"),
            (None, _) => String::new(),
        };
        format!("{} port {port}{mode}", self.gateway.label())
    }
}

/// What narrows a match entry to some Gateway servers: its `port` and `gateways`.
pub(super) struct MatchScope<'a> {
    pub port: Option<u32>,
    pub gateways: Option<&'a [Spanned<String>]>,
}

impl<'a> MatchScope<'a> {
    fn of_tls(item: &'a TlsMatch) -> MatchScope<'a> {
        MatchScope {
            port: item.port.as_ref().map(|port| port.value),
            gateways: item.gateways.as_ref().map(|g| g.value.as_slice()),
        }
    }

    fn admits(&self, mesh: &Mesh, namespace: &str, gateway: &Resource, server: &Server) -> bool {
        let port_ok = match (self.port, server.port_number()) {
            (Some(wanted), Some(number)) => wanted == number,
            _ => true,
        };
        let gateway_ok = self.gateways.is_none_or(|entries| {
            entries.iter().any(|entry| {
                matches!(mesh.gateway_target(&entry.value, namespace),
                    GatewayTarget::Found(found, _) if std::ptr::eq(found, gateway))
            })
        });
        port_ok && gateway_ok
    }
}

/// The Gateway servers that a VirtualService's rules reach: servers accepting one of its
/// hosts, of Gateways it is bound to, admitted by some rule (a rule without match entries
/// admits all; `rules` holds each rule's match scopes). `None` when the VirtualService is
/// also bound to `mesh` or to a Gateway not in the input: its rules may be meant for those.
pub(super) fn reached_servers<'m>(
    mesh: &'m Mesh,
    resource: &'m Resource,
    service: &'m VirtualService,
    rules: &[Vec<MatchScope>],
) -> Option<Vec<ReachedServer<'m>>> {
    let mut reached: Vec<ReachedServer> = Vec::new();
    for reference in mesh.gateway_refs(resource, service) {
        let GatewayTarget::Found(gateway_resource, gateway) = reference.target else {
            return None;
        };
        for server in mesh.bound_servers(resource, service, gateway_resource, gateway) {
            let admitted = rules.iter().any(|scopes| {
                scopes.is_empty()
                    || scopes.iter().any(|scope| {
                        scope.admits(mesh, &resource.namespace, gateway_resource, server)
                    })
            });
            if admitted && !reached.iter().any(|r| std::ptr::eq(r.server, server)) {
                reached.push(ReachedServer {
                    gateway: gateway_resource,
                    server,
                });
            }
        }
    }
    Some(reached)
}

/// Node-level YAML edits: re-read a node of the model from its document, then delete or
/// insert mapping entries and list items in block or flow style, keeping every other byte.
/// (Candidates for `edits.rs`.)
pub(super) mod yaml_edit {
    use crate::diagnostic::Edit;
    use crate::edits::{indent_before, line_break, line_start, next_line_start};
    use crate::source::{FileId, Sources, Span};
    use crate::yaml::{self, Entry, Node, Value};

    /// The placeholder a fix inserts where the user must name a Kubernetes TLS secret.
    pub const CREDENTIAL_PLACEHOLDER: &str = "credentialName: <credential-name>";

    /// The YAML node whose span is exactly `span` (a model field's value or item), re-read
    /// from the document holding it, so fixes can see every key, not only the modelled ones.
    pub fn node_at(sources: &Sources, span: Span) -> Option<Node> {
        let text = sources.text(span.file);
        let start = span.start as usize;
        let chunk = yaml::split_documents(text)
            .into_iter()
            .find(|range| range.contains(&start))?;
        let roots = yaml::parse_documents(&text[chunk.clone()], span.file, chunk.start).ok()?;
        roots.iter().find_map(|root| find(root, span)).cloned()
    }

    fn find(node: &Node, span: Span) -> Option<&Node> {
        if node.span == span {
            return Some(node);
        }
        if span.start < node.span.start || span.end > node.span.end {
            return None;
        }
        match &node.value {
            Value::Mapping(entries) => entries.iter().find_map(|entry| find(&entry.value, span)),
            Value::Sequence(items) => items.iter().find_map(|item| find(item, span)),
            Value::Scalar(_) => None,
        }
    }

    /// Position of the entry with key `key` in a mapping node.
    pub fn entry_index(mapping: &Node, key: &str) -> Option<usize> {
        mapping
            .as_mapping()?
            .iter()
            .position(|entry| entry.key.as_str() == Some(key))
    }

    /// `{…}` or `[…]` rather than block style.
    pub fn is_flow(sources: &Sources, node: &Node) -> bool {
        let text = sources.text(node.span.file);
        matches!(
            text.as_bytes().get(node.span.start as usize),
            Some(b'{' | b'[')
        )
    }

    /// A host or other string as a double-quoted YAML scalar (`*` would start an alias).
    pub fn quoted(text: &str) -> String {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }

    /// `text` as a scalar written like `sibling`: double-quoted if the sibling is or YAML
    /// needs it (a leading `*` would start an alias), plain otherwise.
    pub fn scalar_like(sources: &Sources, sibling: &Node, text: &str) -> String {
        let sibling_quoted = sources.slice(sibling.span).starts_with(['"', '\'']);
        let plain_safe = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'));
        if sibling_quoted || !plain_safe {
            quoted(text)
        } else {
            text.to_string()
        }
    }

    /// From an entry's key to the end of its value (the key alone when the value is empty).
    pub fn entry_span(entry: &Entry) -> Span {
        if entry.value.is_null() {
            entry.key.span
        } else {
            entry.key.span.cover(entry.value.span)
        }
    }

    /// Just past the line break of the line on which text ending at `end` ends.
    fn after_line(text: &str, end: usize) -> usize {
        let last = if text[..end].ends_with('\n') {
            end - 1
        } else {
            end
        };
        next_line_start(text, last)
    }

    /// Deletes the whole lines of `start..end` when only white space precedes `start` on
    /// its line and at most a comment follows `end`.
    fn delete_lines_of(sources: &Sources, file: FileId, start: usize, end: usize) -> Option<Edit> {
        let text = sources.text(file);
        indent_before(text, start)?;
        let stop = after_line(text, end);
        let rest = text[end..stop].trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return None;
        }
        Some(Edit::delete(Span::new(file, line_start(text, start)..stop)))
    }

    /// Inserts `lines`, each after `indent`, after the line on which text ending at `end`
    /// ends, with the text's own line breaks.
    fn insert_lines_after_end(
        sources: &Sources,
        file: FileId,
        end: usize,
        indent: &str,
        lines: &[String],
    ) -> Edit {
        let text = sources.text(file);
        let newline = line_break(text);
        let at = after_line(text, end);
        let mut inserted = String::new();
        if at == text.len() && !text.ends_with('\n') {
            inserted.push_str(newline);
        }
        for line in lines {
            inserted.push_str(&format!("{indent}{line}{newline}"));
        }
        Edit::insert(file, at, inserted)
    }

    /// Deletes the entries at `remove` (ascending positions) from a mapping that keeps at
    /// least one entry: whole lines in block style (from a key that follows `- ` up to the
    /// next kept key), with their separating commas in flow style. `None` when the mapping
    /// would be left empty or the layout cannot be edited cleanly.
    pub fn delete_entries(
        sources: &Sources,
        mapping: &Node,
        remove: &[usize],
    ) -> Option<Vec<Edit>> {
        let entries = mapping.as_mapping()?;
        let removed = |index: usize| remove.contains(&index);
        if (0..entries.len()).all(removed) {
            return None;
        }
        let text = sources.text(mapping.span.file);
        let file = mapping.span.file;
        let flow = is_flow(sources, mapping);
        let end_of = |index: usize| entry_span(&entries[index]).end as usize;
        let mut edits = Vec::new();
        let mut index = 0;
        while index < entries.len() {
            if !removed(index) {
                index += 1;
                continue;
            }
            let run_end = (index..entries.len())
                .find(|&i| !removed(i))
                .unwrap_or(entries.len());
            let start = entries[index].key.span.start as usize;
            let shares_line = indent_before(text, start).is_none();
            if flow || shares_line {
                let range = match entries.get(run_end) {
                    Some(next) => start..next.key.span.start as usize,
                    // A trailing run in flow style takes the comma before it.
                    None if flow => end_of(index - 1)..end_of(run_end - 1),
                    None => return None,
                };
                edits.push(Edit::delete(Span::new(file, range)));
            } else {
                for entry in &entries[index..run_end] {
                    let span = entry_span(entry);
                    edits.push(delete_lines_of(
                        sources,
                        file,
                        span.start as usize,
                        span.end as usize,
                    )?);
                }
            }
            index = run_end;
        }
        Some(edits)
    }

    /// Inserts one entry into a mapping: before its first entry (`after` = `None`) or after
    /// entry `after`. `block` is the entry's lines in block style (the first at the key's
    /// column, the others relative to it); `flow` the same entry in flow style.
    pub fn insert_entry(
        sources: &Sources,
        mapping: &Node,
        after: Option<usize>,
        block: &[String],
        flow: &str,
    ) -> Option<Edit> {
        let entries = mapping.as_mapping()?;
        let file = mapping.span.file;
        let after_end = match after {
            Some(index) => Some(entry_span(entries.get(index)?).end as usize),
            None => None,
        };
        if is_flow(sources, mapping) {
            let opening = mapping.span.start as usize + 1;
            return Some(match after_end {
                Some(end) => Edit::insert(file, end, format!(", {flow}")),
                None if entries.is_empty() => Edit::insert(file, opening, flow),
                None => Edit::insert(file, opening, format!("{flow}, ")),
            });
        }
        let text = sources.text(file);
        let first = entries.first()?.key.span.start as usize;
        let before_first = &text[line_start(text, first)..first];
        if !before_first.chars().all(|c| c == ' ' || c == '-') {
            return None;
        }
        let indent = " ".repeat(before_first.len());
        if let Some(end) = after_end {
            return Some(insert_lines_after_end(sources, file, end, &indent, block));
        }
        let newline = line_break(text);
        if indent_before(text, first).is_some() {
            let lines: String = block
                .iter()
                .map(|line| format!("{indent}{line}{newline}"))
                .collect();
            Some(Edit::insert(file, line_start(text, first), lines))
        } else {
            // The first key follows `- `: the new entry takes its place, and the old first
            // key moves to a line of its own at the same column.
            let separator = format!("{newline}{indent}");
            Some(Edit::insert(
                file,
                first,
                format!("{}{separator}", block.join(&separator)),
            ))
        }
    }

    /// Appends scalar items (already quoted as needed) to a list, in its own style.
    pub fn append_items(sources: &Sources, list: &Node, items: &[String]) -> Option<Edit> {
        let existing = list.as_sequence()?;
        let file = list.span.file;
        if is_flow(sources, list) {
            return Some(match existing.last() {
                Some(last) => Edit::insert(
                    file,
                    last.span.end as usize,
                    items
                        .iter()
                        .map(|item| format!(", {item}"))
                        .collect::<String>(),
                ),
                None => Edit::insert(file, list.span.start as usize + 1, items.join(", ")),
            });
        }
        let text = sources.text(file);
        let last = existing.last()?;
        let before = &text[line_start(text, last.span.start as usize)..last.span.start as usize];
        let indent = before.trim_end_matches([' ', '\t']).strip_suffix('-')?;
        if !indent.chars().all(|c| c == ' ') {
            return None;
        }
        let lines: Vec<String> = items.iter().map(|item| format!("- {item}")).collect();
        let end = last.span.end as usize;
        Some(insert_lines_after_end(sources, file, end, indent, &lines))
    }

    /// Deletes the document that the resource spanning `span` is, from its `---` line to
    /// the next one. `None` when the resource is not a document of its own (an item of a
    /// `kind: List`).
    pub fn delete_document(sources: &Sources, span: Span) -> Option<Edit> {
        let text = sources.text(span.file);
        let start = span.start as usize;
        let chunk = yaml::split_documents(text)
            .into_iter()
            .find(|range| range.contains(&start))?;
        let only_markup = |part: &str| {
            part.lines().all(|line| {
                let line = line.trim();
                line.is_empty() || line.starts_with('#') || line.starts_with("---") || line == "..."
            })
        };
        let head = &text[chunk.start..start];
        let tail = &text[span.end as usize..chunk.end];
        (only_markup(head) && only_markup(tail)).then(|| Edit::delete(Span::new(span.file, chunk)))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::diagnostic::apply_edits;
        use crate::source::FileId;

        fn root(sources: &Sources) -> Node {
            let text = sources.text(FileId(0));
            yaml::parse_documents(text, FileId(0), 0).unwrap().remove(0)
        }

        fn apply(sources: &Sources, edits: &[Edit]) -> String {
            apply_edits(sources.text(FileId(0)), edits)
        }

        #[test]
        fn deletes_entries_in_block_flow_and_after_a_dash() {
            let sources = Sources::single("t", "- a: 1 # one\n  b: [x]\n  c: 3\n");
            let item = root(&sources).as_sequence().unwrap()[0].clone();
            let edits = delete_entries(&sources, &item, &[0, 1]).unwrap();
            assert_eq!(apply(&sources, &edits), "- c: 3\n");
            let edits = delete_entries(&sources, &item, &[1]).unwrap();
            assert_eq!(apply(&sources, &edits), "- a: 1 # one\n  c: 3\n");
            assert!(delete_entries(&sources, &item, &[0, 1, 2]).is_none());

            let sources = Sources::single("t", "{a: 1, b: 2, c: 3}\n");
            let mapping = root(&sources);
            let edits = delete_entries(&sources, &mapping, &[1, 2]).unwrap();
            assert_eq!(apply(&sources, &edits), "{a: 1}\n");
            let edits = delete_entries(&sources, &mapping, &[0, 2]).unwrap();
            assert_eq!(apply(&sources, &edits), "{b: 2}\n");
        }

        #[test]
        fn inserts_entries_in_the_layout_found() {
            let sources = Sources::single("t", "- a: 1\r\n  b: 2\r\n");
            let item = root(&sources).as_sequence().unwrap()[0].clone();
            let first = insert_entry(&sources, &item, None, &["z: 0".into()], "z: 0").unwrap();
            assert_eq!(apply(&sources, &[first]), "- z: 0\r\n  a: 1\r\n  b: 2\r\n");
            let after = insert_entry(&sources, &item, Some(0), &["z: 0".into()], "z: 0").unwrap();
            assert_eq!(apply(&sources, &[after]), "- a: 1\r\n  z: 0\r\n  b: 2\r\n");

            let sources = Sources::single("t", "tls: {}\nport: {n: 1}\n");
            let tls = root(&sources).get("tls").unwrap().clone();
            let edit = insert_entry(&sources, &tls, None, &[], "mode: SIMPLE").unwrap();
            assert_eq!(
                apply(&sources, &[edit]),
                "tls: {mode: SIMPLE}\nport: {n: 1}\n"
            );
        }

        #[test]
        fn edits_next_to_non_ascii_text_and_comments() {
            let text = "hosts:\n- 'it''s' # café ☕\n- \"a\\\"b\" # ☕\nkey: \"v\" # ☕\nz: é\n";
            let sources = Sources::single("t", text);
            let document = root(&sources);
            let hosts = document.get("hosts").unwrap().clone();
            let edit = append_items(&sources, &hosts, &["c".into()]).unwrap();
            assert_eq!(
                apply(&sources, &[edit]),
                text.replace("# ☕\nkey", "# ☕\n- c\nkey")
            );
            let edits = delete_entries(&sources, &document, &[1, 2]).unwrap();
            assert_eq!(
                apply(&sources, &edits),
                text.replace("key: \"v\" # ☕\nz: é\n", "")
            );
            let edit =
                insert_entry(&sources, &document, Some(2), &["y: 1".into()], "y: 1").unwrap();
            assert_eq!(apply(&sources, &[edit]), format!("{text}y: 1\n"));
        }

        #[test]
        fn appends_items_and_deletes_documents() {
            let sources = Sources::single("t", "hosts:\n  - \"a\" # first\nx: [b]\n");
            let hosts = root(&sources).get("hosts").unwrap().clone();
            let edit = append_items(&sources, &hosts, &["\"c\"".into()]).unwrap();
            assert_eq!(
                apply(&sources, &[edit]),
                "hosts:\n  - \"a\" # first\n  - \"c\"\nx: [b]\n"
            );
            let flow = root(&sources).get("x").unwrap().clone();
            let edit = append_items(&sources, &flow, &["c".into()]).unwrap();
            assert_eq!(
                apply(&sources, &[edit]),
                "hosts:\n  - \"a\" # first\nx: [b, c]\n"
            );

            let text = "a: 1\n---\n# the second\nb: 2\n---\nc: 3\n";
            let sources = Sources::single("t", text);
            let b = text.find("b: 2").unwrap();
            let edit = delete_document(&sources, Span::new(FileId(0), b..b + 4)).unwrap();
            assert_eq!(apply(&sources, &[edit]), "a: 1\n---\nc: 3\n");
            let list = Sources::single("t", "kind: List\nitems:\n- b: 2\n");
            assert!(delete_document(&list, Span::new(FileId(0), 20..24)).is_none());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::fixture::{assert_fix, check};

    const ID: &str = "tls-route-behind-terminating-gateway";

    const GATEWAY: &str = r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*.example.com"]
    tls: {mode: SIMPLE, credentialName: example-cert}
  - port: {number: 8443, name: tls, protocol: TLS}
    hosts: ["db.example.com"]
    tls:
      mode: PASSTHROUGH
---
"#;

    #[test]
    fn flags_tls_rules_behind_a_terminating_server() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: shop}}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/gw]
  tls:
# ^^^ error: VirtualService default/shop routes only with `tls` rules, but Gateway istio-system/gw port 443 (mode SIMPLE) terminates TLS and hands the requests to `http` rules [fix]
  - match:
    - sniHosts: [shop.example.com]
    route:
    - destination: {{host: shop}}
"#
            ),
        );
    }

    #[test]
    fn a_terminating_tls_server_routes_with_tcp_rules() {
        check(
            ID,
            r#"apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: db}
spec:
  servers:
  - port: {number: 5432, name: tls-db, protocol: TLS}
    hosts: [db.example.com]
    tls: {mode: MUTUAL, credentialName: db}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec: {hosts: [db.example.com], gateways: [db], tls: [{route: [{destination: {host: db}}]}]}
#                                               ^^^ error: hands the requests to `tcp` rules [fix]
"#,
        );
    }

    #[test]
    fn near_misses_are_not_flagged() {
        check(
            ID,
            &format!(
                r#"{GATEWAY}# Reaches the passthrough server too (its host is served on 8443).
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: db}}
spec:
  hosts: [db.example.com]
  gateways: [istio-system/gw]
  tls:
  - match: [{{sniHosts: [db.example.com]}}]
    route: [{{destination: {{host: db}}}}]
---
# Its only rule is narrowed to the passthrough port.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: narrowed}}
spec:
  hosts: ["*.example.com"]
  gateways: [istio-system/gw]
  tls:
  - match: [{{port: 8443, sniHosts: [a.example.com]}}]
    route: [{{destination: {{host: a}}}}]
---
# Also has http rules, which the terminating server uses.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: both}}
spec:
  hosts: [www.example.com]
  gateways: [istio-system/gw]
  http: [{{route: [{{destination: {{host: www}}}}]}}]
  tls: [{{match: [{{sniHosts: [www.example.com]}}], route: [{{destination: {{host: www}}}}]}}]
---
# Bound to the mesh as well, and to a Gateway not in the input.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: mesh}}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/gw, mesh]
  tls: [{{match: [{{sniHosts: [api.example.com]}}], route: [{{destination: {{host: api}}}}]}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: elsewhere}}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/gw, istio-system/other]
  tls: [{{match: [{{sniHosts: [api.example.com]}}], route: [{{destination: {{host: api}}}}]}}]
"#
            ),
        );
    }

    #[test]
    fn fix_rewrites_into_http_rules_as_the_docs_do() {
        assert_fix(ID, 0, super::CHECK.bad_example, super::CHECK.good_example);
    }

    #[test]
    fn fix_keeps_ports_comments_crlf_and_non_ascii() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec:\n  hosts: [shop.example.com]\n  gateways: [istio-system/gw]\n  # café ☕: the shop\n  tls:\n  - match:\n    - port: 443 # the public port\n      sniHosts:\n      - shop.example.com\n    route:\n    - destination: {{host: shop}}\n"
        )
        .replace('\n', "\r\n");
        let after = before
            .replace("  tls:\r\n  - match", "  http:\r\n  - match")
            .replace("      sniHosts:\r\n      - shop.example.com\r\n", "");
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn fix_in_flow_style_and_when_sni_hosts_tell_hosts_apart() {
        let before = format!(
            "{GATEWAY}apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: shop}}\nspec:\n  hosts: [a.example.com, b.example.com]\n  gateways: [istio-system/gw]\n  tls:\n  - {{match: [{{sniHosts: [a.example.com]}}], route: [{{destination: {{host: a}}}}]}}\n  - {{match: [{{sniHosts: [b.example.com], gateways: [istio-system/gw]}}], route: [{{destination: {{host: b}}}}]}}\n"
        );
        let after = before
            .replace(
                "[istio-system/gw]\n  tls:\n",
                "[istio-system/gw]\n  http:\n",
            )
            .replace("{match: [{sniHosts: [a.example.com]}], route", "{route")
            .replace("sniHosts: [b.example.com], gateways", "gateways");
        assert_fix(ID, 0, &before, &after);
    }

    #[test]
    fn second_fix_passes_tls_through() {
        let before = super::CHECK.bad_example;
        let after = before.replace("      mode: SIMPLE\n", "      mode: PASSTHROUGH\n");
        assert_fix(ID, 1, before, &after);
    }
}
