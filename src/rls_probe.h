/*-------------------------------------------------------------------------
 *
 * rls_probe.h
 *	  What the files of the behavioural probes share (rls_probe.c, the
 *	  tries; rls_exec.c, running one statement as an actor; rls_rows.c, the
 *	  rows they need; rls_probe_fn.c, memberships and SECURITY DEFINER
 *	  functions).  Private to those four files.
 *
 * Copyright (c) 2026, aura_migrate developers
 *
 * IDENTIFICATION
 *	  src/rls_probe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AM_RLS_PROBE_H
#define AM_RLS_PROBE_H

#include "lib/stringinfo.h"
#include "utils/resowner.h"

#include "rls.h"

/* One identity the probes act as. */
typedef struct Actor
{
	const char *role;
	Oid			roleid;
	bool		is_user;		/* authenticated with user B's claims */
} Actor;

/*
 * Outcome of one statement run in its own subtransaction.  On error only
 * the SQLSTATE is kept: the message, detail, hint and context come from
 * the probed code and may carry what its role can read.
 */
typedef struct ExecResult
{
	bool		ok;
	uint64		processed;
	char	   *value;			/* first column of the first row, or NULL */
	char	   *sqlstate;		/* on error */
} ExecResult;

/* A subtransaction begun by am_probe_sub_begin(). */
typedef struct SubXact
{
	MemoryContext cxt;
	ResourceOwner owner;
} SubXact;

/* What one table's probe needs to know. */
typedef struct ProbeTable
{
	AmRlsTable *t;
	char	   *insert_cols;	/* insertable columns, comma separated */
	char	   *set_col;		/* the column the UPDATE try sets */
	char	   *set_type;		/* its type */
} ProbeTable;

/* A user table the probed table's owner column references, and the
 * columns a row of it gets the user's id in. */
typedef struct ProbeParent
{
	Oid			relid;
	Oid			owner;
	char	   *name;
	int16	   *forced;
	int			nforced;
} ProbeParent;

/* rls_exec.c: statements run in subtransactions of their own */
extern void am_probe_set_local(const char *name, const char *value);
extern void am_probe_set_saved(const char *name, const char *value);
extern void am_probe_throw_cancel(int sqlerrcode);
extern void am_probe_exec(int expect, Oid userid, bool noforce, const char *claims,
						  const char *sub, const char *role, const char *sql,
						  int nargs, Oid *argtypes, Datum *args, bool keep,
						  ExecResult *res);
extern void am_probe_exec_nulls(int expect, Oid userid, bool noforce,
								const char *claims, const char *sub,
								const char *role, const char *sql, int nargs,
								Oid *argtypes, Datum *args, const char *nulls,
								bool keep, ExecResult *res);
extern void am_probe_sub_begin(SubXact *s);
extern void am_probe_sub_end(SubXact *s, bool commit);
extern char *am_probe_uuid_str(Datum u);

/* rls_rows.c: rows made for the synthetic users */
extern bool am_probe_create_row(Oid relid, Oid owner, int nforced, int16 *forced,
								Datum user, ProbeTable *pt, StringInfo reason);
extern char *am_probe_synth_insert_at(Oid relid, int nforced, int16 *forced,
									  ProbeTable *pt, Datum user, int depth,
									  StringInfo reason, int16 fixed_attnum,
									  const char *fixed_value);
extern const char *am_probe_synth_expr(Oid basetype, char category,
									   const char *name);

/* rls_probe_fn.c: memberships and SECURITY DEFINER functions */
extern void am_probe_read_definer_functions(AmRlsRun *run);
extern void am_probe_add_memberships(AmRlsRun *run, AmRlsTable *t, Datum *users);
extern void am_probe_try_definer_functions(AmRlsRun *run, ProbeTable *pt,
										   Datum *users, const char *row_json);

#endif							/* AM_RLS_PROBE_H */
