-- test/pgtap/07_rotate_device_key.sql
--
-- public.rotate_device_key(): the first call registers a device's key, later
-- calls retire the active key and activate the new one, each with a
-- security_audit_log event; there is never more than one active key per device
-- (and the database refuses a second one even outside the RPC).  Bad keys are
-- 23514, NULLs 22004, a caller without a users row P0002, no sub claim 28000;
-- anon and service_role may not execute it.  (Concurrent rotations:
-- test/shell/aura_races.sh.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(19);

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

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
CREATE TEMP TABLE r1 AS SELECT * FROM public.rotate_device_key(sha256('phone'::bytea), decode(repeat('11', 32), 'hex'), 'x25519');
SELECT ok((SELECT new_key_id IS NOT NULL AND retired_key_id IS NULL FROM r1), 'first call registers a key, retires none');
CREATE TEMP TABLE r2 AS SELECT * FROM public.rotate_device_key(sha256('phone'::bytea), decode(repeat('22', 32), 'hex'), 'x25519');
SELECT is((SELECT retired_key_id FROM r2), (SELECT new_key_id FROM r1), 'second call retires the first key');
SELECT is((SELECT array_agg(id) FROM public.device_key WHERE device_id_hash = sha256('phone'::bytea) AND is_active),
	ARRAY[(SELECT new_key_id FROM r2)], 'exactly one active key for the device: the new one');
SELECT ok((SELECT NOT is_active AND retired_at IS NOT NULL FROM public.device_key WHERE id = (SELECT new_key_id FROM r1)),
	'the old key is retired with a timestamp');
SELECT is((SELECT public_key FROM public.device_key WHERE id = (SELECT new_key_id FROM r2)),
	decode(repeat('22', 32), 'hex'), 'the new public key is stored');
SELECT is(
	(SELECT array_agg(event_type || ':' || device_key_id::text ORDER BY event_type) FROM public.security_audit_log),
	ARRAY['device_key_registered:' || (SELECT new_key_id FROM r1), 'device_key_rotated:' || (SELECT new_key_id FROM r2)],
	'each step wrote its audit event for the key it activated');
SELECT is((SELECT count(*) FROM public.security_audit_log WHERE device_hash = sha256('phone'::bytea)), 2::bigint,
	'the audit events carry only the device id hash');
SELECT lives_ok($$SELECT public.rotate_device_key(sha256('tablet'::bytea), decode(repeat('33', 65), 'hex'), 'p256')$$,
	'another device gets its own active key');
SELECT is((SELECT count(*) FROM public.device_key WHERE is_active), 2::bigint, 'one active key per device');
SELECT throws_ok($$INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm)
	VALUES ('00000000-0000-4000-8000-00000000000a', sha256('phone'::bytea), decode(repeat('44', 32), 'hex'), 'x25519')$$,
	'23505', NULL, 'a second active key for a device is refused by the database itself');
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('44', 64), 'hex'), 'x25519')$$,
	'23514', NULL, 'a key of the wrong length (a private key pair?): 23514');
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('44', 32), 'hex'), 'rsa')$$,
	'23514', NULL, 'an algorithm outside the list: 23514');
SELECT throws_ok($$SELECT public.rotate_device_key('phone'::bytea, decode(repeat('44', 32), 'hex'), 'x25519')$$,
	'23514', NULL, 'a raw device id instead of its 32-byte hash: 23514');
SELECT throws_ok($$SELECT public.rotate_device_key(NULL, decode(repeat('44', 32), 'hex'), 'x25519')$$,
	'22004', NULL, 'a NULL device: 22004');
SELECT is((SELECT array_agg(id) FROM public.device_key WHERE device_id_hash = sha256('phone'::bytea) AND is_active),
	ARRAY[(SELECT new_key_id FROM r2)], 'failed rotations left the active key in place');
RESET ROLE;

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000c');
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$,
	'P0002', 'user not found', 'a caller without a public.users row: P0002');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', NULL);
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$,
	'28000', NULL, 'no sub claim: 28000');
RESET ROLE;
SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$,
	'42501', NULL, 'anon may not execute it');
RESET ROLE;
SELECT pg_temp.act_as('service_role', NULL);
SELECT throws_ok($$SELECT public.rotate_device_key(sha256('phone'::bytea), decode(repeat('11', 32), 'hex'), 'x25519')$$,
	'42501', NULL, 'service_role may not execute it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
