--
-- The row level security gate inside the engine: outside development a
-- migration that adds an error finding of check_rls() fails (and rolls
-- back) through plain SQL, with no script around it; the finding can be
-- acknowledged in the migration; what was there before the run never
-- blocks it; in development the run reports what it added.  (anon,
-- authenticated and auth.uid() come from check_rls.sql, which runs first.)
--
SET client_min_messages = warning;
DELETE FROM aura_migrate.migration;
RESET client_min_messages;
CREATE SCHEMA gate;
GRANT USAGE ON SCHEMA gate TO anon, authenticated;
SET aura_migrate.checked_schemas = 'gate';
SET aura_migrate.environment = 'staging';

-- a leak from before, made outside migrations: it does not block a run
CREATE TABLE gate.legacy (id int PRIMARY KEY, user_id uuid);
ALTER TABLE gate.legacy ENABLE ROW LEVEL SECURITY;
CREATE POLICY legacy_open ON gate.legacy FOR SELECT TO anon USING (true);
GRANT SELECT ON gate.legacy TO anon;
SELECT code, object FROM aura_migrate.check_rls('{gate}', false) WHERE severity = 'error';

SELECT aura_migrate.register('20261201001', 'notes', $$
CREATE TABLE gate.notes (id int PRIMARY KEY, user_id uuid NOT NULL DEFAULT auth.uid(), body text);
ALTER TABLE gate.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_own ON gate.notes FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON gate.notes TO authenticated;
$$);
SELECT aura_migrate.register('20261201002', 'share_notes', $$
CREATE POLICY notes_anyone ON gate.notes FOR SELECT TO anon USING (user_id IS NOT NULL);
GRANT SELECT ON gate.notes TO anon;
$$);
SELECT version, status FROM aura_migrate.apply('20261201001');

-- the leaking policy fails its migration, in staging, from plain SQL
SELECT * FROM aura_migrate.apply();
SELECT count(*) AS leaking_policy FROM pg_policy WHERE polname = 'notes_anyone';
SELECT version, state, last_error FROM aura_migrate.status() WHERE version = '20261201002';
SELECT event, sqlstate FROM aura_migrate.log WHERE version = '20261201002' ORDER BY id;

-- CALL migrate() stops at it too, keeping what came before
SELECT aura_migrate.register('20261201003', 'after', 'SELECT 1;');
CALL aura_migrate.migrate();
SELECT version FROM aura_migrate.history ORDER BY version;

-- acknowledged in the migration, on purpose: it passes
SELECT aura_migrate.register('20261201002', 'share_notes', $$
-- public notes are the point of this table: aura:allow policy_for_anon
CREATE POLICY notes_anyone ON gate.notes FOR SELECT TO anon USING (user_id IS NOT NULL);
GRANT SELECT ON gate.notes TO anon;
$$, replace => true);
SELECT version, status FROM aura_migrate.apply();

-- apply() checks the gate once per block of migrations (each check reads
-- every table): a leak followed by a harmless migration still fails the
-- migration that adds it, by name, and nothing is applied
SELECT aura_migrate.register('20261201005', 'leak_again', $$
CREATE POLICY notes_leak ON gate.notes FOR SELECT TO anon USING (user_id IS NOT NULL);
$$);
SELECT aura_migrate.register('20261201006', 'harmless', 'COMMENT ON TABLE gate.notes IS ''notes'';');
SELECT * FROM aura_migrate.apply();
SELECT version FROM aura_migrate.history WHERE version >= '20261201005' ORDER BY version;
SELECT version, event FROM aura_migrate.log WHERE version >= '20261201005' ORDER BY id;
-- what the call commits is what is judged: a leak that a later migration of
-- the same apply() closes never reaches the database
SELECT aura_migrate.register('20261201006', 'close_leak', 'DROP POLICY notes_leak ON gate.notes;',
	replace => true, rename => true);
SELECT version, status FROM aura_migrate.apply();
SELECT count(*) AS leak_policies FROM pg_policy WHERE polname = 'notes_leak';

-- after a migration the gate checks only the tables it changed and their
-- neighbours when what it changed is known (a DEBUG1 line says which; each
-- migration ends by showing DEBUG1 to see it, which lasts as long as the
-- migration): a membership table makes docs, which references the same
-- teams, a table of teams, whose loose UPDATE policy then fails the
-- migration that added the membership table, though it never touched docs
CREATE TABLE gate.teams (id int PRIMARY KEY);
CREATE TABLE gate.docs (id int PRIMARY KEY, team_id int NOT NULL REFERENCES gate.teams, body text);
ALTER TABLE gate.docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_edit ON gate.docs FOR UPDATE TO authenticated
	USING ((SELECT auth.uid()) IS NOT NULL);
SELECT aura_migrate.register('20261201007', 'team_members', $$
CREATE TABLE gate.team_members (team_id int NOT NULL REFERENCES gate.teams, user_id uuid NOT NULL);
ALTER TABLE gate.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_own ON gate.team_members FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));
$$);
SELECT * FROM aura_migrate.apply(dry_run => true);
-- (the dry run warmed the catalog caches: their own DEBUG1 lines stay out)
SELECT aura_migrate.register('20261201007', 'team_members', $$
CREATE TABLE gate.team_members (team_id int NOT NULL REFERENCES gate.teams, user_id uuid NOT NULL);
ALTER TABLE gate.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_own ON gate.team_members FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));
SET client_min_messages = debug1;
$$, replace => true);
SELECT * FROM aura_migrate.apply();
-- fixed in the same migration: docs ties its rows to the caller's teams
SELECT aura_migrate.register('20261201007', 'team_members', $$
CREATE TABLE gate.team_members (team_id int NOT NULL REFERENCES gate.teams, user_id uuid NOT NULL);
ALTER TABLE gate.team_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_own ON gate.team_members FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));
ALTER POLICY docs_edit ON gate.docs
	USING (team_id IN (SELECT m.team_id FROM gate.team_members m WHERE m.user_id = (SELECT auth.uid())))
	WITH CHECK (team_id IN (SELECT m.team_id FROM gate.team_members m WHERE m.user_id = (SELECT auth.uid())));
SET client_min_messages = debug1;
$$, replace => true);
SELECT version, status FROM aura_migrate.apply();
-- a GRANT names its tables; a DO block could do anything: every table
SELECT aura_migrate.register('20261201008', 'grant_docs', $$
GRANT SELECT, UPDATE ON gate.docs TO authenticated;
SET client_min_messages = debug1;
$$);
SELECT version, status FROM aura_migrate.apply();
SELECT aura_migrate.register('20261201009', 'by_do', $$
DO $do$ BEGIN EXECUTE 'COMMENT ON TABLE gate.docs IS ''team documents'''; END $do$;
SET client_min_messages = debug1;
$$);
SELECT version, status FROM aura_migrate.apply();

-- in development the run reports what it added, and applies
RESET aura_migrate.environment;
SELECT aura_migrate.register('20261201004', 'dev_leak', $$
CREATE TABLE gate.dev (id int PRIMARY KEY, user_id uuid);
ALTER TABLE gate.dev ENABLE ROW LEVEL SECURITY;
CREATE POLICY dev_open ON gate.dev FOR SELECT TO anon USING (user_id IS NOT NULL);
GRANT SELECT ON gate.dev TO anon;
$$);
SELECT version, status FROM aura_migrate.apply();

-- a superuser can switch the gate off; nobody else can
CREATE ROLE gate_nobody;
SET ROLE gate_nobody;
SET aura_migrate.rls_gate = off;
RESET ROLE;
DROP ROLE gate_nobody;

-- clean up
SET client_min_messages = warning;
RESET aura_migrate.checked_schemas;
DROP SCHEMA gate CASCADE;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
RESET client_min_messages;
