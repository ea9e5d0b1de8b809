--
-- Trust: what a weaker role may do to a stronger role's migration.
-- Down SQL runs bounded by the role that set it: a role granted only
-- register() added down SQL to a superuser's migration (the same up SQL:
-- "down_changed"), and the superuser's rollback() ran it as the superuser
-- (a review made the migrator superuser this way); whoever sets down SQL is
-- the registrar now.  And baseline() and unregister(), which decide that a
-- migration never runs, need the privileges of its registrar: a migrator
-- could skip a superuser's pending security fix, in production too.
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
RESET client_min_messages;
CREATE ROLE td_migrator;
CREATE SCHEMA td_app;
GRANT USAGE, CREATE ON SCHEMA td_app TO td_migrator;
GRANT USAGE ON SCHEMA aura_migrate TO td_migrator;
GRANT EXECUTE ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.baseline(text, boolean), aura_migrate.unregister(text)
	TO td_migrator;

-- the superuser's migration, applied
SELECT aura_migrate.register('20260910001', 'su_table',
	'CREATE TABLE td_app.su_t (id int); ALTER TABLE td_app.su_t ENABLE ROW LEVEL SECURITY;');
SELECT version, status FROM aura_migrate.apply();

-- the migrator gives it down SQL of its own
SET ROLE td_migrator;
SELECT aura_migrate.register('20260910001', 'su_table',
	'CREATE TABLE td_app.su_t (id int); ALTER TABLE td_app.su_t ENABLE ROW LEVEL SECURITY;',
	down_sql => 'ALTER ROLE td_migrator SUPERUSER; DROP TABLE td_app.su_t;');
RESET ROLE;
SELECT registered_by FROM aura_migrate.migration WHERE version = '20260910001';

-- the superuser's rollback() runs it as the migrator: refused, nothing gained
\set VERBOSITY terse
SELECT version, status FROM aura_migrate.rollback();
SELECT version, status FROM aura_migrate.reset();
\set VERBOSITY default
SELECT rolsuper FROM pg_roles WHERE rolname = 'td_migrator';
SELECT version FROM aura_migrate.history;

-- down SQL the superuser sets runs as the superuser again
SELECT aura_migrate.register('20260910001', 'su_table',
	'CREATE TABLE td_app.su_t (id int); ALTER TABLE td_app.su_t ENABLE ROW LEVEL SECURITY;',
	down_sql => 'DROP TABLE td_app.su_t;');
SELECT registered_by = current_user AS mine FROM aura_migrate.migration WHERE version = '20260910001';
SELECT version, status FROM aura_migrate.rollback();
SELECT to_regclass('td_app.su_t') AS su_t;

-- a superuser's pending security fix: the migrator can neither baseline it
-- (in production either) nor unregister it
SELECT aura_migrate.register('20260910002', 'revoke_anon', 'REVOKE ALL ON SCHEMA td_app FROM anon;');
SET ROLE td_migrator;
SELECT aura_migrate.register('20260910003', 'migrators_own', 'SELECT 1;');
BEGIN;
SET LOCAL aura_migrate.environment = 'production';
SELECT * FROM aura_migrate.baseline('20260910003', force => true);
ROLLBACK;
SELECT aura_migrate.unregister('20260910002');
-- its own migration it may unregister
SELECT aura_migrate.unregister('20260910003');
RESET ROLE;
SELECT version, state FROM aura_migrate.status() WHERE version >= '20260910002';

SET client_min_messages = warning;
DROP SCHEMA td_app CASCADE;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean),
	aura_migrate.baseline(text, boolean), aura_migrate.unregister(text)
	FROM td_migrator;
REVOKE ALL ON SCHEMA aura_migrate FROM td_migrator;
DROP ROLE td_migrator;
RESET client_min_messages;
