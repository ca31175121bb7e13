#!/usr/bin/env bash
# Runs the engine's op conformance suite (tests/web_engine.rs) in headless Chromium's WebGPU through
# wasm-bindgen-test. Installs what is missing first (Chromium and its driver, the wasm32 target, a
# wasm-bindgen-test-runner matching the wasm-bindgen in Cargo.lock); a second run skips all that.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    say "installing chromium and chromium-driver (apt-get)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
else
    say "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
fi

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rust target wasm32-unknown-unknown present"
else
    say "adding rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
fi

# The runner must be the exact version of the wasm-bindgen crate the test links against.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ -z "$want" ]]; then
    echo "no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
have=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{ print $2 }' || true)
if [[ "$have" == "$want" ]]; then
    say "wasm-bindgen-test-runner $have present"
else
    say "installing wasm-bindgen-cli $want (found '${have:-none}')"
    # Not --locked: the CLI's own lockfile asks for a crate version the registry lacks.
    cargo install wasm-bindgen-cli --version "$want"
fi

say "running tests/web_engine.rs in headless Chromium (WebGPU; flags in webdriver.json)"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
set -x
cargo test --target wasm32-unknown-unknown --test web_engine
