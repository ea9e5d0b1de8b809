-- test/pgtap/08_cleanup_expired_shares.sql
--
-- public.cleanup_expired_shares(): service_role deletes tokens and shares that
-- expired, were revoked or were used up longer ago than the grace period, and
-- learns only the counts; live ones stay, audit rows stay (share_id set NULL),
-- and service_role still cannot read any user data.  A negative grace is 22023;
-- anon and authenticated may not execute it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(11);

\ir setup.sql

INSERT INTO auth.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b'),
	('00000000-0000-4000-8000-00000000000c');
INSERT INTO public.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm) VALUES
	('40000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000a', 'cycle_summary',
	 now() + interval '1 day', decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm'),
	('40000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b', 'cycle_summary',
	 now() + interval '1 day', decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm');

-- A: one live share (above), one expired 30 days ago, one revoked 30 days ago,
-- one used up 30 days ago, one expired yesterday (inside the grace period).
INSERT INTO public.healthcare_share (id, user_id, scope, created_at, expires_at, revoked_at, max_uses, use_count,
	ciphertext, nonce, key_id, algorithm)
SELECT id::uuid, '00000000-0000-4000-8000-00000000000a', 'cycle_summary', c, e, r, m, u,
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm'
  FROM (VALUES
	('50000000-0000-4000-8000-000000000001', now() - interval '40 days', now() - interval '30 days', NULL::timestamptz, 5, 0),
	('50000000-0000-4000-8000-000000000002', now() - interval '40 days', now() + interval '10 days', now() - interval '30 days', 5, 0),
	('50000000-0000-4000-8000-000000000003', now() - interval '40 days', now() + interval '10 days', NULL, 1, 1),
	('50000000-0000-4000-8000-000000000004', now() - interval '10 days', now() - interval '1 day', NULL, 5, 0)
  ) AS v(id, c, e, r, m, u);
-- the used-up share was last touched 30 days ago
ALTER TABLE public.healthcare_share DISABLE TRIGGER healthcare_share_set_updated_at;
UPDATE public.healthcare_share SET updated_at = now() - interval '30 days'
 WHERE id = '50000000-0000-4000-8000-000000000003';
ALTER TABLE public.healthcare_share ENABLE TRIGGER healthcare_share_set_updated_at;
INSERT INTO public.share_token (share_id, user_id, token_hash, created_at, expires_at)
SELECT s.id, s.user_id, sha256(convert_to(s.id::text, 'UTF8')), s.created_at, s.expires_at
  FROM public.healthcare_share s;
-- a token of the live share that expired 30 days ago
INSERT INTO public.share_token (share_id, user_id, token_hash, created_at, expires_at)
VALUES ('40000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000a',
	sha256('old-token'::bytea), now() - interval '40 days', now() - interval '30 days');
INSERT INTO public.healthcare_share_audit (share_id, user_id, event)
VALUES ('50000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a', 'share_created');

SELECT pg_temp.act_as('service_role', NULL);
SELECT results_eq($$SELECT tokens_deleted, shares_deleted FROM public.cleanup_expired_shares()$$,
	$$VALUES (2::bigint, 3::bigint)$$,
	'service_role cleans up: 2 expired tokens, 3 expired / revoked / used-up shares (with their tokens)');
SELECT results_eq($$SELECT tokens_deleted, shares_deleted FROM public.cleanup_expired_shares()$$,
	$$VALUES (0::bigint, 0::bigint)$$, 'a second run finds nothing');
SELECT throws_ok($$SELECT * FROM public.cleanup_expired_shares(interval '-1 day')$$, '22023', NULL,
	'a negative grace period: 22023');
SELECT throws_ok($$SELECT * FROM public.healthcare_share$$, '42501', NULL,
	'running the cleanup gives service_role no read access to shares');
SELECT throws_ok($$SELECT * FROM public.share_token$$, '42501', NULL,
	'... nor to tokens');
RESET ROLE;

SELECT is((SELECT array_agg(id ORDER BY id) FROM public.healthcare_share),
	ARRAY['40000000-0000-4000-8000-00000000000a', '40000000-0000-4000-8000-00000000000b',
	      '50000000-0000-4000-8000-000000000004']::uuid[],
	'live shares and shares inside the grace period stay');
SELECT is((SELECT count(*) FROM public.share_token), 3::bigint, 'the tokens of live shares and of the share inside the grace period stay');
SELECT ok((SELECT share_id IS NULL AND user_id = '00000000-0000-4000-8000-00000000000a'
	FROM public.healthcare_share_audit), 'the audit row outlives its share, with share_id NULL');
SELECT results_eq($$SELECT shares_deleted FROM public.cleanup_expired_shares(interval '0')$$,
	$$VALUES (1::bigint)$$, 'with no grace period the share that expired yesterday goes too');

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT throws_ok($$SELECT * FROM public.cleanup_expired_shares()$$, '42501', NULL,
	'authenticated may not execute it');
RESET ROLE;
SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok($$SELECT * FROM public.cleanup_expired_shares()$$, '42501', NULL,
	'anon may not execute it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
