--
-- check_rls, probes: act as authenticated (with another user's JWT claims),
-- anon and service_role; report what crosses an owner boundary; leave no
-- row, no role and no setting behind
--
-- (anon, authenticated, service_role and auth come from setup.sql)

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
-- a fixture runs as the table's owner only when the role that registered it
-- could act as that owner (an attacker pass: a role granted
-- register_probe_fixture() had its SQL run as a superuser's table's owner)
CREATE ROLE regress_fixture_author NOSUPERUSER;
GRANT USAGE ON SCHEMA aura_migrate TO regress_fixture_author;
GRANT EXECUTE ON FUNCTION aura_migrate.register_probe_fixture(text, text, text) TO regress_fixture_author;
SET SESSION AUTHORIZATION regress_fixture_author;
SELECT aura_migrate.register_probe_fixture('probe.measure',
	$$INSERT INTO probe.measure (user_id, unit) VALUES ($1, 'lb')$$);
RESET SESSION AUTHORIZATION;
SELECT registered_by FROM aura_migrate.probe_fixture WHERE table_name = 'probe.measure';
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe}', true)
 WHERE code = 'not_probed';
-- registered by a role that can act as the owner: used again
SELECT aura_migrate.register_probe_fixture('probe.measure',
	$$INSERT INTO probe.measure (user_id, unit) VALUES ($1, 'kg')$$, 'unit must be kg or lb');
SELECT count(*) AS not_probed FROM aura_migrate.check_rls('{probe}', true) WHERE code = 'not_probed';
REVOKE ALL ON FUNCTION aura_migrate.register_probe_fixture(text, text, text) FROM regress_fixture_author;
REVOKE ALL ON SCHEMA aura_migrate FROM regress_fixture_author;
DROP ROLE regress_fixture_author;

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

-- hostile code in a probed table: the probes run the owner's trigger as the
-- API roles; it reads a secret only service_role may read and raises it, takes
-- a session advisory lock, advances a sequence and sets a setting for the
-- session.  The probes echo none of it and leave none of it behind.
CREATE SCHEMA probe_vault;
CREATE TABLE probe_vault.secret (stripe_key text NOT NULL);
INSERT INTO probe_vault.secret VALUES ('sk_live_probe_secret_4242');
GRANT USAGE ON SCHEMA probe_vault TO anon, authenticated, service_role;
GRANT SELECT ON probe_vault.secret TO service_role;
CREATE SEQUENCE probe_vault.ticket;
GRANT USAGE ON SEQUENCE probe_vault.ticket TO anon, authenticated, service_role;
SELECT setval('probe_vault.ticket', 41);
CREATE SCHEMA probe_hostile;
GRANT USAGE ON SCHEMA probe_hostile TO anon, authenticated, service_role;
CREATE TABLE probe_hostile.note (
	user_id uuid NOT NULL REFERENCES auth.users (id),
	body text NOT NULL
);
CREATE INDEX ON probe_hostile.note (user_id);
ALTER TABLE probe_hostile.note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_own ON probe_hostile.note FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT, UPDATE, DELETE ON probe_hostile.note TO authenticated;
GRANT INSERT, UPDATE, DELETE ON probe_hostile.note TO service_role;
CREATE FUNCTION probe_hostile.snoop() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
	PERFORM pg_catalog.pg_advisory_lock(4242);
	PERFORM pg_catalog.nextval('probe_vault.ticket');
	PERFORM pg_catalog.set_config('probe.flag', 'changed by ' || current_user, false);
	IF current_user = 'service_role' THEN
		RAISE WARNING 'leak as service_role: stripe_key=%',
			(SELECT s.stripe_key FROM probe_vault.secret s);
		RAISE EXCEPTION 'leak as service_role: stripe_key=%',
			(SELECT s.stripe_key FROM probe_vault.secret s)
			USING DETAIL = 'detail ' || (SELECT s.stripe_key FROM probe_vault.secret s),
			      HINT = 'hint ' || (SELECT s.stripe_key FROM probe_vault.secret s);
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER note_snoop BEFORE INSERT OR UPDATE OR DELETE ON probe_hostile.note
	FOR EACH STATEMENT EXECUTE FUNCTION probe_hostile.snoop();
SET probe.flag = 'before';
-- the caller's own advisory lock is not the probes' business: it stays
SELECT pg_advisory_lock(7);
CREATE TEMP TABLE probe_sanity AS
	SELECT (SELECT last_value FROM probe_vault.ticket) AS ticket,
	       current_setting('probe.flag') AS flag;
CREATE TEMP TABLE probe_out AS
	SELECT * FROM aura_migrate.check_rls('{probe_hostile}', true);
-- service_role's tries are unproven, and say only which try and which SQLSTATE
SELECT severity, code, message FROM probe_out WHERE code = 'not_probed' ORDER BY message;
-- the secret is nowhere in the findings
SELECT count(*) AS findings_with_secret FROM probe_out f
 WHERE f::text LIKE '%sk_live%';
-- no advisory lock but the caller's own, the sequence where it was, the
-- setting as it was
SELECT objid, mode FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'advisory' ORDER BY objid;
SELECT last_value, is_called FROM probe_vault.ticket;
SELECT s.ticket = (SELECT last_value FROM probe_vault.ticket) AS ticket_unchanged,
       s.flag = current_setting('probe.flag') AS flag_unchanged,
       current_setting('probe.flag') AS flag
  FROM probe_sanity s;
SELECT pg_advisory_unlock(7) AS unlocked;
-- inside a transaction block, where the caller holds a transaction-level lock
BEGIN;
SELECT pg_advisory_xact_lock(7);
SELECT count(*) >= 0 AS ran FROM aura_migrate.check_rls('{probe_hostile}', true);
SELECT objid, mode FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'advisory' ORDER BY objid;
SELECT last_value FROM probe_vault.ticket;
SELECT current_setting('probe.flag') AS flag;
COMMIT;
-- a cancel raised by the probed code still cancels, but with a message of
-- our own, and the clean-up has run: no lock, the sequence where it was
BEGIN;
CREATE OR REPLACE FUNCTION probe_hostile.snoop() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
	PERFORM pg_catalog.pg_advisory_lock(4242);
	PERFORM pg_catalog.nextval('probe_vault.ticket');
	IF current_user = 'service_role' THEN
		RAISE EXCEPTION USING ERRCODE = 'query_canceled',
			MESSAGE = 'leak as service_role: ' || (SELECT s.stripe_key FROM probe_vault.secret s);
	END IF;
	RETURN NULL;
END
$$;
SELECT count(*) FROM aura_migrate.check_rls('{probe_hostile}', true);
ROLLBACK;
SELECT objid, mode FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'advisory' ORDER BY objid;
SELECT last_value, is_called FROM probe_vault.ticket;
RESET probe.flag;
DROP TABLE probe_out, probe_sanity;
DROP SCHEMA probe_hostile CASCADE;
DROP SCHEMA probe_vault CASCADE;

DELETE FROM aura_migrate.probe_fixture WHERE table_name = 'probe.measure';
DROP SCHEMA probe CASCADE;
DELETE FROM auth.users WHERE id = '00000000-0000-0000-0000-00000000000a';

-- a migrator that is not a superuser (Supabase's postgres): it may probe as
-- the API roles it can SET ROLE to, creating rows as the table owners it can
-- act as; a table whose owner it cannot act as is not probed, and says why
CREATE ROLE regress_prober NOSUPERUSER;
CREATE ROLE regress_stranger NOSUPERUSER;
GRANT anon, authenticated, service_role TO regress_prober;
GRANT USAGE ON SCHEMA aura_migrate TO regress_prober;
GRANT EXECUTE ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) TO regress_prober;
GRANT INSERT, REFERENCES ON auth.users TO regress_prober;
CREATE SCHEMA probe_np AUTHORIZATION regress_prober;
GRANT USAGE ON SCHEMA probe_np TO anon, authenticated, service_role;
SET ROLE regress_prober;
CREATE TABLE probe_np.note (
	id bigserial PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users (id),
	body text NOT NULL
);
CREATE INDEX ON probe_np.note (user_id);
ALTER TABLE probe_np.note ENABLE ROW LEVEL SECURITY;
-- leaky: every authenticated user reads every note
CREATE POLICY note_read ON probe_np.note FOR SELECT TO authenticated USING (auth.uid() IS NOT NULL);
CREATE POLICY note_write ON probe_np.note FOR INSERT TO authenticated WITH CHECK (user_id = (SELECT auth.uid()));
GRANT SELECT, INSERT ON probe_np.note TO authenticated;
RESET ROLE;
CREATE TABLE probe_np.theirs (
	id bigint PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users (id)
);
ALTER TABLE probe_np.theirs OWNER TO regress_stranger;
ALTER TABLE probe_np.theirs ENABLE ROW LEVEL SECURITY;
CREATE INDEX ON probe_np.theirs (user_id);
CREATE POLICY theirs_own ON probe_np.theirs FOR ALL TO authenticated USING (user_id = (SELECT auth.uid()));
SELECT last_value AS note_seq_before FROM probe_np.note_id_seq;
SET ROLE regress_prober;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_np}', true)
 WHERE code IN ('isolation_breach', 'not_probed', 'probes_skipped') ORDER BY object, code;
SELECT count(*) AS notes_left FROM probe_np.note;
RESET ROLE;
SELECT last_value AS note_seq_after FROM probe_np.note_id_seq;
SELECT count(*) AS auth_users_left FROM auth.users;
-- an insert into auth.users as the prober would run another role's trigger
-- with the prober's privileges (an attacker pass: the trigger's owner read
-- the prober's data through a sequence): not probed, and says why
CREATE FUNCTION public.stranger_trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
ALTER FUNCTION public.stranger_trg() OWNER TO regress_stranger;
CREATE TRIGGER stranger_trg BEFORE INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION public.stranger_trg();
SET ROLE regress_prober;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_np}', true)
 WHERE code = 'not_probed' ORDER BY object;
RESET ROLE;
-- SECURITY DEFINER, it runs as its owner, not as the prober: probed
ALTER FUNCTION public.stranger_trg() SECURITY DEFINER;
SET ROLE regress_prober;
SELECT count(*) AS not_probed FROM aura_migrate.check_rls('{probe_np}', true)
 WHERE code = 'not_probed' AND object = 'probe_np.note';
RESET ROLE;
DROP TRIGGER stranger_trg ON auth.users;
DROP FUNCTION public.stranger_trg();
-- without INSERT on auth.users, and not its owner: no synthetic user
REVOKE INSERT ON auth.users FROM regress_prober;
SET ROLE regress_prober;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_np}', true)
 WHERE code = 'not_probed' ORDER BY object;
RESET ROLE;
DROP SCHEMA probe_np CASCADE;
REVOKE ALL ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) FROM regress_prober;
REVOKE ALL ON SCHEMA aura_migrate FROM regress_prober;
REVOKE ALL ON auth.users FROM regress_prober;
DROP ROLE regress_prober, regress_stranger;

-- Probes that reach real tables (a review: 59 tables of nine real projects
-- were not_probed, and an UPDATE probe set the primary key and hit a
-- unique violation): a NOT NULL foreign key gets a parent row made for it
-- (its own user column gets the user's id), a unique text key distinct
-- values, and the UPDATE sets a column that is not a key, not referenced
-- and not a foreign key
CREATE SCHEMA probe_reach;
GRANT USAGE ON SCHEMA probe_reach TO anon, authenticated;
CREATE TABLE probe_reach.workspace (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner_id uuid NOT NULL REFERENCES auth.users (id),
	name text NOT NULL
);
CREATE TABLE probe_reach.task (
	slug text PRIMARY KEY,
	workspace_id bigint NOT NULL REFERENCES probe_reach.workspace (id),
	user_id uuid NOT NULL REFERENCES auth.users (id),
	title text NOT NULL,
	done boolean NOT NULL DEFAULT false
);
CREATE TABLE probe_reach.task_note (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	task_slug text NOT NULL REFERENCES probe_reach.task (slug),
	user_id uuid NOT NULL REFERENCES auth.users (id),
	body text
);
ALTER TABLE probe_reach.workspace ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_reach.task ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_reach.task_note ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA probe_reach TO authenticated;
CREATE POLICY own ON probe_reach.workspace FOR ALL TO authenticated
	USING (owner_id = (SELECT auth.uid())) WITH CHECK (owner_id = (SELECT auth.uid()));
CREATE POLICY own ON probe_reach.task FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY own ON probe_reach.task_note FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
-- correct: every table probed, nothing reached
SELECT severity, code, object FROM aura_migrate.check_rls('{probe_reach}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, code;
-- a broken UPDATE policy on the table two foreign keys deep is found
ALTER POLICY own ON probe_reach.task_note USING (true);
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_reach}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, code, message;
-- a parent that cannot be synthesised (its CHECK) is named in not_probed
ALTER POLICY own ON probe_reach.task_note USING (user_id = (SELECT auth.uid()));
ALTER TABLE probe_reach.workspace ADD CONSTRAINT named CHECK (name LIKE 'ws-%');
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_reach}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, code, message;
DROP SCHEMA probe_reach CASCADE;

-- SECURITY DEFINER functions are probed too (a review: one that returned a
-- per-user table's rows by id, with no auth.uid() filter, was not analysed;
-- a PL/pgSQL body is not read structurally): each function of one to four
-- arguments that authenticated may call is called as user B with the key
-- of user A's row or A's id; returning A's row, or deleting or changing it,
-- is an isolation_breach
CREATE SCHEMA probe_fn;
GRANT USAGE ON SCHEMA probe_fn TO anon, authenticated;
CREATE TABLE probe_fn.note (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES auth.users (id),
	body text
);
ALTER TABLE probe_fn.note ENABLE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON probe_fn.note TO authenticated;
CREATE POLICY own ON probe_fn.note FOR ALL TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE FUNCTION probe_fn.note_of(p_id bigint) RETURNS SETOF probe_fn.note
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN QUERY SELECT * FROM probe_fn.note n WHERE n.id = p_id; END $$;
CREATE FUNCTION probe_fn.forget(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$ BEGIN DELETE FROM probe_fn.note n WHERE n.id = p_id; END $$;
CREATE FUNCTION probe_fn.blank(p_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$ BEGIN UPDATE probe_fn.note n SET body = 'blanked' WHERE n.id = p_id; RETURN found; END $$;
CREATE FUNCTION probe_fn.my_note(p_id bigint) RETURNS SETOF probe_fn.note
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN QUERY SELECT * FROM probe_fn.note n
	WHERE n.id = p_id AND n.user_id = (SELECT auth.uid()); END $$;
CREATE FUNCTION probe_fn.forget_mine(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$ BEGIN DELETE FROM probe_fn.note n WHERE n.id = p_id AND n.user_id = (SELECT auth.uid()); END $$;
CREATE FUNCTION probe_fn.refuse(p_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
-- more arguments: the key and a user's id passed where the names say so,
-- the others synthesised or left to their defaults; rows returned as a
-- TABLE with the owner column count as the table's
CREATE FUNCTION probe_fn.notes_page(p_id bigint, p_limit integer DEFAULT 10)
RETURNS SETOF probe_fn.note
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT * FROM probe_fn.note n WHERE n.id >= p_id ORDER BY n.id LIMIT p_limit $$;
CREATE FUNCTION probe_fn.note_view(p_id bigint, p_format text)
RETURNS TABLE (id bigint, user_id uuid, shown text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN QUERY SELECT n.id, n.user_id, p_format || n.body FROM probe_fn.note n
	WHERE n.id = p_id; END $$;
CREATE FUNCTION probe_fn.notes_of_user(p_user_id uuid, p_limit integer)
RETURNS SETOF probe_fn.note
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN QUERY SELECT * FROM probe_fn.note n WHERE n.user_id = p_user_id
	LIMIT p_limit; END $$;
CREATE FUNCTION probe_fn.rename_note(p_id bigint, p_body text, p_owner uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$ BEGIN UPDATE probe_fn.note n SET body = p_body WHERE n.id = p_id AND n.user_id = p_owner; END $$;
-- their fixed forms: the caller is checked
CREATE FUNCTION probe_fn.my_notes_page(p_id bigint, p_limit integer DEFAULT 10)
RETURNS SETOF probe_fn.note
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$ SELECT * FROM probe_fn.note n WHERE n.id >= p_id AND n.user_id = (SELECT auth.uid())
	ORDER BY n.id LIMIT p_limit $$;
CREATE FUNCTION probe_fn.my_notes_of_user(p_user_id uuid, p_limit integer)
RETURNS SETOF probe_fn.note
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN IF p_user_id IS DISTINCT FROM (SELECT auth.uid()) THEN RAISE EXCEPTION 'not yours'; END IF;
	RETURN QUERY SELECT * FROM probe_fn.note n WHERE n.user_id = p_user_id LIMIT p_limit; END $$;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA probe_fn FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA probe_fn TO authenticated;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_fn}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, message;
-- a function allow_definer lists may read (it is meant to), not change
SELECT severity, code, object FROM aura_migrate.check_rls('{probe_fn}', true,
	allow_definer => '{probe_fn.note_of, probe_fn.blank}')
 WHERE code = 'isolation_breach' AND object ~ '^probe_fn\.(note_of|blank)\(' ORDER BY object;
-- a table whose rows a policy lets every user read (and no policy says
-- otherwise; outside a zero-knowledge database): reading them through a
-- function is not a breach (policy_always_true says it), changing them is
BEGIN;
DELETE FROM aura_migrate.zero_knowledge_role;
SET LOCAL aura_migrate.zero_knowledge_roles = '';
DROP POLICY own ON probe_fn.note;
CREATE POLICY everyone_reads ON probe_fn.note FOR SELECT TO authenticated USING (true);
CREATE POLICY own_update ON probe_fn.note FOR UPDATE TO authenticated
	USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY own_delete ON probe_fn.note FOR DELETE TO authenticated
	USING (user_id = (SELECT auth.uid()));
SELECT severity, code, object FROM aura_migrate.check_rls('{probe_fn}', true)
 WHERE code = 'isolation_breach' AND object LIKE 'probe_fn.%(%' ORDER BY object;
ROLLBACK;
-- the note itself is untouched
SELECT count(*) AS notes_left FROM probe_fn.note;
DROP SCHEMA probe_fn CASCADE;

-- Probes of a team-scoped table make each user a member of the team of
-- their own row, so that user B is a member of a team, only not of A's: a
-- PL/pgSQL membership helper that ignores the team it is asked about
-- (structurally only "scope not verified") is caught
CREATE SCHEMA probe_team;
GRANT USAGE ON SCHEMA probe_team TO anon, authenticated;
CREATE TABLE probe_team.teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE probe_team.members (
	team_id bigint NOT NULL REFERENCES probe_team.teams (id),
	user_id uuid NOT NULL REFERENCES auth.users (id),
	role text NOT NULL DEFAULT 'member',
	PRIMARY KEY (team_id, user_id)
);
CREATE TABLE probe_team.projects (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	team_id bigint NOT NULL REFERENCES probe_team.teams (id),
	created_by uuid NOT NULL REFERENCES auth.users (id),
	name text
);
ALTER TABLE probe_team.teams ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_team.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_team.projects ENABLE ROW LEVEL SECURITY;
GRANT SELECT ON probe_team.projects TO authenticated;
CREATE FUNCTION probe_team.is_member(p_team bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM probe_team.members m
	WHERE m.user_id = (SELECT auth.uid())); END $$;
REVOKE ALL ON FUNCTION probe_team.is_member(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION probe_team.is_member(bigint) TO authenticated;
CREATE POLICY "Members read projects" ON probe_team.projects FOR SELECT TO authenticated
	USING (probe_team.is_member(team_id));
SELECT severity, code, object FROM aura_migrate.check_rls('{probe_team}', false)
 WHERE object LIKE 'probe_team.projects%' AND severity <> 'warning' ORDER BY code, object;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_team}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, message;
-- the helper that checks the team: nothing reached
CREATE OR REPLACE FUNCTION probe_team.is_member(p_team bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$ BEGIN RETURN EXISTS (SELECT 1 FROM probe_team.members m
	WHERE m.team_id = p_team AND m.user_id = (SELECT auth.uid())); END $$;
SELECT severity, code, object, message FROM aura_migrate.check_rls('{probe_team}', true)
 WHERE code IN ('isolation_breach', 'not_probed') ORDER BY object, message;
DROP SCHEMA probe_team CASCADE;
