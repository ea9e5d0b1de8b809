#!/usr/bin/env bash
#
# test/shell/compat_noop.sh: prove that db/init/00_supabase_compat.sql is a strict
# no-op where Supabase's objects already exist, and idempotent.
#
#   1. In a scratch database made to look like a real Supabase project (schema auth
#      owned by another role, an auth.users with more columns, auth.uid()/role()/
#      jwt() with other bodies, USAGE already granted), running the file changes
#      nothing: function sources, table columns, ACLs and default privileges are
#      byte-for-byte the same afterwards.
#   2. In the database given by PGDATABASE (already initialised), a further run
#      changes nothing either.
#
# Uses the standard PG* variables, as a superuser; the scratch database is dropped.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INIT="$ROOT/db/init/00_supabase_compat.sql"
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"	# the harness: ok, notok, check, has, hasnt, finish, PSQL
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
SCRATCH="aura_compat_noop_$$"
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $SCRATCH" >/dev/null 2>&1 || true' EXIT

# A fingerprint of everything the file could touch.
SNAPSHOT="
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
	SELECT 'role ' || rolname || ' ' || rolcanlogin || rolinherit || rolbypassrls || rolsuper AS x
	  FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role', 'authenticator')
	UNION ALL SELECT 'member ' || r.rolname || ' ' || m.rolname
	  FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
	 WHERE m.rolname = 'authenticator'
	UNION ALL SELECT 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || coalesce(nspacl::text, '')
	  FROM pg_namespace WHERE nspname IN ('auth', 'public')
	UNION ALL SELECT 'func ' || p.oid::regprocedure || ' ' || md5(p.prosrc) || ' ' || p.provolatile::text || ' ' || coalesce(p.proacl::text, '')
	  FROM pg_proc p WHERE p.pronamespace = 'auth'::regnamespace
	UNION ALL SELECT 'column auth.users.' || attname || ' ' || format_type(atttypid, atttypmod)
	  FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attnum > 0 AND NOT attisdropped
	UNION ALL SELECT 'defacl ' || pg_get_userbyid(defaclrole) || ' ' || coalesce(nullif(defaclnamespace, 0)::regnamespace::text, '-')
	       || ' ' || defaclobjtype::text || ' ' || defaclacl::text
	  FROM pg_default_acl
) s"

check_noop() {	# check_noop DB DESCRIPTION
	local before after
	before="$("${PSQL[@]}" -d "$1" -c "$SNAPSHOT")"
	"${PSQL[@]}" -d "$1" -f "$INIT" >/dev/null
	after="$("${PSQL[@]}" -d "$1" -c "$SNAPSHOT")"
	if [ "$before" = "$after" ]; then
		ok "$2"
	else
		notok "$2"
		diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
	fi
}

# 1. A Supabase look-alike (the roles are cluster-wide and already exist here).
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $SCRATCH" >/dev/null
"${PSQL[@]}" -d "$SCRATCH" >/dev/null <<'SQL'
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
		CREATE ROLE supabase_auth_admin NOLOGIN;
	END IF;
END $$;
CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
CREATE TABLE auth.users (id uuid PRIMARY KEY, email text, raw_app_meta_data jsonb);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
	AS $f$ SELECT '00000000-0000-4000-8000-000000000999'::uuid /* the real one */ $f$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT 'real'::text $f$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$ SELECT '{"real": true}'::jsonb $f$;
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT 'real'::text $f$;
SQL
check_noop "$SCRATCH" "on an existing Supabase-like auth layer the init file changes nothing"
check "the existing auth.uid() was not replaced" "00000000-0000-4000-8000-000000000999" \
	"$("${PSQL[@]}" -d "$SCRATCH" -c "SELECT auth.uid()")"

# 2. Idempotent on an initialised database.
check_noop "${PGDATABASE:-postgres}" "a second run on an initialised database changes nothing"

finish
