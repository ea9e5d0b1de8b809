--
-- The upgrade path, in the manner of pg_stat_statements' oldextversions
-- test: install every released version, put rows in it, ALTER EXTENSION
-- UPDATE, and compare the result with a fresh install: the same objects
-- (tables and their columns, constraints, indexes, functions and their
-- definitions, privileges, triggers, comments, what pg_dump keeps), and the
-- rows kept.  Then the same for aura_schema.
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS aura_schema;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate VERSION '0.1';
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'aura_migrate';

-- 0.1 registered the Aura migrations itself
SELECT version, source FROM aura_migrate.migration ORDER BY version;

-- a database that lived on 0.1: a user migration applied, one failed, one
-- pending, the history and log rows 0.1 wrote
INSERT INTO aura_migrate.migration (version, name, up_sql, checksum, statements, source, registered_by)
VALUES ('20260101001', 'up_one', 'CREATE TABLE up_one (id int);', '', 1, 'user', current_user),
	   ('20260101002', 'up_two', 'SELECT 1/0;', '', 1, 'user', current_user),
	   ('20260101003', 'up_three', 'SELECT 3;', '', 1, 'user', current_user);
INSERT INTO aura_migrate.history (version, name, checksum, statements, run_id, applied_by, environment, duration_ms)
SELECT version, name, checksum, 1, 1, current_user, 'development', 1.5
  FROM aura_migrate.migration WHERE version IN ('20250909001', '20260101001');
INSERT INTO aura_migrate.log (run_id, version, event, duration_ms, sqlstate, message, statement_no, line, environment, username)
VALUES (1, '20250909001', 'applied', 1.5, NULL, NULL, NULL, NULL, 'development', current_user),
	   (1, '20260101001', 'applied', 1.5, NULL, NULL, NULL, NULL, 'development', current_user),
	   (2, '20260101002', 'failed', 0.5, '22012', 'division by zero', 1, 1, 'development', current_user);
SELECT setval('aura_migrate.run_seq', 2);

-- the new library refuses to run migrations against the old objects
SELECT * FROM aura_migrate.apply();

ALTER EXTENSION aura_migrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aura_migrate';

-- the rows are all there, and read as 0.2 reads them
SELECT version, name, source FROM aura_migrate.migration ORDER BY version;
SELECT version, applied_by = current_user AS by_me, registered_by, executed_as FROM aura_migrate.history ORDER BY version;
SELECT run_id, version, event, sqlstate, checksum FROM aura_migrate.log ORDER BY id;
SELECT count(*) AS bundled_fixtures FROM aura_migrate.probe_fixture WHERE source = 'bundled';
-- (a failure recorded by 0.1 carries no checksum: it is not matched to any
-- content, so status() shows the migration pending)
SELECT version, state FROM aura_migrate.status() ORDER BY version;
SELECT version, status FROM aura_migrate.apply('20260101001');
SELECT nextval('aura_migrate.run_seq') AS next_run;

-- the extension's objects as the update left them ...
CREATE FUNCTION pg_temp.am_catalog() RETURNS TABLE (kind text, what text, def text)
LANGUAGE sql AS $$
SELECT 'member' AS kind, pg_describe_object(d.classid, d.objid, d.objsubid) AS what, '' AS def
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'aura_migrate'
UNION ALL
SELECT 'column', c.relname || '.' || a.attname,
	   a.attnum || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ||
	   coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
 WHERE c.relnamespace = 'aura_migrate'::regnamespace AND c.relkind IN ('r', 'v')
UNION ALL
SELECT 'constraint', conrelid::regclass || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'aura_migrate'::regnamespace
UNION ALL
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = 'aura_migrate'::regnamespace
UNION ALL
SELECT 'function', p.oid::regprocedure::text,
	   md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(p.proacl::text, 'default acl')
  FROM pg_proc p WHERE p.pronamespace = 'aura_migrate'::regnamespace AND p.prokind <> 'a'
UNION ALL
SELECT 'acl', c.relname, coalesce(c.relacl::text, 'default acl')
  FROM pg_class c WHERE c.relnamespace = 'aura_migrate'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass || '.' || tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'aura_migrate'::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'event trigger', evtname, evtevent || ' ' || evtfoid::regproc
  FROM pg_event_trigger WHERE evtname LIKE 'aura_migrate%'
UNION ALL
SELECT 'comment', pg_describe_object(classoid, objoid, objsubid), md5(description)
  FROM pg_description
 WHERE (classoid = 'pg_class'::regclass AND objoid IN (SELECT oid FROM pg_class WHERE relnamespace = 'aura_migrate'::regnamespace))
	OR (classoid = 'pg_proc'::regclass AND objoid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'aura_migrate'::regnamespace))
	OR (classoid = 'pg_type'::regclass AND objoid IN (SELECT oid FROM pg_type WHERE typnamespace = 'aura_migrate'::regnamespace))
UNION ALL
SELECT 'dumped', cfg::regclass::text, coalesce(cond, '')
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(cfg, cond)
 WHERE e.extname = 'aura_migrate'
$$;
CREATE TEMP TABLE am_updated AS SELECT * FROM pg_temp.am_catalog();

-- ... and as a fresh install makes them
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate;
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'aura_migrate';
CREATE TEMP TABLE am_fresh AS SELECT * FROM pg_temp.am_catalog();
SELECT count(*) > 100 AS compared_many FROM am_fresh;
(SELECT 'only after the update' AS side, * FROM am_updated EXCEPT SELECT 'only after the update', * FROM am_fresh)
UNION ALL
(SELECT 'only in a fresh install', * FROM am_fresh EXCEPT SELECT 'only in a fresh install', * FROM am_updated)
ORDER BY 1, 2, 3;

-- aura_schema: 1.0, then the update to 1.1 registers the new migration;
-- the same registry as a fresh 1.1
CREATE EXTENSION aura_schema VERSION '1.0';
SELECT version, source FROM aura_migrate.migration ORDER BY version;
ALTER EXTENSION aura_schema UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aura_schema';
CREATE TEMP TABLE as_updated AS
SELECT version, name, checksum, source, statements, requires FROM aura_migrate.migration;
CREATE TEMP TABLE as_fixtures_updated AS SELECT table_name, md5(insert_sql) AS sql FROM aura_migrate.probe_fixture;
DROP EXTENSION aura_schema;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.probe_fixture;
CREATE EXTENSION aura_schema;
SELECT count(*) AS registered_fresh FROM aura_migrate.migration;
(SELECT * FROM as_updated EXCEPT SELECT version, name, checksum, source, statements, requires FROM aura_migrate.migration)
UNION ALL
(SELECT version, name, checksum, source, statements, requires FROM aura_migrate.migration EXCEPT SELECT * FROM as_updated);
(SELECT * FROM as_fixtures_updated EXCEPT SELECT table_name, md5(insert_sql) FROM aura_migrate.probe_fixture)
UNION ALL
(SELECT table_name, md5(insert_sql) FROM aura_migrate.probe_fixture EXCEPT SELECT * FROM as_fixtures_updated);

-- a 0.1 database updated, then aura_schema: the migrations 0.1 registered
-- are the same content, so nothing changes and nothing is applied twice
SET client_min_messages = warning;
DROP EXTENSION aura_schema;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate VERSION '0.1';
ALTER EXTENSION aura_migrate UPDATE;
CREATE EXTENSION aura_schema;
RESET client_min_messages;
SELECT version, source FROM aura_migrate.migration ORDER BY version;

-- the engine alone registers nothing
SET client_min_messages = warning;
DROP EXTENSION aura_schema;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate;
RESET client_min_messages;
SELECT count(*) AS registered_by_the_engine_alone FROM aura_migrate.migration;
SELECT count(*) AS fixtures_of_the_engine_alone FROM aura_migrate.probe_fixture;

-- 0.2 to 0.3: the functions whose signature changed keep the EXECUTE
-- privileges granted on them (0.1 to 0.2 did not: a migrator's grants had
-- to be given again, as README.md says)
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate VERSION '0.2';
RESET client_min_messages;
CREATE ROLE up_migrator;
GRANT USAGE ON SCHEMA aura_migrate TO up_migrator;
GRANT EXECUTE ON FUNCTION aura_migrate.apply(text, boolean) TO up_migrator;
GRANT EXECUTE ON FUNCTION aura_migrate.register_file(text, text, text, boolean) TO up_migrator WITH GRANT OPTION;
ALTER EXTENSION aura_migrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aura_migrate';
SELECT p.oid::regprocedure AS function, a.is_grantable
  FROM pg_proc p, aclexplode(p.proacl) a
 WHERE p.pronamespace = 'aura_migrate'::regnamespace
   AND a.grantee = 'up_migrator'::regrole
 ORDER BY 1;
SELECT current_setting('am_upgrade.grants', true) IS NULL OR current_setting('am_upgrade.grants', true) = '' AS nothing_left_in_the_session;
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
DROP ROLE up_migrator;
CREATE EXTENSION aura_migrate;
RESET client_min_messages;

-- 0.3 to 0.4: check_rls() keeps the EXECUTE granted on it, and without
-- schemas checks the checked schemas; aura_schema 1.2, which marks Aura's
-- encrypted tables, says that it needs engine 0.4
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate VERSION '0.3';
CREATE EXTENSION aura_schema VERSION '1.1';
RESET client_min_messages;
CREATE ROLE up_checker;
GRANT USAGE ON SCHEMA aura_migrate TO up_checker;
GRANT EXECUTE ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) TO up_checker;
-- (the context of the refusal differs between majors: left out)
\set SHOW_CONTEXT never
ALTER EXTENSION aura_schema UPDATE;
\set SHOW_CONTEXT errors
ALTER EXTENSION aura_migrate UPDATE;
ALTER EXTENSION aura_schema UPDATE;
SELECT extname, extversion FROM pg_extension WHERE extname LIKE 'aura%' ORDER BY 1;
SELECT has_function_privilege('up_checker', 'aura_migrate.check_rls(name[], boolean, text[])', 'EXECUTE') AS checker_kept;
SELECT pg_get_function_arguments('aura_migrate.check_rls(name[], boolean, text[])'::regprocedure);
SELECT table_pattern, source FROM aura_migrate.encrypted_table;
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
DROP ROLE up_checker;
CREATE EXTENSION aura_migrate;
RESET client_min_messages;

-- 0.4 to 0.5: the drift check's covering indexes
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate VERSION '0.4';
RESET client_min_messages;
ALTER EXTENSION aura_migrate UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'aura_migrate';
SELECT indexrelid::regclass FROM pg_index
 WHERE indexrelid::regclass::text LIKE 'aura_migrate.%checksum_idx' ORDER BY 1;
SET client_min_messages = warning;
DROP EXTENSION aura_migrate CASCADE;
DROP SCHEMA IF EXISTS aura_migrate CASCADE;
CREATE EXTENSION aura_migrate;
RESET client_min_messages;
