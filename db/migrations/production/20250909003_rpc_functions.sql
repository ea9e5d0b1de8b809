-- Migration: 20250909003_rpc_functions.sql
-- Description: RPCs: optimistic cycle-data update, share-token validation, privacy-safe access audit, device key rotation, expiry cleanup
-- Author: Aura Team
-- Created: 2025-09-09
-- Requires: schema auth, function auth.uid(), role anon, role authenticated, role service_role
-- Requires-Hint: On plain PostgreSQL run db/init/00_supabase_compat.sql first (psql -f); Supabase already provides it.
--
-- Every function pins search_path to '' and names every table with its schema.
-- SECURITY DEFINER is used only where the caller must not hold the privilege itself:
--   validate_share_token     anon has no table privileges at all
--   healthcare_access_audit  needs the secret audit salt
--   cleanup_expired_shares   service_role has no table privileges at all
-- update_cycle_data_optimistic and rotate_device_key run as the caller, under RLS.
-- EXECUTE is revoked from PUBLIC (and from the API roles Supabase's default
-- privileges hand it to) and granted to exactly the roles that call each function.
--
-- Results and SQLSTATEs (also in db/migrations/README.md):
--   28000  invalid_authorization_specification: no auth.uid() in the request
--   P0002  no_data_found: the record, share or user row does not exist or is not the
--          caller's (the two cases are indistinguishable on purpose)
--   22023  invalid_parameter_value: an argument outside its documented range
--   22004  null_value_not_allowed: a required argument is NULL
--   23514  check_violation: a CryptoEnvelope or key field breaks a table CHECK
--   42501  insufficient_privilege: the role may not execute the function at all
--   update_cycle_data_optimistic: a version mismatch is a result, not an error:
--          applied = false, current_version = the stored version.
--   validate_share_token: any invalid token (unknown, malformed, expired, revoked,
--          exhausted) returns zero rows; the real reason is in healthcare_share_audit.

-- ---------------------------------------------------------------------------
-- Private helpers (not executable by any API role)
-- ---------------------------------------------------------------------------
CREATE FUNCTION aura_private.salted_hash(p_value text)
RETURNS bytea
LANGUAGE sql
STABLE
STRICT
PARALLEL SAFE
SET search_path = ''
AS $$
	SELECT pg_catalog.sha256(s.salt || pg_catalog.convert_to(p_value, 'UTF8'))
	FROM aura_private.audit_salt AS s
	WHERE s.id = 1
$$;

CREATE FUNCTION aura_private.normalize_ip(p_ip text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
STRICT
SET search_path = ''
AS $$
BEGIN
	-- Canonical text of an address so that equal addresses hash equally;
	-- anything that is not an address is not hashed at all.
	RETURN pg_catalog.host(pg_catalog.btrim(p_ip)::inet);
EXCEPTION
	WHEN invalid_text_representation THEN
		RETURN NULL;
END;
$$;

CREATE FUNCTION aura_private.request_ip_hash()
RETURNS bytea
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
	v_headers jsonb;
	v_ip text;
BEGIN
	-- PostgREST puts the request headers (lower-case names) in request.headers.
	BEGIN
		v_headers := NULLIF(pg_catalog.current_setting('request.headers', true), '')::jsonb;
	EXCEPTION
		WHEN invalid_text_representation THEN
			RETURN NULL;
	END;
	IF v_headers IS NULL OR pg_catalog.jsonb_typeof(v_headers) <> 'object' THEN
		RETURN NULL;
	END IF;
	v_ip := pg_catalog.split_part(coalesce(v_headers ->> 'x-forwarded-for',
										   v_headers ->> 'x-real-ip',
										   v_headers ->> 'cf-connecting-ip'), ',', 1);
	RETURN aura_private.salted_hash(aura_private.normalize_ip(v_ip));
END;
$$;

REVOKE ALL ON FUNCTION aura_private.salted_hash(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.normalize_ip(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION aura_private.request_ip_hash() FROM PUBLIC;
COMMENT ON FUNCTION aura_private.salted_hash(text) IS
	'sha256(secret salt || value): 32 bytes, for IP addresses and device ids in audit rows';
COMMENT ON FUNCTION aura_private.normalize_ip(text) IS
	'Canonical text form of an IP address, NULL when the text is not an address';
COMMENT ON FUNCTION aura_private.request_ip_hash() IS
	'Salted hash of the client address PostgREST put in request.headers, or NULL';

-- ---------------------------------------------------------------------------
-- update_cycle_data_optimistic
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.update_cycle_data_optimistic(
	p_id uuid,
	p_expected_version bigint,
	p_ciphertext bytea,
	p_nonce bytea,
	p_key_id text,
	p_algorithm text,
	p_aad bytea DEFAULT '\x'::bytea,
	p_envelope_version smallint DEFAULT 1,
	p_is_deleted boolean DEFAULT false)
RETURNS TABLE (applied boolean, current_version bigint, updated_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = ''
AS $$
#variable_conflict use_column
DECLARE
	v_uid uuid := auth.uid();
BEGIN
	-- Replaces the CryptoEnvelope of one of the caller's cycle records if, and only
	-- if, its version is still p_expected_version.  The compare-and-set is a single
	-- UPDATE ... WHERE version = expected: a concurrent writer holding the row lock
	-- makes this UPDATE wait and then re-check the WHERE clause against the
	-- committed row, so of two sessions sending the same expected version exactly
	-- one matches.  The loser gets applied = false and the version that beat it.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_id IS NULL OR p_expected_version IS NULL OR p_is_deleted IS NULL THEN
		RAISE EXCEPTION 'p_id, p_expected_version and p_is_deleted must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;

	UPDATE public.encrypted_cycle_data AS c
	   SET ciphertext = p_ciphertext,
		   nonce = p_nonce,
		   key_id = p_key_id,
		   algorithm = p_algorithm,
		   aad = coalesce(p_aad, '\x'::bytea),
		   envelope_version = coalesce(p_envelope_version, 1::smallint),
		   is_deleted = p_is_deleted,
		   version = c.version + 1
	 WHERE c.id = p_id
	   AND c.user_id = v_uid
	   AND c.version = p_expected_version
	RETURNING true, c.version, c.updated_at
	  INTO applied, current_version, updated_at;

	IF NOT FOUND THEN
		SELECT false, c.version, c.updated_at
		  INTO applied, current_version, updated_at
		  FROM public.encrypted_cycle_data AS c
		 WHERE c.id = p_id
		   AND c.user_id = v_uid;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'cycle record not found'
				USING ERRCODE = 'no_data_found';
		END IF;
	END IF;
	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- validate_share_token
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.validate_share_token(token text)
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
	-- is stored, so the lookup is by hash.  The share row is locked before the
	-- limits are read, so concurrent validations queue and the use count can never
	-- pass max_uses.  Every attempt is audited with its real reason, but the caller
	-- learns only "valid" (one row) or "not valid" (no row): no oracle.
	IF token IS NOT NULL AND pg_catalog.octet_length(token) BETWEEN 16 AND 512 THEN
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

	INSERT INTO public.healthcare_share_audit (share_id, user_id, event, reason, ip_hash)
	VALUES (v_token.share_id,
			v_token.user_id,
			CASE WHEN v_reason = 'ok' THEN 'token_validated' ELSE 'token_rejected' END,
			v_reason,
			aura_private.request_ip_hash());

	IF v_reason = 'ok' THEN
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
	END IF;
	RETURN;
END;
$$;

-- ---------------------------------------------------------------------------
-- healthcare_access_audit
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.healthcare_access_audit(
	p_share_id uuid,
	p_event text,
	p_ip text DEFAULT NULL,
	p_device_id text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
	v_id uuid;
BEGIN
	-- The share owner's app records what happened to a share.  The IP address
	-- (given, or else the one PostgREST saw) and the device id are stored only as
	-- salted hashes; nothing else about the request is kept.
	IF v_uid IS NULL THEN
		RAISE EXCEPTION 'no authenticated user in this request'
			USING ERRCODE = 'invalid_authorization_specification';
	END IF;
	IF p_share_id IS NULL OR p_event IS NULL THEN
		RAISE EXCEPTION 'p_share_id and p_event must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF p_event NOT IN ('data_accessed', 'data_exported', 'share_created', 'share_revoked') THEN
		RAISE EXCEPTION 'event "%" is not an access audit event', p_event
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use data_accessed, data_exported, share_created or share_revoked.';
	END IF;
	PERFORM 1
	   FROM public.healthcare_share AS s
	  WHERE s.id = p_share_id
		AND s.user_id = v_uid;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'share not found'
			USING ERRCODE = 'no_data_found';
	END IF;

	INSERT INTO public.healthcare_share_audit (share_id, user_id, event, reason, ip_hash, device_hash)
	VALUES (p_share_id,
			v_uid,
			p_event,
			'ok',
			CASE WHEN p_ip IS NULL THEN aura_private.request_ip_hash()
				 ELSE aura_private.salted_hash(aura_private.normalize_ip(p_ip)) END,
			aura_private.salted_hash(p_device_id))
	RETURNING id INTO v_id;
	RETURN v_id;
END;
$$;

-- ---------------------------------------------------------------------------
-- rotate_device_key
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.rotate_device_key(
	p_device_id_hash bytea,
	p_public_key bytea,
	p_key_algorithm text)
RETURNS TABLE (new_key_id uuid, retired_key_id uuid)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = ''
AS $$
DECLARE
	v_uid uuid := auth.uid();
BEGIN
	-- Retires the caller's active key for one device, activates the new public key
	-- and writes a security_audit_log event, all in the caller's transaction.
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
-- cleanup_expired_shares
-- ---------------------------------------------------------------------------
CREATE FUNCTION public.cleanup_expired_shares(p_grace interval DEFAULT interval '7 days')
RETURNS TABLE (tokens_deleted bigint, shares_deleted bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
	v_cutoff timestamptz;
BEGIN
	-- Deletes tokens and shares that expired, were revoked or (shares) were used
	-- up more than p_grace ago.  Returns only counts: service_role can run it from
	-- a scheduled job without holding any privilege on user data.  Audit rows stay;
	-- their share_id becomes NULL.
	IF p_grace IS NULL OR p_grace < interval '0' THEN
		RAISE EXCEPTION 'p_grace must be a non-negative interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_cutoff := pg_catalog.now() - p_grace;

	DELETE FROM public.share_token AS t
	 WHERE t.expires_at < v_cutoff
		OR t.revoked_at < v_cutoff;
	GET DIAGNOSTICS tokens_deleted = ROW_COUNT;

	DELETE FROM public.healthcare_share AS s
	 WHERE s.expires_at < v_cutoff
		OR s.revoked_at < v_cutoff
		OR (s.use_count >= s.max_uses AND s.updated_at < v_cutoff);
	GET DIAGNOSTICS shares_deleted = ROW_COUNT;

	RETURN NEXT;
END;
$$;

-- ---------------------------------------------------------------------------
-- Privileges and comments
-- ---------------------------------------------------------------------------
REVOKE ALL ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.validate_share_token(text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.healthcare_access_audit(uuid, text, text, text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.rotate_device_key(bytea, bytea, text)
	FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION public.cleanup_expired_shares(interval)
	FROM PUBLIC, anon, authenticated, service_role;

GRANT EXECUTE ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean)
	TO authenticated;
GRANT EXECUTE ON FUNCTION public.validate_share_token(text) TO anon, authenticated;
GRANT EXECUTE ON FUNCTION public.healthcare_access_audit(uuid, text, text, text) TO authenticated;
GRANT EXECUTE ON FUNCTION public.rotate_device_key(bytea, bytea, text) TO authenticated;
GRANT EXECUTE ON FUNCTION public.cleanup_expired_shares(interval) TO service_role;

COMMENT ON FUNCTION public.update_cycle_data_optimistic(uuid, bigint, bytea, bytea, text, text, bytea, smallint, boolean) IS
	'Compare-and-set of a cycle record''s CryptoEnvelope: applied=false with current_version on a version mismatch; P0002 when not the caller''s record';
COMMENT ON FUNCTION public.validate_share_token(text) IS
	'For providers (anon): one row (share id, scope, expiry, encrypted payload) for a valid token and counts the use; no row for any invalid token';
COMMENT ON FUNCTION public.healthcare_access_audit(uuid, text, text, text) IS
	'Share owner''s audit event; IP and device id stored only as salted hashes';
COMMENT ON FUNCTION public.rotate_device_key(bytea, bytea, text) IS
	'Atomically retires the active key of a device, activates a new public key and audits it';
COMMENT ON FUNCTION public.cleanup_expired_shares(interval) IS
	'For service_role jobs: deletes expired, revoked and used-up tokens and shares, returns only counts';
