/*-------------------------------------------------------------------------
 *
 * rls_expr.c
 *	  check_rls(): reading policy expressions as node trees.
 *
 * pg_policy.polqual and polwithcheck are stored node trees; rls_read.c
 * turns them back into nodes with stringToNode() and the functions here
 * walk them: does a predicate pin an owner column to auth.uid(), is it
 * always true, does it call the auth functions once per row, does it read
 * user_metadata from the JWT, which owner columns does it use (whether it
 * ties the row to the caller through a membership is rls_scope.c's).  Nothing
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


/*
 * am_rls_oid_in
 *		Whether oid is in an Oid list.
 */
bool
am_rls_oid_in(List *l, Oid oid)
{
	return list_member_oid(l, oid);
}

/*
 * am_rls_strip
 *		Look through casts, relabels and collations.
 */
Node *
am_rls_strip(Node *n)
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
	n = am_rls_strip(n);
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
 * am_rls_is_uid_expr
 *		auth.uid(), (select auth.uid()), or the JWT's sub claim, through
 *		casts.
 */
bool
am_rls_is_uid_expr(AmRlsAuthFuncs *fns, Node *n)
{
	n = am_rls_strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, FuncExpr))
		return am_rls_oid_in(fns->uid, ((FuncExpr *) n)->funcid);
	if (IsA(n, SubLink) && ((SubLink *) n)->subLinkType == EXPR_SUBLINK &&
		is_simple_select(((SubLink *) n)->subselect))
	{
		Query	   *q = (Query *) ((SubLink *) n)->subselect;

		return am_rls_is_uid_expr(fns, (Node *) ((TargetEntry *) linitial(q->targetList))->expr);
	}
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) n;
		Node	   *l = am_rls_strip(linitial(op->args));
		char	   *opname = get_opname(op->opno);

		if (opname && strcmp(opname, "->>") == 0 &&
			const_mentions(lsecond(op->args), "sub"))
		{
			if (l && IsA(l, FuncExpr) && am_rls_oid_in(fns->jwt, ((FuncExpr *) l)->funcid))
				return true;
			if (l && IsA(l, SubLink) && ((SubLink *) l)->subLinkType == EXPR_SUBLINK &&
				is_simple_select(((SubLink *) l)->subselect))
			{
				Query	   *q = (Query *) ((SubLink *) l)->subselect;
				Node	   *inner = am_rls_strip((Node *) ((TargetEntry *) linitial(q->targetList))->expr);

				return inner && IsA(inner, FuncExpr) &&
					am_rls_oid_in(fns->jwt, ((FuncExpr *) inner)->funcid);
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

	n = am_rls_strip(n);
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
		return (is_owner_var(t, l) && am_rls_is_uid_expr(fns, r)) ||
			(am_rls_is_uid_expr(fns, l) && is_owner_var(t, r));
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
		Node	   *l = am_rls_strip(linitial(op->args));
		Node	   *r = am_rls_strip(lsecond(op->args));
		Node	   *var = NULL;

		if (opname == NULL || strcmp(opname, "=") != 0)
			return;
		if (l && IsA(l, Var) && am_rls_is_uid_expr(fns, r))
			var = l;
		else if (r && IsA(r, Var) && am_rls_is_uid_expr(fns, l))
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

	n = am_rls_strip(n);
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
bool
am_rls_owner_filter_at(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *n, int varno)
{
	ListCell   *lc;

	n = am_rls_strip(n);
	if (n == NULL)
		return false;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == AND_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (am_rls_owner_filter_at(fns, t, lfirst(lc), varno))
				return true;
		return false;
	}
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == OR_EXPR)
	{
		foreach(lc, ((BoolExpr *) n)->args)
			if (!am_rls_owner_filter_at(fns, t, lfirst(lc), varno))
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
				am_rls_is_uid_expr(fns, lsecond(op->args))) ||
			(am_rls_is_uid_expr(fns, linitial(op->args)) &&
			 is_owner_var_at(t, lsecond(op->args), varno));
	}
	return false;
}

/* the quals of a join tree, JOIN ... ON conditions included, ANDed */
void
am_rls_collect_quals(Node *n, List **quals)
{
	ListCell   *lc;

	if (n == NULL)
		return;
	if (IsA(n, FromExpr))
	{
		foreach(lc, ((FromExpr *) n)->fromlist)
			am_rls_collect_quals(lfirst(lc), quals);
		if (((FromExpr *) n)->quals)
			*quals = lappend(*quals, ((FromExpr *) n)->quals);
	}
	else if (IsA(n, JoinExpr))
	{
		am_rls_collect_quals(((JoinExpr *) n)->larg, quals);
		am_rls_collect_quals(((JoinExpr *) n)->rarg, quals);
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
			if (am_rls_oid_in(w->fns->uid, f->funcid))
				w->per_row_fn = "auth.uid()";
			else if (am_rls_oid_in(w->fns->jwt, f->funcid))
				w->per_row_fn = "auth.jwt()";
			else if (am_rls_oid_in(w->fns->role, f->funcid))
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
 * am_rls_is_uid
 *		auth.uid() (or (select auth.uid()), or the JWT's sub), through casts.
 */
bool
am_rls_is_uid(AmRlsAuthFuncs *fns, Node *n)
{
	return am_rls_is_uid_expr(fns, n);
}

/* a call of auth.uid() anywhere in an analysed tree */
static bool
uid_call_walker(Node *node, AmRlsAuthFuncs *fns)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && am_rls_oid_in(fns->uid, ((FuncExpr *) node)->funcid))
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
