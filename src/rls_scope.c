/*-------------------------------------------------------------------------
 *
 * rls_scope.c
 *	  check_rls(): how a policy ties rows to the caller through a
 *	  membership (a team, an account), and whether a query filters the
 *	  rows of a table to the caller's.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_scope.c
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
	if (IsA(node, FuncExpr) && !am_rls_oid_in(w->fns->uid, ((FuncExpr *) node)->funcid) &&
		!am_rls_oid_in(w->fns->jwt, ((FuncExpr *) node)->funcid) &&
		!am_rls_oid_in(w->fns->role, ((FuncExpr *) node)->funcid))
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

	n = am_rls_strip(n);
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
			(am_rls_is_uid_expr(fns, linitial(op->args)) || am_rls_is_uid_expr(fns, lsecond(op->args))))
			return true;
		/* col IN (SELECT ...) as an = of a scalar subquery */
		return (IsA(am_rls_strip(linitial(op->args)), SubLink) &&
				conj_pins_uid(fns, linitial(op->args))) ||
			(IsA(am_rls_strip(lsecond(op->args)), SubLink) &&
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

	am_rls_collect_quals((Node *) q->jointree, &quals);
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

	n = am_rls_strip(n);
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
	n = am_rls_strip(n);
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

	am_rls_collect_quals((Node *) jointree, &quals);
	foreach(lc, quals)
	{
		Node	   *q = am_rls_strip(lfirst(lc));

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
			Node	   *c = am_rls_strip(lfirst(lc));
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
			if (lvar && am_rls_is_uid_expr(fns, lsecond(op->args)) && !list_member_int(pinned, lk))
			{
				pinned = lappend_int(pinned, lk);
				grew = true;
			}
			if (rvar && am_rls_is_uid_expr(fns, linitial(op->args)) && !list_member_int(pinned, rk))
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

		if (am_rls_owner_filter_at(fns, t, c, varno))
			return true;
		/* a membership: a subquery about this row that compares with the caller */
		if (!IsA(c, BoolExpr) && sublink_walker(c, NULL) && conj_pins_uid(fns, c) &&
			refers_to_rte(c, varno))
			return true;
	}
	return false;
}
