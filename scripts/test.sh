#!/usr/bin/env bash
# Runs every test of Routescope: formatting, lints (native and wasm32), unit, fixture, corpus,
# example, property and CLI tests, the end-to-end tests of the built playground in headless
# Chromium, and a short run of each fuzz target. Installs what it needs when it is missing.
# `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "set-up"
source scripts/setup.sh --browser
if [ ! -f ../shared/corpus/MANIFEST.tsv ]; then
  echo "the corpus is missing: ../shared/corpus must be beside the checkout" >&2
  exit 1
fi

step "build the playground (trunk build --release)"
trunk build --release

step "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings
(cd fuzz && cargo clippy --all-targets --locked -- -D warnings)

step "clippy (wasm32: the core stays pure; the app builds for the browser)"
cargo clippy -p routescope-core -p routescope-web --target wasm32-unknown-unknown --locked -- -D warnings

step "tests (unit, fixtures, corpus, examples, CLI, end-to-end in Chromium)"
cargo test --workspace --locked

step "fuzz smoke: build every fuzz target, run each for 15 s"
# A generous per-input timeout: a smoke must not fail on a slow moment of a shared machine,
# only on a target that no longer builds, a crash, or a real hang.
FUZZ_TIMEOUT=5 bash scripts/fuzz.sh 15
