/*-------------------------------------------------------------------------
 *
 * rls_owner.c
 *	  check_rls(): is each command restricted to the caller's own rows?
 *
 * For a table with an owner column (or a scope column reached through a
 * membership), every command authenticated may run must be tied to the
 * caller by its permissive policies (or by a restrictive one): the USING
 * of SELECT, UPDATE and DELETE, the WITH CHECK of INSERT and UPDATE.  One
 * owner_not_enforced finding per command that is not, naming the policies
 * that leave it open; and multiple_permissive_policies where several
 * permissive policies for one role and command are ORed together.  And
 * which SELECT policies declare rows public (USING true, or a flag of the
 * row), which the other checks read as a choice rather than a hole.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_owner.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "encrypted.h"
#include "settings.h"
#include "rls.h"

/* The commands a policy can be for, in report order. */
#define NCMDS 4
static const char cmd_chars[NCMDS] = {'r', 'a', 'w', 'd'};
static const char *const cmd_names[NCMDS] = {"SELECT", "INSERT", "UPDATE", "DELETE"};

/*
 * policy_applies
 *		Whether a policy applies to authenticated for command cmd.
 */
static bool
policy_applies(AmRlsPolicyInfo *p, char cmd)
{
	return p->to_auth && (p->cmd == '*' || p->cmd == cmd);
}

/*
 * policy_expr
 *		The expression a policy contributes to command cmd: USING (is_check
 *		false) or the new-row check (is_check true), which for UPDATE and ALL
 *		policies falls back to USING as PostgreSQL does.
 */
/*
 * am_rls_ties_to_caller
 *		Whether a policy expression limits rows to the caller's: by an owner
 *		column, or through a membership (a subquery or function that
 *		compares with auth.uid(): am_rls_scope()).
 */
bool
am_rls_ties_to_caller(AmRlsAuthFuncs *fns, AmRlsTableInfo *t, Node *e)
{
	ListCell   *lc;

	if (e == NULL)
		return false;
	/* owner OR membership (basejump's accounts), each branch on its own */
	if (IsA(e, BoolExpr) && ((BoolExpr *) e)->boolop == OR_EXPR)
	{
		foreach(lc, ((BoolExpr *) e)->args)
			if (!am_rls_ties_to_caller(fns, t, lfirst(lc)))
				return false;
		return ((BoolExpr *) e)->args != NIL;
	}
	if (IsA(e, BoolExpr) && ((BoolExpr *) e)->boolop == AND_EXPR)
	{
		foreach(lc, ((BoolExpr *) e)->args)
			if (am_rls_ties_to_caller(fns, t, lfirst(lc)))
				return true;
		return false;
	}
	/* auth.uid() = ANY (collaborators): the caller is listed on the row */
	if (IsA(e, ScalarArrayOpExpr) && ((ScalarArrayOpExpr *) e)->useOr &&
		list_length(((ScalarArrayOpExpr *) e)->args) == 2)
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) e;
		char	   *opname = get_opname(sa->opno);
		Node	   *arr = lsecond(sa->args);

		while (arr && IsA(arr, RelabelType))
			arr = (Node *) ((RelabelType *) arr)->arg;
		if (opname && strcmp(opname, "=") == 0 && am_rls_is_uid(fns, linitial(sa->args)) &&
			arr && IsA(arr, Var) && ((Var *) arr)->varno == 1 &&
			((Var *) arr)->varlevelsup == 0)
			return true;
	}
	return am_rls_constrains_owner(fns, t, e) || am_rls_scope(fns, e, NULL) != AM_SCOPE_NONE;
}

static Node *
policy_expr(AmRlsPolicyInfo *p, char cmd, bool is_check)
{
	if (!is_check)
		return p->qual;
	return p->check ? p->check : (p->cmd == 'a' ? NULL : p->qual);
}

/*
 * enforced
 *		Whether the policies for authenticated restrict command cmd (one
 *		clause of it) to rows whose owner column is auth.uid().  Permissive
 *		policies are ORed, restrictive ones ANDed: either every permissive
 *		policy constrains the owner, or a restrictive one does.  A command no
 *		permissive policy grants is not reachable at all.  The names of the
 *		permissive policies that do not constrain go to *loose.
 */
/*
 * read_owner_columns
 *		The owner columns the table's SELECT policies for authenticated tie
 *		to the caller: a table with two user columns (user_id, created_by)
 *		is the caller's by the one its reads check, and a write that checks
 *		only the other one does not keep rows the caller's.  The table's
 *		info with only those owner columns goes to *tied; false when the
 *		reads tie none (or there are no reads), and every owner column then
 *		counts.
 */
static bool
read_owner_columns(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t,
				   AmRlsTableInfo *tied)
{
	Bitmapset  *cols = NULL;
	ListCell   *lc;
	int			i;

	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

		if (p->permissive && policy_applies(p, 'r') && !am_rls_public_read(run, t, p))
			am_rls_uid_columns(fns, p->qual, &cols);
	}
	*tied = *t;
	tied->owner_attnums = palloc(sizeof(int16) * (t->nowner + 1));
	tied->owner_names = palloc(sizeof(char *) * (t->nowner + 1));
	tied->nowner = 0;
	for (i = 0; i < t->nowner; i++)
		if (bms_is_member(t->owner_attnums[i], cols))
		{
			tied->owner_attnums[tied->nowner] = t->owner_attnums[i];
			tied->owner_names[tied->nowner] = t->owner_names[i];
			tied->nowner++;
		}
	return tied->nowner > 0 && tied->nowner < t->nowner;
}

static bool
enforced(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t, char cmd,
		 bool is_check, bool need_scope, StringInfo loose)
{
	ListCell   *lc;
	bool		any_permissive = false;
	bool		all_constrain = true;
	AmRlsTableInfo tied;

	/* a write must keep the row the caller's by the column its reads check */
	if (is_check && read_owner_columns(run, fns, t, &tied))
		t = &tied;

	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);
		Node	   *e;
		bool		ties;

		if (!policy_applies(p, cmd) || am_rls_public_read(run, t, p) ||
			(!is_check && am_rls_public_by_flag(run, t, p)))
			continue;			/* policy_always_true, public_rows say so */
		e = policy_expr(p, cmd, is_check);
		if (e == NULL)
			continue;			/* contributes nothing */
		ties = need_scope ? am_rls_scope(fns, e, NULL) != AM_SCOPE_NONE :
			am_rls_ties_to_caller(fns, t, e);
		if (!p->permissive)
		{
			if (ties)
				return true;
			continue;
		}
		any_permissive = true;
		if (!ties)
		{
			all_constrain = false;
			appendStringInfo(loose, "%s\"%s\"", loose->len ? ", " : "", p->name);
		}
	}
	return !any_permissive || all_constrain;
}

/*
 * scoped_only
 *		Whether the table's SELECT policies for authenticated tie rows to the
 *		caller only through a membership (a team, an account), never by an
 *		owner column: then the membership is what separates tenants, and a
 *		write checked only on an owner column (created_by = auth.uid())
 *		can still put rows into another team's scope.
 */
static bool
scoped_only(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t)
{
	ListCell   *lc;
	bool		any = false;

	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

		if (!p->permissive || !policy_applies(p, 'r') || am_rls_public_read(run, t, p) ||
			p->qual == NULL)
			continue;
		if (am_rls_constrains_owner(fns, t, p->qual) ||
			am_rls_scope(fns, p->qual, NULL) == AM_SCOPE_NONE)
			return false;
		any = true;
	}
	return any;
}

/*
 * am_rls_check_owner_commands
 *		owner_not_enforced: one finding per command whose policies for
 *		authenticated do not pin the owner column to auth.uid() or tie the
 *		row to the caller through a membership; and, where the SELECT
 *		policies separate tenants by a membership, one per write whose
 *		WITH CHECK does not check that membership.
 */
void
am_rls_check_owner_commands(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t)
{
	bool		scoped = scoped_only(run, fns, t);
	int			c;
	StringInfoData using_loose;
	StringInfoData check_loose;

	/* one pair of buffers for every command (and every table: they are freed) */
	initStringInfo(&using_loose);
	initStringInfo(&check_loose);
	for (c = 0; c < NCMDS; c++)
	{
		char		cmd = cmd_chars[c];
		bool		using_ok = true;
		bool		check_ok = true;
		const char *clause;
		char	   *names;

		resetStringInfo(&using_loose);
		resetStringInfo(&check_loose);
		if (cmd != 'a')
			using_ok = enforced(run, fns, t, cmd, false, false, &using_loose);
		if (cmd == 'a' || cmd == 'w')
			check_ok = enforced(run, fns, t, cmd, true, false, &check_loose);
		if (using_ok && check_ok)
		{
			resetStringInfo(&check_loose);
			if (scoped && (cmd == 'a' || cmd == 'w') &&
				!enforced(run, fns, t, cmd, true, true, &check_loose))
				am_rls_add_finding(run, "error", "owner_not_enforced", t->qualname,
								   psprintf("Check in the WITH CHECK of every permissive %s policy the membership the SELECT policies check, e.g. team_id IN (SELECT ... WHERE user_id = (select auth.uid())).",
											cmd_names[c]),
								   "%s on table \"%s\" is not restricted to the caller's teams for role authenticated: its SELECT policies tie rows to the caller through a membership, but the WITH CHECK of %s %s does not, so a user can write rows into another team's scope",
								   cmd_names[c], t->qualname,
								   strchr(check_loose.data, ',') ? "policies" : "policy",
								   check_loose.data);
			continue;
		}

		if (!using_ok && !check_ok)
		{
			clause = "USING and WITH CHECK";
			names = using_loose.data;
		}
		else if (!using_ok)
		{
			clause = "USING";
			names = using_loose.data;
		}
		else
		{
			clause = "WITH CHECK";
			names = check_loose.data;
		}
		if (t->nowner == 0)
		{
			am_rls_add_finding(run, "error", "owner_not_enforced", t->qualname,
							   psprintf("Make every permissive %s policy for authenticated tie the row to the caller's teams in %s, e.g. %s IN (SELECT ... WHERE user_id = (select auth.uid())), or add a RESTRICTIVE policy that does.",
										cmd_names[c], clause, quote_identifier(t->scope_names[0])),
							   "%s on table \"%s\" is not restricted to the caller's teams for role authenticated: the %s of %s %s does not tie scope column \"%s\" to the caller through a membership",
							   cmd_names[c], t->qualname, clause,
							   strchr(names, ',') ? "policies" : "policy", names,
							   t->scope_names[0]);
			continue;
		}
		am_rls_add_finding(run, "error", "owner_not_enforced", t->qualname,
						   psprintf("Make every permissive %s policy for authenticated check %s = (select auth.uid()) in %s, or add a RESTRICTIVE policy that does.",
									cmd_names[c], quote_identifier(t->owner_names[0]), clause),
						   "%s on table \"%s\" is not restricted to the caller's own rows for role authenticated: the %s of %s %s does not constrain owner column \"%s\" by auth.uid()",
						   cmd_names[c], t->qualname, clause,
						   strchr(names, ',') ? "policies" : "policy", names,
						   t->owner_names[0]);
	}
	pfree(using_loose.data);
	pfree(check_loose.data);
}

/*
 * am_rls_check_multiple_permissive
 *		More than one permissive policy for one role and command: each is
 *		evaluated for every row, and the most lenient wins.
 */
void
am_rls_check_multiple_permissive(AmRlsRun *run, AmRlsTableInfo *t)
{
	List	   *roles = NIL;
	ListCell   *lc;
	ListCell   *rc;
	int			c;
	int			public_count[NCMDS];

	if (list_length(t->policies) < 2)
		return;

	roles = lappend(roles, "PUBLIC");
	if (OidIsValid(run->anon))
		roles = lappend(roles, "anon");
	if (OidIsValid(run->authenticated))
		roles = lappend(roles, "authenticated");
	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);
		int			i;

		for (i = 0; i < p->nroles; i++)
		{
			bool		seen = false;

			foreach(rc, roles)
				if (strcmp((char *) lfirst(rc), p->roles[i]) == 0)
					seen = true;
			if (!seen)
				roles = lappend(roles, p->roles[i]);
		}
	}

	foreach(rc, roles)
	{
		char	   *role = (char *) lfirst(rc);
		bool		is_public = strcmp(role, "PUBLIC") == 0;

		for (c = 0; c < NCMDS; c++)
		{
			StringInfoData names;
			int			count = 0;

			initStringInfo(&names);
			foreach(lc, t->policies)
			{
				AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);
				bool		applies = p->to_public;
				int			i;

				if (!p->permissive || !(p->cmd == '*' || p->cmd == cmd_chars[c]))
					continue;
				if (strcmp(role, "anon") == 0)
					applies = p->to_anon;
				else if (strcmp(role, "authenticated") == 0)
					applies = p->to_auth;
				else
					for (i = 0; i < p->nroles; i++)
						if (strcmp(p->roles[i], role) == 0)
							applies = true;
				if (!applies)
					continue;
				count++;
				appendStringInfo(&names, "%s\"%s\"", names.len ? ", " : "", p->name);
			}
			if (is_public)
				public_count[c] = count;
			if (count >= 2 && (is_public || count > public_count[c]))
				am_rls_add_finding(run, "warning", "multiple_permissive_policies", t->qualname,
								   "Merge them into one policy per role and command (OR their predicates), or make the extra ones RESTRICTIVE if they were meant to narrow access.",
								   "table \"%s\" has %d permissive policies for role %s and command %s: %s",
								   t->qualname, count, role, cmd_names[c], names.data);
			pfree(names.data);
		}
	}
}

/*
 * am_rls_public_read
 *		A permissive FOR SELECT policy whose USING is true: every row is
 *		declared readable by the policy's roles (Supabase's "public profiles
 *		are viewable by everyone").  That is a choice, reported as a warning
 *		rather than as a hole, except in a zero-knowledge database (one
 *		with zero-knowledge roles configured: Aura), where per-user rows
 *		are never public, and except next to another SELECT policy for
 *		authenticated that restricts rows to the caller's: the table says
 *		its rows are private, and the true policy (a dashboard template,
 *		"Enable read access for all users") undoes it.
 */
bool
am_rls_public_read(AmRlsRun *run, AmRlsTableInfo *t, AmRlsPolicyInfo *p)
{
	ListCell   *lc;

	if (run->zero_knowledge || !p->permissive || p->cmd != 'r' ||
		p->qual == NULL || !am_rls_always_true(p->qual))
		return false;
	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *o = (AmRlsPolicyInfo *) lfirst(lc);

		if (o != p && o->permissive && o->to_auth && (o->cmd == 'r' || o->cmd == '*') &&
			o->qual != NULL && am_rls_ties_to_caller(run->fns, t, o->qual))
			return false;
	}
	return true;
}

/*
 * flag_branch
 *		A condition on a flag of the row itself: a boolean column
 *		(published), its negation, a column equal to a constant (visibility
 *		= 'public') or to one of a constant list.
 */
static bool
flag_branch(Node *n)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	if (n == NULL)
		return false;
	if (IsA(n, Var))
		return ((Var *) n)->varno == 1 && ((Var *) n)->varlevelsup == 0 &&
			exprType(n) == BOOLOID;
	if (IsA(n, BoolExpr) && ((BoolExpr *) n)->boolop == NOT_EXPR)
		return flag_branch(linitial(((BoolExpr *) n)->args));
	if (IsA(n, BooleanTest))
		return flag_branch((Node *) ((BooleanTest *) n)->arg);
	if (IsA(n, OpExpr) && list_length(((OpExpr *) n)->args) == 2)
	{
		char	   *opname = get_opname(((OpExpr *) n)->opno);
		Node	   *l = linitial(((OpExpr *) n)->args);
		Node	   *r = lsecond(((OpExpr *) n)->args);

		while (l && IsA(l, RelabelType))
			l = (Node *) ((RelabelType *) l)->arg;
		while (r && IsA(r, RelabelType))
			r = (Node *) ((RelabelType *) r)->arg;
		return opname && strcmp(opname, "=") == 0 &&
			((IsA(l, Var) && ((Var *) l)->varno == 1 && ((Var *) l)->varlevelsup == 0 && IsA(r, Const)) ||
			 (IsA(r, Var) && ((Var *) r)->varno == 1 && ((Var *) r)->varlevelsup == 0 && IsA(l, Const)));
	}
	if (IsA(n, ScalarArrayOpExpr) && ((ScalarArrayOpExpr *) n)->useOr)
	{
		Node	   *l = linitial(((ScalarArrayOpExpr *) n)->args);

		while (l && IsA(l, RelabelType))
			l = (Node *) ((RelabelType *) l)->arg;
		return IsA(l, Var) && ((Var *) l)->varno == 1 && ((Var *) l)->varlevelsup == 0 &&
			IsA(lsecond(((ScalarArrayOpExpr *) n)->args), Const);
	}
	return false;
}

/*
 * am_rls_public_by_flag
 *		A permissive FOR SELECT policy whose USING is an OR of a flag of the
 *		row and of conditions that tie it to the caller: published posts
 *		for everyone, drafts for their author ("published OR author_id =
 *		auth.uid()").  The flagged rows are declared public, as by
 *		am_rls_public_read(); not in a zero-knowledge database.
 */
bool
am_rls_public_by_flag(AmRlsRun *run, AmRlsTableInfo *t, AmRlsPolicyInfo *p)
{
	BoolExpr   *b;
	ListCell   *lc;
	bool		flags = false;

	if (run->zero_knowledge || !p->permissive || p->cmd != 'r' || p->qual == NULL ||
		!IsA(p->qual, BoolExpr) || ((BoolExpr *) p->qual)->boolop != OR_EXPR)
		return false;
	b = (BoolExpr *) p->qual;
	foreach(lc, b->args)
	{
		if (flag_branch(lfirst(lc)))
			flags = true;
		else if (!am_rls_ties_to_caller(run->fns, t, lfirst(lc)))
			return false;
	}
	return flags;
}
