//! Analysis speed over generated meshes of 10 to 10,000 resources, side by side with the floor:
//! saphyr-parser's bare event parse of the same text. Results go to BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use routescope_core::load::load;
use routescope_core::resolve::Mesh;
use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::{analyze, checks};
use saphyr_parser::Parser;

/// A mesh in realistic proportions: per ten resources one Gateway (two servers), four
/// VirtualServices (three HTTP routes with matches, weights and subsets), three
/// DestinationRules (two subsets, a TLS policy) and two ServiceEntries.
fn generate(resources: usize) -> String {
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

fn bare_parse(text: &str) -> usize {
    Parser::new_from_str(text)
        .map(|event| event.is_ok() as usize)
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group.sample_size(10);
    for resources in [10, 100, 1_000, 10_000] {
        let text = generate(resources);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let sources = Sources::single("mesh.yaml", text.clone());
        group.bench_with_input(
            BenchmarkId::new("bare_event_parse", resources),
            &text,
            |b, t| b.iter(|| bare_parse(black_box(t))),
        );
        group.bench_with_input(
            BenchmarkId::new("load_with_spans", resources),
            &sources,
            |b, s| b.iter(|| load(black_box(s), "default")),
        );
        let loaded = load(&sources, "default");
        group.bench_with_input(
            BenchmarkId::new("resolve_and_check", resources),
            &loaded,
            |b, l| {
                b.iter(|| {
                    let mesh = Mesh::new(
                        sources.clone(),
                        MeshSettings::default(),
                        l.resources.clone(),
                    );
                    let mut diagnostics = Vec::new();
                    for check in checks::registry() {
                        if let checks::Run::OnMesh(run) = check.run {
                            run(&mesh, &mut diagnostics);
                        }
                    }
                    diagnostics
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("whole", resources), &sources, |b, s| {
            b.iter(|| {
                analyze(black_box(s.clone()), MeshSettings::default())
                    .diagnostics
                    .len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
