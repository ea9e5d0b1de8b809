--
-- Trust: an extension owner that is not a superuser (Supabase's postgres
-- is not) gains nothing through the engine.  The log worker writes as the
-- owner, not as a superuser; registry rows the owner forges run with no
-- more than the owner's rights; the Requires pre-check reads the catalogs,
-- whatever the owner may read.
--
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA aura_migrate CASCADE;
CREATE ROLE to_owner SUPERUSER LOGIN;
SET SESSION AUTHORIZATION to_owner;
CREATE EXTENSION aura_migrate;
RESET SESSION AUTHORIZATION;
ALTER ROLE to_owner NOSUPERUSER;
RESET client_min_messages;
SELECT r.rolname AS owner, r.rolsuper
  FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner
 WHERE e.extname = 'aura_migrate';

-- the owner attaches code to its log table that tries to become superuser,
-- and records whom it ran as (the bundled Aura migrations are not needed)
SET ROLE to_owner;
DELETE FROM aura_migrate.migration;
CREATE TABLE aura_migrate.seen (who name, session_who name, super boolean, path text);
CREATE FUNCTION aura_migrate.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO aura_migrate.seen
	SELECT current_user, session_user, r.rolsuper, current_setting('search_path')
	  FROM pg_roles r WHERE r.rolname = current_user;
	BEGIN
		EXECUTE 'ALTER ROLE to_owner SUPERUSER';
	EXCEPTION WHEN insufficient_privilege THEN
		NULL;
	END;
	RETURN NEW;
END
$$;
CREATE TRIGGER escalate BEFORE INSERT ON aura_migrate.log
	FOR EACH ROW EXECUTE FUNCTION aura_migrate.escalate();
RESET ROLE;

-- a failure inside apply() is written by the background worker
SELECT aura_migrate.register('20260801001', 'fails', 'SELECT 1/0;');
SELECT * FROM aura_migrate.apply();
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'to_owner';
SELECT who, session_who, super, path FROM aura_migrate.seen;
SELECT event, sqlstate FROM aura_migrate.log WHERE version = '20260801001';

-- an owner that cannot log in: the worker still writes as it, restricted
ALTER ROLE to_owner NOLOGIN;
SELECT * FROM aura_migrate.apply();
ALTER ROLE to_owner LOGIN;
SELECT who, session_who = who AS connected_as_owner, super, path FROM aura_migrate.seen;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'to_owner';

-- a trigger that fails makes the record fail: the caller is warned, and
-- still gets its own error
SET ROLE to_owner;
CREATE OR REPLACE FUNCTION aura_migrate.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE 'ALTER ROLE to_owner SUPERUSER';
	RETURN NEW;
END
$$;
RESET ROLE;
SELECT * FROM aura_migrate.apply();
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'to_owner';
SET ROLE to_owner;
DROP TRIGGER escalate ON aura_migrate.log;
RESET ROLE;

-- the owner writes a "bundled" row, and a row in a superuser's name,
-- straight into its registry; a superuser's apply() runs neither with
-- more than the owner's rights
SET ROLE to_owner;
DELETE FROM aura_migrate.migration WHERE version = '20260801001';
INSERT INTO aura_migrate.migration (version, name, up_sql, checksum, statements, source, registered_by)
VALUES ('20260801002', 'forged_bundled', 'ALTER ROLE to_owner SUPERUSER;', '', 1, 'bundled', 'postgres'),
	   ('20260801003', 'forged_user', 'ALTER ROLE to_owner SUPERUSER;', '', 1, 'user', current_user);
UPDATE aura_migrate.migration SET registered_by = (SELECT rolname FROM pg_roles WHERE oid = 10)
 WHERE version = '20260801003';
RESET ROLE;
-- (the server words the refusal differently from one major to the next:
-- its SQLSTATE, insufficient_privilege, is what is shown)
\set VERBOSITY terse
SELECT * FROM aura_migrate.apply('20260801002');
\echo :LAST_ERROR_SQLSTATE
SET ROLE to_owner;
DELETE FROM aura_migrate.migration WHERE version = '20260801002';
RESET ROLE;
SELECT * FROM aura_migrate.apply('20260801003');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'to_owner';
SET ROLE to_owner;
DELETE FROM aura_migrate.migration WHERE version IN ('20260801002', '20260801003');
RESET ROLE;

-- nor is a piece of a shipped script: "bundled" means the whole SQL of that
-- version as an installed script registers it, not any line of one (a
-- hostile review ran CREATE SCHEMA, GRANT and DELETE lines this way)
SET ROLE to_owner;
INSERT INTO aura_migrate.migration (version, name, up_sql, checksum, statements, source, registered_by)
VALUES ('20260801002', 'fragment', 'CREATE SCHEMA IF NOT EXISTS aura_private;', '', 1, 'bundled', 'postgres');
RESET ROLE;
SELECT * FROM aura_migrate.apply('20260801002');
SELECT to_regnamespace('aura_private') IS NULL AS not_run_as_a_superuser;
SET ROLE to_owner;
DELETE FROM aura_migrate.migration WHERE version = '20260801002';
RESET ROLE;

-- a probe fixture runs as the table's owner: the registry's owner cannot
-- make a superuser's check_rls() run one for a table it could not act on
CREATE TABLE public.to_probed (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL DEFAULT auth.uid(),
	note text NOT NULL CHECK (note = 'only the fixture knows this')
);
ALTER TABLE public.to_probed ENABLE ROW LEVEL SECURITY;
CREATE POLICY to_probed_own ON public.to_probed FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT ON public.to_probed TO authenticated;
SET ROLE to_owner;
INSERT INTO aura_migrate.probe_fixture (table_name, insert_sql, note, source)
VALUES ('public.to_probed',
		$f$INSERT INTO public.to_probed (user_id, note)
		   SELECT $1, 'only the fixture knows this'
		     FROM pg_catalog.pg_create_physical_replication_slot('to_owner_was_here')$f$,
		'forged by the registry''s owner', 'bundled');
RESET ROLE;
SELECT code, message FROM aura_migrate.check_rls('{public}', true)
 WHERE object = 'public.to_probed' AND code = 'not_probed';
SELECT count(*) AS slot_created FROM pg_replication_slots WHERE slot_name = 'to_owner_was_here';
SET ROLE to_owner;
DELETE FROM aura_migrate.probe_fixture WHERE table_name = 'public.to_probed';
RESET ROLE;
DROP TABLE public.to_probed;

-- the bundled install-script function is not a way in either
SELECT aura_migrate._register_bundled('20260801004_x.sql', 'SELECT 1;', NULL);

-- Requires: existence is read from the catalogs, not through the owner's
-- (or anyone's) privileges on the schema
CREATE SCHEMA to_hidden;
REVOKE ALL ON SCHEMA to_hidden FROM PUBLIC;
CREATE FUNCTION to_hidden.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
CREATE TABLE to_hidden.t (id int);
SELECT aura_migrate.register_file('20260801005_needs_hidden.sql', $m$-- Migration: 20260801005_needs_hidden.sql
-- Description: needs objects in a schema the owner cannot use
-- Author: test
-- Created: 2026-08-01
-- Requires: schema to_hidden, function to_hidden.uid(), function to_hidden.uid, table to_hidden.t, role to_owner, extension plpgsql
SELECT 1;
$m$);
SELECT version, status FROM aura_migrate.apply('20260801005');
SELECT aura_migrate.register_file('20260801006_needs_missing.sql', $m$-- Migration: 20260801006_needs_missing.sql
-- Description: needs a function that does not exist
-- Author: test
-- Created: 2026-08-01
-- Requires: function to_hidden.uid(text)
-- Requires-Hint: create to_hidden.uid(text) first.
SELECT 1;
$m$);
SELECT version, status FROM aura_migrate.apply('20260801006');

-- back to a superuser-owned extension for the files that follow
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA aura_migrate CASCADE;
DROP SCHEMA to_hidden CASCADE;
CREATE EXTENSION aura_migrate;
DROP OWNED BY to_owner;
DROP ROLE to_owner;
RESET client_min_messages;
