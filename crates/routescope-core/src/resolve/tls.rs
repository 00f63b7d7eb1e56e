//! Which TLS settings of a DestinationRule apply where, and what originates TLS to a port.

use std::ptr;

use super::Mesh;
use crate::model::{ClientTls, DestinationRule, Field, Resource, TrafficPolicy};

/// Where a TLS setting of a DestinationRule sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsLevel {
    Top,
    Port(u32),
    Subset,
    SubsetPort(u32),
}

/// A TLS setting of a DestinationRule and where it sits.
#[derive(Clone, Copy, Debug)]
pub struct TlsSetting<'d> {
    pub tls: &'d Field<ClientTls>,
    pub level: TlsLevel,
    /// The subset it belongs to, for subset levels.
    pub subset: Option<&'d str>,
}

impl<'d> TlsSetting<'d> {
    /// Where the setting sits, for messages (empty at the top level).
    pub fn place(&self) -> TlsPlace<'d> {
        // Only subset levels name their subset, and a missing name reads as an empty one.
        let subset = match self.level {
            TlsLevel::Top | TlsLevel::Port(_) => None,
            TlsLevel::Subset | TlsLevel::SubsetPort(_) => Some(self.subset.unwrap_or_default()),
        };
        TlsPlace {
            level: self.level,
            subset,
        }
    }
}

/// Where a TLS setting sits, as messages say it (` for port 443`, nothing at the top level);
/// compared and hashed without building the text (equal exactly when the texts are).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlsPlace<'d> {
    level: TlsLevel,
    subset: Option<&'d str>,
}

impl TlsPlace<'_> {
    /// The top level, which messages leave unsaid.
    pub const TOP: TlsPlace<'static> = TlsPlace {
        level: TlsLevel::Top,
        subset: None,
    };
}

impl std::fmt::Display for TlsPlace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subset = self.subset.unwrap_or_default();
        match self.level {
            TlsLevel::Top => Ok(()),
            TlsLevel::Port(port) => write!(f, " for port {port}"),
            TlsLevel::Subset => write!(f, " in subset `{subset}`"),
            TlsLevel::SubsetPort(port) => write!(f, " in subset `{subset}` for port {port}"),
        }
    }
}

/// Every TLS setting a DestinationRule writes: the top level, each port level, each subset
/// and each of its port levels.
pub fn all_tls_settings(rule: &DestinationRule) -> Vec<TlsSetting<'_>> {
    fn add<'d>(
        settings: &mut Vec<TlsSetting<'d>>,
        policy: Option<&'d Field<TrafficPolicy>>,
        subset: Option<&'d str>,
    ) {
        let Some(policy) = policy else {
            return;
        };
        if let Some(tls) = &policy.value.tls {
            let level = match subset {
                Some(_) => TlsLevel::Subset,
                None => TlsLevel::Top,
            };
            settings.push(TlsSetting { tls, level, subset });
        }
        for level in &policy.value.port_level {
            if let (Some(tls), Some(port)) = (&level.tls, &level.port) {
                let level = match subset {
                    Some(_) => TlsLevel::SubsetPort(port.value),
                    None => TlsLevel::Port(port.value),
                };
                settings.push(TlsSetting { tls, level, subset });
            }
        }
    }
    let mut settings = Vec::new();
    add(&mut settings, rule.traffic_policy.as_ref(), None);
    for subset in &rule.subsets {
        if let Some(name) = &subset.name {
            add(
                &mut settings,
                subset.traffic_policy.as_ref(),
                Some(&name.value),
            );
        }
    }
    settings
}

/// The TLS settings that apply to traffic for `port`: the most specific one for traffic
/// without a subset, then each subset's own (a subset without one shares the first).
fn tls_settings_for_port(rule: &DestinationRule, port: u32) -> Vec<TlsSetting<'_>> {
    let subsets = rule
        .subsets
        .iter()
        .filter_map(|subset| subset.name.as_ref())
        .map(|name| Some(name.value.as_str()));
    let mut settings: Vec<TlsSetting> = Vec::new();
    for subset in std::iter::once(None).chain(subsets) {
        let Some(setting) = Mesh::client_tls(rule, Some(port), subset) else {
            continue;
        };
        if !settings.iter().any(|seen| ptr::eq(seen.tls, setting.tls)) {
            settings.push(setting);
        }
    }
    settings
}

/// The DestinationRule for a host and the settings of it that originate TLS to a port.
pub struct Origination<'m> {
    pub resource: &'m Resource,
    pub rule: &'m DestinationRule,
    pub settings: Vec<TlsSetting<'m>>,
}

impl Mesh {
    /// The TLS setting a DestinationRule applies for a port and subset, most specific first:
    /// the subset's port level, the subset, the port level, the top level.
    pub fn client_tls<'d>(
        rule: &'d DestinationRule,
        port: Option<u32>,
        subset: Option<&str>,
    ) -> Option<TlsSetting<'d>> {
        let for_port = |policy: &'d TrafficPolicy| {
            let port = port?;
            policy
                .port_level
                .iter()
                .find(|level| level.port.as_ref().is_some_and(|p| p.value == port))
                .and_then(|level| level.tls.as_ref())
                .map(|tls| (tls, port))
        };
        let subset = subset.and_then(|name| {
            rule.subsets
                .iter()
                .find(|s| s.name.as_ref().is_some_and(|n| n.value == name))
        });
        if let Some(subset) = subset
            && let Some(policy) = &subset.traffic_policy
        {
            let name = subset.name.as_ref().map(|name| name.value.as_str());
            let setting = |tls, level| TlsSetting {
                tls,
                level,
                subset: name,
            };
            if let Some((tls, port)) = for_port(&policy.value) {
                return Some(setting(tls, TlsLevel::SubsetPort(port)));
            }
            if let Some(tls) = &policy.value.tls {
                return Some(setting(tls, TlsLevel::Subset));
            }
        }
        let policy = &rule.traffic_policy.as_ref()?.value;
        let setting = |tls, level| TlsSetting {
            tls,
            level,
            subset: None,
        };
        if let Some((tls, port)) = for_port(policy) {
            return Some(setting(tls, TlsLevel::Port(port)));
        }
        policy.tls.as_ref().map(|tls| setting(tls, TlsLevel::Top))
    }

    /// What originates TLS to `port` of `host` (written in `namespace`), for clients in that
    /// namespace; `None` when nothing does.
    pub fn originations(&self, host: &str, namespace: &str, port: u32) -> Option<Origination<'_>> {
        let (resource, rule) = self.destination_rule_for(host, namespace, namespace)?;
        let settings: Vec<TlsSetting> = tls_settings_for_port(rule, port)
            .into_iter()
            .filter(|setting| setting.tls.value.mode_value().originates())
            .collect();
        (!settings.is_empty()).then_some(Origination {
            resource,
            rule,
            settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Spec;
    use crate::resolve::tests::mesh;

    const RULE: &str = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: api.example.com\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: SIMPLE}\n  subsets:\n  - name: v1\n    trafficPolicy:\n      tls: {mode: DISABLE}\n      portLevelSettings:\n      - port: {number: 443}\n        tls: {mode: MUTUAL}\n  - name: é\n";

    fn places(settings: &[TlsSetting]) -> Vec<String> {
        settings
            .iter()
            .map(|setting| format!("{}{}", setting.tls.value.mode_value(), setting.place()))
            .collect()
    }

    #[test]
    fn every_setting_a_rule_writes_and_where() {
        let mesh = mesh(RULE);
        let (_, rule) = mesh.destination_rules().next().unwrap();
        assert_eq!(
            places(&all_tls_settings(rule)),
            [
                "ISTIO_MUTUAL",
                "SIMPLE for port 443",
                "DISABLE in subset `v1`",
                "MUTUAL in subset `v1` for port 443",
            ]
        );
    }

    #[test]
    fn the_most_specific_setting_applies() {
        let mesh = mesh(RULE);
        let (_, rule) = mesh.destination_rules().next().unwrap();
        let applied = |port, subset| {
            let setting = Mesh::client_tls(rule, port, subset).unwrap();
            format!("{}{}", setting.tls.value.mode_value(), setting.place())
        };
        assert_eq!(
            applied(Some(443), Some("v1")),
            "MUTUAL in subset `v1` for port 443"
        );
        assert_eq!(applied(Some(80), Some("v1")), "DISABLE in subset `v1`");
        assert_eq!(applied(Some(443), Some("é")), "SIMPLE for port 443");
        assert_eq!(applied(None, None), "ISTIO_MUTUAL");
        assert_eq!(
            places(&tls_settings_for_port(rule, 443)),
            ["SIMPLE for port 443", "MUTUAL in subset `v1` for port 443"],
            "subset é shares the rule's setting"
        );
    }

    #[test]
    fn originations_are_the_settings_that_originate_tls() {
        let mesh = mesh(RULE);
        let origination = mesh
            .originations("api.example.com", "default", 443)
            .unwrap();
        assert!(matches!(
            &origination.resource.spec,
            Spec::DestinationRule(_)
        ));
        assert_eq!(
            places(&origination.settings),
            ["SIMPLE for port 443", "MUTUAL in subset `v1` for port 443"]
        );
        assert!(
            mesh.originations("api.example.com", "default", 80)
                .is_none()
        );
        assert!(mesh.originations("other.org", "default", 443).is_none());
    }
}
