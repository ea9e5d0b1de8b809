--
-- check_rls(): team- and account-scoped designs.  A policy that ties a row
-- to the caller through a membership (an IN subquery, an EXISTS over the
-- membership table, a SQL function that compares with auth.uid()) is
-- scoped, not owner_not_enforced; a PL/pgSQL helper is named at info; a
-- policy without TO that anon cannot satisfy is not policy_for_anon; public
-- reference data read with USING (true) is info.  And the breakages of such
-- a design are still errors.
--
CREATE SCHEMA scope_app;
GRANT USAGE ON SCHEMA scope_app TO anon, authenticated;
-- a multi-tenant SaaS starter: accounts, memberships with roles, projects
CREATE TABLE scope_app.accounts (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL
);
CREATE TABLE scope_app.memberships (
	account_id uuid NOT NULL REFERENCES scope_app.accounts (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
	role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
	PRIMARY KEY (account_id, user_id)
);
CREATE INDEX ON scope_app.memberships (user_id);
CREATE TABLE scope_app.projects (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id uuid NOT NULL REFERENCES scope_app.accounts (id),
	created_by uuid NOT NULL DEFAULT auth.uid() REFERENCES auth.users (id),
	name text NOT NULL
);
CREATE INDEX ON scope_app.projects (account_id);
CREATE INDEX ON scope_app.projects (created_by);
CREATE TABLE scope_app.currencies (code text PRIMARY KEY, rate numeric NOT NULL);
-- membership helpers: one in SQL (read), one in PL/pgSQL (named, not read)
CREATE FUNCTION scope_app.accounts_of_user() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT m.account_id FROM scope_app.memberships m WHERE m.user_id = (SELECT auth.uid()) $$;
CREATE FUNCTION scope_app.has_role_on_account(acc uuid, wanted text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
	RETURN EXISTS (SELECT 1 FROM scope_app.memberships m
				   WHERE m.account_id = acc AND m.user_id = auth.uid() AND m.role = wanted);
END
$$;
REVOKE ALL ON FUNCTION scope_app.accounts_of_user(), scope_app.has_role_on_account(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION scope_app.accounts_of_user(), scope_app.has_role_on_account(uuid, text) TO authenticated;
ALTER TABLE scope_app.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE scope_app.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE scope_app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE scope_app.currencies ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON scope_app.accounts, scope_app.memberships, scope_app.currencies TO authenticated;
GRANT SELECT, INSERT, UPDATE ON scope_app.projects TO authenticated;
GRANT SELECT ON scope_app.currencies TO anon;
CREATE POLICY "Members read their accounts" ON scope_app.accounts FOR SELECT TO authenticated
	USING (id IN (SELECT scope_app.accounts_of_user()));
CREATE POLICY "Members see their co-members" ON scope_app.memberships FOR SELECT TO authenticated
	USING (account_id IN (SELECT scope_app.accounts_of_user()));
CREATE POLICY "Members read projects" ON scope_app.projects FOR SELECT TO authenticated
	USING (EXISTS (SELECT 1 FROM scope_app.memberships m
				   WHERE m.account_id = projects.account_id AND m.user_id = (SELECT auth.uid())));
CREATE POLICY "Owners rename projects" ON scope_app.projects FOR UPDATE TO authenticated
	USING (scope_app.has_role_on_account(account_id, 'owner'))
	WITH CHECK (scope_app.has_role_on_account(account_id, 'owner'));
-- no TO clause: anon cannot satisfy it (auth.uid() is NULL for anon)
CREATE POLICY "Creators add projects" ON scope_app.projects FOR INSERT
	WITH CHECK (created_by = (SELECT auth.uid())
				AND account_id IN (SELECT scope_app.accounts_of_user()));
-- public reference data
CREATE POLICY "Everyone reads currencies" ON scope_app.currencies FOR SELECT USING (true);

-- the design as written: no error; the PL/pgSQL helper named; the
-- reference data at info
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity IN ('error', 'info') ORDER BY severity, code, object;

-- breakages are still caught
BEGIN;
-- a membership test that does not look at the row: every member sees every project
ALTER POLICY "Members read projects" ON scope_app.projects
	USING (EXISTS (SELECT 1 FROM scope_app.memberships m WHERE m.user_id = (SELECT auth.uid())));
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;
BEGIN;
-- a subquery that never compares with the caller
ALTER POLICY "Members see their co-members" ON scope_app.memberships
	USING (account_id IN (SELECT a.id FROM scope_app.accounts a));
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;
BEGIN;
-- a SQL helper that does not filter by the caller
CREATE OR REPLACE FUNCTION scope_app.accounts_of_user() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT m.account_id FROM scope_app.memberships m $$;
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;
BEGIN;
-- no TO clause and a predicate anon satisfies
CREATE POLICY "Anyone reads projects" ON scope_app.projects FOR SELECT USING (name IS NOT NULL);
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;
BEGIN;
-- an OR with an unscoped branch
ALTER POLICY "Members read projects" ON scope_app.projects
	USING (account_id IN (SELECT scope_app.accounts_of_user()) OR name LIKE 'public%');
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;


-- an owner column known by its DEFAULT auth.uid(), with neither the name
-- user_id nor a foreign key to the users (a review: not seen as per-user,
-- so a policy that lets every signed-in user read every note passed)
CREATE TABLE scope_app.notes (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id uuid NOT NULL DEFAULT auth.uid(),
	body text
);
CREATE INDEX ON scope_app.notes (owner_id);
ALTER TABLE scope_app.notes ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON scope_app.notes TO authenticated;
CREATE POLICY "Signed in reads notes" ON scope_app.notes FOR SELECT TO authenticated
	USING (owner_id IS NOT NULL);
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ALTER POLICY "Signed in reads notes" ON scope_app.notes USING (owner_id = (SELECT auth.uid()));
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;

-- an API role that bypasses row level security is a structural error (a
-- review: only the probes saw it, and production runs no probes)
BEGIN;
ALTER ROLE authenticated BYPASSRLS;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'api_role_bypasses_rls';
ROLLBACK;

DROP SCHEMA scope_app CASCADE;
