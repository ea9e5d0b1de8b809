#!/usr/bin/env bash
#
# test/shell/run_all.sh: the engine's shell-level tests, one after another,
# against the server the PG* variables name (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's):
#
#     durable_failure.sh  a failure is logged durably through a ROLLBACK; staging keeps no text
#     activity.sh         pg_stat_activity shows migration and statement, then the query again
#     notx_worker.sh      a no-transaction migration in its background worker: progress, cancel, record
#     dump_restore.sh     pg_dump / pg_restore (custom and plain) keep registry, history, log
#     concurrency.sh      8 concurrent apply()/migrate() sessions, 200 migrations, ROUNDS rounds
#     locks.sh            a migration that cannot take its lock retries; other traffic keeps flowing
#     scripts.sh          run-migration.sh and validate-rls.sh: quoting, dry run, privacy, exit codes
#     adopt.sh            import, baseline, repair, prune, out-of-order, status/verify/report/rollback/reset
#     commands.sh         run-migration.sh's commands: each bad input and its exit status, import of mixed folders, reset's seed
#     starters.sh         each Supabase-shaped fixture folder: psql vs import (pg_dump), baseline, verify, a new migration
#
# ROUNDS (default 10) is passed to concurrency.sh.  Sums the "N passed, M failed"
# lines of the tests; a test that exits non-zero without reporting a failure,
# or prints no such line, counts as one failure.  Prints "N passed, M failed"
# and exits non-zero on any failure.

set -u

DIR=$(cd "$(dirname "$0")" && pwd)
export ROUNDS="${ROUNDS:-10}"
OUT=$(mktemp "${TMPDIR:-/tmp}/am_run_all.XXXXXX")
trap 'rm -f "$OUT"' EXIT

total_pass=0
total_fail=0
summary=""
for t in durable_failure activity notx_worker locks dump_restore concurrency scripts adopt commands starters; do
	echo "=== $t.sh"
	start=$(date +%s)
	bash "$DIR/$t.sh" 2>&1 | tee "$OUT"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - start))
	last=$(tail -n 1 "$OUT")
	if printf '%s\n' "$last" | grep -q -E '^[0-9]+ passed, [0-9]+ failed$'; then
		p=$(printf '%s\n' "$last" | sed 's/ passed.*//')
		f=$(printf '%s\n' "$last" | sed 's/.*passed, \([0-9]*\) failed/\1/')
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "not ok: $t.sh exited $rc but reported no failure"
			f=1
		fi
	else
		echo "not ok: $t.sh printed no \"N passed, M failed\" line (exit $rc)"
		p=0
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	summary="$summary
   $t.sh: $p passed, $f failed, ${secs} s"
done

echo "=== summary$summary"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
