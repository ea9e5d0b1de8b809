# Contender e: dbmate (npm package `dbmate`, which ships the Go binary as
# @dbmate/linux-x64), `dbmate migrate`: per migration a transaction holding
# the migration and the INSERT into schema_migrations (dbmate's default; no
# "transaction:false" in the files).  --no-dump-schema: dbmate's default
# would also run pg_dump after migrating to write db/schema.sql, which is
# not applying migrations (leaving it on would only make dbmate slower).
# The migrations are those of gen_migrations.py with dbmate's
# "-- migrate:up" / "-- migrate:down" markers (bench/peers/layouts.py).
. "$BENCH/peers/lib.sh"

peer_declare dbmate e "dbmate $("$PEERS_BIN/dbmate" --version 2>/dev/null | sed 's/.*version //'): dbmate --no-dump-schema migrate (per migration: BEGIN, migration, INSERT schema_migrations, COMMIT)" \
	peer_need_file "$PEERS_BIN/dbmate"

dbmate_url() { echo "postgres://$PGUSER@/$1?socket=$PGHOST&port=$PGPORT&sslmode=disable"; }
dbmate_prepare() { peer_layout dbmate >/dev/null; }
dbmate_run() {
	"$PEERS_BIN/dbmate" --url "$(dbmate_url "$1")" --migrations-dir "$(peer_dir dbmate)" \
		--no-dump-schema migrate >/dev/null 2>>"$BENCH_LOG"
}
dbmate_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM public.schema_migrations" "$BENCH_N"
}
dbmate_noop() { dbmate_run "$1"; }
