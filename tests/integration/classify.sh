#!/bin/sh
# Document types and key fields with the classify stage: born-digital
# texts of the three types of the test catalogue tests/data/doctypes-mini
# (a contract, applications, payment agreements), an unrelated text and
# a vague one, ingested through text -> classify: the right type and
# confidence, dates in each Chinese and ISO form, amounts and kVA
# normalised, full-width digits read, a 户号 found twice with different
# values not written and sent to review, validator failures in
# field.problems.  Then: a definition with a bad regex, one that breaks
# the schema, a duplicate type and a field regex without its "value"
# group each stop the stage with FILE:LINE; a huge text is read only up
# to max-text; another classifier's @learned.scores is pooled with the
# rules; a type set by a person is left alone; and a scanned page
# (tests/data/classify-mini/contract-scan.png, OCR) is classified and its
# fields extracted.
. "$DG_SRCDIR/tests/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is needed"
"$DANGAN" plugins show classify >/dev/null 2>&1 || skip_all "the classify plugin is not built"

data="$DG_TEST_DATA/classify-mini"
mini="$DG_TEST_DATA/doctypes-mini"

# config FILE CATALOGUE [MORE-OPTIONS] [STAGES-BEFORE-CLASSIFY]
config() {
	cat >"$1" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="classify">
    <stage id="scan" plugin="scan" on-failure="quarantine"><match type="image/*"/></stage>
    <stage id="prep" plugin="prep" on-failure="continue"><match type="image/*"/></stage>
    <stage id="ocr" plugin="ocr" on-failure="continue"><match type="image/*"/></stage>
    <stage id="text" plugin="text" on-failure="continue"><match type="text/*"/></stage>
    ${4:-}
    <stage id="classify" plugin="classify" on-failure="continue">
      <option name="catalogue">$2</option>
      ${3:-}
    </stage>
  </pipeline>
</dangan>
XML
}
# show STORE FILE NAME: the document of FILE as JSON into $WORK/NAME.json
show() {
	dangan --store "$1" show --json "$(sha256sum "$2" | cut -c1-16)" >"$WORK/$3.json" 2>"$WORK/err"
}
# meta NAME KEY: the values of KEY ('|'-joined; empty when absent)
meta() { jq -r --arg k "$2" '.document.metadata[$k] // [] | join("|")' "$WORK/$1.json"; }
# note NAME: the message of the classify stage's event
note() { jq -r '[.document.events[] | select(.stage == "classify")][-1].message // ""' "$WORK/$1.json"; }
outcome() { jq -r '[.document.events[] | select(.stage == "classify")][-1].outcome // ""' "$WORK/$1.json"; }
# at_least X Y: X >= Y (decimals)
at_least() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x + 0 >= y + 0) }'; }

config "$WORK/mini.xml" "$mini"
check "the test config is valid" dangan config check "$WORK/mini.xml"
grep -q 'plugin="classify"' "$DANGAN_DATADIR/dangan.xml"
ok $? "the default pipeline has a classify stage"
check "the default config is valid with it" dangan config check "$DANGAN_DATADIR/dangan.xml"

# ---- born-digital texts ---------------------------------------------------------
in="$WORK/in"
mkdir -p "$in"
for f in contract-cn-date contract-fullwidth app-slash app-dash payagr-ambiguous payagr-wan other uncertain; do
	cp "$data/$f.txt" "$in/"
done
S="$WORK/store"
check "ingest eight texts" dangan -c "$WORK/mini.xml" --store "$S" ingest -j 2 "$in"
for f in contract-cn-date contract-fullwidth app-slash app-dash payagr-ambiguous payagr-wan other uncertain; do
	check "show $f" show "$S" "$data/$f.txt" "$f"
done

# a contract: 二〇二四年三月五日, 315kVA
n=contract-cn-date
is "$(meta $n doctype)" "CONTRACT" "$n: doctype"
is "$(meta $n doctype.name)" "供用电合同" "$n: doctype.name (zh)"
is "$(meta $n doctype.category)" "业扩报装" "$n: doctype.category"
is "$(meta $n doctype.retention)" "Y" "$n: doctype.retention"
is "$(meta $n doctype.method)" "rules" "$n: doctype.method"
is "$(meta $n doctype.catalogue)" "mini" "$n: doctype.catalogue"
at_least "$(meta $n doctype.confidence)" 0.9
ok $? "$n: confidence $(meta $n doctype.confidence) >= 0.90"
meta $n doctype.confidence | grep -qx '[01]\.[0-9][0-9]'
ok $? "$n: confidence with two decimals"
meta $n doctype.candidates | grep -qx 'CONTRACT:[01]\.[0-9][0-9] [A-Z]*:0\.[0-9][0-9] [A-Z]*:0\.[0-9][0-9]'
ok $? "$n: the top three candidates ($(meta $n doctype.candidates))"
is "$(meta $n 户号)" "3301234567" "$n: 户号"
is "$(meta $n 户名)" "华东机械制造有限公司" "$n: 户名"
is "$(meta $n 签订日期)" "2024-03-05" "$n: 签订日期 from 二〇二四年三月五日"
is "$(meta $n 合同容量)" "315" "$n: 合同容量 from 315kVA"
is "$(meta $n review.reason)" "" "$n: no review"
is "$(meta $n field.problems)" "" "$n: no field problem"
is "$(outcome $n)" "ok" "$n: stage outcome ok"
note $n | grep -q 'CONTRACT 14, .*OTHER floor 2, temperature 2; CONTRACT cues: .*供电人.* -> CONTRACT 1\.00'
ok $? "$n: the note gives the scores and the cues that matched"
# the same, gathered for scripts: show --json "classification"
cls() { jq -c "$2" "$WORK/$1.json"; }
is "$(cls $n '.document.classification | [.type, .name, .category, .retention, .method, .catalogue]')" \
	'["CONTRACT","供用电合同","业扩报装","Y","rules","mini"]' "$n: classification: type, names, method"
is "$(cls $n '.document.classification.confidence | type')" '"number"' "$n: classification.confidence is a number"
is "$(cls $n '.document.classification.confidence >= 0.9')" 'true' "$n: classification.confidence >= 0.9"
is "$(cls $n '[.document.classification.candidates[] | .type] | length')" '3' "$n: three candidates"
is "$(cls $n '.document.classification.candidates[0].type')" '"CONTRACT"' "$n: the first candidate is the decision"
is "$(cls $n '.document.classification.fields')" \
	'{"户号":"3301234567","户名":"华东机械制造有限公司","签订日期":"2024-03-05","合同容量":"315"}' \
	"$n: classification.fields: the extracted fields, and only they"
is "$(cls $n '.document.classification | [.review, .field_problems]')" '[[],[]]' "$n: nothing to review"

# full-width digits and colons, ideographic spaces in the title, CR LF
n=contract-fullwidth
is "$(meta $n doctype)" "CONTRACT" "$n: doctype (title 供　用　电　合　同)"
is "$(meta $n 户号)" "3305556677" "$n: 户号 from full-width digits"
is "$(meta $n 户名)" "滨江市第一中学" "$n: 户名"
is "$(meta $n 签订日期)" "2023-12-31" "$n: 签订日期 from 2023年12月31日"
is "$(meta $n 合同容量)" "1250" "$n: 合同容量 from '1,250 千伏安'"

# an application: 2024/3/5, a telephone number that fails its pattern
n=app-slash
is "$(meta $n doctype)" "APP" "$n: doctype"
is "$(meta $n 申请日期)" "2024-03-05" "$n: 申请日期 from 2024/3/5"
is "$(meta $n 报装容量)" "800" "$n: 报装容量 from 800kVA"
is "$(meta $n 户号)" "3309876543" "$n: 户号"
is "$(meta $n 联系电话)" "" "$n: a value that fails its validator is not written"
is "$(meta $n field.problems)" "联系电话: '0571-88776655' does not match ^1[3-9]\\d{9}\$" \
	"$n: field.problems names the field, the value and the pattern"
is "$(outcome $n)" "warn" "$n: the stage ends with a warning"

# 2024-03-05; a capacity above the definition's maximum
n=app-dash
is "$(meta $n doctype)" "APP" "$n: doctype (title 客户申请报装单)"
is "$(meta $n 申请日期)" "2024-03-05" "$n: 申请日期 from 2024-03-05"
is "$(meta $n 报装容量)" "" "$n: 报装容量 out of range not written"
is "$(meta $n field.problems)" "报装容量: 8000 is above the maximum 5000" "$n: field.problems (max)"
is "$(meta $n 联系电话)" "13812345678" "$n: 联系电话"
is "$(meta $n 户号)" "" "$n: no 户号 (not in the text, not required)"

# two different 户号: none written, the document goes to review
n=payagr-ambiguous
is "$(meta $n doctype)" "PAYAGR" "$n: doctype"
is "$(meta $n 户号)" "" "$n: an ambiguous 户号 is not written"
is "$(cls $n '.document.classification.review[0]')" '"户号: 2 different values found (3301111111, 3302222222), not written"' \
	"$n: classification.review gives the reason"
is "$(cls $n '.document.classification.fields | has("户号")')" 'false' "$n: the ambiguous 户号 is not among the fields"
is "$(meta $n review.reason)" "户号: 2 different values found (3301111111, 3302222222), not written" \
	"$n: review.reason says why"
is "$(meta $n 金额)" "12345.50" "$n: 金额 from ¥12,345.50"
is "$(meta $n 协议日期)" "2024-03-05" "$n: 协议日期 from 2024年3月5日"
is "$(jq -r .document.status "$WORK/$n.json")" "warn" "$n: the document has a warning"

n=payagr-wan
is "$(meta $n doctype)" "PAYAGR" "$n: doctype (title 欠费还款协议)"
is "$(meta $n 户号)" "3307654321" "$n: 户号"
is "$(meta $n 金额)" "15000.00" "$n: 金额 from 1.5万元"
is "$(meta $n 协议日期)" "2023-12-31" "$n: 协议日期 from 二〇二三年十二月三十一日"

# an unrelated text: OTHER, but with a low confidence, 1 / (1 + N exp(-m/T))
# = 1 / (1 + 3 exp(-2/2)) = 0.48 with three types: text that matches
# nothing is not classified with confidence, it goes to review
n=other
is "$(meta $n doctype)" "OTHER" "$n: doctype OTHER"
is "$(meta $n doctype.confidence)" "0.48" "$n: the confidence of a text that matches nothing"
is "$(meta $n review.reason)" "no document type recognised: OTHER 0.48, APP 0.17, PAYAGR 0.17" "$n: to review, saying so"
is "$(meta $n doctype.name)" "" "$n: no name"
is "$(meta $n 户号)$(meta $n field.problems)" "" "$n: no field, no field problem"

# one weak cue (电费, as much as the floor): to review with the candidates
n=uncertain
is "$(meta $n review.reason)" "classification uncertain: PAYAGR 0.37, OTHER 0.37, APP 0.13" \
	"$n: review.reason with the top candidates"
is "$(meta $n doctype)" "PAYAGR" "$n: the best type is still written"

# ---- bad definitions: the stage does not start, FILE:LINE says why ----------------
# bad CATALOGUE-NAME FILE-CONTENT: a copy of mini plus bad.xml
bad() {
	rm -rf "$WORK/$1"
	cp -r "$mini" "$WORK/$1"
	cat >"$WORK/$1/bad.xml"
	config "$WORK/$1.xml" "$WORK/$1"
	echo "$1" >"$WORK/$1.txt"
	dangan -c "$WORK/$1.xml" --store "$WORK/$1.store" ingest "$WORK/$1.txt" >"$WORK/$1.out" 2>&1
	show "$WORK/$1.store" "$WORK/$1.txt" "$1"
}
refused() { # refused NAME PATTERN DESCRIPTION
	grep -q "$2" "$WORK/$1.out"
	st=$?
	ok $st "$3"
	[ $st -eq 0 ] || sed 's/^/#   /' "$WORK/$1.out" | head -5
}
bad badregex <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1" catalogue="mini">
  <doctype code="BADRE">
    <name lang="zh">坏正则</name>
    <cues>
      <regex weight="2">合同(编号</regex>
    </cues>
  </doctype>
</doctypes>
XML
refused badregex "bad\.xml:6: regex '合同(编号' is not a valid regular expression: missing closing parenthesis" \
	"a bad regex: refused with file, line and PCRE2's reason"
refused badregex "stage 'classify' cannot start" "the stage does not start"
is "$(meta badregex doctype)" "" "no document is classified by a stage that did not start"
is "$(outcome badregex)" "fatal" "the stage's event is fatal, with the reason"

bad badschema <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1" catalogue="mini">
  <doctype code="BADSCHEMA">
    <name lang="zh">坏定义</name>
    <cues>
      <keyword weight="heavy">合同</keyword>
    </cues>
  </doctype>
</doctypes>
XML
refused badschema "bad\.xml:6: " "a definition that breaks the schema: refused with file and line"

bad badcode <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1"><doctype code="contract"><name lang="zh">小写</name></doctype></doctypes>
XML
refused badcode "bad\.xml:2: Element doctype failed to validate attributes" \
	"a code that is not [A-Z][A-Z0-9_-]*: refused by the schema"

bad duplicate <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1" catalogue="mini">
  <doctype code="CONTRACT"><name lang="zh">又一个合同</name></doctype>
</doctypes>
XML
refused duplicate "contract\.xml:9: type CONTRACT is already defined at .*/bad\.xml:3" \
	"a type defined twice: both places named"

bad nogroup <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1" catalogue="mini">
  <doctype code="NOGROUP">
    <name lang="zh">无组</name>
    <field name="编号">
      <regex>编号(\d+)</regex>
    </field>
  </doctype>
</doctypes>
XML
refused nogroup 'bad\.xml:6: field 编号: regex .* has no group named "value"' "a field regex without (?<value>...)"

bad entity <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE doctypes [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<doctypes xmlns="urn:dangan:doctype:1"><doctype code="X"><name lang="zh">&x;</name></doctype></doctypes>
XML
refused entity "bad\.xml:2: DOCTYPE declarations are not allowed" "a DOCTYPE (entities) is refused"

config "$WORK/nocat.xml" "$WORK/no-such-catalogue"
dangan -c "$WORK/nocat.xml" --store "$WORK/nocat.store" ingest "$data/other.txt" >"$WORK/nocat.out" 2>&1
refused nocat "catalogue $WORK/no-such-catalogue: No such file or directory" "a missing catalogue is named"

# ---- max-text: a huge text is read only so far -----------------------------------
# 3 MiB of an unrelated text, then a contract: with max-text 1M (the
# default) the contract's cues are never seen
awk 'BEGIN { for (i = 0; i < 60000; i++) print "今天天气晴朗，气温二十度，适宜出行。" }' >"$WORK/huge.txt"
cat "$data/contract-cn-date.txt" >>"$WORK/huge.txt"
start=$(date +%s)
check "ingest a 3 MiB text" dangan -c "$WORK/mini.xml" --store "$S" ingest "$WORK/huge.txt"
secs=$(($(date +%s) - start))
ok $([ $secs -le 20 ] && echo 0 || echo 1) "it took ${secs} s"
check "show it" show "$S" "$WORK/huge.txt" huge
is "$(meta huge doctype)" "OTHER" "huge: the cues after max-text are not seen"
note huge | grep -q "only the first 104857[0-9] bytes of the text were read (max-text 1048576)"
ok $? "huge: the note says the text was cut"
config "$WORK/big.xml" "$mini" '<option name="max-text">4M</option>'
check "ingest it again with max-text 4M" dangan -c "$WORK/big.xml" --store "$WORK/big.store" ingest "$WORK/huge.txt"
check "show it" show "$WORK/big.store" "$WORK/huge.txt" huge4
is "$(meta huge4 doctype)" "CONTRACT" "huge, max-text 4M: the contract is found"
is "$(meta huge4 户号)" "3301234567" "huge, max-text 4M: its 户号 too"

# ---- pooled with another classifier, a person's decision ---------------------------
if [ -f "$DG_ABI_DIR/dg-setmeta.so" ]; then
	setmeta() { # setmeta KEY VALUE: a stage setting KEY before classify
		echo "<stage id=\"before\" plugin=\"setmeta\"><option name=\"key\">$1</option><option name=\"value\">$2</option></stage>"
	}
	config "$WORK/pool.xml" "$mini" "" "$(setmeta @learned.scores 'PAYAGR:0.95 APP:0.03 CONTRACT:0.01 OTHER:0.01')"
	check "ingest the vague text with @learned.scores" env DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_ABI_DIR" \
		"$DANGAN" -c "$WORK/pool.xml" --store "$WORK/pool.store" ingest "$data/uncertain.txt"
	check "show it" show "$WORK/pool.store" "$data/uncertain.txt" pooled
	is "$(meta pooled doctype)" "PAYAGR" "pooled: doctype"
	is "$(meta pooled doctype.method)" "combined" "pooled: doctype.method combined"
	is "$(meta pooled doctype.confidence)" "0.79" "pooled: sqrt(0.37 x 0.95), normalised"
	is "$(meta pooled review.reason)" "" "pooled: confident enough, no review"
	is "$(meta pooled @learned.scores)" "" "pooled: the transient scores are not stored"
	note pooled | grep -q "pooled with @learned.scores (weights 0.5, 0.5)"
	ok $? "pooled: the note says so"

	config "$WORK/person.xml" "$mini" "" "$(setmeta doctype.method person)"
	check "ingest a contract whose type a person set" env DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_ABI_DIR" \
		"$DANGAN" -c "$WORK/person.xml" --store "$WORK/person.store" ingest "$data/contract-cn-date.txt"
	check "show it" show "$WORK/person.store" "$data/contract-cn-date.txt" person
	is "$(meta person doctype)$(meta person 户号)" "" "a person's decision is left alone"
else
	echo "# the test plugin setmeta is not built: pooling not tested (run through make check)"
fi

# ---- a scanned page: OCR, then classification ------------------------------------
ocr_ok=1
command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>&1 | grep -qx chi_sim || ocr_ok=0
for p in scan prep ocr; do
	"$DANGAN" plugins show $p >/dev/null 2>&1 || ocr_ok=0
done
if [ $ocr_ok -eq 1 ]; then
	check "ingest a scanned contract" dangan -c "$WORK/mini.xml" --store "$S" ingest "$data/contract-scan.png"
	check "show it" show "$S" "$data/contract-scan.png" scan
	is "$(meta scan doctype)" "CONTRACT" "scan: OCR'd text classified"
	at_least "$(meta scan doctype.confidence)" 0.9
	ok $? "scan: confidence $(meta scan doctype.confidence)"
	is "$(meta scan 户号)" "3306667788" "scan: 户号"
	is "$(meta scan 户名)" "滨江市光明纺织有限公司" "scan: 户名 split over two lines, cut before the next label"
	is "$(meta scan 签订日期)" "2024-05-20" "scan: 签订日期"
	is "$(meta scan 合同容量)" "630" "scan: 合同容量"
else
	echo "# tesseract with chi_sim or the scan plugins missing: the scanned page is not tested"
fi

done_testing
