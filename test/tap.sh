#!/usr/bin/env bash
#
# test/tap.sh: the TAP tests in t/ (PostgreSQL::Test::Cluster, run by prove),
# against the installed PostgreSQL and extension:
#
#     t/001_crash.pl     SIGKILL of the applying backend: history and schema agree, next apply() finishes
#     t/002_standby.pl   a streaming standby and a dump/restore show the primary's history and schema
#     t/003_probe_nesting.pl  code a probe runs cannot nest probes; a probing backend can be terminated
#
# Each test starts its own clusters (initdb, which refuses to run as root),
# so prove runs as the postgres OS user: as root through runuser (the test
# command, CI), as another user through sudo, as postgres directly.  Does
# what PGXS's prove_installcheck does (TAP_TESTS = 1): TESTDIR for the
# tmp_check output, PG_REGRESS, the server's bindir first in PATH, and
# prove -I <pgxs>/src/test/perl -I <tree> t/*.pl; the PG* variables of the
# caller (pg_virtualenv's, say) are not passed on.  Everything the tests
# write (tmp_check, the clusters, their socket directories) is in one
# temporary directory owned by postgres; at the end any postmaster still
# running from it is stopped (-m immediate) and the directory removed.
# When postgres cannot read the tree, t/ and db/init/ are copied there.
# Installs libipc-run-perl when it is missing and we are root.
#
# Environment: FAST (default 1 here: crash 3 runs; FAST=0: 20), RUNS, SEED,
# KILL_JITTER (001_crash.pl); PROVE_TESTS (default t/*.pl), PROVE_FLAGS
# (e.g. --verbose); PG_TEST_TIMEOUT_DEFAULT (s, 180); KEEP=1 keeps the
# temporary directory (the test and server logs are in tmp_check/log/).
# PGVER (default: scripts/lib.sh's) chooses the server.  Prints prove's
# summary; exits non-zero on any failure.

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGVER=${PGVER:-$(sed -n 's/^PGVER=\${PGVER:-\([0-9]*\)}$/\1/p' "$ROOT/scripts/lib.sh")}
PGCONFIG=/usr/lib/postgresql/$PGVER/bin/pg_config
[ -x "$PGCONFIG" ] || { echo "tap.sh: $PGCONFIG not found (postgresql-server-dev-$PGVER)" >&2; exit 1; }
BINDIR=$("$PGCONFIG" --bindir)
PGXS_TOP=$(cd "$(dirname "$("$PGCONFIG" --pgxs)")/../.." && pwd)	# .../lib/pgxs
PERL_LIB=$PGXS_TOP/src/test/perl
PG_REGRESS=$PGXS_TOP/src/test/regress/pg_regress
for f in "$PERL_LIB/PostgreSQL/Test/Cluster.pm" "$PG_REGRESS"; do
	[ -e "$f" ] || { echo "tap.sh: $f not found (postgresql-server-dev-$PGVER)" >&2; exit 1; }
done

# as_pg CMD...: run CMD as the postgres OS user
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"
	elif [ "$(id -un)" = postgres ]; then "$@"
	else sudo -u postgres -- "$@"; fi
}

if ! perl -MIPC::Run -e 1 2>/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		echo "== installing libipc-run-perl (PostgreSQL::Test::Cluster needs IPC::Run)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libipc-run-perl >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libipc-run-perl >/dev/null; } ||
			{ echo "tap.sh: installing libipc-run-perl failed" >&2; exit 1; }
	else
		echo "tap.sh: perl's IPC::Run is missing: sudo apt-get install libipc-run-perl" >&2
		exit 1
	fi
fi

WORK=$(as_pg mktemp -d /tmp/am_tap.XXXXXX) || { echo "tap.sh: mktemp as postgres failed" >&2; exit 1; }
cleanup() {
	local pidfile
	# a test that died (or was killed) before its END block may leave a node running
	while IFS= read -r pidfile; do
		echo "# stopping the postmaster left in $(dirname "$pidfile")"
		as_pg "$BINDIR/pg_ctl" -D "$(dirname "$pidfile")" -m immediate -w -t 60 stop >/dev/null 2>&1
	done < <(as_pg find "$WORK" -name postmaster.pid 2>/dev/null)
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $WORK"; else as_pg rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the tree as postgres sees it: in place when it can read it, else a copy
if as_pg sh -c 'cd "$1" && test -r t/001_crash.pl && test -r db/init/00_supabase_compat.sql && ls t >/dev/null' sh "$ROOT" 2>/dev/null; then
	SRC=$ROOT
else
	SRC=$WORK/src
	as_pg mkdir "$SRC"
	tar -C "$ROOT" -cf - t db/init | as_pg tar -C "$SRC" -xf - ||
		{ echo "tap.sh: copying t/ and db/init/ failed" >&2; exit 1; }
fi

echo "# tap.sh: PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}'), FAST=${FAST:-1}, tests in $SRC, output in $WORK"
start=$(date +%s)
# prove as PGXS's prove_installcheck runs it; the inner shell expands
# PROVE_TESTS in the tree
as_pg env -i \
	PATH="$BINDIR:/usr/local/bin:/usr/bin:/bin" HOME="$WORK" LANG=C.UTF-8 TMPDIR="$WORK" \
	TESTDIR="$WORK" PG_REGRESS="$PG_REGRESS" \
	FAST="${FAST:-1}" RUNS="${RUNS:-}" SEED="${SEED:-}" KILL_JITTER="${KILL_JITTER:-}" \
	PG_TEST_TIMEOUT_DEFAULT="${PG_TEST_TIMEOUT_DEFAULT:-}" \
	${PG_TEST_NOCLEAN:+PG_TEST_NOCLEAN=$PG_TEST_NOCLEAN} \
	SRC="$SRC" PERL_LIB="$PERL_LIB" PROVE_FLAGS="${PROVE_FLAGS:-}" PROVE_TESTS="${PROVE_TESTS:-t/*.pl}" \
	sh -c 'cd "$SRC" && exec prove -I "$PERL_LIB" -I "$SRC" $PROVE_FLAGS $PROVE_TESTS'
rc=$?
echo "# tap.sh: prove exited $rc after $(($(date +%s) - start)) s"
if [ "$rc" -ne 0 ]; then
	# the tests' own logs and the server logs, for the failure at hand
	as_pg sh -c 'for f in "$1"/tmp_check/log/*; do
		[ -f "$f" ] || continue
		echo "=== last lines of $f"
		tail -n 40 "$f"
	done' sh "$WORK"
fi
exit "$rc"
