#!/usr/bin/env bash
# Builds the web app once (release, wasm-opt -Oz) and serves dist/ on http://127.0.0.1:8080,
# installing any missing tool first. Usage: scripts/serve.sh [--port N] [--watch]
#   --port N   serve on port N (default 8080, or $PORT)
#   --watch    for developers: `trunk serve`, rebuilding on every change. Its file watcher has
#              crashed on a fresh clone (notify-rs issue 678), so the default never uses one.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-8080}"
watch=false
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --watch) watch=true; shift ;;
    *) echo "serve.sh: unexpected argument $1 (expected --port N or --watch)" >&2; exit 2 ;;
  esac
done
scripts/setup.sh web
export PATH="$PWD/node_modules/.bin:$PATH"
if $watch; then
  exec trunk serve --release --port "$port"
fi
trunk build --release
exec node scripts/serve-dist.mjs dist "$port"
