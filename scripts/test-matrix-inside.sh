#!/bin/sh
# scripts/test-matrix-inside.sh: one major's build and tests, inside the
# Debian chroot that scripts/test-matrix.sh prepared (never on the host).
#
#     sh scripts/test-matrix-inside.sh build MAJOR       # as root
#     sh scripts/test-matrix-inside.sh test MAJOR PORT   # as the postgres user
#
# build: compile with warnings as errors (without LLVM bitcode) and install
# into the chroot's PostgreSQL MAJOR.
# test: initdb a throwaway cluster in /var/tmp/aura_matrix, start it on a
# Unix socket only (listen_addresses = '', port PORT), run the pg_regress
# suite (make installcheck) and the pgTAP suite (test/pgtap/run.sh, with its
# helpers test/shell/compat_noop.sh, reference_copies.sh and
# aura_races.sh) and the Supabase role model suite (test/supabase/run.sh,
# its own cluster), stop the server, also on failure.  Prints
# "N passed, M failed" and exits non-zero on any failure.
set -u

cmd=${1:?build or test}
major=${2:?major version}
PGVER=$major
PGBIN=/usr/lib/postgresql/$major/bin
export PGVER PGBIN
PATH=$PGBIN:/usr/bin:/bin
export PATH
cd "$(dirname "$0")/.."
MAKE="make -s PG_CONFIG=$PGBIN/pg_config with_llvm=no"

case $cmd in
build)
	echo "gcc: $(gcc --version | head -n 1)"
	echo "server: $("$PGBIN/postgres" --version)"
	$MAKE -j2 PG_WERROR=1 || exit 1
	$MAKE install >/dev/null || exit 1
	exit 0
	;;
test) ;;
*)
	echo "test-matrix-inside.sh: unknown command $cmd" >&2
	exit 2
	;;
esac

port=${3:?port}
BASE=/var/tmp/aura_matrix
DATA=$BASE/data
SOCK=$BASE/socket
LOG=$BASE/server.log
rm -rf "$BASE"
mkdir -p "$SOCK"

stop_server() {
	if [ -f "$DATA/postmaster.pid" ]; then
		pg_ctl -D "$DATA" -m fast -w -t 60 stop >/dev/null || pg_ctl -D "$DATA" -m immediate stop
	fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM HUP

if ! initdb -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$BASE/initdb.log" 2>&1; then
	cat "$BASE/initdb.log"
	exit 1
fi
if ! pg_ctl -D "$DATA" -l "$LOG" -w -t 60 start \
	-o "-c listen_addresses='' -c unix_socket_directories='$SOCK' -p $port -c fsync=off"; then
	cat "$LOG"
	exit 1
fi

export PGHOST="$SOCK" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
passed=0
failed=0
failures=""

suite() {
	name=$1
	shift
	echo
	echo "== PostgreSQL $major: $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures [$name]"
	fi
}

regress() {
	if $MAKE installcheck; then
		return 0
	fi
	[ -f regression.diffs ] && cat regression.diffs
	return 1
}

suite "pg_regress (sql/, expected/)" regress
suite "pgTAP: the Aura schema (test/pgtap)" bash test/pgtap/run.sh
suite "Supabase's role model (test/supabase)" bash test/supabase/run.sh

echo
if [ "$failed" -gt 0 ]; then
	echo "PostgreSQL $major: failed suites:$failures; the server's log:"
	tail -n 50 "$LOG"
fi
echo "PostgreSQL $major suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
