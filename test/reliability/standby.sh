#!/usr/bin/env bash
#
# test/reliability/standby.sh: a physical streaming standby and a dump and
# restore show the same history and schema as the primary after apply().
# Self-contained: it starts its own primary (wal_level = replica) on a free
# loopback port and a standby made with pg_basebackup -R -X stream, streaming
# from 127.0.0.1 (as the postgres OS user when run as root).
#
# On the primary: db/init/00_supabase_compat.sql, CREATE EXTENSION, apply() of
# the bundled Aura migrations, then user migrations applied by apply() (a
# table with RLS, an index, a function, a view) and by CALL migrate(), and one
# that fails (its 'failed' log row is written by the background worker).  It
# proves:
#   - the standby streams (pg_stat_replication shows it) and replays up to the
#     primary's pg_current_wal_lsn() after the work;
#   - on the standby: the same history, log and registry rows (every column),
#     the same status(), the same pg_dump --schema-only output byte for byte,
#     the same check_rls(probes => false) findings, and verify() answers;
#   - apply() on the standby is refused with an error (read-only), the
#     standby keeps running;
#   - a later apply() on the primary reaches the standby too;
#   - pg_dump -Fc of the primary restored into a new database shows the same
#     history rows and the same pg_dump --schema-only output (test/shell/
#     dump_restore.sh covers dump and restore in depth).
#
# Environment: KEEP=1 keeps the cluster directories.  Prints "N passed, M
# failed" last; exits non-zero on failure.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)
. "$DIR/lib.sh"

CL=$(mktemp -d "${TMPDIR:-/tmp}/am_sb.XXXXXX")
chmod 755 "$CL"
P1=$(free_port) || bail "no free port"
P2=$(free_port) || bail "no free port"
[ "$P1" = "$P2" ] && P2=$((P1 + 1))
PRI=$CL/primary
STB=$CL/standby
cleanup() {
	own_cluster_stop "$STB"
	own_cluster_stop "$PRI"
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $CL"; else rm -rf "$CL"; fi
}
trap cleanup EXIT
echo "# standby.sh: primary 127.0.0.1:$P1, standby 127.0.0.1:$P2, in $CL"
unset PGSERVICE PGPASSWORD PGDATABASE
export PGUSER=postgres

own_cluster_init "$PRI" "$P1" "wal_level = replica" "max_wal_senders = 5" "hot_standby = on" ||
	bail "initdb failed: $(tail -3 "$PRI/initdb.log")"
own_cluster_start "$PRI" || bail "the primary did not start: $(tail -3 "$PRI/server.log")"
pri() { $PSQL -h "$PRI" -p "$P1" "$@"; }
stb() { $PSQL -h "$STB" -p "$P2" "$@"; }

DB=am_sb
createdb -h "$PRI" -p "$P1" "$DB" || bail "createdb failed"
pri -d "$DB" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null || bail "db/init failed"
pri -d "$DB" -c "CREATE EXTENSION aura_schema CASCADE" >/dev/null || bail "CREATE EXTENSION failed"

# the standby, taken before the migrations so that they arrive by streaming
mkdir -p "$STB"
[ "$(id -u)" = 0 ] && chown postgres "$STB"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$STB/data" -R -X stream -c fast >"$STB/basebackup.log" 2>&1 ||
	bail "pg_basebackup failed: $(tail -3 "$STB/basebackup.log")"
{
	echo "port = $P2"
	echo "unix_socket_directories = '$STB'"
	echo "hot_standby = on"
} >>"$STB/data/postgresql.conf"
own_cluster_start "$STB" || bail "the standby did not start: $(tail -3 "$STB/server.log")"
check "the standby is in recovery" t "$(stb -d "$DB" -c "SELECT pg_is_in_recovery()")"
for _ in $(seq 1 100); do
	[ "$(pri -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND client_addr = '127.0.0.1'")" = 1 ] && break
	sleep 0.1
done
check "the primary streams to it over loopback (pg_stat_replication)" 1 \
	"$(pri -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND client_addr = '127.0.0.1'")"

# the migrations
check "apply() of the 5 bundled Aura migrations" 5 "$(pri -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply()")"
pri -d "$DB" >/dev/null <<'SQL' || notok "registering the user migrations failed"
SELECT aura_migrate.register('20260301001', 'sb_notes', $m$
CREATE TABLE sb_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id uuid NOT NULL, body bytea);
ALTER TABLE sb_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY sb_notes_owner ON sb_notes FOR ALL TO authenticated USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE INDEX sb_notes_user_idx ON sb_notes (user_id);
$m$);
SELECT aura_migrate.register('20260301002', 'sb_func_view', $m$
CREATE FUNCTION sb_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM sb_notes $$;
CREATE VIEW sb_note_ids WITH (security_invoker = true) AS SELECT id FROM sb_notes;
$m$);
SELECT aura_migrate.register('20260301003', 'sb_column', $m$
ALTER TABLE sb_notes ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
$m$);
SELECT aura_migrate.register('20260301004', 'sb_fails', $m$
CREATE TABLE sb_partial (id int PRIMARY KEY);
ALTER TABLE sb_partial ENABLE ROW LEVEL SECURITY;
INSERT INTO sb_no_such_table VALUES (1);
$m$);
SQL
check "apply('20260301002') applies 2 user migrations" 2 "$(pri -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply('20260301002')")"
pri -d "$DB" -c "CALL aura_migrate.migrate('20260301003')" >/dev/null 2>&1
check "CALL migrate('20260301003') applied the third" 1 "$(pri -d "$DB" -c "SELECT count(*) FROM aura_migrate.history WHERE version = '20260301003'")"
pri -d "$DB" -c "SELECT * FROM aura_migrate.apply()" >/dev/null 2>"$CL/fail.err"
check "the fourth fails at statement 3 (42P01) and is logged durably" "1|1" \
	"$(grep -c 'migration 20260301004 (sb_fails) failed at statement 3' "$CL/fail.err")|$(pri -d "$DB" -c "SELECT count(*) FROM aura_migrate.log WHERE version = '20260301004' AND event = 'failed' AND statement_no = 3 AND sqlstate = '42P01'")"

# wait_replay: until the standby has replayed the primary's current LSN
wait_replay() {
	local lsn
	lsn=$(pri -d postgres -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 300); do
		[ "$(stb -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && { echo "$lsn"; return 0; }
		sleep 0.1
	done
	echo "$lsn"
	return 1
}
lsn=$(wait_replay) && ok "the standby replayed up to the primary's LSN $lsn" || notok "the standby did not replay up to $lsn"

# compare QUERY LABEL: the same output on both
compare() {
	local a b
	a=$(pri -d "$DB" -c "$1" 2>&1)
	b=$(stb -d "$DB" -c "$1" 2>&1)
	if [ "$a" = "$b" ] && [ -n "$a" ]; then
		ok "standby: $2 identical ($(printf '%s\n' "$a" | wc -l) lines)"
	else
		notok "standby: $2 differ: $(diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -5 | tr '\n' ' ')"
	fi
}
compare "SELECT h::text FROM aura_migrate.history h ORDER BY version" "history rows"
compare "SELECT l::text FROM aura_migrate.log l ORDER BY id" "log rows (including the worker's 'failed' row)"
compare "SELECT version, checksum, source, md5(up_sql) FROM aura_migrate.migration ORDER BY version" "registry rows"
compare "SELECT version, state, checksum FROM aura_migrate.status() ORDER BY version" "status()"
compare "SELECT severity, code, object FROM aura_migrate.check_rls('{public}', false) ORDER BY 1, 2, 3 UNION ALL SELECT 'end', '', ''" "check_rls(probes => false) findings"
check "standby: history holds the 5 Aura and 3 user migrations" 8 "$(stb -d "$DB" -c "SELECT count(*) FROM aura_migrate.history")"
stb -d "$DB" -c "SELECT count(*) FROM aura_migrate.verify()" >/dev/null 2>"$CL/verify.err"
check "standby: verify() answers" "" "$(cat "$CL/verify.err")"

dump() { pg_dump --schema-only -h "$1" -p "$2" -d "$3" 2>"$4.err" | grep -v -e '^\\restrict ' -e '^\\unrestrict ' >"$4"; }
dump "$PRI" "$P1" "$DB" "$CL/primary.sql"
dump "$STB" "$P2" "$DB" "$CL/standby.sql"
if cmp -s "$CL/primary.sql" "$CL/standby.sql" && [ -s "$CL/primary.sql" ]; then
	ok "standby: pg_dump --schema-only identical to the primary's ($(wc -l <"$CL/primary.sql") lines)"
else
	notok "standby: pg_dump --schema-only differs: $(diff "$CL/primary.sql" "$CL/standby.sql" | head -5 | tr '\n' ' ') $(head -2 "$CL/standby.sql.err")"
fi

stb -d "$DB" -c "SELECT * FROM aura_migrate.apply()" >/dev/null 2>"$CL/stb_apply.err"
rc=$?
check "standby: apply() is refused with an ERROR" "1|1" "$([ $rc -ne 0 ] && echo 1 || echo 0)|$(grep -c '^ERROR' "$CL/stb_apply.err")"
echo "   standby apply(): $(head -1 "$CL/stb_apply.err")"
check "standby: still in recovery and answering" t "$(stb -d "$DB" -c "SELECT pg_is_in_recovery()")"

# a later apply() on the primary
pri -d "$DB" >/dev/null <<'SQL'
SELECT aura_migrate.register('20260301004', 'sb_fails', $m$
CREATE TABLE sb_partial (id int PRIMARY KEY);
ALTER TABLE sb_partial ENABLE ROW LEVEL SECURITY;
$m$, replace => true);
SQL
check "primary: the repaired fourth migration applies" 1 "$(pri -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply()")"
lsn=$(wait_replay) && ok "the standby replayed up to $lsn again" || notok "the standby did not replay up to $lsn"
compare "SELECT h::text FROM aura_migrate.history h ORDER BY version" "history rows after the later apply()"
check "standby: sb_partial exists with RLS" t "$(stb -d "$DB" -c "SELECT relrowsecurity FROM pg_class WHERE relname = 'sb_partial'")"
dump "$PRI" "$P1" "$DB" "$CL/primary2.sql"
dump "$STB" "$P2" "$DB" "$CL/standby2.sql"
if cmp -s "$CL/primary2.sql" "$CL/standby2.sql" && [ -s "$CL/primary2.sql" ]; then
	ok "standby: pg_dump --schema-only identical again ($(wc -l <"$CL/primary2.sql") lines)"
else
	notok "standby: pg_dump --schema-only differs after the later apply(): $(diff "$CL/primary2.sql" "$CL/standby2.sql" | head -5 | tr '\n' ' ')"
fi

# a dump and restore of the primary
RDB=am_sb_restored
pg_dump -Fc -h "$PRI" -p "$P1" -d "$DB" -f "$CL/primary.dump" 2>"$CL/pgdump.err" || notok "pg_dump -Fc failed: $(head -2 "$CL/pgdump.err")"
createdb -h "$PRI" -p "$P1" "$RDB"
pg_restore -h "$PRI" -p "$P1" -d "$RDB" "$CL/primary.dump" 2>"$CL/restore.err"
check "dump and restore: pg_restore without messages" "0|" "$?|$(head -3 "$CL/restore.err")"
a=$(pri -d "$DB" -c "SELECT h::text FROM aura_migrate.history h ORDER BY version")
b=$(pri -d "$RDB" -c "SELECT h::text FROM aura_migrate.history h ORDER BY version")
check "dump and restore: the same history rows ($(printf '%s\n' "$a" | wc -l))" "$a" "$b"
dump "$PRI" "$P1" "$RDB" "$CL/restored.sql"
if cmp -s "$CL/primary2.sql" "$CL/restored.sql"; then
	ok "dump and restore: pg_dump --schema-only identical to the primary's"
else
	notok "dump and restore: pg_dump --schema-only differs: $(diff "$CL/primary2.sql" "$CL/restored.sql" | head -5 | tr '\n' ' ')"
fi
check "dump and restore: status() the same" \
	"$(pri -d "$DB" -c "SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM aura_migrate.status()")" \
	"$(pri -d "$RDB" -c "SELECT string_agg(version || '=' || state, ',' ORDER BY version) FROM aura_migrate.status()")"
check "dump and restore: a further apply() applies nothing" 0 "$(pri -d "$RDB" -c "SELECT count(*) FROM aura_migrate.apply()")"

check "server logs: no 'terminated by signal' and no PANIC" 0 \
	"$(cat "$PRI/server.log" "$STB/server.log" | grep -c -E 'terminated by signal|PANIC')"
finish
