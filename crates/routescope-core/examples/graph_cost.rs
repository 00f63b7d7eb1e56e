//! What the traffic graph costs beside the analysis, in allocations; run under callgrind by
//! `scripts/graph-cost.sh` for instruction counts, which unlike time do not depend on the
//! machine or its load. `cargo run --release -p routescope-core --example graph_cost [RESOURCES]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::topology::{self, TrafficGraph};
use routescope_core::{Analysis, analyze};

/// The system allocator, counting allocations and reallocations.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees are the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Each step in a function of its own, so callgrind reports it by name.
#[inline(never)]
fn measured_analyze(sources: Sources) -> Analysis {
    analyze(sources, MeshSettings::default())
}

#[inline(never)]
fn measured_build(analysis: &Analysis) -> TrafficGraph {
    topology::build(&analysis.mesh, &analysis.diagnostics)
}

#[inline(never)]
fn measured_layout(graph: &TrafficGraph) -> topology::Layout {
    topology::layout(graph)
}

fn main() {
    let resources: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse().expect("RESOURCES is a number"),
        None => 1000,
    };
    let sources = Sources::single("mesh.yaml", routescope_core::synthetic::generate(resources));
    // A first run warms the allocator, as the benchmark's repeated runs do.
    drop(analyze(sources.clone(), MeshSettings::default()));
    let count = || ALLOCATIONS.load(Ordering::Relaxed);
    let start = count();
    let analysis = measured_analyze(sources);
    let analyzed = count();
    let graph = measured_build(&analysis);
    let built = count();
    let layout = measured_layout(&graph);
    let laid_out = count();
    println!(
        "{resources} resources: {} nodes, {} hops, {} px wide",
        graph.nodes.len(),
        graph.edges.len(),
        layout.width
    );
    println!(
        "allocations: analyze {}, build {}, layout {}",
        analyzed - start,
        built - analyzed,
        laid_out - built
    );
}
