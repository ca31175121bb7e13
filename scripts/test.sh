#!/usr/bin/env bash
# Every test, in the order a failure is cheapest to find: format, lints, native tests (engine on
# the CPU and on a real wgpu device: lavapipe when there is no GPU), the wasm build, and the
# engine's conformance suite in headless Chromium's WebGPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all

# lavapipe warns when this is unset; harmless, but noisy.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== native tests"
cargo test
echo "== wasm build"
cargo build --lib --target wasm32-unknown-unknown
if [ -x scripts/browser-tests.sh ]; then
  echo "== browser tests"
  scripts/browser-tests.sh
fi
