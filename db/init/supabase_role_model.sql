-- db/init/supabase_role_model.sql
--
-- Supabase's role model on plain PostgreSQL, for tests that must run the way
-- a Supabase project does: the migrator `postgres` is NOT a superuser.
-- Run it after 00_supabase_compat.sql, in each database, as the superuser
-- `supabase_admin` of a cluster created with that bootstrap user:
--
--     initdb -U supabase_admin ...
--     psql -U supabase_admin -d db -f db/init/00_supabase_compat.sql
--     psql -U supabase_admin -d db -f db/init/supabase_role_model.sql
--
-- What Supabase's own set-up does (DESIGN.md, "Where it runs"), reproduced:
--   * supabase_admin is the superuser; it creates extensions;
--   * postgres is NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS, LOGIN,
--     and a member of anon, authenticated, service_role and pg_read_all_data;
--   * anon, authenticated and service_role are INHERIT;
--   * schema auth and auth.users belong to supabase_auth_admin, and postgres
--     holds ALL on the schema and its tables (it seeds auth.users from the
--     SQL editor);
--   * new tables, functions and sequences that postgres or supabase_admin
--     create in public are granted ALL to anon, authenticated and service_role;
--   * auth.uid() reads request.jwt.claim.sub and request.jwt.claims (the
--     compat file's bodies, Supabase's own).
-- Everything is idempotent; it has no psql meta-commands.

DO $model$
DECLARE
	v_grant text[];
BEGIN
	IF NOT pg_catalog.current_setting('is_superuser')::bool THEN
		RAISE EXCEPTION 'supabase_role_model.sql must run as a superuser (supabase_admin)';
	END IF;
	IF current_user = 'postgres' OR
	   EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE oid = 10 AND rolname = 'postgres') THEN
		RAISE EXCEPTION 'postgres is this cluster''s bootstrap superuser and cannot be demoted'
			USING HINT = 'Create the cluster with initdb -U supabase_admin, and run this file as supabase_admin.';
	END IF;

	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'supabase_admin') THEN
		CREATE ROLE supabase_admin SUPERUSER LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'postgres') THEN
		CREATE ROLE postgres LOGIN;
	END IF;
	ALTER ROLE postgres NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS LOGIN;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'supabase_auth_admin') THEN
		CREATE ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN;
	END IF;

	ALTER ROLE anon INHERIT;
	ALTER ROLE authenticated INHERIT;
	ALTER ROLE service_role INHERIT;
	FOREACH v_grant SLICE 1 IN ARRAY ARRAY[
		['anon', 'postgres'], ['authenticated', 'postgres'], ['service_role', 'postgres'],
		['pg_read_all_data', 'postgres'], ['anon', 'authenticator'],
		['authenticated', 'authenticator'], ['service_role', 'authenticator']]
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
						WHERE roleid = v_grant[1]::regrole AND member = v_grant[2]::regrole) THEN
			EXECUTE pg_catalog.format('GRANT %I TO %I', v_grant[1], v_grant[2]);
		END IF;
	END LOOP;
END
$model$;

DO $model$
DECLARE
	v_fn regprocedure;
BEGIN
	ALTER SCHEMA auth OWNER TO supabase_auth_admin;
	ALTER TABLE auth.users OWNER TO supabase_auth_admin;
	FOR v_fn IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
				 WHERE p.pronamespace = 'auth'::regnamespace
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO supabase_auth_admin', v_fn);
	END LOOP;
	GRANT ALL ON SCHEMA auth TO postgres;
	GRANT ALL ON ALL TABLES IN SCHEMA auth TO postgres;
	GRANT ALL ON ALL SEQUENCES IN SCHEMA auth TO postgres;
	GRANT ALL ON ALL ROUTINES IN SCHEMA auth TO postgres;

	GRANT USAGE ON SCHEMA public TO postgres, anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
		GRANT ALL ON TABLES TO anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
		GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
		GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
		GRANT ALL ON TABLES TO anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
		GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
	ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
		GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
END
$model$;
