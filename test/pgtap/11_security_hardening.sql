-- test/pgtap/11_security_hardening.sql
--
-- Migration 20261128001: each of the three holes a hostile reviewer found in
-- 20250909001-004, acted out through the API roles and shown closed.
--   1. A share inserted with created_at ten years ahead: created_at is the
--      server's, so the 90-day window runs from now; it cannot be stretched by an
--      update; the owner cannot reset use_count.
--   2. Back-dated fake audit rows: authenticated and anon cannot INSERT into
--      either audit table; the RPCs that write them still work; deleting and
--      re-creating the users row erases no audit row (they stay, with no user id).
--   3. anon calling validate_share_token 500 times with an unknown token adds one
--      audit row, not 500; tokens under 32 characters are refused on validation
--      and on creation.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(34);

\ir setup.sql

INSERT INTO auth.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
INSERT INTO public.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
SELECT set_config('request.headers', '{"x-forwarded-for": "198.51.100.77"}', true);

-- ---------------------------------------------------------------------------
-- Hole 1: the share window comes from the server's clock
-- ---------------------------------------------------------------------------
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
INSERT INTO public.healthcare_share (id, user_id, scope, created_at, expires_at, max_uses, use_count,
	ciphertext, nonce, key_id, algorithm)
VALUES ('60000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a', 'cycle_summary',
	now() + interval '10 years', now() + interval '2 days', 3, 0,
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');
SELECT is((SELECT created_at FROM public.healthcare_share WHERE id = '60000000-0000-4000-8000-000000000001'),
	now(), 'a client-chosen created_at ten years ahead is ignored: created_at is the server''s now()');
SELECT throws_ok($$INSERT INTO public.healthcare_share (user_id, scope, created_at, expires_at, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'cycle_summary', now() + interval '10 years',
	now() + interval '10 years 30 days', decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf')$$, '23514', NULL,
	'the reviewer''s share (created_at +10 years, expires_at 30 days later) is refused: more than 90 days from now');
SELECT throws_ok($$INSERT INTO public.healthcare_share (user_id, scope, created_at, expires_at, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'cycle_summary', now() - interval '1 year',
	now() - interval '1 year' + interval '30 days', decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf')$$, '23514', NULL,
	'a back-dated created_at does not help either: an expiry in the past is refused');
SELECT lives_ok($$INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'cycle_summary', now() + interval '90 days',
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf')$$,
	'exactly 90 days from the server''s now() is still allowed');
SELECT throws_ok($$UPDATE public.healthcare_share SET expires_at = now() + interval '91 days'
	WHERE id = '60000000-0000-4000-8000-000000000001'$$, '23514', NULL,
	'an update cannot extend a share beyond created_at + 90 days');
SELECT throws_ok($$UPDATE public.healthcare_share SET created_at = now() + interval '10 years',
	expires_at = now() + interval '10 years 1 day' WHERE id = '60000000-0000-4000-8000-000000000001'$$, '23514', NULL,
	'... not even together with a new created_at (created_at is kept on UPDATE)');
SELECT lives_ok($$UPDATE public.healthcare_share SET expires_at = now() + interval '1 day', max_uses = 2
	WHERE id = '60000000-0000-4000-8000-000000000001'$$,
	'the owner may still shorten the share and change its limit');
SELECT public.create_share_token('60000000-0000-4000-8000-000000000001', 'hardening-token-1-Qm9yZWFsaXMtNzc3');
RESET ROLE;

SELECT pg_temp.act_as('anon', NULL);
SELECT isnt_empty($$SELECT * FROM public.validate_share_token('hardening-token-1-Qm9yZWFsaXMtNzc3')$$,
	'a provider uses the share once');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT throws_ok($$UPDATE public.healthcare_share SET use_count = 0 WHERE id = '60000000-0000-4000-8000-000000000001'$$,
	'42501', NULL, 'the owner cannot reset use_count (no UPDATE privilege on the column)');
SELECT throws_ok($$INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
	VALUES ('60000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a',
	sha256('x'::bytea), now() + interval '1 day')$$, '42501', NULL,
	'the owner cannot insert a token hash directly (its length could not be checked)');
SELECT throws_ok($$UPDATE public.share_token SET last_used_at = NULL$$, '42501', NULL,
	'... nor rewrite when a token was last used');
RESET ROLE;
SELECT throws_ok($$UPDATE public.healthcare_share SET use_count = 0 WHERE id = '60000000-0000-4000-8000-000000000001'$$,
	'42501', 'use_count of a share cannot be lowered',
	'even the table owner cannot lower use_count (trigger)');
SELECT is((SELECT use_count FROM public.healthcare_share WHERE id = '60000000-0000-4000-8000-000000000001'), 1,
	'the use stays counted');
SELECT trigger_is('public', 'healthcare_share', 'healthcare_share_server_columns',
	'aura_private', 'healthcare_share_server_columns',
	'healthcare_share_server_columns calls aura_private.healthcare_share_server_columns()');

-- ---------------------------------------------------------------------------
-- Hole 2: audit rows only through the RPCs, and they outlive their user
-- ---------------------------------------------------------------------------
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000b');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, max_uses, ciphertext, nonce, key_id, algorithm)
VALUES ('60000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b', 'cycle_history',
	now() + interval '10 days', 5, decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf');
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type, created_at)
	VALUES ('00000000-0000-4000-8000-00000000000b', 'sign_in', now() - interval '3 years')$$, '42501', NULL,
	'authenticated cannot insert a back-dated security event');
SELECT throws_ok($$INSERT INTO public.healthcare_share_audit (share_id, user_id, event, created_at)
	VALUES ('60000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b', 'data_accessed',
	now() - interval '3 years')$$, '42501', NULL,
	'authenticated cannot insert a back-dated share audit row');
SELECT lives_ok($$SELECT public.rotate_device_key(sha256('phone-b'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$,
	'rotate_device_key still writes its security event');
SELECT lives_ok($$SELECT public.healthcare_access_audit('60000000-0000-4000-8000-00000000000b', 'share_created')$$,
	'healthcare_access_audit still writes its row');
SELECT lives_ok($$SELECT public.create_share_token('60000000-0000-4000-8000-00000000000b', 'hardening-token-b-Y3ljbGUtaGlzdG9yeQ')$$,
	'create_share_token registers the owner''s token');
RESET ROLE;
SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type)
	VALUES ('00000000-0000-4000-8000-00000000000b', 'sign_in')$$, '42501', NULL,
	'anon cannot insert a security event');
SELECT throws_ok($$INSERT INTO public.healthcare_share_audit (event, reason) VALUES ('token_rejected', 'unknown_token')$$,
	'42501', NULL, 'anon cannot insert a share audit row');
SELECT isnt_empty($$SELECT * FROM public.validate_share_token('hardening-token-b-Y3ljbGUtaGlzdG9yeQ')$$,
	'a provider reads B''s share (validate_share_token writes its audit row as a definer)');
RESET ROLE;
SELECT is((SELECT count(*) FROM public.security_audit_log WHERE user_id = '00000000-0000-4000-8000-00000000000b')
	+ (SELECT count(*) FROM public.healthcare_share_audit WHERE user_id = '00000000-0000-4000-8000-00000000000b'),
	3::bigint, 'B has three audit rows: the key registration, the share event, the provider''s access');
CREATE TEMP TABLE b_audit AS
SELECT 'security_audit_log' AS t, id FROM public.security_audit_log WHERE user_id = '00000000-0000-4000-8000-00000000000b'
UNION ALL
SELECT 'healthcare_share_audit', id FROM public.healthcare_share_audit WHERE user_id = '00000000-0000-4000-8000-00000000000b';

-- The reviewer's move: delete the users row and create it again.
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000b');
DELETE FROM public.users WHERE id = '00000000-0000-4000-8000-00000000000b';
INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000b');
RESET ROLE;
SELECT is((SELECT count(*) FROM b_audit b
	WHERE EXISTS (SELECT 1 FROM public.security_audit_log l WHERE l.id = b.id)
	   OR EXISTS (SELECT 1 FROM public.healthcare_share_audit a WHERE a.id = b.id)),
	3::bigint, 'all three audit rows survive the deletion of their user, the provider''s access included');
SELECT is_empty($$SELECT l.id FROM public.security_audit_log l JOIN b_audit b ON b.id = l.id
	 WHERE l.user_id IS NOT NULL OR l.device_key_id IS NOT NULL OR l.device_hash IS NOT NULL OR l.ip_hash IS NOT NULL$$,
	'the surviving security event carries no user id, key or hash');
SELECT is_empty($$SELECT a.id FROM public.healthcare_share_audit a JOIN b_audit b ON b.id = a.id
	 WHERE a.user_id IS NOT NULL OR a.share_id IS NOT NULL$$,
	'the surviving share audit rows carry no user id and no share id');
SELECT is((SELECT array_agg(event ORDER BY event) FROM public.healthcare_share_audit a JOIN b_audit b ON b.id = a.id),
	ARRAY['share_created', 'token_validated'], '... but still say what happened');
SELECT fk_ok('public', 'security_audit_log', ARRAY['user_id'], 'public', 'users', ARRAY['id'],
	'security_audit_log.user_id still references public.users (ON DELETE SET NULL)');

-- ---------------------------------------------------------------------------
-- Hole 3: no audit row per call, no short tokens
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE before_flood AS
SELECT count(*) AS n,
	   coalesce(sum(attempts) FILTER (WHERE reason = 'unknown_token' AND window_start = date_trunc('hour', now())), 0) AS unknown
  FROM public.healthcare_share_audit;
SELECT pg_temp.act_as('anon', NULL);
CREATE TEMP TABLE flood AS
SELECT count(*) AS rows_returned
  FROM generate_series(1, 250) g,
	   LATERAL public.validate_share_token('never-issued-token-0000000000000000000' || left(g::text, 0)) v;
INSERT INTO flood
SELECT count(*)
  FROM generate_series(1, 250) g,
	   LATERAL public.validate_share_token('never-issued-token-' || lpad(g::text, 20, '7'));
RESET ROLE;
SELECT is((SELECT sum(rows_returned) FROM flood), 0::numeric, '500 calls with unknown tokens return nothing');
SELECT cmp_ok((SELECT count(*) FROM public.healthcare_share_audit) - (SELECT n FROM before_flood), '<=', 1::bigint,
	'500 unknown-token calls (one token 250 times, 250 different tokens) add at most one audit row, not 500');
SELECT is((SELECT sum(attempts) FROM public.healthcare_share_audit
	WHERE reason = 'unknown_token' AND window_start = date_trunc('hour', now())) - (SELECT unknown FROM before_flood),
	500::bigint, '... and that row counts all 500 attempts of this hour');

-- A 31-character token, registered the old way (as the table owner), is refused.
INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
VALUES ('60000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a',
	sha256(convert_to('short-token-31-characters-abcde', 'UTF8')), now() + interval '1 day');
SELECT pg_temp.act_as('anon', NULL);
SELECT is_empty($$SELECT * FROM public.validate_share_token('short-token-31-characters-abcde')$$,
	'validate_share_token refuses a 31-character token even when its hash is registered');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT throws_ok($$SELECT public.create_share_token('60000000-0000-4000-8000-000000000001', 'short-token-31-characters-abcde')$$,
	'22023', 'share token must be 32 to 512 characters long', 'create_share_token refuses a token under 32 characters');
SELECT throws_ok($$SELECT public.create_share_token('60000000-0000-4000-8000-000000000001', repeat('ab', 20))$$,
	'22023', 'share token is too repetitive to be random', '... and a long token of two repeated characters');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
