#!/bin/sh
# A progress line (documents/s, bytes/s, failures) on a terminal; none
# when the output is piped, so scripts get clean output.
. "$DG_SRCDIR/tests/lib.sh"
command -v script >/dev/null || skip_all "script(1) (util-linux) is not installed"

mkdir -p "$WORK/in"
for i in 1 2 3 4 5 6 7 8 9 10; do echo "document $i" >"$WORK/in/$i.txt"; done
printf 'not a zip' >"$WORK/in/broken.zip"
printf 'PK\003\004broken' >>"$WORK/in/broken.zip"

script -qec "'$DANGAN' --store '$STORE' ingest '$WORK/in'" /dev/null >"$WORK/tty.out" 2>&1
grep -q 'docs/s' "$WORK/tty.out"; ok $? "on a terminal: a progress line with documents/s"
grep -q "$(printf '\r')" "$WORK/tty.out"; ok $? "on a terminal: the line is redrawn in place"
grep -q 'quarantined' "$WORK/tty.out"; ok $? "on a terminal: the failure count is shown"

rm -rf "$STORE"
"$DANGAN" --store "$STORE" ingest "$WORK/in" >"$WORK/pipe.out" 2>"$WORK/pipe.err"
grep -q "$(printf '\r')" "$WORK/pipe.err"; [ $? -ne 0 ]; ok $? "piped: no progress line"
grep -q 'ingest: 11 documents\|ingest: 10 documents' "$WORK/pipe.err"; ok $? "piped: one summary line"
"$DANGAN" --store "$STORE" -q ingest "$WORK/in" >"$WORK/q.out" 2>"$WORK/q.err"
is "$(cat "$WORK/q.err")" "" "quiet: nothing on stderr"
done_testing
