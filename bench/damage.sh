#!/bin/sh
# bench/damage.sh -- how much damage in scanned pages does dangan catch,
# against what the decoders' own tools say of the same files?  Run by
# hand (not part of make check); it prints counts, it asserts nothing.
#
# Each JPEG page of ../shared/corpus/ocr-zh (the five *-jpeg.jpg: gray,
# 300 dpi, A4), tests/data/scan/colour.jpg (colour, 4:2:0), a bitonal
# G4 TIFF of each 200-dpi page of the corpus (the five *-lowres.tif at
# half gray, compressed by tiffcp) and a PDF of each of those gray pages
# as a Flate picture (as a scanner's lossless PDF, or img2pdf of a PNG,
# has it) is damaged BENCH_N times in each of three ways, in the
# picture's data only (after a JPEG's SOS header and before its end
# marker; in the G4 strip; after the Flate data's zlib header), with a
# fixed seed:
#   flip1  one bit inverted (a bit error in storage or in a transfer)
#   flip8  eight bytes inverted at random places
#   zero   a run of 64 to 4096 bytes zeroed (a bad sector, a hole)
# Each damaged file is
#   - decoded by the decoder's own tool, as an archivist might check a
#     file by hand (djpeg; for G4, libtiff's tiffcp -c none; for the
#     Flate PDF, pdftoppm -gray at 200 dpi): does it warn?  do its
#     pixels differ from those of the intact file ("changed": the damage
#     shows)?
#   - ingested by dangan (the scan stage): quarantined, stored with the
#     problem suspect-data, or stored as whole ("missed": whole, though
#     its pixels changed);
#   - a JPEG is also put as the one image of a PDF page (DCTDecode, as a
#     scanner writes it), given to pdftoppm (does it warn?) and ingested
#     by dangan.
#
# Parameters (environment):
#   BENCH_DIR=/var/tmp/dangan-bench  BENCH_N=20
#   DANGAN=path/to/dangan  (default: the build tree's ./dangan, with
#   DANGAN_PLUGIN_PATH and DANGAN_DATADIR pointing into the build tree)
set -u
LC_ALL=C
export LC_ALL

BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench}
BENCH_N=${BENCH_N:-20}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
corpus=$(cd "$top/../shared/corpus/ocr-zh" 2>/dev/null && pwd) ||
	{ echo "bench: ../shared/corpus/ocr-zh is missing" >&2; exit 2; }
. "$here/dangan-env.sh"
for t in djpeg pdftoppm tiffcp python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is needed" >&2; exit 2; }
done

RUN="$BENCH_DIR/damage"
rm -rf "$RUN"
mkdir -p "$RUN" || exit 2
cat >"$RUN/scan.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="scans">
    <stage id="scan" plugin="scan" on-failure="quarantine">
      <match type="image/*"/><match type="application/pdf"/>
    </stage>
  </pipeline>
</dangan>
EOF
echo "dangan: $("$DANGAN" --version 2>/dev/null | head -n 1); $(dpkg-query -W -f='libjpeg-turbo ${Version}, ' \
	libjpeg62-turbo 2>/dev/null)$(pdftoppm -v 2>&1 | head -n 1)"
echo "$BENCH_N damaged copies of each page in each way"
echo
python3 -B "$here/damage.py" "$RUN" "$DANGAN" "$RUN/scan.xml" "$top/tests/data/scan" "$BENCH_N" \
	"$corpus"/*-jpeg.jpg "$top/tests/data/scan/colour.jpg" "$corpus"/*-lowres.tif
