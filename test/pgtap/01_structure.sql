-- test/pgtap/01_structure.sql
--
-- Structure of the Aura schema after the five migrations: tables and exact
-- columns (nothing that could hold plaintext), keys, foreign keys and their ON
-- DELETE actions, CHECK constraints, triggers, RLS switched on, and the indexes of
-- 20250909004 (every foreign key and every RLS predicate served by an index).
-- Generated once from a table list; edit freely.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(159);

SELECT has_table('public', 'users', 'table public.users exists');
SELECT has_table('public', 'encrypted_user_prefs', 'table public.encrypted_user_prefs exists');
SELECT has_table('public', 'encrypted_cycle_data', 'table public.encrypted_cycle_data exists');
SELECT has_table('public', 'healthcare_share', 'table public.healthcare_share exists');
SELECT has_table('public', 'share_token', 'table public.share_token exists');
SELECT has_table('public', 'device_key', 'table public.device_key exists');
SELECT has_table('public', 'security_audit_log', 'table public.security_audit_log exists');
SELECT has_table('public', 'healthcare_share_audit', 'table public.healthcare_share_audit exists');
SELECT columns_are('public', 'users', ARRAY['id', 'user_id', 'created_at', 'updated_at'], 'public.users has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'encrypted_user_prefs', ARRAY['id', 'user_id', 'ciphertext', 'nonce', 'key_id', 'algorithm', 'aad', 'envelope_version', 'created_at', 'updated_at'], 'public.encrypted_user_prefs has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'encrypted_cycle_data', ARRAY['id', 'user_id', 'ciphertext', 'nonce', 'key_id', 'algorithm', 'aad', 'envelope_version', 'version', 'is_deleted', 'deleted_at', 'created_at', 'updated_at'], 'public.encrypted_cycle_data has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'healthcare_share', ARRAY['id', 'user_id', 'scope', 'expires_at', 'revoked_at', 'max_uses', 'use_count', 'ciphertext', 'nonce', 'key_id', 'algorithm', 'aad', 'envelope_version', 'created_at', 'updated_at'], 'public.healthcare_share has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'share_token', ARRAY['id', 'share_id', 'user_id', 'token_hash', 'expires_at', 'revoked_at', 'last_used_at', 'created_at', 'updated_at'], 'public.share_token has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'device_key', ARRAY['id', 'user_id', 'device_id_hash', 'public_key', 'key_algorithm', 'is_active', 'activated_at', 'retired_at', 'created_at', 'updated_at'], 'public.device_key has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'security_audit_log', ARRAY['id', 'user_id', 'event_type', 'outcome', 'device_key_id', 'ip_hash', 'device_hash', 'created_at'], 'public.security_audit_log has exactly its documented columns (nothing in plaintext)');
SELECT columns_are('public', 'healthcare_share_audit', ARRAY['id', 'share_id', 'user_id', 'event', 'reason', 'ip_hash', 'device_hash', 'created_at', 'attempts', 'window_start', 'last_attempt_at'], 'public.healthcare_share_audit has exactly its documented columns (nothing in plaintext; attempts, window_start and last_attempt_at from 20261128001)');
SELECT col_is_pk('public', 'users', 'id', 'public.users.id is the primary key');
SELECT col_type_is('public', 'users', 'id', 'uuid', 'public.users.id is a uuid');
SELECT col_type_is('public', 'users', 'user_id', 'uuid', 'public.users is owned through user_id uuid');
SELECT col_is_pk('public', 'encrypted_user_prefs', 'id', 'public.encrypted_user_prefs.id is the primary key');
SELECT col_type_is('public', 'encrypted_user_prefs', 'id', 'uuid', 'public.encrypted_user_prefs.id is a uuid');
SELECT col_type_is('public', 'encrypted_user_prefs', 'user_id', 'uuid', 'public.encrypted_user_prefs is owned through user_id uuid');
SELECT col_is_pk('public', 'encrypted_cycle_data', 'id', 'public.encrypted_cycle_data.id is the primary key');
SELECT col_type_is('public', 'encrypted_cycle_data', 'id', 'uuid', 'public.encrypted_cycle_data.id is a uuid');
SELECT col_type_is('public', 'encrypted_cycle_data', 'user_id', 'uuid', 'public.encrypted_cycle_data is owned through user_id uuid');
SELECT col_is_pk('public', 'healthcare_share', 'id', 'public.healthcare_share.id is the primary key');
SELECT col_type_is('public', 'healthcare_share', 'id', 'uuid', 'public.healthcare_share.id is a uuid');
SELECT col_type_is('public', 'healthcare_share', 'user_id', 'uuid', 'public.healthcare_share is owned through user_id uuid');
SELECT col_is_pk('public', 'share_token', 'id', 'public.share_token.id is the primary key');
SELECT col_type_is('public', 'share_token', 'id', 'uuid', 'public.share_token.id is a uuid');
SELECT col_type_is('public', 'share_token', 'user_id', 'uuid', 'public.share_token is owned through user_id uuid');
SELECT col_is_pk('public', 'device_key', 'id', 'public.device_key.id is the primary key');
SELECT col_type_is('public', 'device_key', 'id', 'uuid', 'public.device_key.id is a uuid');
SELECT col_type_is('public', 'device_key', 'user_id', 'uuid', 'public.device_key is owned through user_id uuid');
SELECT col_is_pk('public', 'security_audit_log', 'id', 'public.security_audit_log.id is the primary key');
SELECT col_type_is('public', 'security_audit_log', 'id', 'uuid', 'public.security_audit_log.id is a uuid');
SELECT col_type_is('public', 'security_audit_log', 'user_id', 'uuid', 'public.security_audit_log is owned through user_id uuid');
SELECT col_is_pk('public', 'healthcare_share_audit', 'id', 'public.healthcare_share_audit.id is the primary key');
SELECT col_type_is('public', 'healthcare_share_audit', 'id', 'uuid', 'public.healthcare_share_audit.id is a uuid');
SELECT col_type_is('public', 'healthcare_share_audit', 'user_id', 'uuid', 'public.healthcare_share_audit is owned through user_id uuid');
SELECT col_type_is('public', 'encrypted_user_prefs', 'ciphertext', 'bytea', 'public.encrypted_user_prefs.ciphertext is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'ciphertext', 'public.encrypted_user_prefs.ciphertext is NOT NULL');
SELECT col_type_is('public', 'encrypted_user_prefs', 'nonce', 'bytea', 'public.encrypted_user_prefs.nonce is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'nonce', 'public.encrypted_user_prefs.nonce is NOT NULL');
SELECT col_type_is('public', 'encrypted_user_prefs', 'key_id', 'text', 'public.encrypted_user_prefs.key_id is text (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'key_id', 'public.encrypted_user_prefs.key_id is NOT NULL');
SELECT col_type_is('public', 'encrypted_user_prefs', 'algorithm', 'text', 'public.encrypted_user_prefs.algorithm is text (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'algorithm', 'public.encrypted_user_prefs.algorithm is NOT NULL');
SELECT col_type_is('public', 'encrypted_user_prefs', 'aad', 'bytea', 'public.encrypted_user_prefs.aad is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'aad', 'public.encrypted_user_prefs.aad is NOT NULL');
SELECT col_type_is('public', 'encrypted_user_prefs', 'envelope_version', 'smallint', 'public.encrypted_user_prefs.envelope_version is smallint (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_user_prefs', 'envelope_version', 'public.encrypted_user_prefs.envelope_version is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'ciphertext', 'bytea', 'public.encrypted_cycle_data.ciphertext is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'ciphertext', 'public.encrypted_cycle_data.ciphertext is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'nonce', 'bytea', 'public.encrypted_cycle_data.nonce is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'nonce', 'public.encrypted_cycle_data.nonce is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'key_id', 'text', 'public.encrypted_cycle_data.key_id is text (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'key_id', 'public.encrypted_cycle_data.key_id is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'algorithm', 'text', 'public.encrypted_cycle_data.algorithm is text (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'algorithm', 'public.encrypted_cycle_data.algorithm is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'aad', 'bytea', 'public.encrypted_cycle_data.aad is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'aad', 'public.encrypted_cycle_data.aad is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'envelope_version', 'smallint', 'public.encrypted_cycle_data.envelope_version is smallint (CryptoEnvelope)');
SELECT col_not_null('public', 'encrypted_cycle_data', 'envelope_version', 'public.encrypted_cycle_data.envelope_version is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'ciphertext', 'bytea', 'public.healthcare_share.ciphertext is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'ciphertext', 'public.healthcare_share.ciphertext is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'nonce', 'bytea', 'public.healthcare_share.nonce is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'nonce', 'public.healthcare_share.nonce is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'key_id', 'text', 'public.healthcare_share.key_id is text (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'key_id', 'public.healthcare_share.key_id is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'algorithm', 'text', 'public.healthcare_share.algorithm is text (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'algorithm', 'public.healthcare_share.algorithm is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'aad', 'bytea', 'public.healthcare_share.aad is bytea (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'aad', 'public.healthcare_share.aad is NOT NULL');
SELECT col_type_is('public', 'healthcare_share', 'envelope_version', 'smallint', 'public.healthcare_share.envelope_version is smallint (CryptoEnvelope)');
SELECT col_not_null('public', 'healthcare_share', 'envelope_version', 'public.healthcare_share.envelope_version is NOT NULL');
SELECT col_type_is('public', 'encrypted_cycle_data', 'version', 'bigint', 'cycle data carries a bigint version');
SELECT col_type_is('public', 'encrypted_cycle_data', 'is_deleted', 'boolean', 'cycle data carries a tombstone flag');
SELECT col_type_is('public', 'encrypted_cycle_data', 'deleted_at', 'timestamp with time zone', 'cycle data carries a tombstone time');
SELECT col_type_is('public', 'share_token', 'token_hash', 'bytea', 'share_token stores a bytea hash');
SELECT col_type_is('public', 'device_key', 'public_key', 'bytea', 'device_key stores a public key');
SELECT col_type_is('public', 'users', 'created_at', 'timestamp with time zone', 'public.users.created_at is timestamptz');
SELECT col_type_is('public', 'encrypted_user_prefs', 'created_at', 'timestamp with time zone', 'public.encrypted_user_prefs.created_at is timestamptz');
SELECT col_type_is('public', 'encrypted_cycle_data', 'created_at', 'timestamp with time zone', 'public.encrypted_cycle_data.created_at is timestamptz');
SELECT col_type_is('public', 'healthcare_share', 'created_at', 'timestamp with time zone', 'public.healthcare_share.created_at is timestamptz');
SELECT col_type_is('public', 'share_token', 'created_at', 'timestamp with time zone', 'public.share_token.created_at is timestamptz');
SELECT col_type_is('public', 'device_key', 'created_at', 'timestamp with time zone', 'public.device_key.created_at is timestamptz');
SELECT col_type_is('public', 'security_audit_log', 'created_at', 'timestamp with time zone', 'public.security_audit_log.created_at is timestamptz');
SELECT col_type_is('public', 'healthcare_share_audit', 'created_at', 'timestamp with time zone', 'public.healthcare_share_audit.created_at is timestamptz');
SELECT fk_ok('public', 'users', ARRAY['id'], 'auth', 'users', ARRAY['id']);
SELECT fk_ok('public', 'encrypted_user_prefs', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'encrypted_cycle_data', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'healthcare_share', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'share_token', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'device_key', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'security_audit_log', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'healthcare_share_audit', ARRAY['user_id'], 'public', 'users', ARRAY['id']);
SELECT fk_ok('public', 'share_token', ARRAY['share_id', 'user_id'], 'public', 'healthcare_share', ARRAY['id', 'user_id']);
SELECT fk_ok('public', 'security_audit_log', ARRAY['device_key_id', 'user_id'], 'public', 'device_key', ARRAY['id', 'user_id']);
SELECT fk_ok('public', 'healthcare_share_audit', ARRAY['share_id', 'user_id'], 'public', 'healthcare_share', ARRAY['id', 'user_id']);
SELECT is(
	(SELECT array_agg(f ORDER BY f COLLATE "C")
	   FROM (SELECT format('%s.%s %s', conrelid::regclass, conname, confdeltype) AS f
	           FROM pg_constraint
	          WHERE contype = 'f' AND connamespace = 'public'::regnamespace) AS fk),
	ARRAY['device_key.device_key_user_id_fkey c',
	      'encrypted_cycle_data.encrypted_cycle_data_user_id_fkey c',
	      'encrypted_user_prefs.encrypted_user_prefs_user_id_fkey c',
	      'healthcare_share.healthcare_share_user_id_fkey c',
	      'healthcare_share_audit.healthcare_share_audit_share_fkey n',
	      'healthcare_share_audit.healthcare_share_audit_user_id_fkey n',
	      'security_audit_log.security_audit_log_device_key_fkey n',
	      'security_audit_log.security_audit_log_user_id_fkey n',
	      'share_token.share_token_share_fkey c',
	      'share_token.share_token_user_id_fkey c',
	      'users.users_id_fkey c'],
	'foreign keys: user data cascades with its owner; audit rows outlive a deleted share, key or user (SET NULL, 20261128001)');
SELECT is(
	(SELECT array_agg(a.attname ORDER BY a.attname)::text[] FROM pg_constraint c
	   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.confdelsetcols)
	  WHERE c.conname IN ('healthcare_share_audit_share_fkey', 'security_audit_log_device_key_fkey')),
	ARRAY['device_key_id', 'share_id']::text[],
	'ON DELETE SET NULL clears only share_id / device_key_id, never the owner');
SELECT has_check('public', 'encrypted_user_prefs', 'public.encrypted_user_prefs has CHECK constraints');
SELECT has_check('public', 'encrypted_cycle_data', 'public.encrypted_cycle_data has CHECK constraints');
SELECT has_check('public', 'healthcare_share', 'public.healthcare_share has CHECK constraints');
SELECT has_check('public', 'share_token', 'public.share_token has CHECK constraints');
SELECT has_check('public', 'device_key', 'public.device_key has CHECK constraints');
SELECT has_check('public', 'security_audit_log', 'public.security_audit_log has CHECK constraints');
SELECT has_check('public', 'healthcare_share_audit', 'public.healthcare_share_audit has CHECK constraints');
SELECT has_trigger('public', 'users', 'users_set_updated_at', 'trigger users_set_updated_at on public.users');
SELECT has_trigger('public', 'encrypted_user_prefs', 'encrypted_user_prefs_set_updated_at', 'trigger encrypted_user_prefs_set_updated_at on public.encrypted_user_prefs');
SELECT has_trigger('public', 'encrypted_cycle_data', 'encrypted_cycle_data_set_updated_at', 'trigger encrypted_cycle_data_set_updated_at on public.encrypted_cycle_data');
SELECT has_trigger('public', 'encrypted_cycle_data', 'encrypted_cycle_data_versioning', 'trigger encrypted_cycle_data_versioning on public.encrypted_cycle_data');
SELECT has_trigger('public', 'healthcare_share', 'healthcare_share_set_updated_at', 'trigger healthcare_share_set_updated_at on public.healthcare_share');
SELECT has_trigger('public', 'share_token', 'share_token_set_updated_at', 'trigger share_token_set_updated_at on public.share_token');
SELECT has_trigger('public', 'device_key', 'device_key_set_updated_at', 'trigger device_key_set_updated_at on public.device_key');
SELECT trigger_is('public', 'users', 'users_set_updated_at', 'aura_private', 'set_updated_at', 'users_set_updated_at calls aura_private.set_updated_at()');
SELECT trigger_is('public', 'encrypted_user_prefs', 'encrypted_user_prefs_set_updated_at', 'aura_private', 'set_updated_at', 'encrypted_user_prefs_set_updated_at calls aura_private.set_updated_at()');
SELECT trigger_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_set_updated_at', 'aura_private', 'set_updated_at', 'encrypted_cycle_data_set_updated_at calls aura_private.set_updated_at()');
SELECT trigger_is('public', 'encrypted_cycle_data', 'encrypted_cycle_data_versioning', 'aura_private', 'cycle_data_versioning', 'encrypted_cycle_data_versioning calls aura_private.cycle_data_versioning()');
SELECT trigger_is('public', 'healthcare_share', 'healthcare_share_set_updated_at', 'aura_private', 'set_updated_at', 'healthcare_share_set_updated_at calls aura_private.set_updated_at()');
SELECT trigger_is('public', 'share_token', 'share_token_set_updated_at', 'aura_private', 'set_updated_at', 'share_token_set_updated_at calls aura_private.set_updated_at()');
SELECT trigger_is('public', 'device_key', 'device_key_set_updated_at', 'aura_private', 'set_updated_at', 'device_key_set_updated_at calls aura_private.set_updated_at()');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.users'::regclass), true, 'RLS is enabled on public.users');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.encrypted_user_prefs'::regclass), true, 'RLS is enabled on public.encrypted_user_prefs');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.encrypted_cycle_data'::regclass), true, 'RLS is enabled on public.encrypted_cycle_data');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.healthcare_share'::regclass), true, 'RLS is enabled on public.healthcare_share');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.share_token'::regclass), true, 'RLS is enabled on public.share_token');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.device_key'::regclass), true, 'RLS is enabled on public.device_key');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.security_audit_log'::regclass), true, 'RLS is enabled on public.security_audit_log');
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = 'public.healthcare_share_audit'::regclass), true, 'RLS is enabled on public.healthcare_share_audit');
SELECT has_index('public', 'users', 'users_user_id_idx', ARRAY['user_id'], 'index users_user_id_idx on public.users (user_id)');
SELECT has_index('public', 'encrypted_user_prefs', 'encrypted_user_prefs_user_id_updated_at_idx', ARRAY['user_id', 'updated_at'], 'index encrypted_user_prefs_user_id_updated_at_idx on public.encrypted_user_prefs (user_id, updated_at)');
SELECT has_index('public', 'encrypted_cycle_data', 'encrypted_cycle_data_sync_idx', 'index encrypted_cycle_data_sync_idx exists');
SELECT has_index('public', 'encrypted_cycle_data', 'encrypted_cycle_data_tombstone_idx', ARRAY['deleted_at'], 'index encrypted_cycle_data_tombstone_idx on public.encrypted_cycle_data (deleted_at)');
SELECT has_index('public', 'healthcare_share', 'healthcare_share_user_id_created_at_idx', ARRAY['user_id', 'created_at'], 'index healthcare_share_user_id_created_at_idx on public.healthcare_share (user_id, created_at)');
SELECT has_index('public', 'healthcare_share', 'healthcare_share_live_idx', ARRAY['user_id', 'expires_at'], 'index healthcare_share_live_idx on public.healthcare_share (user_id, expires_at)');
SELECT has_index('public', 'healthcare_share', 'healthcare_share_expires_at_idx', ARRAY['expires_at'], 'index healthcare_share_expires_at_idx on public.healthcare_share (expires_at)');
SELECT has_index('public', 'healthcare_share', 'healthcare_share_revoked_at_idx', ARRAY['revoked_at'], 'index healthcare_share_revoked_at_idx on public.healthcare_share (revoked_at)');
SELECT has_index('public', 'share_token', 'share_token_token_hash_hash_idx', ARRAY['token_hash'], 'index share_token_token_hash_hash_idx on public.share_token (token_hash)');
SELECT has_index('public', 'share_token', 'share_token_user_id_created_at_idx', ARRAY['user_id', 'created_at'], 'index share_token_user_id_created_at_idx on public.share_token (user_id, created_at)');
SELECT has_index('public', 'share_token', 'share_token_share_id_user_id_idx', ARRAY['share_id', 'user_id'], 'index share_token_share_id_user_id_idx on public.share_token (share_id, user_id)');
SELECT has_index('public', 'share_token', 'share_token_live_idx', ARRAY['share_id', 'expires_at'], 'index share_token_live_idx on public.share_token (share_id, expires_at)');
SELECT has_index('public', 'share_token', 'share_token_expires_at_idx', ARRAY['expires_at'], 'index share_token_expires_at_idx on public.share_token (expires_at)');
SELECT has_index('public', 'share_token', 'share_token_revoked_at_idx', ARRAY['revoked_at'], 'index share_token_revoked_at_idx on public.share_token (revoked_at)');
SELECT has_index('public', 'device_key', 'device_key_one_active_per_device', ARRAY['user_id', 'device_id_hash'], 'index device_key_one_active_per_device on public.device_key (user_id, device_id_hash)');
SELECT has_index('public', 'device_key', 'device_key_user_id_created_at_idx', ARRAY['user_id', 'created_at'], 'index device_key_user_id_created_at_idx on public.device_key (user_id, created_at)');
SELECT has_index('public', 'security_audit_log', 'security_audit_log_user_id_created_at_idx', ARRAY['user_id', 'created_at'], 'index security_audit_log_user_id_created_at_idx on public.security_audit_log (user_id, created_at)');
SELECT has_index('public', 'security_audit_log', 'security_audit_log_device_key_id_user_id_idx', ARRAY['device_key_id', 'user_id'], 'index security_audit_log_device_key_id_user_id_idx on public.security_audit_log (device_key_id, user_id)');
SELECT has_index('public', 'healthcare_share_audit', 'healthcare_share_audit_user_id_created_at_idx', ARRAY['user_id', 'created_at'], 'index healthcare_share_audit_user_id_created_at_idx on public.healthcare_share_audit (user_id, created_at)');
SELECT has_index('public', 'healthcare_share_audit', 'healthcare_share_audit_share_id_user_id_idx', ARRAY['share_id', 'user_id'], 'index healthcare_share_audit_share_id_user_id_idx on public.healthcare_share_audit (share_id, user_id)');
SELECT is(pg_get_indexdef('public.encrypted_cycle_data_sync_idx'::regclass),
	'CREATE INDEX encrypted_cycle_data_sync_idx ON public.encrypted_cycle_data USING btree (user_id, updated_at) INCLUDE (id, version, is_deleted)',
	'the sync index leads with user_id (RLS) and covers the sync columns');
SELECT index_is_type('public', 'share_token', 'share_token_token_hash_hash_idx', 'hash', 'token hashes are looked up through a hash index');
SELECT index_is_unique('public', 'device_key', 'device_key_one_active_per_device', 'one active key per (user, device) is a unique index');
SELECT is(pg_get_expr(indpred, indrelid), 'is_active', 'the one-active-key index is partial: WHERE is_active')
	FROM pg_index WHERE indexrelid = 'public.device_key_one_active_per_device'::regclass;
SELECT is(pg_get_expr(indpred, indrelid), '(revoked_at IS NULL)', 'live tokens have a partial index')
	FROM pg_index WHERE indexrelid = 'public.share_token_live_idx'::regclass;
SELECT is_empty($$
	SELECT c.conrelid::regclass, c.conname
	  FROM pg_constraint c
	 WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
	   AND NOT EXISTS (
		SELECT 1 FROM pg_index i
		 WHERE i.indrelid = c.conrelid
		   AND i.indpred IS NULL
		   AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
		   AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)$$,
	'every foreign key is served by a full index leading with its columns');
SELECT is_empty($$
	SELECT c.relname FROM pg_class c
	 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
	   AND c.relname = ANY (ARRAY['users', 'encrypted_user_prefs', 'encrypted_cycle_data', 'healthcare_share',
	                              'share_token', 'device_key', 'security_audit_log', 'healthcare_share_audit'])
	   AND NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
	                    WHERE i.indrelid = c.oid AND a.attname = 'user_id' AND i.indpred IS NULL)$$,
	'every table has a full index whose leading column is user_id (serves the RLS predicate)');
SELECT is_empty($$
	SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
	  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE c.relnamespace = 'public'::regnamespace
	   AND c.relname = ANY (ARRAY['users', 'encrypted_user_prefs', 'encrypted_cycle_data', 'healthcare_share',
	                              'share_token', 'device_key', 'security_audit_log', 'healthcare_share_audit'])
	   AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'json'::regtype, 'jsonb'::regtype,
	                      'inet'::regtype, 'cidr'::regtype, 'date'::regtype, 'bpchar'::regtype)
	   AND NOT EXISTS (SELECT 1 FROM pg_constraint k
	                    WHERE k.conrelid = c.oid AND k.contype = 'c' AND a.attnum = ANY (k.conkey))$$,
	'no free-form text, JSON, inet or date column: every text column is bounded by a CHECK');

SELECT * FROM finish();
ROLLBACK;
