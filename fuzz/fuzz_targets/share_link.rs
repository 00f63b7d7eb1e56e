//! Share links: decoding any fragment returns without a panic or an allocation past the input
//! limit, and what decodes goes through a link unchanged
//! (`routescope_core::soundness::share_link_round_trips`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use routescope_core::soundness::share_link_round_trips;

fuzz_target!(|data: &[u8]| {
    if let Err(problem) = share_link_round_trips(&String::from_utf8_lossy(data)) {
        panic!("{problem}");
    }
});
