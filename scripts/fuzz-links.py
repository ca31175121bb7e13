#!/usr/bin/env python3
"""Writes N fuzzed share links, one per line, for `methodlab link -` (a soak of the link parser,
not a CI test: CI keeps the 100 k fuzz in tests/links.rs).

Each link starts from a preset link of a lab (from `methodlab labs`) and is mutated: random
bytes flipped or inserted (raw, non-UTF-8 included), characters percent-encoded, keys repeated,
values swapped for out-of-range numbers, NaN, infinities, huge or over-long values, unknown
methods and knobs, and truncation. Seeded, so a run is repeatable.

usage: python3 scripts/fuzz-links.py N [SEED] < labs.json > links.txt
"""
import json
import random
import sys


def preset_links(labs):
    links = []
    for lab in labs:
        links.append(f"#/{lab['id']}?v=1")
        for p in lab["presets"]:
            q = p["query"]
            links.append(f"#/{lab['id']}?v=1" + (f"&{q}" if q else ""))
    return links


NASTY = ["NaN", "nan", "inf", "-inf", "1e309", "-1", "0", "1e-400", "9" * 40, "", "%", "%zz",
         "%00", "&&", "==", "=", "null", "true", "0x10", "1_000", " 1", "١", "🙂", "\u202e",
         "<script>", "..", "/", "\\", "#", "?"]


def mutate(link, rng, labs):
    b = bytearray(link.encode())
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9)
        if kind == 0 and b:  # flip a byte
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 1:  # insert raw bytes
            at = rng.randrange(len(b) + 1)
            b[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == 2 and b:  # percent-encode a stretch
            at = rng.randrange(len(b))
            stretch = b[at:at + rng.randint(1, 6)]
            b[at:at + len(stretch)] = "".join(f"%{c:02X}" for c in stretch).encode()
        elif kind == 3:  # a setting or knob with a nasty value
            lab = rng.choice(labs)
            keys = [s["key"] for s in lab["settings"]] + ["seed", "runs", "methods", "v"]
            keys += [f"{m['id']}.{k['key']}" for m in lab["methods"] for k in m["knobs"]]
            b += f"&{rng.choice(keys)}={rng.choice(NASTY)}".encode()
        elif kind == 4:  # an over-long value
            b += ("&seed=" + "7" * rng.choice([100, 10_000, 100_000])).encode()
        elif kind == 5:  # repeat a key
            b += b"&" + (link.split("&", 2)[-1] if "&" in link else "v=1").encode()
        elif kind == 6 and b:  # truncate
            del b[rng.randrange(len(b)):]
        elif kind == 7:  # unknown methods, long method lists
            b += ("&methods=" + ",".join(rng.choice(["x", "plain", "", "ewc", "a" * 50]) for _ in range(rng.randint(1, 200)))).encode()
        else:  # another lab's query on this lab
            other = rng.choice(labs)
            if other["presets"]:
                b += ("&" + rng.choice(other["presets"])["query"]).encode()
    # One link per line: a newline inside would split it.
    return bytes(b).replace(b"\n", b"%0A").replace(b"\r", b"%0D")


def main():
    n = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    labs = json.load(sys.stdin)
    bases = preset_links(labs)
    out = sys.stdout.buffer
    for i in range(n):
        if i % 10 == 0:  # pure noise now and then
            line = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
            line = line.replace(b"\n", b" ").replace(b"\r", b" ")
        else:
            line = mutate(rng.choice(bases), rng, labs)
        out.write(line + b"\n")


if __name__ == "__main__":
    main()
