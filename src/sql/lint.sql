/*
 * src/sql/lint.sql
 *		lint(): migration-safety findings, read with PostgreSQL's parser.
 */

CREATE FUNCTION aura_migrate.lint(sql text, schemas name[] DEFAULT NULL)
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_lint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION aura_migrate.lint(text, name[]) IS
'Parses a migration without executing it and returns its syntax errors (with line and column) and migration-safety findings; schemas (NULL: aura_migrate.checked_schemas, as at registration) are those whose new tables need row level security; see docs/findings.md.';
