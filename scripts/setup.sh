#!/usr/bin/env bash
# Installs what building and testing Routescope needs, skipping whatever is already there:
# the wasm32 target, clippy/rustfmt, trunk 0.21.14, wasm-bindgen-cli 0.2.130, cargo-fuzz 0.13.2
# (the fuzz targets use nightly when rustup has it, else stable; see scripts/fuzz.sh), the npm packages
# of the editor bridge (CodeMirror 6, esbuild, binaryen's wasm-opt, the xz decoder), xz, for the CLI
# tests zsh, fish, man-db and pre-commit 4.7.0, for the language server's editor tests Debian's
# neovim and the VS Code extension's npm packages, and with `--browser` Debian's chromium and
# chromium-driver. Sourced by playground.sh and test.sh.
set -euo pipefail

need_browser=false
[ "${1:-}" = "--browser" ] && need_browser=true

say() { printf '==> %s\n' "$*"; }

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

if ! trunk --version 2>/dev/null | grep -q '0.21.14'; then
  say "installing trunk 0.21.14 (about 10 minutes on 2 cores)"
  cargo install --locked trunk --version 0.21.14
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q '0.2.130'; then
  say "installing wasm-bindgen-cli 0.2.130"
  # Without --locked: its lockfile pins a crate version the registry here does not serve.
  cargo install wasm-bindgen-cli --version 0.2.130
fi
if ! cargo fuzz --version 2>/dev/null | grep -q '0.13.2'; then
  say "installing cargo-fuzz 0.13.2 (a few minutes)"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
if [ ! -x js/node_modules/.bin/esbuild ] || [ js/package-lock.json -nt js/node_modules/.package-lock.json ]; then
  say "installing the editor's npm packages"
  (cd js && npm ci --no-audit --no-fund)
fi
if [ ! -x editors/vscode/node_modules/.bin/vsce ] || [ editors/vscode/package-lock.json -nt editors/vscode/node_modules/.package-lock.json ]; then
  say "installing the VS Code extension's npm packages (vscode-languageclient, @vscode/vsce)"
  (cd editors/vscode && npm ci --no-audit --no-fund)
fi
# js/pack-wasm.mjs packs the wasm with xz (Debian's xz-utils, present on most images).
if ! command -v xz >/dev/null; then
  say "installing xz-utils"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xz-utils
fi
# The CLI tests parse the completion scripts with zsh and fish, render the manual pages with
# man, and run the pre-commit hook with pre-commit 4.7.0 (PyPI); the language server's
# end-to-end test (crates/routescope-lsp/tests/neovim.rs) drives Debian's Neovim.
missing_cli_tools=()
command -v zsh >/dev/null || missing_cli_tools+=(zsh)
command -v fish >/dev/null || missing_cli_tools+=(fish)
command -v man >/dev/null || missing_cli_tools+=(man-db)
[ -x /usr/bin/nvim ] || missing_cli_tools+=(neovim)
if [ ${#missing_cli_tools[@]} -gt 0 ]; then
  say "installing ${missing_cli_tools[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_cli_tools[@]}"
fi
if ! pre-commit --version 2>/dev/null | grep -q '4.7.0'; then
  say "installing pre-commit 4.7.0"
  python3 -m pip install --quiet pre-commit==4.7.0
fi
# trunk picks the first wasm-opt on PATH: npm's binaryen 132 (Debian's 108 breaks the wasm).
export PATH="$PWD/js/node_modules/.bin:$PATH"

if $need_browser && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing chromium and chromium-driver"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi

# Trunk builds offline: fetch the crates once.
cargo fetch --locked >/dev/null
