/*-------------------------------------------------------------------------
 *
 * lint_common.c
 *	  lint(): what its rules share: where unqualified names go, name sets,
 *	  and recording a finding where it is (line, column, acknowledged).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/lint_common.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "encrypted.h"
#include "lint.h"
#include "lint_int.h"

/*
 * The schema an unqualified name goes to at the statement being read:
 * public, until the migration's own SET search_path names another (the
 * first schema it lists other than "$user").  Set by am_lint_sql() for the
 * length of one lint, which does not nest.
 */
static const char *default_schema = "public";

/*
 * am_lint_default_schema
 *		Where an unqualified name goes at the statement being read.
 */
const char *
am_lint_default_schema(void)
{
	return default_schema;
}

/*
 * am_lint_set_default_schema
 *		A SET search_path of the migration, or the start of a lint ("public").
 *		schema must live as long as the lint.
 */
void
am_lint_set_default_schema(const char *schema)
{
	default_schema = schema;
}

/*
 * am_lint_schema_of
 *		The schema of a RangeVar, after the migration's search_path.
 */
const char *
am_lint_schema_of(RangeVar *rv)
{
	return rv->schemaname ? rv->schemaname : default_schema;
}

/*
 * am_lint_qualified
 *		"schema.name" for a RangeVar, as a plain key for the lists above.
 */
char *
am_lint_qualified(RangeVar *rv)
{
	return psprintf("%s.%s", am_lint_schema_of(rv), rv->relname);
}

/*
 * am_lint_quoted
 *		The object name as PostgreSQL quotes identifiers.
 */
char *
am_lint_quoted(RangeVar *rv)
{
	return (char *) quote_qualified_identifier(am_lint_schema_of(rv), rv->relname);
}

/*
 * am_lint_in_list
 *		Whether s is one of the strings of list.
 */
bool
am_lint_in_list(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/*
 * Name sets: a migration of thousands of tables must not make lint()
 * quadratic.  Keys are "schema.name" (or "schema.name.column"), truncated
 * to the key size, which only ever merges names longer than any identifier.
 */
#define NAMESET_KEYLEN (NAMEDATALEN * 3 + 4)

HTAB *
am_lint_nameset_create(const char *what)
{
	HASHCTL		ctl;

	ctl.keysize = NAMESET_KEYLEN;
	ctl.entrysize = NAMESET_KEYLEN;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(what, 256, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

void
am_lint_nameset_add(HTAB *set, const char *name)
{
	char		key[NAMESET_KEYLEN];

	strlcpy(key, name, sizeof(key));
	(void) hash_search(set, key, HASH_ENTER, NULL);
}

bool
am_lint_nameset_has(HTAB *set, const char *name)
{
	char		key[NAMESET_KEYLEN];

	strlcpy(key, name, sizeof(key));
	return hash_search(set, key, HASH_FIND, NULL) != NULL;
}

bool
am_lint_checked_schema(LintState *ls, RangeVar *rv)
{
	if (rv->relpersistence == RELPERSISTENCE_TEMP)
		return false;
	return am_lint_in_list(ls->schemas, am_lint_schema_of(rv));
}

/*
 * statement_allows
 *		Whether "aura:allow <code>" appears in the comments just above the
 *		statement (since the end of the previous one) or on its own lines.
 */
static bool
statement_allows(LintState *ls, int stmtidx, const char *code)
{
	AmStatement *st = &ls->stmts[stmtidx];
	int			from = stmtidx > 0 ?
		ls->stmts[stmtidx - 1].offset + ls->stmts[stmtidx - 1].length : 0;
	int			to = st->offset + st->length;
	const char *sql = ls->sql;
	size_t		clen = strlen(code);
	int			i;

	/* a trailing comment on the previous statement's last line is its own */
	if (stmtidx > 0)
	{
		while (sql[from] != '\0' && sql[from] != '\n')
			from++;
	}

	/* the rest of the statement's last line, where a trailing comment sits */
	while (sql[to] != '\0' && sql[to] != '\n')
		to++;

	for (i = from; i + 10 <= to; i++)
	{
		const char *p;

		if (strncmp(sql + i, "aura:allow", 10) != 0)
			continue;
		p = sql + i + 10;
		/* a list of codes separated by spaces or commas, to the end of line */
		while (p < sql + to && *p != '\n')
		{
			while (p < sql + to && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			if (strncmp(p, code, clen) == 0 &&
				(p + clen >= sql + to || !(isalnum((unsigned char) p[clen]) || p[clen] == '_')))
				return true;
			while (p < sql + to && !(*p == ' ' || *p == '\t' || *p == ',' || *p == '\n'))
				p++;
		}
	}
	return false;
}

/*
 * am_lint_add_finding
 *		Record a finding at the current statement (or at a byte position in
 *		it when location >= 0, as raw parse nodes give).
 */
void
am_lint_add_finding(LintState *ls, const char *severity, const char *code,
			char *object, char *message, char *hint, int location)
{
	AmFinding  *f = MemoryContextAllocZero(ls->cxt, sizeof(AmFinding));
	AmStatement *st = &ls->stmts[ls->cur];
	int			off = location >= 0 ? ls->base + location : st->offset;
	int			linestart = off;
	MemoryContext oldcxt;

	f->severity = severity;
	f->code = code;
	f->object = object ? MemoryContextStrdup(ls->cxt, object) : NULL;
	f->message = message ? MemoryContextStrdup(ls->cxt, message) : NULL;
	f->hint = hint ? MemoryContextStrdup(ls->cxt, hint) : NULL;
	/* the statement's line is known: count only within the statement */
	f->line = st->line;
	if (off > st->offset)
	{
		int			k;

		for (k = st->offset; k < off; k++)
			if (ls->sql[k] == '\n')
				f->line++;
	}
	while (linestart > 0 && ls->sql[linestart - 1] != '\n')
		linestart--;
	f->col = pg_mbstrlen_with_len(ls->sql + linestart, off - linestart) + 1;
	f->allowed = statement_allows(ls, ls->cur, code);
	oldcxt = MemoryContextSwitchTo(ls->cxt);
	ls->findings = lappend(ls->findings, f);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * am_lint_plaintext
 *		plaintext_in_encrypted_table: a column a migration gives a table that
 *		aura_migrate.encrypted_table says holds only ciphertext, whose type
 *		(looked up, never created) is neither ciphertext nor metadata.
 */
void
am_lint_plaintext(LintState *ls, RangeVar *rel, const char *colname, TypeName *tn,
			   List *parents)
{
	AmEncryptedRule *rule;
	Oid			typid = InvalidOid;
	char	   *message;
	char	   *hint;
	ListCell   *lc;

	if (ls->encrypted == NIL || colname == NULL || tn == NULL)
		return;
	rule = am_encrypted_match(ls->encrypted, am_lint_schema_of(rel), rel->relname);
	/* INHERITS (t) or PARTITION OF t: its rows are read through t */
	foreach(lc, parents)
		if (rule == NULL)
			rule = am_encrypted_match(ls->encrypted, am_lint_schema_of(lfirst_node(RangeVar, lc)),
									  lfirst_node(RangeVar, lc)->relname);
	if (rule == NULL)
		return;
	if (tn->pct_type == false)
		typid = LookupTypeNameOid(NULL, tn, true);
	if (am_ciphertext_column(rule, colname, typid))
		return;
	am_plaintext_message(am_lint_quoted(rel), colname, typid, rule, &message, &hint);
	am_lint_add_finding(ls, "error", "plaintext_in_encrypted_table",
				psprintf("%s.%s", am_lint_quoted(rel), quote_identifier(colname)), message, hint,
				tn->location);
}
