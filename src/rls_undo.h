/*-------------------------------------------------------------------------
 *
 * rls_undo.h
 *	  What the row level security probes put back (rls_undo.c).
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_undo.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AURA_MIGRATE_RLS_UNDO_H
#define AURA_MIGRATE_RLS_UNDO_H

#include "nodes/pg_list.h"
#include "storage/lock.h"

/* One session-level advisory lock mode held on one tag. */
typedef struct AdvisoryHold
{
	LOCKTAG		tag;
	LOCKMODE	mode;
} AdvisoryHold;

/* A sequence's state before a table's probe. */
typedef struct SeqState
{
	Oid			relid;
	int64		last_value;
	bool		is_called;
} SeqState;

/* The sequences of the database, as am_rls_seq_snapshot() found them. */
typedef struct SeqSnapshot
{
	int			n;
	SeqState   *seqs;
	char	   *read_sql;		/* reads (index, last_value, is_called) */
} SeqSnapshot;

extern List *am_rls_advisory_held(void);
extern void am_rls_advisory_release_new(List *held_before);
extern void am_rls_seq_snapshot(SeqSnapshot *snap);
extern void am_rls_seq_restore(SeqSnapshot *snap);

#endif							/* AURA_MIGRATE_RLS_UNDO_H */
