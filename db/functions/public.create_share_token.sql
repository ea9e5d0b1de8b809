-- db/functions/public.create_share_token.sql
--
-- Function public.create_share_token: reference copy.
-- Source of truth: db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
