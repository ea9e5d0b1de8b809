#!/usr/bin/env bash
#
# test/reliability/crash.sh: SIGKILL the backend running apply() at a random
# moment.  Self-contained: it starts its own PostgreSQL 15 cluster (as the
# postgres OS user when run as root) on a private socket directory and port,
# so that it can kill backends, wait for the postmaster's crash restart and
# read the server log.
#
# RUNS runs (default 20; FAST=1: 3), each in a fresh database with 50
# registered migrations (a table with RLS, an index, one row, some with a
# foreign key to the one before, about one in three with a pg_sleep of 30 to
# 90 ms).  Odd runs call SELECT * FROM apply() (one transaction), even runs
# CALL migrate() (a commit per migration, so a crash leaves progress behind).
# At a random moment while it runs (once it applies a random migration TARGET,
# 0 to 46, 0 meaning as soon as the backend appears, plus 0 to KILL_JITTER ms)
# the backend gets SIGKILL; the postmaster restarts the cluster.
# Each run proves:
#   - the backend was killed while applying (what pg_stat_activity showed last
#     is printed) and the server came back after crash recovery;
#   - history and schema agree: every version in history has its table (and
#     its row), no table exists for a version not in history; for apply() the
#     history is empty (the transaction died); the 'applied' events in the log
#     are exactly the history;
#   - the next apply() finishes the job: it applies exactly the rest; then all
#     50 versions are in history once, each table holds exactly one row
#     (nothing applied twice), status() says applied for all 50, and a further
#     apply() applies nothing.
# After all runs, the server log holds one "terminated by signal 9" line per
# kill, each naming a killed pid, and no other "terminated by signal" line.
#
# Environment: RUNS, FAST=1, SEED, KILL_JITTER (ms, default 60), KEEP=1 keeps
# the cluster directory.  Prints "N passed, M failed" last; exits non-zero on
# failure.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"

if [ "${FAST:-0}" = 1 ]; then RUNS=${RUNS:-3}; else RUNS=${RUNS:-20}; fi
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
KILL_JITTER=${KILL_JITTER:-60}
NMIG=50
CL=$(mktemp -d "${TMPDIR:-/tmp}/am_crash.XXXXXX")
chmod 755 "$CL"
PORT=$(free_port) || bail "no free port"
cleanup() {
	own_cluster_stop "$CL"
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $CL"; else rm -rf "$CL"; fi
}
trap cleanup EXIT
echo "# crash.sh: RUNS=$RUNS SEED=$SEED KILL_JITTER=${KILL_JITTER}ms cluster $CL port $PORT"

own_cluster_init "$CL" "$PORT" "restart_after_crash = on" || bail "initdb failed: $(tail -3 "$CL/initdb.log")"
own_cluster_start "$CL" || bail "the cluster did not start: $(tail -3 "$CL/server.log")"
export PGHOST=$CL PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
unset PGSERVICE PGPASSWORD

ver() { printf '20260201%03d' "$1"; }

# the migration set (the same for every run)
{
	for k in $(seq 1 $NMIG); do
		sql="CREATE TABLE c$k (id int PRIMARY KEY, v text);
ALTER TABLE c$k ENABLE ROW LEVEL SECURITY;
CREATE INDEX c${k}_v_idx ON c$k (v);
INSERT INTO c$k VALUES ($k, 'row of migration $k');"
		if [ "$k" -gt 1 ] && [ $((k % 4)) -eq 0 ]; then
			sql+=$'\n'"ALTER TABLE c$k ADD COLUMN prev int REFERENCES c$((k - 1)) (id);"
		fi
		if [ $((RANDOM % 3)) -eq 0 ]; then
			sql+=$'\n'"SELECT pg_sleep(0.0$((3 + RANDOM % 7)));"
		fi
		sql+=$'\n'"COMMENT ON TABLE c$k IS 'migration $k';"
		printf "SELECT aura_migrate.register('%s', 'crash_%s', \$amq\$%s\$amq\$);\n" "$(ver "$k")" "$k" "$sql"
	done
} >"$CL/set.sql"

# agree DB: "history|tables|with row|applied events|ok" where ok = 1 when history
# and schema agree exactly
agree() {
	$PSQL -d "$1" -F '|' <<SQL
WITH h AS (SELECT version FROM aura_migrate.history),
     t AS (SELECT '20260201' || lpad(substr(relname, 2), 3, '0') AS version, oid
             FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname ~ '^c[0-9]+\$'),
     e AS (SELECT version FROM aura_migrate.log WHERE event = 'applied')
SELECT (SELECT count(*) FROM h), (SELECT count(*) FROM t),
       (SELECT count(*) FROM t WHERE (xpath('//n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t.oid::regclass, false, false, '')))[1]::text = '1'),
       (SELECT count(*) FROM e),
       ((SELECT array_agg(version ORDER BY version) FROM h) IS NOT DISTINCT FROM (SELECT array_agg(version ORDER BY version) FROM t)
        AND (SELECT array_agg(version ORDER BY version) FROM h) IS NOT DISTINCT FROM (SELECT array_agg(version ORDER BY version) FROM e))::int
SQL
}

KILLED=""
kills=0
retries=0
run=0
while [ "$run" -lt "$RUNS" ]; do
	run=$((run + 1))
	if [ $((run % 2)) -eq 1 ]; then mode=apply; call="SELECT count(*) FROM aura_migrate.apply();"
	else mode=migrate; call="CALL aura_migrate.migrate();"; fi
	DB="am_crash_$run"
	L="run $run ($mode)"
	if ! engine_db "$DB" || ! $PSQL -d "$DB" -f "$CL/set.sql" >/dev/null; then
		notok "$L: set-up failed"
		continue
	fi
	target=$((RANDOM % (NMIG - 3)))
	delay=$((RANDOM % KILL_JITTER))
	PGAPPNAME="am_crash_apply" psql -X -q -At -d "$DB" -c "$call" >"$CL/apply.out" 2>"$CL/apply.err" &
	client=$!
	pid=""
	for _ in $(seq 1 200); do
		pid=$($PSQL -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'am_crash_apply'")
		[ -n "$pid" ] && break
		sleep 0.02
	done
	if [ -z "$pid" ]; then
		notok "$L: the applying backend never appeared"
		wait "$client"
		continue
	fi
	# the random moment: once the backend is applying migration TARGET or a
	# later one (TARGET 0: as soon as it appears), plus 0 to KILL_JITTER ms
	if [ "$target" -gt 0 ]; then
		$PSQL -d "$DB" >/dev/null <<SQL
DO \$\$
BEGIN
	FOR i IN 1 .. 30000 LOOP
		PERFORM pg_stat_clear_snapshot();
		EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid AND state = 'active')
			OR (SELECT substring(query FROM 'applying migration ([0-9]{11})') >= '$(ver "$target")'
				FROM pg_stat_activity WHERE pid = $pid);
		PERFORM pg_sleep(0.002);
	END LOOP;
END
\$\$;
SQL
	fi
	sleep "$(printf '0.%03d' "$delay")"
	last=$($PSQL -d "$DB" -c "SELECT query FROM pg_stat_activity WHERE pid = $pid" 2>/dev/null)
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		KILLED="$KILLED $pid"
		wait "$client"
		rc=$?
		check "$L: backend $pid killed with SIGKILL (at migration $target + ${delay} ms), last seen: ${last:0:90}" "1|1" \
			"$([ "$rc" -ne 0 ] && echo 1 || echo 0)|$(grep -q -i -E 'server closed the connection|terminat|connection to server' "$CL/apply.err" && echo 1 || echo 0)"
	else
		wait "$client"
		dropdb --force "$DB" 2>/dev/null
		retries=$((retries + 1))
		if [ "$retries" -le 10 ]; then
			echo "# $L: apply finished before the kill (migration $target + ${delay} ms); run again"
			run=$((run - 1))
		else
			notok "$L: apply finished before the kill, 10 times"
		fi
		continue
	fi
	if wait_ready; then ok "$L: the postmaster restarted and accepts connections"; else bail "$L: the server did not come back"; fi

	a=$(agree "$DB")
	IFS='|' read -r nh nt nrow nev agreed <<<"$a"
	check "$L: history ($nh) and schema agree: tables ($nt) = history = 'applied' events ($nev), one row each ($nrow)" \
		"1|$nh|$nh|$nh" "$agreed|$nt|$nrow|$nev"
	if [ "$mode" = apply ]; then
		check "$L: apply() died with its transaction: no history, no table" 0 "$nh"
	fi
	n=$($PSQL -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply()" 2>"$CL/next.err")
	check "$L: the next apply() applies exactly the remaining $((NMIG - nh))" "$((NMIG - nh))" "$n"
	a=$(agree "$DB")
	IFS='|' read -r nh nt nrow nev agreed <<<"$a"
	check "$L: afterwards all $NMIG applied exactly once: history, tables, one row each, events" \
		"1|$NMIG|$NMIG|$NMIG|$NMIG" "$agreed|$nh|$nt|$nrow|$nev"
	check "$L: status() says applied for all $NMIG; a further apply() applies nothing" "$NMIG|0" \
		"$($PSQL -d "$DB" -c "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")|$($PSQL -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply()")"
	dropdb --force "$DB" 2>/dev/null
done

# the server log
sig=$(grep -c 'terminated by signal' "$CL/server.log")
check "server log: one 'terminated by signal' line per kill ($kills)" "$kills" "$sig"
named=0
for p in $KILLED; do
	grep -q "server process (PID $p) was terminated by signal 9" "$CL/server.log" && named=$((named + 1))
done
check "server log: each names a killed pid and signal 9" "$kills" "$named"
other=$(grep 'terminated by signal' "$CL/server.log" | grep -v -c -E "PID ($(echo $KILLED | tr ' ' '|'))\) was terminated by signal 9")
check "server log: no other process terminated by a signal" 0 "$other"
check "server log: no PANIC" 0 "$(grep -c 'PANIC' "$CL/server.log")"

finish
