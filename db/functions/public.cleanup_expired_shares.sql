-- db/functions/public.cleanup_expired_shares.sql
--
-- Function public.cleanup_expired_shares: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
