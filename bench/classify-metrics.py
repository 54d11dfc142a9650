#!/usr/bin/env python3
"""classify-metrics.py -- the figures of bench/classify.sh (Python 3
standard library only).

    classify-metrics.py LIST CATALOGUE_DIR [--title T] [--targets]

LIST is a tab-separated file, one document a line:

    GROUP  STEM  SPLIT  TRUTH  TRUTHFILE  SHOWJSON

GROUP is what the figures are given for (e.g. "scan", "text"); SPLIT is
train or test; TRUTH the true type code (OTHER for a document of no type);
TRUTHFILE a truth file of tests/data/classify ({"fields": {...}}), a SROIE
key.json ({"company", "date", "total"}) or "-"; SHOWJSON the output of
`dangan show ID --json` ("-" when the document is not in the store).

From each document's metadata and events it takes three decisions:
  rules     the classify stage's own scores, from its event note
            ("rules, catalogue C (n types): CODE score, ...; OTHER floor F"):
            the best type when its score reaches the floor, else OTHER;
  learned   the learned stage's top class, from its event note
            ("learned: CODE p ..."): only when a model was installed;
  combined  the doctype metadata when doctype.method is "combined".
It prints, for each group and method: the documents, accuracy, macro-F1
(over the true classes), how many were sent to review, and a confusion
table (rows: true type, columns: predicted); then field extraction
precision and recall (a field counts as found when its metadata key holds
a value; right when it equals the truth after normalisation): 户号, 户名,
the date fields of the catalogue (type="date"), the other truth fields
together; for SROIE truths company, date and total.  With --targets it
prints verdicts: combined accuracy on the "scan" group >= 95 %, 户号
recall >= 98 % with precision >= 99 % on the "scan" group.  It asserts
nothing and exits 0 unless its input cannot be read.
"""
import argparse
import datetime
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

NS = "{urn:dangan:doctype:1}"
OTHER = "OTHER"
RULES_RE = re.compile(r"rules, catalogue (\S+) \((\d+) types\): (.*?); OTHER floor (-?[\d.]+)")
LEARNED_RE = re.compile(r"learned: (\S+) ([\d.]+)")


def load_catalogue(d):
    """{code: {field: type}} of a catalogue directory."""
    types = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith(".xml"):
            continue
        for dt in ET.parse(os.path.join(d, f)).getroot().iter(NS + "doctype"):
            types[dt.get("code")] = {fd.get("name"): fd.get("type", "text") for fd in dt.iter(NS + "field")}
    return types


def meta1(doc, key):
    v = doc.get("metadata", {}).get(key)
    if isinstance(v, list):
        return v[0] if v else None
    return v


def decisions(show):
    """(rules, learned, combined, final, confidence, review) of one document."""
    doc = show.get("document", show)
    rules = learned = combined = None
    for ev in doc.get("events", []):
        msg = ev.get("message") or ""
        if ev.get("plugin") == "classify":
            m = RULES_RE.search(msg)
            if m:
                best = m.group(3).split(",")[0].strip().rsplit(" ", 1)
                floor = float(m.group(4))
                try:
                    rules = best[0] if len(best) == 2 and float(best[1]) >= floor else OTHER
                except ValueError:
                    rules = None
        elif ev.get("plugin") == "learned":
            m = LEARNED_RE.search(msg)
            if m:
                learned = m.group(1)
    final = meta1(doc, "doctype")
    method = meta1(doc, "doctype.method")
    if method == "combined":
        combined = final
    conf = meta1(doc, "doctype.confidence")
    reasons = doc.get("metadata", {}).get("review.reason") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    review = any(r.startswith(("classification uncertain", "no document type recognised")) for r in reasons)
    return rules, learned, combined, final, conf, review


def f1_table(pairs, classes):
    """accuracy, macro-F1 over classes, per-class (p, r, f1, support)."""
    n = len(pairs)
    acc = sum(t == p for t, p in pairs) / n if n else 0.0
    per = {}
    for c in classes:
        tp = sum(t == c and p == c for t, p in pairs)
        fp = sum(t != c and p == c for t, p in pairs)
        fn = sum(t == c and p != c for t, p in pairs)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        per[c] = (p, r, 2 * p * r / (p + r) if p + r else 0.0, tp + fn)
    macro = sum(v[2] for v in per.values()) / len(per) if per else 0.0
    return acc, macro, per


def short(code, width):
    return code if len(code) <= width else code[: width - 1] + "."


def confusion(pairs, classes, out):
    """The table with numbered columns (the codes are long): rows are the
    true classes, column k is the k-th class; predicted classes that are
    not true classes of the group (and '-', no decision) come last."""
    preds = sorted({p for _, p in pairs} - set(classes))
    cols = classes + preds
    w = max(3, len(str(len(cols))) + 1)
    out.append("      confusion (rows: true type; columns: predicted, numbered as the rows; '-' no decision):")
    out.append("      " + " " * 14 + "".join(f"{k + 1:>{w}}" for k in range(len(cols))))
    for k, t in enumerate(cols):
        row = [sum(1 for a, b in pairs if a == t and b == c) for c in cols]
        if t not in classes:
            out.append(f"      {k + 1:>2} {short(t, 10):<10} (predicted only)")
            continue
        cells = "".join(f"{('.' if v == 0 else str(v)):>{w}}" for v in row)
        out.append(f"      {k + 1:>2} {short(t, 10):<10}{cells}")
    wrong = {}
    for t, p in pairs:
        if t != p:
            wrong[(t, p)] = wrong.get((t, p), 0) + 1
    if wrong:
        out.append("      errors: " + ", ".join(f"{t}->{p} {n}" for (t, p), n in sorted(wrong.items(), key=lambda x: -x[1])))


def pad(s, width):
    """s left-aligned in width columns, CJK characters counting two."""
    cols = sum(2 if ord(c) >= 0x1100 else 1 for c in s)
    return s + " " * max(0, width - cols)


# ---- fields -------------------------------------------------------------
def norm_text(v):
    v = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in v)
    return re.sub(r"\s+", "", v).upper()


def norm_company(v):
    return re.sub(r"[^0-9A-Z\u3400-\u9fff]", "", norm_text(v)).replace("SDNBND", "SDNBHD")


MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


def norm_dmy(v):
    """A date as written on a receipt or invoice -> YYYY-MM-DD (day first
    when the form is ambiguous, as in Malaysia), or the text."""
    s = norm_text(v).replace("'", "")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", s)
        if m:
            d, mo, y = map(int, m.groups())
        else:
            m = re.fullmatch(r"(\d{1,2})-?([A-Z]{3})[A-Z]*\.?-?(\d{2}|\d{4})", s) or None
            m2 = re.fullmatch(r"([A-Z]{3})[A-Z]*\.?(\d{1,2}),?(\d{2}|\d{4})", s)
            if m and m.group(2) in MONTHS:
                d, mo, y = int(m.group(1)), MONTHS[m.group(2)], int(m.group(3))
            elif m2 and m2.group(1) in MONTHS:
                mo, d, y = MONTHS[m2.group(1)], int(m2.group(2)), int(m2.group(3))
            else:
                return s
    if y < 100:
        y += 2000
    try:
        return datetime.date(y, mo, d).isoformat()
    except ValueError:
        return s


def norm_amount(v):
    s = re.sub(r"[^\d.]", "", norm_text(v).replace(",", ""))
    try:
        return f"{float(s):.2f}"
    except ValueError:
        return s


class FieldStat:
    def __init__(self):
        self.found = self.right = self.truth = self.hit = 0
        self.wrong = []

    def add(self, truth, got, stem, same):
        if got is not None:
            self.found += 1
        if truth is not None:
            self.truth += 1
        if got is not None and truth is not None and same(truth, got):
            self.right += 1
        elif got is not None or truth is not None:
            if len(self.wrong) < 6:
                self.wrong.append(f"{stem}: {got if got is not None else '(none)'} / {truth if truth is not None else '(none)'}")

    def line(self, name):
        p = 100.0 * self.right / self.found if self.found else None
        r = 100.0 * self.right / self.truth if self.truth else None
        fmt = lambda x: "-" if x is None else f"{x:.1f}"
        return p, r, f"      {pad(name, 14)} precision {fmt(p):>6} % ({self.right}/{self.found})   recall {fmt(r):>6} % ({self.right}/{self.truth})"


def field_figures(rows, cat, out):
    """Field P/R of one group: rows of (stem, truthfile, show)."""
    date_fields = {n for t in cat.values() for n, ty in t.items() if ty == "date"}
    stats, sroie = {}, False
    for stem, tf, show in rows:
        if tf == "-" or not os.path.isfile(tf):
            continue
        truth = json.load(open(tf, encoding="utf-8"))
        doc = (show or {}).get("document", show or {})
        md = doc.get("metadata", {})
        got = lambda k: (md.get(k)[0] if isinstance(md.get(k), list) and md.get(k) else md.get(k))
        if "fields" in truth:
            tfields = truth["fields"]
            keys = {"户号": "户号", "户名": "户名"}
            for k in keys:
                stats.setdefault(k, FieldStat()).add(tfields.get(k), got(k), stem, lambda a, b: norm_text(a) == norm_text(b))
            dates = {k for k in tfields if k in date_fields} | {k for k in md if k in date_fields}
            for k in dates:
                stats.setdefault("dates", FieldStat()).add(tfields.get(k), got(k), f"{stem} {k}", lambda a, b: a == b)
            others = {k for k in tfields if k not in keys and k not in date_fields}
            for k in others:
                stats.setdefault("other fields", FieldStat()).add(tfields.get(k), got(k), f"{stem} {k}",
                                                                  lambda a, b: norm_text(a) == norm_text(b))
        else:  # SROIE key.json
            sroie = True
            stats.setdefault("company", FieldStat()).add(truth.get("company"), got("company"), stem,
                                                         lambda a, b: norm_company(a) == norm_company(b))
            stats.setdefault("date", FieldStat()).add(truth.get("date"), got("date"), stem,
                                                      lambda a, b: norm_dmy(a) == norm_dmy(b))
            stats.setdefault("total", FieldStat()).add(truth.get("total"), got("total"), stem,
                                                       lambda a, b: norm_amount(a) == norm_amount(b))
    res = {}
    if not stats:
        return res
    out.append("    fields" + (" (SROIE receipts, key.json)" if sroie else " (truth files; the final metadata)") + ":")
    order = ["户号", "户名", "dates", "other fields", "company", "date", "total"]
    for k in order:
        if k in stats:
            p, r, line = stats[k].line(k)
            out.append(line)
            if stats[k].wrong:
                out.append("        e.g. (found / truth): " + "; ".join(stats[k].wrong[:4]))
            res[k] = (p, r)
    return res


# ---- main ---------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("list")
    ap.add_argument("catalogue")
    ap.add_argument("--title", default="")
    ap.add_argument("--targets", action="store_true")
    ap.add_argument("--summary", help="append 'measure<TAB>value<TAB>target<TAB>verdict' lines here")
    a = ap.parse_args()
    cat = load_catalogue(a.catalogue)
    groups = {}
    for line in open(a.list, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) < 6:
            continue
        g, stem, split, truth, tf, sj = f[:6]
        show = None
        if sj != "-" and os.path.isfile(sj) and os.path.getsize(sj) > 0:
            try:
                show = json.load(open(sj, encoding="utf-8"))
            except ValueError:
                show = None
        groups.setdefault(g, []).append((stem, split, truth, tf, show))
    out, summary = [], []
    if a.title:
        out.append(a.title)
    for g, rows in groups.items():
        classes = sorted({t for _, _, t, _, _ in rows})
        out.append(f"  {g}: {len(rows)} documents ({sum(1 for r in rows if r[1] == 'train')} train, "
                   f"{sum(1 for r in rows if r[1] == 'test')} test), {len(classes)} true classes")
        missing = sum(1 for r in rows if r[4] is None)
        if missing:
            out.append(f"    {missing} document(s) not in the store or without metadata: counted as no decision ('-')")
        dec = {r[0]: decisions(r[4]) if r[4] else (None,) * 5 + (False,) for r in rows}
        methods = [("rules", 0, "all"), ("rules", 0, "test"), ("learned", 1, "test"), ("combined", 2, "test")]
        has_test = any(r[1] == "test" for r in rows)
        has_train = any(r[1] == "train" for r in rows)
        for name, idx, part in methods:
            if part == "test" and (not has_test or (name == "rules" and not has_train)):
                continue  # no test half, or the test half is everything
            sel = [r for r in rows if part == "all" or r[1] == part]
            have = [r for r in sel if dec[r[0]][idx] is not None]
            label = f"{name} ({'all' if part == 'all' else 'test half'})"
            if not have:
                why = {"rules": "no classify decision (classify stage missing?)",
                       "learned": "no learned scores (no model, or the learned stage is missing)",
                       "combined": "no combined decision (no learned scores)"}[name]
                out.append(f"    {label:<20} not available: {why}")
                continue
            pairs = [(r[2], dec[r[0]][idx] or "-") for r in sel]
            acc, macro, per = f1_table(pairs, classes)
            # review.reason belongs to the decision stored: the combined
            # one where there is one, else the rules' own
            extra = ""
            if name == "combined" or (name == "rules" and not any(d[2] for d in dec.values())):
                extra = f", {sum(1 for r in sel if dec[r[0]][5])} sent to review"
            out.append(f"    {label:<20} {len(sel):4d} docs  accuracy {100 * acc:6.2f} %  macro-F1 {macro:.3f}"
                       + (f"  ({len(sel) - len(have)} without a decision)" if len(have) < len(sel) else "") + extra)
            if (name, part) in (("rules", "all"), ("learned", "test"), ("combined", "test")):
                confusion(pairs, classes, out)
            summary.append((f"{g}: {label} accuracy", f"{100 * acc:.2f}", "%"))
            summary.append((f"{g}: {label} macro-F1", f"{macro:.3f}", ""))
            if a.targets and g == "scan" and name == "combined":
                summary[-2] = summary[-2] + (">= 95", "ok" if acc >= 0.95 else "BELOW TARGET")
        # the decision as stored (what a user sees): whatever method wrote it
        res = field_figures([(r[0], r[3], r[4]) for r in rows], cat, out)
        for k, (p, r) in res.items():
            tp = tr = ""
            vp = vr = ""
            if a.targets and g == "scan" and k == "户号":
                tp, vp = ">= 99", "-" if p is None else ("ok" if p >= 99 else "BELOW TARGET")
                tr, vr = ">= 98", "-" if r is None else ("ok" if r >= 98 else "BELOW TARGET")
            summary.append((f"{g}: {k} precision", "-" if p is None else f"{p:.1f}", "%", tp, vp))
            summary.append((f"{g}: {k} recall", "-" if r is None else f"{r:.1f}", "%", tr, vr))
        out.append("")
    if a.targets and "scan" in groups:
        have_comb = any(s[0].startswith("scan: combined") for s in summary)
        if not have_comb:
            summary.append(("scan: combined (test half) accuracy", "-", "%", ">= 95", "not measured"))
    print("\n".join(out))
    if a.summary:
        with open(a.summary, "a", encoding="utf-8") as fh:
            for s in summary:
                s = tuple(s) + ("", "")
                fh.write("\t".join(s[:5]) + "\n")


if __name__ == "__main__":
    main()
