# Contender h: graphile-migrate (npm), `graphile-migrate migrate`: applies the
# committed migrations (migrations/committed/00000K-name.sql, hash-chained as
# `graphile-migrate commit` writes them; bench/peers/layouts.py computes the
# chain as its hash.js does, and migrate checks every hash).  Per migration:
# an advisory lock, BEGIN, migration, INSERT into graphile_migrate.migrations,
# COMMIT (its default).  The connection string is DATABASE_URL.
. "$BENCH/peers/lib.sh"

peer_declare graphile_migrate h "graphile-migrate $(peer_npm_version graphile-migrate): graphile-migrate migrate (per migration: BEGIN, migration, INSERT graphile_migrate.migrations, COMMIT)" \
	peer_need_file "$PEERS_BIN/graphile-migrate"

graphile_migrate_prepare() { peer_layout graphile_migrate >/dev/null; }
graphile_migrate_run() {
	(cd "$(peer_dir graphile_migrate)" &&
		DATABASE_URL="postgres://$PGUSER@/$1?host=$PGHOST&port=$PGPORT" \
		"$PEERS_BIN/graphile-migrate" migrate >/dev/null 2>>"$BENCH_LOG")
}
graphile_migrate_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM graphile_migrate.migrations" "$BENCH_N"
}
graphile_migrate_noop() { graphile_migrate_run "$1"; }
