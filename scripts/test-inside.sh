#!/bin/sh
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGPASSWORD set): every
# suite, each counted; prints "N passed, M failed" and exits non-zero on
# any failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0
failed=0
failures=""

suite() {
	name=$1
	shift
	echo
	echo "== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}

regress() {
	if make -s installcheck; then
		return 0
	fi
	[ -f regression.diffs ] && cat regression.diffs
	return 1
}

suite "pg_regress (sql/, expected/)" regress
[ -f test/pgtap/run.sh ] && suite "pgTAP: the Aura schema (test/pgtap)" bash test/pgtap/run.sh
[ -f test/supabase/run.sh ] && suite "Supabase's role model: the engine and the pgTAP suite as the non-superuser postgres (test/supabase)" bash test/supabase/run.sh
[ -f test/shell/run_all.sh ] && suite "shell-level engine tests (test/shell)" bash test/shell/run_all.sh
[ -f test/reliability/run_all.sh ] && suite "reliability, fast subset (test/reliability)" env FAST=1 bash test/reliability/run_all.sh
[ -f test/tap.sh ] && suite "crash and standby: TAP tests on PostgreSQL::Test::Cluster (t/, prove as postgres)" env FAST=1 bash test/tap.sh
[ -f test/load/aura_load.sh ] && suite "the Aura schema under load while migrations run (test/load, fast)" env FAST=1 OUT=- bash test/load/aura_load.sh

echo
if [ "$failed" -gt 0 ]; then
	echo "failed suites:$failures"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
