#!/bin/sh
# The shipped document-type catalogues (config/doctypes/NAME/*.xml) and
# the classification evaluation set (tests/data/classify):
#   - every definition file validates against config/doctype.rng
#     (xmllint; skipped without it);
#   - in each catalogue every type code is defined once and every filing
#     scope names defined types;
#   - every type of the power-supply catalogue has at least 8 evaluation
#     documents (text + truth of that type), and so has the "other" class;
#   - every field of a truth file is a field of its type in the catalogue,
#     and every truth value is in the normalised form (dates YYYY-MM-DD,
#     户号 10 digits);
#   - make-evalset.py still writes exactly the committed texts and truths.
# The classification itself is tested with the classify plugin and
# measured by bench/classify.sh.
. "$DG_SRCDIR/tests/lib.sh"

cat_dir="$DG_SRCDIR/config/doctypes"
rng="$DG_SRCDIR/config/doctype.rng"
eval_dir="$DG_TEST_DATA/classify"
MIN_DOCS=8

skip() { # skip DESCRIPTION REASON
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

[ -d "$cat_dir" ] || skip_all "no config/doctypes"
catalogues=$(cd "$cat_dir" && for d in */; do [ -d "$d" ] && printf '%s\n' "${d%/}"; done)
[ -n "$catalogues" ] || skip_all "no catalogue in config/doctypes"

# ---- schema -----------------------------------------------------------------
for c in $catalogues; do
	for f in "$cat_dir/$c"/*.xml; do
		[ -f "$f" ] || continue
		desc="$c/${f##*/} validates against config/doctype.rng"
		if ! command -v xmllint >/dev/null 2>&1; then
			skip "$desc" "xmllint is missing (Debian: libxml2-utils)"
		elif [ ! -f "$rng" ]; then
			skip "$desc" "config/doctype.rng is missing"
		else
			check "$desc" xmllint --noout --nonet --relaxng "$rng" "$f"
		fi
	done
done

command -v python3 >/dev/null 2>&1 || {
	skip "catalogue consistency and the evaluation set" "python3 is missing"
	done_testing
	exit $?
}

# ---- consistency of each catalogue: codes once, scopes name defined types ---
for c in $catalogues; do
	check "$c: every type code once, every scope names defined types" python3 - "$cat_dir/$c" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET
NS = "{urn:dangan:doctype:1}"
codes, scopes, bad = {}, [], 0
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.xml"))):
    root = ET.parse(f).getroot()
    for dt in root.iter(NS + "doctype"):
        c = dt.get("code")
        if c in codes:
            print(f"{f}: {c} is also defined in {codes[c]}", file=sys.stderr)
            bad += 1
        codes[c] = f
    for sc in root.iter(NS + "scope"):
        scopes += [(f, sc.get("business"), r.get("type")) for r in sc.iter(NS + "require")]
for f, b, t in scopes:
    if t not in codes:
        print(f"{f}: scope {b} requires {t}, which no file defines", file=sys.stderr)
        bad += 1
if not codes:
    print("no doctype", file=sys.stderr)
    bad += 1
sys.exit(1 if bad else 0)
PY
done

# ---- the evaluation set -------------------------------------------------------
ps="$cat_dir/power-supply"
if [ ! -d "$ps" ]; then
	skip "the evaluation set" "no power-supply catalogue"
	done_testing
	exit $?
fi
python3 - "$ps" "$eval_dir/power-supply" "$MIN_DOCS" >"$WORK/evalset.tap" 2>"$WORK/evalset.err" <<'PY'
import glob, json, os, re, sys
import xml.etree.ElementTree as ET
NS = "{urn:dangan:doctype:1}"
cat, data, least = sys.argv[1], sys.argv[2], int(sys.argv[3])
fields = {}
for f in sorted(glob.glob(os.path.join(cat, "*.xml"))):
    for dt in ET.parse(f).getroot().iter(NS + "doctype"):
        fields[dt.get("code")] = {fd.get("name"): fd.get("type", "text") for fd in dt.iter(NS + "field")}
count = {c: 0 for c in list(fields) + ["other"]}
problems = []
for tf in sorted(glob.glob(os.path.join(data, "*.truth.json"))):
    stem = os.path.basename(tf)[: -len(".truth.json")]
    try:
        t = json.load(open(tf, encoding="utf-8"))
    except ValueError as e:
        problems.append(f"{stem}: {e}")
        continue
    if not os.path.isfile(os.path.join(data, stem + ".txt")):
        problems.append(f"{stem}: no text")
        continue
    typ = t.get("type")
    if typ not in count:
        problems.append(f"{stem}: type {typ} is not in the catalogue")
        continue
    if stem.rsplit("-", 1)[0] != typ:
        problems.append(f"{stem}: the truth says {typ}")
    count[typ] += 1
    for name, value in t.get("fields", {}).items():
        # "other" documents may print fields of any type (a near-miss form)
        ftype = fields.get(typ, {}).get(name) if typ != "other" else next(
            (f[name] for f in fields.values() if name in f), None)
        if ftype is None:
            problems.append(f"{stem}: {name} is no field of {typ}")
        elif ftype == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            problems.append(f"{stem}: {name}={value} is not YYYY-MM-DD")
        elif name == "户号" and not re.fullmatch(r"\d{10}", value):
            problems.append(f"{stem}: 户号={value} is not 10 digits")
n = 0
for c in sorted(count):
    n += 1
    ok = count[c] >= least
    print(f"{'ok' if ok else 'not ok'} {n} - {c}: {count[c]} evaluation documents (>= {least})")
n += 1
print(f"{'not ok' if problems else 'ok'} {n} - every truth file names a type of the catalogue and fields of that type, normalised")
for p in problems[:20]:
    print(f"#   {p}")
print(n)
PY
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$WORK/evalset.tap" ]; then
	ok 1 "the evaluation set can be read (python3 exited $rc)"
	sed 's/^/#   /' "$WORK/evalset.err" | head -20
else
	# renumber the lines into this script's count
	last=$(tail -1 "$WORK/evalset.tap")
	sed '$d' "$WORK/evalset.tap" | while IFS= read -r line; do
		case $line in
		"ok "* | "not ok "*)
			T_N=$((T_N + 1))
			st=${line%% [0-9]*}
			printf '%s %d %s\n' "$st" "$T_N" "${line#* [0-9]* }"
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done
	T_FAILED=$((T_FAILED + $(grep -c '^not ok' "$WORK/evalset.tap")))
	T_N=$((T_N + last))
fi

# ---- the shipped catalogue on text as OCR garbles it -------------------------
# A scanned 二〇二一年 comes out of the OCR as "二O〇二一年", "二@〇二一年", or
# broken over lines; the catalogue's own date patterns still read it.
S="$WORK/store"
dangan --store "$S" init >/dev/null 2>&1
i=0
for y in '二O〇二一年' '二@〇二一年' '二\n\nO〇二一年' '二〇二一\n年'; do
	i=$((i + 1))
	printf "用电申请书\n申请编号：A$i\n户号：330123456$i\n申请人：贾振金  申请日期：$y一月三\n十日  受理人：龚生\n" \
		>"$WORK/ocr-date-$i.txt"
done
if dangan --store "$S" -q ingest "$WORK"/ocr-date-*.txt 2>"$WORK/ingest.err"; then
	for i in 1 2 3 4; do
		h=$(sha256sum "$WORK/ocr-date-$i.txt" | cut -c1-16)
		got=$(dangan --store "$S" show --json "$h" | jq -r '.document.classification | "\(.type) \(.fields["申请日期"])"')
		is "$got" "APP 2021-01-30" "power-supply: an OCR'd date read ($(head -4 "$WORK/ocr-date-$i.txt" | tail -1 | tr '\n' ' '))"
	done
else
	ok 1 "ingest texts with OCR'd dates"
	sed 's/^/#   /' "$WORK/ingest.err" | head -5
fi

# ---- reproducible -----------------------------------------------------------
gen="$WORK/gen"
seeds="$DG_SRCDIR/../shared/seeds"
if [ ! -d "$seeds" ]; then
	skip "make-evalset.py writes exactly the committed evaluation set" "the seed texts ($seeds) are not here"
elif python3 "$eval_dir/make-evalset.py" --out "$gen" --seeds "$seeds" >"$WORK/gen.log" 2>&1; then
	if diff -r "$eval_dir/power-supply" "$gen" >"$WORK/gen.diff" 2>&1; then
		ok 0 "make-evalset.py writes exactly the committed evaluation set"
	else
		ok 1 "make-evalset.py writes exactly the committed evaluation set"
		head -20 "$WORK/gen.diff" | sed 's/^/#   /'
	fi
else
	ok 1 "make-evalset.py writes exactly the committed evaluation set"
	sed 's/^/#   /' "$WORK/gen.log" | head -20
fi

done_testing
