#!/bin/sh
# catalog-loss.sh -- the catalog (catalog.db) is an index that can be
# rebuilt from the store: delete it, run `reindex`, and the same
# documents, the same rows and the same search hits come back.  Without
# a reindex, a store whose catalog was deleted shows an empty catalog
# (ls lists nothing, search finds nothing), verify reports the catalog
# out of step with the store, and the documents are still there (refs
# and objects untouched); reindex restores everything.
. "$DG_SRCDIR/tests/lib.sh"

for tool in jq zip sha256sum cmp; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
done

sha() { sha256sum <"$1" | cut -d' ' -f1; }
search_ids() { dangan search --json --limit 10000 "$@" 2>/dev/null | jq -r '.[].id' | sort; }
# everything ls --json says of each document, sorted by id
ls_rows() { dangan ls --json | jq -c 'sort_by(.id) | .[]'; }
QUERIES="档案 长期保存 鲸鱼 platypus xylophonist 河马头骨 entry"
snapshot() { # snapshot NAME: ids, rows, search hits, stats
	dangan ls --json | jq -r '.[].id' | sort >"$WORK/$1.ids"
	ls_rows >"$WORK/$1.rows"
	: >"$WORK/$1.search"
	for q in $QUERIES; do
		printf '%s: %s\n' "$q" "$(search_ids "$q" | tr '\n' ' ')" >>"$WORK/$1.search"
	done
	dangan stats --json >"$WORK/$1.stats"
}
drop_catalog() { rm -f "$STORE/catalog.db" "$STORE/catalog.db-wal" "$STORE/catalog.db-shm" "$STORE/catalog.db-journal"; }

# ---- a tree ------------------------------------------------------------------
T="$WORK/tree"
mkdir -p "$T/sub" "$WORK/zsrc"
printf '电子档案的长期保存需要可靠的存储。\nThe xylophonist archived every recording.\n' >"$T/a.txt"
printf '古籍数字化项目：鲸鱼骨骼标本的照片。\n' | iconv -f UTF-8 -t GB18030 >"$T/sub/gb.txt" 2>/dev/null ||
	printf '古籍数字化项目：鲸鱼骨骼标本的照片。\n' >"$T/sub/gb.txt"
printf '<html><head><title>Museum</title></head><body><p>河马头骨 1921, 档案 no. 7</p></body></html>\n' >"$T/page.html"
printf 'zip entry: platypus 鸭嘴兽\n' >"$WORK/zsrc/one.txt"
printf 'zip entry: echidna 针鼹 档案\n' >"$WORK/zsrc/two.txt"
(cd "$WORK/zsrc" && zip -q "$T/sub/z.zip" one.txt two.txt)
: >"$T/empty"
i=0
while [ $i -lt 40 ]; do
	printf 'filler document %d with the word entry and 档案 %d\n' $i $i >"$T/sub/filler-$i.txt"
	i=$((i + 1))
done
NDOCS=$((4 + 2 + 1 + 40)) # a, gb, page, zip + 2 entries + empty + fillers

check "ingest" dangan -q ingest "$T"
# a second version of some documents, so the history is more than one deep
printf '电子档案的长期保存需要可靠的存储。\nThe xylophonist archived every recording.\n' >"$WORK/a-again.txt"
check "ingest of the same bytes again (a new version)" dangan -q ingest "$WORK/a-again.txt"
A=$(sha "$T/a.txt")
snapshot before
is "$(wc -l <"$WORK/before.ids")" "$NDOCS" "ls: $NDOCS documents"
ok "$(grep -c ': $' "$WORK/before.search" | grep -qx 0; echo $?)" "every query finds something before the loss"
sed 's/^/#   /' "$WORK/before.search" | cut -c1-150
dangan show --json "$A" >"$WORK/before.show"
is "$(jq '.history | length' "$WORK/before.show")" 1 "the document of a.txt has 2 versions"
check "verify clean before" dangan verify

# ---- delete the catalog, reindex ------------------------------------------------------
ok "$(test -f "$STORE/catalog.db"; echo $?)" "catalog.db exists"
drop_catalog
check "reindex after the catalog was deleted" dangan reindex
grep -q "reindexed $NDOCS documents" "$WORK/out"
ok $? "reindex says it indexed $NDOCS documents"
snapshot after
cmp -s "$WORK/before.ids" "$WORK/after.ids"
ok $? "same ids after reindex"
cmp -s "$WORK/before.search" "$WORK/after.search"
ok $? "same search hits after reindex"
diff "$WORK/before.search" "$WORK/after.search" | sed 's/^/#   /'
cmp -s "$WORK/before.rows" "$WORK/after.rows"
ok $? "same ls rows after reindex (manifest, type, size, name, path, title, status, ingested)"
diff "$WORK/before.rows" "$WORK/after.rows" | head -6 | cut -c1-300 | sed 's/^/#   /'
cmp -s "$WORK/before.stats" "$WORK/after.stats"
ok $? "same stats after reindex"
dangan show --json "$A" >"$WORK/after.show"
cmp -s "$WORK/before.show" "$WORK/after.show"
ok $? "show (with history) unchanged"
check "unique prefixes resolve after reindex" dangan show "$(printf '%s' "$A" | cut -c1-8)"
check "verify clean after reindex" dangan verify

# ---- delete the catalog, no reindex -------------------------------------------------------
drop_catalog
# What happens: the next command opens (creates) an empty catalog; the
# store's refs are untouched, so the catalog simply lists nothing until
# a reindex.  ls and stats succeed with nothing, search finds nothing
# (exit 1), verify reports the catalog out of step with the store, and
# show/cat cannot resolve ids (they go through the catalog).
check "ls without reindex exits 0" dangan ls --json
is "$(jq length "$WORK/out")" 0 "ls without reindex: the catalog is empty"
check_fails "search without reindex finds nothing (exit 1)" 1 dangan search xylophonist
check "stats without reindex" dangan stats --json
is "$(jq .documents "$WORK/out")" 0 "stats without reindex: 0 documents"
check_fails "verify without reindex: catalog out of step (exit 1)" 1 dangan verify
grep -qi 'catalog' "$WORK/out" "$WORK/err"
ok $? "verify says the problem is the catalog"
sed 's/^/#   /' "$WORK/err" | head -3
# the documents are still in the store: refs and objects are untouched
ok "$(test -f "$STORE/refs/$(printf '%s' "$A" | cut -c1-2)/$A"; echo $?)" "the ref of a.txt's document is still in refs/"
ok "$(test -f "$STORE/objects/$(printf '%s' "$A" | cut -c1-2)/$(printf '%s' "$A" | cut -c3-)"; echo $?)" "a.txt's bytes are still in objects/"
# ids (even full ones) are resolved through the catalog, so show/cat
# cannot find a document until the reindex: noted, not asserted
dangan show "sha256:$A" >/dev/null 2>&1
echo "# note: without the catalog, 'show sha256:<full id>' exits $? (ids are resolved through the catalog)"
check "reindex restores" dangan reindex
snapshot again
cmp -s "$WORK/before.ids" "$WORK/again.ids"
ok $? "same ids after the second reindex"
cmp -s "$WORK/before.search" "$WORK/again.search"
ok $? "same search hits after the second reindex"
cmp -s "$WORK/before.rows" "$WORK/again.rows"
ok $? "same ls rows after the second reindex"
check "verify clean after the second reindex" dangan verify

# ---- an ingest on top of a lost catalog --------------------------------------------------
drop_catalog
printf 'a new document after the loss: pangolin\n' >"$WORK/new.txt"
check "ingest into a store whose catalog was deleted" dangan -q ingest "$WORK/new.txt"
check "reindex" dangan reindex
is "$(dangan ls --json | jq length)" $((NDOCS + 1)) "after reindex: the old documents and the new one"
is "$(search_ids pangolin)" "sha256:$(sha "$WORK/new.txt")" "the new document is found"
is "$(search_ids xylophonist)" "sha256:$A" "the old documents are found"
check "verify clean at the end" dangan verify

# ---- a catalog that is garbage, not missing -----------------------------------------------
drop_catalog
printf 'this is not an SQLite database\n%0512d\n' 0 >"$STORE/catalog.db"
dangan ls >/dev/null 2>"$WORK/err"
rc=$?
[ "$rc" -ne 0 ]
ok $? "ls on a garbage catalog.db fails (exit $rc), it does not pretend"
dangan reindex >/dev/null 2>&1
echo "# note: reindex over a garbage catalog.db exits $? (delete the file first)"
rm -f "$STORE/catalog.db"
check "reindex after deleting it" dangan reindex
is "$(dangan ls --json | jq length)" $((NDOCS + 1)) "all documents back"

done_testing
