--
-- Settings: every aura_migrate.* setting is defined before the prefix is
-- reserved, so a value stored for the database survives the library's
-- loading; register() lints the schemas aura_migrate.checked_schemas names.
--
ALTER DATABASE contrib_regression SET aura_migrate.log_worker_timeout = '3s';
ALTER DATABASE contrib_regression SET aura_migrate.lock_retries = 7;
\c
-- loading the library keeps the database's values, with no WARNING
SELECT aura_migrate.checksum('x') IS NOT NULL AS loaded;
SHOW aura_migrate.log_worker_timeout;
SHOW aura_migrate.lock_retries;
ALTER DATABASE contrib_regression RESET aura_migrate.log_worker_timeout;
ALTER DATABASE contrib_regression RESET aura_migrate.lock_retries;
\c

-- register() lints what aura_migrate.checked_schemas names, not public only
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;
CREATE SCHEMA st_app;
SET aura_migrate.checked_schemas = 'st_app';
SELECT aura_migrate.register('20261202001', 'in_app', 'CREATE TABLE st_app.t (id int);');
SELECT version, code, object FROM aura_migrate.findings('20261202001') WHERE code = 'table_without_rls';
RESET aura_migrate.checked_schemas;
SELECT aura_migrate.register('20261202002', 'in_app_unchecked', 'CREATE TABLE st_app.u (id int);');
SELECT count(*) AS table_without_rls FROM aura_migrate.findings('20261202002') WHERE code = 'table_without_rls';

-- clean up
DROP SCHEMA st_app;
DELETE FROM aura_migrate.migration;
