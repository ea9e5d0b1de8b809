--
-- apply: pending migrations applied in version order, up to a target,
-- each recorded once
--
SELECT aura_migrate.register('20260301001', 'create_account',
	'CREATE TABLE ap_account (id int PRIMARY KEY, name text);');
SELECT aura_migrate.register('20260301003', 'add_email',
	'ALTER TABLE ap_account ADD COLUMN email text;',
	depends_on => '{20260301001}');
-- registered out of order: applied in version order all the same
SELECT aura_migrate.register('20260301002', 'seed_account',
	$$INSERT INTO ap_account VALUES (1, 'first'); INSERT INTO ap_account VALUES (2, 'second');$$);

-- up to and including a target
SELECT version, name, status, statements, duration_ms >= 0 AS timed
  FROM aura_migrate.apply('20260301002');
SELECT * FROM ap_account ORDER BY id;
SELECT version, state FROM aura_migrate.status();

-- the rest
SELECT version, name, status, statements FROM aura_migrate.apply();
\d ap_account

-- nothing is applied twice: a second call finds the work done
SELECT count(*) AS applied_again FROM aura_migrate.apply();

-- an applied target is a notice and no work
SELECT * FROM aura_migrate.apply('20260301001');

-- an unknown target names the nearest registered versions
SELECT * FROM aura_migrate.apply('20260301004');
SELECT * FROM aura_migrate.apply('20200101001');

-- history: one row per migration, with the checksum applied
SELECT h.version, h.name, h.statements, h.environment, h.applied_by = current_user AS by_me,
	   h.checksum = m.checksum AS same_checksum
  FROM aura_migrate.history h JOIN aura_migrate.migration m USING (version)
 ORDER BY 1;
-- one run for the first two, another for the third
SELECT count(DISTINCT run_id) AS runs FROM aura_migrate.history;
SELECT version, event, sqlstate, statement_no FROM aura_migrate.log ORDER BY id;

-- apply() inside the caller's transaction: a rollback takes it all back
SELECT aura_migrate.register('20260301004', 'create_note',
	'CREATE TABLE ap_note (id int);');
BEGIN;
SELECT version, status FROM aura_migrate.apply();
SELECT to_regclass('ap_note') IS NOT NULL AS exists_inside;
ROLLBACK;
SELECT to_regclass('ap_note') IS NOT NULL AS exists_after;
SELECT version, state FROM aura_migrate.status() WHERE version = '20260301004';

-- apply() refuses a transaction snapshot taken before its lock
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM aura_migrate.apply();
ROLLBACK;

-- pre-checks: nothing is applied when one pending migration fails its checks
SELECT aura_migrate.register('20260301005', 'needs_thing',
	$$-- Requires: schema no_such_schema, role pg_monitor
-- Requires-Hint: Create the schema no_such_schema first.
CREATE TABLE ap_thing (id int);$$);
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('ap_note') IS NOT NULL AS note_created;
CREATE SCHEMA no_such_schema;
SELECT version, status FROM aura_migrate.apply();
DROP SCHEMA no_such_schema;

-- a dependency that is not applied in this environment
SELECT aura_migrate.register('20260301006', 'prod_only',
	'CREATE TABLE ap_prod (id int);', environments => '{production}');
SELECT aura_migrate.register('20260301007', 'after_prod_only',
	'CREATE TABLE ap_after (id int);', depends_on => '{20260301006}');
SELECT * FROM aura_migrate.apply();
SELECT version, state FROM aura_migrate.status() WHERE version >= '20260301006';
DELETE FROM aura_migrate.migration WHERE version IN ('20260301006', '20260301007');

-- drift: the registry no longer matches what was applied (an edit by hand
-- in the registry; its checksum follows the SQL)
UPDATE aura_migrate.migration
   SET up_sql = 'CREATE TABLE ap_account (id bigint PRIMARY KEY, name text);'
 WHERE version = '20260301001';
SELECT checksum = aura_migrate.checksum(up_sql) AS checksum_follows
  FROM aura_migrate.migration WHERE version = '20260301001';
SELECT version, state FROM aura_migrate.status() WHERE version = '20260301001';
SELECT aura_migrate.register('20260301008', 'later', 'CREATE TABLE ap_later (id int);');
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('ap_later') IS NULL AS nothing_applied;
-- and register() refuses to change an applied migration
SELECT aura_migrate.register('20260301002', 'seed_account', 'SELECT 1;', replace => true);

-- put back, it applies
UPDATE aura_migrate.migration
   SET up_sql = 'CREATE TABLE ap_account (id int PRIMARY KEY, name text);'
 WHERE version = '20260301001';
SELECT version, status FROM aura_migrate.apply();

-- a target of another environment is refused, not passed over: nothing
-- before it is applied either
SELECT aura_migrate.register('20260301009', 'before_prod', 'CREATE TABLE ap_before_prod (id int); -- aura:allow table_without_rls');
SELECT aura_migrate.register('20260301010', 'prod_only', 'CREATE TABLE ap_prod (id int);',
	environments => '{production}');
SELECT * FROM aura_migrate.apply('20260301010');
SELECT to_regclass('ap_before_prod') IS NULL AS nothing_applied;
SELECT version, state FROM aura_migrate.status() WHERE version >= '20260301009';
SELECT version, status FROM aura_migrate.apply();

-- a run that finds nothing to do remembers the registry's generation, and
-- the next one with the same generation reads nothing else; any change to
-- the registry (a registration, an edit by hand) advances it.  (The
-- production-only migration would keep every run reading: out of the way.)
DELETE FROM aura_migrate.migration WHERE version = '20260301010';
SELECT count(*) AS nothing_to_do FROM aura_migrate.apply();
SELECT count(*) AS still_nothing FROM aura_migrate.apply();
SELECT aura_migrate.register('20260301011', 'after_noop', 'CREATE TABLE ap_after_noop (id int); -- aura:allow table_without_rls');
SELECT version, status FROM aura_migrate.apply();
SELECT count(*) AS nothing_again FROM aura_migrate.apply();
BEGIN;
UPDATE aura_migrate.migration SET up_sql = 'CREATE TABLE ap_edited (id int); -- aura:allow table_without_rls'
 WHERE version = '20260301011';
SELECT * FROM aura_migrate.apply();
ROLLBACK;
SELECT count(*) AS nothing_after_rollback FROM aura_migrate.apply();
-- a rollback takes back what a transaction applied, not the generation: a
-- run that found nothing to do inside it is forgotten
SELECT aura_migrate.register('20260301012', 'rolled_back', 'CREATE TABLE ap_rolled (id int); -- aura:allow table_without_rls');
BEGIN;
SELECT version, status FROM aura_migrate.apply();
SELECT count(*) AS nothing_inside FROM aura_migrate.apply();
ROLLBACK;
SELECT version, status FROM aura_migrate.apply();

-- clean up
DROP TABLE ap_account, ap_note, ap_thing, ap_later, ap_before_prod, ap_after_noop, ap_rolled;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
