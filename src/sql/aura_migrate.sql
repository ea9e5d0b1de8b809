/*
 * src/sql/aura_migrate.sql
 *		The engine's catalog: registry, history and log tables, and the SQL
 *		declarations of the C entry points.
 *
 * This file is the readable source of the install script: the Makefile
 * concatenates it with lint.sql and check_rls.sql into
 * aura_migrate--VERSION.sql.  The engine registers no migration of its own;
 * the Aura migrations come with extension aura_schema.
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
 * Versions: YYYYMMDDNNN (the engine's) and YYYYMMDDHHMMSS (the Supabase
 * CLI's), in one order by time
 * ------------------------------------------------------------------------ */

-- 15 digits: the date, then 0000NNN or 1HHMMSS, so that an 11-digit version
-- counts as the start of its day; digits of one length sort alike in every
-- collation.  The C code has the same rule (am_version_key).
CREATE FUNCTION aura_migrate.version_key(version text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE length(version)
		   WHEN 11 THEN substr(version, 1, 8) || '0000' || substr(version, 9)
		   ELSE substr(version, 1, 8) || '1' || substr(version, 9)
	   END;
COMMENT ON FUNCTION aura_migrate.version_key(text) IS
'The key that orders versions of both schemes by time: an 11-digit version YYYYMMDDNNN counts as the start of its day, before every 14-digit YYYYMMDDHHMMSS of that day.';

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

CREATE TABLE aura_migrate.migration (
	version			text PRIMARY KEY
					CHECK (version ~ '^[0-9]{11}([0-9]{3})?$'),
	name			text NOT NULL,
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
	registered_by	name NOT NULL DEFAULT CURRENT_USER,
	CONSTRAINT migration_name_check
		CHECK (CASE WHEN length(version) = 14 THEN name ~ '^[A-Za-z0-9_.-]+$'
					ELSE name ~ '^[a-z][a-z0-9_]*$' END
			   AND length(name) <= 63)
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
	duration_ms		double precision NOT NULL,
	registered_by	name,			-- who registered (or last replaced) it
	executed_as		name			-- the role its SQL ran as
);
COMMENT ON TABLE aura_migrate.history IS
'One row per applied migration, with the checksum that was applied.  The primary key makes a second application impossible.';

CREATE SEQUENCE aura_migrate.run_seq;
COMMENT ON SEQUENCE aura_migrate.run_seq IS
'Identifies one call of apply(), migrate() or rollback() in the log.';

-- version and checksum together: the drift check of every run (is an applied
-- migration's registered SQL still what was applied?) joins the two tables
-- on them, and these let it read the indexes alone, not every migration's SQL
CREATE INDEX migration_version_checksum_idx ON aura_migrate.migration (version) INCLUDE (checksum);
CREATE INDEX history_version_checksum_idx ON aura_migrate.history (version) INCLUDE (checksum);

CREATE TABLE aura_migrate.log (
	id				bigserial PRIMARY KEY,
	run_id			bigint,
	version			text,
	event			text NOT NULL
					CHECK (event IN ('applied', 'failed', 'rolled_back',
									 'check_failed', 'skipped', 'retried',
									 'dry_run', 'environment_set',
									 'baselined', 'repaired', 'unregistered',
									 'down_changed', 'refused')),
	logged_at		timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	duration_ms		double precision,
	sqlstate		text,
	message			text,
	detail			text,
	statement_no	integer,
	line			integer,
	statement_text	text,
	environment		text NOT NULL,
	username		name NOT NULL,
	checksum		text			-- of the migration content the event is about
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

CREATE TABLE aura_migrate.zero_knowledge_role (
	role_name		name PRIMARY KEY,
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	note			text
);
COMMENT ON TABLE aura_migrate.zero_knowledge_role IS
'Roles that must hold no privilege on per-user tables, for check_rls() and lint(), besides those aura_migrate.zero_knowledge_roles names.  An application brings its own (extension aura_schema adds service_role).';

CREATE TABLE aura_migrate.encrypted_table (
	table_pattern	text PRIMARY KEY,
	allowed_columns	name[] NOT NULL DEFAULT '{}',
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	note			text
);
COMMENT ON TABLE aura_migrate.encrypted_table IS
'Tables that hold only ciphertext and its metadata, for check_rls() and lint(): every table whose schema.table matches table_pattern (LIKE) may have columns of types bytea, uuid, timestamp and timestamptz, integer columns named version or *_version, and the columns allowed_columns names; any other column is plaintext_in_encrypted_table.  An application brings its own (extension aura_schema adds public.encrypted_%).';

CREATE TABLE aura_migrate.acknowledgement (
	code			text NOT NULL,
	object			text NOT NULL,
	acknowledged_at	timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	acknowledged_by	name NOT NULL,
	note			text,
	PRIMARY KEY (code, object)
);
COMMENT ON TABLE aura_migrate.acknowledgement IS
'verify() findings acknowledged with acknowledge(): not reported again (for changed_outside_migrations, until the object changes outside migrations after the acknowledgement).';

SELECT pg_catalog.pg_extension_config_dump('aura_migrate.migration',
										   'WHERE source = ''user''');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.history', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.zero_knowledge_role',
										   'WHERE source = ''user''');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.encrypted_table',
										   'WHERE source = ''user''');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.log', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.run_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.object_change', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.object_change_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.acknowledgement', '');

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
	replace boolean DEFAULT false,
	rename boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean) IS
'Validates and stores a migration without executing it.  Returns registered, unchanged, replaced (a pending one, replace => true; another name also needs rename => true), down_changed (only the down SQL differs: allowed for an applied one, logged), updated (only the description differs) or restored (a drifted applied one gets back the SQL that was applied).';

CREATE FUNCTION aura_migrate.register_file(
	filename text,
	sql text,
	down_sql text DEFAULT NULL,
	replace boolean DEFAULT false,
	rename boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register_file'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.register_file(text, text, text, boolean, boolean) IS
'Registers a migration file: YYYYMMDDNNN_description.sql after checking its template header, or YYYYMMDDHHMMSS_description.sql as the Supabase CLI names them (no header needed).  Returns what register() returns.';

CREATE FUNCTION aura_migrate.unregister(version text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_unregister'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.unregister(text) IS
'Forgets a pending, failed or skipped migration (its file was deleted); refused for an applied or bundled one and for one others depend on.  Logged.';

CREATE FUNCTION aura_migrate.repair(version text, force boolean DEFAULT false,
									 sql text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_repair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.repair(text, boolean, text) IS
'Accepts the registered SQL of a drifted applied migration (or sql, registered first) as the SQL that was applied, without running it; the log keeps both checksums.  Refused in production unless force => true.';

CREATE FUNCTION aura_migrate.baseline(version text, force boolean DEFAULT false)
RETURNS TABLE (version text, name text, status text)
AS 'MODULE_PATHNAME', 'aura_migrate_baseline'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.baseline(text, boolean) IS
'Adopting an existing database: records every pending migration up to and including version as applied without running it (event baselined), after checking that what their SQL creates exists (refused, listing what is missing, unless force => true).  Refused when a later migration is applied.';

CREATE FUNCTION aura_migrate._register_bundled(
	filename text,
	sql text,
	down_sql text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_register_bundled'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate._register_bundled(text, text, text) IS
'Internal: registers a migration shipped with the extension (source bundled).';

CREATE FUNCTION aura_migrate.apply(target text DEFAULT NULL,
									dry_run boolean DEFAULT false,
									out_of_order boolean DEFAULT false)
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.apply(text, boolean, boolean) IS
'Applies every pending migration up to and including target, in the caller''s transaction, each in its own subtransaction.  With dry_run => true they run and are all rolled back; only the dry_run events stay.  A pending migration older than the newest applied one is refused outside development unless out_of_order => true.';

CREATE FUNCTION aura_migrate.set_environment(environment text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_set_environment'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.set_environment(text) IS
'Sets the database''s environment (development, staging or production), as ALTER DATABASE ... SET would, and logs it.  For the database owner and superusers; a session can make the environment stricter, never weaker.';

CREATE FUNCTION aura_migrate._environment()
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_environment'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate._environment() IS
'Internal: the environment in force (loading the library first, so that a weaker value SET before it loaded is refused).';

CREATE FUNCTION aura_migrate._checked_schemas()
RETURNS name[]
AS 'MODULE_PATHNAME', 'aura_migrate_checked_schemas'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate._checked_schemas() IS
'Internal: aura_migrate.checked_schemas as the engine parses it.';

CREATE FUNCTION aura_migrate._redact(message text, sqlstate text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_redact'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate._redact(text, text) IS
'Internal: the message with every quoted literal elided, as stored outside development.';

CREATE PROCEDURE aura_migrate.migrate(target text DEFAULT NULL,
									   out_of_order boolean DEFAULT false)
AS 'MODULE_PATHNAME', 'aura_migrate_migrate'
LANGUAGE C;
COMMENT ON PROCEDURE aura_migrate.migrate(text, boolean) IS
'Applies every pending migration up to and including target, committing after each one.  Must be called with CALL outside a transaction block.  out_of_order as for apply().';

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

-- the registry's generation: advanced by every statement that changes
-- migration or history, so that a run can tell that nothing changed since
-- it last found nothing to do (run.c) without reading the registry
CREATE SEQUENCE aura_migrate.registry_generation;
COMMENT ON SEQUENCE aura_migrate.registry_generation IS
'Internal: advanced by every statement that changes aura_migrate.migration or aura_migrate.history; a run that finds it where the last run with nothing to do left it skips reading the registry.';
CREATE FUNCTION aura_migrate._registry_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'aura_migrate_registry_changed'
LANGUAGE C;
COMMENT ON FUNCTION aura_migrate._registry_changed() IS
'Internal: the trigger function that advances aura_migrate.registry_generation.';
REVOKE ALL ON FUNCTION aura_migrate._registry_changed() FROM PUBLIC;
CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aura_migrate.migration
	FOR EACH STATEMENT EXECUTE FUNCTION aura_migrate._registry_changed();
CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aura_migrate.history
	FOR EACH STATEMENT EXECUTE FUNCTION aura_migrate._registry_changed();

-- whether a lint finding of an applied migration no longer holds: what it
-- says of how a statement runs (locks, rewrites, transaction control) is
-- past once the migration ran; what it says of the schema is checked live
CREATE FUNCTION aura_migrate._lint_finding_resolved(code text, object text, message text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN $1 IN ('index_blocks_writes', 'drop_table', 'drop_column', 'alter_column_type',
					'volatile_default_rewrite', 'add_column_not_null_without_default',
					'needs_no_transaction', 'transaction_control', 'transaction_wrapper',
					'generated_column_rewrite', 'constraint_validates',
					'validate_in_same_migration', 'constraint_builds_index', 'set_not_null',
					'drop_not_null', 'rename_breaks_clients', 'domain_constraint',
					'truncate_cascade', 'detach_partition_blocks', 'table_rewrite_lock',
					'drop_database')
			THEN true
		WHEN $1 = 'foreign_key_without_index' THEN
			to_regclass($2) IS NULL
			OR EXISTS (SELECT 1 FROM pg_index i
						 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
						WHERE i.indrelid = to_regclass($2)
						  AND a.attname = (parse_ident(substring($3 FROM
								'^foreign key column (.*) has no index leading with it$')))[1])
		WHEN $1 = 'table_without_rls' THEN
			coalesce((SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = to_regclass($2)), true)
		WHEN $1 = 'table_without_primary_key' THEN
			to_regclass($2) IS NULL
			OR EXISTS (SELECT 1 FROM pg_constraint k
						WHERE k.conrelid = to_regclass($2) AND k.contype = 'p')
		ELSE false
	END
$$;
COMMENT ON FUNCTION aura_migrate._lint_finding_resolved(text, text, text) IS
'Internal: whether a lint finding of an applied migration no longer holds (see findings()).';

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
		SELECT aura_migrate._environment() AS name
	),
	last_event AS (
		SELECT DISTINCT ON (l.version, l.checksum) l.version, l.checksum, l.event,
			   l.sqlstate, l.message, l.statement_no, l.line
		  FROM aura_migrate.log l
		 WHERE l.event IN ('applied', 'failed', 'check_failed', 'rolled_back')
		 ORDER BY l.version, l.checksum, l.id DESC
	)
	SELECT s.* FROM (
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
				THEN format('%s%s (SQLSTATE %s)',
							CASE WHEN le.statement_no IS NOT NULL
								 THEN format('statement %s, line %s: ', le.statement_no, le.line)
								 ELSE '' END,
							CASE WHEN env.name = 'development' THEN le.message
								 ELSE aura_migrate._redact(le.message, le.sqlstate) END,
							le.sqlstate)
		   END,
		   (SELECT count(*)::integer FROM unnest(m.findings) f
			 WHERE f.severity IN ('error', 'warning') AND NOT f.allowed
			   AND NOT (h.version IS NOT NULL
						AND aura_migrate._lint_finding_resolved(f.code, f.object, f.message)))
	  FROM aura_migrate.migration m
	 CROSS JOIN env
	  LEFT JOIN aura_migrate.history h ON h.version = m.version
	  LEFT JOIN last_event le ON le.version = m.version AND le.checksum = m.checksum
	UNION ALL
	SELECT h.version, h.name, 'unregistered', NULL, h.applied_at, h.applied_by,
		   h.environment, h.duration_ms, h.checksum, NULL, NULL
	  FROM aura_migrate.history h
	 WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.migration m
						WHERE m.version = h.version)
	) s
	ORDER BY aura_migrate.version_key(s.version)
$$;
COMMENT ON FUNCTION aura_migrate.status() IS
'Every registered migration with its state: pending, applied, failed, drifted (registered SQL no longer matches the applied checksum), skipped (not for this environment) or unregistered (applied but no longer registered), and the number of lint errors and warnings it did not allow.';

-- (PL/pgSQL cannot name an input and an output column alike: findings()
-- keeps its argument's name and calls this)
CREATE FUNCTION aura_migrate._findings(of_version text)
RETURNS TABLE (version text, severity text, code text, object text,
			   message text, hint text, line integer, col integer,
			   allowed boolean, resolved boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF $1 IS NOT NULL AND $1 !~ '^[0-9]{11}([0-9]{3})?$' THEN
		RAISE EXCEPTION 'invalid version "%"', $1
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A version has 11 digits, YYYYMMDDNNN, or 14 digits, YYYYMMDDHHMMSS.';
	END IF;
	IF $1 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aura_migrate.migration m
									   WHERE m.version = $1) THEN
		RAISE EXCEPTION 'migration % is not registered', $1
			USING ERRCODE = 'undefined_object',
				  HINT = 'SELECT * FROM aura_migrate.status() lists the registered migrations.';
	END IF;
	RETURN QUERY
	SELECT m.version, f.severity, f.code, f.object, f.message, f.hint,
		   f.line, f.col, f.allowed,
		   h.version IS NOT NULL
		   AND aura_migrate._lint_finding_resolved(f.code, f.object, f.message)
	  FROM aura_migrate.migration m
	 CROSS JOIN LATERAL unnest(m.findings) f
	  LEFT JOIN aura_migrate.history h ON h.version = m.version
	 WHERE $1 IS NULL OR m.version = $1
	 ORDER BY aura_migrate.version_key(m.version), f.line, f.col;
END
$$;
COMMENT ON FUNCTION aura_migrate._findings(text) IS
'Internal: the body of findings().';
REVOKE ALL ON FUNCTION aura_migrate._findings(text) FROM PUBLIC;

CREATE FUNCTION aura_migrate.findings(version text DEFAULT NULL)
RETURNS TABLE (version text, severity text, code text, object text,
			   message text, hint text, line integer, col integer,
			   allowed boolean, resolved boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM aura_migrate._findings($1)
$$;
COMMENT ON FUNCTION aura_migrate.findings(text) IS
'The lint findings register() stored for a migration (all migrations when NULL), with resolved: the migration is applied and the finding no longer holds (a later migration or the live schema fixed it, or it was about how a statement runs).  An invalid or unregistered version is an error.';

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
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.acknowledgement k
						WHERE k.code = 'object_missing' AND k.object = l.object_identity
						  -- until the object changes again
						  AND NOT EXISTS (SELECT 1 FROM aura_migrate.object_change x
										   WHERE x.classid = l.classid AND x.objid = l.objid
											 AND x.changed_at > k.acknowledged_at))
	   AND NOT (l.was_dropped AND l.dropped_by IS NOT NULL
				AND EXISTS (SELECT 1 FROM aura_migrate.history h WHERE h.version = l.dropped_by))
	UNION ALL
	SELECT 'error', 'index_invalid', l.object_identity,
		   format('index %s, created by migration %s, is invalid', l.object_identity, l.by_version),
		   'Drop it and create it again.', NULL, NULL, false
	  FROM live l JOIN pg_index i ON i.indexrelid = l.objid
	 WHERE l.present AND l.classid = 'pg_class'::regclass AND NOT i.indisvalid
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.acknowledgement k
						WHERE k.code = 'index_invalid' AND k.object = l.object_identity
						  -- until the object changes again
						  AND NOT EXISTS (SELECT 1 FROM aura_migrate.object_change x
										   WHERE x.classid = l.classid AND x.objid = l.objid
											 AND x.changed_at > k.acknowledged_at))
	UNION ALL
	SELECT 'error', 'table_without_rls', l.object_identity,
		   format('table %s, created by migration %s, has no row level security',
				  l.object_identity, l.by_version),
		   format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY.', l.object_identity),
		   NULL, NULL, false
	  FROM live l JOIN pg_class r ON r.oid = l.objid
	 WHERE l.present AND l.classid = 'pg_class'::regclass AND r.relkind IN ('r', 'p')
	   AND NOT r.relrowsecurity
	   AND r.relnamespace IN (SELECT n.oid FROM pg_namespace n
								WHERE n.nspname = ANY (aura_migrate._checked_schemas()))
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.migration m, unnest(m.findings) f
						WHERE m.version = l.by_version AND f.code = 'table_without_rls'
						  AND f.allowed AND f.object = l.object_identity)
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.acknowledgement k
						WHERE k.code = 'table_without_rls' AND k.object = l.object_identity
						  -- until the object changes again
						  AND NOT EXISTS (SELECT 1 FROM aura_migrate.object_change x
										   WHERE x.classid = l.classid AND x.objid = l.objid
											 AND x.changed_at > k.acknowledged_at))
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
	 -- not once a later migration changed (or dropped and recreated) it
	 WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.object_change d
						WHERE d.id > c.id AND d.version IS NOT NULL
						  AND ((d.classid = c.classid AND d.objid = c.objid)
							   OR d.object_identity = c.object_identity))
	   -- nor once acknowledged, until it changes outside migrations again
	   AND NOT EXISTS (SELECT 1 FROM aura_migrate.acknowledgement k
						WHERE k.code = 'changed_outside_migrations'
						  AND k.object = c.object_identity
						  AND k.acknowledged_at >= c.changed_at)
$$;
COMMENT ON FUNCTION aura_migrate.verify() IS
'Re-checks every applied migration against the live schema: checksums (drifted), what each created still exists (object_missing) and is valid (index_invalid), new tables keep row level security, and DDL made outside migrations (not once a later migration changed the object).  Findings acknowledged with acknowledge() are left out.';

CREATE FUNCTION aura_migrate.acknowledge(code text, object text, note text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	IF $1 IS NULL OR $2 IS NULL THEN
		RAISE EXCEPTION 'code and object must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF $1 NOT IN ('changed_outside_migrations', 'object_missing', 'index_invalid',
				  'table_without_rls') THEN
		RAISE EXCEPTION 'verify() finding % cannot be acknowledged', $1
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = CASE WHEN $1 = 'drifted'
							  THEN 'Restore the migration''s SQL, or accept it with aura_migrate.repair().'
							  ELSE 'Acknowledge changed_outside_migrations, object_missing, index_invalid or table_without_rls.' END;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM aura_migrate.verify() f
					WHERE f.code = $1 AND f.object = $2) THEN
		RAISE EXCEPTION 'verify() reports no % finding for %', $1, $2
			USING ERRCODE = 'undefined_object',
				  HINT = 'SELECT * FROM aura_migrate.verify() lists the findings with their objects.';
	END IF;
	INSERT INTO aura_migrate.acknowledgement AS a (code, object, acknowledged_by, note)
	VALUES ($1, $2, session_user, $3)
	ON CONFLICT ON CONSTRAINT acknowledgement_pkey DO UPDATE
	   SET acknowledged_at = pg_catalog.clock_timestamp(),
		   acknowledged_by = excluded.acknowledged_by, note = excluded.note;
	RETURN 'acknowledged';
END
$$;
COMMENT ON FUNCTION aura_migrate.acknowledge(text, text, text) IS
'Acknowledges a current verify() finding (code and object as verify() reports them), with a note: it is not reported again until its object changes after the acknowledgement.';

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
	latest boolean := run_id IS NULL AND since IS NULL AND until IS NULL;
	from_ts timestamptz;
BEGIN
	IF latest THEN
		-- the last run, and what the registry logged without a run since it
		-- began (a baseline, a repair, an unregister after the last apply)
		SELECT array_agg(x) INTO runs
		  FROM (SELECT max(l.run_id) AS x FROM aura_migrate.log l) s WHERE x IS NOT NULL;
		SELECT coalesce(min(l.logged_at), '-infinity') INTO from_ts
		  FROM aura_migrate.log l WHERE l.run_id = ANY (runs);
	ELSIF run_id IS NOT NULL THEN
		runs := ARRAY[run_id];
	ELSE
		SELECT array_agg(DISTINCT l.run_id) INTO runs FROM aura_migrate.log l
		 WHERE (since IS NULL OR l.logged_at >= since)
		   AND (until IS NULL OR l.logged_at < until);
	END IF;

	out := format('aura_migrate report (%s, environment %s)',
				  to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
				  aura_migrate._environment()) || E'
';
	IF runs IS NULL AND NOT (latest AND EXISTS (SELECT 1 FROM aura_migrate.log l
												   WHERE l.run_id IS NULL)) THEN
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
			OR (latest AND l.run_id IS NULL AND l.logged_at >= from_ts)
			OR (l.run_id IS NULL AND (since IS NOT NULL OR until IS NOT NULL)
				AND (since IS NULL OR l.logged_at >= since)
				AND (until IS NULL OR l.logged_at < until))
		 ORDER BY l.id
	LOOP
		IF r.event IN ('refused', 'baselined', 'repaired', 'unregistered', 'down_changed',
					   'environment_set') THEN
			out := out || format(E'run %s  %s  %-12s %s%s  (%s, %s)
',
								 coalesce(r.run_id::text, '-'),
								 to_char(r.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
								 r.event, coalesce(r.version || ' ', ''), coalesce(r.name, ''),
								 r.username, r.environment);
			out := out || format(E'    %s%s
', CASE WHEN r.event = 'refused' THEN 'refused in its pre-checks, nothing applied: ' ELSE '' END,
								 CASE WHEN r.event <> 'refused' OR aura_migrate._environment() = 'development'
									  THEN r.message
									  ELSE aura_migrate._redact(r.message, r.sqlstate) END
								 || CASE WHEN r.sqlstate IS NOT NULL
										 THEN format(' (SQLSTATE %s)', r.sqlstate) ELSE '' END);
			CONTINUE;
		END IF;
		out := out || format(E'run %s  %s  %-12s %s %s  %s ms  %s statements  %s objects changed  %s lint findings  (%s, %s)
',
							 r.run_id, to_char(r.logged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
							 r.event, r.version,
							 coalesce(r.name, '?'), round(coalesce(r.duration_ms, 0)::numeric, 1),
							 coalesce(r.statements, 0), r.objects, coalesce(r.findings, 0),
							 r.username, r.environment);
		IF r.sqlstate IS NOT NULL THEN
			out := out || format(E'    statement %s, line %s: %s (SQLSTATE %s)
',
								 coalesce(r.statement_no::text, '-'), coalesce(r.line::text, '-'),
								 CASE WHEN aura_migrate._environment() = 'development' THEN r.message
									  ELSE aura_migrate._redact(r.message, r.sqlstate) END,
								 r.sqlstate);
		END IF;
	END LOOP;

	FOR f IN
		SELECT c.object_type, c.object_identity, c.action, c.changed_by, c.changed_at
		  FROM aura_migrate.object_change c
		 WHERE c.version IS NULL AND c.object_identity NOT LIKE '"\_RETURN" on %'
		   -- not once a later migration (or a baseline) took the object over
		   AND NOT EXISTS (SELECT 1 FROM aura_migrate.object_change d
							WHERE d.id > c.id AND d.version IS NOT NULL
							  AND ((d.classid = c.classid AND d.objid = c.objid)
								   OR d.object_identity = c.object_identity))
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
'A readable report of one run (the last when all arguments are NULL, with the registry events logged since it began) or a time span: each migration event with duration, statements, objects changed, lint findings, failures with statement and line, and DDL made outside migrations that no later migration or baseline took over.';

/* ------------------------------------------------------------------------
 * Privileges
 * ------------------------------------------------------------------------ */

REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.register_file(text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.unregister(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.repair(text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate._register_bundled(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.apply(text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON PROCEDURE aura_migrate.migrate(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.status() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.findings(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.rollback(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.reset() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate._record_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.verify() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.acknowledge(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.baseline(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.report(bigint, timestamptz, timestamptz) FROM PUBLIC;
