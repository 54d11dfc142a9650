#!/bin/sh
# bench/classify.sh -- how well does `dangan ingest` tell document types
# apart and find their key fields?  Run by hand (not part of make check);
# it prints numbers and verdicts against the targets, it asserts nothing.
#
# Chinese (section zh): the evaluation set of tests/data/classify (22
# types of the power-supply catalogue, 10 documents each, and an "other"
# class of 15; see its README.md), as born-digital texts (group "text") and as
# simulated A4 scans (group "scan", one page a document, five degradation
# profiles) that go through the real scan -> prep -> ocr pipeline.  The
# scans are rendered once by make-evalset.py with MKPAGES into BENCH_CACHE
# (about 150 MB; kept between runs, keyed by a hash of the texts, the
# script and mkpages.sh).  One fresh store, the default configuration
# (`dangan init`, whose pipeline has the learned and classify stages once
# they are built):
#   1. the train half (documents 01, 03, ...) is ingested; there is no
#      model yet, so classify decides by the rules alone;
#   2. each of them gets its true type as a person's correction
#      (`dangan set ID doctype=CODE`, OTHER for "other"), and
#      `dangan train` builds the learned model from them;
#   3. the test half (02, 04, ...) is ingested: learned scores each
#      document and classify pools its scores with the rules' (combined).
# The figures (bench/classify-metrics.py, from `dangan show ID --json`):
# accuracy, macro-F1 and a confusion table for the rules (their own
# scores, read from the classify stage's event note: on every document,
# and on the test half), the learned classifier (its top class, from its
# note: test half) and the combined decision (test half); how many went
# to review; field extraction precision/recall for 户号, 户名, the dates
# and the other truth fields, against the truth files, on every document
# (the metadata as stored).
#
# English (section en): the four classes of CORPUS_EN (labels.csv: form,
# receipt, invoice, scientific_paper; codes FORM, RECEIPT, INVOICE,
# SCIENTIFIC_PAPER) with the classify-en catalogue, OCR in English (the
# default configuration with ocr languages=eng and classify
# catalogue=config/doctypes/classify-en, passed with --config).  All files are
# ingested into one store (rules: accuracy, macro-F1, confusion; SROIE
# company, date and total against receipt_sroie/*.key.json); each is
# labelled and `dangan train --folds K` reports the engine's own
# cross-validation of the learned classifier; then, for a per-document
# figure, K folds (stratified by class) of the OCR texts each go through a
# text-only pipeline (text, learned, classify) in a store of their own:
# train on K-1 folds, ingest the held-out one: learned and combined.
#
# Targets: combined accuracy >= 95 % on the scanned pages; 户号 recall
# >= 98 % with precision >= 99 % on the scanned pages (a wrong 户号 files
# a document into the wrong customer's dossier: the review list is
# better than a guess).  Without the classify plugin (or a classify stage
# in the default configuration) there is nothing to measure and the
# script says so; without the learned plugin or `dangan train`, rules
# only, and it says so.
#
# Everything happens under BENCH_DIR/classify (default
# /var/tmp/dangan-bench), removed at the end unless BENCH_KEEP=1.
#
# Parameters (environment):
#   DANGAN=dangan (a build tree's: DANGAN=./dangan with DANGAN_PLUGIN_PATH
#     and DANGAN_DATADIR exported, as in README.md)
#   EVAL_DIR=<repo>/tests/data/classify  CATALOGUES=<repo>/config/doctypes
#   CORPUS_EN=<repo>/../shared/corpus/classify-en
#   MKPAGES=<repo>/../shared/tools/mkpages.sh  PYTHON=python3
#   BENCH_DIR=/var/tmp/dangan-bench  BENCH_CACHE=/var/tmp/dangan-bench-cache/classify
#   BENCH_SECTIONS="zh en"  BENCH_DOCS= (all 10 a type; N: documents 01..N
#     of each type, e.g. 4 for a quick run)  BENCH_GROUPS="text scan"
#   BENCH_JOBS= (dangan ingest -j; default: its own)  BENCH_PAR=2 (renderers)
#   BENCH_FOLDS=5  BENCH_KEEP=0
# A quick run (2 train + 2 test documents a type, texts only, no English):
#   BENCH_DOCS=4 BENCH_GROUPS=text BENCH_SECTIONS=zh bench/classify.sh
set -u
LC_ALL=C.UTF-8
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EVAL_DIR=${EVAL_DIR:-$top/tests/data/classify}
CATALOGUES=${CATALOGUES:-$top/config/doctypes}
CORPUS_EN=${CORPUS_EN:-$top/../shared/corpus/classify-en}
MKPAGES=${MKPAGES:-$top/../shared/tools/mkpages.sh}
PYTHON=${PYTHON:-python3}
BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench}
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/dangan-bench-cache/classify}
BENCH_SECTIONS=${BENCH_SECTIONS:-zh en}
BENCH_GROUPS=${BENCH_GROUPS:-text scan}
BENCH_DOCS=${BENCH_DOCS:-}
BENCH_JOBS=${BENCH_JOBS:-}
BENCH_PAR=${BENCH_PAR:-2}
BENCH_FOLDS=${BENCH_FOLDS:-5}
BENCH_KEEP=${BENCH_KEEP:-0}
DANGAN=${DANGAN:-dangan}
METRICS="$here/classify-metrics.py"
TAB=$(printf '\t')

case $DANGAN in
/*) ;;
*/*) DANGAN=$PWD/$DANGAN ;;
*) DANGAN=$(command -v "$DANGAN" 2>/dev/null || printf '%s' "$DANGAN") ;;
esac
unset DANGAN_STORE DANGAN_CONFIG
JOPT=
[ -n "$BENCH_JOBS" ] && JOPT="-j $BENCH_JOBS"

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
has() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null; }
dg() { "$DANGAN" "$@"; }
STORE_OPTS= # --config FILE for the stores that have their own configuration
sha() { sha256sum "$1" | cut -c1-64; }

[ -x "$DANGAN" ] || die "no dangan at '$DANGAN' (set DANGAN)"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON is missing"
[ -f "$METRICS" ] || die "no $METRICS"

RUN="$BENCH_DIR/classify"
rm -rf "$RUN"
mkdir -p "$RUN" || exit 2
SUMMARY="$RUN/summary"
: >"$SUMMARY"

# ---- what this dangan can do ------------------------------------------------
# classify: the plugin and a classify stage in the default configuration;
# learned: the plugin, a learned stage and the train command
dg -q --store "$RUN/probe" init >"$RUN/probe.log" 2>&1
cls_state=ok
if ! dg plugins show classify >"$RUN/classify-plugin" 2>&1; then
	cls_state="the classify plugin is not installed (plugins/classify)"
elif ! grep -q 'plugin="classify"' "$RUN/probe/config.xml" 2>/dev/null; then
	cls_state="no classify stage in the default configuration (\$DANGAN_DATADIR/dangan.xml)"
fi
lrn_state=ok
if ! dg plugins show learned >"$RUN/learned-plugin" 2>&1; then
	lrn_state="the learned plugin is not installed (plugins/learned)"
elif ! grep -q 'plugin="learned"' "$RUN/probe/config.xml" 2>/dev/null; then
	lrn_state="no learned stage in the default configuration"
elif ! dg --help 2>&1 | grep -q '^  train'; then
	lrn_state="this dangan has no train command"
fi
rm -rf "$RUN/probe"

say "dangan classification benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "  dangan:     $DANGAN $(dg --version 2>/dev/null | head -1)"
say "  classify:   $( [ "$cls_state" = ok ] && head -1 "$RUN/classify-plugin" || echo "$cls_state")"
say "  learned:    $( [ "$lrn_state" = ok ] && head -1 "$RUN/learned-plugin" || echo "$lrn_state")"
say "  catalogues: $CATALOGUES"
say "  dir:        $RUN"
say "  machine:    $(nproc) CPUs, $(uname -sr); load $(load)"
say ""
if [ "$cls_state" != ok ]; then
	say "nothing to measure: $cls_state"
	say "(from a build tree: DANGAN=./dangan with DANGAN_PLUGIN_PATH and DANGAN_DATADIR exported)"
	[ "$BENCH_KEEP" = 1 ] || rm -rf "$RUN"
	exit 0
fi
[ "$lrn_state" = ok ] || say "learned classifier: $lrn_state -- rules only; learned and combined are not measured"

# ingest STORE LOG FILE...
ingest() {
	store=$1 log=$2
	shift 2
	[ $# -gt 0 ] || return 0
	# shellcheck disable=SC2086
	dg -q --store "$store" $STORE_OPTS ingest $JOPT "$@" >>"$log" 2>&1
	rc=$?
	[ $rc -le 1 ] || say "    dangan ingest exited $rc (see $log)"
}
# show_all STORE LIST: `dangan show --json` of the documents of LIST
# (GROUP STEM SPLIT TRUTH TRUTHFILE PATH) into $RUN/json/SHA.json
show_all() {
	mkdir -p "$RUN/json"
	while IFS=$TAB read -r g stem split truth tf path; do
		id=$(sha "$path")
		dg --store "$1" $STORE_OPTS show "sha256:$id" --json >"$RUN/json/$id.json" 2>>"$RUN/show.log" </dev/null ||
			rm -f "$RUN/json/$id.json"
	done <"$2"
}
# label STORE LIST: each document's true type as a person's correction
label() {
	n=0
	while IFS=$TAB read -r g stem split truth tf path; do
		dg --store "$1" $STORE_OPTS set "sha256:$(sha "$path")" "doctype=$truth" --by bench >>"$RUN/set.log" 2>&1 </dev/null &&
			n=$((n + 1))
	done <"$2"
	echo $n
}
# metrics LIST CATALOGUE TITLE [--targets]: the list with the show files
metrics() {
	awk -F '\t' -v OFS='\t' -v d="$RUN/json" '{ print $1, $2, $3, $4, $5, $7 ? d "/" $7 ".json" : "-" }' "$1" \
		>"$1.metrics"
	"$PYTHON" "$METRICS" "$1.metrics" "$2" --title "$3" --summary "$SUMMARY" ${4:-}
}
# with_ids LIST: LIST with a 7th column, the document's sha256
with_ids() {
	while IFS=$TAB read -r g stem split truth tf path; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$g" "$stem" "$split" "$truth" "$tf" "$path" "$(sha "$path")"
	done <"$1"
}
train() { # train STORE LOG [OPTIONS]: dangan train --json, its output in LOG
	store=$1 log=$2
	shift 2
	dg --store "$store" $STORE_OPTS train --json "$@" >"$log" 2>"$log.err"
}

# en_config BASE OUT CATALOGUE: BASE with languages=eng in the ocr stages
# and the catalogue in the classify stages; checked by dangan config check
en_config() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY' || return 1
import re, sys
base, out, cat = sys.argv[1:4]
x = open(base, encoding="utf-8").read()
def stage(plugin, name, value, x):
    def fix(m):
        st = m.group(0)
        if st.endswith("/>"):
            st = st[:-2] + ">\n    </stage>"
        opt = re.compile(r'<option\s+name="%s"\s*>[^<]*</option>' % name)
        if opt.search(st):
            return opt.sub('<option name="%s">%s</option>' % (name, value), st)
        return re.sub(r"(<stage[^>]*>)", r'\1\n      <option name="%s">%s</option>' % (name, value), st, count=1)
    return re.sub(r'<stage[^>]*plugin="%s"[^>]*(?:/>|>.*?</stage>)' % plugin, fix, x, flags=re.S)
x = stage("ocr", "languages", "eng", x)
x = stage("classify", "catalogue", cat, x)
open(out, "w", encoding="utf-8").write(x)
PY
	dg config check "$2" >"$RUN/en-config.check" 2>&1
}

# ---- Chinese ------------------------------------------------------------------
section_zh() {
	data="$EVAL_DIR/power-supply"
	cat_ps="$CATALOGUES/power-supply"
	[ -d "$data" ] || die "no evaluation set at $data (EVAL_DIR)"
	list="$RUN/zh.list"
	: >"$list"
	scans=
	if has scan "$BENCH_GROUPS"; then
		[ -f "$MKPAGES" ] || die "no mkpages.sh at $MKPAGES (set MKPAGES, or BENCH_GROUPS=text)"
		key=$(cat "$EVAL_DIR/make-evalset.py" "$MKPAGES" "$data"/*.txt | sha256sum | cut -c1-16)
		scans="$BENCH_CACHE/$key"
		if [ ! -f "$scans/.complete" ]; then
			say "rendering the scans into $scans (once; about 8 s a page on one core, $BENCH_PAR at a time) ..."
			rm -rf "$scans"
			mkdir -p "$scans" || die "cannot make $scans"
			t0=$(now)
			"$PYTHON" "$EVAL_DIR/make-evalset.py" --out "$data" --scans "$scans" --mkpages "$MKPAGES" \
				--jobs "$BENCH_PAR" >"$RUN/render.log" 2>&1 || { cat "$RUN/render.log"; die "rendering failed"; }
			touch "$scans/.complete"
			# the renderings of older texts are stale: drop them
			for old in "$BENCH_CACHE"/*; do
				case ${old##*/} in [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;; *) continue ;; esac
				[ "$old" != "$scans" ] && [ -f "$old/.complete" ] && rm -rf "$old"
			done
			say "  $(tail -1 "$RUN/render.log"), $(secs "$t0" "$(now)") s, $(du -sh "$scans" | cut -f1)"
		fi
	fi
	for tf in "$data"/*.truth.json; do
		stem=${tf##*/}
		stem=${stem%.truth.json}
		n=${stem##*-}
		n=${n#0}
		[ -n "$BENCH_DOCS" ] && [ "$n" -gt "$BENCH_DOCS" ] && continue
		split=train
		[ $((n % 2)) -eq 0 ] && split=test
		truth=$(sed -n 's/.*"type": *"\([^"]*\)".*/\1/p' "$tf")
		[ "$truth" = other ] && truth=OTHER
		has text "$BENCH_GROUPS" && printf 'text\t%s\t%s\t%s\t%s\t%s\n' "$stem" "$split" "$truth" "$tf" "$data/$stem.txt" >>"$list"
		if [ -n "$scans" ]; then
			for img in "$scans/$stem"-*.png "$scans/$stem"-*.tif "$scans/$stem"-*.jpg; do
				[ -f "$img" ] && printf 'scan\t%s\t%s\t%s\t%s\t%s\n' "$stem" "$split" "$truth" "$tf" "$img" >>"$list"
			done
		fi
	done
	with_ids "$list" >"$list.ids"
	awk -F '\t' '$3 == "train"' "$list" >"$RUN/zh-train.list"
	awk -F '\t' '$3 == "test"' "$list" >"$RUN/zh-test.list"
	ntrain=$(wc -l <"$RUN/zh-train.list")
	ntest=$(wc -l <"$RUN/zh-test.list")
	say "Chinese: power-supply catalogue, $(wc -l <"$list") documents ($ntrain train, $ntest test; groups: $BENCH_GROUPS)"
	store="$RUN/store-zh"
	dg -q --store "$store" init >"$RUN/zh-ingest.log" 2>&1 || die "dangan init failed (see $RUN/zh-ingest.log)"
	say "  stages in the default configuration: $(grep -o 'plugin="[a-z0-9-]*"' "$store/config.xml" | sed 's/plugin=//; s/"//g' | tr '\n' ' ')"
	t0=$(now)
	# shellcheck disable=SC2046
	ingest "$store" "$RUN/zh-ingest.log" $(cut -f6 "$RUN/zh-train.list")
	say "  1. train half ingested (rules only, no model yet): $(secs "$t0" "$(now)") s"
	show_all "$store" "$RUN/zh-train.list"
	if [ "$lrn_state" = ok ]; then
		n=$(label "$store" "$RUN/zh-train.list")
		say "  2. $n documents labelled (dangan set ID doctype=CODE); dangan train ..."
		if train "$store" "$RUN/zh-train.json"; then
			say "     $(tr -d '\n' <"$RUN/zh-train.json" | sed 's/"types":\[[^]]*\]/"types":[...]/' | cut -c1-200)"
		else
			say "     dangan train failed: $(head -3 "$RUN/zh-train.json.err")"
		fi
	fi
	t0=$(now)
	# shellcheck disable=SC2046
	ingest "$store" "$RUN/zh-ingest.log" $(cut -f6 "$RUN/zh-test.list")
	say "  3. test half ingested: $(secs "$t0" "$(now)") s"
	show_all "$store" "$RUN/zh-test.list"
	q=$(dg --store "$store" quarantine ls --json 2>/dev/null | grep -o '"id"' | wc -l)
	[ "$q" -eq 0 ] || say "  $q document(s) quarantined (dangan quarantine ls)"
	say ""
	metrics "$list.ids" "$cat_ps" "Chinese (power-supply):" --targets
	say ""
}

# ---- English ------------------------------------------------------------------
section_en() {
	cat_en="$CATALOGUES/classify-en"
	if [ ! -f "$CORPUS_EN/labels.csv" ]; then
		say "English: skipped, no $CORPUS_EN/labels.csv (CORPUS_EN)"
		return
	fi
	list="$RUN/en.list"
	: >"$list"
	# labels.csv: path,label,source; the four classes only
	tail -n +2 "$CORPUS_EN/labels.csv" | while IFS=, read -r path label rest; do
		case $label in form | receipt | invoice | scientific_paper) ;; *) continue ;; esac
		[ -f "$CORPUS_EN/$path" ] || continue
		code=$(printf '%s' "$label" | tr a-z A-Z)
		key="$CORPUS_EN/${path%.*}.key.json"
		[ -f "$key" ] || key=-
		stem=$(printf '%s' "${path%.*}" | tr '/' '_')
		printf 'en\t%s\tall\t%s\t%s\t%s\n' "$stem" "$code" "$key" "$CORPUS_EN/$path"
	done >"$list"
	n=$(wc -l <"$list")
	say "English: classify-en catalogue, $n documents of $CORPUS_EN ($(cut -f4 "$list" | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }'))"
	[ "$n" -gt 0 ] || return
	store="$RUN/store-en"
	dg -q --store "$store" init >"$RUN/en-ingest.log" 2>&1 || die "dangan init failed"
	# the default configuration with English OCR and the classify-en
	# catalogue (stage options live in the configuration)
	encfg="$RUN/dangan-en.xml"
	if ! en_config "$store/config.xml" "$encfg" "$cat_en"; then
		say "  skipped: no configuration with English OCR and the classify-en catalogue (see $RUN/en-config.check)"
		say ""
		return
	fi
	STORE_OPTS="--config $encfg"
	t0=$(now)
	# shellcheck disable=SC2046
	ingest "$store" "$RUN/en-ingest.log" $(cut -f6 "$list")
	say "  all ingested with $encfg (the default pipeline, ocr languages=eng, classify catalogue=$cat_en): $(secs "$t0" "$(now)") s"
	show_all "$store" "$list"
	with_ids "$list" >"$list.ids"
	# the OCR (or extracted) text of each, for the folds; after an empty
	# line, so that a form whose text starts "From: ... To: ..." is not
	# sniffed as a mail message (the text-only pipeline reads text/* only)
	mkdir -p "$RUN/en-text"
	while IFS=$TAB read -r g stem split truth tf path id; do
		{ echo && dg --store "$store" $STORE_OPTS cat "sha256:$id" --part text; } >"$RUN/en-text/$stem.txt" 2>/dev/null </dev/null ||
			rm -f "$RUN/en-text/$stem.txt"
	done <"$list.ids"
	say "  $(ls "$RUN/en-text" | wc -l) of $n have a text part"
	if [ "$lrn_state" = ok ]; then
		n=$(label "$store" "$list")
		if train "$store" "$RUN/en-cv.json" --folds "$BENCH_FOLDS" --catalogue classify-en; then
			say "  dangan train --folds $BENCH_FOLDS (the engine's own cross-validation of the learned classifier, $n labelled):"
			"$PYTHON" - "$RUN/en-cv.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d.get("evaluation")
if not e:
    print("    no evaluation in the output")
    sys.exit()
print(f"    {e['evaluated']} documents, accuracy {100 * e['accuracy']:.2f} %, macro-F1 {e['macro_f1']:.3f}")
types = d["types"]
print("    confusion (rows: true, columns: predicted): " + " ".join(t[:6] for t in types))
for t in types:
    print(f"      {t[:16]:<16} " + " ".join(f"{e['confusion'][t][u]:6d}" for u in types))
PY
		else
			say "  dangan train --folds failed: $(head -3 "$RUN/en-cv.json.err")"
		fi
		# per document: K stratified folds of the texts, each in a store of its own
		cfg="$RUN/en-text.xml"
		cat >"$cfg" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1" default-pipeline="texts">
  <pipeline name="texts">
    <stage id="text" plugin="text" on-failure="continue"><match type="text/*"/></stage>
    <stage id="learned" plugin="learned" on-failure="continue"/>
    <stage id="classify" plugin="classify" on-failure="continue"><option name="catalogue">$cat_en</option></stage>
  </pipeline>
</dangan>
XML
		# the fold of each document: its rank within its class, mod K
		sort -t "$TAB" -k4,4 -k2,2 "$list" | awk -F '\t' -v OFS='\t' -v k="$BENCH_FOLDS" -v d="$RUN/en-text" \
			'{ f = (n[$4]++) % k; print $1, $2, f, $4, $5, d "/" $2 ".txt" }' >"$RUN/en-folds.all"
		awk -F '\t' -v OFS='\t' '{ if (system("test -s \"" $6 "\"") == 0) print }' "$RUN/en-folds.all" >"$RUN/en-folds"
		: >"$RUN/en-cv.list"
		f=0
		while [ $f -lt "$BENCH_FOLDS" ]; do
			fs="$RUN/store-en-fold$f"
			awk -F '\t' -v OFS='\t' -v f=$f '$3 != f { $3 = "train"; print }' "$RUN/en-folds" >"$RUN/en-fold$f.train"
			# a held-out text identical to a training one (two copies of a
			# receipt) is the same document: it is left out of the fold
			awk -F '\t' -v OFS='\t' -v f=$f '$3 == f { $3 = "test"; print }' "$RUN/en-folds" >"$RUN/en-fold$f.test0"
			with_ids "$RUN/en-fold$f.train" | cut -f7 >"$RUN/en-fold$f.trainids"
			with_ids "$RUN/en-fold$f.test0" | awk -F '\t' -v OFS='\t' 'NR == FNR { seen[$1] = 1; next } !($7 in seen) { NF = 6; print }' \
				"$RUN/en-fold$f.trainids" - >"$RUN/en-fold$f.test"
			STORE_OPTS="--config $cfg"
			dg -q --store "$fs" $STORE_OPTS init >>"$RUN/en-folds.log" 2>&1
			# shellcheck disable=SC2046
			ingest "$fs" "$RUN/en-folds.log" $(cut -f6 "$RUN/en-fold$f.train")
			label "$fs" "$RUN/en-fold$f.train" >/dev/null
			train "$fs" "$RUN/en-fold$f.json" --catalogue classify-en ||
				say "    fold $f: dangan train failed: $(head -2 "$RUN/en-fold$f.json.err")"
			# shellcheck disable=SC2046
			ingest "$fs" "$RUN/en-folds.log" $(cut -f6 "$RUN/en-fold$f.test")
			show_all "$fs" "$RUN/en-fold$f.test"
			STORE_OPTS="--config $encfg"
			with_ids "$RUN/en-fold$f.test" | sed 's/^en\t/en-cv\t/' >>"$RUN/en-cv.list"
			f=$((f + 1))
		done
		say "  $BENCH_FOLDS folds of the texts, each held-out fold classified by a model trained on the others (group en-cv)"
	fi
	STORE_OPTS=
	say ""
	metrics "$list.ids" "$cat_en" "English (classify-en), all documents through OCR, rules (group en):"
	[ -s "$RUN/en-cv.list" ] && metrics "$RUN/en-cv.list" "$cat_en" "English (classify-en), cross-validated folds of the OCR texts (group en-cv):"
	say ""
}

for sec in $BENCH_SECTIONS; do
	case $sec in
	zh) section_zh ;;
	en) section_en ;;
	*) die "unknown section '$sec' (zh, en)" ;;
	esac
done

say "load at the end: $(load)"
say ""
say "summary"
printf '%-46s %10s %-4s %-8s %s\n' "measure" "value" "unit" "target" "verdict"
printf '%-46s %10s %-4s %-8s %s\n' "-------" "-----" "----" "------" "-------"
"$PYTHON" -c '
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    f = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    w = sum(2 if ord(c) >= 0x1100 else 1 for c in f[0])
    print(f[0] + " " * max(1, 47 - w) + "%10s %-4s %-8s %s" % tuple(f[1:]))
' "$SUMMARY"
[ "$lrn_state" = ok ] || say "learned: $lrn_state"
if [ "$BENCH_KEEP" = 1 ]; then
	say "outputs kept in $RUN"
else
	rm -rf "$RUN"
fi
exit 0
