-- Migration: 20250909004_performance_indexes.sql
-- Description: Indexes for RLS predicates, the sync query, live tokens, token-hash lookup, expiry cleanup and every foreign key
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema public
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Every RLS policy filters on user_id = (select auth.uid()), so every table gets an
-- index whose leading column is user_id; that index also serves the foreign key to
-- public.users (deleting a user cascades through them).  Composite foreign keys
-- (share_id, user_id) and (device_key_id, user_id) get an index leading with the
-- referencing columns.  Plain CREATE INDEX, since migrations run inside a
-- transaction; on a large existing table build an index by hand first, outside a
-- transaction block and under the same name, and IF NOT EXISTS here then skips it.

-- users: the RLS predicate is on the generated owner column.
CREATE UNIQUE INDEX IF NOT EXISTS users_user_id_idx
	ON public.users (user_id);

-- encrypted_user_prefs: UNIQUE (user_id) from 20250909001 serves RLS and the FK;
-- this one serves "prefs changed since" for sync.
CREATE INDEX IF NOT EXISTS encrypted_user_prefs_user_id_updated_at_idx
	ON public.encrypted_user_prefs (user_id, updated_at);

-- encrypted_cycle_data: the sync query
--   SELECT id, version, is_deleted, updated_at FROM public.encrypted_cycle_data
--    WHERE updated_at > $since      -- RLS adds user_id = (select auth.uid())
-- is answered from this index alone (index-only scan); fetching the envelopes of
-- the changed rows uses the same index.  Ciphertext is not INCLUDEd (too large).
CREATE INDEX IF NOT EXISTS encrypted_cycle_data_sync_idx
	ON public.encrypted_cycle_data (user_id, updated_at)
	INCLUDE (id, version, is_deleted);

-- Purging old tombstones.
CREATE INDEX IF NOT EXISTS encrypted_cycle_data_tombstone_idx
	ON public.encrypted_cycle_data (deleted_at)
	WHERE is_deleted;

-- healthcare_share: owner listing (RLS, FK), live shares, expiry cleanup.
CREATE INDEX IF NOT EXISTS healthcare_share_user_id_created_at_idx
	ON public.healthcare_share (user_id, created_at);
CREATE INDEX IF NOT EXISTS healthcare_share_live_idx
	ON public.healthcare_share (user_id, expires_at)
	WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS healthcare_share_expires_at_idx
	ON public.healthcare_share (expires_at);
CREATE INDEX IF NOT EXISTS healthcare_share_revoked_at_idx
	ON public.healthcare_share (revoked_at)
	WHERE revoked_at IS NOT NULL;

-- share_token: exact-match lookup of sha256(token) in validate_share_token().
-- (UNIQUE (token_hash) of 20250909001 keeps integrity; the hash index is the
-- smaller, faster structure for the equality probe.)
CREATE INDEX IF NOT EXISTS share_token_token_hash_hash_idx
	ON public.share_token USING hash (token_hash);
CREATE INDEX IF NOT EXISTS share_token_user_id_created_at_idx
	ON public.share_token (user_id, created_at);
CREATE INDEX IF NOT EXISTS share_token_share_id_user_id_idx
	ON public.share_token (share_id, user_id);
-- Live (not revoked) tokens of a share, by expiry.
CREATE INDEX IF NOT EXISTS share_token_live_idx
	ON public.share_token (share_id, expires_at)
	WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS share_token_expires_at_idx
	ON public.share_token (expires_at);
CREATE INDEX IF NOT EXISTS share_token_revoked_at_idx
	ON public.share_token (revoked_at)
	WHERE revoked_at IS NOT NULL;

-- device_key: the partial unique index of 20250909001 covers only active keys, so
-- the FK and RLS need a full one.
CREATE INDEX IF NOT EXISTS device_key_user_id_created_at_idx
	ON public.device_key (user_id, created_at);

-- security_audit_log
CREATE INDEX IF NOT EXISTS security_audit_log_user_id_created_at_idx
	ON public.security_audit_log (user_id, created_at);
CREATE INDEX IF NOT EXISTS security_audit_log_device_key_id_user_id_idx
	ON public.security_audit_log (device_key_id, user_id);

-- healthcare_share_audit
CREATE INDEX IF NOT EXISTS healthcare_share_audit_user_id_created_at_idx
	ON public.healthcare_share_audit (user_id, created_at);
CREATE INDEX IF NOT EXISTS healthcare_share_audit_share_id_user_id_idx
	ON public.healthcare_share_audit (share_id, user_id);
