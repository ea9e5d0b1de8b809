--
-- Trust: installing the extension changes nothing for roles that do not
-- use it.  The DDL recorder fires for every role's DDL and writes as the
-- extension's owner: a role with no grant on schema aura_migrate runs DDL
-- exactly as before (in a fresh backend, where nothing was prepared yet by
-- a more privileged role), and its changes are still recorded.
--
CREATE ROLE tr_plain;
CREATE ROLE tr_admin CREATEROLE;
CREATE SCHEMA tr_own AUTHORIZATION tr_plain;
CREATE SCHEMA tr_auth AUTHORIZATION tr_admin;
CREATE TABLE tr_auth.users (id int);
ALTER TABLE tr_auth.users OWNER TO tr_admin;
\c
SET ROLE tr_plain;
CREATE TABLE tr_own.t (id int);
ALTER TABLE tr_own.t ADD COLUMN note text;
CREATE INDEX ON tr_own.t (id);
CREATE EXTENSION IF NOT EXISTS aura_migrate;
DROP TABLE tr_own.t;
RESET ROLE;
\c
SET ROLE tr_admin;
ALTER TABLE tr_auth.users ADD COLUMN email_hash text;
CREATE FUNCTION tr_auth.uid() RETURNS int LANGUAGE sql AS 'SELECT 1';
RESET ROLE;
SELECT action, command_tag, object_identity, changed_by, version IS NULL AS outside_migrations
  FROM aura_migrate.object_change
 WHERE changed_by IN ('tr_plain', 'tr_admin') ORDER BY id;

-- clean up
SET client_min_messages = warning;
DROP SCHEMA tr_own, tr_auth CASCADE;
DELETE FROM aura_migrate.object_change;
DROP ROLE tr_plain, tr_admin;
RESET client_min_messages;
