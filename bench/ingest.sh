#!/bin/sh
# bench/ingest.sh -- how fast is a durable `dangan ingest`, compared with
# copying the same bytes durably?  Run by hand (not part of make check);
# it prints numbers and ratios against the targets, it asserts nothing.
#
#   (a) large files: BENCH_LARGE_N x BENCH_LARGE_MB MB of random data;
#       `cp` + `sync` into a fresh directory vs `dangan ingest` into a
#       fresh store: MB/s of both and the ratio (target >= 0.8)
#   (b) small files: BENCH_SMALL_N files of BENCH_SMALL_KB KB (text with a
#       unique token each, or random bytes with BENCH_SMALL_KIND=binary);
#       `dangan ingest` docs/s (target >= 1000) vs `cp -r` + `sync` vs
#       `git init && git add -A && git commit` (+ `sync`); and, to see
#       what the stages cost, `dangan ingest --pipeline store-only`
#   (c) memory: peak RSS (/usr/bin/time -f %M) of ingesting one file of
#       BENCH_MEM_MB MB of random data (target < 100 MB)
#
# Everything happens under BENCH_DIR (default /var/tmp/dangan-bench), on
# one disk.  The generated inputs are cached in BENCH_DIR/data and reused
# by the next run; BENCH_CLEAN=1 removes them at the end.  Nothing is
# dropped from the page cache; every timed step starts after a `sync`.
#
# Parameters (environment):
#   BENCH_DIR=/var/tmp/dangan-bench  BENCH_LARGE_MB=500  BENCH_LARGE_N=3
#   BENCH_SMALL_N=20000  BENCH_SMALL_KB=4  BENCH_SMALL_KIND=text|binary
#   BENCH_MEM_MB=2048  BENCH_JOBS=   (dangan ingest -j; default: its own)
#   BENCH_SECTIONS="large small mem"  BENCH_CLEAN=0
#   BENCH_SMALL_STOREONLY=1  (also time (b) with the store-only pipeline)
#   DANGAN=path/to/dangan  (default: the build tree's ./dangan, with
#   DANGAN_PLUGIN_PATH and DANGAN_DATADIR pointing into the build tree)
# A quick run:
#   BENCH_LARGE_MB=50 BENCH_LARGE_N=2 BENCH_SMALL_N=2000 BENCH_MEM_MB=256 bench/ingest.sh
set -u
LC_ALL=C
export LC_ALL

BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench}
BENCH_LARGE_MB=${BENCH_LARGE_MB:-500}
BENCH_LARGE_N=${BENCH_LARGE_N:-3}
BENCH_SMALL_N=${BENCH_SMALL_N:-20000}
BENCH_SMALL_KB=${BENCH_SMALL_KB:-4}
BENCH_SMALL_KIND=${BENCH_SMALL_KIND:-text}
BENCH_MEM_MB=${BENCH_MEM_MB:-2048}
BENCH_JOBS=${BENCH_JOBS:-}
BENCH_SECTIONS=${BENCH_SECTIONS:-large small mem}
BENCH_CLEAN=${BENCH_CLEAN:-0}
BENCH_SMALL_STOREONLY=${BENCH_SMALL_STOREONLY:-1}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
if [ -z "${DANGAN:-}" ]; then
	DANGAN="$top/dangan"
	: "${DANGAN_PLUGIN_PATH:=$top/plugins/file/.libs:$top/plugins/archive/.libs:$top/plugins/text/.libs}"
	: "${DANGAN_DATADIR:=$top/config}"
	export DANGAN_PLUGIN_PATH DANGAN_DATADIR
fi
unset DANGAN_STORE DANGAN_CONFIG
[ -x "$DANGAN" ] || { echo "bench: no dangan at $DANGAN (build first, or set DANGAN)" >&2; exit 2; }
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=
JOPT=
[ -n "$BENCH_JOBS" ] && JOPT="-j $BENCH_JOBS"

DATA="$BENCH_DIR/data"
RUN="$BENCH_DIR/run"
mkdir -p "$DATA" || exit 2
rm -rf "$RUN"
mkdir -p "$RUN" || exit 2
SUMMARY="$RUN/summary"
: >"$SUMMARY"

say() { printf '%s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "inf" }'; }
# summary ROW: metric, value, unit, target, verdict
row() { printf '%-44s %12s %-7s %-10s %s\n' "$1" "$2" "$3" "$4" "$5" >>"$SUMMARY"; }
verdict() { # verdict VALUE OP TARGET -> "ok" / "BELOW TARGET"
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		good = (op == ">=") ? (v >= t) : (v < t)
		print good ? "ok" : (op == ">=" ? "BELOW TARGET" : "ABOVE TARGET")
	}'
}
# random bytes, fast and distinct per key: AES-CTR keystream of a key
random_bytes() { # random_bytes KEY BYTES > file
	if command -v openssl >/dev/null 2>&1; then
		openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:dangan-bench-$1" </dev/zero 2>/dev/null | head -c "$2"
	else
		head -c "$2" /dev/urandom
	fi
}
need_mb() { # need_mb MB WHAT: stop if the disk has less free space
	free=$(df -Pm "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
	if [ "$free" -lt "$1" ]; then
		say "bench: $2 needs about $1 MB free in $BENCH_DIR, there are $free MB; lower the sizes" >&2
		exit 3
	fi
}
ingest() { # ingest STORE PATH...: a durable ingest into a fresh store
	s=$1
	shift
	rm -rf "$s"
	"$DANGAN" -q --store "$s" ingest $JOPT "$@"
}

say "dangan ingest benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "  dangan:  $("$DANGAN" --version 2>/dev/null)"
say "  dir:     $BENCH_DIR ($(df -PhT "$BENCH_DIR" | awk 'NR == 2 { print $2 ", " $5 " free on " $7 }'))"
say "  machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
say "  jobs:    ${BENCH_JOBS:-dangan default}"
say ""

# ---- (a) large files ----------------------------------------------------------
section_large() {
	n=$BENCH_LARGE_N
	mb=$BENCH_LARGE_MB
	total=$((n * mb))
	say "(a) large files: $n x $mb MB of random data ($total MB)"
	need_mb $((total * 3 + 100)) "(a)"
	src="$DATA/large-${n}x${mb}M"
	if [ ! -f "$src/.complete" ]; then
		say "    generating $src ..."
		rm -rf "$src"
		mkdir -p "$src"
		i=1
		while [ $i -le "$n" ]; do
			random_bytes "large-$mb-$i" $((mb * 1048576)) >"$src/large-$i.bin" || exit 4
			i=$((i + 1))
		done
		touch "$src/.complete"
	fi
	set -- "$src"/large-*.bin
	# cp + sync
	rm -rf "$RUN/cp-large"
	mkdir -p "$RUN/cp-large"
	sync
	t0=$(now)
	cp "$@" "$RUN/cp-large/" && sync
	t1=$(now)
	cp_s=$(secs "$t0" "$t1")
	rm -rf "$RUN/cp-large"
	sync
	# dangan ingest (durable: it syncs before it returns)
	t0=$(now)
	ingest "$RUN/store-large" "$@"
	rc=$?
	t1=$(now)
	dg_s=$(secs "$t0" "$t1")
	[ $rc -eq 0 ] || say "    dangan ingest exited $rc"
	rm -rf "$RUN/store-large"
	sync
	cp_mbs=$(div "$total" "$cp_s")
	dg_mbs=$(div "$total" "$dg_s")
	ratio=$(ratio "$dg_mbs" "$cp_mbs")
	say "    cp + sync:      ${cp_s} s  ${cp_mbs} MB/s"
	say "    dangan ingest:  ${dg_s} s  ${dg_mbs} MB/s"
	say "    ratio dangan/cp: $ratio  (target >= 0.8: $(verdict "$ratio" ">=" 0.8))"
	say ""
	row "(a) cp+sync, ${n}x${mb} MB" "$cp_mbs" "MB/s" "" ""
	row "(a) dangan ingest, ${n}x${mb} MB" "$dg_mbs" "MB/s" "" ""
	row "(a) ratio dangan / cp+sync" "$ratio" "x" ">= 0.8" "$(verdict "$ratio" ">=" 0.8)"
}

# ---- (b) small files ---------------------------------------------------------
gen_small() { # gen_small DIR N KB KIND
	mkdir -p "$1"
	if [ "$4" = binary ]; then
		# one keystream cut into N files, 100 per directory
		d=0
		left=$2
		while [ "$left" -gt 0 ]; do
			k=100
			[ "$left" -lt 100 ] && k=$left
			mkdir -p "$1/d$d"
			random_bytes "small-$d" $((k * $3 * 1024)) | (cd "$1/d$d" && split -b $(($3 * 1024)) -a 3 -d - f)
			left=$((left - k))
			d=$((d + 1))
		done
	else
		awk -v n="$2" -v size=$(($3 * 1024)) -v dir="$1" 'BEGIN {
			srand(4242)
			nw = split("archive record ledger folio manuscript letter deed charter index register survey minutes appendix volume catalogue accession provenance 档案 记录 卷宗", w, " ")
			for (i = 0; i < n; i++) {
				d = sprintf("%s/d%03d", dir, int(i / 100))
				if (i % 100 == 0) system("mkdir -p \"" d "\"")
				f = sprintf("%s/f%06d.txt", d, i)
				s = sprintf("document %d, token benchtok%07dz\n", i, i)
				while (length(s) < size) s = s w[1 + int(rand() * nw)] (rand() < 0.1 ? "\n" : " ")
				printf "%s\n", substr(s, 1, size - 1) > f
				close(f)
			}
		}'
	fi
}

section_small() {
	n=$BENCH_SMALL_N
	kb=$BENCH_SMALL_KB
	say "(b) small files: $n x $kb KB ($BENCH_SMALL_KIND)"
	need_mb $((n * (kb + 4) * 5 / 1024 + 100)) "(b)"
	src="$DATA/small-${n}x${kb}K-$BENCH_SMALL_KIND"
	if [ ! -f "$src/.complete" ]; then
		say "    generating $src ..."
		rm -rf "$src"
		gen_small "$src/tree" "$n" "$kb" "$BENCH_SMALL_KIND" || exit 4
		touch "$src/.complete"
	fi
	nfiles=$(find "$src/tree" -type f | wc -l)
	[ "$nfiles" -eq "$n" ] || say "    warning: $nfiles files in $src/tree, expected $n"
	# cp -r + sync
	rm -rf "$RUN/cp-small"
	sync
	t0=$(now)
	cp -r "$src/tree" "$RUN/cp-small" && sync
	t1=$(now)
	cp_s=$(secs "$t0" "$t1")
	rm -rf "$RUN/cp-small"
	sync
	# git init + add + commit (+ sync), repository outside the tree
	git_s=
	if command -v git >/dev/null 2>&1; then
		rm -rf "$RUN/git-small"
		sync
		t0=$(now)
		git --git-dir="$RUN/git-small" --work-tree="$src/tree" init -q &&
			git --git-dir="$RUN/git-small" --work-tree="$src/tree" add -A &&
			git --git-dir="$RUN/git-small" --work-tree="$src/tree" \
				-c user.name=bench -c user.email=bench@invalid commit -q -m bench && sync
		t1=$(now)
		git_s=$(secs "$t0" "$t1")
		rm -rf "$RUN/git-small"
		sync
	fi
	# dangan ingest
	t0=$(now)
	ingest "$RUN/store-small" "$src/tree"
	rc=$?
	t1=$(now)
	dg_s=$(secs "$t0" "$t1")
	[ $rc -eq 0 ] || say "    dangan ingest exited $rc"
	docs=$("$DANGAN" --store "$RUN/store-small" stats --json 2>/dev/null | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
	[ "${docs:-0}" -eq "$n" ] || say "    warning: the store has ${docs:-?} documents, expected $n"
	rm -rf "$RUN/store-small"
	sync
	# the same without any stage (only type detection and the store):
	# how much of the time is the processing (text, index)?
	so_s=
	if [ "$BENCH_SMALL_STOREONLY" = 1 ]; then
		t0=$(now)
		ingest "$RUN/store-small" --pipeline store-only "$src/tree"
		t1=$(now)
		so_s=$(secs "$t0" "$t1")
		rm -rf "$RUN/store-small"
		sync
	fi
	dg_r=$(div "$n" "$dg_s")
	cp_r=$(div "$n" "$cp_s")
	say "    cp -r + sync:       ${cp_s} s  ${cp_r} files/s"
	if [ -n "$git_s" ]; then
		git_r=$(div "$n" "$git_s")
		say "    git add + commit:   ${git_s} s  ${git_r} files/s  (+ sync)"
	fi
	say "    dangan ingest:      ${dg_s} s  ${dg_r} docs/s  (target >= 1000: $(verdict "$dg_r" ">=" 1000))"
	[ -n "$so_s" ] && say "    dangan, store-only: ${so_s} s  $(div "$n" "$so_s") docs/s  (pipeline without stages)"
	say "    ratio dangan/cp:    $(ratio "$dg_r" "$cp_r")"
	[ -n "$git_s" ] && say "    ratio dangan/git:   $(ratio "$dg_r" "$git_r")"
	say ""
	row "(b) cp -r + sync, ${n}x${kb} KB" "$cp_r" "files/s" "" ""
	[ -n "$git_s" ] && row "(b) git add+commit+sync, ${n}x${kb} KB" "$git_r" "files/s" "" ""
	row "(b) dangan ingest, ${n}x${kb} KB" "$dg_r" "docs/s" ">= 1000" "$(verdict "$dg_r" ">=" 1000)"
	[ -n "$so_s" ] && row "(b) dangan ingest --pipeline store-only" "$(div "$n" "$so_s")" "docs/s" "" ""
	row "(b) ratio dangan / cp+sync" "$(ratio "$dg_r" "$cp_r")" "x" "" ""
	[ -n "$git_s" ] && row "(b) ratio dangan / git" "$(ratio "$dg_r" "$git_r")" "x" "" ""
}

# ---- (c) memory ----------------------------------------------------------------
section_mem() {
	mb=$BENCH_MEM_MB
	say "(c) memory: one file of $mb MB of random data"
	if [ -z "$TIME" ]; then
		say "    skipped: /usr/bin/time is missing (Debian/Ubuntu: apt-get install time)"
		row "(c) peak RSS, one ${mb} MB file" "-" "MB" "< 100" "skipped"
		return
	fi
	need_mb $((mb * 2 + 100)) "(c)"
	src="$DATA/mem-${mb}M.bin"
	if [ ! -f "$src.complete" ]; then
		say "    generating $src ..."
		random_bytes "mem-$mb" $((mb * 1048576)) >"$src" || exit 4
		touch "$src.complete"
	fi
	rm -rf "$RUN/store-mem"
	sync
	t0=$(now)
	$TIME -f %M -o "$RUN/rss" "$DANGAN" -q --store "$RUN/store-mem" ingest $JOPT "$src"
	rc=$?
	t1=$(now)
	[ $rc -eq 0 ] || say "    dangan ingest exited $rc"
	rm -rf "$RUN/store-mem"
	sync
	kb=$(tail -1 "$RUN/rss")
	rss=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
	s=$(secs "$t0" "$t1")
	say "    peak RSS: ${rss} MB  (target < 100: $(verdict "$rss" "<" 100)); ${s} s, $(div "$mb" "$s") MB/s"
	say ""
	row "(c) peak RSS, one ${mb} MB file" "$rss" "MB" "< 100" "$(verdict "$rss" "<" 100)"
	row "(c) dangan ingest, one ${mb} MB file" "$(div "$mb" "$s")" "MB/s" "" ""
}

for sec in $BENCH_SECTIONS; do
	case $sec in
	large) section_large ;;
	small) section_small ;;
	mem) section_mem ;;
	*) say "bench: unknown section '$sec' (large, small, mem)" >&2; exit 2 ;;
	esac
done

say "summary"
printf '%-44s %12s %-7s %-10s %s\n' "measure" "value" "unit" "target" "verdict"
printf '%-44s %12s %-7s %-10s %s\n' "-------" "-----" "----" "------" "-------"
cat "$SUMMARY"
rm -rf "$RUN"
[ "$BENCH_CLEAN" = 1 ] && rm -rf "$DATA"
exit 0
