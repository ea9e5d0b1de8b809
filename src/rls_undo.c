/*-------------------------------------------------------------------------
 *
 * rls_undo.c
 *	  What the row level security probes put back after each table.
 *
 * A probe runs the probed table's code (triggers, defaults) as the API
 * roles inside subtransactions that are always rolled back.  A rollback
 * does not undo two things that code can do: take a session-level advisory
 * lock, and advance a sequence.  The probes snapshot both before a table
 * and put back what moved: advisory locks taken since are released, and
 * sequences are set back to their values, as the caller of check_rls().
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_undo.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "rls_undo.h"

static bool advisory_in(List *holds, AdvisoryHold *h);

/*
 * am_rls_advisory_held
 *		The advisory locks this backend holds, one AdvisoryHold per tag and
 *		mode, read from the lock manager (what pg_locks shows).
 */
List *
am_rls_advisory_held(void)
{
	LockData   *ld = GetLockStatusData();
	List	   *holds = NIL;
	int			i;

	for (i = 0; i < ld->nelements; i++)
	{
		LockInstanceData *inst = &ld->locks[i];
		LOCKMODE	mode;

		if (inst->pid != MyProcPid ||
			inst->locktag.locktag_type != LOCKTAG_ADVISORY ||
			inst->locktag.locktag_lockmethodid != USER_LOCKMETHOD)
			continue;
		for (mode = 1; mode <= MaxLockMode; mode++)
		{
			if (inst->holdMask & LOCKBIT_ON(mode))
			{
				AdvisoryHold *h = palloc(sizeof(AdvisoryHold));

				h->tag = inst->locktag;
				h->mode = mode;
				holds = lappend(holds, h);
			}
		}
	}
	pfree(ld->locks);
	pfree(ld);
	return holds;
}

/*
 * advisory_in
 *		Whether holds has h's tag and mode.
 */
static bool
advisory_in(List *holds, AdvisoryHold *h)
{
	ListCell   *lc;

	foreach(lc, holds)
	{
		AdvisoryHold *o = (AdvisoryHold *) lfirst(lc);

		if (o->mode == h->mode &&
			memcmp(&o->tag, &h->tag, sizeof(LOCKTAG)) == 0)
			return true;
	}
	return false;
}

/*
 * am_rls_advisory_release_new
 *		Release every advisory lock held now that was not held in
 *		held_before, however many times it was taken.  Called after a
 *		probe's rollback, which released the transaction-level ones the
 *		probe took, so what is left of a new tag is session-level: the
 *		probed code's pg_advisory_lock(), which would otherwise outlive the
 *		check.  A tag the caller already held keeps its holds.
 */
void
am_rls_advisory_release_new(List *held_before)
{
	List	   *now = am_rls_advisory_held();
	ListCell   *lc;

	foreach(lc, now)
	{
		AdvisoryHold *h = (AdvisoryHold *) lfirst(lc);
		List	   *again;

		if (advisory_in(held_before, h))
			continue;
		do
		{
			CHECK_FOR_INTERRUPTS();
			if (!LockRelease(&h->tag, h->mode, true))
				break;
			again = am_rls_advisory_held();
		} while (advisory_in(again, h));
	}
}

/*
 * am_rls_seq_snapshot
 *		Share-lock every sequence the probes could advance (all of the
 *		database's, and this session's temporary ones) and record its
 *		last_value and is_called in *snap.  SHARE conflicts with the ROW
 *		EXCLUSIVE that nextval() and setval() take, so until the caller's
 *		subtransaction ends no other session moves them, and any change
 *		seq_restore() finds is the probe's.  Runs as the caller, and takes
 *		only the sequences the caller may read and set (all of them for a
 *		superuser).
 */
void
am_rls_seq_snapshot(SeqSnapshot *snap)
{
	StringInfoData sql;
	uint64		i;

	memset(snap, 0, sizeof(*snap));
	if (SPI_execute("SELECT c.oid, n.nspname, c.relname"
					"  FROM pg_catalog.pg_class c"
					"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					" WHERE c.relkind = 'S'"
					"   AND (c.relpersistence <> 't'"
					"        OR n.oid = pg_catalog.pg_my_temp_schema())"
					"   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
					"   AND pg_catalog.has_table_privilege(c.oid, 'UPDATE')"
					" ORDER BY c.oid", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed listing the sequences");
	if (SPI_processed == 0)
		return;

	snap->n = (int) SPI_processed;
	snap->seqs = palloc0(sizeof(SeqState) * snap->n);
	initStringInfo(&sql);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		snap->seqs[i].relid = DatumGetObjectId(SPI_getbinval(tup, td, 1, &isnull));
		appendStringInfo(&sql, "%sSELECT %d, s.last_value, s.is_called FROM %s s",
						 i > 0 ? " UNION ALL " : "", (int) i,
						 quote_qualified_identifier(SPI_getvalue(tup, td, 2),
													SPI_getvalue(tup, td, 3)));
	}
	snap->read_sql = sql.data;

	for (i = 0; i < snap->n; i++)
		LockRelationOid(snap->seqs[i].relid, ShareLock);

	if (SPI_execute(snap->read_sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading the sequences");
	if (SPI_processed != (uint64) snap->n)
		elog(ERROR, "read " UINT64_FORMAT " sequences, expected %d",
			 SPI_processed, snap->n);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		int			k = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull));

		snap->seqs[k].last_value = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
		snap->seqs[k].is_called = DatumGetBool(SPI_getbinval(tup, td, 3, &isnull));
	}
}

/*
 * am_rls_seq_restore
 *		Set every sequence of *snap that moved back to its recorded state,
 *		with setval(seq, last_value, is_called) semantics, as the caller
 *		(not as an API role).  Sequences are not transactional: the probe's
 *		rollback leaves their advance behind.
 */
void
am_rls_seq_restore(SeqSnapshot *snap)
{
	uint64		i;

	if (snap->n == 0)
		return;
	if (SPI_execute(snap->read_sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading the sequences");
	if (SPI_processed != (uint64) snap->n)
		elog(ERROR, "read " UINT64_FORMAT " sequences, expected %d",
			 SPI_processed, snap->n);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		int			k = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull));
		int64		last = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
		bool		called = DatumGetBool(SPI_getbinval(tup, td, 3, &isnull));
		SeqState   *before = &snap->seqs[k];

		if (last == before->last_value && called == before->is_called)
			continue;
		(void) DirectFunctionCall3(setval3_oid,
								   ObjectIdGetDatum(before->relid),
								   Int64GetDatum(before->last_value),
								   BoolGetDatum(before->is_called));
	}
}
