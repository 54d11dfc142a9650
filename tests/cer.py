#!/usr/bin/env python3
"""Character error rate of OCR output against ground truth.

    cer.py [--max RATE] TRUTH OUTPUT

Both files are read as UTF-8; all whitespace is dropped from both (line
breaks, and the spaces OCR puts or leaves out, are not errors).  The
rate is the edit distance (insertions, deletions, substitutions of
Unicode characters) divided by the number of characters of the truth.
Prints "RATE EDITS CHARS"; with --max, exits 1 when RATE is above it.
"""
import sys


def squeeze(text):
    """The characters of text, whitespace left out."""
    return [c for c in text if not c.isspace()]


def distance(truth, output):
    """Levenshtein distance between two character sequences, computed
    row by row over the shorter one (two rows of memory)."""
    if len(output) > len(truth):
        truth, output = output, truth
    above = list(range(len(output) + 1))
    for i, t in enumerate(truth, 1):
        row = [i] + [0] * len(output)
        for j, o in enumerate(output, 1):
            row[j] = min(above[j] + 1,            # t deleted
                         row[j - 1] + 1,          # o inserted
                         above[j - 1] + (t != o)) # kept or replaced
        above = row
    return above[-1]


def main(argv):
    limit = None
    if len(argv) >= 2 and argv[0] == "--max":
        limit = float(argv[1])
        argv = argv[2:]
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[0], encoding="utf-8", errors="replace") as f:
        truth = squeeze(f.read())
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        output = squeeze(f.read())
    edits = distance(truth, output)
    rate = edits / len(truth) if truth else float(len(output) > 0)
    print(f"{rate:.4f} {edits} {len(truth)}")
    return 1 if limit is not None and rate > limit else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
