#!/bin/sh
# bench/email.sh -- how fast does `dangan ingest` take in an mbox, and
# does its memory stay flat as the mbox grows?  Run by hand (not part of
# make check); it prints numbers and ratios against the targets and
# asserts none of them.  It exits non-zero only when dangan itself fails
# (exit status 2 or more) or commits fewer message documents than the
# mbox holds.
#
# The mbox: BENCH_EMAIL_MESSAGES (10000) messages made by mkmbox.py from
# the real messages of EMAIL_CORPUS (MIME structure and body kept, so
# their attachments -- images, zips, PDFs, attached messages -- are
# really there; fresh Message-ID, Date, From, To, Subject, some replies
# to earlier messages, Chinese display names in RFC 2047 words; mboxrd
# quoting; a fixed seed, so every run builds the same bytes).  The
# corpus has a few hundred messages, so each comes back many times: the
# messages are all distinct, but their attachments repeat (about 140
# distinct ones), and an attachment already in the store is only linked
# to its new message, not read again (no second OCR).  The first few
# hundred messages carry every distinct attachment once, which makes a
# --quick run slower per message than a full one.
#
#   (a) `formail -s` (procmail) splitting the mbox, the floor:
#       (a1) split only: `formail -s <MBOX >/dev/null` (the messages
#            written back to back, no process per message);
#       (a2) one file per message: `formail -n JOBS -s sh -c 'exec cat
#            >DIR/msg.$FILENO'` (a process per message, JOBS at a time),
#            then `sync` -- the same work as a store of one file per
#            message, made durable as dangan's is;
#   (b) `dangan ingest -j JOBS --json MBOX` into a fresh store, default
#       pipeline: each message is a document, the email stage reads it
#       and every attachment is committed as a document of its own (and
#       run through the pipeline: images scanned, archives unpacked);
#       messages/s, documents committed (messages + attachments, from the
#       per-document lines of --json), peak RSS, ratio against (a2);
#   (c) the same with `--pipeline store-only` (messages split and
#       committed, no stage): what the stages cost;
#   (d) memory: (b) again on an mbox of BENCH_EMAIL_MEM_MESSAGES (4 x as
#       many) messages; the two peak RSS figures and their ratio; and (c)
#       again on it, whose RSS has no OCR engine in it (the default
#       pipeline's figure is mostly tesseract's models, the same at any
#       size), so the splitter's and the committer's own growth shows.
# After each dangan run the size of its store is printed too (with the
# objects over 64 KB): the store of (d) against that of (b) tells
# whether the store grows in proportion to the mail.  The stores stay
# until the end (deleting one just before the next timed run would leave
# the file system busy with it): BENCH_DIR needs room for all of them.
#
# Wall time and peak RSS come from /usr/bin/time -v (without it: wall
# time from date, no RSS).  Every timed step starts after a `sync`; the
# page cache is not dropped.  The load average is printed at the start
# and the end: the timings mean little when other work keeps the CPUs
# busy.  Targets: dangan >= 500 messages/s on 2 workers with the
# attachments committed; peak RSS independent of the mbox size (ratio
# (d) / (b) ~ 1, reported ok up to 1.2).
#
# Everything happens in a fresh directory made by mktemp under BENCH_DIR
# (default /var/tmp), removed at the end unless BENCH_KEEP=1.
#
# Parameters (environment):
#   EMAIL_CORPUS=<repo>/../shared/corpus/email  PYTHON=python3
#   BENCH_EMAIL_MESSAGES=10000  BENCH_EMAIL_MEM_MESSAGES=(4 x MESSAGES;
#   0 skips (d))  BENCH_EMAIL_SEED=20240601  BENCH_JOBS=2  (dangan -j and
#   formail -n)  BENCH_EMAIL_STOREONLY=1  BENCH_DIR=/var/tmp  BENCH_KEEP=0
#   BENCH_EMAIL_PERF=0  (1: one more run of (b) under `perf record`, and
#   where its CPU time went, by library and by function)
#   DANGAN=path/to/dangan  (default: the build tree's ./dangan, with
#   DANGAN_PLUGIN_PATH and DANGAN_DATADIR pointing into the build tree)
# A quick run (500 messages, 2000 for the memory check):
#   bench/email.sh --quick        (or BENCH_QUICK=1 bench/email.sh)
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

BENCH_QUICK=${BENCH_QUICK:-0}
for arg in "$@"; do
	case $arg in
	--quick) BENCH_QUICK=1 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) printf 'bench: unknown argument %s (--quick)\n' "$arg" >&2; exit 2 ;;
	esac
done
if [ "$BENCH_QUICK" = 1 ]; then
	: "${BENCH_EMAIL_MESSAGES:=500}"
	: "${BENCH_EMAIL_MEM_MESSAGES:=2000}"
fi
BENCH_EMAIL_MESSAGES=${BENCH_EMAIL_MESSAGES:-10000}
BENCH_EMAIL_MEM_MESSAGES=${BENCH_EMAIL_MEM_MESSAGES:-$((4 * BENCH_EMAIL_MESSAGES))}
BENCH_EMAIL_SEED=${BENCH_EMAIL_SEED:-20240601}
BENCH_EMAIL_STOREONLY=${BENCH_EMAIL_STOREONLY:-1}
BENCH_EMAIL_PERF=${BENCH_EMAIL_PERF:-0}
BENCH_JOBS=${BENCH_JOBS:-2}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
BENCH_KEEP=${BENCH_KEEP:-0}
EMAIL_CORPUS=${EMAIL_CORPUS:-$top/../shared/corpus/email}
PYTHON=${PYTHON:-python3}
MKMBOX=$here/mkmbox.py
N=$BENCH_EMAIL_MESSAGES
NMEM=$BENCH_EMAIL_MEM_MESSAGES

if [ -z "${DANGAN:-}" ]; then
	DANGAN="$top/dangan"
	if [ -z "${DANGAN_PLUGIN_PATH:-}" ]; then
		DANGAN_PLUGIN_PATH=
		for d in "$top"/plugins/*/.libs; do
			[ -d "$d" ] && DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH${DANGAN_PLUGIN_PATH:+:}$d"
		done
	fi
	: "${DANGAN_DATADIR:=$top/config}"
	export DANGAN_PLUGIN_PATH DANGAN_DATADIR
fi
case $DANGAN in
/*) ;;
*/*) DANGAN=$PWD/$DANGAN ;;
*) DANGAN=$(command -v "$DANGAN" 2>/dev/null || printf '%s' "$DANGAN") ;;
esac
unset DANGAN_STORE DANGAN_CONFIG

say() { printf '%s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null; }
busy() { # a warning when something else keeps the CPUs busy
	awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg 2>/dev/null &&
		say "  warning: the load average is above half the CPUs: other work distorts the timings"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { # rate COUNT SECONDS
	case "$1$2" in *-*) echo - ; return ;; esac
	awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "inf" }'
}
ratio() { # ratio A B: A / B, or "-" when either is unknown or infinite
	case "$1$2" in *-* | *inf*) echo - ; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "inf" }'
}
mb() { case $1 in -) echo - ;; *) awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' ;; esac; }
verdict() { # verdict VALUE OP TARGET -> ok / BELOW TARGET / ABOVE TARGET / -
	case "$1" in - | "") echo - ; return ;; esac
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "inf") v = 1e300
		good = (op == ">=") ? (v >= t) : (v <= t)
		print good ? "ok" : (op == ">=" ? "BELOW TARGET" : "ABOVE TARGET")
	}'
}

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON is missing (set PYTHON)"
[ -f "$MKMBOX" ] || die "no $MKMBOX"
[ -d "$EMAIL_CORPUS" ] || die "no corpus at $EMAIL_CORPUS (set EMAIL_CORPUS)"
EMAIL_CORPUS=$(cd "$EMAIL_CORPUS" && pwd)
[ -x "$DANGAN" ] || die "no dangan at $DANGAN (build first, or set DANGAN)"
"$DANGAN" plugins show mailbox >/dev/null 2>&1 || die "dangan has no mailbox plugin (DANGAN_PLUGIN_PATH=${DANGAN_PLUGIN_PATH:-})"
"$DANGAN" plugins show email >/dev/null 2>&1 || die "dangan has no email plugin (DANGAN_PLUGIN_PATH=${DANGAN_PLUGIN_PATH:-})"
case "$N $NMEM" in *[!0-9\ ]*) die "BENCH_EMAIL_MESSAGES and BENCH_EMAIL_MEM_MESSAGES take numbers" ;; esac
[ "$N" -gt 0 ] || die "BENCH_EMAIL_MESSAGES must be above 0"
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
FORMAIL=$(command -v formail 2>/dev/null)

mkdir -p "$BENCH_DIR" || exit 2
WORK=$(mktemp -d "$BENCH_DIR/dangan-email.XXXXXX") || die "cannot make a directory in $BENCH_DIR"
cleanup() {
	if [ "$BENCH_KEEP" = 1 ]; then
		say "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
SUMMARY="$WORK/summary"
: >"$SUMMARY"
# summary ROW: measure, value, unit, target, verdict
row() { printf '%-48s %10s %-7s %-9s %s\n' "$1" "$2" "$3" "$4" "$5" >>"$SUMMARY"; }
FAIL=0

# timed OUT CMD...: run CMD under /usr/bin/time -v (into OUT.time),
# stdout into OUT.out, stderr into OUT.err; sets T_WALL (s), T_CPU
# (user + system s), T_RSS (kB) and T_RC
timed() {
	out=$1
	shift
	sync
	if [ -n "$TIME" ]; then
		$TIME -v -o "$out.time" "$@" >"$out.out" 2>"$out.err"
		T_RC=$?
		T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
			printf "%.2f", s }' "$out.time")
		T_CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$out.time")
		T_RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out.time")
	else
		t0=$(now)
		"$@" >"$out.out" 2>"$out.err"
		T_RC=$?
		T_WALL=$(secs "$t0" "$(now)")
		T_CPU=- T_RSS=-
	fi
	[ -n "$T_WALL" ] || T_WALL=-
	[ -n "$T_RSS" ] || T_RSS=-
}

# mkmbox N FILE: the mbox; sets MB_* from mkmbox.py's key=value line
mkmbox() {
	line=$("$PYTHON" "$MKMBOX" --seed "$BENCH_EMAIL_SEED" --stats "$2.sources" "$EMAIL_CORPUS" "$1" "$2") ||
		die "mkmbox.py failed"
	for kv in $line; do
		case $kv in *=*[!0-9]* | *=) die "mkmbox.py said '$line'" ;; esac
		eval "MB_${kv%%=*}=${kv#*=}"
	done
}

# counts JSONFILE: per-document lines of `ingest --json` ->
# "MSGS MSGS_Q ATT_NEW ATT_DUP ATT_Q SUMMARY_DOCS SUMMARY_Q"
counts() {
	"$PYTHON" - "$1" <<'PY'
import json, sys
m = mq = an = ad = aq = 0
sd = sq = "-"
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if "summary" in d:
        sd, sq = d["summary"].get("documents", "-"), d["summary"].get("quarantined", "-")
        continue
    q = d.get("outcome") == "quarantined"
    if d.get("depth", 0) == 0:
        if q: mq += 1
        else: m += 1
    elif q: aq += 1
    elif d.get("outcome") == "duplicate": ad += 1
    else: an += 1
print(m, mq, an, ad, aq, sd, sq)
PY
}

# dg_run TAG MBOX MESSAGES [ARGS...]: ingest into a fresh store
# (WORK/store-TAG, kept to the end: deleting a large store just before
# the next timed run leaves the file system busy with it); sets DG_WALL
# DG_CPU DG_RSS DG_RATE DG_MSGS DG_ATT DG_DOCS DG_STORE_MB and prints
# what it found
dg_run() {
	tag=$1 mbox=$2 want=$3
	shift 3
	store="$WORK/store-$tag"
	rm -rf "$store"
	timed "$WORK/$tag" "$DANGAN" -q --store "$store" ingest -j "$BENCH_JOBS" --json "$@" "$mbox"
	DG_WALL=$T_WALL DG_CPU=$T_CPU DG_RSS=$T_RSS
	set -- $(counts "$WORK/$tag.out")
	DG_MSGS=$1 DG_ATT=$(($3 + $4)) DG_DOCS=$6
	DG_RATE=$(rate "$want" "$DG_WALL")
	DG_STORE_MB=$(du -sk "$store" 2>/dev/null | awk '{ printf "%.0f", $1 / 1024 }')
	[ -n "$DG_STORE_MB" ] || DG_STORE_MB=-
	mf=$(find "$store/objects" -type f -size +64k 2>/dev/null | wc -l)
	say "      $DG_WALL s wall, $DG_CPU s CPU, $DG_RATE messages/s, peak RSS $(mb "$DG_RSS") MB"
	say "      store: $DG_STORE_MB MB for a $(mb $(($(wc -c <"$mbox") / 1024))) MB mbox; $mf objects over 64 KB"
	say "      committed: $1 of $want messages ($2 quarantined); $(($3 + $4)) attachments ($3 new, $4 duplicate bytes of an earlier one, $5 quarantined); summary: $6 documents, $7 quarantined"
	if [ "$T_RC" -ge 2 ] || [ "$T_RC" -lt 0 ]; then
		say "      dangan ingest FAILED: exit status $T_RC; its messages:"
		grep -v '^Corrupt JPEG\|^Invalid JPEG\|^Bogus Huffman\|^Premature end of JPEG' "$WORK/$tag.err" | tail -20 | sed 's/^/        /'
		FAIL=1
	elif [ "$T_RC" -eq 1 ]; then
		say "      (exit status 1: some documents quarantined; dangan --store STORE quarantine ls)"
	fi
	if [ "$1" -lt "$want" ]; then
		say "      FAILED: $1 message documents committed, the mbox holds $want"
		FAIL=1
	fi
	if [ "$2" -gt 0 ]; then
		say "      quarantined messages (first 5):"
		"$PYTHON" -c 'import json, sys
n = 0
for l in open(sys.argv[1], errors="replace"):
    try: d = json.loads(l)
    except ValueError: continue
    if d.get("depth") == 0 and d.get("outcome") == "quarantined" and n < 5:
        print("        %s: %s" % (d.get("source"), d.get("reason"))); n += 1' "$WORK/$tag.out"
	fi
}

say "dangan email benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "  dangan:   $DANGAN $("$DANGAN" --version 2>/dev/null | head -1)"
say "            $("$DANGAN" plugins show email 2>/dev/null | head -1); $("$DANGAN" plugins show mailbox 2>/dev/null | head -1)"
say "  formail:  ${FORMAIL:-not installed (Debian: apt-get install procmail)}"
say "  corpus:   $EMAIL_CORPUS"
say "  dir:      $WORK ($(df -PhT "$WORK" | awk 'NR == 2 { print $2 ", " $5 " free on " $7 }'))"
say "  machine:  $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
say "  workers:  dangan ingest -j $BENCH_JOBS, formail -n $BENCH_JOBS"
[ -n "$TIME" ] || say "  /usr/bin/time is missing: no peak RSS (Debian: apt-get install time)"
say "  load:     $(load)"
busy
say ""

# ---- the mbox ---------------------------------------------------------------
MBOX="$WORK/bench.mbox"
t0=$(now)
mkmbox "$N" "$MBOX"
say "mbox: $N messages, $(mb $((MB_bytes / 1024))) MB ($(secs "$t0" "$(now)") s to make, not timed)"
say "  from $MB_sources corpus messages ($MB_sources_with_attachments of them with attachments), each used about $((N / MB_sources)) times"
say "  $MB_with_attachments messages carry attachments (a part that is not body text); $MB_threaded are replies"
say ""
row "messages in the mbox" "$N" "msgs" "" ""
row "  with attachments" "$MB_with_attachments" "msgs" "" ""

# ---- (a) formail --------------------------------------------------------------
FM1_RATE=- FM2_RATE=-
if [ -n "$FORMAIL" ]; then
	say "(a1) formail -s <mbox >/dev/null (split only)"
	timed "$WORK/fm1" sh -c 'exec "$1" -s <"$2" >/dev/null' sh "$FORMAIL" "$MBOX"
	FM1_RATE=$(rate "$N" "$T_WALL")
	say "      $T_WALL s wall, $FM1_RATE messages/s"
	[ "$T_RC" -eq 0 ] || say "      formail exited $T_RC"
	say "(a2) formail -n $BENCH_JOBS -s sh -c 'exec cat >DIR/msg.\$FILENO' + sync (one file per message)"
	mkdir -p "$WORK/fm2"
	timed "$WORK/fm2" sh -c 'FILENO=0000000 "$1" -n "$2" -s sh -c '\''exec cat >"$0/msg.$FILENO"'\'' "$3" <"$4" && sync' \
		sh "$FORMAIL" "$BENCH_JOBS" "$WORK/fm2" "$MBOX"
	FM2_RATE=$(rate "$N" "$T_WALL")
	nfiles=$(find "$WORK/fm2" -type f | wc -l)
	say "      $T_WALL s wall, $T_CPU s CPU, $FM2_RATE messages/s; $nfiles files"
	[ "$T_RC" -eq 0 ] || say "      formail exited $T_RC"
	[ "$nfiles" -eq "$N" ] || say "      warning: formail made $nfiles files of the $N messages"
	rm -rf "$WORK/fm2"
	row "(a1) formail -s, split only" "$FM1_RATE" "msgs/s" "" ""
	row "(a2) formail -s, one file per message + sync" "$FM2_RATE" "msgs/s" "" ""
else
	say "(a) formail: not installed (Debian: apt-get install procmail); no floor"
	row "(a) formail -s" "-" "msgs/s" "" "skipped"
fi
say ""

# ---- (b) dangan ---------------------------------------------------------------
say "(b) dangan ingest -j $BENCH_JOBS (default pipeline: email stage, attachments committed)"
dg_run main "$MBOX" "$N"
B_RATE=$DG_RATE B_RSS=$DG_RSS B_MSGS=$DG_MSGS B_ATT=$DG_ATT B_DOCS=$DG_DOCS B_WALL=$DG_WALL B_CPU=$DG_CPU
B_STORE=$DG_STORE_MB
# the media types of the attachments, the ten most frequent
"$PYTHON" -c 'import collections, json, sys
c = collections.Counter()
for l in open(sys.argv[1], errors="replace"):
    try: d = json.loads(l)
    except ValueError: continue
    if d.get("depth", 0) > 0: c[d.get("media_type") or "(no type given)"] += 1
print("      attachments by type: " + (", ".join("%s %d" % kv for kv in c.most_common(10)) or "none"))' "$WORK/main.out"
say "      ratio to (a2) formail one file per message: $(ratio "$B_RATE" "$FM2_RATE")"
say ""
row "(b) dangan ingest, messages/s" "$B_RATE" "msgs/s" ">= 500" "$(verdict "$B_RATE" ">=" 500)"
row "(b) message documents committed" "$B_MSGS" "docs" "$N" "$([ "$B_MSGS" -ge "$N" ] && echo ok || echo MISSING)"
row "(b) attachment documents committed" "$B_ATT" "docs" "" ""
row "(b) documents in the --json summary" "$B_DOCS" "docs" "" ""
row "(b) wall time / CPU time" "$B_WALL/$B_CPU" "s" "" ""
row "(b) peak RSS, $N messages" "$(mb "$B_RSS")" "MB" "" ""
row "(b) store size, $N messages" "$B_STORE" "MB" "" ""
row "(b) ratio dangan / (a2) formail files" "$(ratio "$B_RATE" "$FM2_RATE")" "x" "" ""
row "(b) ratio dangan / (a1) formail split only" "$(ratio "$B_RATE" "$FM1_RATE")" "x" "" ""

# ---- (c) store-only -------------------------------------------------------------
if [ "$BENCH_EMAIL_STOREONLY" = 1 ]; then
	say "(c) dangan ingest -j $BENCH_JOBS --pipeline store-only (split and commit, no stage)"
	dg_run storeonly "$MBOX" "$N" --pipeline store-only
	C_RSS=$DG_RSS
	say "      the stages take $(awk -v b="$B_WALL" -v c="$DG_WALL" 'BEGIN { if (b > 0) printf "%.0f", 100 * (b - c) / b; else print "-" }') % of (b)'s wall time"
	say ""
	row "(c) dangan ingest --pipeline store-only" "$DG_RATE" "msgs/s" "" ""
	row "(c) peak RSS, store-only" "$(mb "$DG_RSS")" "MB" "" ""
fi

# ---- (d) memory against the mbox size ------------------------------------------
if [ "$NMEM" -gt 0 ]; then
	MBOX2="$WORK/bench-mem.mbox"
	mkmbox "$NMEM" "$MBOX2"
	say "(d) memory: dangan ingest -j $BENCH_JOBS of $NMEM messages ($(mb $((MB_bytes / 1024))) MB, $MB_with_attachments with attachments)"
	dg_run mem "$MBOX2" "$NMEM"
	D_RATE=$DG_RATE D_RSS=$DG_RSS D_STORE=$DG_STORE_MB
	R=$(ratio "$D_RSS" "$B_RSS")
	say "      peak RSS: $(mb "$B_RSS") MB for $N messages, $(mb "$D_RSS") MB for $NMEM: ratio $R (target ~1: $(verdict "$R" "<=" 1.2))"
	say "      store size: $B_STORE MB for $N messages, $D_STORE MB for $NMEM: ratio $(ratio "$D_STORE" "$B_STORE") ($NMEM / $N = $(ratio "$NMEM" "$N"))"
	if [ "$BENCH_EMAIL_STOREONLY" = 1 ]; then
		# without the stages (no OCR engine loaded), what the split and
		# the commit keep
		say "    the same, --pipeline store-only:"
		dg_run mem-storeonly "$MBOX2" "$NMEM" --pipeline store-only
		R2=$(ratio "$DG_RSS" "$C_RSS")
		say "      peak RSS, store-only: $(mb "$C_RSS") MB for $N messages, $(mb "$DG_RSS") MB for $NMEM: ratio $R2 (target ~1: $(verdict "$R2" "<=" 1.2))"
	fi
	rm -f "$MBOX2"
	say ""
	row "(d) dangan ingest, $NMEM messages" "$D_RATE" "msgs/s" "" ""
	row "(d) peak RSS, $NMEM messages" "$(mb "$D_RSS")" "MB" "" ""
	row "(d) peak RSS ratio, $NMEM / $N messages" "$R" "x" "~1 (<=1.2)" "$(verdict "$R" "<=" 1.2)"
	if [ "$BENCH_EMAIL_STOREONLY" = 1 ]; then
		row "(d) peak RSS ratio, store-only" "$R2" "x" "~1 (<=1.2)" "$(verdict "$R2" "<=" 1.2)"
	fi
	row "(d) store size ratio, $NMEM / $N messages" "$(ratio "$D_STORE" "$B_STORE")" "x" "" ""
fi

# ---- where the CPU time goes (optional) ----------------------------------------
if [ "$BENCH_EMAIL_PERF" = 1 ]; then
	if command -v perf >/dev/null 2>&1; then
		say "perf: dangan ingest -j $BENCH_JOBS of the $N messages under perf record (not timed)"
		rm -rf "$WORK/store-perf"
		perf record -q -F 499 -g -o "$WORK/perf.data" -- \
			"$DANGAN" -q --store "$WORK/store-perf" ingest -j "$BENCH_JOBS" "$MBOX" >/dev/null 2>"$WORK/perf.err"
		rm -rf "$WORK/store-perf"
		say "  by library (share of samples, children not folded in):"
		perf report -q -i "$WORK/perf.data" --no-children --sort dso --stdio 2>/dev/null |
			awk 'NF >= 2 && $1 ~ /%$/ { print "    " $0 }' | head -15
		say "  by function:"
		perf report -q -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
			awk 'NF >= 2 && $1 ~ /%$/ { print "    " $0 }' | head -25
		say ""
	else
		say "perf: not installed (Debian: apt-get install linux-perf)"
		say ""
	fi
fi

say "load at the end: $(load)"
busy
say ""
say "summary"
printf '%-48s %10s %-7s %-9s %s\n' "measure" "value" "unit" "target" "verdict"
printf '%-48s %10s %-7s %-9s %s\n' "-------" "-----" "----" "------" "-------"
cat "$SUMMARY"
if [ "$FAIL" != 0 ]; then
	say "dangan failed or lost messages (see above)"
	exit 1
fi
exit 0
