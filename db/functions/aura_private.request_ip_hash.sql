-- db/functions/aura_private.request_ip_hash.sql
--
-- Function aura_private.request_ip_hash: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
