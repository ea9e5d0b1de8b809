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

-- a write checked only on its creator column in a team-scoped table (a
-- review: created_by = auth.uid() passed, while account_id was unchecked,
-- so a user could add projects to another team's account)
BEGIN;
ALTER POLICY "Creators add projects" ON scope_app.projects
	WITH CHECK (created_by = (SELECT auth.uid()));
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ROLLBACK;

-- an owner column known only from the policies: neither named user_id, nor
-- a foreign key to the users, nor DEFAULT auth.uid() (a review: not seen as
-- per-user, so a DELETE policy open to every signed-in user passed)
CREATE TABLE scope_app.drafts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	author uuid NOT NULL,
	body text
);
CREATE INDEX ON scope_app.drafts (author);
ALTER TABLE scope_app.drafts ENABLE ROW LEVEL SECURITY;
GRANT SELECT, DELETE ON scope_app.drafts TO authenticated;
CREATE POLICY "Authors read drafts" ON scope_app.drafts FOR SELECT TO authenticated
	USING (author = (SELECT auth.uid()));
CREATE POLICY "Signed in deletes drafts" ON scope_app.drafts FOR DELETE TO authenticated
	USING (author IS NOT NULL);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;
ALTER POLICY "Signed in deletes drafts" ON scope_app.drafts USING (author = (SELECT auth.uid()));
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' ORDER BY code, object;

-- Supabase's quickstart: profiles everyone may read, each written by its
-- owner.  Every row readable is a choice, a warning; not an error, not
-- policy_for_anon, not owner_not_enforced, and the probes do not call the
-- read a breach.  In a zero-knowledge database (Aura) it is an error.
CREATE TABLE scope_app.profiles (
	id uuid NOT NULL PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
	username text UNIQUE,
	avatar_url text
);
ALTER TABLE scope_app.profiles ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON scope_app.profiles TO anon;
GRANT SELECT, INSERT, UPDATE ON scope_app.profiles TO authenticated;
CREATE POLICY "Public profiles are viewable by everyone." ON scope_app.profiles
	FOR SELECT USING (true);
CREATE POLICY "Users can insert their own profile." ON scope_app.profiles
	FOR INSERT WITH CHECK ((SELECT auth.uid()) = id);
CREATE POLICY "Users can update own profile." ON scope_app.profiles
	FOR UPDATE USING ((SELECT auth.uid()) = id);
-- (this database has Aura's zero-knowledge role, in the table and the
-- setting: a plain Supabase app has none)
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.profiles%' ORDER BY severity, code, object;
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', true)
 WHERE code IN ('isolation_breach', 'not_probed') AND object LIKE 'scope_app.profiles%'
 ORDER BY severity, code, object;
-- a write policy with USING (true) is still an error
SAVEPOINT open_update;
ALTER POLICY "Users can update own profile." ON scope_app.profiles USING (true);
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE severity = 'error' AND object LIKE 'scope_app.profiles%' ORDER BY code, object;
ROLLBACK TO open_update;
ROLLBACK;
-- with the zero-knowledge role: every read of another user's row is an error
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', true)
 WHERE severity = 'error' AND object LIKE 'scope_app.profiles%' ORDER BY code, object;

-- a per-user table owned by a role that can log in, without FORCE ROW
-- LEVEL SECURITY (a review: reported only when the role also owned a
-- SECURITY DEFINER function); a warning, an error in a zero-knowledge
-- database; an owner with BYPASSRLS (Supabase's postgres) is not, since
-- FORCE would not bind it
CREATE ROLE regress_scope_backend LOGIN;
ALTER TABLE scope_app.drafts OWNER TO regress_scope_backend;
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'owner_bypasses_rls' ORDER BY code, object;
ROLLBACK;
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'owner_bypasses_rls' ORDER BY code, object;
ALTER TABLE scope_app.drafts FORCE ROW LEVEL SECURITY;
SELECT count(*) FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'owner_bypasses_rls';
ALTER TABLE scope_app.drafts NO FORCE ROW LEVEL SECURITY;
ALTER ROLE regress_scope_backend BYPASSRLS;
SELECT count(*) FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'owner_bypasses_rls';
ALTER TABLE scope_app.drafts OWNER TO CURRENT_USER;
DROP ROLE regress_scope_backend;

-- SECURITY DEFINER functions the API roles can execute, in SQL, are read
-- (a review: a function returning notes by id to any signed-in user was not
-- analysed at all): rows chosen by the caller's arguments and not filtered
-- by auth.uid() are an error, every row read a warning (a count may be
-- meant), rows filtered by the caller nothing; allow_definer makes it info
CREATE TABLE scope_app.diary (
	id bigint PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users (id),
	body text
);
CREATE INDEX ON scope_app.diary (user_id);
ALTER TABLE scope_app.diary ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own diary" ON scope_app.diary FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE FUNCTION scope_app.diary_by_id(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT * FROM scope_app.diary WHERE id = p_id $$;
CREATE FUNCTION scope_app.diary_atomic(p_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
BEGIN ATOMIC SELECT body FROM scope_app.diary WHERE id = p_id; END;
CREATE FUNCTION scope_app.diary_forget(bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$ DELETE FROM scope_app.diary WHERE id = $1 $$;
CREATE FUNCTION scope_app.diary_count() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT count(*) FROM scope_app.diary $$;
CREATE FUNCTION scope_app.my_diary(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT * FROM scope_app.diary d WHERE d.id = p_id AND d.user_id = (SELECT auth.uid()) $$;
CREATE FUNCTION scope_app.diary_private(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT * FROM scope_app.diary WHERE id = p_id $$;
REVOKE ALL ON FUNCTION scope_app.diary_by_id(bigint), scope_app.diary_atomic(bigint),
	scope_app.diary_forget(bigint), scope_app.diary_count(), scope_app.my_diary(bigint),
	scope_app.diary_private(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION scope_app.diary_by_id(bigint), scope_app.diary_atomic(bigint),
	scope_app.diary_forget(bigint), scope_app.diary_count(), scope_app.my_diary(bigint)
	TO authenticated;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'definer_reads_user_rows' ORDER BY severity, object;
SELECT severity, object FROM aura_migrate.check_rls('{scope_app}', false,
		allow_definer => '{scope_app.diary_by_id}')
 WHERE code = 'definer_reads_user_rows' ORDER BY severity, object;
-- a function owner that neither owns the table nor bypasses row level
-- security (the policies apply to it): nothing
BEGIN;
CREATE ROLE regress_scope_fnowner;
GRANT USAGE ON SCHEMA scope_app TO regress_scope_fnowner;
GRANT SELECT, DELETE ON scope_app.diary TO regress_scope_fnowner;
ALTER FUNCTION scope_app.diary_by_id(bigint) OWNER TO regress_scope_fnowner;
ALTER FUNCTION scope_app.diary_atomic(bigint) OWNER TO regress_scope_fnowner;
ALTER FUNCTION scope_app.diary_forget(bigint) OWNER TO regress_scope_fnowner;
ALTER FUNCTION scope_app.diary_count() OWNER TO regress_scope_fnowner;
SELECT count(*) FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'definer_reads_user_rows';
ROLLBACK;
-- the filter must keep this table's rows to the caller's (an independent
-- review: any comparison with auth.uid() counted), arguments anywhere choose
-- rows (a CTE), an upsert overwrites the row it conflicts with unless that
-- is the caller's, and a per-user table outside the checked schemas counts
CREATE SCHEMA scope_private;
CREATE TABLE scope_private.secret (id bigint PRIMARY KEY, user_id uuid NOT NULL, body text);
ALTER TABLE scope_private.secret ENABLE ROW LEVEL SECURITY;
CREATE TABLE scope_app.prefs (user_id uuid PRIMARY KEY REFERENCES auth.users (id), data text);
ALTER TABLE scope_app.prefs ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own prefs" ON scope_app.prefs FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE FUNCTION scope_app.d_exists(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT d.* FROM scope_app.diary d WHERE d.id = p_id
	AND EXISTS (SELECT 1 FROM scope_app.prefs p WHERE p.user_id = auth.uid()) $$;
CREATE FUNCTION scope_app.d_or(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT d.* FROM scope_app.diary d WHERE d.id = p_id OR d.user_id = auth.uid() $$;
CREATE FUNCTION scope_app.d_cte(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ WITH x AS (SELECT p_id AS id) SELECT d.* FROM scope_app.diary d JOIN x ON x.id = d.id $$;
CREATE FUNCTION scope_app.d_upsert(p_id bigint, p_body text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$ INSERT INTO scope_app.diary (id, user_id, body) VALUES (p_id, auth.uid(), p_body)
	ON CONFLICT (id) DO UPDATE SET body = excluded.body $$;
CREATE FUNCTION scope_app.d_secret(p_id bigint) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT s.body FROM scope_private.secret s WHERE s.id = p_id $$;
CREATE FUNCTION scope_app.p_save(p text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ''
AS $$ INSERT INTO scope_app.prefs (user_id, data) VALUES (auth.uid(), p)
	ON CONFLICT (user_id) DO UPDATE SET data = excluded.data $$;
CREATE FUNCTION scope_app.d_mine_and(p_id bigint) RETURNS SETOF scope_app.diary
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT d.* FROM scope_app.diary d JOIN scope_app.prefs p ON p.user_id = d.user_id
	WHERE d.id = p_id AND d.user_id = (SELECT auth.uid()) $$;
SELECT severity, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE code = 'definer_reads_user_rows' AND object NOT LIKE 'scope_app.diary%'
   AND object <> 'scope_app.my_diary(bigint)' ORDER BY object;
DROP SCHEMA scope_private CASCADE;
DROP FUNCTION scope_app.d_exists(bigint), scope_app.d_or(bigint), scope_app.d_cte(bigint),
	scope_app.d_upsert(bigint, text), scope_app.p_save(text), scope_app.d_mine_and(bigint);
DROP TABLE scope_app.prefs;
DROP FUNCTION scope_app.diary_by_id(bigint), scope_app.diary_atomic(bigint),
	scope_app.diary_forget(bigint), scope_app.diary_count(), scope_app.my_diary(bigint),
	scope_app.diary_private(bigint);

-- the checked schemas by default (aura_migrate.checked_schemas empty): public
-- and every schema anon or authenticated can use, not Supabase's own, not an
-- extension's (a review: the default was public only, so an owner-rights view
-- in an exposed schema "api" went unchecked)
SHOW aura_migrate.checked_schemas;
CREATE SCHEMA api;
CREATE SCHEMA internal_only;
CREATE SCHEMA storage;
GRANT USAGE ON SCHEMA api, storage TO authenticated;
SELECT aura_migrate._checked_schemas() @> '{public,api,scope_app}' AS api_schemas_checked,
	   NOT aura_migrate._checked_schemas() && '{internal_only,storage,auth,aura_migrate,pg_catalog}' AS others_not;
CREATE TABLE api.secrets (id bigint PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id));
CREATE VIEW api.all_secrets AS SELECT * FROM api.secrets;
ALTER TABLE api.secrets ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON api.all_secrets TO authenticated;
SELECT severity, code, object FROM aura_migrate.check_rls(NULL, false)
 WHERE object LIKE 'api.%' AND severity = 'error' ORDER BY code, object;
SET aura_migrate.checked_schemas = 'public';
SELECT aura_migrate._checked_schemas();
RESET aura_migrate.checked_schemas;
DROP SCHEMA api, internal_only, storage CASCADE;

-- a table of a team with no user column at all: its account_id is a scope
-- column (accounts is what memberships, a table with a user column, points
-- to as well), so it is checked like a per-user table (a review: USING
-- (true) on such a table was info, "reference data")
CREATE TABLE scope_app.documents (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id uuid NOT NULL REFERENCES scope_app.accounts (id),
	body text
);
ALTER TABLE scope_app.documents ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON scope_app.documents TO authenticated;
CREATE POLICY "Members read documents" ON scope_app.documents FOR SELECT TO authenticated
	USING (account_id IN (SELECT scope_app.accounts_of_user()));
CREATE POLICY "Members write documents" ON scope_app.documents FOR INSERT TO authenticated
	WITH CHECK (account_id IN (SELECT scope_app.accounts_of_user()));
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.documents%' AND severity <> 'info' ORDER BY code, object;
BEGIN;
ALTER POLICY "Members write documents" ON scope_app.documents WITH CHECK (body <> '');
CREATE POLICY "Anyone edits documents" ON scope_app.documents FOR UPDATE TO authenticated
	USING (true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.documents%' AND severity <> 'info' ORDER BY code, object, message;
ROLLBACK;
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
ALTER POLICY "Members read documents" ON scope_app.documents USING (true);
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.documents%' AND severity <> 'info' ORDER BY code, object;
ROLLBACK;
-- reference data (currencies: no user or scope column) stays info
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.currencies%' ORDER BY code, object;
DROP TABLE scope_app.documents;

-- correct designs that are not errors (a second review): published posts
-- and private drafts, owner or member, a list of collaborators, a catalog
-- that a per-user favourites table also references
CREATE TABLE scope_app.posts (
	id bigint PRIMARY KEY,
	author_id uuid NOT NULL REFERENCES auth.users (id),
	published boolean NOT NULL DEFAULT false,
	collaborators uuid[] NOT NULL DEFAULT '{}',
	account_id uuid REFERENCES scope_app.accounts (id),
	body text
);
CREATE INDEX ON scope_app.posts (author_id);
ALTER TABLE scope_app.posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Published posts and own drafts" ON scope_app.posts FOR SELECT
	USING (published OR author_id = (SELECT auth.uid()));
CREATE POLICY "Authors and collaborators edit" ON scope_app.posts FOR UPDATE TO authenticated
	USING (author_id = (SELECT auth.uid()) OR (SELECT auth.uid()) = ANY (collaborators))
	WITH CHECK (author_id = (SELECT auth.uid()) OR (SELECT auth.uid()) = ANY (collaborators));
CREATE POLICY "Owner or member deletes" ON scope_app.posts FOR DELETE TO authenticated
	USING (author_id = (SELECT auth.uid()) OR account_id IN (SELECT scope_app.accounts_of_user()));
CREATE TABLE scope_app.categories (id int PRIMARY KEY, name text);
CREATE TABLE scope_app.products (id int PRIMARY KEY, category_id int NOT NULL REFERENCES scope_app.categories (id), active boolean);
CREATE INDEX ON scope_app.products (category_id);
CREATE TABLE scope_app.favorite_categories (user_id uuid REFERENCES auth.users (id),
	category_id int REFERENCES scope_app.categories (id), PRIMARY KEY (user_id, category_id));
ALTER TABLE scope_app.categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE scope_app.products ENABLE ROW LEVEL SECURITY;
ALTER TABLE scope_app.favorite_categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Active products" ON scope_app.products FOR SELECT USING (active);
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE (object LIKE 'scope_app.posts%' OR object LIKE 'scope_app.products%')
   AND severity <> 'info' AND code <> 'auth_call_per_row' ORDER BY code, object;
-- and a flag next to a branch that is not the caller's is still an error
ALTER POLICY "Published posts and own drafts" ON scope_app.posts
	USING (published OR body IS NOT NULL);
SELECT severity, code, object FROM aura_migrate.check_rls('{scope_app}', false)
 WHERE object LIKE 'scope_app.posts%' AND severity = 'error' ORDER BY code, object;
ROLLBACK;
DROP TABLE scope_app.posts, scope_app.products, scope_app.favorite_categories, scope_app.categories;

DROP SCHEMA scope_app CASCADE;
