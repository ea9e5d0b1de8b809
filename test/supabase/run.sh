#!/usr/bin/env bash
#
# test/supabase/run.sh: the engine and the Aura schema under Supabase's role
# model, where the migrator `postgres` is not a superuser.
#
# Starts its own cluster (as the postgres OS user when root) whose bootstrap
# superuser is supabase_admin, as on Supabase; db/init/00_supabase_compat.sql
# and db/init/supabase_role_model.sql make postgres NOSUPERUSER CREATEDB
# CREATEROLE REPLICATION BYPASSRLS, a member of anon, authenticated,
# service_role and pg_read_all_data, with API roles INHERIT and Supabase's
# default privileges.  Then:
#   1. pg_regress test/supabase/sql/*.sql as postgres, in a database postgres
#      owns, where supabase_admin created aura_schema and ran
#      db/init/supabase_grant_postgres.sql: register, apply, migrate, status,
#      verify, report, check_rls with its probes, set_environment, what is
#      refused;
#   2. the pgTAP suite (test/pgtap/run.sh) with AURA_ADMIN_USER=supabase_admin:
#      the Aura migrations applied, and every proof run, as postgres.
# Prints "N passed, M failed"; exits non-zero on failure.  KEEP=1 keeps the
# cluster directory.

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/test/lib.sh"

CL=$(mktemp -d "${TMPDIR:-/tmp}/am_supabase.XXXXXX")
chmod 755 "$CL"
PORT=$(free_port) || bail "no free port"
cleanup() {
	own_cluster_stop "$CL"
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $CL"; else rm -rf "$CL"; fi
}
trap cleanup EXIT

CLUSTER_SUPERUSER=supabase_admin own_cluster_init "$CL" "$PORT" ||
	bail "initdb failed: $(tail -3 "$CL/initdb.log")"
own_cluster_start "$CL" || bail "the cluster did not start: $(tail -3 "$CL/server.log")"
export PGHOST=$CL PGPORT=$PORT PGDATABASE=postgres
unset PGSERVICE PGPASSWORD
ADMIN="psql -X -q -v ON_ERROR_STOP=1 -U supabase_admin"

# the roles, cluster-wide, from the postgres database
$ADMIN -d postgres -f "$ROOT/db/init/00_supabase_compat.sql" >/dev/null &&
	$ADMIN -d postgres -f "$ROOT/db/init/supabase_role_model.sql" >/dev/null ||
	bail "db/init in Supabase mode failed"
check "postgres is not a superuser, and has Supabase's attributes" "f|t|t|t|t|t" \
	"$(psql -X -At -U supabase_admin -c "SELECT concat_ws('|', rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin) FROM pg_roles WHERE rolname = 'postgres'")"
check "postgres is a member of anon, authenticated and service_role, which are INHERIT" "3|3" \
	"$(psql -X -At -U supabase_admin -c "SELECT count(*) FILTER (WHERE pg_has_role('postgres', rolname, 'MEMBER')) || '|' || count(*) FILTER (WHERE rolinherit) FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')")"

# 1. the engine as postgres
DB=aura_supabase
$ADMIN -d postgres -c "CREATE DATABASE $DB OWNER postgres" &&
	$ADMIN -d "$DB" -f "$ROOT/db/init/00_supabase_compat.sql" -f "$ROOT/db/init/supabase_role_model.sql" \
		-c "CREATE EXTENSION aura_schema CASCADE" -f "$ROOT/db/init/supabase_grant_postgres.sql" >/dev/null ||
	bail "set-up of $DB as supabase_admin failed"
OUT=$CL/regress
mkdir -p "$OUT"
chmod 777 "$OUT"
PGXS=$("$PGBIN/pg_config" --pgxs 2>/dev/null || pg_config --pgxs)
REGRESS="$(dirname "$PGXS")/../test/regress/pg_regress"
tests=$(cd "$ROOT/test/supabase/sql" && ls ./*.sql | sed 's|^\./||; s|\.sql$||')
if (cd "$ROOT" && "$REGRESS" --inputdir=test/supabase --outputdir="$OUT" --use-existing \
	--dbname="$DB" --user=postgres --host="$CL" --port="$PORT" $tests); then
	ok "pg_regress test/supabase as postgres: $(echo $tests)"
else
	notok "pg_regress test/supabase as postgres"
	cat "$OUT/regression.diffs" 2>/dev/null
	[ -n "${KEEP_RESULTS:-}" ] && cp "$OUT/results/"*.out "$KEEP_RESULTS/"
fi

# 2. the pgTAP suite as postgres
if PGUSER=postgres AURA_ADMIN_USER=supabase_admin bash "$ROOT/test/pgtap/run.sh"; then
	ok "the pgTAP suite (test/pgtap/run.sh) with the migrations applied as postgres"
else
	notok "the pgTAP suite (test/pgtap/run.sh) with the migrations applied as postgres"
fi
finish
