#!/bin/sh
# DA/T 48-2009 EEP packages: the samples exported one .eep per document,
# each valid against config/schemas/eep.xsd (xmllint, no network) and
# clean for `verify-eep`; imported into a fresh store with the same ids
# and the same bytes; signed with a generated SM2 key (the signature
# checked by the openssl command too); a changed Base64 byte, signature
# byte and IDREF each found; a 修改型 package for a document with two
# versions; hostile packages (external entity, billion laughs, network
# DTD, deep nesting, larger than max-size) refused without expansion.
. "${DG_SRCDIR:-.}/tests/lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v xmllint >/dev/null || skip_all "xmllint is not installed"
command -v perl >/dev/null || skip_all "perl is not installed"
S="$DG_SRCDIR/samples"
XSD="$DG_SRCDIR/config/schemas/eep.xsd"
el() { printf '*[local-name()="%s"]' "$1"; }
# verify-eep PATH... : findings in $WORK/out, exit status returned
vfy() { dangan verify-eep "$@" >"$WORK/out" 2>&1; }
has() { grep -q "$1" "$WORK/out"; }
# flip_at FILE N: change the first Base64 letter N bytes into the first 编码数据
flip_at() {
	perl -0777 -pi -e 'my $i = index($_, "<编码数据 "); $i = index($_, ">", $i) + 1 + '"$2"';
		$i++ while substr($_, $i, 1) !~ /[A-Za-z]/; substr($_, $i, 1) = substr($_, $i, 1) eq "A" ? "B" : "A"' "$1"
}

check "ingest the samples" dangan -q ingest "$S/box-2026-001" "$S/mail-2026-002"
ndocs=$(dangan ls --json | jq length)

# ---- export ----------------------------------------------------------------
check "export every document as EEP" dangan export --format eep -o "$WORK/e1" -O unit=国网示例供电公司
E="$WORK/e1"
is "$(ls "$E" | grep -c '\.eep$')" "$ndocs" "one .eep per stored document"
bad=0
for f in "$E"/*.eep; do
	xmllint --noout --nonet --schema "$XSD" "$f" 2>>"$WORK/xsd.err" || bad=$((bad + 1))
done
is "$bad" "0" "every package is valid against eep.xsd (xmllint --schema --nonet)"
[ "$bad" -eq 0 ] || head -5 "$WORK/xsd.err" | sed 's/^/#   /'
vfy "$E"
ok $? "verify-eep: the export directory is clean"
test -s "$E.check.xml"
ok $? "the four-property report is written beside the export"
# the content of one package: DA/T 46 metadata, digests, Base64
mail=$(dangan ls --json | jq -r '.[] | select(.media_type == "message/rfc822") | .id' | head -1)
mf="$E/$(echo "$mail" | cut -c8-23).eep"
test -s "$mf"
ok $? "a package is named by the first 16 hex digits of the document id"
x() { xmllint --xpath "string($1)" "$mf"; }
B="/$(el 电子文件封装包)/$(el 被签名对象)"
C="$B/$(el 封装内容)/$(el 文件实体块)/$(el 文件实体)"
is "$(x "$B/$(el 封装包类型)")" "原始型" "封装包类型 原始型"
is "$(x "$B/$(el 封装包创建单位)")" "国网示例供电公司" "封装包创建单位 from -O unit"
is "$(x "$C/$(el 电子文件号)")" "$mail" "电子文件号 is the document id"
meta() { jq -r --arg k "$1" '.document.metadata[$k][0] // empty'; }
is "$(x "$C/$(el 内容描述)/$(el 题名)")" "$(dangan show "$mail" --json | meta dc.title)" \
	"题名 from dc.title"
x "$C/$(el 内容描述)/$(el 日期)" | grep -Eq '^[0-9]{8}$'
ok $? "日期 is CCYYMMDD"
D="$C/$(el 文件数据)/$(el 文档)/$(el 文档数据)/$(el 编码)"
is "$(x "$D/$(el 电子属性)/$(el 格式信息)")" "message/rfc822" "格式信息 is the media type"
is "$(x "$D/$(el 反编码关键字)")" "base64-eml" "反编码关键字 base64-<extension>"
x "$D/$(el 编码描述)" | grep -q "SHA-256:$(echo "$mail" | cut -c8-)"
ok $? "编码描述 records the SHA-256 of the bit stream"
! x "$D/$(el 编码描述)" | grep -q "SM3:"
ok $? "编码描述 records no SM3 by default"
check "export with -O sm3=true" dangan -q export --format eep -o "$WORK/e3" -O sm3=true "$mail"
msf="$WORK/e3/$(basename "$mf")"
xmllint --xpath "string($D/$(el 编码描述))" "$msf" | grep -q "SM3:$(dangan cat "$mail" | openssl dgst -sm3 -r | cut -c1-64) SHA-256:"
ok $? "with sm3=true 编码描述 records the SM3 of the bit stream too (as openssl dgst -sm3)"
x "$D/$(el 编码数据)" | base64 -d >"$WORK/dec"
dangan cat "$mail" >"$WORK/orig"
cmp -s "$WORK/dec" "$WORK/orig"
ok $? "编码数据 decodes to the original"
n=$(xmllint --xpath "count($B//$(el 业务实体))" "$mf")
[ "$n" -ge 2 ]
ok $? "provenance events are 业务实体 ($n)"
png=$(dangan ls --json | jq -r '.[] | select(.media_type == "image/png") | .id' | head -1)
pf="$E/$(echo "$png" | cut -c8-23).eep"
is "$(xmllint --xpath "string(//$(el 数字化属性)/$(el 扫描分辨率))" "$pf")" "300dpi" "a scan has 数字化属性 (扫描分辨率)"
is "$(xmllint --xpath "string(//$(el 数字化属性)/$(el 扫描色彩模式))" "$pf")" "灰度" "扫描色彩模式 from scan.colour-mode"

check "export with parts=all" dangan export --format eep -o "$WORK/e2" -O parts=all "$png"
n=$(xmllint --xpath "count(//$(el 文档))" "$WORK/e2"/*.eep)
[ "$n" -ge 3 ]
ok $? "parts=all: the derived parts are 附属文档 ($n 文档)"
xmllint --noout --nonet --schema "$XSD" "$WORK/e2"/*.eep 2>/dev/null
ok $? "parts=all: valid against eep.xsd"

# ---- several documents at once ------------------------------------------------
# EEP packages documents on several threads (-j, default one per CPU);
# running numbers and names are still given in selection order, so the
# packages are the same whatever the number of threads.
mask() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)?//g; s/<行为时间>[^<]*//g' "$1"; }
check "export with -j 1" dangan -q export --format eep -j 1 -o "$WORK/j1" -O unit=国网示例供电公司
check "export with -j 3" dangan -q export --format eep -j 3 -o "$WORK/j3" -O unit=国网示例供电公司
is "$(ls "$WORK/j3" | tr '\n' ' ')" "$(ls "$WORK/j1" | tr '\n' ' ')" "-j 3 and -j 1 name the packages alike"
same=0
for f in "$WORK/j1"/*.eep; do
	mask "$f" >"$WORK/a"
	mask "$WORK/j3/$(basename "$f")" >"$WORK/b"
	cmp -s "$WORK/a" "$WORK/b" || same=$((same + 1))
done
is "$same" "0" "... and write the same packages, 室编件号 included (times aside)"
nums=$(for f in "$WORK/j3"/*.eep; do xmllint --xpath "string(//$(el 室编件号))" "$f"; echo; done | grep . | sort -n | uniq | wc -l)
is "$nums" "$ndocs" "every package has its own running number"
check_fails "-j 0 is a usage error" 2 dangan export --format eep -j 0 -o "$WORK/j0"
# a document that fails half way (its stored object rots) stops the
# threads, and the export leaves nothing behind
cp -r "$STORE" "$WORK/rot"
hex=$(dangan ls --json | jq -r '.[5].id' | sed 's/^sha256://')
obj=$(find "$WORK/rot/objects" -type f -name "$(echo "$hex" | cut -c3-)" | head -1)
chmod u+w "$obj" && printf 'Z' | dd of="$obj" bs=1 seek=0 conv=notrunc 2>/dev/null
mkdir "$WORK/jr"
"$DANGAN" --store "$WORK/rot" export --format eep -j 2 -o "$WORK/jr/e" >"$WORK/out" 2>&1
is "$?" "4" "-j 2: an export from a store with a rotten object fails"
grep -q "does not hash to its id" "$WORK/out"
ok $? "... saying which object is bad"
test -z "$(ls -A "$WORK/jr")"
ok $? "... and leaves nothing under the final name, nor a temporary"
# the export's own check reads the package while it goes to disk, before
# its rename: its findings still name the package by its final name
dangan -vv export --format eep -o "$WORK/jn" >"$WORK/out" 2>&1
is "$(grep -c 'EEP-SIGNATURE' "$WORK/out")" "$ndocs" "the export's check reports on every package"
is "$(grep 'EEP-SIGNATURE' "$WORK/out" | grep -vc " $WORK/jn/")" "0" "... by its final name (none by the temporary one)"
# verify-eep of a directory runs on several threads too: the findings
# still come in name order, and a bad package among good ones is found
cp -r "$WORK/j1" "$WORK/jt"
third=$(ls "$WORK/jt" | sed -n 3p)
flip_at "$WORK/jt/$third" 10
vfy "$WORK/jt"
is "$?" "1" "verify-eep: a directory with one changed package is invalid"
is "$(grep '^ERROR' "$WORK/out" | grep -v "/$third" | wc -l)" "0" "... and only that package has errors"
grep -q "^ERROR EEP-DIGEST $WORK/jt/$third" "$WORK/out"
ok $? "... EEP-DIGEST names it"
dangan -v verify-eep "$WORK/j1" >"$WORK/out" 2>&1
grep -o "$WORK/j1/[^:]*\.eep" "$WORK/out" | uniq >"$WORK/order"
ls "$WORK/j1"/*.eep >"$WORK/names"
cmp -s "$WORK/order" "$WORK/names"
ok $? "verify-eep reports the packages in name order"

# ---- Base64 at every boundary -------------------------------------------------
# sizes around a group (3 bytes), a line (57), and a read block (65535):
# each 编码数据, decoded by base64(1), is the file
mkdir "$WORK/sizes"
for n in 1 2 3 4 5 56 57 58 59 114 65534 65535 65536 65537 131071; do
	head -c "$n" /dev/urandom >"$WORK/sizes/f$n.bin"
done
DANGAN_STORE="$WORK/store-sizes" dangan -q ingest --pipeline store-only "$WORK/sizes" &&
	DANGAN_STORE="$WORK/store-sizes" dangan -q export --format eep -o "$WORK/sz"
ok $? "export files of 1 B to 128 KiB"
bad=0
for f in "$WORK/sizes"/*.bin; do
	p="$WORK/sz/$(sha256sum "$f" | cut -c1-16).eep"
	xmllint --xpath "string(//$(el 编码数据))" "$p" | base64 -d >"$WORK/dec" 2>/dev/null
	cmp -s "$WORK/dec" "$f" || bad=$((bad + 1))
done
is "$bad" "0" "every 编码数据 decodes (base64 -d) to its file, whatever its size"

# ---- import into a fresh store -----------------------------------------
dangan ls --json | jq -r '.[].id' | sort >"$WORK/ids1"
DANGAN_STORE="$WORK/store2" dangan -q import "$E" >"$WORK/imp.out" 2>&1
st=$?
[ "$st" -le 1 ]
ok $? "import the export directory into a fresh store (exit $st)"
DANGAN_STORE="$WORK/store2" dangan ls --json | jq -r '.[].id' | sort >"$WORK/ids2"
cmp -s "$WORK/ids1" "$WORK/ids2"
ok $? "the fresh store holds the same document ids"
bad=0
for id in $(cat "$WORK/ids1"); do
	dangan cat "$id" >"$WORK/a" && DANGAN_STORE="$WORK/store2" dangan cat "$id" >"$WORK/b" && cmp -s "$WORK/a" "$WORK/b" ||
		bad=$((bad + 1))
done
is "$bad" "0" "every original is byte-identical after the round trip"
m2=$(DANGAN_STORE="$WORK/store2" dangan show "$mail" --json)
is "$(printf "%s\n" "$m2" | meta eep.type)" "原始型" "eep.type is recorded"
# every document, also one met first as the attachment or entry of an
# imported container before its own package came in, keeps its package's
# description
miss=0
for id in $(cat "$WORK/ids2"); do
	DANGAN_STORE="$WORK/store2" dangan show "$id" --json | jq -e '.document.metadata["eep.type"][0] == "原始型"' \
		>/dev/null || miss=$((miss + 1))
done
is "$miss" "0" "every imported document records eep.type, whatever the order of the packages"
is "$(printf "%s\n" "$m2" | meta email.message-id)" "$(dangan show "$mail" --json | meta email.message-id)" \
	"metadata is restored from the package (email.message-id)"
# the pipeline finds again what the package restored: each value once
is "$(printf "%s\n" "$m2" | jq -c '.document.metadata["email.from"], .document.metadata["email.to"]')" \
	"$(dangan show "$mail" --json | jq -c '.document.metadata["email.from"], .document.metadata["email.to"]')" \
	"multi-valued metadata (email.from, email.to) comes back as it was, not twice"
is "$(printf "%s\n" "$m2" | meta source.name)" "$(dangan show "$mail" --json | meta source.name)" \
	"metadata is restored from the package (source.name)"

# ---- signatures ------------------------------------------------------------
if openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$WORK/sm2.key" 2>/dev/null &&
	openssl req -x509 -sm3 -key "$WORK/sm2.key" -subj "/CN=dangan test signer" -days 3650 \
		-sigopt distid:1234567812345678 -out "$WORK/sm2.crt" 2>/dev/null; then
	check "signed export with an SM2 key" dangan export --format eep -o "$WORK/s1" "$mail" "$png" \
		-O sign-key="$WORK/sm2.key" -O sign-cert="$WORK/sm2.crt"
	sf="$WORK/s1/$(echo "$mail" | cut -c8-23).eep"
	xmllint --noout --nonet --schema "$XSD" "$sf" 2>/dev/null
	ok $? "a signed package is valid against eep.xsd"
	vfy "$WORK/s1"
	ok $? "verify-eep: the signatures and the lock signature verify"
	is "$(xmllint --xpath "string(//$(el 电子签名)/$(el 签名算法标识))" "$sf")" "SM2-SM3" "签名算法标识 SM2-SM3"
	# the openssl command checks the signature over the exclusive C14N of 被签名对象
	awk '/<被签名对象 /{p=1} p{print} /<\/被签名对象>/{exit}' "$sf" |
		sed -e '1s/^ *<被签名对象 /<被签名对象 xmlns="http:\/\/www.saac.gov.cn\/standards\/ERM\/encapsulation" /' \
			-e '$s/<\/被签名对象>.*/<\/被签名对象>/' >"$WORK/bso.xml"
	xmllint --exc-c14n "$WORK/bso.xml" >"$WORK/c14n.bin"
	xmllint --xpath "string(/*/$(el 电子签名块)/$(el 电子签名)/$(el 签名结果))" "$sf" | base64 -d >"$WORK/sig.bin"
	check "openssl verifies the SM2 signature (SM3, ID 1234567812345678, exclusive C14N)" \
		openssl pkeyutl -verify -certin -inkey "$WORK/sm2.crt" -rawin -digest sm3 -in "$WORK/c14n.bin" \
		-sigfile "$WORK/sig.bin" -pkeyopt distid:1234567812345678
	# a signature byte changed
	cp "$sf" "$WORK/t-sig.eep"
	perl -0pi -e 's/(<签名结果>.{20})(.)/$1.($2 eq "A" ? "B" : "A")/se' "$WORK/t-sig.eep"
	vfy "$WORK/t-sig.eep"
	is "$?" "1" "a changed signature byte: exit 1"
	has "ERROR EEP-SIGNATURE"
	ok $? "a changed signature byte: EEP-SIGNATURE"
	has "ERROR EEP-LOCK"
	ok $? "a changed signature byte: the lock signature fails too (EEP-LOCK)"
	# a Base64 byte of the data in a signed package
	cp "$sf" "$WORK/t-sdata.eep"
	perl -0pi -e 's/(<编码数据 [^>]*>.{10})(.)/$1.($2 eq "A" ? "B" : "A")/se' "$WORK/t-sdata.eep"
	vfy "$WORK/t-sdata.eep"
	is "$?" "1" "a changed Base64 byte in a signed package: exit 1"
	has "ERROR EEP-DIGEST" && has "ERROR EEP-SIGNATURE"
	ok $? "a changed Base64 byte in a signed package: EEP-DIGEST and EEP-SIGNATURE"
	# the lock pointing elsewhere
	cp "$sf" "$WORK/t-lock.eep"
	perl -0pi -e 's/<被锁定签名标识符>修改0-签名1</<被锁定签名标识符>修改7-签名1</' "$WORK/t-lock.eep"
	vfy "$WORK/t-lock.eep"
	is "$?" "1" "a 被锁定签名标识符 naming nothing: exit 1"
	has "EEP-IDREF"
	ok $? "a 被锁定签名标识符 naming nothing: EEP-IDREF"
	# a signed package larger than the verifier's reads: its Base64 is
	# read again for the canonical form, in pieces
	mkdir "$WORK/mid" && head -c 3000000 /dev/urandom >"$WORK/mid/mid.bin"
	DANGAN_STORE="$WORK/store8" dangan -q ingest "$WORK/mid" &&
		DANGAN_STORE="$WORK/store8" dangan export --format eep -o "$WORK/s2" \
			-O sign-key="$WORK/sm2.key" -O sign-cert="$WORK/sm2.crt" >/dev/null 2>&1
	ok $? "signed export of a 3 MB document"
	vfy "$WORK/s2"
	ok $? "verify-eep: the signatures over a 3 MB bit stream verify"
	cp "$WORK/s2"/*.eep "$WORK/t-smid.eep"
	flip_at "$WORK/t-smid.eep" 2000000
	vfy "$WORK/t-smid.eep"
	has "ERROR EEP-DIGEST" && has "ERROR EEP-SIGNATURE"
	is "$?" "0" "a Base64 byte changed 2 MB into a signed package: EEP-DIGEST and EEP-SIGNATURE"
	DANGAN_STORE="$WORK/store3" dangan -q import "$WORK/s1" >/dev/null 2>&1
	DANGAN_STORE="$WORK/store3" dangan show "$mail" --json | meta eep.signature | grep -q '^valid'
	ok $? "import records eep.signature valid"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do echo "ok $((T_N + i)) # SKIP openssl cannot make SM2 keys"; done
	T_N=$((T_N + 16))
fi

# ---- a Base64 byte changed in an unsigned package -----------------------
cp "$mf" "$WORK/t-data.eep"
perl -0pi -e 's/(<编码数据 [^>]*>.{10})(.)/$1.($2 eq "A" ? "B" : "A")/se' "$WORK/t-data.eep"
xmllint --noout --nonet --schema "$XSD" "$WORK/t-data.eep" 2>/dev/null
ok $? "the changed package is still valid Base64 and schema-valid"
vfy "$WORK/t-data.eep"
is "$?" "1" "a changed Base64 byte: exit 1"
has "ERROR EEP-DIGEST"
ok $? "a changed Base64 byte: EEP-DIGEST"
cp "$mf" "$WORK/t-size.eep"
perl -0pi -e 's/(<计算机文件大小>)([0-9]+)/$1.($2+1)/se' "$WORK/t-size.eep"
vfy "$WORK/t-size.eep"
has "ERROR EEP-SIZE"
ok $? "a wrong 计算机文件大小: EEP-SIZE"
cp "$msf" "$WORK/t-sm3.eep"
perl -0pi -e 's/(SM3:[0-9a-f]{10})([0-9a-f])/$1.($2 eq "0" ? "1" : "0")/se' "$WORK/t-sm3.eep"
vfy "$WORK/t-sm3.eep"
has "ERROR EEP-DIGEST.*SM3 of the decoded bytes"
ok $? "a changed SM3 in 编码描述: EEP-DIGEST (verify-eep computes SM3 too)"
cp "$mf" "$WORK/t-xsd.eep"
perl -0pi -e 's/<密级>[^<]*<\/密级>//s' "$WORK/t-xsd.eep"
vfy "$WORK/t-xsd.eep"
has "ERROR EEP-XSD $WORK/t-xsd.eep:[0-9]"
ok $? "a missing required element: EEP-XSD with its line"
# a tampered package is refused by import, the rest goes on
mkdir "$WORK/mix" && cp "$WORK/t-data.eep" "$pf" "$WORK/mix/"
DANGAN_STORE="$WORK/store4" dangan -q import "$WORK/mix" >"$WORK/out" 2>&1
is "$?" "1" "import of a directory with a tampered package: exit 1"
DANGAN_STORE="$WORK/store4" dangan cat "$png" | cmp -s - "$S/box-2026-001/3201056789-扫描件-p1.png"
ok $? "the valid package of the directory is imported all the same"
! DANGAN_STORE="$WORK/store4" dangan cat "$mail" >/dev/null 2>&1
ok $? "the tampered package is not imported"

# ---- 修改型: a document with two versions --------------------------------
mkdir "$WORK/v2" && cp "$S/box-2026-001/3301000123-供用电合同.txt" "$WORK/v2/合同副本.txt"
check "a second ingest of the same bytes makes a second version" dangan -q ingest "$WORK/v2"
cid=$(dangan ls --json | jq -r '.[] | select((.source // .name // "") | tostring | test("供用电合同")) | .id' | head -1)
[ -n "$cid" ] || cid="sha256:$(sha256sum "$S/box-2026-001/3301000123-供用电合同.txt" | cut -c1-64)"
check "export the two-version document" dangan export --format eep -o "$WORK/m1" "$cid"
vf="$WORK/m1/$(echo "$cid" | cut -c8-23).eep"
is "$(xmllint --xpath "string(/*/$(el 被签名对象)/$(el 封装包类型))" "$vf")" "修改型" "the package is 修改型"
is "$(xmllint --xpath "string(//$(el 修改标识符))" "$vf")" "修改1" "修改标识符 修改1"
is "$(xmllint --xpath "string(//$(el 原封装包)/$(el 被签名对象)/$(el 封装包类型))" "$vf")" "原始型" \
	"原封装包 holds the first version's 原始型 object"
is "$(xmllint --xpath "string(//$(el 修订内容)//$(el 编码数据)/@引用编码数据ID)" "$vf")" "修改0-文档1-文档数据1-编码1-数据" \
	"the unchanged bit stream is referred to, not repeated (引用编码数据ID)"
xmllint --noout --nonet --schema "$XSD" "$vf" 2>/dev/null
ok $? "the 修改型 package is valid against eep.xsd"
vfy "$vf"
ok $? "verify-eep: the 修改型 package is clean"
DANGAN_STORE="$WORK/store5" dangan -q import "$vf" >/dev/null 2>&1
DANGAN_STORE="$WORK/store5" dangan cat "$cid" | cmp -s - "$S/box-2026-001/3301000123-供用电合同.txt"
ok $? "import of the 修改型 package restores the original bit exact"
is "$(DANGAN_STORE="$WORK/store5" dangan show "$cid" --json | meta eep.layers)" "2" \
	"eep.layers counts the layers"
cp "$vf" "$WORK/t-ref.eep"
perl -0pi -e 's/引用编码数据ID="修改0-/引用编码数据ID="修改9-/' "$WORK/t-ref.eep"
vfy "$WORK/t-ref.eep"
is "$?" "1" "an 引用编码数据ID naming nothing: exit 1"
has "ERROR EEP-IDREF"
ok $? "an 引用编码数据ID naming nothing: EEP-IDREF"
cp "$vf" "$WORK/t-chain.eep"
perl -0pi -e 's/<修改标识符>修改1</<修改标识符>修改3</' "$WORK/t-chain.eep"
vfy "$WORK/t-chain.eep"
has "ERROR EEP-CHAIN"
ok $? "a 修改标识符 out of sequence: EEP-CHAIN"
# a signed 修改型 package: each layer's 被签名对象 signed, the outer one locked
if [ -s "$WORK/sm2.key" ]; then
	check "signed export of the two-version document" dangan -q export --format eep -o "$WORK/m2" "$cid" \
		-O sign-key="$WORK/sm2.key" -O sign-cert="$WORK/sm2.crt"
	svf="$WORK/m2/$(basename "$vf")"
	is "$(xmllint --xpath "count(//$(el 原封装包)/$(el 电子签名块)/$(el 电子签名)) + count(/*/$(el 电子签名块)/$(el 电子签名)) + count(/*/$(el 锁定签名))" "$svf")" \
		"3" "the 原封装包 and the package are signed, the outer signature locked"
	xmllint --noout --nonet --schema "$XSD" "$svf" 2>/dev/null
	ok $? "the signed 修改型 package is valid against eep.xsd"
	dangan -v verify-eep "$svf" >"$WORK/out" 2>&1
	ok $? "verify-eep: the signed 修改型 package is clean"
	has "PASS EEP-SIGNATURE.*: 3 signatures valid"
	ok $? "verify-eep checks its 3 signatures"
	# openssl checks both over the exclusive C14N of their 被签名对象
	# (the inner one is the second start tag up to the first end tag;
	# the outer one ends with the end tag at the package's own level)
	awk '/<被签名对象 /{n++} n==2{print} n==2 && /<\/被签名对象>/{exit}' "$svf" >"$WORK/in.xml"
	awk '/<被签名对象 /{p=1} p{print} /^ <\/被签名对象>/{exit}' "$svf" >"$WORK/out.xml"
	for w in in out; do
		sed -i -e '1s/^ *<被签名对象 /<被签名对象 xmlns="http:\/\/www.saac.gov.cn\/standards\/ERM\/encapsulation" /' \
			"$WORK/$w.xml"
		xmllint --exc-c14n "$WORK/$w.xml" >"$WORK/$w.c14n"
	done
	xmllint --xpath "string(//$(el 原封装包)/$(el 电子签名块)/$(el 电子签名)/$(el 签名结果))" "$svf" | base64 -d >"$WORK/in.sig"
	xmllint --xpath "string(/*/$(el 电子签名块)/$(el 电子签名)/$(el 签名结果))" "$svf" | base64 -d >"$WORK/out.sig"
	openssl pkeyutl -verify -certin -inkey "$WORK/sm2.crt" -rawin -digest sm3 -in "$WORK/in.c14n" \
		-sigfile "$WORK/in.sig" -pkeyopt distid:1234567812345678 >/dev/null 2>&1 &&
		openssl pkeyutl -verify -certin -inkey "$WORK/sm2.crt" -rawin -digest sm3 -in "$WORK/out.c14n" \
			-sigfile "$WORK/out.sig" -pkeyopt distid:1234567812345678 >/dev/null 2>&1
	ok $? "openssl verifies the 原封装包's signature and the outer one (the outer covers the inner signature block)"
	cp "$svf" "$WORK/t-sref.eep"
	perl -0pi -e 's/(<原封装包>.*?<编码数据 [^>]*>.{10})(.)/$1.($2 eq "A" ? "B" : "A")/se' "$WORK/t-sref.eep"
	vfy "$WORK/t-sref.eep"
	has "ERROR EEP-SIGNATURE"
	ok $? "a Base64 byte changed inside the signed 原封装包: EEP-SIGNATURE"
else
	for i in 1 2 3 4 5 6; do echo "ok $((T_N + i)) # SKIP openssl cannot make SM2 keys"; done
	T_N=$((T_N + 6))
fi
# SM3 recorded where the bytes are referred to, not where they are
check "export the two-version document with sm3=true" dangan -q export --format eep -o "$WORK/m3" -O sm3=true "$cid"
cp "$WORK/m3/$(basename "$vf")" "$WORK/t-refsm3.eep"
perl -0pi -e 's/ SM3:[0-9a-f]{64}( SHA-256:[0-9a-f]{64}<\/编码描述>\s*<反编码关键字>[^<]*<\/反编码关键字>\s*<编码数据 编码数据ID="修改0-)/$1/s' \
	"$WORK/t-refsm3.eep"
is "$(grep -o 'SM3:' "$WORK/t-refsm3.eep" | wc -l)" "1" "only the referring 编码 records SM3"
vfy "$WORK/t-refsm3.eep"
ok $? "verify-eep: SM3 of referred bytes that record none is computed again, and matches"
perl -0pi -e 's/(SM3:[0-9a-f]{10})([0-9a-f])/$1.($2 eq "0" ? "1" : "0")/se' "$WORK/t-refsm3.eep"
vfy "$WORK/t-refsm3.eep"
has "ERROR EEP-DIGEST.*SM3 of the decoded bytes"
ok $? "a changed SM3 of referred bytes: EEP-DIGEST"

# ---- hostile packages --------------------------------------------------------
NS='xmlns="http://www.saac.gov.cn/standards/ERM/encapsulation"'
H="$WORK/hostile" && mkdir "$H"
printf '<?xml version="1.0"?>\n<!DOCTYPE 电子文件封装包 [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<电子文件封装包 %s><封装包格式描述>&x;</封装包格式描述></电子文件封装包>\n' "$NS" >"$H/xxe.eep"
{
	printf '<?xml version="1.0"?>\n<!DOCTYPE 电子文件封装包 [\n<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
	p=a
	for l in b c d e f g h i j k; do
		printf '<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">\n' $l $p $p $p $p $p $p $p $p $p $p
		p=$l
	done
	printf ']>\n<电子文件封装包 %s><封装包格式描述>&k;</封装包格式描述></电子文件封装包>\n' "$NS"
} >"$H/laughs.eep"
printf '<?xml version="1.0"?>\n<!DOCTYPE 电子文件封装包 SYSTEM "http://127.0.0.1:9/eep.dtd">\n<电子文件封装包 %s/>\n' "$NS" >"$H/net.eep"
perl -e 'print "<?xml version=\"1.0\"?>\n", "<a>" x 100000, "</a>" x 100000, "\n"' >"$H/deep.eep"
for f in xxe laughs net deep; do
	timeout 60 "$DANGAN" verify-eep "$H/$f.eep" >"$WORK/out" 2>&1
	st=$?
	is "$st" "1" "hostile $f.eep: refused (exit 1)"
	has "ERROR EEP-PARSE"
	ok $? "hostile $f.eep: EEP-PARSE"
done
! grep -q "root:" "$WORK/out" && ! grep -rq "root:" "$H"
ok $? "no entity was expanded"
# larger than max-size: refused before it is read
cp "$mf" "$WORK/big.eep"
dangan verify-eep -O max-size=4K "$WORK/big.eep" >"$WORK/out" 2>&1
is "$?" "1" "a package larger than max-size: exit 1"
has "ERROR EEP-READ.*max-size"
ok $? "a package larger than max-size: EEP-READ, not read"
DANGAN_STORE="$WORK/store6" timeout 120 "$DANGAN" -q import "$H" >"$WORK/out" 2>&1
is "$?" "1" "import of the hostile packages: exit 1, nothing taken"
is "$(DANGAN_STORE="$WORK/store6" dangan ls --json 2>/dev/null | jq length 2>/dev/null || echo 0)" "0" "the hostile packages left no document"

# ---- a large package: verified in bounded memory ------------------------------
# The tree holds everything but the 编码数据 text, which is decoded and
# hashed as it is read: peak memory must not follow the package's size.
mkdir "$WORK/large" && head -c $((64 * 1048576)) /dev/urandom >"$WORK/large/large.bin"
export DANGAN_STORE="$WORK/store7"
check "ingest a 64 MB document" dangan -q ingest "$WORK/large"
check "export it as EEP (the package is checked after it is written)" dangan -q export --format eep -o "$WORK/l1"
lf=$(ls "$WORK/l1"/*.eep)
size_kb=$(($(stat -c %s "$lf") / 1024))
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$WORK/rss-small" "$DANGAN" verify-eep "$mf" >/dev/null 2>&1
	/usr/bin/time -f %M -o "$WORK/rss-large" "$DANGAN" -v verify-eep "$lf" >"$WORK/out" 2>&1
	st=$?
	small=$(tail -n 1 "$WORK/rss-small")
	large=$(tail -n 1 "$WORK/rss-large")
	is "$st" "0" "verify-eep of the ${size_kb} KB package: clean"
	ok "$([ $((large - small)) -lt 16384 ]; echo $?)" \
		"its peak memory is ${large} KB, ${small} KB for a small package (less than 16 MB more)"
else
	dangan -v verify-eep "$lf" >"$WORK/out" 2>&1
	ok $? "verify-eep of the ${size_kb} KB package: clean"
	ok 0 "# SKIP /usr/bin/time not installed"
fi
has "PASS EEP-DIGEST"
ok $? "its bit stream decodes to the recorded digests"
cp "$lf" "$WORK/t-large.eep"
flip_at "$WORK/t-large.eep" 60000000
vfy "$WORK/t-large.eep"
has "ERROR EEP-DIGEST"
ok $? "a Base64 byte changed 60 MB into the package: EEP-DIGEST"
DANGAN_STORE="$WORK/store9" dangan -q import "$lf" >/dev/null 2>&1 &&
	DANGAN_STORE="$WORK/store9" dangan cat "sha256:$(sha256sum "$WORK/large/large.bin" | cut -c1-64)" |
	cmp -s - "$WORK/large/large.bin"
ok $? "import restores the 64 MB original bit exact"
# signing reads the unsigned package as verify-eep does: memory does not
# follow the size of the bit stream either
if [ -s "$WORK/sm2.key" ] && [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$WORK/rss-ssmall" "$DANGAN" --store "$WORK/store8" -q export --format eep \
		-o "$WORK/ls0" -O sign-key="$WORK/sm2.key" -O sign-cert="$WORK/sm2.crt" >/dev/null 2>&1
	/usr/bin/time -f %M -o "$WORK/rss-slarge" "$DANGAN" -q export --format eep -o "$WORK/ls1" \
		-O sign-key="$WORK/sm2.key" -O sign-cert="$WORK/sm2.crt" >"$WORK/out" 2>&1
	ok $? "signed export of the 64 MB document"
	small=$(tail -n 1 "$WORK/rss-ssmall")
	large=$(tail -n 1 "$WORK/rss-slarge")
	ok "$([ $((large - small)) -lt 16384 ]; echo $?)" \
		"its peak memory is ${large} KB, ${small} KB for a signed 3 MB package (less than 16 MB more)"
	dangan -v verify-eep "$WORK/ls1" >"$WORK/out" 2>&1
	ok $? "verify-eep: the signed 64 MB package is clean"
	has "PASS EEP-SIGNATURE.*: 2 signatures valid"
	ok $? "its signature and lock signature verify"
	ls -A "$WORK/ls1" | grep -q unsigned
	ok "$([ $? -ne 0 ]; echo $?)" "no unsigned temporary file is left behind"
else
	for i in 1 2 3 4 5; do echo "ok $((T_N + i)) # SKIP no SM2 key or no /usr/bin/time"; done
	T_N=$((T_N + 5))
fi

done_testing
