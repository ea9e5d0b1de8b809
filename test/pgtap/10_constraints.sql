-- test/pgtap/10_constraints.sql
--
-- The CHECK constraints at work: a CryptoEnvelope field out of bounds, a token
-- that is not a 32-byte hash, an audit hash that is not 32 bytes, an event or scope
-- outside its list, a share without limits, a tombstone without its timestamp: each
-- is refused with 23514 (as the superuser, so RLS plays no part), a second
-- preferences row for a user with 23505, and a valid envelope with either
-- algorithm is accepted.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(25);

INSERT INTO auth.users (id) VALUES ('00000000-0000-4000-8000-00000000000a');
INSERT INTO public.users (id) VALUES ('00000000-0000-4000-8000-00000000000a');
INSERT INTO public.healthcare_share (id, user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm) VALUES
	('40000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000a', 'cycle_summary',
	 now() + interval '1 day', decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm');

CREATE FUNCTION pg_temp.cycle(p_ct bytea, p_nonce bytea, p_key text, p_alg text, p_aad bytea, p_ver smallint)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm, aad, envelope_version)
	VALUES ('00000000-0000-4000-8000-00000000000a', p_ct, p_nonce, p_key, p_alg, p_aad, p_ver);
$$;

SELECT lives_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, 'an XChaCha20-Poly1305 envelope (24-byte nonce) is accepted');
SELECT lives_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 12), 'hex'), 'user:1/dev.2+Zm9v='::text,
	'aes-256-gcm', decode(repeat('00', 1024), 'hex'), 32::smallint)$$, 'an AES-256-GCM envelope (12-byte nonce), base64 key id, maximal aad and version, is accepted');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 15), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'ciphertext shorter than a 16-byte tag: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 262145), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'ciphertext over 256 KiB: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'XChaCha20 with a 12-byte nonce: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'aes-256-gcm', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'AES-GCM with a 24-byte nonce: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'plaintext', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'algorithm "plaintext": 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'my key',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'a key id with a space: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), repeat('k', 129),
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23514', NULL, 'a key id over 128 characters: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', decode(repeat('00', 1025), 'hex'), 1::smallint)$$, '23514', NULL, 'aad over 1 KiB: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 0::smallint)$$, '23514', NULL, 'envelope version 0: 23514');
SELECT throws_ok($$SELECT pg_temp.cycle(NULL, decode(repeat('cd', 24), 'hex'), 'k1',
	'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint)$$, '23502', NULL, 'no ciphertext: 23502');
SELECT throws_ok($$INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm, is_deleted)
	VALUES ('00000000-0000-4000-8000-00000000000a', decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'),
	'k1', 'xchacha20poly1305-ietf', true)$$, '23514', NULL, 'a tombstone without deleted_at: 23514');

SELECT throws_ok($$INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', decode(repeat('ab', 65537), 'hex'), decode(repeat('cd', 24), 'hex'),
	'k1', 'xchacha20poly1305-ietf')$$, '23514', NULL, 'prefs ciphertext over 64 KiB: 23514');
SELECT throws_ok($$INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm)
	SELECT '00000000-0000-4000-8000-00000000000a', decode(repeat('ab', 16), 'hex'), decode(repeat('cd', 24), 'hex'),
	       'k1', 'xchacha20poly1305-ietf'
	  FROM generate_series(1, 2)$$, '23505', NULL, 'one preferences row per user: 23505');
SELECT throws_ok($$INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
	VALUES ('40000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000a',
	convert_to('tok-raw-token-not-a-hash', 'UTF8'), now() + interval '1 day')$$, '23514', NULL,
	'a raw token instead of its 32-byte hash: 23514');
SELECT throws_ok($$INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'everything', now() + interval '1 day',
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm')$$, '23514', NULL,
	'a scope outside the list: 23514');
SELECT throws_ok($$INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'cycle_summary', now() + interval '91 days',
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm')$$, '23514', NULL,
	'a share valid for more than 90 days: 23514');
SELECT throws_ok($$INSERT INTO public.healthcare_share (user_id, scope, expires_at, max_uses, ciphertext, nonce, key_id, algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'cycle_summary', now() + interval '1 day', 0,
	decode(repeat('5a', 40), 'hex'), decode(repeat('cd', 12), 'hex'), 'k1', 'aes-256-gcm')$$, '23514', NULL,
	'a share with max_uses 0: 23514');
SELECT throws_ok($$UPDATE public.healthcare_share SET use_count = max_uses + 1$$, '23514', NULL,
	'a use count beyond max_uses: 23514');
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type, ip_hash)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'sign_in', convert_to('203.0.113.7', 'UTF8'))$$, '23514', NULL,
	'a raw IP address in ip_hash: 23514');
SELECT throws_ok($$INSERT INTO public.security_audit_log (user_id, event_type)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'viewed period on 2025-09-01')$$, '23514', NULL,
	'free text as a security event: 23514');
SELECT throws_ok($$INSERT INTO public.healthcare_share_audit (user_id, event, device_hash)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'data_accessed', convert_to('iPhone of Jane', 'UTF8'))$$, '23514', NULL,
	'a raw device name in device_hash: 23514');
SELECT throws_ok($$INSERT INTO public.healthcare_share_audit (user_id, event, reason)
	VALUES ('00000000-0000-4000-8000-00000000000a', 'token_rejected', 'because')$$, '23514', NULL,
	'free text as a reason: 23514');
SELECT throws_ok($$INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm, is_active, retired_at)
	VALUES ('00000000-0000-4000-8000-00000000000a', sha256('d'::bytea), decode(repeat('11', 32), 'hex'), 'ed25519', true, now())$$,
	'23514', NULL, 'an active key with a retirement time: 23514');

SELECT * FROM finish();
ROLLBACK;
