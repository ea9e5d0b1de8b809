/*
 * aura_migrate--0.1--0.2.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.2'.
 *
 * 0.2 is the trust release: history records who registered a migration and
 * whom it ran as; the log keeps the checksum of the content each event is
 * about and knows dry runs and environment changes; apply() gains dry_run;
 * set_environment() makes the environment the database's; status() and
 * report() elide quoted literals outside development and match failures to
 * the content that failed.  The Aura migrations and probe fixtures moved to
 * extension aura_schema: rows 0.1 registered stay (they are this database's
 * registry and may be applied); the bundled probe fixtures go, and come back
 * with CREATE EXTENSION aura_schema.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.2'" to load this file. \quit

ALTER TABLE aura_migrate.history
	ADD COLUMN registered_by name,
	ADD COLUMN executed_as name;

ALTER TABLE aura_migrate.log
	DROP CONSTRAINT log_event_check,
	ADD CONSTRAINT log_event_check
		CHECK (event IN ('applied', 'failed', 'rolled_back',
						 'check_failed', 'skipped', 'retried',
						 'dry_run', 'environment_set')),
	ADD COLUMN checksum text;

DELETE FROM aura_migrate.probe_fixture WHERE source = 'bundled';

-- zero-knowledge roles: the application's rule, no longer the engine's
-- default (aura_schema adds service_role)
CREATE TABLE aura_migrate.zero_knowledge_role (
	role_name		name PRIMARY KEY,
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	note			text
);
COMMENT ON TABLE aura_migrate.zero_knowledge_role IS
'Roles that must hold no privilege on per-user tables, for check_rls() and lint(), besides those aura_migrate.zero_knowledge_roles names.  An application brings its own (extension aura_schema adds service_role).';
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.zero_knowledge_role',
										   'WHERE source = ''user''');
REVOKE ALL ON aura_migrate.zero_knowledge_role FROM PUBLIC;

DROP FUNCTION aura_migrate.apply(text);
CREATE FUNCTION aura_migrate.apply(target text DEFAULT NULL,
									dry_run boolean DEFAULT false)
RETURNS TABLE (version text, name text, status text,
			   duration_ms double precision, statements integer)
AS 'MODULE_PATHNAME', 'aura_migrate_apply'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.apply(text, boolean) IS
'Applies every pending migration up to and including target, in the caller''s transaction, each in its own subtransaction.  With dry_run => true they run and are all rolled back; only the dry_run events stay.';

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

CREATE FUNCTION aura_migrate._redact(message text, sqlstate text)
RETURNS text
AS 'MODULE_PATHNAME', 'aura_migrate_redact'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate._redact(text, text) IS
'Internal: the message with every quoted literal elided, as stored outside development.';

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
	ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION aura_migrate.report(run_id bigint DEFAULT NULL,
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
				  aura_migrate._environment()) || E'
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

REVOKE ALL ON FUNCTION aura_migrate.apply(text, boolean) FROM PUBLIC;
