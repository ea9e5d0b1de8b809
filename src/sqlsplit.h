/*-------------------------------------------------------------------------
 *
 * sqlsplit.h
 *	  Splitting migration SQL into statements with PostgreSQL's raw parser.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/sqlsplit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_SQLSPLIT_H
#define AURA_MIGRATE_SQLSPLIT_H

#include "nodes/parsenodes.h"

/* One statement of a migration, located in the migration's text. */
typedef struct AmStatement
{
	RawStmt    *raw;			/* raw parse tree (in the parse context) */
	int			offset;			/* byte offset of the statement's text */
	int			length;			/* byte length of the statement's text */
	int			line;			/* 1-based line of its first token */
	char	   *text;			/* NUL-terminated copy of the text */
} AmStatement;

/* The result of parsing one migration. */
typedef struct AmParsed
{
	int			nstmts;
	AmStatement *stmts;
	int			base;			/* byte offset of the parsed text in the
								 * whole: node locations are relative to it */
	/* set when the text could not be parsed */
	bool		failed;
	int			err_sqlstate;
	char	   *err_message;	/* the parser's own message */
	int			err_line;		/* 1-based, 0 when unknown */
	int			err_column;		/* 1-based, 0 when unknown */
	char	   *err_hint;
	bool		err_meta;		/* a psql meta-command caused it */
	/* set when a BEGIN ... COMMIT wrapper was dropped (stmts exclude it) */
	bool		wrapped;
	int			wrapper_line;	/* line of its BEGIN */
} AmParsed;

extern AmParsed *am_parse_sql(const char *sql);
extern AmParsed *am_parse_sql_part(const char *sql, int from, int to,
								   int first_line);
extern List *am_sql_cut_points(const char *sql, int part_bytes);
extern bool am_is_plain_begin(Node *n);
extern bool am_is_plain_commit(Node *n);
extern void am_position_to_line_col(const char *sql, int charpos,
									int *line, int *column);
extern int	am_line_of_offset(const char *sql, int offset);
extern const char *am_statement_tag(AmStatement *stmt);
extern bool am_stmt_needs_top_level(Node *stmt);
extern bool am_sql_has_marker(const char *sql, const char *marker);

#endif							/* AURA_MIGRATE_SQLSPLIT_H */
