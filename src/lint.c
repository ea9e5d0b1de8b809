/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  lint(): reading a migration before it runs.
 *
 * The migration is parsed with PostgreSQL's raw parser (nothing executes,
 * nothing is looked up) and its statements are read as a DBA would read
 * them: a table left without row level security, a policy that is always
 * true or calls auth.uid() once per row, a SECURITY DEFINER function with
 * no pinned search_path, a GRANT to anon or to a zero-knowledge role, and
 * the statements that lock or rewrite a live table or destroy data.  Each
 * finding has the same shape as check_rls()'s, with the line and column in
 * the migration.  A comment "-- aura:allow <code>" on a statement, or in
 * the comments just above it, acknowledges a finding: it is still
 * reported, as allowed.  The rules for statements on a live table are in
 * lint_live.c.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/tuplestore.h"
#include "utils/varlena.h"
#include "tcop/utility.h"

#include "compat.h"
#include "encrypted.h"
#include "settings.h"
#include "lint.h"
#include "lint_int.h"
#include "sqlsplit.h"

PG_FUNCTION_INFO_V1(aura_migrate_lint);


/* A table the migration creates, to judge once it is all read. */
typedef struct CreatedTable
{
	int			stmtidx;
	char	   *key;			/* "schema.name" */
	char	   *quoted;
	bool		checked;		/* in a checked schema */
	bool		needs_pkey;		/* not a partition, not temporary */
} CreatedTable;

/* Walking a policy expression. */
typedef struct PolicyWalk
{
	int			sublevels;
	char	   *per_row;		/* first auth call outside a subquery */
	bool		user_metadata;
} PolicyWalk;

/*
 * follow_search_path
 *		SET [LOCAL] search_path TO a, b: unqualified names now go to a;
 *		RESET or SET ... TO DEFAULT: back to public.
 */
static void
follow_search_path(LintState *ls, VariableSetStmt *vs)
{
	ListCell   *lc;

	if (vs->name == NULL || strcmp(vs->name, "search_path") != 0)
		return;
	if (vs->kind != VAR_SET_VALUE)
	{
		am_lint_set_default_schema("public");
		return;
	}
	foreach(lc, vs->args)
	{
		Node	   *arg = lfirst(lc);

		if (IsA(arg, A_Const) && IsA(&((A_Const *) arg)->val, String) &&
			strcmp(strVal(&((A_Const *) arg)->val), "$user") != 0)
		{
			am_lint_set_default_schema(MemoryContextStrdup(ls->cxt, strVal(&((A_Const *) arg)->val)));
			return;
		}
	}
}

/*
 * policy_walker
 *		Find auth.uid(), auth.jwt(), auth.role() and current_setting() calls
 *		outside any subquery (evaluated once per row), and reads of
 *		user_metadata from the JWT.
 */
static bool
policy_walker(Node *node, PolicyWalk *pw)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
	{
		bool		result;

		pw->sublevels++;
		result = raw_expression_tree_walker(node, policy_walker, (void *) pw);
		pw->sublevels--;
		return result;
	}
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;
		char	   *fname = strVal(llast(fc->funcname));
		char	   *fschema = list_length(fc->funcname) > 1 ?
			strVal(linitial(fc->funcname)) : NULL;
		bool		is_auth = (fschema && strcmp(fschema, "auth") == 0 &&
							   (strcmp(fname, "uid") == 0 || strcmp(fname, "jwt") == 0 ||
								strcmp(fname, "role") == 0));

		if ((is_auth || strcmp(fname, "current_setting") == 0) &&
			pw->sublevels == 0 && pw->per_row == NULL)
			pw->per_row = fschema ? psprintf("%s.%s()", fschema, fname) :
				psprintf("%s()", fname);
	}
	if (IsA(node, A_Expr) && ((A_Expr *) node)->kind == AEXPR_OP)
	{
		A_Expr	   *ae = (A_Expr *) node;
		char	   *op = strVal(llast(ae->name));

		if ((strcmp(op, "->") == 0 || strcmp(op, "->>") == 0 ||
			 strcmp(op, "#>") == 0 || strcmp(op, "#>>") == 0) &&
			ae->rexpr && IsA(ae->rexpr, A_Const) &&
			!((A_Const *) ae->rexpr)->isnull &&
			IsA(&((A_Const *) ae->rexpr)->val, String) &&
			strstr(strVal(&((A_Const *) ae->rexpr)->val), "user_metadata") != NULL)
			pw->user_metadata = true;
	}
	return raw_expression_tree_walker(node, policy_walker, (void *) pw);
}

/*
 * is_true_const
 *		Whether a raw expression is the constant true.
 */
static bool
is_true_const(Node *n)
{
	if (n == NULL)
		return false;
	if (IsA(n, A_Const) && !((A_Const *) n)->isnull &&
		IsA(&((A_Const *) n)->val, Boolean))
		return boolVal(&((A_Const *) n)->val);
	if (IsA(n, TypeCast))
	{
		TypeCast   *tc = (TypeCast *) n;

		if (IsA(tc->arg, A_Const) && !((A_Const *) tc->arg)->isnull &&
			IsA(&((A_Const *) tc->arg)->val, String) &&
			strcmp(strVal(llast(tc->typeName->names)), "bool") == 0)
		{
			char	   *v = strVal(&((A_Const *) tc->arg)->val);

			return v[0] == 't' || v[0] == 'T';
		}
	}
	return false;
}

/*
 * lint_policy
 *		CREATE POLICY / ALTER POLICY expressions.
 */
static void
lint_policy(LintState *ls, RangeVar *table, const char *policy, const char *cmd,
			Node *qual, Node *with_check)
{
	char	   *object = psprintf("%s: %s", am_lint_quoted(table), quote_identifier(policy));
	Node	   *exprs[2] = {qual, with_check};
	int			i;

	/*
	 * USING (true) on a SELECT policy is how public data is published
	 * (profiles shown to everyone, prices, reference tables): a warning, to
	 * be read; true on a policy that writes (or of unknown command, ALTER
	 * POLICY) hands every row to its roles to change: an error.
	 */
	if (cmd != NULL && strcmp(cmd, "select") == 0 && is_true_const(qual))
		am_lint_add_finding(ls, "warning", "policy_always_true", object,
					psprintf("policy %s lets its roles read every row", quote_identifier(policy)),
					pstrdup("Right for public data; for rows that belong to a user, constrain it, for example USING (user_id = (SELECT auth.uid()))."),
					-1);
	else if (is_true_const(qual) || is_true_const(with_check))
		am_lint_add_finding(ls, "error", "policy_always_true", object,
					psprintf("policy %s is always true", quote_identifier(policy)),
					pstrdup("Constrain the rows, for example USING (user_id = (SELECT auth.uid())); a true policy gives every row to its roles."),
					-1);

	for (i = 0; i < 2; i++)
	{
		PolicyWalk	pw;

		memset(&pw, 0, sizeof(pw));
		if (exprs[i] == NULL)
			continue;
		(void) policy_walker(exprs[i], &pw);
		if (pw.per_row)
			am_lint_add_finding(ls, "warning", "auth_call_per_row", object,
						psprintf("policy %s calls %s once per row", quote_identifier(policy), pw.per_row),
						psprintf("Wrap the call in a scalar subquery, (SELECT %s), so the planner evaluates it once.", pw.per_row),
						-1);
		if (pw.user_metadata)
			am_lint_add_finding(ls, "error", "jwt_user_metadata", object,
						psprintf("policy %s reads user_metadata from the JWT", quote_identifier(policy)),
						pstrdup("Users can edit their own user_metadata: authorise with app_metadata or a table instead."),
						-1);
	}
}

/*
 * lint_function
 *		CREATE FUNCTION / PROCEDURE: SECURITY DEFINER needs a pinned
 *		search_path.
 */
static void
lint_function(LintState *ls, List *funcname, List *options, bool is_alter)
{
	ListCell   *lc;
	bool		definer = false;
	bool		pinned = false;
	char	   *schema = NULL;
	char	   *name;

	foreach(lc, options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "security") == 0 && d->arg && defGetBoolean(d))
			definer = true;
		if (strcmp(d->defname, "set") == 0 && d->arg && IsA(d->arg, VariableSetStmt) &&
			((VariableSetStmt *) d->arg)->name &&
			strcmp(((VariableSetStmt *) d->arg)->name, "search_path") == 0)
			pinned = true;
	}
	if (!definer || pinned || is_alter)
		return;

	DeconstructQualifiedName(funcname, &schema, &name);
	am_lint_add_finding(ls, "warning", "definer_search_path",
				(char *) quote_qualified_identifier(schema ? schema : am_lint_default_schema(), name),
				psprintf("SECURITY DEFINER function %s does not pin search_path", quote_identifier(name)),
				pstrdup("Add SET search_path = '' (or pg_catalog, pg_temp) and schema-qualify every name in the body."),
				-1);
}

/*
 * lint_grant
 *		GRANT on tables to anon or to a zero-knowledge role.
 */
static void
lint_grant(LintState *ls, GrantStmt *gs, bool is_default)
{
	ListCell   *lc;

	if (!gs->is_grant || gs->objtype != OBJECT_TABLE)
		return;
	foreach(lc, gs->grantees)
	{
		RoleSpec   *rs = (RoleSpec *) lfirst(lc);
		char	   *object;

		if (rs->roletype != ROLESPEC_CSTRING)
			continue;
		object = (!is_default && gs->targtype == ACL_TARGET_OBJECT && gs->objects != NIL &&
				  IsA(linitial(gs->objects), RangeVar)) ?
			am_lint_quoted((RangeVar *) linitial(gs->objects)) :
			pstrdup(is_default ? "default privileges" : "all tables in schema");
		if (am_lint_in_list(ls->zk_roles, rs->rolename))
			am_lint_add_finding(ls, "error", "grant_to_zero_knowledge_role", object,
						psprintf("grants table privileges to zero-knowledge role %s",
								 quote_identifier(rs->rolename)),
						pstrdup("A BYPASSRLS role with table privileges reads every user's rows: do not grant them; use SECURITY DEFINER functions that touch no user data."),
						-1);
		else if (strcmp(rs->rolename, "anon") == 0)
			am_lint_add_finding(ls, "warning", "grant_to_anon", object,
						pstrdup("grants table privileges to anon"),
						pstrdup("Then row level security is the only wall for unauthenticated callers: grant to authenticated, or expose an RPC."),
						-1);
	}
}

/*
 * lint_plpgsql_unchecked
 *		function_body_unchecked (info, once per migration): a PL/pgSQL
 *		function is created, and extension plpgsql_check, with which the
 *		post-migration checks read function bodies, is not installed.
 */
static void
lint_plpgsql_unchecked(LintState *ls, List *options)
{
	ListCell   *lc;

	if (ls->plpgsql_told)
		return;
	foreach(lc, options)
	{
		DefElem    *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "language") == 0 && d->arg && IsA(d->arg, String) &&
			pg_strcasecmp(strVal(d->arg), "plpgsql") == 0 &&
			!OidIsValid(get_extension_oid("plpgsql_check", true)))
		{
			am_lint_add_finding(ls, "info", "function_body_unchecked", NULL,
						pstrdup("PL/pgSQL function bodies are not checked: extension plpgsql_check is not installed in this database"),
						pstrdup("CREATE EXTENSION plpgsql_check; then the checks after each migration fail a migration whose PL/pgSQL functions do not pass it (a column that does not exist, a wrong type)."),
						-1);
			ls->plpgsql_told = true;
		}
	}
}

/*
 * lint_create_table
 *		Remember what CREATE TABLE makes; foreign keys need an index.
 */
static void
lint_create_table(LintState *ls, CreateStmt *cs)
{
	char	   *key = am_lint_qualified(cs->relation);
	ListCell   *lc;
	ListCell   *lc2;

	am_lint_nameset_add(ls->created, key);
	if (cs->partbound != NULL)	/* a partition: its parent decides */
		am_lint_nameset_add(ls->rls_enabled, key);

	foreach(lc, cs->tableElts)
	{
		Node	   *elt = lfirst(lc);

		if (IsA(elt, ColumnDef))
		{
			ColumnDef  *cd = (ColumnDef *) elt;

			am_lint_plaintext(ls, cs->relation, cd->colname, cd->typeName, cs->inhRelations);

			foreach(lc2, cd->constraints)
			{
				Constraint *c = lfirst_node(Constraint, lc2);

				if (c->contype == CONSTR_PRIMARY)
					am_lint_nameset_add(ls->with_pkey, key);
				if (c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE)
					am_lint_nameset_add(ls->indexed, psprintf("%s.%s", key, cd->colname));
			}
		}
		else if (IsA(elt, Constraint))
		{
			Constraint *c = (Constraint *) elt;

			if (c->contype == CONSTR_PRIMARY)
				am_lint_nameset_add(ls->with_pkey, key);
			if ((c->contype == CONSTR_PRIMARY || c->contype == CONSTR_UNIQUE) && c->keys)
				am_lint_nameset_add(ls->indexed, psprintf("%s.%s", key, strVal(linitial(c->keys))));
		}
	}
}

/*
 * finding_cmp
 *		Order findings as they appear in the migration.
 */
static int
finding_cmp(const ListCell *a, const ListCell *b)
{
	AmFinding  *fa = lfirst(a);
	AmFinding  *fb = lfirst(b);

	if (fa->line != fb->line)
		return fa->line < fb->line ? -1 : 1;
	if (fa->col != fb->col)
		return fa->col < fb->col ? -1 : 1;
	return 0;
}

/*
 * syntax_finding
 *		The one finding of a migration that does not parse.
 */
static List *
syntax_finding(AmParsed *parsed)
{
	AmFinding  *f = palloc0(sizeof(AmFinding));

	f->severity = "error";
	f->code = parsed->err_meta ? "psql_meta_command" : "syntax_error";
	f->object = NULL;
	f->message = parsed->err_message;
	f->hint = parsed->err_hint;
	f->line = parsed->err_line;
	f->col = parsed->err_column;
	return list_make1(f);
}

/*
 * remember_created_table
 *		Keep what lint_created_tables() needs of a CREATE TABLE, named as
 *		the search_path at this statement resolves it.
 */
static void
remember_created_table(LintState *ls, CreateStmt *cs)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(ls->cxt);
	CreatedTable *ct = palloc(sizeof(CreatedTable));

	ct->stmtidx = ls->cur;
	ct->key = am_lint_qualified(cs->relation);
	ct->quoted = am_lint_quoted(cs->relation);
	ct->checked = am_lint_checked_schema(ls, cs->relation);
	ct->needs_pkey = cs->partbound == NULL &&
		cs->relation->relpersistence != RELPERSISTENCE_TEMP;
	ls->created_tables = lappend(ls->created_tables, ct);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * wrapper_finding
 *		The info finding for a BEGIN ... COMMIT wrapper that was dropped.
 */
static AmFinding *
wrapper_finding(int line)
{
	AmFinding  *f = palloc0(sizeof(AmFinding));

	f->severity = "info";
	f->code = "transaction_wrapper";
	f->message = pstrdup("the BEGIN ... COMMIT around the migration is dropped: the engine runs each migration in a transaction of its own");
	f->hint = pstrdup("Nothing to do; remove the two lines when convenient.");
	f->line = line;
	f->col = 1;
	return f;
}

/*
 * lint_statement
 *		The findings one statement gives on its own.  Returns fks with the
 *		foreign keys it declares added.
 */
static List *
lint_statement(LintState *ls, Node *n, List *fks)
{
	if (am_stmt_needs_top_level(n) && ls->no_transaction < 0)
		ls->no_transaction = am_sql_has_marker(ls->sql, "aura:no-transaction");
	if (am_stmt_needs_top_level(n) && !ls->no_transaction)
		am_lint_add_finding(ls, "error", "needs_no_transaction", NULL,
					psprintf("%s cannot run inside a transaction block", CreateCommandName(n)),
					pstrdup("Mark the migration \"-- aura:no-transaction\" and apply it with CALL aura_migrate.migrate()."),
					-1);
	switch (nodeTag(n))
	{
		case T_TransactionStmt:
			am_lint_add_finding(ls, "error", "transaction_control", NULL,
						psprintf("%s cannot run inside a migration", CreateCommandName(n)),
						pstrdup("Each migration runs in its own transaction: remove transaction control."),
						-1);
			break;
		case T_VariableSetStmt:
			follow_search_path(ls, (VariableSetStmt *) n);
			break;
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) n;
				ListCell   *lc;

				lint_create_table(ls, cs);
				remember_created_table(ls, cs);
				foreach(lc, cs->tableElts)
					fks = am_lint_foreign_keys_of(ls, fks, cs->relation, lfirst(lc));
				break;
			}
		case T_AlterTableStmt:
			if (((AlterTableStmt *) n)->objtype == OBJECT_TABLE)
				fks = am_lint_alter_table(ls, (AlterTableStmt *) n, fks);
			break;
		case T_CreatePolicyStmt:
			{
				CreatePolicyStmt *cp = (CreatePolicyStmt *) n;

				lint_policy(ls, cp->table, cp->policy_name, cp->cmd_name, cp->qual, cp->with_check);
				break;
			}
		case T_AlterPolicyStmt:
			{
				AlterPolicyStmt *ap = (AlterPolicyStmt *) n;

				lint_policy(ls, ap->table, ap->policy_name, NULL, ap->qual, ap->with_check);
				break;
			}
		case T_CreateFunctionStmt:
			lint_function(ls, ((CreateFunctionStmt *) n)->funcname,
						  ((CreateFunctionStmt *) n)->options, false);
			lint_plpgsql_unchecked(ls, ((CreateFunctionStmt *) n)->options);
			break;
		case T_GrantStmt:
			lint_grant(ls, (GrantStmt *) n, false);
			break;
		case T_AlterDefaultPrivilegesStmt:
			lint_grant(ls, ((AlterDefaultPrivilegesStmt *) n)->action, true);
			break;
		case T_IndexStmt:
			am_lint_index(ls, (IndexStmt *) n);
			break;
		case T_DropStmt:
			am_lint_drop(ls, (DropStmt *) n);
			break;
		case T_ReindexStmt:
			if (!am_stmt_needs_top_level(n))
				am_lint_add_finding(ls, "warning", "index_blocks_writes", NULL,
							pstrdup("REINDEX without CONCURRENTLY blocks writes to the table while it rebuilds"),
							pstrdup("Use REINDEX ... CONCURRENTLY in a migration marked \"-- aura:no-transaction\"."),
							-1);
			break;
		case T_RenameStmt:
			am_lint_rename(ls, (RenameStmt *) n);
			break;
		case T_AlterDomainStmt:
			if (((AlterDomainStmt *) n)->subtype == 'C' &&
				!((Constraint *) ((AlterDomainStmt *) n)->def)->skip_validation)
				am_lint_add_finding(ls, "warning", "domain_constraint", NULL,
							pstrdup("a constraint added to a domain is checked against every column of that domain, under locks"),
							pstrdup("Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration."),
							-1);
			break;
		case T_TruncateStmt:
			if (((TruncateStmt *) n)->behavior == DROP_CASCADE)
				am_lint_add_finding(ls, "warning", "truncate_cascade", NULL,
							pstrdup("TRUNCATE ... CASCADE also empties every table that references these, transitively"),
							pstrdup("Name every table to empty, without CASCADE."),
							-1);
			break;
		case T_DropdbStmt:
			am_lint_add_finding(ls, "error", "drop_database", NULL,
						psprintf("DROP DATABASE %s in a migration", quote_identifier(((DropdbStmt *) n)->dbname)),
						pstrdup("A migration changes a database; dropping one is not a migration."),
						-1);
			break;
		case T_ClusterStmt:
			am_lint_add_finding(ls, "warning", "table_rewrite_lock", NULL,
						pstrdup("CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"),
						pstrdup("Run it in a maintenance window, not as a migration; or use pg_repack."),
						-1);
			break;
		case T_VacuumStmt:
			if (am_lint_vacuum_full((VacuumStmt *) n))
				am_lint_add_finding(ls, "warning", "table_rewrite_lock", NULL,
							pstrdup("VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock"),
							pstrdup("Run it in a maintenance window, not as a migration; or use pg_repack."),
							-1);
			break;
		default:
			break;
	}
	return fks;
}

/*
 * lint_created_tables
 *		What can only be judged of a created table once the whole migration
 *		is read: row level security enabled, a primary key.
 */
static void
lint_created_tables(LintState *ls)
{
	ListCell   *lc;

	foreach(lc, ls->created_tables)
	{
		CreatedTable *ct = lfirst(lc);

		ls->cur = ct->stmtidx;
		if (ct->checked && !am_lint_nameset_has(ls->rls_enabled, ct->key))
			am_lint_add_finding(ls, "error", "table_without_rls", pstrdup(ct->quoted),
						pstrdup("table is created without row level security"),
						psprintf("Add ALTER TABLE %s ENABLE ROW LEVEL SECURITY to the same migration, and policies for the roles that need it.",
								 ct->quoted),
						-1);
		if (ct->needs_pkey && !am_lint_nameset_has(ls->with_pkey, ct->key))
			am_lint_add_finding(ls, "warning", "table_without_primary_key", pstrdup(ct->quoted),
						pstrdup("table has no primary key"),
						pstrdup("Give every table a primary key (a uuid DEFAULT gen_random_uuid(), say): replication, sync and updates by key need one."),
						-1);
	}
}

/*
 * The parts lint() reads a long text in: parse trees are kept for one part
 * at a time, so memory stays bounded whatever the text's length.
 */
#define LINT_PART_BYTES (16 * 1024)

/*
 * lint_part
 *		Read the statements of one parsed part: statements [skip_first,
 *		nstmts - skip_last) of it.  They are added to ls->stmts with their
 *		positions; their trees are read here and not kept.
 */
static List *
lint_part(LintState *ls, AmParsed *part, int skip_first, int skip_last, List *fks)
{
	int			i;

	ls->base = part->base;
	for (i = skip_first; i < part->nstmts - skip_last; i++)
	{
		AmStatement *st;

		if (ls->nstmts == ls->maxstmts)
		{
			ls->maxstmts = Max(ls->maxstmts * 2, 64);
			ls->stmts = ls->stmts ?
				repalloc(ls->stmts, sizeof(AmStatement) * ls->maxstmts) :
				MemoryContextAlloc(ls->cxt, sizeof(AmStatement) * ls->maxstmts);
		}
		st = &ls->stmts[ls->nstmts];
		*st = part->stmts[i];
		ls->cur = ls->nstmts++;
		fks = lint_statement(ls, st->raw->stmt, fks);
		/* the tree and the text go with the part */
		st->raw = NULL;
		st->text = NULL;
	}
	return fks;
}

/*
 * lint_in_parts
 *		Lint a long text part by part (am_sql_cut_points() cuts it), each
 *		part parsed in a context reset after it is read.  A BEGIN ... COMMIT
 *		wrapper around the whole text is dropped as am_parse_sql() drops it.
 *		Returns false, having read nothing that counts, when a part does not
 *		parse on its own: the caller lints the text whole, which also
 *		describes a syntax error.
 */
static bool
lint_in_parts(LintState *ls, List *cuts, List **fks)
{
	MemoryContext partcxt;
	MemoryContext oldcxt = CurrentMemoryContext;
	AmParsed   *part;
	int			nparts = list_length(cuts);
	int			from;
	int			line;
	bool		wrapped = false;
	bool		ends_commit;
	int			i;

	partcxt = AllocSetContextCreate(CurrentMemoryContext, "aura_migrate lint part",
									ALLOCSET_DEFAULT_SIZES);

	/* does the text end with a plain COMMIT?  (the last part, read first) */
	MemoryContextSwitchTo(partcxt);
	part = am_parse_sql_part(ls->sql, list_nth_int(cuts, nparts - 2),
							 list_nth_int(cuts, nparts - 1), 1);
	MemoryContextSwitchTo(oldcxt);
	if (part->failed || part->nstmts == 0)
	{
		MemoryContextDelete(partcxt);
		ereport(DEBUG1,
				(errmsg_internal("lint() reads the text whole: part %d of %d does not parse on its own",
								 nparts, nparts)));
		return false;
	}
	ends_commit = am_is_plain_commit(part->stmts[part->nstmts - 1].raw->stmt);
	MemoryContextReset(partcxt);

	from = 0;
	line = 1;
	for (i = 0; i < nparts; i++)
	{
		int			to = list_nth_int(cuts, i);
		int			skip_first = 0;
		int			skip_last = 0;

		MemoryContextSwitchTo(partcxt);
		part = am_parse_sql_part(ls->sql, from, to, line);
		MemoryContextSwitchTo(oldcxt);
		if (part->failed || (i == 0 && part->nstmts == 0))
		{
			MemoryContextDelete(partcxt);
			ereport(DEBUG1,
					(errmsg_internal("lint() reads the text whole: part %d of %d does not parse on its own",
									 i + 1, nparts)));
			return false;
		}
		if (i == 0 && ends_commit && am_is_plain_begin(part->stmts[0].raw->stmt))
		{
			wrapped = true;
			skip_first = 1;
			ls->findings = lappend(ls->findings, wrapper_finding(part->stmts[0].line));
		}
		if (i == nparts - 1 && wrapped)
			skip_last = 1;
		/* the statements' own allocations are scratch, reset with the part */
		MemoryContextSwitchTo(partcxt);
		*fks = lint_part(ls, part, skip_first, skip_last, *fks);
		MemoryContextSwitchTo(oldcxt);
		for (; from < to; from++)
			if (ls->sql[from] == '\n')
				line++;
		MemoryContextReset(partcxt);
	}
	MemoryContextDelete(partcxt);
	ereport(DEBUG1,
			(errmsg_internal("lint() read %d bytes in %d parts", from, nparts)));
	return true;
}

/*
 * lint_begin
 *		A fresh LintState for sql.
 */
static void
lint_begin(LintState *ls, const char *sql, List *schemas)
{
	memset(ls, 0, sizeof(*ls));
	ls->cxt = CurrentMemoryContext;
	am_lint_set_default_schema("public");
	ls->sql = sql;
	ls->schemas = schemas;
	ls->no_transaction = -1;
	ls->zk_roles = am_zero_knowledge_roles();
	ls->encrypted = am_encrypted_rules();
	ls->created = am_lint_nameset_create("aura_migrate lint created");
	ls->rls_enabled = am_lint_nameset_create("aura_migrate lint rls");
	ls->with_pkey = am_lint_nameset_create("aura_migrate lint pkey");
	ls->indexed = am_lint_nameset_create("aura_migrate lint indexed");
	ls->not_valid = am_lint_nameset_create("aura_migrate lint not valid");
}

/*
 * am_lint_sql
 *		Lint one migration.  Returns a List of AmFinding, allocated in
 *		CurrentMemoryContext, in line order.  schemas are the checked
 *		schemas.
 *
 * A text longer than a part is read part by part; when a part does not
 * parse on its own, or the text is short, it is parsed whole.
 */
List *
am_lint_sql(const char *sql, List *schemas)
{
	LintState	ls;
	List	   *fks = NIL;
	List	   *cuts;
	AmParsed   *parsed;

	lint_begin(&ls, sql, schemas);
	cuts = strlen(sql) > LINT_PART_BYTES ? am_sql_cut_points(sql, LINT_PART_BYTES) : NIL;
	if (list_length(cuts) < 2 || !lint_in_parts(&ls, cuts, &fks))
	{
		/* whole: what was read in parts, if anything, is forgotten */
		lint_begin(&ls, sql, schemas);
		fks = NIL;
		parsed = am_parse_sql(sql);
		if (parsed->failed)
			return syntax_finding(parsed);
		if (parsed->wrapped)
			ls.findings = lappend(ls.findings, wrapper_finding(parsed->wrapper_line));
		fks = lint_part(&ls, parsed, 0, 0, fks);
	}
	lint_created_tables(&ls);
	am_lint_foreign_keys(&ls, fks);
	am_lint_set_default_schema("public");

	list_sort(ls.findings, finding_cmp);
	return ls.findings;
}

/*
 * am_finding_values
 *		One finding as the columns of aura_migrate.finding.
 */
void
am_finding_values(AmFinding *f, Datum *values, bool *nulls)
{
	memset(nulls, 0, sizeof(bool) * AM_FINDING_NATTS);
	values[0] = CStringGetTextDatum(f->severity);
	values[1] = CStringGetTextDatum(f->code);
	if (f->object)
		values[2] = CStringGetTextDatum(f->object);
	else
		nulls[2] = true;
	values[3] = CStringGetTextDatum(f->message ? f->message : "");
	if (f->hint)
		values[4] = CStringGetTextDatum(f->hint);
	else
		nulls[4] = true;
	values[5] = Int32GetDatum(f->line);
	nulls[5] = f->line <= 0;
	values[6] = Int32GetDatum(f->col);
	nulls[6] = f->col <= 0;
	values[7] = BoolGetDatum(f->allowed);
}

/*
 * aura_migrate_lint
 *		SQL: aura_migrate.lint(sql text, schemas name[] DEFAULT '{public}')
 *			 RETURNS SETOF aura_migrate.finding
 *
 * Parses the migration (nothing executes) and returns its findings in
 * order of appearance.  Executable by anyone: it reads only its argument.
 */
Datum
aura_migrate_lint(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *sqlt;
	char	   *sql;
	List	   *schemas = NIL;
	List	   *findings;
	MemoryContext lintcxt;
	MemoryContext oldcxt;
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sql must not be null")));
	InitMaterializedSRF(fcinfo, 0);

	sqlt = PG_GETARG_TEXT_PP(0);
	sql = text_to_cstring(sqlt);
	if (strlen(sql) > (size_t) am_max_sql_size_kb * 1024 * 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("SQL to lint is too large"),
				 errdetail("It has %zu bytes; the limit is four times aura_migrate.max_sql_size.",
						   strlen(sql))));

	{
		/* NULL: the checked schemas, as at registration */
		ArrayType  *arr = PG_ARGISNULL(1) ?
			DatumGetArrayTypeP(am_checked_schemas_array()) : PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *enulls;
		int			n,
					i;

		deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
						  &elems, &enulls, &n);
		for (i = 0; i < n; i++)
			if (!enulls[i])
				schemas = lappend(schemas, pstrdup(NameStr(*DatumGetName(elems[i]))));
	}

	/* the parse trees are large: keep them in a context of their own */
	lintcxt = AllocSetContextCreate(CurrentMemoryContext, "aura_migrate lint",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(lintcxt);
	findings = am_lint_sql(sql, schemas);
	MemoryContextSwitchTo(oldcxt);

	foreach(lc, findings)
	{
		Datum		values[AM_FINDING_NATTS];
		bool		nulls[AM_FINDING_NATTS];

		am_finding_values((AmFinding *) lfirst(lc), values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(lintcxt);
	return (Datum) 0;
}
