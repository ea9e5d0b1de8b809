#!/usr/bin/env bash
#
# test/shell/durable_failure.sh: a failed migration is recorded durably, even
# when the caller's transaction rolls back, and leaves nothing behind.
#
# In an explicit transaction: BEGIN; SELECT * FROM aura_migrate.apply();
# ROLLBACK; where the first migration succeeds and the second fails at its
# statement 2.  It proves, from a new session after the ROLLBACK:
#   - the error the caller got keeps the SQLSTATE and names version, statement, line;
#   - aura_migrate.log holds exactly one 'failed' row for it, with the right
#     version, statement_no, line, sqlstate, message, a duration and a run id;
#     in development with the statement text and the error DETAIL;
#   - no partial object (table, index) of the failed migration exists, the
#     earlier migration was rolled back with the transaction (no history row,
#     no 'applied' event, no table), and status() reports the failure;
#   - a second failure whose error position lies inside a multi-line statement
#     is recorded with the line of that position, appended to the first;
#   - in staging (ALTER DATABASE ... SET aura_migrate.environment = 'staging')
#     the log row has environment staging and NULL statement_text and detail,
#     and the error the caller gets carries no row values.
#
# Environment: standard PG* variables (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's).
# Prints "N passed, M failed"; exits non-zero on failure.

set -u

DEV="am_dur_dev_$$"
STG="am_dur_stg_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_dur.XXXXXX")
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

cleanup() {
	dropdb --if-exists "$DEV" 2>/dev/null
	dropdb --if-exists "$STG" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# the migrations: 001 succeeds; 002 fails at statement 2 (line 3) with a
# unique violation whose DETAIL carries a row value
setup() {
	createdb "$1" || return 1
	$PSQL -d "$1" >/dev/null <<'SQL'
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
SELECT aura_migrate.register('20260101001', 'df_first', 'CREATE TABLE df_first (id int PRIMARY KEY); ALTER TABLE df_first ENABLE ROW LEVEL SECURITY;');
SELECT aura_migrate.register('20260101002', 'df_failing', '-- fails on purpose at statement 2
CREATE TABLE df_partial (id int PRIMARY KEY, secret text); -- aura:allow table_without_rls
INSERT INTO df_partial VALUES (1, ''first''),
  (1, ''second-secret'');
CREATE INDEX df_partial_idx ON df_partial (secret);');
SQL
}

# apply_and_rollback DB OUTFILE: BEGIN; apply(); ROLLBACK; in one session
apply_and_rollback() {
	psql -X -q -At -v VERBOSITY=verbose -d "$1" >"$2.out" 2>"$2.err" <<'SQL'
BEGIN;
SELECT version FROM aura_migrate.apply();
ROLLBACK;
SELECT 'after rollback: ' || count(*) FROM aura_migrate.history;
SQL
}

# common_checks DB LABEL: nothing of the run survives but the failed event
common_checks() {
	db=$1
	l=$2
	check "$l: no history row (the ROLLBACK took 001 with it)" 0 \
		"$($PSQL -d "$db" -c "SELECT count(*) FROM aura_migrate.history")"
	check "$l: no 'applied' event survives" 0 \
		"$($PSQL -d "$db" -c "SELECT count(*) FROM aura_migrate.log WHERE event = 'applied'")"
	check "$l: no partial object: df_first, df_partial, df_partial_idx, df_partial_pkey absent" "0" \
		"$($PSQL -d "$db" -c "SELECT count(*) FROM pg_class WHERE relname IN ('df_first', 'df_partial', 'df_partial_idx', 'df_partial_pkey')")"
	check "$l: status(): 001 pending, 002 failed" "20260101001=pending,20260101002=failed" \
		"$($PSQL -d "$db" -c "SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM aura_migrate.status()")"
}

# ---- development ----------------------------------------------------------
setup "$DEV" || bail "set-up failed"
apply_and_rollback "$DEV" "$WORK/dev1"
l="development"
check "$l: the caller got 23505 naming version, statement 2 and line 3" 1 \
	"$(grep -c '^ERROR:  23505: migration 20260101002 (df_failing) failed at statement 2, line 3$' "$WORK/dev1.err")"
check "$l: the caller's error carries the original message and DETAIL" 2 \
	"$(grep -c -e '^DETAIL:  duplicate key value violates unique constraint "df_partial_pkey"' -e '^Key (id)=(1) already exists.$' "$WORK/dev1.err")"
check "$l: the session went on after ROLLBACK" "after rollback: 0" "$(cat "$WORK/dev1.out")"
check "$l: the log holds exactly one row, a 'failed' event" "1/failed" \
	"$($PSQL -d "$DEV" -c "SELECT count(*) || '/' || string_agg(event, ',') FROM aura_migrate.log")"
check "$l: version, statement_no, line, sqlstate" "20260101002|2|3|23505" \
	"$($PSQL -d "$DEV" -F '|' -c "SELECT version, statement_no, line, sqlstate FROM aura_migrate.log")"
check "$l: message" 'duplicate key value violates unique constraint "df_partial_pkey"' \
	"$($PSQL -d "$DEV" -c "SELECT message FROM aura_migrate.log")"
check "$l: detail (kept in development)" 'Key (id)=(1) already exists.' \
	"$($PSQL -d "$DEV" -c "SELECT detail FROM aura_migrate.log")"
check "$l: statement_text is statement 2 (kept in development)" 1 \
	"$($PSQL -d "$DEV" -c "SELECT count(*) FROM aura_migrate.log WHERE statement_text LIKE 'INSERT INTO df_partial VALUES (1, ''first'')%'")"
check "$l: environment, username, a duration and a run id" "development|postgres|t|t" \
	"$($PSQL -d "$DEV" -F '|' -c "SELECT environment, username, duration_ms > 0, run_id IS NOT NULL FROM aura_migrate.log")"
common_checks "$DEV" "$l"
check "$l: status() last_error names statement, line, message and SQLSTATE" \
	'statement 2, line 3: duplicate key value violates unique constraint "df_partial_pkey" (SQLSTATE 23505)' \
	"$($PSQL -d "$DEV" -c "SELECT last_error FROM aura_migrate.status() WHERE version = '20260101002'")"

# a second failure: error position on line 5, inside statement 2 (lines 3-5)
$PSQL -d "$DEV" >/dev/null <<'SQL'
SELECT aura_migrate.register('20260101002', 'df_failing', '-- fails on purpose at statement 2
CREATE TABLE df_partial (id int PRIMARY KEY, secret text); -- aura:allow table_without_rls
INSERT INTO df_partial (id)
  SELECT 1
    FROM df_no_such_relation;
CREATE INDEX df_partial_idx ON df_partial (secret);', replace => true);
SQL
apply_and_rollback "$DEV" "$WORK/dev2"
l="development, second failure"
check "$l: the caller got 42P01 at statement 2, line 5" 1 \
	"$(grep -c '^ERROR:  42P01: migration 20260101002 (df_failing) failed at statement 2, line 5$' "$WORK/dev2.err")"
check "$l: appended as a second 'failed' row: version, statement_no, line, sqlstate" "2|20260101002|2|5|42P01" \
	"$($PSQL -d "$DEV" -F '|' -c "SELECT (SELECT count(*) FROM aura_migrate.log), version, statement_no, line, sqlstate FROM aura_migrate.log ORDER BY id DESC LIMIT 1")"
check "$l: message" 'relation "df_no_such_relation" does not exist' \
	"$($PSQL -d "$DEV" -c "SELECT message FROM aura_migrate.log ORDER BY id DESC LIMIT 1")"
check "$l: the two failures have different run ids" 2 \
	"$($PSQL -d "$DEV" -c "SELECT count(DISTINCT run_id) FROM aura_migrate.log")"
common_checks "$DEV" "$l"

# ---- staging --------------------------------------------------------------
setup "$STG" || { notok "staging set-up failed"; finish; }
$PSQL -d "$STG" -c "ALTER DATABASE $STG SET aura_migrate.environment = 'staging'"
l="staging"
check "$l: a new session runs as staging" staging "$($PSQL -d "$STG" -c "SHOW aura_migrate.environment")"
apply_and_rollback "$STG" "$WORK/stg"
check "$l: the caller got 23505 naming version, statement 2 and line 3" 1 \
	"$(grep -c '^ERROR:  23505: migration 20260101002 (df_failing) failed at statement 2, line 3$' "$WORK/stg.err")"
check "$l: the caller's error carries no row value (no 'Key (id)=(1)', no 'second-secret')" 0 \
	"$(grep -c -e 'Key (id)' -e 'second-secret' "$WORK/stg.err")"
check "$l: the log holds exactly one row, a 'failed' event" "1/failed" \
	"$($PSQL -d "$STG" -c "SELECT count(*) || '/' || string_agg(event, ',') FROM aura_migrate.log")"
check "$l: version, statement_no, line, sqlstate, environment" "20260101002|2|3|23505|staging" \
	"$($PSQL -d "$STG" -F '|' -c "SELECT version, statement_no, line, sqlstate, environment FROM aura_migrate.log")"
check "$l: statement_text and detail are NULL" "t|t" \
	"$($PSQL -d "$STG" -F '|' -c "SELECT statement_text IS NULL, detail IS NULL FROM aura_migrate.log")"
check "$l: message kept with its quoted literals elided" 'duplicate key value violates unique constraint "..."' \
	"$($PSQL -d "$STG" -c "SELECT message FROM aura_migrate.log")"
check "$l: no column of the log mentions a row value" 0 \
	"$($PSQL -d "$STG" -c "SELECT count(*) FROM aura_migrate.log l WHERE l::text LIKE '%second-secret%' OR l::text LIKE '%Key (id)%'")"
common_checks "$STG" "$l"

finish
