#!/usr/bin/env bash
# Prints one line per link — every lab's default link and each of its presets — with the
# sha256 of `methodlab run`'s JSON for it: run before and after a refactor and diff the two.
#
#   scripts/run-hashes.sh [BINARY] [STEPS] > before.txt
#
# BINARY defaults to target/release/methodlab; STEPS (default 300; 0 for each link's own
# length) caps every run so the whole list takes minutes, not hours.
set -euo pipefail
bin=${1:-target/release/methodlab}
steps=${2:-300}
cap=()
[ "$steps" != 0 ] && cap=(--steps "$steps")
"$bin" labs | python3 -c '
import json, sys
for lab in json.load(sys.stdin):
    print("#/" + lab["id"])
    for p in lab["presets"]:
        print("#/" + lab["id"] + "?v=1&" + p["query"])
' | while read -r link; do
    hash=$("$bin" run "$link" "${cap[@]}" --threads 2 | sha256sum | cut -c1-16)
    printf '%s  %s\n' "$hash" "$link"
done
