#!/usr/bin/env python3
"""Builds assets/digits.bin from assets/digits.csv.gz.

The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", CC BY 4.0; see
assets/DIGITS-LICENSE.md) ship as scikit-learn's sklearn/datasets/data/digits.csv.gz: 1,797
rows of 65 comma-separated numbers, 64 pixel values 0..16 (row-major) and then the label 0..9.
The crate has no gzip decoder, so src/data/digits.rs embeds this uncompressed binary copy
instead: 1,797 records of 65 bytes each (64 pixel bytes, then the label byte), in file order,
with no header (116,805 bytes). The script checks every value and is deterministic.

Usage: python3 scripts/make-digits-bin.py   (from anywhere; paths are relative to the repo)
"""
import gzip
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "assets" / "digits.csv.gz"
DST = ROOT / "assets" / "digits.bin"
IMAGES, PIXELS = 1797, 64


def main() -> None:
    out = bytearray()
    with gzip.open(SRC, "rt") as f:
        rows = [line.strip() for line in f if line.strip()]
    if len(rows) != IMAGES:
        sys.exit(f"expected {IMAGES} rows, found {len(rows)}")
    for i, line in enumerate(rows):
        values = [float(v) for v in line.split(",")]
        if len(values) != PIXELS + 1 or any(v != int(v) for v in values):
            sys.exit(f"row {i}: expected {PIXELS + 1} integers")
        pixels, label = [int(v) for v in values[:PIXELS]], int(values[PIXELS])
        if not all(0 <= p <= 16 for p in pixels) or not 0 <= label <= 9:
            sys.exit(f"row {i}: pixel outside 0..16 or label outside 0..9")
        out += bytes(pixels) + bytes([label])
    DST.write_bytes(bytes(out))
    print(f"wrote {DST.relative_to(ROOT)}: {IMAGES} images, {len(out)} bytes")


if __name__ == "__main__":
    main()
