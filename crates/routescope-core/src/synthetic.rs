//! Generated meshes in realistic proportions, for benchmarks (criterion natively, the
//! keystroke benchmark in the browser) and tests that need large inputs.

/// A mesh in realistic proportions: per ten resources one Gateway (two servers), four
/// VirtualServices (three HTTP routes with matches, weights and subsets), three
/// DestinationRules (two subsets, a TLS policy) and two ServiceEntries.
pub fn generate(resources: usize) -> String {
    let mut text = String::new();
    for unit in 0..resources.div_ceil(10) {
        let ns = format!("team{}", unit % 50);
        text.push_str(&format!(
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw{unit}\n  namespace: {ns}\nspec:\n  selector:\n    istio: ingressgateway\n  servers:\n  - port:\n      number: 443\n      name: https\n      protocol: HTTPS\n    hosts:\n    - \"*.app{unit}.example.com\"\n    tls:\n      mode: SIMPLE\n      credentialName: app{unit}-cert\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - \"*.app{unit}.example.com\"\n    tls:\n      httpsRedirect: true\n---\n"
        ));
        for vs in 0..4 {
            let svc = format!("svc{unit}-{vs}");
            text.push_str(&format!(
                "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  hosts:\n  - {svc}.app{unit}.example.com\n  gateways:\n  - gw{unit}\n  http:\n  - match:\n    - uri:\n        prefix: /api/v2\n      headers:\n        x-canary:\n          exact: \"true\"\n    route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v2\n  - match:\n    - uri:\n        prefix: /api\n    route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v1\n      weight: 90\n    - destination:\n        host: svc{unit}-{}\n        subset: v2\n      weight: 10\n    retries:\n      attempts: 3\n  - route:\n    - destination:\n        host: svc{unit}-{}\n        subset: v1\n---\n",
                vs % 3, vs % 3, vs % 3, vs % 3
            ));
        }
        for dr in 0..3 {
            text.push_str(&format!(
                "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: svc{unit}-{dr}\n  namespace: {ns}\nspec:\n  host: svc{unit}-{dr}\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL\n    connectionPool:\n      tcp:\n        maxConnections: 100\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n  - name: v2\n    labels:\n      version: v2\n---\n"
            ));
        }
        for se in 0..2 {
            text.push_str(&format!(
                "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext{unit}-{se}\n  namespace: {ns}\nspec:\n  hosts:\n  - api{se}.partner{unit}.com\n  location: MESH_EXTERNAL\n  ports:\n  - number: 443\n    name: https\n    protocol: HTTPS\n  resolution: DNS\n---\n"
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MeshSettings;
    use crate::source::Sources;

    #[test]
    fn generated_meshes_have_the_size_asked_and_are_clean() {
        let text = generate(100);
        let analysis = crate::analyze(Sources::single("mesh.yaml", text), MeshSettings::default());
        assert_eq!(analysis.mesh.resources.len(), 100);
        let problems: Vec<&str> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.severity >= crate::diagnostic::Severity::Warning)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(problems, Vec::<&str>::new());
    }
}
