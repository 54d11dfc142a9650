#!/bin/sh
# Mail: real-world messages (tests/data/email, see its LICENSE-NOTES.md)
# and messages built here, through the real command and the default
# pipeline.  Headers decoded in any charset, body text, attachments as
# linked documents byte-identical to the files attached, nested
# messages and zips run through the pipeline, threads, mbox and Maildir
# sources, damaged mail recovered and recorded, never a crash.
. "${DG_SRCDIR:-.}/tests/lib.sh"
D="$DG_TEST_DATA/email"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v python3 >/dev/null || skip_all "python3 is not installed"

meta() { # meta ID KEY: the values of a metadata key, one per line
	dangan show "$1" --json | jq -r --arg k "$2" '.document.metadata[$k][]?'
}
id_of() { # id_of REGEX: the id of the document whose source path (or name) matches
	dangan ls --json | jq -r --arg p "$1" '.[] | select((.path // .name // "") | test($p)) | .id' | head -1
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- charsets in headers -------------------------------------------------
check "ingest the GB2312/GB18030 and Big5 messages" dangan ingest "$D/kopano-gb2312_18030.eml" "$D/kopano-big5.eml"
gb=$(id_of 'kopano-gb2312')
big5=$(id_of 'kopano-big5')
is "$(meta "$gb" email.from)" "梁祐晟 <some.address@some.domain>" \
	"encoded words declared gb2312 with GB18030-only bytes are read as GB18030"
is "$(meta "$gb" email.to)" "'林慶美' <other.address@some.domain>" "the To name is decoded too"
is "$(meta "$big5" email.subject)" "養樂多線上訂購" "raw 8-bit Big5 in the Subject is read as Big5"
is "$(meta "$big5" email.from)" "養樂多 <c@y>" "raw 8-bit Big5 in From is read as Big5"
is "$(meta "$gb" dc.creator)" "梁祐晟 <some.address@some.domain>" "the sender is dc.creator"
dangan search 養樂多 --json >"$WORK/s.json"
is "$(jq -r '.[0].id' "$WORK/s.json")" "$big5" "a Big5 subject is found by a Chinese search"
meta "$gb" email.problems >"$WORK/p"
grep -q "no Message-ID header" "$WORK/p"
ok $? "a missing Message-ID is recorded in email.problems"
is "$(dangan show "$gb" --json | jq -r .document.status)" "warn" "a message with problems ends with a warning"

# ---- messages built here: a thread, charsets, a zip, images (one a scan), a nested
#      message -----------------------------------------------------------
mkdir -p "$WORK/built" "$WORK/zipsrc"
printf '户号 3100012345 的用电合同\n' >"$WORK/zipsrc/contract.txt"
(cd "$WORK/zipsrc" && zip -q ../contract.zip contract.txt) || skip_all "zip is not installed"
python3 - "$WORK/built" "$WORK/contract.zip" "$D/hunnysoft-files/redball.png" "$DG_TEST_DATA/ocr/zh-clean.png" <<'PY'
import sys, email.message, email.policy, email.utils
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
out, zpath, png, scan = sys.argv[1:5]

def base(mid, subj, date, frm, charset="utf-8", refs=None):
    m = MIMEMultipart("mixed")
    m["From"] = frm
    m["To"] = "archive@example.cn"
    m["Date"] = date
    # an encoded word by hand: Python would label Big5 "big5_tw"
    m["Subject"] = "=?%s?B?%s?=" % (charset, __import__("base64").b64encode(subj.encode(charset)).decode())
    m["Message-ID"] = "<%s>" % mid
    if refs:
        m["In-Reply-To"] = "<%s>" % refs[-1]
        m["References"] = " ".join("<%s>" % r for r in refs)
    return m

# 1: GB2312 body and subject, a zip and a PNG attached
m = base("t1@example.cn", "关于户号3100012345的用电申请", "Mon, 02 Jan 2023 09:00:00 +0800",
         "=?gb2312?B?%s?= <zhang@example.cn>" % __import__("base64").b64encode("张三".encode("gb2312")).decode())
m.attach(MIMEText("您好：\n附件是用电合同，请查收。\n", "plain", "gb2312"))
a = MIMEApplication(open(zpath, "rb").read(), "zip")
a.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "用电合同.zip"))
m.attach(a)
i = MIMEImage(open(png, "rb").read(), "png")
i.add_header("Content-Disposition", "attachment", filename="redball.png")
m.attach(i)
open(out + "/1.eml", "wb").write(m.as_bytes())

# 2: a reply in Big5, HTML only
m = base("t2@example.cn", "回覆：用電申請", "Mon, 02 Jan 2023 10:30:00 +0800", "Li <li@example.cn>", "big5",
         ["t1@example.cn"])
m.attach(MIMEText("<html><head><title>x</title><style>p{}</style></head><body><p>已收到合同。</p>"
                  "<p>謝謝</p></body></html>", "html", "big5"))
open(out + "/2.eml", "wb").write(m.as_bytes())

# 3: a forward of message 1, referring to both: nested message/rfc822
m = base("t3@example.cn", "Fwd: 用电申请", "Mon, 02 Jan 2023 02:00:00 -0000", "Wang <wang@example.cn>",
         refs=["t1@example.cn", "t2@example.cn"])
m.attach(MIMEText("转发给档案室。\n", "plain", "utf-8"))
m.attach(MIMEMessage(email.message_from_bytes(open(out + "/1.eml", "rb").read())))
open(out + "/3.eml", "wb").write(m.as_bytes())

# 4: not in the thread
m = base("other@example.cn", "无关", "Tue, 03 Jan 2023 09:00:00 +0800", "x@example.cn")
m.attach(MIMEText("别的事。\n", "plain", "utf-8"))
i = MIMEImage(open(scan, "rb").read(), "png")
i.add_header("Content-Disposition", "attachment", filename="扫描件.png")
m.attach(i)
open(out + "/4.eml", "wb").write(m.as_bytes())
PY
check "ingest the built messages" dangan ingest "$WORK/built"
m1=$(id_of 'built/1.eml')
m2=$(id_of 'built/2.eml')
m3=$(id_of 'built/3.eml')
m4=$(id_of 'built/4.eml')
is "$(meta "$m1" email.subject)" "关于户号3100012345的用电申请" "a GB2312 encoded-word subject"
is "$(meta "$m1" email.from)" "张三 <zhang@example.cn>" "a GB2312 encoded-word sender"
is "$(meta "$m2" email.subject)" "回覆：用電申請" "a Big5 encoded-word subject"
is "$(meta "$m1" email.date)" "2023-01-02T09:00:00+08:00" "the date in ISO 8601 with its offset"
is "$(meta "$m1" email.message-id)" "t1@example.cn" "the Message-ID without brackets"
is "$(meta "$m3" email.references | tr '\n' ' ')" "t1@example.cn t2@example.cn " "References, each a value"
is "$(meta "$m2" email.in-reply-to)" "t1@example.cn" "In-Reply-To"
dangan cat "$m1" --part text >"$WORK/t1.txt"
grep -q "附件是用电合同" "$WORK/t1.txt"
ok $? "the GB2312 body is in the text part, in UTF-8"
grep -q "^Subject: 关于户号" "$WORK/t1.txt" && grep -q "^Attachments: 用电合同.zip, redball.png" "$WORK/t1.txt"
ok $? "the text part starts with the headers and names the attachments"
dangan cat "$m2" --part text >"$WORK/t2.txt"
grep -q "已收到合同。" "$WORK/t2.txt" && ! grep -q "p{}" "$WORK/t2.txt" && ! grep -q "<p>" "$WORK/t2.txt"
ok $? "an HTML-only Big5 body becomes text without tags or style"

# attachments: documents of their own, related both ways, byte-exact
dangan show "$m1" --json | jq -r '.document.relations[] | select(.kind=="contains") | .label' | sort >"$WORK/rel"
printf 'redball.png\n用电合同.zip\n' | sort >"$WORK/want"
cmp -s "$WORK/rel" "$WORK/want"
ok $? "the message contains its two attachments, labelled by their (RFC 2231) names"
png_id="sha256:$(sha "$D/hunnysoft-files/redball.png")"
dangan show "$png_id" --json >"$WORK/png.json" 2>/dev/null
is "$(jq -r '.document.relations[] | select(.kind=="contained-in") | .target' "$WORK/png.json")" "$m1" \
	"the attachment is contained-in the message, and its id is the sha256 of the attached file"
zip_id="sha256:$(sha "$WORK/contract.zip")"
dangan ls --json | jq -r '.[] | select(.path != null) | .path' >"$WORK/paths"
is "$(meta "$zip_id" email.attachment.filename)" "用电合同.zip" "the zip attachment keeps its name"
dangan search 3100012345 --json | jq -r '.[].media_type' | sort -u >"$WORK/hits"
grep -q "^text/plain" "$WORK/hits"
ok $? "the file inside the attached zip was unpacked and its text indexed"
# a scanned page attached to a mail is read like any scan
scan_id="sha256:$(sha "$DG_TEST_DATA/ocr/zh-clean.png")"
dangan search 客户档案管理说明 --json | jq -r '.[].id' | grep -qx "$scan_id"
ok $? "a scanned page attached to a mail is OCR'd and found by its text"
# nested message: the forwarded copy of message 1 is parsed too
nested=$(dangan show "$m3" --json | jq -r '.document.relations[] | select(.kind=="contains") | .target' | head -1)
is "$(meta "$nested" email.message-id)" "t1@example.cn" "the forwarded message is a document parsed as mail"
is "$(dangan show "$nested" --json | jq '[.document.relations[] | select(.kind=="contains")] | length')" 2 \
	"the forwarded message's own attachments are documents too"

# threads
# (m3 was sent at 02:00 UTC, an hour after m1 and half an hour before m2;
# the forwarded copy of m1 inside m3 carries m1's Message-ID: it is m1's
# bytes again or a document of its own, and is listed beside m1 if so)
dangan show "$m2" --json | jq -r '.thread[].id' | awk -v n="$nested" -v m="$m1" '$0 != n || n == m' >"$WORK/thread"
printf "%s\n" "$m1" "$m3" "$m2" >"$WORK/want"
cmp -s "$WORK/thread" "$WORK/want"
ok $? "show lists the thread (References/In-Reply-To, transitively), in date order across time zones"
grep -q "$m4" "$WORK/thread"
ok $((!$?)) "an unrelated message is not in the thread"
dangan show "$m1" | grep -q "^thread (3 messages"
ok $? "the text form of show lists the thread too"

# ---- RFC 2231 names, attachments equal to the files attached -------------
check "ingest the hunnysoft samples" dangan ingest --json "$D/hunnysoft-m0011.txt" "$D/hunnysoft-m3004.txt"
for f in blueball greenball; do
	want="sha256:$(sha "$D/hunnysoft-files/$f.png")"
	dangan show "$want" >/dev/null 2>&1
	ok $? "the decoded $f.png attachment is byte-identical to the original file"
done
# redball.png was attached to the built message 1 already: stored once,
# no version per occurrence, both messages listed as its containers
dangan show "$png_id" --json >"$WORK/png2.json"
jq -r '.contained_in[].id' "$WORK/png2.json" | sort >"$WORK/cont"
h11=$(id_of 'hunnysoft-m0011')
printf '%s\n' "$m1" "$h11" | sort >"$WORK/want"
cmp -s "$WORK/cont" "$WORK/want"
ok $? "an attachment met in two messages is one document that both contain"
is "$(jq '.history | length' "$WORK/png2.json")" 0 "and it gets no new version for the second"
grep '"outcome":"duplicate"' "$WORK/out" | grep -q '"media_type":"image/png"'
ok $? "the duplicate is reported with the type it was stored with"
want="sha256:$(sha "$D/hunnysoft-files/HasenundFrosche.txt")"
# the message encodes the story with CR CR LF line ends (base64 "DQ0K"),
# the file kept beside the sample has CR LF: compare with that undone
h=$(id_of 'HasenundFr')
is "$(meta "$h" email.attachment.filename)" "HasenundFrösche.txt" "an RFC 2231 ISO-8859-1 file name is decoded"
dangan cat "$h" | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().replace(b"\r\r\n", b"\r\n"))' \
	>"$WORK/hasen"
cmp -s "$WORK/hasen" "$D/hunnysoft-files/HasenundFrosche.txt"
ok $? "the text attachment is decoded to the file attached"
check "ingest a UTF-8 RFC 2231 name in continuations" dangan ingest "$D/mikel-japanese_attachment_long_name.eml"
j=$(id_of 'japanese_attachment')
dangan show "$j" --json | jq -r '.document.relations[] | select(.kind=="contains") | .label' >"$WORK/jn"
is "$(cat "$WORK/jn")" "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt" "the continued UTF-8 file name is joined"

# ---- mbox: the source on the command line -------------------------------
check "ingest an mbox" dangan ingest "$D/mimekit-issue1189.mbox" --json
grep -c '"outcome":"new"' "$WORK/out" >"$WORK/n"
is "$(dangan ls --json | jq '[.[] | select(.path != null and (.path | test("issue1189.mbox#")))] | length')" 4 \
	"all four messages, also the two after the damage GMime's parser gives up on"
python3 - "$D/mimekit-issue1189.mbox" "$WORK/mb" <<'PY'
import sys, re, os
data = open(sys.argv[1], "rb").read()
starts = [m.start() for m in re.finditer(rb"(?:^|\n\n)From ", data)]
os.makedirs(sys.argv[2], exist_ok=True)
for i, s in enumerate(starts):
    s = data.index(b"\n", s + (0 if s == 0 else 2)) + 1
    e = starts[i + 1] + 1 if i + 1 < len(starts) else len(data) - (1 if data.endswith(b"\n\n") else 0)
    open(os.path.join(sys.argv[2], "%d" % (i + 1)), "wb").write(data[s:e])
PY
for k in 1 3 4; do
	mid=$(id_of "issue1189.mbox#$k\$")
	is "$mid" "sha256:$(sha "$WORK/mb/$k")" "mbox message $k is stored byte-exact, without its From line"
done
is "$(meta "$(id_of 'issue1189.mbox#4$')" mbox.from-line)" "From 1844347869536581428@xxx" \
	"the From line is kept as metadata"
m2id=$(id_of 'issue1189.mbox#2$')
meta "$m2id" email.problems | grep -q "truncated\|malformed\|skipped"
ok $? "the damaged message records what could not be read"
# an mbox inside a directory: the email stage splits it
mkdir -p "$WORK/box"
cp "$D/mimekit-issue1189.mbox" "$WORK/box/old.mbox"
printf '\n' >>"$WORK/box/old.mbox" # new bytes: a new container document
S2="$WORK/store2"
check "an mbox found in a directory walk" dangan --store "$S2" ingest "$WORK/box"
is "$(dangan --store "$S2" ls --json | jq '[.[] | select(.media_type=="message/rfc822")] | length')" 4 \
	"is split into its four messages"

# ---- Maildir -------------------------------------------------------------
MD="$WORK/Maildir"
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp" "$MD/.Sent/cur" "$MD/.Sent/new" "$MD/.Sent/tmp"
cp "$D/kopano-big5.eml" "$MD/cur/1700000000.1.host:2,FS"
cp "$D/hunnysoft-m4007.txt" "$MD/new/1700000001.2.host"
cp "$D/nodemailer-nested.eml" "$MD/.Sent/cur/1700000002.3.host:2,S"
cp "$D/kopano-gb2312_18030.eml" "$MD/tmp/1700000003.4.host" # still being delivered
S3="$WORK/store3"
check "ingest a Maildir" dangan --store "$S3" ingest "$MD"
is "$(dangan --store "$S3" ls --json | jq '[.[] | select(.path != null and (.path | test("Maildir/")))] | length')" 3 \
	"cur/ and new/ of the folder and of its Maildir++ subfolder are read, tmp/ is not"
f=$(dangan --store "$S3" ls --json | jq -r '.[] | select(.path != null and (.path | test("2,FS$"))) | .id')
is "$(dangan --store "$S3" show "$f" --json | jq -r '.document.metadata["maildir.flags"][0]')" "FS" "Maildir flags"
f=$(dangan --store "$S3" ls --json | jq -r '.[] | select(.path != null and (.path | test("Sent/"))) | .id')
is "$(dangan --store "$S3" show "$f" --json | jq -r '.document.metadata["maildir.folder"][0]')" "Sent" \
	"the subfolder's name"

# ---- damaged and hostile mail: recovered, recorded, never a crash --------
mkdir -p "$WORK/bad"
: >"$WORK/bad/empty.eml"
head -c 700 "$D/hunnysoft-m0011.txt" >"$WORK/bad/truncated.eml"
python3 - "$WORK/bad" <<'PY'
import sys
d = sys.argv[1]
# broken base64, a header of 200 KB, 8-bit garbage in headers, a bad boundary
open(d + "/badb64.eml", "wb").write(b"From: a@b\nMessage-ID: <x@y>\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: application/octet-stream\n"
    b"Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=a.bin\n\n"
    b"QUJD!!!REVG\n====@@@\n--XX--\n")
open(d + "/hugeheader.eml", "wb").write(b"From: a@b\nSubject: " + b"x" * 200000 + b"\n\nbody\n")
open(d + "/garbage.eml", "wb").write(b"From: \xff\xfe\x81 <a@b>\nSubject: \xc3\x28\xa0\xa1\n"
    b"Date: not a date\n\nbody \xff\n")
open(d + "/badboundary.eml", "wb").write(b"From: a@b\nContent-Type: multipart/mixed; boundary=\"A\"\n\n"
    b"--B\nContent-Type: text/plain\n\nlost?\n--A--\n")
PY
cp "$D/mimekit-stack-overflow.txt" "$D/postal-mime-mimetorture.eml" "$D/enmime-multipart-wo-boundary.raw" \
	"$D/enmime-mime-bad-8bit-filename.raw" "$WORK/bad/"
S4="$WORK/store4"
dangan --store "$S4" ingest "$WORK/bad" --json >"$WORK/bad.json" 2>"$WORK/bad.err"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]
ok $? "a folder of damaged mail is ingested without a crash (exit $rc)"
for f in empty truncated badb64 hugeheader garbage badboundary mimekit-stack-overflow postal-mime-mimetorture \
	enmime-multipart-wo-boundary enmime-mime-bad-8bit-filename; do
	n=$(dangan --store "$S4" ls --json | jq --arg f "/bad/$f" '[.[] | select(.path != null and (.path | startswith($f) or contains($f)))] | length')
	[ "$n" -ge 1 ]
	ok $? "$f: committed, originals kept"
done
g=$(dangan --store "$S4" ls --json | jq -r '.[] | select(.path != null and (.path | test("garbage.eml$"))) | .id')
dangan --store "$S4" show "$g" --json | jq -r '.document.metadata["email.date.raw"][0]' | grep -q "not a date"
ok $? "an unreadable Date is kept raw and recorded"
dangan --store "$S4" show "$g" --json | jq -e '.document.metadata["email.from"][0] | test("a@b")' >/dev/null
ok $? "8-bit garbage in a header still gives the address"
s=$(dangan --store "$S4" ls --json | jq -r '.[] | select(.path != null and (.path | test("stack-overflow"))) | .id')
is "$(dangan --store "$S4" show "$s" --json | jq -r '.document.metadata["email.subject"][0]')" "Message Subject" \
	"the 135 KB address-list bomb still gives the subject"
dangan --store "$S4" show "$s" --json | jq -r '.document.metadata["email.problems"][]?' | grep -q "address of"
ok $? "the overlong address is left out and recorded"
check "verify is clean after the damaged mail" dangan --store "$S4" verify

# ---- limits --------------------------------------------------------------
cat >"$WORK/flat.xml" <<'EOF'
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="flat">
    <stage id="email" plugin="email"><match type="message/*"/><option name="max-depth">0</option></stage>
  </pipeline>
</dangan>
EOF
S5="$WORK/store5"
check "max-depth 0" dangan --store "$S5" --config "$WORK/flat.xml" ingest "$D/hunnysoft-m4007.txt"
is "$(dangan --store "$S5" ls --json | jq length)" 1 "keeps attached messages inside the original"

done_testing
