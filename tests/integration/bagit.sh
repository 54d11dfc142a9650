#!/bin/sh
# BagIt (RFC 8493): `dangan verify-bag` on every bag of the Library of
# Congress conformance suite (v0.93 .. v1.0: valid/ exits 0, invalid/ and
# linux-only/ exit 1, warning/ exits 0 with a WARN; the suite is left as
# it was); the samples exported as a bag directory, zip, tar and tar.gz,
# each verified, checked with sha512sum/sha256sum -c and compared with
# the store byte for byte; tampered bags found with their codes; a failed
# export leaving nothing under the final name.
. "${DG_SRCDIR:-.}/tests/lib.sh"
command -v jq >/dev/null || skip_all "jq is not installed"
command -v sha512sum >/dev/null || skip_all "sha512sum is not installed"
SUITE="${DG_SHARED:-$DG_SRCDIR/tests/data/shared}/standards/bagit-conformance-suite"
[ -d "$SUITE" ] || skip_all "the BagIt conformance suite is not at $SUITE (set DG_SHARED)"
S="$DG_SRCDIR/samples"

# ---- the conformance suite ------------------------------------------------------
sums() { (cd "$SUITE" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
before=$(sums)
nbags=0
for dir in "$SUITE"/v*/*/*/; do
	dir=${dir%/}
	bag=${dir#"$SUITE"/}
	category=$(basename "$(dirname "$dir")")
	nbags=$((nbags + 1))
	dangan verify-bag "$dir" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	case $category in
	valid)
		ok "$rc" "valid: $bag"
		[ "$rc" -eq 0 ] || sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -10
		;;
	invalid | linux-only)
		ok "$([ "$rc" -eq 1 ] && grep -q '^ERROR ' "$WORK/out"; echo $?)" "$category, refused: $bag"
		[ "$rc" -eq 1 ] || sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -10
		;;
	warning)
		ok "$([ "$rc" -eq 0 ] && grep -q '^WARN ' "$WORK/out"; echo $?)" "valid with a warning: $bag"
		[ "$rc" -eq 0 ] || sed 's/^/#   /' "$WORK/out" "$WORK/err" | head -10
		;;
	windows-only)
		echo "# skipped on this system: $bag (Windows path semantics)"
		nbags=$((nbags - 1))
		;;
	*)
		echo "# unknown category $category: $bag"
		nbags=$((nbags - 1))
		;;
	esac
done
test "$nbags" -ge 50
ok $? "the suite's bags were all run ($nbags)"
is "$(sums)" "$before" "verification left the suite's files as they were"

# some expected codes, so that a bag is refused for the right reason
expect() { # expect CODE BAG-RELATIVE-PATH
	dangan verify-bag "$SUITE/$2" >"$WORK/out" 2>&1
	grep -q " $1 " "$WORK/out"
	ok $? "$2: $1"
}
expect BAG-DECL-BOM v0.97/invalid/bom-in-bagit.txt
expect BAG-DECL-WHITESPACE v1.0/invalid/bagit-with-invalid-whitespace
expect BAG-DECL-VERSION v0.97/invalid/invalid-version-number
expect BAG-DECL-ENCODING v0.97/invalid/baginfo-missing-encoding
expect BAG-MANIFEST-CONFLICT v1.0/invalid/same-filename-listed-twice-with-different-hashes
expect BAG-MANIFEST-DUPLICATE v1.0/invalid/same-filename-listed-twice-with-the-same-hash
expect BAG-PAYLOAD-UNLISTED v1.0/invalid/notAllManifestsListAllFiles
expect BAG-TAG-DIGEST-MISMATCH v0.97/invalid/corrupt-tag-file
expect BAG-DIGEST-MISMATCH v0.97/invalid/corrupt-data-file
expect BAG-PATH-ESCAPE v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch
expect BAG-PATH-ESCAPE v0.97/linux-only/out-of-scope-file-paths-using-absolute-path
expect BAG-PATH-ESCAPE v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username
expect BAG-PATH-CASE v0.97/warning/duplicate-file-with-different-case
expect BAG-PATH-NORMALIZATION v0.97/warning/same-filename-listed-twice-with-different-normalization
expect BAG-MANIFEST-BINARY-MARKER v0.97/warning/made-with-md5sum-tools
dangan verify-bag --json "$SUITE/v0.97/valid/UTF-16-encoded-tag-files" >"$WORK/out" 2>&1
is "$(jq -r '.[0].valid' "$WORK/out")" "true" "UTF-16 tag files are read in their declared encoding"

# a suite bag serialized as zip and tar.gz verifies as the directory does
(cd "$SUITE/v0.97/valid" && tar -cf - bag-with-space) | (cd "$WORK" && tar -xf -)
(cd "$WORK" && tar -czf bws.tar.gz bag-with-space)
check "a suite bag as .tar.gz is valid" dangan verify-bag "$WORK/bws.tar.gz"
if command -v zip >/dev/null; then
	(cd "$WORK" && zip -qr bws.zip bag-with-space)
	check "a suite bag as .zip is valid" dangan verify-bag "$WORK/bws.zip"
	(cd "$WORK/bag-with-space" && zip -qr ../flat.zip .)
	check_fails "a zip without one top directory is refused" 1 dangan verify-bag "$WORK/flat.zip"
	grep -q "BAG-SERIAL-TOPDIR" "$WORK/out"
	ok $? "... as BAG-SERIAL-TOPDIR"
fi

# ---- export the samples ----------------------------------------------------------
check "ingest the samples" dangan -q ingest "$S"
ndocs=$(dangan ls --json | jq length)
check "export every document as a bag directory" dangan export --format bagit -o "$WORK/bag" \
	-O source-organization="国网某供电公司" -O contact-name="档案室" -O external-description="samples"
B="$WORK/bag"
check "verify-bag: the exported bag is valid" dangan verify-bag "$B"
grep -q "0 errors, 0 warnings" "$WORK/err" && ! grep -q "^WARN" "$WORK/out"
ok $? "... without a warning"
is "$(head -1 "$B/bagit.txt")" "BagIt-Version: 1.0" "bagit.txt declares BagIt 1.0"
for f in manifest-sha512.txt manifest-sha256.txt tagmanifest-sha512.txt tagmanifest-sha256.txt bag-info.txt; do
	test -s "$B/$f"
	ok $? "the bag has $f"
done
(cd "$B" && sha512sum -c --quiet manifest-sha512.txt) >/dev/null 2>&1
ok $? "sha512sum -c accepts manifest-sha512.txt"
(cd "$B" && sha256sum -c --quiet manifest-sha256.txt) >/dev/null 2>&1
ok $? "sha256sum -c accepts manifest-sha256.txt"
(cd "$B" && sha512sum -c --quiet tagmanifest-sha512.txt) >/dev/null 2>&1
ok $? "sha512sum -c accepts tagmanifest-sha512.txt"
is "$(find "$B/data" -mindepth 1 -maxdepth 1 -type d | wc -l)" "$ndocs" "one directory per document under data/"
nfiles=$(find "$B/data" -type f | wc -l)
nbytes=$(find "$B/data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
grep -q "^Payload-Oxum: $nbytes.$nfiles\$" "$B/bag-info.txt"
ok $? "Payload-Oxum counts the payload ($nbytes.$nfiles)"
grep -q "^Source-Organization: 国网某供电公司\$" "$B/bag-info.txt" && grep -q "^Contact-Name: 档案室\$" "$B/bag-info.txt" &&
	grep -q "^Bagging-Date: [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\$" "$B/bag-info.txt" && grep -q "^Bag-Software-Agent: dangan" "$B/bag-info.txt"
ok $? "bag-info.txt has the options' elements, the date and the agent"
# every original is the store's object, byte for byte
bad=0
for id in $(dangan ls --json | jq -r '.[].id'); do
	hex=${id#sha256:}
	d="$B/data/$(echo "$hex" | cut -c1-16)"
	name=$(xmllint --xpath 'string(//*[local-name()="part"][@role="original"]/@path)' "$d/metadata.xml" 2>/dev/null)
	[ -n "$name" ] && dangan cat "$id" | cmp -s - "$d/$name" || bad=$((bad + 1))
	[ "$(xmllint --xpath 'string(/*/@id)' "$d/metadata.xml" 2>/dev/null)" = "$id" ] || bad=$((bad + 1))
done
is "$bad" "0" "every original in data/ is byte-identical to the store's object, with its metadata.xml"
n=$(cat "$B"/data/*/metadata.xml | grep -c '<event ')
test "$n" -ge "$ndocs"
ok $? "metadata.xml records carry the documents' events ($n)"
grep -l 'key="source.name"' "$B"/data/*/metadata.xml | wc -l | grep -qv '^0$'
ok $? "metadata.xml records carry the metadata pairs"
check "parts=all exports the derived parts too" dangan export --format bagit -O parts=all -o "$WORK/all"
test "$(find "$WORK/all/data" -path '*/parts/*' -type f | wc -l)" -gt 0
ok $? "... in each document's parts/"
check "verify-bag: the parts=all bag is valid" dangan verify-bag "$WORK/all"
check "algorithms=md5,sha1,sha384 is honoured" dangan export --format bagit -O algorithms=sha384,md5 -o "$WORK/algs"
test -s "$WORK/algs/manifest-sha384.txt" && test -s "$WORK/algs/manifest-md5.txt" && test ! -e "$WORK/algs/manifest-sha512.txt"
ok $? "... manifest-sha384.txt and manifest-md5.txt only"
check "verify-bag: that bag is valid" dangan verify-bag "$WORK/algs"

# names: '%' percent-encoded in the manifests, unsafe names made safe
mkdir "$WORK/names"
echo half >"$WORK/names/50%off.txt"
echo dot >"$WORK/names/.hidden"
printf 'ctl\n' >"$WORK/names/$(printf 'a\tb')"
check "ingest oddly named files" dangan --store "$WORK/s2" -q ingest "$WORK/names"
check "export them" dangan --store "$WORK/s2" export --format bagit -o "$WORK/names-bag"
grep -q "  data/[0-9a-f]*/50%25off.txt\$" "$WORK/names-bag/manifest-sha512.txt"
ok $? "'%' is written %25 in the manifests (RFC 8493 2.1.3)"
test -f "$(echo "$WORK"/names-bag/data/*/50%off.txt)"
ok $? "... while the file keeps its name"
test "$(find "$WORK/names-bag/data" -name '.*' | wc -l)" -eq 0 && find "$WORK/names-bag/data" -name '_hidden' | grep -q . &&
	find "$WORK/names-bag/data" -name 'a_b' | grep -q .
ok $? "no leading dot nor control character survives in a payload name"
check "verify-bag: that bag is valid" dangan verify-bag "$WORK/names-bag"

for c in zip tar tgz; do
	out="$WORK/bag.$c"
	[ $c = tgz ] && out="$WORK/bag.tar.gz"
	check "export as $c" dangan export --format bagit -O container=$c -O parts=all -o "$out"
	check "verify-bag: the $c serialization is valid" dangan verify-bag "$out"
	mkdir "$WORK/x-$c"
	case $c in
	zip) (cd "$WORK/x-$c" && unzip -q "$out") ;;
	*) (cd "$WORK/x-$c" && tar -xf "$out") ;;
	esac
	is "$(ls "$WORK/x-$c")" "bag" "the $c holds one top directory named after the file"
	(cd "$WORK/x-$c/bag" && sha512sum -c --quiet manifest-sha512.txt && sha256sum -c --quiet manifest-sha256.txt) >/dev/null 2>&1
	ok $? "sha512sum/sha256sum -c accept the unpacked $c"
	diff -r "$WORK/x-$c/bag/data" "$WORK/all/data" >/dev/null 2>&1 ||
		diff -r -x metadata.xml "$WORK/x-$c/bag/data" "$WORK/all/data" >/dev/null
	ok $? "the $c payload is the directory bag's"
done

# ---- tampering ---------------------------------------------------------------
tamper() { # tamper NAME: a fresh copy of the exported bag in $WORK/NAME
	rm -rf "$WORK/$1"
	cp -r "$B" "$WORK/$1"
	chmod -R u+w "$WORK/$1"
	T="$WORK/$1"
}
tamper t1
f=$(find "$T/data" -type f ! -name metadata.xml | sort | head -1)
printf 'X' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
check_fails "a flipped byte in a payload file" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-DIGEST-MISMATCH data/" "$WORK/out"
ok $? "... is BAG-DIGEST-MISMATCH"
tamper t2
f=$(find "$T/data" -type f ! -name metadata.xml | sort | head -1)
rm "$f"
check_fails "a deleted payload file" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-MANIFEST-MISSING-FILE data/" "$WORK/out" && grep -q "^ERROR BAG-OXUM-MISMATCH" "$WORK/out"
ok $? "... is BAG-MANIFEST-MISSING-FILE and BAG-OXUM-MISMATCH"
tamper t3
echo extra >"$(find "$T/data" -mindepth 1 -maxdepth 1 -type d | head -1)/extra.txt"
check_fails "an unlisted file in data/" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-PAYLOAD-UNLISTED data/.*/extra.txt" "$WORK/out"
ok $? "... is BAG-PAYLOAD-UNLISTED"
tamper t4
sed -i 's/^Payload-Oxum: \([0-9]*\)\./Payload-Oxum: 1\1./' "$T/bag-info.txt"
check_fails "an edited Payload-Oxum" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-OXUM-MISMATCH" "$WORK/out" && grep -q "^ERROR BAG-TAG-DIGEST-MISMATCH bag-info.txt" "$WORK/out"
ok $? "... is BAG-OXUM-MISMATCH and BAG-TAG-DIGEST-MISMATCH"
tamper t5
echo "$(printf '%0128d' 0)  data/../../etc/passwd" >>"$T/manifest-sha512.txt"
check_fails "a ../ path in a manifest" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-PATH-ESCAPE data/../../etc/passwd" "$WORK/out"
ok $? "... is BAG-PATH-ESCAPE"
tamper t6
ln -s /etc/passwd "$T/data/link"
check_fails "a symbolic link in data/" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-SYMLINK data/link" "$WORK/out"
ok $? "... is BAG-SYMLINK (never followed)"
tamper t7
rm "$T/bagit.txt"
check_fails "a bag without bagit.txt" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-DECL-MISSING" "$WORK/out"
ok $? "... is BAG-DECL-MISSING"
tamper t8
f=$(find "$T/data" -type f ! -name metadata.xml | sort | head -1)
rel=${f#"$T"/}
mv "$f" "$WORK/held"
echo "http://example.invalid/x - $rel" >"$T/fetch.txt"
check_fails "a fetch.txt file not fetched yet" 1 dangan verify-bag "$T"
grep -q "^ERROR BAG-INCOMPLETE $rel" "$WORK/out"
ok $? "... makes the bag incomplete (BAG-INCOMPLETE)"
mv "$WORK/held" "$f"
check "once fetched, the holey bag is valid" dangan verify-bag "$T"
grep -q "BAG-FETCH-PRESENT" "$WORK/out" || dangan verify-bag --json "$T" | grep -q BAG-FETCH-PRESENT
ok $? "... noting fetch.txt"
# a tar whose entries climb out of the bag or are links
if command -v python3 >/dev/null; then
	python3 - "$WORK/evil.tar" "$B/bagit.txt" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    t.add(sys.argv[2], arcname="bag/bagit.txt")
    for name in ("bag/../../escape.txt", "/tmp/abs.txt"):
        i = tarfile.TarInfo(name); data = b"x\n"; i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("bag/data/link"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"
    t.addfile(i)
PY
	check_fails "a serialization with ../, absolute and link entries is refused" 1 dangan verify-bag "$WORK/evil.tar"
	grep -q "BAG-SERIAL-UNSAFE-ENTRY bag/../../escape.txt" "$WORK/out" && grep -q "BAG-SERIAL-UNSAFE-ENTRY /tmp/abs.txt" "$WORK/out" &&
		grep -q "BAG-SERIAL-ENTRY-TYPE data/link" "$WORK/out"
	ok $? "... as BAG-SERIAL-UNSAFE-ENTRY and BAG-SERIAL-ENTRY-TYPE"
	test ! -e "$WORK/escape.txt" && test ! -e /tmp/abs.txt
	ok $? "... and nothing is written outside"
fi
check_fails "a file that is no bag" 1 dangan verify-bag "$S/box-2026-001/3301000123-供用电合同.txt"

# ---- failures leave nothing -------------------------------------------------------
check_fails "an unknown container is refused" 2 dangan export --format bagit -O container=rar -o "$WORK/f1"
test ! -e "$WORK/f1" && test -z "$(ls -a "$WORK" | grep 'f1\.partial')"
ok $? "... and nothing is written"
check_fails "unknown algorithms are refused" 2 dangan export --format bagit -O algorithms=crc32 -o "$WORK/f2"
test ! -e "$WORK/f2"
ok $? "... and nothing is written"
check_fails "an unknown option is refused" 2 dangan export --format bagit -O colour=red -o "$WORK/f3"
test ! -e "$WORK/f3"
ok $? "... and nothing is written"
mkdir "$WORK/ro" && chmod 0555 "$WORK/ro"
if [ "$(id -u)" -ne 0 ]; then
	check_fails "an unwritable destination fails" 4 dangan export --format bagit -o "$WORK/ro/bag"
else
	# root writes anywhere: make the export fail half way instead (a store object rots)
	cp -r "$STORE" "$WORK/rot"
	hex=$(dangan ls --json | jq -r '.[-1].id' | sed 's/^sha256://')
	obj=$(find "$WORK/rot/objects" -type f -name "$(echo "$hex" | cut -c3-)" | head -1)
	chmod u+w "$obj" && printf 'Z' | dd of="$obj" bs=1 seek=0 conv=notrunc 2>/dev/null
	"$DANGAN" --store "$WORK/rot" export --format bagit -O container=zip -o "$WORK/ro/bag.zip" >"$WORK/out" 2>"$WORK/err"
	test $? -ne 0
	ok $? "an export from a store with a rotten object fails"
fi
test -z "$(ls -A "$WORK/ro")"
ok $? "... leaving nothing under the final name, nor a temporary"
check_fails "an existing output is never overwritten" 2 dangan export --format bagit -o "$B"
check "... and the bag there is untouched" dangan verify-bag "$B"

# ---- a large file: its digests are computed on two threads --------------------
mkdir "$WORK/big" && head -c 3000000 /dev/urandom >"$WORK/big/big.bin"
DANGAN_STORE="$WORK/bigstore" dangan -q ingest "$WORK/big" >/dev/null 2>&1
check "export a 3 MB document (the export's own check passes)" \
	env DANGAN_STORE="$WORK/bigstore" "$DANGAN" -q export --format bagit -o "$WORK/bigbag"
f=$(find "$WORK/bigbag/data" -name big.bin)
sha512=$(sha512sum "$f" | cut -c1-128)
grep -q "^$sha512  data/" "$WORK/bigbag/manifest-sha512.txt"
ok $? "... its SHA-512 in the manifest is sha512sum's"
printf 'X' | dd of="$f" bs=1 seek=2500000 conv=notrunc 2>/dev/null
check_fails "a byte changed 2.5 MB into it" 1 dangan verify-bag "$WORK/bigbag"
is "$(grep -c "^ERROR BAG-DIGEST-MISMATCH data/.*big.bin" "$WORK/out")" "2" "... is a mismatch of both its SHA-512 and SHA-256"

# ---- many files: read on several threads, reported in order ------------------
# more files than the checker reads ahead of its report (256): a changed
# file far down the list is the one reported, and the findings of the
# payload come in the order of the bag's paths
mkdir "$WORK/many"
i=0
while [ $i -lt 600 ]; do
	printf 'document %d\n' $i >"$WORK/many/f$i.txt"
	i=$((i + 1))
done
DANGAN_STORE="$WORK/manystore" dangan -q ingest --pipeline store-only "$WORK/many" &&
	DANGAN_STORE="$WORK/manystore" dangan -q export --format bagit -o "$WORK/manybag"
ok $? "export a bag of 600 documents"
dangan verify-bag "$WORK/manybag" >"$WORK/out" 2>&1
ok $? "... verify-bag: valid"
victim=$(cd "$WORK/manybag" && find data -type f -name 'f*.txt' | sort | sed -n 500p)
printf 'X' >>"$WORK/manybag/$victim"
dangan verify-bag "$WORK/manybag" >"$WORK/out" 2>&1
is "$?" "1" "a file changed 500 files down: invalid"
is "$(grep -c '^ERROR BAG-DIGEST-MISMATCH' "$WORK/out")" "2" "... two mismatches (sha512 and sha256) ..."
is "$(grep '^ERROR BAG-DIGEST-MISMATCH' "$WORK/out" | grep -vc " $victim:")" "0" "... both for that file"

done_testing
