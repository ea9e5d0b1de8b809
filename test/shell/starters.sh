#!/usr/bin/env bash
#
# test/shell/starters.sh: every Supabase-shaped fixture folder
# (test/fixtures/*/supabase/migrations) adopted as a team would, with
# scripts/migrations/run-migration.sh.
#
# Proves, for each folder, with databases created here and dropped at the end:
#   - psql -f of each file in order, and run-migration.sh import then a
#     development run, give the same schema: pg_dump --schema-only of every
#     schema but auth and aura_migrate (other schemas, types, publications
#     included); the wrapped files lose their wrapper and nothing else;
#   - a second import registers nothing;
#   - the database psql built (the extension created afterwards, as on a
#     live project) is baselined at the newest version (exit 0, every file
#     baselined), verify() then finds nothing (exit 0), and a new migration
#     applies after it (exit 0);
#   - a policy the folder created, dropped by hand, makes verify exit 2.
#
# Environment: standard PG* variables (run it under pg_virtualenv).  Prints
# "N passed, M failed"; exits non-zero on failure.  KEEP_WORK=1 keeps the
# temporary tree.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN="$ROOT/scripts/migrations/run-migration.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/am_starters.XXXXXX")
export AURA_LOG_DIR="$WORK/logs"
P="am_st_$$"
DBS=""
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL

cleanup() {
	for d in $DBS; do dropdb --if-exists "$d" 2>/dev/null; done
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# mkdb NAME: a database with the Supabase compatibility objects, no extension
mkdb() {
	DBS="$DBS ${P}_$1"
	createdb "${P}_$1" && $PSQL -d "${P}_$1" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null
}
ext() { $PSQL -d "${P}_$1" -c "CREATE EXTENSION aura_migrate" >/dev/null; }
sql() { $PSQL -d "${P}_$1" -c "$2"; }

# run OUT PROJECT DB ARGS...: run-migration.sh with the project's settings; sets rc
run() {
	out=$1
	pr=$2
	db=$3
	shift 3
	PGDATABASE="${P}_$db" AURA_ROOT="$pr" AURA_MIGRATE_CONF="$pr/env.conf" bash "$RUN" "$@" >"$out" 2>&1
	rc=$?
}

# dump DB: the schema of everything but auth and the extension's own
# (pg_dump's \restrict key is random in each dump)
dump() {
	pg_dump --schema-only --no-owner -N auth -N aura_migrate "${P}_$1" |
		grep -v '^--' | grep -v '^$' | grep -v '^\\\(un\)\{0,1\}restrict '
}

n=0
for mig in "$ROOT"/test/fixtures/*/supabase/migrations; do
	[ -d "$mig" ] || continue
	n=$((n + 1))
	name=$(basename "$(dirname "$(dirname "$mig")")")
	echo "== $name"
	pr="$WORK/$name"
	mkdir -p "$pr"
	cp -r "$(dirname "$mig")" "$pr/supabase"
	for e in development staging production; do
		printf '%s_MIGRATION_DIRS="supabase/migrations"\n' "$e"
	done >"$pr/env.conf"
	files=$(find "$pr/supabase/migrations" -name '*.sql' ! -name '*.down.sql' | wc -l | tr -d ' ')
	last=$(find "$pr/supabase/migrations" -name '*.sql' ! -name '*.down.sql' -printf '%f\n' | sort | tail -n 1 | cut -d_ -f1)

	mkdb "${n}_psql"
	bad=0
	for f in "$pr"/supabase/migrations/*.sql; do
		case "$f" in *.down.sql) continue ;; esac
		$PSQL -d "${P}_${n}_psql" -f "$f" >/dev/null 2>"$WORK/psql.err" || {
			bad=1
			notok "$name: psql -f $(basename "$f"): $(head -n 1 "$WORK/psql.err")"
		}
	done
	[ "$bad" = 1 ] || ok "$name: psql -f of each of the $files files in order"
	ext "${n}_psql"

	mkdb "${n}_imp"
	ext "${n}_imp"
	run "$WORK/$name.imp1" "$pr" "${n}_imp" import "$pr/supabase/migrations"
	check "$name: import exits 0" 0 "$rc"
	has "$name: import registers every file" "$WORK/$name.imp1" "== $files registered, 0 already registered unchanged"
	run "$WORK/$name.imp2" "$pr" "${n}_imp" import "$pr/supabase/migrations"
	check "$name: import again exits 0" 0 "$rc"
	has "$name: import again registers nothing" "$WORK/$name.imp2" "nothing new"
	run "$WORK/$name.run" "$pr" "${n}_imp" development
	# (2: the row level security check reported error findings, which
	# development applies and reports; which ones is check_rls()'s business)
	case "$rc" in
		0 | 2) ok "$name: a development run of the imported folder exits $rc" ;;
		*) notok "$name: a development run of the imported folder exits $rc"; sed 's/^/    | /' "$WORK/$name.run" ;;
	esac
	check "$name: every file applied" "$files" "$(sql "${n}_imp" "SELECT count(*) FROM aura_migrate.status() WHERE state = 'applied'")"
	dump "${n}_psql" >"$WORK/$name.psql.dump"
	dump "${n}_imp" >"$WORK/$name.imp.dump"
	if [ -s "$WORK/$name.psql.dump" ] && diff -u "$WORK/$name.psql.dump" "$WORK/$name.imp.dump" >"$WORK/$name.diff"; then
		ok "$name: the same schema as psql's (pg_dump --schema-only, $(wc -l <"$WORK/$name.psql.dump") lines)"
	else
		notok "$name: the schemas differ"
		head -n 30 "$WORK/$name.diff" | sed 's/^/    | /'
	fi

	run "$WORK/$name.base" "$pr" "${n}_psql" baseline "$last"
	check "$name: baseline $last of the database psql built exits 0" 0 "$rc"
	check "$name: every file baselined" "$files" "$(sql "${n}_psql" "SELECT count(*) FROM aura_migrate.log WHERE event = 'baselined'")"
	run "$WORK/$name.ver" "$pr" "${n}_psql" verify
	check "$name: verify after the baseline exits 0" 0 "$rc"
	check "$name: verify after the baseline finds nothing" 0 "$(sql "${n}_psql" "SELECT count(*) FROM aura_migrate.verify()")"
	printf 'create schema later_%s;\ncreate table later_%s.t (id int primary key);\n' "$n" "$n" \
		>"$pr/supabase/migrations/29990101000000_after_the_baseline.sql"
	run "$WORK/$name.new" "$pr" "${n}_psql" development
	check "$name: a new migration after the baseline applies (exit 0)" 0 "$rc"
	check "$name: it is applied" applied \
		"$(sql "${n}_psql" "SELECT state FROM aura_migrate.status() WHERE version = '29990101000000'")"
	pol=$(sql "${n}_psql" "SELECT format('%I ON %I.%I', policyname, schemaname, tablename) FROM pg_policies WHERE schemaname NOT IN ('auth') ORDER BY 1 LIMIT 1")
	sql "${n}_psql" "DROP POLICY $pol" >/dev/null
	run "$WORK/$name.ver2" "$pr" "${n}_psql" verify
	check "$name: a policy dropped by hand makes verify exit 2" 2 "$rc"
	has "$name: verify names it object_missing" "$WORK/$name.ver2" "object_missing"
done
[ "$n" -ge 2 ] && ok "$n fixture folders" || notok "fixture folders: $n (expected 2 or more)"

finish
