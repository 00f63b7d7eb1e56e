#!/usr/bin/env bash
# Runs every test of Routescope: formatting, lints (native and wasm32), unit, fixture, corpus,
# example and CLI tests. Installs what it needs when it is missing. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
if [ ! -f ../shared/corpus/MANIFEST.tsv ]; then
  echo "the corpus is missing: ../shared/corpus must be beside the checkout" >&2
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy (wasm32: the core must stay pure)"
cargo clippy -p routescope-core --target wasm32-unknown-unknown --locked -- -D warnings

step "tests"
cargo test --workspace --locked
