#!/usr/bin/env bash
#
# test/shell/locks.sh: a migration that cannot take its lock times out,
# retries with backoff, and never holds up other sessions' traffic for
# longer than aura_migrate.lock_timeout.
#
# Against the server the PG* variables name.  A "holder" session keeps a
# table busy in a long transaction; a "traffic" session reads that table
# every 20 ms and times each read; apply() runs a migration that needs an
# ACCESS EXCLUSIVE lock on it.  Proves:
#   - the migration waits at most lock_timeout per attempt, logs "retried",
#     and succeeds once the holder is gone;
#   - the traffic's worst read stays under lock_timeout plus a margin (the
#     queue behind the waiting ALTER drains at each timeout);
#   - with the retries exhausted, it fails cleanly: 55P03, nothing applied.
# Prints "N passed, M failed"; exits non-zero on failure.

set -u
DB="am_locks_$$"
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
WORK=$(mktemp -d)


cleanup() {
	jobs -p | xargs -r kill 2>/dev/null
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" <<'SQL'
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
CREATE TABLE busy (id int PRIMARY KEY, v text);
INSERT INTO busy SELECT g, 'x' FROM generate_series(1, 100) g;
SELECT aura_migrate.register('20261101001', 'add_note',
	'ALTER TABLE busy ADD COLUMN note text;');
SQL

# traffic: read busy every 20 ms for SECS seconds, one latency (ms) a line
traffic() {
	"${PSQL[@]}" -d "$DB" -c "DO \$\$
	DECLARE t0 timestamptz; stop timestamptz := clock_timestamp() + interval '$1 seconds';
	BEGIN
		WHILE clock_timestamp() < stop LOOP
			t0 := clock_timestamp();
			PERFORM count(*) FROM busy;
			RAISE NOTICE 'lat %', round(extract(epoch FROM clock_timestamp() - t0) * 1000);
			COMMIT;
			PERFORM pg_sleep(0.02);
		END LOOP;
	END \$\$" 2>&1 | sed -n 's/.*lat \([0-9]*\).*/\1/p' > "$2"
}

# 1. the holder leaves after 3 s: the migration retries and succeeds
"${PSQL[@]}" -d "$DB" -c "BEGIN; SELECT count(*) FROM busy; SELECT pg_sleep(3); COMMIT;" >/dev/null &
holder=$!
sleep 0.3
traffic 6 "$WORK/lat1" &
tpid=$!
sleep 0.3
start=$(date +%s%N)
"${PSQL[@]}" -d "$DB" -c "SET aura_migrate.lock_timeout = '300ms'; SET aura_migrate.lock_retries = 8; SET aura_migrate.lock_retry_delay = '200ms';" \
	-c "SELECT version || ':' || status FROM aura_migrate.apply()" > "$WORK/apply1" 2> "$WORK/apply1.err"
rc=$?
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
wait $holder
wait $tpid
check "the migration succeeded once the holder was gone" "0:20261101001:applied" "$rc:$(tail -1 "$WORK/apply1")"
retries=$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FROM aura_migrate.log WHERE event = 'retried' AND sqlstate = '55P03'")
check "it logged lock-timeout retries (55P03) before succeeding" "yes" "$([ "$retries" -ge 2 ] && echo yes || echo "no ($retries)")"
check "it said so while retrying" "yes" "$(grep -q 'retrying in' "$WORK/apply1.err" && echo yes || echo no)"
echo "   apply took ${elapsed} ms with $retries retries"
worst=$(sort -n "$WORK/lat1" | tail -1)
reads=$(wc -l < "$WORK/lat1")
check "the traffic kept flowing ($reads reads)" "yes" "$([ "$reads" -ge 50 ] && echo yes || echo no)"
check "its worst read waited less than lock_timeout + 200 ms (worst ${worst} ms)" "yes" \
	"$([ "${worst:-99999}" -lt 500 ] && echo yes || echo no)"
check "the column exists" "1" "$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'note'")"

# 2. the holder stays: the retries run out and it fails cleanly
"${PSQL[@]}" -d "$DB" -c "SELECT aura_migrate.register('20261101002', 'add_flag', 'ALTER TABLE busy ADD COLUMN flag boolean; CREATE INDEX busy_flag_idx ON busy (flag);');" >/dev/null
"${PSQL[@]}" -d "$DB" -c "BEGIN; SELECT count(*) FROM busy; SELECT pg_sleep(6); COMMIT;" >/dev/null &
holder=$!
sleep 0.3
"${PSQL[@]}" -d "$DB" -v VERBOSITY=verbose -c "SET aura_migrate.lock_timeout = '200ms'; SET aura_migrate.lock_retries = 2; SET aura_migrate.lock_retry_delay = '100ms';" \
	-c "\\set VERBOSITY verbose" -c "SELECT * FROM aura_migrate.apply()" > /dev/null 2> "$WORK/apply2.err"
rc=$?
check "with the retries exhausted, apply() fails" "1" "$rc"
check "with SQLSTATE 55P03 (lock_not_available)" "yes" "$(grep -q '55P03' "$WORK/apply2.err" && echo yes || echo no)"
check "nothing of it was applied" "0|0" "$("${PSQL[@]}" -d "$DB" -c "SELECT (SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy' AND column_name = 'flag') || '|' || (SELECT count(*) FROM aura_migrate.history WHERE version = '20261101002')")"
check "it tried three times (two retries)" "2" "$(grep -c 'retrying in' "$WORK/apply2.err")"
# the retries were logged in apply()'s transaction, which the failure rolled
# back; the failure itself is durable
check "the durable log has the failure for it" "0|1" "$("${PSQL[@]}" -d "$DB" -c "SELECT count(*) FILTER (WHERE event = 'retried') || '|' || count(*) FILTER (WHERE event = 'failed') FROM aura_migrate.log WHERE version = '20261101002'")"
wait $holder

finish
