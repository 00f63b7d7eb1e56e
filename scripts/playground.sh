#!/usr/bin/env bash
# Until the web playground lands, this builds the `routescope` CLI and runs it on the bundled
# examples of the seed documents' mistakes (broken and fixed), printing its diagnostics.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p routescope-cli
./target/release/routescope check --fail-on never examples/
