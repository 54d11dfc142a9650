#!/bin/sh
# A progress line (documents/s, bytes/s, failures) on a terminal; none
# when the output is piped, so scripts get clean output.
. "$DG_SRCDIR/tests/lib.sh"
command -v script >/dev/null || skip_all "script(1) (util-linux) is not installed"

mkdir -p "$WORK/in"
for i in 1 2 3 4 5 6 7 8 9 10; do echo "document $i" >"$WORK/in/$i.txt"; done
# a ZIP cut short: its one stored entry says 1200 bytes, 25 follow
printf 'PK\003\004\024\000\000\000\000\000\372\211w]\027\037\261\377\260\004\000\000\260\004\000\000\005\000\000\000a.txthello world hello world h' \
	>"$WORK/in/broken.zip"

script -qec "'$DANGAN' --store '$STORE' ingest '$WORK/in'" /dev/null >"$WORK/tty.out" 2>&1
grep -q 'docs/s' "$WORK/tty.out"; ok $? "on a terminal: a progress line with documents/s"
grep -q "$(printf '\r')" "$WORK/tty.out"; ok $? "on a terminal: the line is redrawn in place"
grep -q '1 quarantined' "$WORK/tty.out"; ok $? "on a terminal: the failure count is shown"

rm -rf "$STORE"
"$DANGAN" --store "$STORE" ingest "$WORK/in" >"$WORK/pipe.out" 2>"$WORK/pipe.err"
grep -q "$(printf '\r')" "$WORK/pipe.err"; [ $? -ne 0 ]; ok $? "piped: no progress line"
grep -q 'ingest: 10 documents (10 new, 0 duplicate), 1 quarantined' "$WORK/pipe.err"; ok $? "piped: one summary line"
"$DANGAN" --store "$STORE" -q ingest "$WORK/in" >"$WORK/q.out" 2>"$WORK/q.err"
is "$(cat "$WORK/q.err")" "" "quiet: nothing on stderr"
# a long document moves on the line: the page stages report each page
# (-j 1: one page after the other, each read long after the line was
# last drawn), and the line never runs past the terminal's width (a
# Chinese file name counts two columns a character), so that redrawing
# it in place works
why=
command -v python3 >/dev/null 2>&1 || why="python3 is needed to measure the line"
for p in scan prep ocr; do
	"$DANGAN" plugins show $p >/dev/null 2>&1 || why="the $p plugin is not built"
done
for l in chi_sim eng; do # the default pipeline's languages
	tesseract --list-langs 2>&1 | grep -qx "$l" || why="tesseract has no $l.traineddata"
done
if [ -z "$why" ]; then
	pdf="$WORK/客户档案扫描件第一盒.pdf"
	cp "$DG_TEST_DATA/ocr/zh-two-pages.pdf" "$pdf"
	for cols in 200 100; do
		rm -rf "$STORE"
		script -qec "stty cols $cols; '$DANGAN' --store '$STORE' ingest -j 1 '$pdf'" /dev/null >"$WORK/tty$cols.out" 2>&1
	done
	grep -q 'ocr 1/2 pages: 客户档案扫描件第一盒.pdf' "$WORK/tty200.out" &&
		grep -q 'ocr 2/2 pages: 客户档案扫描件第一盒.pdf' "$WORK/tty200.out"
	ok $? "a two-page PDF: the line shows its pages read, with its name"
	python3 - "$WORK/tty200.out" "$WORK/tty100.out" <<'PY'
import sys, unicodedata
for path, cols in zip(sys.argv[1:], (199, 99)):
    text = open(path, encoding="utf-8", errors="replace", newline="").read()
    lines = [l for l in text.replace("\x1b[K", "").split("\r") if "docs/s" in l and not l.startswith("ingest:")]
    widths = [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.strip("\n")) for l in lines]
    assert widths and max(widths) <= cols, (path, widths)
    assert "pages" not in lines[-1], lines[-1]  # the document is done: no stage on the line
PY
	ok $? "... every redraw within the terminal's width, the last one without the document"
	grep -q 'ocr 1/2 pages' "$WORK/tty100.out" && ! grep -q 'pages: 客户' "$WORK/tty100.out"
	ok $? "... a narrow terminal: the pages without the name that would not fit"
	# a file name is untrusted text: its control characters (here a
	# terminal title escape) are not sent to the terminal
	pdf="$WORK/$(printf 'box\033]0;owned\007.pdf')"
	cp "$DG_TEST_DATA/ocr/zh-two-pages.pdf" "$pdf"
	rm -rf "$STORE"
	script -qec "stty cols 200; '$DANGAN' --store '$STORE' ingest -j 1 '$pdf'" /dev/null >"$WORK/ttyesc.out" 2>&1
	grep -q 'ocr 2/2 pages: box?]0;owned?.pdf' "$WORK/ttyesc.out" && ! grep -q "$(printf '\033]')" "$WORK/ttyesc.out"
	ok $? "... a name with control characters is shown with ? in their place"
	# and so is the warning that names such a file when it is quarantined
	mkdir "$WORK/esc"
	printf '%%PDF-1.4\nbroken' >"$WORK/esc/$(printf 'bad\033]0;owned\007.pdf')"
	rm -rf "$STORE"
	"$DANGAN" --store "$STORE" ingest "$WORK/esc" >/dev/null 2>"$WORK/esc.err"
	grep -q 'bad?]0;owned?.pdf: quarantined' "$WORK/esc.err" && ! grep -q "$(printf '\033')" "$WORK/esc.err"
	ok $? "a quarantined file's name in a warning: its control characters shown as ?"
	script -qec "'$DANGAN' --store '$STORE' quarantine ls" /dev/null >"$WORK/qls.tty" 2>&1
	"$DANGAN" --store "$STORE" quarantine ls >"$WORK/qls.out"
	grep -q 'bad?]0;owned?.pdf' "$WORK/qls.tty" && ! grep -q "$(printf '\033')" "$WORK/qls.tty" &&
		grep -q "$(printf 'bad\033]0;owned\007.pdf')" "$WORK/qls.out"
	ok $? "... and in 'quarantine ls' on a terminal; redirected, the name is left as it is for scripts"
else
	for n in 1 2 3 4 5 6; do ok 0 "# SKIP $why"; done
fi
done_testing
