-- db/functions/public.rotate_device_key.sql
--
-- Function public.rotate_device_key: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql, db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
