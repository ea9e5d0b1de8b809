/*-------------------------------------------------------------------------
 *
 * eventlog.c
 *	  Writing aura_migrate.log rows, in the caller's transaction or durably.
 *
 * Most events are written in the transaction that produced them, so they
 * commit or roll back with the migration.  A failure inside apply() is
 * different: the caller's transaction is about to roll back, and with it
 * any row written there.  Such an event is handed to a dynamic background
 * worker, which writes it in a transaction of its own and commits it
 * before apply() raises its error.  No shared_preload_libraries entry is
 * needed for a dynamic worker.
 *
 * The row travels through a small dynamic shared memory segment; the
 * worker reports success by setting a flag there before it exits.  The
 * caller waits at most aura_migrate.log_worker_timeout and never while it
 * holds a lock the worker needs (it only inserts into the log table).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/eventlog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "utils/acl.h"
#include "utils/syscache.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "settings.h"
#include "compat.h"
#include "eventlog.h"
#include "owner.h"
#include "validate.h"

PGDLLEXPORT void aura_migrate_log_worker_main(Datum main_arg);

PG_FUNCTION_INFO_V1(aura_migrate_redact);

#define AM_LOG_NSTR 9
#define AM_LOG_NARGS 13

/* The row as it travels to the worker. */
typedef struct AmLogShared
{
	Oid			dboid;
	Oid			owner;			/* the extension's owner: the worker writes as it */
	Oid			connect_as;		/* the owner, or the bootstrap superuser */
	int64		run_id;
	double		duration_ms;
	int			statement_no;
	int			line;
	bool		written;		/* set by the worker after its commit */
	int32		off[AM_LOG_NSTR];	/* offsets into data, -1 for NULL */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} AmLogShared;

static const char *const log_insert_sql =
"INSERT INTO aura_migrate.log (run_id, version, event, duration_ms, sqlstate, "
"message, detail, statement_no, line, statement_text, environment, username, "
"checksum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";

static Oid	log_argtypes[AM_LOG_NARGS] = {INT8OID, TEXTOID, TEXTOID, FLOAT8OID,
	TEXTOID, TEXTOID, TEXTOID, INT4OID, INT4OID, TEXTOID, TEXTOID, NAMEOID, TEXTOID};


/*
 * fill_args
 *		SPI arguments for log_insert_sql from an entry.
 */
static void
fill_args(const AmLogEntry *e, Datum *values, char *nulls)
{
	memset(nulls, ' ', AM_LOG_NARGS);
	values[0] = Int64GetDatum(e->run_id);
	nulls[0] = e->run_id > 0 ? ' ' : 'n';
#define SETSTR(i, s) \
	do { if ((s) != NULL) values[i] = CStringGetTextDatum(s); else nulls[i] = 'n'; } while (0)
	SETSTR(1, e->version);
	SETSTR(2, e->event);
	values[3] = Float8GetDatum(e->duration_ms);
	nulls[3] = e->duration_ms >= 0 ? ' ' : 'n';
	SETSTR(4, e->sqlstate);
	SETSTR(5, e->message);
	SETSTR(6, e->detail);
	values[7] = Int32GetDatum(e->statement_no);
	nulls[7] = e->statement_no > 0 ? ' ' : 'n';
	values[8] = Int32GetDatum(e->line);
	nulls[8] = e->line > 0 ? ' ' : 'n';
	SETSTR(9, e->statement_text);
	SETSTR(10, e->environment);
	values[11] = DirectFunctionCall1(namein, CStringGetDatum(e->username));
	SETSTR(12, e->checksum);
#undef SETSTR
}

/*
 * am_redact
 *		A message with every quoted literal elided, for the log, the raised
 *		error and status() outside development.
 *
 * The rule: each run of characters between double quotes, or between
 * single quotes, becomes "..." (or '...'); a quote that is never closed
 * elides to the end.  PostgreSQL quotes the values it reports
 * (invalid input syntax for type uuid: "secret"), and also names, which are
 * lost with them: the statement number and line say where the failure
 * was.  NULL stays NULL.
 */
char *
am_redact(const char *msg)
{
	StringInfoData buf;
	const char *p;

	if (msg == NULL)
		return NULL;
	initStringInfo(&buf);
	for (p = msg; *p; p++)
	{
		if (*p == '"' || *p == '\'')
		{
			const char *close = strchr(p + 1, *p);

			appendStringInfoChar(&buf, *p);
			appendStringInfoString(&buf, "...");
			appendStringInfoChar(&buf, *p);
			if (close == NULL)
				break;
			p = close;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/*
 * am_redact_error
 *		am_redact() for the message or hint of an error with SQLSTATE
 *		sqlerrcode.  A message a migration's own code raised (RAISE, class
 *		P0) is built by that code and may carry any value unquoted: it is
 *		not kept at all.
 */
char *
am_redact_error(int sqlerrcode, const char *msg)
{
	if (msg == NULL)
		return NULL;
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_PLPGSQL_ERROR)
		return pstrdup("(raised by the migration's own code; its text is not kept outside development)");
	return am_redact(msg);
}

/*
 * aura_migrate_redact
 *		SQL: aura_migrate._redact(message text, sqlstate text) RETURNS text
 *
 * am_redact() for status() and report(), which show messages recorded
 * earlier under the environment in force now.
 */
Datum
aura_migrate_redact(PG_FUNCTION_ARGS)
{
	char	   *msg;
	int			code = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	msg = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
	{
		char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (strlen(state) == 5)
			code = MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]);
	}
	PG_RETURN_TEXT_P(cstring_to_text(am_redact_error(code, msg)));
}

/*
 * am_log_insert
 *		Write one log row in the current transaction, as the extension's
 *		owner.  The caller is connected to SPI.
 */
void
am_log_insert(const AmLogEntry *e)
{
	Datum		values[AM_LOG_NARGS];
	char		nulls[AM_LOG_NARGS];

	fill_args(e, values, nulls);
	if (am_spi_owner(log_insert_sql, AM_LOG_NARGS, log_argtypes, values, nulls, 0) !=
		SPI_OK_INSERT)
		elog(ERROR, "could not write to aura_migrate.log");
}

/*
 * owner_can_connect
 *		Whether a background worker can connect to this database as role:
 *		it has LOGIN, no connection limit and CONNECT on the database.
 */
static bool
owner_can_connect(Oid role)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return false;
	ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin &&
		((Form_pg_authid) GETSTRUCT(tup))->rolconnlimit < 0;
	ReleaseSysCache(tup);
	return ok && AM_DATABASE_ACLCHECK(MyDatabaseId, role, ACL_CONNECT) == ACLCHECK_OK;
}

/*
 * am_log_durable
 *		Write one log row in a transaction of its own, through a dynamic
 *		background worker, and wait for it.
 *
 * Returns false, having warned, when no worker could be started or it did
 * not finish in time; the caller's own error is still raised.
 */
bool
am_log_durable(const AmLogEntry *e)
{
	const char *strs[AM_LOG_NSTR];
	Size		size = offsetof(AmLogShared, data);
	dsm_segment *seg;
	AmLogShared *shared;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	TimestampTz deadline;
	char	   *p;
	bool		written;
	int			i;

	strs[0] = e->version;
	strs[1] = e->event;
	strs[2] = e->sqlstate;
	strs[3] = e->message;
	strs[4] = e->detail;
	strs[5] = e->statement_text;
	strs[6] = e->environment;
	strs[7] = e->username;
	strs[8] = e->checksum;
	for (i = 0; i < AM_LOG_NSTR; i++)
		if (strs[i] != NULL)
			size = add_size(size, strlen(strs[i]) + 1);

	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
	{
		ereport(WARNING,
				(errmsg("could not record the failure durably"),
				 errdetail("No dynamic shared memory segment was available.")));
		return false;
	}
	shared = dsm_segment_address(seg);
	shared->dboid = MyDatabaseId;
	shared->owner = am_extension_owner();
	shared->connect_as = owner_can_connect(shared->owner) ?
		shared->owner : BOOTSTRAP_SUPERUSERID;
	shared->run_id = e->run_id;
	shared->duration_ms = e->duration_ms;
	shared->statement_no = e->statement_no;
	shared->line = e->line;
	shared->written = false;
	p = shared->data;
	for (i = 0; i < AM_LOG_NSTR; i++)
	{
		if (strs[i] == NULL)
			shared->off[i] = -1;
		else
		{
			shared->off[i] = p - shared->data;
			strcpy(p, strs[i]);
			p += strlen(strs[i]) + 1;
		}
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "aura_migrate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aura_migrate_log_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "aura_migrate log writer for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "aura_migrate log writer");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_detach(seg);
		ereport(WARNING,
				(errmsg("could not record the failure durably"),
				 errdetail("No background worker slot was free."),
				 errhint("Raise max_worker_processes.")));
		return false;
	}

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   am_log_worker_timeout_ms);
	for (;;)
	{
		pid_t		pid;
		BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);

		if (status == BGWH_STOPPED || status == BGWH_POSTMASTER_DIED)
			break;
		if (GetCurrentTimestamp() >= deadline)
		{
			TerminateBackgroundWorker(handle);
			break;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	pg_read_barrier();
	written = shared->written;
	dsm_detach(seg);
	if (!written)
		ereport(WARNING,
				(errmsg("could not record the failure durably"),
				 errdetail("The background worker did not write the log row."),
				 errhint("See the server log for the worker's error.")));
	return written;
}

/*
 * aura_migrate_log_worker_main
 *		Entry point of the background worker started by am_log_durable().
 *
 * Connects to the caller's database as the extension's owner, then
 * writes the row as that owner under SECURITY_RESTRICTED_OPERATION with
 * search_path pinned, exactly as the bookkeeping in the caller's backend
 * does: the log table belongs to that owner, and anything attached to it
 * (a trigger, a default, a check, an index expression) runs with the
 * owner's rights and no more.  Only when the owner cannot connect (no
 * LOGIN, a connection limit, no CONNECT; a background worker is held to
 * those) is the connection made as the bootstrap superuser, and the
 * worker switches to the owner before it runs anything.  Any error here
 * ends the worker; the caller then warns.
 */
void
aura_migrate_log_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	AmLogShared *shared;
	AmLogEntry	e;
	const char *strs[AM_LOG_NSTR];
	Datum		values[AM_LOG_NARGS];
	char		nulls[AM_LOG_NARGS];
	int			i;
	int			nest;

	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "aura_migrate log writer");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the log row's shared memory segment")));
	shared = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->connect_as,
											  BGWORKER_BYPASS_ALLOWCONN);

	for (i = 0; i < AM_LOG_NSTR; i++)
		strs[i] = shared->off[i] < 0 ? NULL : shared->data + shared->off[i];
	memset(&e, 0, sizeof(e));
	e.run_id = shared->run_id;
	e.duration_ms = shared->duration_ms;
	e.statement_no = shared->statement_no;
	e.line = shared->line;
	e.version = strs[0];
	e.event = strs[1];
	e.sqlstate = strs[2];
	e.message = strs[3];
	e.detail = strs[4];
	e.statement_text = strs[5];
	e.environment = strs[6];
	e.username = strs[7] ? strs[7] : "unknown";
	e.checksum = strs[8];

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/* from here on, the extension's owner and nothing more */
	SetUserIdAndSecContext(shared->owner,
						   SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("lock_timeout", "5s", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "aura_migrate: writing a failure to aura_migrate.log");

	fill_args(&e, values, nulls);
	if (SPI_execute_with_args(log_insert_sql, AM_LOG_NARGS, log_argtypes, values, nulls,
							  false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write to aura_migrate.log");

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	PopActiveSnapshot();
	AtEOXact_GUC(true, nest);
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	shared->written = true;
	pg_write_barrier();
	dsm_detach(seg);
	proc_exit(0);
}


