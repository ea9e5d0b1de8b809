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
		('aura_migrate.migrate(text)'::regprocedure, 'aura_migrate.migrate(text,boolean)', 'PROCEDURE'),
		('aura_migrate.findings(text)'::regprocedure, 'aura_migrate.findings(text)', 'FUNCTION')) AS g(old, new, kind)
	  JOIN pg_catalog.pg_proc p ON p.oid = g.old
	  CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
	  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
	 WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner), ''), true);
DROP FUNCTION aura_migrate.register(text,text,text,text,text[],text[],boolean);
DROP FUNCTION aura_migrate.register_file(text,text,text,boolean);
DROP FUNCTION aura_migrate.apply(text,boolean);
DROP PROCEDURE aura_migrate.migrate(text);
DROP FUNCTION aura_migrate.findings(text);

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

CREATE FUNCTION aura_migrate.baseline(version text, force boolean DEFAULT false)
RETURNS TABLE (version text, name text, status text)
AS 'MODULE_PATHNAME', 'aura_migrate_baseline'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.baseline(text, boolean) IS
'Adopting an existing database: records every pending migration up to and including version as applied without running it (event baselined), after checking that what their SQL creates exists (refused, listing what is missing, unless force => true).  Refused when a later migration is applied.';

CREATE FUNCTION aura_migrate._checked_schemas()
RETURNS name[]
AS 'MODULE_PATHNAME', 'aura_migrate_checked_schemas'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate._checked_schemas() IS
'Internal: aura_migrate.checked_schemas as the engine parses it.';

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
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.acknowledgement', '');
REVOKE ALL ON aura_migrate.acknowledgement FROM PUBLIC;

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

CREATE OR REPLACE FUNCTION aura_migrate.verify()
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
								 || coalesce(format(' (SQLSTATE %s)', r.sqlstate), ''));
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

REVOKE ALL ON FUNCTION aura_migrate._findings(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.register(text, text, text, text, text[], text[], boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.register_file(text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.unregister(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.repair(text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.apply(text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON PROCEDURE aura_migrate.migrate(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.findings(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.acknowledge(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_migrate.baseline(text, boolean) FROM PUBLIC;

DO $$
BEGIN
	IF pg_catalog.current_setting('am_upgrade.grants') <> '' THEN
		EXECUTE pg_catalog.current_setting('am_upgrade.grants');
	END IF;
END
$$;

-- a probe fixture records who registered it (not the extension's owner)
CREATE OR REPLACE FUNCTION aura_migrate.register_probe_fixture(
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
