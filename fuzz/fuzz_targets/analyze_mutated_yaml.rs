//! The analysis of valid Istio documents mutated a token or a line at a time (seeded from the
//! corpus and `examples/`), so the checks, not only the parser, meet strange input: nothing
//! panics, every span is usable, and the cached analysis agrees with the plain one.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use routescope_core::soundness::text_analyses_soundly;
use routescope_fuzz::mutate_yaml;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = text_analyses_soundly(&String::from_utf8_lossy(data)) {
        panic!("{problem}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutate_yaml(data, size, max_size, seed)
});
