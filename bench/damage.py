"""How much damage in scanned pages does dangan catch, against what the
decoders' own tools (djpeg, pdftoppm) say of the same files?  Driven by
bench/damage.sh, which sets up the environment; see its comment."""

import json
import os
import random
import re
import subprocess
import sys

KINDS = ("flip1", "flip8", "zero")


def data_start(jpg):
    """Offset of the first scan's entropy-coded data (after SOS)."""
    sos = jpg.index(b"\xff\xda")
    return sos + 2 + (jpg[sos + 2] << 8 | jpg[sos + 3])


def damage(jpg, kind, rnd):
    """A copy of jpg damaged in its picture's data, never in its headers
    nor in its last two bytes (the end marker)."""
    b = bytearray(jpg)
    lo, hi = data_start(jpg), len(jpg) - 2
    if kind == "flip1":
        b[rnd.randrange(lo, hi)] ^= 1 << rnd.randrange(8)
    elif kind == "flip8":
        for _ in range(8):
            b[rnd.randrange(lo, hi)] ^= 0xFF
    else:
        n = rnd.randrange(64, 4097)
        at = rnd.randrange(lo, max(lo + 1, hi - n))
        b[at:at + n] = bytes(min(n, hi - at))
    return bytes(b)


def jpeg_size(jpg):
    """Width, height and components from the SOF marker."""
    i = 2
    while i + 4 <= len(jpg):
        marker, length = jpg[i + 1], jpg[i + 2] << 8 | jpg[i + 3]
        if marker in (0xC0, 0xC1, 0xC2):
            return (jpg[i + 7] << 8 | jpg[i + 8], jpg[i + 5] << 8 | jpg[i + 6], jpg[i + 9])
        i += 2 + length
    raise ValueError("no SOF marker")


def pdf_of(jpg, out, pdfwrite):
    """One page showing jpg at 300 dpi, DCTDecode, as a scanner writes it."""
    w, h, comps = jpeg_size(jpg)
    pw, ph = w * 72.0 / 300, h * 72.0 / 300
    space = b"/DeviceGray" if comps == 1 else b"/DeviceRGB"
    c = b"q %.2f 0 0 %.2f 0 0 cm /Im Do Q" % (pw, ph)
    pdfwrite.write([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im 4 0 R >> >> "
        b"/Contents 5 0 R >>" % (pw, ph),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
        b"/Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, space, len(jpg)) + jpg + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream",
    ], out)


def says(cmd):
    """Whether the command printed anything on stderr, or failed."""
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return r.returncode != 0 or r.stderr.strip() != b""


def dangan_outcomes(dangan, store, config, files):
    """file -> quarantined / suspect / whole, from one ingest."""
    out = {}
    r = subprocess.run([dangan, "--store", store, "-q", "-c", config, "ingest", "--json"] + files,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    for line in r.stdout.decode().splitlines():
        j = json.loads(line)
        if "source" not in j:
            continue
        if j["outcome"] == "quarantined":
            out[j["source"]] = "quarantined"
            continue
        show = subprocess.run([dangan, "--store", store, "show", "--json", j["id"][7:23]],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False).stdout
        suspect = re.search(rb'"scan\.problems":\["[^"]*\bsuspect-data\b', show)
        out[j["source"]] = "suspect" if suspect else "whole"
    return out


def main():
    run, dangan, config, fixtures, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    pages = sys.argv[6:]
    sys.path.insert(0, fixtures)
    import pdfwrite
    rnd = random.Random(20261124)
    rows = []  # (kind, jpg path, pdf path, pixels changed, djpeg warns, pdftoppm warns)
    for page in pages:
        jpg = open(page, "rb").read()
        base = os.path.join(run, os.path.basename(page))
        subprocess.run(["djpeg", "-outfile", base + ".pnm", page], check=True)
        for kind in KINDS:
            for i in range(n):
                stem = "%s-%s-%02d" % (base, kind, i)
                open(stem + ".jpg", "wb").write(damage(jpg, kind, rnd))
                pdf_of(open(stem + ".jpg", "rb").read(), stem + ".pdf", pdfwrite)
                djw = says(["djpeg", "-outfile", stem + ".pnm", stem + ".jpg"])
                changed = not os.path.exists(stem + ".pnm") or subprocess.run(
                    ["cmp", "-s", stem + ".pnm", base + ".pnm"]).returncode != 0
                if os.path.exists(stem + ".pnm"):
                    os.unlink(stem + ".pnm")
                ppw = says(["pdftoppm", "-r", "36", "-png", stem + ".pdf", stem + "-ppm"])
                for f in os.listdir(run):
                    if f.startswith(os.path.basename(stem) + "-ppm"):
                        os.unlink(os.path.join(run, f))
                rows.append((kind, stem + ".jpg", stem + ".pdf", changed, djw, ppw))
        sys.stderr.write("bench: %s damaged %d times in each of %d ways\n" % (page, n, len(KINDS)))
    jo = dangan_outcomes(dangan, os.path.join(run, "store-jpg"), config, [r[1] for r in rows])
    po = dangan_outcomes(dangan, os.path.join(run, "store-pdf"), config, [r[2] for r in rows])
    print("%-6s %5s %8s | %6s %11s %8s %6s | %8s %8s %8s" % (
        "damage", "files", "changed", "djpeg", "dangan:quar", "suspect", "missed",
        "pdftoppm", "pdf:quar", "suspect"))
    print("%-6s %5s %8s | %6s %11s %8s %6s | %8s %8s %8s" % (
        "", "", "", "warns", "antined", "", "", "warns", "antined", ""))
    for kind in KINDS + ("all",):
        sel = [r for r in rows if kind == "all" or r[0] == kind]
        changed = [r for r in sel if r[3]]
        q = sum(jo.get(r[1]) == "quarantined" for r in sel)
        s = sum(jo.get(r[1]) == "suspect" for r in sel)
        missed = sum(jo.get(r[1]) == "whole" for r in changed)
        pq = sum(po.get(r[2]) == "quarantined" for r in sel)
        ps = sum(po.get(r[2]) == "suspect" for r in sel)
        print("%-6s %5d %8d | %6d %11d %8d %6d | %8d %8d %8d" % (
            kind, len(sel), len(changed), sum(r[4] for r in sel), q, s, missed,
            sum(r[5] for r in sel), pq, ps))
    caught = sum(jo.get(r[1]) in ("quarantined", "suspect") for r in rows)
    djw = sum(r[4] for r in rows)
    print("\ndangan flags %d of %d damaged JPEGs (quarantined or suspect-data); djpeg warns of %d: ratio %s"
          % (caught, len(rows), djw, "%.2f" % (caught / djw) if djw else "inf"))
    pc = sum(po.get(r[2]) in ("quarantined", "suspect") for r in rows)
    ppw = sum(r[5] for r in rows)
    print("dangan flags %d of %d PDFs with them; pdftoppm warns of %d: ratio %s"
          % (pc, len(rows), ppw, "%.2f" % (pc / ppw) if ppw else "inf"))


main()
