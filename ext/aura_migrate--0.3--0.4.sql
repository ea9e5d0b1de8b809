/*
 * aura_migrate--0.3--0.4.sql
 *		ALTER EXTENSION aura_migrate UPDATE TO '0.4'.
 *
 * 0.4 is the findings release: check_rls() without schemas checks the
 * schemas aura_migrate.checked_schemas names (by default every schema the
 * API roles can use, not public alone), and table encrypted_table says which
 * tables hold only ciphertext, so that a plaintext column in one is an error
 * (plaintext_in_encrypted_table).
 *
 * No signature changes, so every privilege granted stays.
 *
 * Released scripts are never edited: a later change gets a new script.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION aura_migrate UPDATE TO '0.4'" to load this file. \quit

CREATE TABLE aura_migrate.encrypted_table (
	table_pattern	text PRIMARY KEY,
	allowed_columns	name[] NOT NULL DEFAULT '{}',
	source			text NOT NULL DEFAULT 'user'
					CHECK (source IN ('bundled', 'user')),
	note			text
);
COMMENT ON TABLE aura_migrate.encrypted_table IS
'Tables that hold only ciphertext and its metadata, for check_rls() and lint(): every table whose schema.table matches table_pattern (LIKE) may have columns of types bytea, uuid, timestamp and timestamptz, integer columns named version or *_version, and the columns allowed_columns names; any other column is plaintext_in_encrypted_table.  An application brings its own (extension aura_schema adds public.encrypted_%).';
SELECT pg_catalog.pg_extension_config_dump('aura_migrate.encrypted_table',
										   'WHERE source = ''user''');
REVOKE ALL ON TABLE aura_migrate.encrypted_table FROM PUBLIC;

-- without schemas: those of aura_migrate.checked_schemas
CREATE OR REPLACE FUNCTION aura_migrate.check_rls(
	schemas name[] DEFAULT NULL,
	probes boolean DEFAULT NULL,
	allow_definer text[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_check_rls'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.check_rls(name[], boolean, text[]) IS
'Row level security findings for the tables, views and SECURITY DEFINER functions of the given schemas (NULL, the default: those aura_migrate.checked_schemas names, by default every schema the API roles can use), and (probes true, or NULL outside production) behavioural probes that act as authenticated, anon and the zero-knowledge roles inside rolled-back subtransactions.  allow_definer lists SECURITY DEFINER functions anon may execute.  Nothing returned means clean; see docs/findings.md.';
