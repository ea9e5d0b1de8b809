/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  apply() and migrate(): running pending migrations inside the server.
 *
 * Both take an advisory lock, so concurrent callers serialise and a second
 * caller finds the work done; both check every selected migration before
 * applying any (syntax, dependencies, requirements, checksums of what was
 * applied before) and apply nothing if one check fails.  Each migration
 * runs statement by statement through SPI and is recorded in
 * aura_migrate.history and aura_migrate.log in the same subtransaction:
 * one per migration for migrate(), one per block of AM_BLOCK_SIZE
 * migrations for apply(), which is all or nothing anyway.
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
#include "toplevel.h"
#include "guard.h"
#include "apply.h"
#include "postcheck.h"
#include "recorder.h"
#include "run.h"
#include "authority.h"
#include "eventlog.h"
#include "owner.h"
#include "validate.h"
#include "requires.h"
#include "rls_gate.h"
#include "sqlsplit.h"

/*
 * How many migrations apply() runs in one subtransaction: a lock timeout
 * retries the block it happened in (see attempt_block()).
 */
#define AM_BLOCK_SIZE 64

PG_FUNCTION_INFO_V1(aura_migrate_apply);

PG_FUNCTION_INFO_V1(aura_migrate_migrate);

static char *target_arg(FunctionCallInfo fcinfo);
static bool bool_arg(FunctionCallInfo fcinfo, int argno, const char *argname);

/*
 * bool_arg
 *		A boolean argument that must not be NULL; false when the function
 *		was declared without it (an older SQL definition).
 */
static bool
bool_arg(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_NARGS() <= argno)
		return false;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", argname)));
	return PG_GETARG_BOOL(argno);
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
 * run_migration
 *		Apply one migration in the current subtransaction: its statements
 *		and its post-checks; with seq_each, the check that it left the
 *		extension's sequences alone (else attempt_block() checks the whole
 *		block).  Its DDL record, history and log rows are written by
 *		attempt_block(), once for the block.  Settings the migration
 *		changes (its own SET, and the lock_timeout given to it) last only
 *		as long as it does.  Raises on error, with att filled in as far as
 *		it got (the statements parsed, the one running, whether the checks
 *		were); the caller's rollback undoes the rest.
 */
static void
run_migration(AmRun *run, AmMigration *m, AmAttempt *att, bool gate_each,
			  bool seq_each)
{
	AmRunErrorContext ec;
	AmExecutorSave exec_save;
	AmSequenceState seq_before;
	AmParsed   *parsed;
	instr_time	start,
				elapsed;
	int			nest;
	int			lock_ms = am_run_lock_timeout_ms();
	int			i;

	INSTR_TIME_SET_CURRENT(start);
	att->edata = NULL;
	att->parsed = NULL;
	att->stmtno = 0;
	att->check_failed = false;
	att->duration_ms = 0;

	am_run_push_error_context(&ec, m);

	nest = NewGUCNestLevel();
	if (lock_ms > 0)
		(void) set_config_option("lock_timeout", psprintf("%dms", lock_ms),
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	am_run_enter(run, m);

	parsed = am_parse_sql(run->down ? m->down_sql : m->up_sql);
	att->parsed = parsed;
	if (parsed->failed)
		elog(ERROR, "migration %s no longer parses", m->version);

	if (seq_each)
		am_guard_sequences(&seq_before);
	am_executor_enter(m, &exec_save);
	for (i = 0; i < parsed->nstmts; i++)
	{
		AmStatement *st = &parsed->stmts[i];

		att->stmtno = i + 1;
		am_run_error_context_at(&ec, i + 1, st->line);
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("aura_migrate: %s migration %s (%s), statement %d of %d (%s, line %d)",
										run->down ? "rolling back" : "applying",
										m->version, m->name, i + 1, parsed->nstmts,
										am_statement_tag(st), st->line));
		run_statement(st);
	}
	am_executor_leave(&exec_save);
	att->stmtno = 0;
	am_run_error_context_at(&ec, 0, 0);
	if (seq_each)
		am_guard_check_sequences(&seq_before);

	/* what it created exists, is valid, and is protected */
	if (!run->down)
	{
		am_rls_gate_scope(run, m, parsed);
		att->check_failed = true;
		am_post_check(m->version, run->run_id, m->changes);
		if (gate_each)
			am_rls_gate_check(run, m);
		att->check_failed = false;
	}

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	att->duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	m->duration_ms = att->duration_ms;
	m->applied_statements = parsed->nstmts;

	am_run_leave();
	AtEOXact_GUC(false, nest);
	am_run_pop_error_context(&ec);
}

/*
 * attempt_block
 *		One attempt at migrations ms[0 .. n-1], in one subtransaction.
 *		Returns -1 when all were applied (each one's duration in its
 *		duration_ms); otherwise the subtransaction is rolled back and the
 *		index of the migration that failed is returned, with its error in
 *		att, or -2 when a check of the whole block found what a check after
 *		each migration must name (a new row level security error, one of
 *		the extension's sequences moved).  mcxt holds the migration being
 *		applied (reset for each).
 *
 * A subtransaction per migration would let a failure keep the ones
 * before it, but apply() is all or nothing (the failure is raised, and
 * takes the caller's transaction with it), and each subtransaction end
 * walks what the transaction has created so far (its pending relation
 * files, and its relation cache entries once more than a few relations
 * changed): the cost per migration would grow with the number applied.
 * For the same reason the block's DDL record, history and log rows are
 * written once, after its last migration and before its checks.
 */
static int
attempt_block(AmRun *run, AmMigration *ms, int n, bool gate_each, bool seq_each,
			  MemoryContext mcxt, AmAttempt *att)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int cur = 0;
	volatile double started = 0;
	volatile int failed = -1;
	AmSequenceState seq_before;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(mcxt);

	PG_TRY();
	{
		if (!seq_each)
			am_guard_sequences(&seq_before);
		for (cur = 0; cur < n; cur++)
		{
			instr_time	now;

			MemoryContextReset(mcxt);
			INSTR_TIME_SET_CURRENT(now);
			started = INSTR_TIME_GET_MILLISEC(now);
			run_migration(run, &ms[cur], att, gate_each, seq_each);
		}
		/* an error of the block's own work is the last migration's */
		cur = n - 1;
		if (!seq_each && am_guard_sequences_moved(&seq_before))
		{
			/* put back; again, checking each migration, to name it */
			RollbackAndReleaseCurrentSubTransaction();
			failed = -2;
		}
		else
		{
			am_recorder_flush(run->run_id, ms, n);
			am_record_done_block(run, ms, n);
			att->check_failed = true;
			if (gate_each || am_rls_gate_check_block(run, ms, n))
				ReleaseCurrentSubTransaction();
			else
			{
				RollbackAndReleaseCurrentSubTransaction();
				failed = -2;
			}
		}
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		instr_time	now;

		am_run_leave();
		MemoryContextSwitchTo(mcxt);
		att->edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		INSTR_TIME_SET_CURRENT(now);
		att->duration_ms = INSTR_TIME_GET_MILLISEC(now) - started;
		failed = cur;
	}
	PG_END_TRY();

	return failed;
}

/*
 * wait_to_retry
 *		Migration m could not take a lock in time: record the retry, say
 *		so, and back off (aura_migrate.lock_retry_delay, doubling with each
 *		attempt).
 */
static void
wait_to_retry(AmRun *run, AmMigration *m, AmAttempt *att, int attempt)
{
	long		delay = (long) am_lock_retry_delay_ms << Min(attempt, 10);
	AmLogEntry	e;

	memset(&e, 0, sizeof(e));
	e.run_id = run->run_id;
	e.version = m->version;
	e.event = "retried";
	e.duration_ms = att->duration_ms;
	e.sqlstate = unpack_sql_state(att->edata->sqlerrcode);
	e.message = am_effective_environment() == AM_ENV_DEVELOPMENT ? att->edata->message :
		am_redact_error(att->edata->sqlerrcode, att->edata->message);
	e.checksum = m->checksum;
	e.statement_no = att->stmtno;
	e.line = (att->parsed && att->stmtno > 0) ? att->parsed->stmts[att->stmtno - 1].line : 0;
	e.environment = run->environment;
	e.username = run->username;
	am_log_insert(&e);

	ereport(NOTICE,
			(errmsg("migration %s could not take a lock at statement %d; retrying in %ld ms (attempt %d of %d)",
					m->version, att->stmtno, delay, attempt + 2, am_lock_retries + 1),
			 errdetail("%s", am_effective_environment() == AM_ENV_DEVELOPMENT ? att->edata->message :
					   am_redact_error(att->edata->sqlerrcode, att->edata->message))));
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

/*
 * apply_block
 *		Apply migrations ms[0 .. n-1] in one subtransaction, retrying them
 *		all with backoff while one times out waiting for a lock
 *		(aura_migrate.lock_retries): the attempt that failed left nothing,
 *		so nothing is applied twice.  On any other failure, or when the
 *		retries are used up, the failure is recorded durably and raised.
 */
static void
apply_block(AmRun *run, AmMigration *ms, int n)
{
	MemoryContext mcxt;
	AmAttempt	att;
	int			attempt;
	bool		gate_each = (n == 1) || !am_rls_gate_active(run);
	bool		seq_each = (n == 1);

	mcxt = AllocSetContextCreate(run->cxt, "aura_migrate migration",
								 ALLOCSET_DEFAULT_SIZES);
	for (attempt = 0;; attempt++)
	{
		int			failed = attempt_block(run, ms, n, gate_each, seq_each, mcxt, &att);

		if (failed == -2)
		{
			/* the gate found a new error: again, checking each migration */
			gate_each = true;
			seq_each = true;
			attempt--;
			MemoryContextReset(mcxt);
			continue;
		}
		if (failed < 0)
			break;
		if (att.edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE ||
			attempt >= am_lock_retries)
			am_report_failure(run, &ms[failed], &att);
		wait_to_retry(run, &ms[failed], &att, attempt);
		MemoryContextReset(mcxt);
	}
	MemoryContextDelete(mcxt);
}

/*
 * am_apply_one
 *		Apply one migration in a subtransaction of its own (migrate(), which
 *		commits after each), retrying while it times out waiting for a lock.
 *
 * Returns its duration in milliseconds.  On failure the failure is
 * recorded durably and an error raised.
 */
double
am_apply_one(AmRun *run, AmMigration *m)
{
	apply_block(run, m, 1);
	return m->duration_ms;
}

/*
 * am_run_all
 *		Apply (or, for a run going down, take back) every loaded migration
 *		in order, AM_BLOCK_SIZE to a subtransaction (attempt_block()), then
 *		add a row (version, name, status, duration_ms, statements) for each
 *		to the result of apply(), rollback() or reset().
 */
void
am_run_all(AmRun *run, ReturnSetInfo *rsinfo)
{
	int			first;
	int			i;

	for (first = 0; first < run->npending; first += AM_BLOCK_SIZE)
		apply_block(run, &run->pending[first],
					Min(AM_BLOCK_SIZE, run->npending - first));

	for (i = 0; i < run->npending; i++)
	{
		AmMigration *m = &run->pending[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = CStringGetTextDatum(m->version);
		values[1] = CStringGetTextDatum(m->name);
		values[2] = CStringGetTextDatum(run->down ? "rolled_back" :
										run->dry_run ? "dry_run" : "applied");
		values[3] = Float8GetDatum(m->duration_ms);
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
 *								dry_run boolean DEFAULT false,
 *								out_of_order boolean DEFAULT false)
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
	run.out_of_order = bool_arg(fcinfo, 2, "out_of_order");
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
 *		SQL: CALL aura_migrate.migrate(target text DEFAULT NULL,
 *			 out_of_order boolean DEFAULT false)
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

	if (cc == NULL || !IsA(cc, CallContext) || cc->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("aura_migrate.migrate() cannot commit here"),
				 errdetail("It commits after each migration, which is impossible inside a transaction block or when called from a function."),
				 errhint("Run CALL aura_migrate.migrate() on its own, outside BEGIN ... COMMIT, or use SELECT * FROM aura_migrate.apply() to apply within the current transaction.")));

	/* the run's memory must outlive the commits: keep it with the portal */
	am_start_run(&run, PortalContext, true);
	run.out_of_order = bool_arg(fcinfo, 1, "out_of_order");
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
				/* the lock went with the last commit: take it, look again */
				am_lock_registry();
				if (am_history_has(m->version))
					continue;	/* applied meanwhile by another session */
			}

			ms = m->no_transaction ? am_apply_no_transaction(&run, m) :
				am_apply_one(&run, m);
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
