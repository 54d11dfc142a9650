#!/bin/sh
# crash.sh -- kill -9 an ingest at random moments; the store must stay
# consistent after every kill (verify exits 0: interrupted batches leave
# only temp files or unreferenced objects), no document may disappear,
# and a final uninterrupted ingest must leave every file present exactly
# once.  Then a flipped byte in one object must be found by verify.
#
# The kill moments are random fractions of the time an uninterrupted
# ingest of the same tree takes (measured first, into another store);
# set DG_CRASH_SEED to replay a run's delays.  Nothing here is a time
# limit: a slow machine only moves the kills earlier in the work.
. "$DG_SRCDIR/tests/lib.sh"

for tool in jq awk sha256sum od dd cmp; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done

N=${DG_CRASH_FILES:-2000}
KILLS=${DG_CRASH_KILLS:-5}
SEED=${DG_CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# $N files, $KILLS kills, seed $SEED (DG_CRASH_SEED=$SEED to replay)"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
doc_count() { dangan ls --json | jq length; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }

# ---- N distinct text files of 1-4 KiB in 20 directories -----------------
T="$WORK/tree"
awk -v n="$N" -v dir="$T" 'BEGIN {
	srand(20261122)
	split("archive record ledger folio 档案 记录 文件 保存 manuscript letter deed charter 编号 卷宗 index register", w, " ")
	for (i = 0; i < n; i++) {
		d = sprintf("%s/d%02d", dir, int(i / 100))
		if (i % 100 == 0) system("mkdir -p \"" d "\"")
		f = sprintf("%s/f%05d.txt", d, i)
		size = 1024 + int(rand() * 3072)
		s = sprintf("document %d unique token crashtok%05dz\n", i, i)
		while (length(s) < size) s = s w[1 + int(rand() * 16)] (rand() < 0.1 ? "\n" : " ")
		printf "%s\n", s > f
		close(f)
	}
}'
T=$(cd "$T" && pwd -P)
(cd "$T" && find . -type f -name '*.txt' | sort | xargs sha256sum) >"$WORK/files.sha"
cut -d' ' -f1 "$WORK/files.sha" | sort -u >"$WORK/expected.ids"
is "$(wc -l <"$WORK/expected.ids")" "$N" "$N files with distinct content"

# ---- calibration: one uninterrupted ingest into another store -------------
t0=$(now_ms)
dangan -q --store "$WORK/calib" ingest "$T"
is "$?" 0 "calibration ingest (separate store) exits 0"
t1=$(now_ms)
FULL_MS=$((t1 - t0))
[ "$FULL_MS" -gt 0 ] || FULL_MS=1
echo "# an uninterrupted ingest of $N files takes ${FULL_MS} ms"
rm -rf "$WORK/calib"

# ---- kill -9 at random moments ----------------------------------------------
check "init" dangan init
prev=0
killed=0
run=0
while [ "$killed" -lt "$KILLS" ] && [ "$run" -lt $((KILLS * 4)) ]; do
	run=$((run + 1))
	k=$((killed + 1))
	# stratified: kill k lands in [(k-1)/KILLS, k/KILLS) of the full time,
	# so the kills spread from the first batch to the last
	delay=$(awk -v s="$SEED" -v r="$run" -v k="$k" -v n="$KILLS" -v ms="$FULL_MS" \
		'BEGIN { srand(s + r); printf "%.3f", ((k - 1) + rand()) / n * ms / 1000 }')
	"$DANGAN" -q ingest "$T" >"$WORK/killed.out" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	st=$?
	if [ "$st" -eq 137 ]; then # 128 + SIGKILL
		killed=$k
		how="killed (kill $k)"
	else
		# it finished first: the machine is faster now than when
		# calibrated, aim earlier
		FULL_MS=$(awk -v d="$delay" 'BEGIN { printf "%d", d * 1000 * 3 / 4 + 1 }')
		how="had already finished (exit $st); now assuming a full run takes ${FULL_MS} ms"
	fi
	echo "# run $run: kill -9 after ${delay}s: $how"
	dangan verify >"$WORK/verify.out" 2>&1
	rc=$?
	ok "$rc" "verify exits 0 after run $run (exit $rc)"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$WORK/verify.out" | head -20
	sed -n 's/^verify: \(.*objects.*\)/#   \1/p' "$WORK/verify.out"
	n=$(doc_count)
	echo "#   $n documents in the catalog"
	[ "$n" -ge "$prev" ] && [ "$n" -le "$N" ]
	ok $? "after run $run: $n documents, none lost (was $prev), at most $N"
	dangan ls --json | jq -r '.[].id' | sed 's/^sha256://' | sort >"$WORK/partial.ids"
	is "$(comm -23 "$WORK/partial.ids" "$WORK/expected.ids" | wc -l)" 0 "after run $run: every id is the sha256 of one of the files"
	prev=$n
done
is "$killed" "$KILLS" "$KILLS ingests were killed with kill -9 while running"

# ---- a last ingest to the end -------------------------------------------------
dangan ingest --json "$T" >"$WORK/final.json" 2>"$WORK/final.err"
is "$?" 0 "final uninterrupted ingest exits 0"
is "$(jq -r 'select(.summary) | .summary.new + .summary.duplicates' "$WORK/final.json")" "$N" "final ingest: new + duplicate = $N"
is "$(jq -r 'select(.summary) | .summary.new' "$WORK/final.json")" "$((N - prev))" "final ingest: new = the documents missing before it"
is "$(doc_count)" "$N" "ls --json: exactly $N documents"
dangan ls --json | jq -r '.[].id' | sed 's/^sha256://' | sort >"$WORK/final.ids"
cmp -s "$WORK/final.ids" "$WORK/expected.ids"
ok $? "the set of ids equals the set of sha256sum of the files"
[ -z "$(ls -A "$STORE/objects/tmp" 2>/dev/null)" ]
ok $? "no temp objects left in objects/tmp"
[ ! -e "$STORE/journal" ]
ok $? "no journal left"
dangan verify --json >"$WORK/verify.json"
is "$?" 0 "verify exits 0 at the end"
is "$(jq -r .documents "$WORK/verify.json")" "$N" "verify counts $N documents"
echo "# verify: $(jq -c 'del(.problems)' "$WORK/verify.json")"

# a sample of files: search finds each by its unique token, show by id
bad_search=0
bad_show=0
bad_cat=0
for i in 0 1 99 100 777 1234 1500 $((N - 1)) $(awk -v s="$SEED" -v n="$N" 'BEGIN { srand(s); for (j = 0; j < 6; j++) printf "%d ", int(rand() * n) }'); do
	[ "$i" -lt "$N" ] || continue
	f=$(printf 'd%02d/f%05d.txt' $((i / 100)) "$i")
	id=$(sha "$T/$f")
	got=$(dangan search --json "$(printf 'crashtok%05dz' "$i")" | jq -r '.[].id')
	[ "$got" = "sha256:$id" ] || { bad_search=$((bad_search + 1)); echo "#   search for file $i found '$got'"; }
	got=$(dangan show "$id" --json | jq -r '.document.metadata["source.path"][0]')
	[ "$got" = "$T/$f" ] || { bad_show=$((bad_show + 1)); echo "#   show $id: source.path '$got'"; }
	dangan cat "$id" | cmp -s - "$T/$f" || { bad_cat=$((bad_cat + 1)); echo "#   cat $id differs from $f"; }
done
is "$bad_search" 0 "search finds each sampled file by its token, exactly once"
is "$bad_show" 0 "show gives each sampled file's source.path"
is "$bad_cat" 0 "cat gives each sampled file's bytes"

# ---- one flipped byte in one object -----------------------------------------------
VICTIM=$(sha "$T/d12/f01234.txt")
OBJ="$STORE/objects/$(printf '%s' "$VICTIM" | cut -c1-2)/$(printf '%s' "$VICTIM" | cut -c3-)"
ok "$(test -f "$OBJ"; echo $?)" "the object of a document is at objects/xx/..."
is "$(stat -c %a "$OBJ")" 444 "objects are read-only (0444)"
# flip a byte in a copy, then put the copy in place of the object
cp "$OBJ" "$WORK/obj.copy"
chmod u+w "$WORK/obj.copy"
byte=$(od -An -j 100 -N1 -tu1 "$WORK/obj.copy" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$WORK/obj.copy" bs=1 seek=100 conv=notrunc 2>/dev/null
chmod 0444 "$WORK/obj.copy"
cmp -s "$WORK/obj.copy" "$OBJ"
ok $((!$?)) "the copy differs by one byte"
chmod u+w "$OBJ" 2>/dev/null
mv -f "$WORK/obj.copy" "$OBJ"
check_fails "verify exits 1 on a corrupt object" 1 dangan verify
cat "$WORK/out" "$WORK/err" | grep -q "$VICTIM"
ok $? "verify names the corrupt object's id"
sed 's/^/#   /' "$WORK/err" | head -5
dangan verify --json >"$WORK/verify.json"
is "$?" 1 "verify --json exits 1"
is "$(jq -r .ok "$WORK/verify.json")" false "verify --json: ok is false"
jq -r '.problems[].id // empty' "$WORK/verify.json" | grep -q "$VICTIM"
ok $? "verify --json: a problem's id is the corrupt object"
is "$(jq -r '.errors' "$WORK/verify.json")" "$(jq -r '.problems | length' "$WORK/verify.json")" "verify --json: errors = number of problems listed"

done_testing
