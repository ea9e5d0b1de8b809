# Contender b: the floor a per-migration tool must beat.  One psql process
# reads a script holding, per migration, BEGIN; <migration>; INSERT INTO
# bench_history ...; COMMIT;
contender psql_floor b "psql -f floor.sql (per migration: BEGIN, migration, INSERT history, COMMIT)"

psql_floor_prepare() {
	$PSQL -d "$1" -c "CREATE TABLE bench_history (version text PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null
}
psql_floor_run() { $PSQL -d "$1" -f "$BENCH_SCRIPTS/floor.sql" >/dev/null; }
psql_floor_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM bench_history" "$BENCH_N"
}
