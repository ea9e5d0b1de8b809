--
-- Function bodies: with extension plpgsql_check installed, the checks after
-- each migration run it on every PL/pgSQL function the migration created
-- or replaced, and its errors fail the migration (a review: a function that
-- names a column that does not exist registered, applied and passed every
-- check, and failed at the user's first call).  Without it, lint() says so
-- once, at info.  This file runs where the Debian package
-- postgresql-NN-plpgsql-check is installed (the test command installs it).
--
CREATE SCHEMA pc;
-- without the extension: told at info, and the mistake applies
SELECT aura_migrate.register('20270101001', 'pc_without', $$
CREATE TABLE pc.t (id int PRIMARY KEY, a int);
ALTER TABLE pc.t ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION pc.f() RETURNS int LANGUAGE plpgsql
AS $f$ BEGIN RETURN (SELECT no_such_column FROM pc.t LIMIT 1); END $f$;
CREATE FUNCTION pc.f2() RETURNS int LANGUAGE plpgsql AS $f$ BEGIN RETURN 2; END $f$;
$$);
SELECT severity, code, message FROM aura_migrate.findings('20270101001')
 WHERE code = 'function_body_unchecked';
SELECT version, status FROM aura_migrate.apply('20270101001');

CREATE EXTENSION plpgsql_check;
-- with it: the same mistake fails the migration, and nothing of it stays
SELECT aura_migrate.register('20270101002', 'pc_with', $$
CREATE FUNCTION pc.g() RETURNS int LANGUAGE plpgsql
AS $f$ BEGIN RETURN (SELECT no_such_column FROM pc.t LIMIT 1); END $f$;
$$);
SELECT count(*) AS told FROM aura_migrate.findings('20270101002')
 WHERE code = 'function_body_unchecked';
SELECT version, status FROM aura_migrate.apply('20270101002');
SELECT to_regprocedure('pc.g()') IS NULL AS not_created;
SELECT aura_migrate.unregister('20270101002');
-- CREATE OR REPLACE of a function is checked too; a trigger function with
-- its trigger is checked against the trigger's table
SELECT aura_migrate.register('20270101003', 'pc_replace', $$
CREATE OR REPLACE FUNCTION pc.f2() RETURNS int LANGUAGE plpgsql
AS $f$ BEGIN RETURN (SELECT sum(a) FROM pc.nope); END $f$;
$$);
SELECT version, status FROM aura_migrate.apply('20270101003');
SELECT aura_migrate.unregister('20270101003');
SELECT aura_migrate.register('20270101004', 'pc_trigger', $$
CREATE FUNCTION pc.trg() RETURNS trigger LANGUAGE plpgsql
AS $f$ BEGIN NEW.no_such_field := 1; RETURN NEW; END $f$;
CREATE TRIGGER pc_t_trg BEFORE INSERT ON pc.t FOR EACH ROW EXECUTE FUNCTION pc.trg();
$$);
SELECT version, status FROM aura_migrate.apply('20270101004');
SELECT aura_migrate.unregister('20270101004');
-- correct functions apply; a warning (an unused variable) is reported, and
-- a trigger function not yet attached to a table is skipped
SELECT aura_migrate.register('20270101005', 'pc_fixed', $$
CREATE FUNCTION pc.g() RETURNS int LANGUAGE plpgsql
AS $f$ DECLARE unused int; BEGIN RETURN (SELECT a FROM pc.t LIMIT 1); END $f$;
CREATE FUNCTION pc.trg2() RETURNS trigger LANGUAGE plpgsql
AS $f$ BEGIN NEW.a := 1; RETURN NEW; END $f$;
CREATE FUNCTION pc.trg() RETURNS trigger LANGUAGE plpgsql
AS $f$ BEGIN NEW.a := coalesce(NEW.a, 0); RETURN NEW; END $f$;
CREATE TRIGGER pc_t_trg BEFORE INSERT ON pc.t FOR EACH ROW EXECUTE FUNCTION pc.trg();
$$);
SELECT version, status FROM aura_migrate.apply('20270101005');

-- a trigger function made by one migration, attached by the next: checked
-- when it is attached (an independent review: it was never checked)
SELECT aura_migrate.register('20270101007', 'pc_trigger_fn', $$
CREATE FUNCTION pc.late_trg() RETURNS trigger LANGUAGE plpgsql
AS $f$ BEGIN NEW.not_a_column := 1; RETURN NEW; END $f$;
$$);
SELECT version, status FROM aura_migrate.apply('20270101007');
SELECT aura_migrate.register('20270101008', 'pc_trigger_attach', $$
CREATE TRIGGER pc_t_late BEFORE UPDATE ON pc.t FOR EACH ROW EXECUTE FUNCTION pc.late_trg();
$$);
SELECT version, status FROM aura_migrate.apply('20270101008');
SELECT aura_migrate.unregister('20270101008');

-- plpgsql_check plans the function's queries, and planning folds IMMUTABLE
-- calls, which runs them: as the function's owner, never as the role that
-- applies (an independent review: a migrator's function made the migrator
-- superuser when a superuser applied it)
CREATE ROLE pc_mallory;
GRANT USAGE, CREATE ON SCHEMA pc TO pc_mallory;
GRANT USAGE ON SCHEMA aura_migrate TO pc_mallory;
GRANT EXECUTE ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean)
	TO pc_mallory;
SET ROLE pc_mallory;
SELECT aura_migrate.register('20270101006', 'pc_folded', $$
CREATE FUNCTION pc.imm(t text) RETURNS int LANGUAGE plpgsql IMMUTABLE
AS $f$ BEGIN RAISE NOTICE 'folded as %, superuser: %', current_user,
	(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user); RETURN 1; END $f$;
CREATE FUNCTION pc.helper() RETURNS int LANGUAGE plpgsql
AS $f$ BEGIN RETURN pc.imm('x'); END $f$;
$$);
RESET ROLE;
SELECT version, status FROM aura_migrate.apply('20270101006');

-- Aura's own functions pass plpgsql_check: its migrations apply in a
-- database that has it
CREATE DATABASE regress_aura_pc;
\c regress_aura_pc
SET client_min_messages = warning;
\set ECHO none
\i db/init/00_supabase_compat.sql
\set ECHO all
CREATE EXTENSION plpgsql_check;
CREATE EXTENSION aura_schema CASCADE;
RESET client_min_messages;
SELECT count(*) AS applied FROM aura_migrate.apply() WHERE status = 'applied';
SELECT count(*) AS pending FROM aura_migrate.status() WHERE state <> 'applied';
\c contrib_regression
DROP DATABASE regress_aura_pc;

DROP EXTENSION plpgsql_check;
SET client_min_messages = warning;
DROP SCHEMA pc CASCADE;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean)
	FROM pc_mallory;
REVOKE ALL ON SCHEMA aura_migrate FROM pc_mallory;
DROP ROLE pc_mallory;
RESET client_min_messages;
