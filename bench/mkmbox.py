#!/usr/bin/env python3
# bench/mkmbox.py -- build an mbox of N distinct messages from the real
# messages of a corpus directory, for bench/email.sh.
#
#   mkmbox.py CORPUS N OUT [--seed S] [--stats FILE]
#
# Each output message is a corpus message (MIME structure and body kept
# byte for byte, so its attachments -- images, zips, PDFs, attached
# messages -- are really there) under a fresh set of headers: a new
# Message-ID, a Date spread over 2000-2025, From/To drawn from a pool of
# senders (some with RFC 2047 Chinese display names in UTF-8, GB2312 and
# GBK), a Subject carrying the message's index, and for about a third an
# In-Reply-To/References pointing at an earlier generated message, so
# that threads exist.  The message's own fields of those names (and
# Content-Length, which the quoting below would falsify) are removed.
# Lines starting with "From " (or ">From ", ">>From " ...) get one more
# ">" (mboxrd); messages are separated by a blank line and a
# "From SENDER DATE" line.  Every message is distinct bytes.
#
# Corpus files taken: regular files of at most 256 KB, not empty, not
# under charset_reference_cjk/, not .p7m, whose first line is a header
# field and whose header block has at least two fields, one of them a
# field only mail has (From, Date, Message-ID, Received, ...): this
# leaves out Outlook .msg files, mboxes (first line "From "), loose
# attachments and ground-truth text.  The choice is reproducible (fixed
# seed, files sorted by path).
#
# Prints one line of key=value counts on stdout (messages, bytes,
# with_attachments, threaded, sources); --stats FILE also writes the
# corpus files used, one per line, with their use count and whether
# they carry attachments.
import argparse
import base64
import datetime
import email
import email.policy
import email.utils
import os
import random
import re
import sys
import time

MAX_SIZE = 256 * 1024
STRONG = {b"from", b"date", b"message-id", b"received", b"mime-version", b"return-path",
          b"delivered-to", b"in-reply-to", b"references", b"subject", b"to"}
REPLACED = {b"message-id", b"date", b"from", b"to", b"subject", b"in-reply-to", b"references",
            b"content-length"}
FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:")

ZH_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏",
            "徐婷", "孙浩", "马超", "朱琳", "胡军", "郭鹏", "何雪", "高翔", "林峰", "罗莉",
            "档案室", "办公室", "人事处", "财务科"]
EN_NAMES = ["Alice Smith", "Bob Jones", "Carol White", "Dave Brown", "Erin Clark", "Frank Lewis",
            "Grace Hall", "Heidi Young", "Ivan King", "Judy Wright", "Mallory Scott", "Oscar Green",
            "Peggy Baker", "Trent Adams", "Victor Nelson", "Walter Hill"]
DOMAINS = ["example.org", "example.com", "example.net", "archive.example.cn", "mail.example.edu"]
ZH_SUBJECTS = ["档案移交清单", "会议纪要", "关于年度预算的通知", "请审阅附件", "项目进度报告",
               "人事档案查询", "数字化扫描验收", "归档范围说明"]
EN_SUBJECTS = ["Quarterly report", "Meeting notes", "Please review the attachment", "Budget 2019",
               "Transfer list", "Re: scanning schedule", "Minutes of the board", "Draft agreement"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def is_message(data):
    """A header block at the top: first line a field, two fields, one of them mail's own."""
    end = len(data)
    for sep in (b"\n\n", b"\r\n\r\n"):
        k = data.find(sep)
        if k >= 0:
            end = min(end, k)
    lines = data[:end].split(b"\n")
    if not lines or not FIELD.match(lines[0]):
        return False
    fields = strong = 0
    for line in lines:
        m = FIELD.match(line)
        if m:
            fields += 1
            if m.group(1).lower() in STRONG:
                strong += 1
    return fields >= 2 and strong >= 1


def is_body_text(part):
    """Body text as the email stage takes it: plain, HTML or enriched, inline, no file name."""
    if part.is_multipart() or part.get_content_disposition() == "attachment" or part.get_filename():
        return False
    return part.get_content_type() in ("text/plain", "text/html", "text/enriched")


def emits_child(part):
    """Does this part (walked as the email stage walks it) hold a non-body part?"""
    if part.get_content_maintype() == "message":
        return True  # an attached message, a delivery status: a document of its own
    if part.is_multipart():
        kids = part.get_payload()
        if not isinstance(kids, list):
            return False
        if part.get_content_type() == "multipart/alternative":
            # the stage reads one alternative: plain, else HTML, else the last
            texts = [c for c in kids if is_body_text(c)]
            plain = [c for c in texts if c.get_content_type() != "text/html"]
            pick = plain[0] if plain else texts[0] if texts else kids[-1] if kids else None
            return pick is not None and emits_child(pick)
        return any(emits_child(c) for c in kids)
    return not is_body_text(part)


def has_attachments(data):
    """Does the message hold a part that is not body text (what the email stage emits)?"""
    try:
        return emits_child(email.message_from_bytes(data, policy=email.policy.compat32))
    except Exception:
        return False


def corpus_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(d, root)
        if rel.split(os.sep)[0] == "charset_reference_cjk":
            dirs[:] = []
            continue
        for f in sorted(files):
            p = os.path.join(d, f)
            if f.lower().endswith(".p7m") or not os.path.isfile(p) or os.path.islink(p):
                continue
            size = os.path.getsize(p)
            if size == 0 or size > MAX_SIZE:
                continue
            with open(p, "rb") as fh:
                data = fh.read()
            if data.startswith(b"\xd0\xcf\x11\xe0") or not is_message(data):
                continue
            out.append((os.path.relpath(p, root), data))
    out.sort()
    return out


def split_head(data):
    """(header lines, body) where the header lines keep their endings."""
    k_lf = data.find(b"\n\n")
    k_crlf = data.find(b"\r\n\r\n")
    cands = [(k_lf, 1), (k_crlf, 2)]
    cands = [(k, n) for k, n in cands if k >= 0]
    if not cands:
        return data.splitlines(keepends=True), b""
    k, n = min(cands)
    return data[:k + n].splitlines(keepends=True), data[k + n:]


def strip_fields(lines):
    """The header lines without the fields we replace (and their continuations)."""
    out, drop = [], False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not drop:
                out.append(line)
            continue
        m = FIELD.match(line)
        drop = bool(m) and m.group(1).lower() in REPLACED
        if not drop:
            out.append(line)
    return out


def b_word(text, charset):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode("ascii"))


def q_word(text, charset):
    raw = text.encode(charset)
    enc = "".join(chr(c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else "=%02X" % c for c in raw)
    return "=?%s?Q?%s?=" % (charset, enc)


class People:
    def __init__(self, rng):
        self.pool = []
        for i in range(400):
            dom = DOMAINS[i % len(DOMAINS)]
            kind = rng.random()
            if kind < 0.45:
                name = EN_NAMES[rng.randrange(len(EN_NAMES))]
                local = name.lower().replace(" ", ".") + str(i)
                disp = '"%s"' % name if rng.random() < 0.3 else name
            else:
                zh = ZH_NAMES[rng.randrange(len(ZH_NAMES))]
                local = "user%03d" % i
                r = rng.random()
                if r < 0.5:
                    disp = b_word(zh, "UTF-8")
                elif r < 0.8:
                    disp = b_word(zh, "GB2312")
                elif r < 0.9:
                    disp = q_word(zh, "GBK")
                else:
                    disp = q_word(zh, "UTF-8")
            self.pool.append((disp, "%s@%s" % (local, dom)))

    def one(self, rng):
        disp, addr = self.pool[rng.randrange(len(self.pool))]
        return "%s <%s>" % (disp, addr), addr

    def some(self, rng):
        return ", ".join(self.one(rng)[0] for _ in range(1 + int(rng.random() ** 3 * 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--stats")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    files = corpus_files(a.corpus)
    if not files:
        sys.exit("mkmbox: no message in %s" % a.corpus)
    attach = [has_attachments(d) for _, d in files]
    people = People(rng)
    t_lo = 946684800   # 2000-01-01
    t_hi = 1767225600  # 2026-01-01
    ids = []           # (message-id, references) of the messages written
    uses = [0] * len(files)
    n_att = n_thr = total = 0
    with open(a.out, "wb") as out:
        for i in range(a.n):
            # every corpus file in turn, then random picks: all are used
            k = i if i < len(files) else rng.randrange(len(files))
            path, data = files[k]
            uses[k] += 1
            n_att += attach[k]
            lines, body = split_head(data)
            nl = b"\r\n" if lines and lines[0].endswith(b"\r\n") else b"\n"
            t = rng.randrange(t_lo, t_hi)
            tz = rng.choice([480, 480, 480, 0, -300, 60, 540, 330, -480])
            sender, addr = people.one(rng)
            msgid = "<bench.%d.%08x@%s>" % (i, rng.getrandbits(32), addr.split("@")[1])
            if rng.random() < 0.4:
                subj = b_word("%s 第%d号" % (ZH_SUBJECTS[rng.randrange(len(ZH_SUBJECTS))], i),
                              rng.choice(["UTF-8", "UTF-8", "GB2312"]))
            else:
                subj = "%s [bench #%06d]" % (EN_SUBJECTS[rng.randrange(len(EN_SUBJECTS))], i)
            head = [
                "Message-ID: %s" % msgid,
                "Date: %s" % email.utils.format_datetime(
                    datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(minutes=tz)))),
                "From: %s" % sender,
                "To: %s" % people.some(rng),
                "Subject: %s" % subj,
            ]
            refs = []
            if ids and rng.random() < 0.33:
                p_id, p_refs = ids[rng.randrange(max(0, len(ids) - 300), len(ids))]
                refs = (p_refs + [p_id])[-10:]
                head.append("In-Reply-To: %s" % p_id)
                head.append("References: %s" % (nl.decode() + " ").join(refs))
                n_thr += 1
            ids.append((msgid, refs))
            msg = nl.join(h.encode("ascii") for h in head) + nl
            msg += b"".join(strip_fields(lines)) + body
            if not msg.endswith(b"\n"):
                msg += nl
            # mboxrd: one more ">" before every (>*)From line
            msg = re.sub(rb"(?m)^(>*From )", rb">\1", msg)
            st = time.gmtime(t)
            sep = "From %s %s %s %2d %02d:%02d:%02d %d\n" % (
                addr, DAYS[st.tm_wday], MONTHS[st.tm_mon - 1], st.tm_mday,
                st.tm_hour, st.tm_min, st.tm_sec, st.tm_year)
            if i:
                out.write(b"\n")
            out.write(sep.encode("ascii"))
            out.write(msg)
            total += len(sep) + len(msg) + (1 if i else 0)
    if a.stats:
        with open(a.stats, "w") as fh:
            for (path, _), u, att in zip(files, uses, attach):
                fh.write("%d\t%s\t%s\n" % (u, "attachments" if att else "-", path))
    print("messages=%d bytes=%d with_attachments=%d threaded=%d sources=%d sources_with_attachments=%d"
          % (a.n, total, n_att, n_thr, len(files), sum(attach)))


if __name__ == "__main__":
    main()
