-- test/pgtap/06_healthcare_access_audit.sql
--
-- public.healthcare_access_audit(): the share owner records an access event; the
-- IP address (given, or else PostgREST's request headers) and the device id are
-- stored only as salted hashes.  Another user's share is P0002, an event outside
-- the list 22023, NULLs 22004, no sub claim 28000; anon and service_role may not
-- execute it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(17);

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
SELECT isnt(public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'data_exported',
	'198.51.100.23', 'device-serial-XYZ-123'), NULL, 'the owner records an event and gets its id');
SELECT is((SELECT count(*) FROM public.healthcare_share_audit), 1::bigint, 'the owner sees its event');
RESET ROLE;

SELECT is((SELECT ip_hash FROM public.healthcare_share_audit), aura_private.salted_hash('198.51.100.23'),
	'ip_hash is the salted hash of the address');
SELECT is((SELECT device_hash FROM public.healthcare_share_audit), aura_private.salted_hash('device-serial-XYZ-123'),
	'device_hash is the salted hash of the device id');
SELECT is((SELECT octet_length(ip_hash) + octet_length(device_hash) FROM public.healthcare_share_audit), 64,
	'both are 32-byte hashes');
SELECT is_empty($$
	SELECT a.id FROM public.healthcare_share_audit a,
	       unnest(ARRAY['198.51.100.23', 'device-serial', encode(convert_to('198.51.100.23', 'UTF8'), 'hex'),
	                    encode(convert_to('device-serial-XYZ-123', 'UTF8'), 'hex')]) AS raw(s)
	 WHERE row_to_json(a)::text ILIKE '%' || raw.s || '%'$$,
	'no audit row contains the raw IP address or device id');

-- Without p_ip the address comes from the request headers; a non-address is not kept.
SELECT set_config('request.headers', '{"x-real-ip": "2001:DB8:0::1"}', true);
SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT lives_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'data_accessed')$$,
	'p_ip and p_device_id are optional');
SELECT lives_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'share_revoked',
	'not an address', NULL)$$, 'a malformed address is accepted but not stored');
RESET ROLE;
SELECT is((SELECT ip_hash FROM public.healthcare_share_audit WHERE event = 'data_accessed'),
	aura_private.salted_hash('2001:db8::1'), 'the request''s address is used, in canonical form');
SELECT ok((SELECT ip_hash IS NULL AND device_hash IS NULL FROM public.healthcare_share_audit WHERE event = 'share_revoked'),
	'a malformed address and a missing device id leave NULL hashes');

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');
SELECT throws_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000b', 'data_accessed')$$,
	'P0002', 'share not found', 'another user''s share: P0002');
SELECT throws_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'token_validated')$$,
	'22023', NULL, 'an event outside the access-audit list: 22023');
SELECT throws_ok($$SELECT public.healthcare_access_audit(NULL, 'data_accessed')$$,
	'22004', NULL, 'a NULL share: 22004');
RESET ROLE;
SELECT pg_temp.act_as('authenticated', NULL);
SELECT throws_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'data_accessed')$$,
	'28000', NULL, 'no sub claim: 28000');
RESET ROLE;
SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'data_accessed')$$,
	'42501', NULL, 'anon may not execute it');
RESET ROLE;
SELECT pg_temp.act_as('service_role', NULL);
SELECT throws_ok($$SELECT public.healthcare_access_audit('40000000-0000-4000-8000-00000000000a', 'data_accessed')$$,
	'42501', NULL, 'service_role may not execute it');
RESET ROLE;
SELECT is((SELECT count(*) FROM public.healthcare_share_audit), 3::bigint, 'failed calls wrote nothing');

SELECT * FROM finish();
ROLLBACK;
