/*-------------------------------------------------------------------------
 *
 * recorder.c
 *	  Recording what DDL changes.
 *
 * Two event triggers (ddl_command_end and sql_drop, created by the install
 * script) call aura_migrate_record_ddl(), which writes one row per object
 * into aura_migrate.object_change: inside a migration with its version and
 * run (run.c says which), outside with none, so that a report can say what
 * was changed outside migrations.  Inside a migration applied in this
 * backend the rows are kept in memory with the migration (its post-checks
 * read them there) and written by am_recorder_flush(), once for the block
 * of migrations apply() runs in one subtransaction (one migration for
 * migrate()); outside, each is written at once by a query.  Either way they
 * are written inside the migration's subtransaction, so a failed migration
 * leaves none, and as the extension's owner: a role with no grant on the
 * extension runs DDL exactly as before.
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
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/rls.h"

#include "guard.h"
#include "owner.h"
#include "recorder.h"
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
"AND coalesce(c.schema_name, '') NOT LIKE 'pg\\_temp%'";

static const char *const record_dropped_sql =
"INSERT INTO aura_migrate.object_change (version, run_id, action, command_tag, "
"object_type, schema_name, object_identity, classid, objid, objsubid, changed_by) "
"SELECT $1, $2, 'dropped', $4, d.object_type, d.schema_name, d.object_identity, "
"d.classid, d.objid, d.objsubid, $3 "
"FROM pg_catalog.pg_event_trigger_dropped_objects() d "
"WHERE (d.original OR d.normal) AND NOT d.is_temporary "
"AND d.schema_name IS DISTINCT FROM 'aura_migrate' "
"AND d.object_identity IS NOT NULL";

/*
 * column
 *		The number of column name in tupdesc; an error when it has none.
 */
static int
column(TupleDesc tupdesc, const char *name)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(tupdesc, i)->attname), name) == 0)
			return i + 1;
	elog(ERROR, "column \"%s\" not found in an event trigger function's result", name);
	return 0;					/* keep compiler quiet */
}

/* a text column of the current row, or NULL */
static char *
text_column(TupleTableSlot *slot, int attnum)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, attnum, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * collect_changes
 *		Inside a migration: read what the event trigger reports
 *		(pg_event_trigger_ddl_commands(), or pg_event_trigger_dropped_objects()
 *		for sql_drop), called directly rather than through a query, keep the
 *		rows recorded_sql would have written with the migration's changes
 *		(am_run_new_change()), and leave writing them to
 *		am_recorder_flush(), once per block of migrations.
 */
static void
collect_changes(bool dropping, const char *tag)
{
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	TupleTableSlot *slot;
	TupleDesc	tupdesc;
	TimestampTz now = GetCurrentTimestamp();
	char	   *changed_by = GetUserNameFromId(GetUserId(), false);
	int			c_classid,
				c_objid,
				c_objsubid,
				c_type,
				c_schema,
				c_identity,
				c_tag = 0,
				c_inext = 0,
				c_original = 0,
				c_normal = 0,
				c_temp = 0;
	LOCAL_FCINFO(fcinfo, 0);

	fmgr_info(dropping ? F_PG_EVENT_TRIGGER_DROPPED_OBJECTS : F_PG_EVENT_TRIGGER_DDL_COMMANDS,
			  &flinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = CreateStandaloneExprContext();
	rsinfo.allowedModes = (int) SFRM_Materialize;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);
	if (rsinfo.returnMode != SFRM_Materialize || rsinfo.setDesc == NULL)
		elog(ERROR, "event trigger function did not return a materialized set");

	tupdesc = rsinfo.setDesc;
	c_classid = column(tupdesc, "classid");
	c_objid = column(tupdesc, "objid");
	c_objsubid = column(tupdesc, "objsubid");
	c_type = column(tupdesc, "object_type");
	c_schema = column(tupdesc, "schema_name");
	c_identity = column(tupdesc, "object_identity");
	if (dropping)
	{
		c_original = column(tupdesc, "original");
		c_normal = column(tupdesc, "normal");
		c_temp = column(tupdesc, "is_temporary");
	}
	else
	{
		c_tag = column(tupdesc, "command_tag");
		c_inext = column(tupdesc, "in_extension");
	}

	if (rsinfo.setResult != NULL)
	{
		slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsMinimalTuple);
		while (tuplestore_gettupleslot(rsinfo.setResult, true, false, slot))
		{
			bool		isnull;
			char	   *schema = text_column(slot, c_schema);
			char	   *identity = text_column(slot, c_identity);
			char	   *command_tag;
			AmChange   *c;

			if (identity == NULL ||
				(schema != NULL && strcmp(schema, "aura_migrate") == 0))
				continue;
			if (dropping)
			{
				if (!(DatumGetBool(slot_getattr(slot, c_original, &isnull)) ||
					  DatumGetBool(slot_getattr(slot, c_normal, &isnull))) ||
					DatumGetBool(slot_getattr(slot, c_temp, &isnull)))
					continue;
				command_tag = pstrdup(tag);
			}
			else
			{
				if (DatumGetBool(slot_getattr(slot, c_inext, &isnull)) ||
					(schema != NULL && strncmp(schema, "pg_temp", 7) == 0))
					continue;
				command_tag = text_column(slot, c_tag);
			}

			c = am_run_new_change();
			if (c == NULL)
				break;
			c->action = dropping ? 'd' : strncmp(command_tag, "CREATE ", 7) == 0 ? 'c' : 'a';
			c->classid = DatumGetObjectId(slot_getattr(slot, c_classid, &isnull));
			c->objid = DatumGetObjectId(slot_getattr(slot, c_objid, &isnull));
			c->objsubid = DatumGetInt32(slot_getattr(slot, c_objsubid, &isnull));
			c->object_type = am_run_strdup(text_column(slot, c_type));
			c->identity = am_run_strdup(identity);
			c->command_tag = am_run_strdup(command_tag);
			c->schema_name = schema ? am_run_strdup(schema) : NULL;
			c->changed_at = now;
			c->changed_by = am_run_strdup(changed_by);
		}
		ExecDropSingleTupleTableSlot(slot);
		tuplestore_end(rsinfo.setResult);
	}
	FreeExprContext(rsinfo.econtext, true);
}

/*
 * text_array, oid_array, ...
 *		One field of every change of a list, as an array Datum.
 */
static Datum
text_array(List *changes, int field)
{
	int			n = list_length(changes);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	ListCell   *lc;
	int			i = 0;

	foreach(lc, changes)
	{
		AmChange   *c = (AmChange *) lfirst(lc);
		const char *v = NULL;

		switch (field)
		{
			case 0:
				v = c->action == 'c' ? "created" : c->action == 'a' ? "altered" : "dropped";
				break;
			case 1:
				v = c->command_tag;
				break;
			case 2:
				v = c->object_type;
				break;
			case 3:
				v = c->schema_name;
				break;
			case 4:
				v = c->identity;
				break;
			case 5:
				v = c->changed_by;
				break;
		}
		nulls[i] = (v == NULL);
		elems[i] = v ? CStringGetTextDatum(v) : (Datum) 0;
		i++;
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
scalar_array(List *changes, int field)
{
	int			n = list_length(changes);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, changes)
	{
		AmChange   *c = (AmChange *) lfirst(lc);

		elems[i++] = field == 0 ? ObjectIdGetDatum(c->classid) :
			field == 1 ? ObjectIdGetDatum(c->objid) :
			field == 2 ? Int32GetDatum(c->objsubid) :
			TimestampTzGetDatum(c->changed_at);
	}
	if (field <= 1)
		return PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	if (field == 2)
		return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	return PointerGetDatum(construct_array(elems, n, TIMESTAMPTZOID, sizeof(TimestampTz),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * am_recorder_flush
 *		Write the changes collect_changes() kept for migrations ms[0 .. n-1]
 *		to aura_migrate.object_change, in one statement, in the order they
 *		happened, as the extension's owner.  Called connected to SPI, in
 *		their subtransaction, once they all ran and were checked.
 */
void
am_recorder_flush(int64 run_id, AmMigration *ms, int n)
{
	Oid			argtypes[12] = {TEXTARRAYOID, INT8OID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, OIDARRAYOID, OIDARRAYOID,
	INT4ARRAYOID, TIMESTAMPTZARRAYOID, TEXTARRAYOID};
	Datum		values[12];
	List	   *todo = NIL;
	Datum	   *versions;
	int			nv = 0;
	ListCell   *lc;
	int			i;

	for (i = 0; i < n; i++)
		foreach(lc, ms[i].changes)
			if (((AmChange *) lfirst(lc))->command_tag != NULL)
				todo = lappend(todo, lfirst(lc));
	if (todo == NIL)
		return;

	/* each row's version: the migration whose list it came from */
	versions = palloc(sizeof(Datum) * list_length(todo));
	for (i = 0; i < n; i++)
	{
		Datum		v = CStringGetTextDatum(ms[i].version);

		foreach(lc, ms[i].changes)
			if (((AmChange *) lfirst(lc))->command_tag != NULL)
				versions[nv++] = v;
	}
	values[0] = PointerGetDatum(construct_array(versions, nv, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = Int64GetDatum(run_id);
	values[2] = text_array(todo, 0);
	values[3] = text_array(todo, 1);
	values[4] = text_array(todo, 2);
	values[5] = text_array(todo, 3);
	values[6] = text_array(todo, 4);
	values[7] = scalar_array(todo, 0);
	values[8] = scalar_array(todo, 1);
	values[9] = scalar_array(todo, 2);
	values[10] = scalar_array(todo, 3);
	values[11] = text_array(todo, 5);
	if (am_spi_owner("INSERT INTO aura_migrate.object_change (version, run_id, action, "
					 "command_tag, object_type, schema_name, object_identity, classid, objid, "
					 "objsubid, changed_at, changed_by) "
					 "SELECT u.v, $2, u.a, u.t, u.ty, u.s, u.i, u.c, u.o, u.sub, u.at, u.by "
					 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($3), "
					 "pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), "
					 "pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), "
					 "pg_catalog.unnest($10), pg_catalog.unnest($11), pg_catalog.unnest($12)) "
					 "WITH ORDINALITY AS u(v, a, t, ty, s, i, c, o, sub, at, by, n) "
					 "ORDER BY u.n",
					 12, argtypes, values, NULL, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record DDL in aura_migrate.object_change");
	list_free(todo);
}

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

	/* inside a migration (in this backend): kept, written once per migration */
	if (version != NULL && am_run_keeps_changes())
	{
		collect_changes(dropping, GetCommandTagName(trigdata->tag));
		PG_RETURN_VOID();
	}

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
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record DDL in aura_migrate.object_change");
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");

	PG_RETURN_VOID();
}
