#!/bin/sh
# bench/ocr-work.sh -- how much work does `dangan ingest` spend on scanned
# pages, against the tesseract command that tool (b) of bench/ocr.sh runs
# for each page, counted in CPU instructions (valgrind's cachegrind)?
#
# Why instructions: on a shared virtual machine the pages/minute of
# bench/ocr.sh vary by a quarter from one run to the next, more than most
# changes one wants to measure.  An instruction count does not depend on
# what else the machine does, so two builds, or dangan and tesseract, can
# be compared to the percent.  It leaves out what the CPU makes of the
# instructions (cache misses, vector width, the second core), so it
# complements the wall-clock figures of bench/ocr.sh, it does not replace
# them.  Run by hand (not part of make check); it asserts nothing.
#
# On the pages WORK_PAGES (file names in OCR_CORPUS; default: one page of
# each degradation profile and one in traditional script, the corpus's
# mix), both under `valgrind --tool=cachegrind --cache-sim=no`, the two
# side by side (the counts do not depend on it):
#   tesseract  `OMP_THREAD_LIMIT=1 tesseract PAGE OUT -l chi_sim`, one
#              process per page, as (b) runs it: each loads its model;
#   dangan     one `dangan ingest -j 1` of all the pages into a fresh store
#              (default configuration): it loads its models once, as in
#              any batch, and runs every stage (scan, DA/T 31 checks,
#              prep, OCR with the chi_tra re-reading of pages in
#              traditional script, hOCR, searchable PDF, catalogue).
# Printed: instructions per page for tesseract, the total of each tool,
# tesseract's model load alone (a blank page), the share of dangan's work
# done inside each stage (from its history: milliseconds, the only
# per-stage figure it records) and the ratio tesseract / dangan: above 1,
# dangan does less work for the same pages.
#
# Parameters (environment):
#   OCR_CORPUS=<repo>/../shared/corpus/ocr-zh   DANGAN=dangan (as in
#   bench/ocr.sh)   WORK_PAGES="seed000-000-clean.png ..."
#   WORK_TOOLS="tesseract dangan" (one of them alone: e.g. dangan, to
#   compare two builds of it)   BENCH_DIR=/var/tmp/dangan-bench
#   BENCH_KEEP=0 (1: keep BENCH_DIR/ocr-work)
# Time: cachegrind runs about 10 times slower than the program; the
# default 6 pages take about 15 minutes on 2 cores.
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OCR_CORPUS=${OCR_CORPUS:-$top/../shared/corpus/ocr-zh}
WORK_PAGES=${WORK_PAGES:-seed000-000-clean.png seed001-001-skew.png seed003-002-noisy.png seed004-003-lowres.tif seed000-004-jpeg.jpg seed002-000-clean.png}
BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench}
BENCH_KEEP=${BENCH_KEEP:-0}
WORK_TOOLS=${WORK_TOOLS:-tesseract dangan}
DANGAN=${DANGAN:-dangan}
case $DANGAN in
/*) ;;
*/*) DANGAN=$PWD/$DANGAN ;;
*) DANGAN=$(command -v "$DANGAN" 2>/dev/null || printf '%s' "$DANGAN") ;;
esac
unset DANGAN_STORE DANGAN_CONFIG

die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
has() { case " $WORK_TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }
command -v valgrind >/dev/null 2>&1 || die "valgrind is missing (Debian: apt-get install valgrind)"
! has tesseract || command -v tesseract >/dev/null 2>&1 || die "tesseract is missing (Debian: apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
! has dangan || [ -x "$DANGAN" ] || die "no dangan at $DANGAN (set DANGAN)"
[ -d "$OCR_CORPUS" ] || die "no corpus at $OCR_CORPUS (set OCR_CORPUS)"

RUN=$BENCH_DIR/ocr-work
rm -rf "$RUN"
mkdir -p "$RUN/pages" "$RUN/tess" "$RUN/cg" || exit 2
n=0
for p in $WORK_PAGES; do
	[ -f "$OCR_CORPUS/$p" ] || die "no page $OCR_CORPUS/$p"
	cp "$OCR_CORPUS/$p" "$RUN/pages/" || exit 2
	n=$((n + 1))
done
[ "$n" -gt 0 ] || die "WORK_PAGES is empty"

CG="valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null --trace-children=yes"
# irefs LOG...: the instructions of every process that wrote one of LOG
irefs() { cat "$@" | awk '/I +refs:/ { gsub(",", "", $NF); s += $NF } END { printf "%.0f", s }'; }
gi() { awk -v i="$1" 'BEGIN { printf "%.2f", i / 1e9 }'; }

printf 'pages (%d) from %s: %s\n' "$n" "$OCR_CORPUS" "$WORK_PAGES"
printf 'counting instructions with cachegrind (%s) ...\n' "$WORK_TOOLS"
(
	has tesseract || exit 0
	for p in $WORK_PAGES; do
		OMP_THREAD_LIMIT=1 $CG --log-file="$RUN/cg/tess-$p.%p" \
			tesseract "$RUN/pages/$p" "$RUN/tess/$p" -l chi_sim >/dev/null 2>&1
	done
	# the model load alone: a blank page with nothing to read
	tesseract_blank=$RUN/blank.pgm
	printf 'P5\n64 64\n255\n' >"$tesseract_blank"
	head -c 4096 /dev/zero | tr '\0' '\377' >>"$tesseract_blank"
	OMP_THREAD_LIMIT=1 $CG --log-file="$RUN/cg/load.%p" \
		tesseract "$tesseract_blank" "$RUN/tess/blank" -l chi_sim >/dev/null 2>&1
) &
tpid=$!
drc=0
if has dangan; then
	$CG --log-file="$RUN/cg/dangan.%p" "$DANGAN" --store "$RUN/store" ingest -j 1 --json "$RUN/pages" \
		>"$RUN/dangan.json" 2>"$RUN/dangan.log"
	drc=$?
fi
wait "$tpid"
[ "$drc" -le 1 ] || die "dangan ingest failed ($drc), see $RUN/dangan.log"

tsum=- dsum=-
if has tesseract; then
	printf '\n%-28s %14s\n' "page" "tesseract G"
	tsum=0
	for p in $WORK_PAGES; do
		i=$(irefs "$RUN"/cg/tess-"$p".*)
		tsum=$(awk -v a="$tsum" -v b="$i" 'BEGIN { printf "%.0f", a + b }')
		printf '%-28s %14s\n' "$p" "$(gi "$i")"
	done
	printf '\ntesseract, model load alone (blank page): %s G a process\n' "$(gi "$(irefs "$RUN"/cg/load.*)")"
fi
if has dangan; then
	dsum=$(irefs "$RUN"/cg/dangan.*)
	# the share of each stage, from the milliseconds in the documents' history
	for id in $("$DANGAN" --store "$RUN/store" ls --json 2>/dev/null |
		tr ',' '\n' | sed -n 's/.*"id": *"\(sha256:[0-9a-f]*\)".*/\1/p'); do
		"$DANGAN" --store "$RUN/store" show "$id" 2>/dev/null
	done | awk '$2 == "stage" && match($0, /\(([0-9.]+) ms\)/) {
		ms = substr($0, RSTART + 1, RLENGTH - 5)
		if (!($3 in t)) order[++k] = $3
		t[$3] += ms; all += ms
	}
	END { if (all > 0) { printf "dangan, share of the stages (time in history):"
		for (i = 1; i <= k; i++) printf " %s %.0f %%", order[i], 100 * t[order[i]] / all; printf "\n" } }'
fi

per_page() { [ "$1" = - ] && { echo -; return; }; awk -v s="$1" -v n="$n" 'BEGIN { printf "%.2f", s / n / 1e9 }'; }
all_pages() { [ "$1" = - ] && { echo -; return; }; gi "$1"; }
printf '\n%-40s %12s %12s\n' "tool" "G in all" "G a page"
printf '%-40s %12s %12s\n' "tesseract, a process a page, as (b)" "$(all_pages "$tsum")" "$(per_page "$tsum")"
printf '%-40s %12s %12s\n' "dangan ingest -j 1, all stages" "$(all_pages "$dsum")" "$(per_page "$dsum")"
if [ "$tsum" != - ] && [ "$dsum" != - ]; then
	printf '%-40s %12s\n' "tesseract / dangan (work ratio)" \
		"$(awk -v a="$tsum" -v b="$dsum" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')"
	printf '(bench/ocr.sh asks 1.3 in pages/minute; a work ratio under it cannot\n'
	printf ' reach it unless dangan used the cores better than two tesseracts do)\n'
fi

[ "$BENCH_KEEP" = 1 ] || rm -rf "$RUN"
