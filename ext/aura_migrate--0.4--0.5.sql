/*
 * aura_migrate--0.4--0.5.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.5'.
 *
 * 0.5 is the performance release: the drift check every run makes (is an
 * applied migration's registered SQL still what was applied?) reads two
 * covering indexes instead of every registered migration's SQL, so a run
 * that finds nothing to do stays cheap with thousands applied.
 *
 * No signature changes, so every privilege granted stays.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.5'" to load this file. \quit

CREATE INDEX migration_version_checksum_idx ON aura_migrate.migration (version) INCLUDE (checksum);
CREATE INDEX history_version_checksum_idx ON aura_migrate.history (version) INCLUDE (checksum);
