#!/bin/sh
# Paper scans through scan -> prep -> ocr with the real tesseract: a
# clean page, a page skewed by 2 degrees, a 200-dpi page (Chinese,
# rendered from tests/data/ocr/zh-source.txt), an English page turned
# by 90 degrees, the same page as a sideways photo with its EXIF
# Orientation, an out-of-focus page and a page of noise.  The text of
# each is held to a character-error-rate bound (tests/cer.py); the turn,
# the deskew and the scaling are recorded; text, hOCR and a searchable
# PDF are stored; the out-of-focus page and the noise go to review; the
# originals stay bit-exact.  A page the first languages read badly is
# read again with the fallback languages; a page in traditional script
# is read again with chi_tra.
. "$DG_SRCDIR/tests/lib.sh"

data="$DG_TEST_DATA/ocr"
cer="$DG_SRCDIR/tests/cer.py"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed for the error rates"
if command -v tesseract >/dev/null 2>&1; then
	langs=$(tesseract --list-langs 2>&1)
	for l in chi_sim eng osd; do
		echo "$langs" | grep -qx "$l" || skip_all "tesseract has no $l.traineddata"
	done
fi
for p in scan prep ocr; do
	"$DANGAN" plugins show $p >/dev/null 2>&1 || skip_all "the $p plugin is not built"
done

cat >"$WORK/ocr.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="scans">
    <stage id="scan" plugin="scan" on-failure="quarantine"><match type="image/*"/><match type="application/pdf"/></stage>
    <stage id="prep" plugin="prep" on-failure="continue"><match type="image/*"/><match type="application/pdf"/></stage>
    <stage id="ocr" plugin="ocr" on-failure="continue"><match type="image/*"/><match type="application/pdf"/></stage>
  </pipeline>
</dangan>
XML
check "the scan pipeline is valid" dangan config check "$WORK/ocr.xml"

in="$WORK/in"
mkdir -p "$in"
for f in zh-clean.png zh-skew.png zh-200dpi.tif zh-blurred.png en-rotated-90.png en-exif-6.jpg noise.png; do
	cp "$data/$f" "$in/"
done
start=$(date +%s)
check "ingest seven scanned pages" dangan -c "$WORK/ocr.xml" ingest -j 2 "$in"
echo "# ingest took $(($(date +%s) - start)) s"

id() { sha256sum "$data/$1" | cut -c1-16; }
# show NAME: the document as JSON into $WORK/NAME.json, its text into $WORK/NAME.txt
show() {
	dangan show --json "$(id "$1")" >"$WORK/$1.json" 2>"$WORK/err" &&
		dangan cat "$(id "$1")" --part text >"$WORK/$1.txt" 2>>"$WORK/err"
}
# rate NAME BOUND: the text of NAME against its ground truth
rate() {
	r=$(python3 "$cer" --max "$2" "$data/${1%.*}.gt.txt" "$WORK/$1.txt")
	st=$?
	ok $st "$1: character error rate $(echo "$r" | cut -d' ' -f1) <= $2"
}
has() { # has NAME PATTERN DESCRIPTION: the JSON of NAME matches
	grep -q "$2" "$WORK/$1.json"
	ok $? "$3"
}

for f in zh-clean.png zh-skew.png zh-200dpi.tif zh-blurred.png en-rotated-90.png en-exif-6.jpg noise.png; do
	check "show $f" show "$f"
done

rate zh-clean.png 0.03
has zh-clean.png '"ocr.page.1.confidence":\["[0-9]' "zh-clean: page confidence recorded"
has zh-clean.png '"ocr.confidence":\["[0-9]' "zh-clean: document confidence recorded"
has zh-clean.png '"ocr.engine":\["tesseract [0-9]' "zh-clean: engine and version recorded"
has zh-clean.png '"ocr.languages":\["chi_sim"\]' "zh-clean: languages recorded"
has zh-clean.png '"status":"ok"' "zh-clean: no warning"
python3 -c '
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
sys.exit(1 if re.search("[\u4e00-\u9fff] +[\u4e00-\u9fff]", t) else 0)' "$WORK/zh-clean.png.txt"
ok $? "zh-clean: no spaces between Chinese characters"

rate zh-skew.png 0.03
has zh-skew.png '"prep.page.1.skew":\["-\{0,1\}[12]\.[0-9]*"\]' "zh-skew: a skew of about 2 degrees recorded"
has zh-skew.png 'page 1: deskewed -\{0,1\}[12]\.[0-9]*°' "zh-skew: the deskew is in the history"

rate zh-200dpi.tif 0.03
has zh-200dpi.tif 'page 1: 200 dpi, but its text is [23][0-9] px tall (text-height 28): not scaled up' \
	"zh-200dpi: text tall enough, not scaled up to 300 dpi, as the history says"
has zh-200dpi.tif '"prep.page.1.ocr-dpi":\["200"\]' "zh-200dpi: read at 200 dpi"

# a 300-dpi page of 10-point text (characters 42 pixels tall) is read at
# 200 dpi, where they are 28 pixels tall
has zh-clean.png 'page 1: text 4[0-4] px tall (median of [0-9]* glyphs): scaled 300→20[0-9] dpi for OCR (text-height 28)' \
	"zh-clean: scaled down for OCR by its text height, as the history says"
has zh-clean.png '"prep.page.1.text-height":\["4[0-4]"\]' "zh-clean: text height recorded"
has zh-clean.png '"prep.page.1.ocr-dpi":\["20[0-9]"\]' "zh-clean: the resolution OCR read it at recorded"

rate en-rotated-90.png 0.05
has en-rotated-90.png '"prep.page.1.rotation":\["90"\]' "en-rotated-90: rotation 90 recorded"
has en-rotated-90.png 'page 1: turned 90° (OSD confidence' "en-rotated-90: the turn is in the history"

has zh-blurred.png '"review.reason":\["page 1: OCR confidence [0-9]* < 60"\]' "zh-blurred: sent to review"
has zh-blurred.png '"status":"warn"' "zh-blurred: the document has a warning"
has noise.png '"review.reason":\["page 1: no text recognised"\]' "noise only: sent to review"

# the parts
clean=$(id zh-clean.png)
check "hOCR part" dangan cat "$clean" --part hocr
grep -q "class='ocr_page'" "$WORK/out" && grep -q "class='ocrx_word'" "$WORK/out"
ok $? "the hOCR has a page and words"
has zh-clean.png '"role":"hocr","media_type":"text/vnd.hocr+html"' "the hOCR part has its media type"
has zh-clean.png '"role":"pdf","media_type":"application/pdf"' "a PDF part"
dangan cat "$clean" --part pdf >"$WORK/clean.pdf" 2>"$WORK/err"
is "$(head -c 5 "$WORK/clean.pdf")" "%PDF-" "the PDF part is a PDF"
grep -aq GlyphLessFont "$WORK/clean.pdf"
ok $? "the PDF has a text layer"
if command -v pdfimages >/dev/null 2>&1; then
	# read at 200 dpi, but the page in the PDF is the scan itself: all of
	# its 2480x3508 pixels, on an A4 page
	pdfimages -list "$WORK/clean.pdf" >"$WORK/clean.pdfimages" 2>"$WORK/err"
	is "$(awk 'NR == 3 { print $4 "x" $5 " " $13 "x" $14 }' "$WORK/clean.pdfimages")" "2480x3508 300x300" \
		"the PDF of a page scaled for OCR carries the scan at its own resolution"
	pdfinfo "$WORK/clean.pdf" >"$WORK/clean.pdfinfo" 2>"$WORK/err"
	grep -q 'Page size: *59[45]\.[0-9]* x 84[12]\.[0-9]* pts (A4)' "$WORK/clean.pdfinfo"
	ok $? "... on a page of the scan's size (A4)"
fi
# a photo stored sideways, whose EXIF Orientation (6) says to turn it
# 90 degrees clockwise: read upright at once, no OSD, no second reading
r=$(python3 "$cer" --max 0.05 "$data/en-rotated-90.gt.txt" "$WORK/en-exif-6.jpg.txt")
ok $? "en-exif-6: character error rate $(echo "$r" | cut -d' ' -f1) <= 0.05"
has en-exif-6.jpg '"scan.page.1.exif-orientation":\["6"\]' "en-exif-6: the EXIF Orientation recorded"
has en-exif-6.jpg '"scan.page.1.size":\["640x480"\]' "en-exif-6: the page decoded upright (640x480, the file's rows are 480 long)"
has en-exif-6.jpg "page 1: turned 90 degrees clockwise, as the file's EXIF Orientation (6) says" \
	"en-exif-6: the turn is in the history"
! grep -q '"prep.page.1.rotation":\["[1-9]\|(OSD confidence\|; OSD ' "$WORK/en-exif-6.jpg.json"
ok $? "en-exif-6: OSD neither ran nor turned it"

# a negative: the 200-dpi page with its PhotometricInterpretation turned
# round (WhiteIsZero), as a wrong converter leaves a TIFF and as a
# microfilm negative is scanned: light text on a dark ground.  prep
# inverts it for OCR only; the PDF shows the page as scanned
if command -v tiffset >/dev/null 2>&1; then
	cp "$data/zh-200dpi.tif" "$WORK/negative.tif"
	tiffset -s 262 0 "$WORK/negative.tif"
	check "ingest a negative" dangan -c "$WORK/ocr.xml" ingest "$WORK/negative.tif"
	nid=$(sha256sum "$WORK/negative.tif" | cut -c1-16)
	dangan show --json "$nid" >"$WORK/negative.json" 2>"$WORK/err" &&
		dangan cat "$nid" --part text >"$WORK/negative.txt" 2>>"$WORK/err" &&
		dangan cat "$nid" --part pdf >"$WORK/negative.pdf" 2>>"$WORK/err"
	ok $? "negative: shown, its text and PDF"
	r=$(python3 "$cer" --max 0.03 "$data/zh-200dpi.gt.txt" "$WORK/negative.txt")
	ok $? "negative: character error rate $(echo "$r" | cut -d' ' -f1) <= 0.03"
	has negative 'page 1: light text on a dark ground (dark over [6-9][0-9] % of it): inverted for OCR' \
		"negative: inverted for OCR, as the history says"
	has negative '"prep.page.1.negative":\["inverted"\]' "negative: recorded"
	has negative '"scan.page.1.problems":\["too-dark"\]' "negative: still a too-dark scan (DA/T 31)"
	if command -v pdftoppm >/dev/null 2>&1; then
		pdftoppm -r 10 -gray -singlefile "$WORK/negative.pdf" "$WORK/negative-pdf" 2>"$WORK/err"
		python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
px = d.split(b"\n", 3)[3]
sys.exit(0 if sum(px) / len(px) < 100 else 1)' "$WORK/negative-pdf.pgm"
		ok $? "negative: the PDF shows the page as scanned, dark"
	fi
else
	skip "tiffset (libtiff-tools) is needed for the negative page" 7
fi

# a page deskewed (and read at 200 dpi) or turned (and read at 300 dpi)
# shows the scan in the PDF, turned and deskewed as OCR read it, at the
# scan's own resolution and depth, under its text: the ink of every line
# centred in the line's box (tests/pdf-align.py)
if command -v pdfimages >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; then
	align="$DG_SRCDIR/tests/pdf-align.py"
	for f in zh-skew.png en-rotated-90.png; do
		dangan cat "$(id $f)" --part pdf >"$WORK/$f.pdf" 2>"$WORK/err" &&
			dangan cat "$(id $f)" --part hocr >"$WORK/$f.hocr" 2>>"$WORK/err"
		ok $? "$f: PDF and hOCR"
		pdfimages -list "$WORK/$f.pdf" >"$WORK/$f.pdfimages" 2>"$WORK/err"
	done
	is "$(awk 'NR == 3 { print $4 "x" $5 " " $6 " " $8 " " $9 " " $13 "x" $14 }' "$WORK/zh-skew.png.pdfimages")" \
		"2480x3508 gray 8 jpeg 300x300" "zh-skew: the PDF shows the deskewed scan at 300 dpi, not the 200-dpi image OCR read"
	is "$(awk 'NR == 3 { print $4 "x" $5 " " $6 " " $8 " " $13 "x" $14 }' "$WORK/en-rotated-90.png.pdfimages")" \
		"640x480 gray 8 200x200" "en-rotated-90: the PDF shows the bitonal scan turned, at its 200 dpi, not the 300 read"
	r=$(python3 "$align" --max 0.1 "$WORK/zh-skew.png.pdf" "$WORK/zh-skew.png.hocr")
	ok $? "zh-skew: the text lies on the deskewed picture (line offsets mean, max: $r)"
	r=$(python3 "$align" --max 0.15 "$WORK/en-rotated-90.png.pdf" "$WORK/en-rotated-90.png.hocr")
	ok $? "en-rotated-90: the text lies on the turned picture (line offsets mean, max: $r)"
	dangan cat "$(id en-exif-6.jpg)" --part pdf >"$WORK/exif.pdf" 2>"$WORK/err" &&
		dangan cat "$(id en-exif-6.jpg)" --part hocr >"$WORK/exif.hocr" 2>>"$WORK/err"
	ok $? "en-exif-6: PDF and hOCR"
	is "$(pdfimages -list "$WORK/exif.pdf" 2>/dev/null | awk 'NR == 3 { print $4 "x" $5 }')" "640x480" \
		"en-exif-6: the PDF shows the photo upright, not the file's sideways JPEG data"
	r=$(python3 "$align" --max 0.15 "$WORK/exif.pdf" "$WORK/exif.hocr")
	ok $? "en-exif-6: the text lies on the upright picture (line offsets mean, max: $r)"
	# a PNG damaged around a whole picture (a bad checksum on pHYs): the
	# PDF is drawn from the decoded page, not from the file, whose reading
	# would print libpng's warning and lose the resolution
	python3 -B - "$data/zh-clean.png" "$WORK/phys-crc.png" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"pHYs")
p = i + 4 + struct.unpack(">I", d[i - 4:i])[0]
open(sys.argv[2], "wb").write(d[:p] + bytes([d[p] ^ 1]) + d[p + 1:])
PY
	pid=$(sha256sum "$WORK/phys-crc.png" | cut -c1-16)
	dangan -c "$WORK/ocr.xml" ingest "$WORK/phys-crc.png" >"$WORK/out" 2>"$WORK/png.err" &&
		dangan cat "$pid" --part pdf >"$WORK/phys-crc.pdf" 2>"$WORK/err" &&
		dangan cat "$pid" --part hocr >"$WORK/phys-crc.hocr" 2>>"$WORK/err"
	ok $? "a PNG with a bad pHYs checksum: ingested, PDF and hOCR"
	! grep -v '^dangan: \|^ingest: ' "$WORK/png.err" | grep .
	ok $? "... no libpng message on the terminal"
	is "$(pdfimages -list "$WORK/phys-crc.pdf" 2>/dev/null | awk 'NR == 3 { print $4 "x" $5 }')" "2480x3508" \
		"... the PDF shows the whole page"
	r=$(python3 "$align" --max 0.15 "$WORK/phys-crc.pdf" "$WORK/phys-crc.hocr")
	ok $? "... the text lies on it (line offsets mean, max: $r)"
	# a PNG whose colour profile is damaged (not a deflate stream, the
	# checksum right): the page is read without it, but any other reader
	# of the file warns, so the PDF is drawn from the decoded page too
	python3 -B - "$data/zh-clean.png" "$WORK/iccp.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
body = b"iCCP" + b"profile\0\0not a deflate stream"
c = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
open(sys.argv[2], "wb").write(d[:33] + c + d[33:])
PY
	pid=$(sha256sum "$WORK/iccp.png" | cut -c1-16)
	dangan -c "$WORK/ocr.xml" ingest "$WORK/iccp.png" >"$WORK/out" 2>"$WORK/png.err" &&
		dangan cat "$pid" --part pdf >"$WORK/iccp.pdf" 2>"$WORK/err" &&
		dangan show "$pid" >"$WORK/show" 2>>"$WORK/err"
	ok $? "a PNG with a damaged colour profile: ingested, PDF"
	! grep -v '^dangan: \|^ingest: ' "$WORK/png.err" | grep .
	ok $? "... no libpng message on the terminal"
	grep -q 'page 1: libpng warns: iCCP: too short (nothing of the picture was lost)' "$WORK/show"
	ok $? "... the damage in a note"
	is "$(pdfimages -list "$WORK/iccp.pdf" 2>/dev/null | awk 'NR == 3 { print $4 "x" $5 " " $13 }')" "2480x3508 300" \
		"... the PDF shows the whole page at its resolution"
	# a JPEG's own data goes into the PDF as it is; not when libjpeg
	# warned of it (here stray bytes among its headers): other readers
	# would print the warning, so the PDF is drawn from the decoded page
	jpegtran -copy none -rotate 90 -outfile "$WORK/plain.jpg" "$data/en-exif-6.jpg" # upright
	python3 -B - "$WORK/plain.jpg" "$WORK/head-stray.jpg" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
q = d.index(b"\xff\xdb")
open(sys.argv[2], "wb").write(d[:q] + b"\x01\x02\x03" + d[q:])
PY
	for f in plain head-stray; do
		dangan -c "$WORK/ocr.xml" ingest "$WORK/$f.jpg" >"$WORK/out" 2>"$WORK/$f.err" &&
			dangan cat "$(sha256sum "$WORK/$f.jpg" | cut -c1-16)" --part pdf >"$WORK/$f.pdf" 2>"$WORK/err" &&
			pdfimages -j "$WORK/$f.pdf" "$WORK/$f-img" 2>"$WORK/err"
		ok $? "$f.jpg: ingested, PDF, its image"
	done
	cmp -s "$WORK/plain.jpg" "$WORK/plain-img-000.jpg"
	ok $? "a JPEG's own data is the PDF's picture"
	! cmp -s "$WORK/head-stray.jpg" "$WORK/head-stray-img-000.jpg" && [ -s "$WORK/head-stray-img-000.jpg" ]
	ok $? "... not that of a JPEG libjpeg warned of"
	! grep -v '^dangan: \|^ingest: ' "$WORK/head-stray.err" | grep .
	ok $? "... and no libjpeg message on the terminal"
	# the measure tells: the same page not deskewed, under those lines
	python3 - "$WORK/ocr.xml" "$WORK/nodeskew.xml" <<'PY'
import sys
s = open(sys.argv[1]).read()
i = s.index("</stage>", s.index('plugin="prep"'))
open(sys.argv[2], "w").write(s[:i] + '<option name="deskew">false</option>' + s[i:])
PY
	dangan --store "$WORK/store-nodeskew" -c "$WORK/nodeskew.xml" ingest "$data/zh-skew.png" >"$WORK/out" 2>&1 &&
		dangan --store "$WORK/store-nodeskew" cat "$(id zh-skew.png)" --part pdf >"$WORK/nodeskew.pdf" 2>"$WORK/err"
	ok $? "zh-skew ingested with deskew=false"
	# (measured, and over the bound: not a crash of the measure)
	r=$(python3 "$align" "$WORK/nodeskew.pdf" "$WORK/zh-skew.png.hocr")
	echo "$r" | awk '{ exit !(NF == 3 && $3 > 0 && $2 > 0.2) }'
	ok $? "the skewed picture under the deskewed lines fails the measure ($r)"
fi
if command -v pdftotext >/dev/null 2>&1; then
	pdftotext -enc UTF-8 "$WORK/clean.pdf" "$WORK/clean.pdf.txt" 2>"$WORK/err"
	r=$(python3 "$cer" --max 0.05 "$data/zh-clean.gt.txt" "$WORK/clean.pdf.txt")
	ok $? "the PDF's text layer reads back (error rate $(echo "$r" | cut -d' ' -f1) <= 0.05)"
fi

# a PDF with a text layer (the one just made) is not recognised again
pdfid=$(sha256sum "$WORK/clean.pdf" | cut -c1-16)
check "ingest the searchable PDF" dangan -c "$WORK/ocr.xml" ingest "$WORK/clean.pdf"
dangan show --json "$pdfid" >"$WORK/pdf.json" 2>"$WORK/err"
grep -q '"role":"hocr"' "$WORK/pdf.json"
ok $((!$?)) "a PDF with a text layer: no OCR"
dangan cat "$pdfid" --part text >"$WORK/pdf.txt" 2>"$WORK/err"
r=$(python3 "$cer" --max 0.05 "$data/zh-clean.gt.txt" "$WORK/pdf.txt")
ok $? "a PDF with a text layer: its text is kept (error rate $(echo "$r" | cut -d' ' -f1))"

# search finds the recognised text
check "search for words of the clean page" dangan search 客户档案管理说明
grep -q "$(echo "$clean" | cut -c1-12)" "$WORK/out"
ok $? "the clean page is found by its text"

# the originals are untouched
for f in zh-skew.png en-rotated-90.png en-exif-6.jpg; do
	dangan cat "$(id $f)" >"$WORK/orig" 2>"$WORK/err"
	cmp -s "$WORK/orig" "$data/$f"
	ok $? "$f: the original is kept bit for bit"
done
check "the store verifies" dangan verify

# a missing language stops the stage with the file it lacks
sed '/plugin="ocr"/s|</stage>$|<option name="languages">chi_sim+nosuchlang</option></stage>|' \
	"$WORK/ocr.xml" >"$WORK/missing.xml"
dangan --store "$WORK/store2" -c "$WORK/missing.xml" ingest "$data/en-rotated-90.png" >"$WORK/out" 2>"$WORK/err"
grep -q "nosuchlang.traineddata" "$WORK/err"
ok $? "a missing traineddata is named"
# a page the first languages read badly is read again with the fallback
# languages, and the better reading is kept: the Chinese page read as
# English first
sed '/plugin="ocr"/s|</stage>$|<option name="languages">eng</option><option name="fallback-languages">chi_sim</option></stage>|' \
	"$WORK/ocr.xml" >"$WORK/fallback.xml"
check "ingest with fallback languages" dangan --store "$WORK/store3" -c "$WORK/fallback.xml" ingest "$data/zh-clean.png"
dangan --store "$WORK/store3" show --json "$(id zh-clean.png)" >"$WORK/fb.json" 2>"$WORK/err"
dangan --store "$WORK/store3" cat "$(id zh-clean.png)" --part text >"$WORK/fb.txt" 2>>"$WORK/err"
grep -q 'page 1: read with eng: confidence [0-9]* < 88; read again with chi_sim: confidence [0-9]*, kept' "$WORK/fb.json"
ok $? "fallback: the second reading is in the history"
grep -q '"ocr.languages":\["chi_sim"\]' "$WORK/fb.json"
ok $? "fallback: the languages of the reading kept are recorded"
r=$(python3 "$cer" --max 0.03 "$data/zh-clean.gt.txt" "$WORK/fb.txt")
ok $? "fallback: the text is chi_sim's (error rate $(echo "$r" | cut -d' ' -f1) <= 0.03)"
# the CPU time of the readings: all of them, the first, the second; the
# parts add up (to the rounding) and none is nothing
cpu=$(grep -o 'reading: [0-9.]* s CPU ([0-9.]* s first readings, [0-9.]* s reading again)' "$WORK/fb.json" |
	tr -d '(),' | awk '{ print $2, $5, $9 }')
echo "$cpu" | awk 'NF == 3 && $2 > 0 && $3 > 0 { d = $1 - $2 - $3; exit !(d < 0.015 && d > -0.015) } { exit 1 }'
ok $? "fallback: the history gives the CPU time of both readings, which add up ($cpu)"
# a page in traditional script (zh-source.txt through opencc s2t): chi_sim
# reads a third of it wrong with a confidence under fallback-below, so it
# is read again with the shipped configuration's fallback, chi_tra, and
# that reading is kept; a blurred simplified page is read again too, but
# chi_tra reads it no better and chi_sim's reading stays
if echo "$langs" | grep -qx chi_tra; then
	sed '/plugin="ocr"/s|</stage>$|<option name="fallback-languages">chi_tra</option></stage>|' \
		"$WORK/ocr.xml" >"$WORK/tra.xml"
	check "ingest a page in traditional script" dangan --store "$WORK/store5" -c "$WORK/tra.xml" ingest "$data/zh-trad.png"
	dangan --store "$WORK/store5" show --json "$(id zh-trad.png)" >"$WORK/tr.json" 2>"$WORK/err"
	dangan --store "$WORK/store5" cat "$(id zh-trad.png)" --part text >"$WORK/tr.txt" 2>>"$WORK/err"
	grep -q 'page 1: read with chi_sim: confidence [0-9]* < 88; read again with chi_tra: confidence [0-9]*, kept' "$WORK/tr.json"
	ok $? "traditional script: read again with chi_tra, kept"
	grep -q '"ocr.languages":\["chi_tra"\]' "$WORK/tr.json"
	ok $? "traditional script: the languages of the reading kept are recorded"
	r=$(python3 "$cer" --max 0.10 "$data/zh-trad.gt.txt" "$WORK/tr.txt")
	ok $? "traditional script: error rate $(echo "$r" | cut -d' ' -f1) <= 0.10 (chi_sim alone: about 0.36)"
	dangan --store "$WORK/store5" -c "$WORK/tra.xml" ingest "$data/zh-blurred.png" >/dev/null 2>&1
	dangan --store "$WORK/store5" show --json "$(id zh-blurred.png)" >"$WORK/bl.json" 2>"$WORK/err"
	grep -q 'read again with chi_tra: confidence [0-9]*, not kept' "$WORK/bl.json"
	ok $? "a blurred simplified page: read again with chi_tra, not kept"
	grep -q '"ocr.languages":\["chi_sim"\]' "$WORK/bl.json"
	ok $? "... and chi_sim's reading stays"
else
	for n in 1 2 3 4 5 6; do ok 0 "# SKIP tesseract has no chi_tra.traineddata"; done
fi
# text-height=0: no scaling by the text; a 200-dpi page is scaled up to
# ocr-dpi (300) as before
sed '/plugin="prep"/s|</stage>$|<option name="text-height">0</option></stage>|' "$WORK/ocr.xml" >"$WORK/noscale.xml"
check "ingest with text-height=0" dangan --store "$WORK/store6" -c "$WORK/noscale.xml" ingest "$data/zh-200dpi.tif"
dangan --store "$WORK/store6" show --json "$(id zh-200dpi.tif)" >"$WORK/ns.json" 2>"$WORK/err"
grep -q 'page 1: scaled 200→300 dpi' "$WORK/ns.json" && grep -q '"prep.page.1.ocr-dpi":\["300"\]' "$WORK/ns.json"
ok $? "text-height=0: the 200-dpi page is scaled up to 300 dpi"
dangan --store "$WORK/store6" cat "$(id zh-200dpi.tif)" --part text >"$WORK/ns.txt" 2>>"$WORK/err"
r=$(python3 "$cer" --max 0.03 "$data/zh-200dpi.gt.txt" "$WORK/ns.txt")
ok $? "text-height=0: error rate $(echo "$r" | cut -d' ' -f1) <= 0.03"
# the PDF's picture of a page read binarised (binarize=otsu) is still
# the PNG's own data, at 300 dpi, and that of an interlaced PNG (which
# leptonica would draw from the 200-dpi image OCR read) the scan at 300
if command -v pdfimages >/dev/null 2>&1; then
	sed '/plugin="prep"/s|</stage>$|<option name="binarize">otsu</option></stage>|' "$WORK/ocr.xml" >"$WORK/otsu.xml"
	pdfimages -f 1 -l 1 "$data/zh-two-pages.pdf" "$WORK/p1" 2>"$WORK/err"
	python3 -B - "$WORK/p1-000.ppm" "$WORK/interlaced.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
magic, w, h, top, px = d.split(maxsplit=4)
assert magic == b"P6" and top == b"255"  # pdfimages writes the gray page as RGB
w, h, px = int(w), int(h), px[::3]
raw = b""
for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
    if x0 < w:  # Adam7: each pass's rows, filter 0
        raw += b"".join(b"\0" + px[y * w + x0:(y + 1) * w:dx] for y in range(y0, h, dy))
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
open(sys.argv[2], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 1)) +
    chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
	check "ingest with binarize=otsu" dangan --store "$WORK/store7" -c "$WORK/otsu.xml" ingest "$data/zh-clean.png"
	check "ingest an interlaced PNG" dangan --store "$WORK/store7" -c "$WORK/ocr.xml" ingest "$WORK/interlaced.png"
	dangan --store "$WORK/store7" show --json "$(id zh-clean.png)" >"$WORK/otsu.json" 2>"$WORK/err"
	grep -q 'page 1: binarisation: otsu' "$WORK/otsu.json"
	ok $? "binarize=otsu: read binarised"
	dangan --store "$WORK/store7" cat "$(id zh-clean.png)" --part pdf >"$WORK/otsu.pdf" 2>"$WORK/err"
	is "$(pdfimages -list "$WORK/otsu.pdf" 2>/dev/null | awk 'NR == 3 { print $4 "x" $5 " " $9 " " $13 "x" $14 }')" \
		"2480x3508 image 300x300" "binarize=otsu: the PDF carries the PNG's own data at 300 dpi, not a copy"
	iid=$(sha256sum "$WORK/interlaced.png" | cut -c1-16)
	dangan --store "$WORK/store7" cat "$iid" --part pdf >"$WORK/interlaced.pdf" 2>"$WORK/err"
	is "$(pdfimages -list "$WORK/interlaced.pdf" 2>/dev/null | awk 'NR == 3 { print $4 "x" $5 " " $13 "x" $14 }')" \
		"2480x3508 300x300" "an interlaced PNG read at 200 dpi: the PDF shows the scan at 300 dpi"
else
	skip "pdfimages (poppler-utils) is needed" 5
fi
# pages past the scan stage's max-memory are kept in the document's
# temporary directory, decoded and prepared, and read back for OCR: a
# two-page PDF (zh-clean.png, 300 dpi, 8.3 MiB decoded, and
# zh-200dpi.tif, 3.7 MiB) with max-memory=9M: page 2 goes to a file at
# once, and both prepared pages after it; the text is the same as with
# all of it in memory
two="$data/zh-two-pages.pdf"
check "ingest a two-page PDF" dangan --store "$WORK/store7" -c "$WORK/ocr.xml" ingest "$two"
dangan --store "$WORK/store7" cat "$(id zh-two-pages.pdf)" --part text >"$WORK/two.txt" 2>"$WORK/err"
sed '/plugin="scan"/s|</stage>$|<option name="max-memory">9M</option></stage>|' "$WORK/ocr.xml" >"$WORK/spill.xml"
check "ingest it with max-memory=9M" dangan --store "$WORK/store8" -c "$WORK/spill.xml" ingest "$two"
dangan --store "$WORK/store8" show --json "$(id zh-two-pages.pdf)" >"$WORK/spill.json" 2>"$WORK/err"
grep -q '1 of 2 decoded pages (3 MiB) kept in the temporary directory: the pages past max-memory (9M)' "$WORK/spill.json"
ok $? "max-memory=9M: page 2 kept on disk, as the history says"
dangan --store "$WORK/store8" cat "$(id zh-two-pages.pdf)" --part text >"$WORK/spill.txt" 2>"$WORK/err"
cmp -s "$WORK/two.txt" "$WORK/spill.txt"
ok $? "pages kept on disk: the same text as in memory"
python3 - "$WORK/spill.txt" "$WORK/spill" <<'PY'
import sys
pages = open(sys.argv[1], encoding="utf-8").read().split("\f")
for i, p in enumerate(pages):
    open("%s-%d.txt" % (sys.argv[2], i + 1), "w", encoding="utf-8").write(p)
PY
r1=$(python3 "$cer" --max 0.03 "$data/zh-clean.gt.txt" "$WORK/spill-1.txt")
ok $? "pages kept on disk: page 1 read (error rate $(echo "$r1" | cut -d' ' -f1) <= 0.03)"
r2=$(python3 "$cer" --max 0.03 "$data/zh-200dpi.gt.txt" "$WORK/spill-2.txt")
ok $? "pages kept on disk: page 2 read (error rate $(echo "$r2" | cut -d' ' -f1) <= 0.03)"
ls "$WORK"/store8/objects/tmp 2>/dev/null | grep -q .
ok $((!$?)) "pages kept on disk: the temporary directory is gone afterwards"
# the pages of one document read at once (threads=2, whatever the
# CPUs and -j): the results come in page order, the same as one page
# after the other; page 2 (200 dpi) is read faster than page 1, so it
# waits for its turn.  By default (threads=0) the readers are the
# ingest's workers: -j 1 reads one page at a time, -j 2 two.
sed '/plugin="ocr"/s|</stage>$|<option name="threads">2</option></stage>|' "$WORK/ocr.xml" >"$WORK/par.xml"
check "ingest the two-page PDF with threads=2, -j 1" dangan --store "$WORK/store10" -c "$WORK/par.xml" ingest -j 1 "$two"
check "ingest the two-page PDF by default, -j 1" dangan --store "$WORK/store11" -c "$WORK/ocr.xml" ingest -j 1 "$two"
check "ingest the two-page PDF by default, -j 2" dangan --store "$WORK/store12" -c "$WORK/ocr.xml" ingest -j 2 "$two"
two_id=$(id zh-two-pages.pdf)
dangan --store "$WORK/store10" show "$two_id" >"$WORK/par.show" 2>"$WORK/err"
grep -q '2 pages, chi_sim, mean confidence [0-9]*; up to 2 pages read at once' "$WORK/par.show"
ok $? "threads=2: the history says both pages were read at once, though -j 1"
dangan --store "$WORK/store11" show "$two_id" >"$WORK/ser.show" 2>"$WORK/err"
grep -q '2 pages, chi_sim, mean confidence [0-9]*; reading: [0-9.]* s CPU$' "$WORK/ser.show"
ok $? "by default with -j 1: one page after the other"
cpu=$(sed -n 's/.*; reading: \([0-9.]*\) s CPU$/\1/p' "$WORK/ser.show")
awk -v c="$cpu" 'BEGIN { exit !(c > 0) }'
ok $? "the history gives the CPU time of the readings (${cpu:-none} s), none read again"
dangan --store "$WORK/store12" show "$two_id" >"$WORK/j2.show" 2>"$WORK/err"
grep -q '2 pages, chi_sim, mean confidence [0-9]*; up to 2 pages read at once' "$WORK/j2.show"
ok $? "by default with -j 2: both pages read at once"
# and prepared at once (prep's threads, by default ingest's workers):
# the same notes and metadata (and text and hOCR, below) as one page
# after the other
for f in ser j2; do
	sed -n '/ stage  *prep /,/ stage  *ocr /p' "$WORK/$f.show" | sed '1d;$d' >"$WORK/$f.prep"
done
cmp -s "$WORK/ser.prep" "$WORK/j2.prep" && grep -q 'page 2: ' "$WORK/j2.prep"
ok $? "-j 2: both pages prepared at once, with the same notes as one after the other"
dangan --store "$WORK/store12" show --json "$two_id" | grep -o '"prep\.page\.[^]]*]' >"$WORK/j2.meta" 2>"$WORK/err"
dangan --store "$WORK/store11" show --json "$two_id" | grep -o '"prep\.page\.[^]]*]' >"$WORK/ser.meta" 2>>"$WORK/err"
cmp -s "$WORK/j2.meta" "$WORK/ser.meta" && [ "$(grep -c '"prep.page.2' "$WORK/j2.meta")" -ge 3 ]
ok $? "-j 2: the same prep metadata as -j 1 ($(wc -l <"$WORK/j2.meta") values)"
# threads=2 (store10) and -j 2 (store12) against -j 1 (store11)
for part in text hocr; do
	dangan --store "$WORK/store11" cat "$two_id" --part $part >"$WORK/ser.$part" 2>"$WORK/err"
	for run in par:10 j2:12; do
		f=${run%:*}
		dangan --store "$WORK/store${run#*:}" cat "$two_id" --part $part >"$WORK/$f.$part" 2>>"$WORK/err"
		cmp -s "$WORK/$f.$part" "$WORK/ser.$part" && [ -s "$WORK/ser.$part" ]
		ok $? "$([ $f = par ] && echo threads=2 || echo '-j 2'): the same $part as one page after the other"
	done
done
[ "$(grep -o 'ppageno [0-9]*' "$WORK/par.hocr" | tr '\n' ' ')" = "ppageno 0 ppageno 1 " ]
ok $? "threads=2: the hOCR pages in order"
[ "$(grep -c "title='image \"zh-two-pages.pdf\";" "$WORK/par.hocr")" = 2 ] && ! grep -q 'objects/tmp' "$WORK/par.hocr"
ok $? "the hOCR names the document as each page's image, not a temporary file"
if command -v pdfimages >/dev/null 2>&1; then
	dangan --store "$WORK/store10" cat "$two_id" --part pdf >"$WORK/par.pdf" 2>"$WORK/err"
	pdfimages -list "$WORK/par.pdf" 2>/dev/null | awk 'NR > 2 { printf "%s:%sx%s ", $1, $4, $5 }' >"$WORK/par.imgs"
	[ "$(cat "$WORK/par.imgs")" = "1:2480x3508 2:1653x2339 " ]
	ok $? "threads=2: the PDF's pages in order: $(cat "$WORK/par.imgs")"
else
	skip "pdfimages (poppler-utils) is not installed"
fi
# a scanned PDF with born-digital pages (page 1 and 3: text, from
# tests/data/scan/text-layer.pdf; page 2: zh-200dpi.tif, scanned): only
# page 2 is rendered and read; the text part has the text layer of
# pages 1 and 3 in their places, the hOCR all three (pages 1 and 3: the
# words of their text layer where poppler lays them out), and the
# searchable PDF all three: pages 1 and 3 copied from the original,
# page 2 as read
if command -v pdfseparate >/dev/null 2>&1 && command -v pdfunite >/dev/null 2>&1; then
	pdfseparate "$DG_TEST_DATA/scan/text-layer.pdf" "$WORK/tl-%d.pdf" &&
		pdfseparate "$two" "$WORK/zh-%d.pdf" &&
		pdfunite "$WORK/tl-1.pdf" "$WORK/zh-2.pdf" "$WORK/tl-2.pdf" "$WORK/part-text.pdf"
	ok $? "make a PDF of text, scan, text (pdfseparate, pdfunite)"
	check "ingest it" dangan --store "$WORK/store13" -c "$WORK/ocr.xml" ingest "$WORK/part-text.pdf"
	pt=$(sha256sum "$WORK/part-text.pdf" | cut -c1-16)
	dangan --store "$WORK/store13" show --json "$pt" >"$WORK/pt.json" 2>"$WORK/err"
	grep -q '"scan.page.2.size":\["1653x2339"\]' "$WORK/pt.json" && ! grep -q '"scan.page.[13].size"' "$WORK/pt.json"
	ok $? "text, scan, text: page 2 alone is rendered"
	grep -q '1 page (and the text layer of 2 pages in the text part, the hOCR and the PDF), chi_sim' "$WORK/pt.json"
	ok $? "text, scan, text: ocr read one page and says the text part, the hOCR and the PDF have two more"
	dangan --store "$WORK/store13" cat "$pt" --part text >"$WORK/pt.txt" 2>"$WORK/err"
	python3 - "$WORK/pt.txt" "$WORK/pt" <<'PY'
import sys
pages = open(sys.argv[1], encoding="utf-8").read().split("\f")
for i, p in enumerate(pages):
    open("%s-%d.txt" % (sys.argv[2], i + 1), "w", encoding="utf-8").write(p)
sys.exit(not (len(pages) == 3 and "textlayerprobe first page of the contract" in pages[0]
              and "second page: the notice" in pages[2]))
PY
	ok $? "text, scan, text: the text part has pages 1 and 3 from their text layer, in their places"
	r=$(python3 "$cer" --max 0.03 "$data/zh-200dpi.gt.txt" "$WORK/pt-2.txt")
	ok $? "text, scan, text: page 2 read (error rate $(echo "$r" | cut -d' ' -f1) <= 0.03)"
	dangan --store "$WORK/store13" cat "$pt" --part hocr >"$WORK/pt.hocr" 2>"$WORK/err"
	[ "$(grep -o 'ppageno [0-9]*' "$WORK/pt.hocr" | tr '\n' ' ')" = "ppageno 0 ppageno 1 ppageno 2 " ]
	ok $? "text, scan, text: the hOCR has the three pages, in order"
	# page 1's first word starts 72 pt from the left, on a baseline 720
	# pt up an A4 page (tests/data/scan/make-fixtures.sh): at 300 dpi,
	# x 300 and a top near 467; page 3's words; page 2's words read,
	# with their confidence
	python3 - "$WORK/pt.hocr" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"h": "http://www.w3.org/1999/xhtml"}
pages = ET.parse(sys.argv[1]).getroot().findall(".//h:div[@class='ocr_page']", ns)
def words(p):
    return [(w.text, w.get("title")) for w in p.iter("{http://www.w3.org/1999/xhtml}span") if w.get("class") == "ocrx_word"]
w1, w2, w3 = (words(p) for p in pages)
box = [int(v) for v in w1[0][1].split()[1:5]]
size = [int(v) for v in pages[0].get("title").split(";")[0].split()[3:5]]
sys.exit(not (len(pages) == 3 and w1[0][0] == "textlayerprobe" and abs(box[0] - 300) <= 3
              and abs(box[1] - 467) <= 8 and box[2] > box[0] and box[3] > box[1]
              and abs(size[0] - 2480) <= 2 and abs(size[1] - 3508) <= 2
              and " ".join(t for t, _ in w3[:3]) == "second page: the"
              and "x_wconf" not in w1[0][1] and len(w2) > 20 and all("x_wconf" in b for _, b in w2)))
PY
	ok $? "text, scan, text: the hOCR's pages 1 and 3 have their words where they are, page 2 those read"
	dangan --store "$WORK/store13" cat "$pt" --part pdf >"$WORK/pt.pdf" 2>"$WORK/err"
	pdfinfo "$WORK/pt.pdf" >"$WORK/pt.pdfinfo" 2>"$WORK/err" && grep -q '^Pages: *3$' "$WORK/pt.pdfinfo"
	ok $? "text, scan, text: the searchable PDF has all three pages"
	# pages 1 and 3 as in the original: their own text, no picture;
	# page 2 the scan's picture, its text read
	pdftotext -enc UTF-8 -f 1 -l 1 "$WORK/pt.pdf" "$WORK/pt-pdf-1.txt" 2>"$WORK/err" &&
		pdftotext -enc UTF-8 -f 3 -l 3 "$WORK/pt.pdf" "$WORK/pt-pdf-3.txt" 2>>"$WORK/err" &&
		pdftotext -enc UTF-8 -f 2 -l 2 "$WORK/pt.pdf" "$WORK/pt-pdf-2.txt" 2>>"$WORK/err" &&
		grep -q 'textlayerprobe first page of the contract' "$WORK/pt-pdf-1.txt" &&
		grep -q 'second page: the notice' "$WORK/pt-pdf-3.txt"
	ok $? "text, scan, text: the PDF's pages 1 and 3 have their own text, in their places"
	r=$(python3 "$cer" --max 0.03 "$data/zh-200dpi.gt.txt" "$WORK/pt-pdf-2.txt")
	ok $? "text, scan, text: the PDF's page 2 has the text read (error rate $(echo "$r" | cut -d' ' -f1) <= 0.03)"
	pdfimages -list "$WORK/pt.pdf" 2>/dev/null | awk 'NR > 2 { printf "%s:%sx%s ", $1, $4, $5 }' >"$WORK/pt.imgs"
	[ "$(cat "$WORK/pt.imgs")" = "2:1653x2339 " ]
	ok $? "text, scan, text: the PDF's one picture is the scan, on page 2: $(cat "$WORK/pt.imgs")"
	[ "$(pdfinfo -f 1 -l 3 "$WORK/pt.pdf" 2>/dev/null | grep -c '^Page *[123] size: *595.* x 84[12].* pts (A4)')" = 3 ]
	ok $? "text, scan, text: the PDF's three pages are A4"
	# pages 1 and 3 copied, not made again: every stream of the document
	# but those of the scanned page is in the PDF byte for byte
	python3 - "$WORK/part-text.pdf" "$WORK/zh-2.pdf" "$WORK/pt.pdf" <<'PY'
import re, sys
def streams(path):
    data = open(path, "rb").read()
    return [m.group(1).rstrip(b"\r\n") for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S)]
scanned = set(streams(sys.argv[2]))
copied = [s for s in streams(sys.argv[1]) if s not in scanned]
out = set(streams(sys.argv[3]))
sys.exit(not (len(copied) >= 2 and all(s in out for s in copied)))
PY
	ok $? "text, scan, text: the streams of pages 1 and 3 are in the PDF as they are in the original"
	# a whole PDF to a checker other than poppler
	qpdf --check "$WORK/pt.pdf" >"$WORK/pt.check" 2>&1 && grep -q 'No syntax or stream encoding errors' "$WORK/pt.check"
	ok $? "text, scan, text: qpdf --check finds no error in the PDF"
	# the same with an owner password (opened without one): the pages
	# copied are decrypted, and the PDF is not encrypted
	qpdf --encrypt "" owner-only 256 -- "$WORK/part-text.pdf" "$WORK/part-enc.pdf" >/dev/null 2>&1
	[ -s "$WORK/part-enc.pdf" ] && dangan --store "$WORK/store13" -c "$WORK/ocr.xml" ingest "$WORK/part-enc.pdf" \
		>"$WORK/out" 2>&1 &&
		dangan --store "$WORK/store13" cat "$(sha256sum "$WORK/part-enc.pdf" | cut -c1-16)" --part pdf \
			>"$WORK/pt-enc.pdf" 2>"$WORK/err" &&
		pdfinfo "$WORK/pt-enc.pdf" >"$WORK/pt-enc.pdfinfo" 2>&1 && grep -q '^Pages: *3$' "$WORK/pt-enc.pdfinfo" &&
		grep -q '^Encrypted: *no' "$WORK/pt-enc.pdfinfo" &&
		pdftotext -enc UTF-8 -f 3 -l 3 "$WORK/pt-enc.pdf" - 2>"$WORK/err" | grep -q 'second page: the notice'
	ok $? "text, scan, text with an owner password: the PDF has all three pages, page 3's text, no encryption"
else
	skip "pdfseparate and pdfunite (poppler-utils) are not installed" 16
fi
sed '/plugin="scan"/s|</stage>$|<option name="max-memory">9M</option><option name="max-disk">0</option></stage>|' \
	"$WORK/ocr.xml" >"$WORK/nodisk.xml"
dangan --store "$WORK/store9" -c "$WORK/nodisk.xml" ingest "$two" >"$WORK/out" 2>"$WORK/err"
dangan --store "$WORK/store9" quarantine ls >"$WORK/q" 2>>"$WORK/err"
grep -q 'page 2: the decoded pages would need more than max-memory (9M) and max-disk (0)' "$WORK/q" "$WORK/err"
ok $? "max-disk=0: a document whose pages do not fit in max-memory is set aside, with the reason"
# a fallback language that cannot be loaded is a warning, not an error
sed '/plugin="ocr"/s|</stage>$|<option name="fallback-languages">nosuchlang</option></stage>|' \
	"$WORK/ocr.xml" >"$WORK/fallback2.xml"
dangan --store "$WORK/store4" -c "$WORK/fallback2.xml" ingest "$data/zh-clean.png" >"$WORK/out" 2>"$WORK/err"
ok $? "a fallback language that is missing: the ingest succeeds"
grep -q "fallback language 'nosuchlang'" "$WORK/err"
ok $? "a fallback language that is missing: a warning names it"
done_testing
