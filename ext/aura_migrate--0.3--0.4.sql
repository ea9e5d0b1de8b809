/*
 * aura_migrate--0.3--0.4.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.4'.
 *
 * 0.4 is the findings release: check_rls() without schemas checks the
 * schemas aura_migrate.checked_schemas names (by default every schema the
 * API roles can use, not public alone), and table encrypted_table says which
 * tables hold only ciphertext, so that a plaintext column in one is an error
 * (plaintext_in_encrypted_table); report() fixed (the registry events after
 * the last run, no empty "(SQLSTATE )", no object a baseline took over);
 * lint() without schemas lints for the checked schemas.
 *
 * No signature changes, so every privilege granted stays.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.4'" to load this file. \quit

CREATE TABLE aura_migrate.encrypted_table (
	table_pattern	text PRIMARY KEY,
	allowed_columns	name[] NOT NULL DEFAULT '{}',
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	note			text
);
COMMENT ON TABLE aura_migrate.encrypted_table IS
'Tables that hold only ciphertext and its metadata, for check_rls() and lint(): every table whose schema.table matches table_pattern (LIKE) may have columns of types bytea, uuid, timestamp and timestamptz, integer columns named version or *_version, and the columns allowed_columns names; any other column is plaintext_in_encrypted_table.  An application brings its own (extension aura_schema adds public.encrypted_%).';
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.encrypted_table',
										   'WHERE source = ''user''');
REVOKE ALL ON TABLE aura_migrate.encrypted_table FROM PUBLIC;

-- without schemas: those of aura_migrate.checked_schemas
CREATE OR REPLACE FUNCTION aura_migrate.check_rls(
	schemas name[] DEFAULT NULL,
	probes boolean DEFAULT NULL,
	allow_definer text[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_check_rls'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) IS
'Row level security findings for the tables, views and SECURITY DEFINER functions of the given schemas (NULL, the default: those aura_migrate.checked_schemas names, by default every schema the API roles can use), and (probes true, or NULL outside production) behavioural probes that act as authenticated, anon and the zero-knowledge roles inside rolled-back subtransactions.  allow_definer lists SECURITY DEFINER functions anon may execute.  Nothing returned means clean; see docs/findings.md.';

-- report(): the registry events logged since the last run began are part
-- of the default report; no empty "(SQLSTATE )"; DDL outside migrations that
-- a later migration or a baseline took over is not listed
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

-- lint(): without schemas, the checked schemas (as at registration); it
-- reads the catalogs and settings through SPI, so it is not parallel safe
CREATE OR REPLACE FUNCTION aura_migrate.lint(sql text, schemas name[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_lint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.lint(text, name[]) IS
'Parses a migration without executing it and returns its syntax errors (with line and column) and migration-safety findings; schemas (NULL: aura_migrate.checked_schemas, as at registration) are those whose new tables need row level security; see docs/findings.md.';
