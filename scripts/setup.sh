#!/usr/bin/env bash
# Installs what building and testing need, skipping what is already there (a second run takes
# seconds). Usage: scripts/setup.sh [native|browser|web|all|peers]
#   native   Mesa's Vulkan drivers (lavapipe: the GPU native tests use when there is none), rustfmt, clippy
#   browser  + the wasm32 target, Chromium and ChromeDriver, wasm-bindgen-cli matching Cargo.lock
#   web      + Trunk 0.21.14 and the npm tools (wasm-opt from binaryen 132, playwright-core)
#   all      everything
#   peers    TF.js 4.22 (cpu, webgl, webgpu) into target/peers, for tests/e2e/peers-bench.mjs only:
#            never part of `all`, never in dist/
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
say() { printf 'setup: %s\n' "$*"; }
wants() { [ "$mode" = all ] || [ "$mode" = "$1" ] || { [ "$1" = browser ] && [ "$mode" = web ]; }; }

if [ "$mode" = peers ]; then
  if [ ! -f target/peers/node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js ]; then
    say "npm install TF.js 4.22 into target/peers (the side-by-side benchmark's peers)"
    mkdir -p target/peers
    npm install --prefix target/peers --no-audit --no-fund --loglevel=error \
      @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0
  fi
  exit 0
fi

need_apt=()
ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || need_apt+=(mesa-vulkan-drivers libvulkan1)
if wants browser; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
fi
if wants web; then
  command -v npm >/dev/null || need_apt+=(nodejs npm)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done
[ "$mode" = native ] && exit 0

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must be the exact version of the crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "cargo install wasm-bindgen-cli $want (found '${have:-none}')"
  # Not --locked: the CLI's own lockfile asks for a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want"
fi
wants web || exit 0

if [ "$(trunk --version 2>/dev/null | awk '{ print $2 }')" != "0.21.14" ]; then
  say "cargo install --locked trunk@0.21.14 (about 7 minutes on 2 cores)"
  cargo install --locked trunk@0.21.14
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (binaryen 132 for wasm-opt, playwright-core)"
  npm ci --no-audit --no-fund --loglevel=error
fi
