#!/usr/bin/env bash
#
# test/load/aura_load.sh: the Aura schema under load while migrations run.
#
# On a throwaway cluster: seed NUSERS users (default 1000) with RECS cycle records
# each (default 20) plus one "hot" user with HOT shared records; run pgbench with
# CLIENTS clients for DURATION seconds (default 16 clients, 60 s; FAST=1: 4 clients,
# 10 s) mixing three PostgREST-shaped requests, each with the JWT claims and SET
# LOCAL ROLE authenticated:
#   sync.sql        (weight 6) "what changed since T" on the caller's cycle records
#   update_own.sql  (weight 3) update_cycle_data_optimistic on a record only this
#                   client writes: must always apply
#   update_hot.sql  (weight 1) read a shared record's version, then update it in the
#                   next request: concurrent clients conflict (applied = false)
# While it runs, at 30% of the duration it registers and CALLs aura_migrate.migrate()
# on a "-- aura:no-transaction" migration that runs CREATE INDEX CONCURRENTLY on
# public.encrypted_cycle_data, and at 60% one that adds a nullable column to it.
#
# Asserts: pgbench exits 0 with 0 failed transactions and no aborted client, the
# server log has no ERROR; no lost update (every record's final version = initial
# + the applied updates recorded for it, each applied update bumped the version
# by exactly one, no two applied updates produced the same version, every
# conflict reported a newer version, own-record updates always applied, every
# update transaction was recorded); both migrations applied, the index is valid,
# the column exists.  Reports the worst latency of the transactions that overlap
# each migration's window (pgbench --log) and writes the numbers to the "load"
# section of bench/results-aura.md (OUT=file to write elsewhere; OUT=- for none).
#
# Prints "N passed, M failed"; exits non-zero on any failure.  Settings (env):
# FAST, NUSERS, RECS, HOT, CLIENTS, DURATION, AURA_ENV (environment the migrations
# run in; default production: 5 s lock_timeout with retries), KEEP=1 keeps the
# cluster directory.  Run as root or as a user who can run initdb.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
AURA_TAG=load
. "$ROOT/test/lib.sh"	# the harness: ok, notok, check (before aura_lib.sh: its PSQL is an array)
source "$ROOT/bench/aura_lib.sh"

FAST=${FAST:-0}
NUSERS=${NUSERS:-1000}
RECS=${RECS:-20}
HOT=${HOT:-4}
if [ "$FAST" = 1 ]; then
	CLIENTS=${CLIENTS:-4}; DURATION=${DURATION:-10}
else
	CLIENTS=${CLIENTS:-16}; DURATION=${DURATION:-60}
fi
AURA_ENV=${AURA_ENV:-production}
OUT=${OUT:-$ROOT/bench/results-aura.md}
THREADS=$(( CLIENTS < $(nproc) ? CLIENTS : $(nproc) ))
PER_CLIENT=$(( NUSERS / CLIENTS ))
[ "$PER_CLIENT" -ge 1 ] || { echo "NUSERS must be >= CLIENTS" >&2; exit 2; }

# expect DESCRIPTION GOT WANT: check with the arguments in the order read here
expect() { check "$1" "$3" "$2"; }
now() { date +%s.%N; }

aura_cluster_start "shared_buffers = 256MB" "log_min_messages = warning" "log_line_prefix = '%m [%p] '"
DB=aura_load
aura_db_setup "$DB"
"${PSQL[@]}" -d "$DB" -c "ALTER DATABASE $DB SET aura_migrate.environment = '$AURA_ENV'"
export PGDATABASE=$DB
echo "# seeding $NUSERS users x $RECS cycle records (+ $HOT hot records)"
"${PSQL[@]}" -v nusers="$NUSERS" -v recs="$RECS" -v hot="$HOT" -f "$HERE/setup.sql" >/dev/null
ROWS=$("${PSQL[@]}" -c 'SELECT count(*) FROM public.encrypted_cycle_data')
VERSION_SUM0=$("${PSQL[@]}" -c 'SELECT sum(version) FROM public.encrypted_cycle_data')
LOGDIR=$AURA_WORK/pgbench
mkdir -p "$LOGDIR"
SRVLOG=$AURA_WORK/server.log
LOG_LINES0=$(wc -l < "$SRVLOG")

echo "# pgbench: $CLIENTS clients, $THREADS threads, ${DURATION} s, environment $AURA_ENV"
T_LOAD0=$(now)
pgbench -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$DURATION" \
	-D nusers="$NUSERS" -D recs="$RECS" -D hot="$HOT" -D hotuser="$NUSERS" \
	-D clients="$CLIENTS" -D per_client="$PER_CLIENT" \
	-f "$HERE/sync.sql@6" -f "$HERE/update_own.sql@3" -f "$HERE/update_hot.sql@1" \
	-l --log-prefix="$LOGDIR/tx" --failures-detailed \
	>"$AURA_WORK/pgbench.out" 2>&1 &
PGB=$!

# sleep_until FRACTION: until that fraction of the load's duration has passed
sleep_until() {
	python3 -c "import time,sys; t=$T_LOAD0+$DURATION*$1-time.time(); time.sleep(max(t,0))"
}

sleep_until 0.3
"${PSQL[@]}" >/dev/null <<'SQL'
SELECT aura_migrate.register('20270301001', 'load_sync_created_idx', $m$-- aura:no-transaction
-- Built under load, without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS encrypted_cycle_data_user_created_idx
	ON public.encrypted_cycle_data (user_id, created_at);
$m$);
SQL
W1S=$(now)
"${PSQL[@]}" -c 'CALL aura_migrate.migrate()' >"$AURA_WORK/migrate1.out" 2>&1 || true
W1E=$(now)

sleep_until 0.6
"${PSQL[@]}" >/dev/null <<'SQL'
SELECT aura_migrate.register('20270301002', 'load_add_client_version', $m$
-- Nullable, no default: a catalog-only change, but it needs an ACCESS EXCLUSIVE lock.
ALTER TABLE public.encrypted_cycle_data ADD COLUMN client_version smallint;
$m$);
SQL
W2S=$(now)
"${PSQL[@]}" -c 'CALL aura_migrate.migrate()' >"$AURA_WORK/migrate2.out" 2>&1 || true
W2E=$(now)

PGB_RC=0
wait "$PGB" || PGB_RC=$?
sed -n '/^transaction type/,$p' "$AURA_WORK/pgbench.out" | { grep -v '^ - weight' || true; } | sed 's/^/#   /'

# ---------------------------------------------------------------------------
echo "# checks"
expect "pgbench exit status" "$PGB_RC" 0
expect "pgbench: no failed transaction" \
	"$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$AURA_WORK/pgbench.out")" 0
expect "pgbench: no aborted client" "$(grep -c -i 'aborted' "$AURA_WORK/pgbench.out" || true)" 0
TOTAL=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$AURA_WORK/pgbench.out")
[ "${TOTAL:-0}" -gt 0 ] && ok "load ran: $TOTAL transactions" || notok "load ran no transaction"
# per-script transaction counts, in script order
mapfile -t PER_SCRIPT < <(sed -n 's/^ - \([0-9]*\) transactions (.*/\1/p' "$AURA_WORK/pgbench.out")
N_SYNC=${PER_SCRIPT[0]:-0}; N_OWN=${PER_SCRIPT[1]:-0}; N_HOT=${PER_SCRIPT[2]:-0}

ERRS=$(tail -n +"$((LOG_LINES0 + 1))" "$SRVLOG" | grep -c -E 'ERROR:|FATAL:|PANIC:' || true)
expect "server log: no ERROR, FATAL or PANIC during the load" "$ERRS" 0
[ "$ERRS" = 0 ] || tail -n +"$((LOG_LINES0 + 1))" "$SRVLOG" | grep -E 'ERROR:|FATAL:|PANIC:' | head -5 | sed 's/^/#   /'

declare -A V
while read -r k v; do V[$k]=$v; done < <("${PSQL[@]}" -F ' ' -f "$HERE/verify.sql")
expect "no lost update: final version = initial + applied updates, for every record" "${V[lost_or_phantom_updates]}" 0
expect "no record lost" "${V[records_missing]}" 0
expect "every applied update bumped the version by exactly one" "${V[bump_not_by_one]}" 0
expect "no two applied updates produced the same version" "${V[duplicate_new_version]}" 0
expect "every conflict (applied = false) reported a newer version" "${V[conflict_without_newer_version]}" 0
expect "updates of a client's own records always applied" "${V[own_not_applied]}" 0
# pgbench counts only what completed before -T ran out; a client cut off after its
# COMMIT reached the server leaves one recorded transaction pgbench did not count.
recorded() {	# DESCRIPTION RECORDED COUNTED
	if [ "$2" -ge "$3" ] && [ "$2" -le $(($3 + CLIENTS)) ]; then ok "$1 ($2 recorded, $3 counted by pgbench)"
	else notok "$1 ($2 recorded, $3 counted by pgbench; want between $3 and $(($3 + CLIENTS)))"; fi
}
recorded "every own-record update transaction was recorded" "$((V[own_applied] + V[own_not_applied]))" "$N_OWN"
recorded "every hot-record update transaction was recorded" "$((V[hot_applied] + V[hot_conflicts]))" "$N_HOT"
VERSION_SUM1=$("${PSQL[@]}" -c 'SELECT sum(version) FROM public.encrypted_cycle_data')
expect "sum of versions grew by the number of applied updates" \
	"$((VERSION_SUM1 - VERSION_SUM0))" "$((V[own_applied] + V[hot_applied]))"
if [ "${V[hot_conflicts]}" -gt 0 ]; then
	echo "# documented conflicts (applied = false) on the hot records: ${V[hot_conflicts]}"
else
	echo "# note: no conflict happened on the hot records in this run"
fi

expect "migration 20270301001 (CREATE INDEX CONCURRENTLY) applied" \
	"$("${PSQL[@]}" -c "SELECT state FROM aura_migrate.status() WHERE version = '20270301001'")" applied
expect "migration 20270301002 (ADD COLUMN) applied" \
	"$("${PSQL[@]}" -c "SELECT state FROM aura_migrate.status() WHERE version = '20270301002'")" applied
expect "the concurrently built index is valid" \
	"$("${PSQL[@]}" -c "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass('public.encrypted_cycle_data_user_created_idx')")" t
expect "the nullable column exists" \
	"$("${PSQL[@]}" -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.encrypted_cycle_data'::regclass AND attname = 'client_version' AND NOT attnotnull AND NOT attisdropped")" 1
for f in migrate1 migrate2; do
	grep -q -i 'error' "$AURA_WORK/$f.out" && sed 's/^/#   /' "$AURA_WORK/$f.out"
done
RETRIES=$("${PSQL[@]}" -c "SELECT count(*) FROM aura_migrate.log WHERE version IN ('20270301001','20270301002') AND event = 'retried'")

# ---------------------------------------------------------------------------
# Latencies: the transactions that overlap each migration's window.
LAT=$AURA_WORK/latency.tsv
python3 "$HERE/latency.py" "$(python3 -c "print($T_LOAD0 + 2)")" \
	"index:$W1S:$W1E" "column:$W2S:$W2E" -- "$LOGDIR"/tx.* >"$LAT"
expect "pgbench log: no failed transaction" "$(awk -F'\t' '$1 == "failed_in_log" {print $2}' "$LAT")" 0
IN_WIN=$(awk -F'\t' '($1 == "index" || $1 == "column") && $2 == "all" {s += $3} END {print s+0}' "$LAT")
[ "$IN_WIN" -gt 0 ] && ok "the load ran during the migrations ($IN_WIN transactions overlap them)" \
	|| notok "no transaction overlapped the migrations"

ms() { python3 -c "print(f'{($2 - $1) * 1000:.0f}')"; }
W1MS=$(ms "$W1S" "$W1E"); W2MS=$(ms "$W2S" "$W2E")
D1=$("${PSQL[@]}" -c "SELECT round(duration_ms::numeric, 1) FROM aura_migrate.history WHERE version = '20270301001'")
D2=$("${PSQL[@]}" -c "SELECT round(duration_ms::numeric, 1) FROM aura_migrate.history WHERE version = '20270301002'")
script_name() { case $1 in 0) echo sync;; 1) echo update_own;; 2) echo update_hot;; *) echo all;; esac; }
TABLE=$AURA_WORK/table.md
{
	echo "| window | requests | transactions | p50 ms | p99 ms | worst ms | worst: start, end (s from window start) |"
	echo "|---|---|---:|---:|---:|---:|---|"
	while IFS=$'\t' read -r name sc n p50 p99 mx s e; do
		[ "$name" = failed_in_log ] && continue
		case $name in
			index) label="CREATE INDEX CONCURRENTLY (CALL migrate(): ${W1MS} ms)";;
			column) label="ADD COLUMN (CALL migrate(): ${W2MS} ms)";;
			outside) label="outside the windows (after 2 s warm-up)"; s=""; e="";;
		esac
		echo "| $label | $(script_name "$sc") | $n | $p50 | $p99 | $mx | ${s:+$s, $e} |"
	done <"$LAT"
} >"$TABLE"
echo "# latency (pgbench --log, per transaction):"
sed 's/^/#   /' "$TABLE"
WORST=$(awk -F'\t' '($1 == "index" || $1 == "column") && $2 == "all" {if ($6 > m) m = $6} END {print m}' "$LAT")
echo "# worst latency of a request overlapping a migration: $WORST ms"

echo "$pass passed, $fail failed"

if [ "$OUT" != - ]; then
	SEC=$AURA_WORK/section.md
	{
		echo "## Aura under load (\`test/load/aura_load.sh\`$( [ "$FAST" = 1 ] && echo ", FAST=1"))"
		echo
		machine_info
		echo "- cluster: initdb defaults + shared_buffers = 256MB, fsync and synchronous_commit on; Unix socket"
		echo "- load: pgbench -M prepared, $CLIENTS clients, $THREADS threads, ${DURATION} s; $NUSERS users x $RECS cycle records + $HOT hot records ($ROWS rows); requests sync : update_own : update_hot = 6 : 3 : 1, each with JWT claims and SET LOCAL ROLE authenticated"
		echo "- migrations during the load (environment \`$AURA_ENV\`), each by \`CALL aura_migrate.migrate()\` from another session: 20270301001 \`-- aura:no-transaction\` CREATE INDEX CONCURRENTLY on encrypted_cycle_data at 30% (history duration $D1 ms), 20270301002 ADD COLUMN client_version smallint (nullable) at 60% (history duration $D2 ms); lock retries logged: $RETRIES"
		echo "- result: **$pass passed, $fail failed**; $TOTAL transactions (sync $N_SYNC, update_own $N_OWN, update_hot $N_HOT), $(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$AURA_WORK/pgbench.out" | cut -d. -f1) tps; pgbench failed transactions $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$AURA_WORK/pgbench.out"); optimistic updates applied ${V[own_applied]} (own) + ${V[hot_applied]} (hot), documented conflicts ${V[hot_conflicts]} (hot); lost updates ${V[lost_or_phantom_updates]}"
		echo "- **worst latency of a request overlapping a migration: $WORST ms**"
		echo
		cat "$TABLE"
		echo
		echo "A transaction counts for a window when it overlaps it (a request that waited on the migration's lock is counted even if it began before)."
	} >"$SEC"
	results_section "$OUT" load "$SEC"
	echo "# wrote section 'load' of $OUT"
fi

[ "$fail" -eq 0 ]
