#!/usr/bin/env bash
#
# test/shell/commands.sh: the commands of scripts/migrations/run-migration.sh
# (status, rollback, reset, verify, report, baseline, repair, import), each
# bad input and the exit status it gets.  test/shell/adopt.sh tells the
# adoption story; this file tries what a hurried user types.
#
# Proves, each with databases created here and dropped at the end:
#   - usage: every command with a missing, extra or malformed argument, an
#     unknown command, an unknown ENV, and an option the command does not
#     take (status --dry-run, verify --prune, ...) is refused with exit 4
#     before anything happens; a database that cannot be reached is exit 3
#     and one without the extension exit 4 for the commands too;
#   - import: a folder mixing both schemes (14-digit names, an 11-digit file
#     with its template header, a .down.sql) registers in one transaction and
#     a run applies it in time order; malformed names are all listed and
#     nothing is registered; an 11-digit file without its header is refused
#     with nothing registered; an empty folder is refused; a file changed
#     after its import is refused by the engine (exit 4);
#   - rollback TARGET given as a file name takes back what came after it;
#   - reset: the seed is SEED_FILE when set, else db/seed.sql; a seed that
#     fails is exit 1 and takes reset() back with it (the database as it
#     was); an unreadable SEED_FILE is exit 4; no seed file is said so;
#     reset in production is exit 4;
#   - repair of a pending migration is refused (exit 4); in production repair
#     needs --force (exit 4 without, nothing logged; 0 with, and the file's
#     checksum becomes the applied one);
#   - a run the engine refuses in its pre-checks (a Requires that does not
#     exist, a Depends on another environment's migration), in development and production, is
#     exit 4, shown as refused and never as a failed statement, and report
#     lists it.
#
# Environment: standard PG* variables (run it under pg_virtualenv).  Prints
# "N passed, M failed"; exits non-zero on failure.  KEEP_WORK=1 keeps the
# temporary tree.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN="$ROOT/scripts/migrations/run-migration.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_commands.XXXXXX")
export AURA_LOG_DIR="$WORK/logs"
P="am_cmd_$$"
DBS=""
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# mkdb NAME [ENV]: a database with the Supabase compatibility objects and the extension
mkdb() {
	DBS="$DBS ${P}_$1"
	createdb "${P}_$1" && $PSQL -d "${P}_$1" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null &&
		$PSQL -d "${P}_$1" -c "CREATE EXTENSION aura_migrate" >/dev/null || return 1
	[ "${2:-development}" = development ] ||
		$PSQL -d "${P}_$1" -c "ALTER DATABASE ${P}_$1 SET aura_migrate.environment = '$2'" >/dev/null
}
sql() { $PSQL -d "${P}_$1" -c "$2"; }

# project NAME DIR [CONF-LINE...]: a project tree whose settings point every
# environment at DIR (relative to the tree, or absolute), plus CONF-LINEs
project() {
	n=$1
	d=$2
	shift 2
	mkdir -p "$WORK/$n"
	{
		for e in development staging production; do
			printf '%s_MIGRATION_DIRS="%s"\n' "$e" "$d"
		done
		for l in "$@"; do printf '%s\n' "$l"; done
	} >"$WORK/$n/env.conf"
	echo "$WORK/$n"
}

# run OUT PROJECT DB ARGS...: run-migration.sh; sets rc
run() {
	out=$1
	pr=$2
	db=$3
	shift 3
	PGDATABASE="${P}_$db" AURA_ROOT="$pr" AURA_MIGRATE_CONF="$pr/env.conf" bash "$RUN" "$@" >"$out" 2>&1
	rc=$?
}

# header VERSION NAME [LINE]: the template header of an 11-digit migration
# file, and LINE (another header line) when given
header() {
	printf -- '-- Migration: %s_%s.sql\n-- Description: test migration %s\n-- Author: test\n-- Created: 2024-05-01\n' "$1" "$2" "$2"
	[ -z "${3:-}" ] || printf -- '%s\n' "$3"
}

# a small project of both schemes, in schema app (outside the row level
# security checks, so that runs exit 0)
S="$WORK/simple/supabase/migrations"
mkdir -p "$S"
printf 'create schema app;\ncreate table app.widgets (id int primary key, name text);\n' >"$S/20240101000000_widgets.sql"
printf 'drop table app.widgets;\ndrop schema app;\n' >"$S/20240101000000_widgets.down.sql"
{
	header 20240102001 gadgets
	printf 'create table app.gadgets (id int primary key);\n'
} >"$S/20240102001_gadgets.sql"
printf 'drop table app.gadgets;\n' >"$S/20240102001_gadgets.down.sql"
printf 'alter table app.widgets add column colour text;\n' >"$S/20240102093000_widget_colour.sql"
printf 'alter table app.widgets drop column colour;\n' >"$S/20240102093000_widget_colour.down.sql"
PRS=$(project simple "supabase/migrations")
cp -r "$WORK/simple" "$WORK/simple.orig"

echo "== usage: bad input is refused (exit 4) before anything happens"
mkdb use
run "$WORK/uh.out" "$PRS" use --help
check "--help: exit 0" 0 "$rc"
has "--help: each command with its exit statuses" "$WORK/uh.out" "0; 2 an error-level finding"
run "$WORK/u0.out" "$PRS" use
check "no argument: exit 4" 4 "$rc"
has "no argument: the usage" "$WORK/u0.out" "usage: run-migration.sh ENV"
for args in "status extra" "verify extra" "report 1 2" "rollback 1 2" "rollback not-a-version" \
	"reset extra" "baseline" "baseline 2024" "baseline 1 2" "repair" "repair abc" "import" "import a b" \
	"import $WORK/no_such_dir" "testing status" "status --bogus" "status --dry-run" "status --prune" \
	"verify --prune" "report --out-of-order" "reset --force" "import $S --force" "repair 20240101000000 --prune" \
	"development --force" "rollback --out-of-order"; do
	# shellcheck disable=SC2086
	run "$WORK/u.out" "$PRS" use $args
	check "'$args': exit 4" 4 "$rc"
done
has "an option a command does not take is named" "$WORK/u.out" "--out-of-order is not an option of rollback"
run "$WORK/u1.out" "$PRS" use status --dry-run
has "status --dry-run: says what status takes" "$WORK/u1.out" "it takes: --force-env"
check "usage errors: nothing registered, nothing logged" "0|0" \
	"$(sql use "SELECT (SELECT count(*) FROM aura_migrate.migration) || '|' || (SELECT count(*) FROM aura_migrate.log)")"
mkdir -p "$WORK/empty"
run "$WORK/u2.out" "$PRS" use import "$WORK/empty"
check "import of a folder without migration files: exit 4" 4 "$rc"
has "import of an empty folder: says so" "$WORK/u2.out" "no migration file in"

echo "== the database: unreachable is exit 3, no extension exit 4"
for c in status verify report reset "import $S" "baseline 20240101000000"; do
	# shellcheck disable=SC2086
	PGHOST=127.0.0.1 PGPORT=1 AURA_ROOT="$PRS" AURA_MIGRATE_CONF="$PRS/env.conf" bash "$RUN" $c >"$WORK/x.out" 2>&1
	check "$c, database unreachable: exit 3" 3 "$?"
done
has "unreachable: a clear message" "$WORK/x.out" "cannot connect to the database"
DBS="$DBS ${P}_noext"
createdb "${P}_noext"
for c in status verify "import $S"; do
	# shellcheck disable=SC2086
	run "$WORK/x.out" "$PRS" noext $c
	check "$c, extension not installed: exit 4" 4 "$rc"
done
has "no extension: says how to install it" "$WORK/x.out" "CREATE EXTENSION aura_migrate"

echo "== import: both schemes in one folder, in time order"
mkdb mix
run "$WORK/m1.out" "$PRS" mix import "$S"
check "import of a mixed folder: exit 0" 0 "$rc"
has "import: the 11-digit file registered" "$WORK/m1.out" "registered 20240102001_gadgets.sql"
has "import: counted" "$WORK/m1.out" "== 3 registered, 0 already registered unchanged"
check "import: the .down.sql files are the down SQL" 3 \
	"$(sql mix "SELECT count(down_sql) FROM aura_migrate.migration")"
check "import: status() in time order (an 11-digit version counts as the start of its day)" \
	"20240101000000,20240102001,20240102093000" \
	"$(sql mix "SELECT string_agg(version, ',') FROM aura_migrate.status()")"
(cd "$WORK/simple" && PGDATABASE="${P}_mix" AURA_ROOT="$PRS" AURA_MIGRATE_CONF="$PRS/env.conf" bash "$RUN" import supabase/migrations) >"$WORK/m2.out" 2>&1
check "import again, by a relative path: exit 0" 0 "$?"
has "import again: nothing new" "$WORK/m2.out" "nothing new"
run "$WORK/m3.out" "$PRS" mix development
check "a run of the mixed folder: exit 0" 0 "$rc"
check "applied in time order" "20240101000000,20240102001,20240102093000" \
	"$(sql mix "SELECT string_agg(version, ',' ORDER BY id) FROM aura_migrate.log WHERE event = 'applied'")"
printf '\n-- edited after the import\n' >>"$S/20240102093000_widget_colour.sql"
run "$WORK/m4.out" "$PRS" mix import "$S"
check "import of a file changed since it was applied: exit 4" 4 "$rc"
has "import of a changed file: the engine says why" "$WORK/m4.out" "20240102093000"
cp "$WORK/simple.orig/supabase/migrations/20240102093000_widget_colour.sql" "$S/"

echo "== import: malformed names, and an 11-digit file without its header"
mkdb bad
mkdir -p "$WORK/bad"
cp "$S"/*.sql "$WORK/bad/"
for b in create_profiles.sql 20240101_short.sql 2024010100000_thirteen.sql 20240101000000-dash.sql 202401010000000_fifteen.sql; do
	printf 'select 1;\n' >"$WORK/bad/$b"
done
printf 'not a migration\n' >"$WORK/bad/README.md"
printf 'select 1;\n' >"$WORK/bad/20240105000000_orphan.down.sql"
run "$WORK/b1.out" "$PRS" bad import "$WORK/bad"
check "malformed names among good ones: exit 4" 4 "$rc"
for b in create_profiles.sql 20240101_short.sql 2024010100000_thirteen.sql 20240101000000-dash.sql 202401010000000_fifteen.sql; do
	has "malformed name listed: $b" "$WORK/b1.out" "   $b"
done
has "a down file without its up file listed" "$WORK/b1.out" "20240105000000_orphan.down.sql (a down file without its up file)"
hasnt "a file that is not .sql is left alone" "$WORK/b1.out" "README.md"
check "malformed names: nothing registered" 0 "$(sql bad "SELECT count(*) FROM aura_migrate.migration")"
mkdir -p "$WORK/nohdr"
cp "$S"/20240101000000_widgets*.sql "$WORK/nohdr/"
printf 'create table app.no_header (id int primary key);\n' >"$WORK/nohdr/20240103001_no_header.sql"
run "$WORK/b2.out" "$PRS" bad import "$WORK/nohdr"
check "an 11-digit file without its template header: exit 4" 4 "$rc"
has "without its header: the engine says so" "$WORK/b2.out" "lacks the template header"
check "without its header: nothing registered (one transaction)" 0 "$(sql bad "SELECT count(*) FROM aura_migrate.migration")"

echo "== rollback TARGET as a file name; repair of a pending migration"
run "$WORK/r1.out" "$PRS" mix rollback 20240101000000_widgets.sql
check "rollback to a file name: exit 0" 0 "$rc"
check "rollback: what came after it is pending again" "applied,pending,pending" \
	"$(sql mix "SELECT string_agg(state, ',') FROM aura_migrate.status()")"
run "$WORK/r2.out" "$PRS" mix repair 20240102093000
check "repair of a pending migration: exit 4" 4 "$rc"
run "$WORK/r3.out" "$PRS" mix development
check "the rolled-back migrations apply again: exit 0" 0 "$rc"

echo "== refusals in the engine's pre-checks are shown as refused"
for e in development production; do
	mkdb "pre_$e" "$e"
	mkdir -p "$WORK/pre_$e/m"
	{
		header 20240201001 needs_schema
		printf -- '-- Requires: schema nowhere\ncreate table nowhere.t (id int primary key);\n'
	} >"$WORK/pre_$e/m/20240201001_needs_schema.sql"
	PRE=$(project "pre_$e" m)
	run "$WORK/pre_$e.out" "$PRE" "pre_$e" "$e"
	check "$e, a Requires that does not exist: exit 4" 4 "$rc"
	has "$e, a Requires that does not exist: the engine's reason" "$WORK/pre_$e.out" "requires schema nowhere, which does not exist"
	has "$e, a Requires that does not exist: shown as refused" "$WORK/pre_$e.out" "== refused by the engine (above); nothing was applied"
	hasnt "$e, a Requires that does not exist: not shown as a failed statement" "$WORK/pre_$e.out" "failed at statement"
	hasnt "$e, a Requires that does not exist: not shown as a failure" "$WORK/pre_$e.out" "== failed"
	run "$WORK/pre_${e}_r.out" "$PRE" "pre_$e" report
	has "$e: report lists the refused run" "$WORK/pre_${e}_r.out" "refused in its pre-checks, nothing applied"
	# a dependency registered, but for another environment: never applied here
	other=staging
	[ "$e" = development ] || other=development
	{
		header 20240131001 elsewhere "-- Environments: $other"
		printf 'create schema app0;\n'
	} >"$WORK/pre_$e/m/20240131001_elsewhere.sql"
	{
		header 20240201001 needs_schema "-- Depends: 20240131001"
		printf 'create schema app;\n'
	} >"$WORK/pre_$e/m/20240201001_needs_schema.sql"
	sql "pre_$e" "SELECT aura_migrate.unregister('20240201001')" >/dev/null
	run "$WORK/pre_${e}_d.out" "$PRE" "pre_$e" "$e"
	check "$e, a Depends on a migration of another environment: exit 4" 4 "$rc"
	has "$e, a Depends on another environment's: the engine's reason" "$WORK/pre_${e}_d.out" "depends on migration 20240131001, which is not applied"
	has "$e, a Depends on another environment's: shown as refused" "$WORK/pre_${e}_d.out" "== refused by the engine (above); nothing was applied"
	hasnt "$e, a Depends on another environment's: not shown as a failed statement" "$WORK/pre_${e}_d.out" "failed at statement"
	check "$e: nothing applied" 0 "$(sql "pre_$e" "SELECT count(*) FROM aura_migrate.history")"
done

echo "== reset and its seed"
# db/seed.sql is the default beside a folder that is not supabase/migrations
mkdb seed
mkdir -p "$WORK/seedp/db/migrations"
cp "$S"/*.sql "$WORK/seedp/db/migrations/"
printf "insert into app.widgets values (1, 'from db/seed.sql');\n" >"$WORK/seedp/db/seed.sql"
printf "insert into app.widgets values (2, 'from SEED_FILE');\n" >"$WORK/seedp/other_seed.sql"
printf "insert into app.widgets values (3, 'before the failure');\ninsert into app.nowhere values (1);\n" >"$WORK/seedp/bad_seed.sql"
PRD="$WORK/seedp"
for e in development staging production; do printf '%s_MIGRATION_DIRS="db/migrations"\n' "$e"; done >"$PRD/env.conf"
run "$WORK/s0.out" "$PRD" seed development
check "seed project: the run exits 0" 0 "$rc"
run "$WORK/s1.out" "$PRD" seed reset
check "reset with db/seed.sql: exit 0" 0 "$rc"
has "reset names db/seed.sql" "$WORK/s1.out" "$PRD/db/seed.sql"
check "db/seed.sql ran" "1:from db/seed.sql" "$(sql seed "SELECT string_agg(id || ':' || name, ',') FROM app.widgets")"
cp "$PRD/env.conf" "$PRD/env.conf.orig"
echo 'development_SEED_FILE="other_seed.sql"' >>"$PRD/env.conf"
run "$WORK/s2.out" "$PRD" seed reset
check "reset with SEED_FILE: exit 0" 0 "$rc"
check "SEED_FILE ran instead of db/seed.sql" "2:from SEED_FILE" "$(sql seed "SELECT string_agg(id || ':' || name, ',') FROM app.widgets")"
cp "$PRD/env.conf.orig" "$PRD/env.conf"
echo 'development_SEED_FILE="bad_seed.sql"' >>"$PRD/env.conf"
before=$(sql seed "SELECT max(run_id) FROM aura_migrate.history")
run "$WORK/s3.out" "$PRD" seed reset
check "a seed that fails: exit 1" 1 "$rc"
has "a seed that fails: its error" "$WORK/s3.out" 'relation "app.nowhere" does not exist'
has "a seed that fails: says what became of the reset" "$WORK/s3.out" "the seed failed (above): reset() and the seed were rolled back"
has "a seed that fails: the result says the seed" "$WORK/s3.out" "# result:      the seed failed"
check "a seed that fails: the database is as it was (the rows, the history)" "2:from SEED_FILE|$before" \
	"$(sql seed "SELECT (SELECT string_agg(id || ':' || name, ',') FROM app.widgets) || '|' || (SELECT max(run_id) FROM aura_migrate.history)")"
cp "$PRD/env.conf.orig" "$PRD/env.conf"
echo 'development_SEED_FILE="no_such_seed.sql"' >>"$PRD/env.conf"
run "$WORK/s4.out" "$PRD" seed reset
check "an unreadable SEED_FILE: exit 4" 4 "$rc"
has "an unreadable SEED_FILE: named" "$WORK/s4.out" "no_such_seed.sql"
cp "$PRD/env.conf.orig" "$PRD/env.conf"
rm "$PRD/db/seed.sql"
run "$WORK/s5.out" "$PRD" seed reset
check "reset without any seed file: exit 0" 0 "$rc"
has "reset without any seed file: says so" "$WORK/s5.out" "# seed:        none"
check "reset without any seed file: the tables are empty" 0 "$(sql seed "SELECT count(*) FROM app.widgets")"
mkdb prodreset production
run "$WORK/s6.out" "$PRD" prodreset production
check "production: the run exits 0" 0 "$rc"
run "$WORK/s7.out" "$PRD" prodreset reset
check "reset in production: exit 4" 4 "$rc"
has "reset in production: the engine refuses it" "$WORK/s7.out" "development"
check "reset in production: nothing taken back" 3 "$(sql prodreset "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")"

echo "== repair in production needs --force"
printf '\n-- a comment added after it was applied\n' >>"$PRD/db/migrations/20240102093000_widget_colour.sql"
run "$WORK/p1.out" "$PRD" prodreset production
check "production, an applied file edited: the run exits 4" 4 "$rc"
has "production, an applied file edited: names repair" "$WORK/p1.out" "repair 20240102093000"
run "$WORK/p2.out" "$PRD" prodreset repair 20240102093000_widget_colour.sql
check "production, repair without --force: exit 4" 4 "$rc"
check "production, repair without --force: nothing logged" 0 "$(sql prodreset "SELECT count(*) FROM aura_migrate.log WHERE event = 'repaired'")"
run "$WORK/p3.out" "$PRD" prodreset repair 20240102093000 --force
check "production, repair --force: exit 0" 0 "$rc"
check "production, repair --force: the file's checksum is the applied one" "$(sha256sum "$PRD/db/migrations/20240102093000_widget_colour.sql" | cut -c1-64)" \
	"$(sql prodreset "SELECT checksum FROM aura_migrate.history WHERE version = '20240102093000'")"
run "$WORK/p4.out" "$PRD" prodreset production
check "production, after the repair the run exits 0" 0 "$rc"

finish
