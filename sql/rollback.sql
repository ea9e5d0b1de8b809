--
-- rollback() and reset(): in development only; what a migration created is
-- recorded with it, and taken back by its down SQL or dropped
--
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
DELETE FROM aura_migrate.object_change;		-- what earlier tests did
\set VERBOSITY default

SELECT aura_migrate.register('20260901001', 'create_pet', $sql$
CREATE TABLE ev_pet (id int PRIMARY KEY, name text); -- aura:allow table_without_rls
$sql$, down_sql => 'DROP TABLE ev_pet;');
SELECT aura_migrate.register('20260901002', 'pet_index',
	'CREATE INDEX ev_pet_name_idx ON ev_pet (name); -- aura:allow index_blocks_writes',
	down_sql => 'DROP INDEX ev_pet_name_idx;');
SELECT aura_migrate.register('20260901003', 'no_down', $sql$
CREATE TABLE ev_toy (id int PRIMARY KEY); -- aura:allow table_without_rls
CREATE VIEW ev_toy_view AS SELECT id FROM ev_toy;
$sql$);
SELECT version, status FROM aura_migrate.apply();

-- every object a migration created is recorded with it
SELECT version, action, object_type, object_identity
  FROM aura_migrate.object_change WHERE version IS NOT NULL ORDER BY id;

-- rollback() refuses up front, listing what has no down SQL
SELECT * FROM aura_migrate.rollback('20260901001');
SELECT count(*) AS still_applied FROM aura_migrate.history;

-- the newest alone (target NULL) needs no down SQL from the others
DELETE FROM aura_migrate.migration WHERE version = '20260901003';
DROP VIEW ev_toy_view;
DROP TABLE ev_toy;
DELETE FROM aura_migrate.history WHERE version = '20260901003';
SELECT version, status, statements FROM aura_migrate.rollback();
SELECT to_regclass('ev_pet_name_idx') AS idx;
SELECT version, state FROM aura_migrate.status();

-- outside development, rollback() and reset() refuse with a hint
SET aura_migrate.environment = 'staging';
SELECT * FROM aura_migrate.rollback('20260901001');
SELECT * FROM aura_migrate.reset();
SET aura_migrate.environment = 'production';
SELECT * FROM aura_migrate.rollback();
RESET aura_migrate.environment;

-- a target that is not applied
SELECT * FROM aura_migrate.rollback('20260901002');
SELECT * FROM aura_migrate.rollback('20990101001');

-- rollback(target) keeps target and takes back what came after
SELECT version, status FROM aura_migrate.apply();
SELECT version, status FROM aura_migrate.rollback('20260901001');
SELECT to_regclass('ev_pet') IS NOT NULL AS pet, to_regclass('ev_pet_name_idx') AS idx;
SELECT version, event FROM aura_migrate.log WHERE event = 'rolled_back' ORDER BY id;

-- reset(): down SQL where there is some, else drop what the migration created
SELECT aura_migrate.register('20260901003', 'no_down', $sql$
CREATE TABLE ev_toy (id int PRIMARY KEY); -- aura:allow table_without_rls
CREATE VIEW ev_toy_view AS SELECT id FROM ev_toy;
$sql$);
SELECT version, status FROM aura_migrate.apply();
INSERT INTO ev_toy VALUES (1);
SELECT version, status FROM aura_migrate.reset();
SELECT count(*) AS toys_after_reset FROM ev_toy;
SELECT version, state FROM aura_migrate.status();

-- clean up
DROP TABLE ev_pet;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;

-- rollback() takes migrations back in the order they were applied, not by
-- version: a teammate's older version applied last is taken back first
SELECT aura_migrate.register('20260905001', 'rb_first', 'CREATE TABLE rb_first (id int); -- aura:allow table_without_rls',
	down_sql => 'DROP TABLE rb_first;');
SELECT aura_migrate.register('20260905003', 'rb_third', 'CREATE TABLE rb_third (id int); -- aura:allow table_without_rls',
	down_sql => 'DROP TABLE rb_third;');
SELECT version, status FROM aura_migrate.apply();
SELECT aura_migrate.register('20260905002', 'rb_late', 'CREATE TABLE rb_late (id int); -- aura:allow table_without_rls',
	down_sql => 'DROP TABLE rb_late;');
SELECT version, status FROM aura_migrate.apply();
SELECT version, status FROM aura_migrate.rollback();
SELECT to_regclass('rb_late') AS late, to_regclass('rb_third') IS NOT NULL AS third_kept;
SELECT version, status FROM aura_migrate.apply();
SELECT version, status FROM aura_migrate.rollback('20260905001');
SELECT version FROM aura_migrate.history ORDER BY version;
SELECT version, status FROM aura_migrate.reset();
DROP TABLE rb_first, rb_late, rb_third;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;

-- reset() takes back a migration without down SQL as the role that
-- registered it, and drops only the objects it created: a namesake a
-- superuser made later stays (an attacker pass: the DROPs ran as the
-- superuser calling reset(), by name)
CREATE ROLE rb_migrator;
CREATE SCHEMA rb_app;
GRANT USAGE, CREATE ON SCHEMA rb_app TO rb_migrator;
GRANT USAGE ON SCHEMA aura_migrate TO rb_migrator;
GRANT EXECUTE ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean)
	TO rb_migrator;
SET ROLE rb_migrator;
SELECT aura_migrate.register('20260906001', 'create_and_drop', $sql$
CREATE TABLE rb_app.payroll (id int);
ALTER TABLE rb_app.payroll ENABLE ROW LEVEL SECURITY;
DROP TABLE rb_app.payroll;
CREATE TABLE rb_app.kept (id int);
ALTER TABLE rb_app.kept ENABLE ROW LEVEL SECURITY;
$sql$);
RESET ROLE;
SELECT version, status FROM aura_migrate.apply();
SELECT executed_as FROM aura_migrate.history WHERE version = '20260906001';
-- a superuser's table under the name of one the migration created and
-- dropped: not the same object, left alone (re-applying then fails)
CREATE TABLE rb_app.payroll (id int, salary int);
INSERT INTO rb_app.payroll VALUES (1, 100000);
\set VERBOSITY terse
SELECT version, status FROM aura_migrate.reset();
\set VERBOSITY default
SELECT * FROM rb_app.payroll;
DROP TABLE rb_app.payroll;
-- what it created and kept goes, and comes back
SELECT version, status FROM aura_migrate.reset();
SELECT to_regclass('rb_app.kept') IS NOT NULL AS kept_again;
-- the DROP runs as the migrator: a table of its migration that a
-- superuser took over is not the migrator's to drop, and reset() stops
ALTER TABLE rb_app.kept OWNER TO CURRENT_USER;
\set VERBOSITY terse
SELECT version, status FROM aura_migrate.reset();
\set VERBOSITY default
SELECT to_regclass('rb_app.kept') IS NOT NULL AS superusers_table_kept;
SET client_min_messages = warning;
DROP SCHEMA rb_app CASCADE;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean)
	FROM rb_migrator;
REVOKE ALL ON SCHEMA aura_migrate FROM rb_migrator;
DROP ROLE rb_migrator;
RESET client_min_messages;

-- reset() takes back a table a later migration renamed, under its name of
-- now, and its identity column's sequence with it (a review: "cannot drop
-- sequence ... because column id of table ... requires it")
SELECT aura_migrate.register('20260907001', 'rn_create', $sql$
CREATE TABLE rn_todos (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text); -- aura:allow table_without_rls
$sql$);
SELECT aura_migrate.register('20260907002', 'rn_rename', 'ALTER TABLE rn_todos RENAME TO rn_tasks;');
SELECT version, status FROM aura_migrate.apply();
SELECT version, status FROM aura_migrate.reset();
SELECT to_regclass('rn_tasks') IS NOT NULL AS renamed_again, to_regclass('rn_todos') AS old_name;
SET client_min_messages = warning;
DROP TABLE rn_tasks;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
RESET client_min_messages;
