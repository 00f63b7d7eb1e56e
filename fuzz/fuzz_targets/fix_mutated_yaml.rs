//! Every fix of every diagnostic on mutated Istio documents, applied alone and judged by
//! `verify_fix` (it applies, keeps the bytes outside its edits, adds no error, removes its
//! diagnostic); then all fixes at once, without a panic
//! (`routescope_core::soundness::text_fixes_soundly`).
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target};
use routescope_core::soundness::text_fixes_soundly;
use routescope_fuzz::mutate_yaml;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = text_fixes_soundly(&String::from_utf8_lossy(data)) {
        panic!("{problem}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutate_yaml(data, size, max_size, seed)
});
