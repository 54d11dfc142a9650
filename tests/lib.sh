# tests/lib.sh -- shared by the integration tests (sourced).  TAP output;
# every test runs in its own temporary directory, removed at exit.
set -u
: "${DANGAN:?run through make check}"
T_N=0
T_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dangan-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STORE="$WORK/store"
export DANGAN_STORE="$STORE"

ok() { # ok CONDITION-EXIT-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
check() { # check DESCRIPTION COMMAND... : ok when the command succeeds
	desc=$1; shift
	if "$@" >"$WORK/out" 2>"$WORK/err"; then ok 0 "$desc"; else ok 1 "$desc"; sed 's/^/#   /' "$WORK/err" | head -20; fi
}
check_fails() { # check_fails DESCRIPTION EXPECTED-STATUS COMMAND...
	desc=$1; want=$2; shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"; got=$?
	if [ "$got" -eq "$want" ]; then ok 0 "$desc"; else ok 1 "$desc"; echo "#   exit $got, want $want"; sed 's/^/#   /' "$WORK/err" | head -20; fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got '$1', want '$2'"; fi
}
skip() { # skip REASON [COUNT]: COUNT checks (1) not run, for REASON
	for _ in $(seq "${2:-1}"); do T_N=$((T_N + 1)); echo "ok $T_N # SKIP $1"; done
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
done_testing() { echo "1..$T_N"; [ "$T_FAILED" -eq 0 ]; }
dangan() { "$DANGAN" "$@"; }
