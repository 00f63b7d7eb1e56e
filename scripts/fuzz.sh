#!/usr/bin/env bash
# Builds every fuzz target and runs each one for SECONDS (default 15) in turn, on a corpus
# seeded from examples/, ../shared/corpus and fuzz/seeds/ (seeds/yaml/ for the three YAML
# targets, seeds/<target>/ for one target). A target that no longer builds, or
# that finds a crash or a timeout, fails the script; the input is then in fuzz/artifacts/.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET…]
#
# FUZZ_TIMEOUT is the seconds one input may take (default 1). FUZZ_ARGS adds libFuzzer flags,
# e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1 -ignore_timeouts=1" for a long run that records
# every finding instead of stopping at the first.
#
# Needs cargo-fuzz (scripts/setup.sh installs it). Uses the nightly toolchain when rustup has
# one, else (or with FUZZ_STABLE=1) the stable toolchain with RUSTC_BOOTSTRAP=1: cargo-fuzz
# passes unstable flags (-Zsanitizer=address and the like) that only nightly accepts otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-15}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(analyze_text analyze_mutated_yaml fix_mutated_yaml share_link)

if [ "${FUZZ_STABLE:-}" != 1 ] && cargo +nightly --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  echo "==> building the fuzz targets on stable with RUSTC_BOOTSTRAP=1 (no nightly, or FUZZ_STABLE=1)"
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi

cd fuzz
# All of them, even when running only some: a target that no longer builds fails here.
cargo "${toolchain[@]}" fuzz build -O
# The mutator's own tests.
cargo "${toolchain[@]}" test --lib --quiet

for target in "${targets[@]}"; do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  # Seeds are copied each run (cheap); what libFuzzer adds stays out of git (.gitignore).
  find ../examples ../../shared/corpus -name '*.yaml' -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  [ "$target" = share_link ] || cp -n seeds/yaml/* "$corpus/"
  [ -d "seeds/$target" ] && cp -n "seeds/$target"/* "$corpus/"
  echo "==> fuzz $target for ${seconds}s"
  cargo "${toolchain[@]}" fuzz run -O "$target" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-1}" -print_final_stats=1 ${FUZZ_ARGS:-}
done
