--
-- migrate: the procedure commits after each migration
--
-- (its notices carry timings in their DETAIL: terse output keeps this
-- file deterministic)
\set VERBOSITY terse
SELECT aura_migrate.register('20260501001', 'one', 'CREATE TABLE mg_one (id int);');
SELECT aura_migrate.register('20260501002', 'two', 'CREATE TABLE mg_two (id int);');
SELECT aura_migrate.register('20260501003', 'three', 'CREATE TABLE mg_three (id int); SELECT 1/0;');

-- the third fails: the first two stay, committed
CALL aura_migrate.migrate();
SELECT to_regclass('mg_one') IS NOT NULL AS one, to_regclass('mg_two') IS NOT NULL AS two,
	   to_regclass('mg_three') IS NOT NULL AS three;
SELECT version, state FROM aura_migrate.status();
SELECT version, event, sqlstate, statement_no FROM aura_migrate.log ORDER BY id;

-- it cannot commit inside a transaction block ...
SELECT aura_migrate.register('20260501003', 'three', 'CREATE TABLE mg_three (id int);', replace => true);
BEGIN;
CALL aura_migrate.migrate();
ROLLBACK;

-- ... or when called from a function
CREATE FUNCTION mg_call() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	CALL aura_migrate.migrate();
END $$;
SELECT mg_call();
DROP FUNCTION mg_call();

-- a DO block at top level can commit, so it may call it
DO $$ BEGIN CALL aura_migrate.migrate('20260501003'); END $$;
SELECT version, state FROM aura_migrate.status();

-- nothing left to do
CALL aura_migrate.migrate();
CALL aura_migrate.migrate('20260501002');

-- clean up
DROP TABLE mg_one, mg_two, mg_three;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
