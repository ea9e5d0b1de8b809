--
-- register_bad: bad input gets a clear error with a specific SQLSTATE and
-- changes nothing in the registry
--
CREATE FUNCTION pg_temp.try(sql text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT aura_migrate.register('20260201001', 'base', 'CREATE TABLE bad_base (id int);');
SELECT aura_migrate.register('20260201002', 'later', 'CREATE TABLE bad_later (id int);');
CREATE TEMP TABLE before AS
	SELECT version, checksum, up_sql FROM aura_migrate.migration;

\set VERBOSITY default
SELECT n, pg_temp.try(sql) AS result FROM (VALUES
	-- NULLs in every argument
	(1, $$SELECT aura_migrate.register(NULL, 'x', 'SELECT 1;')$$),
	(2, $$SELECT aura_migrate.register('20260201010', NULL, 'SELECT 1;')$$),
	(3, $$SELECT aura_migrate.register('20260201010', 'x', NULL)$$),
	(4, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', replace => NULL)$$),
	(5, $$SELECT aura_migrate.register_file(NULL, 'SELECT 1;')$$),
	(6, $$SELECT aura_migrate.register_file('20260201010_x.sql', NULL)$$),
	-- versions
	(7, $$SELECT aura_migrate.register('20251301001', 'x', 'SELECT 1;')$$),
	(8, $$SELECT aura_migrate.register('20250230001', 'x', 'SELECT 1;')$$),
	(9, $$SELECT aura_migrate.register('2025090900', 'x', 'SELECT 1;')$$),
	(10, $$SELECT aura_migrate.register('202509090001', 'x', 'SELECT 1;')$$),
	(11, $$SELECT aura_migrate.register('20250909000', 'x', 'SELECT 1;')$$),
	(12, $$SELECT aura_migrate.register('2025090900a', 'x', 'SELECT 1;')$$),
	(13, $$SELECT aura_migrate.register('', 'x', 'SELECT 1;')$$),
	(14, $$SELECT aura_migrate.register('19691231001', 'x', 'SELECT 1;')$$),
	-- a duplicate version with other content
	(15, $$SELECT aura_migrate.register('20260201001', 'base', 'CREATE TABLE other (id int);')$$),
	-- names
	(16, $$SELECT aura_migrate.register('20260201010', 'has space', 'SELECT 1;')$$),
	(17, $$SELECT aura_migrate.register('20260201010', 'it''s', 'SELECT 1;')$$),
	(18, $$SELECT aura_migrate.register('20260201010', 'a;b', 'SELECT 1;')$$),
	(19, $$SELECT aura_migrate.register('20260201010', '''; DROP TABLE aura_migrate.history; --', 'SELECT 1;')$$),
	(20, $$SELECT aura_migrate.register('20260201010', 'CamelCase', 'SELECT 1;')$$),
	(21, $$SELECT aura_migrate.register('20260201010', '', 'SELECT 1;')$$),
	(22, $$SELECT aura_migrate.register('20260201010', repeat('a', 64), 'SELECT 1;')$$),
	-- SQL
	(23, $$SELECT aura_migrate.register('20260201010', 'x', '')$$),
	(24, $$SELECT aura_migrate.register('20260201010', 'x', '  -- only a comment')$$),
	(25, $$SELECT aura_migrate.register('20260201010', 'x', E'CREATE TABLE t (id int);\nCREAT TABLE u (id int);')$$),
	(26, $$SELECT aura_migrate.register('20260201010', 'x', E'\\i other_file.sql\nSELECT 1;')$$),
	(27, $$SELECT aura_migrate.register('20260201010', 'x', E'CREATE TABLE t (id int);\nCOMMIT;')$$),
	(28, $$SELECT aura_migrate.register('20260201010', 'x', 'BEGIN; CREATE TABLE t (id int);')$$),
	(29, $$SELECT aura_migrate.register('20260201010', 'x', 'SAVEPOINT s; SELECT 1;')$$),
	(30, $$SELECT aura_migrate.register('20260201010', 'x', 'PREPARE TRANSACTION ''x'';')$$),
	(31, $$SELECT aura_migrate.register('20260201010', 'x', 'ROLLBACK;')$$),
	(32, $$SELECT aura_migrate.register('20260201010', 'x', 'DROP EXTENSION aura_migrate;')$$),
	(33, $$SELECT aura_migrate.register('20260201010', 'x', 'DROP SCHEMA aura_migrate CASCADE;')$$),
	(34, $$SELECT aura_migrate.register('20260201010', 'x', 'DELETE FROM aura_migrate.history;')$$),
	(35, $$SELECT aura_migrate.register('20260201010', 'x', 'ALTER EXTENSION aura_migrate UPDATE;')$$),
	(36, $$SELECT aura_migrate.register('20260201010', 'x', 'COPY bad_base FROM STDIN;')$$),
	(37, $$SELECT aura_migrate.register('20260201010', 'x', 'CREATE INDEX CONCURRENTLY i ON bad_base (id);')$$),
	(38, $$SELECT aura_migrate.register('20260201010', 'x', 'VACUUM bad_base;')$$),
	(39, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', down_sql => 'DROP TABLE;')$$),
	(40, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT :var;')$$),
	(41, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT ''unterminated;')$$),
	-- a 10 MB migration
	(42, $$SELECT aura_migrate.register('20260201010', 'x', repeat('SELECT 1; ', 1048576))$$),
	-- invalid UTF-8 never reaches the function
	(43, $$SELECT aura_migrate.register('20260201010', 'x', convert_from('\xc328'::bytea, 'UTF8'))$$),
	-- environments and dependencies
	(44, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', environments => '{prod}')$$),
	(45, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', environments => '{}')$$),
	(46, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', environments => '{development,NULL}')$$),
	(47, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', depends_on => '{20990101001}')$$),
	(48, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', depends_on => '{20260201010}')$$),
	(49, $$SELECT aura_migrate.register('20260201001', 'x', 'SELECT 1;', depends_on => '{20260201002}', replace => true)$$),
	(50, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', depends_on => '{abc}')$$),
	(51, $$SELECT aura_migrate.register('20260201010', 'x', 'SELECT 1;', environments => '{{development}}')$$),
	-- files
	(52, $$SELECT aura_migrate.register_file('initial_schema.sql', 'SELECT 1;')$$),
	(53, $$SELECT aura_migrate.register_file('20260201010_x.down.sql', 'SELECT 1;')$$),
	(54, $$SELECT aura_migrate.register_file('20260201010_Bad-Name.sql', 'SELECT 1;')$$),
	(55, $$SELECT aura_migrate.register_file('20260201010_x.sql', E'-- Migration: 20260201010_x.sql\n-- Requires: banana split\n-- Description: d\n-- Author: a\n-- Created: 2026-02-01\nSELECT 1;')$$),
	-- apply() targets
	(56, $$SELECT * FROM aura_migrate.apply('20990101001')$$),
	(57, $$SELECT * FROM aura_migrate.apply('latest')$$),
	(58, $$SELECT * FROM aura_migrate.apply('')$$),
	(59, $$CALL aura_migrate.migrate('2026')$$)
) AS cases(n, sql)
ORDER BY n;

-- nothing changed
SELECT count(*) AS changed_rows FROM (
	(SELECT version, checksum, up_sql FROM aura_migrate.migration
	 EXCEPT SELECT * FROM before)
	UNION ALL
	(SELECT * FROM before
	 EXCEPT SELECT version, checksum, up_sql FROM aura_migrate.migration)) d;
SELECT count(*) AS history_rows FROM aura_migrate.history;

-- a few of them in full, as a user sees them
SELECT aura_migrate.register('20250230001', 'x', 'SELECT 1;');
SELECT aura_migrate.register('20260201010', 'x', E'CREATE TABLE t (id int);\n\n  CREAT TABLE u (id int);');
SELECT aura_migrate.register('20260201010', 'x', E'SELECT 1;\n\\i other_file.sql\n');
SELECT aura_migrate.register('20260201010', 'x', E'CREATE TABLE t (id int);\nCOMMIT;');
\set VERBOSITY terse
SELECT aura_migrate.register('20260201001', 'base', 'CREATE TABLE other (id int);');
\set VERBOSITY default
SELECT * FROM aura_migrate.apply('20260201005');

DELETE FROM aura_migrate.migration;
