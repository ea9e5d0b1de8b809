# Contender i: sqitch (Debian package sqitch, with libdbd-pg-perl),
# `sqitch deploy db:pg:DB`: per change, one psql process runs the deploy
# script (BEGIN; migration; COMMIT; as sqitch's own pg template writes it),
# then sqitch records the change in its registry (schema sqitch: changes,
# dependencies, events, tags) over its DBD::Pg connection.  On a fresh
# database the first deploy also creates the registry, inside the timed run
# (as every peer creates its history table on first use).  psql is the
# cluster's own (--client); the connection comes from PGHOST, PGPORT, PGUSER.
. "$BENCH/peers/lib.sh"

sqitch_check() {
	command -v sqitch >/dev/null || { echo "sqitch not installed"; return 1; }
	perl -MDBD::Pg -e 1 2>/dev/null || { echo "DBD::Pg (libdbd-pg-perl) not installed"; return 1; }
}
peer_declare sqitch i "sqitch $(sqitch --version 2>/dev/null | sed 's/.* v//'): sqitch deploy (per change: a psql process running BEGIN, migration, COMMIT; then the registry rows)" \
	sqitch_check

sqitch_prepare() { peer_layout sqitch >/dev/null; }
sqitch_run() {
	(cd "$(peer_dir sqitch)" &&
		sqitch deploy --client "$PEERS_PSQL" "db:pg:$1" >/dev/null 2>>"$BENCH_LOG")
}
sqitch_verify() {
	bench_expect_tables "$1" &&
	bench_expect "$1" "SELECT count(*) FROM sqitch.changes" "$BENCH_N" &&
	bench_expect "$1" "SELECT count(*) FROM sqitch.events WHERE event = 'deploy'" "$BENCH_N"
}
sqitch_noop() { sqitch_run "$1"; }
