#!/bin/sh
# ingest.sh -- the real command on a real tree: UTF-8 and GB18030
# Chinese text, HTML, a zip and a tar.gz with entries, an empty file, a
# nested directory, a duplicate file, a symlink out of the tree (skipped),
# two documents whose ids share a 4-digit prefix.  Checks what ls, show,
# cat, search, verify, stats, plugins, config and the usage errors say,
# that a second ingest only makes versions, and that the originals on
# disk are left alone.
. "$DG_SRCDIR/tests/lib.sh"

for tool in jq zip tar gzip iconv sha256sum cmp; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done

sha() { sha256sum <"$1" | cut -d' ' -f1; }
# ids (bare hex, sorted) found by a search
search_ids() { dangan search --json "$@" 2>/dev/null | jq -r '.[].id' | sed 's/^sha256://' | sort; }
contains_line() { printf '%s\n' "$1" | grep -qx "$2"; } # contains_line LIST LINE

# ---- the tree ------------------------------------------------------------
T="$WORK/tree"
mkdir -p "$T/sub/deeper/deepest" "$WORK/zsrc/inner" "$WORK/tsrc/dir"

cat >"$T/utf8.txt" <<'EOF'
Digital preservation notes.
电子档案的长期保存需要可靠的存储和完整性校验。
The xylophonist archived every recording.
EOF
# GB18030 bytes (not valid UTF-8): the text part must come out as UTF-8
printf '%s\n' '古籍数字化项目：鲸鱼骨骼标本的照片与说明。' | iconv -f UTF-8 -t GB18030 >"$T/gb18030.txt"
cat >"$T/page.html" <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Museum page</title></head>
<body><h1>Collection</h1><p>The hippopotamus skull, 河马头骨, was catalogued in 1921.</p></body></html>
EOF
: >"$T/empty"
printf 'nested file deep in the tree: quokka\n' >"$T/sub/deeper/deepest/nested.txt"
# same bytes as utf8.txt: one document, two versions, never two documents
cp "$T/utf8.txt" "$T/sub/copy-of-utf8.txt"

# a zip with an entry in a subdirectory; entries not elsewhere in the tree
printf 'zip entry alpha: wombat 袋熊 lives here\n' >"$WORK/zsrc/alpha.txt"
printf 'zip entry beta, inner directory: platypus 鸭嘴兽\n' >"$WORK/zsrc/inner/beta.txt"
(cd "$WORK/zsrc" && zip -q -r "$T/docs.zip" alpha.txt inner)
printf 'tar entry gamma: narwhal 独角鲸\n' >"$WORK/tsrc/gamma.txt"
printf 'tar entry delta: axolotl 美西螈\n' >"$WORK/tsrc/dir/delta.txt"
tar -C "$WORK/tsrc" -czf "$T/bundle.tar.gz" gamma.txt dir

# two files whose ids share their first 4 hex digits (birthday search
# over fixed candidates: deterministic, and among 1500 a collision in
# 65536 prefixes is certain)
mkdir "$WORK/cand"
i=0
while [ $i -lt 1500 ]; do
	printf 'prefix collision candidate %d\n' $i >"$WORK/cand/$i"
	i=$((i + 1))
done
(cd "$WORK/cand" && sha256sum -- *) | awk '{ p = substr($1, 1, 4); if (p in seen) { print seen[p], $2, p; exit } seen[p] = $2 }' >"$WORK/pair"
read -r C1 C2 AMBIG <"$WORK/pair"
cp "$WORK/cand/$C1" "$T/sub/collide-a.txt"
cp "$WORK/cand/$C2" "$T/sub/collide-b.txt"

# a symlink to a file outside the tree: skipped, never ingested
printf 'outside the tree: capybara\n' >"$WORK/outside.txt"
ln -s ../outside.txt "$T/link-outside"

T=$(cd "$T" && pwd -P)
# 13 documents: the 9 distinct regular files of the tree (the copy is
# the same document as utf8.txt; the zip and tar.gz count) and the 4
# archive entries
(cd "$T" && find . -type f | sort | xargs sha256sum) >"$WORK/before.sha"
(cd "$T" && find . -printf '%p %y %s %m %T@\n' | sort) >"$WORK/before.stat"
{
	cut -d' ' -f1 "$WORK/before.sha"
	for f in "$WORK/zsrc/alpha.txt" "$WORK/zsrc/inner/beta.txt" "$WORK/tsrc/gamma.txt" "$WORK/tsrc/dir/delta.txt"; do sha "$f"; done
} | sort -u >"$WORK/expected.ids"
NDOCS=$(wc -l <"$WORK/expected.ids")
is "$NDOCS" 13 "the tree makes 13 distinct documents"

# ---- init, ingest -----------------------------------------------------------
check "init creates the store" dangan init
ok "$(test -f "$STORE/config.xml" && test -d "$STORE/objects" && test -d "$STORE/refs"; echo $?)" "store has config.xml, objects/, refs/"

dangan ingest --json "$T" >"$WORK/ingest1.json" 2>"$WORK/ingest1.err"
is "$?" 0 "first ingest exits 0"
grep -q 'link-outside' "$WORK/ingest1.err"
ok $? "the symlink out of the tree is reported as skipped"
sed 's/^/#   /' "$WORK/ingest1.err"
is "$(jq -r 'select(.summary) | .summary.new' "$WORK/ingest1.json")" "$NDOCS" "summary: every distinct document is new"
is "$(jq -r 'select(.summary) | .summary.quarantined' "$WORK/ingest1.json")" 0 "summary: nothing quarantined"
is "$(jq -r 'select(.outcome == "new") | .id' "$WORK/ingest1.json" | sort | uniq -d | wc -l)" 0 "no id reported new twice"
is "$(jq -r 'select(.outcome) | .outcome' "$WORK/ingest1.json" | grep -cvx 'new\|duplicate')" 0 "every per-document line is new or duplicate"
is "$(jq -r 'select(.outcome == "duplicate") | .source' "$WORK/ingest1.json" | grep -c 'utf8')" 1 "the copy of utf8.txt is a duplicate, not a new document"
jq -r 'select(.source) | .source' "$WORK/ingest1.json" | grep -q 'outside\|link-outside'
ok $((!$?)) "nothing from outside the tree was ingested"

# ---- ls ----------------------------------------------------------------------
dangan ls --json >"$WORK/ls.json"
is "$?" 0 "ls --json exits 0"
is "$(jq length "$WORK/ls.json")" "$NDOCS" "ls --json lists $NDOCS documents"
jq -r '.[].id' "$WORK/ls.json" | sed 's/^sha256://' | sort >"$WORK/ls.ids"
cmp -s "$WORK/ls.ids" "$WORK/expected.ids"
ok $? "the ids are the sha256 of the original bytes"
is "$(dangan ls | wc -l)" "$NDOCS" "ls (text) prints one line per document"
is "$(dangan ls --json --limit 3 | jq length)" 3 "ls --limit 3"
OUTSIDE=$(sha "$WORK/outside.txt")
contains_line "$(cat "$WORK/ls.ids")" "$OUTSIDE"
ok $((!$?)) "the symlink target is not in the store"

# ---- show ------------------------------------------------------------------
UTF8=$(sha "$T/utf8.txt")
GB=$(sha "$T/gb18030.txt")
HTML=$(sha "$T/page.html")
EMPTY=$(sha "$T/empty")
NESTED=$(sha "$T/sub/deeper/deepest/nested.txt")
ZIP=$(sha "$T/docs.zip")
TGZ=$(sha "$T/bundle.tar.gz")
ALPHA=$(sha "$WORK/zsrc/alpha.txt")
BETA=$(sha "$WORK/zsrc/inner/beta.txt")
GAMMA=$(sha "$WORK/tsrc/gamma.txt")
DELTA=$(sha "$WORK/tsrc/dir/delta.txt")

dangan show "$UTF8" --json >"$WORK/show.json"
is "$?" 0 "show ID --json exits 0"
D='.document'
is "$(jq -r "$D.id" "$WORK/show.json")" "sha256:$UTF8" "show: id"
is "$(jq -r "$D.media_type" "$WORK/show.json")" "text/plain" "show: media type text/plain"
is "$(jq -r "$D.parts[] | select(.role == \"original\") | .digest" "$WORK/show.json")" "sha256:$UTF8" "show: original part digest is the id"
is "$(jq -r "$D.parts[] | select(.role == \"original\") | .size" "$WORK/show.json")" "$(wc -c <"$T/utf8.txt")" "show: original part size"
is "$(jq -r "[$D.parts[] | select(.role == \"text\")] | length" "$WORK/show.json")" 1 "show: a text part"
jq -r "$D.metadata[\"source.path\"][]" "$WORK/show.json" >"$WORK/paths"
grep -qx "$T/utf8.txt\|$T/sub/copy-of-utf8.txt" "$WORK/paths"
ok $? "show: metadata source.path is the file's path"
is "$(jq -r "$D.metadata[\"text.charset\"][0]" "$WORK/show.json")" "UTF-8" "show: text.charset UTF-8"
is "$(jq -r '[.document] + (.history // []) | length' "$WORK/show.json")" 2 "show: the duplicate file made a second version"
is "$(jq -r "[$D.events[] | select(.type == \"ingest\")] | length" "$WORK/show.json")" 1 "show: one ingest event in the current version"
is "$(jq -r "$D.events[] | select(.type == \"stage\" and .stage == \"text\") | .outcome" "$WORK/show.json")" "ok" "show: text stage event ok"
jq -r '[.document] + (.history // []) | .[].events[] | select(.type == "ingest") | .outcome' "$WORK/show.json" | sort | tr '\n' ' ' >"$WORK/outc"
is "$(cat "$WORK/outc")" "duplicate ok " "show: versions record one ingest ok and one duplicate"

dangan show --json "$NESTED" >"$WORK/show.json"
is "$(jq -r "$D.metadata[\"source.path\"][0]" "$WORK/show.json")" "$T/sub/deeper/deepest/nested.txt" "show: nested file's source.path"
is "$(jq -r "$D.metadata[\"source.relpath\"][0]" "$WORK/show.json")" "sub/deeper/deepest/nested.txt" "show: nested file's source.relpath"

dangan show --json "$EMPTY" >"$WORK/show.json"
is "$(jq -r "$D.parts[] | select(.role == \"original\") | .size" "$WORK/show.json")" 0 "show: empty file has a 0-byte original"
is "$EMPTY" e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 "empty file id is sha256 of nothing"

dangan show --json "$GB" >"$WORK/show.json"
jq -r "$D.metadata[\"text.charset\"][0]" "$WORK/show.json" | grep -qi 'gb18030\|gbk\|gb2312'
ok $? "show: GB18030 file's charset detected ($(jq -r "$D.metadata[\"text.charset\"][0]" "$WORK/show.json"))"

dangan show --json "$HTML" >"$WORK/show.json"
is "$(jq -r "$D.media_type" "$WORK/show.json")" "text/html" "show: HTML media type"
is "$(jq -r "[$D.parts[] | select(.role == \"text\")] | length" "$WORK/show.json")" 1 "show: HTML has a text part"
is "$(jq -r '.[] | select(.id == "sha256:'"$HTML"'") | .title' "$WORK/ls.json")" "Museum page" "ls: HTML title"

# archive -> entries (contains) and entries -> archive (contained-in)
dangan show "$ZIP" --json >"$WORK/show.json"
is "$(jq -r "$D.media_type" "$WORK/show.json")" "application/zip" "show: zip media type"
is "$(jq -r "$D.events[] | select(.stage == \"unpack\") | .outcome" "$WORK/show.json")" "ok" "show: zip unpack stage ok"
is "$(jq -r "$D.relations[] | select(.kind == \"contains\") | .target" "$WORK/show.json" | sort | tr '\n' ' ')" \
	"$(printf 'sha256:%s\n' "$ALPHA" "$BETA" | sort | tr '\n' ' ')" "show: zip contains its two entries"
is "$(jq -r "$D.relations[] | select(.target == \"sha256:$BETA\") | .label" "$WORK/show.json")" "inner/beta.txt" "show: contains label is the entry path"
for e in "$ALPHA" "$BETA"; do
	dangan show --json "$e" >"$WORK/show.json"
	is "$(jq -r "$D.relations[] | select(.kind == \"contained-in\") | .target" "$WORK/show.json")" "sha256:$ZIP" "show: zip entry ${e%"${e#????????}"} contained-in the zip"
done
is "$(jq -r "$D.metadata[\"archive.path\"][0]" "$WORK/show.json")" "inner/beta.txt" "show: zip entry's archive.path"
dangan show --json "$TGZ" >"$WORK/show.json"
is "$(jq -r "$D.relations[] | select(.kind == \"contains\") | .target" "$WORK/show.json" | sort | tr '\n' ' ')" \
	"$(printf 'sha256:%s\n' "$GAMMA" "$DELTA" | sort | tr '\n' ' ')" "show: tar.gz contains its two entries"
dangan show --json "$DELTA" >"$WORK/show.json"
is "$(jq -r "$D.relations[] | select(.kind == \"contained-in\") | .target" "$WORK/show.json")" "sha256:$TGZ" "show: tar entry contained-in the tar.gz"
check "show (text) of the zip" dangan show "$ZIP"
grep -q "contains" "$WORK/out"
ok $? "show (text) lists the relations"

# ---- cat -----------------------------------------------------------------------
bad=0
for f in $(cd "$T" && find . -type f | sort); do
	if ! dangan cat "$(sha "$T/$f")" >"$WORK/cat.out" || ! cmp -s "$WORK/cat.out" "$T/$f"; then
		echo "#   cat differs for $f"
		bad=$((bad + 1))
	fi
done
is "$bad" 0 "cat ID is bit-exact with every original file (binary archives and the empty file too)"
dangan cat "$BETA" >"$WORK/cat.out"
cmp -s "$WORK/cat.out" "$WORK/zsrc/inner/beta.txt"
ok $? "cat of a zip entry is bit-exact with the entry"
dangan cat "$DELTA" >"$WORK/cat.out"
cmp -s "$WORK/cat.out" "$WORK/tsrc/dir/delta.txt"
ok $? "cat of a tar.gz entry is bit-exact with the entry"

check "cat ID --part text (GB18030 file)" dangan cat "$GB" --part text
grep -qF '鲸鱼骨骼标本' "$WORK/out"
ok $? "the GB18030 file's text part is UTF-8 and has the text"
check "cat --part text (HTML)" dangan cat --part text "$HTML"
grep -qF 'hippopotamus skull, 河马头骨' "$WORK/out"
ok $? "the HTML text part has the body text"
grep -q '<p>\|<title>' "$WORK/out"
ok $((!$?)) "the HTML text part has no markup"
check_fails "cat --part of a missing role fails with 1" 1 dangan cat --part no-such-role "$UTF8"

# ---- search --------------------------------------------------------------------
is "$(search_ids 鲸鱼)" "$GB" "search: 2 Chinese characters (in the GB18030 file)"
is "$(search_ids 长期保存)" "$UTF8" "search: 4 Chinese characters"
is "$(search_ids 河马)" "$HTML" "search: 2 Chinese characters in HTML"
is "$(search_ids xylophonist)" "$UTF8" "search: an English word"
is "$(search_ids hippopotamus)" "$HTML" "search: an English word in HTML"
is "$(search_ids 鸭嘴兽)" "$BETA" "search: 3 Chinese characters in a zip entry"
is "$(search_ids narwhal)" "$GAMMA" "search: a word in a tar.gz entry"
is "$(search_ids quokka)" "$NESTED" "search: a word in the nested file"
check "search QUERY --json (options after the query)" dangan search 鲸鱼 --json
is "$(jq -r '.[0].id' "$WORK/out")" "sha256:$GB" "search QUERY --json finds the document"
check_fails "search for a word that is nowhere exits 1" 1 dangan search zebracornflake
check_fails "search for text outside the tree exits 1" 1 dangan search capybara

# ---- ids and prefixes ------------------------------------------------------------
P=$(printf '%s' "$ZIP" | cut -c1-8)
check "show with an 8-digit unique prefix" dangan show --json "$P"
is "$(jq -r '.document.id' "$WORK/out")" "sha256:$ZIP" "the prefix resolves to the right document"
P=$(printf '%s' "$HTML" | cut -c1-4)
if [ "$(grep -c "^$P" "$WORK/ls.ids")" -eq 1 ]; then
	check "show with a 4-digit unique prefix" dangan show "$P"
else
	ok 0 "show with a 4-digit unique prefix # SKIP prefix not unique"
fi
check "show sha256:FULLID" dangan show "sha256:$UTF8"
check "cat with a unique prefix" dangan cat "$(printf '%s' "$GAMMA" | cut -c1-10)"
cmp -s "$WORK/out" "$WORK/tsrc/gamma.txt"
ok $? "cat with a prefix gives the right bytes"
is "$(grep -c "^$AMBIG" "$WORK/ls.ids")" 2 "two documents share the prefix $AMBIG"
check_fails "show with an ambiguous prefix exits 1" 1 dangan show "$AMBIG"
grep -qi 'ambiguous\|several\|more than one' "$WORK/err"
ok $? "the ambiguous prefix is reported as such"
check_fails "cat with an ambiguous prefix exits 1" 1 dangan cat "$AMBIG"
check "show with a longer prefix of one of them" dangan show "$(sha "$T/sub/collide-a.txt" | cut -c1-12)"
U=
for p in 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999 aaaa bbbb cccc dddd eeee ffff; do
	if ! grep -q "^$p" "$WORK/ls.ids"; then U=$p; break; fi
done
check_fails "show with an unknown prefix exits 1" 1 dangan show "$U"
check_fails "cat with an unknown prefix exits 1" 1 dangan cat "$U"
check_fails "show with an unknown full id exits 1" 1 dangan show "sha256:$OUTSIDE"
check_fails "show with a non-hex id exits 1" 1 dangan show "zzzz"

# ---- a second ingest of the same tree ---------------------------------------------
dangan ingest --json "$T" >"$WORK/ingest2.json" 2>/dev/null
is "$?" 0 "second ingest exits 0"
is "$(jq -r 'select(.outcome) | .outcome' "$WORK/ingest2.json" | sort -u | tr '\n' ' ')" "duplicate " "second ingest: every document is a duplicate"
is "$(jq -r 'select(.summary) | .summary.new' "$WORK/ingest2.json")" 0 "second ingest: summary new 0"
# a duplicate archive is not unpacked again (its entries are already
# documents), so the duplicates are the regular files of the tree
is "$(jq -r 'select(.summary) | .summary.duplicates' "$WORK/ingest2.json")" "$(wc -l <"$WORK/before.sha")" "second ingest: one duplicate per regular file of the tree"
is "$(dangan ls --json | jq length)" "$NDOCS" "document count unchanged after the second ingest"
dangan ls --json | jq -r '.[].id' | sed 's/^sha256://' | sort >"$WORK/ls2.ids"
cmp -s "$WORK/ls2.ids" "$WORK/expected.ids"
ok $? "same ids after the second ingest"
is "$(dangan show --json "$ZIP" | jq '[.document] + (.history // []) | length')" 2 "the zip now has two versions"
is "$(search_ids 长期保存)" "$UTF8" "search still finds one document, not one per version"

# ---- verify, stats --------------------------------------------------------------------
check "verify is clean (exit 0)" dangan verify
grep -q 'store is consistent' "$WORK/out"
ok $? "verify says the store is consistent"
dangan verify --json >"$WORK/verify.json"
is "$?" 0 "verify --json exits 0"
is "$(jq -r '.ok' "$WORK/verify.json")" true "verify --json: ok"
is "$(jq -r '.errors' "$WORK/verify.json")" 0 "verify --json: 0 errors"
is "$(jq -r '.documents' "$WORK/verify.json")" "$NDOCS" "verify --json: $NDOCS documents"
is "$(jq -r '.unreferenced' "$WORK/verify.json")" 0 "verify --json: no unreferenced objects"

dangan stats --json >"$WORK/stats.json"
is "$?" 0 "stats --json exits 0"
is "$(jq -r '.documents' "$WORK/stats.json")" "$NDOCS" "stats: document count"
is "$(jq -r '.quarantined' "$WORK/stats.json")" 0 "stats: nothing quarantined"
is "$(jq -r '.media_types["application/zip"]' "$WORK/stats.json")" 1 "stats: one zip"
is "$(jq -r '.media_types["text/html"]' "$WORK/stats.json")" 1 "stats: one HTML"
is "$(jq -r '[.media_types[]] | add' "$WORK/stats.json")" "$NDOCS" "stats: media type counts add up"
total=$(cat "$T/utf8.txt" "$T/gb18030.txt" "$T/page.html" "$T/empty" "$T/sub/deeper/deepest/nested.txt" \
	"$T/docs.zip" "$T/bundle.tar.gz" "$T/sub/collide-a.txt" "$T/sub/collide-b.txt" "$WORK/zsrc/alpha.txt" \
	"$WORK/zsrc/inner/beta.txt" "$WORK/tsrc/gamma.txt" "$WORK/tsrc/dir/delta.txt" | wc -c)
is "$(jq -r '.bytes' "$WORK/stats.json")" "$total" "stats: bytes is the sum of the distinct originals"
check "stats (text)" dangan stats

# ---- originals on disk unchanged -------------------------------------------------
(cd "$T" && find . -type f | sort | xargs sha256sum) >"$WORK/after.sha"
cmp -s "$WORK/before.sha" "$WORK/after.sha"
ok $? "originals unchanged (sha256sum before/after)"
(cd "$T" && find . -printf '%p %y %s %m %T@\n' | sort) >"$WORK/after.stat"
cmp -s "$WORK/before.stat" "$WORK/after.stat"
ok $? "tree unchanged: same entries, sizes, modes, mtimes"
is "$(cat "$WORK/outside.txt")" "outside the tree: capybara" "the symlink target is untouched"

# ---- plugins, config, help, usage -------------------------------------------------
check "plugins ls" dangan plugins ls
for p in file archive text; do
	grep -q "^$p " "$WORK/out"
	ok $? "plugins ls lists $p"
done
dangan plugins ls --json >"$WORK/pl.json"
is "$(jq -r '.[].name' "$WORK/pl.json" | sort | tr '\n' ' ')" "archive bagit carrier classify eark eep email file imap learned mailbox ocfl ocr prep scan text " "plugins ls --json"
check "plugins show archive" dangan plugins show archive
grep -q 'max-entries' "$WORK/out"
ok $? "plugins show lists the options"
check_fails "plugins show of an unknown plugin exits 1" 1 dangan plugins show no-such-plugin

check "config check (the store's copy of the default)" dangan config check
check "config check on the installed default config" dangan config check "$DANGAN_DATADIR/dangan.xml"
cmp -s "$STORE/config.xml" "$DANGAN_DATADIR/dangan.xml"
ok $? "init copied the default config"
sed 's/plugin="text"/plugin="no-such-plugin"/' "$DANGAN_DATADIR/dangan.xml" >"$WORK/bad.xml"
check_fails "config check on a config naming an unknown plugin exits 3" 3 dangan config check "$WORK/bad.xml"
printf '<dangan xmlns="urn:dangan:config:1"><pipeline>\n' >"$WORK/broken.xml"
check_fails "config check on malformed XML exits 3" 3 dangan config check "$WORK/broken.xml"

check "--help exits 0" dangan --help
grep -q '^Usage: dangan' "$WORK/out"
ok $? "--help prints the usage"
check "COMMAND --help exits 0" dangan ingest --help
check "--version exits 0" dangan --version
grep -q '^dangan ' "$WORK/out"
ok $? "--version prints the version"

check_fails "no command exits 2" 2 dangan
check_fails "unknown command exits 2" 2 dangan frobnicate
check_fails "unknown global option exits 2" 2 dangan --no-such-option ls
check_fails "unknown command option exits 2" 2 dangan ls --no-such-option
check_fails "ingest without a path exits 2" 2 dangan ingest
check_fails "ingest -j 0 exits 2" 2 dangan ingest -j 0 "$T"
check_fails "show without an id exits 2" 2 dangan show
check_fails "show with two ids exits 2" 2 dangan show "$UTF8" "$GB"
check_fails "cat without an id exits 2" 2 dangan cat
check_fails "search without a query exits 2" 2 dangan search
check_fails "ls --limit 0 exits 2" 2 dangan ls --limit 0
check_fails "ls with an argument exits 2" 2 dangan ls extra
check_fails "init with an argument exits 2" 2 dangan init extra
check_fails "config without check exits 2" 2 dangan config
check_fails "plugins with an unknown subcommand exits 2" 2 dangan plugins frob
check_fails "quarantine with an unknown subcommand exits 2" 2 dangan quarantine frob

# a store that is not there: a store error, not a crash
check_fails "ls on a missing store exits 3" 3 dangan --store "$WORK/no-such-store" ls
check_fails "ingest of a missing path exits 1" 1 dangan -q ingest "$WORK/no-such-file"
check "verify still clean at the end" dangan verify

done_testing
