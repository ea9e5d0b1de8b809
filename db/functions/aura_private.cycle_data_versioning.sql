-- db/functions/aura_private.cycle_data_versioning.sql
--
-- Function aura_private.cycle_data_versioning: reference copy.
-- Source of truth: db/migrations/production/20250909001_initial_schema.sql.
-- Kept identical to it by test/shell/reference_copies.sh; edit the migration
-- (or add a new one), then run that script with --write.

CREATE FUNCTION aura_private.cycle_data_versioning()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
	-- Every update bumps the version, whoever issues it, so optimistic
	-- concurrency holds even for direct UPDATEs that bypass the RPC.
	NEW.version := OLD.version + 1;
	-- The tombstone timestamp follows the flag.
	IF NEW.is_deleted AND NOT OLD.is_deleted THEN
		NEW.deleted_at := pg_catalog.now();
	ELSIF NOT NEW.is_deleted THEN
		NEW.deleted_at := NULL;
	ELSE
		NEW.deleted_at := OLD.deleted_at;
	END IF;
	RETURN NEW;
END;
$$;
