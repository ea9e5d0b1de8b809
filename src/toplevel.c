/*-------------------------------------------------------------------------
 *
 * toplevel.c
 *	  Migrations that cannot run in a transaction, applied by migrate()
 *	  through a background worker.
 *
 * A migration marked "-- aura:no-transaction" may hold statements that
 * refuse to run inside a transaction block: CREATE INDEX CONCURRENTLY,
 * DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, or an enum value
 * added and used in the same migration.  apply() refuses such a migration.
 * migrate() commits what came before and hands it to a dynamic background
 * worker, as pg_cron runs its jobs: the worker connects as the caller,
 * owns its transaction loop, and executes each statement at its own top
 * level, each in a transaction of its own, reporting which statement runs
 * and the error that stopped it through shared memory.  migrate() waits,
 * showing the worker's progress in its own pg_stat_activity row; a cancel
 * of migrate() terminates the worker.  Nothing here aborts or starts a
 * transaction of the caller's by hand: migrate() only commits, through SPI.
 *
 * Such a migration is not atomic: what its earlier statements did stays
 * when a later one fails.  After the worker, migrate() runs the post-
 * migration checks and records the migration, in a subtransaction of its
 * own; a failure is recorded and committed, then raised.  An index a failed
 * CREATE INDEX CONCURRENTLY left INVALID is named in the error, and the
 * worker drops it before the next attempt builds it again.  A session-level
 * advisory lock keeps other callers out meanwhile.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/toplevel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "compat.h"
#include "guard.h"
#include "owner.h"
#include "postcheck.h"
#include "rls_gate.h"
#include "run.h"
#include "settings.h"
#include "toplevel.h"

PGDLLEXPORT void aura_migrate_toplevel_worker_main(Datum main_arg);

#define AM_TL_TEXT	1024		/* room for each error string */

/* What migrate() and its worker share. */
typedef struct AmTopLevelShared
{
	/* set by migrate() */
	Oid			dboid;
	Oid			connect_as;		/* the caller, or the bootstrap superuser */
	Oid			run_as;			/* the caller */
	int64		run_id;
	int			lock_timeout_ms;
	char		version[16];
	char		name[NAMEDATALEN];
	char		environment[16];
	char		search_path[1024];
	/* set by the worker */
	volatile int current;		/* statement running, 1-based; 0 before */
	volatile bool done;			/* every statement ran */
	volatile int failed_stmt;	/* statement that failed, 0 = none */
	char		dropped[2 * NAMEDATALEN + 8];	/* leftover INVALID index dropped */
	int			sqlerrcode;
	int			internalpos;	/* position in the failed statement, or 0 */
	bool		has_detail;
	bool		has_hint;
	char		message[AM_TL_TEXT];
	char		detail[AM_TL_TEXT];
	char		hint[AM_TL_TEXT];
	char		sql[FLEXIBLE_ARRAY_MEMBER];	/* the migration's SQL */
} AmTopLevelShared;

/*
 * invalid_index_of
 *		For CREATE INDEX CONCURRENTLY with a name, the INVALID index of that
 *		name on that table, if one exists (a failed build leaves one).
 *		Called connected to SPI.  Returns NULL when there is none.
 */
static char *
invalid_index_of(AmStatement *st)
{
	IndexStmt  *is;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	if (!IsA(st->raw->stmt, IndexStmt))
		return NULL;
	is = (IndexStmt *) st->raw->stmt;
	if (!is->concurrent || is->idxname == NULL)
		return NULL;

	values[0] = CStringGetTextDatum(is->idxname);
	values[1] = CStringGetTextDatum(is->relation->schemaname ?
									quote_qualified_identifier(is->relation->schemaname,
															   is->relation->relname) :
									quote_identifier(is->relation->relname));
	if (SPI_execute_with_args("SELECT i.indexrelid::pg_catalog.regclass::text "
							  "FROM pg_catalog.pg_index i "
							  "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
							  "WHERE c.relname OPERATOR(pg_catalog.=) $1 AND NOT i.indisvalid "
							  "AND i.indrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2)",
							  2, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for an invalid index");
	if (SPI_processed == 0)
		return NULL;
	return am_spi_getstr(0, 1);
}

/*
 * run_statement_top_level
 *		In the worker: execute one statement as a top-level command in a
 *		transaction of its own, as a client's simple query would run.
 *
 * The plan lives in a context of its own, as exec_simple_query() keeps it
 * in MessageContext: CREATE and DROP INDEX CONCURRENTLY commit and start
 * transactions while they run, which frees anything in the transaction's
 * memory.
 */
static void
run_statement_top_level(RawStmt *raw, const char *sql)
{
	static MemoryContext stmt_cxt = NULL;
	MemoryContext oldcxt = CurrentMemoryContext;
	List	   *querytrees;
	List	   *plans;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	bool		snapshot_set = false;
	int16		format = 0;

	if (stmt_cxt == NULL)
		stmt_cxt = AllocSetContextCreate(TopMemoryContext, "aura_migrate worker statement",
										 ALLOCSET_DEFAULT_SIZES);
	StartTransactionCommand();
	MemoryContextSwitchTo(stmt_cxt);
	if (analyze_requires_snapshot(raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(raw, sql, NULL, 0, NULL);
	plans = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, CreateCommandTag(raw->stmt), plans, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	PortalSetResultFormat(portal, 1, &format);
	receiver = CreateDestReceiver(DestNone);
	InitializeQueryCompletion(&qc);

	am_guard_enter();
	(void) am_portal_run(portal, FETCH_ALL, true, receiver, receiver, &qc);
	am_guard_leave();

	receiver->rDestroy(receiver);
	PortalDrop(portal, false);
	CommitTransactionCommand();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(stmt_cxt);
}

/*
 * drop_leftover_index
 *		In the worker: before CREATE INDEX CONCURRENTLY, drop the INVALID
 *		index an earlier failed attempt left under that name.
 */
static void
drop_leftover_index(AmStatement *st, AmTopLevelShared *shared)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *leftover;
	char	   *sql;

	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	leftover = invalid_index_of(st);
	if (leftover != NULL)
		leftover = MemoryContextStrdup(TopMemoryContext, leftover);
	PopActiveSnapshot();
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	if (leftover == NULL)
		return;

	strlcpy(shared->dropped, leftover, sizeof(shared->dropped));
	sql = psprintf("DROP INDEX CONCURRENTLY %s", leftover);
	run_statement_top_level(linitial_node(RawStmt, raw_parser(sql, RAW_PARSE_DEFAULT)), sql);
}

/*
 * aura_migrate_toplevel_worker_main
 *		Entry point of the worker that runs a no-transaction migration.
 *
 * Connects as the caller of migrate() (or, when that role cannot log in,
 * as the bootstrap superuser, switching to the caller at once), takes the
 * caller's search_path, lock_timeout and environment, and runs each
 * statement at top level.  The first error is copied to shared memory and
 * ends the loop; its transaction is the worker's to abort.
 */
void
aura_migrate_toplevel_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	AmTopLevelShared *shared;
	MemoryContext cxt;
	AmParsed   *parsed;
	AmRun		run;
	AmMigration m;
	int			i;

	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "aura_migrate migration worker");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not map the migration's shared memory segment")));
	shared = dsm_segment_address(seg);

	BackgroundWorkerInitializeConnectionByOid(shared->dboid, shared->connect_as, 0);
	if (shared->connect_as != shared->run_as)
		SetUserIdAndSecContext(shared->run_as, SECURITY_LOCAL_USERID_CHANGE);

	cxt = AllocSetContextCreate(TopMemoryContext, "aura_migrate migration worker",
								ALLOCSET_DEFAULT_SIZES);

	/* the caller's settings, and the statements, parsed once */
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) set_config_option("search_path", shared->search_path, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	if (shared->lock_timeout_ms > 0)
		(void) set_config_option("lock_timeout", psprintf("%dms", shared->lock_timeout_ms),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	(void) set_config_option("aura_migrate.environment", shared->environment, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SET, true, WARNING, false);
	MemoryContextSwitchTo(cxt);
	parsed = am_parse_sql(shared->sql);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);

	/* the DDL recorder tags what the statements change with this run */
	memset(&run, 0, sizeof(run));
	memset(&m, 0, sizeof(m));
	run.run_id = shared->run_id;
	m.version = shared->version;
	m.name = shared->name;
	am_run_enter(&run, &m);

	for (i = 0; i < parsed->nstmts; i++)
	{
		AmStatement *st = &parsed->stmts[i];

		shared->current = i + 1;
		pg_write_barrier();
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("aura_migrate: applying migration %s (%s), statement %d of %d (%s, line %d, outside a transaction)",
										shared->version, shared->name, i + 1, parsed->nstmts,
										am_statement_tag(st), st->line));
		SetCurrentStatementStartTimestamp();
		PG_TRY();
		{
			if (IsA(st->raw->stmt, IndexStmt))
				drop_leftover_index(st, shared);
			run_statement_top_level(st->raw, st->text);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			am_guard_leave();
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			AbortCurrentTransaction();

			shared->sqlerrcode = edata->sqlerrcode;
			strlcpy(shared->message, edata->message ? edata->message : "", AM_TL_TEXT);
			shared->has_detail = edata->detail != NULL;
			strlcpy(shared->detail, edata->detail ? edata->detail : "", AM_TL_TEXT);
			shared->has_hint = edata->hint != NULL;
			strlcpy(shared->hint, edata->hint ? edata->hint : "", AM_TL_TEXT);
			shared->internalpos = (edata->internalquery != NULL &&
								   strcmp(edata->internalquery, st->text) == 0) ?
				edata->internalpos : 0;
			pg_write_barrier();
			shared->failed_stmt = i + 1;
		}
		PG_END_TRY();

		/* after PG_END_TRY, never inside PG_CATCH: it restores the stack */
		if (shared->failed_stmt > 0)
			break;
	}
	am_run_leave();
	pgstat_report_activity(STATE_IDLE, NULL);

	pg_write_barrier();
	if (shared->failed_stmt == 0)
		shared->done = true;
	dsm_detach(seg);
	proc_exit(0);
}

/*
 * worker_connect_role
 *		The role the worker connects as: the caller when it can log in
 *		here, else the bootstrap superuser (the worker then switches to the
 *		caller before it runs anything).
 */
static Oid
worker_connect_role(Oid caller)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(caller));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		return BOOTSTRAP_SUPERUSERID;
	ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin &&
		((Form_pg_authid) GETSTRUCT(tup))->rolconnlimit < 0;
	ReleaseSysCache(tup);
	if (ok && AM_DATABASE_ACLCHECK(MyDatabaseId, caller, ACL_CONNECT) == ACLCHECK_OK)
		return caller;
	return BOOTSTRAP_SUPERUSERID;
}

/*
 * wait_for_worker
 *		Wait for the worker to finish, showing the statement it runs.  A
 *		cancel (or any error) while waiting terminates the worker; the error
 *		is returned, with the subtransaction the wait ran in rolled back, so
 *		that it can be recorded as the migration's failure.
 */
static ErrorData *
wait_for_worker(BackgroundWorkerHandle *handle, AmTopLevelShared *shared,
				AmMigration *m, AmParsed *parsed)
{
	volatile int shown = 0;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		for (;;)
		{
			pid_t		pid;
			BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);
			int			current;

			pg_read_barrier();
			current = shared->current;
			if (current != shown && current > 0 && current <= parsed->nstmts)
			{
				AmStatement *st = &parsed->stmts[current - 1];

				pgstat_report_activity(STATE_RUNNING,
									   psprintf("aura_migrate: applying migration %s (%s), statement %d of %d (%s, line %d, outside a transaction)",
												m->version, m->name, current, parsed->nstmts,
												am_statement_tag(st), st->line));
				shown = current;
			}
			if (status == BGWH_STOPPED || status == BGWH_POSTMASTER_DIED)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 20L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		TerminateBackgroundWorker(handle);
		(void) WaitForBackgroundWorkerShutdown(handle);
	}
	PG_END_TRY();

	if (edata == NULL)
		ReleaseCurrentSubTransaction();
	else
		RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return edata;
}

/*
 * finish_migration
 *		After the worker: the post-migration checks and the record, in a
 *		subtransaction.  Returns NULL, or the error that stopped them.
 */
static ErrorData *
finish_migration(AmRun *run, AmMigration *m, int nstmts, double duration_ms)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		am_post_check_recorded(m->version, run->run_id);
		am_rls_gate_check(run, m);
		am_record_done(run, m, nstmts, duration_ms);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_END_TRY();
	return edata;
}

/*
 * start_worker
 *		Commit what came before and start the worker for m.  Returns its
 *		handle, with the shared segment in *segp.
 */
static BackgroundWorkerHandle *
start_worker(AmRun *run, AmMigration *m, int lock_timeout_ms, Oid connect_as,
			 dsm_segment **segp)
{
	Size		size = add_size(offsetof(AmTopLevelShared, sql), strlen(m->up_sql) + 1);
	dsm_segment *seg;
	AmTopLevelShared *shared;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	const char *path = GetConfigOption("search_path", false, false);

	seg = dsm_create(size, 0);
	shared = dsm_segment_address(seg);
	memset(shared, 0, offsetof(AmTopLevelShared, sql));
	shared->dboid = MyDatabaseId;
	shared->run_as = GetUserId();
	shared->connect_as = connect_as;
	shared->run_id = run->run_id;
	shared->lock_timeout_ms = lock_timeout_ms;
	strlcpy(shared->version, m->version, sizeof(shared->version));
	strlcpy(shared->name, m->name, sizeof(shared->name));
	strlcpy(shared->environment, run->environment, sizeof(shared->environment));
	strlcpy(shared->search_path, path ? path : "", sizeof(shared->search_path));
	strcpy(shared->sql, m->up_sql);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "aura_migrate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "aura_migrate_toplevel_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "aura_migrate migration %s for PID %d",
			 m->version, MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "aura_migrate migration");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start a background worker for migration %s", m->version),
				 errdetail("A \"-- aura:no-transaction\" migration runs in a background worker, and no slot was free; nothing of it ran."),
				 errhint("Raise max_worker_processes, or try again when fewer workers run.")));
	*segp = seg;
	return handle;
}

/*
 * worker_failure
 *		The error of a no-transaction migration the worker did not finish:
 *		the cancel that stopped it (waited), the error of its failing
 *		statement, or its unexpected end.  Sets *stmtno to the statement it
 *		was at.  An index a failed concurrent build left INVALID is named.
 */
static ErrorData *
worker_failure(AmTopLevelShared *shared, ErrorData *waited, AmParsed *parsed,
			   int *stmtno)
{
	ErrorData  *edata;
	char	   *leftover = NULL;

	if (waited != NULL)
	{
		/* cancelled while the worker ran: it was stopped */
		edata = waited;
		*stmtno = shared->current;
	}
	else if (shared->failed_stmt > 0)
	{
		edata = palloc0(sizeof(ErrorData));
		*stmtno = shared->failed_stmt;
		edata->sqlerrcode = shared->sqlerrcode;
		edata->message = pstrdup(shared->message);
		edata->detail = shared->has_detail ? pstrdup(shared->detail) : NULL;
		edata->hint = shared->has_hint ? pstrdup(shared->hint) : NULL;
		if (shared->internalpos > 0)
		{
			edata->internalquery = parsed->stmts[*stmtno - 1].text;
			edata->internalpos = shared->internalpos;
		}
	}
	else
	{
		edata = palloc0(sizeof(ErrorData));
		*stmtno = shared->current;
		edata->sqlerrcode = ERRCODE_INTERNAL_ERROR;
		edata->message = pstrdup("the background worker running the migration stopped before it finished");
		return edata;
	}
	if (*stmtno > 0)
		leftover = invalid_index_of(&parsed->stmts[*stmtno - 1]);
	if (leftover != NULL)
		edata->message = psprintf("%s (index %s was left INVALID; the next attempt drops it first)",
								  edata->message, leftover);
	return edata;
}

/*
 * am_apply_no_transaction
 *		Apply a "-- aura:no-transaction" migration from migrate(), through a
 *		background worker.
 *
 * Called connected to SPI (non-atomic), in a transaction that holds the
 * registry lock; commits it (the worker's statements must see what came
 * before, and the caller must hold no snapshot a concurrent index build
 * would wait for), and returns connected, in a fresh transaction, with the
 * migration recorded and not yet committed.  On failure, records it,
 * commits the record and raises the error.
 */
double
am_apply_no_transaction(AmRun *run, AmMigration *m)
{
	MemoryContext mcxt;
	AmParsed   *parsed;
	instr_time	start,
				elapsed;
	double		duration_ms;
	int64		key = AM_ADVISORY_LOCK_KEY;
	dsm_segment *volatile seg = NULL;
	ErrorData  *volatile waited = NULL;
	AmTopLevelShared *shared;
	AmAttempt	att;

	mcxt = AllocSetContextCreate(run->cxt, "aura_migrate migration",
								 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(mcxt);
	parsed = am_parse_sql(m->up_sql);
	if (parsed->failed)
		elog(ERROR, "migration %s no longer parses", m->version);

	/* the registry stays locked across the worker's commits */
	DirectFunctionCall1(pg_advisory_lock_int8, Int64GetDatum(key));
	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		BackgroundWorkerHandle *handle;
		dsm_segment *s;
		int			lock_ms = am_run_lock_timeout_ms();
		Oid			connect_as = worker_connect_role(GetUserId());

		/*
		 * Read what needs the catalogs before the commit: after it, this
		 * backend must hold no snapshot, or a concurrent index build in the
		 * worker would wait for it while we wait for the worker.
		 */
		SPI_commit();
		MemoryContextSwitchTo(mcxt);
		InvalidateCatalogSnapshot();
		handle = start_worker(run, m, lock_ms, connect_as, &s);
		seg = s;
		waited = wait_for_worker(handle, dsm_segment_address(s), m, parsed);
	}
	PG_CATCH();
	{
		DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(key));
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(mcxt);
	shared = dsm_segment_address(seg);
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);

	pg_read_barrier();
	if (shared->dropped[0] != '\0')
		ereport(NOTICE,
				(errmsg("dropped index %s, left INVALID by an earlier attempt of migration %s",
						shared->dropped, m->version)));
	memset(&att, 0, sizeof(att));
	att.parsed = parsed;
	att.duration_ms = duration_ms;
	if (waited != NULL || shared->failed_stmt > 0 || !shared->done)
	{
		att.edata = worker_failure(shared, waited, parsed, &att.stmtno);
		dsm_detach(seg);
		DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(key));
		am_report_failure(run, m, &att);
	}
	dsm_detach(seg);

	att.edata = finish_migration(run, m, parsed->nstmts, duration_ms);
	DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(key));
	if (att.edata != NULL)
	{
		att.check_failed = true;
		am_report_failure(run, m, &att);
	}
	return duration_ms;
}
