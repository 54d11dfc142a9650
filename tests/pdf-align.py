#!/usr/bin/env python3
"""Whether a searchable PDF's picture lies under its text.

    pdf-align.py [--max OFFSET] PDF HOCR

Renders the first page of PDF in gray at 200 dpi (pdftoppm, of
poppler-utils) and takes the text lines of the first page of HOCR (its
boxes are in the pixels of the image OCR read, as tesseract writes
them), scaled to the rendered page.  For each line at least four times
as long as tall, the ink (pixels darker than mid-gray) of its left and
of its right quarter has a centre of height; its OFFSET is how far that
lies from the middle of the box, in heights of the box.  A picture
that is the page OCR read, at any resolution, has its ink centred in
every line (offsets of a few hundredths); one skewed, turned or
shifted against the boxes does not (a page skewed by 2 degrees: 0.3 at
the ends of its lines).  Prints "MEAN MAX QUARTERS" of the offsets;
with --max, exits 1 when MAX is over it, or when no line was measured.
"""
import re
import subprocess
import sys

DPI = 200


def render(pdf):
    """The first page as (width, height, bytes of 8-bit gray)."""
    pgm = subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(DPI), "-gray", pdf],
                         check=True, capture_output=True).stdout
    # P5 header: magic, width, height, maxval, each after whitespace
    fields, pos = [], 0
    while len(fields) < 4:
        while pgm[pos:pos + 1].isspace():
            pos += 1
        if pgm[pos:pos + 1] == b"#":
            pos = pgm.index(b"\n", pos)
            continue
        end = pos
        while end < len(pgm) and not pgm[end:end + 1].isspace():
            end += 1
        fields.append(pgm[pos:end])
        pos = end
    if fields[0] != b"P5" or fields[3] != b"255":
        sys.exit("pdf-align: pdftoppm did not write an 8-bit PGM")
    width, height = int(fields[1]), int(fields[2])
    return width, height, pgm[pos + 1:pos + 1 + width * height]


def lines(hocr):
    """The first page's (width, height) and its line boxes, from the hOCR."""
    text = open(hocr, encoding="utf-8").read()
    page = re.search(r"class=['\"]ocr_page['\"][^>]*?bbox 0 0 (\d+) (\d+)", text)
    if page is None:
        sys.exit("pdf-align: no ocr_page box in " + hocr)
    end = text.find("ocr_page", page.end())
    first = text[:end] if end >= 0 else text
    boxes = [tuple(int(v) for v in m.groups()) for m in re.finditer(
        r"class=['\"]ocr_(?:line|caption|textfloat|header)['\"][^>]*?bbox (\d+) (\d+) (\d+) (\d+)", first)]
    return int(page.group(1)), int(page.group(2)), boxes


def offsets(width, height, gray, sx, sy, boxes):
    """The offsets of the lines' end quarters (see above)."""
    out = []
    for x0, y0, x1, y1 in boxes:
        left, right = int(x0 * sx), min(width, int(x1 * sx))
        top, bottom = int(y0 * sy), min(height - 1, int(y1 * sy))
        tall = bottom - top
        if tall <= 0 or right - left < 4 * tall:
            continue
        quarter = (right - left) // 4
        for a, b in ((left, left + quarter), (right - quarter, right)):
            moment = ink = 0
            for y in range(top, bottom + 1):
                dark = sum(1 for v in gray[y * width + a:y * width + b] if v < 128)
                moment += dark * y
                ink += dark
            if ink:
                out.append(abs(moment / ink - (top + bottom) / 2) / tall)
    return out


def main(argv):
    limit = None
    if len(argv) > 1 and argv[1] == "--max":
        limit = float(argv[2])
        argv = argv[:1] + argv[3:]
    if len(argv) != 3:
        sys.exit(__doc__)
    width, height, gray = render(argv[1])
    pw, ph, boxes = lines(argv[2])
    found = offsets(width, height, gray, width / pw, height / ph, boxes)
    if not found:
        print("0 0 0")
        return 1 if limit is not None else 0
    worst = max(found)
    print("%.3f %.3f %d" % (sum(found) / len(found), worst, len(found)))
    return 1 if limit is not None and worst > limit else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
