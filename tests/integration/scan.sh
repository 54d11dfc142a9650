#!/bin/sh
# The scan stage through the real command: the fixtures of
# tests/data/scan (how they were made: its README) are decoded and
# checked the way DA/T 31-2017 asks (pages, resolution, colour mode,
# blank/dark/light pages, kept and recorded); a PDF with a text layer
# gets a searchable text part; the options (pages, max-pages, ocr) work;
# hostile images and PDFs (decompression bombs, encrypted, truncated)
# are quarantined with a reason, the bombs without being decoded (peak
# memory stays low), and the store verifies.
. "$DG_SRCDIR/tests/lib.sh"

case ":$DANGAN_PLUGIN_PATH:" in
*":$DG_BUILDDIR/plugins/scan/.libs:"*) ;;
*) export DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_BUILDDIR/plugins/scan/.libs" ;;
esac
[ -f "$DG_BUILDDIR/plugins/scan/.libs/dg-scan.so" ] || skip_all "the scan plugin is not built"
fix="$DG_TEST_DATA/scan"
mal="$DG_TEST_DATA/malformed"

config() { # FILE [OPTION=VALUE...]: a pipeline with the scan and text stages
	out=$1
	shift
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<dangan xmlns="urn:dangan:config:1"><pipeline name="scan">'
		echo '<stage id="scan" plugin="scan" on-failure="quarantine">'
		for o in "$@"; do
			echo "<option name=\"${o%%=*}\">${o#*=}</option>"
		done
		echo '</stage><stage id="text" plugin="text"><match type="text/*"/></stage>'
		echo '</pipeline></dangan>'
	} >"$out"
}
docid() { sha256sum "$1" | cut -c1-16; }
outcome() { # NAME PATTERN: ingest --json's line for the file NAME, in $WORK/out, has the outcome PATTERN
	grep "/$1\"" "$WORK/out" | grep -q "\"outcome\":$2"
}
shown() { # STORE FILE: show --json of the document into $WORK/show
	"$DANGAN" --store "$1" show --json "$(docid "$2")" >"$WORK/show" 2>"$WORK/err"
}
has() { # PATTERN DESCRIPTION: the last shown document contains PATTERN
	grep -qF -- "$1" "$WORK/show"
	ok $? "$2"
}
hasnt() {
	! grep -qF -- "$1" "$WORK/show"
	ok $? "$2"
}

config "$WORK/scan.xml"
check "config with the scan stage is valid" dangan config check "$WORK/scan.xml"
check "plugins show scan documents its options" dangan plugins show scan
grep -q max-pixels "$WORK/out"
ok $? "max-pixels is documented"

# --- the good fixtures -----------------------------------------------------
S="$WORK/s1"
mkdir -p "$WORK/good"
cp "$fix"/*.tif "$fix"/*.png "$fix"/*.jpg "$fix"/*.jp2 "$fix"/*.j2k "$fix"/*.pbm "$fix"/*.bmp "$fix"/*.pdf "$WORK/good/"
check "ingest the scan fixtures" dangan --store "$S" -c "$WORK/scan.xml" ingest --json "$WORK/good"
is "$(grep -c '"outcome":"new"' "$WORK/out")" "$(ls "$WORK/good" | wc -l)" "every fixture is committed"

shown "$S" "$fix/two-page.tif"
has '"scan.pages":["2"]' "TIFF: two pages"
has '"scan.page.1.dpi":["300"]' "TIFF: 300 dpi from the file"
has '"scan.page.2.size":["1000x1400"]' "TIFF: page size"
has '"scan.page.2.problems":["blank"]' "TIFF: the blank page is detected"
has '"scan.blank-pages":["2"]' "TIFF: and recorded"
hasnt '"scan.page.1.problems"' "TIFF: the text page is not blank"
has '"scan.compression":["tiff-lzw"]' "TIFF: compression recorded"
has '"scan.colour-mode":["gray"]' "TIFF: colour mode gray"
has '"scan.resolution":["300"]' "TIFF: document resolution"
has '"status":"warn"' "TIFF: status warn for the blank page"
has 'blank, kept: page 2' "TIFF: the blank page is noted as kept"

shown "$S" "$fix/lowres-150.png"
has '"scan.page.1.dpi":["150"]' "PNG: 150 dpi"
has '"scan.page.1.problems":["low-resolution"]' "PNG: low-resolution"
has 'below min-dpi 200' "PNG: the note names min-dpi"
has '"status":"warn"' "PNG: status warn"

shown "$S" "$fix/colour.jpg"
has '"scan.page.1.colour":["colour"]' "JPEG: colour"
has '"scan.page.1.dpi":["200"]' "JPEG: JFIF density"
has '"scan.compression":["jpeg"]' "JPEG: compression"
has '"status":"ok"' "JPEG: no problem"

shown "$S" "$fix/cmyk.jpg"
has '"scan.page.1.colour":["colour"]' "CMYK JPEG (Adobe, inverted inks): colour"
has '"scan.page.1.size":["400x500"]' "CMYK JPEG: page size"
hasnt '"scan.page.1.problems"' "CMYK JPEG: the inks read the right way round (not too dark)"
has '"status":"ok"' "CMYK JPEG: no problem"

for f in page.jp2 page.j2k; do
	shown "$S" "$fix/$f"
	has '"scan.pages":["1"]' "JPEG 2000 ($f): scanned"
	has '"scan.page.1.size":["600x400"]' "JPEG 2000 ($f): page size"
	has '"scan.page.1.colour":["gray"]' "JPEG 2000 ($f): gray"
	has '"scan.compression":["jp2"]' "JPEG 2000 ($f): compression"
done

shown "$S" "$fix/page.bmp"
has '"scan.pages":["1"]' "BMP: scanned"
has '"scan.page.1.size":["300x200"]' "BMP: page size"
has '"scan.page.1.colour":["gray"]' "BMP: gray (a palette of grays)"
has '"scan.page.1.dpi":["300"]' "BMP: 300 dpi from the header"
has '"scan.compression":["bmp"]' "BMP: compression"

shown "$S" "$fix/bitonal.pbm"
has '"scan.page.1.colour":["bitonal"]' "PBM: bitonal"
has '"scan.page.1.dpi":["unknown"]' "PBM: no resolution in the file"
has '"scan.page.1.problems":["unknown-resolution"]' "PBM: unknown-resolution"

shown "$S" "$fix/too-dark.png"
has '"scan.page.1.problems":["too-dark"]' "too-dark page"
shown "$S" "$fix/too-light.png"
has '"scan.page.1.problems":["too-light"]' "too-light page"

shown "$S" "$fix/image-only.pdf"
has '"scan.text-layer":["none"]' "image PDF: no text layer"
has '"scan.page.1.dpi":["200"]' "image PDF: rendered at the native 200 dpi"
has '"scan.page.1.size":["1100x1500"]' "image PDF: native size"
has '"scan.ocr":["run"]' "image PDF: OCR needed"
hasnt '"role":"text"' "image PDF: no text part"

shown "$S" "$fix/text-layer.pdf"
has '"scan.text-layer":["all"]' "text PDF: text layer on every page"
has '"role":"text"' "text PDF: a text part"
has '"scan.ocr":["skip"]' "text PDF: OCR not needed"
hasnt '"scan.page.1.size"' "text PDF: not rendered"
check "text PDF: its text is searchable" dangan --store "$S" search textlayerprobe
grep -q "$(docid "$fix/text-layer.pdf" | cut -c1-12)" "$WORK/out"
ok $? "text PDF: found by a word of its text layer"
check "text PDF: cat --part text" dangan --store "$S" cat "$(docid "$fix/text-layer.pdf")" --part text
grep -q 'second page: the notice' "$WORK/out"
ok $? "text PDF: the text part has both pages"

# four bytes before the PDF header (a gateway's or a scanner's): still a
# PDF, as to every PDF reader (the header may be in the first 1024 bytes)
printf '\001\002\003\004' >"$WORK/late.pdf"
cat "$fix/text-layer.pdf" >>"$WORK/late.pdf"
check "ingest a PDF with bytes before its header" dangan --store "$S" -c "$WORK/scan.xml" ingest "$WORK/late.pdf"
shown "$S" "$WORK/late.pdf"
has '"media_type":"application/pdf"' "late header: typed as a PDF"
has '"scan.text-layer":["all"]' "late header: scanned, its text layer read"

# a PDF with a text layer on page 1 only: page 1 keeps its text and is
# not rendered; page 2 (empty) is rendered, for OCR, and found blank
shown "$S" "$fix/mixed.pdf"
has '"scan.text-layer":["partial"]' "mixed PDF: text on some pages"
hasnt '"scan.page.1.size"' "mixed PDF: the page with a text layer is not rendered"
has '"scan.page.2.problems":["blank"]' "mixed PDF: the other page rendered, and blank"
has '"scan.ocr":["run"]' "mixed PDF: OCR needed, for page 2"
has 'the text layer kept, the page not rendered (OCR reads the others): page 1 (1 of 2)' \
	"mixed PDF: a note names the page whose text layer is kept"
check "mixed PDF: cat --part text" dangan --store "$S" cat "$(docid "$fix/mixed.pdf")" --part text
python3 - "$WORK/out" <<'PY'
import sys
pages = open(sys.argv[1], encoding="utf-8").read().split("\f")
sys.exit(not (len(pages) == 3 and "mixedprobe only this page has text" in pages[0] and pages[1:] == ["", ""]))
PY
ok $? "mixed PDF: the text part has page 1's text layer, and a form feed after each page"

check "verify the store" dangan --store "$S" verify

# --- options -----------------------------------------------------------------
config "$WORK/pages.xml" pages=1
check "ingest with pages=1" dangan --store "$WORK/s2" -c "$WORK/pages.xml" ingest "$fix/two-page.tif"
shown "$WORK/s2" "$fix/two-page.tif"
has '"scan.skipped":["2"]' "pages=1: page 2 recorded as skipped"
hasnt '"scan.page.2.' "pages=1: page 2 not decoded"
has '"scan.page.1.dpi":["300"]' "pages=1: page 1 decoded"

config "$WORK/pages5.xml" pages=5-
check "ingest with pages=5- of a two-page TIFF" \
	dangan --store "$WORK/s2b" -c "$WORK/pages5.xml" ingest "$fix/two-page.tif"
shown "$WORK/s2b" "$fix/two-page.tif"
has 'option pages selects none of the 2 pages: no page read' "pages=5-: the note says no page was read"
has '"status":"warn"' "pages=5-: status warn, not ok"

# --- TIFF directories ----------------------------------------------------------
# from two-page.tif: cut before page 2's directory; page 1 given an
# Orientation (6: turned a quarter as it is read); ResolutionUnit 1
python3 -B - "$fix/two-page.tif" "$WORK" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
assert b[:4] == b"II*\0"
ifd = struct.unpack_from("<I", b, 4)[0]
n = struct.unpack_from("<H", b, ifd)[0]
ents = {struct.unpack_from("<H", b, ifd + 2 + 12 * i)[0]: b[ifd + 2 + 12 * i: ifd + 14 + 12 * i] for i in range(n)}
nxt = struct.unpack_from("<I", b, ifd + 2 + 12 * n)[0]
open(out + "/cut.tif", "wb").write(b[:nxt])  # page 2's directory is past the end
def with_tag(tag, value, name):
    e = dict(ents)
    e[tag] = struct.pack("<HHII", tag, 3, 1, value)  # SHORT, in the entry
    d = bytearray(b)
    d += b"\0" * (len(d) % 2)
    at = len(d)
    d += struct.pack("<H", len(e)) + b"".join(e[k] for k in sorted(e)) + struct.pack("<I", nxt)
    struct.pack_into("<I", d, 4, at)
    open(out + "/" + name, "wb").write(d)
def short(tag):
    typ = struct.unpack_from("<H", ents[tag], 2)[0]
    return struct.unpack_from("<H" if typ == 3 else "<I", ents[tag], 8)[0]
open(out + "/dims", "w").write("%dx%d\n" % (short(256), short(257)))
with_tag(274, 6, "orient6.tif")
with_tag(296, 1, "unitless.tif")
PY
check_fails "a TIFF cut before page 2's directory: exit 1" 1 dangan --store "$WORK/st" -c "$WORK/scan.xml" \
	ingest "$WORK/cut.tif"
grep -q "truncated or damaged TIFF: the directory of page 2 (at byte [0-9]*) is outside the file" "$WORK/err"
ok $? "the cut TIFF is quarantined as truncated, not stored as one page"
check "a TIFF whose page 1 has Orientation 6" dangan --store "$WORK/st" -c "$WORK/scan.xml" ingest "$WORK/orient6.tif"
size=$(cat "$WORK/dims")
shown "$WORK/st" "$WORK/orient6.tif"
has "\"scan.page.1.size\":[\"${size#*x}x${size%x*}\"]" "Orientation 6: page 1 read with its sides turned (${size} in the file)"
has '"scan.pages":["2"]' "Orientation 6: both pages read"
check "a TIFF with ResolutionUnit 1 (no unit)" dangan --store "$WORK/st" -c "$WORK/scan.xml" ingest "$WORK/unitless.tif"
shown "$WORK/st" "$WORK/unitless.tif"
has '"scan.page.1.dpi":["unknown"]' "ResolutionUnit 1: page 1's resolution is unknown, not 300 dpi"
has '"scan.page.2.dpi":["300"]' "ResolutionUnit 1: page 2 (inches) keeps its 300 dpi"

# TIFFs in tiles (leptonica reads strips only), read with libtiff's RGBA
# interface: the same pages, sizes, resolutions, colour modes and checks
# as the same TIFF in strips.  A page whose tiles are damaged is
# quarantined with libtiff's word; Orientation 5..8 in tiles is refused
python3 -B - "$WORK/bw.tif" <<'PY'
import struct, sys
w, h = 640, 800
rows = b"".join(bytes(0xff if 100 <= y < 700 and (y // 20) % 3 == 0 and 8 <= x < 72 else 0
                      for x in range(w // 8)) for y in range(h))
tags = [(256, 3, w), (257, 3, h), (258, 3, 1), (259, 3, 1), (262, 3, 0), (273, 4, 0), (277, 3, 1),
        (278, 3, h), (279, 4, len(rows)), (282, 5, 0), (283, 5, 0), (296, 3, 2)]
ifd, data = 8, 8 + 2 + 12 * len(tags) + 4
res, pix = data, data + 16
out = b""
for tag, kind, v in tags:
    if tag == 273:
        v = pix
    if kind == 5:
        out += struct.pack("<HHII", tag, 5, 1, res + (8 if tag == 283 else 0))
    else:
        out += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", v, 0) if kind == 3 else struct.pack("<I", v))
open(sys.argv[1], "wb").write(b"II*\0" + struct.pack("<I", ifd) + struct.pack("<H", len(tags)) + out +
                              b"\0\0\0\0" + struct.pack("<IIII", 300, 1, 300, 1) + rows)
PY
tiffcp -t -w 256 -l 256 "$fix/two-page.tif" "$WORK/tiled.tif"
tiffcp -t -w 128 -l 128 -c g4 "$WORK/bw.tif" "$WORK/tiled-g4.tif"
cp "$WORK/tiled.tif" "$WORK/tiled-turned.tif"
tiffset -s 274 6 "$WORK/tiled-turned.tif"
python3 -B - "$WORK/tiled.tif" "$WORK/tiled-damaged.tif" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(300, 3000):
    d[i] = (d[i] * 7 + 13) & 255
open(sys.argv[2], "wb").write(d)
PY
"$DANGAN" --store "$WORK/tiles" -c "$WORK/scan.xml" ingest --json "$WORK/tiled.tif" "$WORK/bw.tif" \
	"$WORK/tiled-g4.tif" "$WORK/tiled-turned.tif" "$WORK/tiled-damaged.tif" >"$WORK/out" 2>"$WORK/tiles.err"
scan_meta() { # STORE FILE: the scan stage's metadata but the compression
	"$DANGAN" --store "$1" show "$(docid "$2")" | grep '^  scan\.' | grep -v '^  scan\.compression '
}
scan_meta "$S" "$fix/two-page.tif" >"$WORK/strips.meta"
scan_meta "$WORK/tiles" "$WORK/tiled.tif" >"$WORK/tiles.meta"
cmp -s "$WORK/strips.meta" "$WORK/tiles.meta" && grep -q 'scan.page.2.problems = blank' "$WORK/tiles.meta"
ok $? "a gray LZW TIFF in tiles: the same 2 pages and checks as in strips"
scan_meta "$WORK/tiles" "$WORK/bw.tif" >"$WORK/strips.meta"
scan_meta "$WORK/tiles" "$WORK/tiled-g4.tif" >"$WORK/tiles.meta"
cmp -s "$WORK/strips.meta" "$WORK/tiles.meta" && grep -q 'scan.page.1.colour = bitonal' "$WORK/tiles.meta" &&
	grep -q 'scan.page.1.dpi = 300' "$WORK/tiles.meta"
ok $? "a G4 TIFF in tiles: bitonal, 300 dpi, as in strips"
# palette TIFFs (tiffmedian's) of a gray page and of a colour one, in
# strips (read by leptonica) and in tiles (libtiff): the same colour mode
python3 -B - "$WORK" <<'PY'
import sys
w, h = 400, 300
for name, ink in (("gray", (40, 40, 40)), ("colour", (200, 30, 30))):
    px = bytearray()
    for y in range(h):
        for x in range(w):
            px += bytes(ink if (y // 12) % 3 == 1 and 20 <= x < 380 else (250, 250, 250))
    open("%s/pal-%s.ppm" % (sys.argv[1], name), "wb").write(b"P6 %d %d 255\n" % (w, h) + px)
PY
for c in gray colour; do
	ppm2tiff -R 300 "$WORK/pal-$c.ppm" "$WORK/pal-$c-rgb.tif" &&
		tiffmedian -C 16 -c none "$WORK/pal-$c-rgb.tif" "$WORK/pal-$c.tif" &&
		tiffcp -t -w 128 -l 128 "$WORK/pal-$c.tif" "$WORK/pal-$c-tiled.tif" || echo "cannot make pal-$c.tif"
done
"$DANGAN" --store "$WORK/tiles" -c "$WORK/scan.xml" ingest "$WORK/pal-gray.tif" "$WORK/pal-gray-tiled.tif" \
	"$WORK/pal-colour.tif" "$WORK/pal-colour-tiled.tif" >"$WORK/pal.out" 2>&1
for c in gray colour; do
	scan_meta "$WORK/tiles" "$WORK/pal-$c.tif" >"$WORK/strips.meta"
	scan_meta "$WORK/tiles" "$WORK/pal-$c-tiled.tif" >"$WORK/tiles.meta"
	cmp -s "$WORK/strips.meta" "$WORK/tiles.meta" && grep -q "scan.page.1.colour = $c" "$WORK/tiles.meta"
	ok $? "a palette TIFF of a $c page in tiles: $c, as in strips"
done
outcome tiled-damaged.tif '"quarantined".*cannot decode the TIFF image (tiff-lzw): libtiff: [A-Za-z]'
ok $? "damaged tiles: quarantined with libtiff's word"
outcome tiled-turned.tif '"quarantined".*in tiles with Orientation 6 (a quarter turn) is not read'
ok $? "tiles with Orientation 6: refused with the reason"
! grep -v '^dangan: ' "$WORK/tiles.err" | grep -q .
ok $? "tiles: no decoder message on the terminal"

# TIFFs in strips that leptonica cannot read: quarantined with libtiff's
# own word and the row where the picture stops, or, for a strip past the
# end of the file (its directory first), as probably cut short
head -c 30000 "$WORK/bw.tif" >"$WORK/bw-cut.tif"
tiffcp -c zip -r 16 "$WORK/bw.tif" "$WORK/bw-zip.tif"
python3 -B - "$WORK/bw-zip.tif" "$WORK/bw-zip-damaged.tif" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(600, 640):
    d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)
PY
"$DANGAN" --store "$WORK/tiles" -c "$WORK/scan.xml" ingest --json "$WORK/bw-cut.tif" "$WORK/bw-zip.tif" \
	"$WORK/bw-zip-damaged.tif" >"$WORK/out" 2>"$WORK/strips.err"
outcome bw-cut.tif '"quarantined".*page 1: corrupt or truncated TIFF data (tiff-none): rows [0-9]* to [0-9]* end at byte [0-9]*, past the end of the file (30000 bytes): it was probably cut short'
ok $? "a TIFF cut inside its strip: quarantined as probably cut short"
outcome bw-zip.tif '"new"'
ok $? "the same page in strips of 16 rows, deflated: stored"
outcome bw-zip-damaged.tif '"quarantined".*page 1: corrupt or truncated TIFF data (tiff-zip): libtiff: ZIPDecode: Decoding error at scanline [0-9]*, [a-z].* (from row [1-9][0-9]* of 800)'
ok $? "... a damaged strip of it: quarantined with libtiff's word and the row"
! grep -v '^dangan: ' "$WORK/strips.err" | grep -q .
ok $? "strips: no decoder message on the terminal"
# old-style JPEG in TIFF (Compression 6, as imaging software of the
# 1990s wrote it), which leptonica does not read: read with libtiff, with
# a note; cut short inside its JPEG data, quarantined as cut short
djpeg -grayscale "$fix/colour.jpg" | cjpeg -quality 80 >"$WORK/gray.jpg"
python3 -B "$fix/ojpeg-tiff.py" "$fix/colour.jpg" "$WORK/ojpeg-colour.tif"
python3 -B "$fix/ojpeg-tiff.py" "$WORK/gray.jpg" "$WORK/ojpeg-gray.tif"
head -c "$(($(wc -c <"$WORK/ojpeg-gray.tif") / 2))" "$WORK/ojpeg-gray.tif" >"$WORK/ojpeg-cut.tif"
"$DANGAN" --store "$WORK/tiles" -c "$WORK/scan.xml" ingest --json "$WORK/ojpeg-colour.tif" "$WORK/ojpeg-gray.tif" \
	"$WORK/ojpeg-cut.tif" >"$WORK/out" 2>"$WORK/ojpeg.err"
for c in colour gray; do
	outcome ojpeg-$c.tif '"new"'
	ok $? "an old-style JPEG TIFF, $c: stored"
	shown "$WORK/tiles" "$WORK/ojpeg-$c.tif"
	has "\"scan.page.1.colour\":[\"$c\"]" "... a $c page"
	has '"scan.page.1.size":["800x1000"]' "... of 800x1000"
	has "page 1: read with libtiff's RGBA interface, as leptonica could not (Error in pixReadFromTiffStream: old style jpeg format is not supported); libtiff warns: OJPEGSetupDecode: Deprecated" \
		"... read with libtiff, noted with libtiff's warning"
done
outcome ojpeg-cut.tif '"quarantined".*page 1: corrupt or truncated TIFF data (tiff-ojpeg): rows 1 to 1000 end at byte [0-9]*, past the end of the file ([0-9]* bytes): it was probably cut short'
ok $? "an old-style JPEG TIFF cut short: quarantined as cut short"
! grep -v '^dangan: ' "$WORK/ojpeg.err" | grep -q .
ok $? "old-style JPEG: no decoder message on the terminal"

# a gray PNG with alpha (colour type 4: dark stripes on a transparent
# ground), which leptonica reads as RGBA: gray, on white
python3 -B - "$WORK/gray-alpha.png" <<'PY'
import struct, sys, zlib
w, h = 300, 200
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
rows = b"".join(b"\0" + b"".join(b"\x20\xff" if (y // 10) % 3 == 1 else b"\xff\x00" for x in range(w)) for y in range(h))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 4, 0, 0, 0)) +
       chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
PY
check "ingest a gray PNG with alpha" dangan --store "$WORK/st" -c "$WORK/scan.xml" ingest "$WORK/gray-alpha.png"
shown "$WORK/st" "$WORK/gray-alpha.png"
has '"scan.colour-mode":["gray"]' "gray with alpha: colour mode gray, not colour"
has '"scan.page.1.dpi":["300"]' "gray with alpha: 300 dpi from pHYs"
hasnt '"scan.page.1.problems":["blank"]' "gray with alpha: the transparent ground is white, the stripes ink"

# JPEGs read by libjpeg with its messages kept, none on the terminal:
# stray bytes among the headers, or the end marker missing after the
# last row, lose nothing (stored, noted); bytes left over after the
# picture's data may be an encoder's padding or damaged data read out of
# step (stored, with the problem suspect-data); a file cut short is
# quarantined with libjpeg's word and the row where it ends
python3 -B - "$fix/colour.jpg" "$WORK" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
assert d[-2:] == b"\xff\xd9"
open(sys.argv[2] + "/stray.jpg", "wb").write(d[:-2] + b"\0\0\0\0" + d[-2:])
open(sys.argv[2] + "/cut.jpg", "wb").write(d[:len(d) * 3 // 4])
open(sys.argv[2] + "/no-eoi.jpg", "wb").write(d[:-2])
q = d.find(b"\xff\xdb")  # the first quantisation table, among the headers
open(sys.argv[2] + "/head-stray.jpg", "wb").write(d[:q] + b"\x01\x02\x03" + d[q:])
# 1000 bytes of the picture's data zeroed: libjpeg reads on out of step
# without a warning, and its last row comes before the data's end
sos = d.find(b"\xff\xda")
at = sos + 2 + (d[sos + 2] << 8 | d[sos + 3])
at += (len(d) - at) * 4 // 10
open(sys.argv[2] + "/zeroed.jpg", "wb").write(d[:at] + bytes(1000) + d[at + 1000:])
# 8 bytes inverted, 97 apart, from a third of the picture's data: a code
# no encoder writes, which libjpeg's fast decoder would take for a zero
at = sos + 2 + (d[sos + 2] << 8 | d[sos + 3])
b = bytearray(d)
for k in range(8):
    b[at + (len(d) - at) // 3 + k * 97] ^= 0xff
open(sys.argv[2] + "/flipped.jpg", "wb").write(bytes(b))
PY
# the same with a restart marker after every row of blocks: stray bytes
# before the first
jpegtran -restart 1 -outfile "$WORK/rst.jpg" "$fix/colour.jpg"
python3 -B - "$WORK/rst.jpg" "$WORK/rst-stray.jpg" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
rst = d.index(b"\xff\xd0", d.index(b"\xff\xda"))
open(sys.argv[2], "wb").write(d[:rst] + b"\x01\x02" + d[rst:])
PY
"$DANGAN" --store "$WORK/st" -c "$WORK/scan.xml" ingest --json "$WORK/stray.jpg" "$WORK/cut.jpg" "$WORK/no-eoi.jpg" \
	"$WORK/head-stray.jpg" "$WORK/zeroed.jpg" "$WORK/rst-stray.jpg" "$WORK/flipped.jpg" >"$WORK/out" 2>"$WORK/jpeg.err"
outcome stray.jpg '"new"'
ok $? "a JPEG with stray bytes before its end marker is stored"
shown "$WORK/st" "$WORK/stray.jpg"
has "page 1: libjpeg: Corrupt JPEG data: 2 extraneous bytes before marker 0xd9 (bytes the picture's data did not need" \
	"... with libjpeg's word in a note: bytes the picture's data did not need"
has '"scan.page.1.problems":["suspect-data"]' "... the page has the problem suspect-data"
has "picture perhaps damaged (see the page's note), to be looked at: page 1" "... and a note of it"
has '"status":"warn"' "... and the document a warning"
outcome zeroed.jpg '"new"'
ok $? "a JPEG whose data has 1000 bytes zeroed, that libjpeg reads without a warning, is stored"
shown "$WORK/st" "$WORK/zeroed.jpg"
has '"scan.page.1.problems":["suspect-data"]' "... with the problem suspect-data"
has "extraneous bytes before marker 0xd9 (bytes the picture's data did not need" "... and libjpeg's word on them"
outcome head-stray.jpg '"new"'
ok $? "a JPEG with stray bytes among its headers is stored"
shown "$WORK/st" "$WORK/head-stray.jpg"
has 'page 1: libjpeg: Corrupt JPEG data: 3 extraneous bytes before marker 0xdb (nothing of the picture was lost)' \
	"... with libjpeg's word in a note: nothing lost"
hasnt 'suspect-data' "... and no problem"
outcome flipped.jpg '"quarantined".*corrupt or truncated JPEG data: Corrupt JPEG data: bad Huffman code (from row [0-9]* of 1000'
ok $? "a JPEG with bytes of its data inverted is quarantined: libjpeg's bad Huffman code, and the row"
outcome rst-stray.jpg '"new"'
ok $? "a JPEG with stray bytes before a restart marker is stored"
shown "$WORK/st" "$WORK/rst-stray.jpg"
has '"scan.page.1.problems":["suspect-data"]' "... with the problem suspect-data"
has "2 extraneous bytes before marker 0xd0 (bytes the picture's data did not need" "... and libjpeg's word on them"
outcome no-eoi.jpg '"new"'
ok $? "a JPEG whose end marker is missing after the last row is stored"
shown "$WORK/st" "$WORK/no-eoi.jpg"
has 'page 1: libjpeg: Premature end of JPEG file (nothing of the picture was lost)' "... with a note"
outcome cut.jpg '"quarantined".*corrupt or truncated JPEG data: Premature end of JPEG file (from row [0-9]* of 1000'
ok $? "a JPEG cut short is quarantined: libjpeg's word, and the row where the data ends"
! grep -v '^dangan: ' "$WORK/jpeg.err" | grep -q .
ok $? "no decoder message on the terminal"
# a progressive JPEG is read whole only once every scan is in: without
# its end marker, scans may be missing, and it is quarantined
jpegtran -progressive -copy all -outfile "$WORK/prog.jpg" "$fix/colour.jpg"
head -c $(($(wc -c <"$WORK/prog.jpg") - 2)) "$WORK/prog.jpg" >"$WORK/prog-no-eoi.jpg"
"$DANGAN" --store "$WORK/st" -c "$WORK/scan.xml" ingest --json "$WORK/prog.jpg" "$WORK/prog-no-eoi.jpg" \
	>"$WORK/out" 2>"$WORK/jpeg.err"
outcome prog.jpg '"new"'
ok $? "a progressive JPEG is stored"
grep '/prog-no-eoi.jpg"' "$WORK/out" |
	grep -q '"outcome":"quarantined".*Premature end of JPEG file (a progressive JPEG: scans may be missing'
ok $? "a progressive JPEG without its end marker is quarantined: scans may be missing"

# a JPEG's resolution from its EXIF when it has no JFIF density (an EXIF
# file, as cameras and some scanners write, has no JFIF header): in
# inches, in centimetres, in inches when ResolutionUnit is missing (its
# default); none when the unit is 1 (no absolute unit), the value is
# broken or EXIF gives none; the JFIF density first when both give one
python3 -B - "$fix/colour.jpg" "$WORK" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[2:4] == b"\xff\xe0"
app0 = d[2:4 + struct.unpack(">H", d[4:6])[0]]
def exif(name, entries, jfif=False):  # entries: (tag, value): a SHORT, or a RATIONAL (num, den)
    ifd, extra, base = struct.pack(">H", len(entries)), b"", 8 + 2 + 12 * len(entries) + 4
    for tag, v in sorted(entries):
        if isinstance(v, tuple):
            ifd += struct.pack(">HHII", tag, 5, 1, base + len(extra))
            extra += struct.pack(">II", *v)
        else:
            ifd += struct.pack(">HHIHH", tag, 3, 1, v, 0)
    app1 = b"Exif\0\0MM\0*" + struct.pack(">I", 8) + ifd + b"\0\0\0\0" + extra
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    open(sys.argv[2] + "/" + name, "wb").write(d[:2] + (app0 if jfif else b"") + seg + d[2 + len(app0):])
X, Y, U = 0x11a, 0x11b, 0x128
exif("exif-in.jpg", [(X, (300, 1)), (Y, (300, 1)), (U, 2)])
exif("exif-cm.jpg", [(X, (15748, 100)), (Y, (15748, 100)), (U, 3)])
exif("exif-nounit.jpg", [(X, (250, 1)), (Y, (250, 1))])
exif("exif-unit1.jpg", [(X, (300, 1)), (Y, (300, 1)), (U, 1)])
exif("exif-broken.jpg", [(X, (300, 0)), (Y, (300, 1)), (U, 2)])
exif("exif-none.jpg", [(0x112, 1)])
exif("jfif-exif.jpg", [(X, (72, 1)), (Y, (72, 1)), (U, 2)], jfif=True)
PY
"$DANGAN" --store "$WORK/exif" -c "$WORK/scan.xml" ingest --json "$WORK"/exif-*.jpg "$WORK/jfif-exif.jpg" \
	>"$WORK/out" 2>"$WORK/exif.err"
is "$(grep -c '"outcome":"new"' "$WORK/out")" 7 "EXIF resolution: every JPEG stored"
for c in exif-in:300 exif-cm:400 exif-nounit:250 exif-unit1:unknown exif-broken:unknown exif-none:unknown jfif-exif:200; do
	shown "$WORK/exif" "$WORK/${c%%:*}.jpg"
	has "\"scan.page.1.dpi\":[\"${c#*:}\"]" "EXIF resolution: ${c%%:*}.jpg at ${c#*:} dpi"
	case ${c#*:} in
	unknown) has '"scan.page.1.problems":["unknown-resolution"]' "... which is a problem" ;;
	200) hasnt "from the file's EXIF" "... the JFIF density's, with no EXIF note" ;;
	*) has "page 1: resolution ${c#*:}x${c#*:} dpi from the file's EXIF (no JFIF density)" "... and a note says so" ;;
	esac
done

# PNGs read by libpng with its messages kept, none on the terminal: cut
# short in its pixels, quarantined with where; its IEND chunk cut off,
# or a bad checksum on its resolution, stored with a note
python3 -B - "$fix/lowres-150.png" "$WORK" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[-12:] == b"\0\0\0\0IEND\xaeB`\x82"
open(sys.argv[2] + "/cut.png", "wb").write(d[:len(d) // 2])
open(sys.argv[2] + "/no-iend.png", "wb").write(d[:-12])
p = d.index(b"pHYs") + 4 + struct.unpack(">I", d[d.index(b"pHYs") - 4:d.index(b"pHYs")])[0]
open(sys.argv[2] + "/phys-crc.png", "wb").write(d[:p] + bytes([d[p] ^ 1]) + d[p + 1:])
PY
"$DANGAN" --store "$WORK/st" -c "$WORK/scan.xml" ingest --json "$WORK/cut.png" "$WORK/no-iend.png" \
	"$WORK/phys-crc.png" >"$WORK/out" 2>"$WORK/png.err"
outcome cut.png '"quarantined".*page 1: corrupt or truncated PNG data: the file ends after 3425 bytes: it was probably cut short (from row [0-9]* of'
ok $? "a PNG cut short is quarantined: where the file ends, and the row"
outcome no-iend.png '"new"'
ok $? "a PNG whose IEND chunk is cut off after the last row is stored"
shown "$WORK/st" "$WORK/no-iend.png"
has 'page 1: the file ends after 6838 bytes, before its IEND chunk: it was probably cut short (nothing of the picture was lost)' \
	"... with a note"
has '"scan.page.1.dpi":["150"]' "... and its resolution"
outcome phys-crc.png '"new"'
ok $? "a PNG with a bad checksum on its pHYs chunk is stored"
shown "$WORK/st" "$WORK/phys-crc.png"
has 'page 1: libpng warns: pHYs: CRC error (nothing of the picture was lost)' "... with libpng's word in a note"
has '"scan.page.1.dpi":["unknown"]' "... and no resolution (pHYs is not trusted)"
! grep -v '^dangan: ' "$WORK/png.err" | grep -q .
ok $? "PNG: no decoder message on the terminal"

# JPEG 2000, PNM and BMP, read by leptonica: cut short, the reason says
# so.  A BMP whose header says 20000x20000 is refused from the header
# (leptonica's header reader would decode it); one compressed (RLE),
# with leptonica's reason
for f in page.jp2 page.j2k bitonal.pbm page.bmp; do
	head -c $(($(wc -c <"$fix/$f") - 40)) "$fix/$f" >"$WORK/cut-$f"
done
python3 -B - "$fix/page.bmp" "$WORK" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
rle = bytearray(d)
struct.pack_into("<I", rle, 30, 1)
open(sys.argv[2] + "/rle.bmp", "wb").write(rle)
struct.pack_into("<ii", d, 18, 20000, -20000)
open(sys.argv[2] + "/bomb.bmp", "wb").write(d)
PY
"$DANGAN" --store "$WORK/st" -c "$WORK/scan.xml" ingest --json "$WORK/cut-page.jp2" "$WORK/cut-page.j2k" \
	"$WORK/cut-bitonal.pbm" "$WORK/cut-page.bmp" "$WORK/rle.bmp" "$WORK/bomb.bmp" >"$WORK/out" 2>"$WORK/cut.err"
for f in page.jp2 page.j2k; do
	grep "/cut-$f\"" "$WORK/out" | grep -q "\"outcome\":\"quarantined\".*cannot decode the jp2 image: .*; the file ([0-9]* bytes) does not end with the codestream's end marker (FF D9): it was probably cut short"
	ok $? "a JPEG 2000 file ($f) cut short: the reason says so"
done
outcome cut-bitonal.pbm '"quarantined".*cannot decode the pnm image: .*; the file (63971 bytes) is shorter than the pixels of a 640x800 image (64000 bytes): it was probably cut short'
ok $? "a PBM cut short: the reason says so, with the sizes"
outcome cut-page.bmp '"quarantined".*cannot decode the bmp image: .*; the file (61038 bytes) is shorter than the pixels of a 300x200 image (61078 bytes from its start): it was probably cut short'
ok $? "a BMP cut short: the reason says so, with the sizes"
outcome rle.bmp '"quarantined".*cannot decode the bmp image: Error in pixReadMemBmp: cannot read compressed BMP files'
ok $? "a compressed (RLE) BMP: quarantined with the reason"
outcome bomb.bmp '"quarantined".*page 1: 20000x20000 pixels exceeds max-pixels'
ok $? "a BMP whose header says 20000x20000 (top-down): refused from its header"
! grep -v '^dangan: ' "$WORK/cut.err" | grep -q .
ok $? "cut files: no decoder message on the terminal"
# pages where dark covers more than half: the median is not the paper.
# A photograph over the top 65 % above white paper; light stripes on a
# dark ground (5 %); a plain tinted sheet, which is blank
python3 -B - "$WORK/dark" <<'PY'
import struct, sys, zlib
w, h = 600, 800
def png(name, pixel):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    rows = b"".join(b"\0" + bytes(pixel(x, y) for x in range(w)) for y in range(h))
    open(sys.argv[1] + "-" + name + ".png", "wb").write(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
        chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1)) + chunk(b"IDAT", zlib.compress(rows)) +
        chunk(b"IEND", b""))
png("photo", lambda x, y: 40 if y < h * 65 // 100 else 250)
png("negative", lambda x, y: 250 if (y // 8) % 20 == 0 else 60)
png("tinted", lambda x, y: 128)
PY
check "ingest pages mostly dark, and a tinted blank sheet" dangan --store "$WORK/st" -c "$WORK/scan.xml" ingest \
	"$WORK/dark-photo.png" "$WORK/dark-negative.png" "$WORK/dark-tinted.png"
shown "$WORK/st" "$WORK/dark-photo.png"
hasnt '"scan.page.1.problems"' "a photograph over 65 % of the page: not blank, not too dark"
shown "$WORK/st" "$WORK/dark-negative.png"
hasnt '"scan.page.1.problems"' "light print on a dark ground: not blank"
shown "$WORK/st" "$WORK/dark-tinted.png"
has '"scan.page.1.problems":["blank"]' "a plain tinted sheet is still blank"

# a JPEG's EXIF Orientation (tests/data/ocr/en-exif-6.jpg: 480x640 rows,
# Orientation 6) rewritten to each value: the page decoded as it is to be
# shown, the turn in the history and the metadata; 1 (upright) and 9
# (no such value) leave it as it is stored
python3 -B - "$DG_TEST_DATA/ocr/en-exif-6.jpg" "$WORK/exif" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
entry = b"\x01\x12\x00\x03\x00\x00\x00\x01"  # Orientation, SHORT, 1 value (big-endian TIFF)
at = d.index(entry) + len(entry)
for o in (1, 3, 5, 8, 9):
    open("%s-%d.jpg" % (sys.argv[2], o), "wb").write(d[:at] + bytes([0, o]) + d[at + 2:])
PY
check "ingest a JPEG with each EXIF Orientation" dangan --store "$WORK/sx" -c "$WORK/scan.xml" ingest \
	"$WORK"/exif-[13589].jpg "$DG_TEST_DATA/ocr/en-exif-6.jpg"
for case in "1 480x640" "9 480x640" "3 480x640 turned 180 degrees" "5 640x480 mirrored left to right and turned 90 degrees anticlockwise" \
	"6 640x480 turned 90 degrees clockwise" "8 640x480 turned 90 degrees anticlockwise"; do
	set -- $case
	o=$1 size=$2
	shift 2
	f="$WORK/exif-$o.jpg"
	[ "$o" = 6 ] && f="$DG_TEST_DATA/ocr/en-exif-6.jpg"
	shown "$WORK/sx" "$f"
	has "\"scan.page.1.size\":[\"$size\"]" "EXIF Orientation $o: decoded $size"
	if [ $# -gt 0 ]; then
		has "page 1: $*, as the file's EXIF Orientation ($o) says" "EXIF Orientation $o: $* (history)"
		has "\"scan.page.1.exif-orientation\":[\"$o\"]" "EXIF Orientation $o: recorded"
	else
		hasnt 'exif-orientation' "EXIF Orientation $o: nothing turned, nothing recorded"
	fi
done
"$DANGAN" --store "$WORK/sx" cat "$(docid "$DG_TEST_DATA/ocr/en-exif-6.jpg")" >"$WORK/sx.orig" 2>"$WORK/err"
cmp -s "$DG_TEST_DATA/ocr/en-exif-6.jpg" "$WORK/sx.orig"
ok $? "EXIF Orientation: the original is kept bit for bit"

# a page of 20000 inches a side: refused as too large, not as "zero-size"
python3 -B - "$WORK/huge-page.pdf" "$fix" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import pdfwrite
pdfwrite.write([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 1440000 1440000] >>"], sys.argv[1])
PY
check_fails "a page of 20000 inches: exit 1" 1 dangan --store "$WORK/st" -c "$WORK/scan.xml" ingest "$WORK/huge-page.pdf"
grep -q "page 1: 1440000x1440000 points (20000x20000 inches) is too large a page" "$WORK/err"
ok $? "a page of 20000 inches: quarantined as too large"

# a scan option the stage refuses: no image passes as done unscanned,
# each is quarantined with the reason and comes back once it is fixed
config "$WORK/badpages.xml" pages=abc
check_fails "ingest with pages=abc: exit 1" 1 dangan --store "$WORK/sb" -c "$WORK/badpages.xml" \
	ingest -j 1 "$fix/two-page.tif" "$fix/colour.jpg" "$fix/bitonal.pbm"
dangan --store "$WORK/sb" quarantine ls --json >"$WORK/q.json"
is "$(jq length "$WORK/q.json")" 3 "pages=abc: all three images quarantined, not stored unscanned"
is "$(jq '[.[] | select(.reason | test("pages: .abc. is not a list of pages"))] | length' "$WORK/q.json")" 3 \
	"pages=abc: each with the option's error"
is "$(jq '[.[] | select(.reason | test("stage disabled for this run"))] | length' "$WORK/q.json")" 2 \
	"pages=abc: the later ones say the stage is disabled for the run"
is "$("$DANGAN" --store "$WORK/sb" ls --json | jq length)" 0 "pages=abc: nothing stored as done"
check "quarantine retry with the default scan options" dangan --store "$WORK/sb" -c "$WORK/scan.xml" quarantine retry
is "$("$DANGAN" --store "$WORK/sb" ls --json | jq '[.[] | select(.status != "quarantined")] | length')" 3 \
	"retry: the three images scanned and stored"

config "$WORK/maxpages.xml" max-pages=1
check_fails "ingest with max-pages=1" 1 dangan --store "$WORK/s3" -c "$WORK/maxpages.xml" ingest "$fix/two-page.tif"
check "quarantine ls" dangan --store "$WORK/s3" quarantine ls --json
grep -q '2 pages exceeds max-pages (1)' "$WORK/out"
ok $? "max-pages: quarantined with the reason"

config "$WORK/limits.xml" max-pixels=1M
check_fails "ingest with max-pixels=1M" 1 dangan --store "$WORK/s3b" -c "$WORK/limits.xml" ingest \
	"$fix/two-page.tif" "$fix/colour.jpg" "$fix/image-only.pdf"
check "quarantine ls" dangan --store "$WORK/s3b" quarantine ls --json
grep -q '1000x1400 pixels exceeds max-pixels (1M)' "$WORK/out"
ok $? "max-pixels: a page over it is refused"
grep -q 'PDF image 1100x1500 pixels exceeds max-pixels (1M)' "$WORK/out"
ok $? "max-pixels: a PDF's images are checked before it is rendered"
shown "$WORK/s3b" "$fix/colour.jpg"
has '"scan.pages":["1"]' "max-pixels: a page under it is decoded"
config "$WORK/render.xml" max-pixels=4M ocr=force
check_fails "ingest a vector PDF with max-pixels=4M, ocr=force" 1 dangan --store "$WORK/s3d" -c "$WORK/render.xml" \
	ingest "$fix/text-layer.pdf"
check "quarantine ls" dangan --store "$WORK/s3d" quarantine ls --json
grep -q 'page 1: 2480x3509 pixels at 300 dpi exceeds max-pixels (4M)' "$WORK/out"
ok $? "max-pixels: a PDF page is checked at the size it would be rendered at, before rendering"
# max-memory: past it, decoded pages go to the document's temporary
# directory, up to max-disk; a page must fit in max-memory on its own
config "$WORK/mem.xml" max-memory=2M max-disk=0
check_fails "ingest with max-memory=2M, max-disk=0" 1 dangan --store "$WORK/s3c" -c "$WORK/mem.xml" ingest \
	"$fix/two-page.tif"
check "quarantine ls" dangan --store "$WORK/s3c" quarantine ls --json
grep -q 'page 2: the decoded pages would need more than max-memory (2M) and max-disk (0)' "$WORK/out"
ok $? "max-memory and max-disk: a document whose pages do not fit is refused"
config "$WORK/mem1.xml" max-memory=1M
check_fails "ingest with max-memory=1M" 1 dangan --store "$WORK/s3e" -c "$WORK/mem1.xml" ingest "$fix/two-page.tif"
check "quarantine ls" dangan --store "$WORK/s3e" quarantine ls --json
grep -q 'page 1: decoded, it would need more than max-memory (1M)' "$WORK/out"
ok $? "max-memory: a page larger than it is refused"
config "$WORK/mem2.xml" max-memory=2M
check "ingest with max-memory=2M" dangan --store "$WORK/s3f" -c "$WORK/mem2.xml" ingest "$fix/two-page.tif"
shown "$WORK/s3f" "$fix/two-page.tif"
has '1 of 2 decoded pages (1 MiB) kept in the temporary directory: the pages past max-memory (2M)' \
	"max-memory: the page past it is kept on disk, as the history says"
has '"scan.page.2.problems":["blank"]' "max-memory: the page kept on disk was checked (blank)"

# a long document of colour pages: 24 copies of colour.jpg (800x1000,
# 3.1 MiB decoded) in one PDF; with max-memory=4M the process holds
# about one page at a time, with 4G all 24 (75 MiB)
if [ -x /usr/bin/time ]; then
	python3 -B - "$fix/colour.jpg" "$WORK/long.pdf" 24 "$fix" <<'PY'
import sys
sys.path.insert(0, sys.argv[4])
import pdfwrite
jpg = open(sys.argv[1], "rb").read()
n = int(sys.argv[3])
kids = " ".join("%d 0 R" % (3 + 3 * i) for i in range(n))
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)).encode()]
for i in range(n):
    img, content = 4 + 3 * i, 5 + 3 * i
    # 800x1000 pixels at 200 dpi: 288x360 points
    objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 360] /Resources << /XObject << /Im %d 0 R >> >> "
                 "/Contents %d 0 R >>" % (img, content)).encode())
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpg) + jpg + b"\nendstream")
    c = b"q 288 0 0 360 0 0 cm /Im Do Q"
    objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
pdfwrite.write(objs, sys.argv[2])
PY
	config "$WORK/long-mem.xml" max-memory=4G
	config "$WORK/long-disk.xml" max-memory=4M
	/usr/bin/time -f %M -o "$WORK/rss-mem" "$DANGAN" --store "$WORK/s3g" -q -c "$WORK/long-mem.xml" ingest \
		"$WORK/long.pdf" >"$WORK/out" 2>&1
	ok $? "a 24-page colour PDF, max-memory=4G"
	/usr/bin/time -f %M -o "$WORK/rss-disk" "$DANGAN" --store "$WORK/s3h" -q -c "$WORK/long-disk.xml" ingest \
		"$WORK/long.pdf" >"$WORK/out" 2>&1
	ok $? "the same with max-memory=4M"
	shown "$WORK/s3h" "$WORK/long.pdf"
	has '"scan.pages":["24"]' "max-memory=4M: all 24 pages decoded"
	grep -q '2[0-9] of 24 decoded pages ([0-9]* MiB) kept in the temporary directory' "$WORK/show"
	ok $? "... most of them kept on disk"
	in_mem=$(tail -n 1 "$WORK/rss-mem")
	on_disk=$(tail -n 1 "$WORK/rss-disk")
	echo "# peak RSS: $in_mem KiB with max-memory=4G, $on_disk KiB with 4M"
	[ $((in_mem - on_disk)) -ge $((48 * 1024)) ]
	ok $? "max-memory=4M holds at least 48 MiB less than 4G ($on_disk against $in_mem KiB)"
else
	for n in 1 2 3 4 5; do ok 0 "# SKIP /usr/bin/time is missing"; done
fi

# A scan with a stamp in text (a scanner app's name, 6 pt) on pages 1, 2
# and 4 of 4 has no text layer: its pages are read as scans.  The same scan with a
# page of invisible text over it (an OCR'd PDF) keeps its text layer.
python3 -B - "$fix/colour.jpg" "$WORK" "$fix" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import pdfwrite
jpg = open(sys.argv[1], "rb").read()
def scan(out, texts):
    n = len(texts)
    font = 3 + 3 * n
    kids = " ".join("%d 0 R" % (3 + 3 * i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)).encode()]
    for i, text in enumerate(texts):
        objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 360] /Resources << /XObject << /Im %d 0 R >> "
                     "/Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (4 + 3 * i, font, 5 + 3 * i)).encode())
        objs.append(b"<< /Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB "
                    b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpg) + jpg + b"\nendstream")
        c = b"q 288 0 0 360 0 0 cm /Im Do Q " + text
        objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pdfwrite.write(objs, out)
stamp = b"BT /F1 6 Tf 220 6 Td (CamScanner) Tj ET"
scan(sys.argv[2] + "/stamp.pdf", [stamp, stamp, b"", stamp])
scan(sys.argv[2] + "/stamp80.pdf", [b"" if i % 3 == 2 else stamp for i in range(80)])
lines = b" ".join(b"(Customer archive box 17: contract, page %d.) Tj 0 -14 Td" % i for i in range(22))
scan(sys.argv[2] + "/layered.pdf", [b"BT 3 Tr /F1 10 Tf 20 340 Td " + lines + b" ET"] * 2)
PY
check "ingest a stamped scan and an OCR'd one" dangan --store "$WORK/sst" -c "$WORK/scan.xml" \
	ingest "$WORK/stamp.pdf" "$WORK/layered.pdf"
shown "$WORK/sst" "$WORK/stamp.pdf"
has '"scan.text-layer":["none"]' "stamped scan: the stamp is no text layer"
has '"scan.ocr":["run"]' "stamped scan: its pages go to OCR"
has '"scan.pages":["4"]' "stamped scan: all four pages rendered"
has 'a stamp, a watermark) taken for no text layer, the page read as a scan: page 1-2,4 (3)' \
	"stamped scan: the note names the pages"
shown "$WORK/sst" "$WORK/layered.pdf"
has '"scan.text-layer":["all"]' "OCR'd scan: its text layer is kept"
has '"scan.ocr":["skip"]' "OCR'd scan: not read again"
check "ingest 80 pages, 54 of them stamped" dangan --store "$WORK/sst" -c "$WORK/scan.xml" ingest "$WORK/stamp80.pdf"
shown "$WORK/sst" "$WORK/stamp80.pdf"
has 'the page read as a scan: page 1-2,4-5,7-8,' "80 pages: the note gives the stamped pages as ranges"
has ',76-77,79-80 (54)"' "80 pages: the whole list, and the count"

# A scanned PDF whose image data is damaged: what poppler's decoders say
# drawing a page (a CCITT G4 page read out of step, a JPEG with a bad
# Huffman code) goes into a note, and the page has the problem
# suspect-data; the intact copy has neither.  The G4 data is libtiff's,
# from the PBM fixture written as an uncompressed TIFF.
python3 -B - "$fix/bitonal.pbm" "$WORK/raw.tif" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d.startswith(b"P4\n640 800\n")
bits = d[len(b"P4\n640 800\n"):]
tags = [(256, 3, 640), (257, 3, 800), (258, 3, 1), (259, 3, 1), (262, 3, 0), (273, 4, 8),
        (277, 3, 1), (278, 3, 800), (279, 4, len(bits))]
ifd = struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", t, k, 1, v) for t, k, v in tags) + b"\0" * 4
open(sys.argv[2], "wb").write(b"II*\0" + struct.pack("<I", 8 + len(bits)) + bits + ifd)
PY
tiffcp -c g4 -r 800 "$WORK/raw.tif" "$WORK/g4.tif"
python3 -B - "$WORK/g4.tif" "$fix/colour.jpg" "$WORK" "$fix" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[4])
import pdfwrite
t = open(sys.argv[1], "rb").read()
assert t[:4] == b"II*\0"
ifd = struct.unpack("<I", t[4:8])[0]
tag = {}
for k in range(struct.unpack("<H", t[ifd:ifd + 2])[0]):
    code, kind, count, value = struct.unpack("<HHII", t[ifd + 2 + 12 * k:ifd + 14 + 12 * k])
    tag[code] = value if kind == 4 else value & 0xffff
assert tag[259] == 4  # G4, in one strip
g4 = t[tag[273]:tag[273] + tag[279]]
jpg = open(sys.argv[2], "rb").read()
def pdf(out, g4, jpg):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>"]
    # page 1: 640x800 at 200 dpi, G4; page 2: colour.jpg at 200 dpi
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 230.4 288] /Resources << /XObject << /Im 4 0 R >> >> "
                b"/Contents 5 0 R >>")
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 640 /Height 800 /ColorSpace /DeviceGray "
                b"/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 640 /Rows 800 >> "
                b"/Length %d >>\nstream\n" % len(g4) + g4 + b"\nendstream")
    c = b"q 230.4 0 0 288 0 0 cm /Im Do Q"
    objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 360] /Resources << /XObject << /Im 7 0 R >> >> "
                b"/Contents 8 0 R >>")
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpg) + jpg + b"\nendstream")
    c = b"q 288 0 0 360 0 0 cm /Im Do Q"
    objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
    pdfwrite.write(objs, out)
def damage(data, every):
    b = bytearray(data)
    for k in range(20):
        b[len(b) // 3 + k * every] ^= 0xff
    return bytes(b)
pdf(sys.argv[3] + "/intact.pdf", g4, jpg)
pdf(sys.argv[3] + "/damaged.pdf", damage(g4, 7), damage(jpg, 97))
# the TIFF itself, for the test after this one: a byte of its strip
# inverted, and 64 bytes of it zeroed
at = tag[273] + tag[279] // 3
b = bytearray(t)
b[at] ^= 0xff
open(sys.argv[3] + "/g4-bad-code.tif", "wb").write(bytes(b))
open(sys.argv[3] + "/g4-zeroed.tif", "wb").write(t[:at] + bytes(64) + t[at + 64:])
PY
"$DANGAN" --store "$WORK/sdmg" -c "$WORK/scan.xml" ingest --json "$WORK/intact.pdf" "$WORK/damaged.pdf" \
	>"$WORK/out" 2>"$WORK/err"
outcome intact.pdf '"new"' && outcome damaged.pdf '"new"'
ok $? "a scanned PDF and its copy with damaged image data are both stored"
! grep -v '^dangan: ' "$WORK/err" | grep -q .
ok $? "... nothing of poppler's on the terminal"
shown "$WORK/sdmg" "$WORK/intact.pdf"
hasnt 'suspect-data' "intact: no problem suspect-data"
hasnt 'poppler, drawing it' "intact: no word from poppler"
shown "$WORK/sdmg" "$WORK/damaged.pdf"
has '"scan.page.1.problems":["suspect-data"]' "damaged: page 1 (G4) has the problem suspect-data"
grep -q 'page 1: poppler, drawing it: Syntax error at position [0-9]*: [^"]*CCITTFax' "$WORK/show"
ok $? "... with poppler's word on the CCITT data in a note"
has '"scan.page.2.problems":["suspect-data"]' "damaged: page 2 (JPEG) has the problem suspect-data"
has 'page 2: poppler, drawing it: Corrupt JPEG data' "... with libjpeg's word in a note"
has "picture perhaps damaged (see the page's note), to be looked at: page 1-2" "... and both pages in the summary note"
has '"status":"warn"' "... and the document a warning"
has 'page 2: image object 7: libjpeg: Corrupt JPEG data' "... and the JPEG's data read once more: libjpeg's word"

# The pictures' data read once more before poppler draws them: Flate
# with zlib (poppler checks no checksum, and draws what a stream cut
# short gives), JPEG with libjpeg's careful decoder (poppler's reads
# 1000 bytes zeroed without a word).  Six pages: a gray picture in
# Flate, whole, with one bit of its data changed, and cut to half; the
# colour JPEG with 1000 bytes of its data zeroed, drawn by a form; the
# same JPEG whole; a 64x64 gray picture whose Flate data gives 2 MiB
# (poppler reads the 4 KiB it needs).
python3 -B - "$fix/bitonal.pbm" "$fix/colour.jpg" "$WORK/pictures.pdf" "$fix" <<'PY'
import sys, zlib
sys.path.insert(0, sys.argv[4])
import pdfwrite
d = open(sys.argv[1], "rb").read()
assert d.startswith(b"P4\n640 800\n")
gray = bytes(0 if (b >> (7 - k)) & 1 else 255 for b in d[len(b"P4\n640 800\n"):] for k in range(8))
z = zlib.compress(gray, 9)
bit = bytearray(z)
bit[len(bit) // 2] ^= 0x01
jpg = open(sys.argv[2], "rb").read()
sos = jpg.find(b"\xff\xda")
at = sos + 2 + (jpg[sos + 2] << 8 | jpg[sos + 3])
at += (len(jpg) - at) * 4 // 10
zeroed = jpg[:at] + bytes(1000) + jpg[at + 1000:]
def stream(head, data):
    return b"<< " + head + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
flate = b"/Type /XObject /Subtype /Image /Width 640 /Height 800 /ColorSpace /DeviceGray /BitsPerComponent 8 " \
        b"/Filter /FlateDecode"
dct = b"/Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB /BitsPerComponent 8 " \
      b"/Filter /DCTDecode"
small = b"/Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8 " \
        b"/Filter /FlateDecode"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count 6 >>"
        % b" ".join(b"%d 0 R" % (3 + 3 * k) for k in range(6))]
for k, picture in enumerate([stream(flate, z), stream(flate, bytes(bit)), stream(flate, z[:len(z) // 2]),
                             stream(dct, zeroed), stream(dct, jpg),
                             stream(small, zlib.compress(bytes(2 << 20), 9))]):
    n = 3 + 3 * k  # the page, its picture, its contents
    if k < 3 or k == 5:
        box, draw = b"230.4 288", b"q 230.4 0 0 288 0 0 cm /Im Do Q"
    else:
        box, draw = b"288 360", b"q 288 0 0 360 0 0 cm /Im Do Q"
    if k == 3:  # the picture drawn by a form, the form by the page
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s] /Resources << /XObject << /Fm %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (box, n + 1, n + 2))
        objs.append(stream(b"/Type /XObject /Subtype /Form /BBox [0 0 %s] /Resources << /XObject << /Im 21 0 R >> >>"
                           % box, draw))
        objs.append(stream(b"", b"/Fm Do"))
        continue
    objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s] /Resources << /XObject << /Im %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (box, n + 1, n + 2))
    objs.append(picture)
    objs.append(stream(b"", draw))
objs.append(stream(dct, zeroed))  # the form's picture, the last object
assert len(objs) == 21
pdfwrite.write(objs, sys.argv[3])
PY
"$DANGAN" --store "$WORK/spic" -c "$WORK/scan.xml" ingest --json "$WORK/pictures.pdf" >"$WORK/out" 2>"$WORK/err"
outcome pictures.pdf '"new"'
ok $? "a PDF whose pictures' data is damaged on four of its six pages is stored"
! grep -v '^dangan: ' "$WORK/err" | grep -q .
ok $? "... nothing on the terminal"
shown "$WORK/spic" "$WORK/pictures.pdf"
hasnt '"scan.page.1.problems"' "page 1, Flate whole: no problem"
has '"scan.page.2.problems":["suspect-data"]' "page 2, one bit of the Flate data changed: suspect-data"
has 'page 2: image object 7: its Flate data is damaged (zlib: incorrect data check' "... with zlib's word in a note"
has '"scan.page.3.problems":["suspect-data"]' "page 3, the Flate data cut to half: suspect-data"
has "page 3: image object 10: its Flate data ends after" "... how much of the picture's 512000 bytes it gives, in a note"
grep -q "page 3: image object 10: its Flate data ends after [0-9]* of the picture's 512000 bytes" "$WORK/show"
ok $? "... of the picture's 512000 bytes"
has '"scan.page.4.problems":["suspect-data"]' "page 4, a JPEG with 1000 bytes zeroed, drawn by a form: suspect-data"
has "page 4: image object 21: libjpeg: Corrupt JPEG data: " "... with libjpeg's word in a note"
hasnt "page 4: poppler" "... of which poppler said nothing"
hasnt '"scan.page.5.problems"' "page 5, the JPEG whole: no problem"
grep -q '"scan.page.6.problems":\["[^"]*suspect-data"' "$WORK/show"
ok $? "page 6, Flate data giving 2 MiB for a 4 KiB picture (black): suspect-data"
has "page 6: image object 19: its Flate data gives more than four times the picture's 4096 bytes" "... with a note"
has "picture perhaps damaged (see the page's note), to be looked at: page 2-4,6" "... the four pages in the summary note"

# A progressive JPEG goes over the whole picture once a scan, and a scan
# can be a few bytes: a file of 1 MB with thousands of scans takes
# minutes to decode.  Past 100 scans (SCAN_JPEG_MAX_SCANS) a JPEG file
# is quarantined, and a PDF drawing such a picture too (poppler would
# spend the minutes); 100 scans (jpegtran's most) are read as any JPEG.
# scans.jpg: 256x256 gray, all blocks empty, 113 scans (the DC, then
# AC coefficients 1 to 8 each in 14 steps of precision).  In a PDF: a
# JPEG whose data begins after a stray newline (poppler skips to its
# start, and draws it whole), and three pages naming one damaged
# picture: each has its note.
python3 -B - "$WORK" "$fix/colour.jpg" "$fix" <<'PY'
import struct, sys, zlib
sys.path.insert(0, sys.argv[3])
import pdfwrite
def seg(m, body):
    return b"\xff" + bytes([m]) + struct.pack(">H", len(body) + 2) + body
class Bits:
    def __init__(self):
        self.b, self.acc, self.n = bytearray(), 0, 0
    def put(self, v, n):
        for i in range(n - 1, -1, -1):
            self.acc, self.n = self.acc << 1 | (v >> i) & 1, self.n + 1
            if self.n == 8:
                self.b += bytes([self.acc]) + (b"\0" if self.acc == 0xff else b"")
                self.acc = self.n = 0
    def end(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.b)
blocks = 32 * 32
j = b"\xff\xd8" + seg(0xdb, b"\0" + bytes([1] * 64)) + seg(0xc2, struct.pack(">BHHB", 8, 256, 256, 1) + b"\1\x11\0")
j += seg(0xc4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")  # DC: category 0, code 0
j += seg(0xc4, b"\x10" + bytes([1] + [0] * 15) + b"\xa0")  # AC: a run of 2^10 empty blocks, code 0
dc = Bits()
for _ in range(blocks):
    dc.put(0, 1)
j += seg(0xda, b"\1\1\0\0\0\0") + dc.end()
ac = Bits()
ac.put(0, 1)
ac = ac.end()
scans = 1
for k in range(1, 9):
    for al in range(13, -1, -1):
        j += seg(0xda, bytes([1, 1, 0, k, k, (0 if al == 13 else al + 1) << 4 | al])) + ac
        scans += 1
assert scans == 113
j += b"\xff\xd9"
open(sys.argv[1] + "/scans.jpg", "wb").write(j)
jpg = open(sys.argv[2], "rb").read()
def stream(head, data):
    return b"<< " + head + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
def pdf(name, pictures, pages=None):
    pages = pages or list(range(len(pictures)))
    n = len(pages)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + 2 * k) for k in range(n)), n)]
    for k, p in enumerate(pages):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 192 240] /Resources << /XObject << /Im %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (3 + 2 * n + p, 4 + 2 * k))
        objs.append(stream(b"", b"q 192 0 0 240 0 0 cm /Im Do Q"))
    objs += pictures
    pdfwrite.write(objs, sys.argv[1] + "/" + name)
gray = b"/Type /XObject /Subtype /Image /Width 256 /Height 256 /ColorSpace /DeviceGray /BitsPerComponent 8 "
rgb = b"/Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
pdf("scans.pdf", [stream(rgb + b"/Filter /DCTDecode", jpg), stream(gray + b"/Filter /DCTDecode", j)], [0, 1])
pdf("lead.pdf", [stream(rgb + b"/Filter /DCTDecode", b"\n" + jpg)])
z = bytearray(zlib.compress(bytes(range(256)) * 256, 9))
z[len(z) // 2] ^= 0x10
pdf("shared.pdf", [stream(gray + b"/Filter /FlateDecode", bytes(z))], [0, 0, 0])
PY
python3 -c '
def bands(n):  # coefficients 1 to 63 in n bands
    edges = [1 + 63 * i // n for i in range(n + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in range(n)]
s = ["0,1,2: 0-0, 0, 0;"] + ["0: %d-%d, 0, 0;" % b for b in bands(63)]
s += ["%d: %d-%d, 0, 0;" % ((c,) + b) for c in (1, 2) for b in bands(18)]
print("\n".join(s))' >"$WORK/100.scans"
jpegtran -scans "$WORK/100.scans" -outfile "$WORK/scans-100.jpg" "$fix/colour.jpg" && [ -s "$WORK/scans.jpg" ] &&
	[ -s "$WORK/scans.pdf" ] && [ -s "$WORK/lead.pdf" ] && [ -s "$WORK/shared.pdf" ]
ok $? "make JPEGs and PDFs of many scans (jpegtran: 100, the most it writes)"
[ "$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().count(b"\xff\xda"))' "$WORK/scans-100.jpg")" = 100 ]
ok $? "... the jpegtran one has 100 scans"
"$DANGAN" --store "$WORK/sscans" -c "$WORK/scan.xml" ingest --json "$WORK/scans.jpg" "$WORK/scans-100.jpg" \
	"$WORK/scans.pdf" "$WORK/lead.pdf" "$WORK/shared.pdf" >"$WORK/out" 2>"$WORK/err"
outcome scans.jpg '"quarantined".*page 1: cannot decode the JPEG: a progressive JPEG of more than 100 scans'
ok $? "a JPEG of 113 scans is quarantined: more than 100"
outcome scans-100.jpg '"new"'
ok $? "a JPEG of 100 scans is stored"
outcome scans.pdf '"quarantined".*page 2: image object [0-9]*: a progressive JPEG of more than 100 scans'
ok $? "a PDF drawing a JPEG of 113 scans on page 2 is quarantined, the page and picture named"
outcome lead.pdf '"new"'
ok $? "a PDF whose JPEG data begins after a stray newline is stored"
shown "$WORK/sscans" "$WORK/lead.pdf"
hasnt 'suspect-data' "... without the problem suspect-data (poppler skips to the JPEG's start)"
outcome shared.pdf '"new"'
ok $? "a PDF of three pages naming one damaged picture is stored"
shown "$WORK/sscans" "$WORK/shared.pdf"
for k in 1 2 3; do
	has "page $k: image object 9: its Flate data is damaged" "... page $k has the damage's note"
done
has "picture perhaps damaged (see the page's note), to be looked at: page 1-3" "... and the three pages in the summary"
! grep -v '^dangan: ' "$WORK/err" | grep -q .
ok $? "... nothing of libjpeg's or poppler's on the terminal"

# The same G4 data as a TIFF page (damaged copies written above), which
# leptonica reads keeping whatever rows a damaged strip gives: libtiff
# decodes it again with its messages kept.  A byte inverted (a code no
# encoder writes) is quarantined with libtiff's word; 64 bytes zeroed
# (rows that end early) are stored with the problem suspect-data and
# libtiff's warning in a note.
"$DANGAN" --store "$WORK/sdmg" -c "$WORK/scan.xml" ingest --json "$WORK/g4.tif" "$WORK/g4-bad-code.tif" \
	"$WORK/g4-zeroed.tif" >"$WORK/out" 2>"$WORK/err"
outcome g4.tif '"new"'
ok $? "an intact G4 TIFF is stored"
shown "$WORK/sdmg" "$WORK/g4.tif"
hasnt 'suspect-data' "... without the problem suspect-data"
outcome g4-bad-code.tif '"quarantined".*corrupt TIFF data (tiff-g4): libtiff: Fax4Decode: Bad code word at line [0-9]* of strip 0'
ok $? "a G4 TIFF with a byte of its data inverted is quarantined with libtiff's word"
outcome g4-zeroed.tif '"new"'
ok $? "a G4 TIFF with 64 bytes of its data zeroed is stored"
shown "$WORK/sdmg" "$WORK/g4-zeroed.tif"
has '"scan.page.1.problems":["unknown-resolution,suspect-data"]' "... with the problem suspect-data"
has 'page 1: libtiff warns: Fax4Decode: Premature EOL at line' "... and libtiff's warning in a note"
! grep -v '^dangan: ' "$WORK/err" | grep -q .
ok $? "... and nothing of libtiff's on the terminal"

# Each page's resolution is that of the image drawn on it when the file
# holds images of several sizes besides (here one unused, 600x750, as a
# soft mask or an alternate image would be) and in another order: page
# 1 draws a 800x1000 image (200 dpi on its 4x5 inches), page 2 a
# 400x500 one (100 dpi) that the file holds first
python3 -B - "$WORK/order.pdf" "$fix" <<'PY'
import sys, zlib
sys.path.insert(0, sys.argv[2])
import pdfwrite
def img(w, h):
    rows = b"".join(bytes([0 if (y // 20) % 4 == 1 and 40 < x < w - 40 else 255 for x in range(w)]) for y in range(h))
    z = zlib.compress(rows)
    return (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, len(z)) + z + b"\nendstream")
c = b"q 288 0 0 360 0 0 cm /Im Do Q"
page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 360] /Resources << /XObject << /Im %d 0 R >> >> /Contents 5 0 R >>"
pdfwrite.write([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
                (page % 7).encode(), (page % 6).encode(), b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream",
                img(400, 500), img(800, 1000), img(600, 750)], sys.argv[1])
PY
check "ingest a PDF with images of three sizes for its two pages" \
	dangan --store "$WORK/sor" -c "$WORK/scan.xml" ingest "$WORK/order.pdf"
shown "$WORK/sor" "$WORK/order.pdf"
has '"scan.page.1.dpi":["200"]' "images of three sizes: page 1 at its image's 200 dpi"
has '"scan.page.1.size":["800x1000"]' "images of three sizes: page 1 rendered at 200 dpi"
has '"scan.page.2.dpi":["100"]' "images of three sizes: page 2 at its image's 100 dpi"
has '"scan.page.2.problems":["low-resolution"]' "images of three sizes: page 2 only is low-resolution"
hasnt '"scan.page.1.problems"' "images of three sizes: page 1 has no problem"

# PDF pages dealt to several renderers come back in page order: five
# pages that differ (colour.jpg drawn at 200, 250 and 400 dpi, a page
# with no image, 160 dpi) read the same with one renderer as with three,
# whole or in part (pages=2-5: the selected pages are dealt, not all)
python3 -B - "$fix/colour.jpg" "$WORK/dealt.pdf" "$fix" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
import pdfwrite
jpg = open(sys.argv[1], "rb").read()
dpis = [200, 250, 0, 400, 160]
kids = " ".join("%d 0 R" % (3 + 3 * i) for i in range(len(dpis)))
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(dpis))).encode()]
for i, dpi in enumerate(dpis):
    img, content = 4 + 3 * i, 5 + 3 * i
    w, h = (800 * 72 / dpi, 1000 * 72 / dpi) if dpi else (288, 360)
    objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /XObject << /Im %d 0 R >> >> "
                 "/Contents %d 0 R >>" % (w, h, img, content)).encode())
    objs.append(b"<< /Type /XObject /Subtype /Image /Width 800 /Height 1000 /ColorSpace /DeviceRGB "
                b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(jpg) + jpg + b"\nendstream")
    c = ("q %g 0 0 %g 0 0 cm /Im Do Q" % (w, h)).encode() if dpi else b""
    objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
pdfwrite.write(objs, sys.argv[2])
PY
same_pages() { # STORE: the dealt PDF's history and metadata, without times
	"$DANGAN" --store "$1" show "$(docid "$WORK/dealt.pdf")" |
		grep -v -E '^ +[0-9]{4}-[0-9]{2}-[0-9]{2}T|^ +(pdf|version)' | sed 's/; [0-9]* ms$//'
}
for sel in "" 2-5; do
	config "$WORK/r1.xml" renderers=1 ${sel:+pages=$sel}
	config "$WORK/r3.xml" renderers=3 ${sel:+pages=$sel}
	check "a 5-page PDF${sel:+, pages $sel}, one renderer" dangan --store "$WORK/r1$sel" -c "$WORK/r1.xml" ingest \
		"$WORK/dealt.pdf"
	check "... three renderers" dangan --store "$WORK/r3$sel" -c "$WORK/r3.xml" ingest "$WORK/dealt.pdf"
	same_pages "$WORK/r1$sel" >"$WORK/r1.show"
	same_pages "$WORK/r3$sel" >"$WORK/r3.show"
	cmp -s "$WORK/r1.show" "$WORK/r3.show"
	ok $? "... the same pages, checks and metadata either way${sel:+ (pages $sel)}"
	shown "$WORK/r3$sel" "$WORK/dealt.pdf"
	if [ -z "$sel" ]; then
		has '"scan.page.1.dpi":["200"]' "three renderers: page 1 at 200 dpi"
	else
		has '"scan.skipped":["1"]' "three renderers, pages 2-5: page 1 skipped"
	fi
	has '"scan.page.2.dpi":["250"]' "... page 2 at 250 dpi"
	has '"scan.page.3.size":["1200x1500"]' "... page 3, without an image, rendered at 300 dpi"
	has '"scan.page.3.problems":["blank"]' "... and blank"
	has '"scan.page.4.dpi":["400"]' "... page 4 at 400 dpi"
	has '"scan.page.5.dpi":["160"]' "... page 5 at 160 dpi"
done

# the pages of one document prepared by several threads (prep's
# threads): six pages that prep treats differently (a skewed page and a
# clean one scaled down, a blurred one, a small noisy one, a 150 dpi
# page scaled up, a dark one), as a scanner's PDF (the PNGs' own
# compressed data, as img2pdf embeds it).  One thread or three, with
# the pages in memory or past max-memory (decoded and prepared pages in
# the temporary directory), the history and the metadata are the same
python3 -B - "$WORK/prep6.pdf" "$fix" "$DG_TEST_DATA/ocr/zh-skew.png" 300 "$DG_TEST_DATA/ocr/zh-clean.png" 300 \
	"$DG_TEST_DATA/ocr/zh-blurred.png" 300 "$DG_TEST_DATA/ocr/noise.png" 300 "$fix/lowres-150.png" 150 \
	"$fix/too-dark.png" 300 <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
import pdfwrite
pages = list(zip(sys.argv[3::2], map(int, sys.argv[4::2])))
kids = " ".join("%d 0 R" % (3 + 3 * i) for i in range(len(pages)))
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", ("<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages))).encode()]
for i, (png, dpi) in enumerate(pages):
    data, pos, idat = open(png, "rb").read(), 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[pos + 8:pos + 21])
            assert depth == 8 and colour == 0 and interlace == 0, png
        elif kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    pw, ph = w * 72 / dpi, h * 72 / dpi
    objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources << /XObject << /Im %d 0 R >> >> "
                 "/Contents %d 0 R >>" % (pw, ph, 4 + 3 * i, 5 + 3 * i)).encode())
    objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
                b"/Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns %d >> "
                b"/Length %d >>\nstream\n" % (w, h, w, len(idat)) + idat + b"\nendstream")
    c = ("q %g 0 0 %g 0 0 cm /Im Do Q" % (pw, ph)).encode()
    objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
pdfwrite.write(objs, sys.argv[1])
PY
prep_config() { # FILE THREADS MAX-MEMORY: scan, prep and text stages
	cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1"><pipeline name="scan">
<stage id="scan" plugin="scan" on-failure="quarantine"><option name="max-memory">$3</option></stage>
<stage id="prep" plugin="prep"><match type="image/*"/><match type="application/pdf"/><option name="threads">$2</option></stage>
<stage id="text" plugin="text"><match type="text/*"/></stage>
</pipeline></dangan>
EOF
}
prep_shown() { # STORE: the six-page PDF's history and metadata, without times
	"$DANGAN" --store "$1" show "$(docid "$WORK/prep6.pdf")" |
		grep -v -E '^ +[0-9]{4}-[0-9]{2}-[0-9]{2}T|^ +(pdf|version)' | sed 's/; [0-9]* ms$//'
}
for mem in 1G 20M; do
	for t in 1 3; do
		prep_config "$WORK/prep$t.xml" $t $mem
		check "a six-page PDF prepared by $t thread(s), max-memory $mem" dangan --store "$WORK/p$t$mem" \
			-c "$WORK/prep$t.xml" ingest -j 1 "$WORK/prep6.pdf"
		prep_shown "$WORK/p$t$mem" >"$WORK/p$t.show"
	done
	cmp -s "$WORK/p1.show" "$WORK/p3.show"
	ok $? "... the same history and metadata with one thread or three (max-memory $mem)"
	miss=
	for n in 1 2 3 4 5 6; do
		grep -q "page $n: binarisation: " "$WORK/p3.show" || miss="$miss $n"
	done
	[ -z "$miss" ]
	ok $? "... a binarisation note for each of the six pages${miss:+ (none for page$miss)}"
	grep -q 'page 1: deskewed -\{0,1\}[12]\.[0-9]*°' "$WORK/p3.show" &&
		grep -q 'page 5: scaled 150→300 dpi' "$WORK/p3.show" &&
		[ "$(grep -o '^ *page [0-9]*:' "$WORK/p3.show" | tr -d ' ' | uniq | tr '\n' ,)" = \
			"page1:,page2:,page3:,page4:,page5:,page6:," ]
	ok $? "... page 1 deskewed, page 5 scaled up, each page's notes together, in page order"
done
grep -q 'kept in the temporary directory' "$WORK/p3.show"
ok $? "max-memory 20M: pages were kept in the temporary directory"

config "$WORK/force.xml" ocr=force
check "ingest with ocr=force" dangan --store "$WORK/s4" -c "$WORK/force.xml" ingest "$fix/text-layer.pdf" "$fix/two-page.tif" \
	"$fix/mixed.pdf"
shown "$WORK/s4" "$fix/text-layer.pdf"
has '"scan.ocr":["run"]' "ocr=force: OCR even with a text layer"
has '"scan.page.2.size":["2480x3509"]' "ocr=force: the pages are rendered (no image: 300 dpi)"
has '"scan.page.1.dpi":["none"]' "ocr=force: a page without a scanned image has no scan resolution"
has '"role":"text"' "ocr=force: the text layer is still kept"
shown "$WORK/s4" "$fix/mixed.pdf"
has '"scan.page.1.size":["2480x3509"]' "ocr=force: a mixed PDF's page with a text layer is rendered too"
hasnt 'the text layer kept, the page not rendered' "ocr=force: no page kept for its text layer"

config "$WORK/skip.xml" ocr=skip
check "ingest with ocr=skip" dangan --store "$WORK/s5" -c "$WORK/skip.xml" ingest "$fix/two-page.tif" "$fix/mixed.pdf"
shown "$WORK/s5" "$fix/two-page.tif"
has '"scan.ocr":["skip"]' "ocr=skip: recorded"
has '"scan.page.2.problems":["blank"]' "ocr=skip: the pages are still checked"
shown "$WORK/s5" "$fix/mixed.pdf"
has '"role":"text"' "ocr=skip: a mixed PDF keeps the text of its text layer"
hasnt '"scan.page.1.size"' "ocr=skip: a mixed PDF's page with a text layer is not rendered"
has '"scan.page.2.problems":["blank"]' "ocr=skip: a mixed PDF's other page is checked"
has 'the text layer kept, the page not rendered: page 1 (1 of 2)' "ocr=skip: the note says which page kept its text"

config "$WORK/bad.xml" ocr=maybe
"$DANGAN" --store "$WORK/s6" -c "$WORK/bad.xml" ingest "$fix/colour.jpg" >"$WORK/out" 2>"$WORK/err"
grep -q "not auto, skip, force or redo" "$WORK/err"
ok $? "a wrong ocr value is refused with a message"

# a PDF whose pages can all be read but whose end is missing (the last
# bytes, %%EOF, cut off): stored, with a warning that it may be cut short
head -c $(($(wc -c <"$fix/image-only.pdf") - 6)) "$fix/image-only.pdf" >"$WORK/no-eof.pdf"
"$DANGAN" --store "$WORK/s6" -c "$WORK/scan.xml" ingest --json "$WORK/no-eof.pdf" >"$WORK/out" 2>"$WORK/err"
grep -q '"new":1,.*"quarantined":0,"warnings":1,' "$WORK/out"
ok $? "a PDF without %%EOF at its end: stored, with a warning"
shown "$WORK/s6" "$WORK/no-eof.pdf"
has '"scan.cut-short":["true"]' "... recorded as maybe cut short"
has 'the file does not end with %%EOF: it may have been cut short' "... and noted"
shown "$S" "$fix/image-only.pdf"
hasnt '"scan.cut-short"' "a whole PDF is not taken for one cut short"

# --- hostile input -----------------------------------------------------------
H="$WORK/s7"
in="$WORK/hostile"
mkdir -p "$in"
cp "$mal"/images/* "$mal"/documents/* "$in/"
for f in "$WORK"/good/*; do
	b=$(basename "$f")
	head -c $(($(wc -c <"$f") / 2)) "$f" >"$in/truncated-$b"
done
chmod -R u+w "$in"
n=$(ls "$in" | wc -l)
timeout 300 "$DANGAN" --store "$H" -c "$WORK/scan.xml" ingest --json -j 2 "$in" >"$WORK/h.json" 2>"$WORK/h.err"
rc=$?
ok "$([ $rc -eq 1 ]; echo $?)" "hostile input: the batch finishes with quarantined documents (exit $rc)"
is "$(grep -c '"depth":0' "$WORK/h.json")" "$n" "hostile input: every input is accounted for ($n)"
noreason=$(grep '"outcome":"quarantined"' "$WORK/h.json" | grep -vc '"reason":"')
is "$noreason" 0 "hostile input: every quarantined document has a reason"
for b in 20K-gray.png 20K-gray.jpeg 20K-rgb.png 20K-rgb.jpeg; do
	grep "/$b\"" "$WORK/h.json" | grep -q '"outcome":"quarantined".*20000x20000 pixels exceeds max-pixels (100M): decompression bomb?'
	ok $? "bomb $b: quarantined by max-pixels"
done
grep '/pdf-image-bomb.pdf"' "$WORK/h.json" | grep -q 'quarantined.*PDF image 20000x20000 pixels exceeds max-pixels'
ok $? "PDF image bomb: quarantined before rendering"
for b in encrypted.pdf password-is-test.pdf; do
	grep "/$b\"" "$WORK/h.json" | grep -q 'quarantined.*encrypted PDF (password required)'
	ok $? "$b: quarantined as encrypted"
done
for f in "$WORK"/good/*; do
	b=truncated-$(basename "$f")
	grep "/$b\"" "$WORK/h.json" | grep -q '"outcome":"quarantined".*"reason":"stage .scan. (scan): ..*"'
	ok $? "$b: quarantined with a reason"
done
grep '/truncated-image-only.pdf"' "$WORK/h.json" | grep -q 'no pages, and the file ([0-9]* bytes) does not end with %%EOF: it was probably cut short'
ok $? "a PDF cut in half: the reason says it was cut short"
for f in text-layer.pdf mixed.pdf; do
	grep "/truncated-$f\"" "$WORK/h.json" | grep -q 'not a valid PDF: .*, and the file ([0-9]* bytes) does not end with %%EOF: it was probably cut short'
	ok $? "$f cut in half, which poppler cannot open: the reason says it was cut short"
done
grep -q '/pdf-inline-bomb.pdf"' "$WORK/h.json"
ok $? "PDF inline-image bomb: handled without bringing the batch down"
grep '/decode_error.txt"' "$WORK/h.json" | grep -q '"outcome":"new"'
ok $? "a text file is not the scan stage's business"
check "verify after the hostile input" dangan --store "$H" verify

# the bombs alone: refused from their headers, never decoded
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$WORK/rss" "$DANGAN" --store "$WORK/s8" -c "$WORK/scan.xml" ingest \
		"$mal"/images/20K-* "$mal/documents/pdf-image-bomb.pdf" >/dev/null 2>&1
	rss=$(tail -n 1 "$WORK/rss")
	ok "$([ "$rss" -lt 204800 ]; echo $?)" "the bombs are refused in ${rss} KB peak (< 200 MB)"
else
	ok 0 "# SKIP /usr/bin/time not installed"
fi
done_testing
