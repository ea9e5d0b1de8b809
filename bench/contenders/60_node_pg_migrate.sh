# Contender f: node-pg-migrate (npm), `node-pg-migrate up` on SQL migration
# files ("-- Up Migration" / "-- Down Migration").  Its CLI's default is
# --single-transaction=true: every pending migration and its INSERT into
# pgmigrations in ONE transaction (unlike the other peers); it also takes
# an advisory lock and checks the order of the applied migrations, and logs
# every statement (--verbose defaults to true; the log goes to /dev/null).
# The connection comes from PGHOST, PGPORT, PGUSER and PGDATABASE.
. "$BENCH/peers/lib.sh"

peer_declare node_pg_migrate f "node-pg-migrate $(peer_npm_version node-pg-migrate): node-pg-migrate up (CLI defaults: all pending migrations in one transaction, INSERT pgmigrations after each)" \
	peer_need_file "$PEERS_BIN/node-pg-migrate"

node_pg_migrate_prepare() { peer_layout node_pg_migrate >/dev/null; }
node_pg_migrate_run() {
	PGDATABASE=$1 "$PEERS_BIN/node-pg-migrate" up -m "$(peer_dir node_pg_migrate)" \
		>/dev/null 2>>"$BENCH_LOG"
}
node_pg_migrate_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM public.pgmigrations" "$BENCH_N"
}
node_pg_migrate_noop() { node_pg_migrate_run "$1"; }
