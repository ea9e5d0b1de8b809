-- Migration: 20250909001_initial_schema.sql
-- Description: Aura core tables (zero-knowledge: CryptoEnvelope columns only), keys, checks, updated_at triggers, RLS enabled
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, table auth.users, role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Eight tables in schema public, all owned by one user through a column named
-- user_id, plus schema aura_private for what must never be reachable through the API
-- (the audit salt and trigger functions).  The server stores only ciphertext: every
-- encrypted row carries a CryptoEnvelope (ciphertext, nonce, key_id, algorithm, aad,
-- envelope_version) whose fields are bounded by CHECK constraints, and no column can
-- hold plaintext health data, a name, an e-mail address, a birth date, a share token,
-- an IP address or a device id.  RLS is enabled here on every table and stays
-- default-deny until 20250909002 adds the owner policies.  Indexes other than keys
-- are in 20250909004.

-- ---------------------------------------------------------------------------
-- Private schema: not exposed through PostgREST, no privileges for API roles.
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS aura_private;
REVOKE ALL ON SCHEMA aura_private FROM PUBLIC;
COMMENT ON SCHEMA aura_private IS
	'Aura internals (audit salt, trigger functions); never exposed through the API';

CREATE TABLE aura_private.audit_salt (
	id smallint NOT NULL DEFAULT 1 PRIMARY KEY,
	salt bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT audit_salt_single_row CHECK (id = 1),
	CONSTRAINT audit_salt_salt_len CHECK (octet_length(salt) = 32)
);
ALTER TABLE aura_private.audit_salt ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE aura_private.audit_salt FROM PUBLIC;
COMMENT ON TABLE aura_private.audit_salt IS
	'Secret server-side salt (pepper) for IP and device hashes in audit rows; one row';

-- 256 bits from the strong random source behind gen_random_uuid() (pgcrypto is not needed).
INSERT INTO aura_private.audit_salt (id, salt)
VALUES (1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
	|| gen_random_uuid()::text || clock_timestamp()::text, 'UTF8')))
ON CONFLICT (id) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Trigger functions
-- ---------------------------------------------------------------------------
CREATE FUNCTION aura_private.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Clients never choose the sync timestamp; created_at never changes.
	NEW.updated_at := pg_catalog.now();
	IF TG_OP = 'UPDATE' THEN
		NEW.created_at := OLD.created_at;
	END IF;
	RETURN NEW;
END;
$$;

CREATE FUNCTION aura_private.cycle_data_versioning()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Every update bumps the version, whoever issues it, so optimistic
	-- concurrency holds even for direct UPDATEs that bypass the RPC.
	NEW.version := OLD.version + 1;
	-- The tombstone timestamp follows the flag.
	IF NEW.is_deleted AND NOT OLD.is_deleted THEN
		NEW.deleted_at := pg_catalog.now();
	ELSIF NOT NEW.is_deleted THEN
		NEW.deleted_at := NULL;
	ELSE
		NEW.deleted_at := OLD.deleted_at;
	END IF;
	RETURN NEW;
END;
$$;

REVOKE ALL ON FUNCTION aura_private.set_updated_at() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.cycle_data_versioning() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.set_updated_at() IS
	'Trigger: sets updated_at to now() on INSERT and UPDATE, keeps created_at';
COMMENT ON FUNCTION aura_private.cycle_data_versioning() IS
	'Trigger: bumps encrypted_cycle_data.version on every UPDATE and maintains deleted_at';

-- ---------------------------------------------------------------------------
-- users: one row per auth.users row, nothing personal.
-- ---------------------------------------------------------------------------
CREATE TABLE public.users (
	id uuid NOT NULL PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
	user_id uuid GENERATED ALWAYS AS (id) STORED,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE public.users IS
	'Aura account: the auth.users id and timestamps only (no name, e-mail or birth date)';
COMMENT ON COLUMN public.users.user_id IS
	'Owner column, always equal to id, so that every table is owned through user_id';

-- ---------------------------------------------------------------------------
-- encrypted_user_prefs: one encrypted preferences blob per user.
-- ---------------------------------------------------------------------------
CREATE TABLE public.encrypted_user_prefs (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT encrypted_user_prefs_one_per_user UNIQUE (user_id),
	CONSTRAINT encrypted_user_prefs_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 65536),
	CONSTRAINT encrypted_user_prefs_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT encrypted_user_prefs_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT encrypted_user_prefs_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT encrypted_user_prefs_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT encrypted_user_prefs_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32)
);
COMMENT ON TABLE public.encrypted_user_prefs IS
	'Client-encrypted preferences, one CryptoEnvelope per user';

-- ---------------------------------------------------------------------------
-- encrypted_cycle_data: encrypted cycle records, versioned, with sync tombstones.
-- ---------------------------------------------------------------------------
CREATE TABLE public.encrypted_cycle_data (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	version bigint NOT NULL DEFAULT 1,
	is_deleted boolean NOT NULL DEFAULT false,
	deleted_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT encrypted_cycle_data_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 262144),
	CONSTRAINT encrypted_cycle_data_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT encrypted_cycle_data_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT encrypted_cycle_data_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT encrypted_cycle_data_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT encrypted_cycle_data_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32),
	CONSTRAINT encrypted_cycle_data_version_positive
		CHECK (version >= 1),
	CONSTRAINT encrypted_cycle_data_tombstone
		CHECK (is_deleted = (deleted_at IS NOT NULL))
);
COMMENT ON TABLE public.encrypted_cycle_data IS
	'Client-encrypted cycle records; version for optimistic concurrency, is_deleted/deleted_at tombstones for sync';
COMMENT ON COLUMN public.encrypted_cycle_data.version IS
	'Bumped by trigger on every UPDATE; see public.update_cycle_data_optimistic()';

-- ---------------------------------------------------------------------------
-- healthcare_share: a user's time-limited, revocable, use-limited share.
-- ---------------------------------------------------------------------------
CREATE TABLE public.healthcare_share (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	scope text NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	max_uses integer NOT NULL DEFAULT 1,
	use_count integer NOT NULL DEFAULT 0,
	ciphertext bytea NOT NULL,
	nonce bytea NOT NULL,
	key_id text NOT NULL,
	algorithm text NOT NULL,
	aad bytea NOT NULL DEFAULT '\x'::bytea,
	envelope_version smallint NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT healthcare_share_id_user_id_key UNIQUE (id, user_id),
	CONSTRAINT healthcare_share_scope_allowed
		CHECK (scope IN ('cycle_summary', 'cycle_history', 'full_export')),
	CONSTRAINT healthcare_share_expiry_window
		CHECK (expires_at > created_at AND expires_at <= created_at + interval '90 days'),
	CONSTRAINT healthcare_share_revoked_after_created
		CHECK (revoked_at IS NULL OR revoked_at >= created_at),
	CONSTRAINT healthcare_share_max_uses_range
		CHECK (max_uses BETWEEN 1 AND 1000),
	CONSTRAINT healthcare_share_use_count_range
		CHECK (use_count >= 0 AND use_count <= max_uses),
	CONSTRAINT healthcare_share_ciphertext_len
		CHECK (octet_length(ciphertext) BETWEEN 16 AND 1048576),
	CONSTRAINT healthcare_share_algorithm_allowed
		CHECK (algorithm IN ('xchacha20poly1305-ietf', 'aes-256-gcm')),
	CONSTRAINT healthcare_share_nonce_len
		CHECK ((algorithm = 'xchacha20poly1305-ietf' AND octet_length(nonce) = 24)
			OR (algorithm = 'aes-256-gcm' AND octet_length(nonce) = 12)),
	CONSTRAINT healthcare_share_key_id_format
		CHECK (key_id ~ '^[A-Za-z0-9._:/+=-]{1,128}$'),
	CONSTRAINT healthcare_share_aad_len
		CHECK (octet_length(aad) <= 1024),
	CONSTRAINT healthcare_share_envelope_version_range
		CHECK (envelope_version BETWEEN 1 AND 32)
);
COMMENT ON TABLE public.healthcare_share IS
	'A share for a healthcare provider: scope, expiry, revocation, use limit, and the shared data as a CryptoEnvelope encrypted for the provider';

-- ---------------------------------------------------------------------------
-- share_token: SHA-256 of a share token; the token itself is never stored.
-- ---------------------------------------------------------------------------
CREATE TABLE public.share_token (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	share_id uuid NOT NULL,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	token_hash bytea NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	last_used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	-- Composite key: a token can only point at a share of the same owner.
	CONSTRAINT share_token_share_fkey FOREIGN KEY (share_id, user_id)
		REFERENCES public.healthcare_share (id, user_id) ON DELETE CASCADE,
	CONSTRAINT share_token_token_hash_key UNIQUE (token_hash),
	CONSTRAINT share_token_token_hash_len CHECK (octet_length(token_hash) = 32),
	CONSTRAINT share_token_expiry_after_created CHECK (expires_at > created_at),
	CONSTRAINT share_token_revoked_after_created
		CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
COMMENT ON TABLE public.share_token IS
	'Share tokens, stored only as sha256(token) (32 bytes); the token lives in the QR code or link, never here';

-- ---------------------------------------------------------------------------
-- device_key: public keys of a user's devices; one active key per device.
-- ---------------------------------------------------------------------------
CREATE TABLE public.device_key (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	device_id_hash bytea NOT NULL,
	public_key bytea NOT NULL,
	key_algorithm text NOT NULL,
	is_active boolean NOT NULL DEFAULT true,
	activated_at timestamptz NOT NULL DEFAULT now(),
	retired_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT device_key_id_user_id_key UNIQUE (id, user_id),
	CONSTRAINT device_key_device_id_hash_len CHECK (octet_length(device_id_hash) = 32),
	CONSTRAINT device_key_algorithm_allowed
		CHECK (key_algorithm IN ('x25519', 'ed25519', 'p256')),
	CONSTRAINT device_key_public_key_len
		CHECK ((key_algorithm IN ('x25519', 'ed25519') AND octet_length(public_key) = 32)
			OR (key_algorithm = 'p256' AND octet_length(public_key) IN (33, 65))),
	CONSTRAINT device_key_active_not_retired
		CHECK (is_active = (retired_at IS NULL))
);
COMMENT ON TABLE public.device_key IS
	'Device public keys (never private keys); the device id only as a client-side hash';

-- The database, not the application, guarantees one active key per user and device.
CREATE UNIQUE INDEX device_key_one_active_per_device
	ON public.device_key (user_id, device_id_hash)
	WHERE is_active;

-- ---------------------------------------------------------------------------
-- security_audit_log: append-only security events, hashes only.
-- ---------------------------------------------------------------------------
CREATE TABLE public.security_audit_log (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
	event_type text NOT NULL,
	outcome text NOT NULL DEFAULT 'success',
	device_key_id uuid,
	ip_hash bytea,
	device_hash bytea,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT security_audit_log_device_key_fkey FOREIGN KEY (device_key_id, user_id)
		REFERENCES public.device_key (id, user_id) ON DELETE SET NULL (device_key_id),
	CONSTRAINT security_audit_log_event_type_allowed
		CHECK (event_type IN ('device_key_registered', 'device_key_rotated',
			'device_key_retired', 'sign_in', 'sign_out', 'share_created',
			'share_revoked', 'export_requested', 'recovery_used')),
	CONSTRAINT security_audit_log_outcome_allowed
		CHECK (outcome IN ('success', 'failure', 'denied')),
	CONSTRAINT security_audit_log_ip_hash_len
		CHECK (ip_hash IS NULL OR octet_length(ip_hash) = 32),
	CONSTRAINT security_audit_log_device_hash_len
		CHECK (device_hash IS NULL OR octet_length(device_hash) = 32)
);
COMMENT ON TABLE public.security_audit_log IS
	'Append-only security events; IP addresses and device ids only as 32-byte salted hashes';

-- ---------------------------------------------------------------------------
-- healthcare_share_audit: append-only record of every share access attempt.
-- ---------------------------------------------------------------------------
CREATE TABLE public.healthcare_share_audit (
	id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
	share_id uuid,
	user_id uuid REFERENCES public.users (id) ON DELETE CASCADE,
	event text NOT NULL,
	reason text NOT NULL DEFAULT 'ok',
	ip_hash bytea,
	device_hash bytea,
	created_at timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT healthcare_share_audit_share_fkey FOREIGN KEY (share_id, user_id)
		REFERENCES public.healthcare_share (id, user_id) ON DELETE SET NULL (share_id),
	CONSTRAINT healthcare_share_audit_share_has_owner
		CHECK (share_id IS NULL OR user_id IS NOT NULL),
	CONSTRAINT healthcare_share_audit_event_allowed
		CHECK (event IN ('token_validated', 'token_rejected', 'data_accessed',
			'data_exported', 'share_created', 'share_revoked')),
	CONSTRAINT healthcare_share_audit_reason_allowed
		CHECK (reason IN ('ok', 'unknown_token', 'expired', 'revoked', 'exhausted')),
	CONSTRAINT healthcare_share_audit_ip_hash_len
		CHECK (ip_hash IS NULL OR octet_length(ip_hash) = 32),
	CONSTRAINT healthcare_share_audit_device_hash_len
		CHECK (device_hash IS NULL OR octet_length(device_hash) = 32)
);
COMMENT ON TABLE public.healthcare_share_audit IS
	'Append-only share access audit; rejected tokens keep their real reason here (user_id NULL when the token is unknown)';

-- ---------------------------------------------------------------------------
-- updated_at and version triggers
-- ---------------------------------------------------------------------------
CREATE TRIGGER users_set_updated_at
	BEFORE INSERT OR UPDATE ON public.users
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_user_prefs_set_updated_at
	BEFORE INSERT OR UPDATE ON public.encrypted_user_prefs
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_cycle_data_set_updated_at
	BEFORE INSERT OR UPDATE ON public.encrypted_cycle_data
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER encrypted_cycle_data_versioning
	BEFORE UPDATE ON public.encrypted_cycle_data
	FOR EACH ROW EXECUTE FUNCTION aura_private.cycle_data_versioning();
CREATE TRIGGER healthcare_share_set_updated_at
	BEFORE INSERT OR UPDATE ON public.healthcare_share
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER share_token_set_updated_at
	BEFORE INSERT OR UPDATE ON public.share_token
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();
CREATE TRIGGER device_key_set_updated_at
	BEFORE INSERT OR UPDATE ON public.device_key
	FOR EACH ROW EXECUTE FUNCTION aura_private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Row level security: on for every table, default deny until 20250909002.
-- ---------------------------------------------------------------------------
ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.encrypted_user_prefs ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.encrypted_cycle_data ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.healthcare_share ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.share_token ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.device_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.security_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.healthcare_share_audit ENABLE ROW LEVEL SECURITY;

-- No API role holds any privilege until 20250909002 grants exactly what is needed
-- (Supabase's default privileges would otherwise hand every new table to anon,
-- authenticated and service_role, and service_role bypasses RLS).
REVOKE ALL ON TABLE public.users, public.encrypted_user_prefs, public.encrypted_cycle_data,
	public.healthcare_share, public.share_token, public.device_key,
	public.security_audit_log, public.healthcare_share_audit
	FROM PUBLIC, anon, authenticated, service_role;
