//! Prints the synthetic mesh the benchmarks analyse, for measuring whole commands on it
//! (`routescope check`, yamllint, PyYAML): `cargo run --release -p routescope-core --example
//! synthetic_mesh [RESOURCES] > mesh.yaml`.

fn main() {
    let resources = std::env::args()
        .nth(1)
        .map_or(1_000, |a| a.parse().expect("a number of resources"));
    print!("{}", routescope_core::synthetic::generate(resources));
}
