//! Where the memory of an analysis goes: bytes live after each stage (the YAML trees alone,
//! trees and typed model, the resolved mesh, the diagnostics), counted by a global allocator
//! that tallies every allocation. `cargo run --release -p routescope-core --example
//! memory_stages [RESOURCES]`; BENCHMARKS.md quotes it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use routescope_core::settings::MeshSettings;
use routescope_core::source::{FileId, Sources};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> (f64, usize) {
    (
        LIVE.load(Ordering::Relaxed) as f64 / 1e6,
        ALLOCATIONS.load(Ordering::Relaxed),
    )
}

fn main() {
    let resources = std::env::args()
        .nth(1)
        .map_or(10_000, |a| a.parse().expect("a number of resources"));
    let text = routescope_core::synthetic::generate(resources);
    let input = text.len() as f64 / 1e6;
    let report = |stage: &str, (bytes, allocations): (f64, usize)| {
        println!(
            "{stage:<34} {bytes:8.1} MB live  {:5.1}× input  {allocations:>9} allocations",
            bytes / input
        );
    };
    report("input text", live());
    let trees = routescope_core::yaml::parse_documents(&text, FileId(0), 0);
    report("+ YAML trees", live());
    drop(trees);
    let sources = Sources::single("mesh.yaml", text);
    let settings = MeshSettings::default();
    let loaded = routescope_core::load::load(&sources, &settings.default_namespace);
    report("+ trees and typed model (load)", live());
    drop(loaded);
    let analysis = routescope_core::analyze(sources, settings);
    report("+ resolved mesh and diagnostics", live());
    println!("({} diagnostics)", analysis.diagnostics.len());
}
