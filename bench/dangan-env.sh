# bench/dangan-env.sh -- sourced by the benchmarks, with $top the source
# tree: DANGAN is the build tree's ./dangan unless set, with every plugin
# of the build tree and its configuration; no store or configuration is
# taken from the caller's environment.
if [ -z "${DANGAN:-}" ]; then
	DANGAN="$top/dangan"
	: "${DANGAN_PLUGIN_PATH:=$(ls -d "$top"/plugins/*/.libs | tr '\n' :)}"
	: "${DANGAN_DATADIR:=$top/config}"
	export DANGAN_PLUGIN_PATH DANGAN_DATADIR
fi
unset DANGAN_STORE DANGAN_CONFIG
[ -x "$DANGAN" ] || { echo "bench: no dangan at $DANGAN (build first, or set DANGAN)" >&2; exit 2; }
