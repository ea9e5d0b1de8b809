-- test/load/setup.sql: seed for test/load/aura_load.sh (psql -v nusers=N -v recs=R -v hot=H)
--
-- Users 0 .. nusers-1 get recs cycle records each (record j of user u has the id
-- loadtest.rid(u, j)); user nusers is the "hot" user whose first hot records
-- every client updates, so that optimistic-update conflicts really happen.
-- updated_at is spread over the last 30 days (the versioning and updated_at
-- triggers are skipped while seeding, with session_replication_role), versions
-- start between 1 and 5.  loadtest.track records every optimistic update the
-- load makes, in the load's own transaction.
\set ON_ERROR_STOP 1
CREATE SCHEMA loadtest;
GRANT USAGE ON SCHEMA loadtest TO authenticated;

CREATE FUNCTION loadtest.uid(u integer) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid $$;

CREATE FUNCTION loadtest.rid(u integer, j integer) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(u::bigint * 10000 + j), 12, '0'))::uuid $$;

-- What PostgREST does at the start of a request: the JWT claims as transaction-local
-- settings (request.jwt.claims, and the legacy request.jwt.claim.sub).
CREATE FUNCTION loadtest.act_as(u integer) RETURNS void
LANGUAGE sql VOLATILE
AS $$
	SELECT set_config('request.jwt.claims',
		json_build_object('sub', loadtest.uid(u), 'role', 'authenticated')::text, true),
	       set_config('request.jwt.claim.sub', loadtest.uid(u)::text, true)
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA loadtest TO authenticated;

CREATE TABLE loadtest.track (
	n bigserial PRIMARY KEY,
	rid uuid NOT NULL,
	expected bigint NOT NULL,
	applied boolean NOT NULL,
	got bigint NOT NULL,
	client integer NOT NULL,
	hot boolean NOT NULL
);
GRANT INSERT ON loadtest.track TO authenticated;
GRANT USAGE ON SEQUENCE loadtest.track_n_seq TO authenticated;

INSERT INTO auth.users (id) SELECT loadtest.uid(u) FROM generate_series(0, :nusers) u;
INSERT INTO public.users (id) SELECT loadtest.uid(u) FROM generate_series(0, :nusers) u;

SET session_replication_role = replica;
INSERT INTO public.encrypted_cycle_data
	(id, user_id, ciphertext, nonce, key_id, algorithm, version, created_at, updated_at)
SELECT loadtest.rid(u, j), loadtest.uid(u),
       sha256(int4send(u) || int4send(j)) || sha256(int4send(j)) || sha256(int4send(u)),
       substring(sha256(int4send(j)) FROM 1 FOR 24), 'k1', 'xchacha20poly1305-ietf',
       1 + (u + j) % 5,
       now() - interval '60 days',
       now() - (random() * interval '30 days')
  FROM generate_series(0, :nusers) u, generate_series(0, :recs - 1) j
 WHERE u < :nusers OR j < :hot;
RESET session_replication_role;

CREATE TABLE loadtest.initial AS
SELECT id, version FROM public.encrypted_cycle_data;
ALTER TABLE loadtest.initial ADD PRIMARY KEY (id);
VACUUM ANALYZE public.users, public.encrypted_cycle_data, loadtest.initial;
