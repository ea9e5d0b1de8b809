-- db/functions/public.healthcare_access_audit.sql
--
-- Function public.healthcare_access_audit: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
