/*-------------------------------------------------------------------------
 *
 * rls_expr.c
 *	  check_rls(): reading policy expressions as node trees.
 *
 * pg_policy.polqual and polwithcheck are stored node trees; rls.c turns
 * them back into nodes with stringToNode() and the functions here walk
 * them: does a predicate pin an owner column to auth.uid(), or scope the
 * row to the caller through a membership (am_rls_scope()), is it always
 * true, does it call the auth functions once per row, does it read
 * user_metadata from the JWT, which owner columns does it use.  Nothing
 * here looks at the text of an expression; a function a policy calls is
 * read from its parse tree when it is SQL, and only named when it is not.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_expr.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "parser/parser.h"

#include "rls.h"

static bool query_pins_uid(AmRlsAuthFuncs *fns, Query *q);
static bool node_pins_uid(AmRlsAuthFuncs *fns, Node *n);
static bool sublink_walker(Node *node, void *context);

/*
 * oid_in
 *		Whether oid is in an Oid list.
 */
static bool
oid_in(List *l, Oid oid)
{
	return list_member_oid(l, oid);
}

/*
 * strip
 *		Look through casts, relabels and collations.
 */
static Node *
strip(Node *n)
{
	for (;;)
	{
		if (n == NULL)
			return NULL;
		if (IsA(n, RelabelType))
			n = (Node *) ((RelabelType *) n)->arg;
		else if (IsA(n, CoerceViaIO))
			n = (Node *) ((CoerceViaIO *) n)->arg;
		else if (IsA(n, CollateExpr))
			n = (Node *) ((CollateExpr *) n)->arg;
		else if (IsA(n, FuncExpr) &&
				 (((FuncExpr *) n)->funcformat == COERCE_EXPLICIT_CAST ||
				  ((FuncExpr *) n)->funcformat == COERCE_IMPLICIT_CAST) &&
				 ((FuncExpr *) n)->args != NIL)
			n = (Node *) linitial(((FuncExpr *) n)->args);
		else
			return n;
	}
}

/*
 * is_simple_select
 *		A sub-query without FROM, such as (select auth.uid()): the planner
 *		runs it once per statement.
 */
static bool
is_simple_select(Node *n)
{
	Query	   *q;

	if (n == NULL || !IsA(n, Query))
		return false;
	q = (Query *) n;
	return q->commandType == CMD_SELECT && q->setOperations == NULL &&
		(q->jointree == NULL || q->jointree->fromlist == NIL) &&
		q->targetList != NIL;
}

/*
 * const_is_text
 *		Whether n is a non-null text constant equal to s, or a text array
 *		constant or ARRAY[...] with an element equal to s.
 */
static bool
const_mentions(Node *n, const char *s)
{
	n = strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, Const) && !((Const *) n)->constisnull)
	{
		Const	   *c = (Const *) n;

		if (c->consttype == TEXTOID)
			return strcmp(TextDatumGetCString(c->constvalue), s) == 0;
		if (c->consttype == TEXTARRAYOID)
		{
			Datum	   *elems;
			bool	   *enulls;
			int			nelems;
			int			i;

			deconstruct_array(DatumGetArrayTypeP(c->constvalue), TEXTOID, -1,
							  false, TYPALIGN_INT, &elems, &enulls, &nelems);
			for (i = 0; i < nelems; i++)
				if (!enulls[i] && strcmp(TextDatumGetCString(elems[i]), s) == 0)
					return true;
		}
		return false;
	}
	if (IsA(n, ArrayExpr))
	{
		ListCell   *lc;

		foreach(lc, ((ArrayExpr *) n)->elements)
			if (const_mentions((Node *) lfirst(lc), s))
				return true;
	}
	return false;
}

/*
 * mentions_user_metadata
 *		Whether any argument names user_metadata (or GoTrue's
 *		raw_user_meta_data) as a JSON key.
 */
static bool
mentions_user_metadata(List *args)
{
	ListCell   *lc;

	foreach(lc, args)
		if (const_mentions((Node *) lfirst(lc), "user_metadata") ||
			const_mentions((Node *) lfirst(lc), "raw_user_meta_data"))
			return true;
	return false;
}

/*
 * is_uid_expr
 *		auth.uid(), (select auth.uid()), or the JWT's sub claim, through
 *		casts.
 */
static bool
is_uid_expr(AmRlsAuthFuncs *fns, Node *n)
{
	n = strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, FuncExpr))
		return oid_in(fns->uid, ((FuncExpr *) n)->funcid);
	if (IsA(n, SubLink) && ((SubLink *) n)->subLinkType == EXPR_SUBLINK &&
		is_simple_select(((SubLink *) n)->subselect))
	{
		Query	   *q = (Query *) ((SubLink *) n)->subselect;

		return is_uid_expr(fns, (Node *) ((TargetEntry *) linitial(q->targetList))->expr);
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		Node	   *l = strip(linitial(op->args));
		char	   *opname = get_opname(op->opno);

		if (opname && strcmp(opname, "->>") == 0 &&
			const_mentions(lsecond(op->args), "sub"))
		{
			if (l && IsA(l, FuncExpr) && oid_in(fns->jwt, ((FuncExpr *) l)->funcid))
				return true;
			if (l && IsA(l, SubLink) && ((SubLink *) l)->subLinkType == EXPR_SUBLINK &&
				is_simple_select(((SubLink *) l)->subselect))
			{
				Query	   *q = (Query *) ((SubLink *) l)->subselect;
				Node	   *inner = strip((Node *) ((TargetEntry *) linitial(q->targetList))->expr);

				return inner && IsA(inner, FuncExpr) &&
					oid_in(fns->jwt, ((FuncExpr *) inner)->funcid);
			}
		}
	}
	return false;
}

/*
 * is_owner_var
 *		A column of the policy's own table that is an owner column.
 */
static bool
is_owner_var(AmRlsTableInfo *t, Node *n)
{
	Var		   *v;
	int			i;

	n = strip(n);
	if (n == NULL || !IsA(n, Var))
		return false;
	v = (Var *) n;
	if (v->varno != 1 || v->varlevelsup != 0)
		return false;
	for (i = 0; i < t->nowner; i++)
		if (t->owner_attnums[i] == v->varattno)
			return true;
	return false;
}

/*
 * am_rls_constrains_owner
 *		Whether a boolean expression can only be true for rows whose owner
 *		column equals auth.uid(): an owner = uid comparison, an AND with one
 *		such argument, or an OR whose every argument is one.
 */
bool
am_rls_constrains_owner(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *n)
{
	ListCell   *lc;

	if (n == NULL)
		return false;
	if (IsA(n, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) n;

		if (b->boolop == AND_EXPR)
		{
			foreach(lc, b->args)
				if (am_rls_constrains_owner(fns, t, lfirst(lc)))
					return true;
			return false;
		}
		if (b->boolop == OR_EXPR)
		{
			foreach(lc, b->args)
				if (!am_rls_constrains_owner(fns, t, lfirst(lc)))
					return false;
			return b->args != NIL;
		}
		return false;
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		char	   *opname = get_opname(op->opno);
		Node	   *l = linitial(op->args);
		Node	   *r = lsecond(op->args);

		if (opname == NULL || strcmp(opname, "=") != 0)
			return false;
		return (is_owner_var(t, l) && is_uid_expr(fns, r)) ||
			(is_uid_expr(fns, l) && is_owner_var(t, r));
	}
	return false;
}

/*
 * am_rls_uid_columns
 *		Add to *cols the columns of the policy's own table that a boolean
 *		expression compares with auth.uid() (col = auth.uid(), either side,
 *		through ANDs and ORs): a policy that does so says which column holds
 *		the row's owner, whatever its name.
 */
void
am_rls_uid_columns(AmRlsAuthFuncs *fns, Node *n, Bitmapset **cols)
{
	ListCell   *lc;

	if (n == NULL)
		return;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop != NOT_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			am_rls_uid_columns(fns, lfirst(lc), cols);
		return;
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		char	   *opname = get_opname(op->opno);
		Node	   *l = strip(linitial(op->args));
		Node	   *r = strip(lsecond(op->args));
		Node	   *var = NULL;

		if (opname == NULL || strcmp(opname, "=") != 0)
			return;
		if (l && IsA(l, Var) && is_uid_expr(fns, r))
			var = l;
		else if (r && IsA(r, Var) && is_uid_expr(fns, l))
			var = r;
		if (var && ((Var *) var)->varno == 1 && ((Var *) var)->varlevelsup == 0 &&
			((Var *) var)->varattno > 0)
			*cols = bms_add_member(*cols, ((Var *) var)->varattno);
	}
}

/* an owner column of t read through range table entry varno, at level 0 */
static bool
is_owner_var_at(AmRlsTableInfo *t, Node *n, int varno)
{
	Var		   *v;
	int			i;

	n = strip(n);
	if (n == NULL || !IsA(n, Var))
		return false;
	v = (Var *) n;
	if ((int) v->varno != varno || v->varlevelsup != 0)
		return false;
	for (i = 0; i < t->nowner; i++)
		if (t->owner_attnums[i] == v->varattno)
			return true;
	return false;
}

/* whether a condition holds only for rows whose owner column is the caller */
static bool
owner_filter_at(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *n, int varno)
{
	ListCell   *lc;

	n = strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == AND_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (owner_filter_at(fns, t, lfirst(lc), varno))
				return true;
		return false;
	}
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == OR_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (!owner_filter_at(fns, t, lfirst(lc), varno))
				return false;
		return ((BoolExpr *) n)->args != NIL;
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		char	   *opname = get_opname(op->opno);

		if (opname == NULL || strcmp(opname, "=") != 0)
			return false;
		return (is_owner_var_at(t, linitial(op->args), varno) &&
				is_uid_expr(fns, lsecond(op->args))) ||
			(is_uid_expr(fns, linitial(op->args)) &&
			 is_owner_var_at(t, lsecond(op->args), varno));
	}
	return false;
}

/* the quals of a join tree, JOIN ... ON conditions included, ANDed */
static void
collect_quals(Node *n, List **quals)
{
	ListCell   *lc;

	if (n == NULL)
		return;
	if (IsA(n, FromExpr))
	{
		foreach(lc, ((FromExpr *) n)->fromlist)
			collect_quals(lfirst(lc), quals);
		if (((FromExpr *) n)->quals)
			*quals = lappend(*quals, ((FromExpr *) n)->quals);
	}
	else if (IsA(n, JoinExpr))
	{
		collect_quals(((JoinExpr *) n)->larg, quals);
		collect_quals(((JoinExpr *) n)->rarg, quals);
		/* an outer join's ON does not remove rows of its preserved side */
		if (((JoinExpr *) n)->quals && ((JoinExpr *) n)->jointype == JOIN_INNER)
			*quals = lappend(*quals, ((JoinExpr *) n)->quals);
	}
}

/*
 * am_rls_always_true
 *		A constant true, or an OR with such an argument, or an AND of them.
 */
bool
am_rls_always_true(Node *n)
{
	ListCell   *lc;

	if (n == NULL)
		return false;
	if (IsA(n, Const))
		return ((Const *) n)->consttype == BOOLOID && !((Const *) n)->constisnull &&
			DatumGetBool(((Const *) n)->constvalue);
	if (IsA(n, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) n;

		if (b->boolop == OR_EXPR)
		{
			foreach(lc, b->args)
				if (am_rls_always_true(lfirst(lc)))
					return true;
			return false;
		}
		if (b->boolop == AND_EXPR)
		{
			foreach(lc, b->args)
				if (!am_rls_always_true(lfirst(lc)))
					return false;
			return true;
		}
	}
	return false;
}

/*
 * am_rls_policy_walker
 *		Walk one policy expression: note per-row calls of the auth functions
 *		and current_setting(), reads of user_metadata, and the owner columns
 *		of the policy's table it references (at any sub-query depth).
 */
bool
am_rls_policy_walker(Node *node, AmRlsWalkState *w)
{
	if (node == NULL)
		return false;

	if (IsA(node, Var))
	{
		Var		   *v = (Var *) node;
		int			i;

		if (v->varno == 1 && v->varlevelsup == w->depth)
			for (i = 0; i < w->table->nowner; i++)
				if (w->table->owner_attnums[i] == v->varattno)
					w->table->used_owner = bms_add_member(w->table->used_owner,
														  v->varattno);
		return false;
	}
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;

		if (w->wrapped == 0 && w->per_row_fn == NULL)
		{
			if (oid_in(w->fns->uid, f->funcid))
				w->per_row_fn = "auth.uid()";
			else if (oid_in(w->fns->jwt, f->funcid))
				w->per_row_fn = "auth.jwt()";
			else if (oid_in(w->fns->role, f->funcid))
				w->per_row_fn = "auth.role()";
			else if (f->funcid == F_CURRENT_SETTING_TEXT ||
					 f->funcid == F_CURRENT_SETTING_TEXT_BOOL)
				w->per_row_fn = "current_setting()";
		}
		if (!w->user_metadata && f->args != NIL &&
			f->funcformat == COERCE_EXPLICIT_CALL)
		{
			char	   *fname = get_func_name(f->funcid);

			if (fname && strstr(fname, "_extract_path") != NULL &&
				mentions_user_metadata(f->args))
				w->user_metadata = true;
		}
	}
	else if (IsA(node, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) node;

		if (!w->user_metadata && list_length(op->args) == 2)
		{
			char	   *opname = get_opname(op->opno);

			if (opname && (strcmp(opname, "->") == 0 || strcmp(opname, "->>") == 0 ||
						   strcmp(opname, "#>") == 0 || strcmp(opname, "#>>") == 0) &&
				mentions_user_metadata(list_make1(lsecond(op->args))))
				w->user_metadata = true;
		}
	}
	else if (IsA(node, SubLink))
	{
		SubLink    *s = (SubLink *) node;

		if (s->subLinkType == EXPR_SUBLINK && is_simple_select(s->subselect))
		{
			bool		r;

			w->wrapped++;
			r = am_rls_policy_walker(s->subselect, w);
			w->wrapped--;
			return r || am_rls_policy_walker(s->testexpr, w);
		}
	}
	else if (IsA(node, Query))
	{
		bool		r;

		w->depth++;
		r = query_tree_walker((Query *) node, am_rls_policy_walker, (void *) w, 0);
		w->depth--;
		return r;
	}
	return expression_tree_walker(node, am_rls_policy_walker, (void *) w);
}

/* ------------------------------------------------------------------------
 * Scope: rows tied to the caller through a membership
 * ------------------------------------------------------------------------ */

/*
 * function_scope
 *		Whether function fn ties what it returns to the caller: a SQL
 *		function whose body (parsed, never run) compares something with
 *		auth.uid() is AM_SCOPE_VERIFIED; any other function whose source
 *		names auth.uid() is AM_SCOPE_UNVERIFIED (PL/pgSQL is not read).
 */
static AmRlsScope
function_scope(AmRlsAuthFuncs *fns, Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	bool		isnull;
	bool		is_sql;
	Datum		d;
	char	   *src;
	AmRlsScope	scope = AM_SCOPE_NONE;

	if (!HeapTupleIsValid(tup))
		return AM_SCOPE_NONE;
	is_sql = ((Form_pg_proc) GETSTRUCT(tup))->prolang == SQLlanguageId;
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
	src = isnull ? pstrdup("") : TextDatumGetCString(d);
	ReleaseSysCache(tup);
	if (is_sql)
	{
		ListCell   *lc;

		/* analysed as its owner, restricted, rolled back (rls_objects.c) */
		foreach(lc, am_rls_sql_body_queries(fn))
			if (node_pins_uid(fns, lfirst(lc)))
				scope = AM_SCOPE_VERIFIED;
	}
	else if (strstr(src, "auth.uid()") != NULL || strstr(src, "auth.uid ()") != NULL)
		scope = AM_SCOPE_UNVERIFIED;
	return scope;
}

/* what a walk for the table's own columns looks for */
typedef struct RowRefWalk
{
	int			levelsup;		/* the policy table's Vars at this depth */
	int			depth;
	bool		found;
	int			varno;			/* the table's range table entry */
} RowRefWalk;

static bool
row_ref_walker(Node *node, RowRefWalk *w)
{
	if (node == NULL || w->found)
		return w->found;
	if (IsA(node, Var) && (int) ((Var *) node)->varno == w->varno &&
		(int) ((Var *) node)->varlevelsup == w->levelsup + w->depth)
	{
		w->found = true;
		return true;
	}
	if (IsA(node, Query))
	{
		bool		r;

		w->depth++;
		r = query_tree_walker((Query *) node, row_ref_walker, (void *) w, 0);
		w->depth--;
		return r;
	}
	return expression_tree_walker(node, row_ref_walker, (void *) w);
}

/* whether n (at the policy's own level) uses a column of the policy's table */
static bool
refers_to_row(Node *n)
{
	RowRefWalk	w = {0, 0, false, 1};

	(void) row_ref_walker(n, &w);
	return w.found;
}

/* whether n (at a query's own level) uses a column of range table entry varno */
static bool
refers_to_rte(Node *n, int varno)
{
	RowRefWalk	w = {0, 0, false, varno};

	(void) row_ref_walker(n, &w);
	return w.found;
}

/*
 * better
 *		The stronger of two scopes.
 */
static AmRlsScope
better(AmRlsScope a, AmRlsScope b)
{
	return a > b ? a : b;
}

/*
 * functions_scope
 *		The best scope of the functions called in n (not in its subqueries'
 *		own function calls' arguments: every FuncExpr met).  *fn names the
 *		function of an unverified scope.
 */
typedef struct FnWalk
{
	AmRlsAuthFuncs *fns;
	AmRlsScope	scope;
	Oid			unverified;
} FnWalk;

static bool
fn_scope_walker(Node *node, FnWalk *w)
{
	if (node == NULL)
		return false;
	/* auth.uid(), auth.jwt() and auth.role() are no memberships: not analysed */
	if (IsA(node, FuncExpr) && !oid_in(w->fns->uid, ((FuncExpr *) node)->funcid) &&
		!oid_in(w->fns->jwt, ((FuncExpr *) node)->funcid) &&
		!oid_in(w->fns->role, ((FuncExpr *) node)->funcid))
	{
		AmRlsScope	s = function_scope(w->fns, ((FuncExpr *) node)->funcid);

		if (s == AM_SCOPE_UNVERIFIED && w->scope < AM_SCOPE_UNVERIFIED)
			w->unverified = ((FuncExpr *) node)->funcid;
		w->scope = better(w->scope, s);
	}
	if (IsA(node, RangeTblFunction))
		return fn_scope_walker(((RangeTblFunction *) node)->funcexpr, w);
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, fn_scope_walker, (void *) w,
								 QTW_EXAMINE_RTES_BEFORE);
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_FUNCTION)
			return expression_tree_walker((Node *) rte->functions, fn_scope_walker, (void *) w);
		return false;
	}
	return expression_tree_walker(node, fn_scope_walker, (void *) w);
}


/*
 * conj_pins_uid
 *		Whether a condition holds only where something equals auth.uid():
 *		an "x = auth.uid()" comparison, an AND with such an argument, an OR
 *		whose every argument is one, or a subquery (EXISTS, IN, a scalar
 *		one) whose own conditions are.  "m.user_id = auth.uid() OR m.role =
 *		'admin'" is not: any admin passes.
 */
static bool
conj_pins_uid(AmRlsAuthFuncs *fns, Node *n)
{
	ListCell   *lc;

	n = strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == AND_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (conj_pins_uid(fns, lfirst(lc)))
				return true;
		return false;
	}
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == OR_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (!conj_pins_uid(fns, lfirst(lc)))
				return false;
		return ((BoolExpr *) n)->args != NIL;
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		char	   *opname = get_opname(op->opno);

		if (opname != NULL && strcmp(opname, "=") == 0 &&
			(is_uid_expr(fns, linitial(op->args)) || is_uid_expr(fns, lsecond(op->args))))
			return true;
		/* col IN (SELECT ...) as an = of a scalar subquery */
		return (IsA(strip(linitial(op->args)), SubLink) &&
				conj_pins_uid(fns, linitial(op->args))) ||
			(IsA(strip(lsecond(op->args)), SubLink) &&
			 conj_pins_uid(fns, lsecond(op->args)));
	}
	if (IsA(n, SubLink) && ((SubLink *) n)->subselect && IsA(((SubLink *) n)->subselect, Query))
		return query_pins_uid(fns, (Query *) ((SubLink *) n)->subselect);
	return false;
}

/*
 * query_pins_uid
 *		Whether a query returns only rows where something equals auth.uid()
 *		(conj_pins_uid() of its conditions, JOIN ... ON of inner joins
 *		included), or only rows of a subquery in FROM that does.
 */
static bool
query_pins_uid(AmRlsAuthFuncs *fns, Query *q)
{
	List	   *quals = NIL;
	ListCell   *lc;

	collect_quals((Node *) q->jointree, &quals);
	foreach(lc, quals)
		if (conj_pins_uid(fns, lfirst(lc)))
			return true;
	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);

		if (rte->rtekind == RTE_SUBQUERY && rte->subquery &&
			query_pins_uid(fns, rte->subquery))
			return true;
	}
	return false;
}

/*
 * node_pins_uid
 *		For a SQL function's analysed body (a Query, or a list of them):
 *		whether what it returns is tied to auth.uid(): the rows it returns
 *		(query_pins_uid()), or the value it computes (a target expression
 *		that conj_pins_uid(), EXISTS (... = auth.uid())).
 */
static bool
node_pins_uid(AmRlsAuthFuncs *fns, Node *n)
{
	ListCell   *lc;

	if (n == NULL)
		return false;
	if (IsA(n, List))
	{
		foreach(lc, (List *) n)
			if (node_pins_uid(fns, lfirst(lc)))
				return true;
		return false;
	}
	if (!IsA(n, Query))
		return false;
	if (query_pins_uid(fns, (Query *) n))
		return true;
	foreach(lc, ((Query *) n)->targetList)
		if (conj_pins_uid(fns, (Node *) ((TargetEntry *) lfirst(lc))->expr))
			return true;
	return false;
}

/*
 * am_rls_scope
 *		Whether a policy expression ties the row to the caller through a
 *		membership rather than an owner column: a subquery over the row's
 *		columns (IN, = ANY, EXISTS, a scalar subquery) that compares
 *		something with auth.uid() or reads a function that does, or a
 *		function of the row's columns that does.  An AND is scoped by one
 *		scoped argument, an OR by all.  AM_SCOPE_UNVERIFIED when only a
 *		function not read (PL/pgSQL) ties it, named by *fn.
 */
AmRlsScope
am_rls_scope(AmRlsAuthFuncs *fns, Node *n, Oid *fn)
{
	ListCell   *lc;

	n = strip(n);
	if (n == NULL)
		return AM_SCOPE_NONE;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop != NOT_EXPR)
	{
		BoolExpr   *b = (BoolExpr *) n;
		AmRlsScope	acc = b->boolop == AND_EXPR ? AM_SCOPE_NONE : AM_SCOPE_VERIFIED;

		foreach(lc, b->args)
		{
			AmRlsScope	s = am_rls_scope(fns, lfirst(lc), fn);

			acc = b->boolop == AND_EXPR ? better(acc, s) : (s < acc ? s : acc);
		}
		return b->args == NIL ? AM_SCOPE_NONE : acc;
	}
	if (!refers_to_row(n))
		return AM_SCOPE_NONE;	/* the same for every row: no scope */
	{
		Bitmapset  *cols = NULL;

		/* col = (select auth.uid()) is an owner column, not a membership */
		am_rls_uid_columns(fns, n, &cols);
		if (cols != NULL)
			return AM_SCOPE_NONE;
	}
	if (sublink_walker(n, NULL) && conj_pins_uid(fns, n))
		return AM_SCOPE_VERIFIED;
	{
		FnWalk		w = {fns, AM_SCOPE_NONE, InvalidOid};

		(void) fn_scope_walker(n, &w);
		if (w.scope == AM_SCOPE_UNVERIFIED && fn)
			*fn = w.unverified;
		return w.scope;
	}
}

/* a subquery in n (not a function call: auth.uid() itself is one) */
static bool
sublink_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		return true;
	return expression_tree_walker(node, sublink_walker, context);
}

/*
 * pin_key
 *		What an equality can pin to auth.uid(): a column of the query's own
 *		level (range table entry * 10000 + attribute), or a parameter of the
 *		function (minus its number: WHERE user_id = p_user AND p_user =
 *		auth.uid()).
 */
static bool
pin_key(Node *n, int *key)
{
	n = strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, Var) && ((Var *) n)->varlevelsup == 0)
	{
		*key = ((Var *) n)->varno * 10000 + ((Var *) n)->varattno;
		return true;
	}
	if (IsA(n, Param) && ((Param *) n)->paramkind == PARAM_EXTERN)
	{
		*key = -((Param *) n)->paramid;
		return true;
	}
	return false;
}

/*
 * am_rls_filters_rows_of
 *		Whether a query keeps the rows it reads of range table entry varno
 *		(a per-user table t) to the caller's.  Its conditions (the join
 *		tree's, JOIN ... ON included) are read as a conjunction: a column
 *		pinned to auth.uid() (col = auth.uid()) pins every column an
 *		equality joins to it (p.user_id = d.user_id), and the rows are the
 *		caller's when an owner column of the entry is pinned, or an OR
 *		pins it in every branch, or a subquery about the row compares with
 *		auth.uid() (a membership).  A comparison with auth.uid() about
 *		something else (EXISTS over the caller's profile, an OR with an
 *		unfiltered branch) is not.
 */
bool
am_rls_filters_rows_of(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, FromExpr *jointree,
					   int varno)
{
	List	   *quals = NIL;
	List	   *conjuncts = NIL;
	List	   *pinned = NIL;	/* varno * 10000 + attno */
	ListCell   *lc;
	bool		grew = true;
	int			i;

	collect_quals((Node *) jointree, &quals);
	foreach(lc, quals)
	{
		Node	   *q = strip(lfirst(lc));

		if (q && IsA(q, BoolExpr) && ((BoolExpr *) q)->boolop == AND_EXPR)
			conjuncts = list_concat(conjuncts, ((BoolExpr *) q)->args);
		else if (q)
			conjuncts = lappend(conjuncts, q);
	}

	/* columns pinned to the caller, and what equalities join to them */
	while (grew)
	{
		grew = false;
		foreach(lc, conjuncts)
		{
			Node	   *c = strip(lfirst(lc));
			OpExpr	   *op;
			char	   *opname;
			int			lk, rk;
			bool		lvar, rvar;

			if (c == NULL || !IsA(c, OpExpr) || list_length(((OpExpr *) c)->args) != 2)
				continue;
			op = (OpExpr *) c;
			opname = get_opname(op->opno);
			if (opname == NULL || strcmp(opname, "=") != 0)
				continue;
			lvar = pin_key(linitial(op->args), &lk);
			rvar = pin_key(lsecond(op->args), &rk);
			if (lvar && is_uid_expr(fns, lsecond(op->args)) && !list_member_int(pinned, lk))
			{
				pinned = lappend_int(pinned, lk);
				grew = true;
			}
			if (rvar && is_uid_expr(fns, linitial(op->args)) && !list_member_int(pinned, rk))
			{
				pinned = lappend_int(pinned, rk);
				grew = true;
			}
			if (lvar && rvar)
			{
				bool		lp = list_member_int(pinned, lk);
				bool		rp = list_member_int(pinned, rk);

				if (lp && !rp)
				{
					pinned = lappend_int(pinned, rk);
					grew = true;
				}
				else if (rp && !lp)
				{
					pinned = lappend_int(pinned, lk);
					grew = true;
				}
			}
		}
	}
	for (i = 0; i < t->nowner; i++)
		if (list_member_int(pinned, varno * 10000 + t->owner_attnums[i]))
			return true;

	foreach(lc, conjuncts)
	{
		Node	   *c = lfirst(lc);

		if (owner_filter_at(fns, t, c, varno))
			return true;
		/* a membership: a subquery about this row that compares with the caller */
		if (!IsA(c, BoolExpr) && sublink_walker(c, NULL) && conj_pins_uid(fns, c) &&
			refers_to_rte(c, varno))
			return true;
	}
	return false;
}

/*
 * am_rls_is_uid
 *		auth.uid() (or (select auth.uid()), or the JWT's sub), through casts.
 */
bool
am_rls_is_uid(AmRlsAuthFuncs *fns, Node *n)
{
	return is_uid_expr(fns, n);
}

/* a call of auth.uid() anywhere in an analysed tree */
static bool
uid_call_walker(Node *node, AmRlsAuthFuncs *fns)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && oid_in(fns->uid, ((FuncExpr *) node)->funcid))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, uid_call_walker, (void *) fns, 0);
	return expression_tree_walker(node, uid_call_walker, (void *) fns);
}

/*
 * am_rls_mentions_uid
 *		Whether a policy expression calls auth.uid() at all: it means to
 *		tie rows to someone, rightly or not.
 */
bool
am_rls_mentions_uid(AmRlsAuthFuncs *fns, Node *n)
{
	return uid_call_walker(n, fns);
}
