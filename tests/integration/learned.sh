#!/bin/sh
# The learned classifier end to end: forty born-digital texts of four
# types (made here, fields varied) are ingested and labelled by a person
# with `dangan set` (an event per correction, every version kept);
# `dangan train` learns from them with cross-validated figures, stores
# the model as an object (kept, verified) and installs it; a new
# document is scored (the stage's provenance note names the type, its
# probability and the model); a retraining makes a new model version;
# a damaged model is refused with a clear error and the stage disabled,
# never a crash.
. "$DG_SRCDIR/tests/lib.sh"

for p in text learned; do
	"$DANGAN" plugins show $p >/dev/null 2>&1 || skip_all "the $p plugin is not built"
done

cat >"$WORK/cfg.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="default">
    <stage id="text" plugin="text" on-failure="continue"><match type="text/*"/></stage>
    <stage id="learned" plugin="learned" on-failure="continue"/>
  </pipeline>
</dangan>
XML
export DANGAN_CONFIG="$WORK/cfg.xml"

# gen DIR: ten documents of each of four types
gen() {
	d=$1
	mkdir -p "$d"
	i=0
	for n in 张伟 王芳 李娜 刘洋 陈静 杨磊 赵敏 黄强 周杰 吴霞; do
		i=$((i + 1))
		acct=$((3300000000 + i * 7919))
		cap=$((100 + i * 35))
		cat >"$d/contract-$i.txt" <<T
供用电合同
合同编号：GY-2024-$((1000 + i))
供电人：国网某市供电公司
用电人：$n
户号：$acct
第一条 用电地址：某市某区幸福路${i}号
第二条 合同容量 ${cap} kVA，供电电压10千伏。
第三条 供电人按照国家规定的电能质量标准向用电人供电，用电人按期交纳电费。
第四条 本合同自双方签字盖章之日起生效，有效期五年。
签订日期：2024年$((1 + i % 12))月$((1 + i))日
T
		cat >"$d/app-$i.txt" <<T
用电申请书
申请人：$n    联系电话：138$((10000000 + i * 1234))
申请事项：新装
用电地址：某市某区光明街${i}号
申请容量：${cap}千伏安  用电类别：一般工商业
本人承诺所提供的资料真实有效，特此申请办理用电业务。
申请日期：2024-0$((1 + i % 9))-1$((i % 10))
受理人：营业厅窗口
T
		cat >"$d/notice-$i.txt" <<T
电费缴费通知单
尊敬的客户 $n：
您的户号 $acct 本月应交电费 $((200 + i * 13)).50 元，
抄表示数 $((5000 + i * 321))，用电量 $((300 + i * 17)) 千瓦时。
请于本月$((20 + i % 5))日前到营业厅或通过网上国网缴纳，逾期将按规定收取违约金。
特此通知。
T
		cat >"$d/meter-$i.txt" <<T
电能计量装置装拆工作单
工单号：JL$((880000 + i))
客户名称：$n  户号：$acct
拆除电能表：表号 $((1100000 + i * 3)) 示数 $((4000 + i * 55))
装出电能表：表号 $((2200000 + i * 3)) 示数 0
互感器变比 $((50 + i * 5))/5  封印号 F$((7000 + i))
装拆人员签字：        客户签字确认：
T
	done
}
id() { sha256sum "$1" | cut -c1-64; }
# json_num KEY FILE: the first number value of "KEY" in a JSON file
json_num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2" | head -n 1; }
json_str() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2" | head -n 1; }

gen "$WORK/docs"
check "ingest 40 texts" dangan ingest "$WORK/docs"
check_fails "nothing labelled yet: train says so" 1 dangan train
grep -q "nothing to train on" "$WORK/err"
ok $? "  and why"

# ---- a person's labels ------------------------------------------------
bad=0
for f in "$WORK"/docs/*.txt; do
	t=$(basename "$f" | cut -d- -f1 | tr a-z A-Z)
	dangan -q set "$(id "$f")" doctype="$t" --by tester >/dev/null 2>"$WORK/err" || bad=$((bad + 1))
done
is "$bad" 0 "dangan set labels all 40 documents"

c1=$(id "$WORK/docs/contract-1.txt")
check "a wrong label" dangan set "$c1" doctype=APP --by tester
check "and its correction" dangan set "$c1" doctype=CONTRACT 备注=复核 --by 审核员
check "show --json" dangan show --json "$c1"
cp "$WORK/out" "$WORK/c1.json"
grep -q '"doctype":\["CONTRACT"\]' "$WORK/c1.json" && grep -q '"doctype.method":\["person"\]' "$WORK/c1.json" &&
	grep -q '"doctype.confidence":\["1.00"\]' "$WORK/c1.json" && grep -q '"备注":\["复核"\]' "$WORK/c1.json"
ok $? "the type is the person's, with method and confidence"
is "$(grep -o '"type":"set"' "$WORK/c1.json" | wc -l | tr -d ' ')" 3 "three set events in the history"
grep -q '"message":"by 审核员: doctype: APP -> CONTRACT; 备注: (none) -> 复核"' "$WORK/c1.json"
ok $? "the event names the user, the keys, old and new values"
is "$(grep -o '"manifest":"sha256:' "$WORK/c1.json" | wc -l | tr -d ' ')" 4 "four versions kept (ingest and three sets)"
check "the same value again" dangan set "$c1" doctype=CONTRACT
grep -q "nothing changes" "$WORK/out"
ok $? "  makes no version"
check "type=CODE, the archivist's word" dangan set "$c1" type=CONTRACT
grep -q "nothing changes" "$WORK/out"
ok $? "  is doctype=CODE (the same type: no version, no key 'type')"
check_fails "a scratch key is refused" 2 dangan set "$c1" @learned.scores=x
check_fails "a control character is refused" 2 dangan set "$c1" "note=$(printf 'a\001b')"
check_fails "invalid UTF-8 is refused" 2 dangan set "$c1" "note=$(printf 'a\377b')"
check_fails "a pair without = is refused" 2 dangan set "$c1" doctype
check_fails "an unknown document" 1 dangan set 0123456789ab doctype=APP
check "a key removed (KEY=)" dangan set "$c1" 备注= --by tester
dangan show "$c1" >"$WORK/c1.txt"
! sed -n '/^metadata:/,/^history/p' "$WORK/c1.txt" | grep -q '备注' && grep -q 'by tester: 备注: 复核 -> (removed)' "$WORK/c1.txt"
ok $? "  gone from the document, named in the event"
check "verify after the corrections" dangan verify

# ---- training --------------------------------------------------------------
check "train with 3-fold cross-validation" dangan train --folds 3 --json
cp "$WORK/out" "$WORK/train1.json"
acc=$(json_num accuracy "$WORK/train1.json")
f1=$(json_num macro_f1 "$WORK/train1.json")
is "$(json_num evaluated "$WORK/train1.json")" 40 "every document predicted once, held out"
awk -v a="$acc" -v f="$f1" 'BEGIN { exit !(a >= 0.9 && f >= 0.9) }'
ok $? "held-out accuracy $acc, macro-F1 $f1 (>= 0.9)"
grep -q '"confusion":{"APP":{"APP":' "$WORK/train1.json"
ok $? "with a confusion table"
m1=$(json_str model "$WORK/train1.json" | sed 's/^sha256://')
obj="$STORE/objects/$(echo "$m1" | cut -c1-2)/$(echo "$m1" | cut -c3-)"
test -f "$obj" && cmp -s "$obj" "$STORE/state/learned/model"
ok $? "the model is an object of the store, installed as state/learned/model"
grep -q "^sha256:$m1	" "$STORE/state/learned/history"
ok $? "and recorded in the history"
check "verify: clean" dangan verify
grep -q " 0 unreferenced objects; 0 errors" "$WORK/out"
ok $? "  the model is no stray object"
check "train with a held-out test split" dangan train --test-split 0.3
grep -q "held-out test (30 %): 12 documents" "$WORK/out" && grep -q "^  NOTICE " "$WORK/out"
ok $? "  figures and a confusion table as text"
m2=$(sed -n 's/^model sha256:\([0-9a-f]*\) .*/\1/p' "$WORK/out")
test -n "$m2" && [ "$m2" != "$m1" ] && test -f "$obj"
ok $? "retraining makes a new model; the first stays in the store"
grep -q "replaces sha256:$m1" "$WORK/out"
ok $? "  and says which it replaces"
is "$(grep -c '^sha256:' "$STORE/state/learned/history")" 2 "two models in the history"
check_fails "train --plugin text: not trainable" 2 dangan train --plugin text
check_fails "a bad training option" 2 dangan train -O bucket-bits=99

# ---- scoring -------------------------------------------------------------------
mkdir -p "$WORK/new"
printf '供用电合同\n供电人：国网某县供电公司\n用电人：孙丽 户号：3300999999\n合同容量 630 kVA，用电人按期交纳电费。\n' >"$WORK/new/c.txt"
printf '电费缴费通知单：客户钱多多，户号 3300123456，本月应交电费 88.00 元，请按时缴纳。\n' >"$WORK/new/n.txt"
head -c 3000 /dev/urandom >"$WORK/new/noise.bin"
check "ingest new documents" dangan ingest "$WORK/new"
dangan show --json "$(id "$WORK/new/c.txt")" >"$WORK/c.json"
grep -Eq "learned: CONTRACT (0\.[5-9][0-9]|1\.00) \(next [A-Z]+ 0\.[0-9]+\); model sha256:$(echo "$m2" | cut -c1-16)" "$WORK/c.json"
ok $? "a new contract is scored CONTRACT by the installed model"
grep -q '@learned' "$WORK/c.json"
ok $((!$?)) "the scores are transient (not stored)"
dangan show --json "$(id "$WORK/new/n.txt")" >"$WORK/n.json"
grep -q "learned: NOTICE " "$WORK/n.json"
ok $? "a new notice is scored NOTICE"
dangan show --json "$(id "$WORK/new/noise.bin")" >"$WORK/x.json"
grep -q '"stage":"learned"' "$WORK/x.json"
ok $((!$?)) "a document without text is left alone"

# ---- a damaged model ---------------------------------------------------------------
good="$WORK/good.model"
cp "$STORE/state/learned/model" "$good"
size=$(wc -c <"$good")
head -c $((size / 2)) "$good" >"$STORE/state/learned/model"
printf '供用电合同 第三份 用电人 甲\n' >"$WORK/new/c3.txt"
dangan ingest "$WORK/new/c3.txt" >"$WORK/out" 2>"$WORK/err"
st=$?
ok $st "a truncated model: the ingest still succeeds (exit $st)"
grep -q "learned/model is not valid: checksum mismatch" "$WORK/err" && grep -q "disabled" "$WORK/err"
ok $? "  the error names the model file, the problem and the disabled stage"
dangan show --json "$(id "$WORK/new/c3.txt")" >"$WORK/c3.json"
grep -q '"stage":"learned","plugin":"learned","plugin_version":"[^"]*","outcome":"fatal"' "$WORK/c3.json"
ok $? "  the document is stored, its history says so"
head -c 4096 /dev/urandom >"$STORE/state/learned/model"
printf '用电申请书 申请人 丙\n' >"$WORK/new/a3.txt"
dangan ingest "$WORK/new/a3.txt" >"$WORK/out" 2>"$WORK/err"
st=$?
ok $st "a model of garbage: no crash, the ingest succeeds (exit $st)"
grep -q "not valid: not a model file" "$WORK/err"
ok $? "  refused as not a model file"
check "train installs a good model again" dangan train
printf '电能计量装置装拆工作单 拆除电能表 表号 示数 封印号\n' >"$WORK/new/m3.txt"
check "ingest after retraining" dangan ingest "$WORK/new/m3.txt"
dangan show --json "$(id "$WORK/new/m3.txt")" >"$WORK/m3.json"
grep -q "learned: METER " "$WORK/m3.json"
ok $? "  scored again"
check "verify: clean at the end" dangan verify
is "$(grep -c '^sha256:' "$STORE/state/learned/objects")" 3 "three models kept by the state"
done_testing
