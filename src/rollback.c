/*-------------------------------------------------------------------------
 *
 * rollback.c
 *	  rollback() and reset(): taking migrations back, in development only.
 *
 * rollback(target) runs the down SQL of every applied migration after
 * target, last applied first, in the caller's transaction, each in its own
 * subtransaction like apply(); it refuses up front, listing them, when one
 * has no down SQL.  reset() is the in-database "supabase db reset": it
 * takes every applied migration back (with its down SQL, or by dropping
 * what the DDL recorder saw it create when it has none) and applies
 * everything again.  Outside development both refuse with a hint: there,
 * a change is undone by a new migration.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rollback.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "apply.h"
#include "settings.h"
#include "authority.h"
#include "owner.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(aura_migrate_rollback);
PG_FUNCTION_INFO_V1(aura_migrate_reset);

/* object types whose recorded identity a DROP statement accepts */
static const char *const droppable_types =
"'table', 'view', 'materialized view', 'index', 'sequence', 'function', "
"'procedure', 'aggregate', 'type', 'domain', 'schema', 'policy', 'trigger', "
"'rule', 'foreign table'";

/*
 * require_development
 *		rollback() and reset() run only in development.
 */
static void
require_development(const char *what)
{
	if (am_effective_environment() != AM_ENV_DEVELOPMENT)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("aura_migrate.%s() is allowed only in development", what),
				 errdetail("aura_migrate.environment is \"%s\".", am_environment_name()),
				 errhint("Outside development, undo a change with a new migration that reverses it.")));
}

/*
 * load_applied
 *		The migrations applied after target (all of them when all is set,
 *		the last applied alone when target is NULL), last applied first, in
 *		the order they were applied (run, then time), not by version: a
 *		teammate's older version applied last is taken back first.  With
 *		their down SQL; when
 *		synthesize is set, a migration without down SQL gets DROP statements
 *		for the objects the DDL recorder saw it create, as long as each is
 *		the very object it created (not dropped since, its OID still there,
 *		of the same type), under its name of now (a later migration may have
 *		renamed it): a namesake made later by someone else is left alone.
 *		A sequence a column owns goes with its table.  The DROPs run as the migration's SQL did, bounded by
 *		the role that registered it (am_choose_executor()).
 */
static void
load_applied(AmRun *run, const char *target, bool all, bool synthesize)
{
	Oid			argtypes[3] = {TEXTOID, BOOLOID, BOOLOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	MemoryContext oldcxt;
	uint64		i;

	values[0] = target ? CStringGetTextDatum(target) : (Datum) 0;
	nulls[0] = target ? ' ' : 'n';
	values[1] = BoolGetDatum(synthesize);
	values[2] = BoolGetDatum(all);

	if (am_spi_owner(psprintf("SELECT h.version, h.name, coalesce(m.down_sql, "
							  "  CASE WHEN $2 THEN coalesce((SELECT pg_catalog.string_agg("
							  "    pg_catalog.format('DROP %%s IF EXISTS %%s CASCADE;', "
							  "      pg_catalog.upper(c.object_type), "
							  "      (pg_catalog.pg_identify_object(c.classid, c.objid, 0)).identity), "
							  "    E'\\n' ORDER BY c.id DESC) "
							  "    FROM aura_migrate.object_change c "
							  "    WHERE c.version = h.version AND c.run_id = h.run_id "
							  "    AND c.action = 'created' AND c.objsubid = 0 "
							  "    AND c.object_type IN (%s) "
							  "    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k "
							  "                    WHERE k.conindid = c.objid) "
							  /* only the very object it created: not dropped since, same identity */
							  "    AND NOT EXISTS (SELECT 1 FROM aura_migrate.object_change d "
							  "                    WHERE d.action = 'dropped' AND d.classid = c.classid "
							  "                    AND d.objid = c.objid AND d.id > c.id) "
							  "    AND (pg_catalog.pg_identify_object(c.classid, c.objid, 0)).type "
							  "        = c.object_type "
							  /* a column's sequence goes with its table */
							  "    AND NOT (c.object_type = 'sequence' AND EXISTS (SELECT 1 "
							  "      FROM pg_catalog.pg_depend dp "
							  "      WHERE dp.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "      AND dp.objid = c.objid AND dp.refobjsubid > 0 "
							  "      AND dp.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "      AND dp.deptype IN ('a', 'i')))), "
							  "    'SELECT 1;') END), "
							  "  h.statements, m.source, coalesce(m.registered_by, h.registered_by), m.down_sql IS NULL "
							  "FROM aura_migrate.history h "
							  "LEFT JOIN aura_migrate.migration m ON m.version = h.version "
							  "WHERE CASE WHEN $3 THEN true "
							  "  WHEN $1 IS NULL THEN h.version = (SELECT l.version "
							  "    FROM aura_migrate.history l "
							  "    ORDER BY l.run_id DESC, l.applied_at DESC, l.version DESC LIMIT 1) "
							  "  ELSE (h.run_id, h.applied_at, h.version) > (SELECT t.run_id, "
							  "    t.applied_at, t.version FROM aura_migrate.history t "
							  "    WHERE t.version = $1) END "
							  "ORDER BY h.run_id DESC, h.applied_at DESC, h.version DESC",
							  droppable_types),
					 3, argtypes, values, nulls, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the applied migrations");

	oldcxt = MemoryContextSwitchTo(run->cxt);
	run->npending = (int) SPI_processed;
	run->pending = palloc0(sizeof(AmMigration) * Max(run->npending, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		AmMigration *m = &run->pending[i];
		bool		isnull;

		m->version = SPI_getvalue(tup, td, 1);
		m->name = SPI_getvalue(tup, td, 2);
		m->down_sql = SPI_getvalue(tup, td, 3);
		m->statements = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
		m->source = SPI_getvalue(tup, td, 5);
		m->registered_by = SPI_getvalue(tup, td, 6);
		m->synthesized = DatumGetBool(SPI_getbinval(tup, td, 7, &isnull));
	}
	MemoryContextSwitchTo(oldcxt);

	/* who each runs as: never more privileged than who wrote its down SQL */
	for (i = 0; i < (uint64) run->npending; i++)
	{
		AmMigration *m = &run->pending[i];

		if (m->down_sql == NULL)
			continue;			/* rollback() refuses it below */
		am_choose_executor(m, !m->synthesized && m->source != NULL &&
						   strcmp(m->source, "bundled") == 0 &&
						   am_sql_is_shipped(m->version, m->down_sql));
	}
}

/*
 * aura_migrate_rollback
 *		SQL: aura_migrate.rollback(target text DEFAULT NULL)
 *			 RETURNS TABLE (version text, name text, status text,
 *							duration_ms double precision, statements integer)
 *
 * Development only.  Runs the down SQL of every applied migration after
 * target (the last applied alone when target is NULL), last applied first, in the
 * caller's transaction; target itself stays applied.  EXECUTE is revoked
 * from PUBLIC.
 */
Datum
aura_migrate_rollback(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = NULL;
	AmRun		run;
	StringInfoData missing;
	int			nmissing = 0;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	require_development("rollback");
	am_require_read_committed("rollback");
	if (!PG_ARGISNULL(0))
	{
		target = text_to_cstring(PG_GETARG_TEXT_PP(0));
		am_check_version(target, "target");
	}

	am_start_run(&run, CurrentMemoryContext, false);
	run.down = true;
	am_lock_registry();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (target != NULL)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		values[1];
		bool		isnull;

		values[0] = CStringGetTextDatum(target);
		if (am_spi_owner("SELECT EXISTS (SELECT 1 FROM aura_migrate.history WHERE version = $1), "
						 "EXISTS (SELECT 1 FROM aura_migrate.migration WHERE version = $1)",
						 1, argtypes, values, NULL, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not look up target %s", target);
		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			ereport(ERROR,
					(errcode(DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) ?
							 ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE : ERRCODE_UNDEFINED_OBJECT),
					 errmsg("migration %s is not applied", target),
					 errhint("rollback(target) takes back the migrations applied after target; target must be applied.")));
	}

	load_applied(&run, target, false, false);
	if (run.npending == 0)
	{
		ereport(NOTICE, (errmsg("nothing to roll back")));
		SPI_finish();
		return (Datum) 0;
	}

	initStringInfo(&missing);
	for (i = 0; i < run.npending; i++)
		if (run.pending[i].down_sql == NULL)
			appendStringInfo(&missing, "%s%s (%s)", nmissing++ ? ", " : "",
							 run.pending[i].version, run.pending[i].name);
	if (nmissing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_plural("cannot roll back: %d migration has no down SQL",
							   "cannot roll back: %d migrations have no down SQL",
							   nmissing, nmissing),
				 errdetail("Without down SQL: %s.  Nothing was rolled back.", missing.data),
				 errhint("Register down SQL with the migration (a file NAME.down.sql beside its NAME.sql), or use aura_migrate.reset().")));

	run.run_id = am_next_run_id();
	am_run_all(&run, rsinfo);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return (Datum) 0;
}

/*
 * aura_migrate_reset
 *		SQL: aura_migrate.reset()
 *			 RETURNS TABLE (version text, name text, status text,
 *							duration_ms double precision, statements integer)
 *
 * Development only.  Takes every applied migration back, last applied first,
 * with its down SQL or, when it has none, by dropping what it created;
 * then applies every pending migration.  One row per migration taken back
 * and per migration applied.  EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_reset(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AmRun		back;
	AmRun		forward;

	InitMaterializedSRF(fcinfo, 0);
	require_development("reset");
	am_require_read_committed("reset");

	am_start_run(&back, CurrentMemoryContext, false);
	back.down = true;
	am_lock_registry();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	load_applied(&back, NULL, true, true);
	back.run_id = am_next_run_id();
	am_run_all(&back, rsinfo);

	am_start_run(&forward, CurrentMemoryContext, false);
	forward.run_id = back.run_id;
	if (am_prepare_run(&forward, NULL))
		am_run_all(&forward, rsinfo);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	return (Datum) 0;
}
