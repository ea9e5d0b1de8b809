-- db/functions/aura_private.audit_token_rejection.sql
--
-- Function aura_private.audit_token_rejection: reference copy.
-- Source of truth: db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
