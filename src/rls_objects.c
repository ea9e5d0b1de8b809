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

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "rls.h"

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
	"  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.relrowsecurity"
	"  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace"
	" WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm')"
	"   AND NOT coalesce((SELECT o.option_value::bool"
	"                       FROM pg_catalog.pg_options_to_table(c.reloptions) o"
	"                      WHERE o.option_name = 'security_invoker'), false)"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"                    WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"                      AND e.objid = c.oid AND e.deptype = 'e')"
	" GROUP BY c.oid, n.nspname, c.relname, c.relkind"
	" ORDER BY n.nspname, c.relname";
	Oid			argtypes[3] = {NAMEARRAYOID, OIDOID, OIDOID};
	Datum		values[3];
	uint64		i;

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
							   "materialized view \"%s\" holds a copy of rows of tables with row level security (%s), and %s can select from it",
							   view, tables, who);
		else
			am_rls_add_finding(run, "error", "view_bypasses_rls", view,
							   psprintf("ALTER VIEW %s SET (security_invoker = true);", view),
							   "view \"%s\" reads tables with row level security (%s) with its owner's rights, and %s can select from it",
							   view, tables, who);
	}
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
	"             OR p.oid::pg_catalog.regprocedure::text = ANY ($3), false)"
	"  FROM pg_catalog.pg_proc p"
	"  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
	" WHERE p.prosecdef AND n.nspname = ANY ($1)"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
	"                      AND e.objid = p.oid AND e.deptype = 'e')"
	" ORDER BY n.nspname, p.proname, 1";
	Oid			argtypes[3] = {NAMEARRAYOID, OIDOID, TEXTARRAYOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', allow_null ? 'n' : ' '};
	uint64		i;

	values[0] = schemas;
	values[1] = ObjectIdGetDatum(run->anon);
	values[2] = allow;
	if (SPI_execute_with_args(sql, 3, argtypes, values, nulls, true, 0) != SPI_OK_SELECT)
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
	}
}
