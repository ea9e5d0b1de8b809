/*
 * aura_migrate--0.2--0.3.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.3'.
 *
 * 0.3 is the adoption release: versions of the Supabase CLI's scheme
 * (YYYYMMDDHHMMSS) beside the engine's, ordered by version_key(); a
 * BEGIN ... COMMIT wrapper accepted; baseline(), repair(), unregister() and
 * acknowledge(); apply() and migrate() gain out_of_order, register() and
 * register_file() gain rename; down SQL may change on an applied migration;
 * runs refused in their pre-checks are logged; verify() reads
 * checked_schemas as the engine parses it.
 *
 * Functions whose signature changes are dropped and created again; the
 * EXECUTE privileges granted on the old ones are granted on the new ones.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.3'" to load this file. \quit


-- versions of both schemes, in one order
CREATE FUNCTION aura_migrate.version_key(version text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE length(version)
		   WHEN 11 THEN substr(version, 1, 8) || '0000' || substr(version, 9)
		   ELSE substr(version, 1, 8) || '1' || substr(version, 9)
	   END;
COMMENT ON FUNCTION aura_migrate.version_key(text) IS
'The key that orders versions of both schemes by time: an 11-digit version YYYYMMDDNNN counts as the start of its day, before every 14-digit YYYYMMDDHHMMSS of that day.';

ALTER TABLE aura_migrate.migration
	DROP CONSTRAINT migration_version_check,
	DROP CONSTRAINT migration_name_check,
	ADD CONSTRAINT migration_version_check
		CHECK (version ~ '^[0-9]{11}([0-9]{3})?$'),
	ADD CONSTRAINT migration_name_check
		CHECK (CASE WHEN length(version) = 14 THEN name ~ '^[A-Za-z0-9_.-]+$'
					ELSE name ~ '^[a-z][a-z0-9_]*$' END
			   AND length(name) <= 63);

ALTER TABLE aura_migrate.log
	DROP CONSTRAINT log_event_check,
	ADD CONSTRAINT log_event_check
		CHECK (event IN ('applied', 'failed', 'rolled_back',
						 'check_failed', 'skipped', 'retried',
						 'dry_run', 'environment_set',
						 'baselined', 'repaired', 'unregistered',
						 'down_changed', 'refused'));

-- the functions whose signature changes, with their grants
SELECT pg_catalog.set_config('am_upgrade.grants', coalesce((
	SELECT pg_catalog.string_agg(pg_catalog.format('GRANT EXECUTE ON %s %s TO %s%s', g.kind, g.new,
			CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END,
			CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END), '; ')
	  FROM (VALUES
		('aura_migrate.register(text,text,text,text,text[],text[],boolean)'::regprocedure, 'aura_migrate.register(text,text,text,text,text[],text[],boolean,boolean)', 'FUNCTION'),
		('aura_migrate.register_file(text,text,text,boolean)'::regprocedure, 'aura_migrate.register_file(text,text,text,boolean,boolean)', 'FUNCTION'),
		('aura_migrate.apply(text,boolean)'::regprocedure, 'aura_migrate.apply(text,boolean,boolean)', 'FUNCTION'),
		('aura_migrate.migrate(text)'::regprocedure, 'aura_migrate.migrate(text,boolean)', 'PROCEDURE')) AS g(old, new, kind)
	  JOIN pg_catalog.pg_proc p ON p.oid = g.old
	  CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
	  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
	 WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner), ''), true);
DROP FUNCTION aura_migrate.register(text,text,text,text,text[],text[],boolean);
DROP FUNCTION aura_migrate.register_file(text,text,text,boolean);
DROP FUNCTION aura_migrate.apply(text,boolean);
DROP PROCEDURE aura_migrate.migrate(text);

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

CREATE FUNCTION aura_migrate.apply(target text DEFAULT NULL,
									dry_run boolean DEFAULT false,
									out_of_order boolean DEFAULT false)
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.apply(text, boolean, boolean) IS
'Applies every pending migration up to and including target, in the caller''s transaction, each in its own subtransaction.  With dry_run => true they run and are all rolled back; only the dry_run events stay.  A pending migration older than the newest applied one is refused outside development unless out_of_order => true.';

CREATE PROCEDURE aura_migrate.migrate(target text DEFAULT NULL,
									   out_of_order boolean DEFAULT false)
AS 'MODULE_PATHNAME', 'aura_migrate_migrate'
LANGUAGE C;
COMMENT ON PROCEDURE aura_migrate.migrate(text, boolean) IS
'Applies every pending migration up to and including target, committing after each one.  Must be called with CALL outside a transaction block.  out_of_order as for apply().';

-- functions whose definition changed
CREATE OR REPLACE FUNCTION aura_migrate.status()
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
			 WHERE f.severity IN ('error', 'warning') AND NOT f.allowed)
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

CREATE OR REPLACE FUNCTION aura_migrate.findings(version text DEFAULT NULL)
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
	 ORDER BY aura_migrate.version_key(m.version), f.line, f.col
$$;
COMMENT ON FUNCTION aura_migrate.findings(text) IS
'The lint findings register() stored for a migration (all migrations when NULL).';

REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.register_file(text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.unregister(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.repair(text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.apply(text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON PROCEDURE aura_migrate.migrate(text, boolean) FROM PUBLIC;

DO $$
BEGIN
	IF pg_catalog.current_setting('am_upgrade.grants') <> '' THEN
		EXECUTE pg_catalog.current_setting('am_upgrade.grants');
	END IF;
END
$$;
