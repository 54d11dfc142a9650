#!/bin/sh
# Regenerate the scan fixtures (not run by the tests; the outputs are
# committed).  Needs ImageMagick 6 (convert), img2pdf, ghostscript,
# opj_compress and python3; Debian 12: apt-get install imagemagick img2pdf
# ghostscript libopenjp2-tools.  Output is deterministic up to the
# tools' versions.
set -eu
cd "$(dirname "$0")"
IM=/usr/bin/convert
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
words='Paper scan ingestion fixture. contract 3301000123, page one.
The quick brown fox jumps over the lazy dog 0123456789.
Customer archive box 17: application, contract, notice.'
common="-font DejaVu-Sans -fill black -gravity northwest"

# 1. two-page.tif: 300 dpi 8-bit gray LZW, page 1 text, page 2 blank
$IM -size 1000x1400 xc:white $common -pointsize 28 -annotate +80+120 "$words" \
	-annotate +80+600 "$words" -colorspace Gray -depth 8 "$t/p1.png"
$IM -size 1000x1400 xc:white -colorspace Gray -depth 8 "$t/p2.png"
$IM "$t/p1.png" "$t/p2.png" -units PixelsPerInch -density 300 -compress LZW two-page.tif

# 2. lowres-150.png: 150 dpi gray (below the 200 dpi of DA/T 31)
$IM -size 600x800 xc:white $common -pointsize 14 -annotate +40+60 "$words" \
	-colorspace Gray -depth 8 -units PixelsPerInch -density 150 lowres-150.png

# 3. colour.jpg: 200 dpi colour page with a red seal
$IM -size 800x1000 xc:white $common -pointsize 18 -annotate +60+80 "$words" \
	-fill none -stroke '#d01010' -strokewidth 8 -draw 'circle 600,700 600,590' \
	-units PixelsPerInch -density 200 -quality 70 -sampling-factor 2x2 colour.jpg

# 3b. cmyk.jpg: colour.jpg at 400x500, as ImageMagick writes CMYK: inks
#     stored inverted, as the Adobe APP14 marker says (YCCK)
$IM colour.jpg -resize 400x500 -colorspace CMYK -quality 60 -units PixelsPerInch -density 200 cmyk.jpg

# 4. bitonal.pbm: 1 bit, PNM carries no resolution
$IM -size 640x800 xc:white $common -pointsize 16 -annotate +40+60 "$words" \
	-monochrome bitonal.pbm

# 5. too-dark.png and too-light.png: 300 dpi gray
$IM -size 600x800 xc:'#202020' $common -fill '#000000' -pointsize 14 -annotate +40+60 "$words" \
	-colorspace Gray -depth 8 -units PixelsPerInch -density 300 too-dark.png
$IM -size 600x800 xc:white $common -fill '#c8c8c8' -pointsize 14 -annotate +40+60 "$words" \
	-annotate +40+300 "$words" -annotate +40+500 "$words" \
	-colorspace Gray -depth 8 -units PixelsPerInch -density 300 too-light.png

# 6. image-only.pdf: a 200 dpi gray scan wrapped by img2pdf (no text layer)
$IM -size 1100x1500 xc:white $common -pointsize 30 -annotate +80+120 "$words" \
	-colorspace Gray -depth 8 -units PixelsPerInch -density 200 "$t/scan200.png"
img2pdf --producer dangan-fixture --creationdate 2026-01-01 --moddate 2026-01-01 -o image-only.pdf "$t/scan200.png"

# 7. text-layer.pdf (two pages of text) and mixed.pdf (text, then an
#    empty page), from PostScript with ghostscript
ps() { # PAGES-TEXT...: one page per argument, empty argument = empty page
	printf '%%!PS-Adobe-3.0\n/Helvetica findfont 14 scalefont setfont\n'
	for p in "$@"; do
		[ -n "$p" ] && printf '72 720 moveto (%s) show\n72 700 moveto (Customer archive box 17.) show\n' "$p"
		printf 'showpage\n'
	done
}
ps "textlayerprobe first page of the contract" "second page: the notice" >"$t/text.ps"
ps "mixedprobe only this page has text" "" >"$t/mixed.ps"
for f in text mixed; do
	SOURCE_DATE_EPOCH=1767225600 ps2pdf -dPDFSETTINGS=/prepress -sPAPERSIZE=a4 "$t/$f.ps" "$t/$f.pdf"
done
mv "$t/text.pdf" text-layer.pdf
mv "$t/mixed.pdf" mixed.pdf

# 7b. page.jp2 and page.j2k: JPEG 2000 (openjpeg's opj_compress, Debian
#    libopenjp2-tools), a 600x400 gray crop of two-page.tif's text, as a
#    JP2 file and as a raw codestream, lossy (20:1) to stay small
$IM "two-page.tif[0]" -crop 600x400+40+60 +repage -depth 8 "$t/crop.pgm"
opj_compress -i "$t/crop.pgm" -o page.jp2 -r 20 >/dev/null
opj_compress -i "$t/crop.pgm" -o page.j2k -r 20 >/dev/null

# 7c. page.bmp: a 300x200 gray crop of two-page.tif's text, as an
#    uncompressed 8-bit BMP with a palette (Windows 3 header) at 300 dpi
$IM "two-page.tif[0]" -crop 300x200+60+100 +repage -depth 8 -colorspace Gray -type palette \
	-units PixelsPerInch -density 300 -compress none BMP3:page.bmp

# 8. ifd-loop.tif (hostile, in ../malformed/images): a one-page TIFF
#    whose directory points back at itself
$IM -size 64x64 xc:white -compress None "$t/small.tif"
python3 - "$t/small.tif" ../malformed/images/ifd-loop.tif <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
assert b[:2] == b"II"
off = struct.unpack_from("<I", b, 4)[0]
n = struct.unpack_from("<H", b, off)[0]
struct.pack_into("<I", b, off + 2 + 12 * n, off)  # next IFD = this IFD
open(sys.argv[2], "wb").write(b)
PY

# 9. pdf-image-bomb.pdf and pdf-inline-bomb.pdf (hostile, in
#    ../malformed/documents): a 20000x20000 1-bit white image, as an
#    image XObject and as an inline image in a compressed content stream
python3 ./make-pdf-bomb.py xobject ../malformed/documents/pdf-image-bomb.pdf
python3 ./make-pdf-bomb.py inline ../malformed/documents/pdf-inline-bomb.pdf
ls -l
