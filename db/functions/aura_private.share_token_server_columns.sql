-- db/functions/aura_private.share_token_server_columns.sql
--
-- Function aura_private.share_token_server_columns: reference copy.
-- Source of truth: db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

CREATE FUNCTION aura_private.share_token_server_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- created_at and last_used_at belong to the server: on INSERT by a role that
	-- is not (a member of) the table owner they are the transaction time and NULL.
	IF NOT pg_catalog.pg_has_role(CURRENT_USER,
			(SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID),
			'USAGE') THEN
		NEW.created_at := pg_catalog.now();
		NEW.last_used_at := NULL;
	END IF;
	RETURN NEW;
END;
$$;
