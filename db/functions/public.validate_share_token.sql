-- db/functions/public.validate_share_token.sql
--
-- Function public.validate_share_token: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql, db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
