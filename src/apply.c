/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  apply() and migrate(): running pending migrations inside the server.
 *
 * Both take an advisory lock, so concurrent callers serialise and a second
 * caller finds the work done; both check every selected migration before
 * applying any (syntax, dependencies, requirements, checksums of what was
 * applied before) and apply nothing if one check fails.  Each migration
 * runs in its own subtransaction, statement by statement through SPI, and
 * is recorded in aura_migrate.history and aura_migrate.log in that same
 * subtransaction.
 *
 * apply() works inside the caller's transaction: everything it applied
 * commits or rolls back with it.  migrate() is a procedure that commits
 * after each migration, so a long set keeps its progress and no
 * transaction piles up subtransactions.
 *
 * A failing statement rolls its whole migration back.  The failure is
 * recorded durably (by a background worker for apply(), by a commit for
 * migrate()) and then raised again with its original SQLSTATE, naming the
 * migration, the statement number and the line.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "settings.h"
#include "guard.h"
#include "apply.h"
#include "authority.h"
#include "eventlog.h"
#include "owner.h"
#include "validate.h"
#include "requires.h"
#include "rls_gate.h"
#include "sqlsplit.h"

PG_FUNCTION_INFO_V1(aura_migrate_apply);

PG_FUNCTION_INFO_V1(aura_migrate_migrate);

/* What the error context callback needs to know. */
typedef struct AmErrorContext
{
	AmMigration *m;
	int			stmtno;
	int			line;
} AmErrorContext;

static void precheck(AmRun *run);

/* the migration being applied, for the DDL recorder (objects.c) */
const char *am_current_version = NULL;
int64		am_current_run_id = 0;
static void apply_error_callback(void *arg);
static char *target_arg(FunctionCallInfo fcinfo);

/*
 * am_lock_registry
 *		Take the transaction-level advisory lock that serialises apply(),
 *		migrate(), rollback() and register().
 */
void
am_lock_registry(void)
{
	DirectFunctionCall1(pg_advisory_xact_lock_int8,
						Int64GetDatum(AM_ADVISORY_LOCK_KEY));
}

/*
 * target_arg
 *		The target argument, checked, or NULL for "everything pending".
 */
static char *
target_arg(FunctionCallInfo fcinfo)
{
	char	   *target;

	if (PG_ARGISNULL(0))
		return NULL;
	target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	am_check_version(target, "target");
	return target;
}

/*
 * am_prepare_run
 *		Load the pending migrations up to target and check them all.
 *
 * Called connected to SPI, holding the advisory lock.  Returns false when
 * there is nothing to do because target is already applied (a NOTICE says
 * so); raises an error for an unknown target or a failed pre-check.
 */
bool
am_prepare_run(AmRun *run, const char *target)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	MemoryContext oldcxt;
	uint64		i;

	values[0] = target ? CStringGetTextDatum(target) : (Datum) 0;
	nulls[0] = target ? ' ' : 'n';
	values[1] = CStringGetTextDatum(run->environment);

	if (target != NULL)
	{
		if (am_spi_owner("SELECT EXISTS (SELECT 1 FROM aura_migrate.migration WHERE version = $1), "
						 "EXISTS (SELECT 1 FROM aura_migrate.history WHERE version = $1), "
						 "(SELECT max(version) FROM aura_migrate.migration WHERE version < $1), "
						 "(SELECT min(version) FROM aura_migrate.migration WHERE version > $1)",
						 1, argtypes, values, nulls, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not look up target %s", target);
		else
		{
			bool		isnull;
			bool		registered = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
																SPI_tuptable->tupdesc, 1, &isnull));
			bool		applied = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 2, &isnull));
			char	   *before = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
			char	   *after = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);

			if (!registered)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("migration %s is not registered", target),
						 (before || after) ?
						 errdetail("The nearest registered versions are %s and %s.",
								   before ? before : "(none before)",
								   after ? after : "(none after)") :
						 errdetail("No migration is registered."),
						 errhint("SELECT * FROM aura_migrate.status() lists the registered migrations.")));
			if (applied)
			{
				ereport(NOTICE,
						(errmsg("migration %s is already applied", target),
						 errdetail("Nothing was done.")));
				return false;
			}
		}
	}

	/* the pending set, in version order */
	if (am_spi_owner("SELECT m.version, m.name, m.up_sql, m.checksum, m.statements, "
					 "m.no_transaction, m.requires IS NOT NULL, m.requires_hint, "
					 "m.source, m.registered_by "
					 "FROM aura_migrate.migration m "
					 "WHERE NOT EXISTS (SELECT 1 FROM aura_migrate.history h "
					 "                  WHERE h.version = m.version) "
					 "AND ($1::text IS NULL OR m.version <= $1) "
					 "AND (m.environments IS NULL OR $2 = ANY (m.environments)) "
					 "ORDER BY m.version",
					 2, argtypes, values, nulls, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the pending migrations");

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
		m->up_sql = SPI_getvalue(tup, td, 3);
		m->checksum = SPI_getvalue(tup, td, 4);
		m->statements = DatumGetInt32(SPI_getbinval(tup, td, 5, &isnull));
		m->no_transaction = DatumGetBool(SPI_getbinval(tup, td, 6, &isnull));
		m->has_requires = DatumGetBool(SPI_getbinval(tup, td, 7, &isnull));
		m->requires_hint = SPI_getvalue(tup, td, 8);
		m->source = SPI_getvalue(tup, td, 9);
		m->registered_by = SPI_getvalue(tup, td, 10);
	}
	MemoryContextSwitchTo(oldcxt);

	precheck(run);
	return true;
}

/*
 * precheck
 *		Check every pending migration before any is applied: applied
 *		migrations unchanged, SQL still valid,
 *		dependencies applied or earlier in this run, requirements present,
 *		and no migration that needs top level inside apply().
 */
static void
precheck(AmRun *run)
{
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTOID};
	Datum		values[2];
	Datum	   *versions;
	MemoryContext checkcxt;
	MemoryContext oldcxt;
	int			i;

	/* applied migrations whose registered SQL changed since (drift) */
	if (am_spi_owner("SELECT h.version FROM aura_migrate.history h "
					 "JOIN aura_migrate.migration m ON m.version = h.version "
					 "WHERE h.checksum <> m.checksum "
					 "ORDER BY h.version LIMIT 1",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not compare checksums");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration %s has changed since it was applied",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
				 errdetail("Its registered SQL no longer matches the checksum recorded when it was applied; nothing was applied."),
				 errhint("Restore the migration's original SQL, and write the change as a new migration.")));

	if (run->npending == 0)
		return;

	checkcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "aura_migrate precheck",
									 ALLOCSET_DEFAULT_SIZES);
	versions = palloc(sizeof(Datum) * run->npending);
	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];

		versions[i] = CStringGetTextDatum(m->version);

		if (m->no_transaction && !run->nonatomic)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("migration %s cannot run inside a transaction", m->version),
					 errdetail("It is marked \"-- aura:no-transaction\"; nothing was applied."),
					 errhint("Apply it with CALL aura_migrate.migrate().")));

		/* who it runs as: never more privileged than who wrote it */
		am_choose_executor(m, strcmp(m->source, "bundled") == 0 &&
						   am_sql_is_shipped(m->up_sql), false);
		if (m->no_transaction && OidIsValid(m->run_as))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("migration %s must be applied by role \"%s\", which registered it",
							m->version, m->registered_by),
					 errdetail("It is marked \"-- aura:no-transaction\", and such a migration runs only as its caller; nothing was applied."),
					 errhint("Run CALL aura_migrate.migrate() as role \"%s\".", m->registered_by)));

		/* the SQL is valid still (the table may have been edited by hand) */
		oldcxt = MemoryContextSwitchTo(checkcxt);
		(void) am_validate_sql(m->version, m->up_sql, false, m->no_transaction);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(checkcxt);
	}
	MemoryContextDelete(checkcxt);

	values[0] = PointerGetDatum(construct_array(versions, run->npending, TEXTOID,
												-1, false, TYPALIGN_INT));

	/* dependencies: applied, or pending earlier in this run */
	if (am_spi_owner("SELECT m.version, d.dep, "
					 "EXISTS (SELECT 1 FROM aura_migrate.migration x WHERE x.version = d.dep) "
					 "FROM aura_migrate.migration m, unnest(m.depends_on) AS d(dep) "
					 "WHERE m.version = ANY ($1) "
					 "AND NOT EXISTS (SELECT 1 FROM aura_migrate.history h WHERE h.version = d.dep) "
					 "AND NOT (d.dep = ANY ($1) AND d.dep < m.version) "
					 "ORDER BY 1, 2 LIMIT 1",
					 1, argtypes, values, NULL, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check dependencies");
	if (SPI_processed > 0)
	{
		bool		isnull;
		bool		registered = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 3, &isnull));

		ereport(ERROR,
				(errcode(registered ? ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE : ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration %s depends on migration %s, which is not applied",
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2)),
				 registered ?
				 errdetail("It is not pending before it in this environment; nothing was applied.") :
				 errdetail("It is not registered; nothing was applied.")));
	}

	/*
	 * lint errors the migration did not allow: a warning in development,
	 * a refusal elsewhere
	 */
	if (am_spi_owner("SELECT m.version, f.code, f.line, f.message "
					 "FROM aura_migrate.migration m, unnest(m.findings) AS f "
					 "WHERE m.version = ANY ($1) AND f.severity = 'error' "
					 "AND NOT f.allowed ORDER BY m.version, f.line",
					 1, argtypes, values, NULL, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read lint findings");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;

		ereport(am_environment == AM_ENV_DEVELOPMENT ? WARNING : ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("migration %s has lint error %s at line %s",
						SPI_getvalue(tup, td, 1), SPI_getvalue(tup, td, 2),
						SPI_getvalue(tup, td, 3)),
				 errdetail("The %s: %s.  Lint errors in the pending migrations: %lu, listed by aura_migrate.findings().%s",
						   "finding", SPI_getvalue(tup, td, 4), (unsigned long) SPI_processed,
						   am_environment == AM_ENV_DEVELOPMENT ? "" :
						   "  Outside development they stop apply(): nothing was applied."),
				 errhint("Fix the migration, or acknowledge the finding with a comment \"-- aura:allow %s\" above the statement.",
						 SPI_getvalue(tup, td, 2))));
	}

	/* requirements outside the migration set: schemas, roles, functions */
	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];
		Datum		v[1];
		uint64		r;

		if (!m->has_requires)
			continue;
		v[0] = CStringGetTextDatum(m->version);
		if (am_spi_owner("SELECT r FROM aura_migrate.migration m, "
						 "pg_catalog.unnest(m.requires) AS r WHERE m.version = $1",
						 1, &argtypes[1], v, NULL, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read the requirements of migration %s", m->version);
		for (r = 0; r < SPI_processed; r++)
		{
			char	   *item = SPI_getvalue(SPI_tuptable->vals[r],
											SPI_tuptable->tupdesc, 1);

			if (!am_requirement_exists(item))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("migration %s requires %s, which does not exist",
								m->version, item),
						 errdetail("Nothing was applied."),
						 m->requires_hint ? errhint("%s", m->requires_hint) : 0));
		}
	}
}

/*
 * apply_error_callback
 *		Adds "while applying migration ..." to errors and notices raised by
 *		a migration's statements.
 */
static void
apply_error_callback(void *arg)
{
	AmErrorContext *ec = (AmErrorContext *) arg;

	if (ec->stmtno > 0)
		errcontext("while applying migration %s (%s), statement %d, line %d",
				   ec->m->version, ec->m->name, ec->stmtno, ec->line);
	else
		errcontext("while applying migration %s (%s)", ec->m->version, ec->m->name);
}


/*
 * lock_timeout_for_run
 *		The lock_timeout a migration runs under, in ms (0 = none):
 *		aura_migrate.lock_timeout, or by environment when it is -1.
 */
static int
lock_timeout_for_run(void)
{
	if (am_lock_timeout_ms >= 0)
		return am_lock_timeout_ms;
	return am_environment == AM_ENV_DEVELOPMENT ? 0 : 5000;
}

/*
 * run_statement
 *		Execute one statement of a migration through SPI, under
 *		aura_migrate.statement_timeout when set.  The caller's own statement
 *		timer (for SELECT apply()) is saved and re-armed afterwards; if it
 *		is due sooner, it is left alone.
 */
static void
run_statement(AmStatement *st)
{
	volatile bool outer_active = false;
	volatile TimestampTz outer_fin = 0;
	volatile bool armed = false;
	volatile int ret = 0;

	if (am_statement_timeout_ms > 0)
	{
		TimestampTz fin = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  am_statement_timeout_ms);

		outer_active = get_timeout_active(STATEMENT_TIMEOUT);
		if (outer_active)
			outer_fin = get_timeout_finish_time(STATEMENT_TIMEOUT);
		if (!outer_active || outer_fin > fin)
		{
			enable_timeout_at(STATEMENT_TIMEOUT, fin);
			armed = true;
		}
	}

	PG_TRY();
	{
		am_guard_enter();
		ret = SPI_execute(st->text, false, 0);
		am_guard_leave();
	}
	PG_FINALLY();
	{
		am_guard_leave();
		if (armed)
		{
			disable_timeout(STATEMENT_TIMEOUT, false);
			if (outer_active)
				enable_timeout_at(STATEMENT_TIMEOUT, outer_fin);
		}
	}
	PG_END_TRY();

	if (ret < 0)
		ereport(ERROR,
				(errcode(ret == SPI_ERROR_TRANSACTION ?
						 ERRCODE_INVALID_TRANSACTION_TERMINATION :
						 ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("statement cannot run inside a migration: %s",
						SPI_result_code_string(ret))));
}

/*
 * am_record_done
 *		Record a migration applied (history row, "applied" event) or, for a
 *		run going down, taken back (history row removed, "rolled_back"), in
 *		the current (sub)transaction.  Called connected to SPI.
 */
void
am_record_done(AmRun *run, AmMigration *m, int nstmts, double duration_ms)
{
	Oid			argtypes[10] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, INT8OID,
	TEXTOID, TEXTOID, FLOAT8OID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	AmLogEntry	e;

	values[0] = CStringGetTextDatum(m->version);
	values[1] = CStringGetTextDatum(m->name);
	values[2] = CStringGetTextDatum(m->checksum ? m->checksum : "");
	values[3] = Int32GetDatum(nstmts);
	values[4] = Int64GetDatum(run->run_id);
	values[5] = CStringGetTextDatum(run->username);
	values[6] = CStringGetTextDatum(run->environment);
	values[7] = Float8GetDatum(duration_ms);
	values[8] = m->registered_by ? CStringGetTextDatum(m->registered_by) : (Datum) 0;
	nulls[8] = m->registered_by ? ' ' : 'n';
	values[9] = CStringGetTextDatum(GetUserNameFromId(OidIsValid(m->run_as) ?
													  m->run_as : GetUserId(), false));
	if (run->down)
	{
		if (am_spi_owner("DELETE FROM aura_migrate.history WHERE version = $1",
						 1, argtypes, values, NULL, 0) != SPI_OK_DELETE ||
			SPI_processed != 1)
			elog(ERROR, "could not remove migration %s from history", m->version);
	}
	else if (am_spi_owner("INSERT INTO aura_migrate.history (version, name, checksum, "
						  "statements, run_id, applied_by, environment, duration_ms, "
						  "registered_by, executed_as) "
						  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
						  10, argtypes, values, nulls, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record migration %s in history", m->version);

	memset(&e, 0, sizeof(e));
	e.run_id = run->run_id;
	e.version = m->version;
	e.event = run->down ? "rolled_back" : "applied";
	e.duration_ms = duration_ms;
	e.environment = run->environment;
	e.username = run->username;
	e.checksum = m->checksum;
	am_log_insert(&e);
}

/*
 * attempt_migration
 *		One attempt at a migration, in a subtransaction of its own: its
 *		statements, its post-checks, its history and log rows.  Settings
 *		the migration changes (its own SET, and the lock_timeout given to
 *		it) last only as long as it does.
 *
 * Returns true on success; on failure the subtransaction is rolled back
 * and the error is in out->edata.
 */
static bool
attempt_migration(AmRun *run, AmMigration *m, MemoryContext mcxt, AmAttempt *out)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	AmParsed   *volatile parsed = NULL;
	volatile int stmtno = 0;
	volatile bool failed = false;
	volatile bool checking = false;
	ErrorData  *volatile edata = NULL;
	instr_time	start,
				elapsed;
	volatile double duration_ms = 0;

	INSTR_TIME_SET_CURRENT(start);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(mcxt);

	PG_TRY();
	{
		ErrorContextCallback errcb;
		AmErrorContext ec;
		AmExecutorSave exec_save;
		AmSequenceState seq_before;
		int			nest;
		int			lock_ms = lock_timeout_for_run();
		int			i;

		ec.m = m;
		ec.stmtno = 0;
		ec.line = 0;
		errcb.callback = apply_error_callback;
		errcb.arg = &ec;
		errcb.previous = error_context_stack;
		error_context_stack = &errcb;

		nest = NewGUCNestLevel();
		if (lock_ms > 0)
			(void) set_config_option("lock_timeout", psprintf("%dms", lock_ms),
									 PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
		am_current_version = m->version;
		am_current_run_id = run->run_id;

		parsed = am_parse_sql(run->down ? m->down_sql : m->up_sql);
		if (parsed->failed)
			elog(ERROR, "migration %s no longer parses", m->version);

		am_guard_sequences(&seq_before);
		am_executor_enter(m, &exec_save);
		for (i = 0; i < parsed->nstmts; i++)
		{
			AmStatement *st = &parsed->stmts[i];

			stmtno = ec.stmtno = i + 1;
			ec.line = st->line;
			pgstat_report_activity(STATE_RUNNING,
								   psprintf("aura_migrate: %s migration %s (%s), statement %d of %d (%s, line %d)",
											run->down ? "rolling back" : "applying",
											m->version, m->name, i + 1, parsed->nstmts,
											am_statement_tag(st), st->line));
			run_statement(st);
		}
		am_executor_leave(&exec_save);
		stmtno = ec.stmtno = 0;
		am_guard_check_sequences(&seq_before);

		/* what it created exists, is valid, and is protected */
		if (!run->down)
		{
			checking = true;
			am_post_check(m->version, run->run_id);
			am_rls_gate_check(run, m);
			checking = false;
		}

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);
		am_record_done(run, m, parsed->nstmts, duration_ms);

		am_current_version = NULL;
		AtEOXact_GUC(false, nest);
		error_context_stack = errcb.previous;

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		am_current_version = NULL;
		MemoryContextSwitchTo(mcxt);
		edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		failed = true;
	}
	PG_END_TRY();

	out->edata = edata;
	out->parsed = parsed;
	out->stmtno = stmtno;
	out->check_failed = failed && checking;
	if (failed)
	{
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		out->duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	}
	else
		out->duration_ms = duration_ms;
	return !failed;
}

/*
 * am_apply_one
 *		Apply one migration, retrying with backoff while it times out
 *		waiting for a lock (aura_migrate.lock_retries).
 *
 * Returns its duration in milliseconds.  On failure the failure is
 * recorded durably and an error raised.
 */
double
am_apply_one(AmRun *run, AmMigration *m)
{
	MemoryContext mcxt;
	AmAttempt	att;
	int			attempt;
	double		ms;

	mcxt = AllocSetContextCreate(run->cxt, "aura_migrate migration",
								 ALLOCSET_DEFAULT_SIZES);
	for (attempt = 0;; attempt++)
	{
		long		delay;

		if (attempt_migration(run, m, mcxt, &att))
			break;
		if (att.edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE ||
			attempt >= am_lock_retries)
			am_report_failure(run, m, &att);

		/* a lock was not granted in time: back off and try again */
		delay = (long) am_lock_retry_delay_ms << Min(attempt, 10);
		{
			AmLogEntry	e;

			memset(&e, 0, sizeof(e));
			e.run_id = run->run_id;
			e.version = m->version;
			e.event = "retried";
			e.duration_ms = att.duration_ms;
			e.sqlstate = unpack_sql_state(att.edata->sqlerrcode);
			e.message = am_environment == AM_ENV_DEVELOPMENT ? att.edata->message :
				am_redact_error(att.edata->sqlerrcode, att.edata->message);
			e.checksum = m->checksum;
			e.statement_no = att.stmtno;
			e.line = (att.parsed && att.stmtno > 0) ? att.parsed->stmts[att.stmtno - 1].line : 0;
			e.environment = run->environment;
			e.username = run->username;
			am_log_insert(&e);
		}
		ereport(NOTICE,
				(errmsg("migration %s could not take a lock at statement %d; retrying in %ld ms (attempt %d of %d)",
						m->version, att.stmtno, delay, attempt + 2, am_lock_retries + 1),
				 errdetail("%s", am_environment == AM_ENV_DEVELOPMENT ? att.edata->message :
						   am_redact_error(att.edata->sqlerrcode, att.edata->message))));
		MemoryContextReset(mcxt);
		while (delay > 0)
		{
			long		step = Min(delay, 100);

			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 step, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			delay -= step;
		}
	}

	ms = att.duration_ms;
	MemoryContextDelete(mcxt);
	return ms;
}

/*
 * am_report_failure
 *		Record a failed migration durably and raise its error again, with
 *		the original SQLSTATE, naming the migration, statement and line.
 *
 * Outside development, the log keeps no statement text and no DETAIL (a
 * DETAIL can carry row values), and neither does the raised error; the
 * message and hint keep their words with every quoted literal elided
 * (am_redact()).  The engine's own post-migration check messages name
 * objects only and are kept whole.  A dry run records its failure as
 * event dry_run.
 */
void
am_report_failure(AmRun *run, AmMigration *m, AmAttempt *att)
{
	ErrorData  *edata = att->edata;
	AmParsed   *parsed = att->parsed;
	int			stmtno = att->stmtno;
	bool		full = (am_environment == AM_ENV_DEVELOPMENT);
	AmStatement *st = NULL;
	AmLogEntry	e;
	int			line = 0;
	char	   *message;
	char	   *hint;

	if (parsed != NULL && stmtno > 0 && stmtno <= parsed->nstmts)
	{
		st = &parsed->stmts[stmtno - 1];
		line = st->line;
		/* a position inside the statement refines the line */
		if (edata->internalquery != NULL && edata->internalpos > 0 &&
			strcmp(edata->internalquery, st->text) == 0)
		{
			int			l,
						c;

			am_position_to_line_col(st->text, edata->internalpos, &l, &c);
			line = st->line + l - 1;
		}
	}

	/* outside development no value from a row may leave: see am_redact() */
	message = (full || att->check_failed) ? edata->message :
		am_redact_error(edata->sqlerrcode, edata->message);
	hint = (full || att->check_failed) ? edata->hint :
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_PLPGSQL_ERROR ? NULL :
		am_redact(edata->hint);

	memset(&e, 0, sizeof(e));
	e.run_id = run->run_id;
	e.version = m->version;
	e.event = run->dry_run ? "dry_run" :
		att->check_failed ? "check_failed" : "failed";
	e.duration_ms = att->duration_ms;
	e.sqlstate = unpack_sql_state(edata->sqlerrcode);
	e.message = message;
	e.detail = full ? edata->detail : NULL;
	e.statement_no = stmtno;
	e.line = line;
	e.statement_text = (full && st) ? st->text : NULL;
	e.environment = run->environment;
	e.username = run->username;
	e.checksum = m->checksum;

	pgstat_report_activity(STATE_RUNNING, debug_query_string);

	if (!am_record_failures)
		;						/* a superuser turned the record off */
	else if (run->nonatomic)
	{
		/* migrate(): commit the failure; the migration is rolled back */
		am_log_insert(&e);
		SPI_commit();
	}
	else
		(void) am_log_durable(&e);

	if (stmtno > 0 && run->down)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("rolling back migration %s (%s) failed at statement %d, line %d",
						m->version, m->name, stmtno, line),
				 (full && edata->detail) ?
				 errdetail("%s\n%s", message, edata->detail) :
				 errdetail("%s", message),
				 hint ? errhint("%s", hint) : 0));
	else if (stmtno > 0)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("migration %s (%s) failed at statement %d, line %d",
						m->version, m->name, stmtno, line),
				 (full && edata->detail) ?
				 errdetail("%s\n%s", message, edata->detail) :
				 errdetail("%s", message),
				 hint ? errhint("%s", hint) : 0));
	else if (att->check_failed)
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("migration %s (%s) failed its post-migration checks",
						m->version, m->name),
				 edata->detail ? errdetail("%s\n%s", message, edata->detail) :
				 errdetail("%s", message),
				 hint ? errhint("%s", hint) : 0));
	else
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("migration %s (%s) failed", m->version, m->name),
				 (full && edata->detail) ?
				 errdetail("%s\n%s", message, edata->detail) :
				 errdetail("%s", message),
				 hint ? errhint("%s", hint) : 0));
}

/*
 * am_require_read_committed
 *		Refuse a transaction snapshot taken before the registry lock: it
 *		would not see migrations applied (or rolled back) concurrently.
 */
void
am_require_read_committed(const char *what)
{
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("aura_migrate.%s() must run at READ COMMITTED isolation", what),
				 errdetail("A transaction snapshot taken before the migration lock would not see migrations applied concurrently."),
				 errhint("Call it outside an explicit transaction, or in one started with BEGIN ISOLATION LEVEL READ COMMITTED.")));
}

/*
 * am_start_run
 *		Common set-up of apply() and migrate().
 */
void
am_start_run(AmRun *run, MemoryContext parent, bool nonatomic)
{
	/* a migration that calls apply() would recurse until the stack gives */
	if (am_current_version != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("aura_migrate cannot apply or roll back migrations from inside migration %s",
						am_current_version),
				 errhint("A migration's SQL must not call apply(), migrate(), rollback() or reset().")));
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot apply or roll back migrations on a standby"),
				 errhint("Run it on the primary; the standby replays what it does.")));

	am_require_current_version();

	memset(run, 0, sizeof(AmRun));
	run->cxt = AllocSetContextCreate(parent, "aura_migrate run",
									 ALLOCSET_DEFAULT_SIZES);
	run->nonatomic = nonatomic;
	run->environment = am_environment_name();
	run->username = MemoryContextStrdup(run->cxt,
										GetUserNameFromId(GetUserId(), false));
}

/*
 * am_next_run_id
 *		A new run id from aura_migrate.run_seq.
 */
int64
am_next_run_id(void)
{
	bool		isnull;

	if (am_spi_owner("SELECT pg_catalog.nextval('aura_migrate.run_seq')",
					 0, NULL, NULL, NULL, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not allocate a run id");
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * am_run_all
 *		Apply (or, for a run going down, take back) every loaded migration
 *		in order, adding a row (version, name, status, duration_ms,
 *		statements) for each to the result of apply(), rollback() or reset().
 */
void
am_run_all(AmRun *run, ReturnSetInfo *rsinfo)
{
	int			i;

	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		double		ms = am_apply_one(run, m);

		values[0] = CStringGetTextDatum(m->version);
		values[1] = CStringGetTextDatum(m->name);
		m->duration_ms = ms;
		values[2] = CStringGetTextDatum(run->down ? "rolled_back" :
										run->dry_run ? "dry_run" : "applied");
		values[3] = Float8GetDatum(ms);
		values[4] = Int32GetDatum(m->statements);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * dry_run_all
 *		apply(dry_run => true): apply every loaded migration exactly as
 *		apply() would (statements, post-checks, history), inside one
 *		subtransaction that is then rolled back, and record the dry run
 *		itself: one dry_run event per migration, written durably (as a
 *		failure is), so that it stays whatever the caller's transaction
 *		does.  A failure is recorded as a dry_run event and raised; nothing
 *		else is left either way.
 */
static void
dry_run_all(AmRun *run, ReturnSetInfo *rsinfo)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	int			i;

	run->dry_run = true;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		am_run_all(run, rsinfo);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* the failure is recorded: roll everything back, then raise it */
		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];
		AmLogEntry	e;

		memset(&e, 0, sizeof(e));
		e.run_id = run->run_id;
		e.version = m->version;
		e.event = "dry_run";
		e.duration_ms = m->duration_ms;
		e.message = "applied in a dry run, then rolled back";
		e.environment = run->environment;
		e.username = run->username;
		e.checksum = m->checksum;
		(void) am_log_durable(&e);
	}
}

/*
 * aura_migrate_apply
 *		SQL: aura_migrate.apply(target text DEFAULT NULL,
 *								dry_run boolean DEFAULT false)
 *			 RETURNS TABLE (version text, name text, status text,
 *							duration_ms double precision, statements integer)
 *
 * Applies every pending migration for the current environment up to and
 * including target (all when NULL), in version order, inside the caller's
 * transaction.  Returns one row per migration applied (status applied),
 * or, for a dry run, run and rolled back (status dry_run).  EXECUTE is
 * revoked from PUBLIC.
 */
Datum
aura_migrate_apply(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *target = target_arg(fcinfo);
	bool		dry_run = false;
	AmRun		run;

	if (PG_NARGS() > 1)
	{
		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("dry_run must not be null")));
		dry_run = PG_GETARG_BOOL(1);
	}

	InitMaterializedSRF(fcinfo, 0);
	am_require_read_committed("apply");

	am_start_run(&run, CurrentMemoryContext, false);
	am_lock_registry();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (am_prepare_run(&run, target) && run.npending > 0)
	{
		run.run_id = am_next_run_id();
		am_rls_gate_begin(&run);
		if (dry_run)
			dry_run_all(&run, rsinfo);
		else
			am_run_all(&run, rsinfo);
		am_rls_gate_summary(&run);
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	}

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	MemoryContextDelete(run.cxt);
	return (Datum) 0;
}

/*
 * aura_migrate_migrate
 *		SQL: CALL aura_migrate.migrate(target text DEFAULT NULL)
 *
 * Like apply(), but commits after each migration.  It must be called with
 * CALL outside a transaction block, where it can commit; elsewhere it says
 * what to do instead.  EXECUTE is revoked from PUBLIC.
 */
Datum
aura_migrate_migrate(PG_FUNCTION_ARGS)
{
	CallContext *cc = (CallContext *) fcinfo->context;
	MemoryContext entrycxt = CurrentMemoryContext;
	char	   *target = target_arg(fcinfo);
	AmRun		run;
	int			i;
	int			napplied = 0;

	if (cc == NULL || !IsA(cc, CallContext) || cc->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("aura_migrate.migrate() cannot commit here"),
				 errdetail("It commits after each migration, which is impossible inside a transaction block or when called from a function."),
				 errhint("Run CALL aura_migrate.migrate() on its own, outside BEGIN ... COMMIT, or use SELECT * FROM aura_migrate.apply() to apply within the current transaction.")));

	/* the run's memory must outlive the commits: keep it with the portal */
	am_start_run(&run, PortalContext, true);
	am_lock_registry();

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");

	if (am_prepare_run(&run, target) && run.npending > 0)
	{
		run.run_id = am_next_run_id();
		am_rls_gate_begin(&run);
		for (i = 0; i < run.npending; i++)
		{
			AmMigration *m = &run.pending[i];
			double		ms;

			if (i > 0)
			{
				Oid			argtypes[1] = {TEXTOID};
				Datum		values[1];

				/* the lock went with the last commit: take it, look again */
				am_lock_registry();
				values[0] = CStringGetTextDatum(m->version);
				if (am_spi_owner("SELECT 1 FROM aura_migrate.history WHERE version = $1",
								 1, argtypes, values, NULL, 1) != SPI_OK_SELECT)
					elog(ERROR, "could not read history");
				if (SPI_processed > 0)
					continue;	/* applied meanwhile by another session */
			}

			ms = m->no_transaction ? am_apply_no_transaction(&run, m) :
				am_apply_one(&run, m);
			napplied++;
			ereport(NOTICE,
					(errmsg_plural("applied migration %s (%s), %d statement",
								   "applied migration %s (%s), %d statements",
								   m->statements,
								   m->version, m->name, m->statements),
					 errdetail("It took %.1f ms and was committed.", ms)));
			SPI_commit();
		}
		am_rls_gate_summary(&run);
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	}

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	/* a no-transaction migration may have left us in run.cxt */
	MemoryContextSwitchTo(entrycxt);
	MemoryContextDelete(run.cxt);
	PG_RETURN_VOID();
}
