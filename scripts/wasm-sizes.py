#!/usr/bin/env python3
"""Where a wasm's bytes go: each section's size (raw and gzipped), and its code by crate, by
module path or by function, from the wasm's name section. A figure script (issue 14), standard
library only.

The names are in cargo's output, not in dist/ (wasm-opt drops them), so build and point at that:
    cargo build --profile wasm-release --target wasm32-unknown-unknown --bin methodlab-web --features web
    python3 scripts/wasm-sizes.py target/wasm32-unknown-unknown/wasm-release/methodlab-web.wasm [--depth 2] [--top 30]
Depth 1 sums by crate, 2 by crate::module, and so on; --functions lists the largest functions.
Sizes are before wasm-opt, which shrinks code by about a third, evenly enough to compare parts.
"""

import argparse
import collections
import gzip
import re

SECTIONS = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
            6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
            12: "data count"}


def leb(data, i):
    """An unsigned LEB128 at `i`: (value, index after it)."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def sections(data):
    """(id, name of a custom section or '', start, end) of each section."""
    i, out = 8, []
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        name = ""
        if sid == 0:
            length, j = leb(data, i)
            name = data[j:j + length].decode("utf8", "replace")
        out.append((sid, name, i, i + size))
        i += size
    return out


def imported_functions(data, start):
    """How many functions the import section at `start` brings in (they come first in the index
    space, before the code section's bodies)."""
    count, i = leb(data, start)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module and field names
            length, i = leb(data, i)
            i += length
        kind = data[i]
        i += 1
        if kind == 0:  # function: a type index
            _, i = leb(data, i)
            functions += 1
        elif kind == 1:  # table: element type, limits
            flags, i = leb(data, i + 1)
            _, i = leb(data, i)
            if flags & 1:
                _, i = leb(data, i)
        elif kind == 2:  # memory: limits
            flags, i = leb(data, i)
            _, i = leb(data, i)
            if flags & 1:
                _, i = leb(data, i)
        elif kind == 3:  # global: value type, mutability
            i += 2
        else:
            raise ValueError(f"import kind {kind}")
    return functions


def body_sizes(data, start):
    """The byte size of each function body in the code section at `start`, in order."""
    count, i = leb(data, start)
    sizes = []
    for _ in range(count):
        size, j = leb(data, i)
        sizes.append(size + (j - i))
        i = j + size
    return sizes


def function_names(data, start, end):
    """Function index -> name, from the custom `name` section's function subsection."""
    length, i = leb(data, start)
    i += length
    names = {}
    while i < end:
        sub = data[i]
        size, i = leb(data, i + 1)
        if sub == 1:
            count, j = leb(data, i)
            for _ in range(count):
                index, j = leb(data, j)
                length, j = leb(data, j)
                names[index] = data[j:j + length].decode("utf8", "replace")
                j += length
        i += size
    return names


def path(name, depth):
    """The first `depth` components of a function's path: a legacy-mangled `_ZN…E` symbol's, or a
    demangled one's (an `<impl …>` or `<T as Trait>` first component is `<generic>`)."""
    if name.startswith("_ZN"):
        parts, i = [], 3
        while i < len(name) and name[i].isdigit():
            j = i
            while name[j].isdigit():
                j += 1
            length = int(name[i:j])
            parts.append(name[j:j + length])
            i = j + length
        if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
            parts.pop()
        if parts and parts[0].startswith("_$LT$"):
            return "<generic>"
    elif name.startswith("<"):
        return "<generic>"
    else:
        parts = re.sub(r"\[[0-9a-f]+\]", "", name).split("::")
    return "::".join(parts[:depth]) or name[:40]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wasm")
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--functions", action="store_true", help="the largest functions instead")
    args = parser.parse_args()
    data = open(args.wasm, "rb").read()
    found = sections(data)

    print(f"{'section':<22}{'bytes':>11}{'gzipped':>11}")
    for sid, name, start, end in found:
        label = f"custom {name}" if sid == 0 else SECTIONS.get(sid, str(sid))
        print(f"{label[:21]:<22}{end - start:>11,}{len(gzip.compress(data[start:end], 9)):>11,}")
    print(f"{'whole file':<22}{len(data):>11,}{len(gzip.compress(data, 9)):>11,}\n")

    imports = next((imported_functions(data, s) for sid, _, s, _ in found if sid == 2), 0)
    code = next((body_sizes(data, s) for sid, _, s, _ in found if sid == 10), [])
    names = next((function_names(data, s, e) for sid, n, s, e in found if n == "name"), {})
    if not names:
        print("no name section: point at cargo's output, not dist/ (see the top of this file)")
        return
    rows = [(size, names.get(imports + k, f"#{imports + k}")) for k, size in enumerate(code)]
    total = sum(size for size, _ in rows)
    if args.functions:
        for size, name in sorted(rows, reverse=True)[:args.top]:
            print(f"{size:>9,} {100 * size / total:5.1f}%  {name[:110]}")
        return
    by, count = collections.Counter(), collections.Counter()
    for size, name in rows:
        key = path(name, args.depth)
        by[key] += size
        count[key] += 1
    print(f"code by path (depth {args.depth}), {total:,} bytes in {len(rows):,} functions")
    for key, size in by.most_common(args.top):
        print(f"{size:>9,} {100 * size / total:5.1f}% {count[key]:>6}  {key}")


if __name__ == "__main__":
    main()
