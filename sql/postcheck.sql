--
-- post-migration checks outside development, and verify(): what changed
-- outside the migrations since
--
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
DELETE FROM aura_migrate.object_change;		-- what earlier tests did
\set VERBOSITY default

SELECT aura_migrate.register('20260901001', 'create_pet', $sql$
CREATE TABLE ev_pet (id int PRIMARY KEY, name text); -- aura:allow table_without_rls
$sql$);
SELECT aura_migrate.register('20260901002', 'pet_index',
	'CREATE INDEX ev_pet_name_idx ON ev_pet (name); -- aura:allow index_blocks_writes');
SELECT version, status FROM aura_migrate.apply();

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
-- aura_migrate.checked_schemas is read as PostgreSQL reads a list of
-- names: a quoted schema name with a space in it is checked too
CREATE SCHEMA "Ev Shop";
SET aura_migrate.checked_schemas = 'public, "Ev Shop"';
SELECT aura_migrate.register('20260901008', 'shop_open', $sql$
CREATE TABLE "Ev Shop".ev_basket (id int PRIMARY KEY);
ALTER TABLE "Ev Shop".ev_basket ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Ev Shop".ev_basket DISABLE ROW LEVEL SECURITY;
$sql$);
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('"Ev Shop".ev_basket') AS basket;
DELETE FROM aura_migrate.migration WHERE version = '20260901008';
RESET aura_migrate.checked_schemas;
DROP SCHEMA "Ev Shop";
DELETE FROM aura_migrate.object_change WHERE object_identity = '"Ev Shop"';
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

-- clean up
DROP TABLE ev_pet, ev_secret, ev_lookup;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
