//! Load, resolve and check arbitrary bytes taken as text: nothing panics, every span is
//! usable, and the playground's cached analysis agrees with the plain one
//! (`routescope_core::soundness::text_analyses_soundly`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routescope_core::soundness::text_analyses_soundly;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = text_analyses_soundly(&String::from_utf8_lossy(data)) {
        panic!("{problem}");
    }
});
