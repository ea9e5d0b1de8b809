--
-- Trust: the environment belongs to the database.  set_environment()
-- (database owner or superuser) stores it; no session can make it
-- weaker: not SET, not SET LOCAL, not a SET made before the library was
-- loaded; SHOW, status() and the engine agree.
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;
CREATE ROLE te_dbowner;
CREATE ROLE te_other;
GRANT USAGE ON SCHEMA aura_migrate TO te_dbowner, te_other;
SELECT datdba::regrole AS original_owner FROM pg_database
 WHERE datname = current_database() \gset
ALTER DATABASE contrib_regression OWNER TO te_dbowner;

-- neither the database owner nor any other non-superuser may SET it
-- weaker later; only the owner (or a superuser) sets the database's
SET ROLE te_other;
SELECT aura_migrate.set_environment('production');
RESET ROLE;
SET ROLE te_dbowner;
SELECT aura_migrate.set_environment('qa');
SELECT aura_migrate.set_environment('production');
SHOW aura_migrate.environment;
RESET ROLE;
SELECT event, message, environment, username FROM aura_migrate.log
 WHERE event = 'environment_set' ORDER BY id;
SELECT x AS stored FROM pg_db_role_setting, unnest(setconfig) AS x
 WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND setrole = 0 AND x LIKE 'aura_migrate.environment=%';

-- a session, superuser or not, cannot weaken it: not with SET ...
SET aura_migrate.environment = 'development';
SET aura_migrate.environment = 'staging';
SHOW aura_migrate.environment;
-- ... not with SET LOCAL in front of reset()
BEGIN;
SET LOCAL aura_migrate.environment = 'development';
SELECT * FROM aura_migrate.reset();
ROLLBACK;
SELECT * FROM aura_migrate.rollback();

-- ... nor in a new session with SET before the library is loaded: the
-- value is refused when the library loads, before anything runs
\c
SET aura_migrate.environment = 'development';
SELECT * FROM aura_migrate.reset();
SHOW aura_migrate.environment;
SELECT substring(aura_migrate.report() FROM 'environment [a-z]+') AS report_says;

-- ... nor from the connection: a role's setting or PGOPTIONS below the
-- database's value gives way to the database's (not to the built-in default)
\c "dbname=contrib_regression options='-c aura_migrate.environment=development'"
SELECT aura_migrate._environment() AS in_force;
SHOW aura_migrate.environment;
SELECT * FROM aura_migrate.reset();
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression SET aura_migrate.environment = 'staging';
\c -reuse-previous=off dbname=contrib_regression
SELECT aura_migrate._environment() AS in_force;
SHOW aura_migrate.environment;
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression RESET aura_migrate.environment;

-- stricter is fine
\c -reuse-previous=off dbname=contrib_regression
SELECT aura_migrate.set_environment('staging');
SHOW aura_migrate.environment;
SET aura_migrate.environment = 'production';
SHOW aura_migrate.environment;
RESET aura_migrate.environment;
SHOW aura_migrate.environment;

-- the owner (or a superuser) weakens it on purpose, through the function
SET ROLE te_dbowner;
SELECT aura_migrate.set_environment('development');
RESET ROLE;
SHOW aura_migrate.environment;

-- clean up
ALTER DATABASE contrib_regression RESET aura_migrate.environment;
ALTER DATABASE contrib_regression OWNER TO :"original_owner";
SET client_min_messages = warning;
DELETE FROM aura_migrate.log;
REVOKE ALL ON SCHEMA aura_migrate FROM te_dbowner, te_other;
DROP ROLE te_dbowner, te_other;
RESET client_min_messages;
