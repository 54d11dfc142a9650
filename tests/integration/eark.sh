#!/bin/sh
# E-ARK export (plugin eark): the samples exported as one CSIP/SIP 2.1
# information package, proved by independent tools on the conformance
# material under $DG_SHARED/standards (xmllint with the METS 1.12 and
# PREMIS 3 schemas, the E-ARK validator's Schematron rules compared with
# the official valid example), `dangan verify-eark` clean on our package
# and on the official valid example, failing on each official broken
# example, on a changed byte, an unlisted file, a link, a path out of
# the package and a DOCTYPE.
. "${DG_SRCDIR:-.}/tests/lib.sh"
E="$DG_SHARED/standards/eark"
P="$DG_SHARED/standards/premis"
[ -f "$E/schemas/mets1_12.xsd" ] && [ -f "$E/run_csip_schematron.py" ] && [ -f "$P/premis-v3-0.xsd" ] ||
	skip_all "no E-ARK conformance material under $DG_SHARED/standards"
command -v xmllint >/dev/null || skip_all "xmllint is not installed (libxml2-utils)"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v unzip >/dev/null || skip_all "unzip is not installed"
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import lxml.isoschematron' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip_all "python3-lxml is not installed"

mets_ok() { # mets_ok FILE: valid against METS 1.12 (with the xlink and DILCIS schemas, via the catalog)
	XML_CATALOG_FILES="$E/catalog.xml" xmllint --nonet --noout --schema "$E/schemas/mets1_12.xsd" "$1"
}
rules() { # rules METS VERSION PROFILE: the ids of the Schematron rules failed as ERROR, sorted
	"$PY" "$E/run_csip_schematron.py" "$1" "$2" "$3" | awk '$1 == "ERROR" { print $2 }' | sort -u
}
verify() { # verify PATH: dangan verify-eark --json into $WORK/v.json; exit status
	dangan verify-eark --json "$1" >"$WORK/v.json" 2>"$WORK/v.err"
}
codes() { # the codes of the ERROR findings of the last verify, sorted
	jq -r '.[0].findings[] | select(.level == "ERROR") | .code' "$WORK/v.json" | sort -u | tr '\n' ' '
}
has_error() { # has_error CODE [WHERE]
	jq -e --arg c "$1" --arg w "${2:-}" \
		'[.[0].findings[] | select(.level == "ERROR" and .code == $c and ($w == "" or .where == $w))] | length > 0' \
		"$WORK/v.json" >/dev/null
}

check "ingest the samples" dangan -q ingest "$DG_SRCDIR/samples"
ndocs=$(dangan ls --json | jq length)
check "export the store as an E-ARK SIP" dangan export --format eark -o "$WORK/sip" -O package-id=urn:dangan:test:sip-1
SIP="$WORK/sip"
for f in METS.xml metadata/descriptive/dc.xml metadata/preservation/premis.xml documentation/README.txt \
	representations/rep1/METS.xml schemas/mets.xsd schemas/premis-v3-0.xsd; do
	test -s "$SIP/$f"
	ok $? "the package has $f"
done
test -e "$SIP/representations/rep2"
ok $((1 - $?)) "no rep2 without derivatives=true"
test -s "$SIP.check.xml"
ok $? "the four-property report is written beside the package"
ls -A "$SIP" | grep -q '^\.' 
ok $((1 - $?)) "no spool or temporary file left in the package"

# ---- (a) the schemas, with xmllint ------------------------------------------
check "METS.xml is valid METS 1.12 (xmllint --schema mets1_12.xsd)" mets_ok "$SIP/METS.xml"
check "representations/rep1/METS.xml is valid METS 1.12" mets_ok "$SIP/representations/rep1/METS.xml"
check "premis.xml is valid PREMIS 3.0 (xmllint --schema premis-v3-0.xsd)" \
	xmllint --nonet --noout --schema "$P/premis-v3-0.xsd" "$SIP/metadata/preservation/premis.xml"
check "dc.xml is well-formed" xmllint --nonet --noout "$SIP/metadata/descriptive/dc.xml"

x() { xmllint --xpath "$1" "$2" 2>/dev/null; }
M='*[local-name()="mets"]'
is "$(x "string(/$M/@OBJID)" "$SIP/METS.xml")" "urn:dangan:test:sip-1" "OBJID is the package-id option"
is "$(x "string(/$M/@PROFILE)" "$SIP/METS.xml")" "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml" "PROFILE is the E-ARK SIP profile"
is "$(x "string(/$M/*[local-name()='metsHdr']/@*[local-name()='OAISPACKAGETYPE'])" "$SIP/METS.xml")" "SIP" \
	"metsHdr/@csip:OAISPACKAGETYPE is SIP"
is "$(x "string(//*[local-name()='structMap']/@LABEL)" "$SIP/METS.xml")" "CSIP" "the structMap is labelled CSIP"
nfiles=$(x "count(//*[local-name()='fileGrp'][starts-with(@USE,'Representations/rep1')]/*[local-name()='file'])" \
	"$SIP/representations/rep1/METS.xml")
is "$nfiles" "$ndocs" "the representation METS lists one original per stored document"
is "$(x "count(//*[local-name()='file'][@CHECKSUMTYPE='SHA-256'][string-length(@CHECKSUM)=64])" "$SIP/METS.xml")" \
	"$(x "count(//*[local-name()='file'])" "$SIP/METS.xml")" "every file of the package METS has a SHA-256 checksum"

# every exported original is the stored one, byte for byte
bad=0
for href in $(x "//*[local-name()='FLocat']/@*[local-name()='href']" "$SIP/representations/rep1/METS.xml" |
	sed -n 's/.*href="\(data\/[^"]*\)"/\1/p'); do
	f=$(printf '%s' "$href" | "$PY" -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read()))')
	id=$(sha256sum "$SIP/representations/rep1/$f" | cut -d' ' -f1)
	dangan cat "sha256:$id" | cmp -s - "$SIP/representations/rep1/$f" || bad=$((bad + 1))
done
is "$bad" "0" "every exported file is byte-identical to a stored original"

# PREMIS: an object per file, the events of every version, the agents
PR="$SIP/metadata/preservation/premis.xml"
is "$(x "count(/*/*[local-name()='object'][@*[local-name()='type']='file'])" "$PR")" "$ndocs" "PREMIS has an object per file"
nev=0
for id in $(dangan ls --json | jq -r '.[].id'); do
	n=$(dangan show "$id" --json | jq '.document.events | length')
	nev=$((nev + n))
done
got=$(x "count(/*/*[local-name()='event'][*[local-name()='eventIdentifier']/*[local-name()='eventIdentifierValue'] != 'package-creation'])" "$PR")
is "$got" "$nev" "PREMIS has an event per stored provenance event ($nev)"
for a in plugin/ocr/ plugin/scan/ "dangan/"; do
	x "//*[local-name()='agentIdentifierValue'][starts-with(., '$a')]" "$PR" | grep -q .
	ok $? "PREMIS names the agent $a..."
done
is "$(x "count(//*[local-name()='linkingAgentIdentifierValue'][not(. = //*[local-name()='agentIdentifierValue'])])" "$PR")" "0" \
	"every event's agent is described"
x "//*[local-name()='messageDigest']/text()" "$PR" | grep -q "$(sha256sum "$DG_SRCDIR/samples/box-2026-001/3201056789-扫描件-p1.png" | cut -c1-64)"
ok $? "PREMIS fixity is the SHA-256 of the scan"
grep -q '<dc:title>回复：户号3301000123 增容申请受理通知</dc:title>' "$SIP/metadata/descriptive/dc.xml"
ok $? "dc.xml carries the mail's dc.title"
grep -q 'key="email.from"' "$SIP/metadata/descriptive/dc.xml"
ok $? "dc.xml keeps the metadata outside Dublin Core"

# ---- (b) the E-ARK validator's Schematron rules -------------------------------
mkdir -p "$WORK/ex"
for z in "$E"/csip/examples/minimal_IP_*.zip; do
	n=$(basename "$z" .zip)
	mkdir -p "$WORK/ex/$n" && (cd "$WORK/ex/$n" && unzip -q "$z")
done
VALID="$WORK/ex/minimal_IP_with_schemas/minimal_IP_with_schemas"
test -f "$VALID/METS.xml"
ok $? "the official valid example unpacks"
for v in V2.1.0 V2.0.4; do
	for prof in CSIP SIP; do
		base=$(rules "$VALID/METS.xml" $v $prof)
		for m in METS.xml representations/rep1/METS.xml; do
			extra=$(rules "$SIP/$m" $v $prof | while read -r id; do
				echo "$base" | grep -qx "$id" || printf '%s ' "$id"
			done)
			is "$extra" "" "$v $prof rules: $m fails none the official valid example passes"
		done
	done
done

# ---- (c) verify-eark ------------------------------------------------------------
verify "$SIP"
ok $? "verify-eark: our package is valid"
is "$(codes)" "" "verify-eark: no error on our package"
is "$(jq '[.[0].findings[] | select(.level == "WARN")] | length' "$WORK/v.json")" "0" "verify-eark: no warning either"

# The official valid example declares schemas/xlink.xsd with the size and
# MD5 of a CRLF copy, but the file in the zip has LF line ends: a real
# fixity mismatch, found as such ...
verify "$VALID"
is "$?" "1" "verify-eark: the official example's xlink.xsd does not match its METS (LF vs CRLF)"
is "$(jq -r '[.[0].findings[] | select(.level == "ERROR") | .code + " " + .where] | sort | join(",")' "$WORK/v.json")" \
	"EARK-CHECKSUM schemas/xlink.xsd,EARK-SIZE schemas/xlink.xsd" "... and that is its only error"
# ... with the file restored as described, the example is valid
sed 's/$/\r/' "$VALID/schemas/xlink.xsd" >"$WORK/xlink.crlf" && mv "$WORK/xlink.crlf" "$VALID/schemas/xlink.xsd"
is "$(md5sum "$VALID/schemas/xlink.xsd" | cut -d' ' -f1)" "90c7527e6d4d3c3a6247ceb94b46bcf5" "xlink.xsd with CRLF has the MD5 the METS gives"
verify "$VALID"
ok $? "verify-eark: the official valid example is valid ($(codes))"

for c in invmets:EARK-XSD nocrtdt:CSIP7 noflscid:CSIP59 nomtshdr:CSIP117 nopcktyp:CSIP9; do
	n=${c%%:*} code=${c#*:}
	verify "$WORK/ex/minimal_IP_$n/minimal_IP_with_schemas"
	is "$?" "1" "verify-eark: the broken example $n is not valid"
	has_error "$code"
	ok $? "... with $code ($(codes))"
done

# ---- (d) tampering and hostile packages ------------------------------------
cp -R "$SIP" "$WORK/t1"
f=$(find "$WORK/t1/representations/rep1/data" -name '*.txt' | head -1)
rel=${f#"$WORK/t1/"}
printf 'X' | dd of="$f" bs=1 seek=3 conv=notrunc 2>/dev/null
verify "$WORK/t1"
is "$?" "1" "verify-eark: a changed data byte makes the package invalid"
has_error EARK-CHECKSUM "$rel"
ok $? "... found as a checksum mismatch on $rel"

cp -R "$SIP" "$WORK/t2"
echo extra >"$WORK/t2/representations/rep1/data/stray.txt"
verify "$WORK/t2"
is "$?" "1" "verify-eark: a file no METS lists under representations/ is an error"
has_error EARK-UNLISTED representations/rep1/data/stray.txt
ok $? "... EARK-UNLISTED"

cp -R "$SIP" "$WORK/t3"
g=$(find "$WORK/t3/representations/rep1/data" -name '*.txt' | head -1)
rm "$g" && ln -s /etc/passwd "$g"
verify "$WORK/t3"
is "$?" "1" "verify-eark: a symbolic link in place of a data file is refused"
has_error EARK-SYMLINK
ok $? "... EARK-SYMLINK"

cp -R "$SIP" "$WORK/t4"
sed 's|xlink:href="data/|xlink:href="../../../t1/representations/rep1/data/|' "$SIP/representations/rep1/METS.xml" \
	>"$WORK/t4/representations/rep1/METS.xml"
verify "$WORK/t4"
is "$?" "1" "verify-eark: a reference out of the package is refused"
has_error EARK-HREF
ok $? "... EARK-HREF"

cp -R "$SIP" "$WORK/t5"
{
	echo '<?xml version="1.0"?>'
	echo '<!DOCTYPE mets [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
	sed 1d "$SIP/METS.xml" | sed 's|<name>dangan</name>|<name>\&b;</name>|'
} >"$WORK/t5/METS.xml"
verify "$WORK/t5"
is "$?" "1" "verify-eark: a DOCTYPE (entities) is refused"
has_error EARK-XML
ok $? "... EARK-XML"

verify "$WORK/nonexistent"
is "$?" "1" "verify-eark: no such folder"
has_error CSIPSTR1
ok $? "... CSIPSTR1"
mkdir "$WORK/empty"
verify "$WORK/empty"
has_error CSIPSTR4
ok $? "verify-eark: a folder without METS.xml fails CSIPSTR4"

# ---- options, selections ------------------------------------------------------
check "export with derivatives=true and a content category" dangan export --format eark -o "$WORK/sip2" \
	-O derivatives=true -O content-category=Email -O "content-information-type=power supply records" -O label=客户档案
check "rep2 (the derived parts) is valid METS" mets_ok "$WORK/sip2/representations/rep2/METS.xml"
check "... and its package METS" mets_ok "$WORK/sip2/METS.xml"
check "... and its premis.xml" xmllint --nonet --noout --schema "$P/premis-v3-0.xsd" "$WORK/sip2/metadata/preservation/premis.xml"
find "$WORK/sip2/representations/rep2/data" -name 'text.txt' | grep -q .
ok $? "rep2 holds the OCR/extracted text"
is "$(x "string(/$M/@TYPE)" "$WORK/sip2/METS.xml")" "Email" "content-category sets mets/@TYPE"
is "$(x "string(/$M/@*[local-name()='OTHERCONTENTINFORMATIONTYPE'])" "$WORK/sip2/METS.xml")" "power supply records" \
	"a content information type outside the vocabulary is OTHER with OTHERCONTENTINFORMATIONTYPE"
is "$(x "string(/$M/@LABEL)" "$WORK/sip2/METS.xml")" "客户档案" "label sets mets/@LABEL"
verify "$WORK/sip2"
ok $? "verify-eark: the package with derivatives is valid ($(codes))"

one=$(dangan ls --json | jq -r '.[0].id')
check "export one document by id" dangan export --format eark -o "$WORK/sip3" "$one"
is "$(x "count(//*[local-name()='file'][starts-with(@ID,'rep1-file-')][not(contains(@ID,'schema'))][not(contains(@ID,'documentation'))])" "$WORK/sip3/representations/rep1/METS.xml")" \
	"1" "a selection of one document exports one file"
check_fails "an existing output is never overwritten" 2 dangan export --format eark -o "$WORK/sip3"
check "export with a submitting agent" dangan export --format eark -o "$WORK/sip5" -O "submitter=国网某供电公司" \
	-O submitter-id=USCC:91110000000000000X "$one"
check "... its METS is valid METS 1.12" mets_ok "$WORK/sip5/METS.xml"
is "$(x "string(//*[local-name()='agent'][@TYPE='ORGANIZATION']/*[local-name()='name'])" "$WORK/sip5/METS.xml")" \
	"国网某供电公司" "the submitter is a CREATOR agent of TYPE ORGANIZATION"
verify "$WORK/sip5"
ok $? "verify-eark: the package with a submitter is valid ($(codes))"

# a store object that changed under the store is never exported as intact
cp -r "$STORE" "$WORK/rot"
hex=$(sha256sum "$DG_SRCDIR/samples/box-2026-001/3301000123-供用电合同.txt" | cut -c1-64)
obj=$(find "$WORK/rot/objects" -type f -name "$(echo "$hex" | cut -c3-)" | head -1)
chmod u+w "$obj" && printf 'Z' | dd of="$obj" bs=1 seek=10 conv=notrunc 2>/dev/null
check_fails "an export from a store with a rotten object fails" 4 dangan --store "$WORK/rot" export --format eark -o "$WORK/rotten"
grep -q "is corrupt" "$WORK/err"
ok $? "... naming the object that does not match its id"
test ! -e "$WORK/rotten"
ok $? "... and leaves nothing"

# ---- provenance of every stored version ------------------------------------
mkdir "$WORK/again"
cp "$DG_SRCDIR/samples/box-2026-001/3301000123-供用电合同.txt" "$WORK/again/contract-copy.txt"
check "ingest a copy of a stored file: a second version" dangan -q ingest "$WORK/again"
cid=sha256:$(sha256sum "$WORK/again/contract-copy.txt" | cut -d' ' -f1)
check "export again" dangan export --format eark -o "$WORK/sip4" "$cid"
PR4="$WORK/sip4/metadata/preservation/premis.xml"
check "... premis.xml is valid PREMIS 3.0" xmllint --nonet --noout --schema "$P/premis-v3-0.xsd" "$PR4"
nver=$(x "//*[local-name()='event'][*[local-name()='linkingObjectIdentifier']/*[local-name()='linkingObjectIdentifierValue']='$cid']/*[local-name()='eventIdentifier']/*[local-name()='eventIdentifierValue']/text()" "$PR4" |
	sed 's/#.*//' | sort -u | wc -l)
is "$nver" "2" "PREMIS carries the events of both stored versions of the document"
grep -q '<meta key="source.path">[^<]*contract-copy.txt</meta>' "$WORK/sip4/metadata/descriptive/dc.xml"
ok $? "dc.xml has the second source's path"

done_testing
