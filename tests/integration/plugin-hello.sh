#!/bin/sh
# The installed development files are enough to build a plugin out of
# tree: install into a scratch DESTDIR, build samples/plugin-hello with
# pkg-config only, load it into a pipeline and see it run.
. "$DG_SRCDIR/tests/lib.sh"

dest="$WORK/dest"
check "make install into a scratch DESTDIR" $MAKE -C "$DG_BUILDDIR" install DESTDIR="$dest"
pc=$(find "$dest" -name dangan.pc | head -n 1)
ok "$([ -n "$pc" ]; echo $?)" "dangan.pc installed"
ok "$(find "$dest" -path '*/include/dangan/plugin.h' | grep -q . ; echo $?)" "dangan/plugin.h installed"
ok "$(find "$dest" -path '*/include/dangan/dangan.h' | grep -q . ; echo $?)" "dangan/dangan.h installed"
ok "$(find "$dest" -name 'dg-archive.so' | grep -q . ; echo $?)" "plugins installed"
ok "$(find "$dest" -name 'dangan.1' | grep -q . ; echo $?)" "man page installed"
ok "$(find "$dest" -name 'dangan.rng' | grep -q . ; echo $?)" "config schema installed"
ok "$(find "$dest" -name 'libdangan.so*' | grep -q . ; echo $?)" "libdangan installed"

cp -r "$DG_SRCDIR/samples/plugin-hello" "$WORK/hello"
chmod -R u+w "$WORK/hello"
export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$(dirname "$pc")"
check "pkg-config knows dangan" pkg-config --exists dangan
check "plugin-hello builds out of tree with pkg-config" make -C "$WORK/hello"
ok "$([ -f "$WORK/hello/dg-hello.so" ]; echo $?)" "dg-hello.so built"

export DANGAN_PLUGIN_PATH="$DANGAN_PLUGIN_PATH:$WORK/hello"
check "plugins show hello" dangan plugins show hello
grep -q greeting "$WORK/out"; ok $? "its option table is documented by the engine"

cat >"$WORK/hello.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<dangan xmlns="urn:dangan:config:1">
  <pipeline name="hello">
    <stage id="text" plugin="text"><match type="text/*"/></stage>
    <stage id="hello" plugin="hello"><option name="greeting">你好</option></stage>
  </pipeline>
</dangan>
XML
check "config with the new plugin is valid" dangan config check "$WORK/hello.xml"
printf 'one\ntwo\nthree\n' >"$WORK/three.txt"
check "ingest through the out-of-tree plugin" dangan -c "$WORK/hello.xml" ingest "$WORK/three.txt"
id=$(sha256sum "$WORK/three.txt" | cut -c1-16)
check "show the document" dangan show --json "$id"
grep -q '"hello.greeting":\["你好"\]' "$WORK/out"; ok $? "the plugin's metadata is recorded"
grep -q '"hello.lines":\["3"\]' "$WORK/out"; ok $? "the plugin read the text part"
grep -q '"plugin":"hello"' "$WORK/out"; ok $? "the plugin's event is in the history"
done_testing
