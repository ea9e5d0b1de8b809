-- db/functions/public.update_cycle_data_optimistic.sql
--
-- Function public.update_cycle_data_optimistic: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
