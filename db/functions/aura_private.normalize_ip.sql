-- db/functions/aura_private.normalize_ip.sql
--
-- Function aura_private.normalize_ip: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
