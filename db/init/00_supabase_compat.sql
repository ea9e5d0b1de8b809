-- db/init/00_supabase_compat.sql
--
-- Supabase compatibility layer for plain PostgreSQL.
--
-- The Aura migrations (db/migrations/production/) are written for Supabase: they
-- reference the roles anon, authenticated and service_role, the table auth.users and
-- the function auth.uid().  On a plain PostgreSQL server (CI, pg_regress, a laptop) run
-- this file once per database, as a superuser, before applying them:
--
--     psql -v ON_ERROR_STOP=1 -d mydb -f db/init/00_supabase_compat.sql
--
-- What it creates, each only if it does not exist yet:
--   * roles anon, authenticated (NOLOGIN), service_role (NOLOGIN, BYPASSRLS) and
--     authenticator (LOGIN, NOINHERIT, member of the three), as PostgREST expects;
--   * schema auth, table auth.users (id, email, phone, raw_app_meta_data, raw_user_meta_data,
--     is_anonymous, created_at, updated_at: what foreign keys and the usual
--     handle_new_user triggers need), and the functions
--     auth.uid(), auth.role(), auth.email(), auth.jwt() with the bodies Supabase ships
--     (they read request.jwt.claim.* and request.jwt.claims, LANGUAGE sql STABLE);
--   * USAGE on schema auth for anon, authenticated and service_role;
--   * when (and only when) this run created schema auth, the default privileges
--     Supabase sets on schema public, so that plain PostgreSQL hands new tables,
--     sequences and functions to anon, authenticated and service_role exactly like a
--     Supabase project does, and the migrations' REVOKEs are tested for real.
--
-- On a real Supabase database every object already exists, so every block below does
-- nothing: no CREATE OR REPLACE of an existing auth function, no GRANT that is
-- already held.  Running the file twice is harmless.  It has no transaction control
-- and no psql meta-commands, so it may also be pasted into an SQL editor.

DO $compat$
DECLARE
	v_role text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'anon') THEN
		CREATE ROLE anon NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticated') THEN
		CREATE ROLE authenticated NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'service_role') THEN
		CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'authenticator') THEN
		CREATE ROLE authenticator LOGIN NOINHERIT;
	END IF;

	-- PostgREST connects as authenticator and switches to the role named in the JWT.
	FOREACH v_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role']
	LOOP
		IF NOT pg_catalog.pg_has_role('authenticator', v_role, 'MEMBER') THEN
			EXECUTE pg_catalog.format('GRANT %I TO authenticator', v_role);
		END IF;
	END LOOP;
END
$compat$;

DO $compat$
DECLARE
	v_role text;
BEGIN
	IF pg_catalog.to_regnamespace('auth') IS NULL THEN
		CREATE SCHEMA auth;

		-- What a Supabase project sets on schema public (for the role that creates
		-- objects there): new tables, sequences and functions are granted to the API
		-- roles.  Only on a database this file is turning into a Supabase look-alike.
		GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
		ALTER DEFAULT PRIVILEGES IN SCHEMA public
			GRANT ALL ON TABLES TO anon, authenticated, service_role;
		ALTER DEFAULT PRIVILEGES IN SCHEMA public
			GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
		ALTER DEFAULT PRIVILEGES IN SCHEMA public
			GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
	END IF;

	FOREACH v_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role']
	LOOP
		IF NOT pg_catalog.has_schema_privilege(v_role, 'auth', 'USAGE') THEN
			EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA auth TO %I', v_role);
		END IF;
	END LOOP;

	IF pg_catalog.to_regclass('auth.users') IS NULL THEN
		-- Stand-in for GoTrue's table: what foreign keys need, and the columns
		-- the usual "handle_new_user" triggers of Supabase projects read.
		CREATE TABLE auth.users (
			id uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid() PRIMARY KEY,
			email text,
			phone text,
			raw_app_meta_data jsonb,
			raw_user_meta_data jsonb,
			is_anonymous boolean NOT NULL DEFAULT false,
			created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
			updated_at timestamptz
		);
		COMMENT ON TABLE auth.users IS
			'Stand-in for Supabase auth.users created by db/init/00_supabase_compat.sql';
	END IF;

	-- The bodies below are Supabase's own (supabase/auth migrations
	-- 20220224000811_update_auth_functions and 20220531120530_add_auth_jwt_function).
	IF pg_catalog.to_regprocedure('auth.uid()') IS NULL THEN
		EXECUTE $fn$
create function auth.uid()
returns uuid
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$
$fn$;
	END IF;

	IF pg_catalog.to_regprocedure('auth.role()') IS NULL THEN
		EXECUTE $fn$
create function auth.role()
returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$
$fn$;
	END IF;

	IF pg_catalog.to_regprocedure('auth.email()') IS NULL THEN
		EXECUTE $fn$
create function auth.email()
returns text
language sql stable
as $$
  select
  coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$
$fn$;
	END IF;

	IF pg_catalog.to_regprocedure('auth.jwt()') IS NULL THEN
		EXECUTE $fn$
create function auth.jwt()
returns jsonb
language sql stable
as $$
  select
    coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
    )::jsonb
$$
$fn$;
	END IF;
END
$compat$;
