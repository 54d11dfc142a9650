#!/bin/sh
# bench/classify-calibration.sh -- is the classify stage's confidence
# calibrated, and which temperature and min-score fit a catalogue best?
# Run by hand (not part of make check); it prints numbers, it asserts
# nothing.
#
#   bench/classify-calibration.sh CATALOGUE LABELS [DEGRADE]
#
# CATALOGUE  a directory of document-type definitions
# LABELS     a file of "PATH<TAB>CODE" lines: texts (UTF-8; relative
#            paths are relative to the file's directory) and their true
#            type, OTHER for a text of no type of the catalogue
# DEGRADE    1 (default): each text is also damaged the way OCR damages
#            text -- at rates 10 % .. 70 %, characters dropped, misread or
#            split by a space, six copies a rate; 0: the texts as they are
#            (e.g. the OCR text of real scanned pages)
#
# The texts are ingested into a scratch store through text -> classify
# with the stage's defaults (and CLASSIFY_OPTIONS, e.g.
# '<option name="min-score">3</option>'); the scores are read back from
# each document's classify event (its note lists every score that is not
# 0), and the probabilities recomputed for a grid of temperatures and
# floors.  Printed: for the defaults, accuracy, negative log-likelihood,
# Brier score, expected calibration error and a reliability table (by
# confidence tenth: documents, mean confidence, accuracy); for the grid,
# NLL, ECE, how many decisions reach review-below (0.6) and how many of
# those are right.  Precision over recall: prefer the settings where the
# decisions above review-below are right, then the lowest NLL.
#
# Environment: DANGAN=dangan (a build tree's: DANGAN=./dangan, with
# DANGAN_PLUGIN_PATH and DANGAN_DATADIR exported, as in README.md);
# TMPDIR for the scratch directory.
set -eu
[ $# -ge 2 ] || { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 2; }
cat_dir=$(cd "$1" && pwd)
labels=$2
degrade=${3:-1}
DANGAN=${DANGAN:-dangan}
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dangan-calibration.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 - "$labels" "$work/docs" "$degrade" <<'PY'
import os, random, sys
labels, out, degrade = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
base = os.path.dirname(os.path.abspath(labels))
random.seed(1)
os.makedirs(out)
junk = "口日曰土士未末己已巳一二三"
with open(labels, encoding="utf-8") as f, open(os.path.join(out, "truth.tsv"), "w", encoding="utf-8") as t:
    for n, line in enumerate(l for l in f if l.strip() and not l.startswith("#")):
        path, code = line.rstrip("\n").split("\t")[:2]
        text = open(os.path.join(base, path), encoding="utf-8", errors="replace").read()
        rates = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7) if degrade else (0.0,)
        for rate in rates:
            for k in range(6 if rate else 1):
                chars = []
                for c in text:
                    r = random.random()
                    if c == "\n" or r >= rate:
                        chars.append(c)
                    elif r < rate * 0.5:
                        continue
                    elif r < rate * 0.8:
                        chars.append(random.choice(junk))
                    else:
                        chars.append(c + " ")
                name = f"{n:05d}-{int(rate * 100):02d}-{k}.txt"
                # a last line makes every copy's bytes different
                with open(os.path.join(out, name), "w", encoding="utf-8") as o:
                    o.write("".join(chars) + f"\n{name}\n")
                t.write(f"{name}\t{code}\n")
PY

cat >"$work/config.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="calibration">
    <stage id="text" plugin="text"><match type="text/*"/></stage>
    <stage id="classify" plugin="classify" on-failure="continue">
      <option name="catalogue">$cat_dir</option>
      ${CLASSIFY_OPTIONS:-}
    </stage>
  </pipeline>
</dangan>
XML
mv "$work/docs/truth.tsv" "$work/truth.tsv"
"$DANGAN" -q -c "$work/config.xml" --store "$work/store" ingest -j 2 "$work/docs" || true
"$DANGAN" --store "$work/store" ls --json --limit 1000000 | jq -r '.[].id' | while read -r id; do
	"$DANGAN" --store "$work/store" show --json "$id" |
		jq -r '[.document.metadata["source.name"][0],
		        ([.document.events[] | select(.stage == "classify")][-1].message // "")] | @tsv'
done >"$work/results.tsv"

python3 - "$work/truth.tsv" "$work/results.tsv" <<'PY'
import math, re, sys
truth = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8"))
rows, params = [], None
for l in open(sys.argv[2], encoding="utf-8"):
    name, note = l.rstrip("\n").split("\t", 1)
    m = re.search(r"\((\d+) types\): (.*?); OTHER floor ([-0-9.]+), temperature ([-0-9.]+)", note)
    if name not in truth or not m:
        continue
    ntypes, scores = int(m.group(1)), {}
    zeros = 0
    for part in m.group(2).split(", "):
        mz = re.fullmatch(r"(\d+) at 0", part)
        if mz:
            zeros = int(mz.group(1))
        elif part:
            code, s = part.rsplit(" ", 1)
            scores[code] = float(s)
    params = (float(m.group(4)), float(m.group(3)))
    rows.append((truth[name], scores, zeros))

def probs(scores, zeros, T, m):
    z = {c: s / T for c, s in scores.items()}
    z["OTHER"] = m / T
    mx = max(list(z.values()) + [0.0])
    e = {c: math.exp(v - mx) for c, v in z.items()}
    zero_mass = zeros * math.exp(-mx)  # the types scoring 0, none of which is shown
    Z = sum(e.values()) + zero_mass
    p = {c: v / Z for c, v in e.items()}
    return p, zero_mass / Z / zeros if zeros else 0.0

def evaluate(T, m):
    n = right = auto = auto_right = 0
    nll = brier = 0.0
    tenths = {}
    for y, sc, zeros in rows:
        p, pz = probs(sc, zeros, T, m)
        pred = max(p, key=lambda c: (p[c], c != "OTHER"))
        conf = p[pred]
        if pz > conf:  # one of the types that scored 0 (which is not shown)
            pred, conf = None, pz
        py = p.get(y, pz)
        ok = pred == y
        n += 1; right += ok
        nll -= math.log(max(py, 1e-12))
        brier += sum((q - (c == y)) ** 2 for c, q in p.items()) + zeros * pz ** 2
        if y not in p:
            brier += (1 - pz) ** 2 - pz ** 2
        tenths.setdefault(min(int(conf * 10), 9), []).append((conf, ok))
        if conf >= 0.6:
            auto += 1; auto_right += ok
    ece = sum(len(v) / n * abs(sum(c for c, _ in v) / len(v) - sum(o for _, o in v) / len(v)) for v in tenths.values())
    return dict(n=n, acc=right / n, nll=nll / n, brier=brier / n, ece=ece, auto=auto,
                auto_acc=auto_right / auto if auto else 0.0, tenths=tenths)

if not rows:
    sys.exit("no classified document")
T, m = params
r = evaluate(T, m)
print(f"{r['n']} documents, temperature {T:g}, min-score {m:g}")
print(f"accuracy {r['acc']:.3f}  NLL {r['nll']:.3f}  Brier {r['brier']:.3f}  ECE {r['ece']:.3f}  "
      f"decisions >= 0.6: {r['auto']} ({r['auto_acc']:.3f} right)")
print("confidence   docs  mean  accuracy")
for b in sorted(r["tenths"]):
    v = r["tenths"][b]
    print(f"  {b / 10:.1f}-{(b + 1) / 10:.1f}   {len(v):5d}  {sum(c for c, _ in v) / len(v):.2f}  {sum(o for _, o in v) / len(v):.2f}")
print()
print("   T     m     NLL    ECE  >=0.6  right")
for T in (1, 1.5, 2, 3, 4):
    for m in (1, 2, 3, 4, 6):
        r = evaluate(T, m)
        print(f"{T:4g} {m:5g}  {r['nll']:6.3f} {r['ece']:6.3f}  {r['auto']:5d}  {r['auto_acc']:.3f}")
PY
