# Contender g: postgres-migrations (npm).  It is a library without an apply
# command; bench/peers/postgres_migrations.js is the few lines of its README
# (a pg Client from the PG* variables, migrate({client}, dir)), timed as a
# whole `node` process.  Per migration: START TRANSACTION, migration, INSERT
# into migrations, COMMIT (its default); it also takes an advisory lock and
# checks the md5 hash of every applied file against its history.  Files are
# 1_name.sql .. N_name.sql: the tool wants consecutive ids.  Its history
# table holds one more row, id 0, its own "create-migrations-table".
. "$BENCH/peers/lib.sh"

peer_declare postgres_migrations g "postgres-migrations $(peer_npm_version postgres-migrations): node postgres_migrations.js (migrate(); per migration: START TRANSACTION, migration, INSERT migrations, COMMIT)" \
	test -f "$PEERS_DIR/node_modules/postgres-migrations/package.json"

postgres_migrations_prepare() { peer_layout postgres_migrations >/dev/null; }
postgres_migrations_run() {
	PGDATABASE=$1 node "$PEERS_DIR/postgres_migrations.js" "$(peer_dir postgres_migrations)" \
		>/dev/null 2>>"$BENCH_LOG"
}
postgres_migrations_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM public.migrations WHERE id > 0" "$BENCH_N"
}
postgres_migrations_noop() { postgres_migrations_run "$1"; }
