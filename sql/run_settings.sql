--
-- a run's settings: statement_timeout per statement, a migration's own
-- settings last only as long as it does, and report() of the last run
--
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
DELETE FROM aura_migrate.object_change;		-- what earlier tests did
\set VERBOSITY default

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
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
