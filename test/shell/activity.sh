#!/usr/bin/env bash
#
# test/shell/activity.sh: while a migration runs, another session sees in
# pg_stat_activity which migration and which statement is running; afterwards
# the applying session shows its own query again.
#
# A migration whose 2nd statement is SELECT pg_sleep(3) is applied in the
# background, once with SELECT * FROM aura_migrate.apply() and once with
# CALL aura_migrate.migrate(); a second session polls pg_stat_activity.  It
# proves, for each:
#   - the poller saw, while the sleep ran (state active, wait_event PgSleep), the
#     text "aura_migrate: applying migration <version> (<name>), statement 2 of 3
#     (SELECT, line 2)";
#   - after the call, the still-connected applying session is idle and its
#     query is the caller's own text again, not the aura_migrate text;
#   - the call succeeded and the migration is applied.
# And once with a migration that fails at statement 3 after a sleep: the
# statement 2 text was visible, and after the error the session's query is
# the caller's text again.
#
# Environment: standard PG* variables (run it under pg_virtualenv -v $PGVER, scripts/lib.sh's).
# Prints "N passed, M failed"; exits non-zero on failure.

set -u

DB="am_act_$$"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_act.XXXXXX")
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

cleanup() {
	dropdb --if-exists "$DB" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

createdb "$DB" || bail "createdb failed"
$PSQL -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION aura_migrate;
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
SELECT aura_migrate.register('20260101001', 'act_apply', 'CREATE TABLE act_one (id int); -- aura:allow table_without_rls
SELECT pg_sleep(3);
CREATE TABLE act_two (id int); -- aura:allow table_without_rls');
SELECT aura_migrate.register('20260101002', 'act_migrate', 'CREATE TABLE act_three (id int); -- aura:allow table_without_rls
SELECT pg_sleep(3);
CREATE TABLE act_four (id int); -- aura:allow table_without_rls');
SELECT aura_migrate.register('20260101003', 'act_failing', 'CREATE TABLE act_five (id int); -- aura:allow table_without_rls
SELECT pg_sleep(1.5);
INSERT INTO act_five SELECT id FROM act_no_such_relation;');
SQL

# watch LABEL APPNAME CALL VERSION NAME SHOULD_FAIL
watch() {
	label=$1
	app=$2
	call=$3
	version=$4
	name=$5
	should_fail=$6
	seen="$WORK/seen.$app"
	: >"$seen"
	# the applying session stays connected (idle) for 3 s after the call,
	# also after an error (no ON_ERROR_STOP here)
	PGAPPNAME=$app psql -X -q -At -d "$DB" -c "$call" -c '\! sleep 3' >"$WORK/out.$app" 2>"$WORK/err.$app" &
	pid=$!
	saw_idle=0
	for _ in $(seq 1 150); do
		line=$($PSQL -d "$DB" -F '|' -c "SELECT state, coalesce(wait_event, '-'), query
		                                   FROM pg_stat_activity WHERE application_name = '$app'")
		if [ -n "$line" ]; then
			echo "$line" >>"$seen"
			case "$line" in
			idle\|*) saw_idle=1; break ;;
			esac
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	wait $pid
	want="aura_migrate: applying migration $version ($name), statement 2 of 3 (SELECT, line 2)"
	n=$(grep -c -F -x "active|PgSleep|$want" "$seen")
	check "$label: another session saw \"$want\" while the sleep ran (active, PgSleep; $n samples)" 1 \
		"$([ "$n" -ge 1 ] && echo 1 || echo 0)"
	check "$label: afterwards the applying session is idle" 1 "$saw_idle"
	check "$label: afterwards its query is the caller's own text \"$call\"" "idle|ClientRead|$call" \
		"$(grep '^idle|' "$seen" | tail -1)"
	check "$label: no aura_migrate text once idle" 0 "$(grep '^idle|' "$seen" | grep -c 'aura_migrate: ')"
	if [ "$should_fail" = 1 ]; then
		check "$label: the call failed at statement 3, line 3" 1 \
			"$(grep -c "ERROR:  migration $version ($name) failed at statement 3, line 3" "$WORK/err.$app")"
	else
		check "$label: the call succeeded (no ERROR)" 0 "$(grep -c ERROR "$WORK/err.$app")"
		check "$label: $version is applied" applied \
			"$($PSQL -d "$DB" -c "SELECT state FROM aura_migrate.status() WHERE version = '$version'")"
	fi
	echo "   $label: $(wc -l <"$seen") samples; distinct texts: $(cut -d'|' -f3- "$seen" | sort -u | tr '\n' ';')"
}

watch "apply()" am_act_apply "SELECT version FROM aura_migrate.apply('20260101001')" 20260101001 act_apply 0
watch "migrate()" am_act_migrate "CALL aura_migrate.migrate('20260101002')" 20260101002 act_migrate 0
watch "failing apply()" am_act_fail "SELECT version FROM aura_migrate.apply('20260101003')" 20260101003 act_failing 1
check "failing apply(): nothing of it is left (act_five absent)" "" \
	"$($PSQL -d "$DB" -c "SELECT to_regclass('public.act_five')")"

finish
