--
-- Trust: a migration cannot reach the extension's own objects, whatever
-- the statement class.  register() refuses what the parse tree shows;
-- the run-time guard refuses the rest (names resolved, DO blocks,
-- functions), and the migration rolls back.
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;

-- register time: each of these is refused before anything is stored
SELECT aura_migrate.register('20261101001', 'g', $$CREATE TRIGGER t BEFORE INSERT ON aura_migrate.log FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();$$);
SELECT aura_migrate.register('20261101001', 'g', $$CREATE RULE r AS ON INSERT TO aura_migrate.history DO INSTEAD NOTHING;$$);
SELECT aura_migrate.register('20261101001', 'g', $$CREATE POLICY p ON aura_migrate.history USING (true);$$);
SELECT aura_migrate.register('20261101001', 'g', $$GRANT ALL ON aura_migrate.history TO PUBLIC;$$);
SELECT aura_migrate.register('20261101001', 'g', $$GRANT ALL ON ALL TABLES IN SCHEMA aura_migrate TO PUBLIC;$$);
SELECT aura_migrate.register('20261101001', 'g', $$GRANT EXECUTE ON FUNCTION aura_migrate.apply(text, boolean, boolean) TO PUBLIC;$$);
SELECT aura_migrate.register('20261101001', 'g', $$REVOKE USAGE ON SCHEMA aura_migrate FROM PUBLIC;$$);
SELECT aura_migrate.register('20261101001', 'g', $$COMMENT ON TABLE aura_migrate.log IS 'x';$$);
SELECT aura_migrate.register('20261101001', 'g', $$LOCK TABLE aura_migrate.history;$$);
SELECT aura_migrate.register('20261101001', 'g', $$SELECT setval('aura_migrate.run_seq', 1);$$);
SELECT aura_migrate.register('20261101001', 'g', $$SELECT nextval('aura_migrate.log_id_seq'::regclass);$$);
SELECT aura_migrate.register('20261101001', 'g', $$CREATE FUNCTION aura_migrate.f() RETURNS int LANGUAGE sql AS 'SELECT 1';$$);
SELECT aura_migrate.register('20261101001', 'g', $$CREATE INDEX ON aura_migrate.log (message);$$);
SELECT aura_migrate.register('20261101001', 'g', $$ALTER DEFAULT PRIVILEGES IN SCHEMA aura_migrate GRANT SELECT ON TABLES TO PUBLIC;$$);
SELECT count(*) AS registered FROM aura_migrate.migration;

-- run time: the same, out of the parse tree's sight
CREATE ROLE tg_migrator;
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN EXECUTE 'GRANT SELECT, INSERT, DELETE ON aura_migrate.history TO tg_migrator'; END $d$;$$);
SELECT * FROM aura_migrate.apply();
SELECT has_table_privilege('tg_migrator', 'aura_migrate.history', 'INSERT') AS migrator_can_forge;
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$SET search_path = aura_migrate, public; CREATE TRIGGER swallow BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN EXECUTE 'CREATE RULE nolog AS ON INSERT TO aura_migrate.log DO INSTEAD NOTHING'; END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN EXECUTE 'CREATE POLICY p ON aura_migrate.history USING (true)'; END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN EXECUTE 'COMMENT ON TABLE aura_migrate.log IS ''x'''; END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN EXECUTE 'LOCK TABLE aura_migrate.history'; END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT last_value AS run_seq_before FROM aura_migrate.run_seq \gset
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN PERFORM setval('aura_migrate.' || 'run_seq', 1); END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
SELECT last_value = :run_seq_before + 1 AS only_the_engine_moved_run_seq FROM aura_migrate.run_seq;
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN PERFORM nextval('aura_migrate.' || 'log_id_seq'); END $d$;$$,
	replace => true);
SELECT * FROM aura_migrate.apply();
-- the registry's generation may only move forward: set back to a value a
-- session remembers, that session's next run would find nothing pending
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$DO $d$ BEGIN PERFORM setval('aura_migrate.' || 'registry_generation', 1); END $d$;$$,
	replace => true);
SELECT last_value AS generation_before FROM aura_migrate.registry_generation \gset
SELECT * FROM aura_migrate.apply();
SELECT last_value >= :generation_before AS generation_not_set_back FROM aura_migrate.registry_generation;

-- nothing of any of it stayed, and every failure was recorded
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid IN ('aura_migrate.log'::regclass, 'aura_migrate.history'::regclass) AND NOT tgisinternal AND tgname <> 'registry_changed';
SELECT count(*) AS rules FROM pg_rewrite WHERE ev_class IN ('aura_migrate.log'::regclass, 'aura_migrate.history'::regclass);
SELECT count(*) AS policies FROM pg_policy WHERE polrelid IN ('aura_migrate.log'::regclass, 'aura_migrate.history'::regclass);
SELECT obj_description('aura_migrate.log'::regclass, 'pg_class') = 'x' AS commented;
SELECT event, sqlstate, count(*) FROM aura_migrate.log WHERE version = '20261101002' GROUP BY 1, 2;

-- and an ordinary migration still runs, sequences and all
SELECT aura_migrate.register('20261101002', 'grant_in_do',
	$$CREATE SEQUENCE tg_seq; SELECT nextval('tg_seq'); SELECT setval('tg_seq', 5);$$,
	replace => true);
SELECT version, status FROM aura_migrate.apply();

-- apply() checks the sequences once for a block of migrations: when the
-- block moved one, it is put back and the block runs again checking after
-- each migration, so the refusal names the migration that moved it, and
-- nothing of the block stays
SELECT aura_migrate.register('20261101003', 'before',
	'CREATE TABLE tg_before (id int PRIMARY KEY); ALTER TABLE tg_before ENABLE ROW LEVEL SECURITY;');
SELECT aura_migrate.register('20261101004', 'mover',
	$$DO $d$ BEGIN PERFORM nextval('aura_migrate.' || 'log_id_seq'); END $d$;$$);
SELECT aura_migrate.register('20261101005', 'after',
	'CREATE TABLE tg_after (id int PRIMARY KEY); ALTER TABLE tg_after ENABLE ROW LEVEL SECURITY;');
SELECT last_value AS log_seq_before FROM aura_migrate.log_id_seq \gset
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('tg_before') IS NULL AND to_regclass('tg_after') IS NULL AS nothing_of_the_block;
SELECT version, event FROM aura_migrate.log WHERE version BETWEEN '20261101003' AND '20261101005' ORDER BY id;
-- the only row the log gained is the failure's own
SELECT last_value = :log_seq_before + 1 AS log_seq_put_back FROM aura_migrate.log_id_seq;
SELECT aura_migrate.register('20261101004', 'mover', 'SELECT 1;', replace => true);
SELECT version, status FROM aura_migrate.apply() ORDER BY 1;
SELECT version, statements FROM aura_migrate.history WHERE version BETWEEN '20261101003' AND '20261101005' ORDER BY 1;
SELECT version, event FROM aura_migrate.log WHERE version BETWEEN '20261101003' AND '20261101005' AND event = 'applied' ORDER BY id;
SELECT version, count(*) FROM aura_migrate.object_change WHERE version BETWEEN '20261101003' AND '20261101005' GROUP BY 1 ORDER BY 1;
DROP TABLE tg_before, tg_after;

-- clean up
SET client_min_messages = warning;
DROP SEQUENCE tg_seq;
DROP ROLE tg_migrator;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
RESET client_min_messages;
