--
-- Supabase's role model: postgres, not a superuser, is the migrator.
-- supabase_admin created the extension (and the Aura migrations registered
-- with it) and ran db/init/supabase_grant_postgres.sql.
--
SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user;
SELECT pg_get_userbyid(datdba) AS database_owner FROM pg_database WHERE datname = current_database();

-- the Aura migrations, registered by supabase_admin, applied by postgres as
-- postgres (the registrar holds the caller's privileges)
SELECT version, state FROM aura_migrate.status() ORDER BY version;
SELECT version, status FROM aura_migrate.apply('20250909002');
SET client_min_messages = warning;	-- its NOTICEs say how long each took
CALL aura_migrate.migrate();
RESET client_min_messages;
SELECT version, state FROM aura_migrate.status() ORDER BY version;
SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'public.encrypted_cycle_data'::regclass;

-- a migration of its own, with its down SQL
SELECT aura_migrate.register('20270101001', 'sb_note', $sql$
CREATE TABLE public.sb_note (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
	body text NOT NULL
);
CREATE INDEX sb_note_user_id_idx ON public.sb_note (user_id);
ALTER TABLE public.sb_note ENABLE ROW LEVEL SECURITY;
CREATE POLICY sb_note_own ON public.sb_note FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
REVOKE ALL ON public.sb_note FROM anon;
$sql$, down_sql => 'DROP TABLE public.sb_note;');
SELECT version, status FROM aura_migrate.apply();
SELECT count(*) AS verify_findings FROM aura_migrate.verify() WHERE severity = 'error';
SELECT regexp_replace(regexp_replace(aura_migrate.report(),
		'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', '<time>', 'g'),
		'\d+\.\d ms|run \d+', '<n>', 'g') ~ 'applied +20270101001 sb_note' AS report_names_it;

-- check_rls with its behavioural probes, as postgres, acting as the API
-- roles through its membership: the Aura schema and sb_note leak nothing
SELECT severity, code, object FROM aura_migrate.check_rls(probes => true,
	allow_definer => '{public.validate_share_token(text)}')
 WHERE severity <> 'info' ORDER BY code, object;
SELECT count(*) AS synthetic_rows_left FROM auth.users;

-- a leaking policy is found by the probes (rolled back afterwards)
BEGIN;
CREATE POLICY sb_note_peek ON public.sb_note FOR SELECT TO authenticated USING (true);
SELECT severity, code, object FROM aura_migrate.check_rls(probes => true,
	allow_definer => '{public.validate_share_token(text)}')
 WHERE code = 'isolation_breach' ORDER BY object;
ROLLBACK;

-- rollback in development
SELECT version, status FROM aura_migrate.rollback('20261128001');
SELECT to_regclass('public.sb_note') AS sb_note;

-- adoption as postgres (after applying what rollback() took back): a
-- table that exists already is baselined, a
-- deleted file unregistered, an applied migration's edited SQL repaired,
-- a change made by hand acknowledged
SELECT version, status FROM aura_migrate.apply();
CREATE TABLE public.sb_existing (id bigint PRIMARY KEY, owner_id uuid NOT NULL DEFAULT auth.uid());
ALTER TABLE public.sb_existing ENABLE ROW LEVEL SECURITY;
CREATE POLICY sb_existing_own ON public.sb_existing FOR ALL TO authenticated
	USING (owner_id = (SELECT auth.uid())) WITH CHECK (owner_id = (SELECT auth.uid()));
SELECT aura_migrate.register_file('20270102093000_existing.sql', $sql$begin;
create table public.sb_existing (id bigint primary key, owner_id uuid not null default auth.uid());
alter table public.sb_existing enable row level security;
create policy sb_existing_own on public.sb_existing for all to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
commit;
$sql$);
SELECT * FROM aura_migrate.baseline('20270102093000');
SELECT aura_migrate.register_file('20270102100000_gone.sql', 'select 1;');
SELECT aura_migrate.unregister('20270102100000');
SELECT aura_migrate.repair('20270102093000', sql => $sql$begin;
create table public.sb_existing (id bigint primary key, owner_id uuid not null default auth.uid());
alter table public.sb_existing enable row level security;
create policy sb_existing_own on public.sb_existing for all to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
commit;
-- reformatted
$sql$);
SELECT version, state FROM aura_migrate.status() WHERE version LIKE '202701020%';
CREATE INDEX sb_existing_owner_idx ON public.sb_existing (owner_id);
SELECT code, object FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
SELECT aura_migrate.acknowledge('changed_outside_migrations', 'public.sb_existing_owner_idx', 'hotfix');
SELECT count(*) AS still_reported FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
SELECT event, username FROM aura_migrate.log WHERE version LIKE '202701020%' ORDER BY id;

-- what postgres may not do
SET aura_migrate.record_failures = off;
SET aura_migrate.rls_gate = off;
SELECT count(*) FROM aura_migrate.history;   -- read, through pg_read_all_data (below)
SELECT aura_migrate.register_probe_fixture('public.sb_note', 'INSERT INTO public.sb_note (user_id, body) VALUES ($1, ''x'')');
INSERT INTO aura_migrate.migration (version, name, up_sql) VALUES ('20270101009', 'forged', 'SELECT 1');

-- the log: postgres reads it through pg_read_all_data, which Supabase grants
-- it; outside development the engine keeps no statement text there
SELECT pg_has_role('pg_read_all_data', 'MEMBER') AS reads_all_data;
SELECT count(*) > 0 AS log_readable FROM aura_migrate.log;

-- production, set by postgres as the database's owner; a session cannot
-- weaken it again
SELECT aura_migrate.set_environment('production');
\c -
SHOW aura_migrate.environment;
SELECT * FROM aura_migrate.rollback();
SET aura_migrate.environment = 'development';
SELECT aura_migrate.register('20270104002', 'sb_fail', $sql$
CREATE TABLE public.sb_fail (id int PRIMARY KEY, secret text); -- aura:allow table_without_rls
ALTER TABLE public.sb_fail ENABLE ROW LEVEL SECURITY;
INSERT INTO public.sb_fail VALUES (1, 'plaintext-secret'), (1, 'plaintext-secret');
$sql$);
SELECT * FROM aura_migrate.apply();
SELECT version, event, sqlstate, statement_text IS NULL AS no_text, detail IS NULL AS no_detail
  FROM aura_migrate.log WHERE version = '20270104002';
SELECT count(*) AS secret_in_log FROM aura_migrate.log
 WHERE concat_ws(' ', message, detail, statement_text) LIKE '%plaintext-secret%';
