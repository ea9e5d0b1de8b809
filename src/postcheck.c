/*-------------------------------------------------------------------------
 *
 * postcheck.c
 *	  The checks after each migration, inside its subtransaction.
 *
 * am_post_check() reads back what the DDL recorder saw a migration create:
 * every object still exists, no index is invalid, and, outside development,
 * every new table in a checked schema has row level security (unless the
 * migration acknowledged it: "-- aura:allow table_without_rls").  A failure
 * rolls the migration back; the run records it as check_failed.  (The row
 * level security gate, rls_gate.c, runs right after.)  When extension
 * plpgsql_check is installed in the database, every PL/pgSQL function the
 * migration created or replaced is checked with it: its errors fail the
 * migration, its warnings are reported.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/postcheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "owner.h"
#include "postcheck.h"
#include "run.h"
#include "settings.h"

/*
 * plpgsql_check_schema
 *		The schema of extension plpgsql_check in this database, or NULL.
 */
static char *
plpgsql_check_schema(void)
{
	if (!OidIsValid(get_extension_oid("plpgsql_check", true)))
		return NULL;
	/* as the extension's owner, with search_path pinned (am_spi_owner) */
	if (am_spi_owner("SELECT n.nspname::pg_catalog.text FROM pg_catalog.pg_extension e "
					 "JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace "
					 "WHERE e.extname = 'plpgsql_check'", 0, NULL, NULL, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up extension plpgsql_check");
	return SPI_processed == 1 ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : NULL;
}

/*
 * check_one_function
 *		plpgsql_check_function_tb() on one function (with its first
 *		trigger's table for a trigger function), as the function's owner
 *		under SECURITY_RESTRICTED_OPERATION, in a subtransaction always
 *		rolled back: an error of plpgsql_check itself is reported as a
 *		warning, not taken for an error of the function.  Returns the first
 *		error-level finding as "line N: message", or NULL; warnings are
 *		reported as WARNING.
 */
static char *
check_one_function(const char *version, const char *schema, Oid fn, const char *fname,
				   Oid trigrel, Oid fnowner)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile error = NULL;
	Oid			save_userid;
	int			save_sec_context;
	char	   *sql = psprintf("SELECT r.lineno, r.level, r.message, r.sqlstate "
							   "FROM %s.plpgsql_check_function_tb($1, $2) r",
							   quote_identifier(schema));

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		Oid			argtypes[2] = {REGPROCEDUREOID, REGCLASSOID};
		Datum		values[2] = {ObjectIdGetDatum(fn), ObjectIdGetDatum(trigrel)};
		uint64		i;

		/*
		 * Planning the function's queries folds IMMUTABLE calls, which runs
		 * them: as the function's owner, whose code it is, restricted.
		 */
		SetUserIdAndSecContext(fnowner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		if (SPI_execute_with_args(sql, 2, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "plpgsql_check_function_tb failed");
		SetUserIdAndSecContext(save_userid, save_sec_context);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			char	   *line = SPI_getvalue(tup, td, 1);
			char	   *level = SPI_getvalue(tup, td, 2);
			char	   *message = SPI_getvalue(tup, td, 3);

			if (level && strcmp(level, "error") == 0)
			{
				if (error == NULL)
					error = MemoryContextStrdup(oldcxt,
												psprintf("line %s: %s", line ? line : "?",
														 message ? message : ""));
			}
			else if (level && strcmp(level, "warning") == 0)
				ereport(WARNING,
						(errmsg("plpgsql_check: function %s, line %s: %s", fname,
								line ? line : "?", message ? message : ""),
						 errdetail("Migration %s created or replaced the function.", version)));
		}
		/* nothing the check did stays */
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
		ereport(WARNING,
				(errmsg("plpgsql_check could not check function %s", fname),
				 errdetail("It failed with SQLSTATE %s.", unpack_sql_state(edata->sqlerrcode))));
	}
	PG_END_TRY();
	return error;
}

/*
 * check_plpgsql_functions
 *		With plpgsql_check installed, every PL/pgSQL function the migration
 *		created or replaced (and that still exists), and every trigger
 *		function a trigger it created calls, is checked; the first error
 *		fails the migration.  A trigger function not yet attached to a table
 *		cannot be checked and is skipped (until a migration attaches it).
 *		changes are what the DDL recorder saw the migration do.
 */
static void
check_plpgsql_functions(const char *version, List *changes)
{
	char	   *schema = plpgsql_check_schema();
	Oid			argtypes[2] = {OIDARRAYOID, OIDARRAYOID};
	Datum		values[2];
	Datum	   *procs;
	Datum	   *triggers;
	int			nprocs = 0;
	int			ntriggers = 0;
	ListCell   *lc;
	int			n;
	Oid		   *fns;
	Oid		   *rels;
	Oid		   *owners;
	char	  **names;
	int			i;

	if (schema == NULL)
		return;
	procs = palloc(sizeof(Datum) * Max(list_length(changes), 1));
	triggers = palloc(sizeof(Datum) * Max(list_length(changes), 1));
	foreach(lc, changes)
	{
		AmChange   *c = (AmChange *) lfirst(lc);

		if (c->classid == ProcedureRelationId && (c->action == 'c' || c->action == 'a'))
			procs[nprocs++] = ObjectIdGetDatum(c->objid);
		else if (c->classid == TriggerRelationId && c->action == 'c')
			triggers[ntriggers++] = ObjectIdGetDatum(c->objid);
	}
	if (nprocs == 0 && ntriggers == 0)
		return;
	values[0] = PointerGetDatum(construct_array(procs, nprocs, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(triggers, ntriggers, OIDOID, sizeof(Oid),
												true, TYPALIGN_INT));
	if (am_spi_owner("SELECT p.oid, p.oid::pg_catalog.regprocedure::pg_catalog.text, "
					 "  p.proowner, "
					 "  coalesce((SELECT t.tgrelid FROM pg_catalog.pg_trigger t "
					 "            WHERE t.tgfoid = p.oid ORDER BY t.oid LIMIT 1), 0), "
					 "  p.prorettype IN ('pg_catalog.trigger'::pg_catalog.regtype, "
					 "                   'pg_catalog.event_trigger'::pg_catalog.regtype) "
					 "FROM pg_catalog.pg_proc p "
					 "JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
					 "WHERE l.lanname = 'plpgsql' AND (p.oid = ANY ($1) "
					 /* a trigger function an earlier migration made, attached by this one */
					 "  OR p.oid IN (SELECT t.tgfoid FROM pg_catalog.pg_trigger t "
					 "                WHERE t.oid = ANY ($2))) "
					 "ORDER BY 2",
					 2, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the functions migration %s created", version);

	n = (int) SPI_processed;
	fns = palloc(sizeof(Oid) * Max(n, 1));
	rels = palloc(sizeof(Oid) * Max(n, 1));
	owners = palloc(sizeof(Oid) * Max(n, 1));
	names = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		bool		is_trigger;

		fns[i] = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		names[i] = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);
		owners[i] = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull));
		rels[i] = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 4, &isnull));
		is_trigger = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 5, &isnull));
		if (is_trigger && !OidIsValid(rels[i]))
			fns[i] = InvalidOid;	/* no table to check it against yet */
	}
	for (i = 0; i < n; i++)
	{
		char	   *error;

		if (!OidIsValid(fns[i]))
			continue;
		error = check_one_function(version, schema, fns[i], names[i], rels[i], owners[i]);
		if (error != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("post-migration check failed: function %s does not pass plpgsql_check", names[i]),
					 errdetail("Migration %s created, replaced or attached it; plpgsql_check reports at %s.", version, error),
					 errhint("Fix the function body; SELECT * FROM %s.plpgsql_check_function(%s) lists every problem.",
							 quote_identifier(schema), quote_literal_cstr(names[i]))));
	}
}

/*
 * dropped_later
 *		Whether changes records object (classid, objid) as dropped: the
 *		migration made it and took it away again.
 */
static bool
dropped_later(List *changes, Oid classid, Oid objid)
{
	ListCell   *lc;

	foreach(lc, changes)
	{
		AmChange   *d = (AmChange *) lfirst(lc);

		if (d->action == 'd' && d->classid == classid && d->objid == objid)
			return true;
	}
	return false;
}

/*
 * rls_allowed
 *		Whether migration version acknowledged table_without_rls on table
 *		identity at registration (an allowed lint finding).
 */
static bool
rls_allowed(const char *version, const char *identity)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(version);
	values[1] = CStringGetTextDatum(identity);
	if (am_spi_owner("SELECT 1 FROM aura_migrate.migration m, pg_catalog.unnest(m.findings) f "
					 "WHERE m.version = $1 AND f.code = 'table_without_rls' AND f.allowed "
					 "AND f.object = $2",
					 2, argtypes, values, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the findings of migration %s", version);
	return SPI_processed > 0;
}

/*
 * schema_checked
 *		Whether schema nsp is in checked, a name[] of the checked schemas.
 */
static bool
schema_checked(Oid nsp, ArrayType *checked)
{
	char	   *name = get_namespace_name(nsp);
	Datum	   *elems;
	int			n;
	int			i;

	if (name == NULL)
		return false;
	deconstruct_array(checked, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &elems, NULL, &n);
	for (i = 0; i < n; i++)
		if (strcmp(NameStr(*DatumGetName(elems[i])), name) == 0)
			return true;
	return false;
}

/*
 * am_post_check
 *		Check what one migration created, within its subtransaction: changes
 *		is what the DDL recorder wrote for it (kept by the recorder with the migration), in
 *		order.  Every object it created (and did not drop) still exists, an
 *		index it created is valid, and, outside development, a table it
 *		created in a checked schema has row level security unless the
 *		migration acknowledged table_without_rls.  Read through the catalog
 *		caches: this runs after every migration, and a query's cached plan
 *		would be made while the tables it reads are small.  Called connected
 *		to SPI.  Raises an error on the first failure.
 */
void
am_post_check(const char *version, int64 run_id, List *changes)
{
	bool		strict_rls = (am_effective_environment() != AM_ENV_DEVELOPMENT);
	ArrayType  *checked = NULL;
	ListCell   *lc;

	if (!am_record_ddl)
		return;

	foreach(lc, changes)
	{
		AmChange   *c = (AmChange *) lfirst(lc);
		ObjectAddress addr;
		HeapTuple	tup;

		if (c->action != 'c' || c->objsubid != 0 ||
			dropped_later(changes, c->classid, c->objid))
			continue;
		addr.classId = c->classid;
		addr.objectId = c->objid;
		addr.objectSubId = 0;
		/* a relation through the cache; anything else through its description */
		if (c->classid == RelationRelationId ?
			!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(c->objid)) :
			getObjectDescription(&addr, true) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("post-migration check failed: %s %s no longer exists",
							c->object_type, c->identity),
					 errdetail("Migration %s created it and it is gone when the migration ends.", version)));
		if (c->classid != RelationRelationId)
			continue;

		tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(c->objid));
		if (HeapTupleIsValid(tup))
		{
			bool		valid = ((Form_pg_index) GETSTRUCT(tup))->indisvalid;

			ReleaseSysCache(tup);
			if (!valid)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("post-migration check failed: index %s is invalid", c->identity),
						 errdetail("Migration %s created it; an invalid index is never used and still slows writes.", version),
						 errhint("Drop it and create it again.")));
		}

		if (!strict_rls)
			continue;
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(c->objid));
		if (HeapTupleIsValid(tup))
		{
			Form_pg_class rel = (Form_pg_class) GETSTRUCT(tup);
			bool		unprotected = (rel->relkind == RELKIND_RELATION ||
									   rel->relkind == RELKIND_PARTITIONED_TABLE) &&
				rel->relpersistence != RELPERSISTENCE_TEMP && !rel->relrowsecurity;
			Oid			nsp = rel->relnamespace;

			ReleaseSysCache(tup);
			if (!unprotected)
				continue;
			if (checked == NULL)
				checked = DatumGetArrayTypeP(am_checked_schemas_array());
			if (schema_checked(nsp, checked) && !rls_allowed(version, c->identity))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("post-migration check failed: table %s has no row level security", c->identity),
						 errdetail("Migration %s created it in a checked schema (aura_migrate.checked_schemas).", version),
						 errhint("Add ALTER TABLE %s ENABLE ROW LEVEL SECURITY to the migration.", c->identity)));
		}
	}

	check_plpgsql_functions(version, changes);
}

/*
 * am_post_check_recorded
 *		am_post_check() on the changes read back from
 *		aura_migrate.object_change: for a no-transaction migration, whose
 *		statements ran in a background worker.
 */
void
am_post_check_recorded(const char *version, int64 run_id)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		values[2];
	List	   *changes = NIL;
	uint64		i;

	values[0] = CStringGetTextDatum(version);
	values[1] = Int64GetDatum(run_id);
	if (am_spi_owner("SELECT action, classid, objid, objsubid, object_type, object_identity "
					 "FROM aura_migrate.object_change WHERE version = $1 AND run_id = $2 "
					 "ORDER BY id",
					 2, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read what migration %s changed", version);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		AmChange   *c = palloc(sizeof(AmChange));

		c->action = SPI_getvalue(tup, td, 1)[0];
		c->classid = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
		c->objid = DatumGetObjectId(SPI_getbinval(tup, td, 3, &isnull));
		c->objsubid = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
		c->object_type = SPI_getvalue(tup, td, 5);
		c->identity = SPI_getvalue(tup, td, 6);
		changes = lappend(changes, c);
	}
	am_post_check(version, run_id, changes);
}
