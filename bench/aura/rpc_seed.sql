-- bench/aura/rpc_seed.sql: data for bench/aura_rpc.sh
-- (psql -v users=U -v recs=R -v shares=S -v tokens=T; run before 20250909004 so
-- that its indexes are built on the loaded tables, as on a real database).
--
-- User u (0 .. users-1) has recs cycle records, record j with id bench.rid(u, j)
-- and updated_at spread over the last 365 days; shares healthcare shares in all
-- (valid for 30 more days, up to 1000 uses); tokens share tokens, token k
-- (1 .. tokens) being the text bench.token(k) and pointing at share k % shares.
\set ON_ERROR_STOP 1
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO authenticated, anon;
CREATE FUNCTION bench.uid(u integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(u), 12, '0'))::uuid $$;
CREATE FUNCTION bench.rid(u integer, j integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(u::bigint * 10000 + j), 12, '0'))::uuid $$;
CREATE FUNCTION bench.sid(s integer) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(s), 12, '0'))::uuid $$;
CREATE FUNCTION bench.token(k integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 'aura-bench-share-token-' || lpad(k::text, 10, '0') $$;
CREATE FUNCTION bench.act_as(u integer) RETURNS void LANGUAGE sql VOLATILE
AS $$
	SELECT set_config('request.jwt.claims',
		json_build_object('sub', bench.uid(u), 'role', 'authenticated')::text, true),
	       set_config('request.jwt.claim.sub', bench.uid(u)::text, true)
$$;
-- PostgREST's one statement per request: the role and the claims, transaction-local.
CREATE FUNCTION bench.act_as_role(u integer) RETURNS void LANGUAGE sql VOLATILE
AS $$
	SELECT set_config('role', 'authenticated', true),
	       set_config('request.jwt.claims',
		json_build_object('sub', bench.uid(u), 'role', 'authenticated')::text, true),
	       set_config('request.jwt.claim.sub', bench.uid(u)::text, true)
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO authenticated, anon;

SET session_replication_role = replica;	-- no triggers, no FK checks while loading
INSERT INTO auth.users (id) SELECT bench.uid(u) FROM generate_series(0, :users - 1) u;
INSERT INTO public.users (id) SELECT bench.uid(u) FROM generate_series(0, :users - 1) u;

INSERT INTO public.encrypted_cycle_data
	(id, user_id, ciphertext, nonce, key_id, algorithm, version, created_at, updated_at)
SELECT bench.rid(u, j), bench.uid(u),
       sha256(int4send(u) || int4send(j)) || sha256(int4send(j) || int4send(u))
         || sha256(int4send(u + j)) || sha256(int4send(u - j)),
       substring(sha256(int4send(j)) FROM 1 FOR 24), 'k1', 'xchacha20poly1305-ietf',
       1 + (u + j) % 7,
       now() - interval '400 days',
       now() - (j + random()) * (interval '365 days' / :recs)
  FROM generate_series(0, :users - 1) u, generate_series(0, :recs - 1) j;

INSERT INTO public.healthcare_share
	(id, user_id, scope, expires_at, max_uses, ciphertext, nonce, key_id, algorithm, created_at)
SELECT bench.sid(s), bench.uid(s % :users), 'cycle_summary', now() + interval '30 days', 1000,
       sha256(int4send(s)) || sha256(int4send(-s)), substring(sha256(int4send(s)) FROM 1 FOR 12),
       'k1', 'aes-256-gcm', now() - interval '1 day'
  FROM generate_series(0, :shares - 1) s;

INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at, created_at)
SELECT bench.sid(k % :shares), bench.uid((k % :shares) % :users),
       sha256(convert_to(bench.token(k), 'UTF8')), now() + interval '30 days', now() - interval '1 day'
  FROM generate_series(1, :tokens) k;
RESET session_replication_role;
