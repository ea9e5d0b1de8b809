#!/usr/bin/env bash
#
# test/pgtap/run.sh: build the Aura schema in a fresh database and prove it.
#
# Uses the standard PG* environment variables (PGHOST, PGPORT, PGUSER, ...); the
# user must be a superuser (db/init creates roles).  Typical use from the top of
# the tree:
#
#     pg_virtualenv -v 15 bash test/pgtap/run.sh
#
# Steps: create database $AURA_TEST_DB (default aura_pgtap_<pid>), run
# db/init/00_supabase_compat.sql twice (it must be idempotent), apply the five
# migrations (apply_migrations below: the one place to change when applying through
# the extension), then prove: db/init is a no-op on an existing auth layer
# (test/shell/compat_noop.sh), the reference copies match (test/shell/
# reference_copies.sh), pg_prove test/pgtap/*.sql, and the races
# (test/shell/aura_races.sh).  The database is dropped at the end unless AURA_KEEP_DB=1.
# Exits non-zero on the first failure.
#
# Supabase's role model (AURA_ADMIN_USER set, e.g. supabase_admin): that
# superuser creates the database (owned by the connecting role, PGUSER,
# e.g. the non-superuser postgres), runs db/init with
# db/init/supabase_role_model.sql, creates the extensions and grants the
# connecting role what db/init/supabase_grant_postgres.sql grants; the
# migrations are then applied, and the proofs run, as the connecting role.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DB="${AURA_TEST_DB:-aura_pgtap_$$}"
MIGRATIONS=(
	"$ROOT/db/migrations/production/20250909001_initial_schema.sql"
	"$ROOT/db/migrations/production/20250909002_rls_policies.sql"
	"$ROOT/db/migrations/production/20250909003_rpc_functions.sql"
	"$ROOT/db/migrations/production/20250909004_performance_indexes.sql"
	"$ROOT/db/migrations/production/20261128001_security_hardening.sql"
)

say() { printf '== %s\n' "$*"; }

# as_admin ARGS...: psql as the role that creates databases and extensions
ADMIN="${AURA_ADMIN_USER:-}"
as_admin() {
	psql -X -q -v ON_ERROR_STOP=1 ${ADMIN:+-U "$ADMIN"} "$@"
}

cleanup() {
	if [ "${AURA_KEEP_DB:-0}" != 1 ]; then
		as_admin -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# --------------------------------------------------------------------------
# apply_migrations DB: apply the five Aura migrations to DB through the
# extension: CREATE EXTENSION aura_schema CASCADE registers them (its scripts
# are generated from db/migrations/production) and apply() runs them.  The
# result must list all five: the suite proves what the extension builds.
# --------------------------------------------------------------------------
apply_migrations() {
	local applied
	as_admin -d "$1" -c 'CREATE EXTENSION IF NOT EXISTS aura_schema CASCADE'
	if [ -n "$ADMIN" ]; then
		as_admin -d "$1" -c 'CREATE EXTENSION IF NOT EXISTS pgtap' \
			-f "$ROOT/db/init/supabase_grant_postgres.sql"
	fi
	applied=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" \
		-c "SELECT string_agg(version, ',' ORDER BY version) FROM aura_migrate.apply()")
	if [ "$applied" != "20250909001,20250909002,20250909003,20250909004,20261128001" ]; then
		echo "apply() applied '$applied', expected the five bundled Aura migrations" >&2
		return 1
	fi
	# the bundled files are the ones in the tree
	for f in "${MIGRATIONS[@]}"; do
		local sum
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		if [ "$(psql -X -At -d "$1" -c "SELECT checksum FROM aura_migrate.history WHERE version = '$(basename "$f" | cut -c1-11)'")" != "$sum" ]; then
			echo "the applied checksum of $(basename "$f") is not the file's" >&2
			return 1
		fi
	done
}

say "creating database $DB"
OWNER=""
[ -n "$ADMIN" ] && OWNER=" OWNER \"${PGUSER:-postgres}\""
PGOPTIONS="-c client_min_messages=warning" as_admin -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" \
	-c "CREATE DATABASE \"$DB\"$OWNER"

say "db/init (twice: it must be idempotent)"
for _ in 1 2; do
	as_admin -d "$DB" -f "$ROOT/db/init/00_supabase_compat.sql"
done
if [ -n "$ADMIN" ]; then
	say "db/init/supabase_role_model.sql: $PGUSER is not a superuser"
	as_admin -d "$DB" -f "$ROOT/db/init/supabase_role_model.sql"
fi

say "applying migrations"
apply_migrations "$DB"

say "db/init is a strict no-op where the auth layer exists"
if [ -n "$ADMIN" ]; then
	PGDATABASE="$DB" PGUSER="$ADMIN" bash "$ROOT/test/shell/compat_noop.sh"
else
	PGDATABASE="$DB" bash "$ROOT/test/shell/compat_noop.sh"
fi

say "reference copies"
bash "$ROOT/test/shell/reference_copies.sh"

say "pgTAP"
pg_prove -d "$DB" "$ROOT"/test/pgtap/[0-9]*.sql   # setup.sql is included by them, not a test

say "races (two real sessions)"
PGDATABASE="$DB" bash "$ROOT/test/shell/aura_races.sh"

say "all passed"
