/*-------------------------------------------------------------------------
 *
 * rls.c
 *	  check_rls(): structural row level security findings read from the
 *	  catalogs and from the policies' expression trees.
 *
 * Every catalog read is set-based (one query for all tables of the checked
 * schemas, one for all their policies, one for views, one for SECURITY
 * DEFINER functions), so that the check stays fast with thousands of
 * tables.  Policy expressions (pg_policy.polqual and polwithcheck) are
 * turned back into node trees with stringToNode() and walked by
 * rls_expr.c; their text is never pattern-matched.  Views and SECURITY
 * DEFINER functions are checked in rls_objects.c, and the behavioural
 * probes live in rls_probe.c.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_inherits.h"
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

PG_FUNCTION_INFO_V1(aura_migrate_check_rls);


static void read_auth_funcs(AmRlsAuthFuncs *fns);
static void collect_findings(AmRlsRun *run, Datum schemas, bool probes,
							 Datum allow_definer, Datum only);
static void check_table(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t);
static char *policy_object(AmRlsTableInfo *t, AmRlsPolicyInfo *p);
static void add_policy_owner_columns(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t);
static void check_api_roles(AmRlsRun *run);
static void check_encrypted(AmRlsRun *run, List *tables);
static HTAB *inheriting_tables(void);

/*
 * am_rls_collect
 *		Run every check of check_rls() on the given schemas (a name[]
 *		Datum), the probes too when probes is set, and return the findings
 *		(AmRlsFinding *) in run->findings, allocated in run->cxt, which the
 *		caller deletes.  allow_definer is a text[] Datum or 0.  Runs with
 *		search_path pinned; the caller's identity is restored on return.
 */
void
am_rls_collect(AmRlsRun *run, Datum schemas, bool probes, Datum allow_definer)
{
	collect_findings(run, schemas, probes, allow_definer, (Datum) 0);
}

/*
 * am_rls_collect_only
 *		The structural findings of am_rls_collect() with the tables limited
 *		to the Oids of array only (oid[]): the row level security gate's
 *		check after a migration that changed only these tables (rls_gate.c).
 *		The API roles, views and functions are checked as always.  When a
 *		check needs the other tables too (a SQL function running as its
 *		owner reads tables: what it reads is only known from its body),
 *		run->incomplete is set and the caller checks everything instead.
 */
void
am_rls_collect_only(AmRlsRun *run, Datum schemas, Datum only)
{
	collect_findings(run, schemas, false, (Datum) 0, only);
}

/*
 * collect_findings
 *		am_rls_collect() and am_rls_collect_only(): only is 0 for all tables.
 */
static void
collect_findings(AmRlsRun *run, Datum schemas, bool probes, Datum allow_definer,
				 Datum only)
{
	AmRlsAuthFuncs	fns;
	List	   *tables = NIL;
	HTAB	   *byoid;
	ListCell   *lc;
	MemoryContext oldcxt;
	Oid			save_userid;
	int			save_sec_context;
	int			nest;

	memset(run, 0, sizeof(AmRlsRun));
	run->only = only;
	run->cxt = AllocSetContextCreate(CurrentMemoryContext, "check_rls",
									 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(run->cxt);
	run->anon = get_role_oid("anon", true);
	run->authenticated = get_role_oid("authenticated", true);
	foreach(lc, am_zero_knowledge_roles())
	{
		char	   *name = (char *) lfirst(lc);
		Oid			roleid = get_role_oid(name, true);

		if (OidIsValid(roleid))
		{
			run->zk_roles = lappend_oid(run->zk_roles, roleid);
			run->zk_names = lappend(run->zk_names, pstrdup(name));
		}
	}
	MemoryContextSwitchTo(oldcxt);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);

	/*
	 * Nothing check_rls() runs resolves names through the caller's
	 * search_path (an operator of someone else's in a schema the caller
	 * lists before pg_catalog would run with the caller's rights).
	 */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The catalog queries below are costed high (many correlated subplans)
	 * and JIT-compiling them took longer than running them: 1.5 s of a
	 * 2.7 s check of 1,000 tables.
	 */
	(void) set_config_option("jit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	read_auth_funcs(&fns);
	run->fns = &fns;
	run->schemas = schemas;
	run->zero_knowledge = run->zk_roles != NIL;
	byoid = am_rls_read_tables(run, schemas, &tables);
	run->tables = byoid;
	am_rls_read_policies(run, tables);
	foreach(lc, tables)
		add_policy_owner_columns(run, &fns, (AmRlsTableInfo *) lfirst(lc));
	check_api_roles(run);
	foreach(lc, tables)
		check_table(run, &fns, (AmRlsTableInfo *) lfirst(lc));
	check_encrypted(run, tables);
	am_rls_check_views(run, schemas);
	am_rls_check_functions(run, schemas, allow_definer, allow_definer == (Datum) 0);

	if (probes)
		am_rls_probe(run);
	run->fns = NULL;			/* on this stack frame only */

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	AtEOXact_GUC(false, nest);

	/* whatever happened above, the caller's identity is back */
	{
		Oid			userid;
		int			sec_context;

		GetUserIdAndSecContext(&userid, &sec_context);
		if (userid != save_userid || sec_context != save_sec_context)
			elog(ERROR, "check_rls() did not restore the current user");
	}
}

/*
 * aura_migrate_check_rls
 *		SQL: aura_migrate.check_rls(schemas name[] DEFAULT '{public}',
 *									probes boolean DEFAULT NULL,
 *									allow_definer text[] DEFAULT NULL)
 *			 RETURNS SETOF aura_migrate.finding
 *
 * Reports the structural findings for the tables, views and functions of
 * the given schemas (NULL: those of aura_migrate.checked_schemas, as the
 * run's gate checks) and, when probes is true (NULL: true in development and
 * staging, false in production), the findings of the behavioural probes.
 * EXECUTE is revoked from PUBLIC.  The probes act as anon, authenticated
 * and the zero-knowledge roles, and as each probed table's owner: the
 * caller must be able to act as the API roles as SET ROLE would let it
 * (am_rls_probe_refusal()), and a table whose owner it cannot act as is
 * not probed.  Nothing returned means clean.
 */
Datum
aura_migrate_check_rls(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmRlsRun	run;
	Datum		schemas;
	bool		probes_auto = PG_ARGISNULL(1);
	bool		probes;
	const char *cannot;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);

	schemas = PG_ARGISNULL(0) ? am_checked_schemas_array() : PG_GETARG_DATUM(0);

	probes = probes_auto ? (am_effective_environment() != AM_ENV_PRODUCTION) : PG_GETARG_BOOL(1);
	cannot = probes ? am_rls_probe_refusal() : NULL;
	if (cannot != NULL && !probes_auto)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to run row level security probes"),
				 errdetail("The probes act as anon, authenticated and the zero-knowledge roles, and role \"%s\" cannot act as \"%s\".",
						   GetUserNameFromId(GetUserId(), false), cannot),
				 errhint("GRANT %s TO %s, or pass probes => false.",
						 quote_identifier(cannot),
						 quote_identifier(GetUserNameFromId(GetUserId(), false)))));

	am_rls_collect(&run, schemas, probes && cannot == NULL,
				   PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2));
	if (cannot != NULL)
		am_rls_add_finding(&run, "info", "probes_skipped", NULL,
						   psprintf("GRANT %s TO %s to probe (the probes act as the API roles as SET ROLE would), or pass probes => false to silence this.",
									quote_identifier(cannot),
									quote_identifier(GetUserNameFromId(GetUserId(), false))),
						   "behavioural probes were skipped: role \"%s\" cannot act as \"%s\"",
						   GetUserNameFromId(GetUserId(), false), cannot);

	foreach(lc, run.findings)
	{
		Datum		values[AM_FINDING_NATTS];
		bool		nulls[AM_FINDING_NATTS];

		am_finding_values((AmRlsFinding *) lfirst(lc), values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	MemoryContextDelete(run.cxt);
	return (Datum) 0;
}

/*
 * read_auth_funcs
 *		Look up auth.uid(), auth.jwt() and auth.role(); missing ones are
 *		simply not found in policies.
 */
static void
read_auth_funcs(AmRlsAuthFuncs *fns)
{
	uint64		i;

	memset(fns, 0, sizeof(*fns));
	if (SPI_execute("SELECT p.oid, p.proname::text FROM pg_catalog.pg_proc p "
					"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
					"WHERE n.nspname = 'auth' AND p.pronargs = 0 "
					"AND p.proname IN ('uid', 'jwt', 'role')",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the auth functions");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		Oid			oid = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		char	   *name = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);

		if (strcmp(name, "uid") == 0)
			fns->uid = lappend_oid(fns->uid, oid);
		else if (strcmp(name, "jwt") == 0)
			fns->jwt = lappend_oid(fns->jwt, oid);
		else
			fns->role = lappend_oid(fns->role, oid);
	}
}

/*
 * add_policy_owner_columns
 *		A column that a SELECT (or ALL) policy of the table compares with
 *		auth.uid() in its USING holds the row's owner, whatever its name and
 *		even without a foreign key to the users, when the table has no owner
 *		column by name, foreign key or default; when the reads compare none,
 *		a column the writes compare does.
 */
static void
add_policy_owner_columns(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t)
{
	Bitmapset  *cols = NULL;
	ListCell   *lc;
	MemoryContext oldcxt;
	int			attnum;
	int			n;

	/*
	 * Only from what the table's reads compare (a write's WITH CHECK must
	 * not make its own column an owner column, and so approve itself), and
	 * only when no column is one by name, foreign key or default already.
	 */
	if (t->nowner > 0)
		return;
	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

		if (p->cmd == 'r' || p->cmd == '*')
			am_rls_uid_columns(fns, p->qual, &cols);
	}
	/* reads that tie no column (auth.role() = 'authenticated'): the writes' */
	if (bms_is_empty(cols))
		foreach(lc, t->policies)
		{
			AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

			am_rls_uid_columns(fns, p->qual, &cols);
			am_rls_uid_columns(fns, p->check, &cols);
		}
	if (bms_is_empty(cols))
		return;

	oldcxt = MemoryContextSwitchTo(run->cxt);
	n = t->nowner + bms_num_members(cols);
	t->owner_attnums = t->nowner ? repalloc(t->owner_attnums, sizeof(int16) * n) :
		palloc(sizeof(int16) * n);
	t->owner_names = t->nowner ? repalloc(t->owner_names, sizeof(char *) * n) :
		palloc(sizeof(char *) * n);
	attnum = -1;
	while ((attnum = bms_next_member(cols, attnum)) >= 0)
	{
		t->owner_attnums[t->nowner] = (int16) attnum;
		t->owner_names[t->nowner] = get_attname(t->relid, (AttrNumber) attnum, false);
		t->nowner++;
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * check_api_roles
 *		anon and authenticated, the roles the API acts as, must be subject
 *		to row level security: a superuser or BYPASSRLS API role (ALTER ROLE
 *		authenticated BYPASSRLS) reads every row of every table, whatever
 *		the policies say.  Read from the catalog, so the structural checks
 *		(production's) see it, not only the probes.  (service_role is left
 *		out: on Supabase it bypasses row level security by design.)
 */
static void
check_api_roles(AmRlsRun *run)
{
	Oid			roles[2] = {run->anon, run->authenticated};
	int			i;

	for (i = 0; i < 2; i++)
	{
		HeapTuple	tup;
		Form_pg_authid a;
		char	   *name;

		if (!OidIsValid(roles[i]))
			continue;
		tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(roles[i]));
		if (!HeapTupleIsValid(tup))
			continue;
		a = (Form_pg_authid) GETSTRUCT(tup);
		name = pstrdup(NameStr(a->rolname));
		if (a->rolsuper)
			am_rls_add_finding(run, "error", "api_role_bypasses_rls", name,
							   psprintf("ALTER ROLE %s NOSUPERUSER;", quote_identifier(name)),
							   "API role \"%s\" is a superuser: row level security does not apply to it",
							   name);
		else if (a->rolbypassrls)
			am_rls_add_finding(run, "error", "api_role_bypasses_rls", name,
							   psprintf("ALTER ROLE %s NOBYPASSRLS;", quote_identifier(name)),
							   "API role \"%s\" has BYPASSRLS: row level security does not apply to it",
							   name);
		ReleaseSysCache(tup);
	}
}

/*
 * inheriting_tables
 *		The Oids (hash keys) of the relations that inherit from another or
 *		are a partition of one: pg_inherits read once.
 */
static HTAB *
inheriting_tables(void)
{
	HASHCTL		ctl;
	HTAB	   *children;
	Relation	inh;
	SysScanDesc scan;
	HeapTuple	tup;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Oid);
	ctl.hcxt = CurrentMemoryContext;
	children = hash_create("check_rls inheriting tables", 64, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	inh = table_open(InheritsRelationId, AccessShareLock);
	scan = systable_beginscan(inh, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		(void) hash_search(children, &((Form_pg_inherits) GETSTRUCT(tup))->inhrelid,
						   HASH_ENTER, NULL);
	systable_endscan(scan);
	table_close(inh, AccessShareLock);
	return children;
}

/*
 * check_encrypted
 *		plaintext_in_encrypted_table: a column of a table that
 *		aura_migrate.encrypted_table says holds only ciphertext, which is
 *		neither ciphertext nor metadata (encrypted.c).
 */
static void
check_encrypted(AmRlsRun *run, List *tables)
{
	List	   *rules = am_encrypted_rules();
	HTAB	   *children;
	ListCell   *lc;

	if (rules == NIL)
		return;
	children = inheriting_tables();
	foreach(lc, tables)
	{
		AmRlsTableInfo *t = (AmRlsTableInfo *) lfirst(lc);
		AmEncryptedRule *rule;
		Relation	rel;
		int			i;

		/* by name; a partition or child also by its parents' */
		rule = am_encrypted_match(rules, t->nspname, t->relname);
		if (rule == NULL && hash_search(children, &t->relid, HASH_FIND, NULL) != NULL)
			rule = am_encrypted_match_rel(rules, t->relid, 0);
		if (rule == NULL)
			continue;
		rel = relation_open(t->relid, AccessShareLock);
		for (i = 0; i < RelationGetDescr(rel)->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);
			char	   *message;
			char	   *hint;

			if (att->attisdropped ||
				am_ciphertext_column(rule, NameStr(att->attname), att->atttypid))
				continue;
			am_plaintext_message(t->qualname, NameStr(att->attname), att->atttypid,
								 rule, &message, &hint);
			am_rls_add_finding(run, "error", "plaintext_in_encrypted_table",
							   psprintf("%s.%s", t->qualname,
										quote_identifier(NameStr(att->attname))),
							   hint, "%s", message);
		}
		relation_close(rel, AccessShareLock);
	}
}

/*
 * check_rls_enabled
 *		Row level security switched on, and with policies.
 */
static void
check_rls_enabled(AmRlsRun *run, AmRlsTableInfo *t)
{
	if (!t->rls && t->npolicies == 0)
		am_rls_add_finding(run, "error", "rls_disabled", t->qualname,
						   psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY, then add policies for the roles that need access.",
									t->qualname),
						   "row level security is not enabled on table \"%s\": every role with a table privilege reaches every row",
						   t->qualname);
	else if (!t->rls && t->npolicies == 1)
		am_rls_add_finding(run, "error", "policies_without_rls", t->qualname,
						   psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY.", t->qualname),
						   "table \"%s\" has 1 policy but row level security is disabled, so it is ignored",
						   t->qualname);
	else if (!t->rls)
		am_rls_add_finding(run, "error", "policies_without_rls", t->qualname,
						   psprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY.", t->qualname),
						   "table \"%s\" has %d policies but row level security is disabled, so they are ignored",
						   t->qualname, t->npolicies);
	else if (t->npolicies == 0)
		am_rls_add_finding(run, "info", "rls_no_policy", t->qualname,
						   "Nothing to do if that is intended; otherwise add policies for the roles that need access.",
						   "row level security is enabled on table \"%s\" but it has no policy: nobody but the table owner %s (and superusers or roles with BYPASSRLS) can reach its rows",
						   t->qualname, t->owner_name);
}

/*
 * check_owned_privileges
 *		Who holds privileges on a table with per-user rows: anon or PUBLIC,
 *		and the zero-knowledge roles.
 */
static void
check_owned_privileges(AmRlsRun *run, AmRlsTableInfo *t)
{
	const char *revoke_from = t->public_priv ?
		(OidIsValid(run->anon) ? "PUBLIC, anon" : "PUBLIC") : "anon";
	char	   *hint = NULL;
	int			i;

	if (t->public_priv || t->anon_priv)
		hint = psprintf("REVOKE ALL ON TABLE %s FROM %s; anonymous access to owned rows belongs in a function that checks a token.",
						t->qualname, revoke_from);

	if (t->public_priv && t->anon_priv)
		am_rls_add_finding(run, "warning", "anon_table_privilege", t->qualname, hint,
						   "PUBLIC and anon hold privileges on table \"%s\", which holds per-user rows: row level security is then the only wall",
						   t->qualname);
	else if (t->public_priv)
		am_rls_add_finding(run, "warning", "anon_table_privilege", t->qualname, hint,
						   "PUBLIC holds privileges on table \"%s\", which holds per-user rows: row level security is then the only wall",
						   t->qualname);
	else if (t->anon_priv)
		am_rls_add_finding(run, "warning", "anon_table_privilege", t->qualname, hint,
						   "anon holds privileges on table \"%s\", which holds per-user rows: row level security is then the only wall",
						   t->qualname);

	for (i = 0; i < t->nzk; i++)
		am_rls_add_finding(run, "error", "zero_knowledge_violation", t->qualname,
						   psprintf("REVOKE ALL ON TABLE %s FROM %s (and from PUBLIC and any role %s is a member of or that owns the table); a policy cannot restrict a role with BYPASSRLS.",
									t->qualname, t->zk[i], t->zk[i]),
						   "zero-knowledge role %s can access table \"%s\", which holds per-user rows",
						   t->zk[i], t->qualname);
}

/*
 * check_always_true
 *		A permissive policy for an API role whose USING or WITH CHECK is
 *		true.  On a read-only policy of a table without per-user rows (public
 *		reference data: prices, countries) it is info.
 */
static void
check_always_true(AmRlsRun *run, AmRlsTableInfo *t, AmRlsPolicyInfo *p, char *obj)
{
	bool		qual_true = p->qual && am_rls_always_true(p->qual);
	bool		check_true = p->check && am_rls_always_true(p->check);
	bool		owned = t->nowner > 0;
	bool		tenant = owned || t->nscope > 0;
	const char *severity = (p->cmd == 'r' && !tenant) ? "info" :
		am_rls_public_read(run, t, p) && !check_true ? "warning" : "error";
	const char *role = p->to_public ? "PUBLIC" : (p->to_anon ? "anon" : "authenticated");
	char	   *predicate = owned ?
		psprintf("%s = (select auth.uid())", quote_identifier(t->owner_names[0])) :
		t->nscope > 0 ?
		psprintf("%s IN (SELECT ... WHERE user_id = (select auth.uid()))",
				 quote_identifier(t->scope_names[0])) :
		"user_id = (select auth.uid())";
	char	   *hint = psprintf("Replace true with a real predicate, e.g. %s.", predicate);

	if (tenant && strcmp(severity, "warning") == 0)
		am_rls_add_finding(run, severity, "policy_always_true", obj,
						   psprintf("Nothing to do if every row of %s is meant to be public (a profile shown to everyone); otherwise replace true with %s.",
									t->qualname, predicate),
						   owned ?
						   "policy \"%s\" on table \"%s\" makes every row readable by %s, though the table holds per-user rows" :
						   "policy \"%s\" on table \"%s\" makes every row readable by %s, though the table holds rows of teams",
						   p->name, t->qualname, role);
	else if (qual_true && check_true)
		am_rls_add_finding(run, severity, "policy_always_true", obj, hint,
						   "policy \"%s\" on table \"%s\" has USING and WITH CHECK (true) for %s: it lets every row through",
						   p->name, t->qualname, role);
	else if (qual_true)
		am_rls_add_finding(run, severity, "policy_always_true", obj, hint,
						   "policy \"%s\" on table \"%s\" has USING (true) for %s: it lets every row through",
						   p->name, t->qualname, role);
	else if (check_true)
		am_rls_add_finding(run, severity, "policy_always_true", obj, hint,
						   "policy \"%s\" on table \"%s\" has WITH CHECK (true) for %s: it lets every row in",
						   p->name, t->qualname, role);
}

/*
 * check_policy
 *		The findings one policy gives on its own.
 */
static void
check_policy(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t, AmRlsPolicyInfo *p)
{
	bool		api = p->to_public || p->to_anon || p->to_auth;
	char	   *obj = policy_object(t, p);
	AmRlsWalkState w;

	if (api && p->permissive)
	{
		check_always_true(run, t, p, obj);
		if (p->cmd == 'a' && p->check == NULL)
			am_rls_add_finding(run, "error", "insert_without_check", obj,
							   "Add WITH CHECK, e.g. WITH CHECK (user_id = (select auth.uid())).",
							   "policy \"%s\" on table \"%s\" is for INSERT but has no WITH CHECK expression, so it does not say which rows may be inserted",
							   p->name, t->qualname);
	}

	/*
	 * A policy without TO applies to anon as well (to_anon says so too);
	 * one anon cannot satisfy (it needs auth.uid(), NULL for anon, to equal
	 * a column or to find a membership) gives anon nothing.  A policy that
	 * names anon (or a role anon is a member of) is reported all the same.
	 */
	if ((t->nowner > 0 || t->nscope > 0) && am_rls_public_by_flag(run, t, p))
		am_rls_add_finding(run, "warning", "public_rows", obj,
						   "Nothing to do if the flagged rows are meant to be public (published posts); otherwise restrict the policy to the caller's rows.",
						   "policy \"%s\" on table \"%s\" makes the rows a flag marks readable by %s, though the table holds per-user rows",
						   p->name, t->qualname,
						   p->to_public ? "PUBLIC" : (p->to_anon ? "anon" : "authenticated"));
	if ((t->nowner > 0 || t->nscope > 0) && !am_rls_public_read(run, t, p) &&
		!am_rls_public_by_flag(run, t, p) &&
		((p->to_anon && !p->to_public) ||
						  (p->to_public && !((p->qual && am_rls_ties_to_caller(fns, t, p->qual)) ||
											 (p->qual == NULL && p->check &&
											  am_rls_ties_to_caller(fns, t, p->check))))))
		am_rls_add_finding(run, "error", "policy_for_anon", obj,
						   "Restrict the policy with TO authenticated; anonymous access to owned rows belongs in a SECURITY DEFINER function that checks a token.",
						   t->nowner > 0 ?
						   "policy \"%s\" on table \"%s\" applies to %s, but the table holds per-user rows" :
						   "policy \"%s\" on table \"%s\" applies to %s, but the table holds rows of teams",
						   p->name, t->qualname, p->to_public ? "PUBLIC" : "anon");

	/* a membership read through a function that is not read (PL/pgSQL) */
	if (api)
	{
		Oid			fn = InvalidOid;

		if ((p->qual && am_rls_scope(fns, p->qual, &fn) == AM_SCOPE_UNVERIFIED) ||
			(p->check && am_rls_scope(fns, p->check, &fn) == AM_SCOPE_UNVERIFIED))
			am_rls_add_finding(run, "info", "scope_not_verified", obj,
							   "Write the membership test as a subquery in the policy, or as a SQL function, so that it can be read; or check it with the probes.",
							   "policy \"%s\" on table \"%s\" ties rows to the caller through function %s, which is not verified",
							   p->name, t->qualname, format_procedure(fn));
	}

	memset(&w, 0, sizeof(w));
	w.fns = fns;
	w.table = t;
	(void) am_rls_policy_walker(p->qual, &w);
	(void) am_rls_policy_walker(p->check, &w);
	if (w.per_row_fn)
		am_rls_add_finding(run, "warning", "auth_call_per_row", obj,
						   psprintf("Wrap the call in a scalar subquery, e.g. (select %s), so that it is evaluated once per statement.",
									w.per_row_fn),
						   "policy \"%s\" on table \"%s\" calls %s once per row",
						   p->name, t->qualname, w.per_row_fn);
	if (w.user_metadata)
		am_rls_add_finding(run, "error", "jwt_user_metadata", obj,
						   "Decide access on app_metadata (only the server can set it) or on a table users cannot write.",
						   "policy \"%s\" on table \"%s\" reads user_metadata from the JWT, which every user can change for themselves",
						   p->name, t->qualname);
}

/*
 * check_owner_indexes
 *		Owner columns the policies use should be indexed.
 */
static void
check_owner_indexes(AmRlsRun *run, AmRlsTableInfo *t)
{
	int			i;
	int			j;

	for (i = 0; i < t->nowner; i++)
	{
		bool		led = false;

		if (!bms_is_member(t->owner_attnums[i], t->used_owner))
			continue;
		for (j = 0; j < t->nlead; j++)
			if (t->lead[j] == t->owner_attnums[i])
				led = true;
		if (!led)
			am_rls_add_finding(run, "warning", "owner_column_unindexed", t->qualname,
							   psprintf("CREATE INDEX ON %s (%s);", t->qualname,
										quote_identifier(t->owner_names[i])),
							   "owner column \"%s\" of table \"%s\" is used by policies but no index leads with it, so every policy check scans the table",
							   t->owner_names[i], t->qualname);
	}
}

/*
 * queue_for_probes
 *		A table with an owner column, as the probes need it.
 */
static void
queue_for_probes(AmRlsRun *run, AmRlsTableInfo *t)
{
	MemoryContext old = MemoryContextSwitchTo(run->cxt);
	AmRlsTable *pt = palloc0(sizeof(AmRlsTable));
	ListCell   *lc;

	pt->relid = t->relid;
	pt->qualname = t->qualname;
	pt->plainname = psprintf("%s.%s", t->nspname, t->relname);
	pt->relowner = t->owner;
	pt->owner_col = pstrdup(quote_identifier(t->owner_names[0]));
	pt->nowner = t->nowner;
	pt->owner_attnums = t->owner_attnums;
	pt->scope_attnum = t->nscope > 0 ? get_attnum(t->relid, t->scope_names[0]) : 0;
	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

		if (am_rls_public_read(run, t, p))
		{
			pt->public_read_anon |= p->to_anon;
			pt->public_read_auth |= p->to_auth;
		}
	}
	run->probe_tables = lappend(run->probe_tables, pt);
	MemoryContextSwitchTo(old);
}

/*
 * check_table
 *		Every finding about one table and its policies.  Tables with an owner
 *		column are also queued for the probes.
 */
static void
check_table(AmRlsRun *run, AmRlsAuthFuncs *fns, AmRlsTableInfo *t)
{
	bool		owned = t->nowner > 0;
	ListCell   *lc;
	bool		scoped = false;

	/*
	 * A scope column makes a table one of teams only when one of its
	 * policies means to tie rows to someone (it calls auth.uid(), rightly
	 * or not): products of a category that a per-user favourites table
	 * also references, read with USING (active), are not.
	 */
	foreach(lc, t->policies)
	{
		AmRlsPolicyInfo *p = (AmRlsPolicyInfo *) lfirst(lc);

		if (am_rls_mentions_uid(fns, p->qual) || am_rls_mentions_uid(fns, p->check) ||
			(p->qual && am_rls_scope(fns, p->qual, NULL) != AM_SCOPE_NONE) ||
			(p->check && am_rls_scope(fns, p->check, NULL) != AM_SCOPE_NONE))
			scoped = true;
	}
	if (!scoped)
		t->nscope = 0;

	check_rls_enabled(run, t);
	if (owned)
		check_owned_privileges(run, t);
	foreach(lc, t->policies)
		check_policy(run, fns, t, (AmRlsPolicyInfo *) lfirst(lc));
	check_owner_indexes(run, t);

	if ((owned || t->nscope > 0) && (t->rls || t->npolicies > 0))
		am_rls_check_owner_commands(run, fns, t);
	am_rls_check_multiple_permissive(run, t);

	if (owned && t->rls && !t->force && t->owner_login && !t->owner_super &&
		!t->owner_bypass)
		am_rls_add_finding(run, run->zero_knowledge ? "error" : "warning",
						   "owner_bypasses_rls", t->qualname,
						   psprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY; or give the table to a role that cannot log in.",
									t->qualname),
						   "row level security on table \"%s\" does not apply to its owner %s, a role that can log in: whoever connects as %s reads and writes every user's rows",
						   t->qualname, t->owner_name, t->owner_name);
	else if (t->rls && !t->force && t->definer_fn)
		am_rls_add_finding(run, "info", "owner_bypasses_rls", t->qualname,
						   psprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY if %s should be bound by the policies; otherwise make sure it filters rows by the caller itself.",
									t->qualname, t->definer_fn),
						   "row level security on table \"%s\" does not apply to its owner %s, who also owns SECURITY DEFINER function %s",
						   t->qualname, t->owner_name, t->definer_fn);

	if (owned)
		queue_for_probes(run, t);
}

/*
 * policy_object
 *		The object name of a policy: "schema.table: policy".
 */
static char *
policy_object(AmRlsTableInfo *t, AmRlsPolicyInfo *p)
{
	return psprintf("%s: %s", t->qualname, quote_identifier(p->name));
}

