#!/bin/sh
# Export runner and the transfer carrier (电子档案移交与接收办法): the
# samples exported with 档号 after DA/T 22-2015, the catalogue and the
# checksums consistent with the store, the four-property report (DA/T 70)
# beside the package, tampering found by `verify-package`, a failed
# export leaving nothing under the final name, selections by id and query.
. "${DG_SRCDIR:-.}/tests/lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v xmllint >/dev/null || skip_all "xmllint is not installed"
S="$DG_SRCDIR/samples"

check "ingest the samples" dangan -q ingest "$S/box-2026-001" "$S/mail-2026-002"
ndocs=$(dangan ls --json | jq length)

# ---- a whole-store export ------------------------------------------------
check "export every document as a carrier" dangan export --format carrier -o "$WORK/c1" -O fonds=J013 -O class=KH -O unit=供电公司客户服务中心
C="$WORK/c1"
for f in 说明文件.TXT 文件目录.XML 其他/校验值.TXT; do
	test -s "$C/$f"
	ok $? "the carrier has $f"
done
xmllint --noout --nonet "$C/文件目录.XML"
ok $? "文件目录.XML is well-formed"
# (libxml2 2.9's XPath does not take Chinese names in a step: local-name() does)
el() { printf '*[local-name()="%s"]' "$1"; }
n=$(xmllint --xpath "count(/$(el 文件目录)/$(el 文件))" "$C/文件目录.XML")
is "$n" "$ndocs" "文件目录.XML lists every document of the store"
dh=$(xmllint --xpath "string(/*/*[1]/$(el 档号))" "$C/文件目录.XML")
echo "$dh" | grep -Eq '^J013-KH·[0-9]{4}-Y-[0-9]{4}$'
ok $? "档号 follow 全宗号-门类代码·年度-保管期限-件号 ($dh)"
is "$(xmllint --xpath "/*/*/$(el 档号)/text()" "$C/文件目录.XML" | sort | uniq -d | wc -l)" "0" "档号 are unique"
(cd "$C" && sha256sum -c --quiet 其他/校验值.TXT) >/dev/null 2>&1
ok $? "sha256sum -c accepts 其他/校验值.TXT"
# every original is the store's object, byte for byte
bad=0
for i in $(seq 1 "$ndocs"); do
	name=$(xmllint --xpath "string(/*/*[$i]/$(el 电子档案名称))" "$C/文件目录.XML")
	id=$(xmllint --xpath "string(/*/*[$i]/$(el 备注))" "$C/文件目录.XML")
	dangan cat "$id" | cmp -s - "$C/$name" || bad=$((bad + 1))
done
is "$bad" "0" "every exported file is byte-identical to its stored original"
grep -q "电子档案件数: $ndocs" "$C/说明文件.TXT"
ok $? "说明文件.TXT counts the documents"
grep -q "供电公司客户服务中心" "$C/说明文件.TXT"
ok $? "说明文件.TXT names the transferring unit"

# ---- the four-property report ----------------------------------------------
test -s "$C.check.xml" && test -s "$C.check.txt"
ok $? "the four-property report is written beside the package"
xmllint --noout --nonet "$C.check.xml"
ok $? "the report is well-formed XML"
is "$(xmllint --xpath 'count(//*[local-name()="检测项"])' "$C.check.xml")" "15" "the report lists 15 check items"
is "$(xmllint --xpath 'string(//*[local-name()="检测项"][@编号="YJ-1-1"]/@结果)' "$C.check.xml")" "通过" \
	"YJ-1-1: every part re-hashed from the store matches its id"
is "$(xmllint --xpath 'string(//*[local-name()="检测项"][@编号="YJ-1-14"]/@结果)' "$C.check.xml")" "通过" \
	"YJ-1-14: the package check passed"
is "$(xmllint --xpath 'string(//*[local-name()="检测项"][@编号="YJ-2-1"]/@检测数)' "$C.check.xml")" "1" \
	"YJ-2-1: the totals were compared"
grep -q "YJ-3-8" "$C.check.txt" && grep -q "application/gzip: not a format for long-term preservation" "$C.check.txt"
ok $? "the summary warns of a format unfit for long-term preservation"

# ---- verify-package ------------------------------------------------------------
check "verify-package accepts the exported carrier" dangan verify-package --format carrier "$C"
dangan verify-package --format carrier --json "$C" >"$WORK/v.json"
is "$(jq -r '.[0].valid' "$WORK/v.json")" "true" "--json says valid"
cp -r "$C" "$WORK/t1"
f1=$(find "$WORK/t1/电子档案" -type f | head -1)
chmod u+w "$f1" && printf 'X' | dd of="$f1" bs=1 seek=0 conv=notrunc 2>/dev/null
check_fails "a changed byte makes the carrier invalid" 1 dangan verify-package --format carrier "$WORK/t1"
grep -q "CARRIER-CHECKSUM" "$WORK/out"
ok $? "... reported as CARRIER-CHECKSUM"
cp -r "$C" "$WORK/t2"
echo extra >"$(dirname "$(find "$WORK/t2/电子档案" -type f | head -1)")/extra.txt"
check_fails "an unlisted file in 电子档案/ is found" 1 dangan verify-package --format carrier "$WORK/t2"
grep -q "CARRIER-EXTRA" "$WORK/out"
ok $? "... reported as CARRIER-EXTRA (载体中多余文件)"
cp -r "$C" "$WORK/t3"
echo "0000000000000000000000000000000000000000000000000000000000000000  电子档案/../../etc/passwd" >>"$WORK/t3/其他/校验值.TXT"
check_fails "a checksum path escaping the carrier is refused" 1 dangan verify-package --format carrier "$WORK/t3"
grep -q "CARRIER-PATH" "$WORK/out"
ok $? "... reported as CARRIER-PATH"
cp -r "$C" "$WORK/t4"
rm -f "$WORK/t4/说明文件.TXT"
check_fails "a carrier without 说明文件.TXT is invalid" 1 dangan verify-package --format carrier "$WORK/t4"
cp -r "$C" "$WORK/t5"
cat >"$WORK/t5/文件目录.XML" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE 文件目录 [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<文件目录><文件><档号>&x;</档号><电子档案名称>x</电子档案名称></文件></文件目录>
XML
check_fails "a catalogue with a DTD and an external entity is refused" 1 dangan verify-package --format carrier "$WORK/t5"
grep -q "root:" "$WORK/out"
is $? 1 "... and the entity is never expanded"

# ---- selections -----------------------------------------------------------------
id=$(dangan search 供用电合同 --json | jq -r '.[0].id')
check "export one document by id" dangan export --format carrier -o "$WORK/c2" "$id"
is "$(xmllint --xpath 'count(/*/*)' "$WORK/c2/文件目录.XML")" "1" "only that document is exported"
check "export by query" dangan export --format carrier -o "$WORK/c3" --query 3301000123 --json
n3=$(jq -r .documents "$WORK/out")
test "$n3" -ge 2 && test "$n3" -lt "$ndocs"
ok $? "a query selects some documents ($n3 of $ndocs)"
is "$(jq -r .valid "$WORK/out")" "true" "--json reports the package valid"

# ---- failures leave nothing ---------------------------------------------------------
check_fails "an existing output is never overwritten" 2 dangan export --format carrier -o "$WORK/c1"
check_fails "an unknown format is refused" 3 dangan export --format nosuch -o "$WORK/c4"
test ! -e "$WORK/c4"
ok $? "... and nothing is written"
check_fails "a bad option value is refused" 2 dangan export --format carrier -o "$WORK/c5" -O parts=some
test ! -e "$WORK/c5"
ok $? "... and nothing is written"
mkdir "$WORK/ro" && chmod 0555 "$WORK/ro"
if [ "$(id -u)" -ne 0 ]; then
	check_fails "an unwritable destination fails" 4 dangan export --format carrier -o "$WORK/ro/c6"
else
	# root writes anywhere: make the export fail half way instead (an
	# object vanishes: that of an original, which the export always
	# reads; the first object found might be a derived part it leaves out)
	cp -r "$STORE" "$WORK/broken"
	hex=$(sha256sum "$S/box-2026-001/3301000123-供用电合同.txt" | cut -c1-64)
	obj="$WORK/broken/objects/$(echo "$hex" | cut -c1-2)/$(echo "$hex" | cut -c3-)"
	test -f "$obj"
	ok $? "the contract's original is an object of the store"
	chmod u+w "$(dirname "$obj")" && rm -f "$obj"
	check_fails "an export that fails half way" 4 dangan --store "$WORK/broken" export --format carrier -o "$WORK/ro/c6"
fi
test -z "$(ls -A "$WORK/ro")"
ok $? "... leaves nothing under the final name, nor a temporary"
# a store object that changed under the store: never exported as if intact
cp -r "$STORE" "$WORK/rot"
hex=$(dangan search 供用电合同 --json | jq -r '.[0].id' | sed 's/^sha256://')
obj=$(find "$WORK/rot/objects" -type f -name "$(echo "$hex" | cut -c3-)" | head -1)
chmod u+w "$obj" && printf 'Z' | dd of="$obj" bs=1 seek=10 conv=notrunc 2>/dev/null
check_fails "an export from a store with a rotten object fails" 4 dangan --store "$WORK/rot" export --format carrier -o "$WORK/c7"
grep -q "read back as" "$WORK/err"
ok $? "... naming the object that does not match its id"
test ! -e "$WORK/c7"
ok $? "... and leaves nothing"
check_fails "verify-package of a format without verify() or unknown is a usage error" 3 dangan verify-package --format nosuch "$C"

done_testing
