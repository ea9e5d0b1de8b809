/*-------------------------------------------------------------------------
 *
 * rls_read.c
 *	  Reading the policies of the checked tables from the catalogs.
 *
 * check_rls() reads every policy of every checked table.  With a thousand
 * tables that is several thousand rows whose expressions are read back as
 * node trees; a query for them cost more than the checks themselves (the
 * role tests and the expressions' text output ran once per row through
 * the function manager).  The policies are read here through pg_policy's
 * own index, table by table, in the order the query gave: by name.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_read.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_policy.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "rls.h"

/*
 * role_applies
 *		Whether a policy for role roleid applies to role who: who has the
 *		privileges of roleid (as pg_has_role(who, roleid, 'USAGE') says).
 */
static bool
role_applies(Oid who, Oid roleid)
{
	return OidIsValid(who) && has_privs_of_role(who, roleid);
}

/*
 * node_text
 *		A pg_node_tree column as a C string, or NULL.  The text is often
 *		compressed; the decompressed copy is freed.
 */
static char *
node_text(HeapTuple tup, int attnum, TupleDesc td)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, td, &isnull);
	text	   *t;
	char	   *s;

	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	s = text_to_cstring(t);
	if ((Pointer) t != DatumGetPointer(d))
		pfree(t);
	return s;
}

/*
 * read_nodes
 *		The policy's USING and WITH CHECK expressions as node trees (NULL
 *		when absent).  When both are the same text, as an UPDATE or ALL
 *		policy's often are, one tree serves both: the checks only read
 *		them.  The texts are freed once read: thousands of policies are
 *		read.
 */
static void
read_nodes(HeapTuple tup, TupleDesc td, Node **qual, Node **check)
{
	char	   *q = node_text(tup, Anum_pg_policy_polqual, td);
	char	   *c = node_text(tup, Anum_pg_policy_polwithcheck, td);

	*qual = q ? (Node *) stringToNode(q) : NULL;
	if (c != NULL && q != NULL && strcmp(q, c) == 0)
		*check = *qual;
	else
		*check = c ? (Node *) stringToNode(c) : NULL;
	if (q)
		pfree(q);
	if (c)
		pfree(c);
}

/*
 * policy_from_tuple
 *		One pg_policy row as an AmRlsPolicyInfo, in CurrentMemoryContext.
 */
static AmRlsPolicyInfo *
policy_from_tuple(AmRlsRun *run, HeapTuple tup, TupleDesc td)
{
	Form_pg_policy form = (Form_pg_policy) GETSTRUCT(tup);
	AmRlsPolicyInfo *p = palloc0(sizeof(AmRlsPolicyInfo));
	ArrayType  *roles;
	Oid		   *oids;
	Datum		d;
	bool		isnull;
	int			n;
	int			i;

	p->name = pstrdup(NameStr(form->polname));
	p->cmd = form->polcmd;
	p->permissive = form->polpermissive;

	/* polroles is never null: {0} is PUBLIC */
	d = heap_getattr(tup, Anum_pg_policy_polroles, td, &isnull);
	roles = isnull ? NULL : DatumGetArrayTypeP(d);
	n = roles ? ArrayGetNItems(ARR_NDIM(roles), ARR_DIMS(roles)) : 0;
	oids = roles ? (Oid *) ARR_DATA_PTR(roles) : NULL;
	p->roles = palloc(sizeof(char *) * Max(n, 1));
	p->nroles = n;
	for (i = 0; i < n; i++)
	{
		Oid			r = oids[i];

		if (r == ACL_ID_PUBLIC)
		{
			p->to_public = true;
			p->roles[i] = pstrdup("PUBLIC");
			continue;
		}
		if (role_applies(run->anon, r))
			p->to_anon = true;
		if (role_applies(run->authenticated, r))
			p->to_auth = true;
		/* a role dropped under the policy is shown by its Oid */
		{
			char	   *name = GetUserNameFromId(r, true);

			p->roles[i] = name ? pstrdup(quote_identifier(name)) : psprintf("%u", r);
		}
	}
	/* PUBLIC: anon when there is such a role; authenticated always */
	if (p->to_public)
	{
		p->to_anon = OidIsValid(run->anon);
		p->to_auth = true;
	}

	read_nodes(tup, td, &p->qual, &p->check);
	return p;
}

/*
 * am_rls_read_policies
 *		Attach to each table of tables (AmRlsTableInfo *) its policies, in
 *		name order, allocated in run->cxt, and their number.
 */
void
am_rls_read_policies(AmRlsRun *run, List *tables)
{
	Relation	rel;
	TupleDesc	td;
	MemoryContext oldcxt;
	ListCell   *lc;

	rel = table_open(PolicyRelationId, AccessShareLock);
	td = RelationGetDescr(rel);
	oldcxt = MemoryContextSwitchTo(run->cxt);
	foreach(lc, tables)
	{
		AmRlsTableInfo *t = (AmRlsTableInfo *) lfirst(lc);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(t->relid));
		scan = systable_beginscan(rel, PolicyPolrelidPolnameIndexId, true,
								  NULL, 1, &key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
			t->policies = lappend(t->policies, policy_from_tuple(run, tup, td));
		systable_endscan(scan);
		t->npolicies = list_length(t->policies);
	}
	MemoryContextSwitchTo(oldcxt);
	table_close(rel, AccessShareLock);
}
