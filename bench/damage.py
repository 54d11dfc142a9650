"""How much damage in scanned pages does dangan catch, against what the
decoders' own tools (djpeg, tiffcp, pdftoppm) say of the same files?
Driven by bench/damage.sh, which sets up the environment; see its
comment."""

import json
import os
import random
import re
import struct
import subprocess
import sys
import zlib

KINDS = ("flip1", "flip8", "zero")


def data_start(jpg):
    """Offset of the first scan's entropy-coded data (after SOS)."""
    sos = jpg.index(b"\xff\xda")
    return sos + 2 + (jpg[sos + 2] << 8 | jpg[sos + 3])


def damage(data, kind, rnd, lo, hi):
    """A copy of data damaged between lo and hi: the picture's data, not
    its headers nor (JPEG) its end marker."""
    b = bytearray(data)
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


def tiff_tags(t):
    """The first directory's tags of a little-endian TIFF: code -> value
    (the value itself for one SHORT or LONG, else its offset)."""
    ifd = struct.unpack("<I", t[4:8])[0]
    tags = {}
    for k in range(struct.unpack("<H", t[ifd:ifd + 2])[0]):
        code, kind, count, value = struct.unpack("<HHII", t[ifd + 2 + 12 * k:ifd + 14 + 12 * k])
        tags[code] = (value & 0xFFFF) if kind == 3 and count == 1 else value
    return tags


def gray_page(tif, work):
    """The pixels of the 8-bit gray TIFF page tif: (width, height, rows)."""
    subprocess.run(["tiffcp", "-c", "none", "-r", "100000", tif, work + "-gray.tif"], check=True)
    t = open(work + "-gray.tif", "rb").read()
    tags = tiff_tags(t)
    w, h = tags[256], tags[257]
    assert t[:4] == b"II*\0" and tags[258] == 8 and tags[277] == 1 and tags[262] == 1
    return w, h, t[tags[273]:tags[273] + w * h]


def g4_page(w, h, gray, work):
    """A bitonal G4 TIFF (libtiff's tiffcp) of the gray page of w x h,
    thresholded at half gray: (its bytes, where its one strip begins)."""
    black = bytes(1 if v < 128 else 0 for v in range(256))
    rows = bytearray()
    for y in range(h):
        row = gray[y * w:(y + 1) * w].translate(black) + bytes(7)
        rows += bytes(row[x] << 7 | row[x + 1] << 6 | row[x + 2] << 5 | row[x + 3] << 4 | row[x + 4] << 3 |
                      row[x + 5] << 2 | row[x + 6] << 1 | row[x + 7] for x in range(0, w, 8))
    entries = [(256, 4, w), (257, 4, h), (258, 3, 1), (259, 3, 1), (262, 3, 0), (273, 4, 8), (277, 3, 1),
               (278, 4, h), (279, 4, len(rows))]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", c, k, 1, v) for c, k, v in entries)
    open(work + "-raw.tif", "wb").write(b"II*\0" + struct.pack("<I", 8 + len(rows)) + rows + ifd + bytes(4))
    subprocess.run(["tiffcp", "-c", "g4", "-r", "100000", work + "-raw.tif", work + "-g4.tif"], check=True)
    g4 = open(work + "-g4.tif", "rb").read()
    tags = tiff_tags(g4)
    return g4, tags[273], tags[273] + tags[279]


def jpeg_size(jpg):
    """Width, height and components from the SOF marker."""
    i = 2
    while i + 4 <= len(jpg):
        marker, length = jpg[i + 1], jpg[i + 2] << 8 | jpg[i + 3]
        if marker in (0xC0, 0xC1, 0xC2):
            return (jpg[i + 7] << 8 | jpg[i + 8], jpg[i + 5] << 8 | jpg[i + 6], jpg[i + 9])
        i += 2 + length
    raise ValueError("no SOF marker")


def pdf_page(data, w, h, dpi, space, filt, out, pdfwrite):
    """One page showing the picture of w x h, whose data compressed
    with filt is data, at dpi."""
    pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
    c = b"q %.2f 0 0 %.2f 0 0 cm /Im Do Q" % (pw, ph)
    pdfwrite.write([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im 4 0 R >> >> "
        b"/Contents 5 0 R >>" % (pw, ph),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
        b"/Filter %s /Length %d >>\nstream\n" % (w, h, space, filt, len(data)) + data + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream",
    ], out)


def pdf_of(jpg, out, pdfwrite):
    """One page showing jpg at 300 dpi, DCTDecode, as a scanner writes it."""
    w, h, comps = jpeg_size(jpg)
    pdf_page(jpg, w, h, 300, b"/DeviceGray" if comps == 1 else b"/DeviceRGB", b"/DCTDecode", out, pdfwrite)


def pdf_flate(data, w, h, out, pdfwrite):
    """One page showing the gray picture of w x h whose Flate data is
    data, at 200 dpi, as a scanner's lossless PDF (or img2pdf) has it."""
    pdf_page(data, w, h, 200, b"/DeviceGray", b"/FlateDecode", out, pdfwrite)


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


def decoded(cmd, out):
    """The bytes cmd writes to out (None when it fails), and whether it
    printed anything on stderr (pdftoppm's "Syntax Warning"s on a
    picture's data among them)."""
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    said = r.returncode != 0 or r.stderr.strip() != b""
    data = open(out, "rb").read() if r.returncode == 0 and os.path.exists(out) else None
    if os.path.exists(out):
        os.unlink(out)
    return data, said


def main():
    run, dangan, config, fixtures, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    pages = sys.argv[6:]
    sys.path.insert(0, fixtures)
    import pdfwrite
    rnd = random.Random(20261124)
    rows = []  # (format, kind, file, pdf or None, pixels changed, peer warns, pdftoppm warns)
    for page in pages:
        base = os.path.join(run, os.path.basename(page))
        # (format, the data damaged, where its picture's data is, the
        # file made of it, the peer's command on that file to out)
        if page.endswith(".jpg"):
            data = open(page, "rb").read()
            forms = [("jpeg", data, data_start(data), len(data) - 2, lambda d, f: open(f, "wb").write(d),
                      ".jpg", lambda f, out: ["djpeg", "-outfile", out, f])]
        else:
            w, h, gray = gray_page(page, base)
            g4, lo, hi = g4_page(w, h, gray, base)
            flate = zlib.compress(gray, 6)
            forms = [("g4", g4, lo, hi, lambda d, f: open(f, "wb").write(d), ".tif",
                      lambda f, out: ["tiffcp", "-c", "none", f, out]),
                     ("flate", flate, 2, len(flate), lambda d, f, w=w, h=h: pdf_flate(d, w, h, f, pdfwrite),
                      ".pdf", lambda f, out: ["pdftoppm", "-singlefile", "-gray", "-r", "200", f, out[:-4]])]
        for fmt, data, lo, hi, make, ext, peer in forms:
            out_ext = ".pgm" if fmt == "flate" else ".out"
            make(data, base + "." + fmt + ".intact" + ext)
            intact, _ = decoded(peer(base + "." + fmt + ".intact" + ext, base + out_ext), base + out_ext)
            for kind in KINDS:
                for i in range(n):
                    stem = "%s-%s-%s-%02d" % (base, fmt, kind, i)
                    make(damage(data, kind, rnd, lo, hi), stem + ext)
                    out, warns = decoded(peer(stem + ext, stem + out_ext), stem + out_ext)
                    pdf, ppw = None, False
                    if fmt == "jpeg":
                        pdf = stem + ".pdf"
                        pdf_of(open(stem + ext, "rb").read(), pdf, pdfwrite)
                        ppw = says(["pdftoppm", "-r", "36", "-png", pdf, stem + "-ppm"])
                        for f in os.listdir(run):
                            if f.startswith(os.path.basename(stem) + "-ppm"):
                                os.unlink(os.path.join(run, f))
                    rows.append((fmt, kind, stem + ext, pdf, out != intact, warns, ppw))
        sys.stderr.write("bench: %s damaged %d times in each of %d ways\n" % (page, n, len(KINDS)))
    jo = dangan_outcomes(dangan, os.path.join(run, "store-files"), config, [r[2] for r in rows])
    pdfs = [r[3] for r in rows if r[3] is not None]
    po = dangan_outcomes(dangan, os.path.join(run, "store-pdf"), config, pdfs)
    print("%-11s %5s %8s | %6s %11s %8s %6s | %8s %8s %8s" % (
        "damage", "files", "changed", "peer", "dangan:quar", "suspect", "missed",
        "pdftoppm", "pdf:quar", "suspect"))
    print("%-11s %5s %8s | %6s %11s %8s %6s | %8s %8s %8s" % (
        "", "", "", "warns", "antined", "", "", "warns", "antined", ""))
    for fmt in ("jpeg", "g4", "flate"):
        for kind in KINDS + ("all",):
            sel = [r for r in rows if r[0] == fmt and (kind == "all" or r[1] == kind)]
            if not sel:
                continue
            changed = [r for r in sel if r[4]]
            q = sum(jo.get(r[2]) == "quarantined" for r in sel)
            sus = sum(jo.get(r[2]) == "suspect" for r in sel)
            missed = sum(jo.get(r[2]) == "whole" for r in changed)
            pdf = [r for r in sel if r[3] is not None]
            pcol = ("%8d %8d %8d" % (sum(r[6] for r in pdf), sum(po.get(r[3]) == "quarantined" for r in pdf),
                                     sum(po.get(r[3]) == "suspect" for r in pdf))) if pdf else "%8s %8s %8s" % ("-", "-", "-")
            print("%-11s %5d %8d | %6d %11d %8d %6d | %s" % (
                fmt + " " + kind, len(sel), len(changed), sum(r[5] for r in sel), q, sus, missed, pcol))
    print("\npeer: djpeg for JPEG, tiffcp -c none (libtiff) for G4 TIFF, pdftoppm for a PDF of a Flate picture")
    for fmt, what in (("jpeg", "JPEG files"), ("g4", "G4 TIFFs"), ("flate", "Flate pictures in PDF")):
        sel = [r for r in rows if r[0] == fmt]
        if not sel:
            continue
        caught = sum(jo.get(r[2]) in ("quarantined", "suspect") for r in sel)
        pw = sum(r[5] for r in sel)
        print("%s: dangan flags %d of %d damaged (quarantined or suspect-data); the peer warns of %d: "
              "ratio %s" % (what, caught, len(sel), pw, "%.2f" % (caught / pw) if pw else "inf"))
    if pdfs:
        pc = sum(po.get(p) in ("quarantined", "suspect") for p in pdfs)
        ppw = sum(r[6] for r in rows if r[3] is not None)
        print("JPEG pictures in PDF: dangan flags %d of %d; pdftoppm warns of %d: ratio %s"
              % (pc, len(pdfs), ppw, "%.2f" % (pc / ppw) if ppw else "inf"))


main()
