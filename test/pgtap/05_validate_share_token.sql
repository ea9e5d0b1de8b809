-- test/pgtap/05_validate_share_token.sql
--
-- public.validate_share_token(): anon presents a token; only sha256(token) is
-- stored.  A valid token returns one row (share id, scope, expiry, the encrypted
-- payload) and counts the use; unknown, malformed, expired, revoked and used-up
-- tokens all return the same nothing, while healthcare_share_audit keeps the real
-- reason (rejections counted per share, reason and hour since 20261128001, which
-- also made 32 characters the shortest token), the share owner can read it, and
-- no audit row holds the raw IP address or the token.  (Concurrent validations:
-- test/shell/aura_races.sh; repeated rejections: 11_security_hardening.sql.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(27);

\ir setup.sql

CREATE FUNCTION pg_temp.share(p_id uuid, p_max int, p_used int, p_created timestamptz,
	p_expires timestamptz, p_revoked timestamptz)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO public.healthcare_share (id, user_id, scope, max_uses, use_count, created_at,
		expires_at, revoked_at, ciphertext, nonce, key_id, algorithm)
	VALUES (p_id, '00000000-0000-4000-8000-00000000000a', 'cycle_history', p_max, p_used, p_created,
		p_expires, p_revoked, decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 24), 'hex'),
		'share-k1', 'xchacha20poly1305-ietf');
$$;
CREATE FUNCTION pg_temp.token(p_share uuid, p_token text, p_created timestamptz,
	p_expires timestamptz, p_revoked timestamptz)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO public.share_token (share_id, user_id, token_hash, created_at, expires_at, revoked_at)
	VALUES (p_share, '00000000-0000-4000-8000-00000000000a', sha256(convert_to(p_token, 'UTF8')),
		p_created, p_expires, p_revoked);
$$;

INSERT INTO auth.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
INSERT INTO public.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
-- S1: live, two uses; S2: expired; S3: revoked; S4: live share, revoked token;
-- S5: used up; S6: live share, expired token.
SELECT pg_temp.share('40000000-0000-4000-8000-000000000001', 2, 0, now(), now() + interval '2 days', NULL);
SELECT pg_temp.share('40000000-0000-4000-8000-000000000002', 5, 0, now() - interval '10 days', now() - interval '1 day', NULL);
SELECT pg_temp.share('40000000-0000-4000-8000-000000000003', 5, 0, now(), now() + interval '2 days', now());
SELECT pg_temp.share('40000000-0000-4000-8000-000000000004', 5, 0, now(), now() + interval '2 days', NULL);
SELECT pg_temp.share('40000000-0000-4000-8000-000000000005', 1, 1, now(), now() + interval '2 days', NULL);
SELECT pg_temp.share('40000000-0000-4000-8000-000000000006', 5, 0, now() - interval '2 days', now() + interval '2 days', NULL);
SELECT pg_temp.token('40000000-0000-4000-8000-000000000001', 'tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356', now(), now() + interval '1 day', NULL);
SELECT pg_temp.token('40000000-0000-4000-8000-000000000002', 'tok-expired-share-91ab3c-7c1e9b2d40a8f356', now() - interval '10 days', now() - interval '1 day', NULL);
SELECT pg_temp.token('40000000-0000-4000-8000-000000000003', 'tok-revoked-share-77d0e1-7c1e9b2d40a8f356', now(), now() + interval '1 day', NULL);
SELECT pg_temp.token('40000000-0000-4000-8000-000000000004', 'tok-revoked-token-0c2f5b-7c1e9b2d40a8f356', now(), now() + interval '1 day', now());
SELECT pg_temp.token('40000000-0000-4000-8000-000000000005', 'tok-used-up-share-e3a991-7c1e9b2d40a8f356', now(), now() + interval '1 day', NULL);
SELECT pg_temp.token('40000000-0000-4000-8000-000000000006', 'tok-expired-token-b5c27d-7c1e9b2d40a8f356', now() - interval '2 days', now() - interval '1 day', NULL);

SELECT is((SELECT count(*) FROM public.share_token
	WHERE token_hash = sha256(convert_to('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356', 'UTF8'))), 1::bigint,
	'share_token holds sha256(token), found by hash');

-- The provider's request, as PostgREST runs it (anon, with the request headers).
SELECT set_config('request.headers', '{"x-forwarded-for": "203.0.113.7, 10.0.0.1", "user-agent": "Provider/1.0"}', true);
SELECT pg_temp.act_as('anon', NULL);

SELECT results_eq(
	$$SELECT share_id, scope FROM public.validate_share_token('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356')$$,
	$$VALUES ('40000000-0000-4000-8000-000000000001'::uuid, 'cycle_history'::text)$$,
	'anon with a valid token gets the share id and scope');
SELECT results_eq(
	$$SELECT ciphertext, key_id, algorithm, octet_length(nonce)
	    FROM public.validate_share_token('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356')$$,
	$$VALUES (decode(repeat('5a', 40), 'hex'), 'share-k1'::text, 'xchacha20poly1305-ietf'::text, 24)$$,
	'... and the payload, still encrypted (second use)');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356')$$,
	'a third use of a two-use share gets nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-expired-share-91ab3c-7c1e9b2d40a8f356')$$,
	'expired share: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-revoked-share-77d0e1-7c1e9b2d40a8f356')$$,
	'revoked share: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-revoked-token-0c2f5b-7c1e9b2d40a8f356')$$,
	'revoked token: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-used-up-share-e3a991-7c1e9b2d40a8f356')$$,
	'used-up share: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-expired-token-b5c27d-7c1e9b2d40a8f356')$$,
	'expired token: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-never-issued-000000000-7c1e9b2d40a8f356')$$,
	'unknown token: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token('short')$$,
	'malformed token: nothing');
SELECT is_empty($$SELECT * FROM public.validate_share_token(NULL)$$,
	'NULL token: nothing');
SELECT throws_ok($$SELECT * FROM public.healthcare_share$$, '42501', NULL,
	'anon still cannot read shares directly');
RESET ROLE;

SELECT is((SELECT use_count FROM public.healthcare_share WHERE id = '40000000-0000-4000-8000-000000000001'),
	2, 'each successful validation counted one use, the refused one none');
SELECT isnt((SELECT last_used_at FROM public.share_token
	WHERE token_hash = sha256(convert_to('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356', 'UTF8'))), NULL,
	'the token records when it was last used');
SELECT is((SELECT sum(use_count) FROM public.healthcare_share WHERE id <> '40000000-0000-4000-8000-000000000001'),
	1::bigint, 'refused tokens counted no use');

SELECT is(
	(SELECT array_agg(x ORDER BY x) FROM (SELECT event || ':' || reason AS x FROM public.healthcare_share_audit) a),
	ARRAY['token_rejected:exhausted', 'token_rejected:exhausted', 'token_rejected:expired',
	      'token_rejected:expired', 'token_rejected:revoked', 'token_rejected:revoked',
	      'token_rejected:unknown_token',
	      'token_validated:ok', 'token_validated:ok'],
	'every attempt is audited with its real reason (rejections: one row per share, reason and hour)');
SELECT is((SELECT count(*) || '/' || sum(attempts) FROM public.healthcare_share_audit
	WHERE reason = 'unknown_token' AND user_id IS NULL AND share_id IS NULL), '1/3',
	'the three unknown tokens (unknown, malformed, NULL) are counted in one row without an owner or share');
SELECT is((SELECT count(*) FROM public.healthcare_share_audit
	WHERE reason <> 'unknown_token' AND user_id = '00000000-0000-4000-8000-00000000000a' AND share_id IS NOT NULL),
	8::bigint, 'known tokens are audited against their share and its owner');
SELECT is((SELECT count(DISTINCT ip_hash) FROM public.healthcare_share_audit), 1::bigint,
	'all attempts carry the same ip_hash');
SELECT is((SELECT DISTINCT ip_hash FROM public.healthcare_share_audit), aura_private.salted_hash('203.0.113.7'),
	'ip_hash is the salted hash of the first X-Forwarded-For address');
SELECT isnt((SELECT DISTINCT ip_hash FROM public.healthcare_share_audit), sha256('203.0.113.7'::bytea),
	'... and not a bare sha256 anyone could recompute');
SELECT is_empty($$
	WITH tokens(t) AS (VALUES ('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356'), ('tok-expired-share-91ab3c-7c1e9b2d40a8f356'),
	                          ('tok-revoked-share-77d0e1-7c1e9b2d40a8f356'), ('tok-revoked-token-0c2f5b-7c1e9b2d40a8f356'),
	                          ('tok-used-up-share-e3a991-7c1e9b2d40a8f356'), ('tok-expired-token-b5c27d-7c1e9b2d40a8f356'),
	                          ('tok-never-issued-000000000-7c1e9b2d40a8f356')),
	     raw(s) AS (SELECT unnest(ARRAY['203.0.113.7', '10.0.0.1', 'Provider', 'tok-',
	                                    encode(convert_to('203.0.113.7', 'UTF8'), 'hex')])
	                UNION ALL SELECT encode(convert_to(t, 'UTF8'), 'hex') FROM tokens
	                UNION ALL SELECT encode(sha256(convert_to(t, 'UTF8')), 'hex') FROM tokens)
	SELECT a.id FROM public.healthcare_share_audit a, raw
	 WHERE row_to_json(a)::text ILIKE '%' || raw.s || '%'$$,
	'no audit row contains the raw IP address, the user agent, a token or a token hash');

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT is((SELECT count(*) FROM public.healthcare_share_audit), 8::bigint,
	'the share owner reads the audit of its shares, rejected attempts included');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000b');
SELECT is((SELECT count(*) FROM public.healthcare_share_audit), 0::bigint,
	'another user reads none of it');
SELECT is_empty($$SELECT * FROM public.validate_share_token('tok-used-up-share-e3a991-7c1e9b2d40a8f356')$$,
	'authenticated may call the token RPC too');
RESET ROLE;
SELECT pg_temp.act_as('service_role', NULL);
SELECT throws_ok($$SELECT * FROM public.validate_share_token('tok-live-4f1c9a7e2b6d8035-7c1e9b2d40a8f356')$$, '42501', NULL,
	'service_role may not execute the token RPC');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
