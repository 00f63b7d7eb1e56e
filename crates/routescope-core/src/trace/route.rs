//! The tracer at a route rule: whether its match entries take the request, and where the
//! chosen rule sends it.

use super::{End, Outcome, Tracer};
use crate::model::{HttpMatch, MatchKind, Resource, Spanned, TlsMatch};
use crate::resolve::{RouteKind, host_covers};
use crate::topology::{NodeKey, Rule, Stage, Wire};

impl Tracer<'_, '_> {
    /// Records a rule's verdict; a match goes on to its destination and ends the trace.
    pub(super) fn rule_verdict(
        &mut self,
        resource: &Resource,
        rule: &Rule,
        verdict: Result<(), String>,
    ) -> Option<End> {
        let name = format!("{} {}[{}]", resource.label(), rule.kind.key(), rule.index);
        let node = Some(NodeKey::rule(resource, rule.kind, rule.index).text());
        match verdict {
            Err(reason) => {
                self.step(
                    Stage::Rule,
                    format!("{name} does not match: {reason}."),
                    node,
                    Some(rule.span),
                );
                None
            }
            Ok(()) => {
                self.step(
                    Stage::Rule,
                    format!("{name} matches."),
                    node,
                    Some(rule.span),
                );
                Some(self.follow_rule(resource, rule))
            }
        }
    }

    pub(super) fn follow_rule(&mut self, resource: &Resource, rule: &Rule) -> End {
        if let Some(answer) = rule.answers {
            let outcome = if answer == "redirect" {
                Outcome::Redirect(301)
            } else {
                Outcome::DirectResponse
            };
            return (outcome, format!("The rule answers with a {answer} itself."));
        }
        let routes: Vec<_> = rule
            .route
            .iter()
            .filter(|route| route.destination.host.is_some())
            .collect();
        let Some(chosen) = routes
            .iter()
            .enumerate()
            .max_by_key(|(index, route)| {
                (
                    route.weight.as_ref().map_or(0, |w| w.value),
                    usize::MAX - index,
                )
            })
            .map(|(_, route)| *route)
        else {
            return (Outcome::NoRoute, "The rule has no destination.".to_string());
        };
        if routes.len() > 1 {
            let split: Vec<String> = routes
                .iter()
                .map(|route| {
                    let destination = &route.destination;
                    let weight = route.weight.as_ref().map_or(0, |w| w.value);
                    let subset = destination
                        .subset
                        .as_ref()
                        .map_or(String::new(), |s| format!(" subset {}", s.value));
                    let host = destination.host.as_ref().map_or("", |h| h.value.as_str());
                    format!("{weight}% to {host}{subset}")
                })
                .collect();
            self.step(
                Stage::Rule,
                format!(
                    "Traffic is split: {}; following the largest share.",
                    split.join(", ")
                ),
                None,
                None,
            );
        }
        let destination = &chosen.destination;
        let host = destination.host.as_ref().map_or("", |h| h.value.as_str());
        let port = destination
            .port
            .as_ref()
            .map(|p| p.value)
            .or_else(|| {
                match self
                    .mesh
                    .declared_ports(host, &resource.namespace)
                    .as_slice()
                {
                    [only] => Some(only.number),
                    _ => None,
                }
            })
            .or(self.sidecar_port);
        let subset = destination.subset.as_ref().map(|s| s.value.as_str());
        let wire = match rule.kind {
            RouteKind::Http => Wire::Plaintext,
            _ => self.client_wire(),
        };
        self.follow_destination(
            host,
            &resource.namespace,
            port,
            subset,
            Some(destination.span),
            wire,
        )
    }

    /// Whether an `http` rule's match entries take this request (the first entry's reasons
    /// when none does).
    pub(super) fn http_verdict(&self, items: &[HttpMatch]) -> Result<(), String> {
        if items.is_empty() {
            return Ok(());
        }
        let mut first_reason = None;
        for item in items {
            match self.http_item_verdict(item) {
                Ok(()) => return Ok(()),
                Err(reason) => {
                    first_reason.get_or_insert(reason);
                }
            }
        }
        Err(first_reason.unwrap_or_default())
    }

    pub(super) fn http_item_verdict(&self, item: &HttpMatch) -> Result<(), String> {
        let request = self.request;
        let url = &request.url;
        if let Some(port) = &item.port
            && port.value != url.port
        {
            return Err(format!("port {} is not {}", port.value, url.port));
        }
        let authority = url.authority();
        let scheme = url.scheme.clone();
        let checks = [
            (
                "uri",
                &item.uri,
                Some(url.path.as_str()),
                item.ignore_uri_case,
            ),
            (
                "authority",
                &item.authority,
                Some(authority.as_str()),
                false,
            ),
            ("method", &item.method, Some(request.method.as_str()), false),
            ("scheme", &item.scheme, Some(scheme.as_str()), false),
        ];
        let headers = item
            .headers
            .iter()
            .map(|(name, condition)| (name.as_str(), condition, request.header(name), false));
        let conditions = checks
            .into_iter()
            .filter_map(|(name, condition, value, ignore_case)| {
                condition.as_ref().map(|c| (name, c, value, ignore_case))
            })
            .chain(headers);
        for (name, condition, value, ignore_case) in conditions {
            let Some(value) = value else {
                return Err(format!("the request has no {name} header"));
            };
            match condition.value.matches(value, ignore_case) {
                Some(true) => {}
                Some(false) => {
                    return Err(format!(
                        "{name} {} does not match `{value}`",
                        condition.value
                    ));
                }
                None => {
                    debug_assert_eq!(condition.value.kind, MatchKind::Regex);
                    return Err(format!(
                        "{name} {} is a regular expression, which the tracer does not evaluate",
                        condition.value
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether a `tls` rule's match entries take a connection with SNI `host` on `port`.
pub(super) fn sni_verdict(items: &[TlsMatch], host: &str, port: u32) -> Result<(), String> {
    if items.is_empty() {
        return Ok(());
    }
    let mut reasons = Vec::new();
    for item in items {
        if let Some(wanted) = &item.port
            && wanted.value != port
        {
            reasons.push(format!("port {} is not {port}", wanted.value));
            continue;
        }
        let sni: &[Spanned<String>] = item.sni_hosts.as_ref().map_or(&[], |s| &s.value);
        if sni.is_empty() || sni.iter().any(|pattern| host_covers(&pattern.value, host)) {
            return Ok(());
        }
        let patterns: Vec<&str> = sni.iter().map(|p| p.value.as_str()).collect();
        reasons.push(format!(
            "SNI {host} is not in sniHosts {}",
            patterns.join(", ")
        ));
    }
    Err(reasons.join("; "))
}
