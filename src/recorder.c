/*-------------------------------------------------------------------------
 *
 * recorder.c
 *	  Recording what DDL changes.
 *
 * Two event triggers (ddl_command_end and sql_drop, created by the install
 * script) call aura_migrate_record_ddl(), which writes one row per object
 * into aura_migrate.object_change: inside a migration with its version and
 * run (run.c says which), outside with none, so that a report can say what
 * was changed outside migrations.  The rows are written inside the
 * migration's subtransaction, so a failed migration leaves none.  It writes
 * as the extension's owner: a role with no grant on the extension runs DDL
 * exactly as before.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/recorder.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rls.h"

#include "guard.h"
#include "owner.h"
#include "run.h"
#include "settings.h"

PG_FUNCTION_INFO_V1(aura_migrate_record_ddl);

static const char *const record_created_sql =
"INSERT INTO aura_migrate.object_change (version, run_id, action, command_tag, "
"object_type, schema_name, object_identity, classid, objid, objsubid, changed_by) "
"SELECT $1, $2, CASE WHEN c.command_tag LIKE 'CREATE %' THEN 'created' ELSE 'altered' END, "
"c.command_tag, c.object_type, c.schema_name, c.object_identity, "
"c.classid, c.objid, c.objsubid, $3 "
"FROM pg_catalog.pg_event_trigger_ddl_commands() c "
"WHERE NOT c.in_extension AND c.object_identity IS NOT NULL "
"AND c.schema_name IS DISTINCT FROM 'aura_migrate' "
"AND coalesce(c.schema_name, '') NOT LIKE 'pg\\_temp%' "
"RETURNING action, classid, objid, objsubid, object_type, object_identity";

static const char *const record_dropped_sql =
"INSERT INTO aura_migrate.object_change (version, run_id, action, command_tag, "
"object_type, schema_name, object_identity, classid, objid, objsubid, changed_by) "
"SELECT $1, $2, 'dropped', $4, d.object_type, d.schema_name, d.object_identity, "
"d.classid, d.objid, d.objsubid, $3 "
"FROM pg_catalog.pg_event_trigger_dropped_objects() d "
"WHERE (d.original OR d.normal) AND NOT d.is_temporary "
"AND d.schema_name IS DISTINCT FROM 'aura_migrate' "
"AND d.object_identity IS NOT NULL "
"RETURNING action, classid, objid, objsubid, object_type, object_identity";

/*
 * aura_migrate_record_ddl
 *		SQL: aura_migrate._record_ddl() RETURNS event_trigger
 *
 * Event trigger function for ddl_command_end and sql_drop.  It must never
 * break DDL: it writes only to the extension's own table, as its owner,
 * and does nothing while the extension itself is being created or
 * updated, or when aura_migrate.record_ddl is off.
 */
Datum
aura_migrate_record_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Oid			argtypes[4] = {TEXTOID, INT8OID, NAMEOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		dropping;
	bool		guard_was;
	const char *version;
	int			ret;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("aura_migrate._record_ddl() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;

	if (!am_record_ddl || creating_extension)
		PG_RETURN_VOID();

	/*
	 * pg_dump's and pg_restore's scripts run with row_security off: a
	 * restore's own DDL is not a change made outside migrations, and its
	 * rows would collide with the object_change rows it restores.
	 */
	version = am_run_current_version();
	if (version == NULL && !row_security)
		PG_RETURN_VOID();

	dropping = strcmp(trigdata->event, "sql_drop") == 0;

	values[0] = version ? CStringGetTextDatum(version) : (Datum) 0;
	nulls[0] = version ? ' ' : 'n';
	values[1] = Int64GetDatum(am_run_current_run_id());
	nulls[1] = version ? ' ' : 'n';
	values[2] = DirectFunctionCall1(namein,
									CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	values[3] = CStringGetTextDatum(GetCommandTagName(trigdata->tag));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	guard_was = am_guard_suspend();
	ret = am_spi_owner(dropping ? record_dropped_sql : record_created_sql,
					   dropping ? 4 : 3, argtypes, values, nulls, 0);
	am_guard_resume(guard_was);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not record DDL in aura_migrate.object_change");
	if (version != NULL)
	{
		uint64		i;

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;

			am_run_note_change(SPI_getvalue(tup, td, 1),
							   DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull)),
							   DatumGetObjectId(SPI_getbinval(tup, td, 3, &isnull)),
							   DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull)),
							   SPI_getvalue(tup, td, 5), SPI_getvalue(tup, td, 6));
		}
	}
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");

	PG_RETURN_VOID();
}
