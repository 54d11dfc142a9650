#!/bin/sh
# bench/export.sh -- how fast and how lean is `dangan export`, compared
# with the floor of doing the same work with tar and sha512sum?  Run by
# hand (not part of make check); it prints numbers and ratios against the
# target, it asserts nothing.
#
#   data:  BENCH_N documents of mixed sizes (90 % small 1-32 KB, 9.5 %
#          medium 100 KB-1 MB, 0.5 % large 4-8 MB; random bytes, distinct
#          per document), ingested once with the store-only pipeline
#   floor: `tar -cf` of the same files into one archive + `sha512sum` of
#          the files into a manifest + `sync` (what a careful hand-made
#          transfer costs: one copy, one digest per file)
#   dangan: `dangan export --format F` for each F of BENCH_FORMATS (bagit,
#          eep, ...), default settings (which include re-hashing every
#          object from the store for the four-property report and the
#          format's own check of the finished package), and once more with
#          --no-verify (eep also with -O sm3=true); MB/s, peak RSS (/usr/bin/time -f %M), and the ratio
#          to the floor (target >= 0.7)
#   memory: peak RSS of exporting one BENCH_BIG_MB MB document (constant
#          memory: it must not grow with the size of the document)
#   The packages are removed at the end, not after each run: ext4
#   without a journal passes over inodes deleted in the last minute
#   when it allocates new ones, so an export of thousands of files right
#   after deleting another one's spends most of its time in the
#   kernel's search for a free inode (the one-file floor never does).
#
# Parameters (environment): BENCH_DIR=/var/tmp/dangan-bench-export
#   BENCH_N=10000  BENCH_FORMATS="bagit eep"  BENCH_BIG_MB=1024  BENCH_ROUNDS=1
#   DANGAN=path/to/dangan (default: the build tree's, with its plugins)
# A quick run:  BENCH_N=1000 BENCH_BIG_MB=128 bench/export.sh
set -u
LC_ALL=C.UTF-8
export LC_ALL

BENCH_DIR=${BENCH_DIR:-/var/tmp/dangan-bench-export}
BENCH_N=${BENCH_N:-10000}
BENCH_FORMATS=${BENCH_FORMATS:-bagit eep}
BENCH_BIG_MB=${BENCH_BIG_MB:-1024}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/dangan-env.sh"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is needed for peak RSS (Debian package time)" >&2; exit 2; }

DATA="$BENCH_DIR/data-$BENCH_N"
RUN="$BENCH_DIR/run"
mkdir -p "$BENCH_DIR" || exit 2
rm -rf "$RUN"
mkdir -p "$RUN" || exit 2
# ext4 passes over inodes freed in the last 60 s (300 s while their
# inode table block is still dirty) when it allocates new ones: an
# export of 10 000 files right after the last run's were deleted spent
# twice as long in the kernel.  Wait until that window has passed.
if [ -f "$BENCH_DIR/.deleted" ]; then
	ago=$(($(date +%s) - $(stat -c %Y "$BENCH_DIR/.deleted")))
	if [ "$ago" -lt 310 ]; then
		printf 'bench: the last run deleted its packages %s s ago; waiting %s s for the file system (see above)\n' \
			"$ago" $((310 - ago)) >&2
		sleep $((310 - ago))
	fi
fi

say() { printf '%s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1048576 / s; else print "inf" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "met" : "BELOW TARGET" }'; }
rss_mb() { tail -n 1 "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

say "dangan export benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "  dangan:  $("$DANGAN" --version 2>/dev/null)"
say "  machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
say "  dir:     $BENCH_DIR ($(df -Ph "$BENCH_DIR" | awk 'NR == 2 { print $4 " free" }'))"

# ---- data -------------------------------------------------------------------
if [ ! -f "$DATA/.complete" ]; then
	say "  generating $BENCH_N documents in $DATA ..."
	rm -rf "$DATA"
	mkdir -p "$DATA/files" || exit 2
	python3 - "$DATA/files" "$BENCH_N" <<'PY' || exit 4
import os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(48)
for i in range(n):
    r = rnd.random()
    if r < 0.005:
        size = rnd.randint(4 << 20, 8 << 20)
    elif r < 0.10:
        size = rnd.randint(100 << 10, 1 << 20)
    else:
        size = rnd.randint(1 << 10, 32 << 10)
    d = os.path.join(out, "%03d" % (i // 500))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "doc-%05d.bin" % i), "wb") as f:
        f.write(rnd.randbytes(size))
PY
	"$DANGAN" -q --store "$DATA/store" ingest --pipeline store-only "$DATA/files" || exit 4
	touch "$DATA/.complete"
fi
bytes=$(du -sb "$DATA/files" | cut -f1)
say "  data:    $BENCH_N documents, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1048576 }')"
say ""

# ---- rounds: the floor, then each export --------------------------------------
# This machine's speed drifts (shared CPUs, a disk whose sync time
# varies), so with BENCH_ROUNDS > 1 the floor is measured again before
# each round's exports, each ratio is taken against its own round's
# floor, and the median ratio is reported.
floor_run() {
	sync
	t0=$(now)
	(cd "$DATA/files" && tar -cf "$RUN/floor.tar" . && find . -type f -print0 | xargs -0 sha512sum >"$RUN/floor.sha512") && sync
	t1=$(now)
	floor_s=$(secs "$t0" "$t1")
	floor=$(mbps "$bytes" "$floor_s")
	rm -f "$RUN/floor.tar"
	printf '%-46s %8s s %8s MB/s\n' "floor: tar -cf + sha512sum + sync" "$floor_s" "$floor"
}
# the runs of each format: default settings, --no-verify, and for eep
# -O sm3=true (编码描述 records SM3 besides SHA-256)
modes() { if [ "$1" = eep ]; then echo "default --no-verify sm3"; else echo "default --no-verify"; fi; }
mode_label() { if [ "$1" = sm3 ]; then echo "-O sm3=true"; else echo "$1"; fi; }
mode_args() { case "$1" in --no-verify) echo --no-verify ;; sm3) echo "-O sm3=true" ;; esac; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

round=1
while [ "$round" -le "$BENCH_ROUNDS" ]; do
	[ "$BENCH_ROUNDS" -gt 1 ] && say "round $round of $BENCH_ROUNDS"
	floor_run
	for f in $BENCH_FORMATS; do
		for mode in $(modes "$f"); do
			out="$RUN/$f-$mode-$round"
			extra=$(mode_args "$mode")
			sync
			t0=$(now)
			$TIME -f %M -o "$RUN/rss" "$DANGAN" -q --store "$DATA/store" export --format "$f" $extra -o "$out" ||
				say "  (export $f $mode exited $?)"
			sync
			t1=$(now)
			s=$(secs "$t0" "$t1")
			r=$(mbps "$bytes" "$s")
			printf '%-46s %8s s %8s MB/s  ratio %s (target 0.7: %s)  peak RSS %s MB\n' \
				"dangan export --format $f ($(mode_label "$mode"))" "$s" "$r" "$(ratio "$r" "$floor")" \
				"$(verdict "$(ratio "$r" "$floor")" 0.7)" "$(rss_mb "$RUN/rss")"
			echo "$(ratio "$r" "$floor")" >>"$RUN/ratios-$f$mode"
		done
	done
	round=$((round + 1))
done
if [ "$BENCH_ROUNDS" -gt 1 ]; then
	say ""
	for f in $BENCH_FORMATS; do
		for mode in $(modes "$f"); do
			m=$(median <"$RUN/ratios-$f$mode")
			printf '%-46s median ratio %s of %s (target 0.7: %s)\n' "dangan export --format $f ($(mode_label "$mode"))" "$m" \
				"$(tr '\n' ' ' <"$RUN/ratios-$f$mode" | sed 's/ $//')" "$(verdict "$m" 0.7)"
		done
	done
fi

# ---- memory: one big document -------------------------------------------------------
big="$BENCH_DIR/big-$BENCH_BIG_MB"
if [ ! -f "$big/.complete" ]; then
	rm -rf "$big"
	mkdir -p "$big/in"
	head -c $((BENCH_BIG_MB * 1048576)) /dev/urandom >"$big/in/big.bin"
	"$DANGAN" -q --store "$big/store" ingest --pipeline store-only "$big/in" || exit 4
	touch "$big/.complete"
fi
for f in $BENCH_FORMATS; do
	$TIME -f %M -o "$RUN/rss" "$DANGAN" -q --store "$big/store" export --format "$f" -o "$RUN/big-$f" ||
		say "  (export $f of the big document exited $?)"
	printf '%-46s peak RSS %s MB\n' "dangan export --format $f, one $BENCH_BIG_MB MB document" "$(rss_mb "$RUN/rss")"
done
rm -rf "$RUN"
touch "$BENCH_DIR/.deleted"
