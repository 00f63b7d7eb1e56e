#!/usr/bin/env bash
# Builds the Routescope playground and serves it on http://127.0.0.1:8080 (the seed's
# gateway/VirtualService TLS mismatch opens first). Installs what it needs when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
exec trunk serve --release --address 127.0.0.1 --port "${PORT:-8080}"
