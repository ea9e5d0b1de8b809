--
-- Trust: a migrator role granted register() and apply() gains nothing.
-- A user migration runs with no more privileges than the role that
-- registered it: a superuser's apply() runs a migrator's migration as the
-- migrator; peers cannot run each other's; the caller's search_path
-- cannot choose whom bookkeeping runs as; failures cannot be hidden.
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;
CREATE ROLE tm_migrator;
CREATE ROLE tm_peer;
CREATE SCHEMA tm_app;
GRANT USAGE, CREATE ON SCHEMA tm_app TO tm_migrator, tm_peer;
GRANT USAGE ON SCHEMA aura_migrate TO tm_migrator, tm_peer;
GRANT EXECUTE ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.apply(text, boolean, boolean), aura_migrate.status()
	TO tm_migrator, tm_peer;

-- the migrator registers an escalation and a table; the superuser's
-- routine apply() runs both as the migrator
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901001', 'make_me_superuser',
	'ALTER ROLE tm_migrator SUPERUSER;');
SELECT aura_migrate.register('20260901002', 'a_table',
	'CREATE TABLE tm_app.t (id int); ALTER TABLE tm_app.t ENABLE ROW LEVEL SECURITY;');
RESET ROLE;
-- (the server words the refusal differently from one major to the next:
-- its SQLSTATE, insufficient_privilege, is what is shown)
\set VERBOSITY terse
SELECT * FROM aura_migrate.apply('20260901001');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT rolsuper AS migrator_became_superuser FROM pg_roles WHERE rolname = 'tm_migrator';
SELECT version, state, regexp_replace(last_error, ': .*(\(SQLSTATE \w+\))$', ': ... \1') AS last_error
  FROM aura_migrate.status() WHERE version = '20260901001';

-- the table is the migrator's, and history says who wrote and who ran it
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901001', 'make_me_superuser', 'SELECT 1;', replace => true);
RESET ROLE;
SELECT version, status FROM aura_migrate.apply('20260901002');
SELECT tableowner FROM pg_tables WHERE schemaname = 'tm_app' AND tablename = 't';
SELECT version, applied_by = current_user AS applied_by_caller, registered_by, executed_as
  FROM aura_migrate.history ORDER BY version;

-- replacing a pending bundled migration makes it the replacer's
SET client_min_messages = warning;
SELECT aura_migrate._register_bundled('20260901003_shipped.sql', 'SELECT 1;', NULL);
RESET client_min_messages;
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901004', 'replaces_later', 'SELECT 1;');
SELECT aura_migrate.register('20260901004', 'replaces_later',
	'ALTER ROLE tm_migrator SUPERUSER;', replace => true);
RESET ROLE;
SELECT version, source, registered_by FROM aura_migrate.migration WHERE version = '20260901004';
\set VERBOSITY terse
SELECT * FROM aura_migrate.apply('20260901004');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT rolsuper AS migrator_became_superuser FROM pg_roles WHERE rolname = 'tm_migrator';
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901004', 'replaces_later', 'SELECT 1;', replace => true);
RESET ROLE;
SELECT version, status FROM aura_migrate.apply('20260901004');

-- peers: neither can act as the other, so neither applies the other's work
SET ROLE tm_peer;
SELECT aura_migrate.register('20260901005', 'by_peer', 'CREATE TABLE tm_app.p (id int);');
RESET ROLE;
SET ROLE tm_migrator;
SELECT * FROM aura_migrate.apply('20260901005');
RESET ROLE;
SELECT to_regclass('tm_app.p') AS peer_table;

-- a migrator's migration applied by the migrator runs as before
SET ROLE tm_peer;
SELECT version, status FROM aura_migrate.apply('20260901005');
RESET ROLE;
SELECT tableowner FROM pg_tables WHERE schemaname = 'tm_app' AND tablename = 'p';

-- a registrar that no longer exists: refused, with how to go on
SET ROLE tm_peer;
SELECT aura_migrate.register('20260901006', 'orphan', 'SELECT 1;');
RESET ROLE;
UPDATE aura_migrate.migration SET registered_by = 'tm_gone' WHERE version = '20260901006';
SELECT * FROM aura_migrate.apply('20260901006');
DELETE FROM aura_migrate.migration WHERE version = '20260901006';

-- the caller's search_path cannot reach the bookkeeping: an operator of
-- the caller's shadowing name = name never runs
CREATE SCHEMA tm_evil;
GRANT USAGE ON SCHEMA tm_evil TO PUBLIC;
CREATE FUNCTION tm_evil.name_eq(name, name) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'caller''s operator ran as %', current_user;
	RETURN $1 OPERATOR(pg_catalog.=) $2;
END
$$;
CREATE OPERATOR tm_evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = tm_evil.name_eq);
SET ROLE tm_migrator;
SET search_path = tm_evil, pg_catalog, public;
SELECT aura_migrate.register('20260901007', 'via_search_path', 'SELECT 1;');
SELECT version, status FROM aura_migrate.apply('20260901007');
RESET search_path;
RESET ROLE;

-- the role whose migration failed cannot switch the record off
SET ROLE tm_migrator;
SET aura_migrate.record_failures = off;
SELECT aura_migrate.register('20260901008', 'fails', 'SELECT 1/0;');
SELECT * FROM aura_migrate.apply('20260901008');
RESET ROLE;
SELECT event, sqlstate, username FROM aura_migrate.log WHERE version = '20260901008';

-- a dry run: the migrations really run and are rolled back; the dry run
-- itself is recorded, and nothing else is left
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901008', 'fails',
	'CREATE TABLE tm_app.dry (id int); ALTER TABLE tm_app.dry ENABLE ROW LEVEL SECURITY;',
	replace => true);
SELECT version, status, statements FROM aura_migrate.apply(dry_run => true);
RESET ROLE;
SELECT to_regclass('tm_app.dry') AS dry_table,
	   (SELECT count(*) FROM aura_migrate.history WHERE version = '20260901008') AS in_history,
	   (SELECT count(*) FROM aura_migrate.object_change WHERE version = '20260901008') AS recorded;
SELECT event, message FROM aura_migrate.log WHERE version = '20260901008' ORDER BY id;
SELECT version, state, last_error FROM aura_migrate.status() WHERE version = '20260901008';
-- a failing dry run: raised, recorded as dry_run, not as failed
SET ROLE tm_migrator;
SELECT aura_migrate.register('20260901008', 'fails', 'CREATE TABLE tm_app.dry (id int); SELECT 1/0;',
	replace => true);
SELECT * FROM aura_migrate.apply(dry_run => true);
RESET ROLE;
SELECT event, sqlstate, statement_no FROM aura_migrate.log
 WHERE version = '20260901008' ORDER BY id DESC LIMIT 1;
SELECT version, state FROM aura_migrate.status() WHERE version = '20260901008';
SELECT * FROM aura_migrate.apply(dry_run => NULL);

-- clean up
SET client_min_messages = warning;
DROP SCHEMA tm_app, tm_evil CASCADE;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.apply(text, boolean, boolean), aura_migrate.status()
	FROM tm_migrator, tm_peer;
REVOKE ALL ON SCHEMA aura_migrate FROM tm_migrator, tm_peer;
DROP ROLE tm_migrator, tm_peer;
RESET client_min_messages;
