#!/usr/bin/env bash
#
# test/shell/concurrency.sh: nothing is ever applied twice, whatever runs at
# the same time.
#
# 8 sessions start at the same instant (released together by a gate: an
# advisory lock they all wait on), most calling SELECT * FROM aura_migrate.apply()
# and, in the same round, two calling CALL aura_migrate.migrate(), on 200
# registered migrations (each creates a table and an index and inserts one
# row).  ROUNDS rounds (default 10), each on a fresh database copied from a
# template in which the 200 migrations are registered.  Per round it proves:
#   - all 8 sessions were waiting at the gate when it opened;
#   - no session failed, and none printed an ERROR or a WARNING;
#   - the sessions together reported exactly 200 migrations applied, 200 distinct;
#   - history has 200 rows, 200 distinct versions, exactly the registered set;
#   - 200 tables and 200 indexes exist, each table holds exactly 1 row (so no
#     migration ran twice), status() says applied for all 200;
#   - the log has exactly 200 'applied' events (200 distinct versions), no 'failed'.
# Then one round where migration #100 fails at its statement 2: every session
# got that error (or found nothing to do), 1..99 are applied once (committed by
# migrate()), #100 left nothing behind, 101..200 untouched, the log has one
# durable 'failed' event per session that failed and 99 'applied' events; after
# #100 is fixed (register ... replace => true) 8 concurrent sessions finish the
# set, each migration once.
#
# Environment: standard PG* variables (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's);
# ROUNDS (default 10).  Prints "N passed, M failed"; exits non-zero on failure.

set -u

ROUNDS=${ROUNDS:-10}
N=200
SESSIONS=8
GATE=774411                 # advisory lock key of the start gate
PREFIX="am_conc_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_conc.XXXXXX")
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

# check DESCRIPTION EXPECTED ACTUAL

cleanup() {
	for d in $($PSQL -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'" 2>/dev/null); do
		dropdb --if-exists "$d" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# make_template DB FAIL_AT: a database with the extension, no bundled
# migrations, and N registered migrations; migration FAIL_AT (0 = none)
# fails at its statement 2 (a relation that does not exist).
make_template() {
	createdb "$1" || return 1
	$PSQL -d "$1" <<SQL
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
SELECT count(*) FROM (
  SELECT aura_migrate.register(v, 'conc_' || lpad(n::text, 3, '0'),
    CASE WHEN n = $2 THEN
      format('CREATE TABLE conc_%1\$s (id int NOT NULL, note text); -- aura:allow table_without_rls
INSERT INTO conc_%1\$s SELECT id, note FROM conc_no_such_relation;
CREATE INDEX conc_%1\$s_id_idx ON conc_%1\$s (id);', lpad(n::text, 3, '0'))
    ELSE
      format('CREATE TABLE conc_%1\$s (id int NOT NULL, note text); -- aura:allow table_without_rls
CREATE INDEX conc_%1\$s_id_idx ON conc_%1\$s (id);
INSERT INTO conc_%1\$s VALUES (%2\$s, ''applied once'');', lpad(n::text, 3, '0'), n)
    END)
  FROM (SELECT n, '20260101' || lpad(n::text, 3, '0') AS v
          FROM generate_series(1, $N) n) s) r;
SQL
}

# run_sessions DB ROUND: start SESSIONS sessions released together by the
# gate; session i uses migrate() when (i + ROUND) % 4 == 0, apply() otherwise.
# Leaves WORK/out.i, WORK/err.i, WORK/rc.i, WORK/kind.i and WORK/gate.
run_sessions() {
	db=$1
	round=$2
	rm -f "$WORK"/out.* "$WORK"/err.* "$WORK"/rc.* "$WORK"/kind.* "$WORK"/gate
	# the gate: hold the lock until all sessions wait on it (at most 30 s)
	$PSQL -d "$db" -c "SELECT pg_advisory_lock($GATE)" \
		-c "DO \$\$ BEGIN
			  FOR i IN 1..3000 LOOP
			    EXIT WHEN (SELECT count(*) FROM pg_locks
			                WHERE locktype = 'advisory' AND objid = $GATE AND NOT granted
			                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) >= $SESSIONS;
			    PERFORM pg_sleep(0.01);
			  END LOOP;
			END \$\$" \
		-c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $GATE AND NOT granted
		      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" \
		-c "SELECT pg_advisory_unlock($GATE)" >"$WORK/gate" 2>&1 &
	gatepid=$!
	# wait until the gate holds its lock
	for _ in $(seq 1 500); do
		held=$($PSQL -d "$db" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $GATE AND granted")
		[ "$held" = 1 ] && break
		sleep 0.02
	done
	pids=""
	for i in $(seq 1 $SESSIONS); do
		if [ $(((i + round) % 4)) -eq 0 ]; then
			kind=migrate
			call="CALL aura_migrate.migrate()"
		else
			kind=apply
			call="SELECT 'applied:' || version FROM aura_migrate.apply()"
		fi
		echo "$kind" >"$WORK/kind.$i"
		(
			$PSQL -v VERBOSITY=verbose -d "$db" \
				-c "SELECT pg_advisory_lock_shared($GATE)" \
				-c "SELECT pg_advisory_unlock_shared($GATE)" \
				-c "$call" >"$WORK/out.$i" 2>"$WORK/err.$i"
			echo $? >"$WORK/rc.$i"
		) &
		pids="$pids $!"
	done
	wait $gatepid
	for p in $pids; do wait "$p"; done
}

# reported_versions: versions the sessions said they applied, one a line
reported_versions() {
	{
		cat "$WORK"/out.* | sed -n 's/^applied:\([0-9]\{11\}\)$/\1/p'
		cat "$WORK"/err.* | sed -n 's/^NOTICE:  *\(00000: \)\{0,1\}applied migration \([0-9]\{11\}\) .*/\2/p'
	}
}

# by_session: how many migrations each session reported, e.g. "1:apply=200 3:migrate=0"
by_session() {
	for i in $(seq 1 $SESSIONS); do
		n=$(($(grep -c '^applied:' "$WORK/out.$i") + $(grep -c 'applied migration' "$WORK/err.$i")))
		printf '%s ' "$i:$(cat "$WORK/kind.$i")=$n"
	done
}

gate_waiters() { sed -n '/^[0-9][0-9]*$/p' "$WORK/gate" | tail -1; }

# check_all_applied DB LABEL: the per-round assertions of a successful round
check_all_applied() {
	db=$1
	l=$2
	res=$($PSQL -d "$db" -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM aura_migrate.history),
       (SELECT count(DISTINCT version) FROM aura_migrate.history),
       (SELECT count(*) FROM aura_migrate.migration m
         WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.history h WHERE h.version = m.version)),
       (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^conc_[0-9]{3}$'
           AND relnamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relname ~ '^conc_[0-9]{3}_id_idx$'),
       (SELECT count(*) FILTER (WHERE c = 1) || '/' || coalesce(sum(c), 0)
          FROM (SELECT (xpath('/row/c/text()',
                        query_to_xml(format('SELECT count(*) AS c FROM public.%I', relname),
                                     false, true, '')))[1]::text::int AS c
                  FROM pg_class WHERE relkind = 'r' AND relname ~ '^conc_[0-9]{3}$'
                   AND relnamespace = 'public'::regnamespace) s),
       (SELECT count(*) FROM aura_migrate.log WHERE event = 'applied'),
       (SELECT count(DISTINCT version) FROM aura_migrate.log WHERE event = 'applied'),
       (SELECT count(*) FROM aura_migrate.log WHERE event <> 'applied'),
       (SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied');
SQL
)
	set -- $res
	check "$l: history has 200 rows" 200 "${1:-}"
	check "$l: history has 200 distinct versions" 200 "${2:-}"
	check "$l: every registered migration is in history" 0 "${3:-}"
	check "$l: 200 tables exist" 200 "${4:-}"
	check "$l: 200 indexes exist" 200 "${5:-}"
	check "$l: every table holds exactly 1 row (tables with 1 row / total rows)" "200/200" "${6:-}"
	check "$l: log has exactly 200 'applied' events" 200 "${7:-}"
	check "$l: log 'applied' events cover 200 distinct versions" 200 "${8:-}"
	check "$l: log has no other event" 0 "${9:-}"
	check "$l: status() says applied for all 200" 200 "${10:-}"
}

# check_sessions_clean LABEL: every session exited 0 without ERROR/WARNING,
# and together they reported each of the 200 migrations exactly once
check_sessions_clean() {
	l=$1
	bad=""
	for i in $(seq 1 $SESSIONS); do
		rc=$(cat "$WORK/rc.$i" 2>/dev/null || echo missing)
		if [ "$rc" != 0 ] || grep -q -E 'ERROR|WARNING|FATAL' "$WORK/err.$i"; then
			bad="$bad session $i ($(cat "$WORK/kind.$i"), rc $rc): $(grep -m1 -E 'ERROR|WARNING|FATAL' "$WORK/err.$i");"
		fi
	done
	check "$l: all $SESSIONS sessions succeeded with no ERROR or WARNING" "" "$bad"
	check "$l: sessions reported 200 applications / 200 distinct versions" "200/200" \
		"$(reported_versions | wc -l)/$(reported_versions | sort -u | wc -l)"
}

echo "== concurrency: $SESSIONS sessions, $N migrations, $ROUNDS rounds"
t0=$(now_ms)
make_template "${PREFIX}_tmpl" 0 >/dev/null || { notok "could not build the template database"; finish; }
make_template "${PREFIX}_ftmpl" 100 >/dev/null || { notok "could not build the failing template database"; finish; }
check "template: $N migrations registered, none bundled" "$N/0" \
	"$($PSQL -d "${PREFIX}_tmpl" -c "SELECT count(*) FILTER (WHERE source = 'user') || '/' || count(*) FILTER (WHERE source = 'bundled') FROM aura_migrate.migration")"
echo "   templates built in $(($(now_ms) - t0)) ms"

for r in $(seq 1 "$ROUNDS"); do
	db="${PREFIX}_r$r"
	l="round $r"
	tr=$(now_ms)
	createdb -T "${PREFIX}_tmpl" "$db" || { notok "$l: createdb failed"; continue; }
	run_sessions "$db" "$r"
	nm=$(grep -l migrate "$WORK"/kind.* | wc -l)
	check "$l: all $SESSIONS sessions waited at the gate and started together ($nm of them with migrate())" "$SESSIONS" "$(gate_waiters)"
	check_sessions_clean "$l"
	check_all_applied "$db" "$l"
	echo "   $l: $(($(now_ms) - tr)) ms; run ids in history: $($PSQL -d "$db" -c "SELECT count(DISTINCT run_id) FROM aura_migrate.history");" \
		"applied by sessions: $(by_session)"
	dropdb "$db"
done

# ---- the round in which migration #100 fails ---------------------------
db="${PREFIX}_fail"
l="failing round"
tr=$(now_ms)
createdb -T "${PREFIX}_ftmpl" "$db"
run_sessions "$db" 1
nm=$(grep -l migrate "$WORK"/kind.* | wc -l)
check "$l: all $SESSIONS sessions waited at the gate and started together ($nm of them with migrate())" "$SESSIONS" "$(gate_waiters)"
nerr=0
nnothing=0
bad=""
for i in $(seq 1 $SESSIONS); do
	rc=$(cat "$WORK/rc.$i" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ] &&
		grep -q 'ERROR:  42P01: migration 20260101100 (conc_100) failed at statement 2, line 2' "$WORK/err.$i" &&
		[ "$(grep -c 'ERROR' "$WORK/err.$i")" = 1 ]; then
		nerr=$((nerr + 1))
	elif [ "$rc" = 0 ] && ! grep -q -E 'ERROR|WARNING' "$WORK/err.$i" &&
		! grep -q '^applied:' "$WORK/out.$i" && ! grep -q 'applied migration' "$WORK/err.$i"; then
		nnothing=$((nnothing + 1))
	else
		bad="$bad session $i ($(cat "$WORK/kind.$i"), rc $rc): $(grep -m1 -E 'ERROR|WARNING|FATAL' "$WORK/err.$i");"
	fi
done
check "$l: every session got the error of #100 (42P01, statement 2, line 2) or found nothing to do [$nerr errors, $nnothing nothing]" "" "$bad"
check "$l: sessions that failed + sessions that found nothing = $SESSIONS" "$SESSIONS" "$((nerr + nnothing))"
res=$($PSQL -d "$db" -F ' ' <<'SQL'
SELECT (SELECT count(*) || ':' || coalesce(min(version), '-') || ':' || coalesce(max(version), '-')
          FROM aura_migrate.history),
       (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname ~ '^conc_[0-9]{3}$'
           AND relname <= 'conc_099' AND relnamespace = 'public'::regnamespace),
       (SELECT count(*) FROM pg_class WHERE relname ~ '^conc_[0-9]{3}' AND relname >= 'conc_100'),
       (SELECT count(*) FILTER (WHERE c = 1) || '/' || coalesce(sum(c), 0)
          FROM (SELECT (xpath('/row/c/text()',
                        query_to_xml(format('SELECT count(*) AS c FROM public.%I', relname),
                                     false, true, '')))[1]::text::int AS c
                  FROM pg_class WHERE relkind = 'r' AND relname ~ '^conc_[0-9]{3}$'
                   AND relnamespace = 'public'::regnamespace) s),
       (SELECT count(*) || '/' || count(DISTINCT version) || '/' || coalesce(max(version), '-')
          FROM aura_migrate.log WHERE event = 'applied'),
       (SELECT count(*) FROM aura_migrate.log WHERE event = 'failed'),
       (SELECT count(*) FROM aura_migrate.log WHERE event = 'failed'
           AND (version, sqlstate, statement_no, line) IS DISTINCT FROM ('20260101100', '42P01', 2, 2)),
       (SELECT count(*) FROM aura_migrate.log WHERE event NOT IN ('applied', 'failed')),
       (SELECT string_agg(state || '=' || n, ',' ORDER BY state)
          FROM (SELECT state, count(*) n FROM aura_migrate.status() GROUP BY state) s),
       (SELECT state FROM aura_migrate.status() WHERE version = '20260101100');
SQL
)
set -- $res
if [ "$nm" -gt 0 ]; then
	check "$l: history holds exactly 001..099 (committed by migrate())" "99:20260101001:20260101099" "${1:-}"
	check "$l: tables conc_001..099 exist" 99 "${2:-}"
	check "$l: every existing table holds exactly 1 row" "99/99" "${4:-}"
	check "$l: log has 99 'applied' events, 99 distinct, none past 099" "99/99/20260101099" "${5:-}"
	check "$l: status(): 99 applied, 1 failed, 100 pending" "applied=99,failed=1,pending=100" "${9:-}"
else
	check "$l: history is empty (apply() rolled everything back)" "0:-:-" "${1:-}"
fi
check "$l: no object of #100..#200 exists (nothing half-applied)" 0 "${3:-}"
check "$l: one durable 'failed' event per failing session" "$nerr" "${6:-}"
check "$l: every 'failed' event names #100, 42P01, statement 2, line 2" 0 "${7:-}"
check "$l: no other event in the log" 0 "${8:-}"
check "$l: status() says #100 failed" failed "${10:-}"

# fix #100 and let 8 sessions finish the set concurrently
$PSQL -d "$db" -c "SELECT aura_migrate.register('20260101100', 'conc_100', 'CREATE TABLE conc_100 (id int NOT NULL, note text); -- aura:allow table_without_rls
CREATE INDEX conc_100_id_idx ON conc_100 (id);
INSERT INTO conc_100 VALUES (100, ''applied once'');', replace => true)" >/dev/null
run_sessions "$db" 2
check "$l, after fixing #100: all $SESSIONS sessions started together" "$SESSIONS" "$(gate_waiters)"
bad=""
for i in $(seq 1 $SESSIONS); do
	rc=$(cat "$WORK/rc.$i" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ] || grep -q -E 'ERROR|WARNING|FATAL' "$WORK/err.$i"; then
		bad="$bad session $i rc $rc: $(grep -m1 -E 'ERROR|WARNING|FATAL' "$WORK/err.$i");"
	fi
done
check "$l, after fixing #100: all sessions succeeded" "" "$bad"
expect=$((N - 99))
[ "$nm" -gt 0 ] || expect=$N
check "$l, after fixing #100: sessions reported the $expect remaining migrations, each once" "$expect/$expect" \
	"$(reported_versions | wc -l)/$(reported_versions | sort -u | wc -l)"
res=$($PSQL -d "$db" -F ' ' <<'SQL'
SELECT (SELECT count(*) FROM aura_migrate.history),
       (SELECT count(*) FILTER (WHERE c = 1) || '/' || coalesce(sum(c), 0)
          FROM (SELECT (xpath('/row/c/text()',
                        query_to_xml(format('SELECT count(*) AS c FROM public.%I', relname),
                                     false, true, '')))[1]::text::int AS c
                  FROM pg_class WHERE relkind = 'r' AND relname ~ '^conc_[0-9]{3}$'
                   AND relnamespace = 'public'::regnamespace) s),
       (SELECT count(*) || '/' || count(DISTINCT version) FROM aura_migrate.log WHERE event = 'applied'),
       (SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied');
SQL
)
set -- $res
check "$l, after fixing #100: history has 200 rows" 200 "${1:-}"
check "$l, after fixing #100: 200 tables with exactly 1 row each" "200/200" "${2:-}"
check "$l, after fixing #100: log has 200 'applied' events, 200 distinct" "200/200" "${3:-}"
check "$l, after fixing #100: status() says applied for all 200" 200 "${4:-}"
echo "   $l: $(($(now_ms) - tr)) ms"
dropdb "$db"

echo "   total: $(($(now_ms) - t0)) ms"
finish
