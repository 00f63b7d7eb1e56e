//! The whole analysis against saphyr-parser's bare event parse of the same generated mesh,
//! measured in a way a loaded machine disturbs less than criterion's medians: the two are timed
//! alternately in one process and the fastest of each is compared; and, run under callgrind,
//! each as one named function for instruction counts. BENCHMARKS.md gives both.
//!
//! `cargo run --release -p routescope-core --example parse_ratio [RESOURCES] [ROUNDS]`; under
//! callgrind with ROUNDS 1: `valgrind --tool=callgrind --toggle-collect='*measured_*' …`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use routescope_core::analyze;
use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use saphyr_parser::Parser;

#[inline(never)]
fn measured_bare_parse(text: &str) -> usize {
    Parser::new_from_str(text)
        .map(|event| event.is_ok() as usize)
        .sum()
}

/// As the benchmark's `whole`: the analysis, and dropping it.
#[inline(never)]
fn measured_whole(sources: Sources) -> usize {
    analyze(sources, MeshSettings::default()).diagnostics.len()
}

fn timed(run: impl FnOnce()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed()
}

fn main() {
    let arg = |n: usize, default: usize| {
        std::env::args()
            .nth(n)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let (resources, rounds) = (arg(1, 1000), arg(2, 40).max(1));
    let text = routescope_core::synthetic::generate(resources);
    let sources = Sources::single("mesh.yaml", text.clone());
    let (mut bare, mut whole) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        bare.push(timed(|| {
            black_box(measured_bare_parse(black_box(&text)));
        }));
        let input = sources.clone();
        whole.push(timed(|| {
            black_box(measured_whole(input));
        }));
    }
    bare.sort();
    whole.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{resources} resources ({} bytes), {rounds} rounds: bare parse fastest {:.2} ms, \
         median {:.2} ms; whole fastest {:.2} ms, median {:.2} ms; whole / bare parse {:.2}x \
         (fastest), {:.2}x (medians)",
        text.len(),
        ms(bare[0]),
        ms(bare[rounds / 2]),
        ms(whole[0]),
        ms(whole[rounds / 2]),
        ms(whole[0]) / ms(bare[0]),
        ms(whole[rounds / 2]) / ms(bare[rounds / 2]),
    );
}
