-- test/pgtap/04_update_cycle_data_optimistic.sql
--
-- public.update_cycle_data_optimistic(): compare-and-set on the version.  Success
-- bumps the version and replaces the envelope; a stale expected version is a
-- result (applied = false, current_version) and changes nothing; another user's
-- record and a missing record are the same P0002; no sub claim is 28000; bad input
-- is 22004 / 23514; anon and service_role may not execute it.  (Two racing
-- sessions: test/shell/aura_races.sh.)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(22);

\ir setup.sql

INSERT INTO auth.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
INSERT INTO public.users (id) VALUES
	('00000000-0000-4000-8000-00000000000a'), ('00000000-0000-4000-8000-00000000000b');
INSERT INTO public.encrypted_cycle_data (id, user_id, ciphertext, nonce, key_id, algorithm) VALUES
	('30000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000a',
	 decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf'),
	('30000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000b',
	 decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 24), 'hex'), 'k1', 'xchacha20poly1305-ietf');

SELECT pg_temp.act_as('authenticated', '00000000-0000-4000-8000-00000000000a');

-- success
SELECT results_eq(
	$$SELECT applied, current_version FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 1, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	$$VALUES (true, 2::bigint)$$,
	'expected version matches: applied, version bumped to 2');
SELECT is((SELECT ciphertext FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	decode(repeat('ef', 48), 'hex'), 'the new ciphertext is stored');
SELECT is((SELECT key_id FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	'k2', 'the new key id is stored');

-- stale version: a result, not an error, and nothing changes
SELECT results_eq(
	$$SELECT applied, current_version FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 1, decode(repeat('99', 48), 'hex'),
		decode(repeat('02', 24), 'hex'), 'k3', 'xchacha20poly1305-ietf')$$,
	$$VALUES (false, 2::bigint)$$,
	'stale expected version: applied = false with the current version');
SELECT is((SELECT ciphertext FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	decode(repeat('ef', 48), 'hex'), 'a conflict leaves the stored envelope untouched');
SELECT results_eq(
	$$SELECT applied, current_version FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 7, decode(repeat('99', 48), 'hex'),
		decode(repeat('02', 24), 'hex'), 'k3', 'xchacha20poly1305-ietf')$$,
	$$VALUES (false, 2::bigint)$$,
	'a future expected version is a conflict too');

-- tombstone and back
SELECT results_eq(
	$$SELECT applied, current_version FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 2, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint, true)$$,
	$$VALUES (true, 3::bigint)$$,
	'p_is_deleted = true writes a tombstone (version 3)');
SELECT ok((SELECT is_deleted AND deleted_at IS NOT NULL FROM public.encrypted_cycle_data
	WHERE id = '30000000-0000-4000-8000-00000000000a'), 'the tombstone has is_deleted and deleted_at');
SELECT results_eq(
	$$SELECT applied, current_version FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 3, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf', '\x'::bytea, 1::smallint, false)$$,
	$$VALUES (true, 4::bigint)$$,
	'p_is_deleted = false restores the record (version 4)');
SELECT is((SELECT deleted_at FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	NULL, 'a restored record has no deleted_at');

-- direct UPDATEs bump the version as well (trigger), so no writer can skip the check
UPDATE public.encrypted_cycle_data SET key_id = 'k9' WHERE id = '30000000-0000-4000-8000-00000000000a';
SELECT is((SELECT version FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	5::bigint, 'a direct UPDATE also bumps the version');
UPDATE public.encrypted_cycle_data SET version = 1 WHERE id = '30000000-0000-4000-8000-00000000000a';
SELECT is((SELECT version FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	6::bigint, 'a client cannot wind the version back');

-- failures
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000b', 1, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'P0002', 'cycle record not found', 'B''s record: P0002, as if it did not exist');
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-0000000000ff', 1, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'P0002', 'cycle record not found', 'a missing record: the same P0002');
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', NULL, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'22004', NULL, 'NULL expected version: 22004');
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'rot13')$$,
	'23514', NULL, 'an algorithm outside the allowed list: 23514');
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 12), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'23514', NULL, 'a nonce of the wrong length for the algorithm: 23514');
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, convert_to('my period', 'UTF8'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'23514', NULL, 'a "ciphertext" shorter than an AEAD tag: 23514');
SELECT is((SELECT version FROM public.encrypted_cycle_data WHERE id = '30000000-0000-4000-8000-00000000000a'),
	6::bigint, 'failed calls changed nothing');
RESET ROLE;

SELECT pg_temp.act_as('authenticated', NULL);
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'28000', NULL, 'no sub claim: 28000');
RESET ROLE;

SELECT pg_temp.act_as('anon', NULL);
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'42501', NULL, 'anon may not execute it');
RESET ROLE;
SELECT pg_temp.act_as('service_role', NULL);
SELECT throws_ok(
	$$SELECT * FROM public.update_cycle_data_optimistic(
		'30000000-0000-4000-8000-00000000000a', 6, decode(repeat('ef', 48), 'hex'),
		decode(repeat('01', 24), 'hex'), 'k2', 'xchacha20poly1305-ietf')$$,
	'42501', NULL, 'service_role may not execute it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
