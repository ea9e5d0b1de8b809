# Contender c: SELECT * FROM aura_migrate.apply(), all pending migrations in
# the caller's transaction.  Registration is set-up, not timed.
contender aura_apply c "psql -c 'SELECT * FROM aura_migrate.apply()'"

aura_prepare() {
	$PSQL -d "$1" -c "CREATE EXTENSION aura_migrate" \
		-c "DELETE FROM aura_migrate.migration WHERE source = 'bundled'" >/dev/null
	$PSQL -d "$1" -1 -f "$BENCH_SCRIPTS/register.sql" >/dev/null
	bench_expect "$1" "SELECT count(*) FROM aura_migrate.status() WHERE state = 'pending'" "$BENCH_N"
}
aura_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM aura_migrate.history" "$BENCH_N" &&
	bench_expect "$1" "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'" "$BENCH_N"
}

aura_apply_prepare() { aura_prepare "$1"; }
aura_apply_run() { $PSQL -d "$1" -c "SELECT * FROM aura_migrate.apply()" >/dev/null; }
aura_apply_verify() { aura_verify "$1"; }
aura_apply_noop() { $PSQL -d "$1" -c "SELECT * FROM aura_migrate.apply()" >/dev/null; }

# Extra measurements with N applied, server-side (clock_timestamp() around
# calls inside one backend).  Prints "metric milliseconds" lines.
#   noop_apply_srv_txn   no-op apply(), each call in its own transaction
#                        (a DO loop that COMMITs after each call; the
#                        commit is included)
#   noop_apply_srv_1txn  no-op apply(), 100 calls in one transaction
#   noop_apply_srv_first the first call in a new backend (library load,
#                        cold caches)
#   status_srv           SELECT count(*) FROM status(), each in its own
#                        transaction
aura_apply_extra() {
	$PSQL -d "$1" -At <<'SQL'
DO $$
DECLARE
	t0 timestamptz;
	i int;
BEGIN
	t0 := clock_timestamp();
	PERFORM count(*) FROM aura_migrate.apply();
	PERFORM set_config('bench.first', (extract(epoch FROM clock_timestamp() - t0) * 1000)::text, false);
	COMMIT;
	t0 := clock_timestamp();
	FOR i IN 1..100 LOOP
		PERFORM count(*) FROM aura_migrate.apply();
		COMMIT;
	END LOOP;
	PERFORM set_config('bench.txn', (extract(epoch FROM clock_timestamp() - t0) * 1000 / 100)::text, false);
	COMMIT;
	t0 := clock_timestamp();
	FOR i IN 1..100 LOOP
		PERFORM count(*) FROM aura_migrate.apply();
	END LOOP;
	PERFORM set_config('bench.onetxn', (extract(epoch FROM clock_timestamp() - t0) * 1000 / 100)::text, false);
	COMMIT;
	t0 := clock_timestamp();
	FOR i IN 1..100 LOOP
		PERFORM count(*) FROM aura_migrate.status();
		COMMIT;
	END LOOP;
	PERFORM set_config('bench.status', (extract(epoch FROM clock_timestamp() - t0) * 1000 / 100)::text, false);
END
$$;
SELECT 'noop_apply_srv_first ' || current_setting('bench.first');
SELECT 'noop_apply_srv_txn ' || current_setting('bench.txn');
SELECT 'noop_apply_srv_1txn ' || current_setting('bench.onetxn');
SELECT 'status_srv ' || current_setting('bench.status');
SQL
	# whole-process time of psql -c 'SELECT * FROM aura_migrate.status()'
	echo "status_proc $(bench_median_of "$BENCH_NOOP_REPS" aura_status_proc "$1")"
}
aura_status_proc() { $PSQL -d "$1" -c "SELECT * FROM aura_migrate.status()" >/dev/null; }
