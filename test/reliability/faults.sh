#!/usr/bin/env bash
#
# test/reliability/faults.sh: fault injection.  RUNS runs (default 100; FAST=1:
# 15), each in a fresh database with 10 registered migrations (3 to 11
# statements each, comments between them, random per run).  Each run picks a
# random migration and a random statement position in it and registers
# (register(..., replace => true)) a variant of that migration with a fault
# injected there, of one of five kinds, in turn:
#
#   bad_sql     SQL that parses but fails (undefined table, function or type,
#               division by zero, bad cast); first a variant with a syntax error
#               is offered and must be refused by register() (42601), unchanged
#   raise       DO $$ BEGIN RAISE EXCEPTION ... USING ERRCODE = <random> $$
#   lock        a statement needing a lock that another session holds
#               (aura_migrate.lock_timeout = 300ms, lock_retries = 0): 55P03
#   stmt_timeout  pg_sleep(10) under aura_migrate.statement_timeout = 300ms: 57014
#   cancel      pg_sleep(30), pg_cancel_backend() from another session once
#               pg_stat_activity shows the applying session at that statement: 57014
#
# and applies with SELECT * FROM apply() (odd cycles) or CALL migrate() (even
# cycles).  Each run proves:
#   - the caller's error keeps the expected SQLSTATE and names the version,
#     the statement number and its line;
#   - pg_dump --schema-only afterwards equals, byte for byte, the dump before
#     (apply: everything rolled back) or the dump of a reference database that
#     ran migrate() up to the migration before the faulty one (migrate: earlier
#     migrations stay committed);
#   - history is unchanged (apply) or holds exactly the earlier versions (migrate);
#   - aura_migrate.log has exactly one new 'failed' row, durable, naming the
#     right version, statement number, line and SQLSTATE; 'applied' events
#     only for what stayed committed;
#   - after registering the good migration again, apply() finishes the job:
#     the schema equals the reference with everything applied, and every
#     version is in history once.
#
# Environment: the standard PG* variables (run it under pg_virtualenv -t -v $PGVER, scripts/lib.sh's),
# RUNS, FAST=1, SEED (default: random, printed).
# Prints "N passed, M failed" last; exits non-zero on failure.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/../lib.sh"	# the harness (test/lib.sh)

if [ "${FAST:-0}" = 1 ]; then RUNS=${RUNS:-15}; else RUNS=${RUNS:-100}; fi
SEED=${SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
NMIG=10
TPL="am_flt_tpl_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_flt.XXXXXX")
DBS=()
cleanup() {
	$PSQL -d postgres -c "ALTER DATABASE $TPL WITH IS_TEMPLATE false" >/dev/null 2>&1
	for d in "${DBS[@]}" "$TPL"; do dropdb --force --if-exists "$d" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
echo "# faults.sh: RUNS=$RUNS SEED=$SEED"

# the template: the extension, no bundled migration, and fault_target, a
# table created outside migrations for the lock faults
createdb "$TPL" || bail "createdb failed"
$PSQL -d "$TPL" >/dev/null <<'SQL' || bail "template set-up failed"
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
CREATE TABLE fault_target (id int);
ALTER TABLE fault_target ENABLE ROW LEVEL SECURITY;
SQL
$PSQL -d postgres -c "ALTER DATABASE $TPL WITH IS_TEMPLATE true" >/dev/null

KINDS=(bad_sql raise lock stmt_timeout cancel)

# gen_set: per migration k, its statements (one per line of STMTS_k, with
# "@" for a comment line to place before it)
declare -a STMTS
gen_set() {
	local k extras e
	for k in $(seq 1 $NMIG); do
		extras=(
			"CREATE INDEX t${k}_v_idx ON t$k (v);"
			"INSERT INTO t$k SELECT g, md5(g::text) FROM generate_series(1, 20) g;"
			"COMMENT ON TABLE t$k IS 'table of migration $k';"
			"CREATE FUNCTION f$k() RETURNS int LANGUAGE sql STABLE AS \$\$ SELECT count(*)::int FROM t$k \$\$;"
			"ALTER TABLE t$k ADD COLUMN c$k int NOT NULL DEFAULT $k;"
			"CREATE VIEW v$k AS SELECT id FROM t$k;"
			"CREATE TYPE e$k AS ENUM ('a', 'b');"
			"CREATE SEQUENCE s$k;"
		)
		[ "$k" -gt 1 ] && extras+=("ALTER TABLE t$k ADD COLUMN p$k int REFERENCES t$((k - 1)) (id);")
		STMTS[$k]="CREATE TABLE t$k (id int PRIMARY KEY, v text);
ALTER TABLE t$k ENABLE ROW LEVEL SECURITY;"
		for e in "${extras[@]}"; do
			if [ $((RANDOM % 10)) -lt 6 ]; then STMTS[$k]+=$'\n'"$e"; fi
		done
	done
}

# render K [POS FAULT]: the SQL text of migration K, FAULT inserted as
# statement POS; sets FLINE to the line of the fault
render() {
	local k=$1 pos=${2:-0} fault=${3:-} n=0 line=0 out="" s
	FLINE=0
	out="-- migration $k of the fault-injection set"
	line=1
	while IFS= read -r s; do
		n=$((n + 1))
		if [ "$n" -eq "$pos" ]; then
			out+=$'\n'"$fault"
			line=$((line + 1))
			FLINE=$line
			n=$((n + 1))
		fi
		if [ $(((k + n) % 3)) -eq 0 ]; then
			out+=$'\n'"-- a comment before statement $n"
			line=$((line + 1))
		fi
		out+=$'\n'"$s"
		line=$((line + 1))
	done <<<"${STMTS[$k]}"
	n=$((n + 1))
	if [ "$n" -eq "$pos" ]; then
		out+=$'\n'"$fault"
		line=$((line + 1))
		FLINE=$line
	fi
	printf '%s\n' "$out"
}

ver() { printf '20260101%03d' "$1"; }

# register_set DB: the good set, in one session (dollar-quoted: no
# migration contains $amq$)
register_set() {
	local db=$1 k
	for k in $(seq 1 $NMIG); do
		render "$k" >"$WORK/m$k.sql"
		printf "SELECT aura_migrate.register('%s', 'm%s', \$amq\$%s\$amq\$);\n" "$(ver "$k")" "$k" "$(cat "$WORK/m$k.sql")"
	done >"$WORK/set.sql"
	$PSQL -d "$db" -f "$WORK/set.sql" >/dev/null
}

dump() { pg_dump --schema-only -d "$1" 2>"$2.err" | grep -v -e "^\\\\restrict " -e "^\\\\unrestrict " >"$2"; }
hist() { $PSQL -d "$1" -c "SELECT coalesce(string_agg(version || ':' || checksum, ',' ORDER BY version), '') FROM aura_migrate.history"; }

# same_file LABEL A B
same_file() {
	if cmp -s "$2" "$3" && [ -s "$2" ]; then
		ok "$1"
	else
		notok "$1: $(diff "$2" "$3" | head -8 | tr '\n' ' ')"
	fi
}

for run in $(seq 1 "$RUNS"); do
	kind=${KINDS[$(((run - 1) % 5))]}
	if [ $((((run - 1) / 5) % 2)) -eq 0 ]; then mode=apply; else mode=migrate; fi
	gen_set
	m=$((1 + RANDOM % NMIG))
	nst=$(printf '%s\n' "${STMTS[$m]}" | wc -l)
	pos=$((1 + RANDOM % (nst + 1)))
	v=$(ver "$m")
	gucs="SET aura_migrate.lock_retries = 0; SET aura_migrate.lock_timeout = 300;"
	case $kind in
	bad_sql)
		case $((RANDOM % 5)) in
		0) fault="INSERT INTO no_such_table_$m VALUES (1);"; state=42P01 ;;
		1) fault="SELECT 1 / (SELECT 0);"; state=22012 ;;
		2) fault="SELECT no_such_function_$m(1);"; state=42883 ;;
		3) fault="CREATE TABLE bad_$m (id no_such_type_$m);"; state=42704 ;;
		4) fault="SELECT 'abc'::int;"; state=22P02 ;;
		esac ;;
	raise)
		state="AM$((100 + RANDOM % 900))"
		fault="DO \$\$BEGIN RAISE EXCEPTION 'fault injected into migration $m' USING ERRCODE = '$state'; END\$\$;" ;;
	lock)
		case $((RANDOM % 3)) in
		0) fault="INSERT INTO fault_target VALUES ($m);" ;;
		1) fault="ALTER TABLE fault_target ADD COLUMN m$m int;" ;;
		2) fault="CREATE INDEX fault_target_m${m}_idx ON fault_target (id);" ;;
		esac
		state=55P03 ;;
	stmt_timeout)
		fault="SELECT pg_sleep(10);"; state=57014
		gucs="$gucs SET aura_migrate.statement_timeout = 300;" ;;
	cancel)
		fault="SELECT pg_sleep(30);"; state=57014 ;;
	esac
	L="run $run ($mode, $kind, migration $v statement $pos of $((nst + 1)))"

	DB="am_flt_${$}_$run"
	REF="am_flt_ref_${$}_$run"
	DBS+=("$DB" "$REF")
	if ! createdb -T "$TPL" "$DB" || ! register_set "$DB"; then
		notok "$L: set-up failed"
		continue
	fi

	# the reference, in the background: migrate() up to the one before
	# (migrate runs), then everything
	(
		createdb -T "$TPL" "$REF" && $PSQL -d "$REF" -f "$WORK/set.sql" >/dev/null || exit 1
		if [ "$mode" = migrate ]; then
			if [ "$m" -gt 1 ]; then
				$PSQL -d "$REF" -c "CALL aura_migrate.migrate('$(ver $((m - 1)))')" >/dev/null 2>&1
			fi
			dump "$REF" "$WORK/ref_partial.sql"
		fi
		$PSQL -d "$REF" -c "CALL aura_migrate.migrate()" >/dev/null 2>"$WORK/ref.err" || exit 2
		dump "$REF" "$WORK/ref_full.sql"
	) &
	refjob=$!

	# the faulty variant: a syntax error is refused first (bad_sql runs)
	ck0=$($PSQL -d "$DB" -c "SELECT checksum FROM aura_migrate.migration WHERE version = '$v'")
	if [ "$kind" = bad_sql ]; then
		render "$m" "$pos" "CREATE TABLE bad_$m (id int,;" >"$WORK/syntax.sql"
		$PSQL -d "$DB" -v VERBOSITY=verbose -v sql="$(cat "$WORK/syntax.sql")" \
			<<<"SELECT aura_migrate.register('$v', 'm$m', :'sql', replace => true);" >/dev/null 2>"$WORK/syntax.err"
		check "$L: register() refuses the syntax-error variant with 42601, registry unchanged" "1|$ck0" \
			"$(grep -c '^ERROR:  42601' "$WORK/syntax.err")|$($PSQL -d "$DB" -c "SELECT checksum FROM aura_migrate.migration WHERE version = '$v'")"
	fi
	render "$m" "$pos" "$fault" >"$WORK/fault.sql"
	r=$($PSQL -d "$DB" -v sql="$(cat "$WORK/fault.sql")" \
		<<<"SELECT aura_migrate.register('$v', 'm$m', :'sql', replace => true);" 2>&1)
	if [ "$r" != replaced ]; then
		notok "$L: registering the faulty variant: $r"
		continue
	fi

	dump "$DB" "$WORK/before.sql"
	hist_before=$(hist "$DB")
	maxlog=$($PSQL -d "$DB" -c "SELECT coalesce(max(id), 0) FROM aura_migrate.log")

	# the lock holder
	holder=""
	if [ "$kind" = lock ]; then
		PGAPPNAME="am_flt_holder_$$" psql -X -q -d "$DB" \
			-c "BEGIN" -c "LOCK TABLE fault_target IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
		holder=$!
		for _ in $(seq 1 200); do
			[ "$($PSQL -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE relation = 'fault_target'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
			sleep 0.05
		done
	fi

	if [ "$mode" = apply ]; then call="SELECT version, status FROM aura_migrate.apply();"; else call="CALL aura_migrate.migrate();"; fi
	PGAPPNAME="am_flt_apply_$$" psql -X -q -At -v VERBOSITY=verbose -d "$DB" \
		-c "$gucs" -c "$call" >"$WORK/apply.out" 2>"$WORK/apply.err" &
	applier=$!

	if [ "$kind" = cancel ]; then
		cancelled=0
		for _ in $(seq 1 400); do
			c=$($PSQL -d "$DB" -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'am_flt_apply_$$' AND wait_event = 'PgSleep' AND query LIKE 'aura_migrate: applying migration $v %statement $pos of %'")
			if [ "$c" = t ]; then cancelled=1; break; fi
			sleep 0.05
		done
		check "$L: the applying session was seen at the statement and cancelled" 1 "$cancelled"
	fi
	wait "$applier"
	rc=$?
	if [ -n "$holder" ]; then
		$PSQL -d "$DB" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'am_flt_holder_$$'" >/dev/null
		wait "$holder" 2>/dev/null
	fi

	check "$L: the call failed with $state naming version, statement and line" "1|1" \
		"$([ "$rc" -ne 0 ] && echo 1 || echo 0)|$(grep -c "^ERROR:  $state: migration $v (m$m) failed at statement $pos, line $FLINE\$" "$WORK/apply.err")"

	dump "$DB" "$WORK/after.sql"
	wait "$refjob"
	case $? in
	0) ;;
	1) notok "$L: reference set-up failed" ;;
	*) notok "$L: the reference set does not apply: $(head -3 "$WORK/ref.err")" ;;
	esac
	if [ "$mode" = apply ]; then
		same_file "$L: pg_dump --schema-only after = before" "$WORK/before.sql" "$WORK/after.sql"
		check "$L: history unchanged" "$hist_before" "$(hist "$DB")"
		exp_applied=0
	else
		same_file "$L: pg_dump --schema-only after = reference with the $((m - 1)) earlier migrations" \
			"$WORK/ref_partial.sql" "$WORK/after.sql"
		exp=""
		for k in $(seq 1 $((m - 1))); do exp="$exp${exp:+,}$(ver "$k")"; done
		check "$L: history holds exactly the earlier versions" "$exp" \
			"$($PSQL -d "$DB" -c "SELECT coalesce(string_agg(version, ',' ORDER BY version), '') FROM aura_migrate.history")"
		exp_applied=$((m - 1))
	fi
	check "$L: one durable 'failed' row: version, statement_no, line, sqlstate" "1|$v|$pos|$FLINE|$state" \
		"$($PSQL -d "$DB" -F '|' -c "SELECT count(*) OVER (), version, statement_no, line, sqlstate FROM aura_migrate.log WHERE id > $maxlog AND event = 'failed'")"
	check "$L: 'applied' events only for what stayed committed ($exp_applied)" "$exp_applied" \
		"$($PSQL -d "$DB" -c "SELECT count(*) FROM aura_migrate.log WHERE id > $maxlog AND event = 'applied'")"
	check "$L: status() says $v failed" failed \
		"$($PSQL -d "$DB" -c "SELECT state FROM aura_migrate.status() WHERE version = '$v'")"

	# repair and finish the job
	$PSQL -d "$DB" -v sql="$(cat "$WORK/m$m.sql")" \
		<<<"SELECT aura_migrate.register('$v', 'm$m', :'sql', replace => true);" >/dev/null
	n=$($PSQL -d "$DB" -c "SELECT count(*) FROM aura_migrate.apply()" 2>"$WORK/fix.err")
	dump "$DB" "$WORK/fixed.sql"
	check "$L: after repair apply() applies the remaining $((NMIG - exp_applied)), all $NMIG in history once" \
		"$((NMIG - exp_applied))|$NMIG|$NMIG" \
		"$n|$($PSQL -d "$DB" -F '|' -c "SELECT count(*), count(DISTINCT version) FROM aura_migrate.history")"
	same_file "$L: ... and the schema equals the reference with everything applied" \
		"$WORK/ref_full.sql" "$WORK/fixed.sql"

	dropdb --force "$DB" 2>/dev/null
	dropdb --force "$REF" 2>/dev/null
	rm -f "$WORK"/ref_*.sql
done

finish
