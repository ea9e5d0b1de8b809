# Contender a: psql -1 -f of every migration concatenated.
# One transaction, no history: the lower bound of plain DDL from a client.
contender psql_single a "psql -1 -f all.sql (one transaction, no history)"

psql_single_prepare() { :; }
psql_single_run() { $PSQL -d "$1" -1 -f "$BENCH_SCRIPTS/all.sql" >/dev/null; }
psql_single_verify() { bench_expect_tables "$1"; }
