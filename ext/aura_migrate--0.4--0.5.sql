/*
 * aura_migrate--0.4--0.5.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.5'.
 *
 * 0.5 is the performance release: the drift check every run makes (is an
 * applied migration's registered SQL still what was applied?) reads two
 * covering indexes instead of every registered migration's SQL, so a run
 * that finds nothing to do stays cheap with thousands applied; and a run
 * that finds registry_generation where the last run with nothing to do
 * left it (statement triggers on migration and history advance it) does
 * not read the registry at all.
 *
 * No signature changes, so every privilege granted stays.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.5'" to load this file. \quit

CREATE INDEX migration_version_checksum_idx ON aura_migrate.migration (version) INCLUDE (checksum);
CREATE INDEX history_version_checksum_idx ON aura_migrate.history (version) INCLUDE (checksum);

-- the registry's generation: advanced by every statement that changes
-- migration or history, so that a run can tell that nothing changed since
-- it last found nothing to do (run.c) without reading the registry
CREATE SEQUENCE aura_migrate.registry_generation;
COMMENT ON SEQUENCE aura_migrate.registry_generation IS
'Internal: advanced by every statement that changes aura_migrate.migration or aura_migrate.history; a run that finds it where the last run with nothing to do left it skips reading the registry.';
CREATE FUNCTION aura_migrate._registry_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'aura_migrate_registry_changed'
LANGUAGE C;
COMMENT ON FUNCTION aura_migrate._registry_changed() IS
'Internal: the trigger function that advances aura_migrate.registry_generation.';
REVOKE ALL ON FUNCTION aura_migrate._registry_changed() FROM PUBLIC;
CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aura_migrate.migration
	FOR EACH STATEMENT EXECUTE FUNCTION aura_migrate._registry_changed();
CREATE TRIGGER registry_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aura_migrate.history
	FOR EACH STATEMENT EXECUTE FUNCTION aura_migrate._registry_changed();
