--
-- lint: each finding fires on the smallest migration that has it, and stays
-- silent on the fixed form; nothing is executed
--
DELETE FROM aura_migrate.migration WHERE source = 'bundled';
CREATE FUNCTION pg_temp.codes(sql text) RETURNS text
LANGUAGE sql AS $$
	SELECT coalesce(string_agg(format('%s:%s@%s:%s%s', severity, code, line, col,
									  CASE WHEN allowed THEN ' (allowed)' ELSE '' END),
							   ', ' ORDER BY line, col, code), 'clean')
	  FROM aura_migrate.lint(sql)
$$;

SELECT name, pg_temp.codes(broken) AS broken, pg_temp.codes(fixed) AS fixed
  FROM (VALUES
	('syntax_error',
	 E'CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREAT INDEX ON t (id);',
	 E'CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t ENABLE ROW LEVEL SECURITY;\nCREATE INDEX ON t (id);'),
	('psql_meta_command',
	 E'\\i schema.sql',
	 'SELECT 1;'),
	('transaction_control',
	 'BEGIN; SELECT 1; ROLLBACK;',
	 'SELECT 1;'),
	('transaction_control: nested wrappers',
	 'BEGIN; BEGIN; SELECT 1; COMMIT; COMMIT;',
	 'SELECT 1;'),
	('transaction_wrapper',
	 E'BEGIN;\nSELECT 1;\nCOMMIT;',
	 'SELECT 1;'),
	('needs_no_transaction',
	 'CREATE INDEX CONCURRENTLY i ON existing (x);',
	 E'-- aura:no-transaction\nCREATE INDEX CONCURRENTLY i ON existing (x);'),
	('table_without_rls',
	 'CREATE TABLE public.note (id uuid PRIMARY KEY);',
	 E'CREATE TABLE public.note (id uuid PRIMARY KEY);\nALTER TABLE public.note ENABLE ROW LEVEL SECURITY;'),
	('table_without_rls in an unchecked schema',
	 'CREATE TABLE private.note (id uuid PRIMARY KEY);',
	 'CREATE TEMP TABLE note (id uuid PRIMARY KEY);'),
	('table_without_primary_key',
	 E'CREATE TABLE note (id uuid);\nALTER TABLE note ENABLE ROW LEVEL SECURITY;',
	 E'CREATE TABLE note (id uuid);\nALTER TABLE note ADD PRIMARY KEY (id);\nALTER TABLE note ENABLE ROW LEVEL SECURITY;'),
	('foreign_key_without_index',
	 E'CREATE TABLE note (id uuid PRIMARY KEY, user_id uuid REFERENCES auth.users (id));\nALTER TABLE note ENABLE ROW LEVEL SECURITY;',
	 E'CREATE TABLE note (id uuid PRIMARY KEY, user_id uuid REFERENCES auth.users (id));\nCREATE INDEX ON note (user_id, id);\nALTER TABLE note ENABLE ROW LEVEL SECURITY;'),
	('policy_always_true',
	 'CREATE POLICY p ON note FOR ALL TO authenticated USING (true);',
	 'CREATE POLICY p ON note FOR ALL TO authenticated USING (user_id = (SELECT auth.uid()));'),
	('policy_always_true: SELECT, public data',
	 'CREATE POLICY p ON note FOR SELECT TO authenticated USING (true);',
	 'CREATE POLICY p ON note FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));'),
	('policy_always_true: ALTER POLICY',
	 'ALTER POLICY p ON note USING (true);',
	 'ALTER POLICY p ON note USING (user_id = (SELECT auth.uid()));'),
	('policy_always_true in WITH CHECK',
	 'CREATE POLICY p ON note FOR INSERT TO authenticated WITH CHECK (true);',
	 'CREATE POLICY p ON note FOR INSERT TO authenticated WITH CHECK (user_id = (SELECT auth.uid()));'),
	('auth_call_per_row',
	 'CREATE POLICY p ON note FOR SELECT TO authenticated USING (user_id = auth.uid());',
	 'CREATE POLICY p ON note FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));'),
	('auth_call_per_row: current_setting',
	 $$ALTER POLICY p ON note USING (tenant = current_setting('app.tenant')::uuid);$$,
	 $$ALTER POLICY p ON note USING (tenant = (SELECT current_setting('app.tenant')::uuid));$$),
	('jwt_user_metadata',
	 $$CREATE POLICY p ON note FOR SELECT TO authenticated USING ((SELECT auth.jwt() -> 'user_metadata' ->> 'role') = 'admin');$$,
	 $$CREATE POLICY p ON note FOR SELECT TO authenticated USING ((SELECT auth.jwt() -> 'app_metadata' ->> 'role') = 'admin');$$),
	('definer_search_path',
	 'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS ''SELECT 1'';',
	 'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '''' AS ''SELECT 1'';'),
	('grant_to_anon',
	 'GRANT SELECT ON public.note TO anon;',
	 'GRANT SELECT ON public.note TO authenticated;'),
	('grant_to_zero_knowledge_role',
	 'GRANT SELECT, UPDATE ON public.note TO service_role;',
	 'REVOKE ALL ON public.note FROM service_role;'),
	('grant_to_zero_knowledge_role: default privileges',
	 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO service_role;',
	 'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM service_role;'),
	('index_blocks_writes',
	 'CREATE INDEX note_user_idx ON note (user_id);',
	 E'-- aura:no-transaction\nCREATE INDEX CONCURRENTLY note_user_idx ON note (user_id);'),
	('index_blocks_writes: a table created here is not live',
	 E'CREATE TABLE n2 (id int PRIMARY KEY);\nALTER TABLE n2 ENABLE ROW LEVEL SECURITY;\nCREATE INDEX ON n2 (id);',
	 'SELECT 1;'),
	('add_column_not_null_without_default',
	 'ALTER TABLE note ADD COLUMN kind text NOT NULL;',
	 $$ALTER TABLE note ADD COLUMN kind text NOT NULL DEFAULT 'plain';$$),
	('volatile_default_rewrite',
	 'ALTER TABLE note ADD COLUMN token uuid DEFAULT gen_random_uuid();',
	 'ALTER TABLE note ADD COLUMN created_at timestamptz DEFAULT now();'),
	('alter_column_type',
	 'ALTER TABLE note ALTER COLUMN id TYPE bigint;',
	 'ALTER TABLE note ALTER COLUMN id SET DEFAULT 0;'),
	('drop_table',
	 'DROP TABLE note;',
	 E'CREATE TABLE scratch (id int PRIMARY KEY);\nALTER TABLE scratch ENABLE ROW LEVEL SECURITY;\nDROP TABLE scratch;'),
	('drop_column',
	 'ALTER TABLE note DROP COLUMN body;',
	 $$COMMENT ON COLUMN note.body IS 'deprecated: drop it once no client reads it';$$),
	('generated_column_rewrite',
	 'ALTER TABLE note ADD COLUMN total int GENERATED ALWAYS AS (1) STORED;',
	 'ALTER TABLE note ADD COLUMN total int;'),
	('constraint_validates',
	 'ALTER TABLE note ADD CONSTRAINT note_id_positive CHECK (id > 0);',
	 'ALTER TABLE note ADD CONSTRAINT note_id_positive CHECK (id > 0) NOT VALID;'),
	('constraint_validates: foreign key',
	 'ALTER TABLE note ADD CONSTRAINT note_user_fk FOREIGN KEY (user_id) REFERENCES auth.users (id);',
	 'ALTER TABLE note ADD CONSTRAINT note_user_fk FOREIGN KEY (user_id) REFERENCES auth.users (id) NOT VALID;'),
	('validate_in_same_migration',
	 E'ALTER TABLE note ADD CONSTRAINT note_id_positive CHECK (id > 0) NOT VALID;\nALTER TABLE note VALIDATE CONSTRAINT note_id_positive;',
	 'ALTER TABLE note VALIDATE CONSTRAINT note_id_positive;'),
	('constraint_builds_index',
	 'ALTER TABLE note ADD CONSTRAINT note_body_key UNIQUE (body);',
	 'ALTER TABLE note ADD CONSTRAINT note_body_key UNIQUE USING INDEX note_body_idx;'),
	('set_not_null',
	 'ALTER TABLE note ALTER COLUMN body SET NOT NULL;',
	 'ALTER TABLE note ADD CONSTRAINT note_body_nn CHECK (body IS NOT NULL) NOT VALID;'),
	('drop_not_null',
	 'ALTER TABLE note ALTER COLUMN body DROP NOT NULL;',
	 'SELECT 1;'),
	('rename_breaks_clients',
	 'ALTER TABLE note RENAME COLUMN body TO text;',
	 'ALTER TABLE note ADD COLUMN text text;'),
	('rename_breaks_clients: table',
	 'ALTER TABLE note RENAME TO notes;',
	 'CREATE VIEW notes WITH (security_invoker) AS SELECT * FROM note;'),
	('domain_constraint',
	 'ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);',
	 'ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0) NOT VALID;'),
	('truncate_cascade',
	 'TRUNCATE note CASCADE;',
	 'TRUNCATE note;'),
	('drop_database',
	 'DROP DATABASE other;',
	 'SELECT 1;'),
	('index_blocks_writes: DROP INDEX',
	 'DROP INDEX note_body_idx;',
	 E'-- aura:no-transaction\nDROP INDEX CONCURRENTLY note_body_idx;'),
	('index_blocks_writes: REINDEX',
	 'REINDEX INDEX note_body_idx;',
	 E'-- aura:no-transaction\nREINDEX INDEX CONCURRENTLY note_body_idx;'),
	('detach_partition_blocks',
	 'ALTER TABLE measure DETACH PARTITION measure_2024;',
	 E'-- aura:no-transaction\nALTER TABLE measure DETACH PARTITION measure_2024 CONCURRENTLY;'),
	('needs_no_transaction: DETACH CONCURRENTLY',
	 'ALTER TABLE measure DETACH PARTITION measure_2024 CONCURRENTLY;',
	 E'-- aura:no-transaction\nALTER TABLE measure DETACH PARTITION measure_2024 CONCURRENTLY;'),
	('table_rewrite_lock',
	 'CLUSTER note USING note_pkey;',
	 'SELECT 1;'),
	('table_rewrite_lock: VACUUM FULL',
	 E'-- aura:no-transaction\nVACUUM FULL note;',
	 E'-- aura:no-transaction\nVACUUM note;')
  ) AS cases(name, broken, fixed)
ORDER BY 1;

-- a finding acknowledged in the migration is reported as allowed, not hidden
SELECT severity, code, object, line, col, allowed FROM aura_migrate.lint($sql$
-- Soft-deleted rows are purged by a job; this table is intentionally open to the owner only.
-- aura:allow table_without_rls, table_without_primary_key
CREATE TABLE public.purge_queue (item uuid);

DROP TABLE old_stuff;  -- aura:allow drop_table
DROP TABLE other_stuff;
$sql$);

-- the whole finding, as a user sees it
SELECT * FROM aura_migrate.lint($sql$CREATE TABLE public.note (
	id uuid PRIMARY KEY,
	user_id uuid NOT NULL
);
CREATE POLICY note_owner ON public.note FOR ALL TO authenticated
	USING (user_id = auth.uid());
$sql$);

-- objects are quoted as PostgreSQL quotes identifiers
SELECT code, object FROM aura_migrate.lint('CREATE TABLE "My Schema"."Note" (id int); DROP TABLE "select";', '{My Schema}');

-- the schemas checked for row level security are a parameter
SELECT code FROM aura_migrate.lint('CREATE TABLE app.t (id int PRIMARY KEY);', '{app}');
SELECT code FROM aura_migrate.lint('CREATE TABLE app.t (id int PRIMARY KEY);', '{public}');

-- bad input
SELECT * FROM aura_migrate.lint(NULL);
SELECT * FROM aura_migrate.lint('');
SELECT code, message, line, col FROM aura_migrate.lint(E'SELECT 1;\n  SELECT ''unterminated');

-- register() stores the findings; status() counts those not allowed
SELECT aura_migrate.register('20260801001', 'open_table', 'CREATE TABLE lt_open (id int);');
SELECT version, code, severity, line FROM aura_migrate.findings('20260801001');
SELECT version, findings FROM aura_migrate.status();

-- in development a lint error is a warning; elsewhere it stops apply()
SET aura_migrate.environment = 'production';
SELECT * FROM aura_migrate.apply();
SELECT to_regclass('lt_open') IS NULL AS nothing_applied;
RESET aura_migrate.environment;
SELECT version, status FROM aura_migrate.apply();

DROP TABLE lt_open;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;

-- quoted names are names: not parsed again, reported as PostgreSQL quotes
-- them (a review: "Cycle Notes" with a foreign key made register() fail
-- with "invalid name syntax"; "v1.notes" and "CycleNotes" came back unquoted
-- or down-cased)
SELECT severity, code, object, message FROM aura_migrate.lint($$
CREATE TABLE "Cycle Notes" (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));
CREATE TABLE "v1.notes" (id int PRIMARY KEY, "Owner Id" uuid REFERENCES auth.users (id));
CREATE TABLE "My App"."CycleNotes" (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));
$$, '{}') WHERE code = 'foreign_key_without_index';
SELECT aura_migrate.register('20991231001', 'quoted_names',
	'CREATE TABLE "Cycle Notes" (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));');
DELETE FROM aura_migrate.migration WHERE version = '20991231001';

-- a foreign key added to a live table that already has an index leading
-- with the column is fine (a review: reported all the same)
CREATE TABLE lt_fk_live (id int PRIMARY KEY, user_id uuid);
CREATE INDEX lt_fk_live_user_idx ON lt_fk_live (user_id, id);
SELECT count(*) AS reported FROM aura_migrate.lint(
	'ALTER TABLE lt_fk_live ADD CONSTRAINT lt_fk_live_user_fk FOREIGN KEY (user_id) REFERENCES auth.users (id);')
 WHERE code = 'foreign_key_without_index';
DROP INDEX lt_fk_live_user_idx;
CREATE INDEX lt_fk_live_user_idx ON lt_fk_live (id, user_id);
SELECT count(*) AS reported FROM aura_migrate.lint(
	'ALTER TABLE lt_fk_live ADD CONSTRAINT lt_fk_live_user_fk FOREIGN KEY (user_id) REFERENCES auth.users (id);')
 WHERE code = 'foreign_key_without_index';
DROP TABLE lt_fk_live;

-- the migration's own SET search_path says where unqualified names go (a
-- review: lint took every unqualified name for public): the table is
-- api_lint.notes, in a checked schema, without row level security, and its
-- foreign key has no index; after RESET, names are public's again
SELECT severity, code, object FROM aura_migrate.lint($$
SET search_path TO "$user", api_lint, public;
CREATE TABLE notes (id bigint PRIMARY KEY, user_id uuid REFERENCES auth.users (id));
RESET search_path;
CREATE TABLE other (id bigint PRIMARY KEY);
ALTER TABLE other ENABLE ROW LEVEL SECURITY;
$$, '{api_lint}') ORDER BY code, object;

-- without schemas, lint() checks the checked schemas, as registration does:
-- by default public and every schema anon or authenticated can use
CREATE SCHEMA lint_exposed;
CREATE SCHEMA lint_hidden;
GRANT USAGE ON SCHEMA lint_exposed TO anon;
SELECT code, object FROM aura_migrate.lint($$
CREATE TABLE lint_exposed.t (id int PRIMARY KEY);
CREATE TABLE lint_hidden.t (id int PRIMARY KEY);
$$) WHERE code = 'table_without_rls';
DROP SCHEMA lint_exposed, lint_hidden;

-- a long text is read in parts of about 16 kB, each parsed on its own so
-- that memory stays bounded (issue 14).  The filler puts the next statement
-- just before the first cut: the cut must not fall inside its BEGIN ATOMIC
-- body (a CASE ... END nests in it), a string or a dollar-quoted body.
-- What follows the filler lints exactly as it does on its own, 1,638 lines
-- further down.
CREATE TABLE lint_parts (name text PRIMARY KEY, sql text NOT NULL);
INSERT INTO lint_parts VALUES ('filler', repeat(E'SELECT 1;\n', 1638)), ('tail', $tail$
CREATE FUNCTION public.lint_parts_f(i int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
	SELECT 1;
	SELECT CASE WHEN i > 0 THEN 2 ELSE 3 END;
END;
COMMENT ON FUNCTION public.lint_parts_f(int) IS 'a; b';
CREATE FUNCTION public.lint_parts_g() RETURNS int LANGUAGE plpgsql SECURITY DEFINER AS $f$
BEGIN
	RETURN 1;
END
$f$;
CREATE TABLE public.lint_parts_t (id int PRIMARY KEY, user_id uuid REFERENCES auth.users (id));
-- aura:allow policy_always_true
CREATE POLICY p ON public.lint_parts_t FOR UPDATE USING (true);
CREATE POLICY q ON public.lint_parts_t FOR SELECT USING (user_id = auth.uid());
SELEC 1;
$tail$);
SELECT length(sql) AS filler_bytes FROM lint_parts WHERE name = 'filler';
-- read in two parts (DEBUG1 says how): the cut is after the function, not
-- in its body (read once before, so that the catalog caches' own DEBUG1
-- lines, which differ between versions, come before)
SELECT count(*) >= 0 AS warmed FROM aura_migrate.lint(
	(SELECT f.sql || substr(t.sql, 1, strpos(t.sql, 'CREATE FUNCTION public.lint_parts_g') - 1) FROM lint_parts f, lint_parts t
	  WHERE f.name = 'filler' AND t.name = 'tail'), '{public}');
SET client_min_messages = debug1;
SELECT count(*) FROM aura_migrate.lint(
	(SELECT f.sql || substr(t.sql, 1, strpos(t.sql, 'CREATE FUNCTION public.lint_parts_g') - 1) FROM lint_parts f, lint_parts t
	  WHERE f.name = 'filler' AND t.name = 'tail'), '{public}');
RESET client_min_messages;
-- the tail without its last line (a syntax error) after the filler
SELECT severity, code, object, line, col, allowed FROM aura_migrate.lint(
	(SELECT f.sql || replace(t.sql, E'SELEC 1;\n', '') FROM lint_parts f, lint_parts t
	  WHERE f.name = 'filler' AND t.name = 'tail'), '{public}');
SELECT (SELECT array_agg(row(severity, code, object, line - 1638, col, allowed)::text ORDER BY line, col, code)
		  FROM aura_migrate.lint(f.sql || replace(t.sql, E'SELEC 1;\n', ''), '{public}'))
	 = (SELECT array_agg(row(severity, code, object, line, col, allowed)::text ORDER BY line, col, code)
		  FROM aura_migrate.lint(replace(t.sql, E'SELEC 1;\n', ''), '{public}')) AS same_as_alone
  FROM lint_parts f, lint_parts t WHERE f.name = 'filler' AND t.name = 'tail';
-- a syntax error in a later part is described as in a text read whole
SET client_min_messages = debug1;
SELECT severity, code, line, col FROM aura_migrate.lint(
	(SELECT f.sql || t.sql FROM lint_parts f, lint_parts t
	  WHERE f.name = 'filler' AND t.name = 'tail'), '{public}');
RESET client_min_messages;
-- a BEGIN ... COMMIT around the whole text is one wrapper, not transaction
-- control; a SET search_path in the first part holds in the parts after it
SELECT severity, code, object, line FROM aura_migrate.lint(
	E'BEGIN;\nSET search_path = lint_far;\n' || (SELECT sql FROM lint_parts WHERE name = 'filler') ||
	E'CREATE TABLE far (id int PRIMARY KEY);\nCOMMIT;\n', '{lint_far}');
DROP TABLE lint_parts;
