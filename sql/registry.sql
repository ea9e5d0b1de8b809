--
-- registry: register() and register_file() store migrations without running them
--
-- The engine's tests use migrations of their own: the bundled Aura schema
-- is tested by the pgTAP suite in test/pgtap, so it is set aside here.
DELETE FROM aura_migrate.migration WHERE source = 'bundled';

-- a first migration is stored, not executed
SELECT aura_migrate.register('20260101001', 'create_widget',
	'CREATE TABLE reg_widget (id int PRIMARY KEY);');
SELECT to_regclass('reg_widget') IS NULL AS not_executed;
SELECT version, name, statements, source, environments, depends_on,
	   checksum = encode(sha256(convert_to(up_sql, 'UTF8')), 'hex') AS checksum_is_sha256
  FROM aura_migrate.migration;

-- registering identical content again is a no-op
SELECT aura_migrate.register('20260101001', 'create_widget',
	'CREATE TABLE reg_widget (id int PRIMARY KEY);');

-- other content for a pending version needs replace => true; the error
-- says what is registered there, by whom and when
CREATE FUNCTION pg_temp.collision(p_name text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v_msg text;
	v_detail text;
	v_hint text;
BEGIN
	PERFORM aura_migrate.register('20260101001', p_name, p_sql);
	RETURN 'registered';
EXCEPTION WHEN duplicate_object THEN
	GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
		v_hint = PG_EXCEPTION_HINT;
	RETURN concat_ws(E'\n', v_msg,
		regexp_replace(v_detail, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', '<time>'), v_hint);
END
$$;
SELECT pg_temp.collision('create_widget', 'CREATE TABLE reg_widget (id bigint PRIMARY KEY);') AS other_sql;
SELECT pg_temp.collision('widget_table', 'CREATE TABLE reg_widget (id int PRIMARY KEY);') AS other_name;
SELECT aura_migrate.register('20260101001', 'create_widget',
	'CREATE TABLE reg_widget (id bigint PRIMARY KEY);', replace => true);
SELECT up_sql FROM aura_migrate.migration WHERE version = '20260101001';

-- statements are counted by the parser, comments and all
SELECT aura_migrate.register('20260101002', 'two_statements', $sql$
-- a comment; with a semicolon
CREATE TABLE reg_gadget (id int);
/* another; comment */
INSERT INTO reg_gadget VALUES (1); -- trailing
$sql$, down_sql => 'DROP TABLE reg_gadget;', depends_on => '{20260101001}');
SELECT version, statements, depends_on, down_sql IS NOT NULL AS has_down
  FROM aura_migrate.migration WHERE version = '20260101002';

-- environments are stored
SELECT aura_migrate.register('20260101003', 'seed_data',
	'INSERT INTO reg_gadget VALUES (2);', environments => '{development}');
SELECT version, environments FROM aura_migrate.migration WHERE version = '20260101003';

-- register_file reads version and name from the file name, and the header
SELECT aura_migrate.register_file('db/migrations/production/20260102001_add_color.sql', $sql$-- Migration: 20260102001_add_color.sql
-- Description: Adds a color to widgets
-- Author: Test Author
-- Created: 2026-01-02

ALTER TABLE reg_widget ADD COLUMN color text;
$sql$);
SELECT version, name, description, statements
  FROM aura_migrate.migration WHERE version = '20260102001';

-- the header may limit environments, declare dependencies and requirements
SELECT aura_migrate.register_file('20260102002_seed_colors.sql', $sql$-- Migration: 20260102002_seed_colors
-- Description: Seed data for development
-- Author: Test Author
-- Created: 2026-01-02
-- Environments: development, staging
-- Depends: 20260102001
-- Requires: schema public, function pg_catalog.now()
-- Requires-Hint: This never fails.

UPDATE reg_widget SET color = 'blue';
$sql$);
SELECT version, environments, depends_on, requires, requires_hint
  FROM aura_migrate.migration WHERE version = '20260102002';

-- a header that does not match the file, or is missing, is refused
SELECT aura_migrate.register_file('20260103001_other.sql', $sql$-- Migration: 20260103001_something_else.sql
-- Description: x
-- Author: y
-- Created: 2026-01-03
SELECT 1;
$sql$);
SELECT aura_migrate.register_file('20260103001_other.sql', 'SELECT 1;');
SELECT aura_migrate.register_file('20260103001_other.sql', $sql$-- Migration: 20260103001_other.sql
-- Description: x
-- Author: y
-- Created: 2026-02-30
SELECT 1;
$sql$);

-- a migration marked for top-level statements is stored as such
SELECT aura_migrate.register('20260104001', 'concurrent_index', $sql$-- aura:no-transaction
CREATE INDEX CONCURRENTLY reg_widget_color_idx ON reg_widget (color);
$sql$);
SELECT version, no_transaction FROM aura_migrate.migration WHERE version = '20260104001';

-- who registered it, and from where
SELECT count(*) AS user_rows FROM aura_migrate.migration
 WHERE source = 'user' AND registered_by = current_user;

-- clean up for the next test
DELETE FROM aura_migrate.migration;
