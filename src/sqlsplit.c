/*-------------------------------------------------------------------------
 *
 * sqlsplit.c
 *	  Splitting migration SQL into statements with PostgreSQL's raw parser.
 *
 * A migration is parsed with raw_parser(), which checks its grammar and
 * splits it into statements without looking anything up in the catalogs
 * and without executing anything.  Each statement keeps its byte range in
 * the migration and the line of its first token, so errors found at
 * registration, by lint() or while applying can point at a line.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/sqlsplit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "mb/pg_wchar.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "sqlsplit.h"

static void unwrap_transaction(AmParsed *p);

static int	skip_blank(const char *sql, int off, int end);
static bool find_meta_command(const char *sql, int upto_line,
							  int *line, char **word);

/*
 * pin_scanner_settings
 *		The scanner's handling of backslashes depends on two settings; they
 *		are pinned while a migration is scanned or parsed so that it means the
 *		same thing everywhere.  Returns the GUC nest level to pass to
 *		AtEOXact_GUC().
 */
static int
pin_scanner_settings(void)
{
	int			nest = NewGUCNestLevel();

	(void) set_config_option("standard_conforming_strings", "on",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("escape_string_warning", "off",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nest;
}

/*
 * parse_range
 *		Parse the bytes [from, to) of sql, whose first line is first_line.
 *
 * Statement offsets and lines are those in the whole of sql; node
 * locations in the parse trees are relative to from (result->base).  When
 * whole is false (a part of a longer text) a syntax error is only flagged:
 * the caller parses the whole text to describe it.
 */
static AmParsed *
parse_range(const char *sql, int from, int to, int first_line, bool whole)
{
	AmParsed   *result = palloc0(sizeof(AmParsed));
	MemoryContext oldcxt = CurrentMemoryContext;
	const char *text;
	List	   *volatile raw = NIL;
	int			nest;
	int			total = to - from;
	ListCell   *lc;
	int			i;
	int			line_at;
	int			line;
	ErrorContextCallback *save_context;

	text = (from == 0 && sql[to] == '\0') ? sql : pnstrdup(sql + from, total);
	result->base = from;
	nest = pin_scanner_settings();

	/*
	 * Callers' error context callbacks (SPI's, when we are called from a
	 * PL/pgSQL EXECUTE) would move the syntax error position out of
	 * cursorpos: parse with none, the position is ours to report.
	 */
	save_context = error_context_stack;
	error_context_stack = NULL;
	PG_TRY();
	{
		raw = raw_parser(text, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		error_context_stack = save_context;
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();

		result->failed = true;
		result->err_sqlstate = edata->sqlerrcode;
		result->err_message = pstrdup(edata->message);
		if (whole && edata->cursorpos > 0)
			am_position_to_line_col(sql, edata->cursorpos,
									&result->err_line, &result->err_column);
		else
		{
			result->err_line = 0;
			result->err_column = 0;
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	error_context_stack = save_context;

	AtEOXact_GUC(false, nest);

	if (result->failed)
	{
		int			mline;
		char	   *word;

		/*
		 * psql meta-commands are the commonest reason a file that works with
		 * psql -f fails here: say so rather than "syntax error at or near".
		 */
		if (whole &&
			find_meta_command(sql,
							  result->err_line > 0 ? result->err_line : INT_MAX,
							  &mline, &word))
		{
			result->err_message = psprintf("psql meta-command \"%s\" is not SQL", word);
			result->err_line = mline;
			result->err_column = 1;
			result->err_meta = true;
			result->err_hint = pstrdup("Meta-commands such as \\i, \\set or \\copy are run by psql, not by the server: replace them with the SQL they stand for.");
		}
		return result;
	}

	result->nstmts = list_length(raw);
	result->stmts = palloc0(sizeof(AmStatement) * Max(result->nstmts, 1));
	i = 0;
	/* lines are counted as we go: statements come in order of position */
	line_at = from;
	line = first_line;
	foreach(lc, raw)
	{
		RawStmt    *rs = lfirst_node(RawStmt, lc);
		AmStatement *st = &result->stmts[i++];
		int			start = rs->stmt_location < 0 ? 0 : rs->stmt_location;
		int			len = rs->stmt_len > 0 ? rs->stmt_len : total - start;
		int			first;

		/* the text runs from the first token: leading comments are dropped */
		first = skip_blank(text, start, start + len);
		st->raw = rs;
		st->offset = from + first;
		st->length = start + len - first;
		st->text = pnstrdup(text + first, st->length);
		for (; line_at < st->offset; line_at++)
			if (sql[line_at] == '\n')
				line++;
		st->line = line;
	}
	return result;
}

/*
 * am_parse_sql
 *		Parse a migration into statements.
 *
 * Returns an AmParsed allocated in CurrentMemoryContext, together with the
 * parse trees; callers parse in a short-lived context of their own.  A
 * syntax error does not raise: it is described in the result (message,
 * line and column in the migration) so that register() can refuse with a
 * precise error and lint() can report it as a finding.  Errors other than
 * syntax errors (out of memory, stack depth) are re-thrown.
 */
AmParsed *
am_parse_sql(const char *sql)
{
	AmParsed   *result = parse_range(sql, 0, strlen(sql), 1, true);

	if (!result->failed)
		unwrap_transaction(result);
	return result;
}

/*
 * am_parse_sql_part
 *		Parse the bytes [from, to) of a longer text that am_sql_cut_points()
 *		cut, first_line being the line at from.  Offsets and lines in the
 *		result are in the whole text; node locations are relative to
 *		result->base.  No transaction wrapper is dropped, and a syntax error
 *		is flagged (failed) without a position: parse the whole text with
 *		am_parse_sql() to describe it.
 */
AmParsed *
am_parse_sql_part(const char *sql, int from, int to, int first_line)
{
	return parse_range(sql, from, to, first_line, false);
}

/*
 * Every keyword the scanner meets is returned as this token by
 * am_sql_cut_points(): it looks at keywords by name, and no token of the
 * grammar has this number.
 */
#define AM_KEYWORD_TOKEN 0xFFF0

/* what scan_for_cut() found */
typedef enum AmCutScan
{
	AM_CUT_FOUND,				/* a cut, at *cut */
	AM_CUT_NONE,				/* the window ended first */
	AM_CUT_ERROR				/* the scanner failed (perhaps at the window's end) */
} AmCutScan;

/*
 * scan_for_cut
 *		Read the len bytes at text (a window that starts where a statement
 *		starts) with PostgreSQL's scanner, up to the first semicolon that
 *		ends a statement at least part_bytes from the start.  *tokens says
 *		whether any token was read (before the cut, if one was found).
 *		Allocates in CurrentMemoryContext; the caller resets it.
 */
static AmCutScan
scan_for_cut(const char *text, int len, int part_bytes, const uint16 *kwtokens,
			 int *cut, bool *tokens)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile AmCutScan result = AM_CUT_NONE;
	volatile bool seen = false;
	volatile int at = 0;
	char	   *copy = pnstrdup(text, len);

	PG_TRY();
	{
		core_yy_extra_type yyext;
		core_yyscan_t scanner;
		core_YYSTYPE yylval;
		YYLTYPE		yylloc;
		int			tok;
		int			depth = 0;	/* BEGIN ATOMIC bodies and CASEs in them */
		bool		after_begin = false;

		scanner = scanner_init(copy, &yyext, &ScanKeywords, kwtokens);
		while ((tok = core_yylex(&yylval, &yylloc, scanner)) != 0)
		{
			seen = true;
			if (tok == AM_KEYWORD_TOKEN)
			{
				const char *kw = yylval.keyword;

				if (after_begin && strcmp(kw, "atomic") == 0)
					depth++;
				else if (depth > 0 && strcmp(kw, "case") == 0)
					depth++;
				else if (depth > 0 && strcmp(kw, "end") == 0)
					depth--;
				after_begin = strcmp(kw, "begin") == 0;
				continue;
			}
			after_begin = false;
			if (tok == ';' && depth == 0 && yylloc + 1 >= part_bytes)
			{
				at = yylloc + 1;
				result = AM_CUT_FOUND;
				break;
			}
		}
		scanner_finish(scanner);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		result = AM_CUT_ERROR;
	}
	PG_END_TRY();
	*cut = at;
	*tokens = seen;
	return result;
}

/*
 * am_sql_cut_points
 *		Where to cut sql into parts of whole statements, each at least
 *		part_bytes long (but the last): a List of byte offsets (int), each
 *		just after a semicolon that ends a statement, the last one the
 *		text's length.
 *
 * The text is read with PostgreSQL's own scanner, without the grammar, so
 * a semicolon in a string, a quoted identifier, a comment or a
 * dollar-quoted body does not count, nor does one inside a BEGIN ATOMIC
 * ... END function body (CASE ... END nests in it).  It is read a window
 * at a time from the last cut, in a context reset after each window, so
 * neither the text's copy nor the scanner's tokens grow with its length;
 * a window with no cut in it is read again twice as long.  Returns NIL
 * when the scanner fails (an unterminated literal, say): parse the text
 * whole, which describes the error.
 */
List *
am_sql_cut_points(const char *sql, int part_bytes)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	MemoryContext scancxt;
	List	   *cuts = NIL;
	int			total = strlen(sql);
	int			from = 0;
	uint16	   *kwtokens;
	int			nest;
	ErrorContextCallback *save_context;
	bool		failed = false;

	kwtokens = palloc(sizeof(uint16) * Max(ScanKeywords.num_keywords, 1));
	for (int k = 0; k < ScanKeywords.num_keywords; k++)
		kwtokens[k] = AM_KEYWORD_TOKEN;
	scancxt = AllocSetContextCreate(CurrentMemoryContext, "aura_migrate scan",
									ALLOCSET_DEFAULT_SIZES);

	nest = pin_scanner_settings();
	save_context = error_context_stack;
	error_context_stack = NULL;
	while (from < total && !failed)
	{
		int			window = Min(total - from, 4 * part_bytes);

		for (;;)
		{
			AmCutScan	found;
			int			cut;
			bool		tokens;

			MemoryContextSwitchTo(scancxt);
			found = scan_for_cut(sql + from, window, part_bytes, kwtokens, &cut, &tokens);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(scancxt);
			if (found == AM_CUT_FOUND)
			{
				from += cut;
				cuts = lappend_int(cuts, from);
				break;
			}
			if (window < total - from)
			{
				/* perhaps cut short by the window: read more */
				window = Min(total - from, window * 2);
				continue;
			}
			if (found == AM_CUT_ERROR)
				failed = true;
			else if (!tokens && cuts != NIL)
				llast_int(cuts) = total;	/* blanks and comments: the last part's */
			else
				cuts = lappend_int(cuts, total);
			from = total;
			break;
		}
	}
	error_context_stack = save_context;
	AtEOXact_GUC(false, nest);
	MemoryContextDelete(scancxt);
	pfree(kwtokens);

	if (failed)
	{
		list_free(cuts);
		return NIL;
	}
	return cuts;
}

/*
 * is_plain_transaction_stmt
 *		Whether n is a transaction statement of the given kinds with no
 *		options and no AND CHAIN.
 */
static bool
is_plain_transaction_stmt(Node *n, TransactionStmtKind k1, TransactionStmtKind k2)
{
	TransactionStmt *ts;

	if (!IsA(n, TransactionStmt))
		return false;
	ts = (TransactionStmt *) n;
	return (ts->kind == k1 || ts->kind == k2) && ts->options == NIL && !ts->chain;
}

/*
 * am_is_plain_begin / am_is_plain_commit
 *		The two statements of a transaction wrapper that unwrap_transaction()
 *		drops: BEGIN or START TRANSACTION, and COMMIT or END, without options.
 */
bool
am_is_plain_begin(Node *n)
{
	return is_plain_transaction_stmt(n, TRANS_STMT_BEGIN, TRANS_STMT_START);
}

bool
am_is_plain_commit(Node *n)
{
	return is_plain_transaction_stmt(n, TRANS_STMT_COMMIT, TRANS_STMT_COMMIT);
}

/*
 * unwrap_transaction
 *		A migration written for psql, dbmate or the Supabase CLI is often one
 *		BEGIN (or START TRANSACTION) ... COMMIT (or END) around ordinary
 *		statements.  The engine runs each migration in a transaction of its
 *		own, so that wrapper means nothing here: drop its two statements and
 *		say so in wrapped.  Any other transaction control (a BEGIN without
 *		COMMIT, nested wrappers, ROLLBACK, options such as ISOLATION LEVEL,
 *		statements after the COMMIT) is left for the caller to refuse.
 */
static void
unwrap_transaction(AmParsed *p)
{
	if (p->nstmts < 2 ||
		!am_is_plain_begin(p->stmts[0].raw->stmt) ||
		!am_is_plain_commit(p->stmts[p->nstmts - 1].raw->stmt))
		return;
	p->wrapper_line = p->stmts[0].line;
	memmove(&p->stmts[0], &p->stmts[1], sizeof(AmStatement) * (p->nstmts - 2));
	p->nstmts -= 2;
	p->wrapped = true;
}

/*
 * am_position_to_line_col
 *		Turn a 1-based character position (as in ErrorData.cursorpos) into a
 *		1-based line and column.  Positions count characters, not bytes.
 */
void
am_position_to_line_col(const char *sql, int charpos, int *line, int *column)
{
	const char *p = sql;
	int			l = 1;
	int			c = 1;
	int			n;

	for (n = 1; n < charpos && *p; n++)
	{
		if (*p == '\n')
		{
			l++;
			c = 1;
		}
		else
			c++;
		p += pg_mblen(p);
	}
	*line = l;
	*column = c;
}

/*
 * am_line_of_offset
 *		1-based line number of a byte offset.
 */
int
am_line_of_offset(const char *sql, int offset)
{
	int			line = 1;
	int			i;

	for (i = 0; i < offset && sql[i]; i++)
		if (sql[i] == '\n')
			line++;
	return line;
}

/*
 * am_statement_tag
 *		The command tag of a statement ("CREATE TABLE", ...).
 */
const char *
am_statement_tag(AmStatement *stmt)
{
	return CreateCommandName(stmt->raw->stmt);
}

/*
 * am_stmt_needs_top_level
 *		Whether a statement refuses to run inside a transaction block, and so
 *		cannot run inside apply() (CREATE INDEX CONCURRENTLY, VACUUM, ...).
 */
bool
am_stmt_needs_top_level(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent;
		case T_ReindexStmt:
			foreach(lc, ((ReindexStmt *) stmt)->params)
			{
				DefElem    *opt = (DefElem *) lfirst(lc);

				if (strcmp(opt->defname, "concurrently") == 0)
					return true;
			}
			return false;
		case T_AlterTableStmt:
			/* ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY */
			foreach(lc, ((AlterTableStmt *) stmt)->cmds)
			{
				AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

				if (cmd->subtype == AT_DetachPartition &&
					((PartitionCmd *) cmd->def)->concurrent)
					return true;
			}
			return false;
		case T_VacuumStmt:
		case T_CreatedbStmt:
		case T_DropdbStmt:
		case T_AlterSystemStmt:
		case T_CreateTableSpaceStmt:
		case T_DropTableSpaceStmt:
			return true;
		default:
			return false;
	}
}

/*
 * am_sql_has_marker
 *		Whether a comment line "-- <marker>" appears in the migration.
 */
bool
am_sql_has_marker(const char *sql, const char *marker)
{
	const char *p = sql;
	size_t		mlen = strlen(marker);

	while (*p)
	{
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (q[0] == '-' && q[1] == '-')
		{
			q += 2;
			while (*q == ' ' || *q == '\t')
				q++;
			if (strncmp(q, marker, mlen) == 0 &&
				(q[mlen] == '\0' || isspace((unsigned char) q[mlen])))
				return true;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return false;
}

/*
 * skip_blank
 *		Byte offset of the first character at or after off that is neither
 *		white space nor inside a comment.
 */
static int
skip_blank(const char *sql, int off, int end)
{
	while (off < end)
	{
		if (isspace((unsigned char) sql[off]))
			off++;
		else if (sql[off] == '-' && off + 1 < end && sql[off + 1] == '-')
		{
			while (off < end && sql[off] != '\n')
				off++;
		}
		else if (sql[off] == '/' && off + 1 < end && sql[off + 1] == '*')
		{
			int			depth = 1;

			off += 2;
			while (off < end && depth > 0)
			{
				if (sql[off] == '/' && off + 1 < end && sql[off + 1] == '*')
				{
					depth++;
					off += 2;
				}
				else if (sql[off] == '*' && off + 1 < end && sql[off + 1] == '/')
				{
					depth--;
					off += 2;
				}
				else
					off++;
			}
		}
		else
			break;
	}
	return off;
}

/*
 * find_meta_command
 *		Find the first line, at or before upto_line, whose first non-blank
 *		character is a backslash: a psql meta-command.
 */
static bool
find_meta_command(const char *sql, int upto_line, int *line, char **word)
{
	const char *p = sql;
	int			l = 1;

	while (*p && l <= upto_line)
	{
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\\')
		{
			const char *e = q + 1;

			while (*e && !isspace((unsigned char) *e))
				e++;
			*line = l;
			*word = pnstrdup(q, Min(e - q, 32));
			return true;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
		l++;
	}
	return false;
}
