/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  The checks a migration passes before register() stores it.
 *
 * Versions (a calendar date and a sequence number), names (snake_case),
 * environments, the template header of a migration file, and the SQL
 * itself: parsed by PostgreSQL's raw parser, never executed, and refused
 * with a precise error for a syntax error, a psql meta-command, transaction
 * control, COPY from the client, a statement that needs top level in a
 * migration not marked for it, or a change to the extension itself.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "settings.h"
#include "guard.h"
#include "validate.h"

static void check_self_modification(const char *version, AmStatement *st,
									int stmtno, bool is_down);

/* which SQL of a migration an error is about, when it is the down SQL */
#define DOWN_CONTEXT(is_down, version) \
	((is_down) ? errcontext("in the down SQL of migration %s", (version)) : 0)

/* the message of a bad version, whole, for each argument that takes one */
#define INVALID_VERSION(what, version) \
	(strcmp((what), "target") == 0 ? errmsg("invalid target \"%s\"", (version)) : \
	 strcmp((what), "dependency") == 0 ? errmsg("invalid dependency \"%s\"", (version)) : \
	 errmsg("invalid version \"%s\"", (version)))

static const char *const known_environments[] = {
	"development", "staging", "production", NULL
};

static const char *const requirement_kinds[] = {
	"schema", "role", "function", "table", "extension", NULL
};


/*
 * date_problem
 *		NULL when y-m-d is a calendar date from 1970 on, else why not.
 */
static char *
date_problem(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			maxd;

	if (y < 1970)
		return psprintf("The year %d is before 1970.", y);
	if (m < 1 || m > 12)
		return psprintf("There is no month %d.", m);
	maxd = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		maxd = 29;
	if (d < 1 || d > maxd)
		return psprintf("Month %d of %d has %d days.", m, y, maxd);
	return NULL;
}

/*
 * am_check_version
 *		A version is either 11 digits, a calendar date YYYYMMDD and a
 *		sequence number NNN from 001 to 999 (the engine's own scheme), or 14
 *		digits, a date and a time YYYYMMDDHHMMSS (the Supabase CLI's).
 */
void
am_check_version(const char *version, const char *what)
{
	int			i;
	char	   *problem;

	for (i = 0; version[i]; i++)
		if (!isdigit((unsigned char) version[i]))
			break;
	if (version[i] != '\0' || (i != 11 && i != 14))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 INVALID_VERSION(what, version),
				 errdetail("A version has 11 digits, YYYYMMDDNNN, or 14 digits, YYYYMMDDHHMMSS."),
				 errhint("For example 20250909001 (the date, then a sequence number from 001 to 999) or 20250909143000 (the date and time, as the Supabase CLI names migrations).")));

#define DIGITS(p, n) (pg_strtoint32(pnstrdup((p), (n))))
	problem = date_problem(DIGITS(version, 4), DIGITS(version + 4, 2),
						   DIGITS(version + 6, 2));
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 INVALID_VERSION(what, version),
				 errdetail("\"%.8s\" is not a calendar date: %s", version, problem),
				 errhint("The first eight digits are the date, YYYYMMDD.")));
	if (i == 11 && DIGITS(version + 8, 3) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 INVALID_VERSION(what, version),
				 errdetail("The sequence number NNN runs from 001 to 999."),
				 errhint("The first migration of a day is YYYYMMDD001.")));
	if (i == 14 && (DIGITS(version + 8, 2) > 23 || DIGITS(version + 10, 2) > 59 ||
					DIGITS(version + 12, 2) > 59))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 INVALID_VERSION(what, version),
				 errdetail("\"%s\" is not a time of day.", version + 8),
				 errhint("The last six digits are the time, HHMMSS, from 000000 to 235959.")));
}

/*
 * am_version_key
 *		The key that orders versions of both schemes by time: 15 digits,
 *		the date, then 0000NNN for YYYYMMDDNNN or 1HHMMSS for YYYYMMDDHHMMSS,
 *		so that an 11-digit version counts as the start of its day.  Digits
 *		of one length compare alike in every collation.  SQL has the same
 *		rule as aura_migrate.version_key().
 */
void
am_version_key(const char *version, char key[AM_VERSION_KEY_LEN + 1])
{
	size_t		len = strlen(version);

	if (len == 11)
		snprintf(key, AM_VERSION_KEY_LEN + 1, "%.8s0000%.3s", version, version + 8);
	else if (len == 14)
		snprintf(key, AM_VERSION_KEY_LEN + 1, "%.8s1%.6s", version, version + 8);
	else
		elog(ERROR, "unexpected version \"%s\"", version);
}

/*
 * am_version_cmp
 *		Compare two valid versions in time order.
 */
int
am_version_cmp(const char *a, const char *b)
{
	char		ka[AM_VERSION_KEY_LEN + 1];
	char		kb[AM_VERSION_KEY_LEN + 1];

	am_version_key(a, ka);
	am_version_key(b, kb);
	return strcmp(ka, kb);
}

/*
 * am_check_created
 *		The header's Created date is YYYY-MM-DD and a calendar date.
 */
void
am_check_created(const char *created, const char *file)
{
	bool		ok = strlen(created) == 10 && created[4] == '-' && created[7] == '-';
	int			i;
	char	   *problem = NULL;

	for (i = 0; ok && i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char) created[i]))
			ok = false;
	if (ok)
		problem = date_problem(DIGITS(created, 4), DIGITS(created + 5, 2),
							   DIGITS(created + 8, 2));
	if (!ok || problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("invalid Created date \"%s\" in migration file \"%s\"",
						created, file),
				 problem ? errdetail("%s", problem) : 0,
				 errhint("Write the date as YYYY-MM-DD.")));
}
#undef DIGITS

/*
 * am_check_name
 *		A migration of the engine's scheme has a snake_case name.  One of the
 *		Supabase CLI's scheme (a 14-digit version) keeps the name its file
 *		was given: letters, digits, underscores, hyphens and dots.
 */
void
am_check_name(const char *version, const char *name)
{
	int			i;
	bool		cli = strlen(version) == 14;
	bool		ok = cli ? name[0] != '\0' : (name[0] >= 'a' && name[0] <= 'z');

	for (i = 0; ok && name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
			  (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
			  (cli && ((name[i] >= 'A' && name[i] <= 'Z') ||
					   name[i] == '-' || name[i] == '.'))))
			ok = false;
	/* "." and ".." are no names */
	if (cli && ok && strspn(name, ".") == strlen(name))
		ok = false;
	if (ok && strlen(name) <= 63)
		return;
	if (cli)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid migration name \"%s\"", name),
				 errdetail("The name of a migration with a 14-digit version is made of letters, digits, underscores, hyphens and dots, at most 63 characters."),
				 errhint("For example: create_profiles.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid migration name \"%s\"", name),
			 errdetail("A name is snake_case: a lower-case letter, then lower-case letters, digits and underscores, at most 63 characters."),
			 errhint("For example: add_user_preferences.")));
}

/*
 * am_check_environments
 *		environments is NULL (all) or a non-empty list of known names.
 */
void
am_check_environments(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				k;

	if (arr == NULL)
		return;
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("environments must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("environments must not be empty"),
				 errhint("Pass NULL to apply the migration in every environment.")));
	for (i = 0; i < n; i++)
	{
		char	   *e;
		bool		found = false;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("environments must not contain NULL")));
		e = TextDatumGetCString(elems[i]);
		for (k = 0; known_environments[k]; k++)
			if (strcmp(e, known_environments[k]) == 0)
				found = true;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown environment \"%s\"", e),
					 errhint("Environments are development, staging and production.")));
	}
}

/*
 * own_sequence_walker
 *		Raw expression tree walker: true at a call of nextval(), setval() or
 *		currval() whose first argument is a string naming one of the
 *		extension's sequences ('aura_migrate.run_seq', with or without a
 *		cast to regclass).
 */
static bool
own_sequence_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		char	   *fname = strVal(llast(fc->funcname));

		if ((strcmp(fname, "nextval") == 0 || strcmp(fname, "setval") == 0 ||
			 strcmp(fname, "currval") == 0) && fc->args != NIL)
		{
			Node	   *arg = linitial(fc->args);

			if (IsA(arg, TypeCast))
				arg = ((TypeCast *) arg)->arg;
			if (IsA(arg, A_Const) && !((A_Const *) arg)->isnull &&
				IsA(&((A_Const *) arg)->val, String) &&
				pg_strncasecmp(strVal(&((A_Const *) arg)->val), "aura_migrate.", 13) == 0)
				return true;
		}
	}
	return raw_expression_tree_walker(node, own_sequence_walker, context);
}

/*
 * am_raw_tree_uses_own_sequence
 *		Whether a raw statement (a query: SELECT, INSERT, UPDATE, DELETE)
 *		calls a sequence function on one of the extension's sequences.
 */
bool
am_raw_tree_uses_own_sequence(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
			return own_sequence_walker(stmt, NULL);
		default:
			return false;
	}
}

/*
 * check_self_modification
 *		Refuse statements that would drop or alter the extension, its schema,
 *		or its tables.  guard.c enforces the same at run time for anything
 *		that cannot be seen in the raw parse tree (CASCADE, dynamic SQL).
 */
static void
check_self_modification(const char *version, AmStatement *st, int stmtno,
						bool is_down)
{
	Node	   *n = st->raw->stmt;
	bool		bad = false;
	ListCell   *lc;

	switch (nodeTag(n))
	{
		case T_DropStmt:
			{
				DropStmt   *d = (DropStmt *) n;

				foreach(lc, d->objects)
				{
					Node	   *obj = lfirst(lc);

					if ((d->removeType == OBJECT_EXTENSION ||
						 d->removeType == OBJECT_SCHEMA) &&
						IsA(obj, String) &&
						strcmp(strVal(obj), "aura_migrate") == 0)
						bad = true;
					else if (IsA(obj, List) && list_length((List *) obj) >= 2 &&
							 IsA(linitial((List *) obj), String) &&
							 strcmp(strVal(linitial((List *) obj)), "aura_migrate") == 0)
						bad = true;
				}
				break;
			}
		case T_AlterExtensionStmt:
			bad = strcmp(((AlterExtensionStmt *) n)->extname, "aura_migrate") == 0;
			break;
		case T_AlterExtensionContentsStmt:
			bad = strcmp(((AlterExtensionContentsStmt *) n)->extname, "aura_migrate") == 0;
			break;
		case T_InsertStmt:
			bad = ((InsertStmt *) n)->relation->schemaname &&
				strcmp(((InsertStmt *) n)->relation->schemaname, "aura_migrate") == 0;
			break;
		case T_UpdateStmt:
			bad = ((UpdateStmt *) n)->relation->schemaname &&
				strcmp(((UpdateStmt *) n)->relation->schemaname, "aura_migrate") == 0;
			break;
		case T_DeleteStmt:
			bad = ((DeleteStmt *) n)->relation->schemaname &&
				strcmp(((DeleteStmt *) n)->relation->schemaname, "aura_migrate") == 0;
			break;
		case T_AlterTableStmt:
			bad = ((AlterTableStmt *) n)->relation->schemaname &&
				strcmp(((AlterTableStmt *) n)->relation->schemaname, "aura_migrate") == 0;
			break;
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) n)->relations)
			{
				RangeVar   *rv = lfirst_node(RangeVar, lc);

				if (rv->schemaname && strcmp(rv->schemaname, "aura_migrate") == 0)
					bad = true;
			}
			break;
		default:
			break;
	}

	if (!bad && am_guard_statement_target(n, false) != NULL)
		bad = true;
	if (!bad && am_raw_tree_uses_own_sequence(n))
		bad = true;

	if (bad)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("migration %s must not change extension \"aura_migrate\"",
						version),
				 DOWN_CONTEXT(is_down, version),
				 errdetail("Statement %d (line %d) is %s on the extension, its schema or its objects.",
						   stmtno, st->line, CreateCommandName(n)),
				 errhint("Migrations cannot alter the registry and history they are recorded in.")));
}

/*
 * am_validate_sql
 *		Check one migration's SQL without executing it, raising an error on
 *		the first problem: too large, invalid encoding, syntax error (with
 *		line and column), psql meta-command, empty, transaction control,
 *		COPY from the client, a statement that cannot run in a transaction
 *		block in a migration not marked "-- aura:no-transaction", or a change
 *		to the extension itself.
 *
 * Returns the parsed statements, allocated in CurrentMemoryContext.
 */
AmParsed *
am_validate_sql(const char *version, const char *sql, bool is_down,
				bool no_transaction)
{
	size_t		len = strlen(sql);
	AmParsed   *parsed;
	int			i;

	if (len > (size_t) am_max_sql_size_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("migration %s is too large", version),
				 DOWN_CONTEXT(is_down, version),
				 errdetail("It has %zu bytes; the limit is %d kB.", len, am_max_sql_size_kb),
				 errhint("Split it into several migrations, or raise aura_migrate.max_sql_size.")));

	(void) pg_verify_mbstr(GetDatabaseEncoding(), sql, len, false);

	parsed = am_parse_sql(sql);
	if (parsed->failed)
	{
		if (parsed->err_meta)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("migration %s contains a psql meta-command at line %d",
							version, parsed->err_line),
					 DOWN_CONTEXT(is_down, version),
					 errdetail("%s", parsed->err_message),
					 errhint("%s", parsed->err_hint)));
		ereport(ERROR,
				(errcode(parsed->err_sqlstate),
				 errmsg("syntax error in migration %s at line %d, column %d",
						version, parsed->err_line, parsed->err_column),
				 DOWN_CONTEXT(is_down, version),
				 errdetail("%s", parsed->err_message)));
	}
	if (parsed->nstmts == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration %s contains no SQL statement", version),
				 DOWN_CONTEXT(is_down, version),
				 errhint("A migration of only white space or comments does nothing: add its SQL, or do not register it.")));

	if (parsed->wrapped && no_transaction)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("migration %s is marked \"-- aura:no-transaction\" but wrapped in BEGIN ... COMMIT", version),
				 DOWN_CONTEXT(is_down, version),
				 errdetail("Its statements run one by one outside a transaction block, so the wrapper cannot hold."),
				 errhint("Remove the BEGIN and COMMIT lines, or the marker.")));

	for (i = 0; i < parsed->nstmts; i++)
	{
		AmStatement *st = &parsed->stmts[i];
		Node	   *n = st->raw->stmt;

		if (IsA(n, TransactionStmt) && i == 0 &&
			(((TransactionStmt *) n)->kind == TRANS_STMT_BEGIN ||
			 ((TransactionStmt *) n)->kind == TRANS_STMT_START))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("migration %s opens a transaction it does not close as its last statement", version),
					 DOWN_CONTEXT(is_down, version),
					 errdetail("A BEGIN ... COMMIT around the whole migration is accepted; here the COMMIT is missing, statements follow it, it is nested, or the BEGIN has options (statement 1, line %d).",
							   st->line),
					 errhint("End the migration with COMMIT, or remove the BEGIN: each migration runs in its own transaction.")));
		if (IsA(n, TransactionStmt) ||
			(IsA(n, VariableSetStmt) && ((VariableSetStmt *) n)->kind == VAR_SET_MULTI))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
					 errmsg("migration %s contains transaction control at statement %d (line %d)",
							version, i + 1, st->line),
					 DOWN_CONTEXT(is_down, version),
					 IsA(n, VariableSetStmt) ?
					 errdetail("SET TRANSACTION and SET SESSION CHARACTERISTICS cannot run inside a migration.") :
					 errdetail("%s cannot run inside a migration.", CreateCommandName(n)),
					 errhint("Each migration runs in its own transaction: remove BEGIN, COMMIT, ROLLBACK, SAVEPOINT and PREPARE TRANSACTION.  One BEGIN ... COMMIT around the whole migration is accepted and dropped.")));
		if (IsA(n, CopyStmt) && ((CopyStmt *) n)->filename == NULL &&
			((CopyStmt *) n)->query == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("migration %s copies from or to the client at statement %d (line %d)",
							version, i + 1, st->line),
					 DOWN_CONTEXT(is_down, version),
					 errhint("COPY ... FROM STDIN needs psql; use INSERT ... VALUES for seed data.")));
		if (!no_transaction && am_stmt_needs_top_level(n))
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("statement %d (line %d) of migration %s cannot run inside a transaction block",
							i + 1, st->line, version),
					 DOWN_CONTEXT(is_down, version),
					 errdetail("%s runs only at top level.", CreateCommandName(n)),
					 errhint("Mark the migration with a line \"-- aura:no-transaction\" and apply it with CALL aura_migrate.migrate().")));
		check_self_modification(version, st, i + 1, is_down);
	}

	return parsed;
}

/*
 * am_parse_header
 *		Read "-- Key: value" lines from the comment block at the top of a
 *		migration.  Unknown keys are ignored; the block ends at the first
 *		line that is neither blank nor a comment.
 */
void
am_parse_header(const char *sql, AmHeader *h)
{
	const char *p = sql;

	memset(h, 0, sizeof(AmHeader));
	while (*p)
	{
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		const char *q = p;

		while (q < end && isspace((unsigned char) *q))
			q++;
		if (q < end)
		{
			const char *colon;
			const char *key;
			const char *val;
			size_t		keylen;
			char	  **slot = NULL;

			if (!(q + 1 < end && q[0] == '-' && q[1] == '-'))
				break;
			q += 2;
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			key = q;
			colon = memchr(q, ':', end - q);
			if (colon != NULL)
			{
				keylen = colon - key;
				val = colon + 1;
				while (val < end && isspace((unsigned char) *val))
					val++;
				if (keylen == 9 && pg_strncasecmp(key, "Migration", 9) == 0)
					slot = &h->migration;
				else if (keylen == 11 && pg_strncasecmp(key, "Description", 11) == 0)
					slot = &h->description;
				else if (keylen == 6 && pg_strncasecmp(key, "Author", 6) == 0)
					slot = &h->author;
				else if (keylen == 7 && pg_strncasecmp(key, "Created", 7) == 0)
					slot = &h->created;
				else if (keylen == 12 && pg_strncasecmp(key, "Environments", 12) == 0)
					slot = &h->environments;
				else if (keylen == 7 && pg_strncasecmp(key, "Depends", 7) == 0)
					slot = &h->depends;
				else if (keylen == 8 && pg_strncasecmp(key, "Requires", 8) == 0)
					slot = &h->requires;
				else if (keylen == 13 && pg_strncasecmp(key, "Requires-Hint", 13) == 0)
					slot = &h->requires_hint;
				if (slot != NULL && *slot == NULL)
				{
					const char *vend = end;

					while (vend > val && isspace((unsigned char) vend[-1]))
						vend--;
					*slot = pnstrdup(val, vend - val);
				}
			}
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
}

/*
 * am_split_list
 *		A comma-separated list as a text[], each item trimmed; NULL for an
 *		empty list.
 */
ArrayType *
am_split_list(const char *list)
{
	Datum	   *items;
	int			n = 0;
	int			cap = 8;
	const char *p = list;

	items = palloc(sizeof(Datum) * cap);
	while (*p)
	{
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *s = p;
		const char *e = end;

		while (s < e && isspace((unsigned char) *s))
			s++;
		while (e > s && isspace((unsigned char) e[-1]))
			e--;
		if (e > s)
		{
			if (n == cap)
			{
				cap *= 2;
				items = repalloc(items, sizeof(Datum) * cap);
			}
			items[n++] = PointerGetDatum(cstring_to_text_with_len(s, e - s));
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (n == 0)
		return NULL;
	return construct_array(items, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * am_parse_requires
 *		Check a "-- Requires:" list: each item is "<kind> <name>" with kind
 *		schema, role, function, table or extension.  apply() checks that each
 *		exists before it applies anything.
 */
ArrayType *
am_parse_requires(const char *version, const char *list)
{
	ArrayType  *arr = am_split_list(list);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				k;

	if (arr == NULL)
		return NULL;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *item = TextDatumGetCString(elems[i]);
		char	   *sp = strchr(item, ' ');
		bool		ok = false;

		if (sp != NULL)
		{
			*sp = '\0';
			for (k = 0; requirement_kinds[k]; k++)
				if (strcmp(item, requirement_kinds[k]) == 0)
					ok = true;
			*sp = ' ';
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid requirement \"%s\" in migration %s", item, version),
					 errhint("Write \"-- Requires:\" items as schema NAME, role NAME, function NAME(ARGTYPES), table NAME or extension NAME, separated by commas.")));
	}
	return arr;
}

