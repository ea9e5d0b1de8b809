/*-------------------------------------------------------------------------
 *
 * rls_objects.c
 *	  check_rls(): views and SECURITY DEFINER functions, and the SPI helpers
 *	  the checker shares.
 *
 * Views (and materialized views) over tables with row level security that
 * the API roles can read, and SECURITY DEFINER functions of the checked
 * schemas, are each read with one query.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_objects.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/functions.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "rls.h"
#include "rls_undo.h"

/*
 * am_rls_check_views
 *		view_bypasses_rls: views without security_invoker (and materialized
 *		views, which copy rows) over tables with RLS, selectable by anon or
 *		authenticated.
 */
void
am_rls_check_views(AmRlsRun *run, Datum schemas)
{
	static const char *sql =
	"SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
	"       c.relkind::text,"
	"       pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(tn.nspname) || '.'"
	"                             || pg_catalog.quote_ident(t.relname), ', '),"
	"       CASE WHEN $2 = 0 THEN false"
	"            ELSE pg_catalog.has_table_privilege($2, c.oid, 'SELECT') END,"
	"       CASE WHEN $3 = 0 THEN false"
	"            ELSE pg_catalog.has_table_privilege($3, c.oid, 'SELECT') END"
	"  FROM pg_catalog.pg_class c"
	"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	"  JOIN pg_catalog.pg_rewrite w ON w.ev_class = c.oid"
	"  JOIN pg_catalog.pg_depend d"
	"    ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = w.oid"
	"   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid <> c.oid"
	"  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
	/* tables with row level security, or with per-user rows in any schema
	 * (a private schema's table served through a public view) */
	"   AND (t.relrowsecurity OR (t.relkind IN ('r', 'p') AND EXISTS ("
	"        SELECT 1 FROM pg_catalog.pg_attribute ua"
	"         WHERE ua.attrelid = t.oid AND ua.attnum > 0 AND NOT ua.attisdropped"
	"           AND (ua.attname = 'user_id' OR EXISTS ("
	"                SELECT 1 FROM pg_catalog.pg_constraint uk"
	"                  JOIN pg_catalog.pg_class ur ON ur.oid = uk.confrelid"
	"                 WHERE uk.conrelid = t.oid AND uk.contype = 'f'"
	"                   AND uk.conkey = ARRAY[ua.attnum] AND ur.relname = 'users')))))"
	"  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
	" WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm')"
	"   AND NOT coalesce((SELECT o.option_value::bool"
	"                       FROM pg_catalog.pg_options_to_table(c.reloptions) o"
	"                      WHERE o.option_name = 'security_invoker'), false)"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"                     JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid"
	"                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"                      AND e.objid = c.oid AND e.deptype = 'e'"
	"                      AND e.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass"
	/* a superuser's extension, or its script's objects: not what a migrator added */
	"                      AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles su"
	"                                   WHERE su.rolsuper AND su.oid IN (x.extowner, c.relowner)))"
	" GROUP BY c.oid, n.nspname, c.relname, c.relkind"
	" ORDER BY n.nspname, c.relname";
	Oid			argtypes[3] = {NAMEARRAYOID, OIDOID, OIDOID};
	Datum		values[3];
	uint64		i;

	/* the tables were read from the whole of pg_class, which has none */
	if (run->no_views)
		return;
	values[0] = schemas;
	values[1] = ObjectIdGetDatum(run->anon);
	values[2] = ObjectIdGetDatum(run->authenticated);
	if (SPI_execute_with_args(sql, 3, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the views of the checked schemas");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *view = am_rls_spi_str(tup, 1);
		bool		matview = am_rls_spi_str(tup, 2)[0] == 'm';
		char	   *tables = am_rls_spi_str(tup, 3);
		bool		anon = am_rls_spi_bool(tup, 4);
		bool		auth = am_rls_spi_bool(tup, 5);
		const char *who;

		if (!anon && !auth)
			continue;
		who = anon ? (auth ? "anon and authenticated" : "anon") : "authenticated";
		if (matview)
			am_rls_add_finding(run, "error", "view_bypasses_rls", view,
							   psprintf("REVOKE SELECT ON %s FROM anon, authenticated, PUBLIC; serve the rows through the table or a security_invoker view.", view),
							   "materialized view \"%s\" holds a copy of rows of tables with row level security or per-user rows (%s), and %s can select from it",
							   view, tables, who);
		else
			am_rls_add_finding(run, "error", "view_bypasses_rls", view,
							   psprintf("ALTER VIEW %s SET (security_invoker = true);", view),
							   "view \"%s\" reads tables with row level security or per-user rows (%s) with its owner's rights, and %s can select from it",
							   view, tables, who);
	}
}

/* what the analysis of a SECURITY DEFINER function's queries looks for */
typedef struct DefinerWalk
{
	AmRlsRun   *run;
	Oid			fnowner;
	AmRlsTableInfo *table;		/* the first per-user table read unfiltered */
	bool		by_param;		/* ... in a query the caller's arguments filter */
	bool		aggregate;		/* ... in a query that only aggregates */
} DefinerWalk;

/* whether a tree holds a parameter of the function (the caller's argument) */
static bool
param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXTERN)
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, param_walker, context, 0);
	return expression_tree_walker(node, param_walker, context);
}

/*
 * owner_bypasses
 *		Whether role runs past table t's policies: a superuser, BYPASSRLS,
 *		or (without FORCE ROW LEVEL SECURITY) the table's owner.
 */
static bool
owner_bypasses(Oid role, AmRlsTableInfo *t)
{
	return superuser_arg(role) || has_bypassrls_privilege(role) ||
		(!t->force && has_privs_of_role(role, t->owner));
}

/*
 * outside_table
 *		A table with row level security outside the checked schemas that a
 *		definer function reads: per-user when it has a user_id column.  A
 *		minimal AmRlsTableInfo for the analysis, or NULL.
 */
static AmRlsTableInfo *
outside_table(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class c;
	AmRlsTableInfo *t = NULL;
	AttrNumber	attnum;

	if (!HeapTupleIsValid(tup))
		return NULL;
	c = (Form_pg_class) GETSTRUCT(tup);
	attnum = get_attnum(relid, "user_id");
	if (c->relrowsecurity && (c->relkind == RELKIND_RELATION ||
							  c->relkind == RELKIND_PARTITIONED_TABLE) &&
		attnum != InvalidAttrNumber)
	{
		t = palloc0(sizeof(AmRlsTableInfo));
		t->relid = relid;
		t->nspname = get_namespace_name(c->relnamespace);
		t->relname = pstrdup(NameStr(c->relname));
		t->qualname = quote_qualified_identifier(t->nspname, t->relname);
		t->force = c->relforcerowsecurity;
		t->owner = c->relowner;
		t->nowner = 1;
		t->owner_attnums = palloc(sizeof(int16));
		t->owner_attnums[0] = attnum;
		t->owner_names = palloc(sizeof(char *));
		t->owner_names[0] = pstrdup("user_id");
	}
	ReleaseSysCache(tup);
	return t;
}

/*
 * upsert_keeps_own_row
 *		INSERT ... ON CONFLICT DO UPDATE on a per-user table overwrites the
 *		row it conflicts with: the caller's only when its DO UPDATE WHERE
 *		pins the owner column to auth.uid(), or when the row inserted has
 *		the caller as owner and the conflict is on a unique index that
 *		holds the owner column (the conflicting row then has that owner).
 */
static bool
upsert_keeps_own_row(AmRlsRun *run, Query *q, AmRlsTableInfo *t)
{
	OnConflictExpr *oc = q->onConflict;
	ListCell   *lc;
	bool		own_value = false;
	int			i;

	if (oc->onConflictWhere &&
		am_rls_filters_rows_of(run->fns, t,
							   makeFromExpr(NIL, oc->onConflictWhere), q->resultRelation))
		return true;
	foreach(lc, q->targetList)
	{
		TargetEntry *te = (TargetEntry *) lfirst(lc);

		for (i = 0; i < t->nowner; i++)
			if (te->resno == t->owner_attnums[i] && am_rls_is_uid(run->fns, (Node *) te->expr))
				own_value = true;
	}
	if (!own_value)
		return false;
	/* ON CONFLICT (cols): one of them an owner column */
	foreach(lc, oc->arbiterElems)
	{
		InferenceElem *ie = (InferenceElem *) lfirst(lc);

		if (ie->expr && IsA(ie->expr, Var))
			for (i = 0; i < t->nowner; i++)
				if (((Var *) ie->expr)->varattno == t->owner_attnums[i])
					return true;
	}
	/* ON CONFLICT ON CONSTRAINT c: its columns */
	if (OidIsValid(oc->constraint))
	{
		HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(oc->constraint));
		bool		holds = false;

		if (HeapTupleIsValid(tup))
		{
			bool		isnull;
			Datum		d = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conkey, &isnull);

			if (!isnull)
			{
				ArrayType  *arr = DatumGetArrayTypeP(d);
				int16	   *keys = (int16 *) ARR_DATA_PTR(arr);
				int			k;

				for (k = 0; k < ARR_DIMS(arr)[0]; k++)
					for (i = 0; i < t->nowner; i++)
						if (keys[k] == t->owner_attnums[i])
							holds = true;
			}
			ReleaseSysCache(tup);
		}
		if (holds)
			return true;
	}
	return false;
}

/*
 * definer_walker
 *		Every query of a definer body, subqueries and CTEs included: a range
 *		table entry of a per-user table the owner runs past the policies of,
 *		whose rows the query does not keep to the caller's
 *		(am_rls_filters_rows_of()), is reported; the caller's arguments
 *		anywhere in the query (a WHERE, a CTE, a VALUES list) make it an
 *		error.  An INSERT writes rows, not reads them, unless ON CONFLICT
 *		DO UPDATE overwrites an existing row.
 */
static bool
definer_walker(Node *node, DefinerWalk *w)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;
		int			varno = 0;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);
			AmRlsTableEntry *e;
			AmRlsTableInfo *t;
			bool		upsert;

			varno++;
			if (rte->rtekind != RTE_RELATION || w->table != NULL)
				continue;
			e = hash_search(w->run->tables, &rte->relid, HASH_FIND, NULL);
			t = e ? e->table : outside_table(rte->relid);
			if (t == NULL || t->nowner == 0 || !owner_bypasses(w->fnowner, t))
				continue;
			upsert = q->commandType == CMD_INSERT && varno == q->resultRelation &&
				q->onConflict != NULL && q->onConflict->action == ONCONFLICT_UPDATE;
			if (q->commandType == CMD_INSERT && q->onConflict != NULL &&
				varno == q->onConflict->exclRelIndex)
				continue;		/* EXCLUDED: the row being inserted */
			if (q->commandType == CMD_INSERT && varno == q->resultRelation &&
				(!upsert || upsert_keeps_own_row(w->run, q, t)))
				continue;		/* what an INSERT writes is not read here */
			if (!upsert && q->jointree &&
				am_rls_filters_rows_of(w->run->fns, t, q->jointree, varno))
				continue;
			w->table = t;
			w->by_param = param_walker((Node *) q, NULL);
			w->aggregate = q->hasAggs && q->groupClause == NIL;
		}
		return query_tree_walker(q, definer_walker, (void *) w, 0);
	}
	return expression_tree_walker(node, definer_walker, (void *) w);
}

/*
 * function_search_path
 *		The search_path a function sets for itself (SET search_path = ...),
 *		or NULL.
 */
static char *
function_search_path(HeapTuple tup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proconfig, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *item = nulls[i] ? NULL : TextDatumGetCString(elems[i]);

		if (item && strncmp(item, "search_path=", 12) == 0)
			return pstrdup(item + 12);
	}
	return NULL;
}

/*
 * am_rls_sql_body_queries
 *		The analysed queries of SQL function fn: its BEGIN ATOMIC body as
 *		stored, or its source parsed and analysed (never run), NIL when it
 *		cannot be analysed.
 *
 * Parse analysis can run code: a literal cast to a domain runs the domain's
 * CHECK, which can call any function.  So it runs as the function's owner
 * (whose code it is, and who could run it anyway) under
 * SECURITY_RESTRICTED_OPERATION, with the function's own search_path, in a
 * subtransaction that is always rolled back: nothing it does stays, and
 * nothing runs with the rights of the role calling check_rls().
 */
List *
am_rls_sql_body_queries(Oid fn)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	List	   *volatile queries = NIL;
	Oid			save_userid;
	int			save_sec_context;
	Oid			fnowner;
	char	   *path;
	List	   *held;
	bool		isnull;
	Datum		d;

	if (!HeapTupleIsValid(tup))
		return NIL;
	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
	{
		Node	   *n = stringToNode(TextDatumGetCString(d));

		ReleaseSysCache(tup);
		return list_make1(n);
	}
	fnowner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	path = function_search_path(tup);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	held = am_rls_advisory_held();
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		char	   *src = TextDatumGetCString(SysCacheGetAttr(PROCOID, tup,
															  Anum_pg_proc_prosrc,
															  &isnull));
		SQLFunctionParseInfoPtr pinfo = prepare_sql_fn_parse_info(tup, NULL, InvalidOid);
		ListCell   *lc;

		/* without its own, the path its callers usually have */
		(void) set_config_option("search_path", path ? path : "\"$user\", public",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
		SetUserIdAndSecContext(fnowner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		foreach(lc, pg_parse_query(src))
			queries = lappend(queries,
							  parse_analyze_withcb(lfirst_node(RawStmt, lc), src,
												   (ParserSetupHook) sql_fn_parser_setup,
												   pinfo, NULL));
		SetUserIdAndSecContext(save_userid, save_sec_context);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		SetUserIdAndSecContext(save_userid, save_sec_context);
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		queries = NIL;
	}
	PG_END_TRY();
	/* session advisory locks outlive the rollback: what the analysis took goes */
	am_rls_advisory_release_new(held);
	ReleaseSysCache(tup);
	return queries;
}

/*
 * check_definer_reads
 *		A SECURITY DEFINER function in SQL that anon or authenticated can
 *		execute, and that reads (or updates, or deletes) rows of a per-user
 *		table it runs past the policies of, without comparing anything with
 *		auth.uid(): definer_reads_user_rows.  An error when the caller's
 *		arguments choose the rows (user B passes user A's id), a warning
 *		when it reads every row (a deliberate publication, or an
 *		aggregate), info when the caller's allow_definer lists it.
 */
static void
check_definer_reads(AmRlsRun *run, Oid fnoid, Oid fnowner, const char *fn,
					bool allowed)
{
	DefinerWalk w;
	ListCell   *lc;

	List	   *queries = am_rls_sql_body_queries(fnoid);

	memset(&w, 0, sizeof(w));
	w.run = run;
	w.fnowner = fnowner;
	if (queries == NIL)
	{
		am_rls_add_finding(run, "info", "definer_not_verified", fn,
						   "Check that its body parses and runs for its owner with its own search_path; SET search_path on the function makes it analysable.",
						   "SECURITY DEFINER function %s could not be analysed: the rows it reads were not checked",
						   fn);
		return;
	}
	foreach(lc, queries)
		(void) definer_walker((Node *) lfirst(lc), &w);
	if (w.table == NULL)
		return;
	/* the caller's arguments anywhere in the body choose what it reads */
	foreach(lc, queries)
		if (param_walker((Node *) lfirst(lc), NULL))
			w.by_param = true;
	if (w.by_param)
		am_rls_add_finding(run, allowed ? "info" : "error", "definer_reads_user_rows", fn,
						   psprintf("Filter by the caller in the function (AND %s = (select auth.uid())), or make it SECURITY INVOKER so that the policies of %s apply.",
									quote_identifier(w.table->owner_names[0]), w.table->qualname),
						   "SECURITY DEFINER function %s reaches rows of table \"%s\", which holds per-user rows, chosen by its arguments and not filtered by auth.uid(): a user can pass another user's ids",
						   fn, w.table->qualname);
	else
		am_rls_add_finding(run, allowed ? "info" : "warning", "definer_reads_user_rows", fn,
						   psprintf("Nothing to do if every user's rows are meant to be %s; otherwise filter by the caller (%s = (select auth.uid())).",
									w.aggregate ? "counted" : "shown",
									quote_identifier(w.table->owner_names[0])),
						   "SECURITY DEFINER function %s reads every row of table \"%s\", which holds per-user rows, past its policies",
						   fn, w.table->qualname);
}

/*
 * am_rls_check_functions
 *		SECURITY DEFINER functions of the checked schemas: search_path not
 *		pinned (definer_search_path), or executable by anon or PUBLIC
 *		without being on the caller's allow-list (definer_public_execute).
 *		An allow-list entry matches the function's name, schema.name, or
 *		schema.name(argument types).
 */
void
am_rls_check_functions(AmRlsRun *run, Datum schemas, Datum allow, bool allow_null)
{
	static const char *sql =
	"SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,"
	"                         pg_catalog.oidvectortypes(p.proargtypes)),"
	"       NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) g"
	"                    WHERE g LIKE 'search_path=%'),"
	"       EXISTS (SELECT 1 FROM pg_catalog.aclexplode(coalesce(p.proacl,"
	"                      pg_catalog.acldefault('f', p.proowner))) x"
	"                WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'),"
	"       CASE WHEN $2 = 0 THEN false"
	"            ELSE pg_catalog.has_function_privilege($2, p.oid, 'EXECUTE') END,"
	"       coalesce(p.proname::text = ANY ($3)"
	"             OR (n.nspname || '.' || p.proname) = ANY ($3)"
	"             OR pg_catalog.format('%I.%I', n.nspname, p.proname) = ANY ($3)"
	"             OR pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,"
	"                   pg_catalog.oidvectortypes(p.proargtypes)) = ANY ($3)"
	"             OR p.oid::pg_catalog.regprocedure::text = ANY ($3), false),"
	"       p.oid, p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'sql'),"
	"       CASE WHEN $4 = 0 THEN false"
	"            ELSE pg_catalog.has_function_privilege($4, p.oid, 'EXECUTE') END,"
	"       p.proowner"
	"  FROM pg_catalog.pg_proc p"
	"  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
	" WHERE p.prosecdef AND n.nspname = ANY ($1)"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"                     JOIN pg_catalog.pg_extension x ON x.oid = e.refobjid"
	"                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
	"                      AND e.objid = p.oid AND e.deptype = 'e'"
	"                      AND e.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass"
	/* a superuser's extension, or its script's objects: not what a migrator added */
	"                      AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles su"
	"                                   WHERE su.rolsuper AND su.oid IN (x.extowner, p.proowner)))"
	" ORDER BY n.nspname, p.proname, 1";
	Oid			argtypes[4] = {NAMEARRAYOID, OIDOID, TEXTARRAYOID, OIDOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', allow_null ? 'n' : ' ', ' '};
	List	   *sqlfns = NIL;
	List	   *sqlowners = NIL;
	List	   *sqlnames = NIL;
	List	   *sqlallowed = NIL;
	ListCell   *lc1,
			   *lc2,
			   *lc3,
			   *lc4;
	uint64		i;

	values[0] = schemas;
	values[1] = ObjectIdGetDatum(run->anon);
	values[2] = allow;
	values[3] = ObjectIdGetDatum(run->authenticated);
	if (SPI_execute_with_args(sql, 4, argtypes, values, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the functions of the checked schemas");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *fn = am_rls_spi_str(tup, 1);
		bool		public_exec = am_rls_spi_bool(tup, 3);
		bool		anon_exec = am_rls_spi_bool(tup, 4);

		if (am_rls_spi_bool(tup, 2))
			am_rls_add_finding(run, "warning", "definer_search_path", fn,
							   psprintf("ALTER FUNCTION %s SET search_path = '';  (and schema-qualify every name in its body)", fn),
							   "SECURITY DEFINER function %s does not pin search_path, so a caller can make it resolve names to objects of the caller's choosing",
							   fn);
		if ((public_exec || anon_exec) && !am_rls_spi_bool(tup, 5))
			am_rls_add_finding(run, "warning", "definer_public_execute", fn,
							   psprintf("REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC%s; if anonymous callers are intended, pass it in allow_definer.",
										fn, OidIsValid(run->anon) ? ", anon" : ""),
							   "SECURITY DEFINER function %s can be executed by %s and runs with its owner's rights",
							   fn, public_exec ? "PUBLIC" : "anon");
		if (am_rls_spi_bool(tup, 5))
		{
			bool		isnull;
			MemoryContext old = MemoryContextSwitchTo(run->cxt);

			run->allowed_definers =
				lappend_oid(run->allowed_definers,
							DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull)));
			MemoryContextSwitchTo(old);
		}
		if ((public_exec || anon_exec || am_rls_spi_bool(tup, 8)) && am_rls_spi_bool(tup, 7))
		{
			bool		isnull;
			MemoryContext old = MemoryContextSwitchTo(run->cxt);

			sqlfns = lappend_oid(sqlfns,
								 DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull)));
			sqlowners = lappend_oid(sqlowners,
									DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 9, &isnull)));
			sqlnames = lappend(sqlnames, pstrdup(fn));
			sqlallowed = lappend_int(sqlallowed, am_rls_spi_bool(tup, 5));
			MemoryContextSwitchTo(old);
		}
	}

	/* the analysis looks tables up by what the body reads: all of them */
	if (run->only != (Datum) 0 && sqlfns != NIL)
	{
		run->incomplete = true;
		return;
	}

	/* after the loop: the analysis runs queries of its own */
	forfour(lc1, sqlfns, lc2, sqlnames, lc3, sqlallowed, lc4, sqlowners)
		check_definer_reads(run, lfirst_oid(lc1), lfirst_oid(lc4), (char *) lfirst(lc2),
							lfirst_int(lc3));
}
