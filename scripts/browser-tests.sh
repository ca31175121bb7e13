#!/usr/bin/env bash
# Runs the engine's op conformance suite (tests/web_engine.rs) in headless Chromium's WebGPU through
# wasm-bindgen-test. Installs what is missing first (Chromium and its driver, the wasm32 target, a
# wasm-bindgen-test-runner matching the wasm-bindgen in Cargo.lock); a second run skips all that.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

scripts/setup.sh browser

say "running tests/web_engine.rs in headless Chromium (WebGPU; flags in webdriver.json)"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
set -x
cargo test --target wasm32-unknown-unknown --test web_engine
