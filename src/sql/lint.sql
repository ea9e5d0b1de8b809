/*
 * src/sql/lint.sql
 *		lint(): migration-safety findings, read with PostgreSQL's parser.
 */

CREATE FUNCTION aura_migrate.lint(sql text, schemas name[] DEFAULT '{public}')
RETURNS SETOF aura_migrate.finding
AS 'MODULE_PATHNAME', 'aura_migrate_lint'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION aura_migrate.lint(text, name[]) IS
'Parses a migration without executing it and returns its syntax errors (with line and column) and migration-safety findings; see docs/findings.md.';
