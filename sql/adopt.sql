--
-- Adopting the engine on a live project: Supabase CLI file names, the
-- BEGIN ... COMMIT wrapper, baseline(), repair(), unregister(), rename,
-- down SQL on an applied migration, out-of-order versions, refused runs,
-- findings() and verify() acknowledgements
--
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
\set VERBOSITY default

-- 1. Supabase CLI names: 14 digits, no header needed; one time order with
-- the 11-digit scheme (YYYYMMDDNNN counts as the start of its day)
SELECT aura_migrate.register_file('supabase/migrations/20250101120000_create_notes.sql',
	E'create table ad_notes (id bigint primary key, body text); -- aura:allow table_without_rls\n');
SELECT aura_migrate.register_file('20250101093000_Add-Tags.v2.sql',
	'create table ad_tags (id int primary key); -- aura:allow table_without_rls');
SELECT aura_migrate.register('20250101001', 'same_day_start',
	'CREATE TABLE ad_first (id int PRIMARY KEY); -- aura:allow table_without_rls');
SELECT aura_migrate.register('20241231235959', 'year_end',
	'CREATE TABLE ad_year_end (id int PRIMARY KEY); -- aura:allow table_without_rls');
SELECT version, name, state FROM aura_migrate.status();
SELECT aura_migrate.version_key('20250101001') < aura_migrate.version_key('20250101000000') AS day_start_first,
	   aura_migrate.version_key('20241231235959') < aura_migrate.version_key('20250101001') AS previous_day_before;
-- a 14-digit file may carry the template header: its keys are read
SELECT aura_migrate.register_file('20250102080000_with_header.sql', $sql$-- Description: A header is optional here
-- Environments: development
SELECT 1;
$sql$);
SELECT version, description, environments FROM aura_migrate.migration WHERE version = '20250102080000';
-- bad names and versions
SELECT aura_migrate.register_file('20250101246000_late.sql', 'SELECT 1;');
SELECT aura_migrate.register_file('202501011200_short.sql', 'SELECT 1;');
SELECT aura_migrate.register_file('20250101120001_bad name.sql', 'SELECT 1;');
SELECT aura_migrate.register_file('20250101120001_.sql', 'SELECT 1;');
SELECT aura_migrate.register('20250101120001', 'Bad-ok-for-cli', 'SELECT 1;');
SELECT aura_migrate.register('20250101002', 'Bad-for-engine', 'SELECT 1;');
-- an 11-digit file still needs its header
SELECT aura_migrate.register_file('20250101003_no_header.sql', 'SELECT 1;');
-- dependencies compare in time order across the schemes
SELECT aura_migrate.register('20250101004', 'dep_later', 'SELECT 1;', depends_on => '{20250101093000}');
SELECT version, status FROM aura_migrate.apply();
SELECT version FROM aura_migrate.history ORDER BY applied_at, version;

-- 2. The BEGIN ... COMMIT wrapper of psql, dbmate and the Supabase CLI
SELECT aura_migrate.register_file('20250103100000_wrapped.sql', $sql$begin;
create table ad_wrapped (id int primary key); -- aura:allow table_without_rls
insert into ad_wrapped values (1);
commit;
$sql$);
SELECT statements FROM aura_migrate.migration WHERE version = '20250103100000';
SELECT severity, code, line FROM aura_migrate.findings('20250103100000');
SELECT aura_migrate.register_file('20250103100001_start_end.sql',
	E'START TRANSACTION;\nSELECT 1;\nEND;\n');
SELECT version, status, statements FROM aura_migrate.apply();
SELECT * FROM ad_wrapped;
-- anything else is still refused
SELECT aura_migrate.register_file('20250103100002_no_commit.sql', E'BEGIN;\nSELECT 1;\n');
SELECT aura_migrate.register_file('20250103100002_nested.sql', E'BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;\n');
SELECT aura_migrate.register_file('20250103100002_after.sql', E'BEGIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;\n');
SELECT aura_migrate.register_file('20250103100002_rollback.sql', E'BEGIN;\nSELECT 1;\nROLLBACK;\n');
SELECT aura_migrate.register_file('20250103100002_isolation.sql', E'BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;\n');
SELECT aura_migrate.register_file('20250103100002_notx.sql', E'-- aura:no-transaction\nBEGIN;\nCREATE INDEX CONCURRENTLY ad_i ON ad_wrapped (id);\nCOMMIT;\n');
SELECT aura_migrate.register_file('20250103100002_empty.sql', E'BEGIN;\nCOMMIT;\n');
SELECT aura_migrate.register_file('20250103100002_read_only.sql', E'SET TRANSACTION READ ONLY;\nSELECT 1;\n');
SELECT aura_migrate.register_file('20250103100002_..sql', 'SELECT 1;');

-- 3. Collisions: another name needs rename => true as well as replace
SELECT aura_migrate.register('20250104001', 'first_name', 'SELECT 1;');
\set VERBOSITY terse
SELECT aura_migrate.register('20250104001', 'other_name', 'SELECT 2;', replace => true);
\set VERBOSITY default
SELECT aura_migrate.register('20250104001', 'other_name', 'SELECT 2;', replace => true, rename => true);
SELECT name FROM aura_migrate.migration WHERE version = '20250104001';
SELECT aura_migrate.register('20250104001', 'other_name', 'SELECT 2;', rename => NULL);

-- 4. Down SQL may be added to an applied migration: logged, not drift
SELECT aura_migrate.register('20250101093000', 'Add-Tags.v2',
	'create table ad_tags (id int primary key); -- aura:allow table_without_rls',
	down_sql => 'DROP TABLE ad_tags;');
SELECT aura_migrate.register_file('20250101093000_Add-Tags.v2.sql',
	'create table ad_tags (id int primary key); -- aura:allow table_without_rls',
	down_sql => 'DROP TABLE ad_tags; -- again');
SELECT event, checksum = aura_migrate.checksum('create table ad_tags (id int primary key); -- aura:allow table_without_rls') AS of_the_sql,
	   message ~ '^down SQL set \(SHA-256 [0-9a-f]{64}\)$' AS says_what
  FROM aura_migrate.log WHERE version = '20250101093000' AND event = 'down_changed' ORDER BY id;
SELECT version, state FROM aura_migrate.status() WHERE version = '20250101093000';
-- its SQL still cannot change
SELECT aura_migrate.register('20250101093000', 'Add-Tags.v2', 'create table ad_tags (id bigint primary key);');

-- 5. Drift: registering the SQL that was applied puts it back; repair()
-- accepts the new SQL instead
UPDATE aura_migrate.migration SET up_sql = up_sql || E'\n-- edited' WHERE version = '20250101001';
SELECT version, state FROM aura_migrate.status() WHERE version = '20250101001';
SELECT aura_migrate.register('20250101001', 'same_day_start',
	'CREATE TABLE ad_first (id int PRIMARY KEY); -- aura:allow table_without_rls');
SELECT version, state FROM aura_migrate.status() WHERE version = '20250101001';
UPDATE aura_migrate.migration SET up_sql = up_sql || E'\n-- edited' WHERE version = '20250101001';
SELECT aura_migrate.repair('20250101001');
SELECT version, state FROM aura_migrate.status() WHERE version = '20250101001';
SELECT h.checksum = m.checksum AS history_follows
  FROM aura_migrate.history h JOIN aura_migrate.migration m USING (version) WHERE version = '20250101001';
SELECT event, message ~ '^applied checksum [0-9a-f]{64} replaced by [0-9a-f]{64}$' AS both_checksums,
	   username = current_user AS by_me
  FROM aura_migrate.log WHERE version = '20250101001' AND event = 'repaired' ORDER BY id;
-- repair() with the edited SQL of a file
SELECT aura_migrate.repair('20250101001', sql => E'CREATE TABLE ad_first (id int PRIMARY KEY); -- aura:allow table_without_rls\n-- reformatted\n');
SELECT up_sql ~ 'reformatted' AS took_the_sql, (SELECT state FROM aura_migrate.status() WHERE version = '20250101001')
  FROM aura_migrate.migration WHERE version = '20250101001';
-- what cannot be repaired
SELECT aura_migrate.repair('20250101001');
SELECT aura_migrate.repair('20250104001');
SELECT aura_migrate.repair('20250105001');
SELECT aura_migrate.repair('2025');
SELECT aura_migrate.repair('20250101001', sql => 'CREAT TABLE x;');
UPDATE aura_migrate.migration SET up_sql = up_sql || E'\n-- edited' WHERE version = '20250101001';
BEGIN;
SET LOCAL aura_migrate.environment = 'production';
SELECT aura_migrate.repair('20250101001');
ROLLBACK;
BEGIN;
SET LOCAL aura_migrate.environment = 'production';
SELECT aura_migrate.repair('20250101001', force => true);
ROLLBACK;
SELECT aura_migrate.repair('20250101001');

-- 6. unregister(): a pending migration whose file was deleted
SELECT aura_migrate.register('20250105001', 'will_go', 'SELECT 1;');
SELECT aura_migrate.register('20250105002', 'needs_it', 'SELECT 1;', depends_on => '{20250105001}');
SELECT aura_migrate.unregister('20250105001');
SELECT aura_migrate.unregister('20250105002');
SELECT aura_migrate.unregister('20250105001');
SELECT event, message FROM aura_migrate.log WHERE event = 'unregistered' ORDER BY id;
SELECT aura_migrate.unregister('20250105001');
SELECT aura_migrate.unregister('20250101001');
SELECT aura_migrate.unregister(NULL);
SELECT aura_migrate.unregister('20250100001');

-- 7. Out of order: a teammate's older version, registered after newer
-- ones were applied
SELECT aura_migrate.unregister('20250104001');
SELECT aura_migrate.register('20250102001', 'teammate', 'CREATE TABLE ad_teammate (id int); -- aura:allow table_without_rls');
BEGIN;
SET LOCAL aura_migrate.environment = 'staging';
SELECT version, status FROM aura_migrate.apply();
ROLLBACK;
SELECT event, version, sqlstate, message FROM aura_migrate.log WHERE event = 'refused' ORDER BY id DESC LIMIT 1;
SELECT aura_migrate.report() ~ 'refused in its pre-checks, nothing applied: pending migration 20250102001 is older than the newest applied migration' AS report_shows_it;
BEGIN;
SET LOCAL aura_migrate.environment = 'staging';
SELECT version, status FROM aura_migrate.apply(out_of_order => true);
ROLLBACK;
-- in development it runs, with a WARNING
SELECT version, status FROM aura_migrate.apply();
SELECT aura_migrate.apply(out_of_order => NULL);

-- 8. findings(): resolved once the live schema has it; bad versions are errors
SELECT aura_migrate.register('20250106001', 'fk_without_index', $sql$
CREATE TABLE ad_parent (id int PRIMARY KEY); -- aura:allow table_without_rls
CREATE TABLE ad_child (id int PRIMARY KEY, parent_id int REFERENCES ad_parent); -- aura:allow table_without_rls
$sql$);
SELECT code, resolved FROM aura_migrate.findings('20250106001');
SELECT findings FROM aura_migrate.status() WHERE version = '20250106001';
SELECT version, status FROM aura_migrate.apply();
SELECT code, resolved FROM aura_migrate.findings('20250106001');
SELECT aura_migrate.register('20250106002', 'index_it',
	'CREATE INDEX ad_child_parent_idx ON ad_child (parent_id); -- aura:allow index_blocks_writes');
SELECT version, status FROM aura_migrate.apply();
SELECT code, resolved FROM aura_migrate.findings('20250106001');
SELECT findings FROM aura_migrate.status() WHERE version = '20250106001';
SELECT * FROM aura_migrate.findings('20250199001');
SELECT * FROM aura_migrate.findings('not-a-version');

-- 9. verify(): acknowledged findings, and objects a later migration changed
CREATE TABLE ad_by_hand (id int);
SELECT code, object FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
SELECT aura_migrate.acknowledge('changed_outside_migrations', 'public.ad_by_hand', 'made for a one-off report');
SELECT code, object FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
SELECT object, acknowledged_by = session_user AS by_me, note FROM aura_migrate.acknowledgement;
ALTER TABLE ad_by_hand ADD COLUMN extra int;
SELECT code, object FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
-- a migration that takes the object over: no longer reported
SELECT aura_migrate.register('20250107001', 'adopt_by_hand',
	'ALTER TABLE ad_by_hand ADD COLUMN note text; -- aura:allow table_without_rls');
SELECT version, status FROM aura_migrate.apply();
SELECT code, object FROM aura_migrate.verify() WHERE code = 'changed_outside_migrations';
-- an acknowledged state finding comes back when the object changes again
SELECT aura_migrate.register('20250107002', 'rls_table',
	'CREATE TABLE ad_secured (id int PRIMARY KEY); ALTER TABLE ad_secured ENABLE ROW LEVEL SECURITY;');
SELECT version, status FROM aura_migrate.apply();
ALTER TABLE ad_secured DISABLE ROW LEVEL SECURITY;
SELECT code, object FROM aura_migrate.verify() WHERE code = 'table_without_rls';
SELECT aura_migrate.acknowledge('table_without_rls', 'public.ad_secured', 'a cache, no user rows');
SELECT count(*) AS reported FROM aura_migrate.verify() WHERE code = 'table_without_rls';
ALTER TABLE ad_secured ENABLE ROW LEVEL SECURITY;
ALTER TABLE ad_secured DISABLE ROW LEVEL SECURITY;
SELECT code, object FROM aura_migrate.verify() WHERE code = 'table_without_rls';
DROP TABLE ad_secured;
SELECT aura_migrate.acknowledge('changed_outside_migrations', 'public.nothing_here');
SELECT aura_migrate.acknowledge('drifted', '20250101001');
SELECT aura_migrate.acknowledge(NULL, 'x');

-- 10. baseline(): a database that psql built before the engine came
DROP TABLE ad_notes, ad_tags, ad_first, ad_year_end, ad_wrapped, ad_teammate,
	ad_child, ad_parent, ad_by_hand;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
CREATE SCHEMA ad_app;
CREATE TYPE ad_app.feeling AS ENUM ('ok', 'bad');
CREATE TABLE ad_app.profile (id uuid PRIMARY KEY, display_name text, mood ad_app.feeling, avatar text);
CREATE TABLE ad_app."MixedCase" (id int PRIMARY KEY);
ALTER TABLE ad_app.profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Own profile only" ON ad_app.profile USING (id = auth.uid());
CREATE INDEX profile_display_name_idx ON ad_app.profile (display_name);
CREATE FUNCTION ad_app.touch_row() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER profile_touch BEFORE UPDATE ON ad_app.profile FOR EACH ROW EXECUTE FUNCTION ad_app.touch_row();
CREATE VIEW ad_app.names WITH (security_invoker) AS SELECT display_name FROM ad_app.profile;
SELECT aura_migrate.register_file('20240101000000_init.sql', $sql$begin;
create schema ad_app;
create type ad_app.mood as enum ('ok', 'bad');
create table ad_app.profile (id uuid primary key, display_name text, mood ad_app.mood);
alter table ad_app.profile enable row level security;
create policy "Own profile" on ad_app.profile using (id = auth.uid());
create table ad_app.scratch (id int);
create schema ad_tmp;
create table ad_tmp.t (id int primary key);
commit;
$sql$);
SELECT aura_migrate.register_file('20240102000000_more.sql', $sql$
alter table ad_app.profile add column avatar text;
alter table ad_app.profile add column gone text;
alter table ad_app.profile drop column gone;
drop table ad_app.scratch;
create index profile_name_idx on ad_app.profile (display_name);
alter index ad_app.profile_name_idx rename to profile_display_name_idx;
alter policy "Own profile" on ad_app.profile rename to "Own profile only";
drop schema ad_tmp cascade;
create function ad_app.touch() returns trigger language plpgsql as $$begin return new; end$$;
create trigger profile_touch before update on ad_app.profile for each row execute function ad_app.touch();
create view ad_app.names with (security_invoker) as select display_name from ad_app.profile;
alter function ad_app.touch() rename to touch_row;
alter type ad_app.mood rename to feeling;
set search_path to ad_app, public;
create table "MixedCase" (id int primary key); -- aura:allow table_without_rls
$sql$);
SELECT aura_migrate.register_file('20240103000000_not_yet.sql',
	'create table ad_app.later (id int primary key); alter table ad_app.later enable row level security;');
-- applying would fail: the objects exist
BEGIN;
SELECT version, status FROM aura_migrate.apply();
ROLLBACK;
-- baseline at the second: the third stays pending
SELECT * FROM aura_migrate.baseline('20240102000000');
SELECT version, state, applied_by = current_user AS by_me FROM aura_migrate.status();
SELECT version, event, message, checksum IS NOT NULL AS has_checksum FROM aura_migrate.log ORDER BY id;
-- what the baselined migrations create is theirs now: not "changed outside
-- migrations", and watched by verify()
SELECT count(*) AS recorded, count(*) FILTER (WHERE command_tag = 'BASELINE') AS by_baseline
  FROM aura_migrate.object_change WHERE version IS NOT NULL;
SELECT code, object FROM aura_migrate.verify();
DROP POLICY "Own profile only" ON ad_app.profile;
SELECT code, object FROM aura_migrate.verify();
CREATE POLICY "Own profile only" ON ad_app.profile USING (id = auth.uid());
SELECT version, status FROM aura_migrate.apply();
-- bad baselines
SELECT * FROM aura_migrate.baseline('20240102000000');
SELECT * FROM aura_migrate.baseline('20240101000000');
SELECT * FROM aura_migrate.baseline('20240109000000');
SELECT * FROM aura_migrate.baseline('2024');
SELECT * FROM aura_migrate.baseline(NULL);
-- what is missing is listed, and the baseline refused unless force
SELECT aura_migrate.register_file('20240104000000_elsewhere.sql', $sql$
create table ad_app.invoice (id int primary key, total numeric);
alter table ad_app.profile add column plan text;
create policy "Own invoices" on ad_app.invoice using (true);
create extension if not exists no_such_extension;
create function ad_app.missing_fn() returns int language sql as 'select 1';
create type ad_app.missing_type as (a int);
create sequence ad_app.missing_seq;
$sql$);
SELECT aura_migrate.register_file('20240105000000_next.sql', 'select 1;');
SELECT * FROM aura_migrate.baseline('20240105000000');
SELECT version, state FROM aura_migrate.status() WHERE version >= '20240104000000';
SELECT * FROM aura_migrate.baseline('20240105000000', force => true);
SELECT version, state FROM aura_migrate.status() WHERE version >= '20240104000000';
SELECT message FROM aura_migrate.log WHERE version = '20240104000000';

-- report() (a review): the default report shows what the registry logged
-- after the last run (a baseline, an unregister), a registry event without
-- a SQLSTATE is not followed by an empty "(SQLSTATE )", and DDL made by hand
-- that a baseline took over is no longer "changed outside migrations"
SELECT aura_migrate.register_file('20240106000000_run.sql', 'create table ad_app.ran (id int primary key);
alter table ad_app.ran enable row level security;');
SELECT version, status FROM aura_migrate.apply('20240106000000');
CREATE TABLE ad_app.by_hand (id int PRIMARY KEY);
ALTER TABLE ad_app.by_hand ENABLE ROW LEVEL SECURITY;
SELECT aura_migrate.report() ~ 'changed outside migrations: table ad_app.by_hand' AS by_hand_listed;
SELECT aura_migrate.register_file('20240107000000_by_hand.sql', 'create table ad_app.by_hand (id int primary key);
alter table ad_app.by_hand enable row level security;');
SELECT aura_migrate.register_file('20240108000000_never.sql', 'select 1;');
SELECT * FROM aura_migrate.baseline('20240107000000');
SELECT aura_migrate.unregister('20240108000000');
SELECT aura_migrate.report() ~ 'baselined\s+20240107000000' AS baseline_in_default_report,
	   aura_migrate.report() ~ 'unregistered\s+20240108000000' AS unregister_in_default_report,
	   aura_migrate.report() LIKE '%(SQLSTATE )%' AS empty_sqlstate,
	   aura_migrate.report() ~ 'changed outside migrations: table ad_app.by_hand' AS by_hand_still_listed;

-- clean up
DROP SCHEMA ad_app CASCADE;
DELETE FROM aura_migrate.migration;
DELETE FROM aura_migrate.history;
DELETE FROM aura_migrate.log;
DELETE FROM aura_migrate.object_change;
DELETE FROM aura_migrate.acknowledgement;
