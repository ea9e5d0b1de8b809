-- db/functions/aura_private.salted_hash.sql
--
-- Function aura_private.salted_hash: reference copy.
-- Source of truth: db/migrations/production/20250909003_rpc_functions.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

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
