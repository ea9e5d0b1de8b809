--
-- status: every migration with its state
--
SELECT aura_migrate.register('20260601001', 'applied_one', 'CREATE TABLE st_one (id int);');
SELECT aura_migrate.register('20260601002', 'drifts_later', 'CREATE TABLE st_two (id int);');
SELECT version, status FROM aura_migrate.apply();

SELECT aura_migrate.register('20260601003', 'fails', 'SELECT 1/0;');
SELECT * FROM aura_migrate.apply();
SELECT aura_migrate.register('20260601004', 'staging_only', 'SELECT 1;',
	environments => '{staging,production}');
SELECT aura_migrate.register('20260601005', 'still_pending', 'SELECT 1;');

-- someone edits an applied migration behind the registry's back
UPDATE aura_migrate.migration SET up_sql = 'CREATE TABLE st_two (id bigint);',
	   checksum = aura_migrate.checksum('CREATE TABLE st_two (id bigint);')
 WHERE version = '20260601002';

-- and a migration that was applied is no longer registered
INSERT INTO aura_migrate.history (version, name, checksum, statements, run_id,
	applied_by, environment, duration_ms)
VALUES ('20260601000', 'gone', repeat('0', 64), 1, 0, current_user, 'development', 1);

SELECT version, name, state, source, applied_at IS NOT NULL AS has_applied_at,
	   environment, last_error
  FROM aura_migrate.status();

-- skipped depends on the environment
SET aura_migrate.environment = 'staging';
SELECT version, state FROM aura_migrate.status() WHERE version = '20260601004';
RESET aura_migrate.environment;

-- any role may make its session stricter than the database (see
-- environment_db.sql for the database's own environment)
CREATE ROLE st_nobody;
SET ROLE st_nobody;
SET aura_migrate.environment = 'production';
SHOW aura_migrate.environment;
RESET aura_migrate.environment;
RESET ROLE;
DROP ROLE st_nobody;
SET aura_migrate.environment = 'qa';

-- clean up
DROP TABLE st_one, st_two;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
