--
-- Trust: the checks of findings run nobody's code with the rights of the
-- role that runs them, and cannot be hidden from (an independent review).
--
-- 1. check_rls() analyses SECURITY DEFINER functions by parsing their
--    bodies.  Parse analysis can run code (a literal cast to a domain runs
--    the domain's CHECK): it runs as the function's owner, restricted, and
--    is rolled back.  Before, a role with CREATE became superuser the next
--    time a superuser ran check_rls() or apply().
CREATE ROLE tf_eve;
CREATE SCHEMA tf_api AUTHORIZATION tf_eve;
GRANT USAGE ON SCHEMA tf_api TO anon;
SET ROLE tf_eve;
CREATE FUNCTION tf_api.who(t text) RETURNS boolean LANGUAGE plpgsql
AS $$BEGIN RAISE NOTICE 'the domain check ran as %, superuser: %', current_user,
	(SELECT rolsuper FROM pg_roles WHERE rolname = current_user); RETURN true; END$$;
CREATE DOMAIN tf_api.d AS text CHECK (tf_api.who(VALUE));
CREATE FUNCTION tf_api.f() RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$ SELECT '{a}'::tf_api.d[] IS NOT NULL $$;
RESET ROLE;
SELECT count(*) >= 0 AS checked FROM aura_migrate.check_rls('{tf_api}', false);

-- 2. Objects a role adds to an extension it owns are checked all the same
--    (only a superuser's extension, or objects of its script, are skipped).
--    Before, a role with CREATE on the database installed a trusted
--    extension, added its own table to it, and every check skipped it.
DROP FUNCTION tf_api.f();
SELECT format('GRANT CREATE ON DATABASE %I TO tf_eve', current_database()) \gexec
SET ROLE tf_eve;
CREATE EXTENSION pg_trgm SCHEMA tf_api;		-- trusted: tf_eve owns it
CREATE TABLE tf_api.hidden (id int PRIMARY KEY, user_id uuid);
ALTER EXTENSION pg_trgm ADD TABLE tf_api.hidden;
RESET ROLE;
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object = 'tf_api.hidden' ORDER BY code;
SELECT count(*) AS member_of_the_extension FROM pg_depend
 WHERE objid = 'tf_api.hidden'::regclass AND deptype = 'e';
ALTER EXTENSION pg_trgm DROP TABLE tf_api.hidden;
DROP EXTENSION pg_trgm;
SELECT format('REVOKE CREATE ON DATABASE %I FROM tf_eve', current_database()) \gexec

-- 3. Supabase's schema names are left out of the default checked schemas
--    only when Supabase's roles (or a superuser) own them: anyone may call a
--    schema graphql_public on plain PostgreSQL.
CREATE SCHEMA graphql_public AUTHORIZATION tf_eve;
GRANT USAGE ON SCHEMA graphql_public TO anon;
SELECT 'graphql_public' = ANY (aura_migrate._checked_schemas()) AS checked_when_eve_owns_it;
ALTER SCHEMA graphql_public OWNER TO CURRENT_USER;
SELECT 'graphql_public' = ANY (aura_migrate._checked_schemas()) AS checked_when_a_superuser_owns_it;
DROP SCHEMA graphql_public;

-- 4. The gate counts a finding whose severity a migration raises as new:
--    a function that read every row (a warning) rewritten to read the rows
--    its caller chooses (an error) is refused outside development.
CREATE TABLE tf_api.note (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), body text);
CREATE INDEX ON tf_api.note (user_id);
ALTER TABLE tf_api.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON tf_api.note FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE FUNCTION tf_api.notes(p int) RETURNS SETOF tf_api.note LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = '' AS $$ SELECT * FROM tf_api.note $$;
REVOKE ALL ON FUNCTION tf_api.notes(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tf_api.notes(int) TO authenticated;
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE code = 'definer_reads_user_rows';
SET aura_migrate.checked_schemas = 'tf_api';
SET aura_migrate.environment = 'staging';
SELECT aura_migrate.register('20270601001', 'notes_by_id', $m$
CREATE OR REPLACE FUNCTION tf_api.notes(p int) RETURNS SETOF tf_api.note LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = '' AS $$ SELECT * FROM tf_api.note WHERE id = p $$;
$m$);
SELECT version, status FROM aura_migrate.apply('20270601001');
SELECT state FROM aura_migrate.status() WHERE version = '20270601001';
RESET aura_migrate.environment;
RESET aura_migrate.checked_schemas;
SELECT aura_migrate.unregister('20270601001');

-- 5. A write's own WITH CHECK does not make its column an owner column:
--    reads check user_id, the insert checks author_id only, so a user can
--    insert rows of another user (before: no finding).
CREATE TABLE tf_api.doc (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id),
	author_id uuid, body text);
CREATE INDEX ON tf_api.doc (user_id);
ALTER TABLE tf_api.doc ENABLE ROW LEVEL SECURITY;
CREATE POLICY doc_read ON tf_api.doc FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));
CREATE POLICY doc_add ON tf_api.doc FOR INSERT TO authenticated
	WITH CHECK (author_id = (SELECT auth.uid()));
SELECT severity, code, object, message FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object = 'tf_api.doc' AND severity = 'error';
-- and with two user columns, a write is checked on the one the reads tie to
ALTER TABLE tf_api.doc ADD FOREIGN KEY (author_id) REFERENCES auth.users (id);
CREATE INDEX ON tf_api.doc (author_id);
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object = 'tf_api.doc' AND severity = 'error';
ALTER POLICY doc_add ON tf_api.doc
	WITH CHECK (author_id = (SELECT auth.uid()) AND user_id = (SELECT auth.uid()));
SELECT count(*) AS errors FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object = 'tf_api.doc' AND severity = 'error';

-- 6. USING (true) for SELECT next to a policy that keeps reads to the
--    caller's rows is not a declared public read ("Enable read access for
--    all users", a dashboard template, undoing it): an error, and the
--    probes call it a breach.
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
CREATE POLICY "Enable read access for all users" ON tf_api.note FOR SELECT USING (true);
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object LIKE 'tf_api.note%' AND code <> 'auth_call_per_row' ORDER BY severity, code, object;
ROLLBACK;

-- 7. A membership subquery counts only when its own conditions pin the
--    caller: "m.user_id = auth.uid() OR m.role = 'admin'" (an operator
--    precedence slip) lets an admin of any team read every board (a second
--    review: no finding, and no probe since the table has no owner column).
CREATE TABLE tf_api.team (id int PRIMARY KEY);
CREATE TABLE tf_api.member (team_id int REFERENCES tf_api.team (id),
	user_id uuid REFERENCES auth.users (id), role text, PRIMARY KEY (team_id, user_id));
CREATE INDEX ON tf_api.member (user_id);
CREATE TABLE tf_api.board (id int PRIMARY KEY, team_id int NOT NULL REFERENCES tf_api.team (id));
CREATE INDEX ON tf_api.board (team_id);
ALTER TABLE tf_api.team ENABLE ROW LEVEL SECURITY;
ALTER TABLE tf_api.member ENABLE ROW LEVEL SECURITY;
ALTER TABLE tf_api.board ENABLE ROW LEVEL SECURITY;
CREATE POLICY b_read ON tf_api.board FOR SELECT TO authenticated USING (
	EXISTS (SELECT 1 FROM tf_api.member m WHERE m.team_id = board.team_id
			AND m.user_id = (SELECT auth.uid()) OR m.role = 'admin'));
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object LIKE 'tf_api.board%' AND severity = 'error';
ALTER POLICY b_read ON tf_api.board USING (
	EXISTS (SELECT 1 FROM tf_api.member m WHERE m.team_id = board.team_id
			AND (m.user_id = (SELECT auth.uid()) OR m.role = 'admin')));
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object LIKE 'tf_api.board%' AND severity = 'error';
ALTER POLICY b_read ON tf_api.board USING (
	EXISTS (SELECT 1 FROM tf_api.member m WHERE m.team_id = board.team_id
			AND m.user_id = (SELECT auth.uid())));
SELECT count(*) AS errors FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE object LIKE 'tf_api.board%' AND severity = 'error';

-- 8. The gate tells a new error on a table from one that was there: a
--    table's owner_not_enforced for DELETE before the run does not cover one
--    for SELECT after it (a second review: keyed by table only).
CREATE TABLE tf_api.task (id int PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id), body text);
CREATE INDEX ON tf_api.task (user_id);
ALTER TABLE tf_api.task ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_read ON tf_api.task FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE POLICY t_del ON tf_api.task FOR DELETE TO authenticated USING (body IS NOT NULL);
SET aura_migrate.checked_schemas = 'tf_api';
SET aura_migrate.environment = 'staging';
SELECT aura_migrate.register('20270601002', 'loosen_reads',
	'ALTER POLICY t_read ON tf_api.task USING (body IS NOT NULL);');
SELECT version, status FROM aura_migrate.apply('20270601002');
SELECT state FROM aura_migrate.status() WHERE version = '20270601002';
RESET aura_migrate.environment;
RESET aura_migrate.checked_schemas;
SELECT aura_migrate.unregister('20270601002');

-- 9. The analysis of a SQL definer function takes its callers' usual path
--    when it sets none, skips an outer join's ON (it keeps the other side's
--    rows), and counts the arguments anywhere in the body; one it cannot
--    analyse is named (a second review)
CREATE FUNCTION tf_api.task_nopath(p int) RETURNS SETOF tf_api.task LANGUAGE sql STABLE
SECURITY DEFINER AS $$ SELECT * FROM tf_api.task WHERE id = p $$;
CREATE FUNCTION tf_api.task_leftjoin(p int) RETURNS SETOF tf_api.task LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = '' AS $$ SELECT t.* FROM tf_api.task t
	LEFT JOIN (SELECT 1) x ON t.user_id = (SELECT auth.uid()) WHERE t.id = p $$;
CREATE FUNCTION tf_api.task_subquery(p int) RETURNS SETOF tf_api.task LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = '' AS $$ SELECT * FROM (SELECT * FROM tf_api.task) s WHERE s.id = p $$;
CREATE FUNCTION tf_api.task_pinned(p_user uuid) RETURNS SETOF tf_api.task LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = '' AS $$ SELECT * FROM tf_api.task
	WHERE user_id = p_user AND p_user = (SELECT auth.uid()) $$;
REVOKE ALL ON FUNCTION tf_api.task_nopath(int), tf_api.task_leftjoin(int),
	tf_api.task_subquery(int), tf_api.task_pinned(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tf_api.task_nopath(int), tf_api.task_leftjoin(int),
	tf_api.task_subquery(int), tf_api.task_pinned(uuid) TO authenticated;
SELECT severity, code, object FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE code LIKE 'definer_%' AND object LIKE 'tf_api.task%' ORDER BY object, code;

-- 10. A table of per-user rows in a schema the API cannot reach, without
--     row level security, served through an owner-rights view in one it
--     can: the view is reported (a second review: nothing was, and
--     authenticated read every user's rows)
CREATE SCHEMA tf_private;
CREATE TABLE tf_private.health (id bigint PRIMARY KEY, user_id uuid REFERENCES auth.users (id), diagnosis text);
CREATE VIEW tf_api.health AS SELECT * FROM tf_private.health;
GRANT SELECT ON tf_api.health TO authenticated;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{tf_api}', false)
 WHERE code = 'view_bypasses_rls';
DROP SCHEMA tf_private CASCADE;

SET client_min_messages = warning;
DROP SCHEMA tf_api CASCADE;
RESET client_min_messages;
DROP ROLE tf_eve;
