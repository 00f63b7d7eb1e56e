#!/usr/bin/env bash
# Instruction counts of the analysis and of the traffic graph built on it (callgrind), and the
# share the graph adds: the machine-independent side of BENCHMARKS.md's graph figures.
# Usage: bash scripts/graph-cost.sh [RESOURCES]   (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
resources=${1:-1000}
cargo build -q --release -p routescope-core --example graph_cost
binary=${CARGO_TARGET_DIR:-target}/release/examples/graph_cost
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" "$resources" 2>/dev/null
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | awk '
    /graph_cost::measured_(analyze|build|layout) \[/ {
        gsub(",", "", $1); match($0, /measured_[a-z]+/); cost[substr($0, RSTART + 9, RLENGTH - 9)] = $1
    }
    END {
        printf "instructions: analyze %.1f M, build %.1f M, layout %.1f M\n",
            cost["analyze"] / 1e6, cost["build"] / 1e6, cost["layout"] / 1e6
        printf "the graph and its layout add %.1f%% to the analysis\n",
            100 * (cost["build"] + cost["layout"]) / cost["analyze"]
    }'
