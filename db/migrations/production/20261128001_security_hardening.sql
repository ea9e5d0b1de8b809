-- Migration: 20261128001_security_hardening.sql
-- Description: Server-owned share timestamps and use counts, audit rows written only by definer RPCs and kept anonymised, aggregated token rejections, 32-character minimum tokens
-- Author: Aura Team
-- Created: 2026-11-28
-- Requires: schema auth, function auth.uid(), role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Closes three holes in 20250909001-004 (those files are never edited):
--
--  1. Share expiry came from a value the client writes.  created_at was pinned only
--     on UPDATE, so a share inserted with created_at ten years ahead passed the
--     90-day CHECK for 3,653 days, and the owner could reset use_count.  Now a
--     trigger sets created_at (and use_count = 0) from the server on INSERT by
--     anyone but the table owner, so the existing CHECK bounds expires_at to
--     now() .. now() + 90 days at insert and to created_at + 90 days on every
--     update (set_updated_at keeps created_at on UPDATE).  authenticated loses
--     the UPDATE privilege on use_count (and on the other columns only the server
--     maintains); a trigger refuses lowering use_count whoever tries.  Rows that
--     already carry a future created_at are brought back to the server's time.
--
--  2. authenticated held INSERT on both audit tables (back-dated, invented events)
--     and the audit rows were deleted with their user (ON DELETE CASCADE), so a
--     user erased every trace, providers' access included, by deleting and
--     re-creating the public.users row.  Now only SECURITY DEFINER RPCs write audit
--     rows (rotate_device_key becomes one), and deleting a user anonymises its
--     audit rows instead of deleting them: user_id, share_id and device_key_id
--     become NULL (the foreign keys to public.users become ON DELETE SET NULL).
--
--  3. anon added one audit row per validate_share_token call, without limit, and
--     token strength was the client's business.  Now rejected attempts are
--     aggregated: one healthcare_share_audit row per (share, reason, hour), all
--     unknown tokens of an hour in one row, with an attempts counter.  Tokens
--     shorter than 32 characters are refused by validate_share_token, and tokens
--     are created only through public.create_share_token(), which refuses them
--     too (authenticated loses INSERT on share_token: the server cannot measure a
--     token from its hash).

-- ---------------------------------------------------------------------------
-- 1. Server-maintained columns of healthcare_share and share_token
-- ---------------------------------------------------------------------------
CREATE FUNCTION aura_private.healthcare_share_server_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- created_at and use_count belong to the server.  On INSERT by any role that
	-- is not (a member of) the table owner, i.e. by the API roles, created_at is
	-- the transaction time and use_count 0, whatever the client sent; the CHECK
	-- healthcare_share_expiry_window then bounds expires_at by server time.  The
	-- table owner and superusers keep what they write (restores, maintenance, test
	-- fixtures).  use_count never goes down, whoever issues the UPDATE.
	IF TG_OP = 'INSERT' THEN
		IF NOT pg_catalog.pg_has_role(CURRENT_USER,
				(SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID),
				'USAGE') THEN
			NEW.created_at := pg_catalog.now();
			NEW.use_count := 0;
		END IF;
	ELSIF NEW.use_count < OLD.use_count THEN
		RAISE EXCEPTION 'use_count of a share cannot be lowered'
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('use_count is %s, the update asked for %s.',
											 OLD.use_count, NEW.use_count),
				  HINT = 'Create a new share to grant new uses.';
	END IF;
	RETURN NEW;
END;
$$;

CREATE FUNCTION aura_private.share_token_server_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- created_at and last_used_at belong to the server: on INSERT by a role that
	-- is not (a member of) the table owner they are the transaction time and NULL.
	IF NOT pg_catalog.pg_has_role(CURRENT_USER,
			(SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID),
			'USAGE') THEN
		NEW.created_at := pg_catalog.now();
		NEW.last_used_at := NULL;
	END IF;
	RETURN NEW;
END;
$$;

REVOKE ALL ON FUNCTION aura_private.healthcare_share_server_columns() FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.share_token_server_columns() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.healthcare_share_server_columns() IS
	'Trigger: created_at = now() and use_count = 0 on INSERT by API roles; use_count never lowered';
COMMENT ON FUNCTION aura_private.share_token_server_columns() IS
	'Trigger: created_at = now() and last_used_at = NULL on INSERT by API roles';

CREATE TRIGGER healthcare_share_server_columns
	BEFORE INSERT OR UPDATE ON public.healthcare_share
	FOR EACH ROW EXECUTE FUNCTION aura_private.healthcare_share_server_columns();
CREATE TRIGGER share_token_server_columns
	BEFORE INSERT ON public.share_token
	FOR EACH ROW EXECUTE FUNCTION aura_private.share_token_server_columns();

-- Rows written before this migration with a created_at in the future: a row's
-- updated_at is the server's time of its last write, so the real creation time
-- is at most that.  The expiry is cut back to 90 days from it.  set_updated_at
-- keeps created_at on UPDATE, so it is switched off for this one statement
-- (inside the migration's transaction).
ALTER TABLE public.healthcare_share DISABLE TRIGGER healthcare_share_set_updated_at;
UPDATE public.healthcare_share AS s
   SET created_at = s.updated_at,
	   expires_at = LEAST(s.expires_at, s.updated_at + interval '90 days'),
	   updated_at = pg_catalog.now()
 WHERE s.created_at > s.updated_at;
ALTER TABLE public.healthcare_share ENABLE TRIGGER healthcare_share_set_updated_at;

ALTER TABLE public.share_token DISABLE TRIGGER share_token_set_updated_at;
UPDATE public.share_token AS t
   SET created_at = t.updated_at,
	   updated_at = pg_catalog.now()
 WHERE t.created_at > t.updated_at;
ALTER TABLE public.share_token ENABLE TRIGGER share_token_set_updated_at;

-- The owner may change what a share says (scope, expiry, revocation, limit, the
-- encrypted payload) but not the server's counter: no UPDATE of use_count, id or
-- user_id.  created_at and updated_at stay updatable because the triggers
-- overwrite them anyway (a client sending a row back unchanged keeps working).
REVOKE UPDATE ON TABLE public.healthcare_share FROM authenticated;
GRANT UPDATE (scope, expires_at, revoked_at, max_uses, ciphertext, nonce, key_id,
	algorithm, aad, envelope_version, created_at, updated_at)
	ON TABLE public.healthcare_share TO authenticated;

-- Tokens are created only by public.create_share_token() (it measures the token
-- before hashing it); the owner may shorten or revoke a token, nothing else.  A
-- command no API role may run keeps no policy: granting INSERT again by mistake
-- then still lets nothing in (RLS default deny).
REVOKE INSERT, UPDATE ON TABLE public.share_token FROM authenticated;
GRANT UPDATE (expires_at, revoked_at, created_at, updated_at)
	ON TABLE public.share_token TO authenticated;
DROP POLICY share_token_insert_own ON public.share_token;

-- ---------------------------------------------------------------------------
-- 2. Audit rows: written only by definer RPCs, kept anonymised
-- ---------------------------------------------------------------------------
REVOKE INSERT ON TABLE public.security_audit_log, public.healthcare_share_audit
	FROM PUBLIC, anon, authenticated, service_role;
DROP POLICY security_audit_log_insert_own ON public.security_audit_log;
DROP POLICY healthcare_share_audit_insert_own ON public.healthcare_share_audit;

ALTER TABLE public.security_audit_log ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE public.security_audit_log
	DROP CONSTRAINT security_audit_log_user_id_fkey,
	ADD CONSTRAINT security_audit_log_user_id_fkey FOREIGN KEY (user_id)
		REFERENCES public.users (id) ON DELETE SET NULL;
ALTER TABLE public.healthcare_share_audit
	DROP CONSTRAINT healthcare_share_audit_user_id_fkey,
	ADD CONSTRAINT healthcare_share_audit_user_id_fkey FOREIGN KEY (user_id)
		REFERENCES public.users (id) ON DELETE SET NULL;

CREATE FUNCTION aura_private.anonymise_audit_of_user()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
	-- Before a public.users row goes (directly, or through auth.users), its audit
	-- rows lose everything that ties them to the account: user_id, share_id and
	-- device_key_id, and in security_audit_log (events about the user's own
	-- requests and devices) the IP and device hashes too.  What happened and when
	-- stays, so deleting and re-creating an account erases no evidence.  The
	-- salted hashes in healthcare_share_audit (the provider's side of an access)
	-- stay: they cannot be reversed without the server's secret salt.  Doing this
	-- before the delete keeps the CHECK that a share_id has an owner satisfied
	-- whatever order the foreign-key actions run in.  SECURITY DEFINER: the
	-- deleting role holds no UPDATE on the audit tables.
	UPDATE public.security_audit_log AS l
	   SET user_id = NULL,
		   device_key_id = NULL,
		   ip_hash = NULL,
		   device_hash = NULL
	 WHERE l.user_id = OLD.id;
	UPDATE public.healthcare_share_audit AS a
	   SET user_id = NULL,
		   share_id = NULL
	 WHERE a.user_id = OLD.id;
	RETURN OLD;
END;
$$;

REVOKE ALL ON FUNCTION aura_private.anonymise_audit_of_user() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.anonymise_audit_of_user() IS
	'Trigger: before a public.users row is deleted, detach (anonymise) its audit rows instead of losing them';

CREATE TRIGGER users_anonymise_audit
	BEFORE DELETE ON public.users
	FOR EACH ROW EXECUTE FUNCTION aura_private.anonymise_audit_of_user();

COMMENT ON COLUMN public.security_audit_log.user_id IS
	'Owner; NULL once the user is deleted (the row is kept, anonymised)';
COMMENT ON COLUMN public.healthcare_share_audit.user_id IS
	'Share owner; NULL for unknown tokens and once the user is deleted (the row is kept, anonymised)';

-- ---------------------------------------------------------------------------
-- 3. Aggregated token rejections
-- ---------------------------------------------------------------------------
ALTER TABLE public.healthcare_share_audit
	ADD COLUMN attempts integer NOT NULL DEFAULT 1,
	ADD COLUMN window_start timestamptz,
	ADD COLUMN last_attempt_at timestamptz,
	ADD CONSTRAINT healthcare_share_audit_attempts_positive CHECK (attempts >= 1),
	ADD CONSTRAINT healthcare_share_audit_window_only_rejections
		CHECK (window_start IS NULL OR event = 'token_rejected');
COMMENT ON COLUMN public.healthcare_share_audit.attempts IS
	'How many attempts the row stands for: 1, or the rejected attempts of one share (or of all unknown tokens) and reason in the hour window_start';
COMMENT ON COLUMN public.healthcare_share_audit.window_start IS
	'Start of the hour an aggregated token_rejected row counts; NULL for single events';
COMMENT ON COLUMN public.healthcare_share_audit.last_attempt_at IS
	'Time of the last attempt counted in an aggregated row';

CREATE INDEX healthcare_share_audit_rejected_window_idx
	ON public.healthcare_share_audit (window_start, reason, share_id)
	WHERE event = 'token_rejected';

CREATE FUNCTION aura_private.audit_token_rejection(p_share_id uuid, p_user_id uuid, p_reason text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $$
DECLARE
	v_now timestamptz := pg_catalog.now();
	v_window timestamptz := pg_catalog.date_trunc('hour', pg_catalog.now());
BEGIN
	-- Counts one rejected token in the row of its share (NULL: an unknown token),
	-- reason and hour, creating that row on the first attempt.  Whoever calls
	-- validate_share_token in a loop, with one token or with a new one each time,
	-- adds at most one row per share and reason per hour, plus one for all unknown
	-- tokens.  The transaction-scoped advisory lock makes "update, else insert"
	-- safe between concurrent callers.  The ip_hash kept is the first attempt's.
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
		'aura.token_rejected:' || coalesce(p_share_id::text, 'unknown') || ':' || p_reason, 0));
	IF p_share_id IS NULL THEN
		UPDATE public.healthcare_share_audit AS a
		   SET attempts = a.attempts + 1,
			   last_attempt_at = v_now
		 WHERE a.event = 'token_rejected'
		   AND a.window_start = v_window
		   AND a.reason = p_reason
		   AND a.share_id IS NULL
		   AND a.user_id IS NULL;
	ELSE
		UPDATE public.healthcare_share_audit AS a
		   SET attempts = a.attempts + 1,
			   last_attempt_at = v_now
		 WHERE a.event = 'token_rejected'
		   AND a.window_start = v_window
		   AND a.reason = p_reason
		   AND a.share_id = p_share_id;
	END IF;
	IF NOT FOUND THEN
		INSERT INTO public.healthcare_share_audit
			(share_id, user_id, event, reason, ip_hash, attempts, window_start, last_attempt_at)
		VALUES (p_share_id, p_user_id, 'token_rejected', p_reason,
				aura_private.request_ip_hash(), 1, v_window, v_now);
	END IF;
END;
$$;

REVOKE ALL ON FUNCTION aura_private.audit_token_rejection(uuid, uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION aura_private.audit_token_rejection(uuid, uuid, text) IS
	'Counts a rejected share token in one healthcare_share_audit row per share (or unknown), reason and hour';

-- ---------------------------------------------------------------------------
-- validate_share_token: 32-character minimum, aggregated rejections
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.validate_share_token(token text)
RETURNS TABLE (
	share_id uuid,
	scope text,
	expires_at timestamptz,
	ciphertext bytea,
	nonce bytea,
	key_id text,
	algorithm text,
	aad bytea,
	envelope_version smallint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
	v_now timestamptz := pg_catalog.now();
	v_token public.share_token%ROWTYPE;
	v_share public.healthcare_share%ROWTYPE;
	v_reason text;
BEGIN
	-- A provider presents the token from the QR code or link.  Only sha256(token)
	-- is stored, so the lookup is by hash.  A token shorter than 32 characters
	-- (or longer than 512 bytes) is not looked up at all.  The share row is locked
	-- before the limits are read, so concurrent validations queue and the use
	-- count can never pass max_uses.  A successful use is audited in a row of its
	-- own (there are at most max_uses of them); rejections are counted in one row
	-- per share, reason and hour (aura_private.audit_token_rejection), so repeated
	-- calls cannot grow the audit table without bound.  The caller learns only
	-- "valid" (one row) or "not valid" (no row): no oracle.
	IF token IS NOT NULL
	   AND pg_catalog.char_length(token) >= 32
	   AND pg_catalog.octet_length(token) <= 512 THEN
		SELECT t.* INTO v_token
		  FROM public.share_token AS t
		 WHERE t.token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'));
	END IF;

	IF v_token.id IS NULL THEN
		v_reason := 'unknown_token';
	ELSE
		SELECT s.* INTO v_share
		  FROM public.healthcare_share AS s
		 WHERE s.id = v_token.share_id
		   AND s.user_id = v_token.user_id
		   FOR UPDATE;
		IF v_token.revoked_at IS NOT NULL OR v_share.revoked_at IS NOT NULL THEN
			v_reason := 'revoked';
		ELSIF v_token.expires_at <= v_now OR v_share.expires_at <= v_now THEN
			v_reason := 'expired';
		ELSIF v_share.use_count >= v_share.max_uses THEN
			v_reason := 'exhausted';
		ELSE
			UPDATE public.healthcare_share AS s
			   SET use_count = s.use_count + 1
			 WHERE s.id = v_share.id;
			UPDATE public.share_token AS t
			   SET last_used_at = v_now
			 WHERE t.id = v_token.id;
			v_reason := 'ok';
		END IF;
	END IF;

	IF v_reason = 'ok' THEN
		INSERT INTO public.healthcare_share_audit (share_id, user_id, event, reason, ip_hash)
		VALUES (v_token.share_id, v_token.user_id, 'token_validated', 'ok',
				aura_private.request_ip_hash());

		share_id := v_share.id;
		scope := v_share.scope;
		expires_at := LEAST(v_share.expires_at, v_token.expires_at);
		ciphertext := v_share.ciphertext;
		nonce := v_share.nonce;
		key_id := v_share.key_id;
		algorithm := v_share.algorithm;
		aad := v_share.aad;
		envelope_version := v_share.envelope_version;
		RETURN NEXT;
	ELSE
		PERFORM aura_private.audit_token_rejection(v_token.share_id, v_token.user_id, v_reason);
	END IF;
	RETURN;
END;
$$;

-- ---------------------------------------------------------------------------
-- create_share_token: the only way to create a token
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.create_share_token(
	p_share_id uuid,
	p_token text,
	p_expires_at timestamptz DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
	v_share public.healthcare_share%ROWTYPE;
	v_expires timestamptz;
	v_id uuid;
BEGIN
	-- The share owner's app registers the token it put in the QR code or link.
	-- The token is measured here, then only sha256(token) is stored: at least 32
	-- characters (the app should use 32 random bytes, base64url-encoded: 43
	-- characters), at most 512 bytes, and not a run of a few repeated characters.
	-- The token expires with its share at the latest.  SECURITY DEFINER because
	-- authenticated holds no INSERT on share_token; every row is the caller's.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_share_id IS NULL OR p_token IS NULL THEN
		RAISE EXCEPTION 'p_share_id and p_token must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF pg_catalog.char_length(p_token) < 32 OR pg_catalog.octet_length(p_token) > 512 THEN
		RAISE EXCEPTION 'share token must be 32 to 512 characters long'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('The token has %s characters.', pg_catalog.char_length(p_token)),
				  HINT = 'Generate 32 random bytes on the device and encode them with base64url.';
	END IF;
	IF (SELECT pg_catalog.count(DISTINCT c)
		  FROM pg_catalog.regexp_split_to_table(p_token, '') AS c) < 8 THEN
		RAISE EXCEPTION 'share token is too repetitive to be random'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Generate 32 random bytes on the device and encode them with base64url.';
	END IF;

	SELECT s.* INTO v_share
	  FROM public.healthcare_share AS s
	 WHERE s.id = p_share_id
	   AND s.user_id = v_uid
	   FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'share not found'
			USING ERRCODE = 'no_data_found';
	END IF;
	v_expires := LEAST(coalesce(p_expires_at, v_share.expires_at), v_share.expires_at);
	IF v_share.revoked_at IS NOT NULL OR v_expires <= pg_catalog.now() THEN
		RAISE EXCEPTION 'share is revoked or the token would already be expired'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	INSERT INTO public.share_token (share_id, user_id, token_hash, expires_at)
	VALUES (v_share.id, v_uid, pg_catalog.sha256(pg_catalog.convert_to(p_token, 'UTF8')), v_expires)
	RETURNING id INTO v_id;
	RETURN v_id;
END;
$$;

-- ---------------------------------------------------------------------------
-- rotate_device_key: SECURITY DEFINER, since authenticated no longer inserts audit rows
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public.rotate_device_key(
	p_device_id_hash bytea,
	p_public_key bytea,
	p_key_algorithm text)
RETURNS TABLE (new_key_id uuid, retired_key_id uuid)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
BEGIN
	-- Retires the caller's active key for one device, activates the new public key
	-- and writes a security_audit_log event, all in the caller's transaction.
	-- SECURITY DEFINER because only definer functions write audit rows; so every
	-- statement names the caller's rows itself (user_id = v_uid), as RLS would.
	-- Rotations of one user are serialised on the user's row (FOR NO KEY UPDATE,
	-- which does not block inserts elsewhere): the second of two concurrent
	-- rotations waits, then retires the key the first one activated.  The partial
	-- unique index device_key_one_active_per_device is the final guarantee.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_device_id_hash IS NULL OR p_public_key IS NULL OR p_key_algorithm IS NULL THEN
		RAISE EXCEPTION 'p_device_id_hash, p_public_key and p_key_algorithm must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;

	PERFORM 1
	   FROM public.users AS u
	  WHERE u.id = v_uid
		FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'user not found'
			USING ERRCODE = 'no_data_found',
				  HINT = 'Insert the caller''s row into public.users first.';
	END IF;

	UPDATE public.device_key AS k
	   SET is_active = false,
		   retired_at = pg_catalog.now()
	 WHERE k.user_id = v_uid
	   AND k.device_id_hash = p_device_id_hash
	   AND k.is_active
	RETURNING k.id INTO retired_key_id;

	INSERT INTO public.device_key (user_id, device_id_hash, public_key, key_algorithm)
	VALUES (v_uid, p_device_id_hash, p_public_key, p_key_algorithm)
	RETURNING id INTO new_key_id;

	INSERT INTO public.security_audit_log (user_id, event_type, outcome, device_key_id, device_hash)
	VALUES (v_uid,
			CASE WHEN retired_key_id IS NULL THEN 'device_key_registered'
				 ELSE 'device_key_rotated' END,
			'success',
			new_key_id,
			p_device_id_hash);

	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- Privileges and comments of the RPCs
-- ---------------------------------------------------------------------------
REVOKE ALL ON FUNCTION public.validate_share_token(text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.create_share_token(uuid, text, timestamptz)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.rotate_device_key(bytea, bytea, text)
	FROM PUBLIC, anon, authenticated, service_role;

GRANT EXECUTE ON FUNCTION public.validate_share_token(text) TO anon, authenticated;
GRANT EXECUTE ON FUNCTION public.create_share_token(uuid, text, timestamptz) TO authenticated;
GRANT EXECUTE ON FUNCTION public.rotate_device_key(bytea, bytea, text) TO authenticated;

COMMENT ON FUNCTION public.validate_share_token(text) IS
	'For providers (anon): one row (share id, scope, expiry, encrypted payload) for a valid token of 32+ characters and counts the use; no row for any invalid token; rejections counted per share, reason and hour';
COMMENT ON FUNCTION public.create_share_token(uuid, text, timestamptz) IS
	'Share owner registers a token (32 to 512 characters, stored only as sha256) for one of its live shares; returns the token row id';
COMMENT ON FUNCTION public.rotate_device_key(bytea, bytea, text) IS
	'Atomically retires the active key of a device, activates a new public key and audits it (SECURITY DEFINER, caller''s rows only)';
