-- test/pgtap/03_isolation.sql
--
-- Owner isolation, acted out the way PostgREST runs requests: JWT claims in
-- request.jwt.claims / request.jwt.claim.sub and SET LOCAL ROLE.  Users A and B
-- each get a row in every table through the API role; then each sees, changes and
-- deletes only its own rows in every table, cannot write rows for the other (nor
-- point at the other's share), cannot write or change audit rows; anon and
-- service_role are refused (42501) on every table; deleting an account erases it
-- (its audit rows stay, anonymised).  Tokens and audit rows are created through
-- the RPCs, the only way since 20261128001.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(89);

\ir setup.sql

INSERT INTO auth.users (id) VALUES ('00000000-0000-4000-8000-00000000000a'::uuid), ('00000000-0000-4000-8000-00000000000b'::uuid), ('00000000-0000-4000-8000-00000000000c'::uuid);

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a'::uuid);
INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000a'::uuid);
INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000a'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000a'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm) VALUES ('10000000-0000-4000-8000-00000000000a'::uuid, '00000000-0000-4000-8000-00000000000a'::uuid, 'cycle_summary', now() + interval '1 day', decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
SELECT public.create_share_token('10000000-0000-4000-8000-00000000000a', 'isolation-token-a-9f86d081884c7d65');
SELECT public.rotate_device_key(sha256('device-a'::bytea), decode(repeat('11', 32), 'hex'), 'x25519');
SELECT public.healthcare_access_audit('10000000-0000-4000-8000-00000000000a', 'share_created');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000b'::uuid);
INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid);
INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm) VALUES ('10000000-0000-4000-8000-00000000000b'::uuid, '00000000-0000-4000-8000-00000000000b'::uuid, 'cycle_summary', now() + interval '1 day', decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
SELECT public.create_share_token('10000000-0000-4000-8000-00000000000b', 'isolation-token-b-9f86d081884c7d65');
SELECT public.rotate_device_key(sha256('device-b'::bytea), decode(repeat('11', 32), 'hex'), 'x25519');
SELECT public.healthcare_access_audit('10000000-0000-4000-8000-00000000000b', 'share_created');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a'::uuid);
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.users), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.users');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.encrypted_user_prefs), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.encrypted_user_prefs');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.encrypted_cycle_data), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.encrypted_cycle_data');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.healthcare_share), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.healthcare_share');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.share_token), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.share_token');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.device_key), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.device_key');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.security_audit_log), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.security_audit_log');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.healthcare_share_audit), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'user A sees exactly its own rows of public.healthcare_share_audit');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000b'::uuid);
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.users), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.users');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.encrypted_user_prefs), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.encrypted_user_prefs');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.encrypted_cycle_data), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.encrypted_cycle_data');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.healthcare_share), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.healthcare_share');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.share_token), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.share_token');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.device_key), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.device_key');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.security_audit_log), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.security_audit_log');
SELECT is((SELECT array_agg(DISTINCT user_id) FROM public.healthcare_share_audit), ARRAY['00000000-0000-4000-8000-00000000000b'::uuid], 'user B sees exactly its own rows of public.healthcare_share_audit');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a'::uuid);
SELECT throws_ok($$INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000c'::uuid)$$, '42501', NULL, 'A cannot create the users row of another account');
SELECT throws_ok($$INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf')$$, '42501', NULL, 'A cannot insert prefs owned by B');
SELECT throws_ok($$INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf')$$, '42501', NULL, 'A cannot insert cycle data owned by B');
SELECT throws_ok($$INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm) VALUES ('10000000-0000-4000-8000-0000000000ff'::uuid, '00000000-0000-4000-8000-00000000000b'::uuid, 'cycle_summary', now() + interval '1 day', decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf')$$, '42501', NULL, 'A cannot insert a share owned by B');
SELECT throws_ok($$INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at) VALUES ('10000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b'::uuid, sha256('x'::bytea), now() + interval '1 day')$$, '42501', NULL, 'A cannot insert a token owned by B');
SELECT throws_ok($$SELECT public.create_share_token('10000000-0000-4000-8000-00000000000b', 'isolation-token-x-0123456789abcdef')$$, 'P0002', 'share not found', 'A cannot attach a token to B''s share');
SELECT throws_ok($$INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, sha256('d'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$, '42501', NULL, 'A cannot insert a device key owned by B');
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type) VALUES ('00000000-0000-4000-8000-00000000000b'::uuid, 'sign_in')$$, '42501', NULL, 'A cannot write security events for B');
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type) VALUES ('00000000-0000-4000-8000-00000000000a'::uuid, 'sign_in')$$, '42501', NULL, 'A cannot write even its own security events directly (definer RPCs only)');
SELECT throws_ok($$INSERT INTO public.healthcare_share_audit (share_id, user_id, event) VALUES ('10000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b'::uuid, 'data_accessed')$$, '42501', NULL, 'A cannot write share audit rows for B');
SELECT throws_ok($$SELECT public.healthcare_access_audit('10000000-0000-4000-8000-00000000000b', 'data_accessed')$$, 'P0002', 'share not found', 'A cannot reference B''s share in its own audit rows');
WITH u AS (UPDATE public.users SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.users rows touches nothing') FROM u;
WITH u AS (UPDATE public.users SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.users row') FROM u;
WITH u AS (UPDATE public.encrypted_user_prefs SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.encrypted_user_prefs rows touches nothing') FROM u;
WITH u AS (UPDATE public.encrypted_user_prefs SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.encrypted_user_prefs row') FROM u;
WITH u AS (UPDATE public.encrypted_cycle_data SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.encrypted_cycle_data rows touches nothing') FROM u;
WITH u AS (UPDATE public.encrypted_cycle_data SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.encrypted_cycle_data row') FROM u;
WITH u AS (UPDATE public.healthcare_share SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.healthcare_share rows touches nothing') FROM u;
WITH u AS (UPDATE public.healthcare_share SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.healthcare_share row') FROM u;
WITH u AS (UPDATE public.share_token SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.share_token rows touches nothing') FROM u;
WITH u AS (UPDATE public.share_token SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.share_token row') FROM u;
WITH u AS (UPDATE public.device_key SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s UPDATE of B''s public.device_key rows touches nothing') FROM u;
WITH u AS (UPDATE public.device_key SET created_at = created_at WHERE user_id = '00000000-0000-4000-8000-00000000000a'::uuid RETURNING 1)
	SELECT is(count(*), 1::bigint, 'A can UPDATE its own public.device_key row') FROM u;
SELECT throws_ok($$UPDATE public.encrypted_cycle_data SET user_id = '00000000-0000-4000-8000-00000000000b'::uuid$$, '42501', NULL, 'A cannot give its cycle data to B (WITH CHECK)');
SELECT throws_ok($$UPDATE public.device_key SET user_id = '00000000-0000-4000-8000-00000000000b'::uuid$$, '42501', NULL, 'A cannot give its device key to B (WITH CHECK)');
SELECT throws_ok($$UPDATE public.security_audit_log SET created_at = now()$$, '42501', NULL, 'append-only: A cannot UPDATE its own public.security_audit_log rows');
SELECT throws_ok($$DELETE FROM public.security_audit_log$$, '42501', NULL, 'append-only: A cannot DELETE its own public.security_audit_log rows');
SELECT throws_ok($$UPDATE public.healthcare_share_audit SET created_at = now()$$, '42501', NULL, 'append-only: A cannot UPDATE its own public.healthcare_share_audit rows');
SELECT throws_ok($$DELETE FROM public.healthcare_share_audit$$, '42501', NULL, 'append-only: A cannot DELETE its own public.healthcare_share_audit rows');
WITH d AS (DELETE FROM public.users WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.users rows removes nothing') FROM d;
WITH d AS (DELETE FROM public.encrypted_user_prefs WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.encrypted_user_prefs rows removes nothing') FROM d;
WITH d AS (DELETE FROM public.encrypted_cycle_data WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.encrypted_cycle_data rows removes nothing') FROM d;
WITH d AS (DELETE FROM public.healthcare_share WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.healthcare_share rows removes nothing') FROM d;
WITH d AS (DELETE FROM public.share_token WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.share_token rows removes nothing') FROM d;
WITH d AS (DELETE FROM public.device_key WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid RETURNING 1)
	SELECT is(count(*), 0::bigint, 'A''s DELETE of B''s public.device_key rows removes nothing') FROM d;
RESET ROLE;
SELECT is((SELECT count(*) FROM public.users WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.users row is still there');
SELECT is((SELECT count(*) FROM public.encrypted_user_prefs WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.encrypted_user_prefs row is still there');
SELECT is((SELECT count(*) FROM public.encrypted_cycle_data WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.encrypted_cycle_data row is still there');
SELECT is((SELECT count(*) FROM public.healthcare_share WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.healthcare_share row is still there');
SELECT is((SELECT count(*) FROM public.share_token WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.share_token row is still there');
SELECT is((SELECT count(*) FROM public.device_key WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.device_key row is still there');
SELECT is((SELECT count(*) FROM public.security_audit_log WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.security_audit_log row is still there');
SELECT is((SELECT count(*) FROM public.healthcare_share_audit WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid), 1::bigint, 'B''s public.healthcare_share_audit row is still there');
SELECT pg_temp.act_as('authenticated', NULL);
SELECT is((SELECT count(*) FROM public.encrypted_cycle_data), 0::bigint, 'authenticated without a sub claim sees no row of public.encrypted_cycle_data');
SELECT is((SELECT count(*) FROM public.users), 0::bigint, 'authenticated without a sub claim sees no row of public.users');
RESET ROLE;
SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok($$SELECT * FROM public.users$$, '42501', NULL, 'anon is refused on public.users');
SELECT throws_ok($$SELECT * FROM public.encrypted_user_prefs$$, '42501', NULL, 'anon is refused on public.encrypted_user_prefs');
SELECT throws_ok($$SELECT * FROM public.encrypted_cycle_data$$, '42501', NULL, 'anon is refused on public.encrypted_cycle_data');
SELECT throws_ok($$SELECT * FROM public.healthcare_share$$, '42501', NULL, 'anon is refused on public.healthcare_share');
SELECT throws_ok($$SELECT * FROM public.share_token$$, '42501', NULL, 'anon is refused on public.share_token');
SELECT throws_ok($$SELECT * FROM public.device_key$$, '42501', NULL, 'anon is refused on public.device_key');
SELECT throws_ok($$SELECT * FROM public.security_audit_log$$, '42501', NULL, 'anon is refused on public.security_audit_log');
SELECT throws_ok($$SELECT * FROM public.healthcare_share_audit$$, '42501', NULL, 'anon is refused on public.healthcare_share_audit');
SELECT throws_ok($$INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000c'::uuid)$$, '42501', NULL, 'anon cannot insert into public.users');
RESET ROLE;
SELECT pg_temp.act_as('anon', '00000000-0000-4000-8000-00000000000a'::uuid);
SELECT throws_ok($$SELECT * FROM public.encrypted_cycle_data$$, '42501', NULL, 'anon is refused even with a sub claim');
RESET ROLE;
SELECT pg_temp.act_as('service_role', NULL);
SELECT throws_ok($$SELECT * FROM public.users$$, '42501', NULL, 'service_role is refused on public.users');
SELECT throws_ok($$SELECT * FROM public.encrypted_user_prefs$$, '42501', NULL, 'service_role is refused on public.encrypted_user_prefs');
SELECT throws_ok($$SELECT * FROM public.encrypted_cycle_data$$, '42501', NULL, 'service_role is refused on public.encrypted_cycle_data');
SELECT throws_ok($$SELECT * FROM public.healthcare_share$$, '42501', NULL, 'service_role is refused on public.healthcare_share');
SELECT throws_ok($$SELECT * FROM public.share_token$$, '42501', NULL, 'service_role is refused on public.share_token');
SELECT throws_ok($$SELECT * FROM public.device_key$$, '42501', NULL, 'service_role is refused on public.device_key');
SELECT throws_ok($$SELECT * FROM public.security_audit_log$$, '42501', NULL, 'service_role is refused on public.security_audit_log');
SELECT throws_ok($$SELECT * FROM public.healthcare_share_audit$$, '42501', NULL, 'service_role is refused on public.healthcare_share_audit');
SELECT throws_ok($$UPDATE public.encrypted_cycle_data SET key_id = 'x'$$, '42501', NULL, 'service_role cannot UPDATE cycle data');
SELECT throws_ok($$DELETE FROM public.encrypted_cycle_data$$, '42501', NULL, 'service_role cannot DELETE cycle data');
SELECT throws_ok($$INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000c'::uuid)$$, '42501', NULL, 'service_role cannot INSERT users');
SELECT throws_ok($$TRUNCATE public.security_audit_log$$, '42501', NULL, 'service_role cannot TRUNCATE the audit log');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a'::uuid);
WITH d AS (DELETE FROM public.device_key WHERE true RETURNING user_id)
	SELECT is(array_agg(user_id), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'A''s unfiltered DELETE on public.device_key removes exactly its own row') FROM d;
WITH d AS (DELETE FROM public.share_token WHERE true RETURNING user_id)
	SELECT is(array_agg(user_id), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'A''s unfiltered DELETE on public.share_token removes exactly its own row') FROM d;
WITH d AS (DELETE FROM public.healthcare_share WHERE true RETURNING user_id)
	SELECT is(array_agg(user_id), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'A''s unfiltered DELETE on public.healthcare_share removes exactly its own row') FROM d;
WITH d AS (DELETE FROM public.encrypted_cycle_data WHERE true RETURNING user_id)
	SELECT is(array_agg(user_id), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'A''s unfiltered DELETE on public.encrypted_cycle_data removes exactly its own row') FROM d;
WITH d AS (DELETE FROM public.encrypted_user_prefs WHERE true RETURNING user_id)
	SELECT is(array_agg(user_id), ARRAY['00000000-0000-4000-8000-00000000000a'::uuid], 'A''s unfiltered DELETE on public.encrypted_user_prefs removes exactly its own row') FROM d;
RESET ROLE;
DELETE FROM auth.users WHERE id = '00000000-0000-4000-8000-00000000000b'::uuid;
SELECT is((SELECT (SELECT count(*) FROM public.users WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.encrypted_user_prefs WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.encrypted_cycle_data WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.healthcare_share WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.share_token WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.device_key WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.security_audit_log WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)
	+ (SELECT count(*) FROM public.healthcare_share_audit WHERE user_id = '00000000-0000-4000-8000-00000000000b'::uuid)), 0::bigint,
	'deleting the auth.users row leaves no row carrying that user''s id (audit rows stay, anonymised)');

SELECT * FROM finish();
ROLLBACK;
