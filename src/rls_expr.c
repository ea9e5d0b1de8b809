/*-------------------------------------------------------------------------
 *
 * rls_expr.c
 *	  check_rls(): reading policy expressions as node trees.
 *
 * pg_policy.polqual and polwithcheck are stored node trees; rls.c turns
 * them back into nodes with stringToNode() and the functions here walk
 * them: does a predicate pin an owner column to auth.uid(), is it always
 * true, does it call the auth functions once per row, does it read
 * user_metadata from the JWT, which owner columns does it use.  Nothing
 * here looks at the text of an expression.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_expr.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "rls.h"

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
