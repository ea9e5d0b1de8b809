#!/usr/bin/env bash
#
# test/shell/notx_worker.sh: a "-- aura:no-transaction" migration runs in a
# background worker that CALL aura_migrate.migrate() starts and waits for.
#
# A migration of three statements (a table, SELECT pg_sleep(30), a
# CREATE INDEX CONCURRENTLY) is applied with CALL migrate() in the
# background; a second session polls pg_stat_activity and cancels the CALL
# while the sleep runs.  It proves:
#   - while the worker runs, a backend of type "aura_migrate migration"
#     exists, and the CALL's own row reads "... statement 2 of 3 (SELECT,
#     line 3, outside a transaction)";
#   - the cancel ends the CALL with SQLSTATE 57014, naming the migration,
#     statement 2 and line 3, and stops the worker (no such backend left);
#   - the migration is not atomic: statement 1 stays, statement 3 never ran;
#     the failure is recorded (status() failed, SQLSTATE 57014), not applied;
#   - the same migration without the sleep then applies through the worker:
#     the index is built CONCURRENTLY, valid, and recorded with the migration.
#
# Environment: standard PG* variables (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's).
# Prints "N passed, M failed"; exits non-zero on failure.

set -u
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

DB="am_notx_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_notx.XXXXXX")
cleanup() {
	dropdb --if-exists "$DB" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
sql() { $PSQL -d "$DB" -c "$1"; }

createdb "$DB" || bail "createdb failed"
$PSQL -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION aura_migrate;
CREATE TABLE nx_data (id int PRIMARY KEY, v int); -- the table the index is for
INSERT INTO nx_data SELECT g, g % 97 FROM generate_series(1, 20000) g;
SELECT aura_migrate.register('20260301001', 'nx_index', $m$-- aura:no-transaction
CREATE TABLE nx_first (id int); -- aura:allow table_without_rls
SELECT pg_sleep(30);
CREATE INDEX CONCURRENTLY nx_data_v_idx ON nx_data (v);
$m$);
SQL

PGAPPNAME=nx_caller psql -X -q -d "$DB" -c "CALL aura_migrate.migrate()" >"$WORK/call.out" 2>&1 &
CALLPID=$!

seen_text=no
seen_worker=no
for _ in $(seq 1 200); do
	q=$(sql "SELECT query FROM pg_stat_activity WHERE application_name = 'nx_caller'")
	case "$q" in *"statement 2 of 3 (SELECT, line 3, outside a transaction)"*) seen_text=yes ;; esac
	w=$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'aura_migrate migration'")
	[ "$w" -ge 1 ] && seen_worker=yes
	[ "$seen_text" = yes ] && [ "$seen_worker" = yes ] && break
	sleep 0.1
done
check "the CALL's row shows the worker's statement 2 of 3" yes "$seen_text"
check "a background worker of type 'aura_migrate migration' runs the migration" yes "$seen_worker"

sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'nx_caller'" >/dev/null
wait "$CALLPID"
rc=$?
check "the cancelled CALL fails" 1 "$rc"
grep -q 'migration 20260301001 (nx_index) failed at statement 2, line 3' "$WORK/call.out" &&
	ok "the error names the migration, statement 2 and line 3" ||
	notok "the error names the migration, statement 2 and line 3 ($(head -3 "$WORK/call.out" | tr '\n' ' '))"
grep -q 'canceling statement due to user request' "$WORK/call.out" &&
	ok "the error carries the cancel" || notok "the error carries the cancel"

left=99
for _ in $(seq 1 50); do
	left=$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'aura_migrate migration'")
	[ "$left" = 0 ] && break
	sleep 0.1
done
check "the cancel stopped the worker" 0 "$left"
check "not atomic: statement 1 stays, statement 3 never ran" "nx_first|" \
	"$(sql "SELECT coalesce(to_regclass('nx_first')::text, '') || '|' || coalesce(to_regclass('nx_data_v_idx')::text, '')")"
check "the failure is recorded with SQLSTATE 57014, statement 2" "failed|57014|2" \
	"$(sql "SELECT event || '|' || sqlstate || '|' || statement_no FROM aura_migrate.log WHERE version = '20260301001' ORDER BY id DESC LIMIT 1")"
check "status() says failed; nothing in history" "failed|0" \
	"$(sql "SELECT state || '|' || (SELECT count(*) FROM aura_migrate.history) FROM aura_migrate.status() WHERE version = '20260301001'")"

# without the sleep (and the table already there), through the worker again
$PSQL -d "$DB" >/dev/null <<'SQL'
SELECT aura_migrate.register('20260301001', 'nx_index', $m$-- aura:no-transaction
CREATE TABLE IF NOT EXISTS nx_first (id int); -- aura:allow table_without_rls
CREATE INDEX CONCURRENTLY nx_data_v_idx ON nx_data (v);
$m$, replace => true);
SQL
psql -X -q -d "$DB" -c "CALL aura_migrate.migrate()" >"$WORK/call2.out" 2>&1
check "the migration then applies through the worker" 0 "$?"
check "the index is valid" t "$(sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'nx_data_v_idx'::regclass")"
check "the index is recorded as created by the migration" "20260301001" \
	"$(sql "SELECT version FROM aura_migrate.object_change WHERE object_identity = 'public.nx_data_v_idx' AND action = 'created'")"
check "history holds it once" 1 "$(sql "SELECT count(*) FROM aura_migrate.history WHERE version = '20260301001'")"

# a statement that fails ends the migration: the ones after it never run
$PSQL -d "$DB" >/dev/null <<'SQL'
SELECT aura_migrate.register('20260301002', 'nx_stops', $m$-- aura:no-transaction
SELECT 1/0;
CREATE TABLE nx_after_failure (id int); -- aura:allow table_without_rls
$m$);
SQL
psql -X -q -d "$DB" -c "CALL aura_migrate.migrate()" >"$WORK/call3.out" 2>&1
check "a failing statement fails the CALL" 1 "$?"
check "the statement after the failing one never ran" "" "$(sql "SELECT coalesce(to_regclass('nx_after_failure')::text, '')")"
check "the failure is recorded at statement 1" "failed|22012|1" \
	"$(sql "SELECT event || '|' || sqlstate || '|' || statement_no FROM aura_migrate.log WHERE version = '20260301002' ORDER BY id DESC LIMIT 1")"

finish
