--
-- safety: privileges, and migrations that reach for the extension itself
--
\set VERBOSITY default
SET client_min_messages = warning;
DROP ROLE IF EXISTS sf_nobody;
DROP ROLE IF EXISTS sf_migrator;
RESET client_min_messages;

-- nobody but the owner can run what changes schema or bookkeeping
CREATE ROLE sf_nobody;
SELECT p.proname, has_function_privilege('sf_nobody', p.oid, 'EXECUTE') AS nobody_can_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'aura_migrate'::regnamespace
 ORDER BY 1;
SELECT c.relname, has_table_privilege('sf_nobody', c.oid, 'SELECT') AS nobody_can_read
  FROM pg_class c
 WHERE c.relnamespace = 'aura_migrate'::regnamespace AND c.relkind = 'r'
 ORDER BY 1;

-- a migrator role, granted as README.md documents, needs no table privileges
CREATE ROLE sf_migrator;
GRANT CREATE ON SCHEMA public TO sf_migrator;
GRANT USAGE ON SCHEMA aura_migrate TO sf_migrator;
GRANT EXECUTE ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.register_file(text, text, text, boolean, boolean),
	aura_migrate.apply(text, boolean, boolean), aura_migrate.status() TO sf_migrator;
GRANT EXECUTE ON PROCEDURE aura_migrate.migrate(text, boolean) TO sf_migrator;
SET ROLE sf_migrator;
SELECT aura_migrate.register('20260701001', 'by_migrator', 'CREATE TABLE sf_table (id int);');
SELECT version, status FROM aura_migrate.apply();
SELECT version, state, applied_by FROM aura_migrate.status();
-- the migration ran as the migrator, not as the extension's owner
SELECT tableowner FROM pg_tables WHERE tablename = 'sf_table';
-- and the migrator cannot forge history
SELECT * FROM aura_migrate.history;
DELETE FROM aura_migrate.history;
RESET ROLE;
SET ROLE sf_nobody;
SELECT * FROM aura_migrate.apply();
RESET ROLE;

-- the bookkeeping, run as the owner, ignores the caller's search_path: a
-- function of the caller's shadowing a built-in one is never called by it
CREATE SCHEMA sf_evil AUTHORIZATION sf_migrator;
SET ROLE sf_migrator;
CREATE FUNCTION sf_evil.unnest(anyarray) RETURNS SETOF anyelement
	LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'hijacked'; END $$;
SET search_path = sf_evil, pg_catalog, public;
SELECT aura_migrate.register('20260701003', 'after_migrator', 'SELECT 1;',
	depends_on => '{20260701001}');
SELECT version, status FROM aura_migrate.apply();
RESET search_path;
RESET ROLE;
DROP SCHEMA sf_evil CASCADE;
DELETE FROM aura_migrate.migration WHERE version = '20260701003';
DELETE FROM aura_migrate.history WHERE version = '20260701003';

-- a migration cannot change the extension, even where register() cannot see it
SELECT aura_migrate.register('20260701002', 'sneaky_drop',
	$$DO $do$ BEGIN EXECUTE 'DROP TABLE aura_migrate.history'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

SELECT aura_migrate.register('20260701002', 'sneaky_delete',
	$$DO $do$ BEGIN EXECUTE 'DELETE FROM aura_migrate.history'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

SELECT aura_migrate.register('20260701002', 'sneaky_alter',
	$$DO $do$ BEGIN EXECUTE 'ALTER TABLE aura_migrate.log ADD COLUMN x int'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

-- an index on its table is refused from the parse tree already (the
-- run-time side is in trust_guard.sql)
SELECT aura_migrate.register('20260701002', 'sneaky_index',
	'CREATE INDEX sf_sneaky ON aura_migrate.log (message);');
SELECT aura_migrate.register('20260701002', 'sneaky_index',
	$$DO $do$ BEGIN EXECUTE 'CREATE INDEX sf_sneaky ON aura_migrate.log (message)'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

SELECT aura_migrate.register('20260701002', 'sneaky_truncate',
	$$DO $do$ BEGIN EXECUTE 'TRUNCATE aura_migrate.log'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

SELECT aura_migrate.register('20260701002', 'sneaky_function', $$
CREATE FUNCTION sf_forge() RETURNS void LANGUAGE sql
	AS 'UPDATE aura_migrate.history SET checksum = repeat(''0'', 64)';
SELECT sf_forge();
$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

SELECT aura_migrate.register('20260701002', 'sneaky_cascade',
	$$DO $do$ BEGIN EXECUTE 'DROP SCHEMA aura_migrate CASCADE'; END $do$;$$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

-- a migration that applies migrations would recurse: refused at once
SELECT aura_migrate.register('20260701002', 'nested_apply',
	'SELECT count(*) FROM aura_migrate.apply();');
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

-- the guard outlives an EXCEPTION block inside the migration
SELECT aura_migrate.register('20260701002', 'sneaky_after_exception', $m$
DO $do$ BEGIN
	BEGIN PERFORM 1 / 0; EXCEPTION WHEN division_by_zero THEN NULL; END;
	DELETE FROM aura_migrate.log;
END $do$;
$m$);
SELECT * FROM aura_migrate.apply();
DELETE FROM aura_migrate.migration WHERE version = '20260701002';

-- reading the registry is fine
SELECT aura_migrate.register('20260701002', 'reads_registry',
	'CREATE TABLE sf_copy AS SELECT version FROM aura_migrate.history;');
SELECT version, status FROM aura_migrate.apply();
SELECT * FROM sf_copy;

-- everything still there, and the guard is off again outside migrations
SELECT count(*) AS history_rows FROM aura_migrate.history;
SELECT count(*) AS failures_logged FROM aura_migrate.log WHERE event = 'failed';
SELECT attname FROM pg_attribute WHERE attrelid = 'aura_migrate.log'::regclass AND attname = 'x';
DELETE FROM aura_migrate.log WHERE event = 'failed';

-- pg_dump keeps the registry's rows (user migrations), history and log
SELECT unnest(extconfig)::regclass AS config_table, unnest(extcondition) AS condition
  FROM pg_extension WHERE extname = 'aura_migrate' ORDER BY 1::text;

-- clean up
DROP TABLE sf_table, sf_copy;
DROP FUNCTION IF EXISTS sf_forge();
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
REVOKE ALL ON SCHEMA public FROM sf_migrator;
REVOKE ALL ON SCHEMA aura_migrate FROM sf_migrator;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.register_file(text, text, text, boolean, boolean),
	aura_migrate.apply(text, boolean, boolean), aura_migrate.status() FROM sf_migrator;
REVOKE ALL ON PROCEDURE aura_migrate.migrate(text, boolean) FROM sf_migrator;
DROP ROLE sf_migrator, sf_nobody;
