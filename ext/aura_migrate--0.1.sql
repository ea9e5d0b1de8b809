/*
 * src/sql/aura_migrate.sql
 *		The engine's catalog: registry, history and log tables, and the SQL
 *		declarations of the C entry points.
 *
 * This file is the readable source of the install script.  The Makefile
 * concatenates it with the generated registration of the bundled Aura
 * migrations (see scripts/gen-register-sql.sh) into aura_migrate--VERSION.sql.
 *
 * Privileges: the tables belong to the extension's owner and nobody else
 * can read or write them directly; every function that changes schema or
 * bookkeeping has EXECUTE revoked from PUBLIC.  README.md documents the
 * GRANTs for a migrator role.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION aura_migrate" to load this file. \quit

/* ------------------------------------------------------------------------
 * Findings: the one row shape of check_rls() and lint()
 * ------------------------------------------------------------------------ */

CREATE TYPE aura_migrate.finding AS (
	severity	text,			-- error, warning or info
	code		text,			-- stable identifier, documented in docs/findings.md
	object		text,			-- schema-qualified, quoted as PostgreSQL quotes identifiers
	message		text,
	hint		text,
	line		integer,		-- lint(): line in the migration, else NULL
	col			integer,		-- lint(): column in the migration, else NULL
	allowed		boolean			-- lint(): acknowledged by "-- aura:allow <code>"
);
COMMENT ON TYPE aura_migrate.finding IS
'One finding of check_rls() or lint(): severity, code, object, message, hint, and for lint() the line and column and whether the migration allowed it.';

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

CREATE TABLE aura_migrate.migration (
	version			text PRIMARY KEY
					CHECK (version ~ '^[0-9]{11}$'),
	name			text NOT NULL
					CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 63),
	description		text,
	up_sql			text NOT NULL,
	down_sql		text,
	checksum		text NOT NULL,
	statements		integer NOT NULL CHECK (statements > 0),
	environments	text[],
	depends_on		text[],
	requires		text[],
	requires_hint	text,
	no_transaction	boolean NOT NULL DEFAULT false,
	findings		aura_migrate.finding[] NOT NULL DEFAULT '{}',
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	registered_at	timestamptz NOT NULL DEFAULT pg_catalog.now(),
	registered_by	name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE aura_migrate.migration IS
'Registered migrations: version, name, up and down SQL, SHA-256 checksum of the up SQL, environments, dependencies and pre-check requirements.';

CREATE TABLE aura_migrate.history (
	version			text PRIMARY KEY,
	name			text NOT NULL,
	checksum		text NOT NULL,
	statements		integer NOT NULL,
	run_id			bigint NOT NULL,
	applied_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	applied_by		name NOT NULL,
	environment		text NOT NULL,
	duration_ms		double precision NOT NULL
);
COMMENT ON TABLE aura_migrate.history IS
'One row per applied migration, with the checksum that was applied.  The primary key makes a second application impossible.';

CREATE SEQUENCE aura_migrate.run_seq;
COMMENT ON SEQUENCE aura_migrate.run_seq IS
'Identifies one call of apply(), migrate() or rollback() in the log.';

CREATE TABLE aura_migrate.log (
	id				bigserial PRIMARY KEY,
	run_id			bigint,
	version			text,
	event			text NOT NULL
					CHECK (event IN ('applied', 'failed', 'rolled_back',
									 'check_failed', 'skipped', 'retried')),
	logged_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms		double precision,
	sqlstate		text,
	message			text,
	detail			text,
	statement_no	integer,
	line			integer,
	statement_text	text,
	environment		text NOT NULL,
	username		name NOT NULL
);
COMMENT ON TABLE aura_migrate.log IS
'Every migration event.  Failed events are written by a background worker so they survive the rollback of the caller''s transaction.  Outside development no statement text and no error DETAIL are stored.';

CREATE INDEX log_version_idx ON aura_migrate.log (version, id);
CREATE INDEX log_run_idx ON aura_migrate.log (run_id);

CREATE TABLE aura_migrate.object_change (
	id				bigserial PRIMARY KEY,
	version			text,			-- NULL: changed outside migrations
	run_id			bigint,
	action			text NOT NULL CHECK (action IN ('created', 'altered', 'dropped')),
	command_tag		text NOT NULL,
	object_type		text NOT NULL,
	schema_name		text,
	object_identity	text NOT NULL,
	classid			oid NOT NULL,
	objid			oid NOT NULL,
	objsubid		integer NOT NULL,
	changed_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	changed_by		name NOT NULL
);
COMMENT ON TABLE aura_migrate.object_change IS
'Every object created, altered or dropped by DDL, recorded by event triggers: with the migration and run that did it, or with none when it was changed outside migrations.';
CREATE INDEX object_change_version_idx ON aura_migrate.object_change (version, run_id);

SELECT pg_catalog.pg_extension_config_dump('aura_migrate.migration',
										   'WHERE source = ''user''');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.log', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.run_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.object_change', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.object_change_id_seq', '');

REVOKE ALL ON ALL TABLES IN SCHEMA aura_migrate FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA aura_migrate FROM PUBLIC;

/* ------------------------------------------------------------------------
 * C entry points
 * ------------------------------------------------------------------------ */

CREATE FUNCTION aura_migrate.checksum(sql text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_checksum'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate.checksum(text) IS
'Lower-case hex SHA-256 of the text, as stored in migration.checksum.';

-- the registered checksum is always that of the registered SQL, however the
-- row was written (an up_sql edited by hand shows as drift): drift checks
-- compare stored checksums only
CREATE FUNCTION aura_migrate._checksum_trigger()
RETURNS trigger
AS 'MODULE_PATHNAME', 'aura_migrate_checksum_trigger'
LANGUAGE C;
COMMENT ON FUNCTION aura_migrate._checksum_trigger() IS
'Internal: keeps migration.checksum the SHA-256 of migration.up_sql.';
REVOKE ALL ON FUNCTION aura_migrate._checksum_trigger() FROM PUBLIC;

CREATE TRIGGER migration_checksum
	BEFORE INSERT OR UPDATE OF up_sql, checksum ON aura_migrate.migration
	FOR EACH ROW EXECUTE FUNCTION aura_migrate._checksum_trigger();

CREATE FUNCTION aura_migrate.register(
	version text,
	name text,
	sql text,
	down_sql text DEFAULT NULL,
	environments text[] DEFAULT NULL,
	depends_on text[] DEFAULT NULL,
	replace boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean) IS
'Validates and stores a migration without executing it.  Returns registered, unchanged or replaced.';

CREATE FUNCTION aura_migrate.register_file(
	filename text,
	sql text,
	down_sql text DEFAULT NULL,
	replace boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register_file'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.register_file(text, text, text, boolean) IS
'Registers a migration file named YYYYMMDDNNN_description.sql after checking its template header.';

CREATE FUNCTION aura_migrate._register_bundled(
	filename text,
	sql text,
	down_sql text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register_bundled'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate._register_bundled(text, text, text) IS
'Internal: registers a migration shipped with the extension (source bundled).';

CREATE FUNCTION aura_migrate.apply(target text DEFAULT NULL)
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.apply(text) IS
'Applies every pending migration up to and including target, in the caller''s transaction, each in its own subtransaction.';

CREATE PROCEDURE aura_migrate.migrate(target text DEFAULT NULL)
AS 'MODULE_PATHNAME', 'aura_migrate_migrate'
LANGUAGE C;
COMMENT ON PROCEDURE aura_migrate.migrate(text) IS
'Applies every pending migration up to and including target, committing after each one.  Must be called with CALL outside a transaction block.';

CREATE FUNCTION aura_migrate.rollback(target text DEFAULT NULL)
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_rollback'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.rollback(text) IS
'Development only: runs the down SQL of every applied migration after target (only the last one when NULL), newest first, in the caller''s transaction.';

CREATE FUNCTION aura_migrate.reset()
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_reset'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.reset() IS
'Development only: rolls every applied migration back (running its down SQL, or dropping what it created when it has none) and applies everything again.';

CREATE FUNCTION aura_migrate._record_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'aura_migrate_record_ddl'
LANGUAGE C;
COMMENT ON FUNCTION aura_migrate._record_ddl() IS
'Internal: the event trigger function that records DDL in aura_migrate.object_change.';

CREATE EVENT TRIGGER aura_migrate_ddl_end ON ddl_command_end
	EXECUTE FUNCTION aura_migrate._record_ddl();
CREATE EVENT TRIGGER aura_migrate_sql_drop ON sql_drop
	EXECUTE FUNCTION aura_migrate._record_ddl();

/* ------------------------------------------------------------------------
 * status()
 * ------------------------------------------------------------------------ */

CREATE FUNCTION aura_migrate.status()
RETURNS TABLE (version text, name text, state text, source text,
			   applied_at timestamptz, applied_by name, environment text,
			   duration_ms double precision, checksum text,
			   last_error text, findings integer)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH env AS (
		SELECT coalesce(nullif(current_setting('aura_migrate.environment', true), ''),
						'development') AS name
	),
	last_event AS (
		SELECT DISTINCT ON (l.version) l.version, l.event, l.sqlstate,
			   l.message, l.statement_no, l.line
		  FROM aura_migrate.log l
		 WHERE l.event IN ('applied', 'failed', 'check_failed', 'rolled_back')
		 ORDER BY l.version, l.id DESC
	)
	SELECT m.version, m.name,
		   CASE
			   WHEN h.version IS NOT NULL
					AND h.checksum <> m.checksum THEN 'drifted'
			   WHEN h.version IS NOT NULL THEN 'applied'
			   WHEN m.environments IS NOT NULL
					AND NOT (env.name = ANY (m.environments)) THEN 'skipped'
			   WHEN le.event IN ('failed', 'check_failed') THEN 'failed'
			   ELSE 'pending'
		   END,
		   m.source, h.applied_at, h.applied_by, h.environment, h.duration_ms,
		   m.checksum,
		   CASE WHEN h.version IS NULL AND le.event IN ('failed', 'check_failed')
				THEN format('statement %s, line %s: %s (SQLSTATE %s)',
							le.statement_no, le.line, le.message, le.sqlstate)
		   END,
		   (SELECT count(*)::integer FROM unnest(m.findings) f
			 WHERE f.severity IN ('error', 'warning') AND NOT f.allowed)
	  FROM aura_migrate.migration m
	 CROSS JOIN env
	  LEFT JOIN aura_migrate.history h ON h.version = m.version
	  LEFT JOIN last_event le ON le.version = m.version
	UNION ALL
	SELECT h.version, h.name, 'unregistered', NULL, h.applied_at, h.applied_by,
		   h.environment, h.duration_ms, h.checksum, NULL, NULL
	  FROM aura_migrate.history h
	 WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.migration m
						WHERE m.version = h.version)
	ORDER BY 1
$$;
COMMENT ON FUNCTION aura_migrate.status() IS
'Every registered migration with its state: pending, applied, failed, drifted (registered SQL no longer matches the applied checksum), skipped (not for this environment) or unregistered (applied but no longer registered), and the number of lint errors and warnings it did not allow.';

CREATE FUNCTION aura_migrate.findings(version text DEFAULT NULL)
RETURNS TABLE (version text, severity text, code text, object text,
			   message text, hint text, line integer, col integer,
			   allowed boolean)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.version, f.severity, f.code, f.object, f.message, f.hint,
		   f.line, f.col, f.allowed
	  FROM aura_migrate.migration m, unnest(m.findings) f
	 WHERE $1 IS NULL OR m.version = $1
	 ORDER BY m.version, f.line, f.col
$$;
COMMENT ON FUNCTION aura_migrate.findings(text) IS
'The lint findings register() stored for a migration (all migrations when NULL).';

/* ------------------------------------------------------------------------
 * verify() and report()
 * ------------------------------------------------------------------------ */

CREATE FUNCTION aura_migrate.verify()
RETURNS SETOF aura_migrate.finding
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	WITH applied AS (
		SELECT h.version, h.run_id, h.checksum, m.checksum AS registered
		  FROM aura_migrate.history h
		  LEFT JOIN aura_migrate.migration m ON m.version = h.version
	),
	created AS (
		SELECT DISTINCT ON (c.classid, c.objid) c.*, a.version AS by_version
		  FROM aura_migrate.object_change c
		  JOIN applied a ON a.version = c.version AND a.run_id = c.run_id
		 WHERE c.action = 'created' AND c.objsubid = 0
		 ORDER BY c.classid, c.objid, c.id DESC
	),
	live AS (
		SELECT c.*,
			   pg_describe_object(c.classid, c.objid, 0) IS NOT NULL AS present,
			   (SELECT d.version FROM aura_migrate.object_change d
				 WHERE d.action = 'dropped' AND d.classid = c.classid
				   AND d.objid = c.objid AND d.id > c.id
				 ORDER BY d.id DESC LIMIT 1) AS dropped_by,
			   EXISTS (SELECT 1 FROM aura_migrate.object_change d
						WHERE d.action = 'dropped' AND d.classid = c.classid
						  AND d.objid = c.objid AND d.id > c.id) AS was_dropped
		  FROM created c
	)
	SELECT 'error', 'drifted', a.version,
		   format('migration %s was edited after it was applied', a.version),
		   'Restore its original SQL, and write the change as a new migration.',
		   NULL::integer, NULL::integer, false
	  FROM applied a
	 WHERE a.registered IS NOT NULL AND a.checksum <> a.registered
	UNION ALL
	SELECT 'error', 'object_missing', l.object_identity,
		   format('%s %s, created by migration %s, no longer exists%s',
				  l.object_type, l.object_identity, l.by_version,
				  CASE WHEN l.was_dropped AND l.dropped_by IS NULL
					   THEN ' (dropped outside migrations)' ELSE '' END),
		   format('Recreate it with a new migration, or write a migration that drops it on purpose.'),
		   NULL, NULL, false
	  FROM live l
	 WHERE NOT l.present
	   AND NOT (l.was_dropped AND l.dropped_by IS NOT NULL
				AND EXISTS (SELECT 1 FROM aura_migrate.history h WHERE h.version = l.dropped_by))
	UNION ALL
	SELECT 'error', 'index_invalid', l.object_identity,
		   format('index %s, created by migration %s, is invalid', l.object_identity, l.by_version),
		   'Drop it and create it again.', NULL, NULL, false
	  FROM live l JOIN pg_index i ON i.indexrelid = l.objid
	 WHERE l.present AND l.classid = 'pg_class'::regclass AND NOT i.indisvalid
	UNION ALL
	SELECT 'error', 'table_without_rls', l.object_identity,
		   format('table %s, created by migration %s, has no row level security',
				  l.object_identity, l.by_version),
		   format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY.', l.object_identity),
		   NULL, NULL, false
	  FROM live l JOIN pg_class r ON r.oid = l.objid
	 WHERE l.present AND l.classid = 'pg_class'::regclass AND r.relkind IN ('r', 'p')
	   AND NOT r.relrowsecurity
	   AND r.relnamespace::regnamespace::text = ANY (string_to_array(replace(
			coalesce(current_setting('aura_migrate.checked_schemas', true), 'public'), ' ', ''), ','))
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.migration m, unnest(m.findings) f
						WHERE m.version = l.by_version AND f.code = 'table_without_rls'
						  AND f.allowed AND f.object = l.object_identity)
	UNION ALL
	SELECT 'warning', 'changed_outside_migrations', c.object_identity,
		   format('%s %s was %s outside migrations (%s by %s at %s)', c.object_type,
				  c.object_identity, c.action, c.command_tag, c.changed_by,
				  to_char(c.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')),
		   'Capture the change in a migration, so that every environment gets it.',
		   NULL, NULL, false
	  FROM (SELECT DISTINCT ON (classid, objid) *
			  FROM aura_migrate.object_change
			 WHERE version IS NULL AND object_identity NOT LIKE '"\_RETURN" on %'
			 ORDER BY classid, objid, id DESC) c
$$;
COMMENT ON FUNCTION aura_migrate.verify() IS
'Re-checks every applied migration against the live schema: checksums (drifted), what each created still exists (object_missing) and is valid (index_invalid), new tables keep row level security, and DDL made outside migrations.';

CREATE FUNCTION aura_migrate.report(run_id bigint DEFAULT NULL,
									since timestamptz DEFAULT NULL,
									until timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	f record;
	out text := '';
	runs bigint[];
BEGIN
	IF run_id IS NULL AND since IS NULL AND until IS NULL THEN
		SELECT array_agg(x) INTO runs
		  FROM (SELECT max(l.run_id) AS x FROM aura_migrate.log l) s WHERE x IS NOT NULL;
	ELSIF run_id IS NOT NULL THEN
		runs := ARRAY[run_id];
	ELSE
		SELECT array_agg(DISTINCT l.run_id) INTO runs FROM aura_migrate.log l
		 WHERE (since IS NULL OR l.logged_at >= since)
		   AND (until IS NULL OR l.logged_at < until);
	END IF;

	out := format('aura_migrate report (%s, environment %s)',
				  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
				  coalesce(current_setting('aura_migrate.environment', true), 'development')) || E'
';
	IF runs IS NULL THEN
		RETURN out || E'no runs
';
	END IF;

	FOR r IN
		SELECT l.run_id, l.version, l.event, l.logged_at, l.duration_ms, l.sqlstate,
			   l.message, l.statement_no, l.line, l.environment, l.username,
			   m.name, m.statements,
			   (SELECT count(*) FROM aura_migrate.object_change c
				 WHERE c.version = l.version AND c.run_id = l.run_id) AS objects,
			   (SELECT count(*) FROM unnest(m.findings) x
				 WHERE x.severity IN ('error', 'warning') AND NOT x.allowed) AS findings
		  FROM aura_migrate.log l
		  LEFT JOIN aura_migrate.migration m ON m.version = l.version
		 WHERE l.run_id = ANY (runs)
		 ORDER BY l.run_id, l.id
	LOOP
		out := out || format(E'run %s  %s  %-12s %s %s  %s ms  %s statements  %s objects changed  %s lint findings  (%s, %s)
',
							 r.run_id, to_char(r.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
							 r.event, r.version,
							 coalesce(r.name, '?'), round(coalesce(r.duration_ms, 0)::numeric, 1),
							 coalesce(r.statements, 0), r.objects, coalesce(r.findings, 0),
							 r.username, r.environment);
		IF r.event IN ('failed', 'check_failed', 'retried') THEN
			out := out || format(E'    statement %s, line %s: %s (SQLSTATE %s)
',
								 coalesce(r.statement_no::text, '-'), coalesce(r.line::text, '-'),
								 r.message, r.sqlstate);
		END IF;
	END LOOP;

	FOR f IN
		SELECT c.object_type, c.object_identity, c.action, c.changed_by, c.changed_at
		  FROM aura_migrate.object_change c
		 WHERE c.version IS NULL AND c.object_identity NOT LIKE '"\_RETURN" on %'
		   AND (since IS NULL OR c.changed_at >= since)
		   AND (until IS NULL OR c.changed_at < until)
		 ORDER BY c.id
	LOOP
		out := out || format(E'changed outside migrations: %s %s %s by %s at %s
',
							 f.object_type, f.object_identity, f.action, f.changed_by,
							 to_char(f.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'));
	END LOOP;
	RETURN out;
END
$$;
COMMENT ON FUNCTION aura_migrate.report(bigint, timestamptz, timestamptz) IS
'A readable report of one run (the last when all arguments are NULL) or a time span: each migration event with duration, statements, objects changed, lint findings, failures with statement and line, and DDL made outside migrations.';

/* ------------------------------------------------------------------------
 * Privileges
 * ------------------------------------------------------------------------ */

REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.register_file(text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate._register_bundled(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.apply(text) FROM PUBLIC;
REVOKE ALL ON PROCEDURE aura_migrate.migrate(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.status() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.findings(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.rollback(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate._record_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.verify() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.report(bigint, timestamptz, timestamptz) FROM PUBLIC;
/*
 * src/sql/lint.sql
 *		lint(): migration-safety findings, read with PostgreSQL's parser.
 */

CREATE FUNCTION aura_migrate.lint(sql text, schemas name[] DEFAULT '{public}')
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_lint'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate.lint(text, name[]) IS
'Parses a migration without executing it and returns its syntax errors (with line and column) and migration-safety findings; see docs/findings.md.';
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
 * the probed table's owner: grant it only to roles trusted with that.
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
	INSERT INTO aura_migrate.probe_fixture AS f (table_name, insert_sql, note)
	VALUES (register_probe_fixture.table_name, register_probe_fixture.insert_sql,
			register_probe_fixture.note)
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
	schemas name[] DEFAULT '{public}',
	probes boolean DEFAULT NULL,
	allow_definer text[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_check_rls'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) IS
'Row level security findings for the tables, views and SECURITY DEFINER functions of the given schemas, and (probes true, or NULL outside production) behavioural probes that act as authenticated, anon and the zero-knowledge roles inside rolled-back subtransactions.  allow_definer lists SECURITY DEFINER functions anon may execute.  Nothing returned means clean; see docs/findings.md.';

REVOKE ALL ON FUNCTION aura_migrate.register_probe_fixture(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) FROM PUBLIC;

/* Bundled migrations, generated from db/migrations/production by
 * scripts/gen-register-sql.sh: do not edit here. */
SELECT '20250909001_initial_schema.sql' AS file, aura_migrate._register_bundled('20250909001_initial_schema.sql',
$aura_file$-- Migration: 20250909001_initial_schema.sql
-- Description: Aura core tables (zero-knowledge: CryptoEnvelope columns only), keys, checks, updated_at triggers, RLS enabled
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, table auth.users, role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Eight tables in schema public, all owned by one user through a column named
-- user_id, plus schema aura_private for what must never be reachable through the API
-- (the audit salt and trigger functions).  The server stores only ciphertext: every
-- encrypted row carries a CryptoEnvelope (ciphertext, nonce, key_id, algorithm, aad,
-- envelope_version) whose fields are bounded by CHECK constraints, and no column can
-- hold plaintext health data, a name, an e-mail address, a birth date, a share token,
-- an IP address or a device id.  RLS is enabled here on every table and stays
-- default-deny until 20250909002 adds the owner policies.  Indexes other than keys
-- are in 20250909004.

-- ---------------------------------------------------------------------------
-- Private schema: not exposed through PostgREST, no privileges for API roles.
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS aura_private;
REVOKE ALL ON SCHEMA aura_private FROM PUBLIC;
COMMENT ON SCHEMA aura_private IS
	'Aura internals (audit salt, trigger functions); never exposed through the API';

CREATE TABLE aura_private.audit_salt (
	id smallint NOT NULL DEFAULT 1 PRIMARY KEY,
	salt bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT audit_salt_single_row CHECK (id = 1),
	CONSTRAINT audit_salt_salt_len CHECK (octet_length(salt) = 32)
);
ALTER TABLE aura_private.audit_salt ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE aura_private.audit_salt FROM PUBLIC;
COMMENT ON TABLE aura_private.audit_salt IS
	'Secret server-side salt (pepper) for IP and device hashes in audit rows; one row';

-- 256 bits from the strong random source behind gen_random_uuid() (pgcrypto is not needed).
INSERT INTO aura_private.audit_salt (id, salt)
VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
	|| gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')))
ON CONFLICT (id) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Trigger functions
-- ---------------------------------------------------------------------------
CREATE FUNCTION aura_private.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Clients never choose the sync timestamp; created_at never changes.
	NEW.updated_at := pg_catalog.now();
	IF TG_OP = 'UPDATE' THEN
		NEW.created_at := OLD.created_at;
	END IF;
	RETURN NEW;
END;
$$;

CREATE FUNCTION aura_private.cycle_data_versioning()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Every update bumps the version, whoever issues it, so optimistic
	-- concurrency holds even for direct UPDATEs that bypass the RPC.
	NEW.version := OLD.version + 1;
	-- The tombstone timestamp follows the flag.
	IF NEW.is_deleted AND NOT OLD.is_deleted THEN
		NEW.deleted_at := pg_catalog.now();
	ELSIF NOT NEW.is_deleted THEN
		NEW.deleted_at := NULL;
	ELSE
		NEW.deleted_at := OLD.deleted_at;
	END IF;
	RETURN NEW;
END;
$$;

REVOKE ALL ON FUNCTION aura_private.set_updated_at() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.cycle_data_versioning() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.set_updated_at() IS
	'Trigger: sets updated_at to now() on INSERT and UPDATE, keeps created_at';
COMMENT ON FUNCTION aura_private.cycle_data_versioning() IS
	'Trigger: bumps encrypted_cycle_data.version on every UPDATE and maintains deleted_at';

-- ---------------------------------------------------------------------------
-- users: one row per auth.users row, nothing personal.
-- ---------------------------------------------------------------------------
CREATE TABLE public.users (
	id uuid NOT NULL PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
	user_id uuid GENERATED ALWAYS AS (id) STORED,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.users IS
	'Aura account: the auth.users id and timestamps only (no name, e-mail or birth date)';
COMMENT ON COLUMN public.users.user_id IS
	'Owner column, always equal to id, so that every table is owned through user_id';

-- ---------------------------------------------------------------------------
-- encrypted_user_prefs: one encrypted preferences blob per user.
-- ---------------------------------------------------------------------------
CREATE TABLE public.encrypted_user_prefs (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT encrypted_user_prefs_one_per_user UNIQUE (user_id),
	CONSTRAINT encrypted_user_prefs_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 65536),
	CONSTRAINT encrypted_user_prefs_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT encrypted_user_prefs_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT encrypted_user_prefs_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT encrypted_user_prefs_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT encrypted_user_prefs_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32)
);
COMMENT ON TABLE public.encrypted_user_prefs IS
	'Client-encrypted preferences, one CryptoEnvelope per user';

-- ---------------------------------------------------------------------------
-- encrypted_cycle_data: encrypted cycle records, versioned, with sync tombstones.
-- ---------------------------------------------------------------------------
CREATE TABLE public.encrypted_cycle_data (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	version bigint NOT NULL DEFAULT 1,
	is_deleted boolean NOT NULL DEFAULT false,
	deleted_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT encrypted_cycle_data_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 262144),
	CONSTRAINT encrypted_cycle_data_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT encrypted_cycle_data_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT encrypted_cycle_data_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT encrypted_cycle_data_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT encrypted_cycle_data_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32),
	CONSTRAINT encrypted_cycle_data_version_positive
		CHECK (version >= 1),
	CONSTRAINT encrypted_cycle_data_tombstone
		CHECK (is_deleted = (deleted_at IS NOT NULL))
);
COMMENT ON TABLE public.encrypted_cycle_data IS
	'Client-encrypted cycle records; version for optimistic concurrency, is_deleted/deleted_at tombstones for sync';
COMMENT ON COLUMN public.encrypted_cycle_data.version IS
	'Bumped by trigger on every UPDATE; see public.update_cycle_data_optimistic()';

-- ---------------------------------------------------------------------------
-- healthcare_share: a user's time-limited, revocable, use-limited share.
-- ---------------------------------------------------------------------------
CREATE TABLE public.healthcare_share (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	scope text NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	max_uses integer NOT NULL DEFAULT 1,
	use_count integer NOT NULL DEFAULT 0,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT healthcare_share_id_user_id_key UNIQUE (id, user_id),
	CONSTRAINT healthcare_share_scope_allowed
		CHECK (scope IN ('cycle_summary', 'cycle_history', 'full_export')),
	CONSTRAINT healthcare_share_expiry_window
		CHECK (expires_at > created_at AND expires_at <= created_at + interval '90 days'),
	CONSTRAINT healthcare_share_revoked_after_created
		CHECK (revoked_at IS NULL OR revoked_at >= created_at),
	CONSTRAINT healthcare_share_max_uses_range
		CHECK (max_uses BETWEEN 1 AND 1000),
	CONSTRAINT healthcare_share_use_count_range
		CHECK (use_count >= 0 AND use_count <= max_uses),
	CONSTRAINT healthcare_share_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 1048576),
	CONSTRAINT healthcare_share_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT healthcare_share_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT healthcare_share_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT healthcare_share_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT healthcare_share_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32)
);
COMMENT ON TABLE public.healthcare_share IS
	'A share for a healthcare provider: scope, expiry, revocation, use limit, and the shared data as a CryptoEnvelope encrypted for the provider';

-- ---------------------------------------------------------------------------
-- share_token: SHA-256 of a share token; the token itself is never stored.
-- ---------------------------------------------------------------------------
CREATE TABLE public.share_token (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	share_id uuid NOT NULL,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	token_hash bytea NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	last_used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	-- Composite key: a token can only point at a share of the same owner.
	CONSTRAINT share_token_share_fkey FOREIGN KEY (share_id, user_id)
		REFERENCES public.healthcare_share (id, user_id) ON DELETE CASCADE,
	CONSTRAINT share_token_token_hash_key UNIQUE (token_hash),
	CONSTRAINT share_token_token_hash_len CHECK (octet_length(token_hash) = 32),
	CONSTRAINT share_token_expiry_after_created CHECK (expires_at > created_at),
	CONSTRAINT share_token_revoked_after_created
		CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
COMMENT ON TABLE public.share_token IS
	'Share tokens, stored only as sha256(token) (32 bytes); the token lives in the QR code or link, never here';

-- ---------------------------------------------------------------------------
-- device_key: public keys of a user's devices; one active key per device.
-- ---------------------------------------------------------------------------
CREATE TABLE public.device_key (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	device_id_hash bytea NOT NULL,
	public_key bytea NOT NULL,
	key_algorithm text NOT NULL,
	is_active boolean NOT NULL DEFAULT true,
	activated_at timestamptz NOT NULL DEFAULT now(),
	retired_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT device_key_id_user_id_key UNIQUE (id, user_id),
	CONSTRAINT device_key_device_id_hash_len CHECK (octet_length(device_id_hash) = 32),
	CONSTRAINT device_key_algorithm_allowed
		CHECK (key_algorithm IN ('x25519', 'ed25519', 'p256')),
	CONSTRAINT device_key_public_key_len
		CHECK ((key_algorithm IN ('x25519', 'ed25519') AND octet_length(public_key) = 32)
			OR (key_algorithm = 'p256' AND octet_length(public_key) IN (33, 65))),
	CONSTRAINT device_key_active_not_retired
		CHECK (is_active = (retired_at IS NULL))
);
COMMENT ON TABLE public.device_key IS
	'Device public keys (never private keys); the device id only as a client-side hash';

-- The database, not the application, guarantees one active key per user and device.
CREATE UNIQUE INDEX device_key_one_active_per_device
	ON public.device_key (user_id, device_id_hash)
	WHERE is_active;

-- ---------------------------------------------------------------------------
-- security_audit_log: append-only security events, hashes only.
-- ---------------------------------------------------------------------------
CREATE TABLE public.security_audit_log (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	event_type text NOT NULL,
	outcome text NOT NULL DEFAULT 'success',
	device_key_id uuid,
	ip_hash bytea,
	device_hash bytea,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT security_audit_log_device_key_fkey FOREIGN KEY (device_key_id, user_id)
		REFERENCES public.device_key (id, user_id) ON DELETE SET NULL (device_key_id),
	CONSTRAINT security_audit_log_event_type_allowed
		CHECK (event_type IN ('device_key_registered', 'device_key_rotated',
			'device_key_retired', 'sign_in', 'sign_out', 'share_created',
			'share_revoked', 'export_requested', 'recovery_used')),
	CONSTRAINT security_audit_log_outcome_allowed
		CHECK (outcome IN ('success', 'failure', 'denied')),
	CONSTRAINT security_audit_log_ip_hash_len
		CHECK (ip_hash IS NULL OR octet_length(ip_hash) = 32),
	CONSTRAINT security_audit_log_device_hash_len
		CHECK (device_hash IS NULL OR octet_length(device_hash) = 32)
);
COMMENT ON TABLE public.security_audit_log IS
	'Append-only security events; IP addresses and device ids only as 32-byte salted hashes';

-- ---------------------------------------------------------------------------
-- healthcare_share_audit: append-only record of every share access attempt.
-- ---------------------------------------------------------------------------
CREATE TABLE public.healthcare_share_audit (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	share_id uuid,
	user_id uuid REFERENCES public.users (id) ON DELETE CASCADE,
	event text NOT NULL,
	reason text NOT NULL DEFAULT 'ok',
	ip_hash bytea,
	device_hash bytea,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT healthcare_share_audit_share_fkey FOREIGN KEY (share_id, user_id)
		REFERENCES public.healthcare_share (id, user_id) ON DELETE SET NULL (share_id),
	CONSTRAINT healthcare_share_audit_share_has_owner
		CHECK (share_id IS NULL OR user_id IS NOT NULL),
	CONSTRAINT healthcare_share_audit_event_allowed
		CHECK (event IN ('token_validated', 'token_rejected', 'data_accessed',
			'data_exported', 'share_created', 'share_revoked')),
	CONSTRAINT healthcare_share_audit_reason_allowed
		CHECK (reason IN ('ok', 'unknown_token', 'expired', 'revoked', 'exhausted')),
	CONSTRAINT healthcare_share_audit_ip_hash_len
		CHECK (ip_hash IS NULL OR octet_length(ip_hash) = 32),
	CONSTRAINT healthcare_share_audit_device_hash_len
		CHECK (device_hash IS NULL OR octet_length(device_hash) = 32)
);
COMMENT ON TABLE public.healthcare_share_audit IS
	'Append-only share access audit; rejected tokens keep their real reason here (user_id NULL when the token is unknown)';

-- ---------------------------------------------------------------------------
-- updated_at and version triggers
-- ---------------------------------------------------------------------------
CREATE TRIGGER users_set_updated_at
	BEFORE INSERT OR UPDATE ON public.users
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_user_prefs_set_updated_at
	BEFORE INSERT OR UPDATE ON public.encrypted_user_prefs
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_cycle_data_set_updated_at
	BEFORE INSERT OR UPDATE ON public.encrypted_cycle_data
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_cycle_data_versioning
	BEFORE UPDATE ON public.encrypted_cycle_data
	FOR EACH ROW EXECUTE FUNCTION aura_private.cycle_data_versioning();
CREATE TRIGGER healthcare_share_set_updated_at
	BEFORE INSERT OR UPDATE ON public.healthcare_share
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER share_token_set_updated_at
	BEFORE INSERT OR UPDATE ON public.share_token
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER device_key_set_updated_at
	BEFORE INSERT OR UPDATE ON public.device_key
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Row level security: on for every table, default deny until 20250909002.
-- ---------------------------------------------------------------------------
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.encrypted_user_prefs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.encrypted_cycle_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.healthcare_share ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.share_token ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.device_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.security_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.healthcare_share_audit ENABLE ROW LEVEL SECURITY;

-- No API role holds any privilege until 20250909002 grants exactly what is needed
-- (Supabase's default privileges would otherwise hand every new table to anon,
-- authenticated and service_role, and service_role bypasses RLS).
REVOKE ALL ON TABLE public.users, public.encrypted_user_prefs, public.encrypted_cycle_data,
	public.healthcare_share, public.share_token, public.device_key,
	public.security_audit_log, public.healthcare_share_audit
	FROM PUBLIC, anon, authenticated, service_role;
$aura_file$,
NULL) AS result;
SELECT '20250909002_rls_policies.sql' AS file, aura_migrate._register_bundled('20250909002_rls_policies.sql',
$aura_file$-- Migration: 20250909002_rls_policies.sql
-- Description: Owner-isolation RLS policies, table privileges for authenticated only, append-only audit tables
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, function auth.uid(), role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Zero knowledge, enforced twice:
--   * privileges: only authenticated holds table privileges on user data.  anon and
--     PUBLIC hold none (anon reaches sharing only through public.validate_share_token()),
--     and service_role holds none either: it has BYPASSRLS on Supabase, so a policy
--     cannot restrict it and only the absence of privileges does (any access: 42501).
--   * policies: one PERMISSIVE policy per table and command, all TO authenticated, all
--     with the predicate user_id = (select auth.uid()).  The sub-select makes the
--     planner evaluate auth.uid() once per statement (an InitPlan) instead of once per
--     row, and lets the (user_id, ...) indexes of 20250909004 serve the predicate.
-- The audit tables (security_audit_log, healthcare_share_audit) are append-only:
-- authenticated may INSERT and SELECT its own rows; nobody but the owner of the
-- tables holds UPDATE, DELETE or TRUNCATE, and there are no UPDATE/DELETE policies.
-- Default privileges make sure tables created later in schema public by the role
-- that applies migrations are not handed to anon or service_role.

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
REVOKE ALL ON TABLE public.users,
	public.encrypted_user_prefs,
	public.encrypted_cycle_data,
	public.healthcare_share,
	public.share_token,
	public.device_key,
	public.security_audit_log,
	public.healthcare_share_audit
	FROM PUBLIC, anon, authenticated, service_role;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.users, public.encrypted_user_prefs,
	public.encrypted_cycle_data, public.healthcare_share, public.share_token,
	public.device_key
	TO authenticated;

-- Append-only: no UPDATE, DELETE or TRUNCATE for any API role.
GRANT SELECT, INSERT ON TABLE public.security_audit_log, public.healthcare_share_audit
	TO authenticated;

-- Tables and sequences created later in schema public by this role start with
-- nothing for anon and service_role (Supabase's defaults would grant them ALL).
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM anon, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM anon, service_role;

-- ---------------------------------------------------------------------------
-- Policies: owner isolation, TO authenticated, one per table and command.
-- ---------------------------------------------------------------------------

-- users
CREATE POLICY users_select_own
	ON public.users
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY users_insert_own
	ON public.users
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY users_update_own
	ON public.users
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY users_delete_own
	ON public.users
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- encrypted_user_prefs
CREATE POLICY encrypted_user_prefs_select_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_insert_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_update_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_user_prefs_delete_own
	ON public.encrypted_user_prefs
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- encrypted_cycle_data
CREATE POLICY encrypted_cycle_data_select_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_insert_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_update_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY encrypted_cycle_data_delete_own
	ON public.encrypted_cycle_data
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- healthcare_share
CREATE POLICY healthcare_share_select_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_insert_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_update_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_delete_own
	ON public.healthcare_share
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- share_token
CREATE POLICY share_token_select_own
	ON public.share_token
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY share_token_insert_own
	ON public.share_token
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY share_token_update_own
	ON public.share_token
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY share_token_delete_own
	ON public.share_token
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- device_key
CREATE POLICY device_key_select_own
	ON public.device_key
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY device_key_insert_own
	ON public.device_key
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY device_key_update_own
	ON public.device_key
	AS PERMISSIVE
	FOR UPDATE
	TO authenticated
	USING (user_id = (select auth.uid()))
	WITH CHECK (user_id = (select auth.uid()));

CREATE POLICY device_key_delete_own
	ON public.device_key
	AS PERMISSIVE
	FOR DELETE
	TO authenticated
	USING (user_id = (select auth.uid()));

-- security_audit_log
CREATE POLICY security_audit_log_select_own
	ON public.security_audit_log
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY security_audit_log_insert_own
	ON public.security_audit_log
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

-- healthcare_share_audit
CREATE POLICY healthcare_share_audit_select_own
	ON public.healthcare_share_audit
	AS PERMISSIVE
	FOR SELECT
	TO authenticated
	USING (user_id = (select auth.uid()));

CREATE POLICY healthcare_share_audit_insert_own
	ON public.healthcare_share_audit
	AS PERMISSIVE
	FOR INSERT
	TO authenticated
	WITH CHECK (user_id = (select auth.uid()));

$aura_file$,
NULL) AS result;
SELECT '20250909003_rpc_functions.sql' AS file, aura_migrate._register_bundled('20250909003_rpc_functions.sql',
$aura_file$-- Migration: 20250909003_rpc_functions.sql
-- Description: RPCs: optimistic cycle-data update, share-token validation, privacy-safe access audit, device key rotation, expiry cleanup
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, function auth.uid(), role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Every function pins search_path to '' and names every table with its schema.
-- SECURITY DEFINER is used only where the caller must not hold the privilege itself:
--   validate_share_token     anon has no table privileges at all
--   healthcare_access_audit  needs the secret audit salt
--   cleanup_expired_shares   service_role has no table privileges at all
-- update_cycle_data_optimistic and rotate_device_key run as the caller, under RLS.
-- EXECUTE is revoked from PUBLIC (and from the API roles Supabase's default
-- privileges hand it to) and granted to exactly the roles that call each function.
--
-- Results and SQLSTATEs (also in db/migrations/README.md):
--   28000  invalid_authorization_specification: no auth.uid() in the request
--   P0002  no_data_found: the record, share or user row does not exist or is not the
--          caller's (the two cases are indistinguishable on purpose)
--   22023  invalid_parameter_value: an argument outside its documented range
--   22004  null_value_not_allowed: a required argument is NULL
--   23514  check_violation: a CryptoEnvelope or key field breaks a table CHECK
--   42501  insufficient_privilege: the role may not execute the function at all
--   update_cycle_data_optimistic: a version mismatch is a result, not an error:
--          applied = false, current_version = the stored version.
--   validate_share_token: any invalid token (unknown, malformed, expired, revoked,
--          exhausted) returns zero rows; the real reason is in healthcare_share_audit.

-- ---------------------------------------------------------------------------
-- Private helpers (not executable by any API role)
-- ---------------------------------------------------------------------------
CREATE FUNCTION aura_private.salted_hash(p_value text)
RETURNS bytea
LANGUAGE sql
STABLE
STRICT
PARALLEL SAFE
SET search_path = ''
AS $$
	SELECT pg_catalog.sha256(s.salt || pg_catalog.convert_to(p_value, 'UTF8'))
	FROM aura_private.audit_salt AS s
	WHERE s.id = 1
$$;

CREATE FUNCTION aura_private.normalize_ip(p_ip text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
STRICT
SET search_path = ''
AS $$
BEGIN
	-- Canonical text of an address so that equal addresses hash equally;
	-- anything that is not an address is not hashed at all.
	RETURN pg_catalog.host(pg_catalog.btrim(p_ip)::inet);
EXCEPTION
	WHEN invalid_text_representation THEN
		RETURN NULL;
END;
$$;

CREATE FUNCTION aura_private.request_ip_hash()
RETURNS bytea
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
	v_headers jsonb;
	v_ip text;
BEGIN
	-- PostgREST puts the request headers (lower-case names) in request.headers.
	BEGIN
		v_headers := NULLIF(pg_catalog.current_setting('request.headers', true), '')::jsonb;
	EXCEPTION
		WHEN invalid_text_representation THEN
			RETURN NULL;
	END;
	IF v_headers IS NULL OR pg_catalog.jsonb_typeof(v_headers) <> 'object' THEN
		RETURN NULL;
	END IF;
	v_ip := pg_catalog.split_part(coalesce(v_headers ->> 'x-forwarded-for',
										   v_headers ->> 'x-real-ip',
										   v_headers ->> 'cf-connecting-ip'), ',', 1);
	RETURN aura_private.salted_hash(aura_private.normalize_ip(v_ip));
END;
$$;

REVOKE ALL ON FUNCTION aura_private.salted_hash(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.normalize_ip(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.request_ip_hash() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.salted_hash(text) IS
	'sha256(secret salt || value): 32 bytes, for IP addresses and device ids in audit rows';
COMMENT ON FUNCTION aura_private.normalize_ip(text) IS
	'Canonical text form of an IP address, NULL when the text is not an address';
COMMENT ON FUNCTION aura_private.request_ip_hash() IS
	'Salted hash of the client address PostgREST put in request.headers, or NULL';

-- ---------------------------------------------------------------------------
-- update_cycle_data_optimistic
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.update_cycle_data_optimistic(
	p_id uuid,
	p_expected_version bigint,
	p_ciphertext bytea,
	p_nonce bytea,
	p_key_id text,
	p_algorithm text,
	p_aad bytea DEFAULT '\x'::bytea,
	p_envelope_version smallint DEFAULT 1,
	p_is_deleted boolean DEFAULT false)
RETURNS TABLE (applied boolean, current_version bigint, updated_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
	v_uid uuid := auth.uid();
BEGIN
	-- Replaces the CryptoEnvelope of one of the caller's cycle records if, and only
	-- if, its version is still p_expected_version.  The compare-and-set is a single
	-- UPDATE ... WHERE version = expected: a concurrent writer holding the row lock
	-- makes this UPDATE wait and then re-check the WHERE clause against the
	-- committed row, so of two sessions sending the same expected version exactly
	-- one matches.  The loser gets applied = false and the version that beat it.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_id IS NULL OR p_expected_version IS NULL OR p_is_deleted IS NULL THEN
		RAISE EXCEPTION 'p_id, p_expected_version and p_is_deleted must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;

	UPDATE public.encrypted_cycle_data AS c
	   SET ciphertext = p_ciphertext,
		   nonce = p_nonce,
		   key_id = p_key_id,
		   algorithm = p_algorithm,
		   aad = coalesce(p_aad, '\x'::bytea),
		   envelope_version = coalesce(p_envelope_version, 1::smallint),
		   is_deleted = p_is_deleted,
		   version = c.version + 1
	 WHERE c.id = p_id
	   AND c.user_id = v_uid
	   AND c.version = p_expected_version
	RETURNING true, c.version, c.updated_at
	  INTO applied, current_version, updated_at;

	IF NOT FOUND THEN
		SELECT false, c.version, c.updated_at
		  INTO applied, current_version, updated_at
		  FROM public.encrypted_cycle_data AS c
		 WHERE c.id = p_id
		   AND c.user_id = v_uid;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'cycle record not found'
				USING ERRCODE = 'no_data_found';
		END IF;
	END IF;
	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- validate_share_token
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.validate_share_token(token text)
RETURNS TABLE (
	share_id uuid,
	scope text,
	expires_at timestamptz,
	ciphertext bytea,
	nonce bytea,
	key_id text,
	algorithm text,
	aad bytea,
	envelope_version smallint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
	v_now timestamptz := pg_catalog.now();
	v_token public.share_token%ROWTYPE;
	v_share public.healthcare_share%ROWTYPE;
	v_reason text;
BEGIN
	-- A provider presents the token from the QR code or link.  Only sha256(token)
	-- is stored, so the lookup is by hash.  The share row is locked before the
	-- limits are read, so concurrent validations queue and the use count can never
	-- pass max_uses.  Every attempt is audited with its real reason, but the caller
	-- learns only "valid" (one row) or "not valid" (no row): no oracle.
	IF token IS NOT NULL AND pg_catalog.octet_length(token) BETWEEN 16 AND 512 THEN
		SELECT t.* INTO v_token
		  FROM public.share_token AS t
		 WHERE t.token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'));
	END IF;

	IF v_token.id IS NULL THEN
		v_reason := 'unknown_token';
	ELSE
		SELECT s.* INTO v_share
		  FROM public.healthcare_share AS s
		 WHERE s.id = v_token.share_id
		   AND s.user_id = v_token.user_id
		   FOR UPDATE;
		IF v_token.revoked_at IS NOT NULL OR v_share.revoked_at IS NOT NULL THEN
			v_reason := 'revoked';
		ELSIF v_token.expires_at <= v_now OR v_share.expires_at <= v_now THEN
			v_reason := 'expired';
		ELSIF v_share.use_count >= v_share.max_uses THEN
			v_reason := 'exhausted';
		ELSE
			UPDATE public.healthcare_share AS s
			   SET use_count = s.use_count + 1
			 WHERE s.id = v_share.id;
			UPDATE public.share_token AS t
			   SET last_used_at = v_now
			 WHERE t.id = v_token.id;
			v_reason := 'ok';
		END IF;
	END IF;

	INSERT INTO public.healthcare_share_audit (share_id, user_id, event, reason, ip_hash)
	VALUES (v_token.share_id,
			v_token.user_id,
			CASE WHEN v_reason = 'ok' THEN 'token_validated' ELSE 'token_rejected' END,
			v_reason,
			aura_private.request_ip_hash());

	IF v_reason = 'ok' THEN
		share_id := v_share.id;
		scope := v_share.scope;
		expires_at := LEAST(v_share.expires_at, v_token.expires_at);
		ciphertext := v_share.ciphertext;
		nonce := v_share.nonce;
		key_id := v_share.key_id;
		algorithm := v_share.algorithm;
		aad := v_share.aad;
		envelope_version := v_share.envelope_version;
		RETURN NEXT;
	END IF;
	RETURN;
END;
$$;

-- ---------------------------------------------------------------------------
-- healthcare_access_audit
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.healthcare_access_audit(
	p_share_id uuid,
	p_event text,
	p_ip text DEFAULT NULL,
	p_device_id text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
	v_id uuid;
BEGIN
	-- The share owner's app records what happened to a share.  The IP address
	-- (given, or else the one PostgREST saw) and the device id are stored only as
	-- salted hashes; nothing else about the request is kept.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_share_id IS NULL OR p_event IS NULL THEN
		RAISE EXCEPTION 'p_share_id and p_event must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_event NOT IN ('data_accessed', 'data_exported', 'share_created', 'share_revoked') THEN
		RAISE EXCEPTION 'event "%" is not an access audit event', p_event
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use data_accessed, data_exported, share_created or share_revoked.';
	END IF;
	PERFORM 1
	   FROM public.healthcare_share AS s
	  WHERE s.id = p_share_id
		AND s.user_id = v_uid;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'share not found'
			USING ERRCODE = 'no_data_found';
	END IF;

	INSERT INTO public.healthcare_share_audit (share_id, user_id, event, reason, ip_hash, device_hash)
	VALUES (p_share_id,
			v_uid,
			p_event,
			'ok',
			CASE WHEN p_ip IS NULL THEN aura_private.request_ip_hash()
				 ELSE aura_private.salted_hash(aura_private.normalize_ip(p_ip)) END,
			aura_private.salted_hash(p_device_id))
	RETURNING id INTO v_id;
	RETURN v_id;
END;
$$;

-- ---------------------------------------------------------------------------
-- rotate_device_key
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.rotate_device_key(
	p_device_id_hash bytea,
	p_public_key bytea,
	p_key_algorithm text)
RETURNS TABLE (new_key_id uuid, retired_key_id uuid)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
BEGIN
	-- Retires the caller's active key for one device, activates the new public key
	-- and writes a security_audit_log event, all in the caller's transaction.
	-- Rotations of one user are serialised on the user's row (FOR NO KEY UPDATE,
	-- which does not block inserts elsewhere): the second of two concurrent
	-- rotations waits, then retires the key the first one activated.  The partial
	-- unique index device_key_one_active_per_device is the final guarantee.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_device_id_hash IS NULL OR p_public_key IS NULL OR p_key_algorithm IS NULL THEN
		RAISE EXCEPTION 'p_device_id_hash, p_public_key and p_key_algorithm must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;

	PERFORM 1
	   FROM public.users AS u
	  WHERE u.id = v_uid
		FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'user not found'
			USING ERRCODE = 'no_data_found',
				  HINT = 'Insert the caller''s row into public.users first.';
	END IF;

	UPDATE public.device_key AS k
	   SET is_active = false,
		   retired_at = pg_catalog.now()
	 WHERE k.user_id = v_uid
	   AND k.device_id_hash = p_device_id_hash
	   AND k.is_active
	RETURNING k.id INTO retired_key_id;

	INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm)
	VALUES (v_uid, p_device_id_hash, p_public_key, p_key_algorithm)
	RETURNING id INTO new_key_id;

	INSERT INTO public.security_audit_log (user_id, event_type, outcome, device_key_id, device_hash)
	VALUES (v_uid,
			CASE WHEN retired_key_id IS NULL THEN 'device_key_registered'
				 ELSE 'device_key_rotated' END,
			'success',
			new_key_id,
			p_device_id_hash);

	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- cleanup_expired_shares
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.cleanup_expired_shares(p_grace interval DEFAULT interval '7 days')
RETURNS TABLE (tokens_deleted bigint, shares_deleted bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_cutoff timestamptz;
BEGIN
	-- Deletes tokens and shares that expired, were revoked or (shares) were used
	-- up more than p_grace ago.  Returns only counts: service_role can run it from
	-- a scheduled job without holding any privilege on user data.  Audit rows stay;
	-- their share_id becomes NULL.
	IF p_grace IS NULL OR p_grace < interval '0' THEN
		RAISE EXCEPTION 'p_grace must be a non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_cutoff := pg_catalog.now() - p_grace;

	DELETE FROM public.share_token AS t
	 WHERE t.expires_at < v_cutoff
		OR t.revoked_at < v_cutoff;
	GET DIAGNOSTICS tokens_deleted = ROW_COUNT;

	DELETE FROM public.healthcare_share AS s
	 WHERE s.expires_at < v_cutoff
		OR s.revoked_at < v_cutoff
		OR (s.use_count >= s.max_uses AND s.updated_at < v_cutoff);
	GET DIAGNOSTICS shares_deleted = ROW_COUNT;

	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- Privileges and comments
-- ---------------------------------------------------------------------------
REVOKE ALL ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.validate_share_token(text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.healthcare_access_audit(uuid, text, text, text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.rotate_device_key(bytea, bytea, text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.cleanup_expired_shares(interval)
	FROM PUBLIC, anon, authenticated, service_role;

GRANT EXECUTE ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean)
	TO authenticated;
GRANT EXECUTE ON FUNCTION public.validate_share_token(text) TO anon, authenticated;
GRANT EXECUTE ON FUNCTION public.healthcare_access_audit(uuid, text, text, text) TO authenticated;
GRANT EXECUTE ON FUNCTION public.rotate_device_key(bytea, bytea, text) TO authenticated;
GRANT EXECUTE ON FUNCTION public.cleanup_expired_shares(interval) TO service_role;

COMMENT ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean) IS
	'Compare-and-set of a cycle record''s CryptoEnvelope: applied=false with current_version on a version mismatch; P0002 when not the caller''s record';
COMMENT ON FUNCTION public.validate_share_token(text) IS
	'For providers (anon): one row (share id, scope, expiry, encrypted payload) for a valid token and counts the use; no row for any invalid token';
COMMENT ON FUNCTION public.healthcare_access_audit(uuid, text, text, text) IS
	'Share owner''s audit event; IP and device id stored only as salted hashes';
COMMENT ON FUNCTION public.rotate_device_key(bytea, bytea, text) IS
	'Atomically retires the active key of a device, activates a new public key and audits it';
COMMENT ON FUNCTION public.cleanup_expired_shares(interval) IS
	'For service_role jobs: deletes expired, revoked and used-up tokens and shares, returns only counts';
$aura_file$,
NULL) AS result;
SELECT '20250909004_performance_indexes.sql' AS file, aura_migrate._register_bundled('20250909004_performance_indexes.sql',
$aura_file$-- Migration: 20250909004_performance_indexes.sql
-- Description: Indexes for RLS predicates, the sync query, live tokens, token-hash lookup, expiry cleanup and every foreign key
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema public
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Every RLS policy filters on user_id = (select auth.uid()), so every table gets an
-- index whose leading column is user_id; that index also serves the foreign key to
-- public.users (deleting a user cascades through them).  Composite foreign keys
-- (share_id, user_id) and (device_key_id, user_id) get an index leading with the
-- referencing columns.  Plain CREATE INDEX, since migrations run inside a
-- transaction; on a large existing table build an index by hand first, outside a
-- transaction block and under the same name, and IF NOT EXISTS here then skips it.

-- users: the RLS predicate is on the generated owner column.
CREATE UNIQUE INDEX IF NOT EXISTS users_user_id_idx
	ON public.users (user_id);

-- encrypted_user_prefs: UNIQUE (user_id) from 20250909001 serves RLS and the FK;
-- this one serves "prefs changed since" for sync.
CREATE INDEX IF NOT EXISTS encrypted_user_prefs_user_id_updated_at_idx
	ON public.encrypted_user_prefs (user_id, updated_at);

-- encrypted_cycle_data: the sync query
--   SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data
--    WHERE updated_at > $since      -- RLS adds user_id = (select auth.uid())
-- is answered from this index alone (index-only scan); fetching the envelopes of
-- the changed rows uses the same index.  Ciphertext is not INCLUDEd (too large).
CREATE INDEX IF NOT EXISTS encrypted_cycle_data_sync_idx
	ON public.encrypted_cycle_data (user_id, updated_at)
	INCLUDE (id, version, is_deleted);

-- Purging old tombstones.
CREATE INDEX IF NOT EXISTS encrypted_cycle_data_tombstone_idx
	ON public.encrypted_cycle_data (deleted_at)
	WHERE is_deleted;

-- healthcare_share: owner listing (RLS, FK), live shares, expiry cleanup.
CREATE INDEX IF NOT EXISTS healthcare_share_user_id_created_at_idx
	ON public.healthcare_share (user_id, created_at);
CREATE INDEX IF NOT EXISTS healthcare_share_live_idx
	ON public.healthcare_share (user_id, expires_at)
	WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS healthcare_share_expires_at_idx
	ON public.healthcare_share (expires_at);
CREATE INDEX IF NOT EXISTS healthcare_share_revoked_at_idx
	ON public.healthcare_share (revoked_at)
	WHERE revoked_at IS NOT NULL;

-- share_token: exact-match lookup of sha256(token) in validate_share_token().
-- (UNIQUE (token_hash) of 20250909001 keeps integrity; the hash index is the
-- smaller, faster structure for the equality probe.)
CREATE INDEX IF NOT EXISTS share_token_token_hash_hash_idx
	ON public.share_token USING hash (token_hash);
CREATE INDEX IF NOT EXISTS share_token_user_id_created_at_idx
	ON public.share_token (user_id, created_at);
CREATE INDEX IF NOT EXISTS share_token_share_id_user_id_idx
	ON public.share_token (share_id, user_id);
-- Live (not revoked) tokens of a share, by expiry.
CREATE INDEX IF NOT EXISTS share_token_live_idx
	ON public.share_token (share_id, expires_at)
	WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS share_token_expires_at_idx
	ON public.share_token (expires_at);
CREATE INDEX IF NOT EXISTS share_token_revoked_at_idx
	ON public.share_token (revoked_at)
	WHERE revoked_at IS NOT NULL;

-- device_key: the partial unique index of 20250909001 covers only active keys, so
-- the FK and RLS need a full one.
CREATE INDEX IF NOT EXISTS device_key_user_id_created_at_idx
	ON public.device_key (user_id, created_at);

-- security_audit_log
CREATE INDEX IF NOT EXISTS security_audit_log_user_id_created_at_idx
	ON public.security_audit_log (user_id, created_at);
CREATE INDEX IF NOT EXISTS security_audit_log_device_key_id_user_id_idx
	ON public.security_audit_log (device_key_id, user_id);

-- healthcare_share_audit
CREATE INDEX IF NOT EXISTS healthcare_share_audit_user_id_created_at_idx
	ON public.healthcare_share_audit (user_id, created_at);
CREATE INDEX IF NOT EXISTS healthcare_share_audit_share_id_user_id_idx
	ON public.healthcare_share_audit (share_id, user_id);
$aura_file$,
NULL) AS result;
/*
 * db/probes/aura_fixtures.sql
 *		Probe fixtures for the Aura tables, appended verbatim to the install
 *		script so that check_rls() can probe every Aura table.
 *
 * Each fixture is one INSERT taking $1 = a synthetic user's id (uuid) and
 * producing a row that satisfies the table's CHECK constraints (CryptoEnvelope
 * sizes, allowed algorithms and event names, 32-byte hashes, expiry windows).
 * Before any fixture runs, the probe itself creates the user's auth.users row
 * and the public.users row (the table every owner column references), so the
 * fixtures never create those.  share_token needs a healthcare_share row of
 * the same owner (composite foreign key): its fixture creates one in a CTE.
 * Fixtures run as the table's owner inside a subtransaction that is always
 * rolled back.  Everything is schema-qualified: the probes run under the
 * caller's search_path.
 */

INSERT INTO aura_migrate.probe_fixture (table_name, insert_sql, note, source) VALUES
('public.users',
 $fx$INSERT INTO public.users (id) VALUES ($1)$fx$,
 'user_id is generated from id; a synthesised row works too', 'bundled'),

('public.encrypted_user_prefs',
 $fx$INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm)
VALUES ($1, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'CryptoEnvelope: 24-byte nonce for xchacha20poly1305-ietf, allowed algorithm', 'bundled'),

('public.encrypted_cycle_data',
 $fx$INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm)
VALUES ($1, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'CryptoEnvelope: 24-byte nonce for xchacha20poly1305-ietf, allowed algorithm', 'bundled'),

('public.healthcare_share',
 $fx$INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
VALUES ($1, 'cycle_summary', pg_catalog.now() + interval '1 day',
        pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'allowed scope, expiry within 90 days, CryptoEnvelope', 'bundled'),

('public.share_token',
 $fx$WITH share AS (
    INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
    VALUES ($1, 'cycle_summary', pg_catalog.now() + interval '1 day',
            pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
            pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
            'probe-key', 'xchacha20poly1305-ietf')
    RETURNING id, user_id)
INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
SELECT share.id, share.user_id,
       pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text, 'UTF8')),
       pg_catalog.now() + interval '1 day'
  FROM share$fx$,
 'composite foreign key to a healthcare_share of the same owner (created in the CTE); 32-byte token hash', 'bundled'),

('public.device_key',
 $fx$INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm)
VALUES ($1, pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text, 'UTF8')),
        pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'), 'x25519')$fx$,
 'allowed key algorithm with a 32-byte public key, 32-byte device hash', 'bundled'),

('public.security_audit_log',
 $fx$INSERT INTO public.security_audit_log (user_id, event_type)
VALUES ($1, 'sign_in')$fx$,
 'allowed event type', 'bundled'),

('public.healthcare_share_audit',
 $fx$INSERT INTO public.healthcare_share_audit (user_id, event)
VALUES ($1, 'data_accessed')$fx$,
 'allowed event', 'bundled');
