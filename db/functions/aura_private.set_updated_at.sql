-- db/functions/aura_private.set_updated_at.sql
--
-- Function aura_private.set_updated_at: reference copy.
-- Source of truth: db/migrations/production/20250909001_initial_schema.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

CREATE FUNCTION aura_private.set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Clients never choose the sync timestamp; created_at never changes.
	NEW.updated_at := pg_catalog.now();
	IF TG_OP = 'UPDATE' THEN
		NEW.created_at := OLD.created_at;
	END IF;
	RETURN NEW;
END;
$$;
