//! The rules of the routes that take a request, in Istio's order, and what the matched rule
//! does: its match entries judged against the request, its filters (a redirect answers, a
//! rewrite and a mirror are shown) and its backendRefs.

use std::cmp::Reverse;

use super::{Attached, End, Outcome, Tracer};
use crate::model::gateway_api::{
    PathMatch, PathMatchType, PathModifier, RouteMatch, RouteRule, RouteType, ValueMatch,
    ValueMatchType,
};
use crate::resolve::gateway_api::BackendProblem;
use crate::topology::gateway_api::{
    Backend, backends, no_backend, no_backend_effect, redirect, share,
};
use crate::topology::{Stage, Wire};

impl<'m> Tracer<'m, '_> {
    /// The rules of `routes` in Istio's order; the first whose match takes the request goes
    /// on to its backend. `None` when none matches.
    pub(super) fn http_rules(&mut self, routes: &[Attached<'m>], mesh_parent: bool) -> Option<End> {
        let mut candidates: Vec<Candidate<'m>> = Vec::new();
        for &route in routes {
            for (rule_index, rule) in route.spec.rules().iter().enumerate() {
                let matches = rule.matches();
                if matches.is_empty() {
                    candidates.push(Candidate::new(route, rule_index, rule, None));
                }
                for (match_index, item) in matches.iter().enumerate() {
                    let at = (matches.len() > 1).then_some(match_index);
                    let candidate = Candidate::new(route, rule_index, rule, Some(item));
                    candidates.push(Candidate { at, ..candidate });
                }
            }
        }
        crate::order::sort_by_key(&mut candidates, |c| c.precedence);
        for candidate in candidates {
            let route = candidate.route;
            let which = match candidate.at {
                Some(index) => format!(" (match {})", index + 1),
                None => String::new(),
            };
            let name = format!(
                "{} rule {}{which}",
                route.route.label(),
                candidate.rule_index + 1
            );
            let node = Some(route.rule_key(candidate.rule_index));
            let span = Some(candidate.item.map_or(candidate.rule.span, |item| item.span));
            match self.api_match_verdict(route.route_type, candidate.item) {
                Err(reason) => {
                    self.step(
                        Stage::Rule,
                        format!("{name} does not match: {reason}."),
                        node,
                        span,
                    );
                }
                Ok(()) => {
                    self.step(Stage::Rule, format!("{name} matches."), node, span);
                    return Some(self.follow_api_rule(
                        route,
                        candidate.rule,
                        candidate.item,
                        Wire::Plaintext,
                        mesh_parent,
                    ));
                }
            }
        }
        None
    }

    /// Whether a match entry takes the request (the first reason when it does not).
    fn api_match_verdict(
        &self,
        route_type: RouteType,
        item: Option<&RouteMatch>,
    ) -> Result<(), String> {
        let Some(item) = item else {
            return Ok(());
        };
        let request = self.request;
        let (path, query) = request
            .url
            .path
            .split_once('?')
            .unwrap_or((&request.url.path, ""));
        match route_type {
            RouteType::Grpc => {
                if let Some(method) = &item.method {
                    grpc_method_verdict(&method.value, path)?;
                }
            }
            _ => {
                let default = PathMatch::default();
                let wanted = item.path.as_ref().map_or(&default, |p| &p.value);
                path_verdict(wanted, path)?;
                if let Some(method) = &item.method
                    && method.value != request.method
                {
                    return Err(format!("method {} is not {}", method.value, request.method));
                }
            }
        }
        for header in &item.headers {
            let name = &header.value.name;
            let value = request
                .headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str());
            value_verdict("header", &header.value, value)?;
        }
        for param in &item.query_params {
            let name = &param.value.name;
            let value = query
                .split('&')
                .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
                .find(|(key, _)| key == name)
                .map(|(_, value)| value);
            value_verdict("query parameter", &param.value, value)?;
        }
        Ok(())
    }

    /// A matched rule: its filters (a redirect answers), then its backendRefs.
    fn follow_api_rule(
        &mut self,
        route: Attached<'m>,
        rule: &'m RouteRule,
        item: Option<&RouteMatch>,
        wire: Wire,
        mesh_parent: bool,
    ) -> End {
        let url = &self.request.url;
        let (path, query) = match url.path.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (url.path.as_str(), None),
        };
        let prefix = item
            .and_then(|item| item.path.as_ref())
            .filter(|p| p.value.kind == PathMatchType::PathPrefix)
            .map_or("/", |p| p.value.value.as_str());
        let with_query = |path: String| match query {
            Some(query) => format!("{path}?{query}"),
            None => path,
        };
        if let Some(redirect) = redirect(rule) {
            let scheme = redirect.scheme.as_deref().unwrap_or(&url.scheme);
            let host = redirect.hostname.as_deref().unwrap_or(&url.host);
            // Without a port, a new scheme takes its default port, else the request's stays.
            let port = redirect
                .port
                .or((redirect.scheme.is_none()).then_some(url.port))
                .filter(|&port| !matches!((scheme, port), ("http", 80) | ("https", 443)));
            let new_path = with_query(modified_path(redirect.path.as_ref(), path, prefix));
            let port = port.map_or(String::new(), |port| format!(":{port}"));
            let status = redirect.status_code.unwrap_or(302);
            return (
                Outcome::Redirect(status),
                format!(
                    "The rule's RequestRedirect answers {status} with Location {scheme}://{host}{port}{new_path}."
                ),
            );
        }
        for filter in rule.filters() {
            if let Some(rewrite) = &filter.rewrite {
                let rewrite = &rewrite.value;
                let new_path = with_query(modified_path(rewrite.path.as_ref(), path, prefix));
                let host = rewrite
                    .hostname
                    .as_ref()
                    .map_or(String::new(), |h| format!(" with Host {h}"));
                self.step(
                    Stage::Rule,
                    format!("URLRewrite: the backend gets {new_path}{host}."),
                    None,
                    Some(filter.span),
                );
            }
            if let Some(mirror) = &filter.mirror {
                let port = mirror
                    .port
                    .as_ref()
                    .map_or(String::new(), |p| format!(":{}", p.value));
                self.step(
                    Stage::Rule,
                    format!(
                        "RequestMirror: a copy of the request goes to {}{port}; its answer is ignored.",
                        mirror.name_value()
                    ),
                    None,
                    Some(filter.span),
                );
            }
        }
        self.follow_api_backends(route, rule, wire, mesh_parent)
    }

    /// A rule's backendRefs: the largest share is followed to its upstream.
    pub(super) fn follow_api_backends(
        &mut self,
        route: Attached<'m>,
        rule: &'m RouteRule,
        wire: Wire,
        mesh_parent: bool,
    ) -> End {
        let mesh = self.mesh;
        let backends = backends(mesh, route.route, rule, mesh_parent);
        let failure = match route.route_type {
            RouteType::Http | RouteType::Grpc => Outcome::InternalError,
            RouteType::Tls | RouteType::Tcp => Outcome::ConnectionReset,
        };
        if let Some(why) = no_backend(route.route, &backends) {
            let effect = no_backend_effect(route.route_type);
            return (
                failure,
                format!(
                    "The rule sends nowhere: {why}, so {effect} (as the Gateway API requires)."
                ),
            );
        }
        let live: Vec<_> = backends.iter().filter(|b| b.weight > 0).collect();
        let weights = live.iter().map(|b| b.weight);
        if live.len() > 1 {
            let split: Vec<String> = live
                .iter()
                .map(|b| {
                    let port = b.port().map_or(String::new(), |p| format!(":{p}"));
                    let share = share(b.weight, weights.clone()).unwrap_or(100);
                    format!("{share}% to {}{port}", b.reference.name_value())
                })
                .collect();
            self.split_step(&split);
        }
        // The largest weight, the first among equals.
        let chosen = live
            .iter()
            .fold(None, |best: Option<&&Backend>, b| match best {
                Some(top) if top.weight >= b.weight => best,
                _ => Some(b),
            })
            .copied()
            .expect("a rule with a backend that reaches its host has one with weight");
        let missing = matches!(chosen.problem, Some(BackendProblem::NotInInput { .. }));
        let (host, namespace) = match chosen.host {
            Some(found) if chosen.reaches_host() && !(missing && mesh.settings.input_complete) => {
                found
            }
            _ => {
                let why = chosen.problem.as_ref().map_or(
                    "a kind Istio does not route to".to_string(),
                    |problem| {
                        format!(
                            "{}: {}",
                            problem.reason(),
                            problem.message(route.route, chosen.reference)
                        )
                    },
                );
                return (
                    failure,
                    format!(
                        "The backendRef {} does not resolve ({why}): Istio sends its share to an empty destination, so {}.",
                        chosen.reference.name_value(),
                        no_backend_effect(route.route_type)
                    ),
                );
            }
        };
        let end = self.follow_destination(
            host,
            namespace,
            chosen.port(),
            None,
            Some(chosen.reference.span),
            wire,
        );
        match end {
            (Outcome::Success, explanation) if missing => {
                let what = if host.contains('.') {
                    format!("host {host}")
                } else {
                    format!("Service {namespace}/{host}")
                };
                (
                    Outcome::Success,
                    format!("{explanation} (assuming {what} exists: it is not in the input)"),
                )
            }
            end => end,
        }
    }
}

/// One match entry of a rule (or a rule without matches) with its place in Istio's order.
struct Candidate<'m> {
    route: Attached<'m>,
    rule_index: usize,
    rule: &'m RouteRule,
    item: Option<&'m RouteMatch>,
    /// The entry's index, for rules with several.
    at: Option<usize>,
    precedence: Precedence,
}

/// `sortHTTPRoutes`' order, smallest first: rules with a match before those without; then
/// Exact, PathPrefix, RegularExpression; the longer path; a method; more headers; more query
/// parameters. Ties keep the input order (oldest route, rule order, match order).
type Precedence = (
    bool,
    Reverse<u8>,
    Reverse<usize>,
    bool,
    Reverse<usize>,
    Reverse<usize>,
);

impl<'m> Candidate<'m> {
    fn new(
        route: Attached<'m>,
        rule_index: usize,
        rule: &'m RouteRule,
        item: Option<&'m RouteMatch>,
    ) -> Candidate<'m> {
        let precedence = match (route.route_type, item) {
            // A GRPCRoute rule without matches matches everything and sorts last.
            (RouteType::Grpc, None) => (true, Reverse(0), Reverse(0), true, Reverse(0), Reverse(0)),
            // An HTTPRoute rule without matches gets the API's default, PathPrefix `/`.
            (_, None) => (false, Reverse(2), Reverse(1), true, Reverse(0), Reverse(0)),
            (route_type, Some(item)) => {
                let (rank, length) = match route_type {
                    RouteType::Grpc => grpc_uri(item.method.as_ref().map(|m| m.value.as_str())),
                    _ => {
                        let default = PathMatch::default();
                        path_uri(item.path.as_ref().map_or(&default, |p| &p.value))
                    }
                };
                let method = route_type != RouteType::Grpc && item.method.is_some();
                (
                    false,
                    Reverse(rank),
                    Reverse(length),
                    !method,
                    Reverse(item.headers.len()),
                    Reverse(item.query_params.len()),
                )
            }
        };
        Candidate {
            route,
            rule_index,
            rule,
            item,
            at: None,
            precedence,
        }
    }
}

/// The rank and length of the URI match Istio makes of a path match.
fn path_uri(path: &PathMatch) -> (u8, usize) {
    match path.kind {
        PathMatchType::Exact => (3, path.value.len()),
        PathMatchType::PathPrefix => (2, trimmed_prefix(&path.value).len().max(1)),
        PathMatchType::RegularExpression => (1, path.value.len()),
    }
}

/// The rank and length of the URI match Istio makes of a GRPCRoute method (`service/method`,
/// `*` for a part left out): exact `/service/method`, prefix `/service/`, else a regex.
fn grpc_uri(method: Option<&str>) -> (u8, usize) {
    match method.and_then(|m| m.split_once('/')) {
        Some(("*", "*")) | None => (0, 0),
        Some(("*", method)) => (1, method.len() + 8),
        Some((service, "*")) => (2, service.len() + 2),
        Some((service, method)) => (3, service.len() + method.len() + 2),
    }
}

/// Istio trims a PathPrefix's trailing `/` (and Envoy matches it segment by segment).
fn trimmed_prefix(prefix: &str) -> &str {
    match prefix.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

fn path_verdict(wanted: &PathMatch, path: &str) -> Result<(), String> {
    let value = wanted.value.as_str();
    let matched = match wanted.kind {
        PathMatchType::Exact => path == value,
        PathMatchType::PathPrefix => {
            let prefix = value.trim_end_matches('/');
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        }
        PathMatchType::RegularExpression => crate::regex_match::full_match(value, path, false)
            .ok_or_else(|| {
                format!("path RegularExpression {value} is not a regular expression RE2 accepts")
            })?,
    };
    if matched {
        Ok(())
    } else {
        Err(format!(
            "path {} {value} does not match `{path}`",
            wanted.kind
        ))
    }
}

fn grpc_method_verdict(method: &str, path: &str) -> Result<(), String> {
    let (service, name) = method.split_once('/').unwrap_or((method, "*"));
    let (asked_service, asked_method) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .unwrap_or(("", ""));
    let matched =
        (service == "*" || service == asked_service) && (name == "*" || name == asked_method);
    if matched {
        Ok(())
    } else {
        Err(format!("method {method} does not match `{path}`"))
    }
}

fn value_verdict(what: &str, wanted: &ValueMatch, value: Option<&str>) -> Result<(), String> {
    let name = &wanted.name;
    let Some(value) = value else {
        return Err(format!("the request has no {name} {what}"));
    };
    match wanted.kind {
        ValueMatchType::Exact if wanted.value == value => Ok(()),
        ValueMatchType::Exact => Err(format!(
            "{what} {name} is `{value}`, not `{}`",
            wanted.value
        )),
        ValueMatchType::RegularExpression => {
            match crate::regex_match::full_match(&wanted.value, value, false) {
                Some(true) => Ok(()),
                Some(false) => Err(format!(
                    "{what} {name} is `{value}`, which the regular expression `{}` does not match",
                    wanted.value
                )),
                None => Err(format!(
                    "{what} {name}: `{}` is not a regular expression RE2 accepts",
                    wanted.value
                )),
            }
        }
    }
}

/// The path after a RequestRedirect's or URLRewrite's `path`: the full path replaced, or the
/// matched `prefix` replaced.
fn modified_path(modifier: Option<&PathModifier>, path: &str, prefix: &str) -> String {
    match modifier {
        None => path.to_string(),
        Some(PathModifier::ReplaceFullPath(full)) => full.clone(),
        Some(PathModifier::ReplacePrefixMatch(replacement)) => {
            let rest = path
                .strip_prefix(prefix.trim_end_matches('/'))
                .unwrap_or(path);
            match (replacement.trim_end_matches('/'), rest) {
                ("", "") => "/".to_string(),
                (base, rest) => format!("{base}{rest}"),
            }
        }
    }
}
