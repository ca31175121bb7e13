#!/usr/bin/env bash
# Every test, in the order a failure is cheapest to find: format, lints (native and the wasm web
# app), native tests (the engine on the CPU and on a real wgpu device: lavapipe when there is no
# GPU), a sweep on a one-node Slurm cluster, the engine's conformance suite in headless
# Chromium's WebGPU, the release build of the app, the README's serve command, and the
# end-to-end tests of the app in Chromium. Installs missing tools first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh all
export PATH="$PWD/node_modules/.bin:$PATH"
# lavapipe warns when this is unset; harmless, but noisy.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo clippy (wasm web app)"
cargo clippy --target wasm32-unknown-unknown --features web --lib --bin methodlab-web -- -D warnings
echo "== native tests"
cargo test --workspace
echo "== Slurm: a sweep as a 4-task array job on a one-node cluster, merged = unsharded"
scripts/slurm-test.sh "${CARGO_TARGET_DIR:-target}/debug/methodlab"
echo "== browser engine tests"
scripts/browser-tests.sh
echo "== app build (trunk, release, wasm-opt)"
trunk build --release
echo "== the README's serve command (build, serve, fetch the page and its wasm, stop)"
node tests/serve-check.mjs
echo "== end-to-end tests (Playwright, Chromium)"
node --test tests/e2e/
