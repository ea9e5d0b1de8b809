#!/usr/bin/env bash
#
# test/probe_coverage.sh: how many tables of each Supabase-shaped fixture
# folder (test/fixtures/*/supabase/migrations) and of the Aura schema the
# row level security probes reach, against the server the PG* variables
# name (a superuser; the engine installed).  For each: a database is made,
# db/init/00_supabase_compat.sql and the files are run with psql, then
# check_rls(probes => true) over the checked schemas.  Prints one line per
# corpus: tables, tables not probed, error findings, and why each table was
# not probed.  Not part of the test command: docs/findings.md quotes it.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PSQL=(psql -X -q -v ON_ERROR_STOP=0)

measure() {
	local name=$1 dir=$2 db="am_probecov_$1_$$"
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null
	"${PSQL[@]}" -d "$db" -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null 2>&1
	if [ "$dir" = aura ]; then
		"${PSQL[@]}" -d "$db" -c 'CREATE EXTENSION aura_schema CASCADE' \
			-c 'SELECT count(*) FROM aura_migrate.apply()' >/dev/null 2>&1
	else
		"${PSQL[@]}" -d "$db" -c 'CREATE EXTENSION aura_migrate' >/dev/null
		for f in "$dir"/*.sql; do "${PSQL[@]}" -d "$db" -f "$f" >/dev/null 2>&1; done
	fi
	"${PSQL[@]}" -d "$db" -At -F ' | ' -c "
		WITH f AS (SELECT * FROM aura_migrate.check_rls(NULL, true))
		SELECT '$name',
			   (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				 WHERE n.nspname = ANY (aura_migrate._checked_schemas()) AND c.relkind IN ('r', 'p'))
				 || ' tables',
			   (SELECT count(DISTINCT object) FROM f WHERE code = 'not_probed') || ' not probed',
			   (SELECT count(*) FROM f WHERE severity = 'error') || ' errors',
			   coalesce((SELECT string_agg(DISTINCT message, '; ') FROM f WHERE code = 'not_probed'), '')"
	"${PSQL[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null
}

for d in "$ROOT"/test/fixtures/*/supabase/migrations; do
	measure "$(basename "$(dirname "$(dirname "$d")")")" "$d"
done
measure aura aura
