/*
 * src/sql/check_rls.sql
 *		check_rls(): row level security findings from the catalogs and from
 *		behavioural probes, and the probe fixtures the probes fall back on.
 *
 * Appended to the install script after aura_migrate.sql (which defines the
 * aura_migrate.finding type).  Every code check_rls() reports is described
 * in docs/findings.md.
 *
 * Privileges: EXECUTE on check_rls() and register_probe_fixture() is
 * revoked from PUBLIC.  A role that should run the structural checks needs
 *
 *     GRANT EXECUTE ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) TO ci_checker;
 *
 * (the probes themselves act as other roles and always need a superuser).
 * register_probe_fixture() stores SQL that the probes run with the rights of
 * the probed table's owner, when the role that registered it could act as
 * that owner itself (and the extension's owner too).
 */

/* ------------------------------------------------------------------------
 * Probe fixtures
 * ------------------------------------------------------------------------ */

CREATE TABLE aura_migrate.probe_fixture (
	table_name	text PRIMARY KEY,		-- schema-qualified, e.g. public.encrypted_cycle_data
	insert_sql	text NOT NULL,			-- one INSERT taking $1 = the user id (uuid)
	note		text,
	source		text NOT NULL DEFAULT 'user'
				CHECK (source IN ('bundled', 'user')),
	registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	registered_by name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE aura_migrate.probe_fixture IS
'INSERT templates the check_rls() probes use for a table whose constraints a row synthesised from the column types cannot satisfy.  insert_sql takes $1 = the synthetic user''s id (uuid) and must insert at least one row owned by that user; it runs as the table''s owner inside a subtransaction that is always rolled back.';
COMMENT ON COLUMN aura_migrate.probe_fixture.table_name IS
'The probed table, schema-qualified (resolved with to_regclass()).';
COMMENT ON COLUMN aura_migrate.probe_fixture.insert_sql IS
'One INSERT statement (CTEs allowed) with $1 = the user id (uuid).  The probe has already created the user''s auth.users row and a row in each users table the owner columns reference (public.users).';
COMMENT ON COLUMN aura_migrate.probe_fixture.note IS
'Why the table needs a fixture.';
COMMENT ON COLUMN aura_migrate.probe_fixture.source IS
'bundled (shipped with the extension, db/probes/, re-created by CREATE EXTENSION) or user (registered with register_probe_fixture(), kept by pg_dump).';

REVOKE ALL ON TABLE aura_migrate.probe_fixture FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.probe_fixture',
										   'WHERE source = ''user''');

/* ------------------------------------------------------------------------
 * Functions
 * ------------------------------------------------------------------------ */

CREATE FUNCTION aura_migrate.register_probe_fixture(
	table_name text,
	insert_sql text,
	note text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF table_name IS NULL OR insert_sql IS NULL THEN
		RAISE EXCEPTION 'table_name and insert_sql must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF position('.' IN table_name) = 0 THEN
		RAISE EXCEPTION 'table name "%" is not schema-qualified', table_name
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Write it as schema.table, e.g. public.encrypted_cycle_data.';
	END IF;
	IF pg_catalog.strpos(insert_sql, '$1') = 0 THEN
		RAISE EXCEPTION 'probe fixture for "%" does not use $1', table_name
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The template must give the row to the user whose id is passed as $1.';
	END IF;
	-- (registered_by: CURRENT_USER is the extension's owner in here)
	INSERT INTO aura_migrate.probe_fixture AS f (table_name, insert_sql, note, registered_by)
	VALUES (register_probe_fixture.table_name, register_probe_fixture.insert_sql,
			register_probe_fixture.note, SESSION_USER)
	ON CONFLICT ON CONSTRAINT probe_fixture_pkey DO UPDATE
		SET insert_sql = EXCLUDED.insert_sql,
			note = EXCLUDED.note,
			source = 'user',
			registered_at = pg_catalog.now(),
			registered_by = SESSION_USER;
END;
$$;
COMMENT ON FUNCTION aura_migrate.register_probe_fixture(text, text, text) IS
'Registers (or replaces) the probe fixture of a table: an INSERT template taking $1 = the user id (uuid), used by the check_rls() probes when a synthesised row does not satisfy the table''s constraints.';

CREATE FUNCTION aura_migrate.check_rls(
	schemas name[] DEFAULT NULL,
	probes boolean DEFAULT NULL,
	allow_definer text[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_check_rls'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) IS
'Row level security findings for the tables, views and SECURITY DEFINER functions of the given schemas (NULL, the default: those aura_migrate.checked_schemas names, by default every schema the API roles can use), and (probes true, or NULL outside production) behavioural probes that act as authenticated, anon and the zero-knowledge roles inside rolled-back subtransactions.  allow_definer lists SECURITY DEFINER functions anon may execute.  Nothing returned means clean; see docs/findings.md.';

REVOKE ALL ON FUNCTION aura_migrate.register_probe_fixture(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) FROM PUBLIC;
