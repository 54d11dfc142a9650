#!/bin/sh
# OCFL: `dangan verify-ocfl` on every official OCFL 1.1 conformance
# fixture (good objects valid and silent, bad objects invalid with every
# E-code of their name reported, warn objects valid with their W-codes);
# the samples exported as an OCFL 1.1 storage root that verifies clean,
# whose inventories pass the specification's JSON schema and whose
# objects sit where extension 0004 puts their ids; a document with two
# versions exported as v1 and v2 with its bytes stored once; originals
# byte-identical to the store; tampering found with the spec's codes;
# `dangan import` of the export giving back the same documents, of a
# foreign object its head files, and of a tampered object nothing.
. "${DG_SRCDIR:-.}/tests/lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
OCFL="${DG_SHARED:-$DG_SRCDIR/tests/data/shared}/standards/ocfl"
[ -d "$OCFL/fixtures-1.1/bad-objects" ] || skip_all "no OCFL fixtures under $OCFL (DG_SHARED)"

sha() { sha256sum "$1" | cut -d' ' -f1; }
# vcodes PATH [OPTION...]: verify-ocfl PATH; sets vrc to its exit status
# and codes to " E001 W007 " (every code reported, sorted, unique)
vcodes() {
	p=$1
	shift
	dangan verify-ocfl --json "$@" "$p" >"$WORK/v.json" 2>"$WORK/v.err"
	vrc=$?
	codes=" $(jq -r '.[0].findings[] | .code // empty' "$WORK/v.json" 2>/dev/null | sort -u | tr '\n' ' ')"
	nerr=$(jq '[.[0].findings[] | select(.level == "ERROR")] | length' "$WORK/v.json" 2>/dev/null)
	nwarn=$(jq '[.[0].findings[] | select(.level == "WARN")] | length' "$WORK/v.json" 2>/dev/null)
}
has() { case "$codes" in *" $1 "*) return 0 ;; esac; return 1; }

# ---- (a) the conformance fixtures ------------------------------------------
ngood=0 nbad=0 nwarnobj=0 nfail=0
for d in "$OCFL"/fixtures-1.1/good-objects/*/ "$OCFL"/fixtures-1.1/bad-objects/*/ "$OCFL"/fixtures-1.1/warn-objects/*/; do
	d=${d%/}
	name=$(basename "$d")
	kind=$(basename "$(dirname "$d")")
	want=$(echo "$name" | grep -o '[EW][0-9][0-9][0-9]' | sort -u | tr '\n' ' ')
	vcodes "$d"
	miss=""
	case $kind in
	good-objects)
		ngood=$((ngood + 1))
		good=1
		[ "$vrc" -eq 0 ] && [ "$nerr" = 0 ] || good=0
		desc="good $name: valid, no error (exit $vrc,$codes)"
		;;
	bad-objects)
		nbad=$((nbad + 1))
		good=1
		[ "$vrc" -eq 1 ] || good=0
		for c in $want; do has "$c" || miss="$miss $c"; done
		[ -z "$miss" ] || good=0
		desc="bad $name: invalid with $want(exit $vrc)"
		;;
	warn-objects)
		nwarnobj=$((nwarnobj + 1))
		good=1
		[ "$vrc" -eq 0 ] && [ "$nerr" = 0 ] || good=0
		for c in $want; do has "$c" || miss="$miss $c"; done
		[ -z "$miss" ] || good=0
		desc="warn $name: valid with $want(exit $vrc)"
		;;
	esac
	if [ "$good" = 1 ]; then ok 0 "$desc"; else
		ok 1 "$desc"
		nfail=$((nfail + 1))
		echo "#   reported:$codes missing:$miss"
		sed 's/^/#   /' "$WORK/v.err" | head -5
	fi
done
echo "# OCFL 1.1 fixtures: $ngood good, $nbad bad, $nwarnobj warn; $((ngood + nbad + nwarnobj - nfail)) as expected, $nfail not"
is "$((ngood + nbad + nwarnobj))" "80" "all 80 fixtures of OCFL 1.1 were run"

vcodes "$OCFL/fixtures-1.1/good-objects/spec-ex-full" -O max-inventory=1K
is "$vrc" "1" "an inventory over max-inventory is refused, not read"
grep -q "max-inventory" "$WORK/v.json"
ok $? "the refusal names the max-inventory option"

# ---- (b) an export of the samples and a document with two versions --------
check "ingest the samples" dangan -q ingest "$DG_SRCDIR/samples"
mkdir -p "$WORK/a" "$WORK/b"
printf '户号 3300012345 的用电记录\n' >"$WORK/a/record.txt"
cp "$WORK/a/record.txt" "$WORK/b/record-copy.txt"
check "ingest a file" dangan -q ingest "$WORK/a/record.txt"
check "ingest the same bytes from another path (a new version)" dangan -q ingest "$WORK/b/record-copy.txt"
vid="sha256:$(sha "$WORK/a/record.txt")"
ndocs=$(dangan ls --json | jq length)

check "export every document as an OCFL storage root" dangan -q export --format ocfl -o "$WORK/root"
R="$WORK/root"
is "$(cat "$R/0=ocfl_1.1")" "ocfl_1.1" "the storage root declares OCFL 1.1"
is "$(jq -r .extension "$R/ocfl_layout.json")" "0004-hashed-n-tuple-storage-layout" "ocfl_layout.json names extension 0004"
is "$(jq -c '[.digestAlgorithm, .tupleSize, .numberOfTuples, .shortObjectRoot]' \
	"$R/extensions/0004-hashed-n-tuple-storage-layout/config.json")" '["sha256",3,3,false]' "the 0004 parameters"
vcodes "$R"
is "$vrc" "0" "verify-ocfl: the export is valid"
is "$nerr/$nwarn" "0/0" "verify-ocfl: no error and no warning"
find "$R" -name '0=ocfl_object_1.1' | sed 's|/0=ocfl_object_1.1$||' | sort >"$WORK/objects"
is "$(wc -l <"$WORK/objects" | tr -d ' ')" "$ndocs" "one object per stored document"

# every object where 0004 puts its id, and its original byte-identical
badpath=0 badorig=0 badfix=0
while read -r O; do
	inv="$O/inventory.json"
	id=$(jq -r .id "$inv")
	h=$(printf '%s' "$id" | sha256sum | cut -d' ' -f1)
	want=$(echo "$h" | sed 's|^\(...\)\(...\)\(...\).*|\1/\2/\3/|')$h
	[ "$O" = "$R/$want" ] || badpath=$((badpath + 1))
	# content path of a logical path in the head version
	cp_of() { jq -r --arg lp "$1" '. as $i | $i.versions[$i.head].state | to_entries[]
		| select(.value | index([$lp])) | $i.manifest[.key][0]' "$inv"; }
	meta="$O/$(cp_of dangan.json)"
	orig=$(jq -r '.parts[] | select(.role == "original") | .path' "$meta")
	ocp=$(cp_of "$orig")
	dangan cat "$id" | cmp -s - "$O/$ocp" || badorig=$((badorig + 1))
	# the sha256 fixity of the original is the document id
	fx=$(jq -r --arg cp "$ocp" '.fixity.sha256 | to_entries[] | select(.value | index([$cp])) | .key' "$inv")
	[ "sha256:$fx" = "$id" ] || badfix=$((badfix + 1))
done <"$WORK/objects"
is "$badpath" "0" "every object root is where 0004 maps its id (sha256 of the id, 3 tuples of 3)"
is "$badorig" "0" "every original is byte-identical to dangan cat ID"
is "$badfix" "0" "the sha256 fixity of every original is its document id"

# the inventory schema of the specification
if python3 -c 'import jsonschema' 2>/dev/null; then
	find "$R" -name inventory.json >"$WORK/invs"
	python3 - "$OCFL/1.1_spec_inventory_schema.json" "$WORK/invs" >"$WORK/schema.out" 2>&1 <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
bad = 0
n = 0
for path in open(sys.argv[2], encoding="utf-8").read().split("\n"):
    if not path:
        continue
    n += 1
    for e in v.iter_errors(json.load(open(path, encoding="utf-8"))):
        bad += 1
        print("%s: %s" % (path, e.message))
print("%d inventories, %d schema errors" % (n, bad))
sys.exit(1 if bad or not n else 0)
PY
	ok $? "every inventory.json (roots and versions) passes 1.1_spec_inventory_schema.json"
	sed 's/^/#   /' "$WORK/schema.out" | tail -5
else
	skip "python3-jsonschema is not installed: inventory schema not checked"
fi

# the two versions
VO="$R/$(printf '%s' "$vid" | sha256sum | cut -d' ' -f1 | sed 's|^\(...\)\(...\)\(...\)\(.*\)|\1/\2/\3/\1\2\3\4|')"
vinv="$VO/inventory.json"
is "$(jq -r '[.head, (.versions | keys | join(","))] | join(" ")' "$vinv")" "v2 v1,v2" \
	"a document with two versions is an object with versions v1 and v2"
is "$(jq -r '[.versions.v1.state, .versions.v2.state] | map([.[]] | flatten | sort | join(",")) | join(" ")' "$vinv")" \
	"dangan.json,derived/text.txt,record.txt dangan.json,derived/text.txt,record.txt" \
	"each version's state: the original under its name, the text, dangan.json"
is "$(find "$VO" -type f -name 'record*' | sed "s|^$VO/||")" "v1/content/record.txt" \
	"the original's bytes are stored once, in v1; v2 refers to them"
is "$(find "$VO/v2/content" -type f | sed "s|^$VO/||")" "v2/content/dangan.json" "v2 adds only its dangan.json"
cmp -s "$VO/inventory.json" "$VO/v2/inventory.json"
ok $? "the root inventory is the head version's"
# the ingest, then the stage events of the default pipeline (as many as
# it has stages that ran: text, classify, ...)
jq -r .versions.v1.message "$vinv" | grep -qx "ingest ok: from $WORK/a/record.txt (+[1-9][0-9]* more events\{0,1\})"
ok $? "v1's message is its ingest ($(jq -r .versions.v1.message "$vinv"))"
jq -r .versions.v2.message "$vinv" | grep -q "^ingest duplicate: from $WORK/b/record-copy.txt"
ok $? "v2's message is the second ingest"
jq -r '.versions.v1.created, .versions.v2.created' "$vinv" | grep -Eqv '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
ok $((!$?)) "created is RFC 3339 to the second, in UTC"
is "$(jq -r .version "$VO/v2/content/dangan.json")" "$(dangan ls --json | jq -r --arg id "$vid" '.[] | select(.id == $id) | .manifest')" \
	"v2's dangan.json is the store's current version"
is "$(jq -r .previous "$VO/v2/content/dangan.json")" "$(jq -r .version "$VO/v1/content/dangan.json")" \
	"v2's dangan.json names v1's as its previous version"
jq -r '.metadata["source.path"][]' "$VO/v2/content/dangan.json" | grep -q "record-copy.txt"
ok $? "v2's metadata has the second source path"

# ---- (c) tampering --------------------------------------------------------
tamper() { rm -rf "$WORK/t" && cp -a "$R" "$WORK/t" && T="$WORK/t" && TO="$WORK/t${VO#"$R"}"; }
expect() { # expect DESCRIPTION CODE...: verify-ocfl on $T fails with these codes
	desc=$1
	shift
	vcodes "$T"
	good=1
	[ "$vrc" -eq 1 ] || good=0
	for c in "$@"; do has "$c" || good=0; done
	ok $((!good)) "$desc"
	[ "$good" = 1 ] || echo "#   exit $vrc, reported:$codes"
}
tamper
printf 'X' | dd of="$TO/v1/content/record.txt" bs=1 seek=0 count=1 conv=notrunc 2>/dev/null
expect "a changed content byte: E092 (sha512 of the manifest) and E093 (sha256 fixity)" E092 E093
tamper
rm "$TO/inventory.json.sha512"
expect "a deleted inventory sidecar: E058" E058
tamper
sed -i 's/"ingest ok/"ingest OK/' "$TO/inventory.json"
expect "an edited root inventory: E060 (sidecar) and E064 (not the head version's)" E060 E064
tamper
echo extra >"$TO/v2/content/extra.txt"
expect "a file added to a content directory: E023" E023
tamper
rm "$TO/v1/content/record.txt"
expect "a content file removed: E092" E092
tamper
rm -r "$TO/v2"
expect "a version directory removed: E010" E010
tamper
ln -s /etc/passwd "$TO/v1/content/passwd"
expect "a symbolic link in an object: E090, not followed" E090
grep -q root: "$WORK/v.json"
ok $((!$?)) "the link's target was not read"
tamper
echo stray >"$(dirname "$TO")/stray.txt"
expect "a file in an intermediate directory of the storage hierarchy: E084" E084
tamper
mkdir -p "$T/abc/def"
expect "an empty directory under the storage root: E073" E073
tamper
rm "$T/0=ocfl_1.1"
expect "no storage root declaration: E069" E069
tamper
mkdir -p "$T/fff/fff/fff" && mv "$TO" "$T/fff/fff/fff/"
expect "an object moved off its 0004 path: E083" E083
tamper
jq -c '.' "$TO/inventory.json" | sed 's/^{/{"id":"urn:x:dup",/' >"$WORK/dup.json" && cat "$WORK/dup.json" >"$TO/inventory.json"
expect "an inventory with a duplicate key: E033" E033
tamper
echo "this is not ocfl" >"$TO/0=ocfl_object_1.1"
expect "an object declaration with other text: E007" E007

# a store object that changed under the store: never exported as if intact
cp -r "$STORE" "$WORK/rot"
obj=$(find "$WORK/rot/objects" -type f -name "$(echo "${vid#sha256:}" | cut -c3-)" | head -1)
chmod u+w "$obj" && printf 'Z' | dd of="$obj" bs=1 seek=3 conv=notrunc 2>/dev/null
dangan --store "$WORK/rot" -q export --format ocfl -o "$WORK/rotten" >"$WORK/out" 2>"$WORK/err"
ok $((!$?)) "an export from a store with a rotten object fails"
grep -q "read back as" "$WORK/err"
ok $? "... naming the object that does not match its id"
test ! -e "$WORK/rotten"
ok $? "... and leaves nothing"

# ---- (d) import ------------------------------------------------------------
S2="$WORK/store2"
check "import the exported storage root into a new store" dangan --store "$S2" -q import "$R"
dangan ls --json | jq -r '.[].id' | sort >"$WORK/ids1"
dangan --store "$S2" ls --json | jq -r '.[].id' | sort >"$WORK/ids2"
cmp -s "$WORK/ids1" "$WORK/ids2"
ok $? "the imported store has the same documents (ids) as the exported one"
bad=0
while read -r id; do
	dangan cat "$id" >"$WORK/c1" && dangan --store "$S2" cat "$id" >"$WORK/c2" && cmp -s "$WORK/c1" "$WORK/c2" ||
		bad=$((bad + 1))
done <"$WORK/ids1"
is "$bad" "0" "every imported original is byte-identical to the exported store's"
is "$(dangan --store "$S2" ls --json | jq -r --arg id "$vid" '.[] | select(.id == $id) | .name')" "record.txt" \
	"an imported original keeps its source name"
meta() { dangan --store "$1" show "$2" --json | jq -c --arg k "$3" '.document.metadata[$k]'; }
is "$(meta "$S2" "$vid" source.path)" "$(meta "$STORE" "$vid" source.path)" \
	"the imported document's metadata is restored (both source paths of its two versions)"
is "$(meta "$S2" "$vid" ocfl.object)" "[\"$vid\"]" "it records the OCFL object it came from"
S3="$WORK/store3"
check "import a foreign OCFL object (spec-ex-full)" dangan --store "$S3" -q import --format ocfl "$OCFL/fixtures-1.1/good-objects/spec-ex-full"
is "$(dangan --store "$S3" ls --json | jq -r '[.[].name] | sort | join(" ")')" "bar.xml empty2.txt image.tiff" \
	"its head version's files become documents"
tamper
printf 'X' | dd of="$TO/v1/content/record.txt" bs=1 seek=0 count=1 conv=notrunc 2>/dev/null
S4="$WORK/store4"
dangan --store "$S4" -q import "$T" >"$WORK/out" 2>"$WORK/err"
ok $((!$?)) "an import with a tampered object fails"
dangan --store "$S4" cat "$vid" >/dev/null 2>&1
ok $((!$?)) "the tampered original is not stored"
is "$(dangan --store "$S4" ls --json | jq length)" "$(($(wc -l <"$WORK/ids1") - 1))" "the other objects are imported"

done_testing
