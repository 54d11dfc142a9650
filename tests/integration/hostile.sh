#!/bin/sh
# Hostile input through the real command: every archive of the malformed
# corpus (path traversal, symlink tricks, malformed tar/zip/7z/rar,
# recursive gzip) is ingested, every malformed XML file is offered as a
# config.  Each is refused or quarantined with a reason, nothing crashes,
# nothing is written outside the store, the store verifies.
. "$DG_SRCDIR/tests/lib.sh"

corpus="$DG_TEST_DATA/malformed"
in="$WORK/in"
mkdir -p "$in" "$WORK/cwd" "$WORK/tmp"
# flat copy: one file per input, names made unique
n=0
for f in $(find "$corpus/archives" -type f | sort); do
	n=$((n + 1))
	cp "$f" "$in/$n-$(basename "$f")"
done
ok "$([ "$n" -gt 250 ]; echo $?)" "hostile archives found ($n)"
touch "$WORK/marker"
sleep 1

# a hang guard, not a performance check: a hang would otherwise block CI
(cd "$WORK/cwd" && TMPDIR="$WORK/tmp" timeout 900 "$DANGAN" -q ingest --json -j 2 "$in" >"$WORK/ingest.json" 2>"$WORK/ingest.err")
rc=$?
ok "$([ $rc -eq 0 ] || [ $rc -eq 1 ]; echo $?)" "ingest of the hostile corpus finished without a fatal error (exit $rc)"

top=$(grep -c '"depth":0' "$WORK/ingest.json")
is "$top" "$n" "every input is accounted for: committed or quarantined"
q=$(grep '"depth":0' "$WORK/ingest.json" | grep -c '"outcome":"quarantined"')
noreason=$(grep '"outcome":"quarantined"' "$WORK/ingest.json" | grep -vc '"reason":"')
is "$noreason" 0 "every quarantined document has a reason ($q quarantined)"
ok "$([ "$q" -gt 0 ]; echo $?)" "malformed archives are quarantined"
grep -q 'decompression\|ratio\|layers' "$WORK/ingest.json"; ok $? "a decompression bomb is stopped and reported"

check "quarantine ls --json" dangan quarantine ls --json
qls=$(grep -c '"reason":' "$WORK/out")
is "$qls" "$q" "the quarantine lists each with its reason"

# refused entries are recorded on their archive
grep -l 'zip-slip' "$WORK/ingest.json" >/dev/null
slip=$(sha256sum "$in"/*-zip-slip.zip | cut -c1-16)
check "show the zip-slip archive" dangan show --json "$slip"
grep -q '"archive.refused":\[' "$WORK/out"; ok $? "zip-slip: the ../ entry is refused and recorded"
grep -q 'good.txt' "$WORK/out"; ok $? "zip-slip: the good entry is kept"

# nothing outside the store
outside=$(find "$WORK" -newer "$WORK/marker" -type f ! -path "$STORE/*" ! -name 'ingest.*' ! -name marker ! -name out ! -name err)
is "$outside" "" "nothing written outside the store"
is "$(ls -A "$WORK/cwd")" "" "nothing written in the working directory"
is "$(ls -A "$WORK/tmp")" "" "nothing left in TMPDIR"
for p in /tmp/moo /tmp/evil.txt "$WORK/moo" "$WORK/evil.txt"; do
	[ -e "$p" ] && [ "$p" -nt "$WORK/marker" ] && ok 1 "traversal target $p created"
done
ok 0 "no traversal target created"

check "verify after the hostile corpus" dangan verify

# every malformed XML file as a configuration: refused with a message
refused=0 total=0 crashed=0
for f in $(find "$corpus/xml" -type f | sort); do
	total=$((total + 1))
	timeout 60 "$DANGAN" config check "$f" >"$WORK/o" 2>"$WORK/e"
	rc=$?
	[ $rc -ge 124 ] && crashed=$((crashed + 1))
	[ $rc -eq 3 ] && [ -s "$WORK/e" ] && refused=$((refused + 1))
done
is "$crashed" 0 "no malformed config crashes or hangs the command"
is "$refused" "$total" "all $total malformed XML configs refused with a message"
"$DANGAN" config check "$corpus/xml/libxml2_recurse/lol_classic.xml" 2>"$WORK/e"
grep -q 'DOCTYPE' "$WORK/e"; ok $? "billion laughs: refused at the DOCTYPE"
done_testing
