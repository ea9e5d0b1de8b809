--
-- check_rls on the Aura schema: no error-level finding, structural or from
-- the probes, and the probes leave the database exactly as they found it
--
-- A database of its own, so that what other tests leave in schema public
-- does not count; the Supabase compatibility layer and the five Aura
-- migrations are read straight from the tree.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_aura_rls;
RESET client_min_messages;
CREATE DATABASE regress_aura_rls;
\c regress_aura_rls
CREATE EXTENSION aura_schema CASCADE;
\set ECHO none
SET client_min_messages = warning;
\i db/init/00_supabase_compat.sql
\i db/migrations/production/20250909001_initial_schema.sql
\i db/migrations/production/20250909002_rls_policies.sql
\i db/migrations/production/20250909003_rpc_functions.sql
\i db/migrations/production/20250909004_performance_indexes.sql
\i db/migrations/production/20261128001_security_hardening.sql
RESET client_min_messages;
\set ECHO all

-- every Aura table has a bundled probe fixture
SELECT table_name, source FROM aura_migrate.probe_fixture ORDER BY 1;

-- structural findings only: the one warning is the token RPC anon must call
SELECT severity, code, object FROM aura_migrate.check_rls(probes => false);
-- and it is silent once the caller says so
SELECT count(*) FROM aura_migrate.check_rls(probes => false,
	allow_definer => '{public.validate_share_token(text)}');

-- with the probes: every table probed, nothing reached across owners
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM auth.users) AS auth_users,
	   (SELECT count(*) FROM public.users) AS users,
	   (SELECT count(*) FROM public.encrypted_cycle_data) AS cycle_data,
	   (SELECT count(*) FROM public.share_token) AS share_tokens,
	   (SELECT count(*) FROM public.healthcare_share) AS shares,
	   (SELECT count(*) FROM pg_roles) AS roles;
SELECT severity, code, object FROM aura_migrate.check_rls(probes => true,
	allow_definer => '{public.validate_share_token(text)}');
SELECT (SELECT count(*) FROM auth.users) AS auth_users,
	   (SELECT count(*) FROM public.users) AS users,
	   (SELECT count(*) FROM public.encrypted_cycle_data) AS cycle_data,
	   (SELECT count(*) FROM public.share_token) AS share_tokens,
	   (SELECT count(*) FROM public.healthcare_share) AS shares,
	   (SELECT count(*) FROM pg_roles) AS roles
EXCEPT SELECT * FROM before;

-- a developer's mistakes are caught, by the catalogs and by the probes
BEGIN;
GRANT SELECT ON public.encrypted_cycle_data TO service_role;
DROP POLICY device_key_select_own ON public.device_key;
CREATE POLICY device_key_select_own ON public.device_key
	FOR SELECT TO authenticated USING (auth.uid() IS NOT NULL);
SELECT severity, code, object, message
  FROM aura_migrate.check_rls(allow_definer => '{validate_share_token}')
 ORDER BY code, object, message;
ROLLBACK;

\c contrib_regression
DROP DATABASE regress_aura_rls;
