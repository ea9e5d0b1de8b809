--
-- check_rls, structural: every code fires on the smallest schema that has it
-- and stays silent on its fixed form (probes off throughout)
--
-- (anon, authenticated, service_role and auth come from setup.sql)

CREATE SCHEMA rls;
CREATE FUNCTION pg_temp.check() RETURNS TABLE (severity text, code text, object text)
LANGUAGE sql AS $$
	SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false)
$$;

-- rls_disabled
CREATE TABLE rls.country (code text PRIMARY KEY);
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{rls}', false);
ALTER TABLE rls.country ENABLE ROW LEVEL SECURITY;
CREATE POLICY country_read ON rls.country FOR SELECT TO authenticated USING (code <> '');
SELECT * FROM pg_temp.check();

-- policies_without_rls
ALTER TABLE rls.country DISABLE ROW LEVEL SECURITY;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
ALTER TABLE rls.country ENABLE ROW LEVEL SECURITY;
SELECT * FROM pg_temp.check();

-- rls_no_policy (info: only the owner reaches the rows)
DROP POLICY country_read ON rls.country;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
CREATE POLICY country_read ON rls.country FOR SELECT TO authenticated USING (code <> '');
SELECT * FROM pg_temp.check();

-- policy_always_true: an error for writes, a warning for reading reference data
CREATE POLICY country_insert ON rls.country FOR INSERT TO authenticated WITH CHECK (true);
CREATE POLICY country_anyone ON rls.country FOR SELECT TO anon USING (true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
DROP POLICY country_insert ON rls.country;
DROP POLICY country_anyone ON rls.country;
SELECT * FROM pg_temp.check();

-- insert_without_check
CREATE POLICY country_insert ON rls.country FOR INSERT TO authenticated;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
DROP POLICY country_insert ON rls.country;
CREATE POLICY country_insert ON rls.country FOR INSERT TO authenticated
	WITH CHECK (length(code) = 2);
SELECT * FROM pg_temp.check();
DROP TABLE rls.country;

-- A table with per-user rows, owned through a foreign key to auth.users,
-- done right: nothing to report.
CREATE TABLE rls.note (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id uuid NOT NULL REFERENCES auth.users (id),
	body text NOT NULL
);
CREATE INDEX ON rls.note (owner_id);
ALTER TABLE rls.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_own ON rls.note FOR ALL TO authenticated
	USING (owner_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON rls.note TO authenticated;
SELECT * FROM pg_temp.check();

-- owner_not_enforced: one finding per command; UPDATE without WITH CHECK
-- uses its USING (enforced), an UPDATE WITH CHECK that forgets the owner is not
DROP POLICY note_own ON rls.note;
CREATE POLICY note_select ON rls.note FOR SELECT TO authenticated USING (body <> '');
CREATE POLICY note_insert ON rls.note FOR INSERT TO authenticated
	WITH CHECK ((SELECT auth.uid()) = owner_id);
CREATE POLICY note_update ON rls.note FOR UPDATE TO authenticated
	USING (owner_id = (SELECT auth.uid()));
CREATE POLICY note_delete ON rls.note FOR DELETE TO authenticated
	USING (owner_id = (SELECT auth.uid()) OR body = 'shared');
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
ALTER POLICY note_update ON rls.note WITH CHECK (body <> '');
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
-- fixed: a RESTRICTIVE policy that pins the owner covers every command
CREATE POLICY note_owner_only ON rls.note AS RESTRICTIVE FOR ALL TO authenticated
	USING (owner_id = (SELECT auth.uid())) WITH CHECK (owner_id = (SELECT auth.uid()));
SELECT * FROM pg_temp.check();
DROP POLICY note_select ON rls.note;
DROP POLICY note_insert ON rls.note;
DROP POLICY note_update ON rls.note;
DROP POLICY note_delete ON rls.note;
DROP POLICY note_owner_only ON rls.note;
CREATE POLICY note_own ON rls.note FOR ALL TO authenticated
	USING (owner_id = (SELECT auth.uid()));

-- policy_for_anon: TO anon, or no TO at all (PUBLIC)
CREATE POLICY note_anon ON rls.note FOR SELECT TO anon USING (owner_id = (SELECT auth.uid()));
CREATE POLICY note_public ON rls.note FOR DELETE USING (owner_id = (SELECT auth.uid()));
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
DROP POLICY note_anon ON rls.note;
DROP POLICY note_public ON rls.note;
SELECT * FROM pg_temp.check();

-- anon_table_privilege: anon, or PUBLIC
GRANT SELECT ON rls.note TO anon;
GRANT UPDATE (body) ON rls.note TO PUBLIC;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
REVOKE ALL ON rls.note FROM anon;
REVOKE UPDATE (body) ON rls.note FROM PUBLIC;
SELECT * FROM pg_temp.check();

-- auth_call_per_row: auth.uid() and current_setting() outside a scalar subquery
ALTER POLICY note_own ON rls.note USING (owner_id = auth.uid());
CREATE POLICY note_claims ON rls.note AS RESTRICTIVE FOR SELECT TO authenticated
	USING (current_setting('request.jwt.claims', true) IS NOT NULL);
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{rls}', false);
ALTER POLICY note_own ON rls.note USING (owner_id = (SELECT auth.uid()));
ALTER POLICY note_claims ON rls.note
	USING ((SELECT current_setting('request.jwt.claims', true)) IS NOT NULL);
SELECT * FROM pg_temp.check();
DROP POLICY note_claims ON rls.note;

-- owner_column_unindexed (an index that only ends with the column does not help)
DROP INDEX rls.note_owner_id_idx;
CREATE INDEX note_body_owner_idx ON rls.note (body, owner_id);
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{rls}', false);
CREATE INDEX note_owner_idx ON rls.note (owner_id, id);
SELECT * FROM pg_temp.check();

-- multiple_permissive_policies
CREATE POLICY note_read_shared ON rls.note FOR SELECT TO authenticated
	USING (owner_id = (SELECT auth.uid()) AND body <> '');
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
ALTER POLICY note_read_shared ON rls.note RENAME TO note_read_narrow;
DROP POLICY note_read_narrow ON rls.note;
CREATE POLICY note_read_narrow ON rls.note AS RESTRICTIVE FOR SELECT TO authenticated
	USING (body <> '');
SELECT * FROM pg_temp.check();
DROP POLICY note_read_narrow ON rls.note;

-- jwt_user_metadata: -> and ->>, #>> and jsonb_extract_path_text
CREATE POLICY note_admin ON rls.note AS RESTRICTIVE FOR DELETE TO authenticated
	USING (((SELECT auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');
CREATE POLICY note_admin2 ON rls.note AS RESTRICTIVE FOR UPDATE TO authenticated
	USING ((SELECT auth.jwt()) #>> '{user_metadata,role}' = 'admin'
		OR jsonb_extract_path_text((SELECT auth.jwt()), 'user_metadata', 'role') = 'admin');
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
ALTER POLICY note_admin ON rls.note
	USING (((SELECT auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');
ALTER POLICY note_admin2 ON rls.note
	USING ((SELECT auth.jwt()) #>> '{app_metadata,role}' = 'admin');
SELECT * FROM pg_temp.check();
DROP POLICY note_admin ON rls.note;
DROP POLICY note_admin2 ON rls.note;

-- zero_knowledge_violation: directly, through membership, through PUBLIC
GRANT SELECT ON rls.note TO service_role;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
REVOKE SELECT ON rls.note FROM service_role;
CREATE ROLE regress_rls_reader NOLOGIN;
GRANT SELECT ON rls.note TO regress_rls_reader;
GRANT regress_rls_reader TO service_role;
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false);
REVOKE regress_rls_reader FROM service_role;
GRANT REFERENCES ON rls.note TO PUBLIC;
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false);
REVOKE REFERENCES ON rls.note FROM PUBLIC;
-- the roles checked come from aura_migrate.zero_knowledge_roles
GRANT SELECT ON rls.note TO regress_rls_reader;
SET aura_migrate.zero_knowledge_roles = 'service_role, regress_rls_reader, no_such_role';
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false);
RESET aura_migrate.zero_knowledge_roles;
SELECT * FROM pg_temp.check();
REVOKE ALL ON rls.note FROM regress_rls_reader;
DROP ROLE regress_rls_reader;

-- view_bypasses_rls
CREATE VIEW rls.note_view AS SELECT id, body FROM rls.note;
GRANT SELECT ON rls.note_view TO authenticated;
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{rls}', false);
ALTER VIEW rls.note_view SET (security_invoker = true);
SELECT * FROM pg_temp.check();
DROP VIEW rls.note_view;

-- definer_search_path and definer_public_execute (EXECUTE is PUBLIC by default)
CREATE FUNCTION rls.note_count() RETURNS bigint
LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM rls.note $$;
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{rls}', false);
ALTER FUNCTION rls.note_count() SET search_path = '';
-- allowed by the caller
SELECT * FROM aura_migrate.check_rls('{rls}', false, allow_definer => '{rls.note_count}');
REVOKE EXECUTE ON FUNCTION rls.note_count() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rls.note_count() TO authenticated;
SELECT * FROM pg_temp.check();

-- owner_bypasses_rls (info): a non-superuser owns both the table and a
-- SECURITY DEFINER function, and FORCE ROW LEVEL SECURITY is off
CREATE ROLE regress_rls_owner NOLOGIN;
ALTER TABLE rls.note OWNER TO regress_rls_owner;
ALTER FUNCTION rls.note_count() OWNER TO regress_rls_owner;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}', false);
ALTER TABLE rls.note FORCE ROW LEVEL SECURITY;
SELECT * FROM pg_temp.check();

-- the default schema list is {public}; other schemas are not looked at
SELECT count(*) FROM aura_migrate.check_rls('{no_such_schema}', false);
-- quoting of odd names in objects
CREATE TABLE rls."Odd Table" (user_id uuid);
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false);
-- schemas NULL: those of aura_migrate.checked_schemas, which the run's gate
-- checks (the default argument stays {public})
SET aura_migrate.checked_schemas = 'rls';
SELECT count(*) > 0 AS checked_schemas_used FROM aura_migrate.check_rls(NULL, false) WHERE object LIKE 'rls.%';
RESET aura_migrate.checked_schemas;
SELECT count(*) AS rls_findings_with_default FROM aura_migrate.check_rls(NULL, false) WHERE object LIKE 'rls.%';
SELECT count(*) AS rls_findings_with_public FROM aura_migrate.check_rls(probes => false) WHERE object LIKE 'rls.%';

-- only callers granted EXECUTE may run it
CREATE ROLE regress_rls_checker NOLOGIN;
GRANT USAGE ON SCHEMA aura_migrate TO regress_rls_checker;
SET ROLE regress_rls_checker;
SELECT count(*) FROM aura_migrate.check_rls('{rls}', false);
RESET ROLE;
GRANT EXECUTE ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) TO regress_rls_checker;
SET ROLE regress_rls_checker;
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', false);
-- the probes act as other roles: a superuser's job
SELECT severity, code, object FROM aura_migrate.check_rls('{rls}', true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{rls}');
RESET ROLE;
REVOKE ALL ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) FROM regress_rls_checker;
REVOKE ALL ON SCHEMA aura_migrate FROM regress_rls_checker;
DROP ROLE regress_rls_checker;

DROP SCHEMA rls CASCADE;
DROP OWNED BY regress_rls_owner;
DROP ROLE regress_rls_owner;
