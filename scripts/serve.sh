#!/usr/bin/env bash
# Builds the web app (release, wasm-opt -Oz) and serves it on http://127.0.0.1:8080, installing
# any missing tool first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh web
export PATH="$PWD/node_modules/.bin:$PATH"
exec trunk serve --release "$@"
