/*-------------------------------------------------------------------------
 *
 * toplevel.c
 *	  Migrations that cannot run in a transaction, applied by migrate().
 *
 * A migration marked "-- aura:no-transaction" may hold statements that
 * refuse to run inside a transaction block: CREATE INDEX CONCURRENTLY,
 * DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VACUUM, or an enum value
 * added and used in the same migration.  apply() refuses such a migration;
 * migrate(), a procedure called outside any transaction block, runs it one
 * statement at a time, each in a transaction of its own, after committing
 * what came before.  A statement that needs top level is parsed, planned
 * and handed to ProcessUtility as a top-level command, with the snapshot
 * handling PortalRunUtility would give it.
 *
 * Such a migration is not atomic: what its earlier statements did stays
 * when a later one fails.  The failure is recorded and committed; an index
 * a failed CREATE INDEX CONCURRENTLY left INVALID is named in the error and
 * dropped before the next attempt.  A session-level advisory lock keeps
 * other callers out between the statements' commits.
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
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"

#include "apply.h"
#include "settings.h"
#include "toplevel.h"
#include "guard.h"
#include "run.h"
#include "postcheck.h"
#include "owner.h"
#include "validate.h"
#include "rls_gate.h"

/*
 * run_top_level
 *		Execute one utility statement as a top-level command, in the current
 *		transaction (a fresh one, outside any block, with no SPI connection),
 *		then commit and start the next transaction.
 *
 * Everything is allocated in cxt, which must outlive the transactions the
 * statement commits internally (VACUUM frees what ProcessUtility allocated
 * in a transaction context otherwise); returns switched to cxt.
 */
static void
run_top_level(AmStatement *st, MemoryContext cxt)
{
	List	   *querytrees;
	List	   *plans;
	PlannedStmt *pstmt;
	QueryCompletion qc;
	Snapshot	pushed = NULL;
	bool		analysis_snapshot = false;

	MemoryContextSwitchTo(cxt);
	if (analyze_requires_snapshot(st->raw))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		analysis_snapshot = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(st->raw, st->text, NULL, 0, NULL);
	plans = pg_plan_queries(querytrees, st->text, CURSOR_OPT_PARALLEL_OK, NULL);
	if (analysis_snapshot)
		PopActiveSnapshot();
	if (list_length(plans) != 1)
		elog(ERROR, "statement %s rewrote into %d statements",
			 am_statement_tag(st), list_length(plans));
	pstmt = linitial_node(PlannedStmt, plans);
	if (pstmt->commandType != CMD_UTILITY)
		elog(ERROR, "statement needing top level is not a utility statement");

	/* as PortalRunUtility does: CREATE INDEX CONCURRENTLY pops it itself */
	if (PlannedStmtRequiresSnapshot(pstmt))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = GetActiveSnapshot();
	}
	InitializeQueryCompletion(&qc);
	am_guard_enter();
	ProcessUtility(pstmt, st->text, false, PROCESS_UTILITY_TOPLEVEL,
				   NULL, NULL, None_Receiver, &qc);
	am_guard_leave();
	/*
	 * SPI inside the statement (an event trigger, say) may have given the
	 * CALL's portal a snapshot, as PortalRunUtility would pop: let go of it,
	 * then of ours if the statement left it there.
	 */
	ForgetPortalSnapshots();
	if (pushed != NULL && ActiveSnapshotSet() && GetActiveSnapshot() == pushed)
		PopActiveSnapshot();

	CommitTransactionCommand();
	StartTransactionCommand();
	MemoryContextSwitchTo(cxt);
}

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
							  "WHERE c.relname = $1 AND NOT i.indisvalid "
							  "AND i.indrelid = pg_catalog.to_regclass($2)",
							  2, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look for an invalid index");
	if (SPI_processed == 0)
		return NULL;
	return am_spi_getstr(0, 1);
}

/*
 * am_apply_no_transaction
 *		Apply a "-- aura:no-transaction" migration from migrate(): each
 *		statement in a transaction of its own.
 *
 * Called connected to SPI (non-atomic), in a fresh transaction that holds
 * the registry lock; returns connected (through a connection of its own:
 * the caller's is finished on the way), in a fresh transaction, with the
 * migration recorded and committed.  On failure, records it, commits the
 * record and raises the error.  Memory lives in run->cxt throughout: the
 * caller's SPI context does not survive.
 */
double
am_apply_no_transaction(AmRun *run, AmMigration *m)
{
	MemoryContext mcxt;
	AmParsed   *volatile parsed;
	volatile int stmtno = 0;
	volatile bool checking = false;
	ErrorData  *edata = NULL;
	instr_time	start,
				elapsed;
	volatile double duration_ms = 0;
	int64		key = AM_ADVISORY_LOCK_KEY;

	/* the registry stays locked across this migration's commits */
	DirectFunctionCall1(pg_advisory_lock_int8, Int64GetDatum(key));

	mcxt = AllocSetContextCreate(run->cxt, "aura_migrate migration",
								 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(mcxt);
	parsed = am_parse_sql(m->up_sql);
	if (parsed->failed)
		elog(ERROR, "migration %s no longer parses", m->version);

	INSTR_TIME_SET_CURRENT(start);
	PG_TRY();
	{
		int			i;

		for (i = 0; i < parsed->nstmts; i++)
		{
			AmStatement *st = &parsed->stmts[i];
			char	   *leftover;

			stmtno = i + 1;
			pgstat_report_activity(STATE_RUNNING,
								   psprintf("aura_migrate: applying migration %s (%s), statement %d of %d (%s, line %d, outside a transaction)",
											m->version, m->name, i + 1, parsed->nstmts,
											am_statement_tag(st), st->line));
			am_run_enter(run, m);

			/* an earlier failed attempt may have left its index INVALID */
			leftover = invalid_index_of(st);
			if (leftover != NULL)
			{
				RawStmt    *drop;

				ereport(NOTICE,
						(errmsg("dropping index %s, left INVALID by an earlier attempt of migration %s",
								leftover, m->version)));
				MemoryContextSwitchTo(mcxt);
				drop = linitial_node(RawStmt,
									 raw_parser(psprintf("DROP INDEX CONCURRENTLY %s", leftover),
												RAW_PARSE_DEFAULT));
				SPI_commit();	/* also lets go of the portal's snapshot */
				MemoryContextSwitchTo(mcxt);
				if (SPI_finish() != SPI_OK_FINISH)
					elog(ERROR, "SPI_finish failed");
				{
					AmStatement dropst;

					memset(&dropst, 0, sizeof(dropst));
					dropst.raw = drop;
					dropst.text = psprintf("DROP INDEX CONCURRENTLY %s", leftover);
					run_top_level(&dropst, mcxt);
				}
				if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect_ext failed");
			}

			if (am_stmt_needs_top_level(st->raw->stmt))
			{
				/* commit what came before, and the portal's snapshot with it */
				SPI_commit();
				MemoryContextSwitchTo(mcxt);
				if (SPI_finish() != SPI_OK_FINISH)
					elog(ERROR, "SPI_finish failed");
				run_top_level(st, mcxt);
				if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
					elog(ERROR, "SPI_connect_ext failed");
			}
			else
			{
				int			ret;

				am_guard_enter();
				ret = SPI_execute(st->text, false, 0);
				am_guard_leave();
				if (ret < 0)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("statement cannot run inside a migration: %s",
									SPI_result_code_string(ret))));
				SPI_commit();
			}
		}
		stmtno = 0;

		checking = true;
		am_post_check(m->version, run->run_id);
		am_rls_gate_check(run, m);
		checking = false;

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);
		am_record_done(run, m, parsed->nstmts, duration_ms);
		am_run_leave();
		SPI_commit();
	}
	PG_CATCH();
	{
		AmAttempt	att;
		char	   *leftover = NULL;

		/*
		 * The transaction is lost: keep the error, abort it and start a new
		 * one, as SPI_commit() does when a commit fails.
		 */
		am_guard_leave();
		am_run_leave();
		MemoryContextSwitchTo(mcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		StartTransactionCommand();
		MemoryContextSwitchTo(mcxt);
		if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect_ext failed");

		if (stmtno > 0)
			leftover = invalid_index_of(&parsed->stmts[stmtno - 1]);
		if (leftover != NULL)
			edata->message = psprintf("%s (index %s was left INVALID; the next attempt drops it first)",
									  edata->message, leftover);

		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		memset(&att, 0, sizeof(att));
		att.edata = edata;
		att.parsed = parsed;
		att.stmtno = stmtno;
		att.check_failed = checking;
		att.duration_ms = INSTR_TIME_GET_MILLISEC(elapsed);

		DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(key));
		am_report_failure(run, m, &att);
	}
	PG_END_TRY();

	DirectFunctionCall1(pg_advisory_unlock_int8, Int64GetDatum(key));
	return duration_ms;
}
