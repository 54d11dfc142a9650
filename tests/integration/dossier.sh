#!/bin/sh
# dossier.sh -- one customer, one dossier (一户一档), and near-duplicates.
# Documents whose metadata has 户号 (here written by the test stage
# abi-fields, which copies "KEY: VALUE" lines of the text as a
# classification stage would) are filed into that customer's dossier:
# `dossier ls` lists the dossiers with their 户名, `dossier show` the
# documents by formation date (the dates in the texts are out of order),
# a later document is appended and a new version keeps its place,
# `dossier check` reports what the filing scope of the test catalogue
# (tests/data/doctypes-scope) says is missing (exit 1) and exits 0 when
# nothing is, and `reindex` (also after losing the catalog) gives the
# same dossiers.  Near-duplicates: the same text in another layout, and
# with a character read differently, are stored as documents of their own
# but linked (near-duplicate-of / has-near-duplicate, an event, a
# warning); an unrelated text and a short one are not.
. "$DG_SRCDIR/tests/lib.sh"

for tool in jq sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done
[ -f "$DG_ABI_DIR/dg-abi-fields.so" ] || skip_all "the test plugin abi-fields is not built (run through make check)"

export DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$DG_ABI_DIR"
SCOPE="$DG_TEST_DATA/doctypes-scope"
CFG="$WORK/config.xml"
cat >"$CFG" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1" default-pipeline="default">
  <pipeline name="default">
    <stage id="text" plugin="text" on-failure="continue"><match type="text/*"/></stage>
    <stage id="fields" plugin="abi-fields" on-failure="continue"><match type="text/*"/></stage>
  </pipeline>
</dangan>
EOF
export DANGAN_CONFIG="$CFG"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
A=3201456789
B=3201999999
check_json() { dangan dossier check --catalogue "$SCOPE" --json "$@" 2>/dev/null; }

# ---- two customers and a document without 户号 ------------------------------------------
IN="$WORK/in"
mkdir -p "$IN"
printf '供用电合同\n户号: %s\n户名: 南京市鼓楼区宏达五金加工厂\ndoctype: CONTRACT\n签订日期: 2024年3月5日\n' "$A" >"$IN/a-contract.txt"
printf '用电申请书\n户号：%s\n户名: 宏达五金加工厂\ndoctype: APP\n申请日期: 2024-01-10\n用电地址: 南京市鼓楼区中山北路218号\n联系电话: 025-83001234\n' "$A" >"$IN/a-app.txt"
printf '营业勘测单\n户号: %s\ndoctype: SURVEY\n日期: 2024/2/1\n合同容量: 315\n' "$A" >"$IN/a-survey.txt"
printf '用电申请书\n户号: %s\n户名: 南京利民食品有限公司\ndoctype: APP\n业务类型: 增容\n申请日期: 二〇二四年四月一日\n' "$B" >"$IN/b-app.txt"
printf '供用电合同\n户号: %s\n户名: 南京利民食品有限公司\ndoctype: CONTRACT\n业务类型: 增容\n签订日期: 2024-05-01\n' "$B" >"$IN/b-contract.txt"
printf '停电通知单\n因线路检修，定于2024年7月1日停电。\n' >"$IN/notice.txt"
check "six documents ingested" dangan ingest "$IN"

dangan dossier ls --json >"$WORK/ls.json"
is "$(jq -r '[.[].account] | join(" ")' "$WORK/ls.json")" "$A $B" "dossier ls: two dossiers, by 户号"
is "$(jq -r '.[0].name' "$WORK/ls.json")" "南京市鼓楼区宏达五金加工厂" "the first one's 户名 (from its newest document)"
is "$(jq -r '.[1].name' "$WORK/ls.json")" "南京利民食品有限公司" "the second one's 户名"
is "$(jq -r '[.[].documents] | join(" ")' "$WORK/ls.json")" "3 2" "3 and 2 documents: the notice has no 户号"
is "$(jq -r '.[0].last_date' "$WORK/ls.json")" "2024-03-05" "last date of the first: its latest formation date"
dangan dossier ls >"$WORK/ls.txt"
grep -q "^$A .*3 documents.*南京市鼓楼区宏达五金加工厂" "$WORK/ls.txt"
ok $? "dossier ls (text) shows 户号, documents and 户名"

dangan dossier show "$A" --json >"$WORK/showA.json"
is "$(jq -r '[.documents[].doctype] | join(" ")' "$WORK/showA.json")" "APP SURVEY CONTRACT" \
	"dossier show: documents by formation date, not by arrival"
is "$(jq -r '[.documents[].formed] | join(" ")' "$WORK/showA.json")" "2024-01-10 2024-02-01 2024-03-05" \
	"formation dates normalised (ISO, 2024/2/1, 2024年3月5日)"
is "$(jq -r '[.documents[].formed_from] | join(" ")' "$WORK/showA.json")" "申请日期 日期 签订日期" "each from its date field"
is "$(jq -r '.documents[0].id' "$WORK/showA.json")" "sha256:$(sha "$IN/a-app.txt")" "the first document is the application"
is "$(jq -r '.fields["用电地址"]' "$WORK/showA.json")" "南京市鼓楼区中山北路218号" "customer field 用电地址"
is "$(jq -r '.fields["联系电话"] + " " + .fields["合同容量"]' "$WORK/showA.json")" "025-83001234 315" \
	"customer fields 联系电话 and 合同容量, from other documents"
is "$(dangan dossier show "$B" --json | jq -r '.documents[0].formed')" "2024-04-01" "二〇二四年四月一日 is 2024-04-01"
dangan dossier show "$A" >"$WORK/showA.txt"
grep -q "2024-01-10 *APP" "$WORK/showA.txt" && grep -q "户名 *南京市鼓楼区宏达五金加工厂" "$WORK/showA.txt"
ok $? "dossier show (text): documents and customer fields"
check_fails "dossier show of an unknown 户号 exits 1" 1 dangan dossier show 1111111111
check_fails "dossier show needs a 户号" 2 dangan dossier show

# ---- the filing scope -------------------------------------------------------------------
check_fails "dossier check: something is missing, exit 1" 1 dangan dossier check --catalogue "$SCOPE"
grep -q "新装: missing ACCEPT 工程竣工验收报告" "$WORK/out"
ok $? "the first dossier (新装 by default) lacks the acceptance report: $(grep missing "$WORK/out" | head -1)"
grep -q "增容: complete" "$WORK/out"
ok $? "the second (业务类型 增容 in its documents) is complete"
check_json >"$WORK/check.json"
is "$(jq -r '.[0].business[0].type + ":" + ([.[0].business[0].missing[].type] | join(","))' "$WORK/check.json")" \
	"新装:ACCEPT" "check --json: 新装, missing ACCEPT"
is "$(jq -r '[.[].complete] | join(" ")' "$WORK/check.json")" "false true" "check --json: complete false, true"
check "dossier check of the complete dossier exits 0" dangan dossier check --catalogue "$SCOPE" "$B"
check "--business 增容: the first dossier is complete for it" dangan dossier check --catalogue "$SCOPE" --business 增容 "$A"
check_fails "--business with a type the scope lacks: usage error" 2 dangan dossier check --catalogue "$SCOPE" --business 销户
check_fails "an unknown 户号: exit 1" 1 dangan dossier check --catalogue "$SCOPE" 1111111111
check_fails "a catalogue that does not exist: exit 3" 3 dangan dossier check --catalogue "$WORK/nowhere"
mkdir -p "$WORK/badcat"
printf '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x "y">]>\n<doctypes xmlns="urn:dangan:doctype:1"/>\n' >"$WORK/badcat/x.xml"
check_fails "a definition with a DOCTYPE is refused: exit 3" 3 dangan dossier check --catalogue "$WORK/badcat"

# ---- appended, never replaced -----------------------------------------------------------
IN2="$WORK/in2"
mkdir -p "$IN2"
printf '工程竣工验收报告\n户号: %s\ndoctype: ACCEPT\n日期: 2024-06-30\n' "$A" >"$IN2/a-accept.txt"
printf '电能表装拆工作单\n户号: %s\ndoctype: METER\n' "$A" >"$IN2/a-meter.txt"
check "two later documents ingested" dangan ingest "$IN2"
dangan dossier show "$A" --json >"$WORK/showA2.json"
is "$(jq -r '[.documents[].doctype] | join(" ")' "$WORK/showA2.json")" "APP SURVEY CONTRACT ACCEPT METER" \
	"appended: the earlier documents keep their places"
is "$(jq -r '.documents[4].formed_from' "$WORK/showA2.json")" "ingested" "a document without a date: the day it came"
is "$(jq -r '.documents[4].formed' "$WORK/showA2.json")" "$(date -u +%Y-%m-%d)" "... today"
check "now nothing is missing: exit 0" dangan dossier check --catalogue "$SCOPE"
grep -q "2 dossiers checked, 0 incomplete" "$WORK/out"
ok $? "check says so"
# the same bytes again, from elsewhere: a new version of the contract
cp "$IN/a-contract.txt" "$WORK/contract-again.txt"
check "the contract again (a new version)" dangan ingest "$WORK/contract-again.txt"
dangan dossier show "$A" --json >"$WORK/showA3.json"
is "$(jq -c '[.documents[] | [.id, .formed]]' "$WORK/showA3.json")" "$(jq -c '[.documents[] | [.id, .formed]]' "$WORK/showA2.json")" \
	"a new version keeps its place and adds no entry"

# ---- reindex gives the same dossiers ----------------------------------------------------
snapshot() {
	{
		dangan dossier ls --json
		for acct in $A $B; do dangan dossier show "$acct" --json; done
		check_json
	} >"$WORK/$1.snap"
}
snapshot before
check "reindex" dangan reindex
snapshot after
cmp -s "$WORK/before.snap" "$WORK/after.snap"
ok $? "after reindex: the same dossiers, documents, dates, fields and check"
rm -f "$STORE/catalog.db" "$STORE/catalog.db-wal" "$STORE/catalog.db-shm"
check "the catalog lost, reindex" dangan reindex
snapshot lost
cmp -s "$WORK/before.snap" "$WORK/lost.snap"
ok $? "after losing the catalog: the same dossiers again"

# ---- near-duplicates ---------------------------------------------------------------------
NEAR="$WORK/near"
mkdir -p "$NEAR"
C=3201777777
cat >"$NEAR/scan1.txt" <<EOF
供用电合同
合同编号：GY-2024-0315
户号: $C
户名: 南京市玄武区利民食品有限公司
用电地址：南京市玄武区珠江路88号
供电人：国网南京供电公司
第一条 用电地址、用电性质和用电容量。用电人在上述地址用电，用电类别为一般工商业，合同容量315千伏安。
第二条 供电方式。供电人以10千伏电压，经由鼓楼变电站10千伏中山线向用电人供电。
第三条 计量方式。供电人在用电人受电点安装用电计量装置，以计量装置的记录作为电费结算依据。
签订日期：2024年3月5日
EOF
# the same paper scanned again: OCR laid it out otherwise
cat >"$NEAR/scan2.txt" <<EOF
供 用 电 合 同
合同编号 : GY-2024-0315
户号: $C
户名: 南京市玄武区利民食品有限公司
用电地址 ： 南京市玄武区珠江路88号
供电人 ： 国网南京供电公司
第一条  用电地址 、用电性质和用电容量 。
用电人在上述地址用电 ， 用电类别为一般工商业 ， 合同容量315 千伏安 。
第二条  供电方式。 供电人以10 千伏电压，
经由鼓楼变电站10千伏中山线向用电人供电 。
第三条 计量方式 。供电人在用电人受电点安装用电计量装置 ，
以计量装置的记录作为电费结算依据 。
签订日期 ： 2024年3月5日
EOF
# and a third time, with a character read wrong
sed 's/一般工商业/一般工商亚/' "$NEAR/scan1.txt" >"$NEAR/scan3.txt"
cat >"$NEAR/other.txt" <<'EOF'
关于做好二〇二四年度迎峰度夏有序用电工作的通知。各县公司、各部门：为确保今年夏季用电高峰期间电网安全稳定运行，
保障居民生活和重要用户用电需求，现就有关事项通知如下。一、提高思想认识，加强组织领导。
EOF
printf '户号: 1\n' >"$NEAR/short1.txt"
printf '户号 : 1\n' >"$NEAR/short2.txt"
check "the first scan, an unrelated text and a short one" dangan ingest "$NEAR/scan1.txt" "$NEAR/other.txt" "$NEAR/short1.txt"
dangan ingest --json "$NEAR/scan2.txt" "$NEAR/scan3.txt" "$NEAR/short2.txt" >"$WORK/near.json" 2>"$WORK/near.err"
is "$?" 0 "the re-scans ingested: exit 0"
is "$(jq -r 'select(.summary) | .summary.new' "$WORK/near.json")" 3 "stored as documents of their own (different bytes)"
is "$(jq -r 'select(.summary) | .summary.warnings' "$WORK/near.json")" 2 "two of them with a warning"
is "$(grep -c 'near-duplicate of sha256:' "$WORK/near.err")" 2 "a warning for each re-scan"
S1=$(sha "$NEAR/scan1.txt")
S2=$(sha "$NEAR/scan2.txt")
S3=$(sha "$NEAR/scan3.txt")
# the two re-scans were committed in one run, in either order: each is
# a near-duplicate of the first scan, and the later of them of the other
pair() { printf 'sha256:%s\nsha256:%s\n' "$1" "$2" | sort | paste -sd, -; }
dangan show "$S2" --json >"$WORK/s2.json"
dangan show "$S3" --json >"$WORK/s3.json"
is "$(jq -r '[.near_duplicates[] | select(.relation == "near-duplicate-of") | .id] | map(select(. == "sha256:'"$S1"'")) | length' "$WORK/s2.json")" \
	1 "show: the second scan is a near-duplicate-of the first"
is "$(jq -r '[.document.relations[] | select(.kind == "near-duplicate-of") | .target] | map(select(. == "sha256:'"$S1"'")) | length' "$WORK/s2.json")" \
	1 "... recorded in its manifest as a relation"
is "$(jq -r '.document.status' "$WORK/s2.json")" "warn" "... its status is warn"
is "$(jq -r '[.document.events[] | select(.type == "near-duplicate") | .outcome] | join(",")' "$WORK/s2.json")" \
	"warn" "... with a near-duplicate event"
is "$(jq -r '.near_duplicates[] | select(.id == "sha256:'"$S1"'") | .label' "$WORK/s2.json")" "simhash distance 0" \
	"another layout: distance 0"
jq -r '.near_duplicates[] | select(.id == "sha256:'"$S1"'") | .label' "$WORK/s3.json" | grep -qx 'simhash distance [0-3]'
ok $? "a character read wrong: within 3 bits ($(jq -r '.near_duplicates[] | select(.id == "sha256:'"$S1"'") | .label' "$WORK/s3.json"))"
is "$(jq -r '[.near_duplicates[].id] | sort | join(",")' "$WORK/s2.json")" "$(pair "$S1" "$S3")" \
	"the second scan is linked to the first and the third"
is "$(jq -r '[.near_duplicates[].id] | sort | join(",")' "$WORK/s3.json")" "$(pair "$S1" "$S2")" \
	"the third scan is linked to the first and the second (in the same batch)"
dangan show "$S1" --json >"$WORK/s1.json"
is "$(jq -r '[.near_duplicates[] | select(.relation == "has-near-duplicate") | .id] | sort | join(",")' "$WORK/s1.json")" \
	"$(pair "$S2" "$S3")" \
	"the first scan has both as near-duplicates (read backwards)"
is "$(jq -r '.document.parent // "none"' "$WORK/s1.json")" "none" "... and was not rewritten for it"
is "$(dangan show "$(sha "$NEAR/other.txt")" --json | jq -r '.near_duplicates | length')" 0 "the unrelated text is linked to nothing"
is "$(dangan show "$(sha "$NEAR/short2.txt")" --json | jq -r '.near_duplicates | length')" 0 "a short text gets no fingerprint, no link"
dangan show "$S1" >"$WORK/s1.txt"
grep -q "has-near-duplicate sha256:$(echo "$S2" | cut -c1-16)" "$WORK/s1.txt"
ok $? "show (text) lists the near-duplicates"
dangan dossier show "$C" >"$WORK/showC.txt"
grep -q "near-duplicate of $(echo "$S1" | cut -c1-12)" "$WORK/showC.txt"
ok $? "dossier show marks the re-scans: $(grep -c near-duplicate "$WORK/showC.txt") of 3"
for s in "$S1" "$S2" "$S3"; do dangan show "$s" --json | jq -c '.near_duplicates'; done >"$WORK/near.before"
check "reindex" dangan reindex
for s in "$S1" "$S2" "$S3"; do dangan show "$s" --json | jq -c '.near_duplicates'; done >"$WORK/near.after"
cmp -s "$WORK/near.before" "$WORK/near.after"
ok $? "after reindex: the same links"

# ---- an older catalog ---------------------------------------------------------------------
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$STORE/catalog.db" 'PRAGMA user_version=1'
	dangan dossier ls >/dev/null 2>"$WORK/stale.err"
	grep -q "reindex" "$WORK/stale.err"
	ok $? "a catalog of an older version: dossier ls says to reindex"
	dangan reindex >/dev/null
	dangan dossier ls >/dev/null 2>"$WORK/stale.err"
	is "$(cat "$WORK/stale.err")" "" "after reindex: no hint"
fi

done_testing
