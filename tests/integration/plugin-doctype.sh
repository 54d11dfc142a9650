#!/bin/sh
# A document type with extraction code of its own, as a plugin built out
# of tree: install into a scratch DESTDIR, build samples/plugin-doctype
# (dg-fee.so) with pkg-config only, install it into a plugin directory,
# add its definition (fee.xml) to a copy of the installed power-supply
# catalogue, and ingest the sample receipts through text -> classify ->
# fee.  A receipt whose amount in words agrees with its figures gets the
# type, the confidence and the checked 金额; one where they disagree
# goes to review without 金额; a contract is not the stage's.  Then the
# amount-in-words parser on receipts written for it (units, 零, OCR
# spaces, full-width figures, ambiguous and broken words), and the
# dossier's filing scope with the new type in it.
. "$DG_SRCDIR/tests/lib.sh"

command -v jq >/dev/null 2>&1 || skip_all "jq is needed"
command -v pkg-config >/dev/null 2>&1 || skip_all "pkg-config is needed"
"$DANGAN" plugins show classify >/dev/null 2>&1 || skip_all "the classify plugin is not built"

dest="$WORK/dest"
check "make install into a scratch DESTDIR" $MAKE -C "$DG_BUILDDIR" install DESTDIR="$dest"
pc=$(find "$dest" -name dangan.pc | head -n 1)
ok "$([ -n "$pc" ]; echo $?)" "dangan.pc installed"
export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$(dirname "$pc")"
doctypes=$(pkg-config --variable=doctypesdir dangan)
ok "$([ -f "$doctypes/power-supply/billing.xml" ]; echo $?)" "pkg-config's doctypesdir holds the installed catalogues"

src="$DG_SRCDIR/samples/plugin-doctype"
cp -r "$src" "$WORK/fee"
chmod -R u+w "$WORK/fee"
check "plugin-doctype builds out of tree with pkg-config" make -C "$WORK/fee"
check "make install puts it into a plugin directory" make -C "$WORK/fee" install PLUGIN_DIR="$WORK/plugins"
ok "$([ -f "$WORK/plugins/dg-fee.so" ]; echo $?)" "dg-fee.so is in the plugin directory"
check "pkg-config's plugindir is the installed plugins'" test -f "$(pkg-config --variable=plugindir dangan)/dg-classify.so"

export DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$WORK/plugins"
check "plugins show fee" dangan plugins show fee
grep -q 'types' "$WORK/out"; ok $? "its option table is documented by the engine"

cat="$WORK/catalogue"
mkdir -p "$cat"
cp "$doctypes"/power-supply/*.xml "$src/fee.xml" "$cat/"
cat >"$WORK/fee.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="fee">
    <stage id="text" plugin="text" on-failure="continue"><match type="text/*"/></stage>
    <stage id="classify" plugin="classify" on-failure="continue">
      <option name="catalogue">$cat</option>
    </stage>
    <stage id="fee" plugin="fee" on-failure="continue"/>
  </pipeline>
</dangan>
XML
check "config with the type's stage is valid" dangan config check "$WORK/fee.xml"

# show FILE NAME: the document of FILE as JSON into $WORK/NAME.json
show() { dangan show --json "$(sha256sum "$1" | cut -c1-16)" >"$WORK/$2.json" 2>"$WORK/err"; }
# meta NAME KEY: the values of KEY ('|'-joined; empty when absent)
meta() { jq -r --arg k "$2" '.document.metadata[$k] // [] | join("|")' "$WORK/$1.json"; }
# event NAME STAGE: that stage's outcome and message
event() { jq -r --arg s "$2" '[.document.events[] | select(.stage == $s) | .outcome + " " + .message] | join("|")' "$WORK/$1.json"; }

good="$src/examples/3301000123-高可靠性供电费收费凭证.txt"
bad="$src/examples/3301000789-临时接电费收费凭证.txt"
contract="$DG_SRCDIR/samples/box-2026-001/3301000123-供用电合同.txt"
check "ingest the sample receipts and a contract" dangan -c "$WORK/fee.xml" ingest "$src/examples" "$contract"
check "show the agreeing receipt" show "$good" good
check "show the disagreeing receipt" show "$bad" bad
check "show the contract" show "$contract" contract

is "$(meta good doctype)" "FEE" "receipt: the type of the sample's definition"
is "$(meta good doctype.name)" "业务费收费凭证" "receipt: its name"
is "$(meta good doctype.retention)" "D30" "receipt: its retention"
is "$(meta good doctype.confidence)" "1.00" "receipt: confident"
is "$(meta good 户号)" "3301000123" "receipt: 户号 by the definition's pattern"
is "$(meta good 收费日期)" "2026-04-17" "receipt: 收费日期 by the definition's pattern"
is "$(meta good 金额)" "70370.00" "receipt: 金额 by the plugin's code"
is "$(meta good 金额大写)" "柒万零叁佰柒拾元整" "receipt: the amount in words as written"
is "$(meta good fee.check)" "agree" "receipt: words and figures agree"
is "$(meta good review.reason)" "" "receipt: not sent to review"
is "$(event good fee)" "ok in words: 70370.00; in figures: 70370.00 -> agree" "receipt: the fee stage's event"

is "$(meta bad doctype)" "FEE" "disagreeing receipt: still a FEE"
is "$(meta bad fee.check)" "disagree" "disagreeing receipt: the check says so"
is "$(meta bad 金额)" "" "disagreeing receipt: no 金额 written"
is "$(meta bad 金额大写)" "壹万贰仟叁佰肆拾伍元陆角柒分" "disagreeing receipt: the words are kept for the reviewer"
meta bad review.reason | grep -q '12345.67.*12354.67'
ok $? "disagreeing receipt: review.reason gives both amounts"
is "$(event bad fee | cut -d' ' -f1)" "warn" "disagreeing receipt: the stage ends with a warning"
check "review ls" dangan review ls --json
is "$(jq length "$WORK/out")" "1" "one document on the review list"
grep -q "$(sha256sum "$bad" | cut -c1-16)" "$WORK/out"
ok $? "the review list has the disagreeing receipt"

is "$(meta contract doctype)" "CONTRACT" "contract: classified as before"
is "$(event contract fee)" "" "contract: the fee stage does not take it"
is "$(meta contract fee.check)" "" "contract: no fee.check"

# ---- the amount in words ------------------------------------------------------------
# NAME|WORDS LINE|FIGURES LINE|fee.check|金额
cases="$WORK/cases"
mkdir -p "$cases"
while IFS='|' read -r name words figures want amount; do
	printf '业务费收费凭证\n户号：3301000999\n户名：测试户\n收费项目：临时接电费\n%s\n%s\n收费日期：2026-05-06\n' \
		"$words" "$figures" >"$cases/$name.txt"
	echo "$name|$want|$amount" >>"$WORK/want"
done <<'EOF'
ten|金额（大写）：拾元整|金额（小写）：¥10.00|agree|10.00
units|金额（大写）：壹拾贰元零伍分|小写：12.05|agree|12.05
zero|金额（大写）：壹万零伍元整|（小写）￥10,005.00|agree|10005.00
yi|金额（大写）：贰亿零壹佰万元整|金额（小写）：¥201,000,000.00|agree|201000000.00
jiao|金额（大写）：伍角|收款人：王某|words only|0.50
ocr|金额（大写） 叁 仟 陆 佰 元 整|金额（小写） ¥ 3600|agree|3600.00
fullwidth|大写：壹万贰仟叁佰肆拾伍元陆角柒分|小写：１２３４５．６７|agree|12345.67
figure|收费说明：见附件|金额（小写）：¥88.00|figure only|88.00
ambiguous-words|金额（大写）：壹仟伍元|金额（小写）：¥1,005.00|invalid|
broken-words|金额（大写）：壹佰壹仟元整|金额（小写）：¥1,100.00|invalid|
two-figures|收费说明：¥100.00 与 ¥200.00|另收：见附件|ambiguous|
two-words|金额（大写）：壹佰元整 贰佰元整|金额（小写）：¥100.00|ambiguous|
words-disagree|金额（大写）：叁佰元整|金额（小写）：¥30.00|disagree|
none|收费说明：见附件|另收：无|not found|
EOF
check "ingest the receipts written for the parser" dangan -c "$WORK/fee.xml" ingest "$cases"
while IFS='|' read -r name want amount; do
	show "$cases/$name.txt" "$name"
	is "$(meta "$name" doctype)|$(meta "$name" fee.check)|$(meta "$name" 金额)" "FEE|$want|$amount" "words and figures: $name"
done <"$WORK/want"
meta ambiguous-words field.problems | grep -q "壹仟伍元"
ok $? "ambiguous words (1005 or 1500?) are named in field.problems"
is "$(meta none field.problems)" "金额: required, not found" "no amount at all: field.problems"

# ---- the filing scope knows the type -------------------------------------------------
cat >"$cat/fee-scope.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doctypes xmlns="urn:dangan:doctype:1">
  <scope business="双电源增容">
    <require type="CONTRACT"/>
    <require type="FEE"/>
  </scope>
</doctypes>
XML
check "a dossier with its contract and fee receipt is complete" \
	dangan dossier check 3301000123 --business 双电源增容 --catalogue "$cat"
check "a store with the contract alone" dangan -c "$WORK/fee.xml" --store "$WORK/s2" ingest "$contract"
check_fails "a dossier without the fee receipt is not complete" 1 \
	dangan --store "$WORK/s2" dossier check 3301000123 --business 双电源增容 --catalogue "$cat"
grep -q 'missing FEE 业务费收费凭证' "$WORK/out"
ok $? "the missing type is named from its definition"
done_testing
