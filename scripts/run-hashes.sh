#!/usr/bin/env bash
# Prints the sha256 of `methodlab run`'s JSON for every lab's default link, each of its presets
# and each smoke setting with every method: run it before and after a refactor, and diff.
#
#   scripts/run-hashes.sh [BINARY] [STEPS] > before.txt
#
# BINARY defaults to target/release/methodlab; STEPS (default 300; 0 for each link's own
# length) caps every default and preset run so the whole list takes minutes, not hours (the
# smoke settings are short already). LABS=ssl,vae hashes
# those labs' links only.
set -euo pipefail
bin=${1:-target/release/methodlab}
steps=${2:-300}
cap=()
[ "$steps" != 0 ] && cap=(--steps "$steps")
"$bin" labs | python3 -c '
import json, sys
import os
only = [l for l in os.environ.get("LABS", "").split(",") if l]
for lab in json.load(sys.stdin):
    if only and lab["id"] not in only:
        continue
    print("capped #/" + lab["id"])
    for p in lab["presets"]:
        print("capped #/" + lab["id"] + "?v=1&" + p["query"])
    # Each smoke setting with every method it trains: every method hashed at least once.
    every = ",".join(m["id"] for m in lab["methods"])
    for q in lab["smoke"]:
        if "methods=" not in q:
            q += "&methods=" + every
        print("whole #/" + lab["id"] + "?v=1&" + q)
' | while read -r length link; do
    if [ "$length" = capped ]; then
        hash=$("$bin" run "$link" "${cap[@]}" --threads 2 | sha256sum | cut -c1-16)
    else
        hash=$("$bin" run "$link" --threads 2 | sha256sum | cut -c1-16)
    fi
    printf '%s  %s\n' "$hash" "$link"
done
