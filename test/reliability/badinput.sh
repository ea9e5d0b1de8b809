#!/usr/bin/env bash
#
# test/reliability/badinput.sh: malformed and hostile input never crashes the
# backend.  Self-contained: it starts its own PostgreSQL 15 cluster (as the
# postgres OS user when run as root) to read the server log afterwards.
#
# badinput_gen.pl writes a corpus (400 to 500 cases with the defaults) of
# inputs to register(), register_file(), lint(), apply(), migrate(),
# rollback() and check_rls():
#   NULL arguments; bad versions, names, environments, depends_on, file names
#   and headers; 1 MB versions and 10 MB names; SQL that must be refused
#   (empty, comments only, psql meta-commands \i \set :var, COPY FROM STDIN,
#   transaction control, statements needing top level, touching the
#   extension's own objects, unterminated dollar quotes, quotes, comments and
#   identifiers, 100k nested parentheses, 10 MB strings); invalid UTF-8 (which
#   convert_from() refuses before the functions see it); GARBAGE random texts
#   of valid UTF-8 (controls, bidi overrides, zero-width, emoji, SQL tokens),
#   linted, registered and applied; MUTATIONS mutated copies of the real
#   migrations in db/migrations/production (truncated at a random point, lines
#   deleted, duplicated or swapped, tokens swapped or replaced), linted,
#   registered (replace => true) and applied in a rolled-back transaction;
#   bad apply()/rollback()/migrate() targets, isolation levels, read-only
#   transactions; hostile migrations (DROP EXTENSION or TRUNCATE of history
#   through EXECUTE, nested apply()/migrate()/register(), COMMIT inside DO,
#   advisory unlock, RESET ALL, SET ROLE, infinite recursion, 1 GB
#   allocation, event triggers, ...); hostile down SQL run by rollback();
#   check_rls() with '{NULL}', '{""}', non-existent, system and 10,000-element
#   schema arrays and weird allow_definer lists, against the Aura schema.
# It proves, case by case:
#   - each case was answered (an ERROR or a result), in the same backend (same
#     pg_backend_pid() after every case: no crash, no reconnect);
#   - no case raised an internal error (SQLSTATE XX000), timed out
#     (statement_timeout = STMT_TIMEOUT, default 120s) or took more than
#     SLOW_LIMIT seconds (default 10) to answer;
#   - each case marked E (must be refused) was an ERROR, and the registry is
#     unchanged after it;
# then: the registry after the corpus equals the registry before (every
# change was refused or rolled back); the server log holds no "terminated by
# signal", "server process ... exited", PANIC or TRAP line; and, outside the
# corpus, two checks of the SQL splitter on large inputs: lint() of 40,000
# statements takes at most 6 times as long as lint() of 10,000 (linear-ish,
# not quadratic), and pg_cancel_backend() stops a long lint() within 2 s.
#
# Environment: SEED, MUTATIONS (default 120; FAST=1: 40), GARBAGE (default
# 60; FAST=1: 30), STMT_TIMEOUT (default 120s), SLOW_LIMIT (s, default 10), KEEP=1.  Cases slower than 2 s
# are marked "(slow: N s)".
# Prints "N passed, M failed" last; exits non-zero on failure.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$DIR/../.." && pwd)
. "$DIR/../lib.sh"	# the harness (test/lib.sh)

SEED=${SEED:-$(( $(date +%s) % 32768 ))}
if [ "${FAST:-0}" = 1 ]; then
	MUTATIONS=${MUTATIONS:-40}
	GARBAGE=${GARBAGE:-30}
else
	MUTATIONS=${MUTATIONS:-120}
	GARBAGE=${GARBAGE:-60}
fi
STMT_TIMEOUT=${STMT_TIMEOUT:-120s}
SLOW_LIMIT=${SLOW_LIMIT:-10}
CL=$(mktemp -d "${TMPDIR:-/tmp}/am_bad.XXXXXX")
chmod 755 "$CL"
PORT=$(free_port) || bail "no free port"
cleanup() {
	own_cluster_stop "$CL"
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $CL"; else rm -rf "$CL"; fi
}
trap cleanup EXIT
echo "# badinput.sh: SEED=$SEED MUTATIONS=$MUTATIONS GARBAGE=$GARBAGE cluster $CL port $PORT"

own_cluster_init "$CL" "$PORT" || bail "initdb failed: $(tail -3 "$CL/initdb.log")"
own_cluster_start "$CL" || bail "the cluster did not start: $(tail -3 "$CL/server.log")"
export PGHOST=$CL PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
unset PGSERVICE PGPASSWORD

# two databases with the Supabase compatibility layer and the extension:
# am_bad, where the real migration files are registered as pending user
# migrations (the mutated copies replace them, in rolled-back transactions),
# and am_bad_aura, with the Aura migrations applied, for check_rls().
DB=am_bad
AURA=am_bad_aura
for d in "$DB" "$AURA"; do
	createdb "$d" && $PSQL -d "$d" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null &&
		$PSQL -d "$d" -c "CREATE EXTENSION aura_migrate" >/dev/null || bail "set-up of $d failed"
done
$PSQL -d "$AURA" -c "SELECT count(*) FROM aura_migrate.apply()" >/dev/null || bail "the Aura migrations do not apply"
$PSQL -d "$DB" -c "DELETE FROM aura_migrate.migration WHERE source = 'bundled'" >/dev/null
for f in "$ROOT"/db/migrations/production/2*.sql; do
	case $f in *.down.sql) continue ;; esac
	$PSQL -d "$DB" -v f="$(basename "$f")" -v sql="$(cat "$f")" <<<"SELECT aura_migrate.register_file(:'f', :'sql');" >/dev/null ||
		bail "registering $f failed"
done

perl "$DIR/badinput_gen.pl" "$SEED" "$MUTATIONS" "$GARBAGE" \
	$(ls "$ROOT"/db/migrations/production/2*.sql | grep -v '\.down\.sql$') >"$CL/corpus.sql" || bail "the generator failed"
ncases=$(grep -c "^\\\\echo '#CASE" "$CL/corpus.sql")
echo "# corpus: $ncases cases, $(wc -c <"$CL/corpus.sql") bytes"
[ "$ncases" -ge 200 ] && ok "the corpus has $ncases cases (at least 200)" || notok "the corpus has only $ncases cases"

fingerprint() {
	$PSQL -d "$1" -c "SELECT count(*) || ':' || coalesce(md5(string_agg(version || checksum || coalesce(down_sql, ''), ',' ORDER BY version)), '') FROM aura_migrate.migration"
}

# run_corpus DB TAG: run the corpus (TAG aura: only its check_rls cases) in one session
run_corpus() {
	local db=$1 tag=$2 file=$CL/corpus.sql
	if [ "$tag" = aura ]; then
		# the check_rls cases again, against the applied Aura schema
		awk '/^\\echo .#CASE [0-9]+ [EA] check_rls/ {p = 1} p {print} /^SELECT .#ALIVE/ {p = 0}' "$CL/corpus.sql" >"$CL/corpus_aura.sql"
		echo "\\echo '#DONE'" >>"$CL/corpus_aura.sql"
		file=$CL/corpus_aura.sql
	fi
	PGOPTIONS="-c statement_timeout=$STMT_TIMEOUT -c client_min_messages=error" \
		psql -X -q -At -v ON_ERROR_STOP=0 -v VERBOSITY=terse -d "$db" \
		-c "SELECT '#PID0 ' || pg_backend_pid()" -f "$file" >"$CL/out_$tag.txt" 2>"$CL/err_$tag.txt"
	echo $? >"$CL/rc_$tag"
}

# judge TAG LABEL: read the markers back
judge() {
	local tag=$1 what=$2
	awk -v what="$what" -v slow="$SLOW_LIMIT" '
		function verdict(   msg) {
			if (cur == "") return
			if (!(cur in res)) { print "not ok: " what " case " cur " [" lab[cur] "]: no answer (connection lost?)"; cur = ""; return }
			split(res[cur], r, " ")
			msg = (r[1] == "true") ? "ERROR " r[2] : "answered"
			if (r[2] == "XX000") print "not ok: " what " case " cur " [" lab[cur] "]: internal error (XX000)"
			else if (tm[cur] > slow * 1000) print "not ok: " what " case " cur " [" lab[cur] "]: " msg " only after " sprintf("%.1f", tm[cur] / 1000) " s (more than " slow " s)"
			else if (r[2] == "57014") print "not ok: " what " case " cur " [" lab[cur] "]: timed out"
			else if (ex[cur] == "E" && r[1] != "true") print "not ok: " what " case " cur " [" lab[cur] "]: accepted, must be refused"
			else if (ex[cur] == "E" && fp != prevfp) print "not ok: " what " case " cur " [" lab[cur] "]: " msg ", but the registry changed"
			else print "ok: " what " case " cur " [" lab[cur] "]: " msg ", same backend" (tm[cur] > 2000 ? sprintf(" (slow: %.1f s)", tm[cur] / 1000) : "")
			cur = ""
		}
		/^#PID0 / { pid0 = $2; next }
		/^#CASE / {
			if (cur != "") pend[cur] = 1
			cur = $2; ex[cur] = $3; l = $0; sub(/^#CASE [0-9]+ [EA] /, "", l); lab[cur] = l; ncase++; next
		}
		/^#RES / { res[$2] = $3 " " $4; next }
		/^Time: / { if (cur != "" && !(cur in res) && !(cur in tm)) tm[cur] = $2; next }
		/^#ALIVE / {
			if ($2 != pid0) { print "not ok: " what ": backend changed from " pid0 " to " $2 " after case " cur; changed++ }
			prevfp = fp; fp = $3
			for (c in pend) { save = cur; cur = c; verdict(); cur = save; delete pend[c] }
			verdict(); next
		}
		/^#DONE/ { done = 1 }
		END {
			if (cur != "") verdict()
			for (c in pend) { cur = c; verdict() }
			if (!done) print "not ok: " what ": the corpus did not run to its end"
			else print "ok: " what ": the corpus ran to its end (" ncase " cases) in backend " pid0
		}
	' "$CL/out_$tag.txt"
}

fp_before=$(fingerprint "$DB")
start=$(date +%s)
run_corpus "$DB" main
secs=$(($(date +%s) - start))
judge main "corpus" >"$CL/verdicts_main.txt"
cat "$CL/verdicts_main.txt"
pass=$((pass + $(grep -c '^ok' "$CL/verdicts_main.txt")))
fail=$((fail + $(grep -c '^not ok' "$CL/verdicts_main.txt")))
check "corpus: psql exited 0 after $secs s (never lost its connection)" 0 "$(cat "$CL/rc_main")"
check "corpus: the registry afterwards equals the registry before" "$fp_before" "$(fingerprint "$DB")"
check "corpus: no 'connection to server was lost' on stderr" 0 "$(grep -c -i 'connection to server was lost\|server closed the connection' "$CL/err_main.txt")"
echo "# answers: $(grep -c '^ok.*ERROR' "$CL/verdicts_main.txt") errors, $(grep -c '^ok.*answered' "$CL/verdicts_main.txt") results; SQLSTATEs: $(grep -o 'ERROR [0-9A-Z]*' "$CL/verdicts_main.txt" | sort | uniq -c | sort -rn | awk '{printf "%s %s, ", $3, $1}')"

run_corpus "$AURA" aura
judge aura "check_rls on the Aura schema" >"$CL/verdicts_aura.txt"
cat "$CL/verdicts_aura.txt"
pass=$((pass + $(grep -c '^ok' "$CL/verdicts_aura.txt")))
fail=$((fail + $(grep -c '^not ok' "$CL/verdicts_aura.txt")))
check "check_rls on the Aura schema: psql exited 0" 0 "$(cat "$CL/rc_aura")"

# the SQL splitter on many statements: time and cancellation
t1=$($PSQL -d "$DB" -c "SET statement_timeout = '120s'" \
	-c "DO \$\$DECLARE t0 timestamptz := clock_timestamp(); BEGIN PERFORM count(*) FROM aura_migrate.lint(repeat('SELECT 1;', 10000)); RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - t0); END\$\$" 2>&1 | sed -n 's/.*NOTICE:  //p')
t4=$($PSQL -d "$DB" -c "SET statement_timeout = '120s'" \
	-c "DO \$\$DECLARE t0 timestamptz := clock_timestamp(); BEGIN PERFORM count(*) FROM aura_migrate.lint(repeat('SELECT 1;', 40000)); RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - t0); END\$\$" 2>&1 | sed -n 's/.*NOTICE:  //p')
ratio=$(awk -v a="${t1:-0}" -v b="${t4:-0}" 'BEGIN { if (a <= 0) print "n/a"; else printf "%.1f", b / a }')
check "lint() of 40,000 statements (${t4:-?} s) takes at most 6x lint() of 10,000 (${t1:-?} s): ratio ${ratio} (quadratic would be 16)" 1 \
	"$(awk -v r="$ratio" 'BEGIN { print (r != "n/a" && r + 0 <= 6) ? 1 : 0 }')"
PGAPPNAME=am_bad_cancel psql -X -q -At -d "$DB" -c "SELECT count(*) FROM aura_migrate.lint(repeat('SELECT 1;', 200000))" >/dev/null 2>"$CL/cancel.err" &
lp=$!
sleep 1
$PSQL -d "$DB" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'am_bad_cancel'" >/dev/null
gone=0
for _ in $(seq 1 20); do
	if ! kill -0 "$lp" 2>/dev/null; then gone=1; break; fi
	sleep 0.1
done
check "pg_cancel_backend() stops a long lint() (200,000 statements) within 2 s" 1 "$gone"
if [ "$gone" = 0 ]; then
	# it ignores cancel and terminate: only stopping the cluster ends it
	echo "# the lint() backend ignores cancellation; the cluster is stopped with -m immediate"
	kill "$lp" 2>/dev/null
fi

# the server log
crashes=$(grep -c -E 'terminated by signal|server process \(PID [0-9]+\) exited|PANIC|TRAP:' "$CL/server.log")
check "server log: no 'terminated by signal', no server process exit, no PANIC or TRAP" 0 "$crashes"
[ "$crashes" -gt 0 ] && grep -E 'terminated by signal|exited|PANIC|TRAP:' "$CL/server.log" | head -5

finish
