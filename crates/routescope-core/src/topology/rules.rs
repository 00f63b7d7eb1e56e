//! The rules of a VirtualService, whatever their kind, as the graph and the tracer walk them.

use std::fmt;

use crate::model::{HttpMatch, HttpRoute, RouteDestination, Spanned, TlsMatch, VirtualService};
use crate::resolve::RouteKind;
use crate::source::Span;

/// The match entries of a rule, by kind.
#[derive(Clone, Copy)]
pub enum Matches<'v> {
    Http(&'v [HttpMatch]),
    Tls(&'v [TlsMatch]),
}

/// One rule of a VirtualService, whatever its kind.
pub struct Rule<'v> {
    pub kind: RouteKind,
    pub index: usize,
    pub span: Span,
    /// The `http:`/`tls:`/`tcp:` key it sits under.
    pub list_key: Option<Span>,
    pub matches: Matches<'v>,
    pub route: &'v [RouteDestination],
    /// `redirect` or `directResponse`, which answer without a destination.
    pub answers: Option<&'static str>,
    /// The `http` rule itself (its fault, mirror and retries), for the tracer.
    pub http: Option<&'v HttpRoute>,
}

impl Rule<'_> {
    /// What the rule matches, briefly.
    pub fn summary(&self) -> impl fmt::Display + '_ {
        fmt::from_fn(|f| {
            // Each part after the first is set off by a space.
            let mut first = true;
            let mut part = |f: &mut fmt::Formatter, args: fmt::Arguments| {
                if !std::mem::take(&mut first) {
                    f.write_str(" ")?;
                }
                f.write_fmt(args)
            };
            let count = match self.matches {
                Matches::Http(items) => {
                    if let Some(item) = items.first() {
                        if let Some(uri) = &item.uri {
                            part(f, format_args!("uri {}", uri.value))?;
                        }
                        if let Some(authority) = &item.authority {
                            part(f, format_args!("authority {}", authority.value))?;
                        }
                        for (name, value) in &item.headers {
                            part(f, format_args!("{name} {}", value.value))?;
                        }
                        if let Some(port) = &item.port {
                            part(f, format_args!("port {}", port.value))?;
                        }
                    }
                    items.len()
                }
                Matches::Tls(items) => {
                    if let Some(item) = items.first() {
                        if let Some(sni) = &item.sni_hosts {
                            part(f, format_args!("sni "))?;
                            for (n, host) in sni.value.iter().enumerate() {
                                if n > 0 {
                                    f.write_str(" ")?;
                                }
                                f.write_str(&host.value)?;
                            }
                        }
                        if let Some(port) = &item.port {
                            part(f, format_args!("port {}", port.value))?;
                        }
                    }
                    items.len()
                }
            };
            if count > 1 {
                part(f, format_args!("(+{} more)", count - 1))?;
            }
            if first {
                f.write_str("any request")?;
            }
            match self.answers {
                Some(answer) => write!(f, " → {answer}"),
                None => Ok(()),
            }
        })
    }

    /// Does the rule take traffic on the sidecar's port `port`?
    pub fn admits_mesh_port(&self, port: Option<u32>) -> bool {
        fn admits(
            item_port: Option<u32>,
            gateways: Option<&[Spanned<String>]>,
            port: Option<u32>,
        ) -> bool {
            let port_ok = match (item_port, port) {
                (Some(wanted), Some(port)) => wanted == port,
                _ => true,
            };
            let mesh_ok =
                gateways.is_none_or(|gateways| gateways.iter().any(|g| g.value == "mesh"));
            port_ok && mesh_ok
        }
        match self.matches {
            Matches::Http(items) => {
                items.is_empty()
                    || items.iter().any(|item| {
                        admits(
                            item.port.as_ref().map(|p| p.value),
                            item.gateways.as_ref().map(|g| g.value.as_slice()),
                            port,
                        )
                    })
            }
            Matches::Tls(items) => {
                items.is_empty()
                    || items.iter().any(|item| {
                        admits(
                            item.port.as_ref().map(|p| p.value),
                            item.gateways.as_ref().map(|g| g.value.as_slice()),
                            port,
                        )
                    })
            }
        }
    }
}

/// Every rule of a VirtualService: `http`, then `tls`, then `tcp`.
pub fn rules(service: &VirtualService) -> Vec<Rule<'_>> {
    let mut rules = Vec::new();
    let http_key = service.http.as_ref().map(|field| field.key);
    for (index, rule) in service.http_routes().iter().enumerate() {
        let answers = if rule.redirect.is_some() {
            Some("redirect")
        } else if rule.direct_response.is_some() {
            Some("direct response")
        } else {
            None
        };
        rules.push(Rule {
            kind: RouteKind::Http,
            index,
            span: rule.span,
            list_key: http_key,
            matches: Matches::Http(rule.match_items()),
            route: &rule.route,
            answers,
            http: Some(rule),
        });
    }
    for (kind, field) in [
        (RouteKind::Tls, &service.tls),
        (RouteKind::Tcp, &service.tcp),
    ] {
        let Some(field) = field else {
            continue;
        };
        for (index, rule) in field.value.iter().enumerate() {
            rules.push(Rule {
                kind,
                index,
                span: rule.span,
                list_key: Some(field.key),
                matches: Matches::Tls(rule.match_items()),
                route: &rule.route,
                answers: None,
                http: None,
            });
        }
    }
    rules
}
