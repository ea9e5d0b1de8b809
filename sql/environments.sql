--
-- environments: rollback and reset in development only, post-migration
-- checks, verify(), timeouts and report()
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

-- post-migration checks: outside development a new table in a checked
-- schema must have row level security, or the migration is rolled back
SET aura_migrate.environment = 'staging';
SELECT aura_migrate.register('20260901004', 'forgot_rls', $sql$
CREATE TABLE ev_secret (id int PRIMARY KEY);
ALTER TABLE ev_secret ENABLE ROW LEVEL SECURITY;
ALTER TABLE ev_secret DISABLE ROW LEVEL SECURITY;  -- "just for the backfill"
$sql$);
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('ev_secret') AS secret;
SELECT version, event, sqlstate, message FROM aura_migrate.log
 WHERE version = '20260901004' ORDER BY id;
SELECT version, state FROM aura_migrate.status() WHERE version = '20260901004';
SELECT aura_migrate.register('20260901004', 'forgot_rls', $sql$
CREATE TABLE ev_secret (id int PRIMARY KEY);
ALTER TABLE ev_secret ENABLE ROW LEVEL SECURITY;
CREATE POLICY ev_secret_none ON ev_secret FOR SELECT USING (false);
$sql$, replace => true);
SELECT version, status FROM aura_migrate.apply();
-- a table the migration acknowledges as open on purpose passes
SELECT aura_migrate.register('20260901007', 'open_on_purpose', $sql$
-- a lookup table without per-user rows; RLS would only get in the way
CREATE TABLE ev_lookup (id int PRIMARY KEY); -- aura:allow table_without_rls
$sql$);
SELECT version, status FROM aura_migrate.apply();
RESET aura_migrate.environment;

-- verify(): tables open on purpose (allowed in their migrations) pass; what
-- it reports is the DDL this test ran by hand ...
SELECT severity, code, object FROM aura_migrate.verify() ORDER BY code, object;
-- ... then a policy dropped by hand in the SQL editor, an index made
-- invalid, RLS switched off, and a migration edited after it was applied
DROP POLICY ev_secret_none ON ev_secret;
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'ev_pet_name_idx'::regclass;
ALTER TABLE ev_secret DISABLE ROW LEVEL SECURITY;
UPDATE aura_migrate.migration SET up_sql = up_sql || E'\n-- edited',
	   checksum = aura_migrate.checksum(up_sql || E'\n-- edited')
 WHERE version = '20260901002';
SELECT severity, code, object,
	   regexp_replace(message, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', '<time>') AS message
  FROM aura_migrate.verify() ORDER BY code, object;
UPDATE pg_index SET indisvalid = true WHERE indexrelid = 'ev_pet_name_idx'::regclass;
UPDATE aura_migrate.migration SET up_sql = regexp_replace(up_sql, E'\n-- edited$', ''),
	   checksum = aura_migrate.checksum(regexp_replace(up_sql, E'\n-- edited$', ''))
 WHERE version = '20260901002';

-- statement_timeout per statement of a migration
SET aura_migrate.statement_timeout = '100ms';
SELECT aura_migrate.register('20260901005', 'too_slow', 'SELECT pg_sleep(2);');
SELECT * FROM aura_migrate.apply();
RESET aura_migrate.statement_timeout;
SELECT version, event, sqlstate, statement_no FROM aura_migrate.log
 WHERE version = '20260901005';
DELETE FROM aura_migrate.migration WHERE version = '20260901005';

-- a migration's own settings last only as long as it does
SELECT aura_migrate.register('20260901006', 'sets_things',
	$$SET search_path = pg_catalog; SELECT set_config('work_mem', '1MB', false);$$);
SHOW work_mem;
SELECT version, status FROM aura_migrate.apply();
SHOW work_mem;
SHOW search_path;

-- report(): the last run, readable
SELECT regexp_replace(regexp_replace(aura_migrate.report(),
		'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', '<time>', 'g'),
		'\d+\.\d ms|run \d+', '<n>', 'g') AS report;

-- clean up
DROP TABLE ev_pet, ev_secret, ev_lookup;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
