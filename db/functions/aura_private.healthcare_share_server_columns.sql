-- db/functions/aura_private.healthcare_share_server_columns.sql
--
-- Function aura_private.healthcare_share_server_columns: reference copy.
-- Source of truth: db/migrations/production/20261128001_security_hardening.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

CREATE FUNCTION aura_private.healthcare_share_server_columns()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- created_at and use_count belong to the server.  On INSERT by any role that
	-- is not (a member of) the table owner, i.e. by the API roles, created_at is
	-- the transaction time and use_count 0, whatever the client sent; the CHECK
	-- healthcare_share_expiry_window then bounds expires_at by server time.  The
	-- table owner and superusers keep what they write (restores, maintenance, test
	-- fixtures).  use_count never goes down, whoever issues the UPDATE.
	IF TG_OP = 'INSERT' THEN
		IF NOT pg_catalog.pg_has_role(CURRENT_USER,
				(SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = TG_RELID),
				'USAGE') THEN
			NEW.created_at := pg_catalog.now();
			NEW.use_count := 0;
		END IF;
	ELSIF NEW.use_count < OLD.use_count THEN
		RAISE EXCEPTION 'use_count of a share cannot be lowered'
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('use_count is %s, the update asked for %s.',
											 OLD.use_count, NEW.use_count),
				  HINT = 'Create a new share to grant new uses.';
	END IF;
	RETURN NEW;
END;
$$;
