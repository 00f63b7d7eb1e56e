//! Analysis speed over generated meshes of 10 to 10,000 resources, side by side with the floor:
//! saphyr-parser's bare event parse of the same text, and the traffic graph with its layout.
//! Results go to BENCHMARKS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use routescope_core::load::DocumentCache;
use routescope_core::load::load;
use routescope_core::resolve::Mesh;
use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::synthetic::generate;
use routescope_core::{analyze, analyze_cached, checks, reanalyze_cached, topology};
use saphyr_parser::Parser;

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
        // The playground's case: one keystroke in the last document; the others come from the
        // cache, and keep the resources of the analysis before.
        let mut cache = DocumentCache::new();
        let mut analysis = analyze_cached(sources.clone(), MeshSettings::default(), &mut cache);
        let mut typed = text.clone();
        group.bench_function(BenchmarkId::new("keystroke_cached", resources), |b| {
            b.iter(|| {
                typed.push('#');
                reanalyze_cached(
                    &mut analysis,
                    Sources::single("mesh.yaml", typed.clone()),
                    MeshSettings::default(),
                    &mut cache,
                );
                analysis.diagnostics.len()
            })
        });
        group.bench_with_input(BenchmarkId::new("whole", resources), &sources, |b, s| {
            b.iter(|| {
                analyze(black_box(s.clone()), MeshSettings::default())
                    .diagnostics
                    .len()
            })
        });
        // The traffic view's extra work on top of `whole`: the graph and its layout.
        let analysis = analyze(sources.clone(), MeshSettings::default());
        group.bench_with_input(
            BenchmarkId::new("graph_and_layout", resources),
            &analysis,
            |b, a| {
                b.iter(|| {
                    let graph = topology::build(black_box(&a.mesh), &a.diagnostics);
                    topology::layout(&graph).width
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
