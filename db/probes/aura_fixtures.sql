/*
 * db/probes/aura_fixtures.sql
 *		Probe fixtures for the Aura tables, appended verbatim to the install
 *		script so that check_rls() can probe every Aura table.
 *
 * Each fixture is one INSERT taking $1 = a synthetic user's id (uuid) and
 * producing a row that satisfies the table's CHECK constraints (CryptoEnvelope
 * sizes, allowed algorithms and event names, 32-byte hashes, expiry windows).
 * Before any fixture runs, the probe itself creates the user's auth.users row
 * and the public.users row (the table every owner column references), so the
 * fixtures never create those.  share_token needs a healthcare_share row of
 * the same owner (composite foreign key): its fixture creates one in a CTE.
 * Fixtures run as the table's owner inside a subtransaction that is always
 * rolled back.  Everything is schema-qualified: the probes run with
 * search_path pinned to pg_catalog, pg_temp.
 */

INSERT INTO aura_migrate.probe_fixture (table_name, insert_sql, note, source) VALUES
('public.users',
 $fx$INSERT INTO public.users (id) VALUES ($1)$fx$,
 'user_id is generated from id; a synthesised row works too', 'bundled'),

('public.encrypted_user_prefs',
 $fx$INSERT INTO public.encrypted_user_prefs (user_id, ciphertext, nonce, key_id, algorithm)
VALUES ($1, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'CryptoEnvelope: 24-byte nonce for xchacha20poly1305-ietf, allowed algorithm', 'bundled'),

('public.encrypted_cycle_data',
 $fx$INSERT INTO public.encrypted_cycle_data (user_id, ciphertext, nonce, key_id, algorithm)
VALUES ($1, pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'CryptoEnvelope: 24-byte nonce for xchacha20poly1305-ietf, allowed algorithm', 'bundled'),

('public.healthcare_share',
 $fx$INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
VALUES ($1, 'cycle_summary', pg_catalog.now() + interval '1 day',
        pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
        pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
        'probe-key', 'xchacha20poly1305-ietf')$fx$,
 'allowed scope, expiry within 90 days, CryptoEnvelope', 'bundled'),

('public.share_token',
 $fx$WITH share AS (
    INSERT INTO public.healthcare_share (user_id, scope, expires_at, ciphertext, nonce, key_id, algorithm)
    VALUES ($1, 'cycle_summary', pg_catalog.now() + interval '1 day',
            pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
            pg_catalog.decode(pg_catalog.repeat('00', 24), 'hex'),
            'probe-key', 'xchacha20poly1305-ietf')
    RETURNING id, user_id)
INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
SELECT share.id, share.user_id,
       pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text, 'UTF8')),
       pg_catalog.now() + interval '1 day'
  FROM share$fx$,
 'composite foreign key to a healthcare_share of the same owner (created in the CTE); 32-byte token hash', 'bundled'),

('public.device_key',
 $fx$INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm)
VALUES ($1, pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.gen_random_uuid()::text, 'UTF8')),
        pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'), 'x25519')$fx$,
 'allowed key algorithm with a 32-byte public key, 32-byte device hash', 'bundled'),

('public.security_audit_log',
 $fx$INSERT INTO public.security_audit_log (user_id, event_type)
VALUES ($1, 'sign_in')$fx$,
 'allowed event type', 'bundled'),

('public.healthcare_share_audit',
 $fx$INSERT INTO public.healthcare_share_audit (user_id, event)
VALUES ($1, 'data_accessed')$fx$,
 'allowed event', 'bundled');
