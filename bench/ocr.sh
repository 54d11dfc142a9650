#!/bin/sh
# bench/ocr.sh -- how fast and how accurate is the OCR of `dangan ingest`,
# compared with tesseract and ocrmypdf run on the same pages in the same
# script?  Run by hand (not part of make check); it prints numbers and
# ratios against the targets, it asserts nothing.
#
# Chinese: every page of OCR_CORPUS (simulated A4 scans of real Chinese
# text, five degradation profiles: clean, skew, noisy, lowres, jpeg;
# ground truth in PAGE.gt.txt), through
#   (a) `tesseract PAGE OUT -l chi_sim`, default settings, one page after
#       the other;
#   (b) `OMP_THREAD_LIMIT=1 tesseract ...`, BENCH_PAR (2) pages at a time
#       (xargs -P);
#   (c) `ocrmypdf --jobs BENCH_PAR --deskew -l chi_sim` on one PDF holding
#       all the pages (made beforehand, untimed, by img2pdf: lossless), the
#       text taken out page by page with `pdftotext -raw` (the order in
#       which the text layer was written, that is tesseract's; without -raw
#       pdftotext redoes the layout and reorders lines of the deskewed pages);
#   (d) `dangan ingest` of the page files into a fresh store (default
#       configuration), the text of each page read back with
#       `dangan cat sha256:SHA256-OF-THE-PAGE --part text`.
#   (e) when (c) ran: `dangan ingest` of (c)'s input, the one PDF of all
#       the pages (a box as a scanner makes it: one document whose pages
#       are rendered, checked, prepared and read), its text part split at
#       the form feeds between pages; not a target, a check that a long
#       PDF goes as fast as its pages as files, and a comparison with
#       ocrmypdf on the very same input.
# For each: pages/minute (wall clock), peak RSS (/usr/bin/time -f %M: the
# largest per-process peak over the pages for (a) and (b); for (c) and (d)
# the one command, whose figure also covers the children it waited for),
# and the character error rate (CER) per profile and overall.
# CPU: the user + system seconds of (b) (all its tesseract processes) and
# of (d) (the ingest), and, from the history of each page (the ocr stage's
# note "reading: ... s CPU"), the part of (d)'s spent in tesseract reading
# the pages, and in the first reading of each.  Both tools keep every
# CPU busy, so pages/min follow CPU seconds, and (b)'s CPU over (d)'s
# first readings is the ceiling of (d)/(b): the ratio dangan would reach
# if it did nothing but read each page once, as it reads it (prepared,
# at its OCR resolution), with no re-reading, no hOCR, PDF, checks or
# catalogue.
# English: the real scans of OCR_EN_CORPUS that have exact ground truth (a
# letter as flatbed scan and two phone photos, two UNLV pages, tesseract's
# phototest and eurotext, and four rotated copies of phototest), through
# (a) with `-l eng` and (d) with a configuration whose ocr stages use
# languages=eng (written to the scratch directory, passed with --config).
#
# CER is computed by CER (cer.py GT OCR [GT OCR ...]: Levenshtein distance
# over the length of the ground truth, all whitespace removed from both
# sides, the same for every tool; tesseract puts spaces between Chinese
# characters, which therefore cost nothing).  The CER of a group is its
# edits over its characters, not a mean of page rates.
#
# Targets: dangan pages/min >= 1.3 x the best of (a)-(c); dangan CER no
# worse than (a) on any profile; dangan CER on the skewed pages <= 3 %.
# Pages whose ground truth is in traditional script are read as simplified
# by chi_sim (~35 % CER for every tool): they are counted like the others,
# and the skew figure is also given without them.  The load average is
# printed at the start and the end: the timings mean little when other
# work keeps the CPUs busy.  A missing ocrmypdf or pdftotext skips (c);
# a dangan without the ocr plugin (or without an ocr stage in its default
# configuration) skips (d); both say so.
#
# Everything happens under BENCH_DIR/ocr (default /var/tmp/dangan-bench);
# it is removed at the end unless BENCH_KEEP=1 (then the OCR output of
# each tool, the per-page CER and the tools' logs stay there).
#
# Parameters (environment):
#   OCR_CORPUS=<repo>/../shared/corpus/ocr-zh
#   OCR_EN_CORPUS=<repo>/../shared/corpus/ocr-en
#   CER=<repo>/../shared/tools/cer.py  PYTHON=python3
#   DANGAN=dangan  (a build tree's: DANGAN=./dangan, with DANGAN_PLUGIN_PATH
#                   and DANGAN_DATADIR exported, as in README.md)
#   BENCH_DIR=/var/tmp/dangan-bench  BENCH_PAGES=  (all; N: the first N of
#   a round robin over the profiles, so 5 = one page of each)
#   BENCH_PAR=2  (workers of (b) and (c))  BENCH_JOBS=  (dangan ingest -j;
#   default: its own, one per CPU)  BENCH_SECTIONS="zh en"
#   BENCH_TOOLS="tesseract parallel ocrmypdf dangan"  BENCH_KEEP=0
#   BENCH_REPEAT=1  (rounds of (b) and (d) on the Chinese pages: with N > 1,
#   N - 1 more rounds run them again one after the other, in turn first,
#   and the pages/min and CPU figures of each are the medians of its N
#   runs; each round's own ratio (d)/(b) and ceiling are printed with
#   their medians.  This machine's speed can move by half between
#   minutes, and a round compares two runs made under the same
#   conditions.  When (c) ran, each round also runs (e) beside (d), and
#   (e)'s pages/min and the rounds' own (e)/(d) are medians too.  Each
#   round costs the time of (b) + (d), and of (e).)
#   BENCH_CONFIG=  (a dangan configuration file for (d) on the Chinese
#   pages instead of the default one: e.g. the default with
#   <option name="text-height">0</option> in the prep stage, to see what
#   scaling pages by the height of their text saves)
# A quick run:
#   BENCH_PAGES=5 bench/ocr.sh
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
OCR_CORPUS=${OCR_CORPUS:-$top/../shared/corpus/ocr-zh}
OCR_EN_CORPUS=${OCR_EN_CORPUS:-$top/../shared/corpus/ocr-en}
CER=${CER:-$top/../shared/tools/cer.py}
PYTHON=${PYTHON:-python3}
BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench}
BENCH_PAGES=${BENCH_PAGES:-}
BENCH_PAR=${BENCH_PAR:-2}
BENCH_JOBS=${BENCH_JOBS:-}
BENCH_SECTIONS=${BENCH_SECTIONS:-zh en}
BENCH_TOOLS=${BENCH_TOOLS:-tesseract parallel ocrmypdf dangan}
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_CONFIG=${BENCH_CONFIG:-}
BENCH_REPEAT=${BENCH_REPEAT:-1}
DANGAN=${DANGAN:-dangan}
ZH_LANG=chi_sim
EN_LANG=eng
PROFILES="clean skew noisy lowres jpeg"
EN_GROUPS="flatbed phone unlv tesstest rotated"
TAB=$(printf '\t')

# a relative DANGAN (./dangan) must survive the changes of directory below
case $DANGAN in
/*) ;;
*/*) DANGAN=$PWD/$DANGAN ;;
*) DANGAN=$(command -v "$DANGAN" 2>/dev/null || printf '%s' "$DANGAN") ;;
esac
unset DANGAN_STORE DANGAN_CONFIG
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
JOPT=
[ -n "$BENCH_JOBS" ] && JOPT="-j $BENCH_JOBS"

say() { printf '%s\n' "$*"; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null; }
busy() { # a warning when something else keeps the CPUs busy
	awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg 2>/dev/null &&
		say "  warning: the load average is above half the CPUs: other work distorts the timings"
}
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
per_min() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", n * 60 / s; else print "inf" }'; }
ratio() { # ratio A B: A / B, or "-" when either is unknown
	case "$1$2" in *-*) echo - ; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else if (a > 0) print "inf"; else print "1.000" }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
has() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
verdict() { # verdict VALUE OP TARGET -> ok / BELOW TARGET / ABOVE TARGET / -
	case "$1" in -|"") echo - ; return ;; esac
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "inf") v = 1e300
		good = (op == ">=") ? (v >= t) : (v <= t)
		print good ? "ok" : (op == ">=" ? "BELOW TARGET" : "ABOVE TARGET")
	}'
}

case $BENCH_REPEAT in '' | *[!0-9]* | 0) die "BENCH_REPEAT must be a whole number of rounds, 1 or more, not '$BENCH_REPEAT'" ;; esac
[ -d "$OCR_CORPUS" ] || die "no corpus at $OCR_CORPUS (set OCR_CORPUS)"
OCR_CORPUS=$(cd "$OCR_CORPUS" && pwd)
[ -d "$OCR_EN_CORPUS" ] && OCR_EN_CORPUS=$(cd "$OCR_EN_CORPUS" && pwd)
[ -f "$CER" ] || die "no cer.py at $CER (set CER)"
command -v tesseract >/dev/null 2>&1 || die "tesseract is missing (Debian: apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
langs=$(tesseract --list-langs 2>/dev/null)
printf '%s\n' "$langs" | grep -qx "$ZH_LANG" || die "tesseract has no $ZH_LANG (Debian: apt-get install tesseract-ocr-chi-sim)"
have_eng=1
printf '%s\n' "$langs" | grep -qx "$EN_LANG" || have_eng=0

RUN="$BENCH_DIR/ocr"
rm -rf "$RUN"
mkdir -p "$RUN" || exit 2
SUMMARY="$RUN/summary"
CERS="$RUN/cer" # lines: TOOL GROUP EDITS CHARS
: >"$SUMMARY"
: >"$CERS"
# summary ROW: measure, value, unit, target, verdict
row() { printf '%-46s %10s %-6s %-10s %s\n' "$1" "$2" "$3" "$4" "$5" >>"$SUMMARY"; }

# ---- page lists: STEM <TAB> GROUP <TAB> IMAGE <TAB> GROUND-TRUTH -------------
zh_list() {
	for img in "$OCR_CORPUS"/*; do
		case $img in *.png | *.tif | *.tiff | *.jpg | *.jpeg) ;; *) continue ;; esac
		gt=${img%.*}.gt.txt
		[ -f "$gt" ] || continue
		b=${img##*/}
		s=${b%.*}
		printf '%s\t%s\t%s\t%s\n' "$b" "${s##*-}" "$img" "$gt"
	done | LC_ALL=C sort | awk -F '\t' -v order="$PROFILES" -v max="${BENCH_PAGES:-0}" '
		# round robin over the profiles, a different page of each in each
		# round: the first 5 are one page per profile
		BEGIN { np = split(order, po, " "); for (i = 1; i <= np; i++) idx[po[i]] = i }
		{
			if (!($2 in idx)) { idx[$2] = ++np; po[np] = $2 }
			k = idx[$2]; page[k, n[k]++] = $0
			if (n[k] > rounds) rounds = n[k]
		}
		END {
			out = 0
			for (r = 0; r < rounds; r++)
				for (k = 1; k <= np; k++)
					if (r < n[k] && (max == 0 || out < max)) { print page[k, (r + k - 1) % n[k]]; out++ }
		}'
}
en_list() {
	d=$OCR_EN_CORPUS
	while read -r group rel gt; do
		[ -f "$d/$rel" ] && [ -f "$d/$gt" ] || continue
		printf '%s\t%s\t%s\t%s\n' "$(printf '%s' "$rel" | tr / -)" "$group" "$d/$rel" "$d/$gt"
	done <<EOF
flatbed docspell_letter/scanner_jfif.jpg docspell_letter/letter-en.gt.txt
phone docspell_letter/camera_letter-en.jpg docspell_letter/letter-en.gt.txt
phone docspell_letter/camera_letter-en.png docspell_letter/letter-en.gt.txt
unlv tesseract_test/8071_093.3B.tif tesseract_test/8071_093.3B.txt
unlv tesseract_test/8087_054.3B.tif tesseract_test/8087_054.3B.txt
tesstest tesseract_test/phototest.tif tesseract_test/phototest.txt
tesstest tesseract_test/eurotext.tif tesseract_test/eurotext.txt
rotated tesseract_test/phototest-rotated-180.png tesseract_test/phototest-rotated-180.txt
rotated tesseract_test/phototest-rotated-L.png tesseract_test/phototest-rotated-L.txt
rotated tesseract_test/phototest-rotated-R.png tesseract_test/phototest-rotated-R.txt
rotated tesseract_test/phototestrot.tif tesseract_test/phototestrot.txt
EOF
}
npages() { wc -l <"$1" | tr -d ' '; }
# trad_filter LIST: the lines of LIST whose ground truth is in simplified
# script; a page with 20+ characters that exist only in traditional script
# (營 銷 檔 關 ...) is left out: chi_sim reads it as simplified, so every
# chi_sim OCR scores ~35 % CER there whatever it does with the image
trad_filter() {
	"$PYTHON" - "$1" <<'PY'
import sys
trad = set("們與這個為會營銷檔關業電計劃時間導語寫資獻讀務員質統產處術現動數據傳輸節點應當對經濟發實體條說請護險標準規範種類區")
for line in open(sys.argv[1], encoding="utf-8"):
    gt = line.rstrip("\n").split("\t")[3]
    if sum(c in trad for c in open(gt, encoding="utf-8", errors="replace").read()) < 20:
        sys.stdout.write(line)
PY
}

# ---- CER --------------------------------------------------------------------
# cer_tool TOOL LIST OUTDIR GROUPS: the CER of OUTDIR/STEM.txt against the
# ground truth, one cer.py run per group; appends "TOOL GROUP EDITS CHARS"
# (a subshell: its variables must not clobber the caller's list)
cer_tool() (
	tool=$1 list=$2 dir=$3 groups=$4
	for g in $groups; do
		set --
		while IFS=$TAB read -r stem grp img gt; do
			[ "$grp" = "$g" ] || continue
			[ -f "$dir/$stem.txt" ] || : >"$dir/$stem.txt"
			set -- "$@" "$gt" "$dir/$stem.txt"
		done <"$list"
		[ $# -gt 0 ] || continue
		"$PYTHON" "$CER" "$@" >"$dir/cer-$g.log" 2>&1
		sed -n 's/^CER total: [0-9.]* (\([0-9]*\)\/\([0-9]*\)).*/\1 \2/p' "$dir/cer-$g.log" | tail -1 |
			while read -r e c; do echo "$tool $g $e $c"; done >>"$CERS"
	done
)
# cer_get TOOL GROUP|all -> CER in %, or "-"
cer_get() {
	awk -v t="$1" -v g="$2" '$1 == t && (g == "all" || $2 == g) { e += $3; c += $4; n++ }
		END { if (n && c > 0) printf "%.2f", 100 * e / c; else print "-" }' "$CERS"
}

# ---- the runners: each reads a list, writes OUTDIR/STEM.txt ---------------
# (a) tesseract, one page after the other
run_seq() ( # run_seq LIST OUTDIR LANG -> "SECONDS RSS_KB"
	list=$1 out=$2 lang=$3
	mkdir -p "$out"
	t0=$(now)
	while IFS=$TAB read -r stem grp img gt; do
		if [ -n "$TIME" ]; then
			$TIME -f %M -o "$out/$stem.rss" tesseract "$img" "$out/$stem" -l "$lang" </dev/null >>"$out/log" 2>&1
		else
			tesseract "$img" "$out/$stem" -l "$lang" </dev/null >>"$out/log" 2>&1
		fi || say "    tesseract failed on $stem (see $out/log)" >&2
	done <"$list"
	t1=$(now)
	echo "$(secs "$t0" "$t1") $(max_rss "$out")"
)
max_rss() { # the largest peak of OUTDIR/*.rss (kB), "-" without /usr/bin/time
	[ -n "$TIME" ] || { echo -; return; }
	cat "$1"/*.rss 2>/dev/null | awk '/^[0-9]+$/ && $1 > m { m = $1 } END { print m ? m : "-" }'
}
cpu_sum() { # the CPU seconds (user + system) of the "cpu U S" lines of FILE..., "-" without
	cat "$@" 2>/dev/null | awk '$1 == "cpu" { s += $2 + $3; n++ } END { if (n) printf "%.1f", s; else print "-" }'
}
# (b) tesseract, BENCH_PAR at a time, one thread each
run_par() ( # run_par LIST OUTDIR LANG -> "SECONDS RSS_KB"
	list=$1 out=$2
	mkdir -p "$out"
	t0=$(now)
	awk -F '\t' '{ print $1; print $3 }' "$list" |
		OMP_THREAD_LIMIT=1 OUT=$out LANG_=$3 TIMECMD=$TIME xargs -d '\n' -n 2 -P "$BENCH_PAR" sh -c '
			if [ -n "$TIMECMD" ]; then
				$TIMECMD -f "%M\ncpu %U %S" -o "$OUT/$1.rss" tesseract "$2" "$OUT/$1" -l "$LANG_" </dev/null >>"$OUT/log.$1" 2>&1
			else
				tesseract "$2" "$OUT/$1" -l "$LANG_" </dev/null >>"$OUT/log.$1" 2>&1
			fi || echo "    tesseract failed on $1 (see $OUT/log.$1)" >&2' sh
	t1=$(now)
	echo "$(secs "$t0" "$t1") $(max_rss "$out")"
)

# ---- header ---------------------------------------------------------------
dg_state="not found: $DANGAN"
if has dangan "$BENCH_TOOLS" && [ -x "$DANGAN" ]; then
	if "$DANGAN" plugins show ocr >"$RUN/ocr-plugin" 2>&1; then
		dg_state=ok
		# the default configuration (what `dangan init` copies) must send
		# the pages to the ocr plugin
		"$DANGAN" -q --store "$RUN/store-probe" init >/dev/null 2>&1
		grep -q 'plugin="ocr"' "$RUN/store-probe/config.xml" 2>/dev/null ||
			dg_state="no ocr stage in the default configuration (dangan init; \$DANGAN_DATADIR/dangan.xml)"
		rm -rf "$RUN/store-probe"
	else
		dg_state="ocr plugin not installed"
	fi
fi
has dangan "$BENCH_TOOLS" || dg_state="not run (BENCH_TOOLS)"
ocrmypdf_state=ok
if ! command -v ocrmypdf >/dev/null 2>&1; then
	ocrmypdf_state="not installed (Debian: apt-get install -y ocrmypdf)"
elif ! command -v pdftotext >/dev/null 2>&1; then
	ocrmypdf_state="pdftotext is missing (Debian: apt-get install -y poppler-utils)"
fi
has ocrmypdf "$BENCH_TOOLS" || ocrmypdf_state="not run (BENCH_TOOLS)"

say "dangan OCR benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "  dangan:    $DANGAN $("$DANGAN" --version 2>/dev/null | head -1)"
[ "$dg_state" = ok ] && say "             $(head -1 "$RUN/ocr-plugin")"
say "  tesseract: $(tesseract --version 2>&1 | head -1), $(tesseract --version 2>&1 | sed -n 's/^ *\(leptonica-[^ ]*\).*/\1/p')"
command -v ocrmypdf >/dev/null 2>&1 && say "  ocrmypdf:  $(ocrmypdf --version 2>/dev/null), pdftotext $(pdftotext -v 2>&1 | sed -n 's/^pdftotext version //p')"
say "  corpus:    $OCR_CORPUS"
say "  dir:       $RUN"
say "  machine:   $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
say "  workers:   (b) and (c) $BENCH_PAR; dangan ingest -j ${BENCH_JOBS:-default}"
[ -n "$TIME" ] || say "  /usr/bin/time is missing: no peak RSS (Debian: apt-get install time)"
say "  load:      $(load)"
busy
say ""

# timed_ingest STORE OUT CFG LOCATOR...: `dangan ingest` into STORE, its
# output appended to OUT/log, its peak RSS and CPU into OUT/ingest.rss;
# sets t0, t1 (start, end) and rc
timed_ingest() {
	ti_store=$1 ti_out=$2 ti_cfg=$3
	shift 3
	sync
	t0=$(now)
	if [ -n "$TIME" ]; then
		$TIME -f "%M\ncpu %U %S" -o "$ti_out/ingest.rss" "$DANGAN" -q --store "$ti_store" $ti_cfg ingest $JOPT "$@" \
			>>"$ti_out/log" 2>&1
	else
		"$DANGAN" -q --store "$ti_store" $ti_cfg ingest $JOPT "$@" >>"$ti_out/log" 2>&1
	fi
	rc=$?
	t1=$(now)
}
# rss_cpu OUT: rss and cpu from OUT/ingest.rss ("-" without $TIME)
rss_cpu() {
	rss=- cpu=-
	if [ -n "$TIME" ]; then
		rss=$(grep -E '^[0-9]+$' "$1/ingest.rss" | tail -1)
		cpu=$(cpu_sum "$1/ingest.rss")
	fi
}
# ---- dangan -----------------------------------------------------------------
# dg_ingest STORE LIST OUTDIR [--config FILE] -> "SECONDS RSS_KB CPU READ
# FIRST" (CPU seconds of the ingest, of tesseract's readings, of the first
# reading of each page: "-" when unknown), the text of each page in
# OUTDIR/STEM.txt
dg_ingest() (
	store=$1 list=$2 out=$3
	shift 3
	cfg="$*"
	mkdir -p "$out"
	: >"$out/reading"
	rm -rf "$store"
	"$DANGAN" -q --store "$store" $cfg init >"$out/log" 2>&1 || say "    dangan init exited $?" >&2
	set --
	while IFS=$TAB read -r stem grp img gt; do set -- "$@" "$img"; done <"$list"
	timed_ingest "$store" "$out" "$cfg" "$@"
	[ $rc -eq 0 ] || say "    dangan ingest exited $rc (see $out/log; quarantined: $("$DANGAN" --store "$store" quarantine ls 2>/dev/null | wc -l))" >&2
	missing=0
	while IFS=$TAB read -r stem grp img gt; do
		id=$(sha256sum "$img" | cut -c1-64)
		"$DANGAN" --store "$store" $cfg cat "sha256:$id" --part text >"$out/$stem.txt" 2>>"$out/log" </dev/null ||
			missing=$((missing + 1))
		"$DANGAN" --store "$store" $cfg show "sha256:$id" 2>>"$out/log" </dev/null |
			sed -n 's/.*; reading: \([0-9.]*\) s CPU\( (\([0-9.]*\) s first readings.*\)\{0,1\}$/\1 \3/p' >>"$out/reading"
	done <"$list"
	[ $missing -eq 0 ] || say "    $missing page(s) without a text part (counted as empty; see $out/log)" >&2
	rss_cpu "$out"
	# tesseract's reading, all and first readings ("-" from a dangan
	# whose history does not say)
	rd=$(awk '{ a += $1; f += ($2 == "" ? $1 : $2); n++ } END { if (n) printf "%.1f %.1f", a, f; else print "- -" }' \
		"$out/reading" 2>/dev/null)
	echo "$(secs "$t0" "$t1") ${rss:--} $cpu ${rd:-- -}"
)
# dg_ingest_pdf STORE PDF LIST OUT [--config FILE]: ingest the one PDF of
# LIST's pages; its text part, split at the form feeds between pages,
# into OUT/STEM.txt in LIST's order; prints "seconds rss cpu"
dg_ingest_pdf() (
	store=$1 pdf=$2 list=$3 out=$4
	shift 4
	cfg="$*"
	mkdir -p "$out"
	rm -rf "$store"
	"$DANGAN" -q --store "$store" $cfg init >"$out/log" 2>&1 || say "    dangan init exited $?" >&2
	timed_ingest "$store" "$out" "$cfg" "$pdf"
	[ $rc -eq 0 ] || say "    dangan ingest exited $rc (see $out/log)" >&2
	"$DANGAN" --store "$store" $cfg cat "sha256:$(sha256sum "$pdf" | cut -c1-64)" --part text >"$out/all.txt" \
		2>>"$out/log" </dev/null || say "    no text part (see $out/log)" >&2
	awk -v RS='\f' -v dir="$out" '{ f = dir "/page." NR; printf "%s", $0 >f; close(f) }' "$out/all.txt"
	i=1
	while IFS=$TAB read -r stem grp img gt; do
		if [ -f "$out/page.$i" ]; then mv "$out/page.$i" "$out/$stem.txt"; else : >"$out/$stem.txt"; fi
		i=$((i + 1))
	done <"$list"
	rss_cpu "$out"
	echo "$(secs "$t0" "$t1") ${rss:--} $cpu"
)
# en_config BASE OUT: BASE with languages=eng in every stage of the ocr plugin
en_config() {
	opt=$(awk '/^options:/ { o = 1; next } o && /^  [a-z0-9]/ { print $1 }' "$RUN/ocr-plugin" | grep -x 'languages' ||
		awk '/^options:/ { o = 1; next } o && /^  [a-z0-9]/ { print $1 }' "$RUN/ocr-plugin" | grep '^lang' | head -1)
	[ -n "$opt" ] || { say "    dangan: the ocr plugin has no languages option (dangan plugins show ocr)" >&2; return 1; }
	grep -q 'plugin="ocr"' "$1" || { say "    dangan: no ocr stage in $1" >&2; return 1; }
	awk -v opt="$opt" -v val="$EN_LANG" '
		/<stage[ \t>]/ { in_ocr = ($0 ~ /plugin="ocr"/); seen = 0 }
		in_ocr && $0 ~ "<option[ \t]+name=\"" opt "\"" {
			sub(/>[^<]*<\/option>/, ">" val "</option>"); seen = 1
		}
		in_ocr && /<\/stage>/ {
			if (!seen) { ind = $0; sub(/[^ \t].*/, "", ind); print ind "  <option name=\"" opt "\">" val "</option>" }
			in_ocr = 0
		}
		{ print }' "$1" >"$2"
	"$DANGAN" config check "$2" >"$RUN/en-config.check" 2>&1 || {
		say "    dangan: $2 does not check:" >&2
		sed 's/^/      /' "$RUN/en-config.check" >&2
		return 1
	}
}

# ---- Chinese ------------------------------------------------------------
median() { # median DECIMALS < numbers, one a line
	sort -g | awk -v d="$1" '$1 == "-" { u = 1 } { v[NR] = $1 }
		END { if (u || !NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.*f", d, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# zh_rounds LIST N TP_B TP_D [--config FILE]: BENCH_REPEAT - 1 more rounds
# of (b) and (d), and of (e) when TP_e is set (timings and CPU only: their
# text is that of the first round); TP_b, TP_d, TP_e, CPU_b, CPU_d, READ_d
# and FIRST_d become the medians of all rounds, CEIL_ROUND the median of
# the rounds' own ceilings, ED_ROUND that of their own (e)/(d)
zh_rounds() {
	list=$1 n=$2
	printf '%s\n' "$3" >"$RUN/rounds-b"
	printf '%s\n' "$4" >"$RUN/rounds-d"
	tools="b d" te=
	if [ -n "${TP_e:-}" ]; then
		tools="b d e"
		printf '%s\n' "$TP_e" >"$RUN/rounds-e"
		printf '%s\n' "$(ratio "$TP_e" "$4")" >"$RUN/rounds-ed"
	fi
	printf '%s\n' "$(ratio "$4" "$3")" >"$RUN/rounds-ratio"
	printf '%s\n' "$CPU_b" >"$RUN/rounds-cpu-b"
	printf '%s\n' "$CPU_d" >"$RUN/rounds-cpu-d"
	printf '%s\n' "$READ_d" >"$RUN/rounds-read"
	printf '%s\n' "$FIRST_d" >"$RUN/rounds-first"
	printf '%s\n' "$(ratio "$CPU_b" "$FIRST_d")" >"$RUN/rounds-ceiling"
	shift 4
	cfg=$* # --config FILE, or nothing (no spaces: as dg_ingest takes it)
	say "  rounds of (b) and (d)${TP_e:+ and (e)} (BENCH_REPEAT=$BENCH_REPEAT), pages/min:"
	say "      round 1: (b) $(sed -n 1p "$RUN/rounds-b"), (d) $(sed -n 1p "$RUN/rounds-d"), (d)/(b) $(sed -n 1p "$RUN/rounds-ratio")$(
		[ -z "${TP_e:-}" ] || echo "; (e) $TP_e, (e)/(d) $(sed -n 1p "$RUN/rounds-ed")")"
	say "               CPU s: (b) $CPU_b, (d) $CPU_d, first readings $FIRST_d; ceiling $(sed -n 1p "$RUN/rounds-ceiling")"
	r=2
	while [ "$r" -le "$BENCH_REPEAT" ]; do
		order=$tools
		# in turn: the other way round in even rounds, (d) before (b)
		[ $((r % 2)) -eq 0 ] && order=$(echo "$tools" | awk '{ for (i = NF; i > 1; i--) printf "%s ", $i; print $1 }')
		for tool in $order; do
			case $tool in
			b)
				rm -rf "$RUN/zh-b-round"
				set -- $(run_par "$list" "$RUN/zh-b-round" "$ZH_LANG")
				tb=$(per_min "$n" "$1") cb=$(cpu_sum "$RUN/zh-b-round"/*.rss) ;;
			d)
				set -- $(dg_ingest "$RUN/store-zh-round" "$list" "$RUN/zh-d-round" $cfg)
				td=$(per_min "$n" "$1") cd=$3 rd=$4 fd=$5 ;;
			e)
				set -- $(dg_ingest_pdf "$RUN/store-zh-e-round" "$RUN/zh-c/in.pdf" "$list" "$RUN/zh-e-round" $cfg)
				te=$(per_min "$n" "$1") ;;
			esac
		done
		echo "$tb" >>"$RUN/rounds-b"
		echo "$td" >>"$RUN/rounds-d"
		echo "$(ratio "$td" "$tb")" >>"$RUN/rounds-ratio"
		echo "$cb" >>"$RUN/rounds-cpu-b"
		echo "$cd" >>"$RUN/rounds-cpu-d"
		echo "$rd" >>"$RUN/rounds-read"
		echo "$fd" >>"$RUN/rounds-first"
		echo "$(ratio "$cb" "$fd")" >>"$RUN/rounds-ceiling"
		if [ -n "$te" ]; then
			echo "$te" >>"$RUN/rounds-e"
			echo "$(ratio "$te" "$td")" >>"$RUN/rounds-ed"
		fi
		say "      round $r: (b) $tb, (d) $td, (d)/(b) $(tail -1 "$RUN/rounds-ratio")$(
			[ -z "$te" ] || echo "; (e) $te, (e)/(d) $(tail -1 "$RUN/rounds-ed")")$(
			[ $((r % 2)) -eq 0 ] && echo "; in the order $order")"
		say "               CPU s: (b) $cb, (d) $cd, first readings $fd; ceiling $(tail -1 "$RUN/rounds-ceiling")"
		r=$((r + 1))
	done
	TP_b=$(median 2 <"$RUN/rounds-b")
	TP_d=$(median 2 <"$RUN/rounds-d")
	ROUND_RATIO=$(median 3 <"$RUN/rounds-ratio")
	CPU_b=$(median 1 <"$RUN/rounds-cpu-b")
	CPU_d=$(median 1 <"$RUN/rounds-cpu-d")
	READ_d=$(median 1 <"$RUN/rounds-read")
	FIRST_d=$(median 1 <"$RUN/rounds-first")
	CEIL_ROUND=$(median 3 <"$RUN/rounds-ceiling")
	say "      medians: (b) $TP_b, (d) $TP_d pages/min; of the rounds' own ratios $ROUND_RATIO"
	if [ -n "$te" ]; then
		TP_e=$(median 2 <"$RUN/rounds-e")
		ED_ROUND=$(median 3 <"$RUN/rounds-ed")
		say "               (e) $TP_e pages/min; of the rounds' own (e)/(d) $ED_ROUND"
	fi
	say "               CPU s: (b) $CPU_b, (d) $CPU_d, (d) reading $READ_d, first readings $FIRST_d; of the rounds' own ceilings $CEIL_ROUND"
	rm -rf "$RUN/zh-b-round" "$RUN/zh-d-round" "$RUN/store-zh-round" "$RUN/zh-e-round" "$RUN/store-zh-e-round"
}
section_zh() {
	list="$RUN/zh.list"
	zh_list >"$list"
	n=$(npages "$list")
	[ "$n" -gt 0 ] || die "no page with ground truth in $OCR_CORPUS"
	say "Chinese: $n pages of $OCR_CORPUS ($(cut -f2 "$list" | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'))"
	ZH_N=$n
	trad_filter "$list" >"$RUN/zh-simp.list"
	ZH_TRAD=$((n - $(npages "$RUN/zh-simp.list")))
	[ "$ZH_TRAD" -eq 0 ] ||
		say "  $ZH_TRAD of them are in traditional script: chi_sim reads them as simplified (~35 % CER for every tool); they count below, and a second skew figure leaves them out"
	if has tesseract "$BENCH_TOOLS"; then
		say "  (a) tesseract -l $ZH_LANG, one page at a time ..."
		set -- $(run_seq "$list" "$RUN/zh-a" "$ZH_LANG")
		TP_a=$(per_min "$n" "$1") RSS_a=$2
		cer_tool a "$list" "$RUN/zh-a" "$PROFILES"
		cer_tool a-simp "$RUN/zh-simp.list" "$RUN/zh-a" skew
		say "      $1 s, $TP_a pages/min, peak RSS $(mb "$RSS_a") MB (largest page), CER $(cer_get a all) %"
	fi
	if has parallel "$BENCH_TOOLS"; then
		say "  (b) OMP_THREAD_LIMIT=1 tesseract -l $ZH_LANG, $BENCH_PAR pages at a time (xargs -P $BENCH_PAR) ..."
		set -- $(run_par "$list" "$RUN/zh-b" "$ZH_LANG")
		TP_b=$(per_min "$n" "$1") RSS_b=$2
		CPU_b=$(cpu_sum "$RUN/zh-b"/*.rss)
		cer_tool b "$list" "$RUN/zh-b" "$PROFILES"
		say "      $1 s, $TP_b pages/min, peak RSS $(mb "$RSS_b") MB (largest process), CER $(cer_get b all) %"
		say "      CPU $CPU_b s (user + system, all the processes)"
	fi
	if [ "$ocrmypdf_state" = ok ]; then
		out="$RUN/zh-c"
		mkdir -p "$out"
		# img2pdf is a dependency of ocrmypdf: use its Python module with
		# ocrmypdf's own interpreter, or the img2pdf command if there is one
		py=$(head -1 "$(command -v ocrmypdf)" | sed -n 's/^#! *\([^ ]*\).*/\1/p')
		set --
		while IFS=$TAB read -r stem grp img gt; do set -- "$@" "$img"; done <"$list"
		t0=$(now)
		if command -v img2pdf >/dev/null 2>&1; then
			img2pdf -o "$out/in.pdf" "$@" 2>"$out/img2pdf.log"
		else
			"${py:-python3}" -c 'import sys, img2pdf
open(sys.argv[1], "wb").write(img2pdf.convert(sys.argv[2:]))' "$out/in.pdf" "$@" 2>"$out/img2pdf.log"
		fi || { say "    img2pdf failed (see $out/img2pdf.log)"; }
		t1=$(now)
		say "  (c) ocrmypdf --jobs $BENCH_PAR --deskew -l $ZH_LANG (defaults otherwise: PDF/A output) ..."
		say "      input: one $n-page PDF of all the pages, made by img2pdf (lossless, $(secs "$t0" "$t1") s, not timed),"
		say "      so that --jobs $BENCH_PAR keeps $BENCH_PAR pages in work at once as (b) does; one PDF a page"
		say "      would leave all workers but one idle and start Python $n times;"
		say "      text: pdftotext -raw, page by page (tesseract's order, not pdftotext's layout)"
		sync
		t0=$(now)
		if [ -n "$TIME" ]; then
			$TIME -f %M -o "$out/ocrmypdf.rss" ocrmypdf --jobs "$BENCH_PAR" --deskew -l "$ZH_LANG" "$out/in.pdf" "$out/out.pdf" >"$out/log" 2>&1
		else
			ocrmypdf --jobs "$BENCH_PAR" --deskew -l "$ZH_LANG" "$out/in.pdf" "$out/out.pdf" >"$out/log" 2>&1
		fi
		rc=$?
		t1=$(now)
		[ $rc -eq 0 ] || say "      ocrmypdf exited $rc (see $out/log)"
		i=1
		while IFS=$TAB read -r stem grp img gt; do
			pdftotext -q -raw -enc UTF-8 -f $i -l $i "$out/out.pdf" "$out/$stem.txt" </dev/null 2>>"$out/log"
			i=$((i + 1))
		done <"$list"
		s=$(secs "$t0" "$t1")
		TP_c=$(per_min "$n" "$s") RSS_c=-
		[ -n "$TIME" ] && RSS_c=$(tail -1 "$out/ocrmypdf.rss")
		cer_tool c "$list" "$out" "$PROFILES"
		say "      $s s, $TP_c pages/min, peak RSS $(mb "$RSS_c") MB (largest of ocrmypdf and the children it ran), CER $(cer_get c all) %"
	else
		say "  (c) ocrmypdf: $ocrmypdf_state"
	fi
	if [ "$dg_state" = ok ]; then
		if [ -n "$BENCH_CONFIG" ]; then
			say "  (d) dangan ingest (configuration $BENCH_CONFIG) + dangan cat ID --part text ..."
			set -- $(dg_ingest "$RUN/store-zh" "$list" "$RUN/zh-d" --config "$BENCH_CONFIG")
			dg_config=$BENCH_CONFIG
		else
			say "  (d) dangan ingest (default configuration) + dangan cat ID --part text ..."
			set -- $(dg_ingest "$RUN/store-zh" "$list" "$RUN/zh-d")
			dg_config=$RUN/store-zh/config.xml
		fi
		TP_d=$(per_min "$n" "$1") RSS_d=$2 CPU_d=$3 READ_d=$4 FIRST_d=$5
		cer_tool d "$list" "$RUN/zh-d" "$PROFILES"
		cer_tool d-simp "$RUN/zh-simp.list" "$RUN/zh-d" skew
		stages=$(grep -o 'plugin="[a-z0-9-]*"' "$dg_config" 2>/dev/null | sed 's/plugin=//; s/"//g' | tr '\n' ' ')
		say "      stages in the configuration: ${stages:-?}"
		say "      $1 s, $TP_d pages/min, peak RSS $(mb "$RSS_d") MB (the one process), CER $(cer_get d all) %"
		say "      CPU $CPU_d s (user + system); in tesseract reading the pages $READ_d s, of which the first reading of each $FIRST_d s"
		if [ -s "$RUN/zh-c/in.pdf" ]; then
			say "  (e) dangan ingest of (c)'s input, the one $n-page PDF (as a scanner makes a box) ..."
			set -- $(dg_ingest_pdf "$RUN/store-zh-e" "$RUN/zh-c/in.pdf" "$list" "$RUN/zh-e" \
				${BENCH_CONFIG:+--config "$BENCH_CONFIG"})
			TP_e=$(per_min "$n" "$1") RSS_e=$2
			cer_tool e "$list" "$RUN/zh-e" "$PROFILES"
			say "      $1 s, $TP_e pages/min, peak RSS $(mb "$RSS_e") MB (the one process), CER $(cer_get e all) %"
			say "      CPU $3 s (user + system)"
		fi
		[ "$BENCH_REPEAT" -gt 1 ] && [ -n "${TP_b:-}" ] &&
			zh_rounds "$list" "$n" "$TP_b" "$TP_d" ${BENCH_CONFIG:+--config "$BENCH_CONFIG"}
	else
		say "  (d) dangan: $dg_state"
		case $dg_state in "ocr plugin not installed")
			say "      (from a build tree: DANGAN=./dangan with DANGAN_PLUGIN_PATH and DANGAN_DATADIR exported)" ;;
		esac
	fi
	say ""
}

# ---- English ------------------------------------------------------------
section_en() {
	list="$RUN/en.list"
	en_list >"$list"
	n=$(npages "$list")
	say "English: $n real scans of $OCR_EN_CORPUS with exact ground truth ($(cut -f2 "$list" | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'))"
	say "  (the UNLV ground truth holds only the text of the zones in the .uzn files; text"
	say "   outside them counts as insertions, for every tool alike)"
	[ "$n" -gt 0 ] || { say "  skipped: nothing found"; say ""; return; }
	if [ $have_eng = 0 ]; then
		say "  skipped: tesseract has no $EN_LANG (Debian: apt-get install tesseract-ocr-eng)"
		say ""
		return
	fi
	EN_N=$n
	if has tesseract "$BENCH_TOOLS"; then
		set -- $(run_seq "$list" "$RUN/en-a" "$EN_LANG")
		cer_tool en-a "$list" "$RUN/en-a" "$EN_GROUPS"
		say "  (a) tesseract -l $EN_LANG: $1 s, $(per_min "$n" "$1") pages/min, CER $(cer_get en-a all) %"
	fi
	if [ "$dg_state" = ok ]; then
		rm -rf "$RUN/store-en"
		base="$RUN/store-en.base"
		"$DANGAN" -q --store "$base" init >/dev/null 2>&1
		if en_config "$base/config.xml" "$RUN/dangan-eng.xml"; then
			set -- $(dg_ingest "$RUN/store-en" "$list" "$RUN/en-d" --config "$RUN/dangan-eng.xml")
			cer_tool en-d "$list" "$RUN/en-d" "$EN_GROUPS"
			say "  (d) dangan ingest, ocr $opt=$EN_LANG ($RUN/dangan-eng.xml): $1 s, $(per_min "$n" "$1") pages/min, CER $(cer_get en-d all) %"
		else
			say "  (d) dangan: skipped, no configuration with $EN_LANG"
		fi
		rm -rf "$base"
	else
		say "  (d) dangan: $dg_state"
	fi
	say ""
}

for sec in $BENCH_SECTIONS; do
	case $sec in
	zh) section_zh ;;
	en) section_en ;;
	*) die "unknown section '$sec' (zh, en)" ;;
	esac
done

# ---- summary --------------------------------------------------------------
val() { eval "printf '%s' \"\${$1:--}\""; }
if has zh "$BENCH_SECTIONS"; then
	say "summary, Chinese ($ZH_N pages): CER in %, whitespace removed"
	printf '%-22s %9s %7s %7s' "tool" "pages/min" "RSS MB" "all"
	for p in $PROFILES; do printf ' %7s' "$p"; done
	printf '\n'
	for t in a b c d e; do
		case $t in
		a) name="(a) tesseract" ;;
		b) name="(b) tesseract x$BENCH_PAR" ;;
		c) name="(c) ocrmypdf" ;;
		d) name="(d) dangan" ;;
		e) [ -n "${TP_e:-}" ] || continue
		   name="(e) dangan, (c)'s PDF" ;;
		esac
		r=$(val RSS_$t)
		[ "$r" = - ] || r=$(mb "$r")
		printf '%-22s %9s %7s %7s' "$name" "$(val TP_$t)" "$r" "$(cer_get $t all)"
		for p in $PROFILES; do printf ' %7s' "$(cer_get $t "$p")"; done
		printf '\n'
	done
	say ""
	# the best peer throughput
	best=- bestname=
	for t in a b c; do
		v=$(val TP_$t)
		[ "$v" = - ] && continue
		if [ "$best" = - ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$v bestname=$t; fi
	done
	for t in a b c d e; do
		v=$(val TP_$t)
		[ "$v" = - ] || row "($t) pages/min" "$v" "p/min" "" ""
	done
	r=$(ratio "$(val TP_d)" "$best")
	row "dangan pages/min / best of (a)-(c) [(${bestname:--})]" "$r" "x" ">= 1.3" "$(verdict "$r" ">=" 1.3)"
	if [ -n "${TP_e:-}" ]; then
		row "(e) / (c): dangan / ocrmypdf, same PDF" "$(ratio "$TP_e" "$(val TP_c)")" "x" "" ""
		row "(e) / (d): one PDF / a file a page" "$(ratio "$TP_e" "$(val TP_d)")" "x" "" ""
		[ -n "${ED_ROUND:-}" ] && row "median of the $BENCH_REPEAT rounds' (e)/(d)" "$ED_ROUND" "x" "" ""
	fi
	[ -n "${ROUND_RATIO:-}" ] &&
		row "median of the $BENCH_REPEAT rounds' (d)/(b)" "$ROUND_RATIO" "x" ">= 1.3" "$(verdict "$ROUND_RATIO" ">=" 1.3)"
	if [ -n "${CPU_b:-}" ] && [ -n "${CPU_d:-}" ]; then
		row "(b) CPU s" "$CPU_b" "s" "" ""
		row "(d) CPU s" "$CPU_d" "s" "" ""
		row "(d) CPU s in tesseract reading the pages" "$READ_d" "s" "" ""
		row "(d) CPU s in the first reading of each page" "$FIRST_d" "s" "" ""
		r=$(ratio "$CPU_b" "$FIRST_d")
		row "ceiling of (d)/(b): (b) CPU / (d) first readings" "$r" "x" ">= 1.3" "$(verdict "$r" ">=" 1.3)"
		[ -n "${CEIL_ROUND:-}" ] &&
			row "median of the $BENCH_REPEAT rounds' ceilings" "$CEIL_ROUND" "x" ">= 1.3" "$(verdict "$CEIL_ROUND" ">=" 1.3)"
	fi
	for p in $PROFILES all; do
		a=$(cer_get a "$p") d=$(cer_get d "$p")
		[ "$a" = - ] && [ "$d" = - ] && continue
		v=-
		case "$a$d" in *-*) ;; *) v=$(awk -v a="$a" -v d="$d" 'BEGIN { print (d <= a) ? "ok" : "WORSE" }') ;; esac
		[ "$p" = all ] && v="$v (overall)"
		row "dangan CER / (a) CER, $p" "$(ratio "$d" "$a")" "x" "<= 1" "$v"
	done
	d=$(cer_get d skew)
	row "dangan CER, skew pages" "$d" "%" "<= 3" "$(verdict "$d" "<=" 3)"
	if [ "${ZH_TRAD:-0}" -gt 0 ]; then
		row "(a) CER, skew pages in simplified script" "$(cer_get a-simp skew)" "%" "" ""
		d=$(cer_get d-simp skew)
		row "dangan CER, skew pages in simplified script" "$d" "%" "<= 3" "$(verdict "$d" "<=" 3)"
	fi
fi
if has en "$BENCH_SECTIONS" && [ -n "${EN_N:-}" ]; then
	for g in $EN_GROUPS all; do
		a=$(cer_get en-a "$g") d=$(cer_get en-d "$g")
		[ "$a" = - ] && [ "$d" = - ] && continue
		row "English CER, $g: (a) tesseract" "$a" "%" "" ""
		v=-
		case "$a$d" in *-*) ;; *) v=$(awk -v a="$a" -v d="$d" 'BEGIN { print (d <= a) ? "ok" : "WORSE" }') ;; esac
		row "English CER, $g: (d) dangan" "$d" "%" "<= (a)" "$v"
	done
fi
say "load at the end: $(load)"
busy
say ""
say "summary"
printf '%-46s %10s %-6s %-10s %s\n' "measure" "value" "unit" "target" "verdict"
printf '%-46s %10s %-6s %-10s %s\n' "-------" "-----" "----" "------" "-------"
cat "$SUMMARY"
[ "$dg_state" = ok ] || say "dangan: $dg_state"
if [ "$BENCH_KEEP" = 1 ]; then
	say "outputs kept in $RUN"
else
	rm -rf "$RUN"
fi
exit 0
