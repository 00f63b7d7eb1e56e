//! The tracer at a route rule: whether its match entries take the request, and where the
//! chosen rule sends it.

use super::{End, Outcome, Tracer};
use crate::model::{HttpRoute, Resource};
use crate::resolve::RouteKind;
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

    /// A rule whose match entries name `elsewhere` (another gateway, port, …): this listener
    /// never builds it, so the step names no graph node.
    pub(super) fn rule_not_admitted(&mut self, resource: &Resource, rule: &Rule, elsewhere: &str) {
        self.step(
            Stage::Rule,
            format!(
                "{} {}[{}] does not match: its match entries name {elsewhere}.",
                resource.label(),
                rule.kind.key(),
                rule.index
            ),
            None,
            Some(rule.span),
        );
    }

    /// What an `http` rule does besides routing, in Envoy's order: the fault filter's abort
    /// answers before the router (for the larger share of requests it takes), a mirror sends a
    /// copy whose answer is dropped, retries try the upstream again.
    fn http_rule_effects(&mut self, http: &HttpRoute) -> Option<End> {
        if let Some(abort) = &http.abort {
            let status = abort.status.value;
            let percent = abort.percent.as_deref().unwrap_or("100");
            if abort.takes_most() {
                self.step(
                    Stage::Rule,
                    format!("fault.abort answers {status} for {percent}% of requests; this one is among them."),
                    None,
                    Some(abort.status.span),
                );
                return Some((
                    Outcome::FaultAbort(status),
                    format!(
                        "The rule's fault injection answers {status} itself: no upstream is asked."
                    ),
                ));
            }
            self.step(
                Stage::Rule,
                format!("fault.abort answers {status} for {percent}% of requests; this trace follows the others."),
                None,
                Some(abort.status.span),
            );
        }
        let rewrites: Vec<String> = [
            ("the path prefix", &http.rewrite_uri),
            ("the authority", &http.rewrite_authority),
        ]
        .into_iter()
        .filter_map(|(what, to)| to.as_ref().map(|to| format!("{what} to `{}`", to.value)))
        .collect();
        if !rewrites.is_empty() {
            let span = http
                .rewrite_uri
                .iter()
                .chain(&http.rewrite_authority)
                .next()
                .map(|f| f.span);
            self.step(
                Stage::Rule,
                format!(
                    "The rule rewrites {} before sending it on.",
                    rewrites.join(" and ")
                ),
                None,
                span,
            );
        }
        if let Some(mirror) = &http.mirror {
            let host = mirror.host.as_ref().map_or("?", |h| h.value.as_str());
            let subset = mirror
                .subset
                .as_ref()
                .map_or(String::new(), |s| format!(" subset {}", s.value));
            self.step(
                Stage::Rule,
                format!("The rule mirrors a copy to {host}{subset}; its answer is dropped."),
                None,
                Some(mirror.span),
            );
        }
        if let Some(attempts) = http
            .retries
            .as_ref()
            .and_then(|r| r.value.attempts.as_ref())
        {
            self.step(
                Stage::Rule,
                format!(
                    "Retries: up to {} more attempts when the upstream fails.",
                    attempts.value
                ),
                None,
                Some(attempts.span),
            );
        }
        None
    }

    pub(super) fn follow_rule(&mut self, resource: &Resource, rule: &Rule) -> End {
        if let Some(http) = rule.http
            && let Some(end) = self.http_rule_effects(http)
        {
            return end;
        }
        if let Some(answer) = rule.answers {
            let status = rule.http.and_then(|http| http.answer_status.as_ref());
            let outcome = if answer == "redirect" {
                Outcome::Redirect(status.map_or(301, |s| s.value))
            } else {
                Outcome::DirectResponse
            };
            let status = status.map_or(String::new(), |s| format!(" ({})", s.value));
            return (
                outcome,
                format!("The rule answers with a {answer}{status} itself."),
            );
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
            self.split_step(&split);
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
            RouteKind::Tcp if self.terminated => Wire::Plaintext,
            _ => self.client_wire(),
        };
        self.proxies_connection = rule.kind == RouteKind::Tcp;
        self.follow_destination(
            host,
            &resource.namespace,
            port,
            subset,
            Some(destination.span),
            wire,
        )
    }
}
