/*-------------------------------------------------------------------------
 *
 * record.c
 *	  What a run writes of a migration: its history and log rows once it
 *	  is applied (or taken back), and its failure, durably, with the
 *	  error raised again naming the migration, statement and line.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "authority.h"
#include "eventlog.h"
#include "owner.h"
#include "requires.h"
#include "run.h"
#include "settings.h"
#include "validate.h"

/*
 * am_history_has
 *		Whether aura_migrate.history has a row for version, as committed by
 *		now (the latest snapshot: migrate() looks again after each commit,
 *		under the registry lock, for a migration another session applied
 *		meanwhile).
 *
 * Read through the primary key's index in C: a kept SPI plan for this
 * lookup is planned while the history is small, and its generic plan,
 * a sequential scan, then read the whole history once per migration.
 */
bool
am_history_has(const char *version)
{
	Oid			nsp = get_namespace_oid("aura_migrate", false);
	Oid			relid = get_relname_relid("history", nsp);
	Oid			indexid = get_relname_relid("history_pkey", nsp);
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	Snapshot	snapshot;
	bool		found;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		elog(ERROR, "aura_migrate.history or its primary key is missing");
	get_atttypetypmodcoll(relid, 1, &typid, &typmod, &collid);

	rel = table_open(relid, AccessShareLock);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(version));
	key.sk_collation = collid;
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, indexid, true, snapshot, 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
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
 * am_record_done_block
 *		am_record_done() for migrations ms[0 .. n-1], applied (or taken back)
 *		in one subtransaction: their history rows in one statement, which
 *		also fires the registry's statement trigger once.  Each migration's
 *		statement count and duration are in applied_statements and
 *		duration_ms.  Called connected to SPI.
 */
void
am_record_done_block(AmRun *run, AmMigration *ms, int n)
{
	Oid			argtypes[10] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT4ARRAYOID,
		INT8OID, TEXTOID, TEXTOID, FLOAT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[10];
	Datum	   *cols[7];
	bool	   *regnulls;
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	if (run->down || n == 1)
	{
		for (i = 0; i < n; i++)
			am_record_done(run, &ms[i], ms[i].applied_statements, ms[i].duration_ms);
		return;
	}

	for (i = 0; i < 7; i++)
		cols[i] = palloc(sizeof(Datum) * n);
	regnulls = palloc0(sizeof(bool) * n);
	for (i = 0; i < n; i++)
	{
		AmMigration *m = &ms[i];

		cols[0][i] = CStringGetTextDatum(m->version);
		cols[1][i] = CStringGetTextDatum(m->name);
		cols[2][i] = CStringGetTextDatum(m->checksum ? m->checksum : "");
		cols[3][i] = Int32GetDatum(m->applied_statements);
		cols[4][i] = Float8GetDatum(m->duration_ms);
		cols[5][i] = m->registered_by ? CStringGetTextDatum(m->registered_by) : (Datum) 0;
		regnulls[i] = m->registered_by == NULL;
		cols[6][i] = CStringGetTextDatum(GetUserNameFromId(OidIsValid(m->run_as) ?
														   m->run_as : GetUserId(), false));
	}
	values[0] = PointerGetDatum(construct_array(cols[0], n, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(cols[1], n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(cols[2], n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(cols[3], n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	values[4] = Int64GetDatum(run->run_id);
	values[5] = CStringGetTextDatum(run->username);
	values[6] = CStringGetTextDatum(run->environment);
	values[7] = PointerGetDatum(construct_array(cols[4], n, FLOAT8OID, sizeof(float8),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[8] = PointerGetDatum(construct_md_array(cols[5], regnulls, 1, dims, lbs,
												   TEXTOID, -1, false, TYPALIGN_INT));
	values[9] = PointerGetDatum(construct_array(cols[6], n, TEXTOID, -1, false, TYPALIGN_INT));
	if (am_spi_owner("INSERT INTO aura_migrate.history (version, name, checksum, "
					 "statements, run_id, applied_by, environment, duration_ms, "
					 "registered_by, executed_as) "
					 "SELECT u.v, u.n, u.c, u.s, $5, $6, $7, u.d, u.r, u.x "
					 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
					 "pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($8), "
					 "pg_catalog.unnest($9), pg_catalog.unnest($10)) "
					 "WITH ORDINALITY AS u(v, n, c, s, d, r, x, o) ORDER BY u.o",
					 10, argtypes, values, NULL, 0) != SPI_OK_INSERT || SPI_processed != (uint64) n)
		elog(ERROR, "could not record migrations %s to %s in history",
			 ms[0].version, ms[n - 1].version);

	for (i = 0; i < n; i++)
	{
		AmLogEntry	e;

		memset(&e, 0, sizeof(e));
		e.run_id = run->run_id;
		e.version = ms[i].version;
		e.event = "applied";
		e.duration_ms = ms[i].duration_ms;
		e.environment = run->environment;
		e.username = run->username;
		e.checksum = ms[i].checksum;
		am_log_insert(&e);
	}
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
	bool		full = (am_effective_environment() == AM_ENV_DEVELOPMENT);
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

