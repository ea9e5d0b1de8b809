--
-- check_rls, probes: act as authenticated (with another user's JWT claims),
-- anon and service_role; report what crosses an owner boundary; leave no
-- row, no role and no setting behind
--
SET client_min_messages = warning;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
		CREATE ROLE anon NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
		CREATE ROLE authenticated NOLOGIN NOINHERIT;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
		CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
	END IF;
	IF to_regnamespace('auth') IS NULL THEN
		CREATE SCHEMA auth;
		GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
	END IF;
	IF to_regclass('auth.users') IS NULL THEN
		CREATE TABLE auth.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
	END IF;
	IF to_regprocedure('auth.uid()') IS NULL THEN
		CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
		$f$ SELECT (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')::uuid $f$;
	END IF;
END
$$;
RESET client_min_messages;

CREATE SCHEMA probe;
GRANT USAGE ON SCHEMA probe TO anon, authenticated, service_role;
CREATE TYPE probe.mood AS ENUM ('calm', 'tense');
CREATE DOMAIN probe.short_text AS text CHECK (length(VALUE) < 10);
-- a table with awkward columns, done right
CREATE TABLE probe.diary (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users (id),
	mood probe.mood NOT NULL,
	tags text[] NOT NULL,
	extra jsonb NOT NULL,
	title probe.short_text NOT NULL,
	weight numeric(5,2) NOT NULL,
	day date NOT NULL,
	secret bytea NOT NULL,
	done boolean NOT NULL,
	title_len int GENERATED ALWAYS AS (length(title)) STORED,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON probe.diary (user_id);
ALTER TABLE probe.diary ENABLE ROW LEVEL SECURITY;
CREATE POLICY diary_own ON probe.diary FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON probe.diary TO authenticated;
-- a partitioned one
CREATE TABLE probe.event (
	user_id uuid NOT NULL,
	at timestamptz NOT NULL,
	kind text NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE probe.event_all PARTITION OF probe.event DEFAULT;
CREATE INDEX ON probe.event (user_id);
ALTER TABLE probe.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe.event_all ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_own ON probe.event FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid()));
CREATE POLICY event_all_own ON probe.event_all FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON probe.event, probe.event_all TO authenticated;
-- views and foreign tables are not probed
CREATE VIEW probe.diary_titles WITH (security_invoker = true) AS
	SELECT id, title FROM probe.diary;

CREATE FUNCTION pg_temp.state() RETURNS TABLE (what text, value text)
LANGUAGE sql AS $$
	SELECT 'auth.users rows', count(*)::text FROM auth.users
	UNION ALL SELECT 'diary rows', count(*)::text FROM probe.diary
	UNION ALL SELECT 'event rows', count(*)::text FROM probe.event
	UNION ALL SELECT 'roles', count(*)::text FROM pg_roles
	UNION ALL SELECT 'current_user', current_user::text
	UNION ALL SELECT 'claims', current_setting('request.jwt.claims', true)
	UNION ALL SELECT 'row_security', current_setting('row_security')
	UNION ALL SELECT 'lock_timeout', current_setting('lock_timeout')
$$;
-- a row of a real user, which the probes must not disturb either
INSERT INTO auth.users (id) VALUES ('00000000-0000-0000-0000-00000000000a');
INSERT INTO probe.diary (user_id, mood, tags, extra, title, weight, day, secret, done)
VALUES ('00000000-0000-0000-0000-00000000000a', 'calm', '{}', '{}', 'x', 1, now(), '\x00', false);
SELECT set_config('request.jwt.claims', '{"sub":"someone"}', false);
CREATE TEMP TABLE before AS SELECT * FROM pg_temp.state();

-- done right: every table probed, nothing reached
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe}', true);
SELECT * FROM pg_temp.state() EXCEPT SELECT * FROM before;

-- authenticated reads, updates, deletes and inserts for another user
BEGIN;
ALTER POLICY diary_own ON probe.diary USING ((SELECT auth.uid()) IS NOT NULL);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe}', true)
 WHERE code = 'isolation_breach';
ROLLBACK;
-- a write policy that forgets the owner is caught even when SELECT is right
BEGIN;
DROP POLICY diary_own ON probe.diary;
CREATE POLICY diary_read ON probe.diary FOR SELECT TO authenticated
	USING (user_id = (SELECT auth.uid()));
CREATE POLICY diary_write ON probe.diary FOR UPDATE TO authenticated USING (true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe}', true)
 WHERE code = 'isolation_breach';
ROLLBACK;

-- anon and service_role with table privileges
BEGIN;
GRANT SELECT ON probe.event TO anon, service_role;
CREATE POLICY event_anon ON probe.event FOR SELECT TO anon USING (true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe}', true)
 WHERE code = 'isolation_breach';
ROLLBACK;

-- a table no row can be synthesised for is reported, never passed
CREATE TABLE probe.measure (
	user_id uuid NOT NULL REFERENCES auth.users (id),
	unit text NOT NULL CHECK (unit IN ('kg', 'lb'))
);
CREATE INDEX ON probe.measure (user_id);
ALTER TABLE probe.measure ENABLE ROW LEVEL SECURITY;
CREATE POLICY measure_own ON probe.measure FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON probe.measure TO authenticated;
SELECT severity, code, object, message, hint FROM aura_migrate.check_rls('{probe}', true);
-- its probe fixture makes it probed (and clean)
SELECT aura_migrate.register_probe_fixture('probe.measure',
	$$INSERT INTO probe.measure (user_id, unit) VALUES ($1, 'kg')$$, 'unit must be kg or lb');
SELECT severity, code, object FROM aura_migrate.check_rls('{probe}', true);
SELECT table_name, note, source FROM aura_migrate.probe_fixture WHERE table_name = 'probe.measure';
-- and the fixture's probe finds a hole like any other
BEGIN;
ALTER POLICY measure_own ON probe.measure USING (true);
SELECT severity, code, object FROM aura_migrate.check_rls('{probe}', true)
 WHERE code IN ('isolation_breach', 'not_probed');
ROLLBACK;
-- bad fixtures are refused
SELECT aura_migrate.register_probe_fixture('measure', 'INSERT INTO probe.measure VALUES ($1)');
SELECT aura_migrate.register_probe_fixture('probe.measure', 'INSERT INTO probe.measure DEFAULT VALUES');

-- nothing left behind by any of the above, inside a transaction block too
BEGIN;
SELECT count(*) >= 0 AS ran FROM aura_migrate.check_rls('{probe}', true);
SELECT * FROM pg_temp.state() EXCEPT SELECT * FROM before;
COMMIT;
SELECT * FROM pg_temp.state() EXCEPT SELECT * FROM before;

-- probes => NULL follows the environment: off in production
BEGIN;
ALTER POLICY diary_own ON probe.diary USING ((SELECT auth.uid()) IS NOT NULL);
SET LOCAL aura_migrate.environment = 'production';
SELECT severity, code, object FROM aura_migrate.check_rls('{probe}')
 WHERE code = 'isolation_breach';
SET LOCAL aura_migrate.environment = 'staging';
SELECT severity, code, object FROM aura_migrate.check_rls('{probe}')
 WHERE code = 'isolation_breach';
ROLLBACK;

DELETE FROM aura_migrate.probe_fixture WHERE table_name = 'probe.measure';
DROP SCHEMA probe CASCADE;
DELETE FROM auth.users WHERE id = '00000000-0000-0000-0000-00000000000a';
