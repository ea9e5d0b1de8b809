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

-- plaintext health data in an encrypted table (a review: it passed every
-- check, though the server must never hold plaintext health data): an error
-- of check_rls() on the live columns and of lint() on the migration; the
-- CryptoEnvelope columns, ids, versions and timestamps are not
SELECT table_pattern, allowed_columns, source FROM aura_migrate.encrypted_table;
BEGIN;
ALTER TABLE public.encrypted_cycle_data ADD COLUMN period_start date,
	ADD COLUMN symptoms text[], ADD COLUMN key_version integer,
	ADD COLUMN synced_at timestamptz;
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls(probes => false)
 WHERE code = 'plaintext_in_encrypted_table' ORDER BY object;
ROLLBACK;
SELECT severity, code, object, line, col, allowed FROM aura_migrate.lint($$
ALTER TABLE public.encrypted_cycle_data ADD COLUMN period_start date,
	ADD COLUMN symptoms text[], ADD COLUMN key_version integer;
CREATE TABLE public.encrypted_mood_log (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES public.users (id),
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	mood text,
	created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.encrypted_user_prefs ALTER COLUMN ciphertext TYPE text;
-- aura:allow plaintext_in_encrypted_table
ALTER TABLE public.encrypted_user_prefs ADD COLUMN locale text;
CREATE TABLE public.cycle_notes (id uuid PRIMARY KEY, note text);
$$) WHERE code = 'plaintext_in_encrypted_table' ORDER BY line, col;
-- a column allowed by name is still refused as a container (key_id as
-- jsonb), and a table that inherits an encrypted table is one (its rows are
-- read through the parent) (an independent review)
SELECT severity, code, object FROM aura_migrate.lint($$
ALTER TABLE public.encrypted_cycle_data ALTER COLUMN key_id TYPE jsonb USING to_jsonb(key_id);
CREATE TABLE public.cycle_notes (symptoms text) INHERITS (public.encrypted_cycle_data);
$$) WHERE code = 'plaintext_in_encrypted_table' ORDER BY object;
BEGIN;
ALTER TABLE public.encrypted_cycle_data DROP CONSTRAINT encrypted_cycle_data_key_id_format;
ALTER TABLE public.encrypted_cycle_data ALTER COLUMN key_id TYPE jsonb USING to_jsonb(key_id);
CREATE TABLE public.cycle_notes (symptoms text) INHERITS (public.encrypted_cycle_data);
ALTER TABLE public.cycle_notes ENABLE ROW LEVEL SECURITY;
SELECT severity, code, object FROM aura_migrate.check_rls(probes => false)
 WHERE code = 'plaintext_in_encrypted_table' ORDER BY object;
ROLLBACK;
-- in production the run refuses it in its pre-checks: nothing applied
SET aura_migrate.environment = 'production';
SELECT aura_migrate.register('20991231001', 'plaintext_symptoms',
	'ALTER TABLE public.encrypted_cycle_data ADD COLUMN symptoms text[];');
SELECT version, status FROM aura_migrate.apply('20991231001');
RESET aura_migrate.environment;
SELECT count(*) AS plaintext_columns FROM pg_attribute
 WHERE attrelid = 'public.encrypted_cycle_data'::regclass AND attname = 'symptoms';

\c contrib_regression
DROP DATABASE regress_aura_rls;
