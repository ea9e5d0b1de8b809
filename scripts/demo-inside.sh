#!/bin/sh
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGPASSWORD set).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PSQL="psql -X -v ON_ERROR_STOP=1 -d aura_demo"

createdb aura_demo
echo "== Supabase compatibility layer (db/init)"
$PSQL -q -f "$ROOT/db/init/00_supabase_compat.sql"
echo "== CREATE EXTENSION aura_schema CASCADE (the engine, aura_migrate, and the Aura migrations)"
$PSQL -q -c "CREATE EXTENSION aura_schema CASCADE"
echo "== registering the example migrations"
sh "$ROOT/scripts/gen-register-sql.sh" aura_migrate.register_file "$ROOT"/examples/migrations/*.sql |
	$PSQL -q -f -
echo "== SELECT * FROM aura_migrate.apply()"
$PSQL -c "SELECT * FROM aura_migrate.apply()"
if $PSQL -At -c "SELECT to_regproc('aura_migrate.check_rls') IS NOT NULL" | grep -q t; then
	# validate_share_token is anon's one way in, on purpose: allow it
	echo "== SELECT * FROM aura_migrate.check_rls(allow_definer => '{public.validate_share_token(text)}') (no rows = clean)"
	$PSQL -c "SELECT severity, code, object, message FROM aura_migrate.check_rls(allow_definer => '{public.validate_share_token(text)}') ORDER BY 1, 2, 3"
fi
echo "== SELECT * FROM aura_migrate.status()"
$PSQL -c "SELECT version, name, state, source, applied_at, duration_ms FROM aura_migrate.status()"
